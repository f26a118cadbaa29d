package sync_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync"
)

// fakeClock drives the engine's timers.
type fakeClock struct {
	mu     gosync.Mutex
	now    time.Time
	timers []*fakeTimer
	armed  chan struct{} // closed and replaced when a timer is created
}

type fakeTimer struct {
	c       chan time.Time
	at      time.Time
	stopped bool
	clk     *fakeClock
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), armed: make(chan struct{})}
}

// AdvanceWhenArmed waits until some timer is due within d, then advances
// by d (so a trigger the engine has not yet seen is not missed).
func (c *fakeClock) AdvanceWhenArmed(t interface {
	Helper()
	Fatalf(string, ...any)
}, d time.Duration) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		c.mu.Lock()
		due := false
		for _, tm := range c.timers {
			if !tm.stopped && !tm.at.After(c.now.Add(d)) {
				due = true
			}
		}
		ch := c.armed
		c.mu.Unlock()
		if due {
			c.Advance(d)
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no timer due within %v", d)
		}
	}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) sync.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: make(chan time.Time, 1), at: c.now.Add(d), clk: c}
	if d <= 0 {
		t.c <- c.now
		t.stopped = true
	} else {
		c.timers = append(c.timers, t)
	}
	close(c.armed)
	c.armed = make(chan struct{})
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }
func (t *fakeTimer) Stop() bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	select { // like Go ≥ 1.23: no stale value after Stop
	case <-t.c:
	default:
	}
	return was
}

// Advance moves the clock and fires due timers.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	var keep []*fakeTimer
	for _, t := range c.timers {
		if t.stopped {
			continue
		}
		if !t.at.After(c.now) {
			t.stopped = true
			t.c <- c.now
			continue
		}
		keep = append(keep, t)
	}
	c.timers = keep
}

// fault is what the test's network does to one request.
type fault struct {
	dropRequest  bool   // never reaches the platform (dial error)
	dropResponse bool   // the platform processed it; the answer is lost
	status       int    // answer with this status instead (before the platform)
	retryAfter   string // with status
	ctype, body  string // with status (e.g. a captive portal)
	cutAfter     int64  // the request body breaks after n bytes
	hang         bool   // no answer until the caller gives up
	uploadOffset string // with status: an Upload-Offset header
}

// faultRT is a fault-injecting http.RoundTripper.
type faultRT struct {
	next http.RoundTripper
	mu   gosync.Mutex
	plan func(r *http.Request) fault
	n    map[string]int // requests seen per path prefix kind
	sent atomic.Int64   // request body bytes that went out
}

func (f *faultRT) setPlan(p func(r *http.Request) fault) {
	f.mu.Lock()
	f.plan = p
	f.mu.Unlock()
}

func (f *faultRT) count(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n[kind]
}

func kindOf(r *http.Request) string {
	switch {
	case strings.HasSuffix(r.URL.Path, "/push"):
		return "push"
	case strings.HasSuffix(r.URL.Path, "/pull"):
		return "pull"
	case strings.HasPrefix(r.URL.Path, "/v1/uploads"):
		return strings.ToLower(r.Method)
	case strings.HasPrefix(r.URL.Path, "/v1/blobs"):
		return "blob"
	}
	return "other"
}

type countingBody struct {
	r     io.ReadCloser
	n     *atomic.Int64
	left  int64 // <0: no cut
	limit bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.limit {
		if b.left <= 0 {
			return 0, io.ErrUnexpectedEOF
		}
		if int64(len(p)) > b.left {
			p = p[:b.left]
		}
	}
	n, err := b.r.Read(p)
	b.n.Add(int64(n))
	b.left -= int64(n)
	return n, err
}
func (b *countingBody) Close() error { return b.r.Close() }

