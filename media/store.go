// Package media stores photos on the caseworker's disk, content-addressed by
// SHA-256: import with validation and EXIF, thumbnails, optional downscale,
// verified downloads and the startup reconcile.
//
// Layout under the media directory:
//
//	tmp/<random>.part       files being written (swept after 24 h)
//	sha256/ab/<hex>.jpg|png  the photos, named by the hash of their bytes
//	thumbs/<hex>-<side>.jpg  orientation-corrected thumbnails (a cache)
package media

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
)

// MIME types of the photos we keep.
const (
	MIMEJPEG = "image/jpeg"
	MIMEPNG  = "image/png"
)

// Options tune a Store. Zero values take the defaults.
type Options struct {
	Now       func() time.Time
	Logger    *slog.Logger
	MaxPixels int64 // default streetdesk.MaxPhotoPixels
	MaxBytes  int64 // default streetdesk.MaxPhotoBytes
}

// Store is a content-addressed photo directory. It is safe for concurrent
// use: every file appears by an atomic rename of a complete, synced temp file.
type Store struct {
	dir       string
	now       func() time.Time
	log       *slog.Logger
	maxPixels int64
	maxBytes  int64
	decode    chan struct{} // bounds concurrent full decodes (memory)
}

// Open opens (creating if needed) the media directory dir.
func Open(dir string, opts Options) (*Store, error) {
	s := &Store{
		dir:       dir,
		now:       opts.Now,
		log:       opts.Logger,
		maxPixels: opts.MaxPixels,
		maxBytes:  opts.MaxBytes,
		decode:    make(chan struct{}, 2),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxPixels <= 0 {
		s.maxPixels = streetdesk.MaxPhotoPixels
	}
	if s.maxBytes <= 0 {
		s.maxBytes = streetdesk.MaxPhotoBytes
	}
	for _, d := range []string{"tmp", "sha256", "thumbs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("open media directory: %w", err)
		}
	}
	return s, nil
}

// Dir returns the media directory.
func (s *Store) Dir() string { return s.dir }

// The refusals the UI shows (translated). Each is a streetdesk.Error with
// code EINVALID and one of these messages.
const (
	MsgHEIC     = "HEIC photos are not supported; export them as JPEG first"
	MsgNotPhoto = "this file is not a photo (JPEG or PNG)"
	MsgDamaged  = "the photo is damaged or incomplete"
	MsgEmpty    = "the file is empty"
	// MsgTooManyPixels and MsgTooManyBytes are formats: with the default
	// limits they read "... (more than 100 megapixels)" and "... than 50 MiB".
	MsgTooManyPixels = "the photo is too large (more than %d megapixels)"
	MsgTooManyBytes  = "the file is larger than %d MiB"
	MsgHashMismatch  = "the downloaded photo does not match its checksum"
)

// sayMsg is what each refusal tells a person.
var sayMsg = map[string]streetdesk.MsgCode{
	MsgHEIC:         streetdesk.MsgErrPhotoHEIC,
	MsgNotPhoto:     streetdesk.MsgErrNotPhoto,
	MsgDamaged:      streetdesk.MsgErrPhotoDamaged,
	MsgEmpty:        streetdesk.MsgErrFileEmpty,
	MsgHashMismatch: streetdesk.MsgErrPhotoChecksum,
}

func invalid(msg string) error {
	return streetdesk.Errorf(streetdesk.EINVALID, "%s", msg).Saying(streetdesk.Msg(sayMsg[msg]))
}

func (s *Store) errTooManyPixels() error {
	mp := s.maxPixels / 1_000_000
	return streetdesk.Errorf(streetdesk.EINVALID, MsgTooManyPixels, mp).Saying(streetdesk.Msg(streetdesk.MsgErrTooManyPixels, "MP", mp))
}

func (s *Store) errTooManyBytes() error {
	mib := s.maxBytes >> 20
	return streetdesk.Errorf(streetdesk.EINVALID, MsgTooManyBytes, mib).Saying(streetdesk.Msg(streetdesk.MsgErrTooManyBytes, "MiB", mib))
}

// Path returns where the photo with this hash and MIME type lives (whether
// or not it exists); "" if sha is not 64 lowercase hex digits, so a bad
// database value can never name a file outside the store.
func (s *Store) Path(sha, mime string) string {
	if !streetdesk.ValidSHA256(sha) {
		return ""
	}
	ext := ".jpg"
	if mime == MIMEPNG {
		ext = ".png"
	}
	return filepath.Join(s.dir, "sha256", sha[:2], sha+ext)
}

