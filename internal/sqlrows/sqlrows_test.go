package sqlrows_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/streetdesk/streetdesk/internal/sqlrows"
	_ "modernc.org/sqlite"
)

func open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE t (id TEXT, n INTEGER); INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', NULL)`); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestColumn(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	got, err := sqlrows.Column[string](db.QueryContext(ctx, "SELECT id FROM t ORDER BY id"))
	if err != nil || !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("Column: %v, %v", got, err)
	}
	// A NULL does not fit an int64: the scan error comes back.
	if got, err := sqlrows.Column[int64](db.QueryContext(ctx, "SELECT n FROM t ORDER BY id")); err == nil {
		t.Fatalf("Column over a NULL: %v, want an error", got)
	}
	if _, err := sqlrows.Column[string](db.QueryContext(ctx, "SELECT nope FROM t")); err == nil {
		t.Fatal("Column of a bad query: no error")
	}
}

// An error that ends the iteration (here: the context ends mid-query) is
// reported; a loop over rows.Next alone would take it for the end.
func TestEachReportsIterationError(t *testing.T) {
	db := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	rows, err := db.QueryContext(ctx, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c")
	n := 0
	err = sqlrows.Each(rows, err, func(r *sql.Rows) error {
		n++
		if n == 100 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Each after %d rows: %v, want context.Canceled", n, err)
	}
	stop := errors.New("stop")
	calls := 0
	rows, err = db.QueryContext(context.Background(), "SELECT id FROM t")
	err = sqlrows.Each(rows, err, func(*sql.Rows) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("Each with a failing scan: %v after %d calls", err, calls)
	}
}
