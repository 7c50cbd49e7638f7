package contacts

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// DefaultMaxImportBytes caps an uploaded contact file (256 MiB holds some
// five million rows of phone, name and a few attributes).
const DefaultMaxImportBytes = 256 << 20

// Import is an uploaded file, CSV or an Excel workbook, becoming contacts
// of a list.
type Import struct {
	ID     uuid.UUID
	ListID uuid.UUID
	Status string // queued, running, done, failed
	// Format is csv or xlsx.
	Format string
	// Encoding is the text encoding the file was read in: utf-8 or gb18030
	// for CSV; a workbook's text is Unicode, read as utf-8.
	Encoding string
	// Mapping is the columns found or named; Sheet is the worksheet read.
	Mapping      ImportMapping
	SizeBytes    int64
	RowsTotal    int
	RowsDone     int
	RowsImported int // new contacts
	RowsMerged   int // rows merged into existing contacts or into an earlier row
	RowsFailed   int
	Failure      string
	CreatedAt    time.Time
	FinishedAt   *time.Time
}

// ImportArgs asks to import an uploaded file (jobs/ gives it a worker that
// calls Service.RunImport).
type ImportArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	ImportID uuid.UUID `json:"import_id"`
}

// Kind names the job in River's table.
func (ImportArgs) Kind() string { return "contacts_import" }

// InsertOpts runs each import once at a time.
func (ImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: UniqueWhileActive(), MaxAttempts: 3}
}

// UniqueWhileActive makes a job unique by its arguments among jobs not yet
// finished. A finished job does not block a new one with the same
// arguments: the database rows (an import's status, a contact's attempt
// number, a campaign's status), not River's retention, say whether work is
// still to do. The campaigns' jobs use it too.
func UniqueWhileActive() river.UniqueOpts {
	return river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}
}

// CreateImport checks an uploaded file, CSV or an Excel workbook (.xlsx),
// and queues its import into a list. A file that cannot be imported at all
// (empty, neither CSV nor a workbook, an unknown encoding or sheet, no
// phone column, too large) is refused here and nothing is stored; rows
// with problems are reported by the import itself.
func (s *Service) CreateImport(ctx context.Context, p tenants.Principal, listID uuid.UUID, data []byte, opts ImportOptions) (*Import, error) {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return nil, err
	}
	if int64(len(data)) > s.opts.MaxImportBytes {
		return nil, tenants.FieldError("body", "the file is %d MB; the most is %d MB: split it", len(data)>>20, s.opts.MaxImportBytes>>20)
	}
	file, err := s.openImport(data, opts)
	if err != nil {
		return nil, err
	}
	file.rows.close()
	enc, mapping := file.stored, file.mapping
	im := &Import{ID: uuid.Must(uuid.NewV7()), ListID: listID, Status: "queued", Mapping: mapping, SizeBytes: int64(len(data))}
	im.setFormat(enc)
	err = s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		ok, err := ListExists(ctx, tx, p.TenantID, listID)
		if err != nil {
			return err
		}
		if !ok {
			return tenants.Errorf(tenants.ENotFound, "no such list")
		}
		mj, _ := json.Marshal(mapping)
		if err := tx.QueryRow(ctx, `INSERT INTO imports (id, tenant_id, list_id, status, encoding, mapping, data, size_bytes)
			VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7) RETURNING created_at`,
			im.ID, p.TenantID, listID, enc, mj, data, im.SizeBytes).Scan(&im.CreatedAt); err != nil {
			return err
		}
		if s.jobs == nil {
			return nil
		}
		_, err = s.jobs.InsertTx(ctx, tx, ImportArgs{TenantID: p.TenantID, ImportID: im.ID}, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return im, nil
}

const importColumns = `id, list_id, status, encoding, mapping, size_bytes, rows_total, rows_done, rows_imported, rows_merged, rows_failed,
	failure, created_at, finished_at`

func scanImport(row pgx.Row) (*Import, error) {
	var im Import
	var enc string
	err := row.Scan(&im.ID, &im.ListID, &im.Status, &enc, &im.Mapping, &im.SizeBytes, &im.RowsTotal, &im.RowsDone,
		&im.RowsImported, &im.RowsMerged, &im.RowsFailed, &im.Failure, &im.CreatedAt, &im.FinishedAt)
	im.setFormat(enc)
	return &im, err
}

