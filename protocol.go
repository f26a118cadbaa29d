package streetdesk

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// The wire shapes of the sync protocol (docs/protocol.md). Both the client
// (sync) and the server (platform) import them from here, so they cannot drift.

// Protocol versions.
const (
	PushVersion   = 1
	SchemaVersion = "2026.1"
	// MaxPushMutations and MaxPushBytes bound one push request of
	// protocol v1 (larger with FeaturePushBatch500).
	MaxPushMutations = 100
	MaxPushBytes     = 256 << 10
	DefaultPullLimit = 500
	MaxPullLimit     = 1000
	// MaxWaitSeconds caps a long poll (GET /v1/sync/wait): under the
	// minute that proxies and NAT boxes commonly keep an idle connection.
	MaxWaitSeconds = 55
)

// Mutation names. They are the Operation names the street office performs.
const (
	MutAccept           = string(OpAccept)
	MutRecordContact    = string(OpRecordContact)
	MutAddNote          = string(OpAddNote)
	MutAttachPhoto      = string(OpAttachPhoto)
	MutSubmitResolution = string(OpSubmitResolution)
	MutRequestReturn    = string(OpRequestReturn)
	MutRequestExtension = string(OpRequestExtension)
	MutReassign         = string(OpReassign)
	MutApproveReview    = string(OpApproveReview)
	MutSendBack         = string(OpSendBack)
	MutProposeEvent     = string(OpProposeEvent)
)

// Mutation is one intent in the outbox and on the wire.
type Mutation struct {
	ID          int64           `json:"id"`  // per client, strictly increasing, never reused
	Key         string          `json:"key"` // UUIDv7, idempotency key
	Name        string          `json:"name"`
	OrderID     string          `json:"orderId"`
	BaseVersion int64           `json:"baseVersion"`
	BaseCycle   int             `json:"baseCycle"`
	Args        json.RawMessage `json:"args"`
	ClientTime  time.Time       `json:"clientTime"` // display only; never decides anything
	// EvidenceChecks go with a submitResolution to a platform that
	// advertises FeatureEvidenceChecks: the desk's photo checks with the
	// caseworker's explanations. Advisory (the platform recomputes them
	// from the bytes), so not part of the Fingerprint.
	EvidenceChecks []EvidenceCheck `json:"evidenceChecks,omitempty"`
}

// Fingerprint is a hash of what the mutation asks for (not its id), so the
// platform can tell a resend from a different payload under the same key.
func (m *Mutation) Fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%d\x00", m.Key, m.Name, m.OrderID, m.BaseVersion, m.BaseCycle)
	var buf bytes.Buffer
	if err := json.Compact(&buf, m.Args); err != nil {
		h.Write(m.Args)
	} else {
		h.Write(buf.Bytes())
	}
	return hex.EncodeToString(h.Sum(nil))
}

// PushRequest is the body of POST /v1/sync/push.
type PushRequest struct {
	PushVersion   int        `json:"pushVersion"`
	SchemaVersion string     `json:"schemaVersion"`
	ClientID      string     `json:"clientId"`
	Mutations     []Mutation `json:"mutations"`
	// Chain carries action-log entries not yet acknowledged, in sequence
	// order, to a platform that advertises FeatureAuditChain.
	Chain []ChainEntry `json:"chain,omitempty"`
}

// ResultStatus is what the platform did with one mutation.
type ResultStatus string

// Result statuses.
const (
	ResultApplied   ResultStatus = "applied"
	ResultDuplicate ResultStatus = "duplicate"
	ResultRejected  ResultStatus = "rejected"
	ResultConflict  ResultStatus = "conflict"
)

// ResultCode is the stable reason for a rejection or conflict.
type ResultCode string

// Result codes.
const (
	CodeNone              ResultCode = ""
	CodeReassigned        ResultCode = "REASSIGNED"
	CodeCancelled         ResultCode = "CANCELLED"
	CodeStaleCycle        ResultCode = "STALE_CYCLE"
	CodeStatusChanged     ResultCode = "STATUS_CHANGED"
	CodeAlreadyResolved   ResultCode = "ALREADY_RESOLVED"
	CodeInvalidTransition ResultCode = "INVALID_TRANSITION"
	CodeValidation        ResultCode = "VALIDATION"
	CodeForbidden         ResultCode = "FORBIDDEN"
	CodeNotFound          ResultCode = "NOT_FOUND"
	CodeTooLarge          ResultCode = "TOO_LARGE"
)

// Dispositions say what happened to a fact or a resolution that did not
// apply as asked.
const (
	DispositionKeptAsProposal = "kept_as_proposal"
	DispositionKeptAsFact     = "kept_as_fact" // a note/photo accepted after the order moved on
)

