package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync/internal/crashpoint"
)

// Blob states for MarkBlobFailed.
const (
	BlobMissingLocal = "missing_local"
	BlobFailed       = "failed"
)

// uploads sends every pending blob; a transient error stops the loop (the
// engine backs off), a per-blob permanent problem is recorded and skipped.
func (e *Engine) uploads(ctx context.Context) (sent bool, err error) {
	ups, err := e.store.PendingUploads(ctx)
	if err != nil {
		return false, fmt.Errorf("pending uploads: %w", err)
	}
	if len(ups) == 0 {
		return false, nil
	}
	var total int64
	prog := make([]streetdesk.UploadProgress, len(ups))
	for i, u := range ups {
		total += u.Size
		prog[i] = streetdesk.UploadProgress{SHA256: u.SHA256, OrderID: u.OrderID, Sent: u.Offset, Total: u.Size}
	}
	e.update(func(s *streetdesk.SyncStatus) {
		s.Uploads, s.BytesTotal, s.BytesSent = prog, total, 0
	})
	var before int64
	for i, u := range ups {
		err := e.upload(ctx, i, before, u)
		before += u.Size
		if err != nil {
			return true, err
		}
	}
	return true, nil
}

var errRestart = errors.New("restart upload")

func (e *Engine) progress(i int, before, sent int64, bps float64) {
	e.update(func(s *streetdesk.SyncStatus) {
		if i < len(s.Uploads) {
			s.Uploads[i].Sent = sent
			if bps > 0 {
				s.Uploads[i].BytesPerSec = bps
			}
		}
		s.BytesSent = before + sent
	})
}

// upload sends one blob, unless the platform has it already: a tus upload
// created once (its URL saved before the first byte) and resumed from the
// platform's offset after a cut.
func (e *Engine) upload(ctx context.Context, i int, before int64, u Upload) error {
	e.update(func(s *streetdesk.SyncStatus) {
		s.Activity = streetdesk.Msg(streetdesk.MsgSyncUploading, "Name", filepath.Base(u.Path))
	})
	f, err := os.Open(u.Path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return e.store.MarkBlobFailed(ctx, u.SHA256, BlobMissingLocal, "the local photo file is gone")
		}
		return fmt.Errorf("open photo: %w", err)
	}
	defer f.Close()
	url := u.URL
	if url == "" {
		// Before the first byte: the file must still be the photo it names
		// (edited or replaced files are never uploaded under the old name).
		if ok, err := e.sameFile(f, u.SHA256); err != nil || !ok {
			return e.failMissing(ctx, u.SHA256, err)
		}
	}
	stuck := 0
	for {
		if url == "" {
			exists, err := e.client.BlobExists(ctx, u.SHA256)
			if err != nil {
				return err
			}
			if exists {
				e.progress(i, before, u.Size, 0)
				return e.store.MarkBlobVerified(ctx, u.SHA256)
			}
			loc, exists, err := e.client.CreateUpload(ctx, UploadMeta{SHA256: u.SHA256, Size: u.Size,
				Filename: filepath.Base(u.Path), ContentType: u.MIME, OrderID: u.OrderID})
			if err != nil {
				if se := AsError(err); se != nil && se.Kind == KindApp {
					switch se.Status {
					case 413:
						return e.store.MarkBlobFailed(ctx, u.SHA256, BlobFailed, "the platform refused the photo as too large")
					case 415:
						return e.store.MarkBlobFailed(ctx, u.SHA256, BlobFailed, "the platform accepts only JPEG or PNG photos")
					case 400:
						return e.store.MarkBlobFailed(ctx, u.SHA256, BlobFailed, "the platform refused the photo: "+se.Message)
					}
				}
				return err
			}
			if !exists {
				// Persisted before the first byte so a restart resumes
				// this upload instead of creating another.
				if err := e.store.SetUploadURL(ctx, u.SHA256, loc); err != nil {
					return fmt.Errorf("save upload url: %w", err)
				}
				crashpoint.Hit("upload.after_create")
				url = loc
			} else {
				// Raced with another upload of the same photo: HEAD again
				// (bounded, in case the two answers keep disagreeing).
				url = ""
				if stuck++; stuck > e.opts.UploadAlerts {
					return &Error{Kind: KindTransient, Op: "upload", Code: "Restarting", Message: "blob reported present but not found"}
				}
				continue
			}
		}
		err := e.send(ctx, i, before, u, f, url)
		switch {
		case err == nil:
			ok, err := e.client.BlobExists(ctx, u.SHA256)
			if err != nil {
				return err
			}
			if ok {
				delete(e.restarts, u.SHA256)
				_ = e.store.SetUploadURL(ctx, u.SHA256, "")
				return e.store.MarkBlobVerified(ctx, u.SHA256)
			}
			// Finished but not there (the platform dropped it): start over.
			fallthrough
		case errors.Is(err, errRestart):
			if err := e.store.SetUploadURL(ctx, u.SHA256, ""); err != nil {
				return err
			}
			url = ""
			stuck++
			if stuck > e.opts.UploadAlerts {
				return &Error{Kind: KindTransient, Op: "upload", Code: "Restarting", Message: "upload keeps restarting"}
			}
		case isChecksum(err):
			ok, herr := e.sameFile(f, u.SHA256)
			if herr != nil || !ok {
				return e.failMissing(ctx, u.SHA256, herr)
			}
			e.restarts[u.SHA256]++
			if e.restarts[u.SHA256] >= e.opts.UploadAlerts {
				delete(e.restarts, u.SHA256)
				_ = e.store.SetUploadURL(ctx, u.SHA256, "")
				return e.store.MarkBlobFailed(ctx, u.SHA256, BlobFailed,
					fmt.Sprintf("the platform found a different checksum %d times in a row", e.opts.UploadAlerts))
			}
			if err := e.store.SetUploadURL(ctx, u.SHA256, ""); err != nil {
				return err
			}
			url = ""
		default:
			return err
		}
	}
}

