package streetdesk_test

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
)

// hsNow ends every window of these tests: Thursday 2026-03-12 10:00 CST.
var hsNow = time.Date(2026, 3, 12, 10, 0, 0, 0, streetdesk.ChinaTZ)

// A garbage station in 福田区 and the categories of the sample duty list.
const (
	baseLat, baseLng = 22.5489, 114.0582
	catStation       = "010204" // 垃圾站夜间作业噪声 (社会生活噪声 0102)
	catShop          = "010201" // 商铺促销高音喇叭噪声 (also 0102)
	catBikes         = "030201"
)

var sampleDuty = streetdesk.SampleTaxonomy()

// move returns the point north and east metres away from (lat, lng).
func move(lat, lng, north, east float64) (float64, float64) {
	const m = 6_371_008.8 * math.Pi / 180
	return lat + north/m, lng + east/(m*math.Cos(lat*math.Pi/180))
}

// hs describes one order of a hotspot test.
type hs struct {
	id          string
	cat         string  // level-3 code; "" for none
	north, east float64 // metres from the base point
	lat, lng    float64 // absolute coordinates instead, when either is set
	noXY        bool
	days        float64 // dispatched this many days before hsNow
	phone, name string
	comm, addr  string
	status      streetdesk.Status
	cycle       int
	rating      streetdesk.Rating
	version     int64
}

func (h hs) order() streetdesk.WorkOrder {
	o := streetdesk.WorkOrder{ID: h.id, Title: "title " + h.id, Status: h.status, Cycle: h.cycle, Rating: h.rating, Version: h.version,
		DispatchedAt: hsNow.Add(-time.Duration(h.days * 24 * float64(time.Hour))),
		Citizen:      streetdesk.Citizen{Phone: h.phone, Name: h.name},
		Location:     streetdesk.Location{District: "福田区", StreetOffice: "香蜜湖街道", Community: h.comm, Address: h.addr}}
	if o.Status == "" {
		o.Status = streetdesk.StatusAccepted
	}
	if h.cat != "" {
		if it, ok := sampleDuty.Lookup(h.cat); ok {
			o.Category = it.Category
		} else if len(h.cat) >= 4 {
			o.Category = streetdesk.Category{L1Code: h.cat[:2], L2Code: h.cat[:4], L3Code: h.cat}
		} else {
			o.Category = streetdesk.Category{L3Code: h.cat}
		}
	}
	switch {
	case h.noXY:
	case h.lat != 0 || h.lng != 0:
		o.Location.Lat, o.Location.Lng = h.lat, h.lng
	default:
		o.Location.Lat, o.Location.Lng = move(baseLat, baseLng, h.north, h.east)
	}
	return o
}

func hsOrders(hh ...hs) []streetdesk.WorkOrder {
	out := make([]streetdesk.WorkOrder, len(hh))
	for i, h := range hh {
		out[i] = h.order()
	}
	return out
}

// members returns each hotspot's order IDs.
func members(r *streetdesk.HotspotReport) [][]string {
	var out [][]string
	for _, h := range r.Hotspots {
		var ids []string
		for _, o := range h.Orders {
			ids = append(ids, o.ID)
		}
		out = append(out, ids)
	}
	return out
}

func find(t *testing.T, orders []streetdesk.WorkOrder, opt streetdesk.HotspotOptions) *streetdesk.HotspotReport {
	t.Helper()
	r, err := streetdesk.FindHotspots(orders, opt)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, r, opt)
	return r
}

// tb is what the checks need of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Fatal(args ...any)
}

