package localdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/sqlrows"
)

// ApplyPull applies one pull page and its cursor in one transaction (see
// sync.Store): version-guarded shadow upserts (into the staging table while
// a reset is in progress), revocations that keep orders with local work,
// server notes, photo refs and resolutions, mutation results (conflicts
// first), removal of outbox rows with id ≤ LastMutationID, the swap at the
// end of a reset and the cursor last.
func (db *DB) ApplyPull(ctx context.Context, page *streetdesk.PullResponse) error {
	if page == nil {
		return streetdesk.Errorf(streetdesk.EINVALID, "nil pull page")
	}
	// The indexer waits for the last page so it does not compete with the
	// pull for the one writer.
	db.holdIndex.Store(page.HasMore)
	// A first sync's indexes still being rebuilt in the background come
	// back before anything else is written (bulkload.go).
	if err := db.finishBulk(ctx); err != nil {
		return err
	}
	var deferred bool
	err := db.tx(ctx, func(tx *sql.Tx) error {
		deferred = false
		now := db.now()
		active, err := getState(ctx, tx, keyResetActive)
		if err != nil {
			return err
		}
		staging := active == "1"
		if page.Reset {
			cur, err := getState(ctx, tx, keyCursor)
			if err != nil {
				return err
			}
			// A reset page starts a rebuild unless one is already under way
			// and resuming (a crash mid-reset keeps the staged rows).
			if !staging || cur == "" {
				if _, err := tx.ExecContext(ctx, "DELETE FROM work_orders_staging"); err != nil {
					return err
				}
				if err := setState(ctx, tx, keyResetActive, "1"); err != nil {
					return err
				}
				staging = true
			}
		}
		// A first sync into an empty shadow builds the secondary indexes
		// once, after its last page (bulkload.go).
		if deferred, err = db.maybeDeferIndexes(ctx, tx, page.HasMore, staging); err != nil {
			return err
		}
		touched := map[string]bool{}
		ix := &indexBatch{}
		defer ix.close()
		// Mutation results first: conflicts must exist before their outbox
		// rows are removed below.
		for _, c := range page.Changes {
			if c.Type == streetdesk.ChangeMutationResult && c.Result != nil {
				oid, err := db.recordResult(ctx, tx, c.Result)
				if err != nil {
					return err
				}
				if oid != "" && refused(c.Result) {
					touched[oid] = true
				}
			}
		}
		for i := range page.Changes {
			c := &page.Changes[i]
			if err := db.applyChange(ctx, tx, c, staging, now, touched, ix); err != nil {
				return fmt.Errorf("change %d (%s %s %s): %w", i, c.Type, c.Op, c.ID, err)
			}
		}
		if page.LastMutationID > 0 {
			// Rows up to lastMutationId are confirmed once their result is
			// recorded (by the push's answer or by this page, whose results
			// went first). A row still unanswered keeps waiting: its result
			// comes on a later page, or — when another copy of this
			// database (a restored backup) used its id for another mutation —
			// never; its next push then makes the engine fork. Deleting it
			// on the id alone would lose that mutation. The overlays of the
			// confirmed rows' orders are recomputed below; a failed read must
			// not let the rows go unseen.
			ids, err := sqlrows.Column[string](tx.QueryContext(ctx, "SELECT DISTINCT order_id FROM outbox WHERE id <= ? AND state <> 'pending'", page.LastMutationID))
			if err != nil {
				return err
			}
			for _, id := range ids {
				touched[id] = true
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM outbox WHERE id <= ? AND state <> 'pending'", page.LastMutationID); err != nil {
				return fmt.Errorf("confirm outbox: %w", err)
			}
		}
		if staging && !page.HasMore {
			if err := db.swapReset(ctx, tx, now, touched, ix); err != nil {
				return fmt.Errorf("swap reset: %w", err)
			}
		}
		if err := db.flushIndex(ctx, tx, ix); err != nil {
			return err
		}
		if err := db.refreshAll(ctx, tx, touched); err != nil {
			return err
		}
		// An order that left this user stays while its work is on its
		// way; the page that confirms the last of it lets it go.
		if err := db.dropRevoked(ctx, tx, touched, ix); err != nil {
			return err
		}
		if err := db.hook("cursor"); err != nil {
			return err
		}
		if !page.HasMore {
			if err := setState(ctx, tx, keyLastSync, now.UTC().Format(time.RFC3339Nano)); err != nil {
				return err
			}
		}
		// The cursor goes last.
		return setState(ctx, tx, keyCursor, page.Cursor)
	})
	switch {
	case err == nil && !page.HasMore && db.ixDeferred.Load():
		// The pull is complete: the indexer rebuilds the indexes now,
		// while the queue already shows the orders (bulkload.go).
		db.bulkDue.Store(true)
		if db.indexKick == nil { // no indexer (schema before search)
			err = db.finishBulk(ctx)
		}
		db.indexChanged()
		db.kickIndexer()
	case err != nil && deferred:
		db.ixDeferred.Store(false) // rolled back: the indexes are still there
		db.checkpointAfterBulk(ctx)
	}
	return translate(err, "apply pull")
}