// setFormat sets an import's format and encoding from its stored encoding:
// a CSV file's encoding, or xlsx for a workbook.
func (im *Import) setFormat(stored string) {
	im.Format, im.Encoding = FormatCSV, stored
	if stored == FormatXLSX {
		im.Format, im.Encoding = FormatXLSX, "utf-8"
	}
}

// importFile is an upload opened for import: its header, the mapping
// resolved against it, and its data rows.
type importFile struct {
	// stored is what the imports table keeps to read it again: the CSV
	// file's encoding, or xlsx for a workbook.
	stored  string
	header  []string
	mapping ImportMapping
	rows    rowSource
}

// rowSource yields the data rows of an uploaded file in order, CSV records
// or a worksheet's rows, each with its row number as the user sees it (the
// header is row 1 of a CSV file; a worksheet's rows keep Excel's numbers).
type rowSource interface {
	// next returns the next row, or io.EOF after the last. A row that
	// cannot be read comes back as a problem, without cells, and reading
	// goes on after it.
	next() (line int, rec []string, problem string, err error)
	close() error
}

// openImport opens an uploaded file for import: an Excel workbook when the
// upload says it is one or its first bytes say so, else CSV text. It reads
// the header and resolves the mapping against it, so that one path checks
// and imports the rows of either.
func (s *Service) openImport(data []byte, opts ImportOptions) (*importFile, error) {
	var (
		file = &importFile{mapping: opts.Mapping}
		rec  []string
		err  error
	)
	if strings.EqualFold(strings.TrimSpace(opts.Format), FormatXLSX) || looksLikeWorkbook(data) {
		var rows *xlsxRows
		if rec, rows, err = openXLSX(data, opts.Mapping.Sheet, xlsxUnzipFactor*s.opts.MaxImportBytes); err != nil {
			return nil, err
		}
		file.stored, file.rows, file.mapping.Sheet = FormatXLSX, rows, rows.sheet
	} else {
		var text []byte
		if text, file.stored, err = decodeCSV(data, opts.Encoding); err != nil {
			return nil, err
		}
		if rec, file.rows, err = openCSV(text); err != nil {
			return nil, err
		}
		file.mapping.Sheet = ""
	}
	if file.header, file.mapping, err = resolveHeader(rec, file.mapping); err != nil {
		file.rows.close()
		return nil, err
	}
	if x, ok := file.rows.(*xlsxRows); ok {
		x.usePhoneColumn(columnOf(file.header, file.mapping.Phone))
	}
	return file, nil
}

// columnOf returns the index of the column headed name (the last, when
// several are), or -1.
func columnOf(header []string, name string) int {
	for i := len(header) - 1; i >= 0; i-- {
		if header[i] == name {
			return i
		}
	}
	return -1
}

// GetImport returns an import and its progress.
func (s *Service) GetImport(ctx context.Context, p tenants.Principal, id uuid.UUID) (*Import, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	im, err := tenants.QueryOne(ctx, s.db, p.TenantID, scanImport, `SELECT `+importColumns+` FROM imports WHERE tenant_id = $1 AND id = $2`, p.TenantID, id)
	return im, tenants.NotFound(err, "no such import")
}

