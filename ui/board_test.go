package ui_test

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/cputime"
	"github.com/streetdesk/streetdesk/internal/demo"
	"github.com/streetdesk/streetdesk/internal/fakedesk"
	"github.com/streetdesk/streetdesk/ui"
)

// The lead's fixture: 城管组 with 8 people, led by 张伟, at the fake desk's
// clock (Thursday 2026-03-12 10:00 CST, ISO week 11).
var (
	leadNow  = fakedesk.DefaultNow
	leadUser = streetdesk.User{ID: "u-zhang", Username: "zhangwei", Name: "张伟", Role: streetdesk.RoleLead,
		TeamID: "t-cg", TeamName: "城管组", StreetOffice: "香蜜湖街道", District: "福田区"}
	leadTeam = []streetdesk.User{leadUser,
		{ID: "u-wangfang", Name: "王芳", Role: streetdesk.RoleCaseworker},
		{ID: "u-lisi", Name: "李四", Role: streetdesk.RoleCaseworker},
		{ID: "u-zhaomin", Name: "赵敏", Role: streetdesk.RoleCaseworker},
		{ID: "u-chenjing", Name: "陈静", Role: streetdesk.RoleCaseworker},
		{ID: "u-liuyang", Name: "刘洋", Role: streetdesk.RoleCaseworker},
		{ID: "u-sunli", Name: "孙丽", Role: streetdesk.RoleCaseworker},
		{ID: "u-zhoujie", Name: "周杰", Role: streetdesk.RoleCaseworker},
	}
)

// leadOrder is a hand-made order of the fixture.
func leadOrder(id, title, who string, st streetdesk.Status, resolveBy time.Time) streetdesk.WorkOrder {
	disp := leadNow.AddDate(0, 0, -40) // before the charts' weeks: load only
	o := streetdesk.WorkOrder{ID: id, Title: title, AssigneeID: who, Status: st, TeamID: "t-cg", Urgency: streetdesk.UrgencyNormal,
		DispatchedAt: disp, UpdatedAt: disp, Deadlines: streetdesk.Deadlines{ResolveBy: resolveBy},
		Location: streetdesk.Location{District: "福田区", StreetOffice: "香蜜湖街道", Community: "香蜜社区", Address: "福田区 香蜜湖路"}}
	if st != streetdesk.StatusDispatched {
		o.AcceptedAt = disp.Add(time.Hour)
	}
	return o
}

const (
	awaitSoon    = "SZ-A1" // accept by 11:00
	awaitToday   = "SZ-A2" // accept by 15:00
	awaitLater   = "SZ-A3" // accept by tomorrow
	awaitOverdue = "SZ-A4" // accept-by passed 30 min ago
	reviewOK     = "SZ-R1"
	reviewBack   = "SZ-R2"
)

// Rates per week of the history (W08…W11): late acceptances, late
// resolutions and dissatisfied callbacks among 5 orders a week.
var (
	lateAccept  = []int{1, 0, 2, 0}
	lateResolve = []int{0, 1, 1, 0}
	unhappy     = []int{1, 0, 1, 0}
)

