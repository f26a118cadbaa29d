package sync

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	gosync "sync"
	"time"

	"github.com/streetdesk/streetdesk"
)

// UpdaterOptions configure an Updater.
type UpdaterOptions struct {
	Current string // the running version
	OS      string // runtime.GOOS
	Arch    string // runtime.GOARCH
	Format  string // the package format to offer ("" = the platform's default)
	Dir     string // where downloads go
	// Every is how often Run asks the platform (default 24 h).
	Every time.Duration
	// Save persists the status after each change (for `streetdesk status`).
	Save   func(streetdesk.UpdateStatus) error
	Clock  Clock
	Rand   func() float64
	Logger *slog.Logger
}

// Updater is the update notice's engine: it asks the platform for the
// newest package after sign-in and once a day, and downloads and verifies
// it when the user asks. It never installs anything. Check and DownloadNow
// work synchronously (the CLI); Run is the window's loop.
type Updater struct {
	c    *Client
	opts UpdaterOptions
	log  *slog.Logger

	check    chan struct{} // 1-buffered: check now
	download chan struct{} // 1-buffered: download now

	mu     gosync.Mutex
	st     streetdesk.UpdateStatus
	notify chan struct{}
}

var _ streetdesk.Updates = (*Updater)(nil)

// NewUpdater returns an updater starting from a saved status (zero for none).
func NewUpdater(c *Client, saved streetdesk.UpdateStatus, opts UpdaterOptions) *Updater {
	if opts.Every <= 0 {
		opts.Every = 24 * time.Hour
	}
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	saved.Current = opts.Current
	saved.Downloading, saved.Downloaded = false, 0
	saved.Available = saved.Latest != nil && streetdesk.IsNewerVersion(saved.Latest.Version, opts.Current)
	return &Updater{c: c, opts: opts, log: opts.Logger, st: saved,
		check: make(chan struct{}, 1), download: make(chan struct{}, 1), notify: make(chan struct{})}
}

// Status returns the current status.
func (u *Updater) Status() streetdesk.UpdateStatus {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.st
}

// Notify returns a channel closed at the next status change.
func (u *Updater) Notify() <-chan struct{} {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.notify
}

// Download asks Run to download and verify the latest package.
func (u *Updater) Download() {
	select {
	case u.download <- struct{}{}:
	default:
	}
}

// CheckNow asks Run to ask the platform now.
func (u *Updater) CheckNow() {
	select {
	case u.check <- struct{}{}:
	default:
	}
}

// publish changes the status, saves it and wakes the observers.
func (u *Updater) publish(f func(st *streetdesk.UpdateStatus)) streetdesk.UpdateStatus {
	u.mu.Lock()
	f(&u.st)
	st := u.st
	close(u.notify)
	u.notify = make(chan struct{})
	u.mu.Unlock()
	if u.opts.Save != nil && !st.Downloading {
		if err := u.opts.Save(st); err != nil {
			u.log.Warn("update status not saved", "error", err)
		}
	}
	return st
}

// Due reports whether the last check is older than Every.
func (u *Updater) Due() bool {
	st := u.Status()
	return st.CheckedAt.IsZero() || u.opts.Clock.Now().Sub(st.CheckedAt) >= u.opts.Every
}

// Check asks the platform now. A platform that publishes no package for
// this desk is not an error: the status then has no Latest.
func (u *Updater) Check(ctx context.Context) (streetdesk.UpdateStatus, error) {
	rel, err := u.c.LatestRelease(ctx, u.opts.OS, u.opts.Arch, u.opts.Format)
	now := u.opts.Clock.Now().UTC()
	if e := AsError(err); e != nil && e.Status == 404 {
		rel, err = nil, nil
	}
	if err != nil {
		return u.publish(func(st *streetdesk.UpdateStatus) { st.Error = AppError(err).Error() }), err
	}
	available := rel != nil && streetdesk.IsNewerVersion(rel.Version, u.opts.Current)
	ready := u.Status().Ready
	if ready != "" && (!available || filepath.Base(ready) != rel.File) {
		ready = ""
	}
	if ready != "" {
		if ok, _ := FileMatches(ready, rel.SHA256, rel.Size); !ok {
			ready = ""
		}
	}
	u.tidy(rel, available)
	return u.publish(func(st *streetdesk.UpdateStatus) {
		st.Latest, st.Available, st.CheckedAt, st.Ready, st.Error = rel, available, now, ready, ""
	}), nil
}

// tidy removes downloads other than the latest package (and everything
// once the running version is current).
func (u *Updater) tidy(rel *streetdesk.ClientRelease, available bool) {
	entries, err := os.ReadDir(u.opts.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if available && (e.Name() == rel.File || e.Name() == rel.File+".part") {
			continue
		}
		os.Remove(filepath.Join(u.opts.Dir, e.Name()))
	}
}

// DownloadNow downloads and verifies the latest package (checking first
// when nothing is known yet). The status is Ready only after the SHA-256
// matched.
func (u *Updater) DownloadNow(ctx context.Context) (streetdesk.UpdateStatus, error) {
	st := u.Status()
	if st.Latest == nil {
		var err error
		if st, err = u.Check(ctx); err != nil {
			return st, err
		}
	}
	if !st.Available {
		return st, streetdesk.Errorf(streetdesk.ENOTFOUND, "no newer version is published (running %s)", u.opts.Current)
	}
	if st.Ready != "" {
		return st, nil
	}
	rel := *st.Latest
	u.publish(func(st *streetdesk.UpdateStatus) { st.Downloading, st.Downloaded, st.Error = true, 0, "" })
	last := time.Time{}
	path, err := u.c.DownloadRelease(ctx, rel, u.opts.Dir, func(done int64) {
		if now := time.Now(); now.Sub(last) > 200*time.Millisecond || done == rel.Size {
			last = now
			u.publish(func(st *streetdesk.UpdateStatus) { st.Downloaded = done })
		}
	})
	if err != nil {
		msg := AppError(err).Error()
		return u.publish(func(st *streetdesk.UpdateStatus) { st.Downloading, st.Error = false, msg }), err
	}
	u.log.Info("update downloaded and verified", "version", rel.Version, "file", path)
	return u.publish(func(st *streetdesk.UpdateStatus) {
		st.Downloading, st.Downloaded, st.Ready, st.Error = false, rel.Size, path, ""
	}), nil
}

// Run checks at once (it starts with a signed-in session) and then every
// Every, retrying failures with capped jittered backoff (1 minute to 1
// hour), and downloads when asked. It returns nil when ctx ends; that is
// its only exit.
func (u *Updater) Run(ctx context.Context) error {
	failures := 0
	wait := time.Duration(0)
	for {
		t := u.opts.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		case <-u.check:
			t.Stop()
		case <-u.download:
			t.Stop()
			if _, err := u.DownloadNow(ctx); err != nil && !errors.Is(err, context.Canceled) {
				u.log.Warn("update download failed", "error", err)
			}
			wait = u.nextCheck()
			continue
		}
		if _, err := u.Check(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			failures++
			wait = backoff(failures, time.Minute, time.Hour, u.opts.Rand)
			u.log.Debug("update check failed", "error", err, "retry_in", wait)
			continue
		}
		failures = 0
		wait = u.nextCheck()
	}
}

func (u *Updater) nextCheck() time.Duration {
	d := u.Status().CheckedAt.Add(u.opts.Every).Sub(u.opts.Clock.Now())
	if d < time.Minute {
		d = time.Minute
	}
	return d
}
