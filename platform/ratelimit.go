package platform

import (
	"sync"
	"time"
)

// rateLimit allows each key (a client address, an api_key) perMinute
// requests a minute, up to a minute's worth at once, as the generic cell
// rate algorithm does it: per key it keeps only the moment at which the
// key's bucket would be full again. It lives in the instance's memory:
// behind a load balancer each instance allows the rate on its own, which
// is what a limit against floods needs (the tracking page's guess limits,
// which must hold across instances, are in the database instead).
type rateLimit struct {
	mu    sync.Mutex
	every time.Duration // one request's share of the bucket
	burst time.Duration // the bucket: a minute
	now   func() time.Time
	full  map[string]time.Time // key → when its bucket is full again
	sweep int                  // prune the map once it holds this many keys
}

// rateLimitKeys is where the map of keys is first pruned of full buckets.
const rateLimitKeys = 10_000

// newRateLimit returns a limit of perMinute requests a minute per key, or
// nil (no limit) for perMinute ≤ 0.
func newRateLimit(perMinute int, now func() time.Time) *rateLimit {
	if perMinute <= 0 {
		return nil
	}
	return &rateLimit{every: time.Minute / time.Duration(perMinute), burst: time.Minute, now: now,
		full: map[string]time.Time{}, sweep: rateLimitKeys}
}

// allow takes one request of key's bucket: 0 when allowed, or how long to
// wait until it would be.
func (l *rateLimit) allow(key string) time.Duration {
	if l == nil {
		return 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	full := l.full[key]
	if full.Before(now) {
		full = now
	}
	if wait := full.Add(l.every).Sub(now) - l.burst; wait > 0 {
		return wait
	}
	l.full[key] = full.Add(l.every)
	if len(l.full) >= l.sweep {
		l.prune(now)
	}
	return 0
}

// prune forgets the keys whose bucket is full again (as good as new), and
// sets the next sweep at twice what is left, so pruning stays amortised.
func (l *rateLimit) prune(now time.Time) {
	for k, full := range l.full {
		if !full.After(now) {
			delete(l.full, k)
		}
	}
	l.sweep = max(rateLimitKeys, 2*len(l.full))
}
