package ui_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/fakedesk"
	"github.com/streetdesk/streetdesk/ui"
)

// readCounter counts the Desk reads the board makes.
type readCounter struct {
	streetdesk.Desk
	n atomic.Int64
}

func (d *readCounter) reads() int64 { return d.n.Load() }

func (d *readCounter) Team(ctx context.Context) (*streetdesk.Team, error) {
	d.n.Add(1)
	return d.Desk.Team(ctx)
}

func (d *readCounter) Queue(ctx context.Context, f streetdesk.QueueFilter) (streetdesk.QueuePage, error) {
	d.n.Add(1)
	return d.Desk.Queue(ctx, f)
}

func (d *readCounter) Order(ctx context.Context, id string) (*streetdesk.OrderDetail, error) {
	d.n.Add(1)
	return d.Desk.Order(ctx, id)
}

func (d *readCounter) Conflicts(ctx context.Context, all bool) ([]streetdesk.Conflict, error) {
	d.n.Add(1)
	return d.Desk.Conflicts(ctx, all)
}

func (d *readCounter) ResolutionEvidence(ctx context.Context, since time.Time) ([]streetdesk.ResolutionEvidence, error) {
	d.n.Add(1)
	return d.Desk.ResolutionEvidence(ctx, since)
}

// The board reads the Desk when its data changes, not when it is drawn:
// its own Refresh, a refresh of the window around it (the sync bar's
// relayout), a theme change, the clock's tick and a status of the engine
// that brings nothing read nothing; a finished sync, the lead's own write
// and a change made elsewhere (once the board is shown) read it again.
func TestBoardReadsOnlyWhenDataChanges(t *testing.T) {
	e := setupBoard(t, enLocale)
	d := &readCounter{Desk: e.d}
	b := ui.NewBoardWith(e.w, d, ui.BoardOptions{Now: func() time.Time { return leadNow }, WatchSync: true})
	t.Cleanup(func() { b.Close(); ui.DrainMain() })
	tabs := container.NewAppTabs(container.NewTabItem("board", b), container.NewTabItem("orders", widget.NewLabel("orders")))
	e.w.SetContent(tabs)
	b.WaitStats(t)

	// What one re-read costs: roster, lists, review count, conflicts,
	// statistics and the evidence tally.
	r0 := d.reads()
	b.Reload()
	b.WaitStats(t)
	perReload := d.reads() - r0
	if perReload == 0 {
		t.Fatal("Reload read nothing")
	}

	r0 = d.reads()
	b.Refresh()
	tabs.Refresh()
	e.w.Content().Refresh()
	b.Tick()
	fyne.CurrentApp().Settings().SetTheme(leadLightTheme{ui.Theme()})
	ui.DrainMain()
	b.WaitStats(t)
	if got := d.reads() - r0; got != 0 {
		t.Errorf("redraws read the Desk %d times, want 0", got)
	}
	// The review cards are built when their tab is first shown after a
	// change, not each time it is shown.
	b.SelectTab(2)
	b.SelectTab(0)
	r0 = d.reads()
	b.SelectTab(2)
	b.SelectTab(0)
	if got := d.reads() - r0; got != 0 {
		t.Errorf("the review tab shown again: %d reads, want 0", got)
	}

	// A sync brings a new order: the statuses on the way (syncing) read
	// nothing, the finished sync reads once.
	o := leadOrder("SZ-NEW", "新派工单", "", streetdesk.StatusDispatched, leadNow.Add(72*time.Hour))
	o.Deadlines.AcceptBy = leadNow.Add(3 * time.Hour)
	e.d.AddOrder(o)
	r0 = d.reads()
	sy := e.d.Syncer()
	// As the engine publishes them: the syncing status keeps the last sync's time.
	sy.Set(streetdesk.SyncStatus{State: streetdesk.SyncSyncing, LastSync: sy.Status().LastSync})
	sy.Set(streetdesk.SyncStatus{State: streetdesk.SyncIdle, LastSync: leadNow})
	// The watcher may see the two statuses one by one: the syncing one
	// (nothing to read) can reach the main goroutine before the finished
	// one does, so run main-goroutine calls until the finished sync's.
	for d.reads() == r0 {
		ui.RunMain(t)
	}
	b.WaitStats(t)
	if got := d.reads() - r0; got != perReload {
		t.Errorf("a finished sync: %d reads, want one re-read (%d)", got, perReload)
	}
	if got := b.AwaitingTitle(); got != "Awaiting acceptance (5)" {
		t.Errorf("after the sync: %q", got)
	}

	// Changed while another tab is shown: nothing is read until the
	// board's tab is chosen again.
	tabs.SelectIndex(1)
	o.ID, o.Title = "SZ-NEW2", "又一新派工单"
	e.d.AddOrder(o)
	r0 = d.reads()
	b.Changed()
	b.Refresh()
	if got := d.reads() - r0; got != 0 {
		t.Errorf("Changed while hidden: %d reads, want 0", got)
	}
	tabs.SelectIndex(0)
	b.WaitStats(t)
	if got := d.reads() - r0; got != perReload {
		t.Errorf("shown again: %d reads, want one re-read (%d)", got, perReload)
	}
	if got := b.AwaitingTitle(); got != "Awaiting acceptance (6)" {
		t.Errorf("shown again: %q", got)
	}

	// The lead's own write re-reads at once.
	b.Awaiting().Tick(0)
	r0 = d.reads()
	test.Tap(b.Awaiting().Take())
	b.WaitStats(t)
	if d.reads() == r0 {
		t.Error("taking an order read nothing")
	}
	if got := b.AwaitingTitle(); got != "Awaiting acceptance (6)" { // still to be accepted, now the lead's
		t.Errorf("after taking it: %q", got)
	}
	if rows := b.MemberRows(); rows[0][4] != "2" { // the overdue one: counts twice
		t.Errorf("the lead's row after taking the overdue order: %v, want workload 2", rows[0])
	}
}

