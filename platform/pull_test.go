package platform_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
	"golang.org/x/crypto/bcrypt"
)

// shadow is a minimal client-side apply of pull pages.
type shadow struct {
	orders map[string]*streetdesk.WorkOrder
	notes  map[string]bool
	seen   map[string]int // "id@version" → times delivered
	last   int64
}

func newShadow() *shadow {
	return &shadow{orders: map[string]*streetdesk.WorkOrder{}, notes: map[string]bool{}, seen: map[string]int{}}
}

func (s *shadow) apply(p *streetdesk.PullResponse) {
	if p.Reset {
		s.orders = map[string]*streetdesk.WorkOrder{}
	}
	for _, c := range p.Changes {
		switch {
		case c.Type == streetdesk.ChangeWorkOrder && c.Op == streetdesk.OpUpsert:
			if old := s.orders[c.ID]; old == nil || old.Version < c.Order.Version {
				s.orders[c.ID] = c.Order
			}
			s.seen[fmt.Sprintf("%s@%d", c.ID, c.Version)]++
		case c.Type == streetdesk.ChangeWorkOrder && c.Op == streetdesk.OpRevoke:
			delete(s.orders, c.ID)
		case c.Type == streetdesk.ChangeNote:
			s.notes[c.ID] = true
		}
	}
	s.last = p.LastMutationID
}

func (s *shadow) checksum() streetdesk.Checksum {
	var pairs []streetdesk.VersionPair
	for id, o := range s.orders {
		pairs = append(pairs, streetdesk.VersionPair{ID: id, Version: o.Version})
	}
	return streetdesk.ComputeChecksum(pairs)
}

func TestPullSnapshotDeltaAndChecksum(t *testing.T) {
	e := newEnv(t)
	c := e.client("cw01")
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, e.dispatch("teamA", "cw01").ID)
	}
	e.dispatch("teamA", "cw02") // not cw01's
	e.dispatch("teamB", "cw03")
	sh := newShadow()
	pages := c.pullAll("", 3)
	if len(pages) != 3 {
		t.Fatalf("pages %d, want 3", len(pages))
	}
	for i, p := range pages {
		sh.apply(p)
		if (p.Checksum != nil) != (i == len(pages)-1) {
			t.Fatalf("page %d checksum presence wrong", i)
		}
		if p.Reset {
			t.Fatal("a first sync is not a reset")
		}
	}
	if len(sh.orders) != 7 || *pages[2].Checksum != sh.checksum() {
		t.Fatalf("snapshot: %d orders, checksum %v vs %v", len(sh.orders), pages[2].Checksum, sh.checksum())
	}
	want, _ := e.srv.VisibleChecksum(context.Background(), "cw01")
	if want != sh.checksum() {
		t.Fatal("VisibleChecksum differs")
	}
	// Nothing new: an empty page with the same checksum.
	cur := pages[2].Cursor
	p := c.pull(cur, 0)
	if len(p.Changes) != 0 || p.HasMore || *p.Checksum != want {
		t.Fatalf("nothing new: %+v", p)
	}
	// A push shows up as an order upsert and this client's mutation result,
	// with lastMutationId in the same page.
	o := e.order(ids[0])
	c.pushOne(c.mut(streetdesk.MutAccept, o, nil))
	p = c.pull(p.Cursor, 0)
	var gotOrder, gotResult bool
	for _, ch := range p.Changes {
		gotOrder = gotOrder || ch.Type == streetdesk.ChangeWorkOrder && ch.ID == o.ID && ch.Order.Status == streetdesk.StatusAccepted
		gotResult = gotResult || ch.Type == streetdesk.ChangeMutationResult && ch.Result.Status == streetdesk.ResultApplied && ch.ID == "1"
	}
	if !gotOrder || !gotResult || p.LastMutationID != 1 {
		t.Fatalf("delta: %+v", p)
	}
	// A checksum mismatch is detectable: a stale shadow differs.
	if *p.Checksum == sh.checksum() {
		t.Fatal("checksum did not change with the version")
	}
	sh.apply(p)
	if *p.Checksum != sh.checksum() {
		t.Fatal("checksum mismatch after applying the delta")
	}
}

