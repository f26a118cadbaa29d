package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	gosync "sync"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync/internal/crashpoint"
)

// Options configure an Engine. Zero values take the defaults in brackets.
type Options struct {
	Logger *slog.Logger
	Clock  Clock          // [RealClock]
	Rand   func() float64 // [math/rand/v2.Float64], in [0,1)

	Debounce    time.Duration // after a local write [1 s]
	Period      time.Duration // periodic sync [60 s]
	BackoffBase time.Duration // [1 s]
	BackoffCap  time.Duration // [5 min]
	// Photo upload and download failures back off on their own, longer
	// schedule: [2 s], [10 min].
	UploadBackoffBase time.Duration
	UploadBackoffCap  time.Duration
	BatchSize         int // at most this many mutations per push [the platform's bound: 1000 with FeaturePushBatch1000, 500 with FeaturePushBatch500, else 100]
	PullLimit         int // changes per pull page [500]
	StallAfter        int // same head of queue failing this often → stall message [5]

	ChunkSize    int64 // first tus chunk [1 MiB]
	MinChunk     int64 // [256 KiB]
	MaxChunk     int64 // [4 MiB]
	UploadAlerts int   // checksum restarts before giving up on a blob [3]

	// DownloadBudget bounds the bytes of others' photos kept for offline
	// viewing [200 MiB]; Downloader stores one (cmd plugs media.SaveVerified
	// in). Without a Downloader nothing is downloaded.
	DownloadBudget int64
	Downloader     func(ctx context.Context, r io.Reader, sha256, mime string) (path string, size int64, err error)

	// LiveUpdates makes the engine hold a long poll (GET /v1/sync/wait)
	// after each successful sync, so what changes on the platform arrives
	// within about a second instead of at the next Period (live.go). A
	// platform without it (404) is polled every Period as before. cmd
	// turns it on.
	LiveUpdates bool
	WaitTimeout time.Duration // one long poll's longest hold [50 s]
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	d := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	d(&o.Debounce, time.Second)
	d(&o.Period, time.Minute)
	d(&o.BackoffBase, time.Second)
	d(&o.BackoffCap, 5*time.Minute)
	d(&o.UploadBackoffBase, 2*o.BackoffBase)
	d(&o.UploadBackoffCap, 2*o.BackoffCap)
	d(&o.WaitTimeout, 50*time.Second)
	if o.WaitTimeout > streetdesk.MaxWaitSeconds*time.Second {
		o.WaitTimeout = streetdesk.MaxWaitSeconds * time.Second
	}
	i := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	i(&o.BatchSize, streetdesk.MaxPushMutationsXL)
	if o.BatchSize > streetdesk.MaxPushMutationsXL {
		o.BatchSize = streetdesk.MaxPushMutationsXL
	}
	i(&o.PullLimit, streetdesk.DefaultPullLimit)
	i(&o.StallAfter, 5)
	i(&o.UploadAlerts, 3)
	n := func(p *int64, v int64) {
		if *p <= 0 {
			*p = v
		}
	}
	n(&o.ChunkSize, 1<<20)
	n(&o.MinChunk, 256<<10)
	n(&o.MaxChunk, 4<<20)
	n(&o.DownloadBudget, 200<<20)
}

// Engine pushes the outbox, pulls changes and moves photos. Run is its
// single goroutine; the other methods are safe from any goroutine.
type Engine struct {
	store  Store
	client *Client
	opts   Options
	log    *slog.Logger

	trigger chan struct{} // local write (debounced)
	now     chan struct{} // SyncNow
	netUp   chan struct{} // network regained
	resume  chan struct{} // new token / Resume

	mu     gosync.Mutex
	status streetdesk.SyncStatus
	notify chan struct{}
	stats  Stats

	// Run goroutine only.
	cid       string
	failures  int
	paused    bool // auth or stop: wait for Resume/SyncNow
	headID    int64
	headCount int
	chunk     int64
	restarts  map[string]int
	// verified is the last checksum found equal to the local shadow; a pull
	// with no changes and the same checksum needs no local recount.
	verified *streetdesk.Checksum
	// applied is the cursor and lastMutationId of the last page applied: an
	// empty page with the same two has nothing to write.
	appliedCursor string
	appliedLMID   int64
	appliedAt     time.Time
	stateWritten  time.Time
	// cycleLog holds the pull phases' sync_log lines until the cycle is
	// reported done (flushLog).
	cycleLog []LogEntry
	// featureList is what the platform last said it accepts beyond v1
	// (read from the store once: featuresRead).
	featureList     []string
	featuresRead    bool
	featuresRefused bool
	// bigPushRefused: a platform answered 413 to a push within the bounds
	// of FeaturePushBatch500 or FeaturePushBatch1000 it listed; v1's bounds
	// until a restart.
	bigPushRefused bool
	// Long polls (live.go).
	noWait    bool // the platform has no /v1/sync/wait: poll
	waitFails int  // failed long polls in a row (their own backoff)
	waitQuick int  // long polls in a row answered "changed" at once
}

