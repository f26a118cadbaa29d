package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync"
)

// TestReal_LiveUrgentOrderArrives: with live updates the desk holds a long
// poll on the real platform; an urgent order the centre dispatches reaches
// its queue at once, long before the next periodic sync (the desk's clock
// is fake and never moves, so nothing but the long poll can bring it).
// Stopping the engine ends the held poll on the platform.
func TestReal_LiveUrgentOrderArrives(t *testing.T) {
	e := newRealEnv(t)
	d := e.desk("", e.cw, sync.Options{LiveUpdates: true})
	d.start()
	d.waitCycle(0)
	heldWaits(t, e, 1)

	start := time.Now()
	o, err := e.srv.Dispatch(context.Background(), &e.dispatcher, streetdesk.DispatchRequest{
		Title: "燃气管道泄漏", Complaint: "桂园路3号楼下闻到明显燃气味，请立即处理。",
		Channel: streetdesk.ChannelHotline, CategoryL3: streetdesk.SampleTaxonomy().Items[0].L3Code,
		CitizenName: "李四", CitizenPhone: "13912345678", Urgency: streetdesk.UrgencyCritical,
		TeamID: "teamA", AssigneeID: e.cw.ID, Location: streetdesk.Location{Address: "桂园路3号", Lat: 22.54, Lng: 114.11},
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(30 * time.Second)
	for {
		ch := d.eng.Notify()
		if page, err := d.db.Queue(context.Background(), streetdesk.QueueFilter{}); err == nil && page.Total == 1 && page.Items[0].Order.ID == o.ID {
			break
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("the urgent order did not arrive: %+v %+v", d.eng.Status(), d.eng.Stats())
		}
	}
	t.Logf("dispatch to the desk's queue: %s", time.Since(start).Round(time.Millisecond))
	// The order is in the queue once its page is applied; the cycle ends
	// after that.
	if st := d.waitCycle(1); st.Wakes != 1 || st.Cycles != 2 {
		t.Errorf("want one wake and one sync after the first: %+v", st)
	}
	heldWaits(t, e, 1) // waiting again
	d.stop()
	heldWaits(t, e, 0)
	e.checkReal(t, d, e.cw)
}

// heldWaits waits until the platform holds n long polls.
func heldWaits(t *testing.T, e *realEnv, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for e.srv.Waiting() != n {
		if time.Now().After(deadline) {
			t.Fatalf("platform holds %d long polls, want %d", e.srv.Waiting(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
