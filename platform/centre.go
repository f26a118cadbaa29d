package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// Dispatch creates an order for a street office's team (the centre's 派单).
func (s *Server) Dispatch(ctx context.Context, actor *streetdesk.User, req streetdesk.DispatchRequest) (*streetdesk.WorkOrder, error) {
	if actor.Role != streetdesk.RoleDispatcher {
		return nil, streetdesk.Errorf(streetdesk.EFORBIDDEN, "only a dispatcher dispatches orders")
	}
	req.ID = streetdesk.NormalizeOrderID(req.ID)
	if err := validateDispatch(&req); err != nil {
		return nil, err
	}
	item, ok := s.cfg.Taxonomy.Lookup(req.CategoryL3)
	if !ok {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "unknown category %q", req.CategoryL3)
	}
	t, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	tm, err := t.Team(ctx, req.TeamID)
	if err != nil {
		if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
			return nil, streetdesk.Errorf(streetdesk.EINVALID, "unknown team %q", req.TeamID)
		}
		return nil, err
	}
	var assignee *streetdesk.User
	if req.AssigneeID != "" {
		a, _, err := t.User(ctx, req.AssigneeID)
		if err != nil || a.TeamID != tm.ID {
			return nil, streetdesk.Errorf(streetdesk.EINVALID, "assignee must be a member of team %s", tm.ID)
		}
		assignee = a
	}
	at := req.DispatchedAt
	if at.IsZero() {
		at = t.now
	}
	id := req.ID
	if id == "" {
		id = fmt.Sprintf("WO-%s-%s", at.In(streetdesk.ChinaTZ).Format("20060102"), strings.ToUpper(randomHex(4)))
	}
	loc := req.Location
	if loc.StreetOffice == "" {
		loc.StreetOffice = tm.StreetOffice
	}
	if loc.District == "" {
		loc.District = tm.District
	}
	o := &streetdesk.WorkOrder{
		ID: id, Title: req.Title, Complaint: req.Complaint, Channel: req.Channel, Category: item.Category,
		Location: loc, Citizen: streetdesk.Citizen{Name: streetdesk.MaskName(req.CitizenName), Phone: streetdesk.MaskPhone(req.CitizenPhone)},
		Urgency: req.Urgency, Deadlines: s.cfg.Calendar.ComputeDeadlines(at, item.Limit(), req.Urgency),
		Status: streetdesk.StatusDispatched, TeamID: tm.ID, Version: 1, DispatchedAt: at, UpdatedAt: t.now,
		History: []streetdesk.Event{{At: at, Actor: actor.Name, Kind: "dispatch", Text: tm.StreetOffice + " " + tm.Name}},
	}
	if assignee != nil {
		o.AssigneeID, o.AssigneeName = assignee.ID, assignee.Name
	}
	for _, sha := range req.PhotoSHA256s {
		ok, err := t.blobExists(ctx, sha)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, streetdesk.Errorf(streetdesk.EINVALID, "photo %s has not been uploaded", sha)
		}
	}
	if err := t.insertOrder(ctx, o, req.CitizenPhone); err != nil {
		return nil, err
	}
	if req.IntakeToken != "" {
		if err := t.linkIntake(ctx, req.IntakeToken, o.ID); err != nil {
			return nil, err
		}
	}
	for _, sha := range req.PhotoSHA256s {
		b, err := t.Blob(ctx, sha)
		if err != nil {
			return nil, err
		}
		pid, _ := uuid.NewV7()
		p := streetdesk.PhotoRef{ID: pid.String(), WorkOrderID: o.ID, SHA256: sha, Size: b.Size, MIME: b.MIME, AuthorID: actor.ID,
			CreatedAt: t.now, BlobPresent: true}
		if _, err := t.insertPhoto(ctx, &p, o); err != nil {
			return nil, err
		}
	}
	if err := t.Commit(); err != nil {
		return nil, err
	}
	return o, nil
}

