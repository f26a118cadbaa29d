package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	gosync "sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
	"github.com/streetdesk/streetdesk/platform/centre"
)

// Main runs sdload; tests drive it in-process.
type Main struct {
	Stdout, Stderr io.Writer
}

// Options configure a run. Intervals are per desk; a desk's actions and
// photos come at random (exponential) intervals with these means.
type Options struct {
	Target   string // platform (or load balancer) URL on a loopback address
	Users    int
	Prefix   string // accounts BulkUsername(Prefix, 1…Users), BulkDispatcher(Prefix)
	Password string
	Duration time.Duration
	// Mode is how a desk learns of changes: "poll" (GET /v1/sync/pull every
	// PullEvery) or "wait" (a long poll held, a pull when it says changed).
	Mode          string
	PullEvery     time.Duration // 0: pull again as soon as a pull ends (saturate)
	WaitTimeout   time.Duration // --mode wait: one long poll's longest hold
	PushEvery     time.Duration // mean time between a desk's actions (0: none)
	PhotoEvery    time.Duration // mean time between a desk's photos (0: none)
	PhotoKB       int
	OrdersPerDesk int           // orders dispatched to each desk before the run
	DispatchEvery time.Duration // mean time between new orders per desk during the run (0: none)
	Timeout       time.Duration // per request
	Parallel      int           // concurrent sign-ins and dispatches during setup
	Drain         time.Duration // how long desks may take to send what is left after the run
	ReportEvery   time.Duration
	VerifyDB      string // the platform's database, for the exactly-once check
	WatchPID      int    // the platform's process, for its RSS and CPU
	DebugURL      string // the platform's profiler (--mode wait: Go memory per held wait)
	JSON          bool
	Seed          uint64
}

// maxDuration bounds a run: the load generator always stops by itself.
const maxDuration = 2 * time.Hour

const usage = `usage: sdload --target http://127.0.0.1:8420 --users N [flags]

Simulates N signed-in desks (accounts made with "platformd user bulk") against
a platform on a loopback address for a fixed time, then checks that every
mutation it pushed was applied exactly once.
`

// Run parses the flags, runs the load and prints the report. The error is
// non-nil when setup failed or the check found a lost or duplicated
// mutation.
func (m *Main) Run(ctx context.Context, args []string) error {
	o, err := m.parse(args)
	if err != nil {
		return err
	}
	rep, err := execute(ctx, o, m.Stderr)
	if rep != nil {
		if o.JSON {
			enc := json.NewEncoder(m.Stdout)
			enc.SetIndent("", "  ")
			enc.Encode(rep)
		} else {
			rep.print(m.Stdout)
		}
	}
	if err != nil {
		return err
	}
	if !rep.Check.OK {
		return errors.New("check failed: " + rep.Check.Problem)
	}
	return nil
}

