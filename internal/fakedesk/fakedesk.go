// Package fakedesk is an in-memory streetdesk.Desk for UI tests and previews.
// It applies the real lifecycle and its effects (streetdesk's
// WorkOrder.Apply) for the signed-in user's role, records notes, photos and
// resolutions as pending sync, and exposes a Syncer whose status tests set.
// It is deterministic for a fixed clock.
package fakedesk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // photo dimensions
	_ "image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	streetdesk "github.com/streetdesk/streetdesk"
)

// Options configure a Desk.
type Options struct {
	Now    func() time.Time // default: a fixed 2026-03-12 10:00 CST
	Me     streetdesk.User  // default: 王芳, caseworker of 城管组, 香蜜湖街道
	Orders int              // generated orders in addition to the hand-written samples
	// Review turns on 领导签发 for the team.
	Review bool
	// Recurring adds internal/demo's three recurring problems in me's
	// street office (the hotspot view's material), every other one
	// assigned to me.
	Recurring bool
	// Updates is the update notice's engine (nil: none), see NewUpdates.
	Updates streetdesk.Updates
}

// DefaultNow is the clock of a Desk built without Options.Now.
var DefaultNow = time.Date(2026, 3, 12, 10, 0, 0, 0, streetdesk.ChinaTZ)

type entry struct {
	order      streetdesk.WorkOrder
	pending    int
	notes      []streetdesk.LocalNote
	photos     []streetdesk.LocalPhoto
	res        []streetdesk.LocalResolution
	local      []streetdesk.TimelineEntry
	revoked    bool
	revokeNote streetdesk.Message
}

// Desk is the in-memory desk. Its exported methods are safe for concurrent use.
type Desk struct {
	updates   streetdesk.Updates
	mu        sync.Mutex
	now       func() time.Time
	me        streetdesk.User
	team      streetdesk.Team
	cal       *streetdesk.Calendar
	orders    map[string]*entry
	ids       []string // insertion order, for stable sorts
	conflicts []streetdesk.Conflict
	seq       int
	syncer    *Syncer
	// lastSync is the store's last successful sync (Counts), which the
	// engine's status does not report until its first cycle ends.
	lastSync time.Time

	zones map[string]bool // photo ids whose EXIF time had no zone

	indexing int           // Counts.Indexing (SetIndexing)
	ixWatch  chan struct{} // closed by SetIndexing

	// PhotoMeta, when set, supplies EXIF-like metadata for a file by base name.
	PhotoMeta map[string]streetdesk.ImportedPhoto
	// Calls counts the writes by method name (tests).
	Calls map[string]int
	// Proposals are the event proposals made, in order (tests).
	Proposals []streetdesk.ProposeEventArgs
}

var _ streetdesk.Desk = (*Desk)(nil)

// New returns a Desk with the sample orders and opts.Orders generated ones.
func New(opts Options) *Desk {
	if opts.Now == nil {
		opts.Now = func() time.Time { return DefaultNow }
	}
	if opts.Me.ID == "" {
		opts.Me = streetdesk.User{ID: "u-wangfang", Username: "wangfang", Name: "王芳", Role: streetdesk.RoleCaseworker,
			TeamID: "t-cg", TeamName: "城管组", StreetOffice: "香蜜湖街道", District: "福田区"}
	}
	d := &Desk{
		ixWatch: make(chan struct{}),
		now:     opts.Now,
		me:      opts.Me,
		cal:     streetdesk.DefaultCalendar(),
		orders:  map[string]*entry{},
		syncer:  NewSyncer(),
		Calls:   map[string]int{},
		team: streetdesk.Team{ID: opts.Me.TeamID, Name: opts.Me.TeamName, StreetOffice: opts.Me.StreetOffice,
			District: opts.Me.District, ReviewResolutions: opts.Review, Members: []streetdesk.User{opts.Me,
				{ID: "u-lisi", Username: "lisi", Name: "李四", Role: streetdesk.RoleCaseworker, TeamID: opts.Me.TeamID},
				{ID: "u-zhang", Username: "zhangwei", Name: "张伟", Role: streetdesk.RoleLead, TeamID: opts.Me.TeamID}}},
	}
	d.updates = opts.Updates
	now := opts.Now()
	for _, o := range Samples(now, d.me) {
		d.put(o)
	}
	for _, o := range Generate(now, d.me, opts.Orders) {
		if _, taken := d.orders[o.ID]; taken { // never replace a sample
			o.ID += "-G"
		}
		d.put(o)
	}
	if opts.Recurring {
		for _, o := range RecurringOrders(now, d.me, d.team.Members) {
			d.put(o)
		}
	}
	d.lastSync = now.Add(-18 * time.Minute)
	d.syncer.Set(streetdesk.SyncStatus{State: streetdesk.SyncIdle, LastSync: d.lastSync})
	return d
}

