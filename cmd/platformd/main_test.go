package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/pgtest"
	"github.com/streetdesk/streetdesk/platform"
	"golang.org/x/crypto/bcrypt"
)

var binary string

// TestMain builds the real binary once for the process tests.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "platformd-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "platformd")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := pgtest.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb}
	err := m.Run(context.Background(), args)
	return out.String(), errb.String(), err
}

func TestHelpOnEverySubcommand(t *testing.T) {
	for _, args := range [][]string{{"serve", "--help"}, {"seed", "--help"}, {"user", "add", "--help"}, {"user", "bulk", "--help"}} {
		_, stderr, err := run(t, "", args...)
		if err == nil || !strings.Contains(err.Error(), "help") || !strings.Contains(stderr, "usage: platformd "+args[0]) || !strings.Contains(stderr, "-db") {
			t.Errorf("%v: %v %q", args, err, stderr)
		}
	}
	if out, _, err := run(t, "", "--help"); err != nil || !strings.Contains(out, "platformd seed") {
		t.Errorf("--help: %v %q", err, out)
	}
	if _, _, err := run(t, "", "frobnicate"); err == nil {
		t.Error("unknown subcommand accepted")
	}
}

func TestSeedAndUserAdd(t *testing.T) {
	dir := t.TempDir()
	db := pgtest.PlatformDB(t, dir)
	out, _, err := run(t, "", "seed", "--db", db, "--media", filepath.Join(dir, "media"), "--demo", "--orders", "50")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "password of every account (shown once): ") || !strings.Contains(out, "cw01") || !strings.Contains(out, "supervisor") {
		t.Fatalf("seed output: %s", out)
	}
	if _, _, err := run(t, "", "seed", "--db", db, "--media", filepath.Join(dir, "media"), "--demo"); err == nil {
		t.Fatal("second seed accepted")
	}
	if _, _, err := run(t, "", "seed", "--db", db); err == nil {
		t.Fatal("seed without --demo accepted")
	}
	team := "440303001-cg"
	out, _, err = run(t, "s3cret-pw\n", "user", "add", "--db", db, "--username", "cw99", "--role", "caseworker", "--team", team)
	if err != nil || !strings.Contains(out, "added cw99") {
		t.Fatalf("user add: %v %s", err, out)
	}
	for _, bad := range [][]string{
		{"user", "add", "--db", db, "--username", "cw98", "--role", "king", "--team", team},
		{"user", "add", "--db", db, "--username", "cw98", "--role", "caseworker", "--team", "nope"},
		{"user", "add", "--db", db, "--username", "cw99", "--role", "caseworker", "--team", team},
	} {
		if _, _, err := run(t, "s3cret-pw\n", bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, _, err := run(t, "", "user", "add", "--db", db, "--username", "cw97", "--role", "caseworker", "--team", team); err == nil {
		t.Error("empty password accepted")
	}
}

// TestUserBulk makes load-test accounts: one shared hash at the given cost,
// teams of the given size, a dispatcher; a second run with the same prefix
// changes nothing.
func TestUserBulk(t *testing.T) {
	dir := t.TempDir()
	db := pgtest.PlatformDB(t, dir)
	out, _, err := run(t, "load-pass\n", "user", "bulk", "--db", db, "--prefix", "ld", "--count", "25", "--team-size", "10", "--bcrypt-cost", "4")
	if err != nil || !strings.Contains(out, "added 25 caseworkers (ld00001 … ld00025) in 3 teams and ld-dispatcher") {
		t.Fatalf("user bulk: %v %q", err, out)
	}
	srv, err := platform.Open(context.Background(), platform.Config{DBPath: db, MediaDir: filepath.Join(dir, "media"), BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for name, want := range map[string]streetdesk.User{
		"ld00001":       {Role: streetdesk.RoleCaseworker, TeamID: "ld-t0001"},
		"ld00010":       {Role: streetdesk.RoleCaseworker, TeamID: "ld-t0001"},
		"ld00011":       {Role: streetdesk.RoleCaseworker, TeamID: "ld-t0002"},
		"ld00025":       {Role: streetdesk.RoleCaseworker, TeamID: "ld-t0003"},
		"ld-dispatcher": {Role: streetdesk.RoleDispatcher},
	} {
		u, err := srv.User(context.Background(), name)
		if err != nil || u.Role != want.Role || u.TeamID != want.TeamID || want.TeamID != "" && u.StreetOffice == "" {
			t.Errorf("%s: %+v %v", name, u, err)
		}
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	body, _ := json.Marshal(streetdesk.LoginRequest{Username: "ld00025", Password: "load-pass"})
	resp, err := http.Post(ts.URL+"/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login: %v %v", resp, err)
	}
	resp.Body.Close()
	for _, bad := range [][]string{
		{"--prefix", "ld", "--count", "3"},                         // exists already
		{"--prefix", "ld2", "--count", "0"},                        // none
		{"--prefix", "a b", "--count", "3"},                        // bad name
		{"--prefix", "ld3", "--count", "3", "--bcrypt-cost", "2"},  // below bcrypt's minimum
		{"--prefix", "ld4", "--count", "3", "--bcrypt-cost", "40"}, // above its maximum
	} {
		if _, _, err := run(t, "load-pass\n", append([]string{"user", "bulk", "--db", db}, bad...)...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, _, err := run(t, "\n", "user", "bulk", "--db", db, "--prefix", "ld5", "--count", "3"); err == nil {
		t.Error("empty password accepted")
	}
	// One transaction: a name taken half-way leaves none of the run behind.
	if _, _, err := run(t, "load-pass\n", "user", "add", "--db", db, "--username", "ld600002", "--role", "caseworker", "--team", "ld-t0001"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, "load-pass\n", "user", "bulk", "--db", db, "--prefix", "ld6", "--count", "3"); err == nil {
		t.Fatal("bulk over an existing name accepted")
	}
	if u, err := srv.User(context.Background(), "ld600001"); err == nil {
		t.Errorf("a failed bulk run left %s", u.Username)
	}
}

// TestServeRealProcess runs the built binary on loopback: seed, serve on a
// free port read from stdout, sign in, pull, then SIGTERM shuts it down
// cleanly.
func TestServeRealProcess(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	dir := t.TempDir()
	db := pgtest.PlatformDB(t, dir)
	if out, err := exec.Command(binary, "seed", "--db", db, "--media", filepath.Join(dir, "media"), "--demo", "--password", "demo-pass", "--orders", "40").CombinedOutput(); err != nil {
		t.Fatalf("seed: %v %s", err, out)
	}
	cmd := exec.Command(binary, "serve", "--db", db, "--listen", "127.0.0.1:0", "--media", filepath.Join(dir, "media"))
	stdout, _ := cmd.StdoutPipe()
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "listening on http://127.0.0.1:") {
		t.Fatalf("first line %q: %v", line, err)
	}
	base := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	body, _ := json.Marshal(streetdesk.LoginRequest{Username: "cw01", Password: "demo-pass"})
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", "test-req-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var lr streetdesk.LoginResponse
	json.NewDecoder(resp.Body).Decode(&lr)
	resp.Body.Close()
	if resp.StatusCode != 200 || lr.Token == "" || resp.Header.Get("X-Request-ID") != "test-req-42" {
		t.Fatalf("login: %d %v", resp.StatusCode, resp.Header)
	}
	req, _ = http.NewRequest(http.MethodGet, base+"/v1/sync/pull", nil)
	req.Header.Set("Authorization", "Bearer "+lr.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var p streetdesk.PullResponse
	json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(p.Changes) == 0 || p.Checksum == nil {
		t.Fatalf("pull: %d %d", resp.StatusCode, len(p.Changes))
	}
	// A failed login with a phone-number-like password must not reach the log.
	body, _ = json.Marshal(streetdesk.LoginRequest{Username: "cw01", Password: "13812345678"})
	req, _ = http.NewRequest(http.MethodPost, base+"/v1/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { io.Copy(io.Discard, stdout); done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	l := logs.String()
	if !strings.Contains(l, `"request_id":"test-req-42"`) || !strings.Contains(l, "shutting down") {
		t.Fatalf("log lacks request ids or shutdown: %s", l)
	}
	for _, secret := range []string{lr.Token, lr.RefreshToken, "demo-pass", "13812345678", "Bearer"} {
		if strings.Contains(l, secret) {
			t.Fatalf("log contains a secret %q", secret)
		}
	}
}

// TestServeLimitsAndProfiler: the load-shedding flags reach the server, and
// the profiler listens only on loopback.
func TestServeLimitsAndProfiler(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	if _, _, err := run(t, "", "serve", "--db", db, "--listen", "127.0.0.1:0", "--debug-listen", "0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("profiler on all interfaces: %v", err)
	}
	for _, bad := range [][]string{{"--max-in-flight", "x"}, {"--queue-wait", "soon"}} {
		if _, _, err := run(t, "", append([]string{"serve", "--db", db}, bad...)...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Ready: func(a string) { addr <- a }}
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, []string{"serve", "--db", db, "--listen", "127.0.0.1:0", "--debug-listen", "127.0.0.1:0", "--max-in-flight", "2"})
	}()
	select {
	case <-addr:
	case err := <-done:
		t.Fatalf("serve: %v %s", err, errb.String())
	}
	mt := regexp.MustCompile(`"msg":"profiler listening","addr":"(127\.0\.0\.1:\d+)"`).FindStringSubmatch(errb.String())
	if mt == nil {
		t.Fatalf("no profiler: %s", errb.String())
	}
	resp, err := http.Get("http://" + mt[1] + "/debug/pprof/heap?debug=1")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("profiler: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestSeedBench imports the benchmark data set's format (a few of its lines,
// gzipped) for one demo account, and refuses a missing file or user.
func TestSeedBench(t *testing.T) {
	dir := t.TempDir()
	src, err := os.Open("../../testdata/bench/orders-10k.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	zr, err := gzip.NewReader(src)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for i := 0; i < 3 && sc.Scan(); i++ {
		zw.Write(append(sc.Bytes(), '\n'))
	}
	zw.Close()
	bench := filepath.Join(dir, "three.jsonl.gz")
	if err := os.WriteFile(bench, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, "", "seed", "--db", filepath.Join(dir, "p.db"), "--demo", "--orders", "10", "--bench", bench, "--assignee", "cw02")
	if err != nil || !strings.Contains(out, "imported 3 benchmark orders for cw02") {
		t.Fatalf("seed --bench: %v %s", err, out)
	}
	for _, args := range [][]string{
		{"--bench", filepath.Join(dir, "missing.gz")},
		{"--bench", bench, "--assignee", "nobody"},
	} {
		if _, _, err := run(t, "", append([]string{"seed", "--db", filepath.Join(t.TempDir(), "p.db"), "--demo", "--orders", "10"}, args...)...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// TestServePostgresDown: serve against a PostgreSQL that is not there stops
// at once with one clear line and a non-zero exit, before it listens.
func TestServePostgresDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now
	dir := t.TempDir()
	cmd := exec.Command(binary, "serve", "--db", fmt.Sprintf("postgres://sd:hunter2@127.0.0.1:%d/city", port), "--media", dir, "--listen", "127.0.0.1:0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("exit: %v", err)
	}
	msg := stderr.String()
	if !strings.HasPrefix(msg, "platformd: ") || !strings.Contains(msg, fmt.Sprintf("PostgreSQL at 127.0.0.1:%d/city", port)) ||
		strings.Count(strings.TrimSpace(msg), "\n") != 0 || strings.Contains(msg, "hunter2") || strings.Contains(stdout.String(), "listening") {
		t.Fatalf("stderr %q stdout %q", msg, stdout.String())
	}
}
