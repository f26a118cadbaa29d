package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestGet(t *testing.T) {
	vcs := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"},
		{Key: "vcs.time", Value: "2026-12-01T08:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	for _, tc := range []struct {
		name                  string
		bi                    *debug.BuildInfo
		version, commit, date string
		want                  Info
	}{
		{"stamped by make package", vcs, "0.2.0", "fedcba9876543210", "2026-12-04T05:00:00Z",
			Info{Version: "0.2.0", Commit: "fedcba9876543210", Modified: true, Date: time.Date(2026, 12, 4, 5, 0, 0, 0, time.UTC), GoVersion: "go1.26.8"}},
		{"stamped dirty commit", nil, "0.2.0", "fedcba9876543210-dirty", "",
			Info{Version: "0.2.0", Commit: "fedcba9876543210", Modified: true, GoVersion: runtime.Version()}},
		{"go build in a checkout", vcs, "", "", "",
			Info{Version: DevVersion, Commit: "0123456789abcdef0123", Modified: true, Date: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), GoVersion: "go1.26.8"}},
		{"go install of a tagged module", &debug.BuildInfo{Main: debug.Module{Version: "v0.3.1"}}, "", "", "",
			Info{Version: "0.3.1", GoVersion: runtime.Version()}},
		{"nothing known", nil, "", "", "bad date",
			Info{Version: DevVersion, GoVersion: runtime.Version()}},
	} {
		got := get(tc.bi, tc.version, tc.commit, tc.date)
		tc.want.OS, tc.want.Arch = runtime.GOOS, runtime.GOARCH
		if got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

func TestString(t *testing.T) {
	in := Info{Version: "0.2.0", Commit: "fedcba9876543210fedc", Modified: true, GoVersion: "go1.26.8", OS: "windows", Arch: "amd64",
		Date: time.Date(2026, 12, 4, 5, 0, 0, 0, time.UTC)}
	s := in.String()
	for _, want := range []string{"StreetDesk 0.2.0\n", "commit:   fedcba987654-dirty\n", "built:    2026-12-04T05:00:00Z\n", "go:       go1.26.8\n", "platform: windows/amd64\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %q, missing %q", s, want)
		}
	}
	if got := (Info{}).ShortCommit(); got != "unknown" {
		t.Errorf("ShortCommit of nothing = %q", got)
	}
}
