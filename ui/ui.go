// Package ui is the caseworker's desktop screens (Fyne). It talks only to
// the root domain interfaces (streetdesk.Desk); the wiring lives in
// cmd/streetdesk, which alone imports fyne.io/fyne/v2/app.
package ui

import (
	"context"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// mainDo runs f on Fyne's goroutine; tests replace it with a queue they
// drain on the test goroutine.
var mainDo = fyne.Do

// Options configure the UI.
type Options struct {
	Desk          streetdesk.Desk // nil → show the sign-in screen first
	Login         func(ctx context.Context, server, username, password string) (streetdesk.Desk, error)
	SignOut       func(ctx context.Context) error // keeps unsynced work
	DefaultServer string
	// DefaultUsername is the last one signed in here (the sign-in screen
	// fills it and puts the cursor in the first empty field).
	DefaultUsername string
	Now             func() time.Time              // injectable clock (countdowns, golden images)
	Notify          func(title, body string)      // default: fyne.CurrentApp().SendNotification
	OpenFiles       func(cb func(paths []string)) // optional override of the file dialog (tests)
	// Board configures the team lead's board, shown as the first tab when a
	// lead signs in (Now defaults to Options.Now; WatchSync is ignored: the
	// UI's own sync watcher tells the board when a sync finishes).
	Board BoardOptions
	// About is what the About box says about this installation.
	About AboutInfo
	// ExportEvidence writes an order's evidence package to path
	// (cmd/streetdesk writes it beside path and renames it); nil hides the
	// detail view's 证据包 button.
	ExportEvidence func(ctx context.Context, orderID, path string) (*streetdesk.EvidenceExport, error)
	// SaveFile asks where to save a file called suggested and calls cb with
	// the chosen path ("" when cancelled); default: Fyne's file-save dialog.
	SaveFile func(suggested string, cb func(path string))
}

// UI is the main window's content.
type UI struct {
	w    fyne.Window
	opts Options
	desk streetdesk.Desk
	cal  *streetdesk.Calendar

	ctx    context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup // background work (sign-in, watchers) for tests to wait on

	signin    *signin
	bar       *syncBar
	queue     *queueView
	detail    *detailView
	attention *attentionView
	attnBtn   *widget.Button
	signOut   *widget.Button

	msg    *widget.Label // the last message or confirmation shown
	msgPop *widget.PopUp
	msgOK  *widget.Button

	watchStop chan struct{}
	seen      *seenOrders
	board     *Board             // leads only
	tabs      *container.AppTabs // (the lead's board,) the orders and the hotspots
	tabOrders *container.TabItem
	hot       *hotspotView
	tabHot    *container.TabItem
	about     *aboutView

	settings    *widget.PopUp   // open settings, nil when none
	langChoice  *languageChoice // the settings' language (tests)
	settingsBtn *widget.Button  // ⚙ in the sync bar
}

// New builds the UI into w (SetContent) and installs its shortcuts.
func New(w fyne.Window, opts Options) *UI {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Notify == nil {
		opts.Notify = func(title, body string) {
			if a := fyne.CurrentApp(); a != nil {
				a.SendNotification(fyne.NewNotification(title, body))
			}
		}
	}
	u := &UI{w: w, opts: opts, cal: streetdesk.DefaultCalendar()}
	u.ctx, u.cancel = context.WithCancel(context.Background())
	languageFromPrefs()
	if opts.Desk == nil {
		u.showSignIn()
	} else {
		u.start(opts.Desk)
	}
	return u
}

func (u *UI) now() time.Time { return u.opts.Now() }

func (u *UI) showSignIn() {
	// The main window's keys go with it.
	c := u.w.Canvas()
	c.SetOnTypedKey(nil)
	for _, k := range []fyne.KeyName{fyne.KeyF, fyne.KeyN, fyne.KeyS} {
		c.RemoveShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault})
	}
	u.w.SetOnDropped(nil)
	u.signin = newSignIn(u.opts.DefaultServer, u.opts.DefaultUsername, u.onLoggedIn, u.opts.Login, &u.bg, u.ctx)
	u.signin.focus = u.w.Canvas().Focus
	u.langChoice = newLanguageChoice(u.chooseLanguage)
	u.signin.setLanguage(u.langChoice.sel)
	u.w.SetContent(u.signin.content)
	if e := u.signin.firstEmpty(); e != nil {
		u.w.Canvas().Focus(e)
	}
}

