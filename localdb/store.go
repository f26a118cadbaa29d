package localdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/sqlrows"
)

// This file implements the sync engine's Store (sync/store.go). localdb does
// not import package sync; the types it needs are mirrored below and cmd
// asserts conformance.

// Upload, Download and LogEntry are the sync engine's record types
// (sync aliases the same root types).
type (
	Upload   = streetdesk.Upload
	Download = streetdesk.Download
	LogEntry = streetdesk.SyncLogEntry
)

// sync_state keys.
const (
	keyClientID    = "client_id"
	keyCursor      = "cursor"
	keyResetActive = "reset_active"
	keyLastSync    = "last_sync"
)

// logKeep is the size of the sync_log ring buffer.
const logKeep = 2000

func getState(ctx context.Context, q querier, key string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, "SELECT value FROM sync_state WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	return v, nil
}

func setState(ctx context.Context, tx querier, key, value string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

func clientID(ctx context.Context, tx querier) (string, error) {
	id, err := getState(ctx, tx, keyClientID)
	if err != nil || id != "" {
		return id, err
	}
	id = newID()
	return id, setState(ctx, tx, keyClientID, id)
}

// ClientID returns this database's client id, creating it on first use.
func (db *DB) ClientID(ctx context.Context) (string, error) {
	var id string
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = clientID(ctx, tx)
		return err
	})
	return id, err
}

// ForkClient gives the database a new client id and re-enqueues every
// outbox row under a new mutation id with the same key, in the same order.
// The action log records the fork.
func (db *DB) ForkClient(ctx context.Context) (string, error) {
	return db.forkClient(ctx, streetdesk.ChainFork{})
}

