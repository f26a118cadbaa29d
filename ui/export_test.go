package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// Tests run every main-goroutine call on the test goroutine, in order, when
// they ask for it: no data races with the watchers, no sleeps.
var mainQueue = make(chan func(), 10000)

func init() {
	mainDo = func(f func()) { mainQueue <- f }
	searchDelay = 0
}

// RunMain waits for at least one queued main-goroutine call and runs every
// call queued so far.
func RunMain(t testing.TB) {
	t.Helper()
	select {
	case f := <-mainQueue:
		f()
	case <-time.After(10 * time.Second):
		t.Fatal("no main-goroutine call arrived")
	}
	DrainMain()
}

// DrainMain runs the queued main-goroutine calls without waiting.
func DrainMain() {
	for {
		select {
		case f := <-mainQueue:
			f()
		default:
			return
		}
	}
}

// SetSearchDelay sets the search debounce (0: search at once).
func SetSearchDelay(d time.Duration) func() {
	old := searchDelay
	searchDelay = d
	return func() { searchDelay = old }
}

// Sign-in screen.
func (u *UI) SignInForm() (server, username, password *widget.Entry, button *widget.Button, status *widget.Label) {
	s := u.signin
	return &s.server.Entry, &s.username.Entry, &s.password.Entry, s.button, s.status
}
func (u *UI) WaitBackground()                 { u.bg.Wait() }
func (u *UI) Desk() streetdesk.Desk           { return u.desk }
func (u *UI) AttentionButton() *widget.Button { return u.attnBtn }

// Sync bar.
type SyncBarView struct {
	Who, Pending, LastSync, Message *widget.Label
	State                           string
	Uploads                         int
	SyncNow                         *widget.Button
}

func (u *UI) SyncBar() SyncBarView {
	b := u.bar
	return SyncBarView{Who: b.who, Pending: b.pending, LastSync: b.lastSyncLabel, Message: b.message, State: b.state.Text,
		Uploads: len(b.uploads.Objects), SyncNow: b.syncNow}
}

// Queue.
type QueueView struct {
	Search                                 *widget.Entry
	Status, Due, Category, Community, Sort *widget.Select
	Count                                  *widget.Label
	List                                   *widget.List
	Empty                                  *widget.Label // the empty state's message
	Indexing                               *widget.Label // the search index is being built
}

func (u *UI) Queue() QueueView {
	q := u.queue
	return QueueView{Search: q.search, Status: q.statusSel, Due: q.dueSel, Category: q.catSel, Community: q.placeSel,
		Sort: q.sortSel, Count: q.count, List: q.list, Empty: q.empty, Indexing: q.indexing}
}

// QueueRowText returns what row i shows: countdown, title, place, chip, badges.
func (u *UI) QueueRowText(i int) [5]string {
	r := newQueueRow()
	u.queue.updateRow(i, r)
	return [5]string{r.deadline.Text, r.fullTitle, r.fullPlace, r.chip.Text, r.fullBadges}
}

// QueueRowShown returns the title and place row i shows at width.
func (u *UI) QueueRowShown(i int, width float32) (title, place string) {
	r := newQueueRow()
	u.queue.updateRow(i, r)
	r.Resize(fyne.NewSize(width, r.MinSize().Height))
	r.Refresh()
	return r.title.Text, r.place.Text
}
func (u *UI) QueueTotal() int                     { return u.queue.total }
func (u *UI) QueueSelected() string               { return u.queue.selected }
func (u *UI) QueuePagesLoaded() int               { return len(u.queue.pages) }
func (u *UI) QueueFilter() streetdesk.QueueFilter { return u.queue.filter }

// Detail.
type DetailView struct {
	Header, State, Title, Category, Department, Address, Coords, Channel, Citizen, Complaint, Notice, Saved *widget.Label
	Remaining                                                                                               string
	Timeline                                                                                                []string
	Photos                                                                                                  int
	Actions                                                                                                 []string
	Copy                                                                                                    *widget.Button
}

func (u *UI) Detail() DetailView {
	v := u.detail
	d := DetailView{Header: v.header, State: v.state, Title: v.title, Category: v.category, Department: v.department,
		Address: v.address, Coords: v.coords, Channel: v.channel, Citizen: v.citizen, Complaint: v.complaint,
		Notice: v.notice, Saved: v.saved, Remaining: v.remaining.Text, Copy: v.copyCoords}
	if v.timeline.Text != "" {
		d.Timeline = strings.Split(v.timeline.Text, "\n")
	}
	for _, o := range v.photos.Objects {
		if _, ok := o.(*thumb); ok {
			d.Photos++
		}
	}
	for _, b := range v.actions.buttons {
		d.Actions = append(d.Actions, b.Text)
	}
	return d
}

