package localdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/streetdesk/streetdesk"
)

// querier is what both *sql.Tx and *sql.DB offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// intent is one outbox row as the overlay reads it.
type intent struct {
	ID        int64
	Key       string
	Name      string
	OrderID   string
	Args      json.RawMessage
	State     string
	CreatedAt time.Time
}

// effective reports whether the intent still shows in the overlay: the
// platform has not refused it.
func (in *intent) effective() bool { return in.State != stateRejected && in.State != stateConflict }

// Outbox states.
const (
	statePending  = "pending"
	stateAnswered = "answered"
	stateRejected = "rejected"
	stateConflict = "conflict"
)

// shadow is a work_orders row.
type shadow struct {
	Order          streetdesk.WorkOrder
	Access         string
	RevokeReason   string
	RevokeAssignee string
	RevokeStatus   string
}

func (s *shadow) revoked() bool { return s.Access == "revoked" }

func loadShadow(ctx context.Context, q querier, id string) (*shadow, error) {
	var s shadow
	var data string
	err := q.QueryRowContext(ctx, `SELECT d.data, w.access, w.revoke_reason, w.revoke_assignee, w.revoke_status
		FROM work_orders w JOIN work_order_data d ON d.qid = w.qid WHERE w.id = ?`, id).Scan(&data, &s.Access, &s.RevokeReason, &s.RevokeAssignee, &s.RevokeStatus)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, streetdesk.Errorf(streetdesk.ENOTFOUND, "work order %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load order %s: %w", id, err)
	}
	if err := json.Unmarshal([]byte(data), &s.Order); err != nil {
		return nil, fmt.Errorf("decode order %s: %w", id, err)
	}
	return &s, nil
}

func loadIntents(ctx context.Context, q querier, orderID string) ([]intent, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, key, name, order_id, args, state, created_at
		FROM outbox WHERE order_id = ? ORDER BY id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("load outbox: %w", err)
	}
	defer rows.Close()
	var out []intent
	for rows.Next() {
		var in intent
		var args string
		var created int64
		if err := rows.Scan(&in.ID, &in.Key, &in.Name, &in.OrderID, &args, &in.State, &created); err != nil {
			return nil, err
		}
		in.Args = json.RawMessage(args)
		in.CreatedAt = time.UnixMilli(created)
		out = append(out, in)
	}
	return out, rows.Err()
}

// reviewOn reports whether the stored roster says resolutions wait for the lead.
func reviewOn(ctx context.Context, q querier) bool {
	t, err := loadTeam(ctx, q)
	return err == nil && t != nil && t.ReviewResolutions
}

// overlayOrder applies the effective intents to the shadow order in id order.
// Intents that no longer fit the lifecycle leave the order as it is.
func overlayOrder(w streetdesk.WorkOrder, ins []intent, review bool, team *streetdesk.Team) streetdesk.WorkOrder {
	for _, in := range ins {
		if !in.effective() {
			continue
		}
		op := streetdesk.Operation(in.Name)
		if op == streetdesk.OpSubmitResolution && review {
			op = streetdesk.OpSubmitForReview
		}
		next, ok := streetApply(w.Status, op)
		if !ok {
			continue
		}
		w.Status = next
		args, err := streetdesk.DecodeArgs(in.Name, in.Args)
		if err != nil {
			continue
		}
		switch a := args.(type) {
		case *streetdesk.AcceptArgs:
			w.AcceptedAt = in.CreatedAt
		case *streetdesk.RecordContactArgs:
			if w.FirstContact.IsZero() {
				w.FirstContact = in.CreatedAt
			}
		case *streetdesk.RequestReturnArgs:
			w.ReturnRequest = &streetdesk.ReturnRequest{Reason: a.Reason, Text: a.Text}
		case *streetdesk.RequestExtensionArgs:
			w.ExtensionRequest = &streetdesk.ExtensionRequest{Reason: a.Reason, NewResolveBy: a.NewResolveBy}
		case *streetdesk.ReassignArgs:
			w.AssigneeID = a.To
			w.AssigneeName = memberName(team, a.To)
		case *streetdesk.SendBackArgs:
			w.ReviewComment = a.Comment
		}
	}
	return w
}

// streetApply applies op as the street office (caseworker, else lead) would.
func streetApply(from streetdesk.Status, op streetdesk.Operation) (streetdesk.Status, bool) {
	for _, r := range []streetdesk.Role{streetdesk.RoleCaseworker, streetdesk.RoleLead} {
		if to, err := streetdesk.Apply(from, op, r); err == nil {
			return to, true
		}
	}
	return from, false
}

func memberName(t *streetdesk.Team, id string) string {
	if t != nil {
		for _, m := range t.Members {
			if m.ID == id || m.Username == id {
				return m.Name
			}
		}
	}
	return id
}