// ImportErrors returns an import's per-row error report as CSV
// (row,column,reason; row 1 is the header, and a worksheet's rows keep the
// numbers Excel shows).
func (s *Service) ImportErrors(ctx context.Context, p tenants.Principal, id uuid.UUID) (string, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return "", err
	}
	var report string
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT errors FROM imports WHERE tenant_id = $1 AND id = $2`, p.TenantID, id).Scan(&report)
		return tenants.NotFound(err, "no such import")
	})
	if report == "" {
		report = "row,column,reason\n"
	}
	return report, err
}

// importRow is one good row, ready for COPY.
type importRow struct {
	line  int
	phone string
	name  string
	zone  string
	attrs map[string]string
	err   *RowError
}

// RunImport imports a queued file: rows are read, numbers normalised and
// checked in parallel, duplicates merged, and the good rows copied into a
// staging table and merged into contacts and the list in one transaction,
// so a failed import leaves no contact behind. Progress is committed on
// the side as it goes.
func (s *Service) RunImport(ctx context.Context, tenantID, importID uuid.UUID) error {
	var (
		listID  uuid.UUID
		enc     string
		mapping ImportMapping
		data    []byte
		t       tenantInfo
	)
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		err = tx.QueryRow(ctx, `UPDATE imports SET status = 'running' WHERE tenant_id = $1 AND id = $2 AND status IN ('queued', 'running')
			RETURNING list_id, encoding, mapping, data`, tenantID, importID).
			Scan(&listID, &enc, &mapping, &data)
		if err != nil {
			return err
		}
		t, err = loadTenant(ctx, tx, tenantID)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // gone, or already finished
	}
	if err != nil {
		return err
	}
	// fail records why the file cannot be imported; the record outlives a
	// cancelled job, and a failure to write it is the job's error, so River
	// tries again rather than leave the import running for ever.
	fail := func(reason error) error {
		ctx := context.WithoutCancel(ctx)
		return s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE imports SET status = 'failed', failure = $3, finished_at = now(), data = NULL WHERE tenant_id = $1 AND id = $2`,
				tenantID, importID, reason.Error())
			return err
		})
	}
	format := FormatCSV
	if enc == FormatXLSX {
		format = FormatXLSX
	}
	file, err := s.openImport(data, ImportOptions{Format: format, Encoding: enc, Mapping: mapping})
	if err != nil {
		return fail(err)
	}
	defer file.rows.close()
	rows, errs, err := s.parseRows(ctx, tenantID, importID, file.rows, file.header, file.mapping, t)
	if tenants.ErrorCode(err) != "" {
		return fail(err) // a file that cannot be read to its end
	}
	if err != nil {
		return err
	}
	total := len(rows)
	// Merge duplicates: later rows' values win, attributes are combined.
	byPhone := make(map[string]int, len(rows))
	good := rows[:0]
	merged := 0
	for _, r := range rows {
		if r.err != nil {
			errs = append(errs, *r.err)
			continue
		}
		if i, ok := byPhone[r.phone]; ok {
			g := &good[i]
			if r.name != "" {
				g.name = r.name
			}
			if r.zone != "" {
				g.zone = r.zone
			}
			for k, v := range r.attrs {
				g.attrs[k] = v
			}
			merged++
			continue
		}
		byPhone[r.phone] = len(good)
		good = append(good, r)
	}
	slices.SortFunc(errs, func(a, b RowError) int { return a.Row - b.Row })
	var report strings.Builder
	report.WriteString("row,column,reason\n")
	w := csv.NewWriter(&report)
	for _, e := range errs {
		w.Write([]string{fmt.Sprint(e.Row), e.Column, e.Reason})
	}
	w.Flush()

	return s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE import_staging (id uuid, phone text, name text, time_zone text, attributes jsonb) ON COMMIT DROP`); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"import_staging"}, []string{"id", "phone", "name", "time_zone", "attributes"},
			pgx.CopyFromSlice(len(good), func(i int) ([]any, error) {
				r := good[i]
				attrs, _ := json.Marshal(r.attrs)
				// Time-ordered ids keep every index insert near the end of its index.
				return []any{uuid.Must(uuid.NewV7()), r.phone, r.name, r.zone, attrs}, nil
			}))
		if err != nil {
			return err
		}
		var inserted, updated int
		err = tx.QueryRow(ctx, `WITH up AS (
				INSERT INTO contacts (id, tenant_id, phone, name, attributes, time_zone)
				SELECT id, $1, phone, name, attributes, time_zone FROM import_staging ORDER BY id
				ON CONFLICT (tenant_id, phone) DO UPDATE SET
					name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE contacts.name END,
					attributes = contacts.attributes || EXCLUDED.attributes,
					updated_at = now()
				RETURNING id, xmax = 0 AS inserted),
			member AS (INSERT INTO list_contacts (tenant_id, list_id, contact_id) SELECT $1, $2, id FROM up ON CONFLICT DO NOTHING)
			SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up`, tenantID, listID).Scan(&inserted, &updated)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE imports SET status = 'done', rows_total = $3, rows_done = $3, rows_imported = $4, rows_merged = $5,
				rows_failed = $6, errors = $7, finished_at = now(), data = NULL
			WHERE tenant_id = $1 AND id = $2`, tenantID, importID, total, inserted, updated+merged, len(errs), report.String())
		if err != nil {
			return err
		}
		_, err = s.events.Emit(ctx, tx, tenantID, webhooks.ImportCompleted, map[string]any{"import_id": importID, "list_id": listID,
			"rows": total, "imported": inserted, "merged": updated + merged, "failed": len(errs)})
		return err
	})
}

