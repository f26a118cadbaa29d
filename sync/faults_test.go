package sync_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync"
)

// One named test per fault the sync must survive: B the network (lost
// requests and answers, resets, slow and half-open links, captive
// portals), C the platform (errors before and after its commit,
// Retry-After, duplicate delivery, lost client state, expired cursors,
// partial batches, expired tokens, unsupported versions, poison
// mutations), E photo uploads (cuts, stale offsets, expiry, corruption,
// edited files, photos still uploading at resolution) and F the engine
// itself (retries that never re-fire, a queue not flushed on connect, a
// stuck head of the queue, leaks). D, the offline conflicts, are in
// conflicts_test.go.

// onceFor applies f to the first n requests of a kind, then heals.
func onceFor(kind string, n int, f fault) func(*http.Request) fault {
	var seen atomic.Int32
	return func(r *http.Request) fault {
		if kindOf(r) == kind && int(seen.Add(1)) <= n {
			return f
		}
		return fault{}
	}
}

// pushOne runs one desktop with one pending note against a faulty push and
// returns it after the first (failed) cycle.
func pushOne(t *testing.T, plan func(*http.Request) fault) (*rig, streetdesk.Mutation) {
	r := newRig(t)
	ids := r.p.seed(1)
	m := r.store.enqueue(streetdesk.MutAddNote, ids[0], noteArgs("井盖缺失，已设置警示"))
	r.rt.setPlan(plan)
	r.start()
	r.cycles(1)
	return r, m
}

func TestFault_B1_RequestNeverArrives(t *testing.T) {
	r, m := pushOne(t, onceFor("push", 1, fault{dropRequest: true}))
	s := r.eng.Status()
	if s.State != streetdesk.SyncOffline || s.Pending != 1 || s.Reason.Code != streetdesk.MsgSyncOffline || s.NextTry.IsZero() {
		t.Fatalf("after a lost request: %+v", s)
	}
	if r.p.effectCount(m.Key) != 0 {
		t.Fatal("the platform saw a request that never arrived")
	}
	r.retryNow()
	r.idleAfter(1)
	r.stop()
	checkInvariants(t, r.p, r.store)
}

func TestFault_B2_ResponseLostAfterCommit(t *testing.T) {
	r, m := pushOne(t, onceFor("push", 1, fault{dropResponse: true}))
	if r.p.effectCount(m.Key) != 1 {
		t.Fatal("the platform did not commit")
	}
	first, _ := r.p.resultByKey(m.Key)
	r.retryNow()
	r.idleAfter(1)
	r.stop()
	local := r.store.snapshot().Results[m.Key]
	if local.Version != first.Version || r.p.effectCount(m.Key) != 1 {
		t.Fatalf("resend: local result %+v, platform first %+v, effects %d", local, first, r.p.effectCount(m.Key))
	}
	checkInvariants(t, r.p, r.store)
}

func TestFault_B3_SlowLink(t *testing.T) {
	r := newRig(t, withClientOpts(func(o *sync.ClientOptions) { o.CallTimeout = 20 * time.Second }))
	ids := r.p.seed(2)
	r.store.enqueue(streetdesk.MutAddNote, ids[0], noteArgs("慢速网络下的记录"))
	r.dialer.set(connPlan{bytesPerSec: 20 << 10})
	r.start()
	r.idleAfter(0)
	r.stop()
	checkInvariants(t, r.p, r.store)
}

func TestFault_B4_ResetMidRequest(t *testing.T) {
	r := newRig(t)
	ids := r.p.seed(1)
	for i := 0; i < 5; i++ {
		r.store.enqueue(streetdesk.MutAddNote, ids[0], noteArgs(fmt.Sprintf("记录 %d", i)))
	}
	r.dialer.set(connPlan{cutAfter: 400}) // inside the push body
	r.start()
	r.cycles(1)
	if r.eng.Status().State != streetdesk.SyncOffline {
		t.Fatalf("state %s after a reset", r.eng.Status().State)
	}
	r.dialer.set(connPlan{})
	r.client.Close() // drop the cut connections
	r.retryNow()
	r.idleAfter(1)
	r.stop()
	checkInvariants(t, r.p, r.store)
}

