package streetdesk_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
)

var (
	applyAt   = time.Date(2026, 12, 2, 10, 30, 0, 0, streetdesk.ChinaTZ)
	earlier   = applyAt.Add(-48 * time.Hour)
	resolveBy = applyAt.Add(72 * time.Hour)
	newDue    = applyAt.Add(10 * 24 * time.Hour)
	roleUsers = map[streetdesk.Role]streetdesk.User{
		streetdesk.RoleCaseworker: {ID: "u-cw01", Name: "王芳", Role: streetdesk.RoleCaseworker, TeamID: "t1"},
		streetdesk.RoleLead:       {ID: "u-lead01", Name: "李组长", Role: streetdesk.RoleLead, TeamID: "t1"},
		streetdesk.RoleDispatcher: {ID: "u-disp", Name: "派单员", Role: streetdesk.RoleDispatcher},
		streetdesk.RoleCallback:   {ID: "u-cb", Name: "回访员", Role: streetdesk.RoleCallback},
		streetdesk.RoleSupervisor: {ID: "u-sup", Name: "督办员", Role: streetdesk.RoleSupervisor},
	}
)

// baseOrder is an order in state s that has a bit of everything: accepted
// earlier by cw01, a pending return and extension request, a lead's comment.
func baseOrder(s streetdesk.Status) streetdesk.WorkOrder {
	return streetdesk.WorkOrder{
		ID: "WO-1", Status: s, AssigneeID: "u-cw01", AssigneeName: "王芳", TeamID: "t1", Version: 7, Cycle: 1,
		AcceptedAt: earlier, Deadlines: streetdesk.Deadlines{ResolveBy: resolveBy},
		ReturnRequest:    &streetdesk.ReturnRequest{Reason: streetdesk.ReturnNotOurArea},
		ExtensionRequest: &streetdesk.ExtensionRequest{Reason: "等待材料", NewResolveBy: newDue},
		ReviewComment:    "照片不清楚", AwaitingMedia: true,
		History: []streetdesk.Event{{At: earlier, Kind: "dispatch"}},
	}
}

// applyCase is one operation with its arguments and what it changes on
// baseOrder besides Status and UpdatedAt (nil change: the order stays as it
// was and Apply returns no event).
type applyCase struct {
	args   any
	change func(w *streetdesk.WorkOrder)
	text   string
}

// applyValues are the coded values the events of applyCases record.
var applyValues = map[streetdesk.Operation]string{
	streetdesk.OpRequestReturn: string(streetdesk.ReturnNotOurDuty), streetdesk.OpSubmitResolution: string(streetdesk.OutcomeSolved),
	streetdesk.OpSubmitForReview: string(streetdesk.OutcomePartly), streetdesk.OpReassign: "张伟",
	streetdesk.OpClose: string(streetdesk.RatingBasically), streetdesk.OpReopen: string(streetdesk.RatingDissatisfied),
}

