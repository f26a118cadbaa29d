package localdb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
)

// order builds a shadow order assigned to the test caseworker.
func order(id string, st streetdesk.Status) streetdesk.WorkOrder {
	return streetdesk.WorkOrder{
		ID:        id,
		Title:     "罗湖区星湖花园垃圾站凌晨作业噪声扰民",
		Complaint: "市民反映星湖花园垃圾站每天凌晨4点压缩作业，噪声很大，影响休息。",
		Channel:   streetdesk.ChannelHotline,
		Category:  streetdesk.Category{L1Code: "01", L2Code: "0102", L3Code: "010201"},
		Location: streetdesk.Location{District: "罗湖区", StreetOffice: "东门街道", Community: "湖贝社区",
			Address: "东门北路1号星湖花园3栋"},
		Urgency:      streetdesk.UrgencyNormal,
		Status:       st,
		AssigneeID:   caseworker().ID,
		AssigneeName: caseworker().Name,
		TeamID:       "t1",
		Version:      1,
		Deadlines: streetdesk.Deadlines{AcceptBy: t0.Add(2 * time.Hour), FirstContactBy: t0.Add(24 * time.Hour),
			ResolveBy: t0.Add(5 * 24 * time.Hour)},
		DispatchedAt: t0.Add(-time.Hour),
		UpdatedAt:    t0.Add(-time.Hour),
	}
}

func upserts(orders ...streetdesk.WorkOrder) []streetdesk.Change {
	var cs []streetdesk.Change
	for i := range orders {
		o := orders[i]
		cs = append(cs, streetdesk.Change{Type: streetdesk.ChangeWorkOrder, Op: streetdesk.OpUpsert, ID: o.ID, Version: o.Version, Order: &o})
	}
	return cs
}

// pull applies one complete (HasMore=false) page of order upserts.
func pull(t testing.TB, db *localdb.DB, orders ...streetdesk.WorkOrder) {
	t.Helper()
	page := &streetdesk.PullResponse{Cursor: fmt.Sprintf("c%d", time.Now().UnixNano()), Changes: upserts(orders...)}
	if err := db.ApplyPull(context.Background(), page); err != nil {
		t.Fatalf("ApplyPull: %v", err)
	}
}

func mustOrder(t testing.TB, db *localdb.DB, id string) *streetdesk.OrderDetail {
	t.Helper()
	d, err := db.Order(context.Background(), id)
	if err != nil {
		t.Fatalf("Order(%s): %v", id, err)
	}
	return d
}

func pending(t testing.TB, db *localdb.DB) []streetdesk.Mutation {
	t.Helper()
	ms, err := db.PendingMutations(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := streetdesk.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func photo(n int) streetdesk.ImportedPhoto {
	return streetdesk.ImportedPhoto{SHA256: fmt.Sprintf("%064x", n+1), Path: fmt.Sprintf("/media/%d.jpg", n), Size: 1000 + int64(n),
		MIME: "image/jpeg", Width: 800, Height: 600, TakenAt: t0}
}

var errInjected = errors.New("injected failure")

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func ids(items []streetdesk.QueueItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Order.ID
	}
	return out
}

func short(s []string) string {
	if len(s) > 8 {
		return strings.Join(s[:8], ",") + ",…"
	}
	return strings.Join(s, ",")
}
