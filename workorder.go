package streetdesk

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what people type. The platform enforces them too.
const (
	MaxNoteRunes      = 4000 // a survey note or contact record
	MaxReplyRunes     = 4000 // a resolution's reply text
	MinReplyRunes     = 15   // a reply shorter than this says nothing to the citizen
	MaxReasonRunes    = 1000 // return / extension / reassignment reasons
	MaxCaptionRunes   = 200
	MaxPhotosPerOrder = 50
	MaxPhotoBytes     = 50 << 20 // 50 MiB, the upload limit
	MaxPhotoPixels    = 100_000_000
	MaxExtensionDays  = 30 // an extension may ask for at most this many working days more
	DefaultReopenDays = 3  // working days to redo a reopened order
	DueSoonWindow     = 2 * time.Hour
	DefaultPageSize   = 50
	MaxPageSize       = 500
	MaxOrderIDLength  = 64
	MaxUsernameLength = 64
)

// Category is a work order's place in the 3-level duty list (职责清单).
type Category struct {
	L1Code     string `json:"l1Code"`
	L1Name     string `json:"l1Name"`
	L2Code     string `json:"l2Code"`
	L2Name     string `json:"l2Name"`
	L3Code     string `json:"l3Code"`
	L3Name     string `json:"l3Name"`
	Department string `json:"department"` // responsible department, e.g. 区城管局
}

// Path returns "L1 › L2 › L3".
func (c Category) Path() string {
	var parts []string
	for _, p := range []string{c.L1Name, c.L2Name, c.L3Name} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " › ")
}

// Location is where the problem is.
type Location struct {
	District     string  `json:"district"`     // 区
	StreetOffice string  `json:"streetOffice"` // 街道
	Community    string  `json:"community"`    // 社区
	Address      string  `json:"address"`
	Lat          float64 `json:"lat"` // WGS-84
	Lng          float64 `json:"lng"`
}

// Citizen is the person who raised the request, always masked on the street
// office's side.
type Citizen struct {
	Name  string `json:"name"`  // masked: 张女士 / 张**
	Phone string `json:"phone"` // masked: 138****1234
}

// Deadlines are the three clocks of an order.
type Deadlines struct {
	AcceptBy       time.Time `json:"acceptBy"`
	FirstContactBy time.Time `json:"firstContactBy"`
	ResolveBy      time.Time `json:"resolveBy"`
}

