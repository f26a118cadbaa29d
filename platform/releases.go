package platform

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/streetdesk/streetdesk"
)

// releases serves the desktop app's packages from the folder `make package`
// fills (dist/): GET /v1/client/latest?os=&arch=[&format=] names the newest
// and GET /v1/client/download/{file} serves it, with Range requests so a
// download over a flaky network resumes. Both need a signed-in user of any
// role. The folder is read on every request (a release is published by
// copying files in); hashes are cached per file name, size and modification
// time. When the folder has a SHA256SUMS, every package must match it.
type releases struct {
	dir string

	mu     sync.Mutex
	hashes map[string]fileHash
}

type fileHash struct {
	size  int64
	mod   time.Time
	sum   string
	error error
}

func newReleases(dir string) *releases {
	return &releases{dir: dir, hashes: map[string]fileHash{}}
}

// defaultFormat is the package a desk gets unless it asks for another.
var defaultFormat = map[string]string{"windows": streetdesk.FormatZip, "linux": streetdesk.FormatDeb}

// latest returns the newest package for osName/arch in format.
func (rs *releases) latest(osName, arch, format string) (*streetdesk.ClientRelease, error) {
	entries, err := os.ReadDir(rs.dir)
	if err != nil {
		return nil, fmt.Errorf("read releases folder: %w", err)
	}
	sums, err := readSums(filepath.Join(rs.dir, "SHA256SUMS"))
	if err != nil {
		return nil, err
	}
	var best *streetdesk.ClientRelease
	var bestV streetdesk.Version
	for _, e := range entries {
		r, ok := streetdesk.ParseReleaseFileName(e.Name())
		if !ok || !e.Type().IsRegular() || r.OS != osName || r.Arch != arch || r.Format != format {
			continue
		}
		v, _ := streetdesk.ParseVersion(r.Version)
		if best != nil && v.Compare(bestV) <= 0 {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		r.Size, r.Published = info.Size(), info.ModTime().UTC()
		best, bestV = &r, v
	}
	if best == nil {
		return nil, streetdesk.Errorf(streetdesk.ENOTFOUND, "no package for %s/%s (%s) is published on this platform", osName, arch, format)
	}
	sum, err := rs.hash(best.File)
	if err != nil {
		return nil, err
	}
	if want, ok := sums[best.File]; ok && want != sum {
		return nil, fmt.Errorf("release %s does not match its line in SHA256SUMS: refusing to offer it", best.File)
	}
	best.SHA256 = sum
	best.URL = "/v1/client/download/" + url.PathEscape(best.File)
	return best, nil
}

// hash returns the file's SHA-256, computed once per name, size and time.
func (rs *releases) hash(name string) (string, error) {
	p := filepath.Join(rs.dir, name)
	info, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("release %s: %w", name, err)
	}
	rs.mu.Lock()
	h, ok := rs.hashes[name]
	rs.mu.Unlock()
	if ok && h.size == info.Size() && h.mod.Equal(info.ModTime()) {
		return h.sum, h.error
	}
	h = fileHash{size: info.Size(), mod: info.ModTime()}
	h.sum, h.error = sha256File(p)
	rs.mu.Lock()
	rs.hashes[name] = h
	rs.mu.Unlock()
	return h.sum, h.error
}

func sha256File(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", filepath.Base(p), err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readSums reads a sha256sum file ("HEX  NAME" or "HEX *NAME" lines); a
// missing file is an empty map.
func readSums(p string) (map[string]string, error) {
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	} else if err != nil {
		return nil, fmt.Errorf("read SHA256SUMS: %w", err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), " ")
		if !ok || len(sum) != 64 {
			continue
		}
		sums[strings.TrimPrefix(strings.TrimSpace(name), "*")] = strings.ToLower(sum)
	}
	return sums, sc.Err()
}

func (s *Server) handleClientLatest(w http.ResponseWriter, r *http.Request, _ *streetdesk.User) {
	if s.releases == nil {
		writeError(w, http.StatusNotFound, streetdesk.ENOTFOUND, "this platform publishes no desktop packages")
		return
	}
	q := r.URL.Query()
	osName, arch, format := q.Get("os"), q.Get("arch"), q.Get("format")
	if format == "" {
		format = defaultFormat[osName]
	}
	if streetdesk.ReleaseFileName("0.0.0", osName, arch, format) == "" || (arch != "amd64" && arch != "arm64") {
		writeError(w, http.StatusBadRequest, streetdesk.EINVALID, "os must be windows or linux, arch amd64 or arm64, format zip (windows), deb or tar.xz (linux)")
		return
	}
	rel, err := s.releases.latest(osName, arch, format)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rel)
}

func (s *Server) handleClientDownload(w http.ResponseWriter, r *http.Request, _ *streetdesk.User) {
	name := r.PathValue("file")
	if _, ok := streetdesk.ParseReleaseFileName(name); !ok || s.releases == nil {
		writeError(w, http.StatusNotFound, streetdesk.ENOTFOUND, "no such package")
		return
	}
	f, err := os.Open(filepath.Join(s.releases.dir, name))
	if err != nil {
		writeError(w, http.StatusNotFound, streetdesk.ENOTFOUND, "no such package")
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		writeError(w, http.StatusNotFound, streetdesk.ENOTFOUND, "no such package")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	http.ServeContent(w, r, name, info.ModTime(), f)
}
