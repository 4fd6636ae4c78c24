// Package collect holds orgiam's collectors — one per data set family or AWS
// service, behind the Collector interface, all listed in List — which read an
// account (or an account × region) with as few API calls as the data allows
// and convert it to the snapshot's stored shapes.
package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/orgiam/orgiam/internal/iamarn"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// IAMAPI is the part of the IAM client the collectors use.
type IAMAPI interface {
	GetAccountAuthorizationDetails(context.Context, *iam.GetAccountAuthorizationDetailsInput, ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error)
	GetAccountSummary(context.Context, *iam.GetAccountSummaryInput, ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error)
	GetAccountPasswordPolicy(context.Context, *iam.GetAccountPasswordPolicyInput, ...func(*iam.Options)) (*iam.GetAccountPasswordPolicyOutput, error)
	ListAccountAliases(context.Context, *iam.ListAccountAliasesInput, ...func(*iam.Options)) (*iam.ListAccountAliasesOutput, error)
	ListSAMLProviders(context.Context, *iam.ListSAMLProvidersInput, ...func(*iam.Options)) (*iam.ListSAMLProvidersOutput, error)
	GetSAMLProvider(context.Context, *iam.GetSAMLProviderInput, ...func(*iam.Options)) (*iam.GetSAMLProviderOutput, error)
	ListOpenIDConnectProviders(context.Context, *iam.ListOpenIDConnectProvidersInput, ...func(*iam.Options)) (*iam.ListOpenIDConnectProvidersOutput, error)
	GetOpenIDConnectProvider(context.Context, *iam.GetOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error)
	ListVirtualMFADevices(context.Context, *iam.ListVirtualMFADevicesInput, ...func(*iam.Options)) (*iam.ListVirtualMFADevicesOutput, error)
	ListInstanceProfiles(context.Context, *iam.ListInstanceProfilesInput, ...func(*iam.Options)) (*iam.ListInstanceProfilesOutput, error)
	ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	GenerateCredentialReport(context.Context, *iam.GenerateCredentialReportInput, ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error)
	GetCredentialReport(context.Context, *iam.GetCredentialReportInput, ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error)
}

// OpError is an AWS call that failed, with the account and operation named.
type OpError struct {
	Account   string
	Operation string // e.g. iam:GetAccountAuthorizationDetails
	Err       error
}

func (e *OpError) Error() string {
	return fmt.Sprintf("account %s: %s: %s", e.Account, e.Operation, ErrorText(e.Err))
}

func (e *OpError) Unwrap() error { return e.Err }

// Code is the AWS error code, if any.
func (e *OpError) Code() string { return ErrorCode(e.Err) }

// ErrorCode is the AWS error code of err ("" if none).
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// ErrorText is "Code: message" for AWS errors, else err's text.
func ErrorText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if msg := ae.ErrorMessage(); msg != "" {
			return ae.ErrorCode() + ": " + msg
		}
		return ae.ErrorCode()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	return err.Error()
}

func opErr(account, op string, err error) error {
	return &OpError{Account: account, Operation: op, Err: err}
}

// IAMData is one account's IAM data as stored.
type IAMData struct {
	Users            []snapshot.User
	Groups           []snapshot.Group
	Roles            []snapshot.Role
	Policies         []snapshot.ManagedPolicy // customer managed
	AWSManaged       []snapshot.ManagedPolicy // AWS managed policies attached in the account
	InstanceProfiles []snapshot.InstanceProfile
	SAMLProviders    []snapshot.SAMLProvider
	OIDCProviders    []snapshot.OIDCProvider
	MFADevices       []snapshot.MFADevice
	Summary          map[string]int32
	PasswordPolicy   *snapshot.PasswordPolicy
	Aliases          []string
}

// Counts returns entity counts by data set.
func (d *IAMData) Counts() map[string]int {
	keys := 0
	for _, u := range d.Users {
		keys += len(u.AccessKeys)
	}
	return map[string]int{
		"users": len(d.Users), "groups": len(d.Groups), "roles": len(d.Roles),
		"policies": len(d.Policies), "aws-managed-policies": len(d.AWSManaged),
		"instance-profiles": len(d.InstanceProfiles), "saml-providers": len(d.SAMLProviders),
		"oidc-providers": len(d.OIDCProviders), "mfa-devices": len(d.MFADevices), "access-keys": keys,
	}
}

