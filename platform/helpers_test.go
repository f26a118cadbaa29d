package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/pgtest"
	"github.com/streetdesk/streetdesk/platform"
	"github.com/streetdesk/streetdesk/platform/centre"
	"golang.org/x/crypto/bcrypt"
)

const testPassword = "secret-pass"

// clock is an injectable, advanceable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a platform with three teams in two street offices:
//
//	teamA (桂园街道): lead01, cw01, cw02
//	teamB (桂园街道): lead02, cw03
//	teamC (黄贝街道): lead03, cw04
//
// and the centre accounts dispatcher, callback, supervisor.
type env struct {
	t      testing.TB
	srv    *platform.Server
	ts     *httptest.Server
	clock  *clock
	tokens map[string]string
	centre *centre.Client
	// lastDispatched is the id of the order a test dispatched last.
	lastDispatched string
	dbPath         string
	mediaDir       string
	mu             sync.Mutex // guards tokens (concurrent pushes)
}

func newEnv(t testing.TB, mod ...func(*platform.Config)) *env {
	t.Helper()
	dir := t.TempDir()
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, streetdesk.ChinaTZ)} // a Monday
	cfg := platform.Config{
		DBPath: pgtest.PlatformDB(t, dir), MediaDir: filepath.Join(dir, "media"),
		Now: clk.Now, BcryptCost: bcrypt.MinCost,
	}
	for _, m := range mod {
		m(&cfg)
	}
	ctx := context.Background()
	srv, err := platform.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e := &env{t: t, srv: srv, clock: clk, tokens: map[string]string{}, dbPath: cfg.DBPath, mediaDir: cfg.MediaDir}
	for _, tm := range []streetdesk.Team{
		{ID: "teamA", Name: "城管组", StreetOffice: "桂园街道", District: "罗湖区"},
		{ID: "teamB", Name: "综治组", StreetOffice: "桂园街道", District: "罗湖区"},
		{ID: "teamC", Name: "城管组", StreetOffice: "黄贝街道", District: "罗湖区"},
	} {
		if err := srv.AddTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []streetdesk.User{
		{Username: "lead01", Name: "李组长", Role: streetdesk.RoleLead, TeamID: "teamA"},
		{Username: "cw01", Name: "王芳", Role: streetdesk.RoleCaseworker, TeamID: "teamA"},
		{Username: "cw02", Name: "张伟", Role: streetdesk.RoleCaseworker, TeamID: "teamA"},
		{Username: "lead02", Name: "陈组长", Role: streetdesk.RoleLead, TeamID: "teamB"},
		{Username: "cw03", Name: "刘洋", Role: streetdesk.RoleCaseworker, TeamID: "teamB"},
		{Username: "lead03", Name: "赵组长", Role: streetdesk.RoleLead, TeamID: "teamC"},
		{Username: "cw04", Name: "黄磊", Role: streetdesk.RoleCaseworker, TeamID: "teamC"},
		{Username: "dispatcher", Name: "派单员", Role: streetdesk.RoleDispatcher},
		{Username: "callback", Name: "回访员", Role: streetdesk.RoleCallback},
		{Username: "supervisor", Name: "督办员", Role: streetdesk.RoleSupervisor},
	} {
		if _, err := srv.AddUser(ctx, u, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	e.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(e.ts.Close)
	e.centre = e.centreAs("dispatcher")
	return e
}

func (e *env) centreAs(user string) *centre.Client {
	c := centre.New(e.ts.URL)
	c.Token = e.token(user)
	return c
}

func (e *env) token(user string) string {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if tok, ok := e.tokens[user]; ok {
		return tok
	}
	var lr streetdesk.LoginResponse
	st, body := e.call(http.MethodPost, "/v1/auth/login", "", streetdesk.LoginRequest{Username: user, Password: testPassword}, &lr)
	if st != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", user, st, body)
	}
	e.tokens[user] = lr.Token
	return lr.Token
}

// call sends a JSON request and decodes a JSON answer into out (if not nil).
func (e *env) call(method, path, token string, in, out any) (int, []byte) {
	e.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.ts.URL+path, body)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(req, out)
}

func (e *env) send(req *http.Request, out any) (int, []byte) {
	e.t.Helper()
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", req.Method, req.URL.Path, data, err)
		}
	}
	return resp.StatusCode, data
}

