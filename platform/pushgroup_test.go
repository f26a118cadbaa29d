package platform_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
	"github.com/streetdesk/streetdesk/platform/store"
)

// groupEnv is an env whose push after hold() waits, inside its
// transaction, until release is closed: the pushes sent meanwhile queue for
// the next group. hold returns a wait for that push to be held.
func groupEnv(t *testing.T, more ...func(*platform.Config)) (*env, func() func(), chan struct{}) {
	var next atomic.Pointer[chan struct{}]
	release := make(chan struct{})
	e := newEnv(t, func(c *platform.Config) {
		c.Hooks.BeforeCommit = func(streetdesk.Mutation) error {
			if held := next.Swap(nil); held != nil {
				close(*held)
				<-release
			}
			return nil
		}
		for _, f := range more {
			f(c)
		}
	})
	hold := func() func() {
		held := make(chan struct{})
		next.Store(&held)
		return func() {
			t.Helper()
			select {
			case <-held:
			case <-time.After(time.Minute):
				t.Fatal("the first push never reached its commit")
			}
		}
	}
	return e, hold, release
}

// checkEffects fails unless each mutation key took effect as often as wanted.
func checkEffects(t *testing.T, e *env, want map[string]int) {
	t.Helper()
	for key, n := range want {
		if got, _ := e.srv.EffectCount(context.Background(), key); got != n {
			t.Errorf("effects of %s = %d, want %d", key, got, n)
		}
	}
}

// waitPushesQueued waits until n pushes wait for the next group.
func waitPushesQueued(t *testing.T, e *env, n int) {
	t.Helper()
	for e.srv.PushesWaiting() < n {
		select {
		case <-t.Context().Done():
			t.Fatal("pushes never queued")
		case <-time.After(time.Millisecond):
		}
	}
}

// Pushes queued behind one in flight share the next transaction; one refused
// as a whole after it wrote (a key reused with another payload in the same
// batch: 422) leaves nothing, and the others are applied once.
func TestPushGroupRefusedPushLeavesOthers(t *testing.T) {
	e, hold, release := groupEnv(t)
	o1, o2, o3 := e.dispatch("teamA", "cw01"), e.dispatch("teamA", "cw02"), e.dispatch("teamA", "cw01")
	first, good, bad := e.client("cw01"), e.client("cw01"), e.client("cw02")
	mFirst := first.mut(streetdesk.MutAddNote, o1, streetdesk.AddNoteArgs{NoteID: newID(), Body: "先到"})
	mGood := good.mut(streetdesk.MutAddNote, o3, streetdesk.AddNoteArgs{NoteID: newID(), Body: "同组"})
	badNote := newID()
	mBad := bad.mut(streetdesk.MutAddNote, o2, streetdesk.AddNoteArgs{NoteID: badNote, Body: "写了又撤"})
	mBad2 := bad.mut(streetdesk.MutAddNote, o2, streetdesk.AddNoteArgs{NoteID: newID(), Body: "同键不同内容"})
	mBad2.Key = mBad.Key

	e.token("cw01") // signed in before the writer is held (SQLite writes tokens on the writer)
	e.token("cw02")
	awaitHeld := hold()
	stFirst := first.pushAsync(t.Context(), mFirst)
	awaitHeld() // the first push holds its transaction
	stGood, stBad := good.pushAsync(t.Context(), mGood), bad.pushAsync(t.Context(), mBad, mBad2)
	waitPushesQueued(t, e, 2)
	close(release)
	if st := [3]int{<-stFirst, <-stGood, <-stBad}; st != [3]int{http.StatusOK, http.StatusOK, http.StatusUnprocessableEntity} {
		t.Fatalf("statuses %v, want 200 200 422", st)
	}
	checkEffects(t, e, map[string]int{mFirst.Key: 1, mGood.Key: 1, mBad.Key: 0})
	ctx := context.Background()
	if notes, _ := e.srv.Notes(ctx, o2.ID); len(notes) != 0 {
		t.Errorf("the refused push's note stayed: %+v", notes)
	}
	// The refused client starts again from its first id.
	if got := bad.pushOne(mBad); got.Status != streetdesk.ResultApplied {
		t.Fatalf("refused push sent again, alone: %+v", got)
	}
}

