package streetdesk_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/demo"
)

// statsNow is Thursday 2026-03-12 10:00 CST, ISO week 11 (Mar 9–15); with
// two weeks the period starts Monday Mar 2.
var statsNow = time.Date(2026, 3, 12, 10, 0, 0, 0, streetdesk.ChinaTZ)

var statsTeam = []streetdesk.User{
	{ID: "a", Name: "王芳", Role: streetdesk.RoleCaseworker},
	{ID: "b", Name: "李四", Role: streetdesk.RoleCaseworker},
}

// hoursFromNow is statsNow shifted by h hours.
func hoursFromNow(h float64) time.Time { return statsNow.Add(time.Duration(h * float64(time.Hour))) }

// ev is a history event.
func ev(kind string, h float64) streetdesk.Event {
	return streetdesk.Event{Kind: kind, At: hoursFromNow(h)}
}

type ord struct {
	id, who  string
	st       streetdesk.Status
	urg      streetdesk.Urgency
	disp     float64 // hours from now; 0 → not set
	acceptBy float64
	accepted float64
	resolve  float64
	updated  float64
	rating   streetdesk.Rating
	cycle    int
	hist     []streetdesk.Event
}

func (o ord) order() streetdesk.WorkOrder {
	t := func(h float64) time.Time {
		if h == 0 {
			return time.Time{}
		}
		return hoursFromNow(h)
	}
	return streetdesk.WorkOrder{ID: o.id, AssigneeID: o.who, Status: o.st, Urgency: o.urg,
		DispatchedAt: t(o.disp), AcceptedAt: t(o.accepted), UpdatedAt: t(o.updated), Rating: o.rating, Cycle: o.cycle,
		Deadlines: streetdesk.Deadlines{AcceptBy: t(o.acceptBy), ResolveBy: t(o.resolve)}, History: o.hist}
}

func orders(os ...ord) []streetdesk.WorkOrder {
	var out []streetdesk.WorkOrder
	for _, o := range os {
		out = append(out, o.order())
	}
	return out
}

func TestRatio(t *testing.T) {
	for _, tc := range []struct {
		r       streetdesk.Ratio
		defined bool
		pct     int
		str     string
	}{
		{streetdesk.Ratio{}, false, 0, "—"},
		{streetdesk.Ratio{Num: 0, Den: 3}, true, 0, "0%"},
		{streetdesk.Ratio{Num: 2, Den: 3}, true, 67, "67%"},
		{streetdesk.Ratio{Num: 1, Den: 8}, true, 13, "13%"}, // 12.5 rounds half up
		{streetdesk.Ratio{Num: 24, Den: 25}, true, 96, "96%"},
		{streetdesk.Ratio{Num: 5, Den: 5}, true, 100, "100%"},
	} {
		p, ok := tc.r.Percent()
		if ok != tc.defined || p != tc.pct || tc.r.String() != tc.str || tc.r.Defined() != tc.defined {
			t.Errorf("%+v: Percent = %d, %v; String = %q; want %d, %v, %q", tc.r, p, ok, tc.r.String(), tc.pct, tc.defined, tc.str)
		}
		if !tc.defined && tc.r.Value() != 0 {
			t.Errorf("%+v: Value = %v for an undefined rate", tc.r, tc.r.Value())
		}
	}
}

