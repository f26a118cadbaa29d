package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	gosync "sync"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/desk"
	"github.com/streetdesk/streetdesk/localdb"
	"github.com/streetdesk/streetdesk/media"
	syncer "github.com/streetdesk/streetdesk/sync"
	"github.com/streetdesk/streetdesk/ui/translation"
)

// The engine and the store must agree on the contract in sync/store.go.
var _ syncer.Store = (*localdb.DB)(nil)
var _ streetdesk.OrderService = (*localdb.DB)(nil)

// profileTokens is the engine's TokenSource over the profile's token store:
// one refresh per rejected token, saved back to the keyring or file.
type profileTokens struct {
	store  tokenStore
	client *syncer.Client
	mu     gosync.Mutex
	cur    Tokens
	loaded bool
}

func (t *profileTokens) Token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.loaded {
		cur, err := t.store.Load()
		if err != nil {
			return "", err
		}
		t.cur, t.loaded = cur, true
	}
	return t.cur.Token, nil
}

func (t *profileTokens) Refresh(ctx context.Context, rejected string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.loaded {
		if cur, err := t.store.Load(); err == nil {
			t.cur, t.loaded = cur, true
		}
	}
	if t.loaded && t.cur.Token != rejected && t.cur.Token != "" {
		return t.cur.Token, nil // someone refreshed meanwhile
	}
	if t.cur.RefreshToken == "" {
		return "", streetdesk.Errorf(streetdesk.EUNAUTHORIZED, "signed out: sign in again")
	}
	resp, err := t.client.Refresh(ctx, t.cur.RefreshToken)
	if err != nil {
		return "", err
	}
	t.cur = Tokens{Token: resp.Token, RefreshToken: resp.RefreshToken}
	t.loaded = true
	if err := t.store.Save(t.cur); err != nil {
		return "", fmt.Errorf("save refreshed token: %w", err)
	}
	return t.cur.Token, nil
}

// set replaces the tokens after a fresh sign-in.
func (t *profileTokens) set(tk Tokens) {
	t.mu.Lock()
	t.cur, t.loaded = tk, true
	t.mu.Unlock()
}

// session is an open profile: local store, media, client, engine, services.
type session struct {
	m       *Main
	profile *Profile
	db      *localdb.DB
	media   *media.Store
	client  *syncer.Client
	tokens  *profileTokens
	engine  *syncer.Engine
	desk    *desk.Service
}

func (m *Main) newClient(p *Profile) (*syncer.Client, *profileTokens, error) {
	tokens := &profileTokens{store: tokenStore{profile: p}}
	c, err := syncer.NewClient(syncer.ClientOptions{
		BaseURL: p.Server, CAFile: p.CAFile, Tokens: tokens,
		Logger: m.Logger.With("component", "client"), UserAgent: "streetdesk/0.1",
	})
	if err != nil {
		return nil, nil, err
	}
	tokens.client = c
	return c, tokens, nil
}

// openSession opens the current profile. The engine is built but not run.
func (m *Main) openSession(ctx context.Context) (*session, error) {
	p, err := loadCurrent(m.DataDir)
	if err != nil {
		return nil, err
	}
	return m.openProfile(ctx, p)
}

func (m *Main) openProfile(ctx context.Context, p *Profile) (*session, error) {
	db, err := localdb.Open(ctx, p.DBPath(), localdb.Options{User: p.User, Now: m.Now, Logger: m.Logger.With("component", "localdb")})
	if err != nil {
		return nil, fmt.Errorf("open local database: %w", err)
	}
	ms, err := media.Open(p.MediaDir(), media.Options{Now: m.Now, Logger: m.Logger.With("component", "media")})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open media folder: %w", err)
	}
	c, tokens, err := m.newClient(p)
	if err != nil {
		db.Close()
		return nil, err
	}
	eng := syncer.New(db, c, syncer.Options{
		Logger:         m.Logger.With("component", "sync"),
		Downloader:     ms.SaveVerified,
		DownloadBudget: int64(p.Settings.DownloadBudgetMB) << 20,
		// Hold a long poll between syncs: the centre's orders arrive
		// within a second (an older platform is polled every minute).
		LiveUpdates: true,
	})
	s := &session{m: m, profile: p, db: db, media: ms, client: c, tokens: tokens, engine: eng}
	s.desk = &desk.Service{OrderService: db, User: p.User, Photos: ms, Teams: db, Engine: eng, Places: db, Now: m.Now,
		Downscale: ms, MaxSide: p.Settings.DownscaleMaxSide, Evidence: db}
	return s, nil
}

// Close closes the local store.
func (s *session) Close() error { return s.db.Close() }

// runEngine runs the engine until ctx ends, waking it on every local commit.
func (s *session) runEngine(ctx context.Context, observe func(streetdesk.SyncStatus)) error {
	if err := reconcileMedia(ctx, s.db, s.media, s.m.Logger); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg gosync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			ch := s.db.Notify()
			select {
			case <-ctx.Done():
				return
			case <-ch:
				s.engine.Trigger()
			}
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		var rosterAt time.Time
		for {
			ch := s.engine.Notify()
			st := s.engine.Status()
			if observe != nil {
				observe(st)
			}
			// The roster (members, the team's review setting) follows the
			// platform: refreshed after a successful sync, at most every 10 minutes.
			if s.engine.Stats().OK > 0 && time.Since(rosterAt) > 10*time.Minute {
				rosterAt = time.Now()
				s.refreshRoster(ctx)
			}
			select {
			case <-ctx.Done():
				return
			case <-ch:
			}
		}
	}()
	err := s.engine.Run(ctx)
	cancel()
	wg.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// syncOnce runs one full sync cycle (push, pull, uploads) and reports its error.
