package sync_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/streetdesk/streetdesk"
)

// fakePlatform is an in-memory stand-in for package platform with the
// same wire shapes (docs/protocol.md) and the server rules the engine
// depends on: dedupe by (clientId, id) and key,
// 422 on a key with another payload, lastMutationId in the same snapshot as
// the changes, field-level conflict rules for the caseworker ops, tus with
// partial PATCH bodies kept and an end-to-end SHA-256 check.
type fakePlatform struct {
	mu gosync.Mutex

	user     streetdesk.User
	token    string
	refresh  string
	tokenGen int

	clients map[string]*fakeClient
	byKey   map[string]streetdesk.MutationResult // first result per key
	effects map[string]int                       // effects per key (I2)
	seen    []string                             // every key the platform answered

	orders  map[string]*streetdesk.WorkOrder
	seq     int64
	epoch   int
	minSeq  int64 // changes below this are forgotten (cursor expired → reset)
	changes []fakeChange
	notes   map[string]streetdesk.Note
	photos  map[string]streetdesk.PhotoRef

	blobs   map[string][]byte
	uploads map[string]*fakeUpload
	upSeq   int

	// Hooks (nil: none). They run with mu held.
	beforeCommit func(cid string, m *streetdesk.Mutation) int // HTTP status to fail with before the effect
	afterCommit  func(cid string, m *streetdesk.Mutation) int // HTTP status to answer after committing the whole batch
	poison       map[string]bool                              // keys that make the server "crash" (500) every time
	stopAfter    int                                          // process at most this many mutations per push (0: all)
	corrupt      bool                                         // flip a byte of the next finished upload
	handler      func(w http.ResponseWriter, r *http.Request) bool
	pushes       int
	pulls        int
	inPush       map[string]bool
	forgotten    map[string]bool
	pushGate     chan struct{} // if set, a push waits on it (C4)
}

type fakeClient struct {
	last    int64
	results map[int64]fakeResult
}

type fakeResult struct {
	key, fp string
	res     streetdesk.MutationResult
}

type fakeChange struct {
	seq int64
	cid string // mutation results go to their client only
	ch  streetdesk.Change
}

type fakeUpload struct {
	id, sha string
	length  int64
	data    []byte
	gone    bool
	// patching holds one PATCH at a time, as tusd's file locker does: two
	// desks of one user attaching the same photo share its upload (POST
	// answers the second with the first's Location), and unserialized
	// PATCHes at the same offset both appended (400: more than its length).
	patching gosync.Mutex
}

func newFakePlatform() *fakePlatform {
	return &fakePlatform{
		user:      streetdesk.User{ID: "u-cw1", Username: "wangfang", Name: "王芳", Role: "caseworker", TeamID: "t1"},
		token:     "tok-0",
		refresh:   "ref-0",
		clients:   map[string]*fakeClient{},
		byKey:     map[string]streetdesk.MutationResult{},
		effects:   map[string]int{},
		orders:    map[string]*streetdesk.WorkOrder{},
		notes:     map[string]streetdesk.Note{},
		photos:    map[string]streetdesk.PhotoRef{},
		blobs:     map[string][]byte{},
		uploads:   map[string]*fakeUpload{},
		poison:    map[string]bool{},
		inPush:    map[string]bool{},
		forgotten: map[string]bool{},
		epoch:     1,
	}
}

// seed adds n dispatched orders assigned to the user.
func (p *fakePlatform) seed(n int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []string
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("WO-2026-%06d", len(p.orders)+1)
		o := &streetdesk.WorkOrder{ID: id, Title: "路灯不亮 " + id, Status: streetdesk.StatusDispatched,
			AssigneeID: p.user.ID, TeamID: "t1", Version: 1, DispatchedAt: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
		p.orders[id] = o
		p.logOrder(o)
		ids = append(ids, id)
	}
	return ids
}

func (p *fakePlatform) logOrder(o *streetdesk.WorkOrder) {
	p.seq++
	cp := *o
	p.changes = append(p.changes, fakeChange{seq: p.seq, ch: streetdesk.Change{Type: streetdesk.ChangeWorkOrder, Op: streetdesk.OpUpsert, ID: o.ID, OrderID: o.ID, Version: o.Version, Order: &cp}})
}

