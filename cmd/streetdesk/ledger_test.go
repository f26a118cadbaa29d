package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/columns"
	"github.com/xuri/excelize/v2"
)

// ledgerFixture is two orders with every kind of cell: times, an empty
// time, counts, yes/no and a long Chinese title.
func ledgerFixture() ([]streetdesk.QueueItem, ledgerMeta) {
	cn := streetdesk.ChinaTZ
	at := time.Date(2026, 3, 12, 10, 0, 0, 0, cn)
	a := streetdesk.WorkOrder{ID: "SZ12345-20260312-000481", Title: "垃圾站凌晨作业噪声扰民，压缩机声音很大，严重影响休息",
		Status: streetdesk.StatusReopened, Urgency: streetdesk.UrgencyUrgent, Channel: streetdesk.ChannelHotline,
		Category: streetdesk.Category{L1Name: "噪声污染", L2Name: "社会生活噪声", L3Name: "垃圾站夜间作业噪声", Department: "区城管和综合执法局"},
		Location: streetdesk.Location{District: "福田区", StreetOffice: "香蜜湖街道", Community: "星河社区", Address: "星湖花园3栋旁垃圾站"},
		Citizen:  streetdesk.Citizen{Name: "李先生", Phone: "13800005521"},
		// 00:30 China time is still the previous day in UTC: the cell must
		// show the China date.
		DispatchedAt: time.Date(2026, 3, 11, 0, 30, 0, 0, cn),
		Deadlines:    streetdesk.Deadlines{AcceptBy: time.Date(2026, 3, 11, 12, 0, 0, 0, cn), ResolveBy: time.Date(2026, 3, 12, 8, 0, 0, 0, cn)},
		Supervised:   true, Cycle: 2, AssigneeName: "王芳", Rating: streetdesk.RatingDissatisfied}
	b := streetdesk.WorkOrder{ID: "SZ12345-20260312-000502", Title: "路灯杆占用人行道", Status: streetdesk.StatusDispatched,
		DispatchedAt: time.Date(2026, 3, 12, 9, 15, 0, 0, cn)}
	meta := ledgerMeta{Office: "香蜜湖街道", Team: "城管组", User: "王芳（cw01）", At: at}
	return []streetdesk.QueueItem{{Order: a, Pending: 3}, {Order: b}}, meta
}

