// Package desktest is the contract of streetdesk.Desk as the screens rely on
// it, run against every implementation: the in-memory fake the UI tests use
// (internal/fakedesk) and the real desk (desk.Service over localdb, media and
// the sync engine, against a real platform). When the fake drifts from the
// real thing, this suite fails for one of them.
package desktest

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
)

// Env is a desk under test.
type Env struct {
	Desk streetdesk.Desk
	// Dispatched are orders waiting to be accepted (待签收) by Desk's user,
	// or by a caseworker of the lead's team when Desk's user is a lead. Their
	// titles contain Marker.
	Dispatched []string
	// AwaitingReview are orders whose resolution waits for the lead (only in
	// a lead's Env with review on).
	AwaitingReview []string
	// Other is a caseworker of the team other than the assignee of
	// Dispatched.
	Other streetdesk.User
}

// Marker is in the title of every order an Env makes for the contract.
const Marker = "合同测试"

// Spec says what Env a test needs.
type Spec struct {
	Role   streetdesk.Role // RoleCaseworker or RoleLead
	Review bool            // the team reviews resolutions (领导签发)
	// Dispatched and AwaitingReview are how many orders of each to make.
	Dispatched, AwaitingReview int
}

// NewEnv makes a fresh Env to spec.
type NewEnv func(t *testing.T, s Spec) *Env

// Run runs the contract against the desks newEnv makes.
func Run(t *testing.T, newEnv NewEnv) {
	for _, c := range []struct {
		name string
		spec Spec
		run  func(t *testing.T, e *Env)
	}{
		{"QueueAndDetail", Spec{Role: streetdesk.RoleCaseworker, Dispatched: 2}, queueAndDetail},
		{"Accept", Spec{Role: streetdesk.RoleCaseworker, Dispatched: 1}, accept},
		{"NotesAndContacts", Spec{Role: streetdesk.RoleCaseworker, Dispatched: 1}, notes},
		{"Requests", Spec{Role: streetdesk.RoleCaseworker, Dispatched: 2}, requests},
		{"Resolve", Spec{Role: streetdesk.RoleCaseworker, Dispatched: 1}, resolve(false)},
		{"ResolveForReview", Spec{Role: streetdesk.RoleCaseworker, Review: true, Dispatched: 1}, resolve(true)},
		{"Photos", Spec{Role: streetdesk.RoleCaseworker, Dispatched: 1}, photos},
		{"UnknownOrder", Spec{Role: streetdesk.RoleCaseworker}, unknownOrder},
		{"Reassign", Spec{Role: streetdesk.RoleLead, Dispatched: 2}, reassign},
		{"Review", Spec{Role: streetdesk.RoleLead, Review: true, AwaitingReview: 2}, review},
		{"Hotspots", Spec{Role: streetdesk.RoleCaseworker, Dispatched: 3}, hotspots},
		{"HotspotsLead", Spec{Role: streetdesk.RoleLead, Dispatched: 3}, hotspots},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.spec)
			if len(e.Dispatched) != c.spec.Dispatched || len(e.AwaitingReview) != c.spec.AwaitingReview {
				t.Fatalf("env has %d dispatched and %d awaiting review orders, want %d and %d",
					len(e.Dispatched), len(e.AwaitingReview), c.spec.Dispatched, c.spec.AwaitingReview)
			}
			c.run(t, e)
		})
	}
}

var ctx = context.Background()

func order(t *testing.T, e *Env, id string) *streetdesk.OrderDetail {
	t.Helper()
	d, err := e.Desk.Order(ctx, id)
	if err != nil {
		t.Fatalf("Order(%s): %v", id, err)
	}
	return d
}

// refused checks that err has code and that the order is as it was.
func refused(t *testing.T, e *Env, what string, err error, code string, id string, before *streetdesk.OrderDetail) {
	t.Helper()
	if got := streetdesk.ErrorCode(err); got != code {
		t.Fatalf("%s: %v (code %q), want code %q", what, err, got, code)
	}
	after := order(t, e, id)
	if after.Order.Status != before.Order.Status || after.Pending != before.Pending ||
		len(after.Notes) != len(before.Notes) || len(after.Photos) != len(before.Photos) || len(after.Resolutions) != len(before.Resolutions) {
		t.Fatalf("%s was refused but changed the order: status %s→%s, pending %d→%d, notes %d→%d, photos %d→%d, resolutions %d→%d",
			what, before.Order.Status, after.Order.Status, before.Pending, after.Pending, len(before.Notes), len(after.Notes),
			len(before.Photos), len(after.Photos), len(before.Resolutions), len(after.Resolutions))
	}
}

