package platform_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
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
