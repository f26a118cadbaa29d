package platform

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/streetdesk/streetdesk"
)

// Big-data event orders (大数据事件工单): the district-wide hotspot analysis,
// the dispatcher's event orders made from its hotspots or from any orders,
// and the leads' proposals the dispatcher accepts or declines.

// eventRoutes registers the endpoints of event orders: the dispatcher's only.
func (s *Server) eventRoutes(m *patternMux) {
	disp := []streetdesk.Role{streetdesk.RoleDispatcher}
	m.HandleFunc("POST /v1/centre/analysis/run", s.as(disp, s.handleRunAnalysis))
	m.HandleFunc("GET /v1/centre/hotspots", s.as(disp, s.handleHotspots))
	m.HandleFunc("POST /v1/centre/events", s.as(disp, s.handleCreateEvent))
	m.HandleFunc("GET /v1/centre/proposals", s.as(disp, s.handleProposals))
	m.HandleFunc("POST /v1/centre/proposals/{id}/decision", s.as(disp, s.handleProposalDecision))
}

// RunAnalysis finds the hotspots among every order of the district
// (streetdesk.FindHotspots with the default options and the duty list) and
// stores them for GET /v1/centre/hotspots, replacing the last analysis.
func (s *Server) RunAnalysis(ctx context.Context) (*streetdesk.HotspotAnalysis, error) {
	now := s.now()
	opt := streetdesk.DefaultHotspotOptions(now)
	opt.Duty = s.cfg.Taxonomy
	// The window and the one before it (for the trend).
	orders, err := s.db.OrdersSince(ctx, now.Add(-2*opt.Window))
	if err != nil {
		return nil, err
	}
	rep, err := streetdesk.FindHotspots(orders, opt)
	if err != nil {
		return nil, err
	}
	eventOf := make(map[string]string, len(orders))
	for i := range orders {
		if orders[i].EventID != "" {
			eventOf[orders[i].ID] = orders[i].EventID
		}
	}
	a := &streetdesk.HotspotAnalysis{RunAt: now, Report: rep}
	markEvents(a, func(id string) string { return eventOf[id] })
	t, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	if err := t.PutHotspotAnalysis(ctx, a); err != nil {
		return nil, err
	}
	if err := t.Commit(); err != nil {
		return nil, err
	}
	s.log.Info("hotspot analysis", "orders", rep.Input.Orders, "hotspots", len(rep.Hotspots), "took", s.now().Sub(now))
	return a, nil
}

// markEvents sets a.Events: the hotspots whose members all belong to one
// event order.
func markEvents(a *streetdesk.HotspotAnalysis, eventOf func(orderID string) string) {
	a.Events = nil
	for _, h := range a.Report.Hotspots {
		ev := ""
		for i, o := range h.Orders {
			e := eventOf(o.ID)
			if e == "" || i > 0 && e != ev {
				ev = ""
				break
			}
			ev = e
		}
		if ev != "" {
			if a.Events == nil {
				a.Events = map[string]string{}
			}
			a.Events[h.ID] = ev
		}
	}
}

// RunAnalysisEvery runs the analysis once soon after the start and then
// every interval, until ctx ends or the server closes (it returns then).
// A failed run is logged and retried sooner, with a jittered backoff from
// a minute up to the interval. Each turn is a PeriodicAnalysis: several
// instances on one database analyse one at a time, about once an interval
// between them.
func (s *Server) RunAnalysisEvery(ctx context.Context, interval time.Duration) {
	s.bg.Add(1)
	defer s.bg.Done()
	wait := min(interval, 10*time.Second) // first run soon, not in the start's rush
	backoff := time.Minute
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.done:
			t.Stop()
			return
		case <-t.C:
		}
		if _, err := s.PeriodicAnalysis(ctx, interval); err != nil {
			s.log.Error("hotspot analysis", "err", err)
			wait = min(backoff+time.Duration(rand.Int64N(int64(backoff/2)+1)), interval)
			backoff = min(2*backoff, interval)
			continue
		}
		wait, backoff = interval, time.Minute
	}
}

