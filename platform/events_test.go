package platform_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/centre"
)

// recurring dispatches n similar orders to team (same category, within a
// few metres, each from another citizen): a hotspot.
func (e *env) recurring(team string, n int, lat float64) []*streetdesk.WorkOrder {
	e.t.Helper()
	var out []*streetdesk.WorkOrder
	for i := range n {
		o, err := e.centre.Dispatch(context.Background(), streetdesk.DispatchRequest{
			Title: "垃圾站夜间作业噪音", Complaint: "星湖花园垃圾站凌晨四点压缩作业，噪音很大，影响休息。",
			Channel: streetdesk.ChannelHotline, CategoryL3: sampleL3(), CitizenName: fmt.Sprintf("居民%d", i),
			CitizenPhone: fmt.Sprintf("1381234%04d", i), TeamID: team,
			Location: streetdesk.Location{Community: "星湖社区", Address: "星湖花园3栋旁垃圾站", Lat: lat + float64(i)*0.0001, Lng: 114.11},
		})
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

func ids(os []*streetdesk.WorkOrder) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.ID
	}
	return out
}

func centreCode(err error) (int, string) {
	var ce *centre.Error
	if !errors.As(err, &ce) {
		return 0, ""
	}
	return ce.Status, ce.Body.Error.Code
}

// Only the dispatcher runs the analysis, lists hotspots and proposals,
// makes event orders and decides proposals.
func TestEventEndpointsAreTheDispatchers(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	pid := newID()
	cases := []struct {
		method, path string
		body         any
	}{
		{"POST", "/v1/centre/analysis/run", struct{}{}},
		{"GET", "/v1/centre/hotspots", nil},
		{"POST", "/v1/centre/events", streetdesk.CreateEventRequest{OrderIDs: []string{o.ID, "WO-NONE"}}},
		{"GET", "/v1/centre/proposals", nil},
		{"POST", "/v1/centre/proposals/" + pid + "/decision", streetdesk.ProposalDecision{Reason: "不是同一问题"}},
	}
	for _, tc := range cases {
		for _, u := range []string{"", "cw01", "lead01", "callback", "supervisor", "dispatcher"} {
			tok := ""
			if u != "" {
				tok = e.token(u)
			}
			st, body := e.call(tc.method, tc.path, tok, tc.body, nil)
			want := http.StatusForbidden
			switch u {
			case "":
				want = http.StatusUnauthorized
			case "dispatcher":
				if st == 401 || st == 403 || st >= 500 {
					t.Errorf("%s %s as dispatcher: %d %s", tc.method, tc.path, st, body)
				}
				continue
			}
			if st != want {
				t.Errorf("%s %s as %q: %d, want %d", tc.method, tc.path, u, st, want)
			}
			errCode(t, body)
		}
	}
}

// The analysis finds a recurring problem across the district; the
// dispatcher turns it into an event order dispatched to the team that holds
// it, whose members carry its id and keep their own state — closing the
// event closes none of them.
func TestEventFromHotspot(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if a, err := e.centre.Hotspots(ctx); err != nil || a.Report == nil || len(a.Report.Hotspots) != 0 {
		t.Fatalf("hotspots before any analysis: %+v, %v", a, err)
	}
	members := e.recurring("teamA", 3, 22.5600)
	e.dispatch("teamC", "cw04") // alone: no hotspot
	a, err := e.centre.RunAnalysis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Report.Hotspots) != 1 || a.Report.Hotspots[0].Count != 3 {
		t.Fatalf("analysis: %+v", a.Report)
	}
	h := a.Report.Hotspots[0]
	got, err := e.centre.Hotspots(ctx)
	if err != nil || len(got.Report.Hotspots) != 1 || got.Report.Hotspots[0].ID != h.ID || !got.RunAt.Equal(a.RunAt) {
		t.Fatalf("GET hotspots: %+v, %v", got, err)
	}

	ev, err := e.centre.CreateEvent(ctx, streetdesk.CreateEventRequest{HotspotID: h.ID})
	if err != nil {
		t.Fatal(err)
	}
	checkEvent(t, e, ev, members)
	if got, _ := e.centre.Hotspots(ctx); got.Events[h.ID] != ev.ID {
		t.Errorf("the hotspot does not show its event: %v", got.Events)
	}
	// Made once: the hotspot's members are taken.
	_, err = e.centre.CreateEvent(ctx, streetdesk.CreateEventRequest{HotspotID: h.ID})
	if st, code := centreCode(err); st != http.StatusConflict || code != streetdesk.ECONFLICT {
		t.Fatalf("second event of the hotspot: %v", err)
	}
	// A rerun sees the link, and the event order is not a complaint of the group.
	a, err = e.centre.RunAnalysis(ctx)
	if err != nil || len(a.Report.Hotspots) != 1 || a.Events[a.Report.Hotspots[0].ID] != ev.ID || a.Report.Input.Events != 1 {
		t.Fatalf("rerun: %+v %v (%v)", a.Report, a.Events, err)
	}

	leadWorksEvent(t, e, ev, members)
}

