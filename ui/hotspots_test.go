package ui_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/fakedesk"
	"github.com/streetdesk/streetdesk/ui"
)

func asLead(o *ui.Options, fo *fakedesk.Options) { fo.Me = leadUser }

// hotspotSetup puts internal/demo's three recurring problems and 40 other
// orders of the street office on the fake desk (instead of the hand-written
// samples, whose places are real ones the generator's synthetic map does
// not share), opens the hotspot tab at 1366×768 and waits for the analysis.
func hotspotSetup(t *testing.T, locale string, opts ...setupOpt) *env {
	t.Helper()
	e := setup(t, locale, opts...)
	team, err := e.d.Team(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	me := e.d.Me()
	e.d.ClearOrders()
	for _, o := range append(fakedesk.Generate(fakedesk.DefaultNow, me, 40), fakedesk.RecurringOrders(fakedesk.DefaultNow, me, team.Members)...) {
		e.d.AddOrder(o)
	}
	e.w.Resize(fyne.NewSize(1366, 768))
	e.u.Refresh()
	e.u.ShowHotspotsTab()
	e.u.WaitHotspots(t)
	return e
}

// planted finds the hotspot of a recurring problem by its level-3 code.
func planted(t *testing.T, r *streetdesk.HotspotReport, l3 string) (int, streetdesk.Hotspot) {
	t.Helper()
	for i, h := range r.Hotspots {
		if h.Category.L3Code != l3 {
			continue
		}
		for _, o := range h.Orders {
			if strings.Contains(o.ID, "-R0") {
				return i, h
			}
		}
	}
	t.Fatalf("no hotspot of %s among %d", l3, len(r.Hotspots))
	return -1, streetdesk.Hotspot{}
}

// TestHotspotsList: the caseworker's hotspots by size and trend; choosing
// one lists its orders and highlights it on the plot; choosing an order
// opens it in the orders tab.
func TestHotspotsList(t *testing.T) {
	e := hotspotSetup(t, zhLocale)
	v := e.u.Hotspots()
	r := v.Report
	if r == nil || len(r.Hotspots) < 3 {
		t.Fatalf("report %+v", r)
	}
	for i := 1; i < len(r.Hotspots); i++ {
		a, b := r.Hotspots[i-1], r.Hotspots[i]
		if a.Count < b.Count || a.Count == b.Count && a.Delta() < b.Delta() {
			t.Errorf("row %d (%d, %+d) before row %d (%d, %+d)", i-1, a.Count, a.Delta(), i, b.Count, b.Delta())
		}
	}
	if !strings.HasPrefix(v.Summary.Text, "热点 ") || !strings.Contains(v.Summary.Text, "分析工单") {
		t.Errorf("summary %q", v.Summary.Text)
	}
	i, station := planted(t, r, "010204")
	row := e.u.HotspotRowText(i)
	if !strings.Contains(row[0], "垃圾站夜间作业噪声") || !strings.Contains(row[0], "↑ 上升") ||
		!strings.Contains(row[1], station.Community) || !strings.Contains(row[2], "重办或不满意 1/") || !strings.Contains(row[2], "半径") {
		t.Errorf("row %d = %q", i, row)
	}
	if e.u.Hotspots().Chosen.Text != "选择一个热点，查看其中的工单。" || v.Orders.Length() != 0 {
		t.Errorf("nothing chosen: %q, %d orders", e.u.Hotspots().Chosen.Text, v.Orders.Length())
	}

	v.List.Select(i)
	v = e.u.Hotspots()
	if v.Selected != i || e.u.PlotSelected() != i || v.Orders.Length() != station.Count ||
		!strings.Contains(v.Chosen.Text, "噪声污染 › 社会生活噪声 › 垃圾站夜间作业噪声") || !strings.Contains(v.ChosenFacts.Text, "责任部门：区城管和综合执法局") {
		t.Fatalf("chosen %d (plot %d): %q / %q, %d orders", v.Selected, e.u.PlotSelected(), v.Chosen.Text, v.ChosenFacts.Text, v.Orders.Length())
	}
	last := station.Orders[len(station.Orders)-1]
	if got := e.u.HotspotOrderText(len(station.Orders) - 1); !strings.Contains(got[0], last.Title) || !strings.Contains(got[1], last.ID) {
		t.Errorf("order row = %q, want %s %s", got, last.Title, last.ID)
	}
	v.Orders.Select(len(station.Orders) - 1)
	if e.u.SelectedTab() != "工单" || e.u.Detail().Header.Text != last.ID {
		t.Errorf("opened: tab %q, detail %q, want %s", e.u.SelectedTab(), e.u.Detail().Header.Text, last.ID)
	}
}

// TestHotspotsSettings: another window or distance asks the desk again.
func TestHotspotsSettings(t *testing.T) {
	e := hotspotSetup(t, zhLocale)
	v := e.u.Hotspots()
	calls := e.d.Calls["Hotspots"]
	v.Radius.SetSelected("1 公里 以内")
	e.u.WaitHotspots(t)
	if r := e.u.Hotspots().Report; r.RadiusM != 1000 || e.d.Calls["Hotspots"] != calls+1 {
		t.Errorf("radius %g, %d calls", r.RadiusM, e.d.Calls["Hotspots"]-calls)
	}
	v.Days.SetSelected("近 7 天")
	e.u.WaitHotspots(t)
	if r := e.u.Hotspots().Report; r.To.Sub(r.From).Hours() != 7*24 {
		t.Errorf("window %v", r.To.Sub(r.From))
	}
	// A sync's refresh looks again, keeping the chosen hotspot.
	i, station := planted(t, e.u.Hotspots().Report, "030201")
	e.u.Hotspots().List.Select(i)
	e.u.Refresh()
	e.u.WaitHotspots(t)
	if v := e.u.Hotspots(); v.Selected < 0 || v.Report.Hotspots[v.Selected].ID != station.ID {
		t.Errorf("after a refresh the chosen hotspot is %d", v.Selected)
	}
}

// TestHotspotsPlot: tapping a circle chooses its hotspot; zoom and pan move
// the view, the fit button brings everything back.
func TestHotspotsPlot(t *testing.T) {
	e := hotspotSetup(t, zhLocale)
	v := e.u.Hotspots()
	i, h := planted(t, v.Report, "040103")
	plot := v.Plot.(fyne.Tappable)
	test.TapAt(plot, e.u.PlotPosition(h.Lat, h.Lng))
	if got := e.u.Hotspots().Selected; got != i {
		t.Fatalf("tap on hotspot %d chose %d", i, got)
	}
	mpp := e.u.PlotScale()
	test.Tap(v.ZoomIn)
	if got := e.u.PlotScale(); math.Abs(got-mpp/1.5) > 1e-9 {
		t.Errorf("zoom in: %g m/px, want %g", got, mpp/1.5)
	}
	// Zooming with the wheel keeps the point under the pointer in place.
	at := e.u.PlotPosition(h.Lat, h.Lng)
	v.Plot.(fyne.Scrollable).Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: at}, Scrolled: fyne.Delta{DY: 10}})
	if got := e.u.PlotPosition(h.Lat, h.Lng); math.Abs(float64(got.X-at.X)) > 0.5 || math.Abs(float64(got.Y-at.Y)) > 0.5 {
		t.Errorf("the hotspot moved from %v to %v while zooming on it", at, got)
	}
	lat, lng := e.u.PlotCentre()
	v.Plot.(fyne.Draggable).Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DX: 40, DY: -30}})
	if got := e.u.PlotPosition(h.Lat, h.Lng); math.Abs(float64(got.X-at.X-40)) > 0.5 || math.Abs(float64(got.Y-at.Y+30)) > 0.5 {
		t.Errorf("dragging by (40, −30) moved the hotspot from %v to %v", at, got)
	}
	test.Tap(v.Fit)
	if nlat, nlng := e.u.PlotCentre(); nlat == lat && nlng == lng || e.u.PlotScale() != mpp {
		t.Errorf("fit: scale %g (want %g)", e.u.PlotScale(), mpp)
	}
	// The fitted view holds every hotspot and nearly every order (a few
	// far-off ones may fall outside), and the plot names the street office,
	// its communities and the groups.
	size := v.Plot.Size()
	out := 0
	for _, p := range v.Report.Points {
		if q := e.u.PlotPosition(p.Lat, p.Lng); q.X < 0 || q.Y < 0 || q.X > size.Width || q.Y > size.Height {
			out++
		}
	}
	if out > len(v.Report.Points)/10 {
		t.Errorf("%d of %d points outside the fitted view", out, len(v.Report.Points))
	}
	for _, h := range v.Report.Hotspots {
		if q := e.u.PlotPosition(h.Lat, h.Lng); q.X < 0 || q.Y < 0 || q.X > size.Width || q.Y > size.Height {
			t.Errorf("hotspot %s at %v outside %v", h.ID, q, size)
		}
	}
	texts := e.u.PlotTexts()
	for _, want := range []string{"香蜜湖街道", h.Community, "噪声污染", "水务", "1", "2", "3"} {
		if !slices.Contains(texts, want) {
			t.Errorf("the plot lacks %q: %q", want, texts)
		}
	}
}

