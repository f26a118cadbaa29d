package streetdesk

import (
	"fmt"
	"sort"
	"time"
)

// Team statistics for the lead's board and charts: each member's
// load now, the orders waiting to be accepted, and the centre's three rates
// (三率: 响应率, 解决率, 满意率) per ISO week and per member, computed from the
// orders alone so the board works offline from the local store.

// Ratio is a rate as counts. A rate with an empty denominator is not 0%: it
// does not exist (nothing was due), and Defined reports false. (The name
// leaves Rate to metrics.go, the platform's float helper.)
type Ratio struct {
	Num int `json:"num"`
	Den int `json:"den"`
}

// Defined reports whether the rate has a denominator.
func (r Ratio) Defined() bool { return r.Den > 0 }

// Value returns Num/Den in [0, 1], or 0 when the rate is not defined (check
// Defined first).
func (r Ratio) Value() float64 {
	if r.Den <= 0 {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

// Percent returns the rate rounded to a whole percent, and false when it is
// not defined.
func (r Ratio) Percent() (int, bool) {
	if r.Den <= 0 {
		return 0, false
	}
	return (200*r.Num + r.Den) / (2 * r.Den), true
}

// String renders "96%" or "—" for an undefined rate.
func (r Ratio) String() string {
	p, ok := r.Percent()
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%d%%", p)
}

func (r *Ratio) add(ok bool) {
	r.Den++
	if ok {
		r.Num++
	}
}

// WeekRates are the three rates and the missed deadlines of one ISO week.
type WeekRates struct {
	Year  int       `json:"year"` // ISO year
	Week  int       `json:"week"` // ISO week 1–53
	Start time.Time `json:"start"`
	// End is the start of the next week; the current week is only counted up
	// to TeamStats.Now.
	End          time.Time `json:"end"`
	Response     Ratio     `json:"response"`
	Resolution   Ratio     `json:"resolution"`
	Satisfaction Ratio     `json:"satisfaction"`
	// Overdue is how many deadlines were missed in the week: accept-by dates
	// that passed without a response and resolve-by dates that passed
	// without a resolution (the overdue trend).
	Overdue int `json:"overdue"`
}

// Label is "2026-W11".
func (w WeekRates) Label() string { return fmt.Sprintf("%d-W%02d", w.Year, w.Week) }

// MemberLoad is one member's load now and rates over the period.
type MemberLoad struct {
	Member User `json:"member"`
	Open   int  `json:"open"` // not terminal and not waiting for the callback (Status.Open)
	// InProgress counts the orders being worked (办理中): accepted, reopened,
	// or accepted with an extension asked for — not those still to be
	// accepted, nor those waiting for the centre or the lead.
	InProgress int `json:"inProgress"`
	DueSoon    int `json:"dueSoon"`  // open, current deadline within DueSoonWindow
	DueToday   int `json:"dueToday"` // open, current deadline later today (includes DueSoon)
	Overdue    int `json:"overdue"`  // open, current deadline passed
	// Workload weighs the open orders: 1 for 一般, 1.5 for 紧急, 2 for 特急,
	// doubled while overdue — so two overdue critical orders outweigh three
	// fresh normal ones.
	Workload     float64     `json:"workload"`
	Response     Ratio       `json:"response"`
	Resolution   Ratio       `json:"resolution"`
	Satisfaction Ratio       `json:"satisfaction"`
	Weeks        []WeekRates `json:"weeks"` // as TeamStats.Weeks, for this member
	// Evidence tallies the photo checks of the member's resolutions in the
	// period (TallyEvidence fills it).
	Evidence EvidenceTally `json:"evidence"`
}

// TeamStats is what the lead's board and charts show.
type TeamStats struct {
	Now time.Time `json:"now"`
	// Members in roster order, one row each (members without orders included).
	Members []MemberLoad `json:"members"`
	// Unassigned gathers orders whose assignee is not on the roster (nobody
	// yet, or someone who left the team).
	Unassigned MemberLoad `json:"unassigned"`
	// Team totals of the member rows plus Unassigned.
	Open       int     `json:"open"`
	InProgress int     `json:"inProgress"`
	DueSoon    int     `json:"dueSoon"`
	DueToday   int     `json:"dueToday"`
	Overdue    int     `json:"overdue"`
	Workload   float64 `json:"workload"`
	// Awaiting are the orders waiting to be accepted (待签收), most urgent
	// deadline first.
	Awaiting []WorkOrder `json:"awaiting"`
	// Weeks are the last N ISO weeks, oldest first, the last one holding now.
	Weeks []WeekRates `json:"weeks"`
	// The rates over all of Weeks.
	Response     Ratio `json:"response"`
	Resolution   Ratio `json:"resolution"`
	Satisfaction Ratio `json:"satisfaction"`
	// Evidence tallies the photo checks of the team's resolutions in the
	// period (TallyEvidence fills it).
	Evidence EvidenceTally `json:"evidence"`
}

// Member returns the row of a member by id, or nil.
func (s *TeamStats) Member(id string) *MemberLoad {
	for i := range s.Members {
		if s.Members[i].Member.ID == id {
			return &s.Members[i]
		}
	}
	return nil
}

// ComputeTeamStats computes the board's numbers over the team's orders at
// now. weeks is the number of ISO weeks (Monday 00:00 in the calendar's zone)
// to report, ending with the week that holds now; cal may be nil (the default
// calendar). Orders are credited to their current assignee.
//
// The rates, each counted in the week its deciding moment falls in (and never
// after now):
//
//   - Response rate (响应率): of the orders dispatched in the week, those
//     responded to by their accept-by. The response is the acceptance
//     (AcceptedAt) or, for an order handed back unaccepted, its return request
//     (the first "requestReturn" event). An order that has not been responded
//     to while its accept-by is still ahead is not counted yet; orders
//     cancelled before anyone responded are not counted.
//   - Resolution rate (解决率): of the orders whose resolve-by fell in the week
//     (and has passed), those resolved by it. An order is resolved at the
//     first "submitResolution" or "approveReview" event of its current cycle
//     (when the reply went to the centre; a submission for review does not
//     count until the lead signs it off); without such an event in History, a
//     resolved or closed order counts as resolved at UpdatedAt (an upper
//     bound). Returned and cancelled orders are not counted.
//   - Satisfaction rate (满意率): of the callbacks recorded in the week, those
//     satisfied or basically satisfied. Each callback is an event: "close"
//     (satisfied or basically satisfied) or "reopen" (dissatisfied), so a
//     reopened order counts every callback it had. Without callback events,
//     an order's Rating counts once, at UpdatedAt.
//
// The overdue trend counts, per week, the deadlines missed in it: an accept-by
// that passed before the response and a resolve-by that passed before the
// resolution (both as defined above).
func ComputeTeamStats(orders []WorkOrder, members []User, now time.Time, weeks int, cal *Calendar) TeamStats {
	if cal == nil {
		cal = DefaultCalendar()
	}
	loc := cal.Location()
	if weeks < 1 {
		weeks = 1
	}
	s := TeamStats{Now: now, Members: make([]MemberLoad, len(members))}
	starts := weekStarts(now.In(loc), weeks)
	s.Weeks = newWeeks(starts)
	index := make(map[string]int, len(members))
	for i, m := range members {
		s.Members[i] = MemberLoad{Member: m, Weeks: newWeeks(starts)}
		index[m.ID] = i
	}
	s.Unassigned.Weeks = newWeeks(starts)
	first, end := starts[0], starts[len(starts)-1].AddDate(0, 0, 7)
	// week returns the bucket of t, or -1 outside the period or after now.
	week := func(t time.Time) int {
		if t.IsZero() || t.Before(first) || !t.Before(end) || t.After(now) {
			return -1
		}
		i := int(t.Sub(first) / (7 * 24 * time.Hour))
		// Days are 24 h in a fixed zone; in a zone with DST a week may be
		// an hour shorter or longer, so settle on the bucket by its bounds.
		for i > 0 && t.Before(starts[i]) {
			i--
		}
		for i < len(starts)-1 && !t.Before(starts[i+1]) {
			i++
		}
		return i
	}
	ty, tm, td := now.In(loc).Date()
	tomorrow := time.Date(ty, tm, td+1, 0, 0, 0, 0, loc)

	for oi := range orders {
		o := &orders[oi]
		m := &s.Unassigned
		if i, ok := index[o.AssigneeID]; ok && o.AssigneeID != "" {
			m = &s.Members[i]
		}
		if o.Status == StatusDispatched {
			s.Awaiting = append(s.Awaiting, *o)
		}
		switch o.Status {
		case StatusAccepted, StatusReopened, StatusExtensionRequested:
			m.InProgress++
		}
		if o.Status.Open() {
			m.Open++
			w := 1 + 0.5*float64(o.Urgency.Rank())
			switch d := o.CurrentDeadline(); {
			case d.IsZero():
			case now.After(d):
				m.Overdue++
				w *= 2
			default:
				if d.Sub(now) <= DueSoonWindow {
					m.DueSoon++
				}
				if d.Before(tomorrow) {
					m.DueToday++
				}
			}
			m.Workload += w
		}

		ev := scanEvents(o)
		// Response.
		if !o.DispatchedAt.IsZero() && (!ev.responded.IsZero() || o.Status != StatusCancelled) {
			by := o.Deadlines.AcceptBy
			inTime := !ev.responded.IsZero() && (by.IsZero() || !ev.responded.After(by))
			decided := !ev.responded.IsZero() || !by.IsZero() && now.After(by)
			if i := week(o.DispatchedAt); i >= 0 && decided {
				m.Weeks[i].Response.add(inTime)
			}
			if !by.IsZero() && !inTime {
				if i := week(by); i >= 0 && now.After(by) {
					m.Weeks[i].Overdue++
				}
			}
		}
		// Resolution.
		if by := o.Deadlines.ResolveBy; !by.IsZero() && o.Status != StatusReturned && o.Status != StatusCancelled && now.After(by) {
			inTime := !ev.resolved.IsZero() && !ev.resolved.After(by)
			if i := week(by); i >= 0 {
				m.Weeks[i].Resolution.add(inTime)
				if !inTime {
					m.Weeks[i].Overdue++
				}
			}
		}
		// Satisfaction.
		if ev.callbacks == 0 && o.Rating.Valid() {
			if i := week(o.UpdatedAt); i >= 0 {
				m.Weeks[i].Satisfaction.add(o.Rating != RatingDissatisfied)
			}
		}
		for _, e := range o.History {
			if e.Kind != string(OpClose) && e.Kind != string(OpReopen) {
				continue
			}
			if i := week(e.At); i >= 0 {
				m.Weeks[i].Satisfaction.add(e.Kind == string(OpClose))
			}
		}
	}

	rows := make([]*MemberLoad, 0, len(s.Members)+1)
	for i := range s.Members {
		rows = append(rows, &s.Members[i])
	}
	for _, m := range append(rows, &s.Unassigned) {
		for i, w := range m.Weeks {
			m.Response = m.Response.plus(w.Response)
			m.Resolution = m.Resolution.plus(w.Resolution)
			m.Satisfaction = m.Satisfaction.plus(w.Satisfaction)
			t := &s.Weeks[i]
			t.Response = t.Response.plus(w.Response)
			t.Resolution = t.Resolution.plus(w.Resolution)
			t.Satisfaction = t.Satisfaction.plus(w.Satisfaction)
			t.Overdue += w.Overdue
		}
		s.Open += m.Open
		s.InProgress += m.InProgress
		s.DueSoon += m.DueSoon
		s.DueToday += m.DueToday
		s.Overdue += m.Overdue
		s.Workload += m.Workload
	}
	for _, w := range s.Weeks {
		s.Response = s.Response.plus(w.Response)
		s.Resolution = s.Resolution.plus(w.Resolution)
		s.Satisfaction = s.Satisfaction.plus(w.Satisfaction)
	}
	sort.SliceStable(s.Awaiting, func(i, j int) bool {
		a, b := s.Awaiting[i].CurrentDeadline(), s.Awaiting[j].CurrentDeadline()
		if a.IsZero() != b.IsZero() {
			return b.IsZero()
		}
		if !a.Equal(b) {
			return a.Before(b)
		}
		return s.Awaiting[i].ID < s.Awaiting[j].ID
	})
	return s
}

func (r Ratio) plus(o Ratio) Ratio { return Ratio{Num: r.Num + o.Num, Den: r.Den + o.Den} }

// orderEvents are the moments the rates need from an order's history.
type orderEvents struct {
	responded time.Time // acceptance, or a return request before any acceptance
	resolved  time.Time // the current cycle's resolution reaching the centre
	callbacks int
}

func scanEvents(o *WorkOrder) orderEvents {
	var ev orderEvents
	ev.responded = o.AcceptedAt
	for _, e := range o.History {
		switch e.Kind {
		case string(OpAccept):
			if ev.responded.IsZero() {
				ev.responded = e.At
			}
		case string(OpRequestReturn):
			if o.AcceptedAt.IsZero() && (ev.responded.IsZero() || e.At.Before(ev.responded)) {
				ev.responded = e.At
			}
		case string(OpSubmitResolution), string(OpApproveReview):
			if e.Cycle == o.Cycle && ev.resolved.IsZero() {
				ev.resolved = e.At
			}
		case string(OpClose), string(OpReopen):
			ev.callbacks++
		}
	}
	if ev.resolved.IsZero() && (o.Status == StatusResolved || o.Status == StatusClosed) {
		ev.resolved = o.UpdatedAt
	}
	return ev
}

// weekStarts returns the Monday 00:00 of the last n ISO weeks ending with the
// week holding now, oldest first.
func weekStarts(now time.Time, n int) []time.Time {
	loc := now.Location()
	y, m, d := now.Date()
	back := (int(now.Weekday()) + 6) % 7 // days since Monday
	last := time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	out := make([]time.Time, n)
	for i := range out {
		out[i] = last.AddDate(0, 0, -7*(n-1-i))
	}
	return out
}

func newWeeks(starts []time.Time) []WeekRates {
	out := make([]WeekRates, len(starts))
	for i, st := range starts {
		y, w := st.ISOWeek()
		out[i] = WeekRates{Year: y, Week: w, Start: st, End: st.AddDate(0, 0, 7)}
	}
	return out
}
