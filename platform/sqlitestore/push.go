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

func (r *readTx) ReadPullHead(ctx context.Context, q store.PullHeadQuery) (store.PullHead, error) {
	return store.ReadPullHeadFrom(ctx, r, q)
}
