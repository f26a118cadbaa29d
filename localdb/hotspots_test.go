package localdb_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
)

func TestOrdersSince(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	at := func(id string, days int) streetdesk.WorkOrder {
		o := order(id, streetdesk.StatusAccepted)
		o.DispatchedAt = t0.AddDate(0, 0, -days)
		o.Location.Lat, o.Location.Lng = 22.5489, 114.1182
		o.Citizen = streetdesk.Citizen{Name: "李先生", Phone: "138****5521"}
		o.Rating, o.Cycle = streetdesk.RatingDissatisfied, 1
		return o
	}
	pull(t, db, at("H1", 1), at("H2", 29), at("H3", 61), at("R1", 2))
	revoke := streetdesk.Change{Type: streetdesk.ChangeWorkOrder, Op: streetdesk.OpRevoke, ID: "R1", OrderID: "R1",
		Revoke: &streetdesk.Revocation{Reason: streetdesk.CodeReassigned, NewAssignee: "u-li"}}
	if err := db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "c-revoke", Changes: []streetdesk.Change{revoke}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.OrdersSince(ctx, t0.AddDate(0, 0, -60))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range got {
		ids = append(ids, o.ID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"H1", "H2"}) {
		t.Fatalf("orders = %v, want H1 H2 (H3 is older, R1 was reassigned away)", ids)
	}
	want := at("H1", 1)
	for _, o := range got {
		if o.ID != "H1" {
			continue
		}
		if o.Category != want.Category || o.Location != want.Location || o.Citizen != want.Citizen || o.Title != want.Title ||
			o.Status != want.Status || o.AssigneeID != want.AssigneeID || o.TeamID != want.TeamID || o.Version != want.Version ||
			o.Cycle != 1 || o.Rating != streetdesk.RatingDissatisfied || !o.DispatchedAt.Equal(want.DispatchedAt) {
			t.Errorf("H1 = %+v\nwant %+v", o, want)
		}
	}
	if got, err := db.OrdersSince(ctx, time.Now().Add(time.Hour)); err != nil || len(got) != 0 {
		t.Errorf("future: %v %v", got, err)
	}
}