func (d *Desk) put(o streetdesk.WorkOrder) {
	if _, ok := d.orders[o.ID]; !ok {
		d.ids = append(d.ids, o.ID)
	}
	d.orders[o.ID] = &entry{order: o}
}

// AddOrder adds or replaces an order as if a pull brought it (tests: new
// assignments, reopened orders).
func (d *Desk) AddOrder(o streetdesk.WorkOrder) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.orders[o.ID]; ok {
		e.order = o
		return
	}
	d.put(o)
}

// AddConflict puts an entry into the needs-attention inbox.
func (d *Desk) AddConflict(c streetdesk.Conflict) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	c.ID = int64(len(d.conflicts) + 1)
	if c.CreatedAt.IsZero() {
		c.CreatedAt = d.now()
	}
	if e, ok := d.orders[c.OrderID]; ok && c.OrderTitle == "" {
		c.OrderTitle = e.order.Title
	}
	d.conflicts = append(d.conflicts, c)
	return c.ID
}

// SetStoredLastSync sets the last successful sync the store remembers
// (Counts), leaving the engine's status alone (tests: a new engine that
// has not finished a cycle).
func (d *Desk) SetStoredLastSync(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lastSync = t
}

// SetPhotoSync sets the sync state of every photo of an order (tests).
func (d *Desk) SetPhotoSync(id string, s streetdesk.ItemSync) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.orders[id]; ok {
		for i := range e.photos {
			e.photos[i].Sync = s
		}
	}
}

// Syncer returns the fake engine (the same as Sync(), typed).
func (d *Desk) Syncer() *Syncer { return d.syncer }

// Me implements streetdesk.Desk.
func (d *Desk) Me() streetdesk.User { return d.me }

// Sync implements streetdesk.Desk.
func (d *Desk) Sync() streetdesk.Syncer { return d.syncer }

// Team implements streetdesk.Desk.
func (d *Desk) Team(ctx context.Context) (*streetdesk.Team, error) {
	t := d.team
	t.Members = slices.Clone(t.Members)
	return &t, nil
}

func (d *Desk) get(id string) (*entry, error) {
	e, ok := d.orders[id]
	if !ok {
		return nil, streetdesk.Errorf(streetdesk.ENOTFOUND, "order %s not found", id)
	}
	return e, nil
}

func (d *Desk) item(e *entry) streetdesk.QueueItem {
	n := 0
	for _, c := range d.conflicts {
		if c.OrderID == e.order.ID && !c.Dismissed {
			n++
		}
	}
	return streetdesk.QueueItem{Order: e.order, Pending: e.pending, Conflicts: n, Revoked: e.revoked}
}

// Queue implements streetdesk.OrderService.
func (d *Desk) Queue(ctx context.Context, f streetdesk.QueueFilter) (streetdesk.QueuePage, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := f.Now
	if now.IsZero() {
		now = d.now()
	}
	text := strings.TrimSpace(f.Text)
	var matched []*entry
	for _, id := range d.ids {
		e := d.orders[id]
		o := &e.order
		switch {
		case len(f.Statuses) > 0 && !slices.Contains(f.Statuses, o.Status),
			f.Overdue && !o.Overdue(now),
			f.DueWithin > 0 && !o.DueWithin(now, f.DueWithin),
			f.CategoryCode != "" && !strings.HasPrefix(o.Category.L3Code, f.CategoryCode),
			f.District != "" && o.Location.District != f.District,
			f.StreetOffice != "" && o.Location.StreetOffice != f.StreetOffice,
			f.Community != "" && o.Location.Community != f.Community,
			f.AssigneeID != "" && o.AssigneeID != f.AssigneeID,
			text != "" && !e.matches(text):
			continue
		}
		matched = append(matched, e)
	}
	sortEntries(matched, f.Sort)
	total := len(matched)
	limit := f.Limit
	if limit <= 0 {
		limit = streetdesk.DefaultPageSize
	}
	limit = min(limit, streetdesk.MaxPageSize)
	off := min(max(f.Offset, 0), total)
	end := min(off+limit, total)
	items := make([]streetdesk.QueueItem, 0, end-off)
	for _, e := range matched[off:end] {
		items = append(items, d.item(e))
	}
	return streetdesk.QueuePage{Items: items, Total: total}, nil
}

