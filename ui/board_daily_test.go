package ui_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/streetdesk/streetdesk/internal/fakedesk"
	"github.com/streetdesk/streetdesk/ui"
)

// The lead's board in daily use: a row opens its order and the checkbox
// ticks it, from the mouse and from the keyboard.
func TestBoardRowOpensOrder(t *testing.T) {
	e := setupBoard(t, zhLocale)
	b := e.b
	b.SelectTab(1)
	all := b.AllOrders()
	all.Click(0)
	if !slices.Equal(e.opened, []string{all.RowID(0)}) || len(all.Checked()) != 0 {
		t.Fatalf("a click on row 0: opened %v, ticked %v; want it opened, nothing ticked", e.opened, all.Checked())
	}
	all.Tick(1)
	if !slices.Equal(all.Checked(), []string{all.RowID(1)}) || len(e.opened) != 1 {
		t.Errorf("the checkbox of row 1: ticked %v, opened %v", all.Checked(), e.opened)
	}
	// The keyboard: Ctrl+F-like focus on the search, ↓ to the list, Space
	// ticks the row the keyboard is on, Enter opens it.
	b.FocusSearch()
	w := b.Window()
	if w.Canvas().Focused() == nil {
		t.Fatal("FocusSearch: nothing focused")
	}
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	if w.Canvas().Focused() != all.Focusable() {
		t.Fatalf("↓ in the search: keyboard on %T, want the list", w.Canvas().Focused())
	}
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	if !slices.Contains(all.Checked(), all.RowID(0)) {
		t.Errorf("Space: ticked %v, want row 0 too", all.Checked())
	}
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(e.opened) != 2 || e.opened[1] != all.RowID(0) {
		t.Errorf("Enter: opened %v", e.opened)
	}
	// Esc in the reassignment form cancels it; Enter confirms.
	all.To().SetSelected("李四")
	reason, _, _ := b.ReassignForm()
	if reason == nil {
		t.Fatal("no reassignment form")
	}
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if r, _, _ := b.ReassignForm(); r != nil || len(e.d.calls) != 0 {
		t.Errorf("Esc: form still open or reassigned (%d calls)", len(e.d.calls))
	}
	all.To().SetSelected("李四")
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(e.d.calls) != 1 || e.d.calls[0].to != "u-lisi" {
		t.Errorf("Enter: calls %+v", e.d.calls)
	}
}

// TestBoardReviewComplaintAndPhotos: 待签发 shows what is being approved:
// the citizen's complaint and the photos sent, which open in the viewer.
func TestBoardReviewComplaintAndPhotos(t *testing.T) {
	e := setupBoard(t, zhLocale)
	b := e.b
	b.SelectTab(2)
	for i := range b.ReviewCount() {
		id, summary, reply, _, _, _, _ := b.ReviewCard(i)
		complaint, photos := b.ReviewCardDetail(i)
		switch id {
		case reviewOK:
			if !strings.Contains(complaint, "下水道堵塞，污水漫到人行道上") || photos != 3 || !strings.Contains(reply, "水务所") {
				t.Errorf("%s: complaint %q, %d photos, reply %q", id, complaint, photos, reply)
			}
			v := b.TapReviewPhoto(i, 1)
			if !v.Visible || v.Index != 1 || v.Count.Text != "2 / 3" {
				t.Errorf("viewer: visible %v, photo %d (%q)", v.Visible, v.Index, v.Count.Text)
			}
			b.Window().Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
			if b.ReviewViewer(i).Visible {
				t.Error("Esc did not close the viewer")
			}
		case reviewBack:
			if !strings.Contains(complaint, "流动摊贩占道") || photos != 0 {
				t.Errorf("%s: complaint %q, %d photos", id, complaint, photos)
			}
		}
		if !strings.Contains(summary, "王芳") && !strings.Contains(summary, "李四") {
			t.Errorf("%s: summary %q names no caseworker", id, summary)
		}
	}
}

// TestBoardFigures: the load figure is explained, chart weeks are named by
// their days, and the ledger can be exported from the board.
func TestBoardFigures(t *testing.T) {
	for _, tc := range []struct {
		locale, legend string
		weeks          []string
	}{
		{zhLocale, "负载", []string{"2月16日–22日", "2月23日–3月1日", "3月2日–8日", "3月9日–15日"}},
		{enLocale, "Workload", []string{"Feb 16–22", "Feb 23–Mar 1", "Mar 2–8", "Mar 9–15"}},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			e := setupBoard(t, tc.locale)
			b := e.b
			if got := b.Legend(); !strings.Contains(got, tc.legend) || !strings.Contains(got, "1.5") {
				t.Errorf("legend %q", got)
			}
			if got := b.WeekLabels(); !slices.Equal(got, tc.weeks) {
				t.Errorf("week labels %q, want %q", got, tc.weeks)
			}
			b.SelectTab(1)
			test.Tap(b.LedgerButton())
			ui.RunMain(t)
			if e.ledger != e.saveTo || !strings.Contains(b.StatusText(), "32") {
				t.Errorf("ledger: exported to %q, status %q", e.ledger, b.StatusText())
			}
		})
	}
}

// TestOrdersCountedWithJian: orders are counted with 件 (photos with 张).
func TestOrdersCountedWithJian(t *testing.T) {
	b, err := os.ReadFile("translation/zh-Hans.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	zhang := regexp.MustCompile(`\}\} ?张`)
	for k, v := range m {
		if zhang.MatchString(v) && !strings.Contains(v, "照片") && !strings.HasPrefix(k, "photo.") && !strings.HasPrefix(k, "picker.") {
			t.Errorf("%s = %q counts with 张; orders are counted with 件", k, v)
		}
	}
}

// TestLeadOrdersTabShowsAssignee: in a lead's 工单 tab each row names its
// assignee; a click on the board opens the order there.
func TestLeadOrdersTabShowsAssignee(t *testing.T) {
	e := setup(t, zhLocale, func(o *ui.Options, fo *fakedesk.Options) { fo.Me = leadUser })
	names := 0
	for i := range e.u.QueueTotal() {
		row := e.u.QueueRowText(i)
		det := e.order(e.u.QueueRowID(i))
		if a := det.Order.AssigneeID; a != "" {
			if !strings.Contains(row[2], "王芳") && !strings.Contains(row[2], "李四") && !strings.Contains(row[2], "张伟") {
				t.Errorf("row %d (%s, assignee %s): place %q names nobody", i, det.Order.ID, a, row[2])
			}
			names++
		}
	}
	if names == 0 {
		t.Fatal("no assigned order in the lead's queue")
	}
	e.u.OpenOrderFromBoard(idBikes)
	if e.u.Detail().Header.Text != idBikes || e.u.QueueSelected() != idBikes {
		t.Errorf("opened from the board: detail %q, selected %q", e.u.Detail().Header.Text, e.u.QueueSelected())
	}
}