// MutationResult is the platform's answer for one mutation. The first answer
// is stored; resends get it back with Status "duplicate".
type MutationResult struct {
	ID            int64        `json:"id"`
	Key           string       `json:"key"`
	Name          string       `json:"name,omitempty"`
	OrderID       string       `json:"orderId,omitempty"`
	Status        ResultStatus `json:"status"`
	Code          ResultCode   `json:"code,omitempty"`
	Message       string       `json:"message,omitempty"` // plain-language explanation (Chinese)
	Version       int64        `json:"version,omitempty"` // the order's version after applying
	ServerVersion int64        `json:"serverVersion,omitempty"`
	ServerStatus  Status       `json:"serverStatus,omitempty"`
	Disposition   string       `json:"disposition,omitempty"`
	// NewAssignee names who has the order now, for REASSIGNED.
	NewAssignee string `json:"newAssignee,omitempty"`
	BlobPresent *bool  `json:"blobPresent,omitempty"`
}

// PushResponse is the 200 body of a push.
type PushResponse struct {
	LastMutationID int64            `json:"lastMutationId"`
	Results        []MutationResult `json:"results"`
	// Chain acknowledges the action-log entries stored from this push.
	Chain *ChainAck `json:"chain,omitempty"`
}

// Change types and ops in a pull.
const (
	ChangeWorkOrder      = "workOrder"
	ChangeNote           = "note"
	ChangePhotoRef       = "photoRef"
	ChangeResolution     = "resolution"
	ChangeMutationResult = "mutationResult"
	OpUpsert             = "upsert"
	OpRevoke             = "revoke"
)

// Revocation says an order left this user's view and why.
type Revocation struct {
	Reason      ResultCode `json:"reason"` // REASSIGNED, CANCELLED, …
	NewAssignee string     `json:"newAssignee,omitempty"`
	Status      Status     `json:"status,omitempty"`
}

// Change is one entry of a pull page.
type Change struct {
	Type    string     `json:"type"`
	Op      string     `json:"op"`
	ID      string     `json:"id"`
	OrderID string     `json:"orderId,omitempty"`
	Version int64      `json:"version,omitempty"`
	Order   *WorkOrder `json:"order,omitempty"`
	// OrderJSON is Order as the platform sent it, when the decoder kept
	// it (the sync client does): the local store keeps these bytes
	// instead of encoding the order again. Never sent by itself.
	OrderJSON  json.RawMessage `json:"-"`
	Note       *Note           `json:"note,omitempty"`
	Photo      *PhotoRef       `json:"photo,omitempty"`
	Resolution *Resolution     `json:"resolution,omitempty"`
	Result     *MutationResult `json:"result,omitempty"`
	Revoke     *Revocation     `json:"revoke,omitempty"`
}

// Checksum summarises the set of orders a user can see.
type Checksum struct {
	Count int    `json:"count"`
	Hash  string `json:"hash"`
}

// PullResponse is the 200 body of GET /v1/sync/pull.
type PullResponse struct {
	Cursor         string    `json:"cursor"`
	HasMore        bool      `json:"hasMore"`
	Reset          bool      `json:"reset"`
	LastMutationID int64     `json:"lastMutationId"`
	Changes        []Change  `json:"changes"`
	Checksum       *Checksum `json:"checksum,omitempty"` // on the last page only
	ServerTime     time.Time `json:"serverTime"`
	// Features lists what this platform accepts beyond protocol v1
	// (FeatureAuditChain, FeatureEvidenceChecks, FeaturePushBatch500); a platform without the
	// field gets none of them, so older platforms keep working.
	Features []string `json:"features,omitempty"`
}

// WaitResponse is the 200 body of GET /v1/sync/wait: changed says the
// caller's visible set changed after its cursor (pull now); false is the
// end of the wait with nothing new (wait again).
type WaitResponse struct {
	Changed bool `json:"changed"`
}

// VersionPair is an order id with its version, the input of a checksum.
type VersionPair struct {
	ID      string
	Version int64
}

// ComputeChecksum hashes the visible set: "id:version\n" for each order in
// id order. Both sides compute it the same way.
func ComputeChecksum(pairs []VersionPair) Checksum {
	p := append([]VersionPair(nil), pairs...)
	sort.Slice(p, func(i, j int) bool { return p[i].ID < p[j].ID })
	h := sha256.New()
	for _, v := range p {
		fmt.Fprintf(h, "%s:%d\n", v.ID, v.Version)
	}
	return Checksum{Count: len(p), Hash: "sha256:" + hex.EncodeToString(h.Sum(nil))}
}

