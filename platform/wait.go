package platform

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// Long polls (GET /v1/sync/wait, docs/protocol.md §7a). A held wait costs
// its connection, a waiter in the hub (a 1-buffered channel under one or
// two keys) and a timer: no goroutine of its own beyond the connection's,
// and no database work while it holds. One watcher per instance
// (store.Watch: an in-process broadcast on SQLite, LISTEN/NOTIFY on
// PostgreSQL) wakes the waiters whose keys a commit names; each woken one
// then asks the change log, under a request slot, whether anything it may
// see is newer than its cursor.

// waiter is one held wait.
type waiter struct {
	keys []string
	ch   chan struct{} // 1-buffered: a wake while the waiter checks is kept
}

// waitHub fans wakes out to the waiters by key.
type waitHub struct {
	mu    sync.Mutex
	byKey map[string]map[*waiter]struct{}
	n     int
}

func newWaitHub() *waitHub { return &waitHub{byKey: map[string]map[*waiter]struct{}{}} }

func (h *waitHub) add(keys ...string) *waiter {
	w := &waiter{keys: keys, ch: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range keys {
		set := h.byKey[k]
		if set == nil {
			set = map[*waiter]struct{}{}
			h.byKey[k] = set
		}
		set[w] = struct{}{}
	}
	h.n++
	return w
}

func (h *waitHub) remove(w *waiter) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range w.keys {
		if set := h.byKey[k]; set != nil {
			delete(set, w)
			if len(set) == 0 {
				delete(h.byKey, k)
			}
		}
	}
	h.n--
}

// wake pokes the waiters of the keys (every waiter for All). It never
// blocks: a waiter already poked stays poked.
func (h *waitHub) wake(wk store.Wake) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if wk.All {
		for _, set := range h.byKey {
			for w := range set {
				poke(w.ch)
			}
		}
		return
	}
	for _, k := range wk.Keys {
		for w := range h.byKey[k] {
			poke(w.ch)
		}
	}
}

// Waiting returns the number of held waits (for tests and load reports).
func (s *Server) Waiting() int {
	s.waits.mu.Lock()
	defer s.waits.mu.Unlock()
	return s.waits.n
}

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// waitKeys are the views a user's wait listens to: a caseworker's own; a
// lead's team and their own revocations.
func waitKeys(u *streetdesk.User) []string {
	if u.Role == streetdesk.RoleLead {
		return []string{store.TeamKey(u.TeamID), store.UserKey(u.ID)}
	}
	return []string{store.UserKey(u.ID)}
}

// watch runs the store's watcher until the server closes.
func (s *Server) watch() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopWatch = cancel
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		if err := s.db.Watch(ctx, s.waits.wake); err != nil {
			s.log.Error("change watcher stopped; long polls answer at their timeout", "err", err)
		}
	}()
}

// DrainWaits answers every held wait with "no change" and refuses new ones
// (503): for a graceful shutdown (http.Server.RegisterOnShutdown), so the
// desks wait again on another instance instead of holding this one up.
func (s *Server) DrainWaits() {
	s.drainOnce.Do(func() { close(s.drain) })
}

// heldSlot is a request slot a long poll gives back while it holds and
// takes again to look at the database.
type heldSlot struct {
	l    *limiter
	held bool
}

type ctxSlotKey struct{}

func (h *heldSlot) release() {
	if h.held {
		h.l.release()
		h.held = false
	}
}

func (h *heldSlot) acquire(ctx context.Context) error {
	if h.held {
		return nil
	}
	err := h.l.acquire(ctx)
	h.held = err == nil
	return err
}

// limitHeld runs h under l like limit does, but h may give the slot back
// (heldSlotOf) while it waits: a held long poll never takes one of the
// slots that pulls and pushes need, however many desks wait.
func (s *Server) limitHeld(l *limiter, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch err := l.acquire(r.Context()); {
		case err == nil:
			hs := &heldSlot{l: l, held: true}
			defer hs.release()
			h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxSlotKey{}, hs)))
		case errors.Is(err, errBusy):
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, streetdesk.ErrBusy, "the platform is busy; retry")
		}
	})
}

