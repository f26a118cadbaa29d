package sync_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync"
	"github.com/streetdesk/streetdesk/sync/internal/crashpoint"
)

const crashChildEnv = "STREETDESK_CRASH_CHILD"

// TestCrashChild is the re-exec'd desktop: it opens the store file, syncs
// until idle and exits. The parent stops it at a crash point or kills it.
func TestCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) == "" {
		t.Skip("only runs as the child of a crash test")
	}
	store := newMemStore(os.Getenv("CHILD_STORE"))
	c, err := sync.NewClient(sync.ClientOptions{BaseURL: os.Getenv("CHILD_URL")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetTokenSource(sync.NewTokens(c, os.Getenv("CHILD_TOKEN"), "", nil))
	e := sync.New(store, c, sync.Options{PullLimit: 7, ChunkSize: 64 << 10, MaxChunk: 64 << 10, BackoffBase: 10 * time.Millisecond, BackoffCap: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	deadline := time.After(20 * time.Second)
	for {
		ch := e.Notify()
		if s := e.Status(); e.Stats().OK > 0 && s.State == streetdesk.SyncIdle {
			break
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("child did not converge: %+v %+v", e.Status(), e.Stats())
		}
	}
	cancel()
	<-done
	fmt.Println(convergedLine)
}

// convergedLine is what a crash child prints once its sync went idle: a
// kill after it did not land mid-work.
const convergedLine = "crash child: converged"

type crashEnv struct {
	t    *testing.T
	p    *fakePlatform
	srv  *httptest.Server
	path string
}

// tap makes f see every request the platform gets (nil: none).
func (c *crashEnv) tap(f func(*http.Request)) {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	if f == nil {
		c.p.handler = nil
		return
	}
	c.p.handler = func(w http.ResponseWriter, r *http.Request) bool { f(r); return false }
}

func newCrashEnv(t *testing.T, notes int, photo int) *crashEnv {
	if testing.Short() {
		t.Skip("crash tests re-exec the test binary")
	}
	p := newFakePlatform()
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	ids := p.seed(20) // three pull pages of 7
	path := filepath.Join(t.TempDir(), "desk.json")
	s := newMemStore(path)
	s.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	for i := 0; i < notes; i++ {
		s.enqueue(streetdesk.MutAddNote, ids[i%len(ids)], noteArgs(fmt.Sprintf("记录 %d", i)))
	}
	if photo > 0 {
		r := &rig{t: t, store: s}
		sha, _ := r.photo(photo, ids[1])
		s.enqueue(streetdesk.MutAttachPhoto, ids[1], streetdesk.AttachPhotoArgs{PhotoRefID: newUUID(), SHA256: sha, Size: int64(photo), MIME: "image/jpeg", Tag: streetdesk.PhotoBefore})
	}
	return &crashEnv{t: t, p: p, srv: srv, path: path}
}

func (c *crashEnv) child(crashAt string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	c.p.mu.Lock()
	tok := c.p.token
	c.p.mu.Unlock()
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", "CHILD_STORE="+c.path, "CHILD_URL="+c.srv.URL, "CHILD_TOKEN="+tok)
	if crashAt != "" {
		cmd.Env = append(cmd.Env, crashpoint.Env+"="+crashAt)
	}
	return cmd
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// finish restarts the desktop on the same file and checks I1–I6.
func (c *crashEnv) finish() {
	c.t.Helper()
	out, err := c.child("").CombinedOutput()
	if err != nil {
		c.t.Fatalf("restart: %v\n%s", err, out)
	}
	checkInvariants(c.t, c.p, newMemStore(c.path))
}

// crashPoints are the engine's named crash points (sync/internal/crashpoint).
var crashPoints = []string{"push.before_send", "push.after_send", "push.after_results", "pull.mid_apply", "upload.after_create", "upload.mid_patch"}

// crashRig is a desktop whose files a re-exec'd child works on.
type crashRig interface {
	child(point string) *exec.Cmd
	// tap makes f see every request the platform gets (nil: none).
	tap(f func(*http.Request))
	finish()
}

// crashAtEachPoint stops a child at every named crash point, then checks.
func crashAtEachPoint(t *testing.T, mk func(t *testing.T) crashRig) {
	for _, point := range crashPoints {
		t.Run(point, func(t *testing.T) {
			c := mk(t)
			out, err := c.child(point).CombinedOutput()
			if code := exitCode(err); code != 137 {
				t.Fatalf("child exit %d, want 137 at %s\n%s", code, point, out)
			}
			c.finish()
		})
	}
}

// killThrice SIGKILLs runs of the child until three kills have landed
// mid-work, then restarts it to the end and checks. A run is killed d after
// it sends its k-th sync request (k in [1, 4], d in [0, span) ms): d near 0
// lands while the request is in flight, later ones while the child works on
// the answer or waits for its next request, which the platform holds until
// the kill. A kill counts only if it provably landed mid-work: the child
// died of the signal before reporting that its sync converged (a run whose
// k-th request was its last may converge first: it is logged and drawn
// again). The seed is logged; STREETDESK_CRASH_SEED replays the draws.
func killThrice(t *testing.T, c crashRig, rng *rand.Rand, span int) {
	t.Helper()
	kills := 0
	for run := 1; kills < 3; run++ {
		if run > 12 {
			t.Fatalf("only %d of %d runs were killed mid-work", kills, run-1)
		}
		k, d := int32(1+rng.IntN(4)), time.Duration(rng.IntN(span))*time.Millisecond
		cmd := c.child("")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		var proc atomic.Pointer[os.Process]
		var seen atomic.Int32
		var fired atomic.Bool
		dead := make(chan struct{})
		kill := func() {
			if p := proc.Load(); p != nil {
				fired.Store(true)
				_ = p.Signal(syscall.SIGKILL)
			}
			close(dead)
		}
		c.tap(func(r *http.Request) {
			if !syncRequest(r) {
				return
			}
			switch n := seen.Add(1); {
			case n == k:
				time.AfterFunc(d, kill)
			case n > k:
				<-dead // the run's later requests wait for the kill
			}
		})
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		proc.Store(cmd.Process)
		err := cmd.Wait()
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		converged := strings.Contains(out.String(), convergedLine)
		switch {
		case converged:
			t.Logf("run %d: converged after %d sync requests, before the kill at request %d + %v; drawn again", run, seen.Load(), k, d)
		case ws.Signaled() && fired.Load():
			kills++
			t.Logf("run %d: killed mid-work %v after its sync request %d (%d sent)", run, d, k, seen.Load())
		default:
			t.Fatalf("run %d: the child ended by itself without converging (%v)\n%s", run, err, out.String())
		}
		if seen.Load() >= k {
			<-dead // the kill has fired: no held request is left behind
		}
		c.tap(nil)
	}
	c.finish()
}

// syncRequest reports whether r is part of a sync (not a sign-in).
func syncRequest(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, "/v1/sync/") || strings.HasPrefix(p, "/v1/uploads") || strings.HasPrefix(p, "/v1/blobs/")
}

// crashSeed is the seed of a randomized crash test: STREETDESK_CRASH_SEED,
// or the clock. It is logged so that a failure can be replayed.
func crashSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("STREETDESK_CRASH_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("STREETDESK_CRASH_SEED: %v", err)
		}
	}
	t.Logf("seed %d (STREETDESK_CRASH_SEED=%d replays the draws)", seed, seed)
	return seed
}

func TestCrash_NamedPoints(t *testing.T) {
	crashAtEachPoint(t, func(t *testing.T) crashRig { return newCrashEnv(t, 3, 300<<10) })
}

func TestCrash_SIGKILLAtRandomMoments(t *testing.T) {
	runs := 3
	if os.Getenv("STREETDESK_LONG") != "" {
		runs = 40
	}
	rng := rand.New(rand.NewPCG(crashSeed(t), 7))
	for i := 0; i < runs; i++ {
		killThrice(t, newCrashEnv(t, 150, 1<<20), rng, 10)
	}
}
