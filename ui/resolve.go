package ui

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/ui/translation"
)

// resolveDialog is 办结: outcome, reply text with a live counter and a
// minimum length, chosen photos, a warning without an "after" photo and a
// summary of what will be sent. Submitting saves locally and queues; it
// never waits for the network.
type resolveDialog struct {
	*formDialog
	outcome *widget.RadioGroup
	reply   *deskEntry
	counter *widget.Label
	photos  []*widget.Check
	// publish holds, for each "after" photo, whether the citizen may see
	// it on the tracking page (nil for other photos); off by default.
	publish []*widget.Check
	warning *widget.Label
	summary *widget.Label
	refs    []streetdesk.LocalPhoto
	ev      *resolveEvidence
	// cite puts the member's event's resolution back into the reply (nil
	// unless the order is a member of a resolved event).
	cite *widget.Button
}

func (v *detailView) onResolve() {
	op := streetdesk.OpSubmitResolution
	if v.review {
		op = streetdesk.OpSubmitForReview
	}
	if !v.allowed(op) {
		return
	}
	d := &resolveDialog{refs: v.det.Photos, ev: v.loadResolveEvidence()}
	var outcomes []string
	for _, o := range streetdesk.Outcomes {
		outcomes = append(outcomes, words().Name(o))
	}
	d.outcome = &widget.RadioGroup{Options: outcomes, Selected: outcomes[0], Horizontal: true, Required: true, OnChanged: func(string) { d.update() }}
	d.reply = newDeskEntry(&deskEntry{Entry: widget.Entry{MultiLine: true, Wrapping: fyne.TextWrapWord, PlaceHolder: tr("resolve.replyHint", "The reply to the citizen: what was found, what was done, what happens next.")}})
	d.reply.SetMinRowsVisible(6)
	d.reply.OnChanged = func(string) { d.update() }
	replyHead := fyne.CanvasObject(&widget.Label{Text: tr("resolve.reply", "Reply"), TextStyle: fyne.TextStyle{Bold: true}})
	if er := v.det.Order.EventResolution; er != nil && er.EventID == v.det.Order.EventID {
		// A member of a resolved event: the reply starts from the event's,
		// cited; the caseworker edits it (the citizen still gets their own).
		cite := translation.For(translation.Chinese).CiteEvent(er) // the citizen's words
		d.reply.SetText(cite)
		d.cite = &widget.Button{Text: tr("resolve.cite", "Cite event {{.ID}}'s resolution", map[string]string{"ID": er.EventID}),
			Importance: widget.LowImportance, OnTapped: func() { d.reply.SetText(cite) }}
		replyHead = container.NewBorder(nil, nil, nil, d.cite, replyHead)
	}
	d.counter = &widget.Label{Alignment: fyne.TextAlignTrailing}
	d.warning = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance}
	d.summary = &widget.Label{Wrapping: fyne.TextWrapWord}
	checks := container.NewVBox()
	for _, p := range d.refs {
		label := strings.Join(nonEmpty(tagLabel(p.Tag), p.Caption, p.CreatedAt.In(streetdesk.ChinaTZ).Format("01-02 15:04")), " · ")
		c := &widget.Check{Text: label, Checked: p.Tag == streetdesk.PhotoAfter, OnChanged: func(bool) { d.update() }}
		d.photos = append(d.photos, c)
		checks.Add(c)
		var pub *widget.Check
		if p.Tag == streetdesk.PhotoAfter {
			pub = &widget.Check{Text: tr("resolve.publish", "Show to the citizen (progress page)")}
			checks.Add(container.NewPadded(pub))
		}
		d.publish = append(d.publish, pub)
		if box := d.ev.box(p.ID, d.update); box != nil {
			checks.Add(box)
		}
	}
	if len(d.refs) == 0 {
		checks.Add(&widget.Label{Text: tr("detail.noPhotos", "No photos yet."), Importance: widget.LowImportance})
	}
	title := tr("action.submitResolution", "Resolve")
	if op == streetdesk.OpSubmitForReview {
		title = tr("action.submitForReview", "Resolve (for review)")
	}
	body := container.NewVBox(
		&widget.Label{Text: tr("resolve.outcome", "Outcome"), TextStyle: fyne.TextStyle{Bold: true}}, d.outcome,
		replyHead, d.reply, d.counter,
		&widget.Label{Text: tr("resolve.photos", "Photos to send"), TextStyle: fyne.TextStyle{Bold: true}}, photoList(checks),
		d.warning, d.summary,
	)
	d.formDialog = v.newForm(title, body, tr("resolve.submit", "Submit"), 620, func() error {
		in := streetdesk.ResolveInput{Outcome: streetdesk.Outcomes[max(slices.Index(outcomes, d.outcome.Selected), 0)], Reply: d.reply.Text}
		for i, c := range d.photos {
			if c.Checked {
				in.PhotoRefIDs = append(in.PhotoRefIDs, d.refs[i].ID)
				if pub := d.publish[i]; pub != nil && pub.Checked {
					in.PublishPhotoRefIDs = append(in.PublishPhotoRefIDs, d.refs[i].ID)
				}
			}
		}
		in.Evidence = d.ev.explanations()
		_, err := v.u.desk.Resolve(v.u.ctx, v.id, in)
		return err
	})
	v.resolve = d
	d.update()
	v.u.w.Canvas().Focus(d.reply)
}

// update refreshes the counter, the warning, the summary and whether the
// reply is long enough to submit.
func (d *resolveDialog) update() {
	if d.formDialog == nil {
		return
	}
	n := utf8.RuneCountInString(strings.TrimSpace(d.reply.Text))
	d.counter.SetText(tr("resolve.counter", "{{.N}} characters (at least {{.Min}})", map[string]int{"N": n, "Min": streetdesk.MinReplyRunes}))
	if n < streetdesk.MinReplyRunes {
		d.counter.Importance = widget.DangerImportance
	} else {
		d.counter.Importance = widget.MediumImportance
	}
	if n < streetdesk.MinReplyRunes || !d.ev.valid() {
		d.save.Disable()
	} else {
		d.save.Enable()
	}
	d.counter.Refresh()
	chosen, after := 0, false
	var ids []string
	for i, c := range d.photos {
		// Only a photo that is sent can be shown.
		if pub := d.publish[i]; pub != nil && c.Checked != !pub.Disabled() {
			if c.Checked {
				pub.Enable()
			} else {
				pub.Disable()
			}
		}
		if c.Checked {
			chosen++
			after = after || d.refs[i].Tag == streetdesk.PhotoAfter
			ids = append(ids, d.refs[i].ID)
		}
	}
	if after {
		d.warning.SetText("")
		d.warning.Hide()
	} else {
		d.warning.SetText(tr("resolve.noAfter", "⚠ No “after” photo is chosen. The centre usually asks for one showing the fixed site."))
		d.warning.Show()
	}
	summary := tr("resolve.summary", "Will send: {{.O}}, a reply of {{.N}} characters, {{.P}} photos. It is saved on this computer first and sent when the network is there.",
		map[string]string{"O": d.outcome.Selected, "N": fmt.Sprint(n), "P": fmt.Sprint(chosen)})
	if w := d.ev.warnings(ids); w > 0 {
		summary += "\n" + tr("resolve.evidenceWarnings", "The chosen photos have {{.N}} evidence warnings; they are sent with the resolution, with your explanations.", map[string]int{"N": w})
	}
	d.summary.SetText(summary)
	d.pop.Content.Refresh() // the warning came or went
}
