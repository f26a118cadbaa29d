package platform

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/pgstore"
	"github.com/streetdesk/streetdesk/platform/sqlitestore"
	"github.com/streetdesk/streetdesk/platform/store"
)

// IsPostgres reports whether a --db value names a PostgreSQL database
// (postgres://… or postgresql://…) rather than a SQLite file.
func IsPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// openStore opens the database cfg.DBPath names.
func openStore(ctx context.Context, cfg Config, readOnly bool) (store.Store, error) {
	if IsPostgres(cfg.DBPath) {
		return pgstore.Open(ctx, cfg.DBPath, pgstore.Options{Logger: cfg.Logger, Now: cfg.Now, ReadOnly: readOnly,
			MaxConns: cfg.DBMaxConns, AcquireTimeout: cfg.DBWait})
	}
	return sqlitestore.Open(ctx, cfg.DBPath, sqlitestore.Options{Logger: cfg.Logger, Now: cfg.Now, ReadOnly: readOnly})
}

// tx is a write transaction with the platform's helpers: the clock of the
// operation and the order headers a push read ahead.
type tx struct {
	store.Tx
	s   *Server
	now time.Time
	// headers holds order headers read ahead for a push (ReadPush);
	// saveOrder drops an order's entry when it writes the order.
	headers map[string]store.Header
	// chainByKey holds the action-log entries recording a push's keys,
	// read ahead (ReadPush).
	chainByKey []store.ChainRow
}

// begin starts a write transaction. Waiting for the writer stops when ctx
// ends (the client went away: nothing was done); once begun, the
// transaction runs to its commit or rollback whatever the client does, so a
// write is never half-applied and a resend finds its stored result.
func (s *Server) begin(ctx context.Context) (*tx, error) {
	t, err := s.db.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &tx{Tx: t, s: s, now: s.now()}, nil
}

// header reads an order's header, from the prefetched ones when it can:
// enough for facts, which are the bulk of what a push carries.
func (t *tx) header(ctx context.Context, id string) (*streetdesk.WorkOrder, int64, error) {
	h, ok := t.headers[id]
	if !ok {
		hs, err := t.Headers(ctx, []string{id})
		if err != nil {
			return nil, 0, err
		}
		if h, ok = hs[id]; !ok {
			return nil, 0, errNoOrder
		}
	}
	o := &streetdesk.WorkOrder{ID: id, TeamID: h.TeamID, AssigneeID: h.AssigneeID, Status: h.Status, Version: h.Version, Cycle: h.Cycle}
	o.Location.StreetOffice = h.StreetOffice
	return o, h.StatusVersion, nil
}

var errNoOrder = streetdesk.Errorf(streetdesk.ENOTFOUND, "no such order")

// visibleAssignee is whose caseworker queue shows the order: nobody's once
// it was cancelled or returned (the assignee got a revocation).
func visibleAssignee(o *streetdesk.WorkOrder) string {
	if o.Status == streetdesk.StatusCancelled || o.Status == streetdesk.StatusReturned {
		return ""
	}
	return o.AssigneeID
}

// insertOrder writes a new order.
func (t *tx) insertOrder(ctx context.Context, o *streetdesk.WorkOrder, phone string) error {
	delete(t.headers, o.ID)
	if err := t.InsertOrder(ctx, o, phone); err != nil {
		return err
	}
	if o.AssigneeID != "" {
		if err := t.Assign(ctx, o.ID, o.AssigneeID); err != nil {
			return err
		}
	}
	return t.touch(ctx, streetdesk.ChangeWorkOrder, o.ID, o)
}

// saveOrder writes a changed order: the version is bumped, the status
// version too when the status changed, and the order gets a new place in the
// change log.
func (t *tx) saveOrder(ctx context.Context, o *streetdesk.WorkOrder, prevStatus streetdesk.Status, prevSV int64) error {
	delete(t.headers, o.ID)
	o.Version++
	o.UpdatedAt = t.now
	sv := prevSV
	if o.Status != prevStatus {
		sv = o.Version
	}
	if err := t.UpdateOrder(ctx, o, sv); err != nil {
		return err
	}
	return t.touch(ctx, streetdesk.ChangeWorkOrder, o.ID, o)
}

// touch gives an entity of order o a new sequence number in the change log,
// seen by the order's visible assignee and its team.
func (t *tx) touch(ctx context.Context, typ, entityID string, o *streetdesk.WorkOrder) error {
	var ver int64
	if typ == streetdesk.ChangeWorkOrder {
		ver = o.Version // pull pages read it here, not from the order
	}
	return t.Touch(ctx, store.LogEntry{Type: typ, EntityID: entityID, OrderID: o.ID, AssigneeID: visibleAssignee(o), TeamID: o.TeamID,
		Version: ver, At: t.now})
}

