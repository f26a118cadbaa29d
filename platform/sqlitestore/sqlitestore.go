// Package sqlitestore keeps the platform's data in one embedded SQLite file
// (modernc.org/sqlite): the default for a district, demos and tests. One
// connection writes (transactions begin IMMEDIATE, so writers take turns and
// the change log's sequence follows commit order); four read.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/migrate"
	"github.com/streetdesk/streetdesk/internal/sqlrows"
	"github.com/streetdesk/streetdesk/platform/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

var migrations = migrate.Set{FS: migrationFS, Dir: "migrations", Dialect: migrate.SQLite}

// Migrations returns the number of the store's migrations.
func Migrations() int { return migrations.Len() }

// Options configure Open.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time // stamps applied migrations
	// ReadOnly opens an existing database for reading only: no file is
	// created and no migration runs.
	ReadOnly bool
	// Checkpointed, if set, is called after each background WAL
	// checkpoint with the WAL's frames and how many of them are now in the
	// database file (tests, metrics).
	Checkpointed func(frames, copied int)
}

// DB is the platform's SQLite store.
type DB struct {
	reader
	wdb *pool // the single writer
	rdb *pool // readers (pull snapshots, listings)

	jobs sync.Map // job name → *sync.Mutex (TryJobLock)

	watch watchers // Watch: commits that touched the change log

	ckpt *checkpointer // nil when read-only
}

var _ store.Store = (*DB)(nil)

// Open opens (creating and migrating it if needed) the database at path.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	db := &DB{}
	var err error
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("platform database: %w", err)
		}
	} else {
		if db.wdb, err = openDB(path, true); err != nil {
			return nil, err
		}
		if err := migrateUp(ctx, db.wdb.DB, opts); err != nil {
			return nil, errors.Join(err, db.wdb.Close())
		}
	}
	if db.rdb, err = openDB(path, false); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	if err := db.rdb.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open %s: %w", path, err), db.Close())
	}
	if db.wdb != nil {
		db.ckpt = startCheckpointer(db.rdb, opts.Logger, opts.Checkpointed)
		db.wdb.committed = db.ckpt.committed
	}
	db.reader = reader{db.rdb}
	return db, nil
}

func migrateUp(ctx context.Context, db *sql.DB, opts Options) error {
	_, err := migrations.Up(ctx, db, migrate.Options{Now: opts.Now, Logger: opts.Logger})
	var tooNew *migrate.TooNewError
	if errors.As(err, &tooNew) {
		return streetdesk.Errorf(streetdesk.EINVALID, "platform: the database is from a newer platformd (schema %d, this program knows %d)", tooNew.Have, tooNew.Know)
	}
	if err != nil {
		return fmt.Errorf("platform: schema: %w", err)
	}
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	if db.ckpt != nil {
		db.ckpt.close()
		db.ckpt = nil
	}
	var err error
	if db.rdb != nil {
		err = db.rdb.Close()
	}
	if db.wdb != nil {
		err = errors.Join(err, db.wdb.Close())
	}
	return err
}

func (db *DB) writer() (*pool, error) {
	if db.wdb == nil {
		return nil, errors.New("platform database opened read-only")
	}
	return db.wdb, nil
}

// Begin starts a write transaction on the single writer.
func (db *DB) Begin(ctx context.Context) (store.Tx, error) {
	w, err := db.writer()
	if err != nil {
		return nil, err
	}
	t, err := beginOn(ctx, w, nil)
	if err != nil {
		return nil, err
	}
	return &writeTx{reader: reader{t}, t: t, db: db}, nil
}

// BeginRead starts a read transaction: one snapshot.
func (db *DB) BeginRead(ctx context.Context) (store.ReadTx, error) {
	t, err := beginOn(ctx, db.rdb, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	return &readTx{reader{t}, t}, nil
}

type readTx struct {
	reader
	t *tx
}

func (r *readTx) Rollback() error { return r.t.Rollback() }

// update runs fn in a write transaction.
func (db *DB) update(ctx context.Context, fn func(t *writeTx) error) error {
	st, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	t := st.(*writeTx)
	defer t.Rollback()
	if err := fn(t); err != nil {
		return err
	}
	return t.Commit()
}

func (db *DB) Epoch(ctx context.Context, newEpoch string) (string, error) {
	var epoch string
	err := db.update(ctx, func(t *writeTx) error {
		err := t.t.queryRow(ctx, `SELECT value FROM meta WHERE key = 'epoch'`).Scan(&epoch)
		if errors.Is(err, sql.ErrNoRows) {
			epoch = newEpoch
			_, err = t.t.exec(ctx, `INSERT INTO meta (key, value) VALUES ('epoch', ?)`, epoch)
		}
		return err
	})
	return epoch, err
}

func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	return migrate.Version(ctx, db.rdb.DB)
}

