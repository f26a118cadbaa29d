package ui

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// The team's charts, drawn with Fyne's canvas (rectangles, lines, text; no
// chart library): the centre's three rates per ISO week as a sparkline strip
// on the board and as bar charts here, per member on click, the overdue
// trend, and the XLSX export.

// rateKind is one of the centre's three rates.
type rateKind int

const (
	rateResponse rateKind = iota
	rateResolution
	rateSatisfaction
)

var rateKinds = []rateKind{rateResponse, rateResolution, rateSatisfaction}

func (k rateKind) label() string {
	switch k {
	case rateResponse:
		return tr("chart.response", "Response rate")
	case rateResolution:
		return tr("chart.resolution", "Resolution rate")
	}
	return tr("chart.satisfaction", "Satisfaction rate")
}

func (k rateKind) of(w streetdesk.WeekRates) streetdesk.Ratio {
	switch k {
	case rateResponse:
		return w.Response
	case rateResolution:
		return w.Resolution
	}
	return w.Satisfaction
}

func (k rateKind) member(m streetdesk.MemberLoad) streetdesk.Ratio {
	switch k {
	case rateResponse:
		return m.Response
	case rateResolution:
		return m.Resolution
	}
	return m.Satisfaction
}

func (k rateKind) weeks(ws []streetdesk.WeekRates) []streetdesk.Ratio {
	out := make([]streetdesk.Ratio, len(ws))
	for i, w := range ws {
		out[i] = k.of(w)
	}
	return out
}

// latest is the most recent defined rate ("—" when none).
func latest(rs []streetdesk.Ratio) streetdesk.Ratio {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].Defined() {
			return rs[i]
		}
	}
	return streetdesk.Ratio{}
}

// sparkline is "响应率 ▁▃▅▇ 96%": a name, one small bar per week and the
// latest value. Tapping it opens the charts.
type sparkline struct {
	widget.BaseWidget
	title *canvas.Text
	value *canvas.Text
	bars  []*canvas.Rectangle
	rates []streetdesk.Ratio
	onTap func()
}

const (
	sparkBarW = 7
	sparkGap  = 2
	sparkH    = 18
)

func newSparkline(title string, onTap func()) *sparkline {
	s := &sparkline{title: &canvas.Text{Text: title, TextSize: theme.TextSize()},
		value: &canvas.Text{TextSize: theme.TextSize(), TextStyle: fyne.TextStyle{Bold: true}}, onTap: onTap}
	s.ExtendBaseWidget(s)
	return s
}

func (s *sparkline) set(rs []streetdesk.Ratio) {
	s.rates = rs
	for len(s.bars) < len(rs) {
		s.bars = append(s.bars, &canvas.Rectangle{})
	}
	s.bars = s.bars[:len(rs)]
	s.value.Text = latest(rs).String()
	s.Refresh()
}

// Value is the text of the latest value ("96%").
func (s *sparkline) Value() string { return s.value.Text }

func (s *sparkline) Tapped(*fyne.PointEvent) {
	if s.onTap != nil {
		s.onTap()
	}
}

func (s *sparkline) CreateRenderer() fyne.WidgetRenderer { return &sparkRenderer{s: s} }

type sparkRenderer struct{ s *sparkline }

func (r *sparkRenderer) Objects() []fyne.CanvasObject {
	out := []fyne.CanvasObject{r.s.title}
	for _, b := range r.s.bars {
		out = append(out, b)
	}
	return append(out, r.s.value)
}

func (r *sparkRenderer) MinSize() fyne.Size {
	s := r.s
	w := s.title.MinSize().Width + float32(len(s.bars)*(sparkBarW+sparkGap)) + 48 + 4*theme.InnerPadding()
	return fyne.NewSize(w, max(s.title.MinSize().Height, sparkH)+theme.InnerPadding())
}

func (r *sparkRenderer) Layout(size fyne.Size) {
	s := r.s
	pad := theme.InnerPadding()
	ts := s.title.MinSize()
	y := (size.Height - ts.Height) / 2
	s.title.Move(fyne.NewPos(pad, y))
	s.title.Resize(ts)
	x := pad + ts.Width + pad
	base := (size.Height + sparkH) / 2
	for i, b := range s.bars {
		h := float32(2)
		if i < len(s.rates) && s.rates[i].Defined() {
			h = max(float32(s.rates[i].Value())*sparkH, 2)
		}
		b.Move(fyne.NewPos(x, base-h))
		b.Resize(fyne.NewSize(sparkBarW, h))
		x += sparkBarW + sparkGap
	}
	s.value.Move(fyne.NewPos(x+pad, y))
	s.value.Resize(s.value.MinSize())
}

