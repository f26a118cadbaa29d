package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	main "github.com/streetdesk/streetdesk/cmd/streetdesk"
)

// platformd is a real platform process on loopback for the end-to-end tests.
type platformd struct {
	URL      string
	Password string
	DB       string // the SQLite file it serves
	cmd      *exec.Cmd
}

// startPlatformd builds cmd/platformd, seeds a demo database and serves it
// (extra: more serve flags).
func startPlatformd(t *testing.T, extra ...string) *platformd {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "platformd")
	build := exec.Command("go", "build", "-o", bin, "../platformd")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build platformd: %v\n%s", err, out)
	}
	pw := "e2e-secret-1"
	db := filepath.Join(dir, "platform.db")
	if out, err := exec.Command(bin, "seed", "--db", db, "--media", filepath.Join(dir, "media"), "--demo", "--password", pw).CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--db", db, "--listen", "127.0.0.1:0", "--media", filepath.Join(dir, "media")}, extra...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if i := strings.Index(sc.Text(), "http://"); i >= 0 {
				urlc <- strings.TrimSpace(sc.Text()[i:])
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case u := <-urlc:
		return &platformd{URL: u, Password: pw, DB: db, cmd: cmd}
	case <-time.After(30 * time.Second):
		t.Fatal("platformd did not report its address")
	}
	return nil
}

// desk runs the streetdesk CLI in process on one data folder.
type desk struct {
	t       *testing.T
	data    string
	version string // the running version ("" = this build's)
}

