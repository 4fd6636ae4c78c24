package fakeaws

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// testNow anchors every test world's dates, so no test depends on the day it runs.
var testNow = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

func start(t *testing.T, o Options, k Knobs) (*Server, aws.Config) {
	t.Helper()
	if o.Now.IsZero() {
		o.Now = testNow
	}
	s := New(NewWorld(o), k)
	u, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(u),
		Credentials: credentials.NewStaticCredentialsProvider("AKIABASEEXAMPLE00001", "secret", ""),
		Retryer:     func() aws.Retryer { return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 1 }) }}
	return s, cfg
}

func assumed(cfg aws.Config, roleArn, extID string) aws.Config {
	c := cfg.Copy()
	c.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleArn, func(o *stscreds.AssumeRoleOptions) {
		if extID != "" {
			o.ExternalID = aws.String(extID)
		}
	}))
	return c
}

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestDeterminism(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := NewWorld(Options{Seed: 42, Orgs: 2, AccountsPerOrg: 6, Now: now})
	b := NewWorld(Options{Seed: 42, Orgs: 2, AccountsPerOrg: 6, Now: now})
	c := NewWorld(Options{Seed: 43, Orgs: 2, AccountsPerOrg: 6, Now: now})
	if len(a.Accounts()) != 12 {
		t.Fatalf("accounts = %d, want 12", len(a.Accounts()))
	}
	for i, m := range a.Accounts() {
		if !reflect.DeepEqual(m, b.Accounts()[i]) {
			t.Fatalf("account %d differs between equal seeds", i)
		}
		if !reflect.DeepEqual(a.Account(m.ID), b.Account(m.ID)) {
			t.Fatalf("account %s contents differ between equal seeds", m.ID)
		}
	}
	if a.Accounts()[0].ID == c.Accounts()[0].ID {
		t.Fatal("different seeds gave the same management account id")
	}
	statuses := map[string]int{}
	for _, m := range a.Accounts() {
		statuses[m.Status]++
	}
	if statuses["PENDING_CLOSURE"] != 2 || statuses["SUSPENDED"] < 2 {
		t.Fatalf("statuses = %v, want one PENDING_CLOSURE and at least one SUSPENDED per org", statuses)
	}
}

func TestOrganizationsAndAssumeChain(t *testing.T) {
	s, cfg := start(t, Options{Seed: 1, Orgs: 2, AccountsPerOrg: 45}, Knobs{})
	w := s.World()
	ctx := context.Background()
	org := organizations.NewFromConfig(cfg)
	var ids []string
	pages := 0
	p := organizations.NewListAccountsPaginator(org, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range out.Accounts {
			ids = append(ids, *a.Id)
		}
	}
	if len(ids) != 45 || pages != 3 || !reflect.DeepEqual(ids, w.Orgs()[0].AccountIDs) {
		t.Fatalf("ListAccounts: %d accounts in %d pages, want org 1's 45 in 3", len(ids), pages)
	}
	roots, err := org.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil || *roots.Roots[0].Id != w.Orgs()[0].RootID {
		t.Fatalf("ListRoots: %v %v", roots, err)
	}
	ous, err := org.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: roots.Roots[0].Id})
	if err != nil || len(ous.OrganizationalUnits) != 4 {
		t.Fatalf("ListOrganizationalUnitsForParent: %v %v", ous, err)
	}

	// base -> org 2 management (OrganizationAccountAccessRole is absent there; use the collect role) -> member collect role.
	mgmt2 := w.Orgs()[1].ManagementAccountID
	member := w.Orgs()[1].AccountIDs[3]
	hop := assumed(cfg, w.CollectRoleArn(mgmt2), "")
	d, err := organizations.NewFromConfig(hop).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil || *d.Organization.Id != w.Orgs()[1].ID {
		t.Fatalf("DescribeOrganization from org 2: %v %v", d, err)
	}
	target := assumed(hop, w.CollectRoleArn(member), "")
	id, err := sts.NewFromConfig(target).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Account != member || !strings.Contains(*id.Arn, ":assumed-role/orgiam-collect/") {
		t.Fatalf("GetCallerIdentity = %s %s, want account %s", *id.Account, *id.Arn, member)
	}
	base, _ := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if *base.Account != w.Orgs()[0].ManagementAccountID {
		t.Fatalf("base account = %s", *base.Account)
	}
	st := s.Stats()
	if st.PerOrigin[w.Orgs()[0].ManagementAccountID] != st.Total || st.PerAccount[member] != 1 {
		t.Fatalf("stats: origin must be the base account for the whole chain: %+v", st)
	}
}

