package localdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/streetdesk/streetdesk"
)

// Order returns everything the detail screen shows about one order.
func (db *DB) Order(ctx context.Context, id string) (*streetdesk.OrderDetail, error) {
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
	s, err := loadShadow(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	ins, err := loadIntents(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	team, err := loadTeam(ctx, tx)
	if err != nil {
		return nil, err
	}
	review := team != nil && team.ReviewResolutions
	d := &streetdesk.OrderDetail{Order: overlayOrder(s.Order, ins, db.overlayActor(), team), Pending: len(ins), Revoked: s.revoked()}
	if d.Revoked {
		d.RevokeNote = revokeNote(s, team)
	}
	if d.Notes, err = loadNotes(ctx, tx, id); err != nil {
		return nil, err
	}
	if d.Photos, err = loadPhotos(ctx, tx, "p.order_id = ?", id); err != nil {
		return nil, err
	}
	if d.Resolutions, err = loadResolutions(ctx, tx, id); err != nil {
		return nil, err
	}
	if err := attachEvidence(ctx, tx, d.Resolutions); err != nil {
		return nil, err
	}
	if d.Conflicts, err = loadConflicts(ctx, tx, "c.order_id = ? AND c.dismissed_at IS NULL", id); err != nil {
		return nil, err
	}
	u := db.User()
	if !d.Revoked && mayTouch(u, &d.Order) == nil {
		for _, op := range streetdesk.Allowed(d.Order.Status, u.Role) {
			if (op == streetdesk.OpSubmitResolution && review) || (op == streetdesk.OpSubmitForReview && !review) {
				continue
			}
			d.Allowed = append(d.Allowed, op)
		}
	}
	me := u.Name
	d.Timeline = streetdesk.BuildTimeline(streetdesk.TimelineInput{Order: &s.Order, Notes: d.Notes, Photos: d.Photos,
		Resolutions: d.Resolutions, Pending: pendingEntries(ins, me),
		Name: func(id string) string {
			if id == u.ID {
				return me
			}
			if n := memberName(team, id); n != id {
				return n
			}
			return ""
		}})
	return d, nil
}

func revokeNote(s *shadow, team *streetdesk.Team) streetdesk.Message {
	switch streetdesk.ResultCode(s.RevokeReason) {
	case streetdesk.CodeReassigned:
		if s.RevokeAssignee != "" {
			return streetdesk.Msg(streetdesk.MsgRevokedReassigned, "Who", memberName(team, s.RevokeAssignee))
		}
		return streetdesk.Msg(streetdesk.MsgRevokedReassignedOther)
	case streetdesk.CodeCancelled:
		return streetdesk.Msg(streetdesk.MsgRevokedCancelled)
	}
	return streetdesk.Msg(streetdesk.MsgRevokedOther)
}

// pendingEntries are the timeline lines of the queued intents, written by
// the signed-in user (the facts among them show through their own rows).
func pendingEntries(ins []intent, actor string) []streetdesk.TimelineEntry {
	var t []streetdesk.TimelineEntry
	for _, in := range ins {
		st := streetdesk.SyncPending
		if !in.effective() {
			st = streetdesk.SyncConflict
		}
		t = append(t, streetdesk.TimelineEntry{At: in.CreatedAt, Kind: in.Name, Actor: actor, Text: intentText(in), Sync: st})
	}
	return t
}

func intentText(in intent) string {
	a, err := streetdesk.DecodeArgs(in.Name, in.Args)
	if err != nil {
		return ""
	}
	return streetdesk.ArgsText(a)
}

func loadNotes(ctx context.Context, q querier, orderID string) ([]streetdesk.LocalNote, error) {
	rows, err := q.QueryContext(ctx, `SELECT n.id, n.order_id, n.kind, n.body, n.method, n.reached, n.author_id, n.author_name,
		n.cycle, n.created_at, n.author_was_assignee, n.server_seen, n.mutation_key, coalesce(o.state, ''), coalesce(c.id, 0)
		FROM notes n LEFT JOIN outbox o ON o.key = n.mutation_key AND n.mutation_key <> ''
		LEFT JOIN conflicts c ON c.mutation_key = n.mutation_key AND n.mutation_key <> ''
		WHERE n.order_id = ? ORDER BY n.created_at, n.id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("read notes: %w", err)
	}
	defer rows.Close()
	var out []streetdesk.LocalNote
	for rows.Next() {
		var n streetdesk.LocalNote
		var kind, method, key, ostate string
		var created int64
		var seen bool
		var conflict int64
		if err := rows.Scan(&n.ID, &n.WorkOrderID, &kind, &n.Body, &method, &n.Reached, &n.AuthorID, &n.AuthorName,
			&n.Cycle, &created, &n.AuthorWasAssignee, &seen, &key, &ostate, &conflict); err != nil {
			return nil, err
		}
		n.Kind, n.Method, n.CreatedAt = streetdesk.NoteKind(kind), streetdesk.ContactMethod(method), fromMSInt(created)
		n.Sync = itemSync(seen, key, ostate, conflict)
		out = append(out, n)
	}
	return out, rows.Err()
}

// itemSync says where a local item stands: conflict when the platform refused
// its intent, synced once a pull brought it back (or its intent is gone),
// pending otherwise.
func itemSync(seen bool, key, ostate string, conflict int64) streetdesk.ItemSync {
	switch {
	case conflict != 0 || ostate == stateRejected || ostate == stateConflict:
		return streetdesk.SyncConflict
	case seen || key == "" || ostate == "":
		return streetdesk.SyncSynced
	}
	return streetdesk.SyncPending
}

func loadResolutions(ctx context.Context, q querier, orderID string) ([]streetdesk.LocalResolution, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.id, r.order_id, r.cycle, r.outcome, r.reply, r.photo_ref_ids, r.state, r.author_id,
		r.created_at, r.server_seen, r.mutation_key, coalesce(o.state, ''), coalesce(c.id, 0)
		FROM resolutions r LEFT JOIN outbox o ON o.key = r.mutation_key AND r.mutation_key <> ''
		LEFT JOIN conflicts c ON c.mutation_key = r.mutation_key AND r.mutation_key <> ''
		WHERE r.order_id = ? ORDER BY r.created_at, r.id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("read resolutions: %w", err)
	}
	defer rows.Close()
	var out []streetdesk.LocalResolution
	for rows.Next() {
		var r streetdesk.LocalResolution
		var outcome, pids, state, key, ostate string
		var created int64
		var seen bool
		var conflict int64
		if err := rows.Scan(&r.ID, &r.WorkOrderID, &r.Cycle, &outcome, &r.Reply, &pids, &state, &r.AuthorID,
			&created, &seen, &key, &ostate, &conflict); err != nil {
			return nil, err
		}
		r.Outcome, r.State, r.CreatedAt = streetdesk.Outcome(outcome), streetdesk.ResolutionState(state), fromMSInt(created)
		_ = json.Unmarshal([]byte(pids), &r.PhotoRefIDs)
		r.Sync = itemSync(seen, key, ostate, conflict)
		out = append(out, r)
	}
	return out, rows.Err()
}

func loadConflicts(ctx context.Context, q querier, where string, args ...any) ([]streetdesk.Conflict, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.mutation_id, c.mutation_key, c.order_id, coalesce(json_extract(d.data, '$.title'), ''),
		c.name, c.status, c.code, c.explanation, c.intent, c.created_at, c.dismissed_at IS NOT NULL
		FROM conflicts c LEFT JOIN work_orders w ON w.id = c.order_id LEFT JOIN work_order_data d ON d.qid = w.qid WHERE `+where+` ORDER BY c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read conflicts: %w", err)
	}
	defer rows.Close()
	var out []streetdesk.Conflict
	for rows.Next() {
		var c streetdesk.Conflict
		var status, code, expl string
		var created int64
		if err := rows.Scan(&c.ID, &c.MutationID, &c.MutationKey, &c.OrderID, &c.OrderTitle, &c.Name, &status, &code,
			&expl, &c.Intent, &created, &c.Dismissed); err != nil {
			return nil, err
		}
		c.Status, c.Code, c.CreatedAt = streetdesk.ResultStatus(status), streetdesk.ResultCode(code), fromMSInt(created)
		c.Explanation = explanation(expl)
		out = append(out, c)
	}
	return out, rows.Err()
}

// explanation reads a conflict's stored explanation: a message as JSON, or
// a sentence filed before explanations were codes.
func explanation(stored string) streetdesk.Message {
	var m streetdesk.Message
	if err := json.Unmarshal([]byte(stored), &m); err == nil && !m.IsZero() {
		return m
	}
	return streetdesk.Msg(streetdesk.MsgConflictText, "Text", stored)
}

// Conflicts lists the "needs attention" inbox, oldest first.
func (db *DB) Conflicts(ctx context.Context, includeDismissed bool) ([]streetdesk.Conflict, error) {
	if includeDismissed {
		return loadConflicts(ctx, db.r, "1")
	}
	return loadConflicts(ctx, db.r, "c.dismissed_at IS NULL")
}