// Stats are counters for tests, benchmarks and support.
type Stats struct {
	Cycles      int   // completed sync cycles (success or failure)
	OK          int   // successful cycles
	LastErr     error // last cycle's error
	Pushed      int   // mutations sent (including resends)
	PullPages   int
	Wakes       int   // long polls answered "changed" (each followed by a sync)
	WaitErrors  int   // long polls that failed (a 404: the platform has none)
	UploadBytes int64 // bytes sent in PATCH bodies (including re-sends)
	Forks       int
	Resyncs     int // checksum mismatches that cleared the cursor
}

var _ streetdesk.Syncer = (*Engine)(nil)

// New returns an engine; call Run to start it.
func New(store Store, client *Client, opts Options) *Engine {
	opts.defaults()
	return &Engine{
		store: store, client: client, opts: opts, log: opts.Logger,
		trigger: make(chan struct{}, 1), now: make(chan struct{}, 1),
		netUp: make(chan struct{}, 1), resume: make(chan struct{}, 1),
		notify:   make(chan struct{}),
		status:   streetdesk.SyncStatus{State: streetdesk.SyncIdle},
		chunk:    opts.ChunkSize,
		restarts: map[string]int{},
	}
}

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Trigger tells the engine a local write happened (debounced).
func (e *Engine) Trigger() { poke(e.trigger) }

// SyncNow asks for a sync as soon as possible, also out of a pause.
func (e *Engine) SyncNow() { poke(e.now) }

// NetworkUp tells the engine the network came back: retry at once.
func (e *Engine) NetworkUp() { poke(e.netUp) }

// Resume leaves paused-auth after a new sign-in (the token source now has a
// valid token) and syncs.
func (e *Engine) Resume() { poke(e.resume) }

// Status returns the published status.
func (e *Engine) Status() streetdesk.SyncStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.status
	s.Uploads = append([]streetdesk.UploadProgress(nil), s.Uploads...)
	return s
}

// Notify returns a channel closed at the next status change.
func (e *Engine) Notify() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.notify
}

// Stats returns the counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stats
}

func (e *Engine) update(f func(s *streetdesk.SyncStatus)) {
	e.mu.Lock()
	f(&e.status)
	close(e.notify)
	e.notify = make(chan struct{})
	e.mu.Unlock()
}

func (e *Engine) count(f func(s *Stats)) {
	e.mu.Lock()
	f(&e.stats)
	close(e.notify)
	e.notify = make(chan struct{})
	e.mu.Unlock()
}

