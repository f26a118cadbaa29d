package platform

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/sqlrows"
)

func (s *Server) teamMembers(ctx context.Context, teamID string) ([]streetdesk.User, error) {
	ids, err := sqlrows.Column[string](s.rdb.QueryContext(ctx, `SELECT id FROM users WHERE team_id = ? ORDER BY role DESC, username`, teamID))
	if err != nil {
		return nil, err
	}
	out := []streetdesk.User{}
	for _, id := range ids {
		u, _, err := getUser(ctx, s.rdb, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, nil
}

// Team returns a team with its roster.
func (s *Server) Team(ctx context.Context, teamID string) (*streetdesk.Team, error) {
	tm, err := getTeam(ctx, s.rdb, teamID)
	if err != nil {
		return nil, err
	}
	tm.Members, err = s.teamMembers(ctx, teamID)
	return tm, err
}

func (s *Server) handleTeam(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	tm, err := s.Team(r.Context(), u.TeamID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tm)
}

func requireLead(w http.ResponseWriter, u *streetdesk.User) bool {
	if u.Role != streetdesk.RoleLead {
		writeError(w, http.StatusForbidden, streetdesk.EFORBIDDEN, "only a team lead may do this")
		return false
	}
	return true
}

// Reassign moves orders to another member of the lead's team with the same
// rules as the reassign mutation; one result per order.
func (s *Server) Reassign(ctx context.Context, lead *streetdesk.User, req streetdesk.ReassignRequest) (*streetdesk.ReassignResponse, error) {
	if len(req.OrderIDs) == 0 || len(req.OrderIDs) > streetdesk.MaxPushMutations {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "orderIds must list 1–%d orders", streetdesk.MaxPushMutations)
	}
	for _, id := range req.OrderIDs {
		if !streetdesk.ValidOrderID(id) {
			return nil, streetdesk.Errorf(streetdesk.EINVALID, "bad order id")
		}
	}
	args, _ := json.Marshal(streetdesk.ReassignArgs{To: req.To, Reason: req.Reason})
	if _, err := streetdesk.DecodeArgs(streetdesk.MutReassign, args); err != nil {
		return nil, err
	}
	t, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	resp := &streetdesk.ReassignResponse{Results: []streetdesk.MutationResult{}}
	for _, id := range req.OrderIDs {
		m := streetdesk.Mutation{Name: streetdesk.MutReassign, OrderID: id, Args: args}
		if o, _, err := loadOrder(ctx, t, id); err == nil {
			m.BaseVersion, m.BaseCycle = o.Version, o.Cycle
		}
		if _, err := t.ExecContext(ctx, `SAVEPOINT m`); err != nil {
			return nil, err
		}
		r, err := s.applyMutation(ctx, t, lead, &m)
		if err != nil {
			return nil, err
		}
		if r.Status != streetdesk.ResultApplied {
			if _, err := t.ExecContext(ctx, `ROLLBACK TO m`); err != nil {
				return nil, err
			}
		}
		if _, err := t.ExecContext(ctx, `RELEASE m`); err != nil {
			return nil, err
		}
		resp.Results = append(resp.Results, *r)
	}
	return resp, t.Commit()
}

func (s *Server) handleReassign(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	if !requireLead(w, u) {
		return
	}
	var req streetdesk.ReassignRequest
	if !s.decodeOrFail(w, r, smallBody, &req) {
		return
	}
	resp, err := s.Reassign(r.Context(), u, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleTeamSettings(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	if !requireLead(w, u) {
		return
	}
	var req streetdesk.TeamSettings
	if !s.decodeOrFail(w, r, smallBody, &req) {
		return
	}
	if _, err := s.wdb.ExecContext(r.Context(), `UPDATE teams SET review = ? WHERE id = ?`, boolInt(req.ReviewResolutions), u.TeamID); err != nil {
		s.fail(w, r, err)
		return
	}
	tm, err := s.Team(r.Context(), u.TeamID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tm)
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	if !requireLead(w, u) {
		return
	}
	weeks := 4
	if v := r.URL.Query().Get("weeks"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 52 {
			writeError(w, http.StatusBadRequest, streetdesk.EINVALID, "weeks must be 1–52")
			return
		}
		weeks = n
	}
	m, err := s.Metrics(r.Context(), u.TeamID, weeks)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// Metrics computes a team's board figures — load now and the three rates
// per member and ISO week for the last n weeks — with the same function the
// lead's offline board uses (streetdesk.ComputeTeamStats), so both agree.
func (s *Server) Metrics(ctx context.Context, teamID string, n int) (*streetdesk.TeamStats, error) {
	members, err := s.teamMembers(ctx, teamID)
	if err != nil {
		return nil, err
	}
	orders, err := queryJSON[streetdesk.WorkOrder](ctx, s.rdb, `SELECT data FROM orders WHERE team_id = ?`, teamID)
	if err != nil {
		return nil, err
	}
	st := streetdesk.ComputeTeamStats(orders, members, s.now(), n, s.cfg.Calendar)
	return &st, nil
}
