package media_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/media"
)

const photos = "../testdata/photos"

func open(t testing.TB, opts media.Options) *media.Store {
	t.Helper()
	s, err := media.Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// expected is one row of expected_exiftool.tsv (exiftool 12.57 -n).
type expected struct {
	path, sha, make, model, orientation, lat, lng, date, size string
	bytes                                                     int64
}

func readExpected(t *testing.T) []expected {
	t.Helper()
	f, err := os.Open(filepath.Join(photos, "expected_exiftool.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []expected
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 10 {
			t.Fatalf("bad tsv line %q", sc.Text())
		}
		n, _ := strconv.ParseInt(c[1], 10, 64)
		out = append(out, expected{path: c[0], bytes: n, sha: c[2], make: c[3], model: c[4], orientation: c[5], lat: c[6], lng: c[7], date: c[8], size: c[9]})
	}
	return out
}

// Our reading where we knowingly differ from exiftool.
var policy = map[string]struct{ lat, lng float64 }{
	// GPS stored as ASCII "52,00000,50,00000,34,01180": exiftool misreads it;
	// we follow goexif (TestParseTagDegreesString).
	"gps/geodegrees_as_string.jpg": {52.842781055556, 11.182856555556},
}

func TestImportMatchesExiftool(t *testing.T) {
	s := open(t, media.Options{})
	ctx := context.Background()
	for _, e := range readExpected(t) {
		if strings.HasPrefix(e.path, "malformed/") || strings.HasPrefix(e.path, "heic/") {
			continue
		}
		t.Run(e.path, func(t *testing.T) {
			p, err := s.Import(ctx, filepath.Join(photos, e.path))
			if err != nil {
				t.Fatal(err)
			}
			if p.SHA256 != e.sha || p.Size != e.bytes {
				t.Errorf("sha/size %s %d, want %s %d", p.SHA256, p.Size, e.sha, e.bytes)
			}
			if got := fmt.Sprintf("%d %d", p.Width, p.Height); got != e.size {
				t.Errorf("size %s, want %s", got, e.size)
			}
			wantO := 1
			if n, err := strconv.Atoi(e.orientation); err == nil && n >= 1 && n <= 8 {
				wantO = n
			}
			if p.Orientation != wantO {
				t.Errorf("orientation %d, want %d (exiftool %s)", p.Orientation, wantO, e.orientation)
			}
			if e.lat == "-" {
				if p.HasGPS {
					t.Errorf("GPS %v,%v, want none", p.Lat, p.Lng)
				}
			} else {
				lat, _ := strconv.ParseFloat(e.lat, 64)
				lng, _ := strconv.ParseFloat(e.lng, 64)
				if x, ok := policy[e.path]; ok {
					lat, lng = x.lat, x.lng
				}
				if !p.HasGPS || math.Abs(p.Lat-lat) > 1e-6 || math.Abs(p.Lng-lng) > 1e-6 {
					t.Errorf("GPS %v %v,%v, want %v,%v", p.HasGPS, p.Lat, p.Lng, lat, lng)
				}
			}
			if e.date == "-" {
				if !p.TakenAt.IsZero() {
					t.Errorf("taken %v, want none", p.TakenAt)
				}
			} else {
				want, err := time.ParseInLocation("2006:01:02 15:04:05", e.date, streetdesk.ChinaTZ)
				if err != nil {
					t.Fatal(err)
				}
				if !p.TakenAt.Equal(want) {
					t.Errorf("taken %v, want %v", p.TakenAt, want)
				}
			}
			if e.model != "-" && !strings.Contains(p.Camera, e.model) {
				t.Errorf("camera %q, want model %q", p.Camera, e.model)
			}
			if p.Path != s.Path(p.SHA256, p.MIME) {
				t.Errorf("path %s, want %s", p.Path, s.Path(p.SHA256, p.MIME))
			}
			if got, ok := s.Has(p.SHA256); !ok || got != p.Path {
				t.Errorf("Has = %s %v", got, ok)
			}
		})
	}
	assertNoTemp(t, s)
}

func TestHemispheres(t *testing.T) {
	for _, c := range []struct {
		file     string
		lat, lng float64
	}{
		{"gps/goexif_sample1_NikonD2H_Beijing.jpg", 1, 1},
		{"gps/Kodak_CX7530.jpg", -1, 1},   // south
		{"gps/iphone_hdr_YES.jpg", 1, -1}, // west
	} {
		f, err := os.Open(filepath.Join(photos, c.file))
		if err != nil {
			t.Fatal(err)
		}
		m := media.ReadMeta(f)
		f.Close()
		if !m.HasGPS || math.Signbit(m.Lat) != (c.lat < 0) || math.Signbit(m.Lng) != (c.lng < 0) {
			t.Errorf("%s: %+v, want signs %v,%v", c.file, m, c.lat, c.lng)
		}
	}
}

func TestOffsetTime(t *testing.T) {
	// A DateTimeOriginal with OffsetTimeOriginal is read in that offset.
	blob := tiffBlob(t, map[uint16]string{0x9003: "2024:03:01 08:00:00", 0x9011: "+02:00"})
	m := media.ReadMeta(bytes.NewReader(jpegWithApp1(blob)))
	want := time.Date(2024, 3, 1, 6, 0, 0, 0, time.UTC)
	if !m.TakenAt.Equal(want) || m.ZoneAssumed {
		t.Errorf("taken %v (zone assumed %v), want %v", m.TakenAt, m.ZoneAssumed, want)
	}
	blob = tiffBlob(t, map[uint16]string{0x9003: "2024:03:01 08:00:00"})
	m = media.ReadMeta(bytes.NewReader(jpegWithApp1(blob)))
	if want := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC); !m.TakenAt.Equal(want) || !m.ZoneAssumed {
		t.Errorf("taken %v (zone assumed %v), want %v (China time, assumed)", m.TakenAt, m.ZoneAssumed, want)
	}
}

// tiffBlob builds a little-endian TIFF block with an Exif IFD holding the
// given ASCII tags.
func tiffBlob(t testing.TB, exifTags map[uint16]string) []byte {
	t.Helper()
	le := binary.LittleEndian
	var b []byte
	b = append(b, 'I', 'I', 42, 0, 8, 0, 0, 0)
	// IFD0 at 8: one entry, the Exif pointer.
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0x8769)
	b = le.AppendUint16(b, 4)
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, 26)
	b = le.AppendUint32(b, 0)
	// Exif IFD at 26.
	tags := slices.Sorted(func(yield func(uint16) bool) {
		for k := range exifTags {
			if !yield(k) {
				return
			}
		}
	})
	dataOff := 26 + 2 + 12*len(tags) + 4
	var data []byte
	b = le.AppendUint16(b, uint16(len(tags)))
	for _, tag := range tags {
		v := exifTags[tag] + "\x00"
		b = le.AppendUint16(b, tag)
		b = le.AppendUint16(b, 2)
		b = le.AppendUint32(b, uint32(len(v)))
		b = le.AppendUint32(b, uint32(dataOff+len(data)))
		data = append(data, v...)
	}
	b = le.AppendUint32(b, 0)
	return append(b, data...)
}

