package sync_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync"
)

// Benchmarks on testdata/bench/orders-10k.jsonl.gz (the data set the peer was
// measured on) loaded into the real platform, synced over loopback into the
// real localdb.
//
//	go test -run '^$' -bench . -benchtime 5x ./sync

const benchFile = "../testdata/bench/orders-10k.jsonl.gz"

func benchEnv(b *testing.B) *realEnv {
	b.Helper()
	f, err := os.Open(benchFile)
	if err != nil {
		b.Fatalf("bench data: %v", err)
	}
	defer f.Close()
	e := newRealEnv(b)
	n, err := e.srv.ImportBenchOrders(context.Background(), f, e.cw.ID)
	if err != nil || n != 10000 {
		b.Fatalf("import: %d %v", n, err)
	}
	return e
}

func benchOpts() sync.Options {
	return sync.Options{Clock: sync.RealClock{}, PullLimit: streetdesk.MaxPullLimit}
}

// peakHeap samples HeapInuse until stop is closed.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var ms runtime.MemStats
		var peak uint64
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

func BenchmarkFirstSync10k(b *testing.B) {
	e := benchEnv(b)
	dir := b.TempDir()
	var peak uint64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		d := e.desk(filepath.Join(dir, fmt.Sprintf("d%d.db", i)), e.cw, benchOpts())
		runtime.GC()
		stop := make(chan struct{})
		pc := peakHeap(stop)
		b.StartTimer()
		d.start()
		st := d.waitCycle(0)
		b.StopTimer()
		close(stop)
		peak = max(peak, <-pc)
		if st.LastErr != nil {
			b.Fatal(st.LastErr)
		}
		d.close()
		b.StartTimer()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkFirstSync10kMemStore is the same first sync into an in-memory
// store: the client, engine and platform without localdb's cost.
func BenchmarkFirstSync10kMemStore(b *testing.B) {
	e := benchEnv(b)
	for b.Loop() {
		b.StopTimer()
		d := e.desk("", e.cw, benchOpts())
		ms := newMemStore("")
		ms.fast = true
		d.eng = sync.New(ms, d.client, benchOpts())
		b.StartTimer()
		d.start()
		st := d.waitCycle(0)
		b.StopTimer()
		if st.LastErr != nil {
			b.Fatal(st.LastErr)
		}
		d.close()
		b.StartTimer()
	}
}

func BenchmarkSyncNothingNew(b *testing.B) {
	e := benchEnv(b)
	d := e.desk("", e.cw, benchOpts())
	d.start()
	if st := d.waitCycle(0); st.LastErr != nil {
		b.Fatal(st.LastErr)
	}
	before := d.rt.count("pull") + d.rt.count("push")
	n := 0
	for b.Loop() {
		d.syncNow()
		n++
	}
	b.ReportMetric(float64(d.rt.count("pull")+d.rt.count("push")-before)/float64(n), "requests/op")
}

func BenchmarkPush1000(b *testing.B) {
	e := benchEnv(b)
	d := e.desk("", e.cw, benchOpts())
	d.start()
	if st := d.waitCycle(0); st.LastErr != nil {
		b.Fatal(st.LastErr)
	}
	d.stop()
	ctx := context.Background()
	page, err := d.db.Queue(ctx, streetdesk.QueueFilter{Statuses: []streetdesk.Status{streetdesk.StatusAccepted}, Limit: 100})
	if err != nil || len(page.Items) == 0 {
		b.Fatalf("no accepted orders: %v", err)
	}
	for b.Loop() {
		b.StopTimer()
		for i := 0; i < 1000; i++ {
			id := page.Items[i%len(page.Items)].Order.ID
			if err := d.db.AddNote(ctx, id, fmt.Sprintf("现场勘察记录 %d", i)); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if err := d.eng.PushOnce(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		// Confirm through a pull (not timed) so the outbox is empty again.
		d.start()
		d.syncNow()
		d.stop()
		b.StartTimer()
	}
}

// BenchmarkRawUpsert10k is the floor: the same 10,000 rows straight into
// SQLite (modernc, WAL, synchronous=FULL) in one transaction.
func BenchmarkRawUpsert10k(b *testing.B) {
	f, err := os.Open(benchFile)
	if err != nil {
		b.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	type row struct{ id, data string }
	var rows []row
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rows = append(rows, row{id: fmt.Sprint(len(rows)), data: line})
	}
	f.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "raw.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE orders (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	v := 0
	for b.Loop() {
		v++
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		st, err := tx.Prepare(`INSERT OR REPLACE INTO orders (id, version, data) VALUES (?, ?, ?)`)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rows {
			if _, err := st.Exec(r.id, v, r.data); err != nil {
				b.Fatal(err)
			}
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPhoto20MBCut5 uploads a 20 MB photo over a link cut 5 times at
// random points and reports the bytes sent beyond the file size.
func BenchmarkPhoto20MBCut5(b *testing.B) {
	e := newRealEnv(b)
	ids := e.dispatch(1, e.cw.ID)
	var worst float64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		d := e.desk("", e.cw, sync.Options{Clock: sync.RealClock{}, BackoffBase: time.Millisecond, BackoffCap: 5 * time.Millisecond})
		d.start()
		d.waitCycle(0)
		ctx := context.Background()
		path := filepath.Join(b.TempDir(), "big.jpg")
		data := make([]byte, 20_000_000)
		rng := rand.New(rand.NewPCG(uint64(i), 9))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		_ = os.WriteFile(path, data, 0o600)
		if i > 0 {
			// A fresh order per round so the blob is new to the platform.
			ids = e.dispatch(1, e.cw.ID)
			d.syncNow()
		}
		p, err := importForTest(ctx, d.db, ids[0], path)
		if err != nil {
			b.Fatal(err)
		}
		cuts := 0
		d.rt.setPlan(func(req *http.Request) fault {
			if req.Method == http.MethodPatch && cuts < 5 {
				cuts++
				return fault{cutAfter: 1 + rng.Int64N(1<<20)}
			}
			return fault{}
		})
		sent0 := d.rt.sent.Load()
		b.StartTimer()
		n := d.eng.Stats().Cycles
		d.eng.SyncNow()
		for {
			st := d.waitCycle(n)
			n = st.Cycles
			if st.LastErr == nil {
				break
			}
		}
		b.StopTimer()
		resent := float64(d.rt.sent.Load()-sent0-p.Size) / (1 << 20)
		worst = max(worst, resent)
		if _, err := os.Stat(e.srv.BlobPath(p.SHA256)); err != nil {
			b.Fatalf("blob missing: %v (cuts %d)", err, cuts)
		}
		d.close()
		b.StartTimer()
	}
	b.ReportMetric(worst, "resent-MiB")
}

// BenchmarkPullRequestNothingNew is the single pull request of a sync with
// nothing new (platform + HTTP + decoding), without the engine or localdb.
func BenchmarkPullRequestNothingNew(b *testing.B) {
	e := benchEnv(b)
	d := e.desk("", e.cw, benchOpts())
	d.start()
	if st := d.waitCycle(0); st.LastErr != nil {
		b.Fatal(st.LastErr)
	}
	d.stop()
	ctx := context.Background()
	cur, _ := d.db.PullCursor(ctx)
	cid, _ := d.db.ClientID(ctx)
	for b.Loop() {
		if _, err := d.client.Pull(ctx, cid, cur, streetdesk.MaxPullLimit); err != nil {
			b.Fatal(err)
		}
	}
}
