package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/streetdesk/streetdesk"
)

// Big-data event orders: the analysis's input, its stored result and the
// leads' proposals.

func (r reader) OrdersSince(ctx context.Context, since time.Time) ([]streetdesk.WorkOrder, error) {
	out, err := queryJSON[streetdesk.WorkOrder](ctx, r.q, `SELECT data FROM orders WHERE dispatched_at > $1 ORDER BY dispatched_at, id COLLATE "C"`, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("orders since %s: %w", since.Format(time.RFC3339), err)
	}
	return out, nil
}

func (r reader) HotspotAnalysis(ctx context.Context) (*streetdesk.HotspotAnalysis, error) {
	var data []byte
	err := r.q.QueryRow(ctx, `SELECT data FROM hotspot_analysis WHERE id = 1`).Scan(&data)
	if noRows(err) {
		return nil, notFound("hotspot analysis")
	}
	if err != nil {
		return nil, fmt.Errorf("load hotspot analysis: %w", err)
	}
	var a streetdesk.HotspotAnalysis
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("decode hotspot analysis: %w", err)
	}
	return &a, nil
}

func (r reader) Proposal(ctx context.Context, id string) (*streetdesk.EventProposal, error) {
	ps, err := queryJSON[streetdesk.EventProposal](ctx, r.q, `SELECT data FROM event_proposals WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("load proposal: %w", err)
	}
	if len(ps) == 0 {
		return nil, notFound("proposal")
	}
	return &ps[0], nil
}

func (r reader) Proposals(ctx context.Context, state streetdesk.ProposalState) ([]streetdesk.EventProposal, error) {
	out, err := queryJSON[streetdesk.EventProposal](ctx, r.q,
		`SELECT data FROM event_proposals WHERE $1 = '' OR state = $1 ORDER BY created_at, id COLLATE "C"`, string(state))
	if err != nil {
		return nil, fmt.Errorf("list proposals: %w", err)
	}
	return out, nil
}

func (t *writeTx) PutHotspotAnalysis(ctx context.Context, a *streetdesk.HotspotAnalysis) error {
	data, err := jsonOf(a)
	if err != nil {
		return err
	}
	_, err = t.q.Exec(ctx, `INSERT INTO hotspot_analysis (id, run_at, data) VALUES (1, $1, $2)
		ON CONFLICT (id) DO UPDATE SET run_at = excluded.run_at, data = excluded.data`, a.RunAt.UnixMilli(), data)
	if err != nil {
		return fmt.Errorf("store hotspot analysis: %w", err)
	}
	return nil
}

func (t *writeTx) InsertProposal(ctx context.Context, p *streetdesk.EventProposal) (bool, error) {
	data, err := jsonOf(p)
	if err != nil {
		return false, err
	}
	tag, err := t.q.Exec(ctx, `INSERT INTO event_proposals (id, team_id, state, created_at, data) VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING`,
		p.ID, p.TeamID, string(p.State), p.CreatedAt.UnixMilli(), data)
	if err != nil {
		return false, fmt.Errorf("insert proposal: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

func (t *writeTx) UpdateProposal(ctx context.Context, p *streetdesk.EventProposal) error {
	data, err := jsonOf(p)
	if err != nil {
		return err
	}
	tag, err := t.q.Exec(ctx, `UPDATE event_proposals SET state = $1, data = $2 WHERE id = $3`, string(p.State), data, p.ID)
	if err != nil {
		return fmt.Errorf("update proposal: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("proposal")
	}
	return nil
}