func (db *DB) applyChange(ctx context.Context, tx *sql.Tx, c *streetdesk.Change, staging bool, now time.Time, touched map[string]bool, ix *indexBatch) error {
	switch c.Type {
	case streetdesk.ChangeWorkOrder:
		switch c.Op {
		case streetdesk.OpUpsert:
			if c.Order == nil {
				return streetdesk.Errorf(streetdesk.EINVALID, "work order upsert without order")
			}
			if !streetdesk.ValidOrderID(c.Order.ID) {
				return streetdesk.Errorf(streetdesk.EINVALID, "bad order id %q", c.Order.ID)
			}
			if staging {
				return db.stageOrder(ctx, tx, c.Order, c.OrderJSON)
			}
			touched[c.Order.ID] = true
			return db.upsertOrder(ctx, tx, c.Order, c.OrderJSON, now, ix)
		case streetdesk.OpRevoke:
			id := c.OrderID
			if id == "" {
				id = c.ID
			}
			if staging {
				if _, err := tx.ExecContext(ctx, "DELETE FROM work_orders_staging WHERE id = ?", id); err != nil {
					return err
				}
			}
			touched[id] = true
			return db.revoke(ctx, tx, id, c.Revoke)
		}
	case streetdesk.ChangeNote:
		if c.Note == nil {
			return streetdesk.Errorf(streetdesk.EINVALID, "note change without note")
		}
		return db.upsertServerNote(ctx, tx, c.Note, ix)
	case streetdesk.ChangePhotoRef:
		if c.Photo == nil {
			return streetdesk.Errorf(streetdesk.EINVALID, "photo change without photo")
		}
		return upsertServerPhoto(ctx, tx, c.Photo, now)
	case streetdesk.ChangeResolution:
		if c.Resolution == nil {
			return streetdesk.Errorf(streetdesk.EINVALID, "resolution change without resolution")
		}
		if err := upsertServerResolution(ctx, tx, c.Resolution); err != nil {
			return err
		}
		return db.storeServerEvidence(ctx, tx, c.Resolution)
	case streetdesk.ChangeMutationResult:
		return nil // applied first
	}
	db.log.Warn("localdb: unknown change ignored", "type", c.Type, "op", c.Op)
	return nil
}

// orderColumns are the filter columns copied out of the order JSON.
func orderColumns(w *streetdesk.WorkOrder) []any {
	return []any{w.Version, w.Cycle, string(w.Status), w.Urgency.Rank(), w.AssigneeID, w.TeamID, w.Category.L3Code,
		w.Location.District, w.Location.StreetOffice, w.Location.Community,
		ms(w.Deadlines.AcceptBy), ms(w.Deadlines.ResolveBy), ms(w.CurrentDeadline()), w.DispatchedAt.UnixMilli()}
}

