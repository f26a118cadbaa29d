package sync_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
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
}

type crashEnv struct {
	t    *testing.T
	p    *fakePlatform
	srv  *httptest.Server
	path string
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

// killThrice starts the child three times and SIGKILLs it after a random
// delay in [min, min+span), then checks.
func killThrice(t *testing.T, c crashRig, rng *rand.Rand, min, span int) {
	for k := 0; k < 3; k++ {
		cmd := c.child("")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(min+rng.IntN(span)) * time.Millisecond) // the random moment of the kill
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}
	c.finish()
}

func TestCrash_NamedPoints(t *testing.T) {
	crashAtEachPoint(t, func(t *testing.T) crashRig { return newCrashEnv(t, 3, 300<<10) })
}

func TestCrash_SIGKILLAtRandomMoments(t *testing.T) {
	runs := 3
	if os.Getenv("STREETDESK_LONG") != "" {
		runs = 40
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for i := 0; i < runs; i++ {
		killThrice(t, newCrashEnv(t, 150, 1<<20), rng, 5, 60)
	}
}