func (e *entry) matches(text string) bool {
	notes := make([]string, len(e.notes))
	for i, n := range e.notes {
		notes[i] = n.Body
	}
	return e.order.MatchesSearch(text, notes...)
}

// sortEntries orders the queue by the domain's rule (streetdesk.CompareQueue).
func sortEntries(es []*entry, s streetdesk.SortOrder) {
	slices.SortFunc(es, func(a, b *entry) int { return streetdesk.CompareQueue(s, &a.order, &b.order) })
}

// Order implements streetdesk.OrderService.
func (d *Desk) Order(ctx context.Context, id string) (*streetdesk.OrderDetail, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.get(id)
	if err != nil {
		return nil, err
	}
	det := &streetdesk.OrderDetail{
		Order:       e.order,
		Notes:       slices.Clone(e.notes),
		Photos:      slices.Clone(e.photos),
		Resolutions: slices.Clone(e.res),
		Pending:     e.pending,
		Revoked:     e.revoked,
		RevokeNote:  e.revokeNote,
		Allowed:     streetdesk.Allowed(e.order.Status, d.me.Role),
	}
	if e.revoked {
		det.Allowed = nil // read only, as the local store has it
	}
	det.Order.History = slices.Clone(e.order.History)
	for _, c := range d.conflicts {
		if c.OrderID == id && !c.Dismissed {
			det.Conflicts = append(det.Conflicts, c)
		}
	}
	det.Timeline = streetdesk.BuildTimeline(streetdesk.TimelineInput{Order: &e.order, Notes: det.Notes, Photos: det.Photos,
		Resolutions: det.Resolutions, Pending: e.local, Name: d.memberName})
	return det, nil
}

func (d *Desk) memberName(id string) string {
	for _, m := range d.team.Members {
		if m.ID == id {
			return m.Name
		}
	}
	return ""
}

// SyncAll plays a successful sync: every pending intent and item is on the
// platform, the platform's history records the status changes, and the
// Syncer reports a finished sync (so watchers reload).
func (d *Desk) SyncAll() {
	d.mu.Lock()
	now := d.now()
	for _, e := range d.orders {
		for _, l := range e.local {
			if !streetdesk.IsFactKind(l.Kind) {
				e.order.History = append(e.order.History, streetdesk.Event{At: l.At, Actor: l.Actor, Kind: l.Kind, Text: l.Text, Cycle: e.order.Cycle})
			}
		}
		e.local, e.pending = nil, 0
		for i := range e.notes {
			e.notes[i].Sync = streetdesk.SyncSynced
		}
		for i := range e.photos {
			e.photos[i].Sync, e.photos[i].BlobPresent = streetdesk.SyncSynced, true
		}
		for i := range e.res {
			e.res[i].Sync = streetdesk.SyncSynced
		}
	}
	d.lastSync = now
	d.mu.Unlock()
	st := d.syncer.Status()
	st.State, st.Pending, st.LastSync, st.Reason, st.Activity = streetdesk.SyncIdle, 0, now, streetdesk.Message{}, streetdesk.Message{}
	d.syncer.Set(st)
}

