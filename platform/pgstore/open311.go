package pgstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// l3Expr is the level-3 code inside an order's JSON, written exactly as the
// index orders_l3 (migration 3) has it, so that PostgreSQL uses the index.
const l3Expr = `((data::jsonb) -> 'category' ->> 'l3Code')`

func (r reader) Open311Orders(ctx context.Context, f store.Open311Filter) ([]streetdesk.WorkOrder, error) {
	where, args := []string{"TRUE"}, []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if len(f.IDs) > 0 {
		add("id = ANY($%d)", f.IDs)
	}
	if len(f.L3Codes) > 0 {
		add(l3Expr+" = ANY($%d)", f.L3Codes)
	}
	if len(f.Statuses) > 0 {
		statuses := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			statuses[i] = string(s)
		}
		add("status = ANY($%d)", statuses)
	}
	if !f.From.IsZero() {
		add("dispatched_at >= $%d", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		add("dispatched_at <= $%d", f.To.UnixMilli())
	}
	n := len(args)
	return queryJSON[streetdesk.WorkOrder](ctx, r.q,
		fmt.Sprintf(`SELECT data FROM orders WHERE %s ORDER BY dispatched_at DESC, id COLLATE "C" LIMIT $%d OFFSET $%d`,
			strings.Join(where, " AND "), n+1, n+2), append(args, f.Limit, f.Offset)...)
}