func leadOrders() []streetdesk.WorkOrder {
	h := func(d float64) time.Time { return leadNow.Add(time.Duration(d * float64(time.Hour))) }
	A := streetdesk.StatusAccepted
	os := []streetdesk.WorkOrder{
		leadOrder("SZ-W1", "垃圾站凌晨作业噪声扰民", "u-wangfang", A, h(-1)),
		leadOrder("SZ-W2", "共享单车乱停放堵塞地铁口", "u-wangfang", A, h(1)),
		leadOrder("SZ-W3", "餐饮油烟扰民", "u-wangfang", A, h(7)),
		leadOrder("SZ-W4", "小区绿地违章搭建", "u-wangfang", A, h(72)),
		leadOrder("SZ-L1", "电动自行车楼道充电", "u-lisi", A, h(6)),
		leadOrder("SZ-L2", "路面坑洼破损", "u-lisi", streetdesk.StatusReopened, h(48)),
		leadOrder(reviewOK, "下水道堵塞冒溢", "u-wangfang", streetdesk.StatusAwaitingReview, h(24)),
		leadOrder(reviewBack, "流动摊贩占道经营", "u-lisi", streetdesk.StatusAwaitingReview, h(48)),
	}
	os[6].Complaint = "香蜜湖路口下水道堵塞，污水漫到人行道上，气味很大，已经两天了。"
	os[7].Complaint = "菜市场门口每天傍晚有流动摊贩占道，行人只能走机动车道。"
	for _, a := range []struct {
		id, title string
		acceptBy  float64
	}{
		{awaitSoon, "井盖松动有安全隐患", 1}, {awaitToday, "路灯杆占用人行道", 5},
		{awaitLater, "公园广场舞噪声", 26}, {awaitOverdue, "树木断枝挂在电线上", -0.5},
	} {
		o := leadOrder(a.id, a.title, "", streetdesk.StatusDispatched, h(a.acceptBy+72))
		o.Deadlines.AcceptBy = h(a.acceptBy)
		os = append(os, o)
	}
	// History: 5 closed orders a week, dispatched on Tuesday.
	mon := time.Date(2026, 2, 16, 0, 0, 0, 0, streetdesk.ChinaTZ) // W08
	n := 0
	for w := range 4 {
		for j := range 5 {
			disp := mon.AddDate(0, 0, 7*w+1).Add(time.Duration(j) * time.Hour)
			who := leadTeam[1+n%7].ID
			n++
			o := streetdesk.WorkOrder{ID: fmt.Sprintf("SZ-H%d%d", w, j), Title: "历史工单", AssigneeID: who, TeamID: "t-cg",
				Status: streetdesk.StatusClosed, Urgency: streetdesk.UrgencyNormal, DispatchedAt: disp,
				Deadlines: streetdesk.Deadlines{AcceptBy: disp.Add(4 * time.Hour), ResolveBy: disp.Add(24 * time.Hour)}}
			o.AcceptedAt = disp.Add(time.Hour)
			if j < lateAccept[w] {
				o.AcceptedAt = disp.Add(5 * time.Hour)
			}
			resolved := disp.Add(20 * time.Hour)
			if j < lateResolve[w] {
				resolved = disp.Add(30 * time.Hour)
			}
			callback := "close"
			if j < unhappy[w] {
				callback = "reopen"
			}
			o.History = []streetdesk.Event{{Kind: "dispatch", At: disp}, {Kind: "accept", At: o.AcceptedAt},
				{Kind: "submitResolution", At: resolved}, {Kind: callback, At: disp.Add(60 * time.Hour)}}
			o.UpdatedAt = disp.Add(60 * time.Hour)
			os = append(os, o)
		}
	}
	return os
}

// reassignCall is one Desk.Reassign the board made.
type reassignCall struct {
	ids    []string
	to     string
	reason string
}

// leadDesk is the fake desk with the lead's team, recording reassignments.
type leadDesk struct {
	*fakedesk.Desk
	mu       sync.Mutex
	calls    []reassignCall
	searches []string // the texts the board's order reads searched for
}

func (d *leadDesk) Queue(ctx context.Context, f streetdesk.QueueFilter) (streetdesk.QueuePage, error) {
	if f.Text != "" {
		d.mu.Lock()
		d.searches = append(d.searches, f.Text)
		d.mu.Unlock()
	}
	return d.Desk.Queue(ctx, f)
}

func (d *leadDesk) Reassign(ctx context.Context, ids []string, to, reason string) error {
	d.mu.Lock()
	d.calls = append(d.calls, reassignCall{slices.Clone(ids), to, reason})
	d.mu.Unlock()
	return d.Desk.Reassign(ctx, ids, to, reason)
}

