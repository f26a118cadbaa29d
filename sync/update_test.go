package sync_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
	"github.com/streetdesk/streetdesk/sync"
)

// cutRT cuts the body of the next package download after cut bytes and
// records the Range header of every download.
type cutRT struct {
	next   http.RoundTripper
	mu     gosync.Mutex
	cut    int64
	ranges []string
	html   bool // answer the next download with a login page
}

func (c *cutRT) RoundTrip(r *http.Request) (*http.Response, error) {
	if filepath.Dir(r.URL.Path) != "/v1/client/download" {
		return c.next.RoundTrip(r)
	}
	c.mu.Lock()
	c.ranges = append(c.ranges, r.Header.Get("Range"))
	cut, html := c.cut, c.html
	c.cut, c.html = 0, false
	c.mu.Unlock()
	if html {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/html"}},
			Body: io.NopCloser(io.MultiReader()), Request: r}, nil
	}
	resp, err := c.next.RoundTrip(r)
	if err != nil || cut == 0 {
		return resp, err
	}
	resp.Body = &cutBody{r: io.LimitReader(resp.Body, cut), c: resp.Body}
	return resp, nil
}

type cutBody struct {
	r io.Reader
	c io.Closer
}

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF // the connection dropped
	}
	return n, err
}
func (b *cutBody) Close() error { return b.c.Close() }

type releaseRig struct {
	e        *realEnv
	releases string
	rt       *cutRT
	client   *sync.Client
}

func newReleaseRig(t *testing.T) *releaseRig {
	dir := t.TempDir()
	e := newRealEnv(t, func(c *platform.Config) { c.ReleasesDir = dir })
	rt := &cutRT{next: http.DefaultTransport.(*http.Transport).Clone()}
	c, err := sync.NewClient(sync.ClientOptions{BaseURL: e.ts.URL, Transport: rt})
	if err != nil {
		t.Fatal(err)
	}
	lr, err := c.Login(context.Background(), "cw01", realPassword)
	if err != nil {
		t.Fatal(err)
	}
	c.SetTokenSource(sync.NewTokens(c, lr.Token, lr.RefreshToken, nil))
	return &releaseRig{e: e, releases: dir, rt: rt, client: c}
}

