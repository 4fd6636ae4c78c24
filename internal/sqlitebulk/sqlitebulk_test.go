package sqlitebulk

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// readBack opens path with the database/sql driver and returns the rows of q
// as strings ("NULL" for NULL).
func readBack(t *testing.T, path, q string) [][]string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func create(t *testing.T, schema string) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bulk.sqlite")
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Exec(schema); err != nil {
		t.Fatal(err)
	}
	return d, path
}

func TestInsertValuesRoundTrip(t *testing.T) {
	d, path := create(t, "CREATE TABLE t (n INTEGER, s TEXT, x TEXT)")
	in, err := d.NewInserter("t", []string{"n", "s", "x"})
	if err != nil {
		t.Fatal(err)
	}
	// 64 rows fill one multi-row execution; 200 rows = 3 of those + 8 flushed.
	const n = 200
	var vals []Value
	for i := 0; i < n; i++ {
		s := fmt.Sprintf("row-%d-é-\x00-%s", i, strings.Repeat("x", i%50)) // NUL and UTF-8 kept
		x := Null()
		switch i % 3 {
		case 1:
			x = Text("") // empty text is not NULL
		case 2:
			x = TextOrNull("")
		}
		vals = append(vals, Int(int64(i)-100), Text(s), x)
	}
	if err := d.Exec("BEGIN"); err != nil {
		t.Fatal(err)
	}
	// In calls of 7 rows: full multi-row executions form across calls.
	for len(vals) > 0 {
		n := min(len(vals), 7*3)
		if err := in.Insert(vals[:n]); err != nil {
			t.Fatal(err)
		}
		vals = vals[n:]
	}
	if in.Rows() != 192 {
		t.Errorf("before Flush: Rows() = %d, want 192 (12 executions of 16)", in.Rows())
	}
	if err := in.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := d.Exec("COMMIT"); err != nil {
		t.Fatal(err)
	}
	if in.Rows() != n {
		t.Errorf("Rows() = %d, want %d", in.Rows(), n)
	}
	in.Close()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	got := readBack(t, path, "SELECT n, s, coalesce(x, 'NULL') || '|' || typeof(x), length(CAST(s AS BLOB)) FROM t ORDER BY rowid")
	if len(got) != n {
		t.Fatalf("%d rows read back, want %d", len(got), n)
	}
	for i, row := range got {
		wantS := fmt.Sprintf("row-%d-é-\x00-%s", i, strings.Repeat("x", i%50))
		wantX := "NULL|null"
		if i%3 == 1 {
			wantX = "|text"
		}
		if row[0] != fmt.Sprint(i-100) || row[1] != wantS || row[2] != wantX || row[3] != fmt.Sprint(len(wantS)) {
			t.Fatalf("row %d = %q, want n=%d s=%q x=%s", i, row, i-100, wantS, wantX)
		}
	}
}

func TestLargeTextGrowsBuffer(t *testing.T) {
	d, path := create(t, "CREATE TABLE t (s TEXT)")
	in, err := d.NewInserter("t", []string{"s"})
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("a", 3<<20) // larger than the initial buffer
	if err := in.Insert([]Value{Text("small"), Text(big), Text("after")}); err != nil {
		t.Fatal(err)
	}
	if err := in.Flush(); err != nil {
		t.Fatal(err)
	}
	in.Close()
	d.Close()
	got := readBack(t, path, "SELECT length(s), substr(s, 1, 5) FROM t ORDER BY rowid")
	want := [][]string{{"5", "small"}, {fmt.Sprint(len(big)), "aaaaa"}, {"5", "after"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestErrorsNameTheProblem(t *testing.T) {
	d, _ := create(t, "CREATE TABLE t (id TEXT PRIMARY KEY, v INTEGER NOT NULL)")
	if _, err := d.NewInserter("missing", []string{"a"}); err == nil || !strings.Contains(err.Error(), "no such table: missing") {
		t.Errorf("unknown table: %v", err)
	}
	in, err := d.NewInserter("t", []string{"id", "v"})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := in.Insert([]Value{Text("a")}); err == nil || !strings.Contains(err.Error(), "1 values for 2 columns") {
		t.Errorf("short row: %v", err)
	}
	insert := func(vals ...Value) error {
		if err := in.Insert(vals); err != nil {
			return err
		}
		return in.Flush()
	}
	if err := insert(Text("a"), Int(1), Text("a"), Int(2)); err == nil || !strings.Contains(err.Error(), "UNIQUE constraint failed: t.id") {
		t.Errorf("duplicate key: %v", err)
	}
	if err := insert(Text("b"), Null()); err == nil || !strings.Contains(err.Error(), "NOT NULL constraint failed: t.v") {
		t.Errorf("NULL in NOT NULL: %v", err)
	}
	// The statement is usable again after a failure, and a failed Flush
	// leaves nothing pending.
	if err := insert(Text("c"), Int(3)); err != nil {
		t.Errorf("insert after a failure: %v", err)
	}
	if err := d.Exec("SELEKT 1"); err == nil || !strings.Contains(err.Error(), "SELEKT") {
		t.Errorf("bad SQL: %v", err)
	}
}

func TestOpenReportsBadPath(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "no", "such", "dir", "x.sqlite"))
	if err == nil || !strings.Contains(err.Error(), "unable to open") {
		t.Errorf("Open in a missing folder: %v", err)
	}
}

func BenchmarkInsert(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.sqlite")
	d, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if err := d.Exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; CREATE TABLE t (a TEXT, b TEXT, c INTEGER, d TEXT)"); err != nil {
		b.Fatal(err)
	}
	in, err := d.NewInserter("t", []string{"a", "b", "c", "d"})
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	row := []Value{Text("arn:aws:iam::123456789012:policy/some-policy"), Text("managed"), Int(3), Null()}
	vals := make([]Value, 0, 4*1000)
	for i := 0; i < 1000; i++ {
		vals = append(vals, row...)
	}
	d.Exec("BEGIN")
	b.ResetTimer()
	defer in.Flush()
	for i := 0; i < b.N; i++ {
		if err := in.Insert(vals); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	d.Exec("COMMIT")
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "rows/s")
}
