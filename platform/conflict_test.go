package platform_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
)

// acceptedBy dispatches an order to user's team and has user accept it.
func (e *env) acceptedBy(user, team string) (*streetdesk.WorkOrder, *client) {
	e.t.Helper()
	o := e.dispatch(team, user)
	c := e.client(user)
	if r := c.pushOne(c.mut(streetdesk.MutAccept, o, nil)); r.Status != streetdesk.ResultApplied {
		e.t.Fatalf("accept: %+v", r)
	}
	return e.order(o.ID), c
}

// TestConflictMatrix walks every cell of the conflict matrix: what the
// caseworker did offline (rows) against what happened on the platform
// meanwhile (columns). Facts (notes, photos) are always kept; a status
// change is checked against what changed since its base version; a
// resolution that cannot apply is kept as a proposal (docs/protocol.md).
func TestConflictMatrix(t *testing.T) {
	ctx := context.Background()
	type event struct {
		name string
		do   func(e *env, o *streetdesk.WorkOrder)
	}
	events := []event{
		{"none", func(e *env, o *streetdesk.WorkOrder) {}},
		{"status changed", func(e *env, o *streetdesk.WorkOrder) {
			lead := e.client("lead01")
			if r := lead.pushOne(lead.mut(streetdesk.MutRequestReturn, e.order(o.ID), streetdesk.RequestReturnArgs{Reason: streetdesk.ReturnNotOurDuty})); r.Status != streetdesk.ResultApplied {
				e.t.Fatalf("lead return: %+v", r)
			}
		}},
		{"reassigned", func(e *env, o *streetdesk.WorkOrder) {
			lead := e.client("lead01")
			if r := lead.pushOne(lead.mut(streetdesk.MutReassign, e.order(o.ID), streetdesk.ReassignArgs{To: "cw02", Reason: "调整"})); r.Status != streetdesk.ResultApplied {
				e.t.Fatalf("reassign: %+v", r)
			}
		}},
		{"cancelled", func(e *env, o *streetdesk.WorkOrder) {
			if _, err := e.centre.Cancel(ctx, o.ID, "重复工单"); err != nil {
				e.t.Fatal(err)
			}
		}},
		{"reopened", func(e *env, o *streetdesk.WorkOrder) {
			other := e.client("cw01") // the same caseworker's other device
			if r := other.pushOne(other.mut(streetdesk.MutSubmitResolution, e.order(o.ID), goodResolution())); r.Status != streetdesk.ResultApplied {
				e.t.Fatalf("resolve: %+v", r)
			}
			if _, err := e.centreAs("callback").Callback(ctx, o.ID, streetdesk.RatingDissatisfied, "井盖仍然松动"); err != nil {
				e.t.Fatal(err)
			}
		}},
		{"resolved by someone else", func(e *env, o *streetdesk.WorkOrder) {
			lead := e.client("lead01")
			if r := lead.pushOne(lead.mut(streetdesk.MutSubmitResolution, e.order(o.ID), goodResolution())); r.Status != streetdesk.ResultApplied {
				e.t.Fatalf("lead resolve: %+v", r)
			}
		}},
	}
	type want struct {
		status      streetdesk.ResultStatus
		code        streetdesk.ResultCode
		disposition string
	}
	applied := want{status: streetdesk.ResultApplied}
	fact := want{streetdesk.ResultApplied, "", streetdesk.DispositionKeptAsFact}
	conflict := func(code streetdesk.ResultCode) want { return want{streetdesk.ResultConflict, code, ""} }
	proposal := func(code streetdesk.ResultCode) want {
		return want{streetdesk.ResultConflict, code, streetdesk.DispositionKeptAsProposal}
	}
	ops := []struct {
		name  string
		build func(c *client, base *streetdesk.WorkOrder) streetdesk.Mutation
		want  map[string]want
	}{
		{"status change (requestExtension)", func(c *client, base *streetdesk.WorkOrder) streetdesk.Mutation {
			return c.mut(streetdesk.MutRequestExtension, base, streetdesk.RequestExtensionArgs{Reason: "需协调产权单位",
				NewResolveBy: streetdesk.DefaultCalendar().AddWorkdays(base.Deadlines.ResolveBy, 2)})
		}, map[string]want{
			"none": applied, "status changed": conflict(streetdesk.CodeStatusChanged), "reassigned": conflict(streetdesk.CodeReassigned),
			"cancelled": conflict(streetdesk.CodeCancelled), "reopened": conflict(streetdesk.CodeStaleCycle),
			"resolved by someone else": conflict(streetdesk.CodeAlreadyResolved),
		}},
		{"addNote", func(c *client, base *streetdesk.WorkOrder) streetdesk.Mutation {
			return c.mut(streetdesk.MutAddNote, base, streetdesk.AddNoteArgs{NoteID: newID(), Body: "现场勘察：井盖缺失，已设置围挡"})
		}, map[string]want{
			"none": applied, "status changed": applied, "reassigned": fact, "cancelled": fact, "reopened": fact,
			"resolved by someone else": applied,
		}},
		{"attachPhoto", func(c *client, base *streetdesk.WorkOrder) streetdesk.Mutation {
			return c.mut(streetdesk.MutAttachPhoto, base, streetdesk.AttachPhotoArgs{PhotoRefID: newID(), SHA256: strings.Repeat("ab", 32),
				Size: 1000, MIME: "image/jpeg", Tag: streetdesk.PhotoBefore})
		}, map[string]want{
			"none": applied, "status changed": applied, "reassigned": fact, "cancelled": fact, "reopened": fact,
			"resolved by someone else": applied,
		}},
		{"submitResolution", func(c *client, base *streetdesk.WorkOrder) streetdesk.Mutation {
			return c.mut(streetdesk.MutSubmitResolution, base, goodResolution())
		}, map[string]want{
			"none": applied, "status changed": proposal(streetdesk.CodeStatusChanged), "reassigned": proposal(streetdesk.CodeReassigned),
			"cancelled": proposal(streetdesk.CodeCancelled), "reopened": proposal(streetdesk.CodeStaleCycle),
			"resolved by someone else": proposal(streetdesk.CodeAlreadyResolved),
		}},
	}
	for _, op := range ops {
		for _, ev := range events {
			t.Run(op.name+"/"+ev.name, func(t *testing.T) {
				e := newEnv(t)
				base, c := e.acceptedBy("cw01", "teamA")
				ev.do(e, base)
				before := e.order(base.ID)
				m := op.build(c, base)
				r := c.pushOne(m)
				w := op.want[ev.name]
				if r.Status != w.status || r.Code != w.code || r.Disposition != w.disposition {
					t.Fatalf("got %s/%s/%s, want %s/%s/%s (%s)", r.Status, r.Code, r.Disposition, w.status, w.code, w.disposition, r.Message)
				}
				if r.Status == streetdesk.ResultConflict && r.Message == "" {
					t.Error("a conflict must explain itself")
				}
				after := e.order(base.ID)
				if r.Status != streetdesk.ResultApplied && (after.Status != before.Status || after.Version != before.Version) {
					t.Errorf("order changed by a conflicting mutation: %s v%d → %s v%d", before.Status, before.Version, after.Status, after.Version)
				}
				switch m.Name {
				case streetdesk.MutAddNote:
					notes, _ := e.srv.Notes(ctx, base.ID)
					if len(notes) != 1 {
						t.Fatalf("notes: %d", len(notes))
					}
					if wantAssignee := ev.name != "reassigned"; notes[0].AuthorWasAssignee != wantAssignee {
						t.Errorf("AuthorWasAssignee = %v", notes[0].AuthorWasAssignee)
					}
					if wantCycle := 0; notes[0].Cycle != wantCycle {
						t.Errorf("note cycle %d, want the base cycle %d", notes[0].Cycle, wantCycle)
					}
					if after.Version != before.Version {
						t.Error("a note bumped the order version")
					}
				case streetdesk.MutAttachPhoto:
					photos, _ := e.srv.Photos(ctx, base.ID)
					if len(photos) != 1 || photos[0].BlobPresent || r.BlobPresent == nil || *r.BlobPresent {
						t.Fatalf("photos: %+v", photos)
					}
				case streetdesk.MutSubmitResolution:
					rs, _ := e.srv.Resolutions(ctx, base.ID)
					var mine *streetdesk.Resolution
					for i := range rs {
						if rs[i].AuthorID == "cw01" && rs[i].Cycle == 0 && (ev.name != "reopened" || rs[i].State == streetdesk.ResolutionProposal) {
							mine = &rs[i]
						}
					}
					if mine == nil {
						t.Fatalf("resolution not kept: %+v", rs)
					}
					wantState := streetdesk.ResolutionAccepted
					if r.Disposition == streetdesk.DispositionKeptAsProposal {
						wantState = streetdesk.ResolutionProposal
					}
					if mine.State != wantState {
						t.Errorf("resolution state %s, want %s", mine.State, wantState)
					}
					if ev.name == "none" && after.Status != streetdesk.StatusResolved {
						t.Errorf("status %s", after.Status)
					}
				}
				if ev.name == "reassigned" && r.Code == streetdesk.CodeReassigned && r.NewAssignee != "cw02" {
					t.Errorf("newAssignee %q", r.NewAssignee)
				}
			})
		}
	}
}

