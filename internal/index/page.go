package index

import (
	"context"
	"fmt"
)

// Query runs one parameterised read-only query (the dashboard's pages). The
// index is opened read-only, so SQLite itself refuses any write.
func (db *DB) Query(ctx context.Context, q string, args ...any) (Rows, error) {
	r, err := db.query(ctx, q, args...)
	if err != nil {
		return Rows{}, fmt.Errorf("index %s: %w", db.path, err)
	}
	return r, nil
}
