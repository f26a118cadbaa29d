package sqlitestore

import (
	"context"

	"github.com/streetdesk/streetdesk/platform/store"
)

// ReadPush reads one thing after the other: calls into the same process
// cost no round trips.
func (t *writeTx) ReadPush(ctx context.Context, clientID string, keys, orderIDs []string) (store.PushState, error) {
	return store.ReadPushFrom(ctx, t, clientID, keys, orderIDs)
}
