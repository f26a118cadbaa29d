package localdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/sqlrows"
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
	m, err := intentsWhere(ctx, q, "order_id = ?", orderID)
	return m[orderID], err
}

// intentsWhere loads the outbox rows matching where (a condition on
// outbox's columns), grouped by order, each group in id order.
func intentsWhere(ctx context.Context, q querier, where string, args ...any) (map[string][]intent, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, key, name, order_id, args, state, created_at
		FROM outbox WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("load outbox: %w", err)
	}
	defer rows.Close()
	out := map[string][]intent{}
	for rows.Next() {
		var in intent
		var a string
		var created int64
		if err := rows.Scan(&in.ID, &in.Key, &in.Name, &in.OrderID, &a, &in.State, &created); err != nil {
			return nil, err
		}
		in.Args = json.RawMessage(a)
		in.CreatedAt = time.UnixMilli(created)
		out[in.OrderID] = append(out[in.OrderID], in)
	}
	return out, rows.Err()
}

// overlayOrder applies the effective intents to the shadow order in id
// order, as by performs them: the same rule the platform applies
// (streetdesk's WorkOrder.Apply), so what a desk shows before a sync is what
// the platform makes of it. Intents that no longer fit the lifecycle leave
// the order as it is. The order's history stays the platform's: pending
// intents are shown beside it.
func overlayOrder(w streetdesk.WorkOrder, ins []intent, by streetdesk.User, team *streetdesk.Team) streetdesk.WorkOrder {
	review := team != nil && team.ReviewResolutions
	for _, in := range ins {
		if !in.effective() {
			continue
		}
		args, err := streetdesk.DecodeArgs(in.Name, in.Args)
		if err != nil {
			continue
		}
		op := streetdesk.Operation(in.Name)
		switch a := args.(type) {
		case *streetdesk.SubmitResolutionArgs:
			op = streetdesk.SubmitOp(review)
		case *streetdesk.ReassignArgs:
			args = &streetdesk.Reassignment{To: member(team, a.To), Reason: a.Reason}
		}
		// An error means the intent no longer fits the order: it is shown in
		// the timeline and left out here.
		if _, err := w.Apply(op, args, by, in.CreatedAt); err != nil {
			continue
		}
	}
	return w
}

// overlayActor is who the overlay applies intents as: the signed-in user,
// who wrote them. A store opened without a street-office user (tools, a
// sync before sign-in finished) applies them as a lead may, which allows
// every operation of the street office.
func (db *DB) overlayActor() streetdesk.User {
	u := db.User()
	if u.Role != streetdesk.RoleCaseworker && u.Role != streetdesk.RoleLead {
		u.Role = streetdesk.RoleLead
	}
	return u
}

// member returns the team member with id or username id, or a stand-in
// that carries only the id when the roster does not know it (yet).
func member(t *streetdesk.Team, id string) streetdesk.User {
	if m, ok := t.Member(id); ok {
		return m
	}
	return streetdesk.User{ID: id, Name: id}
}

func memberName(t *streetdesk.Team, id string) string { return member(t, id).Name }

// refreshOverlay recomputes the overlay row of one order after its shadow or
// its outbox changed.
func (db *DB) refreshOverlay(ctx context.Context, tx *sql.Tx, orderID string) error {
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
	team, err := loadTeam(ctx, tx)
	if err != nil {
		return err
	}
	return writeOverlay(ctx, tx, overlayOrder(s.Order, ins, db.overlayActor(), team))
}

// writeOverlay stores what an order's intents change about it.
func writeOverlay(ctx context.Context, tx querier, w streetdesk.WorkOrder) error {
	orderID := w.ID
	_, err := tx.ExecContext(ctx, `INSERT INTO overlay(order_id, status, assignee_id, deadline) VALUES (?, ?, ?, ?)
		ON CONFLICT(order_id) DO UPDATE SET status = excluded.status, assignee_id = excluded.assignee_id, deadline = excluded.deadline`,
		orderID, string(w.Status), w.AssigneeID, ms(w.CurrentDeadline()))
	if err != nil {
		return fmt.Errorf("write overlay: %w", err)
	}
	return nil
}

// Search index maintenance.

func orderSearchText(w *streetdesk.WorkOrder) string { return w.SearchText() }

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

// queueIndex marks an order's search document as stale; the background
// indexer rebuilds it, or drainSearch before the next search.
func (db *DB) queueIndex(ctx context.Context, tx querier, orderID string) error {
	if !db.search {
		return nil
	}
	_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO search_queue(order_id) VALUES (?)", orderID)
	db.queued.Store(true)
	return err
}

// FlushSearch brings the search index up to date now (the background
// indexer otherwise does it shortly after a pull or a local note). Queue and
// Export call it before a text search.
func (db *DB) FlushSearch(ctx context.Context) error { return db.drainSearch(ctx) }

