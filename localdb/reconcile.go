package localdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"

	"github.com/streetdesk/streetdesk"
)

// RegisterRecovered records a photo file found in the media folder with no
// row: the app stopped after the file was renamed into place and before its
// transaction committed. It is kept as state "recovered" (never uploaded,
// never deleted) so the user can still attach it; an existing row wins.
func (db *DB) RegisterRecovered(ctx context.Context, p streetdesk.ImportedPhoto) error {
	if !streetdesk.ValidSHA256(p.SHA256) || p.Path == "" {
		return streetdesk.Errorf(streetdesk.EINVALID, "recovered photo needs a hash and a path")
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO blobs (sha256, path, size, mime, width, height, state, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 'recovered', ?)
			ON CONFLICT(sha256) DO UPDATE SET path = excluded.path WHERE blobs.path = ''`,
			p.SHA256, p.Path, p.Size, p.MIME, p.Width, p.Height, db.now().UnixMilli())
		return translate(err, "register recovered photo")
	})
}

// FlagMissingFiles marks every blob whose bytes exist only on this computer
// (not yet verified on the platform) and whose file is gone as
// "missing_local", so the upload loop stops and the UI can say so. It
// returns the flagged hashes.
func (db *DB) FlagMissingFiles(ctx context.Context) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT sha256, path FROM blobs
		WHERE path <> '' AND state IN ('local', 'uploading', 'failed')`)
	if err != nil {
		return nil, translate(err, "list local photos")
	}
	var missing []string
	for rows.Next() {
		var sha, path string
		if err := rows.Scan(&sha, &path); err != nil {
			rows.Close()
			return nil, translate(err, "list local photos")
		}
		if _, err := os.Stat(path); os.IsNotExist(err) {
			missing = append(missing, sha)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "list local photos")
	}
	for _, sha := range missing {
		if err := db.MarkBlobFailed(ctx, sha, "missing_local", "the photo file is no longer on this computer"); err != nil {
			return nil, fmt.Errorf("flag missing photo: %w", err)
		}
	}
	return missing, nil
}
