package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
)

func jsonRequest(t testing.TB, method, url string, v any) *http.Request {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return req
}

func TestBadInputChangesNothing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	cw := e.client("cw01")
	mut := func(name string, args string) string {
		return `{"pushVersion":1,"clientId":"` + cw.id + `","mutations":[{"id":1,"key":"` + newID() + `","name":"` + name +
			`","orderId":"` + o.ID + `","baseVersion":1,"baseCycle":0,"args":` + args + `}]}`
	}
	huge := `{"pushVersion":1,"clientId":"` + cw.id + `","mutations":[],"pad":"` + strings.Repeat("x", streetdesk.MaxPushBytesXL) + `"}`
	type tc struct {
		name, method, path, ctype, user, body string
		status                                int
	}
	cases := []tc{
		{"malformed JSON", "POST", "/v1/sync/push", "application/json", "cw01", `{"pushVersion":1,`, 400},
		{"wrong type", "POST", "/v1/sync/push", "application/json", "cw01", `{"pushVersion":"1","clientId":"` + cw.id + `"}`, 400},
		{"wrong type in mutation", "POST", "/v1/sync/push", "application/json", "cw01", strings.Replace(mut("accept", "{}"), `"id":1`, `"id":"1"`, 1), 400},
		{"unknown field", "POST", "/v1/sync/push", "application/json", "cw01", `{"pushVersion":1,"clientId":"` + cw.id + `","evil":true}`, 400},
		{"unknown mutation", "POST", "/v1/sync/push", "application/json", "cw01", mut("deleteEverything", "{}"), 400},
		{"bad client id", "POST", "/v1/sync/push", "application/json", "cw01", `{"pushVersion":1,"clientId":"../x","mutations":[]}`, 400},
		{"path traversal in order id", "POST", "/v1/sync/push", "application/json", "cw01", strings.Replace(mut("accept", "{}"), o.ID, "../../etc/passwd", 1), 400},
		{"oversized body", "POST", "/v1/sync/push", "application/json", "cw01", huge, 413},
		{"too many mutations", "POST", "/v1/sync/push", "application/json", "cw01", manyMutations(cw.id, o.ID, streetdesk.MaxPushMutationsXL+1), 413},
		{"invalid UTF-8", "POST", "/v1/sync/push", "application/json", "cw01", mut("addNote", `{"noteId":"`+newID()+"\",\"body\":\"\xff\xfe\"}"), 400},
		{"wrong content type", "POST", "/v1/sync/push", "text/plain", "cw01", mut("accept", "{}"), 415},
		{"no content type", "POST", "/v1/sync/push", "", "cw01", mut("accept", "{}"), 415},
		{"trailing data", "POST", "/v1/sync/push", "application/json", "cw01", mut("accept", "{}") + "{}", 400},
		{"login malformed", "POST", "/v1/auth/login", "application/json", "", `{"username":`, 400},
		{"login form-encoded", "POST", "/v1/auth/login", "application/x-www-form-urlencoded", "", `username=cw01`, 415},
		{"pull bad limit", "GET", "/v1/sync/pull?limit=0", "", "cw01", "", 400},
		{"pull huge limit", "GET", "/v1/sync/pull?limit=100000", "", "cw01", "", 400},
		{"pull bad client", "GET", "/v1/sync/pull?clientId=x", "", "cw01", "", 400},
		{"pull other schema", "GET", "/v1/sync/pull?schemaVersion=1999.1", "", "cw01", "", 409},
		{"pull huge cursor", "GET", "/v1/sync/pull?cursor=" + strings.Repeat("a", 600), "", "cw01", "", 400},
		{"blob traversal", "GET", "/v1/blobs/sha256/..%2F..%2Fplatform.db", "", "cw01", "", 400},
		{"blob uppercase", "HEAD", "/v1/blobs/sha256/" + strings.Repeat("AB", 32), "", "cw01", "", 400},
		{"centre id traversal", "GET", "/v1/centre/orders/..%2Fx", "", "dispatcher", "", 400},
		{"centre cancel traversal", "POST", "/v1/centre/orders/a.b/cancel", "application/json", "dispatcher", `{}`, 400},
		{"dispatch unknown category", "POST", "/v1/centre/orders", "application/json", "dispatcher", `{"title":"t","complaint":"c","channel":"web","categoryL3":"nope","teamId":"teamA"}`, 400},
		{"dispatch unknown team", "POST", "/v1/centre/orders", "application/json", "dispatcher", `{"title":"t","complaint":"c","channel":"web","categoryL3":"` + sampleL3() + `","teamId":"zz"}`, 400},
		{"dispatch bad channel", "POST", "/v1/centre/orders", "application/json", "dispatcher", `{"title":"t","complaint":"c","channel":"fax","categoryL3":"` + sampleL3() + `","teamId":"teamA"}`, 400},
		{"dispatch traversal id", "POST", "/v1/centre/orders", "application/json", "dispatcher", `{"id":"../x","title":"t","complaint":"c","channel":"web","categoryL3":"` + sampleL3() + `","teamId":"teamA"}`, 400},
		{"dispatch wrong type", "POST", "/v1/centre/orders", "application/json", "dispatcher", `{"title":1}`, 400},
		{"callback bad rating", "POST", "/v1/centre/orders/" + o.ID + "/callback", "application/json", "callback", `{"rating":"meh"}`, 400},
		{"comment too long", "POST", "/v1/centre/orders/" + o.ID + "/supervise", "application/json", "supervisor", `{"on":true,"comment":"` + strings.Repeat("长", 1001) + `"}`, 400},
		{"metrics bad weeks", "GET", "/v1/team/metrics?weeks=x", "", "lead01", "", 400},
		{"reassign empty", "POST", "/v1/team/reassign", "application/json", "lead01", `{"orderIds":[],"to":"cw02"}`, 400},
		{"reassign traversal", "POST", "/v1/team/reassign", "application/json", "lead01", `{"orderIds":["../x"],"to":"cw02"}`, 400},
		{"unknown endpoint", "GET", "/v1/nothing", "", "cw01", "", 404},
		{"unknown order", "GET", "/v1/centre/orders/WO-NONE", "", "dispatcher", "", 404},
	}
	sumBefore, _ := e.srv.VisibleChecksum(ctx, "lead01")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, e.ts.URL+c.path, strings.NewReader(c.body))
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			if c.user != "" {
				req.Header.Set("Authorization", "Bearer "+e.token(c.user))
			}
			st, body := e.send(req, nil)
			if st != c.status {
				t.Fatalf("%d %s, want %d", st, body, c.status)
			}
			if c.method != "HEAD" {
				errCode(t, body)
			}
		})
	}
	if sum, _ := e.srv.VisibleChecksum(ctx, "lead01"); sum != sumBefore {
		t.Fatal("bad input changed the visible set")
	}
	if n, _ := e.srv.Notes(ctx, o.ID); len(n) != 0 {
		t.Fatal("a note got in")
	}
	list, _ := e.centre.List(ctx, centreFilter(""))
	if list.Total != 1 {
		t.Fatalf("orders: %d", list.Total)
	}
}

