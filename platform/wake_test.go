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

// TestStoreTouchOrder: change-log entries touched in a write transaction are
// read back by it in the order touched, a savepoint's rollback undoes
// exactly those touched after it, and the commit keeps them in that order
// (SQLite queues them and writes them together; PostgreSQL writes each).
func TestStoreTouchOrder(t *testing.T) {
	st := openTestStore(t)
	ctx := context.Background()
	tx, err := st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	now := time.Now()
	touch := func(id string) {
		t.Helper()
		if err := tx.Touch(ctx, store.LogEntry{Type: "note", EntityID: id, OrderID: "o1", AssigneeID: "cw1", TeamID: "tA", At: now}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(r interface {
		Changes(context.Context, store.ChangeQuery, func(*store.Change) error) error
	}) []string {
		t.Helper()
		var ids []string
		var last int64
		err := r.Changes(ctx, store.ChangeQuery{Scope: store.Scope{AssigneeID: "cw1"}, UserID: "cw1", Limit: 100}, func(c *store.Change) error {
			if c.Seq <= last {
				t.Errorf("seq %d after %d", c.Seq, last)
			}
			last = c.Seq
			ids = append(ids, c.EntityID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	touch("a")
	touch("b")
	if err := tx.Savepoint(ctx); err != nil {
		t.Fatal(err)
	}
	touch("c")
	if err := tx.RollbackTo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Release(ctx); err != nil {
		t.Fatal(err)
	}
	touch("d")
	touch("a") // touched again: after d now
	if ents, err := tx.OrderEntities(ctx, "o1"); err != nil || len(ents) != 3 || ents[0].ID != "b" || ents[2].ID != "a" {
		t.Fatalf("entities in the transaction: %+v %v", ents, err)
	}
	if got := read(tx); !slices.Equal(got, []string{"b", "d", "a"}) {
		t.Fatalf("in the transaction: %q", got)
	}
	touch("e")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rt, err := st.BeginRead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Rollback()
	if got := read(rt); !slices.Equal(got, []string{"b", "d", "a", "e"}) {
		t.Fatalf("committed: %q", got)
	}
}
