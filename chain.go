package streetdesk

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The action log (审计链): every local action is appended, in the same
// transaction as its effect and its outbox row, to a hash chain. Each entry
// names the previous entry's hash, so editing, dropping or reordering any
// stored entry breaks every hash after it. The entry's own hash covers a
// small header (sequence number, previous hash, kind, client id, local time
// and the hash of the body) rather than the body itself, so a reader can
// check the links of entries whose bodies it is not shown (another order's
// actions in an order's evidence package). The body is the action's
// canonical JSON (Canonicalize), so anyone can recompute every hash from
// the data alone.

// ChainVersion is the header version hashed into every entry.
const ChainVersion = 1

// ChainGenesis is the "previous hash" of the first entry.
var ChainGenesis = strings.Repeat("0", 64)

// ChainKind says what an entry records.
type ChainKind string

// Entry kinds.
const (
	// ChainKindAction is a local action; its body is a ChainAction.
	ChainKindAction ChainKind = "action"
	// ChainKindFork records that this database continued from an earlier point
	// than a platform had seen (a restored backup, a copied profile): a
	// legitimate fork. Its body is a ChainFork.
	ChainKindFork ChainKind = "fork"
)

// ChainEntry is one entry of the action log, as stored, shown in an
// evidence package and carried with pushes.
type ChainEntry struct {
	Seq      int64     `json:"seq"`  // 1, 2, … per local database
	Prev     string    `json:"prev"` // hash of entry Seq-1, ChainGenesis for the first
	Kind     ChainKind `json:"kind"`
	ClientID string    `json:"clientId"`
	// At is the desk's local time with its offset (RFC 3339), as written:
	// it is what the clock said, never a fact the platform relies on.
	At       string `json:"at"`
	BodyHash string `json:"bodyHash"` // SHA-256 of Body
	Hash     string `json:"hash"`     // SHA-256 of the canonical header
	// Body is the canonical JSON of the action; left out where only the
	// links are shown (another order's entries in an evidence package).
	Body json.RawMessage `json:"body,omitempty"`
}

// ChainAction is the body of an action entry: the mutation as the
// platform receives it, its evidence checks, and who acted.
type ChainAction struct {
	Key            string          `json:"key"`
	Name           string          `json:"name"`
	OrderID        string          `json:"orderId"`
	BaseVersion    int64           `json:"baseVersion"`
	BaseCycle      int             `json:"baseCycle"`
	Args           json.RawMessage `json:"args"`
	UserID         string          `json:"userId"`
	EvidenceChecks []EvidenceCheck `json:"evidenceChecks,omitempty"`
}

// ChainActionOf is the chain body of mutation m performed by userID.
func ChainActionOf(m *Mutation, userID string) ChainAction {
	return ChainAction{Key: m.Key, Name: m.Name, OrderID: m.OrderID, BaseVersion: m.BaseVersion,
		BaseCycle: m.BaseCycle, Args: m.Args, UserID: userID, EvidenceChecks: m.EvidenceChecks}
}

// ChainFork is the body of a fork entry.
type ChainFork struct {
	// Reason says why, e.g. "restored": the platform knew later mutations
	// of this client than the database holds.
	Reason           string `json:"reason"`
	PreviousClientID string `json:"previousClientId"`
	NewClientID      string `json:"newClientId"`
	// LocalMutationID and PlatformMutationID are the highest mutation ids
	// each side knew when the fork was noticed (0 when unknown).
	LocalMutationID    int64 `json:"localMutationId"`
	PlatformMutationID int64 `json:"platformMutationId,omitempty"`
}

// An entry's hash covers its header: the canonical JSON of
// {"v": ChainVersion, "seq", "prev", "kind", "clientId", "at", "bodyHash"}
// (ChainEntry.appendHeader).

// SHA256Hex returns the lowercase hex SHA-256 of b.
func SHA256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// ChainTime formats t as an entry's At: RFC 3339 with nanoseconds and the
// clock's own offset.
func ChainTime(t time.Time) string { return t.Format(time.RFC3339Nano) }

// NewChainEntry builds the entry after prev (nil for the first) holding
// body, whose canonical JSON becomes the entry's Body.
func NewChainEntry(prev *ChainEntry, kind ChainKind, clientID string, at time.Time, body any) (ChainEntry, error) {
	var b []byte
	var err error
	switch a := body.(type) {
	case ChainAction:
		b, err = a.Canonical()
	case *ChainAction:
		b, err = a.Canonical()
	default:
		b, err = CanonicalJSON(body)
	}
	if err != nil {
		return ChainEntry{}, fmt.Errorf("chain body: %w", err)
	}
	e := ChainEntry{Seq: 1, Prev: ChainGenesis, Kind: kind, ClientID: clientID, At: ChainTime(at), BodyHash: SHA256Hex(b), Body: b}
	if prev != nil {
		e.Seq, e.Prev = prev.Seq+1, prev.Hash
	}
	e.Hash, err = e.HeaderHash()
	return e, err
}