// parseRows reads every data row of src; numbers are normalised by a
// worker per CPU. Rows keep their file order.
func (s *Service) parseRows(ctx context.Context, tenantID, importID uuid.UUID, src rowSource, header []string, m ImportMapping, t tenantInfo) ([]importRow, []RowError, error) {
	phoneCol, nameCol, zoneCol := columnOf(header, m.Phone), -1, -1
	if m.Name != "" {
		nameCol = columnOf(header, m.Name)
	}
	if m.TimeZone != "" {
		zoneCol = columnOf(header, m.TimeZone)
	}
	const chunk = 20000
	normaliser := phone.NewCache(t.Region, t.TimeZone)
	var (
		chunks   [][]importRow
		cur      = make([]importRow, 0, chunk)
		seen     int
		errs     []RowError
		wg       sync.WaitGroup
		sem      = make(chan struct{}, runtime.GOMAXPROCS(0))
		lastSeen = time.Now()
	)
	work := func(part []importRow) {
		defer wg.Done()
		defer func() { <-sem }()
		zones := map[string]bool{}
		for i := range part {
			r := &part[i]
			if r.err != nil {
				continue
			}
			e164, err := normaliser.Normalise(r.phone)
			if err != nil {
				r.err = &RowError{r.line, m.Phone, err.Error()}
				continue
			}
			r.phone = e164
			if r.zone == "" {
				r.zone = normaliser.Zone(e164)
				continue
			}
			if r.zone != "" {
				ok, seen := zones[r.zone]
				if !seen {
					_, lerr := time.LoadLocation(r.zone)
					ok = lerr == nil
					zones[r.zone] = ok
				}
				if !ok {
					r.err = &RowError{r.line, m.TimeZone, fmt.Sprintf("%q is not an IANA time zone such as Asia/Shanghai", r.zone)}
				}
			}
		}
	}
	for {
		line, rec, problem, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			wg.Wait()
			return nil, nil, err
		}
		if problem != "" {
			errs = append(errs, RowError{line, "", problem})
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		r := importRow{line: line}
		if len(rec) != len(header) {
			r.err = &RowError{line, "", fmt.Sprintf("has %d fields; the header has %d", len(rec), len(header))}
		} else {
			r.phone = rec[phoneCol]
			if nameCol >= 0 {
				r.name = strings.TrimSpace(rec[nameCol])
			}
			if zoneCol >= 0 {
				r.zone = strings.TrimSpace(rec[zoneCol])
			}
			r.attrs = make(map[string]string, len(rec))
			for i, v := range rec {
				if i == phoneCol || i == nameCol || i == zoneCol || header[i] == "" {
					continue
				}
				if v = strings.TrimSpace(v); v != "" {
					r.attrs[header[i]] = v
				}
			}
		}
		cur = append(cur, r)
		seen++
		if len(cur) == chunk {
			wg.Add(1)
			sem <- struct{}{}
			go work(cur)
			chunks, cur = append(chunks, cur), make([]importRow, 0, chunk)
			if time.Since(lastSeen) > time.Second {
				lastSeen = time.Now()
				s.importProgress(ctx, tenantID, importID, seen)
			}
		}
	}
	wg.Add(1)
	sem <- struct{}{}
	go work(cur)
	chunks = append(chunks, cur)
	wg.Wait()
	rows := make([]importRow, 0, seen)
	for _, c := range chunks {
		rows = append(rows, c...)
	}
	return rows, errs, nil
}

func (s *Service) importProgress(ctx context.Context, tenantID, importID uuid.UUID, done int) {
	s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE imports SET rows_done = $3 WHERE tenant_id = $1 AND id = $2`, tenantID, importID, done)
		return err
	})
}
