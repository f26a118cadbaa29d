//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streetdesk/streetdesk/internal/pgtest"
	"github.com/streetdesk/streetdesk/platform"
	"golang.org/x/crypto/bcrypt"
)

// TestScale is the harness behind docs/scale.md, not a test: it runs only
// when STREETDESK_SCALE names a setup — "sqlite" (one instance on a SQLite
// file), "pg" (one instance on PostgreSQL) or "pg2" (two instances on one
// PostgreSQL behind HAProxy) — with SCALE_USERS desks and the sdload flags
// in SCALE_ARGS, on real platformd processes and a durable PostgreSQL
// (fsync on). It prints one JSON line: sdload's figures, the platform
// processes' CPU and peak RSS during the run, PostgreSQL's CPU, the
// database's size and the load average.
//
//	STREETDESK_SCALE=pg2 SCALE_USERS=3000 SCALE_ARGS="--duration 1m --pull-every 2.7s --push-every 30s" \
//	  go test -run TestScale -v -timeout 30m ./cmd/sdload/
func TestScale(t *testing.T) {
	setup := os.Getenv("STREETDESK_SCALE")
	if setup == "" {
		t.Skip("the scale harness runs when STREETDESK_SCALE is sqlite, pg or pg2 (docs/scale.md)")
	}
	users, err := strconv.Atoi(os.Getenv("SCALE_USERS"))
	if err != nil || users < 1 {
		t.Fatal("SCALE_USERS must be a number of desks")
	}
	dir := t.TempDir()
	media := filepath.Join(dir, "media")
	var db string
	var pg *pgtest.Cluster
	switch setup {
	case "sqlite":
		db = filepath.Join(dir, "p.db")
	case "pg", "pg2":
		pg, err = pgtest.Start(pgtest.Options{Durable: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pg.Remove() })
		name, err := pg.CreateDB(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		db = pg.URL(name)
	default:
		t.Fatalf("STREETDESK_SCALE=%q: want sqlite, pg or pg2", setup)
	}
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
	insts := []*instance{startPlatformd(t, bin, db, media, "a")}
	target := insts[0].addr
	if setup == "pg2" {
		insts = append(insts, startPlatformd(t, bin, db, media, "b"))
		target = startHAProxy(t, mustLookHAProxy(t), dir, insts[0].addr, insts[1].addr)
	}

	args := append([]string{"--target", "http://" + target, "--users", strconv.Itoa(users), "--password", loadPassword,
		"--verify-db", db, "--report-every", "10s", "--json"}, strings.Fields(os.Getenv("SCALE_ARGS"))...)
	m := &Main{}
	var out bytes.Buffer
	rw := &runWatch{started: make(chan time.Time, 1)}
	m.Stdout, m.Stderr = &out, rw
	// Sample the processes from the start of the run phase to its end.
	type sample struct {
		cpu  []time.Duration
		pg   time.Duration
		load string
	}
	var s0, s1 sample
	peak := make([]int64, len(insts))
	take := func() sample {
		var s sample
		for _, in := range insts {
			p, _ := readProc(in.cmd.Process.Pid)
			s.cpu = append(s.cpu, p.cpu)
		}
		if pg != nil {
			s.pg = pg.CPU()
		}
		b, _ := os.ReadFile("/proc/loadavg")
		s.load = strings.Join(strings.Fields(string(b))[:3], " ")
		return s
	}
	var wg gosync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		var at time.Time
		select {
		case at = <-rw.started:
		case <-stop:
			return
		}
		s0 = take()
		dur := runDuration(args)
		tk := time.NewTicker(200 * time.Millisecond)
		defer tk.Stop()
		for time.Since(at) < dur {
			<-tk.C
			for i, in := range insts {
				if p, err := readProc(in.cmd.Process.Pid); err == nil {
					peak[i] = max(peak[i], p.rss)
				}
			}
		}
		s1 = take()
	})
	runErr := m.Run(ctx, args)
	close(stop)
	wg.Wait()
	t.Logf("sdload:\n%s", rw.String())
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v (%v)", err, runErr)
	}
	res := map[string]any{"setup": setup, "users": users, "args": os.Getenv("SCALE_ARGS"), "seconds": rep.Seconds,
		"ops": rep.Ops, "errors": rep.Errors, "check": rep.Check, "loadCpuSeconds": rep.LoadCPUSeconds,
		"loadavgStart": s0.load, "loadavgEnd": s1.load}
	if len(s1.cpu) == len(insts) && len(s0.cpu) == len(insts) {
		var cpu []float64
		var rss []float64
		for i := range insts {
			cpu = append(cpu, (s1.cpu[i] - s0.cpu[i]).Seconds())
			rss = append(rss, float64(peak[i])/(1<<20))
		}
		res["platformCpuSeconds"], res["platformPeakRssMB"] = cpu, rss
		res["pgCpuSeconds"] = (s1.pg - s0.pg).Seconds()
	}
	res["orders"] = users*rep.Options.OrdersPerDesk + int(rep.Ops[opDispatch].Count)
	res["dbBytes"] = dbSize(t, db)
	line, _ := json.Marshal(res)
	t.Logf("SCALE %s", line)
	if runErr != nil {
		t.Errorf("sdload: %v", runErr)
	}
}

