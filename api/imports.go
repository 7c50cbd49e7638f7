package api

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/outcall/outcall/contacts"
)

// ImportBody describes an import of a CSV file or an Excel workbook and
// its progress.
type ImportBody struct {
	ID           uuid.UUID  `json:"id"`
	ListID       uuid.UUID  `json:"list_id"`
	Status       string     `json:"status" enum:"queued,running,done,failed"`
	Format       string     `json:"format" enum:"csv,xlsx" doc:"How the file was read: csv, or xlsx for an Excel workbook."`
	Encoding     string     `json:"encoding" example:"gb18030" doc:"The encoding a CSV file was read in; utf-8 for a workbook."`
	Sheet        string     `json:"sheet,omitempty" example:"名单" doc:"The worksheet read, for a workbook."`
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
	return ImportBody{ID: im.ID, ListID: im.ListID, Status: im.Status, Format: im.Format, Encoding: im.Encoding, Sheet: im.Mapping.Sheet, PhoneColumn: im.Mapping.Phone,
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
	Sheet          string    `query:"sheet" maxLength:"31" doc:"The worksheet of an Excel workbook to read; default: the first visible one. A CSV file has none."`
	RawBody        []byte    `contentType:"text/csv"`
}

// registerImports adds imports of contacts into a list, from CSV files and
// Excel workbooks.
func (s *Server) registerImports() {
	read := requires("contacts:read")
	s.register("Contacts", authErrors, []operation{
		{id: "create-import", route: "POST /v1/lists/{list_id}/imports", status: http.StatusAccepted, summary: "Import contacts from a CSV file or an Excel workbook", security: requires("contacts:write"),
			errs: []int{http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity}, more: s.fileUpload(contacts.DefaultMaxImportBytes), handler: handle(s.createImport),
			desc: "Send the file as the request body: a CSV file (text/csv), UTF-8 or GBK/GB18030, with or without BOM, or an Excel workbook " +
				"(.xlsx, sent as " + contacts.XLSXContentType + "; a workbook is also known by its content, whatever its type), " +
				"a header row first. Of a workbook, the first visible worksheet is read, or the one named with sheet; its cells are read as Excel shows them, " +
				"but phone numbers in full however they are shown (13800138000, never 1.38E+10) and dates of Excel's default date format as 2024-11-11; " +
				"its rows keep the numbers Excel shows, and blank rows are skipped. " +
				"The phone column is found by its header (phone, mobile, 手机号, 电话, …) or named with phone_column; name and time zone likewise; " +
				"every other column becomes an attribute. A file that cannot be imported at all (empty, neither CSV nor a workbook, " +
				"a .xls or password-protected workbook, no phone column, an unknown encoding or sheet, over 256 MB) is refused at once and nothing is kept. " +
				"Otherwise the import runs in the background: poll it for progress; rows with problems are skipped and listed in its error report, " +
				"good rows are imported, duplicate numbers are merged. Needs the operator role."},
		{id: "get-import", route: "GET /v1/imports/{import_id}", summary: "Get an import and its progress", security: read, errs: []int{http.StatusNotFound}, handler: handle(s.getImport)},
		{id: "get-import-errors", route: "GET /v1/imports/{import_id}/errors", summary: "Download an import's error report", security: read, errs: []int{http.StatusNotFound},
			desc: "CSV with one line per skipped row: row (the header is 1; in a workbook, the row number Excel shows), column, reason.", handler: handle(s.getImportErrors)},
	})
}

func (s *Server) createImport(ctx context.Context, in *importInput) (*output[ImportBody], error) {
	im, err := s.contacts.CreateImport(ctx, principal(ctx), in.ListID, in.RawBody, contacts.ImportOptions{Format: uploadFormat(ctx), Encoding: in.Encoding,
		Mapping: contacts.ImportMapping{Phone: in.PhoneColumn, Name: in.NameColumn, TimeZone: in.TimeZoneColumn, Sheet: in.Sheet}})
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

// fileUpload is upload for a contact file, CSV or an Excel workbook: it
// also keeps the request's content type, which says which the file claims
// to be (see uploadFormat).
func (s *Server) fileUpload(limit int64) huma.Operation {
	op := s.upload(limit)
	op.Middlewares = append(op.Middlewares, func(ctx huma.Context, next func(huma.Context)) {
		next(huma.WithValue(ctx, uploadTypeKey{}, ctx.Header("Content-Type")))
	})
	return op
}

type uploadTypeKey struct{}

// uploadFormat is the format a file's content type claims: xlsx for an
// Excel workbook, csv for text/csv, else "" (the content tells). Browsers
// label .csv files application/vnd.ms-excel, so that claims nothing.
func uploadFormat(ctx context.Context) string {
	ct, _ := ctx.Value(uploadTypeKey{}).(string)
	mt, _, _ := mime.ParseMediaType(ct)
	switch strings.ToLower(mt) {
	case contacts.XLSXContentType:
		return contacts.FormatXLSX
	case "text/csv":
		return contacts.FormatCSV
	}
	return ""
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
