package evidence_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/evidence"
)

const photos = "../testdata/photos"

var (
	dispatched = time.Date(2026, 3, 12, 8, 15, 0, 0, streetdesk.ChinaTZ)
	exported   = time.Date(2026, 3, 12, 16, 0, 0, 0, streetdesk.ChinaTZ)
)

func sha(t testing.TB, path string) (string, int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return streetdesk.SHA256Hex(b), int64(len(b))
}

func opener(path string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return os.Open(path) }
}

// testPackage is an order at 星湖花园 with a before and an after photo
// (real files), a photo not on this computer, a note, a resolution and
// the action-log entries of all of them, with another order's entry in
// between.
func testPackage(t testing.TB) *evidence.Package {
	t.Helper()
	o := streetdesk.WorkOrder{ID: "SZ12345-20260312-000481", Title: "垃圾站凌晨作业噪声扰民", Complaint: "凌晨四点垃圾站作业，压缩机噪声很大。",
		Category: streetdesk.Category{L1Code: "01", L1Name: "噪声污染", L2Code: "0102", L2Name: "社会生活噪声", L3Code: "010201", L3Name: "垃圾站作业噪声", Department: "区城管局"},
		Location: streetdesk.Location{District: "罗湖区", StreetOffice: "东门街道", Address: "星湖花园3栋旁", Lat: 22.5489, Lng: 114.1182},
		Status:   streetdesk.StatusResolved, AssigneeID: "u-wang", AssigneeName: "王芳", DispatchedAt: dispatched,
		Citizen: streetdesk.Citizen{Name: "李先生", Phone: "138****5521"}}
	before := filepath.Join(photos, "gps/goexif_sample1_NikonD2H_Beijing.jpg")
	after := filepath.Join(photos, "cameras/Canon_40D.jpg")
	bs, bn := sha(t, before)
	as, an := sha(t, after)
	refs := []streetdesk.PhotoRef{
		{ID: "0190b2b1-0000-7000-8000-00000000000b", WorkOrderID: o.ID, SHA256: bs, Size: bn, MIME: "image/jpeg", Tag: streetdesk.PhotoBefore,
			TakenAt: time.Date(2003, 11, 23, 18, 7, 37, 0, streetdesk.ChinaTZ), Lat: 39.9155555555556, Lng: 116.390833333333, AuthorID: "u-wang", CreatedAt: dispatched.Add(time.Hour)},
		{ID: "0190b2b1-0000-7000-8000-00000000000a", WorkOrderID: o.ID, SHA256: as, Size: an, MIME: "image/jpeg", Tag: streetdesk.PhotoAfter, Caption: "整改后",
			TakenAt: time.Date(2008, 5, 30, 15, 56, 1, 0, streetdesk.ChinaTZ), AuthorID: "u-wang", CreatedAt: dispatched.Add(2 * time.Hour)},
		{ID: "0190b2b1-0000-7000-8000-00000000000c", WorkOrderID: o.ID, SHA256: strings.Repeat("ab", 32), Size: 1234, MIME: "image/jpeg",
			AuthorID: "u-li", CreatedAt: dispatched.Add(3 * time.Hour)},
	}
	p := &evidence.Package{Order: o, ClientID: "0190b2b1-0000-7000-8000-0000000000c1", CreatedBy: streetdesk.User{ID: "u-wang", Name: "王芳"}, CreatedAt: exported,
		Policy: evidence.PolicyOf(streetdesk.EvidencePolicy{}, o.Category)}
	p.Photos = []evidence.Photo{
		{Ref: refs[0], Exif: evidence.Exif{TakenAt: refs[0].TakenAt, ZoneAssumed: true, Lat: refs[0].Lat, Lng: refs[0].Lng, HasGPS: true, Camera: "NIKON D2H"}, Open: opener(before)},
		{Ref: refs[1], Exif: evidence.Exif{TakenAt: refs[1].TakenAt, ZoneAssumed: true, Camera: "Canon EOS 40D"}, Open: opener(after)},
		{Ref: refs[2]},
	}
	var facts []streetdesk.PhotoFacts
	for _, ph := range p.Photos {
		f := streetdesk.PhotoFactsOf(ph.Ref)
		f.ZoneAssumed = ph.Exif.ZoneAssumed
		facts = append(facts, f)
	}
	p.Checks = streetdesk.CheckPhotos(&p.Order, facts, map[string][]string{as: {"SZ12345-20260301-000007"}}, exported, streetdesk.EvidencePolicy{})
	p.Checks[0].Explanation = "整改前照片取自市民提供的旧照"

	note := streetdesk.Note{ID: "0190b2b1-0000-7000-8000-0000000000d1", WorkOrderID: o.ID, Kind: streetdesk.NoteSurvey, Body: "现场勘察：压缩机位于3栋北侧",
		AuthorID: "u-wang", CreatedAt: dispatched.Add(30 * time.Minute)}
	res := streetdesk.Resolution{ID: "0190b2b1-0000-7000-8000-0000000000e1", WorkOrderID: o.ID, Outcome: streetdesk.OutcomeSolved,
		Reply: "已协调环卫部门调整作业时间至早上7点以后，市民表示认可。", PhotoRefIDs: []string{refs[1].ID}, State: streetdesk.ResolutionSubmitted,
		AuthorID: "u-wang", CreatedAt: dispatched.Add(4 * time.Hour)}
	p.Notes = []streetdesk.LocalNote{{Note: note, Sync: streetdesk.SyncSynced}}
	p.Resolutions = []streetdesk.LocalResolution{{Resolution: res, Sync: streetdesk.SyncPending}}
	p.Timeline = []streetdesk.TimelineEntry{
		{At: dispatched, Kind: "dispatch", Actor: "12345热线", Sync: streetdesk.SyncSynced},
		{At: note.CreatedAt, Kind: streetdesk.MutAddNote, Actor: "王芳", Text: note.Body, Sync: streetdesk.SyncSynced},
		{At: res.CreatedAt, Kind: streetdesk.MutSubmitResolution, Actor: "王芳", Text: res.Reply, Sync: streetdesk.SyncPending},
	}

	// The action log: this order's actions, another order's in between.
	mut := func(key, name, order string, args any) streetdesk.Mutation {
		b, _ := json.Marshal(args)
		return streetdesk.Mutation{Key: key, Name: name, OrderID: order, BaseVersion: 3, Args: b}
	}
	var prev *streetdesk.ChainEntry
	add := func(m streetdesk.Mutation, body bool) {
		e, err := streetdesk.NewChainEntry(prev, streetdesk.ChainKindAction, p.ClientID, dispatched.Add(time.Duration(len(p.Chain))*time.Minute), streetdesk.ChainActionOf(&m, "u-wang"))
		if err != nil {
			t.Fatal(err)
		}
		prev = &e
		if !body {
			e = e.Skeleton()
		}
		p.Chain = append(p.Chain, e)
	}
	add(mut("0190b2b1-0000-7000-8000-000000000001", streetdesk.MutAddNote, o.ID, streetdesk.AddNoteArgs{NoteID: note.ID, Body: note.Body}), true)
	add(mut("0190b2b1-0000-7000-8000-000000000002", streetdesk.MutAddNote, "SZ-OTHER", streetdesk.AddNoteArgs{NoteID: "x", Body: "别的工单"}), false)
	for _, r := range refs[:2] {
		add(mut("0190b2b1-0000-7000-8000-00000000000"+r.ID[len(r.ID)-1:], streetdesk.MutAttachPhoto, o.ID, streetdesk.AttachPhotoArgs{PhotoRefID: r.ID,
			SHA256: r.SHA256, Size: r.Size, MIME: r.MIME, Tag: r.Tag, Caption: r.Caption, TakenAt: r.TakenAt, Lat: r.Lat, Lng: r.Lng}), true)
	}
	add(mut("0190b2b1-0000-7000-8000-000000000005", streetdesk.MutSubmitResolution, o.ID, streetdesk.SubmitResolutionArgs{ResolutionID: res.ID,
		Outcome: res.Outcome, Reply: res.Reply, PhotoRefIDs: res.PhotoRefIDs}), true)
	return p
}

