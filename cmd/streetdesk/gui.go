package main

import (
	"context"
	"errors"
	"os"
	"runtime"
	gosync "sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/assets"
	"github.com/streetdesk/streetdesk/ui"
)

// gui owns the window's session: the engine runs while someone is signed in.
type gui struct {
	m   *Main
	ctx context.Context

	mu      gosync.Mutex
	s       *session
	cancel  context.CancelFunc
	running gosync.WaitGroup
}

func hasDisplay() bool {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// runGUI opens the window; it returns when the window closes.
func runGUI(ctx context.Context, m *Main) error {
	if !hasDisplay() {
		return streetdesk.Errorf(streetdesk.EINVALID, "no display found (DISPLAY and WAYLAND_DISPLAY are empty): the window cannot open here; use the command line (streetdesk --help)")
	}
	a := app.NewWithID("org.streetdesk.desk")
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	if err := ui.LoadTranslations(); err != nil {
		m.Logger.Warn("translations not loaded", "error", err)
	}
	a.Settings().SetTheme(ui.Theme())
	w := a.NewWindow("StreetDesk")
	w.Resize(fyne.NewSize(1280, 800))
	w.SetMaster()

	g := &gui{m: m, ctx: ctx}
	opts := ui.Options{Login: g.login, SignOut: g.signOut, Now: m.Now,
		Board: ui.BoardOptions{ExportXLSX: exportTeamStatsFile, LoadOrders: g.loadOrders}}
	if p, err := loadCurrent(m.DataDir); err == nil {
		opts.DefaultServer = p.Server
		if _, err := (tokenStore{profile: p}).Load(); err == nil {
			s, err := m.openProfile(ctx, p)
			if err != nil {
				return err
			}
			g.start(s)
			opts.Desk = s.desk
		}
	}
	u := ui.New(w, opts)
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	u.Close()
	g.stop()
	return nil
}

func (g *gui) start(s *session) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ctx, cancel := context.WithCancel(g.ctx)
	g.s, g.cancel = s, cancel
	g.running.Add(1)
	go func() {
		defer g.running.Done()
		if err := s.runEngine(ctx, nil); err != nil && !errors.Is(err, context.Canceled) {
			g.m.Logger.Error("sync engine stopped", "error", err)
		}
	}()
}

func (g *gui) stop() {
	g.mu.Lock()
	s, cancel := g.s, g.cancel
	g.s, g.cancel = nil, nil
	g.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	g.running.Wait()
	if s != nil {
		s.Close()
	}
}

func (g *gui) login(ctx context.Context, server, username, password string) (streetdesk.Desk, error) {
	p, err := g.m.login(ctx, server, username, password, "")
	if err != nil {
		return nil, err
	}
	g.stop()
	s, err := g.m.openProfile(ctx, p)
	if err != nil {
		return nil, err
	}
	g.start(s)
	s.engine.SyncNow()
	return s.desk, nil
}

func (g *gui) signOut(ctx context.Context) error {
	g.mu.Lock()
	s := g.s
	g.mu.Unlock()
	if s == nil {
		return nil
	}
	p := s.profile
	g.stop()
	_, err := g.m.logout(ctx, p)
	return err
}

// loadOrders reads every order of the lead's local store at once for the
// team statistics.
func (g *gui) loadOrders(ctx context.Context) ([]streetdesk.WorkOrder, error) {
	g.mu.Lock()
	s := g.s
	g.mu.Unlock()
	if s == nil {
		return nil, streetdesk.Errorf(streetdesk.EUNAUTHORIZED, "signed out")
	}
	return s.db.StatsOrders(ctx) // only the fields the statistics read
}
