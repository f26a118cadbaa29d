// Package evidence writes and verifies an order's evidence package (证据包):
// one zip with the order and its timeline (JSON and a printable Chinese
// HTML page), every photo with its SHA-256 and EXIF summary, the photo
// evidence checks, the order's entries of the action log, and a manifest of
// the SHA-256 of every file. Verify recomputes everything offline from the
// zip alone and says what does not match. The package uses only the
// standard library (archive/zip).
package evidence

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"time"

	"github.com/streetdesk/streetdesk"
)

// Format names the layout; Verify refuses others.
const Format = "streetdesk-evidence/1"

// The files of a package.
const (
	FileManifest = "manifest.json"
	FileOrder    = "order.json"
	FileHTML     = "order.html"
	FilePhotos   = "photos.json"
	FileChecks   = "checks.json"
	FileChain    = "chain.json"
	FileReadme   = "README.txt"
	DirPhotos    = "photos/"
)

// Package is what an evidence package holds.
type Package struct {
	Order       streetdesk.WorkOrder
	Timeline    []streetdesk.TimelineEntry
	Notes       []streetdesk.LocalNote
	Resolutions []streetdesk.LocalResolution
	Photos      []Photo
	// Checks are the photo checks at CreatedAt under Policy.
	Checks []streetdesk.EvidenceCheck
	Policy Policy
	// Chain is the order's part of the action log (streetdesk.DB.OrderChain).
	Chain     []streetdesk.ChainEntry
	ClientID  string
	CreatedBy streetdesk.User
	CreatedAt time.Time
}

// Policy records the thresholds the checks used, so Verify can recompute
// them.
type Policy struct {
	RadiusM          float64 `json:"radiusM"`
	ClockToleranceMS int64   `json:"clockToleranceMs"`
}

// PolicyOf returns what p decides for an order of category c.
func PolicyOf(p streetdesk.EvidencePolicy, c streetdesk.Category) Policy {
	tol := p.ClockTolerance
	if tol <= 0 {
		tol = streetdesk.DefaultClockTolerance
	}
	return Policy{RadiusM: p.Radius(c), ClockToleranceMS: tol.Milliseconds()}
}

func (p Policy) evidencePolicy() streetdesk.EvidencePolicy {
	return streetdesk.EvidencePolicy{RadiusM: p.RadiusM, ClockTolerance: time.Duration(p.ClockToleranceMS) * time.Millisecond}
}

// Photo is one photo of the order.
type Photo struct {
	Ref  streetdesk.PhotoRef
	Exif Exif
	// Open reads the photo's bytes; nil when they are not on this computer
	// (the package then lists the photo without its file).
	Open func() (io.ReadCloser, error)
}

// Exif is the summary of what a photo's EXIF said.
type Exif struct {
	TakenAt     time.Time `json:"takenAt,omitzero"`
	ZoneAssumed bool      `json:"zoneAssumed,omitempty"`
	Lat         float64   `json:"lat,omitempty"`
	Lng         float64   `json:"lng,omitempty"`
	HasGPS      bool      `json:"hasGps"`
	Camera      string    `json:"camera,omitempty"`
	Orientation int       `json:"orientation,omitempty"`
	Width       int       `json:"width,omitempty"`
	Height      int       `json:"height,omitempty"`
}

// Manifest is manifest.json: the package's description and the SHA-256 of
// every other file.
type Manifest struct {
	Format    string    `json:"format"`
	OrderID   string    `json:"orderId"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy"`
	ClientID  string    `json:"clientId"`
	// ChainHead is the hash of the last action-log entry in chain.json
	// ("" when the log holds nothing about the order).
	ChainHead string         `json:"chainHead"`
	Files     []ManifestFile `json:"files"`
}

// ManifestFile is one file of the package.
type ManifestFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// OrderFile is order.json.
type OrderFile struct {
	Order       streetdesk.WorkOrder           `json:"order"`
	Timeline    []TimelineEntry                `json:"timeline"`
	Notes       []streetdesk.Note              `json:"notes"`
	Resolutions []streetdesk.Resolution        `json:"resolutions"`
	Sync        map[string]streetdesk.ItemSync `json:"sync,omitempty"` // note/resolution id → where it stood at export
}

// TimelineEntry is one line of the timeline in order.json.
type TimelineEntry struct {
	At    time.Time           `json:"at"`
	Kind  string              `json:"kind"`
	Actor string              `json:"actor,omitempty"`
	Text  string              `json:"text,omitempty"`
	Sync  streetdesk.ItemSync `json:"sync,omitempty"`
}

