// Package buildinfo says which build of StreetDesk is running: the version
// and commit stamped in by `make package` (or `make build`), else what the
// Go toolchain recorded (debug.ReadBuildInfo).
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Set at link time: go build -ldflags "-X github.com/streetdesk/streetdesk/internal/buildinfo.version=0.1.0 …".
var (
	version string
	commit  string
	date    string // RFC 3339, UTC
)

// DevVersion is the version of a build that was not stamped (go run, go
// test, a plain go build): it is never compared with a release.
const DevVersion = "dev"

// Info describes the running build.
type Info struct {
	Version   string    `json:"version"`
	Commit    string    `json:"commit"`    // full hash; "" when unknown
	Modified  bool      `json:"modified"`  // built from a tree with uncommitted changes
	Date      time.Time `json:"date"`      // build time (stamped) or commit time (VCS); zero when unknown
	GoVersion string    `json:"goVersion"` // e.g. go1.26.8
	OS        string    `json:"os"`        // runtime.GOOS
	Arch      string    `json:"arch"`      // runtime.GOARCH
}

// Get returns the running build's information.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return get(bi, version, commit, date)
}

func get(bi *debug.BuildInfo, version, commit, date string) Info {
	in := Info{Version: version, Commit: commit, GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if t, err := time.Parse(time.RFC3339, date); err == nil {
		in.Date = t.UTC()
	}
	if bi != nil {
		if bi.GoVersion != "" {
			in.GoVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if in.Commit == "" {
					in.Commit = s.Value
				}
			case "vcs.time":
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil && in.Date.IsZero() {
					in.Date = t.UTC()
				}
			case "vcs.modified":
				in.Modified = in.Modified || s.Value == "true"
			}
		}
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = strings.TrimPrefix(bi.Main.Version, "v")
		}
	}
	if strings.HasSuffix(in.Commit, "-dirty") {
		in.Commit, in.Modified = strings.TrimSuffix(in.Commit, "-dirty"), true
	}
	if in.Version == "" {
		in.Version = DevVersion
	}
	return in
}

// ShortCommit is the first 12 characters of the commit, "unknown" when none.
func (in Info) ShortCommit() string {
	c := in.Commit
	if c == "" {
		return "unknown"
	}
	if len(c) > 12 {
		c = c[:12]
	}
	if in.Modified {
		c += "-dirty"
	}
	return c
}

// String is the multi-line report `streetdesk version` prints.
func (in Info) String() string {
	d := "unknown"
	if !in.Date.IsZero() {
		d = in.Date.Format(time.RFC3339)
	}
	return fmt.Sprintf("StreetDesk %s\ncommit:   %s\nbuilt:    %s\ngo:       %s\nplatform: %s/%s\n",
		in.Version, in.ShortCommit(), d, in.GoVersion, in.OS, in.Arch)
}
