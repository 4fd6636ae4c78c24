// Package sqlitebulk loads rows into a new SQLite database quickly. It drives
// SQLite's C API directly (modernc.org/sqlite/lib: the same pure-Go engine
// the database/sql driver wraps, so the binary still builds with
// CGO_ENABLED=0), binds text from one reusable C buffer instead of one
// allocation per value, and inserts many rows per statement execution.
//
// It is a loader, not a general driver: one connection, no concurrency, no
// queries. Read the database back with database/sql.
package sqlitebulk

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// Kind is the SQLite type of a Value.
type Kind uint8

// Value kinds.
const (
	KindNull Kind = iota
	KindInt
	KindText
)

// Value is one column value. The zero Value is NULL.
type Value struct {
	S string
	I int64
	K Kind
}

// Null is SQL NULL.
func Null() Value { return Value{} }

// Int is an INTEGER value.
func Int(i int64) Value { return Value{I: i, K: KindInt} }

// Text is a TEXT value.
func Text(s string) Value { return Value{S: s, K: KindText} }

// TextOrNull is s, or NULL when s is empty.
func TextOrNull(s string) Value {
	if s == "" {
		return Value{}
	}
	return Value{S: s, K: KindText}
}

// Bool is 1 or 0.
func Bool(b bool) Value {
	if b {
		return Int(1)
	}
	return Int(0)
}

// DB is one open database.
type DB struct {
	path string
	tls  *libc.TLS
	db   uintptr
	buf  uintptr // C buffer the bound text of one statement execution lives in
	view []byte  // buf seen from Go (its length is the buffer's size)
}

// Open opens (creating if needed) the database file at path for loading.
func Open(path string) (*DB, error) {
	d := &DB{path: path, tls: libc.NewTLS()}
	cpath, err := libc.CString(path)
	if err != nil {
		d.tls.Close()
		return nil, err
	}
	defer libc.Xfree(d.tls, cpath)
	pdb := libc.Xmalloc(d.tls, types.Size_t(unsafe.Sizeof(uintptr(0))))
	if pdb == 0 {
		d.tls.Close()
		return nil, errors.New("sqlite: out of memory")
	}
	defer libc.Xfree(d.tls, pdb)
	rc := sqlite3.Xsqlite3_open_v2(d.tls, cpath, pdb, sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_CREATE|sqlite3.SQLITE_OPEN_NOMUTEX, 0)
	d.db = *cword(pdb)
	if rc != sqlite3.SQLITE_OK {
		err := d.errorf(rc, "open")
		d.Close()
		return nil, err
	}
	return d, nil
}

// cword is the pointer-sized word at addr, an address in SQLite's C heap
// (memory the Go collector does not manage). It reinterprets the address's
// bits rather than converting a uintptr expression.
func cword(addr uintptr) *uintptr {
	return *(**uintptr)(unsafe.Pointer(&addr))
}

// cbytes is the n bytes at addr in SQLite's C heap, as a Go slice.
func cbytes(addr uintptr, n int) []byte {
	return unsafe.Slice(*(**byte)(unsafe.Pointer(&addr)), n)
}

// errorf describes a failed call, with SQLite's message.
func (d *DB) errorf(rc int32, what string) error {
	msg := libc.GoString(sqlite3.Xsqlite3_errstr(d.tls, rc))
	if d.db != 0 {
		if m := libc.GoString(sqlite3.Xsqlite3_errmsg(d.tls, d.db)); m != "" && m != msg {
			msg += ": " + m
		}
	}
	return fmt.Errorf("sqlite %s: %s: %s (%d)", d.path, what, msg, rc)
}

