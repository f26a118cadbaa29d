package ui

import (
	"context"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
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
	// WatchSync re-reads the board whenever a sync finishes (a board on
	// its own; the main window's UI tells its board itself); call Close
	// when the board goes away.
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
// window. It reads the Desk when the data changes (Reload, Changed, a
// finished sync, the lead's own writes), not when it is drawn: Refresh
// only redraws what it has read.
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
	// typing debounces the search box as the queue's does.
	typing    debouncer
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
	stale          bool        // the Desk changed while the board was hidden: Show re-reads it
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

// Refresh redraws the board from what it has read. Fyne calls it on a
// theme change, when its tab is shown and when a container around it is
// refreshed (the sync bar does that when its height changes): it reads
// nothing from the Desk. Reload does.
func (b *Board) Refresh() {
	if b.content == nil { // BaseWidget asks while being built
		return
	}
	b.BaseWidget.Refresh()
}

// Reload re-reads the board from the Desk and redraws it. The board calls
// it after a sync (WatchSync) and after its own writes.
func (b *Board) Reload() {
	b.stale = false
	b.reload()
	b.BaseWidget.Refresh()
}

// Changed tells the board that the Desk's data changed (a sync, a write
// made elsewhere in the window): it re-reads at once when it is shown, or
// else when it is next shown.
func (b *Board) Changed() {
	if b.Visible() {
		b.Reload()
		return
	}
	b.stale = true
}

// Show shows the board (its tab was chosen), first re-reading what
// changed while it was hidden.
func (b *Board) Show() {
	b.BaseWidget.Show()
	if b.stale {
		b.Reload()
	}
}

// tick redraws the lists' countdowns as time passes, from the pages read.
func (b *Board) tick() {
	b.awaiting.list.Refresh()
	b.all.list.Refresh()
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
	// Each search reads the team's orders: run it once typing pauses.
	b.search.OnChanged = func(text string) {
		b.typing.typed(text, func() string { return b.search.Text }, func(string) { b.onAllFilter() })
	}
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
	b.dueSel = newDueSelect(b.onAllFilter)
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
		if t == b.tabReview && b.review.stale {
			b.review.reload()
		}
	}
	b.content = container.NewBorder(container.NewVBox(container.NewBorder(nil, nil, b.header, nil, b.status), widget.NewSeparator()), nil, nil, nil, b.tabs)
	b.statusSel.SetSelectedIndex(0)
	b.dueSel.SetSelectedIndex(0)
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
	filterDue(&f, b.dueSel.SelectedIndex(), b.now(), b.cal.Location())
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

// memberName returns a member's display name.
func (b *Board) memberName(id string) string {
	for _, m := range b.team.Members {
		if m.ID == id {
			return m.Name
		}
	}
	return id
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
