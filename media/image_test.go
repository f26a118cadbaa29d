package media_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/media"
)

// meanDiff is the mean absolute difference per channel (0–255) of two
// same-sized images.
func meanDiff(t *testing.T, a, b image.Image) float64 {
	t.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		t.Fatalf("sizes differ: %v vs %v", a.Bounds(), b.Bounds())
	}
	var sum, n float64
	ab, bb := a.Bounds(), b.Bounds()
	for y := range ab.Dy() {
		for x := range ab.Dx() {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			for _, d := range [3]int64{int64(r1) - int64(r2), int64(g1) - int64(g2), int64(b1) - int64(b2)} {
				sum += float64(max(d, -d)) / 257
				n++
			}
		}
	}
	return sum / n
}

func metaOf(t *testing.T, path string) media.Meta {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return media.ReadMeta(f)
}

// Pillow's hopper_orientation_N.jpg are hopper.jpg stored with orientation
// N: turned upright they must look like hopper.jpg again, and turning them
// by any other orientation must not.
func TestLoadOrientedHopper(t *testing.T) {
	ref, err := media.LoadOriented(filepath.Join(photos, "orientation/pillow/hopper.jpg"), 1)
	if err != nil {
		t.Fatal(err)
	}
	for o := 2; o <= 8; o++ {
		path := filepath.Join(photos, fmt.Sprintf("orientation/pillow/hopper_orientation_%d.jpg", o))
		m := metaOf(t, path)
		if m.Orientation != o {
			t.Fatalf("%s: orientation %d", path, m.Orientation)
		}
		img, err := media.LoadOriented(path, m.Orientation)
		if err != nil {
			t.Fatal(err)
		}
		if d := meanDiff(t, ref, img); d > 8 {
			t.Errorf("orientation %d: differs from hopper.jpg by %.1f", o, d)
		}
		for wrong := 1; wrong <= 8; wrong++ {
			if wrong == o {
				continue
			}
			img, _ := media.LoadOriented(path, wrong)
			if d := meanDiff(t, ref, img); d < 20 {
				t.Errorf("orientation %d applied as %d still matches (%.1f): the test cannot tell them apart", o, wrong, d)
			}
		}
	}
}

