package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/sqlrows"
	"github.com/streetdesk/streetdesk/platform/store"
)

// queryer is a pool or a transaction.
type queryer interface {
	queryRow(ctx context.Context, q string, args ...any) row
	query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// reader implements store.Reader on a pool or a transaction.
type reader struct{ q queryer }

func notFound(what string) error { return streetdesk.Errorf(streetdesk.ENOTFOUND, "no such %s", what) }

func (r reader) User(ctx context.Context, idOrName string) (*streetdesk.User, []byte, error) {
	var u streetdesk.User
	var role string
	var hash []byte
	var tname, office, district sql.NullString
	err := r.q.queryRow(ctx, `SELECT u.id, u.username, u.name, u.role, u.team_id, u.pw_hash, t.name, t.street_office, t.district
		FROM users u LEFT JOIN teams t ON t.id = u.team_id WHERE u.id = ?1 OR u.username = ?1 ORDER BY u.id = ?1 DESC LIMIT 1`, idOrName).
		Scan(&u.ID, &u.Username, &u.Name, &role, &u.TeamID, &hash, &tname, &office, &district)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, notFound("user")
	}
	if err != nil {
		return nil, nil, err
	}
	u.Role = streetdesk.Role(role)
	u.TeamName, u.StreetOffice, u.District = tname.String, office.String, district.String
	return &u, hash, nil
}

func (r reader) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := r.q.queryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

