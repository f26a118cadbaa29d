package ui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// The hotspot view (热点): recurring complaints among the orders this desk
// holds — a caseworker's own and their street office's, a lead's team —
// found offline by streetdesk's analysis. A list by size and trend beside a
// plot of the orders; choosing a hotspot (in the list or on the plot)
// lists its orders, and choosing an order opens it.

// Window and distance choices; the defaults are the analysis's.
var (
	hotspotDays   = []int{7, 14, 30, 60, 90}
	hotspotRadius = []float64{100, 300, 500, 1000}
)

type hotspotView struct {
	desk streetdesk.Desk
	ctx  context.Context
	bg   *sync.WaitGroup
	open func(id string)

	q      streetdesk.HotspotQuery
	report *streetdesk.HotspotReport
	sel    int      // the chosen hotspot, −1 for none
	selIDs []string // its orders, to find it again after a reload
	active bool     // shown at least once: loads follow the syncs
	gen    int      // the latest load
	shown  int      // the load on screen

	days     *widget.Select
	radius   *widget.Select
	summary  *widget.Label
	status   *widget.Label
	list     *widget.List
	empty    *widget.Label
	selHead  *widget.Label
	selFacts *widget.Label
	// actions holds what can be done with the chosen hotspot: a lead
	// proposes a big-data event (events.go).
	actions  *fyne.Container
	u        *UI // the window, for the proposal's dialog
	propose  *widget.Button
	proposed *widget.Label // what became of the last proposal
	proposal *proposeDialog
	orders   *widget.List
	plot     *hotspotPlot
	zoomIn   *widget.Button
	zoomOut  *widget.Button
	fit      *widget.Button
	content  fyne.CanvasObject
}

func newHotspotView(ctx context.Context, d streetdesk.Desk, bg *sync.WaitGroup, open func(id string)) *hotspotView {
	v := &hotspotView{desk: d, ctx: ctx, bg: bg, open: open, q: streetdesk.DefaultHotspotQuery(), sel: -1}
	v.days = widget.NewSelect(nil, func(string) { v.onSettings() })
	for _, n := range hotspotDays {
		v.days.Options = append(v.days.Options, tr("hotspots.days", "Last {{.N}} days", map[string]int{"N": n}))
	}
	v.radius = widget.NewSelect(nil, func(string) { v.onSettings() })
	for _, m := range hotspotRadius {
		v.radius.Options = append(v.radius.Options, tr("hotspots.within", "Within {{.D}}", map[string]string{"D": distanceText(m)}))
	}
	v.days.SetSelectedIndex(slices.Index(hotspotDays, int(v.q.Window/(24*time.Hour))))
	v.radius.SetSelectedIndex(slices.Index(hotspotRadius, v.q.RadiusM))
	v.summary = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	v.status = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	v.status.Hide()

	v.list = &widget.List{Length: v.count, CreateItem: newHotspotRow, UpdateItem: v.updateRow, OnSelected: v.onSelected}
	v.empty = &widget.Label{Alignment: fyne.TextAlignCenter, Wrapping: fyne.TextWrapWord}
	v.selHead = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
	v.selFacts = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	v.actions = container.NewHBox()
	v.orders = &widget.List{Length: v.orderCount, CreateItem: newHotspotOrderRow, UpdateItem: v.updateOrderRow, OnSelected: v.onOrder}

	v.plot = newHotspotPlot(v.onPlotSelect)
	v.zoomIn = &widget.Button{Icon: theme.ZoomInIcon(), Importance: widget.LowImportance, OnTapped: v.plot.zoomIn}
	v.zoomOut = &widget.Button{Icon: theme.ZoomOutIcon(), Importance: widget.LowImportance, OnTapped: v.plot.zoomOut}
	v.fit = &widget.Button{Icon: theme.ZoomFitIcon(), Importance: widget.LowImportance, OnTapped: v.plot.reset}

	bar := container.NewBorder(nil, nil, container.NewHBox(v.days, v.radius), nil, v.summary)
	listPane := container.NewStack(v.list, container.NewVBox(v.empty))
	chosen := container.NewBorder(container.NewVBox(widget.NewSeparator(), v.selHead, v.selFacts, v.actions), nil, nil, nil, v.orders)
	left := container.NewVSplit(listPane, chosen)
	left.Offset = 0.55
	tools := container.NewVBox(container.NewHBox(layout.NewSpacer(), v.zoomIn, v.zoomOut, v.fit))
	split := container.NewHSplit(left, container.NewStack(v.plot, tools))
	split.Offset = 0.4
	v.content = container.NewBorder(container.NewVBox(bar, v.status), nil, nil, nil, split)
	v.showChosen()
	return v
}

