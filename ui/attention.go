package ui

import (
	"encoding/json"
	"fmt"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// attentionView is the "needs attention" inbox: what the platform did not
// apply as asked, one plain sentence each, and only the actions that fit:
// open the order always; copy and keep as a note only what the user typed
// (a reply, a reason) and only while the order is still theirs to note on.
type attentionView struct {
	u     *UI
	pop   *widget.PopUp
	list  *fyne.Container
	items []*conflictCard
	empty *widget.Label
	close *widget.Button
	keys  *keyTrap // Esc closes
}

// conflictCard is one inbox entry with its actions.
type conflictCard struct {
	c           streetdesk.Conflict
	title       *widget.Label
	explanation *widget.Label
	dismiss     *widget.Button
	open        *widget.Button
	copy        *widget.Button // nil when the intent carried no text
	addNote     *widget.Button // nil when a note does not fit
	text        string         // what the user typed into the intent
	status      *widget.Label
}

func newAttentionView(u *UI) *attentionView {
	a := &attentionView{u: u}
	a.list = container.NewVBox()
	a.empty = &widget.Label{Text: tr("attention.empty", "Nothing needs your attention."), Importance: widget.LowImportance}
	a.close = &widget.Button{Text: tr("button.close", "Close"), OnTapped: func() { a.pop.Hide() }}
	a.keys = newKeyTrap(a.close.OnTapped, nil)
	head := &widget.Label{Text: tr("attention.title", "Needs attention"), TextStyle: fyne.TextStyle{Bold: true}}
	content := container.NewBorder(container.NewHBox(head, a.keys), container.NewHBox(a.close), nil, nil, container.NewVScroll(container.NewVBox(a.empty, a.list)))
	a.pop = widget.NewModalPopUp(content, u.w.Canvas())
	return a
}

func (a *attentionView) show() {
	a.reload()
	size := a.u.w.Canvas().Size()
	a.pop.Resize(fyne.NewSize(min(size.Width*0.9, 720), size.Height*0.8))
	a.pop.Show()
	a.u.w.Canvas().Focus(a.keys)
}

func (a *attentionView) reload() {
	a.list.RemoveAll()
	a.items = nil
	cs, err := a.u.desk.Conflicts(a.u.ctx, false)
	if err != nil {
		a.empty.SetText(errorText(err))
		a.empty.Show()
		return
	}
	if len(cs) == 0 {
		a.empty.SetText(tr("attention.empty", "Nothing needs your attention."))
		a.empty.Show()
	} else {
		a.empty.Hide()
	}
	for _, c := range cs {
		card := a.newCard(c)
		a.items = append(a.items, card)
		actions := container.NewHBox(card.dismiss, card.open)
		for _, b := range []*widget.Button{card.copy, card.addNote} {
			if b != nil {
				actions.Add(b)
			}
		}
		a.list.Add(container.NewVBox(card.title, card.explanation, actions, card.status, widget.NewSeparator()))
	}
}

func (a *attentionView) newCard(c streetdesk.Conflict) *conflictCard {
	k := &conflictCard{c: c}
	title := c.OrderID
	if c.OrderTitle != "" {
		title += " · " + c.OrderTitle
	}
	title += " · " + words().Name(streetdesk.Operation(c.Name)) + " · " + c.CreatedAt.In(streetdesk.ChinaTZ).Format("01-02 15:04")
	k.title = &widget.Label{Text: title, TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
	k.explanation = &widget.Label{Text: words().Say(c.Explanation), Wrapping: fyne.TextWrapWord}
	k.status = &widget.Label{Importance: widget.SuccessImportance}
	k.status.Hide()
	k.dismiss = &widget.Button{Text: tr("attention.dismiss", "Got it"), OnTapped: func() { a.onDismiss(k) }}
	k.open = &widget.Button{Text: tr("attention.open", "Open the order"), OnTapped: func() { a.onOpen(k) }}
	k.text = intentText(c)
	if k.text == "" {
		return k
	}
	k.copy = &widget.Button{Text: tr("attention.copy", "Copy text"), OnTapped: func() { a.onCopy(k) }}
	if a.noteFits(c) {
		k.addNote = &widget.Button{Text: tr("attention.addNote", "Add as a note"), OnTapped: func() { a.onAddNote(k) }}
	}
	return k
}

// intentText is what the user typed into the intent that was not applied:
// a reply, a reason, a comment ("" for an accept or an approval, which
// carry none, and for notes, contact records and photos, which are always
// kept).
func intentText(c streetdesk.Conflict) string {
	switch c.Name {
	case streetdesk.MutAddNote, streetdesk.MutRecordContact, streetdesk.MutAttachPhoto:
		return ""
	}
	args, err := streetdesk.DecodeArgs(c.Name, json.RawMessage(c.Intent))
	if err != nil {
		return ""
	}
	return words().ArgsText(args)
}

// noteFits reports whether keeping the lost text as a survey note makes
// sense: the order is still there and the user may note on it now (not
// once it was reassigned away or cancelled).
func (a *attentionView) noteFits(c streetdesk.Conflict) bool {
	switch c.Code {
	case streetdesk.CodeReassigned, streetdesk.CodeCancelled, streetdesk.CodeNotFound, streetdesk.CodeForbidden:
		return false
	}
	det, err := a.u.desk.Order(a.u.ctx, c.OrderID)
	return err == nil && !det.Revoked && slices.Contains(det.Allowed, streetdesk.OpAddNote)
}

// onOpen shows the order the entry is about.
func (a *attentionView) onOpen(k *conflictCard) {
	a.pop.Hide()
	a.u.openOrder(k.c.OrderID)
}

func (a *attentionView) onDismiss(k *conflictCard) {
	if err := a.u.desk.DismissConflict(a.u.ctx, k.c.ID); err != nil {
		a.u.showError(err)
		return
	}
	a.reload()
	a.u.changed()
}

// conflictText is what Copy puts on the clipboard: the order, what
// happened and what the user had typed.
func conflictText(k *conflictCard) string {
	return fmt.Sprintf("%s %s\n%s\n%s", k.c.OrderID, k.c.OrderTitle, words().Say(k.c.Explanation), k.text)
}

func (a *attentionView) onCopy(k *conflictCard) {
	a.u.copyText(conflictText(k))
	k.status.SetText(tr("attention.copied", "Copied."))
	k.status.Show()
}

// onAddNote keeps what the user typed on the order as a survey note, saying
// what it was, so the record has it although the intent was not applied.
func (a *attentionView) onAddNote(k *conflictCard) {
	body := tr("attention.noteBody", "{{.Op}} (not applied): {{.Text}}", map[string]string{
		"Op": words().Name(streetdesk.Operation(k.c.Name)), "Text": k.text})
	if err := a.u.desk.AddNote(a.u.ctx, k.c.OrderID, body); err != nil {
		k.status.Importance = widget.DangerImportance
		k.status.SetText(errorText(err))
		k.status.Show()
		return
	}
	k.status.Importance = widget.SuccessImportance
	k.status.SetText(tr("attention.noted", "Added to the order as a note; waiting to sync."))
	k.status.Show()
	k.addNote.Disable()
	a.u.changed()
}
