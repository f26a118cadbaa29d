package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/fakedesk"
	"github.com/streetdesk/streetdesk/ui"
	"github.com/streetdesk/streetdesk/ui/translation"
)

const (
	idOverdue   = "SZ12345-20260312-000481" // 办理中, 督办, overdue 2 h
	idLamp      = "SZ12345-20260312-000502" // 待签收
	idManhole   = "SZ12345-20260312-000519" // 待签收, 紧急, due in 90 min
	idBikes     = "SZ12345-20260311-000377" // 办理中, 3 days
	idReopened  = "SZ12345-20260309-000154" // 重办
	photoCanon  = "Canon_40D.jpg"
	photoNikon  = "Nikon_D70.jpg"
	photoKodak  = "Kodak_CX7530.jpg"
	zhLocale    = "zh_CN.UTF-8"
	enLocale    = "en_US.UTF-8"
	windowW     = 1280
	windowH     = 800
	nowForTests = "2026-03-12 10:00"
)

type env struct {
	t      *testing.T
	u      *ui.UI
	d      *fakedesk.Desk
	w      fyne.Window
	mu     sync.Mutex
	notes  [][2]string
	picked []string // what OpenFiles returns
}

type setupOpt func(*ui.Options, *fakedesk.Options)

// setup builds the UI on a fake desk in a headless test app with the
// translations for locale and a fixed clock.
func setup(t *testing.T, locale string, opts ...setupOpt) *env {
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
	e := &env{t: t}
	fo := fakedesk.Options{}
	uo := ui.Options{
		Now: func() time.Time { return fakedesk.DefaultNow },
		Notify: func(title, body string) {
			e.mu.Lock()
			e.notes = append(e.notes, [2]string{title, body})
			e.mu.Unlock()
		},
		OpenFiles: func(cb func([]string)) {
			cb(e.picked)
		},
	}
	for _, o := range opts {
		o(&uo, &fo)
	}
	if uo.Login == nil && uo.Desk == nil {
		e.d = fakedesk.New(fo)
		uo.Desk = e.d
	}
	e.w = test.NewTempWindow(t, widget.NewLabel(""))
	e.w.Resize(fyne.NewSize(windowW, windowH))
	e.u = ui.New(e.w, uo)
	t.Cleanup(func() { e.u.Close(); ui.DrainMain() })
	return e
}

// testdata returns an absolute path, as the Desk's files are.
func testdata(name string) string {
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		panic(err)
	}
	return p
}

// selectOrder selects the queue row of id.
func (e *env) selectOrder(id string) {
	e.t.Helper()
	q := e.u.Queue()
	for i := 0; i < e.u.QueueTotal(); i++ {
		det, _ := e.d.Order(context.Background(), id)
		if e.u.QueueRowText(i)[1] == det.Order.Title {
			q.List.Select(i)
			if got := e.u.Detail().Header.Text; got != id {
				e.t.Fatalf("selected %s, detail shows %q", id, got)
			}
			return
		}
	}
	e.t.Fatalf("order %s not in the queue", id)
}

func (e *env) order(id string) *streetdesk.OrderDetail {
	e.t.Helper()
	det, err := e.d.Order(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return det
}

func (e *env) notifications() [][2]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.notes)
}

func shortcut(w fyne.Window, key fyne.KeyName) {
	w.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault})
}

func TestLocaleMatching(t *testing.T) {
	for _, tc := range []struct{ locale, want string }{
		{"zh_CN.UTF-8", "zh"}, {"zh_TW.UTF-8", "zh"}, {"zh_SG.UTF-8", "zh"},
		{"en_US.UTF-8", "en"}, {"de_DE.UTF-8", "en"}, {"fr_FR.UTF-8", "en"},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			e := setup(t, tc.locale)
			if got := ui.LangCode(); got != tc.want {
				t.Errorf("language = %q, want %q", got, tc.want)
			}
			want := map[string]string{"zh": "立即同步", "en": "Sync now"}[tc.want]
			if got := e.u.SyncBar().SyncNow.Text; got != want {
				t.Errorf("sync button = %q, want %q", got, want)
			}
		})
	}
}

