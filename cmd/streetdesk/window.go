package main

import (
	"image"
	"math"

	"fyne.io/fyne/v2"
	"github.com/go-gl/glfw/v3.3/glfw"
)

// The window opens at a size that fits the screen it opens on (filling it
// on small screens such as 1366×768 and 1024×768 laptops) and where each
// user last left it. The content's minimum size is kept below 1024×600
// (see ui), so Fyne never has to grow the window by itself.

// windowPlace is where a user's window was when they closed it or signed
// out: its size in Fyne units and, where the platform tells (X11,
// Windows), the top-left corner in screen pixels.
type windowPlace struct {
	Width     float32 `json:"width"`
	Height    float32 `json:"height"`
	X         int     `json:"x"`
	Y         int     `json:"y"`
	HasPos    bool    `json:"hasPos"`
	Maximized bool    `json:"maximized,omitempty"`
}

// Screen sizes below which the window fills the screen, in Fyne units.
const (
	fillBelowW = 1440
	fillBelowH = 900
	defaultW   = 1280
	defaultH   = 800
	// frameAllowance is what a window manager's title bar and borders take
	// around the content, in pixels: a window filling the work area must
	// leave room for them.
	frameAllowanceW = 16
	frameAllowanceH = 40
	// The smallest window we open: the content's minimum.
	minW = 800
	minH = 560
)

// fitPlace decides the window's size (units) and, when known, position
// (pixels) for a screen work area given in pixels at scale (pixels per
// unit): the saved place when it still fits the screen, else the whole work
// area on a small screen, else 1280×800 centred.
func fitPlace(saved *windowPlace, area image.Rectangle, scale float32) (size fyne.Size, pos image.Point, hasPos, fill bool) {
	if scale <= 0 {
		scale = 1
	}
	units := func(px int) float32 { return float32(px) / scale }
	aw, ah := units(area.Dx()-frameAllowanceW), units(area.Dy()-frameAllowanceH)
	if area.Empty() { // no screen information: a size that fits 1024×768
		return fyne.NewSize(minW+200, minH+100), image.Point{}, false, false
	}
	if saved != nil && saved.Width >= minW && saved.Height >= minH && saved.Width <= aw+1 && saved.Height <= ah+1 && !saved.Maximized {
		size = fyne.NewSize(saved.Width, saved.Height)
		p := image.Pt(saved.X, saved.Y)
		w, h := int(math.Ceil(float64(saved.Width*scale))), int(math.Ceil(float64(saved.Height*scale)))
		if saved.HasPos && p.In(area) && p.X+w <= area.Max.X && p.Y+h <= area.Max.Y {
			return size, p, true, false
		}
		return size, centre(area, w, h), true, false
	}
	if aw < fillBelowW || ah < fillBelowH || saved != nil && saved.Maximized {
		return fyne.NewSize(max(aw, minW), max(ah, minH)), area.Min, true, true
	}
	w, h := int(defaultW*scale), int(defaultH*scale)
	return fyne.NewSize(defaultW, defaultH), centre(area, w, h), true, false
}

func centre(area image.Rectangle, w, h int) image.Point {
	return image.Pt(area.Min.X+max(area.Dx()-w, 0)/2, area.Min.Y+max(area.Dy()-h, 0)/2)
}

// workArea is the usable part (without task bars) of the monitor holding
// p, or of the primary monitor, in pixels. It calls GLFW, so it must run on
// the main goroutine once Fyne has created a window.
func workArea(p *image.Point) image.Rectangle {
	var best *glfw.Monitor
	for _, m := range glfw.GetMonitors() {
		x, y, w, h := m.GetWorkarea()
		if p != nil && p.In(image.Rect(x, y, x+w, y+h)) {
			best = m
		}
	}
	if best == nil {
		best = glfw.GetPrimaryMonitor()
	}
	if best == nil {
		return image.Rectangle{}
	}
	x, y, w, h := best.GetWorkarea()
	return image.Rect(x, y, x+w, y+h)
}

// placeWindow sizes and moves w for saved once the window exists (its
// scale is known only then). Call it on the main goroutine.
func placeWindow(w fyne.Window, saved *windowPlace) {
	var at *image.Point
	if saved != nil && saved.HasPos {
		at = &image.Point{X: saved.X, Y: saved.Y}
	}
	size, pos, hasPos, fill := fitPlace(saved, workArea(at), w.Canvas().Scale())
	w.Resize(size)
	if hasPos {
		setWindowPos(w, pos)
	}
	if fill {
		maximizeWindow(w)
	}
}

// currentPlace reads where w is now. Call it on the main goroutine while
// the window is open.
func currentPlace(w fyne.Window) windowPlace {
	s := w.Canvas().Size()
	p := windowPlace{Width: float32(math.Round(float64(s.Width))), Height: float32(math.Round(float64(s.Height)))}
	if pos, ok := windowPos(w); ok {
		p.X, p.Y, p.HasPos = pos.X, pos.Y, true
	}
	p.Maximized = windowMaximized(w)
	return p
}
