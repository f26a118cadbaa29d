package platform_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
)

// writeRelease puts a fake package into dir and returns its SHA-256.
func writeRelease(t *testing.T, dir, name, content string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256([]byte(content))
	return hex.EncodeToString(s[:])
}

func TestClientLatest(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, func(c *platform.Config) { c.ReleasesDir = dir })
	sums := map[string]string{}
	for _, f := range []string{
		"StreetDesk-0.1.0-windows-amd64.zip", "StreetDesk-0.10.0-windows-amd64.zip", "StreetDesk-0.9.1-windows-amd64.zip",
		"streetdesk_0.10.0_amd64.deb", "streetdesk_0.10.0_arm64.deb", "streetdesk_0.11.0_arm64.deb",
		"streetdesk-0.10.0-linux-amd64.tar.xz", "streetdesk-0.12.0-linux-amd64.tar.xz.part",
		"StreetDesk-1.0.0-windows-386.zip", "notes.txt",
	} {
		sums[f] = writeRelease(t, dir, f, "package "+f)
	}
	tok := e.token("cw01")
	for _, tc := range []struct {
		query, file string
	}{
		{"os=windows&arch=amd64", "StreetDesk-0.10.0-windows-amd64.zip"}, // 0.10 > 0.9.1 > 0.1
		{"os=linux&arch=amd64", "streetdesk_0.10.0_amd64.deb"},           // .deb by default
		{"os=linux&arch=arm64", "streetdesk_0.11.0_arm64.deb"},
		{"os=linux&arch=amd64&format=tar.xz", "streetdesk-0.10.0-linux-amd64.tar.xz"}, // .part ignored
	} {
		var rel streetdesk.ClientRelease
		st, body := e.call(http.MethodGet, "/v1/client/latest?"+tc.query, tok, nil, &rel)
		if st != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.query, st, body)
		}
		if rel.File != tc.file || rel.SHA256 != sums[tc.file] || rel.Size != int64(len("package "+tc.file)) {
			t.Errorf("%s: got %+v, want %s with sha %s", tc.query, rel, tc.file, sums[tc.file])
		}
		if rel.URL != "/v1/client/download/"+tc.file {
			t.Errorf("%s: url %q", tc.query, rel.URL)
		}
		// The download is the same bytes, and resumes with a Range.
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+rel.URL, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Range", "bytes=8-")
		st, got := e.send(req, nil)
		if st != http.StatusPartialContent || string(got) != tc.file {
			t.Errorf("%s: ranged download %d %q", tc.file, st, got)
		}
	}

	for _, tc := range []struct {
		name, path, token string
		status            int
	}{
		{"no token", "/v1/client/latest?os=windows&arch=amd64", "", http.StatusUnauthorized},
		{"download without token", "/v1/client/download/streetdesk_0.10.0_amd64.deb", "", http.StatusUnauthorized},
		{"unknown os", "/v1/client/latest?os=plan9&arch=amd64", tok, http.StatusBadRequest},
		{"unknown arch", "/v1/client/latest?os=windows&arch=386", tok, http.StatusBadRequest},
		{"deb for windows", "/v1/client/latest?os=windows&arch=amd64&format=deb", tok, http.StatusBadRequest},
		{"nothing published", "/v1/client/latest?os=windows&arch=arm64", tok, http.StatusNotFound},
		{"not a package", "/v1/client/download/notes.txt", tok, http.StatusNotFound},
		{"traversal", "/v1/client/download/..%2Fplatform.db", tok, http.StatusNotFound},
		{"missing package", "/v1/client/download/streetdesk_9.0.0_amd64.deb", tok, http.StatusNotFound},
	} {
		st, body := e.call(http.MethodGet, tc.path, tc.token, nil, nil)
		if st != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, st, body, tc.status)
		}
	}
	// Every role may ask: the centre's staff use desks too.
	if st, body := e.call(http.MethodGet, "/v1/client/latest?os=linux&arch=arm64", e.token("supervisor"), nil, nil); st != http.StatusOK {
		t.Errorf("supervisor: %d %s", st, body)
	}
}

// A package that does not match the folder's SHA256SUMS is never offered.
func TestClientLatestChecksSHA256SUMS(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, func(c *platform.Config) { c.ReleasesDir = dir })
	good := writeRelease(t, dir, "StreetDesk-0.2.0-windows-amd64.zip", "the real one")
	writeRelease(t, dir, "SHA256SUMS", fmt.Sprintf("%s  StreetDesk-0.2.0-windows-amd64.zip\n", good))
	tok := e.token("cw01")
	if st, body := e.call(http.MethodGet, "/v1/client/latest?os=windows&arch=amd64", tok, nil, nil); st != http.StatusOK {
		t.Fatalf("matching package: %d %s", st, body)
	}
	writeRelease(t, dir, "StreetDesk-0.2.0-windows-amd64.zip", "tampered with!")
	if st, _ := e.call(http.MethodGet, "/v1/client/latest?os=windows&arch=amd64", tok, nil, nil); st != http.StatusInternalServerError {
		t.Fatalf("tampered package: status %d, want 500", st)
	}
}

func TestClientLatestWithoutReleases(t *testing.T) {
	e := newEnv(t)
	st, body := e.call(http.MethodGet, "/v1/client/latest?os=windows&arch=amd64", e.token("cw01"), nil, nil)
	if st != http.StatusNotFound {
		t.Fatalf("%d %s, want 404", st, body)
	}
}
