package platform_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
)

func photoBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	b[0], b[1] = 0xff, 0xd8 // looks like a JPEG; the platform does not decode
	return b
}

func shaHex(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// tusCreate POSTs a creation and returns the status, Location and headers.
func (e *env) tusCreate(user, sha, mime string, size int64) (int, string, http.Header) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/v1/uploads", nil) // without the slash, as sync sends it
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Length", strconv.FormatInt(size, 10))
	req.Header.Set("Upload-Metadata", "sha256 "+b64(sha)+",contentType "+b64(mime))
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+e.token(user))
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if strings.HasPrefix(loc, "/") {
		loc = e.ts.URL + loc
	}
	return resp.StatusCode, loc, resp.Header
}

func (e *env) tusHead(user, loc string) (int, int64) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodHead, loc, nil)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Authorization", "Bearer "+e.token(user))
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	off, _ := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	return resp.StatusCode, off
}

func (e *env) tusPatch(user, loc string, off int64, body io.Reader) (int, http.Header, error) {
	req, _ := http.NewRequest(http.MethodPatch, loc, body)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Offset", strconv.FormatInt(off, 10))
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Authorization", "Bearer "+e.token(user))
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		return 0, nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header, nil
}

// upload sends a whole photo and returns the final PATCH status.
func (e *env) upload(user string, data []byte) int {
	e.t.Helper()
	st, loc, hdr := e.tusCreate(user, shaHex(data), "image/jpeg", int64(len(data)))
	if st == http.StatusOK && hdr.Get("X-Blob-Exists") == "1" {
		return st
	}
	if st != http.StatusCreated {
		e.t.Fatalf("create: %d", st)
	}
	st, _, err := e.tusPatch(user, loc, 0, bytes.NewReader(data))
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e *env) blobStatus(user, sha string) int {
	e.t.Helper()
	st, _ := e.call(http.MethodHead, "/v1/blobs/sha256/"+sha, e.token(user), nil, nil)
	return st
}

// cutReader fails after n bytes, like a dropped connection.
type cutReader struct {
	r io.Reader
	n int
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errors.New("link cut")
	}
	if len(p) > c.n {
		p = p[:c.n]
	}
	k, err := c.r.Read(p)
	c.n -= k
	return k, err
}

func TestUploadResumeAfterCutAndAwaitingMedia(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	o, c := e.acceptedBy("cw01", "teamA")
	data := photoBytes(300_000, 7)
	sha := shaHex(data)
	ref := newID()
	c.pushOne(c.mut(streetdesk.MutAttachPhoto, o, streetdesk.AttachPhotoArgs{PhotoRefID: ref, SHA256: sha, Size: int64(len(data)), MIME: "image/jpeg", Tag: streetdesk.PhotoAfter}))
	c.pushOne(c.mut(streetdesk.MutSubmitResolution, o, goodResolution(ref)))
	if got := e.order(o.ID); got.Status != streetdesk.StatusResolved || !got.AwaitingMedia {
		t.Fatalf("resolution without its photo: %s awaitingMedia=%v", got.Status, got.AwaitingMedia)
	}
	awaitingVersion := e.order(o.ID).Version

	st, loc, _ := e.tusCreate("cw01", sha, "image/jpeg", int64(len(data)))
	if st != http.StatusCreated || loc == "" {
		t.Fatalf("create: %d %q", st, loc)
	}
	cut := 1 + rand.IntN(len(data)-2)
	e.tusPatch("cw01", loc, 0, &cutReader{r: bytes.NewReader(data), n: cut}) // fails mid-body
	st, off := e.tusHead("cw01", loc)
	if st != http.StatusOK || off > int64(cut) {
		t.Fatalf("head after cut at %d: %d offset %d", cut, st, off)
	}
	// A wrong offset is refused; the client HEADs and resumes.
	if st, _, _ := e.tusPatch("cw01", loc, off+1, bytes.NewReader(data[off+1:])); st != http.StatusConflict {
		t.Fatalf("wrong offset: %d", st)
	}
	// Resume from the offset HEAD reports; the cut request may still be
	// settling on the server (409: its offset moved or its lock is held), so
	// a client HEADs again and retries, as the protocol says.
	var hdr http.Header
	for try := 0; ; try++ {
		var err error
		st, hdr, err = e.tusPatch("cw01", loc, off, bytes.NewReader(data[off:]))
		if err == nil && st == http.StatusNoContent {
			break
		}
		if try == 50 || err == nil && st != http.StatusConflict && st != http.StatusLocked {
			t.Fatalf("resume: %v %d", err, st)
		}
		time.Sleep(20 * time.Millisecond)
		_, off = e.tusHead("cw01", loc)
	}
	if hdr.Get("X-Blob-SHA256") != sha {
		t.Fatalf("resume: %v", hdr)
	}
	if st := e.blobStatus("cw01", sha); st != 200 {
		t.Fatalf("blob HEAD %d", st)
	}
	var got []byte
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/v1/blobs/sha256/"+sha, nil)
	req.Header.Set("Authorization", "Bearer "+e.token("lead01"))
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, data) || resp.Header.Get("ETag") != `"`+sha+`"` {
		t.Fatal("blob bytes differ")
	}
	after := e.order(o.ID)
	if after.AwaitingMedia || after.Version != awaitingVersion+1 {
		t.Fatalf("awaitingMedia not cleared: %+v", after.AwaitingMedia)
	}
	photos, _ := e.srv.Photos(ctx, o.ID)
	if !photos[0].BlobPresent {
		t.Fatal("photo ref not flipped")
	}
	// The upload resource is gone once finished.
	if st, _ := e.tusHead("cw01", loc); st != http.StatusNotFound {
		t.Fatalf("finished upload HEAD %d", st)
	}
}