// TestErrorMessagesTranslated: errors tell the user what went wrong in
// their language, from the error's code and values (never its English).
func TestErrorMessagesTranslated(t *testing.T) {
	setup(t, zhLocale)
	cal := streetdesk.DefaultCalendar()
	now := time.Date(2026, 3, 12, 10, 0, 0, 0, streetdesk.ChinaTZ)
	for _, tc := range []struct {
		err  error
		want string
	}{
		{streetdesk.CheckText("reply", "好", streetdesk.MinReplyRunes, streetdesk.MaxReplyRunes), fmt.Sprintf("答复内容太短：1 字，至少 %d 字。", streetdesk.MinReplyRunes)},
		{streetdesk.CheckText("note", " ", 1, 10), "请填写备注。"},
		{streetdesk.CheckText("caption", "一二三", 0, 2), "照片说明太长：3 字，最多 2 字。"},
		{cal.CheckExtension(now, now.AddDate(0, 3, 0), now), "延期最多增加 30 个工作日（您申请了 "},
		{cal.CheckExtension(now, now.Add(-time.Hour), now), "新的时限 2026-03-12 09:00 已经过去，请选择今后的时间。"},
		{streetdesk.PhotoAlreadyAttached(), "这张照片已经添加过。"},
		{fmt.Errorf("disk on fire"), "程序内部出错，您的数据未受影响。请重试。"},
		{streetdesk.Errorf(streetdesk.EINVALID, "nobody words this"), "nobody words this"},
	} {
		if got := ui.ErrorText(tc.err); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%v → %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestSignIn(t *testing.T) {
	desk := fakedesk.New(fakedesk.Options{})
	var gotServer string
	login := func(ctx context.Context, server, user, pass string) (streetdesk.Desk, error) {
		gotServer = server
		if user != "wangfang" || pass != "secret" {
			return nil, streetdesk.Errorf(streetdesk.EUNAUTHORIZED, "wrong username or password")
		}
		return desk, nil
	}
	e := setup(t, zhLocale, func(o *ui.Options, _ *fakedesk.Options) { o.Login = login; o.DefaultServer = "http://127.0.0.1:8080" })
	server, user, pass, button, status := e.u.SignInForm()
	if server.Text != "http://127.0.0.1:8080" {
		t.Errorf("server = %q", server.Text)
	}
	test.Tap(button)
	if status.Text != "请填写用户名和密码。" {
		t.Errorf("empty form: status %q", status.Text)
	}
	test.Type(user, "wangfang")
	test.Type(pass, "wrong")
	test.Tap(button)
	ui.RunMain(t)
	if status.Text != "用户名或密码错误，请核对后重试。" || e.u.Desk() != nil {
		t.Errorf("wrong password: status %q, desk %v", status.Text, e.u.Desk())
	}
	pass.SetText("secret")
	test.Tap(button)
	ui.RunMain(t)
	if e.u.Desk() != desk || gotServer != "http://127.0.0.1:8080" {
		t.Fatalf("signed in: desk %v server %q", e.u.Desk(), gotServer)
	}
	if got := e.u.SyncBar().Who.Text; got != "StreetDesk · 香蜜湖街道 · 城管组 · 王芳" {
		t.Errorf("sync bar who = %q", got)
	}
	if got := e.u.Queue().Count.Text; got != "共 8 件" {
		t.Errorf("queue count = %q", got)
	}
}

func TestQueueRows(t *testing.T) {
	e := setup(t, zhLocale)
	want := [][5]string{
		{"超时 2小时", "垃圾站凌晨作业噪声扰民", "星河社区", "办理中", "督办"},
		{"剩余 1小时", "井盖松动有安全隐患", "农园社区", "待签收", "紧急"}, // the urgency shows on its row
		{"今天 15:00", "电动自行车楼道充电", "侨香社区", "延期待审", ""},
		{"今天 17:00", "路灯杆占用人行道", "竹园社区", "待签收", ""},
	}
	for i, w := range want {
		if got := e.u.QueueRowText(i); got != w {
			t.Errorf("row %d = %q, want %q", i, got, w)
		}
	}
	if got := e.u.QueueRowText(4); got[1] != "咨询老年人助餐点办理" && got[1] != "餐饮油烟扰民" {
		t.Errorf("row 4 = %q", got)
	}
	// the reopened order carries its badge
	found := false
	for i := range e.u.QueueTotal() {
		if r := e.u.QueueRowText(i); r[1] == "餐饮油烟扰民" {
			found = r[4] == "" && r[3] == "重办"
		}
	}
	if !found {
		t.Error("reopened order: want the 重办 chip and no duplicate badge")
	}
}

// After a first sync the orders are listed at once and become searchable
// over the next seconds: the queue says so while the index is built, in
// the user's language, and stops when the indexer has caught up.
func TestSearchIndexNotice(t *testing.T) {
	for _, tc := range []struct{ locale, want string }{
		{zhLocale, "正在建立搜索索引（还有 9000 件）"},
		{enLocale, "Building the search index (9000 orders)"},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			e := setup(t, tc.locale)
			q := e.u.Queue()
			if q.Indexing.Visible() {
				t.Fatalf("notice before any backlog: %q", q.Indexing.Text)
			}
			e.d.SetIndexing(9000)
			ui.RunMain(t)
			if !q.Indexing.Visible() || !strings.HasPrefix(q.Indexing.Text, tc.want) {
				t.Fatalf("during the backlog: visible %v, %q; want %q…", q.Indexing.Visible(), q.Indexing.Text, tc.want)
			}
			e.d.SetIndexing(0)
			ui.RunMain(t)
			if q.Indexing.Visible() {
				t.Fatalf("after the indexer caught up: %q", q.Indexing.Text)
			}
		})
	}
}

func TestQueueFiltersAndSort(t *testing.T) {
	e := setup(t, zhLocale)
	q := e.u.Queue()
	count := func() string { return q.Count.Text }
	for _, tc := range []struct {
		name  string
		sel   *widget.Select
		value string
		want  string
	}{
		{"status", q.Status, "待签收", "共 2 件"},
		{"overdue", q.Due, "超时", "共 1 件"},
		{"due soon", q.Due, "2小时内到期", "共 1 件"},
		{"due today", q.Due, "今日到期", "共 3 件"},
		{"category", q.Category, "交通运输", "共 3 件"},
		{"community", q.Community, "竹园社区", "共 2 件"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range []*widget.Select{q.Status, q.Due, q.Category, q.Community} {
				s.SetSelectedIndex(0)
			}
			tc.sel.SetSelected(tc.value)
			if count() != tc.want {
				t.Errorf("%s = %s: %s, want %s", tc.name, tc.value, count(), tc.want)
			}
		})
	}
	for _, s := range []*widget.Select{q.Status, q.Due, q.Category, q.Community} {
		s.SetSelectedIndex(0)
	}
	if count() != "共 8 件" {
		t.Errorf("all filters off: %s", count())
	}
	q.Sort.SetSelected("排序：紧急程度")
	if got := e.u.QueueRowText(0)[1]; got != "井盖松动有安全隐患" {
		t.Errorf("urgency sort: first %q", got)
	}
	q.Sort.SetSelected("排序：派单时间")
	if got := e.u.QueueRowText(0)[1]; got != "井盖松动有安全隐患" { // dispatched 30 min ago
		t.Errorf("dispatch sort: first %q", got)
	}
	if got := e.u.QueueRowText(1)[1]; got != "路灯杆占用人行道" {
		t.Errorf("dispatch sort: second %q", got)
	}
}

func TestSearchAsYouType(t *testing.T) {
	e := setup(t, zhLocale)
	q := e.u.Queue()
	test.Type(q.Search, "单车")
	if got := q.Count.Text; got != "共 1 件" {
		t.Errorf("search 单车: %s", got)
	}
	if got := e.u.QueueRowText(0)[1]; got != "共享单车乱停放堵塞地铁口" {
		t.Errorf("search result %q", got)
	}
	q.Search.SetText("")
	if got := q.Count.Text; got != "共 8 件" {
		t.Errorf("cleared search: %s", got)
	}

	// With the real debounce, typing runs one search after the last key.
	defer ui.SetSearchDelay(20 * time.Millisecond)()
	test.Type(q.Search, "香蜜")
	if got := q.Count.Text; got != "共 8 件" {
		t.Errorf("before the debounce fired: %s", got)
	}
	ui.RunMain(t)
	for e.u.QueueFilter().Text != "香蜜" {
		ui.RunMain(t) // the first keystroke's timer may fire first and be ignored
	}
	if got := q.Count.Text; got != "共 3 件" {
		t.Errorf("search 香蜜: %s", got)
	}
}

// TestSearchByNumberAndEmptyState: the order number a citizen reads out (or
// its tail), the citizen's name and the phone's last digits find the order;
// a search that finds nothing says so and says what search looks in.
func TestSearchByNumberAndEmptyState(t *testing.T) {
	e := setup(t, zhLocale)
	q := e.u.Queue()
	for _, s := range []string{"SZ12345-20260312-000481", "000481", "sz12345-20260312-0004", "李先生", "5521", "13812345521", "噪声污染"} {
		q.Search.SetText(s)
		if got := q.Count.Text; got != "共 1 件" || e.u.QueueRowText(0)[1] != "垃圾站凌晨作业噪声扰民" {
			t.Errorf("search %q: %s, first %q", s, got, e.u.QueueRowText(0)[1])
		}
		if q.Empty.Visible() {
			t.Errorf("search %q: the empty state shows over results", s)
		}
	}
	q.Search.SetText("不存在的工单")
	if got := q.Count.Text; got != "共 0 件" {
		t.Errorf("no match: count %s", got)
	}
	if !q.Empty.Visible() || !strings.HasPrefix(q.Empty.Text, "没有找到与“不存在的工单”相符的工单。") || !strings.Contains(q.Empty.Text, "工单号") {
		t.Errorf("no match: empty state %v %q", q.Empty.Visible(), q.Empty.Text)
	}
	q.Search.SetText("")
	if q.Empty.Visible() {
		t.Error("the empty state stays after the search was cleared")
	}
	q.Status.SetSelected(translation.For(translation.Chinese).Name(streetdesk.StatusAwaitingReview))
	if q.Count.Text != "共 0 件" || !q.Empty.Visible() || q.Empty.Text != "没有符合筛选条件的工单。" {
		t.Errorf("no match for the filters: %s, %v %q", q.Count.Text, q.Empty.Visible(), q.Empty.Text)
	}
}

