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
