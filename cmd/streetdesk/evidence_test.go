package main_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/evidence"
	"github.com/streetdesk/streetdesk/platform"
)

// TestEndToEnd_Evidence: a caseworker resolves with an old photo without a
// place; the CLI shows the warnings and keeps the explanation; the action
// log verifies before and after a sync with a real platformd; the order's
// evidence package verifies offline, and a changed photo, an extra file or
// a "../" name in it are caught.
func TestEndToEnd_Evidence(t *testing.T) {
	p, d, id := acceptedOrder(t)
	d.must("note", id, "现场勘察：垃圾站压缩机凌晨作业")
	d.must("photo", id, "../../testdata/photos/gps/goexif_sample1_NikonD2H_Beijing.jpg", "--tag", "before")
	out := d.must("photo", id, "../../testdata/photos/cameras/Canon_40D.jpg", "--tag", "after", "--caption", "整改后")
	after := strings.Fields(out)[1]

	if _, errs, code := d.run("", "resolve", id, "--outcome", "solved", "--reply", "已协调环卫作业单位调整作业时间，市民认可。",
		"--photos", after, "--explain", "NOPE=x"); code != 2 || !strings.Contains(errs, "--explain") {
		t.Fatalf("bad --explain: exit %d %q", code, errs)
	}
	if _, errs, code := d.run("", "resolve", id, "--outcome", "solved", "--reply", "已协调环卫作业单位调整作业时间，市民认可。",
		"--photos", after, "--publish", after+","+after); code != 2 || !strings.Contains(errs, "publishable twice") {
		t.Fatalf("--publish twice: exit %d %q", code, errs)
	}
	out = d.must("resolve", id, "--outcome", "solved", "--reply", "已协调环卫作业单位调整作业时间，市民认可。",
		"--photos", after, "--publish", after, "--explain", "NO_PLACE=室内拍摄，相机无定位")
	for _, want := range []string{"BEFORE_DISPATCH", "早于派单时间", "NO_PLACE", "（说明：室内拍摄，相机无定位）", "ZONE_ASSUMED", "saved on this computer"} {
		if !strings.Contains(out, want) {
			t.Errorf("resolve output lacks %q:\n%s", want, out)
		}
	}
	var show streetdesk.OrderDetail
	if err := json.Unmarshal([]byte(d.must("show", id, "--json")), &show); err != nil {
		t.Fatal(err)
	}
	var sent []string
	for _, c := range show.Resolutions[0].EvidenceChecks {
		sent = append(sent, string(c.Code)+"="+c.Explanation)
	}
	if !slices.Equal(sent, []string{"BEFORE_DISPATCH=", "ZONE_ASSUMED=", "NO_PLACE=室内拍摄，相机无定位"}) {
		t.Errorf("checks kept with the resolution: %v", sent)
	}

	var audit struct {
		OK      bool `json:"ok"`
		Entries int  `json:"entries"`
	}
	if err := json.Unmarshal([]byte(d.must("audit", "verify", "--json")), &audit); err != nil || !audit.OK || audit.Entries != 5 {
		t.Fatalf("audit verify: %+v %v", audit, err)
	}
	// A platform of protocol v1 (no features advertised) takes the pushes
	// as before: nothing optional is sent.
	d.must("sync", "--once")
	if got := find(d.orders("--status", "resolved"), id); got == nil || got.Pending != 0 {
		t.Fatalf("after sync: %+v", got)
	}
	// The platform keeps --publish: the "after" photo is publishable.
	a, err := platform.OpenAudit(context.Background(), p.DB)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := a.Photos(context.Background(), id)
	a.Close()
	if err != nil || len(ps) != 2 {
		t.Fatalf("platform photos: %v %v", ps, err)
	}
	for _, ph := range ps {
		if ph.Publishable != (ph.ID == after) {
			t.Errorf("photo %s (%s): publishable %v", ph.ID, ph.Tag, ph.Publishable)
		}
	}
	if out := d.must("audit", "verify"); !strings.Contains(out, "action log OK: 5 entries, 0 fork(s)") {
		t.Errorf("audit verify after sync: %q", out)
	}

	dir := t.TempDir()
	zipPath := filepath.Join(dir, "证据包.zip")
	out = d.must("evidence", id, "--out", zipPath)
	if !strings.Contains(out, "evidence package written") || !strings.Contains(out, "2 photo(s)") || !strings.Contains(out, "manifest sha256: ") {
		t.Errorf("evidence: %q", out)
	}
	manifest := strings.TrimSpace(out[strings.Index(out, "manifest sha256: ")+len("manifest sha256: "):])
	out = d.must("evidence", "verify", zipPath)
	if !strings.Contains(out, "every hash matches") || !strings.Contains(out, manifest) || !strings.Contains(out, "5 action-log entries") {
		t.Errorf("verify: %q", out)
	}
	var rep evidence.Report
	if err := json.Unmarshal([]byte(d.must("evidence", "verify", zipPath, "--json")), &rep); err != nil || !rep.OK() || rep.Photos != 2 {
		t.Errorf("verify --json: %+v %v", rep, err)
	}

	// A changed photo.
	orig, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.zip")
	writeZip(t, bad, func(name string, b []byte) (string, []byte) {
		if strings.HasPrefix(name, "photos/") {
			b = append(slices.Clone(b[:len(b)-1]), b[len(b)-1]^0xff)
		}
		return name, b
	}, orig)
	out, errs, code := d.run("", "evidence", "verify", bad)
	if code != 1 || !strings.Contains(out, "HASH_MISMATCH") || !strings.Contains(errs, "does not verify") {
		t.Errorf("changed photo: exit %d\n%s%s", code, out, errs)
	}
	// Path traversal and extra files.
	writeZip(t, bad, func(name string, b []byte) (string, []byte) {
		if name == "README.txt" {
			return "../README.txt", b
		}
		return name, b
	}, orig)
	if _, errs, code := d.run("", "evidence", "verify", bad); code != 2 || !strings.Contains(errs, "unsafe file name") {
		t.Errorf("../ name: exit %d %q", code, errs)
	}
	if err := os.WriteFile(bad, orig[:len(orig)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := d.run("", "evidence", "verify", bad); code != 2 || !strings.Contains(errs, "not a zip") {
		t.Errorf("truncated: exit %d %q", code, errs)
	}
	// Errors leave nothing behind.
	if _, errs, code := d.run("", "evidence", "SZ-NO-SUCH-ORDER", "--out", filepath.Join(dir, "x.zip")); code == 0 || errs == "" {
		t.Errorf("unknown order: exit %d", code)
	}
	if _, _, code := d.run("", "evidence", id, "--out", filepath.Join(dir, "missing", "x.zip")); code != 2 {
		t.Errorf("missing folder: exit %d", code)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"bad.zip", "证据包.zip"}) {
		t.Errorf("files in the folder: %v", names)
	}
}

// writeZip rewrites the zip orig into path through f.
func writeZip(t *testing.T, path string, f func(name string, b []byte) (string, []byte), orig []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(orig), int64(len(orig)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		name, b := f(zf.Name, b)
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestEndToEnd_DownscaledPhotoKeepsEvidence: with downscale-max-side set,
// the desk sends a smaller, re-encoded copy of a real camera photo; the
// platform checks the bytes it received, and they still carry the
// camera's time and place (no NO_TIME / NO_PLACE), as the original does.
const dscn0010SHA256 = "17307b1207eb6487d7908e9d154890b46e3d2e0192369cfd3f4c33d5a5af4035"

func TestEndToEnd_DownscaledPhotoKeepsEvidence(t *testing.T) {
	p, d, id := acceptedOrder(t)
	d.must("config", "downscale-max-side", "320")
	// Nikon COOLPIX P6000, 640×480, GPS and DateTimeOriginal.
	out := d.must("photo", id, "../../testdata/photos/gps/DSCN0010.jpg", "--tag", "after")
	after := strings.Fields(out)[1]
	d.must("resolve", id, "--outcome", "solved", "--reply", "已协调环卫作业单位调整作业时间，市民认可。", "--photos", after)
	d.must("sync", "--once")
	d.must("sync", "--once")

	var show streetdesk.OrderDetail
	if err := json.Unmarshal([]byte(d.must("show", id, "--json")), &show); err != nil {
		t.Fatal(err)
	}
	// The desk sent a copy, not the camera's file.
	if len(show.Photos) != 1 || show.Photos[0].SHA256 == dscn0010SHA256 {
		t.Fatalf("photos: %+v", show.Photos)
	}
	// The platform's own checks, from the bytes it holds, as the centre sees them.
	resp := centreCall(t, p, "callback", http.MethodGet, "/v1/centre/orders/"+id, nil)
	defer resp.Body.Close()
	var co streetdesk.CentreOrder
	if err := json.NewDecoder(resp.Body).Decode(&co); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("centre order: %d %v", resp.StatusCode, err)
	}
	if len(co.Resolutions) != 1 || !streetdesk.PlatformChecked(co.Resolutions[0].EvidenceChecks) {
		t.Fatalf("the platform did not check the photo: %+v", co.Resolutions)
	}
	var codes []streetdesk.EvidenceCode
	for _, c := range co.Resolutions[0].EvidenceChecks {
		codes = append(codes, c.Code)
	}
	// 2008 in Tuscany: before the dispatch, far from the site, no zone.
	want := []streetdesk.EvidenceCode{streetdesk.EvidenceBeforeDispatch, streetdesk.EvidenceZoneAssumed, streetdesk.EvidenceFar}
	if !slices.Equal(codes, want) {
		t.Errorf("platform checks of the downscaled photo: %v, want %v", codes, want)
	}
}
