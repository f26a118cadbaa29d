package ui

import (
	"context"
	"errors"
	"image/color"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// The team lead's board: each member's load,
// the orders waiting to be accepted, every team order with filters and
// search, reassignment (one, many, or "take it myself"), resolution review
// and the team's charts. Every write is local and queued: the board says
// "saved on this computer, waiting to sync" and never waits for the network.

// BoardOptions configure the lead's board.
type BoardOptions struct {
	Now   func() time.Time // injectable clock (countdowns, golden images); default time.Now
	Weeks int              // ISO weeks in the charts; default 8
	// ExportXLSX writes the team's statistics as a spreadsheet at path
	// (cmd/streetdesk plugs in its excelize writer); nil hides 导出 XLSX.
	ExportXLSX func(path string, s streetdesk.TeamStats) error
	// SaveFile asks where to save a file called suggested and calls cb with
	// the chosen path ("" when cancelled); default: Fyne's file-save dialog.
	SaveFile func(suggested string, cb func(path string))
	// WatchSync reloads the board whenever a sync finishes; call Close when
	// the board goes away.
	WatchSync bool
	// LoadOrders, when set, reads every team order at once for the
	// statistics (e.g. the local store's export); nil pages through
	// Desk.Queue. It runs off the main goroutine.
	LoadOrders func(ctx context.Context) ([]streetdesk.WorkOrder, error)
	// OpenOrder shows an order (a click on a row of the lists); nil: rows
	// only tick.
	OpenOrder func(id string)
	// ExportLedger writes the ledger (台账) of every order to path (.xlsx)
	// and says how many it wrote; nil hides 导出台账. It runs off the main
	// goroutine.
	ExportLedger func(ctx context.Context, path string) (int, error)
}

// defaultWeeks is how many ISO weeks the charts show.
const defaultWeeks = 8

// Board is the team lead's board. It is a widget: put it in a tab or a
// window; Refresh reloads it from the Desk.
type Board struct {
	widget.BaseWidget

	w    fyne.Window
	desk streetdesk.Desk
	opts BoardOptions
	cal  *streetdesk.Calendar

	ctx    context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup

	team    streetdesk.Team
	me      streetdesk.User
	stats   streetdesk.TeamStats
	rows    []streetdesk.MemberLoad // member table rows (+ unassigned when it has work)
	maxLoad float64
	gen     int // the latest statistics load; older results are dropped
	shown   int // the load whose statistics are on screen

	header    *widget.Label
	status    *widget.Label
	legend    *widget.Label // what the load figure means
	ledger    *widget.Button
	conflicts *fyne.Container
	members   *widget.List
	membHead  *memberRow
	loading   *widget.Label
	awaitHead *widget.Label
	awaiting  *orderPicker
	all       *orderPicker
	search    *deskEntry
	statusSel *widget.Select
	dueSel    *widget.Select
	memberSel *widget.Select
	sparks    []*sparkline
	strip     *fyne.Container
	evidence  *widget.Label // the team's photo-evidence tally
	tallied   int           // the statistics load whose evidence tally is on screen
	review    *reviewView
	charts    *chartsView
	tabs      *container.AppTabs
	tabTeam   *container.TabItem
	tabAll    *container.TabItem
	tabReview *container.TabItem
	tabCharts *container.TabItem
	content   fyne.CanvasObject

	filterStatuses []streetdesk.Status
	reassignPop    *reassignForm
	write          *boardWrite // the last write, whose message follows the sync
}

// NewBoard builds the team lead's board for d with the default options (no
// XLSX export, no sync watcher). It is the entry point for a "team" tab.
func NewBoard(w fyne.Window, d streetdesk.Desk, now func() time.Time) fyne.CanvasObject {
	return NewBoardWith(w, d, BoardOptions{Now: now})
}

// NewBoardWith builds the team lead's board with opts.
func NewBoardWith(w fyne.Window, d streetdesk.Desk, opts BoardOptions) *Board {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Weeks <= 0 {
		opts.Weeks = defaultWeeks
	}
	b := &Board{w: w, desk: d, opts: opts, cal: streetdesk.DefaultCalendar(), me: d.Me()}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	if b.opts.SaveFile == nil {
		b.opts.SaveFile = b.saveDialog
	}
	b.build()
	b.ExtendBaseWidget(b)
	b.reload()
	if opts.WatchSync {
		b.watch()
	}
	return b
}

// CreateRenderer implements fyne.Widget.
func (b *Board) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(b.content) }

// Refresh reloads the board from the Desk (after a sync, say) and redraws it.
func (b *Board) Refresh() {
	if b.content == nil { // BaseWidget asks while being built
		return
	}
	b.reload()
	b.BaseWidget.Refresh()
}

// Close stops the sync watcher and a statistics load still running.
func (b *Board) Close() {
	b.cancel()
	b.bg.Wait()
}

// Stats returns the statistics the board shows now (zero until the first
// load has finished).
func (b *Board) Stats() streetdesk.TeamStats { return b.stats }

func (b *Board) now() time.Time { return b.opts.Now() }

