package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// actionOrder is the order of the action buttons; only the operations in
// OrderDetail.Allowed appear.
var actionOrder = []streetdesk.Operation{
	streetdesk.OpAccept, streetdesk.OpRecordContact, streetdesk.OpAddNote, streetdesk.OpAttachPhoto,
	streetdesk.OpRequestExtension, streetdesk.OpRequestReturn, streetdesk.OpSubmitResolution, streetdesk.OpSubmitForReview,
}

// detailView is the right pane: one order, its timeline, photos and actions.
type detailView struct {
	u      *UI
	id     string
	det    *streetdesk.OrderDetail
	review bool // the team's lead signs resolutions off (领导签发)

	empty      *widget.Label
	header     *widget.Label // id
	state      *widget.Label // 办理中 · 督办
	remaining  *canvas.Text  // 剩余 5小时
	title      *widget.Label
	category   *widget.Label
	department *widget.Label
	address    *widget.Label
	coords     *widget.Label
	copyCoords *widget.Button
	channel    *widget.Label
	citizen    *widget.Label
	deadlines  *widget.Label
	complaint  *widget.Label
	notice     *widget.Label    // reopen reason, pending requests, conflicts, revocation
	event      *fyne.Container  // an event's members, a member's event (events.go)
	eventLinks []*widget.Button // their buttons, each opening the order
	eventReply *widget.Label    // a member's event's resolution, once resolved
	timeline   *widget.Label    // one line per entry
	photos     *fyne.Container
	exportBtn  *widget.Button // 证据包
	actions    *actionBar
	saved      *widget.Label // after a write: saved here / sent, as the order's items really stand
	wrote      bool          // the user wrote to the open order
	buttons    map[streetdesk.Operation]*widget.Button
	body       *fyne.Container
	content    fyne.CanvasObject

	// open dialogs (tests reach them through export_test.go)
	contact   *contactDialog
	note      *noteDialog
	photoDlg  *photoDialog
	extension *extensionDialog
	ret       *returnDialog
	resolve   *resolveDialog
	viewer    *photoViewer
	picker    *photoPicker
}

func newDetailView(u *UI) *detailView {
	v := &detailView{u: u, buttons: map[streetdesk.Operation]*widget.Button{}}
	if t, err := u.desk.Team(u.ctx); err == nil && t != nil {
		v.review = t.ReviewResolutions
	}
	v.empty = &widget.Label{Text: tr("detail.empty", "Choose a work order on the left."), Alignment: fyne.TextAlignCenter}
	v.header = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Selectable: true}
	v.state = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	v.remaining = &canvas.Text{TextSize: theme.TextSize(), TextStyle: fyne.TextStyle{Bold: true}}
	v.title = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord}
	v.category = &widget.Label{Wrapping: fyne.TextWrapWord}
	v.department = &widget.Label{Wrapping: fyne.TextWrapWord}
	v.address = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	v.coords = &widget.Label{}
	v.copyCoords = &widget.Button{Text: tr("detail.copy", "Copy"), Icon: theme.ContentCopyIcon(), Importance: widget.LowImportance, OnTapped: v.onCopyCoords}
	v.channel = &widget.Label{Wrapping: fyne.TextWrapWord}
	v.citizen = &widget.Label{}
	v.deadlines = &widget.Label{Wrapping: fyne.TextWrapWord}
	v.complaint = &widget.Label{Wrapping: fyne.TextWrapWord}
	v.notice = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance}
	v.timeline = &widget.Label{Wrapping: fyne.TextWrapWord}
	v.event = container.NewVBox()
	v.event.Hide()
	// Thumbnails wrap onto rows: a scroller inside the detail's scroller
	// did not clip in the software painter.
	v.photos = container.NewGridWrap(fyne.NewSize(128, 126))
	v.actions = newActionBar(u.w.Canvas)
	v.exportBtn = v.newExportButton()
	v.saved = &widget.Label{Importance: widget.SuccessImportance, Wrapping: fyne.TextWrapWord}
	heading := func(key, fb string) *widget.Label {
		return &widget.Label{Text: tr(key, fb), TextStyle: fyne.TextStyle{Bold: true}}
	}
	// A compact header stays put: which order, its state and deadline, the
	// title, where and who. Everything else scrolls, and the actions stay
	// at the bottom, so a 600 px high window still shows them.
	top := container.NewThemeOverride(container.NewVBox(
		container.NewBorder(nil, nil, v.header, container.NewHBox(container.NewCenter(v.remaining)), v.state),
		v.title,
		container.NewBorder(nil, nil, nil, container.NewHBox(v.coords, v.copyCoords, v.citizen), v.address),
	), compactTheme{})
	facts := container.NewThemeOverride(container.NewVBox(v.category, v.department, v.channel, v.deadlines), compactTheme{})
	scroll := container.NewVScroll(container.NewVBox(
		v.notice,
		facts,
		v.event,
		widget.NewSeparator(),
		heading("detail.complaint", "Complaint"), v.complaint,
		widget.NewSeparator(),
		heading("detail.timeline", "Timeline"), v.timeline,
		widget.NewSeparator(),
		container.NewBorder(nil, nil, heading("detail.photos", "Photos"), v.exportBtn), v.photos,
	))
	bottom := container.NewVBox(widget.NewSeparator(), v.saved, v.actions)
	v.body = container.NewBorder(container.NewVBox(top, widget.NewSeparator()), bottom, nil, nil, scroll)
	v.body.Hide()
	v.content = container.NewStack(container.NewCenter(v.empty), container.NewPadded(v.body))
	return v
}