// shareEventResolution gives an event's members its accepted resolution,
// which their replies may cite (res nil takes it back: the event was
// reopened). Each member changed gets a new version and place in the
// change log, so the desks pull it; a member that holds it already is left
// alone, so putting the resolution again (its photos arrived) changes
// nothing.
func (t *tx) shareEventResolution(ctx context.Context, ev *streetdesk.WorkOrder, res *streetdesk.Resolution) error {
	var er *streetdesk.EventResolution
	if res != nil {
		er = &streetdesk.EventResolution{EventID: ev.ID, Cycle: res.Cycle, Outcome: res.Outcome, Reply: res.Reply, ResolvedAt: t.now}
	}
	same := func(a, b *streetdesk.EventResolution) bool {
		return a == nil && b == nil || a != nil && b != nil && a.EventID == b.EventID && a.Cycle == b.Cycle && a.Outcome == b.Outcome && a.Reply == b.Reply
	}
	for _, id := range ev.Members {
		m, sv, err := t.Order(ctx, id)
		if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		if m.EventID != ev.ID || same(m.EventResolution, er) {
			continue
		}
		m.EventResolution = er
		if err := t.saveOrder(ctx, m, m.Status, sv); err != nil {
			return err
		}
	}
	return nil
}

// analysisJob is the job lock of the periodic analysis.
const analysisJob = "hotspot-analysis"

// PeriodicAnalysis is one turn of the periodic analysis: under the job lock
// the upload expiry uses too, so one instance on a database runs it at a
// time, and only when the stored analysis is older than half the interval,
// so instances that all run RunAnalysisEvery analyse about once an interval
// between them instead of once each. It reports whether it ran (false:
// another instance holds the lock or ran lately). The dispatcher's POST
// /v1/centre/analysis/run always runs (RunAnalysis).
func (s *Server) PeriodicAnalysis(ctx context.Context, interval time.Duration) (bool, error) {
	release, ok, err := s.db.TryJobLock(ctx, analysisJob)
	if err != nil || !ok {
		return false, err
	}
	defer release()
	switch last, err := s.db.HotspotAnalysis(ctx); {
	case err == nil && s.now().Sub(last.RunAt) < interval/2:
		return false, nil
	case err != nil && streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND:
		return false, err
	}
	if _, err := s.RunAnalysis(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// Hotspots returns the last analysis; before the first one, an empty one.
func (s *Server) Hotspots(ctx context.Context) (*streetdesk.HotspotAnalysis, error) {
	a, err := s.db.HotspotAnalysis(ctx)
	if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
		return &streetdesk.HotspotAnalysis{Report: &streetdesk.HotspotReport{Hotspots: []streetdesk.Hotspot{}}}, nil
	}
	return a, err
}

// CreateEvent turns a hotspot of the last analysis, or the listed orders,
// into an event order (dispatcher only): a work order of kind event with its
// own deadline, dispatched to a team (the one holding most members unless
// named) with the duty list's responsible department, that lists its
// members; each member gets the event's id and keeps its own state.
func (s *Server) CreateEvent(ctx context.Context, actor *streetdesk.User, req streetdesk.CreateEventRequest) (*streetdesk.WorkOrder, error) {
	if actor.Role != streetdesk.RoleDispatcher {
		return nil, streetdesk.Errorf(streetdesk.EFORBIDDEN, "only a dispatcher makes event orders")
	}
	if err := req.Validate(s.now()); err != nil {
		return nil, err
	}
	ids := req.OrderIDs
	if req.HotspotID != "" {
		a, err := s.db.HotspotAnalysis(ctx)
		if err != nil && streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
			return nil, err
		}
		h, ok := a.Hotspot(req.HotspotID)
		if !ok {
			return nil, streetdesk.Errorf(streetdesk.ENOTFOUND, "no hotspot %s in the last analysis (run it again and use its ids)", req.HotspotID)
		}
		for _, o := range h.Orders {
			ids = append(ids, o.ID)
		}
	}
	t, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	ev, err := t.createEvent(ctx, s, actor, req, ids)
	if err != nil {
		return nil, err
	}
	if err := t.Commit(); err != nil {
		return nil, err
	}
	return ev, nil
}

// eventMember is a member order loaded for linking.
type eventMember struct {
	o  *streetdesk.WorkOrder
	sv int64
}

// loadMembers reads the member orders and checks that each may join an
// event: it exists, is a citizen's request still on record, and belongs to
// no event yet.
func (t *tx) loadMembers(ctx context.Context, ids []string) ([]eventMember, error) {
	if err := streetdesk.CheckEventMembers(ids); err != nil {
		return nil, err
	}
	ms := make([]eventMember, 0, len(ids))
	for _, id := range ids {
		o, sv, err := t.Order(ctx, id)
		if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
			return nil, streetdesk.Errorf(streetdesk.ENOTFOUND, "member order %s does not exist", id)
		}
		if err != nil {
			return nil, err
		}
		if err := mayJoin(o); err != nil {
			return nil, err
		}
		ms = append(ms, eventMember{o, sv})
	}
	return ms, nil
}