// The group's first push runs without a savepoint of its own: refused as a
// whole after it wrote, it is rolled back with the transaction, and the
// pushes queued behind it are applied once in the next.
func TestPushGroupRefusedFirstPushLeavesNothing(t *testing.T) {
	e, hold, release := groupEnv(t)
	o1, o2, o3 := e.dispatch("teamA", "cw02"), e.dispatch("teamA", "cw01"), e.dispatch("teamA", "cw01")
	bad, good1, good2 := e.client("cw02"), e.client("cw01"), e.client("cw01")
	badNote := newID()
	mBad := bad.mut(streetdesk.MutAddNote, o1, streetdesk.AddNoteArgs{NoteID: badNote, Body: "写了又撤"})
	mBad2 := bad.mut(streetdesk.MutAddNote, o1, streetdesk.AddNoteArgs{NoteID: newID(), Body: "同键不同内容"})
	mBad2.Key = mBad.Key
	mGood1 := good1.mut(streetdesk.MutAddNote, o2, streetdesk.AddNoteArgs{NoteID: newID(), Body: "排队一"})
	mGood2 := good2.mut(streetdesk.MutAddNote, o3, streetdesk.AddNoteArgs{NoteID: newID(), Body: "排队二"})

	e.token("cw01") // signed in before the writer is held (SQLite writes tokens on the writer)
	e.token("cw02")
	awaitHeld := hold()
	stBad := bad.pushAsync(t.Context(), mBad, mBad2)
	awaitHeld() // the refused push wrote its first note and holds the transaction
	st1, st2 := good1.pushAsync(t.Context(), mGood1), good2.pushAsync(t.Context(), mGood2)
	waitPushesQueued(t, e, 2)
	close(release)
	if st := [3]int{<-stBad, <-st1, <-st2}; st != [3]int{http.StatusUnprocessableEntity, http.StatusOK, http.StatusOK} {
		t.Fatalf("statuses %v, want 422 200 200", st)
	}
	checkEffects(t, e, map[string]int{mBad.Key: 0, mGood1.Key: 1, mGood2.Key: 1})
	ctx := context.Background()
	if notes, _ := e.srv.Notes(ctx, o1.ID); len(notes) != 0 {
		t.Errorf("the refused push's note stayed: %+v", notes)
	}
	for _, o := range []*streetdesk.WorkOrder{o2, o3} {
		if notes, _ := e.srv.Notes(ctx, o.ID); len(notes) != 1 {
			t.Errorf("notes of %s: %d, want 1", o.ID, len(notes))
		}
	}
	if got := bad.pushOne(mBad); got.Status != streetdesk.ResultApplied {
		t.Fatalf("refused push sent again, alone: %+v", got)
	}
}

