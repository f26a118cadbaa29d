package platform_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
)

func TestPushAppliesAndDuplicateGetsStoredResult(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	m := c.mut(streetdesk.MutAccept, o, nil)
	st, pr, body := c.push(m)
	if st != http.StatusOK || pr.LastMutationID != 1 || pr.Results[0].Status != streetdesk.ResultApplied {
		t.Fatalf("first push: %d %s", st, body)
	}
	if got := e.order(o.ID); got.Status != streetdesk.StatusAccepted || got.Version != o.Version+1 {
		t.Fatalf("order after accept: %s v%d", got.Status, got.Version)
	}
	st, pr2, body := c.push(m)
	if st != http.StatusOK || pr2.Results[0].Status != streetdesk.ResultDuplicate || pr2.Results[0].Version != pr.Results[0].Version {
		t.Fatalf("resend: %d %s", st, body)
	}
	if n, _ := e.srv.EffectCount(context.Background(), m.Key); n != 1 {
		t.Fatalf("effects = %d", n)
	}
	stored, _ := e.srv.MutationResultByKey(context.Background(), m.Key)
	if stored == nil || stored.Status != streetdesk.ResultApplied {
		t.Fatalf("stored result: %+v", stored)
	}
}

func TestPushLostResponseAfterCommitHasOneEffect(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	e := newEnv(t, func(c *platform.Config) {
		c.Hooks.AfterCommit = func(m streetdesk.Mutation) error {
			if fail.Swap(false) {
				return errors.New("connection lost")
			}
			return nil
		}
	})
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	note := c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "现场已查看"})
	st, _, _ := c.push(note)
	if st != http.StatusServiceUnavailable {
		t.Fatalf("first push: %d, want 503", st)
	}
	st, pr, body := c.push(note)
	if st != http.StatusOK || pr.Results[0].Status != streetdesk.ResultDuplicate {
		t.Fatalf("resend: %d %s", st, body)
	}
	notes, _ := e.srv.Notes(context.Background(), o.ID)
	if len(notes) != 1 {
		t.Fatalf("notes = %d, want 1", len(notes))
	}
	if n, _ := e.srv.EffectCount(context.Background(), note.Key); n != 1 {
		t.Fatalf("effects = %d", n)
	}
}

// A push of 500 mutations (FeaturePushBatch500) or 1,000
// (FeaturePushBatch1000), both listed in every pull page, whose answer is
// lost after the 250th committed: sent again, those committed (at least
// 250) are duplicates and the rest applied, each note once.
func TestPushBatchLostResponse(t *testing.T) {
	for _, tc := range []struct {
		feature string
		n       int
	}{
		{streetdesk.FeaturePushBatch500, streetdesk.MaxPushMutationsLarge},
		{streetdesk.FeaturePushBatch1000, streetdesk.MaxPushMutationsXL},
	} {
		t.Run(tc.feature, func(t *testing.T) { testPushBatchLostResponse(t, tc.feature, tc.n) })
	}
}

func testPushBatchLostResponse(t *testing.T, feature string, n int) {
	var seen atomic.Int32
	e := newEnv(t, func(c *platform.Config) {
		c.Hooks.AfterCommit = func(m streetdesk.Mutation) error {
			if seen.Add(1) == 250 {
				return errors.New("connection lost")
			}
			return nil
		}
	})
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	var pull streetdesk.PullResponse
	if st, body := e.call(http.MethodGet, "/v1/sync/pull?clientId="+c.id, e.token("cw01"), nil, &pull); st != http.StatusOK ||
		!streetdesk.HasFeature(pull.Features, feature) {
		t.Fatalf("pull %d lists %v\n%s", st, pull.Features, body)
	}
	ms := make([]streetdesk.Mutation, n)
	for i := range ms {
		ms[i] = c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "现场已查看"})
	}
	if st, _, body := c.push(ms...); st != http.StatusServiceUnavailable {
		t.Fatalf("first push: %d, want 503\n%s", st, body)
	}
	st, pr, body := c.push(ms...)
	if st != http.StatusOK || len(pr.Results) != len(ms) || pr.LastMutationID != ms[len(ms)-1].ID {
		t.Fatalf("resend: %d, %d results\n%.300s", st, len(pr.Results), body)
	}
	dup := 0
	for i, r := range pr.Results {
		switch {
		case r.Status == streetdesk.ResultDuplicate && i == dup:
			dup++
		case r.Status != streetdesk.ResultApplied || i < 250:
			t.Fatalf("result %d: %s after %d duplicates", i, r.Status, dup)
		}
	}
	notes, _ := e.srv.Notes(context.Background(), o.ID)
	if len(notes) != len(ms) {
		t.Fatalf("notes = %d, want %d", len(notes), len(ms))
	}
	for _, m := range ms {
		if n, _ := e.srv.EffectCount(context.Background(), m.Key); n != 1 {
			t.Fatalf("%s: effects = %d", m.Key, n)
		}
	}
}

