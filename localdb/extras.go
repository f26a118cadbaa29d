package localdb

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/sqlrows"
)

// SaveRoster stores the signed-in user's team with its members (for
// assignee names, the reassign picker and whether resolutions need review).
func (db *DB) SaveRoster(ctx context.Context, t streetdesk.Team) error {
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode roster: %w", err)
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO roster(id, data) VALUES (1, ?)
			ON CONFLICT(id) DO UPDATE SET data = excluded.data`, string(b)); err != nil {
			return translate(err, "roster")
		}
		// Review on/off changes what a pending resolution shows.
		ids, err := sqlrows.Column[string](tx.QueryContext(ctx, "SELECT DISTINCT order_id FROM outbox"))
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := db.refreshOverlay(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Team returns the stored team, ENOTFOUND before the first roster sync.
func (db *DB) Team(ctx context.Context) (*streetdesk.Team, error) {
	t, err := loadTeam(ctx, db.r)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, streetdesk.Errorf(streetdesk.ENOTFOUND, "no team roster stored yet")
	}
	return t, nil
}

func loadTeam(ctx context.Context, q querier) (*streetdesk.Team, error) {
	var data string
	err := q.QueryRowContext(ctx, "SELECT data FROM roster WHERE id = 1").Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read roster: %w", err)
	}
	var t streetdesk.Team
	if err := json.Unmarshal([]byte(data), &t); err != nil {
		return nil, fmt.Errorf("decode roster: %w", err)
	}
	return &t, nil
}

// SaveTaxonomy stores the duty list (职责清单).
func (db *DB) SaveTaxonomy(ctx context.Context, t *streetdesk.Taxonomy) error {
	if t == nil {
		return streetdesk.Errorf(streetdesk.EINVALID, "taxonomy is nil")
	}
	b, err := json.Marshal(t.Items)
	if err != nil {
		return fmt.Errorf("encode taxonomy: %w", err)
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO taxonomy(id, data) VALUES (1, ?)
			ON CONFLICT(id) DO UPDATE SET data = excluded.data`, string(b))
		return translate(err, "taxonomy")
	})
}

// Taxonomy returns the stored duty list, or the built-in sample before the
// first sync.
func (db *DB) Taxonomy(ctx context.Context) (*streetdesk.Taxonomy, error) {
	var data string
	err := db.r.QueryRowContext(ctx, "SELECT data FROM taxonomy WHERE id = 1").Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return streetdesk.SampleTaxonomy(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read taxonomy: %w", err)
	}
	return streetdesk.LoadTaxonomyJSON(bytes.NewReader([]byte(data)))
}

// KnownBlob reports whether the store has a blob row for sha (media
// reconcile registers unknown files it finds on disk).
func (db *DB) KnownBlob(ctx context.Context, sha string) bool {
	var x int
	err := db.r.QueryRowContext(ctx, "SELECT 1 FROM blobs WHERE sha256 = ? AND path <> ''", sha).Scan(&x)
	return err == nil
}

// Photo returns one photo reference with its local file and state.
func (db *DB) Photo(ctx context.Context, id string) (*streetdesk.LocalPhoto, error) {
	ps, err := loadPhotos(ctx, db.r, "p.id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, streetdesk.Errorf(streetdesk.ENOTFOUND, "photo %s not found", id)
	}
	return &ps[0], nil
}

func loadPhotos(ctx context.Context, q querier, where string, arg any) ([]streetdesk.LocalPhoto, error) {
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.order_id, p.sha256, p.size, p.mime, p.tag, p.caption, p.taken_at,
		p.lat, p.lng, p.author_id, p.cycle, p.created_at, p.server_seen, p.blob_present, p.mutation_key,
		coalesce(b.path, ''), coalesce(b.state, ''), coalesce(b.uploaded_offset, 0), coalesce(b.width, 0), coalesce(b.height, 0),
		coalesce(b.tus_url, ''), coalesce(o.state, ''), coalesce(c.id, 0)
		FROM photo_refs p LEFT JOIN blobs b ON b.sha256 = p.sha256
		LEFT JOIN outbox o ON o.key = p.mutation_key AND p.mutation_key <> ''
		LEFT JOIN conflicts c ON c.mutation_key = p.mutation_key AND p.mutation_key <> ''
		WHERE `+where+` ORDER BY p.created_at, p.id`, arg)
	if err != nil {
		return nil, fmt.Errorf("read photos: %w", err)
	}
	defer rows.Close()
	var out []streetdesk.LocalPhoto
	for rows.Next() {
		var p streetdesk.LocalPhoto
		var tag, key, bstate, tus, ostate string
		var taken sql.NullInt64
		var created int64
		var seen, present bool
		var conflict int64
		if err := rows.Scan(&p.ID, &p.WorkOrderID, &p.SHA256, &p.Size, &p.MIME, &tag, &p.Caption, &taken,
			&p.Lat, &p.Lng, &p.AuthorID, &p.Cycle, &created, &seen, &present, &key,
			&p.Path, &bstate, &p.Uploaded, &p.Width, &p.Height, &tus, &ostate, &conflict); err != nil {
			return nil, err
		}
		p.Tag = streetdesk.PhotoTag(tag)
		p.TakenAt = fromMS(taken)
		p.CreatedAt = fromMSInt(created)
		p.BlobPresent = present || bstate == "verified"
		p.Missing = bstate == "missing_local"
		switch {
		case conflict != 0 || ostate == stateRejected || ostate == stateConflict:
			p.Sync = streetdesk.SyncConflict
		case (bstate == "local" || bstate == "uploading") && (tus != "" || p.Uploaded > 0):
			p.Sync = streetdesk.SyncUploading
		case bstate == "local" || bstate == "uploading" || bstate == "failed" || bstate == "missing_local":
			p.Sync = streetdesk.SyncPending
		case seen || key == "" || ostate == "":
			p.Sync = streetdesk.SyncSynced
		default:
			p.Sync = streetdesk.SyncPending
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
