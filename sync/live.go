package sync

import (
	"context"
	"net/http"
	"time"
)

// Live updates: while online the engine holds a long poll (GET
// /v1/sync/wait, docs/protocol.md §7a) from the cursor of its last pull, and
// syncs as soon as the platform answers that something it may see changed.
// The poll runs on a goroutine of its own that only calls the client; Run
// starts it after a successful cycle, reads its answer in its select loop,
// and cancels and joins it before it returns. While one is held, the
// periodic sync is skipped (the poll is the period); failures of the poll
// back off on their own schedule and leave the periodic sync in charge; a
// platform without the endpoint (404) is polled every Period as before.

// longPoll is one GET /v1/sync/wait in flight.
type longPoll struct {
	cancel  context.CancelFunc
	done    chan struct{}
	started time.Time
	changed bool
	err     error
}

// C is closed when the poll has its answer (nil for no poll).
func (p *longPoll) C() <-chan struct{} {
	if p == nil {
		return nil
	}
	return p.done
}

// stop cancels the poll and joins its goroutine (nil-safe).
func (p *longPoll) stop() {
	if p == nil {
		return
	}
	p.cancel()
	<-p.done
}

// startWait starts a long poll from the stored cursor, if live updates are
// on, the platform has them and the last cycle succeeded; else nil.
func (e *Engine) startWait(ctx context.Context) *longPoll {
	if !e.opts.LiveUpdates || e.noWait || e.paused || e.failures > 0 {
		return nil
	}
	cursor, err := e.store.PullCursor(ctx)
	if err != nil || cursor == "" {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &longPoll{cancel: cancel, done: make(chan struct{}), started: e.opts.Clock.Now()}
	go func() {
		defer close(p.done)
		p.changed, p.err = e.client.Wait(ctx, cursor, e.opts.WaitTimeout)
	}()
	return p
}

// nextWait takes a finished poll's answer: whether to sync now (which
// starts the next poll after the sync), the next poll started at once, or
// the timer after which to start it.
func (e *Engine) nextWait(ctx context.Context, p *longPoll) (syncNow bool, next *longPoll, retry Timer) {
	syncNow, delay := e.waited(p)
	if delay > 0 {
		retry = e.opts.Clock.NewTimer(delay)
	}
	switch {
	case syncNow && !e.paused:
		return true, nil, retry
	case delay == 0:
		return false, e.startWait(ctx), nil
	}
	return false, nil, retry
}

// quickWakes is how many "changed" answers in a row may come at once
// before the next poll waits a backoff: a platform that keeps saying
// "changed" while the pulls bring nothing must not make a busy loop.
const quickWakes = 3

// waited takes a finished poll's answer: whether to sync now, and how long
// to wait before the next poll (0: start it at once; <0: none).
func (e *Engine) waited(p *longPoll) (syncNow bool, delay time.Duration) {
	se := AsError(p.err)
	switch {
	case p.err == nil && p.changed:
		e.waitFails = 0
		e.count(func(s *Stats) { s.Wakes++ })
		if e.opts.Clock.Now().Sub(p.started) < time.Second {
			e.waitQuick++
		} else {
			e.waitQuick = 0
		}
		if e.waitQuick > quickWakes {
			return true, backoff(e.waitQuick-quickWakes-1, e.opts.BackoffBase, e.opts.BackoffCap, e.opts.Rand)
		}
		return true, 0
	case p.err == nil:
		e.waitFails, e.waitQuick = 0, 0
		return false, 0
	}
	e.count(func(s *Stats) { s.WaitErrors++ })
	switch {
	case se != nil && se.Status == http.StatusNotFound:
		e.noWait = true
		e.log.Info("the platform has no live updates; syncing every period", "period", e.opts.Period)
		return false, -1
	case se != nil && se.Kind == KindAuth:
		// The client could not refresh the token: a sync finds out why
		// and pauses for a sign-in.
		return true, 0
	default:
		d := backoff(e.waitFails, e.opts.BackoffBase, e.opts.BackoffCap, e.opts.Rand)
		e.waitFails++
		if se != nil && se.RetryAfter > d {
			d = se.RetryAfter
		}
		e.log.Debug("long poll failed; the periodic sync goes on", "err", p.err, "retry_in", d)
		return false, d
	}
}