func TestFault_B5_HalfOpenConnection(t *testing.T) {
	r := newRig(t, withClientOpts(func(o *sync.ClientOptions) { o.CallTimeout = 300 * time.Millisecond }))
	r.p.seed(1)
	r.dialer.set(connPlan{halfOpen: true})
	r.start()
	r.cycles(1) // returns only because the per-call deadline fired
	if !sync.IsTransient(r.eng.Stats().LastErr) {
		t.Fatalf("err %v, want transient", r.eng.Stats().LastErr)
	}
	r.dialer.set(connPlan{})
	r.client.Close()
	r.retryNow()
	r.idleAfter(1)
	r.stop()
	checkInvariants(t, r.p, r.store)
}

func TestFault_B6_OneWayPartitions(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    fault
	}{{"inbound-only", fault{dropRequest: true}}, {"outbound-only", fault{dropResponse: true}}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			ids := r.p.seed(2)
			r.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
			r.store.enqueue(streetdesk.MutAddNote, ids[1], noteArgs("单向断网"))
			r.rt.setPlan(func(*http.Request) fault { return tc.f })
			r.start()
			for i := 1; i <= 3; i++ {
				r.cycles(i)
				if i == 3 {
					// Healed before the retry is let go: a fourth cycle
					// started first could fail and wait for a clock
					// nobody advances (CI: timed out waiting for idle).
					r.rt.setPlan(nil)
				}
				r.retryNow()
			}
			r.idleAfter(3)
			r.stop()
			checkInvariants(t, r.p, r.store)
		})
	}
}

func TestFault_B7_CaptivePortal(t *testing.T) {
	portal := fault{status: 200, ctype: "text/html", body: "<html><form>酒店 Wi-Fi 登录</form></html>"}
	r, m := pushOne(t, func(*http.Request) fault { return portal })
	s := r.eng.Status()
	if s.State != streetdesk.SyncOffline || s.Reason.Code != streetdesk.MsgSyncCaptivePortal {
		t.Fatalf("portal status %+v", s)
	}
	st := r.store.snapshot()
	if st.Outbox[0].Answered || st.Cursor != "" || r.p.effectCount(m.Key) != 0 {
		t.Fatal("a portal page was taken as an answer")
	}
	r.rt.setPlan(nil)
	r.retryNow()
	r.idleAfter(1)
	r.stop()
	checkInvariants(t, r.p, r.store)
}

func TestFault_C1_ServerErrorBeforeCommit(t *testing.T) {
	r := newRig(t)
	ids := r.p.seed(1)
	m := r.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	var n atomic.Int32
	r.p.beforeCommit = func(string, *streetdesk.Mutation) int {
		if n.Add(1) <= 2 {
			return 503
		}
		return 0
	}
	r.start()
	r.cycles(1)
	if r.p.effectCount(m.Key) != 0 || r.eng.Status().State != streetdesk.SyncError {
		t.Fatalf("after 503: effects %d, status %+v", r.p.effectCount(m.Key), r.eng.Status())
	}
	r.retryNow()
	r.cycles(2)
	r.retryNow()
	r.idleAfter(2)
	r.stop()
	checkInvariants(t, r.p, r.store)
}

func TestFault_C2_ServerErrorAfterCommit(t *testing.T) {
	r := newRig(t)
	ids := r.p.seed(1)
	m := r.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	var n atomic.Int32
	r.p.afterCommit = func(string, *streetdesk.Mutation) int {
		if n.Add(1) == 1 {
			return 500
		}
		return 0
	}
	r.start()
	r.cycles(1)
	r.retryNow()
	r.idleAfter(1)
	r.stop()
	if r.p.effectCount(m.Key) != 1 {
		t.Fatalf("effects %d", r.p.effectCount(m.Key))
	}
	checkInvariants(t, r.p, r.store)
}

func TestFault_C3_RetryAfterHonoured(t *testing.T) {
	r, _ := pushOne(t, onceFor("push", 1, fault{status: 429, retryAfter: "120", ctype: "application/json",
		body: `{"error":{"code":"RateLimited","message":"slow down"}}`}))
	s := r.eng.Status()
	if wait := s.NextTry.Sub(r.clock.Now()); wait < 120*time.Second {
		t.Fatalf("next try in %v, want ≥ 120 s", wait)
	}
	r.clock.Advance(119 * time.Second)
	if c := r.eng.Stats().Cycles; c != 1 {
		t.Fatalf("retried before Retry-After: %d cycles", c)
	}
	r.clock.AdvanceWhenArmed(t, 2*time.Second)
	r.idleAfter(1)
	r.stop()
	checkInvariants(t, r.p, r.store)
}

