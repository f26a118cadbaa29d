package ui

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// The lead's writes on the board: reassignment (one, many, or "take it
// myself") with its reason, the message that follows the write to the
// platform, and the reassignments the platform did not apply.

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
	b.Reload()
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
		text := tr("board.notApplied", "⚠ Reassignment not applied: {{.Title}} — {{.Why}}", map[string]string{"Title": c.OrderTitle, "Why": words().Say(c.Explanation)})
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
