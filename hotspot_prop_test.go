package streetdesk_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/streetdesk/streetdesk"
)

// refHotspots is the definition, computed the slow way: every pair of
// orders compared. FindHotspots must agree with it exactly.
func refHotspots(orders []streetdesk.WorkOrder, opt streetdesk.HotspotOptions) (groups [][]string, previous map[string]int) {
	from, prevFrom := opt.Now.Add(-opt.Window), opt.Now.Add(-2*opt.Window)
	type item struct {
		o       streetdesk.WorkOrder
		cat     string
		xy      bool
		addr    string
		citizen string
		cur     bool
	}
	// The newest version of each ID, as FindHotspots keeps it.
	latest := map[string]streetdesk.WorkOrder{}
	for _, o := range orders {
		if o.ID == "" || o.DispatchedAt.IsZero() {
			continue
		}
		if p, ok := latest[o.ID]; !ok || o.Version > p.Version {
			latest[o.ID] = o
		}
	}
	var items []item
	for _, o := range latest {
		t := o.DispatchedAt
		cur := t.After(from) && !t.After(opt.Now)
		if !cur && !(t.After(prevFrom) && !t.After(from)) {
			continue
		}
		if o.Status == streetdesk.StatusCancelled || o.Status == streetdesk.StatusReturned {
			continue
		}
		cat := o.Category.L3Code
		if opt.Level == streetdesk.CategoryLevel2 {
			cat = o.Category.L2Code
		}
		if cat == "" {
			continue
		}
		it := item{o: o, cat: cat, cur: cur}
		it.xy = opt.Region.CheckCoordinates(o.Location.Lat, o.Location.Lng) == streetdesk.CoordOK
		if c := strings.TrimSpace(o.Location.Community); c != "" {
			if a := streetdesk.NormalizeAddress(o.Location); a != "" {
				it.addr = c + "|" + a
			}
		}
		if !it.xy && it.addr == "" {
			continue
		}
		switch {
		case o.Citizen.Phone != "":
			it.citizen = "p" + o.Citizen.Phone
		case o.Citizen.Name != "":
			it.citizen = "n" + o.Citizen.Name
		default:
			it.citizen = "o" + o.ID
		}
		items = append(items, it)
	}
	similar := func(a, b item) bool {
		if a.cat != b.cat {
			return false
		}
		if a.xy && b.xy {
			return streetdesk.HaversineM(a.o.Location.Lat, a.o.Location.Lng, b.o.Location.Lat, b.o.Location.Lng) <= opt.RadiusM
		}
		return a.addr != "" && a.addr == b.addr
	}
	comp := make([]int, len(items))
	for i := range comp {
		comp[i] = -1
	}
	var comps [][]int
	for i := range items {
		if !items[i].cur || comp[i] >= 0 {
			continue
		}
		k := len(comps)
		comps = append(comps, []int{i})
		comp[i] = k
		for q := 0; q < len(comps[k]); q++ {
			a := comps[k][q]
			for j := range items {
				if items[j].cur && comp[j] < 0 && similar(items[a], items[j]) {
					comp[j] = k
					comps[k] = append(comps[k], j)
				}
			}
		}
	}
	previous = map[string]int{}
	for _, c := range comps {
		cit := map[string]bool{}
		for _, i := range c {
			cit[items[i].citizen] = true
		}
		if len(c) < opt.MinOrders || len(cit) < 2 {
			continue
		}
		var ids []string
		for _, i := range c {
			ids = append(ids, items[i].o.ID)
		}
		slices.Sort(ids)
		groups = append(groups, ids)
		key := strings.Join(ids, ",")
		previous[key] = 0
		for _, p := range items {
			if p.cur {
				continue
			}
			for _, i := range c {
				if similar(p, items[i]) {
					previous[key]++
					break
				}
			}
		}
	}
	slices.SortFunc(groups, func(a, b []string) int { return strings.Compare(strings.Join(a, ","), strings.Join(b, ",")) })
	return groups, previous
}

