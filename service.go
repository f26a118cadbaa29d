package streetdesk

import (
	"context"
	"time"
)

// SortOrder orders the queue.
type SortOrder string

// Sort orders.
const (
	SortRisk       SortOrder = "risk"       // deadline first come, first (overdue lead), then urgency (default); CompareQueue
	SortDispatched SortOrder = "dispatched" // newest dispatch first
	SortUrgency    SortOrder = "urgency"    // most urgent first, then deadline
)

// QueueFilter selects and orders a page of the local queue. Zero values mean
// "no filter".
type QueueFilter struct {
	Statuses     []Status
	Overdue      bool          // only orders past their current deadline
	DueWithin    time.Duration // only orders due within this window (not yet overdue)
	CategoryCode string        // a level-1, -2 or -3 code; matches by prefix
	District     string
	StreetOffice string
	Community    string
	AssigneeID   string
	Text         string // full-text search (Chinese substrings, any length ≥ 1)
	Sort         SortOrder
	Offset       int
	Limit        int // default DefaultPageSize, at most MaxPageSize
	// Now is the clock for overdue/due filters and risk sort; zero means the store's clock.
	Now time.Time
}

// ItemSync is the sync state of a local item, as the UI shows it.
type ItemSync string

// Item sync states. "Saved on this computer" (pending) and "sent to the
// platform" (synced) are never blurred.
const (
	SyncSynced    ItemSync = "synced"    // 已同步: the platform confirmed it
	SyncPending   ItemSync = "pending"   // 待同步: saved here, not yet confirmed
	SyncUploading ItemSync = "uploading" // a photo whose bytes are on their way
	SyncConflict  ItemSync = "conflict"  // the platform did not apply it; see Needs attention
)

// QueueItem is one row of the queue: the order as the user should see it
// (the shadow with pending intents applied) plus its local markers.
type QueueItem struct {
	Order     WorkOrder
	Pending   int  // outbox rows not yet confirmed by a pull
	Conflicts int  // unresolved conflicts for this order
	Revoked   bool // the order left this user's view (reassigned, cancelled) but has local work
}

// QueuePage is one page of the queue and the total matching count.
type QueuePage struct {
	Items []QueueItem
	Total int
}

// LocalNote is a note with its local sync state.
type LocalNote struct {
	Note
	Sync ItemSync `json:"sync"`
}

// LocalPhoto is a photo reference with its local file and upload state.
type LocalPhoto struct {
	PhotoRef
	Sync      ItemSync `json:"sync"`
	Path      string   `json:"path"`     // local file, "" when not downloaded yet
	Uploaded  int64    `json:"uploaded"` // bytes confirmed by the platform, for progress
	Missing   bool     `json:"missing"`  // the local file disappeared before upload
	Width     int      `json:"width"`
	Height    int      `json:"height"`
	Thumbnail string   `json:"thumbnail"` // path of an orientation-corrected thumbnail, if made
}

// LocalResolution is a resolution with its local sync state.
type LocalResolution struct {
	Resolution
	Sync ItemSync `json:"sync"`
}

// TimelineEntry is one line of an order's timeline (BuildTimeline).
type TimelineEntry struct {
	ID    string    `json:"id,omitempty"` // the fact's id (a note, the first photo of a batch, a resolution); "" for events and intents
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"` // an Operation name, or "dispatch", "callback", "reopen"
	Actor string    `json:"actor"`
	Text  string    `json:"text"` // a note's or contact record's text, a reply, captions, an event's text
	Sync  ItemSync  `json:"sync"`
	Cycle int       `json:"cycle"`
	// Contact records.
	Method  ContactMethod `json:"method,omitempty"`
	Reached bool          `json:"reached,omitempty"`
	// Photos: how many this line stands for, and their tag.
	Photos int      `json:"photos,omitempty"`
	Tag    PhotoTag `json:"tag,omitempty"`
	// Resolutions.
	Outcome Outcome `json:"outcome,omitempty"`
	// Value is an event's coded value (see Event.Value).
	Value string `json:"value,omitempty"`
}

