package platform_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
)

// ok means "allowed": neither 401 nor 403 (the handler may still answer a
// 4xx about the request itself).
const ok = 0

func TestAuthorizationMatrixRoleByEndpoint(t *testing.T) {
	e := newEnv(t)
	own := e.dispatch("teamA", "cw01")
	users := []string{"", "cw01", "lead01", "callback", "supervisor", "dispatcher"}
	all := func(code int) map[string]int {
		m := map[string]int{}
		for _, u := range users {
			m[u] = code
		}
		m[""] = http.StatusUnauthorized
		return m
	}
	street := func() map[string]int {
		m := all(http.StatusForbidden)
		m["cw01"], m["lead01"] = ok, ok
		return m
	}
	leadOnly := func() map[string]int { m := all(http.StatusForbidden); m["lead01"] = ok; return m }
	centreAll := func() map[string]int {
		m := all(http.StatusForbidden)
		m["dispatcher"], m["callback"], m["supervisor"] = ok, ok, ok
		return m
	}
	only := func(user string) map[string]int { m := all(http.StatusForbidden); m[user] = ok; return m }
	push := func() any {
		return streetdesk.PushRequest{PushVersion: 1, ClientID: newID(), Mutations: []streetdesk.Mutation{}}
	}
	dispatch := streetdesk.DispatchRequest{Title: "t", Complaint: "c", Channel: streetdesk.ChannelWeb, CategoryL3: sampleL3(), TeamID: "teamA"}
	cases := []struct {
		method, path string
		body         any
		want         map[string]int
	}{
		{"GET", "/v1/me", nil, all(ok)},
		{"POST", "/v1/sync/push", push, street()},
		{"GET", "/v1/sync/pull", nil, street()},
		{"GET", "/v1/team", nil, street()},
		{"POST", "/v1/team/reassign", streetdesk.ReassignRequest{OrderIDs: []string{own.ID}, To: "cw01"}, leadOnly()},
		{"PUT", "/v1/team/settings", streetdesk.TeamSettings{}, leadOnly()},
		{"GET", "/v1/team/metrics?weeks=2", nil, leadOnly()},
		{"POST", "/v1/centre/orders", dispatch, only("dispatcher")},
		{"GET", "/v1/centre/orders", nil, centreAll()},
		{"GET", "/v1/centre/orders/" + own.ID, nil, centreAll()},
		// Each centre decision admits the roles the lifecycle lets decide it.
		{"POST", "/v1/centre/orders/" + own.ID + "/return", streetdesk.DecisionRequest{}, only("dispatcher")},
		{"POST", "/v1/centre/orders/" + own.ID + "/extension", streetdesk.DecisionRequest{}, only("dispatcher")},
		{"POST", "/v1/centre/orders/" + own.ID + "/callback", streetdesk.CallbackRequest{Rating: streetdesk.RatingSatisfied}, only("callback")},
		{"POST", "/v1/centre/orders/" + own.ID + "/supervise", streetdesk.SuperviseRequest{On: true}, map[string]int{"": 401, "cw01": 403, "lead01": 403, "callback": 403, "supervisor": ok, "dispatcher": ok}},
		{"POST", "/v1/centre/orders/" + own.ID + "/cancel", streetdesk.DecisionRequest{}, only("dispatcher")},
		{"POST", "/v1/auth/logout", nil, map[string]int{"": 401}}, // last: it spends the tokens
	}
	for _, tc := range cases {
		for _, u := range users {
			want, listed := tc.want[u]
			if !listed {
				want = ok
			}
			tok := ""
			if u != "" {
				tok = e.token(u)
			}
			body := tc.body
			if f, ok := body.(func() any); ok {
				body = f()
			}
			st, resp := e.call(tc.method, tc.path, tok, body, nil)
			body = nil
			switch {
			case want == ok && (st == 401 || st == 403 || st >= 500):
				t.Errorf("%s %s as %q: %d %s, want allowed", tc.method, tc.path, u, st, resp)
			case want != ok && st != want:
				t.Errorf("%s %s as %q: %d, want %d", tc.method, tc.path, u, st, want)
			case st >= 400:
				errCode(t, resp) // every error is a JSON ErrorBody
			}
		}
	}
}

