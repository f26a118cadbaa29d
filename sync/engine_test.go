package sync_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/pgtest"
	"github.com/streetdesk/streetdesk/sync"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		os.Exit(m.Run())
	}
	// tusd (inside the platform) cancels request contexts after a delay;
	// those are the server's goroutines, not the engine's.
	// The real-platform tests run on PostgreSQL too (STREETDESK_TEST_DB).
	goleak.VerifyTestMain(pgtest.Wrap(m), goleak.IgnoreTopFunction("github.com/tus/tusd/v2/pkg/handler.newDelayedContext.func1"))
}

func TestEngine_FirstSyncPushPullConverge(t *testing.T) {
	r := newRig(t)
	ids := r.p.seed(3)
	r.start()
	r.idleAfter(0)
	// Work done after the first sync: accept + note, then a trigger.
	r.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	r.store.enqueue(streetdesk.MutAddNote, ids[0], noteArgs("现场已查看"))
	r.eng.Trigger()
	before := r.eng.Stats().Cycles
	r.clock.AdvanceWhenArmed(t, 1100*time.Millisecond) // debounce
	r.idleAfter(before)
	r.stop()
	if got := r.p.order(ids[0]).Status; got != streetdesk.StatusAccepted {
		t.Fatalf("platform status %s, want accepted", got)
	}
	s := r.eng.Status()
	if s.State != streetdesk.SyncIdle || s.LastSync.IsZero() || !s.Reason.IsZero() || !s.Activity.IsZero() {
		t.Fatalf("status %+v", s)
	}
	checkInvariants(t, r.p, r.store)
}

// TestEngine_RestoresLastSync: a new engine (the next start, a new sign-in)
// reports the last successful sync the store remembers while its first
// cycle runs, not "never synced".
func TestEngine_RestoresLastSync(t *testing.T) {
	r := newRig(t)
	r.p.seed(1)
	last := time.Date(2026, 3, 11, 17, 42, 0, 0, streetdesk.ChinaTZ)
	if err := r.store.SetState(context.Background(), "last_sync", last.UTC().Format(time.RFC3339Nano)); err != nil {
		t.Fatal(err)
	}
	r.rt.setPlan(func(req *http.Request) fault {
		return fault{hang: kindOf(req) == "pull"} // the first cycle stays in progress
	})
	r.start()
	s := r.waitFor("the first cycle under way", func(s streetdesk.SyncStatus, _ sync.Stats) bool {
		return s.State == streetdesk.SyncSyncing && s.Activity.Code == streetdesk.MsgSyncPulling
	})
	if !s.LastSync.Equal(last) {
		t.Errorf("during the first cycle: last sync %v, want %v", s.LastSync, last)
	}
	r.stop()
}

func TestEngine_PeriodicSync(t *testing.T) {
	r := newRig(t)
	r.p.seed(1)
	r.start()
	r.idleAfter(0)
	r.p.seed(1)
	r.clock.AdvanceWhenArmed(t, 61*time.Second)
	r.idleAfter(1)
	r.stop()
	checkInvariants(t, r.p, r.store)
	if n := len(r.store.snapshot().Shadow); n != 2 {
		t.Fatalf("shadow has %d orders, want 2", n)
	}
}

func TestEngine_BatchesOfAtMost100(t *testing.T) {
	r := newRig(t)
	ids := r.p.seed(1)
	r.start()
	r.idleAfter(0)
	for i := 0; i < 250; i++ {
		r.store.enqueue(streetdesk.MutAddNote, ids[0], noteArgs("第"+string(rune('0'+i%10))+"条"))
	}
	r.eng.SyncNow()
	r.idleAfter(1)
	r.stop()
	if got := r.rt.count("push"); got != 3 {
		t.Fatalf("%d pushes for 250 mutations, want 3", got)
	}
	checkInvariants(t, r.p, r.store)
}

func TestEngine_ChecksumMismatchResyncs(t *testing.T) {
	r := newRig(t)
	r.p.seed(3)
	r.start()
	r.idleAfter(0)
	// Corrupt the local shadow behind the engine's back.
	r.store.mu.Lock()
	for id, o := range r.store.S.Shadow {
		o.Version = 99
		r.store.S.Shadow[id] = o
		break
	}
	r.store.S.MaxSeen = map[string]int64{}
	r.store.mu.Unlock()
	r.p.seed(1)
	r.eng.SyncNow()
	r.idleAfter(1)
	r.stop()
	if r.eng.Stats().Resyncs != 1 {
		t.Fatalf("resyncs = %d, want 1", r.eng.Stats().Resyncs)
	}
	checkInvariants(t, r.p, r.store)
}

