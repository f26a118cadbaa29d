package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
)

// gate holds pushes inside their transaction until opened: BeforeCommit
// reports each arrival on in, then waits for open.
type gate struct {
	in   chan streetdesk.Mutation
	open chan struct{}
}

func newGate() *gate { return &gate{in: make(chan streetdesk.Mutation, 10), open: make(chan struct{})} }

func (g *gate) hook(m streetdesk.Mutation) error {
	g.in <- m
	<-g.open
	return nil
}

// waitQueued waits until n requests wait for a slot.
func waitQueued(t *testing.T, srv *platform.Server, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for srv.RequestsWaiting() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests waiting, want %d", srv.RequestsWaiting(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// pushAsync pushes on its own goroutine with ctx; the answer's status (0
// for a failed request) arrives on the channel.
func (c *client) pushAsync(ctx context.Context, ms ...streetdesk.Mutation) <-chan int {
	body, _ := json.Marshal(streetdesk.PushRequest{PushVersion: 1, SchemaVersion: streetdesk.SchemaVersion, ClientID: c.id, Mutations: ms})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.e.ts.URL+"/v1/sync/push", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.e.token(c.user))
	out := make(chan int, 1)
	go func() {
		resp, err := c.e.ts.Client().Do(req)
		if err != nil {
			out <- 0
			return
		}
		resp.Body.Close()
		out <- resp.StatusCode
	}()
	return out
}

// get sends an authenticated GET on its own goroutine; the status (0 for a
// failed request) and the error code arrive on the channel.
func (e *env) get(ctx context.Context, path, tok string) <-chan [2]string {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	out := make(chan [2]string, 1)
	go func() {
		resp, err := e.ts.Client().Do(req)
		if err != nil {
			out <- [2]string{"0", ""}
			return
		}
		defer resp.Body.Close()
		var eb streetdesk.ErrorBody
		json.NewDecoder(resp.Body).Decode(&eb)
		out <- [2]string{itoa(resp.StatusCode) + " Retry-After:" + resp.Header.Get("Retry-After"), eb.Error.Code}
	}()
	return out
}

// TestBusyBeyondTheCap: past MaxInFlight, requests wait in line (at most
// MaxQueued of them, each at most QueueWait) and the others get 503 Busy
// with Retry-After; a request whose turn comes in time is served.
func TestBusyBeyondTheCap(t *testing.T) {
	for _, wait := range []time.Duration{50 * time.Millisecond, time.Minute} {
		g := newGate()
		e := newEnv(t, func(c *platform.Config) {
			c.MaxInFlight, c.MaxQueued, c.QueueWait = 1, 1, wait
			c.Hooks.BeforeCommit = g.hook
		})
		o := e.dispatch("teamA", "cw01")
		tok := e.token("cw01")
		c := e.client("cw01")
		held := c.pushAsync(context.Background(), c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "现场查看"}))
		<-g.in // the push holds the only slot
		busy := [2]string{"503 Retry-After:1", streetdesk.ErrBusy}
		if wait < time.Second {
			// Nobody frees the slot within the wait.
			if got := <-e.get(context.Background(), "/v1/me", tok); got != busy {
				t.Fatalf("after the wait: %v", got)
			}
		} else {
			// One waits in line; the line is then full and the next is
			// refused at once; the one in line is served when the slot frees.
			inLine := e.get(context.Background(), "/v1/me", tok)
			waitQueued(t, e.srv, 1)
			if got := <-e.get(context.Background(), "/v1/me", tok); got != busy {
				t.Fatalf("line full: %v", got)
			}
			close(g.open)
			if got := <-inLine; got[0] != "200 Retry-After:" {
				t.Fatalf("in line when the slot freed: %v", got)
			}
		}
		if wait < time.Second {
			close(g.open)
		}
		if st := <-held; st != 200 {
			t.Fatalf("the push holding the slot: %d", st)
		}
	}
}

// TestClientGoneWhileQueued: a read whose client goes away while it waits
// for a slot leaves the line and never runs. (A push's server only notices
// once it reads the body, so a push in line may still run to its commit;
// its resend then gets the stored result, see the next test.)
func TestClientGoneWhileQueued(t *testing.T) {
	g := newGate()
	e := newEnv(t, func(c *platform.Config) {
		c.MaxInFlight, c.QueueWait = 1, time.Minute
		c.Hooks.BeforeCommit = g.hook
	})
	o := e.dispatch("teamA", "cw01")
	a := e.client("cw01")
	held := a.pushAsync(context.Background(), a.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "先到"}))
	<-g.in
	ctx, cancel := context.WithCancel(context.Background())
	gone := e.get(ctx, "/v1/sync/pull", e.token("cw01"))
	waitQueued(t, e.srv, 1)
	cancel()
	if got := <-gone; got[0] != "0" {
		t.Fatalf("canceled request answered %v", got)
	}
	waitQueued(t, e.srv, 0) // left the line while the slot is still held
	close(g.open)
	if st := <-held; st != 200 {
		t.Fatal(st)
	}
}

// TestPushCommitsWhenClientLeaves: a push whose client goes away mid-way
// still commits (never half-applied), and the client's resend gets the
// stored results.
func TestPushCommitsWhenClientLeaves(t *testing.T) {
	g := newGate()
	e := newEnv(t, func(c *platform.Config) { c.Hooks.BeforeCommit = g.hook })
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	ms := []streetdesk.Mutation{
		c.mut(streetdesk.MutAccept, o, nil),
		c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "现场查看，井盖已设置围挡。"}),
	}
	ctx, cancel := context.WithCancel(context.Background())
	gone := c.pushAsync(ctx, ms...)
	<-g.in // inside the transaction, first mutation applied
	cancel()
	if st := <-gone; st != 0 {
		t.Fatalf("canceled request answered %d", st)
	}
	close(g.open)
	<-g.in
	// The resend, as the engine does it: again after a 409 PushInProgress
	// while the abandoned push finishes.
	st, pr, body := c.push(ms...)
	for i := 0; st == http.StatusConflict && i < 1000; i++ {
		time.Sleep(5 * time.Millisecond)
		st, pr, body = c.push(ms...)
	}
	if st != 200 || len(pr.Results) != 2 || pr.LastMutationID != 2 {
		t.Fatalf("resend: %d %s", st, body)
	}
	for i, r := range pr.Results {
		if r.Status != streetdesk.ResultDuplicate || r.Key != ms[i].Key {
			t.Errorf("resend result %d: %+v", i, r)
		}
		if n, err := e.srv.EffectCount(context.Background(), ms[i].Key); err != nil || n != 1 {
			t.Errorf("mutation %d applied %d times (%v)", i, n, err)
		}
	}
	if got := e.order(o.ID); got.Status != streetdesk.StatusAccepted {
		t.Fatalf("order: %s", got.Status)
	}
	if notes, err := e.srv.Notes(context.Background(), o.ID); err != nil || len(notes) != 1 {
		t.Fatalf("notes: %d %v", len(notes), err)
	}
}