func TestUploadCorruptedIsRejectedAtFinish(t *testing.T) {
	e := newEnv(t)
	data := photoBytes(50_000, 3)
	sha := shaHex(data)
	st, loc, _ := e.tusCreate("cw01", sha, "image/jpeg", int64(len(data)))
	if st != http.StatusCreated {
		t.Fatal(st)
	}
	bad := append([]byte(nil), data...)
	bad[40_000] ^= 0xff
	if st, _, _ := e.tusPatch("cw01", loc, 0, bytes.NewReader(bad)); st != 460 {
		t.Fatalf("corrupted finish: %d, want 460", st)
	}
	if st, _ := e.tusHead("cw01", loc); st != http.StatusNotFound {
		t.Fatalf("HEAD after mismatch: %d", st)
	}
	if st := e.blobStatus("cw01", sha); st != http.StatusNotFound {
		t.Fatalf("blob after mismatch: %d", st)
	}
	if shas, _ := e.srv.BlobSHA256s(context.Background()); len(shas) != 0 {
		t.Fatalf("blobs: %v", shas)
	}
	// A clean re-upload works.
	if st := e.upload("cw01", data); st != http.StatusNoContent {
		t.Fatalf("re-upload: %d", st)
	}
}

func TestUploadSamePhotoTwoOrdersOneBlob(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	o1, c := e.acceptedBy("cw01", "teamA")
	o2 := e.dispatch("teamA", "cw01")
	data := photoBytes(20_000, 5)
	sha := shaHex(data)
	for _, o := range []*streetdesk.WorkOrder{o1, o2} {
		c.pushOne(c.mut(streetdesk.MutAttachPhoto, o, streetdesk.AttachPhotoArgs{PhotoRefID: newID(), SHA256: sha, Size: int64(len(data)), MIME: "image/jpeg"}))
	}
	if st := e.upload("cw01", data); st != http.StatusNoContent {
		t.Fatalf("upload %d", st)
	}
	// The second creation is answered "already there"; zero bytes sent.
	st, _, hdr := e.tusCreate("cw01", sha, "image/jpeg", int64(len(data)))
	if st != http.StatusOK || hdr.Get("X-Blob-Exists") != "1" {
		t.Fatalf("second creation: %d %v", st, hdr)
	}
	shas, _ := e.srv.BlobSHA256s(ctx)
	if len(shas) != 1 || shas[0] != sha {
		t.Fatalf("blobs %v", shas)
	}
	for _, o := range []*streetdesk.WorkOrder{o1, o2} {
		ps, _ := e.srv.Photos(ctx, o.ID)
		if len(ps) != 1 || !ps[0].BlobPresent {
			t.Fatalf("refs of %s: %+v", o.ID, ps)
		}
	}
}

