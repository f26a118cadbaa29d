package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// Every screen works from the keyboard alone. Fyne gives each key to the
// focused widget and nothing else, and its dialogs know no Esc, so:
//
//   - text fields in our dialogs are deskEntry: Esc closes the dialog,
//     Ctrl+Enter saves it (Enter in a one-line field too), and the window's
//     shortcuts (Ctrl+F/N/S) pass through instead of being swallowed;
//   - popups without a text field take the focus with a keyTrap: Esc closes,
//     Enter does the default action, other keys (a photo's ←/→, +/−) go to
//     the popup;
//   - with nothing focused, the window's own key handler closes the top
//     popup on Esc.

// deskEntry is a text field that passes the window's keys on.
type deskEntry struct {
	widget.Entry
	onEsc    func()                   // Esc: close the dialog (or clear, for a search box)
	onSave   func()                   // Ctrl+Enter (and Enter in a one-line field)
	onDown   func() bool              // ↓ in a one-line field (a search box moves to its list)
	passKeys func(fyne.Shortcut) bool // the window's shortcuts
}

// newDeskEntry readies d (built as a literal, &deskEntry{Entry: …}).
func newDeskEntry(d *deskEntry) *deskEntry {
	d.ExtendBaseWidget(d)
	return d
}

func (e *deskEntry) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyEscape:
		if e.onEsc != nil {
			e.onEsc()
			return
		}
	case fyne.KeyReturn, fyne.KeyEnter:
		if !e.MultiLine && e.OnSubmitted == nil && e.onSave != nil {
			e.onSave()
			return
		}
	case fyne.KeyDown:
		if !e.MultiLine && e.onDown != nil && e.onDown() {
			return
		}
	}
	e.Entry.TypedKey(ev)
}

func (e *deskEntry) TypedShortcut(s fyne.Shortcut) {
	if cs, ok := s.(*desktop.CustomShortcut); ok && isEnter(cs.KeyName) && cs.Modifier == fyne.KeyModifierShortcutDefault && e.onSave != nil {
		e.onSave()
		return
	}
	if e.passKeys != nil && e.passKeys(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}

func isEnter(k fyne.KeyName) bool { return k == fyne.KeyReturn || k == fyne.KeyEnter }

// keyTrap is an invisible focusable widget that gives a popup its keys.
type keyTrap struct {
	widget.BaseWidget
	onEsc   func()
	onEnter func()
	onKey   func(*fyne.KeyEvent) bool // any other key; true when handled
	onRune  func(rune)                // a typed character (+, −, 0 …)
	focused bool
}

func newKeyTrap(onEsc, onEnter func()) *keyTrap {
	k := &keyTrap{onEsc: onEsc, onEnter: onEnter}
	k.ExtendBaseWidget(k)
	return k
}

func (k *keyTrap) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewWithoutLayout())
}
func (k *keyTrap) MinSize() fyne.Size { return fyne.Size{} }
func (k *keyTrap) FocusGained()       { k.focused = true }
func (k *keyTrap) FocusLost()         { k.focused = false }
func (k *keyTrap) TypedRune(r rune) {
	if k.onRune != nil {
		k.onRune(r)
	}
}
func (k *keyTrap) TypedKey(ev *fyne.KeyEvent) {
	switch {
	case ev.Name == fyne.KeyEscape && k.onEsc != nil:
		k.onEsc()
	case isEnter(ev.Name) && k.onEnter != nil:
		k.onEnter()
	case k.onKey != nil:
		k.onKey(ev)
	}
}

// wireKeys gives every deskEntry under o the dialog's keys: Esc cancels,
// Ctrl+Enter (or Enter in a one-line field) saves, and pass gets the other
// shortcuts (nil: the field's own).
func wireKeys(o fyne.CanvasObject, cancel, save func(), pass func(fyne.Shortcut) bool) {
	switch x := o.(type) {
	case *deskEntry:
		x.onEsc, x.onSave, x.passKeys = cancel, save, pass
	case *fyne.Container:
		for _, c := range x.Objects {
			wireKeys(c, cancel, save, pass)
		}
	case *widget.Form:
		for _, it := range x.Items {
			wireKeys(it.Widget, cancel, save, pass)
		}
	case *container.Scroll:
		wireKeys(x.Content, cancel, save, pass)
	case *container.ThemeOverride:
		wireKeys(x.Content, cancel, save, pass)
	}
}

// closeTopPopUp hides the canvas's top popup (Esc with nothing focused)
// and reports whether there was one.
func closeTopPopUp(c fyne.Canvas) bool {
	top := c.Overlays().Top()
	if p, ok := top.(*widget.PopUp); ok && p.Visible() {
		p.Hide()
		return true
	}
	return false
}
