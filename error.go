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

// Error is an application error: a code for programs, a message in English
// for logs, the wire and the command line, and what to tell a person.
type Error struct {
	Code    string
	Message string
	// Say is what the interface tells a person, as a message code and its
	// values (worded by ui/translation); zero for errors no person is meant
	// to read, which the interface shows as Message.
	Say Message
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

// Saying sets what the error tells a person (a message code and its
// values) and returns e.
func (e *Error) Saying(m Message) *Error {
	e.Say = m
	return e
}

// ErrorSay returns what err tells a person: the Say of the first
// application error in err's chain (zero if it has none),
// MsgErrInternal for any other error, zero for nil.
func ErrorSay(err error) Message {
	if err == nil {
		return Message{}
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Say
	}
	var t *TransitionError
	if errors.As(err, &t) {
		return Message{}
	}
	return Msg(MsgErrInternal)
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
	return Errorf(ECONFLICT, "this photo is already attached to this order").Saying(Msg(MsgErrPhotoAttached))
}

// What errors tell a person (Error.Say). The comment names each code's
// values.
const (
	MsgErrInternal         MsgCode = "err.internal"         // not an application error: nothing was changed
	MsgErrRequired         MsgCode = "err.required"         // Field: the text's name (a field.… message)
	MsgErrTooShort         MsgCode = "err.tooShort"         // Field; N: its characters; Min: the least allowed
	MsgErrTooLong          MsgCode = "err.tooLong"          // Field; N: its characters; Max: the most allowed
	MsgErrTooManyPhotos    MsgCode = "err.tooManyPhotos"    // N: photos given; Max: the most allowed
	MsgErrExtensionPast    MsgCode = "err.extensionPast"    // Deadline: the requested one (text)
	MsgErrExtensionBefore  MsgCode = "err.extensionBefore"  // Current: the current deadline (text)
	MsgErrExtensionDayOff  MsgCode = "err.extensionDayOff"  // Day: the requested day (text)
	MsgErrExtensionTooLong MsgCode = "err.extensionTooLong" // Max: working days allowed; Asked: those asked for
	MsgErrPhotoAttached    MsgCode = "err.photoAttached"    // the order already has this photo
	MsgErrPhotoHEIC        MsgCode = "err.photoHEIC"        // a HEIC photo, which the desk cannot read
	MsgErrNotPhoto         MsgCode = "err.notPhoto"         // the file is neither JPEG nor PNG
	MsgErrPhotoDamaged     MsgCode = "err.photoDamaged"     // a JPEG or PNG that does not decode
	MsgErrFileEmpty        MsgCode = "err.fileEmpty"        // a file of 0 bytes
	MsgErrTooManyPixels    MsgCode = "err.tooManyPixels"    // MP: the most megapixels allowed
	MsgErrTooManyBytes     MsgCode = "err.tooManyBytes"     // MiB: the largest file allowed
	MsgErrPhotoChecksum    MsgCode = "err.photoChecksum"    // a downloaded photo whose hash does not match
)

// The texts an order's forms ask for, as MsgErrRequired and its kin name
// them (their Field value).
const (
	MsgFieldReply           MsgCode = "field.reply"
	MsgFieldNote            MsgCode = "field.note"
	MsgFieldContactNote     MsgCode = "field.contactNote"
	MsgFieldCaption         MsgCode = "field.caption"
	MsgFieldReturnReason    MsgCode = "field.returnReason"
	MsgFieldExtensionReason MsgCode = "field.extensionReason"
	MsgFieldReassignReason  MsgCode = "field.reassignReason"
	MsgFieldReviewComment   MsgCode = "field.reviewComment"
	MsgFieldExplanation     MsgCode = "field.explanation"
	MsgFieldEventTitle      MsgCode = "field.eventTitle"    // a big-data event's title
	MsgFieldEventReason     MsgCode = "field.eventReason"   // why a lead proposes it
	MsgFieldDepartment      MsgCode = "field.department"    // its suggested department
	MsgFieldDescription     MsgCode = "field.description"   // an event order's text
	MsgFieldDeclineReason   MsgCode = "field.declineReason" // why the dispatcher declines a proposal
)

// textFields are the English names CheckText's callers give, with the
// field's message code.
var textFields = map[string]MsgCode{
	"reply":              MsgFieldReply,
	"note":               MsgFieldNote,
	"contact note":       MsgFieldContactNote,
	"caption":            MsgFieldCaption,
	"return reason text": MsgFieldReturnReason,
	"extension reason":   MsgFieldExtensionReason,
	"reassign reason":    MsgFieldReassignReason,
	"review comment":     MsgFieldReviewComment,
	"explanation":        MsgFieldExplanation,
	"event title":        MsgFieldEventTitle,
	"event reason":       MsgFieldEventReason,
	"department":         MsgFieldDepartment,
	"description":        MsgFieldDescription,
	"decline reason":     MsgFieldDeclineReason,
}

// Why the desk refuses an action on an order before anything is queued
// (Error.Say). ID is the order's id.
const (
	MsgErrOrderRevoked      MsgCode = "err.orderRevoked"      // ID: the order left this user (read only)
	MsgErrNotAssigned       MsgCode = "err.notAssigned"       // ID: not the caseworker's order
	MsgErrNotYourTeam       MsgCode = "err.notYourTeam"       // ID: not the lead's team's order
	MsgErrAlreadyAssignee   MsgCode = "err.alreadyAssignee"   // ID: reassigned to whom it already has
	MsgErrLeadOnlyPropose   MsgCode = "err.leadOnlyPropose"   // only a lead proposes big-data events
	MsgErrOrderNotLocal     MsgCode = "err.orderNotLocal"     // ID: a member not on this computer
	MsgErrIsEvent           MsgCode = "err.isEvent"           // ID: an event order as a member
	MsgErrInEvent           MsgCode = "err.inEvent"           // ID; Event: the event it already joined
	MsgErrCancelledReturned MsgCode = "err.cancelledReturned" // ID: a cancelled or returned member
)

// OrderErr is the error refusing an action on order id: code (EFORBIDDEN,
// EINVALID, …) for the program, say for the person (ID filled in).
func OrderErr(code string, say MsgCode, id string, nameValues ...any) *Error {
	return Errorf(code, "order %s: %s", id, say).Saying(Msg(say, append([]any{"ID", id}, nameValues...)...))
}
