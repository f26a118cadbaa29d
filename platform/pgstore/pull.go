package pgstore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// ReadPull sends a whole page in one batch: BEGIN, the head's reads, the
// changes, the versions (asked only when the checksum's key moved: the
// statement compares it itself, in the same snapshot) and COMMIT. A
// "nothing new" pull is then one round trip instead of three. An
// incremental pull that is its transaction's first read goes further: one
// statement (pullone.go).
func (r *readTx) ReadPull(ctx context.Context, q store.PullQuery, fn func(*store.Change) error) (store.PullPage, error) {
	if r.canPullInOne(q) {
		return r.pullInOne(ctx, q, fn)
	}
	var p store.PullPage
	var errs [6]error
	h, hq := &p.PullHead, q.Head
	var reads []func(reader)
	if hq.MaxSeq {
		reads = append(reads, func(r reader) { h.MaxSeq, errs[0] = r.MaxSeq(ctx) })
	}
	if hq.ClientID != "" {
		reads = append(reads, func(r reader) { h.Client, errs[1] = r.Client(ctx, hq.ClientID) })
	}
	if hq.Seqs {
		reads = append(reads, func(r reader) { h.ScopeSeq, h.UserSeq, errs[2] = r.ScopeSeqs(ctx, hq.Scope, hq.UserID) })
	}
	reads = append(reads, func(r reader) { errs[3] = r.Changes(ctx, q.Changes, fn) })
	if q.Versions {
		known := [2]int64{-1, -1} // numbers are never negative: read them
		if q.Known != nil {
			known = *q.Known
		}
		reads = append(reads, func(r reader) { p.Pairs, errs[4] = r.versionsUnless(ctx, hq.Scope, hq.UserID, known) })
	}
	reads = append(reads, func(r reader) { _, errs[5] = r.q.Exec(ctx, "COMMIT") })
	if err := r.p.together(ctx, reads...); err != nil {
		return p, err
	}
	if errs[5] == nil {
		r.p.started = false // committed: nothing left to roll back
	}
	h.ClientFound, errs[1] = store.ClientFound(errs[1])
	h.ClientFound = h.ClientFound && hq.ClientID != ""
	// Only the key tells an empty visible set from a skipped one.
	p.VersionsRead = q.Versions && errs[4] == nil && (q.Known == nil || *q.Known != [2]int64{h.ScopeSeq, h.UserSeq})
	if errs[3] != nil {
		return p, errs[3] // fn's own error, unwrapped
	}
	return p, errors.Join(errs[:]...)
}

// versionsUnless reads the scope's visible versions unless the scope's and
// the user's latest change-log numbers are still known (one-time filter:
// PostgreSQL looks at no order then).
func (r reader) versionsUnless(ctx context.Context, s store.Scope, userID string, known [2]int64) ([]streetdesk.VersionPair, error) {
	scope, arg := `assignee_id = $1`, s.AssigneeID
	visible := ` AND status NOT IN ('cancelled','returned')`
	if s.TeamID != "" {
		scope, arg, visible = `team_id = $1`, s.TeamID, ``
	}
	rows, err := r.q.Query(ctx, `SELECT id, version FROM orders WHERE `+scope+visible+`
		AND NOT ((SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE `+scope+`) = $3
		     AND (SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE user_id = $2) = $4)`,
		arg, userID, known[0], known[1])
	return scanVersions(rows, err)
}

func scanVersions(rows pgx.Rows, err error) ([]streetdesk.VersionPair, error) {
	var pairs []streetdesk.VersionPair
	err = each(rows, err, func(rows pgx.Rows) error {
		var p streetdesk.VersionPair
		if err := rows.Scan(&p.ID, &p.Version); err != nil {
			return err
		}
		pairs = append(pairs, p)
		return nil
	})
	return pairs, err
}
