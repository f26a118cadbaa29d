package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// attentionView is the "needs attention" inbox: what the platform did not
// apply as asked, one plain sentence each, and what can be done about it.
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
	copy        *widget.Button
	addNote     *widget.Button
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
		a.list.Add(container.NewVBox(card.title, card.explanation, container.NewHBox(card.dismiss, card.copy, card.addNote), card.status, widget.NewSeparator()))
	}
}

func (a *attentionView) newCard(c streetdesk.Conflict) *conflictCard {
	k := &conflictCard{c: c}
	title := c.OrderID
	if c.OrderTitle != "" {
		title += " · " + c.OrderTitle
	}
	title += " · " + streetdesk.Operation(c.Name).Label(langCode()) + " · " + c.CreatedAt.In(streetdesk.ChinaTZ).Format("01-02 15:04")
	k.title = &widget.Label{Text: title, TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
	k.explanation = &widget.Label{Text: c.Explanation, Wrapping: fyne.TextWrapWord}
	k.status = &widget.Label{Importance: widget.SuccessImportance}
	k.status.Hide()
	k.dismiss = &widget.Button{Text: tr("attention.dismiss", "Got it"), OnTapped: func() { a.onDismiss(k) }}
	k.copy = &widget.Button{Text: tr("attention.copy", "Copy text"), OnTapped: func() { a.onCopy(k) }}
	k.addNote = &widget.Button{Text: tr("attention.addNote", "Add as a note"), OnTapped: func() { a.onAddNote(k) }}
	return k
}

func (a *attentionView) onDismiss(k *conflictCard) {
	if err := a.u.desk.DismissConflict(a.u.ctx, k.c.ID); err != nil {
		a.u.showError(err)
		return
	}
	a.reload()
	a.u.changed()
}

func conflictText(c streetdesk.Conflict) string {
	s := fmt.Sprintf("%s %s\n%s", c.OrderID, c.OrderTitle, c.Explanation)
	if c.Intent != "" {
		s += "\n" + c.Intent
	}
	return s
}

func (a *attentionView) onCopy(k *conflictCard) {
	a.u.copyText(conflictText(k.c))
	k.status.SetText(tr("attention.copied", "Copied."))
	k.status.Show()
}

// onAddNote keeps the explanation on the order as a survey note, so the
// record shows what happened.
func (a *attentionView) onAddNote(k *conflictCard) {
	if err := a.u.desk.AddNote(a.u.ctx, k.c.OrderID, k.c.Explanation); err != nil {
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