func (b *Board) build() {
	b.header = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}}
	b.status = &widget.Label{Wrapping: fyne.TextWrapWord}
	b.conflicts = container.NewVBox()

	// Member table.
	b.membHead = newMemberRow(true)
	b.members = &widget.List{
		Length:     func() int { return len(b.rows) },
		CreateItem: func() fyne.CanvasObject { return newMemberRow(false) },
		UpdateItem: func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(b.rows) {
				o.(*memberRow).set(b.rows[i], b.maxLoad)
			}
		},
		OnSelected: func(i widget.ListItemID) {
			b.members.UnselectAll()
			if i < len(b.rows) {
				b.ShowMember(b.rows[i].Member.ID)
			}
		},
	}
	b.loading = &widget.Label{Text: tr("board.loading", "Counting the team's orders…"), Importance: widget.LowImportance}
	b.legend = &widget.Label{Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameCaptionText,
		Text: tr("board.loadLegend", "In progress: accepted orders being worked. Workload: every order not yet resolved, 1 for normal, 1.5 urgent, 2 critical, doubled when overdue; the longest bar is the team's largest.")}
	memberPane := container.NewBorder(container.NewVBox(b.membHead, widget.NewSeparator()), b.legend, nil, nil,
		container.NewStack(b.members, container.NewCenter(b.loading)))

	// Orders waiting to be accepted.
	b.awaiting = newOrderPicker(b, streetdesk.QueueFilter{Statuses: []streetdesk.Status{streetdesk.StatusDispatched}})
	b.awaitHead = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}}
	awaitPane := container.NewBorder(container.NewBorder(nil, nil, b.awaitHead, b.awaiting.allCheck), b.awaiting.bar, nil, nil, b.awaiting.list)

	split := container.NewHSplit(memberPane, awaitPane)
	split.Offset = 0.62
	b.strip = container.NewHBox()
	for _, k := range rateKinds {
		s := newSparkline(k.label(), func() { b.tabs.Select(b.tabCharts) })
		b.sparks = append(b.sparks, s)
		b.strip.Add(s)
	}
	b.evidence = &widget.Label{SizeName: theme.SizeNameCaptionText}
	b.strip.Add(container.NewCenter(b.evidence))
	overview := container.NewBorder(b.conflicts, container.NewVBox(widget.NewSeparator(), b.strip), nil, nil, split)

	// Every team order.
	b.all = newOrderPicker(b, streetdesk.QueueFilter{})
	b.search = newDeskEntry(&deskEntry{Entry: widget.Entry{PlaceHolder: tr("board.search", "Search the team's orders, addresses, notes…"),
		ActionItem: widget.NewIcon(theme.SearchIcon())}})
	b.search.OnChanged = func(string) { b.onAllFilter() }
	// Esc clears the search, ↓ and Enter go to the results.
	b.search.onEsc = func() {
		if b.search.Text != "" {
			b.search.SetText("")
			return
		}
		b.all.focus()
	}
	b.search.onDown = func() bool { b.all.focus(); return true }
	b.search.OnSubmitted = func(string) { b.all.focus() }
	b.ledger = &widget.Button{Text: tr("board.exportLedger", "Export ledger"), Icon: theme.DocumentSaveIcon(), OnTapped: b.onExportLedger}
	if b.opts.ExportLedger == nil {
		b.ledger.Hide()
	}
	b.filterStatuses = []streetdesk.Status{streetdesk.StatusDispatched, streetdesk.StatusAccepted, streetdesk.StatusReopened,
		streetdesk.StatusExtensionRequested, streetdesk.StatusReturnRequested, streetdesk.StatusAwaitingReview,
		streetdesk.StatusResolved, streetdesk.StatusClosed}
	opts := []string{tr("board.allStates", "All states")}
	for _, s := range b.filterStatuses {
		opts = append(opts, words().Name(s))
	}
	b.statusSel = &widget.Select{Options: opts, OnChanged: func(string) { b.onAllFilter() }}
	b.dueSel = &widget.Select{Options: []string{tr("board.anyDeadline", "Any deadline"), tr("board.overdue", "Overdue"),
		tr("board.dueSoon", "Due within 2 h"), tr("board.dueToday", "Due today")}, OnChanged: func(string) { b.onAllFilter() }}
	b.memberSel = &widget.Select{OnChanged: func(string) { b.onAllFilter() }}
	filters := container.NewGridWithColumns(4, b.statusSel, b.dueSel, b.memberSel, container.NewBorder(nil, nil, nil, b.all.allCheck, b.all.count))
	allPane := container.NewBorder(container.NewVBox(container.NewBorder(nil, nil, nil, b.ledger, b.search), filters, widget.NewSeparator()),
		b.all.bar, nil, nil, b.all.list)

	b.review = newReviewView(b)
	b.charts = newChartsView(b)

	b.tabTeam = container.NewTabItem(tr("board.tabTeam", "Team"), overview)
	b.tabAll = container.NewTabItem(tr("board.tabAll", "All orders"), allPane)
	b.tabReview = container.NewTabItem(tr("board.tabReview", "Awaiting review"), b.review.content)
	b.tabCharts = container.NewTabItem(tr("board.tabCharts", "Rates"), b.charts.content)
	b.tabs = container.NewAppTabs(b.tabTeam, b.tabAll, b.tabReview, b.tabCharts)
	// The review cards read each order's resolution: build them when shown.
	b.tabs.OnSelected = func(t *container.TabItem) {
		if t == b.tabReview {
			b.review.reload()
		}
	}
	b.content = container.NewBorder(container.NewVBox(container.NewBorder(nil, nil, b.header, nil, b.status), widget.NewSeparator()), nil, nil, nil, b.tabs)
	b.statusSel.SetSelectedIndex(0)
	b.dueSel.SetSelectedIndex(0)
}

