package platform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
	"github.com/tus/tusd/v2/pkg/filelocker"
	"github.com/tus/tusd/v2/pkg/filestore"
	tusd "github.com/tus/tusd/v2/pkg/handler"
	expslog "golang.org/x/exp/slog"
)

// tusStore is what the platform needs from the tus store beside the handler.
type tusStore interface {
	GetUpload(ctx context.Context, id string) (tusd.Upload, error)
}

func (s *Server) uploadDir() string { return filepath.Join(s.cfg.MediaDir, "uploads") }

// BlobPath is where the content store keeps a verified blob.
func (s *Server) BlobPath(sha string) string {
	if len(sha) < 2 {
		return filepath.Join(s.cfg.MediaDir, "sha256", "_invalid")
	}
	return filepath.Join(s.cfg.MediaDir, "sha256", sha[:2], sha)
}

func (s *Server) setupUploads() error {
	store := filestore.New(s.uploadDir())
	locker := filelocker.New(s.uploadDir())
	comp := tusd.NewStoreComposer()
	store.UseIn(comp)
	locker.UseIn(comp)
	h, err := tusd.NewHandler(tusd.Config{
		BasePath:             "/v1/uploads/",
		StoreComposer:        comp,
		MaxSize:              streetdesk.MaxPhotoBytes,
		DisableDownload:      true,
		DisableConcatenation: true,
		// tusd logs through x/exp/slog; its request lines add nothing to ours.
		Logger:                    expslog.New(expslog.NewTextHandler(io.Discard, nil)),
		PreUploadCreateCallback:   s.preCreate,
		PreFinishResponseCallback: s.preFinish,
		Cors:                      &tusd.CorsConfig{Disable: true},
	})
	if err != nil {
		return fmt.Errorf("platform: tus handler: %w", err)
	}
	s.tus, s.tusStore = h, store
	return nil
}

// uploadAuth authenticates every tus request and lets a user touch only their
// own uploads (others' look absent: 404).
func (s *Server) uploadAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		u, err := s.authenticate(r)
		if err != nil {
			s.authFailed(w, r, err)
			return
		}
		id := strings.Trim(strings.TrimPrefix(r.URL.Path, "/v1/uploads"), "/")
		if id != "" {
			up, err := s.db.Upload(r.Context(), id)
			if err != nil && streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
				s.fail(w, r, err)
				return
			}
			if err != nil || up.UserID != u.ID || !validUploadID(id) {
				writeError(w, http.StatusNotFound, streetdesk.ENOTFOUND, "no such upload")
				return
			}
		} else if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, streetdesk.EINVALID, "method not allowed")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxUser, u)))
	})
}

func validUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

func tusError(status int, code, msg string, hdr map[string]string) tusd.Error {
	e := tusd.NewError(code, msg, status)
	b, _ := json.Marshal(streetdesk.ErrorBody{Error: streetdesk.ErrorDetail{Code: code, Message: msg}})
	e.HTTPResponse.Body = string(b) + "\n"
	e.HTTPResponse.Header = tusd.HTTPHeader{"Content-Type": "application/json; charset=utf-8"}
	for k, v := range hdr {
		e.HTTPResponse.Header[k] = v
	}
	return e
}

func metaValue(md tusd.MetaData, keys ...string) string {
	for _, k := range keys {
		if v, ok := md[k]; ok {
			return v
		}
	}
	return ""
}

