// Package index builds a run's SQLite index (index.sqlite) from its stored
// files and answers questions over it: who owns an access key, what a
// principal is, which roles other accounts can assume, who can perform an
// action, who is an administrator, and arbitrary read-only SQL.
package index

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// SchemaVersion is the version recorded in schema_version.
const SchemaVersion = 1

// ToolVersion is recorded in meta.tool_version; the binary sets it at start-up.
var ToolVersion = "dev"

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
func Build(ctx context.Context, r snapshot.Reader, dbPath string) (Stats, error) {
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
	w, err := newWriter(ctx, tmpPath)
	if err != nil {
		return st, err
	}
	if err := build(ctx, r, w, &st); err != nil {
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

func build(ctx context.Context, r snapshot.Reader, w *writer, st *Stats) error {
	tables, indexes := schemaParts()
	if err := w.exec(ctx, tables); err != nil {
		return fmt.Errorf("index: schema: %w", err)
	}

	// Organizations first: trusts need to know every member account.
	head := newBatch()
	orgs := &orgInfo{members: map[string]bool{}}
	orgAccounts, err := readOrganizations(ctx, r, head, orgs)
	if err != nil {
		return err
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
		if a.OrgId != "" {
			orgs.members[a.Id] = true
		}
		if !seen[a.Id] {
			seen[a.Id] = true
			scan = append(scan, a)
		}
	}
	sort.Slice(scan, func(i, j int) bool { return scan[i].Id < scan[j].Id })
	for _, a := range skipped {
		if a.OrgId != "" {
			orgs.members[a.Id] = true
		}
	}

	awsPolicies, err := r.AWSManagedPolicies(ctx)
	if err != nil {
		return fmt.Errorf("index: run %s: AWS managed policies: %w", r.Run, err)
	}
	sort.Slice(awsPolicies, func(i, j int) bool { return awsPolicies[i].Arn < awsPolicies[j].Arn })
	for _, p := range awsPolicies {
		if err := addManagedPolicy(head, p, nil, "aws-managed-policies"); err != nil {
			return err
		}
	}
	if err := w.write(ctx, head, st); err != nil {
		return err
	}

	// Accounts: read and parse in parallel, write in account order.
	if err := writeAccounts(ctx, r, w, scan, orgs, st); err != nil {
		return err
	}
	st.Accounts = len(scan)

	// Accounts known but not scanned.
	tail := newBatch()
	sort.Slice(skipped, func(i, j int) bool { return skipped[i].Id < skipped[j].Id })
	for _, a := range skipped {
		if seen[a.Id] {
			continue
		}
		seen[a.Id] = true
		tail.add(tAccounts, a.Id, nz(a.Name), nz(a.Email), nz(a.OrgId), nz(a.OUPath), nz(a.Status), nil, b2i(a.Management), nil, "skipped", nil, nz(a.SkipReason), nil)
	}
	for _, a := range orgAccounts {
		if seen[a.Id] {
			continue
		}
		seen[a.Id] = true
		tail.add(tAccounts, a.Id, nz(a.Name), nz(a.Email), nz(a.OrgId), nz(a.OUPath), nz(a.Status), nil, b2i(a.Management), nil, "not_listed", nil, nil, nil)
	}
	findings, err := readFindings(ctx, r)
	if err != nil {
		return err
	}
	if err := addFindings(tail, findings); err != nil {
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
	if err := w.write(ctx, tail, st); err != nil {
		return err
	}
	meta := [][2]string{
		{"run", r.Run},
		{"built_at", time.Now().UTC().Format(time.RFC3339)},
		{"tool_version", ToolVersion},
		{"snapshot_tool_version", snapVersion},
		{"complete", fmt.Sprint(b2i(complete))},
	}
	for _, kv := range meta {
		if _, err := w.conn.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES(?, ?)", kv[0], kv[1]); err != nil {
			return fmt.Errorf("index: meta: %w", err)
		}
	}
	if _, err := w.conn.ExecContext(ctx, "INSERT INTO schema_version(version) VALUES(?)", SchemaVersion); err != nil {
		return fmt.Errorf("index: schema_version: %w", err)
	}
	st.Rows += len(meta) + 1
	if err := w.exec(ctx, indexes); err != nil {
		return fmt.Errorf("index: indexes: %w", err)
	}
	if err := w.exec(ctx, "ANALYZE"); err != nil {
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
		var o snapshot.Organization
		err := snapshot.ReadJSON(ctx, r.Store, store.OrgKey(r.Run, id, "organization.json"), &o)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("index: organization %s: %w", id, err)
		}
		if o.Id == "" {
			o.Id = id
		}
		b.add(tOrganizations, o.Id, nz(o.Arn), nz(o.MasterAccountId), nz(o.MasterAccountEmail), nz(o.FeatureSet))
		if o.MasterAccountId != "" {
			orgs.members[o.MasterAccountId] = true
		}
		var ous []snapshot.OU
		if err := snapshot.ReadJSON(ctx, r.Store, store.OrgKey(r.Run, id, "ous.json"), &ous); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("index: organization %s: %w", id, err)
		}
		sort.SliceStable(ous, func(i, j int) bool { return ous[i].Id < ous[j].Id })
		for _, u := range ous {
			b.add(tOUs, u.Id, o.Id, nz(u.Name), nz(u.Type), nz(u.ParentId), nz(u.Path))
		}
		var accts []snapshot.Account
		if err := snapshot.ReadJSON(ctx, r.Store, store.OrgKey(r.Run, id, "accounts.json"), &accts); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("index: organization %s: %w", id, err)
		}
		for _, a := range accts {
			orgs.members[a.Id] = true
			if a.OrgId == "" {
				a.OrgId = o.Id
			}
			members = append(members, a)
		}
	}
	sort.SliceStable(members, func(i, j int) bool { return members[i].Id < members[j].Id })
	return members, nil
}

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
	window := make(chan struct{}, 2*workers) // batches parsed ahead of the writer
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
		if err := w.write(ctx, res.b, st); err != nil {
			return fmt.Errorf("index: account %s: %w", accts[i].Id, err)
		}
	}
	return nil
}

