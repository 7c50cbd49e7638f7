package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/outcall/outcall/contacts"
)

// ImportBody describes a CSV import and its progress.
type ImportBody struct {
	ID           uuid.UUID  `json:"id"`
	ListID       uuid.UUID  `json:"list_id"`
	Status       string     `json:"status" enum:"queued,running,done,failed"`
	Encoding     string     `json:"encoding" example:"gb18030"`
	PhoneColumn  string     `json:"phone_column" example:"手机号"`
	NameColumn   string     `json:"name_column,omitempty" example:"姓名"`
	ZoneColumn   string     `json:"time_zone_column,omitempty"`
	SizeBytes    int64      `json:"size_bytes"`
	RowsTotal    int        `json:"rows_total"`
	RowsDone     int        `json:"rows_done" doc:"Rows read so far."`
	RowsImported int        `json:"rows_imported" doc:"New contacts."`
	RowsMerged   int        `json:"rows_merged" doc:"Rows merged into existing contacts or into an earlier row of the file."`
	RowsFailed   int        `json:"rows_failed" doc:"Rows not imported; see the error report."`
	Failure      string     `json:"failure,omitempty" doc:"Why the whole import failed, when it did (nothing was imported)."`
	ErrorsURL    string     `json:"errors_url" doc:"The per-row error report as CSV (row, column, reason)."`
	CreatedAt    time.Time  `json:"created_at"`
	FinishedAt   *time.Time `json:"finished_at,omitempty"`
}

func importBody(im *contacts.Import) ImportBody {
	return ImportBody{ID: im.ID, ListID: im.ListID, Status: im.Status, Encoding: im.Encoding, PhoneColumn: im.Mapping.Phone,
		NameColumn: im.Mapping.Name, ZoneColumn: im.Mapping.TimeZone, SizeBytes: im.SizeBytes, RowsTotal: im.RowsTotal, RowsDone: im.RowsDone,
		RowsImported: im.RowsImported, RowsMerged: im.RowsMerged, RowsFailed: im.RowsFailed, Failure: im.Failure,
		ErrorsURL: "/v1/imports/" + im.ID.String() + "/errors", CreatedAt: im.CreatedAt, FinishedAt: im.FinishedAt}
}

type importPath struct {
	ImportID uuid.UUID `path:"import_id" doc:"The import's id."`
}

type importInput struct {
	ListID         uuid.UUID `path:"list_id" doc:"The list to import into."`
	Encoding       string    `query:"encoding" enum:"auto,utf-8,gbk,gb18030" default:"auto" doc:"The file's encoding; auto reads UTF-8 (with or without BOM), else GB18030/GBK."`
	PhoneColumn    string    `query:"phone_column" maxLength:"200" doc:"The header of the phone column; default: phone, mobile, 手机号, 电话, …"`
	NameColumn     string    `query:"name_column" maxLength:"200" doc:"The header of the name column; default: name, 姓名, …"`
	TimeZoneColumn string    `query:"time_zone_column" maxLength:"200" doc:"The header of a time zone column; default: time_zone, 时区."`
	RawBody        []byte    `contentType:"text/csv"`
}

// registerImports adds CSV imports of contacts into a list.
func (s *Server) registerImports() {
	read := requires("contacts:read")
	s.register("Contacts", authErrors, []operation{
		{id: "create-import", route: "POST /v1/lists/{list_id}/imports", status: http.StatusAccepted, summary: "Import contacts from a CSV file", security: requires("contacts:write"),
			errs: []int{http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity}, more: s.upload(contacts.DefaultMaxImportBytes), handler: handle(s.createImport),
			desc: "Send the file as the request body (text/csv), UTF-8 or GBK/GB18030, with or without BOM, a header row first. " +
				"The phone column is found by its header (phone, mobile, 手机号, 电话, …) or named with phone_column; name and time zone likewise; " +
				"every other column becomes an attribute. A file that cannot be imported at all (empty, not CSV, no phone column, " +
				"an unknown encoding, over 256 MB) is refused at once and nothing is kept. Otherwise the import runs in the background: " +
				"poll it for progress; rows with problems are skipped and listed in its error report, good rows are imported, " +
				"duplicate numbers are merged. Needs the operator role."},
		{id: "get-import", route: "GET /v1/imports/{import_id}", summary: "Get an import and its progress", security: read, errs: []int{http.StatusNotFound}, handler: handle(s.getImport)},
		{id: "get-import-errors", route: "GET /v1/imports/{import_id}/errors", summary: "Download an import's error report", security: read, errs: []int{http.StatusNotFound},
			desc: "CSV with one line per skipped row: row (the file's line number, the header is 1), column, reason.", handler: handle(s.getImportErrors)},
	})
}

func (s *Server) createImport(ctx context.Context, in *importInput) (*output[ImportBody], error) {
	im, err := s.contacts.CreateImport(ctx, principal(ctx), in.ListID, in.RawBody, contacts.ImportOptions{Encoding: in.Encoding,
		Mapping: contacts.ImportMapping{Phone: in.PhoneColumn, Name: in.NameColumn, TimeZone: in.TimeZoneColumn}})
	return reply(s, ctx, importBody, im, err)
}

func (s *Server) getImport(ctx context.Context, in *importPath) (*output[ImportBody], error) {
	im, err := s.contacts.GetImport(ctx, principal(ctx), in.ImportID)
	return reply(s, ctx, importBody, im, err)
}

func (s *Server) getImportErrors(ctx context.Context, in *importPath) (*fileOutput, error) {
	report, err := s.contacts.ImportErrors(ctx, principal(ctx), in.ImportID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out, err := csvFile("import-"+in.ImportID.String()+"-errors.csv", []byte(report))
	return out, s.problem(ctx, err)
}

// upload is what an operation that takes a file of at most limit bytes
// sets: huma's body limit, and checkUploadSize to refuse a file over it, or
// an empty one, before reading it.
func (s *Server) upload(limit int64) huma.Operation {
	return huma.Operation{MaxBodyBytes: limit, Middlewares: huma.Middlewares{s.checkUploadSize(limit)}}
}

// checkUploadSize answers before reading a body its Content-Length says is
// over limit (413, so a 2 GB upload costs nothing) or empty (422, with the
// same advice as an import of an empty file).
func (s *Server) checkUploadSize(limit int64) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		n, err := strconv.ParseInt(ctx.Header("Content-Length"), 10, 64)
		switch {
		case err == nil && n > limit:
			huma.WriteErr(s.api, ctx, http.StatusRequestEntityTooLarge,
				fmt.Sprintf("the file is %d MB; the most is %d MB: split it into smaller files", n>>20, limit>>20))
		case err == nil && n == 0:
			huma.WriteErr(s.api, ctx, http.StatusUnprocessableEntity,
				"the file is empty: upload a CSV file with a header row and one contact per row",
				&huma.ErrorDetail{Location: "body", Message: "empty file"})
		default:
			next(ctx)
		}
	}
}
