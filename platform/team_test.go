package platform_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
)

func TestTeamMetrics(t *testing.T) {
	e := newEnv(t, func(c *platform.Config) { c.TokenTTL = 30 * 24 * time.Hour })
	// Week 1: cw01 accepts one order in time, lets another pass its accept-by.
	fast, c := e.acceptedBy("cw01", "teamA")
	e.dispatch("teamA", "cw01")
	e.clock.Add(8 * 24 * time.Hour)
	c.pushOne(c.mut(streetdesk.MutSubmitResolution, e.order(fast.ID), goodResolution()))
	e.centreAs("callback").Callback(context.Background(), fast.ID, streetdesk.RatingSatisfied, "")
	var st streetdesk.TeamStats
	if code, body := e.call(http.MethodGet, "/v1/team/metrics?weeks=3", e.token("lead01"), nil, &st); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if len(st.Weeks) != 3 || st.Member("cw01") == nil || st.Member("cw02") == nil || st.Member("lead01") == nil {
		t.Fatalf("shape: %+v", st)
	}
	m := st.Member("cw01")
	if m.Response != (streetdesk.Ratio{Num: 1, Den: 2}) || m.Satisfaction != (streetdesk.Ratio{Num: 1, Den: 1}) || m.Open != 1 || m.Overdue != 1 {
		t.Fatalf("cw01: response %v satisfaction %v open %d overdue %d", m.Response, m.Satisfaction, m.Open, m.Overdue)
	}
	for _, bad := range []string{"0", "53", "x"} {
		if code, _ := e.call(http.MethodGet, "/v1/team/metrics?weeks="+bad, e.token("lead01"), nil, nil); code != 400 {
			t.Errorf("weeks=%s: %d", bad, code)
		}
	}
}

func TestUploadOptionsAndTermination(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodOptions, e.ts.URL+"/v1/uploads/", nil)
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Tus-Version") != "1.0.0" || resp.Header.Get("Tus-Max-Size") != "52428800" ||
		!strings.Contains(resp.Header.Get("Tus-Extension"), "creation-with-upload") || !strings.Contains(resp.Header.Get("Tus-Extension"), "termination") {
		t.Fatalf("OPTIONS: %v", resp.Header)
	}
	data := photoBytes(1000, 2)
	_, loc, _ := e.tusCreate("cw01", shaHex(data), "image/png", 1000)
	req, _ = http.NewRequest(http.MethodDelete, loc, nil)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Authorization", "Bearer "+e.token("cw02"))
	if st, _ := e.send(req, nil); st != http.StatusNotFound {
		t.Fatalf("someone else's DELETE: %d", st)
	}
	req.Header.Set("Authorization", "Bearer "+e.token("cw01"))
	if st, _ := e.send(req, nil); st != http.StatusNoContent {
		t.Fatalf("DELETE: %d", st)
	}
	if st, _ := e.tusHead("cw01", loc); st != http.StatusNotFound {
		t.Fatalf("HEAD after DELETE: %d", st)
	}
	// A deferred length is refused.
	req, _ = http.NewRequest(http.MethodPost, e.ts.URL+"/v1/uploads/", nil)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Defer-Length", "1")
	req.Header.Set("Upload-Metadata", "sha256 "+b64(shaHex(data))+",contentType "+b64("image/png"))
	req.Header.Set("Authorization", "Bearer "+e.token("cw01"))
	if st, _ := e.send(req, nil); st != http.StatusBadRequest {
		t.Fatalf("deferred length: %d", st)
	}
}

func TestRequestIDsAndAuthHeaders(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/v1/me", nil)
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" || len(resp.Header.Get("X-Request-ID")) != 16 {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	req.Header.Set("X-Request-ID", "bad id with spaces")
	resp, _ = e.ts.Client().Do(req)
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-ID"); got == "bad id with spaces" || got == "" {
		t.Fatalf("unsafe request id echoed: %q", got)
	}
	req.Header.Set("X-Request-ID", "client-7-s2-42")
	resp, _ = e.ts.Client().Do(req)
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-ID"); got != "client-7-s2-42" {
		t.Fatalf("request id not echoed: %q", got)
	}
}

func TestDispatchIDsAndDefaults(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	req := streetdesk.DispatchRequest{ID: "WO-FIXED-1", Title: "路灯不亮", Complaint: "小区门口路灯连续三晚不亮。", Channel: streetdesk.ChannelWeb,
		CategoryL3: sampleL3(), TeamID: "teamA"}
	o, err := e.centre.Dispatch(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != "WO-FIXED-1" || o.Version != 1 || o.Status != streetdesk.StatusDispatched || o.AssigneeID != "" ||
		o.Location.StreetOffice != "桂园街道" || o.Urgency != streetdesk.UrgencyNormal || o.Deadlines.ResolveBy.IsZero() {
		t.Fatalf("%+v", o)
	}
	if _, err := e.centre.Dispatch(ctx, req); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("duplicate id: %v", err)
	}
	// Unassigned: only the lead sees it.
	if p := e.client("cw01").pull("", 0); len(p.Changes) != 0 {
		t.Fatal("a caseworker sees an unassigned order")
	}
	if p := e.client("lead01").pull("", 0); len(p.Changes) != 1 {
		t.Fatal("the lead does not see the unassigned order")
	}
	if _, err := e.centreAs("callback").Dispatch(ctx, req); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("callback dispatches: %v", err)
	}
}