func write(t testing.TB, p *evidence.Package) ([]byte, *evidence.Written) {
	t.Helper()
	var buf bytes.Buffer
	w, err := evidence.Write(&buf, p)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w
}

func verify(t testing.TB, b []byte) *evidence.Report {
	t.Helper()
	r, err := evidence.Verify(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return r
}

func codes(r *evidence.Report) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, p.File+":"+string(p.Code))
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	p := testPackage(t)
	b, w := write(t, p)
	r := verify(t, b)
	if !r.OK() {
		t.Fatalf("problems: %v", r.Problems)
	}
	if r.ManifestSHA256 != w.ManifestSHA256 || r.Photos != 2 || r.ChainEntries != 5 || r.Files != 8 || w.Photos != 2 || w.MissingPhotos != 1 {
		t.Errorf("report %+v, written %+v", r, w)
	}
	if r.Manifest.OrderID != p.Order.ID || r.Manifest.ChainHead != p.Chain[4].Hash || r.Manifest.ClientID != p.ClientID {
		t.Errorf("manifest %+v", r.Manifest)
	}
	files := unzip(t, b)
	var names []string
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	want := []string{"README.txt", "chain.json", "checks.json", "manifest.json", "order.html", "order.json", "photos.json",
		"photos/" + p.Photos[1].Ref.SHA256 + ".jpg", "photos/" + p.Photos[0].Ref.SHA256 + ".jpg"}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("files %v\nwant %v", names, want)
	}
	html := string(files["order.html"])
	for _, s := range []string{"工单证据包：SZ12345-20260312-000481", "垃圾站凌晨作业噪声扰民", "整改后", "拍摄时间 2008-05-30 15:56:01 早于派单时间 2026-03-12 08:15:00",
		"拍摄地点距工单地址约 1942.9 公里，超出 500 米范围", "承办人说明：整改前照片取自市民提供的旧照", "同一张照片（SHA-256 相同）已用于其他工单：SZ12345-20260301-000007",
		"照片文件不在本包中", p.Chain[4].Hash, "未注明时区，按北京时间", `<img src="photos/` + p.Photos[1].Ref.SHA256 + `.jpg"`} {
		if !strings.Contains(html, s) {
			t.Errorf("order.html lacks %q", s)
		}
	}
	var entries []evidence.PhotoEntry
	if err := json.Unmarshal(files["photos.json"], &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 || entries[2].File != "" || entries[2].Missing == "" || entries[0].Exif.Camera != "NIKON D2H" {
		t.Errorf("photos.json %+v", entries)
	}
}

