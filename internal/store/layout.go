package store

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
)

// Every key of a snapshot is built here and nowhere else.
//
//	<YYYY-MM-DD>[/<run-id>]/
//	  manifest.json                        written last: its presence marks the run complete
//	  run.json                             written first: the run's plan (date, id, started)
//	  organizations/<org-id>/organization.json, accounts.json, ous.json   versioned (snapshot.OrgList for the lists)
//	  accounts.json                        JSON array: the accounts to scan (every org, filters applied)
//	  run-errors.json                      only when an organization could not be listed
//	  skipped.json                         JSON array: accounts discovery left out, with the reason
//	  accounts/<account-id>/account.json  the account, its scan summary and account-level settings: aliases, account summary, password policy, server certificates, security contact
//	  accounts/<account-id>/iam/<data-set>.json   IAMDataSets (runs written before also iam/server-certificates.json, iam/security-contact.json)
//	  accounts/<account-id>/credential-report.csv
//	  accounts/<account-id>/error.json     only when that account's scan failed
//	  accounts/<account-id>/resources.json account-wide resource data: S3 buckets (each with its region), account Block Public Access
//	  accounts/<account-id>/regions/<region>.json  one account × region item: every regional collector's resources and the item's outcome
//	  organizations/<org-id>/policies.json, delegated-administrators.json, policy-chains.json   SCPs, RCPs, their targets, each account's chain
//	  exec/<account-id>/<region>/stdout, stderr, result.json   orgiam exec, one folder per item; exec/results.csv, results.json
//	  aws-managed-policies/<policy-name>.json
//	  index.sqlite
//	  reports/<name>
//	  reports/reports.json                 written last by each report run: the set's files, sizes and hashes
//	  policies/<account-id>/<principal-name>[-N].json, .report.json, trail-report.json
//	  policies/generation.json             written last by each policy generation: the set's files and hashes
//
// The casing of a file's fields says whose record it is: what AWS returned
// keeps AWS's names (iam/<data-set>.json, and the Organizations shapes of
// organizations/<org-id>/*.json, accounts.json and skipped.json); the
// fields orgiam adds to those shapes (where it found an account: orgId,
// parentId, ouPath, …) and orgiam's own records (run.json, manifest.json,
// account.json, regions/<region>.json, resources.json, exec results) are
// camelCase. organization.json holds its schemaVersion, the organization's
// accounts.json and ous.json are {"schemaVersion", "items"}; the run's
// accounts.json and skipped.json stay bare arrays (the Step Functions
// Distributed Map reads the first as its item list), and manifest.json's
// schemaVersion dates every file of the run; report rows
// (reports/*.json) use the snake_case names of the matching CSV columns, so
// that one report reads the same in both formats.

// Data sets stored per account under iam/.
const (
	DataUsers            = "users"
	DataRoles            = "roles"
	DataGroups           = "groups"
	DataPolicies         = "policies"
	DataInstanceProfiles = "instance-profiles"
	DataSAMLProviders    = "saml-providers"
	DataOIDCProviders    = "oidc-providers"
	DataMFADevices       = "mfa-devices"
)

// Data sets of runs written before the account-level settings moved into
// account.json (its serverCertificates and securityContact): readers fall
// back to them when account.json has neither; nothing writes them any more.
const (
	LegacyDataServerCertificates = "server-certificates"
	LegacyDataSecurityContact    = "security-contact"
)

// IAMDataSets lists every per-account iam/ data set, in a stable order.
var IAMDataSets = []string{DataUsers, DataRoles, DataGroups, DataPolicies, DataInstanceProfiles, DataSAMLProviders, DataOIDCProviders, DataMFADevices}

var (
	dateRe  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	runIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	acctRe  = regexp.MustCompile(`^\d{12}$`)
)

