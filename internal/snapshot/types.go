// Package snapshot defines what a run stores: the manifest, the organization
// and account files, and the IAM data sets as AWS API shapes (PascalCase field
// names as AWS returns them, policy documents decoded to JSON objects). The
// collectors write these types; the index and the reports read them back.
package snapshot

import (
	"encoding/json"
	"time"
)

// Account statuses in the manifest.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
)

// Scanned reports whether an account of that status has its data: ok, or
// partial (StatusPartial: some collectors were denied).
func Scanned(status string) bool { return status == StatusOK || status == StatusPartial }

// Manifest is written last; its presence marks a run complete.
type Manifest struct {
	SchemaVersion int             `json:"schemaVersion"`
	ToolVersion   string          `json:"toolVersion"`
	RunID         string          `json:"runId"`
	Date          string          `json:"date"`
	Prefix        string          `json:"prefix"`
	Store         string          `json:"store,omitempty"`
	Started       time.Time       `json:"started"`
	Finished      time.Time       `json:"finished"`
	Organizations []Organization  `json:"organizations"`
	Accounts      []AccountResult `json:"accounts"`
	Totals        Totals          `json:"totals"`
	// Errors are run-level problems, such as an organization that could not
	// be listed (its accounts are then missing from the run).
	Errors []string `json:"errors,omitempty"`
	// Collectors are the collectors the run ran, when --collectors kept it
	// to some of them (empty: all): the data sets of the others are absent
	// by choice, not lost.
	Collectors []string `json:"collectors,omitempty"`
}

// Totals sums a run.
type Totals struct {
	Accounts int `json:"accounts"`
	OK       int `json:"ok"`
	Failed   int `json:"failed"`
	Skipped  int `json:"skipped"`
	// Partial accounts kept their data but missed part of it (a denied
	// collector, a failed region); they are neither ok nor failed.
	Partial           int            `json:"partial"`
	Entities          map[string]int `json:"entities,omitempty"`
	APICalls          int64          `json:"apiCalls"`
	Throttles         int64          `json:"throttles"`
	ObjectsWritten    int64          `json:"objectsWritten"`
	WallSeconds       float64        `json:"wallSeconds"`
	CredentialReports int            `json:"credentialReports"`
	MeanRate          float64        `json:"meanRate,omitempty"` // IAM, STS and Organizations calls per second over the scan
	PeakRate          float64        `json:"peakRate,omitempty"` // the most such calls within one second (the mean when the scan took less)
}

// AccountResult is one account's line in the manifest.
type AccountResult struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	OrgID  string `json:"orgId,omitempty"`
	Status string `json:"status"`
	// Error is set when Status is failed (the wrapped error) or skipped (the
	// reason); for a partial account it names what is missing.
	Error string `json:"error,omitempty"`
	// Counts of entities collected, by data set (users, roles, …).
	Counts map[string]int `json:"counts,omitempty"`
	// Warnings are non-fatal problems (a credential report that did not complete, …).
	Warnings   []string `json:"warnings,omitempty"`
	DurationMS int64    `json:"durationMs"`
}

// RunInfo is written when a run starts (run.json).
type RunInfo struct {
	SchemaVersion int       `json:"schemaVersion"`
	ToolVersion   string    `json:"toolVersion"`
	RunID         string    `json:"runId"`
	Date          string    `json:"date"`
	Prefix        string    `json:"prefix"`
	Started       time.Time `json:"started"`
	// Collectors are the names of the collectors the run runs, when
	// --collectors kept it to some of them (empty: all).
	Collectors []string `json:"collectors,omitempty"`
}

// Organization is organizations:DescribeOrganization's shape (AWS's names),
// then orgiam's own fields (camelCase); stored as
// organizations/<org-id>/organization.json with its schemaVersion.
type Organization struct {
	// SchemaVersion is set on the stored record (0 in a version 1 file).
	SchemaVersion      int    `json:"schemaVersion,omitempty"`
	ID                 string `json:"Id"`
	Arn                string `json:"Arn,omitempty"`
	MasterAccountID    string `json:"MasterAccountId,omitempty"`
	MasterAccountArn   string `json:"MasterAccountArn,omitempty"`
	MasterAccountEmail string `json:"MasterAccountEmail,omitempty"`
	FeatureSet         string `json:"FeatureSet,omitempty"`
	// ListRoleArn is the role orgiam used to list this organization ("" = base credentials).
	ListRoleArn string `json:"listRoleArn,omitempty,case:ignore"`
}

