package platform_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
	"golang.org/x/crypto/bcrypt"
)

// benchFile is the benchmark data set (testdata/MANIFEST.md).
var benchFile = filepath.Join("..", "testdata", "bench", "orders-10k.jsonl.gz")

// benchData returns the data set's path (STREETDESK_BENCH_DATA overrides).
func benchData(b *testing.B) string {
	p := os.Getenv("STREETDESK_BENCH_DATA")
	if p == "" {
		p = benchFile
	}
	if _, err := os.Stat(p); err != nil {
		b.Fatalf("bench data: %v", err)
	}
	return p
}

// The benchmarks run on exactly the orders the peer was measured on: the
// file and its uncompressed content have the checksums of its manifest.
func TestBenchDataIntact(t *testing.T) {
	f, err := os.Open(benchFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, raw := sha256.New(), sha256.New()
	zr, err := gzip.NewReader(io.TeeReader(f, gz))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(raw, zr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(gz, f); err != nil { // the gzip trailer's tail, if any
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"orders-10k.jsonl.gz", hex.EncodeToString(gz.Sum(nil)), "64d49cc943e2afee4745680f6a148d29cf85c53d84a56e5b45efcbde9af80015"},
		{"its content", hex.EncodeToString(raw.Sum(nil)), "0514d72fc7f62d1085280da0d2fb4c41dd86cfc598c8f98047b0852e4143f7f0"},
	} {
		if c.got != c.want {
			t.Errorf("sha256 of %s (%d bytes uncompressed) is %s, want %s", c.name, n, c.got, c.want)
		}
	}
}

type benchEnv struct {
	srv   *platform.Server
	ts    *httptest.Server
	token string
	gzip  bool // ask for gzip-compressed pages
}

// newBenchEnv is a platform over loopback HTTP holding the 10,000 orders of
// the shared data set, all assigned to cw01.
func newBenchEnv(b *testing.B, cost int) *benchEnv {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	srv, err := platform.Open(ctx, platform.Config{DBPath: filepath.Join(dir, "p.db"), BcryptCost: cost})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	if err := srv.AddTeam(ctx, streetdesk.Team{ID: "teamA", Name: "城管组", StreetOffice: "福城街道", District: "龙华区"}); err != nil {
		b.Fatal(err)
	}
	if _, err := srv.AddUser(ctx, streetdesk.User{Username: "cw01", Name: "王芳", Role: streetdesk.RoleCaseworker, TeamID: "teamA"}, testPassword); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(benchData(b))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	n, err := srv.ImportBenchOrders(ctx, f, "cw01")
	if err != nil || n != 10000 {
		b.Fatalf("import: %d %v", n, err)
	}
	ts := httptest.NewServer(srv.Handler())
	b.Cleanup(ts.Close)
	e := &benchEnv{srv: srv, ts: ts, gzip: true}
	resp, err := ts.Client().Do(jsonRequest(b, http.MethodPost, ts.URL+"/v1/auth/login", streetdesk.LoginRequest{Username: "cw01", Password: testPassword}))
	if err != nil {
		b.Fatal(err)
	}
	var lr streetdesk.LoginResponse
	json.NewDecoder(resp.Body).Decode(&lr)
	resp.Body.Close()
	e.token = lr.Token
	return e
}

// pull fetches one page; decode=false reads the bytes only (the server's
// cost plus transfer), decode=true also decodes them as a client would.
func (e *benchEnv) pull(b *testing.B, cursor string, decode bool) *streetdesk.PullResponse {
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/v1/sync/pull?limit=500&cursor="+cursor, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	if !e.gzip {
		req.Header.Set("Accept-Encoding", "identity")
	}
	resp, err := e.ts.Client().Do(req) // the transport asks for gzip and inflates
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var p streetdesk.PullResponse
	if decode {
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			b.Fatal(err)
		}
		return &p
	}
	data, _ := io.ReadAll(resp.Body)
	// The cursor and hasMore sit at the end of the page.
	tail := data[max(0, len(data)-400):]
	i := bytes.Index(tail, []byte(`"cursor":`))
	if i < 0 || resp.StatusCode != 200 {
		b.Fatalf("pull: %d", resp.StatusCode)
	}
	if err := json.Unmarshal(append([]byte("{"), tail[i:]...), &p); err != nil {
		b.Fatal(err)
	}
	return &p
}

