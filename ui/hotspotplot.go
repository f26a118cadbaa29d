package ui

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"sort"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// hotspotPlot draws the orders of the hotspot view on a plain canvas: no
// map tiles, so it works offline. Positions come from the coordinates (a
// local equirectangular projection, metres on both axes); each street
// office is outlined by the hull of its orders and each community is
// labelled at the middle of its orders (the duty data has names, not
// boundaries); dots are coloured by the duty list's level 1; hotspots are
// circles numbered as in the list. Scroll or +/− zooms, dragging pans,
// tapping a circle selects its hotspot.
type hotspotPlot struct {
	widget.BaseWidget

	pts      []streetdesk.HotspotPoint
	hs       []streetdesk.Hotspot
	sel      int
	onSelect func(i int)

	// The view: centre, metres per pixel, and the latitude whose parallel
	// scale the projection uses (fixed per report, so zooming never bends).
	lat0, lng0 float64
	cosRef     float64
	mpp        float64
	fitted     bool // the view was fitted to the data and not moved since
	moved      bool // the user zoomed or panned since the report came
	size       fyne.Size
}

const (
	plotMinMPP   = 0.25 // metres per pixel, closest
	plotMaxMPP   = 5000 // farthest
	plotMargin   = 28   // pixels kept free around the data when fitting
	plotZoomStep = 1.5
	plotDot      = 3.0 // dot radius, pixels
)

func newHotspotPlot(onSelect func(i int)) *hotspotPlot {
	p := &hotspotPlot{sel: -1, onSelect: onSelect, mpp: 10, cosRef: 1}
	p.ExtendBaseWidget(p)
	return p
}

// set shows a new report; the view is fitted to it unless the user has
// moved it since the last one.
func (p *hotspotPlot) set(r *streetdesk.HotspotReport, sel int) {
	p.pts, p.hs, p.sel = nil, nil, sel
	if r != nil {
		p.pts, p.hs = r.Points, r.Hotspots
	}
	if !p.moved {
		p.fitted = false
	}
	p.Refresh()
}

// select highlights hotspot i and brings it into view.
func (p *hotspotPlot) selectHotspot(i int) {
	p.sel = i
	if i >= 0 && i < len(p.hs) && p.hs[i].HasCentre && p.size.Width > 0 {
		x, y := p.project(p.hs[i].Lat, p.hs[i].Lng)
		if x < 0 || y < 0 || x > p.size.Width || y > p.size.Height {
			p.lat0, p.lng0 = p.hs[i].Lat, p.hs[i].Lng
		}
	}
	p.Refresh()
}

// project returns the position of (lat, lng) in the widget.
func (p *hotspotPlot) project(lat, lng float64) (float32, float32) {
	x := (lng - p.lng0) * p.cosRef * metresPerDegree / p.mpp
	y := -(lat - p.lat0) * metresPerDegree / p.mpp
	return p.size.Width/2 + float32(x), p.size.Height/2 + float32(y)
}

// unproject is project's inverse.
func (p *hotspotPlot) unproject(x, y float32) (lat, lng float64) {
	lat = p.lat0 - float64(y-p.size.Height/2)*p.mpp/metresPerDegree
	lng = p.lng0 + float64(x-p.size.Width/2)*p.mpp/(metresPerDegree*p.cosRef)
	return lat, lng
}

const metresPerDegree = 6_371_008.8 * math.Pi / 180

// fit centres the view on the data and zooms to show all of it.
func (p *hotspotPlot) fit() {
	minLat, maxLat, minLng, maxLng := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	add := func(lat, lng, rM float64) {
		dLat := rM / metresPerDegree
		dLng := dLat / math.Max(0.01, math.Cos(lat*math.Pi/180))
		minLat, maxLat = math.Min(minLat, lat-dLat), math.Max(maxLat, lat+dLat)
		minLng, maxLng = math.Min(minLng, lng-dLng), math.Max(maxLng, lng+dLng)
	}
	// Where most orders are: a few far-off ones (a wrong geocode, an order
	// across the district) should not shrink everything else to a dot.
	if n := len(p.pts); n >= 20 {
		lats, lngs := make([]float64, n), make([]float64, n)
		for i, pt := range p.pts {
			lats[i], lngs[i] = pt.Lat, pt.Lng
		}
		slices.Sort(lats)
		slices.Sort(lngs)
		lo, hi := n*2/100, n-1-n*2/100
		add(lats[lo], lngs[lo], 0)
		add(lats[hi], lngs[hi], 0)
	} else {
		for _, pt := range p.pts {
			add(pt.Lat, pt.Lng, 0)
		}
	}
	for _, h := range p.hs {
		if h.HasCentre {
			add(h.Lat, h.Lng, h.RadiusM)
		}
	}
	if math.IsInf(minLat, 1) { // nothing to show: Shenzhen's centre
		minLat, maxLat, minLng, maxLng = 22.54, 22.56, 114.05, 114.07
	}
	p.lat0, p.lng0 = (minLat+maxLat)/2, (minLng+maxLng)/2
	p.cosRef = math.Max(0.01, math.Cos(p.lat0*math.Pi/180))
	wM := (maxLng - minLng) * p.cosRef * metresPerDegree
	hM := (maxLat - minLat) * metresPerDegree
	w, h := float64(p.size.Width-2*plotMargin), float64(p.size.Height-2*plotMargin)
	p.mpp = 10
	if w > 0 && h > 0 {
		p.mpp = clampMPP(math.Max(wM/w, hM/h))
	}
	p.fitted, p.moved = true, false
}