func newLeadDesk(t testing.TB) *leadDesk {
	fd := fakedesk.New(fakedesk.Options{Me: leadUser, Review: true})
	fd.ClearOrders()
	fd.SetTeam(streetdesk.Team{ID: "t-cg", Name: "城管组", StreetOffice: "香蜜湖街道", District: "福田区", ReviewResolutions: true, Members: leadTeam})
	for _, o := range leadOrders() {
		fd.AddOrder(o)
	}
	for _, r := range []streetdesk.Resolution{
		{ID: "res-1", WorkOrderID: reviewOK, Outcome: streetdesk.OutcomeSolved, PhotoRefIDs: []string{"p1", "p2", "p3"}, State: streetdesk.ResolutionReview,
			Reply: "已联系水务所疏通下水道，现场已清理干净，并告知市民如再堵塞可直接拨打水务热线。"},
		{ID: "res-2", WorkOrderID: reviewBack, Outcome: streetdesk.OutcomePartly, PhotoRefIDs: []string{"p4"}, State: streetdesk.ResolutionReview,
			Reply: "已劝离摊贩，后续安排巡查。"},
	} {
		if err := fd.AddResolution(r.WorkOrderID, r); err != nil {
			t.Fatal(err)
		}
	}
	// The photos sent with the first resolution, as a pull brings them.
	for i, name := range []string{photoCanon, photoNikon, photoKodak} {
		p := streetdesk.LocalPhoto{PhotoRef: streetdesk.PhotoRef{ID: fmt.Sprintf("p%d", i+1), Tag: streetdesk.PhotoAfter, Caption: "整改后"},
			Sync: streetdesk.SyncSynced, Path: testdata(name)}
		if err := fd.AddPhoto(reviewOK, p); err != nil {
			t.Fatal(err)
		}
	}
	return &leadDesk{Desk: fd}
}

type leadEnv struct {
	t        *testing.T
	d        *leadDesk
	w        fyne.Window
	b        *ui.Board
	exported []string
	saveTo   string
	opened   []string // orders the board asked to open
	ledger   string   // where the ledger was exported
}

// setupBoard builds the board on the lead's fake desk in a headless app
// with the translations for locale and the fixed clock.
func setupBoard(t *testing.T, locale string) *leadEnv {
	t.Helper()
	for _, k := range []string{"XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"} {
		t.Setenv(k, t.TempDir())
	}
	t.Setenv("LANGUAGE", "")
	t.Setenv("LC_ALL", locale)
	t.Setenv("LC_MESSAGES", locale)
	t.Setenv("LANG", locale)
	a := test.NewTempApp(t)
	a.Settings().SetTheme(ui.Theme())
	if err := ui.LoadTranslations(); err != nil {
		t.Fatal(err)
	}
	ui.DrainMain()
	e := &leadEnv{t: t, d: newLeadDesk(t), saveTo: "/tmp/team.xlsx"}
	e.w = test.NewTempWindow(t, widget.NewLabel(""))
	e.w.Resize(fyne.NewSize(1100, 720))
	e.b = ui.NewBoardWith(e.w, e.d, ui.BoardOptions{
		Now:   func() time.Time { return leadNow },
		Weeks: 4,
		ExportXLSX: func(path string, s streetdesk.TeamStats) error {
			e.exported = append(e.exported, fmt.Sprintf("%s %d members %s", path, len(s.Members), s.Response))
			return nil
		},
		SaveFile:  func(name string, cb func(string)) { cb(e.saveTo) },
		OpenOrder: func(id string) { e.opened = append(e.opened, id) },
		ExportLedger: func(_ context.Context, path string) (int, error) {
			e.ledger = path
			return 32, nil
		},
	})
	e.w.SetContent(e.b)
	t.Cleanup(func() { e.b.Close(); ui.DrainMain() })
	e.b.WaitStats(t)
	return e
}