// Event is one entry of an order's history as the platform records it.
type Event struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`          // display name
	Kind  string    `json:"kind"`           // an Operation name, or "dispatch"
	Text  string    `json:"text,omitempty"` // what a person wrote
	// Value is the coded value the event records, for the reader to name:
	// the return reason (requestReturn), the rating (close, reopen), the
	// outcome (submitResolution, submitForReview); the new assignee's
	// name (reassign).
	Value string `json:"value,omitempty"`
	Cycle int    `json:"cycle"`
}

// WorkOrder is one citizen request as dispatched to the street office.
type WorkOrder struct {
	ID string `json:"id"`
	// Kind is "" for a citizen's request and OrderKindEvent for a
	// big-data event order, whose Members are the orders it joins (并案).
	Kind         OrderKind `json:"kind,omitempty"`
	Title        string    `json:"title"`
	Complaint    string    `json:"complaint"`
	Channel      Channel   `json:"channel"`
	Category     Category  `json:"category"`
	Location     Location  `json:"location"`
	Citizen      Citizen   `json:"citizen"`
	Urgency      Urgency   `json:"urgency"`
	Deadlines    Deadlines `json:"deadlines"`
	Status       Status    `json:"status"`
	AssigneeID   string    `json:"assigneeId"`
	AssigneeName string    `json:"assigneeName"`
	TeamID       string    `json:"teamId"`
	Version      int64     `json:"version"`
	Cycle        int       `json:"cycle"`
	Supervised   bool      `json:"supervised"` // 督办
	// AwaitingMedia is set while a submitted resolution's photos have not all
	// reached the platform.
	AwaitingMedia bool   `json:"awaitingMedia"`
	DuplicateOf   string `json:"duplicateOf,omitempty"`
	EventID       string `json:"eventId,omitempty"` // part of a big-data event
	// EventResolution is the event's accepted resolution once it is
	// resolved (members only; cleared when the event is reopened).
	EventResolution *EventResolution `json:"eventResolution,omitempty"`
	// Members are an event order's member orders, in the order given.
	Members []string `json:"members,omitempty"`
	Rating  Rating   `json:"rating,omitempty"`
	// CitizenRatedAt is when the citizen's own rating on the tracking page
	// closed the order (zero otherwise): the callback agent may override it
	// within CallbackOverrideWindow.
	CitizenRatedAt time.Time `json:"citizenRatedAt,omitzero"`
	ReopenReason   string    `json:"reopenReason,omitempty"`
	DispatchedAt   time.Time `json:"dispatchedAt"`
	AcceptedAt     time.Time `json:"acceptedAt,omitzero"`
	FirstContact   time.Time `json:"firstContactAt,omitzero"`
	UpdatedAt      time.Time `json:"updatedAt"`
	// Pending requests the centre has not decided yet.
	ReturnRequest    *ReturnRequest    `json:"returnRequest,omitempty"`
	ExtensionRequest *ExtensionRequest `json:"extensionRequest,omitempty"`
	ReviewComment    string            `json:"reviewComment,omitempty"` // the lead's comment on sending back
	History          []Event           `json:"history,omitempty"`
}

// Overdue reports whether the order has missed its current deadline at now:
// accept-by while it waits to be accepted, resolve-by while it is open.
func (w *WorkOrder) Overdue(now time.Time) bool {
	d := w.CurrentDeadline()
	return !d.IsZero() && now.After(d)
}

// DueWithin reports whether the current deadline falls within d of now
// (and has not yet passed).
func (w *WorkOrder) DueWithin(now time.Time, d time.Duration) bool {
	dl := w.CurrentDeadline()
	return !dl.IsZero() && !now.After(dl) && dl.Sub(now) <= d
}

// CurrentDeadline is the clock that matters now: accept-by before
// acceptance, resolve-by while the order is worked, none once it has left the
// street office's hands.
func (w *WorkOrder) CurrentDeadline() time.Time {
	switch w.Status {
	case StatusDispatched:
		if !w.Deadlines.AcceptBy.IsZero() {
			return w.Deadlines.AcceptBy
		}
		return w.Deadlines.ResolveBy
	case StatusAccepted, StatusReopened, StatusExtensionRequested, StatusReturnRequested, StatusAwaitingReview:
		return w.Deadlines.ResolveBy
	}
	return time.Time{}
}

// Reopened reports whether the order has been reopened at least once.
func (w *WorkOrder) Reopened() bool { return w.Cycle > 0 }

// ReturnRequest is a pending or decided request to return a misrouted order.
type ReturnRequest struct {
	Reason ReturnReason `json:"reason"`
	Text   string       `json:"text"`
}

// ExtensionRequest asks the centre for a later resolve-by.
type ExtensionRequest struct {
	Reason       string    `json:"reason"`
	NewResolveBy time.Time `json:"newResolveBy"`
}

// NoteKind distinguishes survey notes from contact records.
type NoteKind string

// Note kinds.
const (
	NoteSurvey  NoteKind = "survey"  // 现场勘察
	NoteContact NoteKind = "contact" // 联系记录
	NoteSystem  NoteKind = "system"  // written by the platform (e.g. a lead's comment)
)

// Note is an append-only fact about an order: a survey note or a contact
// record. Notes are never edited in place and never dropped.
type Note struct {
	ID          string        `json:"id"` // client UUIDv7
	WorkOrderID string        `json:"workOrderId"`
	Kind        NoteKind      `json:"kind"`
	Body        string        `json:"body"`
	Method      ContactMethod `json:"method,omitempty"`  // contact records
	Reached     bool          `json:"reached,omitempty"` // contact records: did the citizen answer
	AuthorID    string        `json:"authorId"`
	AuthorName  string        `json:"authorName,omitempty"`
	Cycle       int           `json:"cycle"`
	CreatedAt   time.Time     `json:"createdAt"`
	// AuthorWasAssignee is false when the platform accepted the note after the
	// order had moved to someone else.
	AuthorWasAssignee bool `json:"authorWasAssignee"`
}

// PhotoRef links a content-addressed photo to an order.
type PhotoRef struct {
	ID          string    `json:"id"` // client UUIDv7
	WorkOrderID string    `json:"workOrderId"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	MIME        string    `json:"mime"`
	Tag         PhotoTag  `json:"tag"`
	Caption     string    `json:"caption,omitempty"`
	TakenAt     time.Time `json:"takenAt,omitzero"`
	Lat         float64   `json:"lat,omitempty"`
	Lng         float64   `json:"lng,omitempty"`
	AuthorID    string    `json:"authorId"`
	Cycle       int       `json:"cycle"`
	CreatedAt   time.Time `json:"createdAt"`
	BlobPresent bool      `json:"blobPresent"` // the platform holds the bytes
	// Publishable: the caseworker chose to show this "after" photo to the
	// citizen (the tracking page, Open311's media_url). Default off; the
	// platform sets it from the accepted resolution's PublishPhotoRefIDs.
	Publishable bool `json:"publishable,omitempty"`
}

