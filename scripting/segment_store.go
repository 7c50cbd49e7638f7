package scripting

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// segmentBatch is how many contacts go to a script host in one request:
// small enough to stay far below the frame limit with rich attributes,
// large enough that the process boundary costs little per contact.
const segmentBatch = 500

// CallContact is what a tenant's script sees of a contact, as c.contact in
// a dialog and as the argument of segment(contact): the name, the number
// masked (maskedPhone), and the contact's attributes, which win over both.
func CallContact(name, maskedPhone string, attributes map[string]any) Contact {
	c := Contact{"name": name, "phone": maskedPhone}
	for k, v := range attributes {
		c[k] = v
	}
	return c
}

// SegmentContacts runs segmentation rules over contacts in script hosts,
// in batches, and returns one result per contact, in order. Rules that do
// not compile are a *DiagnosticsError. A contact whose rule throws gets
// its error (with line and column) and the others keep their segments; a
// batch whose host fails (a rule ran it out of memory) is split and sent
// again, so only the contacts that bring a host down fail.
func (st *Store) SegmentContacts(ctx context.Context, name, source string, contacts []Contact) ([]SegmentResult, error) {
	if len(source) > MaxSourceBytes {
		return nil, tenants.FieldError("body.source", "the script is %d bytes; the limit is %d", len(source), MaxSourceBytes)
	}
	if st.Runner == nil {
		return nil, tenants.Errorf(tenants.EUnavailable, "segmentation is not available: no script hosts")
	}
	out := make([]SegmentResult, len(contacts))
	if len(contacts) == 0 {
		// Still compile, so bad rules are reported.
		_, ds, err := st.Runner.Segment(ctx, name, source, nil)
		if HasErrors(ds) {
			return nil, &DiagnosticsError{Message: "the segmentation rules have errors", Diagnostics: ds}
		}
		return out, err
	}
	for i := 0; i < len(contacts); i += segmentBatch {
		j := min(i+segmentBatch, len(contacts))
		if err := st.segmentRange(ctx, name, source, contacts[i:j], out[i:j]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (st *Store) segmentRange(ctx context.Context, name, source string, cs []Contact, out []SegmentResult) error {
	res, ds, err := st.Runner.Segment(ctx, name, source, cs)
	if HasErrors(ds) {
		return &DiagnosticsError{Message: "the segmentation rules have errors", Diagnostics: ds}
	}
	if err == nil && len(res) == len(cs) {
		copy(out, res)
		return nil
	}
	if err == nil {
		err = fmt.Errorf("the script host answered %d results for %d contacts", len(res), len(cs))
	}
	if ctx.Err() != nil || errors.Is(err, ErrPoolClosed) {
		return err
	}
	var q *QuarantinedError
	if errors.As(err, &q) {
		// The rules brought a host down: none of them runs again.
		for i := range out {
			out[i] = SegmentResult{Error: q.Error()}
		}
		return nil
	}
	if len(cs) == 1 {
		out[0] = SegmentResult{Error: "the rules stopped the script host: " + err.Error()}
		return nil
	}
	mid := len(cs) / 2
	if err := st.segmentRange(ctx, name, source, cs[:mid], out[:mid]); err != nil {
		return err
	}
	return st.segmentRange(ctx, name, source, cs[mid:], out[mid:])
}

// SegmentRules returns the source of version number of a tenant's
// segmentation script; with published, only a published version will do.
// Anything else is an EInvalid error about field.
func (st *Store) SegmentRules(ctx context.Context, tenantID, scriptID uuid.UUID, number int, published bool, field string) (string, error) {
	var kind, source string
	var isPublished bool
	err := st.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT s.kind, v.source, v.published_at IS NOT NULL FROM scripts s
			JOIN script_versions v ON v.script_id = s.id AND v.tenant_id = s.tenant_id
			WHERE s.tenant_id = $1 AND s.id = $2 AND v.number = $3`, tenantID, scriptID, number).Scan(&kind, &source, &isPublished)
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", tenants.FieldError(field, "no version %d of a script %s of this tenant", number, scriptID)
	case err != nil:
		return "", err
	case kind != KindSegment:
		return "", tenants.FieldError(field, "script %s is a %s script, not segmentation rules", scriptID, kind)
	case published && !isPublished:
		return "", tenants.FieldError(field, "version %d of the segmentation rules is not published: publish it first", number)
	}
	return source, nil
}