func clampMPP(m float64) float64 { return math.Min(plotMaxMPP, math.Max(plotMinMPP, m)) }

// zoom scales the view by f around the widget position at.
func (p *hotspotPlot) zoom(f float64, at fyne.Position) {
	lat, lng := p.unproject(at.X, at.Y)
	p.mpp = clampMPP(p.mpp / f)
	// Keep the point under the pointer where it was.
	nlat, nlng := p.unproject(at.X, at.Y)
	p.lat0 += lat - nlat
	p.lng0 += lng - nlng
	p.moved = true
	p.Refresh()
}

func (p *hotspotPlot) zoomIn()  { p.zoom(plotZoomStep, fyne.NewPos(p.size.Width/2, p.size.Height/2)) }
func (p *hotspotPlot) zoomOut() { p.zoom(1/plotZoomStep, fyne.NewPos(p.size.Width/2, p.size.Height/2)) }
func (p *hotspotPlot) reset()   { p.fitted, p.moved = false, false; p.Refresh() }

// Scrolled zooms around the pointer.
func (p *hotspotPlot) Scrolled(ev *fyne.ScrollEvent) {
	switch {
	case ev.Scrolled.DY > 0:
		p.zoom(plotZoomStep, ev.Position)
	case ev.Scrolled.DY < 0:
		p.zoom(1/plotZoomStep, ev.Position)
	}
}

// Dragged pans.
func (p *hotspotPlot) Dragged(ev *fyne.DragEvent) {
	p.lat0 += float64(ev.Dragged.DY) * p.mpp / metresPerDegree
	p.lng0 -= float64(ev.Dragged.DX) * p.mpp / (metresPerDegree * p.cosRef)
	p.moved = true
	p.Refresh()
}

// DragEnd implements fyne.Draggable.
func (p *hotspotPlot) DragEnd() {}

// Tapped selects the hotspot whose circle holds the tap (the smallest one
// when circles overlap).
func (p *hotspotPlot) Tapped(ev *fyne.PointEvent) {
	best, bestR := -1, float32(math.MaxFloat32)
	for i, h := range p.hs {
		if !h.HasCentre {
			continue
		}
		x, y := p.project(h.Lat, h.Lng)
		r := p.circleRadius(h)
		dx, dy := ev.Position.X-x, ev.Position.Y-y
		if dx*dx+dy*dy <= r*r && r < bestR {
			best, bestR = i, r
		}
	}
	if best >= 0 && p.onSelect != nil {
		p.onSelect(best)
	}
}

// circleRadius is a hotspot's circle on screen: its radius, but never so
// small a finger misses it.
func (p *hotspotPlot) circleRadius(h streetdesk.Hotspot) float32 {
	return max(float32(h.RadiusM/p.mpp)+plotDot+2, 12)
}

// CreateRenderer implements fyne.Widget.
func (p *hotspotPlot) CreateRenderer() fyne.WidgetRenderer {
	r := &plotRenderer{p: p, bg: &canvas.Rectangle{}, empty: &canvas.Text{Alignment: fyne.TextAlignCenter}}
	r.raster = canvas.NewRaster(r.draw)
	r.raster.ScaleMode = canvas.ImageScalePixels
	return r
}

type plotRenderer struct {
	p      *hotspotPlot
	bg     *canvas.Rectangle
	raster *canvas.Raster
	empty  *canvas.Text
	over   []fyne.CanvasObject // outlines, labels, circles, legend, scale: rebuilt on refresh
}

