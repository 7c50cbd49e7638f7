package tenants

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Error codes. The API maps each to an HTTP status; anything that is not an
// *Error is internal and its text never reaches a user.
const (
	EInvalid      = "invalid"      // the request is wrong; Field says where
	ENotFound     = "not_found"    // no such thing, or not this tenant's
	EConflict     = "conflict"     // it exists already, or its state forbids the change
	EUnauthorized = "unauthorized" // no valid credential
	EForbidden    = "forbidden"    // the credential's role may not do this
	EUnavailable  = "unavailable"  // try again later
)

// Error is a failure a user can act on.
type Error struct {
	Code    string
	Message string
	// Field names the input the message is about, as a path like
	// "body.email", when there is one.
	Field string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EInvalid *Error about one input field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err's *Error, or "" for an internal error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// NotFound returns an ENotFound error with the formatted message when err
// is pgx.ErrNoRows (a query for one row found none), and err otherwise.
func NotFound(err error, format string, args ...any) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return Errorf(ENotFound, format, args...)
	}
	return err
}
