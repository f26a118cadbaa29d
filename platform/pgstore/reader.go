package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// queryer is the pool or a transaction.
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// reader implements store.Reader on the pool or a transaction. Text is
// ordered byte-wise (COLLATE "C"), as SQLite orders it, whatever the
// database's collation.
type reader struct{ q queryer }

func notFound(what string) error { return streetdesk.Errorf(streetdesk.ENOTFOUND, "no such %s", what) }

func noRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// each calls scan for every row and closes the rows.
func each(rows pgx.Rows, err error, scan func(pgx.Rows) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func column[T any](rows pgx.Rows, err error) ([]T, error) {
	var out []T
	err = each(rows, err, func(r pgx.Rows) error {
		var v T
		if err := r.Scan(&v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

func queryJSON[T any](ctx context.Context, q queryer, sql string, args ...any) ([]T, error) {
	var out []T
	rows, err := q.Query(ctx, sql, args...)
	err = each(rows, err, func(r pgx.Rows) error {
		var v T
		if err := json.Unmarshal(r.RawValues()[0], &v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

func (r reader) User(ctx context.Context, idOrName string) (*streetdesk.User, []byte, error) {
	var u streetdesk.User
	var role string
	var hash []byte
	var tname, office, district *string
	err := r.q.QueryRow(ctx, `SELECT u.id, u.username, u.name, u.role, u.team_id, u.pw_hash, t.name, t.street_office, t.district
		FROM users u LEFT JOIN teams t ON t.id = u.team_id WHERE u.id = $1 OR u.username = $1 ORDER BY u.id = $1 DESC LIMIT 1`, idOrName).
		Scan(&u.ID, &u.Username, &u.Name, &role, &u.TeamID, &hash, &tname, &office, &district)
	if noRows(err) {
		return nil, nil, notFound("user")
	}
	if err != nil {
		return nil, nil, err
	}
	u.Role = streetdesk.Role(role)
	if tname != nil {
		u.TeamName, u.StreetOffice, u.District = *tname, *office, *district
	}
	return &u, hash, nil
}

func (r reader) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := r.q.QueryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

func (r reader) Team(ctx context.Context, id string) (*streetdesk.Team, error) {
	var tm streetdesk.Team
	var review int
	err := r.q.QueryRow(ctx, `SELECT id, name, street_office, district, review FROM teams WHERE id = $1`, id).
		Scan(&tm.ID, &tm.Name, &tm.StreetOffice, &tm.District, &review)
	if noRows(err) {
		return nil, streetdesk.Errorf(streetdesk.ENOTFOUND, "no such team %q", id)
	}
	if err != nil {
		return nil, err
	}
	tm.ReviewResolutions = review == 1
	return &tm, nil
}

func (r reader) TeamMembers(ctx context.Context, teamID string) ([]streetdesk.User, error) {
	out := []streetdesk.User{}
	rows, err := r.q.Query(ctx, `SELECT u.id, u.username, u.name, u.role, u.team_id, t.name, t.street_office, t.district
		FROM users u JOIN teams t ON t.id = u.team_id WHERE u.team_id = $1 ORDER BY u.role COLLATE "C" DESC, u.username COLLATE "C"`, teamID)
	err = each(rows, err, func(rows pgx.Rows) error {
		var u streetdesk.User
		var role string
		if err := rows.Scan(&u.ID, &u.Username, &u.Name, &role, &u.TeamID, &u.TeamName, &u.StreetOffice, &u.District); err != nil {
			return err
		}
		u.Role = streetdesk.Role(role)
		out = append(out, u)
		return nil
	})
	return out, err
}

func (r reader) Order(ctx context.Context, id string) (*streetdesk.WorkOrder, int64, error) {
	var data []byte
	var sv int64
	err := r.q.QueryRow(ctx, `SELECT data, status_version FROM orders WHERE id = $1`, id).Scan(&data, &sv)
	if noRows(err) {
		return nil, 0, notFound("order")
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load order %s: %w", id, err)
	}
	var o streetdesk.WorkOrder
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, 0, fmt.Errorf("decode order %s: %w", id, err)
	}
	return &o, sv, nil
}

func (r reader) Headers(ctx context.Context, ids []string) (map[string]store.Header, error) {
	out := make(map[string]store.Header, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := r.q.Query(ctx, `SELECT id, team_id, street_office, assignee_id, status, version, cycle, status_version FROM orders WHERE id = ANY($1)`, ids)
	err = each(rows, err, func(rows pgx.Rows) error {
		var id, status string
		var h store.Header
		if err := rows.Scan(&id, &h.TeamID, &h.StreetOffice, &h.AssigneeID, &status, &h.Version, &h.Cycle, &h.StatusVersion); err != nil {
			return err
		}
		h.Status = streetdesk.Status(status)
		out[id] = h
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load orders: %w", err)
	}
	return out, nil
}

func (r reader) ListOrders(ctx context.Context, f store.OrderFilter) (*streetdesk.OrderList, error) {
	where, args := []string{"TRUE"}, []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Status != "" {
		add("status = $%d", string(f.Status))
	}
	if f.StreetOffice != "" {
		add("street_office = $%d", f.StreetOffice)
	}
	if f.TeamID != "" {
		add("team_id = $%d", f.TeamID)
	}
	cond := strings.Join(where, " AND ")
	var list streetdesk.OrderList
	if err := r.q.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE `+cond, args...).Scan(&list.Total); err != nil {
		return nil, err
	}
	n := len(args)
	var err error
	list.Orders, err = queryJSON[streetdesk.WorkOrder](ctx, r.q,
		fmt.Sprintf(`SELECT data FROM orders WHERE %s ORDER BY dispatched_at DESC, id COLLATE "C" LIMIT $%d OFFSET $%d`, cond, n+1, n+2),
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, err
	}
	if list.Orders == nil {
		list.Orders = []streetdesk.WorkOrder{}
	}
	return &list, nil
}

func (r reader) TeamOrders(ctx context.Context, teamID string) ([]streetdesk.WorkOrder, error) {
	return queryJSON[streetdesk.WorkOrder](ctx, r.q, `SELECT data FROM orders WHERE team_id = $1`, teamID)
}

func (r reader) Versions(ctx context.Context, s store.Scope) ([]streetdesk.VersionPair, error) {
	var rows pgx.Rows
	var err error
	if s.TeamID != "" {
		rows, err = r.q.Query(ctx, `SELECT id, version FROM orders WHERE team_id = $1`, s.TeamID)
	} else {
		rows, err = r.q.Query(ctx, `SELECT id, version FROM orders WHERE assignee_id = $1 AND status NOT IN ('cancelled','returned')`, s.AssigneeID)
	}
	return scanVersions(rows, err)
}

func (r reader) Assigned(ctx context.Context, orderID, userID string) (bool, error) {
	var ok bool
	err := r.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM assignments WHERE order_id = $1 AND user_id = $2)`, orderID, userID).Scan(&ok)
	return ok, err
}

func (r reader) Notes(ctx context.Context, orderID string) ([]streetdesk.Note, error) {
	return queryJSON[streetdesk.Note](ctx, r.q, `SELECT data FROM notes WHERE order_id = $1 ORDER BY n`, orderID)
}

func (r reader) PhotoRefs(ctx context.Context, orderID string) ([]streetdesk.PhotoRef, error) {
	return queryJSON[streetdesk.PhotoRef](ctx, r.q, `SELECT data FROM photo_refs WHERE order_id = $1 ORDER BY n`, orderID)
}

func (r reader) Resolutions(ctx context.Context, orderID string) ([]streetdesk.Resolution, error) {
	return queryJSON[streetdesk.Resolution](ctx, r.q, `SELECT data FROM resolutions WHERE order_id = $1 ORDER BY n`, orderID)
}

func (r reader) orderOf(ctx context.Context, sql, id, what string) (string, error) {
	var order string
	err := r.q.QueryRow(ctx, sql, id).Scan(&order)
	if noRows(err) {
		return "", notFound(what)
	}
	return order, err
}

func (r reader) NoteOrder(ctx context.Context, id string) (string, error) {
	return r.orderOf(ctx, `SELECT order_id FROM notes WHERE id = $1`, id, "note")
}

func (r reader) PhotoRefOrder(ctx context.Context, id string) (string, error) {
	return r.orderOf(ctx, `SELECT order_id FROM photo_refs WHERE id = $1`, id, "photo")
}

func (r reader) PhotoRefsOf(ctx context.Context, sha string) ([]streetdesk.PhotoRef, error) {
	return queryJSON[streetdesk.PhotoRef](ctx, r.q, `SELECT data FROM photo_refs WHERE sha256 = $1 ORDER BY n`, sha)
}

func (r reader) PhotosPresent(ctx context.Context, orderID string, refIDs []string) (bool, error) {
	for _, id := range refIDs {
		var present bool
		err := r.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM photo_refs p JOIN blobs b ON b.sha256 = p.sha256 WHERE p.id = $1 AND p.order_id = $2)`, id, orderID).Scan(&present)
		if err != nil || !present {
			return false, err
		}
	}
	return true, nil
}

func (r reader) ResolutionExists(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := r.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM resolutions WHERE id = $1)`, id).Scan(&ok)
	return ok, err
}

func (r reader) Blob(ctx context.Context, sha string) (store.Blob, error) {
	var b store.Blob
	err := r.q.QueryRow(ctx, `SELECT size, mime FROM blobs WHERE sha256 = $1`, sha).Scan(&b.Size, &b.MIME)
	if noRows(err) {
		return b, notFound("blob")
	}
	return b, err
}

func (r reader) BlobReadable(ctx context.Context, sha, userID string, s store.Scope) (bool, error) {
	scope, arg := `o.assignee_id = $2 AND o.status NOT IN ('cancelled','returned')`, s.AssigneeID
	if s.TeamID != "" {
		scope, arg = `o.team_id = $2`, s.TeamID
	}
	var ok bool
	err := r.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM blob_access WHERE sha256 = $1 AND user_id = $3)
		OR EXISTS (SELECT 1 FROM photo_refs p JOIN orders o ON o.id = p.order_id WHERE p.sha256 = $1 AND `+scope+`)`, sha, arg, userID).Scan(&ok)
	return ok, err
}

func (r reader) BlobSHA256s(ctx context.Context) ([]string, error) {
	return column[string](r.q.Query(ctx, `SELECT sha256 FROM blobs ORDER BY sha256 COLLATE "C"`))
}

func (r reader) Client(ctx context.Context, id string) (store.Client, error) {
	c := store.Client{ID: id}
	var forgotten int
	err := r.q.QueryRow(ctx, `SELECT user_id, last_mutation_id, forgotten FROM clients WHERE id = $1`, id).Scan(&c.UserID, &c.LastMutationID, &forgotten)
	if noRows(err) {
		return c, notFound("client")
	}
	c.Forgotten = forgotten == 1
	return c, err
}

func scanResult(row pgx.Row, sr *store.StoredResult, withKey bool) error {
	var effect int
	var err error
	if withKey {
		err = row.Scan(&sr.Key, &sr.Fingerprint, &sr.Result, &effect)
	} else {
		err = row.Scan(&sr.Fingerprint, &sr.Result, &effect)
	}
	sr.Effect = effect == 1
	return err
}

func (r reader) Result(ctx context.Context, clientID string, id int64) (store.StoredResult, error) {
	var sr store.StoredResult
	err := scanResult(r.q.QueryRow(ctx, `SELECT key, fingerprint, result, effect FROM mutation_results WHERE client_id = $1 AND id = $2`, clientID, id), &sr, true)
	if noRows(err) {
		return sr, notFound("result")
	}
	return sr, err
}

func (r reader) ResultsByKey(ctx context.Context, keys []string) ([]store.StoredResult, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var out []store.StoredResult
	rows, err := r.q.Query(ctx, `SELECT key, fingerprint, result, effect FROM mutation_results WHERE key = ANY($1)`, keys)
	err = each(rows, err, func(rows pgx.Rows) error {
		var sr store.StoredResult
		if err := scanResult(rows, &sr, true); err != nil {
			return err
		}
		out = append(out, sr)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up keys: %w", err)
	}
	return out, nil
}

func (r reader) ResultByKey(ctx context.Context, key string) (store.StoredResult, error) {
	sr := store.StoredResult{Key: key}
	err := scanResult(r.q.QueryRow(ctx, `SELECT fingerprint, result, effect FROM mutation_results WHERE key = $1 ORDER BY effect DESC, at LIMIT 1`, key), &sr, false)
	if noRows(err) {
		return sr, notFound("result")
	}
	return sr, err
}

func (r reader) EffectCounts(ctx context.Context, keys []string) (map[string]int, error) {
	out := make(map[string]int, len(keys))
	const batch = 1000
	for len(keys) > 0 {
		n := min(batch, len(keys))
		for _, k := range keys[:n] {
			out[k] = 0
		}
		rows, err := r.q.Query(ctx, `SELECT key, COUNT(*) FROM mutation_results WHERE effect = 1 AND key = ANY($1) GROUP BY key`, keys[:n])
		err = each(rows, err, func(rows pgx.Rows) error {
			var k string
			var c int
			if err := rows.Scan(&k, &c); err != nil {
				return err
			}
			out[k] = c
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("effect counts: %w", err)
		}
		keys = keys[n:]
	}
	return out, nil
}

func (r reader) MaxSeq(ctx context.Context) (int64, error) {
	var n int64
	err := r.q.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM change_log`).Scan(&n)
	return n, err
}

func (r reader) ScopeSeqs(ctx context.Context, s store.Scope, userID string) (int64, int64, error) {
	var a, b int64
	scope, arg := `assignee_id = $1`, s.AssigneeID
	if s.TeamID != "" {
		scope, arg = `team_id = $1`, s.TeamID
	}
	err := r.q.QueryRow(ctx, `SELECT (SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE `+scope+`),
		(SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE user_id = $2)`, arg, userID).Scan(&a, &b)
	return a, b, err
}

// changesFrom merges three index ranges (the scope's changes, the user's
// revocations, the client's results), each cut at the limit, and reads the
// entities' JSON only for the rows kept.
const changesFrom = `SELECT c.seq, c.type, c.entity_id, c.order_id, c.extra, c.version,
		CASE c.type
		  WHEN 'workOrder' THEN (SELECT data FROM orders WHERE id = c.entity_id)
		  WHEN 'note' THEN (SELECT data FROM notes WHERE id = c.entity_id)
		  WHEN 'photoRef' THEN (SELECT data FROM photo_refs WHERE id = c.entity_id)
		  WHEN 'resolution' THEN (SELECT data FROM resolutions WHERE id = c.entity_id)
		  ELSE '' END
	FROM (
	  (SELECT * FROM change_log WHERE %s = $1 AND seq > $4 ORDER BY seq LIMIT $5)
	  UNION ALL (SELECT * FROM change_log WHERE user_id = $2 AND seq > $4 AND seq > $6 ORDER BY seq LIMIT $5)
	  UNION ALL (SELECT * FROM change_log WHERE client_id = $3 AND seq > $4 ORDER BY seq LIMIT $5)
	  ORDER BY seq LIMIT $5) c
	ORDER BY c.seq`

var (
	changesByAssignee = fmt.Sprintf(changesFrom, "assignee_id")
	changesByTeam     = fmt.Sprintf(changesFrom, "team_id")
)

// Changes hands fn the extra and data columns as the server sent them (text
// is the same bytes in either wire format), valid until the next row.
func (r reader) Changes(ctx context.Context, q store.ChangeQuery, fn func(*store.Change) error) error {
	query, scopeArg := changesByAssignee, q.Scope.AssigneeID
	if q.Scope.TeamID != "" {
		query, scopeArg = changesByTeam, q.Scope.TeamID
	}
	clientKey := q.ClientID
	if clientKey == "" {
		clientKey = "\x01none" // matches no client (ids are UUIDs)
	}
	rows, err := r.q.Query(ctx, query, scopeArg, q.UserID, clientKey, q.After, q.Limit, q.RevokedAfter)
	if err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	defer rows.Close()
	var c store.Change
	for rows.Next() {
		if err := rows.Scan(&c.Seq, &c.Type, &c.EntityID, &c.OrderID, nil, &c.Version, nil); err != nil {
			return err
		}
		raw := rows.RawValues()
		c.Extra, c.Data = raw[4], raw[6]
		if err := fn(&c); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (r reader) OrderEntities(ctx context.Context, orderID string) ([]store.Entity, error) {
	var out []store.Entity
	rows, err := r.q.Query(ctx, `SELECT type, entity_id FROM change_log WHERE order_id = $1 AND type IN ('note','photoRef','resolution') ORDER BY seq`, orderID)
	err = each(rows, err, func(rows pgx.Rows) error {
		var e store.Entity
		if err := rows.Scan(&e.Type, &e.ID); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	return out, err
}
