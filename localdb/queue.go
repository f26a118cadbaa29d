package localdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/sqlrows"
)

// The queue reads the shadow through its indexes and merges in the few
// orders whose pending intents change status, assignee or deadline (the
// overlay table), so a page costs the same with or without pending work.

// qcols are the column expressions the filter and sort use: the shadow's
// own, or the overlay's for overlaid orders.
type qcols struct{ status, assignee, deadline string }

var (
	shadowCols  = qcols{"w.status", "w.assignee_id", "w.deadline"}
	overlayCols = qcols{"o.status", "o.assignee_id", "o.deadline"}
)

// clock is the moment the filters (overdue, due within) are read at.
type clock struct {
	now, soon int64
}

func (db *DB) clockFor(f *streetdesk.QueueFilter) clock {
	now := f.Now
	if now.IsZero() {
		now = db.now()
	}
	return clock{now.UnixMilli(), now.Add(streetdesk.DueSoonWindow).UnixMilli()}
}

// where builds the filter for one source of rows.
func (db *DB) where(f *streetdesk.QueueFilter, c qcols, ck clock) (string, []any, error) {
	var conds []string
	var args []any
	if len(f.Statuses) > 0 {
		ph := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			ph[i] = "?"
			args = append(args, string(s))
		}
		conds = append(conds, c.status+" IN ("+strings.Join(ph, ",")+")")
	}
	if f.Overdue {
		conds = append(conds, c.deadline+" < ?")
		args = append(args, ck.now)
	}
	if f.DueWithin > 0 {
		conds = append(conds, c.deadline+" >= ? AND "+c.deadline+" <= ?")
		args = append(args, ck.now, ck.now+f.DueWithin.Milliseconds())
	}
	if f.CategoryCode != "" {
		conds = append(conds, "w.category_l3 >= ? AND w.category_l3 < ?")
		args = append(args, f.CategoryCode, f.CategoryCode+"\U0010FFFF")
	}
	if f.District != "" {
		conds = append(conds, "w.district = ?")
		args = append(args, f.District)
	}
	if f.StreetOffice != "" {
		conds = append(conds, "w.street_office = ?")
		args = append(args, f.StreetOffice)
	}
	if f.Community != "" {
		conds = append(conds, "w.community = ?")
		args = append(args, f.Community)
	}
	if f.AssigneeID != "" {
		conds = append(conds, c.assignee+" = ?")
		args = append(args, f.AssigneeID)
	}
	if strings.TrimSpace(f.Text) != "" {
		if !db.search {
			return "", nil, streetdesk.Errorf(streetdesk.EINVALID, "search index not built yet")
		}
		sc, sa := searchCond(f.Text)
		conds = append(conds, sc...)
		args = append(args, sa...)
	}
	if len(conds) == 0 {
		return "1", nil, nil
	}
	return strings.Join(conds, " AND "), args, nil
}

// searchTerm is one typed word as an index lookup: the FTS table and its
// MATCH argument, and the word itself when the index alone is not exact
// (punctuation) and the stored text must be checked too. A word without
// any letter or digit has no table: only the text check finds it.
type searchTerm struct {
	table, match, exact string
}

// searchTerms turns what the user typed into terms: words separated by
// spaces must all match (in the order's text or any of its notes); every
// word is matched as plain text, whatever FTS syntax it contains.
func searchTerms(text string) []searchTerm {
	var out []searchTerm
	for _, word := range strings.Fields(text) {
		word = streetdesk.SearchWord(word)
		if utf8.RuneCountInString(word) >= 3 {
			// A quoted FTS5 string: the trigram tokenizer matches it as a
			// substring; doubling '"' is the only escape FTS5 needs.
			out = append(out, searchTerm{table: "fts_tri", match: `"` + strings.ReplaceAll(word, `"`, `""`) + `"`})
			continue
		}
		// One- and two-character words: a phrase over the single-character
		// index. Every character that is not a letter or digit is the same
		// placeholder token there, so such words also need the exact check.
		var toks []string
		letters, exact := 0, false
		for _, r := range word {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				toks = append(toks, string(r))
				letters++
			} else {
				toks = append(toks, placeholder)
				exact = true
			}
		}
		t := searchTerm{}
		if letters > 0 {
			t.table, t.match = "fts_uni", `"`+strings.Join(toks, " ")+`"`
		}
		if exact {
			t.exact = word
		}
		out = append(out, t)
	}
	return out
}