// onSettings reloads with the chosen window and distance.
func (v *hotspotView) onSettings() {
	if v.days == nil || v.radius == nil || v.days.SelectedIndex() < 0 || v.radius.SelectedIndex() < 0 {
		return
	}
	v.q.Window = time.Duration(hotspotDays[v.days.SelectedIndex()]) * 24 * time.Hour
	v.q.RadiusM = hotspotRadius[v.radius.SelectedIndex()]
	if v.summary != nil { // not while being built
		v.active = true
		v.reload()
	}
}

// activate loads the view the first time it is shown.
func (v *hotspotView) activate() {
	if !v.active {
		v.active = true
		v.reload()
	}
}

// refresh reloads the view if it has been shown (after a sync, say).
func (v *hotspotView) refresh() {
	if v.active {
		v.reload()
	}
}

// reload runs the analysis off the main goroutine and shows it there; a
// newer load supersedes an older one still running.
func (v *hotspotView) reload() {
	v.gen++
	gen, q := v.gen, v.q
	if v.report == nil {
		v.summary.SetText(tr("hotspots.loading", "Looking for hotspots…"))
	}
	v.bg.Add(1)
	go func() {
		defer v.bg.Done()
		r, err := v.desk.Hotspots(v.ctx, q)
		if v.ctx.Err() != nil {
			return
		}
		mainDo(func() {
			if gen != v.gen || v.ctx.Err() != nil {
				return
			}
			v.shown = gen
			if err != nil {
				v.status.SetText(tr("hotspots.failed", "Could not look for hotspots: {{.Why}}", map[string]string{"Why": errorText(err)}))
				v.status.Show()
				return
			}
			v.status.Hide()
			v.show(r)
		})
	}()
}

// show puts a report on the list and the plot, keeping the chosen hotspot
// if it is still there (the one sharing most orders with it).
func (v *hotspotView) show(r *streetdesk.HotspotReport) {
	v.report = r
	v.sel = -1
	best := 0
	for i, h := range r.Hotspots {
		n := 0
		for _, o := range h.Orders {
			if slices.Contains(v.selIDs, o.ID) {
				n++
			}
		}
		if n > best {
			v.sel, best = i, n
		}
	}
	v.summary.SetText(v.summaryText())
	v.empty.SetText("")
	if len(r.Hotspots) == 0 {
		v.empty.SetText(tr("hotspots.none", "No hotspots: no {{.N}} similar orders from different citizens within {{.D}} in the last {{.Days}} days.",
			map[string]string{"N": strconv.Itoa(r.MinOrders), "D": distanceText(r.RadiusM), "Days": strconv.Itoa(int(r.To.Sub(r.From) / (24 * time.Hour)))}))
	}
	v.list.UnselectAll()
	v.list.Refresh()
	if v.sel >= 0 {
		v.list.Select(v.sel) // also shows its orders
	} else {
		v.showChosen()
	}
	v.plot.set(r, v.sel)
}

// summaryText is one line: how many hotspots in how many orders, and what
// was left out and why.
func (v *hotspotView) summaryText() string {
	in := v.report.Input
	s := tr("hotspots.summary", "{{.H}} hotspots · {{.N}} orders analysed", map[string]int{"H": len(v.report.Hotspots), "N": in.Clustered})
	if in.ByAddress > 0 {
		s += tr("hotspots.byAddress", " ({{.N}} placed by address)", map[string]int{"N": in.ByAddress})
	}
	if n := in.LeftOut(); n > 0 {
		s += " · " + tr("hotspots.leftOut", "{{.N}} left out", map[string]int{"N": n})
		var why []string
		for _, c := range []struct {
			n   int
			key string
			en  string
		}{
			{in.NoPlace, "hotspots.noPlace", "no place"},
			{in.NoCategory, "hotspots.noCategory", "no category"},
			{in.UnknownCategory, "hotspots.unknownCategory", "category not in the duty list"},
			{in.Withdrawn, "hotspots.withdrawn", "cancelled or returned"},
			{in.Events, "hotspots.events", "event orders"},
		} {
			if c.n > 0 {
				why = append(why, fmt.Sprintf("%s %d", tr(c.key, c.en), c.n))
			}
		}
		s += tr("hotspots.why", " ({{.Why}})", map[string]string{"Why": joinList(why)})
	}
	return s
}

