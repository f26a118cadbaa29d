// Package store is the platform's storage contract: one interface speaking
// the domain's types, kept on SQLite by sqlitestore and on PostgreSQL by
// pgstore. The platform decides (roles, the lifecycle, idempotency, the
// conflict matrix); a store keeps and finds, and its SQL stays inside it.
//
// Every write of a synced entity (an order, a note, a photo reference, a
// resolution, a mutation result, a revocation) is followed by a Touch in the
// same transaction: it gives the entity a new place in the change log, the
// sequence pull cursors walk. The sequence is gap-safe: a reader that has
// seen a change never later finds one committed with a lower number. Both
// stores get that by running write transactions (Begin) one at a time —
// SQLite's single writer; PostgreSQL's transaction-scoped advisory lock,
// released only after the commit is visible — so numbers are handed out in
// commit order, across every instance on one database.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/streetdesk/streetdesk"
)

// ErrUnavailable marks a failure that may pass: the database busy,
// restarting or unreachable, or no connection free in time. The platform
// answers it 503 with Retry-After; nothing was changed.
var ErrUnavailable = errors.New("database unavailable")

// Store is a platform database.
type Store interface {
	Reader

	// Begin starts a write transaction at time now. Write transactions run
	// one at a time (see the package comment); waiting for the turn stops
	// when ctx ends, but once begun the transaction runs to Commit or
	// Rollback whatever ctx does, so a write is never half-applied.
	Begin(ctx context.Context) (Tx, error)
	// BeginRead starts a read-only transaction: everything it reads comes
	// from one snapshot. The caller checks ctx between steps.
	BeginRead(ctx context.Context) (ReadTx, error)

	// Watch calls fn with the wake keys of every write transaction that
	// committed change-log entries (Tx.Touch), until ctx ends; it then
	// returns nil. On SQLite it hears this process's commits; on PostgreSQL
	// every instance's (LISTEN/NOTIFY on a connection of its own, the
	// notification sent inside the writing transaction), and after losing
	// and regaining that connection it calls fn with All. fn must not
	// block: it runs on the committing goroutine or the listener.
	Watch(ctx context.Context, fn func(Wake)) error

	// Epoch returns the database's epoch, creating it (from newEpoch) once.
	Epoch(ctx context.Context, newEpoch string) (string, error)
	// SchemaVersion is the highest migration applied.
	SchemaVersion(ctx context.Context) (int, error)

	// AddUser creates a user; a taken id or username is ECONFLICT.
	AddUser(ctx context.Context, u streetdesk.User, pwHash []byte, now time.Time) error
	// PutTeam creates or updates a team.
	PutTeam(ctx context.Context, t streetdesk.Team) error
	// SetTeamReview sets whether a team's lead reviews resolutions.
	SetTeamReview(ctx context.Context, teamID string, review bool) error
	// ForgetClient marks a client's state lost (a platform restored from an
	// old backup); its stored results stay.
	ForgetClient(ctx context.Context, clientID string) error
	// PruneRevocations drops revocations older than before.
	PruneRevocations(ctx context.Context, before time.Time) error
	// PruneResults drops at most limit of the stored mutation results
	// older than before, oldest first, with their change-log entries, and
	// returns how many it dropped.
	PruneResults(ctx context.Context, before time.Time, limit int) (int, error)

	// Token returns the stored token with this hash and kind, or ENOTFOUND.
	Token(ctx context.Context, hash, kind string) (Token, error)
	// StoreTokens stores toks and drops the expired tokens; when spendPair is
	// not empty it first deletes that pair in the same transaction and
	// fails with ENOTFOUND (storing nothing) if the pair was already gone.
	// It returns the hashes of the spent tokens.
	StoreTokens(ctx context.Context, spendPair string, toks []Token, now time.Time) ([]string, error)
	// DeleteTokenPair deletes both tokens of a pair and returns their hashes.
	DeleteTokenPair(ctx context.Context, pair string) ([]string, error)

	// CreateUpload records an upload being made.
	CreateUpload(ctx context.Context, u Upload) error
	// Upload returns an unfinished upload, or ENOTFOUND.
	Upload(ctx context.Context, id string) (Upload, error)
	// LatestUpload returns userID's newest unfinished upload of sha, or
	// ENOTFOUND.
	LatestUpload(ctx context.Context, userID, sha string) (Upload, error)
	// DeleteUpload forgets an upload.
	DeleteUpload(ctx context.Context, id string) error
	// UploadsBefore lists the uploads created before t.
	UploadsBefore(ctx context.Context, t time.Time) ([]string, error)
	// GrantBlob lets userID read a blob (an uploader of bytes the platform
	// already had).
	GrantBlob(ctx context.Context, sha, userID string) error

	// LoginFailures returns the failed sign-ins counted under each key
	// (an account, an address) that has any, with the start of its window.
	LoginFailures(ctx context.Context, keys []string) (map[string]LoginWindow, error)
	// AddLoginFailure counts one failed sign-in under each key: in the key's
	// current window, or in a new one starting at now when the current one
	// began window ago or earlier. Every instance on the database counts
	// in the same rows.
	AddLoginFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) error
	// ResetLoginFailures forgets a key's failures (a sign-in succeeded).
	ResetLoginFailures(ctx context.Context, key string) error
	// PruneLoginFailures drops windows that began before t.
	PruneLoginFailures(ctx context.Context, before time.Time) error

	// TrackFailures, AddTrackFailure, ResetTrackFailures and
	// PruneTrackFailures count the progress page's failed look-ups (by
	// order number, by address) as the Login* methods count failed
	// sign-ins, in a table of their own with its own, longer window.
	TrackFailures(ctx context.Context, keys []string) (map[string]LoginWindow, error)
	AddTrackFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) error
	ResetTrackFailures(ctx context.Context, key string) error
	PruneTrackFailures(ctx context.Context, before time.Time) error
	// TrackSecret returns the key that signs the progress page's cookies
	// and forms, creating it (from newSecret) once: every instance on the
	// database signs with the same key.
	TrackSecret(ctx context.Context, newSecret string) (string, error)

	// TryJobLock takes the lock of a background job (the upload expiry)
	// if no one holds it — on PostgreSQL a session advisory lock, so one
	// instance at a time runs the job; ok is false when another holds it.
	// release gives it back.
	TryJobLock(ctx context.Context, job string) (release func(), ok bool, err error)

	Close() error
}

