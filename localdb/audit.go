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

// The action log (streetdesk.ChainEntry) in the table audit_chain. Every
// local action appends its entry in the transaction of its effect and its
// outbox row (act), so the log and the actions commit or vanish together; a
// fork of the client id appends a fork entry in the fork's transaction.

const chainColumns = "seq, prev, kind, client_id, at, body_hash, hash, body"

// The lookups by key and by order. Their indexes are partial (fork
// entries have neither), and SQLite uses a partial index only when the
// query repeats its condition: hence the "<> ”".
const (
	qChainByKey        = "SELECT " + chainColumns + " FROM audit_chain WHERE mutation_key = ? AND mutation_key <> '' ORDER BY seq LIMIT 1"
	qChainFirstOfOrder = "SELECT min(seq) FROM audit_chain WHERE order_id = ? AND order_id <> ''"
)

func scanChain(rows interface{ Scan(...any) error }, withBody bool) (streetdesk.ChainEntry, error) {
	var e streetdesk.ChainEntry
	var kind, body string
	if err := rows.Scan(&e.Seq, &e.Prev, &kind, &e.ClientID, &e.At, &e.BodyHash, &e.Hash, &body); err != nil {
		return e, err
	}
	e.Kind = streetdesk.ChainKind(kind)
	if withBody {
		e.Body = json.RawMessage(body)
	}
	return e, nil
}

// chainHead returns the last entry (without body), nil for an empty log.
func chainHead(ctx context.Context, q querier) (*streetdesk.ChainEntry, error) {
	e, err := scanChain(q.QueryRowContext(ctx, "SELECT "+chainColumns+" FROM audit_chain ORDER BY seq DESC LIMIT 1"), false)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read action log head: %w", err)
	}
	return &e, nil
}

// appendChain adds one entry after the current head.
func appendChain(ctx context.Context, q querier, kind streetdesk.ChainKind, clientID, orderID, key string, at time.Time, body any) error {
	head, err := chainHead(ctx, q)
	if err != nil {
		return err
	}
	e, err := streetdesk.NewChainEntry(head, kind, clientID, at, body)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit_chain(seq, prev, kind, client_id, at, body_hash, hash, body, order_id, mutation_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, e.Prev, string(e.Kind), e.ClientID, e.At, e.BodyHash, e.Hash, string(e.Body), orderID, key)
	if err != nil {
		return fmt.Errorf("append to the action log: %w", err)
	}
	return nil
}

// auditSchema is the migration that made the action log.
const auditSchema = 4

// logAction appends the entry of the action a has just queued as mutation
// name with args raw.
func (db *DB) logAction(ctx context.Context, a *action, name string, raw []byte) error {
	if !db.audit {
		return nil
	}
	cid, err := clientID(ctx, a.q)
	if err != nil {
		return err
	}
	body := streetdesk.ChainAction{Key: a.key, Name: name, OrderID: a.base.Order.ID, BaseVersion: a.base.Order.Version,
		BaseCycle: a.base.Order.Cycle, Args: raw, UserID: a.user.ID, EvidenceChecks: a.evidence}
	return appendChain(ctx, a.q, streetdesk.ChainKindAction, cid, a.base.Order.ID, a.key, a.now, body)
}

// forkPoint notes in f the highest mutation id this database had when
// the fork was noticed (before the outbox is re-enqueued).
func forkPoint(ctx context.Context, tx querier, f *streetdesk.ChainFork) error {
	var max sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").Scan(&max); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("fork point: %w", err)
	}
	f.LocalMutationID = max.Int64
	return nil
}

// logFork appends the fork entry of a new client id.
func (db *DB) logFork(ctx context.Context, tx querier, oldID, newID string, f streetdesk.ChainFork) error {
	if !db.audit {
		return nil
	}
	f.PreviousClientID, f.NewClientID = oldID, newID
	if f.Reason == "" {
		f.Reason = "new_client_id"
	}
	return appendChain(ctx, tx, streetdesk.ChainKindFork, newID, "", "", db.now(), f)
}

