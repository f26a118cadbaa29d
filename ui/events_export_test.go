package ui

import "fyne.io/fyne/v2/widget"

// EventLinks are the detail's buttons to an event's members or to a
// member's event.
func (u *UI) EventLinks() []*widget.Button {
	if !u.detail.event.Visible() {
		return nil
	}
	return u.detail.eventLinks
}

// EventReply is a member's line with its event's resolution (nil: none).
func (u *UI) EventReply() *widget.Label { return u.detail.eventReply }

// ProposeButton is the hotspot view's "propose an event" button (nil when
// not offered).
func (u *UI) ProposeButton() *widget.Button { return u.hot.propose }

// ProposedText says what became of the last proposal.
func (u *UI) ProposedText() string {
	if u.hot.proposed == nil {
		return ""
	}
	return u.hot.proposed.Text
}

// ProposeView is the open proposal dialog.
type ProposeView struct {
	Form
	Title, Reason *widget.Entry
	Department    *widget.Select
	Members       *widget.CheckGroup
}

func (u *UI) ProposeDialog() ProposeView {
	d := u.hot.proposal
	return ProposeView{Form: form(d.formDialog), Title: &d.title.Entry, Reason: &d.reason.Entry, Department: d.dept, Members: d.members}
}
