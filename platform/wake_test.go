package platform_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk/internal/pgtest"
	"github.com/streetdesk/streetdesk/platform"
	"github.com/streetdesk/streetdesk/platform/pgstore"
	"github.com/streetdesk/streetdesk/platform/sqlitestore"
	"github.com/streetdesk/streetdesk/platform/store"
)

// openTestStore opens the store the test pass runs on, directly.
func openTestStore(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	db := pgtest.PlatformDB(t, t.TempDir())
	var st store.Store
	var err error
	if platform.IsPostgres(db) {
		st, err = pgstore.Open(ctx, db, pgstore.Options{})
	} else {
		st, err = sqlitestore.Open(ctx, filepath.Clean(db), sqlitestore.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestStoreWatch: a committed transaction that touched the change log is
// heard with the keys of the views it touched (assignee, team, revoked
// user; not a result's client); a rolled-back one is not heard, nor is a
// commit that wrote no change-log entry.
func TestStoreWatch(t *testing.T) {
	st := openTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	heard := make(chan store.Wake, 8)
	done := make(chan error, 1)
	go func() { done <- st.Watch(ctx, func(w store.Wake) { heard <- w }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch: %v", err)
		}
	}()
	now := time.Now()
	write := func(commit bool, es ...store.LogEntry) {
		t.Helper()
		tx, err := st.Begin(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for _, e := range es {
			e.At = now
			if err := tx.Touch(context.Background(), e); err != nil {
				t.Fatal(err)
			}
		}
		if commit {
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The watcher on PostgreSQL listens once its connection is up: write
	// until the first wake is heard.
	for first := false; !first; {
		write(true, store.LogEntry{Type: "note", EntityID: "probe", OrderID: "o0", AssigneeID: "probe"})
		select {
		case <-heard:
			first = true
		case <-time.After(200 * time.Millisecond):
		}
	}
	write(false, store.LogEntry{Type: "note", EntityID: "n1", OrderID: "o1", AssigneeID: "rolledback"})
	tx, err := st.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil { // nothing touched
		t.Fatal(err)
	}
	write(true,
		store.LogEntry{Type: "workOrder", EntityID: "o2", OrderID: "o2", AssigneeID: "cw9", TeamID: "tX", Version: 1},
		store.LogEntry{Type: store.TypeRevoke, EntityID: "o3", OrderID: "o3", UserID: "cw8", Extra: []byte(`{}`), Version: 2})
	for {
		select {
		case w := <-heard:
			if slices.Contains(w.Keys, store.UserKey("probe")) {
				continue // a probe heard late
			}
			slices.Sort(w.Keys)
			if want := []string{store.TeamKey("tX"), store.UserKey("cw8"), store.UserKey("cw9")}; w.All || !slices.Equal(w.Keys, want) {
				t.Errorf("heard %+v, want keys %q", w, want)
			}
			return
		case <-time.After(30 * time.Second):
			t.Fatal("the commit was not heard")
		}
	}
}

// TestWakeEncoding: keys survive the NOTIFY payload; too many become All.
func TestWakeEncoding(t *testing.T) {
	w := store.Wake{Keys: []string{store.UserKey("cw 01"), store.TeamKey("teamA")}}
	if got := store.DecodeWake(store.EncodeWake(w)); !slices.Equal(got.Keys, w.Keys) || got.All {
		t.Errorf("round trip: %+v", got)
	}
	var many store.Wake
	for range 2000 {
		many.Keys = append(many.Keys, store.UserKey("cw0001"))
	}
	if got := store.DecodeWake(store.EncodeWake(many)); !got.All {
		t.Errorf("%d keys: %+v, want All", len(many.Keys), got)
	}
	if got := store.DecodeWake(store.EncodeWake(store.Wake{All: true})); !got.All {
		t.Errorf("All: %+v", got)
	}
}