func TestRejectionCodes(t *testing.T) {
	e := newEnv(t)
	base, c := e.acceptedBy("cw01", "teamA")
	other := e.dispatch("teamB", "cw03")
	missing := &streetdesk.WorkOrder{ID: "WO-NOPE"}
	usedNote := newID()
	c.pushOne(c.mut(streetdesk.MutAddNote, e.dispatch("teamA", "cw01"), streetdesk.AddNoteArgs{NoteID: usedNote, Body: "另一张工单的备注"}))
	cases := []struct {
		name string
		m    streetdesk.Mutation
		code streetdesk.ResultCode
	}{
		{"accept twice", c.mut(streetdesk.MutAccept, base, nil), streetdesk.CodeInvalidTransition},
		{"empty note", c.mut(streetdesk.MutAddNote, base, streetdesk.AddNoteArgs{NoteID: newID(), Body: " "}), streetdesk.CodeValidation},
		{"short reply", c.mut(streetdesk.MutSubmitResolution, base, streetdesk.SubmitResolutionArgs{ResolutionID: newID(), Outcome: streetdesk.OutcomeSolved, Reply: "好了"}), streetdesk.CodeValidation},
		{"photo of another order", c.mut(streetdesk.MutSubmitResolution, base, goodResolution(newID())), streetdesk.CodeValidation},
		{"extension too long", c.mut(streetdesk.MutRequestExtension, base, streetdesk.RequestExtensionArgs{Reason: "x", NewResolveBy: base.Deadlines.ResolveBy.AddDate(0, 3, 0)}), streetdesk.CodeValidation},
		{"extension to a day off", c.mut(streetdesk.MutRequestExtension, base, streetdesk.RequestExtensionArgs{Reason: "x", NewResolveBy: nextSunday(base.Deadlines.ResolveBy)}), streetdesk.CodeValidation},
		{"caseworker reassigns", c.mut(streetdesk.MutReassign, base, streetdesk.ReassignArgs{To: "cw02"}), streetdesk.CodeForbidden},
		{"caseworker approves review", c.mut(streetdesk.MutApproveReview, base, nil), streetdesk.CodeInvalidTransition},
		{"other team's order", c.mut(streetdesk.MutAddNote, other, streetdesk.AddNoteArgs{NoteID: newID(), Body: "x"}), streetdesk.CodeForbidden},
		{"unknown order", c.mut(streetdesk.MutAccept, missing, nil), streetdesk.CodeNotFound},
		{"note id of another order", c.mut(streetdesk.MutAddNote, base, streetdesk.AddNoteArgs{NoteID: usedNote, Body: "x"}), streetdesk.CodeValidation},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.order(base.ID)
			r := c.pushOne(tc.m)
			if r.Status != streetdesk.ResultRejected || r.Code != tc.code {
				t.Fatalf("got %s/%s (%s), want rejected/%s", r.Status, r.Code, r.Message, tc.code)
			}
			if after := e.order(base.ID); after.Version != before.Version {
				t.Fatal("a rejected mutation changed the order")
			}
		})
	}
}