func TestFault_C4_ConcurrentDuplicatePush(t *testing.T) {
	r := newRig(t)
	ids := r.p.seed(1)
	m := r.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	gate := make(chan struct{})
	r.p.pushGate = gate
	req := &streetdesk.PushRequest{PushVersion: 1, SchemaVersion: streetdesk.SchemaVersion, ClientID: newUUID(), Mutations: []streetdesk.Mutation{m}}
	errs := make(chan error, 2)
	ctx := context.Background()
	go func() { _, err := r.client.Push(ctx, req); errs <- err }()
	// Wait until the first push holds the client's lock, then send the second.
	for {
		r.p.mu.Lock()
		busy := r.p.inPush[req.ClientID]
		r.p.mu.Unlock()
		if busy {
			break
		}
		runtime.Gosched()
	}
	_, err2 := r.client.Push(ctx, req)
	close(gate)
	err1 := <-errs
	if err1 != nil {
		t.Fatal(err1)
	}
	if se := sync.AsError(err2); se == nil || se.Code != streetdesk.ErrPushInProgress || se.Kind != sync.KindTransient {
		t.Fatalf("second push: %v, want transient PushInProgress", err2)
	}
	resp, err := r.client.Push(ctx, req)
	if err != nil || resp.Results[0].Status != streetdesk.ResultDuplicate || r.p.effectCount(m.Key) != 1 {
		t.Fatalf("resend: %v %+v effects %d", err, resp, r.p.effectCount(m.Key))
	}
}

func TestFault_C5_ServerLostClientState(t *testing.T) {
	r := newRig(t)
	ids := r.p.seed(1)
	r.store.enqueue(streetdesk.MutAddNote, ids[0], noteArgs("第一条"))
	r.start()
	r.idleAfter(0)
	cid, _ := r.store.ClientID(context.Background())
	r.p.forgetClient(cid)
	r.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	r.eng.SyncNow()
	r.idleAfter(1)
	r.stop()
	if r.eng.Stats().Forks != 1 {
		t.Fatalf("forks %d", r.eng.Stats().Forks)
	}
	checkInvariants(t, r.p, r.store)
}

func TestFault_C6_CursorExpiredReset(t *testing.T) {
	r := newRig(t)
	ids := r.p.seed(3)
	r.start()
	r.idleAfter(0)
	// A conflict and a note in the store that a reset must not touch.
	r.p.cancel(ids[2])
	r.store.enqueue(streetdesk.MutAccept, ids[2], streetdesk.AcceptArgs{})
	r.store.enqueue(streetdesk.MutAddNote, ids[0], noteArgs("重置前的记录"))
	r.eng.SyncNow()
	r.idleAfter(1)
	before := r.store.snapshot()
	r.p.mu.Lock()
	r.p.epoch++ // platform restored: every cursor is stale
	r.p.mu.Unlock()
	r.p.seed(1)
	r.eng.SyncNow()
	r.idleAfter(2)
	r.stop()
	after := r.store.snapshot()
	if len(after.Conflicts) != len(before.Conflicts) || len(after.Notes) != len(before.Notes) || len(before.Conflicts) != 1 {
		t.Fatalf("reset touched local data: conflicts %d→%d notes %d→%d", len(before.Conflicts), len(after.Conflicts), len(before.Notes), len(after.Notes))
	}
	checkInvariants(t, r.p, r.store)
}

func TestFault_C7_PartialProcessing(t *testing.T) {
	r := newRig(t)
	ids := r.p.seed(1)
	var keys []string
	for i := 0; i < 7; i++ {
		keys = append(keys, r.store.enqueue(streetdesk.MutAddNote, ids[0], noteArgs(fmt.Sprintf("第 %d 条", i))).Key)
	}
	r.p.stopAfter = 2
	r.start()
	r.idleAfter(0)
	r.stop()
	r.p.mu.Lock()
	seen := append([]string(nil), r.p.seen...)
	r.p.mu.Unlock()
	if fmt.Sprint(seen) != fmt.Sprint(keys) {
		t.Fatalf("applied out of order:\n got %v\nwant %v", seen, keys)
	}
	checkInvariants(t, r.p, r.store)
}

