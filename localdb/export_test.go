package localdb

import (
	"context"
	"database/sql"
	"fmt"
)

// Test hooks (compiled into tests only).

var FileURI = fileURI

// SetFailHook makes write transactions call f at their named stages
// ("effect", "outbox", "cursor", "commit"); an error aborts the transaction.
func SetFailHook(db *DB, f func(stage string) error) { db.failHook = f }

// Pragmas reads the settings of a writer connection.
func Pragmas(ctx context.Context, db *DB) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range []string{"journal_mode", "synchronous", "foreign_keys", "busy_timeout", "wal_autocheckpoint"} {
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

// CheckActions verifies that every local action is whole: each outbox row's
// local effect exists and each local item has its outbox row. It returns the
// number of outbox rows.
func CheckActions(ctx context.Context, db *DB) (int, error) {
	var bad int
	err := db.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM notes n WHERE n.origin = 'local' AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.key = n.mutation_key))
		+ (SELECT count(*) FROM photo_refs p WHERE p.origin = 'local' AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.key = p.mutation_key))
		+ (SELECT count(*) FROM photo_refs p WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = p.sha256))
		+ (SELECT count(*) FROM resolutions r WHERE r.origin = 'local' AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.key = r.mutation_key))
		+ (SELECT count(*) FROM outbox o WHERE o.name IN ('addNote', 'recordContact') AND NOT EXISTS (SELECT 1 FROM notes n WHERE n.mutation_key = o.key))
		+ (SELECT count(*) FROM outbox o WHERE o.name = 'attachPhoto' AND NOT EXISTS (SELECT 1 FROM photo_refs p WHERE p.mutation_key = o.key))
		+ (SELECT count(*) FROM outbox o WHERE o.name = 'submitResolution' AND NOT EXISTS (SELECT 1 FROM resolutions r WHERE r.mutation_key = o.key))
		+ (SELECT count(*) FROM notes n JOIN work_orders w ON w.id = n.order_id
			WHERE NOT EXISTS (SELECT 1 FROM search_text s WHERE s.qid = w.qid AND instr(s.text, n.body) > 0)
			AND NOT EXISTS (SELECT 1 FROM search_queue q WHERE q.order_id = n.order_id))`).Scan(&bad)
	if err != nil {
		return 0, err
	}
	if bad != 0 {
		return 0, fmt.Errorf("%d half-written actions", bad)
	}
	var n int
	err = db.r.QueryRowContext(ctx, "SELECT count(*) FROM outbox").Scan(&n)
	return n, err
}

// IntegrityCheck runs PRAGMA integrity_check.
func IntegrityCheck(ctx context.Context, db *DB) (string, error) {
	var s string
	err := db.w.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&s)
	return s, err
}

// HasKey reports whether an outbox row with key exists.
func HasKey(ctx context.Context, db *DB, key string) bool {
	var x int
	return db.r.QueryRowContext(ctx, "SELECT 1 FROM outbox WHERE key = ?", key).Scan(&x) == nil
}

// SetSortAllBelow changes the threshold between sorting every match and
// reading the page in index order; it returns the old value.
func SetSortAllBelow(n int) int {
	old := sortAllBelow
	sortAllBelow = n
	return old
}

// SetSearchWalk forces reading a search's page in index order (1), the
// join of every match with the FTS index as before (-1) or the cost-based
// choice (0); it returns the old value.
func SetSearchWalk(mode int) int {
	old := searchWalk
	searchWalk = mode
	return old
}

// ShadowIndexSQL returns the CREATE statements of work_orders' indexes by name.
func ShadowIndexSQL(ctx context.Context, db *DB) (map[string]string, error) {
	rows, err := db.w.QueryContext(ctx, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'work_orders' AND sql IS NOT NULL")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, s string
		if err := rows.Scan(&name, &s); err != nil {
			return nil, err
		}
		out[name] = s
	}
	return out, rows.Err()
}

// IndexText rewrites an order's search document with text, as an older
// version of the program indexed it (upgrade tests).
func IndexText(ctx context.Context, db *DB, id, text string) error {
	if err := db.drainSearch(ctx); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error { return reindexKnown(ctx, tx, []string{id}, map[string]string{id: text}) })
}
