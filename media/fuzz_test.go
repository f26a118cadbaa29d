package media_test

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/media"
)

// seeds adds the malformed files (and a few good ones) to a fuzz corpus.
// Files over 300 KB are left out: they slow every mutation down and add
// nothing the smaller ones do not.
func seeds(f *testing.F) {
	files := malformedFiles(f)
	files = append(files,
		filepath.Join(photos, "orientation/goexif/f6-exif.jpg"),
		filepath.Join(photos, "gps/Kodak_CX7530.jpg"),
		filepath.Join(photos, "png/xmp_tags_orientation_exiftool.png"),
	)
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) <= 300<<10 {
			f.Add(data)
		}
	}
	f.Add(pngBomb(20000, 20000))
	f.Add(jpegBomb(20000, 20000))
	f.Add(jpegWithApp1(tiffBlob(f, map[uint16]string{0x9003: "2024:03:01 08:00:00", 0x9011: "+02:00"})))
	f.Add([]byte{})
}

func FuzzImport(f *testing.F) {
	seeds(f)
	// A small pixel budget keeps each decode cheap while fuzzing.
	s, err := media.Open(f.TempDir(), media.Options{MaxPixels: 4_000_000, MaxBytes: 4 << 20})
	if err != nil {
		f.Fatal(err)
	}
	allowed := []string{
		media.MsgHEIC, media.MsgNotPhoto, media.MsgDamaged, media.MsgEmpty,
		"the photo is too large (more than 4 megapixels)", "the file is larger than 4 MiB",
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := s.ImportReader(context.Background(), bytes.NewReader(data))
		if err != nil {
			if streetdesk.ErrorCode(err) != streetdesk.EINVALID || !slices.Contains(allowed, streetdesk.ErrorMessage(err)) {
				t.Fatalf("unclear error: %v", err)
			}
			return
		}
		if p.Orientation < 1 || p.Orientation > 8 || p.Width <= 0 || p.Height <= 0 || p.Size != int64(len(data)) {
			t.Fatalf("imported %+v", p)
		}
		if int64(p.Width)*int64(p.Height) > 4_000_000 {
			t.Fatalf("%d×%d passed the pixel limit", p.Width, p.Height)
		}
		got, err := os.ReadFile(p.Path)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("stored file differs: %v", err)
		}
		os.Remove(p.Path) // keep the fuzz directory small
	})
}

func FuzzReadMeta(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkMeta(t, media.ReadMeta(bytes.NewReader(data)))
	})
}

// FuzzDownscaleKeepsMeta: whatever EXIF a photo carries, broken or not,
// its upload copy is made, and says what ReadMeta read of the original.
func FuzzDownscaleKeepsMeta(f *testing.F) {
	seeds(f)
	s, err := media.Open(f.TempDir(), media.Options{MaxPixels: 4_000_000, MaxBytes: 4 << 20})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		p, err := s.ImportReader(ctx, bytes.NewReader(data))
		if err != nil {
			return // FuzzImport covers the refusals
		}
		defer os.Remove(p.Path)
		d, err := s.Downscale(ctx, p.SHA256, 8, 0)
		if err != nil {
			t.Fatalf("downscale of an imported photo: %v", err)
		}
		if d.SHA256 == p.SHA256 {
			return // already upright and small: sent as it is
		}
		defer os.Remove(d.Path)
		got, err := os.ReadFile(d.Path)
		if err != nil {
			t.Fatal(err)
		}
		sameMeta(t, media.ReadMeta(bytes.NewReader(got)), media.ReadMeta(bytes.NewReader(data)))
	})
}

// BenchmarkImport measures import of a ~5 MB camera-sized JPEG: stream,
// SHA-256, fsync, header check, full decode (validation) and EXIF.
func BenchmarkImport(b *testing.B) {
	data := bigJPEG(b)
	s := open(b, media.Options{})
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := s.ImportReader(ctx, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveVerified measures the stream + hash + fsync path alone (no
// decode), as used for background downloads.
func BenchmarkSaveVerified(b *testing.B) {
	data := bigJPEG(b)
	s := open(b, media.Options{})
	ctx := context.Background()
	p, err := s.ImportReader(ctx, bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		os.Remove(p.Path)
		if _, _, err := s.SaveVerified(ctx, bytes.NewReader(data), p.SHA256, p.MIME); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkThumbnail measures making a 256 px thumbnail of the same photo
// (the cache is emptied each time).
func BenchmarkThumbnail(b *testing.B) {
	data := bigJPEG(b)
	s := open(b, media.Options{})
	ctx := context.Background()
	p, err := s.ImportReader(ctx, bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		path, err := s.Thumbnail(ctx, p.SHA256, 256)
		if err != nil {
			b.Fatal(err)
		}
		os.Remove(path)
	}
}

var bigJPEGData []byte

func bigJPEG(b *testing.B) []byte {
	b.Helper()
	if bigJPEGData == nil {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, photoLike(4000, 3000, 1), &jpeg.Options{Quality: 90}); err != nil {
			b.Fatal(err)
		}
		bigJPEGData = buf.Bytes()
		b.Logf("test photo: 4000×3000, %s", fmt.Sprintf("%.1f MB", float64(buf.Len())/1e6))
	}
	return bigJPEGData
}