// Run syncs until ctx is cancelled. It syncs once at start (a queue made
// offline is flushed on connect), then on triggers, every Period (or, with
// LiveUpdates, when the long poll says something changed) and on the
// backoff timer after a failure. It returns nil after ctx is cancelled and
// the in-flight request is aborted. The only other goroutines it starts are
// a pull's prefetch of the next page, which that pull joins before it
// returns, and the long poll's (live.go), which Run joins before it returns.
func (e *Engine) Run(ctx context.Context) error {
	clk := e.opts.Clock
	periodic := clk.NewTimer(e.opts.Period)
	var debounce, retry, waitRetry Timer
	var poll *longPoll
	defer func() {
		poll.stop()
		periodic.Stop()
		for _, t := range []Timer{debounce, retry, waitRetry} {
			if t != nil {
				t.Stop()
			}
		}
	}()
	ch := func(t Timer) <-chan time.Time {
		if t == nil {
			return nil
		}
		return t.C()
	}
	run := func() {
		if debounce != nil {
			debounce.Stop()
			debounce = nil
		}
		if retry != nil {
			retry.Stop()
			retry = nil
		}
		// Timers are armed before the cycle's status is published, so
		// whoever sees the status also sees the timers.
		e.cycle(ctx, func(d time.Duration) {
			periodic.Stop()
			periodic = clk.NewTimer(e.opts.Period)
			if d > 0 {
				retry = clk.NewTimer(d)
			}
		})
		if poll == nil && waitRetry == nil && ctx.Err() == nil {
			poll = e.startWait(ctx)
		}
	}
	e.restoreLastSync(ctx)
	run()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-e.trigger:
			if debounce == nil && !e.paused {
				debounce = clk.NewTimer(e.opts.Debounce)
			}
		case <-ch(debounce):
			debounce = nil
			run()
		case <-e.now:
			e.paused = false
			run()
		case <-e.resume:
			e.paused = false
			e.failures = 0
			run()
		case <-e.netUp:
			if !e.paused {
				e.failures = 0
				run()
			}
		case <-ch(retry):
			retry = nil
			run()
		case <-poll.C():
			var syncNow bool
			syncNow, poll, waitRetry = e.nextWait(ctx, poll)
			if syncNow {
				run()
			}
		case <-ch(waitRetry):
			// No poll is in flight while a retry is armed.
			waitRetry = nil
			poll = e.startWait(ctx)
		case <-periodic.C():
			if e.paused || poll != nil {
				// Paused, or a long poll is held: it stands for the period.
				periodic = clk.NewTimer(e.opts.Period)
				continue
			}
			run()
		}
	}
}

// cursorRefresh bounds how long an idle desktop keeps an older cursor than
// the platform's latest (far below any change-log retention).
const cursorRefresh = 10 * time.Minute

// errFork restarts a cycle after the client was forked.
var errFork = errors.New("client forked")

// cycle runs push, pull, uploads and downloads once and calls arm with the
// delay before the next try (0: none needed, wait for a trigger or the
// period) just before publishing the outcome.
func (e *Engine) cycle(ctx context.Context, arm func(time.Duration)) {
	e.update(func(s *streetdesk.SyncStatus) {
		s.State = streetdesk.SyncSyncing
		s.Activity = streetdesk.Message{}
	})
	var err error
	for range 3 {
		if err = e.syncOnce(ctx); !errors.Is(err, errFork) {
			break
		}
	}
	if ctx.Err() != nil {
		e.flushLog(ctx)
		e.countCycle(err)
		return
	}
	if err == nil {
		e.failures = 0
		now := e.opts.Clock.Now()
		arm(0)
		e.update(func(s *streetdesk.SyncStatus) {
			s.State = streetdesk.SyncIdle
			s.Pending = 0
			s.LastSync = now
			s.NextTry = time.Time{}
			s.Activity, s.Reason = streetdesk.Message{}, streetdesk.Message{}
			s.Uploads = nil
		})
		e.countCycle(err)
		e.flushLog(ctx)
		if now.Sub(e.stateWritten) >= 30*time.Second || now.Before(e.stateWritten) {
			// For `streetdesk status`; at most twice a minute (an fsync each).
			// Written after the cycle is reported done, as flushLog's lines
			// are (the writer may be the indexer's after a first sync: ~0.1
			// s, an eighth of the sync). Not cancelled with ctx: `sync
			// --once` ends the engine as soon as the cycle is counted, and
			// waits for it.
			_ = e.store.SetState(context.WithoutCancel(ctx), "last_sync", now.UTC().Format(time.RFC3339Nano))
			e.stateWritten = now
		}
		return
	}
	e.flushLog(ctx)
	e.failed(ctx, err, arm)
	e.countCycle(err)
}

// countCycle counts a cycle that ended with err. It is called after the
// cycle's status is published, so a test that sees the count also sees
// the status and NextTry of this cycle.
func (e *Engine) countCycle(err error) {
	e.count(func(s *Stats) {
		s.Cycles++
		s.LastErr = err
		if err == nil {
			s.OK++
		}
	})
}