// Counts implements streetdesk.OrderService.
func (d *Desk) Counts(ctx context.Context) (streetdesk.Counts, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	c := streetdesk.Counts{ByStatus: map[streetdesk.Status]int{}, LastSync: d.lastSync}
	for _, e := range d.orders {
		c.ByStatus[e.order.Status]++
		if e.order.Overdue(now) {
			c.Overdue++
		} else if e.order.DueWithin(now, streetdesk.DueSoonWindow) {
			c.DueSoon++
		}
		c.Pending += e.pending
		for _, p := range e.photos {
			if !p.BlobPresent {
				c.Uploads++
			}
		}
	}
	for _, x := range d.conflicts {
		if !x.Dismissed {
			c.Conflicts++
		}
	}
	c.Indexing = d.indexing
	return c, nil
}

// SetIndexing sets the search index's backlog Counts reports (as after a
// first sync, and 0 when the indexer caught up) and tells IndexChanged's
// watchers.
func (d *Desk) SetIndexing(n int) {
	d.mu.Lock()
	d.indexing = n
	close(d.ixWatch)
	d.ixWatch = make(chan struct{})
	d.mu.Unlock()
}

// IndexChanged implements streetdesk.SearchIndexer.
func (d *Desk) IndexChanged() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ixWatch
}

// apply performs op with args on the order (streetdesk's WorkOrder.Apply,
// the rule the platform and the real desk follow) and records the pending
// intent with its timeline text. The order's history stays the platform's,
// as in the real desk.
// apply applies op and adds its pending timeline line, te (its text and
// coded values).
func (d *Desk) apply(e *entry, op streetdesk.Operation, args any, te streetdesk.TimelineEntry) error {
	now := d.now()
	if _, err := e.order.Apply(op, args, d.me, now); err != nil {
		return err
	}
	e.pending++
	te.At, te.Kind, te.Actor, te.Sync = now, string(op), d.me.Name, streetdesk.SyncPending
	e.local = append(e.local, te)
	d.Calls[string(op)]++
	d.syncer.addPending(1)
	return nil
}

func (d *Desk) newID(prefix string) string {
	d.seq++
	return fmt.Sprintf("%s-%04d", prefix, d.seq)
}

// Accept implements streetdesk.OrderService.
func (d *Desk) Accept(ctx context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.get(id)
	if err != nil {
		return err
	}
	return d.apply(e, streetdesk.OpAccept, nil, streetdesk.TimelineEntry{})
}

func checkText(field, s string, minRunes, maxRunes int) error {
	return streetdesk.CheckText(field, s, minRunes, maxRunes)
}

func (d *Desk) addNote(id string, n streetdesk.Note) error {
	e, err := d.get(id)
	if err != nil {
		return err
	}
	n.ID, n.WorkOrderID, n.AuthorID, n.AuthorName = d.newID("note"), id, d.me.ID, d.me.Name
	n.Cycle, n.CreatedAt, n.AuthorWasAssignee = e.order.Cycle, d.now(), true
	op, args, te := streetdesk.OpAddNote, any(&streetdesk.AddNoteArgs{NoteID: n.ID, Body: n.Body}), streetdesk.TimelineEntry{Text: n.Body}
	if n.Kind == streetdesk.NoteContact {
		te.Method, te.Reached = n.Method, n.Reached
		op, args = streetdesk.OpRecordContact, &streetdesk.RecordContactArgs{NoteID: n.ID, Method: n.Method, Reached: n.Reached, Body: n.Body}
	}
	if err := d.apply(e, op, args, te); err != nil {
		return err
	}
	e.notes = append(e.notes, streetdesk.LocalNote{Note: n, Sync: streetdesk.SyncPending})
	return nil
}

// RecordContact implements streetdesk.OrderService.
func (d *Desk) RecordContact(ctx context.Context, id string, in streetdesk.ContactInput) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !in.Method.Valid() {
		return streetdesk.Errorf(streetdesk.EINVALID, "unknown contact method %q", string(in.Method))
	}
	if err := checkText("contact note", in.Body, 0, streetdesk.MaxNoteRunes); err != nil {
		return err
	}
	return d.addNote(id, streetdesk.Note{Kind: streetdesk.NoteContact, Body: in.Body, Method: in.Method, Reached: in.Reached})
}

// AddNote implements streetdesk.OrderService.
func (d *Desk) AddNote(ctx context.Context, id, body string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := checkText("note", body, 1, streetdesk.MaxNoteRunes); err != nil {
		return err
	}
	return d.addNote(id, streetdesk.Note{Kind: streetdesk.NoteSurvey, Body: body})
}