func TestReassignByLead(t *testing.T) {
	e := newEnv(t)
	o, _ := e.acceptedBy("cw01", "teamA")
	lead := e.client("lead01")
	// Own team only: a member of another team is not a valid target.
	if r := lead.pushOne(lead.mut(streetdesk.MutReassign, o, streetdesk.ReassignArgs{To: "cw03"})); r.Code != streetdesk.CodeValidation {
		t.Fatalf("to another team: %+v", r)
	}
	other := e.dispatch("teamB", "cw03")
	if r := lead.pushOne(lead.mut(streetdesk.MutReassign, other, streetdesk.ReassignArgs{To: "cw01"})); r.Code != streetdesk.CodeForbidden {
		t.Fatalf("another team's order: %+v", r)
	}
	// The endpoint form, same rules.
	var rr streetdesk.ReassignResponse
	st, body := e.call(http.MethodPost, "/v1/team/reassign", e.token("lead01"), streetdesk.ReassignRequest{OrderIDs: []string{o.ID, other.ID}, To: "cw02", Reason: "请假"}, &rr)
	if st != 200 || rr.Results[0].Status != streetdesk.ResultApplied || rr.Results[1].Code != streetdesk.CodeForbidden {
		t.Fatalf("%d %s", st, body)
	}
	got := e.order(o.ID)
	if got.AssigneeID != "cw02" || got.AssigneeName != "张伟" || got.Status != streetdesk.StatusDispatched {
		t.Fatalf("after reassign: %+v", got)
	}
	if st, _ := e.call(http.MethodPost, "/v1/team/reassign", e.token("cw01"), streetdesk.ReassignRequest{OrderIDs: []string{o.ID}, To: "cw01"}, nil); st != http.StatusForbidden {
		t.Fatalf("caseworker: %d", st)
	}
}