func TestPushBeforeCommitFailureAppliesNothing(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	e := newEnv(t, func(c *platform.Config) {
		c.Hooks.BeforeCommit = func(m streetdesk.Mutation) error {
			if fail.Swap(false) {
				return errors.New("disk on fire")
			}
			return nil
		}
	})
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	m := c.mut(streetdesk.MutAccept, o, nil)
	if st, _, _ := c.push(m); st != http.StatusServiceUnavailable {
		t.Fatalf("status %d", st)
	}
	if got := e.order(o.ID); got.Status != streetdesk.StatusDispatched {
		t.Fatalf("applied despite failure: %s", got.Status)
	}
	if r := c.pushOne(m); r.Status != streetdesk.ResultApplied {
		t.Fatalf("retry: %+v", r)
	}
}

func TestPushPoisonIsRejectedAndQueueMovesOn(t *testing.T) {
	var poisonKey atomic.Value
	e := newEnv(t, func(c *platform.Config) {
		c.Hooks.Poison = func(m streetdesk.Mutation) bool { return m.Key == poisonKey.Load() }
	})
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	bad := c.mut(streetdesk.MutAccept, o, nil)
	poisonKey.Store(bad.Key)
	good := c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "备注"})
	st, pr, body := c.push(bad, good)
	if st != 200 || pr.LastMutationID != 2 || pr.Results[0].Code != streetdesk.CodeServerError || pr.Results[1].Status != streetdesk.ResultApplied {
		t.Fatalf("%d %s", st, body)
	}
}

func TestPushSameKeyDifferentPayloadIs422(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	m := c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "第一次"})
	c.pushOne(m)
	// Same id, same key, other payload.
	m2 := m
	m2.Args = []byte(`{"noteId":"` + newID() + `","body":"第二次"}`)
	st, _, body := c.push(m2)
	if st != http.StatusUnprocessableEntity || errCode(t, body) != streetdesk.ErrKeyPayloadMismatch || mismatchOf(t, body) != streetdesk.MismatchID {
		t.Fatalf("same id: %d %s", st, body)
	}
	// Same id, another key (a restored copy of the client's database).
	m4 := c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "恢复备份之后"})
	m4.ID = m.ID
	st, _, body = c.push(m4)
	if st != http.StatusUnprocessableEntity || mismatchOf(t, body) != streetdesk.MismatchID {
		t.Fatalf("same id, other key: %d %s", st, body)
	}
	// Same key under a new id (e.g. re-enqueued by another client).
	c2 := e.client("cw01")
	m3 := m2
	m3.ID = 1
	st, _, body = c2.push(m3)
	if st != http.StatusUnprocessableEntity || errCode(t, body) != streetdesk.ErrKeyPayloadMismatch || mismatchOf(t, body) != streetdesk.MismatchKey {
		t.Fatalf("same key new client: %d %s", st, body)
	}
	notes, _ := e.srv.Notes(context.Background(), o.ID)
	if len(notes) != 1 {
		t.Fatalf("notes = %d", len(notes))
	}
}

