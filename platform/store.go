package platform

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/sqlrows"
	sqlite "modernc.org/sqlite" // the embedded default database
	sqlite3 "modernc.org/sqlite/lib"
)

func openDB(path string, writer bool) (*pool, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "temp_store(MEMORY)") // savepoint sub-journals stay in memory
	// A page cache that holds a district's working set: without it every
	// page read is a system call.
	if writer {
		q.Add("_pragma", "cache_size(-65536)")
	} else {
		q.Add("_pragma", "cache_size(-32768)")
	}
	if writer {
		q.Set("_txlock", "immediate")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	n := 4
	if writer {
		n = 1 // one writer; SQLite serializes writes anyway
	}
	// Connections stay open: each holds its page cache and its prepared
	// statements (database/sql would close all but two idle ones).
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	return &pool{DB: db, stmts: map[string]*sql.Stmt{}}, nil
}

// pool is a database/sql pool whose statements are prepared once per
// connection and kept: parsing the same SQL again for every request was
// half of the platform's CPU under load. Queries outside a transaction use
// the cache directly; a transaction (tx) uses it through Tx.StmtContext,
// and asks for what it lacks to be prepared after it ends (its connection is
// busy until then; on the single writer, preparing inside would deadlock).
type pool struct {
	*sql.DB
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	wanted map[string]bool
}

// maxStmts bounds the cache; statements past it run unprepared. Only
// queries built with a variable number of arguments (IN lists, multi-row
// INSERTs of up to a push's 100 mutations) make many distinct texts.
const maxStmts = 1024

// stmt returns q prepared on the pool, preparing it if needed (the caller
// must not hold one of the pool's connections), or nil past maxStmts.
func (p *pool) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	p.mu.Lock()
	st, ok := p.stmts[q]
	full := len(p.stmts) >= maxStmts
	p.mu.Unlock()
	if ok || full {
		return st, nil
	}
	st, err := p.DB.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev, dup := p.stmts[q]; dup {
		st.Close()
		return prev, nil
	}
	p.stmts[q] = st
	return st, nil
}

// cached returns q if it is prepared; otherwise nil, and q is prepared at
// the next prepareWanted.
func (p *pool) cached(q string) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.stmts[q]
	if !ok && len(p.stmts)+len(p.wanted) < maxStmts {
		if p.wanted == nil {
			p.wanted = map[string]bool{}
		}
		p.wanted[q] = true
	}
	return st
}

// prepareWanted prepares what transactions asked for; it runs after a
// transaction ended, when the caller holds no connection.
func (p *pool) prepareWanted(ctx context.Context) {
	p.mu.Lock()
	qs := p.wanted
	p.wanted = nil
	p.mu.Unlock()
	for q := range qs {
		p.stmt(ctx, q) // an error leaves q unprepared: it runs as before
	}
}

// QueryRowContext runs q as a cached statement.
func (p *pool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := p.stmt(ctx, q)
	if err != nil || st == nil {
		return p.DB.QueryRowContext(ctx, q, args...) // the error surfaces at Scan
	}
	return st.QueryRowContext(ctx, args...)
}

// QueryContext runs q as a cached statement.
func (p *pool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return p.DB.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// ExecContext runs q as a cached statement.
func (p *pool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return p.DB.ExecContext(ctx, q, args...)
	}
	return st.ExecContext(ctx, args...)
}

// Close closes the statements and the pool.
func (p *pool) Close() error {
	p.mu.Lock()
	for _, st := range p.stmts {
		st.Close()
	}
	p.stmts = map[string]*sql.Stmt{}
	p.mu.Unlock()
	return p.DB.Close()
}

// tx wraps a transaction with the platform's helpers. Its Exec and Query
// methods use the pool's prepared statements (a push runs the same few
// statements for every mutation), each bound to the transaction once.
type tx struct {
	*sql.Tx
	s     *Server
	pool  *pool
	conn  *sql.Conn // returned to the pool when the transaction ends
	now   time.Time
	stmts map[string]*sql.Stmt
	ended bool
	// headers holds order headers read ahead for a push (prefetchHeaders);
	// saveOrder drops an order's entry when it writes the order.
	headers map[string]orderHeader
}