// ErrorBody is the JSON body of every 4xx/5xx answer of the platform.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail carries an application code (EINVALID…) or a protocol code
// (PushInProgress…), a message, and for 422 the offending mutation id and
// what of it was seen before with another payload.
type ErrorDetail struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	MutationID int64  `json:"mutationId,omitempty"`
	Mismatch   string `json:"mismatch,omitempty"` // 422 KeyPayloadMismatch: MismatchID or MismatchKey
}

// What a 422 KeyPayloadMismatch found already used with another payload.
const (
	// MismatchID: this client's mutation id was processed before as another
	// mutation. Only a second copy of the client's database (a restored
	// backup, a copied folder) numbers two mutations alike: the client forks.
	MismatchID = "mutationId"
	// MismatchKey: the key was processed before with another payload.
	MismatchKey = "key"
)

// Protocol error codes beside the application codes.
const (
	ErrPushInProgress      = "PushInProgress"
	ErrClientStateNotFound = "ClientStateNotFound"
	ErrKeyPayloadMismatch  = "KeyPayloadMismatch"
	ErrVersionNotSupported = "VersionNotSupported"
	ErrRateLimited         = "RateLimited"
	// ErrBusy: the platform sheds load (503 with Retry-After); nothing was
	// done, retry later.
	ErrBusy = "Busy"
)

// LoginRequest is the body of POST /v1/auth/login.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// RefreshRequest is the body of POST /v1/auth/refresh.
type RefreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

// LoginResponse answers a login or a refresh.
type LoginResponse struct {
	Token            string    `json:"token"`
	ExpiresAt        time.Time `json:"expiresAt"`
	RefreshToken     string    `json:"refreshToken"`
	RefreshExpiresAt time.Time `json:"refreshExpiresAt"`
	User             User      `json:"user"`
}

// ReassignRequest is the body of POST /v1/team/reassign (the online form of
// the reassign mutation).
type ReassignRequest struct {
	OrderIDs []string `json:"orderIds"`
	To       string   `json:"to"` // user id
	Reason   string   `json:"reason"`
}

// Centre request bodies.

// DispatchRequest creates an order and sends it to a street office.
type DispatchRequest struct {
	ID           string    `json:"id,omitempty"` // optional; the platform makes one
	Title        string    `json:"title"`
	Complaint    string    `json:"complaint"`
	Channel      Channel   `json:"channel"`
	CategoryL3   string    `json:"categoryL3"`
	Location     Location  `json:"location"`
	CitizenName  string    `json:"citizenName"`
	CitizenPhone string    `json:"citizenPhone"` // stored masked on the street office's side
	Urgency      Urgency   `json:"urgency"`
	TeamID       string    `json:"teamId"`
	AssigneeID   string    `json:"assigneeId,omitempty"`
	PhotoSHA256s []string  `json:"photoSha256s,omitempty"` // the citizen's photos, uploaded first
	DispatchedAt time.Time `json:"dispatchedAt,omitzero"`
	// IntakeToken dispatches a request of the Open311 intake queue
	// (GET /v1/centre/intake): the order and the link are one transaction.
	IntakeToken string `json:"intakeToken,omitempty"`
}

// DecisionRequest approves or rejects a return or an extension, or cancels.
type DecisionRequest struct {
	Approve bool   `json:"approve"`
	Comment string `json:"comment,omitempty"`
}

// CallbackRequest records the citizen's rating.
type CallbackRequest struct {
	Rating  Rating `json:"rating"`
	Comment string `json:"comment,omitempty"`
	// ByCitizen marks the citizen's own rating on the tracking page, which
	// the callback agent may still override. Never read from a request.
	ByCitizen bool `json:"-"`
}

// SuperviseRequest sets or clears 督办.
type SuperviseRequest struct {
	On      bool   `json:"on"`
	Comment string `json:"comment,omitempty"`
}

// Mutation argument shapes.

// AcceptArgs are the arguments of accept (none).
type AcceptArgs struct{}

// RecordContactArgs record a call or visit with the citizen.
type RecordContactArgs struct {
	NoteID  string        `json:"noteId"`
	Method  ContactMethod `json:"method"`
	Reached bool          `json:"reached"`
	Body    string        `json:"body"`
}

// AddNoteArgs add a survey note.
type AddNoteArgs struct {
	NoteID string `json:"noteId"`
	Body   string `json:"body"`
}

