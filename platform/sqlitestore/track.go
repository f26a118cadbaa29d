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
	out := map[string]store.LoginWindow{}
	for _, k := range keys {
		var start int64
		var w store.LoginWindow
		err := db.rdb.queryRow(ctx, `SELECT window_start, n FROM track_failures WHERE key = ?`, k).Scan(&start, &w.N)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return nil, err
		}
		w.Start = time.UnixMilli(start).UTC()
		out[k] = w
	}
	return out, nil
}

const addTrackFailure = `INSERT INTO track_failures AS f (key, window_start, n) VALUES (?1, ?2, 1)
ON CONFLICT (key) DO UPDATE SET
  n = CASE WHEN f.window_start <= ?3 THEN 1 ELSE f.n + 1 END,
  window_start = CASE WHEN f.window_start <= ?3 THEN excluded.window_start ELSE f.window_start END`

func (db *DB) AddTrackFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) error {
	return db.update(ctx, func(t *writeTx) error {
		for _, k := range keys {
			if _, err := t.t.exec(ctx, addTrackFailure, k, now.UnixMilli(), now.Add(-window).UnixMilli()); err != nil {
				return fmt.Errorf("count failed look-up: %w", err)
			}
		}
		return nil
	})
}

func (db *DB) ResetTrackFailures(ctx context.Context, key string) error {
	w, err := db.writer()
	if err != nil {
		return err
	}
	_, err = w.exec(ctx, `DELETE FROM track_failures WHERE key = ?`, key)
	return err
}

func (db *DB) PruneTrackFailures(ctx context.Context, before time.Time) error {
	w, err := db.writer()
	if err != nil {
		return err
	}
	_, err = w.exec(ctx, `DELETE FROM track_failures WHERE window_start < ?`, before.UnixMilli())
	return err
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
