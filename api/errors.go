package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/tenants"
)

// humaBodyUnreadable is huma's message (with a 500) when reading a request
// body fails for any reason but a timeout.
const humaBodyUnreadable = "cannot read request body"

func init() {
	// huma puts an error's text in the problem's details; for a server-side
	// failure that text is internal and stays in the log.
	base := huma.NewError
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		if status == http.StatusInternalServerError && msg == humaBodyUnreadable {
			// The client sent a body it did not finish: a broken chunked
			// encoding, or fewer bytes than its Content-Length. Its fault,
			// not ours (TestHostileTenant sends both).
			return base(http.StatusBadRequest, "the request body could not be read: it ended early or its chunked encoding is broken; send the whole body again")
		}
		if status >= 500 {
			return base(status, http.StatusText(status))
		}
		return base(status, msg, redact(errs)...)
	}
}

// redact drops echoed values that may hold secrets: whole request bodies
// and anything at a password, token or secret field.
func redact(errs []error) []error {
	for _, err := range errs {
		d, ok := err.(*huma.ErrorDetail)
		if !ok {
			continue
		}
		loc := strings.ToLower(d.Location)
		if _, whole := d.Value.(map[string]any); whole || strings.Contains(loc, "password") || strings.Contains(loc, "token") || strings.Contains(loc, "secret") {
			d.Value = nil
		}
	}
	return errs
}

var codeStatus = map[string]int{
	tenants.EInvalid:      http.StatusUnprocessableEntity,
	tenants.ENotFound:     http.StatusNotFound,
	tenants.EConflict:     http.StatusConflict,
	tenants.EUnauthorized: http.StatusUnauthorized,
	tenants.EForbidden:    http.StatusForbidden,
	tenants.EUnavailable:  http.StatusServiceUnavailable,
}

// errorProblem is the problem+json of a domain error: the status its code
// maps to, and the input it is about when it names one.
func errorProblem(e *tenants.Error) error {
	status := codeStatus[e.Code]
	if status == 0 {
		status = http.StatusBadRequest
	}
	if e.Field != "" {
		return huma.NewError(status, e.Message, &huma.ErrorDetail{Message: e.Message, Location: e.Field})
	}
	return huma.NewError(status, e.Message)
}

// problem turns a domain error into the problem+json huma writes. Errors
// that are not *tenants.Error are logged and become a bare 500.
func (s *Server) problem(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var se huma.StatusError
	if errors.As(err, &se) {
		return se
	}
	var de *scripting.DiagnosticsError
	if errors.As(err, &de) {
		details := make([]error, 0, len(de.Diagnostics))
		for _, d := range de.Diagnostics {
			details = append(details, &huma.ErrorDetail{Message: d.String(), Location: "body.source", Value: d})
		}
		return huma.NewError(http.StatusUnprocessableEntity, de.Message, details...)
	}
	var q *scripting.QuarantinedError
	if errors.As(err, &q) {
		return huma.NewError(http.StatusUnprocessableEntity, q.Error(), &huma.ErrorDetail{Location: "body.source", Message: "quarantined: " + q.Why})
	}
	var down *scripting.HostDownError
	if errors.As(err, &down) {
		return huma.NewError(http.StatusServiceUnavailable, down.Error())
	}
	var e *tenants.Error
	if errors.As(err, &e) {
		return errorProblem(e)
	}
	if errors.Is(err, context.Canceled) {
		return huma.NewError(499, "request cancelled")
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) && (pg.Code == "22021" || pg.Code == "22P05") {
		// A NUL character (U+0000) the client sent, in a parameter or a
		// body's text, which PostgreSQL's text and jsonb cannot hold
		// (character_not_in_repertoire, untranslatable_character).
		return huma.NewError(http.StatusUnprocessableEntity, "text may not contain the NUL character (U+0000): remove it and send the request again")
	}
	s.log.ErrorContext(ctx, "request failed", slog.Any("error", err))
	return huma.NewError(http.StatusInternalServerError, "internal error")
}