// AttachPhotoArgs reference a content-addressed photo.
type AttachPhotoArgs struct {
	PhotoRefID string    `json:"photoRefId"`
	SHA256     string    `json:"sha256"`
	Size       int64     `json:"size"`
	MIME       string    `json:"mime"`
	Tag        PhotoTag  `json:"tag"`
	Caption    string    `json:"caption,omitempty"`
	TakenAt    time.Time `json:"takenAt,omitzero"`
	Lat        float64   `json:"lat,omitempty"`
	Lng        float64   `json:"lng,omitempty"`
}

// SubmitResolutionArgs resolve the order (办结).
type SubmitResolutionArgs struct {
	ResolutionID string   `json:"resolutionId"`
	Outcome      Outcome  `json:"outcome"`
	Reply        string   `json:"reply"`
	PhotoRefIDs  []string `json:"photoRefIds"`
	// PublishPhotoRefIDs: the photos of PhotoRefIDs the citizen may see
	// (absent = none, as before the flag existed).
	PublishPhotoRefIDs []string `json:"publishPhotoRefIds,omitempty"`
}

// RequestReturnArgs ask to return a misrouted order.
type RequestReturnArgs struct {
	Reason ReturnReason `json:"reason"`
	Text   string       `json:"text"`
}

// RequestExtensionArgs ask for a later resolve-by.
type RequestExtensionArgs struct {
	Reason       string    `json:"reason"`
	NewResolveBy time.Time `json:"newResolveBy"`
}

// ReassignArgs move an order to another member of the team.
type ReassignArgs struct {
	To     string `json:"to"` // user id
	Reason string `json:"reason"`
}

// ApproveReviewArgs sign a resolution off (none).
type ApproveReviewArgs struct{}

// SendBackArgs return a resolution to the caseworker with a comment.
type SendBackArgs struct {
	Comment string `json:"comment"`
}

// MutationNames lists every mutation the platform accepts.
var MutationNames = []string{
	MutAccept, MutRecordContact, MutAddNote, MutAttachPhoto, MutSubmitResolution,
	MutRequestReturn, MutRequestExtension, MutReassign, MutApproveReview, MutSendBack, MutProposeEvent,
}

// ArgsText is what the user typed into a mutation's decoded arguments (see
// DecodeArgs): a note's or contact record's body, a reply, a return
// request's explanation (its reason is a code the reader names), an
// extension's or a reassignment's reason, a send-back comment, a photo's
// caption; "" for the arguments without text.
func ArgsText(args any) string {
	switch v := args.(type) {
	case *AddNoteArgs:
		return v.Body
	case *RecordContactArgs:
		return v.Body
	case *SubmitResolutionArgs:
		return v.Reply
	case *RequestReturnArgs:
		return v.Text
	case *RequestExtensionArgs:
		return v.Reason
	case *ReassignArgs:
		return v.Reason
	case *SendBackArgs:
		return v.Comment
	case *AttachPhotoArgs:
		return v.Caption
	case *ProposeEventArgs:
		return strings.TrimSpace(v.Title + " " + v.Reason)
	}
	return ""
}

