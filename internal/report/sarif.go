package report

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
)

// FormatSARIF is SARIF 2.1.0, for code-scanning interfaces: one run whose
// rules are the checks and whose results are the findings.
const FormatSARIF = "sarif"

// SARIF is the top of a SARIF 2.1.0 log.
type SARIF struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []SARIFRun `json:"runs"`
}

// SARIFRun is one run.
type SARIFRun struct {
	Tool               SARIFTool                   `json:"tool"`
	OriginalURIBaseIDs map[string]SARIFArtifactLoc `json:"originalUriBaseIds,omitempty"`
	Results            []SARIFResult               `json:"results"`
}

// SARIFTool is tool.
type SARIFTool struct {
	Driver SARIFDriver `json:"driver"`
}

// SARIFDriver is tool.driver.
type SARIFDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []SARIFRule `json:"rules"`
}

// SARIFRule is one check.
type SARIFRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     SARIFText         `json:"shortDescription"`
	FullDescription      SARIFText         `json:"fullDescription"`
	Help                 SARIFText         `json:"help"`
	HelpURI              string            `json:"helpUri,omitempty"`
	DefaultConfiguration SARIFRuleConfig   `json:"defaultConfiguration"`
	Properties           SARIFRuleProperty `json:"properties"`
}

// SARIFText is a message.
type SARIFText struct {
	Text string `json:"text"`
}

// SARIFRuleConfig is a rule's default level.
type SARIFRuleConfig struct {
	Level string `json:"level"`
}

// SARIFRuleProperty carries the tags (compliance ids) and GitHub's
// security-severity score.
type SARIFRuleProperty struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity"`
}

// SARIFResult is one finding.
type SARIFResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Kind                string            `json:"kind"`
	Level               string            `json:"level"`
	Message             SARIFText         `json:"message"`
	Locations           []SARIFLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Suppressions        []SARIFSuppress   `json:"suppressions,omitempty"`
	Properties          map[string]string `json:"properties,omitempty"`
}

// SARIFLocation is a result's location: the stored file of the run the
// finding was read from, and the principal as a logical location.
type SARIFLocation struct {
	PhysicalLocation *SARIFPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []SARIFLogical `json:"logicalLocations"`
}

// SARIFPhysical is physicalLocation.
type SARIFPhysical struct {
	ArtifactLocation SARIFArtifactLoc `json:"artifactLocation"`
}

// SARIFArtifactLoc is an artifactLocation.
type SARIFArtifactLoc struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

// SARIFLogical is a logical location.
type SARIFLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// SARIFSuppress is a suppression (a muted finding).
type SARIFSuppress struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifBase    = "SNAPSHOT"
	orgiamURI    = "https://github.com/orgiam/orgiam"
	fingerprintK = "orgiamFindingId/v1"
)

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(sev string) string {
	switch sev {
	case SeverityHigh:
		return "error"
	case SeverityMedium:
		return "warning"
	}
	return "note"
}

// sarifScore is GitHub's security-severity (high ≥ 7, medium ≥ 4).
func sarifScore(sev string) string {
	switch sev {
	case SeverityHigh:
		return "8.0"
	case SeverityMedium:
		return "5.0"
	}
	return "3.0"
}

// SARIFRules is the rules of the checks, in benchmark order; index maps a
// check id to its rule's index.
func SARIFRules(checks []Check) (rules []SARIFRule, index map[string]int) {
	index = map[string]int{}
	for i := range checks {
		c := &checks[i]
		index[c.ID] = len(rules)
		help := c.Remediation
		if l := c.RemediationLink(); l != "" {
			help += " " + l
		}
		rules = append(rules, SARIFRule{
			ID:                   c.ID,
			Name:                 "CIS" + strings.ReplaceAll(c.ID, ".", "_"),
			ShortDescription:     SARIFText{Text: c.Title},
			FullDescription:      SARIFText{Text: c.Rationale},
			Help:                 SARIFText{Text: help},
			HelpURI:              c.RemediationLink(),
			DefaultConfiguration: SARIFRuleConfig{Level: sarifLevel(c.Severity)},
			Properties:           SARIFRuleProperty{Tags: append([]string{"security"}, c.Compliance...), SecuritySeverity: sarifScore(c.Severity)},
		})
	}
	return rules, index
}

