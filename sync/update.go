package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/streetdesk/streetdesk"
)

// CodeChecksumMismatch: a downloaded package did not hash to the SHA-256
// the platform announced; the file was deleted.
const CodeChecksumMismatch = "checksum_mismatch"

type releaseResponse struct{ streetdesk.ClientRelease }

func (r *releaseResponse) validate() error {
	if _, ok := streetdesk.ParseReleaseFileName(r.File); !ok {
		return fmt.Errorf("release answer names no package file (%q)", r.File)
	}
	if b, err := hex.DecodeString(r.SHA256); err != nil || len(b) != sha256.Size {
		return errors.New("release answer without a SHA-256")
	}
	if r.URL == "" || r.Size <= 0 {
		return errors.New("release answer without URL or size")
	}
	return nil
}

// LatestRelease asks the platform for the newest package for this OS,
// architecture and format ("" = the platform's default for the OS). A
// platform that publishes none answers an *Error with Status 404.
func (c *Client) LatestRelease(ctx context.Context, osName, arch, format string) (*streetdesk.ClientRelease, error) {
	q := url.Values{"os": {osName}, "arch": {arch}}
	if format != "" {
		q.Set("format", format)
	}
	var out releaseResponse
	if err := c.do(ctx, call{op: "release.latest", method: http.MethodGet, path: "/v1/client/latest", query: q, out: &out, auth: true}); err != nil {
		return nil, err
	}
	return &out.ClientRelease, nil
}

// DownloadRelease downloads rel into dir and returns the file's path once
// its size and SHA-256 match rel. An interrupted download is kept as
// FILE.part and resumed with a Range request next time; a file that does
// not match is deleted and the error's Code is CodeChecksumMismatch.
// progress, if set, is called with the bytes on disk so far.
func (c *Client) DownloadRelease(ctx context.Context, rel streetdesk.ClientRelease, dir string, progress func(done int64)) (string, error) {
	const op = "release.download"
	if _, ok := streetdesk.ParseReleaseFileName(rel.File); !ok {
		return "", &Error{Kind: KindApp, Op: op, Code: streetdesk.EINVALID, Message: "not a package file name: " + rel.File}
	}
	u, err := c.base.Parse(rel.URL)
	if err != nil || u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		// The bearer token goes only to the platform itself.
		return "", &Error{Kind: KindApp, Op: op, Code: streetdesk.EINVALID, Message: "the download address is not on the platform: " + rel.URL}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	final := filepath.Join(dir, rel.File)
	if ok, _ := FileMatches(final, rel.SHA256, rel.Size); ok {
		return final, nil
	}
	part := final + ".part"
	f, err := os.OpenFile(part, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	defer func() { // runs after the Close below: an empty partial file is no use
		if info, err := os.Stat(part); err == nil && info.Size() == 0 {
			os.Remove(part)
		}
	}()
	defer f.Close()
	h := sha256.New()
	have, err := io.Copy(h, f) // what an earlier attempt left
	if err != nil {
		return "", fmt.Errorf("%s: read partial download: %w", op, err)
	}
	if have >= rel.Size {
		have, h = 0, sha256.New()
	}
	if err := f.Truncate(have); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if _, err := f.Seek(have, io.SeekStart); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, rid, err := c.raw(ctx, op, func(ctx context.Context) (*http.Request, string, error) {
		req, rid, err := c.newReq(ctx, http.MethodGet, u.String(), nil)
		if err == nil && have > 0 {
			req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
		}
		return req, rid, err
	})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent && have > 0:
	case resp.StatusCode == http.StatusOK:
		// The whole file (the server ignored the Range): start over.
		if have > 0 {
			if err := restart(f); err != nil {
				return "", fmt.Errorf("%s: %w", op, err)
			}
			have, h = 0, sha256.New()
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		// The published file changed under us: the next attempt starts over.
		_ = restart(f)
		return "", &Error{Kind: KindTransient, Op: op, Status: resp.StatusCode, RequestID: rid, Message: "the package changed during the download; starting over"}
	default:
		return "", rawError(op, rid, resp)
	}
	if isHTML(resp.Header) || isJSON(resp.Header) {
		return "", &Error{Kind: KindTransient, Op: op, Status: resp.StatusCode, Code: CodeCaptivePortal, RequestID: rid, Message: "the answer was not a package; a network login page?"}
	}

	// A stalled connection is given up after PatchIdleTimeout without a byte.
	idle := time.AfterFunc(c.opts.PatchIdleTimeout, cancel)
	defer idle.Stop()
	body := io.LimitReader(resp.Body, rel.Size-have+1)
	done := have
	buf := make([]byte, 64<<10)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			idle.Reset(c.opts.PatchIdleTimeout)
			if _, err := f.Write(buf[:n]); err != nil {
				return "", fmt.Errorf("%s: write: %w", op, err)
			}
			h.Write(buf[:n])
			done += int64(n)
			if progress != nil {
				progress(done)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return "", netError(op, rid, rerr)
		}
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); done != rel.Size || got != rel.SHA256 {
		f.Close()
		os.Remove(part)
		return "", &Error{Kind: KindApp, Op: op, Code: CodeChecksumMismatch, RequestID: rid,
			Message: fmt.Sprintf("the downloaded %s (%d bytes, SHA-256 %.12s…) does not match the platform's (%d bytes, %.12s…); it was deleted", rel.File, done, got, rel.Size, rel.SHA256)}
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if err := os.Rename(part, final); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	return final, nil
}

func restart(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

// FileMatches reports whether the file at path has the given size and SHA-256.
func FileMatches(path, sha string, size int64) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return false, err
	}
	return n == size && hex.EncodeToString(h.Sum(nil)) == sha, nil
}
