package ui_test

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	streetdesk "github.com/streetdesk/streetdesk"
)

// TestKeyboardSettings: the settings popup takes the keyboard; Esc closes it.
func TestKeyboardSettings(t *testing.T) {
	e := setup(t, zhLocale)
	test.Tap(e.u.SettingsButton())
	if !e.u.SettingsOpen() || e.u.Focused() == nil {
		t.Fatalf("settings open %v, keyboard on %T", e.u.SettingsOpen(), e.u.Focused())
	}
	e.press(fyne.KeyEscape)
	if e.u.SettingsOpen() {
		t.Error("Esc did not close the settings")
	}
}

// TestKeyboardReview: in 待签发, Enter in the comment sends the resolution
// back with it; Esc clears the comment.
func TestKeyboardReview(t *testing.T) {
	e := setupBoard(t, zhLocale)
	b := e.b
	b.SelectTab(2)
	for i := range b.ReviewCount() {
		id, _, _, comment, _, _, _ := b.ReviewCard(i)
		if id != reviewBack {
			continue
		}
		f := b.ReviewCommentFocusable(i)
		b.Window().Canvas().Focus(f)
		test.Type(comment, "随便写写")
		f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
		if comment.Text != "" {
			t.Errorf("Esc: comment %q", comment.Text)
		}
		test.Type(comment, "请补充整改后照片")
		f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		det, _ := e.d.Order(context.Background(), reviewBack)
		if det.Order.Status != streetdesk.StatusAccepted || det.Order.ReviewComment != "请补充整改后照片" {
			t.Errorf("Enter: %s %q", det.Order.Status, det.Order.ReviewComment)
		}
		return
	}
	t.Fatal("no card for", reviewBack)
}