func TestPushKeyDedupeAcrossClients(t *testing.T) {
	// A5/C5: a client that lost its state re-enqueues under a new clientId
	// with the same keys; the platform answers duplicate, no second effect.
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	m := c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "备注"})
	c.pushOne(m)
	if err := e.srv.ForgetClient(context.Background(), c.id); err != nil {
		t.Fatal(err)
	}
	next := c.mut(streetdesk.MutAccept, o, nil)
	st, _, body := c.push(next)
	if st != http.StatusConflict || errCode(t, body) != streetdesk.ErrClientStateNotFound {
		t.Fatalf("forgotten client: %d %s", st, body)
	}
	c2 := e.client("cw01")
	c2.next = 57
	again := m
	again.ID = c2.next
	st, pr, body := c2.push(again, func() streetdesk.Mutation { next.ID = 58; return next }())
	if st != 200 || pr.Results[0].Status != streetdesk.ResultDuplicate || pr.Results[1].Status != streetdesk.ResultApplied || pr.LastMutationID != 58 {
		t.Fatalf("%d %s", st, body)
	}
	if n, _ := e.srv.EffectCount(context.Background(), m.Key); n != 1 {
		t.Fatalf("effects %d", n)
	}
}

func TestPushIDGapStopsProcessing(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	m1 := c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "一"})
	c.pushOne(m1)
	c.next = 3 // id 2 went missing
	m3 := c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "三"})
	st, pr, body := c.push(m3)
	if st != 200 || pr.LastMutationID != 1 || len(pr.Results) != 0 {
		t.Fatalf("gap: %d %s", st, body)
	}
	// A batch with a gap in the middle: processed up to the gap.
	c.next = 2
	m2 := c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "二"})
	c.next = 4
	m4 := c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "四"})
	st, pr, body = c.push(m2, m4)
	if st != 200 || pr.LastMutationID != 2 || len(pr.Results) != 1 {
		t.Fatalf("batch with gap: %d %s", st, body)
	}
	st, pr, _ = c.push(m3, m4)
	if st != 200 || pr.LastMutationID != 4 || len(pr.Results) != 2 {
		t.Fatalf("resend: %d", st)
	}
}

func TestPushConcurrentFromOneClient(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	var ms []streetdesk.Mutation
	for i := 0; i < 50; i++ {
		ms = append(ms, c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "并发备注"}))
	}
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, _, _ := c.push(ms...)
			statuses[i] = st
		}()
	}
	wg.Wait()
	for _, st := range statuses {
		if st != 200 && st != http.StatusConflict {
			t.Fatalf("status %d", st)
		}
	}
	c.push(ms...) // whatever happened, a final resend settles it
	for _, m := range ms {
		if n, _ := e.srv.EffectCount(context.Background(), m.Key); n != 1 {
			t.Fatalf("key %s: %d effects", m.Key, n)
		}
	}
	notes, _ := e.srv.Notes(context.Background(), o.ID)
	if len(notes) != len(ms) {
		t.Fatalf("notes %d, want %d", len(notes), len(ms))
	}
}

func TestPushClientOfAnotherUserIs403(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	c.pushOne(c.mut(streetdesk.MutAccept, o, nil))
	thief := e.client("cw02")
	thief.id = c.id
	st, _, body := thief.push(thief.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "x"}))
	if st != http.StatusForbidden {
		t.Fatalf("%d %s", st, body)
	}
	st, body = e.call(http.MethodGet, "/v1/sync/pull?clientId="+c.id, e.token("cw02"), nil, nil)
	if st != http.StatusForbidden {
		t.Fatalf("pull with another's clientId: %d %s", st, body)
	}
}

func TestPushVersionNotSupported(t *testing.T) {
	e := newEnv(t)
	st, body := e.call(http.MethodPost, "/v1/sync/push", e.token("cw01"),
		streetdesk.PushRequest{PushVersion: 99, ClientID: newID()}, nil)
	if st != http.StatusConflict || errCode(t, body) != streetdesk.ErrVersionNotSupported {
		t.Fatalf("%d %s", st, body)
	}
}