// searchCond turns the search terms into SQL conditions on w.
func searchCond(text string) ([]string, []any) {
	var conds []string
	var args []any
	for _, t := range searchTerms(text) {
		if t.table != "" {
			conds = append(conds, "w.qid IN (SELECT rowid FROM "+t.table+" WHERE "+t.table+" MATCH ?)")
			args = append(args, t.match)
		}
		if t.exact != "" {
			// Only punctuation (no table) makes this a scan, but never an error.
			conds = append(conds, "instr(lower((SELECT s.text FROM search_text s WHERE s.qid = w.qid)), lower(?)) > 0")
			args = append(args, t.exact)
		}
	}
	return conds, args
}

// orderBy is streetdesk.CompareQueue in SQL.
func orderBy(s streetdesk.SortOrder) string {
	switch s {
	case streetdesk.SortDispatched:
		return "dispatched_at DESC, id"
	case streetdesk.SortUrgency:
		return "urgency_rank DESC, deadline IS NULL, deadline, id"
	}
	return "deadline IS NULL, deadline, urgency_rank DESC, id"
}

// sortKey mirrors orderBy for merging overlaid rows into a page.
type sortKey struct {
	id         string
	deadline   sql.NullInt64
	urgency    int
	dispatched int64
}

func less(s streetdesk.SortOrder, a, b sortKey) bool {
	switch s {
	case streetdesk.SortDispatched:
		if a.dispatched != b.dispatched {
			return a.dispatched > b.dispatched
		}
		return a.id < b.id
	case streetdesk.SortUrgency:
		if a.urgency != b.urgency {
			return a.urgency > b.urgency
		}
	}
	if a.deadline.Valid != b.deadline.Valid {
		return a.deadline.Valid
	}
	if a.deadline.Int64 != b.deadline.Int64 {
		return a.deadline.Int64 < b.deadline.Int64
	}
	if s != streetdesk.SortUrgency && a.urgency != b.urgency {
		return a.urgency > b.urgency
	}
	return a.id < b.id
}

// Queue returns one page of the overlaid queue.
func (db *DB) Queue(ctx context.Context, f streetdesk.QueueFilter) (streetdesk.QueuePage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = streetdesk.DefaultPageSize
	}
	if limit > streetdesk.MaxPageSize {
		limit = streetdesk.MaxPageSize
	}
	if f.Offset < 0 {
		return streetdesk.QueuePage{}, streetdesk.Errorf(streetdesk.EINVALID, "negative offset")
	}
	if strings.TrimSpace(f.Text) != "" {
		if err := db.drainSearch(ctx); err != nil {
			return streetdesk.QueuePage{}, fmt.Errorf("search index: %w", err)
		}
	}
	keys, total, err := db.queueKeys(ctx, &f, f.Offset+limit, true)
	if err != nil {
		return streetdesk.QueuePage{}, err
	}
	if f.Offset >= len(keys) {
		return streetdesk.QueuePage{Total: total}, nil
	}
	keys = keys[f.Offset:]
	items, err := db.items(ctx, keys)
	if err != nil {
		return streetdesk.QueuePage{}, err
	}
	return streetdesk.QueuePage{Items: items, Total: total}, nil
}