// reload reads the roster and the lists at once (one page each) and starts
// reading every team order for the statistics in the background: with
// 20,000 orders in the local store that read takes about a second, and the
// lead can work the lists meanwhile.
func (b *Board) reload() {
	if t, err := b.desk.Team(b.ctx); err != nil {
		b.say(err)
	} else if t != nil {
		b.team = *t
	}
	b.header.SetText(tr("board.header", "{{.Team}} · {{.N}} people", map[string]any{"Team": b.team.Name, "N": len(b.team.Members)}))
	b.membHead.Refresh()

	names := []string{tr("board.allMembers", "All members")}
	for _, m := range b.team.Members {
		names = append(names, m.Name)
	}
	sel := max(b.memberSel.SelectedIndex(), 0)
	b.memberSel.Options = names
	if sel >= len(names) {
		sel = 0
	}
	b.memberSel.OnChanged, b.memberSel.Selected = nil, ""
	b.memberSel.SetSelectedIndex(sel)
	b.memberSel.OnChanged = func(string) { b.onAllFilter() }

	b.awaiting.reload()
	b.awaitHead.SetText(tr("board.awaiting", "Awaiting acceptance ({{.N}})", map[string]int{"N": b.awaiting.total}))
	b.all.reload()
	if b.tabs.Selected() == b.tabReview {
		b.review.reload()
	} else {
		b.review.recount()
	}
	b.tabReview.Text = tr("board.tabReviewN", "Awaiting review ({{.N}})", map[string]int{"N": b.review.count()})
	b.tabs.Refresh()
	b.showConflicts()
	b.showWrite()
	b.loadStats()
}

// loadStats computes the statistics off the main goroutine and shows them
// there; a newer reload supersedes an older one still running.
func (b *Board) loadStats() {
	b.gen++
	gen, members, now := b.gen, slices.Clone(b.team.Members), b.now()
	if len(b.rows) == 0 {
		b.loading.Show()
	}
	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		orders, err := b.loadOrders()
		if b.ctx.Err() != nil {
			return
		}
		stats := streetdesk.ComputeTeamStats(orders, members, now, b.opts.Weeks, b.cal)
		mainDo(func() {
			if gen != b.gen || b.ctx.Err() != nil {
				return
			}
			if err != nil {
				b.say(err)
			}
			b.showStats(stats)
		})
		// The photo checks of the period's resolutions come after: the
		// rates and loads do not wait for them.
		b.tallyEvidence(gen, stats)
	}()
}

// showStats puts new statistics on the member table, the sparklines and
// the charts.
func (b *Board) showStats(s streetdesk.TeamStats) {
	b.stats, b.shown = s, b.gen
	b.rows = slices.Clone(s.Members)
	if s.Unassigned.Open > 0 {
		u := s.Unassigned
		u.Member.Name = tr("board.unassigned", "(unassigned)")
		b.rows = append(b.rows, u)
	}
	b.maxLoad = 0
	for _, r := range b.rows {
		b.maxLoad = max(b.maxLoad, r.Workload)
	}
	b.loading.Hide()
	b.members.Refresh()
	for i, k := range rateKinds {
		b.sparks[i].set(k.weeks(s.Weeks))
	}
	b.strip.Refresh() // the sparklines grew: lay the strip out again
	b.charts.reload()
}

// loadOrders reads every team order: through opts.LoadOrders when given,
// else the team queue page by page.
func (b *Board) loadOrders() ([]streetdesk.WorkOrder, error) {
	if b.opts.LoadOrders != nil {
		return b.opts.LoadOrders(b.ctx)
	}
	f := streetdesk.QueueFilter{Limit: streetdesk.MaxPageSize, Now: b.now(), Sort: streetdesk.SortDispatched}
	var out []streetdesk.WorkOrder
	for {
		p, err := b.desk.Queue(b.ctx, f)
		if err != nil {
			return out, err
		}
		if out == nil {
			out = make([]streetdesk.WorkOrder, 0, p.Total)
		}
		for i := range p.Items {
			out = append(out, p.Items[i].Order)
		}
		f.Offset += len(p.Items)
		if len(p.Items) == 0 || f.Offset >= p.Total {
			return out, nil
		}
	}
}

// onAllFilter rebuilds the all-orders filter from the search and selects.
func (b *Board) onAllFilter() {
	if b.all == nil || b.memberSel == nil || b.dueSel == nil {
		return
	}
	f := streetdesk.QueueFilter{Text: strings.TrimSpace(b.search.Text)}
	if i := b.statusSel.SelectedIndex(); i > 0 {
		f.Statuses = []streetdesk.Status{b.filterStatuses[i-1]}
	}
	switch b.dueSel.SelectedIndex() {
	case 1:
		f.Overdue = true
	case 2:
		f.DueWithin = streetdesk.DueSoonWindow
	case 3:
		n := b.now().In(b.cal.Location())
		end := time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, b.cal.Location())
		f.DueWithin = end.Sub(n)
	}
	if i := b.memberSel.SelectedIndex(); i > 0 && i-1 < len(b.team.Members) {
		f.AssigneeID = b.team.Members[i-1].ID
	}
	b.all.filter = f
	b.all.reload()
}