// centre actions

func (p *fakePlatform) reassign(id, to string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.orders[id]
	o.AssigneeID = to
	o.Version++
	p.logOrder(o)
}

func (p *fakePlatform) cancel(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.orders[id]
	o.Status = streetdesk.StatusCancelled
	o.Version++
	p.logOrder(o)
}

func (p *fakePlatform) reopen(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.orders[id]
	o.Status = streetdesk.StatusReopened
	o.Cycle++
	o.ReopenReason = "市民不满意"
	o.Version++
	p.logOrder(o)
}

func (p *fakePlatform) leadSetStatus(id string, s streetdesk.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.orders[id]
	o.Status = s
	o.Version++
	p.logOrder(o)
}

func (p *fakePlatform) forgetClient(cid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.clients, cid)
	p.forgotten[cid] = true
}

func (p *fakePlatform) expireUploads() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, u := range p.uploads {
		u.gone = true
	}
}

func (p *fakePlatform) expireToken() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenGen++
	p.token = fmt.Sprintf("tok-%d", p.tokenGen)
}

// visible reports whether the user sees the order.
func (p *fakePlatform) visible(o *streetdesk.WorkOrder) bool {
	return o.AssigneeID == p.user.ID && o.Status != streetdesk.StatusCancelled
}

func (p *fakePlatform) checksum() streetdesk.Checksum {
	var vp []streetdesk.VersionPair
	for _, o := range p.orders {
		if p.visible(o) {
			vp = append(vp, streetdesk.VersionPair{ID: o.ID, Version: o.Version})
		}
	}
	return streetdesk.ComputeChecksum(vp)
}

func (p *fakePlatform) effectCount(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.effects[key]
}

func (p *fakePlatform) resultByKey(key string) (streetdesk.MutationResult, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.byKey[key]
	return r, ok
}

func (p *fakePlatform) order(id string) streetdesk.WorkOrder {
	p.mu.Lock()
	defer p.mu.Unlock()
	return *p.orders[id]
}

// HTTP

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, streetdesk.ErrorBody{Error: streetdesk.ErrorDetail{Code: code, Message: msg}})
}

func (p *fakePlatform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	h := p.handler
	p.mu.Unlock()
	if h != nil && h(w, r) {
		return
	}
	switch {
	case r.URL.Path == "/v1/auth/login":
		p.login(w, r)
		return
	case r.URL.Path == "/v1/auth/refresh":
		p.doRefresh(w, r)
		return
	}
	p.mu.Lock()
	ok := r.Header.Get("Authorization") == "Bearer "+p.token
	p.mu.Unlock()
	if !ok {
		writeErr(w, 401, streetdesk.EUNAUTHORIZED, "token expired")
		return
	}
	switch {
	case r.URL.Path == "/v1/me":
		writeJSON(w, 200, p.user)
	case r.URL.Path == "/v1/team":
		writeJSON(w, 200, streetdesk.Team{ID: "t1", Name: "城管组", Members: []streetdesk.User{p.user}})
	case r.URL.Path == "/v1/sync/push":
		p.push(w, r)
	case r.URL.Path == "/v1/sync/pull":
		p.pull(w, r)
	case strings.HasPrefix(r.URL.Path, "/v1/blobs/sha256/"):
		p.blob(w, r)
	case r.URL.Path == "/v1/uploads":
		p.create(w, r)
	case strings.HasPrefix(r.URL.Path, "/v1/uploads/"):
		p.tus(w, r)
	default:
		writeErr(w, 404, streetdesk.ENOTFOUND, "no such endpoint")
	}
}

