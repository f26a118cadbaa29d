package sync_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync"
)

func TestClient_CustomCAFile(t *testing.T) {
	p := newFakePlatform()
	srv := httptest.NewTLSServer(p)
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Without the CA the platform's certificate is not trusted.
	plain, _ := sync.NewClient(sync.ClientOptions{BaseURL: srv.URL})
	defer plain.Close()
	if _, err := plain.Login(ctx, "wangfang", "secret"); !sync.IsTransient(err) {
		t.Fatalf("untrusted certificate: %v", err)
	}
	c, err := sync.NewClient(sync.ClientOptions{BaseURL: srv.URL, CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, "wangfang", "secret"); err != nil {
		t.Fatalf("with the CA file: %v", err)
	}
}

func TestClient_PatchIdleWatchdog(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // half-open: never reads, never answers
	}))
	defer srv.Close()
	defer close(release)
	c, _ := sync.NewClient(sync.ClientOptions{BaseURL: srv.URL, PatchIdleTimeout: 200 * time.Millisecond, ResponseHeaderTimeout: time.Hour})
	defer c.Close()
	c.SetTokenSource(sync.NewTokens(c, "t", "", nil))
	start := time.Now()
	_, err := c.PatchUpload(context.Background(), srv.URL+"/v1/uploads/x", bytes.NewReader(make([]byte, 64<<20)), 0, 64<<20, nil)
	if !sync.IsTransient(err) {
		t.Fatalf("err %v, want transient", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("watchdog took %v", d)
	}
}

func TestClient_ErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		ctype  string
		body   string
		kind   sync.Kind
		code   string
	}{
		{"5xx", 502, "text/html", "<html>bad gateway</html>", sync.KindTransient, ""},
		{"429", 429, "application/json", `{"error":{"code":"RateLimited","message":"x"}}`, sync.KindTransient, streetdesk.ErrRateLimited},
		{"403 whole client", 403, "application/json", `{"error":{"code":"forbidden","message":"x"}}`, sync.KindStop, streetdesk.EFORBIDDEN},
		{"422 key mismatch", 422, "application/json", `{"error":{"code":"KeyPayloadMismatch","message":"x","mutationId":7}}`, sync.KindStop, streetdesk.ErrKeyPayloadMismatch},
		{"426", 426, "text/plain", "upgrade", sync.KindStop, streetdesk.ErrVersionNotSupported},
		{"409 version", 409, "application/json", `{"error":{"code":"VersionNotSupported","message":"x"}}`, sync.KindStop, streetdesk.ErrVersionNotSupported},
		{"409 in progress", 409, "application/json", `{"error":{"code":"PushInProgress","message":"x"}}`, sync.KindTransient, streetdesk.ErrPushInProgress},
		{"portal 200", 200, "text/html", "<html>login</html>", sync.KindTransient, sync.CodeCaptivePortal},
		{"portal 302→html 4xx", 407, "text/html", "<html>proxy</html>", sync.KindTransient, sync.CodeCaptivePortal},
		{"malformed json", 200, "application/json", `{"lastMutationId":`, sync.KindTransient, sync.CodeBadResponse},
		{"wrong shape", 200, "application/json", `{"lastMutationId":1,"results":[{"id":1,"status":"maybe"}]}`, sync.KindTransient, sync.CodeBadResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.rt.setPlan(func(*http.Request) fault { return fault{status: tc.status, ctype: tc.ctype, body: tc.body} })
			_, err := r.client.Push(context.Background(), &streetdesk.PushRequest{ClientID: newUUID()})
			se := sync.AsError(err)
			if se == nil || se.Kind != tc.kind || (tc.code != "" && se.Code != tc.code) {
				t.Fatalf("err %v (%+v), want %s %s", err, se, tc.kind, tc.code)
			}
			if tc.code == streetdesk.ErrKeyPayloadMismatch && se.MutationID != 7 {
				t.Fatalf("mutation id %d", se.MutationID)
			}
		})
	}
}

func TestEngine_NetworkUpRetriesAtOnce(t *testing.T) {
	r, _ := pushOne(t, onceFor("push", 1, fault{dropRequest: true}))
	r.eng.NetworkUp() // no clock movement
	r.idleAfter(1)
	r.stop()
	checkInvariants(t, r.p, r.store)
}

func TestEngine_UploadProgressPublished(t *testing.T) {
	r, sha := uploadRig(t, 3<<20, withEngineOpts(func(o *sync.Options) { o.ChunkSize = 256 << 10; o.MaxChunk = 256 << 10 }))
	var sawProgress, sawSpeed bool
	r.start()
	r.waitFor("verified", func(s streetdesk.SyncStatus, _ sync.Stats) bool {
		for _, u := range s.Uploads {
			if u.SHA256 == sha && u.Sent > 0 && u.Sent < u.Total && s.BytesTotal == 3<<20 {
				sawProgress = true
			}
			if u.BytesPerSec > 0 {
				sawSpeed = true
			}
		}
		return r.store.blob(sha).State == "verified"
	})
	r.stop()
	if !sawProgress || !sawSpeed {
		t.Fatalf("progress %v speed %v", sawProgress, sawSpeed)
	}
}

func TestEngine_UploadRefusedTypeFlagged(t *testing.T) {
	r, sha := uploadRig(t, 10<<10)
	r.rt.setPlan(onceFor("post", 1, fault{status: 415, ctype: "text/plain; charset=utf-8", body: "unsupported media type\n"}))
	r.start()
	r.idleAfter(0)
	r.stop()
	if b := r.store.blob(sha); b.State != sync.BlobFailed || b.Msg == "" {
		t.Fatalf("blob %+v", b)
	}
}

func TestEngine_StopsOnKeyPayloadMismatchAndForbidden(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       streetdesk.MsgCode
		status     int
	}{
		{"422", `{"error":{"code":"KeyPayloadMismatch","message":"x","mutationId":1}}`, streetdesk.MsgSyncPayloadMismatch, 422},
		{"403", `{"error":{"code":"forbidden","message":"x"}}`, streetdesk.MsgSyncRefused, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := pushOne(t, func(req *http.Request) fault {
				if kindOf(req) == "push" {
					return fault{status: tc.status, ctype: "application/json", body: tc.body}
				}
				return fault{}
			})
			s := r.eng.Status()
			if s.State != streetdesk.SyncError || s.Reason.Code != tc.want || s.Pending != 1 || !s.NextTry.IsZero() {
				t.Fatalf("status %+v", s)
			}
			if r.store.outboxLen() != 1 {
				t.Fatal("queue not kept")
			}
		})
	}
}
