package streetdesk

import (
	"fmt"
	"slices"
	"strings"
)

// MsgCode names something the program tells a person. The interface words
// each code in the user's language (ui's translation files, zh-CN and en);
// the code is stable and the wording never lives beside it.
type MsgCode string

// Message is something to tell a person, in no language yet: a code and the
// values its wording fills in ({{.Name}} in the translation). A value may be
// a number, a string, a time, another Message or one of the domain's coded
// values (Status, Operation, …), which the interface names in the same
// language.
type Message struct {
	Code MsgCode        `json:"code"`
	Args map[string]any `json:"args,omitempty"`
}

// Msg returns the message code with the arguments given as name, value pairs.
func Msg(code MsgCode, nameValues ...any) Message {
	m := Message{Code: code}
	for i := 0; i+1 < len(nameValues); i += 2 {
		if m.Args == nil {
			m.Args = map[string]any{}
		}
		m.Args[fmt.Sprint(nameValues[i])] = nameValues[i+1]
	}
	return m
}

// IsZero reports whether m says nothing.
func (m Message) IsZero() bool { return m.Code == "" }

// String is the code with its arguments, for logs and tests (never for
// people: they read the translation).
func (m Message) String() string {
	if len(m.Args) == 0 {
		return string(m.Code)
	}
	names := make([]string, 0, len(m.Args))
	for k := range m.Args {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(string(m.Code))
	for i, k := range names {
		sep := " "
		if i > 0 {
			sep = ", "
		}
		fmt.Fprintf(&b, "%s%s=%v", sep, k, m.Args[k])
	}
	return b.String()
}

// Why the sync engine is not idle (SyncStatus.Reason). What of the user's
// work is kept (SyncStatus.Pending) and when it tries again
// (SyncStatus.NextTry) are the status's own fields, so the interface words
// them once for every reason.
const (
	MsgSyncOffline         MsgCode = "sync.reason.offline"         // no connection to the platform
	MsgSyncCaptivePortal   MsgCode = "sync.reason.captivePortal"   // a network's sign-in page answered instead
	MsgSyncServerBusy      MsgCode = "sync.reason.serverBusy"      // Status: the platform's HTTP status (5xx, 429)
	MsgSyncFailed          MsgCode = "sync.reason.failed"          // Detail: the error, as the program has it
	MsgSyncStalled         MsgCode = "sync.reason.stalled"         // ID: the head of the outbox; Count: its failed tries
	MsgSyncSignIn          MsgCode = "sync.reason.signIn"          // the sign-in expired or was revoked
	MsgSyncAppTooOld       MsgCode = "sync.reason.appTooOld"       // the platform no longer serves this version
	MsgSyncPayloadMismatch MsgCode = "sync.reason.payloadMismatch" // ID: a change sent twice with different content
	MsgSyncRefused         MsgCode = "sync.reason.refused"         // the platform refused this desk (no permission)
	MsgSyncPaused          MsgCode = "sync.reason.paused"          // paused for a reason not named
)

// What the sync engine is doing now (SyncStatus.Activity).
const (
	MsgSyncPushing     MsgCode = "sync.activity.push"     // Done, Total: changes sent of those waiting
	MsgSyncPulling     MsgCode = "sync.activity.pull"     // Page: the page of changes being received (from 1)
	MsgSyncUploading   MsgCode = "sync.activity.upload"   // Name: the photo's file name
	MsgSyncDownloading MsgCode = "sync.activity.download" // Name: the photo's short hash
)

// Why a change queued on the desk did not take effect as sent
// (Conflict.Explanation): what happened, then Tail, what of the local work
// was kept (a conflict.tail… message). Op is the operation's name (a
// name.op.… message); Message the platform's own words.
const (
	MsgConflictProposal          MsgCode = "conflict.proposal"          // Message: why the platform refused the proposal
	MsgConflictReassigned        MsgCode = "conflict.reassigned"        // Who: the new assignee; Tail
	MsgConflictReassignedOther   MsgCode = "conflict.reassignedOther"   // Tail (the new assignee unknown)
	MsgConflictCancelled         MsgCode = "conflict.cancelled"         // Tail
	MsgConflictStaleCycle        MsgCode = "conflict.staleCycle"        // Op; Tail
	MsgConflictStatusChanged     MsgCode = "conflict.statusChanged"     // Status: a name.status.… message; Tail
	MsgConflictStatusOther       MsgCode = "conflict.statusOther"       // Tail (the new state unknown)
	MsgConflictAlreadyResolved   MsgCode = "conflict.alreadyResolved"   // Tail
	MsgConflictInvalidTransition MsgCode = "conflict.invalidTransition" // Op; Tail
	MsgConflictValidation        MsgCode = "conflict.validation"        // Op; Message
	MsgConflictForbidden         MsgCode = "conflict.forbidden"         // Op; Tail
	MsgConflictNotFound          MsgCode = "conflict.notFound"          // Tail
	MsgConflictTooLarge          MsgCode = "conflict.tooLarge"          // Op; Message
	MsgConflictPlatformSaid      MsgCode = "conflict.platformSaid"      // Message; Tail
	MsgConflictNotApplied        MsgCode = "conflict.notApplied"        // Op; Tail
	MsgConflictText              MsgCode = "conflict.text"              // Text: an explanation stored as a sentence (before codes)

	MsgConflictTail     MsgCode = "conflict.tail"     // What: a conflict.what… message
	MsgConflictTailKept MsgCode = "conflict.tailKept" // Kept: a conflict.kept… message; What

	MsgConflictKeptNotesPhotos MsgCode = "conflict.kept.notesPhotos" // N: photos (with notes)
	MsgConflictKeptNotes       MsgCode = "conflict.kept.notes"
	MsgConflictKeptPhotos      MsgCode = "conflict.kept.photos" // N: photos

	MsgConflictWhatOp     MsgCode = "conflict.what.op"     // Op
	MsgConflictWhatDraft  MsgCode = "conflict.what.draft"  // a resolution kept as a proposal for the lead
	MsgConflictWhatStatus MsgCode = "conflict.what.status" // a change of state
)

// Why an order with local work left this user's view
// (OrderDetail.RevokeNote).
const (
	MsgRevokedReassigned      MsgCode = "revoked.reassigned"      // Who: the new assignee
	MsgRevokedReassignedOther MsgCode = "revoked.reassignedOther" // the new assignee unknown
	MsgRevokedCancelled       MsgCode = "revoked.cancelled"
	MsgRevokedOther           MsgCode = "revoked.other"
)

// NameMsg is the message that names one of the domain's coded values in
// the person's language (name.op.accept, name.status.closed, …): kind is
// the value's kind (op, status, …).
func NameMsg(kind, value string) Message { return Message{Code: MsgCode("name." + kind + "." + value)} }
