package scripting

import (
	"context"

	"github.com/google/uuid"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/phone"
)

// SegmentCampaign runs a tenant's published segmentation rules (version of
// script scriptID) in the store's script hosts, over contacts shaped as a
// call's script sees them (the number masked): the store's method value is
// the campaigns.SegmentFunc a campaign's start uses.
func (st *Store) SegmentCampaign(ctx context.Context, tenantID, scriptID uuid.UUID, version int, contacts []campaigns.SegmentContact) ([]campaigns.SegmentResult, error) {
	src, err := st.SegmentRules(ctx, tenantID, scriptID, version, true, "body.segmentation")
	if err != nil {
		return nil, err
	}
	in := make([]Contact, len(contacts))
	for i, c := range contacts {
		in[i] = CallContact(c.Name, phone.Mask(c.Phone), c.Attributes)
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