func (e *benchEnv) pullAll(b *testing.B, decode bool) (string, int) {
	cursor, pages := "", 0
	for {
		p := e.pull(b, cursor, decode)
		pages++
		cursor = p.Cursor
		if !p.HasMore {
			return cursor, pages
		}
	}
}

// BenchmarkPullInitial10k is the first sync of the 10,000 orders: every
// page (500 a page) over loopback HTTP with gzip. Goal ≤ 600 ms.
func BenchmarkPullInitial10k(b *testing.B) {
	e := newBenchEnv(b, bcrypt.MinCost)
	for _, gz := range []bool{true, false} {
		for _, decode := range []bool{false, true} {
			b.Run(fmt.Sprintf("gzip=%v/decode=%v", gz, decode), func(b *testing.B) {
				e.gzip = gz
				for b.Loop() {
					if _, pages := e.pullAll(b, decode); pages != 20 {
						b.Fatalf("pages %d", pages)
					}
				}
			})
		}
	}
}

// BenchmarkPullNothingNew is one pull with an up-to-date cursor. Goal ≤ 5 ms.
func BenchmarkPullNothingNew(b *testing.B) {
	e := newBenchEnv(b, bcrypt.MinCost)
	cursor, _ := e.pullAll(b, false)
	for b.Loop() {
		p := e.pull(b, cursor, true)
		if len(p.Changes) != 0 || p.Checksum == nil || p.Checksum.Count != 10000 {
			b.Fatalf("changes %d", len(p.Changes))
		}
	}
}

// BenchmarkPush1000 pushes 1,000 mutations (a survey note on each of 1,000
// orders) in 10 batches of 100. Goal ≤ 150 ms.
func BenchmarkPush1000(b *testing.B) {
	e := newBenchEnv(b, bcrypt.MinCost)
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("WO-2026-%06d", i+1)
	}
	for b.Loop() {
		b.StopTimer()
		client := newID()
		var bodies [][]byte
		for batch := 0; batch < 10; batch++ {
			req := streetdesk.PushRequest{PushVersion: 1, SchemaVersion: streetdesk.SchemaVersion, ClientID: client}
			for k := 0; k < 100; k++ {
				i := batch*100 + k
				args, _ := json.Marshal(streetdesk.AddNoteArgs{NoteID: newID(), Body: "现场勘察：已到达现场，情况属实，正在协调处理。"})
				req.Mutations = append(req.Mutations, streetdesk.Mutation{ID: int64(i + 1), Key: newID(), Name: streetdesk.MutAddNote,
					OrderID: ids[i], BaseVersion: 1, Args: args, ClientTime: time.Now()})
			}
			body, _ := json.Marshal(req)
			bodies = append(bodies, body)
		}
		b.StartTimer()
		for _, body := range bodies {
			r, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/v1/sync/push", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+e.token)
			resp, err := e.ts.Client().Do(r)
			if err != nil {
				b.Fatal(err)
			}
			var pr streetdesk.PushResponse
			raw, _ := io.ReadAll(resp.Body)
			json.Unmarshal(raw, &pr)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("push: %d %s", resp.StatusCode, raw)
			}
			if resp.StatusCode != 200 || len(pr.Results) != 100 || pr.Results[99].Status != streetdesk.ResultApplied {
				b.Fatalf("push: %d %+v", resp.StatusCode, pr.Results)
			}
		}
	}
}

// BenchmarkLogin measures sign-ins per second at the production bcrypt cost
// (bcrypt.DefaultCost): the price of a slow KDF.
func BenchmarkLogin(b *testing.B) {
	ctx := context.Background()
	srv, err := platform.Open(ctx, platform.Config{DBPath: filepath.Join(b.TempDir(), "p.db"), LoginMaxFailures: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	srv.AddTeam(ctx, streetdesk.Team{ID: "teamA", Name: "城管组", StreetOffice: "x", District: "y"})
	if _, err := srv.AddUser(ctx, streetdesk.User{Username: "cw01", Role: streetdesk.RoleCaseworker, TeamID: "teamA"}, testPassword); err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	for b.Loop() {
		resp, err := ts.Client().Do(jsonRequest(b, http.MethodPost, ts.URL+"/v1/auth/login", streetdesk.LoginRequest{Username: "cw01", Password: testPassword}))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}
