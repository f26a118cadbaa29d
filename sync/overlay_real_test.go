package sync_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	gosync "sync"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
	"github.com/streetdesk/streetdesk/sync"
)

// stepClock is one wall clock for the platform and the desks, moved by hand
// (whole seconds: the desk keeps milliseconds).
type stepClock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) step() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Minute)
}

// overlayRig is a real platform with a caseworker's and a lead's desk on one
// clock.
type overlayRig struct {
	t      *testing.T
	e      *realEnv
	clock  *stepClock
	cw, ld *desk
}

func newOverlayRig(t *testing.T) *overlayRig {
	clk := &stepClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, streetdesk.ChinaTZ)} // a Tuesday
	e := newRealEnv(t, func(c *platform.Config) { c.Now = clk.Now })
	e.deskNow = clk.Now
	r := &overlayRig{t: t, e: e, clock: clk}
	r.cw = e.desk("", e.cw, sync.Options{})
	r.ld = e.desk("", e.lead, sync.Options{})
	r.cw.start()
	r.ld.start()
	r.cw.waitCycle(0)
	r.ld.waitCycle(0)
	return r
}

// review turns the team's 领导签发 on or off and gives both desks the roster.
func (r *overlayRig) review(on bool) {
	ctx := context.Background()
	if err := r.e.srv.AddTeam(ctx, streetdesk.Team{ID: "teamA", Name: "城管组", StreetOffice: "桂园街道", District: "罗湖区", ReviewResolutions: on}); err != nil {
		r.t.Fatal(err)
	}
	team, err := r.e.srv.Team(ctx, "teamA")
	if err != nil {
		r.t.Fatal(err)
	}
	for _, d := range []*desk{r.cw, r.ld} {
		if err := d.db.SaveRoster(ctx, *team); err != nil {
			r.t.Fatal(err)
		}
	}
}

// do syncs a desk and runs an action on it, failing the test if the desk
// refuses it, and syncs again.
func (r *overlayRig) do(d *desk, id string, act func(ctx context.Context, d *desk, id string) error) {
	r.t.Helper()
	d.syncNow()
	r.clock.step()
	if err := act(context.Background(), d, id); err != nil {
		r.t.Fatalf("desk action: %v", err)
	}
	d.syncNow()
}

func (r *overlayRig) centre(id string, act func(ctx context.Context, srv *platform.Server, id string) error) {
	r.t.Helper()
	r.clock.step()
	if err := act(context.Background(), r.e.srv, id); err != nil {
		r.t.Fatalf("centre action: %v", err)
	}
}

// Desk actions.
var (
	accept = func(ctx context.Context, d *desk, id string) error { return d.db.Accept(ctx, id) }
	note   = func(ctx context.Context, d *desk, id string) error {
		return d.db.AddNote(ctx, id, "现场查看：路灯灯头损坏")
	}
	phone = func(ctx context.Context, d *desk, id string) error {
		return d.db.RecordContact(ctx, id, streetdesk.ContactInput{Method: streetdesk.ContactPhone, Reached: true, Body: "已联系市民"})
	}
	resolve = func(ctx context.Context, d *desk, id string) error {
		_, err := d.db.Resolve(ctx, id, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "已更换损坏的灯头，夜间照明已恢复正常。"})
		return err
	}
	askReturn = func(ctx context.Context, d *desk, id string) error {
		return d.db.RequestReturn(ctx, id, streetdesk.ReturnNotOurDuty, "属水务部门职责")
	}
	askExtension = func(ctx context.Context, d *desk, id string) error {
		det, err := d.db.Order(ctx, id)
		if err != nil {
			return err
		}
		return d.db.RequestExtension(ctx, id, "需协调供电部门", det.Order.Deadlines.ResolveBy.Add(48*time.Hour))
	}
	approve  = func(ctx context.Context, d *desk, id string) error { return d.db.ApproveReview(ctx, id) }
	sendBack = func(ctx context.Context, d *desk, id string) error {
		return d.db.SendBack(ctx, id, "请补充整改后照片")
	}
)

