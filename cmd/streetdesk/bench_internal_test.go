package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/demo"
	"github.com/streetdesk/streetdesk/localdb"
	"github.com/streetdesk/streetdesk/ui"
)

// The desktop's own numbers (issue 5 §9, DESIGN §6): start to a usable queue
// with 10,000 orders, resident memory with them, and a search keystroke on
// the real local store. Run: go test -run '^$' -bench . ./cmd/streetdesk

var (
	benchOnce gosync.Once
	benchData string
	benchErr  error
)

const benchOrders = 10_000

// benchProfile makes, once per process, a profile whose local store holds
// 10,000 realistic orders of the signed-in caseworker, loaded the way sync
// loads them (ApplyPull pages of 500).
func benchProfile(b *testing.B) (*Main, *Profile) {
	benchOnce.Do(func() {
		benchData, benchErr = os.MkdirTemp("", "streetdesk-bench-")
		if benchErr != nil {
			return
		}
		user := streetdesk.User{ID: "u-cw01", Username: "cw01", Name: "王芳", Role: streetdesk.RoleCaseworker, TeamID: "t1",
			TeamName: "城管组", StreetOffice: "桂园街道", District: "罗湖区"}
		p := &Profile{Name: "cw01@bench", Server: "http://127.0.0.1:1", Username: "cw01", User: user}
		if benchErr = saveProfile(benchData, p); benchErr != nil {
			return
		}
		ctx := context.Background()
		db, err := localdb.Open(ctx, p.DBPath(), localdb.Options{User: user})
		if err != nil {
			benchErr = err
			return
		}
		defer db.Close()
		orders := demo.NewGenerator(7, time.Now()).Orders(benchOrders)
		for i := 0; i < len(orders); i += 500 {
			end := min(i+500, len(orders))
			page := &streetdesk.PullResponse{Cursor: "bench-" + strconv.Itoa(end), HasMore: end < len(orders)}
			for k := i; k < end; k++ {
				o := orders[k]
				o.AssigneeID, o.AssigneeName, o.TeamID = user.ID, user.Name, user.TeamID
				page.Changes = append(page.Changes, streetdesk.Change{Type: streetdesk.ChangeWorkOrder, Op: streetdesk.OpUpsert,
					ID: o.ID, Version: o.Version, Order: &o})
			}
			if benchErr = db.ApplyPull(ctx, page); benchErr != nil {
				return
			}
		}
		benchErr = db.FlushSearch(ctx)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	m := NewMain()
	m.DataDir = benchData
	m.Logger = slog.New(slog.DiscardHandler)
	p, err := loadCurrent(benchData)
	if err != nil {
		b.Fatal(err)
	}
	return m, p
}

func benchApp(b *testing.B) {
	for _, k := range []string{"XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"} {
		b.Setenv(k, b.TempDir())
	}
	b.Setenv("LANG", "zh_CN.UTF-8")
	a := test.NewTempApp(b)
	a.Settings().SetTheme(ui.Theme())
	if err := ui.LoadTranslations(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStartToQueue10k: open the profile (local store, media folder,
// client, engine, services), build the main window and render it with
// the first page of the queue — what the user waits for after launching.
func BenchmarkStartToQueue10k(b *testing.B) {
	m, p := benchProfile(b)
	benchApp(b)
	ctx := context.Background()
	for b.Loop() {
		s, err := m.openProfile(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		w := test.NewWindow(widget.NewLabel(""))
		w.Resize(fyne.NewSize(1280, 800))
		u := ui.New(w, ui.Options{Desk: s.desk, Notify: func(string, string) {}})
		img := w.Canvas().Capture()
		if img.Bounds().Dx() == 0 {
			b.Fatal("nothing rendered")
		}
		u.Close()
		w.Close()
		s.Close()
	}
}

// BenchmarkResidentMemory10k reports the process's resident memory after
// opening the 10,000-order profile and showing the queue (MB-rss), and the
// Go heap in use (MB-heap).
func BenchmarkResidentMemory10k(b *testing.B) {
	m, p := benchProfile(b)
	benchApp(b)
	ctx := context.Background()
	var rss, heap float64
	for b.Loop() {
		s, err := m.openProfile(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		w := test.NewWindow(widget.NewLabel(""))
		w.Resize(fyne.NewSize(1280, 800))
		u := ui.New(w, ui.Options{Desk: s.desk, Notify: func(string, string) {}})
		w.Canvas().Capture()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = float64(ms.HeapInuse) / (1 << 20)
		rss = vmRSS()
		u.Close()
		w.Close()
		s.Close()
	}
	b.ReportMetric(rss, "MB-rss")
	b.ReportMetric(heap, "MB-heap")
}

// vmRSS reads the resident set size in MiB from /proc (0 elsewhere).
func vmRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// BenchmarkSearchKeystroke10k is search-as-you-type on the real store: each
// keystroke of 垃圾站 (and a two-word query) asks for the first page of 200
// rows, as the queue does.
func BenchmarkSearchKeystroke10k(b *testing.B) {
	_, p := benchProfile(b)
	ctx := context.Background()
	db, err := localdb.Open(ctx, p.DBPath(), localdb.Options{User: p.User})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"垃", "垃圾", "垃圾站", "噪声 夜间"} {
		b.Run(fmt.Sprintf("q=%s", q), func(b *testing.B) {
			for b.Loop() {
				if _, err := db.Queue(ctx, streetdesk.QueueFilter{Text: q, Limit: 200}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchData != "" {
		os.RemoveAll(benchData)
	}
	os.Exit(code)
}