func (p *fakePlatform) login(w http.ResponseWriter, r *http.Request) {
	var req streetdesk.LoginRequest
	_ = json.NewDecoder(r.Body).Decode(&req)
	if req.Password != "secret" {
		writeErr(w, 401, streetdesk.EUNAUTHORIZED, "用户名或密码错误")
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	writeJSON(w, 200, streetdesk.LoginResponse{Token: p.token, RefreshToken: p.refresh, User: p.user})
}

func (p *fakePlatform) doRefresh(w http.ResponseWriter, r *http.Request) {
	var req streetdesk.RefreshRequest
	_ = json.NewDecoder(r.Body).Decode(&req)
	p.mu.Lock()
	defer p.mu.Unlock()
	if req.RefreshToken != p.refresh {
		writeErr(w, 401, streetdesk.EUNAUTHORIZED, "refresh token expired")
		return
	}
	writeJSON(w, 200, streetdesk.LoginResponse{Token: p.token, RefreshToken: p.refresh, User: p.user})
}

func (p *fakePlatform) push(w http.ResponseWriter, r *http.Request) {
	var req streetdesk.PushRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeErr(w, 400, streetdesk.EINVALID, err.Error())
		return
	}
	if req.PushVersion != streetdesk.PushVersion {
		writeErr(w, 409, streetdesk.ErrVersionNotSupported, "update the app")
		return
	}
	p.mu.Lock()
	gate := p.pushGate
	if p.inPush[req.ClientID] {
		p.mu.Unlock()
		writeErr(w, 409, streetdesk.ErrPushInProgress, "push in progress")
		return
	}
	p.inPush[req.ClientID] = true
	p.mu.Unlock()
	if gate != nil {
		<-gate
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	defer delete(p.inPush, req.ClientID)
	p.pushes++
	c := p.clients[req.ClientID]
	if c == nil {
		if p.forgotten[req.ClientID] {
			writeErr(w, 409, streetdesk.ErrClientStateNotFound, "client unknown")
			return
		}
		// A new client (also a fork) starts at its first mutation id.
		c = &fakeClient{results: map[int64]fakeResult{}}
		if len(req.Mutations) > 0 {
			c.last = req.Mutations[0].ID - 1
		}
		p.clients[req.ClientID] = c
	}
	resp := streetdesk.PushResponse{Results: []streetdesk.MutationResult{}}
	processed := 0
	for i := range req.Mutations {
		m := &req.Mutations[i]
		fp := m.Fingerprint()
		if m.ID <= c.last {
			st, ok := c.results[m.ID]
			if !ok || st.key != m.Key || st.fp != fp {
				writeJSON(w, 422, streetdesk.ErrorBody{Error: streetdesk.ErrorDetail{Code: streetdesk.ErrKeyPayloadMismatch, Message: "payload differs", MutationID: m.ID}})
				return
			}
			d := st.res
			d.Status = streetdesk.ResultDuplicate
			resp.Results = append(resp.Results, d)
			continue
		}
		if m.ID > c.last+1 {
			break
		}
		if p.stopAfter > 0 && processed >= p.stopAfter {
			break
		}
		if p.poison[m.Key] {
			if len(resp.Results) == 0 {
				writeErr(w, 500, streetdesk.EINTERNAL, "boom")
				return
			}
			break
		}
		if p.beforeCommit != nil {
			if st := p.beforeCommit(req.ClientID, m); st != 0 {
				w.Header().Set("Retry-After", "2")
				writeErr(w, st, streetdesk.EINTERNAL, "unavailable")
				return
			}
		}
		var res streetdesk.MutationResult
		if prev, ok := p.byKey[m.Key]; ok {
			res = prev
			res.ID = m.ID
			res.Status = streetdesk.ResultDuplicate
		} else {
			res = p.apply(m)
			p.byKey[m.Key] = res
			p.seen = append(p.seen, m.Key)
			p.seq++
			rr := res
			p.changes = append(p.changes, fakeChange{seq: p.seq, cid: req.ClientID, ch: streetdesk.Change{Type: streetdesk.ChangeMutationResult, Op: streetdesk.OpUpsert, ID: strconv.FormatInt(m.ID, 10), OrderID: m.OrderID, Result: &rr}})
		}
		c.results[m.ID] = fakeResult{key: m.Key, fp: fp, res: res}
		c.last = m.ID
		processed++
		resp.Results = append(resp.Results, res)
	}
	resp.LastMutationID = c.last
	if p.afterCommit != nil {
		for i := range req.Mutations {
			if st := p.afterCommit(req.ClientID, &req.Mutations[i]); st != 0 {
				writeErr(w, st, streetdesk.EINTERNAL, "after commit")
				return
			}
		}
	}
	writeJSON(w, 200, resp)
}

// apply is the platform's conflict matrix for the caseworker's ops, reduced
// to what the engine tests need; what an applied mutation does to the order
// is streetdesk's WorkOrder.Apply, as on the real platform.
func (p *fakePlatform) apply(m *streetdesk.Mutation) streetdesk.MutationResult {
	res := streetdesk.MutationResult{ID: m.ID, Key: m.Key, Name: m.Name, OrderID: m.OrderID, Status: streetdesk.ResultApplied}
	o := p.orders[m.OrderID]
	if o == nil {
		res.Status, res.Code, res.Message = streetdesk.ResultRejected, streetdesk.CodeNotFound, "工单不存在"
		return res
	}
	args, err := streetdesk.DecodeArgs(m.Name, m.Args)
	if err != nil {
		res.Status, res.Code, res.Message = streetdesk.ResultRejected, streetdesk.CodeValidation, streetdesk.ErrorMessage(err)
		return res
	}
	if a, ok := args.(*streetdesk.ReassignArgs); ok {
		args = &streetdesk.Reassignment{To: streetdesk.User{ID: a.To, Name: a.To}, Reason: a.Reason}
	}
	res.ServerVersion, res.ServerStatus = o.Version, o.Status
	fact := m.Name == streetdesk.MutAddNote || m.Name == streetdesk.MutAttachPhoto || m.Name == streetdesk.MutRecordContact
	if fact {
		p.effects[m.Key]++
		p.seq++
		switch a := args.(type) {
		case *streetdesk.AttachPhotoArgs:
			ph := streetdesk.PhotoRef{ID: a.PhotoRefID, WorkOrderID: o.ID, SHA256: a.SHA256, Size: a.Size, MIME: a.MIME, Cycle: m.BaseCycle, BlobPresent: p.blobs[a.SHA256] != nil}
			p.photos[ph.ID] = ph
			p.changes = append(p.changes, fakeChange{seq: p.seq, ch: streetdesk.Change{Type: streetdesk.ChangePhotoRef, Op: streetdesk.OpUpsert, ID: ph.ID, OrderID: o.ID, Photo: &ph}})
			bp := ph.BlobPresent
			res.BlobPresent = &bp
		case *streetdesk.AddNoteArgs:
			p.keepNote(o, m, a.NoteID, a.Body)
		case *streetdesk.RecordContactArgs:
			p.keepNote(o, m, a.NoteID, a.Body)
		}
		if o.AssigneeID != p.user.ID || o.Status == streetdesk.StatusCancelled || m.BaseCycle < o.Cycle {
			res.Disposition = streetdesk.DispositionKeptAsFact
			return res
		}
		// A first contact changes the order; a note or a photo does not,
		// and a fact that no longer fits the lifecycle is only kept.
		if ev, err := o.Apply(streetdesk.Operation(m.Name), args, p.user, time.Now().UTC()); err == nil && ev != nil {
			p.changed(o)
			res.Version = o.Version
		}
		return res
	}
	// What changed on the platform is a conflict (docs/protocol.md, result
	// codes); a resolution is kept as a proposal.
	keep := func(code streetdesk.ResultCode, msg string) streetdesk.MutationResult {
		res.Status, res.Code, res.Message = streetdesk.ResultConflict, code, msg
		if m.Name == streetdesk.MutSubmitResolution {
			res.Disposition = streetdesk.DispositionKeptAsProposal
		}
		return res
	}
	switch {
	case o.AssigneeID != p.user.ID:
		res = keep(streetdesk.CodeReassigned, "工单已改派给他人，您的办理内容已保留")
		res.NewAssignee = o.AssigneeID
		return res
	case o.Status == streetdesk.StatusCancelled:
		return keep(streetdesk.CodeCancelled, "工单已撤单")
	case m.BaseCycle < o.Cycle:
		return keep(streetdesk.CodeStaleCycle, "工单已重办："+o.ReopenReason)
	case (o.Status == streetdesk.StatusResolved || o.Status == streetdesk.StatusClosed || o.Status == streetdesk.StatusAwaitingReview) &&
		(m.Name == streetdesk.MutSubmitResolution || m.BaseVersion < o.Version):
		return keep(streetdesk.CodeAlreadyResolved, "工单已办结")
	case m.BaseVersion < o.Version && !(m.Name == streetdesk.MutSubmitResolution && o.Status == streetdesk.StatusAccepted) && !(m.Name == streetdesk.MutAccept && o.Status == streetdesk.StatusDispatched):
		return keep(streetdesk.CodeStatusChanged, "工单状态已被修改")
	}
	if _, err := o.Apply(streetdesk.Operation(m.Name), args, p.user, time.Now().UTC()); err != nil {
		res.Status, res.Code = streetdesk.ResultRejected, streetdesk.CodeInvalidTransition
		return res
	}
	p.effects[m.Key]++
	p.changed(o)
	res.Version = o.Version
	return res
}

func (p *fakePlatform) keepNote(o *streetdesk.WorkOrder, m *streetdesk.Mutation, id, body string) {
	n := streetdesk.Note{ID: id, WorkOrderID: o.ID, Body: body, Cycle: m.BaseCycle, AuthorWasAssignee: o.AssigneeID == p.user.ID}
	p.notes[n.ID] = n
	p.changes = append(p.changes, fakeChange{seq: p.seq, ch: streetdesk.Change{Type: streetdesk.ChangeNote, Op: streetdesk.OpUpsert, ID: n.ID, OrderID: o.ID, Note: &n}})
}

// changed bumps an order's version and logs it for pulls.
func (p *fakePlatform) changed(o *streetdesk.WorkOrder) {
	o.Version++
	p.logOrder(o)
}

func (p *fakePlatform) pull(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > streetdesk.MaxPullLimit {
		limit = streetdesk.DefaultPullLimit
	}
	cid := q.Get("clientId")
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pulls++
	var from int64
	reset := false
	cur := q.Get("cursor")
	if cur != "" {
		var ep int
		if _, err := fmt.Sscanf(cur, "c_%d_%d", &ep, &from); err != nil || ep != p.epoch || from < p.minSeq {
			reset, from = true, 0
		}
	}
	snapshot := from == 0
	// Collect changes after `from`, newest per id, in seq order.
	type item struct {
		seq int64
		ch  streetdesk.Change
	}
	latest := map[string]item{}
	for _, c := range p.changes {
		if c.seq <= from || (c.cid != "" && c.cid != cid) {
			continue
		}
		key := c.ch.Type + "/" + c.ch.ID
		if c.ch.Type == streetdesk.ChangeMutationResult {
			key += "/" + c.cid
		}
		ch := c.ch
		if ch.Type == streetdesk.ChangeWorkOrder {
			o := p.orders[ch.ID]
			if !p.visible(o) {
				if snapshot {
					delete(latest, key)
					continue
				}
				reason := streetdesk.CodeReassigned
				if o.Status == streetdesk.StatusCancelled {
					reason = streetdesk.CodeCancelled
				}
				ch = streetdesk.Change{Type: ch.Type, Op: streetdesk.OpRevoke, ID: ch.ID, OrderID: ch.ID, Version: o.Version,
					Revoke: &streetdesk.Revocation{Reason: reason, NewAssignee: o.AssigneeID, Status: o.Status}}
			}
		}
		latest[key] = item{c.seq, ch}
	}
	items := make([]item, 0, len(latest))
	for _, it := range latest {
		items = append(items, it)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].seq < items[j].seq })
	resp := streetdesk.PullResponse{Reset: reset, Changes: []streetdesk.Change{}, ServerTime: time.Now().UTC()}
	if c := p.clients[cid]; c != nil {
		resp.LastMutationID = c.last
	}
	end := p.seq
	if len(items) > limit {
		items = items[:limit]
		end = items[len(items)-1].seq
		resp.HasMore = true
	}
	for _, it := range items {
		resp.Changes = append(resp.Changes, it.ch)
	}
	resp.Cursor = fmt.Sprintf("c_%d_%d", p.epoch, end)
	if !resp.HasMore {
		cs := p.checksum()
		resp.Checksum = &cs
	}
	writeJSON(w, 200, resp)
}