func applyCases() map[streetdesk.Operation]applyCase {
	lisi := streetdesk.User{ID: "u-cw02", Name: "张伟", Role: streetdesk.RoleCaseworker, TeamID: "t1"}
	return map[streetdesk.Operation]applyCase{
		streetdesk.OpAccept: {nil, func(w *streetdesk.WorkOrder) { w.AcceptedAt = applyAt }, ""},
		streetdesk.OpRecordContact: {&streetdesk.RecordContactArgs{Method: streetdesk.ContactPhone, Body: "已联系"},
			func(w *streetdesk.WorkOrder) { w.FirstContact = applyAt }, ""},
		streetdesk.OpAddNote:      {&streetdesk.AddNoteArgs{Body: "现场已查看"}, nil, ""},
		streetdesk.OpAttachPhoto:  {&streetdesk.AttachPhotoArgs{Tag: streetdesk.PhotoBefore}, nil, ""},
		streetdesk.OpProposeEvent: {&streetdesk.ProposeEventArgs{Title: "垃圾站噪声", MemberIDs: []string{"WO-1", "WO-2"}}, nil, ""},
		streetdesk.OpRequestReturn: {&streetdesk.RequestReturnArgs{Reason: streetdesk.ReturnNotOurDuty, Text: "属水务"},
			func(w *streetdesk.WorkOrder) {
				w.ReturnRequest = &streetdesk.ReturnRequest{Reason: streetdesk.ReturnNotOurDuty, Text: "属水务"}
			}, "属水务"},
		streetdesk.OpRequestExtension: {&streetdesk.RequestExtensionArgs{Reason: "需协调", NewResolveBy: newDue.Add(time.Hour)},
			func(w *streetdesk.WorkOrder) {
				w.ExtensionRequest = &streetdesk.ExtensionRequest{Reason: "需协调", NewResolveBy: newDue.Add(time.Hour)}
			}, "需协调"},
		streetdesk.OpSubmitResolution: {&streetdesk.SubmitResolutionArgs{Outcome: streetdesk.OutcomeSolved, Reply: "已修复路灯，恢复照明。"},
			func(w *streetdesk.WorkOrder) { w.ReviewComment = "" }, ""},
		streetdesk.OpSubmitForReview: {&streetdesk.SubmitResolutionArgs{Outcome: streetdesk.OutcomePartly, Reply: "已修复路灯，恢复照明。"},
			func(w *streetdesk.WorkOrder) { w.ReviewComment = "" }, ""},
		streetdesk.OpReassign: {&streetdesk.Reassignment{To: lisi, Reason: "片区调整"},
			func(w *streetdesk.WorkOrder) {
				w.AssigneeID, w.AssigneeName, w.AcceptedAt = lisi.ID, lisi.Name, time.Time{}
			}, "片区调整"},
		streetdesk.OpApproveReview: {nil, func(*streetdesk.WorkOrder) {}, ""},
		streetdesk.OpSendBack: {&streetdesk.SendBackArgs{Comment: "请补充整改后照片"},
			func(w *streetdesk.WorkOrder) { w.ReviewComment = "请补充整改后照片" }, "请补充整改后照片"},
		streetdesk.OpApproveReturn: {&streetdesk.DecisionRequest{Approve: true, Comment: "同意"},
			func(w *streetdesk.WorkOrder) { w.ReturnRequest = nil }, "同意"},
		streetdesk.OpRejectReturn: {&streetdesk.DecisionRequest{Comment: "属本街道"},
			func(w *streetdesk.WorkOrder) { w.ReturnRequest = nil }, "属本街道"},
		streetdesk.OpApproveExtension: {&streetdesk.DecisionRequest{Approve: true},
			func(w *streetdesk.WorkOrder) { w.Deadlines.ResolveBy, w.ExtensionRequest = newDue, nil }, ""},
		streetdesk.OpRejectExtension: {nil, func(w *streetdesk.WorkOrder) { w.ExtensionRequest = nil }, ""},
		streetdesk.OpClose: {&streetdesk.CallbackRequest{Rating: streetdesk.RatingBasically, Comment: "还行"},
			func(w *streetdesk.WorkOrder) { w.Rating, w.CitizenRatedAt = streetdesk.RatingBasically, time.Time{} }, "还行"},
		streetdesk.OpReopen: {&streetdesk.Reopening{Comment: "灯又灭了", ResolveBy: newDue},
			func(w *streetdesk.WorkOrder) {
				w.Rating, w.Cycle, w.Deadlines.ResolveBy = streetdesk.RatingDissatisfied, 2, newDue
				w.ReopenReason, w.AwaitingMedia, w.CitizenRatedAt = "灯又灭了", false, time.Time{}
			}, "灯又灭了"},
		streetdesk.OpCancel:      {&streetdesk.DecisionRequest{Comment: "重复工单"}, func(*streetdesk.WorkOrder) {}, "重复工单"},
		streetdesk.OpSupervise:   {&streetdesk.SuperviseRequest{On: true, Comment: "加快"}, func(w *streetdesk.WorkOrder) { w.Supervised = true }, "加快"},
		streetdesk.OpUnsupervise: {nil, func(w *streetdesk.WorkOrder) { w.Supervised = false }, ""},
	}
}

