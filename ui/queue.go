package ui

import (
	"context"
	"image/color"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// searchDelay coalesces typing before the search runs.
var searchDelay = 150 * time.Millisecond

// debouncer runs the search of a search box once typing pauses: each
// keystroke restarts the wait, and the search runs on the main goroutine
// searchDelay after the last one (at once when searchDelay is 0).
type debouncer struct{ timer *time.Timer }

// typed schedules run(text); a run whose text the box no longer shows (a
// later keystroke's timer is on its way) is skipped by current.
func (d *debouncer) typed(text string, current func() string, run func(string)) {
	if d.timer != nil {
		d.timer.Stop()
	}
	fire := func() {
		if current() == text {
			run(text)
		}
	}
	if searchDelay <= 0 {
		fire()
		return
	}
	d.timer = time.AfterFunc(searchDelay, func() { mainDo(fire) })
}

// queueView is the left pane: search, filters, sort and the virtualized list.
type queueView struct {
	queuePages // the filtered queue, read a page at a time
	cal        *streetdesk.Calendar
	onSelect   func(id string)

	selected string
	index    int // selected row, -1 when none

	search       *widget.Entry
	searchWidget *deskEntry // the entry as the canvas sees it (focus, shortcuts)
	statusSel    *widget.Select
	dueSel       *widget.Select
	catSel       *widget.Select
	placeSel     *widget.Select
	sortSel      *widget.Select
	count        *widget.Label
	sortRule     *widget.Label // the chosen sort's rule, in plain words
	indexing     *widget.Label // while the search index is being built (after a first sync)
	empty        *widget.Label // over the list when nothing matches: says so, and what search looks in
	list         *widget.List
	listWidget   *queueList // the list as the canvas sees it (focus, keys)
	content      fyne.CanvasObject

	statuses    []streetdesk.Status
	categories  [][2]string
	communities []string
	typing      debouncer
	// focusList puts the keyboard on the list (a click on a row, ↓ or
	// Enter in the search box), so ↑/↓ move the selection and do not open
	// the filter last used.
	focusList func()
	reloading bool // the list's selection is being restored, not chosen
	// assignee names an order's assignee on its row (a lead's queue holds
	// the whole team's); nil for a caseworker.
	assignee func(id string) string
}

func newQueueView(ctx context.Context, d streetdesk.Desk, now func() time.Time, cal *streetdesk.Calendar, onSelect func(string)) *queueView {
	q := &queueView{queuePages: newQueuePages(ctx, d, now, streetdesk.QueueFilter{}), cal: cal, onSelect: onSelect, index: -1}
	se := newDeskEntry(&deskEntry{Entry: widget.Entry{PlaceHolder: tr("queue.search", "Search number, citizen, address, notes…"),
		ActionItem: widget.NewIcon(theme.SearchIcon())}})
	se.OnChanged = q.onSearchChanged
	// Esc clears the search (and then leaves the box); ↓ and Enter go to
	// the results.
	se.onEsc = func() {
		if se.Text != "" {
			se.SetText("")
			return
		}
		q.toList(0)
	}
	se.onDown = func() bool { q.toList(1); return true }
	se.OnSubmitted = func(string) { q.toList(1) }
	q.search, q.searchWidget = &se.Entry, se

	q.statuses = []streetdesk.Status{streetdesk.StatusDispatched, streetdesk.StatusAccepted, streetdesk.StatusReopened,
		streetdesk.StatusExtensionRequested, streetdesk.StatusReturnRequested, streetdesk.StatusAwaitingReview, streetdesk.StatusResolved}
	opts := []string{tr("queue.allStatus", "All states")}
	for _, s := range q.statuses {
		opts = append(opts, words().Name(s))
	}
	q.statusSel = &widget.Select{Options: opts, OnChanged: func(string) { q.onFilter() }}

	q.dueSel = newDueSelect(q.onFilter)

	q.categories = streetdesk.SampleTaxonomy().Level1()
	opts = []string{tr("queue.allCategories", "All categories")}
	for _, c := range q.categories {
		opts = append(opts, c[1])
	}
	q.catSel = &widget.Select{Options: opts, OnChanged: func(string) { q.onFilter() }}

	q.communities = q.loadCommunities()
	opts = []string{tr("queue.allPlaces", "All communities")}
	q.placeSel = &widget.Select{Options: append(opts, q.communities...), OnChanged: func(string) { q.onFilter() }}

	q.sortSel = &widget.Select{Options: []string{tr("queue.sortRisk", "Sort: risk"), tr("queue.sortDispatched", "Sort: dispatch time"),
		tr("queue.sortUrgency", "Sort: urgency")}, OnChanged: func(string) { q.onFilter() }}
	for _, s := range []*widget.Select{q.statusSel, q.dueSel, q.catSel, q.placeSel, q.sortSel} {
		s.SetSelectedIndex(0)
	}
	q.count = &widget.Label{Importance: widget.LowImportance}
	l := &queueList{move: q.move}
	l.Length = func() int { return q.total }
	l.CreateItem = func() fyne.CanvasObject { return newQueueRow() }
	l.UpdateItem = q.updateRow
	l.OnSelected = q.onSelected
	l.ExtendBaseWidget(l)
	q.list, q.listWidget = &l.List, l
	filters := container.NewGridWithColumns(3, q.statusSel, q.dueSel, q.catSel, q.placeSel, q.sortSel, container.NewCenter(q.count))
	q.empty = &widget.Label{Alignment: fyne.TextAlignCenter, Wrapping: fyne.TextWrapWord}
	q.empty.Hide()
	q.sortRule = &widget.Label{Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameCaptionText}
	q.showSortRule()
	q.indexing = &widget.Label{Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameCaptionText, Importance: widget.WarningImportance}
	q.indexing.Hide()
	q.content = container.NewBorder(container.NewVBox(se, q.indexing, filters, q.sortRule, widget.NewSeparator()), nil, nil, nil,
		container.NewStack(l, container.NewPadded(container.NewVBox(q.empty))))
	q.reload()
	// Then only when the backlog starts or ends (UI.watchIndex): Counts
	// reads the whole queue's numbers, too much for every reload.
	q.showIndexing()
	return q
}

// loadCommunities lists the communities of the first few thousand orders
// for the place filter.
func (q *queueView) loadCommunities() []string {
	seen := map[string]bool{}
	var out []string
	for off := 0; off < 2000; off += streetdesk.MaxPageSize {
		p, err := q.desk.Queue(q.ctx, streetdesk.QueueFilter{Offset: off, Limit: streetdesk.MaxPageSize, Now: q.now()})
		if err != nil {
			break
		}
		for _, it := range p.Items {
			if c := it.Order.Location.Community; c != "" && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
		if off+streetdesk.MaxPageSize >= p.Total {
			break
		}
	}
	slices.Sort(out)
	return out
}

func (q *queueView) onSearchChanged(text string) {
	q.typing.typed(text, func() string { return q.search.Text }, func(text string) {
		q.filter.Text = strings.TrimSpace(text)
		q.refilter()
	})
}

// onFilter rebuilds the filter from the selects.
func (q *queueView) onFilter() {
	if q.sortSel == nil || q.list == nil { // still being built
		return
	}
	f := streetdesk.QueueFilter{Text: q.filter.Text}
	if i := q.statusSel.SelectedIndex(); i > 0 {
		f.Statuses = []streetdesk.Status{q.statuses[i-1]}
	}
	filterDue(&f, q.dueSel.SelectedIndex(), q.now(), q.cal.Location())
	if i := q.catSel.SelectedIndex(); i > 0 {
		f.CategoryCode = q.categories[i-1][0]
	}
	if i := q.placeSel.SelectedIndex(); i > 0 {
		f.Community = q.communities[i-1]
	}
	f.Sort = []streetdesk.SortOrder{streetdesk.SortRisk, streetdesk.SortDispatched, streetdesk.SortUrgency}[max(q.sortSel.SelectedIndex(), 0)]
	q.filter = f
	q.showSortRule()
	q.refilter()
}

// showIndexing says, under the search box, that the search index is being
// built (after a first sync the orders are listed at once and become
// searchable over the next seconds; a search meanwhile waits for it).
func (q *queueView) showIndexing() {
	if q.indexing == nil {
		return
	}
	was := q.indexing.Visible()
	c, err := q.desk.Counts(q.ctx)
	if err != nil || c.Indexing == 0 {
		q.indexing.Hide()
	} else {
		q.indexing.SetText(tr("queue.indexing", "Building the search index ({{.N}} orders): a search may take a few seconds until it is done.",
			map[string]int{"N": c.Indexing}))
		q.indexing.Show()
	}
	if q.indexing.Visible() != was {
		q.content.Refresh() // the line above the filters came or went: lay out again
	}
}

// showSortRule says how the list is ordered (streetdesk.CompareQueue).
func (q *queueView) showSortRule() {
	if q.sortRule == nil {
		return
	}
	switch q.filter.Sort {
	case streetdesk.SortDispatched:
		q.sortRule.SetText(tr("queue.ruleDispatched", "Newest dispatch first."))
	case streetdesk.SortUrgency:
		q.sortRule.SetText(tr("queue.ruleUrgency", "Critical, then urgent, then normal; within each, by deadline."))
	default:
		q.sortRule.SetText(tr("queue.ruleRisk", "By deadline: overdue first, then least time left; at the same deadline, critical and urgent first."))
	}
}

// refilter shows a new result set from its top.
func (q *queueView) refilter() {
	q.list.ScrollToTop()
	q.reload()
}

// reload drops the cached pages and re-reads the total; the list then asks
// for the rows it shows.
func (q *queueView) reload() {
	if q.list == nil {
		return
	}
	if err := q.queuePages.reload(); err != nil {
		q.count.SetText(errorText(err))
	} else {
		q.count.SetText(tr("queue.count", "{{.N}} orders", map[string]int{"N": q.total}))
	}
	q.showEmpty()
	// Keep the selection on the same order when it is still in the list.
	q.index = -1
	for i, it := range q.pages[0] {
		if it.Order.ID == q.selected {
			q.index = i
		}
	}
	q.reloading = true
	q.list.UnselectAll()
	if q.index >= 0 {
		q.list.Select(q.index)
	}
	q.reloading = false
	q.list.Refresh()
}

// showEmpty says why the list is empty: nothing matches the search (and
// what search looks in), nothing matches the filters, or no orders yet.
func (q *queueView) showEmpty() {
	if q.total > 0 || q.err != nil {
		q.empty.Hide()
		return
	}
	f := q.filter
	switch {
	case f.Text != "":
		q.empty.SetText(tr("queue.noMatch", "No order matches “{{.Q}}”.", map[string]string{"Q": f.Text}) + "\n" +
			tr("queue.searchHint", "Search by order number, citizen, phone digits, address, category or note."))
	case len(f.Statuses) > 0 || f.Overdue || f.DueWithin > 0 || f.CategoryCode != "" || f.Community != "":
		q.empty.SetText(tr("queue.noneFiltered", "No order matches these filters."))
	default:
		q.empty.SetText(tr("queue.noneYet", "No orders yet: new orders appear here after a sync."))
	}
	q.empty.Show()
}

// toList moves the keyboard to the list; delta > 0 also selects the first
// row when none is.
func (q *queueView) toList(delta int) {
	if q.focusList != nil {
		q.focusList()
	}
	if delta > 0 && q.index < 0 {
		q.move(1)
	}
}

func (q *queueView) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	it, ok := q.item(i)
	r := o.(*queueRow)
	if !ok {
		r.clear()
		return
	}
	who := ""
	if q.assignee != nil && it.Order.AssigneeID != "" {
		who = q.assignee(it.Order.AssigneeID)
	}
	r.set(it, q.now(), q.cal, who)
}

// selectID selects order id when it is on the first page of the list and
// reports whether it was.
func (q *queueView) selectID(id string) bool {
	for i, it := range q.pages[0] {
		if it.Order.ID == id {
			q.list.Select(i)
			q.list.ScrollTo(i)
			return true
		}
	}
	return false
}

func (q *queueView) onSelected(i widget.ListItemID) {
	it, ok := q.item(i)
	if !ok {
		return
	}
	if !q.reloading && q.focusList != nil {
		q.focusList()
	}
	q.index = i
	if it.Order.ID == q.selected {
		return
	}
	q.selected = it.Order.ID
	q.onSelect(it.Order.ID)
}

// move selects the row delta rows down (up when negative) from the
// selected one (arrow and page keys).
func (q *queueView) move(delta int) {
	if q.total == 0 {
		return
	}
	i := min(max(q.index+delta, 0), q.total-1)
	if q.index < 0 {
		i = 0
	}
	q.list.Select(i)
	q.list.ScrollTo(i)
}

// queueRow is one row: a risk stripe, the countdown first, the title; then
// place, a state chip and badges.
type queueRow struct {
	widget.BaseWidget
	stripe   *canvas.Rectangle
	deadline *canvas.Text
	title    *canvas.Text
	place    *canvas.Text
	chipBg   *canvas.Rectangle
	chip     *canvas.Text
	badges   *canvas.Text
	risk     streetdesk.Risk
	alert    bool // badges in the error colour (督办, conflict)
	// The texts in full; the canvas texts hold them cut to the row's width
	// with "…" (canvas.Text does not clip).
	fullTitle, fullPlace, fullBadges string
}

func newQueueRow() *queueRow {
	ts := theme.TextSize()
	r := &queueRow{
		stripe:   &canvas.Rectangle{},
		deadline: &canvas.Text{TextSize: ts, TextStyle: fyne.TextStyle{Bold: true}},
		title:    &canvas.Text{TextSize: ts},
		place:    &canvas.Text{TextSize: ts - 1},
		chipBg:   &canvas.Rectangle{CornerRadius: 4},
		chip:     &canvas.Text{TextSize: ts - 2},
		badges:   &canvas.Text{TextSize: ts - 1},
	}
	r.ExtendBaseWidget(r)
	return r
}

func (r *queueRow) clear() {
	for _, t := range []*canvas.Text{r.deadline, r.title, r.place, r.chip, r.badges} {
		t.Text = ""
	}
	r.fullTitle, r.fullPlace, r.fullBadges = "", "", ""
	r.stripe.FillColor = color.Transparent
	r.chipBg.FillColor = color.Transparent
	r.Refresh()
}

// set shows it; who, when not empty, is its assignee (a lead's queue).
func (r *queueRow) set(it streetdesk.QueueItem, now time.Time, cal *streetdesk.Calendar, who string) {
	o := &it.Order
	r.risk = cal.RiskAt(o, now)
	r.alert = it.Conflicts > 0 || o.Supervised || (o.Reopened() && o.Status != streetdesk.StatusReopened) || o.Urgency == streetdesk.UrgencyCritical
	r.deadline.Text = countdown(o, now, cal)
	if r.deadline.Text == "" { // no running deadline: the state takes its place
		r.deadline.Text = words().Name(o.Status)
	}
	r.fullTitle = o.Title
	place := o.Location.Community
	if place == "" {
		place = o.Location.Address
	}
	if who != "" {
		place = strings.Join(nonEmpty(place, who), " · ")
	}
	r.fullPlace = place
	r.chip.Text = words().Name(o.Status)
	r.fullBadges = badges(it)
	r.Refresh()
}

// colorize applies the current theme's colours (also after a light/dark switch).
func (r *queueRow) colorize() {
	if r.deadline.Text == "" {
		return
	}
	col := riskColor(r.risk)
	r.stripe.FillColor = col
	if r.risk == streetdesk.RiskLater || r.risk == streetdesk.RiskNone {
		r.stripe.FillColor = color.Transparent
	}
	r.deadline.Color = col
	r.title.Color = themeColor(theme.ColorNameForeground)
	r.place.Color = themeColor(theme.ColorNamePlaceHolder)
	r.chip.Color = themeColor(theme.ColorNameForeground)
	r.chipBg.FillColor = themeColor(colorChip)
	r.badges.Color = themeColor(theme.ColorNamePrimary)
	if r.alert {
		r.badges.Color = themeColor(theme.ColorNameError)
	}
}

// badges are the row's markers: 大数据事件/并案, 特急/紧急, 督办, 重办, ⟳ 待同步, ⚠ 冲突.
func badges(it streetdesk.QueueItem) string {
	var b []string
	if e := eventBadge(&it.Order); e != "" {
		b = append(b, e)
	}
	if u := it.Order.Urgency; u == streetdesk.UrgencyUrgent || u == streetdesk.UrgencyCritical {
		b = append(b, words().Name(u))
	}
	if it.Order.Supervised {
		b = append(b, tr("badge.supervised", "supervised"))
	}
	if it.Order.Reopened() && it.Order.Status != streetdesk.StatusReopened { // the chip says it already
		b = append(b, tr("badge.reopened", "reopened"))
	}
	if it.Pending > 0 {
		b = append(b, tr("badge.pending", "⟳ pending sync"))
	}
	if it.Conflicts > 0 {
		b = append(b, tr("badge.conflict", "⚠ needs attention"))
	}
	if it.Revoked {
		b = append(b, tr("badge.revoked", "moved away"))
	}
	return strings.Join(b, " · ")
}

func (r *queueRow) CreateRenderer() fyne.WidgetRenderer {
	return &queueRowRenderer{r: r}
}

type queueRowRenderer struct{ r *queueRow }

func (rr *queueRowRenderer) Objects() []fyne.CanvasObject {
	r := rr.r
	return []fyne.CanvasObject{r.stripe, r.deadline, r.title, r.place, r.chipBg, r.chip, r.badges}
}

func (rr *queueRowRenderer) MinSize() fyne.Size {
	r := rr.r
	h := r.deadline.MinSize().Height + r.place.MinSize().Height + 3*theme.InnerPadding()/2
	return fyne.NewSize(200, h)
}

func (rr *queueRowRenderer) Layout(s fyne.Size) {
	r := rr.r
	pad := theme.InnerPadding() / 2
	r.stripe.Move(fyne.NewPos(0, pad))
	r.stripe.Resize(fyne.NewSize(4, s.Height-2*pad))
	x := float32(10)
	l1 := r.deadline.MinSize()
	r.deadline.Move(fyne.NewPos(x, pad))
	r.deadline.Resize(l1)
	tx := x + l1.Width + 2*pad
	tw := max(s.Width-tx-pad, 0)
	r.title.Text = ellipsize(r.fullTitle, r.title.TextSize, r.title.TextStyle, tw)
	r.title.Move(fyne.NewPos(tx, pad))
	r.title.Resize(fyne.NewSize(tw, l1.Height))
	y := pad + l1.Height + pad/2
	// The place gives way to the state chip, the badges to both.
	r.place.Text = ellipsize(r.fullPlace, r.place.TextSize, r.place.TextStyle, max(s.Width-x-r.chip.MinSize().Width-6*pad, 0)/2)
	ps := r.place.MinSize()
	r.place.Move(fyne.NewPos(x, y))
	r.place.Resize(ps)
	cs := r.chip.MinSize()
	cx := x + ps.Width + 2*pad
	r.chipBg.Move(fyne.NewPos(cx, y+1))
	r.chipBg.Resize(fyne.NewSize(cs.Width+2*pad, ps.Height-2))
	r.chip.Move(fyne.NewPos(cx+pad, y+(ps.Height-cs.Height)/2))
	r.chip.Resize(cs)
	bx := cx + cs.Width + 4*pad
	bw := max(s.Width-bx-pad, 0)
	r.badges.Text = ellipsize(r.fullBadges, r.badges.TextSize, r.badges.TextStyle, bw)
	r.badges.Move(fyne.NewPos(bx, y))
	r.badges.Resize(fyne.NewSize(bw, ps.Height))
}

func (rr *queueRowRenderer) Refresh() {
	rr.r.colorize()
	rr.Layout(rr.r.Size())
	for _, o := range rr.Objects() {
		o.Refresh()
	}
}

func (rr *queueRowRenderer) Destroy() {}

// queueList is the list with arrow keys that move the selection itself
// (Fyne's list only moves a focus ring and selects on Space); Enter goes
// on to the order's actions.
type queueList struct {
	widget.List
	move      func(delta int)
	onEnter   func()
	pageDelta func() int // rows per page for Page Up/Down
}

func (l *queueList) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyUp:
		l.move(-1)
	case fyne.KeyDown:
		l.move(1)
	case fyne.KeyPageUp, fyne.KeyPageDown:
		n := 10
		if l.pageDelta != nil {
			n = l.pageDelta()
		}
		if ev.Name == fyne.KeyPageUp {
			n = -n
		}
		l.move(n)
	case fyne.KeyHome:
		l.move(-1 << 30)
	case fyne.KeyEnd:
		l.move(1 << 30)
	case fyne.KeyReturn, fyne.KeyEnter:
		if l.onEnter != nil {
			l.onEnter()
		}
	}
}

// The selected row is where the keyboard is: Fyne's own focus ring, on a
// row of its own, would point elsewhere.
func (l *queueList) FocusGained() {}
func (l *queueList) FocusLost()   {}

// newDueSelect is the deadline filter of the queue and the board: the same
// choices in the same words (UI.md's glossary: 超时 / overdue).
func newDueSelect(onChanged func()) *widget.Select {
	return &widget.Select{Options: []string{tr("due.any", "Any deadline"), tr("due.overdue", "Overdue"),
		tr("due.soon", "Due within 2 h"), tr("due.today", "Due today")}, OnChanged: func(string) { onChanged() }}
}