func (r *sparkRenderer) Refresh() {
	s := r.s
	s.title.Color = themeColor(theme.ColorNameForeground)
	s.value.Color = themeColor(theme.ColorNameForeground)
	for i, b := range s.bars {
		b.FillColor = themeColor(theme.ColorNamePrimary)
		if i >= len(s.rates) || !s.rates[i].Defined() {
			b.FillColor = themeColor(theme.ColorNameDisabled)
		}
	}
	r.Layout(s.Size())
	for _, o := range r.Objects() {
		o.Refresh()
	}
}

func (r *sparkRenderer) Destroy() {}

// barChart is a titled vertical bar chart: one bar per value with its text
// above and its label below; a NaN value is "no data" (a dash, no bar).
type barChart struct {
	widget.BaseWidget
	title  *canvas.Text
	axis   *canvas.Line
	bars   []*canvas.Rectangle
	texts  []*canvas.Text
	labels []*canvas.Text
	values []float64
	top    float64 // the value of a full-height bar
	colour fyne.ThemeColorName
	onTap  func(i int)
}

func newBarChart(title string, colour fyne.ThemeColorName, onTap func(int)) *barChart {
	c := &barChart{title: &canvas.Text{Text: title, TextSize: theme.TextSize(), TextStyle: fyne.TextStyle{Bold: true}},
		axis: &canvas.Line{StrokeWidth: 1}, colour: colour, onTap: onTap}
	c.ExtendBaseWidget(c)
	return c
}

// set replaces the data: values (NaN for none), their texts and labels; top
// is the value of a full-height bar (0: the largest value).
func (c *barChart) set(values []float64, texts, labels []string, top float64) {
	c.values = values
	if top <= 0 {
		for _, v := range values {
			if !math.IsNaN(v) {
				top = max(top, v)
			}
		}
		if top <= 0 {
			top = 1
		}
	}
	c.top = top
	mk := func(n int, ts []*canvas.Text, size float32) []*canvas.Text {
		for len(ts) < n {
			ts = append(ts, &canvas.Text{TextSize: size, Alignment: fyne.TextAlignCenter})
		}
		return ts[:n]
	}
	n := len(values)
	for len(c.bars) < n {
		c.bars = append(c.bars, &canvas.Rectangle{CornerRadius: 2})
	}
	c.bars = c.bars[:n]
	c.texts = mk(n, c.texts, theme.TextSize()-2)
	c.labels = mk(n, c.labels, theme.TextSize()-2)
	for i := range n {
		c.texts[i].Text = texts[i]
		c.labels[i].Text = labels[i]
	}
	c.Refresh()
}

// Texts are the value texts in order (tests).
func (c *barChart) Texts() []string {
	out := make([]string, len(c.texts))
	for i, t := range c.texts {
		out[i] = t.Text
	}
	return out
}

func (c *barChart) slot(width float32) float32 {
	if len(c.values) == 0 {
		return 0
	}
	return (width - 2*theme.InnerPadding()) / float32(len(c.values))
}

func (c *barChart) Tapped(ev *fyne.PointEvent) {
	sl := c.slot(c.Size().Width)
	if c.onTap == nil || sl <= 0 {
		return
	}
	if i := int((ev.Position.X - theme.InnerPadding()) / sl); i >= 0 && i < len(c.values) {
		c.onTap(i)
	}
}

func (c *barChart) CreateRenderer() fyne.WidgetRenderer { return &barRenderer{c: c} }

type barRenderer struct{ c *barChart }

func (r *barRenderer) Objects() []fyne.CanvasObject {
	c := r.c
	out := []fyne.CanvasObject{c.title, c.axis}
	for i := range c.bars {
		out = append(out, c.bars[i], c.texts[i], c.labels[i])
	}
	return out
}

func (r *barRenderer) MinSize() fyne.Size { return fyne.NewSize(280, 170) }