// checkReport asserts what holds for every report.
func checkReport(t tb, r *streetdesk.HotspotReport, opt streetdesk.HotspotOptions) {
	t.Helper()
	in := r.Input
	if in.Clustered+in.LeftOut() != in.InWindow {
		t.Errorf("clustered %d + left out %d != in window %d (%+v)", in.Clustered, in.LeftOut(), in.InWindow, in)
	}
	seen := map[string]bool{}
	for k, h := range r.Hotspots {
		if h.Count != len(h.Orders) || h.Count < opt.MinOrders || h.Citizens < 2 {
			t.Errorf("hotspot %s: count %d, %d orders, %d citizens", h.ID, h.Count, len(h.Orders), h.Citizens)
		}
		if h.Reopened.Den != h.Count || h.Reopened.Num > h.Count {
			t.Errorf("hotspot %s: reopened %+v of %d", h.ID, h.Reopened, h.Count)
		}
		for i, o := range h.Orders {
			if seen[o.ID] {
				t.Errorf("order %s in two hotspots", o.ID)
			}
			seen[o.ID] = true
			if !o.DispatchedAt.After(r.From) || o.DispatchedAt.After(r.To) {
				t.Errorf("order %s dispatched %v outside (%v, %v]", o.ID, o.DispatchedAt, r.From, r.To)
			}
			if i > 0 && o.DispatchedAt.Before(h.Orders[i-1].DispatchedAt) {
				t.Errorf("hotspot %s: orders not in dispatch order", h.ID)
			}
			if h.HasCentre && !o.ByAddress && streetdesk.HaversineM(h.Lat, h.Lng, o.Lat, o.Lng) > h.RadiusM+1e-6 {
				t.Errorf("hotspot %s: order %s beyond the radius %.1f m", h.ID, o.ID, h.RadiusM)
			}
		}
		if !h.First.Equal(h.Orders[0].DispatchedAt) || !h.Last.Equal(h.Orders[len(h.Orders)-1].DispatchedAt) {
			t.Errorf("hotspot %s: span %v–%v", h.ID, h.First, h.Last)
		}
		if k > 0 {
			p := r.Hotspots[k-1]
			if p.Count < h.Count || p.Count == h.Count && (p.Delta() < h.Delta() || p.Delta() == h.Delta() && p.ID >= h.ID) {
				t.Errorf("hotspots out of order: %s (%d, %+d) before %s (%d, %+d)", p.ID, p.Count, p.Delta(), h.ID, h.Count, h.Delta())
			}
		}
	}
	for _, p := range r.Points {
		if p.Hotspot >= len(r.Hotspots) || p.Hotspot < 0 && seen[p.ID] || p.Hotspot >= 0 && !seen[p.ID] {
			t.Errorf("point %s: hotspot %d", p.ID, p.Hotspot)
		}
	}
}

// opts are the defaults, with the plot's points.
func opts() streetdesk.HotspotOptions {
	o := streetdesk.DefaultHotspotOptions(hsNow)
	o.Points = true
	return o
}