// OrderDetail is everything the detail screen shows about one order.
type OrderDetail struct {
	Order       WorkOrder         `json:"order"` // overlaid
	Notes       []LocalNote       `json:"notes"`
	Photos      []LocalPhoto      `json:"photos"`
	Resolutions []LocalResolution `json:"resolutions"`
	Timeline    []TimelineEntry   `json:"timeline"`
	Pending     int               `json:"pending"`
	Conflicts   []Conflict        `json:"conflicts"`
	Revoked     bool              `json:"revoked"`
	RevokeNote  Message           `json:"revokeNote"` // why the order left this user's view
	// Allowed is what the signed-in user may do now (lifecycle × role).
	Allowed []Operation `json:"allowed"`
}

// Conflict is an entry of the "needs attention" inbox: an intent the
// platform did not apply as asked, with its full content kept.
type Conflict struct {
	ID          int64        `json:"id"`
	MutationID  int64        `json:"mutationId"`
	MutationKey string       `json:"mutationKey"`
	OrderID     string       `json:"orderId"`
	OrderTitle  string       `json:"orderTitle"`
	Name        string       `json:"name"` // the mutation name
	Status      ResultStatus `json:"status"`
	Code        ResultCode   `json:"code"`
	Explanation Message      `json:"explanation"` // what happened and what was kept, for the desk to word
	Intent      string       `json:"intent"`      // the full local intent (JSON args)
	CreatedAt   time.Time    `json:"createdAt"`
	Dismissed   bool         `json:"dismissed"`
}

// Counts summarise the local store for the status line and `streetdesk status`.
type Counts struct {
	ByStatus  map[Status]int
	Overdue   int
	DueSoon   int
	Pending   int // outbox rows not yet confirmed
	Conflicts int // open conflicts
	Uploads   int // photos waiting to upload
	LastSync  time.Time
	// Indexing counts the orders not yet found by a text search when there
	// are many (after a first sync, until the background indexer has caught
	// up; a search meanwhile waits for it); 0 otherwise.
	Indexing int
}

// SearchIndexer is offered by an OrderService that builds its text search
// in the background (localdb): IndexChanged's channel is closed when
// Counts.Indexing may have changed, so a screen that says "building the
// search index" reads the counts again. Take a new channel after each
// wake-up.
type SearchIndexer interface {
	IndexChanged() <-chan struct{}
}

// ContactInput is a contact record as the user enters it.
type ContactInput struct {
	Method  ContactMethod
	Reached bool
	Body    string
}

// ResolveInput is a resolution as the user enters it.
type ResolveInput struct {
	Outcome     Outcome
	Reply       string
	PhotoRefIDs []string
	// PublishPhotoRefIDs are the chosen "after" photos the citizen may see
	// on the tracking page (default none).
	PublishPhotoRefIDs []string
	// Evidence are the photo checks sent with the resolution, with the
	// caseworker's explanations (desk.Service computes them; a store keeps
	// and logs what it is given).
	Evidence []EvidenceCheck
}

// EventInput is a lead's event proposal as entered: a title, why, the
// department suggested from the duty list, and the member orders.
type EventInput struct {
	Title      string
	Reason     string
	Department string
	OrderIDs   []string
	HotspotID  string // the hotspot it was proposed from, if any
}

// ImportedPhoto is a photo file already stored content-addressed on disk
// (see package media), ready to be attached.
type ImportedPhoto struct {
	SHA256  string
	Path    string
	Size    int64
	MIME    string
	Width   int
	Height  int
	TakenAt time.Time
	Lat     float64
	Lng     float64
	HasGPS  bool
	// ZoneAssumed: EXIF gave the time without a time zone, so TakenAt was
	// read as China time.
	ZoneAssumed bool
	Camera      string
	// Orientation is the EXIF orientation 1–8 (0 read as 1).
	Orientation int
}

// PhotoInput names a file to attach and how to tag it.
type PhotoInput struct {
	Path    string
	Tag     PhotoTag
	Caption string
}