// AttachPhoto implements streetdesk.OrderService.
func (d *Desk) AttachPhoto(ctx context.Context, id string, p streetdesk.ImportedPhoto, tag streetdesk.PhotoTag, caption string) (streetdesk.PhotoRef, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.attach(id, p, tag, caption)
}

func (d *Desk) attach(id string, p streetdesk.ImportedPhoto, tag streetdesk.PhotoTag, caption string) (streetdesk.PhotoRef, error) {
	e, err := d.get(id)
	if err != nil {
		return streetdesk.PhotoRef{}, err
	}
	if !tag.Valid() {
		return streetdesk.PhotoRef{}, streetdesk.Errorf(streetdesk.EINVALID, "unknown photo tag %q", string(tag))
	}
	if err := checkText("caption", caption, 0, streetdesk.MaxCaptionRunes); err != nil {
		return streetdesk.PhotoRef{}, err
	}
	if slices.ContainsFunc(e.photos, func(x streetdesk.LocalPhoto) bool { return x.SHA256 == p.SHA256 }) {
		return streetdesk.PhotoRef{}, streetdesk.PhotoAlreadyAttached()
	}
	if len(e.photos) >= streetdesk.MaxPhotosPerOrder {
		return streetdesk.PhotoRef{}, streetdesk.Errorf(streetdesk.EINVALID, "an order may have at most %d photos", streetdesk.MaxPhotosPerOrder)
	}
	if _, err := streetdesk.Apply(e.order.Status, streetdesk.OpAttachPhoto, d.me.Role); err != nil {
		return streetdesk.PhotoRef{}, err
	}
	ref := streetdesk.PhotoRef{ID: d.newID("photo"), WorkOrderID: id, SHA256: p.SHA256, Size: p.Size, MIME: p.MIME, Tag: tag,
		Caption: caption, TakenAt: p.TakenAt, AuthorID: d.me.ID, Cycle: e.order.Cycle, CreatedAt: d.now()}
	if p.HasGPS {
		ref.Lat, ref.Lng = p.Lat, p.Lng
	}
	e.photos = append(e.photos, streetdesk.LocalPhoto{PhotoRef: ref, Sync: streetdesk.SyncPending, Path: p.Path,
		Thumbnail: p.Path, Width: p.Width, Height: p.Height})
	if p.ZoneAssumed && !p.TakenAt.IsZero() {
		d.zoneAssumed(ref.ID)
	}
	args := &streetdesk.AttachPhotoArgs{PhotoRefID: ref.ID, SHA256: ref.SHA256, Size: ref.Size, MIME: ref.MIME, Tag: tag,
		Caption: caption, TakenAt: ref.TakenAt, Lat: ref.Lat, Lng: ref.Lng}
	return ref, d.apply(e, streetdesk.OpAttachPhoto, args, streetdesk.TimelineEntry{Photos: 1, Tag: tag, Text: caption})
}

// AttachPhotos implements streetdesk.Desk: it checks each file the way the
// real importer does (size, type, dimensions) without copying it.
// Like the real desk it attaches every file it can and returns the first
// error, naming its file.
func (d *Desk) AttachPhotos(ctx context.Context, id string, in []streetdesk.PhotoInput) ([]streetdesk.PhotoRef, error) {
	var refs []streetdesk.PhotoRef
	var first error
	for _, p := range in {
		imp, err := d.importFile(p.Path)
		if err == nil {
			d.mu.Lock()
			var ref streetdesk.PhotoRef
			ref, err = d.attach(id, imp, p.Tag, p.Caption)
			d.mu.Unlock()
			if err == nil {
				refs = append(refs, ref)
				continue
			}
		}
		if first == nil {
			first = fmt.Errorf("%s: %w", filepath.Base(p.Path), err)
		}
	}
	return refs, first
}