func TestFindHotspots(t *testing.T) {
	level2 := opts()
	level2.Level = streetdesk.CategoryLevel2
	withDuty := opts()
	withDuty.Duty = sampleDuty
	tests := []struct {
		name   string
		opt    streetdesk.HotspotOptions
		orders []hs
		want   [][]string
	}{
		{"three citizens within 300 m", opts(), []hs{
			{id: "a", cat: catStation, days: 1, phone: "138****0001"},
			{id: "b", cat: catStation, north: 120, days: 5, phone: "138****0002"},
			{id: "c", cat: catStation, east: -200, days: 9, phone: "138****0003"},
		}, [][]string{{"c", "b", "a"}}},
		{"one citizen three times is not a hotspot", opts(), []hs{
			{id: "a", cat: catStation, days: 1, phone: "138****0001"},
			{id: "b", cat: catStation, north: 10, days: 2, phone: "138****0001"},
			{id: "c", cat: catStation, east: 10, days: 3, phone: "138****0001"},
		}, nil},
		{"two citizens, names when there is no phone", opts(), []hs{
			{id: "a", cat: catStation, days: 1, name: "李先生"},
			{id: "b", cat: catStation, north: 10, days: 2, name: "李先生"},
			{id: "c", cat: catStation, east: 10, days: 3, name: "张女士"},
		}, [][]string{{"c", "b", "a"}}},
		{"anonymous orders count as different citizens", opts(), []hs{
			{id: "a", cat: catStation, days: 1}, {id: "b", cat: catStation, days: 2}, {id: "c", cat: catStation, days: 3},
		}, [][]string{{"c", "b", "a"}}},
		{"two orders are too few", opts(), []hs{
			{id: "a", cat: catStation, days: 1, phone: "1"}, {id: "b", cat: catStation, days: 2, phone: "2"},
		}, nil},
		{"a chain 250 m apart is connected", opts(), []hs{
			{id: "a", cat: catStation, north: 0, days: 1, phone: "1"},
			{id: "b", cat: catStation, north: 250, days: 2, phone: "2"},
			{id: "c", cat: catStation, north: 500, days: 3, phone: "3"},
			{id: "d", cat: catStation, north: 750, days: 4, phone: "4"},
		}, [][]string{{"d", "c", "b", "a"}}},
		{"310 m is too far", opts(), []hs{
			{id: "a", cat: catStation, north: 0, days: 1, phone: "1"},
			{id: "b", cat: catStation, north: 290, days: 2, phone: "2"},
			{id: "c", cat: catStation, north: 600, days: 3, phone: "3"},
		}, nil},
		{"different level-3 categories", opts(), []hs{
			{id: "a", cat: catStation, days: 1, phone: "1"}, {id: "b", cat: catShop, days: 2, phone: "2"}, {id: "c", cat: catStation, days: 3, phone: "3"},
		}, nil},
		{"the same level-2 category", level2, []hs{
			{id: "a", cat: catStation, days: 1, phone: "1"}, {id: "b", cat: catShop, days: 2, phone: "2"}, {id: "c", cat: catStation, days: 3, phone: "3"},
			{id: "x", cat: catBikes, days: 3, phone: "4"},
		}, [][]string{{"c", "b", "a"}}},
		{"outside the window", opts(), []hs{
			{id: "a", cat: catStation, days: 1, phone: "1"}, {id: "b", cat: catStation, days: 29.9, phone: "2"},
			{id: "c", cat: catStation, days: 30, phone: "3"}, {id: "d", cat: catStation, days: -1, phone: "4"},
		}, nil},
		{"by community and address without coordinates", opts(), []hs{
			{id: "a", cat: catStation, noXY: true, days: 1, phone: "1", comm: "星河社区", addr: "福田区 星湖花园3栋旁垃圾站"},
			{id: "b", cat: catStation, noXY: true, days: 2, phone: "2", comm: "星河社区", addr: "星湖花园 3 栋旁，垃圾站"},
			{id: "c", cat: catStation, noXY: true, days: 3, phone: "3", comm: "星河社区", addr: "香蜜湖街道星湖花园３栋旁垃圾站"},
			{id: "d", cat: catStation, noXY: true, days: 3, phone: "4", comm: "香蜜社区", addr: "星湖花园3栋旁垃圾站"},
		}, [][]string{{"c", "b", "a"}}},
		{"the names of places alone are no address", opts(), []hs{
			{id: "a", cat: catStation, noXY: true, days: 1, phone: "1", comm: "星河社区", addr: "福田区星河社区"},
			{id: "b", cat: catStation, noXY: true, days: 2, phone: "2", comm: "星河社区", addr: "福田区 星河社区"},
			{id: "c", cat: catStation, noXY: true, days: 3, phone: "3", comm: "星河社区", addr: "星河社区"},
			{id: "x", cat: catStation, noXY: true, days: 1, phone: "1", comm: "San Francisco", addr: "     SAN FRANCISCO , CA "},
			{id: "y", cat: catStation, noXY: true, days: 2, phone: "2", comm: "San Francisco", addr: "SAN FRANCISCO, CA"},
			{id: "z", cat: catStation, noXY: true, days: 3, phone: "3", comm: "San Francisco", addr: "San Francisco CA"},
		}, nil},
		{"an order without coordinates joins by address", opts(), []hs{
			{id: "a", cat: catStation, days: 1, phone: "1", comm: "星河社区", addr: "星湖花园3栋旁垃圾站"},
			{id: "b", cat: catStation, north: 2000, days: 2, phone: "2", comm: "星河社区", addr: "星湖花园3栋"},
			{id: "c", cat: catStation, north: 2100, days: 3, phone: "3"},
			{id: "d", cat: catStation, noXY: true, days: 3.5, phone: "4", comm: "星河社区", addr: "星湖花园3栋"},
		}, [][]string{{"d", "c", "b"}}},
		{"two orders with coordinates and the same address are placed by their coordinates", opts(), []hs{
			{id: "a", cat: catStation, days: 1, phone: "1", comm: "星河社区", addr: "星湖花园3栋"},
			{id: "b", cat: catStation, north: 2000, days: 2, phone: "2", comm: "星河社区", addr: "星湖花园3栋"},
			{id: "c", cat: catStation, north: 2100, days: 3, phone: "3"},
		}, nil},
		{"bad coordinates are never placed by them", opts(), []hs{
			{id: "a", cat: catStation, days: 1, phone: "1"},
			{id: "b", cat: catStation, lat: baseLng, lng: baseLat, days: 2, phone: "2"},  // swapped
			{id: "c", cat: catStation, lat: -baseLat, lng: baseLng, days: 3, phone: "3"}, // outside China
			{id: "d", cat: catStation, lat: math.NaN(), lng: baseLng, days: 3, phone: "4"},
			{id: "e", cat: catStation, north: 50, days: 4, phone: "5"},
		}, nil},
		{"without a category", opts(), []hs{
			{id: "a", days: 1, phone: "1"}, {id: "b", days: 2, phone: "2"}, {id: "c", days: 3, phone: "3"},
		}, nil},
		{"a code missing from the duty list", withDuty, []hs{
			{id: "a", cat: "999999", days: 1, phone: "1"}, {id: "b", cat: "999999", days: 2, phone: "2"}, {id: "c", cat: "999999", days: 3, phone: "3"},
		}, nil},
		{"cancelled and returned orders do not count", opts(), []hs{
			{id: "a", cat: catStation, days: 1, phone: "1"}, {id: "b", cat: catStation, days: 2, phone: "2", status: streetdesk.StatusCancelled},
			{id: "c", cat: catStation, days: 3, phone: "3", status: streetdesk.StatusReturned}, {id: "d", cat: catStation, days: 3, phone: "4"},
		}, nil},
		{"two hotspots, the bigger first", opts(), []hs{
			{id: "a1", cat: catStation, days: 1, phone: "1"}, {id: "a2", cat: catStation, days: 2, phone: "2"}, {id: "a3", cat: catStation, days: 3, phone: "3"},
			{id: "b1", cat: catBikes, north: 5000, days: 1, phone: "1"}, {id: "b2", cat: catBikes, north: 5000, days: 2, phone: "2"},
			{id: "b3", cat: catBikes, north: 5000, days: 3, phone: "3"}, {id: "b4", cat: catBikes, north: 5010, days: 4, phone: "3"},
		}, [][]string{{"b4", "b3", "b2", "b1"}, {"a3", "a2", "a1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := find(t, hsOrders(tt.orders...), tt.opt)
			if got := members(r); !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("hotspots = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFindHotspotsCounts(t *testing.T) {
	o := opts()
	o.Duty = sampleDuty
	r := find(t, hsOrders(
		hs{id: "ok", cat: catStation, days: 1, phone: "1"},
		hs{id: "zero", cat: catStation, noXY: true, days: 1, phone: "2", comm: "星河社区", addr: "星湖花园3栋"},
		hs{id: "zero-noaddr", cat: catStation, noXY: true, days: 1, phone: "2"},
		hs{id: "swapped", cat: catStation, lat: baseLng, lng: baseLat, days: 1},
		hs{id: "outside", cat: catStation, lat: 40.7, lng: -74, days: 1},
		hs{id: "nan", cat: catStation, lat: math.Inf(1), lng: 1, days: 1},
		hs{id: "nocat", days: 1},
		hs{id: "unknown", cat: "990101", days: 1},
		hs{id: "cancelled", cat: catStation, days: 1, status: streetdesk.StatusCancelled},
		hs{id: "prev", cat: catStation, days: 40},
		hs{id: "old", cat: catStation, days: 61},
		hs{id: "ok", cat: catStation, days: 1, version: 2}, // a newer copy
		hs{id: "", cat: catStation, days: 1},
	), o)
	want := streetdesk.HotspotInput{Orders: 11, DuplicateIDs: 1, Malformed: 1, InWindow: 9, Previous: 1, Clustered: 2, ByAddress: 1,
		NoCoordinates: 2, InvalidCoordinates: 1, SwappedCoordinates: 1, OutsideRegion: 1,
		NoPlace: 4, NoCategory: 1, UnknownCategory: 1, Withdrawn: 1}
	if r.Input != want {
		t.Errorf("input =\n%+v, want\n%+v", r.Input, want)
	}
	if len(r.Points) != 1 || r.Points[0].ID != "ok" || r.Points[0].Hotspot != -1 {
		t.Errorf("points = %+v", r.Points)
	}
}

func TestHotspotSummary(t *testing.T) {
	r := find(t, hsOrders(
		hs{id: "a", cat: catStation, days: 1, phone: "1", comm: "星河社区", addr: "星湖花园3栋旁垃圾站"},
		hs{id: "b", cat: catStation, north: 100, days: 3, phone: "2", comm: "星河社区", addr: "星湖花园3栋旁垃圾站", cycle: 1},
		hs{id: "c", cat: catStation, north: -100, days: 8, phone: "3", comm: "星河社区", addr: "星湖花园 5栋", rating: streetdesk.RatingDissatisfied},
		hs{id: "d", cat: catStation, noXY: true, days: 12, phone: "3", comm: "星河社区", addr: "星湖花园3栋旁垃圾站"},
		// The previous window: two near, one far, one of another kind.
		hs{id: "p1", cat: catStation, north: 50, days: 35, phone: "9"},
		hs{id: "p2", cat: catStation, noXY: true, days: 45, phone: "9", comm: "星河社区", addr: "星湖花园3栋旁垃圾站"},
		hs{id: "p3", cat: catStation, north: 1000, days: 35, phone: "9"},
		hs{id: "p4", cat: catBikes, days: 35, phone: "9"},
	), opts())
	if len(r.Hotspots) != 1 {
		t.Fatalf("hotspots = %v", members(r))
	}
	h := r.Hotspots[0]
	if h.ID != catStation+"/d" || h.Count != 4 || h.Citizens != 3 || h.Previous != 2 || h.Trend != streetdesk.TrendRising || h.Delta() != 2 {
		t.Errorf("hotspot %s: count %d citizens %d previous %d trend %s", h.ID, h.Count, h.Citizens, h.Previous, h.Trend)
	}
	if h.Reopened != (streetdesk.Ratio{Num: 2, Den: 4}) {
		t.Errorf("reopened = %+v", h.Reopened)
	}
	if h.Category.L3Name != "垃圾站夜间作业噪声" || h.Category.L3Code != catStation {
		t.Errorf("category = %+v", h.Category)
	}
	if !h.HasCentre || streetdesk.HaversineM(h.Lat, h.Lng, baseLat, baseLng) > 1 || math.Abs(h.RadiusM-100) > 1 {
		t.Errorf("centre %v,%v radius %.1f", h.Lat, h.Lng, h.RadiusM)
	}
	if h.Community != "星河社区" || h.Address != "星湖花园3栋旁垃圾站" || h.StreetOffice != "香蜜湖街道" {
		t.Errorf("place = %q %q %q", h.StreetOffice, h.Community, h.Address)
	}
	if !h.Orders[0].ByAddress || h.Orders[1].ByAddress || !h.Orders[1].Reopened || !h.Orders[2].Reopened || h.Orders[3].Reopened {
		t.Errorf("orders = %+v", h.Orders)
	}
}

func TestHotspotTrend(t *testing.T) {
	near := func(id string, days float64) hs { return hs{id: id, cat: catStation, days: days, phone: id} }
	tests := []struct {
		prev int
		want streetdesk.Trend
	}{{0, streetdesk.TrendNew}, {2, streetdesk.TrendRising}, {3, streetdesk.TrendSteady}, {5, streetdesk.TrendFalling}}
	for _, tt := range tests {
		hh := []hs{near("a", 1), near("b", 2), near("c", 3)}
		for i := 0; i < tt.prev; i++ {
			hh = append(hh, near("p"+string(rune('0'+i)), 31+float64(i)))
		}
		r := find(t, hsOrders(hh...), opts())
		if len(r.Hotspots) != 1 || r.Hotspots[0].Trend != tt.want || r.Hotspots[0].Previous != tt.prev {
			t.Errorf("previous %d: %+v", tt.prev, r.Hotspots)
		}
	}
}

func TestHotspotOptionsValidate(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name string
		set  func(*streetdesk.HotspotOptions)
		want string // part of the message; "" for valid
	}{
		{"defaults", func(*streetdesk.HotspotOptions) {}, ""},
		{"zero window", func(o *streetdesk.HotspotOptions) { o.Window = 0 }, "at least one day (got 0)"},
		{"negative window", func(o *streetdesk.HotspotOptions) { o.Window = -3 * day }, "at least one day (got -3)"},
		{"a year and more", func(o *streetdesk.HotspotOptions) { o.Window = 400 * day }, "at most 366 days"},
		{"zero distance", func(o *streetdesk.HotspotOptions) { o.RadiusM = 0 }, "between 10 and 20000 metres"},
		{"NaN distance", func(o *streetdesk.HotspotOptions) { o.RadiusM = math.NaN() }, "between 10 and 20000 metres"},
		{"one order", func(o *streetdesk.HotspotOptions) { o.MinOrders = 1 }, "at least 2 orders"},
		{"level 1", func(o *streetdesk.HotspotOptions) { o.Level = 1 }, "level must be 2 or 3"},
		{"no clock", func(o *streetdesk.HotspotOptions) { o.Now = time.Time{} }, "time it ends"},
		{"upside-down region", func(o *streetdesk.HotspotOptions) {
			o.Region = streetdesk.Bounds{MinLat: 50, MaxLat: 10, MinLng: 0, MaxLng: 1}
		}, "region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts()
			tt.set(&o)
			_, err := streetdesk.FindHotspots(hsOrders(hs{id: "a", cat: catStation, days: 1}), o)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if streetdesk.ErrorCode(err) != streetdesk.EINVALID || !strings.Contains(streetdesk.ErrorMessage(err), tt.want) {
				t.Errorf("err = %v, want EINVALID with %q", err, tt.want)
			}
		})
	}
}

func TestCheckCoordinates(t *testing.T) {
	b := streetdesk.ChinaBounds
	tests := []struct {
		lat, lng float64
		want     streetdesk.CoordQuality
	}{
		{22.5489, 114.1182, streetdesk.CoordOK},
		{0, 0, streetdesk.CoordMissing},
		{114.1182, 22.5489, streetdesk.CoordSwapped}, // latitude beyond 90
		{39.9, 116.4, streetdesk.CoordOK},
		{116.4, 39.9, streetdesk.CoordSwapped},
		{22.5, 0, streetdesk.CoordOutside},
		{-22.5489, 114.1182, streetdesk.CoordOutside},
		{40.7128, -74.006, streetdesk.CoordOutside},
		{math.NaN(), 114, streetdesk.CoordInvalid},
		{22, math.Inf(-1), streetdesk.CoordInvalid},
		{95, 200, streetdesk.CoordInvalid},
	}
	for _, tt := range tests {
		if got := b.CheckCoordinates(tt.lat, tt.lng); got != tt.want {
			t.Errorf("CheckCoordinates(%v, %v) = %v, want %v", tt.lat, tt.lng, got, tt.want)
		}
	}
}

func TestNormalizeAddress(t *testing.T) {
	loc := streetdesk.Location{District: "福田区", StreetOffice: "香蜜湖街道", Community: "香蜜社区"}
	tests := []struct{ in, want string }{
		{"福田区 香蜜湖街道 香蜜三村5栋前绿地", "香蜜三村5栋前绿地"},
		{"广东省深圳市福田区香蜜社区香蜜三村５栋（前绿地）", "香蜜三村5栋前绿地"},
		{"  香蜜三村 5 栋、前绿地。 ", "香蜜三村5栋前绿地"},
		{"INTERSECTION  of  22ND ST  and  FAIR OAKS ST", "intersectionof22ndstandfairoaksst"},
		{"福田区", ""}, // names of places only: no place
		{"福田区香蜜湖街道，", ""},
		{"     SAN FRANCISCO , CA ", "sanfranciscoca"},
		{"3栋", ""}, // too short to find
		{"，。！", ""},
		{"", ""},
	}
	for _, tt := range tests {
		l := loc
		l.Address = tt.in
		if got := streetdesk.NormalizeAddress(l); got != tt.want {
			t.Errorf("NormalizeAddress(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestInHotspotScope(t *testing.T) {
	cw := streetdesk.User{ID: "cw01", Role: streetdesk.RoleCaseworker, TeamID: "t1", StreetOffice: "香蜜湖街道"}
	lead := streetdesk.User{ID: "lead01", Role: streetdesk.RoleLead, TeamID: "t1", StreetOffice: "香蜜湖街道"}
	mine := streetdesk.WorkOrder{AssigneeID: "cw01", TeamID: "t1", Location: streetdesk.Location{StreetOffice: "香蜜湖街道"}}
	office := streetdesk.WorkOrder{AssigneeID: "cw02", TeamID: "t2", Location: streetdesk.Location{StreetOffice: "香蜜湖街道"}}
	elsewhere := streetdesk.WorkOrder{AssigneeID: "cw09", TeamID: "t1", Location: streetdesk.Location{StreetOffice: "莲花街道"}}
	for _, tt := range []struct {
		u    streetdesk.User
		o    streetdesk.WorkOrder
		want bool
	}{
		{cw, mine, true}, {cw, office, true}, {cw, elsewhere, false},
		{lead, mine, true}, {lead, office, false}, {lead, elsewhere, true},
		{streetdesk.User{Role: streetdesk.RoleDispatcher}, office, true},
	} {
		if got := streetdesk.InHotspotScope(tt.u, &tt.o); got != tt.want {
			t.Errorf("%s sees %s/%s: %v, want %v", tt.u.Role, tt.o.AssigneeID, tt.o.Location.StreetOffice, got, tt.want)
		}
	}
}

// TestHotspotsJSON pins the wire names (camelCase) the CLI and the platform
// share.
func TestHotspotsJSON(t *testing.T) {
	r := find(t, hsOrders(
		hs{id: "a", cat: catStation, days: 1, phone: "1"}, hs{id: "b", cat: catStation, days: 2, phone: "2"}, hs{id: "c", cat: catStation, days: 3, phone: "3"},
	), opts())
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"hotspots":[{"id":"010204/c"`, `"radiusM":300`, `"minOrders":3`, `"hasCentre":true`, `"trend":"new"`,
		`"reopened":{"num":0,"den":3}`, `"input":{"orders":3`, `"dispatchedAt":`, `"points":[{"id":"a"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON lacks %s: %s", k, b)
		}
	}
}