// show opens order id.
func (v *detailView) show(id string) {
	v.id = id
	v.wrote = false
	v.saved.SetText("")
	v.reload()
}

// reload re-reads the open order.
func (v *detailView) reload() {
	if v.id == "" {
		return
	}
	det, err := v.u.desk.Order(v.u.ctx, v.id)
	if err != nil {
		v.det = nil
		v.body.Hide()
		v.empty.SetText(errorText(err))
		v.empty.Show()
		return
	}
	v.det = det
	v.fill()
	v.empty.Hide()
	v.body.Show()
}

func (v *detailView) fill() {
	d := v.det
	o := &d.Order
	v.header.SetText(o.ID)
	state := []string{words().Name(o.Status)}
	if o.Supervised {
		state = append(state, tr("badge.supervised", "supervised"))
	}
	if o.Reopened() && o.Status != streetdesk.StatusReopened { // the state already says it
		state = append(state, tr("badge.reopened", "reopened"))
	}
	if o.Urgency != streetdesk.UrgencyNormal && o.Urgency != "" {
		state = append(state, words().Name(o.Urgency))
	}
	if b := eventBadge(o); b != "" {
		state = append(state, b)
	}
	v.fillEvent()
	v.state.SetText(strings.Join(state, " · "))
	v.refreshRemaining()
	v.title.SetText(o.Title)
	v.category.SetText(o.Category.Path())
	v.department.SetText(tr("detail.department", "Responsible: {{.D}}", map[string]string{"D": o.Category.Department}))
	loc := o.Location
	addr := loc.Address
	if loc.District != "" && !strings.HasPrefix(addr, loc.District) {
		addr = loc.District + " " + addr
	}
	v.address.SetText(strings.Join(nonEmpty(addr, loc.StreetOffice, loc.Community), " · "))
	if loc.Lat != 0 || loc.Lng != 0 {
		v.coords.SetText(fmt.Sprintf("(%.4f, %.4f)", loc.Lat, loc.Lng))
		v.copyCoords.Show()
	} else {
		v.coords.SetText(tr("detail.noCoords", "(no coordinates)"))
		v.copyCoords.Hide()
	}
	v.channel.SetText(tr("detail.channel", "Channel: {{.C}}", map[string]string{"C": words().Name(o.Channel)}))
	v.citizen.SetText(tr("detail.citizen", "Citizen: {{.N}} {{.P}}", map[string]string{"N": o.Citizen.Name, "P": o.Citizen.Phone}))
	if o.Citizen == (streetdesk.Citizen{}) {
		v.citizen.SetText("") // an event order: nobody called
	}
	var dl []string
	add := func(key, fb string, t time.Time) {
		if !t.IsZero() {
			dl = append(dl, tr(key, fb, map[string]string{"T": t.In(streetdesk.ChinaTZ).Format("01-02 15:04")}))
		}
	}
	add("detail.acceptBy", "accept by {{.T}}", o.Deadlines.AcceptBy)
	add("detail.contactBy", "first contact by {{.T}}", o.Deadlines.FirstContactBy)
	add("detail.resolveBy", "resolve by {{.T}}", o.Deadlines.ResolveBy)
	v.deadlines.SetText(tr("detail.deadlines", "Deadlines: ", nil) + strings.Join(dl, " · "))
	v.complaint.SetText(o.Complaint)

	var notes []string
	if o.Reopened() && o.ReopenReason != "" {
		notes = append(notes, tr("detail.reopenReason", "Reopened: {{.R}}", map[string]string{"R": o.ReopenReason}))
	}
	if o.ExtensionRequest != nil && o.Status == streetdesk.StatusExtensionRequested {
		notes = append(notes, tr("detail.extPending", "Extension requested to {{.T}}, waiting for the centre", map[string]string{"T": o.ExtensionRequest.NewResolveBy.In(streetdesk.ChinaTZ).Format("01-02 15:04")}))
	}
	if o.ReviewComment != "" {
		notes = append(notes, tr("detail.reviewComment", "Lead's comment: {{.C}}", map[string]string{"C": o.ReviewComment}))
	}
	if o.AwaitingMedia {
		notes = append(notes, tr("detail.awaitingMedia", "The resolution is saved; some of its photos have not reached the platform yet."))
	}
	// What the platform did not apply is said once, first: the latest
	// entry's sentence says what happened and what was kept, so the
	// revocation and the proposal it caused are not said again.
	said := conflictSentence(d.Conflicts)
	if said.text != "" {
		notes = append([]string{said.text}, notes...)
	}
	for _, r := range d.Resolutions {
		switch r.State {
		case streetdesk.ResolutionProposal:
			if !said.proposal {
				notes = append(notes, tr("detail.proposal", "Your resolution of {{.T}} did not resolve the order; it is kept for your lead as a proposal.",
					map[string]string{"T": r.CreatedAt.In(streetdesk.ChinaTZ).Format("01-02 15:04")}))
			}
		case streetdesk.ResolutionReview:
			notes = append(notes, tr("detail.inReview", "Your resolution is waiting for the lead's sign-off."))
		}
	}
	if d.Revoked && !said.revoked {
		if !d.RevokeNote.IsZero() {
			notes = append(notes, words().Say(d.RevokeNote))
		} else {
			notes = append(notes, tr("detail.revoked", "This order is no longer yours; your local work is kept."))
		}
	}
	v.notice.SetText(strings.Join(notes, "\n"))
	if len(notes) == 0 {
		v.notice.Hide()
	} else {
		v.notice.Show()
	}

	lines := make([]string, len(d.Timeline))
	for i, e := range d.Timeline {
		lines[i] = timelineLine(e)
	}
	v.timeline.SetText(strings.Join(lines, "\n"))

	v.photos.RemoveAll()
	for i := range d.Photos {
		v.photos.Add(newThumb(d.Photos[i], func() { v.openPhoto(i) }))
	}
	if len(d.Photos) == 0 {
		v.photos.Add(&widget.Label{Text: tr("detail.noPhotos", "No photos yet."), Importance: widget.LowImportance})
	}

	v.buttons = map[streetdesk.Operation]*widget.Button{}
	var buttons []*widget.Button
	keep := []int{} // the main action first, then the day-to-day ones
	for _, op := range actionOrder {
		if !slices.Contains(d.Allowed, op) {
			continue // absent, not disabled
		}
		// One 办结 button: the one the team's review setting calls for.
		if op == streetdesk.OpSubmitResolution && v.review || op == streetdesk.OpSubmitForReview && !v.review {
			continue
		}
		b := &widget.Button{Text: actionLabel(op), OnTapped: v.handler(op)}
		if op == streetdesk.OpAccept || op == streetdesk.OpSubmitResolution || op == streetdesk.OpSubmitForReview {
			b.Importance = widget.HighImportance
			keep = append([]int{len(buttons)}, keep...)
		} else if op != streetdesk.OpRequestExtension && op != streetdesk.OpRequestReturn {
			keep = append(keep, len(buttons))
		}
		v.buttons[op] = b
		buttons = append(buttons, b)
	}
	v.actions.set(buttons, keep)
	if v.wrote {
		v.showSaveState()
	}
	// Lay the changed containers out again now: a thumbnail left at its
	// zero size would be drawn with a negative height.
	v.body.Refresh()
}