// flushLog writes the cycle's held sync_log lines. They wait for the end
// of the cycle because after a first sync the writer is the indexer's for
// ~0.1 s (the shadow's indexes rebuilt, the WAL checkpointed): a line
// written right after the last page waited for it on the sync's path. Not
// cancelled with ctx: lines of phases that completed are kept when the
// engine stops.
func (e *Engine) flushLog(ctx context.Context) {
	for _, l := range e.cycleLog {
		_ = e.store.Log(context.WithoutCancel(ctx), l)
	}
	e.cycleLog = e.cycleLog[:0]
}

// restoreLastSync publishes the last successful sync the store remembers,
// so a new engine does not report "never synced" while its first cycle
// runs.
func (e *Engine) restoreLastSync(ctx context.Context) {
	v, err := e.store.State(ctx, "last_sync")
	if err != nil || v == "" {
		return
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return
	}
	e.update(func(s *streetdesk.SyncStatus) {
		if s.LastSync.IsZero() {
			s.LastSync = t
		}
	})
}

// failed publishes the failure and returns the backoff delay, 0 if paused.
func (e *Engine) failed(ctx context.Context, err error, arm func(time.Duration)) {
	pending := 0
	if rows, perr := e.store.PendingMutations(ctx, 1<<20); perr == nil {
		pending = len(rows)
	}
	se := AsError(err)
	e.log.Warn("sync failed", "err", err)
	_ = e.store.Log(ctx, LogEntry{At: e.opts.Clock.Now(), Kind: opOf(se), RequestID: ridOf(se), Status: statusOf(se), Detail: err.Error()})
	if se != nil && (se.Kind == KindAuth || se.Kind == KindStop) {
		e.paused = true
		state, why := streetdesk.SyncPausedAuth, streetdesk.Msg(streetdesk.MsgSyncSignIn)
		if se.Kind == KindStop {
			state = streetdesk.SyncError
			switch {
			case se.Code == streetdesk.ErrVersionNotSupported || se.Status == 426:
				why = streetdesk.Msg(streetdesk.MsgSyncAppTooOld)
			case se.Code == streetdesk.ErrKeyPayloadMismatch:
				why = streetdesk.Msg(streetdesk.MsgSyncPayloadMismatch, "ID", se.MutationID)
			default:
				why = streetdesk.Msg(streetdesk.MsgSyncRefused)
			}
		}
		arm(0)
		e.update(func(s *streetdesk.SyncStatus) {
			s.State, s.Reason, s.Pending, s.NextTry, s.Activity = state, why, pending, time.Time{}, streetdesk.Message{}
		})
		return
	}
	base, limit := e.opts.BackoffBase, e.opts.BackoffCap
	if me := (*mediaError)(nil); errors.As(err, &me) {
		base, limit = e.opts.UploadBackoffBase, e.opts.UploadBackoffCap
	}
	d := backoff(e.failures, base, limit, e.opts.Rand)
	e.failures++
	if se != nil && se.RetryAfter > d {
		d = se.RetryAfter
	}
	state := streetdesk.SyncError
	var why streetdesk.Message
	switch {
	case se != nil && se.Kind == KindTransient && se.Code == CodeCaptivePortal:
		state, why = streetdesk.SyncOffline, streetdesk.Msg(streetdesk.MsgSyncCaptivePortal)
	case se != nil && se.Kind == KindTransient && (se.Code == CodeNetwork || se.Code == CodeBadResponse && se.Status == 0):
		state, why = streetdesk.SyncOffline, streetdesk.Msg(streetdesk.MsgSyncOffline)
	case se != nil && se.Kind == KindTransient:
		why = streetdesk.Msg(streetdesk.MsgSyncServerBusy, "Status", se.Status)
	default:
		why = streetdesk.Msg(streetdesk.MsgSyncFailed, "Detail", err.Error())
	}
	if e.headCount >= e.opts.StallAfter {
		why = streetdesk.Msg(streetdesk.MsgSyncStalled, "ID", e.headID, "Count", e.headCount)
	}
	next := e.opts.Clock.Now().Add(d)
	arm(d)
	e.update(func(s *streetdesk.SyncStatus) {
		s.State, s.Reason, s.Pending, s.Activity, s.NextTry = state, why, pending, streetdesk.Message{}, next
	})
}

