package store

import "strings"

// Wake says whose visible sets a committed write may have changed, for the
// platform's long polls (GET /v1/sync/wait): the wake keys of the users and
// teams its change-log entries name, or All when notifications may have
// been missed (a listening connection lost and regained) or were too many
// to list. A wake is a hint to look, never a change itself: a waiter that
// wakes checks the change log.
type Wake struct {
	Keys []string
	All  bool
}

// UserKey and TeamKey are the wake keys of a user's view (orders assigned
// to them, their revocations) and of a team's (what its lead sees).
func UserKey(id string) string { return "u:" + id }
func TeamKey(id string) string { return "t:" + id }

// WakeKeys adds the keys of the views an entry is part of. Mutation
// results (StoreResults) are no entries and wake nobody: the client that
// pushed has them in its push answer.
func (e LogEntry) WakeKeys(add func(key string)) {
	if e.AssigneeID != "" {
		add(UserKey(e.AssigneeID))
	}
	if e.TeamID != "" {
		add(TeamKey(e.TeamID))
	}
	if e.UserID != "" {
		add(UserKey(e.UserID))
	}
}

const keySep = "\x1f"

// WakePayloadMax bounds an encoded wake: PostgreSQL's NOTIFY payload must
// stay under 8000 bytes. A larger wake is sent as All.
const WakePayloadMax = 7900

// EncodeWake writes a wake as its keys separated by the ASCII unit
// separator (which no id holds), "*" for All or when the keys would not fit.
func EncodeWake(w Wake) string {
	if w.All {
		return "*"
	}
	n := 0
	for _, k := range w.Keys {
		n += len(k) + 1
	}
	if n > WakePayloadMax {
		return "*"
	}
	return strings.Join(w.Keys, keySep)
}

// DecodeWake reads what EncodeWake wrote.
func DecodeWake(s string) Wake {
	if s == "*" {
		return Wake{All: true}
	}
	if s == "" {
		return Wake{}
	}
	return Wake{Keys: strings.Split(s, keySep)}
}

// KeySet collects a transaction's wake keys.
type KeySet map[string]struct{}

// Add adds a key (a nil set is made by the caller).
func (s KeySet) Add(k string) { s[k] = struct{}{} }

// Wake returns the collected keys as a wake (nil keys: nothing to say).
func (s KeySet) Wake() Wake {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	return Wake{Keys: keys}
}