// OU is an organizational unit (or the root, Type "ROOT"): Organizations'
// OrganizationalUnit and Root shapes (Id, Arn, Name, PolicyTypes), then
// where orgiam found it (camelCase).
type OU struct {
	ID       string `json:"Id"`
	Arn      string `json:"Arn,omitempty"`
	Name     string `json:"Name"`
	Type     string `json:"type,case:ignore"` // ROOT or ORGANIZATIONAL_UNIT
	ParentID string `json:"parentId,omitempty,case:ignore"`
	// Path is the names from the root, e.g. "Root/Workloads/Prod".
	Path string `json:"path,case:ignore"`
	// PolicyTypes, on the root only, are the policy types as ListRoots
	// gives them: a type not listed is disabled.
	PolicyTypes []PolicyTypeSummary `json:"PolicyTypes,omitempty"`
}

// Account is organizations' Account shape (AWS's names) plus where orgiam
// found it (camelCase). It is the item of the run's account list (the scan
// step's input).
type Account struct {
	ID              string     `json:"Id"`
	Arn             string     `json:"Arn,omitempty"`
	Name            string     `json:"Name,omitempty"`
	Email           string     `json:"Email,omitempty"`
	Status          string     `json:"Status,omitempty"` // ACTIVE, SUSPENDED, PENDING_CLOSURE
	State           string     `json:"State,omitempty"`
	JoinedMethod    string     `json:"JoinedMethod,omitempty"`
	JoinedTimestamp *time.Time `json:"JoinedTimestamp,omitempty"`
	OrgID           string     `json:"orgId,omitempty,case:ignore"`
	ParentID        string     `json:"parentId,omitempty,case:ignore"`
	OUPath          string     `json:"ouPath,omitempty,case:ignore"`
	// Management is true for the organization's management account.
	Management bool `json:"management,omitempty,case:ignore"`
	// SkipReason is set on accounts discovery left out (suspended, filtered).
	SkipReason string `json:"skipReason,omitempty,case:ignore"`
}

// ScanSummary is what the scan step recorded in account.json.
type ScanSummary struct {
	// Counts of entities collected, by data set (users, roles, …).
	Counts     map[string]int `json:"counts,case:ignore"`
	APICalls   int64          `json:"apiCalls,case:ignore"`
	DurationMS int64          `json:"durationMs,case:ignore"`
	Warnings   []string       `json:"warnings,omitempty,case:ignore"`
	// Regions are the account × region items of the account: one
	// regions/<region>.json each (a skipped region's says why). The account
	// is complete when every one is written.
	Regions []string `json:"regions,omitempty"`
	// CollectorWarnings are what the account's own collectors could not
	// read (a denied call): the account is then partial.
	CollectorWarnings []CollectorWarning `json:"collectorWarnings,omitempty"`
}

// AccountInfo is accounts/<id>/account.json: the account as Organizations
// describes it (its AWS shape, PascalCase), then orgiam's own fields
// (camelCase, versioned by SchemaVersion). Summary, PasswordPolicy,
// ServerCertificates and SecurityContact's contact hold AWS shapes: the
// account-level settings live here, not in objects of their own.
type AccountInfo struct {
	Account
	SchemaVersion  int              `json:"schemaVersion"`
	Partition      string           `json:"partition,case:ignore"`
	CollectRoleArn string           `json:"collectRoleArn,omitempty,case:ignore"`
	Aliases        []string         `json:"aliases,case:ignore"`
	Summary        map[string]int32 `json:"summary,omitempty,case:ignore"`
	// PasswordPolicy is nil when the account has none (NoSuchEntity).
	PasswordPolicy *PasswordPolicy `json:"passwordPolicy,case:ignore"`
	// SecurityContact is the account's SECURITY alternate contact and
	// whether it could be read (nil: not collected).
	SecurityContact *SecurityContact `json:"securityContact,omitempty"`
	// ServerCertificates are the account's IAM server certificates; nil
	// (absent) when they could not be listed, [] when there are none.
	// Runs written before these two settings moved here keep them in
	// iam/security-contact.json and iam/server-certificates.json (the
	// report reader falls back to those files).
	ServerCertificates []ServerCertificate `json:"serverCertificates,omitzero"`
	CollectedAt        time.Time           `json:"collectedAt,case:ignore"`
	Scan               ScanSummary         `json:"scan,case:ignore"`
}

