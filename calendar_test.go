package streetdesk_test

import (
	"io"
	"log/slog"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/ui/translation"
)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, streetdesk.ChinaTZ)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCalendar_IsWorkday(t *testing.T) {
	cal := streetdesk.DefaultCalendar()
	for _, tt := range []struct {
		day  string
		want bool
	}{
		{"2026-03-11 10:00", true},  // Wednesday
		{"2026-03-14 10:00", false}, // Saturday
		{"2026-03-15 10:00", false}, // Sunday
		{"2026-01-01 10:00", false}, // 元旦 (Thursday)
		{"2026-01-04 10:00", true},  // Sunday make-up workday
		{"2026-02-14 10:00", true},  // Saturday make-up workday before 春节
		{"2026-02-18 10:00", false}, // 春节 (Wednesday)
		{"2026-10-05 10:00", false}, // 国庆 (Monday)
		{"2026-10-10 10:00", true},  // Saturday make-up workday
		{"2026-09-20 10:00", true},  // Sunday make-up workday
	} {
		if got := cal.IsWorkday(at(tt.day)); got != tt.want {
			t.Errorf("IsWorkday(%s)=%v, want %v", tt.day, got, tt.want)
		}
	}
	// The zone matters: Friday 23:30 in Beijing is Friday 15:30 UTC, still a workday.
	if !cal.IsWorkday(at("2026-03-13 23:30").UTC()) {
		t.Error("Friday night in CST counted as weekend")
	}
}

func TestCalendar_AddWorkdays(t *testing.T) {
	cal := streetdesk.DefaultCalendar()
	for _, tt := range []struct {
		name  string
		start string
		n     int
		want  string
	}{
		{"within week", "2026-03-10 09:00", 1, "2026-03-11 09:00"},
		{"over weekend", "2026-03-13 16:00", 1, "2026-03-16 16:00"},
		{"five over weekend", "2026-03-11 09:00", 5, "2026-03-18 09:00"},
		{"start on saturday", "2026-03-14 10:00", 1, "2026-03-16 10:00"},
		{"zero", "2026-03-14 10:00", 0, "2026-03-14 10:00"},
		{"over 元旦 onto make-up sunday", "2025-12-31 10:00", 1, "2026-01-04 10:00"},
		{"over 春节 with make-up saturdays", "2026-02-13 10:00", 3, "2026-02-25 10:00"},
		{"into 春节 make-up saturday", "2026-02-12 10:00", 2, "2026-02-14 10:00"},
		{"over 国庆", "2026-09-30 10:00", 2, "2026-10-09 10:00"},
		{"fifteen days over 国庆", "2026-09-21 09:00", 15, "2026-10-19 09:00"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.AddWorkdays(at(tt.start), tt.n)
			if !got.Equal(at(tt.want)) {
				t.Errorf("AddWorkdays(%s,%d)=%s, want %s", tt.start, tt.n, got.Format("2006-01-02 15:04 Mon"), tt.want)
			}
		})
	}
}

func TestCalendar_WorkdaysBetween(t *testing.T) {
	cal := streetdesk.DefaultCalendar()
	if got := cal.WorkdaysBetween(at("2026-09-30 10:00"), at("2026-10-09 10:00")); got != 2 {
		t.Errorf("between=%d, want 2", got)
	}
	if got := cal.WorkdaysBetween(at("2026-10-09 10:00"), at("2026-09-30 10:00")); got != -2 {
		t.Errorf("between reversed=%d, want -2", got)
	}
}

func TestCalendar_ComputeDeadlines(t *testing.T) {
	cal := streetdesk.DefaultCalendar()
	start := at("2026-03-13 16:00") // Friday
	lim := streetdesk.TimeLimit{ResolveWorkdays: 5}
	d := cal.ComputeDeadlines(start, lim, streetdesk.UrgencyNormal)
	if !d.AcceptBy.Equal(at("2026-03-16 16:00")) || !d.FirstContactBy.Equal(at("2026-03-16 16:00")) || !d.ResolveBy.Equal(at("2026-03-20 16:00")) {
		t.Errorf("normal deadlines=%+v", d)
	}
	d = cal.ComputeDeadlines(start, lim, streetdesk.UrgencyUrgent)
	if !d.AcceptBy.Equal(at("2026-03-13 18:00")) || !d.FirstContactBy.Equal(at("2026-03-13 20:00")) {
		t.Errorf("urgent deadlines=%+v", d)
	}
	d = cal.ComputeDeadlines(start, lim, streetdesk.UrgencyCritical)
	if !d.AcceptBy.Equal(at("2026-03-13 17:00")) || !d.ResolveBy.Equal(at("2026-03-14 16:00")) {
		t.Errorf("critical deadlines=%+v", d)
	}
	if got := cal.ReopenDeadline(at("2026-09-30 10:00")); !got.Equal(at("2026-10-10 10:00")) {
		t.Errorf("ReopenDeadline=%s", got)
	}
}

