// Package migrate applies numbered SQL migrations, embedded in the program,
// to a database/sql database: each file once, in its own transaction,
// recorded in the table schema_migrations. localdb and the platform's SQLite
// store use it; a store on another database brings its own Set with its own
// Dialect and files.
package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Dialect is what differs between the databases a Set can target.
type Dialect struct {
	// Bind returns the n-th (1-based) query placeholder: "?" for SQLite,
	// "$1" for PostgreSQL.
	Bind func(n int) string
	// Lock, when set, runs first in every migration's transaction. Several
	// processes that migrate one shared database at once serialize on it
	// (e.g. an advisory lock); each then re-reads the version inside its
	// transaction and skips what another one applied.
	Lock string
}

// SQLite is the dialect of modernc.org/sqlite. Its writers open transactions
// with BEGIN IMMEDIATE, which already serializes migrators.
var SQLite = Dialect{Bind: func(int) string { return "?" }}

// Migration is one numbered schema step.
type Migration struct {
	N    int
	Name string // the file name, e.g. 0002_search.sql
	SQL  string
	// Post runs Go code after the SQL in the same transaction (e.g. to fill a
	// new index from existing rows).
	Post func(ctx context.Context, tx *sql.Tx) error
}

// Set is one store's migrations: the files NNNN_what.sql in Dir of FS,
// numbered 1, 2, … without gaps.
type Set struct {
	FS      fs.FS
	Dir     string
	Dialect Dialect
	// Post maps a migration number to Go code run after its SQL.
	Post map[int]func(ctx context.Context, tx *sql.Tx) error
}

// Load reads and checks the set's files.
func (s Set) Load() ([]Migration, error) {
	ents, err := fs.ReadDir(s.FS, s.Dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", e.Name())
		}
		b, err := fs.ReadFile(s.FS, path.Join(s.Dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		ms = append(ms, Migration{N: n, Name: e.Name(), SQL: string(b), Post: s.Post[n]})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].N < ms[j].N })
	for i, m := range ms {
		if m.N != i+1 {
			return nil, fmt.Errorf("migrations must be numbered 1, 2, … without gaps or repeats: found %s", m.Name)
		}
	}
	return ms, nil
}

// Len returns the number of migrations in the set, or 0 if it cannot be
// loaded (Up reports why).
func (s Set) Len() int {
	ms, _ := s.Load()
	return len(ms)
}

// TooNewError says the database was migrated by a newer program: it has
// migrations this one does not know, so this program must not write to it.
type TooNewError struct {
	Have, Know int
}

func (e *TooNewError) Error() string {
	return fmt.Sprintf("database schema %d is newer than this program's %d", e.Have, e.Know)
}

// Options configure Up.
type Options struct {
	// Max stops after this migration (0: all). For tests of upgrades.
	Max int
	// Now stamps applied_at (default time.Now).
	Now func() time.Time
	// Logger receives one line per applied migration (default: none).
	Logger *slog.Logger
}

const createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`

// Up applies the set's pending migrations to db in number order and returns
// the schema version it leaves. A database with more migrations than the set
// knows is a *TooNewError and is left untouched.
func (s Set) Up(ctx context.Context, db *sql.DB, opts Options) (int, error) {
	ms, err := s.Load()
	if err != nil {
		return 0, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if _, err := db.ExecContext(ctx, createTable); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	cur, err := Version(ctx, db)
	if err != nil {
		return 0, err
	}
	if cur > len(ms) {
		return cur, &TooNewError{Have: cur, Know: len(ms)}
	}
	for _, m := range ms[cur:] {
		if opts.Max > 0 && m.N > opts.Max {
			break
		}
		applied, err := s.apply(ctx, db, m, opts.Now())
		if err != nil {
			return cur, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		cur = m.N
		if applied && opts.Logger != nil {
			opts.Logger.Info("schema migrated", "migration", m.Name)
		}
	}
	return cur, nil
}

// apply runs one migration in its own transaction; it reports false when
// another process applied it first.
func (s Set) apply(ctx context.Context, db *sql.DB, m Migration, now time.Time) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if s.Dialect.Lock != "" {
		if _, err := tx.ExecContext(ctx, s.Dialect.Lock); err != nil {
			return false, fmt.Errorf("lock: %w", err)
		}
	}
	var cur int
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&cur); err != nil {
		return false, fmt.Errorf("read schema version: %w", err)
	}
	if cur >= m.N {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	if m.Post != nil {
		if err := m.Post(ctx, tx); err != nil {
			return false, err
		}
	}
	bind := s.Dialect.Bind
	if bind == nil {
		bind = SQLite.Bind
	}
	ins := "INSERT INTO schema_migrations (version, name, applied_at) VALUES (" + bind(1) + ", " + bind(2) + ", " + bind(3) + ")"
	if _, err := tx.ExecContext(ctx, ins, m.N, m.Name, now.UnixMilli()); err != nil {
		return false, fmt.Errorf("record: %w", err)
	}
	return true, tx.Commit()
}

// Version returns the highest applied migration (0 when none is). The table
// must exist: Up creates it.
func Version(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
