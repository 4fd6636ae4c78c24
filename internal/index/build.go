// Package index builds a run's SQLite index (index.sqlite) from its stored
// files and answers questions over it: who owns an access key, what a
// principal is, which roles other accounts can assume, who can perform an
// action, who is an administrator, and arbitrary read-only SQL.
package index

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/orgiam/orgiam/internal/report"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/sqlitebulk"
	"github.com/orgiam/orgiam/internal/store"
)

// SchemaVersion is the version recorded in schema_version.
const SchemaVersion = 3

// BuildOptions are the inputs of Build beside the run.
type BuildOptions struct {
	// ToolVersion is recorded in meta.tool_version ("dev" when empty). It is
	// passed in, not a package variable, so that two builds at once (tests,
	// or a runner indexing two runs) cannot see each other's.
	ToolVersion string
	// Now is the clock meta.built_at is read from (time.Now when nil), so
	// that a build can be reproduced byte for byte under a fixed clock.
	Now func() time.Time
}

func (o BuildOptions) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

// FindingsReport is the report name (under reports/) whose findings Build loads.
const FindingsReport = "findings.json"

//go:embed schema.sql
var schemaSQL string

// schemaParts splits schema.sql into the table definitions and the indexes
// (created after the bulk insert).
func schemaParts() (tables, indexes string) {
	const marker = "-- @indexes"
	i := strings.Index(schemaSQL, marker)
	if i < 0 {
		return schemaSQL, ""
	}
	return schemaSQL[:i], schemaSQL[i:]
}

// Stats describes one build.
type Stats struct {
	Accounts   int           // accounts with stored data read (scanned list)
	Principals int           // users, roles and groups
	Statements int           // flattened statement rows
	Rows       int           // rows in every table
	Duration   time.Duration // wall time of the build
	Bytes      int64         // size of the database file
}

// Build writes a fresh index of run r at dbPath: it builds a temporary file
// next to dbPath and renames it into place, so a reader never sees a partial
// index. The run may be complete or still in progress: accounts come from
// accounts.json; an account with error.json or with only some of its files
// contributes what is stored. Two builds of the same run hold identical rows
// except meta.built_at.
func Build(ctx context.Context, r snapshot.Reader, dbPath string, o BuildOptions) (Stats, error) {
	if o.ToolVersion == "" {
		o.ToolVersion = "dev"
	}
	start := time.Now()
	var st Stats
	if dir := filepath.Dir(dbPath); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return st, fmt.Errorf("index %s: %w", dbPath, err)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(dbPath), "."+filepath.Base(dbPath)+".tmp-*")
	if err != nil {
		return st, fmt.Errorf("index %s: %w", dbPath, err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmpPath)
		}
	}()
	w, err := newWriter(tmpPath)
	if err != nil {
		return st, err
	}
	if err := build(ctx, r, w, &st, o); err != nil {
		w.close()
		return st, err
	}
	if err := w.close(); err != nil {
		return st, fmt.Errorf("index %s: %w", tmpPath, err)
	}
	if err := os.Chmod(tmpPath, 0o600); err != nil {
		return st, err
	}
	if err := os.Rename(tmpPath, dbPath); err != nil {
		return st, fmt.Errorf("index %s: %w", dbPath, err)
	}
	ok = true
	fi, err := os.Stat(dbPath)
	if err != nil {
		return st, err
	}
	st.Bytes = fi.Size()
	st.Duration = time.Since(start)
	return st, nil
}