// ForkClientWith is ForkClient recording why in the action log's fork
// entry (the sync engine knows the reason and the platform's mutation id).
func (db *DB) ForkClientWith(ctx context.Context, f streetdesk.ChainFork) (string, error) {
	return db.forkClient(ctx, f)
}

// ChainHead returns the last entry of the action log (without its body),
// nil while it is empty.
func (db *DB) ChainHead(ctx context.Context) (*streetdesk.ChainEntry, error) {
	return chainHead(ctx, db.r)
}

// PendingChain returns up to limit entries the platform has not
// acknowledged yet, in sequence order.
func (db *DB) PendingChain(ctx context.Context, limit int) ([]streetdesk.ChainEntry, error) {
	if limit <= 0 {
		limit = streetdesk.MaxPushChainEntries
	}
	var out []streetdesk.ChainEntry
	rows, qerr := db.r.QueryContext(ctx, "SELECT "+chainColumns+" FROM audit_chain WHERE acked = 0 ORDER BY seq LIMIT ?", limit)
	err := sqlrows.Each(rows, qerr,
		func(rows *sql.Rows) error {
			e, err := scanChain(rows, true)
			out = append(out, e)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("pending action log: %w", err)
	}
	return out, nil
}

// AckChain records the platform's acknowledgement: every entry up to
// ack.Seq is stored there. An acknowledgement that does not name an entry of
// this log (another hash at that number) is ignored.
func (db *DB) AckChain(ctx context.Context, ack streetdesk.ChainAck) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return db.ackChain(ctx, tx, ack) })
}

func (db *DB) ackChain(ctx context.Context, tx *sql.Tx, ack streetdesk.ChainAck) error {
	var hash string
	err := tx.QueryRowContext(ctx, "SELECT hash FROM audit_chain WHERE seq = ?", ack.Seq).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && hash != ack.Hash) {
		db.log.Warn("action log acknowledgement does not match", "seq", ack.Seq)
		return nil
	}
	if err != nil {
		return fmt.Errorf("ack action log: %w", err)
	}
	_, err = tx.ExecContext(ctx, "UPDATE audit_chain SET acked = 1 WHERE acked = 0 AND seq <= ?", ack.Seq)
	return translate(err, "ack action log")
}

