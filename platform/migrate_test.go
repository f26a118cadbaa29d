package platform_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/sqlrows"
	"github.com/streetdesk/streetdesk/platform"
	"github.com/streetdesk/streetdesk/platform/sqlitestore"
	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite"
)

// A database that platformd made before numbered migrations (the schema of
// testdata/schema-before-migrations.sql, no schema_migrations table) is
// adopted: its data, epoch and accounts stay, and its schema ends up exactly
// what a new database gets.
func TestOpenUpgradesDatabaseFromBeforeMigrations(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	raw := openRaw(t, old)
	schema, err := os.ReadFile(filepath.Join("testdata", "schema-before-migrations.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, string(schema)); err != nil {
		t.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	o := streetdesk.WorkOrder{ID: "WO-OLD-1", Title: "路灯不亮", Status: streetdesk.StatusDispatched, AssigneeID: "u-cw01",
		TeamID: "teamA", Version: 3, DispatchedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, streetdesk.ChinaTZ)}
	data, _ := json.Marshal(o)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO meta (key, value) VALUES ('epoch', 'e0e0e0e0')`, nil},
		{`INSERT INTO teams (id, name, street_office, district, review) VALUES ('teamA', '城管组', '桂园街道', '罗湖区', 0)`, nil},
		{`INSERT INTO users (id, username, name, role, team_id, pw_hash, created_at) VALUES ('u-cw01', 'cw01', '王芳', 'caseworker', 'teamA', ?, 0)`, []any{hash}},
		{`INSERT INTO orders (id, team_id, street_office, assignee_id, status, version, cycle, status_version, dispatched_at, data)
			VALUES ('WO-OLD-1', 'teamA', '桂园街道', 'u-cw01', 'dispatched', 3, 0, 1, 0, ?)`, []any{string(data)}},
	} {
		if _, err := raw.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()

	srv := openPlatform(t, old)
	if v, err := srv.SchemaVersion(ctx); err != nil || v != sqlitestore.Migrations() {
		t.Fatalf("schema version %d (%v), want %d", v, err, sqlitestore.Migrations())
	}
	got, err := srv.Order(ctx, "WO-OLD-1")
	if err != nil || got.Title != o.Title || got.Version != 3 {
		t.Fatalf("order after upgrade: %+v, %v", got, err)
	}
	if tok := login(t, newServer(t, srv), "cw01", testPassword); tok == "" {
		t.Fatal("no token after upgrade")
	}
	srv.Close()

	raw = openRaw(t, old)
	var epoch string
	if err := raw.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'epoch'`).Scan(&epoch); err != nil || epoch != "e0e0e0e0" {
		t.Fatalf("epoch after upgrade %q (%v): every desk's cursor would reset", epoch, err)
	}
	upgraded := schemaOf(t, raw)
	raw.Close()

	fresh := filepath.Join(dir, "fresh.db")
	openPlatform(t, fresh).Close()
	raw = openRaw(t, fresh)
	defer raw.Close()
	if want := schemaOf(t, raw); !reflect.DeepEqual(upgraded, want) {
		t.Errorf("upgraded schema differs from a new database's:\n got %q\nwant %q", upgraded, want)
	}
}

// A database migrated by a newer platformd is refused, not written to.
func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	openPlatform(t, path).Close()
	raw := openRaw(t, path)
	n := sqlitestore.Migrations() + 1
	if _, err := raw.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future.sql', 0)`, n); err != nil {
		t.Fatal(err)
	}
	before := schemaOf(t, raw)
	raw.Close()

	_, err := platform.Open(ctx, platform.Config{DBPath: path, MediaDir: filepath.Join(filepath.Dir(path), "media")})
	if streetdesk.ErrorCode(err) != streetdesk.EINVALID {
		t.Fatalf("Open of a newer schema: %v, want EINVALID", err)
	}
	raw = openRaw(t, path)
	defer raw.Close()
	if after := schemaOf(t, raw); !reflect.DeepEqual(before, after) {
		t.Errorf("schema changed by a refused Open")
	}
}