func (u *UI) onLoggedIn(d streetdesk.Desk) { u.start(d) }

// rebuild builds the screens again in the language now set: the sign-in
// screen with what was typed, or the main window with the same order open.
func (u *UI) rebuild() {
	if u.desk == nil {
		if u.signin != nil {
			u.opts.DefaultServer, u.opts.DefaultUsername = u.signin.server.Text, u.signin.username.Text
		}
		u.showSignIn()
		return
	}
	id := ""
	if u.detail != nil {
		id = u.detail.id
	}
	u.stopWatch()
	u.closeBoard()
	u.start(u.desk)
	if id != "" {
		u.openOrder(id)
	}
}

// start shows the main window for a signed-in desk.
func (u *UI) start(d streetdesk.Desk) {
	u.desk = d
	u.seen = newSeenOrders()
	u.bar = newSyncBar(d, u.now, u.onSyncNow)
	u.detail = newDetailView(u)
	u.queue = newQueueView(u.ctx, d, u.now, u.cal, u.onSelect)
	u.attention = newAttentionView(u)
	u.attnBtn = &widget.Button{Icon: nil, Importance: widget.LowImportance, OnTapped: u.onAttention, Alignment: widget.ButtonAlignLeading}
	u.signOut = &widget.Button{Text: tr("main.signOut", "Sign out"), Importance: widget.LowImportance, OnTapped: u.onSignOut}
	if u.opts.SignOut == nil {
		u.signOut.Hide()
	}
	left := container.NewBorder(nil, container.NewHBox(u.attnBtn), nil, nil, u.queue.content)
	split := container.NewHSplit(left, u.detail.content)
	split.Offset = 0.38
	u.about = newAboutView(u, d)
	u.settingsBtn = u.settingsButton()
	u.bar.right.Add(u.settingsBtn)
	u.bar.right.Add(u.about.notice)
	u.bar.right.Add(u.about.button)
	u.bar.right.Add(u.signOut)
	u.tabOrders = container.NewTabItem(tr("main.tabOrders", "Orders"), split)
	u.hot = newHotspotView(u.ctx, d, &u.bg, u.openOrder)
	u.hot.u = u
	u.tabHot = container.NewTabItem(tr("main.tabHotspots", "Hotspots"), u.hot.content)
	u.tabs = container.NewAppTabs(u.tabOrders, u.tabHot)
	if d.Me().Role == streetdesk.RoleLead {
		bo := u.opts.Board
		if bo.Now == nil {
			bo.Now = u.opts.Now
		}
		bo.WatchSync = false // the UI's own sync watcher tells it (Refresh, Changed)
		bo.OpenOrder = u.openOrder
		u.board = NewBoardWith(u.w, d, bo)
		u.queue.assignee = u.board.memberName
		u.tabs = container.NewAppTabs(container.NewTabItem(tr("main.tabBoard", "Team board"), u.board), u.tabOrders, u.tabHot)
	}
	// The analysis runs when the tab is first opened, then after each sync.
	u.tabs.OnSelected = func(ti *container.TabItem) {
		if ti == u.tabHot {
			u.hot.activate()
		}
	}
	content := container.NewBorder(container.NewVBox(u.bar.content, widget.NewSeparator()), nil, nil, nil, u.tabs)
	u.w.SetContent(content)
	u.bar.relayout = content.Refresh
	u.installShortcuts()
	u.w.SetOnDropped(u.onDropped)
	u.updateAttention()
	u.checkNotifications()
	u.watchSync()
	u.watchClock()
	u.watchIndex()
	u.about.watch(u.watchStop)
}

// watchIndex follows the search index's backlog (a first sync's orders
// are indexed in the background), so the queue says while it is built.
func (u *UI) watchIndex() {
	if si, ok := u.desk.(streetdesk.SearchIndexer); ok {
		watchEach(u, si.IndexChanged, nil, u.queue.showIndexing)
	}
}

// tickEvery is how often countdowns and due-soon notifications follow the clock.
var tickEvery = time.Minute

// watchClock refreshes the countdowns and checks for orders newly due
// within 2 hours as time passes, also when no sync brings anything.
func (u *UI) watchClock() {
	t := time.NewTicker(tickEvery)
	watchEach(u, func() <-chan time.Time { return t.C }, t.Stop, func() {
		u.queue.list.Refresh()
		if u.board != nil {
			u.board.tick()
		}
		u.detail.refreshRemaining()
		u.checkNotifications()
	})
}

