package localdb_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/demo"
	"github.com/streetdesk/streetdesk/localdb"
)

// TestStatsOrdersMatchExport checks that the team statistics over the lean
// read equal those over Export's full orders, pending intents included.
func TestStatsOrdersMatchExport(t *testing.T) {
	ctx := context.Background()
	reply := streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "已经处理完毕，现场恢复正常，市民满意。"}
	tests := []struct {
		name string
		user streetdesk.User
		act  func(db *localdb.DB, o streetdesk.WorkOrder, i int) (bool, error)
	}{
		{"caseworker", caseworker(), func(db *localdb.DB, o streetdesk.WorkOrder, i int) (bool, error) {
			if o.AssigneeID != caseworker().ID {
				return false, nil
			}
			switch {
			case o.Status == streetdesk.StatusDispatched && i%3 == 0:
				return true, db.RequestReturn(ctx, o.ID, streetdesk.ReturnNotOurArea, "不属于本街道")
			case o.Status == streetdesk.StatusDispatched:
				return true, db.Accept(ctx, o.ID)
			case o.Status == streetdesk.StatusAccepted || o.Status == streetdesk.StatusReopened:
				_, err := db.Resolve(ctx, o.ID, reply)
				return true, err
			}
			return false, nil
		}},
		{"lead", lead(), func(db *localdb.DB, o streetdesk.WorkOrder, i int) (bool, error) {
			if o.Status != streetdesk.StatusDispatched && o.Status != streetdesk.StatusAccepted {
				return false, nil
			}
			to := caseworker().ID
			if o.AssigneeID == to {
				to = "u-zhao"
			}
			return true, db.Reassign(ctx, []string{o.ID}, to, "片区调整")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := openTest(t, localdb.Options{User: tt.user})
			orders := demoOrders(600, t0)
			pull(t, db, orders...)
			acted := 0
			for i, o := range orders {
				if acted == 30 {
					break
				}
				ok, err := tt.act(db, o, i)
				if err != nil {
					t.Fatalf("%s %s: %v", o.ID, o.Status, err)
				}
				if ok {
					acted++
				}
			}
			if acted == 0 {
				t.Fatal("no pending intents in the fixture")
			}
			items, err := db.Export(ctx, streetdesk.QueueFilter{})
			if err != nil {
				t.Fatal(err)
			}
			full := make([]streetdesk.WorkOrder, len(items))
			for i := range items {
				full[i] = items[i].Order
			}
			lean, err := db.StatsOrders(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(lean) != len(full) {
				t.Fatalf("StatsOrders gave %d orders, Export %d", len(lean), len(full))
			}
			members := teamOf(orders)
			for _, now := range []time.Time{t0, t0.Add(-10 * 24 * time.Hour), t0.Add(5 * 24 * time.Hour)} {
				want := streetdesk.ComputeTeamStats(full, members, now, 8, nil)
				got := streetdesk.ComputeTeamStats(lean, members, now, 8, nil)
				if want.Open == 0 || len(want.Awaiting) == 0 {
					t.Fatalf("fixture too thin: %d open, %d awaiting", want.Open, len(want.Awaiting))
				}
				// Awaiting holds whole orders: compare what the board and
				// its export show of them.
				if a, b := awaitingRows(want.Awaiting), awaitingRows(got.Awaiting); !slices.Equal(a, b) {
					t.Errorf("now %v: awaiting differ:\n got %v\nwant %v", now, b, a)
				}
				want.Awaiting, got.Awaiting = nil, nil
				if !reflect.DeepEqual(got, want) {
					t.Errorf("now %v: stats differ:\n got %+v\nwant %+v", now, got, want)
				}
			}
		})
	}
}

