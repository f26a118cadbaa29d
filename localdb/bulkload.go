package localdb

import (
	"context"
	"database/sql"
	"fmt"
)

// A first sync fills an empty shadow with thousands of orders. Inserting
// each row into the shadow's eight secondary indexes (two of them wide and
// covering) was a third of that work; building them once, sorted, after the
// last page is much cheaper. So when a multi-page pull starts on an empty
// shadow, its first page drops them (same transaction as the page), and
// once the last page of that pull has committed with its cursor, the
// indexer recreates them in a transaction of its own (finishBulk). In
// between, every query stays correct: the queue sorts
// its matches instead of reading an index in order (ixDeferred), and the
// id lookups of the version guard use the UNIQUE index, which is never
// dropped. A crash in between (also after the last page) leaves the key
// in sync_state, and Open recreates the indexes before anything else reads
// the shadow.

const keyIndexesDeferred = "shadow_indexes_deferred"

// shadowIndexes are the secondary indexes of work_orders as the migrations
// leave them (TestDeferredIndexesMatchMigrations keeps the two in step).
var shadowIndexes = []struct{ name, def string }{
	{"work_orders_status", "ON work_orders(status, urgency_rank, deadline)"},
	{"work_orders_assignee", "ON work_orders(assignee_id, status)"},
	{"work_orders_risk", "ON work_orders(urgency_rank, deadline, id, status, assignee_id, district,\n  street_office, community, category_l3, dispatched_at)"},
	{"work_orders_recent", "ON work_orders(dispatched_at DESC, id, status, assignee_id, district,\n  street_office, community, category_l3, urgency_rank, deadline)"},
	{"work_orders_deadline", "ON work_orders(deadline, status, assignee_id)"},
	{"work_orders_place", "ON work_orders(district, street_office, community, status, assignee_id, deadline)"},
	{"work_orders_street", "ON work_orders(street_office, community, status, assignee_id, deadline)"},
	{"work_orders_category", "ON work_orders(category_l3, status, assignee_id, deadline)"},
}

// WAL pages between automatic checkpoints: normally (as Open sets it) and
// during a first sync (bounded, for a lead's tens of thousands of orders).
const (
	checkpointPages     = 8192
	bulkCheckpointPages = 65536
)

// bulkSchema is the first migration whose indexes shadowIndexes describes.
const bulkSchema = 3

// maybeDeferIndexes drops the secondary indexes when page is the first of
// a multi-page pull into an empty shadow. It reports whether it did.
func (db *DB) maybeDeferIndexes(ctx context.Context, tx *sql.Tx, hasMore, staging bool) (bool, error) {
	if !db.bulk || !hasMore || staging {
		return false, nil
	}
	if v, err := getState(ctx, tx, keyIndexesDeferred); err != nil || v != "" {
		return false, err
	}
	var rows int
	if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM work_orders)").Scan(&rows); err != nil || rows != 0 {
		return false, err
	}
	// Readers must stop relying on the indexes before any snapshot without
	// them can exist (it exists from this transaction's commit on).
	// From here on it reports true, so that ApplyPull clears the flag again
	// if the transaction does not commit.
	db.ixDeferred.Store(true)
	// Nor is the WAL copied into the file halfway through: the checkpoint
	// waits for the indexer (finishBulk), off the sync's path. The WAL is
	// as durable as the file; it only grows (about 4 KB an order) meanwhile.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA wal_autocheckpoint=%d", bulkCheckpointPages)); err != nil {
		return true, fmt.Errorf("defer checkpoints: %w", err)
	}
	for _, ix := range shadowIndexes {
		if _, err := tx.ExecContext(ctx, "DROP INDEX IF EXISTS "+ix.name); err != nil {
			return true, fmt.Errorf("defer index %s: %w", ix.name, err)
		}
	}
	return true, setState(ctx, tx, keyIndexesDeferred, "1")
}

// restoreIndexes recreates the secondary indexes if they were deferred. It
// reports whether it did. The orders a first sync wrote meanwhile were not
// queued for the search indexer one by one (queueing their text was a tenth
// of the sync): every order without a search document is queued here, in
// one statement, and the indexer reads its text from the stored JSON.
func (db *DB) restoreIndexes(ctx context.Context, tx *sql.Tx) (bool, error) {
	if v, err := getState(ctx, tx, keyIndexesDeferred); err != nil || v == "" {
		return false, err
	}
	for _, ix := range shadowIndexes {
		if _, err := tx.ExecContext(ctx, "CREATE INDEX IF NOT EXISTS "+ix.name+" "+ix.def); err != nil {
			return false, fmt.Errorf("restore index %s: %w", ix.name, err)
		}
	}
	if db.search {
		res, err := tx.ExecContext(ctx, `INSERT INTO search_queue(order_id) SELECT w.id FROM work_orders w
			WHERE NOT EXISTS (SELECT 1 FROM search_text s WHERE s.qid = w.qid)
			ON CONFLICT(order_id) DO NOTHING`)
		if err != nil {
			return false, fmt.Errorf("queue search: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			db.queued.Store(true)
		}
	}
	_, err := tx.ExecContext(ctx, "DELETE FROM sync_state WHERE key = ?", keyIndexesDeferred)
	return true, err
}

// finishBulk rebuilds the indexes a first sync deferred, once its last
// page (and cursor) has committed: in its own transaction, so the sync is
// done and the queue shows the orders (sorting its matches meanwhile) about
// a fifth sooner. The indexer runs it at once after that page; a search
// (drainSearch) or the next pull page runs it first if it has not yet. A
// crash before it commits leaves the key in sync_state, and Open rebuilds.
func (db *DB) finishBulk(ctx context.Context) error {
	db.bulkMu.Lock()
	defer db.bulkMu.Unlock()
	if !db.bulkDue.Load() {
		return nil
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rebuild shadow indexes: %w", err)
	}
	defer tx.Rollback()
	if _, err := db.restoreIndexes(ctx, tx); err != nil {
		return fmt.Errorf("rebuild shadow indexes: %w", err)
	}
	if err := db.hook("indexes"); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return translate(err, "rebuild shadow indexes")
	}
	db.ixDeferred.Store(false)
	db.bulkDue.Store(false)
	db.changed()
	db.checkpointAfterBulk(ctx)
	return nil
}

// checkpointAfterBulk puts the automatic checkpoints back and copies the
// first sync's WAL into the database file now, in the indexer's time. A
// failure only leaves a longer WAL: the next commits checkpoint it.
//
// The copy runs on a reader connection: on the writer's it held the writer
// (the user's first edit after a first sync waited for it, ~80-130 ms of
// 10,000 orders). A PASSIVE checkpoint neither waits for nor blocks the
// writer, and query_only allows it.
func (db *DB) checkpointAfterBulk(ctx context.Context) {
	// Even when ctx has ended (a page rolled back by a cancelled sync).
	if _, err := db.w.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA wal_autocheckpoint=%d", checkpointPages)); err != nil {
		db.log.Warn("localdb: restoring automatic checkpoints failed", "err", err)
		return
	}
	if _, err := db.r.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && ctx.Err() == nil {
		db.log.Warn("localdb: checkpoint after the first sync failed", "err", err)
	}
}

// ensureIndexes runs at Open: a first sync interrupted between its first
// and last page left the indexes dropped.
func (db *DB) ensureIndexes(ctx context.Context) error {
	if !db.bulk {
		return nil
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	done, err := db.restoreIndexes(ctx, tx)
	if err != nil || !done {
		return err
	}
	return tx.Commit()
}