// LoginWindow is the failed sign-ins of a key in its current window.
type LoginWindow struct {
	Start time.Time
	N     int
}

// Reader is what can be read, from the store, a read transaction or a
// write transaction alike. "Not found" is a streetdesk error with code
// ENOTFOUND.
type Reader interface {
	AuditReader // audit.go

	// User returns a user by id or, failing that, by username, with the
	// team's names and the password hash.
	User(ctx context.Context, idOrName string) (*streetdesk.User, []byte, error)
	// CountUsers counts the accounts.
	CountUsers(ctx context.Context) (int, error)
	// Team returns a team (without members).
	Team(ctx context.Context, id string) (*streetdesk.Team, error)
	// TeamMembers lists a team's users, leads first, then by username.
	TeamMembers(ctx context.Context, teamID string) ([]streetdesk.User, error)

	// Order returns an order and the version at which its status last
	// changed.
	Order(ctx context.Context, id string) (*streetdesk.WorkOrder, int64, error)
	// Headers returns the listed orders' headers (missing ones are left out).
	Headers(ctx context.Context, ids []string) (map[string]Header, error)
	// ListOrders pages through orders, newest dispatch first.
	ListOrders(ctx context.Context, f OrderFilter) (*streetdesk.OrderList, error)
	// Open311Orders pages through the orders the Open311 API asks for
	// (store/open311.go), newest dispatch first; never an event order
	// (kind event: the platform's own, not a citizen's request).
	Open311Orders(ctx context.Context, f Open311Filter) ([]streetdesk.WorkOrder, error)
	// Open311Key returns a stored api_key by its hash, or ENOTFOUND.
	Open311Key(ctx context.Context, hash string) (Open311Key, error)
	// Open311Keys lists every stored api_key (hashes only), oldest first.
	Open311Keys(ctx context.Context) ([]Open311Key, error)
	// Intake returns an intake request by its token, or ENOTFOUND.
	Intake(ctx context.Context, token string) (streetdesk.Open311Intake, error)
	// IntakeQueue lists the intake requests not yet dispatched, oldest
	// first, at most limit.
	IntakeQueue(ctx context.Context, limit int) ([]streetdesk.Open311Intake, error)
	// TeamOrders returns every order of a team.
	TeamOrders(ctx context.Context, teamID string) ([]streetdesk.WorkOrder, error)
	// Versions lists the id and version of the orders in scope: a team's
	// orders, or those assigned to a user that are not cancelled or
	// returned (what a caseworker sees).
	Versions(ctx context.Context, s Scope) ([]streetdesk.VersionPair, error)
	// Assigned reports whether userID was ever assigned the order.
	Assigned(ctx context.Context, orderID, userID string) (bool, error)

	// Notes, PhotoRefs and Resolutions list an order's entities in the
	// order they arrived.
	Notes(ctx context.Context, orderID string) ([]streetdesk.Note, error)
	PhotoRefs(ctx context.Context, orderID string) ([]streetdesk.PhotoRef, error)
	Resolutions(ctx context.Context, orderID string) ([]streetdesk.Resolution, error)
	// NoteOrder and PhotoRefOrder return the order a note or photo
	// reference belongs to, or ENOTFOUND.
	NoteOrder(ctx context.Context, id string) (string, error)
	PhotoRefOrder(ctx context.Context, id string) (string, error)
	// PhotoRefsOf returns the photo references of a blob.
	PhotoRefsOf(ctx context.Context, sha string) ([]streetdesk.PhotoRef, error)
	// PhotosPresent reports whether each listed photo reference belongs to
	// the order and has its bytes on the platform.
	PhotosPresent(ctx context.Context, orderID string, refIDs []string) (bool, error)
	// TeamResolutions lists the resolutions of a team's orders (proposals
	// too), in the order they arrived.
	TeamResolutions(ctx context.Context, teamID string) ([]streetdesk.Resolution, error)
	// ResolutionExists reports whether a resolution id is taken.
	ResolutionExists(ctx context.Context, id string) (bool, error)

	// Blob returns a verified blob's size and type, or ENOTFOUND.
	Blob(ctx context.Context, sha string) (Blob, error)
	// BlobReadable reports whether a street user may read a blob: they were
	// granted it, or it belongs to an order in their scope.
	BlobReadable(ctx context.Context, sha, userID string, s Scope) (bool, error)
	// BlobSHA256s lists every verified blob.
	BlobSHA256s(ctx context.Context) ([]string, error)

	// Client returns a sync client's state, or ENOTFOUND.
	Client(ctx context.Context, id string) (Client, error)
	// Result returns the result stored for (clientID, id), or ENOTFOUND.
	Result(ctx context.Context, clientID string, id int64) (StoredResult, error)
	// ResultsByKey returns every stored result of the listed keys.
	ResultsByKey(ctx context.Context, keys []string) ([]StoredResult, error)
	// ResultByKey returns the result of a key's first processing for effect
	// (else its first processing), or ENOTFOUND.
	ResultByKey(ctx context.Context, key string) (StoredResult, error)
	// EffectCounts says, per key, how often it was processed for effect.
	EffectCounts(ctx context.Context, keys []string) (map[string]int, error)

	// MaxSeq is the change log's highest sequence number (0 when empty).
	MaxSeq(ctx context.Context) (int64, error)
	// ScopeSeqs returns the highest sequence numbers of a scope's changes
	// and of userID's revocations: together they change whenever the
	// scope's visible set does.
	ScopeSeqs(ctx context.Context, s Scope, userID string) (scope, revoked int64, err error)
	// Changes calls fn for the changes q asks for, in sequence order, at
	// most q.Limit of them. The Change and its byte slices are valid only
	// during the call; an error from fn stops and is returned.
	Changes(ctx context.Context, q ChangeQuery, fn func(*Change) error) error
	// CitizenPhone returns the unmasked phone number an order was raised
	// from ("" when none was given), or ENOTFOUND.
	CitizenPhone(ctx context.Context, orderID string) (string, error)
	// CitizenRating returns the rating the citizen gave on the progress page
	// in an order's cycle, or ENOTFOUND.
	CitizenRating(ctx context.Context, orderID string, cycle int) (streetdesk.Rating, error)

	// OrderEntities lists the notes, photo references and resolutions of an
	// order as the change log holds them, in sequence order.
	OrderEntities(ctx context.Context, orderID string) ([]Entity, error)

	// OrdersSince returns every order dispatched after since (the input of
	// the district-wide hotspot analysis), by dispatch time then id.
	OrdersSince(ctx context.Context, since time.Time) ([]streetdesk.WorkOrder, error)
	// HotspotAnalysis returns the last analysis stored, or ENOTFOUND.
	HotspotAnalysis(ctx context.Context) (*streetdesk.HotspotAnalysis, error)
	// Proposal returns a lead's event proposal, or ENOTFOUND.
	Proposal(ctx context.Context, id string) (*streetdesk.EventProposal, error)
	// Proposals lists the proposals in a state ("" = all), oldest first.
	Proposals(ctx context.Context, state streetdesk.ProposalState) ([]streetdesk.EventProposal, error)
}