func opOf(e *Error) string {
	if e == nil {
		return "sync"
	}
	return e.Op
}

func ridOf(e *Error) string {
	if e == nil {
		return ""
	}
	return e.RequestID
}

func statusOf(e *Error) int {
	if e == nil {
		return 0
	}
	return e.Status
}

func (e *Engine) syncOnce(ctx context.Context) error {
	if e.cid == "" {
		// Read once per Run: it only changes through ForkClient, which
		// returns the new one (and ClientID is a write transaction).
		cid, err := e.store.ClientID(ctx)
		if err != nil {
			return fmt.Errorf("client id: %w", err)
		}
		e.cid = cid
	}
	cid := e.cid
	e.client.SetClientID(cid)
	if err := e.push(ctx, cid); err != nil {
		return err
	}
	if err := e.pull(ctx, cid); err != nil {
		return err
	}
	sent, err := e.uploads(ctx)
	if err != nil {
		return &mediaError{err}
	}
	if sent {
		// The platform flipped blobPresent (and maybe finished a resolution
		// awaiting media): show it now rather than at the next period.
		if err := e.pull(ctx, cid); err != nil {
			return err
		}
	}
	if err := e.downloads(ctx); err != nil {
		return &mediaError{err}
	}
	return nil
}

// mediaError is a failure of the photo phases (uploads, downloads). They
// back off on their own, longer schedule: a photo that cannot get through
// must not make the engine hammer a link that pushes and pulls cross fine.
type mediaError struct{ err error }

func (e *mediaError) Error() string { return e.err.Error() }
func (e *mediaError) Unwrap() error { return e.err }

func (e *Engine) fork(ctx context.Context, why string) error {
	cid, err := e.forkStore(ctx, why)
	if err != nil {
		return fmt.Errorf("fork client: %w", err)
	}
	e.log.Warn("forked client id", "why", why, "client_id", cid)
	_ = e.store.Log(ctx, LogEntry{At: e.opts.Clock.Now(), Kind: "push", Detail: "forked client: " + why})
	e.client.SetClientID(cid)
	e.cid = cid
	e.verified, e.appliedCursor = nil, ""
	e.count(func(s *Stats) { s.Forks++ })
	return errFork
}