func TestUploadCreationRulesAndExpiry(t *testing.T) {
	e := newEnv(t, func(c *platform.Config) { c.UploadExpiry = time.Hour })
	data := photoBytes(10_000, 9)
	sha := shaHex(data)
	st, loc, _ := e.tusCreate("cw01", sha, "image/jpeg", int64(len(data)))
	if st != http.StatusCreated {
		t.Fatal(st)
	}
	// A retried creation (response lost) gets the existing upload.
	st, loc2, _ := e.tusCreate("cw01", sha, "image/jpeg", int64(len(data)))
	if st != http.StatusConflict || loc2 != loc {
		t.Fatalf("second creation: %d %q vs %q", st, loc2, loc)
	}
	// Someone else's upload looks absent.
	if st, _ := e.tusHead("cw02", loc); st != http.StatusNotFound {
		t.Fatalf("other user's HEAD: %d", st)
	}
	for _, tc := range []struct {
		name, sha, mime string
		size            int64
		want            int
	}{
		{"bad sha", "abc", "image/jpeg", 10, http.StatusBadRequest},
		{"uppercase sha", strings.ToUpper(sha), "image/jpeg", 10, http.StatusBadRequest},
		{"gif", shaHex([]byte("x")), "image/gif", 10, http.StatusUnsupportedMediaType},
		{"too large", shaHex([]byte("y")), "image/png", streetdesk.MaxPhotoBytes + 1, http.StatusRequestEntityTooLarge},
	} {
		if st, _, _ := e.tusCreate("cw01", tc.sha, tc.mime, tc.size); st != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, st, tc.want)
		}
	}
	if st, _, _ := e.tusCreate("", sha, "image/jpeg", 10); st != http.StatusUnauthorized {
		t.Errorf("anonymous creation: %d", st)
	}
	e.clock.Add(2 * time.Hour)
	n, err := e.srv.ExpireUploads(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	if st, _ := e.tusHead("cw01", loc); st != http.StatusNotFound {
		t.Fatalf("expired upload HEAD %d", st)
	}
	if st, _, _ := e.tusCreate("cw01", sha, "image/jpeg", int64(len(data))); st != http.StatusCreated {
		t.Fatalf("new creation after expiry: %d", st)
	}
}

func TestDispatchWithCitizenPhotosAndBlobAccess(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	data := photoBytes(8_000, 11)
	sha := shaHex(data)
	if st := e.upload("dispatcher", data); st != http.StatusNoContent {
		t.Fatalf("dispatcher upload %d", st)
	}
	o, err := e.centre.Dispatch(ctx, streetdesk.DispatchRequest{Title: "占道经营", Complaint: "菜市场门口占道经营严重。", Channel: streetdesk.ChannelMiniProgram,
		CategoryL3: sampleL3(), TeamID: "teamA", AssigneeID: "cw01", PhotoSHA256s: []string{sha}, CitizenPhone: "13900001111"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Citizen.Phone != "139****1111" {
		t.Fatalf("phone not masked: %q", o.Citizen.Phone)
	}
	ps, _ := e.srv.Photos(ctx, o.ID)
	if len(ps) != 1 || !ps[0].BlobPresent || ps[0].Tag != streetdesk.PhotoOther {
		t.Fatalf("citizen photo: %+v", ps)
	}
	for user, want := range map[string]int{"cw01": 200, "lead01": 200, "cw02": 404, "cw03": 404, "lead02": 404, "supervisor": 200} {
		if st := e.blobStatus(user, sha); st != want {
			t.Errorf("%s: HEAD blob %d, want %d", user, st, want)
		}
	}
	if _, err := e.centre.Dispatch(ctx, streetdesk.DispatchRequest{Title: "x", Complaint: "y", Channel: streetdesk.ChannelWeb,
		CategoryL3: sampleL3(), TeamID: "teamA", PhotoSHA256s: []string{shaHex([]byte("never uploaded"))}}); err == nil {
		t.Fatal("dispatch with a missing photo succeeded")
	}
}