// Every cell of the lifecycle, performed by every role it allows, makes the
// operation's effect and nothing else, and records it in one event.
func TestWorkOrderApplyEveryTransition(t *testing.T) {
	cases := applyCases()
	for _, op := range streetdesk.Operations {
		if _, ok := cases[op]; !ok {
			t.Errorf("no test case for %s", op)
		}
	}
	for _, tr := range streetdesk.Lifecycle {
		c := cases[tr.Op]
		for _, role := range tr.Roles {
			t.Run(string(tr.From)+"/"+string(tr.Op)+"/"+string(role), func(t *testing.T) {
				by := roleUsers[role]
				got := baseOrder(tr.From)
				if tr.Op == streetdesk.OpUnsupervise {
					got.Supervised = true
				}
				if tr.Guard != nil { // closed by the citizen: the agent overrides
					got.CitizenRatedAt = earlier
				}
				want := got
				ev, err := got.Apply(tr.Op, c.args, by, applyAt)
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				if c.change == nil {
					if ev != nil || !reflect.DeepEqual(got, want) {
						t.Fatalf("a fact changed the order: event %+v\n got %+v", ev, got)
					}
					return
				}
				c.change(&want)
				want.Status, want.UpdatedAt = tr.To, applyAt
				if !reflect.DeepEqual(got, want) {
					t.Errorf("order\n got %+v\nwant %+v", got, want)
				}
				wantEv := streetdesk.Event{At: applyAt, Actor: by.Name, Kind: string(tr.Op), Text: c.text, Value: applyValues[tr.Op], Cycle: 1}
				if ev == nil || *ev != wantEv {
					t.Errorf("event %+v, want %+v", ev, wantEv)
				}
			})
		}
	}
}

func TestWorkOrderApplyNoChange(t *testing.T) {
	cw := roleUsers[streetdesk.RoleCaseworker]
	contacted := baseOrder(streetdesk.StatusAccepted)
	contacted.FirstContact = earlier
	for name, tc := range map[string]struct {
		w    streetdesk.WorkOrder
		op   streetdesk.Operation
		args any
		by   streetdesk.User
	}{
		"a second contact":                  {contacted, streetdesk.OpRecordContact, &streetdesk.RecordContactArgs{Method: streetdesk.ContactSMS}, cw},
		"a reassignment to the assignee":    {baseOrder(streetdesk.StatusAccepted), streetdesk.OpReassign, &streetdesk.Reassignment{To: cw}, roleUsers[streetdesk.RoleLead]},
		"a photo on an order being decided": {baseOrder(streetdesk.StatusExtensionRequested), streetdesk.OpAttachPhoto, &streetdesk.AttachPhotoArgs{}, cw},
	} {
		t.Run(name, func(t *testing.T) {
			got := tc.w
			ev, err := got.Apply(tc.op, tc.args, tc.by, applyAt)
			if err != nil || ev != nil || !reflect.DeepEqual(got, tc.w) {
				t.Fatalf("Apply: event %+v, err %v; the order must stay as it was", ev, err)
			}
		})
	}
}

func TestWorkOrderApplyRefuses(t *testing.T) {
	cw := roleUsers[streetdesk.RoleCaseworker]
	for name, tc := range map[string]struct {
		status streetdesk.Status
		op     streetdesk.Operation
		args   any
		by     streetdesk.User
		code   string
	}{
		"a transition the state does not have": {streetdesk.StatusResolved, streetdesk.OpAccept, nil, cw, streetdesk.EINVALID},
		"a role that may not":                  {streetdesk.StatusAccepted, streetdesk.OpReassign, &streetdesk.Reassignment{To: cw}, cw, streetdesk.EFORBIDDEN},
		"wire args for reassign":               {streetdesk.StatusAccepted, streetdesk.OpReassign, &streetdesk.ReassignArgs{To: "u-cw02"}, roleUsers[streetdesk.RoleLead], streetdesk.EINVALID},
		"no args where they are needed":        {streetdesk.StatusAccepted, streetdesk.OpRequestReturn, nil, cw, streetdesk.EINVALID},
		"args of another operation":            {streetdesk.StatusDispatched, streetdesk.OpAccept, &streetdesk.AddNoteArgs{}, cw, streetdesk.EINVALID},
		"a rating that reopens, to close":      {streetdesk.StatusResolved, streetdesk.OpClose, &streetdesk.CallbackRequest{Rating: streetdesk.RatingDissatisfied}, roleUsers[streetdesk.RoleCallback], streetdesk.EINVALID},
		"a reassignment to nobody":             {streetdesk.StatusAccepted, streetdesk.OpReassign, &streetdesk.Reassignment{}, roleUsers[streetdesk.RoleLead], streetdesk.EINVALID},
	} {
		t.Run(name, func(t *testing.T) {
			w := baseOrder(tc.status)
			before := w
			ev, err := w.Apply(tc.op, tc.args, tc.by, applyAt)
			if streetdesk.ErrorCode(err) != tc.code || ev != nil {
				t.Fatalf("Apply: %v (event %+v), want code %s", err, ev, tc.code)
			}
			if !reflect.DeepEqual(w, before) {
				t.Fatalf("a refused operation changed the order: %+v", w)
			}
		})
	}
}

