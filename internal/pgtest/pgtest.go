// Package pgtest runs a throwaway PostgreSQL server for tests: a cluster
// made by initdb in a temporary folder (as the postgres user when the test
// runs as root, since initdb refuses root) and started by pg_ctl on a free
// loopback port, one per test binary, removed when the binary ends. Each
// test gets a database of its own, copied from a template that already has
// the platform's schema.
//
// Platform tests run on SQLite unless STREETDESK_TEST_DB=postgres: then
// PlatformDB hands out PostgreSQL databases instead of files, and every
// test that opens its platform through it runs on PostgreSQL.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streetdesk/streetdesk/platform/pgstore"
)

// EnvDB chooses the platform tests' database: "postgres" or "" (SQLite).
const EnvDB = "STREETDESK_TEST_DB"

// EnvDurable, set to 1, makes the shared cluster durable (fsync and
// synchronous commit on, as a real server runs): for benchmarks that set
// PostgreSQL against SQLite's synchronous=FULL.
const EnvDurable = "STREETDESK_TEST_PG_DURABLE"

// Postgres reports whether the platform tests run on PostgreSQL.
func Postgres() bool { return os.Getenv(EnvDB) == "postgres" }

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	Dir  string // data in Dir/data, socket and log in Dir
	Port int
	bin  string
	// Durable keeps fsync and synchronous commit on (benchmarks); tests
	// turn them off.
	durable bool
	asUser  string // "" = the current user
	n       atomic.Int64
}

// Options configure Start.
type Options struct {
	// Durable keeps fsync and synchronous_commit on, as a real server runs
	// (for benchmarks); tests run faster without.
	Durable bool
}

// Start makes and starts a cluster.
func Start(opts Options) (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sdpg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, bin: bin, durable: opts.Durable}
	if os.Geteuid() == 0 {
		c.asUser = "postgres"
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.Join(fmt.Errorf("pgtest: running as root needs the postgres user: %w", err), os.RemoveAll(dir))
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, errors.Join(err, os.RemoveAll(dir))
		}
	}
	if out, err := c.run("initdb", "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "sd", "--no-sync",
		"--locale=C.UTF-8", "-E", "UTF8"); err != nil {
		return nil, errors.Join(fmt.Errorf("pgtest: initdb: %w\n%s", err, out), os.RemoveAll(dir))
	}
	if err := c.start(); err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	return c, nil
}

func binDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		d := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	ms, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(ms) == 0 {
		return "", errors.New("pgtest: PostgreSQL not installed (scripts/deps.sh installs postgresql-15)")
	}
	sort.Slice(ms, func(i, j int) bool { return version(ms[i]) < version(ms[j]) })
	return filepath.Dir(ms[len(ms)-1]), nil
}