func (p *fakePlatform) blob(w http.ResponseWriter, r *http.Request) {
	sha := strings.TrimPrefix(r.URL.Path, "/v1/blobs/sha256/")
	p.mu.Lock()
	b, ok := p.blobs[sha]
	p.mu.Unlock()
	if !ok {
		w.WriteHeader(404)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(200)
	if r.Method == http.MethodGet {
		_, _ = w.Write(b)
	}
}

func (p *fakePlatform) create(w http.ResponseWriter, r *http.Request) {
	meta := map[string]string{}
	for _, kv := range strings.Split(r.Header.Get("Upload-Metadata"), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), " ")
		d, _ := base64.StdEncoding.DecodeString(v)
		meta[k] = string(d)
	}
	length, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
	sha := meta["sha256"]
	if err != nil || !streetdesk.ValidSHA256(sha) || r.Header.Get("Idempotency-Key") != sha {
		writeErr(w, 400, streetdesk.EINVALID, "bad upload")
		return
	}
	if length > streetdesk.MaxPhotoBytes {
		writeErr(w, 413, streetdesk.EINVALID, "too large")
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.blobs[sha] != nil {
		w.Header().Set("X-Blob-Exists", "1")
		w.WriteHeader(200)
		return
	}
	for _, u := range p.uploads {
		if u.sha == sha && !u.gone {
			w.Header().Set("Location", "/v1/uploads/"+u.id)
			w.WriteHeader(409)
			return
		}
	}
	p.upSeq++
	u := &fakeUpload{id: fmt.Sprintf("up%d", p.upSeq), sha: sha, length: length}
	p.uploads[u.id] = u
	w.Header().Set("Location", "/v1/uploads/"+u.id)
	w.Header().Set("Tus-Resumable", "1.0.0")
	w.WriteHeader(201)
}