// TestCallbackOverridesCitizen: the callback agent may override the
// citizen's own rating (from the tracking page) within the callback window;
// nothing else reopens or re-rates a closed order.
func TestCallbackOverridesCitizen(t *testing.T) {
	agent := roleUsers[streetdesk.RoleCallback]
	ratedAt := applyAt.Add(-time.Hour)
	reopen := &streetdesk.Reopening{Comment: "电话回访：灯还是不亮", ResolveBy: newDue}
	basically := &streetdesk.CallbackRequest{Rating: streetdesk.RatingBasically, Comment: "电话回访"}
	for name, tc := range map[string]struct {
		citizenRated time.Time // zero: the agent closed it
		op           streetdesk.Operation
		args         any
		by           streetdesk.User
		at           time.Time
		code         string // "" = allowed
		to           streetdesk.Status
	}{
		"不满意 reopens the citizen's 满意":          {ratedAt, streetdesk.OpReopen, reopen, agent, applyAt, "", streetdesk.StatusReopened},
		"another rating replaces the citizen's": {ratedAt, streetdesk.OpClose, basically, agent, applyAt, "", streetdesk.StatusClosed},
		"at the end of the window":              {ratedAt, streetdesk.OpReopen, reopen, agent, ratedAt.Add(streetdesk.CallbackOverrideWindow), "", streetdesk.StatusReopened},
		"after the window":                      {ratedAt, streetdesk.OpReopen, reopen, agent, ratedAt.Add(streetdesk.CallbackOverrideWindow + time.Second), streetdesk.ECONFLICT, ""},
		"closed by the agent's own callback":    {time.Time{}, streetdesk.OpReopen, reopen, agent, applyAt, streetdesk.ECONFLICT, ""},
		"re-rating the agent's own callback":    {time.Time{}, streetdesk.OpClose, basically, agent, applyAt, streetdesk.ECONFLICT, ""},
		"the dispatcher":                        {ratedAt, streetdesk.OpReopen, reopen, roleUsers[streetdesk.RoleDispatcher], applyAt, streetdesk.EFORBIDDEN, ""},
		"the street office":                     {ratedAt, streetdesk.OpReopen, reopen, roleUsers[streetdesk.RoleLead], applyAt, streetdesk.EFORBIDDEN, ""},
	} {
		t.Run(name, func(t *testing.T) {
			w := baseOrder(streetdesk.StatusClosed)
			w.Rating, w.CitizenRatedAt = streetdesk.RatingSatisfied, tc.citizenRated
			before := w
			ev, err := w.Apply(tc.op, tc.args, tc.by, tc.at)
			if tc.code != "" {
				if streetdesk.ErrorCode(err) != tc.code || ev != nil || !reflect.DeepEqual(w, before) {
					t.Fatalf("Apply: %v (event %+v), want code %s and the order unchanged", err, ev, tc.code)
				}
				return
			}
			if err != nil || ev == nil {
				t.Fatalf("Apply: %v (event %+v)", err, ev)
			}
			if w.Status != tc.to || !w.CitizenRatedAt.IsZero() {
				t.Fatalf("status %s, citizenRatedAt %v: want %s and the override final", w.Status, w.CitizenRatedAt, tc.to)
			}
			// The agent's rating stands: no second override.
			if w.Status == streetdesk.StatusClosed {
				if _, err := w.Apply(streetdesk.OpReopen, reopen, agent, tc.at); streetdesk.ErrorCode(err) != streetdesk.ECONFLICT {
					t.Fatalf("second override: %v, want ECONFLICT", err)
				}
			}
		})
	}
	// The citizen's rating through the callback path marks the order.
	w := baseOrder(streetdesk.StatusResolved)
	if _, err := w.Apply(streetdesk.OpClose, &streetdesk.CallbackRequest{Rating: streetdesk.RatingSatisfied, ByCitizen: true}, agent, ratedAt); err != nil {
		t.Fatal(err)
	}
	if !w.CitizenRatedAt.Equal(ratedAt) {
		t.Fatalf("citizenRatedAt %v, want %v", w.CitizenRatedAt, ratedAt)
	}
}

func TestSubmitOp(t *testing.T) {
	if streetdesk.SubmitOp(false) != streetdesk.OpSubmitResolution || streetdesk.SubmitOp(true) != streetdesk.OpSubmitForReview {
		t.Fatal("SubmitOp")
	}
}
