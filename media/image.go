package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strconv"

	xdraw "golang.org/x/image/draw"

	"github.com/streetdesk/streetdesk"
)

// LoadOriented decodes the JPEG or PNG at path and turns it upright
// according to the EXIF orientation (1–8; anything else is read as 1).
func LoadOriented(path string, orientation int) (image.Image, error) {
	img, err := decodeFile(path)
	if err != nil {
		return nil, err
	}
	return Orient(img, orientation), nil
}

func decodeFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open photo: %w", err)
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	var img image.Image
	switch sniff(head[:n]) {
	case formatJPEG:
		img, err = jpeg.Decode(rewind(f))
	case formatPNG:
		img, err = png.Decode(rewind(f))
	case formatHEIC:
		return nil, invalid(MsgHEIC)
	default:
		return nil, invalid(MsgNotPhoto)
	}
	if err != nil {
		return nil, invalid(MsgDamaged)
	}
	return img, nil
}

// Orient returns img transformed for EXIF orientation o so that it displays
// upright:
//
//	1 as is            2 mirrored left–right   3 rotated 180°      4 mirrored top–bottom
//	5 transposed       6 rotated 90° clockwise 7 transversed       8 rotated 90° counter-clockwise
func Orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	src := toRGBA(img)
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range dh {
		drow := dst.Pix[y*dst.Stride : y*dst.Stride+dw*4]
		for x := range dw {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, h-1-x
			case 7:
				sx, sy = w-1-y, h-1-x
			case 8:
				sx, sy = w-1-y, x
			}
			si := sy*src.Stride + sx*4
			copy(drow[x*4:x*4+4], src.Pix[si:si+4])
		}
	}
	return dst
}

// toRGBA returns img as an *image.RGBA with origin (0,0).
func toRGBA(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok && r.Rect.Min == (image.Point{}) {
		return r
	}
	b := img.Bounds()
	r := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(r, r.Rect, img, b.Min, draw.Src)
	return r
}

// scaleToFit returns img scaled down so its longer side is at most maxSide
// (never up).
func scaleToFit(img image.Image, maxSide int, q xdraw.Interpolator) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if maxSide <= 0 || (w <= maxSide && h <= maxSide) {
		return img
	}
	nw, nh := maxSide, maxSide
	if w >= h {
		nh = max(1, int(int64(h)*int64(maxSide)/int64(w)))
	} else {
		nw = max(1, int(int64(w)*int64(maxSide)/int64(h)))
	}
	// A kernel over a 12-megapixel photo is slow; averaging k×k blocks
	// first (to at least twice the target) costs little and loses nothing.
	if k := min(w/nw, h/nh) / 2; k >= 2 {
		img = boxReduce(toRGBA(img), k)
		b = img.Bounds()
	}
	dst := image.NewRGBA(image.Rect(0, 0, nw, nh))
	q.Scale(dst, dst.Rect, img, b, xdraw.Src, nil)
	return dst
}

// boxReduce shrinks src by an integer factor k, averaging each k×k block.
func boxReduce(src *image.RGBA, k int) *image.RGBA {
	w, h := src.Rect.Dx()/k, src.Rect.Dy()/k
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	sums := make([]uint32, w*4)
	n := uint32(k * k)
	for y := range h {
		clear(sums)
		for dy := range k {
			row := src.Pix[(y*k+dy)*src.Stride:]
			for x := range w {
				p := row[x*k*4 : (x+1)*k*4]
				s := sums[x*4 : x*4+4]
				for i := 0; i < len(p); i += 4 {
					s[0] += uint32(p[i])
					s[1] += uint32(p[i+1])
					s[2] += uint32(p[i+2])
					s[3] += uint32(p[i+3])
				}
			}
		}
		out := dst.Pix[y*dst.Stride:]
		for i, v := range sums {
			out[i] = uint8(v / n)
		}
	}
	return dst
}

// original finds a stored photo and its orientation.
func (s *Store) original(sha string) (path string, orientation int, err error) {
	if !streetdesk.ValidSHA256(sha) {
		return "", 0, streetdesk.Errorf(streetdesk.EINVALID, "invalid photo hash %q", sha)
	}
	path, ok := s.Has(sha)
	if !ok {
		return "", 0, streetdesk.Errorf(streetdesk.ENOTFOUND, "photo %s is not on this computer", sha[:12])
	}
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("open photo: %w", err)
	}
	m := ReadMeta(f)
	f.Close()
	return path, m.Orientation, nil
}

