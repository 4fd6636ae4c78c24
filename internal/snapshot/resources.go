package snapshot

import (
	"encoding/json"
	"time"
)

// Region outcomes in a RegionScan (an account's own status stays in the
// manifest: ok, partial, failed or skipped).
const (
	// StatusPartial is an account or region that kept its data but missed
	// part of it: a collector was denied (an SCP), throttled out, or failed.
	StatusPartial = "partial"
)

// RegionScan is one account × region item of a run,
// accounts/<id>/regions/<region>.json: every regional collector's resources
// of that region and the item's outcome, written once when the item ends
// (whether its collectors succeeded or not). Its presence marks the item
// done; one object per account × region keeps the object count per account
// at the IAM files plus one per enabled region.
type RegionScan struct {
	SchemaVersion int       `json:"schemaVersion"`
	AccountID     string    `json:"accountId"`
	Region        string    `json:"region"`
	Status        string    `json:"status"`           // ok, partial, failed, skipped
	Reason        string    `json:"reason,omitempty"` // why skipped or failed
	CollectedAt   time.Time `json:"collectedAt"`
	APICalls      int64     `json:"apiCalls"`
	DurationMS    int64     `json:"durationMs"`
	// Collectors are the names of the collectors that ran.
	Collectors []string `json:"collectors"`
	// Warnings are the collectors that could not read all they should
	// (AccessDenied from an SCP, a service not available in the region).
	Warnings  []CollectorWarning `json:"warnings,omitempty"`
	Resources []Resource         `json:"resources"`
}

// AccountResources is an account's global resource-based data,
// accounts/<id>/resources.json: what one regional endpoint answers for
// every region (S3 buckets, each with its own region, and the account's
// S3 Block Public Access).
type AccountResources struct {
	SchemaVersion int       `json:"schemaVersion"`
	AccountID     string    `json:"accountId"`
	CollectedAt   time.Time `json:"collectedAt"`
	// S3BlockPublicAccess is the account-level setting (s3control), nil when
	// it is not set (nothing blocked) or could not be read (see Warnings).
	S3BlockPublicAccess *BlockPublicAccess `json:"s3BlockPublicAccess,omitempty"`
	Warnings            []CollectorWarning `json:"warnings,omitempty"`
	Resources           []Resource         `json:"resources"`
}

// CollectorWarning is a collector that missed data without failing its item.
type CollectorWarning struct {
	Collector string `json:"collector"`
	Region    string `json:"region,omitempty"`
	Operation string `json:"operation,omitempty"` // "kms:GetKeyPolicy"
	Code      string `json:"code,omitempty"`      // AWS error code: AccessDenied, …
	Resource  string `json:"resource,omitempty"`  // the resource ARN, when one resource failed
	Message   string `json:"message"`
}

// Resource is one resource with a resource-based policy (or a setting that
// decides who can reach it).
type Resource struct {
	Service string `json:"service"` // s3, kms, sqs, sns, lambda, secretsmanager, ecr
	// Type is the resource type of the service's ARN: bucket, key, queue,
	// topic, function, alias, secret, repository, registry.
	Type    string `json:"type"`
	ARN     string `json:"arn"`
	Name    string `json:"name"`
	Region  string `json:"region"`
	Account string `json:"account"`
	// Policy is the resource-based policy document as a JSON object; absent
	// when the resource has none.
	Policy json.RawMessage `json:"policy,omitempty"`
	// BlockPublicAccess is an S3 bucket's own setting (nil: none set).
	BlockPublicAccess *BlockPublicAccess `json:"blockPublicAccess,omitempty"`
	// PublicGrants are S3 ACL grants to everyone or to any authenticated
	// AWS user.
	PublicGrants []ACLGrant `json:"publicGrants,omitempty"`
	// Attributes are other facts of the resource, by name: KeyManager and
	// KeyState for KMS keys, FunctionVersion for aliases, …
	Attributes map[string]string `json:"attributes,omitempty"`
}

// BlockPublicAccess is S3's PublicAccessBlockConfiguration (AWS's shape).
type BlockPublicAccess struct {
	BlockPublicAcls       bool `json:"BlockPublicAcls"`
	IgnorePublicAcls      bool `json:"IgnorePublicAcls"`
	BlockPublicPolicy     bool `json:"BlockPublicPolicy"`
	RestrictPublicBuckets bool `json:"RestrictPublicBuckets"`
}

// ACLGrant is an S3 ACL grant to a group of grantees.
type ACLGrant struct {
	// Grantee is AllUsers or AuthenticatedUsers (the group URI's last part).
	Grantee    string `json:"grantee"`
	Permission string `json:"permission"` // READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL
}