func TestComputeTeamStatsLoad(t *testing.T) {
	S := streetdesk.StatusAccepted
	os := orders(
		ord{id: "overdue", who: "a", st: S, resolve: -1, urg: streetdesk.UrgencyCritical},       // 2 × 2
		ord{id: "soon", who: "a", st: S, resolve: 1},                                            // 1
		ord{id: "today", who: "a", st: S, resolve: 5, urg: streetdesk.UrgencyUrgent},            // 1.5
		ord{id: "later", who: "a", st: streetdesk.StatusReopened, resolve: 30},                  // 1
		ord{id: "tonight", who: "b", st: streetdesk.StatusAwaitingReview, resolve: 13.9},        // 23:54 today
		ord{id: "midnight", who: "b", st: streetdesk.StatusExtensionRequested, resolve: 14},     // tomorrow 00:00
		ord{id: "waitB", who: "b", st: streetdesk.StatusDispatched, acceptBy: 0.5, resolve: 48}, // due soon on accept-by
		ord{id: "waitX", who: "", st: streetdesk.StatusDispatched, acceptBy: -2, resolve: 40},   // unassigned, overdue
		ord{id: "gone", who: "zz", st: streetdesk.StatusAccepted, resolve: 3},                   // left the team
		ord{id: "done", who: "a", st: streetdesk.StatusResolved, resolve: -5},                   // not open
		ord{id: "closed", who: "b", st: streetdesk.StatusClosed, resolve: -50},
		ord{id: "cancel", who: "b", st: streetdesk.StatusCancelled, resolve: -1},
	)
	s := streetdesk.ComputeTeamStats(os, statsTeam, statsNow, 2, nil)

	// open counts everything not yet resolved; inProgress (办理中) only what
	// is being worked: accepted, reopened, extension asked for.
	type load struct {
		open, inProgress, soon, today, over int
		work                                float64
	}
	got := func(m streetdesk.MemberLoad) load {
		return load{m.Open, m.InProgress, m.DueSoon, m.DueToday, m.Overdue, m.Workload}
	}
	for _, tc := range []struct {
		name string
		m    streetdesk.MemberLoad
		want load
	}{
		{"a", s.Members[0], load{4, 4, 1, 2, 1, 4 + 1 + 1.5 + 1}},
		{"b", s.Members[1], load{3, 1, 1, 2, 0, 3}},
		{"unassigned", s.Unassigned, load{2, 1, 0, 1, 1, 2 + 1}},
		{"team", streetdesk.MemberLoad{Open: s.Open, InProgress: s.InProgress, DueSoon: s.DueSoon, DueToday: s.DueToday, Overdue: s.Overdue, Workload: s.Workload},
			load{9, 6, 2, 5, 2, 7.5 + 3 + 3}},
	} {
		if g := got(tc.m); g != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, g, tc.want)
		}
	}
	if s.Members[0].Member.Name != "王芳" || s.Member("b") != &s.Members[1] || s.Member("nobody") != nil {
		t.Errorf("member rows: %+v", s.Members)
	}
	var ids []string
	for _, o := range s.Awaiting {
		ids = append(ids, o.ID)
	}
	if len(ids) != 2 || ids[0] != "waitX" || ids[1] != "waitB" {
		t.Errorf("awaiting = %v, want [waitX waitB] (most urgent first)", ids)
	}
}