// push sends the unanswered outbox in batches until it is empty.
func (e *Engine) push(ctx context.Context, cid string) error {
	batch, maxBytes, _ := e.pushBounds(ctx)
	total, done := 0, 0
	pushStart := e.opts.Clock.Now().Add(time.Hour)
	for {
		muts, err := e.store.PendingMutations(ctx, batch)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		if len(muts) == 0 {
			if err := e.pushChain(ctx, cid); err != nil {
				return err
			}
			if done > 0 {
				// One sync_log line per push phase (each write is an fsync).
				_ = e.store.Log(ctx, LogEntry{At: e.opts.Clock.Now(), Kind: "push", Status: 200,
					Duration: e.opts.Clock.Now().Sub(pushStart), Detail: fmt.Sprintf("%d mutations answered", done)})
			}
			return nil
		}
		extra, err := e.addEvidence(ctx, muts)
		if err != nil {
			return err
		}
		muts, size := trimBytes(muts, maxBytes)
		if total == 0 {
			total = len(muts)
		}
		if done+len(muts) > total {
			total = done + len(muts)
		}
		e.update(func(s *streetdesk.SyncStatus) {
			s.Activity = streetdesk.Msg(streetdesk.MsgSyncPushing, "Done", done+len(muts), "Total", total)
		})
		ids := make([]int64, len(muts))
		for i, m := range muts {
			ids[i] = m.ID
		}
		crashpoint.Hit("push.before_send")
		start := e.opts.Clock.Now()
		req := &streetdesk.PushRequest{
			PushVersion: streetdesk.PushVersion, SchemaVersion: streetdesk.SchemaVersion,
			ClientID: cid, Mutations: muts,
		}
		chained, err := e.addChain(ctx, req, maxBytes-size)
		if err != nil {
			return err
		}
		resp, err := e.client.Push(ctx, req)
		e.count(func(s *Stats) { s.Pushed += len(muts) })
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			if (extra || chained) && refusedExtras(err) {
				// A platform older than the one that listed the features
				// now answers: send again without the optional fields.
				e.log.Warn("platform refused the optional push fields; sending without them", "error", err)
				e.forgetFeatures(ctx)
				continue
			}
			se := AsError(err)
			switch {
			case se != nil && se.Status == 413 && batch > streetdesk.MaxPushMutations:
				// A platform older than the one that listed pushBatch500
				// or pushBatch1000 now answers: the bounds of v1 until the
				// engine restarts.
				e.bigPushRefused = true
				batch, maxBytes, _ = e.pushBounds(ctx)
				continue
			case se != nil && se.Status == 413 && batch > 1:
				batch /= 2
				continue
			case se != nil && se.Code == streetdesk.ErrClientStateNotFound:
				return e.fork(ctx, "platform lost the client state")
			case se != nil && se.Code == streetdesk.ErrKeyPayloadMismatch && se.Mismatch != streetdesk.MismatchKey &&
				slices.Contains(ids, se.MutationID):
				// The platform processed another mutation under an id this
				// database assigned itself: only a second copy of it (a
				// restored backup, a copied folder) does that. Fork: a new
				// client id, every queued intent sent again under its key,
				// which the platform answers once.
				return e.fork(ctx, fmt.Sprintf("mutation id %d was used by another copy of this database", se.MutationID))
			case se != nil && se.Code == streetdesk.ErrKeyPayloadMismatch:
				// Ask pull for lastMutationId: ahead of our ids is a fork too.
				if ferr := e.probeFork(ctx, cid); ferr != nil {
					return ferr
				}
			}
			_ = e.store.RecordPushAttempt(ctx, ids, err.Error())
			if se == nil || (se.Code != CodeNetwork && se.Code != CodeCaptivePortal) {
				// Offline is not a stall; an answer that keeps failing is.
				e.noteHead(muts[0].ID)
			}
			return err
		}
		crashpoint.Hit("push.after_send")
		max, err := e.store.MaxMutationID(ctx)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		if resp.LastMutationID > max {
			return e.fork(ctx, fmt.Sprintf("platform lastMutationId %d > local %d", resp.LastMutationID, max))
		}
		if err := e.recordAnswer(ctx, req, resp); err != nil {
			return err
		}
		crashpoint.Hit("push.after_results")
		if start.Before(pushStart) {
			pushStart = start
		}
		if !answered(resp.Results, muts[0].ID) {
			// The platform stopped before our first mutation (gap or a
			// transient failure it did not report): back off, resend.
			_ = e.store.RecordPushAttempt(ctx, ids, "not processed")
			e.noteHead(muts[0].ID)
			return &Error{Kind: KindTransient, Op: "push", Status: 200, Code: "NotProcessed",
				Message: fmt.Sprintf("platform processed none of the batch (lastMutationId %d)", resp.LastMutationID)}
		}
		e.headID, e.headCount = 0, 0
		done += len(resp.Results)
	}
}

func answered(rs []streetdesk.MutationResult, id int64) bool {
	for _, r := range rs {
		if r.ID == id {
			return true
		}
	}
	return false
}

func (e *Engine) noteHead(id int64) {
	if e.headID == id {
		e.headCount++
	} else {
		e.headID, e.headCount = id, 1
	}
}

// pushBounds returns the mutations, bytes and action-log entries of one
// push: v1's, or larger when the platform listed FeaturePushBatch1000 or
// FeaturePushBatch500; BatchSize caps the mutations.
func (e *Engine) pushBounds(ctx context.Context) (n, size, chain int) {
	n, size, chain = streetdesk.MaxPushMutations, streetdesk.MaxPushBytes, streetdesk.MaxPushChainEntries
	if !e.bigPushRefused {
		switch fs := e.features(ctx); {
		case streetdesk.HasFeature(fs, streetdesk.FeaturePushBatch1000):
			n, size, chain = streetdesk.MaxPushMutationsXL, streetdesk.MaxPushBytesXL, streetdesk.MaxPushChainEntriesXL
		case streetdesk.HasFeature(fs, streetdesk.FeaturePushBatch500):
			n, size = streetdesk.MaxPushMutationsLarge, streetdesk.MaxPushBytesLarge
		}
	}
	return min(n, e.opts.BatchSize), size, chain
}