// TestStatsOrdersFields checks every field StatsOrders fills against
// Export's, for text that needs escaping in JSON.
func TestStatsOrdersFields(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	tricky := order("T1", streetdesk.StatusClosed)
	tricky.Title = `引号"和\反斜杠 <b>&amp; \"}]{[ 换行\n` + "\n\t\u2028 😀 \x01"
	tricky.Complaint = `"}],"status":"dispatched","history":[`
	tricky.AssigneeName = `王"芳\`
	tricky.Rating = streetdesk.RatingDissatisfied
	tricky.Cycle = 2
	tricky.AcceptedAt = t0.Add(-30 * time.Minute)
	tricky.History = []streetdesk.Event{
		{At: t0.Add(-time.Hour), Actor: `派单员"}`, Kind: "dispatch", Text: `{"kind":"close"}`, Cycle: 0},
		{At: t0.Add(-time.Minute).Add(123456789), Kind: "close", Text: "\\", Cycle: 2},
	}
	empty := order("T2", streetdesk.StatusDispatched)
	empty.Title, empty.TeamID = "", ""
	utc := order("T3", streetdesk.StatusAccepted)
	utc.DispatchedAt, utc.UpdatedAt = utc.DispatchedAt.UTC(), utc.UpdatedAt.UTC()
	utc.Deadlines = streetdesk.Deadlines{}
	pull(t, db, tricky, empty, utc)
	if err := db.Accept(ctx, "T2"); err != nil {
		t.Fatal(err)
	}
	items, err := db.Export(ctx, streetdesk.QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]streetdesk.WorkOrder{}
	for _, it := range items {
		want[it.Order.ID] = statsFields(it.Order)
	}
	got, err := db.StatsOrders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d orders, want %d", len(got), len(want))
	}
	for _, o := range got {
		if w := want[o.ID]; !reflect.DeepEqual(statsFields(o), w) {
			t.Errorf("%s:\n got %+v\nwant %+v", o.ID, statsFields(o), w)
		}
	}
}

// statsFields keeps what StatsOrders promises.
func statsFields(o streetdesk.WorkOrder) streetdesk.WorkOrder {
	w := streetdesk.WorkOrder{ID: o.ID, Title: o.Title, Urgency: o.Urgency, Status: o.Status,
		AssigneeID: o.AssigneeID, AssigneeName: o.AssigneeName, TeamID: o.TeamID, Cycle: o.Cycle, Rating: o.Rating,
		Deadlines:    streetdesk.Deadlines{AcceptBy: o.Deadlines.AcceptBy, ResolveBy: o.Deadlines.ResolveBy},
		DispatchedAt: o.DispatchedAt, AcceptedAt: o.AcceptedAt, UpdatedAt: o.UpdatedAt}
	for _, e := range o.History {
		w.History = append(w.History, streetdesk.Event{At: e.At, Kind: e.Kind, Cycle: e.Cycle})
	}
	return w
}

func teamOf(orders []streetdesk.WorkOrder) []streetdesk.User {
	seen := map[string]bool{}
	var out []streetdesk.User
	for _, o := range orders {
		if o.AssigneeID != "" && !seen[o.AssigneeID] {
			seen[o.AssigneeID] = true
			out = append(out, streetdesk.User{ID: o.AssigneeID, Name: o.AssigneeName, TeamID: "t1"})
		}
	}
	return out
}

func awaitingRows(os []streetdesk.WorkOrder) []string {
	out := make([]string, len(os))
	for i := range os {
		o := &os[i]
		out[i] = strings.Join([]string{o.ID, o.Title, o.CurrentDeadline().String(), o.AssigneeName, string(o.Urgency)}, "|")
	}
	return out
}

// BenchmarkStatsOrders reads the lead board's 20,000 team orders (50
// members) for the statistics: the lean read against Export.
//
//	go test -run '^$' -bench StatsOrders -benchmem ./localdb
func BenchmarkStatsOrders(b *testing.B) {
	ctx := context.Background()
	now := benchNow
	path := filepath.Join(b.TempDir(), "team.db")
	db, err := localdb.Open(ctx, path, localdb.Options{User: lead(), Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	orders := demo.NewGenerator(1, now).Orders(20000)
	for i := range orders {
		m := i % 50
		orders[i].AssigneeID, orders[i].AssigneeName, orders[i].TeamID = fmt.Sprintf("u-%02d", m), fmt.Sprintf("组员%02d", m), "t1"
		if orders[i].Version == 0 {
			orders[i].Version = 1
		}
	}
	for i := 0; i < len(orders); i += 1000 {
		page := &streetdesk.PullResponse{Cursor: strconv.Itoa(i), HasMore: i+1000 < len(orders), Changes: upserts(orders[i : i+1000]...)}
		if err := db.ApplyPull(ctx, page); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("StatsOrders", func(b *testing.B) {
		for b.Loop() {
			os, err := db.StatsOrders(ctx)
			if err != nil || len(os) != len(orders) {
				b.Fatal(len(os), err)
			}
		}
	})
	b.Run("Export", func(b *testing.B) {
		for b.Loop() {
			items, err := db.Export(ctx, streetdesk.QueueFilter{})
			if err != nil || len(items) != len(orders) {
				b.Fatal(len(items), err)
			}
		}
	})
}