// ShowMember opens the member's orders (a click on the member table).
func (b *Board) ShowMember(id string) {
	idx := 0
	for i, m := range b.team.Members {
		if m.ID == id {
			idx = i + 1
		}
	}
	b.memberSel.SetSelectedIndex(idx)
	b.tabs.Select(b.tabAll)
}

// say shows an error in plain words in the status line.
func (b *Board) say(err error) {
	b.write = nil
	b.status.Importance = widget.DangerImportance
	b.status.SetText(leadErrorText(err))
}

// leadErrorText is errorText with the lifecycle's refusals put in plain
// words: the order changed since the board was loaded (a sync, a
// caseworker's work) and nothing was saved.
func leadErrorText(err error) string {
	var te *streetdesk.TransitionError
	if errors.As(err, &te) {
		data := map[string]string{"Op": words().Name(te.Op), "State": words().Name(te.From)}
		if te.Code == streetdesk.EFORBIDDEN {
			return tr("board.forbidden", "You may not {{.Op}} an order that is {{.State}}. Nothing was saved.", data)
		}
		return tr("board.changed", "Cannot {{.Op}}: the order is now {{.State}} (it changed meanwhile). Nothing was saved.", data)
	}
	return errorText(err)
}

// boardWrite is the lead's last write: its orders and the two ways of
// saying where it stands.
type boardWrite struct {
	ids           []string
	pending, sent string
}

// saved tells the lead the change is kept here and on its way; the message
// follows the orders' real state on every reload, so it says "sent" once a
// sync has taken the change.
func (b *Board) saved(ids []string, pending, sent string) {
	b.write = &boardWrite{ids: ids, pending: pending, sent: sent}
	b.showWrite()
	if s := b.desk.Sync(); s != nil {
		s.SyncNow() // never blocks
	}
}

// showWrite words the last write as its orders stand now.
func (b *Board) showWrite() {
	w := b.write
	if w == nil {
		return
	}
	state := streetdesk.SyncSynced
	for _, id := range w.ids {
		d, err := b.desk.Order(b.ctx, id)
		if err != nil {
			continue // gone from this desk: nothing of it waits here
		}
		switch orderSaveState(d, b.me.ID) {
		case streetdesk.SyncPending:
			state = streetdesk.SyncPending
		case streetdesk.SyncConflict:
			if state == streetdesk.SyncSynced {
				state = streetdesk.SyncConflict
			}
		}
	}
	b.status.Importance = widget.SuccessImportance
	switch state {
	case streetdesk.SyncPending:
		b.status.SetText(w.pending)
	case streetdesk.SyncConflict:
		b.status.Importance = widget.WarningImportance
		b.status.SetText(tr("board.sentConflict", "⚠ Sent, but the platform did not take all of it: see Needs attention."))
	default:
		b.status.SetText(w.sent)
	}
}

// memberName returns a member's display name.
func (b *Board) memberName(id string) string {
	for _, m := range b.team.Members {
		if m.ID == id {
			return m.Name
		}
	}
	return id
}

// reassign moves ids to the member to; the write is local and queued.
func (b *Board) reassign(ids []string, to, reason string) error {
	if len(ids) == 0 {
		return streetdesk.Errorf(streetdesk.EINVALID, "%s", tr("board.chooseFirst", "Tick the orders to reassign first."))
	}
	if err := b.desk.Reassign(b.ctx, ids, to, strings.TrimSpace(reason)); err != nil {
		return err
	}
	b.awaiting.clearChecks()
	b.all.clearChecks()
	b.Refresh()
	data := map[string]any{"N": len(ids), "Name": b.memberName(to)}
	b.saved(ids, tr("board.reassigned", "Saved on this computer, waiting to sync: {{.N}} orders to {{.Name}}.", data),
		tr("board.reassignedSent", "Sent to the platform: {{.N}} orders to {{.Name}}.", data))
	return nil
}

// takeMine reassigns the ticked orders to the lead.
func (b *Board) takeMine(p *orderPicker) {
	if err := b.reassign(p.checkedIDs(), b.me.ID, tr("board.takeReason", "Taken by the team lead")); err != nil {
		b.say(err)
	}
}

// showConflicts lists reassignments the platform did not apply, one plain
// sentence each, with a button to dismiss.
func (b *Board) showConflicts() {
	b.conflicts.RemoveAll()
	cs, err := b.desk.Conflicts(b.ctx, false)
	if err != nil {
		return
	}
	for _, c := range cs {
		if c.Name != string(streetdesk.OpReassign) {
			continue
		}
		text := tr("board.notApplied", "⚠ Reassignment not applied: {{.Title}} — {{.Why}}", map[string]string{"Title": c.OrderTitle, "Why": c.Explanation})
		id := c.ID
		ok := &widget.Button{Text: tr("board.dismiss", "Got it"), Importance: widget.LowImportance, OnTapped: func() {
			if err := b.desk.DismissConflict(b.ctx, id); err != nil {
				b.say(err)
				return
			}
			b.showConflicts()
		}}
		b.conflicts.Add(container.NewBorder(nil, nil, nil, ok, &widget.Label{Text: text, Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance}))
	}
	b.conflicts.Refresh()
}