// Action returns the button of op, nil when it is absent.
func (u *UI) Action(op streetdesk.Operation) *widget.Button { return u.detail.buttons[op] }
func (u *UI) DetailContent() fyne.CanvasObject              { return u.detail.content }
func (u *UI) TapThumb(i int)                                { u.detail.openPhoto(i) }
func (u *UI) Drop(paths []string) {
	var uris []fyne.URI
	for _, p := range paths {
		uris = append(uris, storage.NewFileURI(p))
	}
	u.onDropped(fyne.Position{}, uris)
}

// Dialogs.
type Form struct {
	Save, Cancel *widget.Button
	Error        *widget.Label
	Visible      bool
}

func form(f *formDialog) Form {
	return Form{Save: f.save, Cancel: f.cancel, Error: f.err, Visible: f.pop.Visible()}
}

func (u *UI) ContactDialog() (Form, *widget.RadioGroup, *widget.Check, *widget.Entry) {
	d := u.detail.contact
	return form(d.formDialog), d.method, d.reached, &d.text.Entry
}
func (u *UI) NoteDialog() (Form, *widget.Entry, []*widget.Button) {
	d := u.detail.note
	return form(d.formDialog), &d.text.Entry, d.phrases
}
func (u *UI) NoteOpen() bool { return u.detail.note != nil && u.detail.note.pop.Visible() }
func (u *UI) PhotoDialog() (Form, *widget.Button, *widget.Label, *widget.RadioGroup, *widget.Entry) {
	d := u.detail.photoDlg
	return form(d.formDialog), d.choose, d.files, d.tag, &d.caption.Entry
}
func (u *UI) ExtensionDialog() (Form, *widget.Entry, *widget.Entry) {
	d := u.detail.extension
	return form(d.formDialog), &d.reason.Entry, &d.date.Entry
}
func (u *UI) ReturnDialog() (Form, *widget.Select, *widget.Entry) {
	d := u.detail.ret
	return form(d.formDialog), d.reason, &d.text.Entry
}

type ResolveView struct {
	Form
	Outcome                   *widget.RadioGroup
	Reply                     *widget.Entry
	Counter, Warning, Summary *widget.Label
	Photos                    []*widget.Check
	Publish                   []*widget.Check // nil for photos that are not "after"
	Cite                      *widget.Button  // nil unless the order's event is resolved
}

func (u *UI) ResolveDialog() ResolveView {
	d := u.detail.resolve
	return ResolveView{Form: form(d.formDialog), Outcome: d.outcome, Reply: &d.reply.Entry, Counter: d.counter, Warning: d.warning,
		Summary: d.summary, Photos: d.photos, Publish: d.publish, Cite: d.cite}
}

type PhotoViewerView struct {
	Info, Warning, Count   *widget.Label
	ZoomIn, ZoomOut, Close *widget.Button
	Zoom                   float32
	Index                  int
	Visible                bool
}

func (u *UI) PhotoViewer() PhotoViewerView {
	p := u.detail.viewer
	return viewerView(p)
}

func viewerView(p *photoViewer) PhotoViewerView {
	return PhotoViewerView{Info: p.info, Warning: p.warning, Count: p.count, ZoomIn: p.zoomIn, ZoomOut: p.zoomOut, Close: p.close,
		Zoom: p.zoom, Index: p.index, Visible: p.pop.Visible()}
}

// Needs attention.
type ConflictCard struct {
	Title, Explanation, Status   *widget.Label
	Dismiss, Open, Copy, AddNote *widget.Button // Copy, AddNote nil when they do not fit
}

func (u *UI) AttentionCards() []ConflictCard {
	var out []ConflictCard
	for _, k := range u.attention.items {
		out = append(out, ConflictCard{Title: k.title, Explanation: k.explanation, Status: k.status, Dismiss: k.dismiss, Open: k.open,
			Copy: k.copy, AddNote: k.addNote})
	}
	return out
}
func (u *UI) AttentionOpen() bool { return u.attention.pop.Visible() }

// Errors.
func ErrorText(err error) string { return errorText(err) }
func LangCode() string           { return langCode() }

// Message returns the text of the last message or confirmation shown and whether it is still up.
func (u *UI) Message() (string, bool) {
	if u.msg == nil {
		return "", false
	}
	return u.msg.Text, u.msgPop.Visible()
}

// ConfirmMessage taps OK on the last confirmation.
func (u *UI) ConfirmOK() *widget.Button { return u.msgOK }

func (u *UI) SignOutButton() *widget.Button { return u.signOut }

// QueueFocusable is the list widget as the canvas focuses it.
func (u *UI) QueueFocusable() fyne.Focusable { return u.queue.listWidget }

// SearchFocusable is the search box as the canvas focuses it.
func (u *UI) SearchFocusable() fyne.Focusable { return u.queue.searchWidget }