func (db *DB) AddUser(ctx context.Context, u streetdesk.User, hash []byte, now time.Time) error {
	return db.update(ctx, func(t *writeTx) error { return t.InsertUsers(ctx, []streetdesk.User{u}, hash, now) })
}

func (db *DB) PutTeam(ctx context.Context, tm streetdesk.Team) error {
	return db.update(ctx, func(t *writeTx) error { return t.PutTeam(ctx, tm) })
}

func (db *DB) SetTeamReview(ctx context.Context, teamID string, review bool) error {
	w, err := db.writer()
	if err != nil {
		return err
	}
	_, err = w.exec(ctx, `UPDATE teams SET review = ? WHERE id = ?`, boolInt(review), teamID)
	return err
}

func (db *DB) ForgetClient(ctx context.Context, clientID string) error {
	w, err := db.writer()
	if err != nil {
		return err
	}
	_, err = w.exec(ctx, `UPDATE clients SET forgotten = 1 WHERE id = ?`, clientID)
	return err
}

func (db *DB) PruneRevocations(ctx context.Context, before time.Time) error {
	w, err := db.writer()
	if err != nil {
		return err
	}
	_, err = w.exec(ctx, `DELETE FROM change_log WHERE type = 'revoke' AND at < ?`, before.UnixMilli())
	return err
}