func TestFault_C8_TokenExpired(t *testing.T) {
	t.Run("refresh works", func(t *testing.T) {
		r := newRig(t)
		r.p.seed(1)
		r.p.expireToken() // the refresh token still works
		r.start()
		r.idleAfter(0)
		r.stop()
		checkInvariants(t, r.p, r.store)
	})
	t.Run("refresh fails: paused, queue kept", func(t *testing.T) {
		r := newRig(t)
		ids := r.p.seed(1)
		r.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
		r.p.expireToken()
		r.p.mu.Lock()
		r.p.refresh = "ref-new" // the desktop's refresh token expired too
		r.p.mu.Unlock()
		r.start()
		r.cycles(1)
		s := r.eng.Status()
		if s.State != streetdesk.SyncPausedAuth || s.Pending != 1 || s.Reason.Code != streetdesk.MsgSyncSignIn {
			t.Fatalf("status %+v", s)
		}
		r.clock.Advance(10 * time.Minute) // no retries while paused
		if r.eng.Stats().Cycles != 1 {
			t.Fatal("retried while paused for sign-in")
		}
		// Sign in again, then Resume.
		lr, err := r.client.Login(context.Background(), "wangfang", "secret")
		if err != nil {
			t.Fatal(err)
		}
		r.client.SetTokenSource(sync.NewTokens(r.client, lr.Token, lr.RefreshToken, nil))
		r.eng.Resume()
		r.idleAfter(1)
		r.stop()
		checkInvariants(t, r.p, r.store)
	})
}

func TestFault_C9_VersionUnsupported(t *testing.T) {
	r, _ := pushOne(t, onceFor("push", 1, fault{status: 426, ctype: "application/json",
		body: `{"error":{"code":"VersionNotSupported","message":"please update"}}`}))
	s := r.eng.Status()
	if s.State != streetdesk.SyncError || s.Reason.Code != streetdesk.MsgSyncAppTooOld || s.Pending != 1 {
		t.Fatalf("status %+v", s)
	}
	r.clock.Advance(time.Hour)
	if r.eng.Stats().Cycles != 1 || r.store.outboxLen() != 1 {
		t.Fatal("retried or dropped while stopped")
	}
	r.eng.SyncNow() // after the update
	r.idleAfter(1)
	r.stop()
	checkInvariants(t, r.p, r.store)
}

func TestFault_C10_PoisonMutationStallAlarm(t *testing.T) {
	r := newRig(t, withEngineOpts(func(o *sync.Options) { o.StallAfter = 3 }))
	ids := r.p.seed(1)
	m := r.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	r.store.enqueue(streetdesk.MutAddNote, ids[0], noteArgs("排在毒丸之后"))
	r.p.poison[m.Key] = true
	r.start()
	for i := 1; i <= 3; i++ {
		r.cycles(i)
		if i < 3 {
			r.retryNow()
		}
	}
	if s := r.eng.Status(); s.Reason.Code != streetdesk.MsgSyncStalled {
		t.Fatalf("no stall alarm after 3 tries: %+v", s)
	}
	// The platform fix classifies it as rejected: the queue moves on.
	r.p.mu.Lock()
	delete(r.p.poison, m.Key)
	r.p.mu.Unlock()
	r.retryNow()
	r.idleAfter(3)
	r.stop()
	checkInvariants(t, r.p, r.store)
}

// Uploads.

func uploadRig(t *testing.T, size int, opts ...rigOption) (*rig, string) {
	r := newRig(t, opts...)
	ids := r.p.seed(1)
	sha, _ := r.photo(size, ids[0])
	return r, sha
}

