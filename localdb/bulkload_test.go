package localdb_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
)

// A first multi-page pull defers the shadow's secondary indexes to its last
// page; queries stay right in between, an interrupted first sync gets them
// back at Open, and the rebuilt ones are exactly the migrations' indexes.
func TestDeferredIndexesMatchMigrations(t *testing.T) {
	ctx := context.Background()
	page := func(from, to int, more bool) *streetdesk.PullResponse {
		var os []streetdesk.WorkOrder
		for i := from; i < to; i++ {
			o := order(fmt.Sprintf("B%03d", i), []streetdesk.Status{streetdesk.StatusDispatched, streetdesk.StatusAccepted}[i%2])
			o.Urgency = []streetdesk.Urgency{streetdesk.UrgencyNormal, streetdesk.UrgencyUrgent}[i%3%2]
			o.Deadlines.ResolveBy = t0.Add(time.Duration(i-20) * time.Hour)
			o.DispatchedAt = t0.Add(-time.Duration(i) * time.Minute)
			os = append(os, o)
		}
		return &streetdesk.PullResponse{Cursor: fmt.Sprintf("c%d", to), HasMore: more, Changes: upserts(os...)}
	}
	queries := []streetdesk.QueueFilter{
		{Sort: streetdesk.SortRisk, Limit: 7},
		{Sort: streetdesk.SortDispatched, Limit: 5, Offset: 3},
		{Statuses: []streetdesk.Status{streetdesk.StatusAccepted}, Sort: streetdesk.SortRisk, Limit: 4},
	}
	answers := func(db *localdb.DB) []string {
		var out []string
		for _, q := range queries {
			p, err := db.Queue(ctx, q)
			if err != nil {
				t.Fatalf("Queue %+v: %v", q, err)
			}
			out = append(out, fmt.Sprint(p.Total, ids(p.Items)))
		}
		return out
	}
	indexes := func(db *localdb.DB) map[string]string {
		m, err := localdb.ShadowIndexSQL(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	// Reference: the same orders in one page (nothing deferred).
	ref, _ := openTest(t, localdb.Options{})
	want := indexes(ref)
	if err := ref.ApplyPull(ctx, page(0, 60, false)); err != nil {
		t.Fatal(err)
	}
	wantMid := answers(ref)

	db, _ := openTest(t, localdb.Options{})
	if err := db.ApplyPull(ctx, page(0, 30, true)); err != nil {
		t.Fatal(err)
	}
	if got := indexes(db); len(got) >= len(want) {
		t.Fatalf("first page of a first sync kept its indexes: %v", slices.Sorted(maps.Keys(got)))
	}
	half, _ := openTest(t, localdb.Options{})
	if err := half.ApplyPull(ctx, page(0, 30, false)); err != nil {
		t.Fatal(err)
	}
	if got, w := answers(db), answers(half); !slices.Equal(got, w) {
		t.Fatalf("queue between pages:\n got %v\nwant %v", got, w)
	}
	if err := db.ApplyPull(ctx, page(30, 60, false)); err != nil {
		t.Fatal(err)
	}
	// The indexer rebuilds the indexes after the last page; the queue
	// answers the same before, during and after.
	if got := answers(db); !slices.Equal(got, wantMid) {
		t.Fatalf("queue right after the first sync:\n got %v\nwant %v", got, wantMid)
	}
	searchAll := func(db *localdb.DB, what string) {
		t.Helper()
		// The first sync queues its orders for the indexer with the index
		// rebuild (or at Open after an interruption); a search waits for
		// it and reads them all.
		p, err := db.Queue(ctx, streetdesk.QueueFilter{Text: "垃圾站", Limit: 100})
		if err != nil || p.Total != 60 {
			t.Fatalf("search after %s: %d of 60 found (%v)", what, p.Total, err)
		}
	}
	searchAll(db, "the first sync")
	if got := indexes(db); !maps.Equal(got, want) {
		t.Fatalf("indexes after the first sync:\n got %v\nwant %v", got, want)
	}
	if got := answers(db); !slices.Equal(got, wantMid) {
		t.Fatalf("queue after the first sync:\n got %v\nwant %v", got, wantMid)
	}
	db.Close()

	// Interrupted after the last page, before the rebuild commits: the
	// sync is complete, the queue answers, and Open rebuilds.
	late, latePath := openTest(t, localdb.Options{})
	localdb.SetFailHook(late, func(stage string) error {
		if stage == "indexes" {
			return errors.New("crash before the index rebuild commits")
		}
		return nil
	})
	for _, p := range []*streetdesk.PullResponse{page(0, 30, true), page(30, 60, false)} {
		if err := late.ApplyPull(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if got := answers(late); !slices.Equal(got, wantMid) {
		t.Fatalf("queue with the rebuild failing:\n got %v\nwant %v", got, wantMid)
	}
	if err := late.FlushSearch(ctx); err == nil {
		t.Fatal("search did not wait for the failing rebuild")
	}
	late.Close()
	lre, err := localdb.Open(ctx, latePath, localdb.Options{User: caseworker(), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	if got := indexes(lre); !maps.Equal(got, want) {
		t.Fatalf("indexes after reopening a first sync cut before its rebuild:\n got %v\nwant %v", got, want)
	}
	if got := answers(lre); !slices.Equal(got, wantMid) {
		t.Fatalf("queue after reopening:\n got %v\nwant %v", got, wantMid)
	}
	searchAll(lre, "reopening a first sync cut before its rebuild")
	lre.Close()

	// Interrupted after the first page: Open restores the indexes.
	cut, cutPath := openTest(t, localdb.Options{})
	if err := cut.ApplyPull(ctx, page(0, 30, true)); err != nil {
		t.Fatal(err)
	}
	cut.Close()
	re, err := localdb.Open(ctx, cutPath, localdb.Options{User: caseworker(), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	if got := indexes(re); !maps.Equal(got, want) {
		t.Fatalf("indexes after reopening an interrupted first sync:\n got %v\nwant %v", got, want)
	}
	if err := re.ApplyPull(ctx, page(30, 60, false)); err != nil {
		t.Fatal(err)
	}
	if got := answers(re); !slices.Equal(got, wantMid) {
		t.Fatalf("queue after the resumed first sync:\n got %v\nwant %v", got, wantMid)
	}
	searchAll(re, "the resumed first sync")
}

// During a first sync rows are inserted before they are looked up; an order
// seen again in a later page still obeys the version guard.
func TestDeferredIndexesVersionGuard(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	a, b := order("G1", streetdesk.StatusDispatched), order("G2", streetdesk.StatusDispatched)
	a.Version, b.Version = 5, 5
	if err := db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "c1", HasMore: true, Changes: upserts(a, b)}); err != nil {
		t.Fatal(err)
	}
	older, newer := a, b
	older.Version, older.Title = 4, "旧版本"
	newer.Version, newer.Title, newer.Status = 6, "新版本", streetdesk.StatusAccepted
	if err := db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "c2", HasMore: true, Changes: upserts(older, newer)}); err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "c3"}); err != nil {
		t.Fatal(err)
	}
	if d := mustOrder(t, db, "G1"); d.Order.Version != 5 || d.Order.Title == "旧版本" {
		t.Fatalf("an older version replaced the row: %d %q", d.Order.Version, d.Order.Title)
	}
	if d := mustOrder(t, db, "G2"); d.Order.Version != 6 || d.Order.Title != "新版本" {
		t.Fatalf("a newer version was not applied: %d %q", d.Order.Version, d.Order.Title)
	}
	p, err := db.Queue(ctx, streetdesk.QueueFilter{Statuses: []streetdesk.Status{streetdesk.StatusAccepted}})
	if err != nil || p.Total != 1 || p.Items[0].Order.ID != "G2" {
		t.Fatalf("filter columns after the first sync: %+v %v", p, err)
	}
}

// After a first sync the orders wait for the search index: Counts says how
// many while the indexer rebuilds and works them off, IndexChanged tells
// when that starts and ends, and one just-edited order is no backlog. The
// WAL's checkpoint waits for the indexer too.
func TestSearchBacklogAfterFirstSync(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t, localdb.Options{})
	fileSize := func() int64 {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := fileSize()
	entered, release := make(chan struct{}), make(chan struct{})
	localdb.SetFailHook(db, func(stage string) error {
		if stage == "indexes" {
			entered <- struct{}{}
			<-release // the rebuild waits until the test has looked
		}
		return nil
	})
	var orders []streetdesk.WorkOrder
	for i := range 60 {
		orders = append(orders, order(fmt.Sprintf("S%03d", i), streetdesk.StatusAccepted))
	}
	backlog := func() int {
		t.Helper()
		c, err := db.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c.Indexing
	}
	started := db.IndexChanged()
	if err := db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "c1", HasMore: true, Changes: upserts(orders[:30]...)}); err != nil {
		t.Fatal(err)
	}
	// Nor is the WAL checkpointed on the sync's way: the indexer does it.
	checkpoints := func() string {
		t.Helper()
		p, err := localdb.Pragmas(ctx, db) // on the writer: not while the hook holds it
		if err != nil {
			t.Fatal(err)
		}
		return p["wal_autocheckpoint"]
	}
	if got := checkpoints(); got != "65536" {
		t.Fatalf("automatic checkpoints during the first sync: every %s pages, want 65536", got)
	}
	if err := db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "c2", Changes: upserts(orders[30:]...)}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	default:
		t.Fatal("the first sync's last page did not tell IndexChanged")
	}
	<-entered
	if n := backlog(); n != 60 {
		t.Fatalf("backlog while the indexes are rebuilt: %d, want 60", n)
	}

	caughtUp := db.IndexChanged()
	close(release)
	select {
	case <-caughtUp:
	case <-time.After(30 * time.Second):
		t.Fatal("IndexChanged did not say the indexer caught up")
	}
	if n := backlog(); n != 0 {
		t.Fatalf("backlog after the indexer caught up: %d", n)
	}
	if got := checkpoints(); got != "8192" {
		t.Fatalf("automatic checkpoints after the rebuild: every %s pages, want 8192", got)
	}
	// The checkpoint (on a reader connection, off the writer) copied the
	// first sync into the database file.
	if after := fileSize(); after <= before {
		t.Fatalf("database file %d bytes after the first sync's checkpoint, %d before: nothing copied from the WAL", after, before)
	}
	if err := db.AddNote(ctx, "S001", "现场勘察"); err != nil {
		t.Fatal(err)
	}
	if n := backlog(); n != 0 {
		t.Fatalf("one edited order counted as a backlog: %d", n)
	}
}