// TestHotspotsLead: a lead sees the team's hotspots, beside the board and
// the orders.
func TestHotspotsLead(t *testing.T) {
	e := hotspotSetup(t, zhLocale, asLead)
	r := e.u.Hotspots().Report
	_, station := planted(t, r, "010204")
	who := map[string]bool{}
	for _, o := range station.Orders {
		if strings.Contains(o.ID, "-R0") { // the fake desk's own orders are the lead's
			who[o.AssigneeID] = true
		}
	}
	if len(who) == 0 || who[leadUser.ID] {
		t.Errorf("the station's orders are assigned to %v", who)
	}
	if e.u.SelectedTab() != "热点" {
		t.Errorf("tab %q", e.u.SelectedTab())
	}
}

// failingDesk's analysis fails.
type failingDesk struct{ *fakedesk.Desk }

func (failingDesk) Hotspots(context.Context, streetdesk.HotspotQuery) (*streetdesk.HotspotReport, error) {
	return nil, errors.New("disk I/O error")
}

// TestHotspotsErrorAndEmpty: a failure says so and keeps the rest of the
// window working; a desk with no recurring problem says what was looked for.
func TestHotspotsErrorAndEmpty(t *testing.T) {
	e := setup(t, zhLocale, func(o *ui.Options, fo *fakedesk.Options) { o.Desk = failingDesk{fakedesk.New(*fo)} })
	e.u.ShowHotspotsTab()
	e.u.WaitHotspots(t)
	if v := e.u.Hotspots(); !v.Status.Visible() || !strings.HasPrefix(v.Status.Text, "无法查找热点：") {
		t.Errorf("status %v %q", v.Status.Visible(), v.Status.Text)
	}

	e = setup(t, zhLocale)
	e.u.ShowHotspotsTab()
	e.u.WaitHotspots(t)
	v := e.u.Hotspots()
	if len(v.Report.Hotspots) != 0 || v.Empty.Text != "没有热点：近 30 天内，300 米 以内没有来自不同诉求人的 3 件以上同类工单。" {
		t.Errorf("empty: %d hotspots, %q", len(v.Report.Hotspots), v.Empty.Text)
	}
}