// PhotoEntry is one element of photos.json.
type PhotoEntry struct {
	streetdesk.PhotoRef
	// File is the photo's name in the package ("photos/<sha256>.jpg"), ""
	// when the bytes were not on the exporting computer.
	File string `json:"file"`
	// Missing says why File is empty.
	Missing string `json:"missing,omitempty"`
	Exif    Exif   `json:"exif"`
}

// ChecksFile is checks.json.
type ChecksFile struct {
	Policy Policy                     `json:"policy"`
	Checks []streetdesk.EvidenceCheck `json:"checks"`
}

// Limits of what Write produces and Verify accepts.
const (
	MaxFiles     = 4 + 3 + streetdesk.MaxPhotosPerOrder*2
	MaxJSONBytes = 64 << 20
	// MaxTotalBytes bounds the bytes Verify reads from a package.
	MaxTotalBytes = streetdesk.MaxPhotosPerOrder*streetdesk.MaxPhotoBytes + 5*MaxJSONBytes
)

func photoName(ref streetdesk.PhotoRef) string {
	ext := ".jpg"
	if ref.MIME == "image/png" {
		ext = ".png"
	}
	return DirPhotos + ref.SHA256 + ext
}

func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Written is what Write made: the manifest and the hash of manifest.json.
type Written struct {
	Manifest       *Manifest
	ManifestSHA256 string
	Photos         int // photos stored with their bytes
	MissingPhotos  int // photos listed without them
}

// Write writes p as a zip to w and says what it wrote. Photo bytes are
// checked against their SHA-256 first: a photo whose file on this computer
// no longer matches is listed without its file, and says so.
func Write(w io.Writer, p *Package) (*Written, error) {
	if !streetdesk.ValidOrderID(p.Order.ID) {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "evidence package: bad order id %q", p.Order.ID)
	}
	zw := zip.NewWriter(w)
	m := &Manifest{Format: Format, OrderID: p.Order.ID, CreatedAt: p.CreatedAt.UTC(), CreatedBy: p.CreatedBy.ID, ClientID: p.ClientID}
	if n := len(p.Chain); n > 0 {
		m.ChainHead = p.Chain[n-1].Hash
	}
	add := func(name string, b []byte) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: p.CreatedAt})
		if err != nil {
			return err
		}
		if _, err := fw.Write(b); err != nil {
			return err
		}
		m.Files = append(m.Files, ManifestFile{Name: name, SHA256: streetdesk.SHA256Hex(b), Size: int64(len(b))})
		return nil
	}

	// Photos first: which of them made it decides photos.json.
	var entries []PhotoEntry
	written := map[string]bool{}
	for _, ph := range p.Photos {
		e := PhotoEntry{PhotoRef: ph.Ref, Exif: ph.Exif}
		name := photoName(ph.Ref)
		switch {
		case written[name]:
			e.File = name // the same bytes attached twice
		case ph.Open == nil:
			e.Missing = "not on this computer"
		case !streetdesk.ValidSHA256(ph.Ref.SHA256):
			e.Missing = "bad sha256"
		default:
			n, why, err := copyPhoto(zw, name, ph, p.CreatedAt)
			if err != nil {
				return nil, fmt.Errorf("evidence package: photo %s: %w", ph.Ref.ID, err)
			}
			if why == "" {
				e.File = name
				written[name] = true
				m.Files = append(m.Files, ManifestFile{Name: name, SHA256: ph.Ref.SHA256, Size: n})
			} else {
				e.Missing = why
			}
		}
		entries = append(entries, e)
	}

	of := OrderFile{Order: p.Order, Timeline: []TimelineEntry{}, Notes: []streetdesk.Note{}, Resolutions: []streetdesk.Resolution{},
		Sync: map[string]streetdesk.ItemSync{}}
	for _, t := range p.Timeline {
		of.Timeline = append(of.Timeline, TimelineEntry{At: t.At, Kind: t.Kind, Actor: t.Actor, Text: t.Text, Sync: t.Sync})
	}
	for _, n := range p.Notes {
		of.Notes = append(of.Notes, n.Note)
		of.Sync[n.ID] = n.Sync
	}
	for _, r := range p.Resolutions {
		of.Resolutions = append(of.Resolutions, r.Resolution)
		of.Sync[r.ID] = r.Sync
	}
	if entries == nil {
		entries = []PhotoEntry{}
	}
	checks := p.Checks
	if checks == nil {
		checks = []streetdesk.EvidenceCheck{}
	}
	chain := p.Chain
	if chain == nil {
		chain = []streetdesk.ChainEntry{}
	}
	for _, f := range []struct {
		name string
		v    any
	}{
		{FileOrder, of},
		{FilePhotos, entries},
		{FileChecks, ChecksFile{Policy: p.Policy, Checks: checks}},
		{FileChain, chain},
	} {
		b, err := encodeJSON(f.v)
		if err != nil {
			return nil, fmt.Errorf("evidence package: encode %s: %w", f.name, err)
		}
		if err := add(f.name, b); err != nil {
			return nil, fmt.Errorf("evidence package: %w", err)
		}
	}
	html, err := renderHTML(p, entries)
	if err != nil {
		return nil, fmt.Errorf("evidence package: page: %w", err)
	}
	if err := add(FileHTML, html); err != nil {
		return nil, fmt.Errorf("evidence package: %w", err)
	}
	if err := add(FileReadme, []byte(readme)); err != nil {
		return nil, fmt.Errorf("evidence package: %w", err)
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Name < m.Files[j].Name })
	mb, err := encodeJSON(m)
	if err != nil {
		return nil, fmt.Errorf("evidence package: encode manifest: %w", err)
	}
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: FileManifest, Method: zip.Deflate, Modified: p.CreatedAt})
	if err != nil {
		return nil, fmt.Errorf("evidence package: %w", err)
	}
	if _, err := fw.Write(mb); err != nil {
		return nil, fmt.Errorf("evidence package: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("evidence package: %w", err)
	}
	out := &Written{Manifest: m, ManifestSHA256: streetdesk.SHA256Hex(mb)}
	for _, e := range entries {
		if e.File != "" {
			out.Photos++
		} else {
			out.MissingPhotos++
		}
	}
	return out, nil
}

