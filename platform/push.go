package platform

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
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
	if !s.decodeOrFail(w, r, streetdesk.MaxPushBytes, &req) {
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
	if len(req.Mutations) > streetdesk.MaxPushMutations {
		writeError(w, http.StatusRequestEntityTooLarge, streetdesk.EINVALID, fmt.Sprintf("at most %d mutations per push", streetdesk.MaxPushMutations))
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

	resp, applied, err := s.push(r.Context(), u, &req)
	if err != nil {
		var pe *pushError
		if errors.As(err, &pe) {
			if pe.status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "1")
			}
			writeErrorBody(w, pe.status, pe.body)
			return
		}
		// Anything else (the database busy or failing) rolled the batch
		// back: transient for the client, which resends the same ids.
		s.log.Error("push failed", "request_id", r.Context().Value(ctxRequestID), "err", err)
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, streetdesk.EINTERNAL, "temporary failure; retry")
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

// push processes a batch in one transaction (reference §a4): dedupe on (clientId, id) and key, stop at an id gap,
// lastMutationId advanced in the same transaction as the effects.
func (s *Server) push(ctx context.Context, u *streetdesk.User, req *streetdesk.PushRequest) (*streetdesk.PushResponse, []streetdesk.Mutation, error) {
	ctx = context.WithoutCancel(ctx) // see begin
	t, err := s.begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer t.Rollback()

	var owner string
	var last int64
	var forgotten int
	err = t.QueryRowContext(ctx, `SELECT user_id, last_mutation_id, forgotten FROM clients WHERE id = ?`, req.ClientID).Scan(&owner, &last, &forgotten)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// A new client starts wherever its numbering is (a re-registered
		// client keeps its AUTOINCREMENT ids).
		last = 0
		if len(req.Mutations) > 0 {
			last = req.Mutations[0].ID - 1
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO clients (id, user_id, last_mutation_id, created_at) VALUES (?,?,?,?)`,
			req.ClientID, u.ID, last, t.now.UnixMilli()); err != nil {
			return nil, nil, fmt.Errorf("register client: %w", err)
		}
	case err != nil:
		return nil, nil, fmt.Errorf("load client: %w", err)
	case owner != u.ID:
		return nil, nil, newPushError(http.StatusForbidden, streetdesk.EFORBIDDEN, "this clientId belongs to another user", 0)
	case forgotten == 1:
		return nil, nil, newPushError(http.StatusConflict, streetdesk.ErrClientStateNotFound, "the platform has no state for this client; register a new clientId and re-send", 0)
	}

	resp := &streetdesk.PushResponse{Results: []streetdesk.MutationResult{}}
	var applied []streetdesk.Mutation
	// Every key of the batch is looked up in one query, and the results are
	// written in multi-row INSERTs before the commit: per mutation that saves
	// three statements. Nothing in a push reads mutation_results except the
	// key lookup, which also sees this batch's own results (rs.byKey).
	rs, err := t.prefetchKeys(ctx, req.Mutations, last)
	if err != nil {
		return nil, nil, err
	}
	// The order headers too, in one query; an order is re-read after the
	// batch writes it.
	var orderIDs []string
	seen := map[string]bool{}
	for i := range req.Mutations {
		if m := &req.Mutations[i]; m.ID > last && !seen[m.OrderID] {
			seen[m.OrderID] = true
			orderIDs = append(orderIDs, m.OrderID)
		}
	}
	if err := t.prefetchHeaders(ctx, orderIDs); err != nil {
		return nil, nil, err
	}
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
		var r *streetdesk.MutationResult
		effect := 1
		prev, prevFP, err := rs.lookup(m.Key)
		if err != nil {
			return nil, nil, err
		}
		if prev != nil {
			if prevFP != fp {
				return nil, nil, newPushError(http.StatusUnprocessableEntity, streetdesk.ErrKeyPayloadMismatch,
					"this key was used before with a different payload", m.ID)
			}
			r = prev
			r.ID = m.ID
			r.Status = streetdesk.ResultDuplicate
			effect = 0
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
	if err := t.storeResults(ctx, req.ClientID, u.ID, rs.rows); err != nil {
		return nil, nil, err
	}
	if _, err := t.ExecContext(ctx, `UPDATE clients SET last_mutation_id = ? WHERE id = ?`, last, req.ClientID); err != nil {
		return nil, nil, err
	}
	if err := t.Commit(); err != nil {
		return nil, nil, fmt.Errorf("commit push: %w", err)
	}
	resp.LastMutationID = last
	return resp, applied, nil
}

func (t *tx) storedResult(ctx context.Context, clientID string, id int64, key, fp string) (*streetdesk.MutationResult, error) {
	var skey, sfp, data string
	err := t.QueryRowContext(ctx, `SELECT key, fingerprint, result FROM mutation_results WHERE client_id = ? AND id = ?`, clientID, id).Scan(&skey, &sfp, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, newPushError(http.StatusUnprocessableEntity, streetdesk.ErrKeyPayloadMismatch,
			"mutation id below lastMutationId with no stored result", id)
	}
	if err != nil {
		return nil, err
	}
	if skey != key || sfp != fp {
		return nil, newPushError(http.StatusUnprocessableEntity, streetdesk.ErrKeyPayloadMismatch,
			"this mutation id was processed with a different key or payload", id)
	}
	var r streetdesk.MutationResult
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// storedRow is a mutation result as it is stored.
type storedRow struct {
	fp     string
	data   string
	effect int
	id     int64
	key    string
	order  string
}

// batchResults holds a push's results until they are written, and the
// stored results for the batch's keys.
type batchResults struct {
	byKey map[string]storedRow // best stored result per key: this batch's effective ones, then the database's
	rows  []storedRow
}

// prefetchKeys reads the stored results for the keys of the mutations above
// last, keeping per key the one with effect (as resultByKey did with ORDER BY
// effect DESC).
func (t *tx) prefetchKeys(ctx context.Context, ms []streetdesk.Mutation, last int64) (*batchResults, error) {
	rs := &batchResults{byKey: map[string]storedRow{}, rows: make([]storedRow, 0, len(ms))}
	var args []any
	for i := range ms {
		if ms[i].ID > last {
			args = append(args, ms[i].Key)
		}
	}
	if len(args) == 0 {
		return rs, nil
	}
	q := `SELECT key, fingerprint, result, effect FROM mutation_results WHERE key IN (?` + strings.Repeat(",?", len(args)-1) + `)`
	rows, err := t.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("look up keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r storedRow
		if err := rows.Scan(&r.key, &r.fp, &r.data, &r.effect); err != nil {
			return nil, err
		}
		if prev, ok := rs.byKey[r.key]; !ok || r.effect > prev.effect {
			rs.byKey[r.key] = r
		}
	}
	return rs, rows.Err()
}

// lookup returns the stored result for key, if any, and its fingerprint.
func (rs *batchResults) lookup(key string) (*streetdesk.MutationResult, string, error) {
	sr, ok := rs.byKey[key]
	if !ok {
		return nil, "", nil
	}
	var r streetdesk.MutationResult
	if err := json.Unmarshal([]byte(sr.data), &r); err != nil {
		return nil, "", err
	}
	return &r, sr.fp, nil
}

// add records m's result for storeResults.
func (rs *batchResults) add(m *streetdesk.Mutation, fp string, effect int, r *streetdesk.MutationResult) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	sr := storedRow{fp: fp, data: string(data), effect: effect, id: m.ID, key: m.Key, order: m.OrderID}
	rs.rows = append(rs.rows, sr)
	if prev, ok := rs.byKey[m.Key]; !ok || effect > prev.effect {
		rs.byKey[m.Key] = sr
	}
	return nil
}

// storeResults writes a batch's results and their change-log entries, in
// that order, one multi-row INSERT each.
func (t *tx) storeResults(ctx context.Context, clientID, userID string, rows []storedRow) error {
	if len(rows) == 0 {
		return nil
	}
	at := t.now.UnixMilli()
	args := make([]any, 0, 8*len(rows))
	for _, r := range rows {
		args = append(args, clientID, r.id, r.key, r.fp, userID, r.effect, r.data, at)
	}
	q := `INSERT INTO mutation_results (client_id, id, key, fingerprint, user_id, effect, result, at) VALUES (?,?,?,?,?,?,?,?)` +
		strings.Repeat(",(?,?,?,?,?,?,?,?)", len(rows)-1)
	if _, err := t.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("store results: %w", err)
	}
	args = args[:0]
	for _, r := range rows {
		args = append(args, clientID+"/"+strconv.FormatInt(r.id, 10), r.order, clientID, r.data, at)
	}
	q = `INSERT OR REPLACE INTO change_log (type, entity_id, order_id, client_id, extra, at) VALUES ('mutationResult',?,?,?,?,?)` +
		strings.Repeat(",('mutationResult',?,?,?,?,?)", len(rows)-1)
	if _, err := t.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("store results: %w", err)
	}
	return nil
}

// outcome builds results.
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

// applyMutation runs one mutation against the authoritative state and
// returns its result: the conflict matrix of reference §a8. Business
// outcomes are results; only infrastructure failures are errors.
func (s *Server) applyMutation(ctx context.Context, t *tx, u *streetdesk.User, m *streetdesk.Mutation) (*streetdesk.MutationResult, error) {
	rej := func(st streetdesk.ResultStatus, code streetdesk.ResultCode, msg string) *streetdesk.MutationResult {
		if msg == "" {
			msg = conflictMessages[code]
		}
		return result(m, st, code, msg)
	}
	if h := s.cfg.Hooks.Poison; h != nil && h(*m) {
		return rej(streetdesk.ResultRejected, streetdesk.CodeServerError, ""), nil
	}
	args, err := streetdesk.DecodeArgs(m.Name, m.Args)
	if err != nil {
		code := streetdesk.CodeValidation
		if msg := streetdesk.ErrorMessage(err); strings.Contains(msg, "too long") || strings.Contains(msg, "too many") {
			code = streetdesk.CodeTooLarge
		}
		return rej(streetdesk.ResultRejected, code, streetdesk.ErrorMessage(err)), nil
	}
	o, sv, err := t.header(ctx, m.OrderID)
	if errors.Is(err, errNoOrder) {
		return rej(streetdesk.ResultRejected, streetdesk.CodeNotFound, ""), nil
	}
	if err != nil {
		return nil, err
	}
	// Access: a lead works the whole team; a caseworker their own orders and,
	// for facts and explanations, orders they held before.
	current, past := false, false
	switch u.Role {
	case streetdesk.RoleLead:
		current = o.TeamID == u.TeamID
	case streetdesk.RoleCaseworker:
		current = o.AssigneeID == u.ID && o.TeamID == u.TeamID
		if !current {
			var n int
			if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM assignments WHERE order_id = ? AND user_id = ?`, o.ID, u.ID).Scan(&n); err != nil {
				return nil, err
			}
			past = n > 0
		}
	}
	if !current && !past {
		return rej(streetdesk.ResultRejected, streetdesk.CodeForbidden, ""), nil
	}
	r := rej(streetdesk.ResultApplied, streetdesk.CodeNone, "")
	r.Message = ""
	prevStatus := o.Status
	event := func(op streetdesk.Operation, text string) {
		o.History = append(o.History, streetdesk.Event{At: t.now, Actor: u.Name, Kind: string(op), Text: text, Cycle: o.Cycle})
	}

	// Facts: always kept, tagged when the order moved on.
	factCycle := o.Cycle
	if m.BaseCycle < o.Cycle {
		factCycle = m.BaseCycle
	}
	movedOn := !current || o.AssigneeID != u.ID && u.Role == streetdesk.RoleCaseworker || o.Status.Terminal() || m.BaseCycle < o.Cycle
	switch a := args.(type) {
	case *streetdesk.AddNoteArgs, *streetdesk.RecordContactArgs:
		n := streetdesk.Note{WorkOrderID: o.ID, AuthorID: u.ID, AuthorName: u.Name, Cycle: factCycle, CreatedAt: t.now,
			AuthorWasAssignee: o.AssigneeID == u.ID || u.Role == streetdesk.RoleLead && current}
		contact := false
		if na, ok := a.(*streetdesk.AddNoteArgs); ok {
			n.ID, n.Kind, n.Body = na.NoteID, streetdesk.NoteSurvey, na.Body
		} else {
			ca := a.(*streetdesk.RecordContactArgs)
			n.ID, n.Kind, n.Body, n.Method, n.Reached = ca.NoteID, streetdesk.NoteContact, ca.Body, ca.Method, ca.Reached
			contact = true
		}
		inserted, err := t.insertNote(ctx, &n, o)
		if err != nil {
			return nil, err
		}
		if !inserted {
			var exists string
			if err := t.QueryRowContext(ctx, `SELECT order_id FROM notes WHERE id = ?`, n.ID).Scan(&exists); err != nil {
				return nil, err
			}
			if exists != o.ID {
				return rej(streetdesk.ResultRejected, streetdesk.CodeValidation, "noteId already used on another order"), nil
			}
		}
		if contact && current {
			if o, sv, err = loadOrder(ctx, t, o.ID); err != nil {
				return nil, err
			}
		}
		if contact && current && o.FirstContact.IsZero() {
			// The first contact stops the first-contact clock (platform-owned).
			o.FirstContact = t.now
			event(streetdesk.OpRecordContact, "")
			if err := t.saveOrder(ctx, o, prevStatus, sv); err != nil {
				return nil, err
			}
		}
		if movedOn {
			r.Disposition = streetdesk.DispositionKeptAsFact
		}
		r.Version = o.Version
		return r, nil
	case *streetdesk.AttachPhotoArgs:
		present, err := t.blobExists(ctx, a.SHA256)
		if err != nil {
			return nil, err
		}
		p := streetdesk.PhotoRef{ID: a.PhotoRefID, WorkOrderID: o.ID, SHA256: a.SHA256, Size: a.Size, MIME: a.MIME, Tag: a.Tag,
			Caption: a.Caption, TakenAt: a.TakenAt, Lat: a.Lat, Lng: a.Lng, AuthorID: u.ID, Cycle: factCycle, CreatedAt: t.now, BlobPresent: present}
		inserted, err := t.insertPhoto(ctx, &p, o)
		if err != nil {
			return nil, err
		}
		if !inserted {
			var exists string
			if err := t.QueryRowContext(ctx, `SELECT order_id FROM photo_refs WHERE id = ?`, p.ID).Scan(&exists); err != nil {
				return nil, err
			}
			if exists != o.ID {
				return rej(streetdesk.ResultRejected, streetdesk.CodeValidation, "photoRefId already used on another order"), nil
			}
		}
		if present {
			t.ExecContext(ctx, `INSERT OR IGNORE INTO blob_access VALUES (?,?)`, a.SHA256, u.ID)
		}
		r.BlobPresent = &present
		if movedOn {
			r.Disposition = streetdesk.DispositionKeptAsFact
		}
		r.Version = o.Version
		return r, nil
	}

	// Status changes: checked against what happened since baseVersion.
	if o, sv, err = loadOrder(ctx, t, o.ID); err != nil {
		return nil, err
	}
	var res *streetdesk.SubmitResolutionArgs
	op := streetdesk.Operation(m.Name)
	if a, ok := args.(*streetdesk.SubmitResolutionArgs); ok {
		res = a
		tm, err := t.team(ctx, o.TeamID)
		if err != nil {
			return nil, err
		}
		if tm.ReviewResolutions {
			op = streetdesk.OpSubmitForReview
		}
		for _, id := range a.PhotoRefIDs {
			var n int
			if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM photo_refs WHERE id = ? AND order_id = ?`, id, o.ID).Scan(&n); err != nil {
				return nil, err
			}
			if n == 0 {
				return rej(streetdesk.ResultRejected, streetdesk.CodeValidation, fmt.Sprintf("photo %s is not attached to this order", id)), nil
			}
		}
	}
	conflict := func(code streetdesk.ResultCode) (*streetdesk.MutationResult, error) {
		st := streetdesk.ResultConflict
		if code == streetdesk.CodeInvalidTransition || code == streetdesk.CodeForbidden || code == streetdesk.CodeValidation {
			st = streetdesk.ResultRejected
		}
		cr := rej(st, code, "")
		cr.ServerVersion, cr.ServerStatus = o.Version, o.Status
		if code == streetdesk.CodeReassigned {
			cr.NewAssignee = o.AssigneeID
		}
		if res != nil && code != streetdesk.CodeForbidden && code != streetdesk.CodeValidation {
			// Field work is evidence: the resolution is kept as a proposal
			// the lead can see.
			pr := streetdesk.Resolution{ID: res.ResolutionID, WorkOrderID: o.ID, Cycle: factCycle, Outcome: res.Outcome, Reply: res.Reply,
				PhotoRefIDs: nonNil(res.PhotoRefIDs), State: streetdesk.ResolutionProposal, AuthorID: u.ID, CreatedAt: t.now}
			if err := t.putResolution(ctx, &pr, o); err != nil {
				return nil, err
			}
			cr.Disposition = streetdesk.DispositionKeptAsProposal
			if st == streetdesk.ResultRejected {
				cr.Status = streetdesk.ResultConflict
			}
		}
		return cr, nil
	}
	switch {
	case o.Status == streetdesk.StatusCancelled:
		return conflict(streetdesk.CodeCancelled)
	case u.Role == streetdesk.RoleCaseworker && !current:
		if o.Status == streetdesk.StatusReturned {
			return conflict(streetdesk.CodeStatusChanged)
		}
		return conflict(streetdesk.CodeReassigned)
	case m.BaseCycle < o.Cycle:
		return conflict(streetdesk.CodeStaleCycle)
	}
	to, err := streetdesk.Apply(o.Status, op, u.Role)
	if err != nil {
		var te *streetdesk.TransitionError
		if errors.As(err, &te) && te.Code == streetdesk.EFORBIDDEN {
			return conflict(streetdesk.CodeForbidden)
		}
		done := o.Status == streetdesk.StatusResolved || o.Status == streetdesk.StatusClosed || o.Status == streetdesk.StatusAwaitingReview
		switch {
		case done && (res != nil || sv > m.BaseVersion):
			return conflict(streetdesk.CodeAlreadyResolved)
		case sv > m.BaseVersion:
			return conflict(streetdesk.CodeStatusChanged)
		}
		return conflict(streetdesk.CodeInvalidTransition)
	}

	var revokeUser string
	switch a := args.(type) {
	case *streetdesk.AcceptArgs:
		o.AcceptedAt = t.now
		event(op, "")
	case *streetdesk.RequestReturnArgs:
		o.ReturnRequest = &streetdesk.ReturnRequest{Reason: a.Reason, Text: a.Text}
		event(op, a.Reason.Label("zh")+" "+a.Text)
	case *streetdesk.RequestExtensionArgs:
		if err := s.cfg.Calendar.CheckExtension(o.Deadlines.ResolveBy, a.NewResolveBy); err != nil {
			return rej(streetdesk.ResultRejected, streetdesk.CodeValidation, streetdesk.ErrorMessage(err)), nil
		}
		o.ExtensionRequest = &streetdesk.ExtensionRequest{Reason: a.Reason, NewResolveBy: a.NewResolveBy}
		event(op, a.Reason)
	case *streetdesk.SubmitResolutionArgs:
		var exists int
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM resolutions WHERE id = ?`, a.ResolutionID).Scan(&exists); err != nil {
			return nil, err
		}
		if exists > 0 {
			return rej(streetdesk.ResultRejected, streetdesk.CodeValidation, "resolutionId already used"), nil
		}
		rs := streetdesk.Resolution{ID: a.ResolutionID, WorkOrderID: o.ID, Cycle: o.Cycle, Outcome: a.Outcome, Reply: a.Reply,
			PhotoRefIDs: nonNil(a.PhotoRefIDs), State: streetdesk.ResolutionAccepted, AuthorID: u.ID, CreatedAt: t.now}
		if op == streetdesk.OpSubmitForReview {
			rs.State = streetdesk.ResolutionReview
		} else {
			ok, err := t.photosPresent(ctx, o.ID, a.PhotoRefIDs)
			if err != nil {
				return nil, err
			}
			o.AwaitingMedia = !ok
		}
		if err := t.putResolution(ctx, &rs, o); err != nil {
			return nil, err
		}
		o.ReviewComment = ""
		event(op, a.Outcome.Label("zh"))
	case *streetdesk.ReassignArgs:
		target, _, err := getUser(ctx, t, a.To)
		if err != nil || target.TeamID != o.TeamID || target.Role.Centre() {
			return rej(streetdesk.ResultRejected, streetdesk.CodeValidation, "the new assignee must be a member of this order's team"), nil
		}
		if target.ID == o.AssigneeID {
			r.Version = o.Version
			return r, nil // already there: nothing to do
		}
		revokeUser = o.AssigneeID
		o.AssigneeID, o.AssigneeName = target.ID, target.Name
		o.AcceptedAt = timeZero
		event(op, "转派给 "+target.Name+" "+a.Reason)
		if _, err := t.ExecContext(ctx, `INSERT OR IGNORE INTO assignments VALUES (?,?)`, o.ID, target.ID); err != nil {
			return nil, err
		}
	case *streetdesk.ApproveReviewArgs:
		rs, err := t.resolutions(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		for i := range rs {
			if rs[i].State == streetdesk.ResolutionReview {
				rs[i].State = streetdesk.ResolutionAccepted
				ok, err := t.photosPresent(ctx, o.ID, rs[i].PhotoRefIDs)
				if err != nil {
					return nil, err
				}
				o.AwaitingMedia = !ok
				if err := t.putResolution(ctx, &rs[i], o); err != nil {
					return nil, err
				}
			}
		}
		event(op, "")
	case *streetdesk.SendBackArgs:
		rs, err := t.resolutions(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		for i := range rs {
			if rs[i].State == streetdesk.ResolutionReview {
				rs[i].State = streetdesk.ResolutionProposal
				if err := t.putResolution(ctx, &rs[i], o); err != nil {
					return nil, err
				}
			}
		}
		o.ReviewComment = a.Comment
		event(op, a.Comment)
	default:
		return nil, fmt.Errorf("mutation %s has no handler", m.Name)
	}
	o.Status = to
	if err := t.saveOrder(ctx, o, prevStatus, sv); err != nil {
		return nil, err
	}
	if revokeUser != "" {
		if err := t.revoke(ctx, revokeUser, o, streetdesk.CodeReassigned); err != nil {
			return nil, err
		}
		if err := t.retouchOrder(ctx, o); err != nil {
			return nil, err
		}
	}
	r.Version = o.Version
	return r, nil
}

var timeZero time.Time

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func isUnique(err error) bool { return err != nil && strings.Contains(err.Error(), "UNIQUE") }