// saidConflict is the detail's one sentence about what the platform did
// not apply, and what else it already covers.
type saidConflict struct {
	text     string
	revoked  bool // the order went to someone else or was cancelled
	proposal bool // a resolution was kept as a proposal
}

// conflictSentence is the latest open conflict's explanation, with how
// many more the inbox holds.
func conflictSentence(cs []streetdesk.Conflict) saidConflict {
	var s saidConflict
	if len(cs) == 0 {
		return s
	}
	latest := cs[0]
	for _, c := range cs {
		if c.CreatedAt.After(latest.CreatedAt) {
			latest = c
		}
		switch c.Code {
		case streetdesk.CodeReassigned, streetdesk.CodeCancelled:
			s.revoked = true
		}
		if c.Name == streetdesk.MutSubmitResolution {
			s.proposal = true
		}
	}
	s.text = "⚠ " + words().Say(latest.Explanation)
	if len(cs) > 1 {
		s.text += " " + tr("detail.moreConflicts", "({{.N}} more under Needs attention)", map[string]int{"N": len(cs) - 1})
	}
	return s
}

// focusActions puts the keyboard on the first action button shown (Enter
// on the queue), so Tab, Space and Enter work the order.
func (v *detailView) focusActions() {
	if v.det == nil {
		return
	}
	for _, b := range v.actions.buttons {
		if !b.Hidden {
			v.u.w.Canvas().Focus(b)
			return
		}
	}
}

