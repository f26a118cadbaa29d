package ui

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// Resolution review (领导签发): with the team's review setting on, a
// caseworker's resolution waits in awaiting_review; the lead reads the
// citizen's complaint, the outcome, the reply and the photos that go with
// it (tap one for the viewer), then approves it (it goes to the centre) or
// sends it back with a comment the caseworker sees.

type reviewView struct {
	b       *Board
	cards   []*reviewCard
	total   int
	stale   bool // the cards are older than the board's last read: build them again when shown
	empty   *widget.Label
	box     *fyne.Container
	content fyne.CanvasObject
}

// reviewCard is one order waiting for sign-off.
type reviewCard struct {
	id        string
	title     *widget.Label
	summary   *widget.Label
	complaint *widget.Label
	reply     *widget.Label
	evidence  *widget.Label           // the photo checks, with the caseworker's explanations
	photos    []streetdesk.LocalPhoto // the resolution's photos
	thumbs    *fyne.Container
	viewer    *photoViewer
	comment   *deskEntry
	approve   *widget.Button
	sendBack  *widget.Button
	err       *widget.Label
	content   fyne.CanvasObject
}

func newReviewView(b *Board) *reviewView {
	v := &reviewView{b: b, box: container.NewVBox(), stale: true,
		empty: &widget.Label{Text: tr("review.none", "Nothing is waiting for your sign-off."), Importance: widget.LowImportance}}
	v.content = container.NewVScroll(v.box)
	return v
}

func (v *reviewView) count() int { return v.total }

// reviewPage is how many orders the review tab shows at once: each card
// reads the order's resolution, and signing off moves the next ones up.
const reviewPage = 30

// recount reads how many orders wait for review without building cards
// (the tab's title while another tab is shown); the cards are built again
// when the tab is next shown.
func (v *reviewView) recount() {
	v.stale = true
	f := streetdesk.QueueFilter{Statuses: []streetdesk.Status{streetdesk.StatusAwaitingReview}, Limit: 1, Now: v.b.now()}
	if p, err := v.b.desk.Queue(v.b.ctx, f); err == nil {
		v.total = p.Total
	}
}

// reload lists the team's orders in awaiting_review, nearest deadline first.
func (v *reviewView) reload() {
	v.cards = nil
	v.total = 0
	v.stale = false
	v.box.RemoveAll()
	f := streetdesk.QueueFilter{Statuses: []streetdesk.Status{streetdesk.StatusAwaitingReview}, Limit: reviewPage, Now: v.b.now()}
	p, err := v.b.desk.Queue(v.b.ctx, f)
	if err != nil {
		v.box.Add(&widget.Label{Text: errorText(err), Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord})
	}
	v.total = p.Total
	for _, it := range p.Items {
		c := v.newCard(it.Order)
		v.cards = append(v.cards, c)
		v.box.Add(c.content)
	}
	if len(v.cards) < v.total {
		v.box.Add(&widget.Label{Importance: widget.LowImportance,
			Text: tr("review.more", "Showing {{.N}} of {{.Total}}; the next ones appear as you sign these off.", map[string]int{"N": len(v.cards), "Total": v.total})})
	}
	if err == nil && len(v.cards) == 0 {
		v.box.Add(v.empty)
	}
	v.box.Refresh()
}