func TestComputeTeamStatsRates(t *testing.T) {
	A := streetdesk.StatusAccepted
	type want struct {
		resp, res, sat streetdesk.Ratio
		overdue        int
	}
	tests := []struct {
		name   string
		orders []ord
		// week 10 and week 11 for member a
		w10, w11 want
	}{
		{name: "nothing due: no rate, not 0%"},
		{
			name: "response",
			orders: []ord{
				{id: "in time", who: "a", st: A, disp: -2, acceptBy: -1, accepted: -1.5},
				{id: "late", who: "a", st: A, disp: -3, acceptBy: -2.5, accepted: -2},
				{id: "exactly at accept-by", who: "a", st: A, disp: -3, acceptBy: -2, accepted: -2},
				{id: "missed, still waiting", who: "a", st: streetdesk.StatusDispatched, disp: -3, acceptBy: -1},
				{id: "still has time", who: "a", st: streetdesk.StatusDispatched, disp: -1, acceptBy: 1},
				{id: "early, still has time", who: "a", st: A, disp: -1, acceptBy: 1, accepted: -0.5},
				{id: "cancelled unanswered", who: "a", st: streetdesk.StatusCancelled, disp: -3, acceptBy: -1},
				{id: "returned unaccepted in time", who: "a", st: streetdesk.StatusReturned, disp: -3, acceptBy: -1,
					hist: []streetdesk.Event{ev("dispatch", -3), ev("requestReturn", -2), ev("approveReturn", -1)}},
				{id: "accepted via history", who: "a", st: A, disp: -3, acceptBy: -1, hist: []streetdesk.Event{ev("accept", -2)}},
				{id: "last week", who: "a", st: A, disp: -24 * 7, acceptBy: -24*7 + 1, accepted: -24*7 + 2},
				{id: "before the period", who: "a", st: A, disp: -24 * 15, acceptBy: -24*15 + 1, accepted: -24*15 + 0.5},
				{id: "other member", who: "b", st: A, disp: -2, acceptBy: -1, accepted: -1.5},
			},
			// misses counted as overdue in the week the accept-by passed: late, missed, last week
			w10: want{resp: streetdesk.Ratio{Num: 0, Den: 1}, overdue: 1},
			w11: want{resp: streetdesk.Ratio{Num: 5, Den: 7}, overdue: 2},
		},
		{
			name: "resolution",
			orders: []ord{
				{id: "resolved in time", who: "a", st: streetdesk.StatusResolved, resolve: -1,
					hist: []streetdesk.Event{ev("submitResolution", -5)}},
				{id: "signed off late", who: "a", st: streetdesk.StatusResolved, resolve: -3,
					hist: []streetdesk.Event{ev("submitForReview", -4), ev("approveReview", -2)}},
				{id: "for review is not resolved", who: "a", st: streetdesk.StatusAwaitingReview, resolve: -1,
					hist: []streetdesk.Event{ev("submitForReview", -4)}},
				{id: "open past due", who: "a", st: A, resolve: -1},
				{id: "due later", who: "a", st: A, resolve: 2},
				{id: "resolved early, due later", who: "a", st: streetdesk.StatusResolved, resolve: 2,
					hist: []streetdesk.Event{ev("submitResolution", -1)}},
				{id: "closed without history", who: "a", st: streetdesk.StatusClosed, resolve: -1, updated: -2},
				{id: "returned", who: "a", st: streetdesk.StatusReturned, resolve: -1},
				{id: "cancelled", who: "a", st: streetdesk.StatusCancelled, resolve: -1},
				{id: "reopened: old cycle does not count", who: "a", st: streetdesk.StatusReopened, cycle: 1, resolve: -1,
					hist: []streetdesk.Event{{Kind: "submitResolution", At: hoursFromNow(-100), Cycle: 0}, {Kind: "reopen", At: hoursFromNow(-50), Cycle: 0}}},
				{id: "last week, resolved late", who: "a", st: streetdesk.StatusClosed, resolve: -24 * 7,
					hist: []streetdesk.Event{ev("submitResolution", -24*7+1), ev("close", -24*7+100)}},
			},
			// the reopen and the close callbacks count for satisfaction too
			w10: want{res: streetdesk.Ratio{Num: 0, Den: 1}, overdue: 1},
			w11: want{res: streetdesk.Ratio{Num: 2, Den: 6}, overdue: 4, sat: streetdesk.Ratio{Num: 1, Den: 2}},
		},
		{
			name: "satisfaction",
			orders: []ord{
				{id: "satisfied", who: "a", st: streetdesk.StatusClosed, hist: []streetdesk.Event{ev("close", -1)}},
				{id: "reopened then basically", who: "a", st: streetdesk.StatusClosed, rating: streetdesk.RatingBasically,
					hist: []streetdesk.Event{ev("reopen", -30), ev("close", -2)}},
				{id: "dissatisfied last week", who: "a", st: streetdesk.StatusReopened, rating: streetdesk.RatingDissatisfied,
					hist: []streetdesk.Event{ev("reopen", -24*7)}},
				{id: "rating without events", who: "a", st: streetdesk.StatusClosed, rating: streetdesk.RatingSatisfied, updated: -3},
				{id: "rating before the period", who: "a", st: streetdesk.StatusClosed, rating: streetdesk.RatingDissatisfied, updated: -24 * 20},
				{id: "no rating yet", who: "a", st: streetdesk.StatusResolved, updated: -3},
			},
			w10: want{sat: streetdesk.Ratio{Num: 0, Den: 1}},
			w11: want{sat: streetdesk.Ratio{Num: 3, Den: 4}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := streetdesk.ComputeTeamStats(orders(tc.orders...), statsTeam, statsNow, 2, streetdesk.DefaultCalendar())
			if len(s.Weeks) != 2 || s.Weeks[0].Label() != "2026-W10" || s.Weeks[1].Label() != "2026-W11" {
				t.Fatalf("weeks = %+v", s.Weeks)
			}
			if !s.Weeks[0].Start.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, streetdesk.ChinaTZ)) ||
				!s.Weeks[1].End.Equal(time.Date(2026, 3, 16, 0, 0, 0, 0, streetdesk.ChinaTZ)) {
				t.Errorf("week bounds: %v – %v", s.Weeks[0].Start, s.Weeks[1].End)
			}
			a := s.Member("a")
			for i, w := range []want{tc.w10, tc.w11} {
				g := a.Weeks[i]
				if got := (want{g.Response, g.Resolution, g.Satisfaction, g.Overdue}); got != w {
					t.Errorf("%s: got %+v, want %+v", g.Label(), got, w)
				}
			}
			for name, pair := range map[string][2]streetdesk.Ratio{
				"response":     {a.Response, plus(tc.w10.resp, tc.w11.resp)},
				"resolution":   {a.Resolution, plus(tc.w10.res, tc.w11.res)},
				"satisfaction": {a.Satisfaction, plus(tc.w10.sat, tc.w11.sat)},
			} {
				if pair[0] != pair[1] {
					t.Errorf("member %s rate = %+v, want %+v", name, pair[0], pair[1])
				}
			}
			// The team's weeks add up the members' (b has at most one order).
			var teamResp streetdesk.Ratio
			for _, w := range s.Weeks {
				teamResp = plus(teamResp, w.Response)
			}
			if teamResp != s.Response || s.Response.Den < a.Response.Den {
				t.Errorf("team response %+v, weeks sum %+v, member a %+v", s.Response, teamResp, a.Response)
			}
			if tc.orders == nil && (s.Response.Defined() || s.Resolution.Defined() || s.Satisfaction.Defined() || s.Response.String() != "—") {
				t.Errorf("empty team has rates: %+v %+v %+v", s.Response, s.Resolution, s.Satisfaction)
			}
		})
	}
}