// watch reloads the board when a sync finishes.
func (b *Board) watch() {
	s := b.desk.Sync()
	if s == nil {
		return
	}
	// Take the channel before the status so no change slips in between.
	ch := s.Notify()
	last := s.Status()
	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		for {
			select {
			case <-b.ctx.Done():
				return
			case <-ch:
			}
			ch = s.Notify()
			st := s.Status()
			done := last.State == streetdesk.SyncSyncing && st.State != streetdesk.SyncSyncing || !st.LastSync.Equal(last.LastSync)
			last = st
			if done {
				mainDo(func() {
					if b.ctx.Err() == nil {
						b.Refresh()
					}
				})
			}
		}
	}()
}

// FocusSearch shows every team order with the keyboard in the search box
// (Ctrl+F on the board).
func (b *Board) FocusSearch() {
	b.tabs.Select(b.tabAll)
	b.w.Canvas().Focus(b.search)
}

// onExportLedger asks where to save the ledger (台账) and writes it there
// off the main goroutine.
func (b *Board) onExportLedger() {
	if b.opts.ExportLedger == nil {
		return
	}
	name := tr("board.ledgerFile", "ledger-{{.Team}}-{{.Date}}.xlsx", map[string]string{
		"Team": b.team.Name, "Date": b.now().In(b.cal.Location()).Format("2006-01-02")})
	b.opts.SaveFile(name, func(path string) {
		if path == "" {
			return
		}
		if !strings.HasSuffix(strings.ToLower(path), ".xlsx") {
			path += ".xlsx"
		}
		b.status.Importance = widget.MediumImportance
		b.status.SetText(tr("board.exporting", "Exporting the ledger…"))
		b.ledger.Disable()
		b.bg.Add(1)
		go func() {
			defer b.bg.Done()
			n, err := b.opts.ExportLedger(b.ctx, path)
			mainDo(func() {
				b.ledger.Enable()
				if err != nil {
					b.status.Importance = widget.DangerImportance
					b.status.SetText(tr("chart.exportFailed", "Could not export: {{.Err}}", map[string]string{"Err": errorText(err)}))
					return
				}
				b.status.Importance = widget.SuccessImportance
				b.status.SetText(tr("board.ledgerExported", "Ledger of {{.N}} orders saved to {{.Path}}", map[string]any{"N": n, "Path": path}))
			})
		}()
	})
}

func (b *Board) saveDialog(suggested string, cb func(string)) {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			cb("")
			return
		}
		path := wc.URI().Path()
		_ = wc.Close() // the exporter writes the file itself
		cb(path)
	}, b.w)
	d.SetFileName(suggested)
	d.Show()
}

// orderPicker is a virtualized list of orders with a checkbox each, a
// "select all" box and the reassignment bar: 转派给…▾ and 我来处理.
type orderPicker struct {
	b       *Board
	filter  streetdesk.QueueFilter
	total   int
	pages   map[int][]streetdesk.QueueItem
	checked []string // ids in the order they were ticked

	list     *pickList
	allCheck *widget.Check
	count    *widget.Label
	to       *widget.Select
	take     *widget.Button
	chosen   *widget.Label
	bar      fyne.CanvasObject
}

const pickerPage = 200

func newOrderPicker(b *Board, f streetdesk.QueueFilter) *orderPicker {
	p := &orderPicker{b: b, filter: f, pages: map[int][]streetdesk.QueueItem{}}
	// A click (or Enter) on a row opens the order; its checkbox (or Space)
	// ticks it for reassignment.
	p.list = &pickList{}
	p.list.Length = func() int { return p.total }
	p.list.CreateItem = func() fyne.CanvasObject { return newPickRow() }
	p.list.UpdateItem = p.updateRow
	p.list.OnSelected = func(i widget.ListItemID) {
		p.list.UnselectAll()
		it, ok := p.item(i)
		if !ok {
			return
		}
		if p.list.space || b.opts.OpenOrder == nil {
			p.toggle(it.Order.ID, !p.isChecked(it.Order.ID))
			p.list.RefreshItem(i)
			return
		}
		b.opts.OpenOrder(it.Order.ID)
	}
	p.list.ExtendBaseWidget(p.list)
	p.allCheck = &widget.Check{Text: tr("board.selectAll", "All"), OnChanged: p.onAll}
	p.count = &widget.Label{Importance: widget.LowImportance}
	p.chosen = &widget.Label{Importance: widget.LowImportance}
	p.to = &widget.Select{PlaceHolder: tr("board.reassignTo", "Reassign to…"), OnChanged: p.onTo}
	p.take = &widget.Button{Text: tr("board.takeMine", "I'll take it"), Icon: theme.AccountIcon(), OnTapped: func() { b.takeMine(p) }}
	p.bar = container.NewBorder(widget.NewSeparator(), nil, p.chosen, nil, container.NewHBox(layoutSpacer(), p.to, p.take))
	return p
}

// pickList is a picker's list: Space ticks the row the keyboard is on,
// Enter opens it (as a click does).
type pickList struct {
	widget.List
	space bool // the selection being made comes from Space
}

func (l *pickList) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeySpace:
		l.space = true
		l.List.TypedKey(ev) // selects the focused row
		l.space = false
	case fyne.KeyReturn, fyne.KeyEnter:
		l.List.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	default:
		l.List.TypedKey(ev)
	}
}

// focus gives the list the keyboard.
func (p *orderPicker) focus() { p.b.w.Canvas().Focus(p.list) }

// layoutSpacer pushes the bar's buttons to the right.
func layoutSpacer() fyne.CanvasObject { return &canvas.Rectangle{FillColor: color.Transparent} }

