// Command reporthtml is the benchmark of the HTML reports in a browser: it
// writes findings.html and users.html for a synthesized organization
// (50,000 finding rows and 50,000 users by default, spread over 2,000
// accounts in 40 OUs), opens each in headless Chromium with playwright-core
// (measure.mjs) and times, inside the page, the first render, sorting by a
// column header, the facet filters, the search box, paging and opening a
// row's details: each repeated N times, median and maximum. It prints a
// table and records it under bench/results/ (reporthtml-DATE.md).
//
//	go run ./bench/reporthtml                              # 50,000 findings, 50,000 users, N=15
//	go run ./bench/reporthtml -gen DIR                     # only write the two reports into DIR
//	go run ./bench/reporthtml -before DIR                  # also measure the reports in DIR (an older writer's) by the same harness
//
// Every timed action is a click or an input event dispatched from inside the
// page; its time runs from the dispatch to the next frame (a
// requestAnimationFrame callback, then a task), so it includes the handler,
// style, layout and the paint that follows. The target is a sort or a filter
// ≤ 200 ms at 50,000 rows.
//
// The rows are synthesized (not collected): the reports' speed depends on
// the number of rows and their lengths, not on where they came from, and
// collecting 10,000 accounts takes minutes. The check metadata are the
// report package's own.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orgiam/orgiam/internal/report"
)

const targetMS = 200.0

// now is the synthesized run's time: fixed, so the reports are the same
// from one run of the benchmark to the next.
var now = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