func (m *Main) parse(args []string) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("sdload", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage+"\nflags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.Target, "target", "http://127.0.0.1:8420", "platform `URL` (loopback addresses only)")
	fs.IntVar(&o.Users, "users", 10, "number of desks (each its own account)")
	fs.StringVar(&o.Prefix, "prefix", "load", "account prefix given to platformd user bulk")
	fs.StringVar(&o.Password, "password", "", "the load accounts' password")
	fs.DurationVar(&o.Duration, "duration", time.Minute, "length of the run (at most 2h)")
	fs.StringVar(&o.Mode, "mode", "poll", "how desks learn of changes: poll (a pull every --pull-every) or wait (a long poll held, a pull when it answers; with --watch-pid the platform's RSS per held wait is reported)")
	fs.DurationVar(&o.WaitTimeout, "wait-timeout", 50*time.Second, "--mode wait: a long poll's longest hold (the platform caps it at 55s)")
	fs.DurationVar(&o.PullEvery, "pull-every", time.Minute, "pull interval per desk (0: back to back, to saturate)")
	fs.DurationVar(&o.PushEvery, "push-every", 5*time.Minute, "mean time between a desk's actions (accept, note, resolve), each pushed at once; 0: none")
	fs.DurationVar(&o.PhotoEvery, "photo-every", 30*time.Minute, "mean time between a desk's photo uploads; 0: none")
	fs.IntVar(&o.PhotoKB, "photo-kb", 200, "photo size in KiB")
	fs.IntVar(&o.OrdersPerDesk, "orders-per-desk", 3, "orders dispatched to each desk before the run")
	fs.DurationVar(&o.DispatchEvery, "dispatch-every", 10*time.Minute, "mean time between new orders per desk during the run; 0: none")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Second, "per-request timeout")
	fs.IntVar(&o.Parallel, "parallel", 16, "concurrent sign-ins and dispatches during setup")
	fs.DurationVar(&o.Drain, "drain", 30*time.Second, "time allowed after the run to send what is left")
	fs.DurationVar(&o.ReportEvery, "report-every", 10*time.Second, "progress line interval on stderr (0: none)")
	fs.StringVar(&o.VerifyDB, "verify-db", "", "platform database (a SQLite `file` or a postgres:// URL): check there that every pushed mutation was applied exactly once")
	fs.IntVar(&o.WatchPID, "watch-pid", 0, "platformd's `pid`: report its peak RSS and CPU time")
	fs.StringVar(&o.DebugURL, "debug-url", "", "--mode wait with --watch-pid: the platform's profiler `URL` (platformd serve --debug-listen), to report its Go memory per held wait too")
	fs.BoolVar(&o.JSON, "json", false, "print the report as JSON")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.Users < 1:
		return o, errors.New("--users must be at least 1")
	case o.Password == "":
		return o, errors.New("--password is required (the one given to platformd user bulk)")
	case o.Duration <= 0 || o.Duration > maxDuration:
		return o, fmt.Errorf("--duration must be between 0 and %s", maxDuration)
	case o.Mode != "poll" && o.Mode != "wait":
		return o, fmt.Errorf("--mode %q: poll or wait", o.Mode)
	case o.WaitTimeout <= 0 || o.WaitTimeout > 55*time.Second:
		return o, errors.New("--wait-timeout must be in (0, 55s]")
	case o.PullEvery < 0 || o.PushEvery < 0 || o.PhotoEvery < 0 || o.DispatchEvery < 0:
		return o, errors.New("intervals must not be negative")
	case o.PhotoKB < 1 || o.PhotoKB > 50<<10:
		return o, errors.New("--photo-kb must be 1–51200")
	case o.Timeout <= 0:
		return o, errors.New("--timeout must be positive")
	}
	o.Parallel = max(o.Parallel, 1)
	if err := checkLoopback(context.Background(), o.Target); err != nil {
		return o, err
	}
	return o, nil
}

// checkLoopback refuses a target that is not on this machine: the load
// generator must never be pointed at someone else's platform.
func checkLoopback(ctx context.Context, target string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return fmt.Errorf("--target %q is not an http(s) URL", target)
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, u.Hostname())
	if err != nil {
		return fmt.Errorf("--target: %w", err)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return fmt.Errorf("--target %s resolves to %s, which is not a loopback address: sdload only loads this machine", u.Hostname(), ip.IP)
		}
	}
	return nil
}

// loopbackDialer dials loopback addresses only, checked on the resolved
// address of every connection (a name cannot be re-pointed mid-run).
func loopbackDialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("sdload: refusing to connect to %s: not a loopback address", address)
			}
			return nil
		}}
	return d.DialContext
}

// run is one load run's shared state.
type run struct {
	opts  Options
	stats *stats
	log   io.Writer

	idle     atomic.Int64 // actions a desk had nothing to do for
	waiting  atomic.Int64 // long polls in flight (--mode wait)
	mismatch atomic.Int64 // results whose key differs from the one pushed

	dispatchMu gosync.Mutex
	dispatched map[string]time.Time // order id → dispatched during the run
}