// AuthorizationDetails calls GetAccountAuthorizationDetails with every filter,
// following its pagination, and fills users, groups, roles and policies.
func AuthorizationDetails(ctx context.Context, api IAMAPI, account string, d *IAMData) error {
	in := &iam.GetAccountAuthorizationDetailsInput{
		Filter: []types.EntityType{types.EntityTypeUser, types.EntityTypeRole, types.EntityTypeGroup,
			types.EntityTypeLocalManagedPolicy, types.EntityTypeAWSManagedPolicy},
		MaxItems: aws.Int32(1000),
	}
	p := iam.NewGetAccountAuthorizationDetailsPaginator(api, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return opErr(account, "iam:GetAccountAuthorizationDetails", err)
		}
		for _, u := range out.UserDetailList {
			user, err := convUser(u)
			if err != nil {
				return fmt.Errorf("account %s: user %s: %w", account, aws.ToString(u.UserName), err)
			}
			d.Users = append(d.Users, user)
		}
		for _, g := range out.GroupDetailList {
			grp, err := convGroup(g)
			if err != nil {
				return fmt.Errorf("account %s: group %s: %w", account, aws.ToString(g.GroupName), err)
			}
			d.Groups = append(d.Groups, grp)
		}
		for _, r := range out.RoleDetailList {
			role, err := convRole(r)
			if err != nil {
				return fmt.Errorf("account %s: role %s: %w", account, aws.ToString(r.RoleName), err)
			}
			d.Roles = append(d.Roles, role)
		}
		for _, mp := range out.Policies {
			pol, err := convPolicy(mp)
			if err != nil {
				return fmt.Errorf("account %s: policy %s: %w", account, aws.ToString(mp.PolicyName), err)
			}
			if iamarn.IsAWSManagedPolicy(pol.Arn) {
				d.AWSManaged = append(d.AWSManaged, pol)
			} else {
				d.Policies = append(d.Policies, pol)
			}
		}
	}
	return nil
}

// Decode turns a URL-encoded policy document, as IAM returns it, into JSON.
func Decode(doc *string) (json.RawMessage, error) {
	if doc == nil || *doc == "" {
		return nil, nil
	}
	s, err := url.PathUnescape(*doc)
	if err != nil {
		// Some SDK paths already decode: keep the text if it is JSON.
		s = *doc
	}
	if !json.Valid([]byte(s)) {
		if json.Valid([]byte(*doc)) {
			s = *doc
		} else {
			return nil, fmt.Errorf("policy document is not valid JSON after URL-decoding")
		}
	}
	return compact(s), nil
}

func compact(s string) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		return json.RawMessage(s)
	}
	return json.RawMessage(buf.Bytes())
}

func inline(list []types.PolicyDetail) ([]snapshot.InlinePolicy, error) {
	out := make([]snapshot.InlinePolicy, 0, len(list))
	for _, p := range list {
		doc, err := Decode(p.PolicyDocument)
		if err != nil {
			return nil, fmt.Errorf("inline policy %s: %w", aws.ToString(p.PolicyName), err)
		}
		out = append(out, snapshot.InlinePolicy{PolicyName: aws.ToString(p.PolicyName), PolicyDocument: doc})
	}
	return out, nil
}

func attached(list []types.AttachedPolicy) []snapshot.AttachedPolicy {
	out := make([]snapshot.AttachedPolicy, 0, len(list))
	for _, p := range list {
		out = append(out, snapshot.AttachedPolicy{PolicyName: aws.ToString(p.PolicyName), PolicyArn: aws.ToString(p.PolicyArn)})
	}
	return out
}