// Export returns every row matching f (offset and limit ignored), for the 台账 export.
func (db *DB) Export(ctx context.Context, f streetdesk.QueueFilter) ([]streetdesk.QueueItem, error) {
	if strings.TrimSpace(f.Text) != "" {
		if err := db.drainSearch(ctx); err != nil {
			return nil, fmt.Errorf("search index: %w", err)
		}
	}
	keys, _, err := db.queueKeys(ctx, &f, -1, false)
	if err != nil {
		return nil, err
	}
	var out []streetdesk.QueueItem
	for len(keys) > 0 {
		n := min(len(keys), 500)
		items, err := db.items(ctx, keys[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		keys = keys[n:]
	}
	return out, nil
}

// sortAllBelow, when not negative, fixes the match count under which a page
// is sorted in full (tests); by default sortInFull decides.
var sortAllBelow = -1

// sortInFull decides between sorting every match (cost ~ matches × a table
// lookup) and reading an index in sort order until the page is full (cost ~
// rows scanned = want × rows / matches, index only, ~50× cheaper per row).
func sortInFull(matches, want, rows int) bool {
	if sortAllBelow >= 0 {
		return matches < sortAllBelow
	}
	if matches == 0 {
		return true
	}
	return matches*50 < want*rows/matches
}

// segment is one run of the sort order that an index yields directly.
// Consecutive segments marked merge are read side by side (each up to the
// rows still wanted) and merged in sort order.
type segment struct {
	index string
	cond  string
	args  []any
	order string
	merge bool
}

// segments splits a sort order into runs that an index reads in order. By
// risk, the orders with a deadline are, for each urgency, the index
// (urgency, deadline) in order; the three runs merged give deadline first,
// urgency breaking ties.
func segments(s streetdesk.SortOrder) []segment {
	var out []segment
	switch s {
	case streetdesk.SortDispatched:
		return []segment{{index: "work_orders_recent", cond: "1", order: "w.dispatched_at DESC, w.id"}}
	case streetdesk.SortUrgency:
		for u := 2; u >= 0; u-- {
			out = append(out,
				segment{"work_orders_risk", "w.urgency_rank = ? AND w.deadline IS NOT NULL", []any{u}, "w.deadline, w.id", false},
				segment{"work_orders_risk", "w.urgency_rank = ? AND w.deadline IS NULL", []any{u}, "w.id", false})
		}
		return out
	}
	for u := 2; u >= 0; u-- {
		out = append(out, segment{"work_orders_risk", "w.urgency_rank = ? AND w.deadline IS NOT NULL", []any{u}, "w.deadline, w.id", true})
	}
	for u := 2; u >= 0; u-- {
		out = append(out, segment{"work_orders_risk", "w.urgency_rank = ? AND w.deadline IS NULL", []any{u}, "w.id", false})
	}
	return out
}

// readRuns reads the first n keys in sort order from segs: each run (a
// segment, or the segments merged with it) reads up to the keys still
// wanted from each of its segments (read appends them) and sorts them.
func readRuns(segs []segment, s streetdesk.SortOrder, n int, read func(sg segment, need int, run []sortKey) ([]sortKey, error)) ([]sortKey, error) {
	var keys []sortKey
	for i := 0; i < len(segs) && len(keys) < n; {
		j := i + 1
		for segs[i].merge && j < len(segs) && segs[j].merge {
			j++
		}
		need := n - len(keys)
		var run []sortKey
		for _, sg := range segs[i:j] {
			var err error
			if run, err = read(sg, need, run); err != nil {
				return nil, err
			}
		}
		if j-i > 1 {
			sort.SliceStable(run, func(a, b int) bool { return less(s, run[a], run[b]) })
		}
		keys = append(keys, run[:min(len(run), need)]...)
		i = j
	}
	return keys, nil
}

// queueKeys returns the first n ids of the sorted, filtered queue (all when
// n < 0) and, if count is set, the total.
func (db *DB) queueKeys(ctx context.Context, f *streetdesk.QueueFilter, n int, count bool) ([]string, int, error) {
	ck := db.clockFor(f)
	sw, sargs, err := db.where(f, shadowCols, ck)
	if err != nil {
		return nil, 0, err
	}
	ow, oargs, err := db.where(f, overlayCols, ck)
	if err != nil {
		return nil, 0, err
	}
	conn, err := db.r.Conn(ctx) // one snapshot for every read below
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()

	scan := func(q string, args []any, dst *[]sortKey) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("queue: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k sortKey
			if err := rows.Scan(&k.id, &k.deadline, &k.urgency, &k.dispatched); err != nil {
				return err
			}
			*dst = append(*dst, k)
		}
		return rows.Err()
	}
	// A text search of index words reads its matches once, as a set
	// (searchwalk.go); the other filters stay in SQL.
	set, err := db.searchSet(ctx, tx, f)
	if err != nil {
		return nil, 0, err
	}
	rest := *f
	if set != nil {
		rest.Text = ""
		if sw, sargs, err = db.where(&rest, shadowCols, ck); err != nil {
			return nil, 0, err
		}
		if ow, oargs, err = db.where(&rest, overlayCols, ck); err != nil {
			return nil, 0, err
		}
	}
	// Overlaid orders matching the filter with their overlaid values (few).
	var extra []sortKey
	rows, err := tx.QueryContext(ctx, `SELECT w.qid, w.id, o.deadline, w.urgency_rank, w.dispatched_at
		FROM overlay o CROSS JOIN work_orders w ON w.id = o.order_id WHERE `+ow, oargs...)
	err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
		var qid int64
		var k sortKey
		if err := rows.Scan(&qid, &k.id, &k.deadline, &k.urgency, &k.dispatched); err != nil {
			return err
		}
		if set == nil || set.has(qid) {
			extra = append(extra, k)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("queue: %w", err)
	}
	var keys []sortKey
	const cols = "SELECT w.id, w.deadline, w.urgency_rank, w.dispatched_at FROM work_orders w "
	notOverlaid := " AND w.id NOT IN (SELECT order_id FROM overlay)"
	total := -1
	walked := false
	if set != nil {
		if keys, total, walked, err = db.searchByIndex(ctx, tx, set, f.Sort, n, sw, sargs, extra); err != nil {
			return nil, 0, err
		}
		if !walked { // every match is joined, read from the set
			sw += " AND " + setCond
			sargs = append(sargs, set.list())
		}
	}
	switch {
	case walked:
		// The overlaid matches are merged in below.
	case strings.TrimSpace(f.Text) != "":
		// A text search: one statement materialises the matches once; they
		// are counted here and only the first n are kept, in order.
		rows, err := tx.QueryContext(ctx, cols+"WHERE "+sw+notOverlaid, sargs...)
		if err != nil {
			return nil, 0, fmt.Errorf("queue: %w", err)
		}
		top := topN{n: n, less: func(a, b sortKey) bool { return less(f.Sort, a, b) }}
		count := 0
		for rows.Next() {
			var k sortKey
			if err := rows.Scan(&k.id, &k.deadline, &k.urgency, &k.dispatched); err != nil {
				rows.Close()
				return nil, 0, err
			}
			count++
			top.add(k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
		total = count + len(extra)
		keys = append(top.keys, extra...)
		extra = nil
		sort.SliceStable(keys, func(i, j int) bool { return less(f.Sort, keys[i], keys[j]) })
		if n >= 0 && len(keys) > n {
			keys = keys[:n]
		}
	default:
		// Shadow matches, minus overlaid orders whose shadow values match.
		var all, shadowed int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM work_orders w WHERE "+sw, sargs...).Scan(&all); err != nil {
			return nil, 0, fmt.Errorf("queue count: %w", err)
		}
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM overlay o CROSS JOIN work_orders w ON w.id = o.order_id WHERE "+sw, sargs...).Scan(&shadowed); err != nil {
			return nil, 0, fmt.Errorf("queue count: %w", err)
		}
		total = all - shadowed + len(extra)
		var rows int
		if n >= 0 {
			// max(rowid) approximates the shadow's size without a scan.
			if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(qid), 0) FROM work_orders").Scan(&rows); err != nil {
				return nil, 0, err
			}
		}
		// While a first sync defers the shadow's indexes (bulkload.go) the
		// segments' INDEXED BY would fail: sort the matches instead.
		if n < 0 || db.ixDeferred.Load() || sortInFull(total, n, rows) {
			q := cols + "WHERE " + sw + notOverlaid + " ORDER BY " + orderBy(f.Sort)
			args := append([]any{}, sargs...)
			if n >= 0 {
				q += " LIMIT ?"
				args = append(args, n)
			}
			if err := scan(q, args, &keys); err != nil {
				return nil, 0, err
			}
		} else {
			keys, err = readRuns(segments(f.Sort), f.Sort, n, func(sg segment, need int, run []sortKey) ([]sortKey, error) {
				q := cols + "INDEXED BY " + sg.index + " WHERE " + sg.cond + " AND " + sw + notOverlaid + " ORDER BY " + sg.order + " LIMIT ?"
				err := scan(q, append(append(append([]any{}, sg.args...), sargs...), need), &run)
				return run, err
			})
			if err != nil {
				return nil, 0, err
			}
		}
	}
	if len(extra) > 0 {
		keys = append(keys, extra...)
		sort.SliceStable(keys, func(i, j int) bool { return less(f.Sort, keys[i], keys[j]) })
		if n >= 0 && len(keys) > n {
			keys = keys[:n]
		}
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.id
	}
	return ids, max(total, 0), nil
}