// checkEvent checks an event order made from members by default: kind,
// team, members, department, deadline; and each member linked, in its own
// state, one version up.
func checkEvent(t *testing.T, e *env, ev *streetdesk.WorkOrder, members []*streetdesk.WorkOrder) {
	t.Helper()
	want := ids(members)
	slices.Sort(want) // a hotspot lists its orders by dispatch time, then id
	if !ev.IsEvent() || ev.TeamID != "teamA" || ev.Status != streetdesk.StatusDispatched || !slices.Equal(slices.Sorted(slices.Values(ev.Members)), want) ||
		ev.Category.Department == "" || ev.Channel != streetdesk.ChannelAnalysis || !ev.Deadlines.ResolveBy.After(e.clock.Now()) ||
		!strings.HasPrefix(ev.ID, "EV-") || ev.Location.StreetOffice != "桂园街道" {
		t.Fatalf("event order: %+v", ev)
	}
	for _, m := range members {
		o := e.order(m.ID)
		if o.EventID != ev.ID || o.Status != m.Status || o.Version != m.Version+1 || o.History[len(o.History)-1].Kind != streetdesk.TimelineLinkEvent {
			t.Errorf("member %s: event %q status %s version %d history %+v", o.ID, o.EventID, o.Status, o.Version, o.History)
		}
	}
}

// leadWorksEvent: the lead sees the event and the links on the next pull,
// works the event and has it closed; its members stay as they were.
func leadWorksEvent(t *testing.T, e *env, ev *streetdesk.WorkOrder, members []*streetdesk.WorkOrder) {
	ctx := context.Background()
	want := ids(members)
	lead := e.client("lead01")
	seen := map[string]*streetdesk.WorkOrder{}
	for _, p := range lead.pullAll("", 0) {
		for _, c := range p.Changes {
			if c.Type == streetdesk.ChangeWorkOrder && c.Order != nil {
				seen[c.ID] = c.Order
			}
		}
	}
	if o := seen[ev.ID]; o == nil || !o.IsEvent() || len(o.Members) != 3 {
		t.Fatalf("the lead's pull lacks the event: %+v", o)
	}
	for _, id := range want {
		if seen[id] == nil || seen[id].EventID != ev.ID {
			t.Errorf("the lead's pull: member %s without its event", id)
		}
	}

	// The event is worked and closed; its members stay as they were.
	evo := seen[ev.ID]
	if r := lead.pushOne(lead.mut(streetdesk.MutAccept, evo, nil)); r.Status != streetdesk.ResultApplied {
		t.Fatalf("accept the event: %+v", r)
	}
	evo = e.order(ev.ID)
	if r := lead.pushOne(lead.mut(streetdesk.MutSubmitResolution, evo, goodResolution())); r.Status != streetdesk.ResultApplied {
		t.Fatalf("resolve the event: %+v", r)
	}
	if _, err := e.centreAs("callback").Callback(ctx, ev.ID, streetdesk.RatingSatisfied, ""); err != nil {
		t.Fatal(err)
	}
	if o := e.order(ev.ID); o.Status != streetdesk.StatusClosed {
		t.Fatalf("event after the callback: %s", o.Status)
	}
	for _, m := range members {
		if o := e.order(m.ID); o.Status != streetdesk.StatusDispatched || o.EventID != ev.ID {
			t.Errorf("member %s after the event closed: %s (event %q): closed silently", o.ID, o.Status, o.EventID)
		}
	}
}

