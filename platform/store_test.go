package platform_test

import (
	"context"
	"testing"

	"github.com/streetdesk/streetdesk"
)

// A second account or order under a taken name is ECONFLICT (decided by
// SQLite's constraint code), and the first one is left as it was.
func TestDuplicatesAreConflicts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.srv.AddUser(ctx, streetdesk.User{Username: "cw01", Name: "冒名", Role: streetdesk.RoleCaseworker, TeamID: "teamA"}, "another-pass")
	if streetdesk.ErrorCode(err) != streetdesk.ECONFLICT {
		t.Fatalf("second cw01: %v, want ECONFLICT", err)
	}
	if u, err := e.srv.User(ctx, "cw01"); err != nil || u.Name != "王芳" {
		t.Fatalf("cw01 after the refused duplicate: %+v, %v", u, err)
	}
	dispatcher, err := e.srv.User(ctx, "dispatcher")
	if err != nil {
		t.Fatal(err)
	}
	req := streetdesk.DispatchRequest{ID: "WO-DUP-1", Title: "井盖缺失", Complaint: "桂园路口人行道井盖缺失。", Channel: streetdesk.ChannelHotline,
		CategoryL3: streetdesk.SampleTaxonomy().Items[0].L3Code, TeamID: "teamA"}
	if _, err := e.srv.Dispatch(ctx, dispatcher, req); err != nil {
		t.Fatal(err)
	}
	req.Title = "另一张工单"
	if _, err := e.srv.Dispatch(ctx, dispatcher, req); streetdesk.ErrorCode(err) != streetdesk.ECONFLICT {
		t.Fatalf("second WO-DUP-1: %v, want ECONFLICT", err)
	}
	if o, err := e.srv.Order(ctx, "WO-DUP-1"); err != nil || o.Title != "井盖缺失" {
		t.Fatalf("WO-DUP-1 after the refused duplicate: %+v, %v", o, err)
	}
}
