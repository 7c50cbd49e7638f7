package api

import (
	"context"
	"net/http"
	"time"

	"github.com/outcall/outcall/contacts"
)

type dncEntryBody struct {
	Phone   string    `json:"phone" example:"+8613812341234" doc:"Masked (138****1234) unless the caller may see numbers in full: operators and stronger may, viewers (people and API keys with the viewer role) may not."`
	Source  string    `json:"source" enum:"api,import,callee_stop"`
	Reason  string    `json:"reason"`
	AddedAt time.Time `json:"added_at"`
}

type dncListInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"How many numbers to return."`
	Cursor string `query:"cursor" maxLength:"40" doc:"The next_cursor of the previous page."`
}

type dncListOutput struct {
	Body struct {
		Items      []dncEntryBody `json:"items"`
		NextCursor string         `json:"next_cursor"`
	}
}

type dncAddInput struct {
	Body struct {
		Phones []string `json:"phones" minItems:"1" maxItems:"10000" example:"[\"13812341234\"]"`
		Reason string   `json:"reason,omitempty" maxLength:"500" example:"complaint"`
	}
}

type dncAddOutput struct {
	Body struct {
		Added int `json:"added" doc:"Numbers that were not on the list before."`
	}
}

const maxDNCFile = 64 << 20

type dncImportInput struct {
	Encoding    string `query:"encoding" enum:"auto,utf-8,gbk,gb18030" default:"auto" doc:"The file's encoding."`
	PhoneColumn string `query:"phone_column" maxLength:"200" doc:"The header of the phone column; default: phone, mobile, 手机号, 电话, …"`
	RawBody     []byte `contentType:"text/csv"`
}

type rowErrorBody struct {
	Row    int    `json:"row" doc:"The file's line number; the header is 1."`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

type dncImportOutput struct {
	Body struct {
		Added   int            `json:"added" doc:"Numbers new to the list."`
		Already int            `json:"already" doc:"Numbers the list had."`
		Failed  int            `json:"failed" doc:"Rows without a valid number."`
		Errors  []rowErrorBody `json:"errors" doc:"The first 100 failed rows."`
	}
}

type dncRemoveInput struct {
	Phone  string `path:"phone" maxLength:"40" doc:"A phone number, E.164 or national."`
	Reason string `query:"reason" maxLength:"500" doc:"Why it is removed, for the audit trail."`
}

// registerDNC adds the operations on the do-not-call list.
func (s *Server) registerDNC() {
	read, write := requires("contacts:read"), requires("contacts:write")
	s.register("Do-not-call", authErrors, []operation{
		{id: "list-dnc", route: "GET /v1/dnc", summary: "List do-not-call numbers", security: read, errs: []int{http.StatusUnprocessableEntity},
			desc: "Oldest first. Numbers are masked (138****1234) for viewers.", handler: handle(s.listDNC)},
		{id: "add-dnc", route: "POST /v1/dnc", summary: "Add numbers to the do-not-call list", security: write, errs: []int{http.StatusUnprocessableEntity},
			desc: "From the moment this answers, no campaign dials these numbers; dials already queued are refused with reason dnc. Needs the operator role.", handler: handle(s.addDNC)},
		{id: "import-dnc", route: "POST /v1/dnc/import", summary: "Add the numbers of a CSV file to the do-not-call list", security: write,
			errs: []int{http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity}, more: s.upload(maxDNCFile), handler: handle(s.importDNC),
			desc: "Send the file as the body (text/csv, UTF-8 or GBK), a header row first naming the phone column " +
				"(phone, 手机号, … or phone_column) and optionally a reason column. All numbers are added in one transaction; rows " +
				"without a valid number are skipped and reported (the first 100). Needs the operator role."},
		{id: "remove-dnc", route: "DELETE /v1/dnc/{phone}", status: http.StatusNoContent, summary: "Remove a number from the do-not-call list", security: write, errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
			desc: "Recorded in the number's audit trail. Needs the admin role.", handler: handle(s.removeDNC)},
	})
}

func (s *Server) listDNC(ctx context.Context, in *dncListInput) (*dncListOutput, error) {
	limit := in.Limit
	if limit <= 0 {
		limit = 50
	}
	es, err := s.contacts.ListDNC(ctx, principal(ctx), limit, in.Cursor)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &dncListOutput{}
	out.Body.Items = make([]dncEntryBody, 0, len(es))
	for _, e := range es {
		out.Body.Items = append(out.Body.Items, dncEntryBody{Phone: showPhone(ctx, e.Phone), Source: e.Source, Reason: e.Reason, AddedAt: e.AddedAt})
	}
	if len(es) == limit {
		out.Body.NextCursor = contacts.DNCCursor(es, in.Cursor)
	}
	return out, nil
}

func (s *Server) addDNC(ctx context.Context, in *dncAddInput) (*dncAddOutput, error) {
	n, err := s.contacts.AddDNC(ctx, principal(ctx), in.Body.Phones, in.Body.Reason)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &dncAddOutput{}
	out.Body.Added = n
	return out, nil
}

func (s *Server) importDNC(ctx context.Context, in *dncImportInput) (*dncImportOutput, error) {
	res, err := s.contacts.ImportDNC(ctx, principal(ctx), in.RawBody, contacts.ImportOptions{Encoding: in.Encoding,
		Mapping: contacts.ImportMapping{Phone: in.PhoneColumn}})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &dncImportOutput{}
	out.Body.Added, out.Body.Already, out.Body.Failed = res.Added, res.Already, res.Failed
	out.Body.Errors = make([]rowErrorBody, 0, len(res.Errors))
	for _, e := range res.Errors {
		out.Body.Errors = append(out.Body.Errors, rowErrorBody{Row: e.Row, Column: e.Column, Reason: e.Reason})
	}
	return out, nil
}

func (s *Server) removeDNC(ctx context.Context, in *dncRemoveInput) (*struct{}, error) {
	return nil, s.problem(ctx, s.contacts.RemoveDNC(ctx, principal(ctx), in.Phone, in.Reason))
}
