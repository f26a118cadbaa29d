package main_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
)

// publish writes a fake package of the given version for this OS and
// architecture (the .tar.xz on Linux: a test binary is not in /usr/bin)
// into dir, with its SHA256SUMS line, and returns the file's hash.
func publish(t *testing.T, dir, version string) (string, string) {
	t.Helper()
	format := streetdesk.FormatTarXZ
	if runtime.GOOS == "windows" {
		format = streetdesk.FormatZip
	}
	name := streetdesk.ReleaseFileName(version, runtime.GOOS, runtime.GOARCH, format)
	if name == "" {
		t.Skipf("no packages are made for %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	b := make([]byte, 300<<10)
	rand.Read(b)
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	sum := hex.EncodeToString(s[:])
	f, err := os.OpenFile(filepath.Join(dir, "SHA256SUMS"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "%s  %s\n", sum, name)
	f.Close()
	return name, sum
}

func (d *desk) update() *streetdesk.UpdateStatus {
	d.t.Helper()
	var st struct {
		Update *streetdesk.UpdateStatus `json:"update"`
	}
	if err := json.Unmarshal([]byte(d.must("status", "--json")), &st); err != nil {
		d.t.Fatal(err)
	}
	return st.Update
}

// The update notice end to end against a real platformd serving a release
// folder: the desk learns of the newer version at sign-in, `status --json`
// reports it offline, `update --download` fetches it and offers it as
// ready only once its SHA-256 matched, and a file changed afterwards is no
// longer offered.
func TestEndToEnd_UpdateNotice(t *testing.T) {
	t.Setenv("STREETDESK_NO_KEYRING", "1")
	releases := t.TempDir()
	publish(t, releases, "0.1.0")
	p := startPlatformd(t, "--releases", releases)
	d := &desk{t: t, data: t.TempDir(), version: "0.1.0"}
	login := func() {
		t.Helper()
		if out, errs, code := d.run(p.Password+"\n", "login", "--server", p.URL, "--user", "cw01", "--password-stdin"); code != 0 {
			t.Fatalf("login: exit %d %s %s", code, out, errs)
		}
	}

	// Running the newest version: known, quiet.
	login()
	st := d.update()
	if st == nil || st.Latest == nil || st.Latest.Version != "0.1.0" || st.Available || st.Current != "0.1.0" {
		t.Fatalf("up to date: %+v", st)
	}
	if out := d.must("update"); !strings.Contains(out, "StreetDesk 0.1.0 is up to date") {
		t.Errorf("update: %q", out)
	}

	// 0.2.0 is published: the next sign-in learns of it; status says so offline.
	name, sum := publish(t, releases, "0.2.0")
	login()
	st = d.update()
	if st == nil || !st.Available || st.Latest.Version != "0.2.0" || st.Latest.SHA256 != sum || st.Ready != "" {
		t.Fatalf("after 0.2.0 was published: %+v", st)
	}
	out := d.must("update")
	if !strings.Contains(out, "新版本 0.2.0 可用") || !strings.Contains(out, sum) {
		t.Errorf("update: %q", out)
	}

	// Downloaded on request, verified, then offered as ready.
	out = d.must("update", "--download")
	want := filepath.Join(d.data, "updates", name)
	if !strings.Contains(out, "downloaded and verified") || !strings.Contains(out, want) {
		t.Fatalf("update --download: %q", out)
	}
	b, err := os.ReadFile(want)
	if s := sha256.Sum256(b); err != nil || hex.EncodeToString(s[:]) != sum {
		t.Fatalf("downloaded file: %v", err)
	}
	if st = d.update(); st.Ready != want {
		t.Fatalf("status after the download: %+v", st)
	}

	// A ready file that changed on disk is no longer offered.
	if err := os.WriteFile(want, []byte("not the package"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st = d.update(); st.Ready != "" || !st.Available {
		t.Fatalf("status after tampering: %+v", st)
	}

	// Running 0.2.0: nothing to offer any more.
	d.version = "0.2.0"
	if st = d.update(); st.Available || st.Ready != "" {
		t.Fatalf("running 0.2.0: %+v", st)
	}
}

func TestVersion(t *testing.T) {
	d := &desk{t: t, data: t.TempDir(), version: "0.3.1"}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out := d.must(args...)
		for _, want := range []string{"StreetDesk 0.3.1\n", "commit:", "built:", "go:       go1.", "platform: " + runtime.GOOS + "/" + runtime.GOARCH,
			"data:     " + d.data, "log:      " + filepath.Join(d.data, "streetdesk.log")} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: %q lacks %q", args, out, want)
			}
		}
	}
	var v struct {
		Version, GoVersion, OS, Arch, DataDir, LogFile string
	}
	if err := json.Unmarshal([]byte(d.must("version", "--json")), &v); err != nil {
		t.Fatal(err)
	}
	if v.Version != "0.3.1" || v.OS != runtime.GOOS || v.Arch != runtime.GOARCH || v.DataDir != d.data || !strings.HasPrefix(v.GoVersion, "go1.") {
		t.Errorf("version --json: %+v", v)
	}
	// A plain test build is not stamped: "dev", never compared with a release.
	d.version = ""
	if out := d.must("version"); !strings.HasPrefix(out, "StreetDesk dev\n") {
		t.Errorf("unstamped build: %q", out)
	}
}