func (r *barRenderer) Layout(size fyne.Size) {
	c := r.c
	pad := theme.InnerPadding()
	th := c.title.MinSize().Height
	c.title.Move(fyne.NewPos(pad, 0))
	c.title.Resize(c.title.MinSize())
	lh := float32(theme.TextSize())
	top := th + lh + pad // room for the value text above a full bar
	base := size.Height - lh - pad
	c.axis.Position1 = fyne.NewPos(pad, base)
	c.axis.Position2 = fyne.NewPos(size.Width-pad, base)
	sl := c.slot(size.Width)
	// Labels that would overlap are thinned out: every k-th is shown.
	k := 1
	for i, l := range c.labels {
		if i == 0 || sl <= 0 {
			continue
		}
		for float32(k)*sl < l.MinSize().Width+2 && k < len(c.labels) {
			k++
		}
	}
	for i := range c.bars {
		x := pad + float32(i)*sl
		v := c.values[i]
		h := float32(0)
		if !math.IsNaN(v) {
			h = float32(v/c.top) * (base - top)
		}
		bw := max(sl*0.6, 1)
		c.bars[i].Move(fyne.NewPos(x+(sl-bw)/2, base-h))
		c.bars[i].Resize(fyne.NewSize(bw, h))
		c.bars[i].Hidden = h <= 0
		c.texts[i].Move(fyne.NewPos(x, base-h-lh-2))
		c.texts[i].Resize(fyne.NewSize(sl, lh))
		c.labels[i].Move(fyne.NewPos(x, base+2))
		c.labels[i].Resize(fyne.NewSize(sl, lh))
		c.labels[i].Hidden = i%k != 0
		c.texts[i].Hidden = sl < c.texts[i].MinSize().Width && i != len(c.bars)-1
	}
}

func (r *barRenderer) Refresh() {
	c := r.c
	fg := themeColor(theme.ColorNameForeground)
	c.title.Color = fg
	c.axis.StrokeColor = themeColor(theme.ColorNameSeparator)
	for i := range c.bars {
		c.bars[i].FillColor = themeColor(c.colour)
		c.texts[i].Color = fg
		c.labels[i].Color = themeColor(theme.ColorNamePlaceHolder)
	}
	r.Layout(c.Size())
	for _, o := range r.Objects() {
		o.Refresh()
	}
}

func (r *barRenderer) Destroy() {}

// chartsView is the board's rates tab: the weekly charts for the team or
// one member, the overdue trend, each member's rates over the period, and
// the XLSX export.
type chartsView struct {
	b       *Board
	scope   *widget.Select
	weekly  []*barChart // the three rates
	overdue *barChart
	members []*barChart // the three rates, one bar per member
	ev      *barChart   // per member: resolutions with photo-evidence warnings
	export  *widget.Button
	status  *widget.Label
	content fyne.CanvasObject
}

func newChartsView(b *Board) *chartsView {
	v := &chartsView{b: b, status: &widget.Label{Wrapping: fyne.TextWrapWord}}
	v.scope = &widget.Select{OnChanged: func(string) { v.draw() }}
	for _, k := range rateKinds {
		v.weekly = append(v.weekly, newBarChart(k.label(), theme.ColorNamePrimary, nil))
		v.members = append(v.members, newBarChart(k.label(), theme.ColorNamePrimary, v.onMember))
	}
	v.overdue = newBarChart(tr("chart.overdue", "Missed deadlines"), theme.ColorNameError, nil)
	v.ev = newBarChart(tr("chart.evidence", "Resolutions with photo-evidence warnings"), theme.ColorNameWarning, v.onMember)
	v.export = &widget.Button{Text: tr("chart.export", "Export XLSX"), Icon: theme.DocumentSaveIcon(), OnTapped: v.onExport}
	if b.opts.ExportXLSX == nil {
		v.export.Hide()
	}
	top := container.NewBorder(nil, nil,
		container.NewHBox(&widget.Label{Text: tr("chart.scope", "Weekly for"), TextStyle: fyne.TextStyle{Bold: true}},
			container.NewGridWrap(fyne.NewSize(200, v.scope.MinSize().Height), v.scope)),
		v.export, v.status)
	weekly := container.NewGridWithColumns(2, v.weekly[0], v.weekly[1], v.weekly[2], v.overdue)
	members := container.NewGridWithColumns(3, v.members[0], v.members[1], v.members[2], v.ev)
	v.content = container.NewBorder(top, nil, nil, nil, container.NewVScroll(container.NewVBox(weekly, widget.NewSeparator(),
		&widget.Label{Text: tr("chart.byMember", "By member (tap a bar for their weeks)"), Importance: widget.LowImportance}, members)))
	return v
}

