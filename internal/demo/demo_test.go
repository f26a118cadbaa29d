package demo_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/demo"
)

var now = time.Date(2026, 11, 20, 10, 30, 0, 0, streetdesk.ChinaTZ)

func TestStreets(t *testing.T) {
	all := demo.Streets()
	if len(all) != 74 {
		t.Errorf("got %d streets, want 74 (79 units minus 5 non-街道)", len(all))
	}
	districts := map[string]int{}
	for _, s := range all {
		if !strings.HasSuffix(s.Name, "街道") {
			t.Errorf("%s is not a 街道", s.Name)
		}
		if n := len(s.Communities); n < 4 || n > 8 {
			t.Errorf("%s has %d communities, want 4–8", s.Name, n)
		}
		for _, c := range s.Communities {
			if !strings.HasSuffix(c, "社区") {
				t.Errorf("%s: community %q", s.Name, c)
			}
		}
		if s.District == "" || len(s.Code) != 9 || s.Code[:6] != s.DistrictCode {
			t.Errorf("bad street %+v", s)
		}
		districts[s.District]++
	}
	if len(districts) != 9 {
		t.Errorf("got %d districts, want 9", len(districts))
	}
	luohu := demo.District("罗湖区")
	if len(luohu) != 10 || luohu[0].Name != "桂园街道" || luohu[0].Communities[0] != "桂园社区" {
		t.Errorf("罗湖区: %d streets, first %+v", len(luohu), luohu[0])
	}
	if got := demo.District("火星区"); got != nil {
		t.Errorf("unknown district: %v", got)
	}
	// Callers may not change the package's table.
	luohu[0].Communities[0] = "x"
	if demo.District("罗湖区")[0].Communities[0] != "桂园社区" {
		t.Error("Streets shares its slices")
	}
}

func TestDeterministic(t *testing.T) {
	a := demo.NewGenerator(7, now).Orders(200)
	b := demo.NewGenerator(7, now).Orders(200)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different orders")
	}
	g := demo.NewGenerator(7, now)
	if o := g.Order(150); !reflect.DeepEqual(o, a[150]) {
		t.Error("Order(i) differs from Orders(n)[i]")
	}
	g2 := demo.NewGenerator(7, now)
	if g.NoteText(&a[3], 1) != g2.NoteText(&a[3], 1) || g.ReplyText(&a[3]) != g2.ReplyText(&a[3]) {
		t.Error("texts are not deterministic")
	}
	c := demo.NewGenerator(8, now).Orders(200)
	same := 0
	for i := range c {
		if c[i].Complaint == a[i].Complaint {
			same++
		}
	}
	if same > 5 {
		t.Errorf("seeds 7 and 8 share %d complaints", same)
	}
}

