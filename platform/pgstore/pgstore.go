// Package pgstore keeps the platform's data in PostgreSQL (pgx): the store
// of a city, where several identical platformd instances share one
// database. Nothing an instance must share lives in it: write transactions
// take their turn on a transaction-scoped advisory lock (one writer at a
// time across every instance, as on SQLite, so the change log's numbers
// follow commit order), and migrations run under a session advisory lock
// (a second instance starting at the same time waits, then finds them
// applied).
package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/migrate"
	"github.com/streetdesk/streetdesk/platform/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

var migrations = migrate.Set{FS: migrationFS, Dir: "migrations",
	Dialect: migrate.Dialect{Bind: func(n int) string { return fmt.Sprintf("$%d", n) }}}

// Migrations returns the number of the store's migrations.
func Migrations() int { return migrations.Len() }

// Advisory lock keys (one 64-bit space per database).
const (
	lockMigrate int64 = 0x5344_0001 // "SD" 1: schema migrations
	lockWriter  int64 = 0x5344_0002 // "SD" 2: the writer's turn
)

// Options configure Open.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time // stamps applied migrations
	// ReadOnly connects without migrating (an audit of a running platform).
	ReadOnly bool
	// MaxConns bounds the connections of this instance (default 16).
	MaxConns int
	// AcquireTimeout is how long a request waits for a free connection
	// before it fails with store.ErrUnavailable (default 2 s): a pool
	// exhausted answers 503, it does not hang.
	AcquireTimeout time.Duration
}

// DB is the platform's PostgreSQL store.
type DB struct {
	reader
	pool    *pgxpool.Pool
	wait    time.Duration
	writers chan struct{}   // this instance's turn to wait for the writer lock
	connCfg *pgx.ConnConfig // for the listening connection (Watch)
	log     *slog.Logger
}

var _ store.Store = (*DB)(nil)

// Open connects to the database at dsn (postgres://…) and migrates it.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 16
	}
	if opts.AcquireTimeout <= 0 {
		opts.AcquireTimeout = 2 * time.Second
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "platform: --db: not a PostgreSQL URL: %v", err)
	}
	cfg.MaxConns = int32(opts.MaxConns)
	cfg.HealthCheckPeriod = 10 * time.Second
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "platformd"
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("platform: PostgreSQL at %s: %w", where, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("platform: cannot reach PostgreSQL at %s: %s", where, lastLine(err))
	}
	if !opts.ReadOnly {
		if err := migrateUp(ctx, cfg.ConnConfig, opts); err != nil {
			pool.Close()
			return nil, fmt.Errorf("platform: PostgreSQL at %s: %w", where, err)
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	db := &DB{pool: pool, wait: opts.AcquireTimeout, writers: make(chan struct{}, 1),
		connCfg: cfg.ConnConfig.Copy(), log: opts.Logger}
	db.reader = reader{db.q()}
	return db, nil
}

// migrateUp applies the migrations on one connection that first takes the
// migration lock: another instance migrating at the same time waits for it,
// then finds nothing left to do.
func migrateUp(ctx context.Context, cc *pgx.ConnConfig, opts Options) error {
	sdb := stdlib.OpenDB(*cc.Copy())
	defer func() { _ = sdb.Close() }() // nothing of the migration depends on it
	sdb.SetMaxOpenConns(1)             // every statement on the session that holds the lock
	sdb.SetMaxIdleConns(1)
	if _, err := sdb.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockMigrate); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() {
		// Closing the session would release it too.
		_, _ = sdb.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockMigrate)
	}()
	_, err := migrations.Up(ctx, sdb, migrate.Options{Now: opts.Now, Logger: opts.Logger})
	var tooNew *migrate.TooNewError
	if errors.As(err, &tooNew) {
		return streetdesk.Errorf(streetdesk.EINVALID, "the database is from a newer platformd (schema %d, this program knows %d)", tooNew.Have, tooNew.Know)
	}
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	return nil
}

// Close closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// q is the pool as a queryer: each call takes a connection for at most the
// acquire timeout.
func (db *DB) q() queryer { return poolQ{db} }

type poolQ struct{ db *DB }

func (p poolQ) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, p.db.wait)
	defer cancel()
	c, err := p.db.pool.Acquire(actx)
	if err != nil {
		if ctx.Err() == nil {
			return nil, fmt.Errorf("%w: no database connection free: %w", store.ErrUnavailable, err)
		}
		return nil, err
	}
	return c, nil
}

func (p poolQ) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		c.Release()
		return nil, translate(err)
	}
	return &releasingRows{Rows: rows, c: c}, nil
}

func (p poolQ) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c, err := p.acquire(ctx)
	if err != nil {
		return errRow{err}
	}
	r := c.QueryRow(ctx, sql, args...)
	return releasingRow{r, c}
}

func (p poolQ) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	defer c.Release()
	tag, err := c.Exec(ctx, sql, args...)
	return tag, translate(err)
}

// releasingRows gives its connection back when closed.
type releasingRows struct {
	pgx.Rows
	c *pgxpool.Conn
}

func (r *releasingRows) Close() {
	r.Rows.Close()
	if r.c != nil {
		r.c.Release()
		r.c = nil
	}
}

func (r *releasingRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *releasingRows) Err() error { return translate(r.Rows.Err()) }

type releasingRow struct {
	r pgx.Row
	c *pgxpool.Conn
}

func (r releasingRow) Scan(dest ...any) error {
	defer r.c.Release()
	return translate(r.r.Scan(dest...))
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type translatingRows struct{ pgx.Rows }

func (r translatingRows) Err() error { return translate(r.Rows.Err()) }

type translatingRow struct{ r pgx.Row }

func (r translatingRow) Scan(dest ...any) error { return translate(r.r.Scan(dest...)) }

// translate marks failures that may pass as store.ErrUnavailable: the
// server shutting down or restarting, the connection lost or refused, too
// many connections, a lock or serialization conflict. Other errors pass
// unchanged.
func translate(err error) error {
	if err == nil || errors.Is(err, pgx.ErrNoRows) || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code[:2] == "08", // connection exception
			pe.Code[:2] == "57", // operator intervention: shutdown, cannot connect now
			pe.Code == "53300",  // too many connections
			pe.Code == "40001", pe.Code == "40P01", pe.Code == "55P03":
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
		return err
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, context.DeadlineExceeded) || isConnLost(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// lastLine is the cause of a failed connection in one line: pgx lists each
// address it tried on a line of its own, the last one being the cause.
func lastLine(err error) string {
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if _, cause, ok := strings.Cut(l, "dial error: "); ok {
		return cause
	}
	return l
}

// isConnLost reports a connection that broke under a statement.
func isConnLost(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// isUnique reports whether err is a unique (or primary key) violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// MigrationLock is the advisory lock key migrations run under.
const MigrationLock = lockMigrate
