package jobs

import (
	"context"

	"github.com/google/uuid"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/scripting"
)

// SegmentWith is the campaigns.SegmentFunc that runs a tenant's published
// segmentation rules in the script hosts of scripts, over contacts shaped
// as a call's script sees them (the number masked).
func SegmentWith(scripts *scripting.Store) campaigns.SegmentFunc {
	return func(ctx context.Context, tenantID, scriptID uuid.UUID, version int, contacts []campaigns.SegmentContact) ([]campaigns.SegmentResult, error) {
		src, err := scripts.SegmentRules(ctx, tenantID, scriptID, version, true, "body.segmentation")
		if err != nil {
			return nil, err
		}
		in := make([]scripting.Contact, len(contacts))
		for i, c := range contacts {
			in[i] = scripting.CallContact(c.Name, phone.Mask(c.Phone), c.Attributes)
		}
		rs, err := scripts.SegmentContacts(ctx, "segment.js", src, in)
		if err != nil {
			return nil, err
		}
		out := make([]campaigns.SegmentResult, len(rs))
		for i, r := range rs {
			out[i] = campaigns.SegmentResult{Segment: r.Segment, Error: r.Error, Line: r.Line, Column: r.Column}
		}
		return out, nil
	}
}