// retouchOrder re-emits every entity of an order (after a reassignment the
// new assignee needs the order's notes and photos, whatever their age).
func (t *tx) retouchOrder(ctx context.Context, o *streetdesk.WorkOrder) error {
	ents, err := t.OrderEntities(ctx, o.ID)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := t.touch(ctx, e.Type, e.ID, o); err != nil {
			return err
		}
	}
	return nil
}

// revoke tells userID's clients that the order left their view.
func (t *tx) revoke(ctx context.Context, userID string, o *streetdesk.WorkOrder, reason streetdesk.ResultCode) error {
	if userID == "" {
		return nil
	}
	// A lead still sees every order of the team: no revocation for them.
	if u, _, err := t.User(ctx, userID); err == nil && u.ID == userID && u.Role == streetdesk.RoleLead && u.TeamID == o.TeamID {
		return nil
	}
	rv := streetdesk.Revocation{Reason: reason, Status: o.Status}
	if reason == streetdesk.CodeReassigned {
		rv.NewAssignee = o.AssigneeID
	}
	extra, _ := json.Marshal(rv)
	return t.Touch(ctx, store.LogEntry{Type: store.TypeRevoke, EntityID: userID + "/" + o.ID, OrderID: o.ID, UserID: userID,
		Extra: extra, Version: o.Version, At: t.now})
}

func (t *tx) insertNote(ctx context.Context, n *streetdesk.Note, o *streetdesk.WorkOrder) (bool, error) {
	ok, err := t.InsertNote(ctx, n)
	if err != nil || !ok {
		return false, err
	}
	return true, t.touch(ctx, streetdesk.ChangeNote, n.ID, o)
}

func (t *tx) insertPhoto(ctx context.Context, p *streetdesk.PhotoRef, o *streetdesk.WorkOrder) (bool, error) {
	ok, err := t.InsertPhotoRef(ctx, p)
	if err != nil || !ok {
		return false, err
	}
	return true, t.touch(ctx, streetdesk.ChangePhotoRef, p.ID, o)
}

func (t *tx) putResolution(ctx context.Context, r *streetdesk.Resolution, o *streetdesk.WorkOrder) error {
	if err := t.PutResolution(ctx, r); err != nil {
		return err
	}
	if o.IsEvent() && r.State == streetdesk.ResolutionAccepted && r.Cycle == o.Cycle {
		if err := t.shareEventResolution(ctx, o, r); err != nil {
			return err
		}
	}
	return t.touch(ctx, streetdesk.ChangeResolution, r.ID, o)
}

// publishPhotos sets the photos of an accepted resolution publishable as
// the caseworker chose them: each of its photos is publishable exactly when
// it is named in PublishPhotoRefIDs and tagged "after" (a photo of an
// earlier resolution keeps its flag). Changed photo references get a new
// place in the change log.
func (t *tx) publishPhotos(ctx context.Context, r *streetdesk.Resolution, o *streetdesk.WorkOrder) error {
	if len(r.PhotoRefIDs) == 0 {
		return nil
	}
	refs, err := t.PhotoRefs(ctx, o.ID)
	if err != nil {
		return err
	}
	for i := range refs {
		p := &refs[i]
		if !slices.Contains(r.PhotoRefIDs, p.ID) {
			continue
		}
		want := p.Tag == streetdesk.PhotoAfter && slices.Contains(r.PublishPhotoRefIDs, p.ID)
		if p.Publishable == want {
			continue
		}
		p.Publishable = want
		if err := t.UpdatePhotoRef(ctx, p); err != nil {
			return err
		}
		if err := t.touch(ctx, streetdesk.ChangePhotoRef, p.ID, o); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) blobExists(ctx context.Context, sha string) (bool, error) {
	_, err := t.Blob(ctx, sha)
	if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
		return false, nil
	}
	return err == nil, err
}

// scopeOf is the orders a street user works: a lead's team, a caseworker's
// own.
func scopeOf(u *streetdesk.User) store.Scope {
	if u.Role == streetdesk.RoleLead {
		return store.Scope{TeamID: u.TeamID}
	}
	return store.Scope{AssigneeID: u.ID}
}

// Audit reads a platform database without serving it: what load and fault
// tests check after a run, while platformd may still be serving it.
type Audit struct{ db store.Store }

// OpenAudit opens the platform database db (a file or a postgres:// URL)
// for reading.
func OpenAudit(ctx context.Context, db string) (*Audit, error) {
	st, err := openStore(ctx, Config{DBPath: db}, true)
	if err != nil {
		return nil, err
	}
	return &Audit{db: st}, nil
}

// EffectCounts says, per mutation key, how many times the platform applied
// it (processed it for effect): exactly once for every key a client pushed.
func (a *Audit) EffectCounts(ctx context.Context, keys []string) (map[string]int, error) {
	return a.db.EffectCounts(ctx, keys)
}

// Photos lists an order's photo references as the platform keeps them.
func (a *Audit) Photos(ctx context.Context, orderID string) ([]streetdesk.PhotoRef, error) {
	return a.db.PhotoRefs(ctx, orderID)
}

// Close closes the database.
func (a *Audit) Close() error { return a.db.Close() }