// refreshRemaining redraws the countdown in the header.
func (v *detailView) refreshRemaining() {
	if v.det == nil {
		return
	}
	o, now := &v.det.Order, v.u.now()
	v.remaining.Text = words().Remaining(o.CurrentDeadline(), now)
	v.remaining.Color = riskColor(v.u.cal.RiskAt(o, now))
	v.remaining.Refresh()
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func actionLabel(op streetdesk.Operation) string {
	if op == streetdesk.OpSubmitForReview {
		return tr("action.submitForReview", "Resolve (for review)")
	}
	return tr("action."+string(op), words().Name(op))
}

func syncMark(s streetdesk.ItemSync) string {
	switch s {
	case streetdesk.SyncPending:
		return tr("sync.itemPending", "⟳ pending sync")
	case streetdesk.SyncUploading:
		return tr("sync.itemUploading", "⬆ uploading")
	case streetdesk.SyncConflict:
		return tr("sync.itemConflict", "⚠ not applied")
	}
	return ""
}

// timelineLine renders one entry: "03-12 08:40 王芳 签收 ⟳ 待同步". The
// platform's own events (dispatch, callback, reopen) carry no mark; what
// people did shows whether it reached the platform.
func timelineLine(e streetdesk.TimelineEntry) string {
	parts := nonEmpty(e.At.In(streetdesk.ChinaTZ).Format("01-02 15:04"), e.Actor, words().TimelineKind(e.Kind), words().TimelineDetail(&e))
	line := strings.Join(parts, " ")
	if m := syncMark(e.Sync); m != "" {
		line += "  " + m
	} else if e.Sync == streetdesk.SyncSynced && e.Actor != "" && e.Kind != streetdesk.TimelineDispatch &&
		e.Kind != streetdesk.TimelineCallback && e.Kind != streetdesk.TimelineReopen {
		line += "  " + tr("sync.itemSynced", "✓ synced")
	}
	return line
}

func (v *detailView) handler(op streetdesk.Operation) func() {
	switch op {
	case streetdesk.OpAccept:
		return v.onAccept
	case streetdesk.OpRecordContact:
		return v.onContact
	case streetdesk.OpAddNote:
		return v.onNote
	case streetdesk.OpAttachPhoto:
		return func() { v.onPhotos(nil) }
	case streetdesk.OpRequestExtension:
		return v.onExtension
	case streetdesk.OpRequestReturn:
		return v.onReturn
	}
	return v.onResolve
}

func (v *detailView) allowed(op streetdesk.Operation) bool {
	return v.det != nil && slices.Contains(v.det.Allowed, op)
}

// savedLocally follows every write: the message under the actions says
// where the order's work stands and changes when a sync sends it.
func (v *detailView) savedLocally() {
	v.wrote = true
	v.u.changed()
}

// showSaveState words the state of the open order's local work: saved
// here and waiting, sent, or sent but not all taken (the notice says why).
// "Saved on this computer" and "sent to the platform" are never blurred.
func (v *detailView) showSaveState() {
	switch orderSaveState(v.det, v.u.desk.Me().ID) {
	case streetdesk.SyncPending:
		v.saved.Importance = widget.SuccessImportance
		v.saved.SetText(tr("detail.saved", "✓ Saved on this computer, waiting to sync"))
	case streetdesk.SyncConflict:
		v.saved.Importance = widget.WarningImportance
		v.saved.SetText(tr("detail.savedConflict", "⚠ Sent, but the platform did not take all of it: see the note above."))
	default:
		v.saved.Importance = widget.SuccessImportance
		v.saved.SetText(tr("detail.sent", "✓ Sent to the platform"))
	}
}

// orderSaveState is where an order's local work stands: pending while an
// intent waits or one of my photos is still on its way, conflict when the
// platform refused something (an open entry in the inbox), else synced.
func orderSaveState(d *streetdesk.OrderDetail, me string) streetdesk.ItemSync {
	if d == nil {
		return streetdesk.SyncPending
	}
	if d.Pending > 0 {
		return streetdesk.SyncPending
	}
	for _, p := range d.Photos {
		if p.AuthorID == me && (p.Sync == streetdesk.SyncPending || p.Sync == streetdesk.SyncUploading) {
			return streetdesk.SyncPending
		}
	}
	for _, c := range d.Conflicts {
		if !c.Dismissed {
			return streetdesk.SyncConflict
		}
	}
	return streetdesk.SyncSynced
}

func (v *detailView) onAccept() {
	if err := v.u.desk.Accept(v.u.ctx, v.id); err != nil {
		v.u.showError(err)
		return
	}
	v.savedLocally()
}

func (v *detailView) onCopyCoords() {
	if v.det == nil {
		return
	}
	l := v.det.Order.Location
	v.u.copyText(fmt.Sprintf("%.6f,%.6f", l.Lat, l.Lng))
}

// formDialog is a modal form with its own error line and buttons.
type formDialog struct {
	pop    *widget.PopUp
	err    *widget.Label
	save   *widget.Button
	cancel *widget.Button
}

func (v *detailView) newForm(title string, body fyne.CanvasObject, saveText string, width float32, onSave func() error) *formDialog {
	return v.u.newFormDialog(title, body, saveText, width, onSave, v.savedLocally)
}

// newFormDialog shows a modal form: body, an error line, Cancel and Save.
// Save runs onSave; an error stays in the form, in the user's words;
// otherwise the form closes and after (if set) runs.
func (u *UI) newFormDialog(title string, body fyne.CanvasObject, saveText string, width float32, onSave func() error, after func()) *formDialog {
	f := &formDialog{err: &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}}
	f.cancel = &widget.Button{Text: tr("button.cancel", "Cancel"), OnTapped: func() { f.pop.Hide() }}
	f.save = &widget.Button{Text: saveText, Importance: widget.HighImportance, OnTapped: func() {
		if err := onSave(); err != nil {
			f.err.SetText(errorText(err))
			f.err.Show()
			return
		}
		f.pop.Hide()
		if after != nil {
			after()
		}
	}}
	f.err.Hide()
	// From the keyboard: Esc cancels, Ctrl+Enter saves (Enter in a
	// one-line field too).
	wireKeys(body, f.cancel.OnTapped, func() {
		if !f.save.Disabled() {
			f.save.OnTapped()
		}
	}, u.dialogShortcut)
	head := &widget.Label{Text: title, TextStyle: fyne.TextStyle{Bold: true}}
	content := container.NewBorder(head, container.NewVBox(f.err, container.NewHBox(f.cancel, f.save)), nil, nil, body)
	f.pop = widget.NewModalPopUp(content, u.w.Canvas())
	f.pop.Resize(fyne.NewSize(width, content.MinSize().Height))
	f.pop.Show()
	return f
}