func (p *orderPicker) reload() {
	p.pages = map[int][]streetdesk.QueueItem{}
	f := p.filter
	f.Limit, f.Now = pickerPage, p.b.now()
	pg, err := p.b.desk.Queue(p.b.ctx, f)
	if err != nil {
		p.total = 0
		p.count.SetText(errorText(err))
	} else {
		p.total = pg.Total
		p.pages[0] = pg.Items
		p.count.SetText(tr("board.count", "{{.N}} orders", map[string]int{"N": pg.Total}))
	}
	// Member choices follow the roster; the lead is on it too.
	var names []string
	for _, m := range p.b.team.Members {
		names = append(names, m.Name)
	}
	p.to.Options = names
	p.to.ClearSelected()
	p.updateChosen()
	p.list.Refresh()
}

func (p *orderPicker) item(i int) (streetdesk.QueueItem, bool) {
	pi := i / pickerPage
	page, ok := p.pages[pi]
	if !ok {
		f := p.filter
		f.Offset, f.Limit, f.Now = pi*pickerPage, pickerPage, p.b.now()
		pg, err := p.b.desk.Queue(p.b.ctx, f)
		if err != nil {
			return streetdesk.QueueItem{}, false
		}
		page = pg.Items
		p.pages[pi] = page
	}
	if j := i % pickerPage; j < len(page) {
		return page[j], true
	}
	return streetdesk.QueueItem{}, false
}

func (p *orderPicker) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	r := o.(*pickRow)
	it, ok := p.item(i)
	if !ok {
		r.clear()
		return
	}
	id := it.Order.ID
	r.check.OnChanged = nil
	r.check.SetChecked(p.isChecked(id))
	r.check.OnChanged = func(on bool) { p.toggle(id, on) }
	name := ""
	if it.Order.AssigneeID != "" {
		name = p.b.memberName(it.Order.AssigneeID)
	}
	r.set(it, p.b.now(), p.b.cal, name)
}

func (p *orderPicker) isChecked(id string) bool { return slices.Contains(p.checked, id) }

func (p *orderPicker) toggle(id string, on bool) {
	i := slices.Index(p.checked, id)
	switch {
	case on && i < 0:
		p.checked = append(p.checked, id)
	case !on && i >= 0:
		p.checked = slices.Delete(p.checked, i, i+1)
	}
	p.updateChosen()
}

// onAll ticks or clears every order of the current filter.
func (p *orderPicker) onAll(on bool) {
	if !on {
		p.checked = nil
	} else {
		for i := 0; i < p.total; i++ {
			if it, ok := p.item(i); ok && !p.isChecked(it.Order.ID) {
				p.checked = append(p.checked, it.Order.ID)
			}
		}
	}
	p.updateChosen()
	p.list.Refresh()
}

func (p *orderPicker) checkedIDs() []string { return slices.Clone(p.checked) }

func (p *orderPicker) clearChecks() {
	p.checked = nil
	p.allCheck.OnChanged = nil
	p.allCheck.SetChecked(false)
	p.allCheck.OnChanged = p.onAll
	p.updateChosen()
}

func (p *orderPicker) updateChosen() {
	n := len(p.checked)
	if n == 0 {
		p.chosen.SetText(tr("board.noneChosen", "Tick orders to reassign them"))
	} else {
		p.chosen.SetText(tr("board.chosen", "{{.N}} chosen", map[string]int{"N": n}))
	}
}

// onTo asks for a reason, then reassigns the ticked orders to the member.
func (p *orderPicker) onTo(name string) {
	if name == "" {
		return
	}
	idx := p.to.SelectedIndex()
	p.to.OnChanged = nil
	p.to.ClearSelected()
	p.to.OnChanged = p.onTo
	if idx < 0 || idx >= len(p.b.team.Members) {
		return
	}
	ids := p.checkedIDs()
	if len(ids) == 0 {
		p.b.say(streetdesk.Errorf(streetdesk.EINVALID, "%s", tr("board.chooseFirst", "Tick the orders to reassign first.")))
		return
	}
	p.b.showReassignForm(ids, p.b.team.Members[idx])
}

// reassignForm asks for the reason of a reassignment.
type reassignForm struct {
	pop     *widget.PopUp
	reason  *deskEntry
	confirm *widget.Button
	cancel  *widget.Button
	err     *widget.Label
}

func (b *Board) showReassignForm(ids []string, to streetdesk.User) {
	f := &reassignForm{err: &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}}
	f.reason = newDeskEntry(&deskEntry{Entry: widget.Entry{PlaceHolder: tr("board.reasonHint", "Reason (optional), e.g. closer to the site")}})
	title := tr("board.reassignTitle", "Reassign {{.N}} orders to {{.Name}}", map[string]any{"N": len(ids), "Name": to.Name})
	f.cancel = &widget.Button{Text: tr("button.cancel", "Cancel"), OnTapped: func() { f.pop.Hide(); b.reassignPop = nil }}
	f.confirm = &widget.Button{Text: tr("board.reassign", "Reassign"), Importance: widget.HighImportance, OnTapped: func() {
		if err := b.reassign(ids, to.ID, f.reason.Text); err != nil {
			f.err.SetText(leadErrorText(err))
			return
		}
		f.pop.Hide()
		b.reassignPop = nil
	}}
	f.reason.onEsc, f.reason.onSave = f.cancel.OnTapped, f.confirm.OnTapped // Esc cancels, Enter reassigns
	body := container.NewVBox(&widget.Label{Text: title, TextStyle: fyne.TextStyle{Bold: true}}, f.reason, f.err,
		container.NewHBox(layoutSpacer(), f.cancel, f.confirm))
	f.pop = widget.NewModalPopUp(body, b.w.Canvas())
	f.pop.Resize(fyne.NewSize(440, 0))
	f.pop.Show()
	b.w.Canvas().Focus(f.reason)
	b.reassignPop = f
}