// drainSearch reindexes every queued order, so that a search reads its own
// writes.
func (db *DB) drainSearch(ctx context.Context) error {
	if !db.search {
		return nil
	}
	// A first sync queues its orders for indexing with the index rebuild.
	if err := db.finishBulk(ctx); err != nil {
		return err
	}
	drained := 0
	defer func() {
		if drained >= searchBacklog {
			db.indexChanged()
		}
	}()
	for {
		var n int
		if err := db.r.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM search_queue)").Scan(&n); err != nil || n == 0 {
			return err
		}
		n, err := db.drainChunk(ctx, 500)
		if err != nil {
			return err
		}
		drained += n
	}
}

// drainChunk reindexes up to n queued orders in one short transaction and
// returns how many it took.
func (db *DB) drainChunk(ctx context.Context, n int) (int, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var ids []any
	var list []string
	texts := map[string]string{}
	rows, err := tx.QueryContext(ctx, "SELECT order_id, text FROM search_queue LIMIT ?", n)
	err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
		var id string
		var text sql.NullString
		if err := rows.Scan(&id, &text); err != nil {
			return err
		}
		ids = append(ids, id)
		list = append(list, id)
		if text.Valid {
			texts[id] = text.String
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if err := reindexKnown(ctx, tx, list, texts); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM search_queue WHERE order_id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+")", ids...); err != nil {
		return 0, err
	}
	return len(ids), tx.Commit()
}

// indexLoop is the background indexer: woken after commits that queued
// work, it drains the queue in short transactions until Close.
func (db *DB) indexLoop(ctx context.Context) {
	defer close(db.indexDone)
	for {
		select {
		case <-ctx.Done():
			return
		case <-db.indexKick:
		}
		// Before the delay: the queue of a first sync waits for these.
		if err := db.finishBulk(ctx); err != nil && ctx.Err() == nil {
			db.log.Warn("localdb: rebuilding the shadow indexes failed", "err", err)
		}
		// Coalesce a burst of edits into one drain, so the indexer does not
		// take the writer between two quick local actions.
		select {
		case <-ctx.Done():
			return
		case <-time.After(indexDelay):
		}
		drained := 0
		for ctx.Err() == nil && !db.holdIndex.Load() {
			n, err := db.drainChunk(ctx, 200)
			if err != nil {
				if ctx.Err() == nil {
					db.log.Warn("localdb: search indexing failed", "err", err)
				}
				break
			}
			drained += n
			if n == 0 {
				break
			}
		}
		if drained >= searchBacklog {
			db.indexChanged() // a backlog was worked off: Counts.Indexing fell
		}
	}
}

// searchBacklog is how many orders waiting for the search index make a
// backlog worth telling the user about (Counts.Indexing): one just-edited
// order is indexed within a second; a first sync's thousands take seconds.
const searchBacklog = 50

// indexDelay is how long the indexer waits after being woken.
const indexDelay = 300 * time.Millisecond

func (db *DB) kickIndexer() {
	if db.indexKick == nil {
		return
	}
	select {
	case db.indexKick <- struct{}{}:
	default:
	}
}

// indexBatch collects the orders a pull page touched; flushIndex queues
// them for the indexer in a few statements.
type indexBatch struct {
	seen  map[string]bool
	ids   []string
	texts map[string]string    // order text known from the page
	stmts map[string]*sql.Stmt // statements prepared once per page
}

// stmt returns q prepared on tx, once per page (the driver does not cache).
func (b *indexBatch) stmt(ctx context.Context, tx *sql.Tx, q string) (*sql.Stmt, error) {
	if st, ok := b.stmts[q]; ok {
		return st, nil
	}
	st, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if b.stmts == nil {
		b.stmts = map[string]*sql.Stmt{}
	}
	b.stmts[q] = st
	return st, nil
}

func (b *indexBatch) close() {
	for _, st := range b.stmts {
		st.Close()
	}
}

func (b *indexBatch) add(id string) {
	if b.seen == nil {
		b.seen = map[string]bool{}
	}
	delete(b.texts, id)
	if !b.seen[id] {
		b.seen[id] = true
		b.ids = append(b.ids, id)
	}
}

// addOrder queues an order whose text is known.
func (b *indexBatch) addOrder(w *streetdesk.WorkOrder) {
	b.add(w.ID)
	if b.texts == nil {
		b.texts = map[string]string{}
	}
	b.texts[w.ID] = orderSearchText(w)
}