func jpegWithApp1(tiff []byte) []byte {
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := []byte{0xff, 0xd8, 0xff, 0xe1}
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, 0xff, 0xd9)
}

// The refusal messages the UI translates.
var messages = []string{
	media.MsgHEIC, media.MsgNotPhoto, media.MsgDamaged, media.MsgEmpty,
	"the photo is too large (more than 100 megapixels)",
	"the file is larger than 50 MiB",
}

func wantRefusal(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("imported, want %q", msg)
	}
	if streetdesk.ErrorCode(err) != streetdesk.EINVALID || streetdesk.ErrorMessage(err) != msg {
		t.Fatalf("got %v (code %s), want EINVALID %q", err, streetdesk.ErrorCode(err), msg)
	}
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	heic, err := os.ReadFile(filepath.Join(photos, "heic/IMG_5195.HEIC"))
	if err != nil {
		t.Fatal(err)
	}
	truncated, err := os.ReadFile(filepath.Join(photos, "malformed/pillow/truncated_jpeg.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"heic", heic, media.MsgHEIC},
		{"heif brand mif1", append([]byte("\x00\x00\x00\x18ftypmif1"), make([]byte, 100)...), media.MsgHEIC},
		{"text", []byte("工单照片.jpg is really a text file\n"), media.MsgNotPhoto},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"), media.MsgNotPhoto},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"), media.MsgNotPhoto},
		{"webp", []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"), media.MsgNotPhoto},
		{"empty", nil, media.MsgEmpty},
		{"jpeg magic only", []byte{0xff, 0xd8, 0xff}, media.MsgDamaged},
		{"truncated scan", truncated, media.MsgDamaged},
		{"png bomb", pngBomb(20000, 20000), "the photo is too large (more than 100 megapixels)"},
		{"jpeg bomb", jpegBomb(20000, 20000), "the photo is too large (more than 100 megapixels)"},
		{"jpeg scan bomb", scanBomb(300), media.MsgDamaged},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := open(t, media.Options{})
			_, err := s.ImportReader(ctx, bytes.NewReader(c.data))
			wantRefusal(t, err, c.msg)
			assertNoTemp(t, s)
			assertNoPhotos(t, s)
		})
	}
}