func queueAndDetail(t *testing.T, e *Env) {
	page, err := e.Desk.Queue(ctx, streetdesk.QueueFilter{Text: Marker, Limit: streetdesk.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range page.Items {
		ids = append(ids, it.Order.ID)
	}
	for _, id := range e.Dispatched {
		if !slices.Contains(ids, id) {
			t.Errorf("the text search for %s does not list %s: %v", Marker, id, ids)
		}
	}
	page, err = e.Desk.Queue(ctx, streetdesk.QueueFilter{Statuses: []streetdesk.Status{streetdesk.StatusAccepted}, Text: Marker})
	if err != nil || page.Total != 0 {
		t.Errorf("no order is accepted yet, the accepted filter lists %d (%v)", page.Total, err)
	}
	d := order(t, e, e.Dispatched[0])
	want := []streetdesk.Operation{streetdesk.OpAccept, streetdesk.OpRequestReturn}
	if d.Order.Status != streetdesk.StatusDispatched || !slices.Equal(d.Allowed, want) || d.Pending != 0 {
		t.Errorf("a dispatched order: status %s, allowed %v (want %v), pending %d", d.Order.Status, d.Allowed, want, d.Pending)
	}
	if d.Order.Deadlines.ResolveBy.IsZero() || d.Order.Title == "" {
		t.Errorf("the detail lacks its deadline or title: %+v", d.Order)
	}
	me := e.Desk.Me()
	team, err := e.Desk.Team(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := team.Member(me.ID); !ok {
		t.Errorf("the team roster does not list the signed-in user %s: %+v", me.ID, team.Members)
	}
}

func accept(t *testing.T, e *Env) {
	id := e.Dispatched[0]
	before := order(t, e, id)
	counts, err := e.Desk.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Desk.Accept(ctx, id); err != nil {
		t.Fatal(err)
	}
	d := order(t, e, id)
	if d.Order.Status != streetdesk.StatusAccepted || d.Order.AcceptedAt.IsZero() || d.Pending != 1 {
		t.Fatalf("after accepting: status %s, acceptedAt %v, pending %d", d.Order.Status, d.Order.AcceptedAt, d.Pending)
	}
	if d.Order.AssigneeID != before.Order.AssigneeID {
		t.Errorf("accepting changed the assignee from %s to %s", before.Order.AssigneeID, d.Order.AssigneeID)
	}
	for _, op := range []streetdesk.Operation{streetdesk.OpAddNote, streetdesk.OpRecordContact, streetdesk.OpSubmitResolution, streetdesk.OpRequestExtension} {
		if !slices.Contains(d.Allowed, op) {
			t.Errorf("an accepted order does not allow %s: %v", op, d.Allowed)
		}
	}
	after, err := e.Desk.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Pending != counts.Pending+1 || after.ByStatus[streetdesk.StatusAccepted] != counts.ByStatus[streetdesk.StatusAccepted]+1 {
		t.Errorf("counts after accepting: pending %d→%d, accepted %d→%d", counts.Pending, after.Pending,
			counts.ByStatus[streetdesk.StatusAccepted], after.ByStatus[streetdesk.StatusAccepted])
	}
	page, err := e.Desk.Queue(ctx, streetdesk.QueueFilter{Statuses: []streetdesk.Status{streetdesk.StatusAccepted}, Text: Marker})
	if err != nil || page.Total != 1 || page.Items[0].Order.ID != id || page.Items[0].Pending != 1 {
		t.Errorf("the queue's accepted filter after accepting: %+v (%v)", page, err)
	}
	refused(t, e, "accepting twice", e.Desk.Accept(ctx, id), streetdesk.EINVALID, id, d)
}

func notes(t *testing.T, e *Env) {
	id := e.Dispatched[0]
	before := order(t, e, id)
	refused(t, e, "a note on an order not accepted", e.Desk.AddNote(ctx, id, "现场查看"), streetdesk.EINVALID, id, before)
	if err := e.Desk.Accept(ctx, id); err != nil {
		t.Fatal(err)
	}
	before = order(t, e, id)
	refused(t, e, "an empty note", e.Desk.AddNote(ctx, id, "  "), streetdesk.EINVALID, id, before)
	refused(t, e, "a note over the limit", e.Desk.AddNote(ctx, id, strings.Repeat("长", streetdesk.MaxNoteRunes+1)), streetdesk.EINVALID, id, before)
	refused(t, e, "a contact by pigeon", e.Desk.RecordContact(ctx, id, streetdesk.ContactInput{Method: "pigeon", Body: "x"}), streetdesk.EINVALID, id, before)
	if err := e.Desk.AddNote(ctx, id, "现场查看：井盖缺失"); err != nil {
		t.Fatal(err)
	}
	if err := e.Desk.RecordContact(ctx, id, streetdesk.ContactInput{Method: streetdesk.ContactPhone, Reached: true, Body: "已联系市民"}); err != nil {
		t.Fatal(err)
	}
	d := order(t, e, id)
	if len(d.Notes) != 2 || d.Pending != before.Pending+2 {
		t.Fatalf("after a note and a contact: %d notes, pending %d", len(d.Notes), d.Pending)
	}
	kinds := map[streetdesk.NoteKind]string{}
	for _, n := range d.Notes {
		kinds[n.Kind] = n.Body
		if n.Sync != streetdesk.SyncPending || n.AuthorID != e.Desk.Me().ID {
			t.Errorf("a new note: sync %s, author %s", n.Sync, n.AuthorID)
		}
	}
	if kinds[streetdesk.NoteSurvey] != "现场查看：井盖缺失" || kinds[streetdesk.NoteContact] != "已联系市民" {
		t.Errorf("notes by kind: %v", kinds)
	}
	if d.Order.FirstContact.IsZero() || d.Order.Status != streetdesk.StatusAccepted {
		t.Errorf("after the first contact: firstContact %v, status %s", d.Order.FirstContact, d.Order.Status)
	}
}

func requests(t *testing.T, e *Env) {
	ext, ret := e.Dispatched[0], e.Dispatched[1]
	if err := e.Desk.Accept(ctx, ext); err != nil {
		t.Fatal(err)
	}
	before := order(t, e, ext)
	due := before.Order.Deadlines.ResolveBy
	refused(t, e, "an extension to before the deadline", e.Desk.RequestExtension(ctx, ext, "等待材料", due.Add(-time.Hour)), streetdesk.EINVALID, ext, before)
	later := streetdesk.DefaultCalendar().AddWorkdays(due, 2) // a working day: a weekend date is refused
	sunday := due.In(streetdesk.ChinaTZ).AddDate(0, 0, 1)
	for sunday.Weekday() != time.Sunday {
		sunday = sunday.AddDate(0, 0, 1)
	}
	refused(t, e, "an extension to a day off", e.Desk.RequestExtension(ctx, ext, "等待材料", sunday), streetdesk.EINVALID, ext, before)
	refused(t, e, "an extension without a reason", e.Desk.RequestExtension(ctx, ext, "", later), streetdesk.EINVALID, ext, before)
	if err := e.Desk.RequestExtension(ctx, ext, "需协调供电部门", later); err != nil {
		t.Fatal(err)
	}
	d := order(t, e, ext)
	if d.Order.Status != streetdesk.StatusExtensionRequested || d.Order.ExtensionRequest == nil || d.Order.ExtensionRequest.Reason != "需协调供电部门" {
		t.Errorf("after requesting an extension: %s %+v", d.Order.Status, d.Order.ExtensionRequest)
	}

	before = order(t, e, ret)
	refused(t, e, "a return for another reason without text", e.Desk.RequestReturn(ctx, ret, streetdesk.ReturnOther, ""), streetdesk.EINVALID, ret, before)
	refused(t, e, "a return for no known reason", e.Desk.RequestReturn(ctx, ret, "bored", "x"), streetdesk.EINVALID, ret, before)
	if err := e.Desk.RequestReturn(ctx, ret, streetdesk.ReturnNotOurArea, "属相邻街道"); err != nil {
		t.Fatal(err)
	}
	d = order(t, e, ret)
	if d.Order.Status != streetdesk.StatusReturnRequested || d.Order.ReturnRequest == nil || d.Order.ReturnRequest.Reason != streetdesk.ReturnNotOurArea {
		t.Errorf("after requesting a return: %s %+v", d.Order.Status, d.Order.ReturnRequest)
	}
}

const reply = "已更换损坏的井盖，现场已恢复通行，感谢您的反映。"

func resolve(review bool) func(t *testing.T, e *Env) {
	return func(t *testing.T, e *Env) {
		id := e.Dispatched[0]
		if err := e.Desk.Accept(ctx, id); err != nil {
			t.Fatal(err)
		}
		before := order(t, e, id)
		_, err := e.Desk.Resolve(ctx, id, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "已处理"})
		refused(t, e, "a reply that says nothing", err, streetdesk.EINVALID, id, before)
		_, err = e.Desk.Resolve(ctx, id, streetdesk.ResolveInput{Outcome: "maybe", Reply: reply})
		refused(t, e, "an unknown outcome", err, streetdesk.EINVALID, id, before)
		_, err = e.Desk.Resolve(ctx, id, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: reply,
			PhotoRefIDs: []string{"0190f3a2-1111-7abc-8def-000000000009"}})
		refused(t, e, "a photo of no order", err, streetdesk.EINVALID, id, before)
		r, err := e.Desk.Resolve(ctx, id, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: reply})
		if err != nil {
			t.Fatal(err)
		}
		wantStatus, wantState := streetdesk.StatusResolved, streetdesk.ResolutionSubmitted
		if review {
			wantStatus, wantState = streetdesk.StatusAwaitingReview, streetdesk.ResolutionReview
		}
		if r.State != wantState || r.Reply != reply {
			t.Errorf("the resolution: state %s (want %s), reply %q", r.State, wantState, r.Reply)
		}
		d := order(t, e, id)
		if d.Order.Status != wantStatus || len(d.Resolutions) != 1 || d.Resolutions[0].ID != r.ID || d.Resolutions[0].Sync != streetdesk.SyncPending {
			t.Errorf("after resolving: status %s (want %s), resolutions %+v", d.Order.Status, wantStatus, d.Resolutions)
		}
	}
}

