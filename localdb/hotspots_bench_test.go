package localdb_test

import (
	"context"
	"testing"

	"github.com/streetdesk/streetdesk"
)

// BenchmarkHotspots is the hotspot view's work on the desk: reading the
// two windows' orders from the store (OrdersSince decodes their JSON) and
// the analysis with the plot's points. The bench store's orders all lie in
// the 30 days before benchNow, so every one is read.
//
//	STREETDESK_BENCH_ORDERS=20000 go test -run '^$' -bench Hotspots -benchtime 5x ./localdb
func BenchmarkHotspots(b *testing.B) {
	db := openBench(b, benchDB(b))
	ctx := context.Background()
	q := streetdesk.DefaultHotspotQuery()
	opt := q.Options(benchNow)
	since := benchNow.Add(-2 * q.Window)
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.OrdersSince(ctx, since); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read+analyse", func(b *testing.B) {
		var r *streetdesk.HotspotReport
		for b.Loop() {
			orders, err := db.OrdersSince(ctx, since)
			if err != nil {
				b.Fatal(err)
			}
			if r, err = streetdesk.FindHotspots(orders, opt); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(r.Input.InWindow), "orders")
		b.ReportMetric(float64(len(r.Hotspots)), "hotspots")
	})
}
