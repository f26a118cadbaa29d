package localdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/streetdesk/streetdesk"
)

// hotspotOrder is the part of an order's JSON the hotspot analysis reads:
// encoding/json skips the complaint, history and the rest without keeping
// them.
type hotspotOrder struct {
	ID           string              `json:"id"`
	Title        string              `json:"title"`
	Category     streetdesk.Category `json:"category"`
	Location     streetdesk.Location `json:"location"`
	Citizen      streetdesk.Citizen  `json:"citizen"`
	Status       streetdesk.Status   `json:"status"`
	AssigneeID   string              `json:"assigneeId"`
	AssigneeName string              `json:"assigneeName"`
	TeamID       string              `json:"teamId"`
	Version      int64               `json:"version"`
	Cycle        int                 `json:"cycle"`
	Rating       streetdesk.Rating   `json:"rating"`
	DispatchedAt time.Time           `json:"dispatchedAt"`
	UpdatedAt    time.Time           `json:"updatedAt"`
}

// OrdersSince returns the orders dispatched at or after since that are in
// the user's view (not revoked), with the fields the hotspot analysis reads:
// ID, Title, Category, Location, Citizen, Status, AssigneeID, AssigneeName,
// TeamID, Version, Cycle, Rating, DispatchedAt and UpdatedAt. They are the
// platform's view: place, category and citizen are the platform's fields,
// which no pending local intent changes. The order is unspecified.
func (db *DB) OrdersSince(ctx context.Context, since time.Time) ([]streetdesk.WorkOrder, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT d.data FROM work_orders w JOIN work_order_data d ON d.qid = w.qid
		WHERE w.dispatched_at >= ? AND w.access = 'assigned'`, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("orders since: %w", err)
	}
	defer rows.Close()
	var out []streetdesk.WorkOrder
	var data sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("orders since: %w", err)
		}
		var h hotspotOrder
		if err := json.Unmarshal(data, &h); err != nil {
			return nil, fmt.Errorf("orders since: decode order: %w", err)
		}
		out = append(out, streetdesk.WorkOrder{ID: h.ID, Title: h.Title, Category: h.Category, Location: h.Location,
			Citizen: h.Citizen, Status: h.Status, AssigneeID: h.AssigneeID, AssigneeName: h.AssigneeName, TeamID: h.TeamID,
			Version: h.Version, Cycle: h.Cycle, Rating: h.Rating, DispatchedAt: h.DispatchedAt, UpdatedAt: h.UpdatedAt})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("orders since: %w", err)
	}
	return out, nil
}
