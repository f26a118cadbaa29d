package localdb

import (
	"context"
	"strings"
)

// Tamper runs a statement on the writer connection, as someone editing the
// file with a SQLite tool would (tests of the action log's checks).
func Tamper(ctx context.Context, db *DB, q string, args ...any) error {
	_, err := db.w.ExecContext(ctx, q, args...)
	return err
}

// AuditQueries are the action log's lookups by key and by order, for plan
// tests.
var AuditQueries = map[string]string{"by key": qChainByKey, "by order": qChainFirstOfOrder}

// QueryPlan returns SQLite's plan of q.
func QueryPlan(ctx context.Context, db *DB, q string, args ...any) (string, error) {
	rows, err := db.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return "", err
		}
		out = append(out, detail)
	}
	return strings.Join(out, "; "), rows.Err()
}
