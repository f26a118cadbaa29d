package sync_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
	"github.com/streetdesk/streetdesk/sync"
	"github.com/streetdesk/streetdesk/sync/internal/crashpoint"
)

// Crash tests on the real localdb file against the real platform.

// TestCrashChildReal is the re-exec'd desktop on a localdb file.
func TestCrashChildReal(t *testing.T) {
	if os.Getenv(crashChildEnv) != "real" {
		t.Skip("only runs as the child of a crash test")
	}
	var user streetdesk.User
	if err := json.Unmarshal([]byte(os.Getenv("CHILD_USER")), &user); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := localdb.Open(ctx, os.Getenv("CHILD_STORE"), localdb.Options{User: user})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := sync.NewClient(sync.ClientOptions{BaseURL: os.Getenv("CHILD_URL")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	lr, err := c.Login(ctx, user.Username, realPassword)
	if err != nil {
		t.Fatal(err)
	}
	c.SetTokenSource(sync.NewTokens(c, lr.Token, lr.RefreshToken, nil))
	e := sync.New(db, c, sync.Options{PullLimit: 7, ChunkSize: 64 << 10, MaxChunk: 64 << 10, BackoffBase: 10 * time.Millisecond, BackoffCap: 50 * time.Millisecond})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(rctx) }()
	deadline := time.After(30 * time.Second)
	for {
		ch := e.Notify()
		if e.Stats().OK > 0 && e.Status().State == streetdesk.SyncIdle {
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

type realCrash struct {
	t    *testing.T
	e    *realEnv
	path string
	keys []string
	shas []string
}

// newRealCrash syncs a desktop once, then does offline work on it and
// closes it, leaving the file for the child.
func newRealCrash(t *testing.T, notes int, photoSize int) *realCrash {
	if testing.Short() {
		t.Skip("crash tests re-exec the test binary")
	}
	e := newRealEnv(t)
	ids := e.dispatch(12, e.cw.ID)
	path := filepath.Join(t.TempDir(), "desk.db")
	d := e.desk(path, e.cw, sync.Options{})
	d.start()
	if st := d.waitCycle(0); st.LastErr != nil {
		t.Fatal(st.LastErr)
	}
	d.stop()
	ctx := context.Background()
	c := &realCrash{t: t, e: e, path: path}
	if photoSize > 0 {
		data := make([]byte, photoSize)
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		pp := filepath.Join(t.TempDir(), "p.jpg")
		_ = os.WriteFile(pp, data, 0o600)
		p, err := importForTest(ctx, d.db, ids[0], pp)
		if err != nil {
			t.Fatal(err)
		}
		c.shas = append(c.shas, p.SHA256)
	}
	for i := 1; i < 4; i++ {
		if i == 0 && photoSize > 0 {
			continue
		}
		if err := d.db.Accept(ctx, ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < notes; i++ {
		if err := d.db.AddNote(ctx, ids[1+i%3], fmt.Sprintf("离线记录 %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	pend, err := d.db.PendingMutations(ctx, 10000)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range pend {
		c.keys = append(c.keys, m.Key)
	}
	d.close()
	return c
}

func (c *realCrash) tap(f func(*http.Request)) {
	if f == nil {
		c.e.tap.Store(nil)
		return
	}
	c.e.tap.Store(&f)
}

func (c *realCrash) child(crashAt string) *exec.Cmd {
	u, _ := json.Marshal(c.e.cw)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChildReal$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"=real", "CHILD_STORE="+c.path, "CHILD_URL="+c.e.ts.URL, "CHILD_USER="+string(u))
	if crashAt != "" {
		cmd.Env = append(cmd.Env, crashpoint.Env+"="+crashAt)
	}
	return cmd
}

// finish restarts the desktop on the same file and checks I1–I4 against
// the platform's database.
func (c *realCrash) finish() {
	t := c.t
	t.Helper()
	if out, err := c.child("").CombinedOutput(); err != nil {
		t.Fatalf("restart: %v\n%s", err, out)
	}
	ctx := context.Background()
	db, err := localdb.Open(ctx, c.path, localdb.Options{User: c.e.cw})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conflicts, _ := db.Conflicts(ctx, true)
	inbox := map[string]bool{}
	for _, cf := range conflicts {
		inbox[cf.MutationKey] = true
	}
	for _, k := range c.keys {
		n, err := c.e.srv.EffectCount(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if n > 1 {
			t.Errorf("I2: key %s has %d effects", k, n)
		}
		if r, err := c.e.srv.MutationResultByKey(ctx, k); (err != nil || r == nil) && !inbox[k] {
			t.Errorf("I1: key %s neither answered nor in conflicts (%v)", k, err)
		}
	}
	for _, sha := range c.shas {
		b, err := os.ReadFile(c.e.srv.BlobPath(sha))
		if err != nil {
			t.Errorf("I4/I6: blob %s not on the platform: %v", sha, err)
			continue
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != sha {
			t.Errorf("I4: platform blob %s has another hash", sha)
		}
	}
	d := &desk{t: t, db: db}
	c.e.checkReal(t, d, c.e.cw)
	d.db = nil
}

func TestCrashReal_NamedPoints(t *testing.T) {
	crashAtEachPoint(t, func(t *testing.T) crashRig { return newRealCrash(t, 5, 300<<10) })
}

func TestCrashReal_SIGKILLAtRandomMoments(t *testing.T) {
	runs := 2
	if os.Getenv("STREETDESK_LONG") != "" {
		runs = 20
	}
	rng := rand.New(rand.NewPCG(crashSeed(t), 11))
	for i := 0; i < runs; i++ {
		killThrice(t, newRealCrash(t, 120, 1<<20), rng, 15)
	}
}

// TestCrashReal_Batch1000: the real platform lists pushBatch1000, so 700
// queued mutations (more than pushBatch500 takes) go in one push. The desk
// is stopped at each push crash point of that batch, and SIGKILLed while
// the platform holds the batch (it then commits all of it with nobody to
// answer: the lost response of a large batch). Restarted, every mutation
// has exactly one effect.
func TestCrashReal_Batch1000(t *testing.T) {
	for _, point := range []string{"push.before_send", "push.after_send", "push.after_results", "kill-while-platform-holds-batch"} {
		t.Run(point, func(t *testing.T) {
			c := newRealCrash(t, 700, 0)
			var largest atomic.Int32
			var proc atomic.Pointer[os.Process]
			c.tap(func(r *http.Request) {
				if r.URL.Path != "/v1/sync/push" {
					return
				}
				b, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(b))
				var req streetdesk.PushRequest
				_ = json.Unmarshal(b, &req)
				n := int32(len(req.Mutations))
				if n > largest.Load() {
					largest.Store(n)
				}
				if p := proc.Load(); p != nil && n > streetdesk.MaxPushMutations {
					_ = p.Signal(syscall.SIGKILL) // the platform goes on with the batch
				}
			})
			cmd := c.child(point)
			if point == "kill-while-platform-holds-batch" {
				cmd = c.child("")
			}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if point == "kill-while-platform-holds-batch" {
				proc.Store(cmd.Process)
			}
			err := cmd.Wait()
			if ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() && exitCode(err) != 137 {
				t.Fatalf("child not killed (%v)\n%s", err, out.String())
			}
			proc.Store(nil)
			c.finish()
			c.tap(nil)
			if largest.Load() <= streetdesk.MaxPushMutationsLarge {
				t.Errorf("largest push %d mutations: no batch past pushBatch500's %d", largest.Load(), streetdesk.MaxPushMutationsLarge)
			}
		})
	}
}