func TestReviewFlow(t *testing.T) {
	e := newEnv(t)
	var tm streetdesk.Team
	if st, body := e.call(http.MethodPut, "/v1/team/settings", e.token("lead01"), streetdesk.TeamSettings{ReviewResolutions: true}, &tm); st != 200 || !tm.ReviewResolutions {
		t.Fatalf("settings: %d %s", st, body)
	}
	if st, _ := e.call(http.MethodPut, "/v1/team/settings", e.token("cw01"), streetdesk.TeamSettings{}, nil); st != http.StatusForbidden {
		t.Fatalf("caseworker settings: %d", st)
	}
	o, c := e.acceptedBy("cw01", "teamA")
	res := goodResolution()
	if r := c.pushOne(c.mut(streetdesk.MutSubmitResolution, o, res)); r.Status != streetdesk.ResultApplied {
		t.Fatal(r)
	}
	o = e.order(o.ID)
	rs, _ := e.srv.Resolutions(context.Background(), o.ID)
	if o.Status != streetdesk.StatusAwaitingReview || rs[0].State != streetdesk.ResolutionReview {
		t.Fatalf("%s %s", o.Status, rs[0].State)
	}
	lead := e.client("lead01")
	if r := lead.pushOne(lead.mut(streetdesk.MutSendBack, o, streetdesk.SendBackArgs{Comment: "请补充整改后照片"})); r.Status != streetdesk.ResultApplied {
		t.Fatal(r)
	}
	o = e.order(o.ID)
	if o.Status != streetdesk.StatusAccepted || o.ReviewComment != "请补充整改后照片" {
		t.Fatalf("%s %q", o.Status, o.ReviewComment)
	}
	c.pushOne(c.mut(streetdesk.MutSubmitResolution, o, goodResolution()))
	o = e.order(o.ID)
	if r := lead.pushOne(lead.mut(streetdesk.MutApproveReview, o, nil)); r.Status != streetdesk.ResultApplied {
		t.Fatal(r)
	}
	if o = e.order(o.ID); o.Status != streetdesk.StatusResolved {
		t.Fatal(o.Status)
	}
}

func TestCentreLifecycle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	o, c := e.acceptedBy("cw01", "teamA")
	newBy := streetdesk.DefaultCalendar().AddWorkdays(o.Deadlines.ResolveBy, 3)
	c.pushOne(c.mut(streetdesk.MutRequestExtension, o, streetdesk.RequestExtensionArgs{Reason: "需协调", NewResolveBy: newBy}))
	got, err := e.centre.DecideExtension(ctx, o.ID, true, "同意")
	if err != nil || got.Status != streetdesk.StatusAccepted || !got.Deadlines.ResolveBy.Equal(newBy) || got.ExtensionRequest != nil {
		t.Fatalf("extension: %v %+v", err, got)
	}
	sup := e.centreAs("supervisor")
	if got, err = sup.Supervise(ctx, o.ID, true, "群众反映强烈"); err != nil || !got.Supervised {
		t.Fatalf("supervise: %v", err)
	}
	if _, err := sup.Cancel(ctx, o.ID, "x"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("a supervisor cancelled: %v", err)
	}
	c.pushOne(c.mut(streetdesk.MutSubmitResolution, e.order(o.ID), goodResolution()))
	cb := e.centreAs("callback")
	got, err = cb.Callback(ctx, o.ID, streetdesk.RatingDissatisfied, "问题没有解决")
	if err != nil || got.Status != streetdesk.StatusReopened || got.Cycle != 1 || got.ReopenReason != "问题没有解决" ||
		!got.Deadlines.ResolveBy.Equal(streetdesk.DefaultCalendar().ReopenDeadline(e.clock.Now())) {
		t.Fatalf("reopen: %v %+v", err, got)
	}
	c.pushOne(c.mut(streetdesk.MutSubmitResolution, got, goodResolution()))
	if got, err = cb.Callback(ctx, o.ID, streetdesk.RatingSatisfied, ""); err != nil || got.Status != streetdesk.StatusClosed {
		t.Fatalf("close: %v", err)
	}
	if _, err := cb.Callback(ctx, o.ID, streetdesk.RatingSatisfied, ""); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("callback on a closed order: %v", err)
	}
	// Return: requested, rejected, requested again, approved.
	o2, c2 := e.acceptedBy("cw01", "teamA")
	c2.pushOne(c2.mut(streetdesk.MutRequestReturn, o2, streetdesk.RequestReturnArgs{Reason: streetdesk.ReturnNotOurArea}))
	if got, err = e.centre.DecideReturn(ctx, o2.ID, false, "属于本街道"); err != nil || got.Status != streetdesk.StatusAccepted {
		t.Fatalf("reject return: %v", err)
	}
	c2.pushOne(c2.mut(streetdesk.MutRequestReturn, got, streetdesk.RequestReturnArgs{Reason: streetdesk.ReturnOther, Text: "属于市政管网"}))
	if got, err = e.centre.DecideReturn(ctx, o2.ID, true, ""); err != nil || got.Status != streetdesk.StatusReturned {
		t.Fatalf("approve return: %v", err)
	}
	list, err := e.centre.List(ctx, centreFilter(streetdesk.StatusReturned))
	if err != nil || list.Total != 1 || list.Orders[0].ID != o2.ID {
		t.Fatalf("list: %v %+v", err, list)
	}
}

