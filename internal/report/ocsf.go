package report

import (
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/iamarn"
)

// FormatOCSF is OCSF Detection Finding (class 2004) as Prowler writes it:
// one JSON array of findings.
const FormatOCSF = "ocsf"

// OCSF constants of the Detection Finding class.
const (
	OCSFVersion        = "1.4.0"
	ocsfClassUID       = 2004
	ocsfCategoryUID    = 2 // Findings
	ocsfActivityCreate = 1
)

// OCSF severity_id and status_id values.
const (
	ocsfSeverityInformational = 1
	ocsfSeverityLow           = 2
	ocsfSeverityMedium        = 3
	ocsfSeverityHigh          = 4
	ocsfStatusNew             = 1
	ocsfStatusSuppressed      = 3
	ocsfStatusResolved        = 4
)

// OCSF is one Detection Finding with the attributes orgiam fills. The
// shape follows Prowler's json-ocsf output: message, finding_info,
// severity, status (status_code FAIL/PASS), resources, cloud, remediation,
// metadata and unmapped (compliance by framework). Times are OCSF
// timestamp_t, milliseconds since the epoch, each with its _dt string.
type OCSF struct {
	Message      string          `json:"message"`
	ActivityID   int             `json:"activity_id"`
	ActivityName string          `json:"activity_name"`
	CategoryUID  int             `json:"category_uid"`
	CategoryName string          `json:"category_name"`
	ClassUID     int             `json:"class_uid"`
	ClassName    string          `json:"class_name"`
	TypeUID      int             `json:"type_uid"`
	TypeName     string          `json:"type_name"`
	FindingInfo  OCSFFindingInfo `json:"finding_info"`
	Time         int64           `json:"time"`
	TimeDt       string          `json:"time_dt"`
	SeverityID   int             `json:"severity_id"`
	Severity     string          `json:"severity"`
	StatusID     int             `json:"status_id"`
	Status       string          `json:"status"`
	StatusCode   string          `json:"status_code"`
	StatusDetail string          `json:"status_detail"`
	RiskDetails  string          `json:"risk_details,omitempty"`
	Resources    []OCSFResource  `json:"resources"`
	Cloud        OCSFCloud       `json:"cloud"`
	Remediation  OCSFRemediation `json:"remediation"`
	Metadata     OCSFMetadata    `json:"metadata"`
	Unmapped     OCSFUnmapped    `json:"unmapped"`
}

// OCSFFindingInfo is finding_info.
type OCSFFindingInfo struct {
	UID             string   `json:"uid"`
	Title           string   `json:"title"`
	Desc            string   `json:"desc"`
	Types           []string `json:"types"`
	CreatedTime     int64    `json:"created_time"`
	CreatedTimeDt   string   `json:"created_time_dt"`
	FirstSeenTime   int64    `json:"first_seen_time,omitempty"`
	FirstSeenTimeDt string   `json:"first_seen_time_dt,omitempty"`
	LastSeenTime    int64    `json:"last_seen_time"`
	LastSeenTimeDt  string   `json:"last_seen_time_dt"`
}

// OCSFResource is one of resources.
type OCSFResource struct {
	UID            string         `json:"uid"`
	Name           string         `json:"name"`
	Type           string         `json:"type"`
	Region         string         `json:"region"`
	CloudPartition string         `json:"cloud_partition"`
	Group          OCSFGroup      `json:"group"`
	Data           map[string]any `json:"data,omitempty"`
}

// OCSFGroup is a resource's group (the service).
type OCSFGroup struct {
	Name string `json:"name"`
}

// OCSFCloud is cloud.
type OCSFCloud struct {
	Account  OCSFAccount `json:"account"`
	Provider string      `json:"provider"`
	Region   string      `json:"region"`
}

// OCSFAccount is cloud.account (type_id 10: AWS Account).
type OCSFAccount struct {
	UID    string `json:"uid"`
	Name   string `json:"name"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

// OCSFRemediation is remediation.
type OCSFRemediation struct {
	Desc       string   `json:"desc"`
	References []string `json:"references,omitempty"`
}

// OCSFMetadata is metadata.
type OCSFMetadata struct {
	EventCode string      `json:"event_code"`
	Product   OCSFProduct `json:"product"`
	Profiles  []string    `json:"profiles"`
	Version   string      `json:"version"`
}

// OCSFProduct is metadata.product.
type OCSFProduct struct {
	UID        string `json:"uid"`
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version"`
}

// OCSFUnmapped is unmapped: what OCSF has no attribute for.
type OCSFUnmapped struct {
	CheckIDLegacy string `json:"check_id_legacy,omitempty"`
	// Compliance is the check's requirement ids by framework, as Prowler
	// writes them ({"CIS-5.0": ["1.4"], "CIS-4.0": ["1.5"]}).
	Compliance map[string][]string `json:"compliance"`
	MuteReason string              `json:"mute_reason,omitempty"`
}

