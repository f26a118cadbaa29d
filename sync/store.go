// Package sync is the client side of the platform protocol (docs/protocol.md)
// and the engine that pushes the outbox, pulls changes and uploads photos.
package sync

import (
	"context"

	"github.com/streetdesk/streetdesk"
)

// Store is what the engine needs from the local database. localdb.DB
// implements it; cmd wires the two together. Every method is one
// transaction.
type Store interface {
	// ClientID returns this database's client id (UUIDv7), creating it on first use.
	ClientID(ctx context.Context) (string, error)
	// ForkClient gives the database a new client id and re-enqueues every
	// unconfirmed outbox row under a new mutation id with the same key, in
	// the same order. Used when the platform's lastMutationId for this client
	// is ahead of the highest id ever allocated here (a restored or copied
	// database).
	ForkClient(ctx context.Context) (string, error)
	// MaxMutationID is the highest outbox id ever allocated (never reused).
	MaxMutationID(ctx context.Context) (int64, error)
	// PendingMutations returns up to limit unconfirmed outbox rows in id
	// order that the platform has not answered yet.
	PendingMutations(ctx context.Context, limit int) ([]streetdesk.Mutation, error)
	// RecordPushResults stores the platform's answers: rows are marked as
	// answered (they stay in the overlay until a pull confirms them) and a
	// conflict inbox entry, with the full intent, is created for each
	// rejected or conflicting result (idempotently).
	RecordPushResults(ctx context.Context, results []streetdesk.MutationResult) error
	// RecordPushAttempt notes a failed attempt for the given ids (attempt
	// count and last error, for stall detection and support).
	RecordPushAttempt(ctx context.Context, ids []int64, errText string) error

	// PullCursor returns the stored cursor ("" before the first sync).
	PullCursor(ctx context.Context) (string, error)
	// ApplyPull applies one page and its cursor in one transaction:
	// version-guarded upserts of the shadow, revocations (local work is
	// kept), notes, photo refs, resolutions, mutation results (into the
	// conflicts inbox when rejected/conflict), removal of the answered
	// outbox rows with id ≤ page.LastMutationID (an unanswered one waits:
	// another copy of the database may have used its id), and the cursor
	// last. A page with Reset set
	// starts a staged rebuild of the shadow that is swapped in with the last
	// page (HasMore false); outbox, notes, photos and conflicts are never
	// touched by a reset.
	ApplyPull(ctx context.Context, page *streetdesk.PullResponse) error
	// ShadowChecksum computes the checksum of the local shadow's visible
	// (non-revoked) orders.
	ShadowChecksum(ctx context.Context) (streetdesk.Checksum, error)
	// ClearCursor forgets the cursor so the next pull is a full snapshot
	// (after a checksum mismatch).
	ClearCursor(ctx context.Context) error

	// PendingUploads lists blobs that are referenced and not yet verified on
	// the platform, resolution photos first.
	PendingUploads(ctx context.Context) ([]Upload, error)
	// SetUploadURL persists the tus upload URL before the first byte is sent
	// ("" clears it after a 404/410).
	SetUploadURL(ctx context.Context, sha256, url string) error
	// SetUploadProgress records confirmed bytes (for progress only).
	SetUploadProgress(ctx context.Context, sha256 string, offset int64) error
	// MarkBlobVerified records that the platform holds the blob.
	MarkBlobVerified(ctx context.Context, sha256 string) error
	// MarkBlobFailed records an upload failure that needs a person
	// (missing or changed local file, too large); state is "missing_local"
	// or "failed".
	MarkBlobFailed(ctx context.Context, sha256, state, msg string) error
	// PendingDownloads lists photos others attached that are not on disk,
	// newest first, within a byte budget.
	PendingDownloads(ctx context.Context, budget int64) ([]Download, error)
	// RegisterDownload records a downloaded, hash-verified file.
	RegisterDownload(ctx context.Context, sha256, path string, size int64, mime string) error

	// State reads and writes small sync_state values (last sync time, tokens
	// are NOT stored here).
	State(ctx context.Context, key string) (string, error)
	SetState(ctx context.Context, key, value string) error
	// Log appends to the sync_log ring buffer.
	Log(ctx context.Context, e LogEntry) error
}

// Upload is a blob to send (defined in the root package so that localdb
// can implement Store without importing sync).
type Upload = streetdesk.Upload

// Download is a photo to fetch for offline viewing.
type Download = streetdesk.Download

// LogEntry is one line of the sync log.
type LogEntry = streetdesk.SyncLogEntry
