package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// pushError aborts a push with a whole-request answer (nothing of the batch
// committed).
type pushError struct {
	status int
	body   streetdesk.ErrorBody
}

func (e *pushError) Error() string { return e.body.Error.Message }

func newPushError(status int, code, msg string, mutationID int64) *pushError {
	return &pushError{status, streetdesk.ErrorBody{Error: streetdesk.ErrorDetail{Code: code, Message: msg, MutationID: mutationID}}}
}

// mismatch is the 422 for a mutation id or key seen before with another payload.
func mismatch(what, msg string, mutationID int64) *pushError {
	e := newPushError(http.StatusUnprocessableEntity, streetdesk.ErrKeyPayloadMismatch, msg, mutationID)
	e.body.Error.Mismatch = what
	return e
}

// lockClient is the per-client push lock: a second push from the same client
// while one runs gets 409 PushInProgress.
func (s *Server) lockClient(id string) bool {
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	if s.pushBusy[id] {
		return false
	}
	s.pushBusy[id] = true
	return true
}

func (s *Server) unlockClient(id string) {
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	delete(s.pushBusy, id)
}

func (s *Server) handlePush(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	var req streetdesk.PushRequest
	// The bounds of FeaturePushBatch1000, which every pull page lists;
	// older desks send at most 500 (FeaturePushBatch500) or 100 (v1).
	if !s.decodeOrFail(w, r, streetdesk.MaxPushBytesXL, &req) {
		return
	}
	if req.PushVersion != streetdesk.PushVersion || (req.SchemaVersion != "" && req.SchemaVersion != streetdesk.SchemaVersion) {
		writeError(w, http.StatusConflict, streetdesk.ErrVersionNotSupported,
			fmt.Sprintf("this platform speaks pushVersion %d, schemaVersion %s; update the app", streetdesk.PushVersion, streetdesk.SchemaVersion))
		return
	}
	if !streetdesk.ValidUUID(req.ClientID) {
		writeError(w, http.StatusBadRequest, streetdesk.EINVALID, "clientId must be a UUID")
		return
	}
	if len(req.Mutations) > streetdesk.MaxPushMutationsXL || len(req.Chain) > streetdesk.MaxPushChainEntriesXL {
		writeError(w, http.StatusRequestEntityTooLarge, streetdesk.EINVALID, fmt.Sprintf("at most %d mutations and %d action-log entries per push",
			streetdesk.MaxPushMutationsXL, streetdesk.MaxPushChainEntriesXL))
		return
	}
	// The envelope of every mutation is checked before anything runs: a
	// malformed batch is a client bug and changes nothing.
	known := map[string]bool{}
	for _, n := range streetdesk.MutationNames {
		known[n] = true
	}
	for i := range req.Mutations {
		m := &req.Mutations[i]
		var msg string
		switch {
		case m.ID <= 0:
			msg = "mutation id must be positive"
		case i > 0 && m.ID <= req.Mutations[i-1].ID:
			msg = "mutation ids must increase within a push"
		case !streetdesk.ValidUUID(m.Key):
			msg = "mutation key must be a UUID"
		case !known[m.Name]:
			msg = fmt.Sprintf("unknown mutation %q", m.Name)
		case !streetdesk.ValidOrderID(m.OrderID):
			msg = "bad order id"
		case m.BaseVersion < 0 || m.BaseCycle < 0:
			msg = "negative base version or cycle"
		}
		if msg != "" {
			writeErrorBody(w, http.StatusBadRequest, streetdesk.ErrorBody{Error: streetdesk.ErrorDetail{Code: streetdesk.EINVALID, Message: msg, MutationID: m.ID}})
			return
		}
	}
	if !s.lockClient(req.ClientID) {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusConflict, streetdesk.ErrPushInProgress, "a push from this client is already running")
		return
	}
	defer s.unlockClient(req.ClientID)

	// The action log's checks that need no database start now, beside
	// the push (chainprep.go); waited for so that no goroutine outlives
	// the request.
	var pre *chainPrep
	if len(req.Chain) > 0 {
		pre = prepareChain(u.ID, &req)
		defer pre.wait()
	}
	resp, applied, err := s.push(r.Context(), u, &req, pre)
	if err != nil {
		var pe *pushError
		if errors.As(err, &pe) {
			if pe.status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "1")
			}
			writeErrorBody(w, pe.status, pe.body)
			return
		}
		// Anything else (the database busy or failing, or the client gone
		// before the push began) rolled the batch back: transient for the
		// client, which resends the same ids.
		s.unavailable(w, r, "push", err)
		return
	}
	for _, m := range applied {
		if h := s.cfg.Hooks.AfterCommit; h != nil {
			if err := h(m); err != nil {
				w.Header().Set("Retry-After", "1")
				writeError(w, http.StatusServiceUnavailable, streetdesk.EINTERNAL, "temporary failure; retry")
				return
			}
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// pushIn processes a batch in one transaction: each mutation is applied once
// (deduplicated on (clientId, id) and on its key), the batch stops at a gap
// in the ids (the client resends from lastMutationId+1), and lastMutationId
// advances in the same transaction as the effects, so an answer lost on the
// way can always be asked again.
//
// pushIn runs in a transaction other pushes may share (pushgroup.go): it
// writes nothing but this push's effects and leaves the commit to the
// group.
func (s *Server) pushIn(ctx context.Context, t *tx, u *streetdesk.User, req *streetdesk.PushRequest, pre *chainPrep) (*streetdesk.PushResponse, []streetdesk.Mutation, error) {
	// Everything the batch reads before it applies anything, in one look:
	// the client, the stored results of its keys (every key, resent or
	// not: a key's stored result is the same whatever id carries it), its
	// orders' headers and the action-log entries recording its keys. Only
	// the key lookup reads mutation_results in a push, and it also sees
	// this batch's own results (rs.byKey), written in multi-row INSERTs
	// before the commit.
	ps, err := t.ReadPush(ctx, pushQuery(req))
	if err != nil {
		return nil, nil, err
	}
	t.headers, t.chainByKey = ps.Headers, ps.Chain
	cl, last := ps.Client, ps.Client.LastMutationID
	switch {
	case !ps.ClientFound:
		// A new client starts wherever its numbering is (a re-registered
		// client keeps its AUTOINCREMENT ids).
		last = 0
		if len(req.Mutations) > 0 {
			last = req.Mutations[0].ID - 1
		}
		if err := t.InsertClient(ctx, store.Client{ID: req.ClientID, UserID: u.ID, LastMutationID: last}, t.now); err != nil {
			return nil, nil, err
		}
	case cl.UserID != u.ID:
		return nil, nil, newPushError(http.StatusForbidden, streetdesk.EFORBIDDEN, "this clientId belongs to another user", 0)
	case cl.Forgotten:
		return nil, nil, newPushError(http.StatusConflict, streetdesk.ErrClientStateNotFound, "the platform has no state for this client; register a new clientId and re-send", 0)
	case last == 0 && len(req.Mutations) > 0:
		// A client first heard of in a push of action-log entries only (a
		// desk that forked after a restored backup sends its fork entry
		// before any mutation) has no numbering yet: it starts where its
		// mutations do, as a new one would. Held at 0, a desk whose ids
		// went on from the old client's waited for ids it no longer has.
		last = req.Mutations[0].ID - 1
	}

	resp := &streetdesk.PushResponse{Results: []streetdesk.MutationResult{}}
	var applied, fresh []streetdesk.Mutation
	rs := newBatchResults(ps.Results, len(req.Mutations))
	for _, m := range req.Mutations {
		fp := m.Fingerprint()
		if m.ID <= last {
			r, err := t.storedResult(ctx, req.ClientID, m.ID, m.Key, fp)
			if err != nil {
				return nil, nil, err
			}
			r.Status = streetdesk.ResultDuplicate
			resp.Results = append(resp.Results, *r)
			continue
		}
		if m.ID > last+1 {
			break // a gap: the client resends from lastMutationId+1
		}
		fresh = append(fresh, m)
		var r *streetdesk.MutationResult
		effect := true
		prev, prevFP, err := rs.lookup(m.Key)
		if err != nil {
			return nil, nil, err
		}
		if prev != nil {
			if prevFP != fp {
				return nil, nil, mismatch(streetdesk.MismatchKey, "this key was used before with a different payload", m.ID)
			}
			r = prev
			r.ID = m.ID
			r.Status = streetdesk.ResultDuplicate
			effect = false
		} else {
			// applyMutation decides every rejection before it writes
			// anything, so a rejected mutation leaves only its result and
			// needs no savepoint (one less round of statements per
			// mutation); an error aborts the whole batch.
			r, err = s.applyMutation(ctx, t, u, &m)
			if err != nil {
				return nil, nil, err
			}
			if h := s.cfg.Hooks.BeforeCommit; h != nil {
				if err := h(m); err != nil {
					return nil, nil, newPushError(http.StatusServiceUnavailable, streetdesk.EINTERNAL, "temporary failure; retry", 0)
				}
			}
			applied = append(applied, m)
		}
		if err := rs.add(&m, fp, effect, r); err != nil {
			return nil, nil, err
		}
		last = m.ID
		resp.Results = append(resp.Results, *r)
	}
	if err := t.StoreResults(ctx, req.ClientID, u.ID, rs.rows, t.now); err != nil {
		return nil, nil, err
	}
	if err := t.SetLastMutationID(ctx, req.ClientID, last); err != nil {
		return nil, nil, err
	}
	// The action log flags, never refuses: it cannot fail a push but for
	// the database failing.
	if resp.Chain, err = t.storeChain(ctx, u, req, fresh, pre); err != nil {
		return nil, nil, err
	}
	resp.LastMutationID = last
	return resp, applied, nil
}

func (t *tx) storedResult(ctx context.Context, clientID string, id int64, key, fp string) (*streetdesk.MutationResult, error) {
	sr, err := t.Result(ctx, clientID, id)
	if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
		return nil, mismatch(streetdesk.MismatchID, "mutation id below lastMutationId with no stored result", id)
	}
	if err != nil {
		return nil, err
	}
	if sr.Key != key || sr.Fingerprint != fp {
		return nil, mismatch(streetdesk.MismatchID, "this mutation id was processed with a different key or payload", id)
	}
	var r streetdesk.MutationResult
	if err := json.Unmarshal(sr.Result, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// batchResults holds a push's results until they are written, and the
// stored results for the batch's keys.
type batchResults struct {
	byKey map[string]store.StoredResult // best stored result per key: this batch's effective ones, then the database's
	rows  []store.ResultRow
}

// pushQuery names what a batch reads ahead: its keys, its orders (once
// each) and the ids of the notes and photos it may insert (peeked at in
// the arguments; a malformed one is left to the mutation's own check).
func pushQuery(req *streetdesk.PushRequest) store.PushQuery {
	q := store.PushQuery{ClientID: req.ClientID}
	seen, seenFact := map[string]bool{}, map[string]bool{}
	for i := range req.Mutations {
		m := &req.Mutations[i]
		q.Keys = append(q.Keys, m.Key)
		if !seen[m.OrderID] {
			seen[m.OrderID] = true
			q.OrderIDs = append(q.OrderIDs, m.OrderID)
		}
		if _, fact := factHandlers[m.Name]; fact {
			var ids struct {
				NoteID     string `json:"noteId"`
				PhotoRefID string `json:"photoRefId"`
			}
			if json.Unmarshal(m.Args, &ids) == nil {
				for _, id := range []string{ids.NoteID, ids.PhotoRefID} {
					if id != "" && !seenFact[id] {
						seenFact[id] = true
						q.FactIDs = append(q.FactIDs, id)
					}
				}
			}
		}
	}
	return q
}

// newBatchResults keeps per key the stored result with effect, if any.
func newBatchResults(stored []store.StoredResult, n int) *batchResults {
	rs := &batchResults{byKey: map[string]store.StoredResult{}, rows: make([]store.ResultRow, 0, n)}
	for _, r := range stored {
		if prev, ok := rs.byKey[r.Key]; !ok || r.Effect && !prev.Effect {
			rs.byKey[r.Key] = r
		}
	}
	return rs
}

// lookup returns the stored result for key, if any, and its fingerprint.
func (rs *batchResults) lookup(key string) (*streetdesk.MutationResult, string, error) {
	sr, ok := rs.byKey[key]
	if !ok {
		return nil, "", nil
	}
	var r streetdesk.MutationResult
	if err := json.Unmarshal(sr.Result, &r); err != nil {
		return nil, "", err
	}
	return &r, sr.Fingerprint, nil
}

// add records m's result for StoreResults.
func (rs *batchResults) add(m *streetdesk.Mutation, fp string, effect bool, r *streetdesk.MutationResult) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	rs.rows = append(rs.rows, store.ResultRow{ID: m.ID, Key: m.Key, Fingerprint: fp, OrderID: m.OrderID, Effect: effect, Result: data})
	if prev, ok := rs.byKey[m.Key]; !ok || effect && !prev.Effect {
		rs.byKey[m.Key] = store.StoredResult{Key: m.Key, Fingerprint: fp, Result: data, Effect: effect}
	}
	return nil
}

// result builds a mutation's result.
func result(m *streetdesk.Mutation, st streetdesk.ResultStatus, code streetdesk.ResultCode, msg string) *streetdesk.MutationResult {
	return &streetdesk.MutationResult{ID: m.ID, Key: m.Key, Name: m.Name, OrderID: m.OrderID, Status: st, Code: code, Message: msg}
}

var conflictMessages = map[streetdesk.ResultCode]string{
	streetdesk.CodeReassigned:        "该工单已转派给其他人",
	streetdesk.CodeCancelled:         "该工单已被撤单",
	streetdesk.CodeStaleCycle:        "该工单已被重办，操作基于旧的办理轮次",
	streetdesk.CodeStatusChanged:     "工单状态已被他人改变",
	streetdesk.CodeAlreadyResolved:   "该工单已办结",
	streetdesk.CodeInvalidTransition: "当前状态不允许此操作",
	streetdesk.CodeForbidden:         "无权执行此操作",
	streetdesk.CodeNotFound:          "工单不存在",
	streetdesk.CodeServerError:       "服务器无法处理此操作",
}

// pushOp is one mutation being applied inside a push transaction, with what
// every handler needs.
type pushOp struct {
	s    *Server
	t    *tx
	u    *streetdesk.User
	m    *streetdesk.Mutation
	args any // decoded and validated
	o    *streetdesk.WorkOrder
	sv   int64 // the version at which o's status last changed
	// current: u works the order now (a lead: their team's orders; a
	// caseworker: those assigned to them); past: a caseworker held it before.
	current, past bool
	// op is the lifecycle operation (a resolution may go to review first).
	op streetdesk.Operation
	// res is the resolution a submitResolution carries, kept as a proposal
	// when the order moved on.
	res *streetdesk.SubmitResolutionArgs
}

// mutationHandler applies one kind of mutation. Business outcomes are
// results; only infrastructure failures are errors. Every rejection is
// decided before anything is written, so a rejected mutation leaves only its
// result.
type mutationHandler func(ctx context.Context, p *pushOp) (*streetdesk.MutationResult, error)

// factHandlers keep facts: notes and photos are always kept, whatever
// happened to the order. They see its header only.
var factHandlers = map[string]mutationHandler{
	streetdesk.MutAddNote:       applyNote,
	streetdesk.MutRecordContact: applyNote,
	streetdesk.MutAttachPhoto:   applyPhoto,
}

// statusHandlers change the order's state, checked against what happened
// since the mutation's base version. They see the whole order.
var statusHandlers = map[string]mutationHandler{
	streetdesk.MutAccept:           applyPlain,
	streetdesk.MutRequestReturn:    applyPlain,
	streetdesk.MutRequestExtension: applyExtension,
	streetdesk.MutSubmitResolution: applyResolution,
	streetdesk.MutReassign:         applyReassign,
	streetdesk.MutApproveReview:    applyApproveReview,
	streetdesk.MutSendBack:         applySendBack,
	streetdesk.MutProposeEvent:     applyProposeEvent,
}

// applyMutation runs one mutation against the authoritative state and
// returns its result, following the conflict rules of docs/protocol.md:
// arguments and access first, then the handler of the mutation's name.
func (s *Server) applyMutation(ctx context.Context, t *tx, u *streetdesk.User, m *streetdesk.Mutation) (*streetdesk.MutationResult, error) {
	p := &pushOp{s: s, t: t, u: u, m: m, op: streetdesk.Operation(m.Name)}
	if h := s.cfg.Hooks.Poison; h != nil && h(*m) {
		return p.reject(streetdesk.ResultRejected, streetdesk.CodeServerError, ""), nil
	}
	fact, isFact := factHandlers[m.Name]
	status, isStatus := statusHandlers[m.Name]
	if !isFact && !isStatus {
		return nil, fmt.Errorf("mutation %s has no handler", m.Name)
	}
	var err error
	if p.args, err = streetdesk.DecodeArgs(m.Name, m.Args); err != nil {
		code := streetdesk.CodeValidation
		if errors.Is(err, streetdesk.ErrTooLarge) {
			code = streetdesk.CodeTooLarge
		}
		return p.reject(streetdesk.ResultRejected, code, streetdesk.ErrorMessage(err)), nil
	}
	p.o, p.sv, err = t.header(ctx, m.OrderID)
	if errors.Is(err, errNoOrder) {
		return p.reject(streetdesk.ResultRejected, streetdesk.CodeNotFound, ""), nil
	}
	if err != nil {
		return nil, err
	}
	if err := p.access(ctx); err != nil {
		return nil, err
	}
	if !p.current && !p.past {
		return p.reject(streetdesk.ResultRejected, streetdesk.CodeForbidden, ""), nil
	}
	if isFact {
		return fact(ctx, p)
	}
	if err := p.load(ctx); err != nil {
		return nil, err
	}
	return status(ctx, p)
}

// access works out whether u may touch the order: a lead works the whole
// team; a caseworker their own orders and, for facts and explanations,
// orders they held before.
func (p *pushOp) access(ctx context.Context) error {
	switch p.u.Role {
	case streetdesk.RoleLead:
		p.current = p.o.TeamID == p.u.TeamID
	case streetdesk.RoleCaseworker:
		p.current = p.o.AssigneeID == p.u.ID && p.o.TeamID == p.u.TeamID
		if !p.current {
			var err error
			if p.past, err = p.t.Assigned(ctx, p.o.ID, p.u.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// reject is a result other than applied, with the code's standard message
// when msg is empty.
func (p *pushOp) reject(st streetdesk.ResultStatus, code streetdesk.ResultCode, msg string) *streetdesk.MutationResult {
	if msg == "" {
		msg = conflictMessages[code]
	}
	return result(p.m, st, code, msg)
}

// applied is the result of a mutation that took effect.
func (p *pushOp) applied() *streetdesk.MutationResult {
	r := result(p.m, streetdesk.ResultApplied, streetdesk.CodeNone, "")
	r.Version = p.o.Version
	return r
}

// factCycle is the cycle a note or photo belongs to: the one its author
// worked in.
func (p *pushOp) factCycle() int { return min(p.m.BaseCycle, p.o.Cycle) }

// movedOn reports whether a fact arrives after the order left its author:
// it is kept, and tagged so.
func (p *pushOp) movedOn() bool {
	return !p.current || p.o.AssigneeID != p.u.ID && p.u.Role == streetdesk.RoleCaseworker || p.o.Status.Terminal() || p.m.BaseCycle < p.o.Cycle
}

// factResult is the result of a kept note or photo.
func (p *pushOp) factResult() *streetdesk.MutationResult {
	r := p.applied()
	if p.movedOn() {
		r.Disposition = streetdesk.DispositionKeptAsFact
	}
	return r
}

// applyNote keeps a survey note or a contact record: facts are always kept.
// The first contact recorded while the order is being worked also stops its
// first-contact clock.
func applyNote(ctx context.Context, p *pushOp) (*streetdesk.MutationResult, error) {
	u, o := p.u, p.o
	n := streetdesk.Note{WorkOrderID: o.ID, AuthorID: u.ID, AuthorName: u.Name, Cycle: p.factCycle(), CreatedAt: p.t.now,
		AuthorWasAssignee: o.AssigneeID == u.ID || u.Role == streetdesk.RoleLead && p.current}
	contact, isContact := p.args.(*streetdesk.RecordContactArgs)
	if isContact {
		n.ID, n.Kind, n.Body, n.Method, n.Reached = contact.NoteID, streetdesk.NoteContact, contact.Body, contact.Method, contact.Reached
	} else {
		a := p.args.(*streetdesk.AddNoteArgs)
		n.ID, n.Kind, n.Body = a.NoteID, streetdesk.NoteSurvey, a.Body
	}
	inserted, err := p.t.insertNote(ctx, &n, o)
	if err != nil {
		return nil, err
	}
	if !inserted {
		if r, err := p.idOnOtherOrder(ctx, p.t.NoteOrder, n.ID, "noteId"); r != nil || err != nil {
			return r, err
		}
	}
	if isContact && p.current {
		if err := p.load(ctx); err != nil {
			return nil, err
		}
		if _, err := p.change(ctx, contact); err != nil && !isTransitionError(err) {
			return nil, err
		}
	}
	return p.factResult(), nil
}

// applyPhoto keeps a photo reference.
func applyPhoto(ctx context.Context, p *pushOp) (*streetdesk.MutationResult, error) {
	a := p.args.(*streetdesk.AttachPhotoArgs)
	present, err := p.t.blobExists(ctx, a.SHA256)
	if err != nil {
		return nil, err
	}
	ph := streetdesk.PhotoRef{ID: a.PhotoRefID, WorkOrderID: p.o.ID, SHA256: a.SHA256, Size: a.Size, MIME: a.MIME, Tag: a.Tag,
		Caption: a.Caption, TakenAt: a.TakenAt, Lat: a.Lat, Lng: a.Lng, AuthorID: p.u.ID, Cycle: p.factCycle(), CreatedAt: p.t.now, BlobPresent: present}
	inserted, err := p.t.insertPhoto(ctx, &ph, p.o)
	if err != nil {
		return nil, err
	}
	if !inserted {
		if r, err := p.idOnOtherOrder(ctx, p.t.PhotoRefOrder, ph.ID, "photoRefId"); r != nil || err != nil {
			return r, err
		}
	}
	if present {
		if err := p.t.GrantBlob(ctx, a.SHA256, p.u.ID); err != nil {
			return nil, fmt.Errorf("blob access: %w", err)
		}
	}
	r := p.factResult()
	r.BlobPresent = &present
	return r, nil
}

// idOnOtherOrder rejects a fact whose client id is already used on another
// order (the same id on the same order is a resend: nil, nil).
func (p *pushOp) idOnOtherOrder(ctx context.Context, orderOf func(context.Context, string) (string, error), id, field string) (*streetdesk.MutationResult, error) {
	exists, err := orderOf(ctx, id)
	if err != nil {
		return nil, err
	}
	if exists != p.o.ID {
		return p.reject(streetdesk.ResultRejected, streetdesk.CodeValidation, field+" already used on another order"), nil
	}
	return nil, nil
}

func isTransitionError(err error) bool {
	var te *streetdesk.TransitionError
	return errors.As(err, &te)
}

// load reads the whole order (facts work on its header only).
func (p *pushOp) load(ctx context.Context) error {
	var err error
	p.o, p.sv, err = p.t.Order(ctx, p.o.ID)
	return err
}

// checkChange decides whether a status change may apply: what happened to
// the order since the mutation's base version and cycle, then the lifecycle.
// A non-nil result is the conflict or rejection to answer.
func (p *pushOp) checkChange(ctx context.Context) (*streetdesk.MutationResult, error) {
	o := p.o
	switch {
	case o.Status == streetdesk.StatusCancelled:
		return p.conflict(ctx, streetdesk.CodeCancelled)
	case p.u.Role == streetdesk.RoleCaseworker && !p.current:
		if o.Status == streetdesk.StatusReturned {
			return p.conflict(ctx, streetdesk.CodeStatusChanged)
		}
		return p.conflict(ctx, streetdesk.CodeReassigned)
	case p.m.BaseCycle < o.Cycle:
		return p.conflict(ctx, streetdesk.CodeStaleCycle)
	}
	_, err := streetdesk.Apply(o.Status, p.op, p.u.Role)
	var te *streetdesk.TransitionError
	switch {
	case err == nil:
		return nil, nil
	case !errors.As(err, &te):
		return nil, err
	case te.Code == streetdesk.EFORBIDDEN:
		return p.conflict(ctx, streetdesk.CodeForbidden)
	}
	done := o.Status == streetdesk.StatusResolved || o.Status == streetdesk.StatusClosed || o.Status == streetdesk.StatusAwaitingReview
	switch {
	case done && (p.res != nil || p.sv > p.m.BaseVersion):
		return p.conflict(ctx, streetdesk.CodeAlreadyResolved)
	case p.sv > p.m.BaseVersion:
		return p.conflict(ctx, streetdesk.CodeStatusChanged)
	}
	return p.conflict(ctx, streetdesk.CodeInvalidTransition)
}

// conflict answers a status change that cannot apply. A resolution's field
// work is evidence: it is kept as a proposal the lead can see.
func (p *pushOp) conflict(ctx context.Context, code streetdesk.ResultCode) (*streetdesk.MutationResult, error) {
	st := streetdesk.ResultConflict
	if code == streetdesk.CodeInvalidTransition || code == streetdesk.CodeForbidden || code == streetdesk.CodeValidation {
		st = streetdesk.ResultRejected
	}
	o := p.o
	r := p.reject(st, code, "")
	r.ServerVersion, r.ServerStatus = o.Version, o.Status
	if code == streetdesk.CodeReassigned {
		r.NewAssignee = o.AssigneeID
	}
	if p.res != nil && code != streetdesk.CodeForbidden && code != streetdesk.CodeValidation {
		pr := streetdesk.Resolution{ID: p.res.ResolutionID, WorkOrderID: o.ID, Cycle: p.factCycle(), Outcome: p.res.Outcome, Reply: p.res.Reply,
			PhotoRefIDs: nonNil(p.res.PhotoRefIDs), PublishPhotoRefIDs: p.res.PublishPhotoRefIDs, State: streetdesk.ResolutionProposal,
			AuthorID: p.u.ID, CreatedAt: p.t.now}
		if err := p.t.checkResolution(ctx, o, &pr, p.m.EvidenceChecks); err != nil {
			return nil, err
		}
		if err := p.t.putResolution(ctx, &pr, o); err != nil {
			return nil, err
		}
		r.Disposition = streetdesk.DispositionKeptAsProposal
		r.Status = streetdesk.ResultConflict
	}
	return r, nil
}

// change makes the operation's effect on the order (streetdesk's
// WorkOrder.Apply, the rule the desks' overlays follow too), records it in
// the history and saves the order. It reports false when the order did not
// change.
func (p *pushOp) change(ctx context.Context, args any) (bool, error) {
	prev := p.o.Status
	ev, err := p.o.Apply(p.op, args, *p.u, p.t.now)
	if err != nil || ev == nil {
		return false, err
	}
	p.o.History = append(p.o.History, *ev)
	return true, p.t.saveOrder(ctx, p.o, prev, p.sv)
}

// changeStatus is the common path of a status change: check, then change.
// prepare, when set, runs between the two and may still reject.
func (p *pushOp) changeStatus(ctx context.Context, args any, prepare func() (*streetdesk.MutationResult, error)) (*streetdesk.MutationResult, error) {
	if r, err := p.checkChange(ctx); r != nil || err != nil {
		return r, err
	}
	if prepare != nil {
		if r, err := prepare(); r != nil || err != nil {
			return r, err
		}
	}
	if _, err := p.change(ctx, args); err != nil {
		return nil, err
	}
	return p.applied(), nil
}

// applyPlain is a status change with no more to check or write: accept,
// requestReturn.
func applyPlain(ctx context.Context, p *pushOp) (*streetdesk.MutationResult, error) {
	return p.changeStatus(ctx, p.args, nil)
}

// applyExtension checks the requested date against the working-day calendar.
func applyExtension(ctx context.Context, p *pushOp) (*streetdesk.MutationResult, error) {
	a := p.args.(*streetdesk.RequestExtensionArgs)
	return p.changeStatus(ctx, a, func() (*streetdesk.MutationResult, error) {
		if err := p.s.cfg.Calendar.CheckExtension(p.o.Deadlines.ResolveBy, a.NewResolveBy, p.t.now); err != nil {
			return p.reject(streetdesk.ResultRejected, streetdesk.CodeValidation, streetdesk.ErrorMessage(err)), nil
		}
		return nil, nil
	})
}

// applyResolution resolves the order (办结), or sends the resolution to the
// lead first when the team reviews resolutions.
func applyResolution(ctx context.Context, p *pushOp) (*streetdesk.MutationResult, error) {
	a := p.args.(*streetdesk.SubmitResolutionArgs)
	tm, err := p.t.Team(ctx, p.o.TeamID)
	if err != nil {
		return nil, err
	}
	p.op = streetdesk.SubmitOp(tm.ReviewResolutions)
	for _, id := range a.PhotoRefIDs {
		order, err := p.t.PhotoRefOrder(ctx, id)
		if err != nil && streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
			return nil, err
		}
		if order != p.o.ID {
			return p.reject(streetdesk.ResultRejected, streetdesk.CodeValidation, fmt.Sprintf("photo %s is not attached to this order", id)), nil
		}
	}
	p.res = a
	return p.changeStatus(ctx, a, func() (*streetdesk.MutationResult, error) {
		exists, err := p.t.ResolutionExists(ctx, a.ResolutionID)
		if err != nil {
			return nil, err
		}
		if exists {
			return p.reject(streetdesk.ResultRejected, streetdesk.CodeValidation, "resolutionId already used"), nil
		}
		o := p.o
		rs := streetdesk.Resolution{ID: a.ResolutionID, WorkOrderID: o.ID, Cycle: o.Cycle, Outcome: a.Outcome, Reply: a.Reply,
			PhotoRefIDs: nonNil(a.PhotoRefIDs), PublishPhotoRefIDs: a.PublishPhotoRefIDs, State: streetdesk.ResolutionAccepted,
			AuthorID: p.u.ID, CreatedAt: p.t.now}
		if p.op == streetdesk.OpSubmitForReview {
			rs.State = streetdesk.ResolutionReview
		} else {
			ok, err := p.t.PhotosPresent(ctx, o.ID, a.PhotoRefIDs)
			if err != nil {
				return nil, err
			}
			o.AwaitingMedia = !ok
			if err := p.t.publishPhotos(ctx, &rs, o); err != nil {
				return nil, err
			}
		}
		if err := p.t.checkResolution(ctx, o, &rs, p.m.EvidenceChecks); err != nil {
			return nil, err
		}
		return nil, p.t.putResolution(ctx, &rs, o)
	})
}

// applyReassign moves the order to another member of its team; the previous
// assignee's desks are told it left them.
func applyReassign(ctx context.Context, p *pushOp) (*streetdesk.MutationResult, error) {
	a := p.args.(*streetdesk.ReassignArgs)
	if r, err := p.checkChange(ctx); r != nil || err != nil {
		return r, err
	}
	target, _, err := p.t.User(ctx, a.To)
	if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND || err == nil && (target.TeamID != p.o.TeamID || target.Role.Centre()) {
		return p.reject(streetdesk.ResultRejected, streetdesk.CodeValidation, "the new assignee must be a member of this order's team"), nil
	}
	if err != nil {
		return nil, err
	}
	previous := p.o.AssigneeID
	changed, err := p.change(ctx, &streetdesk.Reassignment{To: *target, Reason: a.Reason})
	if err != nil || !changed {
		return p.applied(), err
	}
	if err := p.t.Assign(ctx, p.o.ID, target.ID); err != nil {
		return nil, err
	}
	if err := p.t.revoke(ctx, previous, p.o, streetdesk.CodeReassigned); err != nil {
		return nil, err
	}
	if err := p.t.retouchOrder(ctx, p.o); err != nil {
		return nil, err
	}
	return p.applied(), nil
}

// applyApproveReview signs the waiting resolution off (签发): it reaches the
// centre now.
func applyApproveReview(ctx context.Context, p *pushOp) (*streetdesk.MutationResult, error) {
	return p.changeStatus(ctx, p.args, func() (*streetdesk.MutationResult, error) {
		return nil, p.reviewed(ctx, streetdesk.ResolutionAccepted)
	})
}

// applySendBack returns the waiting resolution to the caseworker; it stays
// as a proposal beside the lead's comment.
func applySendBack(ctx context.Context, p *pushOp) (*streetdesk.MutationResult, error) {
	return p.changeStatus(ctx, p.args, func() (*streetdesk.MutationResult, error) {
		return nil, p.reviewed(ctx, streetdesk.ResolutionProposal)
	})
}

// reviewed moves the resolutions waiting for review to state; an accepted
// one waits for its photos' bytes (awaiting_media) if they are missing.
func (p *pushOp) reviewed(ctx context.Context, state streetdesk.ResolutionState) error {
	rs, err := p.t.Resolutions(ctx, p.o.ID)
	if err != nil {
		return err
	}
	for i := range rs {
		if rs[i].State != streetdesk.ResolutionReview {
			continue
		}
		rs[i].State = state
		if state == streetdesk.ResolutionAccepted {
			ok, err := p.t.PhotosPresent(ctx, p.o.ID, rs[i].PhotoRefIDs)
			if err != nil {
				return err
			}
			p.o.AwaitingMedia = !ok
			if err := p.t.publishPhotos(ctx, &rs[i], p.o); err != nil {
				return err
			}
		}
		if err := p.t.putResolution(ctx, &rs[i], p.o); err != nil {
			return err
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
