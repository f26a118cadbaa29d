package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk/internal/pgtest"
	"github.com/streetdesk/streetdesk/platform"
	"golang.org/x/crypto/bcrypt"
)

// TestFailover runs two real platformd processes on one PostgreSQL
// database and one shared photo folder behind HAProxy (health checks,
// retries, redispatch), puts sdload's desks on HAProxy, kill -9s one
// instance in the middle of the run and checks: no mutation lost or
// applied twice (in the database), every attached photo reads back with
// its SHA-256, and the desks' errors stop within 5 s of the kill.
//
// make test runs it small (about 20 s); make long (STREETDESK_LONG=1) with
// 300 desks for a minute. It needs haproxy (scripts/deps.sh installs it).
func TestFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	hap, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy is not installed (scripts/deps.sh installs it; make test runs deps first)")
	}
	// Within what the platform serves on a crowded 2-core machine (pushes
	// take turns at the writer: about 50/s here, docs/scale.md), so that
	// errors come from the kill, not from load shedding.
	users, dur, pullEvery, pushEvery, photoEvery := 40, 10*time.Second, "300ms", "500ms", "1s"
	if os.Getenv("STREETDESK_LONG") == "1" {
		users, dur, pullEvery, pushEvery, photoEvery = 300, time.Minute, "5s", "10s", "30s"
	}
	dir := t.TempDir()
	db := pgtest.DB(t)
	media := filepath.Join(dir, "media")
	ctx := context.Background()
	srv, err := platform.Open(ctx, platform.Config{DBPath: db, MediaDir: media, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddUsersBulk(ctx, platform.BulkUsers{Prefix: "load", Count: users, Password: loadPassword, BcryptCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	srv.Close()

	bin := buildPlatformd(t, dir)
	a := startPlatformd(t, bin, db, media, "a")
	b := startPlatformd(t, bin, db, media, "b")
	lb := startHAProxy(t, hap, dir, a.addr, b.addr)

	// The run, with one instance killed halfway.
	var killedAt time.Time
	killed := make(chan struct{})
	time.AfterFunc(dur/2, func() {
		defer close(killed)
		killedAt = time.Now()
		if err := a.cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no goodbye
			t.Errorf("kill: %v", err)
		}
	})
	rep, stderr, err := runLoad(t, "--target", "http://"+lb, "--users", strconv.Itoa(users), "--password", loadPassword,
		"--duration", dur.String(), "--pull-every", pullEvery, "--push-every", pushEvery, "--photo-every", photoEvery,
		"--photo-kb", "64", "--orders-per-desk", "3", "--dispatch-every", "5s", "--report-every", "2s",
		"--timeout", "10s", "--verify-db", db, "--drain", "30s")
	<-killed
	<-a.done
	t.Logf("sdload:\n%s", stderr)
	if err != nil {
		t.Fatalf("sdload: %v (platformd b: %s)", err, b.log())
	}
	c := rep.Check
	t.Logf("check: %+v; errors %v; first error %v, last %v; killed at %v", c, rep.Errors, rep.FirstError, rep.LastError, killedAt)
	if !c.OK || !c.EffectChecked || c.NotApplied != 0 || c.AppliedTwice != 0 || c.AppliedOnce != c.Mutations ||
		c.Answered != c.Mutations || c.Mutations == 0 || c.Photos == 0 {
		t.Fatalf("lost or duplicated: %+v", c)
	}
	if rep.Ops[opPull].Count == 0 || rep.Ops[opPush].Count == 0 {
		t.Fatalf("no traffic: %+v", rep.Ops)
	}
	// Errors may be none at all (HAProxy retried everything); if any, they
	// stop within 5 s of the kill. Errors before it are load shedding on a
	// crowded machine (503 Busy, honoured and resent), not the failover's.
	if rep.LastError != nil {
		if rep.FirstError.Before(killedAt) {
			t.Logf("errors before the kill (first at %v, kill at %v): %v", rep.FirstError, killedAt, rep.Errors)
		}
		if d := rep.LastError.Sub(killedAt); d > 5*time.Second {
			t.Errorf("desks saw errors for %s after the kill, want at most 5 s: %v", d.Round(time.Millisecond), rep.Errors)
		}
	}
	if st := a.cmd.ProcessState.String(); st != "signal: killed" {
		t.Errorf("instance a: %s", st)
	}
	select {
	case <-b.done:
		t.Fatalf("the surviving instance exited: %s", b.log())
	default:
	}
}

// buildPlatformd builds cmd/platformd into dir (the build cache makes it a
// link step).
func buildPlatformd(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "platformd")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	out, err := exec.Command("go", "build", "-o", bin, "github.com/streetdesk/streetdesk/cmd/platformd").CombinedOutput()
	if err != nil {
		t.Fatalf("build platformd: %v\n%s", err, out)
	}
	return bin
}

// instance is a platformd process.
type instance struct {
	cmd  *exec.Cmd
	addr string
	logf string
	done chan struct{} // closed when the process has exited
}

func (i *instance) log() string {
	b, _ := os.ReadFile(i.logf)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// startPlatformd starts platformd serve on a free loopback port and waits
// for its "listening on" line.
func startPlatformd(t *testing.T, bin, db, media, name string) *instance {
	t.Helper()
	// SCALE_LOG_DIR keeps the instances' logs (at SCALE_LOG_LEVEL, e.g.
	// debug for pgstore's writer times) after the run.
	logf := filepath.Join(cmp.Or(os.Getenv("SCALE_LOG_DIR"), filepath.Dir(media)), "platformd-"+name+".log")
	lf, err := os.Create(logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lf.Close() })
	cmd := exec.Command(bin, "serve", "--db", db, "--media", media, "--listen", "127.0.0.1:0", "--log-level", cmp.Or(os.Getenv("SCALE_LOG_LEVEL"), "warn"),
		"--db-conns", "8")
	cmd.Stderr = lf
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // already gone for the killed one
		<-done
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening on http://"); ok {
				addr <- a
			}
		}
		io.Copy(io.Discard, out)
		_ = cmd.Wait()
		close(done)
	}()
	select {
	case a := <-addr:
		return &instance{cmd: cmd, addr: a, logf: logf, done: done}
	case <-done:
		b, _ := os.ReadFile(logf)
		t.Fatalf("platformd %s exited: %s", name, b)
	case <-time.After(30 * time.Second):
		t.Fatalf("platformd %s did not start", name)
	}
	return nil
}

