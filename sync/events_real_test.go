package sync_test

import (
	"context"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync"
	"github.com/streetdesk/streetdesk/ui/translation"
)

// A lead proposes an event offline; it goes up with the next sync, the
// dispatcher accepts it, and the lead's desk pulls the event order, the
// members' link to it and the note saying so.
func TestReal_ProposeEventRoundTrip(t *testing.T) {
	ctx := context.Background()
	e := newRealEnv(t)
	if err := e.srv.AddTeam(ctx, streetdesk.Team{ID: "teamB", Name: "综治组", StreetOffice: "桂园街道", District: "罗湖区"}); err != nil {
		t.Fatal(err)
	}
	ids := e.dispatch(3, e.cw.ID)
	theirs, err := e.srv.Dispatch(ctx, &e.dispatcher, streetdesk.DispatchRequest{Title: "噪音", Complaint: "夜间噪音扰民。",
		Channel: streetdesk.ChannelHotline, CategoryL3: streetdesk.SampleTaxonomy().Items[0].L3Code, TeamID: "teamB"})
	if err != nil {
		t.Fatal(err)
	}
	d := e.desk("", e.lead, sync.Options{})
	d.start()
	d.waitCycle(0)
	if _, err := d.db.ProposeEvent(ctx, streetdesk.EventInput{Title: "桂园路口井盖反复缺失", Reason: "三位市民一周内反复投诉",
		Department: "区城管局", OrderIDs: ids}); err != nil {
		t.Fatal(err)
	}
	d.syncNow()
	ps, err := e.srv.Proposals(ctx, streetdesk.ProposalPending)
	if err != nil || len(ps) != 1 || ps[0].Title != "桂园路口井盖反复缺失" {
		t.Fatalf("proposals on the platform: %+v, %v", ps, err)
	}
	p, err := e.srv.DecideProposal(ctx, &e.dispatcher, ps[0].ID, streetdesk.ProposalDecision{Accept: true})
	if err != nil {
		t.Fatal(err)
	}
	d.syncNow()
	ev, err := d.db.Order(ctx, p.EventID)
	if err != nil || !ev.Order.IsEvent() || len(ev.Order.Members) != 3 {
		t.Fatalf("the event on the desk: %+v, %v", ev, err)
	}
	for _, id := range ids {
		m, err := d.db.Order(ctx, id)
		if err != nil || m.Order.EventID != p.EventID {
			t.Fatalf("member %s on the desk: %+v, %v", id, m, err)
		}
		found := false
		for _, n := range m.Notes {
			found = found || n.Kind == streetdesk.NoteSystem && strings.Contains(n.Body, p.EventID)
		}
		if !found {
			t.Errorf("member %s: no note of the decision: %+v", id, m.Notes)
		}
	}
	// An order the desk does not hold (another team's) is refused on the
	// desk already; the platform's own refusals are platform's tests.
	more := e.dispatch(1, e.cw.ID)
	d.syncNow()
	_, err = d.db.ProposeEvent(ctx, streetdesk.EventInput{Title: "噪音", Reason: "反复投诉", OrderIDs: []string{more[0], theirs.ID}})
	if streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
		t.Fatalf("a proposal with an order the desk does not hold: %v", err)
	}
	// Offline, the lead proposes two orders; meanwhile the dispatcher puts
	// one of them into an event. The platform refuses the proposal and the
	// lead's inbox says which order and why.
	two := e.dispatch(3, e.cw.ID)
	d.syncNow()
	if _, err := d.db.ProposeEvent(ctx, streetdesk.EventInput{Title: "噪音", Reason: "反复投诉", OrderIDs: two[:2]}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.CreateEvent(ctx, &e.dispatcher, streetdesk.CreateEventRequest{OrderIDs: two[1:]}); err != nil {
		t.Fatal(err)
	}
	d.syncNow()
	cs, err := d.db.Conflicts(ctx, false)
	if err != nil || len(cs) != 1 || cs[0].Name != streetdesk.MutProposeEvent || cs[0].Code != streetdesk.CodeValidation ||
		!strings.Contains(translation.For(translation.Chinese).Say(cs[0].Explanation), two[1]) ||
		!strings.Contains(translation.For(translation.Chinese).Say(cs[0].Explanation), "已并入事件") || !strings.Contains(cs[0].Intent, "反复投诉") {
		t.Fatalf("the refused proposal in the inbox: %+v, %v", cs, err)
	}
	d.stop()
	e.checkReal(t, d, e.lead)
}