func tags(list []types.Tag) []snapshot.Tag {
	out := make([]snapshot.Tag, 0, len(list))
	for _, t := range list {
		out = append(out, snapshot.Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
	}
	return out
}

func boundary(b *types.AttachedPermissionsBoundary) *snapshot.Boundary {
	if b == nil || b.PermissionsBoundaryArn == nil {
		return nil
	}
	return &snapshot.Boundary{PermissionsBoundaryType: string(b.PermissionsBoundaryType), PermissionsBoundaryArn: aws.ToString(b.PermissionsBoundaryArn)}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func convUser(u types.UserDetail) (snapshot.User, error) {
	pols, err := inline(u.UserPolicyList)
	if err != nil {
		return snapshot.User{}, err
	}
	groups := append([]string{}, u.GroupList...)
	return snapshot.User{
		Path: aws.ToString(u.Path), UserName: aws.ToString(u.UserName), UserID: aws.ToString(u.UserId),
		Arn: aws.ToString(u.Arn), CreateDate: utc(u.CreateDate), UserPolicyList: pols, GroupList: groups,
		AttachedManagedPolicies: attached(u.AttachedManagedPolicies), PermissionsBoundary: boundary(u.PermissionsBoundary),
		Tags: tags(u.Tags), AccessKeys: []snapshot.AccessKey{},
	}, nil
}

func convGroup(g types.GroupDetail) (snapshot.Group, error) {
	pols, err := inline(g.GroupPolicyList)
	if err != nil {
		return snapshot.Group{}, err
	}
	return snapshot.Group{
		Path: aws.ToString(g.Path), GroupName: aws.ToString(g.GroupName), GroupID: aws.ToString(g.GroupId),
		Arn: aws.ToString(g.Arn), CreateDate: utc(g.CreateDate), GroupPolicyList: pols,
		AttachedManagedPolicies: attached(g.AttachedManagedPolicies),
	}, nil
}

func convInstanceProfile(ip types.InstanceProfile) snapshot.InstanceProfile {
	out := snapshot.InstanceProfile{
		Path: aws.ToString(ip.Path), InstanceProfileName: aws.ToString(ip.InstanceProfileName),
		InstanceProfileID: aws.ToString(ip.InstanceProfileId), Arn: aws.ToString(ip.Arn),
		CreateDate: utc(ip.CreateDate), Roles: []snapshot.RoleRef{}, Tags: tags(ip.Tags),
	}
	for _, r := range ip.Roles {
		out.Roles = append(out.Roles, snapshot.RoleRef{Path: aws.ToString(r.Path), RoleName: aws.ToString(r.RoleName), RoleID: aws.ToString(r.RoleId), Arn: aws.ToString(r.Arn)})
	}
	return out
}

func convRole(r types.RoleDetail) (snapshot.Role, error) {
	pols, err := inline(r.RolePolicyList)
	if err != nil {
		return snapshot.Role{}, err
	}
	trust, err := Decode(r.AssumeRolePolicyDocument)
	if err != nil {
		return snapshot.Role{}, fmt.Errorf("trust policy: %w", err)
	}
	role := snapshot.Role{
		Path: aws.ToString(r.Path), RoleName: aws.ToString(r.RoleName), RoleID: aws.ToString(r.RoleId),
		Arn: aws.ToString(r.Arn), CreateDate: utc(r.CreateDate), AssumeRolePolicyDocument: trust,
		InstanceProfileList: []snapshot.InstanceProfile{}, RolePolicyList: pols,
		AttachedManagedPolicies: attached(r.AttachedManagedPolicies), PermissionsBoundary: boundary(r.PermissionsBoundary),
		Tags: tags(r.Tags),
	}
	for _, ip := range r.InstanceProfileList {
		role.InstanceProfileList = append(role.InstanceProfileList, convInstanceProfile(ip))
	}
	if r.RoleLastUsed != nil && (r.RoleLastUsed.LastUsedDate != nil || r.RoleLastUsed.Region != nil) {
		role.RoleLastUsed = &snapshot.RoleLastUsed{LastUsedDate: utc(r.RoleLastUsed.LastUsedDate), Region: aws.ToString(r.RoleLastUsed.Region)}
	}
	return role, nil
}

func convPolicy(p types.ManagedPolicyDetail) (snapshot.ManagedPolicy, error) {
	out := snapshot.ManagedPolicy{
		PolicyName: aws.ToString(p.PolicyName), PolicyID: aws.ToString(p.PolicyId), Arn: aws.ToString(p.Arn),
		Path: aws.ToString(p.Path), DefaultVersionID: aws.ToString(p.DefaultVersionId),
		AttachmentCount: aws.ToInt32(p.AttachmentCount), PermissionsBoundaryUsageCount: aws.ToInt32(p.PermissionsBoundaryUsageCount),
		IsAttachable: p.IsAttachable, Description: aws.ToString(p.Description),
		CreateDate: utc(p.CreateDate), UpdateDate: utc(p.UpdateDate), PolicyVersionList: []snapshot.PolicyVersion{},
	}
	for _, v := range p.PolicyVersionList {
		doc, err := Decode(v.Document)
		if err != nil {
			return out, fmt.Errorf("version %s: %w", aws.ToString(v.VersionId), err)
		}
		out.PolicyVersionList = append(out.PolicyVersionList, snapshot.PolicyVersion{
			VersionID: aws.ToString(v.VersionId), IsDefaultVersion: v.IsDefaultVersion || aws.ToString(v.VersionId) == out.DefaultVersionID,
			CreateDate: utc(v.CreateDate), Document: doc,
		})
	}
	return out, nil
}

// AccountSettings reads the account summary, password policy (none is a
// valid answer) and aliases, one after the other.
func AccountSettings(ctx context.Context, api IAMAPI, account string, d *IAMData) error {
	for _, step := range []Step{Summary, PasswordPolicy, Aliases} {
		if err := step(ctx, api, account, d); err != nil {
			return err
		}
	}
	return nil
}

// Summary reads the account summary (entity counts and quotas).
func Summary(ctx context.Context, api IAMAPI, account string, d *IAMData) error {
	sum, err := api.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		return opErr(account, "iam:GetAccountSummary", err)
	}
	d.Summary = map[string]int32{}
	for k, v := range sum.SummaryMap {
		d.Summary[k] = v
	}
	return nil
}

// PasswordPolicy reads the account's password policy (none is a valid
// answer: PasswordPolicy stays nil).
func PasswordPolicy(ctx context.Context, api IAMAPI, account string, d *IAMData) error {
	pp, err := api.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	var nse *types.NoSuchEntityException
	switch {
	case errors.As(err, &nse) || ErrorCode(err) == "NoSuchEntity":
		d.PasswordPolicy = nil
	case err != nil:
		return opErr(account, "iam:GetAccountPasswordPolicy", err)
	default:
		p := pp.PasswordPolicy
		d.PasswordPolicy = &snapshot.PasswordPolicy{
			MinimumPasswordLength: aws.ToInt32(p.MinimumPasswordLength), RequireSymbols: p.RequireSymbols,
			RequireNumbers: p.RequireNumbers, RequireUppercaseCharacters: p.RequireUppercaseCharacters,
			RequireLowercaseCharacters: p.RequireLowercaseCharacters, AllowUsersToChangePassword: p.AllowUsersToChangePassword,
			ExpirePasswords: p.ExpirePasswords, MaxPasswordAge: aws.ToInt32(p.MaxPasswordAge),
			PasswordReusePrevention: aws.ToInt32(p.PasswordReusePrevention), HardExpiry: aws.ToBool(p.HardExpiry),
		}
	}
	return nil
}

// Aliases reads the account's aliases (at most one exists).
func Aliases(ctx context.Context, api IAMAPI, account string, d *IAMData) error {
	d.Aliases = []string{}
	ap := iam.NewListAccountAliasesPaginator(api, &iam.ListAccountAliasesInput{})
	for ap.HasMorePages() {
		out, err := ap.NextPage(ctx)
		if err != nil {
			return opErr(account, "iam:ListAccountAliases", err)
		}
		d.Aliases = append(d.Aliases, out.AccountAliases...)
	}
	return nil
}

// Providers reads SAML and OIDC identity providers with their details.
func Providers(ctx context.Context, api IAMAPI, account string, d *IAMData) error {
	if err := SAMLProviders(ctx, api, account, d); err != nil {
		return err
	}
	return OIDCProviders(ctx, api, account, d)
}

// SAMLProviders lists the SAML providers and reads each one's metadata
// (the listing does not return it).
func SAMLProviders(ctx context.Context, api IAMAPI, account string, d *IAMData) error {
	saml, err := api.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{})
	if err != nil {
		return opErr(account, "iam:ListSAMLProviders", err)
	}
	d.SAMLProviders = []snapshot.SAMLProvider{}
	for _, p := range saml.SAMLProviderList {
		arn := aws.ToString(p.Arn)
		got, err := api.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: p.Arn})
		if err != nil {
			return opErr(account, "iam:GetSAMLProvider "+arn, err)
		}
		d.SAMLProviders = append(d.SAMLProviders, snapshot.SAMLProvider{
			Arn: arn, CreateDate: utc(got.CreateDate), ValidUntil: utc(got.ValidUntil),
			SAMLMetadataDocument: aws.ToString(got.SAMLMetadataDocument), Tags: tags(got.Tags),
		})
	}
	return nil
}