func (db *DB) forkClient(ctx context.Context, f streetdesk.ChainFork) (string, error) {
	id := newID()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		old, err := clientID(ctx, tx)
		if err != nil {
			return err
		}
		if err := forkPoint(ctx, tx, &f); err != nil {
			return err
		}
		type row struct {
			id  int64
			key string
		}
		var rs []row
		rows, err := tx.QueryContext(ctx, "SELECT id, key FROM outbox ORDER BY id")
		err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
			var r row
			if err := rows.Scan(&r.id, &r.key); err != nil {
				return err
			}
			rs = append(rs, r)
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range rs {
			// Re-inserting without an id takes the next AUTOINCREMENT value;
			// the old row goes first so the key stays unique. Every row is
			// sent again: the platform answers by key.
			if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS fork_row AS SELECT * FROM outbox WHERE 0`); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO temp.fork_row SELECT * FROM outbox WHERE id = ?`, r.id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE id = ?`, r.id); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO outbox(key, client_id, name, order_id, base_version, base_cycle, args, created_at, state, attempts)
				SELECT key, ?, name, order_id, base_version, base_cycle, args, created_at, 'pending', 0 FROM temp.fork_row`, id)
			if err != nil {
				return err
			}
			nid, _ := res.LastInsertId()
			if _, err := tx.ExecContext(ctx, `DELETE FROM temp.fork_row`); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE conflicts SET mutation_id = ? WHERE mutation_key = ?`, nid, r.key); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS temp.fork_row"); err != nil {
			return err
		}
		if err := setState(ctx, tx, keyClientID, id); err != nil {
			return err
		}
		if err := db.logFork(ctx, tx, old, id, f); err != nil {
			return err
		}
		// Answered/rejected rows are pending again: refresh what they show.
		seen := map[string]bool{}
		for _, r := range rs {
			var oid string
			if err := tx.QueryRowContext(ctx, "SELECT order_id FROM outbox WHERE key = ?", r.key).Scan(&oid); err != nil {
				return err
			}
			if !seen[oid] {
				seen[oid] = true
				if err := db.refreshOverlay(ctx, tx, oid); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return "", translate(err, "fork client")
	}
	db.log.Info("localdb: new client id after restore", "rows", "re-enqueued")
	return id, nil
}

// MaxMutationID is the highest outbox id ever allocated.
func (db *DB) MaxMutationID(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	err := db.r.QueryRowContext(ctx, "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("max mutation id: %w", err)
	}
	return n.Int64, nil
}

// PendingMutations returns up to limit unanswered outbox rows in id order.
func (db *DB) PendingMutations(ctx context.Context, limit int) ([]streetdesk.Mutation, error) {
	if limit <= 0 {
		limit = streetdesk.MaxPushMutations
	}
	st, err := db.readStmt(ctx, `SELECT id, key, name, order_id, base_version, base_cycle, args, created_at
		FROM outbox WHERE state = 'pending' ORDER BY id LIMIT ?`)
	if err != nil {
		return nil, fmt.Errorf("pending mutations: %w", err)
	}
	rows, err := st.QueryContext(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("pending mutations: %w", err)
	}
	defer rows.Close()
	var out []streetdesk.Mutation
	for rows.Next() {
		var m streetdesk.Mutation
		var args string
		var created int64
		if err := rows.Scan(&m.ID, &m.Key, &m.Name, &m.OrderID, &m.BaseVersion, &m.BaseCycle, &args, &created); err != nil {
			return nil, err
		}
		m.Args = json.RawMessage(args)
		m.ClientTime = fromMSInt(created).UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// RecordPushResults stores the platform's answers; rejected and conflicting
// ones go to the conflicts inbox with the full intent.
func (db *DB) RecordPushResults(ctx context.Context, results []streetdesk.MutationResult) error {
	return db.RecordPushAnswer(ctx, results, nil)
}

// RecordPushAnswer is RecordPushResults that also records ack, the
// platform's acknowledgement of the push's action-log entries (AckChain),
// when not nil: one transaction, so one fsync for both.
func (db *DB) RecordPushAnswer(ctx context.Context, results []streetdesk.MutationResult, ack *streetdesk.ChainAck) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if ack != nil {
			if err := db.ackChain(ctx, tx, *ack); err != nil {
				return err
			}
		}
		// Answers that leave the order as the desk shows it (applied, or a
		// duplicate repeating no refusal) are recorded in one statement:
		// one row per result was most of the cost of recording a push of
		// 1,000. Refusals (inbox entries) and results without a key go
		// one by one.
		var plain []streetdesk.MutationResult
		rest := results
		if len(results) > 1 && distinctKeys(results) {
			rest = nil
			for i := range results {
				if r := &results[i]; refused(r) || r.Key == "" {
					rest = append(rest, *r)
				} else {
					plain = append(plain, *r)
				}
			}
		}
		if err := db.recordAnswered(ctx, tx, plain); err != nil {
			return err
		}
		touched := map[string]bool{}
		for i := range rest {
			oid, err := db.recordResult(ctx, tx, &rest[i])
			if err != nil {
				return err
			}
			// An applied intent stays in the overlay as it was; only a
			// refusal changes what the order shows.
			if oid != "" && refused(&rest[i]) {
				touched[oid] = true
			}
		}
		return db.refreshAll(ctx, tx, touched)
	})
}

// distinctKeys reports whether no key answers twice (then the order in
// which the answers are recorded cannot matter).
func distinctKeys(rs []streetdesk.MutationResult) bool {
	seen := make(map[string]bool, len(rs))
	for i := range rs {
		if seen[rs[i].Key] {
			return false
		}
		seen[rs[i].Key] = true
	}
	return true
}

// recordAnswered marks the outbox rows of answers that are not refusals
// (each found by key) as answered, with their result, in one statement,
// and settles the resolutions they submitted: what recordResult does for
// such an answer, row by row.
func (db *DB) recordAnswered(ctx context.Context, tx *sql.Tx, rs []streetdesk.MutationResult) error {
	if len(rs) == 0 {
		return nil
	}
	raw, err := json.Marshal(rs)
	if err != nil {
		return fmt.Errorf("record results: %w", err)
	}
	// Only a resolution's args are read back (the others' would be copied
	// out for nothing: 1,000 strings for a push of notes).
	rows, err := tx.QueryContext(ctx, `UPDATE outbox SET state = ?, result = j.value
		FROM json_each(?) AS j WHERE outbox.key = j.value ->> '$.key'
		RETURNING outbox.name, iif(outbox.name = ?, outbox.args, '')`, stateAnswered, string(raw), streetdesk.MutSubmitResolution)
	var resolutions []string
	err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
		var name, args string
		if err := rows.Scan(&name, &args); err != nil {
			return err
		}
		if name != streetdesk.MutSubmitResolution {
			return nil
		}
		if a, err := streetdesk.DecodeArgs(name, json.RawMessage(args)); err == nil {
			resolutions = append(resolutions, a.(*streetdesk.SubmitResolutionArgs).ResolutionID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record results: %w", err)
	}
	for _, id := range resolutions {
		if _, err := tx.ExecContext(ctx, "UPDATE resolutions SET state = ? WHERE id = ? AND server_seen = 0",
			string(streetdesk.ResolutionAccepted), id); err != nil {
			return err
		}
	}
	return nil
}

// refreshAll recomputes the overlay of the given orders that have intents
// or an overlay row (the others have nothing to recompute).
func (db *DB) refreshAll(ctx context.Context, tx *sql.Tx, ids map[string]bool) error {
	if len(ids) == 0 {
		return nil
	}
	all, err := sqlrows.Column[string](tx.QueryContext(ctx, "SELECT DISTINCT order_id FROM outbox UNION SELECT order_id FROM overlay"))
	if err != nil {
		return err
	}
	var l []string
	for _, id := range all {
		if ids[id] {
			l = append(l, id)
		}
	}
	sort.Strings(l)
	for _, id := range l {
		if err := db.refreshOverlay(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

// refused reports whether a result means the intent did not apply as asked.
// A duplicate carrying a code repeats an earlier refusal.
func refused(r *streetdesk.MutationResult) bool {
	switch r.Status {
	case streetdesk.ResultRejected, streetdesk.ResultConflict:
		return true
	case streetdesk.ResultDuplicate:
		return r.Code != streetdesk.CodeNone
	}
	return false
}

// recordResult marks the outbox row (found by key, else id) and files a
// conflict if needed; it returns the order id touched.
func (db *DB) recordResult(ctx context.Context, tx *sql.Tx, r *streetdesk.MutationResult) (string, error) {
	state := stateAnswered
	if refused(r) {
		state = stateConflict
		if r.Status == streetdesk.ResultRejected {
			state = stateRejected
		}
	}
	raw, _ := json.Marshal(r)
	var id int64
	var name, orderID, args string
	// One statement marks the row and reads what the rest needs; it runs
	// for every result, so it is prepared once (cachedTx).
	q := cachedTx{db, tx}
	err := q.QueryRowContext(ctx, "UPDATE outbox SET state = ?, result = ? WHERE key = ? RETURNING id, name, order_id, args",
		state, string(raw), r.Key).Scan(&id, &name, &orderID, &args)
	if errors.Is(err, sql.ErrNoRows) && r.Key == "" {
		err = tx.QueryRowContext(ctx, "UPDATE outbox SET state = ?, result = ? WHERE id = ? RETURNING id, name, order_id, args",
			state, string(raw), r.ID).Scan(&id, &name, &orderID, &args)
	}
	found := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("record result: %w", err)
	}
	if !found {
		// The row is already gone (confirmed by an earlier pull): a
		// refusal still deserves an inbox entry.
		id, name, orderID, args = r.ID, r.Name, r.OrderID, "{}"
	}
	if name == streetdesk.MutSubmitResolution && found {
		if a, err := streetdesk.DecodeArgs(name, json.RawMessage(args)); err == nil {
			rs := streetdesk.ResolutionAccepted
			if refused(r) {
				rs = streetdesk.ResolutionProposal
			}
			if _, err := tx.ExecContext(ctx, "UPDATE resolutions SET state = ? WHERE id = ? AND server_seen = 0",
				string(rs), a.(*streetdesk.SubmitResolutionArgs).ResolutionID); err != nil {
				return "", err
			}
		}
	}
	if !refused(r) {
		return orderID, nil
	}
	why, err := explain(ctx, tx, r, name, orderID)
	if err != nil {
		return "", err
	}
	expl, err := json.Marshal(why)
	if err != nil {
		return "", fmt.Errorf("file conflict: %w", err)
	}
	status := r.Status
	if status == streetdesk.ResultDuplicate {
		status = streetdesk.ResultRejected
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO conflicts(mutation_id, mutation_key, order_id, name, status, code, explanation, intent, result, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(mutation_key) DO NOTHING`,
		id, r.Key, orderID, name, string(status), string(r.Code), string(expl), args, string(raw), db.now().UnixMilli()); err != nil {
		return "", fmt.Errorf("file conflict: %w", err)
	}
	return orderID, nil
}

