package ui

import (
	"fmt"
	"math"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// farFromOrder is the distance beyond which a photo's place is suspicious.
const farFromOrder = 500.0 // metres

// photoViewer shows an order's photos large, one at a time, with zoom, the
// EXIF time and place, and a warning when a photo was taken far from the
// order. The Desk's files are already orientation-corrected. Keys: Esc
// closes, ←/→ go through the photos, +/− zoom, 0 fits.
type photoViewer struct {
	pop     *widget.PopUp
	img     *canvas.Image
	scroll  *container.Scroll
	zoom    float32 // 1 = fit
	info    *widget.Label
	warning *widget.Label
	count   *widget.Label // 2 / 5
	zoomIn  *widget.Button
	zoomOut *widget.Button
	fit     *widget.Button
	prev    *widget.Button
	next    *widget.Button
	close   *widget.Button
	keys    *keyTrap
	photos  []streetdesk.LocalPhoto
	index   int
	photo   streetdesk.LocalPhoto
	loc     streetdesk.Location
}

func (v *detailView) openPhoto(i int) {
	if v.det == nil || i < 0 || i >= len(v.det.Photos) {
		return
	}
	v.viewer = showPhotoViewer(v.u.w, v.det.Photos, i, v.det.Order.Location)
}

// showPhotoViewer opens the viewer on photos[i]; loc is the order's place
// for the distance warning.
func showPhotoViewer(w fyne.Window, photos []streetdesk.LocalPhoto, i int, loc streetdesk.Location) *photoViewer {
	pv := &photoViewer{photos: photos, loc: loc, zoom: 1}
	pv.img = &canvas.Image{FillMode: canvas.ImageFillContain, ScaleMode: canvas.ImageScaleSmooth}
	pv.info = &widget.Label{Wrapping: fyne.TextWrapWord}
	pv.warning = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	pv.count = &widget.Label{}
	pv.zoomIn = &widget.Button{Icon: theme.ZoomInIcon(), OnTapped: func() { pv.setZoom(pv.zoom * 1.5) }}
	pv.zoomOut = &widget.Button{Icon: theme.ZoomOutIcon(), OnTapped: func() { pv.setZoom(pv.zoom / 1.5) }}
	pv.fit = &widget.Button{Icon: theme.ZoomFitIcon(), OnTapped: func() { pv.setZoom(1) }}
	pv.prev = &widget.Button{Icon: theme.NavigateBackIcon(), OnTapped: func() { pv.show(pv.index - 1) }}
	pv.next = &widget.Button{Icon: theme.NavigateNextIcon(), OnTapped: func() { pv.show(pv.index + 1) }}
	pv.close = &widget.Button{Text: tr("button.close", "Close"), OnTapped: func() { pv.pop.Hide() }}
	pv.keys = newKeyTrap(pv.close.OnTapped, nil)
	pv.keys.onKey, pv.keys.onRune = pv.onKey, pv.onRune
	pv.scroll = container.NewScroll(pv.img)
	bar := container.NewBorder(nil, nil, container.NewHBox(pv.prev, pv.count, pv.next, pv.zoomOut, pv.fit, pv.zoomIn, pv.keys), pv.close, pv.info)
	content := container.NewBorder(nil, container.NewVBox(pv.warning, bar), nil, nil, pv.scroll)
	pv.pop = widget.NewModalPopUp(content, w.Canvas())
	size := w.Canvas().Size()
	pv.pop.Resize(fyne.NewSize(size.Width*0.9, size.Height*0.9))
	pv.show(i)
	pv.pop.Show()
	w.Canvas().Focus(pv.keys)
	return pv
}

// show puts photos[i] in the viewer, fitted.
func (pv *photoViewer) show(i int) {
	if i < 0 || i >= len(pv.photos) {
		return
	}
	pv.index, pv.photo = i, pv.photos[i]
	p := pv.photo
	src := photoImage(p.Path, 0)
	pv.img.File, pv.img.Resource, pv.img.Image = src.File, src.Resource, src.Image
	pv.info.SetText(photoInfo(p))
	if m, ok := photoDistance(p, pv.loc); ok && m > farFromOrder {
		pv.warning.SetText(tr("photo.far", "⚠ This photo was taken {{.D}} from the order's location.", map[string]string{"D": formatDistance(m)}))
		pv.warning.Show()
	} else {
		pv.warning.SetText("")
		pv.warning.Hide()
	}
	pv.count.SetText(fmt.Sprintf("%d / %d", i+1, len(pv.photos)))
	pv.count.Hidden = len(pv.photos) < 2
	pv.prev.Hidden, pv.next.Hidden = len(pv.photos) < 2, len(pv.photos) < 2
	if i == 0 {
		pv.prev.Disable()
	} else {
		pv.prev.Enable()
	}
	if i == len(pv.photos)-1 {
		pv.next.Disable()
	} else {
		pv.next.Enable()
	}
	pv.setZoom(1)
	pv.img.Refresh()
}

func (pv *photoViewer) onKey(ev *fyne.KeyEvent) bool {
	switch ev.Name {
	case fyne.KeyLeft, fyne.KeyPageUp:
		pv.show(pv.index - 1)
	case fyne.KeyRight, fyne.KeyPageDown, fyne.KeySpace:
		pv.show(pv.index + 1)
	default:
		return false
	}
	return true
}

// onRune zooms: + (or =) in, − out, 0 to fit. Characters, not keys, so a
// keyboard layout's + works wherever it is.
func (pv *photoViewer) onRune(r rune) {
	switch r {
	case '+', '=':
		pv.setZoom(pv.zoom * 1.5)
	case '-', '−':
		pv.setZoom(pv.zoom / 1.5)
	case '0':
		pv.setZoom(1)
	}
}

// setZoom sizes the image: 1 fits the view, more scrolls.
func (pv *photoViewer) setZoom(z float32) {
	pv.zoom = min(max(z, 1), 8)
	view := pv.scroll.Size()
	if view.Width <= 0 {
		view = fyne.NewSize(640, 420)
	}
	pv.img.SetMinSize(fyne.NewSize(view.Width*(pv.zoom)-2, view.Height*(pv.zoom)-2))
	if pv.zoom == 1 {
		pv.img.SetMinSize(fyne.NewSize(1, 1))
	}
	pv.scroll.Refresh()
	pv.zoomOut.Disable()
	if pv.zoom > 1 {
		pv.zoomOut.Enable()
	}
}

func photoInfo(p streetdesk.LocalPhoto) string {
	lc := langCode()
	var parts []string
	if t := tagLabel(p.Tag); t != "" {
		parts = append(parts, t)
	}
	if p.Caption != "" {
		parts = append(parts, p.Caption)
	}
	if !p.TakenAt.IsZero() {
		parts = append(parts, tr("photo.taken", "taken {{.T}}", map[string]string{"T": p.TakenAt.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04")}))
	} else {
		parts = append(parts, tr("photo.noTime", "no capture time"))
	}
	if p.Lat != 0 || p.Lng != 0 {
		parts = append(parts, fmt.Sprintf("(%.5f, %.5f)", p.Lat, p.Lng))
	} else {
		parts = append(parts, tr("photo.noPlace", "no location"))
	}
	if p.Width > 0 {
		parts = append(parts, fmt.Sprintf("%d×%d", p.Width, p.Height))
	}
	if m := syncMark(p.Sync); m != "" {
		parts = append(parts, m)
	}
	_ = lc
	return strings.Join(parts, " · ")
}

// photoDistance is the great-circle distance in metres between the photo's
// EXIF place and the order's coordinates, when both are known.
func photoDistance(p streetdesk.LocalPhoto, loc streetdesk.Location) (float64, bool) {
	if (p.Lat == 0 && p.Lng == 0) || (loc.Lat == 0 && loc.Lng == 0) {
		return 0, false
	}
	const r = 6371000.0
	rad := math.Pi / 180
	dlat := (loc.Lat - p.Lat) * rad
	dlng := (loc.Lng - p.Lng) * rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(p.Lat*rad)*math.Cos(loc.Lat*rad)*math.Sin(dlng/2)*math.Sin(dlng/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a))), true
}

func formatDistance(m float64) string {
	if m >= 1000 {
		return fmt.Sprintf("%.1f km", m/1000)
	}
	return fmt.Sprintf("%.0f m", m)
}
