package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// The citizen progress page's state: failed look-ups, the signing key, the
// ratings; shared by every instance on the database.

func (db *DB) TrackFailures(ctx context.Context, keys []string) (map[string]store.LoginWindow, error) {
	return db.failureWindows(ctx, trackFailures, keys)
}

func (db *DB) AddTrackFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) error {
	return db.addFailure(ctx, trackFailures, keys, now, window)
}

func (db *DB) ResetTrackFailures(ctx context.Context, key string) error {
	_, err := db.q().Exec(ctx, `DELETE FROM track_failures WHERE key = $1`, key)
	return err
}

func (db *DB) PruneTrackFailures(ctx context.Context, before time.Time) error {
	_, err := db.q().Exec(ctx, `DELETE FROM track_failures WHERE window_start < $1`, before.UnixMilli())
	return err
}

func (db *DB) TrackSecret(ctx context.Context, newSecret string) (string, error) {
	if _, err := db.q().Exec(ctx, `INSERT INTO meta (key, value) VALUES ('track_secret', $1) ON CONFLICT DO NOTHING`, newSecret); err != nil {
		return "", err
	}
	var secret string
	err := db.q().QueryRow(ctx, `SELECT value FROM meta WHERE key = 'track_secret'`).Scan(&secret)
	return secret, err
}

func (r reader) CitizenPhone(ctx context.Context, orderID string) (string, error) {
	var phone string
	err := r.q.QueryRow(ctx, `SELECT citizen_phone FROM orders WHERE id = $1`, orderID).Scan(&phone)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", streetdesk.Errorf(streetdesk.ENOTFOUND, "no such order")
	}
	return phone, translate(err)
}

func (r reader) CitizenRating(ctx context.Context, orderID string, cycle int) (streetdesk.Rating, error) {
	var rating string
	err := r.q.QueryRow(ctx, `SELECT rating FROM track_ratings WHERE order_id = $1 AND cycle = $2`, orderID, cycle).Scan(&rating)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", streetdesk.Errorf(streetdesk.ENOTFOUND, "not rated")
	}
	return streetdesk.Rating(rating), translate(err)
}

func (t *writeTx) RecordCitizenRating(ctx context.Context, orderID string, cycle int, r streetdesk.Rating, now time.Time) (bool, error) {
	tag, err := t.q.Exec(ctx, `INSERT INTO track_ratings (order_id, cycle, rating, created_at) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING`,
		orderID, cycle, string(r), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("record citizen rating: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}