// TestAuthorizationMatrixScope checks what each street user may see and
// change: own order, another team's in the same office, another office's.
func TestAuthorizationMatrixScope(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	photo := map[string]string{} // order id → its own citizen photo
	seed := uint64(0)
	mk := func(team, assignee string) *streetdesk.WorkOrder {
		seed++
		data := photoBytes(4000, seed)
		sha := shaHex(data)
		if st := e.upload("dispatcher", data); st != http.StatusNoContent {
			t.Fatal(st)
		}
		defer func() { photo[e.lastDispatched] = sha }()
		o, err := e.centre.Dispatch(ctx, streetdesk.DispatchRequest{Title: "t", Complaint: "c", Channel: streetdesk.ChannelWeb,
			CategoryL3: sampleL3(), TeamID: team, AssigneeID: assignee, PhotoSHA256s: []string{sha}})
		if err != nil {
			t.Fatal(err)
		}
		e.lastDispatched = o.ID
		return o
	}
	orders := map[string]*streetdesk.WorkOrder{
		"own":          mk("teamA", "cw01"),
		"own team":     mk("teamA", "cw02"),
		"other team":   mk("teamB", "cw03"),
		"other office": mk("teamC", "cw04"),
	}
	type exp struct{ see, change bool }
	want := map[string]map[string]exp{
		"cw01":   {"own": {true, true}, "own team": {false, false}, "other team": {false, false}, "other office": {false, false}},
		"lead01": {"own": {true, true}, "own team": {true, true}, "other team": {false, false}, "other office": {false, false}},
		"cw03":   {"own": {false, false}, "own team": {false, false}, "other team": {true, true}, "other office": {false, false}},
		"lead03": {"own": {false, false}, "own team": {false, false}, "other team": {false, false}, "other office": {true, true}},
	}
	for user, row := range want {
		c := e.client(user)
		visible := map[string]bool{}
		for _, p := range c.pullAll("", 0) {
			for _, ch := range p.Changes {
				if ch.Type == streetdesk.ChangeWorkOrder {
					visible[ch.ID] = true
				}
			}
		}
		for which, w := range row {
			o := orders[which]
			if visible[o.ID] != w.see {
				t.Errorf("%s sees %s (%s): %v, want %v", user, which, o.ID, visible[o.ID], w.see)
			}
			r := c.pushOne(c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "检查"}))
			if (r.Status == streetdesk.ResultApplied) != w.change || !w.change && r.Code != streetdesk.CodeForbidden {
				t.Errorf("%s adds a note to %s: %s/%s", user, which, r.Status, r.Code)
			}
			if st, wantSt := e.blobStatus(user, photo[o.ID]), map[bool]int{true: 200, false: 404}[w.see]; st != wantSt {
				t.Errorf("%s HEADs the photo of %s: %d, want %d", user, which, st, wantSt)
			}
		}
		var tm streetdesk.Team
		if st, _ := e.call(http.MethodGet, "/v1/team", e.token(user), nil, &tm); st != 200 || tm.ID != map[string]string{"cw01": "teamA", "lead01": "teamA", "cw03": "teamB", "lead03": "teamC"}[user] {
			t.Errorf("%s team: %d %s", user, st, tm.ID)
		}
		for _, m := range tm.Members {
			if m.TeamID != tm.ID {
				t.Errorf("%s sees member %s of %s", user, m.Username, m.TeamID)
			}
		}
	}
	// A lead reassigns only within the own team.
	var rr streetdesk.ReassignResponse
	e.call(http.MethodPost, "/v1/team/reassign", e.token("lead01"), streetdesk.ReassignRequest{
		OrderIDs: []string{orders["own team"].ID, orders["other team"].ID, orders["other office"].ID}, To: "cw01"}, &rr)
	if rr.Results[0].Status != streetdesk.ResultApplied || rr.Results[1].Code != streetdesk.CodeForbidden || rr.Results[2].Code != streetdesk.CodeForbidden {
		t.Fatalf("reassign scope: %+v", rr.Results)
	}
}

