package ui

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2/theme"

	streetdesk "github.com/streetdesk/streetdesk"
)

// The deadline as the queue's and the board's rows show it: one wording,
// one colour, in the calendar's zone.

// countdown is a row's deadline word: "超时 2小时", "今天 17:00" or
// "剩余 3天"; "" when the order has no running deadline (RiskNone).
func countdown(o *streetdesk.WorkOrder, now time.Time, cal *streetdesk.Calendar) string {
	d := o.CurrentDeadline()
	if d.IsZero() {
		return ""
	}
	if cal.RiskAt(o, now) == streetdesk.RiskDueToday {
		return tr("queue.today", "today {{.T}}", map[string]string{"T": d.In(cal.Location()).Format("15:04")})
	}
	return words().Remaining(d, now)
}

// riskColor is the countdown's colour: overdue red, due within 2 h or
// today amber, no running deadline grey, otherwise the normal text colour.
func riskColor(r streetdesk.Risk) color.Color {
	switch r {
	case streetdesk.RiskOverdue:
		return themeColor(theme.ColorNameError)
	case streetdesk.RiskDueSoon, streetdesk.RiskDueToday:
		return themeColor(colorAmber)
	case streetdesk.RiskNone:
		return themeColor(theme.ColorNameDisabled)
	}
	return themeColor(theme.ColorNameForeground)
}