// OCSFOptions are the values an OCSF finding takes from the run.
type OCSFOptions struct {
	// Now is the event time (the report's generation).
	Now time.Time
	// ToolVersion is metadata.product.version.
	ToolVersion string
}

func ocsfTime(t time.Time) (int64, string) {
	t = t.UTC()
	return t.UnixMilli(), t.Format(time.RFC3339)
}

// ToOCSF converts a finding.
func ToOCSF(f *Finding, o OCSFOptions) OCSF {
	now, nowDt := ocsfTime(o.Now)
	id := f.ID
	if id == "" {
		id = FindingID(f.CheckID, f.AccountID, f.Principal)
	}
	partition := iamarn.Partition(f.ResourceARN)
	if partition == "" {
		partition = "aws"
	}
	region := f.Region
	if region == "" {
		region = RegionGlobal
	}
	v := OCSF{
		Message:      f.Evidence,
		ActivityID:   ocsfActivityCreate,
		ActivityName: "Create",
		CategoryUID:  ocsfCategoryUID,
		CategoryName: "Findings",
		ClassUID:     ocsfClassUID,
		ClassName:    "Detection Finding",
		TypeUID:      ocsfClassUID*100 + ocsfActivityCreate,
		TypeName:     "Detection Finding: Create",
		FindingInfo: OCSFFindingInfo{
			UID: id, Title: f.Title, Desc: f.Evidence,
			Types:       []string{"Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"},
			CreatedTime: now, CreatedTimeDt: nowDt, LastSeenTime: now, LastSeenTimeDt: nowDt,
		},
		Time: now, TimeDt: nowDt,
		StatusID: ocsfStatusNew, Status: "New",
		StatusCode: f.Status, StatusDetail: f.Evidence,
		Resources: []OCSFResource{{
			UID: f.ResourceARN, Name: ocsfResourceName(f), Type: asffResource(f, partition, region).Type,
			Region: region, CloudPartition: partition, Group: OCSFGroup{Name: "iam"},
			Data: map[string]any{"principal": f.Principal},
		}},
		Cloud: OCSFCloud{
			Account:  OCSFAccount{UID: f.AccountID, Name: f.AccountName, TypeID: 10, Type: "AWS Account"},
			Provider: "aws", Region: region,
		},
		Remediation: OCSFRemediation{Desc: f.Remediation},
		Metadata: OCSFMetadata{
			EventCode: f.CheckID,
			Product:   OCSFProduct{UID: "orgiam", Name: "orgiam", VendorName: "orgiam", Version: o.ToolVersion},
			Profiles:  []string{"cloud", "datetime"},
			Version:   OCSFVersion,
		},
		Unmapped: OCSFUnmapped{CheckIDLegacy: f.CheckIDLegacy, Compliance: ocsfCompliance(f.Compliance)},
	}
	if !f.FirstSeen.IsZero() {
		v.FindingInfo.FirstSeenTime, v.FindingInfo.FirstSeenTimeDt = ocsfTime(f.FirstSeen)
		v.FindingInfo.CreatedTime, v.FindingInfo.CreatedTimeDt = v.FindingInfo.FirstSeenTime, v.FindingInfo.FirstSeenTimeDt
	}
	if f.RemediationURL != "" {
		v.Remediation.References = []string{f.RemediationURL}
	}
	switch f.Severity {
	case SeverityHigh:
		v.SeverityID, v.Severity = ocsfSeverityHigh, "High"
	case SeverityMedium:
		v.SeverityID, v.Severity = ocsfSeverityMedium, "Medium"
	case SeverityLow:
		v.SeverityID, v.Severity = ocsfSeverityLow, "Low"
	default:
		v.SeverityID, v.Severity = ocsfSeverityInformational, "Informational"
	}
	if f.Status == StatusPass {
		v.StatusID, v.Status = ocsfStatusResolved, "Resolved"
	}
	if f.Muted {
		v.StatusID, v.Status = ocsfStatusSuppressed, "Suppressed"
		v.Unmapped.MuteReason = f.MuteReason
	}
	if c, ok := CheckByID(f.CheckID); ok {
		v.RiskDetails = c.Rationale
	}
	return v
}

func ocsfResourceName(f *Finding) string {
	if a, ok := iamarn.Parse(f.Principal); ok && a.Name != "" {
		return a.Name
	}
	return f.Principal
}

// ocsfCompliance groups "cis_5.0_aws:1.4" ids by framework as Prowler names
// them ("CIS-5.0").
func ocsfCompliance(comp []string) map[string][]string {
	out := map[string][]string{}
	for _, c := range comp {
		fw, id, ok := strings.Cut(c, ":")
		if !ok {
			continue
		}
		if v, ok := strings.CutPrefix(fw, "cis_"); ok {
			fw = "CIS-" + strings.TrimSuffix(v, "_aws")
		}
		out[fw] = append(out[fw], id)
	}
	return out
}