// A push whose client goes away while it waits for a group is applied at
// most once: sent again, it is applied or a duplicate, and its note exists
// once.
func TestPushGroupClientGoneWhileQueued(t *testing.T) {
	e, hold, release := groupEnv(t)
	o1, o2 := e.dispatch("teamA", "cw01"), e.dispatch("teamA", "cw02")
	first, gone := e.client("cw01"), e.client("cw02")
	mFirst := first.mut(streetdesk.MutAddNote, o1, streetdesk.AddNoteArgs{NoteID: newID(), Body: "先到"})
	mGone := gone.mut(streetdesk.MutAddNote, o2, streetdesk.AddNoteArgs{NoteID: newID(), Body: "客户端走了"})

	e.token("cw01") // signed in before the writer is held (SQLite writes tokens on the writer)
	e.token("cw02")
	awaitHeld := hold()
	stFirst := first.pushAsync(t.Context(), mFirst)
	awaitHeld() // the first push holds its transaction
	ctx, cancel := context.WithCancel(t.Context())
	stGone := gone.pushAsync(ctx, mGone)
	waitPushesQueued(t, e, 1)
	cancel()
	if st := <-stGone; st != 0 {
		t.Fatalf("the client gone got %d", st)
	}
	close(release)
	if st := <-stFirst; st != http.StatusOK {
		t.Fatalf("first push: %d", st)
	}
	// The gone client's request may still be finishing (its push was in
	// the group): the platform answers PushInProgress until it has, and a
	// desk sends again, as here.
	var r streetdesk.MutationResult
	for {
		st, pr, body := gone.push(mGone)
		if st == http.StatusConflict && strings.Contains(string(body), streetdesk.ErrPushInProgress) {
			select {
			case <-t.Context().Done():
				t.Fatal("the gone client's push never ended")
			case <-time.After(time.Millisecond):
			}
			continue
		}
		if st != http.StatusOK || len(pr.Results) != 1 {
			t.Fatalf("sent again: %d %s", st, body)
		}
		r = pr.Results[0]
		break
	}
	if r.Status != streetdesk.ResultApplied && r.Status != streetdesk.ResultDuplicate {
		t.Fatalf("sent again: %+v", r)
	}
	if n, _ := e.srv.EffectCount(context.Background(), mGone.Key); n != 1 {
		t.Fatalf("effects = %d, want 1", n)
	}
	if notes, _ := e.srv.Notes(context.Background(), o2.ID); len(notes) != 1 {
		t.Fatalf("notes = %d, want 1", len(notes))
	}
}

// The database failing under one push of a group loses the transaction:
// that push is answered 503, and the others run again in the next group and
// are applied once.
func TestPushGroupDatabaseFailureRerunsOthers(t *testing.T) {
	var pushes atomic.Int32
	e, hold, release := groupEnv(t, func(c *platform.Config) {
		c.Hooks.StoreFault = func(op string) error {
			if op == "push" && pushes.Add(1) == 3 { // the third push run: the failing one
				return fmt.Errorf("%w: connection lost", store.ErrUnavailable)
			}
			return nil
		}
	})
	o1, o2, o3 := e.dispatch("teamA", "cw01"), e.dispatch("teamA", "cw02"), e.dispatch("teamA", "cw01")
	first, good, failing := e.client("cw01"), e.client("cw01"), e.client("cw02")
	mFirst := first.mut(streetdesk.MutAddNote, o1, streetdesk.AddNoteArgs{NoteID: newID(), Body: "先到"})
	mGood := good.mut(streetdesk.MutAddNote, o3, streetdesk.AddNoteArgs{NoteID: newID(), Body: "同组"})
	mFailing := failing.mut(streetdesk.MutAddNote, o2, streetdesk.AddNoteArgs{NoteID: newID(), Body: "数据库断了"})
	e.token("cw01")
	e.token("cw02")
	awaitHeld := hold()
	stFirst := first.pushAsync(t.Context(), mFirst)
	awaitHeld() // the first push holds its transaction
	stGood := good.pushAsync(t.Context(), mGood)
	waitPushesQueued(t, e, 1)
	stFailing := failing.pushAsync(t.Context(), mFailing)
	waitPushesQueued(t, e, 2)
	close(release)
	if st := [3]int{<-stFirst, <-stGood, <-stFailing}; st != [3]int{http.StatusOK, http.StatusOK, http.StatusServiceUnavailable} {
		t.Fatalf("statuses %v, want 200 200 503", st)
	}
	checkEffects(t, e, map[string]int{mFirst.Key: 1, mGood.Key: 1, mFailing.Key: 0})
	if got := failing.pushOne(mFailing); got.Status != streetdesk.ResultApplied {
		t.Fatalf("failed push sent again: %+v", got)
	}
}
