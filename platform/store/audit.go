package store

import (
	"context"
	"time"

	"github.com/streetdesk/streetdesk"
)

// The action logs the desks push (streetdesk.ChainEntry), kept per client
// as they came, the digests of the mutations they record, and what the
// platform flagged about them.

// AuditReader reads the stored action logs.
type AuditReader interface {
	// ChainEntries lists the stored entries q asks for, in the order they
	// arrived.
	ChainEntries(ctx context.Context, q ChainQuery) ([]ChainRow, error)
	// ChainClients lists the clients that pushed entries (those of one user
	// when userID is not empty), in id order.
	ChainClients(ctx context.Context, userID string) ([]string, error)
	// AuditActions returns the digests of the mutations of the given keys.
	AuditActions(ctx context.Context, keys []string) (map[string]AuditAction, error)
	// AuditFlags lists flags in id order, each fork marked Explained when a
	// fork entry names the forked client.
	AuditFlags(ctx context.Context, q AuditFlagQuery) ([]streetdesk.AuditFlag, error)
}

// AuditWriter keeps them (within a write transaction).
type AuditWriter interface {
	// InsertChainEntries keeps entries; one a client already holds (same
	// hash) is left as it is.
	InsertChainEntries(ctx context.Context, rows []ChainRow) error
	// InsertAuditActions keeps the digests of mutations (the first per key).
	InsertAuditActions(ctx context.Context, rows []AuditAction) error
	// InsertAuditFlags records flags (their IDs are assigned).
	InsertAuditFlags(ctx context.Context, flags []streetdesk.AuditFlag) error
}

// ChainRow is a stored action-log entry.
type ChainRow struct {
	N                int64  // arrival order, assigned by the store
	ClientID, UserID string // who pushed it
	Entry            streetdesk.ChainEntry
	// OrderID and MutationKey are an action entry's; ForkOf is a fork
	// entry's previous client id.
	OrderID, MutationKey, ForkOf string
	ReceivedAt                   time.Time
}

// ChainQuery selects entries; empty fields do not filter.
type ChainQuery struct {
	ClientID, UserID string
	Hash             string
	MinSeq, MaxSeq   int64
	Keys             []string // mutation keys
	OrderID          string
	ForkOf           string
	AfterN           int64
	Limit            int // 0: no limit
}

// AuditAction is the digest of a mutation as the platform received it, to
// compare with the entry that records it: the SHA-256 of the canonical
// streetdesk.ChainAction without its evidence checks, and of the checks
// (empty when it carried none).
type AuditAction struct {
	Key, ClientID, UserID, OrderID string
	MutationID                     int64
	ActionHash, ChecksHash         string
	At                             time.Time
}

// AuditFlagQuery selects flags; empty fields do not filter. OrderID
// selects the flags of the order's entries and the chain flags (gap, fork,
// broken link) of every client that logged an action on it.
type AuditFlagQuery struct {
	ClientID, OrderID string
	AfterID           int64
	Limit             int // 0: no limit
}