func TestCreateEventBadInput(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	ms := e.recurring("teamA", 2, 22.5400)
	gone := e.dispatch("teamA", "cw01")
	if _, err := e.centre.Cancel(ctx, gone.ID, "重复"); err != nil {
		t.Fatal(err)
	}
	past := e.clock.Now().Add(-time.Hour)
	tests := []struct {
		name   string
		req    streetdesk.CreateEventRequest
		status int
		msg    string
	}{
		{"nothing named", streetdesk.CreateEventRequest{}, 400, "hotspot"},
		{"both named", streetdesk.CreateEventRequest{HotspotID: "x/y", OrderIDs: ids(ms)}, 400, "not both"},
		{"one member", streetdesk.CreateEventRequest{OrderIDs: ids(ms[:1])}, 400, "at least 2"},
		{"repeated member", streetdesk.CreateEventRequest{OrderIDs: []string{ms[0].ID, ms[0].ID}}, 400, "twice"},
		{"bad id", streetdesk.CreateEventRequest{OrderIDs: []string{ms[0].ID, "../x"}}, 400, "not valid"},
		{"unknown order", streetdesk.CreateEventRequest{OrderIDs: []string{ms[0].ID, "WO-NONE"}}, 404, "WO-NONE"},
		{"unknown hotspot", streetdesk.CreateEventRequest{HotspotID: "010101/WO-NONE"}, 404, "hotspot"},
		{"cancelled member", streetdesk.CreateEventRequest{OrderIDs: []string{ms[0].ID, gone.ID}}, 400, "cancelled"},
		{"unknown team", streetdesk.CreateEventRequest{OrderIDs: ids(ms), TeamID: "teamZ"}, 400, "teamZ"},
		{"deadline passed", streetdesk.CreateEventRequest{OrderIDs: ids(ms), ResolveBy: past}, 400, "future"},
		{"bad urgency", streetdesk.CreateEventRequest{OrderIDs: ids(ms), Urgency: "whenever"}, 400, "urgency"},
		{"title too long", streetdesk.CreateEventRequest{OrderIDs: ids(ms), Title: strings.Repeat("长", 201)}, 400, "title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.centre.CreateEvent(ctx, tt.req)
			var ce *centre.Error
			if !errors.As(err, &ce) || ce.Status != tt.status || !strings.Contains(ce.Body.Error.Message, tt.msg) {
				t.Fatalf("%v, want %d mentioning %q", err, tt.status, tt.msg)
			}
		})
	}
	for _, m := range ms {
		if o := e.order(m.ID); o.EventID != "" || o.Version != m.Version {
			t.Errorf("a refused event changed %s: %+v", o.ID, o)
		}
	}
	// From a list of orders of two teams, with a deadline of its own: it
	// goes to the team with more members unless named.
	other := e.recurring("teamB", 1, 22.5400)
	resolveBy := e.clock.Now().Add(72 * time.Hour)
	ev, err := e.centre.CreateEvent(ctx, streetdesk.CreateEventRequest{OrderIDs: append(ids(ms), other[0].ID), Title: "星湖花园垃圾站噪音源头治理",
		Department: "区城管和综合执法局", ResolveBy: resolveBy})
	if err != nil {
		t.Fatal(err)
	}
	if ev.TeamID != "teamA" || ev.Title != "星湖花园垃圾站噪音源头治理" || ev.Category.Department != "区城管和综合执法局" || !ev.Deadlines.ResolveBy.Equal(resolveBy) {
		t.Fatalf("event: %+v", ev)
	}
}

