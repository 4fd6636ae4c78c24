package report

import (
	"fmt"
	"sort"
	"strings"
)

// Check is one check: its metadata, kept with its evaluation in one file
// (check_*.go), as Prowler keeps its checks: the CIS AWS Foundations
// Benchmark IAM recommendations, then orgiam's own checks.
type Check struct {
	// ID is the number in CIS AWS Foundations Benchmark v5.0.0 for a CIS
	// check; else orgiam's own id, lower-case words joined by "_" in
	// Prowler's manner (iam_role_trust_any_principal). Ids never change: a
	// muted or tracked finding names its check by id.
	ID string
	// Legacy is the number in v1.4.0 to v4.0.1 (the IAM section kept the same
	// numbering over those versions; v5.0.0 dropped "security questions", 1.3,
	// and renumbered the rest one lower); "" for a check that is not CIS's.
	Legacy   string
	Title    string
	Severity string
	// Rationale says why the check matters; Remediation how to make it pass.
	Rationale   string
	Remediation string
	// References are links to AWS's documentation of the subject.
	References []string
	// RemediationURL links to the remediation's documentation; empty means
	// the first of References that is not the benchmark itself
	// (RemediationLink).
	RemediationURL string
	// Compliance names the requirement in each framework version, as
	// "<framework>:<id>" (Prowler's framework names).
	Compliance []string
	// evaluate returns the check's results for one account: none when the
	// account lacks the check's input (a failed scan without its file).
	evaluate func(s *subject) []result
}

// Checks lists every check in benchmark order: the findings of an account
// come in this order, and a new check is added here.
var Checks = []Check{
	// CIS, in benchmark order.
	CheckSecurityContact,
	CheckRootAccessKey, CheckRootMFA, CheckRootHardwareMFA, CheckRootUse,
	CheckPasswordLength, CheckPasswordReuse, CheckConsoleMFA, CheckAccessKeysAtSetup, CheckUnusedCreds,
	CheckOneActiveKey, CheckKeyRotation, CheckGroupPermissions, CheckAdminPolicy, CheckSupportRole,
	CheckServerCertificates, CheckAccessAnalyzer, CheckCloudShellFullAccess,
	// Account settings.
	CheckPasswordComplexity, CheckPasswordExpiry,
	// Users.
	CheckAdminNoMFA, CheckConsoleNeverUsed,
	// Administrator policies by kind (CIS 1.15 has the attached customer managed ones).
	CheckAWSManagedAdminPolicy, CheckInlineAdminPolicy, CheckUnattachedAdminPolicy,
	// Role trust policies.
	CheckTrustAnyPrincipal, CheckGitHubOIDCSub, CheckOIDCSub, CheckExternalID, CheckConfusedDeputy, CheckCrossAccountPaths,
	// Risk beyond administrator (identity policies evaluated).
	CheckPrivilegeEscalation, CheckDataAccess, CheckResourceExposure,
}

// cisReference is the benchmark itself.
const cisReference = "https://www.cisecurity.org/benchmark/amazon_web_services"

// cis is the compliance ids of a CIS check: id in v5.0, legacy in v1.4 to v4.0.
func cis(id, legacy string) []string {
	out := []string{"cis_5.0_aws:" + id}
	for _, v := range []string{"4.0", "3.0", "2.0", "1.5", "1.4"} {
		out = append(out, "cis_"+v+"_aws:"+legacy)
	}
	return out
}

// cisSince is cis for a recommendation CIS added in version since
// ("3.0"): the versions before it have no id for it.
func cisSince(id, legacy, since string) []string {
	out := []string{"cis_5.0_aws:" + id}
	for _, v := range []string{"4.0", "3.0", "2.0", "1.5", "1.4"} {
		out = append(out, "cis_"+v+"_aws:"+legacy)
		if v == since {
			break
		}
	}
	return out
}

// subject is what the checks read of one account; what more than one check
// derives from the account's files is computed once, on first use.
type subject struct {
	a *acct
	o Options

	users     []principal
	usersDone bool

	ids     []*identity
	idsDone bool
	trusts  []roleTrust
	trDone  bool
	esc     map[*identity][]string
	escDone bool
	// expander fills the probes' resource templates (expand); built once:
	// a Replacer's first use builds its lookup table, which per call was
	// most of the risk checks' time.
	expander *strings.Replacer
}

// principals is the account's IAM users (acct.principals), computed once.
func (s *subject) principals() []principal {
	if !s.usersDone {
		s.users, s.usersDone = s.a.principals(), true
	}
	return s.users
}

// result is a check's outcome for one principal.
type result struct {
	principal string
	fail      bool
	evidence  string
	// region is the region of a regional finding ("" for IAM's global).
	region string
}

func pass(principal, evidence string) result {
	return result{principal: principal, evidence: evidence}
}
func fail(principal, evidence string) result {
	return result{principal: principal, fail: true, evidence: evidence}
}

// in is r in a region.
func (r result) in(region string) result { r.region = region; return r }

// accountFindings runs every check of Checks on one account. PASS results
// are kept only if o.IncludePass.
func accountFindings(a *acct, o Options) []Finding {
	s := &subject{a: a, o: o}
	var out []Finding
	for i := range Checks {
		c := &Checks[i]
		if len(o.CheckIDs) > 0 && !o.CheckIDs[c.ID] {
			continue
		}
		for _, r := range c.evaluate(s) {
			if r.fail || o.IncludePass {
				out = append(out, c.finding(a, r))
			}
		}
	}
	return out
}

func (c *Check) finding(a *acct, r result) Finding {
	st := StatusPass
	if r.fail {
		st = StatusFail
	}
	res := r.principal
	if !strings.HasPrefix(res, "arn:") {
		// The root user and account-level findings: the account's root.
		res = a.rootArn()
	}
	region, idOf := RegionGlobal, r.principal
	if r.region != "" {
		// A regional finding: one per region, each with its own id.
		region, idOf = r.region, r.principal+"\x00"+r.region
	}
	return Finding{
		AccountID: a.id(), AccountName: a.name(), Principal: r.principal,
		CheckID: c.ID, CheckIDLegacy: c.Legacy, Title: c.Title, Severity: c.Severity,
		Status: st, Evidence: r.evidence,
		ID: FindingID(c.ID, a.id(), idOf), ResourceARN: res, Region: region,
		Remediation: c.Remediation, RemediationURL: c.RemediationLink(),
		Compliance: append([]string(nil), c.Compliance...),
	}
}

// RegionGlobal is the region of IAM findings.
const RegionGlobal = "global"

// RemediationLink is RemediationURL, else the first reference that is not
// the benchmark itself, else the first reference.
func (c *Check) RemediationLink() string {
	if c.RemediationURL != "" {
		return c.RemediationURL
	}
	for _, r := range c.References {
		if r != cisReference {
			return r
		}
	}
	if len(c.References) > 0 {
		return c.References[0]
	}
	return ""
}

// CheckByID returns the check with that id (CIS v5.0 numbering).
func CheckByID(id string) (*Check, bool) {
	i, ok := checkOrder[id]
	if !ok {
		return nil, false
	}
	return &Checks[i], true
}

// checkOrder is each check's position in Checks, by id.
var checkOrder = func() map[string]int {
	m := map[string]int{}
	for i, c := range Checks {
		m[c.ID] = i
	}
	return m
}()

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.AccountID != b.AccountID {
			return a.AccountID < b.AccountID
		}
		if a.CheckID != b.CheckID {
			return checkOrder[a.CheckID] < checkOrder[b.CheckID]
		}
		return a.Principal < b.Principal
	})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