func TestAuthTokensExpireRefreshAndLogout(t *testing.T) {
	e := newEnv(t)
	var lr streetdesk.LoginResponse
	if st, _ := e.call(http.MethodPost, "/v1/auth/login", "", streetdesk.LoginRequest{Username: "cw01", Password: testPassword}, &lr); st != 200 {
		t.Fatal(st)
	}
	if lr.User.Username != "cw01" || lr.User.TeamName != "城管组" || lr.User.StreetOffice != "桂园街道" || lr.Token == lr.RefreshToken {
		t.Fatalf("login response: %+v", lr.User)
	}
	var me streetdesk.User
	if st, _ := e.call(http.MethodGet, "/v1/me", lr.Token, nil, &me); st != 200 || me.ID != "cw01" {
		t.Fatal(st)
	}
	for _, bad := range []string{"nope", strings.Repeat("x", 500), lr.RefreshToken} {
		if st, body := e.call(http.MethodGet, "/v1/me", bad, nil, nil); st != 401 || errCode(t, body) != streetdesk.EUNAUTHORIZED {
			t.Errorf("token %.10q: %d", bad, st)
		}
	}
	e.clock.Add(13 * time.Hour)
	if st, _ := e.call(http.MethodGet, "/v1/me", lr.Token, nil, nil); st != 401 {
		t.Fatalf("expired token: %d", st)
	}
	var lr2 streetdesk.LoginResponse
	if st, _ := e.call(http.MethodPost, "/v1/auth/refresh", "", streetdesk.RefreshRequest{RefreshToken: lr.RefreshToken}, &lr2); st != 200 {
		t.Fatalf("refresh: %d", st)
	}
	if st, _ := e.call(http.MethodPost, "/v1/auth/refresh", "", streetdesk.RefreshRequest{RefreshToken: lr.RefreshToken}, nil); st != 401 {
		t.Fatalf("refresh token reused: %d", st)
	}
	if st, _ := e.call(http.MethodGet, "/v1/me", lr2.Token, nil, nil); st != 200 {
		t.Fatal(st)
	}
	if st, _ := e.call(http.MethodPost, "/v1/auth/logout", lr2.Token, nil, nil); st != http.StatusNoContent {
		t.Fatal(st)
	}
	if st, _ := e.call(http.MethodGet, "/v1/me", lr2.Token, nil, nil); st != 401 {
		t.Fatal("token valid after logout")
	}
	if st, _ := e.call(http.MethodPost, "/v1/auth/refresh", "", streetdesk.RefreshRequest{RefreshToken: lr2.RefreshToken}, nil); st != 401 {
		t.Fatal("refresh valid after logout")
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t)
	login := func(user, pw string) (int, http.Header) {
		req := jsonRequest(t, http.MethodPost, e.ts.URL+"/v1/auth/login", streetdesk.LoginRequest{Username: user, Password: pw})
		resp, err := e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	for i := 0; i < 5; i++ {
		if st, _ := login("cw01", "wrong"); st != 401 {
			t.Fatalf("attempt %d: %d", i, st)
		}
	}
	st, hdr := login("cw01", testPassword)
	if st != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" {
		t.Fatalf("locked account: %d %v", st, hdr)
	}
	if st, _ := login("cw02", testPassword); st != 200 {
		t.Fatalf("another account from the same address: %d", st)
	}
	// Per address: a spray over many names is stopped too.
	for i := 0; i < 20; i++ {
		login("nobody"+itoa(i), "wrong")
	}
	if st, _ := login("cw02", testPassword); st != http.StatusTooManyRequests {
		t.Fatalf("address limit: %d", st)
	}
	e.clock.Add(6 * time.Minute)
	if st, _ := login("cw01", testPassword); st != 200 {
		t.Fatalf("after the window: %d", st)
	}
}

