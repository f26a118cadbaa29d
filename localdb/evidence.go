package localdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/sqlrows"
)

// What the photo evidence checks read from the store: the order, its
// photos (with what their EXIF said), the other orders holding the same
// bytes, and the checks sent with resolutions.

// insertPhotoExif keeps what a local photo's EXIF said beyond its time and
// place (part of AttachPhoto's transaction).
func (db *DB) insertPhotoExif(ctx context.Context, q querier, refID string, p streetdesk.ImportedPhoto) error {
	if !db.audit {
		return nil
	}
	o := p.Orientation
	if o < 1 || o > 8 {
		o = 1
	}
	_, err := q.ExecContext(ctx, `INSERT INTO photo_exif(photo_ref_id, zone_assumed, camera, orientation) VALUES (?, ?, ?, ?)
		ON CONFLICT(photo_ref_id) DO NOTHING`, refID, p.ZoneAssumed && !p.TakenAt.IsZero(), p.Camera, o)
	return translate(err, "photo exif")
}

// insertResolutionEvidence keeps the checks sent with a local resolution
// (part of Resolve's transaction).
func (db *DB) insertResolutionEvidence(ctx context.Context, q querier, resID, key string, cs []streetdesk.EvidenceCheck) error {
	if len(cs) == 0 || !db.audit {
		return nil
	}
	b, err := json.Marshal(cs)
	if err != nil {
		return fmt.Errorf("encode evidence checks: %w", err)
	}
	_, err = q.ExecContext(ctx, "INSERT INTO resolution_evidence(resolution_id, mutation_key, checks) VALUES (?, ?, ?)", resID, key, string(b))
	return translate(err, "evidence checks")
}