func (d *Desk) importFile(path string) (streetdesk.ImportedPhoto, error) {
	st, err := os.Stat(path)
	if err != nil {
		return streetdesk.ImportedPhoto{}, streetdesk.Errorf(streetdesk.EINVALID, "cannot read %s", filepath.Base(path))
	}
	switch {
	case st.Size() == 0:
		return streetdesk.ImportedPhoto{}, streetdesk.Errorf(streetdesk.EINVALID, "the file is empty").Saying(streetdesk.Msg(streetdesk.MsgErrFileEmpty))
	case st.Size() > streetdesk.MaxPhotoBytes:
		return streetdesk.ImportedPhoto{}, streetdesk.Errorf(streetdesk.EINVALID, "the file is larger than 50 MiB").Saying(streetdesk.Msg(streetdesk.MsgErrTooManyBytes, "MiB", 50))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return streetdesk.ImportedPhoto{}, streetdesk.Errorf(streetdesk.EINVALID, "cannot read %s", filepath.Base(path))
	}
	if len(data) > 12 && string(data[4:8]) == "ftyp" {
		return streetdesk.ImportedPhoto{}, streetdesk.Errorf(streetdesk.EINVALID, "HEIC photos are not supported; export them as JPEG first").Saying(streetdesk.Msg(streetdesk.MsgErrPhotoHEIC))
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if bytes.HasPrefix(data, []byte{0xFF, 0xD8}) || bytes.HasPrefix(data, []byte("\x89PNG")) {
			return streetdesk.ImportedPhoto{}, streetdesk.Errorf(streetdesk.EINVALID, "the photo is damaged or incomplete").Saying(streetdesk.Msg(streetdesk.MsgErrPhotoDamaged))
		}
		return streetdesk.ImportedPhoto{}, streetdesk.Errorf(streetdesk.EINVALID, "this file is not a photo (JPEG or PNG)").Saying(streetdesk.Msg(streetdesk.MsgErrNotPhoto))
	}
	if cfg.Width*cfg.Height > streetdesk.MaxPhotoPixels {
		return streetdesk.ImportedPhoto{}, streetdesk.Errorf(streetdesk.EINVALID, "the photo is too large (more than 100 megapixels)").Saying(streetdesk.Msg(streetdesk.MsgErrTooManyPixels, "MP", 100))
	}
	imp := streetdesk.ImportedPhoto{SHA256: fmt.Sprintf("%064x", len(data)), Path: path, Size: st.Size(),
		MIME: "image/" + format, Width: cfg.Width, Height: cfg.Height, Orientation: 1}
	if m, ok := d.PhotoMeta[filepath.Base(path)]; ok {
		imp.TakenAt, imp.Lat, imp.Lng, imp.HasGPS, imp.Camera = m.TakenAt, m.Lat, m.Lng, m.HasGPS, m.Camera
		imp.ZoneAssumed = m.ZoneAssumed
	}
	return imp, nil
}

// Resolve implements streetdesk.OrderService.
func (d *Desk) Resolve(ctx context.Context, id string, in streetdesk.ResolveInput) (streetdesk.Resolution, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.get(id)
	if err != nil {
		return streetdesk.Resolution{}, err
	}
	r := streetdesk.Resolution{ID: d.newID("res"), WorkOrderID: id, Cycle: e.order.Cycle, Outcome: in.Outcome, Reply: in.Reply,
		PhotoRefIDs: slices.Clone(in.PhotoRefIDs), PublishPhotoRefIDs: slices.Clone(in.PublishPhotoRefIDs),
		State: streetdesk.ResolutionSubmitted, AuthorID: d.me.ID, CreatedAt: d.now()}
	if err := r.Validate(); err != nil {
		return streetdesk.Resolution{}, err
	}
	for _, pid := range in.PhotoRefIDs {
		if !slices.ContainsFunc(e.photos, func(p streetdesk.LocalPhoto) bool { return p.ID == pid }) {
			return streetdesk.Resolution{}, streetdesk.Errorf(streetdesk.EINVALID, "photo %s is not attached to this order", pid)
		}
	}
	if d.team.ReviewResolutions {
		r.State = streetdesk.ResolutionReview
	}
	r.EvidenceChecks = d.resolutionChecks(id, in)
	args := &streetdesk.SubmitResolutionArgs{ResolutionID: r.ID, Outcome: r.Outcome, Reply: r.Reply, PhotoRefIDs: r.PhotoRefIDs,
		PublishPhotoRefIDs: r.PublishPhotoRefIDs}
	if err := d.apply(e, streetdesk.SubmitOp(d.team.ReviewResolutions), args, streetdesk.TimelineEntry{Outcome: in.Outcome, Text: in.Reply}); err != nil {
		return streetdesk.Resolution{}, err
	}
	e.res = append(e.res, streetdesk.LocalResolution{Resolution: r, Sync: streetdesk.SyncPending})
	return r, nil
}