func (r *plotRenderer) Objects() []fyne.CanvasObject {
	return append([]fyne.CanvasObject{r.bg, r.raster, r.empty}, r.over...)
}

func (r *plotRenderer) MinSize() fyne.Size { return fyne.NewSize(160, 120) }

func (r *plotRenderer) Destroy() {}

func (r *plotRenderer) Layout(size fyne.Size) {
	p := r.p
	if size != p.size {
		p.size = size
		if !p.moved {
			p.fitted = false
		}
	}
	if !p.fitted && size.Width > 0 {
		p.fit()
	}
	r.bg.Resize(size)
	r.raster.Resize(size)
	r.empty.Move(fyne.NewPos(size.Width/2, size.Height/2-10))
	r.build()
}

func (r *plotRenderer) Refresh() {
	r.bg.FillColor = themeColor(theme.ColorNameInputBackground)
	r.empty.Color = themeColor(theme.ColorNamePlaceHolder)
	r.empty.Text = ""
	if len(r.p.pts) == 0 {
		r.empty.Text = tr("hotspots.plotEmpty", "No orders with coordinates in this window")
	}
	r.Layout(r.p.size)
	for _, o := range r.Objects() {
		o.Refresh()
	}
}

// l1Colors tell the duty list's level-1 groups apart on light and dark
// backgrounds alike.
var l1Colors = map[string]color.NRGBA{
	"01": {0xe4, 0x57, 0x2e, 0xff}, // 噪声污染
	"02": {0xe0, 0x9a, 0x00, 0xff}, // 市容环境
	"03": {0x3e, 0x8e, 0xd0, 0xff}, // 交通运输
	"04": {0x17, 0xae, 0xab, 0xff}, // 水务
	"05": {0x4c, 0xaf, 0x50, 0xff}, // 园林绿化
	"06": {0x9c, 0x6a, 0xde, 0xff}, // 住房物业
	"07": {0xd6, 0x5d, 0xb1, 0xff}, // 市场监管
	"08": {0x9a, 0x7b, 0x6c, 0xff}, // 社会治理
	"09": {0x78, 0x90, 0x9c, 0xff}, // 建议
}

func l1Color(code string) color.NRGBA {
	if c, ok := l1Colors[code]; ok {
		return c
	}
	return color.NRGBA{0x9e, 0x9e, 0x9e, 0xff}
}

// draw paints the dots: many orders are cheaper as pixels than as
// canvas objects. Dots of hotspot members are drawn last and larger.
func (r *plotRenderer) draw(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	p := r.p
	if p.size.Width <= 0 || len(p.pts) == 0 {
		return img
	}
	sx, sy := float64(w)/float64(p.size.Width), float64(h)/float64(p.size.Height)
	order := make([]int, len(p.pts))
	for i := range order {
		order[i] = i
	}
	// Others first, then members, then the selected hotspot's.
	rank := func(i int) int {
		switch k := p.pts[i].Hotspot; {
		case k < 0:
			return 0
		case k == p.sel:
			return 2
		}
		return 1
	}
	sort.SliceStable(order, func(a, b int) bool { return rank(order[a]) < rank(order[b]) })
	for _, i := range order {
		pt := p.pts[i]
		x, y := p.project(pt.Lat, pt.Lng)
		rad := plotDot
		c := l1Color(pt.L1Code)
		switch rank(i) {
		case 0:
			c.A = 0xb0
		case 2:
			rad += 1.5
		}
		disc(img, float64(x)*sx, float64(y)*sy, rad*sx, c)
	}
	return img
}

// disc fills a circle of radius rad at (cx, cy), softening its edge.
func disc(img *image.NRGBA, cx, cy, rad float64, c color.NRGBA) {
	b := img.Bounds()
	for y := int(cy - rad - 1); y <= int(cy+rad+1); y++ {
		for x := int(cx - rad - 1); x <= int(cx+rad+1); x++ {
			if !(image.Point{x, y}.In(b)) {
				continue
			}
			d := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy)
			cover := math.Min(1, math.Max(0, rad+0.5-d))
			if cover <= 0 {
				continue
			}
			a := uint8(float64(c.A) * cover)
			if a > img.NRGBAAt(x, y).A {
				img.SetNRGBA(x, y, color.NRGBA{c.R, c.G, c.B, a})
			}
		}
	}
}

