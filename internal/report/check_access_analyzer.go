package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// CheckAccessAnalyzer fails each region of an account where no IAM Access
// Analyzer analyzer is active (needs the region items' access-analyzer
// collector, access-analyzer:ListAnalyzers). A region whose listing was
// denied, failed or skipped (not enabled) is not judged: the scan's
// warnings say why. An active analyzer of any type counts: an organization
// analyzer in a delegated administrator account covers that account's
// region only, so every account needs its own (as CIS asks).
var CheckAccessAnalyzer = Check{
	ID: "1.19", Legacy: "1.20", Severity: SeverityMedium,
	Title:       "Ensure that IAM External Access Analyzer is enabled for all regions",
	Rationale:   "Access Analyzer finds the resources of a region shared outside the account or organization (buckets, keys, roles, queues, secrets, …) as their policies change; a region without an analyzer has nobody watching for a resource opened to the world.",
	Remediation: "Create an analyzer in every enabled region of the account: aws accessanalyzer create-analyzer --analyzer-name external-access --type ACCOUNT --region REGION (or ORGANIZATION from the delegated administrator account), for example through a StackSet.",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/what-is-access-analyzer.html",
	},
	Compliance: cis("1.19", "1.20"),
	evaluate:   evalAccessAnalyzer,
}

// regionAnalyzers is one region of an account whose analyzers were listed.
type regionAnalyzers struct {
	region    string
	analyzers []snapshot.Resource
}

// analyzersOf keeps, of an account's region items, the regions whose
// Access Analyzer listing was read in full, with their analyzers.
func analyzersOf(scans []snapshot.RegionScan) []regionAnalyzers {
	var out []regionAnalyzers
	for _, s := range scans {
		if s.Status != snapshot.StatusOK && s.Status != snapshot.StatusPartial {
			continue // skipped (not enabled) or failed
		}
		if !slices.Contains(s.Collectors, "access-analyzer") {
			continue // a run from before the collector
		}
		if slices.ContainsFunc(s.Warnings, func(w snapshot.CollectorWarning) bool { return w.Collector == "access-analyzer" }) {
			continue // denied or failed: not known
		}
		ra := regionAnalyzers{region: s.Region}
		for _, r := range s.Resources {
			if r.Service == "access-analyzer" && r.Type == "analyzer" {
				ra.analyzers = append(ra.analyzers, r)
			}
		}
		out = append(out, ra)
	}
	return out
}

func evalAccessAnalyzer(s *subject) []result {
	var out []result
	for _, ra := range s.a.analyzers {
		var active []string
		for _, a := range ra.analyzers {
			if a.Attributes["Status"] == "ACTIVE" {
				active = append(active, a.Name+" ("+a.Attributes["AnalyzerType"]+")")
			}
		}
		switch {
		case len(active) > 0:
			out = append(out, pass(PrincipalAccount, fmt.Sprintf("Access Analyzer is active in %s: %s.", ra.region, strings.Join(active, ", "))).in(ra.region))
		case len(ra.analyzers) > 0:
			out = append(out, fail(PrincipalAccount, fmt.Sprintf("No analyzer is active in %s (%d not active).", ra.region, len(ra.analyzers))).in(ra.region))
		default:
			out = append(out, fail(PrincipalAccount, "No Access Analyzer analyzer in "+ra.region+".").in(ra.region))
		}
	}
	return out
}
