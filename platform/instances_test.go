package platform_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/pgtest"
	"github.com/streetdesk/streetdesk/platform"
)

// The tests here run two platform instances on one PostgreSQL database (as
// behind a load balancer) and check that what one does holds on the other:
// nothing that must be shared lives in one process. Token revocation
// across instances is TestTokenCacheRevocation.

// twin opens a second instance on e's database and media directory, with
// e's clock and configuration mods. It shares e's signed-in tokens (fill
// them before using both concurrently).
func (e *env) twin(t *testing.T, mod ...func(*platform.Config)) *env {
	t.Helper()
	if !pgtest.Postgres() {
		t.Skip("several instances share a PostgreSQL database (STREETDESK_TEST_DB=postgres; make test runs it)")
	}
	cfg := platform.Config{DBPath: e.dbPath, MediaDir: e.mediaDir, Now: e.clock.Now, BcryptCost: 4}
	for _, m := range mod {
		m(&cfg)
	}
	srv, err := platform.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	b := &env{t: t, srv: srv, clock: e.clock, tokens: e.tokens, dbPath: e.dbPath, mediaDir: e.mediaDir}
	b.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(b.ts.Close)
	b.centre = b.centreAs("dispatcher")
	return b
}

// TestInstancesPushSameClient: a desk whose pushes go to both instances at
// once (a retry through the load balancer while the first is still
// running) gets every mutation applied exactly once and in its order: the
// writer's advisory lock serialises the two transactions, and the second
// finds the first's results.
func TestInstancesPushSameClient(t *testing.T) {
	a := newEnv(t)
	a.token("cw01")
	b := a.twin(t)
	o := a.dispatch("teamA", "cw01")
	ca := a.client("cw01")
	cb := &client{e: b, user: "cw01", id: ca.id, next: 1}

	const batches, perBatch = 4, 25
	var all []streetdesk.Mutation
	for range batches * perBatch {
		all = append(all, ca.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: fmt.Sprintf("现场记录 %03d", len(all)+1)}))
	}
	for i := range batches {
		// Each round both instances get every mutation up to this batch's
		// end: the one that runs second must answer from stored results.
		ms := all[:(i+1)*perBatch]
		var wg sync.WaitGroup
		res := make([]*streetdesk.PushResponse, 2)
		sts := make([]int, 2)
		for j, c := range []*client{ca, cb} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var pr streetdesk.PushResponse
				sts[j], _ = c.e.callNoFatal(http.MethodPost, "/v1/sync/push", c.e.tokens[c.user],
					streetdesk.PushRequest{PushVersion: 1, SchemaVersion: streetdesk.SchemaVersion, ClientID: c.id, Mutations: ms}, &pr)
				res[j] = &pr
			}()
		}
		wg.Wait()
		for j, st := range sts {
			if st != http.StatusOK && st != http.StatusConflict { // 409 PushInProgress: same instance only
				t.Fatalf("round %d, instance %d: %d", i, j, st)
			}
			if st == http.StatusOK {
				for _, r := range res[j].Results {
					if r.Status != streetdesk.ResultApplied && r.Status != streetdesk.ResultDuplicate {
						t.Fatalf("round %d, instance %d: mutation %d: %+v", i, j, r.ID, r)
					}
				}
			}
		}
	}
	keys := make([]string, len(all))
	for i, m := range all {
		keys[i] = m.Key
	}
	audit, err := platform.OpenAudit(context.Background(), a.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	counts, err := audit.EffectCounts(context.Background(), keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if counts[k] != 1 {
			t.Fatalf("mutation %s applied %d times", k, counts[k])
		}
	}
	// Not interleaved: the notes are in the change log in mutation order.
	var bodies []string
	for _, p := range b.client("cw01").pullAll("", 0) {
		for _, ch := range p.Changes {
			if ch.Note != nil && ch.OrderID == o.ID {
				bodies = append(bodies, ch.Note.Body)
			}
		}
	}
	if len(bodies) != len(all) {
		t.Fatalf("%d notes, want %d", len(bodies), len(all))
	}
	for i, body := range bodies {
		if want := fmt.Sprintf("现场记录 %03d", i+1); body != want {
			t.Fatalf("note %d is %q, want %q", i, body, want)
		}
	}
}

