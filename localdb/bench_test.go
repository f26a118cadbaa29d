package localdb_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/cputime"
	"github.com/streetdesk/streetdesk/localdb"
)

// Benchmarks run on a generated queue of 100,000 orders loaded through
// ApplyPull (STREETDESK_BENCH_ORDERS changes the size). The loaded database
// is cached in os.TempDir, keyed by the schema and the generator input, so
// setup is paid once; write benchmarks work on a copy.
//
//	go test -run '^$' -bench . -benchtime 2s ./localdb

var benchNow = time.Date(2026, 11, 24, 10, 0, 0, 0, streetdesk.ChinaTZ)

func benchSize() int {
	if n, err := strconv.Atoi(os.Getenv("STREETDESK_BENCH_ORDERS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

var (
	benchOnce   sync.Once
	benchPath   string
	benchErr    error
	benchOrders []streetdesk.WorkOrder
)

// benchDB returns the path of the cached, loaded database.
func benchDB(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		n := benchSize()
		benchOrders = demoOrders(n, benchNow)
		h := sha256.New()
		fmt.Fprintf(h, "v1 %d %d %s\n", n, localdb.Migrations(), benchNow)
		names, _ := filepath.Glob(filepath.Join("migrations", "*.sql"))
		for _, name := range names {
			f, err := os.Open(name)
			if err == nil {
				io.Copy(h, f)
				f.Close()
			}
		}
		for _, o := range benchOrders[:min(n, 100)] { // the generator's output too
			fmt.Fprintln(h, o.ID, o.Title, o.Version)
		}
		benchPath = filepath.Join(os.TempDir(), "streetdesk-localdb-bench-"+hex.EncodeToString(h.Sum(nil))[:16]+".db")
		if _, err := os.Stat(benchPath); err == nil {
			return
		}
		tmp := benchPath + ".building"
		os.Remove(tmp)
		os.Remove(tmp + "-wal")
		ctx := context.Background()
		db, err := localdb.Open(ctx, tmp, localdb.Options{User: caseworker(), Now: func() time.Time { return benchNow }})
		if err != nil {
			benchErr = err
			return
		}
		start := time.Now()
		for i := 0; i < n; i += streetdesk.DefaultPullLimit {
			page := &streetdesk.PullResponse{Cursor: strconv.Itoa(i), HasMore: i+streetdesk.DefaultPullLimit < n,
				Changes: upserts(benchOrders[i:min(n, i+streetdesk.DefaultPullLimit)]...)}
			if benchErr = db.ApplyPull(ctx, page); benchErr != nil {
				db.Close()
				return
			}
		}
		loaded := time.Since(start)
		if benchErr = db.FlushSearch(ctx); benchErr != nil {
			db.Close()
			return
		}
		fmt.Fprintf(os.Stderr, "localdb bench: loaded %d orders through ApplyPull in %v, search index built in %v more\n",
			n, loaded.Round(time.Millisecond), (time.Since(start) - loaded).Round(time.Millisecond))
		if benchErr = db.Close(); benchErr != nil {
			return
		}
		benchErr = os.Rename(tmp, benchPath)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

// benchCopy copies the cached database for benchmarks that write.
func benchCopy(b *testing.B) string {
	src := benchDB(b)
	dst := filepath.Join(b.TempDir(), "copy.db")
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
	return dst
}

func openBench(b *testing.B, path string) *localdb.DB {
	b.Helper()
	db, err := localdb.Open(context.Background(), path, localdb.Options{User: caseworker(), Now: func() time.Time { return benchNow }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func BenchmarkQueuePage(b *testing.B) {
	db := openBench(b, benchDB(b))
	o := benchOrders[0]
	open := []streetdesk.Status{streetdesk.StatusDispatched, streetdesk.StatusAccepted, streetdesk.StatusReopened,
		streetdesk.StatusExtensionRequested, streetdesk.StatusReturnRequested, streetdesk.StatusAwaitingReview}
	cases := []struct {
		name string
		f    streetdesk.QueueFilter
	}{
		{"mine-open-risk", streetdesk.QueueFilter{AssigneeID: caseworker().ID, Statuses: open}},
		{"accepted-risk", streetdesk.QueueFilter{Statuses: []streetdesk.Status{streetdesk.StatusAccepted}}},
		{"street-open-risk", streetdesk.QueueFilter{StreetOffice: o.Location.StreetOffice, Statuses: open}},
		{"category-l1-urgency", streetdesk.QueueFilter{CategoryCode: o.Category.L1Code, Sort: streetdesk.SortUrgency}},
		{"overdue", streetdesk.QueueFilter{Overdue: true}},
		{"dispatched-sort-page3", streetdesk.QueueFilter{Sort: streetdesk.SortDispatched, Offset: 100}},
		{"all-risk", streetdesk.QueueFilter{}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			var total int
			for b.Loop() {
				p, err := db.Queue(ctx, c.f)
				if err != nil {
					b.Fatal(err)
				}
				total = p.Total
			}
			b.ReportMetric(float64(total), "rows")
		})
	}
}

func BenchmarkSearch(b *testing.B) {
	db := openBench(b, benchDB(b))
	for _, q := range []string{"垃圾站", "噪声扰民", "施工 噪声", "井盖", "路灯", "灯", "吵", "\"AND (x"} {
		b.Run(q, func(b *testing.B) {
			ctx := context.Background()
			var total int
			cpu0 := cputime.Process()
			for b.Loop() {
				p, err := db.Queue(ctx, streetdesk.QueueFilter{Text: q})
				if err != nil {
					b.Fatal(err)
				}
				total = p.Total
			}
			b.ReportMetric(float64(total), "rows")
			b.ReportMetric(float64(cputime.Process()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}

// BenchmarkLocalEdit measures one local action: a note, its outbox row,
// the overlay and the search queue entry committed with synchronous=FULL.
func BenchmarkLocalEdit(b *testing.B) {
	db := openBench(b, benchCopy(b))
	var ids []string
	for _, o := range benchOrders {
		if o.AssigneeID == caseworker().ID && o.Status == streetdesk.StatusAccepted {
			ids = append(ids, o.ID)
		}
	}
	ctx := context.Background()
	i := 0
	edit := func() {
		i++
		if err := db.AddNote(ctx, ids[i%len(ids)], "现场勘察：垃圾站压缩设备已调整作业时间"); err != nil {
			b.Fatal(err)
		}
	}
	for range 20 { // warm the page cache of the fresh copy and the statement cache
		edit()
	}
	for b.Loop() {
		edit()
	}
}

// BenchmarkOpen opens (and checks the migrations of) the existing 100k database.
func BenchmarkOpen(b *testing.B) {
	path := benchDB(b)
	ctx := context.Background()
	for b.Loop() {
		db, err := localdb.Open(ctx, path, localdb.Options{User: caseworker()})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.Queue(ctx, streetdesk.QueueFilter{Limit: 1}); err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}

// BenchmarkApplyPull500 applies a page of 500 changed orders to the 100k
// shadow: status/version changes (the usual pull) and changes of the
// searchable text (each reindexed).
func BenchmarkApplyPull500(b *testing.B) {
	for _, text := range []bool{false, true} {
		name := "status"
		if text {
			name = "text"
		}
		b.Run(name, func(b *testing.B) {
			db := openBench(b, benchCopy(b))
			ctx := context.Background()
			page := make([]streetdesk.WorkOrder, 500)
			round := 0
			for b.Loop() {
				round++
				for i := range page {
					o := benchOrders[(round*500+i*97)%len(benchOrders)]
					o.Version += int64(round)
					o.UpdatedAt = benchNow.Add(time.Duration(round) * time.Minute)
					if text {
						o.Title = fmt.Sprintf("%s（第%d次更新）", o.Title, round)
					}
					page[i] = o
				}
				if err := db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: strconv.Itoa(round), Changes: upserts(page...)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkApplyPullInitial10k loads 10,000 orders into an empty database
// in 20 pages of 500 (the store's share of a first sync); "+search" also
// waits for the search index, which is otherwise built in the background.
func BenchmarkApplyPullInitial10k(b *testing.B) {
	for _, flush := range []bool{false, true} {
		name := "pages"
		if flush {
			name = "pages+search"
		}
		b.Run(name, func(b *testing.B) { benchInitial(b, flush) })
	}
}

func benchInitial(b *testing.B, flush bool) {
	benchDB(b)
	orders := benchOrders[:min(10_000, len(benchOrders))]
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		db, err := localdb.Open(ctx, filepath.Join(b.TempDir(), "first.db"), localdb.Options{User: caseworker(), Now: func() time.Time { return benchNow }})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for i := 0; i < len(orders); i += streetdesk.DefaultPullLimit {
			page := &streetdesk.PullResponse{Cursor: strconv.Itoa(i), HasMore: i+streetdesk.DefaultPullLimit < len(orders),
				Changes: upserts(orders[i:min(len(orders), i+streetdesk.DefaultPullLimit)]...)}
			if err := db.ApplyPull(ctx, page); err != nil {
				b.Fatal(err)
			}
		}
		if flush {
			if err := db.FlushSearch(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
}