func TestCoverage(t *testing.T) {
	const n = 2000
	g := demo.NewGenerator(1, now)
	orders := g.Orders(n)
	tax := streetdesk.SampleTaxonomy()
	status := map[streetdesk.Status]int{}
	channel := map[streetdesk.Channel]int{}
	urgency := map[streetdesk.Urgency]int{}
	leaf := map[string]int{}
	ids := map[string]bool{}
	titles := map[string]bool{}
	var supervised, reopenedCycle, overdue int
	for i := range orders {
		o := &orders[i]
		status[o.Status]++
		channel[o.Channel]++
		urgency[o.Urgency]++
		leaf[o.Category.L3Code]++
		titles[o.Title] = true
		if ids[o.ID] || !streetdesk.ValidOrderID(o.ID) {
			t.Errorf("order %d: id %q duplicate or invalid", i, o.ID)
		}
		ids[o.ID] = true
		if want := "SZ12345-" + o.DispatchedAt.In(streetdesk.ChinaTZ).Format("20060102") + "-"; !strings.HasPrefix(o.ID, want) {
			t.Errorf("id %q does not carry the dispatch date", o.ID)
		}
		if o.Supervised {
			supervised++
		}
		if o.Cycle > 0 {
			reopenedCycle++
			if o.ReopenReason == "" {
				t.Errorf("%s: cycle %d without reopen reason", o.ID, o.Cycle)
			}
		}
		if o.Overdue(now) {
			overdue++
		}
		checkOrder(t, g, o, tax)
	}
	for _, s := range streetdesk.Statuses {
		if status[s] == 0 {
			t.Errorf("status %s never occurs", s)
		}
	}
	for _, c := range streetdesk.Channels {
		if channel[c] == 0 {
			t.Errorf("channel %s never occurs", c)
		}
	}
	for _, c := range streetdesk.Channels[1:] {
		if channel[c] >= channel[streetdesk.ChannelHotline] {
			t.Errorf("channel %s (%d) as common as the hotline (%d)", c, channel[c], channel[streetdesk.ChannelHotline])
		}
	}
	for _, it := range tax.Items {
		if leaf[it.L3Code] == 0 {
			t.Errorf("category %s %s never occurs", it.L3Code, it.L3Name)
		}
	}
	pct := func(k int) float64 { return 100 * float64(k) / n }
	if p := pct(urgency[streetdesk.UrgencyUrgent]); p < 7 || p > 13 {
		t.Errorf("urgent %.1f%%, want ~10%%", p)
	}
	if p := pct(urgency[streetdesk.UrgencyCritical]); p < 1.5 || p > 5 {
		t.Errorf("critical %.1f%%, want ~3%%", p)
	}
	if p := pct(supervised); p < 5 || p > 12 {
		t.Errorf("supervised %.1f%%, want ~8%%", p)
	}
	if p := pct(status[streetdesk.StatusDispatched] + status[streetdesk.StatusAccepted]); p < 40 {
		t.Errorf("dispatched+accepted %.1f%%, want most", p)
	}
	if overdue == 0 || pct(overdue) > 25 {
		t.Errorf("overdue %.1f%%, want some", pct(overdue))
	}
	if reopenedCycle == 0 {
		t.Error("no order with Cycle > 0")
	}
	if len(titles) < n*9/10 {
		t.Errorf("only %d distinct titles in %d orders", len(titles), n)
	}
}

