package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/sqlrows"
	"github.com/streetdesk/streetdesk/platform/store"
)

// The action logs desks push (store.AuditReader, store.AuditWriter).

const chainCols = `n, client_id, user_id, seq, prev, kind, entry_client_id, at, body_hash, hash, body, order_id, mutation_key, fork_of, received_at`

// The partial indexes (order, key, fork) serve a query only when it
// repeats their condition: hence the "<> ”".
func chainWhere(q store.ChainQuery) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, vs ...any) { conds = append(conds, cond); args = append(args, vs...) }
	if q.ClientID != "" {
		add("client_id = ?", q.ClientID)
	}
	if q.UserID != "" {
		add("user_id = ?", q.UserID)
	}
	if q.Hash != "" {
		add("hash = ?", q.Hash)
	}
	if q.MinSeq > 0 {
		add("seq >= ?", q.MinSeq)
	}
	if q.MaxSeq > 0 {
		add("seq <= ?", q.MaxSeq)
	}
	if len(q.Keys) > 0 {
		add("mutation_key IN (?"+strings.Repeat(",?", len(q.Keys)-1)+") AND mutation_key <> ''", anys(q.Keys)...)
	}
	if q.OrderID != "" {
		add("order_id = ? AND order_id <> ''", q.OrderID)
	}
	if q.ForkOf != "" {
		add("fork_of = ? AND fork_of <> ''", q.ForkOf)
	}
	if q.AfterN > 0 {
		add("n > ?", q.AfterN)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func (r reader) ChainEntries(ctx context.Context, q store.ChainQuery) ([]store.ChainRow, error) {
	where, args := chainWhere(q)
	sqlq := `SELECT ` + chainCols + ` FROM audit_entries` + where + ` ORDER BY n`
	if q.Limit > 0 {
		sqlq += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	var out []store.ChainRow
	rows, err := r.q.query(ctx, sqlq, args...)
	err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
		var c store.ChainRow
		var kind, body string
		var received int64
		e := &c.Entry
		if err := rows.Scan(&c.N, &c.ClientID, &c.UserID, &e.Seq, &e.Prev, &kind, &e.ClientID, &e.At, &e.BodyHash, &e.Hash, &body,
			&c.OrderID, &c.MutationKey, &c.ForkOf, &received); err != nil {
			return err
		}
		e.Kind, e.Body, c.ReceivedAt = streetdesk.ChainKind(kind), []byte(body), time.UnixMilli(received).UTC()
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read action logs: %w", err)
	}
	return out, nil
}

func (r reader) ChainClients(ctx context.Context, userID string) ([]string, error) {
	if userID != "" {
		return sqlrows.Column[string](r.q.query(ctx, `SELECT DISTINCT client_id FROM audit_entries WHERE user_id = ? ORDER BY client_id`, userID))
	}
	return sqlrows.Column[string](r.q.query(ctx, `SELECT DISTINCT client_id FROM audit_entries ORDER BY client_id`))
}

func (r reader) AuditActions(ctx context.Context, keys []string) (map[string]store.AuditAction, error) {
	out := map[string]store.AuditAction{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := r.q.query(ctx, `SELECT key, client_id, mutation_id, user_id, order_id, action_hash, checks_hash, at FROM audit_actions
		WHERE key IN (?`+strings.Repeat(",?", len(keys)-1)+`)`, anys(keys)...)
	err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
		var a store.AuditAction
		var at int64
		if err := rows.Scan(&a.Key, &a.ClientID, &a.MutationID, &a.UserID, &a.OrderID, &a.ActionHash, &a.ChecksHash, &at); err != nil {
			return err
		}
		a.At = time.UnixMilli(at).UTC()
		out[a.Key] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read mutation digests: %w", err)
	}
	return out, nil
}

func (r reader) AuditFlags(ctx context.Context, q store.AuditFlagQuery) ([]streetdesk.AuditFlag, error) {
	var conds []string
	var args []any
	if q.ClientID != "" {
		conds, args = append(conds, "f.client_id = ?"), append(args, q.ClientID)
	}
	if q.OrderID != "" {
		conds = append(conds, `(f.order_id = ? OR f.code IN ('GAP','FORK','BROKEN_LINK') AND f.client_id IN
			(SELECT client_id FROM audit_entries WHERE order_id = ? AND order_id <> ''))`)
		args = append(args, q.OrderID, q.OrderID)
	}
	if q.AfterID > 0 {
		conds, args = append(conds, "f.id > ?"), append(args, q.AfterID)
	}
	sqlq := `SELECT f.id, f.code, f.client_id, f.user_id, f.seq, f.hash, f.order_id, f.mutation_key, f.fork_client_id, f.fork_seq,
		f.fork_hash, f.message, f.at, f.code = 'FORK' AND EXISTS (SELECT 1 FROM audit_entries e WHERE e.fork_of = f.fork_client_id AND e.fork_of <> '')
		FROM audit_flags f`
	if len(conds) > 0 {
		sqlq += " WHERE " + strings.Join(conds, " AND ")
	}
	sqlq += " ORDER BY f.id"
	if q.Limit > 0 {
		sqlq += " LIMIT ?"
		args = append(args, q.Limit)
	}
	var out []streetdesk.AuditFlag
	rows, err := r.q.query(ctx, sqlq, args...)
	err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
		var f streetdesk.AuditFlag
		var code string
		var at int64
		if err := rows.Scan(&f.ID, &code, &f.ClientID, &f.UserID, &f.Seq, &f.Hash, &f.OrderID, &f.MutationKey, &f.ForkClientID, &f.ForkSeq,
			&f.ForkHash, &f.Message, &at, &f.Explained); err != nil {
			return err
		}
		f.Code, f.At = streetdesk.ChainProblemCode(code), time.UnixMilli(at).UTC()
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read audit flags: %w", err)
	}
	return out, nil
}