// RequestReturn implements streetdesk.OrderService.
func (d *Desk) RequestReturn(ctx context.Context, id string, reason streetdesk.ReturnReason, text string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.get(id)
	if err != nil {
		return err
	}
	if !reason.Valid() {
		return streetdesk.Errorf(streetdesk.EINVALID, "unknown return reason %q", string(reason))
	}
	minRunes := 0
	if reason == streetdesk.ReturnOther {
		minRunes = 1
	}
	if err := checkText("return reason text", text, minRunes, streetdesk.MaxReasonRunes); err != nil {
		return err
	}
	return d.apply(e, streetdesk.OpRequestReturn, &streetdesk.RequestReturnArgs{Reason: reason, Text: text}, streetdesk.TimelineEntry{Value: string(reason), Text: text})
}

// RequestExtension implements streetdesk.OrderService.
func (d *Desk) RequestExtension(ctx context.Context, id string, reason string, newResolveBy time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.get(id)
	if err != nil {
		return err
	}
	if err := checkText("extension reason", reason, 1, streetdesk.MaxReasonRunes); err != nil {
		return err
	}
	if err := d.cal.CheckExtension(e.order.Deadlines.ResolveBy, newResolveBy, d.now()); err != nil {
		return err
	}
	return d.apply(e, streetdesk.OpRequestExtension, &streetdesk.RequestExtensionArgs{Reason: reason, NewResolveBy: newResolveBy}, streetdesk.TimelineEntry{Text: reason})
}

// Reassign implements streetdesk.OrderService.
func (d *Desk) Reassign(ctx context.Context, ids []string, to, reason string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range ids {
		e, err := d.get(id)
		if err != nil {
			return err
		}
		if _, err := streetdesk.Apply(e.order.Status, streetdesk.OpReassign, d.me.Role); err != nil {
			return err
		}
	}
	target, ok := d.team.Member(to)
	if !ok {
		return streetdesk.Errorf(streetdesk.EINVALID, "reassign: %s is not a member of the team", to)
	}
	for _, id := range ids {
		if err := d.apply(d.orders[id], streetdesk.OpReassign, &streetdesk.Reassignment{To: target, Reason: reason}, streetdesk.TimelineEntry{Value: target.Name, Text: reason}); err != nil {
			return err
		}
	}
	return nil
}

// ApproveReview implements streetdesk.OrderService.
func (d *Desk) ApproveReview(ctx context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.get(id)
	if err != nil {
		return err
	}
	return d.apply(e, streetdesk.OpApproveReview, nil, streetdesk.TimelineEntry{})
}

// SendBack implements streetdesk.OrderService.
func (d *Desk) SendBack(ctx context.Context, id, comment string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.get(id)
	if err != nil {
		return err
	}
	if err := checkText("review comment", comment, 1, streetdesk.MaxReasonRunes); err != nil {
		return err
	}
	return d.apply(e, streetdesk.OpSendBack, &streetdesk.SendBackArgs{Comment: comment}, streetdesk.TimelineEntry{Text: comment})
}

