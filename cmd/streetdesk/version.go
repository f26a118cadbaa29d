package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/buildinfo"
	"github.com/streetdesk/streetdesk/ui"
)

// logFileName is the GUI's log in the data folder. A Windows GUI program
// has no console, so without it nothing of what went wrong would be kept.
const logFileName = "streetdesk.log"

// maxLogSize is where the log starts over (the previous one is kept as .1).
const maxLogSize = 5 << 20

// build returns the running build, with Main.Version overriding the stamped version.
func (m *Main) build() buildinfo.Info {
	in := buildinfo.Get()
	if m.Version != "" {
		in.Version = m.Version
	}
	return in
}

type versionJSON struct {
	buildinfo.Info
	DataDir string `json:"dataDir"`
	LogFile string `json:"logFile"`
}

// cmdVersion prints what a problem report needs: the build, the data
// folder and the log file.
func (m *Main) cmdVersion(args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "JSON output")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	dir := absDir(m.DataDir)
	v := versionJSON{Info: m.build(), DataDir: dir, LogFile: filepath.Join(dir, logFileName)}
	if *asJSON {
		return printJSON(m.Stdout, v)
	}
	fmt.Fprint(m.Stdout, v.Info.String())
	fmt.Fprintf(m.Stdout, "data:     %s\nlog:      %s\n", v.DataDir, v.LogFile)
	return nil
}

// guiLogger logs to the data folder's log file (and to stderr, for a
// terminal), starting the file over when it has grown past maxLogSize. It
// falls back to stderr alone when the folder cannot be written.
func (m *Main) guiLogger(level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	p := filepath.Join(m.DataDir, logFileName)
	if err := os.MkdirAll(m.DataDir, 0o700); err != nil {
		return slog.New(slog.NewTextHandler(m.Stderr, opts))
	}
	if info, err := os.Stat(p); err == nil && info.Size() > maxLogSize {
		_ = os.Rename(p, p+".1")
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return slog.New(slog.NewTextHandler(m.Stderr, opts))
	}
	// The file stays open for the life of the process.
	return slog.New(slog.NewTextHandler(io.MultiWriter(f, m.Stderr), opts))
}

// guiLogLevel is Info for the window's log file (what the sync did, for a
// problem report), Debug with STREETDESK_DEBUG.
func guiLogLevel() slog.Level {
	if os.Getenv("STREETDESK_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// aboutInfo is what the window's About box shows.
func (m *Main) aboutInfo() ui.AboutInfo {
	in := m.build()
	built := "unknown"
	if !in.Date.IsZero() {
		built = in.Date.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04 (UTC+8)")
	}
	dir := absDir(m.DataDir)
	return ui.AboutInfo{Version: in.Version, Commit: in.ShortCommit(), Built: built, GoVersion: in.GoVersion,
		Platform: in.OS + "/" + in.Arch, DataDir: dir, LogFile: filepath.Join(dir, logFileName),
		OpenFolder: openFolder}
}

// openFolder shows a folder in the system's file manager.
func openFolder(path string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("explorer.exe", path)
	case "darwin":
		cmd = exec.Command("open", path)
	default:
		cmd = exec.Command("xdg-open", path)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // explorer.exe exits 1 even when it worked: nothing to report
	return nil
}

// absDir is dir as an absolute path (a problem report needs the whole of
// it; --data may have been given relative to where the program started).
func absDir(dir string) string {
	if a, err := filepath.Abs(dir); err == nil {
		return a
	}
	return dir
}