func TestSelectAndAccept(t *testing.T) {
	e := setup(t, zhLocale)
	e.selectOrder(idLamp)
	d := e.u.Detail()
	if !slices.Equal(d.Actions, []string{"签收", "申请退单"}) {
		t.Errorf("actions for 待签收 = %q", d.Actions)
	}
	if d.Category.Text != "交通运输 › 道路设施 › 路灯不亮" || d.Department.Text != "责任部门：区城管和综合执法局" {
		t.Errorf("category %q department %q", d.Category.Text, d.Department.Text)
	}
	if d.Citizen.Text != "诉求人：张女士 139****1234" || d.Channel.Text != "来源：@深圳-民意速办" {
		t.Errorf("citizen %q channel %q", d.Citizen.Text, d.Channel.Text)
	}
	if d.Coords.Text != "(22.5431, 114.0712)" {
		t.Errorf("coords %q", d.Coords.Text)
	}
	test.Tap(d.Copy)
	if got := fyne.CurrentApp().Clipboard().Content(); got != "22.543100,114.071200" {
		t.Errorf("copied %q", got)
	}
	if e.u.Action(streetdesk.OpSubmitResolution) != nil {
		t.Error("办结 shown before accepting")
	}
	test.Tap(e.u.Action(streetdesk.OpAccept))
	if st := e.order(idLamp).Order.Status; st != streetdesk.StatusAccepted {
		t.Fatalf("status after 签收 = %s", st)
	}
	d = e.u.Detail()
	if d.Saved.Text != "✓ 已保存在本机，待同步" {
		t.Errorf("saved line %q", d.Saved.Text)
	}
	if !slices.Equal(d.Actions, []string{"联系记录", "勘察备注", "添加照片", "申请延期", "申请退单", "办结"}) {
		t.Errorf("actions for 办理中 = %q", d.Actions)
	}
	if last := d.Timeline[len(d.Timeline)-1]; !strings.Contains(last, "王芳 签收") || !strings.HasSuffix(last, "⟳ 待同步") {
		t.Errorf("timeline last = %q", last)
	}
	if !strings.HasPrefix(d.Timeline[0], "03-12 08:00 12345中心 派单") {
		t.Errorf("timeline first = %q", d.Timeline[0])
	}
	if got := e.u.SyncBar().Pending.Text; got != "1 项已保存在本机，待同步" {
		t.Errorf("sync bar pending = %q", got)
	}
	if e.u.QueueSelected() != idLamp {
		t.Errorf("selection moved to %s", e.u.QueueSelected())
	}
	for i := range e.u.QueueTotal() {
		if r := e.u.QueueRowText(i); r[1] == "路灯杆占用人行道" && (r[3] != "办理中" || r[4] != "⟳ 待同步") {
			t.Errorf("queue row after accept = %q", r)
		}
	}
}

func TestContactRecord(t *testing.T) {
	e := setup(t, zhLocale)
	e.selectOrder(idBikes)
	test.Tap(e.u.Action(streetdesk.OpRecordContact))
	f, method, reached, text := e.u.ContactDialog()
	method.SetSelected("上门")
	test.Tap(reached) // not reached
	test.Type(text, "上门未见到诉求人，已留联系卡")
	test.Tap(f.Save)
	det := e.order(idBikes)
	if len(det.Notes) != 1 {
		t.Fatalf("notes = %d", len(det.Notes))
	}
	n := det.Notes[0]
	if n.Kind != streetdesk.NoteContact || n.Method != streetdesk.ContactVisit || n.Reached || n.Body != "上门未见到诉求人，已留联系卡" || n.Sync != streetdesk.SyncPending {
		t.Errorf("contact note = %+v", n)
	}
	if f, _, _, _ := e.u.ContactDialog(); f.Visible {
		t.Error("dialog still open")
	}
	if last := e.u.Detail().Timeline[len(e.u.Detail().Timeline)-1]; !strings.Contains(last, "联系记录 (上门, 未接通)") {
		t.Errorf("timeline = %q", last)
	}
}

func TestSurveyNoteWithQuickPhraseAndShortcut(t *testing.T) {
	e := setup(t, zhLocale)
	shortcut(e.w, fyne.KeyN) // nothing open: no dialog
	if e.u.NoteOpen() {
		t.Fatal("Ctrl+N opened a note without an order")
	}
	e.selectOrder(idOverdue)
	shortcut(e.w, fyne.KeyN)
	if !e.u.NoteOpen() {
		t.Fatal("Ctrl+N did not open the note")
	}
	f, text, phrases := e.u.NoteDialog()
	if len(phrases) == 0 || phrases[0].Text != "现场噪声明显" { // 噪声污染 phrases first
		t.Fatalf("phrases = %v", phrases)
	}
	test.Tap(f.Save)
	if f.Error.Text != "请填写备注。" || len(e.order(idOverdue).Notes) != 0 {
		t.Errorf("empty note: error %q", f.Error.Text)
	}
	test.Tap(phrases[0])
	test.Type(text, "，压缩机位于3栋北侧")
	if text.Text != "现场噪声明显，压缩机位于3栋北侧" {
		t.Errorf("note text %q", text.Text)
	}
	test.Tap(f.Save)
	notes := e.order(idOverdue).Notes
	if len(notes) != 1 || notes[0].Body != "现场噪声明显，压缩机位于3栋北侧" || notes[0].Kind != streetdesk.NoteSurvey {
		t.Fatalf("notes = %+v", notes)
	}
	if got := e.u.Detail().Saved.Text; got != "✓ 已保存在本机，待同步" {
		t.Errorf("saved = %q", got)
	}
	// the note is searchable at once
	test.Type(e.u.Queue().Search, "压缩机位于")
	if got := e.u.Queue().Count.Text; got != "共 1 件" {
		t.Errorf("search by note: %s", got)
	}
}