func (s *session) syncOnce(ctx context.Context) (streetdesk.SyncStatus, error) {
	if err := reconcileMedia(ctx, s.db, s.media, s.m.Logger); err != nil {
		return s.engine.Status(), err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.engine.Run(ctx) }()
	before := s.engine.Stats().Cycles
	s.engine.SyncNow()
	for {
		ch := s.engine.Notify()
		st := s.engine.Stats()
		if st.Cycles > before {
			cancel()
			<-done
			if st.LastErr != nil {
				return s.engine.Status(), syncError(st.LastErr, s.engine.Status(), s.m.words(), s.m.Now())
			}
			s.refreshRoster(ctx)
			return s.engine.Status(), nil
		}
		select {
		case <-ctx.Done():
			<-done
			return s.engine.Status(), fmt.Errorf("sync did not finish: %w", ctx.Err())
		case <-ch:
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// syncError turns an engine failure into the one line the CLI prints.
func syncError(err error, st streetdesk.SyncStatus, w *translation.Words, now time.Time) error {
	if e := syncer.AsError(err); e != nil && e.Kind == syncer.KindAuth {
		return streetdesk.Errorf(streetdesk.EUNAUTHORIZED, "the platform refused the sign-in; run `streetdesk login` again (your %d unsynced change(s) are kept)", st.Pending)
	}
	msg := w.SyncSentence(st, now)
	if msg == "" {
		msg = err.Error()
	}
	return streetdesk.Errorf(streetdesk.ECONFLICT, "sync failed: %s", msg)
}

// login signs in, creates or reuses the profile and saves the roster.
func (m *Main) login(ctx context.Context, server, username, password, caFile string) (*Profile, error) {
	name, err := profileName(server, username)
	if err != nil {
		return nil, err
	}
	p := &Profile{Name: name, Server: server, Username: username, CAFile: caFile}
	if old, err := loadProfile(m.DataDir, name); err == nil {
		p.Settings, p.Window = old.Settings, old.Window
	}
	c, tokens, err := m.newClient(p)
	if err != nil {
		return nil, err
	}
	resp, err := c.Login(ctx, username, password)
	if err != nil {
		if e := syncer.AsError(err); e != nil && (e.Kind == syncer.KindAuth || e.Status == 401) {
			return nil, streetdesk.Errorf(streetdesk.EUNAUTHORIZED, "wrong username or password")
		}
		return nil, err
	}
	p.User = resp.User
	if err := saveProfile(m.DataDir, p); err != nil {
		return nil, err
	}
	tk := Tokens{Token: resp.Token, RefreshToken: resp.RefreshToken}
	if err := (tokenStore{profile: p}).Save(tk); err != nil {
		return nil, fmt.Errorf("save token: %w", err)
	}
	tokens.set(tk)
	db, err := localdb.Open(ctx, p.DBPath(), localdb.Options{User: p.User, Now: m.Now, Logger: m.Logger})
	if err != nil {
		return nil, fmt.Errorf("open local database: %w", err)
	}
	defer db.Close()
	if team, err := c.Team(ctx); err == nil {
		if err := db.SaveRoster(ctx, *team); err != nil {
			return nil, fmt.Errorf("save team roster: %w", err)
		}
	} else if p.User.Role == streetdesk.RoleCaseworker || p.User.Role == streetdesk.RoleLead {
		m.Logger.Warn("team roster not loaded", "error", err)
	}
	return p, nil
}

// logout revokes and forgets the token; the local database (and its unsynced
// work) stays. It returns the number of unsynced changes kept.
func (m *Main) logout(ctx context.Context, p *Profile) (int, error) {
	pending := 0
	if db, err := localdb.Open(ctx, p.DBPath(), localdb.Options{User: p.User, Logger: m.Logger}); err == nil {
		if c, err := db.Counts(ctx); err == nil {
			pending = c.Pending
		}
		db.Close()
	}
	if c, _, err := m.newClient(p); err == nil {
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = c.Logout(lctx) // best effort: offline sign-out still forgets the token
		cancel()
	}
	if err := (tokenStore{profile: p}).Delete(); err != nil {
		return pending, err
	}
	return pending, nil
}

// reconcileMedia is the check of the media folder against the database
// before the engine starts uploading (not on every CLI command): stale temp files swept, photo files without a row (a crash
// between the rename and the commit) registered as recovered, and queued
// photos whose file has gone flagged so the upload loop stops on them.
func reconcileMedia(ctx context.Context, db *localdb.DB, ms *media.Store, log *slog.Logger) error {
	rep, err := ms.Reconcile(ctx, func(sha string) bool { return db.KnownBlob(ctx, sha) })
	if err != nil {
		return fmt.Errorf("check media folder: %w", err)
	}
	for _, o := range rep.Orphans {
		if err := db.RegisterRecovered(ctx, o); err != nil {
			return fmt.Errorf("register recovered photo: %w", err)
		}
	}
	missing, err := db.FlagMissingFiles(ctx)
	if err != nil {
		return err
	}
	if rep.SweptTemp+len(rep.Orphans)+len(rep.Corrupt)+len(missing) > 0 {
		log.Info("media reconciled", "swept", rep.SweptTemp, "recovered", len(rep.Orphans), "corrupt", len(rep.Corrupt), "missing", len(missing))
	}
	return nil
}

// refreshRoster saves the platform's current team roster locally; failures
// only mean the old roster stays.
func (s *session) refreshRoster(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	team, err := s.client.Team(cctx)
	if err != nil {
		s.m.Logger.Debug("roster not refreshed", "error", err)
		return
	}
	if err := s.db.SaveRoster(cctx, *team); err != nil {
		s.m.Logger.Warn("roster not saved", "error", err)
	}
}
