package platform_test

import (
	"net/http"
	"runtime"
	"testing"

	"github.com/streetdesk/streetdesk"
)

// BenchmarkPushNote measures pushes of one note each, as desks send them:
// from one desk (the latency of a push, mostly its turn at the writer) and
// from 16 desks at once (how many the writer gets through). On PostgreSQL
// (STREETDESK_TEST_DB=postgres) every push holds the writer lock for its
// round trips to the server.
func BenchmarkPushNote(b *testing.B) {
	for _, desks := range []int{1, 16} {
		b.Run("desks="+itoa(desks), func(b *testing.B) {
			e := newEnv(b)
			o := e.dispatch("teamA", "cw01")
			e.token("cw01")
			clients := make(chan *client, desks)
			for range desks {
				clients <- e.client("cw01")
			}
			push := func(c *client) {
				m := c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "现场已查看，已联系物业处理。"})
				if st, pr, body := c.push(m); st != http.StatusOK || len(pr.Results) != 1 {
					b.Fatalf("push: %d %s", st, body)
				}
			}
			if desks == 1 {
				c := <-clients
				for b.Loop() {
					push(c)
				}
			} else {
				b.SetParallelism(max(1, desks/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					c := <-clients
					for pb.Next() {
						push(c)
					}
				})
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pushes/s")
		})
	}
}
