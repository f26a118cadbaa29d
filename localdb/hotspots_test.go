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

// TestOrdersSinceDecodes: the fast reader gives the same fields as
// encoding/json for the demo's orders and for texts with escapes, odd
// numbers and missing parts.
func TestOrdersSinceDecodes(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	orders := demoOrders(150, t0)
	odd := order("ODD-1", streetdesk.StatusAccepted)
	odd.Title = `引号"与反斜杠\和\u0000控制符` + "\n换行\t"
	odd.Category.L3Name, odd.Location.Address = `a"b`, `星湖花园"3栋"\旁`
	odd.Location.Lat, odd.Location.Lng = -1.5e-7, 1e2
	odd.Citizen = streetdesk.Citizen{Name: "张\\女士", Phone: ""}
	bare := order("ODD-2", streetdesk.StatusDispatched)
	bare.Category, bare.Location, bare.History = streetdesk.Category{}, streetdesk.Location{}, nil
	orders = append(orders, odd, bare)
	pull(t, db, orders...)
	got, err := db.OrdersSince(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]streetdesk.WorkOrder{}
	for _, o := range got {
		byID[o.ID] = o
	}
	for _, w := range orders {
		o, ok := byID[w.ID]
		if !ok {
			t.Errorf("%s missing", w.ID)
			continue
		}
		if o.Title != w.Title || o.Category != w.Category || o.Location != w.Location || o.Citizen != w.Citizen ||
			o.Status != w.Status || o.AssigneeID != w.AssigneeID || o.AssigneeName != w.AssigneeName || o.TeamID != w.TeamID ||
			o.Version != w.Version || o.Cycle != w.Cycle || o.Rating != w.Rating || !o.DispatchedAt.Equal(w.DispatchedAt) || !o.UpdatedAt.Equal(w.UpdatedAt) {
			t.Errorf("%s decoded as\n%+v\nwant\n%+v", w.ID, o, w)
		}
	}
}