// TestLedgerXLSX reads the ledger back with excelize: typed cells, the
// title row, the frozen header, the filter, the widths and the document
// properties.
func TestLedgerXLSX(t *testing.T) {
	items, meta := ledgerFixture()
	var buf bytes.Buffer
	if err := writeLedgerXLSX(&buf, items, meta); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	col := func(name string) string {
		for i, c := range ledgerColumns {
			if c.header() == name {
				n, _ := excelize.ColumnNumberToName(i + 1)
				return n
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	get := func(cell string) string {
		t.Helper()
		v, err := f.GetCellValue(ledgerSheet(), cell)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	raw := func(cell string) string {
		t.Helper()
		v, err := f.GetCellValue(ledgerSheet(), cell, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	title := get("A1")
	for _, want := range []string{"香蜜湖街道", "城管组", "王芳（cw01）", "2026-03-12 10:00", "共 2 件"} {
		if !strings.Contains(title, want) {
			t.Errorf("title row %q lacks %q", title, want)
		}
	}
	if got := get(col("工单编号") + "2"); got != "工单编号" {
		t.Errorf("header row: A2 = %q", got)
	}

	// Times are date-time numbers shown as yyyy-mm-dd hh:mm in China time.
	for _, tc := range []struct {
		cell string
		want time.Time
	}{
		{col("派单时间") + "3", items[0].Order.DispatchedAt},
		{col("办结时限") + "3", items[0].Order.Deadlines.ResolveBy},
		{col("派单时间") + "4", items[1].Order.DispatchedAt},
	} {
		serial, err := strconv.ParseFloat(raw(tc.cell), 64)
		if err != nil {
			t.Fatalf("%s is not a number: %q", tc.cell, raw(tc.cell))
		}
		got, err := excelize.ExcelDateToTime(serial, false)
		if err != nil {
			t.Fatal(err)
		}
		if want := chinaWallClock(tc.want); !got.Round(time.Second).Equal(want) {
			t.Errorf("%s = %v, want %v (China wall clock)", tc.cell, got, want)
		}
		if shown, want := get(tc.cell), tc.want.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04"); shown != want {
			t.Errorf("%s shows %q, want %q", tc.cell, shown, want)
		}
	}
	if got := raw(col("办结时限") + "4"); got != "" {
		t.Errorf("a missing deadline is %q, want an empty cell", got)
	}
	// Counts are numbers; yes/no are 是/否.
	for cell, want := range map[string]string{col("重办次数") + "3": "2", col("待同步") + "3": "3", col("重办次数") + "4": "0"} {
		if typ, _ := f.GetCellType(ledgerSheet(), cell); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Errorf("%s is text, want a number", cell)
		}
		if got := raw(cell); got != want {
			t.Errorf("%s = %q, want %s", cell, got, want)
		}
	}
	for cell, want := range map[string]string{col("是否超时") + "3": "是", col("督办") + "3": "是", col("督办") + "4": "否", col("是否超时") + "4": "否"} {
		if got := get(cell); got != want {
			t.Errorf("%s = %q, want %s", cell, got, want)
		}
	}
	if got := get(col("联系电话") + "3"); got != "138****5521" {
		t.Errorf("phone = %q, want it masked", got)
	}

	panes, err := f.GetPanes(ledgerSheet())
	if err != nil || !panes.Freeze || panes.YSplit != ledgerHeaderRow || panes.TopLeftCell != "A3" {
		t.Errorf("panes = %+v %v, want the title and header frozen", panes, err)
	}
	filter := ""
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" {
			filter = dn.RefersTo
		}
	}
	if want := "'台账'!$A$2:$X$4"; filter != want && filter != "'台账'!A2:X4" {
		t.Errorf("filter range = %q, want %s", filter, want)
	}
	w, _ := f.GetColWidth(ledgerSheet(), col("标题"))
	if need := float64(columns.Width(items[0].Order.Title)); w < need {
		t.Errorf("标题 column is %.0f wide, the title needs %.0f", w, need)
	}
	if w, _ := f.GetColWidth(ledgerSheet(), col("区")); w > 12 {
		t.Errorf("区 column is %.0f wide, too wide for 福田区", w)
	}
	props, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if props.Title != "工单台账" || props.Creator != "王芳（cw01）" || !strings.Contains(props.Subject, "香蜜湖街道") ||
		!strings.HasPrefix(props.Created, "2026-03-12T02:00:00") {
		t.Errorf("document properties = %+v", props)
	}
}

// TestLedgerCSV: the same cells as text, times in China time.
func TestLedgerCSV(t *testing.T) {
	items, meta := ledgerFixture()
	var buf bytes.Buffer
	if err := writeLedgerCSV(&buf, items, meta); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\ufeff")) {
		t.Error("no BOM: Excel would misread the Chinese")
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || len(rows[0]) != len(ledgerColumns) {
		t.Fatalf("%d rows of %d", len(rows), len(rows[0]))
	}
	idx := map[string]int{}
	for i, h := range rows[0] {
		idx[h] = i
	}
	for name, want := range map[string]string{"派单时间": "2026-03-11 00:30", "办结时限": "2026-03-12 08:00", "重办次数": "2",
		"是否超时": "是", "督办": "是", "待同步": "3", "状态": "重办"} {
		if got := rows[1][idx[name]]; got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// TestLedgerXLSX_Openpyxl reads the ledger with an independent reader,
// Debian's python3-openpyxl (installed by scripts/deps.sh), as a clerk's
// spreadsheet program would: date-times, numbers, the frozen header, the
// filter, the widths and the properties.
func TestLedgerXLSX_Openpyxl(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import openpyxl").Run(); err != nil {
		// make test (scripts/test.sh) installs it first and must run this.
		if os.Getenv("STREETDESK_TEST_TMP") != "" {
			t.Fatalf("python3-openpyxl is missing (scripts/deps.sh installs it): %v", err)
		}
		t.Skipf("python3-openpyxl is not installed (make test installs it): %v", err)
	}
	items, meta := ledgerFixture()
	path := filepath.Join(t.TempDir(), "台账.xlsx")
	var buf bytes.Buffer
	if err := writeLedgerXLSX(&buf, items, meta); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	const script = `
import json, sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["台账"]
head = {c.value: c.column_letter for c in ws[2]}
def cell(name, row):
    c = ws[head[name] + str(row)]
    v = c.value
    if isinstance(v, datetime.datetime):
        v = v.strftime("%Y-%m-%d %H:%M")
    return {"type": type(c.value).__name__, "value": v, "format": c.number_format}
print(json.dumps({
    "title": ws["A1"].value,
    "merged": [str(r) for r in ws.merged_cells.ranges],
    "freeze": ws.freeze_panes,
    "filter": ws.auto_filter.ref,
    "widthTitle": ws.column_dimensions[head["标题"]].width,
    "props": {"title": wb.properties.title, "creator": wb.properties.creator, "subject": wb.properties.subject},
    "dispatched": cell("派单时间", 3),
    "resolveBy": cell("办结时限", 3),
    "noResolveBy": cell("办结时限", 4),
    "cycle": cell("重办次数", 3),
    "pending": cell("待同步", 3),
    "overdue": cell("是否超时", 3),
    "id": cell("工单编号", 3),
}, ensure_ascii=False))
`
	out, err := exec.Command(python, "-c", script, path).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("openpyxl: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	type cell struct {
		Type   string `json:"type"`
		Value  any    `json:"value"`
		Format string `json:"format"`
	}
	var got struct {
		Title, Freeze, Filter string
		Merged                []string
		WidthTitle            float64
		Props                 map[string]string
		Dispatched, ResolveBy cell
		NoResolveBy           cell
		Cycle, Pending        cell
		Overdue, ID           cell
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Dispatched.Type != "datetime" || got.Dispatched.Value != "2026-03-11 00:30" || got.Dispatched.Format != ledgerTimeFormat {
		t.Errorf("派单时间 = %+v, want a datetime 2026-03-11 00:30 shown as %s", got.Dispatched, ledgerTimeFormat)
	}
	if got.ResolveBy.Type != "datetime" || got.ResolveBy.Value != "2026-03-12 08:00" {
		t.Errorf("办结时限 = %+v", got.ResolveBy)
	}
	if got.NoResolveBy.Type != "NoneType" {
		t.Errorf("a missing deadline = %+v, want an empty cell", got.NoResolveBy)
	}
	if got.Cycle.Type != "int" || got.Cycle.Value != float64(2) || got.Pending.Type != "int" {
		t.Errorf("重办次数 = %+v, 待同步 = %+v, want numbers", got.Cycle, got.Pending)
	}
	if got.Overdue.Value != "是" || got.ID.Type != "str" {
		t.Errorf("是否超时 = %+v, 工单编号 = %+v", got.Overdue, got.ID)
	}
	if got.Freeze != "A3" || strings.ReplaceAll(got.Filter, "$", "") != "A2:X4" {
		t.Errorf("freeze = %q, filter = %q, want A3 and A2:X4", got.Freeze, got.Filter)
	}
	if len(got.Merged) != 1 || got.Merged[0] != "A1:X1" || !strings.Contains(got.Title, "香蜜湖街道") {
		t.Errorf("title row %q merged %v", got.Title, got.Merged)
	}
	if got.WidthTitle < float64(columns.Width(items[0].Order.Title)) {
		t.Errorf("标题 width %.1f", got.WidthTitle)
	}
	if got.Props["title"] != "工单台账" || got.Props["creator"] != "王芳（cw01）" {
		t.Errorf("properties %v", got.Props)
	}
}