// A photo on this computer that no longer matches its SHA-256 is listed,
// not stored.
func TestWriteSkipsChangedPhoto(t *testing.T) {
	p := testPackage(t)
	p.Photos[1].Open = opener(filepath.Join(photos, "cameras/Nikon_D70.jpg"))
	b, w := write(t, p)
	if w.Photos != 1 || w.MissingPhotos != 2 {
		t.Errorf("written %+v", w)
	}
	if r := verify(t, b); !r.OK() {
		t.Errorf("problems %v", r.Problems)
	}
	if !strings.Contains(string(unzip(t, b)["photos.json"]), "does not match its SHA-256") {
		t.Errorf("photos.json does not say why the photo is missing")
	}
}

func unzip(t testing.TB, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = data
	}
	return out
}

type file struct {
	name string
	data []byte
}

// rezip writes files as a new zip, in order.
func rezip(t testing.TB, fs []file) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range fs {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// edit rewrites the package through f; with rehash, the manifest is
// recomputed to match the edited files (a careful forger).
func edit(t testing.TB, b []byte, rehash bool, f func(files map[string][]byte)) []byte {
	t.Helper()
	files := unzip(t, b)
	f(files)
	if rehash {
		var m evidence.Manifest
		if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
			t.Fatal(err)
		}
		m.Files = nil
		for n, d := range files {
			if n != "manifest.json" {
				m.Files = append(m.Files, evidence.ManifestFile{Name: n, SHA256: streetdesk.SHA256Hex(d), Size: int64(len(d))})
			}
		}
		slices.SortFunc(m.Files, func(a, b evidence.ManifestFile) int { return strings.Compare(a.Name, b.Name) })
		files["manifest.json"], _ = json.Marshal(m)
	}
	var fs []file
	for n, d := range files {
		fs = append(fs, file{n, d})
	}
	slices.SortFunc(fs, func(a, b file) int { return strings.Compare(a.name, b.name) })
	return rezip(t, fs)
}