func TestAddPhotos(t *testing.T) {
	e := setup(t, zhLocale)
	e.picked = []string{testdata(photoCanon), testdata(photoNikon)}
	e.selectOrder(idBikes)
	test.Tap(e.u.Action(streetdesk.OpAttachPhoto))
	f, choose, files, tag, caption := e.u.PhotoDialog()
	test.Tap(f.Save)
	if f.Error.Text != "请至少选择一张照片。" {
		t.Errorf("no files: %q", f.Error.Text)
	}
	test.Tap(choose)
	if files.Text != "已选 2 张："+photoCanon+", "+photoNikon {
		t.Errorf("files = %q", files.Text)
	}
	tag.SetSelected("整改后")
	test.Type(caption, "清理后")
	test.Tap(f.Save)
	det := e.order(idBikes)
	if len(det.Photos) != 2 {
		t.Fatalf("photos = %d", len(det.Photos))
	}
	for _, p := range det.Photos {
		if p.Tag != streetdesk.PhotoAfter || p.Caption != "清理后" || p.Sync != streetdesk.SyncPending {
			t.Errorf("photo %+v", p)
		}
	}
	if got := e.u.Detail().Photos; got != 2 {
		t.Errorf("thumbnails = %d", got)
	}

	// Drag and drop: a photo and a file that is not one.
	e.u.Drop([]string{testdata(photoKodak), testdata("MANIFEST.md")})
	f, _, files, _, _ = e.u.PhotoDialog()
	if !f.Visible || files.Text != "已选 2 张："+photoKodak+", MANIFEST.md" {
		t.Fatalf("dropped: visible %v files %q", f.Visible, files.Text)
	}
	test.Tap(f.Save)
	if f.Error.Text != "MANIFEST.md：此文件不是照片（需要 JPEG 或 PNG）。" {
		t.Errorf("non-photo: %q", f.Error.Text)
	}
	if got := len(e.order(idBikes).Photos); got != 3 {
		t.Errorf("photos after partial import = %d, want 3 (Kodak attached)", got)
	}
	if files.Text != "已选 1 张：MANIFEST.md" {
		t.Errorf("left to retry: %q", files.Text)
	}
}

// TestSamePhotoTwice: a photo the order already has (the same file again,
// or a copy under another name) is not attached a second time and the
// dialog says so; what failed stays listed and what was attached does not,
// so saving again never doubles a photo (the list used to keep the wrong
// files when the first one failed). Another order takes the photo.
func TestSamePhotoTwice(t *testing.T) {
	e := setup(t, zhLocale)
	dir := t.TempDir()
	copyOf := filepath.Join(dir, "副本.jpg")
	b, err := os.ReadFile(testdata(photoCanon))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copyOf, b, 0o600); err != nil {
		t.Fatal(err)
	}
	e.selectOrder(idBikes)
	e.picked = []string{testdata(photoCanon)}
	test.Tap(e.u.Action(streetdesk.OpAttachPhoto))
	f, choose, _, _, _ := e.u.PhotoDialog()
	test.Tap(choose)
	test.Tap(f.Save)
	if f, _, _, _, _ := e.u.PhotoDialog(); len(e.order(idBikes).Photos) != 1 || f.Visible {
		t.Fatalf("first attach: %d photos, dialog up %v", len(e.order(idBikes).Photos), f.Visible)
	}
	// Not a photo first, then a new one, then the same photo under another name.
	e.u.Drop([]string{testdata("MANIFEST.md"), testdata(photoKodak), copyOf})
	f, _, files, _, _ := e.u.PhotoDialog()
	test.Tap(f.Save)
	want := "MANIFEST.md：此文件不是照片（需要 JPEG 或 PNG）。\n副本.jpg：这张照片已经添加过。"
	if f.Error.Text != want {
		t.Errorf("errors %q, want %q", f.Error.Text, want)
	}
	if files.Text != "已选 2 张：MANIFEST.md, 副本.jpg" {
		t.Errorf("left to retry: %q", files.Text)
	}
	test.Tap(f.Save) // again: nothing is doubled
	if got := len(e.order(idBikes).Photos); got != 2 {
		t.Errorf("photos = %d, want 2 (Canon and Kodak, once each)", got)
	}
	test.Tap(f.Cancel)
	// The same photo on another order is fine.
	e.selectOrder(idOverdue)
	before := len(e.order(idOverdue).Photos)
	e.picked = []string{testdata(photoCanon)}
	test.Tap(e.u.Action(streetdesk.OpAttachPhoto))
	f, choose, _, _, _ = e.u.PhotoDialog()
	test.Tap(choose)
	test.Tap(f.Save)
	if got := len(e.order(idOverdue).Photos); got != before+1 {
		t.Errorf("another order: %d photos, want %d", got, before+1)
	}
}

func TestDropWithoutOrder(t *testing.T) {
	e := setup(t, zhLocale)
	e.u.Drop([]string{testdata(photoCanon)})
	if msg, up := e.u.Message(); !up || msg != "请先打开一件正在办理的工单，再添加照片。" {
		t.Errorf("message %q up=%v", msg, up)
	}
}