func TestCalendar_CheckExtension(t *testing.T) {
	cal := streetdesk.DefaultCalendar()
	for _, tt := range []struct {
		name, cur, now, req string
		want                string // "" ok, else part of the message
	}{
		{"five working days more", "2026-03-20 16:00", "2026-03-19 10:00", "2026-03-27 16:00", ""},
		{"the same deadline", "2026-03-20 16:00", "2026-03-19 10:00", "2026-03-20 16:00", "after the current one"},
		{"before the current deadline", "2026-03-20 16:00", "2026-03-19 10:00", "2026-03-19 17:00", "after the current one"},
		{"too long", "2026-03-20 16:00", "2026-03-19 10:00", "2026-06-30 16:00", "at most 30 working days"},
		{"on a Saturday", "2026-03-20 16:00", "2026-03-19 10:00", "2026-03-21 16:00", "day off (2026-03-21)"},
		{"on a public holiday", "2026-09-28 16:00", "2026-09-28 10:00", "2026-10-02 16:00", "day off (2026-10-02)"},
		{"on a make-up workday (a Sunday)", "2026-09-18 16:00", "2026-09-18 10:00", "2026-09-20 16:00", ""},
		// Overdue: 12-01's deadline asked on 12-04 to move to 12-02, a date already past.
		{"a date already past", "2026-12-01 17:00", "2026-12-04 10:00", "2026-12-02 17:00", "2026-12-02 17:00 has already passed"},
		{"overdue, to a date ahead", "2026-12-01 17:00", "2026-12-04 10:00", "2026-12-08 17:00", ""},
		{"earlier today", "2026-12-01 17:00", "2026-12-04 10:00", "2026-12-04 09:00", "has already passed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := cal.CheckExtension(at(tt.cur), at(tt.req), at(tt.now))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(streetdesk.ErrorMessage(err), tt.want) || streetdesk.ErrorCode(err) != streetdesk.EINVALID):
				t.Errorf("err = %v, want EINVALID with %q", err, tt.want)
			}
		})
	}
}

func TestCalendar_SuggestExtension(t *testing.T) {
	cal := streetdesk.DefaultCalendar()
	for _, tt := range []struct{ cur, now, want string }{
		{"2026-03-20 16:00", "2026-03-19 10:00", "2026-03-27 16:00"}, // five working days on
		{"2026-12-01 17:00", "2026-12-04 10:00", "2026-12-08 17:00"}, // overdue: still five on, and ahead
		{"2026-11-02 17:00", "2026-11-20 10:00", "2026-11-20 17:00"}, // long overdue: the first working day ahead
		{"2026-01-05 17:00", "2026-12-04 10:00", ""},                 // nothing within 30 working days lies ahead
	} {
		got := cal.SuggestExtension(at(tt.cur), at(tt.now))
		if (tt.want == "" && !got.IsZero()) || (tt.want != "" && !got.Equal(at(tt.want))) {
			t.Errorf("SuggestExtension(%s at %s) = %v, want %s", tt.cur, tt.now, got, tt.want)
		}
		if !got.IsZero() {
			if err := cal.CheckExtension(at(tt.cur), got, at(tt.now)); err != nil {
				t.Errorf("the suggestion %v is refused: %v", got, err)
			}
		}
	}
}

func TestOverdueAndRisk(t *testing.T) {
	cal := streetdesk.DefaultCalendar()
	now := at("2026-03-16 10:00")
	for _, tt := range []struct {
		name string
		o    streetdesk.WorkOrder
		risk streetdesk.Risk
		over bool
	}{
		{"accept overdue", streetdesk.WorkOrder{Status: streetdesk.StatusDispatched, Deadlines: streetdesk.Deadlines{AcceptBy: at("2026-03-16 09:00"), ResolveBy: at("2026-03-20 09:00")}}, streetdesk.RiskOverdue, true},
		{"due soon", streetdesk.WorkOrder{Status: streetdesk.StatusAccepted, Deadlines: streetdesk.Deadlines{ResolveBy: at("2026-03-16 11:30")}}, streetdesk.RiskDueSoon, false},
		{"due today", streetdesk.WorkOrder{Status: streetdesk.StatusReopened, Deadlines: streetdesk.Deadlines{ResolveBy: at("2026-03-16 17:00")}}, streetdesk.RiskDueToday, false},
		{"later", streetdesk.WorkOrder{Status: streetdesk.StatusAccepted, Deadlines: streetdesk.Deadlines{ResolveBy: at("2026-03-18 17:00")}}, streetdesk.RiskLater, false},
		{"resolved has no clock", streetdesk.WorkOrder{Status: streetdesk.StatusResolved, Deadlines: streetdesk.Deadlines{ResolveBy: at("2026-03-10 17:00")}}, streetdesk.RiskNone, false},
	} {
		if got := cal.RiskAt(&tt.o, now); got != tt.risk {
			t.Errorf("%s: risk=%v, want %v", tt.name, got, tt.risk)
		}
		if got := tt.o.Overdue(now); got != tt.over {
			t.Errorf("%s: overdue=%v, want %v", tt.name, got, tt.over)
		}
	}
	o := streetdesk.WorkOrder{Status: streetdesk.StatusAccepted, Deadlines: streetdesk.Deadlines{ResolveBy: at("2026-03-16 11:00")}}
	if !o.DueWithin(now, 2*time.Hour) || o.DueWithin(now, 30*time.Minute) {
		t.Error("DueWithin wrong")
	}
}