// OIDCProviders lists the OIDC providers and reads each one's URL, client
// ids and thumbprints (the listing returns only ARNs).
func OIDCProviders(ctx context.Context, api IAMAPI, account string, d *IAMData) error {
	oidc, err := api.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		return opErr(account, "iam:ListOpenIDConnectProviders", err)
	}
	d.OIDCProviders = []snapshot.OIDCProvider{}
	for _, p := range oidc.OpenIDConnectProviderList {
		arn := aws.ToString(p.Arn)
		got, err := api.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: p.Arn})
		if err != nil {
			return opErr(account, "iam:GetOpenIDConnectProvider "+arn, err)
		}
		d.OIDCProviders = append(d.OIDCProviders, snapshot.OIDCProvider{
			Arn: arn, Url: aws.ToString(got.Url), ClientIDList: nonNil(got.ClientIDList),
			ThumbprintList: nonNil(got.ThumbprintList), CreateDate: utc(got.CreateDate), Tags: tags(got.Tags),
		})
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// MFADevices lists every virtual MFA device (assigned or not).
func MFADevices(ctx context.Context, api IAMAPI, account string, d *IAMData) error {
	d.MFADevices = []snapshot.MFADevice{}
	p := iam.NewListVirtualMFADevicesPaginator(api, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeAny})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return opErr(account, "iam:ListVirtualMFADevices", err)
		}
		for _, v := range out.VirtualMFADevices {
			dev := snapshot.MFADevice{SerialNumber: aws.ToString(v.SerialNumber), EnableDate: utc(v.EnableDate), Tags: tags(v.Tags)}
			if v.User != nil {
				dev.User = &snapshot.MFAUser{UserName: aws.ToString(v.User.UserName), UserID: aws.ToString(v.User.UserId), Arn: aws.ToString(v.User.Arn)}
			}
			d.MFADevices = append(d.MFADevices, dev)
		}
	}
	return nil
}

