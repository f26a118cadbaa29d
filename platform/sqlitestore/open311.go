package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// l3Expr is the level-3 code inside an order's JSON, written exactly as the
// index orders_l3 (migration 4) has it, so that SQLite uses the index.
const l3Expr = `json_extract(data, '$.category.l3Code')`

func (r reader) Open311Orders(ctx context.Context, f store.Open311Filter) ([]streetdesk.WorkOrder, error) {
	// Event orders are the platform's own, not citizens' requests.
	where, args := []string{"COALESCE(json_extract(data, '$.kind'), '') <> 'event'"}, []any{}
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

func (r reader) Open311Key(ctx context.Context, hash string) (store.Open311Key, error) {
	k := store.Open311Key{Hash: hash}
	var channel string
	var created int64
	err := r.q.queryRow(ctx, `SELECT channel, name, created_at FROM open311_keys WHERE hash = ?`, hash).Scan(&channel, &k.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return k, notFound("api_key")
	}
	k.Channel, k.Created = streetdesk.Channel(channel), time.UnixMilli(created).UTC()
	return k, err
}

func (r reader) Open311Keys(ctx context.Context) ([]store.Open311Key, error) {
	rows, err := r.q.query(ctx, `SELECT hash, channel, name, created_at FROM open311_keys ORDER BY created_at, hash`)
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
	ins, err := queryJSON[streetdesk.Open311Intake](ctx, r.q, `SELECT data FROM open311_intake WHERE token = ?`, token)
	if err != nil {
		return streetdesk.Open311Intake{}, err
	}
	if len(ins) == 0 {
		return streetdesk.Open311Intake{}, notFound("token")
	}
	return ins[0], nil
}

func (r reader) IntakeQueue(ctx context.Context, limit int) ([]streetdesk.Open311Intake, error) {
	return queryJSON[streetdesk.Open311Intake](ctx, r.q, `SELECT data FROM open311_intake WHERE order_id = '' ORDER BY received_at, token LIMIT ?`, limit)
}

func (t *writeTx) InsertOpen311Key(ctx context.Context, k store.Open311Key) error {
	_, err := t.t.exec(ctx, `INSERT INTO open311_keys (hash, channel, name, created_at) VALUES (?,?,?,?)`,
		k.Hash, string(k.Channel), k.Name, k.Created.UnixMilli())
	if isUnique(err) {
		return streetdesk.Errorf(streetdesk.ECONFLICT, "api_key already stored")
	}
	return err
}

func (t *writeTx) DeleteOpen311Key(ctx context.Context, hash string) error {
	res, err := t.t.exec(ctx, `DELETE FROM open311_keys WHERE hash = ?`, hash)
	if err != nil {
		return fmt.Errorf("revoke api_key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(err, notFound("api_key"))
	}
	return nil
}

func (t *writeTx) InsertIntake(ctx context.Context, in streetdesk.Open311Intake) error {
	data, err := jsonOf(&in)
	if err != nil {
		return err
	}
	_, err = t.t.exec(ctx, `INSERT INTO open311_intake (token, order_id, received_at, data) VALUES (?,?,?,?)`,
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
	_, err = t.t.exec(ctx, `UPDATE open311_intake SET order_id = ?, data = ? WHERE token = ?`, orderID, data, token)
	return err
}
