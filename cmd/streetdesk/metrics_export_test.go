package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	streetdesk "github.com/streetdesk/streetdesk"
)

func TestWriteTeamStatsXLSX(t *testing.T) {
	now := time.Date(2026, 3, 12, 10, 0, 0, 0, streetdesk.ChinaTZ)
	members := []streetdesk.User{{ID: "a", Name: "王芳"}, {ID: "b", Name: "李四"}}
	orders := []streetdesk.WorkOrder{
		{ID: "SZ-1", Title: "井盖松动", Status: streetdesk.StatusDispatched, Urgency: streetdesk.UrgencyUrgent,
			DispatchedAt: now.Add(-2 * time.Hour), Deadlines: streetdesk.Deadlines{AcceptBy: now.Add(time.Hour)}},
		{ID: "SZ-2", Title: "噪声", AssigneeID: "a", Status: streetdesk.StatusAccepted, DispatchedAt: now.Add(-5 * time.Hour),
			AcceptedAt: now.Add(-4 * time.Hour), Deadlines: streetdesk.Deadlines{AcceptBy: now.Add(-3 * time.Hour), ResolveBy: now.Add(-time.Hour)}},
		{ID: "SZ-3", Title: "油烟", AssigneeID: "a", Status: streetdesk.StatusClosed, DispatchedAt: now.Add(-30 * time.Hour),
			AcceptedAt: now.Add(-29 * time.Hour), Deadlines: streetdesk.Deadlines{AcceptBy: now.Add(-26 * time.Hour), ResolveBy: now.Add(-2 * time.Hour)},
			History: []streetdesk.Event{{Kind: "submitResolution", At: now.Add(-10 * time.Hour)}, {Kind: "close", At: now.Add(-3 * time.Hour)}}},
	}
	s := streetdesk.ComputeTeamStats(orders, members, now, 2, nil)
	var buf bytes.Buffer
	if err := writeTeamStatsXLSX(&buf, s); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 4 || got[0] != "成员" || got[3] != "待签收" {
		t.Fatalf("sheets = %v", got)
	}
	for _, tc := range []struct{ sheet, cell, want string }{
		{"成员", "A1", "成员"},
		{"成员", "A2", "王芳"},
		{"成员", "B2", "1"},    // open: SZ-2 (SZ-3 is closed)
		{"成员", "E2", "1"},    // overdue: SZ-2
		{"成员", "G2", "100%"}, // response 2/2
		{"成员", "H2", "2"},    // in time
		{"成员", "J2", "50%"},  // resolution: SZ-3 in time, SZ-2 missed
		{"成员", "M2", "100%"}, // satisfaction 1/1
		{"成员", "A3", "李四"},
		{"成员", "G3", ""},      // no rate, not 0%
		{"成员", "I3", "0"},     // its denominator
		{"成员", "A4", "（未分配）"}, // SZ-1 waits unassigned
		{"成员", "A5", "全组"},
		{"每周", "A3", "2026-W11"},
		{"每周", "B3", "2026-03-09"},
		{"每周", "L3", "1"}, // missed deadlines this week
		{"成员每周", "A2", "王芳"},
		{"成员每周", "B2", "2026-W10"},
		{"待签收", "A2", "SZ-1"},
		{"待签收", "C2", "2026-03-12 11:00"},
		{"待签收", "E2", "紧急"},
	} {
		got, err := f.GetCellValue(tc.sheet, tc.cell)
		if err != nil || got != tc.want {
			t.Errorf("%s!%s = %q, %v; want %q", tc.sheet, tc.cell, got, err, tc.want)
		}
	}
}

func TestExportTeamStatsFile(t *testing.T) {
	dir := t.TempDir()
	s := streetdesk.ComputeTeamStats(nil, []streetdesk.User{{ID: "a", Name: "王芳"}}, time.Now(), 4, nil)
	path := filepath.Join(dir, "team.xlsx")
	if err := exportTeamStatsFile(path, s); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	// A directory that does not exist: an error, and nothing left behind.
	if err := exportTeamStatsFile(filepath.Join(dir, "missing", "team.xlsx"), s); err == nil {
		t.Error("export into a missing directory succeeded")
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("files left: %v", es)
	}
}
