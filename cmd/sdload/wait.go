package main

import (
	"context"
	"fmt"
	"os"
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
					d.pause(ctx, a.err, 1)
				}
			case a.changed:
				if err := d.pull(ctx); err != nil && ctx.Err() == nil {
					d.pause(ctx, err, 1)
				}
			}
			startWait()
		case <-actC:
			d.act()
			d.flush(ctx)
			actC = next(o.PushEvery)
		case <-photoC:
			if err := d.photo(ctx); err == nil {
				d.flush(ctx)
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
func baselineRSS(ctx context.Context, pid int, desks []*desk) (int64, error) {
	for _, d := range desks {
		d.c.Close()
	}
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(heldSettle):
	}
	s, err := readProc(pid)
	return s.rss, err
}

// measureHeld waits until every desk's long poll is in flight, lets the
// platform take them in, and reads its RSS and open files.
func (r *run) measureHeld(ctx context.Context, pid int, n int64, baseline int64) (*HeldReport, error) {
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
	h := &HeldReport{Waits: r.waiting.Load(), PlatformFDs: -1, BaselineRSSMB: float64(baseline) / (1 << 20), HeldRSSMB: float64(s.rss) / (1 << 20)}
	if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		h.PlatformFDs = len(fds)
	}
	if h.Waits > 0 {
		h.PerWaitKB = float64(s.rss-baseline) / 1024 / float64(h.Waits)
	}
	return h, nil
}
