package report

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// Severities and statuses of findings.
const (
	SeverityHigh   = "high"
	SeverityMedium = "medium"
	SeverityLow    = "low"

	StatusFail = "FAIL"
	StatusPass = "PASS"
)

// Principal values for findings that are not about an IAM user or policy.
const (
	PrincipalRoot    = "root"
	PrincipalAccount = "account"
)

// Finding is one result of a check for one principal of one account.
type Finding struct {
	AccountID   string `json:"account_id"`
	AccountName string `json:"account_name"`
	// Principal is an IAM user or policy ARN, "root" or "account".
	Principal string `json:"principal"`
	CheckID   string `json:"check_id"`
	// CheckIDLegacy is the number in CIS v1.4.0–v4.0.1.
	CheckIDLegacy string `json:"check_id_legacy"`
	Title         string `json:"title"`
	Severity      string `json:"severity"`
	Status        string `json:"status"`
	Evidence      string `json:"evidence"`

	// ID is stable across runs: FindingID of the check, account and
	// principal, never of the evidence text.
	ID string `json:"id"`
	// ResourceARN is the principal's ARN, or arn:<partition>:iam::<account>:root
	// for the root user and account-level findings.
	ResourceARN string `json:"resource_arn"`
	// Region is "global": IAM is a global service. The machine formats
	// that need a region (ASFF) put the finding in a home region instead.
	Region string `json:"region"`
	// Remediation says how to make the check pass; RemediationURL links to
	// AWS's documentation of it.
	Remediation    string `json:"remediation"`
	RemediationURL string `json:"remediation_url"`
	// Compliance is the check's requirement in each framework version
	// ("cis_5.0_aws:1.4", then the older CIS versions).
	Compliance []string `json:"compliance"`
	// FirstSeen is the start of the earliest run, in the unbroken series of
	// complete runs ending with this one, whose findings include ID (see
	// History).
	FirstSeen time.Time `json:"first_seen,omitzero"`
	// Muted is set when a mutelist entry matches; MuteReason is its reason.
	// A muted finding is listed but not counted.
	Muted      bool   `json:"muted"`
	MuteReason string `json:"mute_reason,omitempty"`
}

// Key identifies a finding across runs.
func (f Finding) Key() string { return f.AccountID + "|" + f.Principal + "|" + f.CheckID }

// FindingID is the stable id of the finding of check for principal in
// account: the first 128 bits of SHA-256 over the three, hex. The same
// finding in tomorrow's run has the same id whatever its evidence says.
func FindingID(checkID, account, principal string) string {
	h := sha256.Sum256([]byte("orgiam-finding-v1\x00" + checkID + "\x00" + account + "\x00" + principal))
	return hex.EncodeToString(h[:16])
}

// Counted says whether a finding counts toward the totals and gates: a
// FAIL that no mutelist entry muted.
func (f *Finding) Counted() bool { return f.Status == StatusFail && !f.Muted }

// FindingColumns are the findings CSV columns. New columns go at the end:
// readers of the CSV find the older ones where they were.
var FindingColumns = []string{"account_id", "account_name", "principal", "check_id", "check_id_legacy", "title", "severity", "status", "evidence",
	"id", "resource_arn", "region", "remediation", "remediation_url", "compliance", "first_seen", "muted", "mute_reason"}

// Cells flattens a finding into FindingColumns' order.
func (f Finding) Cells() []string {
	first := ""
	if !f.FirstSeen.IsZero() {
		first = f.FirstSeen.UTC().Format(time.RFC3339)
	}
	return []string{f.AccountID, f.AccountName, f.Principal, f.CheckID, f.CheckIDLegacy, f.Title, f.Severity, f.Status, f.Evidence,
		f.ID, f.ResourceARN, f.Region, f.Remediation, f.RemediationURL, strings.Join(f.Compliance, " "), first, strconv.FormatBool(f.Muted), f.MuteReason}
}

// Findings evaluates the CIS IAM checks for every account of the run. Only
// FAIL rows are returned unless o.IncludePass. A check whose input an account
// lacks (a failed scan without a credential report, say) is not evaluated
// for that account.
func Findings(ctx context.Context, r snapshot.Reader, o Options) ([]Finding, error) {
	o = o.withDefaults()
	rn, err := openRun(ctx, r)
	if err != nil {
		return nil, err
	}
	if o, err = o.withHistory(ctx, r); err != nil {
		return nil, err
	}
	out := []Finding{}
	err = rn.eachAccount(ctx, r, func(group []*acct) error {
		out = append(out, groupFindings(rn, group, o)...)
		return nil
	})
	return out, err
}

