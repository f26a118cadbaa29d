package ui_test

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/fakedesk"
	"github.com/streetdesk/streetdesk/ui"
)

// Every screen from the keyboard alone: what a key does goes to the focused
// widget (as in a real window), or to the window when nothing is focused.

// press sends a key to whatever has the keyboard.
func (e *env) press(k fyne.KeyName) {
	e.t.Helper()
	if f := e.u.Focused(); f != nil {
		f.TypedKey(&fyne.KeyEvent{Name: k})
		return
	}
	e.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k})
}

// chord sends Ctrl+k (Cmd on a Mac) as a real window does: to the focused
// widget when it takes shortcuts, else to the window's shortcuts.
func (e *env) chord(k fyne.KeyName) {
	e.t.Helper()
	s := &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
	if f, ok := e.u.Focused().(fyne.Shortcutable); ok {
		f.TypedShortcut(s)
		return
	}
	e.w.Canvas().(fyne.Shortcutable).TypedShortcut(s)
}

func (e *env) typeText(s string) {
	e.t.Helper()
	for _, r := range s {
		e.u.Focused().TypedRune(r)
	}
}

// TestKeyboardQueue: after a filter was used, a click on a row gives the
// list the keyboard, so ↓ moves the selection instead of opening the
// filter; Ctrl+F, ↓ and Enter in the search box, Esc to clear it, Page
// Down/Home/End, Enter on to the order's actions.
func TestKeyboardQueue(t *testing.T) {
	e := setup(t, zhLocale)
	q := e.u.Queue()
	// The user picks a state in the filter: the filter has the keyboard.
	e.w.Canvas().Focus(e.u.StatusFocusable())
	q.Status.SetSelected("办理中")
	test.TapCanvas(e.w.Canvas(), e.u.QueueRowPosition())
	if e.u.Focused() != e.u.QueueFocusable() {
		t.Fatalf("after a click on a row the keyboard is on %T, want the list", e.u.Focused())
	}
	first := e.u.QueueSelected()
	e.press(fyne.KeyDown)
	if got := e.u.QueueSelected(); got == first || got == "" {
		t.Errorf("↓ after the click: selected %q, want the next row after %q", got, first)
	}
	if n := len(e.w.Canvas().Overlays().List()); n != 0 {
		t.Errorf("↓ opened %d popups (the filter's list?)", n)
	}
	q.Status.SetSelectedIndex(0)

	// Ctrl+F, type, ↓: the first result, with the keyboard on the list.
	e.chord(fyne.KeyF)
	if e.u.Focused() != e.u.SearchFocusable() {
		t.Fatalf("Ctrl+F: keyboard on %T", e.u.Focused())
	}
	e.typeText("垃圾站")
	e.press(fyne.KeyDown)
	if e.u.Focused() != e.u.QueueFocusable() || e.u.QueueSelected() != idOverdue {
		t.Errorf("↓ in the search box: keyboard on %T, selected %q", e.u.Focused(), e.u.QueueSelected())
	}
	// Esc in the search box clears it, a second Esc leaves it.
	e.chord(fyne.KeyF)
	e.press(fyne.KeyEscape)
	if q.Search.Text != "" || e.u.QueueTotal() != 8 {
		t.Errorf("Esc: search %q, %d orders", q.Search.Text, e.u.QueueTotal())
	}
	e.press(fyne.KeyEscape)
	if e.u.Focused() != e.u.QueueFocusable() {
		t.Errorf("second Esc: keyboard on %T", e.u.Focused())
	}
	// End, Home, Page Down.
	e.press(fyne.KeyEnd)
	if got := e.u.QueueRowText(e.u.QueueTotal() - 1)[1]; e.order(e.u.QueueSelected()).Order.Title != got {
		t.Errorf("End selected %q", e.u.QueueSelected())
	}
	e.press(fyne.KeyHome)
	if e.u.QueueSelected() != idOverdue {
		t.Errorf("Home selected %q", e.u.QueueSelected())
	}
	e.press(fyne.KeyPageDown)
	if e.u.QueueSelected() == idOverdue {
		t.Error("Page Down did not move")
	}
	// Enter: on to the order's first action; Space works it.
	e.press(fyne.KeyHome)
	e.press(fyne.KeyReturn)
	if e.u.Focused() != fyne.Focusable(e.u.Action(streetdesk.OpRecordContact)) {
		t.Fatalf("Enter on the list: keyboard on %T, want the first action", e.u.Focused())
	}
	e.press(fyne.KeySpace)
	if !e.u.ContactOpen() {
		t.Error("Space on 联系记录 did not open the dialog")
	}
}

