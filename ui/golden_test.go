package ui_test

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/ui"
)

// Golden images at 1280×800, zh-CN, the fake desk's fixed clock. A changed
// rendering fails and writes testdata/failed/NAME.png: look at it, then
// copy it over the master.
func TestGoldenMain(t *testing.T) {
	e := setup(t, zhLocale)
	e.picked = []string{testdata(photoCanon), testdata(photoNikon)}
	e.selectOrder(idOverdue)
	test.Tap(e.u.Action(streetdesk.OpAttachPhoto))
	f, choose, _, tag, _ := e.u.PhotoDialog()
	test.Tap(choose)
	tag.SetSelected("整改前")
	test.Tap(f.Save)
	e.d.Syncer().Set(streetdesk.SyncStatus{State: streetdesk.SyncOffline, Pending: 3, LastSync: e.order(idOverdue).Order.DispatchedAt.Add(25 * 3600e9),
		Reason: streetdesk.Msg(streetdesk.MsgSyncOffline)})
	ui.RunMain(t)
	test.AssertImageMatches(t, "main.png", e.w.Canvas().Capture())
}

func TestGoldenResolve(t *testing.T) {
	e := setup(t, zhLocale)
	e.picked = []string{testdata(photoCanon)}
	e.selectOrder(idBikes)
	test.Tap(e.u.Action(streetdesk.OpAttachPhoto))
	f, choose, _, tag, caption := e.u.PhotoDialog()
	test.Tap(choose)
	tag.SetSelected("整改后")
	test.Type(caption, "地铁口已清理")
	test.Tap(f.Save)
	test.Tap(e.u.Action(streetdesk.OpSubmitResolution))
	r := e.u.ResolveDialog()
	test.Type(r.Reply, "您好，已联系共享单车企业清运，并在地铁口划设停放区，后续每日巡查。")
	ui.DrainMain()
	test.AssertImageMatches(t, "resolve.png", e.w.Canvas().Capture())
}

// lightTheme forces the light variant (the test app always reports its own
// "no preference" variant, which Fyne draws dark).
type lightTheme struct{ fyne.Theme }

func (t lightTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, theme.VariantLight)
}

func TestGoldenQueueLight(t *testing.T) {
	e := setup(t, zhLocale)
	fyne.CurrentApp().Settings().SetTheme(lightTheme{ui.Theme()})
	e.u.Refresh()
	e.selectOrder(idManhole)
	test.AssertImageMatches(t, "main_light.png", e.w.Canvas().Capture())
}