func TestRemaining(t *testing.T) {
	now := at("2026-03-16 10:00")
	for _, tt := range []struct {
		dl, lang, want string
	}{
		{"2026-03-16 15:00", "zh", "剩余 5小时"},
		{"2026-03-16 08:00", "zh", "超时 2小时"},
		{"2026-03-19 10:00", "zh", "剩余 3天"},
		{"2026-03-16 10:30", "en", "30min left"},
		{"2026-03-16 07:00", "en", "3h overdue"},
	} {
		if got := translation.For(tt.lang).Remaining(at(tt.dl), now); got != tt.want {
			t.Errorf("Remaining(%s,%s)=%q, want %q", tt.dl, tt.lang, got, tt.want)
		}
	}
}

func TestLoadCalendar_Errors(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"bad date", "2026-01-01,holiday\n2026-13-01,holiday\n", "line 2"},
		{"bad kind", "# c\n2026-01-01,vacation,x\n", "line 2"},
		{"too many fields", "2026-01-01,holiday,a,b\n", "line 1"},
		{"duplicate", "2026-01-01,holiday\n2026-01-01,workday\n", "line 2"},
		{"unterminated quote", "2026-01-01,\"holiday\n", "holiday table"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := streetdesk.LoadCalendar(strings.NewReader(tt.in), nil)
			if err == nil || streetdesk.ErrorCode(err) != streetdesk.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err=%v, want EINVALID mentioning %q", err, tt.want)
			}
		})
	}
	cal, err := streetdesk.LoadCalendar(strings.NewReader("2026-03-11,holiday,测试\n2026-03-14,workday\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cal.IsWorkday(at("2026-03-11 10:00")) || !cal.IsWorkday(at("2026-03-14 10:00")) || cal.HolidayName(at("2026-03-11 10:00")) != "测试" {
		t.Error("custom calendar not applied")
	}
}

// Past the years its table lists, the calendar counts only weekends as days
// off and says so once, with the year, to its logger.
func TestCalendarWarnsOnceOutsideItsTable(t *testing.T) {
	var buf strings.Builder
	var mu gosync.Mutex
	cal := streetdesk.DefaultCalendar()
	cal.SetLogger(slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, nil)))
	if first, last := cal.Years(); first != 2026 || last != 2027 {
		t.Fatalf("Years() = %d, %d", first, last)
	}
	// Inside the table: holidays count, nothing to say.
	if cal.IsWorkday(time.Date(2027, 10, 4, 10, 0, 0, 0, streetdesk.ChinaTZ)) || !cal.Covers(time.Date(2026, 1, 1, 0, 0, 0, 0, streetdesk.ChinaTZ)) {
		t.Fatal("2027-10-04 (国庆节) is a working day, or 2026 is not covered")
	}
	if buf.Len() != 0 {
		t.Fatalf("a warning inside the table: %s", buf.String())
	}
	// 2028-10-02 is a Monday in the national holiday; without a table for
	// 2028 it is a working day, from many goroutines at once.
	d := time.Date(2028, 10, 2, 10, 0, 0, 0, streetdesk.ChinaTZ)
	var wg gosync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if !cal.IsWorkday(d) {
				t.Error("outside the table a Monday is not a working day")
			}
			cal.AddWorkdays(d, 3)
		})
	}
	wg.Wait()
	if cal.Covers(d) {
		t.Error("2028 reported as covered")
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if n := strings.Count(out, "level=WARN"); n != 1 || !strings.Contains(out, "year=2028") || !strings.Contains(out, "table_last_year=2027") {
		t.Fatalf("want one warning naming 2028 and the table's last year, got %d:\n%s", n, out)
	}
}

type lockedWriter struct {
	mu *gosync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
