package api

import (
	"cmp"
	"context"
	"net/http"
	"slices"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/scripting"
)

type previewSegmentsInput struct {
	Body struct {
		Source     string     `json:"source,omitempty" maxLength:"262144" doc:"Segmentation rules to try (export function segment(contact)); or name a saved version with script_id and version." example:"export function segment(c) { return c.vip ? \"vip\" : null; }"`
		ScriptID   *uuid.UUID `json:"script_id,omitempty" doc:"A saved segmentation script, published or not." example:"0190f3c2-7a51-7d2e-9b1a-5f0e3c2d1a00"`
		Version    int        `json:"version,omitempty" minimum:"0" doc:"The version number of script_id." example:"2"`
		ListID     uuid.UUID  `json:"list_id" doc:"The contact list to sample." example:"0190f3c2-7a51-7d2e-9b1a-5f0e3c2d1a01"`
		SampleSize int        `json:"sample_size,omitempty" minimum:"1" maximum:"2000" default:"200" doc:"How many of the list's contacts to segment (the same ones each time, spread over the list)." example:"200"`
	}
}

// SegmentCountBody is how many sampled contacts fell in one segment.
type SegmentCountBody struct {
	Segment  string `json:"segment" doc:"The segment name; empty for contacts the rules put in no segment." example:"vip"`
	Contacts int    `json:"contacts" example:"37"`
}

type previewSegmentsOutput struct {
	Body struct {
		ListContacts int                `json:"list_contacts" doc:"How many contacts the list has." example:"12840"`
		Sampled      int                `json:"sampled" doc:"How many were segmented." example:"200"`
		Segments     []SegmentCountBody `json:"segments" doc:"Sampled contacts per segment, largest first."`
		Failed       int                `json:"failed" doc:"Sampled contacts whose rule failed; a campaign would not dial them." example:"1"`
		Errors       []SegmentErrorBody `json:"errors" doc:"The first (up to 20) failures, with where in the rules."`
	}
}

// registerSegments adds the preview of segmentation rules on a list.
func (s *Server) registerSegments() {
	s.register("Scripts", authErrors, []operation{
		{id: "preview-segments", route: "POST /v1/segments/preview", summary: "Preview segmentation rules on a list", security: requires("scripts:read"),
			errs: []int{http.StatusUnprocessableEntity, http.StatusServiceUnavailable}, handler: handle(s.previewSegments),
			desc: "Runs segmentation rules (a source being edited, or a saved version) in the sandbox over a sample of a list's contacts " +
				"and counts them per segment, with the contacts whose rule failed and the line and column where. " +
				"Rules that do not compile are a 422 listing every finding with its line."},
	})
}

func (s *Server) previewSegments(ctx context.Context, in *previewSegmentsInput) (*previewSegmentsOutput, error) {
	p := principal(ctx)
	b := in.Body
	if (b.Source == "") == (b.ScriptID == nil) {
		return nil, huma.NewError(http.StatusUnprocessableEntity, "give the rules as source, or name a saved version with script_id and version",
			&huma.ErrorDetail{Location: "body.source", Message: "give source or script_id, not both"})
	}
	source := b.Source
	if b.ScriptID != nil {
		if b.Version < 1 {
			return nil, huma.NewError(http.StatusUnprocessableEntity, "name the version of script_id",
				&huma.ErrorDetail{Location: "body.version", Message: "a version number of 1 or more"})
		}
		var err error
		if source, err = s.scripts.SegmentRules(ctx, p.TenantID, *b.ScriptID, b.Version, false, "body.script_id"); err != nil {
			return nil, s.problem(ctx, err)
		}
	}
	n := cmp.Or(b.SampleSize, 200)
	sample, total, err := s.campaigns.SampleListContacts(ctx, p, b.ListID, n)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	contacts := make([]scripting.Contact, len(sample))
	for i, c := range sample {
		contacts[i] = scripting.CallContact(c.Name, phone.Mask(c.Phone), c.Attributes)
	}
	rs, err := s.scripts.SegmentContacts(ctx, "segment.js", source, contacts)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &previewSegmentsOutput{}
	out.Body.ListContacts, out.Body.Sampled = total, len(sample)
	out.Body.Segments, out.Body.Errors = []SegmentCountBody{}, []SegmentErrorBody{}
	counts := map[string]int{}
	for i, r := range rs {
		if r.Error != "" {
			out.Body.Failed++
			if len(out.Body.Errors) < 20 {
				out.Body.Errors = append(out.Body.Errors, SegmentErrorBody{ContactID: sample[i].ID, Message: r.Error, Line: r.Line, Column: r.Column})
			}
			continue
		}
		counts[r.Segment]++
	}
	for seg, n := range counts {
		out.Body.Segments = append(out.Body.Segments, SegmentCountBody{Segment: seg, Contacts: n})
	}
	slices.SortFunc(out.Body.Segments, func(a, b SegmentCountBody) int {
		return cmp.Or(b.Contacts-a.Contacts, cmp.Compare(a.Segment, b.Segment))
	})
	return out, nil
}