// preCreate validates a creation (metadata sha256, contentType, size),
// answers dedupe hits, and names the upload.
func (s *Server) preCreate(hook tusd.HookEvent) (tusd.HTTPResponse, tusd.FileInfoChanges, error) {
	var none tusd.HTTPResponse
	u, _ := hook.Context.Value(ctxUser).(*streetdesk.User)
	if u == nil {
		return none, tusd.FileInfoChanges{}, tusError(http.StatusUnauthorized, streetdesk.EUNAUTHORIZED, "sign in first", nil)
	}
	sha := metaValue(hook.Upload.MetaData, "sha256")
	mimeType := metaValue(hook.Upload.MetaData, "contentType", "filetype", "type")
	switch {
	case !streetdesk.ValidSHA256(sha):
		return none, tusd.FileInfoChanges{}, tusError(http.StatusBadRequest, streetdesk.EINVALID, "metadata sha256 must be 64 lowercase hex digits", nil)
	case mimeType != "image/jpeg" && mimeType != "image/png":
		return none, tusd.FileInfoChanges{}, tusError(http.StatusUnsupportedMediaType, streetdesk.EINVALID, "only image/jpeg and image/png are accepted", nil)
	case hook.Upload.SizeIsDeferred || hook.Upload.Size <= 0:
		return none, tusd.FileInfoChanges{}, tusError(http.StatusBadRequest, streetdesk.EINVALID, "Upload-Length is required and must be positive", nil)
	case hook.Upload.Size > streetdesk.MaxPhotoBytes:
		return none, tusd.FileInfoChanges{}, tusError(http.StatusRequestEntityTooLarge, streetdesk.EINVALID, "photo larger than 50 MiB", nil)
	}
	ctx := hook.Context
	_, err := s.db.Blob(ctx, sha)
	if err != nil && streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
		return none, tusd.FileInfoChanges{}, err
	}
	if err == nil {
		// The uploader may read the photo it holds: without the grant a later
		// GET of its own photo would be refused.
		if err := s.db.GrantBlob(ctx, sha, u.ID); err != nil {
			return none, tusd.FileInfoChanges{}, fmt.Errorf("blob access: %w", err)
		}
		return none, tusd.FileInfoChanges{}, tusError(http.StatusOK, "BlobExists", "the platform already has this photo", map[string]string{"X-Blob-Exists": "1"})
	}
	prev, err := s.db.LatestUpload(ctx, u.ID, sha)
	if err == nil {
		if _, gerr := s.tusStore.GetUpload(ctx, prev.ID); gerr == nil {
			loc := "/v1/uploads/" + prev.ID
			return none, tusd.FileInfoChanges{}, tusError(http.StatusConflict, "UploadExists", "an unfinished upload of this photo exists; resume it", map[string]string{"Location": loc})
		}
		if err := s.db.DeleteUpload(ctx, prev.ID); err != nil {
			return none, tusd.FileInfoChanges{}, fmt.Errorf("forget upload %s: %w", prev.ID, err)
		}
	} else if streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
		return none, tusd.FileInfoChanges{}, err
	}
	id := randomHex(16)
	if err := s.db.CreateUpload(ctx, store.Upload{ID: id, UserID: u.ID, SHA256: sha, Size: hook.Upload.Size, MIME: mimeType, Created: s.now()}); err != nil {
		return none, tusd.FileInfoChanges{}, err
	}
	return none, tusd.FileInfoChanges{ID: id, MetaData: tusd.MetaData{"sha256": sha, "contentType": mimeType}}, nil
}

// preFinish re-hashes the stored bytes: a match moves them into the content
// store; a mismatch discards the upload (460, a later HEAD is 404).
func (s *Server) preFinish(hook tusd.HookEvent) (tusd.HTTPResponse, error) {
	ctx := hook.Context
	id := hook.Upload.ID
	up, err := s.db.Upload(ctx, id)
	if err != nil {
		return tusd.HTTPResponse{}, fmt.Errorf("finish upload %s: %w", id, err)
	}
	userID, sha, size, mimeType := up.UserID, up.SHA256, up.Size, up.MIME
	src := filepath.Join(s.uploadDir(), id)
	got, err := hashFile(src)
	if err != nil {
		return tusd.HTTPResponse{}, err
	}
	if got != sha {
		s.log.Warn("upload hash mismatch", "upload", id)
		if err := s.discardUpload(ctx, id); err != nil {
			// The client is told to upload again either way; what is left
			// expires with the other unfinished uploads.
			s.log.Error("discard upload", "upload", id, "err", err)
		}
		return tusd.HTTPResponse{}, tusError(460, "ChecksumMismatch", "the uploaded bytes do not match their SHA-256; upload again", nil)
	}
	dst := s.BlobPath(sha)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return tusd.HTTPResponse{}, err
	}
	if _, err := os.Stat(dst); err == nil {
		s.removeLeftover(src)
	} else if err := os.Rename(src, dst); err != nil {
		return tusd.HTTPResponse{}, fmt.Errorf("store blob: %w", err)
	}
	s.removeLeftover(src + ".info")
	if err := s.blobArrived(ctx, sha, size, mimeType, userID, id); err != nil {
		return tusd.HTTPResponse{}, err
	}
	return tusd.HTTPResponse{Header: tusd.HTTPHeader{"X-Blob-SHA256": sha}}, nil
}

