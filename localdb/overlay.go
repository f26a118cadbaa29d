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
	err := q.QueryRowContext(ctx, `SELECT data, access, revoke_reason, revoke_assignee, revoke_status
		FROM work_orders WHERE id = ?`, id).Scan(&data, &s.Access, &s.RevokeReason, &s.RevokeAssignee, &s.RevokeStatus)
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

// unigramText spaces out every letter and digit so that the unicode61
// tokenizer indexes each one as a token; other characters separate tokens.
func unigramText(s string) string {
	var b strings.Builder
	b.Grow(len(s) * 2)
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
		b.WriteByte(' ')
	}
	return b.String()
}

func (db *DB) indexDoc(ctx context.Context, tx *sql.Tx, ref, orderID, text string) error {
	if !db.search {
		return nil
	}
	return indexDoc(ctx, tx, ref, orderID, text)
}

func (db *DB) unindexOrder(ctx context.Context, tx *sql.Tx, orderID string) error {
	if !db.search {
		return nil
	}
	return unindexOrder(ctx, tx, orderID)
}

// indexDoc (re)indexes one searchable document.
func indexDoc(ctx context.Context, tx *sql.Tx, ref, orderID, text string) error {
	var rowid int64
	var old string
	err := tx.QueryRowContext(ctx, "SELECT rowid, text FROM search_doc WHERE ref = ?", ref).Scan(&rowid, &old)
	switch {
	case err == nil:
		if old == text {
			return nil
		}
		if err := unindexRow(ctx, tx, rowid); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE search_doc SET text = ?, order_id = ? WHERE rowid = ?", text, orderID, rowid); err != nil {
			return err
		}
	case errors.Is(err, sql.ErrNoRows):
		res, err := tx.ExecContext(ctx, "INSERT INTO search_doc(ref, order_id, text) VALUES (?, ?, ?)", ref, orderID, text)
		if err != nil {
			return fmt.Errorf("index %s: %w", ref, err)
		}
		if rowid, err = res.LastInsertId(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("index %s: %w", ref, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO fts_tri(rowid, text) VALUES (?, ?)", rowid, text); err != nil {
		return fmt.Errorf("index %s: %w", ref, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO fts_uni(rowid, text) VALUES (?, ?)", rowid, unigramText(text)); err != nil {
		return fmt.Errorf("index %s: %w", ref, err)
	}
	return nil
}

func unindexRow(ctx context.Context, tx *sql.Tx, rowid int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM fts_tri WHERE rowid = ?", rowid); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "DELETE FROM fts_uni WHERE rowid = ?", rowid)
	return err
}

// unindexOrder drops an order's documents (order text and its notes).
func unindexOrder(ctx context.Context, tx *sql.Tx, orderID string) error {
	rows, err := tx.QueryContext(ctx, "SELECT rowid FROM search_doc WHERE order_id = ?", orderID)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := unindexRow(ctx, tx, id); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, "DELETE FROM search_doc WHERE order_id = ?", orderID)
	return err
}

// reindexAll fills the search index from existing rows (migration 2).
func reindexAll(ctx context.Context, tx *sql.Tx) error {
	type doc struct{ ref, order, text string }
	var docs []doc
	rows, err := tx.QueryContext(ctx, "SELECT id, data FROM work_orders")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, data string
		if err := rows.Scan(&id, &data); err != nil {
			rows.Close()
			return err
		}
		var w streetdesk.WorkOrder
		if err := json.Unmarshal([]byte(data), &w); err != nil {
			rows.Close()
			return fmt.Errorf("decode order %s: %w", id, err)
		}
		docs = append(docs, doc{"o:" + id, id, orderSearchText(&w)})
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, "SELECT id, order_id, body FROM notes")
	if err != nil {
		return err
	}
	for rows.Next() {
		var d doc
		if err := rows.Scan(&d.ref, &d.order, &d.text); err != nil {
			rows.Close()
			return err
		}
		d.ref = "n:" + d.ref
		docs = append(docs, d)
	}
	rows.Close()
	for _, d := range docs {
		if err := indexDoc(ctx, tx, d.ref, d.order, d.text); err != nil {
			return err
		}
	}
	return nil
}
