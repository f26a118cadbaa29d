package sync_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/pgtest"
	"github.com/streetdesk/streetdesk/localdb"
	"github.com/streetdesk/streetdesk/platform"
	"github.com/streetdesk/streetdesk/sync"
)

// Integration with the real platform (in-process) and the real localdb.

const realPassword = "secret-pass"

// testTB is what the real-platform helpers need of a test: *testing.T, or
// *rapid.T for a randomized run that owns its own environment.
type testTB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
}

type realEnv struct {
	t          testTB
	dir        string
	srv        *platform.Server
	ts         *httptest.Server
	dispatcher streetdesk.User
	lead       streetdesk.User
	cw         streetdesk.User
	cw2        streetdesk.User
	// deskNow, when set, is the clock of the desks' local databases.
	deskNow func() time.Time
	// wrap, when set, stands between each desk's engine and its store.
	wrap func(*localdb.DB) sync.Store
	// tap, when set, sees every request before the platform does.
	tap atomic.Pointer[func(*http.Request)]
}

func newRealEnv(t testing.TB, mod ...func(*platform.Config)) *realEnv {
	t.Helper()
	return openRealEnv(t, t.TempDir(), mod...)
}

// openRealEnv starts a platform with its files in dir; t's cleanups stop it.
func openRealEnv(t testTB, dir string, mod ...func(*platform.Config)) *realEnv {
	t.Helper()
	cfg := platform.Config{DBPath: pgtest.PlatformDB(t, dir), MediaDir: filepath.Join(dir, "media"), BcryptCost: bcrypt.MinCost}
	for _, m := range mod {
		m(&cfg)
	}
	ctx := context.Background()
	srv, err := platform.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.AddTeam(ctx, streetdesk.Team{ID: "teamA", Name: "城管组", StreetOffice: "桂园街道", District: "罗湖区"}); err != nil {
		t.Fatal(err)
	}
	e := &realEnv{t: t, dir: dir, srv: srv}
	add := func(u streetdesk.User) streetdesk.User {
		u, err := srv.AddUser(ctx, u, realPassword)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	e.dispatcher = add(streetdesk.User{Username: "dispatcher", Name: "派单员", Role: streetdesk.RoleDispatcher})
	e.lead = add(streetdesk.User{Username: "lead01", Name: "李组长", Role: streetdesk.RoleLead, TeamID: "teamA"})
	e.cw = add(streetdesk.User{Username: "cw01", Name: "王芳", Role: streetdesk.RoleCaseworker, TeamID: "teamA"})
	e.cw2 = add(streetdesk.User{Username: "cw02", Name: "张伟", Role: streetdesk.RoleCaseworker, TeamID: "teamA"})
	h := srv.Handler()
	e.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := e.tap.Load(); f != nil {
			(*f)(r)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		e.ts.Close()
		srv.Close()
	})
	return e
}