func checkOrder(t *testing.T, g *demo.Generator, o *streetdesk.WorkOrder, tax *streetdesk.Taxonomy) {
	t.Helper()
	for name, s := range map[string]string{"title": o.Title, "complaint": o.Complaint, "address": o.Location.Address} {
		if !utf8.ValidString(s) || strings.Contains(s, "{") || strings.Contains(s, "}") {
			t.Errorf("%s: bad %s %q", o.ID, name, s)
		}
	}
	if n := utf8.RuneCountInString(o.Title); n < 6 || n > 60 {
		t.Errorf("%s: title %q has %d runes", o.ID, o.Title, n)
	}
	if n := utf8.RuneCountInString(o.Complaint); n < 50 || n > streetdesk.MaxNoteRunes {
		t.Errorf("%s: complaint has %d runes: %q", o.ID, n, o.Complaint)
	}
	if _, ok := tax.Lookup(o.Category.L3Code); !ok {
		t.Errorf("%s: unknown category %s", o.ID, o.Category.L3Code)
	}
	l := o.Location
	if l.Lat < demo.MinLat || l.Lat > demo.MaxLat || l.Lng < demo.MinLng || l.Lng > demo.MaxLng {
		t.Errorf("%s: %v,%v outside Shenzhen", o.ID, l.Lat, l.Lng)
	}
	if l.District == "" || !strings.HasSuffix(l.StreetOffice, "街道") || !strings.HasSuffix(l.Community, "社区") || !strings.Contains(l.Address, "栋") {
		t.Errorf("%s: location %+v", o.ID, l)
	}
	if !strings.HasSuffix(o.Citizen.Name, "女士") && !strings.HasSuffix(o.Citizen.Name, "先生") {
		t.Errorf("%s: citizen %q", o.ID, o.Citizen.Name)
	}
	if p := o.Citizen.Phone; len(p) != 11 || p[3:7] != "****" || p[0] != '1' || p[1] < '3' {
		t.Errorf("%s: phone %q", o.ID, p)
	}
	if o.AssigneeID != "" || o.TeamID != "" {
		t.Errorf("%s: assignee set", o.ID)
	}
	if o.Version < 1 || int(o.Version) != len(o.History) {
		t.Errorf("%s: version %d, %d events", o.ID, o.Version, len(o.History))
	}
	if age := now.Sub(o.DispatchedAt); age < 0 || age > 30*24*time.Hour {
		t.Errorf("%s: dispatched %v before now", o.ID, age)
	}
	if !o.Deadlines.AcceptBy.After(o.DispatchedAt) || o.Deadlines.ResolveBy.Before(o.Deadlines.AcceptBy) && o.Cycle == 0 {
		t.Errorf("%s: deadlines %+v", o.ID, o.Deadlines)
	}
	// The history replays through the lifecycle to the order's status.
	h := o.History
	if len(h) == 0 || h[0].Kind != "dispatch" || !h[0].At.Equal(o.DispatchedAt) {
		t.Fatalf("%s: history does not start with the dispatch: %+v", o.ID, h)
	}
	st := streetdesk.StatusDispatched
	for j, ev := range h[1:] {
		if ev.At.Before(h[j].At) || ev.At.After(now) {
			t.Errorf("%s: event %d (%s) at %v out of order", o.ID, j+1, ev.Kind, ev.At)
		}
		op := streetdesk.Operation(ev.Kind)
		var next streetdesk.Status
		var err error
		for _, role := range streetdesk.Roles {
			if next, err = streetdesk.Apply(st, op, role); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("%s: history %v: %v", o.ID, kinds(h), err)
		}
		st = next
	}
	if st != o.Status {
		t.Errorf("%s: history %v leads to %s, status is %s", o.ID, kinds(h), st, o.Status)
	}
	if !o.UpdatedAt.Equal(h[len(h)-1].At) {
		t.Errorf("%s: UpdatedAt %v, last event %v", o.ID, o.UpdatedAt, h[len(h)-1].At)
	}
	switch o.Status {
	case streetdesk.StatusReturnRequested:
		if o.ReturnRequest == nil || !o.ReturnRequest.Reason.Valid() {
			t.Errorf("%s: return request %+v", o.ID, o.ReturnRequest)
		}
	case streetdesk.StatusExtensionRequested:
		if o.ExtensionRequest == nil || !o.ExtensionRequest.NewResolveBy.After(o.Deadlines.ResolveBy) {
			t.Errorf("%s: extension request %+v", o.ID, o.ExtensionRequest)
		}
	case streetdesk.StatusReopened:
		if o.Cycle < 1 || o.Rating != streetdesk.RatingDissatisfied {
			t.Errorf("%s: reopened with cycle %d rating %q", o.ID, o.Cycle, o.Rating)
		}
	case streetdesk.StatusClosed:
		if !o.Rating.Valid() || o.Rating == streetdesk.RatingDissatisfied {
			t.Errorf("%s: closed with rating %q", o.ID, o.Rating)
		}
	}
	if o.Status != streetdesk.StatusDispatched && o.Status != streetdesk.StatusReturned &&
		o.Status != streetdesk.StatusReturnRequested && o.Status != streetdesk.StatusCancelled && o.AcceptedAt.IsZero() {
		t.Errorf("%s: %s without AcceptedAt", o.ID, o.Status)
	}
	reply := g.ReplyText(o)
	if err := (&streetdesk.Resolution{Outcome: streetdesk.OutcomeSolved, Reply: reply}).Validate(); err != nil {
		t.Errorf("%s: reply %q: %v", o.ID, reply, err)
	}
	// A survey note names the day it was written (not the day of seeding).
	for _, e := range o.History {
		if e.Kind != "addNote" {
			continue
		}
		day := e.At.In(streetdesk.ChinaTZ)
		if want := fmt.Sprintf("%d月%d日", day.Month(), day.Day()); !strings.HasPrefix(e.Text, want) {
			t.Errorf("%s: note of %s says %q", o.ID, day.Format("01-02"), e.Text)
		}
	}
	if note := g.NoteText(o, 2); utf8.RuneCountInString(note) < 15 || utf8.RuneCountInString(note) > streetdesk.MaxNoteRunes || !utf8.ValidString(note) {
		t.Errorf("%s: note %q", o.ID, note)
	}
}

