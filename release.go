package streetdesk

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ClientRelease is one downloadable package of the desktop app, as the
// platform's GET /v1/client/latest answers it.
type ClientRelease struct {
	Version string `json:"version"` // x.y.z
	OS      string `json:"os"`      // windows, linux
	Arch    string `json:"arch"`    // amd64, arm64
	Format  string `json:"format"`  // zip, deb, tar.xz
	File    string `json:"file"`    // the package's file name
	// URL is where to download it: a path on the platform
	// (/v1/client/download/FILE, bearer token required) or an absolute URL.
	URL       string    `json:"url"`
	SHA256    string    `json:"sha256"` // hex, of the whole file
	Size      int64     `json:"size"`
	Published time.Time `json:"published"`
}

// Release package formats.
const (
	FormatZip   = "zip"    // Windows: StreetDesk.exe and streetdesk-cli.exe
	FormatDeb   = "deb"    // Debian, UOS, Kylin
	FormatTarXZ = "tar.xz" // other Linux distributions
)

// ReleaseFileName is the name `make package` gives the package of version v
// for osName/arch in format.
func ReleaseFileName(v, osName, arch, format string) string {
	switch {
	case osName == "windows" && format == FormatZip:
		return fmt.Sprintf("StreetDesk-%s-windows-%s.zip", v, arch)
	case osName == "linux" && format == FormatDeb:
		return fmt.Sprintf("streetdesk_%s_%s.deb", v, arch)
	case osName == "linux" && format == FormatTarXZ:
		return fmt.Sprintf("streetdesk-%s-linux-%s.tar.xz", v, arch)
	}
	return ""
}

// ParseReleaseFileName reads version, OS, architecture and format back from
// a package's file name; ok is false for any other file.
func ParseReleaseFileName(name string) (r ClientRelease, ok bool) {
	var v, osName, arch, format string
	switch {
	case strings.HasPrefix(name, "StreetDesk-") && strings.HasSuffix(name, ".zip"):
		parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(name, "StreetDesk-"), ".zip"), "-")
		if len(parts) != 3 || parts[1] != "windows" {
			return r, false
		}
		v, osName, arch, format = parts[0], "windows", parts[2], FormatZip
	case strings.HasPrefix(name, "streetdesk_") && strings.HasSuffix(name, ".deb"):
		parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(name, "streetdesk_"), ".deb"), "_")
		if len(parts) != 2 {
			return r, false
		}
		v, osName, arch, format = parts[0], "linux", parts[1], FormatDeb
	case strings.HasPrefix(name, "streetdesk-") && strings.HasSuffix(name, ".tar.xz"):
		parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(name, "streetdesk-"), ".tar.xz"), "-")
		if len(parts) != 3 || parts[1] != "linux" {
			return r, false
		}
		v, osName, arch, format = parts[0], "linux", parts[2], FormatTarXZ
	default:
		return r, false
	}
	if _, err := ParseVersion(v); err != nil || !knownArch(arch) {
		return r, false
	}
	return ClientRelease{Version: v, OS: osName, Arch: arch, Format: format, File: name}, true
}

func knownArch(a string) bool { return a == "amd64" || a == "arm64" }

// Version is a release version: major.minor.patch, numbers only (the form
// FyneApp.toml and Windows' version resources accept).
type Version struct{ Major, Minor, Patch int }

// ParseVersion reads "x.y.z" (a leading "v" is allowed; "x.y" means x.y.0).
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(strings.TrimPrefix(s, "v"), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, Errorf(EINVALID, "version %q is not of the form x.y.z", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || p == "" || (len(p) > 1 && p[0] == '0') {
			return Version{}, Errorf(EINVALID, "version %q is not of the form x.y.z", s)
		}
		n[i] = v
	}
	return Version{n[0], n[1], n[2]}, nil
}

// Compare returns -1, 0 or +1 as v is older than, equal to or newer than w.
func (v Version) Compare(w Version) int {
	for _, d := range [3]int{v.Major - w.Major, v.Minor - w.Minor, v.Patch - w.Patch} {
		if d < 0 {
			return -1
		}
		if d > 0 {
			return 1
		}
	}
	return 0
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// IsNewerVersion reports whether candidate is a newer release than current.
// A version that does not parse (a development build's "dev") is never
// older or newer than anything.
func IsNewerVersion(candidate, current string) bool {
	c, err := ParseVersion(candidate)
	if err != nil {
		return false
	}
	cur, err := ParseVersion(current)
	if err != nil {
		return false
	}
	return c.Compare(cur) > 0
}

// UpdateStatus is what the desk knows about a newer release: the notice in
// the window, `streetdesk status --json` and `streetdesk update` show it.
type UpdateStatus struct {
	Current   string         `json:"current"`          // the running version
	Latest    *ClientRelease `json:"latest,omitempty"` // the platform's newest for this OS and architecture
	Available bool           `json:"available"`        // Latest is newer than Current
	CheckedAt time.Time      `json:"checkedAt,omitzero"`
	// Ready is the downloaded package on this computer, set only after its
	// SHA-256 matched Latest.SHA256 (and checked again at each start).
	Ready       string `json:"ready,omitempty"`
	Downloading bool   `json:"downloading,omitempty"`
	Downloaded  int64  `json:"downloaded,omitempty"` // bytes so far
	Error       string `json:"error,omitempty"`      // the last check or download failure, plain words
}

// Updates is the update notice as the UI sees it: checking, downloading and
// verifying happen elsewhere; the UI reads the status and asks for the
// download. Nothing is ever installed without the user.
type Updates interface {
	Status() UpdateStatus
	// Notify returns a channel that is closed at the next status change.
	Notify() <-chan struct{}
	// Download asks for the latest package to be downloaded and verified; it never blocks.
	Download()
}