// Exec runs one or more SQL statements that return no rows.
func (d *DB) Exec(sql string) error {
	csql, err := libc.CString(sql)
	if err != nil {
		return err
	}
	defer libc.Xfree(d.tls, csql)
	if rc := sqlite3.Xsqlite3_exec(d.tls, d.db, csql, 0, 0, 0); rc != sqlite3.SQLITE_OK {
		return d.errorf(rc, firstLine(sql))
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

// Close releases the database; statements must be closed first.
func (d *DB) Close() error {
	var err error
	if d.db != 0 {
		if rc := sqlite3.Xsqlite3_close_v2(d.tls, d.db); rc != sqlite3.SQLITE_OK {
			err = d.errorf(rc, "close")
		}
		d.db = 0
	}
	if d.buf != 0 {
		libc.Xfree(d.tls, d.buf)
		d.buf, d.view = 0, nil
	}
	if d.tls != nil {
		d.tls.Close()
		d.tls = nil
	}
	return err
}

// reserve makes the text buffer hold at least n bytes. It may move the
// buffer, so it is called before any value of an execution is bound.
func (d *DB) reserve(n int) error {
	if n <= len(d.view) {
		return nil
	}
	c := max(n, 2*len(d.view), 64<<10)
	p := libc.Xmalloc(d.tls, types.Size_t(c))
	if p == 0 {
		return fmt.Errorf("sqlite %s: cannot allocate %d bytes", d.path, c)
	}
	if d.buf != 0 {
		libc.Xfree(d.tls, d.buf)
	}
	d.buf, d.view = p, cbytes(p, c)
	return nil
}

// Inserter inserts rows into one table: a statement of many rows for the
// bulk, and one of a single row for the remainder.
type Inserter struct {
	d       *DB
	table   string
	ncols   int
	per     int     // rows per multi-row execution
	multi   uintptr // INSERT … VALUES (…), (…), … with per rows
	single  uintptr // INSERT … VALUES (…)
	rows    int64   // rows inserted
	pending []Value // rows waiting for a full multi-row execution
}

// maxRowsPerStmt is the rows of one multi-row execution: measured on index
// builds, 16 beats both smaller statements (more executions) and larger ones
// (a longer program per execution). SQLite allows 32,766 parameters.
const maxRowsPerStmt = 16

// NewInserter prepares the INSERT statements of table(cols).
func (d *DB) NewInserter(table string, cols []string) (*Inserter, error) {
	if len(cols) == 0 {
		return nil, fmt.Errorf("sqlite %s: insert into %s: no columns", d.path, table)
	}
	in := &Inserter{d: d, table: table, ncols: len(cols)}
	in.per = min(maxRowsPerStmt, sqlite3.SQLITE_MAX_VARIABLE_NUMBER/len(cols))
	head := "INSERT INTO " + table + "(" + strings.Join(cols, ", ") + ") VALUES "
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	var err error
	if in.single, err = d.prepare(head + tuple); err != nil {
		return nil, err
	}
	if in.multi, err = d.prepare(head + strings.TrimSuffix(strings.Repeat(tuple+",", in.per), ",")); err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

func (d *DB) prepare(sql string) (uintptr, error) {
	csql, err := libc.CString(sql)
	if err != nil {
		return 0, err
	}
	defer libc.Xfree(d.tls, csql)
	pp := libc.Xmalloc(d.tls, types.Size_t(unsafe.Sizeof(uintptr(0))))
	if pp == 0 {
		return 0, errors.New("sqlite: out of memory")
	}
	defer libc.Xfree(d.tls, pp)
	if rc := sqlite3.Xsqlite3_prepare_v2(d.tls, d.db, csql, -1, pp, 0); rc != sqlite3.SQLITE_OK {
		return 0, d.errorf(rc, "prepare "+firstLine(sql))
	}
	return *cword(pp), nil
}

// Rows is the number of rows inserted so far.
func (in *Inserter) Rows() int64 { return in.rows }

// Insert inserts rows laid out one after the other: len(vals) must be a
// multiple of the number of columns. Rows that do not fill a multi-row
// execution are copied and kept for the next call; Flush inserts them.
func (in *Inserter) Insert(vals []Value) error {
	if len(vals)%in.ncols != 0 {
		return fmt.Errorf("sqlite %s: insert into %s: %d values for %d columns", in.d.path, in.table, len(vals), in.ncols)
	}
	chunk := in.per * in.ncols
	if len(in.pending) > 0 {
		n := min(chunk-len(in.pending), len(vals))
		in.pending = append(in.pending, vals[:n]...)
		vals = vals[n:]
		if len(in.pending) < chunk {
			return nil
		}
		err := in.exec(in.multi, in.pending)
		clear(in.pending)
		in.pending = in.pending[:0]
		if err != nil {
			return err
		}
	}
	for len(vals) >= chunk {
		if err := in.exec(in.multi, vals[:chunk]); err != nil {
			return err
		}
		vals = vals[chunk:]
	}
	in.pending = append(in.pending, vals...)
	return nil
}

// Flush inserts the rows Insert kept back.
func (in *Inserter) Flush() error {
	vals := in.pending
	defer func() {
		clear(in.pending)
		in.pending = in.pending[:0]
	}()
	for len(vals) > 0 {
		if err := in.exec(in.single, vals[:in.ncols]); err != nil {
			return err
		}
		vals = vals[in.ncols:]
	}
	return nil
}

// exec binds vals to stmt's parameters in order, steps it once and resets it.
func (in *Inserter) exec(stmt uintptr, vals []Value) error {
	d := in.d
	n := 0
	for i := range vals {
		n += len(vals[i].S)
	}
	if err := d.reserve(max(n, 1)); err != nil {
		return err
	}
	off := uintptr(0)
	for i := range vals {
		v := &vals[i]
		var rc int32
		switch v.K {
		case KindInt:
			rc = sqlite3.Xsqlite3_bind_int64(d.tls, stmt, int32(i+1), v.I)
		case KindText:
			p := d.buf + off
			copy(d.view[off:], v.S)
			// SQLITE_STATIC: the buffer outlives the execution; every
			// parameter is bound again before the next one.
			rc = sqlite3.Xsqlite3_bind_text(d.tls, stmt, int32(i+1), p, int32(len(v.S)), sqlite3.SQLITE_STATIC)
			off += uintptr(len(v.S))
		default:
			rc = sqlite3.Xsqlite3_bind_null(d.tls, stmt, int32(i+1))
		}
		if rc != sqlite3.SQLITE_OK {
			return d.errorf(rc, "bind "+in.table)
		}
	}
	rc := sqlite3.Xsqlite3_step(d.tls, stmt)
	if rc != sqlite3.SQLITE_DONE {
		err := d.errorf(rc, "insert into "+in.table)
		sqlite3.Xsqlite3_reset(d.tls, stmt)
		return err
	}
	if rc := sqlite3.Xsqlite3_reset(d.tls, stmt); rc != sqlite3.SQLITE_OK {
		return d.errorf(rc, "insert into "+in.table)
	}
	in.rows += int64(len(vals) / in.ncols)
	return nil
}

// Close finalizes the inserter's statements; rows not flushed are dropped.
func (in *Inserter) Close() {
	for _, s := range []uintptr{in.multi, in.single} {
		if s != 0 {
			sqlite3.Xsqlite3_finalize(in.d.tls, s)
		}
	}
	in.multi, in.single = 0, 0
}