// proposeArgs is a proposal of the listed orders.
func proposeArgs(members ...string) streetdesk.ProposeEventArgs {
	return streetdesk.ProposeEventArgs{ProposalID: newID(), Title: "星湖花园垃圾站夜间噪音", Reason: "一个月内 3 位居民反复投诉凌晨压缩作业噪音",
		Department: "区城管和综合执法局", MemberIDs: members}
}

// A lead proposes an event through sync; the dispatcher declines one and
// accepts another, and the lead's desk learns each decision on its next pull.
func TestProposeEvent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	ms := e.recurring("teamA", 3, 22.5400)
	lead := e.client("lead01")
	m := lead.mut(streetdesk.MutProposeEvent, ms[0], proposeArgs(ids(ms[:2])...))
	if r := lead.pushOne(m); r.Status != streetdesk.ResultApplied {
		t.Fatalf("propose: %+v", r)
	}
	if r := lead.pushOne(m); r.Status != streetdesk.ResultDuplicate {
		t.Fatalf("resend: %+v", r)
	}
	if o := e.order(ms[0].ID); o.Version != ms[0].Version || o.EventID != "" {
		t.Fatalf("a proposal changed the order: %+v", o)
	}
	ps, err := e.centre.Proposals(ctx, streetdesk.ProposalPending)
	if err != nil || len(ps) != 1 || ps[0].ProposerName != "李组长" || ps[0].TeamID != "teamA" || !slices.Equal(ps[0].MemberIDs, ids(ms[:2])) {
		t.Fatalf("pending proposals: %+v, %v", ps, err)
	}
	notes := declineProposal(t, e, lead, ps[0], ms[:2])

	// A second proposal, accepted: the event order is made from it.
	if r := lead.pushOne(lead.mut(streetdesk.MutProposeEvent, ms[1], proposeArgs(ids(ms)...))); r.Status != streetdesk.ResultApplied {
		t.Fatalf("second proposal: %+v", r)
	}
	ps, _ = e.centre.Proposals(ctx, streetdesk.ProposalPending)
	if len(ps) != 1 {
		t.Fatalf("pending: %+v", ps)
	}
	p, err := e.centre.DecideProposal(ctx, ps[0].ID, streetdesk.ProposalDecision{Accept: true})
	if err != nil || p.State != streetdesk.ProposalAccepted || p.EventID == "" {
		t.Fatalf("accept: %+v, %v", p, err)
	}
	ev := e.order(p.EventID)
	if !ev.IsEvent() || ev.Title != "星湖花园垃圾站夜间噪音" || ev.Category.Department != "区城管和综合执法局" || ev.TeamID != "teamA" ||
		!slices.Equal(ev.Members, ids(ms)) || !strings.Contains(ev.Complaint, "反复投诉") {
		t.Fatalf("event from the proposal: %+v", ev)
	}
	n := notes()
	for _, o := range ms {
		if e.order(o.ID).EventID != ev.ID || !strings.Contains(n[o.ID][len(n[o.ID])-1], ev.ID) {
			t.Errorf("%s: not linked, or the desk does not hear of it: %q", o.ID, n[o.ID])
		}
	}
	all, err := e.centre.Proposals(ctx, "")
	if err != nil || len(all) != 2 || all[0].State != streetdesk.ProposalDeclined || all[1].State != streetdesk.ProposalAccepted {
		t.Fatalf("all proposals: %+v, %v", all, err)
	}
	if _, err := e.centre.Proposals(ctx, "maybe"); err == nil {
		t.Fatal("an unknown state is listed")
	}
}

