package ui

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
)

// memberRow is one line of the member table: name, in progress, due today,
// overdue and a workload bar drawn with two rectangles. The header row
// carries the column names instead.
type memberRow struct {
	widget.BaseWidget
	header  bool
	name    *canvas.Text
	nums    [3]*canvas.Text
	track   *canvas.Rectangle
	fill    *canvas.Rectangle
	loadTxt *canvas.Text
	frac    float32 // workload / the team's largest
}

const (
	memberNameW = 110
	memberNumW  = 84
)

func newMemberRow(header bool) *memberRow {
	ts := theme.TextSize()
	r := &memberRow{header: header,
		name:    &canvas.Text{TextSize: ts},
		track:   &canvas.Rectangle{CornerRadius: 3},
		fill:    &canvas.Rectangle{CornerRadius: 3},
		loadTxt: &canvas.Text{TextSize: ts - 1},
	}
	for i := range r.nums {
		r.nums[i] = &canvas.Text{TextSize: ts, Alignment: fyne.TextAlignTrailing}
	}
	if header {
		r.name.TextStyle.Bold = true
		for i := range r.nums {
			r.nums[i].TextStyle.Bold = true
		}
		r.loadTxt.TextStyle.Bold = true
		r.loadTxt.TextSize = ts
	}
	r.ExtendBaseWidget(r)
	return r
}

func (r *memberRow) Refresh() {
	if r.header {
		fg := themeColor(theme.ColorNameForeground)
		r.name.Text, r.name.Color = tr("board.colMember", "Member"), fg
		for i, t := range []string{tr("board.colOpen", "In progress"), tr("board.colToday", "Due today"), tr("board.colOverdue", "Overdue")} {
			r.nums[i].Text, r.nums[i].Color = t, fg
		}
		r.loadTxt.Text, r.loadTxt.Color = tr("board.colLoad", "Workload"), fg
	}
	r.BaseWidget.Refresh()
}

func (r *memberRow) set(m streetdesk.MemberLoad, maxLoad float64) {
	fg := themeColor(theme.ColorNameForeground)
	r.name.Text, r.name.Color = m.Member.Name, fg
	for i, n := range []int{m.InProgress, m.DueToday, m.Overdue} {
		r.nums[i].Text, r.nums[i].Color = strconv.Itoa(n), fg
	}
	if m.DueToday > 0 {
		r.nums[1].Color = riskColor(streetdesk.RiskDueToday)
	}
	if m.Overdue > 0 {
		r.nums[2].Color = riskColor(streetdesk.RiskOverdue)
	}
	r.track.FillColor = themeColor(theme.ColorNameInputBackground)
	r.fill.FillColor = themeColor(theme.ColorNamePrimary)
	frac := float32(0)
	if maxLoad > 0 {
		frac = float32(m.Workload / maxLoad)
	}
	r.fill.Hidden = frac <= 0
	r.frac = frac
	r.loadTxt.Text = strconv.FormatFloat(m.Workload, 'f', -1, 64)
	r.loadTxt.Color = themeColor(theme.ColorNamePlaceHolder)
	r.BaseWidget.Refresh()
}

func (r *memberRow) CreateRenderer() fyne.WidgetRenderer { return &memberRowRenderer{r: r} }

type memberRowRenderer struct{ r *memberRow }

func (rr *memberRowRenderer) Objects() []fyne.CanvasObject {
	r := rr.r
	if r.header {
		return []fyne.CanvasObject{r.name, r.nums[0], r.nums[1], r.nums[2], r.loadTxt}
	}
	return []fyne.CanvasObject{r.name, r.nums[0], r.nums[1], r.nums[2], r.track, r.fill, r.loadTxt}
}

func (rr *memberRowRenderer) MinSize() fyne.Size {
	h := rr.r.name.MinSize().Height + theme.InnerPadding()
	return fyne.NewSize(memberNameW+3*memberNumW+120, h)
}

func (rr *memberRowRenderer) Layout(s fyne.Size) {
	r := rr.r
	pad := theme.InnerPadding()
	th := r.name.MinSize().Height
	y := (s.Height - th) / 2
	r.name.Move(fyne.NewPos(pad, y))
	r.name.Resize(fyne.NewSize(memberNameW, th))
	x := pad + memberNameW
	for _, t := range r.nums {
		t.Move(fyne.NewPos(x, y))
		t.Resize(fyne.NewSize(memberNumW, th))
		x += memberNumW
	}
	x += 2 * pad
	if r.header {
		r.loadTxt.Move(fyne.NewPos(x, y))
		r.loadTxt.Resize(r.loadTxt.MinSize())
		return
	}
	lw := float32(44)
	bw := max(s.Width-x-lw-2*pad, 10)
	bh := th * 0.7
	by := (s.Height - bh) / 2
	r.track.Move(fyne.NewPos(x, by))
	r.track.Resize(fyne.NewSize(bw, bh))
	r.fill.Move(fyne.NewPos(x, by))
	r.fill.Resize(fyne.NewSize(bw*r.frac, bh))
	r.loadTxt.Move(fyne.NewPos(x+bw+pad, y))
	r.loadTxt.Resize(fyne.NewSize(lw, th))
}

func (rr *memberRowRenderer) Refresh() {
	rr.Layout(rr.r.Size())
	for _, o := range rr.Objects() {
		o.Refresh()
	}
}

func (rr *memberRowRenderer) Destroy() {}