// flushIndex queues the batch for the indexer.
func (db *DB) flushIndex(ctx context.Context, tx *sql.Tx, b *indexBatch) error {
	if !db.search {
		return nil
	}
	ids := b.ids
	if len(ids) > 0 {
		db.queued.Store(true)
	}
	for len(ids) > 0 {
		n := min(len(ids), 200)
		args := make([]any, 0, 2*n)
		for _, id := range ids[:n] {
			var text any
			if t, ok := b.texts[id]; ok {
				text = t
			}
			args = append(args, id, text)
		}
		// A known text replaces a queued NULL; a NULL (notes changed) keeps
		// nothing stale because the drain reads notes anyway.
		if _, err := tx.ExecContext(ctx, "INSERT INTO search_queue(order_id, text) VALUES "+placeholders(n, 2)+
			" ON CONFLICT(order_id) DO UPDATE SET text = coalesce(excluded.text, search_queue.text)", args...); err != nil {
			return fmt.Errorf("queue index: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

func placeholders(n, per int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", per), ",") + "),"
	return strings.TrimSuffix(strings.Repeat(one, n), ",")
}

// reindex rebuilds the search documents of orders, 200 at a time.
func reindex(ctx context.Context, tx *sql.Tx, ids []string) error {
	return reindexKnown(ctx, tx, ids, nil)
}

func reindexKnown(ctx context.Context, tx *sql.Tx, ids []string, texts map[string]string) error {
	for len(ids) > 0 {
		n := min(len(ids), 200)
		if err := reindexChunk(ctx, tx, ids[:n], texts); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func reindexChunk(ctx context.Context, tx *sql.Tx, ids []string, texts map[string]string) error {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	in := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	type doc struct {
		qid  int64
		text strings.Builder
		old  sql.NullString
	}
	docs := map[string]*doc{}
	var order []string
	rows, err := tx.QueryContext(ctx, `SELECT w.qid, w.id, s.text FROM work_orders w
		LEFT JOIN search_text s ON s.qid = w.qid WHERE w.id IN (`+in+`)`, args...)
	err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
		d := &doc{}
		var id string
		if err := rows.Scan(&d.qid, &id, &d.old); err != nil {
			return err
		}
		docs[id] = d
		order = append(order, id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	for _, id := range order {
		if t, ok := texts[id]; ok {
			docs[id].text.WriteString(t)
			continue
		}
		var data string
		if err := tx.QueryRowContext(ctx, "SELECT data FROM work_order_data WHERE qid = ?", docs[id].qid).Scan(&data); err != nil {
			return fmt.Errorf("index %s: %w", id, err)
		}
		var w streetdesk.WorkOrder
		if err := json.Unmarshal([]byte(data), &w); err != nil {
			return fmt.Errorf("index %s: %w", id, err)
		}
		docs[id].text.WriteString(orderSearchText(&w))
	}
	if len(docs) == 0 {
		return nil // notes may arrive before their order; indexed with it
	}
	rows, err = tx.QueryContext(ctx, "SELECT order_id, body FROM notes WHERE order_id IN ("+in+") ORDER BY order_id, created_at, id", args...)
	err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
		var id, body string
		if err := rows.Scan(&id, &body); err != nil {
			return err
		}
		if d := docs[id]; d != nil {
			d.text.WriteString("\n")
			d.text.WriteString(body)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("index notes: %w", err)
	}
	// FTS5 flushes its pending terms whenever a rowid is not above the last
	// one written: insert in qid order.
	sort.Slice(order, func(i, j int) bool { return docs[order[i]].qid < docs[order[j]].qid })
	var del, put, uni []any
	for _, id := range order {
		d := docs[id]
		text := d.text.String()
		if d.old.Valid && d.old.String == text {
			continue
		}
		if d.old.Valid {
			del = append(del, d.qid)
		}
		put = append(put, d.qid, text)
		uni = append(uni, d.qid, unigramText(text))
	}
	if len(put) == 0 {
		return nil
	}
	if len(del) > 0 {
		din := strings.TrimSuffix(strings.Repeat("?,", len(del)), ",")
		for _, t := range []string{"fts_tri", "fts_uni"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE rowid IN ("+din+")", del...); err != nil {
				return fmt.Errorf("unindex: %w", err)
			}
		}
	}
	vals := placeholders(len(put)/2, 2)
	if _, err := tx.ExecContext(ctx, "INSERT INTO search_text(qid, text) VALUES "+vals+" ON CONFLICT(qid) DO UPDATE SET text = excluded.text", put...); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO fts_tri(rowid, text) VALUES "+vals, put...); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO fts_uni(rowid, text) VALUES "+vals, uni...); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	return nil
}

// reindexAll fills the search index from existing rows (migration 2).
func reindexAll(ctx context.Context, tx *sql.Tx) error {
	ids, err := sqlrows.Column[string](tx.QueryContext(ctx, "SELECT id FROM work_orders"))
	if err != nil {
		return err
	}
	return reindex(ctx, tx, ids)
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