// InstanceProfiles lists every instance profile, including those with no role
// (which GetAccountAuthorizationDetails does not return).
func InstanceProfiles(ctx context.Context, api IAMAPI, account string, d *IAMData) error {
	d.InstanceProfiles = []snapshot.InstanceProfile{}
	p := iam.NewListInstanceProfilesPaginator(api, &iam.ListInstanceProfilesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return opErr(account, "iam:ListInstanceProfiles", err)
		}
		for _, ip := range out.InstanceProfiles {
			d.InstanceProfiles = append(d.InstanceProfiles, convInstanceProfile(ip))
		}
	}
	return nil
}

// AccessKeys lists every user's access keys (one call per user: IAM has no
// account-wide listing that returns key ids).
func AccessKeys(ctx context.Context, api IAMAPI, account string, d *IAMData) error {
	return AccessKeysOf(ctx, api, account, d, nil, 1)
}

// Step is one collector of an account's IAM data. Each Step writes its own
// fields of IAMData, so independent Steps may run at once.
type Step func(context.Context, IAMAPI, string, *IAMData) error

// Independent are the steps that need nothing from one another, nor from
// AuthorizationDetails: they run side by side with it. The access keys
// come after AuthorizationDetails, once the users and the credential
// report are known.
var Independent = []Step{Summary, PasswordPolicy, Aliases, SAMLProviders, OIDCProviders, MFADevices, InstanceProfiles}

// AccessKeysOf lists the access keys of the users in only (every user when
// only is nil), with at most parallel calls at once. Users left out keep an
// empty key list.
func AccessKeysOf(ctx context.Context, api IAMAPI, account string, d *IAMData, only map[string]bool, parallel int) error {
	var users []*snapshot.User
	for i := range d.Users {
		if only == nil || only[d.Users[i].UserName] {
			users = append(users, &d.Users[i])
		}
	}
	return Each(ctx, parallel, len(users), func(ctx context.Context, i int) error {
		u := users[i]
		var keys []snapshot.AccessKey
		p := iam.NewListAccessKeysPaginator(api, &iam.ListAccessKeysInput{UserName: aws.String(u.UserName)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return opErr(account, "iam:ListAccessKeys "+u.UserName, err)
			}
			for _, k := range out.AccessKeyMetadata {
				keys = append(keys, snapshot.AccessKey{AccessKeyID: aws.ToString(k.AccessKeyId), Status: string(k.Status), CreateDate: utc(k.CreateDate)})
			}
		}
		sort.Slice(keys, func(a, b int) bool { return keys[a].AccessKeyID < keys[b].AccessKeyID })
		u.AccessKeys = append(u.AccessKeys, keys...)
		return nil
	})
}

// UsersToList reads a credential report and returns the users whose access
// keys must be listed: those the report shows with at least one access key
// (active or not), and those it does not show at all — IAM hands out a
// report up to four hours old, so users created since are missing from it.
// A key added since the report to a user it lists without keys is not seen
// until the next report; that is the price of not calling ListAccessKeys for
// every user, and the report's GeneratedTime (stored with it) dates it.
func UsersToList(csv []byte, users []snapshot.User) (map[string]bool, error) {
	rows, err := snapshot.ParseCredentialReport(csv)
	if err != nil {
		return nil, err
	}
	inReport := map[string]bool{}
	out := map[string]bool{}
	for _, r := range rows {
		if r.IsRoot() {
			continue
		}
		inReport[r.User] = true
		for _, k := range r.AccessKeys {
			if k.Present() {
				out[r.User] = true
			}
		}
	}
	for _, u := range users {
		if !inReport[u.UserName] {
			out[u.UserName] = true
		}
	}
	return out, nil
}
