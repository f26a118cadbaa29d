package platform_test

import (
	"bytes"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
)

// TestOpen311MediaURL: media_url names the order's publishable "after"
// photo, served to anyone as a clean JPEG (no EXIF: the original's GPS and
// camera stay on the platform); a photo not published is not served.
func TestOpen311MediaURL(t *testing.T) {
	e := newEnv(t)
	real, err := os.ReadFile(filepath.Join("..", "testdata", "photos", "gps", "DSCN0010.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(real, []byte("Exif")) {
		t.Fatal("the test photo has no EXIF")
	}
	hidden := photoBytes(2000, 7)
	o, c := e.acceptedBy("cw01", "teamA")
	ids := []string{newID(), newID()}
	for i, data := range [][]byte{real, hidden} {
		e.upload("cw01", data)
		if r := c.pushOne(c.mut(streetdesk.MutAttachPhoto, o, streetdesk.AttachPhotoArgs{PhotoRefID: ids[i], SHA256: shaHex(data),
			Size: int64(len(data)), MIME: "image/jpeg", Tag: streetdesk.PhotoAfter})); r.Status != streetdesk.ResultApplied {
			t.Fatalf("attach: %+v", r)
		}
	}
	res := goodResolution(ids...)
	res.PublishPhotoRefIDs = ids[:1]
	if r := c.pushOne(c.mut(streetdesk.MutSubmitResolution, e.order(o.ID), res)); r.Status != streetdesk.ResultApplied {
		t.Fatalf("resolve: %+v", r)
	}
	reqs := decodeBoth(t, e, "requests/"+o.ID, "")
	want := e.ts.URL + "/open311/v2/media/" + shaHex(real) + ".jpg"
	if len(reqs) != 1 || reqs[0].MediaURL != want {
		t.Fatalf("media_url %+v, want %s", reqs, want)
	}
	var first []byte
	for range 2 { // made once, then served from the copy
		resp, err := http.Get(want)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header)
		}
		if _, err := jpeg.Decode(bytes.NewReader(body)); err != nil || bytes.Contains(body, []byte("Exif")) || bytes.Equal(body, real) {
			t.Fatalf("served photo: %v, EXIF kept %v", err, bytes.Contains(body, []byte("Exif")))
		}
		if first != nil && !bytes.Equal(first, body) {
			t.Error("the clean copy changed")
		}
		first = body
	}
	for _, name := range []string{shaHex(hidden) + ".jpg", strings.Repeat("a", 64) + ".jpg", shaHex(real) + ".png", "x.jpg"} {
		if st, body := e.open311("media/" + name); st != http.StatusNotFound {
			t.Errorf("media/%s: %d %s", name, st, body)
		}
	}
}