// Has reports whether the photo with this hash is on disk, and where.
func (s *Store) Has(sha string) (string, bool) {
	if !streetdesk.ValidSHA256(sha) {
		return "", false
	}
	for _, mime := range []string{MIMEJPEG, MIMEPNG} {
		p := s.Path(sha, mime)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, true
		}
	}
	return "", false
}

// Missing returns the hashes among shas whose files are not on disk.
func (s *Store) Missing(shas []string) []string {
	var out []string
	for _, sha := range shas {
		if _, ok := s.Has(sha); !ok {
			out = append(out, sha)
		}
	}
	return out
}

// Import copies the photo at srcPath into the store. See ImportReader.
func (s *Store) Import(ctx context.Context, srcPath string) (streetdesk.ImportedPhoto, error) {
	f, err := os.Open(srcPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return streetdesk.ImportedPhoto{}, streetdesk.Errorf(streetdesk.ENOTFOUND, "photo file not found: %s", filepath.Base(srcPath))
		}
		return streetdesk.ImportedPhoto{}, fmt.Errorf("open photo: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		switch {
		case fi.IsDir():
			return streetdesk.ImportedPhoto{}, invalid(MsgNotPhoto)
		case fi.Mode().IsRegular() && fi.Size() > s.maxBytes:
			return streetdesk.ImportedPhoto{}, s.errTooManyBytes()
		}
	}
	return s.ImportReader(ctx, f)
}

// ImportReader streams a photo into the store while hashing it, syncs it,
// validates it (JPEG or PNG, not damaged, at most MaxPixels by its header
// before any full decode) and renames it to its content address. Importing
// the same bytes twice keeps one file. EXIF that cannot be read yields no
// metadata, never an error.
func (s *Store) ImportReader(ctx context.Context, r io.Reader) (streetdesk.ImportedPhoto, error) {
	tmp, sha, size, err := s.spool(ctx, r)
	if err != nil {
		return streetdesk.ImportedPhoto{}, err
	}
	defer os.Remove(tmp) // no-op after the rename
	p, err := s.inspect(ctx, tmp)
	if err != nil {
		return streetdesk.ImportedPhoto{}, err
	}
	p.SHA256, p.Size = sha, size
	p.Path, err = s.place(tmp, sha, p.MIME)
	if err != nil {
		return streetdesk.ImportedPhoto{}, err
	}
	s.log.DebugContext(ctx, "photo imported", "sha256", sha, "bytes", size, "mime", p.MIME)
	return p, nil
}

// spool writes r to a new temp file, hashing it, and syncs it. Files over
// MaxBytes and empty files are refused.
func (s *Store) spool(ctx context.Context, r io.Reader) (path, sha string, size int64, err error) {
	f, err := s.tempFile()
	if err != nil {
		return "", "", 0, err
	}
	name := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(name)
		}
	}()
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(f, h), io.LimitReader(ctxReader{ctx, r}, s.maxBytes+1))
	if err != nil {
		return "", "", 0, fmt.Errorf("copy photo: %w", err)
	}
	switch {
	case size == 0:
		return "", "", 0, invalid(MsgEmpty)
	case size > s.maxBytes:
		return "", "", 0, s.errTooManyBytes()
	}
	if err := f.Sync(); err != nil {
		return "", "", 0, fmt.Errorf("sync photo: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", "", 0, fmt.Errorf("close photo: %w", err)
	}
	return name, hex.EncodeToString(h.Sum(nil)), size, nil
}