// PasswordPolicy is iam:GetAccountPasswordPolicy's shape.
type PasswordPolicy struct {
	MinimumPasswordLength      int32 `json:"MinimumPasswordLength,case:ignore"`
	RequireSymbols             bool  `json:"RequireSymbols"`
	RequireNumbers             bool  `json:"RequireNumbers"`
	RequireUppercaseCharacters bool  `json:"RequireUppercaseCharacters"`
	RequireLowercaseCharacters bool  `json:"RequireLowercaseCharacters"`
	AllowUsersToChangePassword bool  `json:"AllowUsersToChangePassword"`
	ExpirePasswords            bool  `json:"ExpirePasswords"`
	MaxPasswordAge             int32 `json:"MaxPasswordAge,omitempty"`
	PasswordReusePrevention    int32 `json:"PasswordReusePrevention,omitempty"`
	HardExpiry                 bool  `json:"HardExpiry"`
}

// Tag is an IAM tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// InlinePolicy is a policy embedded in a user, group or role.
type InlinePolicy struct {
	PolicyName     string          `json:"PolicyName"`
	PolicyDocument json.RawMessage `json:"PolicyDocument"`
}

// AttachedPolicy references a managed policy.
type AttachedPolicy struct {
	PolicyName string `json:"PolicyName"`
	PolicyArn  string `json:"PolicyArn"`
}

// Boundary is a permissions boundary.
type Boundary struct {
	PermissionsBoundaryType string `json:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `json:"PermissionsBoundaryArn"`
}

// AccessKey is iam:ListAccessKeys' shape. Last use comes from the credential report.
type AccessKey struct {
	AccessKeyID string     `json:"AccessKeyId"`
	Status      string     `json:"Status"` // Active or Inactive
	CreateDate  *time.Time `json:"CreateDate"`
}

// User is GetAccountAuthorizationDetails' UserDetail plus the user's access keys.
type User struct {
	Path                    string           `json:"Path"`
	UserName                string           `json:"UserName"`
	UserID                  string           `json:"UserId"`
	Arn                     string           `json:"Arn"`
	CreateDate              *time.Time       `json:"CreateDate"`
	UserPolicyList          []InlinePolicy   `json:"UserPolicyList"`
	GroupList               []string         `json:"GroupList"`
	AttachedManagedPolicies []AttachedPolicy `json:"AttachedManagedPolicies"`
	PermissionsBoundary     *Boundary        `json:"PermissionsBoundary,omitempty"`
	Tags                    []Tag            `json:"Tags"`
	AccessKeys              []AccessKey      `json:"AccessKeys"`
}

// Group is GetAccountAuthorizationDetails' GroupDetail.
type Group struct {
	Path                    string           `json:"Path"`
	GroupName               string           `json:"GroupName"`
	GroupID                 string           `json:"GroupId"`
	Arn                     string           `json:"Arn"`
	CreateDate              *time.Time       `json:"CreateDate"`
	GroupPolicyList         []InlinePolicy   `json:"GroupPolicyList"`
	AttachedManagedPolicies []AttachedPolicy `json:"AttachedManagedPolicies"`
}

// RoleLastUsed is when and where a role was last used.
type RoleLastUsed struct {
	LastUsedDate *time.Time `json:"LastUsedDate,omitempty"`
	Region       string     `json:"Region,omitempty"`
}

// RoleRef is a role inside an instance profile.
type RoleRef struct {
	Path     string `json:"Path"`
	RoleName string `json:"RoleName"`
	RoleID   string `json:"RoleId"`
	Arn      string `json:"Arn"`
}

// InstanceProfile is iam:ListInstanceProfiles' shape.
type InstanceProfile struct {
	Path                string     `json:"Path"`
	InstanceProfileName string     `json:"InstanceProfileName"`
	InstanceProfileID   string     `json:"InstanceProfileId"`
	Arn                 string     `json:"Arn"`
	CreateDate          *time.Time `json:"CreateDate"`
	Roles               []RoleRef  `json:"Roles"`
	Tags                []Tag      `json:"Tags,omitempty"`
}

// Role is GetAccountAuthorizationDetails' RoleDetail.
type Role struct {
	Path                     string            `json:"Path"`
	RoleName                 string            `json:"RoleName"`
	RoleID                   string            `json:"RoleId"`
	Arn                      string            `json:"Arn"`
	CreateDate               *time.Time        `json:"CreateDate"`
	AssumeRolePolicyDocument json.RawMessage   `json:"AssumeRolePolicyDocument"`
	InstanceProfileList      []InstanceProfile `json:"InstanceProfileList"`
	RolePolicyList           []InlinePolicy    `json:"RolePolicyList"`
	AttachedManagedPolicies  []AttachedPolicy  `json:"AttachedManagedPolicies"`
	PermissionsBoundary      *Boundary         `json:"PermissionsBoundary,omitempty"`
	Tags                     []Tag             `json:"Tags"`
	RoleLastUsed             *RoleLastUsed     `json:"RoleLastUsed,omitempty"`
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	VersionID        string          `json:"VersionId"`
	IsDefaultVersion bool            `json:"IsDefaultVersion"`
	CreateDate       *time.Time      `json:"CreateDate"`
	Document         json.RawMessage `json:"Document"`
}

// ManagedPolicy is GetAccountAuthorizationDetails' ManagedPolicyDetail.
// policies.json holds the account's customer managed policies; AWS managed
// policies are stored once per run under aws-managed-policies/.
type ManagedPolicy struct {
	PolicyName                    string          `json:"PolicyName"`
	PolicyID                      string          `json:"PolicyId"`
	Arn                           string          `json:"Arn"`
	Path                          string          `json:"Path"`
	DefaultVersionID              string          `json:"DefaultVersionId"`
	AttachmentCount               int32           `json:"AttachmentCount"`
	PermissionsBoundaryUsageCount int32           `json:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool            `json:"IsAttachable"`
	Description                   string          `json:"Description,omitempty"`
	CreateDate                    *time.Time      `json:"CreateDate"`
	UpdateDate                    *time.Time      `json:"UpdateDate"`
	PolicyVersionList             []PolicyVersion `json:"PolicyVersionList"`
}

