package migrate_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/streetdesk/streetdesk/internal/migrate"
	_ "modernc.org/sqlite"
)

func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func set(files map[string]string) migrate.Set {
	fs := fstest.MapFS{}
	for name, body := range files {
		fs["m/"+name] = &fstest.MapFile{Data: []byte(body)}
	}
	return migrate.Set{FS: fs, Dir: "m", Dialect: migrate.SQLite}
}

var three = map[string]string{
	"0001_a.sql": "CREATE TABLE a (x INTEGER);",
	"0002_b.sql": "CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (1);",
	"0003_c.sql": "ALTER TABLE a ADD COLUMN z TEXT;",
	"README.md":  "not a migration",
}

func TestUpAppliesEachOnceInOrder(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "db"))
	s := set(three)
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	v, err := s.Up(ctx, db, migrate.Options{Max: 2, Now: func() time.Time { return at }})
	if err != nil || v != 2 {
		t.Fatalf("Up to 2: %d, %v", v, err)
	}
	for range 2 { // the second run has nothing to do
		if v, err := s.Up(ctx, db, migrate.Options{}); err != nil || v != 3 {
			t.Fatalf("Up: %d, %v", v, err)
		}
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM a").Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows of a: %d, %v (migration 2 must run once)", n, err)
	}
	rows, err := db.Query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var v int
		var name string
		var ms int64
		if err := rows.Scan(&v, &name, &ms); err != nil {
			t.Fatal(err)
		}
		got = append(got, name)
		if v <= 2 && ms != at.UnixMilli() {
			t.Errorf("%s applied_at %d, want the injected clock %d", name, ms, at.UnixMilli())
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "0001_a.sql,0002_b.sql,0003_c.sql" {
		t.Fatalf("recorded %v", got)
	}
	if v, err := migrate.Version(ctx, db); err != nil || v != 3 {
		t.Fatalf("Version: %d, %v", v, err)
	}
}

func TestLoadRejectsBadNumbering(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"gap":       {"0001_a.sql": "", "0003_c.sql": ""},
		"repeat":    {"0001_a.sql": "", "0001_b.sql": ""},
		"no number": {"init.sql": ""},
		"zero":      {"0000_a.sql": ""},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := set(files).Load(); err == nil {
				t.Fatal("Load accepted it")
			}
		})
	}
}

// A failing migration leaves the database at the previous version, with
// nothing of itself applied (its SQL and its Post share one transaction).
func TestFailedMigrationChangesNothing(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "db"))
	s := set(three)
	boom := errors.New("boom")
	s.Post = map[int]func(context.Context, *sql.Tx) error{2: func(context.Context, *sql.Tx) error { return boom }}
	v, err := s.Up(ctx, db, migrate.Options{})
	if !errors.Is(err, boom) || v != 1 {
		t.Fatalf("Up: %d, %v; want 1 and the Post error", v, err)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'b'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("table b exists after the failed migration: %d, %v", n, err)
	}
	s.Post = nil
	if v, err := s.Up(ctx, db, migrate.Options{}); err != nil || v != 3 {
		t.Fatalf("Up after fixing: %d, %v", v, err)
	}
}

func TestUpRefusesNewerDatabase(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "db"))
	if _, err := set(three).Up(ctx, db, migrate.Options{}); err != nil {
		t.Fatal(err)
	}
	older := set(map[string]string{"0001_a.sql": three["0001_a.sql"]})
	_, err := older.Up(ctx, db, migrate.Options{})
	var tooNew *migrate.TooNewError
	if !errors.As(err, &tooNew) || tooNew.Have != 3 || tooNew.Know != 1 {
		t.Fatalf("Up by an older program: %v, want TooNewError{3, 1}", err)
	}
}

// Processes that migrate one database at once each apply every migration
// exactly once between them. The dialect's Lock runs first in each
// migration's transaction.
func TestConcurrentMigratorsApplyOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	setup := openDB(t, path)
	if _, err := setup.Exec("CREATE TABLE locks (n INTEGER)"); err != nil {
		t.Fatal(err)
	}
	s := set(three)
	s.Dialect.Lock = "INSERT INTO locks VALUES (1)"
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		db := openDB(t, path)
		wg.Go(func() {
			_, errs[i] = s.Up(ctx, db, migrate.Options{})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var rows, locks int
	if err := setup.QueryRow("SELECT count(*) FROM a").Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("migration 2 ran %d times (%v)", rows, err)
	}
	// Only transactions that applied their migration commit the lock row.
	if err := setup.QueryRow("SELECT count(*) FROM locks").Scan(&locks); err != nil || locks != 3 {
		t.Fatalf("lock rows %d (%v), want 3", locks, err)
	}
}
