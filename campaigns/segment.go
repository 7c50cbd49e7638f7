package campaigns

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// Segmentation names the tenant's segmentation rules a campaign sorts its
// contacts with when it starts: a published version of a script of kind
// segment. Each contact's segment picks its script version through
// SegmentVersions. With a Filter, only contacts of those segments are
// dialled; the others are enrolled as dropped with reason
// segment_filtered, so the campaign's counts show them.
type Segmentation struct {
	ScriptID uuid.UUID `json:"script_id"`
	Version  int       `json:"version"`
	// Filter lists the segments to dial; empty dials every segment
	// (including contacts the rules put in none).
	Filter []string `json:"filter"`
}

// Reasons a contact is enrolled as dropped, before any dial.
const (
	ReasonSegmentFiltered = "segment_filtered"
	ReasonSegmentError    = "segment_error"
)

// SegmentContact is what segmentation rules get to see of a contact.
type SegmentContact struct {
	ID         uuid.UUID
	Name       string
	Phone      string // E.164; the rules see it masked
	Attributes map[string]any
}

// SegmentResult is a contact's segment ("" for none), or why its rule
// failed (with the line and column of the rules, when known).
type SegmentResult struct {
	Segment      string
	Error        string
	Line, Column int
}

// SegmentFunc runs a tenant's published segmentation rules (script and
// version number) over contacts in the sandbox and returns one result per
// contact, in order. An error means the rules could not run at all (not
// published, not segmentation rules, no script host); a *tenants.Error
// says what to fix.
type SegmentFunc func(ctx context.Context, tenantID, scriptID uuid.UUID, version int, contacts []SegmentContact) ([]SegmentResult, error)

// SegmentError is one contact whose segmentation rule failed.
type SegmentError struct {
	ContactID uuid.UUID `json:"contact_id"`
	Message   string    `json:"message"`
	Line      int       `json:"line,omitempty"`
	Column    int       `json:"column,omitempty"`
}

// segmentErrorSample is how many failures a campaign keeps for people to see.
const segmentErrorSample = 20

func (sg *Segmentation) validate() error {
	if sg == nil {
		return nil
	}
	if sg.ScriptID == uuid.Nil {
		return FieldError("body.segmentation.script_id", "name the segmentation script")
	}
	if sg.Version < 1 {
		return FieldError("body.segmentation.version", "name a published version number (1 or more)")
	}
	if len(sg.Filter) > 50 {
		return FieldError("body.segmentation.filter", "at most 50 segments")
	}
	for i, f := range sg.Filter {
		f = strings.TrimSpace(f)
		if f == "" || len(f) > 100 {
			return FieldError(fmt.Sprintf("body.segmentation.filter[%d]", i), "a segment name of 1 to 100 characters")
		}
		sg.Filter[i] = f
	}
	slices.Sort(sg.Filter)
	sg.Filter = slices.Compact(sg.Filter)
	return nil
}

// segmentContacts reads the contacts of a campaign's lists for its
// segmentation rules.
func segmentContacts(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, listIDs []uuid.UUID) ([]SegmentContact, error) {
	rows, err := tx.Query(ctx, `SELECT c.id, c.name, c.phone, c.attributes FROM contacts c
		WHERE c.tenant_id = $1 AND c.id IN (SELECT contact_id FROM list_contacts WHERE tenant_id = $1 AND list_id = ANY($2))
		ORDER BY c.id`, tenantID, listIDs)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (SegmentContact, error) {
		var sc SegmentContact
		return sc, r.Scan(&sc.ID, &sc.Name, &sc.Phone, &sc.Attributes)
	})
}

// segment runs a starting campaign's segmentation rules for its contacts,
// outside any transaction (the rules are loaded and run elsewhere).
func (s *Service) segment(ctx context.Context, tenantID uuid.UUID, sg *Segmentation, contacts []SegmentContact) ([]SegmentResult, error) {
	if s.opts.Segment == nil {
		return nil, FieldError("body.segmentation", "segmentation rules cannot run here (no script hosts): start the campaign where the service runs them")
	}
	results, err := s.opts.Segment(ctx, tenantID, sg.ScriptID, sg.Version, contacts)
	if err != nil {
		return nil, err
	}
	if len(results) != len(contacts) {
		return nil, fmt.Errorf("segmentation returned %d results for %d contacts", len(results), len(contacts))
	}
	return results, nil
}