// ReadTx is a read-only snapshot.
type ReadTx interface {
	Reader
	// ReadPull reads a whole pull page in the snapshot: the head, the
	// changes (handed to fn in order; an error from fn is returned) and,
	// when asked, the visible set's versions — on PostgreSQL in one round
	// trip with the transaction's BEGIN and COMMIT. Rollback is still
	// called after it.
	ReadPull(ctx context.Context, q PullQuery, fn func(*Change) error) (PullPage, error)
	// Rollback ends the transaction.
	Rollback() error
}

// PullHeadQuery names what a pull reads before its changes: the client (when ClientID
// is set), the scope's and the user's latest change-log numbers (Seqs: the
// checksum's cache key) and the latest number of all (MaxSeq: where a
// fresh snapshot starts).
type PullHeadQuery struct {
	ClientID     string
	Scope        Scope
	UserID       string
	Seqs, MaxSeq bool
}

// PullHead is what a pull reads before its changes.
type PullHead struct {
	Client            Client
	ClientFound       bool
	ScopeSeq, UserSeq int64
	MaxSeq            int64
}

// PullQuery names what ReadPull reads. Its parts do not depend on each
// other's answers, which is what lets a store ask them all at once.
type PullQuery struct {
	Head    PullHeadQuery
	Changes ChangeQuery
	// Versions asks for the visible versions of Head.Scope (Head.Seqs must
	// be set) unless the scope's and the user's latest numbers are Known:
	// then the checksum computed at those numbers still holds.
	Versions bool
	Known    *[2]int64
}

