package localdb_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
)

// A lead's event proposal waits in the outbox on its first member, with
// every member listed; the orders stay as they were.
func TestProposeEvent(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{User: lead()})
	pull(t, db, order("E1", streetdesk.StatusAccepted), order("E2", streetdesk.StatusClosed), order("E3", streetdesk.StatusDispatched))
	id, err := db.ProposeEvent(ctx, streetdesk.EventInput{Title: "星湖花园垃圾站噪音", Reason: "三位居民反复投诉", Department: "区城管局",
		OrderIDs: []string{"E1", "E2", "E3"}, HotspotID: "010201/E1"})
	if err != nil {
		t.Fatal(err)
	}
	ms := pending(t, db)
	if len(ms) != 1 || ms[0].Name != streetdesk.MutProposeEvent || ms[0].OrderID != "E1" {
		t.Fatalf("outbox %+v", ms)
	}
	var a streetdesk.ProposeEventArgs
	if err := json.Unmarshal(ms[0].Args, &a); err != nil || a.ProposalID != id || !slices.Equal(a.MemberIDs, []string{"E1", "E2", "E3"}) ||
		a.Department != "区城管局" || a.HotspotID != "010201/E1" {
		t.Fatalf("args %+v (%v)", a, err)
	}
	d := mustOrder(t, db, "E1")
	if d.Order.Status != streetdesk.StatusAccepted || d.Pending != 1 {
		t.Fatalf("E1 after the proposal: %s, %d pending", d.Order.Status, d.Pending)
	}
	found := false
	for _, e := range d.Timeline {
		found = found || e.Kind == string(streetdesk.OpProposeEvent) && strings.Contains(e.Text, "星湖花园垃圾站噪音")
	}
	if !found {
		t.Errorf("the timeline does not show the pending proposal: %+v", d.Timeline)
	}
}

func TestProposeEventBadInput(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{User: lead()})
	theirs := order("X1", streetdesk.StatusAccepted)
	theirs.TeamID = "t2"
	linked := order("L1", streetdesk.StatusAccepted)
	linked.EventID = "EV-1"
	ev := order("EV-2", streetdesk.StatusAccepted)
	ev.Kind = streetdesk.OrderKindEvent
	pull(t, db, order("E1", streetdesk.StatusAccepted), order("E2", streetdesk.StatusAccepted), order("C1", streetdesk.StatusCancelled), theirs, linked, ev)
	in := func(ids ...string) streetdesk.EventInput {
		return streetdesk.EventInput{Title: "垃圾站噪音", Reason: "反复投诉", OrderIDs: ids}
	}
	tests := []struct {
		name string
		in   streetdesk.EventInput
		code string
	}{
		{"one member", in("E1"), streetdesk.EINVALID},
		{"twice the same", in("E1", "E1"), streetdesk.EINVALID},
		{"another team's", in("E1", "X1"), streetdesk.EFORBIDDEN},
		{"another team's first", in("X1", "E1"), streetdesk.EFORBIDDEN},
		{"unknown order", in("E1", "NOPE"), streetdesk.ENOTFOUND},
		{"cancelled", in("E1", "C1"), streetdesk.EINVALID},
		{"cancelled first", in("C1", "E1"), streetdesk.EINVALID},
		{"already linked", in("E1", "L1"), streetdesk.EINVALID},
		{"an event order", in("E1", "EV-2"), streetdesk.EINVALID},
		{"no title", streetdesk.EventInput{Reason: "反复投诉", OrderIDs: []string{"E1", "E2"}}, streetdesk.EINVALID},
		{"no reason", streetdesk.EventInput{Title: "垃圾站噪音", OrderIDs: []string{"E1", "E2"}}, streetdesk.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.ProposeEvent(ctx, tt.in)
			wantCode(t, err, tt.code)
		})
	}
	if n := len(pending(t, db)); n != 0 {
		t.Fatalf("a refused proposal left %d outbox rows", n)
	}
	cw, _ := openTest(t, localdb.Options{User: caseworker()})
	pull(t, cw, order("E1", streetdesk.StatusAccepted), order("E2", streetdesk.StatusAccepted))
	_, err := cw.ProposeEvent(ctx, in("E1", "E2"))
	wantCode(t, err, streetdesk.EFORBIDDEN)
}