// contactDialog records a call or visit with the citizen.
type contactDialog struct {
	*formDialog
	method  *widget.RadioGroup
	reached *widget.Check
	text    *deskEntry
}

var contactMethods = []streetdesk.ContactMethod{streetdesk.ContactPhone, streetdesk.ContactVisit, streetdesk.ContactSMS}

func (v *detailView) onContact() {
	if !v.allowed(streetdesk.OpRecordContact) {
		return
	}
	d := &contactDialog{}
	var opts []string
	for _, m := range contactMethods {
		opts = append(opts, words().Name(m))
	}
	d.method = &widget.RadioGroup{Options: opts, Selected: opts[0], Horizontal: true, Required: true}
	d.reached = &widget.Check{Text: tr("contact.reached", "Reached the citizen"), Checked: true}
	d.text = newDeskEntry(&deskEntry{Entry: widget.Entry{MultiLine: true, Wrapping: fyne.TextWrapWord, PlaceHolder: tr("contact.hint", "What was said or agreed")}})
	d.text.SetMinRowsVisible(4)
	body := container.NewVBox(d.method, d.reached, d.text)
	d.formDialog = v.newForm(tr("action.recordContact", "Contact record"), body, tr("button.save", "Save"), 480, func() error {
		i := slices.Index(opts, d.method.Selected)
		if i < 0 {
			i = 0
		}
		return v.u.desk.RecordContact(v.u.ctx, v.id, streetdesk.ContactInput{Method: contactMethods[i], Reached: d.reached.Checked, Body: d.text.Text})
	})
	v.contact = d
	v.u.w.Canvas().Focus(d.text)
}