func TestBoardCounts(t *testing.T) {
	e := setupBoard(t, enLocale)
	b := e.b
	if got := b.Header(); got != "城管组 · 8 people" {
		t.Errorf("header = %q", got)
	}
	// 办理中 counts the orders being worked (accepted, reopened), not those
	// waiting for acceptance or for review; the workload weighs all of them.
	want := [][5]string{
		{"张伟", "0", "0", "0", "0"},
		{"王芳", "4", "2", "1", "6"}, // 4 accepted (one overdue ×2) + 1 awaiting review
		{"李四", "2", "1", "0", "3"}, // accepted, reopened + 1 awaiting review
		{"赵敏", "0", "0", "0", "0"},
		{"陈静", "0", "0", "0", "0"},
		{"刘洋", "0", "0", "0", "0"},
		{"孙丽", "0", "0", "0", "0"},
		{"周杰", "0", "0", "0", "0"},
		{"(unassigned)", "0", "2", "1", "5"}, // 4 awaiting acceptance
	}
	if got := b.MemberRows(); !slices.Equal(got, want) {
		t.Errorf("member rows:\n got %v\nwant %v", got, want)
	}
	if got := b.AwaitingTitle(); got != "Awaiting acceptance (4)" {
		t.Errorf("awaiting title = %q", got)
	}
	// Most urgent first: the overdue one, then by accept-by.
	var ids []string
	for i := range b.Awaiting().Total() {
		ids = append(ids, b.Awaiting().RowID(i))
	}
	if !slices.Equal(ids, []string{awaitOverdue, awaitSoon, awaitToday, awaitLater}) {
		t.Errorf("awaiting order = %v", ids)
	}
	if got := b.ReviewTabTitle(); got != "Awaiting review (2)" {
		t.Errorf("review tab = %q", got)
	}

	// A click on a member shows their orders.
	b.MemberList().Select(1)
	if b.Tabs().SelectedIndex() != 1 || b.MemberFilter().Selected != "王芳" || b.AllOrders().Total() != 8 { // 5 open, 3 closed
		t.Errorf("member click: tab %d, filter %q, %d orders", b.Tabs().SelectedIndex(), b.MemberFilter().Selected, b.AllOrders().Total())
	}
	// Search narrows every team order (QueueFilter.Text).
	b.MemberFilter().SetSelectedIndex(0)
	if b.AllOrders().Total() != 32 {
		t.Errorf("all orders = %d, want 32", b.AllOrders().Total())
	}
	test.Type(b.Search(), "油烟")
	if b.AllOrders().Total() != 1 || b.AllOrders().RowID(0) != "SZ-W3" {
		t.Errorf("search 油烟: %d orders", b.AllOrders().Total())
	}
}

// TestBoardSearchDebounced: each search reads the team's orders, so the
// board's search box, like the queue's, searches once typing pauses, not
// on every keystroke.
func TestBoardSearchDebounced(t *testing.T) {
	e := setupBoard(t, enLocale)
	b := e.b
	defer ui.SetSearchDelay(20 * time.Millisecond)()
	test.Type(b.Search(), "油烟")
	if got := b.AllOrders().Total(); got != 32 {
		t.Errorf("before the debounce fired: %d orders, want all 32", got)
	}
	for b.AllOrders().Total() != 1 {
		ui.RunMain(t) // the first keystroke's timer may fire first: it is skipped
	}
	if b.AllOrders().RowID(0) != "SZ-W3" {
		t.Errorf("search 油烟 found %s", b.AllOrders().RowID(0))
	}
	e.d.mu.Lock()
	defer e.d.mu.Unlock()
	if got := slices.Compact(e.d.searches); !slices.Equal(got, []string{"油烟"}) {
		t.Errorf("searches run: %q, want only the typed word's", got)
	}
}

func TestBoardBulkReassign(t *testing.T) {
	e := setupBoard(t, enLocale)
	b := e.b
	p := b.Awaiting()
	for i := range 3 {
		p.Tick(i)
	}
	if got := p.ChosenText(); got != "3 chosen" {
		t.Errorf("chosen = %q", got)
	}
	p.To().SetSelected("李四")
	reason, confirm, errText := b.ReassignForm()
	if confirm == nil {
		t.Fatal("no reassignment form")
	}
	test.Type(reason, "离现场近")
	test.Tap(confirm)
	if errText() != "" {
		t.Fatalf("form error: %s", errText())
	}
	want := []string{awaitOverdue, awaitSoon, awaitToday}
	if len(e.d.calls) != 1 || !slices.Equal(e.d.calls[0].ids, want) || e.d.calls[0].to != "u-lisi" || e.d.calls[0].reason != "离现场近" {
		t.Fatalf("Reassign calls = %+v, want %v to u-lisi", e.d.calls, want)
	}
	if got := b.StatusText(); !strings.HasPrefix(got, "Saved on this computer, waiting to sync") || !strings.Contains(got, "3 orders to 李四") {
		t.Errorf("status = %q", got)
	}
	if e.d.Syncer().Calls() == 0 {
		t.Error("no sync was asked for")
	}
	// Once a sync has sent it, the message says so (it used to stay at
	// "waiting to sync").
	e.d.SyncAll()
	b.Reload()
	if got := b.StatusText(); got != "Sent to the platform: 3 orders to 李四." {
		t.Errorf("after the sync: status = %q", got)
	}
	// The orders left the awaiting list only if the lifecycle moved them; the
	// board now counts them for 李四 and nothing is ticked.
	b.WaitStats(t)
	if len(p.Checked()) != 0 {
		t.Errorf("still ticked: %v", p.Checked())
	}
	for _, id := range want {
		det, err := e.d.Order(context.Background(), id)
		if err != nil || det.Order.AssigneeID != "u-lisi" {
			t.Errorf("%s assignee = %v, %v", id, det.Order.AssigneeID, err)
		}
	}
	// Still to be accepted: 李四's workload grows, not what is in progress.
	if rows := b.MemberRows(); rows[2][1] != "2" || rows[2][4] != "7" {
		t.Errorf("李四 now has %s in progress and workload %s, want 2 and 7", rows[2][1], rows[2][4])
	}
	// Nothing ticked: the member choice asks to tick first and writes nothing.
	p.To().SetSelected("王芳")
	if r, _, _ := b.ReassignForm(); r != nil {
		t.Error("a form opened with nothing ticked")
	}
	if len(e.d.calls) != 1 || !strings.Contains(b.StatusText(), "Tick the orders") {
		t.Errorf("calls %d, status %q", len(e.d.calls), b.StatusText())
	}
}

