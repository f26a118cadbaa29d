package pgstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// l3Expr is the level-3 code inside an order's JSON, written exactly as the
// index orders_l3 (migration 3) has it, so that PostgreSQL uses the index.
const l3Expr = `((data::jsonb) -> 'category' ->> 'l3Code')`

func (r reader) Open311Orders(ctx context.Context, f store.Open311Filter) ([]streetdesk.WorkOrder, error) {
	// Event orders are the platform's own, not citizens' requests.
	where, args := []string{"COALESCE((data::jsonb) ->> 'kind', '') <> 'event'"}, []any{}
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

func (r reader) Open311Key(ctx context.Context, hash string) (store.Open311Key, error) {
	k := store.Open311Key{Hash: hash}
	var channel string
	var created int64
	err := r.q.QueryRow(ctx, `SELECT channel, name, created_at FROM open311_keys WHERE hash = $1`, hash).Scan(&channel, &k.Name, &created)
	if noRows(err) {
		return k, notFound("api_key")
	}
	k.Channel, k.Created = streetdesk.Channel(channel), time.UnixMilli(created).UTC()
	return k, err
}

func (r reader) Open311Keys(ctx context.Context) ([]store.Open311Key, error) {
	rows, err := r.q.Query(ctx, `SELECT hash, channel, name, created_at FROM open311_keys ORDER BY created_at, hash COLLATE "C"`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []store.Open311Key
	for rows.Next() {
		var k store.Open311Key
		var channel string
		var created int64
		if err := rows.Scan(&k.Hash, &channel, &k.Name, &created); err != nil {
			return nil, err
		}
		k.Channel, k.Created = streetdesk.Channel(channel), time.UnixMilli(created).UTC()
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

func (r reader) Intake(ctx context.Context, token string) (streetdesk.Open311Intake, error) {
	ins, err := queryJSON[streetdesk.Open311Intake](ctx, r.q, `SELECT data FROM open311_intake WHERE token = $1`, token)
	if err != nil {
		return streetdesk.Open311Intake{}, err
	}
	if len(ins) == 0 {
		return streetdesk.Open311Intake{}, notFound("token")
	}
	return ins[0], nil
}

func (r reader) IntakeQueue(ctx context.Context, limit int) ([]streetdesk.Open311Intake, error) {
	return queryJSON[streetdesk.Open311Intake](ctx, r.q,
		`SELECT data FROM open311_intake WHERE order_id = '' ORDER BY received_at, token COLLATE "C" LIMIT $1`, limit)
}

func (t *writeTx) InsertOpen311Key(ctx context.Context, k store.Open311Key) error {
	_, err := t.q.Exec(ctx, `INSERT INTO open311_keys (hash, channel, name, created_at) VALUES ($1,$2,$3,$4)`,
		k.Hash, string(k.Channel), k.Name, k.Created.UnixMilli())
	if isUnique(err) {
		return streetdesk.Errorf(streetdesk.ECONFLICT, "api_key already stored")
	}
	return err
}

func (t *writeTx) DeleteOpen311Key(ctx context.Context, hash string) error {
	tag, err := t.q.Exec(ctx, `DELETE FROM open311_keys WHERE hash = $1`, hash)
	if err != nil {
		return fmt.Errorf("revoke api_key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("api_key")
	}
	return nil
}

func (t *writeTx) InsertIntake(ctx context.Context, in streetdesk.Open311Intake) error {
	data, err := jsonOf(&in)
	if err != nil {
		return err
	}
	_, err = t.q.Exec(ctx, `INSERT INTO open311_intake (token, order_id, received_at, data) VALUES ($1,$2,$3,$4)`,
		in.Token, in.OrderID, in.ReceivedAt.UnixMilli(), data)
	if isUnique(err) {
		return streetdesk.Errorf(streetdesk.ECONFLICT, "token already taken")
	}
	return err
}

func (t *writeTx) LinkIntake(ctx context.Context, token, orderID string) error {
	in, err := t.Intake(ctx, token)
	if err != nil {
		return err
	}
	if in.OrderID != "" {
		return streetdesk.Errorf(streetdesk.ECONFLICT, "intake request already dispatched as %s", in.OrderID)
	}
	in.OrderID = orderID
	data, err := jsonOf(&in)
	if err != nil {
		return err
	}
	_, err = t.q.Exec(ctx, `UPDATE open311_intake SET order_id = $1, data = $2 WHERE token = $3`, orderID, data, token)
	return err
}