func (db *DB) PruneResults(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int64
	err := db.update(ctx, func(t *writeTx) error {
		// The results are their own change-log entries (migration 12).
		const oldest = `SELECT client_id, id FROM mutation_results WHERE at < ? ORDER BY at, client_id, id LIMIT ?`
		res, err := t.t.exec(ctx, `DELETE FROM mutation_results WHERE (client_id, id) IN (`+oldest+`)`, before.UnixMilli(), limit)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune results: %w", err)
	}
	return int(n), nil
}

func (db *DB) Token(ctx context.Context, hash, kind string) (store.Token, error) {
	k := store.Token{Hash: hash, Kind: kind}
	err := db.rdb.queryRow(ctx, `SELECT user_id, pair, expires_at FROM tokens WHERE hash = ? AND kind = ?`, hash, kind).
		Scan(&k.UserID, &k.Pair, &k.Expires)
	if errors.Is(err, sql.ErrNoRows) {
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
			if _, err := t.t.exec(ctx, `INSERT INTO tokens (hash, user_id, kind, pair, expires_at) VALUES (?,?,?,?,?)`,
				k.Hash, k.UserID, k.Kind, k.Pair, k.Expires); err != nil {
				return fmt.Errorf("store tokens: %w", err)
			}
		}
		if _, err := t.t.exec(ctx, `DELETE FROM tokens WHERE expires_at < ?`, now.UnixMilli()); err != nil {
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
	hashes, err := sqlrows.Column[string](t.t.query(ctx, `DELETE FROM tokens WHERE pair = ? RETURNING hash`, pair))
	if err != nil {
		return nil, fmt.Errorf("delete tokens: %w", err)
	}
	return hashes, nil
}

func (db *DB) CreateUpload(ctx context.Context, u store.Upload) error {
	w, err := db.writer()
	if err != nil {
		return err
	}
	_, err = w.exec(ctx, `INSERT INTO uploads (id, user_id, sha256, size, mime, created_at) VALUES (?,?,?,?,?,?)`,
		u.ID, u.UserID, u.SHA256, u.Size, u.MIME, u.Created.UnixMilli())
	return err
}

func (db *DB) scanUpload(r row) (store.Upload, error) {
	var u store.Upload
	var created int64
	err := r.Scan(&u.ID, &u.UserID, &u.SHA256, &u.Size, &u.MIME, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return u, notFound("upload")
	}
	u.Created = time.UnixMilli(created).UTC()
	return u, err
}

const uploadCols = `SELECT id, user_id, sha256, size, mime, created_at FROM uploads `

func (db *DB) Upload(ctx context.Context, id string) (store.Upload, error) {
	return db.scanUpload(db.rdb.queryRow(ctx, uploadCols+`WHERE id = ?`, id))
}

func (db *DB) LatestUpload(ctx context.Context, userID, sha string) (store.Upload, error) {
	return db.scanUpload(db.rdb.queryRow(ctx, uploadCols+`WHERE user_id = ? AND sha256 = ? ORDER BY created_at DESC LIMIT 1`, userID, sha))
}

func (db *DB) DeleteUpload(ctx context.Context, id string) error {
	w, err := db.writer()
	if err != nil {
		return err
	}
	_, err = w.exec(ctx, `DELETE FROM uploads WHERE id = ?`, id)
	return err
}

func (db *DB) UploadsBefore(ctx context.Context, t time.Time) ([]string, error) {
	return sqlrows.Column[string](db.rdb.query(ctx, `SELECT id FROM uploads WHERE created_at < ?`, t.UnixMilli()))
}

func (db *DB) GrantBlob(ctx context.Context, sha, userID string) error {
	w, err := db.writer()
	if err != nil {
		return err
	}
	_, err = w.exec(ctx, `INSERT OR IGNORE INTO blob_access VALUES (?,?)`, sha, userID)
	return err
}

// writeTx is a write transaction.
type writeTx struct {
	reader
	t       *tx
	db      *DB
	keys    store.KeySet     // wake keys of the entries touched
	touches []store.LogEntry // change-log entries not written yet (Touch)
}

// Commit commits and then tells the watchers whose views changed.
func (t *writeTx) Commit() error {
	if err := t.flushTouches(context.Background()); err != nil {
		return errors.Join(err, t.t.Rollback())
	}
	if err := t.t.Commit(); err != nil {
		return err
	}
	if len(t.keys) > 0 {
		t.db.watch.publish(t.keys.Wake())
		t.keys = nil
	}
	return nil
}

func (t *writeTx) Rollback() error {
	t.touches = nil
	return t.t.Rollback()
}

func (t *writeTx) InsertOrder(ctx context.Context, o *streetdesk.WorkOrder, phone string) error {
	data, err := jsonOf(o)
	if err != nil {
		return err
	}
	_, err = t.t.exec(ctx, `INSERT INTO orders (id, team_id, street_office, assignee_id, status, version, cycle, status_version, dispatched_at, citizen_phone, data)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)`, o.ID, o.TeamID, o.Location.StreetOffice, o.AssigneeID, string(o.Status), o.Version, o.Cycle,
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
	_, err = t.t.exec(ctx, `UPDATE orders SET team_id=?, street_office=?, assignee_id=?, status=?, version=?, cycle=?, status_version=?, data=? WHERE id=?`,
		o.TeamID, o.Location.StreetOffice, o.AssigneeID, string(o.Status), o.Version, o.Cycle, sv, data, o.ID)
	if err != nil {
		return fmt.Errorf("save order %s: %w", o.ID, err)
	}
	return nil
}

func (t *writeTx) Assign(ctx context.Context, orderID, userID string) error {
	_, err := t.t.exec(ctx, `INSERT OR IGNORE INTO assignments VALUES (?,?)`, orderID, userID)
	return err
}

func (t *writeTx) InsertNote(ctx context.Context, n *streetdesk.Note) (bool, error) {
	data, err := jsonOf(n)
	if err != nil {
		return false, err
	}
	res, err := t.t.exec(ctx, `INSERT INTO notes (id, order_id, data) VALUES (?,?,?) ON CONFLICT DO NOTHING`, n.ID, n.WorkOrderID, data)
	if err != nil {
		return false, fmt.Errorf("insert note: %w", err)
	}
	k, _ := res.RowsAffected()
	return k > 0, nil
}

func (t *writeTx) InsertPhotoRef(ctx context.Context, p *streetdesk.PhotoRef) (bool, error) {
	data, err := jsonOf(p)
	if err != nil {
		return false, err
	}
	res, err := t.t.exec(ctx, `INSERT INTO photo_refs (id, order_id, sha256, data) VALUES (?,?,?,?) ON CONFLICT DO NOTHING`, p.ID, p.WorkOrderID, p.SHA256, data)
	if err != nil {
		return false, fmt.Errorf("insert photo: %w", err)
	}
	k, _ := res.RowsAffected()
	return k > 0, nil
}

func (t *writeTx) UpdatePhotoRef(ctx context.Context, p *streetdesk.PhotoRef) error {
	data, err := jsonOf(p)
	if err != nil {
		return err
	}
	_, err = t.t.exec(ctx, `UPDATE photo_refs SET data = ? WHERE id = ?`, data, p.ID)
	return err
}

func (t *writeTx) PutResolution(ctx context.Context, r *streetdesk.Resolution) error {
	data, err := jsonOf(r)
	if err != nil {
		return err
	}
	_, err = t.t.exec(ctx, `INSERT INTO resolutions (id, order_id, cycle, state, data) VALUES (?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, data = excluded.data`, r.ID, r.WorkOrderID, r.Cycle, string(r.State), data)
	if err != nil {
		return fmt.Errorf("put resolution: %w", err)
	}
	return nil
}

func (t *writeTx) InsertBlob(ctx context.Context, sha string, b store.Blob, now time.Time) error {
	_, err := t.t.exec(ctx, `INSERT INTO blobs (sha256, size, mime, created_at) VALUES (?,?,?,?) ON CONFLICT DO NOTHING`, sha, b.Size, b.MIME, now.UnixMilli())
	return err
}

func (t *writeTx) GrantBlob(ctx context.Context, sha, userID string) error {
	_, err := t.t.exec(ctx, `INSERT OR IGNORE INTO blob_access VALUES (?,?)`, sha, userID)
	return err
}

func (t *writeTx) DeleteUpload(ctx context.Context, id string) error {
	_, err := t.t.exec(ctx, `DELETE FROM uploads WHERE id = ?`, id)
	return err
}

func (t *writeTx) InsertUsers(ctx context.Context, users []streetdesk.User, hash []byte, now time.Time) error {
	for _, u := range users {
		if _, err := t.t.exec(ctx, `INSERT INTO users (id, username, name, role, team_id, pw_hash, created_at) VALUES (?,?,?,?,?,?,?)`,
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
	_, err := t.t.exec(ctx, `INSERT INTO teams (id, name, street_office, district, review) VALUES (?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET name=excluded.name, street_office=excluded.street_office, district=excluded.district, review=excluded.review`,
		tm.ID, tm.Name, tm.StreetOffice, tm.District, boolInt(tm.ReviewResolutions))
	return err
}

func (t *writeTx) InsertClient(ctx context.Context, c store.Client, now time.Time) error {
	_, err := t.t.exec(ctx, `INSERT INTO clients (id, user_id, last_mutation_id, created_at) VALUES (?,?,?,?)`,
		c.ID, c.UserID, c.LastMutationID, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("register client: %w", err)
	}
	return nil
}

func (t *writeTx) SetLastMutationID(ctx context.Context, clientID string, last int64) error {
	_, err := t.t.exec(ctx, `UPDATE clients SET last_mutation_id = ? WHERE id = ?`, last, clientID)
	return err
}

// StoreResults writes the results, each with a number of the change log's
// sequence (reserved from its AUTOINCREMENT counter, after the entries
// touched before them) by which a client pulls its results
// (migration 12): one multi-row INSERT and no change-log rows.
func (t *writeTx) StoreResults(ctx context.Context, clientID, userID string, rs []store.ResultRow, now time.Time) error {
	if len(rs) == 0 {
		return nil
	}
	if err := t.flushTouches(ctx); err != nil { // the results come after
		return err
	}
	last, err := t.reserveSeqs(ctx, len(rs))
	if err != nil {
		return fmt.Errorf("store results: %w", err)
	}
	seq := last - int64(len(rs))
	at := now.UnixMilli()
	args := make([]any, 0, 10*len(rs))
	for _, r := range rs {
		seq++
		args = append(args, clientID, r.ID, r.Key, r.Fingerprint, userID, boolInt(r.Effect), string(r.Result), at, seq, r.OrderID)
	}
	q := `INSERT INTO mutation_results (client_id, id, key, fingerprint, user_id, effect, result, at, seq, order_id) VALUES (?,?,?,?,?,?,?,?,?,?)` +
		strings.Repeat(",(?,?,?,?,?,?,?,?,?,?)", len(rs)-1)
	if _, err := t.t.exec(ctx, q, args...); err != nil {
		return fmt.Errorf("store results: %w", err)
	}
	return nil
}

// reserveSeqs takes n numbers of the change log's sequence and returns the
// last. The change log's AUTOINCREMENT goes on past the counter
// sqlite_sequence keeps (SQLite documents it as writable), so no later
// entry gets a reserved number.
func (t *writeTx) reserveSeqs(ctx context.Context, n int) (int64, error) {
	var last int64
	err := t.t.queryRow(ctx, `UPDATE sqlite_sequence SET seq = seq + ? WHERE name = 'change_log' RETURNING seq`, n).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) { // the change log was never written
		_, err = t.t.exec(ctx, `INSERT INTO sqlite_sequence (name, seq) VALUES ('change_log', ?)`, n)
		last = int64(n)
	}
	return last, err
}

// Touch replaces the entity's row: REPLACE deletes the old one, and the new
// one gets the next AUTOINCREMENT sequence number. The entry waits in the
// transaction and goes in with the others in multi-row statements, in the
// order they were touched (flushTouches), before anything else reads or
// writes the change log, at a savepoint's edges and at the commit: a push
// of 1,000 notes wrote its entries one statement each.
func (t *writeTx) Touch(ctx context.Context, e store.LogEntry) error {
	if t.keys == nil {
		t.keys = store.KeySet{}
	}
	e.WakeKeys(t.keys.Add)
	t.touches = append(t.touches, e)
	return nil
}

// touchRows bounds a statement of flushTouches (nine parameters a row).
const touchRows = 500

func (t *writeTx) flushTouches(ctx context.Context) error {
	const cols = 9
	const row = "(?,?,?,?,?,?,?,?,?)"
	for len(t.touches) > 0 {
		batch := t.touches[:min(len(t.touches), touchRows)]
		args := make([]any, 0, cols*len(batch))
		for _, e := range batch {
			args = append(args, e.Type, e.EntityID, e.OrderID, e.AssigneeID, e.TeamID, e.UserID, string(e.Extra), e.Version, e.At.UnixMilli())
		}
		q := `INSERT OR REPLACE INTO change_log (type, entity_id, order_id, assignee_id, team_id, user_id, extra, version, at) VALUES ` +
			row + strings.Repeat(","+row, len(batch)-1)
		if _, err := t.t.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("change log: %w", err)
		}
		t.touches = t.touches[len(batch):]
	}
	t.touches = nil
	return nil
}

func (t *writeTx) HideOrder(ctx context.Context, orderID string) error {
	if err := t.flushTouches(ctx); err != nil {
		return err
	}
	_, err := t.t.exec(ctx, `UPDATE change_log SET assignee_id = '' WHERE order_id = ? AND type <> 'revoke'`, orderID)
	return err
}

// The change-log reads of a write transaction see its entries.

func (t *writeTx) MaxSeq(ctx context.Context) (int64, error) {
	if err := t.flushTouches(ctx); err != nil {
		return 0, err
	}
	return t.reader.MaxSeq(ctx)
}

func (t *writeTx) ScopeSeqs(ctx context.Context, s store.Scope, userID string) (int64, int64, error) {
	if err := t.flushTouches(ctx); err != nil {
		return 0, 0, err
	}
	return t.reader.ScopeSeqs(ctx, s, userID)
}

func (t *writeTx) Changes(ctx context.Context, q store.ChangeQuery, fn func(*store.Change) error) error {
	if err := t.flushTouches(ctx); err != nil {
		return err
	}
	return t.reader.Changes(ctx, q, fn)
}

func (t *writeTx) OrderEntities(ctx context.Context, orderID string) ([]store.Entity, error) {
	if err := t.flushTouches(ctx); err != nil {
		return nil, err
	}
	return t.reader.OrderEntities(ctx, orderID)
}

// A savepoint's edges write the entries touched before them, so that
// ROLLBACK TO undoes exactly what came after the savepoint.

func (t *writeTx) Savepoint(ctx context.Context) error {
	if err := t.flushTouches(ctx); err != nil {
		return err
	}
	_, err := t.t.exec(ctx, `SAVEPOINT m`)
	return err
}

func (t *writeTx) RollbackTo(ctx context.Context) error {
	t.touches = nil // touched after the savepoint: undone with the rest
	_, err := t.t.exec(ctx, `ROLLBACK TO m`)
	return err
}

func (t *writeTx) Release(ctx context.Context) error {
	if err := t.flushTouches(ctx); err != nil {
		return err
	}
	_, err := t.t.exec(ctx, `RELEASE m`)
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
