package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/columns"
	"github.com/streetdesk/streetdesk/platform"
	"golang.org/x/crypto/bcrypt"
)

// Main runs platformd's subcommands; tests drive it in-process.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Ready, if set, is called with the address serve listens on.
	Ready func(addr string)
}

const usage = `usage:
  platformd serve --db FILE --listen 127.0.0.1:8420 --media DIR [--tls-cert F --tls-key F] [--releases DIR]
  platformd seed  --db FILE --demo [--password P] [--orders N]
  platformd user add --db FILE --username U --role ROLE --team T   (password from stdin)
  platformd user bulk --db FILE --prefix P --count N [--team-size K] [--bcrypt-cost C]   (password from stdin)
  platformd import-open311 --db FILE --team T [--map FILE] [--zone Z] FILE…   (Open311 GeoReport v2 JSON or XML)
  platformd open311-key add --db FILE --channel C --name NAME   (an Open311 api_key, printed once)
  platformd open311-key list --db FILE   (the keys by id, never the keys)
  platformd open311-key revoke --db FILE ID|KEY
  platformd audit verify --db FILE [--order ID] [--client ID]   (the desks' action logs; exit 1 when something is wrong)

--db is a SQLite file (created if missing) or a PostgreSQL URL
(postgres://USER@HOST:PORT/DB); with PostgreSQL, serve and seed need --media,
the photo folder every instance on that database shares.
`

// Run runs one subcommand with its arguments.
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return errors.New("missing subcommand")
	}
	switch args[0] {
	case "serve":
		return m.serve(ctx, args[1:])
	case "seed":
		return m.seed(ctx, args[1:])
	case "user":
		switch {
		case len(args) >= 2 && args[1] == "add":
			return m.userAdd(ctx, args[2:])
		case len(args) >= 2 && args[1] == "bulk":
			return m.userBulk(ctx, args[2:])
		}
		fmt.Fprint(m.Stderr, usage)
		return errors.New(`unknown "user" subcommand (want: user add, user bulk)`)
	case "open311-key":
		return m.open311Key(ctx, args[1:])
	case "audit":
		if len(args) >= 2 && args[1] == "verify" {
			return m.auditVerify(ctx, args[2:])
		}
		fmt.Fprint(m.Stderr, usage)
		return errors.New(`unknown "audit" subcommand (want: audit verify)`)
	case "import-open311":
		return m.importOpen311(ctx, args[1:])
	case "-h", "--help", "help":
		fmt.Fprint(m.Stdout, usage)
		return nil
	}
	fmt.Fprint(m.Stderr, usage)
	return fmt.Errorf("unknown subcommand %q", args[0])
}

func (m *Main) flags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: platformd %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// openAccounts opens the platform to manage accounts, which touch no photo:
// on PostgreSQL without --media the photo folder is a temporary one.
func (m *Main) openAccounts(ctx context.Context, db, media string) (*platform.Server, func(), error) {
	tmp := ""
	if media == "" && platform.IsPostgres(db) {
		dir, err := os.MkdirTemp("", "platformd-media")
		if err != nil {
			return nil, nil, err
		}
		tmp, media = dir, dir
	}
	closeAll := func(srv *platform.Server) {
		var err error
		if srv != nil {
			err = srv.Close()
		}
		if tmp != "" {
			err = errors.Join(err, os.RemoveAll(tmp))
		}
		if err != nil {
			fmt.Fprintln(m.Stderr, "platformd:", err)
		}
	}
	srv, err := m.openWith(ctx, platform.Config{DBPath: db, MediaDir: media})
	if err != nil {
		closeAll(nil)
		return nil, nil, err
	}
	return srv, func() { closeAll(srv) }, nil
}

const dbUsage = "platform database: a SQLite `file` (created if missing) or a postgres:// URL"

func (m *Main) openWith(ctx context.Context, cfg platform.Config) (*platform.Server, error) {
	if cfg.DBPath == "" {
		return nil, errors.New("--db is required")
	}
	return platform.Open(ctx, cfg)
}