// noteDialog is a survey note with quick phrases for the order's category.
type noteDialog struct {
	*formDialog
	text    *deskEntry
	phrases []*widget.Button
}

func (v *detailView) onNote() {
	if !v.allowed(streetdesk.OpAddNote) {
		return
	}
	d := &noteDialog{}
	d.text = newDeskEntry(&deskEntry{Entry: widget.Entry{MultiLine: true, Wrapping: fyne.TextWrapWord, PlaceHolder: tr("note.hint", "What you found on site")}})
	d.text.SetMinRowsVisible(5)
	chips := container.NewGridWithColumns(2)
	for _, p := range quickPhrases(v.det.Order.Category.L1Code) {
		b := &widget.Button{Text: p, Importance: widget.LowImportance, Alignment: widget.ButtonAlignLeading}
		b.OnTapped = func() {
			t := strings.TrimRight(d.text.Text, " \n")
			if t != "" && !strings.HasSuffix(t, "。") {
				t += "。"
			}
			d.text.SetText(t + p)
			d.text.CursorRow, d.text.CursorColumn = 0, utf8.RuneCountInString(d.text.Text)
			d.text.Refresh()
		}
		d.phrases = append(d.phrases, b)
		chips.Add(b)
	}
	body := container.NewVBox(&widget.Label{Text: tr("note.phrases", "Quick phrases"), Importance: widget.LowImportance}, chips, d.text)
	d.formDialog = v.newForm(tr("action.addNote", "Survey note"), body, tr("button.save", "Save"), 560, func() error {
		return v.u.desk.AddNote(v.u.ctx, v.id, d.text.Text)
	})
	v.note = d
	v.u.w.Canvas().Focus(d.text)
}

// quickPhrases are common survey findings per level-1 category of the
// sample duty list, plus general ones.
func quickPhrases(l1 string) []string {
	var out []string
	for _, key := range []string{"phrases." + l1, "phrases.general"} {
		// A list is one message, its phrases separated by "|".
		if w := words(); w.Has(key) {
			out = append(out, strings.Split(w.T(key, ""), "|")...)
		}
	}
	return out
}

// photoDialog attaches one or more files with a before/after tag and caption.
type photoDialog struct {
	*formDialog
	paths   []string
	files   *widget.Label
	refused *widget.Label // files that cannot be attached, and why (at once, not at save)
	tag     *widget.RadioGroup
	caption *deskEntry
	choose  *widget.Button
}

var photoTags = []streetdesk.PhotoTag{streetdesk.PhotoBefore, streetdesk.PhotoAfter, streetdesk.PhotoOther}

func tagLabel(t streetdesk.PhotoTag) string {
	if t == streetdesk.PhotoOther {
		return tr("photo.untagged", "no tag")
	}
	return words().Name(t)
}

// onPhotos opens the photo dialog, with paths already chosen (drag and drop)
// or empty (the file dialog).
func (v *detailView) onPhotos(paths []string) {
	if !v.allowed(streetdesk.OpAttachPhoto) {
		if len(paths) > 0 {
			v.u.message(tr("photo.title", "Add photos"), tr("photo.notNow", "Open an order you are working on to add photos to it."))
		}
		return
	}
	if v.photoDlg != nil && v.photoDlg.pop.Visible() {
		v.photoDlg.add(paths)
		return
	}
	d := &photoDialog{}
	var opts []string
	for _, t := range photoTags {
		opts = append(opts, tagLabel(t))
	}
	d.files = &widget.Label{Wrapping: fyne.TextWrapWord}
	d.refused = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	d.refused.Hide()
	d.tag = &widget.RadioGroup{Options: opts, Selected: opts[0], Horizontal: true, Required: true}
	d.caption = newDeskEntry(&deskEntry{Entry: widget.Entry{PlaceHolder: tr("photo.caption", "Caption (optional)")}})
	d.choose = &widget.Button{Text: tr("photo.choose", "Choose files…"), Icon: theme.FolderOpenIcon(), OnTapped: func() { v.chooseFiles(d) }}
	hint := &widget.Label{Text: tr("photo.dropHint", "You can also drag photos onto the window."), Importance: widget.LowImportance}
	body := container.NewVBox(container.NewHBox(d.choose), d.files, d.refused, hint, d.tag, d.caption)
	d.formDialog = v.newForm(tr("photo.title", "Add photos"), body, tr("button.save", "Save"), 520, func() error {
		if len(d.paths) == 0 {
			return streetdesk.Errorf(streetdesk.EINVALID, "%s", tr("photo.none", "Choose at least one photo."))
		}
		tag := photoTags[max(slices.Index(opts, d.tag.Selected), 0)]
		// One file at a time: what was attached stays attached and leaves
		// the list; what was not stays, with its reason, so a second Save
		// never attaches a photo twice.
		var left, why []string
		for _, p := range d.paths {
			_, err := v.u.desk.AttachPhotos(v.u.ctx, v.id, []streetdesk.PhotoInput{{Path: p, Tag: tag, Caption: strings.TrimSpace(d.caption.Text)}})
			if err != nil {
				left = append(left, p)
				why = append(why, tr("photo.fileError", "{{.F}}: {{.E}}", map[string]string{"F": baseName(p), "E": errorText(err)}))
			}
		}
		attached := len(d.paths) - len(left)
		d.paths = left
		d.showFiles()
		if len(left) == 0 {
			return nil
		}
		if attached > 0 {
			v.u.changed()
		}
		return streetdesk.Errorf(streetdesk.EINVALID, "%s", strings.Join(why, "\n"))
	})
	v.photoDlg = d
	d.add(paths)
}