// orderHeader is the columns loadHeader reads.
type orderHeader struct {
	team, office, assignee, status string
	version, sv                    int64
	cycle                          int
}

// prefetchHeaders reads the headers of the given orders in one query.
func (t *tx) prefetchHeaders(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := t.QueryContext(ctx, `SELECT id, team_id, street_office, assignee_id, status, version, cycle, status_version FROM orders WHERE id IN (?`+
		strings.Repeat(",?", len(ids)-1)+`)`, args...)
	if err != nil {
		return fmt.Errorf("load orders: %w", err)
	}
	defer rows.Close()
	t.headers = make(map[string]orderHeader, len(ids))
	for rows.Next() {
		var id string
		var h orderHeader
		if err := rows.Scan(&id, &h.team, &h.office, &h.assignee, &h.status, &h.version, &h.cycle, &h.sv); err != nil {
			return err
		}
		t.headers[id] = h
	}
	return rows.Err()
}

// header is loadHeader, answered from the prefetched headers when it can.
func (t *tx) header(ctx context.Context, id string) (*streetdesk.WorkOrder, int64, error) {
	h, ok := t.headers[id]
	if !ok {
		return loadHeader(ctx, t, id)
	}
	o := &streetdesk.WorkOrder{ID: id, TeamID: h.team, AssigneeID: h.assignee, Status: streetdesk.Status(h.status), Version: h.version, Cycle: h.cycle}
	o.Location.StreetOffice = h.office
	return o, h.sv, nil
}

// Statements in a transaction run with a context that is never canceled
// (database/sql and the driver would start a goroutine per statement to
// watch it): a write transaction runs to its end, and reads check their
// request's context themselves between steps.