// items loads the overlaid orders for ids, in that order.
func (db *DB) items(ctx context.Context, ids []string) ([]streetdesk.QueueItem, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ph := strings.Repeat("?,", len(ids))
	ph = ph[:len(ph)-1]
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
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
	byID := make(map[string]*streetdesk.QueueItem, len(ids))
	rows, err := tx.QueryContext(ctx, `SELECT w.id, d.data, w.access,
		(SELECT count(*) FROM conflicts c WHERE c.order_id = w.id AND c.dismissed_at IS NULL)
		FROM work_orders w JOIN work_order_data d ON d.qid = w.qid WHERE w.id IN (`+ph+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("queue items: %w", err)
	}
	for rows.Next() {
		var id, data, access string
		var it streetdesk.QueueItem
		if err := rows.Scan(&id, &data, &access, &it.Conflicts); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &it.Order); err != nil {
			rows.Close()
			return nil, fmt.Errorf("decode order %s: %w", id, err)
		}
		it.Revoked = access == "revoked"
		byID[id] = &it
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Pending intents of these orders (few), applied in id order.
	ins, err := intentsWhere(ctx, tx, "order_id IN ("+ph+")", args...)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	var team *streetdesk.Team
	if len(ins) > 0 {
		if team, err = loadTeam(ctx, tx); err != nil {
			return nil, err
		}
	}
	by := db.overlayActor()
	out := make([]streetdesk.QueueItem, 0, len(ids))
	for _, id := range ids {
		it, ok := byID[id]
		if !ok {
			continue // removed between the two reads
		}
		if l := ins[id]; len(l) > 0 {
			it.Pending = len(l)
			it.Order = overlayOrder(it.Order, l, by, team)
		}
		out = append(out, *it)
	}
	return out, nil
}