func joinList(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += tr("hotspots.listSep", ", ")
		}
		out += x
	}
	return out
}

func (v *hotspotView) count() int {
	if v.report == nil {
		return 0
	}
	return len(v.report.Hotspots)
}

// hotspotRow is one hotspot in the list: what, where, how often, since when.
type hotspotRow struct {
	widget.BaseWidget
	head, place, facts *widget.Label
	box                *fyne.Container
}

func newHotspotRow() fyne.CanvasObject {
	r := &hotspotRow{
		head:  &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis},
		place: &widget.Label{Truncation: fyne.TextTruncateEllipsis},
		facts: &widget.Label{Truncation: fyne.TextTruncateEllipsis, Importance: widget.LowImportance},
	}
	r.box = container.New(compactLayout{}, r.head, r.place, r.facts)
	r.ExtendBaseWidget(r)
	return r
}

func (r *hotspotRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.box) }

func (v *hotspotView) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	r := o.(*hotspotRow)
	if v.report == nil || i >= len(v.report.Hotspots) {
		return
	}
	h := v.report.Hotspots[i]
	r.head.SetText(hotspotHead(i, h))
	r.place.SetText(hotspotPlace(h))
	r.facts.SetText(hotspotFacts(h))
	r.head.Importance = widget.MediumImportance
	if h.Trend == streetdesk.TrendRising {
		r.head.Importance = widget.DangerImportance
	}
	r.head.Refresh()
}

// hotspotHead is "1 · 6 单 · ↑ 上升 +4 · 垃圾站夜间作业噪声".
func hotspotHead(i int, h streetdesk.Hotspot) string {
	name := h.Category.L3Name
	if name == "" {
		name = h.Category.L2Name
	}
	return fmt.Sprintf("%d · %s · %s · %s", i+1, tr("hotspots.orders", "{{.N}} orders", map[string]int{"N": h.Count}), trendText(h), name)
}

// trendText is the trend with its arrow and the change against the
// previous window.
func trendText(h streetdesk.Hotspot) string {
	label := words().Name(h.Trend)
	switch h.Trend {
	case streetdesk.TrendRising:
		return fmt.Sprintf("↑ %s %+d", label, h.Delta())
	case streetdesk.TrendFalling:
		return fmt.Sprintf("↓ %s %+d", label, h.Delta())
	case streetdesk.TrendSteady:
		return "→ " + label
	}
	return "★ " + label
}

func hotspotPlace(h streetdesk.Hotspot) string {
	return joinNonEmpty(" · ", h.Community, h.Address)
}

// hotspotFacts is "11-09 – 12-04 · 半径 47 米 · 5 位诉求人 · 重办或不满意 1/6".
func hotspotFacts(h streetdesk.Hotspot) string {
	s := h.First.In(streetdesk.ChinaTZ).Format("01-02") + " – " + h.Last.In(streetdesk.ChinaTZ).Format("01-02")
	if h.HasCentre {
		s += " · " + tr("hotspots.radius", "radius {{.D}}", map[string]string{"D": distanceText(h.RadiusM)})
	} else {
		s += " · " + tr("hotspots.noCentre", "placed by address")
	}
	s += " · " + tr("hotspots.citizens", "{{.N}} citizens", map[string]int{"N": h.Citizens})
	if h.Reopened.Num > 0 {
		s += " · " + tr("hotspots.reopened", "reopened or dissatisfied {{.N}}/{{.D}}", map[string]int{"N": h.Reopened.Num, "D": h.Reopened.Den})
	}
	return s
}

func joinNonEmpty(sep string, ss ...string) string {
	out := ""
	for _, s := range ss {
		if s == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += s
	}
	return out
}

func (v *hotspotView) onSelected(i widget.ListItemID) {
	if v.report == nil || i >= len(v.report.Hotspots) {
		return
	}
	v.sel = i
	v.selIDs = v.selIDs[:0]
	for _, o := range v.report.Hotspots[i].Orders {
		v.selIDs = append(v.selIDs, o.ID)
	}
	v.showChosen()
	v.plot.selectHotspot(i)
}