// pushOverhead is what a push request's JSON takes beside its mutations
// and entries, generously.
const pushOverhead = 200

// trimBytes keeps a batch under maxBytes (at least one mutation). It
// returns the bytes the request takes with them.
func trimBytes(muts []streetdesk.Mutation, maxBytes int) ([]streetdesk.Mutation, int) {
	size := pushOverhead
	for i := range muts {
		b, _ := json.Marshal(&muts[i])
		if size+len(b)+1 > maxBytes && i > 0 {
			return muts[:i], size
		}
		size += len(b) + 1
	}
	return muts, size
}

// probeFork reads one pull page (not applied) to learn the platform's
// lastMutationId for this client and forks if it is ahead of local ids.
func (e *Engine) probeFork(ctx context.Context, cid string) error {
	cur, err := e.store.PullCursor(ctx)
	if err != nil {
		return err
	}
	page, err := e.client.Pull(ctx, cid, cur, 1)
	if err != nil {
		return nil
	}
	max, err := e.store.MaxMutationID(ctx)
	if err != nil {
		return err
	}
	if page.LastMutationID > max {
		return e.fork(ctx, fmt.Sprintf("key mismatch and platform lastMutationId %d > local %d", page.LastMutationID, max))
	}
	return nil
}

// pull applies pages until hasMore is false, then checks the checksum.
func (e *Engine) pull(ctx context.Context, cid string) error {
	defer releasePageBufs() // after the page fetched ahead is joined (below)
	cursor, err := e.store.PullCursor(ctx)
	if err != nil {
		return fmt.Errorf("read cursor: %w", err)
	}
	max, err := e.store.MaxMutationID(ctx)
	if err != nil {
		return fmt.Errorf("read outbox: %w", err)
	}
	resynced := false
	pages, changes := 0, 0
	var pullStart time.Time
	// While page n is applied, page n+1 (whose cursor page n carries) is
	// already being fetched and decoded: a pull is read-only on the
	// platform, so a page fetched ahead and then dropped (an apply failure,
	// a fork, a cancelled cycle) costs nothing but the request. The helper
	// goroutine only runs client.Pull; it is owned by this call, which
	// cancels and joins it before returning (ahead.wait), so the engine
	// still has one goroutine touching the store and its state.
	var ahead *prefetch
	defer func() { ahead.wait() }()
	for {
		e.update(func(s *streetdesk.SyncStatus) {
			s.Activity = streetdesk.Msg(streetdesk.MsgSyncPulling, "Page", pages+1)
		})
		start := e.opts.Clock.Now()
		var page *streetdesk.PullResponse
		if ahead != nil && ahead.cursor == cursor {
			page, err = ahead.result()
		} else {
			ahead.wait()
			page, err = e.client.Pull(ctx, cid, cursor, e.opts.PullLimit)
		}
		ahead = nil
		if err != nil {
			return err
		}
		if page.HasMore && page.LastMutationID <= max {
			ahead = e.fetchAhead(ctx, cid, page.Cursor)
		}
		e.noteFeatures(ctx, page.Features)
		if page.LastMutationID > max {
			// Applying this page would drop outbox rows the platform has
			// never seen from us: fork first.
			return e.fork(ctx, fmt.Sprintf("pull lastMutationId %d > local %d", page.LastMutationID, max))
		}
		// Every write is an fsync'd transaction, so an idle pull writes
		// nothing: an empty page whose lastMutationId we already applied
		// changes nothing but the cursor, and the stored cursor (refreshed at
		// least every CursorRefresh) still points at the same place.
		now := e.opts.Clock.Now()
		empty := len(page.Changes) == 0 && !page.Reset && !page.HasMore && cursor != "" &&
			cursor == e.appliedCursor && page.LastMutationID == e.appliedLMID &&
			now.Sub(e.appliedAt) < cursorRefresh && !now.Before(e.appliedAt)
		if !empty {
			if err := e.store.ApplyPull(ctx, page); err != nil {
				return fmt.Errorf("apply pull: %w", err)
			}
			e.appliedCursor, e.appliedLMID, e.appliedAt = page.Cursor, page.LastMutationID, now
		}
		if pages == 0 {
			pullStart = start
		}
		pages++
		changes += len(page.Changes)
		e.count(func(s *Stats) { s.PullPages++ })
		if !page.HasMore && changes > 0 {
			// One sync_log line per pull phase (each write is an fsync),
			// written when the cycle ends (flushLog).
			e.cycleLog = append(e.cycleLog, LogEntry{At: e.opts.Clock.Now(), Kind: "pull", Status: 200,
				Duration: e.opts.Clock.Now().Sub(pullStart), Detail: fmt.Sprintf("%d pages, %d changes", pages, changes)})
		}
		if page.HasMore {
			crashpoint.Hit("pull.mid_apply")
			cursor = page.Cursor
			continue
		}
		if page.Checksum == nil {
			return nil
		}
		if changes == 0 && !page.Reset && e.verified != nil && *e.verified == *page.Checksum {
			return nil
		}
		e.verified = nil
		local, err := e.store.ShadowChecksum(ctx)
		if err != nil {
			return fmt.Errorf("checksum: %w", err)
		}
		if local == *page.Checksum {
			e.verified = &local
			return nil
		}
		if resynced {
			// Still different right after a full snapshot: the platform
			// changed in between; the next cycle checks again.
			e.log.Warn("checksum still differs after resync", "local", local.Hash, "platform", page.Checksum.Hash)
			return nil
		}
		e.log.Warn("checksum mismatch; full resync", "local_count", local.Count, "platform_count", page.Checksum.Count)
		if err := e.store.ClearCursor(ctx); err != nil {
			return err
		}
		e.appliedCursor = ""
		e.count(func(s *Stats) { s.Resyncs++ })
		resynced, cursor = true, ""
	}
}