func photos(t *testing.T, e *Env) {
	id := e.Dispatched[0]
	if err := e.Desk.Accept(ctx, id); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "site.jpg")
	var buf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		img.Set(x, x%48, color.RGBA{R: 200, A: 255})
	}
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "notes.jpg")
	for p, b := range map[string][]byte{good: buf.Bytes(), bad: []byte("这不是照片")} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	before := order(t, e, id)
	_, err := e.Desk.AttachPhotos(ctx, id, []streetdesk.PhotoInput{{Path: bad, Tag: streetdesk.PhotoBefore}})
	refused(t, e, "a file that is not a photo", err, streetdesk.EINVALID, id, before)
	refs, err := e.Desk.AttachPhotos(ctx, id, []streetdesk.PhotoInput{{Path: good, Tag: streetdesk.PhotoAfter, Caption: "整改后"}})
	if err != nil || len(refs) != 1 {
		t.Fatalf("attaching a photo: %v %+v", err, refs)
	}
	d := order(t, e, id)
	if len(d.Photos) != 1 || d.Photos[0].ID != refs[0].ID || d.Photos[0].Tag != streetdesk.PhotoAfter || d.Photos[0].Caption != "整改后" || d.Pending != before.Pending+1 {
		t.Fatalf("after attaching: %+v, pending %d", d.Photos, d.Pending)
	}
	r, err := e.Desk.Resolve(ctx, id, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: reply, PhotoRefIDs: []string{refs[0].ID}})
	if err != nil || !slices.Equal(r.PhotoRefIDs, []string{refs[0].ID}) {
		t.Fatalf("resolving with the photo: %v %+v", err, r)
	}
}