// The order a desk shows right after a local action (its shadow with the
// pending intent overlaid) is the order the platform makes of that action:
// one table row per operation a desk performs, from the states it starts in.
// After the sync the desk shows the platform's order exactly.
func TestOverlayMatchesPlatform(t *testing.T) {
	r := newOverlayRig(t)
	attach := func(ctx context.Context, d *desk, id string) error {
		b := []byte{0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3}
		path := filepath.Join(t.TempDir(), "after.jpg")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		p := streetdesk.ImportedPhoto{SHA256: hex.EncodeToString(sum[:]), Path: path, Size: int64(len(b)), MIME: "image/jpeg", Width: 1, Height: 1, Orientation: 1}
		_, err := d.db.AttachPhoto(ctx, id, p, streetdesk.PhotoAfter, "整改后")
		return err
	}
	reassign := func(ctx context.Context, d *desk, id string) error {
		return d.db.Reassign(ctx, []string{id}, r.e.cw2.ID, "片区调整")
	}
	reopen := func(ctx context.Context, srv *platform.Server, id string) error {
		_, err := srv.Callback(ctx, &streetdesk.User{ID: "cb", Name: "回访员", Role: streetdesk.RoleCallback}, id,
			streetdesk.CallbackRequest{Rating: streetdesk.RatingDissatisfied, Comment: "灯又灭了"})
		return err
	}
	type act = func(ctx context.Context, d *desk, id string) error
	cw, ld := r.cw, r.ld
	for _, tc := range []struct {
		name   string
		review bool
		setup  func(id string)
		by     *desk
		act    act
		status streetdesk.Status
	}{
		{"dispatched/accept", false, nil, cw, accept, streetdesk.StatusAccepted},
		{"dispatched/accept by the lead", false, nil, ld, accept, streetdesk.StatusAccepted},
		{"dispatched/requestReturn", false, nil, cw, askReturn, streetdesk.StatusReturnRequested},
		{"dispatched/reassign", false, nil, ld, reassign, streetdesk.StatusDispatched},
		{"accepted/first contact", false, func(id string) { r.do(cw, id, accept) }, cw, phone, streetdesk.StatusAccepted},
		{"accepted/second contact", false, func(id string) { r.do(cw, id, accept); r.do(cw, id, phone) }, cw, phone, streetdesk.StatusAccepted},
		{"accepted/addNote", false, func(id string) { r.do(cw, id, accept) }, cw, note, streetdesk.StatusAccepted},
		{"accepted/attachPhoto", false, func(id string) { r.do(cw, id, accept) }, cw, attach, streetdesk.StatusAccepted},
		{"accepted/requestExtension", false, func(id string) { r.do(cw, id, accept) }, cw, askExtension, streetdesk.StatusExtensionRequested},
		{"accepted/requestReturn", false, func(id string) { r.do(cw, id, accept) }, cw, askReturn, streetdesk.StatusReturnRequested},
		{"accepted/submitResolution", false, func(id string) { r.do(cw, id, accept) }, cw, resolve, streetdesk.StatusResolved},
		{"accepted/reassign", false, func(id string) { r.do(cw, id, accept) }, ld, reassign, streetdesk.StatusDispatched},
		{"extension_requested/addNote", false, func(id string) { r.do(cw, id, accept); r.do(cw, id, askExtension) }, cw, note, streetdesk.StatusExtensionRequested},
		{"extension_requested/submitResolution", false, func(id string) { r.do(cw, id, accept); r.do(cw, id, askExtension) }, cw, resolve, streetdesk.StatusResolved},
		{"return_requested/addNote", false, func(id string) { r.do(cw, id, askReturn) }, cw, note, streetdesk.StatusReturnRequested},
		{"reopened/submitResolution", false, func(id string) {
			r.do(cw, id, accept)
			r.do(cw, id, resolve)
			r.centre(id, reopen)
		}, cw, resolve, streetdesk.StatusResolved},
		{"accepted/submitForReview", true, func(id string) { r.do(cw, id, accept) }, cw, resolve, streetdesk.StatusAwaitingReview},
		{"awaiting_review/approveReview", true, func(id string) { r.do(cw, id, accept); r.do(cw, id, resolve) }, ld, approve, streetdesk.StatusResolved},
		{"awaiting_review/sendBack", true, func(id string) { r.do(cw, id, accept); r.do(cw, id, resolve) }, ld, sendBack, streetdesk.StatusAccepted},
		{"sent back/submitForReview", true, func(id string) {
			r.do(cw, id, accept)
			r.do(cw, id, resolve)
			r.do(ld, id, sendBack)
		}, cw, resolve, streetdesk.StatusAwaitingReview},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.t = t
			ctx := context.Background()
			r.review(tc.review)
			id := r.e.dispatch(1, r.e.cw.ID)[0]
			if tc.setup != nil {
				tc.setup(id)
			}
			cw.syncNow()
			ld.syncNow()
			before, err := tc.by.db.Order(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			r.clock.step()
			if err := tc.act(ctx, tc.by, id); err != nil {
				t.Fatalf("desk action: %v", err)
			}
			det, err := tc.by.db.Order(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			shown := det.Order
			tc.by.syncNow()
			onPlatform, err := r.e.srv.Order(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if onPlatform.Status != tc.status {
				t.Fatalf("platform status %s, want %s", onPlatform.Status, tc.status)
			}
			// The platform records the change in the history and bumps the
			// version; the desk shows its intent beside the history instead.
			changed := onPlatform.Version != before.Order.Version
			if n := len(onPlatform.History) - len(before.Order.History); n != 0 && !changed || n != 1 && changed {
				t.Errorf("platform history grew by %d events for one operation (changed: %v)", n, changed)
			}
			want := comparable(*onPlatform)
			got := comparable(shown)
			want.History, want.Version = got.History, got.Version
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the desk showed\n%+v\nthe platform made\n%+v", got, want)
			}
			det, err = tc.by.db.Order(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := comparable(det.Order), comparable(*onPlatform); !reflect.DeepEqual(got, want) {
				t.Errorf("after the sync the desk shows\n%+v\nthe platform has\n%+v", got, want)
			}
		})
	}
}

// comparable is o with every time in UTC (the desk keeps milliseconds and
// local time, the platform its own zone).
func comparable(o streetdesk.WorkOrder) streetdesk.WorkOrder {
	utc := func(t *time.Time) {
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
	for _, t := range []*time.Time{&o.DispatchedAt, &o.AcceptedAt, &o.FirstContact, &o.UpdatedAt,
		&o.Deadlines.AcceptBy, &o.Deadlines.FirstContactBy, &o.Deadlines.ResolveBy} {
		utc(t)
	}
	if o.ExtensionRequest != nil {
		x := *o.ExtensionRequest
		utc(&x.NewResolveBy)
		o.ExtensionRequest = &x
	}
	h := make([]streetdesk.Event, len(o.History))
	for i, e := range o.History {
		utc(&e.At)
		h[i] = e
	}
	o.History = h
	return o
}
