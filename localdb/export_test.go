package localdb

import "context"

// Test hooks (compiled into tests only).

var FileURI = fileURI

// SetFailHook makes write transactions call f at their named stages
// ("effect", "outbox", "cursor", "commit"); an error aborts the transaction.
func SetFailHook(db *DB, f func(stage string) error) { db.failHook = f }

// Pragmas reads the settings of a writer connection.
func Pragmas(ctx context.Context, db *DB) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range []string{"journal_mode", "synchronous", "foreign_keys", "busy_timeout"} {
		var v string
		if err := db.w.QueryRowContext(ctx, "PRAGMA "+p).Scan(&v); err != nil {
			return nil, err
		}
		out[p] = v
	}
	return out, nil
}

// LogLines counts the sync_log rows.
func LogLines(ctx context.Context, t interface{ Fatal(...any) }, db *DB) int {
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM sync_log").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
