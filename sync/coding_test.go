package sync_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync"
)

// The desk asks for zstd and gzip and reads a pull page in either coding,
// or plain; a damaged compressed page is a transient bad answer (the pull
// is tried again), never a page.
func TestClient_PullCodings(t *testing.T) {
	page := []byte(`{"changes":[],"cursor":"c9","hasMore":false,"reset":false,"lastMutationId":4,"serverTime":"2026-12-04T10:00:00Z","checksum":{"count":0,"hash":"sha256:x"}}`)
	zstdOf := func(b []byte) []byte {
		enc, _ := zstd.NewWriter(nil)
		return enc.EncodeAll(b, nil)
	}
	gzipOf := func(b []byte) []byte {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b)
		zw.Close()
		return z.Bytes()
	}
	for _, tc := range []struct {
		name, coding string
		body         []byte
		ok           bool
	}{
		{"zstd", "zstd", zstdOf(page), true},
		{"gzip", "gzip", gzipOf(page), true},
		{"plain", "", page, true},
		{"damaged zstd", "zstd", append(zstdOf(page)[:20:20], "garbage"...), false},
		{"not zstd at all", "zstd", page, false},
		{"damaged gzip", "gzip", gzipOf(page)[:15], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var accepted string
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				accepted = r.Header.Get("Accept-Encoding")
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				if tc.coding != "" {
					w.Header().Set("Content-Encoding", tc.coding)
				}
				w.Write(tc.body)
			}))
			defer ts.Close()
			c, err := sync.NewClient(sync.ClientOptions{BaseURL: ts.URL})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetTokenSource(sync.NewTokens(c, "token", "refresh", nil))
			for range 2 { // the second time with a recycled decoder
				pr, err := c.Pull(context.Background(), newUUID(), "", streetdesk.MaxPullLimit)
				if accepted != "zstd, gzip" {
					t.Fatalf("Accept-Encoding %q", accepted)
				}
				if !tc.ok {
					if se := sync.AsError(err); se == nil || se.Kind != sync.KindTransient || se.Code != sync.CodeBadResponse {
						t.Fatalf("damaged page: %v (%+v), want a transient bad answer", err, se)
					}
					continue
				}
				if err != nil || pr.Cursor != "c9" || pr.LastMutationID != 4 || pr.HasMore {
					t.Fatalf("page: %+v %v", pr, err)
				}
			}
		})
	}
}
