package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/centre"
)

// post submits form fields to requests.{ext}.
func (e *env) open311Post(ext string, form url.Values) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.ts.URL+"/open311/v2/requests."+ext, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.send(req, nil)
}

func goodPost(key string) url.Values {
	return url.Values{"api_key": {key}, "service_code": {sampleL3()}, "lat": {"22.5431"}, "long": {"114.1209"},
		"address_string": {"  桂园路  88号 "}, "description": {"路口井盖松动，车辆经过响声很大"},
		"first_name": {"明"}, "last_name": {"李"}, "phone": {"13900001111"}, "email": {"li@example.cn"}}
}

// TestOpen311Post: a channel with an api_key submits a request; it waits in
// the intake queue (the dispatcher sees the citizen's contact, Open311 never
// does) until it is dispatched, and then its token names the order.
func TestOpen311Post(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	key, err := e.srv.AddOpen311Key(ctx, streetdesk.ChannelWeb, "FixMyStreet 深圳")
	if err != nil || !strings.HasPrefix(key, "o311_") {
		t.Fatalf("%q %v", key, err)
	}
	tokens := postBoth(t, e, goodPost(key))
	// Waiting: the token has no request id yet.
	status, body := e.open311("tokens/" + tokens[0] + ".json")
	if status != http.StatusOK || string(body) != `[{"service_request_id":null,"token":"`+tokens[0]+`"}]`+"\n" {
		t.Fatalf("token before dispatch: %d %s", status, body)
	}
	// The dispatcher's queue, oldest first, with the contact; no one else's.
	var q streetdesk.IntakeQueue
	if st, b := e.call("GET", "/v1/centre/intake", e.token("dispatcher"), nil, &q); st != http.StatusOK || len(q.Requests) != 2 {
		t.Fatalf("%d %s", st, b)
	}
	in := q.Requests[0]
	if in.Token != tokens[0] || in.Channel != streetdesk.ChannelWeb || in.KeyName != "FixMyStreet 深圳" || in.ServiceCode != sampleL3() ||
		in.CitizenPhone != "13900001111" || in.CitizenName != "李明" || in.Address != "桂园路 88号" || in.Lat != 22.5431 || in.ReceivedAt.IsZero() {
		t.Errorf("intake: %+v", in)
	}

	// Dispatched from the intake: the token names the order, once.
	d := streetdesk.DispatchRequest{Title: "井盖松动", Complaint: in.Description, Channel: in.Channel, CategoryL3: in.ServiceCode,
		CitizenName: in.CitizenName, CitizenPhone: in.CitizenPhone, TeamID: "teamA", IntakeToken: in.Token,
		Location: streetdesk.Location{Address: in.Address, Lat: in.Lat, Lng: in.Lng}}
	o, err := e.centre.Dispatch(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	checkToken(t, e, tokens[0], o.ID)
	if _, err := e.centre.Dispatch(ctx, d); apiStatus(err) != http.StatusConflict {
		t.Errorf("second dispatch of one intake: %v", err)
	}
	d.IntakeToken = strings.Repeat("0", 32)
	if _, err := e.centre.Dispatch(ctx, d); apiStatus(err) != http.StatusBadRequest {
		t.Errorf("dispatch of an unknown intake: %v", err)
	}
	if _, err := e.centre.List(ctx, centreFilter("")); err != nil {
		t.Fatal(err)
	}
	q = streetdesk.IntakeQueue{}
	if e.call("GET", "/v1/centre/intake", e.token("dispatcher"), nil, &q); len(q.Requests) != 1 || q.Requests[0].Token != tokens[1] {
		t.Errorf("queue after dispatch: %+v", q)
	}
	// The order as Open311 shows it: no citizen.
	reqs := decodeBoth(t, e, "requests/"+o.ID, "")
	if len(reqs) != 1 || reqs[0].Status != "open" {
		t.Errorf("%+v", reqs)
	}
	checkNotShown(t, e, "13900001111", "李明", "li@example.cn", "响声很大")
}

// postBoth submits form as JSON and as XML and returns the two tokens.
func postBoth(t *testing.T, e *env, form url.Values) []string {
	t.Helper()
	var tokens []string
	for _, ext := range []string{"json", "xml"} {
		status, body := e.open311Post(ext, form)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", ext, status, body)
		}
		recs, err := streetdesk.DecodeOpen311Requests(bytes.NewReader(body))
		if err != nil || len(recs) != 1 || len(recs[0].Token) != 32 || recs[0].ServiceRequestID != "" {
			t.Fatalf("%s: %+v %v\n%s", ext, recs, err, body)
		}
		tokens = append(tokens, string(recs[0].Token))
		e.clock.Add(time.Second)
		if bytes.Contains(body, []byte("13900001111")) {
			t.Errorf("the answer shows the phone: %s", body)
		}
	}
	return tokens
}

// checkToken checks that tokens/{token} names the order, in both formats.
func checkToken(t *testing.T, e *env, token, orderID string) {
	t.Helper()
	for _, ext := range []string{"json", "xml"} {
		status, body := e.open311("tokens/" + token + "." + ext)
		recs, err := streetdesk.DecodeOpen311Requests(bytes.NewReader(body))
		if status != http.StatusOK || err != nil || len(recs) != 1 || string(recs[0].ServiceRequestID) != orderID || string(recs[0].Token) != token {
			t.Errorf("token after dispatch (%s): %d %s", ext, status, body)
		}
	}
}