func TestEngine_RestoredDatabaseForks(t *testing.T) {
	r := newRig(t)
	ids := r.p.seed(1)
	r.start()
	r.idleAfter(0)
	backup := r.store.snapshot() // the backup taken here
	r.store.enqueue(streetdesk.MutAddNote, ids[0], noteArgs("备份之后的记录"))
	r.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	r.eng.SyncNow()
	r.idleAfter(1)
	r.stop()

	// The PC dies; the backup is restored and the caseworker works on.
	s2 := newMemStore("")
	s2.restore(backup)
	r2 := newRig(t, withPlatform(r.p, r.srv), withStore(s2))
	s2.enqueue(streetdesk.MutAddNote, ids[0], noteArgs("恢复之后的记录"))
	r2.start()
	r2.idleAfter(0)
	r2.stop()
	if r2.eng.Stats().Forks != 1 {
		t.Fatalf("forks = %d, want 1", r2.eng.Stats().Forks)
	}
	checkInvariants(t, r.p, s2)
}

func TestEngine_RunReturnsOnCancelDuringRequest(t *testing.T) {
	r := newRig(t)
	r.rt.setPlan(func(*http.Request) fault { return fault{hang: true} })
	r.start()
	r.waitFor("syncing", func(s streetdesk.SyncStatus, _ sync.Stats) bool { return s.State == streetdesk.SyncSyncing })
	r.stop() // fails the test if Run does not return
}

func TestClient_CaptivePortalIsOffline(t *testing.T) {
	r := newRig(t)
	r.rt.setPlan(func(*http.Request) fault {
		return fault{status: 200, ctype: "text/html; charset=utf-8", body: "<html>请登录 Wi-Fi</html>"}
	})
	_, err := r.client.Pull(context.Background(), newUUID(), "", 10)
	se := sync.AsError(err)
	if se == nil || se.Kind != sync.KindTransient || se.Code != sync.CodeCaptivePortal {
		t.Fatalf("err = %v, want transient captive portal", err)
	}
}