func isChecksum(err error) bool {
	se := AsError(err)
	return se != nil && (se.Status == StatusChecksumMismatch || se.Status == 422)
}

func (e *Engine) failMissing(ctx context.Context, sha string, err error) error {
	msg := "the local photo file was changed or damaged"
	if err != nil {
		msg = "the local photo file cannot be read: " + err.Error()
	}
	if ferr := e.store.MarkBlobFailed(ctx, sha, BlobMissingLocal, msg); ferr != nil {
		return ferr
	}
	return nil
}

// sameFile re-hashes the file and compares it with its name.
func (e *Engine) sameFile(f *os.File, sha string) (bool, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, 1<<62)); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil)) == sha, nil
}

// send PATCHes from the platform's offset to the end. After a broken PATCH
// it asks HEAD for the offset and goes on while progress is being made; a
// failure with no progress is returned to the engine's backoff.
func (e *Engine) send(ctx context.Context, i int, before int64, u Upload, f *os.File, url string) error {
	patched := false
	noProgress := 0
	for {
		off, _, err := e.client.UploadOffset(ctx, url)
		if err != nil {
			if se := AsError(err); se != nil && (se.Status == 404 || se.Status == 410 || se.Status == 403) {
				return errRestart
			}
			return err
		}
		if off >= u.Size {
			return nil
		}
		e.progress(i, before, off, 0)
		for off < u.Size {
			n := min(e.chunk, u.Size-off)
			start := e.opts.Clock.Now()
			wall := time.Now()
			var sentNow int64
			newOff, err := e.client.PatchUpload(ctx, url, f, off, n, func(sent int64) {
				sentNow = sent
				e.progress(i, before, off+sent, 0)
			})
			e.count(func(s *Stats) { s.UploadBytes += sentNow })
			if err != nil {
				se := AsError(err)
				switch {
				case ctx.Err() != nil:
					return err
				case se != nil && (se.Status == 404 || se.Status == 410):
					return errRestart
				case isChecksum(err):
					return err
				case se != nil && se.Kind != KindTransient && se.Status != 409:
					return err
				}
				// 409 (stale offset) or a broken connection: HEAD, resume.
				noProgress++
				if noProgress > 3 {
					if se != nil && se.Status == 409 {
						// The platform may still be finishing the broken
						// PATCH; back off and resume later.
						se.Kind = KindTransient
					}
					return err
				}
				break
			}
			if !patched {
				patched = true
				crashpoint.Hit("upload.mid_patch")
			}
			noProgress = 0
			e.adapt(n, e.opts.Clock.Now().Sub(start), time.Since(wall))
			bps := 0.0
			if s := time.Since(wall).Seconds(); s > 0 {
				bps = float64(newOff-off) / s
			}
			off = newOff
			_ = e.store.SetUploadProgress(ctx, u.SHA256, off)
			e.progress(i, before, off, bps)
		}
		if off >= u.Size {
			return nil
		}
	}
}

// adapt aims at 10–30 s per chunk within [MinChunk, MaxChunk].
func (e *Engine) adapt(n int64, _ time.Duration, took time.Duration) {
	switch {
	case took < 10*time.Second && n >= e.chunk:
		e.chunk = min(e.chunk*2, e.opts.MaxChunk)
	case took > 30*time.Second:
		e.chunk = max(e.chunk/2, e.opts.MinChunk)
	}
}