func (f *faultRT) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	if f.n == nil {
		f.n = map[string]int{}
	}
	f.n[kindOf(r)]++
	plan := f.plan
	f.mu.Unlock()
	var ft fault
	if plan != nil {
		ft = plan(r)
	}
	if ft.dropRequest {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	if ft.hang {
		if r.Body != nil {
			r.Body.Close()
		}
		<-r.Context().Done()
		return nil, r.Context().Err()
	}
	if ft.status != 0 {
		if r.Body != nil {
			r.Body.Close()
		}
		h := http.Header{}
		if ft.ctype != "" {
			h.Set("Content-Type", ft.ctype)
		}
		if ft.retryAfter != "" {
			h.Set("Retry-After", ft.retryAfter)
		}
		if ft.uploadOffset != "" {
			h.Set("Upload-Offset", ft.uploadOffset)
		}
		return &http.Response{StatusCode: ft.status, Header: h, Body: io.NopCloser(strings.NewReader(ft.body)), Request: r}, nil
	}
	if r.Body != nil {
		r.Body = &countingBody{r: r.Body, n: &f.sent, left: ft.cutAfter, limit: ft.cutAfter > 0}
	}
	resp, err := f.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if ft.dropResponse {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, io.ErrUnexpectedEOF
	}
	return resp, nil
}

// faultConn wraps connections: slow writes, a cut after n bytes written,
// or reads that never return (half-open).
type connPlan struct {
	bytesPerSec int64
	cutAfter    int64 // close after this many bytes written (0: never)
	halfOpen    bool
}

type faultDialer struct {
	mu   gosync.Mutex
	plan connPlan
}

func (d *faultDialer) set(p connPlan) {
	d.mu.Lock()
	d.plan = p
	d.mu.Unlock()
}

func (d *faultDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	p := d.plan
	d.mu.Unlock()
	return &faultConn{Conn: c, p: p, closed: make(chan struct{})}, nil
}

type faultConn struct {
	net.Conn
	p       connPlan
	written int64
	once    gosync.Once
	closed  chan struct{}
}

func (c *faultConn) Write(b []byte) (int, error) {
	if c.p.cutAfter > 0 && c.written+int64(len(b)) > c.p.cutAfter {
		n := c.p.cutAfter - c.written
		if n > 0 {
			m, _ := c.Conn.Write(b[:n])
			c.written += int64(m)
		}
		c.Close()
		return int(max(n, 0)), errors.New("connection reset by peer")
	}
	if c.p.bytesPerSec > 0 {
		total := 0
		for len(b) > 0 {
			chunk := b[:min(len(b), int(c.p.bytesPerSec/20)+1)]
			time.Sleep(50 * time.Millisecond) // the link is slow; this is the fault, not a test wait
			n, err := c.Conn.Write(chunk)
			c.written += int64(n)
			total += n
			if err != nil {
				return total, err
			}
			b = b[n:]
		}
		return total, nil
	}
	n, err := c.Conn.Write(b)
	c.written += int64(n)
	return n, err
}

func (c *faultConn) Read(b []byte) (int, error) {
	if c.p.halfOpen {
		<-c.closed
		return 0, net.ErrClosed
	}
	if c.p.bytesPerSec > 0 && len(b) > int(c.p.bytesPerSec/20)+1 {
		b = b[:c.p.bytesPerSec/20+1]
		time.Sleep(50 * time.Millisecond)
	}
	return c.Conn.Read(b)
}