// groupFindings is the findings of the list entries that share one account
// id, in the report's order.
func groupFindings(rn *run, group []*acct, o Options) []Finding {
	var out []Finding
	for _, a := range group {
		out = append(out, accountFindings(a, o)...)
	}
	sortFindings(out)
	for i := range out {
		f := &out[i]
		if o.History != nil {
			f.FirstSeen = o.History.FirstSeen(f.ID)
		}
		if o.Mutes != nil {
			f.MuteReason, f.Muted = o.Mutes.Mute(f)
		}
		if o.Tally != nil {
			o.Tally.add(f)
		}
	}
	return out
}

// EachAccountFindings evaluates the checks as Findings does, one account
// at a time: fn gets each account's findings (none: not called), in the
// report's order. Memory holds one account's findings.
func EachAccountFindings(ctx context.Context, r snapshot.Reader, o Options, fn func(account string, fs []Finding) error) error {
	o = o.withDefaults()
	rn, err := openRun(ctx, r)
	if err != nil {
		return err
	}
	if o, err = o.withHistory(ctx, r); err != nil {
		return err
	}
	return rn.eachAccount(ctx, r, func(group []*acct) error {
		fs := groupFindings(rn, group, o)
		if len(fs) == 0 {
			return nil
		}
		return fn(group[0].account.ID, fs)
	})
}

// Muter decides which findings are muted (an accepted risk): the mutelist
// package implements it.
type Muter interface {
	// Mute returns the reason and true when f is muted.
	Mute(f *Finding) (reason string, muted bool)
}

// NewHighFindings counts high-severity FAIL findings in cur, not muted,
// that are not in prev (matched by account, principal and check).
func NewHighFindings(prev, cur []Finding) int {
	old := map[string]bool{}
	for _, f := range prev {
		if f.Status == StatusFail {
			old[f.Key()] = true
		}
	}
	n := 0
	counted := map[string]bool{}
	for _, f := range cur {
		k := f.Key()
		if f.Severity == SeverityHigh && f.Counted() && !old[k] && !counted[k] {
			counted[k] = true
			n++
		}
	}
	return n
}

// DecodeFindings reads findings.json as WriteDoc writes it: a JSON array of
// findings, or {"notes": [...], "findings": [...]} when the report has notes.
// It decodes with the encoding/json v2 engine (one pass; the file holds tens
// of thousands of findings for a large organization).
func DecodeFindings(data []byte) ([]Finding, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		var wrapped struct {
			Findings []Finding `json:"findings"`
		}
		err := jsonv2.Unmarshal(data, &wrapped)
		return wrapped.Findings, err
	}
	var list []Finding
	err := jsonv2.Unmarshal(data, &list)
	return list, err
}

// EachFinding reads findings.json as WriteDoc writes it (a JSON array of
// findings, or {"notes": [...], "findings": [...]}) one finding at a time,
// calling fn with each (the value is reused). It decodes as DecodeFindings
// does, as a stream: findings.json is a hundred megabytes at 10,000 accounts.
func EachFinding(r io.Reader, fn func(*Finding) error) error {
	dec := jsontext.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() == '{' {
		found := false
		for dec.PeekKind() != '}' {
			name, err := dec.ReadToken()
			if err != nil {
				return err
			}
			if name.String() == "findings" {
				found = true
				break
			}
			if err := dec.SkipValue(); err != nil {
				return err
			}
		}
		if !found {
			return nil
		}
		if tok, err = dec.ReadToken(); err != nil {
			return err
		}
	}
	if tok.Kind() == 'n' {
		return nil
	}
	if tok.Kind() != '[' {
		return fmt.Errorf("want an array of findings, found %v", tok.Kind())
	}
	var f Finding
	for dec.PeekKind() != ']' {
		f = Finding{}
		if err := jsonv2.UnmarshalDecode(dec, &f); err != nil {
			return err
		}
		if err := fn(&f); err != nil {
			return err
		}
	}
	return nil
}

// FailKeys reads findings.json as a stream and returns the keys (Key) of
// its FAIL findings, only the high-severity ones not muted if highOnly: one short
// string per such finding is all it keeps. NewHighFindings(prev, cur) is the
// number of FailKeys(cur, true) not in FailKeys(prev, false).
func FailKeys(r io.Reader, highOnly bool) (map[string]bool, error) {
	keys := map[string]bool{}
	err := EachFinding(r, func(f *Finding) error {
		if f.Status == StatusFail && (!highOnly || (f.Severity == SeverityHigh && !f.Muted)) {
			keys[f.Key()] = true
		}
		return nil
	})
	return keys, err
}