func heldSlotOf(ctx context.Context) *heldSlot {
	if h, ok := ctx.Value(ctxSlotKey{}).(*heldSlot); ok {
		return h
	}
	return &heldSlot{} // not under limitHeld: nothing to give back
}

// HandleWait registers a long poll under limitHeld.
func (p *patternMux) HandleWait(pattern string, h func(http.ResponseWriter, *http.Request)) {
	p.s.patterns = append(p.s.patterns, pattern)
	p.ServeMux.Handle(pattern, p.s.limitHeld(p.s.slots, http.HandlerFunc(h)))
}

// handleWait answers GET /v1/sync/wait?cursor=…[&timeout=seconds].
func (s *Server) handleWait(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	q := r.URL.Query()
	timeout := streetdesk.MaxWaitSeconds * time.Second
	if v := q.Get("timeout"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > streetdesk.MaxWaitSeconds {
			writeError(w, http.StatusBadRequest, streetdesk.EINVALID, "timeout must be 0–55 seconds")
			return
		}
		timeout = time.Duration(f * float64(time.Second))
	}
	raw := q.Get("cursor")
	if raw == "" {
		writeError(w, http.StatusBadRequest, streetdesk.EINVALID, "cursor is required: pull first, then wait with the cursor of the last page")
		return
	}
	c, ok := parseCursor(raw)
	if len(raw) > 512 || !ok {
		writeError(w, http.StatusBadRequest, streetdesk.EINVALID, "malformed cursor")
		return
	}
	if c.snapshot || c.epoch != s.epoch || s.now().UnixMilli()-c.issued > s.cfg.ChangeLogRetention.Milliseconds() {
		// A snapshot still being paged, or a cursor the pull will reset:
		// there is something to pull now.
		answerWait(w, true)
		return
	}
	select {
	case <-s.drain:
		s.waitBusy(w)
		return
	default:
	}
	if s.held.Add(1) > int64(s.cfg.MaxWaits) {
		s.held.Add(-1)
		s.waitBusy(w)
		return
	}
	defer s.held.Add(-1)

	ctx := r.Context()
	slot := heldSlotOf(ctx)
	// Listen before looking: a commit between the look and the hold still
	// wakes this waiter.
	wt := s.waits.add(waitKeys(u)...)
	defer s.waits.remove(wt)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for last := false; ; {
		changed, err := s.changedSince(ctx, u, c.seq)
		slot.release()
		switch {
		case ctx.Err() != nil:
			return // the client went away: nobody reads an answer
		case err != nil:
			s.fail(w, r, err)
			return
		case changed || last:
			answerWait(w, changed)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-s.drain:
			answerWait(w, false)
			return
		case <-wt.ch:
		case <-timer.C:
			// One last look: a wake lost on the way (another process
			// writing the SQLite file, a notification missed) costs at
			// most one timeout, never a change.
			last = true
		}
		switch err := slot.acquire(ctx); {
		case errors.Is(err, errBusy):
			// No slot for the look: tell the desk to pull, and let the
			// pull wait in line (or be shed) like any other.
			answerWait(w, true)
			return
		case err != nil:
			return
		}
	}
}

// changedSince reports whether the user's visible set has a change after
// seq: the same two index lookups the pull's checksum cache keys on.
func (s *Server) changedSince(ctx context.Context, u *streetdesk.User, seq int64) (bool, error) {
	a, b, err := s.db.ScopeSeqs(ctx, scopeOf(u), u.ID)
	if err != nil {
		return false, err
	}
	return max(a, b) > seq, nil
}

func answerWait(w http.ResponseWriter, changed bool) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, streetdesk.WaitResponse{Changed: changed})
}

func (s *Server) waitBusy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, streetdesk.ErrBusy, "the platform holds as many waits as it may; poll instead")
}