func TestVerifyCatches(t *testing.T) {
	p := testPackage(t)
	b, _ := write(t, p)
	afterName := "photos/" + p.Photos[1].Ref.SHA256 + ".jpg"
	other, err := os.ReadFile(filepath.Join(photos, "cameras/Nikon_D70.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	replace := func(name, old, new string) func(map[string][]byte) {
		return func(fs map[string][]byte) {
			if !bytes.Contains(fs[name], []byte(old)) {
				t.Fatalf("%s lacks %q", name, old)
			}
			fs[name] = bytes.ReplaceAll(fs[name], []byte(old), []byte(new))
		}
	}
	tests := []struct {
		name   string
		rehash bool
		f      func(map[string][]byte)
		want   []string
	}{
		{"photo replaced", false, func(fs map[string][]byte) { fs[afterName] = other },
			[]string{afterName + ":HASH_MISMATCH", afterName + ":PHOTO_MISMATCH"}},
		{"photo replaced, manifest rehashed", true, func(fs map[string][]byte) { fs[afterName] = other },
			[]string{afterName + ":PHOTO_MISMATCH"}},
		{"photo byte flipped", false, func(fs map[string][]byte) { fs[afterName][len(fs[afterName])/2] ^= 1 },
			[]string{afterName + ":HASH_MISMATCH", afterName + ":PHOTO_MISMATCH"}},
		{"timeline changed", false, replace("order.json", "12345热线", "12345热线（改）"), []string{"order.json:HASH_MISMATCH"}},
		{"note changed, manifest rehashed", true, replace("order.json", "压缩机位于3栋北侧", "压缩机位于5栋南侧"), []string{"order.json:RECORD_DIFFERS"}},
		{"reply changed, manifest rehashed", true, replace("order.json", "早上7点以后", "早上6点以后"), []string{"order.json:RECORD_DIFFERS"}},
		{"photo swapped in photos.json, rehashed", true, replace("photos.json", `"caption": "整改后"`, `"caption": "整改前"`), []string{"photos.json:RECORD_DIFFERS"}},
		{"check removed, rehashed", true, replace("checks.json", `"code": "FAR_FROM_SITE"`, `"code": "NO_PLACE"`),
			[]string{"checks.json:CHECKS_DIFFER", "checks.json:CHECKS_DIFFER"}},
		{"chain entry edited, rehashed", true, replace("chain.json", `"at": "2026-03-12T08:16:00+08:00"`, `"at": "2026-03-12T08:10:00+08:00"`),
			[]string{"chain.json:CHAIN"}},
		{"extra file", false, func(fs map[string][]byte) { fs["photos/extra.jpg"] = other },
			[]string{"photos/extra.jpg:EXTRA_FILE"}},
		{"file removed", false, func(fs map[string][]byte) { delete(fs, "order.html") }, []string{"order.html:MISSING_FILE"}},
		{"photo removed", false, func(fs map[string][]byte) { delete(fs, afterName) }, []string{afterName + ":MISSING_FILE"}},
		{"bad JSON, rehashed", true, func(fs map[string][]byte) { fs["photos.json"] = []byte("[{") }, []string{"photos.json:BAD_JSON"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := verify(t, edit(t, b, tc.rehash, tc.f))
			if got := codes(r); !slices.Equal(got, tc.want) {
				t.Errorf("problems %v, want %v\n%v", got, tc.want, r.Problems)
			}
			if tc.rehash && r.ManifestSHA256 == verify(t, b).ManifestSHA256 {
				t.Errorf("a rehashed manifest has the original's hash")
			}
		})
	}
}

// Files that are not packages are refused with a clear error, and nothing
// is read beyond the limits.
func TestVerifyRefuses(t *testing.T) {
	b, _ := write(t, testPackage(t))
	files := unzip(t, b)
	with := func(extra ...file) []byte {
		fs := []file{{"manifest.json", files["manifest.json"]}}
		return rezip(t, append(fs, extra...))
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a zip"},
		{"not a zip", []byte("PK\x03\x04 but no more"), "not a zip"},
		{"truncated", b[:len(b)*2/3], "not a zip"},
		{"truncated at the end", b[:len(b)-10], "not a zip"},
		{"dot-dot", with(file{"../evil.txt", []byte("x")}), "unsafe file name"},
		{"nested dot-dot", with(file{"photos/../../evil.txt", []byte("x")}), "unsafe file name"},
		{"absolute", with(file{"/etc/passwd", []byte("x")}), "unsafe file name"},
		{"backslash", with(file{`..\evil.txt`, []byte("x")}), "unsafe file name"},
		{"drive", with(file{"C:/evil.txt", []byte("x")}), "unsafe file name"},
		{"duplicate", with(file{"order.json", []byte("1")}, file{"order.json", []byte("2")}), "appears twice"},
		{"no manifest", rezip(t, []file{{"order.json", files["order.json"]}}), "no manifest.json"},
		{"manifest not JSON", rezip(t, []file{{"manifest.json", []byte("{")}}), "not a manifest"},
		{"unknown format", rezip(t, []file{{"manifest.json", []byte(`{"format":"other/9","files":[]}`)}}), "format"},
		{"manifest lists ..", rezip(t, []file{{"manifest.json", []byte(`{"format":"streetdesk-evidence/1","files":[{"name":"../x","sha256":"","size":0}]}`)}}), "unsafe file name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := evidence.Verify(bytes.NewReader(tc.data), int64(len(tc.data)))
			if err == nil {
				t.Fatalf("accepted: %+v", r)
			}
			if streetdesk.ErrorCode(err) != streetdesk.EINVALID || !strings.Contains(streetdesk.ErrorMessage(err), tc.want) {
				t.Errorf("error %v, want EINVALID with %q", err, tc.want)
			}
		})
	}
}

