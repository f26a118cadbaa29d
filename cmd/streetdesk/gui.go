package main

import (
	"context"
	"errors"
	"os"
	"runtime"
	gosync "sync"
	"time"

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
	w   fyne.Window
	// last is the profile whose window place is in use: the signed-in one,
	// or the one last signed in while the sign-in screen shows.
	last *Profile
	// place is where the window was at the last look (main goroutine only):
	// it is written to the profile at sign-out and when the app ends, also
	// when a signal ends it before the window can be asked.
	place *windowPlace

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
	// A size any screen holds until the window exists and its scale is
	// known; then it goes where its user left it, or fills a small screen.
	w.Resize(fyne.NewSize(minW, minH))
	w.SetMaster()

	g := &gui{m: m, ctx: ctx, w: w}
	opts := ui.Options{Login: g.login, SignOut: g.signOut, Now: m.Now,
		Board: ui.BoardOptions{ExportXLSX: exportTeamStatsFile, LoadOrders: g.loadOrders, ExportLedger: g.exportLedger}, About: m.aboutInfo(),
		ExportEvidence: g.exportEvidence}
	if p, err := loadCurrent(m.DataDir); err == nil {
		g.last = p
		opts.DefaultServer, opts.DefaultUsername = p.Server, p.Username
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
	var saved *windowPlace
	if g.last != nil {
		saved = g.last.Window
	}
	w.SetCloseIntercept(func() {
		g.notePlace()
		w.Close()
	})
	done := make(chan struct{})
	go func() {
		fyne.Do(func() { placeWindow(w, saved) }) // runs once the window is shown
		t := time.NewTicker(placeEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				fyne.Do(a.Quit)
				return
			case <-done:
				return
			case <-t.C:
				fyne.Do(g.notePlace)
			}
		}
	}()
	w.ShowAndRun()
	close(done)
	g.writePlace()
	u.Close()
	g.stop()
	return nil
}

func (g *gui) start(s *session) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ctx, cancel := context.WithCancel(g.ctx)
	g.s, g.cancel = s, cancel
	stopUpdates := s.runUpdater(ctx)
	g.running.Add(1)
	go func() {
		defer g.running.Done()
		defer stopUpdates()
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
	// Another user: their window, where they left it.
	fyne.Do(func() {
		if g.last == nil || g.last.Name != p.Name {
			placeWindow(g.w, p.Window)
			g.place = nil
		}
		g.last = p
	})
	return s.desk, nil
}

// placeEvery is how often the window's place is noted while it is open.
const placeEvery = 3 * time.Second

// notePlace notes where the window is now. Call it on the main goroutine
// while the window is open.
func (g *gui) notePlace() {
	p := currentPlace(g.w)
	g.place = &p
}

// writePlace saves the noted place into the profile in use. Call it on the
// main goroutine.
func (g *gui) writePlace() {
	if g.last == nil || g.place == nil || (g.last.Window != nil && *g.last.Window == *g.place) {
		return
	}
	// Read the profile again: `streetdesk config` may have changed it.
	p, err := loadProfile(g.m.DataDir, g.last.Name)
	if err != nil {
		return
	}
	p.Window = g.place
	g.last.Window = g.place
	if err := saveProfile(g.m.DataDir, p); err != nil {
		g.m.Logger.Warn("window place not saved", "error", err)
	}
}

func (g *gui) signOut(ctx context.Context) error {
	g.mu.Lock()
	s := g.s
	g.mu.Unlock()
	if s == nil {
		return nil
	}
	p := s.profile
	g.notePlace()
	g.writePlace()
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

// exportLedger writes the signed-in user's ledger (台账) as XLSX, the same
// file `streetdesk export --format xlsx` writes.
func (g *gui) exportLedger(ctx context.Context, path string) (int, error) {
	g.mu.Lock()
	s := g.s
	g.mu.Unlock()
	if s == nil {
		return 0, streetdesk.Errorf(streetdesk.EUNAUTHORIZED, "signed out")
	}
	return exportLedger(ctx, s.desk, newLedgerMeta(s.profile.User, g.m.Now()), "xlsx", path)
}

// exportEvidence writes an order's evidence package, the same file
// `streetdesk evidence ORDER-ID --out FILE` writes.
func (g *gui) exportEvidence(ctx context.Context, orderID, path string) (*streetdesk.EvidenceExport, error) {
	g.mu.Lock()
	s := g.s
	g.mu.Unlock()
	if s == nil {
		return nil, streetdesk.Errorf(streetdesk.EUNAUTHORIZED, "signed out")
	}
	return writeEvidence(ctx, s.desk, orderID, path)
}