// The bomb headers claim 400 megapixels; refusing them must not allocate the
// pixels (1.2 GB), nor anything close.
func TestBombNotDecoded(t *testing.T) {
	s := open(t, media.Options{})
	for _, data := range [][]byte{pngBomb(20000, 20000), jpegBomb(20000, 20000), pngBomb(1, 400_000_000)} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := s.ImportReader(context.Background(), bytes.NewReader(data))
		runtime.ReadMemStats(&after)
		wantRefusal(t, err, "the photo is too large (more than 100 megapixels)")
		if d := after.TotalAlloc - before.TotalAlloc; d > 4<<20 {
			t.Errorf("refusing a bomb allocated %d bytes", d)
		}
	}
}

// pngBomb is a PNG signature and an IHDR claiming w×h, with no pixel data.
func pngBomb(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
		td := append([]byte(typ), data...)
		b = append(b, td...)
		b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(td))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b
}

// jpegBomb is SOI, a quantisation table, a baseline SOF claiming w×h
// (grayscale) and a scan header, with no scan data.
func jpegBomb(w, h uint16) []byte {
	b := []byte{0xff, 0xd8}
	b = append(b, 0xff, 0xdb, 0x00, 0x43, 0x00)
	for range 64 {
		b = append(b, 1)
	}
	b = append(b, 0xff, 0xc0, 0x00, 0x0b, 8)
	b = binary.BigEndian.AppendUint16(b, h)
	b = binary.BigEndian.AppendUint16(b, w)
	b = append(b, 1, 1, 0x11, 0)
	// Go's DecodeConfig wants to see the start of scan.
	b = append(b, 0xff, 0xda, 0x00, 0x08, 1, 1, 0x00, 0, 0x3f, 0)
	return append(b, 0xff, 0xd9)
}

// scanBomb is a small progressive-looking JPEG header followed by n scan
// headers: decoding thousands of scans would take minutes.
func scanBomb(n int) []byte {
	b := jpegBomb(64, 64)
	b = b[:len(b)-2] // EOI
	for range n {
		b = append(b, 0xff, 0xda, 0x00, 0x08, 1, 1, 0x00, 0, 0x3f, 0)
	}
	return append(b, 0xff, 0xd9)
}

func TestPathRejectsBadHashes(t *testing.T) {
	s := open(t, media.Options{})
	for _, sha := range []string{"", "../../etc/passwd", "ABCDEF", strings.Repeat("g", 64)} {
		if p := s.Path(sha, media.MIMEJPEG); p != "" {
			t.Errorf("Path(%q) = %q", sha, p)
		}
		if _, ok := s.Has(sha); ok {
			t.Errorf("Has(%q)", sha)
		}
	}
}