func TestAssumeDenied(t *testing.T) {
	w0 := NewWorld(Options{Seed: 3, AccountsPerOrg: 4, ExternalID: "xid", Now: testNow})
	denied := w0.Accounts()[1].ID
	s, cfg := start(t, Options{Seed: 3, AccountsPerOrg: 4, ExternalID: "xid"}, Knobs{DenyAssume: []string{denied}})
	w := s.World()
	ctx := context.Background()
	cases := []struct {
		name, arn, ext, want string
	}{
		{"denied account", w.CollectRoleArn(denied), "xid", "AccessDenied"},
		{"missing external id", w.CollectRoleArn(w.Accounts()[2].ID), "", "AccessDenied"},
		{"wrong external id", w.CollectRoleArn(w.Accounts()[2].ID), "nope", "AccessDenied"},
		{"no such role", "arn:aws:iam::" + w.Accounts()[2].ID + ":role/nope", "xid", "AccessDenied"},
		{"outside account", w.CollectRoleArn(w.OutsideAccounts()[0]), "xid", "AccessDenied"},
		{"allowed", w.CollectRoleArn(w.Accounts()[2].ID), "xid", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := &sts.AssumeRoleInput{RoleArn: aws.String(c.arn), RoleSessionName: aws.String("t")}
			if c.ext != "" {
				in.ExternalId = aws.String(c.ext)
			}
			_, err := sts.NewFromConfig(cfg).AssumeRole(ctx, in)
			if got := errCode(err); got != c.want {
				t.Fatalf("code = %q (%v), want %q", got, err, c.want)
			}
		})
	}
}

func TestThrottlingAbsorbedByRetryer(t *testing.T) {
	s, cfg := start(t, Options{Seed: 4, AccountsPerOrg: 3}, Knobs{RatePerAccount: 20, Burst: 2})
	ctx := context.Background()
	client := iam.NewFromConfig(cfg)
	var throttled bool
	for i := 0; i < 10; i++ {
		_, err := client.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
		if errCode(err) == "Throttling" {
			throttled = true
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if !throttled || s.Stats().Throttles == 0 {
		t.Fatal("no Throttling answered above the rate")
	}
	retrying := cfg.Copy()
	retrying.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 20; o.MaxBackoff = 100 * time.Millisecond })
	}
	rc := iam.NewFromConfig(retrying)
	for i := 0; i < 10; i++ {
		if _, err := rc.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}); err != nil {
			t.Fatalf("retryer did not absorb throttling: %v", err)
		}
	}
}

