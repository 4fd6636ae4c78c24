package index

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
)

// The guard of `query sql` is SQLite's own authorizer, not a list of words:
// SQLite presents every operation a statement would do while it compiles it,
// and anything but reading tables and calling harmless functions is denied
// before the statement runs. So ATTACH (which creates a file), VACUUM INTO,
// PRAGMA, writes, schema changes and transactions are all refused however
// they are spelt, and a new SQL feature is refused until it is allowed here.

// deniedFunctions touch the filesystem or the engine when an extension or a
// build provides them.
var deniedFunctions = map[string]bool{"load_extension": true, "readfile": true, "writefile": true, "edit": true, "fts3_tokenizer": true}

// guardErr marks a statement the authorizer refused, with what it wanted.
type guardErr struct{ what []string }

func readOnlyAuthorizer(refused *[]string) sqlite.AuthorizerFn {
	return func(action sqlite.AuthorizerActionCode, arg1, arg2, dbName, _ string) sqlite.AuthorizerReturnCode {
		switch action {
		case sqlite.AuthSelect, sqlite.AuthRecursive:
			return sqlite.AuthorizerOK
		case sqlite.AuthRead:
			if dbName == "main" || dbName == "" {
				return sqlite.AuthorizerOK
			}
		case sqlite.AuthFunction:
			if !deniedFunctions[strings.ToLower(arg2)] {
				return sqlite.AuthorizerOK
			}
			*refused = append(*refused, "function "+arg2)
			return sqlite.AuthorizerDeny
		}
		*refused = append(*refused, describeAction(action, arg1))
		return sqlite.AuthorizerDeny
	}
}

func describeAction(a sqlite.AuthorizerActionCode, arg1 string) string {
	switch a {
	case sqlite.AuthAttach:
		return "ATTACH " + arg1
	case sqlite.AuthDetach:
		return "DETACH"
	case sqlite.AuthPragma:
		return "PRAGMA " + arg1
	case sqlite.AuthInsert, sqlite.AuthUpdate, sqlite.AuthDelete:
		return "writing " + arg1
	case sqlite.AuthTransaction:
		return "a transaction"
	}
	return fmt.Sprintf("operation %d", a)
}

// guardedQuery runs q on one connection of the pool with the read-only
// authorizer installed, and removes it before the connection goes back.
func (db *DB) guardedQuery(ctx context.Context, q string) (Rows, error) {
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return Rows{}, err
	}
	defer conn.Close()
	var refused []string
	set := func(fn sqlite.AuthorizerFn) error {
		return conn.Raw(func(dc any) error {
			r, ok := dc.(sqlite.AuthorizerRegisterer)
			if !ok {
				return errors.New("the SQLite driver offers no authorizer: refusing free SQL")
			}
			return r.RegisterAuthorizer(fn)
		})
	}
	if err := set(readOnlyAuthorizer(&refused)); err != nil {
		return Rows{}, err
	}
	defer set(nil)
	if db.explain {
		q = "EXPLAIN QUERY PLAN " + q
	}
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		if len(refused) > 0 {
			return Rows{}, fmt.Errorf("the index is read-only, only queries are allowed (refused: %s): %w", strings.Join(refused, ", "), err)
		}
		return Rows{}, err
	}
	return collectRows(rows)
}
