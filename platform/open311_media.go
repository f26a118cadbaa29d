package platform

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png" // DecodeConfig of PNG photos
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/media"
)

// Open311's media_url: a photo the caseworker marked publishable
// (PhotoRef.Shown), served to anyone at /open311/v2/media/{sha256}.jpg as a
// new JPEG, upright, without the original's metadata: EXIF may name the
// camera's owner or serial number and times the public answer does not
// show. The clean copy is made once and kept under MEDIA/public.

// open311MediaURL is the public URL of an order's newest publishable photo,
// or "".
func open311MediaURL(base string, photos []streetdesk.PhotoRef) string {
	for i := len(photos) - 1; i >= 0; i-- {
		if photos[i].Shown() {
			return base + open311Prefix + "media/" + photos[i].SHA256 + ".jpg"
		}
	}
	return ""
}

// open311Base is the scheme and host the request came to.
func open311Base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) handleOpen311Media(w http.ResponseWriter, r *http.Request) {
	sha, ok := strings.CutSuffix(r.PathValue("file"), ".jpg")
	if !ok || !streetdesk.ValidSHA256(sha) {
		writeOpen311Error(w, formatJSON, http.StatusNotFound, "no such photo")
		return
	}
	refs, err := s.db.PhotoRefsOf(r.Context(), sha)
	if err != nil {
		s.open311Fail(w, r, formatJSON, err)
		return
	}
	if !slices.ContainsFunc(refs, func(p streetdesk.PhotoRef) bool { return p.Shown() }) {
		writeOpen311Error(w, formatJSON, http.StatusNotFound, "no such photo")
		return
	}
	path, err := s.publicPhoto(sha)
	if err != nil {
		s.open311Fail(w, r, formatJSON, err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeFile(w, r, path)
}

// publicPhoto returns the clean copy of a blob, making it first if needed.
func (s *Server) publicPhoto(sha string) (string, error) {
	dir := filepath.Join(s.cfg.MediaDir, "public")
	path := filepath.Join(dir, sha+".jpg")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	src := s.BlobPath(sha)
	f, err := os.Open(src)
	if err != nil {
		return "", err
	}
	meta := media.ReadMeta(f)
	if _, err := f.Seek(0, 0); err != nil {
		_ = f.Close() // read only
		return "", err
	}
	cfg, _, err := image.DecodeConfig(f)
	_ = f.Close() // read only
	if err != nil || cfg.Width*cfg.Height > streetdesk.MaxPhotoPixels {
		return "", streetdesk.Errorf(streetdesk.ENOTFOUND, "the photo cannot be shown")
	}
	img, err := media.LoadOriented(src, meta.Orientation)
	if err != nil {
		return "", streetdesk.Errorf(streetdesk.ENOTFOUND, "the photo cannot be shown")
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		return "", fmt.Errorf("public photo: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, sha+".*.tmp")
	if err != nil {
		return "", err
	}
	_, err = tmp.Write(buf.Bytes())
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name()) // best effort: a later request makes it again
		return "", fmt.Errorf("public photo: %w", err)
	}
	return path, nil
}
