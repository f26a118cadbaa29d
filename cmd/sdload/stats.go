package main

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"net"
	"sort"
	"strconv"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/streetdesk/streetdesk/platform/centre"
	"github.com/streetdesk/streetdesk/sync"
)

// histogram counts durations in logarithmic buckets: 64 per power of two,
// so a percentile is off by at most 1/64 (1.6 %) of its value, in constant
// memory however long the run. It is safe for concurrent use.
type histogram struct {
	counts [histBuckets]atomic.Uint64
	n      atomic.Uint64
}

const (
	histSub     = 64 // buckets per power of two
	histBuckets = 64 * 40
)

func bucketOf(d time.Duration) int {
	v := uint64(max(d, 0))
	if v < histSub {
		return int(v)
	}
	e := bits.Len64(v) - 7 // keep the top 7 bits: 64…127
	i := (e+1)*histSub + int(v>>uint(e)) - histSub
	return min(i, histBuckets-1)
}

// bucketValue is the largest duration that falls into bucket i.
func bucketValue(i int) time.Duration {
	if i < histSub {
		return time.Duration(i)
	}
	e := i/histSub - 1
	m := uint64(i%histSub + histSub)
	return time.Duration((m+1)<<uint(e) - 1)
}

func (h *histogram) add(d time.Duration) {
	h.counts[bucketOf(d)].Add(1)
	h.n.Add(1)
}

// snapshot copies the counts (for windows: the difference of two snapshots).
func (h *histogram) snapshot() []uint64 {
	out := make([]uint64, histBuckets)
	for i := range h.counts {
		out[i] = h.counts[i].Load()
	}
	return out
}

// quantiles returns the durations below which the fractions qs of the
// counts fall (0 when there are none).
func quantiles(counts []uint64, qs ...float64) []time.Duration {
	var total uint64
	for _, c := range counts {
		total += c
	}
	out := make([]time.Duration, len(qs))
	if total == 0 {
		return out
	}
	for j, q := range qs {
		want := uint64(q*float64(total) + 0.5)
		want = max(want, 1)
		var cum uint64
		for i, c := range counts {
			cum += c
			if cum >= want {
				out[j] = bucketValue(i)
				break
			}
		}
	}
	return out
}

func subCounts(a, b []uint64) []uint64 {
	out := make([]uint64, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}

// Operations whose latency is measured.
const (
	opLogin    = "login"
	opPull     = "pull"
	opPush     = "push"
	opUpload   = "upload"
	opDispatch = "dispatch"
	// opVisible is from the centre's dispatch to the order's arrival on the
	// assignee's desk (the figure long polls are meant to shrink).
	opVisible = "dispatch→desk"
)

var ops = []string{opPull, opWait, opPush, opUpload, opDispatch, opVisible, opLogin}

// stats are the run's counters. Latencies and counts cover the run phase
// only (recording is off during setup and verification).
type stats struct {
	recording atomic.Bool
	hist      map[string]*histogram
	ok        map[string]*atomic.Int64 // successful requests per op

	mutations atomic.Int64 // mutations queued by desks
	resent    atomic.Int64 // mutations sent again after a failed push (run and drain)
	changes   atomic.Int64 // changes received by pulls

	// firstErr and lastErr are when the run's first and last failed
	// request ended (unix ns; 0: none): after a fault, how long desks saw
	// errors.
	firstErr, lastErr atomic.Int64

	mu      gosync.Mutex
	errs    map[string]int64 // "op kind" → count
	results map[string]int64 // "status" or "status CODE" → count
}

func newStats() *stats {
	s := &stats{hist: map[string]*histogram{}, ok: map[string]*atomic.Int64{}, errs: map[string]int64{}, results: map[string]int64{}}
	for _, op := range ops {
		s.hist[op] = &histogram{}
		s.ok[op] = &atomic.Int64{}
	}
	return s
}

// done records a finished request: its latency when it succeeded, its
// kind of error otherwise. A request cut short by the end of the run (ctx)
// is neither.
func (s *stats) done(ctx context.Context, op string, start time.Time, err error) {
	if !s.recording.Load() || err != nil && ctx.Err() != nil {
		return
	}
	if err == nil {
		s.hist[op].add(time.Since(start))
		s.ok[op].Add(1)
		return
	}
	now := time.Now().UnixNano()
	s.firstErr.CompareAndSwap(0, now)
	s.lastErr.Store(now)
	s.mu.Lock()
	s.errs[op+" "+errorKind(err)]++
	s.mu.Unlock()
}

// result counts a push result (during the run and the drain).
func (s *stats) result(status, code string) {
	k := status
	if code != "" {
		k += " " + code
	}
	s.mu.Lock()
	s.results[k]++
	s.mu.Unlock()
}

// errorKind names an error by what went wrong: the HTTP status and the
// platform's code, or the network failure.
func errorKind(err error) string {
	var se *sync.Error
	var ce *centre.Error
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &se):
		if se.Status == 0 {
			if se.Err != nil && (errors.Is(se.Err, context.DeadlineExceeded) || errors.As(se.Err, &ne) && ne.Timeout()) {
				return "timeout"
			}
			return se.Code
		}
		k := strconv.Itoa(se.Status)
		if se.Code != "" {
			k += " " + se.Code
		}
		return k
	case errors.As(err, &ce):
		return strconv.Itoa(ce.Status) + " " + ce.Body.Error.Code
	case errors.As(err, &ne):
		return "network"
	}
	return "other"
}

// counted is a map as sorted "key: n" pairs.
type counted struct {
	Kind  string `json:"kind"`
	Count int64  `json:"count"`
}

func sortedCounts(m map[string]int64) []counted {
	out := make([]counted, 0, len(m))
	for k, v := range m {
		out = append(out, counted{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.0fms", float64(d)/1e6)
}