// OrderService is the local side of the application services: reads of the
// overlay and writes that commit their effect and outbox row in one
// transaction. localdb implements it. Every write checks the lifecycle for
// the signed-in user's role against the order as the user sees it and
// returns EINVALID/EFORBIDDEN (a *TransitionError) otherwise, ENOTFOUND for
// an unknown order, EINVALID for bad input; nothing is changed on error.
type OrderService interface {
	Queue(ctx context.Context, f QueueFilter) (QueuePage, error)
	Order(ctx context.Context, id string) (*OrderDetail, error)
	Counts(ctx context.Context) (Counts, error)

	Accept(ctx context.Context, id string) error
	RecordContact(ctx context.Context, id string, in ContactInput) error
	AddNote(ctx context.Context, id, body string) error
	AttachPhoto(ctx context.Context, id string, p ImportedPhoto, tag PhotoTag, caption string) (PhotoRef, error)
	Resolve(ctx context.Context, id string, in ResolveInput) (Resolution, error)
	RequestReturn(ctx context.Context, id string, reason ReturnReason, text string) error
	RequestExtension(ctx context.Context, id string, reason string, newResolveBy time.Time) error
	Reassign(ctx context.Context, ids []string, to, reason string) error
	ApproveReview(ctx context.Context, id string) error
	SendBack(ctx context.Context, id, comment string) error
	// ProposeEvent asks the centre to turn orders of the lead's team into
	// one big-data event order (leads; offline too: it waits in the outbox
	// on its first member). It returns the proposal's id.
	ProposeEvent(ctx context.Context, in EventInput) (string, error)

	Conflicts(ctx context.Context, includeDismissed bool) ([]Conflict, error)
	DismissConflict(ctx context.Context, id int64) error
}

// SyncState is the engine's published state.
type SyncState string

// Sync states.
const (
	SyncIdle       SyncState = "idle"
	SyncSyncing    SyncState = "syncing"
	SyncOffline    SyncState = "offline"
	SyncPausedAuth SyncState = "paused-auth" // needs sign-in; the queue is kept
	SyncError      SyncState = "error"       // paused with a message (e.g. app too old); queue kept
)

// UploadProgress is one photo on its way.
type UploadProgress struct {
	SHA256  string
	OrderID string
	Sent    int64
	Total   int64
	// BytesPerSec is a recent average, 0 when unknown.
	BytesPerSec float64
}

// SyncStatus is what the sync bar shows.
type SyncStatus struct {
	State    SyncState
	Pending  int // outbox rows not confirmed
	Uploads  []UploadProgress
	LastSync time.Time // last successful full sync
	NextTry  time.Time // when the engine tries again after a failure
	// Reason is why the engine is not idle (offline, a captive portal, the
	// app too old, …); zero while all is well. What is kept (Pending) and
	// when it tries again (NextTry) are not part of it: the interface says
	// them the same way for every reason.
	Reason Message
	// Activity is what a sync is doing now (sending 3/12, receiving page 2,
	// a photo's name); zero between steps.
	Activity   Message
	BytesSent  int64
	BytesTotal int64
}

// Syncer is the sync engine as the UI and CLI see it.
type Syncer interface {
	// SyncNow asks for a sync as soon as possible; it never blocks.
	SyncNow()
	// Status returns the current published status.
	Status() SyncStatus
	// Notify returns a channel that is closed at the next status change.
	Notify() <-chan struct{}
}

// Desk is the whole application-service layer the GUI and the CLI share:
// the local order service, photo import and sync.
type Desk interface {
	OrderService
	HotspotService
	// Me is the signed-in user.
	Me() User
	// AttachPhotos imports files (hash, EXIF, content-addressed copy) and
	// attaches them, each in its own transaction; it returns what was
	// attached and the first error (a clear, user-facing one) if any.
	AttachPhotos(ctx context.Context, id string, in []PhotoInput) ([]PhotoRef, error)
	// Team returns the signed-in user's team with its members.
	Team(ctx context.Context) (*Team, error)
	// Sync is the engine (or nil when running without one).
	Sync() Syncer
	EvidenceService
}
