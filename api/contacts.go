package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/outcall/outcall/campaigns"
)

// ListBody describes a contact list.
type ListBody struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name" example:"十一月回访"`
	Description string    `json:"description"`
	Contacts    int       `json:"contacts" doc:"How many contacts the list holds."`
	CreatedAt   time.Time `json:"created_at"`
}

func listBody(l *campaigns.List) ListBody {
	return ListBody{ID: l.ID, Name: l.Name, Description: l.Description, Contacts: l.Contacts, CreatedAt: l.CreatedAt}
}

// ContactBody describes a contact.
type ContactBody struct {
	ID         uuid.UUID      `json:"id"`
	Phone      string         `json:"phone" example:"+8613812341234" doc:"E.164; Masked (138****1234) unless the caller may see numbers in full: operators and stronger may, viewers (people and API keys with the viewer role) may not."`
	Name       string         `json:"name" example:"张三"`
	Attributes map[string]any `json:"attributes" doc:"Custom attributes, for scripts and segmentation."`
	TimeZone   string         `json:"time_zone" example:"Asia/Shanghai" doc:"The callee's time zone: quiet hours and the daily cap follow it."`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

func contactBody(ctx context.Context, c *campaigns.Contact) ContactBody {
	attrs := c.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	return ContactBody{ID: c.ID, Phone: showPhone(ctx, c.Phone), Name: c.Name, Attributes: attrs, TimeZone: c.TimeZone, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// ConsentBody is consent evidence.
type ConsentBody struct {
	ID          uuid.UUID  `json:"id"`
	Phone       string     `json:"phone" example:"+8613812341234" doc:"Masked (138****1234) unless the caller may see numbers in full: operators and stronger may, viewers (people and API keys with the viewer role) may not."`
	Source      string     `json:"source" example:"web form 2026-11 signup, checkbox 3"`
	Scope       string     `json:"scope" example:"order reminders"`
	GivenAt     time.Time  `json:"given_at"`
	RecordedAt  time.Time  `json:"recorded_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at,omitempty"`
}

type consentInput struct {
	Source  string     `json:"source" minLength:"1" maxLength:"500" doc:"Where the consent came from: a form, a recording, a contract."`
	Scope   string     `json:"scope,omitempty" maxLength:"500" doc:"What the callee agreed to."`
	GivenAt *time.Time `json:"given_at,omitempty" doc:"When it was given; default now."`
}

func (c *consentInput) domain() *campaigns.ConsentInput {
	if c == nil {
		return nil
	}
	in := &campaigns.ConsentInput{Source: c.Source, Scope: c.Scope}
	if c.GivenAt != nil {
		in.GivenAt = *c.GivenAt
	}
	return in
}

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

func importBody(im *campaigns.Import) ImportBody {
	return ImportBody{ID: im.ID, ListID: im.ListID, Status: im.Status, Encoding: im.Encoding, PhoneColumn: im.Mapping.Phone,
		NameColumn: im.Mapping.Name, ZoneColumn: im.Mapping.TimeZone, SizeBytes: im.SizeBytes, RowsTotal: im.RowsTotal, RowsDone: im.RowsDone,
		RowsImported: im.RowsImported, RowsMerged: im.RowsMerged, RowsFailed: im.RowsFailed, Failure: im.Failure,
		ErrorsURL: "/v1/imports/" + im.ID.String() + "/errors", CreatedAt: im.CreatedAt, FinishedAt: im.FinishedAt}
}

type listPath struct {
	ListID uuid.UUID `path:"list_id" doc:"The list's id."`
}

type contactPath struct {
	ContactID uuid.UUID `path:"contact_id" doc:"The contact's id."`
}

type importPath struct {
	ImportID uuid.UUID `path:"import_id" doc:"The import's id."`
}

type phonePath struct {
	Phone string `path:"phone" maxLength:"40" example:"+8613812341234" doc:"A phone number, E.164 or national."`
}

type listOutput struct{ Body ListBody }

type contactOutput struct{ Body ContactBody }

type importOutput struct{ Body ImportBody }

type listsOutput struct {
	Body struct {
		Items      []ListBody `json:"items"`
		NextCursor string     `json:"next_cursor"`
	}
}

type contactsOutput struct {
	Body struct {
		Items      []ContactBody `json:"items"`
		NextCursor string        `json:"next_cursor"`
	}
}

type createListInput struct {
	Body struct {
		Name        string `json:"name" minLength:"1" maxLength:"200" example:"十一月回访"`
		Description string `json:"description,omitempty" maxLength:"2000"`
	}
}

type contactInput struct {
	Body struct {
		Phone      string         `json:"phone" minLength:"1" maxLength:"40" example:"138 1234 1234" doc:"E.164, or national in the tenant's default region."`
		Name       string         `json:"name,omitempty" maxLength:"200" example:"张三"`
		Attributes map[string]any `json:"attributes,omitempty" doc:"Merged into the contact's attributes."`
		TimeZone   string         `json:"time_zone,omitempty" maxLength:"64" example:"Asia/Shanghai" doc:"Default: the number's zone, else the tenant's."`
		ListIDs    []uuid.UUID    `json:"list_ids,omitempty" maxItems:"50" doc:"Lists to add the contact to."`
		Consent    *consentInput  `json:"consent,omitempty" doc:"Consent evidence to record with the contact."`
	}
}

type listContactsInput struct {
	PageInput
	ListID uuid.UUID `path:"list_id" doc:"The list's id."`
}

type importInput struct {
	ListID         uuid.UUID `path:"list_id" doc:"The list to import into."`
	Encoding       string    `query:"encoding" enum:"auto,utf-8,gbk,gb18030" default:"auto" doc:"The file's encoding; auto reads UTF-8 (with or without BOM), else GB18030/GBK."`
	PhoneColumn    string    `query:"phone_column" maxLength:"200" doc:"The header of the phone column; default: phone, mobile, 手机号, 电话, …"`
	NameColumn     string    `query:"name_column" maxLength:"200" doc:"The header of the name column; default: name, 姓名, …"`
	TimeZoneColumn string    `query:"time_zone_column" maxLength:"200" doc:"The header of a time zone column; default: time_zone, 时区."`
	RawBody        []byte    `contentType:"text/csv"`
}

type csvOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

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

type consentCreateInput struct {
	Body struct {
		Phone   string     `json:"phone" minLength:"1" maxLength:"40" example:"13812341234"`
		Source  string     `json:"source" minLength:"1" maxLength:"500" doc:"Where the consent came from: a form, a recording, a contract."`
		Scope   string     `json:"scope,omitempty" maxLength:"500" doc:"What the callee agreed to."`
		GivenAt *time.Time `json:"given_at,omitempty" doc:"When it was given; default now."`
	}
}

type consentOutput struct{ Body ConsentBody }

type withdrawOutput struct {
	Body struct {
		Withdrawn int64 `json:"withdrawn" doc:"Consent records marked withdrawn."`
	}
}

type auditInput struct {
	Phone  string `path:"phone" maxLength:"40" doc:"A phone number, E.164 or national."`
	Format string `query:"format" enum:"json,csv" default:"json"`
}

type auditOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

func (s *Server) registerContacts() {
	errs := []int{http.StatusUnauthorized, http.StatusForbidden}
	tags := []string{"Contacts"}
	huma.Register(s.api, huma.Operation{
		OperationID: "create-list", Method: http.MethodPost, Path: "/v1/lists", DefaultStatus: http.StatusCreated,
		Summary: "Create a contact list", Tags: tags, Security: requires("contacts:write"),
		Description: "An empty list; add contacts one by one or import a CSV file. Needs the operator role.",
		Errors:      append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *createListInput) (*listOutput, error) {
		l, err := s.campaigns.CreateList(ctx, principal(ctx), in.Body.Name, in.Body.Description)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return &listOutput{Body: listBody(l)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "list-lists", Method: http.MethodGet, Path: "/v1/lists",
		Summary: "List contact lists", Tags: tags, Security: requires("contacts:read"),
		Description: "The tenant's lists with their sizes, oldest first.",
		Errors:      append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *PageInput) (*listsOutput, error) {
		after, err := in.after()
		if err != nil {
			return nil, err
		}
		ls, err := s.campaigns.ListLists(ctx, principal(ctx), in.limit(), after)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		out := &listsOutput{}
		out.Body.Items = make([]ListBody, 0, len(ls))
		for i := range ls {
			out.Body.Items = append(out.Body.Items, listBody(&ls[i]))
		}
		if len(ls) > 0 {
			out.Body.NextCursor = nextCursor(len(ls), in.limit(), ls[len(ls)-1].ID)
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-list", Method: http.MethodGet, Path: "/v1/lists/{list_id}",
		Summary: "Get a contact list", Tags: tags, Security: requires("contacts:read"),
		Errors: append(errs, http.StatusNotFound),
	}, func(ctx context.Context, in *listPath) (*listOutput, error) {
		l, err := s.campaigns.GetList(ctx, principal(ctx), in.ListID)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return &listOutput{Body: listBody(l)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "delete-list", Method: http.MethodDelete, Path: "/v1/lists/{list_id}", DefaultStatus: http.StatusNoContent,
		Summary: "Delete a contact list", Tags: tags, Security: requires("contacts:write"),
		Description: "The list goes; its contacts stay. Needs the operator role.",
		Errors:      append(errs, http.StatusNotFound),
	}, func(ctx context.Context, in *listPath) (*struct{}, error) {
		return nil, s.problem(ctx, s.campaigns.DeleteList(ctx, principal(ctx), in.ListID))
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "list-list-contacts", Method: http.MethodGet, Path: "/v1/lists/{list_id}/contacts",
		Summary: "List a list's contacts", Tags: tags, Security: requires("contacts:read"),
		Errors: append(errs, http.StatusNotFound, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *listContactsInput) (*contactsOutput, error) {
		return s.listContacts(ctx, &in.ListID, in.PageInput)
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "upsert-contact", Method: http.MethodPost, Path: "/v1/contacts",
		Summary: "Add or update a contact", Tags: tags, Security: requires("contacts:write"),
		Description: "Numbers are stored in E.164; a number the tenant has already is merged into its contact " +
			"(attributes combined, a given name or time zone replaces the old). Needs the operator role.",
		Errors: append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *contactInput) (*contactOutput, error) {
		c, err := s.campaigns.UpsertContact(ctx, principal(ctx), campaigns.ContactInput{Phone: in.Body.Phone, Name: in.Body.Name,
			Attributes: in.Body.Attributes, TimeZone: in.Body.TimeZone, ListIDs: in.Body.ListIDs, Consent: in.Body.Consent.domain()})
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return &contactOutput{Body: contactBody(ctx, c)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "list-contacts", Method: http.MethodGet, Path: "/v1/contacts",
		Summary: "List contacts", Tags: tags, Security: requires("contacts:read"),
		Errors: append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *PageInput) (*contactsOutput, error) {
		return s.listContacts(ctx, nil, *in)
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-contact", Method: http.MethodGet, Path: "/v1/contacts/{contact_id}",
		Summary: "Get a contact", Tags: tags, Security: requires("contacts:read"),
		Errors: append(errs, http.StatusNotFound),
	}, func(ctx context.Context, in *contactPath) (*contactOutput, error) {
		c, err := s.campaigns.GetContact(ctx, principal(ctx), in.ContactID)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return &contactOutput{Body: contactBody(ctx, c)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "delete-contact", Method: http.MethodDelete, Path: "/v1/contacts/{contact_id}", DefaultStatus: http.StatusNoContent,
		Summary: "Delete a contact", Tags: tags, Security: requires("contacts:write"),
		Description: "Do-not-call entries and consent evidence for the number stay, for the audit trail.",
		Errors:      append(errs, http.StatusNotFound),
	}, func(ctx context.Context, in *contactPath) (*struct{}, error) {
		return nil, s.problem(ctx, s.campaigns.DeleteContact(ctx, principal(ctx), in.ContactID))
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "create-import", Method: http.MethodPost, Path: "/v1/lists/{list_id}/imports", DefaultStatus: http.StatusAccepted,
		Summary: "Import contacts from a CSV file", Tags: tags, Security: requires("contacts:write"),
		Description: "Send the file as the request body (text/csv), UTF-8 or GBK/GB18030, with or without BOM, a header row first. " +
			"The phone column is found by its header (phone, mobile, 手机号, 电话, …) or named with phone_column; name and time zone likewise; " +
			"every other column becomes an attribute. A file that cannot be imported at all (empty, not CSV, no phone column, " +
			"an unknown encoding, over 256 MB) is refused at once and nothing is kept. Otherwise the import runs in the background: " +
			"poll it for progress; rows with problems are skipped and listed in its error report, good rows are imported, " +
			"duplicate numbers are merged. Needs the operator role.",
		Errors:       append(errs, http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity),
		MaxBodyBytes: campaigns.DefaultMaxImportBytes,
		Middlewares:  huma.Middlewares{s.checkUploadSize(campaigns.DefaultMaxImportBytes)},
	}, func(ctx context.Context, in *importInput) (*importOutput, error) {
		im, err := s.campaigns.CreateImport(ctx, principal(ctx), in.ListID, in.RawBody, campaigns.ImportOptions{Encoding: in.Encoding,
			Mapping: campaigns.ImportMapping{Phone: in.PhoneColumn, Name: in.NameColumn, TimeZone: in.TimeZoneColumn}})
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return &importOutput{Body: importBody(im)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-import", Method: http.MethodGet, Path: "/v1/imports/{import_id}",
		Summary: "Get an import and its progress", Tags: tags, Security: requires("contacts:read"),
		Errors: append(errs, http.StatusNotFound),
	}, func(ctx context.Context, in *importPath) (*importOutput, error) {
		im, err := s.campaigns.GetImport(ctx, principal(ctx), in.ImportID)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return &importOutput{Body: importBody(im)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-import-errors", Method: http.MethodGet, Path: "/v1/imports/{import_id}/errors",
		Summary: "Download an import's error report", Tags: tags, Security: requires("contacts:read"),
		Description: "CSV with one line per skipped row: row (the file's line number, the header is 1), column, reason.",
		Errors:      append(errs, http.StatusNotFound),
	}, func(ctx context.Context, in *importPath) (*csvOutput, error) {
		report, err := s.campaigns.ImportErrors(ctx, principal(ctx), in.ImportID)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return &csvOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="import-` + in.ImportID.String() + `-errors.csv"`,
			Body: []byte(report)}, nil
	})

	dnc := []string{"Do-not-call"}
	huma.Register(s.api, huma.Operation{
		OperationID: "list-dnc", Method: http.MethodGet, Path: "/v1/dnc",
		Summary: "List do-not-call numbers", Tags: dnc, Security: requires("contacts:read"),
		Description: "Oldest first. Numbers are masked (138****1234) for viewers.",
		Errors:      append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *dncListInput) (*dncListOutput, error) {
		limit := in.Limit
		if limit <= 0 {
			limit = 50
		}
		es, err := s.campaigns.ListDNC(ctx, principal(ctx), limit, in.Cursor)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		out := &dncListOutput{}
		out.Body.Items = make([]dncEntryBody, 0, len(es))
		for _, e := range es {
			out.Body.Items = append(out.Body.Items, dncEntryBody{Phone: showPhone(ctx, e.Phone), Source: e.Source, Reason: e.Reason, AddedAt: e.AddedAt})
		}
		if len(es) == limit {
			out.Body.NextCursor = campaigns.DNCCursor(es, in.Cursor)
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "add-dnc", Method: http.MethodPost, Path: "/v1/dnc",
		Summary: "Add numbers to the do-not-call list", Tags: dnc, Security: requires("contacts:write"),
		Description: "From the moment this answers, no campaign dials these numbers; dials already queued are refused with reason dnc. Needs the operator role.",
		Errors:      append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *dncAddInput) (*dncAddOutput, error) {
		n, err := s.campaigns.AddDNC(ctx, principal(ctx), in.Body.Phones, in.Body.Reason)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		out := &dncAddOutput{}
		out.Body.Added = n
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "import-dnc", Method: http.MethodPost, Path: "/v1/dnc/import",
		Summary: "Add the numbers of a CSV file to the do-not-call list", Tags: dnc, Security: requires("contacts:write"),
		Description: "Send the file as the body (text/csv, UTF-8 or GBK), a header row first naming the phone column " +
			"(phone, 手机号, … or phone_column) and optionally a reason column. All numbers are added in one transaction; rows " +
			"without a valid number are skipped and reported (the first 100). Needs the operator role.",
		Errors:       append(errs, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity),
		MaxBodyBytes: maxDNCFile,
		Middlewares:  huma.Middlewares{s.checkUploadSize(maxDNCFile)},
	}, func(ctx context.Context, in *dncImportInput) (*dncImportOutput, error) {
		res, err := s.campaigns.ImportDNC(ctx, principal(ctx), in.RawBody, campaigns.ImportOptions{Encoding: in.Encoding,
			Mapping: campaigns.ImportMapping{Phone: in.PhoneColumn}})
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
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "remove-dnc", Method: http.MethodDelete, Path: "/v1/dnc/{phone}", DefaultStatus: http.StatusNoContent,
		Summary: "Remove a number from the do-not-call list", Tags: dnc, Security: requires("contacts:write"),
		Description: "Recorded in the number's audit trail. Needs the admin role.",
		Errors:      append(errs, http.StatusNotFound, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *dncRemoveInput) (*struct{}, error) {
		return nil, s.problem(ctx, s.campaigns.RemoveDNC(ctx, principal(ctx), in.Phone, in.Reason))
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "record-consent", Method: http.MethodPost, Path: "/v1/consents", DefaultStatus: http.StatusCreated,
		Summary: "Record consent evidence", Tags: dnc, Security: requires("contacts:write"),
		Description: "Where a tenant or campaign dials consented numbers only, a number without consent is refused with reason no_consent.",
		Errors:      append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *consentCreateInput) (*consentOutput, error) {
		ci := consentInput{Source: in.Body.Source, Scope: in.Body.Scope, GivenAt: in.Body.GivenAt}
		c, err := s.campaigns.RecordConsent(ctx, principal(ctx), in.Body.Phone, *ci.domain())
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return &consentOutput{Body: ConsentBody{ID: c.ID, Phone: showPhone(ctx, c.Phone), Source: c.Source, Scope: c.Scope, GivenAt: c.GivenAt,
			RecordedAt: c.RecordedAt, WithdrawnAt: c.WithdrawnAt}}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "withdraw-consent", Method: http.MethodDelete, Path: "/v1/consents/{phone}",
		Summary: "Withdraw a number's consent", Tags: dnc, Security: requires("contacts:write"),
		Errors: append(errs, http.StatusNotFound, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *phonePath) (*withdrawOutput, error) {
		n, err := s.campaigns.WithdrawConsent(ctx, principal(ctx), in.Phone)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		if n == 0 {
			return nil, huma.NewError(http.StatusNotFound, "no consent on record for this number")
		}
		out := &withdrawOutput{}
		out.Body.Withdrawn = n
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "audit-number", Method: http.MethodGet, Path: "/v1/audit/{phone}",
		Summary: "Export a number's audit trail", Tags: dnc, Security: requires("calls:read"),
		Description: "Every attempt and its outcome, every refusal and its reason, consent records, do-not-call changes and recording " +
			"references for one number, oldest first, as JSON or CSV: what a regulator or complaint handler asks for. Needs the admin role.",
		Errors: append(errs, http.StatusNotFound, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *auditInput) (*auditOutput, error) {
		trail, err := s.campaigns.Audit(ctx, principal(ctx), in.Phone)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		if len(trail.Events) == 0 {
			return nil, huma.NewError(http.StatusNotFound, "outcall has no record of this number")
		}
		name := `attachment; filename="audit-` + campaigns.MaskPhone(trail.Phone) + `.`
		if in.Format == "csv" {
			var b bytes.Buffer
			if err := trail.WriteCSV(&b); err != nil {
				return nil, s.problem(ctx, err)
			}
			return &auditOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: name + `csv"`, Body: b.Bytes()}, nil
		}
		b, err := jsonMarshal(trail)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return &auditOutput{ContentType: "application/json", ContentDisposition: name + `json"`, Body: b}, nil
	})
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

func (s *Server) listContacts(ctx context.Context, listID *uuid.UUID, in PageInput) (*contactsOutput, error) {
	after, err := in.after()
	if err != nil {
		return nil, err
	}
	cs, err := s.campaigns.ListContacts(ctx, principal(ctx), listID, in.limit(), after)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &contactsOutput{}
	out.Body.Items = make([]ContactBody, 0, len(cs))
	for i := range cs {
		out.Body.Items = append(out.Body.Items, contactBody(ctx, &cs[i]))
	}
	if len(cs) > 0 {
		out.Body.NextCursor = nextCursor(len(cs), in.limit(), cs[len(cs)-1].ID)
	}
	return out, nil
}
