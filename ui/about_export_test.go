package ui

import "fyne.io/fyne/v2/widget"

// AboutParts are the About box's and the update notice's widgets.
type AboutParts struct {
	Notice, Button                 *widget.Button // in the sync bar
	Open                           bool           // the box is showing
	Update                         *widget.Label
	Bar                            *widget.ProgressBar
	Fetch, Reveal, OpenDir, Closer *widget.Button
}

// About returns the About box's widgets.
func (u *UI) About() AboutParts {
	a := u.about
	return AboutParts{Notice: a.notice, Button: a.button, Open: a.pop != nil && a.pop.Visible(),
		Update: a.update, Bar: a.bar, Fetch: a.fetch, Reveal: a.reveal, OpenDir: a.openDir, Closer: a.close}
}