// explain is what the inbox says of a conflict: what happened and what of
// the local work was kept, as a message the desk words.
func explain(ctx context.Context, q querier, r *streetdesk.MutationResult, name, orderID string) (streetdesk.Message, error) {
	// A proposal is about its members, not only the order it waits on:
	// the platform's message names the member at fault.
	if name == streetdesk.MutProposeEvent && r.Message != "" {
		return streetdesk.Msg(streetdesk.MsgConflictProposal, "Message", r.Message), nil
	}
	var notes, photos int
	if err := q.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM notes WHERE order_id = ? AND origin = 'local'),
		(SELECT count(*) FROM photo_refs WHERE order_id = ? AND origin = 'local')`, orderID, orderID).Scan(&notes, &photos); err != nil {
		return streetdesk.Message{}, fmt.Errorf("explain conflict: %w", err)
	}
	var kept streetdesk.Message
	switch {
	case notes > 0 && photos > 0:
		kept = streetdesk.Msg(streetdesk.MsgConflictKeptNotesPhotos, "N", photos)
	case notes > 0:
		kept = streetdesk.Msg(streetdesk.MsgConflictKeptNotes)
	case photos > 0:
		kept = streetdesk.Msg(streetdesk.MsgConflictKeptPhotos, "N", photos)
	}
	op := streetdesk.NameMsg("op", name)
	what := streetdesk.Msg(streetdesk.MsgConflictWhatOp, "Op", op)
	switch name {
	case streetdesk.MutSubmitResolution:
		what = streetdesk.Msg(streetdesk.MsgConflictWhatDraft)
	case streetdesk.MutAccept, streetdesk.MutRequestReturn, streetdesk.MutRequestExtension, streetdesk.MutApproveReview, streetdesk.MutSendBack, streetdesk.MutReassign:
		what = streetdesk.Msg(streetdesk.MsgConflictWhatStatus)
	}
	tail := streetdesk.Msg(streetdesk.MsgConflictTail, "What", what)
	if !kept.IsZero() {
		tail = streetdesk.Msg(streetdesk.MsgConflictTailKept, "Kept", kept, "What", what)
	}
	team, err := loadTeam(ctx, q)
	if err != nil {
		return streetdesk.Message{}, err
	}
	say := func(c streetdesk.MsgCode, nameValues ...any) (streetdesk.Message, error) {
		return streetdesk.Msg(c, append(nameValues, "Op", op, "Tail", tail)...), nil
	}
	switch r.Code {
	case streetdesk.CodeReassigned:
		if r.NewAssignee != "" {
			return say(streetdesk.MsgConflictReassigned, "Who", memberName(team, r.NewAssignee))
		}
		return say(streetdesk.MsgConflictReassignedOther)
	case streetdesk.CodeCancelled:
		return say(streetdesk.MsgConflictCancelled)
	case streetdesk.CodeStaleCycle:
		return say(streetdesk.MsgConflictStaleCycle)
	case streetdesk.CodeStatusChanged:
		if r.ServerStatus != "" {
			return say(streetdesk.MsgConflictStatusChanged, "Status", streetdesk.NameMsg("status", string(r.ServerStatus)))
		}
		return say(streetdesk.MsgConflictStatusOther)
	case streetdesk.CodeAlreadyResolved:
		return say(streetdesk.MsgConflictAlreadyResolved)
	case streetdesk.CodeInvalidTransition:
		return say(streetdesk.MsgConflictInvalidTransition)
	case streetdesk.CodeValidation:
		return say(streetdesk.MsgConflictValidation, "Message", r.Message)
	case streetdesk.CodeForbidden:
		return say(streetdesk.MsgConflictForbidden)
	case streetdesk.CodeNotFound:
		return say(streetdesk.MsgConflictNotFound)
	case streetdesk.CodeTooLarge:
		return say(streetdesk.MsgConflictTooLarge, "Message", r.Message)
	}
	if r.Message != "" {
		return say(streetdesk.MsgConflictPlatformSaid, "Message", r.Message)
	}
	return say(streetdesk.MsgConflictNotApplied)
}

// RecordPushAttempt notes a failed attempt for the given ids.
func (db *DB) RecordPushAttempt(ctx context.Context, ids []int64, errText string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?, last_error = ? WHERE id = ?",
				db.now().UnixMilli(), errText, id); err != nil {
				return fmt.Errorf("record attempt: %w", err)
			}
		}
		return nil
	})
}

// PullCursor returns the stored cursor ("" before the first sync).
func (db *DB) PullCursor(ctx context.Context) (string, error) { return getState(ctx, db.r, keyCursor) }

// ClearCursor forgets the cursor so the next pull is a full snapshot.
func (db *DB) ClearCursor(ctx context.Context) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM sync_state WHERE key = ?", keyCursor)
		return err
	})
}

// State reads a small sync_state value ("" when unset).
func (db *DB) State(ctx context.Context, key string) (string, error) { return getState(ctx, db.r, key) }

// SetState writes a small sync_state value.
func (db *DB) SetState(ctx context.Context, key, value string) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return setState(ctx, tx, key, value) })
}

// Log appends to the sync_log ring buffer (the last logKeep lines are kept).
func (db *DB) Log(ctx context.Context, e LogEntry) error {
	if e.At.IsZero() {
		e.At = db.now()
	}
	// Logging does not wake Notify listeners: it changes nothing they show.
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, "INSERT INTO sync_log(at, kind, request_id, status, ms, detail) VALUES (?, ?, ?, ?, ?, ?)",
		e.At.UnixMilli(), e.Kind, e.RequestID, e.Status, e.Duration.Milliseconds(), e.Detail)
	if err != nil {
		return fmt.Errorf("sync log: %w", err)
	}
	id, _ := res.LastInsertId()
	if _, err := tx.ExecContext(ctx, "DELETE FROM sync_log WHERE id <= ?", id-logKeep); err != nil {
		return fmt.Errorf("sync log: %w", err)
	}
	return tx.Commit()
}

// ShadowChecksum computes the checksum of the visible (non-revoked) shadow.
func (db *DB) ShadowChecksum(ctx context.Context) (streetdesk.Checksum, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT id, version FROM work_orders WHERE access = 'assigned'")
	if err != nil {
		return streetdesk.Checksum{}, fmt.Errorf("checksum: %w", err)
	}
	defer rows.Close()
	var pairs []streetdesk.VersionPair
	for rows.Next() {
		var p streetdesk.VersionPair
		if err := rows.Scan(&p.ID, &p.Version); err != nil {
			return streetdesk.Checksum{}, err
		}
		pairs = append(pairs, p)
	}
	if err := rows.Err(); err != nil {
		return streetdesk.Checksum{}, err
	}
	return streetdesk.ComputeChecksum(pairs), nil
}

// Media.

// PendingUploads lists referenced blobs not yet verified on the platform,
// resolution photos first.
func (db *DB) PendingUploads(ctx context.Context) ([]Upload, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT b.sha256, b.path, b.size, b.mime, b.tus_url, b.uploaded_offset, b.priority, b.attempts,
		(SELECT p.order_id FROM photo_refs p WHERE p.sha256 = b.sha256 ORDER BY p.created_at LIMIT 1)
		FROM blobs b WHERE b.state IN ('local', 'uploading')
		AND EXISTS (SELECT 1 FROM photo_refs p WHERE p.sha256 = b.sha256)
		ORDER BY b.priority DESC, b.created_at, b.sha256`)
	if err != nil {
		return nil, fmt.Errorf("pending uploads: %w", err)
	}
	defer rows.Close()
	var out []Upload
	for rows.Next() {
		var u Upload
		if err := rows.Scan(&u.SHA256, &u.Path, &u.Size, &u.MIME, &u.URL, &u.Offset, &u.Priority, &u.Attempts, &u.OrderID); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (db *DB) blobUpdate(ctx context.Context, sha, q string, args ...any) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, append(args, sha)...)
		if err != nil {
			return translate(err, "blob "+sha)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return streetdesk.Errorf(streetdesk.ENOTFOUND, "blob %s not found", sha)
		}
		return nil
	})
}