func TestPullPagingWhileWriting(t *testing.T) {
	e := newEnv(t)
	c := e.client("cw01")
	var orders []*streetdesk.WorkOrder
	for i := 0; i < 30; i++ {
		orders = append(orders, e.dispatch("teamA", "cw01"))
	}
	writer := e.client("cw01")
	sh := newShadow()
	cursor := ""
	step := 0
	for {
		p := c.pull(cursor, 4)
		sh.apply(p)
		cursor = p.Cursor
		// Write between pages: accept an already delivered order and a
		// not yet delivered one, add notes, dispatch new ones.
		if step < 5 {
			for _, o := range []*streetdesk.WorkOrder{orders[step], orders[29-step]} {
				writer.pushOne(writer.mut(streetdesk.MutAccept, e.order(o.ID), nil))
				writer.pushOne(writer.mut(streetdesk.MutAddNote, e.order(o.ID), streetdesk.AddNoteArgs{NoteID: newID(), Body: "分页期间的备注"}))
			}
			orders = append(orders, e.dispatch("teamA", "cw01"))
		}
		step++
		if !p.HasMore {
			break
		}
	}
	// Converged: the last page's checksum is the server's, and each
	// (order, version) was delivered at most once.
	want, _ := e.srv.VisibleChecksum(context.Background(), "cw01")
	if sh.checksum() != want {
		t.Fatalf("not converged: %+v vs %+v", sh.checksum(), want)
	}
	for k, n := range sh.seen {
		if n > 1 {
			t.Errorf("%s delivered %d times", k, n)
		}
	}
	if len(sh.notes) != 10 {
		t.Errorf("notes %d, want 10", len(sh.notes))
	}
}

func TestPullResetOnExpiredOrForeignCursor(t *testing.T) {
	e := newEnv(t, func(c *platform.Config) { c.ChangeLogRetention = 24 * time.Hour; c.TokenTTL = 72 * time.Hour })
	c := e.client("cw01")
	for i := 0; i < 5; i++ {
		e.dispatch("teamA", "cw01")
	}
	pages := c.pullAll("", 0)
	cur := pages[len(pages)-1].Cursor
	e.clock.Add(25 * time.Hour)
	p := c.pull(cur, 2)
	if !p.Reset || !p.HasMore || len(p.Changes) != 2 {
		t.Fatalf("expired cursor: reset=%v hasMore=%v n=%d", p.Reset, p.HasMore, len(p.Changes))
	}
	p2 := c.pull(p.Cursor, 10)
	if p2.Reset || p2.HasMore || len(p2.Changes) != 3 || p2.Checksum == nil {
		t.Fatalf("second page of a reset: %+v", p2)
	}
	for _, bad := range []string{"garbage", "djE6ZGVhZGJlZWY6MTA6ZDowOjA"} { // the second: another epoch
		if p := c.pull(bad, 0); !p.Reset || len(p.Changes) != 5 {
			t.Fatalf("cursor %q: reset=%v n=%d", bad, p.Reset, len(p.Changes))
		}
	}
}

