package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/columns"
	"github.com/xuri/excelize/v2"
)

// ledgerMeta says whose ledger (台账) it is and when it was made: the XLSX
// carries it in a title row and in the document properties.
type ledgerMeta struct {
	Office string // street office, 桂园街道
	Team   string // 城管组
	User   string // who exported it, 梁晓红（cw01）
	At     time.Time
}

func newLedgerMeta(u streetdesk.User, at time.Time) ledgerMeta {
	who := u.Name
	if u.Username != "" && u.Username != u.Name {
		who += "（" + u.Username + "）"
	}
	return ledgerMeta{Office: u.StreetOffice, Team: u.TeamName, User: who, At: at}
}

// title is the line above the header: office, team, who and when.
func (m ledgerMeta) title(n int) string {
	w := cliWords()
	parts := []string{w.T("ledger.title", "Work-order ledger")}
	if s := strings.TrimSpace(m.Office + " " + m.Team); s != "" {
		parts = append(parts, s)
	}
	if m.User != "" {
		parts = append(parts, w.T("ledger.by", "exported by {{.Who}}", map[string]string{"Who": m.User}))
	}
	parts = append(parts, w.T("ledger.at", "exported {{.At}} (Beijing time)", map[string]string{"At": m.At.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04")}),
		w.T("ledger.count", "{{.N}} orders", map[string]int{"N": n}))
	return strings.Join(parts, " · ")
}

// ledgerColumn is one column: its header's key (ledger.col.KEY in the
// translation files) and its cell for an order, a string, a time (China
// time), an int or a bool (是/否).
type ledgerColumn struct {
	key   string
	value func(it *streetdesk.QueueItem, now time.Time) any
}

// header is the column's heading.
func (c ledgerColumn) header() string { return cliWords().T("ledger.col."+c.key, c.key) }

func textCol(f func(o *streetdesk.WorkOrder) string) func(*streetdesk.QueueItem, time.Time) any {
	return func(it *streetdesk.QueueItem, _ time.Time) any { return f(&it.Order) }
}

func timeCol(f func(o *streetdesk.WorkOrder) time.Time) func(*streetdesk.QueueItem, time.Time) any {
	return func(it *streetdesk.QueueItem, _ time.Time) any { return f(&it.Order) }
}

// ledgerColumns are the 台账's columns in order.
var ledgerColumns = []ledgerColumn{
	{"id", textCol(func(o *streetdesk.WorkOrder) string { return o.ID })},
	{"title", textCol(func(o *streetdesk.WorkOrder) string { return o.Title })},
	{"status", textCol(func(o *streetdesk.WorkOrder) string { return cliWords().Name(o.Status) })},
	{"urgency", textCol(func(o *streetdesk.WorkOrder) string { return cliWords().Name(o.Urgency) })},
	{"channel", textCol(func(o *streetdesk.WorkOrder) string { return cliWords().Name(o.Channel) })},
	{"l1", textCol(func(o *streetdesk.WorkOrder) string { return o.Category.L1Name })},
	{"l2", textCol(func(o *streetdesk.WorkOrder) string { return o.Category.L2Name })},
	{"l3", textCol(func(o *streetdesk.WorkOrder) string { return o.Category.L3Name })},
	{"department", textCol(func(o *streetdesk.WorkOrder) string { return o.Category.Department })},
	{"district", textCol(func(o *streetdesk.WorkOrder) string { return o.Location.District })},
	{"streetOffice", textCol(func(o *streetdesk.WorkOrder) string { return o.Location.StreetOffice })},
	{"community", textCol(func(o *streetdesk.WorkOrder) string { return o.Location.Community })},
	{"address", textCol(func(o *streetdesk.WorkOrder) string { return o.Location.Address })},
	{"citizen", textCol(func(o *streetdesk.WorkOrder) string { return o.Citizen.Name })},
	{"phone", textCol(func(o *streetdesk.WorkOrder) string { return streetdesk.MaskPhone(o.Citizen.Phone) })},
	{"dispatchedAt", timeCol(func(o *streetdesk.WorkOrder) time.Time { return o.DispatchedAt })},
	{"acceptBy", timeCol(func(o *streetdesk.WorkOrder) time.Time { return o.Deadlines.AcceptBy })},
	{"resolveBy", timeCol(func(o *streetdesk.WorkOrder) time.Time { return o.Deadlines.ResolveBy })},
	{"overdue", func(it *streetdesk.QueueItem, now time.Time) any { return it.Order.Overdue(now) }},
	{"supervised", func(it *streetdesk.QueueItem, _ time.Time) any { return it.Order.Supervised }},
	{"reopenings", func(it *streetdesk.QueueItem, _ time.Time) any { return it.Order.Cycle }},
	{"assignee", textCol(func(o *streetdesk.WorkOrder) string { return o.AssigneeName })},
	{"rating", textCol(func(o *streetdesk.WorkOrder) string { return cliWords().Name(o.Rating) })},
	{"pending", func(it *streetdesk.QueueItem, _ time.Time) any { return it.Pending }},
}

// ledgerTimeLayout is how times read in the CSV and display in the XLSX.
const (
	ledgerTimeLayout = "2006-01-02 15:04"
	ledgerTimeFormat = "yyyy-mm-dd hh:mm"
)

// cellText is a value as the CSV writes it.
func cellText(v any) string {
	switch v := v.(type) {
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.In(streetdesk.ChinaTZ).Format(ledgerTimeLayout)
	case bool:
		return yesNo(v)
	case int:
		return strconv.Itoa(v)
	}
	return fmt.Sprint(v)
}

func yesNo(b bool) string {
	if b {
		return cliWords().T("ledger.yes", "yes")
	}
	return cliWords().T("ledger.no", "no")
}

// writeLedgerCSV writes the ledger as UTF-8 CSV with a BOM so Excel opens the Chinese right.
func writeLedgerCSV(w io.Writer, items []streetdesk.QueueItem, meta ledgerMeta) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	row := make([]string, len(ledgerColumns))
	for i, c := range ledgerColumns {
		row[i] = c.header()
	}
	if err := cw.Write(row); err != nil {
		return err
	}
	for i := range items {
		for j, c := range ledgerColumns {
			row[j] = cellText(c.value(&items[i], meta.At))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// The XLSX layout: a title row, the header row, then one row per order.
const (
	ledgerHeaderRow = 2
	maxColumnWidth  = 60
)

// writeLedgerXLSX writes the ledger as an Excel workbook a clerk can work
// with at once: times are date-times in China time, counts are numbers,
// yes/no are 是/否; the header stays frozen with a filter on it, columns
// are wide enough for their Chinese text, and the title row and document
// properties say whose ledger it is and when it was exported.
func writeLedgerXLSX(w io.Writer, items []streetdesk.QueueItem, meta ledgerMeta) error {
	ledgerSheet := ledgerSheet()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", ledgerSheet); err != nil {
		return err
	}
	title := meta.title(len(items))
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:       cliWords().T("ledger.title", "Work-order ledger"),
		Subject:     strings.TrimSpace(meta.Office + " " + meta.Team),
		Creator:     meta.User,
		Description: title,
		Created:     meta.At.UTC().Format(time.RFC3339),
		Modified:    meta.At.UTC().Format(time.RFC3339),
		Category:    cliWords().T("ledger.category", "12345 work-order ledger"),
		Language:    "zh-CN",
	}); err != nil {
		return fmt.Errorf("document properties: %w", err)
	}
	lastCol, _ := excelize.ColumnNumberToName(len(ledgerColumns))
	lastRow := ledgerHeaderRow + max(len(items), 1)
	// The filter goes on before the stream writer takes the sheet over: it
	// writes what the sheet holds when it flushes.
	if err := f.AutoFilter(ledgerSheet, fmt.Sprintf("A%d:%s%d", ledgerHeaderRow, lastCol, lastRow), nil); err != nil {
		return fmt.Errorf("filter: %w", err)
	}

	styles, err := newLedgerStyles(f)
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(ledgerSheet)
	if err != nil {
		return err
	}
	// Panes and widths must precede the rows.
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: ledgerHeaderRow,
		TopLeftCell: fmt.Sprintf("A%d", ledgerHeaderRow+1), ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("freeze header: %w", err)
	}
	for i, wd := range ledgerWidths(items, meta.At) {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return err
		}
	}
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: styles.title, Value: title}}, excelize.RowOpts{Height: 24}); err != nil {
		return err
	}
	if err := sw.MergeCell("A1", lastCol+"1"); err != nil {
		return err
	}
	row := make([]any, len(ledgerColumns))
	for i, c := range ledgerColumns {
		row[i] = excelize.Cell{StyleID: styles.header, Value: c.header()}
	}
	if err := sw.SetRow(fmt.Sprintf("A%d", ledgerHeaderRow), row); err != nil {
		return err
	}
	for i := range items {
		for j, c := range ledgerColumns {
			row[j] = styles.cell(c.value(&items[i], meta.At))
		}
		if err := sw.SetRow(fmt.Sprintf("A%d", ledgerHeaderRow+1+i), row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

type ledgerStyles struct {
	title, header, date, number, text int
}

func newLedgerStyles(f *excelize.File) (ledgerStyles, error) {
	var s ledgerStyles
	var err error
	mk := func(st *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(st)
		return id
	}
	s.title = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}, Alignment: &excelize.Alignment{Vertical: "center"}})
	s.header = mk(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Border:    []excelize.Border{{Type: "bottom", Color: "8EA9DB", Style: 1}},
		Alignment: &excelize.Alignment{Vertical: "center"}})
	fmtDate := ledgerTimeFormat
	s.date = mk(&excelize.Style{CustomNumFmt: &fmtDate, Alignment: &excelize.Alignment{Horizontal: "left"}})
	s.number = mk(&excelize.Style{NumFmt: 1}) // 0
	s.text = mk(&excelize.Style{NumFmt: 49})  // @: ids like SZ12345-… stay text
	if err != nil {
		return s, fmt.Errorf("styles: %w", err)
	}
	return s, nil
}