func main() {
	nFindings := flag.Int("findings", 50000, "finding rows")
	nUsers := flag.Int("users", 50000, "users")
	nAccounts := flag.Int("accounts", 2000, "accounts")
	reps := flag.Int("n", 15, "repetitions of each timed action")
	gen := flag.String("gen", "", "only write findings.html and users.html into this folder")
	before := flag.String("before", "", "a folder with findings.html and users.html of another writer, measured by the same harness")
	record := flag.Bool("record", true, "write the results under bench/results/")
	label := flag.String("label", "", "a label for the recorded file")
	flag.Parse()

	startLoad := loadAverage()
	org := synthesize(*nAccounts, *nUsers, *nFindings)
	dir := *gen
	if dir == "" {
		d, err := os.MkdirTemp("", "orgiam-bench-reporthtml-")
		check(err)
		defer os.RemoveAll(d)
		dir = d
	}
	check(os.MkdirAll(dir, 0o700))
	sizes := map[string]int64{}
	for _, kind := range []string{report.KindFindings, report.KindUsers} {
		p := filepath.Join(dir, kind+".html")
		t0 := time.Now()
		check(org.write(p, kind))
		st, err := os.Stat(p)
		check(err)
		sizes[kind] = st.Size()
		fmt.Fprintf(os.Stderr, "wrote %s (%.1f MB) in %v\n", p, float64(st.Size())/1e6, time.Since(t0).Round(time.Millisecond))
	}
	if *gen != "" {
		return
	}

	chromium, err := exec.LookPath("chromium")
	if err != nil {
		check(fmt.Errorf("chromium is not installed (Debian package chromium)"))
	}
	_, self, _, _ := runtime.Caller(0)
	here := filepath.Dir(self)
	pw := filepath.Join(here, "..", "..", "internal", "web", "testdata", "e2e", "node_modules", "playwright-core")
	if _, err := os.Stat(pw); err != nil {
		check(fmt.Errorf("playwright-core is not installed: run `make deps`"))
	}

	type target struct{ label, dir string }
	targets := []target{{"this writer", dir}}
	if *before != "" {
		targets = append(targets, target{"before", *before})
	}
	var all []result
	for _, tg := range targets {
		for _, kind := range []string{report.KindFindings, report.KindUsers} {
			p, _ := filepath.Abs(filepath.Join(tg.dir, kind+".html"))
			fmt.Fprintf(os.Stderr, "measuring %s (%s)…\n", p, tg.label)
			res, err := measure(here, pw, chromium, p, kind, *reps)
			check(err)
			for i := range res {
				res[i].Writer, res[i].Report = tg.label, kind+".html"
				if st, err := os.Stat(p); err == nil {
					res[i].FileMB = float64(st.Size()) / 1e6
				}
			}
			all = append(all, res...)
		}
	}

	var out bytes.Buffer
	tw := tabwriter.NewWriter(&out, 2, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "writer\treport\tMB\taction\trows shown\tN\tmedian ms\tmax ms\ttarget\t")
	for _, r := range all {
		tgt := ""
		if r.Kind == "sort" || r.Kind == "filter" {
			tgt = "met"
			if r.MaxMS > targetMS {
				tgt = "NOT met"
			}
			tgt = fmt.Sprintf("max <= %.0f ms: %s", targetMS, tgt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%s\t%s\t%d\t%.1f\t%.1f\t%s\t\n", r.Writer, r.Report, r.FileMB, r.Action, r.Rows, r.N, r.MedianMS, r.MaxMS, tgt)
	}
	tw.Flush()
	machine := fmt.Sprintf("%d CPUs, %s %s/%s, load average at the end %s", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, loadAverage())
	fmt.Printf("HTML reports in headless Chromium: %d finding rows, %d users, %d accounts; %s\n\n%s", *nFindings, *nUsers, *nAccounts, machine, out.String())

	if *record {
		name := "reporthtml-" + time.Now().UTC().Format("2006-01-02")
		if *label != "" {
			name += "-" + *label
		}
		var md bytes.Buffer
		fmt.Fprintf(&md, "# HTML reports in headless Chromium, %s\n\n", time.Now().UTC().Format(time.RFC3339))
		fmt.Fprintf(&md, "machine: %s (load average at the start: %s); command: `go run ./bench/reporthtml %s`; %d finding rows, %d users over %d accounts in %d OUs (synthesized, seed 7), Chromium %s through playwright-core.\n\n",
			machine, startLoad, strings.Join(os.Args[1:], " "), *nFindings, *nUsers, *nAccounts, len(ous), chromiumVersion(chromium))
		fmt.Fprintf(&md, "Each action is dispatched inside the page (a click, a change or an input event); its time runs from the dispatch to the next frame (a requestAnimationFrame callback, then a task), so it holds the handler, style, layout and paint. First render: the navigation's loadEventEnd (the page renders in a script at the end of the body). A sort's samples alternate the directions of one column: the first two of each column compute its order, the others are cached. Target: every sort and filter <= %.0f ms at 50,000 rows (max column).\n\n", targetMS)
		fmt.Fprintf(&md, "```\n%s```\n", out.String())
		p := filepath.Join(here, "..", "results", name+".md")
		check(os.WriteFile(p, md.Bytes(), 0o644))
		fmt.Fprintln(os.Stderr, "recorded", p)
	}
}

func loadAverage() string {
	load, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(load))[:3], " ")
}

func chromiumVersion(path string) string {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return "(version unknown)"
	}
	return strings.TrimSpace(string(out))
}

// result is one timed action of one report.
type result struct {
	Writer   string    `json:"writer"`
	Report   string    `json:"report"`
	FileMB   float64   `json:"file_mb"`
	Action   string    `json:"action"`
	Kind     string    `json:"kind"` // sort, filter, render, other
	Rows     string    `json:"rows_shown,omitempty"`
	N        int       `json:"n"`
	MedianMS float64   `json:"median_ms"`
	MaxMS    float64   `json:"max_ms"`
	Samples  []float64 `json:"samples_ms"`
}

// measure runs measure.mjs on one report.
func measure(here, pw, chromium, file, kind string, reps int) ([]result, error) {
	cmd := exec.Command("node", filepath.Join(here, "measure.mjs"))
	cmd.Env = append(os.Environ(), "PLAYWRIGHT="+pw, "CHROMIUM="+chromium, "FILE="+file, "KIND="+kind, fmt.Sprintf("N=%d", reps))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("measure.mjs %s: %v\n%s", file, err, stderr.String())
	}
	var res []result
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res); err != nil {
		return nil, fmt.Errorf("measure.mjs %s: %v: %q", file, err, stdout.String())
	}
	return res, nil
}

