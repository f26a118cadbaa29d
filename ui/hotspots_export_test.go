package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// HotspotsView exposes the hotspot screen's widgets to the tests.
type HotspotsView struct {
	Days, Radius         *widget.Select
	Summary, Status      *widget.Label
	Empty                *widget.Label
	List, Orders         *widget.List
	Chosen, ChosenFacts  *widget.Label
	ZoomIn, ZoomOut, Fit *widget.Button
	Plot                 fyne.CanvasObject
	Report               *streetdesk.HotspotReport
	Selected             int
}

func (u *UI) Hotspots() HotspotsView {
	v := u.hot
	return HotspotsView{Days: v.days, Radius: v.radius, Summary: v.summary, Status: v.status, Empty: v.empty,
		List: v.list, Orders: v.orders, Chosen: v.selHead, ChosenFacts: v.selFacts,
		ZoomIn: v.zoomIn, ZoomOut: v.zoomOut, Fit: v.fit, Plot: v.plot, Report: v.report, Selected: v.sel}
}

// ShowHotspotsTab selects the hotspot tab.
func (u *UI) ShowHotspotsTab() { u.tabs.Select(u.tabHot) }

// SelectedTab is the text of the selected tab.
func (u *UI) SelectedTab() string { return u.tabs.Selected().Text }

// WaitHotspots runs main-goroutine calls until the latest hotspot load is
// on screen.
func (u *UI) WaitHotspots(t testing.TB) {
	t.Helper()
	for u.hot.shown != u.hot.gen {
		RunMain(t)
	}
}

// HotspotRowText is the three lines of hotspot row i.
func (u *UI) HotspotRowText(i int) [3]string {
	r := newHotspotRow().(*hotspotRow)
	u.hot.updateRow(i, r)
	return [3]string{r.head.Text, r.place.Text, r.facts.Text}
}

// HotspotOrderText is the two lines of the chosen hotspot's order i.
func (u *UI) HotspotOrderText(i int) [2]string {
	r := newHotspotOrderRow().(*hotspotOrderRow)
	u.hot.updateOrderRow(i, r)
	return [2]string{r.title.Text, r.facts.Text}
}

// PlotPosition is where (lat, lng) is on the plot.
func (u *UI) PlotPosition(lat, lng float64) fyne.Position {
	x, y := u.hot.plot.project(lat, lng)
	return fyne.NewPos(x, y)
}

// PlotScale is the plot's metres per pixel.
func (u *UI) PlotScale() float64 { return u.hot.plot.mpp }

// PlotCentre is the plot's centre.
func (u *UI) PlotCentre() (lat, lng float64) { return u.hot.plot.lat0, u.hot.plot.lng0 }

// PlotSelected is the hotspot the plot highlights.
func (u *UI) PlotSelected() int { return u.hot.plot.sel }

// PlotTexts lists the texts drawn on the plot (labels, numbers, legend,
// scale).
func (u *UI) PlotTexts() []string {
	var out []string
	r := u.hot.plot.CreateRenderer().(*plotRenderer)
	r.Layout(u.hot.plot.Size())
	for _, o := range r.over {
		if t, ok := o.(*canvas.Text); ok {
			out = append(out, t.Text)
		}
	}
	return out
}
