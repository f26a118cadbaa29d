package localdb

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/streetdesk/streetdesk"
)

// A broad search (a word in 10 % of the orders) used to join every match
// with the shadow to sort and count them, ~2 µs a match. Instead the matches
// are read from the FTS index once, as a set of qids; the page is read from
// the sort order's index (segments) keeping the rows in the set, and with no
// other filter the count is the set's size: an order's search documents are
// dropped in the transaction that drops the order (unindex), and a text
// search drains the search queue first, so the set holds exactly the
// matching orders of the snapshot. A narrow search still joins its matches,
// read from the set instead of from the FTS index again.

// searchWalk forces the plan in tests: 0 decides by cost, 1 always reads
// the page in index order, -1 joins the FTS index as before the set.
var searchWalk = 0

// matchSet is the set of work_orders.qid a search matches.
type matchSet struct {
	bits   []uint64
	n      int
	maxQid int64
}

// setCond is the SQL condition "w is in the set", with list() as its argument.
const setCond = "w.qid IN (SELECT value FROM json_each(?))"

func (s *matchSet) has(q int64) bool {
	return q >= 0 && int(q>>6) < len(s.bits) && s.bits[q>>6]&(1<<(q&63)) != 0
}

// list is the set as a JSON array.
func (s *matchSet) list() string {
	b := make([]byte, 0, 8*s.n+2)
	b = append(b, '[')
	for i, w := range s.bits {
		for w != 0 {
			if len(b) > 1 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(i<<6+bits.TrailingZeros64(w)), 10)
			w &= w - 1
		}
	}
	return string(append(b, ']'))
}

// searchSet reads the orders matching every word of f.Text; nil when there
// is no text, or a word only the stored text can check (punctuation).
func (db *DB) searchSet(ctx context.Context, tx *sql.Tx, f *streetdesk.QueueFilter) (*matchSet, error) {
	if !db.search || strings.TrimSpace(f.Text) == "" || searchWalk < 0 {
		return nil, nil
	}
	terms := searchTerms(f.Text)
	// Words on the same index are one MATCH: FTS5 then checks a phrase
	// only where the other words' tokens are present too.
	var byTable []searchTerm
	for _, t := range terms {
		if t.table == "" || t.exact != "" {
			return nil, nil
		}
		i := slices.IndexFunc(byTable, func(b searchTerm) bool { return b.table == t.table })
		if i < 0 {
			byTable = append(byTable, t)
			continue
		}
		byTable[i].match += " AND " + t.match
	}
	s := &matchSet{}
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(qid), 0) FROM work_orders").Scan(&s.maxQid); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	for i, t := range byTable {
		b, err := matchBits(ctx, tx, t, s.maxQid)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			s.bits = b
			continue
		}
		for j := range s.bits {
			s.bits[j] &= b[j]
		}
	}
	for _, w := range s.bits {
		s.n += bits.OnesCount64(w)
	}
	return s, nil
}

// matchBits reads the qids an FTS term matches as one comma-separated
// string (one row instead of thousands through database/sql).
func matchBits(ctx context.Context, tx *sql.Tx, t searchTerm, maxQid int64) ([]uint64, error) {
	var list sql.NullString
	if err := tx.QueryRowContext(ctx, "SELECT group_concat(rowid) FROM "+t.table+" WHERE "+t.table+" MATCH ?", t.match).Scan(&list); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	b := make([]uint64, maxQid/64+1)
	var q int64
	for i := 0; i <= len(list.String); i++ {
		if i < len(list.String) && list.String[i] != ',' {
			q = q*10 + int64(list.String[i]-'0')
			continue
		}
		if i > 0 && q <= maxQid {
			b[q>>6] |= 1 << (q & 63)
		}
		q = 0
	}
	return b, nil
}

// walkPays compares the two plans' expected cost: joining every match (~2×
// the cost of a row read from an index, measured at 100k orders) with
// reading the first run of the sort order in index order until the page is
// full (each of its segments reads about want × rows / matches rows).
func walkPays(matches, want, rows, run int) bool {
	switch {
	case searchWalk > 0:
		return true
	case matches == 0:
		return false
	}
	return run*want*(rows/matches+1) < 2*matches
}

// searchByIndex returns the first n keys of a text search read in index
// order, and the total; ok is false when joining every match is the cheaper
// plan. sw is the filter without the text, extra the overlaid matches.
func (db *DB) searchByIndex(ctx context.Context, tx *sql.Tx, set *matchSet, sortBy streetdesk.SortOrder, n int,
	sw string, sargs []any, extra []sortKey) (keys []sortKey, total int, ok bool, err error) {
	segs := segments(sortBy)
	run := 1
	for run < len(segs) && segs[0].merge && segs[run].merge {
		run++
	}
	// While a first sync defers the shadow's indexes (bulkload.go) the
	// segments' INDEXED BY would fail. With other filters the count needs
	// the join anyway: walk only when tests ask.
	if n < 0 || db.ixDeferred.Load() || sw != "1" && searchWalk == 0 || !walkPays(set.n, n, int(set.maxQid), run) {
		return nil, 0, false, nil
	}
	const notOverlaid = " AND w.id NOT IN (SELECT order_id FROM overlay)"
	total = set.n
	if sw != "1" {
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM work_orders w WHERE "+sw+" AND "+setCond+notOverlaid,
			append(append([]any{}, sargs...), set.list())...).Scan(&total); err != nil {
			return nil, 0, false, fmt.Errorf("search count: %w", err)
		}
		total += len(extra)
	}
	keys, err = readRuns(segs, sortBy, n, func(sg segment, need int, run []sortKey) ([]sortKey, error) {
		q := "SELECT w.qid, w.id, w.deadline, w.urgency_rank, w.dispatched_at FROM work_orders w INDEXED BY " + sg.index +
			" WHERE " + sg.cond + " AND " + sw + notOverlaid + " ORDER BY " + sg.order
		return walkSegment(ctx, tx, q, append(append([]any{}, sg.args...), sargs...), set, need, run)
	})
	if err != nil {
		return nil, 0, false, err
	}
	return keys, total, true, nil
}

// walkSegment appends to dst the first need rows of q whose qid is in set.
func walkSegment(ctx context.Context, tx *sql.Tx, q string, args []any, set *matchSet, need int, dst []sortKey) ([]sortKey, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	for found := 0; found < need && rows.Next(); {
		var qid int64
		var k sortKey
		if err := rows.Scan(&qid, &k.id, &k.deadline, &k.urgency, &k.dispatched); err != nil {
			return nil, err
		}
		if set.has(qid) {
			dst = append(dst, k)
			found++
		}
	}
	return dst, rows.Err()
}