// haproxyConfig balances over the instances: a health check every 250 ms
// (two failures take a server out: a killed instance refuses the check at
// once; a busy one has 2 s to answer, or a crowded machine takes both out),
// and a request whose server refused the connection or closed it without an
// answer is retried on the other (redispatch). Pushes are safe to retry:
// the platform applies each mutation once whatever arrives twice.
const haproxyConfig = `global
    maxconn 4096
defaults
    mode http
    timeout connect 500ms
    timeout client 60s
    timeout server 65s # a long poll (GET /v1/sync/wait) is held up to 55 s
    timeout queue 5s
    timeout check 2s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    option http-buffer-request
frontend desks
    bind 127.0.0.1:%d
    default_backend platformd
backend platformd
    balance roundrobin
    option httpchk GET /v1/me
    http-check expect status 401
    default-server inter 250ms fall 2 rise 2 maxconn 256
    server a %s check
    server b %s check
`

// startHAProxy runs haproxy in the foreground with its own config on a
// free port and returns its address once it accepts connections.
func startHAProxy(t *testing.T, bin, dir, a, b string) string {
	t.Helper()
	port := freePort(t)
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, haproxyConfig, port, a, b), 0o600); err != nil {
		t.Fatal(err)
	}
	logf := filepath.Join(dir, "haproxy.log")
	lf, err := os.Create(logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lf.Close() })
	cmd := exec.Command(bin, "-db", "-f", cfg) // -db: foreground
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logf)
			t.Fatalf("haproxy did not start: %v\n%s", err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