// watchEach runs f on the main goroutine each time next's channel fires,
// until the watchers stop (sign-out) or the UI closes; done, if set, runs
// then. The next channel is taken before f reads anything, so no change
// is missed.
func watchEach[T any](u *UI, next func() <-chan T, done func(), f func()) {
	stop := u.watchStop
	ch := next()
	u.bg.Add(1)
	go func() {
		defer u.bg.Done()
		if done != nil {
			defer done()
		}
		for {
			select {
			case <-stop:
				return
			case <-u.ctx.Done():
				return
			case <-ch:
			}
			ch = next()
			mainDo(func() {
				if u.desk != nil && u.ctx.Err() == nil {
					f()
				}
			})
		}
	}()
}

// Refresh reloads the queue, the open order and the inbox count from the
// Desk, and tells the lead's board that the data changed.
func (u *UI) Refresh() {
	if u.desk == nil {
		return
	}
	u.changed()
	u.checkNotifications()
	u.hot.refresh()
}

// changed is called after a local write: the queue row, detail and bar
// follow; the lead's board re-reads when it is shown.
func (u *UI) changed() {
	u.queue.reload()
	u.detail.reload()
	u.updateAttention()
	u.bar.update()
	if u.board != nil {
		u.board.Changed()
	}
}

func (u *UI) onSelect(id string) { u.detail.show(id) }

// openOrder shows order id in the orders tab (a lead's click on a row of
// the board), selected in the queue when it is there.
func (u *UI) openOrder(id string) {
	if u.tabs != nil {
		u.tabs.Select(u.tabOrders)
	}
	if !u.queue.selectID(id) {
		u.detail.show(id)
	}
}

func (u *UI) onSyncNow() {
	if s := u.desk.Sync(); s != nil {
		s.SyncNow()
	}
}

func (u *UI) updateAttention() {
	cs, err := u.desk.Conflicts(u.ctx, false)
	n := len(cs)
	if err != nil {
		n = 0
	}
	u.attnBtn.SetText(tr("attention.button", "⚠ Needs attention ({{.N}})", map[string]int{"N": n}))
	if n > 0 {
		u.attnBtn.Importance = widget.WarningImportance
	} else {
		u.attnBtn.Importance = widget.LowImportance
	}
	u.attnBtn.Refresh()
}

func (u *UI) onAttention() { u.attention.show() }

func (u *UI) onSignOut() {
	pending := 0
	if c, err := u.desk.Counts(u.ctx); err == nil {
		pending = c.Pending
	}
	msg := tr("signout.confirmNone", "Sign out? Everything has been sent to the platform.")
	if pending > 0 {
		msg = tr("signout.confirmPending", "{{.N}} changes have not been sent yet. They are kept on this computer and will be sent the next time you sign in. Sign out?", map[string]int{"N": pending})
	}
	u.confirm(tr("signout.title", "Sign out"), msg, func() {
		if err := u.opts.SignOut(u.ctx); err != nil {
			u.showError(err)
			return
		}
		u.stopWatch()
		u.closeBoard()
		u.desk = nil
		u.showSignIn()
	})
}

// watchSync follows the engine's status; widget updates go through fyne.Do.
func (u *UI) watchSync() {
	stop := make(chan struct{})
	u.watchStop = stop
	s := u.desk.Sync()
	if s == nil {
		return
	}
	followSync(u.ctx, stop, s, &u.bg, func(done bool) {
		if u.desk == nil {
			return
		}
		u.bar.update()
		// A finished sync may have brought new orders: reload then.
		if done {
			u.Refresh()
		}
	})
}

// followSync calls f on the main goroutine after each change of the
// engine's status, saying whether a sync finished (the only change that
// may bring new data), until stop closes (nil: never) or ctx ends.
func followSync(ctx context.Context, stop <-chan struct{}, s streetdesk.Syncer, wg *sync.WaitGroup, f func(done bool)) {
	// Take the channel before reading the status so no change is missed.
	ch := s.Notify()
	last := s.Status()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-ch:
			}
			if ctx.Err() != nil {
				return
			}
			ch = s.Notify()
			st := s.Status()
			// A sync finished: the engine left syncing, or a later sync is
			// recorded (one seen only after it ended). A status without
			// the time (a publisher that drops it) is no finished sync.
			done := last.State == streetdesk.SyncSyncing && st.State != streetdesk.SyncSyncing || st.LastSync.After(last.LastSync)
			last = st
			mainDo(func() {
				if ctx.Err() == nil {
					f(done)
				}
			})
		}
	}()
}