func TestBoardTakeItMyself(t *testing.T) {
	e := setupBoard(t, enLocale)
	b := e.b
	b.Awaiting().Tick(1)
	test.Tap(b.Awaiting().Take())
	if len(e.d.calls) != 1 || !slices.Equal(e.d.calls[0].ids, []string{awaitSoon}) || e.d.calls[0].to != leadUser.ID {
		t.Fatalf("Reassign calls = %+v", e.d.calls)
	}
	if got := b.StatusText(); !strings.Contains(got, "waiting to sync") || !strings.Contains(got, "张伟") {
		t.Errorf("status = %q", got)
	}
	b.WaitStats(t)
	if rows := b.MemberRows(); rows[0][1] != "0" || rows[0][4] != "1" {
		t.Errorf("the lead has %s in progress and workload %s, want 0 (not accepted yet) and 1", rows[0][1], rows[0][4])
	}
}

// A reassignment the platform did not apply shows its plain explanation.
func TestBoardReassignConflict(t *testing.T) {
	e := setupBoard(t, enLocale)
	e.d.AddConflict(streetdesk.Conflict{OrderID: "SZ-W2", Name: "reassign", Status: streetdesk.ResultConflict,
		Code: streetdesk.CodeAlreadyResolved, Explanation: text("王芳 resolved it meanwhile; the order stays with her.")})
	e.d.AddConflict(streetdesk.Conflict{OrderID: "SZ-W3", Name: "addNote", Explanation: text("not a reassignment")})
	e.b.Reload()
	if e.b.ConflictCount() != 1 {
		t.Errorf("conflicts shown = %d, want 1", e.b.ConflictCount())
	}
}

func TestBoardReview(t *testing.T) {
	e := setupBoard(t, enLocale)
	b := e.b
	b.SelectTab(2)
	if b.ReviewCount() != 2 {
		t.Fatalf("review cards = %d", b.ReviewCount())
	}
	card := func(want string) int {
		for i := range b.ReviewCount() {
			if id, _, _, _, _, _, _ := b.ReviewCard(i); id == want {
				return i
			}
		}
		t.Fatalf("no card for %s", want)
		return -1
	}
	_, summary, reply, _, approve, _, _ := b.ReviewCard(card(reviewOK))
	if !strings.Contains(summary, "王芳") || !strings.Contains(summary, "solved") || !strings.Contains(summary, "3 photos") ||
		!strings.Contains(reply, "水务所") {
		t.Errorf("card: %q / %q", summary, reply)
	}
	test.Tap(approve)
	if det, _ := e.d.Order(context.Background(), reviewOK); det.Order.Status != streetdesk.StatusResolved {
		t.Errorf("approved order is %s", det.Order.Status)
	}
	if !strings.HasPrefix(b.StatusText(), "Approved. Saved on this computer, waiting to sync") {
		t.Errorf("status = %q", b.StatusText())
	}

	// Sending back needs a comment.
	_, _, _, comment, _, sendBack, errText := b.ReviewCard(card(reviewBack))
	test.Tap(sendBack)
	if !strings.Contains(errText(), "Write what should be changed") || e.d.Calls["sendBack"] != 0 {
		t.Fatalf("empty comment: %q, %d calls", errText(), e.d.Calls["sendBack"])
	}
	test.Type(comment, "请补充整改后照片")
	test.Tap(sendBack)
	det, _ := e.d.Order(context.Background(), reviewBack)
	if det.Order.Status != streetdesk.StatusAccepted || det.Order.ReviewComment != "请补充整改后照片" {
		t.Errorf("sent back: %s %q", det.Order.Status, det.Order.ReviewComment)
	}
	if b.ReviewCount() != 0 || b.ReviewTabTitle() != "Awaiting review (0)" {
		t.Errorf("after review: %d cards, tab %q", b.ReviewCount(), b.ReviewTabTitle())
	}
	if got := b.StatusText(); !strings.HasPrefix(got, "Sent back. Saved on this computer, waiting to sync") {
		t.Errorf("status = %q", got)
	}
	e.d.SyncAll()
	b.Reload()
	if got := b.StatusText(); !strings.HasPrefix(got, "Sent back; the platform has it") {
		t.Errorf("after the sync: status = %q", got)
	}
}