func unknownOrder(t *testing.T, e *Env) {
	const id = "WO-NOWHERE-1"
	if _, err := e.Desk.Order(ctx, id); streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
		t.Errorf("Order of an unknown id: %v", err)
	}
	if err := e.Desk.Accept(ctx, id); streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
		t.Errorf("Accept of an unknown id: %v", err)
	}
	if err := e.Desk.DismissConflict(ctx, 424242); streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
		t.Errorf("DismissConflict of an unknown id: %v", err)
	}
	cs, err := e.Desk.Conflicts(ctx, true)
	if err != nil || len(cs) != 0 {
		t.Errorf("a fresh desk's conflicts: %+v, %v", cs, err)
	}
}

func reassign(t *testing.T, e *Env) {
	id := e.Dispatched[0]
	before := order(t, e, id)
	if !slices.Contains(before.Allowed, streetdesk.OpReassign) {
		t.Fatalf("a lead may not reassign a dispatched order: %v", before.Allowed)
	}
	refused(t, e, "reassigning to a stranger", e.Desk.Reassign(ctx, []string{id}, "nobody-at-all", "调整"), streetdesk.EINVALID, id, before)
	if err := e.Desk.Reassign(ctx, []string{id}, e.Other.ID, "片区调整"); err != nil {
		t.Fatal(err)
	}
	d := order(t, e, id)
	if d.Order.AssigneeID != e.Other.ID || d.Order.AssigneeName != e.Other.Name || d.Order.Status != streetdesk.StatusDispatched || !d.Order.AcceptedAt.IsZero() || d.Pending != 1 {
		t.Errorf("after reassigning to %s: assignee %s %s, status %s, acceptedAt %v, pending %d", e.Other.ID,
			d.Order.AssigneeID, d.Order.AssigneeName, d.Order.Status, d.Order.AcceptedAt, d.Pending)
	}
	if other := order(t, e, e.Dispatched[1]); other.Order.AssigneeID != before.Order.AssigneeID {
		t.Errorf("reassigning one order moved another to %s", other.Order.AssigneeID)
	}
}