// PullPage is what ReadPull reads besides the changes.
type PullPage struct {
	PullHead
	Pairs        []streetdesk.VersionPair
	VersionsRead bool // false: skipped (not asked, or Known still current)
}

// ReadPullFrom is ReadPull as one read after the other on r.
func ReadPullFrom(ctx context.Context, r Reader, q PullQuery, fn func(*Change) error) (PullPage, error) {
	var p PullPage
	var err error
	if p.PullHead, err = readPullHead(ctx, r, q.Head); err != nil {
		return p, err
	}
	if err := r.Changes(ctx, q.Changes, fn); err != nil {
		return p, err
	}
	if q.Versions && (q.Known == nil || *q.Known != [2]int64{p.ScopeSeq, p.UserSeq}) {
		p.Pairs, err = r.Versions(ctx, q.Head.Scope)
		p.VersionsRead = err == nil
	}
	return p, err
}

// readPullHead reads a pull's head one read after the other on r.
func readPullHead(ctx context.Context, r Reader, q PullHeadQuery) (PullHead, error) {
	var h PullHead
	var err error
	if q.MaxSeq {
		if h.MaxSeq, err = r.MaxSeq(ctx); err != nil {
			return h, err
		}
	}
	if q.ClientID != "" {
		h.Client, err = r.Client(ctx, q.ClientID)
		if h.ClientFound, err = ClientFound(err); err != nil {
			return h, err
		}
	}
	if q.Seqs {
		h.ScopeSeq, h.UserSeq, err = r.ScopeSeqs(ctx, q.Scope, q.UserID)
	}
	return h, err
}

// PushQuery names what ReadPush reads.
type PushQuery struct {
	ClientID string
	Keys     []string // the batch's mutation keys
	OrderIDs []string // the batch's orders
	// FactIDs are the note and photo ids the batch may insert: a store may
	// look them up ahead, so that inserting one whose id is free needs no
	// answer (PostgreSQL then sends the insert with the next round trip).
	FactIDs []string
}