// ToSARIF converts a finding; ruleIndex is its rule's position.
func ToSARIF(f *Finding, ruleIndex int) SARIFResult {
	id := f.ID
	if id == "" {
		id = FindingID(f.CheckID, f.AccountID, f.Principal)
	}
	r := SARIFResult{
		RuleID: f.CheckID, RuleIndex: ruleIndex, Kind: "fail", Level: sarifLevel(f.Severity),
		Message: SARIFText{Text: f.Evidence},
		Locations: []SARIFLocation{{
			PhysicalLocation: &SARIFPhysical{ArtifactLocation: SARIFArtifactLoc{URI: sarifArtifact(f), URIBaseID: sarifBase}},
			LogicalLocations: []SARIFLogical{{Name: f.Principal, FullyQualifiedName: f.AccountID + "/" + f.ResourceARN, Kind: "resource"}},
		}},
		PartialFingerprints: map[string]string{fingerprintK: id},
		Properties:          map[string]string{"account_id": f.AccountID, "account_name": f.AccountName, "resource_arn": f.ResourceARN},
	}
	if r.Message.Text == "" {
		r.Message.Text = f.Title
	}
	if f.Status == StatusPass {
		r.Kind, r.Level = "pass", "none"
	}
	if f.Muted {
		r.Suppressions = []SARIFSuppress{{Kind: "external", Status: "accepted", Justification: f.MuteReason}}
	}
	return r
}

// sarifArtifact is the stored file of the run a finding is read from,
// relative to the run: the credential report for the root user, the IAM
// policies for a policy, the users for a user, the account file otherwise.
func sarifArtifact(f *Finding) string {
	base := "accounts/" + f.AccountID + "/"
	switch {
	case f.Principal == PrincipalRoot:
		return base + "credential-report.csv"
	case strings.Contains(f.Principal, ":policy/"):
		return base + "iam/policies.json"
	case strings.Contains(f.Principal, ":user/"):
		return base + "iam/users.json"
	case strings.Contains(f.Principal, ":role/"):
		return base + "iam/roles.json"
	case strings.Contains(f.Principal, ":group/"):
		return base + "iam/groups.json"
	}
	return base + "account.json"
}

// writeSARIF writes the log: the head with the rules, then each result as
// it comes (the results are streamed, not held).
func writeSARIF(w io.Writer, version, base string, checks []Check, each func(fn func(*Finding) error) error) error {
	rules, index := SARIFRules(checks)
	head := SARIF{Schema: sarifSchema, Version: "2.1.0", Runs: []SARIFRun{{
		Tool:               SARIFTool{Driver: SARIFDriver{Name: "orgiam", Version: version, InformationURI: orgiamURI, Rules: rules}},
		OriginalURIBaseIDs: map[string]SARIFArtifactLoc{sarifBase: {URI: base}},
		Results:            []SARIFResult{},
	}}}
	b, err := json.MarshalIndent(head, "", "  ")
	if err != nil {
		return err
	}
	// Split the head where its empty results array is, and write the
	// results into it.
	s := string(b)
	i := strings.LastIndex(s, `"results": []`)
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(s[:i] + `"results": [`)
	first := true
	err = each(func(f *Finding) error {
		ri, ok := index[f.CheckID]
		if !ok {
			ri = -1
		}
		line, err := json.Marshal(ToSARIF(f, ri))
		if err != nil {
			return err
		}
		if !first {
			bw.WriteString(",")
		}
		first = false
		bw.WriteString("\n        ")
		_, err = bw.Write(line)
		return err
	})
	if err != nil {
		return err
	}
	if !first {
		bw.WriteString("\n      ")
	}
	bw.WriteString("]" + s[i+len(`"results": []`):] + "\n")
	return bw.Flush()
}