func (r reader) Team(ctx context.Context, id string) (*streetdesk.Team, error) {
	var tm streetdesk.Team
	var review int
	err := r.q.queryRow(ctx, `SELECT id, name, street_office, district, review FROM teams WHERE id = ?`, id).
		Scan(&tm.ID, &tm.Name, &tm.StreetOffice, &tm.District, &review)
	if errors.Is(err, sql.ErrNoRows) {
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
	rows, err := r.q.query(ctx, `SELECT u.id, u.username, u.name, u.role, u.team_id, t.name, t.street_office, t.district
		FROM users u JOIN teams t ON t.id = u.team_id WHERE u.team_id = ? ORDER BY u.role DESC, u.username`, teamID)
	err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
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
	err := r.q.queryRow(ctx, `SELECT data, status_version FROM orders WHERE id = ?`, id).Scan(&data, &sv)
	if errors.Is(err, sql.ErrNoRows) {
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
	rows, err := r.q.query(ctx, `SELECT id, team_id, street_office, assignee_id, status, version, cycle, status_version FROM orders WHERE id IN (?`+
		strings.Repeat(",?", len(ids)-1)+`)`, anys(ids)...)
	err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
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

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (r reader) ListOrders(ctx context.Context, f store.OrderFilter) (*streetdesk.OrderList, error) {
	where, args := []string{"1=1"}, []any{}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.StreetOffice != "" {
		where, args = append(where, "street_office = ?"), append(args, f.StreetOffice)
	}
	if f.TeamID != "" {
		where, args = append(where, "team_id = ?"), append(args, f.TeamID)
	}
	cond := strings.Join(where, " AND ")
	var list streetdesk.OrderList
	if err := r.q.queryRow(ctx, `SELECT COUNT(*) FROM orders WHERE `+cond, args...).Scan(&list.Total); err != nil {
		return nil, err
	}
	var err error
	list.Orders, err = queryJSON[streetdesk.WorkOrder](ctx, r.q,
		`SELECT data FROM orders WHERE `+cond+` ORDER BY dispatched_at DESC, id LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, err
	}
	if list.Orders == nil {
		list.Orders = []streetdesk.WorkOrder{}
	}
	return &list, nil
}

func (r reader) TeamOrders(ctx context.Context, teamID string) ([]streetdesk.WorkOrder, error) {
	return queryJSON[streetdesk.WorkOrder](ctx, r.q, `SELECT data FROM orders WHERE team_id = ?`, teamID)
}

func (r reader) Versions(ctx context.Context, s store.Scope) ([]streetdesk.VersionPair, error) {
	var rows *sql.Rows
	var err error
	if s.TeamID != "" {
		rows, err = r.q.query(ctx, `SELECT id, version FROM orders WHERE team_id = ?`, s.TeamID)
	} else {
		rows, err = r.q.query(ctx, `SELECT id, version FROM orders WHERE assignee_id = ? AND status NOT IN ('cancelled','returned')`, s.AssigneeID)
	}
	var pairs []streetdesk.VersionPair
	err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
		var p streetdesk.VersionPair
		if err := rows.Scan(&p.ID, &p.Version); err != nil {
			return err
		}
		pairs = append(pairs, p)
		return nil
	})
	return pairs, err
}

func (r reader) Assigned(ctx context.Context, orderID, userID string) (bool, error) {
	var n int
	err := r.q.queryRow(ctx, `SELECT COUNT(*) FROM assignments WHERE order_id = ? AND user_id = ?`, orderID, userID).Scan(&n)
	return n > 0, err
}

func (r reader) Notes(ctx context.Context, orderID string) ([]streetdesk.Note, error) {
	return queryJSON[streetdesk.Note](ctx, r.q, `SELECT data FROM notes WHERE order_id = ? ORDER BY rowid`, orderID)
}

func (r reader) PhotoRefs(ctx context.Context, orderID string) ([]streetdesk.PhotoRef, error) {
	return queryJSON[streetdesk.PhotoRef](ctx, r.q, `SELECT data FROM photo_refs WHERE order_id = ? ORDER BY rowid`, orderID)
}

func (r reader) Resolutions(ctx context.Context, orderID string) ([]streetdesk.Resolution, error) {
	return queryJSON[streetdesk.Resolution](ctx, r.q, `SELECT data FROM resolutions WHERE order_id = ? ORDER BY rowid`, orderID)
}

func (r reader) orderOf(ctx context.Context, q, id, what string) (string, error) {
	var order string
	err := r.q.queryRow(ctx, q, id).Scan(&order)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound(what)
	}
	return order, err
}

func (r reader) NoteOrder(ctx context.Context, id string) (string, error) {
	return r.orderOf(ctx, `SELECT order_id FROM notes WHERE id = ?`, id, "note")
}

func (r reader) PhotoRefOrder(ctx context.Context, id string) (string, error) {
	return r.orderOf(ctx, `SELECT order_id FROM photo_refs WHERE id = ?`, id, "photo")
}

func (r reader) PhotoRefsOf(ctx context.Context, sha string) ([]streetdesk.PhotoRef, error) {
	return queryJSON[streetdesk.PhotoRef](ctx, r.q, `SELECT data FROM photo_refs WHERE sha256 = ? ORDER BY rowid`, sha)
}

func (r reader) PhotosPresent(ctx context.Context, orderID string, refIDs []string) (bool, error) {
	for _, id := range refIDs {
		var present int
		err := r.q.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM photo_refs p JOIN blobs b ON b.sha256 = p.sha256 WHERE p.id = ? AND p.order_id = ?)`, id, orderID).Scan(&present)
		if err != nil {
			return false, err
		}
		if present == 0 {
			return false, nil
		}
	}
	return true, nil
}

func (r reader) ResolutionExists(ctx context.Context, id string) (bool, error) {
	var n int
	err := r.q.queryRow(ctx, `SELECT COUNT(*) FROM resolutions WHERE id = ?`, id).Scan(&n)
	return n > 0, err
}

func (r reader) Blob(ctx context.Context, sha string) (store.Blob, error) {
	var b store.Blob
	err := r.q.queryRow(ctx, `SELECT size, mime FROM blobs WHERE sha256 = ?`, sha).Scan(&b.Size, &b.MIME)
	if errors.Is(err, sql.ErrNoRows) {
		return b, notFound("blob")
	}
	return b, err
}

func (r reader) BlobReadable(ctx context.Context, sha, userID string, s store.Scope) (bool, error) {
	scope, arg := `o.assignee_id = ?2 AND o.status NOT IN ('cancelled','returned')`, s.AssigneeID
	if s.TeamID != "" {
		scope, arg = `o.team_id = ?2`, s.TeamID
	}
	var n int
	err := r.q.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM blob_access WHERE sha256 = ?1 AND user_id = ?3)
		OR EXISTS (SELECT 1 FROM photo_refs p JOIN orders o ON o.id = p.order_id WHERE p.sha256 = ?1 AND `+scope+`)`, sha, arg, userID).Scan(&n)
	return n == 1, err
}

func (r reader) BlobSHA256s(ctx context.Context) ([]string, error) {
	return sqlrows.Column[string](r.q.query(ctx, `SELECT sha256 FROM blobs ORDER BY sha256`))
}

func (r reader) Client(ctx context.Context, id string) (store.Client, error) {
	c := store.Client{ID: id}
	var forgotten int
	err := r.q.queryRow(ctx, `SELECT user_id, last_mutation_id, forgotten FROM clients WHERE id = ?`, id).Scan(&c.UserID, &c.LastMutationID, &forgotten)
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("client")
	}
	c.Forgotten = forgotten == 1
	return c, err
}

func (r reader) Result(ctx context.Context, clientID string, id int64) (store.StoredResult, error) {
	var sr store.StoredResult
	err := r.q.queryRow(ctx, `SELECT key, fingerprint, result, effect FROM mutation_results WHERE client_id = ? AND id = ?`, clientID, id).
		Scan(&sr.Key, &sr.Fingerprint, &sr.Result, &sr.Effect)
	if errors.Is(err, sql.ErrNoRows) {
		return sr, notFound("result")
	}
	return sr, err
}

func (r reader) ResultsByKey(ctx context.Context, keys []string) ([]store.StoredResult, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var out []store.StoredResult
	rows, err := r.q.query(ctx, `SELECT key, fingerprint, result, effect FROM mutation_results WHERE key IN (?`+strings.Repeat(",?", len(keys)-1)+`)`, anys(keys)...)
	err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
		var sr store.StoredResult
		if err := rows.Scan(&sr.Key, &sr.Fingerprint, &sr.Result, &sr.Effect); err != nil {
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
	err := r.q.queryRow(ctx, `SELECT fingerprint, result, effect FROM mutation_results WHERE key = ? ORDER BY effect DESC, at LIMIT 1`, key).
		Scan(&sr.Fingerprint, &sr.Result, &sr.Effect)
	if errors.Is(err, sql.ErrNoRows) {
		return sr, notFound("result")
	}
	return sr, err
}

func (r reader) EffectCounts(ctx context.Context, keys []string) (map[string]int, error) {
	out := make(map[string]int, len(keys))
	const batch = 500
	for len(keys) > 0 {
		n := min(batch, len(keys))
		for _, k := range keys[:n] {
			out[k] = 0
		}
		rows, err := r.q.query(ctx, `SELECT key, COUNT(*) FROM mutation_results WHERE effect = 1 AND key IN (?`+
			strings.Repeat(",?", n-1)+`) GROUP BY key`, anys(keys[:n])...)
		err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
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
	// The counter: results hold numbers of the sequence too (migration 12).
	err := r.q.queryRow(ctx, `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'change_log'), 0)`).Scan(&n)
	return n, err
}

func (r reader) ScopeSeqs(ctx context.Context, s store.Scope, userID string) (int64, int64, error) {
	var a, b int64
	// The "<> ''" lets SQLite use the partial indexes (migration 10).
	scope, arg := `assignee_id = ? AND assignee_id <> ''`, s.AssigneeID
	if s.TeamID != "" {
		scope, arg = `team_id = ? AND team_id <> ''`, s.TeamID
	}
	if err := r.q.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE `+scope, arg).Scan(&a); err != nil {
		return 0, 0, err
	}
	if err := r.q.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE user_id = ? AND user_id <> ''`, userID).Scan(&b); err != nil {
		return 0, 0, err
	}
	return a, b, nil
}

// changeCols reads a change with its entity's JSON.
const changeCols = `SELECT c.seq, c.type, c.entity_id, c.order_id, c.extra, c.version,
		CASE c.type
		  WHEN 'workOrder' THEN (SELECT data FROM orders WHERE id = c.entity_id)
		  WHEN 'note' THEN (SELECT data FROM notes WHERE id = c.entity_id)
		  WHEN 'photoRef' THEN (SELECT data FROM photo_refs WHERE id = c.entity_id)
		  WHEN 'resolution' THEN (SELECT data FROM resolutions WHERE id = c.entity_id)
		  ELSE '' END
		FROM change_log c `

// resultCols reads a client's stored result as a change (migration 12).
const resultCols = `SELECT r.seq, 'mutationResult', r.client_id || '/' || r.id, r.order_id, r.result, 0, ''
		FROM mutation_results r `

// Changes reads three index ranges (the scope's changes, the user's
// revocations, the client's results), merged in sequence order: SQLite
// walks them in step and stops at the limit.
func (r reader) Changes(ctx context.Context, q store.ChangeQuery, fn func(*store.Change) error) error {
	// The "<> ''" lets SQLite use the partial indexes (migration 10).
	scope, scopeArg := `c.assignee_id = ?1 AND c.assignee_id <> ''`, q.Scope.AssigneeID
	if q.Scope.TeamID != "" {
		scope, scopeArg = `c.team_id = ?1 AND c.team_id <> ''`, q.Scope.TeamID
	}
	clientKey := q.ClientID
	if clientKey == "" {
		clientKey = "\x00none"
	}
	query := changeCols + `WHERE ` + scope + ` AND c.seq > ?4
		UNION ALL ` + changeCols + `WHERE c.user_id = ?2 AND c.user_id <> '' AND c.seq > ?4 AND c.seq > ?6
		UNION ALL ` + resultCols + `WHERE r.client_id = ?3 AND r.seq > ?4
		ORDER BY 1 LIMIT ?5`
	rows, err := r.q.query(ctx, query, scopeArg, q.UserID, clientKey, q.After, q.Limit, q.RevokedAfter)
	if err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	var c store.Change
	var extra, data sql.RawBytes // valid until the next row
	for rows.Next() {
		if err := rows.Scan(&c.Seq, &c.Type, &c.EntityID, &c.OrderID, &extra, &c.Version, &data); err != nil {
			rows.Close()
			return err
		}
		c.Extra, c.Data = extra, data
		if err := fn(&c); err != nil {
			rows.Close()
			return err
		}
	}
	return errors.Join(rows.Err(), rows.Close())
}

func (r reader) OrderEntities(ctx context.Context, orderID string) ([]store.Entity, error) {
	var out []store.Entity
	rows, err := r.q.query(ctx, `SELECT type, entity_id FROM change_log WHERE order_id = ? AND type IN ('note','photoRef','resolution') ORDER BY seq`, orderID)
	err = sqlrows.Each(rows, err, func(rows *sql.Rows) error {
		var e store.Entity
		if err := rows.Scan(&e.Type, &e.ID); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

func queryJSON[T any](ctx context.Context, q queryer, query string, args ...any) ([]T, error) {
	raw, err := sqlrows.Column[[]byte](q.query(ctx, query, args...))
	if err != nil {
		return nil, err
	}
	out := make([]T, len(raw))
	for i, data := range raw {
		if err := json.Unmarshal(data, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