// mayJoin says why an order cannot join an event, or nil.
func mayJoin(o *streetdesk.WorkOrder) error {
	switch {
	case o.IsEvent():
		return streetdesk.Errorf(streetdesk.EINVALID, "order %s is itself an event order", o.ID)
	case o.EventID != "":
		return streetdesk.Errorf(streetdesk.ECONFLICT, "order %s already belongs to event %s", o.ID, o.EventID)
	case o.Status == streetdesk.StatusCancelled || o.Status == streetdesk.StatusReturned:
		return streetdesk.Errorf(streetdesk.EINVALID, "order %s was %s", o.ID, o.Status)
	}
	return nil
}

// whyNotJoin is mayJoin for a desk: the reason in plain Chinese, as every
// mutation result's message is ("" when the order may join).
func whyNotJoin(o *streetdesk.WorkOrder) string {
	switch {
	case o.IsEvent():
		return "并案工单 " + o.ID + " 本身是大数据事件工单"
	case o.EventID != "":
		return "并案工单 " + o.ID + " 已并入事件 " + o.EventID
	case o.Status == streetdesk.StatusCancelled || o.Status == streetdesk.StatusReturned:
		return "并案工单 " + o.ID + " 已撤单或退回"
	}
	return ""
}

// createEvent makes the event order from its members and links them, in t.
func (t *tx) createEvent(ctx context.Context, s *Server, actor *streetdesk.User, req streetdesk.CreateEventRequest, ids []string) (*streetdesk.WorkOrder, error) {
	ms, err := t.loadMembers(ctx, ids)
	if err != nil {
		return nil, err
	}
	teamID := req.TeamID
	if teamID == "" {
		teamID = mostMembers(ms)
	}
	tm, err := t.Team(ctx, teamID)
	if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "unknown team %q", teamID)
	}
	if err != nil {
		return nil, err
	}
	ev := s.buildEvent(ms, tm, actor, req, t.now)
	if err := t.insertOrder(ctx, ev, ""); err != nil {
		return nil, err
	}
	for _, m := range ms {
		h := m.o.LinkEvent(ev.ID, ev.Title, *actor, t.now)
		if h == nil {
			continue
		}
		m.o.History = append(m.o.History, *h)
		if err := t.saveOrder(ctx, m.o, m.o.Status, m.sv); err != nil {
			return nil, err
		}
	}
	// The stored analysis learns the new links, so its hotspot shows made.
	a, err := t.HotspotAnalysis(ctx)
	switch {
	case streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND:
		return ev, nil
	case err != nil:
		return nil, err
	}
	for _, h := range a.Report.Hotspots {
		in := func(o streetdesk.HotspotOrder) bool { return slices.Contains(ev.Members, o.ID) }
		if len(h.Orders) > 0 && !slices.ContainsFunc(h.Orders, func(o streetdesk.HotspotOrder) bool { return !in(o) }) {
			if a.Events == nil {
				a.Events = map[string]string{}
			}
			a.Events[h.ID] = ev.ID
		}
	}
	return ev, t.PutHotspotAnalysis(ctx, a)
}

// mostMembers is the team holding the most members (the first such in
// member order on a tie).
func mostMembers(ms []eventMember) string {
	n := map[string]int{}
	best := ""
	for _, m := range ms {
		n[m.o.TeamID]++
		if best == "" || n[m.o.TeamID] > n[best] {
			best = m.o.TeamID
		}
	}
	return best
}