// callNoFatal is call without t.Fatal, for goroutines.
func (e *env) callNoFatal(method, path, token string, in, out any) (int, error) {
	req := jsonRequest(e.t, method, e.ts.URL+path, in)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && out != nil {
		decodeResp(e.t, resp, out)
	}
	return resp.StatusCode, nil
}

// TestInstancesLoginRateLimit: failed sign-ins through one instance count
// on the other (the counts are in the database).
func TestInstancesLoginRateLimit(t *testing.T) {
	a := newEnv(t)
	b := a.twin(t)
	login := func(e *env, user, pw string) int {
		st, _ := e.call(http.MethodPost, "/v1/auth/login", "", streetdesk.LoginRequest{Username: user, Password: pw}, nil)
		return st
	}
	for i := range 5 {
		e := a
		if i%2 == 1 {
			e = b
		}
		if st := login(e, "cw01", "wrong"); st != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, st)
		}
	}
	for _, e := range []*env{a, b} {
		if st := login(e, "cw01", testPassword); st != http.StatusTooManyRequests {
			t.Fatalf("locked account: %d", st)
		}
	}
	a.clock.Add(5 * time.Minute)
	if st := login(b, "cw01", testPassword); st != http.StatusOK {
		t.Fatalf("after the window: %d", st)
	}
	// A success resets the account's count on both.
	for range 4 {
		login(a, "cw01", "wrong")
	}
	if st := login(b, "cw01", testPassword); st != http.StatusOK {
		t.Fatalf("4 failures: %d", st)
	}
	if st := login(a, "cw01", "wrong"); st != http.StatusUnauthorized {
		t.Fatalf("after a success: %d", st)
	}
	if st := login(a, "cw01", testPassword); st != http.StatusOK {
		t.Fatalf("the count was not reset: %d", st)
	}
}

// TestInstancesPullAcrossInstances: a cursor issued by one instance is
// valid on the other (no reset), a change made through one is in the
// other's next pull, and the other's cached checksum follows it.
func TestInstancesPullAcrossInstances(t *testing.T) {
	a := newEnv(t)
	b := a.twin(t)
	a.dispatch("teamA", "cw01")
	ca := a.client("cw01")
	cb := &client{e: b, user: "cw01", id: ca.id, next: 1}

	first := ca.pullAll("", 0)
	cur := first[len(first)-1]
	// b computes (and caches) the checksum of the same set.
	pb := cb.pull(cur.Cursor, 0)
	if pb.Reset || len(pb.Changes) != 0 || pb.Checksum == nil || pb.Checksum.Hash != cur.Checksum.Hash {
		t.Fatalf("a's cursor on b: reset=%v changes=%d checksum %+v, a had %+v", pb.Reset, len(pb.Changes), pb.Checksum, cur.Checksum)
	}
	// A change through a: b's next pull has it, with a new checksum.
	o2 := a.dispatch("teamA", "cw01")
	pb2 := cb.pull(pb.Cursor, 0)
	if pb2.Reset || len(pb2.Changes) != 1 || pb2.Changes[0].ID != o2.ID {
		t.Fatalf("b after a's dispatch: reset=%v %+v", pb2.Reset, pb2.Changes)
	}
	if pb2.Checksum == nil || pb2.Checksum.Hash == pb.Checksum.Hash || pb2.Checksum.Count != 2 {
		t.Fatalf("b's checksum did not follow: %+v then %+v", pb.Checksum, pb2.Checksum)
	}
	pa := ca.pull(pb2.Cursor, 0)
	if pa.Reset || len(pa.Changes) != 0 || pa.Checksum.Hash != pb2.Checksum.Hash {
		t.Fatalf("b's cursor on a: reset=%v changes=%d %+v", pa.Reset, len(pa.Changes), pa.Checksum)
	}
	// A mutation through b: its result is in a's next pull.
	r := cb.pushOne(cb.mut(streetdesk.MutAddNote, o2, streetdesk.AddNoteArgs{NoteID: newID(), Body: "到场"}))
	if r.Status != streetdesk.ResultApplied {
		t.Fatalf("%+v", r)
	}
	pa2 := ca.pull(pa.Cursor, 0)
	if pa2.LastMutationID != 1 || len(pa2.Changes) == 0 {
		t.Fatalf("a after b's push: lastMutationId %d, %d changes", pa2.LastMutationID, len(pa2.Changes))
	}
}

