package streetdesk

import (
	_ "embed"
	"encoding/csv"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
)

// ChinaTZ is the time zone deadlines are counted in. A fixed UTC+8 zone keeps
// the arithmetic independent of the machine's tzdata.
var ChinaTZ = time.FixedZone("CST", 8*3600)

// DayKind marks a calendar date as a public holiday or a make-up workday (调休).
type DayKind string

// Day kinds.
const (
	DayHoliday DayKind = "holiday"
	DayWorkday DayKind = "workday"
)

// Calendar decides which days are working days: Monday to Friday, minus
// public holidays, plus make-up workdays that fall on weekends. Outside the
// years its table lists it knows no holidays: there only weekends are days
// off, and it says so once to its logger (SetLogger).
type Calendar struct {
	loc         *time.Location
	days        map[string]DayKind // "2006-01-02" → kind
	name        map[string]string
	first, last int // the years the table lists (0, 0: none)

	log    atomic.Pointer[slog.Logger]
	warned atomic.Bool
}

//go:embed holidays_cn.csv
var defaultHolidays string

// DefaultCalendar returns the built-in calendar for 2026–2027 in ChinaTZ.
func DefaultCalendar() *Calendar {
	return must(LoadCalendar(strings.NewReader(defaultHolidays), ChinaTZ))
}

// LoadCalendar reads a holiday table in CSV: date (YYYY-MM-DD), kind
// (holiday|workday), optional name. Blank lines and lines starting with '#'
// are skipped. Errors name the line.
func LoadCalendar(r io.Reader, loc *time.Location) (*Calendar, error) {
	if loc == nil {
		loc = ChinaTZ
	}
	c := &Calendar{loc: loc, days: map[string]DayKind{}, name: map[string]string{}}
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, Errorf(EINVALID, "holiday table: %v", err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) < 2 || len(rec) > 3 {
			return nil, Errorf(EINVALID, "holiday table line %d: want date,kind[,name], got %d fields", line, len(rec))
		}
		d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(rec[0]), loc)
		if err != nil {
			return nil, Errorf(EINVALID, "holiday table line %d: bad date %q (want YYYY-MM-DD)", line, rec[0])
		}
		kind := DayKind(strings.TrimSpace(rec[1]))
		if kind != DayHoliday && kind != DayWorkday {
			return nil, Errorf(EINVALID, "holiday table line %d: kind %q is neither holiday nor workday", line, rec[1])
		}
		key := d.Format("2006-01-02")
		if _, dup := c.days[key]; dup {
			return nil, Errorf(EINVALID, "holiday table line %d: %s listed twice", line, key)
		}
		c.days[key] = kind
		if len(rec) == 3 {
			c.name[key] = strings.TrimSpace(rec[2])
		}
		if y := d.Year(); c.first == 0 || y < c.first {
			c.first = y
		}
		c.last = max(c.last, d.Year())
	}
	return c, nil
}

// Years returns the first and last year the holiday table lists (0, 0 for
// an empty table).
func (c *Calendar) Years() (first, last int) { return c.first, c.last }

// Covers reports whether t's year is one the holiday table lists.
func (c *Calendar) Covers(t time.Time) bool {
	y := t.In(c.loc).Year()
	return c.first != 0 && y >= c.first && y <= c.last
}

// SetLogger gives the calendar a logger for its one warning: the first time
// it is asked about a date in a year its table does not list, where public
// holidays and make-up workdays are unknown and only weekends count as days
// off. Safe to call at any time; nil silences it.
func (c *Calendar) SetLogger(l *slog.Logger) { c.log.Store(l) }