// Counts summarises the store for the status line.
func (db *DB) Counts(ctx context.Context) (streetdesk.Counts, error) {
	c := streetdesk.Counts{ByStatus: map[streetdesk.Status]int{}}
	ck := db.clockFor(&streetdesk.QueueFilter{})
	rows, err := db.r.QueryContext(ctx, `SELECT coalesce(o.status, w.status),
		count(*),
		sum(CASE WHEN coalesce(o.deadline, w.deadline) < ? THEN 1 ELSE 0 END),
		sum(CASE WHEN coalesce(o.deadline, w.deadline) >= ? AND coalesce(o.deadline, w.deadline) <= ? THEN 1 ELSE 0 END)
		FROM work_orders w LEFT JOIN overlay o ON o.order_id = w.id
		WHERE w.access = 'assigned' GROUP BY 1`, ck.now, ck.now, ck.soon)
	err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
		var s string
		var n, over, soon int
		if err := rows.Scan(&s, &n, &over, &soon); err != nil {
			return err
		}
		c.ByStatus[streetdesk.Status(s)] = n
		c.Overdue += over
		c.DueSoon += soon
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("counts: %w", err)
	}
	var last sql.NullString
	err = db.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM outbox),
		(SELECT count(*) FROM conflicts WHERE dismissed_at IS NULL),
		(SELECT count(*) FROM blobs b WHERE b.state IN ('local', 'uploading') AND EXISTS (SELECT 1 FROM photo_refs p WHERE p.sha256 = b.sha256)),
		(SELECT value FROM sync_state WHERE key = 'last_sync')`).Scan(&c.Pending, &c.Conflicts, &c.Uploads, &last)
	if err != nil {
		return c, fmt.Errorf("counts: %w", err)
	}
	if last.Valid {
		c.LastSync, _ = time.Parse(time.RFC3339Nano, last.String)
	}
	if c.Indexing, err = db.searchBacklog(ctx); err != nil {
		return c, fmt.Errorf("counts: %w", err)
	}
	return c, nil
}

// searchBacklog counts the orders not yet searchable when they are a
// backlog (searchBacklog or more): after a first sync, every order until
// the indexer has rebuilt the indexes and worked off the queue.
func (db *DB) searchBacklog(ctx context.Context) (int, error) {
	if !db.search {
		return 0, nil
	}
	q := "SELECT count(*) FROM search_queue"
	if db.bulkDue.Load() {
		// The rebuild queues every order without a search document.
		q = `SELECT count(*) FROM work_orders w WHERE NOT EXISTS (SELECT 1 FROM search_text s WHERE s.qid = w.qid)`
	}
	var n int
	if err := db.r.QueryRowContext(ctx, q).Scan(&n); err != nil || n < searchBacklog {
		return 0, err
	}
	return n, nil
}

func fromMSInt(v int64) time.Time { return time.UnixMilli(v) }

// topN keeps the first n keys in order (all when n < 0): a text search
// may match thousands of orders, and only a page of them is wanted.
type topN struct {
	n    int
	less func(a, b sortKey) bool
	keys []sortKey
}

func (t *topN) add(k sortKey) {
	if t.n >= 0 && len(t.keys) >= t.n {
		if t.n == 0 || !t.less(k, t.keys[len(t.keys)-1]) {
			return
		}
		t.keys = t.keys[:len(t.keys)-1]
	}
	i := sort.Search(len(t.keys), func(i int) bool { return t.less(k, t.keys[i]) })
	t.keys = append(t.keys, sortKey{})
	copy(t.keys[i+1:], t.keys[i:])
	t.keys[i] = k
}