// build makes the vector layers for the current view.
func (r *plotRenderer) build() {
	p := r.p
	r.over = r.over[:0]
	if p.size.Width <= 0 {
		return
	}
	fg := themeColor(theme.ColorNameForeground)
	muted := themeColor(theme.ColorNamePlaceHolder)
	small := theme.CaptionTextSize()

	// Street offices: the hull of their orders, named at its top.
	byOffice := map[string][][2]float64{}
	byComm := map[string][][2]float64{}
	for _, pt := range p.pts {
		byOffice[pt.StreetOffice] = append(byOffice[pt.StreetOffice], [2]float64{pt.Lng, pt.Lat})
		if pt.Community != "" {
			byComm[pt.StreetOffice+"\x00"+pt.Community] = append(byComm[pt.StreetOffice+"\x00"+pt.Community], [2]float64{pt.Lng, pt.Lat})
		}
	}
	outline := withAlpha(muted, 0x90)
	for _, name := range sortedKeys(byOffice) {
		hull := convexHull(byOffice[name])
		if len(hull) < 3 {
			continue
		}
		top := fyne.NewPos(0, float32(math.MaxFloat32))
		for i := range hull {
			a, b := hull[i], hull[(i+1)%len(hull)]
			x1, y1 := p.project(a[1], a[0])
			x2, y2 := p.project(b[1], b[0])
			l := canvas.NewLine(outline)
			l.StrokeWidth = 1
			l.Position1, l.Position2 = fyne.NewPos(x1, y1), fyne.NewPos(x2, y2)
			r.over = append(r.over, l)
			if y1 < top.Y {
				top = fyne.NewPos(x1, y1)
			}
		}
		if name != "" {
			t := canvas.NewText(name, muted)
			t.TextSize, t.TextStyle = small, fyne.TextStyle{Bold: true}
			ts := t.MinSize()
			t.Move(fyne.NewPos(top.X-ts.Width/2, top.Y-ts.Height-2))
			t.Resize(ts)
			r.over = append(r.over, t)
		}
	}

	// Communities: a label at the middle of their orders, biggest first,
	// skipped where it would cover another.
	type label struct {
		name string
		n    int
		x, y float32
	}
	var labels []label
	for k, ps := range byComm {
		var sLat, sLng float64
		for _, q := range ps {
			sLng += q[0]
			sLat += q[1]
		}
		x, y := p.project(sLat/float64(len(ps)), sLng/float64(len(ps)))
		_, name := splitKey(k)
		labels = append(labels, label{name, len(ps), x, y})
	}
	slices.SortFunc(labels, func(a, b label) int {
		if a.n != b.n {
			return b.n - a.n
		}
		if a.name < b.name {
			return -1
		}
		if a.name > b.name {
			return 1
		}
		return 0
	})
	var taken []fyne.Position // top-left and bottom-right pairs
	for _, l := range labels {
		t := canvas.NewText(l.name, withAlpha(fg, 0xa0))
		t.TextSize = small
		ts := t.MinSize()
		tl := fyne.NewPos(l.x-ts.Width/2, l.y-ts.Height/2)
		br := fyne.NewPos(tl.X+ts.Width, tl.Y+ts.Height)
		if tl.X < 0 || tl.Y < 0 || br.X > p.size.Width || br.Y > p.size.Height || overlaps(taken, tl, br) {
			continue
		}
		taken = append(taken, tl, br)
		t.Move(tl)
		t.Resize(ts)
		r.over = append(r.over, t)
	}

	// Hotspots: a circle each, numbered as in the list; the selected one
	// in the theme's primary colour.
	for i := len(p.hs) - 1; i >= 0; i-- { // the biggest on top
		h := p.hs[i]
		if !h.HasCentre {
			continue
		}
		x, y := p.project(h.Lat, h.Lng)
		rad := p.circleRadius(h)
		c := l1Color(h.Category.L1Code)
		circle := &canvas.Circle{FillColor: color.NRGBA{c.R, c.G, c.B, 0x26}, StrokeColor: c, StrokeWidth: 2}
		if i == p.sel {
			circle.StrokeColor, circle.StrokeWidth = themeColor(theme.ColorNamePrimary), 3.5
		}
		circle.Move(fyne.NewPos(x-rad, y-rad))
		circle.Resize(fyne.NewSize(2*rad, 2*rad))
		num := canvas.NewText(strconv.Itoa(i+1), fg)
		num.TextStyle, num.TextSize = fyne.TextStyle{Bold: true}, theme.TextSize()
		ns := num.MinSize()
		num.Move(fyne.NewPos(x+rad*0.7, y-rad*0.7-ns.Height))
		num.Resize(ns)
		r.over = append(r.over, circle, num)
	}

	r.over = append(r.over, r.legend(fg, small)...)
	r.over = append(r.over, r.scaleBar(fg, small)...)
}