// PushState is what ReadPush reads.
type PushState struct {
	Client      Client
	ClientFound bool // false: a client id the platform has never seen
	Results     []StoredResult
	Headers     map[string]Header
	Chain       []ChainRow
}

// Tx is a write transaction.
type Tx interface {
	Reader
	AuditWriter // audit.go

	// ReadPush reads what a push needs before it applies anything: its
	// client, the stored results of its keys, its orders' headers and the
	// action-log entries that recorded its keys — on PostgreSQL in one
	// round trip, with the transaction's BEGIN and the writer lock.
	ReadPush(ctx context.Context, q PushQuery) (PushState, error)

	// InsertOrder writes a new order; a taken id is ECONFLICT.
	InsertOrder(ctx context.Context, o *streetdesk.WorkOrder, citizenPhone string) error
	// UpdateOrder writes a changed order with the version at which its
	// status last changed.
	UpdateOrder(ctx context.Context, o *streetdesk.WorkOrder, statusVersion int64) error
	// Assign records that userID was assigned the order (once).
	Assign(ctx context.Context, orderID, userID string) error
	// InsertNote and InsertPhotoRef keep a fact; they report false when its
	// id was already taken (nothing is written then).
	InsertNote(ctx context.Context, n *streetdesk.Note) (bool, error)
	InsertPhotoRef(ctx context.Context, p *streetdesk.PhotoRef) (bool, error)
	// UpdatePhotoRef rewrites a photo reference.
	UpdatePhotoRef(ctx context.Context, p *streetdesk.PhotoRef) error
	// PutResolution creates or updates a resolution.
	PutResolution(ctx context.Context, r *streetdesk.Resolution) error
	// InsertBlob records a verified blob (once).
	InsertBlob(ctx context.Context, sha string, b Blob, now time.Time) error
	// GrantBlob lets userID read a blob.
	GrantBlob(ctx context.Context, sha, userID string) error
	// DeleteUpload forgets a finished upload.
	DeleteUpload(ctx context.Context, id string) error
	// InsertUsers creates users sharing one password hash; a taken id or
	// username is ECONFLICT.
	InsertUsers(ctx context.Context, users []streetdesk.User, pwHash []byte, now time.Time) error
	// PutTeam creates or updates a team.
	PutTeam(ctx context.Context, t streetdesk.Team) error
	// InsertOpen311Key stores an api_key; a taken hash is ECONFLICT.
	InsertOpen311Key(ctx context.Context, k Open311Key) error
	// DeleteOpen311Key revokes an api_key by its hash: ENOTFOUND for none.
	DeleteOpen311Key(ctx context.Context, hash string) error
	// InsertIntake puts a request in the intake queue.
	InsertIntake(ctx context.Context, in streetdesk.Open311Intake) error
	// LinkIntake records the order an intake request was dispatched as:
	// ENOTFOUND for no such token, ECONFLICT when it already has one.
	LinkIntake(ctx context.Context, token, orderID string) error

	// PutHotspotAnalysis replaces the stored analysis.
	PutHotspotAnalysis(ctx context.Context, a *streetdesk.HotspotAnalysis) error
	// InsertProposal keeps a new proposal; it reports false when the id
	// was already taken (nothing is written then).
	InsertProposal(ctx context.Context, p *streetdesk.EventProposal) (bool, error)
	// UpdateProposal rewrites a proposal (its decision).
	UpdateProposal(ctx context.Context, p *streetdesk.EventProposal) error

	// InsertClient registers a sync client.
	InsertClient(ctx context.Context, c Client, now time.Time) error
	// SetLastMutationID advances a client's lastMutationId.
	SetLastMutationID(ctx context.Context, clientID string, last int64) error
	// StoreResults writes a push's results, each with its place in the
	// change log's sequence after the entries touched before it: the
	// client's pull returns them (type mutationResult, entity
	// "clientId/id").
	StoreResults(ctx context.Context, clientID, userID string, rs []ResultRow, now time.Time) error

	// RecordCitizenRating keeps the citizen's rating of an order's cycle;
	// false when that cycle was rated already (nothing is written then).
	RecordCitizenRating(ctx context.Context, orderID string, cycle int, r streetdesk.Rating, now time.Time) (bool, error)

	// Touch gives an entity a new place in the change log (replacing its
	// old one).
	Touch(ctx context.Context, e LogEntry) error
	// HideOrder takes an order's entities out of every caseworker's view
	// without new places in the change log (revocations stay).
	HideOrder(ctx context.Context, orderID string) error

	// Savepoint, RollbackTo and Release nest a step that may be undone
	// alone.
	Savepoint(ctx context.Context) error
	RollbackTo(ctx context.Context) error
	Release(ctx context.Context) error

	Commit() error
	// Rollback ends the transaction without its writes (a no-op after
	// Commit).
	Rollback() error
}