// declineProposal declines a pending proposal (a reason is needed, and a
// decision is made once) and checks that the lead's desk hears of it. It
// returns a reader of the system notes the lead's pull brings, by order.
func declineProposal(t *testing.T, e *env, lead *client, first streetdesk.EventProposal, ms []*streetdesk.WorkOrder) func() map[string][]string {
	ctx := context.Background()
	// Declining needs a reason.
	_, err := e.centre.DecideProposal(ctx, first.ID, streetdesk.ProposalDecision{})
	if st, _ := centreCode(err); st != http.StatusBadRequest {
		t.Fatalf("decline without a reason: %v", err)
	}
	p, err := e.centre.DecideProposal(ctx, first.ID, streetdesk.ProposalDecision{Reason: "已纳入全区垃圾站改造计划"})
	if err != nil || p.State != streetdesk.ProposalDeclined || p.DeclineReason != "已纳入全区垃圾站改造计划" || p.DecidedBy != "派单员" {
		t.Fatalf("decline: %+v, %v", p, err)
	}
	_, err = e.centre.DecideProposal(ctx, first.ID, streetdesk.ProposalDecision{Accept: true})
	if st, _ := centreCode(err); st != http.StatusConflict {
		t.Fatalf("deciding twice: %v", err)
	}
	_, err = e.centre.DecideProposal(ctx, newID(), streetdesk.ProposalDecision{Accept: true})
	if st, _ := centreCode(err); st != http.StatusNotFound {
		t.Fatalf("an unknown proposal: %v", err)
	}
	notes := func() map[string][]string {
		out := map[string][]string{}
		for _, p := range lead.pullAll("", 0) {
			for _, c := range p.Changes {
				if c.Type == streetdesk.ChangeNote && c.Note.Kind == streetdesk.NoteSystem {
					out[c.Note.WorkOrderID] = append(out[c.Note.WorkOrderID], c.Note.Body)
				}
			}
		}
		return out
	}
	n := notes()
	for _, o := range ms {
		if len(n[o.ID]) != 1 || !strings.Contains(n[o.ID][0], "未采纳") || !strings.Contains(n[o.ID][0], "已纳入全区垃圾站改造计划") {
			t.Errorf("%s: the decline does not reach the desk: %q", o.ID, n[o.ID])
		}
	}

	return notes
}

// Each bad proposal is rejected with a stable code and a plain message,
// and nothing is kept for the dispatcher.
func TestProposeEventBadInput(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	ms := e.recurring("teamA", 2, 22.5400)
	theirs := e.recurring("teamB", 1, 22.5400)[0]
	gone := e.dispatch("teamA", "cw01")
	if _, err := e.centre.Cancel(ctx, gone.ID, "重复"); err != nil {
		t.Fatal(err)
	}
	linked := e.recurring("teamA", 2, 22.6000)
	if _, err := e.centre.CreateEvent(ctx, streetdesk.CreateEventRequest{OrderIDs: ids(linked)}); err != nil {
		t.Fatal(err)
	}
	lead, cw := e.client("lead01"), e.client("cw01")
	noTitle := proposeArgs(ids(ms)...)
	noTitle.Title = " "
	tests := []struct {
		name string
		c    *client
		on   *streetdesk.WorkOrder
		args streetdesk.ProposeEventArgs
		code streetdesk.ResultCode
		msg  string
	}{
		{"one member", lead, ms[0], proposeArgs(ms[0].ID), streetdesk.CodeValidation, "at least 2"},
		{"another team's member", lead, ms[0], proposeArgs(ms[0].ID, theirs.ID), streetdesk.CodeForbidden, theirs.ID},
		{"unknown order", lead, ms[0], proposeArgs(ms[0].ID, "WO-NONE"), streetdesk.CodeNotFound, "WO-NONE"},
		{"cancelled member", lead, ms[0], proposeArgs(ms[0].ID, gone.ID), streetdesk.CodeValidation, gone.ID + " 已撤单或退回"},
		{"member of an event", lead, ms[0], proposeArgs(ms[0].ID, linked[0].ID), streetdesk.CodeValidation, linked[0].ID + " 已并入事件 EV-"},
		{"order not a member", lead, ms[0], proposeArgs(ms[1].ID, linked[1].ID+"X"), streetdesk.CodeValidation, "必须是并案工单之一"},
		{"no title", lead, ms[0], noTitle, streetdesk.CodeValidation, "title"},
		{"by a caseworker", cw, ms[0], proposeArgs(ids(ms)...), streetdesk.CodeForbidden, ""},
		{"the order of another team", lead, theirs, proposeArgs(theirs.ID, ms[0].ID), streetdesk.CodeForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.c.pushOne(tt.c.mut(streetdesk.MutProposeEvent, tt.on, tt.args))
			if r.Status != streetdesk.ResultRejected || r.Code != tt.code || !strings.Contains(r.Message, tt.msg) {
				t.Fatalf("%+v, want rejected %s mentioning %q", r, tt.code, tt.msg)
			}
		})
	}
	if ps, err := e.centre.Proposals(ctx, ""); err != nil || len(ps) != 0 {
		t.Fatalf("bad proposals were kept: %+v, %v", ps, err)
	}
}