// cell is a value as the XLSX stores it.
func (s ledgerStyles) cell(v any) any {
	switch v := v.(type) {
	case time.Time:
		if v.IsZero() {
			return nil
		}
		return excelize.Cell{StyleID: s.date, Value: chinaWallClock(v)}
	case bool:
		return yesNo(v)
	case int:
		return excelize.Cell{StyleID: s.number, Value: v}
	case string:
		return excelize.Cell{StyleID: s.text, Value: v}
	}
	return v
}

// chinaWallClock is t's China date and time as a zoneless value: a
// spreadsheet date has no zone, and excelize counts from the instant, so
// the wall clock has to be moved to UTC to read 2026-03-12 08:00 in the
// cell for 08:00 in Shenzhen.
func chinaWallClock(t time.Time) time.Time {
	c := t.In(streetdesk.ChinaTZ)
	return time.Date(c.Year(), c.Month(), c.Day(), c.Hour(), c.Minute(), c.Second(), 0, time.UTC)
}

// ledgerWidths fits each column to its widest cell (a Chinese character is
// two columns wide), within bounds.
func ledgerWidths(items []streetdesk.QueueItem, now time.Time) []float64 {
	out := make([]float64, len(ledgerColumns))
	for i, c := range ledgerColumns {
		out[i] = float64(columns.Width(c.header()))
	}
	for k := range items {
		for i, c := range ledgerColumns {
			out[i] = max(out[i], float64(columns.Width(cellText(c.value(&items[k], now)))))
		}
	}
	for i := range out {
		out[i] = min(out[i]+2, maxColumnWidth)
	}
	return out
}

// exportLedger writes every order of the local store to path as csv or
// xlsx: to a temporary file first, renamed when complete, so a failed
// export leaves no half file. It returns how many orders it wrote.
func exportLedger(ctx context.Context, d streetdesk.Desk, meta ledgerMeta, format, path string) (int, error) {
	if format != "csv" && format != "xlsx" {
		return 0, streetdesk.Errorf(streetdesk.EINVALID, "--format must be csv or xlsx")
	}
	items, err := allOrders(ctx, d, streetdesk.QueueFilter{Sort: streetdesk.SortDispatched}, 0)
	if err != nil {
		return 0, err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", path, err)
	}
	if format == "csv" {
		err = writeLedgerCSV(f, items, meta)
	} else {
		err = writeLedgerXLSX(f, items, meta)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("write ledger: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("write ledger: %w", err)
	}
	return len(items), nil
}

// ledgerSheet is the name of the workbook's sheet.
func ledgerSheet() string { return cliWords().T("ledger.sheet", "Ledger") }