func TestExtension(t *testing.T) {
	e := setup(t, zhLocale)
	e.selectOrder(idBikes)
	cur := e.order(idBikes).Order.Deadlines.ResolveBy
	test.Tap(e.u.Action(streetdesk.OpRequestExtension))
	f, reason, date := e.u.ExtensionDialog()
	test.Type(reason, "需协调交通部门设置停车区")
	for _, tc := range []struct{ date, want string }{
		{"下周", "请按 2026-03-20 17:00 的格式填写日期。"},
		{cur.Add(-time.Hour).In(streetdesk.ChinaTZ).Format("2006-01-02 15:04"), "新的时限必须晚于当前时限（" + cur.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04") + "）。"},
		{cur.AddDate(0, 3, 0).In(streetdesk.ChinaTZ).Format("2006-01-02 15:04"), "延期最多增加 30 个工作日"},
	} {
		date.SetText(tc.date)
		test.Tap(f.Save)
		if !strings.HasPrefix(f.Error.Text, tc.want) {
			t.Errorf("date %q: error %q, want %q", tc.date, f.Error.Text, tc.want)
		}
		if e.d.Calls["requestExtension"] != 0 || e.order(idBikes).Order.Status != streetdesk.StatusAccepted {
			t.Fatalf("invalid date saved something")
		}
	}
	date.SetText(streetdesk.DefaultCalendar().AddWorkdays(cur, 5).In(streetdesk.ChinaTZ).Format("2006-01-02 15:04"))
	test.Tap(f.Save)
	o := e.order(idBikes).Order
	if o.Status != streetdesk.StatusExtensionRequested || o.ExtensionRequest == nil || o.ExtensionRequest.Reason != "需协调交通部门设置停车区" {
		t.Errorf("after extension: %s %+v", o.Status, o.ExtensionRequest)
	}
}

// TestExtensionOfAnOverdueOrder: on an overdue order (due 08:00, now
// 10:00) a date after the old deadline but already past is refused (it was
// accepted: 12-02 on 12-04); the form starts with a date still ahead; the
// error follows the correction as it is typed instead of staying up.
func TestExtensionOfAnOverdueOrder(t *testing.T) {
	e := setup(t, zhLocale)
	e.selectOrder(idOverdue)
	cal := streetdesk.DefaultCalendar()
	cur := e.order(idOverdue).Order.Deadlines.ResolveBy
	now := fakedesk.DefaultNow
	if !cur.Before(now) {
		t.Fatalf("test data: %s is not overdue", idOverdue)
	}
	test.Tap(e.u.Action(streetdesk.OpRequestExtension))
	f, reason, date := e.u.ExtensionDialog()
	if d, err := time.ParseInLocation("2006-01-02 15:04", date.Text, streetdesk.ChinaTZ); err != nil || !d.After(now) || !cal.IsWorkday(d) {
		t.Errorf("the form starts with %q: not a working day ahead of now", date.Text)
	}
	test.Type(reason, "等待配件到货")
	past := cur.Add(time.Hour).In(streetdesk.ChinaTZ).Format("2006-01-02 15:04") // 09:00, after the deadline, before now
	date.SetText(past)
	test.Tap(f.Save)
	if want := "新的时限 " + past + " 已经过去，请选择今后的时间。"; f.Error.Text != want || !f.Error.Visible() {
		t.Errorf("a date already past: error %q (shown %v), want %q", f.Error.Text, f.Error.Visible(), want)
	}
	if e.d.Calls["requestExtension"] != 0 {
		t.Fatal("a date already past was saved")
	}
	// Typing the correction: the error follows the text, then goes.
	sunday := nextDay(now, time.Sunday).Format("2006-01-02") + " 17:00"
	date.SetText(sunday)
	if !strings.HasPrefix(f.Error.Text, "新的时限（") || !strings.Contains(f.Error.Text, "不是工作日") {
		t.Errorf("a Sunday: error %q", f.Error.Text)
	}
	good := cal.AddWorkdays(cur, 3).In(streetdesk.ChinaTZ).Format("2006-01-02 15:04")
	date.SetText(good)
	if f.Error.Visible() {
		t.Errorf("a valid date typed, the error still says %q", f.Error.Text)
	}
	test.Tap(f.Save)
	if o := e.order(idOverdue).Order; o.Status != streetdesk.StatusExtensionRequested {
		t.Errorf("after the corrected request: %s", o.Status)
	}
}

func nextDay(t time.Time, wd time.Weekday) time.Time {
	t = t.In(streetdesk.ChinaTZ).AddDate(0, 0, 1)
	for t.Weekday() != wd {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

func TestReturnOtherNeedsText(t *testing.T) {
	e := setup(t, zhLocale)
	e.selectOrder(idLamp)
	test.Tap(e.u.Action(streetdesk.OpRequestReturn))
	f, reason, text := e.u.ReturnDialog()
	if len(reason.Options) != 5 || reason.Options[4] != "其他" {
		t.Fatalf("reasons = %q", reason.Options)
	}
	reason.SetSelected("其他")
	test.Tap(f.Save)
	if f.Error.Text != "选择“其他”时，请写明退单理由。" || e.d.Calls["requestReturn"] != 0 {
		t.Errorf("其他 without text: error %q calls %d", f.Error.Text, e.d.Calls["requestReturn"])
	}
	test.Type(text, "该路段属于相邻街道管辖")
	test.Tap(f.Save)
	o := e.order(idLamp).Order
	if o.Status != streetdesk.StatusReturnRequested || o.ReturnRequest.Reason != streetdesk.ReturnOther {
		t.Errorf("after return: %s %+v", o.Status, o.ReturnRequest)
	}
	if got := e.u.Detail().Actions; !slices.Equal(got, []string{"勘察备注"}) {
		t.Errorf("actions while 退单待审 = %q", got)
	}
}

func TestResolve(t *testing.T) {
	e := setup(t, zhLocale)
	e.selectOrder(idBikes)
	test.Tap(e.u.Action(streetdesk.OpSubmitResolution))
	r := e.u.ResolveDialog()
	test.Type(r.Reply, "已清理")
	if !r.Save.Disabled() || r.Counter.Text != "3 字（至少 15 字）" {
		t.Errorf("short reply: disabled %v counter %q", r.Save.Disabled(), r.Counter.Text)
	}
	test.Tap(r.Save)
	if e.d.Calls["submitResolution"] != 0 {
		t.Fatal("too-short reply was saved")
	}
	if !r.Warning.Visible() || !strings.HasPrefix(r.Warning.Text, "⚠ 没有选择“整改后”照片") {
		t.Errorf("no after photo: warning %q visible %v", r.Warning.Text, r.Warning.Visible())
	}
	test.Tap(r.Form.Cancel)

	// With an "after" photo the warning goes and the photo is chosen.
	e.picked = []string{testdata(photoCanon)}
	test.Tap(e.u.Action(streetdesk.OpAttachPhoto))
	f, choose, _, tag, _ := e.u.PhotoDialog()
	test.Tap(choose)
	tag.SetSelected("整改后")
	test.Tap(f.Save)
	test.Tap(e.u.Action(streetdesk.OpSubmitResolution))
	r = e.u.ResolveDialog()
	if len(r.Photos) != 1 || !r.Photos[0].Checked || r.Warning.Visible() {
		t.Errorf("after photo: checks %d warning visible %v", len(r.Photos), r.Warning.Visible())
	}
	// Publishing is per "after" photo, off by default, and only for a photo
	// that is sent.
	pub := r.Publish[0]
	if pub == nil || pub.Checked || pub.Disabled() || pub.Text != "向市民公开（进度查询页可见）" {
		t.Fatalf("publish check: %+v", pub)
	}
	test.Tap(r.Photos[0])
	if !pub.Disabled() {
		t.Error("publish enabled for a photo that is not sent")
	}
	test.Tap(r.Photos[0])
	test.Tap(pub)
	r.Outcome.SetSelected("部分解决")
	reply := "您好，已联系共享单车企业清运，并在地铁口划设停放区，后续每日巡查。"
	test.Type(r.Reply, reply)
	if r.Save.Disabled() {
		t.Fatal("long reply still blocked")
	}
	if !strings.HasPrefix(r.Summary.Text, "将发送：部分解决，答复 33 字，照片 1 张。") {
		t.Errorf("summary %q", r.Summary.Text)
	}
	test.Tap(r.Save)
	det := e.order(idBikes)
	if det.Order.Status != streetdesk.StatusResolved || len(det.Resolutions) != 1 {
		t.Fatalf("after resolve: %s, %d resolutions", det.Order.Status, len(det.Resolutions))
	}
	res := det.Resolutions[0]
	if res.Outcome != streetdesk.OutcomePartly || res.Reply != reply || len(res.PhotoRefIDs) != 1 || res.Sync != streetdesk.SyncPending ||
		!slices.Equal(res.PublishPhotoRefIDs, res.PhotoRefIDs) {
		t.Errorf("resolution %+v", res)
	}
	if got := e.u.Detail().Saved.Text; got != "✓ 已保存在本机，待同步" {
		t.Errorf("saved %q", got)
	}
}

func TestResolveForReview(t *testing.T) {
	e := setup(t, zhLocale, func(_ *ui.Options, f *fakedesk.Options) { f.Review = true })
	e.selectOrder(idBikes)
	if got := e.u.Detail().Actions; !slices.Equal(got, []string{"联系记录", "勘察备注", "添加照片", "申请延期", "申请退单", "办结（待签发）"}) {
		t.Errorf("actions with team review = %q", got)
	}
	test.Tap(e.u.Action(streetdesk.OpSubmitForReview))
	r := e.u.ResolveDialog()
	test.Type(r.Reply, "您好，已联系共享单车企业清运，并在地铁口划设停放区。")
	test.Tap(r.Save)
	if st := e.order(idBikes).Order.Status; st != streetdesk.StatusAwaitingReview {
		t.Errorf("status = %s", st)
	}
}

func TestPhotoViewer(t *testing.T) {
	e := setup(t, zhLocale)
	e.d.PhotoMeta = map[string]streetdesk.ImportedPhoto{
		photoKodak: {TakenAt: time.Date(2026, 3, 12, 9, 30, 0, 0, streetdesk.ChinaTZ), Lat: -0.3713, Lng: 36.056, HasGPS: true},
		photoCanon: {Lat: 22.5403, Lng: 114.0322, HasGPS: true},
	}
	e.picked = []string{testdata(photoKodak), testdata(photoCanon)}
	e.selectOrder(idBikes)
	test.Tap(e.u.Action(streetdesk.OpAttachPhoto))
	f, choose, _, _, _ := e.u.PhotoDialog()
	test.Tap(choose)
	test.Tap(f.Save)
	e.u.TapThumb(0)
	v := e.u.PhotoViewer()
	if !strings.Contains(v.Info.Text, "拍摄于 2026-03-12 09:30") || !strings.Contains(v.Info.Text, "(-0.37130, 36.05600)") {
		t.Errorf("info %q", v.Info.Text)
	}
	if !v.Warning.Visible() || !strings.HasPrefix(v.Warning.Text, "⚠ 照片拍摄地点距工单位置") || !strings.Contains(v.Warning.Text, "km") {
		t.Errorf("far warning %q", v.Warning.Text)
	}
	test.Tap(v.ZoomIn)
	if z := e.u.PhotoViewer().Zoom; z != 1.5 {
		t.Errorf("zoom %v", z)
	}
	test.Tap(v.Close)
	e.u.TapThumb(1)
	v = e.u.PhotoViewer()
	if v.Warning.Visible() || !strings.Contains(v.Info.Text, "无拍摄时间") {
		t.Errorf("near photo: warning %q info %q", v.Warning.Text, v.Info.Text)
	}
}

func TestNeedsAttention(t *testing.T) {
	e := setup(t, zhLocale)
	if got := e.u.AttentionButton().Text; got != "⚠ 需要处理 (0)" {
		t.Errorf("button %q", got)
	}
	expl := "您离线期间此工单已转派给李四；您的备注和3张照片已保留并发送，状态变更未生效。"
	reply := "已协调环卫作业单位调整作业时间，请您监督。"
	e.d.AddConflict(streetdesk.Conflict{OrderID: idOverdue, Name: "submitResolution", Status: streetdesk.ResultConflict,
		Code: streetdesk.CodeReassigned, Explanation: text(expl), Intent: `{"resolutionId":"01937a1c-3f2e-7c4b-9a61-5d2f0e8b7c10","outcome":"solved","reply":"` + reply + `","photoRefIds":[]}`})
	e.u.Refresh()
	if got := e.u.AttentionButton().Text; got != "⚠ 需要处理 (1)" {
		t.Errorf("button %q", got)
	}
	test.Tap(e.u.AttentionButton())
	cards := e.u.AttentionCards()
	if !e.u.AttentionOpen() || len(cards) != 1 {
		t.Fatalf("inbox open %v cards %d", e.u.AttentionOpen(), len(cards))
	}
	c := cards[0]
	if c.Explanation.Text != expl || !strings.Contains(c.Title.Text, "垃圾站凌晨作业噪声扰民") || !strings.Contains(c.Title.Text, "办结") {
		t.Errorf("card %q / %q", c.Title.Text, c.Explanation.Text)
	}
	test.Tap(c.Copy)
	if got := fyne.CurrentApp().Clipboard().Content(); !strings.Contains(got, expl) || !strings.Contains(got, idOverdue) || !strings.Contains(got, reply) {
		t.Errorf("clipboard %q", got)
	}
	// The order went to someone else: a note on it does not fit.
	if c.AddNote != nil {
		t.Error("添加为备注 offered on an order reassigned away")
	}
	test.Tap(c.Dismiss)
	if len(e.u.AttentionCards()) != 0 || e.u.AttentionButton().Text != "⚠ 需要处理 (0)" {
		t.Errorf("after dismiss: %d cards, button %q", len(e.u.AttentionCards()), e.u.AttentionButton().Text)
	}
	if cs, _ := e.d.Conflicts(context.Background(), true); len(cs) != 1 || !cs[0].Dismissed {
		t.Errorf("desk conflicts %+v", cs)
	}
}

func TestSyncBar(t *testing.T) {
	e := setup(t, zhLocale)
	b := e.u.SyncBar()
	if b.State != "● 在线" || b.Pending.Text != "✓ 已全部发送到平台" || b.LastSync.Text != "上次同步 09:42" || b.Message.Visible() {
		t.Errorf("idle: %q %q %q msg %q", b.State, b.Pending.Text, b.LastSync.Text, b.Message.Text)
	}
	s := e.d.Syncer()
	for _, tc := range []struct {
		name  string
		st    streetdesk.SyncStatus
		state string
		msg   string
	}{
		{"offline", streetdesk.SyncStatus{State: streetdesk.SyncOffline, Pending: 3, LastSync: fakedesk.DefaultNow.Add(-time.Hour),
			Reason: streetdesk.Msg(streetdesk.MsgSyncOffline), NextTry: fakedesk.DefaultNow.Add(5 * time.Minute)},
			"● 离线", "网络不可用。待同步的 3 项已保存在本机。将在 300 秒后重试。"},
		{"syncing", streetdesk.SyncStatus{State: streetdesk.SyncSyncing, Pending: 3, Activity: streetdesk.Msg(streetdesk.MsgSyncPushing, "Done", 1, "Total", 3),
			Uploads: []streetdesk.UploadProgress{{SHA256: "ab", Sent: 1 << 20, Total: 4 << 20, BytesPerSec: 256 << 10}}}, "● 正在同步… 发送 1/3", ""},
		{"auth", streetdesk.SyncStatus{State: streetdesk.SyncPausedAuth, Pending: 3, Reason: streetdesk.Msg(streetdesk.MsgSyncSignIn)},
			"● 需要重新登录才能同步", "登录已过期，请重新登录后继续同步。待同步的 3 项已保存在本机。"},
		{"error", streetdesk.SyncStatus{State: streetdesk.SyncError, Reason: streetdesk.Msg(streetdesk.MsgSyncAppTooOld)},
			"● 同步已暂停", "客户端版本过旧，平台已不再支持，请更新后再同步。本机数据已保存。"},
	} {
		s.Set(tc.st)
		ui.RunMain(t)
		b = e.u.SyncBar()
		if b.State != tc.state || b.Message.Text != tc.msg || b.Message.Visible() != (tc.msg != "") {
			t.Errorf("%s: state %q message %q (visible %v)", tc.name, b.State, b.Message.Text, b.Message.Visible())
		}
		if tc.st.Pending > 0 && b.Pending.Text != "3 项已保存在本机，待同步" {
			t.Errorf("%s: pending %q", tc.name, b.Pending.Text)
		}
		if b.Uploads != len(tc.st.Uploads) {
			t.Errorf("%s: uploads %d", tc.name, b.Uploads)
		}
	}
	test.Tap(b.SyncNow)
	shortcut(e.w, fyne.KeyS)
	if got := s.Calls(); got != 2 {
		t.Errorf("SyncNow calls = %d", got)
	}
}

// TestSyncBarEnglish: with English chosen, the engine's reasons and what it
// is doing read in English too — the precise reason (a captive portal, an
// app too old) included, not a generic sentence from the state.
func TestSyncBarEnglish(t *testing.T) {
	e := setup(t, zhLocale)
	test.Tap(e.u.SettingsButton())
	e.u.ChooseLanguage("English")
	s := e.d.Syncer()
	for _, tc := range []struct {
		name  string
		st    streetdesk.SyncStatus
		state string
		msg   string
	}{
		{"idle", streetdesk.SyncStatus{State: streetdesk.SyncIdle, LastSync: fakedesk.DefaultNow}, "● Online", ""},
		{"pulling", streetdesk.SyncStatus{State: streetdesk.SyncSyncing, Activity: streetdesk.Msg(streetdesk.MsgSyncPulling, "Page", 1)},
			"● Syncing… receiving page 1", ""},
		{"offline", streetdesk.SyncStatus{State: streetdesk.SyncOffline, Pending: 3, Reason: streetdesk.Msg(streetdesk.MsgSyncOffline),
			NextTry: fakedesk.DefaultNow.Add(30 * time.Second)}, "● Offline",
			"No connection to the platform. 3 changes are saved on this computer. Trying again in 30 s."},
		{"captive portal", streetdesk.SyncStatus{State: streetdesk.SyncOffline, Pending: 3, Reason: streetdesk.Msg(streetdesk.MsgSyncCaptivePortal),
			NextTry: fakedesk.DefaultNow.Add(30 * time.Second)}, "● Offline",
			"The network wants you to sign in first (a hotel's or hotspot's sign-in page). 3 changes are saved on this computer. Trying again in 30 s."},
		{"server", streetdesk.SyncStatus{State: streetdesk.SyncError, Reason: streetdesk.Msg(streetdesk.MsgSyncServerBusy, "Status", 503),
			NextTry: fakedesk.DefaultNow.Add(2 * time.Second)}, "● Sync paused",
			"The platform could not take the sync just now (503). Your work is saved on this computer. Trying again in 2 s."},
		{"auth", streetdesk.SyncStatus{State: streetdesk.SyncPausedAuth, Pending: 1, Reason: streetdesk.Msg(streetdesk.MsgSyncSignIn)}, "● Sign in again to sync",
			"Your sign-in has expired: sign in again to go on syncing. 1 changes are saved on this computer."},
		{"too old", streetdesk.SyncStatus{State: streetdesk.SyncError, Reason: streetdesk.Msg(streetdesk.MsgSyncAppTooOld)}, "● Sync paused",
			"This version of the app is too old for the platform: update it to sync again. Your work is saved on this computer."},
		{"no reason", streetdesk.SyncStatus{State: streetdesk.SyncError}, "● Sync paused",
			"Sync is paused and needs attention: ask your administrator. Your work is saved on this computer."},
	} {
		s.Set(tc.st)
		ui.RunMain(t)
		b := e.u.SyncBar()
		if b.State != tc.state || b.Message.Text != tc.msg || b.Message.Visible() != (tc.msg != "") {
			t.Errorf("%s: state %q, message %q (visible %v), want %q, %q", tc.name, b.State, b.Message.Text, b.Message.Visible(), tc.state, tc.msg)
		}
	}
}

// TestSyncBarKeepsLastSync: a sync in progress, or a new engine that has
// not finished its first cycle, reports no last sync; the bar keeps the one
// it knows (from the store, or shown before) instead of "Not synced yet".
func TestSyncBarKeepsLastSync(t *testing.T) {
	e := setup(t, zhLocale)
	s := e.d.Syncer()
	if got := e.u.SyncBar().LastSync.Text; got != "上次同步 09:42" {
		t.Fatalf("at start: %q", got)
	}
	s.Set(streetdesk.SyncStatus{State: streetdesk.SyncSyncing, Activity: streetdesk.Msg(streetdesk.MsgSyncPulling, "Page", 1)})
	ui.RunMain(t)
	if got := e.u.SyncBar().LastSync.Text; got != "上次同步 09:42" {
		t.Errorf("while syncing: %q", got)
	}
	s.Set(streetdesk.SyncStatus{State: streetdesk.SyncIdle, LastSync: fakedesk.DefaultNow})
	ui.RunMain(t)
	if got := e.u.SyncBar().LastSync.Text; got != "上次同步 10:00" {
		t.Errorf("after the sync: %q", got)
	}

	// A new window over an engine that has reported nothing yet: the
	// store's last sync.
	s.Set(streetdesk.SyncStatus{State: streetdesk.SyncSyncing})
	e.d.SetStoredLastSync(fakedesk.DefaultNow.Add(-2 * time.Hour))
	ui.RunMain(t)
	if got := setup2(t, e).SyncBar().LastSync.Text; got != "上次同步 08:00" {
		t.Errorf("a new window during the first sync: %q", got)
	}
}

func TestSyncFinishedReloadsQueue(t *testing.T) {
	e := setup(t, zhLocale)
	s := e.d.Syncer()
	s.Set(streetdesk.SyncStatus{State: streetdesk.SyncSyncing})
	ui.RunMain(t)
	o := e.order(idLamp).Order
	o.ID, o.Title = "SZ12345-20260312-000600", "消防通道被堆放杂物"
	e.d.AddOrder(o)
	s.Set(streetdesk.SyncStatus{State: streetdesk.SyncIdle, LastSync: fakedesk.DefaultNow})
	ui.RunMain(t)
	if got := e.u.Queue().Count.Text; got != "共 9 件" {
		t.Errorf("after sync: %s", got)
	}
	if n := e.notifications(); len(n) == 0 || n[len(n)-1] != [2]string{"新派工单", "消防通道被堆放杂物 · 福田区 建业一路 12号对面"} {
		t.Errorf("notifications %q", n)
	}
}

func TestNotifications(t *testing.T) {
	e := setup(t, zhLocale)
	if n := e.notifications(); len(n) != 1 || n[0][0] != "2小时内到期" || !strings.HasPrefix(n[0][1], "井盖松动有安全隐患 · 剩余 1小时") {
		t.Errorf("at start: %q", n)
	}
	e.u.Refresh()
	if n := e.notifications(); len(n) != 1 {
		t.Errorf("refresh without changes notified again: %q", n)
	}
	o := e.order(idBikes).Order
	o.Status, o.Cycle, o.ReopenReason = streetdesk.StatusReopened, 1, "单车仍然堆在出口"
	e.d.AddOrder(o)
	e.u.Refresh()
	if n := e.notifications(); len(n) != 2 || n[1] != [2]string{"工单重办", "共享单车乱停放堵塞地铁口 · 单车仍然堆在出口"} {
		t.Errorf("reopened: %q", n)
	}
}

func TestArrowKeysAndSearchShortcut(t *testing.T) {
	e := setup(t, zhLocale)
	key := func(k fyne.KeyName) { e.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k}) }
	key(fyne.KeyDown)
	if e.u.QueueSelected() != idOverdue {
		t.Errorf("first Down selected %s", e.u.QueueSelected())
	}
	key(fyne.KeyDown)
	if e.u.QueueSelected() != idManhole || e.u.Detail().Header.Text != idManhole {
		t.Errorf("second Down selected %s", e.u.QueueSelected())
	}
	key(fyne.KeyUp)
	if e.u.QueueSelected() != idOverdue {
		t.Errorf("Up selected %s", e.u.QueueSelected())
	}
	// with the list focused, the arrows still move the selection
	e.w.Canvas().Focus(e.u.QueueFocusable())
	e.w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	if e.u.QueueSelected() != idManhole {
		t.Errorf("Down in the focused list selected %s", e.u.QueueSelected())
	}
	shortcut(e.w, fyne.KeyF)
	if e.w.Canvas().Focused() != e.u.SearchFocusable() {
		t.Fatalf("Ctrl+F focused %v", e.w.Canvas().Focused())
	}
	// While the search box has focus (as a real window routes it), Ctrl+S still syncs.
	e.w.Canvas().Focused().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault})
	if got := e.d.Syncer().Calls(); got != 1 {
		t.Errorf("Ctrl+S in the search box: %d syncs", got)
	}
}