// arrived notes that an order reached its assignee's desk.
func (r *run) arrived(orderID string) {
	r.dispatchMu.Lock()
	at, ok := r.dispatched[orderID]
	delete(r.dispatched, orderID)
	r.dispatchMu.Unlock()
	if ok && r.stats.recording.Load() {
		r.stats.hist[opVisible].add(time.Since(at))
		r.stats.ok[opVisible].Add(1)
	}
}

func execute(ctx context.Context, o Options, log io.Writer) (*Report, error) {
	r := &run{opts: o, stats: newStats(), log: log, dispatched: map[string]time.Time{}}
	rep := &Report{Options: o}
	rep.Options.Password = ""

	var watch *procWatch
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	if o.WatchPID > 0 {
		if _, err := readProc(o.WatchPID); err != nil {
			return nil, fmt.Errorf("--watch-pid: %w", err)
		}
		watch = &procWatch{pid: o.WatchPID}
		go watch.run(wctx, 100*time.Millisecond)
	}

	// Setup: sign in the dispatcher and every desk, dispatch their orders,
	// first sync. None of it counts in the figures.
	setup := time.Now()
	hc := &http.Client{Transport: &http.Transport{DialContext: loopbackDialer(), MaxIdleConnsPerHost: o.Parallel}, Timeout: o.Timeout}
	defer hc.CloseIdleConnections()
	cc := centre.New(o.Target)
	cc.HTTP = hc
	if _, err := cc.Login(ctx, platform.BulkDispatcher(o.Prefix), o.Password); err != nil {
		return nil, fmt.Errorf("sign in %s (made by platformd user bulk?): %w", platform.BulkDispatcher(o.Prefix), err)
	}
	desks := make([]*desk, o.Users)
	for i := range desks {
		d, err := newDesk(r, platform.BulkUsername(o.Prefix, i+1), o.Seed*1_000_003+uint64(i))
		if err != nil {
			return nil, err
		}
		defer d.c.Close()
		desks[i] = d
	}
	fmt.Fprintf(log, "sdload: signing in %d desks at %s\n", o.Users, o.Target)
	if err := parallel(ctx, o.Parallel, len(desks), func(i int) error { return desks[i].login(ctx) }); err != nil {
		return nil, err
	}
	if o.OrdersPerDesk > 0 {
		fmt.Fprintf(log, "sdload: dispatching %d orders\n", o.Users*o.OrdersPerDesk)
		if err := parallel(ctx, o.Parallel, len(desks)*o.OrdersPerDesk, func(i int) error {
			_, err := r.dispatch(ctx, cc, desks[i%len(desks)], uint64(i))
			return err
		}); err != nil {
			return nil, err
		}
	}
	if err := parallel(ctx, o.Parallel, len(desks), func(i int) error { return desks[i].pull(ctx) }); err != nil {
		return nil, fmt.Errorf("first sync: %w", err)
	}
	rep.SetupSeconds = time.Since(setup).Seconds()

	// The run.
	fmt.Fprintf(log, "sdload: running %d desks for %s (pull every %s, an action every %s, a photo every %s)\n",
		o.Users, o.Duration, o.PullEvery, o.PushEvery, o.PhotoEvery)
	var cpu0 time.Duration
	if watch != nil {
		s, _ := readProc(o.WatchPID)
		cpu0 = s.cpu
	}
	var baseline *HeldReport
	if o.Mode == "wait" && watch != nil {
		var err error
		if baseline, err = baselineRSS(ctx, o, desks); err != nil {
			return nil, fmt.Errorf("platform RSS before the waits: %w", err)
		}
	}
	self0 := selfCPU()
	rctx, rcancel := context.WithTimeout(ctx, o.Duration)
	defer rcancel()
	r.stats.recording.Store(true)
	start := time.Now()
	var wg gosync.WaitGroup
	for _, d := range desks {
		if o.Mode == "wait" {
			wg.Go(func() { d.runWait(rctx) })
		} else {
			wg.Go(func() { d.run(rctx) })
		}
	}
	if o.Mode == "wait" && watch != nil {
		wg.Go(func() {
			h, err := r.measureHeld(rctx, o.WatchPID, int64(len(desks)), baseline)
			if err != nil {
				fmt.Fprintf(log, "sdload: held waits not measured: %v\n", err)
			}
			rep.Held = h
		})
	}
	if o.DispatchEvery > 0 {
		wg.Go(func() { r.dispatcher(rctx, cc, desks) })
	}
	if o.ReportEvery > 0 {
		wg.Go(func() { r.progress(rctx, start) })
	}
	wg.Wait()
	r.stats.recording.Store(false)
	elapsed := time.Since(start)
	rep.fill(r, elapsed)
	if watch != nil {
		s, err := readProc(o.WatchPID)
		if err == nil {
			rep.Platform = &ProcReport{CPUSeconds: (s.cpu - cpu0).Seconds(), CPUPercent: 100 * (s.cpu - cpu0).Seconds() / elapsed.Seconds()}
		}
	}
	rep.LoadCPUSeconds = (selfCPU() - self0).Seconds()

	// Drain: what the desks queued is sent (bounded), then checked.
	dctx, dcancel := context.WithTimeout(ctx, o.Drain)
	defer dcancel()
	// A desk that could not send everything shows up in the check as
	// mutations without an answer.
	parallel(dctx, o.Parallel, len(desks), func(i int) error {
		desks[i].flush(dctx)
		return nil
	})
	wcancel()
	rep.fillDrained(r)
	if watch != nil {
		peak, last, err := watch.peak()
		if rep.Platform == nil {
			rep.Platform = &ProcReport{}
		}
		rep.Platform.PeakRSSMB, rep.Platform.EndRSSMB = float64(peak)/(1<<20), float64(last)/(1<<20)
		if s, err := readProc(o.WatchPID); err == nil {
			rep.Platform.HWMRSSMB = float64(s.hwm) / (1 << 20)
		}
		if err != nil {
			rep.Platform.Error = err.Error()
		}
	}
	rep.Check = r.check(ctx, desks)
	return rep, nil
}

