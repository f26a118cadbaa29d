package platform_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// BenchmarkTrackPage: the progress page of a resolved order with a
// published photo, as the citizen's browser asks for it (session cookie),
// and a right look-up (form post, the order's failure count reset, the
// redirect answer), over loopback HTTP.
func BenchmarkTrackPage(b *testing.B) {
	e := newEnv(b)
	o, _, _ := e.resolvedWithPhotos(b)
	c := e.citizen()
	if st, page := c.lookup(o.ID, "5678"); st != 200 || !strings.Contains(page, "已办结") {
		b.Fatalf("lookup: %d", st)
	}
	b.Run("page", func(b *testing.B) {
		for b.Loop() {
			if resp, _ := c.do(http.MethodGet, "/track", nil); resp.StatusCode != 200 {
				b.Fatal(resp.StatusCode)
			}
		}
	})
	b.Run("lookup", func(b *testing.B) {
		form := url.Values{"order": {o.ID}, "phone4": {"5678"}}
		for b.Loop() {
			if resp, _ := c.do(http.MethodPost, "/track", form); resp.StatusCode != http.StatusSeeOther {
				b.Fatal(resp.StatusCode)
			}
		}
	})
}
