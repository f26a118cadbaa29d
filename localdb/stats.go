package localdb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/streetdesk/streetdesk"
)

// statsOrder is the part of an order's JSON that the team statistics
// (streetdesk.ComputeTeamStats) and the awaiting sheet of their export read.
// encoding/json skips the other fields (complaint, address, event texts)
// without allocating them, which is most of Export's decode cost.
type statsOrder struct {
	ID        string             `json:"id"`
	Title     string             `json:"title"`
	Urgency   streetdesk.Urgency `json:"urgency"`
	Status    streetdesk.Status  `json:"status"`
	Assignee  string             `json:"assigneeId"`
	Name      string             `json:"assigneeName"`
	TeamID    string             `json:"teamId"`
	Cycle     int                `json:"cycle"`
	Rating    streetdesk.Rating  `json:"rating"`
	Deadlines statsDeadlines     `json:"deadlines"`
	Dispatch  time.Time          `json:"dispatchedAt"`
	Accepted  time.Time          `json:"acceptedAt"`
	Updated   time.Time          `json:"updatedAt"`
	History   []statsEvent       `json:"history"`
}

type statsDeadlines struct {
	AcceptBy  time.Time `json:"acceptBy"`
	ResolveBy time.Time `json:"resolveBy"`
}

type statsEvent struct {
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"`
	Cycle int       `json:"cycle"`
}

func (s *statsOrder) order() streetdesk.WorkOrder {
	w := streetdesk.WorkOrder{
		ID: s.ID, Title: s.Title, Urgency: s.Urgency, Status: s.Status,
		AssigneeID: s.Assignee, AssigneeName: s.Name, TeamID: s.TeamID,
		Cycle: s.Cycle, Rating: s.Rating,
		Deadlines:    streetdesk.Deadlines{AcceptBy: s.Deadlines.AcceptBy, ResolveBy: s.Deadlines.ResolveBy},
		DispatchedAt: s.Dispatch, AcceptedAt: s.Accepted, UpdatedAt: s.Updated,
	}
	if len(s.History) > 0 {
		w.History = make([]streetdesk.Event, len(s.History))
		for i, e := range s.History {
			w.History[i] = streetdesk.Event{At: e.At, Kind: e.Kind, Cycle: e.Cycle}
		}
	}
	return w
}

// StatsOrders returns every order of the store, with pending intents applied
// as Export applies them, but with only the fields the team statistics read
// filled: ID, Title, Urgency, Status, AssigneeID, AssigneeName, TeamID,
// Cycle, Rating, Deadlines.AcceptBy/ResolveBy, DispatchedAt, AcceptedAt,
// UpdatedAt and History (At, Kind, Cycle). It is the lead board's read of the
// whole team (streetdesk.ComputeTeamStats); the order is unspecified.
func (db *DB) StatsOrders(ctx context.Context) ([]streetdesk.WorkOrder, error) {
	conn, err := db.r.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM work_orders").Scan(&n); err != nil {
		return nil, fmt.Errorf("stats orders: %w", err)
	}
	out := make([]streetdesk.WorkOrder, 0, n)
	rows, err := tx.QueryContext(ctx, `SELECT d.data FROM work_orders w JOIN work_order_data d ON d.qid = w.qid`)
	if err != nil {
		return nil, fmt.Errorf("stats orders: %w", err)
	}
	var data sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&data); err != nil {
			rows.Close()
			return nil, err
		}
		w, err := decodeStats(data)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// Pending intents (few), applied in id order as items does.
	ins, err := intentsWhere(ctx, tx, "order_id IN (SELECT id FROM work_orders)")
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	if len(ins) > 0 {
		team, err := loadTeam(ctx, tx)
		if err != nil {
			return nil, err
		}
		by := db.overlayActor()
		for i := range out {
			if l := ins[out[i].ID]; len(l) > 0 {
				out[i] = overlayOrder(out[i], l, by, team)
			}
		}
	}
	return out, nil
}
