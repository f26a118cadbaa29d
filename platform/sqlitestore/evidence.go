package sqlitestore

import (
	"context"

	"github.com/streetdesk/streetdesk"
)

func (r reader) TeamResolutions(ctx context.Context, teamID string) ([]streetdesk.Resolution, error) {
	return queryJSON[streetdesk.Resolution](ctx, r.q, `SELECT r.data FROM resolutions r JOIN orders o ON o.id = r.order_id
		WHERE o.team_id = ? ORDER BY r.rowid`, teamID)
}
