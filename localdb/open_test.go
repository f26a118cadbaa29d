package localdb_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)) // a Tuesday

func caseworker() streetdesk.User {
	return streetdesk.User{ID: "u-wang", Username: "wangfang", Name: "王芳", Role: streetdesk.RoleCaseworker, TeamID: "t1"}
}

func lead() streetdesk.User {
	return streetdesk.User{ID: "u-li", Username: "lisi", Name: "李四", Role: streetdesk.RoleLead, TeamID: "t1"}
}

// openTest opens a fresh database in t.TempDir with a fixed clock.
func openTest(t testing.TB, opts localdb.Options) (*localdb.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "street desk?#%.db")
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	if opts.User.ID == "" {
		opts.User = caseworker()
	}
	db, err := localdb.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestOpenPragmas(t *testing.T) {
	db, path := openTest(t, localdb.Options{})
	ctx := context.Background()
	got, err := localdb.Pragmas(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "5000", "wal_autocheckpoint": "8192"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("PRAGMA %s = %q, want %q", k, got[k], v)
		}
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil || v != localdb.Migrations() {
		t.Fatalf("schema version %d (%v), want %d", v, err, localdb.Migrations())
	}
	if localdb.Migrations() < 2 {
		t.Fatalf("want at least 2 migrations")
	}
	db.Close()
	// Reopening an up-to-date database migrates nothing and works.
	db2, err := localdb.Open(ctx, path, localdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db2.Close()
}

func TestFileURI(t *testing.T) {
	tests := []struct {
		path    string
		windows bool
		want    string
	}{
		{`C:\Users\王芳\AppData\streetdesk.db`, true, "file:///C:/Users/%E7%8E%8B%E8%8A%B3/AppData/streetdesk.db"},
		{`D:\data\a#b?.db`, true, "file:///D:/data/a%23b%3F.db"},
		{"/home/wf/street desk.db", false, "file:///home/wf/street%20desk.db"},
	}
	for _, tt := range tests {
		got, err := localdb.FileURI(tt.path, tt.windows)
		if err != nil || got != tt.want {
			t.Errorf("fileURI(%q) = %q, %v; want %q", tt.path, got, err, tt.want)
		}
	}
}

// TestBackup: a backup taken while the store is in use opens as a store
// with the same orders and the same queued work; it never overwrites a file.
func TestBackup(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t, localdb.Options{})
	pull(t, db, order("B1", streetdesk.StatusAccepted))
	if err := db.AddNote(ctx, "B1", "备份前写的备注"); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(filepath.Dir(path), "backup.db")
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	if err := db.AddNote(ctx, "B1", "备份后写的备注"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.Backup(ctx, backup), streetdesk.EINVALID)
	cp, err := localdb.Open(ctx, backup, localdb.Options{User: caseworker(), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if d := mustOrder(t, cp, "B1"); len(d.Notes) != 1 || d.Notes[0].Body != "备份前写的备注" || d.Pending != 1 {
		t.Fatalf("the backup holds %d notes, %d pending", len(d.Notes), d.Pending)
	}
	a, _ := db.ClientID(ctx)
	b, _ := cp.ClientID(ctx)
	if a != b {
		t.Errorf("the backup has another client id")
	}
}
