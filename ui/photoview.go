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

// photoViewer shows one photo large, with zoom, its EXIF time and place, and
// a warning when it was taken far from the order. The Desk's files are
// already orientation-corrected.
type photoViewer struct {
	pop     *widget.PopUp
	img     *canvas.Image
	scroll  *container.Scroll
	zoom    float32 // 1 = fit
	info    *widget.Label
	warning *widget.Label
	zoomIn  *widget.Button
	zoomOut *widget.Button
	fit     *widget.Button
	close   *widget.Button
	photo   streetdesk.LocalPhoto
}

func (v *detailView) openPhoto(i int) {
	if v.det == nil || i < 0 || i >= len(v.det.Photos) {
		return
	}
	p := v.det.Photos[i]
	pv := &photoViewer{photo: p, zoom: 1}
	pv.img = photoImage(p.Path, 0)
	pv.img.FillMode = canvas.ImageFillContain
	pv.img.ScaleMode = canvas.ImageScaleSmooth
	pv.info = &widget.Label{Wrapping: fyne.TextWrapWord, Text: photoInfo(p)}
	pv.warning = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	loc := v.det.Order.Location
	if m, ok := photoDistance(p, loc); ok && m > farFromOrder {
		pv.warning.SetText(tr("photo.far", "⚠ This photo was taken {{.D}} from the order's location.", map[string]string{"D": formatDistance(m)}))
	} else {
		pv.warning.Hide()
	}
	pv.zoomIn = &widget.Button{Icon: theme.ZoomInIcon(), OnTapped: func() { pv.setZoom(pv.zoom * 1.5) }}
	pv.zoomOut = &widget.Button{Icon: theme.ZoomOutIcon(), OnTapped: func() { pv.setZoom(pv.zoom / 1.5) }}
	pv.fit = &widget.Button{Icon: theme.ZoomFitIcon(), OnTapped: func() { pv.setZoom(1) }}
	pv.close = &widget.Button{Text: tr("button.close", "Close"), OnTapped: func() { pv.pop.Hide() }}
	pv.scroll = container.NewScroll(pv.img)
	bar := container.NewBorder(nil, nil, container.NewHBox(pv.zoomOut, pv.fit, pv.zoomIn), pv.close, pv.info)
	content := container.NewBorder(nil, container.NewVBox(pv.warning, bar), nil, nil, pv.scroll)
	pv.pop = widget.NewModalPopUp(content, v.u.w.Canvas())
	size := v.u.w.Canvas().Size()
	pv.pop.Resize(fyne.NewSize(size.Width*0.9, size.Height*0.9))
	pv.setZoom(1)
	pv.pop.Show()
	v.viewer = pv
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
