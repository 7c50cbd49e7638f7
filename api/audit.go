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

// registerAudit adds the export of a number's audit trail.
func (s *Server) registerAudit() {
	s.register("Do-not-call", authErrors, []operation{
		{id: "audit-number", route: "GET /v1/audit/{phone}", summary: "Export a number's audit trail", security: requires("calls:read"),
			errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity}, handler: handle(s.auditNumber),
			desc: "Every attempt and its outcome, every refusal and its reason, consent records, do-not-call changes, follow-up messages " +
				"(kind message: sent, delivered, failed or refused, and why) and recording references for one number, oldest first, as JSON or CSV: what a regulator or complaint handler asks for. Needs the admin role."},
	})
}

func (s *Server) auditNumber(ctx context.Context, in *auditInput) (*fileOutput, error) {
	trail, err := s.contacts.Audit(ctx, principal(ctx), in.Phone)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	if len(trail.Events) == 0 {
		return nil, huma.NewError(http.StatusNotFound, "outcall has no record of this number")
	}
	name := "audit-" + phone.Mask(trail.Phone)
	if in.Format == "csv" {
		var b bytes.Buffer
		if err := trail.WriteCSV(&b); err != nil {
			return nil, s.problem(ctx, err)
		}
		out, err := csvFile(name+".csv", b.Bytes())
		return out, s.problem(ctx, err)
	}
	b, err := json.Marshal(trail)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &fileOutput{ContentType: "application/json", ContentDisposition: attachment(name + ".json"), Body: b}, nil
}