// uncovered warns, once per calendar, that t falls outside the table.
func (c *Calendar) uncovered(t time.Time) {
	l := c.log.Load()
	if l == nil || !c.warned.CompareAndSwap(false, true) {
		return
	}
	l.Warn("holiday calendar: no holidays known for this year; only weekends count as days off until the table is updated",
		"year", t.Year(), "table_first_year", c.first, "table_last_year", c.last)
}

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsWorkday reports whether t's date (in the calendar's zone) is a working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	t = t.In(c.loc)
	switch c.days[t.Format("2006-01-02")] {
	case DayHoliday:
		return false
	case DayWorkday:
		return true
	}
	if y := t.Year(); y < c.first || y > c.last {
		c.uncovered(t)
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// HolidayName returns the name of a listed day, or "".
func (c *Calendar) HolidayName(t time.Time) string {
	return c.name[t.In(c.loc).Format("2006-01-02")]
}

// AddWorkdays returns the same clock time n working days after t. A start on
// a non-working day counts from that day, so Saturday 10:00 + 1 is the next
// working day at 10:00.
func (c *Calendar) AddWorkdays(t time.Time, n int) time.Time {
	if n <= 0 {
		return t
	}
	d := t.In(c.loc)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.IsWorkday(d) {
			n--
		}
	}
	return d
}

// WorkdaysBetween counts the working days in (a, b] by date; it is negative
// when b is before a.
func (c *Calendar) WorkdaysBetween(a, b time.Time) int {
	if b.Before(a) {
		return -c.WorkdaysBetween(b, a)
	}
	ad := dateOf(a.In(c.loc))
	bd := dateOf(b.In(c.loc))
	n := 0
	for d := ad.AddDate(0, 0, 1); !d.After(bd); d = d.AddDate(0, 0, 1) {
		if c.IsWorkday(d) {
			n++
		}
	}
	return n
}

func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 12, 0, 0, 0, t.Location())
}

// TimeLimit is how long the street office has for an order of a category.
type TimeLimit struct {
	AcceptWorkdays  int // 签收 within (default 1)
	ContactWorkdays int // first contact with the citizen within (default 1)
	ResolveWorkdays int // 办理时限 (consultation 1, complaint 5, complex 15)
}

// ComputeDeadlines returns the accept-by, first-contact-by and resolve-by of
// an order dispatched at t. Urgent orders must be accepted within 2 hours
// and critical ones within 1 hour and resolved within 24 hours, whatever the
// calendar says.
func (c *Calendar) ComputeDeadlines(t time.Time, lim TimeLimit, u Urgency) Deadlines {
	if lim.AcceptWorkdays <= 0 {
		lim.AcceptWorkdays = 1
	}
	if lim.ContactWorkdays <= 0 {
		lim.ContactWorkdays = 1
	}
	if lim.ResolveWorkdays <= 0 {
		lim.ResolveWorkdays = 5
	}
	d := Deadlines{
		AcceptBy:       c.AddWorkdays(t, lim.AcceptWorkdays),
		FirstContactBy: c.AddWorkdays(t, lim.ContactWorkdays),
		ResolveBy:      c.AddWorkdays(t, lim.ResolveWorkdays),
	}
	switch u {
	case UrgencyUrgent:
		d.AcceptBy = t.Add(2 * time.Hour).In(c.loc)
		d.FirstContactBy = minTime(d.FirstContactBy, t.Add(4*time.Hour).In(c.loc))
	case UrgencyCritical:
		d.AcceptBy = t.Add(time.Hour).In(c.loc)
		d.FirstContactBy = t.Add(2 * time.Hour).In(c.loc)
		d.ResolveBy = minTime(d.ResolveBy, t.Add(24*time.Hour).In(c.loc))
	}
	return d
}

// ReopenDeadline is the new resolve-by of an order reopened at t.
func (c *Calendar) ReopenDeadline(t time.Time) time.Time {
	return c.AddWorkdays(t, DefaultReopenDays)
}