func TestFault_E1_DropMidPatch(t *testing.T) {
	r, sha := uploadRig(t, 3<<20+123)
	rng := rand.New(rand.NewPCG(1, 2))
	r.rt.setPlan(func() func(*http.Request) fault {
		var n atomic.Int32
		return func(req *http.Request) fault {
			if req.Method == http.MethodPatch && n.Add(1) <= 3 {
				return fault{cutAfter: 1 + rng.Int64N(1<<20)}
			}
			return fault{}
		}
	}())
	r.start()
	r.untilVerified(sha)
	r.stop()
	if resent := r.rt.sent.Load() - (3<<20 + 123); resent > 4<<20 {
		t.Errorf("re-sent %d bytes", resent)
	}
	checkInvariants(t, r.p, r.store)
}

func TestFault_E2_StaleOffset409(t *testing.T) {
	r, sha := uploadRig(t, 300<<10)
	r.rt.setPlan(onceFor("patch", 1, fault{status: 409}))
	r.start()
	r.untilVerified(sha)
	r.stop()
	if r.rt.count("head") < 2 {
		t.Fatal("no HEAD after the 409")
	}
	checkInvariants(t, r.p, r.store)
}

func TestFault_E3_CloseOn409WithoutResponse(t *testing.T) {
	r, sha := uploadRig(t, 300<<10)
	var n atomic.Int32
	r.p.handler = func(w http.ResponseWriter, req *http.Request) bool {
		if req.Method == http.MethodPatch && n.Add(1) == 1 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close() // tusd #1371: 409 answered by closing the connection
			}
			return true
		}
		return false
	}
	r.start()
	r.untilVerified(sha)
	r.stop()
	checkInvariants(t, r.p, r.store)
}

func TestFault_E4_UploadExpired(t *testing.T) {
	r, sha := uploadRig(t, 2<<20, withEngineOpts(func(o *sync.Options) { o.ChunkSize = 256 << 10; o.MaxChunk = 256 << 10 }))
	// The first attempt stops after some chunks (link down) …
	var n atomic.Int32
	r.rt.setPlan(func(req *http.Request) fault {
		if req.Method == http.MethodPatch && n.Add(1) > 2 {
			return fault{dropRequest: true}
		}
		return fault{}
	})
	r.start()
	r.cycles(1)
	if r.store.blob(sha).URL == "" {
		t.Fatal("upload URL not persisted")
	}
	// … and the platform expires the upload meanwhile.
	r.p.expireUploads()
	r.rt.setPlan(nil)
	r.retryNow()
	r.idleAfter(1)
	r.stop()
	r.p.mu.Lock()
	ups := r.p.upSeq
	r.p.mu.Unlock()
	if ups != 2 {
		t.Fatalf("%d uploads created, want 2 (one expired)", ups)
	}
	checkInvariants(t, r.p, r.store)
}

func TestFault_E5_CreateRetriedAfterLostResponse(t *testing.T) {
	r, _ := uploadRig(t, 200<<10)
	r.rt.setPlan(onceFor("post", 1, fault{dropResponse: true}))
	r.start()
	r.cycles(1)
	r.retryNow()
	r.idleAfter(1)
	r.stop()
	r.p.mu.Lock()
	ups := r.p.upSeq
	r.p.mu.Unlock()
	if ups != 1 {
		t.Fatalf("%d upload resources, want 1", ups)
	}
	checkInvariants(t, r.p, r.store)
}

func TestFault_E6_CorruptedInStore(t *testing.T) {
	r, sha := uploadRig(t, 200<<10)
	r.p.corrupt = true
	var verifiedEarly atomic.Bool
	r.p.mu.Lock()
	r.p.handler = func(w http.ResponseWriter, req *http.Request) bool {
		if req.Method == http.MethodPost && r.store.blob(sha).State == "verified" {
			verifiedEarly.Store(true)
		}
		return false
	}
	r.p.mu.Unlock()
	r.start()
	r.idleAfter(0)
	r.stop()
	if verifiedEarly.Load() {
		t.Fatal("marked verified before the platform held the right bytes")
	}
	r.p.mu.Lock()
	ups := r.p.upSeq
	r.p.mu.Unlock()
	if ups != 2 {
		t.Fatalf("%d uploads, want 2 (460 then restart)", ups)
	}
	checkInvariants(t, r.p, r.store)
}