func (s *Server) discardUpload(ctx context.Context, id string) error {
	var errs []error
	if up, err := s.tusStore.GetUpload(ctx, id); err == nil {
		if tu, ok := up.(tusd.TerminatableUpload); ok {
			errs = append(errs, tu.Terminate(ctx))
		}
	}
	for _, f := range []string{id, id + ".info"} {
		if err := os.Remove(filepath.Join(s.uploadDir(), f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := s.db.DeleteUpload(ctx, id); err != nil {
		errs = append(errs, fmt.Errorf("forget upload %s: %w", id, err))
	}
	return errors.Join(errs...)
}

// removeLeftover removes a file the platform no longer needs; a failure
// leaves only disk space behind, so it is logged, not returned.
func (s *Server) removeLeftover(path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("remove leftover file", "path", path, "err", err)
	}
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// blobArrived records a verified blob: photo refs flip to present and
// resolutions waiting for media complete.
func (s *Server) blobArrived(ctx context.Context, sha string, size int64, mimeType, userID, uploadID string) error {
	t, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if err := t.InsertBlob(ctx, sha, store.Blob{Size: size, MIME: mimeType}, t.now); err != nil {
		return err
	}
	if userID != "" {
		if err := t.GrantBlob(ctx, sha, userID); err != nil {
			return err
		}
	}
	if uploadID != "" {
		if err := t.DeleteUpload(ctx, uploadID); err != nil {
			return err
		}
	}
	refs, err := t.PhotoRefsOf(ctx, sha)
	if err != nil {
		return fmt.Errorf("photo refs of %s: %w", sha, err)
	}
	orders := map[string]bool{}
	for i := range refs {
		p := &refs[i]
		if p.BlobPresent {
			continue
		}
		p.BlobPresent = true
		if err := t.UpdatePhotoRef(ctx, p); err != nil {
			return err
		}
		o, _, err := t.Order(ctx, p.WorkOrderID)
		if err != nil {
			return err
		}
		if err := t.touch(ctx, streetdesk.ChangePhotoRef, p.ID, o); err != nil {
			return err
		}
		orders[p.WorkOrderID] = true
	}
	for id := range orders {
		if err := t.recheckEvidence(ctx, id); err != nil {
			return err
		}
		o, sv, err := t.Order(ctx, id)
		if err != nil {
			return err
		}
		if !o.AwaitingMedia {
			continue
		}
		rs, err := t.Resolutions(ctx, id)
		if err != nil {
			return err
		}
		complete := true
		for _, r := range rs {
			if r.State == streetdesk.ResolutionAccepted && r.Cycle == o.Cycle {
				ok, err := t.PhotosPresent(ctx, id, r.PhotoRefIDs)
				if err != nil {
					return err
				}
				complete = complete && ok
			}
		}
		if complete {
			o.AwaitingMedia = false
			if err := t.saveOrder(ctx, o, o.Status, sv); err != nil {
				return err
			}
		}
	}
	return t.Commit()
}

// ExpireUploads discards unfinished uploads older than UploadExpiry and
// returns how many it removed (none while another instance on the database
// runs it). serve runs it periodically.
func (s *Server) ExpireUploads(ctx context.Context) (int, error) {
	// One instance at a time: two would race to discard the same files.
	release, ok, err := s.db.TryJobLock(ctx, "expire-uploads")
	if err != nil || !ok {
		return 0, err
	}
	defer release()
	ids, err := s.db.UploadsBefore(ctx, s.now().Add(-s.cfg.UploadExpiry))
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, id := range ids {
		errs = append(errs, s.discardUpload(ctx, id))
	}
	return len(ids), errors.Join(errs...)
}

// handleBlob serves HEAD/GET /v1/blobs/sha256/{hex} to users who may see it:
// centre roles, whoever uploaded it, and whoever can see an order that
// references it. Others get 404, as if it did not exist.
func (s *Server) handleBlob(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	sha := r.PathValue("hex")
	if !streetdesk.ValidSHA256(sha) {
		writeError(w, http.StatusBadRequest, streetdesk.EINVALID, "blob id must be 64 lowercase hex digits")
		return
	}
	ok, size, mimeType, err := s.blobVisible(r.Context(), u, sha)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		writeError(w, http.StatusNotFound, streetdesk.ENOTFOUND, "no such blob")
		return
	}
	f, err := os.Open(s.BlobPath(sha))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", mimeType)
	w.Header().Set("ETag", `"`+sha+`"`)
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.Header().Set("Content-Length", fmt.Sprint(size))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		io.Copy(w, f)
	}
}

func (s *Server) blobVisible(ctx context.Context, u *streetdesk.User, sha string) (bool, int64, string, error) {
	b, err := s.db.Blob(ctx, sha)
	if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
		return false, 0, "", nil
	}
	if err != nil {
		return false, 0, "", err
	}
	if u.Role.Centre() {
		return true, b.Size, b.MIME, nil
	}
	ok, err := s.db.BlobReadable(ctx, sha, u.ID, scopeOf(u))
	if err != nil {
		return false, 0, "", err
	}
	return ok, b.Size, b.MIME, nil
}

// PutBlob stores bytes directly in the content store (seeding, tests): the
// same verification and bookkeeping as a finished upload.
func (s *Server) PutBlob(ctx context.Context, data []byte, mimeType, userID string) (string, error) {
	h := sha256.Sum256(data)
	sha := hex.EncodeToString(h[:])
	dst := s.BlobPath(sha)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", err
	}
	if _, err := os.Stat(dst); err != nil {
		tmp := dst + ".tmp"
		if err := os.WriteFile(tmp, data, 0o640); err != nil {
			return "", err
		}
		if err := os.Rename(tmp, dst); err != nil {
			return "", err
		}
	}
	return sha, s.blobArrived(ctx, sha, int64(len(data)), mimeType, userID, "")
}