// buildEvent is the event order of members ms for team tm: the members'
// most frequent category with the duty list's department (unless the
// request names one), their place, its own deadline.
func (s *Server) buildEvent(ms []eventMember, tm *streetdesk.Team, actor *streetdesk.User, req streetdesk.CreateEventRequest, now time.Time) *streetdesk.WorkOrder {
	counts := map[string]int{}
	var first *streetdesk.WorkOrder
	for _, m := range ms {
		c := m.o.Category.L3Code
		counts[c]++
		if first == nil || counts[c] > counts[first.Category.L3Code] ||
			counts[c] == counts[first.Category.L3Code] && c < first.Category.L3Code {
			first = m.o
		}
	}
	cat := first.Category
	if item, ok := s.cfg.Taxonomy.Lookup(cat.L3Code); ok {
		cat = item.Category
	}
	if req.Department != "" {
		cat.Department = req.Department
	}
	loc := streetdesk.Location{District: tm.District, StreetOffice: tm.StreetOffice, Community: first.Location.Community,
		Address: first.Location.Address}
	var lat, lng float64
	var placed int
	ids := make([]string, len(ms))
	var lines []string
	for i, m := range ms {
		ids[i] = m.o.ID
		if streetdesk.ChinaBounds.CheckCoordinates(m.o.Location.Lat, m.o.Location.Lng) == streetdesk.CoordOK {
			lat, lng, placed = lat+m.o.Location.Lat, lng+m.o.Location.Lng, placed+1
		}
		if i < 20 {
			lines = append(lines, "· "+m.o.ID+" "+m.o.Title)
		}
	}
	if placed > 0 {
		loc.Lat, loc.Lng = lat/float64(placed), lng/float64(placed)
	}
	if len(ms) > 20 {
		lines = append(lines, fmt.Sprintf("……共 %d 件", len(ms)))
	}
	title := strings.TrimSpace(req.Title)
	if title == "" {
		title = fmt.Sprintf("大数据事件：%s（%s，%d 件工单）", cmp.Or(cat.L3Name, cat.L2Name), cmp.Or(loc.Community, loc.Address, loc.StreetOffice), len(ms))
	}
	text := strings.TrimSpace(req.Description)
	if text == "" {
		text = "同类诉求反复发生，请责任部门源头治理、一次性整改。并案工单：\n" + strings.Join(lines, "\n")
	}
	urg := cmp.Or(req.Urgency, streetdesk.UrgencyNormal)
	dl := s.cfg.Calendar.ComputeDeadlines(now, streetdesk.TimeLimit{AcceptWorkdays: 1, ContactWorkdays: 1,
		ResolveWorkdays: streetdesk.DefaultEventWorkdays}, urg)
	if !req.ResolveBy.IsZero() {
		dl.ResolveBy = req.ResolveBy
	}
	return &streetdesk.WorkOrder{
		ID: fmt.Sprintf("EV-%s-%s", now.In(streetdesk.ChinaTZ).Format("20060102"), strings.ToUpper(randomHex(4))), Kind: streetdesk.OrderKindEvent,
		Title: title, Complaint: text, Channel: streetdesk.ChannelAnalysis, Category: cat, Location: loc, Urgency: urg, Deadlines: dl,
		Status: streetdesk.StatusDispatched, TeamID: tm.ID, Version: 1, DispatchedAt: now, UpdatedAt: now, Members: ids,
		History: []streetdesk.Event{{At: now, Actor: actor.Name, Kind: streetdesk.TimelineDispatch,
			Text: strings.TrimSpace(tm.StreetOffice + " " + tm.Name + " " + cat.Department)}},
	}
}

// applyProposeEvent keeps a lead's event proposal for the dispatcher. Every
// member must exist, be the lead's team's, and be free to join an event;
// the mutation's order is one of them. The orders do not change.
func applyProposeEvent(ctx context.Context, p *pushOp) (*streetdesk.MutationResult, error) {
	a := p.args.(*streetdesk.ProposeEventArgs)
	if p.u.Role != streetdesk.RoleLead {
		return p.reject(streetdesk.ResultRejected, streetdesk.CodeForbidden, "只有组长可以提议大数据事件"), nil
	}
	if !slices.Contains(a.MemberIDs, p.m.OrderID) {
		return p.reject(streetdesk.ResultRejected, streetdesk.CodeValidation, "提议所在的工单 "+p.m.OrderID+" 必须是并案工单之一"), nil
	}
	for _, id := range a.MemberIDs {
		o, _, err := p.t.Order(ctx, id)
		if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
			return p.reject(streetdesk.ResultRejected, streetdesk.CodeNotFound, "并案工单 "+id+" 不存在"), nil
		}
		if err != nil {
			return nil, err
		}
		if o.TeamID != p.u.TeamID {
			return p.reject(streetdesk.ResultRejected, streetdesk.CodeForbidden, "并案工单 "+id+" 不属于您的小组"), nil
		}
		if msg := whyNotJoin(o); msg != "" {
			return p.reject(streetdesk.ResultRejected, streetdesk.CodeValidation, msg), nil
		}
	}
	pr := streetdesk.EventProposal{ID: a.ProposalID, Title: a.Title, Reason: a.Reason, Department: a.Department,
		MemberIDs: a.MemberIDs, HotspotID: a.HotspotID, TeamID: p.u.TeamID, ProposerID: p.u.ID, ProposerName: p.u.Name,
		State: streetdesk.ProposalPending, CreatedAt: p.t.now}
	ok, err := p.t.InsertProposal(ctx, &pr)
	if err != nil {
		return nil, err
	}
	if !ok {
		return p.reject(streetdesk.ResultRejected, streetdesk.CodeValidation, "提议编号 "+a.ProposalID+" 已被使用"), nil
	}
	return p.applied(), nil
}

