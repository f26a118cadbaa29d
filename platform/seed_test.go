package platform_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/pgtest"
	"github.com/streetdesk/streetdesk/platform"
	"golang.org/x/crypto/bcrypt"
)

func TestSeedDemo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, streetdesk.ChinaTZ)
	srv, err := platform.Open(ctx, platform.Config{DBPath: pgtest.PlatformDB(t, dir), MediaDir: filepath.Join(dir, "media"), BcryptCost: bcrypt.MinCost, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	res, err := srv.Seed(ctx, platform.SeedOptions{Demo: true, Password: "demo-pass", Orders: 600})
	if err != nil {
		t.Fatal(err)
	}
	if res.Orders != 600 || len(res.Teams) < 20 {
		t.Fatalf("seeded %d orders, %d teams", res.Orders, len(res.Teams))
	}
	names := map[string]streetdesk.User{}
	for _, u := range res.Accounts {
		names[u.Username] = u
	}
	for _, want := range []string{"cw01", "lead01", "dispatcher", "callback", "supervisor"} {
		if _, ok := names[want]; !ok {
			t.Fatalf("no account %s", want)
		}
	}
	if names["lead01"].TeamID != names["cw01"].TeamID || names["cw01"].District != "罗湖区" || !strings.HasSuffix(names["cw01"].StreetOffice, "街道") {
		t.Fatalf("lead01/cw01: %+v %+v", names["lead01"], names["cw01"])
	}
	if _, err := srv.Seed(ctx, platform.SeedOptions{Demo: true}); err == nil {
		t.Fatal("seeding twice succeeded")
	}
	// cw01's queue, as the app would pull it.
	ts := newServer(t, srv)
	tok := login(t, ts, "cw01", "demo-pass")
	var all []streetdesk.WorkOrder
	notes := 0
	cursor := ""
	for {
		var p streetdesk.PullResponse
		getJSON(t, ts, "/v1/sync/pull?limit=200&cursor="+cursor, tok, &p)
		for _, c := range p.Changes {
			if c.Order != nil {
				all = append(all, *c.Order)
			}
			if c.Note != nil {
				notes++
			}
		}
		cursor = p.Cursor
		if !p.HasMore {
			break
		}
	}
	statuses := map[streetdesk.Status]int{}
	var overdue, supervised, reopened, dueToday int
	cal := streetdesk.DefaultCalendar()
	for i := range all {
		o := &all[i]
		statuses[o.Status]++
		if o.Overdue(now) {
			overdue++
		}
		if o.Supervised {
			supervised++
		}
		if o.Cycle > 0 {
			reopened++
		}
		if r := cal.RiskAt(o, now); r == streetdesk.RiskDueToday || r == streetdesk.RiskDueSoon {
			dueToday++
		}
		if o.AssigneeID != "cw01" || o.Location.StreetOffice != names["cw01"].StreetOffice {
			t.Fatalf("order %s in cw01's queue: %s %s", o.ID, o.AssigneeID, o.Location.StreetOffice)
		}
	}
	t.Logf("cw01: %d orders %v overdue=%d 督办=%d reopened=%d dueToday=%d notes=%d", len(all), statuses, overdue, supervised, reopened, dueToday, notes)
	if len(all) < 30 || len(all) > 60 || len(statuses) < 6 || overdue == 0 || supervised == 0 || reopened == 0 || dueToday == 0 || notes == 0 {
		t.Fatal("cw01's queue is not rich enough")
	}
	// cw01 sees recurring problems of their own on the hotspot view.
	hs, err := streetdesk.FindHotspots(all, streetdesk.DefaultHotspotOptions(now))
	if err != nil {
		t.Fatal(err)
	}
	if len(hs.Hotspots) < 2 {
		t.Fatalf("cw01's hotspots: %+v", hs.Hotspots)
	}
	// The whole district: every state, channel and category level 1.
	disp := centreLogin(t, ts, "dispatcher", "demo-pass")
	seen := map[string]bool{}
	for off := 0; off < 600; off += 500 {
		var l streetdesk.OrderList
		getJSON(t, ts, "/v1/centre/orders?limit=500&offset="+itoa(off), disp, &l)
		for _, o := range l.Orders {
			seen["s:"+string(o.Status)] = true
			seen["c:"+string(o.Channel)] = true
			seen["l1:"+o.Category.L1Code] = true
		}
	}
	for _, s := range streetdesk.Statuses {
		if !seen["s:"+string(s)] {
			t.Errorf("no %s order", s)
		}
	}
	for _, c := range streetdesk.Channels {
		if !seen["c:"+string(c)] {
			t.Errorf("no %s order", c)
		}
	}
	for _, l1 := range streetdesk.SampleTaxonomy().Level1() {
		if !seen["l1:"+l1[0]] {
			t.Errorf("no order in category %s", l1[1])
		}
	}
}

func TestImportBenchOrders(t *testing.T) {
	e := newEnv(t)
	lines := `{"_id":"WO-2026-000001","type":"work_order","title":"公交站台附近持续冒水","complaint":"地下车库入口处有管道渗漏。","channel":"i深圳APP","category":["水务","供排水","漏水"],"district":"龙华区","street":"福城街道","address":"民康路483号","location":{"lat":22.63,"lng":114.06},"status":"in_progress","priority":"urgent","reporter":{"name":"周**","phone":"130****1223","anonymous":false},"assignee":{"person":"郭建华"},"createdAt":"2026-10-05T20:00:38.000Z","acceptDeadline":"2026-10-06T20:00:38.000Z","resolveDeadline":"2026-10-10T20:00:38.000Z","updatedAt":"2026-10-08T13:00:38.000Z","version":3,"tags":[],"history":[{"at":"2026-10-05T20:00:38.000Z","by":"坐席","action":"create","note":"登记"},{"at":"2026-10-06T13:00:38.000Z","by":"林静","action":"accept","note":"受理"}]}
{"_id":"WO-2026-000002","type":"work_order","title":"噪音","complaint":"夜间施工噪音。","channel":"人民网留言板","category":["a","b","c"],"district":"龙华区","street":"福城街道","address":"x","location":{"lat":22.6,"lng":114.0},"status":"returned","priority":"low","reporter":{"name":"李**","phone":"13900001111"},"assignee":{},"createdAt":"2026-10-05T20:00:38.000Z","acceptDeadline":"2026-10-06T20:00:38.000Z","resolveDeadline":"2026-10-10T20:00:38.000Z","updatedAt":"2026-10-08T13:00:38.000Z","version":1,"tags":[],"history":[]}
`
	n, err := e.srv.ImportBenchOrders(context.Background(), strings.NewReader(lines), "cw01")
	if err != nil || n != 2 {
		t.Fatalf("%d %v", n, err)
	}
	o := e.order("WO-2026-000001")
	if o.Status != streetdesk.StatusAccepted || o.Channel != streetdesk.ChannelApp || o.Urgency != streetdesk.UrgencyUrgent || o.AssigneeID != "cw01" || o.AcceptedAt.IsZero() {
		t.Fatalf("%+v", o)
	}
	if o2 := e.order("WO-2026-000002"); o2.Status != streetdesk.StatusReturnRequested || o2.Citizen.Phone != "139****1111" {
		t.Fatalf("%+v", o2)
	}
	c := e.client("cw01")
	if p := c.pull("", 0); len(p.Changes) != 2 || p.Checksum.Count != 2 {
		t.Fatalf("pull: %d", len(p.Changes))
	}
	if _, err := e.srv.ImportBenchOrders(context.Background(), strings.NewReader("{bad"), "cw01"); err == nil {
		t.Fatal("bad line accepted")
	}
}

func newServer(t *testing.T, srv *platform.Server) *httpTestServer {
	return startHTTP(t, srv.Handler())
}

func login(t *testing.T, ts *httpTestServer, user, pw string) string {
	t.Helper()
	var lr streetdesk.LoginResponse
	resp, err := ts.Client().Do(jsonRequest(t, http.MethodPost, ts.URL+"/v1/auth/login", streetdesk.LoginRequest{Username: user, Password: pw}))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	decodeResp(t, resp, &lr)
	return lr.Token
}

func getJSON(t *testing.T, ts *httpTestServer, path, tok string, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	decodeResp(t, resp, out)
}

func centreLogin(t *testing.T, ts *httpTestServer, user, pw string) string {
	return login(t, ts, user, pw)
}
