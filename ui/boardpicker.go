package ui

import (
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

// orderPicker is a virtualized list of orders with a checkbox each, a
// "select all" box and the reassignment bar: 转派给…▾ and 我来处理.
type orderPicker struct {
	queuePages // the filtered team orders, read a page at a time
	b          *Board
	checked    []string // ids in the order they were ticked

	list     *pickList
	allCheck *widget.Check
	count    *widget.Label
	to       *widget.Select
	take     *widget.Button
	chosen   *widget.Label
	bar      fyne.CanvasObject
}

func newOrderPicker(b *Board, f streetdesk.QueueFilter) *orderPicker {
	p := &orderPicker{queuePages: newQueuePages(b.ctx, b.desk, b.now, f), b: b}
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
	if err := p.queuePages.reload(); err != nil {
		p.count.SetText(errorText(err))
	} else {
		p.count.SetText(tr("board.count", "{{.N}} orders", map[string]int{"N": p.total}))
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
	o := &it.Order
	r.due.Text = countdown(o, now, cal)
	r.due.Color = riskColor(cal.RiskAt(o, now))
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