// Proposals lists the leads' proposals in a state ("" = all), oldest first.
func (s *Server) Proposals(ctx context.Context, state streetdesk.ProposalState) ([]streetdesk.EventProposal, error) {
	switch state {
	case "", streetdesk.ProposalPending, streetdesk.ProposalAccepted, streetdesk.ProposalDeclined:
	default:
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "unknown proposal state %q", state)
	}
	return s.db.Proposals(ctx, state)
}

// DecideProposal accepts a pending proposal (an event order is made from its
// members, with its title and suggested department) or declines it with a
// reason. Either way each member gets a system note saying so, which the
// lead's desk pulls.
func (s *Server) DecideProposal(ctx context.Context, actor *streetdesk.User, id string, d streetdesk.ProposalDecision) (*streetdesk.EventProposal, error) {
	if actor.Role != streetdesk.RoleDispatcher {
		return nil, streetdesk.Errorf(streetdesk.EFORBIDDEN, "only a dispatcher decides event proposals")
	}
	if !streetdesk.ValidUUID(id) {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "bad proposal id")
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if !d.ResolveBy.IsZero() && !d.ResolveBy.After(s.now()) {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "resolveBy must be in the future")
	}
	t, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	p, err := t.Proposal(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.State != streetdesk.ProposalPending {
		return nil, streetdesk.Errorf(streetdesk.ECONFLICT, "proposal %s was already %s", id, p.State)
	}
	p.DecidedAt, p.DecidedBy = t.now, actor.Name
	var body string
	if d.Accept {
		ev, err := t.createEvent(ctx, s, actor, streetdesk.CreateEventRequest{Title: p.Title, Department: p.Department,
			TeamID: cmp.Or(d.TeamID, p.TeamID), ResolveBy: d.ResolveBy,
			Description: p.Reason + "\n（" + p.ProposerName + " 提议）"}, p.MemberIDs)
		if err != nil {
			return nil, err
		}
		p.State, p.EventID = streetdesk.ProposalAccepted, ev.ID
		body = fmt.Sprintf("大数据事件提议「%s」已采纳：事件工单 %s", p.Title, ev.ID)
	} else {
		p.State, p.DeclineReason = streetdesk.ProposalDeclined, strings.TrimSpace(d.Reason)
		body = fmt.Sprintf("大数据事件提议「%s」未采纳：%s", p.Title, p.DeclineReason)
	}
	if err := t.UpdateProposal(ctx, p); err != nil {
		return nil, err
	}
	for _, mid := range p.MemberIDs {
		o, _, err := t.Order(ctx, mid)
		if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		nid, err := uuid.NewV7()
		if err != nil {
			return nil, err
		}
		n := streetdesk.Note{ID: nid.String(), WorkOrderID: mid, Kind: streetdesk.NoteSystem, Body: body, AuthorID: actor.ID,
			AuthorName: actor.Name, Cycle: o.Cycle, CreatedAt: t.now}
		if _, err := t.insertNote(ctx, &n, o); err != nil {
			return nil, err
		}
	}
	if err := t.Commit(); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Server) handleRunAnalysis(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	a, err := s.RunAnalysis(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) handleHotspots(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	a, err := s.Hotspots(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) handleCreateEvent(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	var req streetdesk.CreateEventRequest
	if !s.decodeOrFail(w, r, smallBody, &req) {
		return
	}
	o, err := s.CreateEvent(r.Context(), u, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, o)
}

func (s *Server) handleProposals(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	ps, err := s.Proposals(r.Context(), streetdesk.ProposalState(r.URL.Query().Get("state")))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ps == nil {
		ps = []streetdesk.EventProposal{}
	}
	writeJSON(w, http.StatusOK, streetdesk.ProposalList{Proposals: ps})
}

func (s *Server) handleProposalDecision(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	var d streetdesk.ProposalDecision
	if !s.decodeOrFail(w, r, smallBody, &d) {
		return
	}
	p, err := s.DecideProposal(r.Context(), u, r.PathValue("id"), d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}
