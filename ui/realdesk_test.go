package ui_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"golang.org/x/crypto/bcrypt"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/desk"
	"github.com/streetdesk/streetdesk/internal/fakedesk"
	"github.com/streetdesk/streetdesk/localdb"
	"github.com/streetdesk/streetdesk/media"
	"github.com/streetdesk/streetdesk/platform"
	"github.com/streetdesk/streetdesk/sync"
	"github.com/streetdesk/streetdesk/ui"
)

// realStack is the desktop as cmd/streetdesk wires it — the local store,
// the media folder and the sync engine behind desk.Service — against a real
// platform on loopback, for the flows whose truth lives below the UI.
type realStack struct {
	srv        *platform.Server
	ts         *httptest.Server
	dispatcher streetdesk.User
	lead       streetdesk.User
	cw         streetdesk.User
	cw2        streetdesk.User
}

func newRealStack(t *testing.T) *realStack {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	srv, err := platform.Open(ctx, platform.Config{DBPath: filepath.Join(dir, "platform.db"), MediaDir: filepath.Join(dir, "media"), BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.AddTeam(ctx, streetdesk.Team{ID: "teamA", Name: "城管组", StreetOffice: "桂园街道", District: "罗湖区"}); err != nil {
		t.Fatal(err)
	}
	s := &realStack{srv: srv}
	add := func(u streetdesk.User) streetdesk.User {
		u, err := srv.AddUser(ctx, u, "secret-pass")
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	s.dispatcher = add(streetdesk.User{Username: "dispatcher", Name: "派单员", Role: streetdesk.RoleDispatcher})
	s.lead = add(streetdesk.User{Username: "lead01", Name: "李组长", Role: streetdesk.RoleLead, TeamID: "teamA"})
	s.cw = add(streetdesk.User{Username: "cw01", Name: "王芳", Role: streetdesk.RoleCaseworker, TeamID: "teamA"})
	s.cw2 = add(streetdesk.User{Username: "cw02", Name: "张伟", Role: streetdesk.RoleCaseworker, TeamID: "teamA"})
	s.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		s.ts.Close()
		srv.Close()
	})
	return s
}

func (s *realStack) dispatch(t *testing.T, title, assignee string) string {
	t.Helper()
	o, err := s.srv.Dispatch(context.Background(), &s.dispatcher, streetdesk.DispatchRequest{
		Title: title, Complaint: "桂园路口人行道井盖缺失，夜间行人容易踩空，请尽快处理。",
		Channel: streetdesk.ChannelHotline, CategoryL3: streetdesk.SampleTaxonomy().Items[0].L3Code,
		CitizenName: "张三", CitizenPhone: "13812345678", TeamID: "teamA", AssigneeID: assignee,
		Location: streetdesk.Location{Address: "桂园路1号", Lat: 22.54, Lng: 114.11},
	})
	if err != nil {
		t.Fatal(err)
	}
	return o.ID
}

// realDesk is one signed-in desktop with its engine running.
type realDesk struct {
	*desk.Service
	db  *localdb.DB
	eng *sync.Engine
}

func (s *realStack) desk(t *testing.T, user streetdesk.User) *realDesk {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := localdb.Open(ctx, filepath.Join(dir, "local.db"), localdb.Options{User: user})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := media.Open(filepath.Join(dir, "media"), media.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sync.NewClient(sync.ClientOptions{BaseURL: s.ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	lr, err := c.Login(ctx, user.Username, "secret-pass")
	if err != nil {
		t.Fatal(err)
	}
	c.SetTokenSource(sync.NewTokens(c, lr.Token, lr.RefreshToken, nil))
	team, err := c.Team(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveRoster(ctx, *team); err != nil {
		t.Fatal(err)
	}
	eng := sync.New(db, c, sync.Options{Downloader: ms.SaveVerified})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = eng.Run(runCtx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		c.Close()
		db.Close()
	})
	d := &realDesk{db: db, eng: eng, Service: &desk.Service{OrderService: db, User: user, Photos: ms, Teams: db, Engine: eng}}
	d.syncAndWait(t, nil)
	return d
}

// syncAndWait runs one sync cycle and then the UI's reactions to it until
// done holds (nil: the UI does not exist yet).
func (d *realDesk) syncAndWait(t *testing.T, done func() bool) {
	t.Helper()
	n := d.eng.Stats().Cycles
	d.eng.SyncNow()
	deadline := time.After(30 * time.Second)
	for {
		ch := d.eng.Notify()
		if st := d.eng.Stats(); st.Cycles > n && d.eng.Status().State != streetdesk.SyncSyncing {
			if st.LastErr != nil {
				t.Fatalf("sync: %v", st.LastErr)
			}
			break
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no sync cycle: %+v", d.eng.Status())
		}
	}
	// The watcher queues a call per status change; the last one reloads.
	for stop := time.Now().Add(10 * time.Second); done != nil && !done(); {
		if time.Now().After(stop) {
			return // the caller's check says what is missing
		}
		ui.RunMain(t)
	}
}

// selectTitle selects the queue row whose title is title.
func selectTitle(t *testing.T, u *ui.UI, title string) {
	t.Helper()
	for i := 0; i < u.QueueTotal(); i++ {
		if u.QueueRowText(i)[1] == title {
			u.Queue().List.Select(i)
			return
		}
	}
	t.Fatalf("%q is not in the queue", title)
}

func timelineHas(lines []string, parts ...string) bool {
	for _, l := range lines {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return true
		}
	}
	return false
}

// TestRealDesk_TimelineAndSavedStateFollowTheSync: on the real store and
// platform, a survey note, two contact records, a photo and the reply stay
// in the timeline with their texts once synced (they used to vanish with
// their outbox rows), and the message under the actions goes from "saved
// on this computer, waiting to sync" to "sent to the platform".
func TestRealDesk_TimelineAndSavedStateFollowTheSync(t *testing.T) {
	s := newRealStack(t)
	const title = "桂园路口人行道井盖缺失"
	s.dispatch(t, title, s.cw.ID)
	d := s.desk(t, s.cw)
	e := setup(t, zhLocale, func(o *ui.Options, _ *fakedesk.Options) { o.Desk = d; o.Now = time.Now })
	e.picked = []string{testdata(photoCanon)}
	u := e.u
	selectTitle(t, u, title)

	test.Tap(u.Action(streetdesk.OpAccept))
	if got := u.Detail().Saved.Text; got != "✓ 已保存在本机，待同步" {
		t.Fatalf("after accepting: %q", got)
	}
	sent := func() bool { return u.Detail().Saved.Text == "✓ 已发送到平台" }
	d.syncAndWait(t, sent)
	if got := u.Detail().Saved.Text; got != "✓ 已发送到平台" {
		t.Fatalf("after the sync the message still says %q", got)
	}

	const survey, call1, call2 = "现场勘察：井盖缺失，已临时围挡", "电话已接通，约定明天上门", "第二次联系：上门查看"
	const reply = "已联系市政部门更换井盖，现场已恢复通行，感谢您的反映和监督。"
	test.Tap(u.Action(streetdesk.OpAddNote))
	f, text, _ := u.NoteDialog()
	test.Type(text, survey)
	test.Tap(f.Save)
	for _, c := range []string{call1, call2} {
		test.Tap(u.Action(streetdesk.OpRecordContact))
		f, _, _, text := u.ContactDialog()
		test.Type(text, c)
		test.Tap(f.Save)
	}
	test.Tap(u.Action(streetdesk.OpAttachPhoto))
	pf, choose, _, _, _ := u.PhotoDialog()
	test.Tap(choose)
	test.Tap(pf.Save)
	test.Tap(u.Action(streetdesk.OpSubmitResolution))
	rv := u.ResolveDialog()
	test.Type(rv.Reply, reply)
	test.Tap(rv.Save)

	want := [][]string{
		{"王芳 勘察备注 " + survey},
		{"王芳 联系记录 (电话, 已接通) " + call1},
		{"王芳 联系记录 (电话, 已接通) " + call2},
		{"王芳 照片 ×1 (整改前)"},
		{"王芳 办结 已解决: " + reply},
	}
	lines := u.Detail().Timeline
	for _, w := range want {
		if !timelineHas(lines, append(w, "⟳ 待同步")...) {
			t.Errorf("before the sync, no line %q:\n%s", w, strings.Join(lines, "\n"))
		}
	}
	if got := u.Detail().Saved.Text; got != "✓ 已保存在本机，待同步" {
		t.Errorf("after the writes: %q", got)
	}
	// The photo's bytes go after the push, so the message may read sent while
	// the photo still waits: wait for both, a cycle or two more if needed.
	allSent := func() bool {
		return sent() && !strings.Contains(strings.Join(u.Detail().Timeline, "\n"), "待同步")
	}
	for i := 0; i < 3 && !allSent(); i++ {
		d.syncAndWait(t, allSent)
	}
	lines = u.Detail().Timeline
	for _, w := range want {
		if !timelineHas(lines, append(w, "✓ 已同步")...) {
			t.Errorf("after the sync, no line %q:\n%s", w, strings.Join(lines, "\n"))
		}
	}
	if strings.Contains(strings.Join(lines, "\n"), "待同步") {
		t.Errorf("after the sync something still waits:\n%s", strings.Join(lines, "\n"))
	}
	if got := u.Detail().Saved.Text; got != "✓ 已发送到平台" {
		t.Errorf("after the sync the message says %q", got)
	}
}