func TestPullRevocationsAndNewAssigneeSeesHistory(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	o, c := e.acceptedBy("cw01", "teamA")
	c.pushOne(c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "原承办人的勘察记录"}))
	cur1 := c.pullAll("", 0)
	cw1cur := cur1[len(cur1)-1].Cursor
	cw2 := e.client("cw02")
	cw2pages := cw2.pullAll("", 0)
	cw2cur := cw2pages[len(cw2pages)-1].Cursor

	lead := e.client("lead01")
	lead.pushOne(lead.mut(streetdesk.MutReassign, e.order(o.ID), streetdesk.ReassignArgs{To: "cw02", Reason: "片区调整"}))

	p := c.pull(cw1cur, 0)
	var rv *streetdesk.Change
	for i := range p.Changes {
		if p.Changes[i].Op == streetdesk.OpRevoke {
			rv = &p.Changes[i]
		}
	}
	if rv == nil || rv.ID != o.ID || rv.Revoke.Reason != streetdesk.CodeReassigned || rv.Revoke.NewAssignee != "cw02" {
		t.Fatalf("no revocation: %+v", p.Changes)
	}
	p = cw2.pull(cw2cur, 0)
	var gotOrder, gotNote bool
	for _, ch := range p.Changes {
		gotOrder = gotOrder || ch.Type == streetdesk.ChangeWorkOrder && ch.ID == o.ID
		gotNote = gotNote || ch.Type == streetdesk.ChangeNote && ch.Note.Body == "原承办人的勘察记录"
	}
	if !gotOrder || !gotNote {
		t.Fatalf("new assignee: order %v note %v", gotOrder, gotNote)
	}
	// Cancel: revoked from cw02, still visible to the lead with its status.
	lp := lead.pullAll("", 0)
	lcur := lp[len(lp)-1].Cursor
	if _, err := e.centre.Cancel(ctx, o.ID, ""); err != nil {
		t.Fatal(err)
	}
	p = cw2.pull(p.Cursor, 0)
	if len(p.Changes) != 1 || p.Changes[0].Revoke == nil || p.Changes[0].Revoke.Reason != streetdesk.CodeCancelled {
		t.Fatalf("cancel revocation: %+v", p.Changes)
	}
	if p.Checksum.Count != 0 {
		t.Fatalf("cancelled order still counted: %+v", p.Checksum)
	}
	l := lead.pull(lcur, 0)
	if len(l.Changes) != 1 || l.Changes[0].Order == nil || l.Changes[0].Order.Status != streetdesk.StatusCancelled {
		t.Fatalf("lead after cancel: %+v", l.Changes)
	}
}

func TestPullProposalVisibleToLead(t *testing.T) {
	e := newEnv(t)
	o, c := e.acceptedBy("cw01", "teamA")
	if _, err := e.centre.Cancel(context.Background(), o.ID, ""); err != nil {
		t.Fatal(err)
	}
	res := goodResolution()
	c.pushOne(c.mut(streetdesk.MutSubmitResolution, o, res))
	lead := e.client("lead01")
	found := false
	for _, p := range lead.pullAll("", 0) {
		for _, ch := range p.Changes {
			found = found || ch.Type == streetdesk.ChangeResolution && ch.ID == res.ResolutionID && ch.Resolution.State == streetdesk.ResolutionProposal
		}
	}
	if !found {
		t.Fatal("the lead does not see the proposal")
	}
}

func TestGzipBothWays(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	raw, _ := json.Marshal(streetdesk.PushRequest{PushVersion: 1, ClientID: c.id, Mutations: []streetdesk.Mutation{c.mut(streetdesk.MutAccept, o, nil)}})
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(raw)
	zw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/v1/sync/push", &zb)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Authorization", "Bearer "+e.token("cw01"))
	var pr streetdesk.PushResponse
	if st, body := e.send(req, &pr); st != 200 || pr.Results[0].Status != streetdesk.ResultApplied {
		t.Fatalf("gzip push: %d %s", st, body)
	}
	req, _ = http.NewRequest(http.MethodGet, e.ts.URL+"/v1/sync/pull", nil)
	req.Header.Set("Authorization", "Bearer "+e.token("cw01"))
	req.Header.Set("Accept-Encoding", "gzip")
	tr := &http.Transport{DisableCompression: true}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("pull headers: %v", resp.Header)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(zr)
	var p streetdesk.PullResponse
	if err := json.Unmarshal(data, &p); err != nil || len(p.Changes) != 1 {
		t.Fatalf("%v %s", err, data)
	}
	// A page with nothing new fits one TCP segment: not worth compressing.
	req, _ = http.NewRequest(http.MethodGet, e.ts.URL+"/v1/sync/pull?cursor="+p.Cursor, nil)
	req.Header.Set("Authorization", "Bearer "+e.token("cw01"))
	req.Header.Set("Accept-Encoding", "gzip")
	resp2, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	data, _ = io.ReadAll(resp2.Body)
	if resp2.Header.Get("Content-Encoding") != "" || resp2.Header.Get("Vary") != "Accept-Encoding" || json.Unmarshal(data, &p) != nil || len(p.Changes) != 0 {
		t.Fatalf("nothing new: %v %s", resp2.Header, data)
	}
}