func TestHotspotsEnglish(t *testing.T) {
	e := hotspotSetup(t, enLocale)
	r := e.u.Hotspots().Report
	i, _ := planted(t, r, "030201")
	row := e.u.HotspotRowText(i)
	if e.u.SelectedTab() != "Hotspots" || !strings.Contains(row[0], "orders") || !strings.Contains(row[0], "★ new") ||
		!strings.Contains(row[2], "citizens: ") || !strings.HasPrefix(e.u.Hotspots().Summary.Text, "Hotspots: ") {
		t.Errorf("tab %q, row %q, summary %q", e.u.SelectedTab(), row, e.u.Hotspots().Summary.Text)
	}
	if texts := e.u.PlotTexts(); !slices.Contains(texts, "Noise") || !slices.Contains(texts, "Transport") {
		t.Errorf("legend %q", texts)
	}
}

// Golden images of the hotspot tab at 1366×768, the station chosen.
func TestGoldenHotspots(t *testing.T) {
	for _, c := range []struct {
		name   string
		locale string
		opts   []setupOpt
	}{
		{"hotspots.png", zhLocale, nil},
		{"hotspots_lead.png", zhLocale, []setupOpt{asLead}},
		{"hotspots_en.png", enLocale, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := hotspotSetup(t, c.locale, c.opts...)
			i, _ := planted(t, e.u.Hotspots().Report, "010204")
			e.u.Hotspots().List.Select(i)
			test.AssertImageMatches(t, c.name, e.w.Canvas().Capture())
		})
	}
}

// TestHotspotsKeyboard: on the hotspot tab ↓/↑ move through the hotspots
// (not the hidden queue), and Ctrl+F goes to the orders' search.
func TestHotspotsKeyboard(t *testing.T) {
	e := hotspotSetup(t, zhLocale)
	c := e.w.Canvas()
	n := len(e.u.Hotspots().Report.Hotspots)
	for i, want := range []int{0, 1, 0, 0} {
		key := fyne.KeyDown
		if i >= 2 {
			key = fyne.KeyUp
		}
		c.OnTypedKey()(&fyne.KeyEvent{Name: key})
		if got := e.u.Hotspots().Selected; got != want || n < 2 {
			t.Fatalf("key %d (%s): chosen %d, want %d", i, key, got, want)
		}
	}
	if e.u.SelectedTab() != "热点" {
		t.Errorf("the arrows left the tab: %q", e.u.SelectedTab())
	}
	shortcut(e.w, fyne.KeyF)
	if e.u.SelectedTab() != "工单" {
		t.Errorf("Ctrl+F: tab %q", e.u.SelectedTab())
	}
}