// ResolutionState is where a submitted resolution stands.
type ResolutionState string

// Resolution states.
const (
	ResolutionSubmitted ResolutionState = "submitted" // saved, queued
	ResolutionAccepted  ResolutionState = "accepted"  // the platform applied it
	ResolutionProposal  ResolutionState = "proposal"  // kept as evidence, did not resolve the order
	ResolutionReview    ResolutionState = "review"    // waiting for the lead's sign-off
)

// Resolution is a caseworker's 办结: outcome, reply and the chosen photos.
type Resolution struct {
	ID          string   `json:"id"` // client UUIDv7
	WorkOrderID string   `json:"workOrderId"`
	Cycle       int      `json:"cycle"`
	Outcome     Outcome  `json:"outcome"`
	Reply       string   `json:"reply"`
	PhotoRefIDs []string `json:"photoRefIds"`
	// PublishPhotoRefIDs are the photos of PhotoRefIDs the citizen may
	// see (only "after" photos are ever shown).
	PublishPhotoRefIDs []string        `json:"publishPhotoRefIds,omitempty"`
	State              ResolutionState `json:"state"`
	AuthorID           string          `json:"authorId"`
	CreatedAt          time.Time       `json:"createdAt"`
	// EvidenceChecks are the photo checks sent with the resolution, with
	// the caseworker's explanations (absent where nobody sent any).
	EvidenceChecks []EvidenceCheck `json:"evidenceChecks,omitempty"`
	// Set by a platform that checks the photos itself (EvidenceChecks are
	// then its own, By EvidenceByPlatform, with the desk's explanations):
	// when it last checked, the photos whose bytes it has not received yet
	// (checked when they arrive), and the checks the desk sent, kept as
	// they came.
	EvidenceCheckedAt  time.Time       `json:"evidenceCheckedAt,omitzero"`
	EvidencePending    []string        `json:"evidencePending,omitempty"`
	DeskEvidenceChecks []EvidenceCheck `json:"deskEvidenceChecks,omitempty"`
}

// Validate checks a resolution's text and outcome.
func (r *Resolution) Validate() error {
	if !r.Outcome.Valid() {
		return Errorf(EINVALID, "unknown outcome %q", string(r.Outcome))
	}
	if err := CheckText("reply", r.Reply, MinReplyRunes, MaxReplyRunes); err != nil {
		return err
	}
	if len(r.PhotoRefIDs) > MaxPhotosPerOrder {
		return tooLarge("too many photos: %d (at most %d)", len(r.PhotoRefIDs), MaxPhotosPerOrder).
			Saying(Msg(MsgErrTooManyPhotos, "N", len(r.PhotoRefIDs), "Max", MaxPhotosPerOrder))
	}
	return CheckPublishable(r.PhotoRefIDs, r.PublishPhotoRefIDs)
}

