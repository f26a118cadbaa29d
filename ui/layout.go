package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Shared pieces that keep every screen inside a small window: text that
// ends in "…" instead of running past its column, a tighter theme for
// dense headers, and an action bar that folds what does not fit into a
// "more" menu. Whatever the content, the window's minimum size stays small
// enough that Fyne never grows the window by itself.

// ellipsize returns s shortened to fit width at the given size and style,
// ending in "…" when anything was cut.
func ellipsize(s string, size float32, style fyne.TextStyle, width float32) string {
	if s == "" || fyne.MeasureText(s, size, style).Width <= width {
		return s
	}
	rs := []rune(s)
	// The longest prefix that fits with the ellipsis: binary search.
	lo, hi := 0, len(rs)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fyne.MeasureText(string(rs[:mid])+"…", size, style).Width <= width {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		return "…"
	}
	return string(rs[:lo]) + "…"
}

// compactTheme is the app's theme with less padding, for headers that
// must not take a third of a small screen. It reads the current theme on
// every call so a light/dark switch reaches it.
type compactTheme struct{}

func current() fyne.Theme {
	if a := fyne.CurrentApp(); a != nil {
		return a.Settings().Theme()
	}
	return theme.DefaultTheme()
}

func (compactTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return current().Color(n, v)
}
func (compactTheme) Font(s fyne.TextStyle) fyne.Resource     { return current().Font(s) }
func (compactTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return current().Icon(n) }
func (compactTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameInnerPadding:
		return 3
	case theme.SizeNamePadding:
		return 2
	}
	return current().Size(n)
}

// actionBar lays buttons out in one row, in their order. When the row is
// too narrow, the least important ones (those listed last in keep) move
// into a "more" menu at the end of the row, so the bar's minimum width is
// that of its most important button and the menu.
type actionBar struct {
	widget.BaseWidget
	buttons []*widget.Button
	keep    []int // indexes of buttons, most important first
	more    *widget.Button
	hidden  []*widget.Button // folded into the menu at the last layout
	canvas  func() fyne.Canvas
}

func newActionBar(c func() fyne.Canvas) *actionBar {
	a := &actionBar{canvas: c}
	a.more = &widget.Button{Text: tr("action.more", "More…"), Icon: theme.MoreHorizontalIcon(), OnTapped: a.showMenu}
	a.ExtendBaseWidget(a)
	return a
}

// set replaces the buttons; keep orders them by importance (indexes into
// buttons, the rest follow in order).
func (a *actionBar) set(buttons []*widget.Button, keep []int) {
	a.buttons, a.keep = buttons, keep
	seen := map[int]bool{}
	for _, i := range keep {
		seen[i] = true
	}
	for i := range buttons {
		if !seen[i] {
			a.keep = append(a.keep, i)
		}
	}
	a.Refresh()
}

// folded returns the buttons in the "more" menu at the last layout.
func (a *actionBar) folded() []*widget.Button { return a.hidden }

func (a *actionBar) showMenu() {
	if len(a.hidden) == 0 || a.canvas == nil {
		return
	}
	var items []*fyne.MenuItem
	for _, b := range a.hidden {
		items = append(items, fyne.NewMenuItem(b.Text, b.OnTapped))
	}
	c := a.canvas()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(a.more)
	widget.ShowPopUpMenuAtPosition(fyne.NewMenu("", items...), c, pos.Add(fyne.NewPos(0, a.more.Size().Height)))
}

func (a *actionBar) CreateRenderer() fyne.WidgetRenderer { return &actionBarRenderer{a: a} }

type actionBarRenderer struct{ a *actionBar }

func (r *actionBarRenderer) Objects() []fyne.CanvasObject {
	out := make([]fyne.CanvasObject, 0, len(r.a.buttons)+1)
	for _, b := range r.a.buttons {
		out = append(out, b)
	}
	return append(out, r.a.more)
}

func (r *actionBarRenderer) MinSize() fyne.Size {
	a := r.a
	h := a.more.MinSize().Height
	w := float32(0)
	if len(a.keep) > 0 {
		w = a.buttons[a.keep[0]].MinSize().Width
		if len(a.buttons) > 1 {
			w += theme.Padding() + a.more.MinSize().Width
		}
	}
	for _, b := range a.buttons {
		h = max(h, b.MinSize().Height)
	}
	return fyne.NewSize(w, h)
}

func (r *actionBarRenderer) Layout(size fyne.Size) {
	a := r.a
	pad := theme.Padding()
	total := float32(0)
	for i, b := range a.buttons {
		if i > 0 {
			total += pad
		}
		total += b.MinSize().Width
	}
	show := make([]bool, len(a.buttons))
	if total <= size.Width {
		for i := range show {
			show[i] = true
		}
	} else {
		room := size.Width - a.more.MinSize().Width - pad
		for n, i := range a.keep {
			w := a.buttons[i].MinSize().Width
			if n > 0 {
				w += pad
			}
			if w > room && n > 0 {
				break
			}
			room -= w
			show[i] = true
		}
	}
	a.hidden = a.hidden[:0]
	x := float32(0)
	for i, b := range a.buttons {
		b.Hidden = !show[i]
		if !show[i] {
			a.hidden = append(a.hidden, b)
			continue
		}
		ms := b.MinSize()
		b.Move(fyne.NewPos(x, (size.Height-ms.Height)/2))
		b.Resize(ms)
		x += ms.Width + pad
	}
	a.more.Hidden = len(a.hidden) == 0
	if !a.more.Hidden {
		ms := a.more.MinSize()
		a.more.Move(fyne.NewPos(x, (size.Height-ms.Height)/2))
		a.more.Resize(ms)
	}
}

func (r *actionBarRenderer) Refresh() {
	r.Layout(r.a.Size())
	for _, o := range r.Objects() {
		o.Refresh()
	}
}

func (r *actionBarRenderer) Destroy() {}