func (u *UI) stopWatch() {
	if u.watchStop != nil {
		close(u.watchStop)
		u.watchStop = nil
	}
}

// Close stops the background work (the window's owner calls it on close).
// It waits for the lead board's loads (Board.Close) but not for the
// watchers: they return at their next wake-up, and what they hand to the
// main goroutine goes through fyne.Do, which queues and never blocks.
func (u *UI) Close() {
	u.stopWatch()
	u.closeBoard()
	u.cancel()
}

func (u *UI) closeBoard() {
	if u.board != nil {
		u.board.Close()
		u.board = nil
	}
}

func (u *UI) installShortcuts() {
	c := u.w.Canvas()
	mod := fyne.KeyModifierShortcutDefault
	for _, k := range []fyne.KeyName{fyne.KeyF, fyne.KeyN, fyne.KeyS} {
		c.AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: mod}, func(s fyne.Shortcut) { u.onShortcut(s) })
	}
	u.queue.searchWidget.passKeys = u.onShortcut
	u.queue.focusList = func() { c.Focus(u.queue.listWidget) }
	u.queue.listWidget.onEnter = u.detail.focusActions
	u.queue.listWidget.pageDelta = func() int {
		return max(int(u.queue.list.Size().Height/newQueueRow().MinSize().Height)-1, 1)
	}
	// With nothing focused: the arrows move the selection, Esc closes the
	// top popup.
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if u.tabs.Selected() == u.tabHot && (ev.Name == fyne.KeyDown || ev.Name == fyne.KeyUp) {
			u.hot.move(ev.Name == fyne.KeyDown)
			return
		}
		switch ev.Name {
		case fyne.KeyDown:
			u.queue.toList(0)
			u.queue.move(1)
		case fyne.KeyUp:
			u.queue.toList(0)
			u.queue.move(-1)
		case fyne.KeyEscape:
			closeTopPopUp(c)
		}
	})
}

// onShortcut runs Ctrl+F (search), Ctrl+N (survey note) and Ctrl+S (sync
// now) and reports whether s was one of them.
func (u *UI) onShortcut(s fyne.Shortcut) bool {
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok || cs.Modifier != fyne.KeyModifierShortcutDefault {
		return false
	}
	switch cs.KeyName {
	case fyne.KeyF:
		if u.tabs.Selected() == u.tabHot { // search is the orders'
			u.tabs.Select(u.tabOrders)
		}
		if u.board != nil && u.tabs.Selected() != u.tabOrders {
			u.board.FocusSearch()
			break
		}
		u.focusSearch()
	case fyne.KeyN:
		u.detail.onNote()
	case fyne.KeyS:
		u.onSyncNow()
	default:
		return false
	}
	return true
}

// dialogShortcut is what of the window's shortcuts works from a dialog:
// Ctrl+S (sync now). Ctrl+F and Ctrl+N would reach behind the dialog.
func (u *UI) dialogShortcut(s fyne.Shortcut) bool {
	if cs, ok := s.(*desktop.CustomShortcut); ok && cs.KeyName == fyne.KeyS && cs.Modifier == fyne.KeyModifierShortcutDefault {
		u.onSyncNow()
		return true
	}
	return false
}

func (u *UI) focusSearch() { u.w.Canvas().Focus(u.queue.searchWidget) }

func (u *UI) onDropped(_ fyne.Position, uris []fyne.URI) {
	var paths []string
	for _, x := range uris {
		if x.Scheme() == "file" {
			paths = append(paths, x.Path())
		}
	}
	if len(paths) > 0 {
		u.detail.onPhotos(paths)
	}
}

// showError tells the user what went wrong in plain words.
func (u *UI) showError(err error) {
	u.message(tr("error.title", "Could not do that"), errorText(err))
}

func (u *UI) message(title, text string) {
	lbl := &widget.Label{Text: text, Wrapping: fyne.TextWrapWord}
	var d *widget.PopUp
	ok := &widget.Button{Text: tr("button.ok", "OK"), Importance: widget.HighImportance, OnTapped: func() { d.Hide() }}
	keys := newKeyTrap(ok.OnTapped, ok.OnTapped) // Esc and Enter close it
	d = widget.NewModalPopUp(container.NewVBox(&widget.Label{Text: title, TextStyle: fyne.TextStyle{Bold: true}}, lbl, container.NewHBox(ok, keys)), u.w.Canvas())
	d.Resize(fyne.NewSize(420, 0))
	d.Show()
	u.w.Canvas().Focus(keys)
	u.msg, u.msgPop, u.msgOK = lbl, d, ok
}