func (d *photoDialog) add(paths []string) {
	var refused []string
	for _, p := range paths {
		if isHEIC(p) { // refused when picked or dropped, with the reason
			refused = append(refused, baseName(p))
			continue
		}
		if !slices.Contains(d.paths, p) {
			d.paths = append(d.paths, p)
		}
	}
	if len(refused) > 0 {
		d.refused.SetText(tr("photo.refused", "{{.Files}}: {{.Why}}", map[string]string{"Files": strings.Join(refused, ", "), "Why": heicRefusal()}))
		d.refused.Show()
	}
	d.showFiles()
}

func (d *photoDialog) showFiles() {
	if len(d.paths) == 0 {
		d.files.SetText(tr("photo.noneChosen", "No files chosen."))
		return
	}
	names := make([]string, len(d.paths))
	for i, p := range d.paths {
		names[i] = baseName(p)
	}
	d.files.SetText(tr("photo.chosen", "{{.N}} chosen: ", map[string]int{"N": len(d.paths)}) + strings.Join(names, ", "))
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func (v *detailView) chooseFiles(d *photoDialog) {
	if v.u.opts.OpenFiles != nil {
		v.u.opts.OpenFiles(d.add)
		return
	}
	v.picker = showPhotoPicker(v.u.w, d.add)
}

// extensionDialog asks the centre for a later resolve-by.
type extensionDialog struct {
	*formDialog
	reason *deskEntry
	date   *deskEntry // YYYY-MM-DD HH:MM, China time
	limit  *widget.Label
}

func (v *detailView) onExtension() {
	if !v.allowed(streetdesk.OpRequestExtension) {
		return
	}
	d := &extensionDialog{}
	cur := v.det.Order.Deadlines.ResolveBy
	d.reason = newDeskEntry(&deskEntry{Entry: widget.Entry{MultiLine: true, Wrapping: fyne.TextWrapWord, PlaceHolder: tr("extension.reasonHint", "Why more time is needed")}})
	d.reason.SetMinRowsVisible(3)
	d.date = newDeskEntry(&deskEntry{Entry: widget.Entry{PlaceHolder: "2026-03-20 17:00"}})
	if t := v.u.cal.SuggestExtension(cur, v.u.now()); !t.IsZero() {
		d.date.Text = t.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04")
	}
	d.limit = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance}
	form := &widget.Form{Items: []*widget.FormItem{
		{Text: tr("extension.reason", "Reason"), Widget: d.reason},
		{Text: tr("extension.date", "New deadline"), Widget: d.date},
	}}
	// check is the whole form's rule: the domain's (streetdesk.Calendar.
	// CheckExtension, which the platform applies too) and a reason.
	check := func() (time.Time, error) {
		t, err := time.ParseInLocation("2006-01-02 15:04", strings.TrimSpace(d.date.Text), streetdesk.ChinaTZ)
		if err != nil {
			return t, streetdesk.Errorf(streetdesk.EINVALID, "%s", tr("extension.badDate", "Write the date as 2026-03-20 17:00."))
		}
		if err := v.u.cal.CheckExtension(cur, t, v.u.now()); err != nil {
			return t, err
		}
		if strings.TrimSpace(d.reason.Text) == "" {
			return t, streetdesk.Errorf(streetdesk.EINVALID, "%s", tr("extension.needReason", "Give a reason for the extension."))
		}
		return t, nil
	}
	d.formDialog = v.newForm(tr("action.requestExtension", "Request extension"), container.NewVBox(form, d.limit), tr("button.submit", "Submit"), 520, func() error {
		t, err := check()
		if err != nil {
			return err
		}
		return v.u.desk.RequestExtension(v.u.ctx, v.id, strings.TrimSpace(d.reason.Text), t)
	})
	// The error follows what is typed: a correction clears it at once, and
	// a shown error changes with the text; the line under the form counts
	// the working days added.
	onChange := func(string) {
		d.showLimit(v.u.cal, cur, v.u.now())
		if !d.err.Visible() {
			return
		}
		if _, err := check(); err != nil {
			d.err.SetText(errorText(err))
		} else {
			d.err.Hide()
		}
	}
	d.date.OnChanged, d.reason.OnChanged = onChange, onChange
	d.showLimit(v.u.cal, cur, v.u.now())
	v.extension = d
}