// Argument errors are per-mutation rejections (the queue must move on), and
// change nothing either.
func TestBadArgumentsAreRejectedPerMutation(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	cases := []struct {
		name string
		args string
		code streetdesk.ResultCode
	}{
		{"wrong type", `{"noteId":1,"body":"x"}`, streetdesk.CodeValidation},
		{"unknown field", `{"noteId":"` + newID() + `","body":"x","extra":1}`, streetdesk.CodeValidation},
		{"oversized note", `{"noteId":"` + newID() + `","body":"` + strings.Repeat("长", streetdesk.MaxNoteRunes+1) + `"}`, streetdesk.CodeTooLarge},
		{"not an object", `[1,2]`, streetdesk.CodeValidation},
	}
	for _, tc := range cases {
		m := c.mut(streetdesk.MutAddNote, o, nil)
		m.Args = json.RawMessage(tc.args)
		r := c.pushOne(m)
		if r.Status != streetdesk.ResultRejected || r.Code != tc.code {
			t.Errorf("%s: %s/%s %s", tc.name, r.Status, r.Code, r.Message)
		}
	}
	if n, _ := e.srv.Notes(context.Background(), o.ID); len(n) != 0 {
		t.Fatal("a bad note got in")
	}
}

func manyMutations(clientID, orderID string, n int) string {
	var ms []streetdesk.Mutation
	for i := 1; i <= n; i++ {
		ms = append(ms, streetdesk.Mutation{ID: int64(i), Key: newID(), Name: "accept", OrderID: orderID, Args: json.RawMessage(`{}`)})
	}
	b, _ := json.Marshal(streetdesk.PushRequest{PushVersion: 1, ClientID: clientID, Mutations: ms})
	return string(b)
}

