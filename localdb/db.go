// Package localdb is the caseworker's local store: the shadow
// copy of the platform's orders written only by sync, the transactional
// outbox of intents, local notes, photos and resolutions, the conflicts
// inbox and a Chinese full-text index. It implements
// streetdesk.OrderService and the sync engine's Store.
package localdb

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/migrate"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options configure Open.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives diagnostics (default: discarded).
	Logger *slog.Logger
	// User is the signed-in user: role and id drive lifecycle checks.
	User streetdesk.User
	// Calendar computes working days and risk (default streetdesk.DefaultCalendar()).
	Calendar *streetdesk.Calendar
	// MaxMigration stops migrating after this number (0: all). For tests of
	// upgrades only.
	MaxMigration int
	// ReadConns is the size of the read pool (default 4).
	ReadConns int
}

// DB is an open local store. It is safe for concurrent use.
type DB struct {
	w, r *sql.DB
	now  func() time.Time
	log  *slog.Logger
	cal  *streetdesk.Calendar

	mu   sync.Mutex
	user streetdesk.User

	notify  signal // after a local commit (Notify)
	ixWatch signal // when the search backlog may have changed (IndexChanged)

	// search is false while the schema predates the search index (tests of
	// upgrades open a database at migration 1).
	search bool
	// audit is false while the schema predates the action log (tests of
	// upgrades); the log then records nothing.
	audit bool
	// bulk: the schema has the indexes a first sync defers (bulkload.go);
	// ixDeferred: they may be missing from a reader's snapshot right now.
	// bulkDue: a first sync has ended and its indexes wait for the indexer.
	bulk       bool
	ixDeferred atomic.Bool
	bulkDue    atomic.Bool
	bulkMu     sync.Mutex // serializes finishBulk

	// The background search indexer (see indexLoop).
	queued    atomic.Bool // a transaction queued search work
	holdIndex atomic.Bool // a multi-page pull is under way: index after its last page
	indexKick chan struct{}
	indexDone chan struct{}
	stopIndex context.CancelFunc

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // prepared once on the writer (see cachedTx)
	wanted map[string]bool      // to prepare once the writer is free
	rstmts map[string]*sql.Stmt // prepared on the read pool (see readStmt)

	// failHook, when set (tests only), is called at named points inside write
	// transactions; an error aborts the transaction.
	failHook func(stage string) error
}