// An error from the Desk is shown in plain words on the card.
func TestBoardReviewError(t *testing.T) {
	e := setupBoard(t, enLocale)
	b := e.b
	b.SelectTab(2)
	// The order moved on meanwhile (a sync): approving it is no longer allowed.
	det, _ := e.d.Order(context.Background(), reviewOK)
	o := det.Order
	o.Status = streetdesk.StatusAccepted
	e.d.AddOrder(o)
	found := false
	for i := range b.ReviewCount() {
		if id, _, _, _, approve, _, errText := b.ReviewCard(i); id == reviewOK {
			found = true
			test.Tap(approve)
			if !strings.HasPrefix(errText(), "Cannot approve: the order is now in progress") {
				t.Errorf("error text = %q", errText())
			}
		}
	}
	if !found {
		t.Fatal("no card for the order")
	}
}

func TestBoardCharts(t *testing.T) {
	e := setupBoard(t, enLocale)
	b := e.b
	// W08…W11: see lateAccept, lateResolve, unhappy; W11's resolution also
	// counts 王芳's overdue order, and its callbacks are still to come.
	if got := b.Sparklines(); !slices.Equal(got, []string{"100%", "83%", "80%"}) {
		t.Errorf("sparklines = %v", got)
	}
	want := [][]string{
		{"80%", "100%", "60%", "100%"},
		{"100%", "80%", "80%", "83%"},
		{"80%", "100%", "80%", "—"},
		{"1", "1", "3", "2"}, // W11: 王芳's overdue order and an accept-by missed this morning
	}
	if got := b.WeeklyTexts(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("weekly charts:\n got %v\nwant %v", got, want)
	}
	// Per member: the lead has no history (no rate, not 0%).
	if got := b.MemberChartTexts()[0][0]; got != "—" {
		t.Errorf("lead's response rate = %q", got)
	}
	b.TapMemberBar(1) // 王芳
	if b.ChartScope().Selected != "王芳" {
		t.Errorf("scope = %q", b.ChartScope().Selected)
	}
	s := b.Stats()
	var w []string
	for _, wk := range s.Member("u-wangfang").Weeks {
		w = append(w, wk.Resolution.String())
	}
	if got := b.WeeklyTexts()[1]; !slices.Equal(got, w) {
		t.Errorf("王芳's resolution weeks = %v, want %v", got, w)
	}
	test.Tap(b.ExportButton())
	if len(e.exported) != 1 || !strings.HasPrefix(e.exported[0], "/tmp/team.xlsx 8 members") {
		t.Errorf("exported = %v", e.exported)
	}
	if !strings.Contains(b.ChartStatus(), "/tmp/team.xlsx") {
		t.Errorf("chart status = %q", b.ChartStatus())
	}
}