func (e *realEnv) dispatch(n int, assignee string) []string {
	e.t.Helper()
	var ids []string
	for i := 0; i < n; i++ {
		o, err := e.srv.Dispatch(context.Background(), &e.dispatcher, streetdesk.DispatchRequest{
			Title: "人行道井盖缺失", Complaint: "桂园路口人行道井盖缺失，夜间行人容易踩空，请尽快处理。",
			Channel: streetdesk.ChannelHotline, CategoryL3: streetdesk.SampleTaxonomy().Items[0].L3Code,
			CitizenName: "张三", CitizenPhone: "13812345678", Urgency: streetdesk.UrgencyNormal,
			TeamID: "teamA", AssigneeID: assignee, Location: streetdesk.Location{Address: "桂园路1号", Lat: 22.54, Lng: 114.11},
		})
		if err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	return ids
}

// desk is one desktop: localdb + client + engine.
type desk struct {
	t      testTB
	db     *localdb.DB
	path   string
	rt     *faultRT
	client *sync.Client
	eng    *sync.Engine
	clock  *fakeClock
	cancel context.CancelFunc
	done   chan error
	tr     *http.Transport
}

func (e *realEnv) desk(path string, user streetdesk.User, opts sync.Options) *desk {
	e.t.Helper()
	ctx := context.Background()
	if path == "" {
		dir, err := os.MkdirTemp(e.dir, "desk-")
		if err != nil {
			e.t.Fatal(err)
		}
		path = filepath.Join(dir, "desk.db")
	}
	db, err := localdb.Open(ctx, path, localdb.Options{User: user, Now: e.deskNow})
	if err != nil {
		e.t.Fatal(err)
	}
	d := &desk{t: e.t, db: db, path: path, clock: newFakeClock()}
	d.tr = http.DefaultTransport.(*http.Transport).Clone()
	d.rt = &faultRT{next: d.tr}
	c, err := sync.NewClient(sync.ClientOptions{BaseURL: e.ts.URL, Transport: d.rt})
	if err != nil {
		e.t.Fatal(err)
	}
	lr, err := c.Login(ctx, user.Username, realPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	c.SetTokenSource(sync.NewTokens(c, lr.Token, lr.RefreshToken, nil))
	d.client = c
	if opts.Clock == nil {
		opts.Clock = d.clock
	}
	if opts.Rand == nil {
		opts.Rand = func() float64 { return 0.5 }
	}
	var st sync.Store = db
	if e.wrap != nil {
		st = e.wrap(db)
	}
	d.eng = sync.New(st, c, opts)
	e.t.Cleanup(d.close)
	return d
}

func (d *desk) start() {
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	d.done = make(chan error, 1)
	go func() { d.done <- d.eng.Run(ctx) }()
}

func (d *desk) stop() {
	if d.cancel != nil {
		d.cancel()
		<-d.done
		d.cancel = nil
	}
}

func (d *desk) close() {
	d.stop()
	d.client.Close()
	d.tr.CloseIdleConnections()
	if d.db != nil {
		d.db.Close()
		d.db = nil
	}
}

func (d *desk) waitCycle(after int) sync.Stats {
	d.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		ch := d.eng.Notify()
		if st := d.eng.Stats(); st.Cycles > after && d.eng.Status().State != streetdesk.SyncSyncing {
			return st
		}
		select {
		case <-ch:
		case <-deadline:
			d.t.Fatalf("no cycle: %+v %+v", d.eng.Status(), d.eng.Stats())
		}
	}
}

func (d *desk) syncNow() sync.Stats {
	d.t.Helper()
	n := d.eng.Stats().Cycles
	d.eng.SyncNow()
	st := d.waitCycle(n)
	if st.LastErr != nil {
		d.t.Fatalf("sync: %v", st.LastErr)
	}
	return st
}

func (d *desk) retryNow() {
	d.t.Helper()
	s := d.eng.Status()
	dd := s.NextTry.Sub(d.clock.Now())
	if dd < 0 {
		dd = 0
	}
	d.clock.AdvanceWhenArmed(d.t, dd+time.Millisecond)
}

// checkReal checks I1 (no pending), I3 (checksum, outbox empty) against
// the platform's database.
func (e *realEnv) checkReal(t testTB, d *desk, user streetdesk.User) {
	t.Helper()
	ctx := context.Background()
	pend, err := d.db.PendingMutations(ctx, 1000)
	if err != nil || len(pend) != 0 {
		t.Errorf("I3: %d mutations unanswered (%v)", len(pend), err)
	}
	c, err := d.db.Counts(ctx)
	if err != nil || c.Pending != 0 {
		t.Errorf("I3: %d outbox rows unconfirmed (%v)", c.Pending, err)
	}
	local, err := d.db.ShadowChecksum(ctx)
	if err != nil {
		t.Fatal(err)
	}
	remote, err := e.srv.VisibleChecksum(ctx, user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if local != remote {
		t.Errorf("I3: checksum local %+v platform %+v", local, remote)
	}
}

func TestReal_SyncAcceptNoteConverges(t *testing.T) {
	e := newRealEnv(t)
	ids := e.dispatch(3, e.cw.ID)
	d := e.desk("", e.cw, sync.Options{})
	d.start()
	d.waitCycle(0)
	ctx := context.Background()
	page, err := d.db.Queue(ctx, streetdesk.QueueFilter{})
	if err != nil || page.Total != 3 {
		t.Fatalf("queue after first sync: %v %+v", err, page.Total)
	}
	if err := d.db.Accept(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := d.db.AddNote(ctx, ids[0], "已电话联系市民，约定下午到现场。"); err != nil {
		t.Fatal(err)
	}
	d.syncNow()
	d.stop()
	o, err := e.srv.Order(ctx, ids[0])
	if err != nil || o.Status != streetdesk.StatusAccepted {
		t.Fatalf("platform order %v %+v", err, o)
	}
	e.checkReal(t, d, e.cw)
}

func TestReal_ResponseLostAfterCommit(t *testing.T) {
	e := newRealEnv(t)
	ids := e.dispatch(1, e.cw.ID)
	d := e.desk("", e.cw, sync.Options{})
	d.start()
	d.waitCycle(0)
	ctx := context.Background()
	if err := d.db.Accept(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	pend, _ := d.db.PendingMutations(ctx, 10)
	d.rt.setPlan(onceFor("push", 1, fault{dropResponse: true}))
	n := d.eng.Stats().Cycles
	d.eng.SyncNow()
	d.waitCycle(n)
	d.retryNow()
	d.waitCycle(n + 1)
	d.stop()
	if c, err := e.srv.EffectCount(ctx, pend[0].Key); err != nil || c != 1 {
		t.Fatalf("effects %d %v", c, err)
	}
	e.checkReal(t, d, e.cw)
}

func TestReal_ReassignedWhileOfflineLandsInConflicts(t *testing.T) {
	e := newRealEnv(t)
	ids := e.dispatch(1, e.cw.ID)
	d := e.desk("", e.cw, sync.Options{})
	d.start()
	d.waitCycle(0)
	ctx := context.Background()
	if err := d.db.Accept(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := d.db.AddNote(ctx, ids[0], "离线时记下的现场情况"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Reassign(ctx, &e.lead, streetdesk.ReassignRequest{OrderIDs: ids, To: e.cw2.ID, Reason: "调整分工"}); err != nil {
		t.Fatal(err)
	}
	d.syncNow()
	d.stop()
	cs, err := d.db.Conflicts(ctx, false)
	if err != nil || len(cs) == 0 {
		t.Fatalf("conflicts %v %+v", err, cs)
	}
	if cs[0].Code != streetdesk.CodeReassigned || cs[0].Explanation.IsZero() || cs[0].Intent == "" {
		t.Fatalf("conflict %+v", cs[0])
	}
	notes, _ := e.srv.Notes(ctx, ids[0])
	if len(notes) != 1 {
		t.Fatalf("the note (a fact) was not kept: %d", len(notes))
	}
	e.checkReal(t, d, e.cw)
	// The order stays, read-only, while its conflict is open, and goes
	// once it is acknowledged (it used to stay for good: the desk listed
	// one order more than a fresh desk).
	if got := queueIDs(t, d.db); len(got) != 1 || !strings.HasSuffix(got[0], " revoked") {
		t.Errorf("with the conflict open: %v, want the order kept read-only", got)
	}
	e.checkConverged(t, d, e.cw)
	if det, err := d.db.Order(ctx, ids[0]); err == nil {
		t.Errorf("the order is still on the desk after the conflict was acknowledged (revoked=%v)", det.Revoked)
	}
}

func TestReal_PhotoUploadResumesAfterCuts(t *testing.T) {
	e := newRealEnv(t)
	ids := e.dispatch(1, e.cw.ID)
	d := e.desk("", e.cw, sync.Options{ChunkSize: 256 << 10, MaxChunk: 256 << 10})
	ctx := context.Background()
	data := make([]byte, 3<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	path := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(path, append([]byte{0xFF, 0xD8, 0xFF}, data...), 0o600); err != nil {
		t.Fatal(err)
	}
	d.start()
	d.waitCycle(0)
	p, err := importForTest(ctx, d.db, ids[0], path)
	if err != nil {
		t.Fatalf("attach photo: %v", err)
	}
	cuts := 0
	d.rt.setPlan(func(req *http.Request) fault {
		if req.Method == http.MethodPatch && cuts < 3 {
			cuts++
			return fault{cutAfter: 100 << 10}
		}
		return fault{}
	})
	d.eng.SyncNow()
	for i := 1; i < 20; i++ {
		st := d.waitCycle(i)
		if st.LastErr == nil {
			break
		}
		d.retryNow()
	}
	d.stop()
	if _, err := os.Stat(e.srv.BlobPath(p.SHA256)); err != nil {
		t.Fatalf("blob not on the platform: %v", err)
	}
	e.checkReal(t, d, e.cw)
	if resent := d.rt.sent.Load() - p.Size; resent > 1<<20 {
		t.Errorf("re-sent %d bytes over 3 cuts", resent)
	}
}

// importForTest stands in for media.Import: the order is accepted, and the
// file, already where it stays, hashed and attached.
func importForTest(ctx context.Context, db *localdb.DB, orderID, path string) (streetdesk.ImportedPhoto, error) {
	if err := db.Accept(ctx, orderID); err != nil {
		return streetdesk.ImportedPhoto{}, err
	}
	ref, err := attachForTest(ctx, db, orderID, path)
	return streetdesk.ImportedPhoto{SHA256: ref.SHA256, Path: path, Size: ref.Size}, err
}

// queueIDs is every order the desk lists in its queue, in order, with
// revoked ones marked.
func queueIDs(t testTB, db *localdb.DB) []string {
	t.Helper()
	items, err := db.Export(context.Background(), streetdesk.QueueFilter{Sort: streetdesk.SortDispatched})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		s := it.Order.ID + " " + string(it.Order.Status) + " v" + strconv.FormatInt(it.Order.Version, 10)
		if it.Revoked {
			s += " revoked"
		}
		out = append(out, s)
	}
	return out
}

// checkConverged is I3 as the user sees it: once every conflict is
// acknowledged, the desk lists exactly what a freshly signed-in desk of the
// same user lists (the visible set, at the same versions).
func (e *realEnv) checkConverged(t testTB, d *desk, user streetdesk.User) {
	t.Helper()
	ctx := context.Background()
	cs, err := d.db.Conflicts(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if err := d.db.DismissConflict(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	fresh := e.desk("", user, sync.Options{})
	fresh.start()
	fresh.untilOK()
	fresh.stop()
	got, want := queueIDs(t, d.db), queueIDs(t, fresh.db)
	if !slices.Equal(got, want) {
		t.Errorf("I3: the desk lists %d orders, a fresh desk %d:\n desk  %v\n fresh %v", len(got), len(want), got, want)
	}
	fresh.close()
}
