package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Accessors for the lead board's black-box tests.

// BoardPicker is a list of orders with checkboxes and the reassignment bar.
type BoardPicker = orderPicker

func (b *Board) Header() string               { return b.header.Text }
func (b *Board) StatusText() string           { return b.status.Text }
func (b *Board) AwaitingTitle() string        { return b.awaitHead.Text }
func (b *Board) Awaiting() *BoardPicker       { return b.awaiting }
func (b *Board) AllOrders() *BoardPicker      { return b.all }
func (b *Board) Search() *widget.Entry        { return &b.search.Entry }
func (b *Board) MemberFilter() *widget.Select { return b.memberSel }
func (b *Board) Tabs() *container.AppTabs     { return b.tabs }
func (b *Board) MemberList() *widget.List     { return b.members }
func (b *Board) ConflictCount() int           { return len(b.conflicts.Objects) }
func (b *Board) ChartStatus() string          { return b.charts.status.Text }
func (b *Board) ExportButton() *widget.Button { return b.charts.export }
func (b *Board) ChartScope() *widget.Select   { return b.charts.scope }
func (b *Board) SelectTab(i int)              { b.tabs.SelectIndex(i) }
func (b *Board) ReviewTabTitle() string       { return b.tabReview.Text }
func (b *Board) ReviewCount() int             { return len(b.review.cards) }

// MemberRows are the member table's cells: name, in progress, due today,
// overdue, workload.
func (b *Board) MemberRows() [][5]string {
	var out [][5]string
	for i := range b.rows {
		r := newMemberRow(false)
		r.set(b.rows[i], b.maxLoad)
		out = append(out, [5]string{r.name.Text, r.nums[0].Text, r.nums[1].Text, r.nums[2].Text, r.loadTxt.Text})
	}
	return out
}

// Sparklines are the strip's latest values.
func (b *Board) Sparklines() []string {
	var out []string
	for _, s := range b.sparks {
		out = append(out, s.Value())
	}
	return out
}

// WeeklyTexts are the value texts of the weekly charts: response,
// resolution, satisfaction, missed deadlines.
func (b *Board) WeeklyTexts() [][]string {
	var out [][]string
	for _, c := range b.charts.weekly {
		out = append(out, c.Texts())
	}
	return append(out, b.charts.overdue.Texts())
}

// MemberChartTexts are the per-member charts' texts.
func (b *Board) MemberChartTexts() [][]string {
	var out [][]string
	for _, c := range b.charts.members {
		out = append(out, c.Texts())
	}
	return out
}

// TapMemberBar taps member i's bar in the member charts.
func (b *Board) TapMemberBar(i int) { b.charts.onMember(i) }

// ReassignForm is the open reassignment dialog (nil when none).
func (b *Board) ReassignForm() (reason *widget.Entry, confirm *widget.Button, errText func() string) {
	f := b.reassignPop
	if f == nil {
		return nil, nil, nil
	}
	return &f.reason.Entry, f.confirm, func() string { return f.err.Text }
}

// ReviewCard returns card i's parts.
func (b *Board) ReviewCard(i int) (id, summary, reply string, comment *widget.Entry, approve, sendBack *widget.Button, errText func() string) {
	c := b.review.cards[i]
	return c.id, c.summary.Text, c.reply.Text, &c.comment.Entry, c.approve, c.sendBack, func() string { return c.err.Text }
}

// Picker accessors.
func (p *orderPicker) Total() int        { return p.total }
func (p *orderPicker) Checked() []string { return p.checkedIDs() }
func (p *orderPicker) Tick(i int) { // the row's checkbox
	if it, ok := p.item(i); ok {
		p.toggle(it.Order.ID, !p.isChecked(it.Order.ID))
	}
}
func (p *orderPicker) Click(i int)               { p.list.Select(i) } // a click on the row
func (p *orderPicker) Focusable() fyne.Focusable { return p.list }
func (p *orderPicker) To() *widget.Select        { return p.to }
func (p *orderPicker) Take() *widget.Button      { return p.take }
func (p *orderPicker) AllCheck() *widget.Check   { return p.allCheck }
func (p *orderPicker) ChosenText() string        { return p.chosen.Text }
func (p *orderPicker) RowID(i int) string {
	it, _ := p.item(i)
	return it.Order.ID
}

// WaitStats runs main-goroutine calls until the latest statistics load is
// on screen.
func (b *Board) WaitStats(t testing.TB) {
	t.Helper()
	for b.shown != b.gen || b.tallied != b.gen { // the evidence tally follows the statistics
		RunMain(t)
	}
}

// Legend is the member table's explanation of its figures.
func (b *Board) Legend() string { return b.legend.Text }

// LedgerButton is 导出台账 on the all-orders tab.
func (b *Board) LedgerButton() *widget.Button { return b.ledger }

// WeekLabels are the weekly charts' labels under the bars.
func (b *Board) WeekLabels() []string {
	var out []string
	for _, l := range b.charts.weekly[0].labels {
		out = append(out, l.Text)
	}
	return out
}

// ReviewCardDetail returns card i's complaint and how many photos it shows.
func (b *Board) ReviewCardDetail(i int) (complaint string, photos int) {
	c := b.review.cards[i]
	return c.complaint.Text, len(c.thumbs.Objects)
}

// TapReviewPhoto taps photo j of card i and returns the viewer it opened.
func (b *Board) TapReviewPhoto(i, j int) PhotoViewerView {
	c := b.review.cards[i]
	c.thumbs.Objects[j].(*thumb).Tapped(nil)
	return viewerView(c.viewer)
}

// ReviewViewer is card i's photo viewer as it is now.
func (b *Board) ReviewViewer(i int) PhotoViewerView { return viewerView(b.review.cards[i].viewer) }

// Window is the board's window.
func (b *Board) Window() fyne.Window { return b.w }

// ReviewCommentFocusable is card i's comment as the canvas focuses it.
func (b *Board) ReviewCommentFocusable(i int) fyne.Focusable { return b.review.cards[i].comment }

// Tick is the clock's minute: the lists' countdowns are drawn again.
func (b *Board) Tick() { b.tick() }
