package platform_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
)

// open311Raw sends one Open311 request and returns status, Retry-After and body.
func (e *env) open311Raw(method, path string, form url.Values) (int, string, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, e.ts.URL+"/open311/v2/"+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(b)
}

// TestOpen311RateLimits: requests per client address and POSTs per api_key
// are limited, answered 429 with Retry-After in the spec's error format.
func TestOpen311RateLimits(t *testing.T) {
	e := newEnv(t, func(c *platform.Config) { c.Open311ReadsPerMinute, c.Open311PostsPerMinute = 6, 3 })
	ctx := context.Background()
	for i := range 6 {
		if st, _, body := e.open311Raw("GET", "discovery.json", nil); st != http.StatusOK {
			t.Fatalf("GET %d: %d %s", i+1, st, body)
		}
	}
	for _, path := range []string{"services.json", "requests/WO-1.xml", "media/x.jpg"} {
		st, retry, body := e.open311Raw("GET", path, nil)
		if st != http.StatusTooManyRequests || retry != "10" || !strings.Contains(body, "429") || !strings.Contains(body, "too many requests from this address") {
			t.Errorf("%s over the limit: %d Retry-After %q %s", path, st, retry, body)
		}
		if strings.HasSuffix(path, ".xml") && !strings.Contains(body, "<errors>") {
			t.Errorf("XML error: %s", body)
		}
	}
	if recs, err := streetdesk.DecodeOpen311Requests(strings.NewReader(func() string { _, _, b := e.open311Raw("GET", "requests.json", nil); return b }())); err == nil || recs != nil {
		t.Errorf("a 429 read as requests: %v %v", recs, err)
	}
	e.clock.Add(10 * time.Second)
	if st, _, _ := e.open311Raw("GET", "services.json", nil); st != http.StatusOK {
		t.Errorf("after Retry-After: %d", st)
	}

	// POSTs: per api_key, beside the address's limit.
	k1, err := e.srv.AddOpen311Key(ctx, streetdesk.ChannelWeb, "FixMyStreet 深圳")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Second) // listed oldest first
	k2, err := e.srv.AddOpen311Key(ctx, streetdesk.ChannelApp, "i深圳")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	for i := range 3 {
		if st, _, body := e.open311Raw("POST", "requests.json", goodPost(k1)); st != http.StatusOK {
			t.Fatalf("POST %d: %d %s", i+1, st, body)
		}
	}
	st, retry, body := e.open311Raw("POST", "requests.json", goodPost(k1))
	if st != http.StatusTooManyRequests || retry != "20" || !strings.Contains(body, "api_key") {
		t.Errorf("4th POST with one key: %d Retry-After %q %s", st, retry, body)
	}
	if st, _, body := e.open311Raw("POST", "requests.xml", goodPost(k2)); st != http.StatusOK {
		t.Errorf("another key: %d %s", st, body)
	}

}

// TestOpen311KeysRevoke: keys are listed (hashes only) and revoked by id;
// the next POST with a revoked key gets 403, the other keys go on.
func TestOpen311KeysRevoke(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	k1, err := e.srv.AddOpen311Key(ctx, streetdesk.ChannelWeb, "FixMyStreet 深圳")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Second) // listed oldest first
	k2, err := e.srv.AddOpen311Key(ctx, streetdesk.ChannelApp, "i深圳")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := e.srv.Open311Keys(ctx)
	if err != nil || len(keys) != 2 || keys[0].Name != "FixMyStreet 深圳" || keys[1].Channel != streetdesk.ChannelApp || len(platform.Open311KeyID(keys[0])) != 12 {
		t.Fatalf("keys: %+v %v", keys, err)
	}
	for _, bad := range []struct{ ref, code string }{
		{"o311_" + strings.Repeat("0", 40), streetdesk.ENOTFOUND},
		{"1234", streetdesk.EINVALID},
		{"zzzzzzzzzz", streetdesk.EINVALID},
		{"ffffffffffff", streetdesk.ENOTFOUND},
	} {
		if _, err := e.srv.RevokeOpen311Key(ctx, bad.ref); streetdesk.ErrorCode(err) != bad.code {
			t.Errorf("revoke %q: %v, want %s", bad.ref, err, bad.code)
		}
	}
	if k, err := e.srv.RevokeOpen311Key(ctx, platform.Open311KeyID(keys[1])); err != nil || k.Name != "i深圳" {
		t.Fatalf("revoke: %+v %v", k, err)
	}
	if st, _, body := e.open311Raw("POST", "requests.json", goodPost(k2)); st != http.StatusForbidden || !strings.Contains(body, "invalid api_key") {
		t.Errorf("revoked key: %d %s", st, body)
	}
	if st, _, _ := e.open311Raw("POST", "requests.json", goodPost(k1)); st != http.StatusOK {
		t.Errorf("the other key after a revocation: %d", st)
	}
	if keys, err := e.srv.Open311Keys(ctx); err != nil || len(keys) != 1 {
		t.Errorf("after revoking: %+v %v", keys, err)
	}
}
