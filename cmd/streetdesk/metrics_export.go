package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/xuri/excelize/v2"

	streetdesk "github.com/streetdesk/streetdesk"
)

// The team lead's statistics as a workbook (the board's 导出 XLSX): one
// sheet per view — members, weeks, each member's weeks, orders awaiting
// acceptance. A rate without a denominator is left blank (no rate, not 0%);
// its counts stay beside it so the centre's figures can be re-checked.

var (
	rateHeader = []string{"stats.responseRate", "stats.respondedInTime", "stats.dueResponse", "stats.resolutionRate",
		"stats.resolvedInTime", "stats.dueResolution", "stats.satisfactionRate", "stats.satisfied", "stats.callbacks"}
	statsTZ = streetdesk.ChinaTZ
)

// exportTeamStatsFile is the board's 导出 XLSX hook (ui.BoardOptions.ExportXLSX):
// it writes the workbook next to path and renames it into place, so a
// failed export never leaves half a file under the chosen name.
func exportTeamStatsFile(path string, s streetdesk.TeamStats) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".streetdesk-stats-*.xlsx")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := writeTeamStatsXLSX(tmp, s); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// writeTeamStatsXLSX writes s as an Excel workbook to w.
func writeTeamStatsXLSX(w io.Writer, s streetdesk.TeamStats) error {
	f := excelize.NewFile()
	defer f.Close()
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 9}) // 0%
	if err != nil {
		return fmt.Errorf("percent style: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("header style: %w", err)
	}
	x := &statsBook{f: f, pct: pct, bold: bold}

	// Members: load now and rates over the period.
	x.sheet("stats.sheet.members", append([]string{"stats.member", "stats.open", "stats.dueSoon", "stats.dueToday", "stats.overdue", "stats.workload"}, rateHeader...))
	rows := s.Members
	if s.Unassigned.Open > 0 {
		u := s.Unassigned
		u.Member.Name = cliWords().T("stats.unassigned", "(unassigned)")
		rows = append(rows[:len(rows):len(rows)], u)
	}
	for _, m := range rows {
		x.row(append([]any{m.Member.Name, m.Open, m.DueSoon, m.DueToday, m.Overdue, m.Workload}, rates(m.Response, m.Resolution, m.Satisfaction)...), 6)
	}
	x.row(append([]any{cliWords().T("stats.team", "whole team"), s.Open, s.DueSoon, s.DueToday, s.Overdue, s.Workload}, rates(s.Response, s.Resolution, s.Satisfaction)...), 6)

	// The team's weeks and the overdue trend.
	x.sheet("stats.sheet.weeks", append(append([]string{"stats.week", "stats.start"}, rateHeader...), "stats.missed"))
	for _, wk := range s.Weeks {
		x.row(append(append([]any{wk.Label(), wk.Start.In(statsTZ).Format("2006-01-02")}, rates(wk.Response, wk.Resolution, wk.Satisfaction)...), wk.Overdue), 2)
	}

	// Each member's weeks.
	x.sheet("stats.sheet.memberWeeks", append(append([]string{"stats.member", "stats.week"}, rateHeader...), "stats.missed"))
	for _, m := range s.Members {
		for _, wk := range m.Weeks {
			x.row(append(append([]any{m.Member.Name, wk.Label()}, rates(wk.Response, wk.Resolution, wk.Satisfaction)...), wk.Overdue), 2)
		}
	}

	// Orders waiting to be accepted.
	x.sheet("stats.sheet.awaiting", []string{"ledger.col.id", "ledger.col.title", "ledger.col.acceptBy", "ledger.col.assignee", "ledger.col.urgency"})
	for _, o := range s.Awaiting {
		by := ""
		if d := o.CurrentDeadline(); !d.IsZero() {
			by = d.In(statsTZ).Format("2006-01-02 15:04")
		}
		x.row([]any{o.ID, o.Title, by, o.AssigneeName, cliWords().Name(o.Urgency)}, -1)
	}
	if x.err != nil {
		return x.err
	}
	if err := f.DeleteSheet("Sheet1"); err != nil {
		return fmt.Errorf("drop the default sheet: %w", err)
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

// rates lays out three rates as (rate, numerator, denominator) each; an
// undefined rate is a blank cell.
func rates(rs ...streetdesk.Ratio) []any {
	var out []any
	for _, r := range rs {
		var v any
		if r.Defined() {
			v = r.Value()
		}
		out = append(out, v, r.Num, r.Den)
	}
	return out
}

// statsBook writes sheets row by row and keeps the first error.
type statsBook struct {
	f         *excelize.File
	pct, bold int
	name      string
	n         int // rows written on the current sheet
	err       error
}

// sheet starts the sheet named by the translation key name, with a bold,
// frozen header row of the headings the keys in header name.
func (x *statsBook) sheet(name string, header []string) {
	if x.err != nil {
		return
	}
	w := cliWords()
	name = w.T(name, name)
	if _, err := x.f.NewSheet(name); err != nil {
		x.err = fmt.Errorf("sheet %s: %w", name, err)
		return
	}
	x.name, x.n = name, 0
	h := make([]any, len(header))
	for i, k := range header {
		h[i] = w.T(k, k)
	}
	x.row(h, -1)
	if x.err == nil {
		end, _ := excelize.CoordinatesToCellName(len(header), 1)
		x.err = x.f.SetCellStyle(name, "A1", end, x.bold)
	}
	if x.err == nil {
		x.err = x.f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
}

// row appends vals; when rateCol ≥ 0, the rate cells starting there (every
// third column, three of them) get the percent format.
func (x *statsBook) row(vals []any, rateCol int) {
	if x.err != nil {
		return
	}
	x.n++
	cell, _ := excelize.CoordinatesToCellName(1, x.n)
	if err := x.f.SetSheetRow(x.name, cell, &vals); err != nil {
		x.err = fmt.Errorf("sheet %s row %d: %w", x.name, x.n, err)
		return
	}
	if rateCol < 0 {
		return
	}
	for i := range 3 {
		c, _ := excelize.CoordinatesToCellName(rateCol+1+3*i, x.n)
		if err := x.f.SetCellStyle(x.name, c, c, x.pct); err != nil {
			x.err = err
			return
		}
	}
}