// TestInstancesUploadResumed: an upload started on one instance is resumed
// on the other (tusd's file store and file locker on the shared media
// directory), and the photo is readable through both.
func TestInstancesUploadResumed(t *testing.T) {
	a := newEnv(t)
	a.token("cw01")
	b := a.twin(t)
	data := photoBytes(300<<10, 7)
	sha := shaHex(data)
	st, loc, _ := a.tusCreate("cw01", sha, "image/jpeg", int64(len(data)))
	if st != http.StatusCreated {
		t.Fatalf("create on a: %d", st)
	}
	half := int64(len(data) / 2)
	if st, _, err := a.tusPatch("cw01", loc, 0, bytes.NewReader(data[:half])); err != nil || st != http.StatusNoContent {
		t.Fatalf("first half on a: %d %v", st, err)
	}
	locB := b.ts.URL + loc[len(a.ts.URL):]
	st, off := b.tusHead("cw01", locB)
	if st != http.StatusOK || off != half {
		t.Fatalf("HEAD on b: %d offset %d, want %d", st, off, half)
	}
	if st, _, err := b.tusPatch("cw01", locB, off, bytes.NewReader(data[off:])); err != nil || st != http.StatusNoContent {
		t.Fatalf("rest on b: %d %v", st, err)
	}
	for _, e := range []*env{a, b} {
		if st := e.blobStatus("cw01", sha); st != http.StatusOK {
			t.Fatalf("blob: %d", st)
		}
	}
}

// TestInstancesUploadExpiryOneAtATime: the upload-expiry job runs on one
// instance at a time (an advisory lock); the other skips its turn.
func TestInstancesUploadExpiryOneAtATime(t *testing.T) {
	a := newEnv(t)
	b := a.twin(t)
	data := photoBytes(10<<10, 8)
	if st, _, _ := a.tusCreate("cw01", shaHex(data), "image/jpeg", int64(len(data))); st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	a.clock.Add(8 * 24 * time.Hour)
	ctx := context.Background()
	release, ok, err := a.srv.TryJobLock(ctx, "expire-uploads")
	if err != nil || !ok {
		t.Fatalf("lock on a: %v %v", ok, err)
	}
	if _, ok, err := b.srv.TryJobLock(ctx, "expire-uploads"); err != nil || ok {
		t.Fatalf("b took the lock a holds: %v %v", ok, err)
	}
	if n, err := b.srv.ExpireUploads(ctx); err != nil || n != 0 {
		t.Fatalf("b expired %d while a runs the job: %v", n, err)
	}
	release()
	if n, err := b.srv.ExpireUploads(ctx); err != nil || n != 1 {
		t.Fatalf("b after a finished: %d %v", n, err)
	}
}

// TestInstancesAnalysisOneAtATime: two instances on one database analyse
// one at a time and about once an interval between them.
func TestInstancesAnalysisOneAtATime(t *testing.T) {
	a := newEnv(t)
	b := a.twin(t)
	ctx := context.Background()
	a.recurring("teamA", 3, 22.5600)
	release, ok, err := a.srv.TryJobLock(ctx, "hotspot-analysis")
	if err != nil || !ok {
		t.Fatalf("lock on a: %v %v", ok, err)
	}
	if ran, err := b.srv.PeriodicAnalysis(ctx, time.Hour); err != nil || ran {
		t.Fatalf("b analysed while a holds the lock: %v %v", ran, err)
	}
	release()
	if ran, err := b.srv.PeriodicAnalysis(ctx, time.Hour); err != nil || !ran {
		t.Fatalf("b after a let go: %v %v", ran, err)
	}
	if ran, err := a.srv.PeriodicAnalysis(ctx, time.Hour); err != nil || ran {
		t.Fatalf("a analysed again right after b: %v %v", ran, err)
	}
	if h, err := a.centre.Hotspots(ctx); err != nil || len(h.Report.Hotspots) != 1 {
		t.Fatalf("a does not see b's analysis: %+v %v", h, err)
	}
}