// HeaderHash computes the hash the entry should carry.
func (e *ChainEntry) HeaderHash() (string, error) {
	var buf [512]byte
	return SHA256Hex(e.appendHeader(buf[:0])), nil
}

// appendHeader appends the canonical JSON of the entry's chainHeader: what
// CanonicalJSON gives for it (members in name order, strings as
// appendCanonString writes them), without reflection or a re-parse. The
// tests hold it to CanonicalJSON and to hashes written before it.
func (e *ChainEntry) appendHeader(b []byte) []byte {
	b = append(b, `{"at":`...)
	b = appendCanonString(b, e.At)
	b = append(b, `,"bodyHash":`...)
	b = appendCanonString(b, e.BodyHash)
	b = append(b, `,"clientId":`...)
	b = appendCanonString(b, e.ClientID)
	b = append(b, `,"kind":`...)
	b = appendCanonString(b, e.Kind)
	b = append(b, `,"prev":`...)
	b = appendCanonString(b, e.Prev)
	b = append(b, `,"seq":`...)
	b = appendCanonInt(b, e.Seq)
	b = append(b, `,"v":`...)
	b = appendCanonInt(b, ChainVersion)
	return append(b, '}')
}

// appendCanonInt appends n as canonical JSON writes it: as the double
// nearest to it (exactly n below 2^53).
func appendCanonInt(b []byte, n int64) []byte {
	if n > -1<<53 && n < 1<<53 {
		return strconv.AppendInt(b, n, 10)
	}
	return append(b, FormatJSNumber(float64(n))...)
}