// A page goes in the coding the request prefers among those the platform
// has: zstd, then gzip (desks before zstd), else as it is; q=0 refuses one.
// Every coding carries the same page.
func TestPullCodings(t *testing.T) {
	e := newEnv(t)
	for range 3 {
		e.dispatch("teamA", "cw01")
	}
	get := func(accept string) (string, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/v1/sync/pull?clientId="+newID(), nil)
		req.Header.Set("Authorization", "Bearer "+e.token("cw01"))
		req.Header.Set("Accept-Encoding", accept)
		resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Fatalf("%q: %d %v", accept, resp.StatusCode, resp.Header)
		}
		var body io.Reader = resp.Body
		switch coding := resp.Header.Get("Content-Encoding"); coding {
		case "zstd":
			zr, err := zstd.NewReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			defer zr.Close()
			body = zr
		case "gzip":
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			body = zr
		}
		data, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("%q: %v", accept, err)
		}
		var p streetdesk.PullResponse
		if err := json.Unmarshal(data, &p); err != nil || len(p.Changes) != 3 {
			t.Fatalf("%q: %v %d changes", accept, err, len(p.Changes))
		}
		return resp.Header.Get("Content-Encoding"), data
	}
	_, plain := get("")
	for _, tc := range []struct{ accept, want string }{
		{"zstd, gzip", "zstd"},
		{"gzip, zstd", "zstd"},
		{"gzip", "gzip"},
		{"gzip;q=0.5, zstd;q=0", "gzip"},
		{"ZSTD", "zstd"},
		{"zstd;q=0, gzip;q=0", ""},
		{"br, identity", ""},
	} {
		coding, data := get(tc.accept)
		if coding != tc.want {
			t.Errorf("Accept-Encoding %q: coding %q, want %q", tc.accept, coding, tc.want)
		}
		// The same page but for its time stamps.
		var a, b streetdesk.PullResponse
		json.Unmarshal(data, &a)
		json.Unmarshal(plain, &b)
		if len(a.Changes) != len(b.Changes) || !reflect.DeepEqual(a.Checksum, b.Checksum) {
			t.Errorf("Accept-Encoding %q: another page", tc.accept)
		}
	}
}

func TestLeadAsAssigneeGetsNoRevocation(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "lead01")
	lead := e.client("lead01")
	pages := lead.pullAll("", 0)
	cur := pages[len(pages)-1].Cursor
	lead.pushOne(lead.mut(streetdesk.MutReassign, o, streetdesk.ReassignArgs{To: "cw01"}))
	if _, err := e.centre.Cancel(context.Background(), o.ID, ""); err != nil {
		t.Fatal(err)
	}
	for _, ch := range lead.pull(cur, 0).Changes {
		if ch.Op == streetdesk.OpRevoke {
			t.Fatalf("the lead got a revocation: %+v", ch)
		}
	}
}

