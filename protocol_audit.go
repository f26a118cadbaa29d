package streetdesk

import "time"

// What a platform says about the evidence it holds: the photo checks it
// recomputes from the bytes it received, and what it noticed in the action
// logs the desks push (docs/protocol.md, "Evidence").

// EvidenceByPlatform marks a check the platform computed from the photo
// bytes it holds (EvidenceCheck.By); a desk's own checks carry no mark.
const EvidenceByPlatform = "platform"

// PlatformChecked reports whether cs are a platform's checks.
func PlatformChecked(cs []EvidenceCheck) bool {
	for _, c := range cs {
		if c.By == EvidenceByPlatform {
			return true
		}
	}
	return false
}

// ChainForked is a platform's flag for an entry that takes another branch
// than the one it holds: a second entry with the same number, after the
// same earlier entry. A restored backup forks legitimately; the desk then
// records the fork in a fork entry (the flag is Explained).
const ChainForked ChainProblemCode = "FORK"

// AuditFlag is something a platform noticed about an action-log entry
// pushed to it. It flags, never refuses: the entry is kept as it came.
type AuditFlag struct {
	ID   int64            `json:"id"`
	Code ChainProblemCode `json:"code"` // GAP, FORK, BROKEN_LINK, BAD_HASH, BAD_BODY, BAD_FIELD, RECORD_DIFFERS
	// ClientID pushed the entry (UserID signed in); Seq and Hash name it.
	ClientID string `json:"clientId"`
	UserID   string `json:"userId"`
	Seq      int64  `json:"seq"`
	Hash     string `json:"hash"`
	// OrderID and MutationKey are the action's, when the entry records one.
	OrderID     string `json:"orderId,omitempty"`
	MutationKey string `json:"mutationKey,omitempty"`
	// A fork's point: ForkClientID's entry ForkSeq (hash ForkHash) is the
	// last one both branches share.
	ForkClientID string `json:"forkClientId,omitempty"`
	ForkSeq      int64  `json:"forkSeq,omitempty"`
	ForkHash     string `json:"forkHash,omitempty"`
	// Explained: the desk recorded this fork in a fork entry (a restored
	// backup, a copied profile): legitimate, kept for the record.
	Explained bool      `json:"explained,omitempty"`
	Message   string    `json:"message"`
	At        time.Time `json:"at"` // when the platform noticed (its clock)
}

// CentreOrder is the body of GET /v1/centre/orders/{id}: the order, its
// resolutions with the platform's photo checks, and what the platform
// flagged in the action-log entries about it.
type CentreOrder struct {
	WorkOrder
	Resolutions []Resolution `json:"resolutions"`
	AuditFlags  []AuditFlag  `json:"auditFlags"`
}

// AuditFlagList is the body of GET /v1/centre/audit.
type AuditFlagList struct {
	Flags []AuditFlag `json:"flags"`
	// NextAfter is the id to ask after (?after=) for the next page; 0 when
	// this page is the last.
	NextAfter int64 `json:"nextAfter,omitempty"`
}
