package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/streetdesk/streetdesk"
	syncer "github.com/streetdesk/streetdesk/sync"
)

// The update notice: the desk asks the platform for the newest package
// after sign-in and once a day (the window) or when due (the CLI's sync),
// and keeps what it learnt in update.json in the data folder, where
// `streetdesk status --json` reads it without going online. Downloads go to
// updates/ in the data folder and count as ready only once their SHA-256
// matched. Nothing is ever installed without the user.

const updateFile = "update.json"

// updateCheckTimeout bounds the check after a CLI sign-in or sync.
const updateCheckTimeout = 15 * time.Second

func (m *Main) updatesDir() string { return filepath.Join(m.DataDir, "updates") }

// loadUpdate reads the saved update status (zero when none or unreadable:
// it is only a cache of what the platform said).
func (m *Main) loadUpdate() streetdesk.UpdateStatus {
	var st streetdesk.UpdateStatus
	b, err := os.ReadFile(filepath.Join(m.DataDir, updateFile))
	if err == nil {
		_ = json.Unmarshal(b, &st)
	}
	return st
}

func (m *Main) saveUpdate(st streetdesk.UpdateStatus) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(m.DataDir, updateFile), b, 0o600)
}

// packageFormat is the package this installation came from: the .deb
// installs to /usr/bin, anything else on Linux is the .tar.xz.
func packageFormat() string {
	switch runtime.GOOS {
	case "windows":
		return streetdesk.FormatZip
	case "linux":
		if exe, err := os.Executable(); err == nil && filepath.Dir(exe) == "/usr/bin" {
			return streetdesk.FormatDeb
		}
		return streetdesk.FormatTarXZ
	}
	return ""
}

// newUpdater builds the session's updater from the saved status.
func (s *session) newUpdater() *syncer.Updater { return s.m.newUpdater(s.client) }

func (m *Main) newUpdater(c *syncer.Client) *syncer.Updater {
	return syncer.NewUpdater(c, m.loadUpdate(), syncer.UpdaterOptions{
		Current: m.build().Version, OS: runtime.GOOS, Arch: runtime.GOARCH, Format: packageFormat(),
		Dir: m.updatesDir(), Save: m.saveUpdate, Logger: m.Logger.With("component", "update"),
	})
}

// checkUpdateQuietly asks the platform when force or when the last check
// is a day old; a failure is only logged (the notice is a courtesy).
func (m *Main) checkUpdateQuietly(ctx context.Context, c *syncer.Client, force bool) {
	u := m.newUpdater(c)
	if !force && !u.Due() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, updateCheckTimeout)
	defer cancel()
	if _, err := u.Check(ctx); err != nil {
		m.Logger.Debug("update check failed", "error", err)
	}
}

// currentUpdate is the saved status with the ready file checked again: a
// download that changed on disk is not offered.
func (m *Main) currentUpdate() *streetdesk.UpdateStatus {
	st := m.loadUpdate()
	if st.CheckedAt.IsZero() {
		return nil
	}
	st.Current = m.build().Version
	st.Available = st.Latest != nil && streetdesk.IsNewerVersion(st.Latest.Version, st.Current)
	if st.Ready != "" && (!st.Available || !readyMatches(st)) {
		st.Ready = ""
	}
	return &st
}

func readyMatches(st streetdesk.UpdateStatus) bool {
	ok, _ := syncer.FileMatches(st.Ready, st.Latest.SHA256, st.Latest.Size)
	return ok
}

// cmdUpdate asks the platform now and, with --download, downloads and
// verifies the newer package.
func (m *Main) cmdUpdate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("update", flag.ContinueOnError)
	download := fs.Bool("download", false, "download the newer package and verify its SHA-256")
	asJSON := fs.Bool("json", false, "JSON output")
	s, _, err := m.open(ctx, fs, args)
	if err != nil {
		return err
	}
	defer s.Close()
	u := s.newUpdater()
	st, err := u.Check(ctx)
	if err != nil {
		return syncer.AppError(err)
	}
	if *download && st.Available {
		if st, err = u.DownloadNow(ctx); err != nil {
			return syncer.AppError(err)
		}
	}
	if *asJSON {
		return printJSON(m.Stdout, st)
	}
	switch {
	case st.Latest == nil:
		fmt.Fprintf(m.Stdout, "StreetDesk %s; the platform publishes no package for %s/%s\n", st.Current, runtime.GOOS, runtime.GOARCH)
	case !st.Available:
		fmt.Fprintf(m.Stdout, "StreetDesk %s is up to date (the platform's newest is %s)\n", st.Current, st.Latest.Version)
	case st.Ready != "":
		fmt.Fprintf(m.Stdout, "%s (running %s): downloaded and verified (SHA-256 %s)\n%s\n", newVersion(st.Latest.Version), st.Current, st.Latest.SHA256, st.Ready)
	default:
		fmt.Fprintf(m.Stdout, "%s (running %s): %s (%d bytes, SHA-256 %s)\nrun `streetdesk update --download` to download and verify it\n",
			newVersion(st.Latest.Version), st.Current, st.Latest.File, st.Latest.Size, st.Latest.SHA256)
	}
	return nil
}

// runUpdater runs the session's updater in the background (checking now,
// then daily) and returns the function that stops it and waits.
func (s *session) runUpdater(ctx context.Context) (stop func()) {
	u := s.newUpdater()
	s.desk.Updater = u
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = u.Run(ctx) // returns nil when ctx ends
	}()
	return func() {
		cancel()
		<-done
	}
}

// newVersion says that version is available, in the words the desk's
// update notice uses (Chinese, as the order list).
func newVersion(version string) string {
	return cliWords().T("cli.update.available", "version {{.V}} is available", map[string]string{"V": version})
}