func TestSignOutTellsAboutPendingWork(t *testing.T) {
	signedOut := false
	e := setup(t, zhLocale, func(o *ui.Options, _ *fakedesk.Options) {
		o.SignOut = func(context.Context) error { signedOut = true; return nil }
	})
	e.selectOrder(idLamp)
	test.Tap(e.u.Action(streetdesk.OpAccept))
	e.u.SignOutButton().OnTapped()
	msg, up := e.u.Message()
	if !up || msg != "还有 1 项更改尚未发送。它们会保留在本机，下次登录后继续发送。确定退出登录？" {
		t.Fatalf("confirm %q up=%v", msg, up)
	}
	test.Tap(e.u.ConfirmOK())
	if !signedOut {
		t.Error("SignOut not called")
	}
	if _, user, _, _, _ := e.u.SignInForm(); user == nil {
		t.Error("sign-in screen not shown")
	}
	// the main window's keys are gone with it
	if e.w.Canvas().OnTypedKey() != nil {
		t.Error("arrow keys still bound on the sign-in screen")
	}
	shortcut(e.w, fyne.KeyN)
	shortcut(e.w, fyne.KeyS)
}

func TestEnglish(t *testing.T) {
	e := setup(t, enLocale)
	if got := e.u.QueueRowText(0); got[0] != "2h overdue" || got[3] != "in progress" || got[4] != "supervised" {
		t.Errorf("row 0 = %q", got)
	}
	e.selectOrder(idLamp)
	if got := e.u.Detail().Actions; !slices.Equal(got, []string{"Accept", "request return"}) && !slices.Equal(got, []string{"Accept", "Request return"}) {
		t.Errorf("actions %q", got)
	}
	if got := e.u.AttentionButton().Text; got != "⚠ Needs attention (0)" {
		t.Errorf("attention %q", got)
	}
}