func build(ctx context.Context, r snapshot.Reader, w *writer, st *Stats, o BuildOptions) error {
	tableSQL, indexSQL := schemaParts()
	if err := w.db.Exec(tableSQL); err != nil {
		return fmt.Errorf("index: schema: %w", err)
	}
	if err := w.prepare(); err != nil {
		return fmt.Errorf("index: %w", err)
	}

	if err := w.begin(); err != nil {
		return err
	}
	// Organizations first: trusts need to know every member account.
	head := newBatch()
	orgs := &orgInfo{members: map[string]bool{}, ids: map[string]bool{}}
	orgAccounts, err := readOrganizations(ctx, r, head, orgs)
	if err != nil {
		return err
	}
	// Organization policies: written as they are read, chains in batches.
	for _, id := range orgs.order {
		if err := writeOrgPolicies(ctx, r, w, st, id); err != nil {
			return err
		}
	}
	accts, err := r.Accounts(ctx)
	if err != nil {
		return fmt.Errorf("index: run %s: account list: %w", r.Run, err)
	}
	skipped, err := r.Skipped(ctx)
	if err != nil {
		return fmt.Errorf("index: run %s: skipped list: %w", r.Run, err)
	}
	seen := map[string]bool{}
	var scan []snapshot.Account
	for _, a := range accts {
		if a.OrgID != "" {
			orgs.members[a.ID] = true
			orgs.ids[a.OrgID] = true
		}
		if !seen[a.ID] {
			seen[a.ID] = true
			scan = append(scan, a)
		}
	}
	sort.Slice(scan, func(i, j int) bool { return scan[i].ID < scan[j].ID })
	for _, a := range skipped {
		if a.OrgID != "" {
			orgs.members[a.ID] = true
		}
	}

	awsPolicies, err := r.AWSManagedPolicies(ctx)
	if err != nil {
		return fmt.Errorf("index: run %s: AWS managed policies: %w", r.Run, err)
	}
	sort.Slice(awsPolicies, func(i, j int) bool { return awsPolicies[i].Arn < awsPolicies[j].Arn })
	for _, p := range awsPolicies {
		if err := addManagedPolicy(head, p, null, "aws-managed-policies"); err != nil {
			return err
		}
	}
	if err := w.write(head, st); err != nil {
		return err
	}

	// Accounts: read and parsed in parallel, written in account order.
	if err := writeAccounts(ctx, r, w, scan, orgs, st); err != nil {
		return err
	}
	st.Accounts = len(scan)

	// Accounts known but not scanned.
	tail := newBatch()
	sort.Slice(skipped, func(i, j int) bool { return skipped[i].ID < skipped[j].ID })
	for _, a := range skipped {
		if seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		tail.add(tAccounts, txt(a.ID), nz(a.Name), nz(a.Email), nz(a.OrgID), nz(a.OUPath), nz(a.Status), null, b2i(a.Management), null, txt("skipped"), null, nz(a.SkipReason), null)
	}
	for _, a := range orgAccounts {
		if seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		tail.add(tAccounts, txt(a.ID), nz(a.Name), nz(a.Email), nz(a.OrgID), nz(a.OUPath), nz(a.Status), null, b2i(a.Management), null, txt("not_listed"), null, null, null)
	}
	if err := w.write(tail, st); err != nil {
		return err
	}
	if err := writeFindings(ctx, r, w, st); err != nil {
		return err
	}
	if err := writeUnused(ctx, r, w, st); err != nil {
		return err
	}

	complete, err := r.Store.Exists(ctx, store.ManifestKey(r.Run))
	if err != nil {
		return fmt.Errorf("index: run %s: %w", r.Run, err)
	}
	snapVersion := ""
	if complete {
		if m, err := r.Manifest(ctx); err == nil {
			snapVersion = m.ToolVersion
		}
	}
	completeFlag := "0"
	if complete {
		completeFlag = "1"
	}
	meta := []V{
		txt("run"), txt(r.Run),
		txt("built_at"), txt(o.now().Format(time.RFC3339)),
		txt("tool_version"), txt(o.ToolVersion),
		txt("snapshot_tool_version"), txt(snapVersion),
		txt("complete"), txt(completeFlag),
	}
	if err := w.insertRaw("meta", []string{"key", "value"}, meta); err != nil {
		return fmt.Errorf("index: meta: %w", err)
	}
	if err := w.insertRaw("schema_version", []string{"version"}, []V{num(SchemaVersion)}); err != nil {
		return fmt.Errorf("index: schema_version: %w", err)
	}
	st.Rows += len(meta)/2 + 1
	if err := w.commit(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := w.db.Exec(indexSQL); err != nil {
		return fmt.Errorf("index: indexes: %w", err)
	}
	// Statistics for the query planner, sampled: analysis_limit bounds the
	// rows ANALYZE reads per index (deterministic for the same data).
	if err := w.db.Exec("PRAGMA analysis_limit=1000; ANALYZE"); err != nil {
		return fmt.Errorf("index: analyze: %w", err)
	}
	return nil
}

// readOrganizations adds every organization of the run (with its OUs) to b,
// records member accounts, and returns the members sorted by id.
func readOrganizations(ctx context.Context, r snapshot.Reader, b *batch, orgs *orgInfo) ([]snapshot.Account, error) {
	ids, err := r.Store.ListDirs(ctx, store.OrgPrefix(r.Run))
	if err != nil {
		return nil, fmt.Errorf("index: run %s: organizations: %w", r.Run, err)
	}
	var members []snapshot.Account
	for _, id := range ids {
		o, err := r.Organization(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("index: organization %s: %w", id, err)
		}
		if o.ID == "" {
			o.ID = id
		}
		orgs.ids[o.ID] = true
		orgs.order = append(orgs.order, id)
		b.add(tOrganizations, txt(o.ID), nz(o.Arn), nz(o.MasterAccountID), nz(o.MasterAccountEmail), nz(o.FeatureSet))
		if o.MasterAccountID != "" {
			orgs.members[o.MasterAccountID] = true
		}
		ous, err := r.OrgOUs(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("index: organization %s: %w", id, err)
		}
		sort.SliceStable(ous, func(i, j int) bool { return ous[i].ID < ous[j].ID })
		for _, u := range ous {
			b.add(tOUs, txt(u.ID), txt(o.ID), nz(u.Name), nz(u.Type), nz(u.ParentID), nz(u.Path))
		}
		accts, err := r.OrgAccounts(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("index: organization %s: %w", id, err)
		}
		for _, a := range accts {
			orgs.members[a.ID] = true
			if a.OrgID == "" {
				a.OrgID = o.ID
			}
			members = append(members, a)
		}
	}
	sort.SliceStable(members, func(i, j int) bool { return members[i].ID < members[j].ID })
	return members, nil
}

// accountsPerTransaction is how many accounts one transaction holds.
const accountsPerTransaction = 128

func writeAccounts(ctx context.Context, r snapshot.Reader, w *writer, accts []snapshot.Account, orgs *orgInfo, st *Stats) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	if workers > 4 {
		workers = 4
	}
	type result struct {
		b   *batch
		err error
	}
	results := make([]chan result, len(accts))
	for i := range results {
		results[i] = make(chan result, 1)
	}
	window := make(chan struct{}, 4*workers) // batches parsed ahead of the writer
	jobs := make(chan int)
	var wg sync.WaitGroup
	go func() {
		defer close(jobs)
		for i := range accts {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for n := 0; n < workers; n++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				b, err := accountBatch(ctx, r, accts[i], orgs)
				results[i] <- result{b, err}
			}
		}()
	}
	defer wg.Wait()
	defer cancel()
	for i := range accts {
		var res result
		select {
		case res = <-results[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-window
		if res.err != nil {
			return fmt.Errorf("index: %w", res.err)
		}
		if err := w.write(res.b, st); err != nil {
			return fmt.Errorf("index: account %s: %w", accts[i].ID, err)
		}
		res.b.release()
		if (i+1)%accountsPerTransaction == 0 {
			if err := w.commit(); err != nil {
				return err
			}
			if err := w.begin(); err != nil {
				return err
			}
		}
	}
	return nil
}

// findingsPerBatch is how many findings are decoded before they are
// inserted: findings.json is read as a stream, never whole (it is a hundred
// megabytes at 10,000 accounts).
const findingsPerBatch = 4096

// writeFindings inserts the findings of reports/findings.json, when the run
// has one, in the file's order.
func writeFindings(ctx context.Context, r snapshot.Reader, w *writer, st *Stats) error {
	rc, key, err := openReport(ctx, r, FindingsReport)
	if rc == nil {
		return err
	}
	defer rc.Close()
	b := newBatch()
	defer func() { b.release() }() // the batch in hand at the end, not the first one
	err = report.EachFinding(rc, func(f *report.Finding) error {
		addFinding(b, f)
		return w.flushFull(ctx, &b, st, tFindings, findingsPerBatch)
	})
	if err == nil {
		err = w.write(b, st)
	}
	if err != nil {
		return fmt.Errorf("index: %s: %w", key, err)
	}
	return nil
}

// openReport opens the run's report name for streaming. It returns a nil
// reader and no error when the run has no such report.
func openReport(ctx context.Context, r snapshot.Reader, name string) (io.ReadCloser, string, error) {
	key := store.ReportKey(r.Run, name)
	if name == FindingsReport {
		// A findings report of a set that was not all written is not
		// loaded: it may be cut short.
		if ok, err := report.Complete(ctx, r.Store, r.Run); err != nil {
			return nil, key, fmt.Errorf("index: %w", err)
		} else if !ok {
			return nil, key, nil
		}
	}
	rc, err := store.OpenObject(ctx, r.Store, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, key, nil
	}
	if err != nil {
		return nil, key, fmt.Errorf("index: %w", err)
	}
	return rc, key, nil
}

// flushFull writes *b and starts a new batch once table t holds n rows, so
// that a streamed report is inserted in bounded memory.
func (w *writer) flushFull(ctx context.Context, b **batch, st *Stats, t table, n int) error {
	if (*b).count(t) < n {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := w.write(*b, st); err != nil {
		return err
	}
	(*b).release()
	*b = newBatch()
	return nil
}

// writer loads a build's rows through one SQLite connection.
type writer struct {
	db  *sqlitebulk.DB
	ins [numTables]*sqlitebulk.Inserter
}

func newWriter(path string) (*writer, error) {
	db, err := sqlitebulk.Open(path)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	// The file is private to the build until it is renamed into place: no
	// journal, no syncs, one lock for the whole build. 16 KiB pages and a
	// 32 MiB page cache (an upper bound, not an allocation) keep the B-trees
	// being filled in memory: measured faster than 4 or 8 KiB pages with the
	// default 2 MiB cache, and than larger pages. The cache is the build's
	// largest fixed cost in memory: 64 MiB measured no faster at 10,000
	// accounts (bench/pipeline) and 45 MB more at peak.
	if err := db.Exec("PRAGMA page_size=16384; PRAGMA cache_size=-32768; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE; PRAGMA temp_store=MEMORY"); err != nil {
		db.Close()
		return nil, fmt.Errorf("index: %w", err)
	}
	return &writer{db: db}, nil
}

// prepare prepares the INSERT statements (after the schema exists).
func (w *writer) prepare() error {
	for t := range numTables {
		in, err := w.db.NewInserter(tables[t].name, tables[t].cols)
		if err != nil {
			return err
		}
		w.ins[t] = in
	}
	return nil
}

func (w *writer) begin() error {
	if err := w.db.Exec("BEGIN"); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	return nil
}

// commit inserts the rows the inserters hold back and commits.
func (w *writer) commit() error {
	for _, in := range w.ins {
		if err := in.Flush(); err != nil {
			return fmt.Errorf("index: %w", err)
		}
	}
	if err := w.db.Exec("COMMIT"); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	return nil
}

// write inserts a batch, table by table, in the current transaction.
func (w *writer) write(b *batch, st *Stats) error {
	for t := range numTables {
		if len(b.vals[t]) == 0 {
			continue
		}
		if err := w.ins[t].Insert(b.vals[t]); err != nil {
			return err
		}
		n := b.count(t)
		st.Rows += n
		switch t {
		case tPrincipals:
			st.Principals += n
		case tStatements:
			st.Statements += n
		}
	}
	return nil
}

// insertRaw inserts rows into a table the batches do not cover.
func (w *writer) insertRaw(table string, cols []string, vals []V) error {
	in, err := w.db.NewInserter(table, cols)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := in.Insert(vals); err != nil {
		return err
	}
	return in.Flush()
}

func (w *writer) close() error {
	for _, in := range w.ins {
		if in != nil {
			in.Close()
		}
	}
	return w.db.Close()
}
