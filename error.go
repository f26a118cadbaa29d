package streetdesk

import (
	"errors"
	"fmt"
)

// Application error codes. Adapters translate their own errors into these at
// their edge; anything that is not an application error is EINTERNAL.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EFORBIDDEN    = "forbidden"
	EUNAUTHORIZED = "unauthorized"
	EINTERNAL     = "internal"
)

// Error is an application error: a code for programs and a message for people.
type Error struct {
	Code    string
	Message string
	// kind refines Code for programs that need more (errors.Is(err,
	// ErrTooLarge)); nil for most errors.
	kind error
}

// ErrTooLarge is the kind of an EINVALID error about a value over a limit
// (a text too long, too many photos): errors.Is(err, ErrTooLarge). The
// platform answers such a mutation with result code TOO_LARGE.
var ErrTooLarge = errors.New("over a limit")

// Unwrap returns the error's kind, if it has one.
func (e *Error) Unwrap() error { return e.kind }

// tooLarge returns an EINVALID error of kind ErrTooLarge.
func tooLarge(format string, args ...any) *Error {
	e := Errorf(EINVALID, format, args...)
	e.kind = ErrTooLarge
	return e
}

func (e *Error) Error() string {
	return fmt.Sprintf("streetdesk error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first application error in err's chain,
// EINTERNAL for any other error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var t *TransitionError
	if errors.As(err, &t) {
		return t.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of the first application error in
// err's chain, or a generic message for internal errors.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	var t *TransitionError
	if errors.As(err, &t) {
		return t.Error()
	}
	return "internal error"
}

// PhotoAlreadyAttached is the error for a photo the order already has (the
// same content, from whatever file): the order keeps one copy, as the user
// meant, instead of showing it twice.
func PhotoAlreadyAttached() error {
	return Errorf(ECONFLICT, "this photo is already attached to this order")
}