// pickRow is one order in a picker: checkbox, countdown, title, assignee
// and state.
type pickRow struct {
	widget.BaseWidget
	check     *widget.Check
	due       *canvas.Text
	title     *canvas.Text
	info      *canvas.Text
	fullTitle string // title holds it cut to the row with "…"
}

// pickDueW is the countdown column's width ("超时 12小时", "today 17:00").
const pickDueW = 100

func newPickRow() *pickRow {
	ts := theme.TextSize()
	r := &pickRow{
		check: &widget.Check{},
		due:   &canvas.Text{TextSize: ts, TextStyle: fyne.TextStyle{Bold: true}},
		title: &canvas.Text{TextSize: ts},
		info:  &canvas.Text{TextSize: ts - 1, Alignment: fyne.TextAlignTrailing},
	}
	r.ExtendBaseWidget(r)
	return r
}

func (r *pickRow) clear() {
	r.check.OnChanged = nil
	r.check.SetChecked(false)
	r.due.Text, r.title.Text, r.info.Text, r.fullTitle = "", "", "", ""
	r.Refresh()
}

func (r *pickRow) set(it streetdesk.QueueItem, now time.Time, cal *streetdesk.Calendar, assignee string) {
	lc := langCode()
	o := &it.Order
	risk := cal.RiskAt(o, now)
	r.due.Text = boardCountdown(o, now, cal, lc)
	r.due.Color = boardRiskColor(risk)
	r.fullTitle = o.Title
	r.title.Color = themeColor(theme.ColorNameForeground)
	info := []string{}
	if assignee != "" {
		info = append(info, assignee)
	}
	info = append(info, words().Name(o.Status))
	if it.Pending > 0 {
		info = append(info, tr("board.pending", "⟳ pending sync"))
	}
	r.info.Text = strings.Join(info, " · ")
	r.info.Color = themeColor(theme.ColorNamePlaceHolder)
	r.Refresh()
}

func (r *pickRow) CreateRenderer() fyne.WidgetRenderer { return &pickRowRenderer{r: r} }

type pickRowRenderer struct{ r *pickRow }

func (rr *pickRowRenderer) Objects() []fyne.CanvasObject {
	r := rr.r
	return []fyne.CanvasObject{r.check, r.due, r.title, r.info}
}

func (rr *pickRowRenderer) MinSize() fyne.Size {
	r := rr.r
	return fyne.NewSize(r.check.MinSize().Width+pickDueW+160, max(r.check.MinSize().Height, r.title.MinSize().Height))
}

func (rr *pickRowRenderer) Layout(s fyne.Size) {
	r := rr.r
	pad := theme.InnerPadding()
	cs := r.check.MinSize()
	r.check.Move(fyne.NewPos(0, (s.Height-cs.Height)/2))
	r.check.Resize(cs)
	th := r.title.MinSize().Height
	y := (s.Height - th) / 2
	x := cs.Width
	r.due.Move(fyne.NewPos(x, y))
	r.due.Resize(fyne.NewSize(pickDueW, th))
	x += pickDueW
	iw := min(r.info.MinSize().Width, max(s.Width-x-80, 0))
	r.info.Move(fyne.NewPos(s.Width-iw-pad, y))
	r.info.Resize(fyne.NewSize(iw, th))
	tw := max(s.Width-x-iw-2*pad, 0)
	// canvas.Text does not clip: shorten a title that would run into the info.
	r.title.Text = ellipsize(r.fullTitle, r.title.TextSize, r.title.TextStyle, tw)
	r.title.Move(fyne.NewPos(x, y))
	r.title.Resize(fyne.NewSize(tw, th))
}

func (rr *pickRowRenderer) Refresh() {
	rr.Layout(rr.r.Size())
	for _, o := range rr.Objects() {
		o.Refresh()
	}
}

func (rr *pickRowRenderer) Destroy() {}

// boardCountdown is "超时 2小时", "今天 17:00" or "剩余 3天".
func boardCountdown(o *streetdesk.WorkOrder, now time.Time, cal *streetdesk.Calendar, lc string) string {
	d := o.CurrentDeadline()
	if d.IsZero() {
		return ""
	}
	if cal.RiskAt(o, now) == streetdesk.RiskDueToday {
		return tr("board.today", "today {{.T}}", map[string]string{"T": d.In(cal.Location()).Format("15:04")})
	}
	return streetdesk.FormatRemaining(d, now, lc)
}

func boardRiskColor(r streetdesk.Risk) color.Color {
	switch r {
	case streetdesk.RiskOverdue:
		return themeColor(theme.ColorNameError)
	case streetdesk.RiskDueSoon, streetdesk.RiskDueToday:
		return themeColor(colorAmber)
	}
	return themeColor(theme.ColorNameForeground)
}