// FuzzPushDecode throws arbitrary bodies at the push endpoint: the answer is
// always 200 or a 4xx JSON error, never a 5xx or a panic.
func FuzzPushDecode(f *testing.F) {
	f.Add([]byte(`{"pushVersion":1,"clientId":"0190f3a2-0000-7000-8000-000000000001","mutations":[]}`))
	f.Add([]byte(`{"pushVersion":1,"clientId":"0190f3a2-0000-7000-8000-000000000001","mutations":[{"id":1,"key":"0190f3a2-0000-7000-8000-0000000000aa","name":"addNote","orderId":"WO-1","baseVersion":1,"baseCycle":0,"args":{"noteId":"0190f3a2-0000-7000-8000-0000000000bb","body":"现场"}}]}`))
	f.Add([]byte(`{"pushVersion":1,"clientId":"0190f3a2-0000-7000-8000-000000000001","mutations":[{"id":1,"key":"0190f3a2-0000-7000-8000-0000000000aa","name":"accept","orderId":"WO-1","args":null}]}`))
	f.Add([]byte(`{"pushVersion":1,"mutations":[{"id":-1}]}`))
	f.Add([]byte("\xff\xfe"))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"pushVersion":1e400}`))
	fe := newEnv(f)
	tok := fe.token("cw01")
	h := fe.srv.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/v1/sync/push", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 && (rec.Code < 400 || rec.Code >= 500) {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if rec.Code != 200 {
			var eb streetdesk.ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" {
				t.Fatalf("not a JSON error: %q", rec.Body.Bytes())
			}
		}
	})
}

// FuzzMutationArgs checks the argument validators the platform relies on:
// no panics, and what validates re-encodes to something that validates.
func FuzzMutationArgs(f *testing.F) {
	for _, seed := range []struct{ name, args string }{
		{"addNote", `{"noteId":"0190f3a2-0000-7000-8000-0000000000bb","body":"现场"}`},
		{"recordContact", `{"noteId":"0190f3a2-0000-7000-8000-0000000000bb","method":"phone","reached":true,"body":""}`},
		{"attachPhoto", `{"photoRefId":"0190f3a2-0000-7000-8000-0000000000bb","sha256":"` + strings.Repeat("ab", 32) + `","size":10,"mime":"image/png","tag":"after"}`},
		{"submitResolution", `{"resolutionId":"0190f3a2-0000-7000-8000-0000000000bb","outcome":"solved","reply":"已处理完毕，并电话告知市民处理结果。","photoRefIds":[]}`},
		{"requestReturn", `{"reason":"other","text":""}`},
		{"requestExtension", `{"reason":"x","newResolveBy":"2026-12-01T00:00:00Z"}`},
		{"reassign", `{"to":"cw02"}`},
		{"sendBack", `{"comment":"补充照片"}`},
		{"accept", `null`},
		{"nope", `{}`},
	} {
		f.Add(seed.name, []byte(seed.args))
	}
	f.Fuzz(func(t *testing.T, name string, args []byte) {
		v, err := streetdesk.DecodeArgs(name, args)
		if err != nil {
			if streetdesk.ErrorCode(err) != streetdesk.EINVALID {
				t.Fatalf("error code %s", streetdesk.ErrorCode(err))
			}
			return
		}
		again, _ := json.Marshal(v)
		if _, err := streetdesk.DecodeArgs(name, again); err != nil {
			t.Fatalf("re-encoded args do not validate: %s: %v", again, err)
		}
	})
}

func TestWrongMethodIsJSON405(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ method, path, allow string }{
		{"GET", "/v1/sync/push", "POST"},
		{"DELETE", "/v1/team", "GET"},
		{"GET", "/v1/centre/orders/WO-1/cancel", "POST"},
		{"PUT", "/v1/auth/login", "POST"},
	} {
		req, _ := http.NewRequest(c.method, e.ts.URL+c.path, nil)
		req.Header.Set("Authorization", "Bearer "+e.token("cw01"))
		resp, err := e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var eb streetdesk.ErrorBody
		json.NewDecoder(resp.Body).Decode(&eb)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || eb.Error.Code == "" || !strings.Contains(resp.Header.Get("Allow"), c.allow) {
			t.Errorf("%s %s: %d %v %q", c.method, c.path, resp.StatusCode, eb, resp.Header.Get("Allow"))
		}
	}
}

func TestBodyEncodingsAndLimits(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name, path, enc, body string
		status                int
	}{
		{"unsupported encoding", "/v1/sync/push", "br", `{}`, http.StatusUnsupportedMediaType},
		{"not gzip", "/v1/sync/push", "gzip", `{"pushVersion":1}`, http.StatusBadRequest},
		{"login too large", "/v1/auth/login", "", `{"username":"cw01","password":"` + strings.Repeat("x", 9<<10) + `"}`, http.StatusRequestEntityTooLarge},
		{"centre body too large", "/v1/centre/orders", "", `{"title":"` + strings.Repeat("x", 65<<10) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		if c.enc != "" {
			req.Header.Set("Content-Encoding", c.enc)
		}
		req.Header.Set("Authorization", "Bearer "+e.token("dispatcher"))
		if c.path == "/v1/sync/push" {
			req.Header.Set("Authorization", "Bearer "+e.token("cw01"))
		}
		if st, body := e.send(req, nil); st != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, st, body, c.status)
		} else {
			errCode(t, body)
		}
	}
}
