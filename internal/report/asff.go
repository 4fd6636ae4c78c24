package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/iamarn"
)

// FormatASFF is the AWS Security Finding Format (Security Hub's), a JSON
// array of findings.
const FormatASFF = "asff"

// ASFFSchemaVersion is the only version Security Hub accepts.
const ASFFSchemaVersion = "2018-10-08"

// ASFF is one finding in the AWS Security Finding Format, with the fields
// orgiam fills. Field names are ASFF's.
type ASFF struct {
	SchemaVersion   string            `json:"SchemaVersion"`
	ID              string            `json:"Id"`
	ProductArn      string            `json:"ProductArn"`
	GeneratorID     string            `json:"GeneratorId"`
	AwsAccountID    string            `json:"AwsAccountId"`
	Types           []string          `json:"Types"`
	FirstObservedAt string            `json:"FirstObservedAt,omitempty"`
	LastObservedAt  string            `json:"LastObservedAt,omitempty"`
	CreatedAt       string            `json:"CreatedAt"`
	UpdatedAt       string            `json:"UpdatedAt"`
	Severity        ASFFSeverity      `json:"Severity"`
	Title           string            `json:"Title"`
	Description     string            `json:"Description"`
	Remediation     *ASFFRemediation  `json:"Remediation,omitempty"`
	ProductFields   map[string]string `json:"ProductFields,omitempty"`
	Resources       []ASFFResource    `json:"Resources"`
	Compliance      ASFFCompliance    `json:"Compliance"`
	RecordState     string            `json:"RecordState"`
	Workflow        ASFFWorkflow      `json:"Workflow"`
	Region          string            `json:"Region"`
	// Note carries the mute reason of a suppressed finding.
	Note *ASFFNote `json:"Note,omitempty"`
}

// ASFFSeverity is Severity: Label is INFORMATIONAL, LOW, MEDIUM, HIGH or
// CRITICAL; Original the check's own severity.
type ASFFSeverity struct {
	Label    string `json:"Label"`
	Original string `json:"Original,omitempty"`
}

// ASFFRemediation is Remediation.Recommendation.
type ASFFRemediation struct {
	Recommendation ASFFRecommendation `json:"Recommendation"`
}

// ASFFRecommendation is the remediation text and its link.
type ASFFRecommendation struct {
	Text string `json:"Text,omitempty"`
	URL  string `json:"Url,omitempty"`
}

// ASFFResource is one entry of Resources.
type ASFFResource struct {
	Type      string `json:"Type"`
	ID        string `json:"Id"`
	Partition string `json:"Partition"`
	Region    string `json:"Region"`
}

// ASFFCompliance is Compliance: Status PASSED or FAILED, and the
// requirement ids of the check.
type ASFFCompliance struct {
	Status              string   `json:"Status"`
	RelatedRequirements []string `json:"RelatedRequirements,omitempty"`
}

// ASFFWorkflow is Workflow: NEW, SUPPRESSED (muted) or RESOLVED (passed).
type ASFFWorkflow struct {
	Status string `json:"Status"`
}

// ASFFNote is Note.
type ASFFNote struct {
	Text      string `json:"Text"`
	UpdatedBy string `json:"UpdatedBy"`
	UpdatedAt string `json:"UpdatedAt"`
}

// ASFFOptions say where the findings go.
type ASFFOptions struct {
	// Region is the Security Hub region: IAM findings are global, and ASFF
	// needs one. Empty: the partition's home region (HomeRegion).
	Region string
	// ProductAccount is the account whose default product the findings
	// are imported into (the Security Hub administrator account that calls
	// BatchImportFindings). Empty: each finding's own account, as when each
	// account imports its own findings.
	ProductAccount string
	// Now is UpdatedAt and LastObservedAt.
	Now time.Time
}

// HomeRegion is the region a partition's global services live in: where
// the ASFF of IAM findings goes without a --security-hub-region.
func HomeRegion(partition string) string {
	switch partition {
	case "aws-cn":
		return "cn-north-1"
	case "aws-us-gov":
		return "us-gov-west-1"
	case "aws-iso":
		return "us-iso-east-1"
	case "aws-iso-b":
		return "us-isob-east-1"
	}
	return "us-east-1"
}

// ASFF limits (Security Hub rejects longer values).
const (
	asffTitleMax       = 256
	asffDescriptionMax = 1024
	asffRemediationMax = 512
)