// TestPullMemorySizedByPage: while its answer waits for a slow client, a
// pull holds memory sized by its page. A pull with nothing new used to hold
// a buffer for a full page of orders (1.3 MB), so a thousand slow clients
// held more than a gigabyte.
func TestPullMemorySizedByPage(t *testing.T) {
	e := newEnv(t)
	e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	cur := c.pullAll("", 0)[0].Cursor
	h := e.srv.Handler()
	tok := e.token("cw01")
	const n = 40
	release := make(chan struct{})
	var blocked, done sync.WaitGroup
	blocked.Add(n)
	done.Add(n)
	for range n {
		go func() {
			defer done.Done()
			req := httptest.NewRequest(http.MethodGet, "/v1/sync/pull?limit=500&cursor="+cur, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := &slowWriter{ResponseRecorder: httptest.NewRecorder(), release: release, blocked: &blocked}
			h.ServeHTTP(w, req)
			if w.Code != 200 || w.Body.Len() > 1000 {
				t.Errorf("pull: %d, %d bytes", w.Code, w.Body.Len())
			}
		}()
	}
	var before, during runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	blocked.Wait() // every pull is writing its answer
	runtime.GC()
	runtime.ReadMemStats(&during)
	close(release)
	done.Wait()
	if held := int64(during.HeapAlloc) - int64(before.HeapAlloc); held > 8<<20 {
		t.Errorf("%d pulls with nothing new waiting for their clients hold %d MB", n, held>>20)
	}
}

// slowWriter is a client that takes the first byte of its answer only when
// released.
type slowWriter struct {
	*httptest.ResponseRecorder
	release chan struct{}
	blocked *sync.WaitGroup
	once    sync.Once
}

func (w *slowWriter) Write(b []byte) (int, error) {
	w.once.Do(func() {
		w.blocked.Done()
		<-w.release
	})
	return w.ResponseRecorder.Write(b)
}

// TestChecksumCacheBounded: with more users than the checksum cache holds,
// the cache stays within its bound (it used to be cleared whole past 10,000
// users, so a city's 64,000 almost always missed), the users pulled last
// stay cached, and every checksum is right whether it came from the cache or
// was computed again.
func TestChecksumCacheBounded(t *testing.T) {
	const bound = 4 << 10 // about 14 users' entries
	e := newEnv(t, func(c *platform.Config) { c.ChecksumCacheBytes = bound })
	ctx := context.Background()
	const users = 60
	if _, err := e.srv.AddUsersBulk(ctx, platform.BulkUsers{Prefix: "ck", Count: users, TeamSize: 60, Password: testPassword, BcryptCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	dc := e.centreAs("dispatcher")
	for i := 1; i <= users; i += 3 {
		if _, err := dc.Dispatch(ctx, streetdesk.DispatchRequest{Title: "t", Complaint: "c", Channel: streetdesk.ChannelWeb,
			CategoryL3: sampleL3(), TeamID: "ck-t0001", AssigneeID: platform.BulkUsername("ck", i)}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(round int) {
		for i := 1; i <= users; i++ {
			name := platform.BulkUsername("ck", i)
			p := e.client(name).pullAll("", 0)
			got := p[len(p)-1].Checksum
			want, err := e.srv.VisibleChecksum(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || *got != want {
				t.Fatalf("round %d, %s: checksum %+v, want %+v", round, name, got, want)
			}
			if n, b := e.srv.ChecksumCacheUsage(); b > bound || n == 0 {
				t.Fatalf("round %d: cache holds %d entries, %d bytes (bound %d)", round, n, b, bound)
			}
		}
	}
	check(1)
	n, _ := e.srv.ChecksumCacheUsage()
	if n >= users || n < 5 {
		t.Fatalf("%d of %d users cached under a %d-byte bound", n, users, bound)
	}
	// A change in an evicted user's view is seen, and so is one in a cached
	// user's (the last one pulled).
	for _, i := range []int{1, users} {
		if _, err := dc.Dispatch(ctx, streetdesk.DispatchRequest{Title: "t2", Complaint: "c", Channel: streetdesk.ChannelWeb,
			CategoryL3: sampleL3(), TeamID: "ck-t0001", AssigneeID: platform.BulkUsername("ck", i)}); err != nil {
			t.Fatal(err)
		}
	}
	check(2)
}

// A client's results take their places in the change log's sequence among
// the entries written around them, also on a platform whose change log was
// still empty, and a pull one change a page steps through them in order.
func TestPullResultsInSequenceWithChanges(t *testing.T) {
	e := newEnv(t)
	c := e.client("cw01")
	ghost := &streetdesk.WorkOrder{ID: "WO-20261123-00000000", Version: 1, Cycle: 1}
	if r := c.pushOne(c.mut(streetdesk.MutAccept, ghost, nil)); r.Status == streetdesk.ResultApplied {
		t.Fatalf("accept of an unknown order: %+v", r)
	}
	o1 := e.dispatch("teamA", "cw01")
	o2 := e.dispatch("teamA", "cw01")
	if r := c.pushOne(c.mut(streetdesk.MutAccept, o2, nil)); r.Status != streetdesk.ResultApplied {
		t.Fatalf("accept: %+v", r)
	}
	var got []string
	for _, p := range c.pullAll("", 1) {
		for _, ch := range p.Changes {
			got = append(got, ch.Type+" "+ch.ID)
		}
	}
	want := []string{"mutationResult 1", "workOrder " + o1.ID, "workOrder " + o2.ID, "mutationResult 2"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("changes one a page:\n%q\nwant\n%q", got, want)
	}
}
