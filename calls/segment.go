package calls

import (
	"context"

	"github.com/google/uuid"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/scripting"
)

// SegmentWith is the campaigns.SegmentFunc a campaign's start uses: it runs
// a tenant's published segmentation rules (version of script scriptID) in
// the script hosts of st, over contacts shaped as a call's script sees them
// (the number masked). It lives here, not in scripting, so the sandbox
// does not depend on campaigns.
func SegmentWith(st *scripting.Store) campaigns.SegmentFunc {
	return func(ctx context.Context, tenantID, scriptID uuid.UUID, version int, contacts []campaigns.SegmentContact) ([]campaigns.SegmentResult, error) {
		return segment(ctx, st, tenantID, scriptID, version, contacts)
	}
}

func segment(ctx context.Context, st *scripting.Store, tenantID, scriptID uuid.UUID, version int, contacts []campaigns.SegmentContact) ([]campaigns.SegmentResult, error) {
	src, err := st.SegmentRules(ctx, tenantID, scriptID, version, true, "body.segmentation")
	if err != nil {
		return nil, err
	}
	in := make([]scripting.Contact, len(contacts))
	for i, c := range contacts {
		in[i] = scripting.CallContact(c.Name, phone.Mask(c.Phone), c.Attributes)
	}
	rs, err := st.SegmentContacts(ctx, "segment.js", src, in)
	if err != nil {
		return nil, err
	}
	out := make([]campaigns.SegmentResult, len(rs))
	for i, r := range rs {
		out[i] = campaigns.SegmentResult{Segment: r.Segment, Error: r.Error, Line: r.Line, Column: r.Column}
	}
	return out, nil
}