func (p *fakePlatform) tus(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/v1/uploads/")
	p.mu.Lock()
	u := p.uploads[id]
	p.mu.Unlock()
	if u == nil || u.gone {
		w.WriteHeader(404)
		return
	}
	switch r.Method {
	case http.MethodHead:
		p.mu.Lock()
		w.Header().Set("Upload-Offset", strconv.Itoa(len(u.data)))
		w.Header().Set("Upload-Length", strconv.FormatInt(u.length, 10))
		p.mu.Unlock()
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(200)
	case http.MethodDelete:
		p.mu.Lock()
		u.gone = true
		p.mu.Unlock()
		w.WriteHeader(204)
	case http.MethodPatch:
		u.patching.Lock()
		defer u.patching.Unlock()
		off, _ := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
		p.mu.Lock()
		cur := int64(len(u.data))
		p.mu.Unlock()
		if off != cur {
			w.WriteHeader(409)
			return
		}
		// Like tusd: what arrived before a broken body is kept.
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Body.Read(buf)
			if n > 0 {
				p.mu.Lock()
				if int64(len(u.data))+int64(n) > u.length {
					p.mu.Unlock()
					w.WriteHeader(400)
					return
				}
				u.data = append(u.data, buf[:n]...)
				p.mu.Unlock()
			}
			if err != nil {
				if err != io.EOF {
					return
				}
				break
			}
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if int64(len(u.data)) == u.length {
			if p.corrupt {
				p.corrupt = false
				u.data[0] ^= 0xff
			}
			sum := sha256.Sum256(u.data)
			if hex.EncodeToString(sum[:]) != u.sha {
				u.gone = true
				w.WriteHeader(460)
				return
			}
			p.blobs[u.sha] = bytes.Clone(u.data)
			u.gone = true
			for id, ph := range p.photos {
				if ph.SHA256 == u.sha && !ph.BlobPresent {
					ph.BlobPresent = true
					p.photos[id] = ph
					p.seq++
					cp := ph
					p.changes = append(p.changes, fakeChange{seq: p.seq, ch: streetdesk.Change{Type: streetdesk.ChangePhotoRef, Op: streetdesk.OpUpsert, ID: ph.ID, OrderID: ph.WorkOrderID, Photo: &cp}})
				}
			}
			w.Header().Set("X-Blob-SHA256", u.sha)
		}
		w.Header().Set("Upload-Offset", strconv.Itoa(len(u.data)))
		w.WriteHeader(204)
	default:
		w.WriteHeader(405)
	}
}