const insertOrderSQL = `INSERT INTO work_orders(id, version, cycle, status, urgency_rank, assignee_id, team_id, category_l3,
	district, street_office, community, accept_by, resolve_by, deadline, dispatched_at, pulled_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// An update is split in two so that the (wide, covering) indexes are only
// rewritten when an indexed column really changes: SQLite rewrites every
// index whose columns appear in an UPDATE's SET list.
const (
	updatePlainSQL = `UPDATE work_orders SET version = ?, cycle = ?, team_id = ?, accept_by = ?, resolve_by = ?,
	pulled_at = ?, access = 'assigned', revoke_reason = '', revoke_assignee = '', revoke_status = '' WHERE qid = ?`
	updateIndexedSQL = `UPDATE work_orders SET status = ?1, urgency_rank = ?2, assignee_id = ?3, category_l3 = ?4,
	district = ?5, street_office = ?6, community = ?7, deadline = ?8, dispatched_at = ?9 WHERE qid = ?10
	AND (status IS NOT ?1 OR urgency_rank IS NOT ?2 OR assignee_id IS NOT ?3 OR category_l3 IS NOT ?4
	OR district IS NOT ?5 OR street_office IS NOT ?6 OR community IS NOT ?7 OR deadline IS NOT ?8 OR dispatched_at IS NOT ?9)`
)

// upsertOrder writes one shadow row, never letting its version go backwards.
// raw, when not empty, is w's JSON as received (Change.OrderJSON) and is
// stored as it is.
func (db *DB) upsertOrder(ctx context.Context, tx *sql.Tx, w *streetdesk.WorkOrder, raw []byte, now time.Time, ix *indexBatch) error {
	data, err := orderJSON(w, raw)
	if err != nil {
		return err
	}
	stmt := func(q string) (*sql.Stmt, error) { return ix.stmt(ctx, tx, q) }
	var qid, version int64
	if db.ixDeferred.Load() {
		// A first sync (bulkload.go): nearly every row is new, so try the
		// insert first and look the row up only if it already exists.
		ins, err := stmt(insertOrderSQL + " ON CONFLICT(id) DO NOTHING")
		if err != nil {
			return err
		}
		res, err := ins.ExecContext(ctx, append(append([]any{w.ID}, orderColumns(w)...), now.UnixMilli())...)
		if err != nil {
			return translate(err, "order "+w.ID)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			if qid, err = res.LastInsertId(); err != nil {
				return err
			}
			return db.putOrderData(ctx, tx, w, qid, data, ix)
		}
	}
	get, err := stmt("SELECT qid, version FROM work_orders WHERE id = ?")
	if err != nil {
		return err
	}
	err = get.QueryRowContext(ctx, w.ID).Scan(&qid, &version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		ins, err := stmt(insertOrderSQL)
		if err != nil {
			return err
		}
		res, err := ins.ExecContext(ctx, append(append([]any{w.ID}, orderColumns(w)...), now.UnixMilli())...)
		if err != nil {
			return translate(err, "order "+w.ID)
		}
		if qid, err = res.LastInsertId(); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("order %s: %w", w.ID, err)
	case version > w.Version:
		return nil // older than what we have
	default:
		up, err := stmt(updatePlainSQL)
		if err != nil {
			return err
		}
		if _, err := up.ExecContext(ctx, w.Version, w.Cycle, w.TeamID, ms(w.Deadlines.AcceptBy), ms(w.Deadlines.ResolveBy), now.UnixMilli(), qid); err != nil {
			return translate(err, "order "+w.ID)
		}
		upi, err := stmt(updateIndexedSQL)
		if err != nil {
			return err
		}
		if _, err := upi.ExecContext(ctx, string(w.Status), w.Urgency.Rank(), w.AssigneeID, w.Category.L3Code, w.Location.District,
			w.Location.StreetOffice, w.Location.Community, ms(w.CurrentDeadline()), w.DispatchedAt.UnixMilli(), qid); err != nil {
			return translate(err, "order "+w.ID)
		}
	}
	return db.putOrderData(ctx, tx, w, qid, data, ix)
}

// putOrderData writes the order's JSON and queues its search text.
func (db *DB) putOrderData(ctx context.Context, tx *sql.Tx, w *streetdesk.WorkOrder, qid int64, data []byte, ix *indexBatch) error {
	put, err := ix.stmt(ctx, tx, `INSERT INTO work_order_data(qid, data) VALUES (?, ?) ON CONFLICT(qid) DO UPDATE SET data = excluded.data`)
	if err != nil {
		return err
	}
	if _, err := put.ExecContext(ctx, qid, string(data)); err != nil {
		return translate(err, "order "+w.ID)
	}
	if !db.ixDeferred.Load() {
		// During a first sync restoreIndexes queues every new order at once.
		ix.addOrder(w)
	}
	return nil
}

// orderJSON is what work_order_data keeps for w: the bytes the platform
// sent when the decoder kept them (no second encoding), else w encoded.
func orderJSON(w *streetdesk.WorkOrder, raw []byte) ([]byte, error) {
	if len(raw) > 0 {
		return raw, nil
	}
	return json.Marshal(w)
}

func (db *DB) stageOrder(ctx context.Context, tx *sql.Tx, w *streetdesk.WorkOrder, raw []byte) error {
	data, err := orderJSON(w, raw)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO work_orders_staging(id, version, data) VALUES (?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET version = excluded.version, data = excluded.data WHERE excluded.version >= work_orders_staging.version`,
		w.ID, w.Version, string(data))
	return err
}