func TestClient_RequestIDs(t *testing.T) {
	r := newRig(t)
	var got []string
	r.rt.setPlan(func(req *http.Request) fault {
		got = append(got, req.Header.Get("X-Request-ID"))
		return fault{}
	})
	r.client.SetClientID("cid1")
	for range 2 {
		if _, err := r.client.Me(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "cid1-") || !strings.HasSuffix(got[0], "-1") || !strings.HasSuffix(got[1], "-2") {
		t.Fatalf("request ids %v", got)
	}
}

func TestClient_LoginTeamErrors(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if _, err := r.client.Login(ctx, "wangfang", "wrong"); streetdesk.ErrorCode(sync.AppError(err)) != streetdesk.EUNAUTHORIZED {
		t.Fatalf("bad password: %v", err)
	}
	lr, err := r.client.Login(ctx, "wangfang", "secret")
	if err != nil || lr.Token == "" {
		t.Fatalf("login: %v", err)
	}
	team, err := r.client.Team(ctx)
	if err != nil || team.ID != "t1" {
		t.Fatalf("team: %v %+v", err, team)
	}
}

func TestClient_BadCAFile(t *testing.T) {
	dir := t.TempDir()
	f := dir + "/ca.pem"
	_ = os.WriteFile(f, []byte("not a certificate"), 0o600)
	_, err := sync.NewClient(sync.ClientOptions{BaseURL: "https://localhost:1", CAFile: f})
	if streetdesk.ErrorCode(err) != streetdesk.EINVALID {
		t.Fatalf("err = %v, want EINVALID", err)
	}
}

func TestEngine_DownloadsOthersPhotos(t *testing.T) {
	var got []string
	r := newRig(t, withEngineOpts(func(o *sync.Options) {
		o.Downloader = func(ctx context.Context, body io.Reader, sha, mime string) (string, int64, error) {
			b, err := io.ReadAll(body)
			if err != nil {
				return "", 0, err
			}
			sum := sha256.Sum256(b)
			if hex.EncodeToString(sum[:]) != sha {
				return "", 0, errors.New("hash mismatch")
			}
			got = append(got, sha)
			return "/media/" + sha, int64(len(b)), nil
		}
	}))
	ids := r.p.seed(1)
	// The citizen's photo from intake is on the platform with a ref.
	data := []byte("\xff\xd8\xff citizen photo")
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	r.p.mu.Lock()
	r.p.blobs[sha] = data
	ph := streetdesk.PhotoRef{ID: newUUID(), WorkOrderID: ids[0], SHA256: sha, Size: int64(len(data)), MIME: "image/jpeg", BlobPresent: true}
	r.p.photos[ph.ID] = ph
	r.p.seq++
	r.p.changes = append(r.p.changes, fakeChange{seq: r.p.seq, ch: streetdesk.Change{Type: streetdesk.ChangePhotoRef, Op: streetdesk.OpUpsert, ID: ph.ID, OrderID: ids[0], Photo: &ph}})
	r.p.mu.Unlock()
	r.start()
	r.idleAfter(0)
	r.stop()
	if len(got) != 1 || r.store.snapshot().Files[sha] == "" {
		t.Fatalf("downloaded %v, files %v", got, r.store.snapshot().Files)
	}
}

func TestClient_Reassign(t *testing.T) {
	e := newRealEnv(t)
	ids := e.dispatch(1, e.cw.ID)
	c, err := sync.NewClient(sync.ClientOptions{BaseURL: e.ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	lr, err := c.Login(ctx, "lead01", realPassword)
	if err != nil {
		t.Fatal(err)
	}
	c.SetTokenSource(sync.NewTokens(c, lr.Token, lr.RefreshToken, nil))
	team, err := c.Team(ctx)
	if err != nil || len(team.Members) < 3 {
		t.Fatalf("team %v %+v", err, team)
	}
	res, err := c.Reassign(ctx, &streetdesk.ReassignRequest{OrderIDs: ids, To: e.cw2.ID, Reason: "调整分工"})
	if err != nil || len(res.Results) != 1 || res.Results[0].Status != streetdesk.ResultApplied {
		t.Fatalf("reassign %v %+v", err, res)
	}
	if _, err := c.Reassign(ctx, &streetdesk.ReassignRequest{OrderIDs: ids, To: "nobody", Reason: "x"}); err == nil {
		t.Log("reassign to an unknown user answered per order")
	}
	if err := c.Logout(ctx); err != nil {
		t.Fatalf("logout: %v", err)
	}
	if _, err := c.Me(ctx); sync.AsError(err) == nil || sync.AsError(err).Kind != sync.KindAuth {
		t.Fatalf("after logout: %v, want auth", err)
	}
}

// TestEngine_CycleDoneBeforeBookkeeping: after a first sync the desk's
// writer is the indexer's for a while (the shadow's indexes rebuilt, the
// WAL checkpointed). The cycle is reported done without waiting for it; its
// sync_log line and last_sync are written when the writer is free, also
// when the engine is stopped right after the cycle (`sync --once`).
func TestEngine_CycleDoneBeforeBookkeeping(t *testing.T) {
	r := newRig(t)
	r.p.seed(3)
	held := make(chan struct{})
	r.store.mu.Lock()
	r.store.held = held
	r.store.mu.Unlock()
	r.start()
	r.idleAfter(0) // would wait for ever if the cycle waited for the writer
	if st := r.eng.Stats(); st.OK != 1 || st.LastErr != nil {
		t.Fatalf("stats %+v", st)
	}
	r.store.mu.Lock()
	logged, last := r.store.S.Log, r.store.S.State["last_sync"]
	r.store.mu.Unlock()
	if logged != 0 || last != "" {
		t.Fatalf("written before the writer was free: %d log lines, last_sync %q", logged, last)
	}
	// Stopped (as `sync --once` does once it sees the count) before the
	// writer is free: the writes must not be cancelled with the engine.
	r.cancel()
	close(held)
	r.stop()
	r.store.mu.Lock()
	defer r.store.mu.Unlock()
	if r.store.S.Log != 1 || r.store.S.State["last_sync"] == "" {
		t.Fatalf("after the stop: %d log lines (want the pull's), last_sync %q", r.store.S.Log, r.store.S.State["last_sync"])
	}
}