// gotGroups returns the report's member sets, sorted, and their previous counts.
func gotGroups(r *streetdesk.HotspotReport) ([][]string, map[string]int) {
	var groups [][]string
	prev := map[string]int{}
	for _, h := range r.Hotspots {
		var ids []string
		for _, o := range h.Orders {
			ids = append(ids, o.ID)
		}
		slices.Sort(ids)
		groups = append(groups, ids)
		prev[strings.Join(ids, ",")] = h.Previous
	}
	slices.SortFunc(groups, func(a, b []string) int { return strings.Compare(strings.Join(a, ","), strings.Join(b, ",")) })
	return groups, prev
}

// drawOrders draws orders crowded into a few hundred metres, with few
// categories, citizens and addresses, and every kind of bad coordinate.
func drawOrders(t *rapid.T) []streetdesk.WorkOrder {
	n := rapid.IntRange(0, 80).Draw(t, "n")
	if rapid.Bool().Draw(t, "many") {
		n += 20
	}
	spread := rapid.SampledFrom([]float64{200, 800, 3000}).Draw(t, "spread")
	out := make([]streetdesk.WorkOrder, n)
	for i := range out {
		cat := rapid.SampledFrom([]string{catStation, catShop, catBikes, ""}).Draw(t, "cat")
		h := hs{
			id:    fmt.Sprintf("o%02d", rapid.IntRange(0, n+2).Draw(t, "id")), // some IDs repeat
			cat:   cat,
			north: rapid.Float64Range(-spread, spread).Draw(t, "north"),
			east:  rapid.Float64Range(-spread, spread).Draw(t, "east"),
			days:  rapid.Float64Range(-2, 65).Draw(t, "days"),
			phone: rapid.SampledFrom([]string{"", "138****0001", "139****0002", "137****0003"}).Draw(t, "phone"),
			name:  rapid.SampledFrom([]string{"", "李先生", "张女士"}).Draw(t, "name"),
			comm:  rapid.SampledFrom([]string{"", "星河社区", "香蜜社区"}).Draw(t, "comm"),
			addr:  rapid.SampledFrom([]string{"", "星湖花园3栋", "星湖花园 3 栋", "侨香村12栋"}).Draw(t, "addr"),
			status: rapid.SampledFrom([]streetdesk.Status{streetdesk.StatusAccepted, streetdesk.StatusClosed,
				streetdesk.StatusCancelled, streetdesk.StatusReopened}).Draw(t, "status"),
			version: int64(i),
		}
		switch rapid.IntRange(0, 9).Draw(t, "coords") {
		case 0:
			h.noXY = true
		case 1:
			h.lat, h.lng = baseLng, baseLat // swapped
		case 2:
			h.lat, h.lng = math.NaN(), baseLng
		case 3:
			h.lat, h.lng = 40.7, -74 // outside China
		}
		out[i] = h.order()
	}
	return out
}

func drawOptions(t *rapid.T) streetdesk.HotspotOptions {
	o := opts()
	o.RadiusM = rapid.SampledFrom([]float64{10, 100, 300, 1000}).Draw(t, "radius")
	o.MinOrders = rapid.IntRange(2, 4).Draw(t, "min")
	o.Window = time.Duration(rapid.IntRange(1, 40).Draw(t, "days")) * 24 * time.Hour
	if rapid.Bool().Draw(t, "level2") {
		o.Level = streetdesk.CategoryLevel2
	}
	return o
}

// TestHotspotsMatchDefinition compares FindHotspots with the pairwise
// definition on random crowded orders, and checks that shuffling the input
// changes nothing.
func TestHotspotsMatchDefinition(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		orders := drawOrders(rt)
		opt := drawOptions(rt)
		r, err := streetdesk.FindHotspots(orders, opt)
		if err != nil {
			rt.Fatal(err)
		}
		checkReport(rt, r, opt)
		got, gotPrev := gotGroups(r)
		want, wantPrev := refHotspots(orders, opt)
		if !slices.EqualFunc(got, want, slices.Equal) {
			rt.Fatalf("hotspots\n%v\nwant\n%v", got, want)
		}
		if !reflect.DeepEqual(gotPrev, wantPrev) {
			rt.Fatalf("previous %v, want %v", gotPrev, wantPrev)
		}
		// The same orders in another order: the same report, to the byte.
		seed := rapid.Uint64().Draw(rt, "shuffle")
		shuffled := slices.Clone(orders)
		rand.New(rand.NewPCG(seed, 1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		r2, err := streetdesk.FindHotspots(shuffled, opt)
		if err != nil {
			rt.Fatal(err)
		}
		a, _ := json.Marshal(r)
		b, _ := json.Marshal(r2)
		if string(a) != string(b) {
			rt.Fatalf("shuffled input gave another report:\n%s\n%s", a, b)
		}
	})
}