func (d *desk) run(stdin string, args ...string) (string, string, int) {
	d.t.Helper()
	var out, errb bytes.Buffer
	m := main.NewMain()
	m.DataDir = d.data
	m.Version = d.version
	m.Stdin = strings.NewReader(stdin)
	m.Stdout, m.Stderr = &out, &errb
	m.GUI = func(context.Context, *main.Main) error { return fmt.Errorf("no GUI in tests") }
	code := m.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

func (d *desk) must(args ...string) string {
	d.t.Helper()
	out, errs, code := d.run("", args...)
	if code != 0 {
		d.t.Fatalf("streetdesk %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

type orderRow struct {
	streetdesk.WorkOrder
	Pending int `json:"pending"`
}

func (d *desk) orders(args ...string) []orderRow {
	d.t.Helper()
	var rows []orderRow
	if err := json.Unmarshal([]byte(d.must(append([]string{"orders", "--json"}, args...)...)), &rows); err != nil {
		d.t.Fatalf("orders --json: %v", err)
	}
	return rows
}

func find(rows []orderRow, id string) *orderRow {
	for i := range rows {
		if rows[i].ID == id {
			return &rows[i]
		}
	}
	return nil
}

// acceptedOrder starts a platformd, signs cw01 in on a new desk, syncs and
// accepts the first order awaiting acceptance.
func acceptedOrder(t *testing.T) (*platformd, *desk, string) {
	t.Helper()
	t.Setenv("STREETDESK_NO_KEYRING", "1")
	p := startPlatformd(t)
	d := &desk{t: t, data: t.TempDir()}
	if _, errs, code := d.run(p.Password+"\n", "login", "--server", p.URL, "--user", "cw01", "--password-stdin"); code != 0 {
		t.Fatalf("login: %s", errs)
	}
	d.must("sync", "--once")
	waiting := d.orders("--status", "dispatched")
	if len(waiting) == 0 {
		t.Fatal("no order to work on")
	}
	id := waiting[0].ID
	d.must("accept", id)
	return p, d, id
}

// centre is the 12345 centre's side, over the platform's HTTP API.
func centreCall(t *testing.T, p *platformd, user, method, path string, body any) *http.Response {
	t.Helper()
	tok := login(t, p, user)
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, p.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func login(t *testing.T, p *platformd, user string) string {
	t.Helper()
	b, _ := json.Marshal(streetdesk.LoginRequest{Username: user, Password: p.Password})
	resp, err := http.Post(p.URL+"/v1/auth/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var lr streetdesk.LoginResponse
	if err := json.NewDecoder(resp.Body).Decode(&lr); err != nil || lr.Token == "" {
		t.Fatalf("login %s: status %d %v", user, resp.StatusCode, err)
	}
	return lr.Token
}

// TestEndToEnd_ResolveThenReopen drives a whole order with the CLI against a
// real platformd: sign in, sync, accept, survey note, photo, resolve, sync;
// the centre rates the reply "dissatisfied"; after the next sync the order
// is back in the queue as reopened, cycle 1, with the centre's reason.
func TestEndToEnd_ResolveThenReopen(t *testing.T) {
	t.Setenv("STREETDESK_NO_KEYRING", "1")
	p := startPlatformd(t)
	d := &desk{t: t, data: t.TempDir()}

	if _, errs, code := d.run("wrong\n", "login", "--server", p.URL, "--user", "cw01", "--password-stdin"); code == 0 || !strings.Contains(errs, "wrong username or password") {
		t.Fatalf("bad password: exit %d %q", code, errs)
	}
	if out, errs, code := d.run(p.Password+"\n", "login", "--server", p.URL, "--user", "cw01", "--password-stdin"); code != 0 || !strings.Contains(out, "signed in") {
		t.Fatalf("login: exit %d %s %s", code, out, errs)
	}
	d.must("config", "download-budget-mb", "50")
	if got := strings.TrimSpace(d.must("config", "download-budget-mb")); got != "50" {
		t.Errorf("config download-budget-mb = %q, want 50", got)
	}
	if _, errs, code := d.run("", "config", "download-budget-mb", "-3"); code != 2 || !strings.Contains(errs, "whole number") {
		t.Errorf("bad setting: exit %d %q", code, errs)
	}
	d.must("sync", "--once")

	waiting := d.orders("--status", "dispatched")
	if len(waiting) == 0 {
		t.Fatal("cw01 has no order awaiting acceptance after the first sync")
	}
	id := waiting[0].ID

	d.must("accept", id)
	d.must("note", id, "现场勘察：垃圾站压缩机凌晨四点作业，噪声明显，已拍照取证")
	d.must("contact", id, "--method", "phone", "--reached", "已电话联系诉求人，说明处理安排")
	out := d.must("photo", id, "../../testdata/photos/gps/DSCN0010.jpg", "--tag", "after", "--caption", "整改后现场")
	if !strings.Contains(out, "photo ") {
		t.Fatalf("photo: %q", out)
	}
	// Saved locally before any network: the overlay shows the resolution as pending.
	d.must("resolve", id, "--outcome", "solved", "--reply", "已协调环卫作业单位将压缩作业调整至早上七点以后，并加装隔音设施，请您监督。")
	if got := find(d.orders("--status", "resolved"), id); got == nil || got.Pending == 0 {
		t.Fatalf("after resolve, before sync: %+v", got)
	}

	d.must("sync", "--once")
	if got := find(d.orders("--status", "resolved"), id); got == nil || got.Pending != 0 {
		t.Fatalf("after sync the resolution is not confirmed: %+v", got)
	}

	resp := centreCall(t, p, "callback", http.MethodPost, "/v1/centre/orders/"+id+"/callback",
		streetdesk.CallbackRequest{Rating: streetdesk.RatingDissatisfied, Comment: "诉求人反映凌晨仍有作业噪声"})
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback: status %d", resp.StatusCode)
	}

	d.must("sync", "--once")
	got := find(d.orders("--status", "reopened"), id)
	if got == nil {
		t.Fatalf("order %s is not back in the queue as reopened", id)
	}
	if got.Cycle != 1 || got.ReopenReason != "诉求人反映凌晨仍有作业噪声" || got.Rating != streetdesk.RatingDissatisfied {
		t.Errorf("reopened order: cycle=%d reason=%q rating=%q", got.Cycle, got.ReopenReason, got.Rating)
	}
	if !got.Deadlines.ResolveBy.After(time.Now()) {
		t.Errorf("reopened order has no new deadline: %v", got.Deadlines.ResolveBy)
	}

	// The status line and the ledger see the same store.
	var st struct {
		Pending  int            `json:"pending"`
		ByStatus map[string]int `json:"byStatus"`
	}
	if err := json.Unmarshal([]byte(d.must("status", "--json")), &st); err != nil || st.Pending != 0 || st.ByStatus["reopened"] < 1 {
		t.Errorf("status: %+v %v", st, err)
	}
	for _, format := range []string{"csv", "xlsx"} {
		f := filepath.Join(t.TempDir(), "ledger."+format)
		d.must("export", "--format", format, "--out", f)
		if fi, err := os.Stat(f); err != nil || fi.Size() < 200 {
			t.Errorf("export %s: %v", format, err)
		}
	}
}

// TestCLI_Errors: bad usage and bad input are one line on stderr with a
// non-zero status, and change nothing.
func TestCLI_Errors(t *testing.T) {
	t.Setenv("STREETDESK_NO_KEYRING", "1")
	d := &desk{t: t, data: t.TempDir()}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"status"}, "not signed in"},
		{[]string{"login", "--server", "ftp://x", "--user", "a", "--password-stdin"}, "not an http(s) URL"},
		{[]string{"login", "--server", "http://127.0.0.1:1", "--user", "a"}, "--password-stdin"},
		{[]string{"export", "--format", "pdf", "--out", "x"}, "csv or xlsx"},
	} {
		_, errs, code := d.run("pw\n", tt.args...)
		if code == 0 || !strings.Contains(errs, tt.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q (want one line with %q)", tt.args, code, errs, tt.want)
		}
	}
}