// TestKeyboardDialogs: Ctrl+N opens the survey note with the cursor in it,
// Ctrl+Enter saves; Esc closes a dialog and saves nothing; the window's
// shortcuts still work from a dialog's text field.
func TestKeyboardDialogs(t *testing.T) {
	e := setup(t, zhLocale)
	e.selectOrder(idOverdue)
	e.chord(fyne.KeyN)
	if !e.u.NoteOpen() || e.u.Focused() != e.u.NoteEntry() {
		t.Fatalf("Ctrl+N: open %v, keyboard on %T", e.u.NoteOpen(), e.u.Focused())
	}
	e.typeText("现场噪声明显，已拍照")
	e.chord(fyne.KeyS) // Ctrl+S from the note: a sync, and the note stays open
	if e.d.Syncer().Calls() != 1 || !e.u.NoteOpen() {
		t.Errorf("Ctrl+S in the note: %d syncs, open %v", e.d.Syncer().Calls(), e.u.NoteOpen())
	}
	e.chord(fyne.KeyReturn)
	if e.u.NoteOpen() || e.d.Calls["addNote"] != 1 {
		t.Errorf("Ctrl+Enter: open %v, %d notes saved", e.u.NoteOpen(), e.d.Calls["addNote"])
	}

	test.Tap(e.u.Action(streetdesk.OpRecordContact))
	if e.u.Focused() != e.u.ContactEntry() {
		t.Fatalf("contact record: keyboard on %T", e.u.Focused())
	}
	e.typeText("已电话联系")
	e.press(fyne.KeyEscape)
	if e.u.ContactOpen() || e.d.Calls["recordContact"] != 0 {
		t.Errorf("Esc: open %v, %d contacts saved", e.u.ContactOpen(), e.d.Calls["recordContact"])
	}

	// Enter in a one-line field submits: the extension's date.
	test.Tap(e.u.Action(streetdesk.OpRequestExtension))
	f, reason, date := e.u.ExtensionDialog()
	test.Type(reason, "需协调环卫公司调整作业时间")
	e.w.Canvas().Focus(e.u.ExtensionDateFocusable())
	e.press(fyne.KeyReturn)
	if f, _, _ := e.u.ExtensionDialog(); f.Visible || e.d.Calls["requestExtension"] != 1 {
		t.Errorf("Enter in the date (%q): open %v, %d requests, error %q", date.Text, f.Visible, e.d.Calls["requestExtension"], f.Error.Text)
	}
	_ = f
}

// TestKeyboardPhotoViewer: Esc closes the viewer (it used to leave the
// keyboard on the list behind it); ←/→ go through the photos; + and − zoom.
func TestKeyboardPhotoViewer(t *testing.T) {
	e := setup(t, zhLocale)
	e.picked = []string{testdata(photoCanon), testdata(photoNikon)}
	e.selectOrder(idOverdue)
	test.Tap(e.u.Action(streetdesk.OpAttachPhoto))
	f, choose, _, _, _ := e.u.PhotoDialog()
	test.Tap(choose)
	test.Tap(f.Save)
	e.w.Canvas().Focus(e.u.QueueFocusable())
	e.u.TapThumb(0)
	if v := e.u.PhotoViewer(); !v.Visible || v.Count.Text != "1 / 2" {
		t.Fatalf("viewer: visible %v, count %q", v.Visible, v.Count.Text)
	}
	e.press(fyne.KeyRight)
	if v := e.u.PhotoViewer(); v.Index != 1 || v.Count.Text != "2 / 2" {
		t.Errorf("→: photo %d (%q)", v.Index, v.Count.Text)
	}
	e.press(fyne.KeyRight) // the last: stays
	e.press(fyne.KeyLeft)
	if v := e.u.PhotoViewer(); v.Index != 0 {
		t.Errorf("←: photo %d", v.Index)
	}
	e.u.Focused().TypedRune('+')
	if v := e.u.PhotoViewer(); v.Zoom != 1.5 {
		t.Errorf("+: zoom %v", v.Zoom)
	}
	e.u.Focused().TypedRune('-')
	if v := e.u.PhotoViewer(); v.Zoom != 1 {
		t.Errorf("−: zoom %v", v.Zoom)
	}
	e.press(fyne.KeyEscape)
	if e.u.PhotoViewer().Visible {
		t.Error("Esc did not close the viewer")
	}
	// With nothing focused, Esc closes the top popup too.
	e.u.TapThumb(1)
	e.w.Canvas().Unfocus()
	e.press(fyne.KeyEscape)
	if e.u.PhotoViewer().Visible {
		t.Error("Esc with nothing focused did not close the viewer")
	}
}