// checkNotShown fails if Open311's requests show any of secrets.
func checkNotShown(t *testing.T, e *env, secrets ...string) {
	t.Helper()
	for _, ext := range []string{".json", ".xml"} {
		_, body := e.open311("requests" + ext)
		for _, secret := range secrets {
			if bytes.Contains(body, []byte(secret)) {
				t.Errorf("requests%s shows %q", ext, secret)
			}
		}
	}
}

// TestIntakeQueueRoles: only dispatchers read the intake queue.
func TestIntakeQueueRoles(t *testing.T) {
	e := newEnv(t)
	for _, u := range []string{"cw01", "lead01", "callback", "supervisor"} {
		if st, _ := e.call("GET", "/v1/centre/intake", e.token(u), nil, nil); st != http.StatusForbidden {
			t.Errorf("%s reads the intake queue: %d", u, st)
		}
	}
	if st, _ := e.call("GET", "/v1/centre/intake", "", nil, nil); st != http.StatusUnauthorized {
		t.Errorf("anonymous intake queue: %d", st)
	}
	for _, bad := range []string{"0", "501", "x"} {
		if st, _ := e.call("GET", "/v1/centre/intake?limit="+bad, e.token("dispatcher"), nil, nil); st != http.StatusBadRequest {
			t.Errorf("limit=%s: %d", bad, st)
		}
	}
}

// TestOpen311PostBadInput: each mistake is the spec's error array in the
// format asked for, and nothing enters the queue.
func TestOpen311PostBadInput(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	key, err := e.srv.AddOpen311Key(ctx, streetdesk.ChannelApp, "app")
	if err != nil {
		t.Fatal(err)
	}
	with := func(k, v string) url.Values {
		f := goodPost(key)
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	for _, c := range []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"no api_key", with("api_key", ""), 400, "api_key is required"},
		{"unknown api_key", with("api_key", "o311_0000"), 403, "invalid api_key"},
		{"no service_code", with("service_code", ""), 400, "service_code is required"},
		{"unknown service_code", with("service_code", "999999"), 400, `unknown service_code "999999"`},
		{"lat without long", with("long", ""), 400, "lat and long go together"},
		{"bad lat", with("lat", "north"), 400, "lat and long must be WGS-84"},
		{"lat out of range", with("lat", "91"), 400, "lat and long must be WGS-84"},
		{"no place", url.Values{"api_key": {key}, "service_code": {sampleL3()}, "address_id": {"12"}}, 400, "a place is required"},
		{"long description", with("description", strings.Repeat("长", 4001)), 400, "description is too long"},
		{"bad media_url", with("media_url", "javascript:alert(1)"), 400, "media_url must be an http or https URL"},
		{"invalid UTF-8", with("description", "\xff\xfe"), 400, "description is not valid UTF-8"},
	} {
		for _, ext := range []string{"json", "xml"} {
			status, body := e.open311Post(ext, c.form)
			checkOpen311Error(t, c.name+" "+ext, ext, status, body, c.status, c.want)
		}
	}
	req, _ := http.NewRequest("POST", e.ts.URL+"/open311/v2/requests.json", strings.NewReader(`{"api_key":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	status, body := e.send(req, nil)
	checkOpen311Error(t, "JSON body", "json", status, body, 415, "form fields")
	req, _ = http.NewRequest("POST", e.ts.URL+"/open311/v2/requests.xml", strings.NewReader("api_key="+strings.Repeat("x", 70<<10)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, body = e.send(req, nil)
	checkOpen311Error(t, "large body", "xml", status, body, 400, "unreadable form")
	status, body = e.open311("tokens/" + strings.Repeat("a", 32) + ".json")
	checkOpen311Error(t, "unknown token", "json", status, body, 404, "no such token")
	status, body = e.open311("tokens/short.xml")
	checkOpen311Error(t, "short token", "xml", status, body, 404, "no such token")

	var q streetdesk.IntakeQueue
	if e.call("GET", "/v1/centre/intake", e.token("dispatcher"), nil, &q); len(q.Requests) != 0 {
		t.Errorf("bad input reached the queue: %+v", q)
	}
	for _, c := range []struct {
		ch   streetdesk.Channel
		name string
	}{{"fax", "x"}, {streetdesk.ChannelWeb, " "}, {streetdesk.ChannelWeb, strings.Repeat("名", 101)}} {
		if _, err := e.srv.AddOpen311Key(ctx, c.ch, c.name); streetdesk.ErrorCode(err) != streetdesk.EINVALID {
			t.Errorf("key %q %q: %v", c.ch, c.name, err)
		}
	}
}

// apiStatus is the HTTP status of a centre client's error (0: none).
func apiStatus(err error) int {
	var ae *centre.Error
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

func checkOpen311Error(t *testing.T, name, ext string, status int, body []byte, wantStatus int, want string) {
	t.Helper()
	var errs []streetdesk.Open311Error
	var err error
	if ext == "xml" {
		var doc struct {
			XMLName xml.Name                  `xml:"errors"`
			Errors  []streetdesk.Open311Error `xml:"error"`
		}
		err = xml.Unmarshal(body, &doc)
		errs = doc.Errors
	} else {
		err = json.Unmarshal(body, &errs)
	}
	if status != wantStatus || err != nil || len(errs) != 1 || errs[0].Code != wantStatus || !strings.Contains(errs[0].Description, want) {
		t.Errorf("%s: %d %s (%v), want %d %q", name, status, body, err, wantStatus, want)
	}
}