func (t *writeTx) InsertChainEntries(ctx context.Context, rs []store.ChainRow) error {
	if len(rs) == 0 {
		return nil
	}
	const cols = 14
	args := make([]any, 0, cols*len(rs))
	for _, c := range rs {
		e := &c.Entry
		args = append(args, c.ClientID, c.UserID, e.Seq, e.Prev, string(e.Kind), e.ClientID, e.At, e.BodyHash, e.Hash, string(e.Body),
			c.OrderID, c.MutationKey, c.ForkOf, c.ReceivedAt.UnixMilli())
	}
	// OR IGNORE rather than ON CONFLICT (client_id, seq, hash) DO NOTHING:
	// an entry already held is skipped all the same (every other column is
	// bound and NOT NULL cannot fail), but a statement that cannot abort
	// halfway needs no statement journal, into which SQLite otherwise
	// copies every page the 1,000 rows change first (~20 ms of a push).
	row := "(" + strings.Repeat("?,", cols-1) + "?)"
	q := `INSERT OR IGNORE INTO audit_entries (client_id, user_id, seq, prev, kind, entry_client_id, at, body_hash, hash, body, order_id, mutation_key, fork_of, received_at)
		VALUES ` + row + strings.Repeat(","+row, len(rs)-1)
	if _, err := t.t.exec(ctx, q, args...); err != nil {
		return fmt.Errorf("store action log: %w", err)
	}
	return nil
}

func (t *writeTx) InsertAuditActions(ctx context.Context, rs []store.AuditAction) error {
	if len(rs) == 0 {
		return nil
	}
	args := make([]any, 0, 8*len(rs))
	for _, a := range rs {
		args = append(args, a.Key, a.ClientID, a.MutationID, a.UserID, a.OrderID, a.ActionHash, a.ChecksHash, a.At.UnixMilli())
	}
	q := `INSERT INTO audit_actions (key, client_id, mutation_id, user_id, order_id, action_hash, checks_hash, at) VALUES (?,?,?,?,?,?,?,?)` +
		strings.Repeat(",(?,?,?,?,?,?,?,?)", len(rs)-1) + ` ON CONFLICT (key) DO NOTHING`
	if _, err := t.t.exec(ctx, q, args...); err != nil {
		return fmt.Errorf("store mutation digests: %w", err)
	}
	return nil
}

func (t *writeTx) InsertAuditFlags(ctx context.Context, fs []streetdesk.AuditFlag) error {
	for i := range fs {
		f := &fs[i]
		err := t.t.queryRow(ctx, `INSERT INTO audit_flags (code, client_id, user_id, seq, hash, order_id, mutation_key, fork_client_id, fork_seq, fork_hash, message, at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`, string(f.Code), f.ClientID, f.UserID, f.Seq, f.Hash, f.OrderID, f.MutationKey,
			f.ForkClientID, f.ForkSeq, f.ForkHash, f.Message, f.At.UnixMilli()).Scan(&f.ID)
		if err != nil {
			return fmt.Errorf("store audit flag: %w", err)
		}
	}
	return nil
}
