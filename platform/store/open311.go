package store

import (
	"time"

	"github.com/streetdesk/streetdesk"
)

// Open311Filter selects orders for the Open311 GeoReport v2 API; empty
// fields do not filter, several values of one field match any of them.
type Open311Filter struct {
	IDs      []string            // service_request_id
	L3Codes  []string            // service_code: the duty list's level-3 codes
	Statuses []streetdesk.Status // the lifecycle states behind open or closed
	// From and To bound the dispatch time, both included (zero: open).
	From, To      time.Time
	Limit, Offset int
}

// Open311Key is a channel's Open311 api_key as stored: only its hash.
type Open311Key struct {
	Hash    string // hex SHA-256 of the key
	Channel streetdesk.Channel
	Name    string // who holds it, e.g. "FixMyStreet 深圳"
	Created time.Time
}