// storeServerEvidence keeps the checks a platform sent with a resolution
// (a local resolution keeps its own).
func (db *DB) storeServerEvidence(ctx context.Context, tx *sql.Tx, r *streetdesk.Resolution) error {
	if len(r.EvidenceChecks) == 0 || !db.audit {
		return nil
	}
	b, err := json.Marshal(r.EvidenceChecks)
	if err != nil {
		return fmt.Errorf("encode evidence checks: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO resolution_evidence(resolution_id, mutation_key, checks) VALUES (?, '', ?)
		ON CONFLICT(resolution_id) DO NOTHING`, r.ID, string(b))
	return err
}

// attachEvidence fills the resolutions' EvidenceChecks from the store.
func attachEvidence(ctx context.Context, q querier, rs []streetdesk.LocalResolution) error {
	for i := range rs {
		var checks string
		err := q.QueryRowContext(ctx, "SELECT checks FROM resolution_evidence WHERE resolution_id = ?", rs[i].ID).Scan(&checks)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return fmt.Errorf("read evidence checks: %w", err)
		}
		if err := json.Unmarshal([]byte(checks), &rs[i].EvidenceChecks); err != nil {
			return fmt.Errorf("decode evidence checks: %w", err)
		}
	}
	return nil
}

// MutationEvidence returns the checks stored with the resolutions queued
// under the given outbox keys (the sync engine sends them along).
func (db *DB) MutationEvidence(ctx context.Context, keys []string) (map[string][]streetdesk.EvidenceCheck, error) {
	out := map[string][]streetdesk.EvidenceCheck{}
	for _, k := range keys {
		var checks string
		err := db.r.QueryRowContext(ctx, "SELECT checks FROM resolution_evidence WHERE mutation_key = ?", k).Scan(&checks)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read evidence checks: %w", err)
		}
		var cs []streetdesk.EvidenceCheck
		if err := json.Unmarshal([]byte(checks), &cs); err != nil {
			return nil, fmt.Errorf("decode evidence checks: %w", err)
		}
		out[k] = cs
	}
	return out, nil
}

// photoFacts turns the order's photos into what the checks read, with the
// zone flag of local photos.
func photoFacts(ctx context.Context, q querier, photos []streetdesk.LocalPhoto) ([]streetdesk.PhotoFacts, error) {
	out := make([]streetdesk.PhotoFacts, 0, len(photos))
	for _, p := range photos {
		f := streetdesk.PhotoFactsOf(p.PhotoRef)
		var assumed bool
		err := q.QueryRowContext(ctx, "SELECT zone_assumed, camera FROM photo_exif WHERE photo_ref_id = ?", p.ID).Scan(&assumed, &f.Camera)
		if err != nil && err != sql.ErrNoRows {
			return nil, fmt.Errorf("read photo exif: %w", err)
		}
		f.ZoneAssumed = assumed && !f.TakenAt.IsZero()
		out = append(out, f)
	}
	return out, nil
}

// photoUses maps each hash to the orders other than orderID that hold it.
func photoUses(ctx context.Context, q querier, orderID string, shas []string) (map[string][]string, error) {
	uses := map[string][]string{}
	seen := map[string]bool{}
	for _, sha := range shas {
		if seen[sha] {
			continue
		}
		seen[sha] = true
		ids, err := sqlrows.Column[string](q.QueryContext(ctx, "SELECT DISTINCT order_id FROM photo_refs WHERE sha256 = ? AND order_id <> ? ORDER BY order_id", sha, orderID))
		if err != nil {
			return nil, fmt.Errorf("read photo uses: %w", err)
		}
		if len(ids) > 0 {
			uses[sha] = ids
		}
	}
	return uses, nil
}

// OrderFacts returns what the photo checks of one order read.
func (db *DB) OrderFacts(ctx context.Context, orderID string) (*streetdesk.OrderFacts, error) {
	d, err := db.Order(ctx, orderID)
	if err != nil {
		return nil, err
	}
	f := &streetdesk.OrderFacts{Order: d.Order}
	if f.Photos, err = photoFacts(ctx, db.r, d.Photos); err != nil {
		return nil, err
	}
	shas := make([]string, len(d.Photos))
	for i, p := range d.Photos {
		shas[i] = p.SHA256
	}
	if f.Uses, err = photoUses(ctx, db.r, orderID, shas); err != nil {
		return nil, err
	}
	return f, nil
}

// ResolutionFacts returns every resolution the store knows of (the
// signed-in user's and, on a lead's desk, the team's) submitted at or after
// since, each with the facts of its order, oldest first.
func (db *DB) ResolutionFacts(ctx context.Context, since time.Time) ([]streetdesk.ResolutionFacts, error) {
	var out []streetdesk.ResolutionFacts
	rows, qerr := db.r.QueryContext(ctx, `SELECT r.id, r.order_id, r.cycle, r.outcome, r.reply, r.photo_ref_ids, r.state, r.author_id, r.created_at,
		coalesce(e.checks, '') FROM resolutions r LEFT JOIN resolution_evidence e ON e.resolution_id = r.id
		WHERE r.created_at >= ? ORDER BY r.created_at, r.id`, since.UnixMilli())
	err := sqlrows.Each(rows, qerr, func(rows *sql.Rows) error {
		var r streetdesk.Resolution
		var outcome, pids, state, checks string
		var created int64
		if err := rows.Scan(&r.ID, &r.WorkOrderID, &r.Cycle, &outcome, &r.Reply, &pids, &state, &r.AuthorID, &created, &checks); err != nil {
			return err
		}
		r.Outcome, r.State, r.CreatedAt = streetdesk.Outcome(outcome), streetdesk.ResolutionState(state), fromMSInt(created)
		_ = json.Unmarshal([]byte(pids), &r.PhotoRefIDs)
		if checks != "" {
			_ = json.Unmarshal([]byte(checks), &r.EvidenceChecks)
		}
		out = append(out, streetdesk.ResolutionFacts{Resolution: r})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read resolutions: %w", err)
	}
	// The facts of each order, read once per order.
	facts := map[string]*streetdesk.OrderFacts{}
	for i := range out {
		id := out[i].Resolution.WorkOrderID
		f, ok := facts[id]
		if !ok {
			var err error
			f, err = db.OrderFacts(ctx, id)
			if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
				f = &streetdesk.OrderFacts{Order: streetdesk.WorkOrder{ID: id}}
			} else if err != nil {
				return nil, err
			}
			facts[id] = f
		}
		out[i].OrderFacts = *f
	}
	return out, nil
}
