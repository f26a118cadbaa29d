package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/pgtest"
	"github.com/streetdesk/streetdesk/platform"
	"golang.org/x/crypto/bcrypt"
)

const loadPassword = "load-pass"

// The platform under load is SQLite, or PostgreSQL under
// STREETDESK_TEST_DB=postgres.
func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// startPlatform serves a platform with users bulk accounts on loopback and
// returns its URL and database path.
func startPlatform(t *testing.T, users int, hooks platform.Hooks) (string, string) {
	t.Helper()
	dir := t.TempDir()
	db := pgtest.PlatformDB(t, dir)
	srv, err := platform.Open(context.Background(), platform.Config{DBPath: db, MediaDir: filepath.Join(dir, "media"), BcryptCost: bcrypt.MinCost, Hooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if _, err := srv.AddUsersBulk(context.Background(), platform.BulkUsers{Prefix: "load", Count: users, TeamSize: 4, Password: loadPassword}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL, db
}

func runLoad(t *testing.T, args ...string) (*Report, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb}
	err := m.Run(context.Background(), append(args, "--json"))
	var rep Report
	if out.Len() > 0 {
		if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
			t.Fatalf("report: %v\n%s", jerr, out.Bytes())
		}
	}
	return &rep, errb.String(), err
}

// TestShortRun is the load generator's run in make test: a few desks pull,
// push notes, accepts and resolutions and upload photos for three seconds,
// while four mutations' answers are lost after their commit; the desks
// resend and the check still finds every mutation applied exactly once.
func TestShortRun(t *testing.T) {
	var mu gosync.Mutex
	n := 0
	url, db := startPlatform(t, 8, platform.Hooks{AfterCommit: func(streetdesk.Mutation) error {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n%5 == 0 && n <= 20 {
			return errors.New("response lost")
		}
		return nil
	}})
	rep, stderr, err := runLoad(t, "--target", url, "--users", "8", "--password", loadPassword, "--duration", "3s",
		"--pull-every", "200ms", "--push-every", "50ms", "--photo-every", "350ms", "--photo-kb", "20",
		"--dispatch-every", "1s", "--report-every", "1s", "--verify-db", db, "--drain", "20s")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	t.Log(stderr)
	c := rep.Check
	if !c.OK || !c.EffectChecked || c.Mutations == 0 || c.AppliedOnce != c.Mutations || c.Answered != c.Mutations || c.Stored != c.Mutations || c.Notes == 0 || c.Photos == 0 {
		t.Fatalf("check: %+v", c)
	}
	for _, op := range []string{opPull, opPush, opUpload} {
		if s := rep.Ops[op]; s.Count == 0 || s.P99ms <= 0 || s.P50ms > s.P99ms {
			t.Errorf("%s: %+v", op, s)
		}
	}
	// A resend's answer is "duplicate" unless a pull answered it first
	// ("applied"); either way it was applied once (the check above).
	if rep.Resent == 0 || !hasKind(rep.Errors, "push 503 "+streetdesk.EINTERNAL) {
		t.Errorf("lost answers were not resent: resent %d, results %v, errors %v", rep.Resent, rep.Results, rep.Errors)
	}
	if !strings.Contains(stderr, "pulls/s") {
		t.Errorf("no progress lines: %s", stderr)
	}
}

func hasKind(cs []counted, kind string) bool {
	for _, c := range cs {
		if c.Kind == kind && c.Count > 0 {
			return true
		}
	}
	return false
}

// TestCheckFindsUnappliedMutations: pointed at another database, the check
// must fail — it reads the platform, it does not trust the answers.
func TestCheckFindsUnappliedMutations(t *testing.T) {
	url, _ := startPlatform(t, 2, platform.Hooks{})
	_, other := startPlatform(t, 1, platform.Hooks{})
	rep, _, err := runLoad(t, "--target", url, "--users", "2", "--password", loadPassword, "--duration", "500ms",
		"--pull-every", "100ms", "--push-every", "50ms", "--photo-every", "0", "--report-every", "0", "--verify-db", other)
	if err == nil || rep.Check.OK || rep.Check.NotApplied == 0 || rep.Check.NotApplied != rep.Check.Mutations {
		t.Fatalf("err %v, check %+v", err, rep.Check)
	}
}

func TestRefusesNonLoopbackTargets(t *testing.T) {
	for _, target := range []string{"http://192.0.2.1:8420", "http://0.0.0.0:8420", "http://[2001:db8::1]:8420", "ftp://127.0.0.1", "127.0.0.1:8420"} {
		_, _, err := runLoad(t, "--target", target, "--password", "x")
		if err == nil {
			t.Errorf("%s accepted", target)
		}
	}
	dial := loopbackDialer()
	if _, err := dial(context.Background(), "tcp", "192.0.2.1:80"); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Errorf("dial: %v", err)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--users", "0", "--password", "x"},
		{"--password", ""},
		{"--password", "x", "--duration", "3h"},
		{"--password", "x", "--mode", "push"},
		{"--password", "x", "--mode", "wait", "--wait-timeout", "56s"},
		{"--password", "x", "--pull-every", "-1s"},
		{"--password", "x", "extra"},
	} {
		if _, _, err := runLoad(t, args...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.add(timeMS(i))
	}
	q := quantiles(h.snapshot(), 0.5, 0.99, 1)
	for i, want := range []int{500, 990, 1000} {
		got := float64(q[i]) / float64(timeMS(1))
		if got < float64(want) || got > float64(want)*1.02 {
			t.Errorf("q%d = %.1f ms, want %d ms within 2%%", i, got, want)
		}
	}
	if q := quantiles(make([]uint64, histBuckets), 0.5); q[0] != 0 {
		t.Errorf("empty: %v", q)
	}
	for _, d := range []int64{0, 1, 63, 64, 65, 127, 128, 1 << 20, 1<<40 + 12345} {
		i := bucketOf(timeNS(d))
		if hi := bucketValue(i); int64(hi) < d || i > 0 && int64(bucketValue(i-1)) >= d {
			t.Errorf("%d: bucket %d ends at %d", d, i, hi)
		}
	}
}

func timeMS(n int) time.Duration   { return time.Duration(n) * time.Millisecond }
func timeNS(n int64) time.Duration { return time.Duration(n) }
