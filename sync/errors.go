package sync

import (
	"errors"
	"fmt"
	"time"

	"github.com/streetdesk/streetdesk"
)

// Kind classifies a failure by what the engine does about it: retry later,
// wait for a sign-in, or stop with a message; the outbox is kept in every case.
type Kind int

// Failure kinds.
const (
	// KindTransient: network, timeout, 5xx, 429, captive portal. Back off and retry.
	KindTransient Kind = iota + 1
	// KindAuth: 401 that a token refresh could not cure. Pause until sign-in.
	KindAuth
	// KindStop: 403 for the whole client, 422 KeyPayloadMismatch, 426 /
	// VersionNotSupported. Pause with a message; never drop anything.
	KindStop
	// KindApp: a 4xx with an application code (EINVALID, ENOTFOUND…) for a
	// single call that the caller asked for (login, reassign).
	KindApp
)

func (k Kind) String() string {
	switch k {
	case KindTransient:
		return "transient"
	case KindAuth:
		return "auth"
	case KindStop:
		return "stop"
	case KindApp:
		return "app"
	}
	return "unknown"
}

// Error is a failed platform call, translated at the client's edge.
type Error struct {
	Kind   Kind
	Op     string // "push", "pull", "upload.patch"…
	Status int    // HTTP status, 0 for network errors
	// Code is the platform's error code (EINVALID, PushInProgress,
	// ClientStateNotFound…) or "captive_portal", "network", "bad_response".
	Code       string
	Message    string
	RetryAfter time.Duration
	MutationID int64  // for 422 KeyPayloadMismatch
	Mismatch   string // for 422 KeyPayloadMismatch: streetdesk.MismatchID or MismatchKey
	RequestID  string
	Err        error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s", e.Op, e.Kind)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil && e.Message == "" {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Codes of failures the client itself detects.
const (
	CodeNetwork       = "network"
	CodeCaptivePortal = "captive_portal"
	CodeBadResponse   = "bad_response"
)

// AsError returns the *Error in err's chain, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// IsTransient reports whether err is worth retrying later.
func IsTransient(err error) bool {
	e := AsError(err)
	return e != nil && e.Kind == KindTransient
}

// appCode maps a platform call failure to the root package's error codes,
// for callers (cmd, ui) that speak streetdesk codes.
func (e *Error) appCode() string {
	switch {
	case e.Kind == KindAuth || e.Status == 401:
		return streetdesk.EUNAUTHORIZED
	case e.Status == 403:
		return streetdesk.EFORBIDDEN
	case e.Status == 404:
		return streetdesk.ENOTFOUND
	case e.Status == 409:
		return streetdesk.ECONFLICT
	case e.Status == 400 || e.Status == 422:
		return streetdesk.EINVALID
	}
	switch e.Code {
	case streetdesk.EINVALID, streetdesk.ENOTFOUND, streetdesk.ECONFLICT, streetdesk.EFORBIDDEN, streetdesk.EUNAUTHORIZED:
		return e.Code
	}
	return streetdesk.EINTERNAL
}

// AppError converts err into a *streetdesk.Error (code + message) for the
// UI. Non-platform errors pass through unchanged.
func AppError(err error) error {
	e := AsError(err)
	if e == nil {
		return err
	}
	msg := e.Message
	if msg == "" {
		msg = e.Error()
	}
	return streetdesk.Errorf(e.appCode(), "%s", msg)
}
