package streetdesk

import "time"

// The record types the sync engine and the local store exchange about photo
// transfers and the sync log. They live here, not in package sync, so that
// localdb can implement sync.Store without importing sync (sync aliases them).

// Upload is a blob to send.
type Upload struct {
	SHA256   string
	Path     string
	Size     int64
	MIME     string
	OrderID  string // one order it belongs to, for metadata and progress
	URL      string // persisted tus URL, "" if none yet
	Offset   int64  // last confirmed offset (progress only; HEAD is the truth)
	Priority int    // higher first (resolution photos)
	Attempts int
}

// Download is a photo to fetch for offline viewing.
type Download struct {
	SHA256  string
	Size    int64
	MIME    string
	OrderID string
}

// SyncLogEntry is one line of the sync log.
type SyncLogEntry struct {
	At        time.Time
	Kind      string // push, pull, upload, download, auth
	RequestID string
	Status    int
	Duration  time.Duration
	Detail    string
}
