package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// The citizen progress page's state: failed look-ups, the signing key, the
// ratings.

func (db *DB) TrackFailures(ctx context.Context, keys []string) (map[string]store.LoginWindow, error) {
	return db.failureWindows(ctx, trackFailures, keys)
}

func (db *DB) AddTrackFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) error {
	return db.addFailure(ctx, trackFailures, keys, now, window)
}

func (db *DB) ResetTrackFailures(ctx context.Context, key string) error {
	return db.deleteFailures(ctx, trackFailures, `key = ?`, key)
}

func (db *DB) PruneTrackFailures(ctx context.Context, before time.Time) error {
	return db.deleteFailures(ctx, trackFailures, `window_start < ?`, before.UnixMilli())
}

func (db *DB) TrackSecret(ctx context.Context, newSecret string) (string, error) {
	var secret string
	err := db.update(ctx, func(t *writeTx) error {
		err := t.t.queryRow(ctx, `SELECT value FROM meta WHERE key = 'track_secret'`).Scan(&secret)
		if errors.Is(err, sql.ErrNoRows) {
			secret = newSecret
			_, err = t.t.exec(ctx, `INSERT INTO meta (key, value) VALUES ('track_secret', ?)`, secret)
		}
		return err
	})
	return secret, err
}

func (r reader) CitizenPhone(ctx context.Context, orderID string) (string, error) {
	var phone string
	err := r.q.queryRow(ctx, `SELECT citizen_phone FROM orders WHERE id = ?`, orderID).Scan(&phone)
	if errors.Is(err, sql.ErrNoRows) {
		return "", streetdesk.Errorf(streetdesk.ENOTFOUND, "no such order")
	}
	return phone, err
}

func (r reader) CitizenRating(ctx context.Context, orderID string, cycle int) (streetdesk.Rating, error) {
	var rating string
	err := r.q.queryRow(ctx, `SELECT rating FROM track_ratings WHERE order_id = ? AND cycle = ?`, orderID, cycle).Scan(&rating)
	if errors.Is(err, sql.ErrNoRows) {
		return "", streetdesk.Errorf(streetdesk.ENOTFOUND, "not rated")
	}
	return streetdesk.Rating(rating), err
}

func (t *writeTx) RecordCitizenRating(ctx context.Context, orderID string, cycle int, r streetdesk.Rating, now time.Time) (bool, error) {
	res, err := t.t.exec(ctx, `INSERT INTO track_ratings (order_id, cycle, rating, created_at) VALUES (?,?,?,?) ON CONFLICT DO NOTHING`,
		orderID, cycle, string(r), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("record citizen rating: %w", err)
	}
	k, _ := res.RowsAffected()
	return k > 0, nil
}