// goexif's f1..f8 show the same upright "F" in the eight orientations.
func TestLoadOrientedGoexif(t *testing.T) {
	ref, err := media.LoadOriented(filepath.Join(photos, "orientation/goexif/f1-exif.jpg"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Bounds().Dx() != 40 || ref.Bounds().Dy() != 80 {
		t.Fatalf("f1 is %v", ref.Bounds())
	}
	for o := 2; o <= 8; o++ {
		path := filepath.Join(photos, fmt.Sprintf("orientation/goexif/f%d-exif.jpg", o))
		img, err := media.LoadOriented(path, metaOf(t, path).Orientation)
		if err != nil {
			t.Fatal(err)
		}
		if d := meanDiff(t, ref, img); d > 12 {
			t.Errorf("f%d upright differs from f1 by %.1f", o, d)
		}
	}
}

func TestLoadOrientedEdgeCases(t *testing.T) {
	// A 2×1 image with orientation 8 becomes 1×2.
	img, err := media.LoadOriented(filepath.Join(photos, "orientation/pillow/orientation_rectangle.jpg"), 8)
	if err != nil {
		t.Fatal(err)
	}
	if s := img.Bounds().Size(); s != (image.Point{1, 2}) {
		t.Errorf("size %v, want 1×2", s)
	}
	// Orientation 0 (invalid) is read as 1 and leaves the image as is.
	path := filepath.Join(photos, "orientation/recurser/Portrait_0.jpg")
	if o := metaOf(t, path).Orientation; o != 1 {
		t.Errorf("orientation 0 read as %d", o)
	}
	for _, o := range []int{0, -3, 9} {
		img, err := media.LoadOriented(filepath.Join(photos, "orientation/pillow/hopper_orientation_6.jpg"), o)
		if err != nil || img.Bounds().Dx() != 128 {
			t.Errorf("orientation %d: %v %v", o, img.Bounds(), err)
		}
	}
	// Not photos.
	if _, err := media.LoadOriented(filepath.Join(photos, "heic/IMG_5195.HEIC"), 1); streetdesk.ErrorMessage(err) != media.MsgHEIC {
		t.Errorf("heic: %v", err)
	}
}

func TestThumbnail(t *testing.T) {
	ctx := context.Background()
	s := open(t, media.Options{})
	p, err := s.Import(ctx, filepath.Join(photos, "gps/has-lens-info.jpg")) // 205×102, orientation 6
	if err != nil {
		t.Fatal(err)
	}
	path, err := s.Thumbnail(ctx, p.SHA256, 100)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 49 || cfg.Height != 100 {
		t.Errorf("thumbnail %d×%d, want upright 49×100", cfg.Width, cfg.Height)
	}
	if filepath.Dir(path) != filepath.Join(s.Dir(), "thumbs") {
		t.Errorf("thumbnail at %s", path)
	}
	// Cached: the same file, not rewritten.
	st1, _ := os.Stat(path)
	again, err := s.Thumbnail(ctx, p.SHA256, 100)
	st2, _ := os.Stat(again)
	if err != nil || again != path || !st1.ModTime().Equal(st2.ModTime()) {
		t.Errorf("second call %s %v", again, err)
	}
	// Upright content: compare with the full view scaled the same way.
	full, _ := media.LoadOriented(p.Path, p.Orientation)
	if full.Bounds().Dx() != 102 || full.Bounds().Dy() != 205 {
		t.Errorf("full view %v", full.Bounds())
	}
	// A PNG gets a JPEG thumbnail; a small photo is not enlarged.
	pngPhoto, err := s.Import(ctx, filepath.Join(photos, "png/xmp_tags_orientation_exiftool.png"))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := s.Thumbnail(ctx, pngPhoto.SHA256, 256)
	if err != nil {
		t.Fatal(err)
	}
	if img, err := media.LoadOriented(tp, 1); err != nil || img.Bounds().Dx() != 10 {
		t.Errorf("png thumbnail %v %v", img, err)
	}
	for _, c := range []struct {
		sha  string
		side int
		code string
	}{
		{p.SHA256, 0, streetdesk.EINVALID},
		{"nothex", 100, streetdesk.EINVALID},
		{"0000000000000000000000000000000000000000000000000000000000000000", 100, streetdesk.ENOTFOUND},
	} {
		if _, err := s.Thumbnail(ctx, c.sha, c.side); streetdesk.ErrorCode(err) != c.code {
			t.Errorf("Thumbnail(%.8s, %d): %v, want %s", c.sha, c.side, err, c.code)
		}
	}
}

func TestTransparentPNGThumbnailOnWhite(t *testing.T) {
	ctx := context.Background()
	s := open(t, media.Options{})
	img := image.NewNRGBA(image.Rect(0, 0, 32, 32)) // fully transparent
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p, err := s.ImportReader(ctx, &buf)
	if err != nil {
		t.Fatal(err)
	}
	path, err := s.Thumbnail(ctx, p.SHA256, 16)
	if err != nil {
		t.Fatal(err)
	}
	th, err := media.LoadOriented(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r, g, b, _ := th.At(8, 8).RGBA(); r>>8 < 250 || g>>8 < 250 || b>>8 < 250 {
		t.Errorf("transparent area rendered as %d,%d,%d, want white", r>>8, g>>8, b>>8)
	}
}

func TestDownscale(t *testing.T) {
	ctx := context.Background()
	s := open(t, media.Options{})
	big, err := s.Import(ctx, filepath.Join(photos, "gps/iphone_hdr_YES.jpg")) // 3264×2448
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Downscale(ctx, big.SHA256, 1600, 80)
	if err != nil {
		t.Fatal(err)
	}
	if d.Width != 1600 || d.Height != 1200 || d.SHA256 == big.SHA256 || d.MIME != media.MIMEJPEG || d.Orientation != 1 {
		t.Errorf("downscaled %+v", d)
	}
	if d.Size >= big.Size || !d.HasGPS || d.Lat != big.Lat || !d.TakenAt.Equal(big.TakenAt) || d.Camera != big.Camera {
		t.Errorf("downscaled copy lost metadata or did not shrink: %+v", d)
	}
	sameMeta(t, metaOf(t, d.Path), metaOf(t, big.Path)) // in the file itself, for the platform
	if p, ok := s.Has(d.SHA256); !ok || p != d.Path {
		t.Errorf("Has(downscaled) = %s %v", p, ok)
	}
	if _, ok := s.Has(big.SHA256); !ok {
		t.Error("the original is gone")
	}
	// Deterministic: doing it again gives the same file.
	d2, err := s.Downscale(ctx, big.SHA256, 1600, 80)
	if err != nil || d2.SHA256 != d.SHA256 {
		t.Errorf("second downscale %v %v", d2.SHA256, err)
	}

	// Orientation is baked in even when no scaling is needed.
	rot, err := s.Import(ctx, filepath.Join(photos, "orientation/pillow/hopper_orientation_6.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Downscale(ctx, rot.SHA256, 1024, 0)
	if err != nil {
		t.Fatal(err)
	}
	if u.SHA256 == rot.SHA256 || u.Orientation != 1 {
		t.Errorf("orientation not baked in: %+v", u)
	}
	ref, _ := media.LoadOriented(filepath.Join(photos, "orientation/pillow/hopper.jpg"), 1)
	got, err := media.LoadOriented(u.Path, 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := meanDiff(t, ref, got); diff > 10 {
		t.Errorf("baked copy differs from upright hopper by %.1f", diff)
	}

	// Upright and small already: the original is returned.
	small, _ := s.Import(ctx, filepath.Join(photos, "orientation/pillow/hopper.jpg"))
	same, err := s.Downscale(ctx, small.SHA256, 1024, 85)
	if err != nil || same.SHA256 != small.SHA256 {
		t.Errorf("small photo: %+v %v", same, err)
	}
	if _, err := s.Downscale(ctx, small.SHA256, 1024, 101); streetdesk.ErrorCode(err) != streetdesk.EINVALID {
		t.Errorf("quality 101: %v", err)
	}
	assertNoTemp(t, s)
}

// The upload copy keeps what the original's EXIF says: read back with
// ReadMeta, it gives the original's camera, time and place, orientation 1
// (its pixels are upright). Every photo of the set, the malformed ones
// included: a photo with broken EXIF is still sent, with what could be read
// of it; one without EXIF is sent without.
func TestDownscaleKeepsExif(t *testing.T) {
	ctx := context.Background()
	s := open(t, media.Options{})
	var files []string
	filepath.WalkDir(photos, func(p string, d os.DirEntry, err error) error {
		ext := strings.ToLower(filepath.Ext(p))
		if err != nil || d.IsDir() || ext != ".jpg" && ext != ".png" {
			return nil
		}
		// Large files add decode time and nothing the smaller ones do not
		// (TestDownscale takes a 3264×2448 phone photo).
		if fi, err := d.Info(); err == nil && fi.Size() <= 300<<10 {
			files = append(files, p)
		}
		return nil
	})
	withExif := 0
	for _, p := range files {
		name, _ := filepath.Rel(photos, p)
		t.Run(name, func(t *testing.T) {
			orig, err := s.Import(ctx, p)
			if err != nil {
				return // not a photo the desk takes (covered by the import tests)
			}
			d, err := s.Downscale(ctx, orig.SHA256, max(1, max(orig.Width, orig.Height)/2), 0)
			if err != nil {
				t.Fatalf("downscale: %v", err)
			}
			if d.SHA256 == orig.SHA256 {
				return // upright and 1×1: sent as it is
			}
			want := metaOf(t, orig.Path)
			sameMeta(t, metaOf(t, d.Path), want)
			data, err := os.ReadFile(d.Path)
			if err != nil {
				t.Fatal(err)
			}
			has := bytes.Contains(data, []byte("Exif\x00\x00"))
			if said := want.TakenAt != (time.Time{}) || want.HasGPS || want.Make != "" || want.Model != ""; has != said {
				t.Errorf("copy has EXIF %v; the original says time, place or camera: %v", has, said)
			}
			if has {
				withExif++
			}
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				t.Errorf("the copy does not decode: %v", err)
			}
		})
	}
	if withExif < 15 {
		t.Errorf("only %d copies carry EXIF: the set has more camera photos than that", withExif)
	}
	assertNoTemp(t, s)
}

// A camera that wrote its UTC offset (and its make and model in the Exif
// IFD, as some phones do): the copy keeps the offset, so the platform does
// not assume China time.
func TestDownscaleKeepsTimeZone(t *testing.T) {
	ctx := context.Background()
	s := open(t, media.Options{})
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photoLike(64, 48, 7), nil); err != nil {
		t.Fatal(err)
	}
	app1 := jpegWithApp1(tiffBlob(t, map[uint16]string{0x9003: "2024:03:01 08:00:00", 0x9011: "+02:00", 0x010f: "HUAWEI", 0x0110: "ELE-AL00"}))
	data := append(app1[:len(app1)-2:len(app1)-2], buf.Bytes()[2:]...) // its APP1, then the image after its SOI
	orig, err := s.ImportReader(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Downscale(ctx, orig.SHA256, 32, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := metaOf(t, orig.Path)
	got := metaOf(t, d.Path)
	sameMeta(t, got, want)
	if got.ZoneAssumed || got.TakenAt.Format(time.RFC3339) != "2024-03-01T08:00:00+02:00" || got.Camera != "HUAWEI ELE-AL00" {
		t.Errorf("copy says %v (zone assumed %v), camera %q", got.TakenAt, got.ZoneAssumed, got.Camera)
	}
}

// sameMeta fails unless got says what want does, with orientation 1 and
// coordinates to within 1e-8° (about a millimetre).
func sameMeta(t testing.TB, got, want media.Meta) {
	t.Helper()
	if got.Orientation != 1 {
		t.Errorf("orientation %d, want 1", got.Orientation)
	}
	if !got.TakenAt.Equal(want.TakenAt) || got.TakenAt.Format("-07:00") != want.TakenAt.Format("-07:00") || got.ZoneAssumed != want.ZoneAssumed {
		t.Errorf("taken %v (zone assumed %v), want %v (%v)", got.TakenAt, got.ZoneAssumed, want.TakenAt, want.ZoneAssumed)
	}
	if got.HasGPS != want.HasGPS || math.Abs(got.Lat-want.Lat) > 1e-8 || math.Abs(got.Lng-want.Lng) > 1e-8 {
		t.Errorf("GPS %v %.9f,%.9f, want %v %.9f,%.9f", got.HasGPS, got.Lat, got.Lng, want.HasGPS, want.Lat, want.Lng)
	}
	if got.Make != want.Make || got.Model != want.Model || got.Camera != want.Camera {
		t.Errorf("camera %q/%q (%q), want %q/%q (%q)", got.Make, got.Model, got.Camera, want.Make, want.Model, want.Camera)
	}
}

func TestSaveVerified(t *testing.T) {
	ctx := context.Background()
	s := open(t, media.Options{})
	data, err := os.ReadFile(filepath.Join(photos, "gps/Kodak_CX7530.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	const sha = "ac759931999a215ef78469a82bdfc382ccba96eb8d039ec9e81e53a9a419d35e"
	path, size, err := s.SaveVerified(ctx, bytes.NewReader(data), sha, media.MIMEJPEG)
	if err != nil {
		t.Fatal(err)
	}
	if path != s.Path(sha, media.MIMEJPEG) || size != int64(len(data)) {
		t.Errorf("saved %s %d", path, size)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
		t.Error("content differs")
	}
	// Present already: kept, r not needed.
	if p2, _, err := s.SaveVerified(ctx, bytes.NewReader(nil), sha, media.MIMEJPEG); err != nil || p2 != path {
		t.Errorf("second save %s %v", p2, err)
	}

	// A corrupted download: refused, nothing left behind.
	bad := bytes.Clone(data)
	bad[len(bad)/2] ^= 0xff
	other := "1111111111111111111111111111111111111111111111111111111111111111"
	_, _, err = s.SaveVerified(ctx, bytes.NewReader(bad), other, media.MIMEJPEG)
	wantRefusal(t, err, media.MsgHashMismatch)
	if _, ok := s.Has(other); ok {
		t.Error("a mismatching download was kept")
	}
	assertNoTemp(t, s)
	for _, c := range []struct{ sha, mime string }{{"abc", media.MIMEJPEG}, {other, "image/gif"}} {
		if _, _, err := s.SaveVerified(ctx, bytes.NewReader(data), c.sha, c.mime); streetdesk.ErrorCode(err) != streetdesk.EINVALID {
			t.Errorf("SaveVerified(%q, %q): %v", c.sha, c.mime, err)
		}
	}
}

func TestReconcile(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, streetdesk.ChinaTZ)
	s := open(t, media.Options{Now: func() time.Time { return now }})

	// A crash mid-import leaves .part files: an old one is swept, a fresh one
	// (an import in progress) is kept.
	old := filepath.Join(s.Dir(), "tmp", "crashed.part")
	fresh := filepath.Join(s.Dir(), "tmp", "inflight.part")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("half a photo"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.Chtimes(old, now.Add(-25*time.Hour), now.Add(-25*time.Hour))
	os.Chtimes(fresh, now.Add(-time.Hour), now.Add(-time.Hour))

	registered, err := s.Import(ctx, filepath.Join(photos, "cameras/Canon_40D.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	// A crash after the rename but before the database row: an orphan.
	orphan, err := s.Import(ctx, filepath.Join(photos, "gps/goexif_sample1_NikonD2H_Beijing.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	// A file whose bytes do not match its name.
	const wrongSHA = "2222222222222222222222222222222222222222222222222222222222222222"
	corrupt := s.Path(wrongSHA, media.MIMEJPEG)
	os.MkdirAll(filepath.Dir(corrupt), 0o700)
	if err := os.WriteFile(corrupt, smallJPEG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	stray := filepath.Join(s.Dir(), "sha256", "ab", "notes.txt")
	os.MkdirAll(filepath.Dir(stray), 0o700)
	os.WriteFile(stray, []byte("x"), 0o600)

	rep, err := s.Reconcile(ctx, func(sha string) bool { return sha == registered.SHA256 })
	if err != nil {
		t.Fatal(err)
	}
	if rep.SweptTemp != 1 {
		t.Errorf("swept %d temp files, want 1", rep.SweptTemp)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Error("stale .part kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("fresh .part deleted")
	}
	if len(rep.Orphans) != 1 || rep.Orphans[0] != orphan {
		t.Errorf("orphans %+v, want %+v", rep.Orphans, orphan)
	}
	if len(rep.Corrupt) != 1 || rep.Corrupt[0] != corrupt {
		t.Errorf("corrupt %v", rep.Corrupt)
	}
	if _, err := os.Stat(corrupt); err != nil {
		t.Error("a corrupt file was deleted")
	}
	if len(rep.Unknown) != 1 || rep.Unknown[0] != stray {
		t.Errorf("unknown %v", rep.Unknown)
	}

	// Rows whose files are gone.
	gone := "3333333333333333333333333333333333333333333333333333333333333333"
	if m := s.Missing([]string{registered.SHA256, gone, orphan.SHA256, "junk"}); len(m) != 2 || m[0] != gone || m[1] != "junk" {
		t.Errorf("missing %v", m)
	}
}

// A photo-like test image: smooth gradients with noise, so JPEG sizes are
// realistic (a few bits per pixel).
func photoLike(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 1))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			n := uint8(r.IntN(48))
			img.SetRGBA(x, y, color.RGBA{uint8(x*255/w) ^ n, uint8(y*255/h) + n, uint8((x+y)/8) ^ n, 255})
		}
	}
	return img
}
