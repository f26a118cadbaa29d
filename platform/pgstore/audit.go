package pgstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// The action logs desks push (store.AuditReader, store.AuditWriter).

const chainCols = `n, client_id, user_id, seq, prev, kind, entry_client_id, at, body_hash, hash, body, order_id, mutation_key, fork_of, received_at`

// conds collects WHERE conditions with numbered placeholders.
type conds struct {
	parts []string
	args  []any
}

// add appends cond, whose "?" stands for the next argument.
func (c *conds) add(cond string, v any) {
	c.args = append(c.args, v)
	c.parts = append(c.parts, strings.Replace(cond, "?", "$"+strconv.Itoa(len(c.args)), 1))
}

func (c *conds) where() string {
	if len(c.parts) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.parts, " AND ")
}

func (c *conds) limit(n int) string {
	if n <= 0 {
		return ""
	}
	c.args = append(c.args, n)
	return " LIMIT $" + strconv.Itoa(len(c.args))
}

func (r reader) ChainEntries(ctx context.Context, q store.ChainQuery) ([]store.ChainRow, error) {
	var c conds
	if q.ClientID != "" {
		c.add("client_id = ?", q.ClientID)
	}
	if q.UserID != "" {
		c.add("user_id = ?", q.UserID)
	}
	if q.Hash != "" {
		c.add("hash = ?", q.Hash)
	}
	if q.MinSeq > 0 {
		c.add("seq >= ?", q.MinSeq)
	}
	if q.MaxSeq > 0 {
		c.add("seq <= ?", q.MaxSeq)
	}
	if len(q.Keys) > 0 {
		c.add("mutation_key = ANY(?) AND mutation_key <> ''", q.Keys)
	}
	if q.OrderID != "" {
		c.add("order_id = ? AND order_id <> ''", q.OrderID)
	}
	if q.ForkOf != "" {
		c.add("fork_of = ? AND fork_of <> ''", q.ForkOf)
	}
	if q.AfterN > 0 {
		c.add("n > ?", q.AfterN)
	}
	sqlq := `SELECT ` + chainCols + ` FROM audit_entries` + c.where() + ` ORDER BY n` + c.limit(q.Limit)
	var out []store.ChainRow
	rows, err := r.q.Query(ctx, sqlq, c.args...)
	err = each(rows, err, func(rows pgx.Rows) error {
		var cr store.ChainRow
		var kind, body string
		var received int64
		e := &cr.Entry
		if err := rows.Scan(&cr.N, &cr.ClientID, &cr.UserID, &e.Seq, &e.Prev, &kind, &e.ClientID, &e.At, &e.BodyHash, &e.Hash, &body,
			&cr.OrderID, &cr.MutationKey, &cr.ForkOf, &received); err != nil {
			return err
		}
		e.Kind, e.Body, cr.ReceivedAt = streetdesk.ChainKind(kind), []byte(body), time.UnixMilli(received).UTC()
		out = append(out, cr)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read action logs: %w", err)
	}
	return out, nil
}

func (r reader) ChainClients(ctx context.Context, userID string) ([]string, error) {
	var c conds
	if userID != "" {
		c.add("user_id = ?", userID)
	}
	var out []string
	rows, err := r.q.Query(ctx, `SELECT DISTINCT client_id FROM audit_entries`+c.where()+` ORDER BY client_id`, c.args...)
	err = each(rows, err, func(rows pgx.Rows) error {
		var id string
		err := rows.Scan(&id)
		out = append(out, id)
		return err
	})
	return out, err
}

func (r reader) AuditActions(ctx context.Context, keys []string) (map[string]store.AuditAction, error) {
	out := map[string]store.AuditAction{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := r.q.Query(ctx, `SELECT key, client_id, mutation_id, user_id, order_id, action_hash, checks_hash, at FROM audit_actions
		WHERE key = ANY($1)`, keys)
	err = each(rows, err, func(rows pgx.Rows) error {
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
	var c conds
	if q.ClientID != "" {
		c.add("f.client_id = ?", q.ClientID)
	}
	if q.OrderID != "" {
		// The order's entries, and the chain flags of every client that
		// logged an action on it (the argument serves both).
		c.args = append(c.args, q.OrderID)
		n := strconv.Itoa(len(c.args))
		c.parts = append(c.parts, `(f.order_id = $`+n+` OR f.code IN ('GAP','FORK','BROKEN_LINK') AND f.client_id IN
			(SELECT client_id FROM audit_entries WHERE order_id = $`+n+` AND order_id <> ''))`)
	}
	if q.AfterID > 0 {
		c.add("f.id > ?", q.AfterID)
	}
	sqlq := `SELECT f.id, f.code, f.client_id, f.user_id, f.seq, f.hash, f.order_id, f.mutation_key, f.fork_client_id, f.fork_seq,
		f.fork_hash, f.message, f.at, f.code = 'FORK' AND EXISTS (SELECT 1 FROM audit_entries e WHERE e.fork_of = f.fork_client_id AND e.fork_of <> '')
		FROM audit_flags f` + c.where() + ` ORDER BY f.id` + c.limit(q.Limit)
	var out []streetdesk.AuditFlag
	rows, err := r.q.Query(ctx, sqlq, c.args...)
	err = each(rows, err, func(rows pgx.Rows) error {
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
	n := len(rs)
	client, user, prev, kind, ecl, at, bh, hash, body, order, key, fork := make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	seq, received := make([]int64, n), make([]int64, n)
	for i, c := range rs {
		e := &c.Entry
		client[i], user[i], seq[i], prev[i], kind[i], ecl[i], at[i], bh[i], hash[i], body[i] = c.ClientID, c.UserID, e.Seq, e.Prev, string(e.Kind), e.ClientID, e.At, e.BodyHash, e.Hash, string(e.Body)
		order[i], key[i], fork[i], received[i] = c.OrderID, c.MutationKey, c.ForkOf, c.ReceivedAt.UnixMilli()
	}
	t.q.later("store action log", `INSERT INTO audit_entries (client_id, user_id, seq, prev, kind, entry_client_id, at, body_hash, hash, body, order_id, mutation_key, fork_of, received_at)
		SELECT c, u, s, p, k, ec, a, bh, h, b, o, mk, f, rc FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
		  $11::text[], $12::text[], $13::text[], $14::bigint[]) WITH ORDINALITY AS r(c, u, s, p, k, ec, a, bh, h, b, o, mk, f, rc, i) ORDER BY i
		ON CONFLICT (client_id, seq, hash) DO NOTHING`,
		client, user, seq, prev, kind, ecl, at, bh, hash, body, order, key, fork, received)
	return nil
}

func (t *writeTx) InsertAuditActions(ctx context.Context, rs []store.AuditAction) error {
	if len(rs) == 0 {
		return nil
	}
	n := len(rs)
	key, client, user, order, ah, ch := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	mid, at := make([]int64, n), make([]int64, n)
	for i, a := range rs {
		key[i], client[i], mid[i], user[i], order[i], ah[i], ch[i], at[i] = a.Key, a.ClientID, a.MutationID, a.UserID, a.OrderID, a.ActionHash, a.ChecksHash, a.At.UnixMilli()
	}
	t.q.later("store mutation digests", `INSERT INTO audit_actions (key, client_id, mutation_id, user_id, order_id, action_hash, checks_hash, at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])
		ON CONFLICT (key) DO NOTHING`, key, client, mid, user, order, ah, ch, at)
	return nil
}

func (t *writeTx) InsertAuditFlags(ctx context.Context, fs []streetdesk.AuditFlag) error {
	for i := range fs {
		f := &fs[i]
		err := t.q.QueryRow(ctx, `INSERT INTO audit_flags (code, client_id, user_id, seq, hash, order_id, mutation_key, fork_client_id, fork_seq, fork_hash, message, at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id`, string(f.Code), f.ClientID, f.UserID, f.Seq, f.Hash, f.OrderID, f.MutationKey,
			f.ForkClientID, f.ForkSeq, f.ForkHash, f.Message, f.At.UnixMilli()).Scan(&f.ID)
		if err != nil {
			return fmt.Errorf("store audit flag: %w", err)
		}
	}
	return nil
}