func (t *tx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if ps := t.pool.cached(q); ps != nil {
		st = t.Tx.StmtContext(ctx, ps)
	} else {
		var err error
		if st, err = t.Tx.PrepareContext(ctx, q); err != nil {
			return nil, err
		}
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[q] = st
	return st, nil
}

// ExecContext runs a cached statement.
func (t *tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext runs a cached statement.
func (t *tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a cached statement.
func (t *tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	st, err := t.stmt(ctx, q)
	if err != nil {
		// Let the error surface at Scan, as database/sql does.
		return t.Tx.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// Commit commits and then prepares what the transaction lacked.
func (t *tx) Commit() error {
	err := t.Tx.Commit()
	t.end()
	return err
}

// Rollback rolls back (a no-op after Commit) and then prepares what the
// transaction lacked.
func (t *tx) Rollback() error {
	err := t.Tx.Rollback()
	t.end()
	return err
}

func (t *tx) end() {
	if !t.ended {
		t.ended = true
		t.conn.Close()
		t.pool.prepareWanted(context.Background())
	}
}

// begin starts a write transaction. Waiting for the writer stops when ctx
// ends (the client went away: nothing was done); once begun, the
// transaction runs to its commit or rollback whatever the client does, so a
// write is never half-applied and a resend finds its stored result.
func (s *Server) begin(ctx context.Context) (*tx, error) {
	return s.beginOn(ctx, s.wdb, nil)
}

// beginRead starts a read-only transaction: one snapshot for a pull page.
// The caller checks ctx between steps to stop when the client goes.
func (s *Server) beginRead(ctx context.Context) (*tx, error) {
	return s.beginOn(ctx, s.rdb, &sql.TxOptions{ReadOnly: true})
}

func (s *Server) beginOn(ctx context.Context, p *pool, opts *sql.TxOptions) (*tx, error) {
	conn, err := p.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	// Statements run with a context that is never canceled: the driver
	// then needs no goroutine per statement to interrupt it.
	t, err := conn.BeginTx(context.WithoutCancel(ctx), opts)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("begin: %w", err)
	}
	return &tx{Tx: t, s: s, pool: p, conn: conn, now: s.now()}, nil
}

var errNoOrder = streetdesk.Errorf(streetdesk.ENOTFOUND, "no such order")

type queryer interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// loadOrder reads an order and the version at which its status last changed.
func loadOrder(ctx context.Context, q queryer, id string) (*streetdesk.WorkOrder, int64, error) {
	var data string
	var sv int64
	err := q.QueryRowContext(ctx, `SELECT data, status_version FROM orders WHERE id = ?`, id).Scan(&data, &sv)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, errNoOrder
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load order %s: %w", id, err)
	}
	var o streetdesk.WorkOrder
	if err := json.Unmarshal([]byte(data), &o); err != nil {
		return nil, 0, fmt.Errorf("decode order %s: %w", id, err)
	}
	return &o, sv, nil
}

// loadHeader reads only an order's columns (no JSON): enough for facts,
// which are the bulk of what a push carries.
func loadHeader(ctx context.Context, q queryer, id string) (*streetdesk.WorkOrder, int64, error) {
	o := &streetdesk.WorkOrder{ID: id}
	var sv int64
	var status string
	err := q.QueryRowContext(ctx, `SELECT team_id, street_office, assignee_id, status, version, cycle, status_version FROM orders WHERE id = ?`, id).
		Scan(&o.TeamID, &o.Location.StreetOffice, &o.AssigneeID, &status, &o.Version, &o.Cycle, &sv)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, errNoOrder
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load order %s: %w", id, err)
	}
	o.Status = streetdesk.Status(status)
	return o, sv, nil
}

// visibleAssignee is whose caseworker queue shows the order: nobody's once
// it was cancelled or returned (the assignee got a revocation).
func visibleAssignee(o *streetdesk.WorkOrder) string {
	if o.Status == streetdesk.StatusCancelled || o.Status == streetdesk.StatusReturned {
		return ""
	}
	return o.AssigneeID
}

// insertOrder writes a new order.
func (t *tx) insertOrder(ctx context.Context, o *streetdesk.WorkOrder, phone string) error {
	delete(t.headers, o.ID)
	data, err := json.Marshal(o)
	if err != nil {
		return err
	}
	_, err = t.ExecContext(ctx, `INSERT INTO orders (id, team_id, street_office, assignee_id, status, version, cycle, status_version, dispatched_at, citizen_phone, data)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)`, o.ID, o.TeamID, o.Location.StreetOffice, o.AssigneeID, string(o.Status), o.Version, o.Cycle,
		o.Version, o.DispatchedAt.UnixMilli(), phone, string(data))
	if err != nil {
		return fmt.Errorf("insert order %s: %w", o.ID, err)
	}
	if o.AssigneeID != "" {
		if _, err := t.ExecContext(ctx, `INSERT OR IGNORE INTO assignments VALUES (?,?)`, o.ID, o.AssigneeID); err != nil {
			return err
		}
	}
	return t.touch(ctx, streetdesk.ChangeWorkOrder, o.ID, o)
}

// saveOrder writes a changed order: the version is bumped, the status
// version too when the status changed, and the order gets a new place in the
// change log.
func (t *tx) saveOrder(ctx context.Context, o *streetdesk.WorkOrder, prevStatus streetdesk.Status, prevSV int64) error {
	delete(t.headers, o.ID)
	o.Version++
	o.UpdatedAt = t.now
	sv := prevSV
	if o.Status != prevStatus {
		sv = o.Version
	}
	data, err := json.Marshal(o)
	if err != nil {
		return err
	}
	_, err = t.ExecContext(ctx, `UPDATE orders SET team_id=?, street_office=?, assignee_id=?, status=?, version=?, cycle=?, status_version=?, data=? WHERE id=?`,
		o.TeamID, o.Location.StreetOffice, o.AssigneeID, string(o.Status), o.Version, o.Cycle, sv, string(data), o.ID)
	if err != nil {
		return fmt.Errorf("save order %s: %w", o.ID, err)
	}
	return t.touch(ctx, streetdesk.ChangeWorkOrder, o.ID, o)
}

// touch gives an entity of order o a new sequence number in the change log.
func (t *tx) touch(ctx context.Context, typ, entityID string, o *streetdesk.WorkOrder) error {
	var ver int64
	if typ == streetdesk.ChangeWorkOrder {
		ver = o.Version // pull pages read it here, not from the order
	}
	_, err := t.ExecContext(ctx, `INSERT OR REPLACE INTO change_log (type, entity_id, order_id, assignee_id, team_id, version, at) VALUES (?,?,?,?,?,?,?)`,
		typ, entityID, o.ID, visibleAssignee(o), o.TeamID, ver, t.now.UnixMilli())
	if err != nil {
		return fmt.Errorf("change log: %w", err)
	}
	return nil
}

// retouchOrder re-emits every entity of an order (after a reassignment the
// new assignee needs the order's notes and photos, whatever their age).
func (t *tx) retouchOrder(ctx context.Context, o *streetdesk.WorkOrder) error {
	rows, err := t.QueryContext(ctx, `SELECT type, entity_id FROM change_log WHERE order_id = ? AND type IN ('note','photoRef','resolution') ORDER BY seq`, o.ID)
	if err != nil {
		return err
	}
	var ents [][2]string
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			rows.Close()
			return err
		}
		ents = append(ents, [2]string{a, b})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, e := range ents {
		if err := t.touch(ctx, e[0], e[1], o); err != nil {
			return err
		}
	}
	return nil
}

// hideOrder removes an order from every caseworker's view (cancel, return)
// without re-emitting it.
func (t *tx) hideOrder(ctx context.Context, orderID string) error {
	_, err := t.ExecContext(ctx, `UPDATE change_log SET assignee_id = '' WHERE order_id = ? AND type <> 'revoke'`, orderID)
	return err
}

// revoke tells userID's clients that the order left their view.
func (t *tx) revoke(ctx context.Context, userID string, o *streetdesk.WorkOrder, reason streetdesk.ResultCode) error {
	if userID == "" {
		return nil
	}
	// A lead still sees every order of the team: no revocation for them.
	var role, team string
	if err := t.QueryRowContext(ctx, `SELECT role, team_id FROM users WHERE id = ?`, userID).Scan(&role, &team); err == nil &&
		streetdesk.Role(role) == streetdesk.RoleLead && team == o.TeamID {
		return nil
	}
	rv := streetdesk.Revocation{Reason: reason, Status: o.Status}
	if reason == streetdesk.CodeReassigned {
		rv.NewAssignee = o.AssigneeID
	}
	extra, _ := json.Marshal(rv)
	_, err := t.ExecContext(ctx, `INSERT OR REPLACE INTO change_log (type, entity_id, order_id, user_id, extra, version, at) VALUES ('revoke',?,?,?,?,?,?)`,
		userID+"/"+o.ID, o.ID, userID, string(extra), o.Version, t.now.UnixMilli())
	return err
}

func (t *tx) insertNote(ctx context.Context, n *streetdesk.Note, o *streetdesk.WorkOrder) (bool, error) {
	data, _ := json.Marshal(n)
	res, err := t.ExecContext(ctx, `INSERT INTO notes (id, order_id, data) VALUES (?,?,?) ON CONFLICT DO NOTHING`, n.ID, n.WorkOrderID, string(data))
	if err != nil {
		return false, fmt.Errorf("insert note: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return false, nil
	}
	return true, t.touch(ctx, streetdesk.ChangeNote, n.ID, o)
}

func (t *tx) insertPhoto(ctx context.Context, p *streetdesk.PhotoRef, o *streetdesk.WorkOrder) (bool, error) {
	data, _ := json.Marshal(p)
	res, err := t.ExecContext(ctx, `INSERT INTO photo_refs (id, order_id, sha256, data) VALUES (?,?,?,?) ON CONFLICT DO NOTHING`, p.ID, p.WorkOrderID, p.SHA256, string(data))
	if err != nil {
		return false, fmt.Errorf("insert photo: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return false, nil
	}
	return true, t.touch(ctx, streetdesk.ChangePhotoRef, p.ID, o)
}

func (t *tx) putResolution(ctx context.Context, r *streetdesk.Resolution, o *streetdesk.WorkOrder) error {
	data, _ := json.Marshal(r)
	_, err := t.ExecContext(ctx, `INSERT INTO resolutions (id, order_id, cycle, state, data) VALUES (?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, data = excluded.data`, r.ID, r.WorkOrderID, r.Cycle, string(r.State), string(data))
	if err != nil {
		return fmt.Errorf("put resolution: %w", err)
	}
	return t.touch(ctx, streetdesk.ChangeResolution, r.ID, o)
}

func (t *tx) resolutions(ctx context.Context, orderID string) ([]streetdesk.Resolution, error) {
	return queryJSON[streetdesk.Resolution](ctx, t, `SELECT data FROM resolutions WHERE order_id = ? ORDER BY rowid`, orderID)
}

func queryJSON[T any](ctx context.Context, q queryer, query string, args ...any) ([]T, error) {
	raw, err := sqlrows.Column[[]byte](q.QueryContext(ctx, query, args...))
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

// photosPresent reports whether every listed photo ref of the order has its
// blob on the platform.
func (t *tx) photosPresent(ctx context.Context, orderID string, refIDs []string) (bool, error) {
	for _, id := range refIDs {
		var present int
		err := t.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM photo_refs p JOIN blobs b ON b.sha256 = p.sha256 WHERE p.id = ? AND p.order_id = ?)`, id, orderID).Scan(&present)
		if err != nil {
			return false, err
		}
		if present == 0 {
			return false, nil
		}
	}
	return true, nil
}

func (t *tx) blobExists(ctx context.Context, sha string) (bool, error) {
	var n int
	err := t.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?)`, sha).Scan(&n)
	return n == 1, err
}

func (t *tx) team(ctx context.Context, id string) (*streetdesk.Team, error) {
	return getTeam(ctx, t, id)
}

func getTeam(ctx context.Context, q queryer, id string) (*streetdesk.Team, error) {
	var tm streetdesk.Team
	var review int
	err := q.QueryRowContext(ctx, `SELECT id, name, street_office, district, review FROM teams WHERE id = ?`, id).
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

// getUser loads a user by id (or, failing that, by username).
func getUser(ctx context.Context, q queryer, idOrName string) (*streetdesk.User, []byte, error) {
	var u streetdesk.User
	var role string
	var hash []byte
	var tname, office, district sql.NullString
	err := q.QueryRowContext(ctx, `SELECT u.id, u.username, u.name, u.role, u.team_id, u.pw_hash, t.name, t.street_office, t.district
		FROM users u LEFT JOIN teams t ON t.id = u.team_id WHERE u.id = ?1 OR u.username = ?1 ORDER BY u.id = ?1 DESC LIMIT 1`, idOrName).
		Scan(&u.ID, &u.Username, &u.Name, &role, &u.TeamID, &hash, &tname, &office, &district)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, streetdesk.Errorf(streetdesk.ENOTFOUND, "no such user")
	}
	if err != nil {
		return nil, nil, err
	}
	u.Role = streetdesk.Role(role)
	u.TeamName, u.StreetOffice, u.District = tname.String, office.String, district.String
	return &u, hash, nil
}

// insertUsers writes users that share one password hash, in t.
func (t *tx) insertUsers(ctx context.Context, users []streetdesk.User, hash []byte) error {
	for _, u := range users {
		if _, err := t.ExecContext(ctx, `INSERT INTO users (id, username, name, role, team_id, pw_hash, created_at) VALUES (?,?,?,?,?,?,?)`,
			u.ID, u.Username, u.Name, string(u.Role), u.TeamID, hash, t.now.UnixMilli()); err != nil {
			if isUnique(err) {
				return streetdesk.Errorf(streetdesk.ECONFLICT, "user %q already exists", u.Username)
			}
			return fmt.Errorf("add user %s: %w", u.Username, err)
		}
	}
	return nil
}

// putTeam creates or updates a team.
func putTeam(ctx context.Context, q interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}, t streetdesk.Team) error {
	_, err := q.ExecContext(ctx, `INSERT INTO teams (id, name, street_office, district, review) VALUES (?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET name=excluded.name, street_office=excluded.street_office, district=excluded.district, review=excluded.review`,
		t.ID, t.Name, t.StreetOffice, t.District, boolInt(t.ReviewResolutions))
	return err
}

// effectCounts says, per mutation key, how many times it was processed for
// effect (never more than once; 0 for a key the platform never saw).
func effectCounts(ctx context.Context, q queryer, keys []string) (map[string]int, error) {
	out := make(map[string]int, len(keys))
	const batch = 500
	for len(keys) > 0 {
		n := min(batch, len(keys))
		args := make([]any, n)
		for i, k := range keys[:n] {
			args[i] = k
			out[k] = 0
		}
		rows, err := q.QueryContext(ctx, `SELECT key, COUNT(*) FROM mutation_results WHERE effect = 1 AND key IN (?`+
			strings.Repeat(",?", n-1)+`) GROUP BY key`, args...)
		if err != nil {
			return nil, fmt.Errorf("effect counts: %w", err)
		}
		for rows.Next() {
			var k string
			var c int
			if err := rows.Scan(&k, &c); err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		keys = keys[n:]
	}
	return out, nil
}

// Audit reads a platform database without serving it: what load and fault
// tests check after a run, while platformd may still be serving it.
type Audit struct{ db *pool }

// OpenAudit opens the platform database at dbPath for reading.
func OpenAudit(ctx context.Context, dbPath string) (*Audit, error) {
	if _, err := os.Stat(dbPath); err != nil {
		return nil, fmt.Errorf("platform database: %w", err)
	}
	db, err := openDB(dbPath, false)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", dbPath, err)
	}
	return &Audit{db: db}, nil
}

// EffectCounts says, per mutation key, how many times the platform applied
// it (processed it for effect): exactly once for every key a client pushed.
func (a *Audit) EffectCounts(ctx context.Context, keys []string) (map[string]int, error) {
	return effectCounts(ctx, a.db, keys)
}

// Close closes the database.
func (a *Audit) Close() error { return a.db.Close() }

// errNoToken: no stored token has this hash (and kind).
var errNoToken = errors.New("no such token")

// storedToken is a row of the tokens table.
type storedToken struct {
	hash, userID, kind, pair string
	expires                  int64 // unix ms
}

// lookupToken reads the token with this hash and kind, or errNoToken.
func lookupToken(ctx context.Context, q queryer, hash, kind string) (storedToken, error) {
	st := storedToken{hash: hash, kind: kind}
	err := q.QueryRowContext(ctx, `SELECT user_id, pair, expires_at FROM tokens WHERE hash = ? AND kind = ?`, hash, kind).
		Scan(&st.userID, &st.pair, &st.expires)
	if errors.Is(err, sql.ErrNoRows) {
		return st, errNoToken
	}
	if err != nil {
		return st, fmt.Errorf("look up token: %w", err)
	}
	return st, nil
}

// insertTokens stores tokens and drops the expired ones.
func (t *tx) insertTokens(ctx context.Context, toks ...storedToken) error {
	for _, k := range toks {
		if _, err := t.ExecContext(ctx, `INSERT INTO tokens (hash, user_id, kind, pair, expires_at) VALUES (?,?,?,?,?)`,
			k.hash, k.userID, k.kind, k.pair, k.expires); err != nil {
			return fmt.Errorf("store tokens: %w", err)
		}
	}
	if _, err := t.ExecContext(ctx, `DELETE FROM tokens WHERE expires_at < ?`, t.now.UnixMilli()); err != nil {
		return fmt.Errorf("drop expired tokens: %w", err)
	}
	return nil
}

// deleteTokenPair deletes both tokens of a pair and returns their hashes.
func (t *tx) deleteTokenPair(ctx context.Context, pair string) ([]string, error) {
	hashes, err := sqlrows.Column[string](t.QueryContext(ctx, `DELETE FROM tokens WHERE pair = ? RETURNING hash`, pair))
	if err != nil {
		return nil, fmt.Errorf("delete tokens: %w", err)
	}
	return hashes, nil
}

// isUnique reports whether err is SQLite's unique (or primary key)
// constraint failing, by its extended result code.
func isUnique(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}
