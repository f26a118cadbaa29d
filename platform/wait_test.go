package platform_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/pgtest"
	"github.com/streetdesk/streetdesk/platform"
)

// waitAnswer is what a GET /v1/sync/wait came back with.
type waitAnswer struct {
	status  int
	changed bool
	code    string
	err     error
}

// waitOn starts a long poll as user with cursor and timeout (seconds) on
// base and returns its answer's channel.
func waitOn(ctx context.Context, base, tok, cursor, timeout string) <-chan waitAnswer {
	q := url.Values{"cursor": {cursor}}
	if timeout != "" {
		q.Set("timeout", timeout)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/sync/wait?"+q.Encode(), nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	out := make(chan waitAnswer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- waitAnswer{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		a := waitAnswer{status: resp.StatusCode}
		if resp.StatusCode == http.StatusOK {
			var wr streetdesk.WaitResponse
			a.err = json.Unmarshal(b, &wr)
			a.changed = wr.Changed
		} else {
			var eb streetdesk.ErrorBody
			_ = json.Unmarshal(b, &eb)
			a.code = eb.Error.Code
		}
		out <- a
	}()
	return out
}

// held waits until srv holds n long polls (registration happens after the
// request is read, so a test that means to wake a held wait waits for it).
func held(t *testing.T, srv *platform.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for srv.Waiting() != n {
		if time.Now().After(deadline) {
			t.Fatalf("holding %d waits, want %d", srv.Waiting(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestWaitWakesOnlyWhoSeesTheChange: an order dispatched to cw01 of teamA
// answers the waits of cw01 and of teamA's lead at once; cw02 (same team,
// not assigned), another team's lead and caseworker are not told and their
// waits end at their timeout with changed false.
func TestWaitWakesOnlyWhoSeesTheChange(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	users := []struct {
		name string
		want bool
	}{
		{"cw01", true}, {"lead01", true}, {"cw02", false}, {"lead03", false}, {"cw04", false},
	}
	answers := make([]<-chan waitAnswer, len(users))
	for i, u := range users {
		cur := e.client(u.name).pull("", 0).Cursor
		timeout := "3" // long enough for all five to be held first
		if u.want {
			timeout = "50" // answered by the wake, not by the timeout
		}
		answers[i] = waitOn(ctx, e.ts.URL, e.token(u.name), cur, timeout)
	}
	held(t, e.srv, len(users))
	e.dispatch("teamA", "cw01")
	for i, u := range users {
		a := <-answers[i]
		if a.err != nil || a.status != http.StatusOK || a.changed != u.want {
			t.Errorf("%s: %+v, want 200 changed=%t", u.name, a, u.want)
		}
	}
	if n := e.srv.Waiting(); n != 0 {
		t.Errorf("%d waits still held", n)
	}
}

// TestWaitAnswersAtOnce: a change already there after the cursor, a
// snapshot cursor still paging or a cursor of another database answer
// changed at once; with nothing new, timeout=0 answers false at once.
func TestWaitAnswersAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client("cw01")
	old := c.pull("", 0).Cursor
	e.dispatch("teamA", "cw01")
	e.dispatch("teamA", "cw01")
	paging := c.pull("", 1) // hasMore: a snapshot cursor
	if !paging.HasMore {
		t.Fatal("want a page with more")
	}
	now := c.pullAll(old, 0)
	foreign := "djE6ZGVhZGJlZWY6MTpkOjA6MTc2Mzg2MDAwMDAwMA" // v1:deadbeef:1:d:0:…
	for _, tc := range []struct {
		name, cursor, timeout string
		want                  bool
	}{
		{"change after the cursor", old, "50", true},
		{"snapshot being paged", paging.Cursor, "50", true},
		{"other database", foreign, "50", true},
		{"nothing new, no wait", now[len(now)-1].Cursor, "0", false},
	} {
		a := <-waitOn(ctx, e.ts.URL, e.token("cw01"), tc.cursor, tc.timeout)
		if a.err != nil || a.status != http.StatusOK || a.changed != tc.want {
			t.Errorf("%s: %+v, want 200 changed=%t", tc.name, a, tc.want)
		}
	}
}

// TestWaitBadRequests: no or a bad token is 401, a centre role 403, a
// missing or malformed cursor and a timeout out of 0–55 s are 400.
func TestWaitBadRequests(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cur := e.client("cw01").pull("", 0).Cursor
	tok := e.token("cw01")
	for _, tc := range []struct {
		name, tok, cursor, timeout string
		status                     int
	}{
		{"no token", "", cur, "0", 401},
		{"bad token", "nope", cur, "0", 401},
		{"centre role", e.token("dispatcher"), cur, "0", 403},
		{"no cursor", tok, "", "0", 400},
		{"malformed cursor", tok, "%%%not-base64", "0", 400},
		{"cursor of garbage", tok, "Z2FyYmFnZQ", "0", 400},
		{"timeout too long", tok, cur, "56", 400},
		{"negative timeout", tok, cur, "-1", 400},
		{"timeout not a number", tok, cur, "soon", 400},
	} {
		a := <-waitOn(ctx, e.ts.URL, tc.tok, tc.cursor, tc.timeout)
		if a.err != nil || a.status != tc.status {
			t.Errorf("%s: %+v, want %d", tc.name, a, tc.status)
		}
	}
}

// TestWaitClientGone: a desk that hangs up is forgotten at once.
func TestWaitClientGone(t *testing.T) {
	e := newEnv(t)
	cur := e.client("cw01").pull("", 0).Cursor
	ctx, cancel := context.WithCancel(context.Background())
	ans := waitOn(ctx, e.ts.URL, e.token("cw01"), cur, "50")
	held(t, e.srv, 1)
	cancel()
	if a := <-ans; a.err == nil {
		t.Errorf("cancelled wait answered %+v", a)
	}
	held(t, e.srv, 0)
}

// TestWaitHoldsNoRequestSlot: waits held beyond MaxInFlight leave the
// slots to pulls and pushes; past MaxWaits a wait gets 503 Busy with
// Retry-After; draining answers the held ones "no change".
func TestWaitHoldsNoRequestSlot(t *testing.T) {
	e := newEnv(t, func(c *platform.Config) { c.MaxInFlight, c.MaxWaits = 1, 3 })
	ctx := context.Background()
	c := e.client("cw01")
	cur := c.pull("", 0).Cursor
	tok := e.token("cw01")
	var ans []<-chan waitAnswer
	for range 3 {
		ans = append(ans, waitOn(ctx, e.ts.URL, tok, cur, "50"))
	}
	held(t, e.srv, 3)
	c.pull(cur, 0) // fails the test unless 200
	if a := <-waitOn(ctx, e.ts.URL, tok, cur, "50"); a.status != http.StatusServiceUnavailable || a.code != streetdesk.ErrBusy {
		t.Errorf("wait past MaxWaits: %+v", a)
	}
	e.srv.DrainWaits()
	for _, ch := range ans {
		if a := <-ch; a.status != http.StatusOK || a.changed {
			t.Errorf("drained wait: %+v", a)
		}
	}
	if a := <-waitOn(ctx, e.ts.URL, tok, cur, "50"); a.status != http.StatusServiceUnavailable {
		t.Errorf("wait while draining: %+v", a)
	}
}

// TestWaitAcrossInstances: two platform instances on one PostgreSQL
// database; an order dispatched through A wakes the desk waiting on B
// (LISTEN/NOTIFY), also when B's listening connection was cut just before
// (it reconnects and wakes everyone, so nothing committed meanwhile is
// missed).
func TestWaitAcrossInstances(t *testing.T) {
	needPostgres(t)
	a := newEnv(t)
	cfg := platform.Config{DBPath: a.dbPath, MediaDir: t.TempDir(), Now: a.clock.Now}
	b, err := platform.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	bts := httptest.NewServer(b.Handler())
	t.Cleanup(bts.Close)
	ctx := context.Background()
	cur := a.client("cw01").pull("", 0).Cursor
	tok := a.token("cw01") // tokens live in the database: valid on B too

	ans := waitOn(ctx, bts.URL, tok, cur, "50")
	held(t, b, 1)
	a.dispatch("teamA", "cw01")
	if got := <-ans; got.status != http.StatusOK || !got.changed {
		t.Fatalf("wait on B after a dispatch through A: %+v", got)
	}

	cur = a.client("cw01").pullAll(cur, 0)[0].Cursor
	ans = waitOn(ctx, bts.URL, tok, cur, "50")
	held(t, b, 1)
	u, _ := url.Parse(a.dbPath)
	if err := pgtest.Shared(t).Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'platformd listener' AND datname = '`+strings.TrimPrefix(u.Path, "/")+`'`); err != nil {
		t.Fatal(err)
	}
	a.dispatch("teamA", "cw01")
	select {
	case got := <-ans:
		if got.status != http.StatusOK || !got.changed {
			t.Fatalf("wait on B across a lost listener: %+v", got)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("the wake was lost with the listener's connection")
	}
}