func (c *faultConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// rig is one desktop (store + client + engine) against a fake platform.
type rig struct {
	t      testing.TB
	p      *fakePlatform
	srv    *httptest.Server
	store  *memStore
	clock  *fakeClock
	rt     *faultRT
	dialer *faultDialer
	client *sync.Client
	eng    *sync.Engine
	opts   sync.Options
	copts  sync.ClientOptions
	cancel context.CancelFunc
	done   chan error
}

type rigOption func(r *rig)

func withClientOpts(f func(o *sync.ClientOptions)) rigOption {
	return func(r *rig) { f(&r.copts) }
}

func withEngineOpts(f func(o *sync.Options)) rigOption {
	return func(r *rig) { f(&r.opts) }
}

func withStore(s *memStore) rigOption { return func(r *rig) { r.store = s } }

func withPlatform(p *fakePlatform, srv *httptest.Server) rigOption {
	return func(r *rig) { r.p, r.srv = p, srv }
}

func newRig(t testing.TB, opts ...rigOption) *rig {
	t.Helper()
	r := &rig{t: t, clock: newFakeClock(), dialer: &faultDialer{}}
	r.opts = sync.Options{Rand: func() float64 { return 0.5 }}
	for _, o := range opts {
		o(r)
	}
	if r.p == nil {
		r.p = newFakePlatform()
		r.srv = httptest.NewServer(r.p)
		t.Cleanup(r.srv.Close)
	}
	if r.store == nil {
		r.store = newMemStore("")
	}
	r.opts.Clock = r.clock
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = r.dialer.DialContext
	tr.ResponseHeaderTimeout = 5 * time.Second
	r.rt = &faultRT{next: tr}
	r.copts.BaseURL = r.srv.URL
	r.copts.Transport = r.rt
	if r.copts.CallTimeout == 0 {
		r.copts.CallTimeout = 5 * time.Second
	}
	c, err := sync.NewClient(r.copts)
	if err != nil {
		t.Fatal(err)
	}
	r.p.mu.Lock()
	tok, ref := r.p.token, r.p.refresh
	r.p.mu.Unlock()
	c.SetTokenSource(sync.NewTokens(c, tok, ref, nil))
	r.client = c
	r.eng = sync.New(r.store, c, r.opts)
	t.Cleanup(func() {
		r.stop()
		tr.CloseIdleConnections()
	})
	return r
}

func (r *rig) start() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.done = make(chan error, 1)
	go func() { r.done <- r.eng.Run(ctx) }()
}

func (r *rig) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		r.t.Errorf("Run did not return after cancel")
	}
	r.cancel = nil
	r.client.Close()
}

// waitFor waits (without sleeping) until cond holds on a status change.
func (r *rig) waitFor(what string, cond func(s streetdesk.SyncStatus, st sync.Stats) bool) streetdesk.SyncStatus {
	r.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		ch := r.eng.Notify()
		s, st := r.eng.Status(), r.eng.Stats()
		if cond(s, st) {
			return s
		}
		select {
		case <-ch:
		case <-deadline:
			r.t.Fatalf("timed out waiting for %s; status %+v, stats %+v", what, s, st)
		}
	}
}

// cycles waits until n cycles have completed in total.
func (r *rig) cycles(n int) sync.Stats {
	r.t.Helper()
	r.waitFor("cycles", func(s streetdesk.SyncStatus, st sync.Stats) bool {
		return st.Cycles >= n && s.State != streetdesk.SyncSyncing
	})
	return r.eng.Stats()
}

// idle waits for a successful cycle after `after` completed cycles.
func (r *rig) idleAfter(after int) {
	r.t.Helper()
	r.waitFor("idle", func(s streetdesk.SyncStatus, st sync.Stats) bool {
		return st.Cycles > after && s.State == streetdesk.SyncIdle
	})
}

// retryNow advances the fake clock past the scheduled retry.
func (r *rig) retryNow() {
	s := r.eng.Status()
	d := s.NextTry.Sub(r.clock.Now())
	if d < 0 {
		d = 0
	}
	r.clock.AdvanceWhenArmed(r.t, d+time.Millisecond)
}

// photo writes a random file and registers it as a pending blob.
func (r *rig) photo(size int, orderID string) (sha string, path string) {
	b := make([]byte, size)
	_, _ = rand.Read(b)
	sum := sha256.Sum256(b)
	sha = hex.EncodeToString(sum[:])
	dir := r.t.(interface{ TempDir() string }).TempDir()
	path = filepath.Join(dir, sha+".jpg")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		r.t.Fatal(err)
	}
	r.store.addBlob(sha, path, int64(size), orderID)
	return sha, path
}

func noteArgs(body string) streetdesk.AddNoteArgs {
	return streetdesk.AddNoteArgs{NoteID: newUUID(), Body: body}
}

// untilVerified retries (moving the fake clock) until the blob is verified.
func (r *rig) untilVerified(sha string) {
	r.t.Helper()
	for i := 1; i < 50; i++ {
		r.cycles(i)
		if r.store.blob(sha).State == "verified" {
			return
		}
		r.retryNow()
	}
	r.t.Fatalf("blob %s never verified: %+v", sha, r.store.blob(sha))
}