func TestFault_E7_PatchMisreadAsComplete(t *testing.T) {
	r, sha := uploadRig(t, 300<<10)
	// A proxy answers the first PATCH "204, all 300 KiB there" without
	// forwarding it: the engine must not believe it before HEAD on the blob.
	r.rt.setPlan(onceFor("patch", 1, fault{status: 204, uploadOffset: fmt.Sprint(300 << 10)}))
	r.start()
	r.idleAfter(0)
	r.stop()
	if r.store.blob(sha).State != "verified" {
		t.Fatalf("blob %+v", r.store.blob(sha))
	}
	checkInvariants(t, r.p, r.store)
}

func TestFault_E8_SamePhotoTwoOrders(t *testing.T) {
	r := newRig(t)
	ids := r.p.seed(2)
	sha, path := r.photo(500<<10, ids[0])
	r.start()
	r.idleAfter(0)
	r.stop()
	// Another desktop attaches the same file to another order.
	s2 := newMemStore("")
	s2.addBlob(sha, path, 500<<10, ids[1])
	r2 := newRig(t, withPlatform(r.p, r.srv), withStore(s2))
	r2.start()
	r2.idleAfter(0)
	r2.stop()
	if r2.rt.sent.Load() > 64<<10 || r2.rt.count("patch") != 0 {
		t.Fatalf("second attach sent %d bytes in %d PATCHes", r2.rt.sent.Load(), r2.rt.count("patch"))
	}
	checkInvariants(t, r.p, r.store, s2)
}

func TestFault_E9_LocalFileChangedOrMissing(t *testing.T) {
	for _, tc := range []string{"deleted", "edited"} {
		t.Run(tc, func(t *testing.T) {
			r, sha := uploadRig(t, 100<<10)
			path := r.store.blob(sha).Path
			if tc == "deleted" {
				_ = os.Remove(path)
			} else {
				_ = os.WriteFile(path, []byte("edited in a photo editor"), 0o600)
			}
			r.start()
			r.idleAfter(0)
			r.stop()
			b := r.store.blob(sha)
			if b.State != sync.BlobMissingLocal || b.Msg == "" {
				t.Fatalf("blob %+v", b)
			}
			if r.rt.count("post") != 0 || r.rt.count("patch") != 0 {
				t.Fatal("uploaded a file that is not the photo")
			}
		})
	}
}

func TestFault_E10_ResolutionWhilePhotosUpload(t *testing.T) {
	r := newRig(t)
	ids := r.p.seed(1)
	sha, _ := r.photo(400<<10, ids[0])
	ref := newUUID()
	r.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	r.store.enqueue(streetdesk.MutAttachPhoto, ids[0], streetdesk.AttachPhotoArgs{PhotoRefID: ref, SHA256: sha, Size: 400 << 10, MIME: "image/jpeg", Tag: streetdesk.PhotoAfter})
	r.store.enqueue(streetdesk.MutSubmitResolution, ids[0], streetdesk.SubmitResolutionArgs{ResolutionID: newUUID(), Outcome: streetdesk.OutcomeSolved, Reply: "已修复损坏的路灯，夜间照明已恢复正常。", PhotoRefIDs: []string{ref}})
	r.rt.setPlan(func(req *http.Request) fault {
		if req.Method == http.MethodPatch {
			return fault{dropRequest: true}
		}
		return fault{}
	})
	r.start()
	r.cycles(1)
	// Intents are on the platform; the photo is not: the order waits for media.
	r.p.mu.Lock()
	ph := r.p.photos[ref]
	r.p.mu.Unlock()
	if ph.BlobPresent || r.store.outboxLen() != 0 {
		t.Fatalf("photo present %v, outbox %d", ph.BlobPresent, r.store.outboxLen())
	}
	r.rt.setPlan(nil)
	r.retryNow()
	r.idleAfter(1)
	r.stop()
	r.p.mu.Lock()
	ph = r.p.photos[ref]
	r.p.mu.Unlock()
	if !ph.BlobPresent {
		t.Fatal("photo never arrived")
	}
	if p := r.store.snapshot().Photos[ref]; !p.BlobPresent {
		t.Fatal("the desktop did not learn the photo arrived")
	}
	checkInvariants(t, r.p, r.store)
}