// publish writes a random package of size bytes and returns its SHA-256.
func (r *releaseRig) publish(t *testing.T, name string, size int) string {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	if err := os.WriteFile(filepath.Join(r.releases, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestDownloadReleaseResumes(t *testing.T) {
	r := newReleaseRig(t)
	ctx := context.Background()
	sum := r.publish(t, "StreetDesk-0.2.0-windows-amd64.zip", 1<<20)
	rel, err := r.client.LatestRelease(ctx, "windows", "amd64", "")
	if err != nil {
		t.Fatal(err)
	}
	if rel.Version != "0.2.0" || rel.SHA256 != sum || rel.Size != 1<<20 {
		t.Fatalf("latest = %+v", rel)
	}
	dir := t.TempDir()
	r.rt.cut = 300 << 10
	if _, err := r.client.DownloadRelease(ctx, *rel, dir, nil); !sync.IsTransient(err) {
		t.Fatalf("cut download: err %v, want a transient error", err)
	}
	part := filepath.Join(dir, rel.File+".part")
	if info, err := os.Stat(part); err != nil || info.Size() != 300<<10 {
		t.Fatalf("partial file after the cut: %v %v", info, err)
	}
	var seen []int64
	path, err := r.client.DownloadRelease(ctx, *rel, dir, func(done int64) { seen = append(seen, done) })
	if err != nil {
		t.Fatal(err)
	}
	if got := r.rt.ranges; len(got) != 2 || got[0] != "" || got[1] != "bytes=307200-" {
		t.Errorf("Range headers %q, want none then bytes=307200-", got)
	}
	if len(seen) == 0 || seen[0] <= 300<<10 || seen[len(seen)-1] != 1<<20 {
		t.Errorf("progress %v: want from past 300 KiB up to 1 MiB", seen)
	}
	if ok, err := sync.FileMatches(path, sum, 1<<20); !ok || err != nil {
		t.Fatalf("downloaded file does not match: %v", err)
	}
	if _, err := os.Stat(part); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial file left behind: %v", err)
	}
	// Asked again: the verified file is there, nothing is downloaded.
	if p2, err := r.client.DownloadRelease(ctx, *rel, dir, nil); err != nil || p2 != path || len(r.rt.ranges) != 2 {
		t.Errorf("second call: %q %v, %d requests", p2, err, len(r.rt.ranges))
	}
}

func TestDownloadReleaseRefusesWhatDoesNotMatch(t *testing.T) {
	r := newReleaseRig(t)
	ctx := context.Background()
	r.publish(t, "streetdesk_0.3.0_arm64.deb", 64<<10)
	rel, err := r.client.LatestRelease(ctx, "linux", "arm64", "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		mod   func(rel *streetdesk.ClientRelease)
		html  bool
		check func(e *sync.Error) bool
	}{
		{"another hash", func(rel *streetdesk.ClientRelease) { rel.SHA256 = hex.EncodeToString(make([]byte, 32)) },
			false, func(e *sync.Error) bool { return e.Code == sync.CodeChecksumMismatch }},
		{"longer than announced", func(rel *streetdesk.ClientRelease) { rel.Size -= 10 },
			false, func(e *sync.Error) bool { return e.Code == sync.CodeChecksumMismatch }},
		{"a login page", func(*streetdesk.ClientRelease) {},
			true, func(e *sync.Error) bool { return e.Code == sync.CodeCaptivePortal && e.Kind == sync.KindTransient }},
		{"another host gets no token", func(rel *streetdesk.ClientRelease) { rel.URL = "https://example.com/v1/client/download/" + rel.File },
			false, func(e *sync.Error) bool { return e.Code == streetdesk.EINVALID }},
		{"a path in the file name", func(rel *streetdesk.ClientRelease) { rel.File = "../streetdesk_0.3.0_arm64.deb" },
			false, func(e *sync.Error) bool { return e.Code == streetdesk.EINVALID }},
	} {
		bad := *rel
		tc.mod(&bad)
		r.rt.html = tc.html
		_, err := r.client.DownloadRelease(ctx, bad, dir, nil)
		if e := sync.AsError(err); e == nil || !tc.check(e) {
			t.Errorf("%s: err %v", tc.name, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: left %v in the download folder", tc.name, entries)
		}
	}
}

func TestUpdaterCheckAndDownload(t *testing.T) {
	r := newReleaseRig(t)
	ctx := context.Background()
	dir := t.TempDir()
	var saved []streetdesk.UpdateStatus
	clk := newFakeClock()
	u := sync.NewUpdater(r.client, streetdesk.UpdateStatus{}, sync.UpdaterOptions{
		Current: "0.2.0", OS: "linux", Arch: "amd64", Format: streetdesk.FormatDeb, Dir: dir, Clock: clk,
		Save: func(st streetdesk.UpdateStatus) error { saved = append(saved, st); return nil },
	})
	if !u.Due() {
		t.Fatal("never checked, yet not due")
	}
	// Nothing published: quiet, no error.
	st, err := u.Check(ctx)
	if err != nil || st.Latest != nil || st.Available || st.CheckedAt.IsZero() {
		t.Fatalf("nothing published: %+v %v", st, err)
	}
	if u.Due() {
		t.Error("due right after a check")
	}
	// The same version: known, not available.
	r.publish(t, "streetdesk_0.2.0_amd64.deb", 1000)
	if st, err = u.Check(ctx); err != nil || st.Latest == nil || st.Available {
		t.Fatalf("same version: %+v %v", st, err)
	}
	if _, err := u.DownloadNow(ctx); streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
		t.Errorf("download without a newer version: %v", err)
	}
	// A newer one, downloaded and verified on request.
	sum := r.publish(t, "streetdesk_0.10.0_amd64.deb", 200<<10)
	if st, err = u.Check(ctx); err != nil || !st.Available || st.Latest.Version != "0.10.0" || st.Ready != "" {
		t.Fatalf("newer version: %+v %v", st, err)
	}
	if st, err = u.DownloadNow(ctx); err != nil || st.Ready != filepath.Join(dir, "streetdesk_0.10.0_amd64.deb") || st.Downloading {
		t.Fatalf("download: %+v %v", st, err)
	}
	if ok, _ := sync.FileMatches(st.Ready, sum, 200<<10); !ok {
		t.Fatal("ready file does not match")
	}
	if last := saved[len(saved)-1]; last.Ready != st.Ready {
		t.Errorf("saved status %+v, want the ready one", last)
	}
	// A ready file that changed on disk is no longer ready.
	if err := os.WriteFile(st.Ready, []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err = u.Check(ctx); err != nil || st.Ready != "" || !st.Available {
		t.Fatalf("after tampering: %+v %v", st, err)
	}
	// Old downloads go once a newer version is out.
	if _, err := u.DownloadNow(ctx); err != nil {
		t.Fatal(err)
	}
	r.publish(t, "streetdesk_0.11.0_amd64.deb", 1000)
	if st, err = u.Check(ctx); err != nil || st.Ready != "" || st.Latest.Version != "0.11.0" {
		t.Fatalf("0.11.0: %+v %v", st, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("old downloads kept: %v", entries)
	}
	// Restarted from the saved status: the notice is back at once.
	u2 := sync.NewUpdater(r.client, saved[len(saved)-1], sync.UpdaterOptions{Current: "0.2.0", OS: "linux", Arch: "amd64", Dir: dir, Clock: clk})
	if st := u2.Status(); !st.Available || st.Latest.Version != "0.11.0" {
		t.Errorf("restored status %+v", st)
	}
	// Running the new version: nothing to offer.
	u3 := sync.NewUpdater(r.client, saved[len(saved)-1], sync.UpdaterOptions{Current: "0.11.0", OS: "linux", Arch: "amd64", Dir: dir, Clock: clk})
	if st := u3.Status(); st.Available {
		t.Errorf("up to date, still available: %+v", st)
	}
}

// Run checks at once when due, then once a day, and downloads on request.
func TestUpdaterRun(t *testing.T) {
	r := newReleaseRig(t)
	sum := r.publish(t, "StreetDesk-0.3.0-windows-amd64.zip", 4096)
	clk := newFakeClock()
	u := sync.NewUpdater(r.client, streetdesk.UpdateStatus{}, sync.UpdaterOptions{
		Current: "0.2.0", OS: "windows", Arch: "amd64", Dir: t.TempDir(), Clock: clk, Rand: func() float64 { return 0.5 },
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	waitUpdate(t, u, "the first check", func(st streetdesk.UpdateStatus) bool { return st.Available })
	first := u.Status().CheckedAt

	sum2 := r.publish(t, "StreetDesk-0.4.0-windows-amd64.zip", 4096)
	clk.AdvanceWhenArmed(t, 24*time.Hour)
	waitUpdate(t, u, "the daily check", func(st streetdesk.UpdateStatus) bool { return st.CheckedAt.After(first) })
	if st := u.Status(); st.Latest.Version != "0.4.0" || st.Latest.SHA256 != sum2 {
		t.Fatalf("after a day: %+v (0.3.0 was %s)", st.Latest, sum)
	}
	u.Download()
	st := waitUpdate(t, u, "the download", func(st streetdesk.UpdateStatus) bool { return st.Ready != "" })
	if ok, _ := sync.FileMatches(st.Ready, sum2, 4096); !ok {
		t.Fatal("ready file does not match")
	}
}

func waitUpdate(t *testing.T, u *sync.Updater, what string, cond func(streetdesk.UpdateStatus) bool) streetdesk.UpdateStatus {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		ch := u.Notify()
		if st := u.Status(); cond(st) {
			return st
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%s: timed out; status %+v", what, u.Status())
		}
	}
}
