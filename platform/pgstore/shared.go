package pgstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/streetdesk/streetdesk/platform/store"
)

// What instances share beside the synced data: failed sign-ins and the
// locks of background jobs.

// failures is a table of failure windows per key (login_failures,
// track_failures): the same shape and rules for failed sign-ins and failed
// look-ups of the tracking page.
type failures string

const (
	loginFailures failures = "login_failures"
	trackFailures failures = "track_failures"
)

func (db *DB) failureWindows(ctx context.Context, f failures, keys []string) (map[string]store.LoginWindow, error) {
	rows, err := db.q().Query(ctx, `SELECT key, window_start, n FROM `+string(f)+` WHERE key = ANY($1)`, keys)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]store.LoginWindow{}
	for rows.Next() {
		var k string
		var start int64
		var w store.LoginWindow
		if err := rows.Scan(&k, &start, &w.N); err != nil {
			return nil, translate(err)
		}
		w.Start = time.UnixMilli(start).UTC()
		out[k] = w
	}
	return out, rows.Err()
}

// addFailure starts a new window when the key's began window ago or
// earlier, else counts in it; one statement, so two instances counting at
// once both count.
func (db *DB) addFailure(ctx context.Context, f failures, keys []string, now time.Time, window time.Duration) error {
	q := `INSERT INTO ` + string(f) + ` AS f (key, window_start, n) VALUES ($1, $2, 1)
ON CONFLICT (key) DO UPDATE SET
  n = CASE WHEN f.window_start <= $3 THEN 1 ELSE f.n + 1 END,
  window_start = CASE WHEN f.window_start <= $3 THEN excluded.window_start ELSE f.window_start END`
	return db.update(ctx, func(t *writeTx) error {
		for _, k := range keys {
			if _, err := t.q.Exec(ctx, q, k, now.UnixMilli(), now.Add(-window).UnixMilli()); err != nil {
				return fmt.Errorf("count a failure in %s: %w", f, err)
			}
		}
		return nil
	})
}

func (db *DB) LoginFailures(ctx context.Context, keys []string) (map[string]store.LoginWindow, error) {
	return db.failureWindows(ctx, loginFailures, keys)
}

func (db *DB) AddLoginFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) error {
	return db.addFailure(ctx, loginFailures, keys, now, window)
}

func (db *DB) ResetLoginFailures(ctx context.Context, key string) error {
	_, err := db.q().Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, key)
	return err
}

func (db *DB) PruneLoginFailures(ctx context.Context, before time.Time) error {
	_, err := db.q().Exec(ctx, `DELETE FROM login_failures WHERE window_start < $1`, before.UnixMilli())
	return err
}

// lockJobs is the base of the jobs' advisory lock keys: "SD" then a hash of
// the job's name.
const lockJobs int64 = 0x5344 << 32

func jobKey(job string) int64 {
	h := fnv.New32a()
	h.Write([]byte(job))
	return lockJobs | int64(h.Sum32())
}

// TryJobLock takes a session advisory lock on a connection of its own, held
// until release: if the instance dies, PostgreSQL ends the session and the
// lock with it.
func (db *DB) TryJobLock(ctx context.Context, job string) (func(), bool, error) {
	c, err := db.q().(poolQ).acquire(ctx)
	if err != nil {
		return nil, false, err
	}
	key := jobKey(job)
	var ok bool
	if err := c.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil || !ok {
		c.Release()
		return nil, false, translate(err)
	}
	return func() {
		if _, err := c.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, key); err != nil {
			// The session may still hold the lock: close it rather than
			// give it back to the pool.
			_ = c.Conn().Close(context.Background())
		}
		c.Release()
	}, true, nil
}