// In the main window the UI's one sync watcher tells the lead's board: a
// finished sync re-reads the board on screen; a change while the orders
// tab is shown is read when the board's tab is chosen again.
func TestLeadBoardFollowsTheUI(t *testing.T) {
	var d *fakedesk.Desk
	e := setup(t, enLocale, func(o *ui.Options, fo *fakedesk.Options) {
		fo.Me = leadUser
		d = fakedesk.New(*fo)
		o.Desk = d
	})
	b := e.u.Board()
	b.WaitStats(t)
	n := func() int {
		var k int
		if _, err := fmt.Sscanf(b.AwaitingTitle(), "Awaiting acceptance (%d)", &k); err != nil {
			t.Fatalf("awaiting title %q: %v", b.AwaitingTitle(), err)
		}
		return k
	}
	before := n()
	dispatch := func(id string) {
		o := leadOrder(id, "新派工单", "", streetdesk.StatusDispatched, leadNow.Add(72*time.Hour))
		o.TeamID, o.Deadlines.AcceptBy = leadUser.TeamID, leadNow.Add(3*time.Hour)
		d.AddOrder(o)
	}

	dispatch("SZ-NEW1")
	sy := d.Syncer()
	// As the engine publishes them: the syncing status keeps the last sync's time.
	sy.Set(streetdesk.SyncStatus{State: streetdesk.SyncSyncing, LastSync: sy.Status().LastSync})
	sy.Set(streetdesk.SyncStatus{State: streetdesk.SyncIdle, LastSync: leadNow})
	// As above: the syncing status's call may come first.
	for n() == before {
		ui.RunMain(t)
	}
	if got := n(); got != before+1 {
		t.Errorf("after a sync with the board shown: %d awaiting, want %d", got, before+1)
	}

	e.u.ShowOrdersTab()
	dispatch("SZ-NEW2")
	e.u.Refresh() // what the watcher does after a sync
	if got := n(); got != before+1 {
		t.Errorf("hidden board re-read at once: %d awaiting, want still %d", got, before+1)
	}
	e.u.ShowBoardTab()
	if got := n(); got != before+2 {
		t.Errorf("board tab chosen again: %d awaiting, want %d", got, before+2)
	}
}