func TestPushInProgressIs409(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e := newEnv(t, func(c *platform.Config) {
		c.Hooks.BeforeCommit = func(m streetdesk.Mutation) error {
			once.Do(func() { close(entered); <-release })
			return nil
		}
	})
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	tok := e.token("cw01")
	m := c.mut(streetdesk.MutAccept, o, nil)
	first := make(chan int, 1)
	go func() {
		req := jsonRequest(t, http.MethodPost, e.ts.URL+"/v1/sync/push", streetdesk.PushRequest{PushVersion: 1, ClientID: c.id, Mutations: []streetdesk.Mutation{m}})
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := e.ts.Client().Do(req)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	<-entered
	req := jsonRequest(t, http.MethodPost, e.ts.URL+"/v1/sync/push", streetdesk.PushRequest{PushVersion: 1, ClientID: c.id, Mutations: []streetdesk.Mutation{m}})
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var eb streetdesk.ErrorBody
	json.NewDecoder(resp.Body).Decode(&eb)
	resp.Body.Close()
	close(release)
	if resp.StatusCode != http.StatusConflict || eb.Error.Code != streetdesk.ErrPushInProgress || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second push: %d %+v", resp.StatusCode, eb)
	}
	if st := <-first; st != 200 {
		t.Fatalf("first push: %d", st)
	}
	if n, _ := e.srv.EffectCount(context.Background(), m.Key); n != 1 {
		t.Fatalf("effects %d", n)
	}
}

// TestPushWithinOneBatch covers what a batch sees of its own earlier
// mutations: a key used twice (same payload: one effect; other payload: 422
// and nothing committed) and an order written earlier in the batch.
func TestPushWithinOneBatch(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	note := c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "备注"})
	again := note
	again.ID = c.next
	c.next++
	accept := c.mut(streetdesk.MutAccept, o, nil)
	after := c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "接单后"})
	st, pr, body := c.push(note, again, accept, after)
	if st != http.StatusOK || len(pr.Results) != 4 || pr.LastMutationID != after.ID {
		t.Fatalf("push: %d %s", st, body)
	}
	if r := pr.Results[1]; r.Status != streetdesk.ResultDuplicate || r.ID != again.ID || r.Version != pr.Results[0].Version {
		t.Fatalf("same key in one batch: %+v", r)
	}
	if n, _ := e.srv.EffectCount(context.Background(), note.Key); n != 1 {
		t.Fatalf("effects = %d", n)
	}
	// The note after the accept sees the accepted order's version.
	if pr.Results[2].Status != streetdesk.ResultApplied || pr.Results[3].Version != pr.Results[2].Version || pr.Results[3].Version != o.Version+1 {
		t.Fatalf("results: %+v", pr.Results)
	}
	stored, _ := e.srv.MutationResultByKey(context.Background(), after.Key)
	if stored == nil || stored.Status != streetdesk.ResultApplied || stored.Version != o.Version+1 {
		t.Fatalf("stored result: %+v", stored)
	}

	// Other payload under a key used earlier in the same batch.
	o2 := e.dispatch("teamA", "cw01")
	first := c.mut(streetdesk.MutAddNote, o2, streetdesk.AddNoteArgs{NoteID: newID(), Body: "一"})
	clash := c.mut(streetdesk.MutAddNote, o2, streetdesk.AddNoteArgs{NoteID: newID(), Body: "二"})
	clash.Key = first.Key
	st, _, body = c.push(first, clash)
	if st != http.StatusUnprocessableEntity || errCode(t, body) != streetdesk.ErrKeyPayloadMismatch {
		t.Fatalf("clash: %d %s", st, body)
	}
	if notes, _ := e.srv.Notes(context.Background(), o2.ID); len(notes) != 0 {
		t.Fatalf("notes after a 422 = %d", len(notes))
	}
}
