package platform

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/streetdesk/streetdesk"
)

// limiter sheds load: at most cap requests run at once; the next ones wait
// in line, at most queue of them and each for at most wait, and are
// answered 503 with Retry-After beyond that, which the desks' engines
// honour. A waiting request whose client goes away leaves the line without
// running. Without it, a burst of desks made the platform hold everything
// it could not serve yet (a gigabyte at a thousand clients) and answer all
// of them late.
//
// Requests that hold a connection for long by design (uploads, package
// downloads) get a limiter of their own, so they never take the slots of
// the short ones; a long poll gives its slot back while it holds
// (limitHeld, wait.go).
type limiter struct {
	slots   chan struct{}
	waiting atomic.Int64
	queue   int64
	wait    time.Duration
}

var errBusy = errors.New("too many requests in flight")

func newLimiter(cap, queue int, wait time.Duration) *limiter {
	return &limiter{slots: make(chan struct{}, cap), queue: int64(queue), wait: wait}
}

// acquire takes a slot, waiting in line if need be. It returns errBusy when
// the line is full or the wait too long, and ctx's error when the client
// went away meanwhile.
func (l *limiter) acquire(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	if l.waiting.Add(1) > l.queue {
		l.waiting.Add(-1)
		return errBusy
	}
	defer l.waiting.Add(-1)
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-t.C:
		return errBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *limiter) release() { <-l.slots }

// limit runs h under l.
func (s *Server) limit(l *limiter, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch err := l.acquire(r.Context()); {
		case err == nil:
			defer l.release()
			h.ServeHTTP(w, r)
		case errors.Is(err, errBusy):
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, streetdesk.ErrBusy, "the platform is busy; retry")
		default:
			// The client went away while waiting: nothing was done, and
			// nobody reads an answer.
		}
	})
}