func TestIAMAndCredentialReport(t *testing.T) {
	s, cfg := start(t, Options{Seed: 5, AccountsPerOrg: 3}, Knobs{CredReportDelay: 150 * time.Millisecond, CredReportLimitTimes: 1})
	w := s.World()
	acct := w.Accounts()[1].ID
	s.SetKnobs(Knobs{CredReportDelay: 150 * time.Millisecond, CredReportLimitExceeded: []string{acct}, CredReportLimitTimes: 1})
	ctx := context.Background()
	c := iam.NewFromConfig(assumed(cfg, w.CollectRoleArn(acct), ""))
	d := w.Account(acct)

	var users, roles, groups, pols int
	pages := 0
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(7)})
	var anyDoc string
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		users += len(out.UserDetailList)
		roles += len(out.RoleDetailList)
		groups += len(out.GroupDetailList)
		pols += len(out.Policies)
		for _, r := range out.RoleDetailList {
			anyDoc = *r.AssumeRolePolicyDocument
		}
	}
	total := len(d.Users) + len(d.Roles) + len(d.Groups) + len(d.Policies) + len(d.AWSManaged)
	if users != len(d.Users) || roles != len(d.Roles) || groups != len(d.Groups) || pols != len(d.Policies)+len(d.AWSManaged) || pages != (total+6)/7 {
		t.Fatalf("GAAD: %d users %d roles %d groups %d policies in %d pages; world %d/%d/%d/%d", users, roles, groups, pols, pages, len(d.Users), len(d.Roles), len(d.Groups), len(d.Policies)+len(d.AWSManaged))
	}
	if dec, err := url.QueryUnescape(anyDoc); err != nil || !strings.HasPrefix(dec, `{"Version"`) || strings.HasPrefix(anyDoc, "{") {
		t.Fatalf("trust document not URL-encoded as IAM does: %q", anyDoc)
	}
	filtered, err := c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeAWSManagedPolicy}})
	if err != nil || len(filtered.Policies) != len(d.AWSManaged) || len(filtered.UserDetailList) != 0 {
		t.Fatalf("GAAD AWSManagedPolicy filter: %v", err)
	}

	// Credential report lifecycle.
	if _, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}); errCode(err) != "ReportNotPresent" {
		t.Fatalf("before generation: %v", err)
	}
	if _, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}); errCode(err) != "LimitExceeded" {
		t.Fatalf("first generate on a limited account: %v", err)
	}
	g, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
	if err != nil || g.State != iamtypes.ReportStateTypeStarted {
		t.Fatalf("generate: %v %v", g, err)
	}
	if _, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}); errCode(err) != "ReportInProgress" {
		t.Fatalf("while generating: %v", err)
	}
	if g, _ := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}); g.State != iamtypes.ReportStateTypeInprogress {
		t.Fatalf("second generate state = %v", g.State)
	}
	time.Sleep(200 * time.Millisecond)
	if g, _ := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}); g.State != iamtypes.ReportStateTypeComplete {
		t.Fatalf("after delay state = %v", g.State)
	}
	rep, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		t.Fatal(err)
	}
	header := strings.SplitN(string(rep.Content), "\n", 2)[0]
	if header != strings.Join(snapshot.CredentialReportColumns, ",") {
		t.Fatalf("header = %s", header)
	}
	rows, err := snapshot.ParseCredentialReport(rep.Content)
	if err != nil || len(rows) != len(d.Users)+1 || !rows[0].IsRoot() {
		t.Fatalf("report rows: %d (%v), want root + %d users", len(rows), err, len(d.Users))
	}
	for i, u := range d.Users {
		row := rows[i+1]
		if row.User != u.UserName || row.PasswordEnabled.Bool() != u.PasswordEnabled || row.MFAActive != (u.MFA != MFANone) {
			t.Fatalf("row %s disagrees with the world", u.UserName)
		}
		for k, key := range u.AccessKeys {
			if !row.AccessKeys[k].LastRotated.Equal(*key.CreateDate) || row.AccessKeys[k].Active != (key.Status == "Active") {
				t.Fatalf("user %s key %d: report %+v, world %+v", u.UserName, k, row.AccessKeys[k], key)
			}
		}
	}

	// Other IAM reads.
	if _, err := c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{}); (d.PasswordPolicy == nil) != (errCode(err) == "NoSuchEntity") {
		t.Fatalf("GetAccountPasswordPolicy: %v (policy %v)", err, d.PasswordPolicy)
	}
	sum, err := c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil || int(sum.SummaryMap["Users"]) != len(d.Users) {
		t.Fatalf("GetAccountSummary: %v %v", sum, err)
	}
	mfa, err := c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: iamtypes.AssignmentStatusTypeAny})
	if err != nil || len(mfa.VirtualMFADevices) != len(d.VirtualMFADevices) {
		t.Fatalf("ListVirtualMFADevices: %v", err)
	}
	for _, u := range d.Users {
		keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(u.UserName)})
		if err != nil || len(keys.AccessKeyMetadata) != len(u.AccessKeys) {
			t.Fatalf("ListAccessKeys %s: %v", u.UserName, err)
		}
	}
}