func TestResolutionBeforeAcceptIsKeptAsProposal(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	res := goodResolution()
	r := c.pushOne(c.mut(streetdesk.MutSubmitResolution, o, res))
	if r.Status != streetdesk.ResultConflict || r.Code != streetdesk.CodeInvalidTransition || r.Disposition != streetdesk.DispositionKeptAsProposal {
		t.Fatalf("%+v", r)
	}
	rs, _ := e.srv.Resolutions(context.Background(), o.ID)
	if len(rs) != 1 || rs[0].State != streetdesk.ResolutionProposal || e.order(o.ID).Status != streetdesk.StatusDispatched {
		t.Fatalf("%+v", rs)
	}
}

func nextSunday(t time.Time) time.Time {
	t = t.In(streetdesk.ChinaTZ).AddDate(0, 0, 1)
	for t.Weekday() != time.Sunday {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

// TestPushExtensionToAPastDateIsRejected: the platform applies the desk's
// rule with its own clock — an overdue order cannot be "extended" to a date
// that has already passed (12-02 asked for on 12-04).
func TestPushExtensionToAPastDateIsRejected(t *testing.T) {
	e := newEnv(t)
	o, err := e.centre.Dispatch(context.Background(), streetdesk.DispatchRequest{
		Title: "人行道井盖缺失", Complaint: "桂园路口人行道井盖缺失，夜间行人容易踩空，请尽快处理。",
		Channel: streetdesk.ChannelHotline, CategoryL3: sampleL3(), TeamID: "teamA", AssigneeID: "cw01",
		DispatchedAt: time.Now().AddDate(0, 0, -40), // long overdue
	})
	if err != nil {
		t.Fatal(err)
	}
	c := e.client("cw01")
	if r := c.pushOne(c.mut(streetdesk.MutAccept, o, nil)); r.Status != streetdesk.ResultApplied {
		t.Fatalf("accept: %+v", r)
	}
	o = e.order(o.ID)
	cal := streetdesk.DefaultCalendar()
	past := cal.AddWorkdays(o.Deadlines.ResolveBy, 2) // after the deadline, before now
	if !past.Before(time.Now()) {
		t.Fatalf("test setup: %v is not past", past)
	}
	r := c.pushOne(c.mut(streetdesk.MutRequestExtension, o, streetdesk.RequestExtensionArgs{Reason: "需协调", NewResolveBy: past}))
	if r.Status != streetdesk.ResultRejected || r.Code != streetdesk.CodeValidation || !strings.Contains(r.Message, "already passed") {
		t.Fatalf("a past date: %+v", r)
	}
	ahead := cal.SuggestExtension(o.Deadlines.ResolveBy, time.Now())
	if r := c.pushOne(c.mut(streetdesk.MutRequestExtension, o, streetdesk.RequestExtensionArgs{Reason: "需协调", NewResolveBy: ahead})); r.Status != streetdesk.ResultApplied {
		t.Fatalf("a date ahead (%v): %+v", ahead, r)
	}
}