// readFindings loads reports/findings.json when the run has one.
func readFindings(ctx context.Context, r snapshot.Reader) ([]json.RawMessage, error) {
	data, err := r.Store.Get(ctx, store.ReportKey(r.Run, FindingsReport))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	list, err := decodeFindings(data)
	if err != nil {
		return nil, fmt.Errorf("index: %s: %w", store.ReportKey(r.Run, FindingsReport), err)
	}
	return list, nil
}

// writer owns the database connection of a build.
type writer struct {
	db    *sql.DB
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

func newWriter(ctx context.Context, path string) (*writer, error) {
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=temp_store(MEMORY)")
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	return &writer{db: db, conn: conn, stmts: map[string]*sql.Stmt{}}, nil
}

func (w *writer) exec(ctx context.Context, q string) error {
	_, err := w.conn.ExecContext(ctx, q)
	return err
}

func (w *writer) stmt(ctx context.Context, table string) (*sql.Stmt, error) {
	if s, ok := w.stmts[table]; ok {
		return s, nil
	}
	cols := columns[table]
	q := "INSERT INTO " + table + "(" + strings.Join(cols, ", ") + ") VALUES(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	s, err := w.conn.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare %s: %w", table, err)
	}
	w.stmts[table] = s
	return s, nil
}

// write inserts a batch in one transaction.
func (w *writer) write(ctx context.Context, b *batch, st *Stats) (err error) {
	if err := w.exec(ctx, "BEGIN"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			w.exec(context.Background(), "ROLLBACK")
		}
	}()
	for _, t := range tableOrder {
		rows := b.rows[t]
		if len(rows) == 0 {
			continue
		}
		s, err := w.stmt(ctx, t)
		if err != nil {
			return err
		}
		for _, row := range rows {
			if _, err := s.ExecContext(ctx, row...); err != nil {
				return fmt.Errorf("insert into %s %v: %w", t, row[0], err)
			}
		}
	}
	if err := w.exec(ctx, "COMMIT"); err != nil {
		return err
	}
	for t, rows := range b.rows {
		st.Rows += len(rows)
		switch t {
		case tPrincipals:
			st.Principals += len(rows)
		case tStatements:
			st.Statements += len(rows)
		}
	}
	return nil
}

func (w *writer) close() error {
	for _, s := range w.stmts {
		s.Close()
	}
	err := w.conn.Close()
	if e := w.db.Close(); err == nil {
		err = e
	}
	return err
}