// ValidDate reports whether s is a real YYYY-MM-DD date.
func ValidDate(s string) bool {
	if !dateRe.MatchString(s) {
		return false
	}
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// ValidRunID reports whether s can be used as a run id (a single path segment).
func ValidRunID(s string) bool { return runIDRe.MatchString(s) }

// ValidAccountID reports whether s is a 12-digit AWS account id.
func ValidAccountID(s string) bool { return acctRe.MatchString(s) }

// RunPrefix is the folder of one run: "<date>" or "<date>/<run-id>".
func RunPrefix(date, runID string) (string, error) {
	if !ValidDate(date) {
		return "", fmt.Errorf("date %q is not a valid YYYY-MM-DD date", date)
	}
	if runID == "" {
		return date, nil
	}
	if !ValidRunID(runID) {
		return "", fmt.Errorf("run id %q is not valid (letters, digits, '.', '_' and '-', at most 64, no '/')", runID)
	}
	if ReservedRunID(runID) {
		return "", fmt.Errorf("run id %q is reserved (a run's own folders are %s)", runID, strings.Join(RunLevelDirs, ", "))
	}
	return date + "/" + runID, nil
}

// ParseRunPrefix splits a run prefix into date and run id.
func ParseRunPrefix(prefix string) (date, runID string, err error) {
	parts := strings.Split(strings.Trim(prefix, "/"), "/")
	switch {
	case len(parts) == 1 && ValidDate(parts[0]):
		return parts[0], "", nil
	case len(parts) == 2 && ValidDate(parts[0]) && ValidRunID(parts[1]):
		return parts[0], parts[1], nil
	}
	return "", "", fmt.Errorf("run %q is not of the form YYYY-MM-DD or YYYY-MM-DD/RUN-ID", prefix)
}

func j(parts ...string) string { return path.Join(parts...) }

// ManifestKey marks a complete run.
func ManifestKey(run string) string { return j(run, "manifest.json") }

// RunInfoKey is written when a run starts (its plan).
func RunInfoKey(run string) string { return j(run, "run.json") }

// AccountListKey is the discovered account list of the run (all organizations).
func AccountListKey(run string) string { return j(run, "accounts.json") }

// SkippedListKey lists the accounts discovery left out (suspended, filtered).
func SkippedListKey(run string) string { return j(run, "skipped.json") }

// RunErrorsKey lists run-level errors (an organization that could not be listed).
func RunErrorsKey(run string) string { return j(run, "run-errors.json") }

// OrgKey is one of organization.json, accounts.json, ous.json of an organization.
func OrgKey(run, orgID, file string) string { return j(run, "organizations", orgID, file) }

// OrgPrefix is the folder holding every organization.
func OrgPrefix(run string) string { return j(run, "organizations") + "/" }

// AccountsPrefix is the folder holding every account's folder.
func AccountsPrefix(run string) string { return j(run, "accounts") + "/" }

// AccountKey is accounts/<id>/account.json.
func AccountKey(run, accountID string) string { return j(run, "accounts", accountID, "account.json") }

// IAMKey is accounts/<id>/iam/<data-set>.json.
func IAMKey(run, accountID, dataSet string) string {
	return j(run, "accounts", accountID, "iam", dataSet+".json")
}

// CredentialReportKey is accounts/<id>/credential-report.csv.
func CredentialReportKey(run, accountID string) string {
	return j(run, "accounts", accountID, "credential-report.csv")
}

// AccountResourcesKey is accounts/<id>/resources.json.
func AccountResourcesKey(run, accountID string) string {
	return j(run, "accounts", accountID, "resources.json")
}

// RegionKey is accounts/<id>/regions/<region>.json: one account × region item.
func RegionKey(run, accountID, region string) string {
	return j(run, "accounts", accountID, "regions", region+".json")
}

// RegionItemsKey is region-items.json of a run: the account × region items
// still to scan once the account items ran, the item list of the serverless
// runner's regional Map.
func RegionItemsKey(run string) string { return j(run, "region-items.json") }

// RegionsPrefix is the folder of an account's region items.
func RegionsPrefix(run, accountID string) string {
	return j(run, "accounts", accountID, "regions") + "/"
}

// Files of an organization's folder (OrgKey), beside organization.json,
// accounts.json and ous.json.
const (
	OrgPoliciesFile        = "policies.json"
	OrgDelegatedAdminsFile = "delegated-administrators.json"
	OrgPolicyChainsFile    = "policy-chains.json"
)

// ExecKey is exec/<name> of a run: "<account-id>/<region>/stdout", … or
// "results.csv".
func ExecKey(run, name string) string { return j(run, "exec", name) }

// ErrorKey is accounts/<id>/error.json.
func ErrorKey(run, accountID string) string { return j(run, "accounts", accountID, "error.json") }

// AWSManagedPolicyKey stores one AWS managed policy once per run.
func AWSManagedPolicyKey(run, policyName string) string {
	return j(run, "aws-managed-policies", policyName+".json")
}

// AWSManagedPoliciesPrefix is the folder of AWS managed policies.
func AWSManagedPoliciesPrefix(run string) string { return j(run, "aws-managed-policies") + "/" }

// IndexKey is the run's SQLite index.
func IndexKey(run string) string { return j(run, "index.sqlite") }

// ReportKey is reports/<name>.
func ReportKey(run, name string) string { return j(run, "reports", name) }

// PolicyKey is policies/<name> of a run: name is a generated policy file
// ("<account-id>/<principal-name>.json" …) or PolicyGenerationFile.
func PolicyKey(run, name string) string { return j(run, "policies", name) }

// PolicyGenerationFile lists the files of the last complete policy
// generation with their hashes; it is written after them, so a set without
// it, or whose files do not match it, is not complete. It is not named
// manifest.json: under a run without id, <date>/policies/manifest.json
// would be taken for a complete run "policies".
const PolicyGenerationFile = "generation.json"

// Reports built from an AWS Config aggregator live beside the runs, not in
// one: they are not snapshots.
//
//	<config-report-prefix>/<YYYY-MM-DD>/users.{csv,json,html}
//	<config-report-prefix>/<YYYY-MM-DD>/manifest.json   written last

var prefixSegRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckConfigReportPrefix says what is wrong with a config-report prefix: it
// is a relative folder of one or more segments (letters, digits, '.', '_',
// '-'), and its first segment is not a date, which would make it look like a
// run.
func CheckConfigReportPrefix(prefix string) error {
	if prefix == "" {
		return fmt.Errorf("is empty: the reports cannot go at the store's root, beside the runs (the default is config-reports)")
	}
	for i, seg := range strings.Split(prefix, "/") {
		if !prefixSegRe.MatchString(seg) {
			return fmt.Errorf("%q: each folder name is 1-64 letters, digits, '.', '_' or '-' (no leading or trailing '/', no '..')", prefix)
		}
		if i == 0 && dateRe.MatchString(seg) {
			return fmt.Errorf("%q: the first folder may not be a date (YYYY-MM-DD folders are runs)", prefix)
		}
	}
	return nil
}

// ConfigReportFolder is <prefix>/<date>.
func ConfigReportFolder(prefix, date string) string { return j(prefix, date) }

// ConfigReportKey is <prefix>/<date>/<name>.
func ConfigReportKey(prefix, date, name string) string { return j(prefix, date, name) }

// Outside every run, at the store's root (no date, so no reader takes them
// for a run):
//
//	.locks/<date>[@<run-id>]/<generation>.json   the run's write lock (lock.go)
//	.staging/<date>[/<run-id>]/…                 a run being rebuilt by --overwrite

// RunLevelDirs are the folders a run holds; no run id may take these names
// (a run <date>/<name> would be read as part of the run of <date>).
var RunLevelDirs = []string{"accounts", "organizations", "reports", "aws-managed-policies", "policies", "exec"}

// ReservedRunID reports whether id is the name of one of a run's own folders.
func ReservedRunID(id string) bool {
	for _, d := range RunLevelDirs {
		if id == d {
			return true
		}
	}
	return false
}

// LockPrefix is the folder of one run's lock generations. "@" cannot appear
// in a run id, so the lock folder of 2026-11-23 never holds those of
// 2026-11-23/<run-id>.
func LockPrefix(run string) string { return ".locks/" + strings.Replace(run, "/", "@", 1) + "/" }

// LockKey is one generation of a run's lock.
func LockKey(run string, generation int) string {
	return fmt.Sprintf("%s%010d.json", LockPrefix(run), generation)
}

// StagingPrefix is where --overwrite builds the new content of run before it
// replaces the old one.
func StagingPrefix(run string) string { return j(".staging", run) }

// AccountPrefix is the folder of one account's files.
func AccountPrefix(run, accountID string) string { return j(run, "accounts", accountID) + "/" }

// IsRunLevelKey reports whether key (under run/) belongs to the run itself:
// a file directly in the run folder, or anything under one of RunLevelDirs.
// Keys of another run nested under a date (<date>/<run-id>/…) do not.
func IsRunLevelKey(run, key string) bool {
	rest, ok := strings.CutPrefix(key, run+"/")
	if !ok || rest == "" {
		return false
	}
	first, _, nested := strings.Cut(rest, "/")
	if !nested {
		return true
	}
	for _, d := range RunLevelDirs {
		if first == d {
			return true
		}
	}
	return false
}

// Vouched reports whether another file, its voucher, written after key's,
// vouches for it: account.json for an account's iam/ data sets and
// resources.json, the run's manifest for its organizations/ and
// aws-managed-policies/ files, reports/reports.json for the reports,
// policies/generation.json for the generated policies (under .staging/ as
// in the run). A reader takes a vouched file as part of the snapshot only
// once its voucher exists, so a backend may make the file durable later,
// with everything written before the voucher, rather than on its own
// (File's one syncfs before a voucher instead of an fsync per object).
// Every other key — vouchers, run-level files, credential reports and
// region items (written after account.json), locks, exec results, config
// reports — stands alone.
func Vouched(key string) bool {
	rest, ok := inRun(key)
	return ok && vouched(rest)
}

// Voucher reports whether key vouches for the Vouched files written before
// it: a run's manifest.json, an account's account.json,
// reports/reports.json, policies/generation.json.
func Voucher(key string) bool {
	rest, ok := inRun(key)
	return ok && voucher(rest)
}

// vouched and voucher are Vouched and Voucher of a key's path under its run
// (inRun).
func vouched(rest []string) bool {
	switch rest[0] {
	case "accounts":
		return len(rest) >= 4 && rest[2] == "iam" || len(rest) == 3 && rest[2] == "resources.json"
	case "organizations", "aws-managed-policies":
		return len(rest) > 1
	case "reports", "policies":
		return len(rest) > 1 && !voucher(rest)
	}
	return false
}

func voucher(rest []string) bool {
	switch len(rest) {
	case 1:
		return rest[0] == "manifest.json"
	case 2:
		return rest[0] == "reports" && rest[1] == "reports.json" || rest[0] == "policies" && rest[1] == PolicyGenerationFile
	case 3:
		return rest[0] == "accounts" && rest[2] == "account.json"
	}
	return false
}

// inRun splits a key of a run (or of its staging copy) into the path under
// the run's folder; ok is false for keys outside every run.
func inRun(key string) (rest []string, ok bool) {
	parts := strings.Split(key, "/")
	if parts[0] == ".staging" {
		parts = parts[1:]
	}
	if len(parts) < 2 || !ValidDate(parts[0]) {
		return nil, false
	}
	rest = parts[1:]
	if len(rest) > 1 && !ReservedRunID(rest[0]) {
		if !ValidRunID(rest[0]) {
			return nil, false
		}
		rest = rest[1:] // <date>/<run-id>/…
	}
	return rest, true
}