func (s *Store) tempFile() (*os.File, error) {
	var b [12]byte
	rand.Read(b[:])
	f, err := os.OpenFile(filepath.Join(s.dir, "tmp", hex.EncodeToString(b[:])+".part"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create temp file: %w", err)
	}
	return f, nil
}

// place renames a complete temp file to the content address of sha. If the
// photo is already there the temp file is dropped.
func (s *Store) place(tmp, sha, mime string) (string, error) {
	dst := s.Path(sha, mime)
	if _, err := os.Stat(dst); err == nil {
		os.Remove(tmp)
		return dst, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", fmt.Errorf("place photo: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return "", fmt.Errorf("place photo: %w", err)
	}
	syncDir(filepath.Dir(dst))
	return dst, nil
}

// syncDir makes a rename durable where the platform supports it (not on
// Windows, where opening a directory for sync fails; NTFS journals renames).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Format sniffing. Only the first bytes are looked at, never the name.
type format int

const (
	formatUnknown format = iota
	formatJPEG
	formatPNG
	formatHEIC
)

func sniff(head []byte) format {
	switch {
	case bytes.HasPrefix(head, jpegMagic):
		return formatJPEG
	case bytes.HasPrefix(head, pngMagic):
		return formatPNG
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		switch string(head[8:12]) {
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1":
			return formatHEIC
		}
	}
	return formatUnknown
}

// inspect validates the spooled file and reads its dimensions and EXIF.
func (s *Store) inspect(ctx context.Context, path string) (streetdesk.ImportedPhoto, error) {
	var p streetdesk.ImportedPhoto
	f, err := os.Open(path)
	if err != nil {
		return p, fmt.Errorf("inspect photo: %w", err)
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	var decodeConfig func(io.Reader) (image.Config, error)
	var decode func(io.Reader) (image.Image, error)
	switch sniff(head[:n]) {
	case formatJPEG:
		p.MIME, decodeConfig, decode = MIMEJPEG, jpeg.DecodeConfig, jpeg.Decode
	case formatPNG:
		p.MIME, decodeConfig, decode = MIMEPNG, png.DecodeConfig, png.Decode
	case formatHEIC:
		return p, invalid(MsgHEIC)
	default:
		return p, invalid(MsgNotPhoto)
	}
	// Dimensions from the header alone: a decompression bomb is refused here,
	// before a single pixel is allocated.
	cfg, err := decodeConfig(rewind(f))
	if err != nil {
		return p, invalid(MsgDamaged)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return p, invalid(MsgDamaged)
	}
	if int64(cfg.Width)*int64(cfg.Height) > s.maxPixels {
		return p, s.errTooManyPixels()
	}
	p.Width, p.Height = cfg.Width, cfg.Height
	if err := ctx.Err(); err != nil {
		return p, err
	}
	// A progressive JPEG may hold any number of scans, each a pass over every
	// block: thousands of tiny scans make the decode run for minutes. Cameras
	// write at most a dozen.
	if p.MIME == MIMEJPEG {
		if n, err := countScans(rewind(f), maxScans+1); err != nil {
			return p, fmt.Errorf("inspect photo: %w", err)
		} else if n > maxScans {
			return p, invalid(MsgDamaged)
		}
	}
	// A full decode proves the pixel data is complete (a truncated scan
	// passes DecodeConfig).
	if err := s.acquire(ctx); err != nil {
		return p, err
	}
	_, err = decode(rewind(f))
	s.release()
	if err != nil {
		return p, invalid(MsgDamaged)
	}
	m := ReadMeta(rewind(f))
	p.Orientation, p.TakenAt, p.Lat, p.Lng, p.HasGPS, p.Camera = m.Orientation, m.TakenAt, m.Lat, m.Lng, m.HasGPS, m.Camera
	p.ZoneAssumed = m.ZoneAssumed
	return p, nil
}

// maxScans bounds the start-of-scan markers in a JPEG (libjpeg-turbo's
// djpeg -maxscans uses a similar cut-off). Markers inside an embedded EXIF
// thumbnail are counted too, which only makes the bound more generous.
const maxScans = 256

// countScans counts 0xFF 0xDA pairs in r, stopping once it reaches limit.
func countScans(r io.Reader, limit int) (int, error) {
	buf := make([]byte, 64<<10)
	n, prevFF := 0, false
	for n < limit {
		k, err := r.Read(buf)
		b := buf[:k]
		if k > 0 {
			if prevFF && b[0] == 0xda {
				n++
			}
			n += bytes.Count(b, []byte{0xff, 0xda})
			prevFF = b[k-1] == 0xff
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func rewind(f *os.File) io.Reader {
	f.Seek(0, io.SeekStart)
	return f
}

func (s *Store) acquire(ctx context.Context) error {
	select {
	case s.decode <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Store) release() { <-s.decode }

// ctxReader stops a copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// SaveVerified stores a downloaded photo: it streams r to a temp file, checks
// that its SHA-256 is wantSHA256 and renames it into place. On a mismatch the
// temp file is deleted and an EINVALID error returned. A photo already
// present is kept and r is not read.
func (s *Store) SaveVerified(ctx context.Context, r io.Reader, wantSHA256, mime string) (string, int64, error) {
	if !streetdesk.ValidSHA256(wantSHA256) {
		return "", 0, streetdesk.Errorf(streetdesk.EINVALID, "invalid photo hash %q", wantSHA256)
	}
	if mime != MIMEJPEG && mime != MIMEPNG {
		return "", 0, streetdesk.Errorf(streetdesk.EINVALID, "unsupported photo type %q", mime)
	}
	dst := s.Path(wantSHA256, mime)
	if fi, err := os.Stat(dst); err == nil {
		return dst, fi.Size(), nil
	}
	tmp, sha, size, err := s.spool(ctx, r)
	if err != nil {
		return "", 0, err
	}
	if sha != wantSHA256 {
		os.Remove(tmp)
		s.log.WarnContext(ctx, "downloaded photo does not match its hash", "want", wantSHA256, "got", sha)
		return "", 0, invalid(MsgHashMismatch)
	}
	p, err := s.place(tmp, sha, mime)
	if err != nil {
		os.Remove(tmp)
		return "", 0, err
	}
	return p, size, nil
}

// Report is what Reconcile found.
type Report struct {
	SweptTemp int                        // stale temp files deleted
	Orphans   []streetdesk.ImportedPhoto // photo files with no database row, re-hashed: register them
	Corrupt   []string                   // files whose content does not match their name (kept)
	Unknown   []string                   // files under sha256/ that are not named <hex>.jpg|.png (kept)
}

// StaleTemp is how old a temp file must be before Reconcile deletes it.
const StaleTemp = 24 * time.Hour

// Reconcile runs at startup: it deletes temp files older than StaleTemp,
// and re-hashes every photo file known reports false for, listing it as an
// orphan to register or, if its bytes do not match its name, as corrupt.
// Nothing under sha256/ is ever deleted.
func (s *Store) Reconcile(ctx context.Context, known func(sha256 string) bool) (Report, error) {
	var rep Report
	cutoff := s.now().Add(-StaleTemp)
	tmpDir := filepath.Join(s.dir, "tmp")
	ents, err := os.ReadDir(tmpDir)
	if err != nil {
		return rep, fmt.Errorf("reconcile: %w", err)
	}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() || !fi.ModTime().Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(tmpDir, e.Name())); err == nil {
			rep.SweptTemp++
		}
	}
	root := filepath.Join(s.dir, "sha256")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		name := d.Name()
		ext := filepath.Ext(name)
		sha := strings.TrimSuffix(name, ext)
		mime := map[string]string{".jpg": MIMEJPEG, ".png": MIMEPNG}[ext]
		if !streetdesk.ValidSHA256(sha) || mime == "" || filepath.Base(filepath.Dir(path)) != sha[:2] {
			rep.Unknown = append(rep.Unknown, path)
			return nil
		}
		if known(sha) {
			return nil
		}
		got, size, err := hashFile(path)
		if err != nil {
			return err
		}
		if got != sha {
			s.log.WarnContext(ctx, "photo file does not match its name", "path", path, "sha256", got)
			rep.Corrupt = append(rep.Corrupt, path)
			return nil
		}
		p := streetdesk.ImportedPhoto{SHA256: sha, Path: path, Size: size, MIME: mime}
		if f, err := os.Open(path); err == nil {
			if cfg, _, err := image.DecodeConfig(f); err == nil {
				p.Width, p.Height = cfg.Width, cfg.Height
			}
			m := ReadMeta(rewind(f))
			f.Close()
			p.Orientation, p.TakenAt, p.Lat, p.Lng, p.HasGPS, p.Camera = m.Orientation, m.TakenAt, m.Lat, m.Lng, m.HasGPS, m.Camera
			p.ZoneAssumed = m.ZoneAssumed
		}
		rep.Orphans = append(rep.Orphans, p)
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("reconcile: %w", err)
	}
	if rep.SweptTemp > 0 || len(rep.Orphans) > 0 || len(rep.Corrupt) > 0 {
		s.log.InfoContext(ctx, "media reconciled", "swept", rep.SweptTemp, "orphans", len(rep.Orphans), "corrupt", len(rep.Corrupt), "unknown", len(rep.Unknown))
	}
	return rep, nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	var h hash.Hash = sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