func plus(a, b streetdesk.Ratio) streetdesk.Ratio {
	return streetdesk.Ratio{Num: a.Num + b.Num, Den: a.Den + b.Den}
}

// The current week counts only up to now; a zero-week request still reports
// the current week.
func TestComputeTeamStatsWeeks(t *testing.T) {
	for _, tc := range []struct {
		weeks int
		now   time.Time
		first string
		last  string
	}{
		{0, statsNow, "2026-W11", "2026-W11"},
		{4, statsNow, "2026-W08", "2026-W11"},
		{2, time.Date(2026, 1, 1, 12, 0, 0, 0, streetdesk.ChinaTZ), "2025-W52", "2026-W01"},   // ISO year boundary
		{1, time.Date(2026, 3, 15, 23, 59, 0, 0, streetdesk.ChinaTZ), "2026-W11", "2026-W11"}, // Sunday night
		{1, time.Date(2026, 3, 15, 16, 30, 0, 0, time.UTC), "2026-W12", "2026-W12"},           // Monday 00:30 in China
	} {
		s := streetdesk.ComputeTeamStats(nil, nil, tc.now, tc.weeks, nil)
		if got := [2]string{s.Weeks[0].Label(), s.Weeks[len(s.Weeks)-1].Label()}; got != [2]string{tc.first, tc.last} {
			t.Errorf("weeks=%d now=%v: %v, want %s…%s", tc.weeks, tc.now, got, tc.first, tc.last)
		}
	}
}

// BenchmarkComputeTeamStats: 20,000 demo orders over 50 members, 8 weeks.
func BenchmarkComputeTeamStats(b *testing.B) {
	now := time.Date(2026, 3, 12, 10, 0, 0, 0, streetdesk.ChinaTZ)
	var members []streetdesk.User
	for i := range 50 {
		members = append(members, streetdesk.User{ID: fmt.Sprintf("cw%02d", i)})
	}
	orders := demo.NewGenerator(1, now).Orders(20000)
	for i := range orders {
		orders[i].AssigneeID = members[i%len(members)].ID
	}
	cal := streetdesk.DefaultCalendar()
	b.ResetTimer()
	for b.Loop() {
		streetdesk.ComputeTeamStats(orders, members, now, 8, cal)
	}
}
