package platform

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/streetdesk/streetdesk"
)

// Group commit. Every write transaction holds the writer's turn (on
// PostgreSQL a lock across every instance, so the change log's numbers
// follow commit order) from its first statement to its COMMIT, fsync
// included; under load pushes spend their time queueing for that turn, not
// doing their own work. So the pushes that arrive while a transaction is in
// flight on this instance wait for it together, and the first of them leads
// the next transaction for all: each push after the first runs in a
// savepoint of its own (a push refused as a whole — a key reused with
// another payload, a client of another user — is rolled back alone; the
// first, refused, ends the group with nothing in it), and one COMMIT and
// one fsync serve them all. No push is answered before that COMMIT: a push answered
// applied is durable, and one answered with an error left nothing behind.
//
// The per-client lock (lockClient) keeps a client out of a group twice;
// across instances, groups take the writer's turn one after the other as
// single pushes did.

// Bounds of a group: a group holds the writer's turn (every instance's
// writes wait) while it works, so it takes no more than this many pushes or
// mutations.
const (
	maxGroupPushes    = 32
	maxGroupMutations = 1000
)

// pushJob is one push on its way through a group.
type pushJob struct {
	ctx context.Context
	u   *streetdesk.User
	req *streetdesk.PushRequest
	pre *chainPrep // the action log's checks under way (nil without entries)

	resp    *streetdesk.PushResponse
	applied []streetdesk.Mutation
	err     error
	// ok: the push ran to its end in the transaction (its effects stand
	// or fall with the commit).
	ok bool
	// rerun: the job is in its second group, after the first one failed
	// for another push.
	rerun bool

	done chan struct{} // closed when answered
	lead chan struct{} // closed when the job is to lead the next group
}

// pushGroups queues the pushes waiting for the next group.
type pushGroups struct {
	mu      sync.Mutex
	leading bool // a group is being formed or committed
	waiting []*pushJob
}

// push runs one push, in a group with whatever other pushes come along
// while the one before is in flight.
func (s *Server) push(ctx context.Context, u *streetdesk.User, req *streetdesk.PushRequest, pre *chainPrep) (*streetdesk.PushResponse, []streetdesk.Mutation, error) {
	j := &pushJob{ctx: ctx, u: u, req: req, pre: pre, done: make(chan struct{}), lead: make(chan struct{})}
	g := &s.groups
	g.mu.Lock()
	lead := !g.leading
	if lead {
		g.leading = true
	} else {
		g.waiting = append(g.waiting, j)
	}
	g.mu.Unlock()
	for {
		if lead {
			s.leadGroup(j)
		}
		select {
		case <-j.done:
			return j.resp, j.applied, j.err
		case <-j.lead:
			// Nobody else holds j until it is queued again.
			j.lead, lead = make(chan struct{}), true
		}
	}
}

// take removes up to n pushes and m mutations from the queue (at least
// one push if any is waiting).
func (g *pushGroups) take(n, m int) []*pushJob {
	g.mu.Lock()
	defer g.mu.Unlock()
	var jobs []*pushJob
	for len(g.waiting) > 0 && len(jobs) < n {
		k := len(g.waiting[0].req.Mutations)
		if len(jobs) > 0 && k > m {
			break
		}
		jobs = append(jobs, g.waiting[0])
		g.waiting = g.waiting[1:]
		m -= k
	}
	return jobs
}

// handOver gives the lead to the first push waiting, after requeueing
// again (at the front, in order) the pushes to run once more.
func (g *pushGroups) handOver(again []*pushJob) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.waiting = append(again, g.waiting...)
	if len(g.waiting) == 0 {
		g.leading = false
		return
	}
	next := g.waiting[0]
	g.waiting = g.waiting[1:]
	close(next.lead)
}

// leadGroup runs first and the pushes that wait behind it in one
// transaction, answers them all and hands the lead on. A push that fails
// for a reason of its own (a pushError) is rolled back to its savepoint;
// any other failure (the database) loses the transaction: the push it
// happened in is answered with it, and the others are run once more in the
// next group (a second time, they are answered with the error).
func (s *Server) leadGroup(first *pushJob) {
	jobs := []*pushJob{first}
	var again []*pushJob
	defer func() {
		p := recover()
		for _, j := range jobs {
			if p != nil && (j.err == nil || j.ok) {
				j.err, j.resp, j.applied = fmt.Errorf("push: %v", p), nil, nil
			}
			if !j.requeued(again) {
				close(j.done)
			}
		}
		s.groups.handOver(again)
		if p != nil {
			panic(p)
		}
	}()
	t, err := s.begin(first.ctx)
	if err != nil {
		first.err = err
		return
	}
	defer t.Rollback()
	failed := s.pushStep(t, first, true)
	mutations := len(first.req.Mutations)
	for failed == nil && len(jobs) < maxGroupPushes && mutations < maxGroupMutations {
		more := s.groups.take(maxGroupPushes-len(jobs), maxGroupMutations-mutations)
		if len(more) == 0 {
			break
		}
		for _, j := range more {
			jobs = append(jobs, j)
			mutations += len(j.req.Mutations)
			if failed != nil {
				continue // answered below, or run again
			}
			if err := j.ctx.Err(); err != nil {
				j.err = err // the client went away before its push began
				continue
			}
			failed = s.pushStep(t, j, false)
		}
	}
	if failed != nil {
		for _, j := range jobs {
			switch {
			case j == failed || j.err != nil && !j.ok:
			case j.rerun:
				j.err, j.resp, j.applied = failed.err, nil, nil
			default:
				j.rerun, j.ok, j.resp, j.applied = true, false, nil, nil
				again = append(again, j)
			}
		}
		return
	}
	s.log.Debug("push group", "pushes", len(jobs), "mutations", mutations)
	if err := t.Commit(); err != nil {
		for _, j := range jobs {
			if j.ok {
				j.err, j.resp, j.applied = fmt.Errorf("commit push: %w", err), nil, nil
			}
		}
	}
}

// requeued reports whether j is to run again.
func (j *pushJob) requeued(again []*pushJob) bool {
	for _, a := range again {
		if a == j {
			return true
		}
	}
	return false
}

// pushStep runs j's push in t, in a savepoint of its own unless it is the
// group's first. It returns j when the transaction is lost (j.err says
// why); a push refused as a whole in a savepoint is rolled back to it,
// answered, and the transaction goes on.
//
// The group's first push (alone) runs without a savepoint: refused as a
// whole, it loses the transaction, which holds nothing else yet. A
// savepoint has SQLite copy every page the push then changes into a
// sub-journal first (~15 ms of a push of 1,000), and most groups hold one
// push.
func (s *Server) pushStep(t *tx, j *pushJob, alone bool) *pushJob {
	ctx := j.ctx
	t.now = s.now()
	if !alone {
		if err := t.Savepoint(ctx); err != nil {
			j.err = err
			return j
		}
	}
	var resp *streetdesk.PushResponse
	var applied []streetdesk.Mutation
	err := s.storeFault("push")
	if err == nil {
		resp, applied, err = s.pushIn(ctx, t, j.u, j.req, j.pre)
	}
	var pe *pushError
	if errors.As(err, &pe) && !alone {
		j.err = err
		if err := errors.Join(t.RollbackTo(ctx), t.Release(ctx)); err != nil {
			j.err = err
			return j
		}
		return nil
	}
	if err == nil && !alone {
		err = t.Release(ctx)
	}
	if err != nil {
		j.err = err
		return j
	}
	j.resp, j.applied, j.ok = resp, applied, true
	return nil
}