// move chooses the next (down) or previous hotspot, from the keyboard.
func (v *hotspotView) move(down bool) {
	n := v.count()
	if n == 0 {
		return
	}
	i := v.sel
	switch {
	case i < 0 && down:
		i = 0
	case i < 0:
		i = n - 1
	case down:
		i = min(i+1, n-1)
	default:
		i = max(i-1, 0)
	}
	v.list.Select(i)
	v.list.ScrollTo(i)
}

// onPlotSelect is a tap on a hotspot's circle.
func (v *hotspotView) onPlotSelect(i int) {
	v.list.Select(i)
	v.list.ScrollTo(i)
}

// showChosen fills the panel under the list: the chosen hotspot and its
// orders, or a hint.
func (v *hotspotView) showChosen() {
	if v.report == nil || v.sel < 0 || v.sel >= len(v.report.Hotspots) {
		v.selHead.SetText(tr("hotspots.choose", "Choose a hotspot to see its orders."))
		v.selFacts.SetText("")
		v.fillActions()
		v.orders.UnselectAll()
		v.orders.Refresh()
		return
	}
	h := v.report.Hotspots[v.sel]
	v.selHead.SetText(fmt.Sprintf("%d · %s", v.sel+1, h.Category.Path()))
	dept := ""
	if h.Category.Department != "" {
		dept = tr("hotspots.department", "responsible: {{.D}}", map[string]string{"D": h.Category.Department})
	}
	v.selFacts.SetText(joinNonEmpty(" · ", h.StreetOffice, tr("hotspots.previous", "{{.N}} in the previous window", map[string]int{"N": h.Previous}), dept))
	v.fillActions()
	v.orders.UnselectAll()
	v.orders.Refresh()
	v.orders.ScrollToTop()
}

func (v *hotspotView) chosen() *streetdesk.Hotspot {
	if v.report == nil || v.sel < 0 || v.sel >= len(v.report.Hotspots) {
		return nil
	}
	return &v.report.Hotspots[v.sel]
}

func (v *hotspotView) orderCount() int {
	if h := v.chosen(); h != nil {
		return len(h.Orders)
	}
	return 0
}

// hotspotOrderRow is one order of the chosen hotspot.
type hotspotOrderRow struct {
	widget.BaseWidget
	title, facts *widget.Label
	box          *fyne.Container
}

func newHotspotOrderRow() fyne.CanvasObject {
	r := &hotspotOrderRow{
		title: &widget.Label{Truncation: fyne.TextTruncateEllipsis},
		facts: &widget.Label{Truncation: fyne.TextTruncateEllipsis, Importance: widget.LowImportance},
	}
	r.box = container.New(compactLayout{}, r.title, r.facts)
	r.ExtendBaseWidget(r)
	return r
}

func (r *hotspotOrderRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(r.box)
}

func (v *hotspotView) updateOrderRow(i widget.ListItemID, o fyne.CanvasObject) {
	r := o.(*hotspotOrderRow)
	h := v.chosen()
	if h == nil || i >= len(h.Orders) {
		return
	}
	ho := h.Orders[i]
	r.title.SetText(ho.DispatchedAt.In(streetdesk.ChinaTZ).Format("01-02 15:04") + "  " + ho.Title)
	facts := []string{words().Name(ho.Status), ho.AssigneeName, ho.ID}
	if ho.Reopened && ho.Status != streetdesk.StatusReopened { // 重办 already says it
		facts = append(facts, tr("hotspots.orderReopened", "reopened or dissatisfied"))
	}
	if ho.ByAddress {
		facts = append(facts, tr("hotspots.noCentre", "placed by address"))
	}
	r.facts.SetText(joinNonEmpty(" · ", facts...))
}

// onOrder opens the order in the orders tab.
func (v *hotspotView) onOrder(i widget.ListItemID) {
	h := v.chosen()
	if h == nil || i >= len(h.Orders) {
		return
	}
	id := h.Orders[i].ID
	v.orders.UnselectAll()
	v.open(id)
}

// compactLayout stacks rows sharing the theme's padding between them
// (one padding instead of two), so a list row of two or three lines stays
// short.
type compactLayout struct{}

func (compactLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for i, o := range objs {
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height
		if i > 0 {
			s.Height -= theme.InnerPadding()
		}
	}
	return s
}

func (compactLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	for _, o := range objs {
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h - theme.InnerPadding()
	}
}