func TestBoardGolden(t *testing.T) {
	e := setupBoard(t, zhLocale)
	for i, name := range []string{"lead_board.png", "lead_orders.png", "lead_review.png", "lead_charts.png"} {
		e.b.SelectTab(i)
		test.AssertImageMatches(t, name, e.w.Canvas().Capture())
	}
	// The light variant (the test app itself always draws dark).
	fyne.CurrentApp().Settings().SetTheme(leadLightTheme{ui.Theme()})
	e.b.SelectTab(0)
	e.b.Refresh()
	e.b.WaitStats(t)
	test.AssertImageMatches(t, "lead_board_light.png", e.w.Canvas().Capture())
}

// leadLightTheme forces the light variant.
type leadLightTheme struct{ fyne.Theme }

func (t leadLightTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, theme.VariantLight)
}

// BenchmarkBoardOpen builds the board for a team of 50 members and 20,000
// orders (demo generator, members round-robin): reading the team queue,
// ComputeTeamStats and every widget. The Desk is an in-memory index, so
// the number is the board's own cost, not a database's.
func BenchmarkBoardOpen(b *testing.B) {
	d, w := benchBoardDesk(b)
	open := func() *ui.Board {
		board := ui.NewBoardWith(w, d, ui.BoardOptions{Now: func() time.Time { return leadNow }})
		w.SetContent(board)
		return board
	}
	// Until the lists are on screen (the statistics still loading).
	b.Run("lists", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			board := open()
			b.StopTimer()
			board.WaitStats(b)
			board.Close()
			b.StartTimer()
		}
	})
	// Until the member table, sparklines and charts show the statistics.
	b.Run("stats", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			board := open()
			board.WaitStats(b)
			b.StopTimer()
			board.Close()
			b.StartTimer()
		}
	})
}