func validateDispatch(r *streetdesk.DispatchRequest) error {
	if r.ID != "" && !streetdesk.ValidOrderID(r.ID) {
		return streetdesk.Errorf(streetdesk.EINVALID, "bad order id")
	}
	for _, f := range []struct {
		name, v  string
		min, max int
	}{{"title", r.Title, 1, 200}, {"complaint", r.Complaint, 1, 4000}, {"citizenName", r.CitizenName, 0, 50},
		{"citizenPhone", r.CitizenPhone, 0, 30}, {"address", r.Location.Address, 0, 500}} {
		if n := len([]rune(strings.TrimSpace(f.v))); n < f.min || len([]rune(f.v)) > f.max {
			return streetdesk.Errorf(streetdesk.EINVALID, "%s must be %d–%d characters", f.name, f.min, f.max)
		}
	}
	okc := false
	for _, c := range streetdesk.Channels {
		okc = okc || c == r.Channel
	}
	if !okc {
		return streetdesk.Errorf(streetdesk.EINVALID, "unknown channel %q", r.Channel)
	}
	if r.Urgency == "" {
		r.Urgency = streetdesk.UrgencyNormal
	}
	if !r.Urgency.Valid() {
		return streetdesk.Errorf(streetdesk.EINVALID, "unknown urgency %q", r.Urgency)
	}
	if len(r.PhotoSHA256s) > streetdesk.MaxPhotosPerOrder {
		return streetdesk.Errorf(streetdesk.EINVALID, "too many photos")
	}
	for _, sha := range r.PhotoSHA256s {
		if !streetdesk.ValidSHA256(sha) {
			return streetdesk.Errorf(streetdesk.EINVALID, "photoSha256s: %q is not a SHA-256", sha)
		}
	}
	if r.Location.Lat < -90 || r.Location.Lat > 90 || r.Location.Lng < -180 || r.Location.Lng > 180 {
		return streetdesk.Errorf(streetdesk.EINVALID, "coordinates out of range")
	}
	return nil
}

// centreOp performs a centre operation on an order in one transaction:
// streetdesk's WorkOrder.Apply decides and makes the change; a cancelled or
// returned order leaves every caseworker's view.
func (s *Server) centreOp(ctx context.Context, actor *streetdesk.User, id string, op streetdesk.Operation, args any) (*streetdesk.WorkOrder, error) {
	id = streetdesk.NormalizeOrderID(id)
	if !streetdesk.ValidOrderID(id) {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "bad order id")
	}
	t, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	o, sv, err := t.Order(ctx, id)
	if err != nil {
		return nil, err
	}
	prev := o.Status
	ev, err := o.Apply(op, args, *actor, t.now)
	if err != nil {
		return nil, err
	}
	if ev != nil {
		o.History = append(o.History, *ev)
	}
	if err := t.saveOrder(ctx, o, prev, sv); err != nil {
		return nil, err
	}
	if o.IsEvent() && o.Status == streetdesk.StatusReopened {
		// The event's answer no longer stands: its members stop citing it.
		if err := t.shareEventResolution(ctx, o, nil); err != nil {
			return nil, err
		}
	}
	if to := o.Status; to == streetdesk.StatusCancelled || to == streetdesk.StatusReturned {
		if err := t.HideOrder(ctx, o.ID); err != nil {
			return nil, err
		}
		reason := streetdesk.CodeCancelled
		if to == streetdesk.StatusReturned {
			reason = streetdesk.CodeStatusChanged
		}
		if err := t.revoke(ctx, o.AssigneeID, o, reason); err != nil {
			return nil, err
		}
	}
	if err := t.Commit(); err != nil {
		return nil, err
	}
	return o, nil
}

// Cancel withdraws an order (撤单).
func (s *Server) Cancel(ctx context.Context, actor *streetdesk.User, id, comment string) (*streetdesk.WorkOrder, error) {
	return s.centreOp(ctx, actor, id, streetdesk.OpCancel, &streetdesk.DecisionRequest{Comment: comment})
}