// showLimit says what the typed date asks for against the current deadline.
func (d *extensionDialog) showLimit(cal *streetdesk.Calendar, cur, now time.Time) {
	text := tr("extension.limit", "Current deadline {{.T}}; at most {{.N}} working days more.", map[string]any{
		"T": cur.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04"), "N": streetdesk.MaxExtensionDays})
	if t, err := time.ParseInLocation("2006-01-02 15:04", strings.TrimSpace(d.date.Text), streetdesk.ChinaTZ); err == nil &&
		cal.CheckExtension(cur, t, now) == nil {
		text += " " + tr("extension.adds", "This adds {{.N}} working days.", map[string]int{"N": cal.WorkdaysBetween(cur, t)})
	}
	d.limit.SetText(text)
}

// returnDialog asks to hand a misrouted order back.
type returnDialog struct {
	*formDialog
	reason *widget.Select
	text   *deskEntry
}

func (v *detailView) onReturn() {
	if !v.allowed(streetdesk.OpRequestReturn) {
		return
	}
	d := &returnDialog{}
	var opts []string
	for _, r := range streetdesk.ReturnReasons {
		opts = append(opts, words().Name(r))
	}
	d.reason = &widget.Select{Options: opts}
	d.reason.SetSelectedIndex(0)
	d.text = newDeskEntry(&deskEntry{Entry: widget.Entry{MultiLine: true, Wrapping: fyne.TextWrapWord, PlaceHolder: tr("return.textHint", "Explain (required for “other”)")}})
	d.text.SetMinRowsVisible(3)
	form := &widget.Form{Items: []*widget.FormItem{
		{Text: tr("return.reason", "Reason"), Widget: d.reason},
		{Text: tr("return.text", "Explanation"), Widget: d.text},
	}}
	d.formDialog = v.newForm(tr("action.requestReturn", "Request return"), form, tr("button.submit", "Submit"), 520, func() error {
		r := streetdesk.ReturnReasons[max(d.reason.SelectedIndex(), 0)]
		text := strings.TrimSpace(d.text.Text)
		if r == streetdesk.ReturnOther && text == "" {
			return streetdesk.Errorf(streetdesk.EINVALID, "%s", tr("return.needText", "For “other”, write why the order should go back."))
		}
		return v.u.desk.RequestReturn(v.u.ctx, v.id, r, text)
	})
	v.ret = d
}

// thumb is a tappable photo thumbnail with its tag and sync state.
type thumb struct {
	widget.BaseWidget
	img   *canvas.Raster
	label *widget.Label
	onTap func()
}

func newThumb(p streetdesk.LocalPhoto, onTap func()) *thumb {
	t := &thumb{onTap: onTap}
	src := p.Thumbnail
	if src == "" {
		src = p.Path
	}
	t.img = thumbnailRaster(src, 240, 180)
	t.img.SetMinSize(fyne.NewSize(120, 90))
	mark := syncMark(p.Sync)
	if p.Sync == streetdesk.SyncUploading && p.Size > 0 {
		mark = fmt.Sprintf("⬆ %d%%", p.Uploaded*100/p.Size)
	}
	if p.Missing {
		mark = tr("photo.missing", "⚠ file missing")
	}
	text := nonEmpty(tagLabel(p.Tag), mark)
	if p.Sync == streetdesk.SyncSynced {
		text = append(text, tr("sync.itemSynced", "✓ synced"))
	}
	t.label = &widget.Label{Text: strings.Join(text, " "), Alignment: fyne.TextAlignCenter, Truncation: fyne.TextTruncateEllipsis}
	t.ExtendBaseWidget(t)
	return t
}

func (t *thumb) Tapped(*fyne.PointEvent) {
	if t.onTap != nil {
		t.onTap()
	}
}

func (t *thumb) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, t.label, nil, nil, t.img))
}
