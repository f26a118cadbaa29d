package localdb_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
)

// TestReconcile_RecoveredAndMissing: a photo file found on disk without a
// row is registered as recovered (kept, not uploaded); a queued photo whose
// file disappeared is flagged missing_local and stops being an upload.
func TestReconcile_RecoveredAndMissing(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	dir := t.TempDir()

	orphan := photo(7)
	orphan.Path = filepath.Join(dir, "orphan.jpg")
	if err := os.WriteFile(orphan.Path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if db.KnownBlob(ctx, orphan.SHA256) {
		t.Fatal("orphan known before registration")
	}
	for i := 0; i < 2; i++ { // idempotent
		if err := db.RegisterRecovered(ctx, orphan); err != nil {
			t.Fatalf("RegisterRecovered: %v", err)
		}
	}
	if !db.KnownBlob(ctx, orphan.SHA256) {
		t.Fatal("recovered photo not known")
	}
	if err := db.RegisterRecovered(ctx, streetdesk.ImportedPhoto{SHA256: "nope"}); streetdesk.ErrorCode(err) != streetdesk.EINVALID {
		t.Fatalf("bad hash: err=%v", err)
	}

	pull(t, db, order("A1", streetdesk.StatusAccepted))
	kept, gone := photo(1), photo(2)
	kept.Path, gone.Path = filepath.Join(dir, "kept.jpg"), filepath.Join(dir, "gone.jpg")
	for _, p := range []streetdesk.ImportedPhoto{kept, gone} {
		if err := os.WriteFile(p.Path, []byte(p.SHA256), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AttachPhoto(ctx, "A1", p, streetdesk.PhotoAfter, ""); err != nil {
			t.Fatalf("AttachPhoto: %v", err)
		}
	}
	if err := os.Remove(gone.Path); err != nil {
		t.Fatal(err)
	}
	missing, err := db.FlagMissingFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) != 1 || missing[0] != gone.SHA256 {
		t.Fatalf("missing=%v, want [%s]", missing, gone.SHA256)
	}
	ups, err := db.PendingUploads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups {
		if u.SHA256 == gone.SHA256 || u.SHA256 == orphan.SHA256 {
			t.Errorf("%s still queued for upload", u.SHA256[:8])
		}
	}
	d := mustOrder(t, db, "A1")
	flagged := 0
	for _, p := range d.Photos {
		if p.SHA256 == gone.SHA256 && p.Missing {
			flagged++
		}
	}
	if flagged != 1 {
		t.Errorf("detail does not show the missing photo as missing: %+v", d.Photos)
	}
}
