package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
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

// The desktop's own numbers: start to a usable queue with 10,000 orders,
// the real program's resident memory with them, and a search keystroke on
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

// BenchmarkResidentMemory10k measures the real program: it builds
// streetdesk, starts it on the 10,000-order profile in a real window under
// Xvfb and, once the window is up and the process's memory has settled,
// reports its resident set (MB-rss, VmRSS) and its peak (MB-hwm, VmHWM)
// from /proc. Each iteration is a fresh process. It needs Xvfb and xdotool
// (scripts/deps.sh installs them) and Linux's /proc.
func BenchmarkResidentMemory10k(b *testing.B) {
	m, p := benchProfile(b)
	if err := (tokenStore{profile: p}).Save(Tokens{Token: "bench", RefreshToken: "bench"}); err != nil {
		b.Fatal(err)
	}
	bin := buildDesk(b)
	display := startXvfb(b)
	var rss, hwm float64
	for b.Loop() {
		rss, hwm = measureDesk(b, bin, m.DataDir, display)
	}
	b.ReportMetric(rss, "MB-rss")
	b.ReportMetric(hwm, "MB-hwm")
}

// buildDesk builds this program into a temporary folder.
func buildDesk(b *testing.B) string {
	b.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	bin := filepath.Join(b.TempDir(), "streetdesk")
	out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startXvfb starts a virtual X server for the benchmark and returns its
// display (":N").
func startXvfb(b *testing.B) string {
	b.Helper()
	for _, tool := range []string{"Xvfb", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s is not installed (scripts/deps.sh installs it): %v", tool, err)
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	x := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1366x768x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	if err := x.Start(); err != nil {
		b.Fatal(err)
	}
	w.Close()
	b.Cleanup(func() {
		_ = x.Process.Kill()
		_ = x.Wait()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		b.Fatalf("Xvfb did not report its display: %v", err)
	}
	return ":" + strings.TrimSpace(line)
}

// measureDesk runs the program on dataDir until its window shows and its
// resident memory has settled (no change over 1% for 2 s, at most 30 s), and
// returns its resident set and peak in MiB.
func measureDesk(b *testing.B, bin, dataDir, display string) (rss, hwm float64) {
	b.Helper()
	home := b.TempDir()
	cmd := exec.Command(bin, "--data", dataDir)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "STREETDESK_NO_KEYRING=1", "LANG=zh_CN.UTF-8",
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_CACHE_HOME="+filepath.Join(home, "cache"))
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		find := exec.Command("xdotool", "search", "--onlyvisible", "--name", "StreetDesk")
		find.Env = append(os.Environ(), "DISPLAY="+display)
		out, _ := find.Output()
		if len(strings.TrimSpace(string(out))) > 0 {
			break
		}
		select {
		case err := <-exited:
			b.Fatalf("streetdesk exited before showing its window: %v\n%s", err, log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.Fatalf("no window within 60 s\n%s", log.String())
		}
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	settled := time.Now().Add(30 * time.Second)
	var last float64
	stable := 0
	for time.Now().Before(settled) && stable < 20 {
		time.Sleep(100 * time.Millisecond)
		rss, hwm = procMemory(b, status)
		if last > 0 && math.Abs(rss-last) <= last/100 {
			stable++
		} else {
			stable = 0
		}
		last = rss
	}
	return rss, hwm
}

// procMemory reads VmRSS and VmHWM in MiB from a /proc/PID/status file.
func procMemory(b *testing.B, path string) (rss, hwm float64) {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	if rss == 0 || hwm == 0 {
		b.Fatalf("no VmRSS/VmHWM in %s", path)
	}
	return rss, hwm
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