// ToASFF converts a finding.
func ToASFF(f *Finding, o ASFFOptions) ASFF {
	partition := iamarn.Partition(f.ResourceARN)
	if partition == "" {
		partition = "aws"
	}
	region := o.Region
	if region == "" {
		region = HomeRegion(partition)
	}
	product := o.ProductAccount
	if product == "" {
		product = f.AccountID
	}
	now := o.Now.UTC().Format(time.RFC3339)
	first := now
	if !f.FirstSeen.IsZero() {
		first = f.FirstSeen.UTC().Format(time.RFC3339)
	}
	id := f.ID
	if id == "" {
		id = FindingID(f.CheckID, f.AccountID, f.Principal)
	}
	a := ASFF{
		SchemaVersion:   ASFFSchemaVersion,
		ID:              "orgiam/" + id,
		ProductArn:      fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", partition, region, product, product),
		GeneratorID:     "orgiam/cis-aws-iam/" + f.CheckID,
		AwsAccountID:    f.AccountID,
		Types:           []string{"Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"},
		FirstObservedAt: first, LastObservedAt: now,
		CreatedAt: first, UpdatedAt: now,
		Severity:    ASFFSeverity{Label: strings.ToUpper(f.Severity), Original: f.Severity},
		Title:       truncate(f.Title, asffTitleMax),
		Description: truncate(f.Evidence, asffDescriptionMax),
		ProductFields: map[string]string{
			"orgiam/FindingId":     id,
			"orgiam/CheckId":       f.CheckID,
			"orgiam/CheckIdLegacy": f.CheckIDLegacy,
			"orgiam/Principal":     f.Principal,
		},
		Resources:   []ASFFResource{asffResource(f, partition, region)},
		Compliance:  ASFFCompliance{Status: "FAILED", RelatedRequirements: asffRequirements(f.Compliance)},
		RecordState: "ACTIVE",
		Workflow:    ASFFWorkflow{Status: "NEW"},
		Region:      region,
	}
	if a.Description == "" {
		a.Description = a.Title
	}
	if f.Severity == "" {
		a.Severity.Label = "INFORMATIONAL"
	}
	if f.Status == StatusPass {
		a.Compliance.Status = "PASSED"
		a.Severity.Label = "INFORMATIONAL"
		a.Workflow.Status = "RESOLVED"
	}
	if f.Remediation != "" || f.RemediationURL != "" {
		a.Remediation = &ASFFRemediation{Recommendation: ASFFRecommendation{Text: truncate(f.Remediation, asffRemediationMax), URL: f.RemediationURL}}
	}
	if f.Muted {
		a.Workflow.Status = "SUPPRESSED"
		a.Note = &ASFFNote{Text: truncate("Muted: "+f.MuteReason, 512), UpdatedBy: "orgiam mutelist", UpdatedAt: now}
	}
	return a
}

// asffResource is the finding's resource: the IAM user, role, group or
// policy, or the account (Security Hub's own "AWS::::Account:<id>" form)
// for the root user and account-level findings.
func asffResource(f *Finding, partition, region string) ASFFResource {
	r := ASFFResource{Type: "AwsAccount", ID: "AWS::::Account:" + f.AccountID, Partition: partition, Region: region}
	if !strings.HasPrefix(f.Principal, "arn:") {
		return r
	}
	res := f.ResourceARN
	if res == "" {
		res = f.Principal
	}
	a, _ := iamarn.Parse(res)
	switch a.Type {
	case "user":
		r.Type = "AwsIamUser"
	case "role":
		r.Type = "AwsIamRole"
	case "group":
		r.Type = "AwsIamGroup"
	case "policy":
		r.Type = "AwsIamPolicy"
	default:
		r.Type = "Other"
	}
	r.ID = res
	return r
}

// asffRequirements is the CIS requirement ids as Security Hub writes
// them ("CIS AWS Foundations Benchmark v5.0.0/1.4").
func asffRequirements(comp []string) []string {
	var out []string
	for _, c := range comp {
		fw, id, ok := strings.Cut(c, ":")
		if !ok {
			continue
		}
		if v, ok := cisVersion(fw); ok {
			out = append(out, "CIS AWS Foundations Benchmark v"+v+"/"+id)
		} else {
			out = append(out, c)
		}
	}
	// Security Hub takes at most 32.
	if len(out) > 32 {
		out = out[:32]
	}
	return out
}

// cisVersion is the full version of a Prowler-style CIS framework name
// ("cis_5.0_aws" → "5.0.0").
func cisVersion(fw string) (string, bool) {
	v, ok := strings.CutPrefix(fw, "cis_")
	if !ok {
		return "", false
	}
	v, ok = strings.CutSuffix(v, "_aws")
	if !ok {
		return "", false
	}
	return v + ".0", true
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