func TestS3SNSConfig(t *testing.T) {
	s, cfg := start(t, Options{Seed: 6, AccountsPerOrg: 5, Size: Size{Users: 3}}, Knobs{})
	ctx := context.Background()
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("b")}); err != nil {
		t.Fatal(err)
	}
	keys := []string{"2026-01-01/a/1.json", "2026-01-01/a/2.json", "2026-01-01/b/1.json", "2026-01-01/manifest.json", "2026-01-02/x.json"}
	for _, k := range keys {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String(k), Body: bytes.NewReader([]byte("data:" + k)),
			ServerSideEncryption: "AES256"}); err != nil {
			t.Fatal(err)
		}
	}
	if sse, ok := s.ObjectSSE("b", keys[0]); !ok || sse != "AES256" {
		t.Fatalf("SSE = %q %v", sse, ok)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String(keys[2])})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	if string(body) != "data:"+keys[2] {
		t.Fatalf("GetObject body = %q", body)
	}
	lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("b"), Prefix: aws.String("2026-01-01/"), Delimiter: aws.String("/")})
	if err != nil || len(lo.CommonPrefixes) != 2 || len(lo.Contents) != 1 {
		t.Fatalf("ListObjectsV2 delimiter: %+v %v", lo, err)
	}
	var listed []string
	pg := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("b"), MaxKeys: aws.Int32(2)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			listed = append(listed, *o.Key)
		}
	}
	if !reflect.DeepEqual(listed, keys) {
		t.Fatalf("paginated listing = %v", listed)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("b"), Key: aws.String(keys[0])}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String(keys[0])}); errCode(err) != "NoSuchKey" {
		t.Fatalf("deleted object: %v", err)
	}

	sc := sns.NewFromConfig(cfg)
	topic, err := sc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orgiam")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("hello"), Subject: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	if m := s.Published(); len(m) != 1 || m[0].Message != "hello" || m[0].TopicArn != *topic.TopicArn {
		t.Fatalf("Published = %+v", m)
	}

	cc := configservice.NewFromConfig(cfg)
	want := 0
	for _, a := range s.World().Accounts() {
		if a.Status == "ACTIVE" {
			want += len(s.World().Account(a.ID).Users)
		}
	}
	n := 0
	cp := configservice.NewSelectAggregateResourceConfigPaginator(cc, &configservice.SelectAggregateResourceConfigInput{
		ConfigurationAggregatorName: aws.String("orgiam-aggregator"), Expression: aws.String("SELECT * WHERE resourceType = 'AWS::IAM::User'"), Limit: 4})
	for cp.HasMorePages() {
		out, err := cp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Results {
			if !strings.Contains(r, `"resourceType":"AWS::IAM::User"`) || !strings.Contains(r, `"configuration":{"path"`) {
				t.Fatalf("config item = %s", r)
			}
		}
		n += len(out.Results)
	}
	if n != want {
		t.Fatalf("config users = %d, want %d", n, want)
	}
	_, err = cc.SelectAggregateResourceConfig(ctx, &configservice.SelectAggregateResourceConfigInput{ConfigurationAggregatorName: aws.String("nope"), Expression: aws.String("SELECT *")})
	if errCode(err) != "NoSuchConfigurationAggregatorException" {
		t.Fatalf("unknown aggregator: %v", err)
	}
}