// org is a synthesized organization's report data.
type org struct {
	summary  report.Summary
	users    []report.UserRow
	findings []report.Finding
}

func (o *org) write(path, kind string) error {
	var d report.Doc
	var err error
	switch kind {
	case report.KindFindings:
		d, err = report.NewDoc(kind, o.findings)
	default:
		d, err = report.NewDoc(kind, o.users)
	}
	if err != nil {
		return err
	}
	d.Summary = &o.summary
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if err := report.WriteDoc(f, report.FormatHTML, d); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var (
	firstNames = []string{"ann", "ben", "carla", "dev", "eve", "farid", "gita", "hugo", "ines", "jon", "kira", "lars", "mei", "nils", "olga", "petr", "quinn", "rosa", "sam", "tara"}
	roles      = []string{"deploy", "ci", "backup", "terraform", "monitoring", "etl", "billing", "support", "audit", "breakglass"}
	ous        = func() []string {
		var out []string
		for _, top := range []string{"Workloads", "Sandbox", "Security", "Infrastructure", "Suspended"} {
			for _, env := range []string{"Prod", "Staging", "Dev", "Shared", "Data", "Edge", "Legacy", "Partners"} {
				out = append(out, "Root/"+top+"/"+env)
			}
		}
		return out
	}()
)

// synthesize makes accounts × users × findings with the report package's
// checks: users spread over the accounts, failing checks drawn per user
// until the number of finding rows is reached.
func synthesize(nAccounts, nUsers, nFindings int) *org {
	rng := rand.New(rand.NewPCG(7, 16))
	o := &org{summary: report.Summary{Run: now.Format("2006-01-02"), GeneratedAt: now}}
	type acct struct{ id, name, ou string }
	accts := make([]acct, nAccounts)
	for i := range accts {
		accts[i] = acct{fmt.Sprintf("%012d", 100000000000+i*7919), fmt.Sprintf("%s-%s-%03d", []string{"payments", "search", "data", "web", "ml", "iot"}[i%6], []string{"prod", "dev", "stg"}[i%3], i), ous[rng.IntN(len(ous))]}
	}
	userChecks, acctChecks := []report.Check{}, []report.Check{}
	for _, c := range report.Checks {
		switch c.ID {
		case "1.3", "1.4", "1.5", "1.6", "1.8", "1.9":
			acctChecks = append(acctChecks, c)
		default:
			userChecks = append(userChecks, c)
		}
	}
	byAcct := make([][]report.Finding, nAccounts)
	userAcct := make([]int, nUsers)
	for i := 0; i < nUsers; i++ {
		ai := i * nAccounts / nUsers
		a := accts[ai]
		userAcct[i] = ai
		name := fmt.Sprintf("%s.%s%d", firstNames[rng.IntN(len(firstNames))], roles[rng.IntN(len(roles))], i)
		if i%5 == 1 {
			name = roles[i%len(roles)] + "-svc-" + fmt.Sprint(i)
		}
		arn := "arn:aws:iam::" + a.id + ":user/" + name
		console := rng.IntN(3) > 0
		mfa := report.MFANone
		if rng.IntN(4) > 0 {
			mfa = report.MFAVirtual
		}
		stale := rng.IntN(5) == 0
		admin := rng.IntN(12) == 0
		created := now.Add(-time.Duration(30+rng.IntN(1500)) * 24 * time.Hour)
		last := now.Add(-time.Duration(rng.IntN(400)) * 24 * time.Hour)
		var keys []report.KeyInfo
		for k := 0; k < rng.IntN(3); k++ {
			kc := now.Add(-time.Duration(rng.IntN(900)) * 24 * time.Hour)
			keys = append(keys, report.KeyInfo{ID: fmt.Sprintf("AKIA%016X", rng.Uint64()>>1), Status: "Active", Active: true, Created: &kc, AgeDays: int(now.Sub(kc).Hours() / 24), LastUsed: &last, LastUsedService: "s3", LastUsedRegion: "eu-west-1"})
		}
		pols := []report.PolicyRef{{Name: "ReadOnlyAccess", ARN: "arn:aws:iam::aws:policy/ReadOnlyAccess", Kind: report.KindAWSManaged, Group: "readers"}}
		if admin {
			pols = append(pols, report.PolicyRef{Name: "AdministratorAccess", ARN: "arn:aws:iam::aws:policy/AdministratorAccess", Kind: report.KindAWSManaged, Admin: true})
		}
		o.users = append(o.users, report.UserRow{AccountID: a.id, AccountName: a.name, OUPath: a.ou, UserName: name, ARN: arn, Created: &created,
			ConsoleAccess: &console, PasswordLastUsed: &last, MFA: mfa, AccessKeys: keys, Groups: []string{"readers", "developers"}, Policies: pols,
			Tags: []string{"team=" + roles[i%len(roles)], "cost-center=" + fmt.Sprint(1000+i%50)}, Admin: admin, Stale: &stale, LastActivity: &last})
	}
	for ai := range accts {
		for _, c := range acctChecks {
			if rng.IntN(3) == 0 {
				who := report.PrincipalRoot
				if c.ID == "1.8" || c.ID == "1.9" {
					who = report.PrincipalAccount
				}
				byAcct[ai] = append(byAcct[ai], finding(accts[ai].id, accts[ai].name, who, c, "Evidence for "+c.ID+" in account "+accts[ai].id+"."))
			}
		}
	}
	n := 0
	for _, fs := range byAcct {
		n += len(fs)
	}
	for n < nFindings {
		i := rng.IntN(nUsers)
		ai := userAcct[i]
		c := userChecks[rng.IntN(len(userChecks))]
		u := o.users[i]
		ev := fmt.Sprintf("User %s: %s (last activity %s; access key age %d days; groups readers, developers).", u.UserName, strings.ToLower(c.Title), u.LastActivity.Format("2006-01-02"), rng.IntN(900))
		byAcct[ai] = append(byAcct[ai], finding(accts[ai].id, accts[ai].name, u.ARN, c, ev))
		n++
	}
	for ai, fs := range byAcct {
		o.findings = append(o.findings, fs...)
		s := report.AccountSummary{AccountID: accts[ai].id, AccountName: accts[ai].name, OUPath: accts[ai].ou, Status: "ok"}
		for _, f := range fs {
			switch f.Severity {
			case report.SeverityHigh:
				s.High++
			case report.SeverityMedium:
				s.Medium++
			case report.SeverityLow:
				s.Low++
			}
		}
		o.summary.Accounts = append(o.summary.Accounts, s)
	}
	for i, u := range o.users {
		s := &o.summary.Accounts[userAcct[i]]
		s.Users++
		if u.Admin {
			s.Admins++
		}
		if *u.Stale {
			s.Stale++
		}
	}
	t := &o.summary.Totals
	t.AccountID, t.Status = "total", fmt.Sprintf("%d ok, 0 failed, 0 skipped", nAccounts)
	for _, a := range o.summary.Accounts {
		t.High += a.High
		t.Medium += a.Medium
		t.Low += a.Low
		t.Users += a.Users
		t.Admins += a.Admins
		t.Stale += a.Stale
	}
	return o
}

func finding(id, name, who string, c report.Check, evidence string) report.Finding {
	return report.Finding{AccountID: id, AccountName: name, Principal: who, CheckID: c.ID, CheckIDLegacy: c.Legacy, Title: c.Title, Severity: c.Severity, Status: report.StatusFail, Evidence: evidence}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "reporthtml:", err)
		os.Exit(1)
	}
}