// DecodeArgs strictly decodes a mutation's args into the shape its name
// calls for and validates them. Unknown names, unknown fields, wrong types,
// invalid UTF-8 and out-of-range values are EINVALID.
func DecodeArgs(name string, raw json.RawMessage) (any, error) {
	var v interface{ validate() error }
	switch name {
	case MutAccept:
		v = &AcceptArgs{}
	case MutRecordContact:
		v = &RecordContactArgs{}
	case MutAddNote:
		v = &AddNoteArgs{}
	case MutAttachPhoto:
		v = &AttachPhotoArgs{}
	case MutSubmitResolution:
		v = &SubmitResolutionArgs{}
	case MutRequestReturn:
		v = &RequestReturnArgs{}
	case MutRequestExtension:
		v = &RequestExtensionArgs{}
	case MutReassign:
		v = &ReassignArgs{}
	case MutApproveReview:
		v = &ApproveReviewArgs{}
	case MutSendBack:
		v = &SendBackArgs{}
	case MutProposeEvent:
		v = &ProposeEventArgs{}
	default:
		return nil, Errorf(EINVALID, "unknown mutation %q", name)
	}
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	if !utf8.Valid(raw) {
		return nil, Errorf(EINVALID, "%s: arguments are not valid UTF-8", name)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, Errorf(EINVALID, "%s: bad arguments: %v", name, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, Errorf(EINVALID, "%s: trailing data after arguments", name)
	}
	if err := v.validate(); err != nil {
		if e, ok := err.(*Error); ok {
			e.Message = name + ": " + e.Message
		}
		return nil, err
	}
	return v, nil
}

// ValidateMutation checks a mutation's envelope and arguments.
func ValidateMutation(m *Mutation) error {
	if m.ID <= 0 {
		return Errorf(EINVALID, "mutation id must be positive")
	}
	if !validUUID(m.Key) {
		return Errorf(EINVALID, "mutation %d: key %q is not a UUID", m.ID, m.Key)
	}
	if !ValidOrderID(m.OrderID) {
		return Errorf(EINVALID, "mutation %d: bad order id", m.ID)
	}
	if m.BaseVersion < 0 || m.BaseCycle < 0 {
		return Errorf(EINVALID, "mutation %d: negative base version or cycle", m.ID)
	}
	_, err := DecodeArgs(m.Name, m.Args)
	return err
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// ValidUUID reports whether s is a textual UUID (any version).
func ValidUUID(s string) bool { return validUUID(s) }

func (AcceptArgs) validate() error        { return nil }
func (ApproveReviewArgs) validate() error { return nil }

func (a *RecordContactArgs) validate() error {
	if !validUUID(a.NoteID) {
		return Errorf(EINVALID, "noteId is not a UUID")
	}
	if !a.Method.Valid() {
		return Errorf(EINVALID, "unknown contact method %q", a.Method)
	}
	return CheckText("contact note", a.Body, 0, MaxNoteRunes)
}

func (a *AddNoteArgs) validate() error {
	if !validUUID(a.NoteID) {
		return Errorf(EINVALID, "noteId is not a UUID")
	}
	return CheckText("note", a.Body, 1, MaxNoteRunes)
}

// AllowedPhotoMIME lists the photo types the platform stores.
var AllowedPhotoMIME = []string{"image/jpeg", "image/png"}

func (a *AttachPhotoArgs) validate() error {
	if !validUUID(a.PhotoRefID) {
		return Errorf(EINVALID, "photoRefId is not a UUID")
	}
	if !ValidSHA256(a.SHA256) {
		return Errorf(EINVALID, "sha256 must be 64 lowercase hex digits")
	}
	if a.Size <= 0 || a.Size > MaxPhotoBytes {
		return Errorf(EINVALID, "photo size %d out of range (1 byte–%d MiB)", a.Size, MaxPhotoBytes>>20)
	}
	ok := false
	for _, m := range AllowedPhotoMIME {
		if a.MIME == m {
			ok = true
		}
	}
	if !ok {
		return Errorf(EINVALID, "photo type %q not accepted (JPEG or PNG)", a.MIME)
	}
	if !a.Tag.Valid() {
		return Errorf(EINVALID, "unknown photo tag %q", a.Tag)
	}
	if a.Lat < -90 || a.Lat > 90 || a.Lng < -180 || a.Lng > 180 {
		return Errorf(EINVALID, "coordinates out of range")
	}
	return CheckText("caption", a.Caption, 0, MaxCaptionRunes)
}

func (a *SubmitResolutionArgs) validate() error {
	if !validUUID(a.ResolutionID) {
		return Errorf(EINVALID, "resolutionId is not a UUID")
	}
	for _, id := range a.PhotoRefIDs {
		if !validUUID(id) {
			return Errorf(EINVALID, "photoRefIds: %q is not a UUID", id)
		}
	}
	for _, id := range a.PublishPhotoRefIDs {
		if !validUUID(id) {
			return Errorf(EINVALID, "publishPhotoRefIds: %q is not a UUID", id)
		}
	}
	r := Resolution{Outcome: a.Outcome, Reply: a.Reply, PhotoRefIDs: a.PhotoRefIDs, PublishPhotoRefIDs: a.PublishPhotoRefIDs}
	return r.Validate()
}

func (a *RequestReturnArgs) validate() error {
	if !a.Reason.Valid() {
		return Errorf(EINVALID, "unknown return reason %q", a.Reason)
	}
	min := 0
	if a.Reason == ReturnOther {
		min = 1
	}
	return CheckText("return reason text", a.Text, min, MaxReasonRunes)
}

func (a *RequestExtensionArgs) validate() error {
	if a.NewResolveBy.IsZero() {
		return Errorf(EINVALID, "newResolveBy is required")
	}
	return CheckText("extension reason", a.Reason, 1, MaxReasonRunes)
}

func (a *ReassignArgs) validate() error {
	if strings.TrimSpace(a.To) == "" || len(a.To) > MaxUsernameLength {
		return Errorf(EINVALID, "reassign: target user is required")
	}
	return CheckText("reassign reason", a.Reason, 0, MaxReasonRunes)
}

func (a *SendBackArgs) validate() error {
	return CheckText("review comment", a.Comment, 1, MaxReasonRunes)
}