// Header is the columns of an order that facts and access checks need.
type Header struct {
	TeamID, StreetOffice, AssigneeID string
	Status                           streetdesk.Status
	Version, StatusVersion           int64
	Cycle                            int
}

// Scope is whose orders: a team's (lead) or an assignee's (caseworker).
type Scope struct {
	TeamID     string
	AssigneeID string
}

// OrderFilter pages through orders; empty fields do not filter.
type OrderFilter struct {
	Status               streetdesk.Status
	StreetOffice, TeamID string
	Limit, Offset        int
}

// Blob is a verified blob's metadata.
type Blob struct {
	Size int64
	MIME string
}

// Token is a stored token (only its hash).
type Token struct {
	Hash, UserID, Kind, Pair string
	Expires                  int64 // unix ms
}

// Upload is an unfinished upload.
type Upload struct {
	ID, UserID, SHA256, MIME string
	Size                     int64
	Created                  time.Time
}

// Client is a sync client's state.
type Client struct {
	ID, UserID     string
	LastMutationID int64
	Forgotten      bool
}

// StoredResult is a mutation result as stored: the JSON of the
// streetdesk.MutationResult.
type StoredResult struct {
	Key, Fingerprint string
	Result           []byte
	Effect           bool
}

// ResultRow is a result to store.
type ResultRow struct {
	ID               int64
	Key, Fingerprint string
	OrderID          string
	Effect           bool
	Result           []byte // JSON
}

// Change log entry types beyond the streetdesk.Change* entity types.
const (
	TypeRevoke = "revoke"
)

// LogEntry is an entity's place in the change log and who sees it:
// AssigneeID's and TeamID's views for an order's entities, UserID for a
// revocation. A push's results are no entries: they reach the change log
// through StoreResults.
type LogEntry struct {
	Type, EntityID, OrderID string
	AssigneeID, TeamID      string
	UserID                  string
	Extra                   []byte // a revocation's JSON
	Version                 int64  // an order's version (workOrder, revoke)
	At                      time.Time
}

// Entity names an entity in the change log.
type Entity struct {
	Type, ID string
}

// ChangeQuery asks for the changes a viewer may see after a sequence
// number: those of the scope, the user's revocations, and the client's
// results.
type ChangeQuery struct {
	Scope    Scope
	UserID   string
	ClientID string // "" = no results
	After    int64
	// RevokedAfter bounds revocations further (a fresh snapshot has nothing
	// to revoke but what left the view while it was paged).
	RevokedAfter int64
	Limit        int
}

// Change is one row of the change log with its entity's stored JSON.
type Change struct {
	Seq                     int64
	Type, EntityID, OrderID string
	Version                 int64
	Extra                   []byte // a revocation's or result's JSON
	Data                    []byte // the entity's JSON (workOrder, note, photoRef, resolution)
}

// ReadPushFrom is ReadPush as one read after the other on r.
func ReadPushFrom(ctx context.Context, r Reader, q PushQuery) (PushState, error) {
	var ps PushState
	var err error
	ps.Client, err = r.Client(ctx, q.ClientID)
	if ps.ClientFound, err = ClientFound(err); err != nil {
		return ps, err
	}
	if ps.Results, err = r.ResultsByKey(ctx, q.Keys); err != nil {
		return ps, err
	}
	if ps.Headers, err = r.Headers(ctx, q.OrderIDs); err != nil {
		return ps, err
	}
	if len(q.Keys) > 0 {
		ps.Chain, err = r.ChainEntries(ctx, ChainQuery{Keys: q.Keys})
	}
	return ps, err
}

// ClientFound sorts the error of a Client read: found, never seen (no
// error), or a failure.
func ClientFound(err error) (bool, error) {
	if streetdesk.ErrorCode(err) == streetdesk.ENOTFOUND {
		return false, nil
	}
	return err == nil, err
}