// CheckPublishable checks that the photos to publish are among the
// resolution's photos, each named once.
func CheckPublishable(photoRefIDs, publish []string) error {
	seen := make(map[string]bool, len(publish))
	for _, id := range publish {
		if seen[id] {
			return Errorf(EINVALID, "photo %s is marked publishable twice", id)
		}
		seen[id] = true
		if !slices.Contains(photoRefIDs, id) {
			return Errorf(EINVALID, "photo %s is marked publishable but is not one of the resolution's photos", id)
		}
	}
	return nil
}

// Shown reports whether a photo may be shown to the citizen: an
// "after" photo the caseworker marked publishable, with its bytes on the
// platform.
func (p *PhotoRef) Shown() bool {
	return p.Publishable && p.Tag == PhotoAfter && p.BlobPresent
}

// CheckText validates a text field: valid UTF-8, trimmed length in runes
// within [minRunes, maxRunes]. field is the English name of one of the
// order's texts ("reply", "note", …: textFields); the error names it in
// both languages.
func CheckText(field, s string, minRunes, maxRunes int) error {
	name := Msg(textFields[field])
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "%s is not valid UTF-8", field)
	}
	n := utf8.RuneCountInString(strings.TrimSpace(s))
	if n < minRunes {
		if minRunes == 1 {
			return Errorf(EINVALID, "%s is required", field).Saying(Msg(MsgErrRequired, "Field", name))
		}
		return Errorf(EINVALID, "%s is too short: %d characters, at least %d", field, n, minRunes).
			Saying(Msg(MsgErrTooShort, "Field", name, "N", n, "Min", minRunes))
	}
	if l := utf8.RuneCountInString(s); l > maxRunes {
		return tooLarge("%s is too long: %d characters, at most %d", field, l, maxRunes).
			Saying(Msg(MsgErrTooLong, "Field", name, "N", l, "Max", maxRunes))
	}
	return nil
}

// NormalizeOrderID is an order id as the platform keeps it: upper case,
// without surrounding spaces. Ids are letters, digits, '-' and '_', so case
// is the only way two spellings of one id differ; the platform applies it
// where an id comes in (a centre-given id at dispatch, an import) and where
// one is typed to find an order (the tracking page, Open311, the centre's
// endpoints), so a citizen reading 'wo-…' off a message finds 'WO-…'.
func NormalizeOrderID(id string) string { return strings.ToUpper(strings.TrimSpace(id)) }

// ValidOrderID reports whether id looks like a platform order id: 1–64 ASCII
// letters, digits, '-' or '_' (no path separators, no dots).
func ValidOrderID(id string) bool {
	if id == "" || len(id) > MaxOrderIDLength {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ValidSHA256 reports whether s is 64 lowercase hex digits.
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// User is a person who signs in.
type User struct {
	ID           string `json:"id"`
	Username     string `json:"username"`
	Name         string `json:"name"` // display name, e.g. 王芳
	Role         Role   `json:"role"`
	TeamID       string `json:"teamId,omitempty"`
	TeamName     string `json:"teamName,omitempty"`
	StreetOffice string `json:"streetOffice,omitempty"`
	District     string `json:"district,omitempty"`
}

// Team is a group of caseworkers in a street office led by a lead.
type Team struct {
	ID           string `json:"id"`
	Name         string `json:"name"` // e.g. 城管组
	StreetOffice string `json:"streetOffice"`
	District     string `json:"district"`
	// ReviewResolutions turns on 领导签发: resolutions wait for the lead.
	ReviewResolutions bool   `json:"reviewResolutions"`
	Members           []User `json:"members,omitempty"`
}

// Member returns the member whose id or username is id.
func (t *Team) Member(id string) (User, bool) {
	if t != nil {
		for _, m := range t.Members {
			if m.ID == id || m.Username == id {
				return m, true
			}
		}
	}
	return User{}, false
}