// Thumbnail returns the path of an upright JPEG thumbnail of the photo, at
// most maxSide pixels on its longer side, made once and cached.
func (s *Store) Thumbnail(ctx context.Context, sha string, maxSide int) (string, error) {
	if maxSide <= 0 || maxSide > 4096 {
		return "", streetdesk.Errorf(streetdesk.EINVALID, "thumbnail size %d out of range", maxSide)
	}
	if !streetdesk.ValidSHA256(sha) {
		return "", streetdesk.Errorf(streetdesk.EINVALID, "invalid photo hash %q", sha)
	}
	dst := filepath.Join(s.dir, "thumbs", sha+"-"+strconv.Itoa(maxSide)+".jpg")
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	path, o, err := s.original(sha)
	if err != nil {
		return "", err
	}
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	img, err := decodeFile(path)
	if err == nil {
		// Scale first, then turn: turning the small image is cheap.
		img = Orient(scaleToFit(img, maxSide, xdraw.BiLinear), o)
	}
	s.release()
	if err != nil {
		return "", err
	}
	tmp, _, _, err := s.writeJPEG(ctx, img, 85, nil)
	if err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("thumbnail: %w", err)
	}
	return dst, nil
}

// Downscale makes an upload copy of a photo: upright (the orientation baked
// into the pixels), at most maxSide pixels on its longer side, re-encoded as
// JPEG at quality (1–100, 0 means 85), stored as a new content-addressed
// file. The copy keeps the original's date, place and camera, both in the
// returned ImportedPhoto and in its own EXIF (orientation 1), since the
// platform checks the evidence from the bytes it receives. A photo that is
// already upright and small enough is returned as is.
func (s *Store) Downscale(ctx context.Context, sha string, maxSide int, quality int) (streetdesk.ImportedPhoto, error) {
	var out streetdesk.ImportedPhoto
	if quality == 0 {
		quality = 85
	}
	if maxSide <= 0 || quality < 1 || quality > 100 {
		return out, streetdesk.Errorf(streetdesk.EINVALID, "downscale to %d px at quality %d: out of range", maxSide, quality)
	}
	path, _, err := s.original(sha)
	if err != nil {
		return out, err
	}
	f, err := os.Open(path)
	if err != nil {
		return out, fmt.Errorf("open photo: %w", err)
	}
	m := ReadMeta(f)
	cfg, _, cerr := image.DecodeConfig(rewind(f))
	fi, _ := f.Stat()
	f.Close()
	if cerr != nil {
		return out, invalid(MsgDamaged)
	}
	mime := MIMEJPEG
	if filepath.Ext(path) == ".png" {
		mime = MIMEPNG
	}
	orig := streetdesk.ImportedPhoto{
		SHA256: sha, Path: path, Size: fi.Size(), MIME: mime, Width: cfg.Width, Height: cfg.Height,
		TakenAt: m.TakenAt, Lat: m.Lat, Lng: m.Lng, HasGPS: m.HasGPS, Camera: m.Camera, Orientation: m.Orientation,
		ZoneAssumed: m.ZoneAssumed,
	}
	if m.Orientation == 1 && cfg.Width <= maxSide && cfg.Height <= maxSide {
		return orig, nil
	}
	if err := s.acquire(ctx); err != nil {
		return out, err
	}
	img, err := decodeFile(path)
	if err == nil {
		img = Orient(scaleToFit(img, maxSide, xdraw.CatmullRom), m.Orientation)
	}
	s.release()
	if err != nil {
		return out, err
	}
	blob, err := uploadExif(m)
	if err != nil {
		// Not expected (the values were read and checked), and the copy is
		// still a photo: send it without, the desk keeps the facts.
		s.log.Warn("downscale: copy sent without exif", "sha256", sha, "err", err)
		blob = nil
	}
	tmp, newSHA, size, err := s.writeJPEG(ctx, img, quality, blob)
	if err != nil {
		return out, err
	}
	dst, err := s.place(tmp, newSHA, MIMEJPEG)
	if err != nil {
		os.Remove(tmp)
		return out, err
	}
	b := img.Bounds()
	out = orig
	out.SHA256, out.Path, out.Size, out.MIME = newSHA, dst, size, MIMEJPEG
	out.Width, out.Height, out.Orientation = b.Dx(), b.Dy(), 1
	return out, nil
}

// writeJPEG encodes img to a synced temp file, hashing it, with the EXIF
// block exifTIFF in an APP1 segment unless it is nil.
func (s *Store) writeJPEG(ctx context.Context, img image.Image, quality int, exifTIFF []byte) (path, sha string, size int64, err error) {
	if err := ctx.Err(); err != nil {
		return "", "", 0, err
	}
	f, err := s.tempFile()
	if err != nil {
		return "", "", 0, err
	}
	path = f.Name()
	if o, ok := img.(interface{ Opaque() bool }); ok && !o.Opaque() {
		img = onWhite(img) // JPEG has no alpha: transparent PNG areas would turn black
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	var w io.Writer = cw
	if exifTIFF != nil {
		w, err = newExifJPEGWriter(cw, exifTIFF)
	}
	if err == nil {
		err = jpeg.Encode(w, img, &jpeg.Options{Quality: quality})
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", "", 0, fmt.Errorf("write jpeg: %w", err)
	}
	return path, hex.EncodeToString(h.Sum(nil)), cw.n, nil
}

func onWhite(img image.Image) image.Image {
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Rect, image.White, image.Point{}, draw.Src)
	draw.Draw(dst, dst.Rect, img, b.Min, draw.Over)
	return dst
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
