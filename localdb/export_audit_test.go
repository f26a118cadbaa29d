package localdb

import "context"

// Tamper runs a statement on the writer connection, as someone editing the
// file with a SQLite tool would (tests of the action log's checks).
func Tamper(ctx context.Context, db *DB, q string, args ...any) error {
	_, err := db.w.ExecContext(ctx, q, args...)
	return err
}