// Open opens (creating if needed) the database at path, checks its pragmas
// and applies pending migrations.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Calendar == nil {
		opts.Calendar = streetdesk.DefaultCalendar()
	}
	opts.Calendar.SetLogger(opts.Logger)
	if opts.ReadConns <= 0 {
		opts.ReadConns = 4
	}
	uri, err := fileURI(path, runtime.GOOS == "windows")
	if err != nil {
		return nil, err
	}
	// Memory (the desk's RSS; docs/benchmarks.md, sync): no connection maps the
	// file (mmap_size 0). Mapped pages count in the process's RSS, and the
	// kernel maps them in large folios, so a 1 MB scan of the shadow showed
	// as ~18 MB; pread into the page cache measured no slower. Each
	// connection has its own page cache: the readers keep 16 MB each for the
	// queue and search, the writer 2 MB, since it mostly appends (a first
	// sync) or touches a few pages (an edit, a pull page) and reads the rest
	// from the OS's cache; its 16 MB cache was ~28 MB of a first sync's RSS.
	params := "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)" +
		"&_pragma=mmap_size(0)&_pragma=wal_autocheckpoint(" + fmt.Sprint(checkpointPages) + ")"
	w, err := sql.Open("sqlite", uri+params+"&_pragma=cache_size(-2000)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	db := &DB{w: w, now: opts.Now, log: opts.Logger, cal: opts.Calendar, user: opts.User}
	if err := db.checkPragmas(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	v, err := db.migrate(ctx, opts.MaxMigration)
	if err != nil {
		w.Close()
		return nil, err
	}
	db.search = v >= 2
	db.bulk = v >= bulkSchema
	db.audit = v >= auditSchema
	if err := db.ensureIndexes(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("restore shadow indexes: %w", err)
	}
	// The read pool opens after migrating so it never sees a half-made schema.
	r, err := sql.Open("sqlite", uri+params+"&_pragma=cache_size(-16000)&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(opts.ReadConns)
	r.SetMaxIdleConns(opts.ReadConns)
	db.r = r
	if err := db.checkPragmas(ctx, r); err != nil {
		db.Close()
		return nil, err
	}
	if db.search {
		ictx, cancel := context.WithCancel(context.Background())
		db.stopIndex, db.indexKick, db.indexDone = cancel, make(chan struct{}, 1), make(chan struct{})
		go db.indexLoop(ictx)
		db.kickIndexer() // work left by a previous run
	}
	return db, nil
}

// fileURI turns a file system path into a SQLite file: URI, so that '?', '#'
// and '%' in names and Windows drive letters are read as the path.
func fileURI(path string, windows bool) (string, error) {
	if path == "" {
		return "", streetdesk.Errorf(streetdesk.EINVALID, "database path is empty")
	}
	p := path
	if windows {
		p = strings.ReplaceAll(p, `\`, "/")
		if len(p) >= 2 && p[1] == ':' {
			p = "/" + p // C:/x → /C:/x, so the URI reads file:///C:/x
		}
	} else if !filepath.IsAbs(p) {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("database path %s: %w", path, err)
		}
		p = abs
	}
	u := url.URL{Scheme: "file", Path: p, OmitHost: false}
	s := u.String()
	if !strings.HasPrefix(s, "file://") {
		s = "file://" + strings.TrimPrefix(s, "file:")
	}
	return s, nil
}

func (db *DB) checkPragmas(ctx context.Context, d *sql.DB) error {
	conn, err := d.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	var mode string
	var syncMode, fk int
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal_mode: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syncMode); err != nil {
		return fmt.Errorf("read synchronous: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return fmt.Errorf("read foreign_keys: %w", err)
	}
	if !strings.EqualFold(mode, "wal") || syncMode != 2 || fk != 1 {
		return fmt.Errorf("localdb: database settings not applied (journal_mode=%s synchronous=%d foreign_keys=%d; want wal, 2, 1): is the file on a network or read-only drive?", mode, syncMode, fk)
	}
	return nil
}

// Close stops the background indexer and closes both pools. Queued search
// work stays queued for the next Open.
func (db *DB) Close() error {
	if db.stopIndex != nil {
		db.stopIndex()
		<-db.indexDone
		db.stopIndex = nil
	}
	var errs []error
	db.stmtMu.Lock()
	for _, st := range db.stmts {
		errs = append(errs, st.Close())
	}
	db.stmts = nil
	for _, st := range db.rstmts {
		errs = append(errs, st.Close())
	}
	db.rstmts = nil
	db.stmtMu.Unlock()
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	errs = append(errs, db.w.Close())
	return errors.Join(errs...)
}

// SetUser changes the signed-in user (role and id drive lifecycle checks).
func (db *DB) SetUser(u streetdesk.User) {
	db.mu.Lock()
	db.user = u
	db.mu.Unlock()
}

// User returns the signed-in user.
func (db *DB) User() streetdesk.User {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.user
}

// Notify returns a channel that is closed after the next local commit (a
// local action or a sync write). Take a new channel after each wake-up.
func (db *DB) Notify() <-chan struct{} { return db.notify.wait() }

// IndexChanged returns a channel that is closed when the search index's
// backlog (Counts.Indexing) may have changed: a first sync left its orders
// to the indexer, or the indexer caught up. Take a new channel after each
// wake-up.
func (db *DB) IndexChanged() <-chan struct{} { return db.ixWatch.wait() }

func (db *DB) indexChanged() { db.ixWatch.fire() }

func (db *DB) changed() { db.notify.fire() }

// signal is a channel closed at the next fire: a watcher takes it with
// wait, waits on it, then takes a new one.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *signal) fire() {
	s.mu.Lock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
	s.mu.Unlock()
}

func (db *DB) hook(stage string) error {
	if db.failHook != nil {
		return db.failHook(stage)
	}
	return nil
}

// tx runs fn in one write transaction and signals Notify after a commit.
func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := db.hook("commit"); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return translate(err, "commit")
	}
	db.prepareWanted(context.WithoutCancel(ctx))
	if !db.holdIndex.Load() && db.queued.Swap(false) {
		db.kickIndexer()
	}
	db.changed()
	return nil
}

// migrations are localdb's schema steps; the second fills the new search
// index from the rows already there.
var migrations = migrate.Set{
	FS:      migrationFS,
	Dir:     "migrations",
	Dialect: migrate.SQLite,
	Post:    map[int]func(ctx context.Context, tx *sql.Tx) error{2: reindexAll},
}

// Migrations returns the number of embedded migrations.
func Migrations() int { return migrations.Len() }

// migrate applies pending migrations (up to max, 0: all) and returns the
// schema version.
func (db *DB) migrate(ctx context.Context, max int) (int, error) {
	v, err := migrations.Up(ctx, db.w, migrate.Options{Max: max, Now: db.now, Logger: db.log})
	var tooNew *migrate.TooNewError
	if errors.As(err, &tooNew) {
		return v, streetdesk.Errorf(streetdesk.EINVALID, "the local database is from a newer StreetDesk (schema %d, this program knows %d)", tooNew.Have, tooNew.Know)
	}
	return v, err
}

// SchemaVersion returns the highest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	return migrate.Version(ctx, db.w)
}

// translate maps database errors to application errors at the edge.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return streetdesk.Errorf(streetdesk.ENOTFOUND, "%s: not found", what)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return streetdesk.Errorf(streetdesk.ECONFLICT, "%s: already exists", what)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return streetdesk.Errorf(streetdesk.EINVALID, "%s: %v", what, se)
		}
	}
	var ae *streetdesk.Error
	var te *streetdesk.TransitionError
	if errors.As(err, &ae) || errors.As(err, &te) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}

// cachedTx runs the hot statements of local actions through statements
// prepared once on the writer connection: the driver prepares every
// statement anew otherwise, which was a third of a local edit.
type cachedTx struct {
	db *DB
	tx *sql.Tx
}

func (c cachedTx) stmt(ctx context.Context, q string) *sql.Stmt {
	c.db.stmtMu.Lock()
	defer c.db.stmtMu.Unlock()
	st, ok := c.db.stmts[q]
	if !ok {
		// The transaction holds the only writer connection, so the
		// statement is prepared after it ends (prepareWanted).
		if c.db.wanted == nil {
			c.db.wanted = map[string]bool{}
		}
		c.db.wanted[q] = true
		return nil
	}
	// On the single writer connection the prepared statement is reused.
	return c.tx.StmtContext(ctx, st)
}

// readStmt returns q prepared on the read pool: database/sql prepares it
// once per read connection and reuses it, where QueryContext parses it anew
// on every call (most of a query on a small table such as the outbox).
func (db *DB) readStmt(ctx context.Context, q string) (*sql.Stmt, error) {
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	if st, ok := db.rstmts[q]; ok {
		return st, nil
	}
	st, err := db.r.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if db.rstmts == nil {
		db.rstmts = map[string]*sql.Stmt{}
	}
	db.rstmts[q] = st
	return st, nil
}

// prepareWanted prepares the statements cachedTx asked for; it runs after a
// commit, when the writer connection is free.
func (db *DB) prepareWanted(ctx context.Context) {
	db.stmtMu.Lock()
	var qs []string
	for q := range db.wanted {
		qs = append(qs, q)
	}
	db.wanted = nil
	db.stmtMu.Unlock()
	for _, q := range qs {
		st, err := db.w.PrepareContext(ctx, q)
		if err != nil {
			continue // used unprepared
		}
		db.stmtMu.Lock()
		if db.stmts == nil {
			db.stmts = map[string]*sql.Stmt{}
		}
		if _, dup := db.stmts[q]; dup {
			st.Close()
		} else {
			db.stmts[q] = st
		}
		db.stmtMu.Unlock()
	}
}

func (c cachedTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.tx.ExecContext(ctx, q, args...)
}

func (c cachedTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.tx.QueryContext(ctx, q, args...)
}

func (c cachedTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := c.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.tx.QueryRowContext(ctx, q, args...)
}