func TestClockTickNotifiesDueSoon(t *testing.T) {
	defer ui.SetTick(5 * time.Millisecond)()
	var mu sync.Mutex
	now := fakedesk.DefaultNow
	e := setup(t, zhLocale, func(o *ui.Options, _ *fakedesk.Options) {
		o.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	e.selectOrder(idLamp)
	if got := e.u.Detail().Remaining; got != "剩余 7小时" {
		t.Errorf("remaining %q", got)
	}
	mu.Lock()
	now = now.Add(5*time.Hour + 30*time.Minute) // 15:30: the lamp post is due at 17:00
	mu.Unlock()
	for len(e.notifications()) < 2 {
		ui.RunMain(t)
	}
	n := e.notifications()
	if !slices.Contains(n, [2]string{"2小时内到期", "路灯杆占用人行道 · 剩余 1小时"}) {
		t.Errorf("notifications %q", n)
	}
	if got := e.u.Detail().Remaining; got != "剩余 1小时" {
		t.Errorf("remaining after the tick %q", got)
	}
}

// Both translation files carry the same keys (the Chinese one also has the
// translated error messages, keyed "err:…").
func TestTranslationFilesMatch(t *testing.T) {
	load := func(name string) map[string]string {
		data, err := os.ReadFile(filepath.Join("translation", name))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	en, zh := load("en.json"), load("zh-Hans.json")
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("zh-Hans.json lacks %q", k)
		}
	}
	for k := range zh {
		if _, ok := en[k]; !ok && !strings.HasPrefix(k, "err:") {
			t.Errorf("en.json lacks %q", k)
		}
	}
}

// The queue asks the Desk for pages of rows as they come into view; 10,000
// orders never become 10,000 rows in memory at once.
func TestQueueLoadsPagesLazily(t *testing.T) {
	e := setup(t, zhLocale, func(_ *ui.Options, f *fakedesk.Options) { f.Orders = 10_000 })
	if got := e.u.QueueTotal(); got != 10_008 {
		t.Fatalf("total %d", got)
	}
	if got := e.u.QueuePagesLoaded(); got != 1 {
		t.Errorf("pages after opening: %d, want 1", got)
	}
	e.u.Queue().List.ScrollTo(5_000)
	if got := e.u.QueuePagesLoaded(); got > 3 {
		t.Errorf("pages after jumping to row 5000: %d", got)
	}
	if r := e.u.QueueRowText(9_999); r[1] == "" {
		t.Errorf("row 9999 empty: %q", r)
	}
	test.Type(e.u.Queue().Search, "垃圾")
	if got := e.u.QueuePagesLoaded(); got != 1 {
		t.Errorf("pages after a search: %d, want 1 (cache dropped)", got)
	}
}