// run drives one desk until ctx ends, open loop: pulls on a fixed
// schedule, one every PullEvery (the first at a random point of the
// interval, so desks do not pull in step; a pull that takes longer than
// the interval is followed by the next at once), actions and photos at
// random intervals, each pushed at once by a pusher of its own. None waits
// for another: a slow pull does not delay the next action, nor a slow push
// the next pull, and mutations queued while a push is out go with the next.
func (d *desk) run(ctx context.Context) {
	o := d.r.opts
	first := time.Duration(d.rng.Int64N(int64(o.PullEvery) + 1))
	pushC := make(chan struct{}, 1)
	var wg gosync.WaitGroup
	wg.Go(func() { d.pullLoop(ctx, first) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-pushC:
				d.flush(ctx)
			}
		}
	})
	d.actLoop(ctx, func() {
		select {
		case pushC <- struct{}{}:
		default:
		}
	})
	wg.Wait()
}

// pullLoop pulls every PullEvery after first until ctx ends.
func (d *desk) pullLoop(ctx context.Context, first time.Duration) {
	every := d.r.opts.PullEvery
	next := time.Now().Add(first)
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := d.pull(ctx); err != nil && ctx.Err() == nil {
			d.pause(ctx, err, 1)
		}
		next = next.Add(every)
		if now := time.Now(); next.Before(now) {
			next = now // late: at once, without a burst to catch up
		}
		t.Reset(time.Until(next))
	}
}

// actLoop queues actions and photos at random intervals until ctx ends;
// push asks for what is queued to be sent.
func (d *desk) actLoop(ctx context.Context, push func()) {
	o := d.r.opts
	next := func(mean time.Duration) <-chan time.Time {
		if mean <= 0 {
			return nil
		}
		return time.After(time.Duration(d.rng.ExpFloat64() * float64(mean)))
	}
	actC, photoC := next(o.PushEvery), next(o.PhotoEvery)
	for {
		select {
		case <-ctx.Done():
			return
		case <-actC:
			d.act()
			push()
			actC = next(o.PushEvery)
		case <-photoC:
			if err := d.photo(ctx); err == nil {
				push()
			}
			photoC = next(o.PhotoEvery)
		}
	}
}

