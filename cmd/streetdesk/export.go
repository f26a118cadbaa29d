package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/xuri/excelize/v2"
)

// ledgerHeader is the 台账's columns.
var ledgerHeader = []string{
	"工单编号", "标题", "状态", "紧急程度", "来源渠道", "一级分类", "二级分类", "三级分类", "责任部门",
	"区", "街道", "社区", "地址", "诉求人", "联系电话", "派单时间", "签收时限", "办结时限", "是否超时",
	"督办", "重办次数", "承办人", "回访评价", "待同步",
}

func ledgerRow(it streetdesk.QueueItem, now time.Time) []string {
	o := it.Order
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04")
	}
	yn := func(b bool) string {
		if b {
			return "是"
		}
		return "否"
	}
	return []string{
		o.ID, o.Title, o.Status.String(), o.Urgency.Label("zh"), o.Channel.Label("zh"),
		o.Category.L1Name, o.Category.L2Name, o.Category.L3Name, o.Category.Department,
		o.Location.District, o.Location.StreetOffice, o.Location.Community, o.Location.Address,
		o.Citizen.Name, streetdesk.MaskPhone(o.Citizen.Phone), ts(o.DispatchedAt), ts(o.Deadlines.AcceptBy),
		ts(o.Deadlines.ResolveBy), yn(o.Overdue(now)), yn(o.Supervised), strconv.Itoa(o.Cycle),
		o.AssigneeName, o.Rating.Label("zh"), strconv.Itoa(it.Pending),
	}
}

// writeLedgerCSV writes the ledger as UTF-8 CSV with a BOM so Excel opens the Chinese right.
func writeLedgerCSV(w io.Writer, items []streetdesk.QueueItem, now time.Time) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(ledgerHeader); err != nil {
		return err
	}
	for _, it := range items {
		if err := cw.Write(ledgerRow(it, now)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeLedgerXLSX writes the ledger as an Excel workbook.
func writeLedgerXLSX(w io.Writer, items []streetdesk.QueueItem, now time.Time) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "台账"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	row := func(vals []string) []any {
		out := make([]any, len(vals))
		for i, v := range vals {
			out[i] = v
		}
		return out
	}
	if err := sw.SetRow("A1", row(ledgerHeader)); err != nil {
		return err
	}
	for i, it := range items {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row(ledgerRow(it, now))); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("freeze header: %w", err)
	}
	_, err = f.WriteTo(w)
	return err
}
