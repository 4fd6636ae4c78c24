// Command web is the benchmark of the dashboard (`orgiam serve`) and of the
// run-to-run diff. It collects a simulated organization (internal/fakeaws,
// 10,000 accounts by default) with its reports and index, makes a second run
// a day later from a copy of the first with changes in 1% of the accounts,
// compares the two (timed, with the process's peak RSS), then serves the
// store on a loopback port and requests every kind of page many times over
// HTTP, deep pages and filters included. It prints a table and records it
// under bench/results/.
//
//	go run ./bench/web                                # 10,000 accounts, 30 requests of each page
//	go run ./bench/web -store DIR -run RUN            # an existing run instead of a new collect
//
// Page figures are wall times of whole HTTP requests (client side, loopback,
// one at a time), median, 95th percentile and maximum, after one warm-up
// request. The target is each page's 95th percentile ≤ 100 ms. The diff's
// CPU time is the process's (user + system), a steadier figure than its wall
// time on a shared machine.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orgiam/orgiam/bench/internal/measure"
	"github.com/orgiam/orgiam/bench/internal/sim"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/diff"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/index"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
	"github.com/orgiam/orgiam/internal/web"
)

const targetPageMS = 100.0 // each page's p95

func main() {
	accounts := flag.Int("accounts", 10000, "accounts of the simulated organization")
	requests := flag.Int("requests", 30, "requests of each page")
	storeDir := flag.String("store", "", "an existing store (folder) instead of a new collect")
	runID := flag.String("run", "", "with -store: the first run (YYYY-MM-DD[/RUN-ID])")
	record := flag.Bool("record", true, "write the table under bench/results/")
	flag.Parse()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	src := fmt.Sprintf("fakeaws snapshot of a generated organization of %d accounts (seed 7)", *accounts)
	if *storeDir == "" {
		dir, err := os.MkdirTemp("", "orgiam-bench-web-")
		check(err)
		defer os.RemoveAll(dir)
		fmt.Fprintf(os.Stderr, "collecting %d simulated accounts…\n", *accounts)
		r, err := sim.Collect(ctx, sim.Setup{Accounts: *accounts, Store: dir, Knobs: fakeaws.Knobs{CredReportDelay: 100 * time.Millisecond}, Concurrency: 50, RateLimit: 100000})
		check(err)
		*storeDir, *runID = dir, r.Out.Plan.Run
	} else {
		if *runID == "" {
			check(fmt.Errorf("-store needs -run"))
		}
		src = "snapshot " + *storeDir + " run " + *runID
	}
	st := store.NewFile(*storeDir)
	env := &pipeline.Env{Cfg: config.Defaults(), Store: st, Log: log, Version: "bench"}
	a := *runID
	if ok, _ := st.Exists(ctx, store.ReportKey(a, "findings.json")); !ok {
		fmt.Fprintln(os.Stderr, "reports…")
		_, err := pipeline.Report(ctx, env, pipeline.ReportInput{Run: a})
		check(err)
		check(buildIndex(ctx, *storeDir, a))
	}
	if _, err := os.Stat(filepath.Join(*storeDir, filepath.FromSlash(store.IndexKey(a)))); err != nil {
		check(buildIndex(ctx, *storeDir, a))
	}
	// The second run: a copy a day later, with a new user in 1% of the accounts.
	b, changed, err := secondRun(ctx, *storeDir, a)
	check(err)
	// What the collect, reports and index builds left in the heap is given
	// back first, so that the peak RSS is the comparison's.
	debug.FreeOSMemory()
	measure.ResetPeakRSS()
	t0, cpu0 := time.Now(), measure.CPUTime()
	rep, err := diff.Compare(ctx, st, a, b, diff.Options{})
	check(err)
	diffWall, diffCPU, diffRSS := time.Since(t0), measure.CPUTime()-cpu0, measure.PeakRSSMB()
	_, err = pipeline.Diff(ctx, env, pipeline.DiffInput{Run: b})
	check(err)

	srv, err := web.New(web.Options{Store: st, Log: log, IndexPath: func(_ context.Context, run string) (string, func(), error) {
		return filepath.Join(*storeDir, filepath.FromSlash(store.IndexKey(run))), func() {}, nil
	}})
	check(err)
	defer srv.Close()
	// Opening a run (its index and the run's cache) is paid once per run,
	// by serve's start for the latest one: timed apart from the pages.
	t0 = time.Now()
	_, err = srv.Check(ctx)
	check(err)
	openWall := time.Since(t0)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	pages, counts, err := pickPages(ctx, *storeDir, b)
	check(err)
	var res []result
	for _, p := range pages {
		r, err := timePage(ts.URL, p, *requests)
		check(err)
		res = append(res, r)
	}

	var out strings.Builder
	fmt.Fprintf(&out, "# dashboard benchmark, %s\n\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&out, "machine: %d CPUs, %s %s/%s; command: `go run ./bench/web %s`; %s; %s; second run: a copy of the first a day later with a new user in %d accounts.\n\n",
		runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, strings.Join(os.Args[1:], " "), src, counts, changed)
	fmt.Fprintf(&out, "```\n")
	tw := tabwriter.NewWriter(&out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "diff\taccounts compared\tchanges\twall\tCPU\tpeak RSS MB\t")
	fmt.Fprintf(tw, "diff.Compare\t%d\t%d\t%v\t%v\t%.0f\t\n", rep.Accounts.Compared, len(rep.Changes), diffWall.Round(time.Millisecond), diffCPU.Round(time.Millisecond), diffRSS)
	tw.Flush()
	fmt.Fprintf(&out, "\nopening the run (index + the run's cache, once per run, at serve's start for the latest): %v\n\n", openWall.Round(time.Millisecond))
	fmt.Fprintln(&out)
	tw = tabwriter.NewWriter(&out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "page\tpath\tbytes\tmedian\tp95\tmax\ttarget\t")
	met := 0
	for _, r := range res {
		verdict := "not met"
		if ms(r.p95) <= targetPageMS {
			verdict = "met"
			met++
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f ms\t%.1f ms\t%.1f ms\tp95 <= %.0f ms: %s\t\n", r.name, short(r.path), r.bytes, ms(r.p50), ms(r.p95), ms(r.max), targetPageMS, verdict)
	}
	tw.Flush()
	fmt.Fprintf(&out, "```\n\n%d of %d pages met the target.\n", met, len(res))
	fmt.Print(out.String())
	if *record {
		n := *accounts
		if m, err := (snapshot.Reader{Store: st, Run: a}).Manifest(ctx); err == nil {
			n = len(m.Accounts)
		}
		name := fmt.Sprintf("web-%d-accounts-%s.md", n, time.Now().UTC().Format("2006-01-02"))
		check(os.MkdirAll(filepath.Join("bench", "results"), 0o755))
		check(os.WriteFile(filepath.Join("bench", "results", name), []byte(out.String()), 0o644))
		fmt.Fprintln(os.Stderr, "recorded bench/results/"+name)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/web:", err)
		os.Exit(1)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func short(p string) string {
	if u, err := url.QueryUnescape(p); err == nil {
		p = u
	}
	if len(p) > 70 {
		p = p[:67] + "…"
	}
	return p
}

func buildIndex(ctx context.Context, dir, run string) error {
	_, err := index.Build(ctx, snapshot.Reader{Store: store.NewFile(dir), Run: run}, filepath.Join(dir, filepath.FromSlash(store.IndexKey(run))), index.BuildOptions{})
	return err
}

// secondRun copies run a to the next day (unless there already), adds a user
// to every 100th scanned account, and indexes it.
func secondRun(ctx context.Context, dir, a string) (string, int, error) {
	date, id, _ := store.ParseRunPrefix(a)
	t, _ := time.Parse("2006-01-02", date)
	next := t.AddDate(0, 0, 1).Format("2006-01-02")
	b, _ := store.RunPrefix(next, id)
	st := store.NewFile(dir)
	src, dst := filepath.Join(dir, filepath.FromSlash(a)), filepath.Join(dir, filepath.FromSlash(b))
	m, err := (snapshot.Reader{Store: st, Run: a}).Manifest(ctx)
	if err != nil {
		return "", 0, err
	}
	changed := 0
	for i, acc := range m.Accounts {
		if acc.Status == snapshot.StatusOK && i%100 == 0 {
			changed++
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "manifest.json")); err == nil {
		return b, changed, nil
	}
	fmt.Fprintln(os.Stderr, "second run…")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		return "", 0, err
	}
	os.Remove(filepath.Join(dst, "index.sqlite"))
	os.Remove(filepath.Join(dst, "reports", "diff.json"))
	for i, acc := range m.Accounts {
		if acc.Status != snapshot.StatusOK || i%100 != 0 {
			continue
		}
		var users []snapshot.User
		if err := snapshot.ReadJSON(ctx, st, store.IAMKey(b, acc.ID, store.DataUsers), &users); err != nil {
			return "", 0, err
		}
		users = append(users, snapshot.User{UserName: "bench-new", UserID: "AIDABENCHNEW" + acc.ID, Arn: "arn:aws:iam::" + acc.ID + ":user/bench-new",
			AttachedManagedPolicies: []snapshot.AttachedPolicy{{PolicyName: "AdministratorAccess", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"}}})
		data, _ := json.Marshal(users)
		if err := st.Put(ctx, store.IAMKey(b, acc.ID, store.DataUsers), data); err != nil {
			return "", 0, err
		}
	}
	m.Started, m.Finished = m.Started.Add(24*time.Hour), m.Finished.Add(24*time.Hour)
	m.Date, m.Prefix = next, b
	data, _ := json.Marshal(m)
	if err := st.Put(ctx, store.ManifestKey(b), data); err != nil {
		return "", 0, err
	}
	var info snapshot.RunInfo
	if err := snapshot.ReadJSON(ctx, st, store.RunInfoKey(a), &info); err == nil {
		info.Started, info.Date, info.Prefix = info.Started.Add(24*time.Hour), next, b
		data, _ = json.Marshal(info)
		if err := st.Put(ctx, store.RunInfoKey(b), data); err != nil {
			return "", 0, err
		}
	}
	fmt.Fprintln(os.Stderr, "indexing the second run…")
	return b, changed, buildIndex(ctx, dir, b)
}

type page struct{ name, path string }

// pickPages chooses the pages to request from the second run's index: a big
// OU, an account, a user, a role and a group, a policy attached widely, a
// check; first pages and deep ones, with and without filters.
func pickPages(ctx context.Context, dir, run string) ([]page, string, error) {
	db, err := index.Open(filepath.Join(dir, filepath.FromSlash(store.IndexKey(run))))
	if err != nil {
		return nil, "", err
	}
	defer db.Close()
	one := func(q string) string {
		r, err := db.Query(ctx, q)
		if err != nil || len(r.Data) == 0 {
			return ""
		}
		return r.Data[0][0]
	}
	ou := one(`SELECT ou_path FROM accounts WHERE ou_path IS NOT NULL GROUP BY ou_path ORDER BY count(*) DESC LIMIT 1`)
	acct := one(`SELECT account_id FROM principals GROUP BY account_id ORDER BY count(*) DESC LIMIT 1`)
	user := one(`SELECT user_arn FROM group_members GROUP BY user_arn ORDER BY count(*) DESC LIMIT 1`)
	role := one(`SELECT role_arn FROM trusts WHERE cross_account = 1 LIMIT 1`)
	group := one(`SELECT group_arn FROM group_members GROUP BY group_arn ORDER BY count(*) DESC LIMIT 1`)
	pol := one(`SELECT policy_id FROM policy_attachments WHERE policy_kind = 'customer' GROUP BY policy_id ORDER BY count(*) DESC LIMIT 1`)
	check := one(`SELECT check_id FROM findings GROUP BY check_id ORDER BY count(*) DESC LIMIT 1`)
	deepTrust := one(`SELECT rowid FROM trusts WHERE cross_account = 1 AND external_to_org = 1 ORDER BY rowid LIMIT 1 OFFSET 2500`)
	deep := one(`SELECT arn FROM principals ORDER BY arn LIMIT 1 OFFSET 100000`)
	deepAdmin := one(`SELECT principal_arn FROM policy_attachments WHERE policy_name = 'AdministratorAccess' ORDER BY principal_arn LIMIT 1 OFFSET 1000`)
	counts := fmt.Sprintf("index: %s accounts, %s principals, %s statements, %s trusts, %s findings", one(`SELECT count(*) FROM accounts`), one(`SELECT count(*) FROM principals`),
		one(`SELECT count(*) FROM statements`), one(`SELECT count(*) FROM trusts`), one(`SELECT count(*) FROM findings`))
	q := func(path string, kv ...string) string {
		v := url.Values{}
		v.Set("run", run)
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return path + "?" + v.Encode()
	}
	return []page{
		{"organization tree", q("/")},
		{"tree, biggest OU, page 40", q("/", "ou", ou, "page", "40")},
		{"account", q("/account/" + acct)},
		{"account, roles, page 2", q("/account/"+acct, "kind", "role", "page", "2")},
		{"principals", q("/principals")},
		{"principals, after the 100,000th", q("/principals", "after", deep)},
		{"principals, users without MFA", q("/principals", "filter", "no-mfa")},
		{"principals, stale", q("/principals", "filter", "stale")},
		{"principals, administrators", q("/principals", "filter", "admin")},
		{"principals, administrators, deep", q("/principals", "filter", "admin", "after", deepAdmin)},
		{"principals, trusted from outside", q("/principals", "filter", "external")},
		{"principals, name contains", q("/principals", "q", "deploy")},
		{"principals, one account's users", q("/principals", "kind", "user", "account", acct)},
		{"principal (user)", q("/principal", "arn", user)},
		{"principal (role)", q("/principal", "arn", role)},
		{"principal (group)", q("/principal", "arn", group)},
		{"policy (customer)", q("/policy", "id", pol)},
		{"policy (AWS managed, widely attached)", q("/policy", "id", "arn:aws:iam::aws:policy/ReadOnlyAccess")},
		{"findings", q("/findings")},
		{"findings, high", q("/findings", "severity", "high")},
		{"findings, one check, page 100", q("/findings", "check", check, "page", "100")},
		{"trust graph", q("/trusts")},
		{"trust graph, external only, page 50", q("/trusts", "external", "1", "page", "50")},
		{"trust graph, external only, after the 2,500th", q("/trusts", "external", "1", "after", deepTrust)},
		{"trust graph, one account", q("/trusts", "account", acct)},
		{"drift timeline", q("/drift")},
		{"drift of a run", q("/drift/run")},
		{"drift of a run, high, page 2", q("/drift/run", "severity", "high", "page", "2")},
		{"not found", q("/no/such/page")},
	}, counts, nil
}

type result struct {
	name, path    string
	bytes         int
	p50, p95, max time.Duration
}

func timePage(base string, p page, n int) (result, error) {
	c := &http.Client{Timeout: 30 * time.Second}
	get := func() (int, error) {
		resp, err := c.Get(base + p.path)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 && !strings.Contains(p.path, "/no/such") {
			return 0, fmt.Errorf("%s: %s: %.200s", p.path, resp.Status, b)
		}
		return len(b), err
	}
	if _, err := get(); err != nil {
		return result{}, err
	}
	lat := make([]time.Duration, 0, n)
	size := 0
	for i := 0; i < n; i++ {
		t0 := time.Now()
		b, err := get()
		if err != nil {
			return result{}, err
		}
		lat = append(lat, time.Since(t0))
		size = b
	}
	slices.Sort(lat)
	return result{name: p.name, path: p.path, bytes: size, p50: lat[len(lat)/2], p95: lat[min(len(lat)-1, len(lat)*95/100)], max: lat[len(lat)-1]}, nil
}