// CheckExtension validates a requested new resolve-by, asked for at now,
// against the current one: it must still lie ahead (a date already past
// extends nothing), be later than the current deadline, fall on a working
// day, and add at most MaxExtensionDays working days. The desk checks it
// with its clock before saving; the platform again with its own when the
// request arrives.
func (c *Calendar) CheckExtension(current, requested, now time.Time) error {
	if !requested.After(now) {
		d := requested.In(c.loc).Format("2006-01-02 15:04")
		return Errorf(EINVALID, "the new deadline %s has already passed", d).Saying(Msg(MsgErrExtensionPast, "Deadline", d))
	}
	if !requested.After(current) {
		d := current.In(c.loc).Format("2006-01-02 15:04")
		return Errorf(EINVALID, "the new deadline must be after the current one (%s)", d).Saying(Msg(MsgErrExtensionBefore, "Current", d))
	}
	if !c.IsWorkday(requested) {
		d := requested.In(c.loc).Format("2006-01-02")
		return Errorf(EINVALID, "the new deadline falls on a day off (%s)", d).Saying(Msg(MsgErrExtensionDayOff, "Day", d))
	}
	if n := c.WorkdaysBetween(current, requested); n > MaxExtensionDays {
		return Errorf(EINVALID, "an extension may add at most %d working days (asked for %d)", MaxExtensionDays, n).
			Saying(Msg(MsgErrExtensionTooLong, "Max", MaxExtensionDays, "Asked", n))
	}
	return nil
}

// SuggestExtension is the new resolve-by a request form starts with: five
// working days after the current deadline, or the first such working day
// still ahead of now when the order is already overdue (zero when even the
// longest extension would lie in the past).
func (c *Calendar) SuggestExtension(current, now time.Time) time.Time {
	for n := 5; n <= MaxExtensionDays; n++ {
		if t := c.AddWorkdays(current, n); t.After(now) {
			return t
		}
	}
	return time.Time{}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Risk orders work by how close it is to missing its deadline. Lower is more
// urgent: overdue, then due within 2 hours, then due today, then the rest.
type Risk int

// Risk levels.
const (
	RiskOverdue Risk = iota
	RiskDueSoon
	RiskDueToday
	RiskLater
	RiskNone // no running clock (resolved, terminal)
)

// RiskAt returns the order's deadline risk at now in the calendar's zone.
func (c *Calendar) RiskAt(w *WorkOrder, now time.Time) Risk {
	d := w.CurrentDeadline()
	switch {
	case d.IsZero():
		return RiskNone
	case now.After(d):
		return RiskOverdue
	case d.Sub(now) <= DueSoonWindow:
		return RiskDueSoon
	}
	ny, nm, nd := now.In(c.loc).Date()
	dy, dm, dd := d.In(c.loc).Date()
	if ny == dy && nm == dm && nd == dd {
		return RiskDueToday
	}
	return RiskLater
}

// Remaining is the time to a deadline as the queue shows it: a whole number
// of days (from 48 hours), hours (from one hour) or minutes, and whether
// the deadline has passed. The desk words it (剩余 5小时, 2h overdue).
type Remaining struct {
	N    int
	Unit RemainingUnit
	Over bool
}

// RemainingUnit is the unit of a Remaining.
type RemainingUnit string

// Units of a Remaining.
const (
	RemainingDays    RemainingUnit = "days"
	RemainingHours   RemainingUnit = "hours"
	RemainingMinutes RemainingUnit = "minutes"
)

// RemainingAt is the time from now to deadline; ok is false when there is
// no deadline.
func RemainingAt(deadline, now time.Time) (r Remaining, ok bool) {
	if deadline.IsZero() {
		return Remaining{}, false
	}
	d := deadline.Sub(now)
	if d < 0 {
		d, r.Over = -d, true
	}
	switch {
	case d >= 48*time.Hour:
		r.N, r.Unit = int(d/(24*time.Hour)), RemainingDays
	case d >= time.Hour:
		r.N, r.Unit = int(d/time.Hour), RemainingHours
	default:
		r.N, r.Unit = int(d/time.Minute), RemainingMinutes
	}
	return r, true
}