// dispatch creates an order for team, assigned to assignee ("" = nobody).
func (e *env) dispatch(team, assignee string) *streetdesk.WorkOrder {
	e.t.Helper()
	o, err := e.centre.Dispatch(context.Background(), streetdesk.DispatchRequest{
		Title: "人行道井盖缺失", Complaint: "桂园路口人行道井盖缺失，夜间行人容易踩空，请尽快处理。",
		Channel: streetdesk.ChannelHotline, CategoryL3: sampleL3(), CitizenName: "张三", CitizenPhone: "13812345678",
		Urgency: streetdesk.UrgencyNormal, TeamID: team, AssigneeID: assignee,
		Location: streetdesk.Location{Address: "桂园路1号", Lat: 22.54, Lng: 114.11},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func sampleL3() string { return streetdesk.SampleTaxonomy().Items[0].L3Code }

func (e *env) order(id string) *streetdesk.WorkOrder {
	e.t.Helper()
	o, err := e.srv.Order(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// client is a sync client of one user: a clientId and a mutation counter.
type client struct {
	e    *env
	user string
	id   string
	next int64
}

func (e *env) client(user string) *client {
	return &client{e: e, user: user, id: uuid.Must(uuid.NewV7()).String(), next: 1}
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// mut builds the next mutation against the order's current version and cycle.
func (c *client) mut(name string, o *streetdesk.WorkOrder, args any) streetdesk.Mutation {
	raw, _ := json.Marshal(args)
	if args == nil {
		raw = json.RawMessage(`{}`)
	}
	m := streetdesk.Mutation{ID: c.next, Key: newID(), Name: name, OrderID: o.ID, BaseVersion: o.Version, BaseCycle: o.Cycle,
		Args: raw, ClientTime: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	c.next++
	return m
}

func (c *client) push(ms ...streetdesk.Mutation) (int, *streetdesk.PushResponse, []byte) {
	c.e.t.Helper()
	var pr streetdesk.PushResponse
	st, body := c.e.call(http.MethodPost, "/v1/sync/push", c.e.token(c.user),
		streetdesk.PushRequest{PushVersion: 1, SchemaVersion: streetdesk.SchemaVersion, ClientID: c.id, Mutations: ms}, &pr)
	return st, &pr, body
}

// pushOne pushes one mutation and returns its result (failing on a non-200).
func (c *client) pushOne(m streetdesk.Mutation) streetdesk.MutationResult {
	c.e.t.Helper()
	st, pr, body := c.push(m)
	if st != http.StatusOK || len(pr.Results) != 1 {
		c.e.t.Fatalf("push %s: %d %s", m.Name, st, body)
	}
	return pr.Results[0]
}

func (c *client) pull(cursor string, limit int) *streetdesk.PullResponse {
	c.e.t.Helper()
	var pr streetdesk.PullResponse
	path := "/v1/sync/pull?clientId=" + c.id + "&cursor=" + cursor
	if limit > 0 {
		path += "&limit=" + itoa(limit)
	}
	st, body := c.e.call(http.MethodGet, path, c.e.token(c.user), nil, &pr)
	if st != http.StatusOK {
		c.e.t.Fatalf("pull: %d %s", st, body)
	}
	return &pr
}

// pullAll pages until hasMore is false and returns every page.
func (c *client) pullAll(cursor string, limit int) []*streetdesk.PullResponse {
	var pages []*streetdesk.PullResponse
	for {
		p := c.pull(cursor, limit)
		pages = append(pages, p)
		cursor = p.Cursor
		if !p.HasMore {
			return pages
		}
	}
}

func itoa(n int) string { return jsonNumber(n) }

func jsonNumber(n int) string { b, _ := json.Marshal(n); return string(b) }

// errCode extracts the code of an ErrorBody.
func errCode(t *testing.T, body []byte) string {
	t.Helper()
	var eb streetdesk.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code == "" {
		t.Fatalf("not an error body: %q", body)
	}
	return eb.Error.Code
}

// mismatchOf is what a 422 KeyPayloadMismatch says was seen before.
func mismatchOf(t *testing.T, body []byte) string {
	t.Helper()
	var eb streetdesk.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("not an error body: %q", body)
	}
	return eb.Error.Mismatch
}

func goodResolution(photos ...string) streetdesk.SubmitResolutionArgs {
	if photos == nil {
		photos = []string{}
	}
	return streetdesk.SubmitResolutionArgs{ResolutionID: newID(), Outcome: streetdesk.OutcomeSolved,
		Reply: "已安排维修人员更换井盖，并设置警示标志，现场已恢复正常通行。", PhotoRefIDs: photos}
}

func centreFilter(s streetdesk.Status) centre.ListFilter { return centre.ListFilter{Status: s} }

type httpTestServer = httptest.Server

func startHTTP(t testing.TB, h http.Handler) *httpTestServer {
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

func decodeResp(t testing.TB, resp *http.Response, out any) {
	t.Helper()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", resp.Request.URL.Path, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatal(err)
	}
}