// OrderChain returns the part of the action log an order's evidence
// package shows: every entry from the order's first to the head, with the
// bodies of the order's own entries and of fork entries; the others are
// skeletons (their links, not another order's content). Nil when the log
// holds nothing about the order.
func (db *DB) OrderChain(ctx context.Context, orderID string) ([]streetdesk.ChainEntry, error) {
	conn, err := db.r.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var first sql.NullInt64
	if err := tx.QueryRowContext(ctx, qChainFirstOfOrder, orderID).Scan(&first); err != nil {
		return nil, fmt.Errorf("order action log: %w", err)
	}
	if !first.Valid {
		return nil, nil
	}
	var out []streetdesk.ChainEntry
	rows, qerr := tx.QueryContext(ctx, "SELECT "+chainColumns+", order_id FROM audit_chain WHERE seq >= ? ORDER BY seq", first.Int64)
	err = sqlrows.Each(rows, qerr,
		func(rows *sql.Rows) error {
			var e streetdesk.ChainEntry
			var kind, body, oid string
			if err := rows.Scan(&e.Seq, &e.Prev, &kind, &e.ClientID, &e.At, &e.BodyHash, &e.Hash, &body, &oid); err != nil {
				return err
			}
			e.Kind = streetdesk.ChainKind(kind)
			if oid == orderID || e.Kind == streetdesk.ChainKindFork {
				e.Body = json.RawMessage(body)
			}
			out = append(out, e)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("order action log: %w", err)
	}
	return out, nil
}

// VerifyAudit checks the whole action log: every hash and link, and that
// what the store holds agrees with what the log recorded: each outbox row
// and each local note, photo and resolution has its entry, with the same
// content. It reads in one snapshot; problems are reported, not fixed.
func (db *DB) VerifyAudit(ctx context.Context) (streetdesk.ChainReport, error) {
	conn, err := db.r.Conn(ctx)
	if err != nil {
		return streetdesk.ChainReport{}, err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return streetdesk.ChainReport{}, err
	}
	defer tx.Rollback()
	v := streetdesk.ChainVerifier{RequireBodies: true}
	var extra []streetdesk.ChainProblem
	rows, qerr := tx.QueryContext(ctx, "SELECT "+chainColumns+", order_id, mutation_key FROM audit_chain ORDER BY seq")
	err = sqlrows.Each(rows, qerr,
		func(rows *sql.Rows) error {
			var e streetdesk.ChainEntry
			var kind, body, oid, key string
			if err := rows.Scan(&e.Seq, &e.Prev, &kind, &e.ClientID, &e.At, &e.BodyHash, &e.Hash, &body, &oid, &key); err != nil {
				return err
			}
			e.Kind, e.Body = streetdesk.ChainKind(kind), json.RawMessage(body)
			v.Add(e)
			// The index columns must say what the body says, or an order's
			// evidence package would pick the wrong entries.
			if e.Kind == streetdesk.ChainKindAction {
				if a, err := e.Action(); err == nil && (a.OrderID != oid || a.Key != key) {
					extra = append(extra, streetdesk.ChainProblem{Seq: e.Seq, Code: streetdesk.ChainMismatch,
						Message: fmt.Sprintf("the entry is filed under order %q, key %q; its body says %q, %q", oid, key, a.OrderID, a.Key)})
				}
			}
			return nil
		})
	if err != nil {
		return streetdesk.ChainReport{}, fmt.Errorf("read action log: %w", err)
	}
	cross, err := crossCheck(ctx, tx)
	if err != nil {
		return streetdesk.ChainReport{}, err
	}
	r := v.Report()
	r.Problems = append(r.Problems, append(extra, cross...)...)
	return r, nil
}

// crossCheck compares the outbox and the local notes, photos and
// resolutions with the log entries of their actions.
func crossCheck(ctx context.Context, tx *sql.Tx) ([]streetdesk.ChainProblem, error) {
	var out []streetdesk.ChainProblem
	entry := func(key string) (*streetdesk.ChainEntry, *streetdesk.ChainAction, error) {
		e, err := scanChain(tx.QueryRowContext(ctx, qChainByKey, key), true)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		a, err := e.Action()
		if err != nil {
			return &e, nil, nil // the verifier reports a bad body
		}
		return &e, a, nil
	}
	missing := func(what, key string) {
		out = append(out, streetdesk.ChainProblem{Code: streetdesk.ChainMissing,
			Message: fmt.Sprintf("%s (key %s) has no entry in the action log", what, key)})
	}
	differs := func(seq int64, what string) {
		out = append(out, streetdesk.ChainProblem{Seq: seq, Code: streetdesk.ChainMismatch,
			Message: what + " differs from what the action log recorded"})
	}

	// Actions written before the log existed have no entry, by design.
	legacy := map[string]bool{"": true}
	keys, err := sqlrows.Column[string](tx.QueryContext(ctx, "SELECT mutation_key FROM audit_legacy"))
	if err != nil {
		return nil, fmt.Errorf("cross-check: %w", err)
	}
	for _, k := range keys {
		legacy[k] = true
	}

	// Outbox rows: the mutation itself.
	type outRow struct {
		key, name, order, args string
		baseV                  int64
		baseC                  int
	}
	var outs []outRow
	rows, qerr := tx.QueryContext(ctx, "SELECT key, name, order_id, base_version, base_cycle, args FROM outbox ORDER BY id")
	err = sqlrows.Each(rows, qerr,
		func(rows *sql.Rows) error {
			var r outRow
			outs = append(outs, r)
			return rows.Scan(&outs[len(outs)-1].key, &outs[len(outs)-1].name, &outs[len(outs)-1].order,
				&outs[len(outs)-1].baseV, &outs[len(outs)-1].baseC, &outs[len(outs)-1].args)
		})
	if err != nil {
		return nil, fmt.Errorf("cross-check outbox: %w", err)
	}
	for _, r := range outs {
		if legacy[r.key] {
			continue
		}
		e, a, err := entry(r.key)
		if err != nil {
			return nil, err
		}
		switch {
		case e == nil:
			missing("outbox row "+r.name+" of order "+r.order, r.key)
		case a == nil:
		case a.Name != r.name || a.OrderID != r.order || a.BaseVersion != r.baseV || a.BaseCycle != r.baseC || !sameJSON(a.Args, []byte(r.args)):
			differs(e.Seq, "outbox row "+r.name+" of order "+r.order)
		}
	}

	// Local items: the fields their action set.
	type item struct {
		what, key string
		check     func(a *streetdesk.ChainAction) bool
	}
	var items []item
	rows, qerr = tx.QueryContext(ctx, "SELECT id, order_id, kind, body, mutation_key FROM notes WHERE origin = 'local'")
	err = sqlrows.Each(rows, qerr,
		func(rows *sql.Rows) error {
			var id, oid, kind, body, key string
			if err := rows.Scan(&id, &oid, &kind, &body, &key); err != nil {
				return err
			}
			items = append(items, item{"note of order " + oid, key, func(a *streetdesk.ChainAction) bool {
				var args struct {
					NoteID string `json:"noteId"`
					Body   string `json:"body"`
				}
				return json.Unmarshal(a.Args, &args) == nil && args.NoteID == id && args.Body == body && a.OrderID == oid
			}})
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("cross-check notes: %w", err)
	}
	rows, qerr = tx.QueryContext(ctx, "SELECT id, order_id, sha256, tag, caption, mutation_key FROM photo_refs WHERE origin = 'local'")
	err = sqlrows.Each(rows, qerr,
		func(rows *sql.Rows) error {
			var id, oid, sha, tag, caption, key string
			if err := rows.Scan(&id, &oid, &sha, &tag, &caption, &key); err != nil {
				return err
			}
			items = append(items, item{"photo of order " + oid, key, func(a *streetdesk.ChainAction) bool {
				var args streetdesk.AttachPhotoArgs
				return json.Unmarshal(a.Args, &args) == nil && args.PhotoRefID == id && args.SHA256 == sha &&
					string(args.Tag) == tag && args.Caption == caption && a.OrderID == oid
			}})
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("cross-check photos: %w", err)
	}
	rows, qerr = tx.QueryContext(ctx, `SELECT r.id, r.order_id, r.outcome, r.reply, r.photo_ref_ids, r.mutation_key, coalesce(e.checks, '')
		FROM resolutions r LEFT JOIN resolution_evidence e ON e.resolution_id = r.id WHERE r.origin = 'local'`)
	err = sqlrows.Each(rows, qerr, func(rows *sql.Rows) error {
		var id, oid, outcome, reply, pids, key, checks string
		if err := rows.Scan(&id, &oid, &outcome, &reply, &pids, &key, &checks); err != nil {
			return err
		}
		items = append(items, item{"resolution of order " + oid, key, func(a *streetdesk.ChainAction) bool {
			var args streetdesk.SubmitResolutionArgs
			if json.Unmarshal(a.Args, &args) != nil || args.ResolutionID != id || string(args.Outcome) != outcome || args.Reply != reply || a.OrderID != oid {
				return false
			}
			ids, _ := json.Marshal(args.PhotoRefIDs)
			if !sameJSON(ids, []byte(pids)) {
				return false
			}
			logged, _ := json.Marshal(a.EvidenceChecks)
			if len(a.EvidenceChecks) == 0 {
				logged = nil
			}
			return (checks == "" && logged == nil) || sameJSON(logged, []byte(checks))
		}})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cross-check resolutions: %w", err)
	}
	for _, it := range items {
		if legacy[it.key] {
			continue
		}
		e, a, err := entry(it.key)
		if err != nil {
			return nil, err
		}
		switch {
		case e == nil:
			missing("the "+it.what, it.key)
		case a != nil && !it.check(a):
			differs(e.Seq, "the "+it.what)
		}
	}
	return out, nil
}

// sameJSON reports whether two JSON texts have the same canonical form.
func sameJSON(a, b []byte) bool {
	ca, err1 := streetdesk.Canonicalize(a)
	cb, err2 := streetdesk.Canonicalize(b)
	return err1 == nil && err2 == nil && string(ca) == string(cb)
}