// TestTokenStoreErrorIs503: when the token cannot be checked because the
// database fails, a signed-in desk gets 503 with Retry-After (it backs off
// and keeps its sign-in), never 401 (which sends it to refresh or to the
// sign-in screen); the failures of a burst are logged once.
func TestTokenStoreErrorIs503(t *testing.T) {
	var failing atomic.Bool
	var logs syncBuffer
	e := newEnv(t, func(c *platform.Config) {
		c.Hooks.StoreFault = func(op string) error {
			if failing.Load() && op == "authenticate" {
				return errors.New("database is locked")
			}
			return nil
		}
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	tok := e.token("cw01")
	failing.Store(true)
	for i := 0; i < 10; i++ {
		for _, path := range []string{"/v1/me", "/v1/sync/pull", "/v1/team"} {
			req, _ := http.NewRequest(http.MethodGet, e.ts.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := e.ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || errCode(t, body) != streetdesk.EINTERNAL {
				t.Fatalf("%s with the store failing: %d %v %s", path, resp.StatusCode, resp.Header, body)
			}
		}
	}
	// tus requests authenticate the same way.
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/v1/uploads", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Tus-Resumable", "1.0.0")
	if st, _ := e.send(req, nil); st != http.StatusServiceUnavailable {
		t.Fatalf("upload with the store failing: %d", st)
	}
	if n := strings.Count(logs.String(), "authenticate failed"); n != 1 {
		t.Errorf("%d log lines for one burst:\n%s", n, logs.String())
	}
	// A bad token is still 401 however the store is doing: it is never
	// looked up when malformed.
	if st, _ := e.call(http.MethodGet, "/v1/me", strings.Repeat("x", 300), nil, nil); st != http.StatusUnauthorized {
		t.Fatalf("oversized token: %d", st)
	}
	failing.Store(false)
	if st, _ := e.call(http.MethodGet, "/v1/me", tok, nil, nil); st != http.StatusOK {
		t.Fatalf("after the store recovered: %d", st)
	}
	if st, _ := e.call(http.MethodGet, "/v1/me", "no-such-token", nil, nil); st != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d", st)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers (a log).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTokenCacheRevocation: checked tokens are cached briefly, but a logout
// or a refresh takes effect at once on the instance that served it; a second
// instance on the same database accepts the spent token for at most
// TokenCacheTTL.
func TestTokenCacheRevocation(t *testing.T) {
	const ttl = 5 * time.Second
	e := newEnv(t, func(c *platform.Config) { c.TokenCacheTTL = ttl })
	other, err := platform.Open(context.Background(), platform.Config{DBPath: e.dbPath, MediaDir: t.TempDir(), Now: e.clock.Now, TokenCacheTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	ots := startHTTP(t, other.Handler())
	me := func(base, tok string) int {
		req, _ := http.NewRequest(http.MethodGet, base+"/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		st, _ := e.send(req, nil)
		return st
	}
	login := func() streetdesk.LoginResponse {
		var lr streetdesk.LoginResponse
		if st, body := e.call(http.MethodPost, "/v1/auth/login", "", streetdesk.LoginRequest{Username: "cw01", Password: testPassword}, &lr); st != 200 {
			t.Fatalf("login: %d %s", st, body)
		}
		return lr
	}

	// Logout on this instance: at once, here; within the TTL on the other.
	lr := login()
	if me(e.ts.URL, lr.Token) != 200 || me(ots.URL, lr.Token) != 200 {
		t.Fatal("fresh token refused")
	}
	if st, _ := e.call(http.MethodPost, "/v1/auth/logout", lr.Token, nil, nil); st != http.StatusNoContent {
		t.Fatal(st)
	}
	if st := me(e.ts.URL, lr.Token); st != 401 {
		t.Fatalf("after logout, same instance: %d", st)
	}
	if st := me(ots.URL, lr.Token); st != 200 {
		t.Fatalf("after logout, other instance within the TTL: %d (the cache is not in use)", st)
	}
	e.clock.Add(ttl)
	if st := me(ots.URL, lr.Token); st != 401 {
		t.Fatalf("after logout, other instance after the TTL: %d", st)
	}

	// Refresh: the old access token stops at once on this instance.
	lr = login()
	if me(e.ts.URL, lr.Token) != 200 {
		t.Fatal("fresh token refused")
	}
	var lr2 streetdesk.LoginResponse
	if st, _ := e.call(http.MethodPost, "/v1/auth/refresh", "", streetdesk.RefreshRequest{RefreshToken: lr.RefreshToken}, &lr2); st != 200 {
		t.Fatal(st)
	}
	if st := me(e.ts.URL, lr.Token); st != 401 {
		t.Fatalf("old access token after refresh: %d", st)
	}
	if st := me(e.ts.URL, lr2.Token); st != 200 {
		t.Fatalf("new access token: %d", st)
	}
	// An expired token is refused even when cached.
	e.clock.Add(13 * time.Hour)
	if st := me(e.ts.URL, lr2.Token); st != 401 {
		t.Fatalf("expired cached token: %d", st)
	}
}

// TestAuthorizationBeforeValidation: a role that may never call an endpoint
// gets 401/403 whatever it sends — a malformed body or query included —
// and a role that may gets a 4xx about the request itself, never 401/403.
func TestAuthorizationBeforeValidation(t *testing.T) {
	e := newEnv(t)
	own := e.dispatch("teamA", "cw01")
	users := []string{"", "cw01", "lead01", "callback", "supervisor", "dispatcher"}
	allowed := func(who ...string) map[string]bool {
		m := map[string]bool{}
		for _, u := range who {
			m[u] = true
		}
		return m
	}
	street, lead, centre := allowed("cw01", "lead01"), allowed("lead01"), allowed("callback", "supervisor", "dispatcher")
	type bad struct {
		name, contentType, body string
	}
	bodies := []bad{
		{"truncated JSON", "application/json", `{"title":`},
		{"unknown field", "application/json", `{"nonsense":1}`},
		{"wrong type", "application/json", `[1,2,3]`},
		{"not JSON", "text/plain", `hello`},
	}
	order := "/v1/centre/orders/" + own.ID
	cases := []struct {
		method, path string
		may          map[string]bool
		bodies       bool // send the malformed bodies (else the path is the bad part)
	}{
		{"POST", "/v1/sync/push", street, true},
		{"POST", "/v1/team/reassign", lead, true},
		{"PUT", "/v1/team/settings", lead, true},
		{"POST", "/v1/centre/orders", allowed("dispatcher"), true},
		{"POST", order + "/return", allowed("dispatcher"), true},
		{"POST", order + "/extension", allowed("dispatcher"), true},
		{"POST", order + "/callback", allowed("callback"), true},
		{"POST", order + "/supervise", allowed("supervisor", "dispatcher"), true},
		{"POST", order + "/cancel", allowed("dispatcher"), true},
		{"POST", "/v1/centre/orders/bad%20id!/cancel", allowed("dispatcher"), true},
		{"GET", "/v1/sync/pull?limit=lots&clientId=nope", street, false},
		{"GET", "/v1/team/metrics?weeks=-3", lead, false},
		{"GET", "/v1/centre/orders?limit=x&status=nope", centre, false},
		{"GET", "/v1/centre/orders/bad%20id!", centre, false},
		{"GET", "/v1/blobs/sha256/not-a-sha", allowed("cw01", "lead01", "callback", "supervisor", "dispatcher"), false},
	}
	for _, tc := range cases {
		variants := []bad{{name: "no body"}}
		if tc.bodies {
			variants = bodies
		}
		for _, b := range variants {
			for _, u := range users {
				var body io.Reader
				if b.body != "" {
					body = strings.NewReader(b.body)
				}
				req, _ := http.NewRequest(tc.method, e.ts.URL+tc.path, body)
				if b.contentType != "" {
					req.Header.Set("Content-Type", b.contentType)
				}
				if u != "" {
					req.Header.Set("Authorization", "Bearer "+e.token(u))
				}
				st, resp := e.send(req, nil)
				switch {
				case u == "" && st != http.StatusUnauthorized:
					t.Errorf("%s %s (%s) without a token: %d", tc.method, tc.path, b.name, st)
				case u != "" && !tc.may[u] && st != http.StatusForbidden:
					t.Errorf("%s %s (%s) as %s, who may not: %d %s, want 403", tc.method, tc.path, b.name, u, st, resp)
				case tc.may[u] && (st < 400 || st == 401 || st == 403 || st >= 500):
					t.Errorf("%s %s (%s) as %s, who may: %d %s, want a 4xx about the request", tc.method, tc.path, b.name, u, st, resp)
				}
			}
		}
	}
}