func review(t *testing.T, e *Env) {
	ok, back := e.AwaitingReview[0], e.AwaitingReview[1]
	d := order(t, e, ok)
	if d.Order.Status != streetdesk.StatusAwaitingReview || !slices.Contains(d.Allowed, streetdesk.OpApproveReview) || !slices.Contains(d.Allowed, streetdesk.OpSendBack) {
		t.Fatalf("an order awaiting review: %s, allowed %v", d.Order.Status, d.Allowed)
	}
	if err := e.Desk.ApproveReview(ctx, ok); err != nil {
		t.Fatal(err)
	}
	if d := order(t, e, ok); d.Order.Status != streetdesk.StatusResolved {
		t.Errorf("after approving: %s", d.Order.Status)
	}
	before := order(t, e, back)
	refused(t, e, "sending back without a comment", e.Desk.SendBack(ctx, back, " "), streetdesk.EINVALID, back, before)
	if err := e.Desk.SendBack(ctx, back, "请补充整改后照片"); err != nil {
		t.Fatal(err)
	}
	if d := order(t, e, back); d.Order.Status != streetdesk.StatusAccepted || d.Order.ReviewComment != "请补充整改后照片" {
		t.Errorf("after sending back: %s, comment %q", d.Order.Status, d.Order.ReviewComment)
	}
}

// hotspots: the Env's dispatched orders share their category and place
// (and name no citizen, so each counts as its own), so they are one
// hotspot for the caseworker and for the lead; a window of no days is
// EINVALID.
func hotspots(t *testing.T, e *Env) {
	r, err := e.Desk.Hotspots(ctx, streetdesk.DefaultHotspotQuery())
	if err != nil {
		t.Fatal(err)
	}
	var found *streetdesk.Hotspot
	for i, h := range r.Hotspots {
		for _, o := range h.Orders {
			if o.ID == e.Dispatched[0] {
				found = &r.Hotspots[i]
			}
		}
	}
	if found == nil {
		t.Fatalf("no hotspot holds %s: %+v (input %+v)", e.Dispatched[0], r.Hotspots, r.Input)
	}
	for _, id := range e.Dispatched {
		if !slices.ContainsFunc(found.Orders, func(o streetdesk.HotspotOrder) bool { return o.ID == id }) {
			t.Errorf("hotspot %s lacks %s", found.ID, id)
		}
	}
	if found.Trend != streetdesk.TrendNew || !found.HasCentre || found.Citizens < 2 || len(r.Points) < len(e.Dispatched) {
		t.Errorf("hotspot %+v, %d points", found, len(r.Points))
	}
	q := streetdesk.DefaultHotspotQuery()
	q.Window = 0
	if _, err := e.Desk.Hotspots(ctx, q); streetdesk.ErrorCode(err) != streetdesk.EINVALID {
		t.Errorf("a window of no days: %v, want EINVALID", err)
	}
}