// SetTick sets how often the clock watcher runs (for UIs built afterwards).
func SetTick(d time.Duration) func() {
	old := tickEvery
	tickEvery = d
	return func() { tickEvery = old }
}

// ShowOrdersTab selects a lead's orders tab.
func (u *UI) ShowOrdersTab() { u.tabs.Select(u.tabOrders) }

// MinSizes reports the minimum sizes of the main window's parts (debugging
// a window that asks for too much).
func (u *UI) MinSizes() map[string]fyne.Size {
	m := map[string]fyne.Size{"bar": u.bar.content.MinSize(), "queue": u.queue.content.MinSize(), "detail": u.detail.content.MinSize()}
	if u.board != nil {
		m["board"] = u.board.MinSize()
	}
	return m
}

// SignInFocusables are the sign-in fields as the canvas focuses them.
func (u *UI) SignInFocusables() (server, username, password fyne.Focusable) {
	s := u.signin
	return s.server, s.username, s.password
}

// Focused is what the window's keyboard goes to.
func (u *UI) Focused() fyne.Focusable { return u.w.Canvas().Focused() }

// NoteEntry, ContactEntry are the dialogs' text fields as the canvas focuses them.
func (u *UI) NoteEntry() fyne.Focusable    { return u.detail.note.text }
func (u *UI) ContactEntry() fyne.Focusable { return u.detail.contact.text }
func (u *UI) ContactOpen() bool            { return u.detail.contact != nil && u.detail.contact.pop.Visible() }

// QueueRowPosition is where row 0 of the queue is on the canvas.
func (u *UI) QueueRowPosition() fyne.Position {
	return fyne.CurrentApp().Driver().AbsolutePositionForObject(u.queue.listWidget).Add(fyne.NewPos(60, 20))
}

// StatusFocusable is the queue's state filter as the canvas focuses it.
func (u *UI) StatusFocusable() fyne.Focusable { return u.queue.statusSel }

// ExtensionDateFocusable is the extension dialog's date field as the canvas focuses it.
func (u *UI) ExtensionDateFocusable() fyne.Focusable { return u.detail.extension.date }

// QueueRowID is the id of the order on row i.
func (u *UI) QueueRowID(i int) string {
	it, _ := u.queue.item(i)
	return it.Order.ID
}

// OpenOrderFromBoard is a lead's click on an order of the board.
func (u *UI) OpenOrderFromBoard(id string) { u.board.opts.OpenOrder(id) }

// Photo picker.
type PhotoPickerView struct {
	Entries     []string // names, folders first
	Chosen      []string
	Dir         string
	Info        string
	Count       string
	Title       string
	Places      []string
	Visible     bool
	Keys        fyne.Focusable
	Add, Cancel *widget.Button
	Click       func(i int) // a click on row i
}

// OpenPhotoPicker opens the picker at dir (empty: where it would open).
func (u *UI) OpenPhotoPicker(dir string, done func([]string)) func() PhotoPickerView {
	var p *photoPicker
	if dir == "" {
		p = showPhotoPicker(u.w, done)
	} else {
		p = openPhotoPicker(u.w, dir, done)
	}
	return func() PhotoPickerView { return pickerView(p) }
}

func pickerView(p *photoPicker) PhotoPickerView {
	v := PhotoPickerView{Chosen: p.chosen, Dir: p.dir, Info: p.info.Text, Count: p.count.Text, Visible: p.pop.Visible(),
		Keys: p.list, Add: p.add, Cancel: p.cancel, Click: func(i int) { p.list.Select(i) }}
	for _, e := range p.entries {
		v.Entries = append(v.Entries, e.name)
	}
	for _, o := range p.places.Objects {
		v.Places = append(v.Places, o.(*widget.Button).Text)
	}
	return v
}

// PhotoDialogRefused is the photo dialog's line about files it refused.
func (u *UI) PhotoDialogRefused() *widget.Label { return u.detail.photoDlg.refused }

// Settings.
func (u *UI) SettingsButton() *widget.Button { return u.settingsBtn }
func (u *UI) SettingsOpen() bool             { return u.settings != nil && u.settings.Visible() }

// ChooseLanguage picks an option of the open settings' (or the sign-in
// screen's) language choice by its text.
func (u *UI) ChooseLanguage(option string) { u.langChoice.sel.SetSelected(option) }

// SignInLanguage is the sign-in screen's language choice.
func (u *UI) SignInLanguage() *widget.Select { return u.langChoice.sel }

// TimelineLine renders a timeline entry as the detail does.
func TimelineLine(e streetdesk.TimelineEntry) string { return timelineLine(e) }

// Board is a lead's board (nil for a caseworker).
func (u *UI) Board() *Board { return u.board }

// ShowBoardTab selects a lead's board tab.
func (u *UI) ShowBoardTab() { u.tabs.SelectIndex(0) }