// enrolSegmented enrols a starting campaign's contacts with their
// segmentation results: in their segment, and pending, or dropped when
// the filter leaves them out or their rule failed. Contacts deleted since
// the rules ran are left out. It returns how many will be dialled. A rule
// failing for some contacts does not stop the others; the failures are
// counted on the campaign.
func (s *Service) enrolSegmented(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, c *Campaign, contacts []SegmentContact, results []SegmentResult, now time.Time) (int, error) {
	sg := c.Segmentation
	if len(contacts) == 0 {
		return 0, nil
	}
	ids := make([]uuid.UUID, len(contacts))
	segments := make([]string, len(contacts))
	states := make([]string, len(contacts))
	reasons := make([]string, len(contacts))
	var sample []SegmentError
	failed, dialled := 0, 0
	for i, r := range results {
		ids[i], states[i] = contacts[i].ID, "pending"
		switch {
		case r.Error != "":
			failed++
			states[i], reasons[i] = "dropped", ReasonSegmentError
			if len(sample) < segmentErrorSample {
				sample = append(sample, SegmentError{ContactID: contacts[i].ID, Message: r.Error, Line: r.Line, Column: r.Column})
			}
		case len(sg.Filter) > 0 && !slices.Contains(sg.Filter, r.Segment):
			segments[i] = r.Segment
			states[i], reasons[i] = "dropped", ReasonSegmentFiltered
		default:
			segments[i] = r.Segment
			dialled++
		}
	}
	if dialled == 0 {
		msg := fmt.Sprintf("none of the campaign's %d contacts would be dialled", len(contacts))
		if len(sg.Filter) > 0 {
			msg += fmt.Sprintf(": none is in the segments %s", strings.Join(sg.Filter, ", "))
		}
		if failed > 0 {
			msg += fmt.Sprintf("; the rules failed for %d, first: %s", failed, sample[0].Message)
		}
		return 0, FieldError("body.segmentation", "%s", msg)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO campaign_contacts (tenant_id, campaign_id, contact_id, phone, time_zone, next_at, segment, state, last_reason, list_id)
		SELECT $1, $2, c.id, c.phone, c.time_zone, $3, s.segment, s.state, nullif(s.reason, ''),
			(SELECT lc.list_id FROM list_contacts lc WHERE lc.contact_id = c.id AND lc.list_id = ANY($8)
				ORDER BY array_position($8, lc.list_id) LIMIT 1)
		FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[]) AS s(id, segment, state, reason)
		JOIN contacts c ON c.tenant_id = $1 AND c.id = s.id`, tenantID, c.ID, now, ids, segments, states, reasons, c.ListIDs); err != nil {
		return 0, err
	}
	if sample == nil {
		sample = []SegmentError{}
	}
	sj, _ := json.Marshal(sample)
	if _, err := tx.Exec(ctx, `UPDATE campaigns SET segment_errors = $2, segment_error_sample = $3 WHERE id = $1`, c.ID, failed, sj); err != nil {
		return 0, err
	}
	c.SegmentErrors, c.SegmentErrorSample = failed, sample
	return dialled, nil
}

// SampleListContacts returns up to n contacts of a list for a preview of
// segmentation rules, and how many contacts the list has. The sample is
// spread over the whole list by a hash of the contact ids, and stays the
// same from one preview to the next while the list does.
func (s *Service) SampleListContacts(ctx context.Context, p tenants.Principal, listID uuid.UUID, n int) ([]SegmentContact, int, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, 0, err
	}
	var out []SegmentContact
	var total int
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		var exists bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM contact_lists WHERE tenant_id = $1 AND id = $2),
				(SELECT count(*) FROM list_contacts WHERE tenant_id = $1 AND list_id = $2)`, p.TenantID, listID).Scan(&exists, &total)
		if err != nil {
			return err
		}
		if !exists {
			return FieldError("body.list_id", "no such list")
		}
		rows, err := tx.Query(ctx, `SELECT c.id, c.name, c.phone, c.attributes FROM contacts c
			JOIN list_contacts l ON l.tenant_id = c.tenant_id AND l.contact_id = c.id
			WHERE c.tenant_id = $1 AND l.list_id = $2
			ORDER BY hashtext(c.id::text), c.id LIMIT $3`, p.TenantID, listID, n)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (SegmentContact, error) {
			var sc SegmentContact
			return sc, r.Scan(&sc.ID, &sc.Name, &sc.Phone, &sc.Attributes)
		})
		return err
	})
	return out, total, err
}
