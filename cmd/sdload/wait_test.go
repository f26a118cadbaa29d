package main

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk/platform"
)

// TestWaitMode: desks in --mode wait hold long polls, pull when one
// answers, see the centre's new orders through them and push as in poll
// mode; the check finds every mutation applied once. With --watch-pid (this
// process: the platform runs in it) the held waits are measured.
func TestWaitMode(t *testing.T) {
	defer func(d time.Duration) { heldSettle = d }(heldSettle)
	heldSettle = 200 * time.Millisecond
	url, db := startPlatform(t, 6, platform.Hooks{})
	rep, stderr, err := runLoad(t, "--target", url, "--users", "6", "--password", loadPassword, "--duration", "2s",
		"--mode", "wait", "--wait-timeout", "1s", "--push-every", "300ms", "--photo-every", "0",
		"--dispatch-every", "1s", "--report-every", "0", "--verify-db", db, "--watch-pid", strconv.Itoa(os.Getpid()))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if c := rep.Check; !c.OK || c.Mutations == 0 || c.AppliedOnce != c.Mutations {
		t.Fatalf("check: %+v", c)
	}
	for _, op := range []string{opWait, opPull, opPush, opVisible} {
		if s := rep.Ops[op]; s.Count == 0 {
			t.Errorf("%s: %+v", op, s)
		}
	}
	// All six were in flight before the reading; by the reading some may
	// have been answered (a push or a new order wakes them).
	if h := rep.Held; h == nil || h.Waits < 1 || h.Waits > 6 || h.HeldRSSMB <= 0 {
		t.Errorf("held waits: %+v\n%s", h, stderr)
	}
}