func kinds(h []streetdesk.Event) []string {
	var k []string
	for _, e := range h {
		k = append(k, e.Kind)
	}
	return k
}

func TestCategoryVocabulary(t *testing.T) {
	// Texts name what the category is about, so search finds them.
	want := map[string][]string{
		"010204": {"垃圾"},
		"010101": {"施工", "工地"},
		"030102": {"井盖"},
		"060102": {"电梯"},
		"080302": {"电"},
	}
	orders := demo.NewGenerator(3, now).Orders(3000)
	seen := map[string]bool{}
	for _, o := range orders {
		words, ok := want[o.Category.L3Code]
		if !ok {
			continue
		}
		seen[o.Category.L3Code] = true
		hit := false
		for _, w := range words {
			hit = hit || strings.Contains(o.Title, w)
		}
		if !hit {
			t.Errorf("%s title %q lacks %v", o.Category.L3Name, o.Title, words)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("only %d of %d categories seen", len(seen), len(want))
	}
}

func TestWithStreets(t *testing.T) {
	futian := demo.District("福田区")
	g := demo.NewGenerator(5, now).WithStreets(futian)
	for _, o := range g.Orders(300) {
		if o.Location.District != "福田区" {
			t.Fatalf("%s in %s", o.ID, o.Location.District)
		}
		if o.Location.Lat < 22.5 || o.Location.Lat > 22.6 || o.Location.Lng < 113.98 || o.Location.Lng > 114.1 {
			t.Errorf("%s: %v,%v outside 福田区", o.ID, o.Location.Lat, o.Location.Lng)
		}
	}
}

func BenchmarkOrders100k(b *testing.B) {
	g := demo.NewGenerator(1, now)
	for b.Loop() {
		for i := range 100_000 {
			_ = g.Order(i)
		}
	}
}

// TestRecurring: the planted problems are three hotspots of the analysis,
// rising, new and steady, in the street they were placed in.
func TestRecurring(t *testing.T) {
	now := time.Date(2026, 3, 12, 10, 0, 0, 0, streetdesk.ChinaTZ)
	st := demo.District("罗湖区")[0]
	g := demo.NewGenerator(1, now)
	orders := g.Recurring(st)
	// The street's other orders around them.
	orders = append(orders, g.WithStreets([]demo.Street{st}).Orders(60)...)
	r, err := streetdesk.FindHotspots(orders, streetdesk.DefaultHotspotOptions(now))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]streetdesk.Trend{"010204": streetdesk.TrendRising, "030201": streetdesk.TrendNew, "040103": streetdesk.TrendSteady}
	found := 0
	for _, h := range r.Hotspots {
		trend, ok := want[h.Category.L3Code]
		planted := 0
		for _, o := range h.Orders {
			if strings.Contains(o.ID, "-R0") {
				planted++
			}
		}
		if planted == 0 {
			continue
		}
		found++
		if !ok || h.Trend != trend || planted < 4 || h.Citizens < 3 || h.StreetOffice != st.Name || h.RadiusM > 100 {
			t.Errorf("hotspot %s: %d planted of %d, trend %s, %d citizens, %s, radius %.0f m", h.ID, planted, h.Count, h.Trend, h.Citizens, h.StreetOffice, h.RadiusM)
		}
	}
	if found != 3 {
		t.Errorf("%d hotspots hold planted orders, want 3: %+v", found, r.Hotspots)
	}
	for _, o := range orders[:len(orders)-60] {
		if !streetdesk.ValidOrderID(o.ID) || o.Version != int64(len(o.History)) || o.DispatchedAt.After(now) {
			t.Errorf("order %s: version %d, %d events, dispatched %v", o.ID, o.Version, len(o.History), o.DispatchedAt)
		}
	}
}