// BenchmarkBoardRefresh: one refresh of the open board (the team of
// BenchmarkBoardOpen) until it is back on screen with its statistics: its
// own Refresh, a refresh of the container around it (what the sync bar's
// relayout and a theme change do), and Reload (what a finished sync or a
// write does). reads/op counts the Desk calls.
func BenchmarkBoardRefresh(b *testing.B) {
	idx, w := benchBoardDesk(b)
	d := &readCounter{Desk: idx}
	board := ui.NewBoardWith(w, d, ui.BoardOptions{Now: func() time.Time { return leadNow }})
	b.Cleanup(board.Close)
	content := container.NewStack(board)
	w.SetContent(content)
	board.WaitStats(b)
	for _, c := range []struct {
		name    string
		refresh func()
	}{
		{"board", board.Refresh},
		{"window", content.Refresh},
		{"reload", board.Reload},
	} {
		b.Run(c.name, func(b *testing.B) {
			r0, cpu0 := d.reads(), cputime.Process()
			for i := 0; i < b.N; i++ {
				c.refresh()
				board.WaitStats(b)
			}
			b.ReportMetric(float64(cputime.Process()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(d.reads()-r0)/float64(b.N), "reads/op")
		})
	}
}

// benchBoardDesk is the benchmarks' team, 50 members and 20,000 orders on
// an in-memory index, and a 1100×720 window in a headless app.
func benchBoardDesk(b *testing.B) (*indexDesk, fyne.Window) {
	for _, k := range []string{"XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"} {
		b.Setenv(k, b.TempDir())
	}
	a := test.NewTempApp(b)
	a.Settings().SetTheme(ui.Theme())
	members := []streetdesk.User{leadUser}
	for i := 1; i < 50; i++ {
		members = append(members, streetdesk.User{ID: fmt.Sprintf("cw%02d", i), Name: fmt.Sprintf("承办人%02d", i), Role: streetdesk.RoleCaseworker})
	}
	orders := demo.NewGenerator(1, leadNow).Orders(20000)
	for i := range orders {
		m := members[i%len(members)]
		orders[i].AssigneeID, orders[i].AssigneeName, orders[i].TeamID = m.ID, m.Name, "t-cg"
	}
	w := test.NewTempWindow(b, widget.NewLabel(""))
	w.Resize(fyne.NewSize(1100, 720))
	return newIndexDesk(orders, members), w
}

// indexDesk answers the board's queue reads from slices prepared once (by
// status, in the risk order), like an indexed store would.
type indexDesk struct {
	*fakedesk.Desk
	all      []streetdesk.QueueItem
	byStatus map[streetdesk.Status][]streetdesk.QueueItem
	team     streetdesk.Team
}

func newIndexDesk(orders []streetdesk.WorkOrder, members []streetdesk.User) *indexDesk {
	d := &indexDesk{Desk: fakedesk.New(fakedesk.Options{Me: leadUser}), byStatus: map[streetdesk.Status][]streetdesk.QueueItem{},
		team: streetdesk.Team{ID: "t-cg", Name: "城管组", Members: members}}
	cal := streetdesk.DefaultCalendar()
	items := make([]streetdesk.QueueItem, len(orders))
	for i := range orders {
		items[i] = streetdesk.QueueItem{Order: orders[i]}
	}
	slices.SortStableFunc(items, func(x, y streetdesk.QueueItem) int {
		return int(cal.RiskAt(&x.Order, leadNow)) - int(cal.RiskAt(&y.Order, leadNow))
	})
	d.all = items
	for _, it := range items {
		d.byStatus[it.Order.Status] = append(d.byStatus[it.Order.Status], it)
	}
	return d
}

func (d *indexDesk) Team(context.Context) (*streetdesk.Team, error) { t := d.team; return &t, nil }

func (d *indexDesk) Queue(_ context.Context, f streetdesk.QueueFilter) (streetdesk.QueuePage, error) {
	src := d.all
	if len(f.Statuses) == 1 {
		src = d.byStatus[f.Statuses[0]]
	}
	limit := min(max(f.Limit, 1), streetdesk.MaxPageSize)
	off := min(max(f.Offset, 0), len(src))
	end := min(off+limit, len(src))
	return streetdesk.QueuePage{Items: src[off:end], Total: len(src)}, nil
}

// A finished sync reloads the board (through the main goroutine).
func TestBoardFollowsSync(t *testing.T) {
	e := setupBoard(t, enLocale)
	b := ui.NewBoardWith(e.w, e.d, ui.BoardOptions{Now: func() time.Time { return leadNow }, WatchSync: true})
	t.Cleanup(func() { b.Close(); ui.DrainMain() })
	e.w.SetContent(b)
	b.WaitStats(t)
	o := leadOrder("SZ-NEW", "新派工单", "", streetdesk.StatusDispatched, leadNow.Add(72*time.Hour))
	o.Deadlines.AcceptBy = leadNow.Add(3 * time.Hour)
	e.d.AddOrder(o)
	sy := e.d.Syncer()
	sy.Set(streetdesk.SyncStatus{State: streetdesk.SyncSyncing})
	sy.Set(streetdesk.SyncStatus{State: streetdesk.SyncIdle, LastSync: leadNow})
	// The watcher may see the two statuses one by one (syncing, then the
	// finished sync) or only the last: run its calls until the reload came
	// (RunMain fails the test when none comes).
	for b.AwaitingTitle() != "Awaiting acceptance (5)" {
		ui.RunMain(t)
	}
	b.WaitStats(t)
	if rows := b.MemberRows(); rows[len(rows)-1][4] != "6" {
		t.Errorf("unassigned after sync: %v, want workload 6", rows[len(rows)-1])
	}
}

// From every team order: a closed order cannot be reassigned; the form says
// why in plain words and nothing changes.
func TestBoardReassignRefused(t *testing.T) {
	e := setupBoard(t, enLocale)
	b := e.b
	b.SelectTab(1)
	all := b.AllOrders()
	b.Search().SetText("SZ-H00") // a closed order of the history
	if all.Total() != 1 {
		t.Fatalf("search: %d orders", all.Total())
	}
	all.Tick(0)
	all.To().SetSelected("赵敏")
	_, confirm, errText := b.ReassignForm()
	if confirm == nil {
		t.Fatal("no form")
	}
	test.Tap(confirm)
	if got := errText(); !strings.HasPrefix(got, "Cannot reassign: the order is now closed") {
		t.Errorf("form error = %q", got)
	}
	if det, _ := e.d.Order(context.Background(), "SZ-H00"); det.Order.AssigneeID == "u-zhaomin" || det.Pending != 0 {
		t.Errorf("refused reassignment changed the order: %+v", det.Order.AssigneeID)
	}
	if strings.Contains(b.StatusText(), "Saved") {
		t.Errorf("status claims it was saved: %q", b.StatusText())
	}
}
