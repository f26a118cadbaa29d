package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// Begin starts a write transaction once it is this writer's turn: first
// among this instance's writers (waiting stops with ctx), then across
// instances on the writer lock, which PostgreSQL releases only after the
// commit is visible to every new snapshot. The BEGIN and the lock travel
// with the transaction's first statement (pipe); until that one is
// answered, ctx still stops the wait.
func (db *DB) Begin(ctx context.Context) (store.Tx, error) {
	asked := time.Now()
	select {
	case db.writers <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	turn := time.Now()
	t, err := db.begin(ctx)
	if err != nil {
		<-db.writers
		return nil, err
	}
	t.writer = true // end gives the turn back
	t.asked, t.turn = asked, turn
	t.q.later("begin", `SELECT pg_advisory_xact_lock($1)`, lockWriter)
	return t, nil
}

// begin starts a transaction that takes no writer turn (tokens, uploads,
// users): such writes touch no synced entity.
func (db *DB) begin(ctx context.Context) (*writeTx, error) {
	c, err := db.q().(poolQ).acquire(ctx)
	if err != nil {
		return nil, err
	}
	t := &writeTx{db: db, q: &pipe{c: c.Conn()}, release: c.Release}
	t.q.later("begin", "BEGIN")
	t.reader = reader{t.q}
	return t, nil
}

// BeginRead starts a read-only transaction on one snapshot (repeatable
// read).
func (db *DB) BeginRead(ctx context.Context) (store.ReadTx, error) {
	c, err := db.q().(poolQ).acquire(ctx)
	if err != nil {
		return nil, err
	}
	// The BEGIN travels with the first read (a pull's are all in one
	// round trip: ReadPull).
	p := &pipe{c: c.Conn(), reads: true}
	p.later("begin", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
	return &readTx{reader: reader{p}, p: p, release: c.Release}, nil
}

type readTx struct {
	reader
	p       *pipe
	release func()
}

func (r *readTx) Rollback() error {
	if r.release == nil {
		return nil
	}
	err := r.p.rollback(context.Background())
	r.release()
	r.release = nil
	return err
}

// update runs fn in a transaction of its own (no writer turn).
func (db *DB) update(ctx context.Context, fn func(t *writeTx) error) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if err := fn(t); err != nil {
		return err
	}
	return t.Commit()
}

func (db *DB) Epoch(ctx context.Context, newEpoch string) (string, error) {
	if _, err := db.q().Exec(ctx, `INSERT INTO meta (key, value) VALUES ('epoch', $1) ON CONFLICT DO NOTHING`, newEpoch); err != nil {
		return "", err
	}
	var epoch string
	err := db.q().QueryRow(ctx, `SELECT value FROM meta WHERE key = 'epoch'`).Scan(&epoch)
	return epoch, err
}

func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := db.q().QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

func (db *DB) AddUser(ctx context.Context, u streetdesk.User, hash []byte, now time.Time) error {
	return db.update(ctx, func(t *writeTx) error { return t.InsertUsers(ctx, []streetdesk.User{u}, hash, now) })
}

func (db *DB) PutTeam(ctx context.Context, tm streetdesk.Team) error {
	return db.update(ctx, func(t *writeTx) error { return t.PutTeam(ctx, tm) })
}

func (db *DB) SetTeamReview(ctx context.Context, teamID string, review bool) error {
	_, err := db.q().Exec(ctx, `UPDATE teams SET review = $1 WHERE id = $2`, boolInt(review), teamID)
	return err
}

func (db *DB) ForgetClient(ctx context.Context, clientID string) error {
	_, err := db.q().Exec(ctx, `UPDATE clients SET forgotten = 1 WHERE id = $1`, clientID)
	return err
}

func (db *DB) PruneRevocations(ctx context.Context, before time.Time) error {
	_, err := db.q().Exec(ctx, `DELETE FROM change_log WHERE type = 'revoke' AND at < $1`, before.UnixMilli())
	return err
}

// PruneResults drops the results and their change-log entries in one
// statement (data-modifying CTEs).
func (db *DB) PruneResults(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int
	err := db.q().QueryRow(ctx, `WITH d AS (DELETE FROM mutation_results WHERE (client_id, id) IN
		    (SELECT client_id, id FROM mutation_results WHERE at < $1 ORDER BY at LIMIT $2) RETURNING client_id, id),
		  c AS (DELETE FROM change_log WHERE type = 'mutationResult' AND entity_id IN (SELECT client_id || '/' || id FROM d))
		SELECT count(*) FROM d`, before.UnixMilli(), limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("prune results: %w", err)
	}
	return n, nil
}

func (db *DB) Token(ctx context.Context, hash, kind string) (store.Token, error) {
	k := store.Token{Hash: hash, Kind: kind}
	err := db.q().QueryRow(ctx, `SELECT user_id, pair, expires_at FROM tokens WHERE hash = $1 AND kind = $2`, hash, kind).
		Scan(&k.UserID, &k.Pair, &k.Expires)
	if noRows(err) {
		return k, notFound("token")
	}
	if err != nil {
		return k, fmt.Errorf("look up token: %w", err)
	}
	return k, nil
}

func (db *DB) StoreTokens(ctx context.Context, spendPair string, toks []store.Token, now time.Time) ([]string, error) {
	var spent []string
	err := db.update(ctx, func(t *writeTx) error {
		if spendPair != "" {
			var err error
			if spent, err = t.deleteTokenPair(ctx, spendPair); err != nil {
				return err
			}
			if len(spent) == 0 {
				return notFound("token")
			}
		}
		for _, k := range toks {
			if _, err := t.q.Exec(ctx, `INSERT INTO tokens (hash, user_id, kind, pair, expires_at) VALUES ($1,$2,$3,$4,$5)`,
				k.Hash, k.UserID, k.Kind, k.Pair, k.Expires); err != nil {
				return fmt.Errorf("store tokens: %w", err)
			}
		}
		if _, err := t.q.Exec(ctx, `DELETE FROM tokens WHERE expires_at < $1`, now.UnixMilli()); err != nil {
			return fmt.Errorf("drop expired tokens: %w", err)
		}
		return nil
	})
	return spent, err
}

func (db *DB) DeleteTokenPair(ctx context.Context, pair string) ([]string, error) {
	var spent []string
	err := db.update(ctx, func(t *writeTx) error {
		var err error
		spent, err = t.deleteTokenPair(ctx, pair)
		return err
	})
	return spent, err
}

func (t *writeTx) deleteTokenPair(ctx context.Context, pair string) ([]string, error) {
	hashes, err := column[string](t.q.Query(ctx, `DELETE FROM tokens WHERE pair = $1 RETURNING hash`, pair))
	if err != nil {
		return nil, fmt.Errorf("delete tokens: %w", err)
	}
	return hashes, nil
}

func (db *DB) CreateUpload(ctx context.Context, u store.Upload) error {
	_, err := db.q().Exec(ctx, `INSERT INTO uploads (id, user_id, sha256, size, mime, created_at) VALUES ($1,$2,$3,$4,$5,$6)`,
		u.ID, u.UserID, u.SHA256, u.Size, u.MIME, u.Created.UnixMilli())
	return err
}

const uploadCols = `SELECT id, user_id, sha256, size, mime, created_at FROM uploads `

func scanUpload(r pgx.Row) (store.Upload, error) {
	var u store.Upload
	var created int64
	err := r.Scan(&u.ID, &u.UserID, &u.SHA256, &u.Size, &u.MIME, &created)
	if noRows(err) {
		return u, notFound("upload")
	}
	u.Created = time.UnixMilli(created).UTC()
	return u, err
}

func (db *DB) Upload(ctx context.Context, id string) (store.Upload, error) {
	return scanUpload(db.q().QueryRow(ctx, uploadCols+`WHERE id = $1`, id))
}

func (db *DB) LatestUpload(ctx context.Context, userID, sha string) (store.Upload, error) {
	return scanUpload(db.q().QueryRow(ctx, uploadCols+`WHERE user_id = $1 AND sha256 = $2 ORDER BY created_at DESC LIMIT 1`, userID, sha))
}

func (db *DB) DeleteUpload(ctx context.Context, id string) error {
	_, err := db.q().Exec(ctx, `DELETE FROM uploads WHERE id = $1`, id)
	return err
}

func (db *DB) UploadsBefore(ctx context.Context, t time.Time) ([]string, error) {
	return column[string](db.q().Query(ctx, `SELECT id FROM uploads WHERE created_at < $1`, t.UnixMilli()))
}

func (db *DB) GrantBlob(ctx context.Context, sha, userID string) error {
	_, err := db.q().Exec(ctx, `INSERT INTO blob_access VALUES ($1,$2) ON CONFLICT DO NOTHING`, sha, userID)
	return err
}

// writeTx is a write transaction (with the writer's turn when Begin made
// it).
type writeTx struct {
	reader
	db      *DB
	q       *pipe
	release func()
	writer  bool
	pending []store.LogEntry // change-log entries not written yet (Touch)
	// freeFacts are note and photo ids known free (ReadPush): inserting
	// one is sent without waiting for its answer.
	freeFacts map[string]bool
	keys      store.KeySet // wake keys of the entries touched (notify)
	// asked, turn and read are when Begin was called, when this
	// instance's turn came and when ReadPush was answered (logTimes).
	asked, turn, read time.Time
}

// logTimes logs, at debug level, where a writer's time went: waiting for
// this instance's turn, for a connection, for the writer lock (across
// instances; with BEGIN, one round trip), the push's reads, the work
// between them and the commit (writes, COMMIT and its fsync: one round
// trip), and how long the writer lock was held.
func (t *writeTx) logTimes(commitStart, done time.Time) {
	if !t.writer || !t.db.log.Enabled(context.Background(), slog.LevelDebug) || t.q.sent.IsZero() {
		return
	}
	ms := func(a, b time.Time) float64 {
		if a.IsZero() || b.IsZero() {
			return 0
		}
		return float64(b.Sub(a).Microseconds()) / 1000
	}
	read := t.read
	if read.IsZero() {
		read = t.q.heldDone
	}
	t.db.log.Debug("writer times", "turn_ms", ms(t.asked, t.turn), "conn_ms", ms(t.turn, t.q.sent), "lock_ms", ms(t.q.sent, t.q.heldDone),
		"reads_ms", ms(t.q.heldDone, read), "work_ms", ms(read, commitStart), "commit_ms", ms(commitStart, done),
		"held_ms", ms(t.q.heldDone, done), "total_ms", ms(t.asked, done))
}

func (t *writeTx) end() {
	if t.release != nil {
		t.release()
		t.release = nil
		if t.writer {
			<-t.db.writers
		}
	}
}

func (t *writeTx) Commit() error {
	start := time.Now()
	if err := t.flush(context.Background()); err != nil {
		return errors.Join(err, t.Rollback())
	}
	t.notify()
	err := t.q.commit(context.Background())
	if err != nil {
		return errors.Join(fmt.Errorf("commit: %w", err), t.Rollback())
	}
	done := time.Now()
	t.end()
	t.logTimes(start, done)
	return nil
}

func (t *writeTx) Rollback() error {
	if t.release == nil {
		return nil // committed or rolled back already
	}
	err := t.q.rollback(context.Background())
	t.end()
	return err
}

func (t *writeTx) InsertOrder(ctx context.Context, o *streetdesk.WorkOrder, phone string) error {
	data, err := jsonOf(o)
	if err != nil {
		return err
	}
	_, err = t.q.Exec(ctx, `INSERT INTO orders (id, team_id, street_office, assignee_id, status, version, cycle, status_version, dispatched_at, citizen_phone, data)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`, o.ID, o.TeamID, o.Location.StreetOffice, o.AssigneeID, string(o.Status), o.Version, o.Cycle,
		o.Version, o.DispatchedAt.UnixMilli(), phone, data)
	if isUnique(err) {
		return streetdesk.Errorf(streetdesk.ECONFLICT, "order %s already exists", o.ID)
	}
	if err != nil {
		return fmt.Errorf("insert order %s: %w", o.ID, err)
	}
	return nil
}

func (t *writeTx) UpdateOrder(ctx context.Context, o *streetdesk.WorkOrder, sv int64) error {
	data, err := jsonOf(o)
	if err != nil {
		return err
	}
	t.q.later("save order "+o.ID, `UPDATE orders SET team_id=$1, street_office=$2, assignee_id=$3, status=$4, version=$5, cycle=$6, status_version=$7, data=$8 WHERE id=$9`,
		o.TeamID, o.Location.StreetOffice, o.AssigneeID, string(o.Status), o.Version, o.Cycle, sv, data, o.ID)
	return nil
}

func (t *writeTx) Assign(ctx context.Context, orderID, userID string) error {
	t.q.later("assign", `INSERT INTO assignments VALUES ($1,$2) ON CONFLICT DO NOTHING`, orderID, userID)
	return nil
}

func (t *writeTx) InsertNote(ctx context.Context, n *streetdesk.Note) (bool, error) {
	data, err := jsonOf(n)
	if err != nil {
		return false, err
	}
	return t.insertFact(ctx, "insert note", n.ID, `INSERT INTO notes (id, order_id, data) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING`, n.ID, n.WorkOrderID, data)
}

func (t *writeTx) InsertPhotoRef(ctx context.Context, p *streetdesk.PhotoRef) (bool, error) {
	data, err := jsonOf(p)
	if err != nil {
		return false, err
	}
	return t.insertFact(ctx, "insert photo", p.ID, `INSERT INTO photo_refs (id, order_id, sha256, data) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING`,
		p.ID, p.WorkOrderID, p.SHA256, data)
}

// insertFact inserts a note or photo reference (sql: INSERT … ON CONFLICT
// DO NOTHING) and reports whether its id was free: known ahead for the ids
// ReadPush found free (the insert is then held back), else from the
// insert's answer.
func (t *writeTx) insertFact(ctx context.Context, what, id, sql string, args ...any) (bool, error) {
	if t.freeFacts[id] {
		delete(t.freeFacts, id) // the same id again in this batch is taken
		t.q.later(what, sql, args...)
		return true, nil
	}
	tag, err := t.q.Exec(ctx, sql, args...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return tag.RowsAffected() > 0, nil
}

func (t *writeTx) UpdatePhotoRef(ctx context.Context, p *streetdesk.PhotoRef) error {
	data, err := jsonOf(p)
	if err != nil {
		return err
	}
	t.q.later("update photo", `UPDATE photo_refs SET data = $1 WHERE id = $2`, data, p.ID)
	return nil
}

func (t *writeTx) PutResolution(ctx context.Context, r *streetdesk.Resolution) error {
	data, err := jsonOf(r)
	if err != nil {
		return err
	}
	t.q.later("put resolution", `INSERT INTO resolutions (id, order_id, cycle, state, data) VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, data = excluded.data`, r.ID, r.WorkOrderID, r.Cycle, string(r.State), data)
	return nil
}

func (t *writeTx) InsertBlob(ctx context.Context, sha string, b store.Blob, now time.Time) error {
	_, err := t.q.Exec(ctx, `INSERT INTO blobs (sha256, size, mime, created_at) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING`, sha, b.Size, b.MIME, now.UnixMilli())
	return err
}

func (t *writeTx) GrantBlob(ctx context.Context, sha, userID string) error {
	t.q.later("blob access", `INSERT INTO blob_access VALUES ($1,$2) ON CONFLICT DO NOTHING`, sha, userID)
	return nil
}

func (t *writeTx) DeleteUpload(ctx context.Context, id string) error {
	_, err := t.q.Exec(ctx, `DELETE FROM uploads WHERE id = $1`, id)
	return err
}

// InsertUsers inserts the users; a taken name is ECONFLICT (and, as any
// error in PostgreSQL, leaves the transaction to be rolled back).
func (t *writeTx) InsertUsers(ctx context.Context, users []streetdesk.User, hash []byte, now time.Time) error {
	for _, u := range users {
		if _, err := t.q.Exec(ctx, `INSERT INTO users (id, username, name, role, team_id, pw_hash, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
			u.ID, u.Username, u.Name, string(u.Role), u.TeamID, hash, now.UnixMilli()); err != nil {
			if isUnique(err) {
				return streetdesk.Errorf(streetdesk.ECONFLICT, "user %q already exists", u.Username)
			}
			return fmt.Errorf("add user %s: %w", u.Username, err)
		}
	}
	return nil
}

func (t *writeTx) PutTeam(ctx context.Context, tm streetdesk.Team) error {
	_, err := t.q.Exec(ctx, `INSERT INTO teams (id, name, street_office, district, review) VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT (id) DO UPDATE SET name=excluded.name, street_office=excluded.street_office, district=excluded.district, review=excluded.review`,
		tm.ID, tm.Name, tm.StreetOffice, tm.District, boolInt(tm.ReviewResolutions))
	return err
}

func (t *writeTx) InsertClient(ctx context.Context, c store.Client, now time.Time) error {
	_, err := t.q.Exec(ctx, `INSERT INTO clients (id, user_id, last_mutation_id, created_at) VALUES ($1,$2,$3,$4)`,
		c.ID, c.UserID, c.LastMutationID, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("register client: %w", err)
	}
	return nil
}

func (t *writeTx) SetLastMutationID(ctx context.Context, clientID string, last int64) error {
	t.q.later("last mutation id", `UPDATE clients SET last_mutation_id = $1 WHERE id = $2`, last, clientID)
	return nil
}

// StoreResults writes the results and their change-log entries, one
// statement each over arrays.
func (t *writeTx) StoreResults(ctx context.Context, clientID, userID string, rs []store.ResultRow, now time.Time) error {
	if len(rs) == 0 {
		return nil
	}
	// The mutations' effects take their places first, as on SQLite.
	if err := t.flush(ctx); err != nil {
		return err
	}
	ids := make([]int64, len(rs))
	keys, fps, orders, results, entities := make([]string, len(rs)), make([]string, len(rs)), make([]string, len(rs)), make([]string, len(rs)), make([]string, len(rs))
	effects := make([]int32, len(rs))
	for i, r := range rs {
		ids[i], keys[i], fps[i], orders[i], results[i] = r.ID, r.Key, r.Fingerprint, r.OrderID, string(r.Result)
		entities[i] = fmt.Sprintf("%s/%d", clientID, r.ID)
		if r.Effect {
			effects[i] = 1
		}
	}
	at := now.UnixMilli()
	t.q.later("store results", `INSERT INTO mutation_results (client_id, id, key, fingerprint, user_id, effect, result, at)
		SELECT $1, id, key, fp, $2, effect, result, $3 FROM unnest($4::bigint[], $5::text[], $6::text[], $7::int[], $8::text[]) AS r(id, key, fp, effect, result)`,
		clientID, userID, at, ids, keys, fps, effects, results)
	t.q.later("store results", `INSERT INTO change_log (type, entity_id, order_id, client_id, extra, at)
		SELECT 'mutationResult', e, o, $1, x, $2 FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS r(e, o, x, i) ORDER BY i
		ON CONFLICT (type, entity_id) DO UPDATE SET seq = nextval('change_log_seq'), order_id = excluded.order_id, assignee_id = '', team_id = '',
		  user_id = '', client_id = excluded.client_id, extra = excluded.extra, version = 0, at = excluded.at`,
		clientID, at, entities, orders, results)
	return nil
}

// Touch gives the entity the next number in the change log, as SQLite's
// INSERT OR REPLACE does. The entries wait in the transaction and are
// written in one statement before anything reads or changes the change log
// and before the commit: a push of 100 notes then costs one round trip to
// the server for them instead of 100.
func (t *writeTx) Touch(ctx context.Context, e store.LogEntry) error {
	t.pending = append(t.pending, e)
	if t.keys == nil {
		t.keys = store.KeySet{}
	}
	e.WakeKeys(t.keys.Add)
	return nil
}

// flush writes the pending change-log entries. An entity touched twice
// keeps its last entry, at the place of its last touch, as the REPLACEs one
// after the other would have left it.
func (t *writeTx) flush(ctx context.Context) error {
	if len(t.pending) == 0 {
		return nil
	}
	last := make(map[[2]string]int, len(t.pending))
	for i, e := range t.pending {
		last[[2]string{e.Type, e.EntityID}] = i
	}
	n := len(last)
	typ, ent, order, assignee, team, user, extra := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n),
		make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	version, at := make([]int64, 0, n), make([]int64, 0, n)
	for i, e := range t.pending {
		if last[[2]string{e.Type, e.EntityID}] != i {
			continue
		}
		typ, ent, order, assignee = append(typ, e.Type), append(ent, e.EntityID), append(order, e.OrderID), append(assignee, e.AssigneeID)
		team, user, extra = append(team, e.TeamID), append(user, e.UserID), append(extra, string(e.Extra))
		version, at = append(version, e.Version), append(at, e.At.UnixMilli())
	}
	t.pending = t.pending[:0]
	t.q.later("change log", `INSERT INTO change_log (type, entity_id, order_id, assignee_id, team_id, user_id, extra, version, at)
		SELECT ty, en, o, a, te, u, x, v, t FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
		  $7::text[], $8::bigint[], $9::bigint[]) WITH ORDINALITY AS r(ty, en, o, a, te, u, x, v, t, i) ORDER BY i
		ON CONFLICT (type, entity_id) DO UPDATE SET seq = nextval('change_log_seq'), order_id = excluded.order_id,
		  assignee_id = excluded.assignee_id, team_id = excluded.team_id, user_id = excluded.user_id,
		  extra = excluded.extra, version = excluded.version, at = excluded.at`,
		typ, ent, order, assignee, team, user, extra, version, at)
	return nil
}

// The change log's readers see the pending entries.

func (t *writeTx) OrderEntities(ctx context.Context, orderID string) ([]store.Entity, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.reader.OrderEntities(ctx, orderID)
}

func (t *writeTx) MaxSeq(ctx context.Context) (int64, error) {
	if err := t.flush(ctx); err != nil {
		return 0, err
	}
	return t.reader.MaxSeq(ctx)
}

func (t *writeTx) ScopeSeqs(ctx context.Context, s store.Scope, userID string) (int64, int64, error) {
	if err := t.flush(ctx); err != nil {
		return 0, 0, err
	}
	return t.reader.ScopeSeqs(ctx, s, userID)
}

func (t *writeTx) Changes(ctx context.Context, q store.ChangeQuery, fn func(*store.Change) error) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	return t.reader.Changes(ctx, q, fn)
}

func (t *writeTx) HideOrder(ctx context.Context, orderID string) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	_, err := t.q.Exec(ctx, `UPDATE change_log SET assignee_id = '' WHERE order_id = $1 AND type <> 'revoke'`, orderID)
	return err
}

// Savepoint writes what is pending first, so that RollbackTo can drop
// exactly what came after it. Savepoints travel with the next round trip,
// as the writes do: one that fails fails that round trip.
func (t *writeTx) Savepoint(ctx context.Context) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	t.q.later("savepoint", `SAVEPOINT m`)
	return nil
}

func (t *writeTx) RollbackTo(ctx context.Context) error {
	t.pending = t.pending[:0]
	t.q.later("rollback to savepoint", `ROLLBACK TO SAVEPOINT m`)
	return nil
}

func (t *writeTx) Release(ctx context.Context) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	t.q.later("release savepoint", `RELEASE SAVEPOINT m`)
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ReadPush sends its reads together with the transaction's BEGIN and
// writer lock: the push's first round trip. The fact ids it finds free are
// kept (freeFacts): inserting one of them needs no answer.
func (t *writeTx) ReadPush(ctx context.Context, q store.PushQuery) (store.PushState, error) {
	var ps store.PushState
	var taken []string
	var errs [5]error
	t.freeFacts = nil // an earlier push's, in a shared transaction
	err := t.q.together(ctx,
		func(r reader) { ps.Client, errs[0] = r.Client(ctx, q.ClientID) },
		func(r reader) { ps.Results, errs[1] = r.ResultsByKey(ctx, q.Keys) },
		func(r reader) { ps.Headers, errs[2] = r.Headers(ctx, q.OrderIDs) },
		func(r reader) {
			if len(q.Keys) > 0 {
				ps.Chain, errs[3] = r.ChainEntries(ctx, store.ChainQuery{Keys: q.Keys})
			}
		},
		func(r reader) {
			if len(q.FactIDs) > 0 {
				taken, errs[4] = column[string](r.q.Query(ctx, `SELECT id FROM notes WHERE id = ANY($1) UNION ALL SELECT id FROM photo_refs WHERE id = ANY($1)`, q.FactIDs))
			}
		})
	if err != nil {
		return ps, err
	}
	t.read = time.Now()
	if errs[4] == nil && len(q.FactIDs) > 0 {
		// The writer lock keeps them free until this transaction ends.
		t.freeFacts = map[string]bool{}
		for _, id := range q.FactIDs {
			t.freeFacts[id] = true
		}
		for _, id := range taken {
			delete(t.freeFacts, id)
		}
	}
	ps.ClientFound, errs[0] = store.ClientFound(errs[0])
	return ps, errors.Join(errs[:]...)
}
