package index

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// UnusedReport is the report `orgiam policy unused` writes under a run's
// reports/; its rows are the unused_access table.
const UnusedReport = "unused-access.json"

// unusedRow is one element of the report's "unused" array.
type unusedRow struct {
	Account      string `json:"account"`
	Principal    string `json:"principal"`
	Service      string `json:"service"`
	Action       string `json:"action"`
	LastAccessed string `json:"lastAccessed"`
}

// unusedPerBatch bounds the rows held before they are written (an org-wide
// report has a row per principal × unused service or action).
const unusedPerBatch = 4096

// writeUnused inserts the rows of reports/unused-access.json, when the run
// has one, in the file's order, decoding its "unused" array one element at
// a time.
func writeUnused(ctx context.Context, r snapshot.Reader, w *writer, st *Stats) error {
	rc, key, err := openReport(ctx, r, UnusedReport)
	if rc == nil {
		return err
	}
	defer rc.Close()
	b := newBatch()
	defer func() { b.release() }()
	dec := json.NewDecoder(rc)
	err = eachUnused(dec, func(u *unusedRow) error {
		if u.Account == "" || u.Principal == "" || u.Service == "" {
			return fmt.Errorf("offset %d: a row without account, principal or service", dec.InputOffset())
		}
		b.add(tUnusedAccess, txt(u.Account), txt(u.Principal), txt(u.Service), nz(u.Action), nz(u.LastAccessed))
		return w.flushFull(ctx, &b, st, tUnusedAccess, unusedPerBatch)
	})
	if err == nil {
		err = w.write(b, st)
	}
	if err != nil {
		return fmt.Errorf("index: %s: %w", key, err)
	}
	return nil
}

// eachUnused walks the report's top-level object and calls fn for each
// element of "unused"; the other fields are skipped.
func eachUnused(dec *json.Decoder, fn func(*unusedRow) error) error {
	if t, err := dec.Token(); err != nil {
		return err
	} else if d, ok := t.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if k, _ := t.(string); k != "unused" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		if t, err := dec.Token(); err != nil {
			return err
		} else if t == nil {
			continue
		} else if d, ok := t.(json.Delim); !ok || d != '[' {
			return fmt.Errorf("unused: not an array")
		}
		for dec.More() {
			var u unusedRow
			if err := dec.Decode(&u); err != nil {
				return fmt.Errorf("unused: %w", err)
			}
			if err := fn(&u); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return err
}

// Unused lists what principals are granted and did not use (the
// unused_access table), optionally of one account (id or name) or one
// principal (ARN), with the account's name.
func (db *DB) Unused(ctx context.Context, account, principal string) (Rows, error) {
	q := `
SELECT u.account_id, a.name AS account_name, u.principal, u.service, u.action, u.last_accessed
FROM unused_access u LEFT JOIN accounts a ON a.id = u.account_id
WHERE 1 = 1`
	var args []any
	if account != "" {
		id, err := db.resolveAccount(ctx, account)
		if err != nil {
			return Rows{}, err
		}
		q += " AND u.account_id = ?"
		args = append(args, id)
	}
	if principal != "" {
		q += " AND u.principal = ?"
		args = append(args, principal)
	}
	q += " ORDER BY u.account_id, u.principal, u.service, u.action"
	r, err := db.query(ctx, q, args...)
	if err != nil {
		return r, fmt.Errorf("index %s: unused: %w", db.path, err)
	}
	return r, nil
}