func mustLookHAProxy(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/haproxy"); err == nil {
		return "/usr/sbin/haproxy"
	}
	t.Fatal("haproxy is not installed (scripts/deps.sh)")
	return ""
}

// runDuration is the --duration among sdload's flags (default a minute).
func runDuration(args []string) time.Duration {
	d := time.Minute
	for i, a := range args {
		if a == "--duration" && i+1 < len(args) {
			if v, err := time.ParseDuration(args[i+1]); err == nil {
				d = v
			}
		}
	}
	return d
}

// dbSize is the database's size on disk: the SQLite file and its WAL, or
// pg_database_size.
func dbSize(t *testing.T, db string) int64 {
	if platform.IsPostgres(db) {
		c, err := pgx.Connect(context.Background(), db)
		if err != nil {
			t.Error(err)
			return 0
		}
		defer c.Close(context.Background())
		var n int64
		if err := c.QueryRow(context.Background(), `SELECT pg_database_size(current_database())`).Scan(&n); err != nil {
			t.Error(err)
		}
		return n
	}
	var n int64
	for _, f := range []string{db, db + "-wal"} {
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return n
}

// runWatch collects sdload's progress lines and notes when the run phase
// starts.
type runWatch struct {
	mu      gosync.Mutex
	buf     bytes.Buffer
	started chan time.Time
	seen    bool
}

func (w *runWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.seen && bytes.Contains(p, []byte("sdload: running ")) {
		w.seen = true
		w.started <- time.Now()
	}
	return w.buf.Write(p)
}

func (w *runWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestScaleSize measures the database's size per order, the figure behind
// docs/scale.md's storage arithmetic: STREETDESK_SCALE_SIZE=N seeds N demo
// orders (with their notes, photo references, resolutions and change log,
// as platformd seed --demo makes them) into a fresh SQLite file and a fresh
// PostgreSQL database, and prints each size.
func TestScaleSize(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("STREETDESK_SCALE_SIZE"))
	if n <= 0 {
		t.Skip("runs when STREETDESK_SCALE_SIZE is a number of orders (docs/scale.md)")
	}
	pg, err := pgtest.Start(pgtest.Options{Durable: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Remove() })
	ctx := context.Background()
	name, err := pg.CreateDB(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, db := range []string{filepath.Join(dir, "p.db"), pg.URL(name)} {
		srv, err := platform.Open(ctx, platform.Config{DBPath: db, MediaDir: filepath.Join(dir, "media"), BcryptCost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		empty := dbSize(t, db)
		res, err := srv.Seed(ctx, platform.SeedOptions{Demo: true, Orders: n, Password: loadPassword})
		if err != nil {
			t.Fatal(err)
		}
		if platform.IsPostgres(db) {
			c, err := pgx.Connect(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Exec(ctx, `VACUUM ANALYZE`)
			c.Close(ctx)
			if err != nil {
				t.Fatal(err)
			}
		}
		srv.Close()
		size := dbSize(t, db)
		t.Logf("SCALESIZE {\"db\":%q,\"orders\":%d,\"emptyBytes\":%d,\"bytes\":%d,\"bytesPerOrder\":%d}",
			map[bool]string{true: "postgres", false: "sqlite"}[platform.IsPostgres(db)], res.Orders, empty, size, (size-empty)/int64(res.Orders))
	}
}