// memberRow is one line of the member table: name, in progress, due today,
// overdue and a workload bar drawn with two rectangles. The header row
// carries the column names instead.
type memberRow struct {
	widget.BaseWidget
	header  bool
	name    *canvas.Text
	nums    [3]*canvas.Text
	track   *canvas.Rectangle
	fill    *canvas.Rectangle
	loadTxt *canvas.Text
	frac    float32 // workload / the team's largest
}

const (
	memberNameW = 110
	memberNumW  = 84
)

func newMemberRow(header bool) *memberRow {
	ts := theme.TextSize()
	r := &memberRow{header: header,
		name:    &canvas.Text{TextSize: ts},
		track:   &canvas.Rectangle{CornerRadius: 3},
		fill:    &canvas.Rectangle{CornerRadius: 3},
		loadTxt: &canvas.Text{TextSize: ts - 1},
	}
	for i := range r.nums {
		r.nums[i] = &canvas.Text{TextSize: ts, Alignment: fyne.TextAlignTrailing}
	}
	if header {
		r.name.TextStyle.Bold = true
		for i := range r.nums {
			r.nums[i].TextStyle.Bold = true
		}
		r.loadTxt.TextStyle.Bold = true
		r.loadTxt.TextSize = ts
	}
	r.ExtendBaseWidget(r)
	return r
}

func (r *memberRow) Refresh() {
	if r.header {
		fg := themeColor(theme.ColorNameForeground)
		r.name.Text, r.name.Color = tr("board.colMember", "Member"), fg
		for i, t := range []string{tr("board.colOpen", "In progress"), tr("board.colToday", "Due today"), tr("board.colOverdue", "Overdue")} {
			r.nums[i].Text, r.nums[i].Color = t, fg
		}
		r.loadTxt.Text, r.loadTxt.Color = tr("board.colLoad", "Workload"), fg
	}
	r.BaseWidget.Refresh()
}

func (r *memberRow) set(m streetdesk.MemberLoad, maxLoad float64) {
	fg := themeColor(theme.ColorNameForeground)
	r.name.Text, r.name.Color = m.Member.Name, fg
	for i, n := range []int{m.InProgress, m.DueToday, m.Overdue} {
		r.nums[i].Text, r.nums[i].Color = strconv.Itoa(n), fg
	}
	if m.DueToday > 0 {
		r.nums[1].Color = themeColor(colorAmber)
	}
	if m.Overdue > 0 {
		r.nums[2].Color = themeColor(theme.ColorNameError)
	}
	r.track.FillColor = themeColor(theme.ColorNameInputBackground)
	r.fill.FillColor = themeColor(theme.ColorNamePrimary)
	frac := float32(0)
	if maxLoad > 0 {
		frac = float32(m.Workload / maxLoad)
	}
	r.fill.Hidden = frac <= 0
	r.frac = frac
	r.loadTxt.Text = strconv.FormatFloat(m.Workload, 'f', -1, 64)
	r.loadTxt.Color = themeColor(theme.ColorNamePlaceHolder)
	r.BaseWidget.Refresh()
}

func (r *memberRow) CreateRenderer() fyne.WidgetRenderer { return &memberRowRenderer{r: r} }

type memberRowRenderer struct{ r *memberRow }

func (rr *memberRowRenderer) Objects() []fyne.CanvasObject {
	r := rr.r
	if r.header {
		return []fyne.CanvasObject{r.name, r.nums[0], r.nums[1], r.nums[2], r.loadTxt}
	}
	return []fyne.CanvasObject{r.name, r.nums[0], r.nums[1], r.nums[2], r.track, r.fill, r.loadTxt}
}

func (rr *memberRowRenderer) MinSize() fyne.Size {
	h := rr.r.name.MinSize().Height + theme.InnerPadding()
	return fyne.NewSize(memberNameW+3*memberNumW+120, h)
}

func (rr *memberRowRenderer) Layout(s fyne.Size) {
	r := rr.r
	pad := theme.InnerPadding()
	th := r.name.MinSize().Height
	y := (s.Height - th) / 2
	r.name.Move(fyne.NewPos(pad, y))
	r.name.Resize(fyne.NewSize(memberNameW, th))
	x := pad + memberNameW
	for _, t := range r.nums {
		t.Move(fyne.NewPos(x, y))
		t.Resize(fyne.NewSize(memberNumW, th))
		x += memberNumW
	}
	x += 2 * pad
	if r.header {
		r.loadTxt.Move(fyne.NewPos(x, y))
		r.loadTxt.Resize(r.loadTxt.MinSize())
		return
	}
	lw := float32(44)
	bw := max(s.Width-x-lw-2*pad, 10)
	bh := th * 0.7
	by := (s.Height - bh) / 2
	r.track.Move(fyne.NewPos(x, by))
	r.track.Resize(fyne.NewSize(bw, bh))
	r.fill.Move(fyne.NewPos(x, by))
	r.fill.Resize(fyne.NewSize(bw*r.frac, bh))
	r.loadTxt.Move(fyne.NewPos(x+bw+pad, y))
	r.loadTxt.Resize(fyne.NewSize(lw, th))
}

func (rr *memberRowRenderer) Refresh() {
	rr.Layout(rr.r.Size())
	for _, o := range rr.Objects() {
		o.Refresh()
	}
}

func (rr *memberRowRenderer) Destroy() {}
