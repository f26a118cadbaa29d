package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/fakedesk"
	"github.com/streetdesk/streetdesk/ui"
)

// hasHan reports whether s has Chinese characters.
func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// TestLanguageSetting: on a desk whose system speaks English, 中文 in the
// settings turns the whole window Chinese at once (the open order stays
// open), is remembered for the next start, and 跟随系统 turns it back.
func TestLanguageSetting(t *testing.T) {
	e := setup(t, enLocale)
	e.selectOrder(idOverdue)
	if got := e.u.SyncBar().SyncNow.Text; got != "Sync now" {
		t.Fatalf("system English: %q", got)
	}
	test.Tap(e.u.SettingsButton())
	e.u.ChooseLanguage("中文")
	if got := e.u.SyncBar().SyncNow.Text; got != "立即同步" || ui.LangCode() != "zh" {
		t.Errorf("中文: sync button %q, language %q", got, ui.LangCode())
	}
	// Every translation file counts, not only the two main ones.
	if got := e.u.About().Button.Text; got != "关于" {
		t.Errorf("中文: about button %q", got)
	}
	if got := e.u.QueueRowText(0); got[0] != "超时 2小时" || got[3] != "办理中" {
		t.Errorf("中文: row 0 = %q", got)
	}
	d := e.u.Detail()
	if d.Header.Text != idOverdue || !strings.Contains(strings.Join(d.Timeline, "\n"), "派单") || d.Actions[0] != "联系记录" {
		t.Errorf("中文: detail %q, timeline %q, actions %q", d.Header.Text, d.Timeline, d.Actions)
	}
	if got := fyne.CurrentApp().Preferences().String("language"); got != "zh" {
		t.Errorf("preference %q", got)
	}
	if e.u.SettingsOpen() {
		t.Error("the settings stayed open over the rebuilt window")
	}

	// A new window (the next start) opens in Chinese.
	e2 := setup2(t, e)
	if got := e2.SyncBar().SyncNow.Text; got != "立即同步" {
		t.Errorf("next start: %q", got)
	}

	test.Tap(e.u.SettingsButton())
	e.u.ChooseLanguage("跟随系统")
	if got := e.u.SyncBar().SyncNow.Text; got != "Sync now" || ui.LangCode() != "en" {
		t.Errorf("follow the system: %q, language %q", got, ui.LangCode())
	}
}

// setup2 builds a second UI in e's app, as the next start of the program.
func setup2(t *testing.T, e *env) *ui.UI {
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(windowW, windowH))
	u := ui.New(w, ui.Options{Desk: e.d, Now: func() time.Time { return fakedesk.DefaultNow }})
	t.Cleanup(func() { u.Close(); ui.DrainMain() })
	return u
}

// TestSignInLanguage: on a C-locale desk the sign-in screen is English; its
// language setting turns it Chinese before anyone signs in, keeping what
// was typed.
func TestSignInLanguage(t *testing.T) {
	login := func(context.Context, string, string, string) (streetdesk.Desk, error) { return nil, nil }
	e := setup(t, "C", func(o *ui.Options, _ *fakedesk.Options) {
		o.Login, o.DefaultServer = login, "http://127.0.0.1:8080"
	})
	_, user, _, button, _ := e.u.SignInForm()
	if button.Text != "Sign in" {
		t.Fatalf("C locale: %q", button.Text)
	}
	test.Type(user, "wangfang")
	e.u.SignInLanguage().SetSelected("中文")
	server, user, _, button, _ := e.u.SignInForm()
	if button.Text != "登录" || server.Text != "http://127.0.0.1:8080" || user.Text != "wangfang" {
		t.Errorf("中文: button %q, server %q, user %q", button.Text, server.Text, user.Text)
	}
}

// TestTimelineKindsInChinese: every kind of timeline entry — every
// operation and the centre's dispatch — is named in Chinese in a Chinese
// window, never left as the protocol's English name.
func TestTimelineKindsInChinese(t *testing.T) {
	setup(t, zhLocale)
	kinds := []string{"dispatch"}
	for _, op := range streetdesk.Operations {
		kinds = append(kinds, string(op))
	}
	for _, k := range kinds {
		line := ui.TimelineLine(streetdesk.TimelineEntry{Kind: k, Actor: "12345派单员", Text: "派单至香蜜湖街道"})
		if strings.Contains(line, " "+k+" ") || !hasHan(strings.TrimPrefix(line, "01-01 08:00 12345派单员")) {
			t.Errorf("%s: %q", k, line)
		}
	}
}