// reload follows the board's statistics.
func (v *chartsView) reload() {
	names := []string{tr("chart.team", "The whole team")}
	for _, m := range v.b.stats.Members {
		names = append(names, m.Member.Name)
	}
	sel := max(v.scope.SelectedIndex(), 0)
	if sel >= len(names) {
		sel = 0
	}
	v.scope.OnChanged = nil
	v.scope.Options = names
	v.scope.SetSelectedIndex(sel)
	v.scope.OnChanged = func(string) { v.draw() }
	var labels []string
	for _, m := range v.b.stats.Members {
		labels = append(labels, m.Member.Name)
	}
	for i, k := range rateKinds {
		var rs []streetdesk.Ratio
		for _, m := range v.b.stats.Members {
			rs = append(rs, k.member(m))
		}
		vals, texts := rateBars(rs)
		v.members[i].set(vals, texts, labels, 1)
	}
	v.ev.set(evidenceBars(v.b.stats.Members))
	v.draw()
}

// draw shows the weeks of the chosen scope.
func (v *chartsView) draw() {
	weeks := v.b.stats.Weeks
	if i := v.scope.SelectedIndex(); i > 0 && i-1 < len(v.b.stats.Members) {
		weeks = v.b.stats.Members[i-1].Weeks
	}
	var labels []string
	for _, w := range weeks {
		labels = append(labels, weekLabel(w, v.b.cal.Location()))
	}
	for i, k := range rateKinds {
		vals, texts := rateBars(k.weeks(weeks))
		v.weekly[i].set(vals, texts, labels, 1)
	}
	vals := make([]float64, len(weeks))
	texts := make([]string, len(weeks))
	for i, w := range weeks {
		vals[i], texts[i] = float64(w.Overdue), strconv.Itoa(w.Overdue)
	}
	v.overdue.set(vals, texts, labels, 0)
}

// weekLabel names a week by its days, "3月9日–15日" or "Mar 9–15" (a
// week number means nothing to most people).
func weekLabel(w streetdesk.WeekRates, loc *time.Location) string {
	a, b := w.Start.In(loc), w.End.In(loc).AddDate(0, 0, -1)
	// M1, M2 the months' numbers, Mon1, Mon2 their English short names.
	data := map[string]any{"M1": int(a.Month()), "D1": a.Day(), "M2": int(b.Month()), "D2": b.Day(),
		"Mon1": a.Format("Jan"), "Mon2": b.Format("Jan")}
	if a.Month() == b.Month() {
		return tr("chart.weekInMonth", "{{.Mon1}} {{.D1}}–{{.D2}}", data)
	}
	return tr("chart.weekAcrossMonths", "{{.Mon1}} {{.D1}}–{{.Mon2}} {{.D2}}", data)
}

// rateBars turns rates into bar values (NaN without a denominator) and
// percentage texts ("—" without one: no rate, not 0%).
func rateBars(rs []streetdesk.Ratio) ([]float64, []string) {
	vals := make([]float64, len(rs))
	texts := make([]string, len(rs))
	for i, r := range rs {
		vals[i], texts[i] = math.NaN(), r.String()
		if r.Defined() {
			vals[i] = r.Value()
		}
	}
	return vals, texts
}

func (v *chartsView) onMember(i int) {
	if i >= 0 && i < len(v.b.stats.Members) {
		v.scope.SetSelectedIndex(i + 1)
	}
}

func (v *chartsView) onExport() {
	if v.b.opts.ExportXLSX == nil {
		return
	}
	stats := v.b.stats
	name := fmt.Sprintf("team-rates-%s.xlsx", v.b.now().In(v.b.cal.Location()).Format("2006-01-02"))
	v.b.opts.SaveFile(name, func(path string) {
		if path == "" {
			return
		}
		if err := v.b.opts.ExportXLSX(path, stats); err != nil {
			v.status.Importance = widget.DangerImportance
			v.status.SetText(tr("chart.exportFailed", "Could not export: {{.Err}}", map[string]string{"Err": errorText(err)}))
			return
		}
		v.status.Importance = widget.SuccessImportance
		v.status.SetText(tr("chart.exported", "Exported to {{.Path}}", map[string]string{"Path": path}))
	})
}