func version(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

func (c *Cluster) run(tool string, args ...string) ([]byte, error) {
	name := filepath.Join(c.bin, tool)
	if c.asUser != "" {
		args = append([]string{"-u", c.asUser, "--", name}, args...)
		name = "runuser"
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = c.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func (c *Cluster) start() error {
	if c.Port == 0 {
		port, err := freePort()
		if err != nil {
			return err
		}
		c.Port = port
	}
	conf := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=300", c.Port, c.Dir)
	if !c.durable {
		conf += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	if out, err := c.run("pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-o", conf, "-l", filepath.Join(c.Dir, "log"), "-w", "start"); err != nil {
		return fmt.Errorf("pgtest: pg_ctl start: %w\n%s", err, out)
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	return port, ln.Close()
}

// Stop stops the server (fast shutdown: clients are disconnected).
func (c *Cluster) Stop() error {
	if out, err := c.run("pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// Kill stops the server at once, as a crash would (immediate shutdown).
func (c *Cluster) Kill() error {
	if out, err := c.run("pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-m", "immediate", "-w", "stop"); err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// Restart starts a stopped server again on the same port.
func (c *Cluster) Restart() error { return c.start() }

// Remove stops the server and deletes its folder.
func (c *Cluster) Remove() error {
	err := c.Stop()
	if _, statErr := os.Stat(filepath.Join(c.Dir, "data", "postmaster.pid")); err != nil && statErr == nil {
		_ = c.Kill()
	}
	return errors.Join(err, os.RemoveAll(c.Dir))
}

// URL is the address of database db.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://sd@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// Exec runs SQL in the postgres database.
func (c *Cluster) Exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, sql)
	return errors.Join(err, conn.Close(ctx))
}

// CreateDB creates a new empty database (or a copy of template) and
// returns its name.
func (c *Cluster) CreateDB(ctx context.Context, template string) (string, error) {
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.n.Add(1))
	q := "CREATE DATABASE " + name
	if template != "" {
		q += " TEMPLATE " + template + " STRATEGY FILE_COPY"
	}
	return name, c.Exec(ctx, q)
}

// DropDB drops a database, disconnecting its clients.
func (c *Cluster) DropDB(ctx context.Context, name string) error {
	return c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
}

// TB is what the helpers need of a test: *testing.T or B, or a randomized
// run's own (rapid's *T).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Cleanup(func())
}

var _ TB = (testing.TB)(nil)

// The test binary's cluster, started on first use.
var (
	shared     *Cluster
	sharedErr  error
	sharedOnce sync.Once
	template   string
)

// Shared returns the test binary's cluster, starting it (and making the
// platform's template database) on first use. Run stops it.
func Shared(t TB) *Cluster {
	t.Helper()
	sharedOnce.Do(func() {
		start := time.Now()
		shared, sharedErr = Start(Options{Durable: os.Getenv(EnvDurable) == "1"})
		if sharedErr != nil {
			return
		}
		ctx := context.Background()
		if template, sharedErr = shared.CreateDB(ctx, ""); sharedErr != nil {
			return
		}
		db, err := pgstore.Open(ctx, shared.URL(template), pgstore.Options{})
		if err != nil {
			sharedErr = err
			return
		}
		sharedErr = db.Close()
		fmt.Fprintf(os.Stderr, "pgtest: PostgreSQL on 127.0.0.1:%d ready in %s\n", shared.Port, time.Since(start).Round(time.Millisecond))
	})
	if sharedErr != nil {
		t.Fatalf("PostgreSQL for tests: %v", sharedErr)
	}
	return shared
}

// DB returns the URL of a new database with the platform's schema, dropped
// when the test ends.
func DB(t TB) string {
	t.Helper()
	c := Shared(t)
	ctx := context.Background()
	name, err := c.CreateDB(ctx, template)
	if err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if err := c.DropDB(context.Background(), name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return c.URL(name)
}

// PlatformDB is the database a platform test opens: a new PostgreSQL
// database under STREETDESK_TEST_DB=postgres, else the file platform.db in
// dir.
func PlatformDB(t TB, dir string) string {
	t.Helper()
	if Postgres() {
		return DB(t)
	}
	return filepath.Join(dir, "platform.db")
}

// Run runs the tests (m.Run) and then removes the binary's cluster if one
// was started. Use it in TestMain: os.Exit(pgtest.Run(m)).
func Run(m interface{ Run() int }) int {
	code := m.Run()
	if shared != nil {
		if err := shared.Remove(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	return code
}

// Wrap is m whose Run removes the cluster afterwards, for wrappers of
// TestMain such as goleak.VerifyTestMain.
func Wrap(m interface{ Run() int }) interface{ Run() int } { return runner{m} }

type runner struct{ m interface{ Run() int } }

func (r runner) Run() int { return Run(r.m) }

// CPU is the CPU time the server has used so far: the postmaster's, its
// exited backends' (which it waited for) and its running ones'. Linux only
// (0 elsewhere); benchmarks add it to their own process's.
func (c *Cluster) CPU() time.Duration {
	b, err := os.ReadFile(filepath.Join(c.Dir, "data", "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	total := procCPU(pid, true)
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		if ppid, ok := procPPID(child); ok && ppid == pid {
			total += procCPU(child, false)
		}
	}
	return total
}

// SharedCPU is the shared cluster's CPU time, or 0 when none runs.
func SharedCPU() time.Duration {
	if shared == nil {
		return 0
	}
	return shared.CPU()
}

// statFields reads /proc/PID/stat after the command name.
func statFields(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

func procPPID(pid int) (int, bool) {
	f := statFields(pid)
	if len(f) < 2 {
		return 0, false
	}
	n, err := strconv.Atoi(f[1])
	return n, err == nil
}

// procCPU is utime+stime (and the waited-for children's, with children),
// in clock ticks of 10 ms (USER_HZ is 100 on Linux).
func procCPU(pid int, children bool) time.Duration {
	f := statFields(pid)
	if len(f) < 15 {
		return 0
	}
	// After the name: state is f[0]; utime, stime, cutime, cstime are the
	// 14th to 17th fields of the line, f[11] to f[14].
	n := 2
	if children {
		n = 4
	}
	var ticks int64
	for _, s := range f[11 : 11+n] {
		v, _ := strconv.ParseInt(s, 10, 64)
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}