// TestHotspotsSlidingWindow slides the window a day at a time: a hotspot
// (its set of orders) that goes away never comes back unchanged, since
// orders only enter a sliding window at its end and leave at its start.
func TestHotspotsSlidingWindow(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		orders := drawOrders(rt)
		opt := drawOptions(rt)
		checkSliding(rt, orders, opt, hsNow.Add(-20*24*time.Hour), 24*time.Hour, 25)
	})
}

// checkSliding runs the analysis on windows ending at start, start+step, …
// (steps of them) and fails if a member set disappears and then reappears.
// It returns how many hotspots it saw over all the steps.
func checkSliding(t tb, orders []streetdesk.WorkOrder, opt streetdesk.HotspotOptions, start time.Time, step time.Duration, steps int) (seen int) {
	t.Helper()
	gone := map[string]int{} // member set → the step it went away
	var prev map[string]bool
	for d := 0; d < steps; d++ {
		opt.Now = start.Add(time.Duration(d) * step)
		r, err := streetdesk.FindHotspots(orders, opt)
		if err != nil {
			t.Fatal(err)
		}
		cur := map[string]bool{}
		groups, _ := gotGroups(r)
		for _, g := range groups {
			k := strings.Join(g, ",")
			cur[k] = true
			if day, ok := gone[k]; ok {
				t.Fatalf("step %d: hotspot %s came back unchanged after vanishing at step %d", d, k, day)
			}
		}
		for k := range prev {
			if !cur[k] {
				gone[k] = d
			}
		}
		prev = cur
		seen += len(cur)
	}
	return seen
}

// FuzzFindHotspots feeds arbitrary coordinates, times, codes and texts: the
// analysis never panics and its report always adds up.
func FuzzFindHotspots(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17"), uint16(300), int16(30))
	f.Add(make([]byte, 24*5), uint16(10), int16(0))
	f.Add([]byte(strings.Repeat("\x7f\xf8\x00\x00\x00\x00\x00\x01", 12)), uint16(20000), int16(-5))
	f.Fuzz(func(t *testing.T, data []byte, radius uint16, days int16) {
		opt := opts()
		opt.RadiusM = float64(radius)
		opt.Window = time.Duration(days) * 24 * time.Hour
		var orders []streetdesk.WorkOrder
		for i := 0; len(data) >= 24 && i < 200; i++ {
			lat := math.Float64frombits(binary.LittleEndian.Uint64(data))
			lng := math.Float64frombits(binary.LittleEndian.Uint64(data[8:]))
			if data[16]&1 == 0 { // mostly near Shenzhen, so groups form
				lat, lng = move(baseLat, baseLng, float64(int8(data[17]))*10, float64(int8(data[18]))*10)
			}
			cats := []string{catStation, catShop, "", "\xff"}
			h := hs{id: fmt.Sprint(data[19] % 64), cat: cats[data[20]%4], lat: lat, lng: lng, days: float64(int8(data[21])),
				phone: fmt.Sprint(data[22] % 4), comm: "c", addr: string(data[23:24]), version: int64(data[16])}
			if lat == 0 && lng == 0 {
				h.noXY = true
			}
			orders = append(orders, h.order())
			data = data[24:]
		}
		r, err := streetdesk.FindHotspots(orders, opt)
		if err != nil {
			if streetdesk.ErrorCode(err) != streetdesk.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		checkReport(t, r, opt)
	})
}