// hasLocalWork reports whether the order still has something of this desk
// the user must be able to see on it: intents the platform has not
// confirmed (a note, a photo reference or a resolution is written with its
// intent, so this covers them until the platform has them or refused
// them), photo bytes not yet uploaded, or an open entry in the inbox.
// A revoked order is kept exactly as long as this holds; a local note the
// platform took is on the platform even when, the order having left this
// user, no pull ever brings it back.
func hasLocalWork(ctx context.Context, q querier, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM outbox WHERE order_id = ?1)
		OR EXISTS (SELECT 1 FROM conflicts WHERE order_id = ?1 AND dismissed_at IS NULL)
		OR EXISTS (SELECT 1 FROM photo_refs p JOIN blobs b ON b.sha256 = p.sha256 WHERE p.order_id = ?1 AND p.origin = 'local'
			AND b.state IN ('local', 'uploading'))`, id).Scan(&n)
	return n != 0, err
}

// dropRevoked removes, among ids, the revoked orders that have nothing of
// this desk left on them (hasLocalWork): the desk then lists what the
// platform lets this user see, as a freshly signed-in desk does.
func (db *DB) dropRevoked(ctx context.Context, tx *sql.Tx, ids map[string]bool, ix *indexBatch) error {
	revoked, err := revokedAmong(ctx, tx, ids, ix)
	if err != nil {
		return err
	}
	for id, qid := range revoked {
		if work, err := hasLocalWork(ctx, tx, id); err != nil || work {
			if err != nil {
				return err
			}
			continue
		}
		if db.search {
			if err := unindex(ctx, tx, qid); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM work_orders WHERE qid = ?", qid); err != nil { // its data row cascades
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM overlay WHERE order_id = ?", id); err != nil {
			return err
		}
	}
	return nil
}

// revokedAmong returns the revoked orders among ids with their qid (ix,
// when not nil, holds the statements prepared for a pull page). A page
// touches up to a thousand orders and revoked ones are rare: past a few
// dozen ids one pass over the shadow's rows is cheaper than a lookup each
// (which was a tenth of a first sync).
func revokedAmong(ctx context.Context, tx *sql.Tx, ids map[string]bool, ix *indexBatch) (map[string]int64, error) {
	out := map[string]int64{}
	if len(ids) > 64 {
		rows, err := tx.QueryContext(ctx, "SELECT id, qid FROM work_orders WHERE access = 'revoked'")
		return out, sqlrows.Each(rows, err, func(rows *sql.Rows) error {
			var id string
			var qid int64
			if err := rows.Scan(&id, &qid); err != nil {
				return err
			}
			if ids[id] {
				out[id] = qid
			}
			return nil
		})
	}
	const q = "SELECT qid FROM work_orders WHERE id = ? AND access = 'revoked'"
	get := func(id string) *sql.Row { return tx.QueryRowContext(ctx, q, id) }
	if ix != nil {
		st, err := ix.stmt(ctx, tx, q)
		if err != nil {
			return nil, err
		}
		get = func(id string) *sql.Row { return st.QueryRowContext(ctx, id) }
	}
	for id := range ids {
		var qid int64
		err := get(id).Scan(&qid)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = qid
	}
	return out, nil
}

// revoke removes an order from view; with local work it stays as a
// read-only revoked row so nothing the caseworker did disappears.
func (db *DB) revoke(ctx context.Context, tx *sql.Tx, id string, r *streetdesk.Revocation) error {
	work, err := hasLocalWork(ctx, tx, id)
	if err != nil {
		return err
	}
	if !work {
		var qid int64
		err := tx.QueryRowContext(ctx, "SELECT qid FROM work_orders WHERE id = ?", id).Scan(&qid)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if db.search {
			if err := unindex(ctx, tx, qid); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM work_orders WHERE qid = ?", qid) // its data row cascades
		return err
	}
	var reason, who, status string
	if r != nil {
		reason, who, status = string(r.Reason), r.NewAssignee, string(r.Status)
	}
	_, err = tx.ExecContext(ctx, "UPDATE work_orders SET access = 'revoked', revoke_reason = ?, revoke_assignee = ?, revoke_status = ? WHERE id = ?",
		reason, who, status, id)
	return err
}

// swapReset replaces the shadow with the staged snapshot in one go. Orders
// missing from the snapshot are dropped unless they have local work, in
// which case they stay as revoked.
func (db *DB) swapReset(ctx context.Context, tx *sql.Tx, now time.Time, touched map[string]bool, ix *indexBatch) error {
	gone, err := sqlrows.Column[string](tx.QueryContext(ctx, "SELECT id FROM work_orders WHERE id NOT IN (SELECT id FROM work_orders_staging)"))
	if err != nil {
		return err
	}
	for _, id := range gone {
		touched[id] = true
		if err := db.revoke(ctx, tx, id, &streetdesk.Revocation{Reason: streetdesk.CodeNotFound}); err != nil {
			return err
		}
	}
	staged, err := sqlrows.Column[string](tx.QueryContext(ctx, "SELECT data FROM work_orders_staging"))
	if err != nil {
		return err
	}
	for _, data := range staged {
		var w streetdesk.WorkOrder
		if err := json.Unmarshal([]byte(data), &w); err != nil {
			return err
		}
		if err := db.upsertOrder(ctx, tx, &w, []byte(data), now, ix); err != nil {
			return err
		}
		// A snapshot row is visible again even if its version did not move.
		if _, err := tx.ExecContext(ctx, "UPDATE work_orders SET access = 'assigned', revoke_reason = '', revoke_assignee = '', revoke_status = '' WHERE id = ? AND access = 'revoked'", w.ID); err != nil {
			return err
		}
		touched[w.ID] = true
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM work_orders_staging"); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "DELETE FROM sync_state WHERE key = ?", keyResetActive)
	return err
}

func (db *DB) upsertServerNote(ctx context.Context, tx *sql.Tx, n *streetdesk.Note, ix *indexBatch) error {
	if n.ID == "" || n.WorkOrderID == "" {
		return streetdesk.Errorf(streetdesk.EINVALID, "note without id or order")
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO notes(id, order_id, kind, body, method, reached, author_id, author_name, cycle, created_at,
		author_was_assignee, origin, server_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'server', 1)
		ON CONFLICT(id) DO UPDATE SET server_seen = 1, author_name = excluded.author_name,
		author_was_assignee = excluded.author_was_assignee, cycle = excluded.cycle`,
		n.ID, n.WorkOrderID, string(n.Kind), n.Body, string(n.Method), n.Reached, n.AuthorID, n.AuthorName, n.Cycle,
		n.CreatedAt.UnixMilli(), n.AuthorWasAssignee)
	if err != nil {
		return err
	}
	ix.add(n.WorkOrderID)
	return nil
}