func (m *Main) serve(ctx context.Context, args []string) error {
	fs := m.flags("serve", "serve --db FILE --listen 127.0.0.1:8420 --media DIR [--tls-cert F --tls-key F] [--releases DIR]")
	db := fs.String("db", "", dbUsage)
	dbConns := fs.Int("db-conns", 16, "PostgreSQL connections of this instance; a request waits at most --db-wait for one, then gets 503")
	dbWait := fs.Duration("db-wait", 2*time.Second, "longest wait for a PostgreSQL connection")
	listen := fs.String("listen", "127.0.0.1:8420", "`address` to listen on (port 0 picks a free port)")
	media := fs.String("media", "", "photo store `dir` (default FILE.media)")
	cert := fs.String("tls-cert", "", "TLS certificate `file` (PEM)")
	key := fs.String("tls-key", "", "TLS key `file` (PEM)")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	releases := fs.String("releases", "", "folder of desktop packages (make package's dist/) for the desks' update notice")
	maxInFlight := fs.Int("max-in-flight", 64, "requests served at once; more wait in line (up to --max-queued, each up to --queue-wait), then get 503 with Retry-After")
	maxQueued := fs.Int("max-queued", 1024, "requests waiting for a slot")
	queueWait := fs.Duration("queue-wait", time.Second, "longest wait for a slot")
	maxWaits := fs.Int("max-waits", 10000, "long polls (GET /v1/sync/wait) held at once; they hold no request slot")
	debug := fs.String("debug-listen", "", "loopback `address` for Go's profiler (/debug/pprof/); off when empty")
	o311Reads := fs.Int("open311-reads-per-minute", 120, "Open311 requests a minute per client address (then 429 with Retry-After; -1 = no limit)")
	o311Posts := fs.Int("open311-posts-per-minute", 30, "Open311 POSTs a minute per api_key (then 429 with Retry-After; -1 = no limit)")
	analysis := fs.Duration("analysis-every", time.Hour, "run the district-wide hotspot analysis this often (the first run soon after the start; 0 = never, only POST /v1/centre/analysis/run)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *analysis < 0 {
		return errors.New("--analysis-every must not be negative")
	}
	if err := checkReleasesDir(*releases); err != nil {
		return err
	}
	if (*cert == "") != (*key == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(m.Stderr, &slog.HandlerOptions{Level: lv}))
	srv, err := m.openWith(ctx, platform.Config{DBPath: *db, MediaDir: *media, Logger: logger, ReleasesDir: *releases,
		MaxInFlight: *maxInFlight, MaxQueued: *maxQueued, QueueWait: *queueWait, MaxWaits: *maxWaits, DBMaxConns: *dbConns, DBWait: *dbWait,
		Open311ReadsPerMinute: *o311Reads, Open311PostsPerMinute: *o311Posts})
	if err != nil {
		return err
	}
	defer srv.Close()
	if *debug != "" {
		stop, err := serveDebug(*debug, logger)
		if err != nil {
			return err
		}
		defer stop()
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	scheme := "http"
	if *cert != "" {
		scheme = "https"
	}
	addr := ln.Addr().String()
	fmt.Fprintf(m.Stdout, "listening on %s://%s\n", scheme, addr)
	if m.Ready != nil {
		m.Ready(addr)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// Held long polls answer at once, so the shutdown does not wait for them.
	hs.RegisterOnShutdown(srv.DrainWaits)
	// The background jobs end before srv.Close (deferred earlier, so run
	// later): a job still starting would otherwise race the close.
	mctx, cancel := context.WithCancel(ctx)
	var jobs sync.WaitGroup
	defer func() { cancel(); jobs.Wait() }()
	jobs.Go(func() { srv.RunMaintenance(mctx, 10*time.Minute) })
	if *analysis > 0 {
		jobs.Go(func() { srv.RunAnalysisEvery(mctx, *analysis) })
	}
	errc := make(chan error, 1)
	go func() {
		if *cert != "" {
			errc <- hs.ServeTLS(ln, *cert, *key)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, scancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer scancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	cancel()
	return nil
}

// serveDebug serves Go's profiler (heap, CPU, goroutines) on a loopback
// address, for looking at the platform under load.
func serveDebug(addr string, logger *slog.Logger) (stop func(), err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--debug-listen: %w", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("--debug-listen %s: only a loopback address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	logger.Info("profiler listening", "addr", ln.Addr().String())
	return func() { hs.Close() }, nil
}

func (m *Main) seed(ctx context.Context, args []string) error {
	fs := m.flags("seed", "seed --db FILE --demo [--password P] [--orders N] [--bench FILE --assignee USER]")
	db := fs.String("db", "", dbUsage+" (must have no users yet)")
	demoFlag := fs.Bool("demo", false, "create the demo district's teams, accounts and orders")
	password := fs.String("password", "", "password of every demo account (random and printed once when empty)")
	orders := fs.Int("orders", 600, "number of demo orders")
	seed := fs.Int64("seed", 1, "generator seed")
	media := fs.String("media", "", "photo store `dir` (default FILE.media)")
	bench := fs.String("bench", "", "also import the benchmark data set `file` (testdata/bench/orders-10k.jsonl.gz), every order assigned to --assignee")
	assignee := fs.String("assignee", "cw01", "the demo account the --bench orders are assigned to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*demoFlag {
		return errors.New("only --demo seeding is supported")
	}
	srv, err := m.openWith(ctx, platform.Config{DBPath: *db, MediaDir: *media})
	if err != nil {
		return err
	}
	defer srv.Close()
	start := time.Now()
	res, err := srv.Seed(ctx, platform.SeedOptions{Demo: true, Password: *password, Orders: *orders, Seed: *seed})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "seeded %d orders, %d teams, %d accounts in %s\n", res.Orders, len(res.Teams), len(res.Accounts), time.Since(start).Round(time.Millisecond))
	if *bench != "" {
		f, err := os.Open(*bench)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }() // read only
		start := time.Now()
		n, err := srv.ImportBenchOrders(ctx, f, *assignee)
		if err != nil {
			return fmt.Errorf("import %s: %w", *bench, err)
		}
		fmt.Fprintf(m.Stdout, "imported %d benchmark orders for %s in %s\n", n, *assignee, time.Since(start).Round(time.Millisecond))
	}
	if *password == "" {
		fmt.Fprintf(m.Stdout, "password of every account (shown once): %s\n", res.Password)
	}
	tw := columns.NewWriter(m.Stdout)
	fmt.Fprintln(tw, "USERNAME\tROLE\tNAME\tTEAM\tSTREET OFFICE")
	for _, u := range res.Accounts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Username, string(u.Role), u.Name, u.TeamName, u.StreetOffice)
	}
	return tw.Flush()
}

