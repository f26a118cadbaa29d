package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/streetdesk/streetdesk/platform/store"
)

// Failed sign-ins and the locks of background jobs. One instance serves a
// SQLite file, so a job lock is a mutex of this process; the failures are
// in the file all the same (they survive a restart).

// failures is a table of failure windows per key (login_failures,
// track_failures): the same shape and rules for failed sign-ins and failed
// look-ups of the tracking page.
type failures string

const (
	loginFailures failures = "login_failures"
	trackFailures failures = "track_failures"
)

func (db *DB) failureWindows(ctx context.Context, f failures, keys []string) (map[string]store.LoginWindow, error) {
	out := map[string]store.LoginWindow{}
	for _, k := range keys {
		var start int64
		var w store.LoginWindow
		err := db.rdb.queryRow(ctx, `SELECT window_start, n FROM `+string(f)+` WHERE key = ?`, k).Scan(&start, &w.N)
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

// addFailure starts a new window when the key's began window ago or
// earlier, else counts in it, in one statement.
func (db *DB) addFailure(ctx context.Context, f failures, keys []string, now time.Time, window time.Duration) error {
	q := `INSERT INTO ` + string(f) + ` AS f (key, window_start, n) VALUES (?1, ?2, 1)
ON CONFLICT (key) DO UPDATE SET
  n = CASE WHEN f.window_start <= ?3 THEN 1 ELSE f.n + 1 END,
  window_start = CASE WHEN f.window_start <= ?3 THEN excluded.window_start ELSE f.window_start END`
	return db.update(ctx, func(t *writeTx) error {
		for _, k := range keys {
			if _, err := t.t.exec(ctx, q, k, now.UnixMilli(), now.Add(-window).UnixMilli()); err != nil {
				return fmt.Errorf("count a failure in %s: %w", f, err)
			}
		}
		return nil
	})
}

func (db *DB) deleteFailures(ctx context.Context, f failures, where string, arg any) error {
	w, err := db.writer()
	if err != nil {
		return err
	}
	_, err = w.exec(ctx, `DELETE FROM `+string(f)+` WHERE `+where, arg)
	return err
}

func (db *DB) LoginFailures(ctx context.Context, keys []string) (map[string]store.LoginWindow, error) {
	return db.failureWindows(ctx, loginFailures, keys)
}

func (db *DB) AddLoginFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) error {
	return db.addFailure(ctx, loginFailures, keys, now, window)
}

func (db *DB) ResetLoginFailures(ctx context.Context, key string) error {
	return db.deleteFailures(ctx, loginFailures, `key = ?`, key)
}

func (db *DB) PruneLoginFailures(ctx context.Context, before time.Time) error {
	return db.deleteFailures(ctx, loginFailures, `window_start < ?`, before.UnixMilli())
}

func (db *DB) TryJobLock(ctx context.Context, job string) (func(), bool, error) {
	v, _ := db.jobs.LoadOrStore(job, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	if !mu.TryLock() {
		return nil, false, nil
	}
	return mu.Unlock, true, nil
}