// TestKeyboardPopups: a message closes on Enter or Esc; a confirmation
// answers no on Esc and yes on Enter; the needs-attention inbox closes on Esc.
func TestKeyboardPopups(t *testing.T) {
	signedOut := 0
	e := setup(t, zhLocale, func(o *ui.Options, _ *fakedesk.Options) {
		o.SignOut = func(context.Context) error { signedOut++; return nil }
	})
	e.u.Drop([]string{testdata(photoCanon)}) // no order open: a message
	if _, up := e.u.Message(); !up {
		t.Fatal("no message")
	}
	e.press(fyne.KeyReturn)
	if _, up := e.u.Message(); up {
		t.Error("Enter did not close the message")
	}
	test.Tap(e.u.AttentionButton())
	if !e.u.AttentionOpen() {
		t.Fatal("the inbox did not open")
	}
	e.press(fyne.KeyEscape)
	if e.u.AttentionOpen() {
		t.Error("Esc did not close the inbox")
	}
	test.Tap(e.u.SignOutButton())
	e.press(fyne.KeyEscape)
	if _, up := e.u.Message(); up || signedOut != 0 {
		t.Errorf("Esc on the sign-out question: up %v, signed out %d", up, signedOut)
	}
	test.Tap(e.u.SignOutButton())
	e.press(fyne.KeyReturn)
	if signedOut != 1 {
		t.Errorf("Enter on the sign-out question: signed out %d", signedOut)
	}
}

// TestKeyboardSignIn: the cursor starts in the first empty field (the
// username when the server is remembered, the password when both are);
// Enter goes on to the next empty field, and signs in from the last.
func TestKeyboardSignIn(t *testing.T) {
	desk := fakedesk.New(fakedesk.Options{})
	login := func(ctx context.Context, server, user, pass string) (streetdesk.Desk, error) {
		if pass != "secret" {
			return nil, streetdesk.Errorf(streetdesk.EUNAUTHORIZED, "wrong username or password")
		}
		return desk, nil
	}
	for _, tc := range []struct {
		name, server, user string
		want               int // 0 server, 1 username, 2 password
	}{
		{"nothing remembered", "", "", 0},
		{"server remembered", "http://127.0.0.1:8080", "", 1},
		{"server and username remembered", "http://127.0.0.1:8080", "wangfang", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, zhLocale, func(o *ui.Options, _ *fakedesk.Options) {
				o.Login, o.DefaultServer, o.DefaultUsername = login, tc.server, tc.user
			})
			server, user, pass := e.u.SignInFocusables()
			fields := []fyne.Focusable{server, user, pass}
			if e.u.Focused() != fields[tc.want] {
				t.Fatalf("cursor in field %T, want field %d", e.u.Focused(), tc.want)
			}
			_, u, _, _, _ := e.u.SignInForm()
			if u.Text != tc.user {
				t.Errorf("username %q, want %q remembered", u.Text, tc.user)
			}
			for e.u.Focused() != pass {
				before := e.u.Focused()
				if before == server {
					e.typeText("http://127.0.0.1:8080")
				} else {
					e.typeText("wangfang")
				}
				e.press(fyne.KeyReturn)
				if e.u.Focused() == before {
					t.Fatalf("Enter stayed in %T", before)
				}
			}
			e.typeText("wrong")
			e.press(fyne.KeyReturn)
			ui.RunMain(t)
			if e.u.Desk() != nil || e.u.Focused() != pass {
				t.Fatalf("wrong password: desk %v, keyboard on %T (want the emptied password)", e.u.Desk(), e.u.Focused())
			}
			e.typeText("secret")
			e.press(fyne.KeyReturn)
			ui.RunMain(t)
			if e.u.Desk() != desk {
				t.Error("Enter in the password did not sign in")
			}
		})
	}
}