// readPassword reads the password from the first line of stdin.
func (m *Main) readPassword() (string, error) {
	line, err := bufio.NewReader(m.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on stdin")
	}
	return pw, nil
}

func (m *Main) userBulk(ctx context.Context, args []string) error {
	fs := m.flags("user bulk", "user bulk --db FILE --prefix P --count N [--team-size K] [--bcrypt-cost C]   (password from stdin)")
	db := fs.String("db", "", dbUsage)
	prefix := fs.String("prefix", "load", "username prefix: caseworkers PREFIX00001…, teams PREFIX-t0001…, dispatcher PREFIX-dispatcher")
	count := fs.Int("count", 0, "number of caseworkers")
	teamSize := fs.Int("team-size", 10, "caseworkers per team")
	cost := fs.Int("bcrypt-cost", bcrypt.DefaultCost, "bcrypt cost of the one password hash the accounts share; lower it (to 4) only for throwaway load-test accounts")
	media := fs.String("media", "", "photo store `dir` (default FILE.media)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pw, err := m.readPassword()
	if err != nil {
		return err
	}
	srv, closeSrv, err := m.openAccounts(ctx, *db, *media)
	if err != nil {
		return err
	}
	defer closeSrv()
	start := time.Now()
	teams, err := srv.AddUsersBulk(ctx, platform.BulkUsers{Prefix: *prefix, Count: *count, TeamSize: *teamSize, Password: pw, BcryptCost: *cost})
	if err != nil {
		return errors.New(streetdesk.ErrorMessage(err))
	}
	fmt.Fprintf(m.Stdout, "added %d caseworkers (%s … %s) in %d teams and %s in %s\n", *count,
		platform.BulkUsername(*prefix, 1), platform.BulkUsername(*prefix, *count), len(teams), platform.BulkDispatcher(*prefix),
		time.Since(start).Round(time.Millisecond))
	return nil
}

func (m *Main) userAdd(ctx context.Context, args []string) error {
	fs := m.flags("user add", "user add --db FILE --username U --role ROLE --team T   (password from stdin)")
	db := fs.String("db", "", dbUsage)
	username := fs.String("username", "", "login name")
	role := fs.String("role", "", "caseworker, lead, dispatcher, callback or supervisor")
	team := fs.String("team", "", "team id (caseworker and lead)")
	name := fs.String("name", "", "display name (default the username)")
	media := fs.String("media", "", "photo store `dir` (default FILE.media)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := streetdesk.ParseRole(*role)
	if err != nil {
		return err
	}
	pw, err := m.readPassword()
	if err != nil {
		return err
	}
	srv, closeSrv, err := m.openAccounts(ctx, *db, *media)
	if err != nil {
		return err
	}
	defer closeSrv()
	u, err := srv.AddUser(ctx, streetdesk.User{Username: *username, Name: *name, Role: r, TeamID: *team}, pw)
	if err != nil {
		return errors.New(streetdesk.ErrorMessage(err))
	}
	fmt.Fprintf(m.Stdout, "added %s (%s) %s\n", u.Username, u.Role, u.TeamID)
	return nil
}

// checkReleasesDir fails early when --releases names no readable folder.
func checkReleasesDir(dir string) error {
	if dir == "" {
		return nil
	}
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--releases: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("--releases: %s is not a folder", dir)
	}
	return nil
}
