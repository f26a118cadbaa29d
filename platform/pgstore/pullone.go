package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// An incremental pull that is its transaction's first read is one
// statement: the head, the changes and the versions in one snapshot
// without BEGIN and COMMIT (a statement is its own transaction). On a
// "nothing new" pull that is one statement for PostgreSQL to run instead
// of six. Rows come as (k, …): k 0 the head (one row), 1 the changes in
// order, 2 the visible versions.
//
// A fresh snapshot's first page (MaxSeq) keeps the batch: its sort over a
// page of order JSON is not worth it there.
func onePullSQL(team, seqs, versions bool) string {
	scope, visible := `assignee_id = $1`, ` AND status NOT IN ('cancelled','returned')`
	changes := changesByAssignee
	if team {
		scope, visible, changes = `team_id = $1`, ``, changesByTeam
	}
	head := `SELECT 0::bigint AS a, 0::bigint AS b`
	if seqs {
		head = `SELECT (SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE ` + scope + `) AS a,
			(SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE user_id = $2) AS b`
	}
	sql := fmt.Sprintf(`WITH h AS MATERIALIZED (%s)
	SELECT 0 AS k, h.a AS seq, cl.user_id AS type, NULL::text AS entity_id, NULL::text AS order_id,
		NULL::text AS extra, h.b AS version, NULL::text AS data, cl.last_mutation_id AS lm, cl.forgotten AS fg
	FROM h LEFT JOIN clients cl ON cl.id = $7
	UNION ALL
	SELECT 1, c.*, NULL, NULL FROM (%s) c`, head, changes)
	if versions {
		sql += `
	UNION ALL
	SELECT 2, NULL, NULL, id, NULL, NULL, version, NULL, NULL, NULL FROM orders WHERE ` + scope + visible + `
		AND NOT ((SELECT a FROM h) = $8 AND (SELECT b FROM h) = $9)`
	}
	return sql + `
	ORDER BY 1, 2`
}

var onePullSQLs = func() map[[3]bool]string {
	m := map[[3]bool]string{}
	for _, team := range []bool{false, true} {
		for _, seqs := range []bool{false, true} {
			for _, versions := range []bool{false, true} {
				m[[3]bool{team, seqs, versions}] = onePullSQL(team, seqs, versions)
			}
		}
	}
	return m
}()

// canPullInOne tells whether ReadPull may use one statement: nothing but
// the transaction's BEGIN waits to be sent, and the head and the changes
// ask about the same client, scope and user.
func (r *readTx) canPullInOne(q store.PullQuery) bool {
	h, c := q.Head, q.Changes
	return !r.p.started && len(r.p.held) == 1 && r.p.held[0].what == "begin" &&
		!h.MaxSeq && (h.Seqs || !q.Versions) &&
		h.ClientID == c.ClientID && h.Scope == c.Scope && h.UserID == c.UserID
}

// pullInOne is ReadPull in one statement (see onePullSQL).
func (r *readTx) pullInOne(ctx context.Context, q store.PullQuery, fn func(*store.Change) error) (store.PullPage, error) {
	var p store.PullPage
	hq, cq := q.Head, q.Changes
	known := [2]int64{-1, -1} // numbers are never negative: read them
	if q.Known != nil {
		known = *q.Known
	}
	clientKey := cq.ClientID
	if clientKey == "" {
		clientKey = "\x01none" // matches no client (ids are UUIDs)
	}
	sql := onePullSQLs[[3]bool{hq.Scope.TeamID != "", hq.Seqs, q.Versions}]
	scopeArg := hq.Scope.AssigneeID
	if hq.Scope.TeamID != "" {
		scopeArg = hq.Scope.TeamID
	}
	args := []any{scopeArg, cq.UserID, clientKey, cq.After, cq.Limit, cq.RevokedAfter, hq.ClientID}
	if q.Versions {
		args = append(args, known[0], known[1])
	}
	r.p.held = nil // no BEGIN: the statement is its own snapshot
	rows, err := r.p.c.Query(ctx, sql, args...)
	if err != nil {
		return p, translate(err)
	}
	defer rows.Close()
	p.Client.ID = hq.ClientID
	var (
		k             int32
		seq, ver, lm  pgtype.Int8
		typ, ent, oid pgtype.Text
		fg            pgtype.Int4
		ch            store.Change
	)
	for rows.Next() {
		if err := rows.Scan(&k, &seq, &typ, &ent, &oid, nil, &ver, nil, &lm, &fg); err != nil {
			return p, translate(err)
		}
		switch k {
		case 0:
			p.ScopeSeq, p.UserSeq = seq.Int64, ver.Int64
			if typ.Valid && hq.ClientID != "" {
				p.ClientFound = true
				p.Client.UserID, p.Client.LastMutationID, p.Client.Forgotten = typ.String, lm.Int64, fg.Int32 == 1
			}
		case 1:
			ch.Seq, ch.Type, ch.EntityID, ch.OrderID, ch.Version = seq.Int64, typ.String, ent.String, oid.String, ver.Int64
			raw := rows.RawValues()
			ch.Extra, ch.Data = raw[5], raw[7]
			if err := fn(&ch); err != nil {
				return p, err // fn's own error, unwrapped
			}
		case 2:
			p.Pairs = append(p.Pairs, streetdesk.VersionPair{ID: ent.String, Version: ver.Int64})
		}
	}
	if err := rows.Err(); err != nil {
		return p, translate(err)
	}
	// Only the key tells an empty visible set from a skipped one.
	p.VersionsRead = q.Versions && (q.Known == nil || *q.Known != [2]int64{p.ScopeSeq, p.UserSeq})
	return p, nil
}