// refreshOverlay recomputes the overlay row of one order after its shadow or
// its outbox changed.
func refreshOverlay(ctx context.Context, tx *sql.Tx, orderID string) error {
	ins, err := loadIntents(ctx, tx, orderID)
	if err != nil {
		return err
	}
	any := false
	for _, in := range ins {
		if in.effective() {
			any = true
		}
	}
	if !any {
		_, err := tx.ExecContext(ctx, "DELETE FROM overlay WHERE order_id = ?", orderID)
		return err
	}
	s, err := loadShadow(ctx, tx, orderID)
	if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
		_, err := tx.ExecContext(ctx, "DELETE FROM overlay WHERE order_id = ?", orderID)
		return err
	}
	if err != nil {
		return err
	}
	team, _ := loadTeam(ctx, tx)
	w := overlayOrder(s.Order, ins, team != nil && team.ReviewResolutions, team)
	_, err = tx.ExecContext(ctx, `INSERT INTO overlay(order_id, status, assignee_id, deadline) VALUES (?, ?, ?, ?)
		ON CONFLICT(order_id) DO UPDATE SET status = excluded.status, assignee_id = excluded.assignee_id, deadline = excluded.deadline`,
		orderID, string(w.Status), w.AssigneeID, ms(w.CurrentDeadline()))
	if err != nil {
		return fmt.Errorf("write overlay: %w", err)
	}
	return nil
}

// Search index maintenance.

func orderSearchText(w *streetdesk.WorkOrder) string {
	return w.Title + "\n" + w.Complaint + "\n" + w.Location.Address
}

// placeholder stands for every character that is not a letter or digit in
// the single-character index: a private-use character, which unicode61
// keeps as a token, so that characters are adjacent in the index only when
// they are adjacent in the text.
const placeholder = "\uE000"

// unigramText spaces out every character so that the unicode61 tokenizer
// indexes each one as its own token.
func unigramText(s string) string {
	var b strings.Builder
	b.Grow(len(s) * 2)
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		} else {
			b.WriteString(placeholder)
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// reindexOrder rebuilds the search document of one order: its title,
// complaint, address and every note (local or from the platform).
func (db *DB) reindexOrder(ctx context.Context, tx *sql.Tx, orderID string) error {
	if !db.search {
		return nil
	}
	return reindexOrder(ctx, tx, orderID)
}

func reindexOrder(ctx context.Context, tx *sql.Tx, orderID string) error {
	var qid int64
	var data string
	err := tx.QueryRowContext(ctx, "SELECT w.qid, d.data FROM work_orders w JOIN work_order_data d ON d.qid = w.qid WHERE w.id = ?", orderID).Scan(&qid, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // notes may arrive before their order; indexed with it
	}
	if err != nil {
		return fmt.Errorf("index %s: %w", orderID, err)
	}
	var w streetdesk.WorkOrder
	if err := json.Unmarshal([]byte(data), &w); err != nil {
		return fmt.Errorf("index %s: %w", orderID, err)
	}
	var b strings.Builder
	b.WriteString(orderSearchText(&w))
	rows, err := tx.QueryContext(ctx, "SELECT body FROM notes WHERE order_id = ? ORDER BY created_at, id", orderID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			rows.Close()
			return err
		}
		b.WriteString("\n")
		b.WriteString(body)
	}
	rows.Close()
	text := b.String()
	var old string
	err = tx.QueryRowContext(ctx, "SELECT text FROM search_text WHERE qid = ?", qid).Scan(&old)
	switch {
	case err == nil && old == text:
		return nil
	case err == nil:
		if err := unindex(ctx, tx, qid); err != nil {
			return err
		}
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO search_text(qid, text) VALUES (?, ?)", qid, text); err != nil {
		return fmt.Errorf("index %s: %w", orderID, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO fts_tri(rowid, text) VALUES (?, ?)", qid, text); err != nil {
		return fmt.Errorf("index %s: %w", orderID, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO fts_uni(rowid, text) VALUES (?, ?)", qid, unigramText(text)); err != nil {
		return fmt.Errorf("index %s: %w", orderID, err)
	}
	return nil
}

// unindex drops one order's search document.
func unindex(ctx context.Context, tx *sql.Tx, qid int64) error {
	for _, q := range []string{"DELETE FROM fts_tri WHERE rowid = ?", "DELETE FROM fts_uni WHERE rowid = ?", "DELETE FROM search_text WHERE qid = ?"} {
		if _, err := tx.ExecContext(ctx, q, qid); err != nil {
			return fmt.Errorf("unindex: %w", err)
		}
	}
	return nil
}

// reindexAll fills the search index from existing rows (migration 2).
func reindexAll(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "SELECT id FROM work_orders")
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := reindexOrder(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}