// The periodic analysis stores its result without anyone asking, and stops
// with the server.
func TestAnalysisRunsPeriodically(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	e := newEnv(t)
	e.recurring("teamA", 3, 22.5600)
	done := make(chan struct{})
	go func() { e.srv.RunAnalysisEvery(ctx, 20*time.Millisecond); close(done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		a, err := e.centre.Hotspots(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Report.Hotspots) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no periodic analysis within 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}

// TestPeriodicAnalysisOneAtATime: a turn of the periodic analysis skips
// while the job lock is held (another instance analysing) and while the
// stored analysis is fresh (another instance analysed lately).
func TestPeriodicAnalysisOneAtATime(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.recurring("teamA", 3, 22.5600)
	release, ok, err := e.srv.TryJobLock(ctx, "hotspot-analysis")
	if err != nil || !ok {
		t.Fatalf("lock: %v %v", ok, err)
	}
	if ran, err := e.srv.PeriodicAnalysis(ctx, time.Hour); err != nil || ran {
		t.Fatalf("ran while the lock was held: %v %v", ran, err)
	}
	if a, err := e.centre.Hotspots(ctx); err != nil || !a.RunAt.IsZero() {
		t.Fatalf("an analysis was stored: %+v %v", a, err)
	}
	release()
	if ran, err := e.srv.PeriodicAnalysis(ctx, time.Hour); err != nil || !ran {
		t.Fatalf("did not run: %v %v", ran, err)
	}
	e.clock.Add(29 * time.Minute)
	if ran, err := e.srv.PeriodicAnalysis(ctx, time.Hour); err != nil || ran {
		t.Fatalf("ran again on a fresh analysis: %v %v", ran, err)
	}
	e.clock.Add(time.Minute)
	if ran, err := e.srv.PeriodicAnalysis(ctx, time.Hour); err != nil || !ran {
		t.Fatalf("did not run on an analysis half an interval old: %v %v", ran, err)
	}
}

// TestOpen311LeavesOutEvents: an event order is the platform's own, not a
// citizen's request: Open311 lists its members but never the event, by
// any query or by its id.
func TestOpen311LeavesOutEvents(t *testing.T) {
	e := newEnv(t)
	ev, ms := e.eventOfThree(t)
	for _, q := range []string{"", "?status=open", "?service_code=" + sampleL3(), "?service_request_id=" + ev.ID + "," + ms[0].ID} {
		got := decodeBoth(t, e, "requests", q)
		var listed []string
		for _, r := range got {
			listed = append(listed, string(r.ServiceRequestID))
		}
		want := ids(ms)
		if strings.HasPrefix(q, "?service_request_id") {
			want = []string{ms[0].ID}
		}
		slices.Sort(listed)
		slices.Sort(want)
		if !slices.Equal(listed, want) {
			t.Errorf("requests?%s lists %v, want the members %v only", q, listed, want)
		}
	}
	if st, body := e.open311("requests/" + ev.ID + ".json"); st != http.StatusNotFound {
		t.Errorf("the event by its id: %d %s", st, body)
	}
}

// TestEventResolutionReachesMembers: once the event's resolution is
// accepted, each member carries it (eventResolution), pulled by the
// member's desk, its state unchanged; reopening the event takes it back,
// and the next round's resolution brings it again.
func TestEventResolutionReachesMembers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	ev, ms := e.eventOfThree(t)
	lead := e.client("lead01")
	cursor := lead.pullAll("", 0)
	last := cursor[len(cursor)-1].Cursor
	if r := lead.pushOne(lead.mut(streetdesk.MutAccept, e.order(ev.ID), nil)); r.Status != streetdesk.ResultApplied {
		t.Fatalf("accept the event: %+v", r)
	}
	res := goodResolution()
	res.Reply = "已更换低噪音压缩设备，清运作业调整到早上七点以后。"
	if r := lead.pushOne(lead.mut(streetdesk.MutSubmitResolution, e.order(ev.ID), res)); r.Status != streetdesk.ResultApplied {
		t.Fatalf("resolve the event: %+v", r)
	}
	pulled := map[string]*streetdesk.WorkOrder{}
	for _, p := range lead.pullAll(last, 0) {
		for _, c := range p.Changes {
			if c.Type == streetdesk.ChangeWorkOrder && c.Order != nil {
				pulled[c.ID] = c.Order
			}
		}
	}
	for _, m := range ms {
		got := e.order(m.ID)
		er := got.EventResolution
		if er == nil || er.EventID != ev.ID || er.Reply != res.Reply || er.Outcome != streetdesk.OutcomeSolved || er.Cycle != 0 ||
			got.Status != streetdesk.StatusDispatched {
			t.Fatalf("member %s: %s %+v", m.ID, got.Status, er)
		}
		if p := pulled[m.ID]; p == nil || p.EventResolution == nil || p.EventResolution.Reply != res.Reply {
			t.Errorf("the pull lacks member %s's event resolution: %+v", m.ID, p)
		}
	}
	if cite := e.order(ms[0].ID).EventResolution.Cite("参照："); cite != "参照："+res.Reply {
		t.Errorf("cite text %q", cite)
	}

	// The member's citizen sees the event's public reply on the tracking page.
	if st, page := e.citizen().lookup(ms[0].ID, "0000"); st != http.StatusOK || !strings.Contains(page, "一并纳入源头整治，整治结果："+res.Reply) {
		t.Errorf("tracking page of a member: %d\n%s", st, page)
	}

	// 不满意 on the event: the members stop citing it.
	if _, err := e.centreAs("callback").Callback(ctx, ev.ID, streetdesk.RatingDissatisfied, "夜里还是有噪音"); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if got := e.order(m.ID); got.EventResolution != nil {
			t.Fatalf("member %s still cites a reopened event: %+v", m.ID, got.EventResolution)
		}
	}
	res2 := goodResolution()
	res2.Reply = "已加装隔音棚，夜间停止压缩作业，居民确认噪音消除。"
	if r := lead.pushOne(lead.mut(streetdesk.MutSubmitResolution, e.order(ev.ID), res2)); r.Status != streetdesk.ResultApplied {
		t.Fatalf("resolve the event again: %+v", r)
	}
	if er := e.order(ms[1].ID).EventResolution; er == nil || er.Cycle != 1 || er.Reply != res2.Reply {
		t.Fatalf("after the second round: %+v", er)
	}
}

// eventOfThree makes an event order of three recurring complaints of teamA.
func (e *env) eventOfThree(t *testing.T) (*streetdesk.WorkOrder, []*streetdesk.WorkOrder) {
	t.Helper()
	ms := e.recurring("teamA", 3, 22.5600)
	ev, err := e.centre.CreateEvent(context.Background(), streetdesk.CreateEventRequest{OrderIDs: ids(ms), Title: "星湖花园垃圾站噪音源头治理"})
	if err != nil {
		t.Fatal(err)
	}
	return ev, ms
}
