package contacts

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// DNC sources: who put a number on the do-not-call list.
const (
	DNCSourceAPI        = "api"
	DNCSourceImport     = "import"
	DNCSourceCalleeStop = "callee_stop"
)

// DNCEntry is a number on the tenant's do-not-call list.
type DNCEntry struct {
	Phone   string
	Source  string
	Reason  string
	AddedAt time.Time
}

// AddDNCTx puts phone (E.164) on tenantID's do-not-call list inside tx, a
// transaction of that tenant, and records the change at now, the caller's
// clock (the audit trail's one clock): a campaign's close uses it when the
// callee said stop, so the number is listed if and only if the call record
// commits. A new number raises contact.do_not_call through events. Adding
// a listed number changes nothing. It reports whether the number was new.
func AddDNCTx(ctx context.Context, tx pgx.Tx, events *webhooks.Emitter, tenantID uuid.UUID, phone, source, reason string, now time.Time) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO dnc_numbers (tenant_id, phone, source, reason, added_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		tenantID, phone, source, reason, now)
	if err != nil || tag.RowsAffected() == 0 {
		return false, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO dnc_events (tenant_id, phone, action, source, reason, at) VALUES ($1, $2, 'added', $3, $4, $5)`,
		tenantID, phone, source, reason, now)
	if err != nil {
		return false, err
	}
	_, err = events.Emit(ctx, tx, tenantID, webhooks.ContactDoNotCall, map[string]any{"phone": phone, "source": source, "reason": reason})
	return true, err
}

// AddDNC puts numbers on the do-not-call list. No campaign dials them
// again from the moment this commits. It returns how many were new.
func (s *Service) AddDNC(ctx context.Context, p tenants.Principal, phones []string, reason string) (int, error) {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return 0, err
	}
	if len(phones) == 0 || len(phones) > 10000 {
		return 0, tenants.FieldError("body.phones", "give 1 to 10000 numbers (import a file for more)")
	}
	added, now := 0, s.now()
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		t, err := loadTenant(ctx, tx, p.TenantID)
		if err != nil {
			return err
		}
		for i, raw := range phones {
			e164, err := phone.Normalise(raw, t.Region)
			if err != nil {
				return tenants.FieldError("body.phones["+strconv.Itoa(i)+"]", "%s", err.Error())
			}
			isNew, err := AddDNCTx(ctx, tx, s.events, p.TenantID, e164, DNCSourceAPI, reason, now)
			if err != nil {
				return err
			}
			if isNew {
				added++
			}
		}
		return nil
	})
	return added, err
}

// RemoveDNC takes a number off the do-not-call list.
func (s *Service) RemoveDNC(ctx context.Context, p tenants.Principal, number, reason string) error {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return err
	}
	return s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		e164, err := normaliseNumber(ctx, tx, p.TenantID, number, "path.phone")
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM dnc_numbers WHERE tenant_id = $1 AND phone = $2`, p.TenantID, e164)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return tenants.Errorf(tenants.ENotFound, "no such number on the do-not-call list")
		}
		_, err = tx.Exec(ctx, `INSERT INTO dnc_events (tenant_id, phone, action, source, reason, at) VALUES ($1, $2, 'removed', $3, $4, $5)`,
			p.TenantID, e164, DNCSourceAPI, reason, s.now())
		return err
	})
}

// ListDNC returns listed numbers, oldest first; after is the cursor
// DNCCursor made of the previous page ("" for the first).
func (s *Service) ListDNC(ctx context.Context, p tenants.Principal, limit int, after string) ([]DNCEntry, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	at, seen, err := parseDNCCursor(after)
	if err != nil {
		return nil, err
	}
	var out []DNCEntry
	err = s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		// Numbers added together (an import) share added_at: the cursor
		// counts how many of them the earlier pages showed, in phone order.
		rows, err := tx.Query(ctx, `SELECT phone, source, reason, added_at FROM dnc_numbers
			WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR added_at > $2 OR (added_at = $2 AND phone > (
				SELECT phone FROM dnc_numbers WHERE tenant_id = $1 AND added_at = $2 ORDER BY phone OFFSET GREATEST($3::int - 1, 0) LIMIT 1)))
			ORDER BY added_at, phone LIMIT $4`, p.TenantID, at, seen, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (DNCEntry, error) {
			var e DNCEntry
			err := row.Scan(&e.Phone, &e.Source, &e.Reason, &e.AddedAt)
			return e, err
		})
		return err
	})
	return out, err
}