func TestTooManyBytes(t *testing.T) {
	ctx := context.Background()
	s := open(t, media.Options{})
	// A sparse file: refused by its size before a byte is read.
	big := filepath.Join(t.TempDir(), "big.jpg")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0xff, 0xd8, 0xff})
	f.Truncate(streetdesk.MaxPhotoBytes + 1)
	f.Close()
	_, err = s.Import(ctx, big)
	wantRefusal(t, err, "the file is larger than 50 MiB")
	// A stream of unknown length: refused once the limit is passed.
	r := io.MultiReader(bytes.NewReader([]byte{0xff, 0xd8, 0xff}), io.LimitReader(zeros{}, streetdesk.MaxPhotoBytes))
	_, err = s.ImportReader(ctx, r)
	wantRefusal(t, err, "the file is larger than 50 MiB")
	assertNoTemp(t, s)
	// Exactly at the limit is not refused for its size.
	small := open(t, media.Options{MaxBytes: 1 << 20})
	data := smallJPEG(t)
	if _, err := small.ImportReader(ctx, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	tiny := open(t, media.Options{MaxBytes: int64(len(data)) - 1})
	if _, err := tiny.ImportReader(ctx, bytes.NewReader(data)); err == nil {
		t.Error("a file over MaxBytes was imported")
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func smallJPEG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 128, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMalformed(t *testing.T) {
	s := open(t, media.Options{})
	files := malformedFiles(t)
	if len(files) < 26 {
		t.Fatalf("found %d malformed files, want all 26", len(files))
	}
	for _, path := range files {
		t.Run(strings.TrimPrefix(path, photos+"/malformed/"), func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var p streetdesk.ImportedPhoto
			var err error
			guard(t, func() {
				p, err = s.Import(context.Background(), path)
				f, _ := os.Open(path)
				defer f.Close()
				m := media.ReadMeta(f)
				checkMeta(t, m)
			})
			runtime.ReadMemStats(&after)
			// The largest file is 3648×2736: its decode needs ~30 MB.
			if d := after.TotalAlloc - before.TotalAlloc; d > 128<<20 {
				t.Errorf("allocated %d MB", d>>20)
			}
			name := strings.TrimPrefix(path, photos+"/malformed/")
			if want := damaged[name]; want != (err != nil) {
				t.Errorf("refused: %v, want %v (%v)", err != nil, want, err)
			}
			if err != nil {
				if streetdesk.ErrorCode(err) != streetdesk.EINVALID || !slices.Contains(messages, streetdesk.ErrorMessage(err)) {
					t.Errorf("unclear error %v", err)
				}
				return
			}
			if p.Orientation < 1 || p.Orientation > 8 {
				t.Errorf("orientation %d", p.Orientation)
			}
		})
	}
	assertNoTemp(t, s)
}

// damaged lists the malformed files whose pixels Go cannot decode (cut off
// after the EXIF, truncated scans, bad Huffman codes): refused as damaged.
// The others import, with whatever EXIF is readable.
var damaged = map[string]bool{
	"goexif/2012-12-21-11-15-19-sep-IMG_0001.jpg":             true,
	"goexif/2013-02-05-23-12-09-sep-DSCI0001.jpg":             true,
	"goexif/2099-08-12-19-59-29-sep-2099-08-12-19-59-29a.jpg": true,
	"goexif/2216-11-15-11-46-51-sep-2216-11-15-11-46-51a.jpg": true,
	"goexif/FailedHash-NoDate-sep-remembory.jpg":              true,
	"goexif/huge_tag_exif.jpg":                                true,
	"goexif/max_uint32_exif.jpg":                              true,
	"ianare/corrupted.jpg":                                    true, // "missing 0xff00 sequence"
	"pillow/hopper_bad_exif.jpg":                              true, // bad Huffman code
	"pillow/truncated_jpeg.jpg":                               true,
}

func malformedFiles(t testing.TB) []string {
	var files []string
	filepath.WalkDir(filepath.Join(photos, "malformed"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	return files
}

// guard runs f and fails the test if it panics or hangs.
func guard(t *testing.T, f func()) {
	t.Helper()
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		f()
	}()
	select {
	case p := <-done:
		if p != nil {
			t.Fatalf("panic: %v", p)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("hung for 30 s")
	}
}

func checkMeta(t testing.TB, m media.Meta) {
	t.Helper()
	if m.Orientation < 1 || m.Orientation > 8 {
		t.Errorf("orientation %d", m.Orientation)
	}
	if m.HasGPS && (math.Abs(m.Lat) > 90 || math.Abs(m.Lng) > 180 || math.IsNaN(m.Lat) || math.IsNaN(m.Lng)) {
		t.Errorf("GPS %v,%v", m.Lat, m.Lng)
	}
	if !m.HasGPS && (m.Lat != 0 || m.Lng != 0) {
		t.Errorf("coordinates without GPS")
	}
	if !utf8.ValidString(m.Camera) {
		t.Errorf("camera %q is not valid UTF-8", m.Camera)
	}
}

func TestDuplicateImport(t *testing.T) {
	ctx := context.Background()
	s := open(t, media.Options{})
	src := filepath.Join(photos, "gps/Kodak_CX7530.jpg")
	a, err := s.Import(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(src)
	b, err := s.ImportReader(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("second import %+v, first %+v", b, a)
	}
	if n := countPhotos(t, s); n != 1 {
		t.Errorf("%d files after importing one photo twice", n)
	}
	assertNoTemp(t, s)
}

func TestConcurrentDuplicateImport(t *testing.T) {
	s := open(t, media.Options{})
	data, _ := os.ReadFile(filepath.Join(photos, "orientation/pillow/hopper.jpg"))
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := s.ImportReader(context.Background(), bytes.NewReader(data))
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := countPhotos(t, s); n != 1 {
		t.Errorf("%d files", n)
	}
	assertNoTemp(t, s)
}

func TestImportCancelled(t *testing.T) {
	s := open(t, media.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.ImportReader(ctx, bytes.NewReader(smallJPEG(t)))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	assertNoTemp(t, s)
}

func TestImportMissingFile(t *testing.T) {
	s := open(t, media.Options{})
	_, err := s.Import(context.Background(), filepath.Join(t.TempDir(), "nope.jpg"))
	if streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
		t.Errorf("got %v", err)
	}
}

func countPhotos(t testing.TB, s *media.Store) int {
	t.Helper()
	n := 0
	filepath.WalkDir(filepath.Join(s.Dir(), "sha256"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func assertNoPhotos(t testing.TB, s *media.Store) {
	t.Helper()
	if n := countPhotos(t, s); n != 0 {
		t.Errorf("%d photo files after a refusal", n)
	}
}

func assertNoTemp(t testing.TB, s *media.Store) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(s.Dir(), "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("%d files left in tmp/", len(ents))
	}
}