// Canonical returns the canonical JSON of the action: what CanonicalJSON
// gives for it, built directly (only the args are parsed, to canonicalize
// them). Pushes pay it for every entry and mutation on both sides.
func (a *ChainAction) Canonical() ([]byte, error) {
	b := make([]byte, 0, 160+len(a.Key)+len(a.Name)+len(a.OrderID)+len(a.UserID)+len(a.Args))
	b = append(b, `{"args":`...)
	if a.Args == nil {
		b = append(b, "null"...)
	} else {
		var err error
		if b, err = appendCanonical(b, a.Args); err != nil {
			return nil, fmt.Errorf("canonical JSON: args: %w", err)
		}
	}
	b = append(b, `,"baseCycle":`...)
	b = appendCanonInt(b, int64(a.BaseCycle))
	b = append(b, `,"baseVersion":`...)
	b = appendCanonInt(b, a.BaseVersion)
	if len(a.EvidenceChecks) > 0 {
		checks, err := CanonicalJSON(a.EvidenceChecks)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"evidenceChecks":`...)
		b = append(b, checks...)
	}
	b = append(b, `,"key":`...)
	b = appendCanonString(b, a.Key)
	b = append(b, `,"name":`...)
	b = appendCanonString(b, a.Name)
	b = append(b, `,"orderId":`...)
	b = appendCanonString(b, a.OrderID)
	b = append(b, `,"userId":`...)
	b = appendCanonString(b, a.UserID)
	return append(b, '}'), nil
}

// Skeleton returns the entry without its body (the links only).
func (e ChainEntry) Skeleton() ChainEntry {
	e.Body = nil
	return e
}

// Action decodes the body of an action entry.
func (e *ChainEntry) Action() (*ChainAction, error) {
	if e.Kind != ChainKindAction || len(e.Body) == 0 {
		return nil, Errorf(EINVALID, "chain entry %d holds no action", e.Seq)
	}
	var a ChainAction
	if err := json.Unmarshal(e.Body, &a); err != nil {
		return nil, Errorf(EINVALID, "chain entry %d: bad action: %v", e.Seq, err)
	}
	return &a, nil
}

// SameAction reports whether the entry records exactly mutation m by
// userID (what a platform checks of an entry that came with a mutation).
func (e *ChainEntry) SameAction(m *Mutation, userID string) bool {
	if e.Kind != ChainKindAction {
		return false
	}
	a := ChainActionOf(m, userID)
	want, err := a.Canonical()
	if err != nil {
		return false
	}
	got, err := Canonicalize(e.Body)
	return err == nil && bytes.Equal(want, got)
}

// ChainProblemCode is what is wrong with an entry.
type ChainProblemCode string

// Problems.
const (
	ChainBadField   ChainProblemCode = "BAD_FIELD"   // a malformed field (hash, time, kind)
	ChainBadHash    ChainProblemCode = "BAD_HASH"    // the header does not hash to Hash: the entry was edited
	ChainBadBody    ChainProblemCode = "BAD_BODY"    // the body does not hash to BodyHash, or is not canonical
	ChainBadLink    ChainProblemCode = "BROKEN_LINK" // Prev is not the previous entry's hash
	ChainGap        ChainProblemCode = "GAP"         // a sequence number is missing or repeated
	ChainBadGenesis ChainProblemCode = "BAD_GENESIS" // the first entry of a whole chain does not start it
	// ChainMissing: a stored action (outbox row, note, photo, resolution)
	// has no entry in the log.
	ChainMissing ChainProblemCode = "MISSING_ENTRY"
	// ChainMismatch: a stored record differs from what its entry recorded
	// (it was changed after the action).
	ChainMismatch ChainProblemCode = "RECORD_DIFFERS"
)

// ChainProblem is one finding of a verification.
type ChainProblem struct {
	Seq     int64            `json:"seq"`
	Code    ChainProblemCode `json:"code"`
	Message string           `json:"message"`
}

func (p ChainProblem) String() string {
	return fmt.Sprintf("entry %d: %s: %s", p.Seq, p.Code, p.Message)
}

// ChainVerifier checks entries one at a time, in sequence order, so a long
// chain is verified as it streams from storage. The zero value verifies a
// whole chain (the first entry must be number 1 after ChainGenesis);
// FromMiddle verifies a run that starts anywhere.
type ChainVerifier struct {
	// FromMiddle accepts a first entry that is not number 1 (its Prev is
	// taken on trust).
	FromMiddle bool
	// RequireBodies refuses entries without a body (a whole stored chain
	// has every body; an evidence package shows only some).
	RequireBodies bool

	n        int
	last     *ChainEntry
	forks    int
	problems []ChainProblem
}

// maxChainProblems bounds the report: past a few hundred, more lines say nothing new.
const maxChainProblems = 200

func (v *ChainVerifier) fail(seq int64, code ChainProblemCode, format string, args ...any) {
	if len(v.problems) < maxChainProblems {
		v.problems = append(v.problems, ChainProblem{Seq: seq, Code: code, Message: fmt.Sprintf(format, args...)})
	}
}

// Add checks the next entry.
func (v *ChainVerifier) Add(e ChainEntry) {
	v.n++
	if e.Kind == ChainKindFork {
		v.forks++
	}
	ok := true
	if !ValidSHA256(e.Prev) || !ValidSHA256(e.BodyHash) || !ValidSHA256(e.Hash) {
		v.fail(e.Seq, ChainBadField, "hashes must be 64 lowercase hex digits")
		ok = false
	}
	if e.Kind != ChainKindAction && e.Kind != ChainKindFork {
		v.fail(e.Seq, ChainBadField, "unknown kind %q", e.Kind)
	}
	if _, err := time.Parse(time.RFC3339Nano, e.At); err != nil {
		v.fail(e.Seq, ChainBadField, "time %q is not RFC 3339", e.At)
	}
	if ok {
		if h, err := e.HeaderHash(); err != nil || h != e.Hash {
			v.fail(e.Seq, ChainBadHash, "the entry does not match its hash (it was changed after it was written)")
		}
	}
	switch {
	case e.Body != nil:
		// The hash is of the canonical form: a body re-encoded on the way
		// (encoding/json escapes '<' as \u003c) still verifies.
		c, err := Canonicalize(e.Body)
		switch {
		case err != nil:
			v.fail(e.Seq, ChainBadBody, "the body is not valid JSON: %v", ErrorMessage(err))
		case SHA256Hex(c) != e.BodyHash:
			v.fail(e.Seq, ChainBadBody, "the body does not match its hash (it was changed after it was written)")
		}
	case v.RequireBodies:
		v.fail(e.Seq, ChainBadBody, "the body is missing")
	}
	switch {
	case v.last == nil && !v.FromMiddle:
		if e.Seq != 1 || e.Prev != ChainGenesis {
			v.fail(e.Seq, ChainBadGenesis, "the chain must start with entry 1 after the genesis hash")
		}
	case v.last != nil:
		if e.Seq != v.last.Seq+1 {
			v.fail(e.Seq, ChainGap, "expected entry %d after %d", v.last.Seq+1, v.last.Seq)
		}
		if e.Prev != v.last.Hash {
			v.fail(e.Seq, ChainBadLink, "does not follow entry %d (previous hash differs)", v.last.Seq)
		}
	}
	last := e.Skeleton()
	v.last = &last
}

// ChainReport is the outcome of a verification.
type ChainReport struct {
	Entries  int            `json:"entries"`
	Forks    int            `json:"forks"`
	Head     *ChainEntry    `json:"head,omitempty"` // the last entry checked (without body)
	Problems []ChainProblem `json:"problems,omitempty"`
}

// OK reports whether no problem was found.
func (r ChainReport) OK() bool { return len(r.Problems) == 0 }

// Report returns what was found so far.
func (v *ChainVerifier) Report() ChainReport {
	r := ChainReport{Entries: v.n, Forks: v.forks, Head: v.last, Problems: v.problems}
	return r
}

// VerifyChain checks a whole stored chain held in memory (every entry with
// its body).
func VerifyChain(entries []ChainEntry) ChainReport {
	v := ChainVerifier{RequireBodies: true}
	for _, e := range entries {
		v.Add(e)
	}
	return v.Report()
}