// A zip bomb: a small file that inflates past the limit is refused while
// reading, not after.
func TestVerifyBoundsInflation(t *testing.T) {
	b, _ := write(t, testPackage(t))
	files := unzip(t, b)
	big := bytes.Repeat([]byte{'0'}, evidence.MaxJSONBytes+10)
	var m evidence.Manifest
	json.Unmarshal(files["manifest.json"], &m)
	for i := range m.Files {
		if m.Files[i].Name == "order.json" {
			m.Files[i].SHA256, m.Files[i].Size = streetdesk.SHA256Hex(big), int64(len(big))
		}
	}
	files["order.json"] = big
	files["manifest.json"], _ = json.Marshal(m)
	var fs []file
	for n, d := range files {
		fs = append(fs, file{n, d})
	}
	z := rezip(t, fs)
	if len(z) > 1<<20 {
		t.Fatalf("the bomb is %d bytes", len(z))
	}
	r := verify(t, z)
	if got := codes(r); !slices.Contains(got, "order.json:HASH_MISMATCH") || !strings.Contains(fmt.Sprint(r.Problems), "larger than") {
		t.Errorf("problems %v", r.Problems)
	}
}

func FuzzVerify(f *testing.F) {
	b, _ := write(f, testPackage(f))
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add(b[len(b)/2:])
	small := rezip(f, []file{{"manifest.json", []byte(`{"format":"streetdesk-evidence/1","orderId":"X","files":[{"name":"order.json","sha256":"00","size":1}]}`)},
		{"order.json", []byte(`{"order":{"id":"X"}}`)}, {"chain.json", []byte(`[{"seq":1}]`)}, {"checks.json", []byte(`{"policy":{"radiusM":500,"clockToleranceMs":1}}`)},
		{"photos.json", []byte(`[{"id":"p","file":"photos/a.jpg"}]`)}})
	f.Add(small)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := evidence.Verify(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if streetdesk.ErrorCode(err) != streetdesk.EINVALID {
				t.Fatalf("error without EINVALID: %v", err)
			}
			return
		}
		if r.Manifest == nil || r.Manifest.Format != evidence.Format {
			t.Fatalf("report without a manifest: %+v", r)
		}
	})
}

// BenchmarkWriteVerify writes and verifies the test package (two real
// photos, 87 KB; five action-log entries).
func BenchmarkWriteVerify(b *testing.B) {
	p := testPackage(b)
	for b.Loop() {
		data, _ := write(b, p)
		if r := verify(b, data); !r.OK() {
			b.Fatal(r.Problems)
		}
	}
}
