package platform

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/streetdesk/streetdesk"
)

// Team returns a team with its roster.
func (s *Server) Team(ctx context.Context, teamID string) (*streetdesk.Team, error) {
	tm, err := s.db.Team(ctx, teamID)
	if err != nil {
		return nil, err
	}
	tm.Members, err = s.db.TeamMembers(ctx, teamID)
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
		if o, _, err := t.Order(ctx, id); err == nil {
			m.BaseVersion, m.BaseCycle = o.Version, o.Cycle
		}
		if err := t.Savepoint(ctx); err != nil {
			return nil, err
		}
		r, err := s.applyMutation(ctx, t, lead, &m)
		if err != nil {
			return nil, err
		}
		if r.Status != streetdesk.ResultApplied {
			if err := t.RollbackTo(ctx); err != nil {
				return nil, err
			}
		}
		if err := t.Release(ctx); err != nil {
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
	if err := s.db.SetTeamReview(r.Context(), u.TeamID, req.ReviewResolutions); err != nil {
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
// lead's offline board uses (streetdesk.ComputeTeamStats), so both agree;
// and the tally of the platform's photo checks (streetdesk.TallyEvidence).
func (s *Server) Metrics(ctx context.Context, teamID string, n int) (*streetdesk.TeamStats, error) {
	members, err := s.db.TeamMembers(ctx, teamID)
	if err != nil {
		return nil, err
	}
	orders, err := s.db.TeamOrders(ctx, teamID)
	if err != nil {
		return nil, err
	}
	st := streetdesk.ComputeTeamStats(orders, members, s.now(), n, s.cfg.Calendar)
	ev, err := s.teamEvidence(ctx, teamID)
	if err != nil {
		return nil, err
	}
	streetdesk.TallyEvidence(&st, ev)
	return &st, nil
}
