package sync_test

import (
	"net/http"
	gosync "sync"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync"
)

func live(o *sync.Options) { o.LiveUpdates = true }

// TestLive_OldPlatformIsPolled: a platform without /v1/sync/wait (404) is
// asked once; the engine then syncs every Period as before.
func TestLive_OldPlatformIsPolled(t *testing.T) {
	r := newRig(t, withEngineOpts(live))
	r.start()
	r.waitFor("the long poll's 404", func(_ streetdesk.SyncStatus, st sync.Stats) bool { return st.WaitErrors == 1 })
	r.clock.AdvanceWhenArmed(t, time.Minute)
	r.cycles(2)
	r.clock.AdvanceWhenArmed(t, time.Minute)
	r.cycles(3)
	if n := r.rt.count("other"); n != 1 {
		t.Errorf("%d long polls after a 404, want 1", n)
	}
}

// TestLive_FailedPollBacksOffThenWakes: a long poll answered 503 is tried
// again after a backoff (not at once); one answered "changed" makes a sync
// at once; the next one is held until the engine stops, which ends it.
func TestLive_FailedPollBacksOffThenWakes(t *testing.T) {
	r := newRig(t, withEngineOpts(live))
	var mu gosync.Mutex
	polls := 0
	held := make(chan struct{})
	r.p.mu.Lock()
	r.p.handler = func(w http.ResponseWriter, req *http.Request) bool {
		if req.URL.Path != "/v1/sync/wait" {
			return false
		}
		mu.Lock()
		polls++
		n := polls
		mu.Unlock()
		switch n {
		case 1:
			w.Header().Set("Retry-After", "0")
			writeErr(w, 503, streetdesk.ErrBusy, "busy")
		case 2:
			writeJSON(w, 200, streetdesk.WaitResponse{Changed: true})
		default:
			if n == 3 {
				close(held)
			}
			<-req.Context().Done()
		}
		return true
	}
	r.p.mu.Unlock()
	r.start()
	r.waitFor("a failed poll", func(_ streetdesk.SyncStatus, st sync.Stats) bool { return st.WaitErrors == 1 })
	if st := r.eng.Stats(); st.Cycles != 1 {
		t.Errorf("a failed poll made a sync: %+v", st)
	}
	r.clock.AdvanceWhenArmed(t, time.Second) // the poll's backoff, well under the period
	r.waitFor("a sync woken by the poll", func(s streetdesk.SyncStatus, st sync.Stats) bool {
		return st.Wakes == 1 && st.Cycles == 2 && s.State == streetdesk.SyncIdle
	})
	<-held
	r.stop()
}