func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func openPlatform(t *testing.T, path string) *platform.Server {
	t.Helper()
	srv, err := platform.Open(context.Background(), platform.Config{DBPath: path, MediaDir: path + ".media", BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// schemaOf lists every table, index and trigger with its SQL.
func schemaOf(t *testing.T, db *sql.DB) [][4]string {
	t.Helper()
	rows, err := db.Query(`SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][4]string
	for rows.Next() {
		var r [4]string
		if err := rows.Scan(&r[0], &r[1], &r[2], &r[3]); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Migration 11 rebuilds the action log's table with other keys: every
// entry, its number n and the AUTOINCREMENT counter (past entries since
// removed) are kept, an entry sent again is still skipped, and the schema
// is a new database's.
func TestOpenKeepsActionLogThroughMigration11(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "v10.db")
	raw := rawAtVersion(t, path, 10)
	const cols = `client_id, user_id, seq, prev, kind, entry_client_id, at, body_hash, hash, body, order_id, mutation_key, fork_of, received_at`
	ins := `INSERT INTO audit_entries (n, ` + cols + `) VALUES (?, ?, 'u-cw01', ?, ?, 'note', ?, '2026-12-05T09:00:00+08:00', 'bh', ?, '{}', ?, ?, '', 1)`
	for _, r := range []struct {
		n          int
		client     string
		seq        int
		prev, hash string
		order, key string
	}{
		{1, "c1", 1, "genesis", "h1", "WO-1", "k1"},
		{2, "c1", 2, "h1", "h2", "WO-2", "k2"},
		{5, "c2", 1, "h2", "h5", "", ""},
		{7, "c2", 2, "h5", "h7", "WO-1", "k7"},
	} {
		if _, err := raw.ExecContext(ctx, ins, r.n, r.client, r.seq, r.prev, r.client, r.hash, r.order, r.key); err != nil {
			t.Fatal(err)
		}
	}
	// Entries 8 and 9 were written and have since gone: n is never reused.
	if _, err := raw.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = 9 WHERE name = 'audit_entries'`); err != nil {
		t.Fatal(err)
	}
	dump := func(db *sql.DB) []string {
		t.Helper()
		out, err := sqlrows.Column[string](db.QueryContext(ctx, `SELECT n || '|' || `+strings.ReplaceAll(cols, ", ", ` || '|' || `)+` FROM audit_entries ORDER BY n`))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := dump(raw)
	raw.Close()

	openPlatform(t, path).Close()
	raw = openRaw(t, path)
	defer raw.Close()
	if after := dump(raw); !reflect.DeepEqual(after, before) {
		t.Fatalf("entries after migration 11:\n%q\nwant\n%q", after, before)
	}
	res, err := raw.ExecContext(ctx, `INSERT OR IGNORE INTO audit_entries (`+cols+`) VALUES
		('c1', 'u-cw01', 2, 'h1', 'note', 'c1', 'x', 'bh', 'h2', '{}', '', '', '', 1),
		('c2', 'u-cw01', 3, 'h7', 'note', 'c2', 'x', 'bh', 'h10', '{}', '', '', '', 1)`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Errorf("%d entries stored of one held and one new, want 1", n)
	}
	var n int
	if err := raw.QueryRowContext(ctx, `SELECT n FROM audit_entries WHERE hash = 'h10'`).Scan(&n); err != nil || n <= 9 {
		t.Errorf("the new entry's n = %d (%v), want past the counter's 9", n, err)
	}
	upgraded := schemaOf(t, raw)
	fresh := filepath.Join(dir, "fresh.db")
	openPlatform(t, fresh).Close()
	rawFresh := openRaw(t, fresh)
	defer rawFresh.Close()
	if want := schemaOf(t, rawFresh); !reflect.DeepEqual(upgraded, want) {
		t.Errorf("schema after migration 11 differs from a new database's:\n got %q\nwant %q", upgraded, want)
	}
}

// Migration 12 moves a push's results out of the change log: each result
// keeps the number its change-log row had (so cursors stay valid) and
// its order, and the change log keeps its other entries.
func TestOpenKeepsResultNumbersThroughMigration12(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v11.db")
	raw := rawAtVersion(t, path, 11)
	for _, q := range []string{
		`INSERT INTO mutation_results (client_id, id, key, fingerprint, user_id, effect, result, at) VALUES
			('c1', 1, 'k1', 'f', 'u', 1, '{"id":1}', 1), ('c1', 2, 'k2', 'f', 'u', 1, '{"id":2}', 1),
			('c2', 1, 'k3', 'f', 'u', 0, '{"id":1}', 1)`,
		`INSERT INTO change_log (seq, type, entity_id, order_id, client_id, extra, at) VALUES
			(5, 'mutationResult', 'c1/1', 'WO-1', 'c1', '{"id":1}', 1),
			(7, 'note', 'n1', 'WO-1', '', '', 1),
			(9, 'mutationResult', 'c1/2', 'WO-2', 'c1', '{"id":2}', 1)`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()

	openPlatform(t, path).Close()
	raw = openRaw(t, path)
	defer raw.Close()
	for _, c := range []struct {
		q    string
		want []string
	}{
		{`SELECT client_id || '/' || id || ' ' || seq || ' ' || order_id FROM mutation_results ORDER BY client_id, id`,
			[]string{"c1/1 5 WO-1", "c1/2 9 WO-2", "c2/1 0 "}}, // c2/1 had been pruned from the log
		{`SELECT seq || ' ' || type FROM change_log ORDER BY seq`, []string{"7 note"}},
		{`SELECT name FROM sqlite_schema WHERE name IN ('change_log_client', 'mutation_results_seq')`, []string{"mutation_results_seq"}},
		{`SELECT seq FROM sqlite_sequence WHERE name = 'change_log'`, []string{"9"}},
	} {
		got, err := sqlrows.Column[string](raw.QueryContext(ctx, c.q))
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %q (%v), want %q", c.q, got, err, c.want)
		}
	}
}

// rawAtVersion makes a SQLite platform file at schema version n, as the
// release that stopped at migration n left it.
func rawAtVersion(t *testing.T, path string, n int) *sql.DB {
	t.Helper()
	ctx := context.Background()
	raw := openRaw(t, path)
	if _, err := raw.ExecContext(ctx, `CREATE TABLE schema_migrations (
	version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("sqlitestore", "migrations", "*.sql"))
	if err != nil || len(files) <= n {
		t.Fatalf("migrations: %v (%v)", files, err)
	}
	for i, f := range files[:n] {
		q, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.ExecContext(ctx, string(q)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := raw.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?, 0)`, i+1, filepath.Base(f)); err != nil {
			t.Fatal(err)
		}
	}
	return raw
}