// prefetch is one pull page being fetched by a helper goroutine.
type prefetch struct {
	cursor string
	cancel context.CancelFunc
	done   chan struct{}
	page   *streetdesk.PullResponse
	err    error
}

func (e *Engine) fetchAhead(ctx context.Context, cid, cursor string) *prefetch {
	ctx, cancel := context.WithCancel(ctx)
	p := &prefetch{cursor: cursor, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.page, p.err = e.client.Pull(ctx, cid, cursor, e.opts.PullLimit)
	}()
	return p
}

// result waits for the page.
func (p *prefetch) result() (*streetdesk.PullResponse, error) {
	<-p.done
	p.cancel()
	return p.page, p.err
}

// wait cancels an unused fetch and joins its goroutine (nil-safe).
func (p *prefetch) wait() {
	if p == nil {
		return
	}
	p.cancel()
	<-p.done
}

// downloads fetches others' photos for offline viewing.
func (e *Engine) downloads(ctx context.Context) error {
	if e.opts.Downloader == nil {
		return nil
	}
	ds, err := e.store.PendingDownloads(ctx, e.opts.DownloadBudget)
	if err != nil {
		return fmt.Errorf("pending downloads: %w", err)
	}
	for _, d := range ds {
		e.update(func(s *streetdesk.SyncStatus) {
			s.Activity = streetdesk.Msg(streetdesk.MsgSyncDownloading, "Name", short(d.SHA256))
		})
		body, mime, err := e.client.GetBlob(ctx, d.SHA256)
		if err != nil {
			if se := AsError(err); se != nil && se.Status == 404 {
				continue // not uploaded yet by its author
			} else if se != nil && se.Status >= 500 {
				// One photo the platform cannot serve must not make every
				// sync look failed: the others still come, and this one is
				// tried again next cycle.
				e.log.Warn("download refused by the platform", "sha256", d.SHA256, "status", se.Status)
				continue
			}
			return err
		}
		if mime == "" {
			mime = d.MIME
		}
		path, size, err := e.opts.Downloader(ctx, body, d.SHA256, mime)
		_ = body.Close()
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			e.log.Warn("download failed", "sha256", d.SHA256, "err", err)
			continue
		}
		if err := e.store.RegisterDownload(ctx, d.SHA256, path, size, mime); err != nil {
			return fmt.Errorf("register download: %w", err)
		}
	}
	return nil
}

func short(sha string) string {
	if len(sha) > 8 {
		return sha[:8]
	}
	return sha
}
