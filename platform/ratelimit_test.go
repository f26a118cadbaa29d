package platform

import (
	"strconv"
	"testing"
	"time"
)

// TestRateLimit: a minute's worth at once, then one request per share of
// the minute; keys are independent; full buckets are forgotten when the
// map grows, so a flood of addresses does not keep memory.
func TestRateLimit(t *testing.T) {
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	l := newRateLimit(6, func() time.Time { return now })
	for i := range 6 {
		if w := l.allow("a"); w != 0 {
			t.Fatalf("request %d refused (%s)", i+1, w)
		}
	}
	if w := l.allow("a"); w != 10*time.Second {
		t.Fatalf("7th: wait %s, want 10s", w)
	}
	if w := l.allow("b"); w != 0 {
		t.Fatalf("another key refused (%s)", w)
	}
	now = now.Add(9 * time.Second)
	if w := l.allow("a"); w != time.Second {
		t.Fatalf("after 9 s: wait %s, want 1s", w)
	}
	now = now.Add(time.Second)
	if w := l.allow("a"); w != 0 {
		t.Fatalf("after 10 s: refused (%s)", w)
	}
	if w := l.allow("a"); w == 0 {
		t.Fatal("a second request in the same share allowed")
	}
	if newRateLimit(0, nil).allow("x") != 0 || newRateLimit(-1, nil).allow("x") != 0 {
		t.Fatal("a limit that is off refused")
	}

	// A flood of one-off keys: the map is pruned of full buckets.
	for i := range 3 * rateLimitKeys {
		now = now.Add(time.Second) // each earlier key's bucket is full again 10 s later
		l.allow("flood-" + strconv.Itoa(i))
	}
	if n := len(l.full); n > rateLimitKeys {
		t.Fatalf("%d keys kept after a flood, want at most %d", n, rateLimitKeys)
	}
}