// dispatch sends one new order to desk d as the centre.
func (r *run) dispatch(ctx context.Context, cc *centre.Client, d *desk, n uint64) (*streetdesk.WorkOrder, error) {
	start := time.Now()
	o, err := cc.Dispatch(ctx, streetdesk.DispatchRequest{
		Title: "压测工单：人行道井盖缺失", Complaint: fmt.Sprintf("压测第%d件：路口人行道井盖缺失，夜间行人容易踩空，请尽快处理。", n),
		Channel: streetdesk.ChannelHotline, CategoryL3: streetdesk.SampleTaxonomy().Items[int(n)%len(streetdesk.SampleTaxonomy().Items)].L3Code,
		CitizenName: "张三", CitizenPhone: "13812345678", Urgency: streetdesk.UrgencyNormal,
		TeamID: d.user.TeamID, AssigneeID: d.user.ID,
		Location: streetdesk.Location{Address: "压测路1号", Lat: 22.54, Lng: 114.11},
	})
	r.stats.done(ctx, opDispatch, start, err)
	if err != nil {
		return nil, fmt.Errorf("dispatch to %s: %w", d.username, err)
	}
	return o, nil
}

// dispatcher is the centre during the run: new orders for random desks,
// Users/DispatchEvery per second on average.
func (r *run) dispatcher(ctx context.Context, cc *centre.Client, desks []*desk) {
	rng := rand.New(rand.NewPCG(r.opts.Seed, 0xd15))
	mean := float64(r.opts.DispatchEvery) / float64(len(desks))
	for n := uint64(1 << 32); ; n++ {
		t := time.NewTimer(time.Duration(rng.ExpFloat64() * mean))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		d := desks[rng.IntN(len(desks))]
		at := time.Now()
		o, err := r.dispatch(ctx, cc, d, n)
		if err == nil {
			r.dispatchMu.Lock()
			r.dispatched[o.ID] = at
			r.dispatchMu.Unlock()
		}
	}
}

// progress prints a line per ReportEvery: rates and p99 over the window.
func (r *run) progress(ctx context.Context, start time.Time) {
	t := time.NewTicker(r.opts.ReportEvery)
	defer t.Stop()
	prevPull, prevPush := r.stats.hist[opPull].snapshot(), r.stats.hist[opPush].snapshot()
	var prevPulls, prevPushes, prevErrs int64
	last := start
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			pull, push := r.stats.hist[opPull].snapshot(), r.stats.hist[opPush].snapshot()
			pulls, pushes := r.stats.ok[opPull].Load(), r.stats.ok[opPush].Load()
			r.stats.mu.Lock()
			var errs int64
			for _, n := range r.stats.errs {
				errs += n
			}
			r.stats.mu.Unlock()
			secs := now.Sub(last).Seconds()
			pq := quantiles(subCounts(pull, prevPull), 0.5, 0.99)
			uq := quantiles(subCounts(push, prevPush), 0.5, 0.99)
			fmt.Fprintf(r.log, "t=%3.0fs  pulls/s %7.1f (p50 %s p99 %s)  pushes/s %6.1f (p50 %s p99 %s)  errors %d\n",
				now.Sub(start).Seconds(), float64(pulls-prevPulls)/secs, ms(pq[0]), ms(pq[1]),
				float64(pushes-prevPushes)/secs, ms(uq[0]), ms(uq[1]), errs-prevErrs)
			prevPull, prevPush, prevPulls, prevPushes, prevErrs, last = pull, push, pulls, pushes, errs, now
		}
	}
}

// parallel runs f(0…n-1) on k goroutines and returns the first error.
func parallel(ctx context.Context, k, n int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var failed atomic.Bool
	var once gosync.Once
	var wg gosync.WaitGroup
	for range min(k, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil || failed.Load() {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