// SetUploadURL persists the tus upload URL ("" clears it).
func (db *DB) SetUploadURL(ctx context.Context, sha256, url string) error {
	return db.blobUpdate(ctx, sha256, `UPDATE blobs SET tus_url = ?, state = CASE WHEN ? = '' THEN 'local' ELSE 'uploading' END,
		uploaded_offset = CASE WHEN ? = '' THEN 0 ELSE uploaded_offset END WHERE sha256 = ?`, url, url, url)
}

// SetUploadProgress records confirmed bytes (for progress only).
func (db *DB) SetUploadProgress(ctx context.Context, sha256 string, offset int64) error {
	return db.blobUpdate(ctx, sha256, "UPDATE blobs SET uploaded_offset = ? WHERE sha256 = ?", offset)
}

// MarkBlobVerified records that the platform holds the blob. An order that
// left this user and waited only for these bytes goes from the queue.
func (db *DB) MarkBlobVerified(ctx context.Context, sha256 string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE blobs SET state = 'verified', verified_at = ?, uploaded_offset = size, tus_url = '', last_error = ''
			WHERE sha256 = ?`, db.now().UnixMilli(), sha256)
		if err != nil {
			return translate(err, "blob "+sha256)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return streetdesk.Errorf(streetdesk.ENOTFOUND, "blob %s not found", sha256)
		}
		rows, err := tx.QueryContext(ctx, "SELECT DISTINCT order_id FROM photo_refs WHERE sha256 = ?", sha256)
		if err != nil {
			return err
		}
		orders := map[string]bool{}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			orders[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return db.dropRevoked(ctx, tx, orders, nil)
	})
}

// MarkBlobFailed records an upload failure that needs a person; state is
// "missing_local" or "failed".
func (db *DB) MarkBlobFailed(ctx context.Context, sha256, state, msg string) error {
	if state != "missing_local" && state != "failed" {
		return streetdesk.Errorf(streetdesk.EINVALID, "blob state %q: want missing_local or failed", state)
	}
	return db.blobUpdate(ctx, sha256, "UPDATE blobs SET state = ?, last_error = ?, attempts = attempts + 1 WHERE sha256 = ?", state, msg)
}

// PendingDownloads lists photos others attached that are not on disk,
// newest first, within a byte budget.
func (db *DB) PendingDownloads(ctx context.Context, budget int64) ([]Download, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT b.sha256, b.size, b.mime, p.order_id, max(p.created_at) AS newest
		FROM blobs b JOIN photo_refs p ON p.sha256 = b.sha256
		WHERE b.state = 'remote' AND b.path = '' GROUP BY b.sha256 ORDER BY newest DESC, b.sha256`)
	if err != nil {
		return nil, fmt.Errorf("pending downloads: %w", err)
	}
	defer rows.Close()
	var out []Download
	var used int64
	for rows.Next() {
		var d Download
		var newest int64
		if err := rows.Scan(&d.SHA256, &d.Size, &d.MIME, &d.OrderID, &newest); err != nil {
			return nil, err
		}
		if used+d.Size > budget {
			continue
		}
		used += d.Size
		out = append(out, d)
	}
	return out, rows.Err()
}

// RegisterDownload records a downloaded, hash-verified file.
func (db *DB) RegisterDownload(ctx context.Context, sha256, path string, size int64, mime string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO blobs(sha256, path, size, mime, state, created_at, verified_at) VALUES (?, ?, ?, ?, 'verified', ?, ?)
			ON CONFLICT(sha256) DO UPDATE SET path = excluded.path, size = excluded.size, mime = excluded.mime,
			state = CASE WHEN blobs.state IN ('remote', 'missing_local') THEN 'verified' ELSE blobs.state END`,
			sha256, path, size, mime, db.now().UnixMilli(), db.now().UnixMilli())
		return translate(err, "register download")
	})
}

// Backup writes a consistent copy of the store to path (which must not
// exist), as it stands at one moment, while the store stays in use: what a
// careful copy of the data folder holds.
func (db *DB) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return streetdesk.Errorf(streetdesk.EINVALID, "backup: %s already exists", path)
	}
	// The read pool is read-only, and VACUUM INTO writes the new file.
	if _, err := db.w.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