// legend lists the level-1 groups on the plot with their colour, top left.
func (r *plotRenderer) legend(fg color.Color, size float32) []fyne.CanvasObject {
	present := map[string]bool{}
	for _, pt := range r.p.pts {
		present[pt.L1Code] = true
	}
	var out []fyne.CanvasObject
	y := float32(6)
	for _, l1 := range streetdesk.SampleTaxonomy().Level1() {
		if !present[l1[0]] {
			continue
		}
		sw := &canvas.Circle{FillColor: l1Color(l1[0])}
		sw.Move(fyne.NewPos(8, y+4))
		sw.Resize(fyne.NewSize(9, 9))
		t := canvas.NewText(level1Label(l1[0], l1[1]), fg)
		t.TextSize = size
		ts := t.MinSize()
		t.Move(fyne.NewPos(22, y))
		t.Resize(ts)
		out = append(out, sw, t)
		y += ts.Height + 1
	}
	return out
}

// level1Label names a level-1 group in the user's language: the duty
// list's own (Chinese) name, or the English words on English desks.
func level1Label(code, name string) string {
	if langCode() != "en" {
		return name
	}
	return tr("hotspots.l1."+code, name)
}

// scaleBar draws a bar of a round length, bottom left.
func (r *plotRenderer) scaleBar(fg color.Color, size float32) []fyne.CanvasObject {
	p := r.p
	target := 110 * p.mpp // metres in about 110 px
	length := 1.0
	for _, s := range []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000} {
		if s <= target {
			length = s
		}
	}
	px := float32(length / p.mpp)
	y := p.size.Height - 10
	bar := canvas.NewLine(fg)
	bar.StrokeWidth = 2
	bar.Position1, bar.Position2 = fyne.NewPos(10, y), fyne.NewPos(10+px, y)
	tick1, tick2 := canvas.NewLine(fg), canvas.NewLine(fg)
	tick1.Position1, tick1.Position2 = fyne.NewPos(10, y-5), fyne.NewPos(10, y)
	tick2.Position1, tick2.Position2 = fyne.NewPos(10+px, y-5), fyne.NewPos(10+px, y)
	t := canvas.NewText(distanceText(length), fg)
	t.TextSize = size
	ts := t.MinSize()
	t.Move(fyne.NewPos(14+px, y-ts.Height+2))
	t.Resize(ts)
	return []fyne.CanvasObject{bar, tick1, tick2, t}
}

// distanceText is "300 米" / "1.5 km".
func distanceText(m float64) string {
	if m >= 1000 {
		return tr("hotspots.km", "{{.N}} km", map[string]string{"N": strconv.FormatFloat(m/1000, 'f', -1, 64)})
	}
	return tr("hotspots.metres", "{{.N}} m", map[string]string{"N": fmt.Sprintf("%.0f", m)})
}

func withAlpha(c color.Color, a uint8) color.NRGBA {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = a
	return n
}

func overlaps(taken []fyne.Position, tl, br fyne.Position) bool {
	for i := 0; i+1 < len(taken); i += 2 {
		a, b := taken[i], taken[i+1]
		if tl.X < b.X && br.X > a.X && tl.Y < b.Y && br.Y > a.Y {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func splitKey(k string) (string, string) {
	for i := 0; i < len(k); i++ {
		if k[i] == 0 {
			return k[:i], k[i+1:]
		}
	}
	return "", k
}

// convexHull returns the hull of points (x, y) counter-clockwise (Andrew's
// monotone chain).
func convexHull(pts [][2]float64) [][2]float64 {
	ps := slices.Clone(pts)
	slices.SortFunc(ps, func(a, b [2]float64) int {
		if a[0] != b[0] {
			if a[0] < b[0] {
				return -1
			}
			return 1
		}
		if a[1] < b[1] {
			return -1
		}
		if a[1] > b[1] {
			return 1
		}
		return 0
	})
	ps = slices.Compact(ps)
	if len(ps) < 3 {
		return ps
	}
	cross := func(o, a, b [2]float64) float64 { return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0]) }
	var h [][2]float64
	for _, p := range ps {
		for len(h) >= 2 && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	lower := len(h) + 1
	for i := len(ps) - 2; i >= 0; i-- {
		p := ps[i]
		for len(h) >= lower && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	return h[:len(h)-1]
}
