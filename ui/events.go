package ui

import (
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// Big-data event orders (大数据事件) on the desk: the queue marks them, an
// event's detail lists its member orders (并案) and a member's links to its
// event, each one click away; a lead proposes an event from a hotspot.

// eventBadge is the queue's and the detail's marker of an event order or of
// a member of one ("" for neither).
func eventBadge(o *streetdesk.WorkOrder) string {
	switch {
	case o.IsEvent():
		return tr("badge.event", "Big-data event")
	case o.EventID != "":
		return tr("badge.member", "In an event")
	}
	return ""
}

// maxMemberTitles bounds the member orders an event's detail reads to show
// their titles; the rest show their ids.
const maxMemberTitles = 50

// fillEvent lists an event order's members, or a member's event, as buttons
// that open the order; it hides itself for other orders.
func (v *detailView) fillEvent() {
	o := &v.det.Order
	v.event.RemoveAll()
	v.eventLinks, v.eventReply = v.eventLinks[:0], nil
	link := func(id, text string) {
		b := &widget.Button{Text: text, Importance: widget.LowImportance, Alignment: widget.ButtonAlignLeading,
			OnTapped: func() { v.u.openOrder(id) }}
		v.eventLinks = append(v.eventLinks, b)
		v.event.Add(b)
	}
	switch {
	case o.IsEvent():
		v.event.Add(&widget.Label{Text: tr("detail.members", "Member work orders ({{.N}})", map[string]int{"N": len(o.Members)}),
			TextStyle: fyne.TextStyle{Bold: true}})
		for i, id := range o.Members {
			text := id
			// The member's title when this desk holds it (a lead holds
			// the team's; others may not), for the first ones: each is
			// a read of the local store on the UI's goroutine.
			if d, err := v.u.desk.Order(v.u.ctx, id); i < maxMemberTitles && err == nil {
				text = joinNonEmpty(" · ", id, words().Name(d.Order.Status), d.Order.Title)
			}
			link(id, text)
		}
	case o.EventID != "":
		link(o.EventID, tr("detail.inEvent", "Part of big-data event {{.ID}}", map[string]string{"ID": o.EventID}))
		if er := o.EventResolution; er != nil && er.EventID == o.EventID {
			v.eventReply = &widget.Label{Wrapping: fyne.TextWrapWord, Text: tr("detail.eventReply",
				"The event was resolved ({{.O}}, {{.T}}). Its reply: {{.R}}", map[string]string{"O": words().Name(er.Outcome),
					"T": er.ResolvedAt.In(streetdesk.ChinaTZ).Format("01-02 15:04"), "R": er.Reply})}
			v.event.Add(v.eventReply)
		}
	default:
		v.event.Hide()
		return
	}
	v.event.Show()
}

// fillActions offers a lead the proposal of an event from the chosen
// hotspot.
func (v *hotspotView) fillActions() {
	v.actions.RemoveAll()
	v.propose = nil
	h := v.chosen()
	if h == nil || v.desk.Me().Role != streetdesk.RoleLead || v.u == nil {
		return
	}
	v.propose = &widget.Button{Text: tr("hotspots.propose", "Propose a big-data event…"), OnTapped: v.onPropose}
	v.proposed = &widget.Label{Importance: widget.SuccessImportance, Truncation: fyne.TextTruncateEllipsis}
	v.actions.Add(v.propose)
	v.actions.Add(v.proposed)
}

// proposeDialog is a lead's event proposal: title, suggested department
// from the duty list, reason and the member orders (all of the hotspot's,
// each can be left out).
type proposeDialog struct {
	*formDialog
	title   *deskEntry
	dept    *widget.Select
	reason  *deskEntry
	members *widget.CheckGroup
	ids     []string // the members' ids, in the CheckGroup's order
}

// departments are the responsible departments of the duty list, sorted,
// with first (the hotspot's) at the top.
func departments(first string) []string {
	var ds []string
	for _, it := range streetdesk.SampleTaxonomy().Items {
		if it.Department != "" && it.Department != first && !slices.Contains(ds, it.Department) {
			ds = append(ds, it.Department)
		}
	}
	slices.Sort(ds)
	if first != "" {
		ds = append([]string{first}, ds...)
	}
	return ds
}

func (v *hotspotView) onPropose() {
	h := v.chosen()
	if h == nil || v.u == nil {
		return
	}
	d := &proposeDialog{}
	place := joinNonEmpty(" ", h.Community, h.Address)
	d.title = newDeskEntry(&deskEntry{})
	d.title.SetText(strings.TrimSpace(joinNonEmpty(" ", place, h.Category.L3Name)))
	d.dept = widget.NewSelect(departments(h.Category.Department), nil)
	if len(d.dept.Options) > 0 {
		d.dept.SetSelectedIndex(0)
	}
	d.reason = newDeskEntry(&deskEntry{Entry: widget.Entry{MultiLine: true, Wrapping: fyne.TextWrapWord,
		PlaceHolder: tr("propose.reasonHint", "Why one fix at the source is needed")}})
	d.reason.SetMinRowsVisible(3)
	d.reason.SetText(tr("propose.reasonDefault", "{{.N}} work orders from {{.C}} citizens within {{.R}} in {{.D}} days: one fix at the source is needed.",
		map[string]string{"N": fmt.Sprint(h.Count), "C": fmt.Sprint(h.Citizens), "R": distanceText(v.q.RadiusM),
			"D": fmt.Sprint(int(v.q.Window.Hours() / 24))}))
	var opts []string
	for _, o := range h.Orders {
		d.ids = append(d.ids, o.ID)
		opts = append(opts, o.ID+"  "+o.Title)
	}
	d.members = widget.NewCheckGroup(opts, nil)
	d.members.SetSelected(opts)
	form := widget.NewForm(
		widget.NewFormItem(tr("propose.eventTitle", "Event title"), d.title),
		widget.NewFormItem(tr("propose.department", "Suggested department"), d.dept),
		widget.NewFormItem(tr("propose.reason", "Reason"), d.reason),
	)
	members := container.NewVScroll(d.members)
	members.SetMinSize(fyne.NewSize(0, 140))
	body := container.NewVBox(form, &widget.Label{Text: tr("propose.members", "Member work orders"), TextStyle: fyne.TextStyle{Bold: true}}, members)
	hid := h.ID
	d.formDialog = v.u.newFormDialog(tr("propose.head", "Propose a big-data event"), body, tr("propose.send", "Propose"), 620, func() error {
		var ids []string
		for i, o := range d.members.Options {
			if slices.Contains(d.members.Selected, o) {
				ids = append(ids, d.ids[i])
			}
		}
		switch {
		case strings.TrimSpace(d.title.Text) == "":
			return streetdesk.Errorf(streetdesk.EINVALID, "%s", tr("propose.needTitle", "Give the event a title."))
		case strings.TrimSpace(d.reason.Text) == "":
			return streetdesk.Errorf(streetdesk.EINVALID, "%s", tr("propose.needReason", "Say why one fix at the source is needed."))
		case len(ids) < streetdesk.MinEventMembers:
			return streetdesk.Errorf(streetdesk.EINVALID, "%s", tr("propose.needMembers", "Choose at least {{.N}} work orders.",
				map[string]int{"N": streetdesk.MinEventMembers}))
		}
		_, err := v.desk.ProposeEvent(v.ctx, streetdesk.EventInput{Title: d.title.Text, Reason: d.reason.Text, Department: d.dept.Selected,
			OrderIDs: ids, HotspotID: hid})
		if err == nil {
			v.proposed.SetText(tr("propose.saved", "Proposed: saved on this computer; the dispatcher decides after the next sync."))
		}
		return err
	}, nil)
	v.proposal = d
	v.u.w.Canvas().Focus(d.title)
}
