package streetdesk_test

import (
	"testing"

	"github.com/streetdesk/streetdesk"
)

func TestIsNewerVersion(t *testing.T) {
	for _, tc := range []struct {
		candidate, current string
		want               bool
	}{
		{"0.2.0", "0.1.0", true},
		{"0.10.0", "0.9.9", true}, // numeric, not lexical
		{"1.0", "0.99.99", true},
		{"v1.2.3", "1.2.2", true},
		{"0.1.0", "0.1.0", false},
		{"0.1.0", "0.2.0", false},
		{"0.2.0", "dev", false}, // a development build never nags
		{"dev", "0.1.0", false},
		{"0.2.0-beta", "0.1.0", false},
		{"01.2.3", "0.1.0", false},
		{"1.2.3.4", "0.1.0", false},
		{"", "0.1.0", false},
	} {
		if got := streetdesk.IsNewerVersion(tc.candidate, tc.current); got != tc.want {
			t.Errorf("IsNewerVersion(%q, %q) = %v, want %v", tc.candidate, tc.current, got, tc.want)
		}
	}
}

func TestReleaseFileNames(t *testing.T) {
	for _, tc := range []struct{ os, arch, format, name string }{
		{"windows", "amd64", streetdesk.FormatZip, "StreetDesk-1.2.3-windows-amd64.zip"},
		{"linux", "amd64", streetdesk.FormatDeb, "streetdesk_1.2.3_amd64.deb"},
		{"linux", "arm64", streetdesk.FormatDeb, "streetdesk_1.2.3_arm64.deb"},
		{"linux", "arm64", streetdesk.FormatTarXZ, "streetdesk-1.2.3-linux-arm64.tar.xz"},
	} {
		if got := streetdesk.ReleaseFileName("1.2.3", tc.os, tc.arch, tc.format); got != tc.name {
			t.Errorf("ReleaseFileName(%s, %s, %s) = %q, want %q", tc.os, tc.arch, tc.format, got, tc.name)
		}
		r, ok := streetdesk.ParseReleaseFileName(tc.name)
		if !ok || r.Version != "1.2.3" || r.OS != tc.os || r.Arch != tc.arch || r.Format != tc.format || r.File != tc.name {
			t.Errorf("ParseReleaseFileName(%q) = %+v, %v", tc.name, r, ok)
		}
	}
	for _, bad := range []string{
		"SHA256SUMS", "StreetDesk-1.2.3-windows-amd64.zip.part", "StreetDesk-1.2.3-linux-amd64.zip",
		"streetdesk_../../etc_amd64.deb", "streetdesk_1.2.3_i386.deb", "streetdesk-1.2.3-windows-amd64.tar.xz",
		"streetdesk_1.2_3_amd64.deb", "streetdesk-x.y.z-linux-amd64.tar.xz",
	} {
		if r, ok := streetdesk.ParseReleaseFileName(bad); ok {
			t.Errorf("ParseReleaseFileName(%q) accepted: %+v", bad, r)
		}
	}
	if got := streetdesk.ReleaseFileName("1.0.0", "windows", "amd64", streetdesk.FormatDeb); got != "" {
		t.Errorf("a .deb for Windows: %q", got)
	}
}
