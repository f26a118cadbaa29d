package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// --mode wait: each desk holds a long poll (GET /v1/sync/wait) from its
// cursor and pulls as soon as it answers "changed", instead of pulling every
// PullEvery. With --watch-pid the run also measures what a held wait costs
// the platform: its RSS with every desk's wait held, minus its RSS before
// the first one, per wait.

// opWait is a long poll answered (changed, or at its timeout).
const opWait = "wait"

// HeldReport is the platform's memory with every desk's long poll held.
type HeldReport struct {
	Waits         int64   `json:"waits"`         // long polls in flight when measured (client side)
	PlatformFDs   int     `json:"platformFds"`   // the platform's open files then (-1: unknown)
	BaselineRSSMB float64 `json:"baselineRssMB"` // before the first wait, idle connections closed
	HeldRSSMB     float64 `json:"heldRssMB"`
	PerWaitKB     float64 `json:"perWaitKB"` // (held − baseline) / waits
	// With --debug-url: the platform's Go memory in use (heap and stacks,
	// read after a collection) before and with the waits held. RSS alone
	// undercounts: memory the setup freed is reused before the process
	// grows.
	BaselineGoMB   float64 `json:"baselineGoMB,omitempty"`
	HeldGoMB       float64 `json:"heldGoMB,omitempty"`
	GoPerWaitKB    float64 `json:"goPerWaitKB,omitempty"`
	GoroutinesPer  float64 `json:"goroutinesPerWait,omitempty"`
	baseGoroutines int
}

// goMemory reads the platform's Go memory in use (HeapInuse + StackInuse)
// and goroutine count from its profiler (platformd serve --debug-listen),
// after a forced collection.
func goMemory(ctx context.Context, debugURL string) (bytes int64, goroutines int, err error) {
	get := func(path string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(debugURL, "/")+path, nil)
		if err != nil {
			return nil, err
		}
		resp, err := (&http.Client{Transport: &http.Transport{DialContext: loopbackDialer()}, Timeout: time.Minute}).Do(req)
		if err != nil {
			return nil, err
		}
		defer func() { _ = resp.Body.Close() }() // read to the end below
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: %s", path, resp.Status)
		}
		return io.ReadAll(resp.Body)
	}
	heap, err := get("/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.Lines(string(heap)) {
		f := strings.Fields(line)
		if len(f) == 4 && f[0] == "#" && (f[1] == "HeapInuse" || f[1] == "StackInuse") {
			n, _ := strconv.ParseInt(f[3], 10, 64)
			bytes += n
		}
	}
	g, err := get("/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, 0, err
	}
	// "goroutine profile: total N"
	first, _, _ := strings.Cut(string(g), "\n")
	goroutines, _ = strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(first, "goroutine profile: total")))
	return bytes, goroutines, nil
}

// runWait drives one desk in --mode wait. The long poll runs on a
// goroutine of its own (as in the sync engine), so actions and photos go
// on while it is held; runWait joins it before it returns.
func (d *desk) runWait(ctx context.Context) {
	o := d.r.opts
	next := func(mean time.Duration) <-chan time.Time {
		if mean <= 0 {
			return nil
		}
		return time.After(time.Duration(d.rng.ExpFloat64() * float64(mean)))
	}
	type answer struct {
		changed bool
		err     error
	}
	answers := make(chan answer, 1)
	startWait := func() {
		cursor := d.cursor
		d.r.waiting.Add(1)
		go func() {
			start := time.Now()
			changed, err := d.c.Wait(ctx, cursor, o.WaitTimeout)
			d.r.waiting.Add(-1)
			d.r.stats.done(ctx, opWait, start, err)
			answers <- answer{changed, err}
		}()
	}
	startWait()
	actC, photoC := next(o.PushEvery), next(o.PhotoEvery)
	for {
		select {
		case <-ctx.Done():
			<-answers
			return
		case a := <-answers:
			switch {
			case a.err != nil:
				if ctx.Err() == nil {
					_ = d.pause(ctx, a.err, 1) // ends early only when the run does
				}
			case a.changed:
				if err := d.pull(ctx); err != nil && ctx.Err() == nil {
					_ = d.pause(ctx, err, 1) // ends early only when the run does
				}
			}
			startWait()
		case <-actC:
			d.act()
			_ = d.flush(ctx) // what is not sent stays queued, as in poll mode
			actC = next(o.PushEvery)
		case <-photoC:
			if err := d.photo(ctx); err == nil {
				_ = d.flush(ctx)
			}
			photoC = next(o.PhotoEvery)
		}
	}
}

// heldSettle is how long the platform gets to take every wait in (read
// the request, check the token, register it) after the last was sent
// (tests shorten it).
var heldSettle = 3 * time.Second

// baselineRSS closes the desks' idle connections (those of the setup's
// sign-ins and first pulls) and reads the platform's RSS once it settled.
func baselineRSS(ctx context.Context, o Options, desks []*desk) (*HeldReport, error) {
	for _, d := range desks {
		d.c.Close()
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(heldSettle):
	}
	h := &HeldReport{}
	if o.DebugURL != "" {
		b, g, err := goMemory(ctx, o.DebugURL)
		if err != nil {
			return nil, fmt.Errorf("platform profiler: %w", err)
		}
		h.BaselineGoMB, h.baseGoroutines = float64(b)/(1<<20), g
	}
	s, err := readProc(o.WatchPID)
	h.BaselineRSSMB = float64(s.rss) / (1 << 20)
	return h, err
}

// measureHeld waits until every desk's long poll is in flight, lets the
// platform take them in, and reads its RSS and open files.
func (r *run) measureHeld(ctx context.Context, pid int, n int64, baseline *HeldReport) (*HeldReport, error) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for r.waiting.Load() < n {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("only %d of %d waits in flight before the run ended", r.waiting.Load(), n)
		case <-t.C:
		}
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(heldSettle):
	}
	s, err := readProc(pid)
	if err != nil {
		return nil, err
	}
	h := *baseline
	h.Waits, h.PlatformFDs, h.HeldRSSMB = r.waiting.Load(), -1, float64(s.rss)/(1<<20)
	if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		h.PlatformFDs = len(fds)
	}
	if h.Waits == 0 {
		return &h, nil
	}
	h.PerWaitKB = (h.HeldRSSMB - h.BaselineRSSMB) * 1024 / float64(h.Waits)
	if r.opts.DebugURL != "" {
		b, g, err := goMemory(ctx, r.opts.DebugURL)
		if err != nil {
			return &h, fmt.Errorf("platform profiler: %w", err)
		}
		h.HeldGoMB = float64(b) / (1 << 20)
		h.GoPerWaitKB = (h.HeldGoMB - h.BaselineGoMB) * 1024 / float64(h.Waits)
		h.GoroutinesPer = float64(g-h.baseGoroutines) / float64(h.Waits)
	}
	return &h, nil
}