func TestFault_F1_RetryReArmsWithoutLocalWrites(t *testing.T) {
	r, _ := pushOne(t, onceFor("push", 4, fault{dropRequest: true}))
	for i := 1; i <= 4; i++ {
		r.cycles(i)
		s := r.eng.Status()
		if s.NextTry.IsZero() || s.NextTry.Sub(r.clock.Now()) > 5*time.Minute {
			t.Fatalf("after failure %d: next try %v", i, s.NextTry)
		}
		r.retryNow() // only the clock moves: no trigger, no write
	}
	r.idleAfter(4)
	r.stop()
	checkInvariants(t, r.p, r.store)
}

func TestFault_F2_PrefilledQueueFlushedOnConnect(t *testing.T) {
	r := newRig(t)
	ids := r.p.seed(1)
	for i := 0; i < 3; i++ {
		r.store.enqueue(streetdesk.MutAddNote, ids[0], noteArgs("离线时记下的"))
	}
	r.start() // no trigger, no clock movement
	r.idleAfter(0)
	r.stop()
	checkInvariants(t, r.p, r.store)
}

func TestFault_F3_StuckHeadOfQueue(t *testing.T) {
	r := newRig(t, withEngineOpts(func(o *sync.Options) { o.StallAfter = 3 }))
	ids := r.p.seed(1)
	r.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	// The platform answers 200 but never acknowledges the head.
	r.p.handler = func(w http.ResponseWriter, req *http.Request) bool {
		if kindOf(req) == "push" {
			writeJSON(w, 200, streetdesk.PushResponse{Results: []streetdesk.MutationResult{}})
			return true
		}
		return false
	}
	r.start()
	for i := 1; i <= 3; i++ {
		r.cycles(i)
		if i < 3 {
			r.retryNow()
		}
	}
	if s := r.eng.Status(); s.Reason.Code != streetdesk.MsgSyncStalled || s.Pending != 1 {
		t.Fatalf("status %+v", s)
	}
	r.p.mu.Lock()
	r.p.handler = nil
	r.p.mu.Unlock()
	r.retryNow()
	r.idleAfter(3)
	r.stop()
	checkInvariants(t, r.p, r.store)
}

func TestFault_F4_NoLeaksOverManyFailures(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	r, _ := pushOne(t, func(*http.Request) fault { return fault{dropRequest: true} })
	base := runtime.NumGoroutine()
	for i := 1; i < n; i++ {
		r.retryNow()
		r.cycles(i + 1)
	}
	if g := runtime.NumGoroutine(); g > base+5 {
		t.Fatalf("goroutines grew from %d to %d over %d failures", base, g, n)
	}
	r.rt.setPlan(nil)
	r.retryNow()
	r.idleAfter(n)
	r.stop()
	checkInvariants(t, r.p, r.store)
}

// A failure of the photo phase backs off on the upload schedule, a failure
// of push or pull on the general one: the phase decides, not the name of
// the failed call.
func TestFault_UploadFailureBacksOffOnItsOwnSchedule(t *testing.T) {
	for _, tc := range []struct {
		kind string
		want time.Duration
	}{
		{"push", 10 * time.Second},
		{"pull", 10 * time.Second},
		{"post", time.Hour}, // the tus upload's creation
	} {
		t.Run(tc.kind, func(t *testing.T) {
			r := newRig(t, withEngineOpts(func(o *sync.Options) {
				o.BackoffBase, o.BackoffCap = 10*time.Second, 10*time.Second
				o.UploadBackoffBase, o.UploadBackoffCap = time.Hour, time.Hour
			}))
			ids := r.p.seed(1)
			r.photo(32<<10, ids[0])
			r.store.enqueue(streetdesk.MutAddNote, ids[0], noteArgs("井盖缺失，已设置警示"))
			r.rt.setPlan(onceFor(tc.kind, 1, fault{status: 503, ctype: "application/json",
				body: `{"error":{"code":"internal","message":"busy"}}`}))
			r.start()
			r.cycles(1)
			s := r.eng.Status()
			r.stop()
			wait := s.NextTry.Sub(r.clock.Now())
			if wait < tc.want/2 || wait > tc.want {
				t.Fatalf("after a failed %s: next try in %v, want about %v", tc.kind, wait, tc.want)
			}
		})
	}
}