// DefaultDocument returns the document of the default version (nil if absent).
func (p ManagedPolicy) DefaultDocument() json.RawMessage {
	for _, v := range p.PolicyVersionList {
		if v.IsDefaultVersion || (p.DefaultVersionID != "" && v.VersionID == p.DefaultVersionID) {
			return v.Document
		}
	}
	return nil
}

// SAMLProvider is ListSAMLProviders + GetSAMLProvider.
type SAMLProvider struct {
	Arn                  string     `json:"Arn"`
	CreateDate           *time.Time `json:"CreateDate"`
	ValidUntil           *time.Time `json:"ValidUntil"`
	SAMLMetadataDocument string     `json:"SAMLMetadataDocument,omitempty"`
	Tags                 []Tag      `json:"Tags,omitempty"`
}

// OIDCProvider is ListOpenIDConnectProviders + GetOpenIDConnectProvider.
type OIDCProvider struct {
	Arn            string     `json:"Arn"`
	Url            string     `json:"Url"`
	ClientIDList   []string   `json:"ClientIDList"`
	ThumbprintList []string   `json:"ThumbprintList"`
	CreateDate     *time.Time `json:"CreateDate"`
	Tags           []Tag      `json:"Tags,omitempty"`
}

// MFAUser is the user a virtual MFA device is assigned to.
type MFAUser struct {
	UserName string `json:"UserName"`
	UserID   string `json:"UserId"`
	Arn      string `json:"Arn"`
}

// MFADevice is iam:ListVirtualMFADevices' shape (AssignmentStatus Any).
type MFADevice struct {
	SerialNumber string     `json:"SerialNumber"`
	EnableDate   *time.Time `json:"EnableDate,omitempty"`
	User         *MFAUser   `json:"User,omitempty"`
	Tags         []Tag      `json:"Tags,omitempty"`
}

// ErrorRecord is accounts/<id>/error.json: why an account's scan failed.
type ErrorRecord struct {
	SchemaVersion int       `json:"schemaVersion"`
	AccountID     string    `json:"accountId"`
	Phase         string    `json:"phase"`               // assume-role, collect, credential-report, …
	Operation     string    `json:"operation,omitempty"` // e.g. sts:AssumeRole
	Code          string    `json:"code,omitempty"`      // AWS error code, e.g. AccessDenied
	Message       string    `json:"message"`
	Time          time.Time `json:"time"`
}