// DecideReturn approves or rejects a requested return.
func (s *Server) DecideReturn(ctx context.Context, actor *streetdesk.User, id string, d streetdesk.DecisionRequest) (*streetdesk.WorkOrder, error) {
	op := streetdesk.OpRejectReturn
	if d.Approve {
		op = streetdesk.OpApproveReturn
	}
	return s.centreOp(ctx, actor, id, op, &d)
}

// DecideExtension approves (the requested date becomes the resolve-by) or
// rejects a requested extension.
func (s *Server) DecideExtension(ctx context.Context, actor *streetdesk.User, id string, d streetdesk.DecisionRequest) (*streetdesk.WorkOrder, error) {
	op := streetdesk.OpRejectExtension
	if d.Approve {
		op = streetdesk.OpApproveExtension
	}
	return s.centreOp(ctx, actor, id, op, &d)
}

// Callback records the citizen's rating: satisfied/basically close the
// order; dissatisfied reopens it (cycle+1, a new resolve-by).
func (s *Server) Callback(ctx context.Context, actor *streetdesk.User, id string, c streetdesk.CallbackRequest) (*streetdesk.WorkOrder, error) {
	op, err := c.Rating.Operation()
	if err != nil || !c.Rating.Valid() {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "rating must be satisfied, basically or dissatisfied")
	}
	var args any = &c
	if op == streetdesk.OpReopen {
		args = &streetdesk.Reopening{Comment: c.Comment, ResolveBy: s.cfg.Calendar.ReopenDeadline(s.now())}
	}
	return s.centreOp(ctx, actor, id, op, args)
}

// Supervise sets or clears 督办.
func (s *Server) Supervise(ctx context.Context, actor *streetdesk.User, id string, r streetdesk.SuperviseRequest) (*streetdesk.WorkOrder, error) {
	op := streetdesk.OpUnsupervise
	if r.On {
		op = streetdesk.OpSupervise
	}
	return s.centreOp(ctx, actor, id, op, &r)
}

func checkComment(c string) error {
	if len([]rune(c)) > streetdesk.MaxReasonRunes {
		return streetdesk.Errorf(streetdesk.EINVALID, "comment too long (at most %d characters)", streetdesk.MaxReasonRunes)
	}
	return nil
}

func (s *Server) handleDispatch(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	var req streetdesk.DispatchRequest
	if !s.decodeOrFail(w, r, smallBody, &req) {
		return
	}
	o, err := s.Dispatch(r.Context(), u, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, o)
}