func (v *reviewView) newCard(o streetdesk.WorkOrder) *reviewCard {
	c := &reviewCard{id: o.ID,
		title: &widget.Label{Text: o.Title, TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis},
		// Plain text colour: the dim "low importance" grey was hard to read.
		summary:   &widget.Label{Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameCaptionText},
		complaint: &widget.Label{Wrapping: fyne.TextWrapWord},
		reply:     &widget.Label{Wrapping: fyne.TextWrapWord},
		evidence:  &widget.Label{Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameCaptionText},
		thumbs:    container.NewGridWrap(fyne.NewSize(128, 126)),
		err:       &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance},
		comment:   newDeskEntry(&deskEntry{Entry: widget.Entry{PlaceHolder: tr("review.commentHint", "What should be changed (required to send back)")}}),
	}
	c.err.Hide()
	// The resolution waiting for review: the latest of the current cycle.
	var res *streetdesk.Resolution
	det, derr := v.b.desk.Order(v.b.ctx, o.ID)
	if derr == nil {
		for i := range det.Resolutions {
			if r := &det.Resolutions[i].Resolution; r.Cycle == o.Cycle {
				res = r
			}
		}
	}
	c.complaint.SetText(tr("review.complaint", "Complaint: {{.C}}", map[string]string{"C": o.Complaint}))
	if res != nil && derr == nil {
		for _, p := range det.Photos {
			if slices.Contains(res.PhotoRefIDs, p.ID) {
				c.photos = append(c.photos, p)
			}
		}
	}
	for i, p := range c.photos {
		c.thumbs.Add(newThumb(p, func() { c.viewer = showPhotoViewer(v.b.w, c.photos, i, o.Location) }))
	}
	if len(c.photos) == 0 {
		c.thumbs.Hide()
	}
	parts := []string{o.ID, v.b.memberName(o.AssigneeID)}
	if d := o.Deadlines.ResolveBy; !d.IsZero() {
		parts = append(parts, tr("review.resolveBy", "resolve by {{.T}}", map[string]string{"T": d.In(v.b.cal.Location()).Format("01-02 15:04")}))
	}
	if res != nil {
		parts = append(parts, tr("review.outcome", "outcome: {{.O}}", map[string]string{"O": words().Name(res.Outcome)}),
			tr("review.photos", "{{.N}} photos", map[string]int{"N": len(res.PhotoRefIDs)}))
		c.reply.SetText(tr("review.reply", "Reply: {{.R}}", map[string]string{"R": res.Reply}))
	} else {
		// Not on this computer yet (e.g. before the next sync): the
		// submission's text from the history is all there is.
		for _, e := range o.History {
			if e.Kind == string(streetdesk.OpSubmitForReview) && e.Cycle == o.Cycle {
				c.reply.SetText(e.Text)
			}
		}
		if c.reply.Text == "" {
			c.reply.SetText(tr("review.noResolution", "The resolution has not reached this computer yet."))
			c.reply.Importance = widget.LowImportance
		}
	}
	c.summary.SetText(strings.Join(nonBlank(parts), " · "))
	c.evidence.SetText(v.reviewEvidence(o.ID, res, c.photos))
	if c.evidence.Text == "" {
		c.evidence.Hide()
	} else if strings.Contains(c.evidence.Text, "⚠") {
		c.evidence.Importance = widget.WarningImportance
	}
	id := o.ID
	c.approve = &widget.Button{Text: words().Name(streetdesk.OpApproveReview), Importance: widget.HighImportance, OnTapped: func() {
		if err := v.b.desk.ApproveReview(v.b.ctx, id); err != nil {
			c.showErr(leadErrorText(err))
			return
		}
		v.b.Reload()
		data := map[string]string{"Title": o.Title}
		v.b.saved([]string{id}, tr("review.approved", "Approved. Saved on this computer, waiting to sync: {{.Title}}", data),
			tr("review.approvedSent", "Approved and sent to the platform: {{.Title}}", data))
	}}
	c.sendBack = &widget.Button{Text: words().Name(streetdesk.OpSendBack), OnTapped: func() {
		text := strings.TrimSpace(c.comment.Text)
		if text == "" {
			c.showErr(tr("review.commentRequired", "Write what should be changed before sending it back."))
			v.b.w.Canvas().Focus(c.comment)
			return
		}
		if err := v.b.desk.SendBack(v.b.ctx, id, text); err != nil {
			c.showErr(leadErrorText(err))
			return
		}
		v.b.Reload()
		data := map[string]string{"Title": o.Title}
		v.b.saved([]string{id}, tr("review.sentBack", "Sent back. Saved on this computer, waiting to sync: {{.Title}}", data),
			tr("review.sentBackSent", "Sent back; the platform has it: {{.Title}}", data))
	}}
	// Enter in the comment sends it back; Esc clears the comment.
	c.comment.onSave = c.sendBack.OnTapped
	c.comment.onEsc = func() { c.comment.SetText("") }
	c.content = container.NewVBox(c.title, c.summary, c.complaint, c.reply, c.evidence, c.thumbs,
		container.NewBorder(nil, nil, nil, container.NewHBox(c.sendBack, c.approve), c.comment), c.err, widget.NewSeparator())
	return c
}

func (c *reviewCard) showErr(text string) {
	c.err.SetText(text)
	c.err.Show()
}

func nonBlank(ss []string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}