func upsertServerPhoto(ctx context.Context, tx *sql.Tx, p *streetdesk.PhotoRef, now time.Time) error {
	if p.ID == "" || p.WorkOrderID == "" || !streetdesk.ValidSHA256(p.SHA256) {
		return streetdesk.Errorf(streetdesk.EINVALID, "photo ref without id, order or valid sha256")
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO blobs(sha256, size, mime, state, created_at) VALUES (?, ?, ?, 'remote', ?)
		ON CONFLICT(sha256) DO NOTHING`, p.SHA256, p.Size, p.MIME, p.CreatedAt.UnixMilli()); err != nil {
		return err
	}
	if p.BlobPresent {
		// The platform holds the bytes: a local blob needs no upload.
		if _, err := tx.ExecContext(ctx, "UPDATE blobs SET state = 'verified', verified_at = ? WHERE sha256 = ? AND state IN ('local', 'uploading')",
			now.UnixMilli(), p.SHA256); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO photo_refs(id, order_id, sha256, size, mime, tag, caption, taken_at, lat, lng, author_id, cycle,
		created_at, origin, server_seen, blob_present) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'server', 1, ?)
		ON CONFLICT(id) DO UPDATE SET server_seen = 1, blob_present = excluded.blob_present, cycle = excluded.cycle`,
		p.ID, p.WorkOrderID, p.SHA256, p.Size, p.MIME, string(p.Tag), p.Caption, ms(p.TakenAt), p.Lat, p.Lng, p.AuthorID, p.Cycle,
		p.CreatedAt.UnixMilli(), p.BlobPresent)
	return err
}

func upsertServerResolution(ctx context.Context, tx *sql.Tx, r *streetdesk.Resolution) error {
	if r.ID == "" || r.WorkOrderID == "" {
		return streetdesk.Errorf(streetdesk.EINVALID, "resolution without id or order")
	}
	ids := r.PhotoRefIDs
	if ids == nil {
		ids = []string{}
	}
	pj, _ := json.Marshal(ids)
	_, err := tx.ExecContext(ctx, `INSERT INTO resolutions(id, order_id, cycle, outcome, reply, photo_ref_ids, state, author_id, created_at, origin, server_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'server', 1)
		ON CONFLICT(id) DO UPDATE SET state = excluded.state, server_seen = 1, cycle = excluded.cycle`,
		r.ID, r.WorkOrderID, r.Cycle, string(r.Outcome), r.Reply, string(pj), string(r.State), r.AuthorID, r.CreatedAt.UnixMilli())
	return err
}