func (u *UI) confirm(title, text string, yes func()) {
	lbl := &widget.Label{Text: text, Wrapping: fyne.TextWrapWord}
	var d *widget.PopUp
	no := &widget.Button{Text: tr("button.cancel", "Cancel"), OnTapped: func() { d.Hide() }}
	ok := &widget.Button{Text: tr("button.ok", "OK"), Importance: widget.HighImportance, OnTapped: func() { d.Hide(); yes() }}
	keys := newKeyTrap(no.OnTapped, ok.OnTapped) // Esc: no; Enter: yes
	d = widget.NewModalPopUp(container.NewVBox(&widget.Label{Text: title, TextStyle: fyne.TextStyle{Bold: true}}, lbl, container.NewHBox(no, ok, keys)), u.w.Canvas())
	d.Resize(fyne.NewSize(460, 0))
	d.Show()
	u.w.Canvas().Focus(keys)
	u.msg, u.msgPop, u.msgOK = lbl, d, ok
}

// copyText puts s on the clipboard.
func (u *UI) copyText(s string) {
	if a := fyne.CurrentApp(); a != nil && a.Clipboard() != nil {
		a.Clipboard().SetContent(s)
	}
}

// seenOrders remembers what the queue held at the last refresh, to notify
// about what is new.
type seenOrders struct {
	primed     bool
	dispatched map[string]bool
	reopened   map[string]int // id → cycle
	dueSoon    map[string]bool
}

func newSeenOrders() *seenOrders {
	return &seenOrders{dispatched: map[string]bool{}, reopened: map[string]int{}, dueSoon: map[string]bool{}}
}

// checkNotifications diffs the queue against the last refresh: a new
// assignment, an order due within 2 hours, a reopened order.
func (u *UI) checkNotifications() {
	s := u.seen
	// One page each keeps this cheap on the UI goroutine: new assignments
	// come first in dispatch order, and few orders are reopened or due soon.
	ids := func(f streetdesk.QueueFilter) []streetdesk.QueueItem {
		f.Now, f.Limit = u.now(), streetdesk.MaxPageSize
		p, err := u.desk.Queue(u.ctx, f)
		if err != nil {
			return nil
		}
		return p.Items
	}
	var notes [][2]string
	for _, it := range ids(streetdesk.QueueFilter{Statuses: []streetdesk.Status{streetdesk.StatusDispatched}, Sort: streetdesk.SortDispatched}) {
		if !s.dispatched[it.Order.ID] && s.primed {
			notes = append(notes, [2]string{tr("notify.new", "New work order"), it.Order.Title + " · " + it.Order.Location.Address})
		}
		s.dispatched[it.Order.ID] = true
	}
	for _, it := range ids(streetdesk.QueueFilter{Statuses: []streetdesk.Status{streetdesk.StatusReopened}}) {
		if c, ok := s.reopened[it.Order.ID]; (!ok || c < it.Order.Cycle) && s.primed {
			body := it.Order.Title
			if it.Order.ReopenReason != "" {
				body += " · " + it.Order.ReopenReason
			}
			notes = append(notes, [2]string{tr("notify.reopened", "Reopened"), body})
		}
		s.reopened[it.Order.ID] = it.Order.Cycle
	}
	var due []streetdesk.QueueItem
	for _, it := range ids(streetdesk.QueueFilter{DueWithin: streetdesk.DueSoonWindow}) {
		if !s.dueSoon[it.Order.ID] && it.Order.Status.Open() {
			due = append(due, it)
		}
		s.dueSoon[it.Order.ID] = true
	}
	switch {
	case len(due) > 3:
		notes = append(notes, [2]string{tr("notify.dueSoon", "Due within 2 hours"),
			tr("notify.dueSoonMany", "{{.N}} work orders are due within 2 hours", map[string]int{"N": len(due)})})
	default:
		for _, it := range due {
			notes = append(notes, [2]string{tr("notify.dueSoon", "Due within 2 hours"),
				fmt.Sprintf("%s · %s", it.Order.Title, words().Remaining(it.Order.CurrentDeadline(), u.now()))})
		}
	}
	s.primed = true
	for _, n := range notes {
		u.opts.Notify(n[0], n[1])
	}
}
