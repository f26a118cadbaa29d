package ui

import (
	"context"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// signin is the first-run screen: platform URL, username, password.
type signin struct {
	focus    func(fyne.Focusable)
	ctx      context.Context
	bg       *sync.WaitGroup
	login    func(ctx context.Context, server, username, password string) (streetdesk.Desk, error)
	onDone   func(streetdesk.Desk)
	server   *deskEntry
	username *deskEntry
	password *deskEntry
	button   *widget.Button
	status   *widget.Label // errors in plain words, or "signing in…"
	langRow  *fyne.Container
	content  fyne.CanvasObject
}

// newSignIn builds the screen with the last server and username filled in.
func newSignIn(defaultServer, defaultUser string, onDone func(streetdesk.Desk),
	login func(ctx context.Context, server, username, password string) (streetdesk.Desk, error),
	bg *sync.WaitGroup, ctx context.Context) *signin {
	s := &signin{ctx: ctx, bg: bg, login: login, onDone: onDone}
	s.server = newDeskEntry(&deskEntry{Entry: widget.Entry{Text: defaultServer, PlaceHolder: "https://12345.example.gov.cn"}})
	s.username = newDeskEntry(&deskEntry{Entry: widget.Entry{Text: defaultUser, PlaceHolder: tr("signin.usernameHint", "your platform account")}})
	s.password = newDeskEntry(&deskEntry{Entry: widget.Entry{Password: true}})
	// Enter moves on to the next field, and signs in from the last.
	s.server.OnSubmitted = func(string) { s.onEnter() }
	s.username.OnSubmitted = func(string) { s.onEnter() }
	s.password.OnSubmitted = func(string) { s.onSignIn() }
	s.button = &widget.Button{Text: tr("signin.button", "Sign in"), Importance: widget.HighImportance, OnTapped: s.onSignIn}
	s.status = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	form := &widget.Form{Items: []*widget.FormItem{
		{Text: tr("signin.server", "Platform address"), Widget: s.server},
		{Text: tr("signin.username", "Username"), Widget: s.username},
		{Text: tr("signin.password", "Password"), Widget: s.password},
	}}
	title := &widget.Label{Text: tr("signin.title", "StreetDesk · sign in"), TextStyle: fyne.TextStyle{Bold: true}, Alignment: fyne.TextAlignCenter}
	hint := &widget.Label{Text: tr("signin.hint", "Your work is kept on this computer and works offline; it is sent to the platform when the network is there."),
		Wrapping: fyne.TextWrapWord}
	s.langRow = container.NewHBox()
	box := container.NewVBox(title, form, s.button, s.status, hint, s.langRow)
	s.content = container.NewCenter(container.New(layout.NewGridWrapLayout(fyne.NewSize(440, 400)), box))
	return s
}

// setLanguage puts the language choice under the form: a desk on an
// English or C locale can be switched to Chinese before signing in.
func (s *signin) setLanguage(sel *widget.Select) {
	s.langRow.Objects = []fyne.CanvasObject{&widget.Label{Text: tr("settings.language", "Language")}, sel}
	s.langRow.Refresh()
}

// firstEmpty is where the cursor goes: the first field still to fill, nil
// when all are.
func (s *signin) firstEmpty() *deskEntry {
	for _, e := range []*deskEntry{s.server, s.username, s.password} {
		if strings.TrimSpace(e.Text) == "" {
			return e
		}
	}
	return nil
}

// onEnter goes on to the first field still empty, or signs in.
func (s *signin) onEnter() {
	if e := s.firstEmpty(); e != nil {
		s.focus(e)
		return
	}
	s.onSignIn()
}

func (s *signin) onSignIn() {
	server := strings.TrimSpace(s.server.Text)
	user := strings.TrimSpace(s.username.Text)
	switch {
	case server == "":
		s.status.SetText(tr("signin.needServer", "Enter the platform address."))
		return
	case user == "" || s.password.Text == "":
		s.status.SetText(tr("signin.needUser", "Enter your username and password."))
		return
	case s.login == nil:
		s.status.SetText(tr("signin.unavailable", "Signing in is not available in this build."))
		return
	}
	s.button.Disable()
	s.status.Importance = widget.MediumImportance
	s.status.SetText(tr("signin.working", "Signing in…"))
	pass := s.password.Text
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		d, err := s.login(s.ctx, server, user, pass)
		mainDo(func() { s.finish(d, err) })
	}()
}

func (s *signin) finish(d streetdesk.Desk, err error) {
	s.button.Enable()
	if err != nil {
		s.status.Importance = widget.DangerImportance
		s.status.SetText(signInError(err))
		if streetdesk.ErrorCode(err) == streetdesk.EUNAUTHORIZED {
			s.password.SetText("")
			s.focus(s.password)
		}
		return
	}
	s.password.SetText("")
	s.onDone(d)
}

// signInError says what went wrong and what to do.
func signInError(err error) string {
	switch streetdesk.ErrorCode(err) {
	case streetdesk.EUNAUTHORIZED:
		return tr("signin.wrong", "The username or password is wrong. Check them and try again.")
	case streetdesk.EINVALID:
		return errorText(err)
	case streetdesk.EINTERNAL:
		return tr("signin.unreachable", "Could not reach the platform. Check the address and the network, then try again.")
	}
	return errorText(err)
}
