package sqlitestore

import (
	"context"

	"github.com/streetdesk/streetdesk/platform/store"
)

// ReadPush reads one thing after the other: calls into the same process
// cost no round trips.
func (t *writeTx) ReadPush(ctx context.Context, q store.PushQuery) (store.PushState, error) {
	return store.ReadPushFrom(ctx, t, q)
}

func (r *readTx) ReadPull(ctx context.Context, q store.PullQuery, fn func(*store.Change) error) (store.PullPage, error) {
	return store.ReadPullFrom(ctx, r, q, fn)
}
