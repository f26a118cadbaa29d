package sqlitestore

import (
	"context"
	"strings"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// l3Expr is the level-3 code inside an order's JSON, written exactly as the
// index orders_l3 (migration 4) has it, so that SQLite uses the index.
const l3Expr = `json_extract(data, '$.category.l3Code')`

func (r reader) Open311Orders(ctx context.Context, f store.Open311Filter) ([]streetdesk.WorkOrder, error) {
	where, args := []string{"1=1"}, []any{}
	in := func(col string, vs []string) {
		if len(vs) == 0 {
			return
		}
		where = append(where, col+" IN (?"+strings.Repeat(",?", len(vs)-1)+")")
		for _, v := range vs {
			args = append(args, v)
		}
	}
	in("id", f.IDs)
	in(l3Expr, f.L3Codes)
	statuses := make([]string, len(f.Statuses))
	for i, s := range f.Statuses {
		statuses[i] = string(s)
	}
	in("status", statuses)
	if !f.From.IsZero() {
		where, args = append(where, "dispatched_at >= ?"), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		where, args = append(where, "dispatched_at <= ?"), append(args, f.To.UnixMilli())
	}
	orders, err := queryJSON[streetdesk.WorkOrder](ctx, r.q,
		`SELECT data FROM orders WHERE `+strings.Join(where, " AND ")+` ORDER BY dispatched_at DESC, id LIMIT ? OFFSET ?`,
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, err
	}
	return orders, nil
}
