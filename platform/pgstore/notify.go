package pgstore

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streetdesk/streetdesk/platform/store"
)

// wakeChannel is the NOTIFY channel of committed change-log entries.
const wakeChannel = "streetdesk_wake"

// listenPing is how long the listening connection may stay silent before
// it is checked with a ping: a connection that died without a word (a
// network cut, no RST) is found within this and replaced.
const listenPing = 30 * time.Second

// notify sends the transaction's wake keys; PostgreSQL delivers the
// notification to every listening instance when, and only if, the
// transaction commits.
func (t *writeTx) notify() {
	if len(t.keys) == 0 {
		return
	}
	t.q.later("notify", `SELECT pg_notify($1, $2)`, wakeChannel, store.EncodeWake(t.keys.Wake()))
	t.keys = nil
}

// Watch listens on a connection of its own (outside the pool, so a busy
// pool never delays a wake-up) until ctx ends. When the connection fails it
// reconnects with a capped, jittered backoff and then calls fn with All:
// whatever was committed meanwhile was not heard, so every waiter looks.
func (db *DB) Watch(ctx context.Context, fn func(store.Wake)) error {
	for failures := 0; ; {
		heard, err := db.listen(ctx, fn, failures > 0)
		if ctx.Err() != nil {
			return nil
		}
		if heard {
			failures = 0
		}
		failures++
		d := min(100*time.Millisecond<<min(failures, 7), 10*time.Second)
		d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
		db.log.Warn("change listener lost its connection; reconnecting", "err", err, "retry_in", d)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(d):
		}
	}
}

// listen connects, LISTENs and hands notifications to fn until the
// connection fails or ctx ends. heard reports whether LISTEN succeeded.
func (db *DB) listen(ctx context.Context, fn func(store.Wake), wakeAll bool) (heard bool, err error) {
	cfg := db.connCfg.Copy()
	cfg.RuntimeParams["application_name"] = "platformd listener" // for operators: pg_stat_activity
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }() // the connection is done with either way
	if _, err := conn.Exec(ctx, "LISTEN "+wakeChannel); err != nil {
		return false, err
	}
	if wakeAll {
		fn(store.Wake{All: true})
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, listenPing)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			fn(store.DecodeWake(n.Payload))
		case ctx.Err() != nil:
			return true, nil
		case errors.Is(err, context.DeadlineExceeded):
			// Silence: make sure the connection still answers.
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return true, err
			}
		default:
			return true, err
		}
	}
}