// ProposeEvent implements streetdesk.OrderService: the members are checked
// as localdb checks them, and the proposal waits on the first one.
func (d *Desk) ProposeEvent(ctx context.Context, in streetdesk.EventInput) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.me.Role != streetdesk.RoleLead {
		return "", streetdesk.Errorf(streetdesk.EFORBIDDEN, "only a lead proposes events").Saying(streetdesk.Msg(streetdesk.MsgErrLeadOnlyPropose))
	}
	args := streetdesk.ProposeEventArgs{ProposalID: "0190a1b2-c3d4-7e5f-8a9b-" + fmt.Sprintf("%012d", d.seq+1), Title: in.Title,
		Reason: in.Reason, Department: in.Department, MemberIDs: in.OrderIDs, HotspotID: in.HotspotID}
	raw, _ := json.Marshal(args)
	if _, err := streetdesk.DecodeArgs(streetdesk.MutProposeEvent, raw); err != nil {
		return "", err
	}
	var first *entry
	for _, id := range in.OrderIDs {
		e, err := d.get(id)
		if err != nil {
			return "", err
		}
		if e.order.TeamID != d.me.TeamID {
			return "", streetdesk.OrderErr(streetdesk.EFORBIDDEN, streetdesk.MsgErrNotYourTeam, id)
		}
		if e.order.IsEvent() {
			return "", streetdesk.OrderErr(streetdesk.EINVALID, streetdesk.MsgErrIsEvent, id)
		}
		if e.order.EventID != "" {
			return "", streetdesk.OrderErr(streetdesk.EINVALID, streetdesk.MsgErrInEvent, id, "Event", e.order.EventID)
		}
		if first == nil {
			first = e
		}
	}
	d.seq++
	if err := d.apply(first, streetdesk.OpProposeEvent, &args, streetdesk.TimelineEntry{Text: in.Title}); err != nil {
		return "", err
	}
	d.Proposals = append(d.Proposals, args)
	return args.ProposalID, nil
}

// Hotspots implements streetdesk.Desk: the analysis over the desk's orders
// in the signed-in user's scope, with the sample duty list.
func (d *Desk) Hotspots(ctx context.Context, q streetdesk.HotspotQuery) (*streetdesk.HotspotReport, error) {
	d.mu.Lock()
	d.Calls["Hotspots"]++
	now := d.now()
	var orders []streetdesk.WorkOrder
	for _, id := range d.ids {
		if e := d.orders[id]; !e.revoked && streetdesk.InHotspotScope(d.me, &e.order) {
			orders = append(orders, e.order)
		}
	}
	d.mu.Unlock()
	opt := q.Options(now)
	opt.Duty = taxonomy
	return streetdesk.FindHotspots(orders, opt)
}

// Conflicts implements streetdesk.OrderService.
func (d *Desk) Conflicts(ctx context.Context, includeDismissed bool) ([]streetdesk.Conflict, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []streetdesk.Conflict
	for _, c := range d.conflicts {
		if includeDismissed || !c.Dismissed {
			out = append(out, c)
		}
	}
	return out, nil
}

// DismissConflict implements streetdesk.OrderService.
func (d *Desk) DismissConflict(ctx context.Context, id int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range d.conflicts {
		if d.conflicts[i].ID == id {
			d.conflicts[i].Dismissed = true
			return nil
		}
	}
	return streetdesk.Errorf(streetdesk.ENOTFOUND, "conflict %d not found", id)
}

// Syncer is a fake sync engine: tests set its status; SyncNow is counted.
type Syncer struct {
	mu     sync.Mutex
	st     streetdesk.SyncStatus
	ch     chan struct{}
	calls  int
	OnSync func() // called (outside the lock) by SyncNow when set
}

// NewSyncer returns an idle Syncer.
func NewSyncer() *Syncer {
	return &Syncer{ch: make(chan struct{}), st: streetdesk.SyncStatus{State: streetdesk.SyncIdle}}
}

// SyncNow implements streetdesk.Syncer.
func (s *Syncer) SyncNow() {
	s.mu.Lock()
	s.calls++
	f := s.OnSync
	s.mu.Unlock()
	if f != nil {
		f()
	}
}

// Calls returns how many times SyncNow was called.
func (s *Syncer) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Status implements streetdesk.Syncer.
func (s *Syncer) Status() streetdesk.SyncStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	st.Uploads = slices.Clone(st.Uploads)
	return st
}

// Notify implements streetdesk.Syncer.
func (s *Syncer) Notify() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

// Set publishes a new status and wakes the watchers.
func (s *Syncer) Set(st streetdesk.SyncStatus) {
	s.mu.Lock()
	s.st = st
	close(s.ch)
	s.ch = make(chan struct{})
	s.mu.Unlock()
}

func (s *Syncer) addPending(n int) {
	s.mu.Lock()
	st := s.st
	s.mu.Unlock()
	st.Pending += n
	s.Set(st)
}
