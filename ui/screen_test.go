package ui_test

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/fakedesk"
	"github.com/streetdesk/streetdesk/ui"
)

// The smallest window the screens must fit: a 1024×768 screen less a
// taskbar and a title bar. Fyne grows a window whose content asks for more
// than the window has, so a minimum size above this is a window that
// resizes itself past the screen's edge.
const (
	smallW = 1024
	smallH = 600
)

// busySync is the sync bar at its fullest: syncing a long item, many
// changes waiting, several uploads and a long message.
func busySync(e *env) {
	var ups []streetdesk.UploadProgress
	for i := range 5 {
		ups = append(ups, streetdesk.UploadProgress{SHA256: fmt.Sprint(i), Sent: 3 << 20, Total: 12 << 20, BytesPerSec: 250 << 10})
	}
	e.d.Syncer().Set(streetdesk.SyncStatus{State: streetdesk.SyncSyncing, Pending: 1234, Uploads: ups,
		Activity: streetdesk.Msg(streetdesk.MsgSyncUploading, "Name", "IMG_20260312_101500_HDR_very_long_file_name_from_a_phone.jpg"),
		Reason:   streetdesk.Msg(streetdesk.MsgSyncFailed, "Detail", strings.Repeat("网络不稳定，正在重试；您的更改已保存在本机。", 4))})
	ui.RunMain(e.t)
}

// longTitles gives every sample order a title far wider than any column.
func longTitles(o *ui.Options, fo *fakedesk.Options) { fo.Orders = 30 }

// TestWindowFitsSmallScreens: at every state the caseworker's and the
// lead's window ask for at most 1024×600, in Chinese and in English, and
// at that size the sync bar and the order's action buttons are inside the
// window.
func TestWindowFitsSmallScreens(t *testing.T) {
	lead := func(o *ui.Options, fo *fakedesk.Options) { fo.Me = leadUser; fo.Review = true }
	for _, locale := range []string{zhLocale, enLocale} {
		for _, who := range []struct {
			name string
			opt  setupOpt
		}{{"caseworker", longTitles}, {"lead", lead}} {
			t.Run(locale+"/"+who.name, func(t *testing.T) {
				e := setup(t, locale, who.opt)
				check := func(state string) {
					t.Helper()
					ms := e.w.Content().MinSize()
					if ms.Width > smallW || ms.Height > smallH {
						t.Errorf("%s: the window asks for %.0f×%.0f, more than %d×%d (%v)", state, ms.Width, ms.Height, smallW, smallH, e.u.MinSizes())
					}
				}
				check("signed in")
				busySync(e)
				check("busy sync bar")
				if who.name == "lead" {
					e.u.ShowOrdersTab()
				}
				for i := range min(e.u.QueueTotal(), 12) {
					e.u.Queue().List.Select(i)
					check("order " + e.u.Detail().Header.Text)
				}
				e.selectOrder(idOverdue)
				e.w.Resize(fyne.NewSize(smallW, smallH))
				inside := func(name string, o fyne.CanvasObject) {
					t.Helper()
					if o == nil || !o.Visible() {
						t.Errorf("%s is not shown", name)
						return
					}
					p := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
					end := p.Add(fyne.NewPos(o.Size().Width, o.Size().Height))
					if p.X < 0 || p.Y < 0 || end.X > smallW+0.5 || end.Y > smallH+0.5 || o.Size().Width < 1 {
						t.Errorf("%s is at %v–%v, outside the %d×%d window", name, p, end, smallW, smallH)
					}
				}
				inside("sync now", e.u.SyncBar().SyncNow)
				if b := e.u.Action(streetdesk.OpSubmitResolution); b != nil {
					inside("办结", b)
				} else {
					inside("办结 (for review)", e.u.Action(streetdesk.OpSubmitForReview))
				}
				inside("contact record", e.u.Action(streetdesk.OpRecordContact))
			})
		}
	}
}

// TestQueueTitlesEllipsis: a title wider than its row ends in "…" and
// still fits; a short one is shown whole.
func TestQueueTitlesEllipsis(t *testing.T) {
	e := setup(t, zhLocale)
	for i := range e.u.QueueTotal() {
		full := e.u.QueueRowText(i)[1]
		wide, _ := e.u.QueueRowShown(i, 900)
		if wide != full {
			t.Errorf("row %d at 900 px: %q, want the whole title %q", i, wide, full)
		}
		narrow, _ := e.u.QueueRowShown(i, 230)
		if narrow == full {
			continue
		}
		if !strings.HasSuffix(narrow, "…") || !strings.HasPrefix(full, strings.TrimSuffix(narrow, "…")) {
			t.Errorf("row %d at 230 px: %q, want a prefix of %q ending in …", i, narrow, full)
		}
	}
	// At least one sample title is too long for 230 px.
	cut := 0
	for i := range e.u.QueueTotal() {
		if s, _ := e.u.QueueRowShown(i, 230); strings.HasSuffix(s, "…") {
			cut++
		}
	}
	if cut == 0 {
		t.Error("no title was shortened at 230 px")
	}
}
