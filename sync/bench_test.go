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
	"github.com/streetdesk/streetdesk/internal/cputime"
	"github.com/streetdesk/streetdesk/internal/pgtest"
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

// cpuMeter adds up the process's CPU time over the timed parts of a
// benchmark (reported as cpu-ms/op: on a shared machine the wall time also
// counts the waits for a core), with the PostgreSQL server's when the
// platform runs on it (STREETDESK_TEST_DB=postgres).
type cpuMeter struct {
	t0    time.Duration
	total time.Duration
}

func (m *cpuMeter) start() { m.t0 = cputime.Process() + pgtest.SharedCPU() }
func (m *cpuMeter) stop()  { m.total += cputime.Process() + pgtest.SharedCPU() - m.t0 }
func (m *cpuMeter) report(b *testing.B, n int) {
	if n > 0 {
		b.ReportMetric(float64(m.total.Microseconds())/1000/float64(n), "cpu-ms/op")
	}
}

// BenchmarkFirstSync10k times a new desk's first sync of the 10,000 orders
// (the engine's cycle until the queue is usable; the search index follows
// in the background, see BenchmarkFirstSync10kSearch). Memory is measured on
// the real program (scripts/bench-vs-peer.sh: RSS of streetdesk sync
// --once): a heap sampler here stopped the world every few milliseconds
// and slowed what it measured.
func BenchmarkFirstSync10k(b *testing.B) {
	e := benchEnv(b)
	dir := b.TempDir()
	var cpu cpuMeter
	n := 0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		d := e.desk(filepath.Join(dir, fmt.Sprintf("d%d.db", i)), e.cw, benchOpts())
		runtime.GC()
		b.StartTimer()
		cpu.start()
		d.start()
		st := d.waitCycle(0)
		cpu.stop()
		b.StopTimer()
		n++
		if st.LastErr != nil {
			b.Fatal(st.LastErr)
		}
		d.close()
		b.StartTimer()
	}
	cpu.report(b, n)
}

// BenchmarkFirstEditAfterSync10k times the user's first edit (a note,
// committed with its outbox row) made as soon as a new desk's first sync of
// the 10,000 orders is done, while localdb's indexer rebuilds the deferred
// indexes and checkpoints the first sync's WAL in the background.
func BenchmarkFirstEditAfterSync10k(b *testing.B) {
	e := benchEnv(b)
	dir := b.TempDir()
	ctx := context.Background()
	// The orders are the same for every desk: one is picked on a desk
	// whose indexer is done.
	d0 := e.desk("", e.cw, benchOpts())
	d0.start()
	if st := d0.waitCycle(0); st.LastErr != nil {
		b.Fatal(st.LastErr)
	}
	if err := d0.db.FlushSearch(ctx); err != nil {
		b.Fatal(err)
	}
	page, err := d0.db.Queue(ctx, streetdesk.QueueFilter{Statuses: []streetdesk.Status{streetdesk.StatusAccepted}, Limit: 1})
	if err != nil || len(page.Items) == 0 {
		b.Fatalf("no accepted orders: %v", err)
	}
	id := page.Items[0].Order.ID
	d0.close()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		d := e.desk(filepath.Join(dir, fmt.Sprintf("d%d.db", i)), e.cw, benchOpts())
		d.start()
		if st := d.waitCycle(0); st.LastErr != nil {
			b.Fatal(st.LastErr)
		}
		b.StartTimer()
		if err := d.db.AddNote(ctx, id, "现场勘察记录"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		d.close()
		b.StartTimer()
	}
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
	// The first sync leaves the index rebuild and the search index to the
	// background indexer; finish them so the loop times syncs alone.
	if err := d.db.FlushSearch(context.Background()); err != nil {
		b.Fatal(err)
	}
	before := d.rt.count("pull") + d.rt.count("push")
	n := 0
	var cpu cpuMeter
	cpu.start()
	for b.Loop() {
		d.syncNow()
		n++
	}
	cpu.stop()
	cpu.report(b, n)
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
	if err := d.db.FlushSearch(ctx); err != nil {
		b.Fatal(err)
	}
	page, err := d.db.Queue(ctx, streetdesk.QueueFilter{Statuses: []streetdesk.Status{streetdesk.StatusAccepted}, Limit: 100})
	if err != nil || len(page.Items) == 0 {
		b.Fatalf("no accepted orders: %v", err)
	}
	var cpu cpuMeter
	n := 0
	for b.Loop() {
		b.StopTimer()
		for i := 0; i < 1000; i++ {
			id := page.Items[i%len(page.Items)].Order.ID
			if err := d.db.AddNote(ctx, id, fmt.Sprintf("现场勘察记录 %d", i)); err != nil {
				b.Fatal(err)
			}
		}
		// The notes' search work is the indexer's, not the push's.
		if err := d.db.FlushSearch(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu.start()
		if err := d.eng.PushOnce(ctx); err != nil {
			b.Fatal(err)
		}
		cpu.stop()
		n++
		b.StopTimer()
		// Confirm through a pull (not timed) so the outbox is empty again.
		d.start()
		d.syncNow()
		d.stop()
		b.StartTimer()
	}
	cpu.report(b, n)
}

// BenchmarkRawUpsert10k is the floor: the same 10,000 rows (id, version,
// the order's JSON line) stored straight into SQLite (modernc, WAL,
// synchronous=FULL) with INSERT OR REPLACE in one transaction, as the peer
// benchmark's rawsqlite does. "fresh" writes into a new file each time
// (what a first sync does, and the figure the first sync is held to);
// "replace" overwrites the rows of the previous round.
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
	open := func(path string) *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		if _, err := db.Exec(`CREATE TABLE orders (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL)`); err != nil {
			b.Fatal(err)
		}
		return db
	}
	upsert := func(db *sql.DB, v int) {
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
	b.Run("fresh", func(b *testing.B) {
		dir := b.TempDir()
		var cpu cpuMeter
		n := 0
		for b.Loop() {
			b.StopTimer()
			db := open(filepath.Join(dir, fmt.Sprintf("raw%d.db", n)))
			b.StartTimer()
			cpu.start()
			upsert(db, 1)
			cpu.stop()
			b.StopTimer()
			n++
			db.Close()
			b.StartTimer()
		}
		cpu.report(b, n)
	})
	b.Run("replace", func(b *testing.B) {
		db := open(filepath.Join(b.TempDir(), "raw.db"))
		defer db.Close()
		upsert(db, 0)
		var cpu cpuMeter
		n := 0
		cpu.start()
		for b.Loop() {
			n++
			upsert(db, n)
		}
		cpu.stop()
		cpu.report(b, n)
	})
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
