package streetdesk_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/cputime"
	"github.com/streetdesk/streetdesk/internal/demo"
)

// Orders of the demo generator: Shenzhen's streets, the sample duty list,
// dispatched over the 30 days before benchNow. The bench copies are shared.
var (
	benchNow  = time.Date(2026, 3, 12, 10, 0, 0, 0, streetdesk.ChinaTZ)
	benchCity = sync.OnceValue(func() []streetdesk.WorkOrder {
		return demo.NewGenerator(7, benchNow).Orders(200_000)
	})
	// A team's orders all lie in one street office: the dense case.
	benchTeam = sync.OnceValue(func() []streetdesk.WorkOrder {
		st := demo.District("福田区")[0]
		return demo.NewGenerator(7, benchNow).WithStreets([]demo.Street{st}).Orders(20_000)
	})
)

func benchFind(b *testing.B, orders []streetdesk.WorkOrder, opt streetdesk.HotspotOptions) {
	b.ReportAllocs()
	var r *streetdesk.HotspotReport
	cpu0 := cputime.Process()
	for b.Loop() {
		var err error
		if r, err = streetdesk.FindHotspots(orders, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cputime.Process()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(len(r.Hotspots)), "hotspots")
}

// BenchmarkFindHotspots is the city's 100,000 orders (goal ≤ 1 s) and the
// growth from 25,000 to 200,000.
func BenchmarkFindHotspots(b *testing.B) {
	city := benchCity()
	for _, n := range []int{25_000, 50_000, 100_000, 200_000} {
		b.Run(fmt.Sprintf("city%dk", n/1000), func(b *testing.B) {
			benchFind(b, city[:n], streetdesk.DefaultHotspotOptions(benchNow))
		})
	}
}

// BenchmarkFindHotspotsTeam is a team's 20,000 orders in one street office
// (goal ≤ 150 ms) at 100 m, 300 m and 1 km.
func BenchmarkFindHotspotsTeam(b *testing.B) {
	team := benchTeam()
	for _, r := range []float64{100, 300, 1000} {
		b.Run(fmt.Sprintf("team20k-%.0fm", r), func(b *testing.B) {
			o := streetdesk.DefaultHotspotOptions(benchNow)
			o.RadiusM = r
			benchFind(b, team, o)
		})
	}
}

// BenchmarkFindHotspotsSamePlace puts every order on one spot, one
// category: a pairwise comparison would take n² steps, the grid takes n.
func BenchmarkFindHotspotsSamePlace(b *testing.B) {
	for _, n := range []int{5_000, 20_000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			orders := make([]streetdesk.WorkOrder, n)
			for i := range orders {
				orders[i] = hs{id: fmt.Sprintf("o%06d", i), cat: catStation, north: float64(i % 7), days: float64(i%290) / 10,
					phone: fmt.Sprint(i % 50)}.order()
			}
			benchFind(b, orders, streetdesk.DefaultHotspotOptions(hsNow))
		})
	}
}

// BenchmarkFindHotspotsTiles copies 25,000 orders of the city side by side,
// one degree of longitude apart: the orders grow, their density does not,
// so the time per order shows the algorithm's own growth.
func BenchmarkFindHotspotsTiles(b *testing.B) {
	base := benchCity()[:25_000]
	for _, k := range []int{1, 2, 4, 8} {
		orders := make([]streetdesk.WorkOrder, 0, k*len(base))
		for t := 0; t < k; t++ {
			for _, o := range base {
				o.ID = fmt.Sprintf("%s-%d", o.ID, t)
				o.Location.Lng += float64(t)
				orders = append(orders, o)
			}
		}
		b.Run(fmt.Sprintf("%dk", len(orders)/1000), func(b *testing.B) {
			o := streetdesk.DefaultHotspotOptions(benchNow)
			o.Region = streetdesk.WorldBounds
			benchFind(b, orders, o)
		})
	}
}