func (s *Server) handleCentreList(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	q := r.URL.Query()
	limit, offset := streetdesk.DefaultPageSize, 0
	var err error
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > streetdesk.MaxPageSize {
			writeError(w, http.StatusBadRequest, streetdesk.EINVALID, fmt.Sprintf("limit must be 1–%d", streetdesk.MaxPageSize))
			return
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			writeError(w, http.StatusBadRequest, streetdesk.EINVALID, "offset must be ≥ 0")
			return
		}
	}
	f := store.OrderFilter{Limit: limit, Offset: offset, StreetOffice: q.Get("office"), TeamID: q.Get("team")}
	if v := q.Get("status"); v != "" {
		if !streetdesk.Status(v).Valid() {
			writeError(w, http.StatusBadRequest, streetdesk.EINVALID, "unknown status")
			return
		}
		f.Status = streetdesk.Status(v)
	}
	list, err := s.db.ListOrders(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) centreDecision(w http.ResponseWriter, r *http.Request, u *streetdesk.User,
	do func(ctx context.Context, id string, d streetdesk.DecisionRequest) (*streetdesk.WorkOrder, error)) {
	var d streetdesk.DecisionRequest
	if !s.decodeOrFail(w, r, smallBody, &d) {
		return
	}
	if err := checkComment(d.Comment); err != nil {
		s.fail(w, r, err)
		return
	}
	o, err := do(r.Context(), r.PathValue("id"), d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	s.centreDecision(w, r, u, func(ctx context.Context, id string, d streetdesk.DecisionRequest) (*streetdesk.WorkOrder, error) {
		return s.Cancel(ctx, u, id, d.Comment)
	})
}

func (s *Server) handleReturnDecision(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	s.centreDecision(w, r, u, func(ctx context.Context, id string, d streetdesk.DecisionRequest) (*streetdesk.WorkOrder, error) {
		return s.DecideReturn(ctx, u, id, d)
	})
}

func (s *Server) handleExtensionDecision(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	s.centreDecision(w, r, u, func(ctx context.Context, id string, d streetdesk.DecisionRequest) (*streetdesk.WorkOrder, error) {
		return s.DecideExtension(ctx, u, id, d)
	})
}

func (s *Server) handleCallback(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	var c streetdesk.CallbackRequest
	if !s.decodeOrFail(w, r, smallBody, &c) {
		return
	}
	if err := checkComment(c.Comment); err != nil {
		s.fail(w, r, err)
		return
	}
	o, err := s.Callback(r.Context(), u, r.PathValue("id"), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) handleSupervise(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	var c streetdesk.SuperviseRequest
	if !s.decodeOrFail(w, r, smallBody, &c) {
		return
	}
	if err := checkComment(c.Comment); err != nil {
		s.fail(w, r, err)
		return
	}
	o, err := s.Supervise(r.Context(), u, r.PathValue("id"), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// Order returns an order as the platform holds it.
func (s *Server) Order(ctx context.Context, id string) (*streetdesk.WorkOrder, error) {
	o, _, err := s.db.Order(ctx, id)
	return o, err
}

// Notes returns an order's notes in the order they arrived.
func (s *Server) Notes(ctx context.Context, orderID string) ([]streetdesk.Note, error) {
	return s.db.Notes(ctx, orderID)
}

// Photos returns an order's photo references.
func (s *Server) Photos(ctx context.Context, orderID string) ([]streetdesk.PhotoRef, error) {
	return s.db.PhotoRefs(ctx, orderID)
}

// Resolutions returns an order's resolutions, proposals included.
func (s *Server) Resolutions(ctx context.Context, orderID string) ([]streetdesk.Resolution, error) {
	return s.db.Resolutions(ctx, orderID)
}

// MutationResultByKey returns the stored result of the first processing of
// a mutation key, or nil.
func (s *Server) MutationResultByKey(ctx context.Context, key string) (*streetdesk.MutationResult, error) {
	sr, err := s.db.ResultByKey(ctx, key)
	if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r streetdesk.MutationResult
	return &r, json.Unmarshal(sr.Result, &r)
}

// EffectCount is how many times a mutation key was processed for effect:
// never more than once, however often it was sent.
func (s *Server) EffectCount(ctx context.Context, key string) (int, error) {
	n, err := s.db.EffectCounts(ctx, []string{key})
	return n[key], err
}

// VisibleChecksum is the checksum of the orders userID can see.
func (s *Server) VisibleChecksum(ctx context.Context, userID string) (streetdesk.Checksum, error) {
	u, _, err := s.db.User(ctx, userID)
	if err != nil {
		return streetdesk.Checksum{}, err
	}
	return visibleChecksum(ctx, s.db, u)
}

// BlobSHA256s lists every verified blob.
func (s *Server) BlobSHA256s(ctx context.Context) ([]string, error) {
	return s.db.BlobSHA256s(ctx)
}

// ForgetClient drops a client's state, as a platform restored from an old
// backup would: its next push gets 409 ClientStateNotFound. Stored
// results stay, so re-sent keys still dedupe.
func (s *Server) ForgetClient(ctx context.Context, clientID string) error {
	return s.db.ForgetClient(ctx, clientID)
}

// User returns a user by id or username.
func (s *Server) User(ctx context.Context, idOrName string) (*streetdesk.User, error) {
	u, _, err := s.db.User(ctx, idOrName)
	return u, err
}