// DNCCursor returns the cursor of the page after page, which ListDNC
// returned for the cursor after. It holds no number (callers who may not
// see numbers page through the list too): the time the last number was
// added and how many numbers added at that time were shown so far.
func DNCCursor(page []DNCEntry, after string) string {
	if len(page) == 0 {
		return ""
	}
	last := page[len(page)-1].AddedAt
	n := 0
	for _, e := range page {
		if e.AddedAt.Equal(last) {
			n++
		}
	}
	if at, seen, err := parseDNCCursor(after); err == nil && at != nil && at.Equal(last) {
		n += seen
	}
	return strconv.FormatInt(last.UnixMicro(), 10) + "." + strconv.Itoa(n)
}

func parseDNCCursor(c string) (*time.Time, int, error) {
	if c == "" {
		return nil, 0, nil
	}
	us, n, ok := strings.Cut(c, ".")
	micros, err1 := strconv.ParseInt(us, 10, 64)
	seen, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || seen < 1 {
		return nil, 0, tenants.FieldError("query.cursor", "not a cursor of this list: pass next_cursor of the previous page")
	}
	at := time.UnixMicro(micros)
	return &at, seen, nil
}

// DNCImport is what importing a file of numbers into the do-not-call list
// did.
type DNCImport struct {
	Added   int // numbers new to the list
	Already int // numbers the list had
	Failed  int // rows without a valid number
	// Errors lists the first rows that failed (row 1 is the header).
	Errors []RowError
}

// MaxDNCImportErrors caps the row errors an import of DNC numbers returns.
const MaxDNCImportErrors = 100

// ImportDNC adds every number of a CSV file (UTF-8 or GBK, a header row
// naming the phone column, an optional reason column) to the do-not-call
// list in one transaction. Rows without a valid number are reported and
// skipped; a file that cannot be read at all is refused and nothing changes.
func (s *Service) ImportDNC(ctx context.Context, p tenants.Principal, data []byte, opts ImportOptions) (*DNCImport, error) {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return nil, err
	}
	text, _, err := decodeCSV(data, opts.Encoding)
	if err != nil {
		return nil, err
	}
	header, mapping, err := readHeader(text, opts.Mapping)
	if err != nil {
		return nil, err
	}
	phoneCol, reasonCol := -1, -1
	for i, h := range header {
		switch {
		case h == mapping.Phone:
			phoneCol = i
		case strings.EqualFold(h, "reason") || h == "原因":
			reasonCol = i
		}
	}
	out := &DNCImport{Errors: []RowError{}}
	total := 0
	err = s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		t, err := loadTenant(ctx, tx, p.TenantID)
		if err != nil {
			return err
		}
		norm := phone.NewCache(t.Region, t.TimeZone)
		cr := newCSVReader(bytes.NewReader(text))
		cr.Read()
		seen := map[string]bool{}
		var rows [][]any
		for line := 2; ; line++ {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			fail := func(col, reason string) {
				out.Failed++
				if len(out.Errors) < MaxDNCImportErrors {
					out.Errors = append(out.Errors, RowError{Row: line, Column: col, Reason: reason})
				}
			}
			if err != nil {
				fail("", "not a valid CSV row")
				continue
			}
			if phoneCol >= len(rec) {
				fail(mapping.Phone, "the row has no phone field")
				continue
			}
			e164, err := norm.Normalise(rec[phoneCol])
			if err != nil {
				fail(mapping.Phone, err.Error())
				continue
			}
			if seen[e164] {
				continue
			}
			seen[e164] = true
			reason := ""
			if reasonCol >= 0 && reasonCol < len(rec) {
				reason = strings.TrimSpace(rec[reasonCol])
			}
			rows = append(rows, []any{e164, reason})
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE dnc_staging (phone text, reason text) ON COMMIT DROP`); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"dnc_staging"}, []string{"phone", "reason"}, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		total = len(rows)
		return tx.QueryRow(ctx, `WITH added AS (
				INSERT INTO dnc_numbers (tenant_id, phone, source, reason, added_at)
				SELECT $1, phone, $3, reason, $2 FROM dnc_staging ON CONFLICT DO NOTHING
				RETURNING phone, reason),
			logged AS (INSERT INTO dnc_events (tenant_id, phone, action, source, reason, at) SELECT $1, phone, 'added', $3, reason, $2 FROM added)
			SELECT count(*) FROM added`, p.TenantID, s.now(), DNCSourceImport).Scan(&out.Added)
	})
	if err != nil {
		return nil, err
	}
	out.Already = total - out.Added
	return out, nil
}