// copyPhoto hashes the photo and, when it matches its SHA-256, stores it
// (JPEG and PNG do not deflate: stored as is). A photo that cannot be read
// or does not match is not stored; why says so. err is a failure to write.
func copyPhoto(zw *zip.Writer, name string, ph Photo, at time.Time) (n int64, why string, err error) {
	sum, n, err := hashOf(ph.Open)
	switch {
	case err != nil:
		return 0, "the file on this computer cannot be read", nil
	case sum != ph.Ref.SHA256:
		return 0, "the file on this computer does not match its SHA-256", nil
	}
	rc, err := ph.Open()
	if err != nil {
		return 0, "the file on this computer cannot be read", nil
	}
	defer rc.Close()
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: at})
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(fw, h), io.LimitReader(rc, n)); err != nil {
		return 0, "", err
	}
	if hex.EncodeToString(h.Sum(nil)) != sum {
		// The entry is already in the zip: the package would lie.
		return 0, "", errors.New("the file changed while it was being copied; export again")
	}
	return n, "", nil
}

func hashOf(open func() (io.ReadCloser, error)) (string, int64, error) {
	rc, err := open()
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rc, streetdesk.MaxPhotoBytes+1))
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// cleanName reports whether name is a plain relative path inside the
// package: no absolute path, drive, backslash, "." or ".." element.
func cleanName(name string) bool {
	if name == "" || len(name) > 255 || path.IsAbs(name) || path.Clean(name) != name {
		return false
	}
	for _, c := range name {
		if c == '\\' || c == ':' || c < 0x20 || c == 0x7f {
			return false
		}
	}
	for _, el := range bytes.Split([]byte(name), []byte("/")) {
		if s := string(el); s == "" || s == "." || s == ".." {
			return false
		}
	}
	return true
}

const readme = `StreetDesk 证据包 / evidence package
========================================

本压缩包由 StreetDesk 导出，包含一张工单的：
  order.html   可打印的工单、时间线、照片与检查结果（中文）
  order.json   工单、时间线、备注与办结内容
  photos.json  每张照片的 SHA-256 与 EXIF 摘要；照片本身在 photos/ 下，以 SHA-256 命名
  checks.json  照片证据检查（拍摄时间、地点、重复使用）及承办人的说明
  chain.json   本机操作记录链（审计链）中与该工单有关的条目；其他工单的条目只保留哈希
  manifest.json 以上每个文件的 SHA-256

核验（离线）：streetdesk evidence verify 本文件.zip
它会重新计算每个文件、每张照片和操作记录链的哈希，并指出任何不一致之处。

This zip was exported by StreetDesk. To verify it offline, run
"streetdesk evidence verify FILE.zip": it recomputes every hash and reports
what does not match.
`
