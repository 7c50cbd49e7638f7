package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/outcall/outcall/phone"
)

type auditInput struct {
	Phone  string `path:"phone" maxLength:"40" doc:"A phone number, E.164 or national."`
	Format string `query:"format" enum:"json,csv" default:"json"`
}

type auditOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

// registerAudit adds the export of a number's audit trail.
func (s *Server) registerAudit() {
	errs := []int{http.StatusUnauthorized, http.StatusForbidden}
	tags := []string{"Do-not-call"}
	huma.Register(s.api, huma.Operation{
		OperationID: "audit-number", Method: http.MethodGet, Path: "/v1/audit/{phone}",
		Summary: "Export a number's audit trail", Tags: tags, Security: requires("calls:read"),
		Description: "Every attempt and its outcome, every refusal and its reason, consent records, do-not-call changes and recording " +
			"references for one number, oldest first, as JSON or CSV: what a regulator or complaint handler asks for. Needs the admin role.",
		Errors: append(errs, http.StatusNotFound, http.StatusUnprocessableEntity),
	}, s.auditNumber)
}

func (s *Server) auditNumber(ctx context.Context, in *auditInput) (*auditOutput, error) {
	trail, err := s.contacts.Audit(ctx, principal(ctx), in.Phone)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	if len(trail.Events) == 0 {
		return nil, huma.NewError(http.StatusNotFound, "outcall has no record of this number")
	}
	name := `attachment; filename="audit-` + phone.Mask(trail.Phone) + `.`
	if in.Format == "csv" {
		var b bytes.Buffer
		if err := trail.WriteCSV(&b); err != nil {
			return nil, s.problem(ctx, err)
		}
		return &auditOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: name + `csv"`, Body: b.Bytes()}, nil
	}
	b, err := json.Marshal(trail)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &auditOutput{ContentType: "application/json", ContentDisposition: name + `json"`, Body: b}, nil
}
