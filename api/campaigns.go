package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
)

// RetryBody is how often and how many times an outcome is retried.
type RetryBody struct {
	After string `json:"after" maxLength:"20" example:"10m"`
	Times int    `json:"times" minimum:"0" maximum:"10" example:"3"`
}

// ABArmBody is one arm of an A/B split.
type ABArmBody struct {
	Version string `json:"version" minLength:"1" maxLength:"200"`
	Weight  int    `json:"weight" minimum:"1" maximum:"1000"`
}

// CampaignBody describes a campaign.
type CampaignBody struct {
	ID              uuid.UUID            `json:"id"`
	Name            string               `json:"name" example:"双十一订单确认"`
	Status          string               `json:"status" enum:"draft,scheduled,running,paused,completed,cancelled"`
	ListIDs         []uuid.UUID          `json:"list_ids"`
	ScriptVersion   string               `json:"script_version" doc:"The published script version every call runs, unless a segment or A/B arm says otherwise."`
	SegmentVersions map[string]string    `json:"segment_versions" doc:"Segment name → script version."`
	ABSplit         []ABArmBody          `json:"ab_split"`
	BestTime        bool                 `json:"best_time" doc:"Due contacts are dialled best local hour first: the hour's predicted answer rate from the tenant's own history."`
	Compliance      ComplianceBody       `json:"compliance" doc:"How this campaign tightens the tenant's compliance settings."`
	RetryPolicy     map[string]RetryBody `json:"retry_policy" doc:"busy, no_answer, unreachable, failed, voicemail → retry rule (invalid_number is never retried)."`
	StartsAt        *time.Time           `json:"starts_at,omitempty"`
	EndsAt          *time.Time           `json:"ends_at,omitempty"`
	CreatedAt       time.Time            `json:"created_at"`
	StartedAt       *time.Time           `json:"started_at,omitempty"`
	FinishedAt      *time.Time           `json:"finished_at,omitempty"`
	Segmentation    *SegmentationBody    `json:"segmentation,omitempty" doc:"The segmentation rules that sort the contacts into segments at start."`
	SegmentErrors   int                  `json:"segment_errors" doc:"Contacts whose segmentation rule failed at start; they are not dialled (counted as not_dialled.segment_error)."`
	// SegmentErrorSample shows the first failures.
	SegmentErrorSample []SegmentErrorBody `json:"segment_error_sample" doc:"The first (up to 20) contacts whose rule failed, with the error and where in the rules."`
	FollowUps          []FollowUpBody     `json:"follow_ups" doc:"The messages the campaign sends a contact after its calls."`
}

// FollowUpBody is a message a campaign sends a contact after its calls.
type FollowUpBody struct {
	Channel  string `json:"channel" enum:"sms"`
	Template string `json:"template" maxLength:"63" example:"payment_link" doc:"The name of one of the tenant's approved SMS templates (GET /v1/sms/settings)."`
	When     string `json:"when" enum:"unanswered,answered" doc:"unanswered: after the contact's last attempt, when it went unanswered (no answer, busy, voicemail, failed) and the retry policy has no attempt left. answered: after a call the callee answered. Either way the message keeps the tenant's compliance: never to a number on the do-not-call list (or without consent, when consented_only), never in the recipient's quiet hours or on a day without calls (it waits), at most max_daily_messages per number per day."`
}

// SegmentationBody names a campaign's segmentation rules and the segments
// it dials.
type SegmentationBody struct {
	ScriptID uuid.UUID `json:"script_id" doc:"A script of kind segment." example:"0190f3c2-7a51-7d2e-9b1a-5f0e3c2d1a00"`
	Version  int       `json:"version" minimum:"1" doc:"A published version number of that script." example:"3"`
	Filter   []string  `json:"filter,omitempty" maxItems:"50" doc:"Dial only contacts in these segments; the others are enrolled as dropped with reason segment_filtered. Empty: every segment." example:"[\"vip\",\"loyal\"]"`
}

// SegmentErrorBody is one contact whose segmentation rule failed.
type SegmentErrorBody struct {
	ContactID uuid.UUID `json:"contact_id"`
	Message   string    `json:"message" example:"3:18: TypeError: Cannot read property 'length' of undefined"`
	Line      int       `json:"line,omitempty" example:"3"`
	Column    int       `json:"column,omitempty" example:"18"`
}

func campaignBody(c *campaigns.Campaign) CampaignBody {
	b := CampaignBody{ID: c.ID, Name: c.Name, Status: string(c.Status), ListIDs: c.ListIDs, ScriptVersion: c.ScriptVersion,
		SegmentVersions: c.SegmentVersions, ABSplit: []ABArmBody{}, BestTime: c.BestTime, Compliance: complianceBody(c.Compliance), RetryPolicy: map[string]RetryBody{},
		StartsAt: c.StartsAt, EndsAt: c.EndsAt, CreatedAt: c.CreatedAt, StartedAt: c.StartedAt, FinishedAt: c.FinishedAt, FollowUps: []FollowUpBody{}}
	for _, f := range c.FollowUps {
		b.FollowUps = append(b.FollowUps, FollowUpBody{Channel: f.Channel, Template: f.Template, When: f.When})
	}
	for _, a := range c.ABSplit {
		b.ABSplit = append(b.ABSplit, ABArmBody{Version: a.Version, Weight: a.Weight})
	}
	for o, r := range c.RetryPolicy {
		b.RetryPolicy[string(o)] = RetryBody{After: time.Duration(r.After).String(), Times: r.Times}
	}
	if b.SegmentVersions == nil {
		b.SegmentVersions = map[string]string{}
	}
	if sg := c.Segmentation; sg != nil {
		b.Segmentation = &SegmentationBody{ScriptID: sg.ScriptID, Version: sg.Version, Filter: sg.Filter}
	}
	b.SegmentErrors = c.SegmentErrors
	b.SegmentErrorSample = make([]SegmentErrorBody, 0, len(c.SegmentErrorSample))
	for _, e := range c.SegmentErrorSample {
		b.SegmentErrorSample = append(b.SegmentErrorSample, SegmentErrorBody{ContactID: e.ContactID, Message: e.Message, Line: e.Line, Column: e.Column})
	}
	return b
}

// CountsBody is a campaign's live figures.
type CountsBody struct {
	Contacts int            `json:"contacts"`
	ByState  map[string]int `json:"by_state" doc:"Contacts: pending, queued, dialling, in_call, done, dropped."`
	Outcomes map[string]int `json:"outcomes" doc:"Dialled attempts by outcome."`
	Refused  map[string]int `json:"refused" doc:"Refused attempts by reason: dnc, daily_cap, quiet_hours, holiday, …"`
	Segments map[string]int `json:"segments" doc:"Contacts by the segment the campaign's segmentation rules put them in (\"\" for none); empty without rules."`
	// NotDialled counts contacts left out at start.
	NotDialled map[string]int `json:"not_dialled" doc:"Contacts enrolled as dropped before any dial, by reason: segment_filtered (outside the segment filter), segment_error (the rule failed)."`
}

type campaignPath struct {
	CampaignID uuid.UUID `path:"campaign_id" doc:"The campaign's id."`
}

type campaignsOutput struct {
	Body struct {
		Items      []CampaignBody `json:"items"`
		NextCursor string         `json:"next_cursor"`
	}
}

type createCampaignInput struct {
	Body struct {
		Name            string               `json:"name" minLength:"1" maxLength:"200" example:"双十一订单确认"`
		ListIDs         []uuid.UUID          `json:"list_ids" minItems:"1" maxItems:"50"`
		ScriptVersion   string               `json:"script_version,omitempty" maxLength:"200" doc:"A published dialog script version."`
		SegmentVersions map[string]string    `json:"segment_versions,omitempty"`
		ABSplit         []ABArmBody          `json:"ab_split,omitempty" maxItems:"10"`
		BestTime        bool                 `json:"best_time,omitempty" doc:"Dial due contacts best local hour first (predicted from the tenant's answer rates by the callee's local hour, with a prior where history is thin)."`
		Compliance      *ComplianceBody      `json:"compliance,omitempty" doc:"Tighten the tenant's settings for this campaign; loosening is refused."`
		RetryPolicy     map[string]RetryBody `json:"retry_policy,omitempty" doc:"Default: busy 10m × 3, no_answer 2h × 2, unreachable 4h × 2, failed 5m × 1."`
		StartsAt        *time.Time           `json:"starts_at,omitempty" doc:"Started before this, the campaign waits as scheduled."`
		EndsAt          *time.Time           `json:"ends_at,omitempty" doc:"No dials from this moment on."`
		Segmentation    *SegmentationBody    `json:"segmentation,omitempty" doc:"Sort the contacts into segments at start with these segmentation rules (segment_versions then picks each segment's script), and dial only the filter's segments."`
		FollowUps       []FollowUpBody       `json:"follow_ups,omitempty" maxItems:"5" doc:"Messages to send a contact after its calls, such as an SMS with a payment link to contacts who never answered."`
	}
}

// registerCampaigns adds the operations on campaigns: creating them,
// moving them between states and watching their counts.
func (s *Server) registerCampaigns() {
	read, control := requires("campaigns:read"), requires("campaigns:control")
	ops := []operation{
		{id: "create-campaign", route: "POST /v1/campaigns", status: http.StatusCreated, summary: "Create a campaign", security: control, errs: []int{http.StatusUnprocessableEntity},
			desc: "A draft: start it when its lists and script are ready. Needs the operator role.", handler: handle(s.createCampaign)},
		{id: "list-campaigns", route: "GET /v1/campaigns", summary: "List campaigns", security: read, errs: []int{http.StatusUnprocessableEntity}, handler: handle(s.listCampaigns)},
		{id: "get-campaign", route: "GET /v1/campaigns/{campaign_id}", summary: "Get a campaign", security: read, errs: []int{http.StatusNotFound}, handler: handle(s.getCampaign)},
	}
	for _, op := range []struct {
		id, summary, desc string
		handler           func(context.Context, *campaignPath) (*output[CampaignBody], error)
	}{
		{"start-campaign", "Start a campaign", "Takes the contacts of its lists and starts dialling (or waits as scheduled until starts_at). " +
			"A campaign without contacts or without a script version is refused with 422 and stays a draft. " +
			"With segmentation rules, every contact is put in its segment first (in the sandbox); contacts outside the segment filter, " +
			"or whose rule failed, are enrolled as dropped (see counts.not_dialled and segment_error_sample); a start that would dial nobody is refused.",
			s.startCampaign},
		{"pause-campaign", "Pause a campaign", "No new dials within a second; calls in progress finish.", s.pauseCampaign},
		{"resume-campaign", "Resume a paused campaign", "Dialling continues where it stopped.", s.resumeCampaign},
		{"cancel-campaign", "Cancel a campaign", "Ends it for good: nothing more is dialled.", s.cancelCampaign},
	} {
		verb := op.id[:len(op.id)-len("-campaign")]
		ops = append(ops, operation{id: op.id, route: "POST /v1/campaigns/{campaign_id}/" + verb, summary: op.summary, security: control,
			errs: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity}, desc: op.desc + " Needs the operator role.", handler: handle(op.handler)})
	}
	ops = append(ops, operation{id: "campaign-counts", route: "GET /v1/campaigns/{campaign_id}/counts", summary: "A campaign's live counts", security: read, errs: []int{http.StatusNotFound},
		desc: "Contacts by state (pending, queued, dialling, in call, done, dropped), attempts by outcome, refusals by reason.", handler: handle(s.campaignCounts)})
	s.register("Campaigns", authErrors, ops)
}

func (s *Server) createCampaign(ctx context.Context, in *createCampaignInput) (*output[CampaignBody], error) {
	ci := campaigns.CampaignInput{Name: in.Body.Name, ListIDs: in.Body.ListIDs, ScriptVersion: in.Body.ScriptVersion,
		SegmentVersions: in.Body.SegmentVersions, BestTime: in.Body.BestTime, StartsAt: in.Body.StartsAt, EndsAt: in.Body.EndsAt, RetryPolicy: campaigns.RetryPolicy{}}
	if sg := in.Body.Segmentation; sg != nil {
		ci.Segmentation = &campaigns.Segmentation{ScriptID: sg.ScriptID, Version: sg.Version, Filter: sg.Filter}
	}
	for _, f := range in.Body.FollowUps {
		ci.FollowUps = append(ci.FollowUps, campaigns.FollowUp{Channel: f.Channel, Template: f.Template, When: f.When})
	}
	for _, a := range in.Body.ABSplit {
		ci.ABSplit = append(ci.ABSplit, campaigns.ABArm{Version: a.Version, Weight: a.Weight})
	}
	if in.Body.Compliance != nil {
		c, err := in.Body.Compliance.domain("body.compliance")
		if err != nil {
			return nil, err
		}
		ci.Compliance = c
	}
	for o, r := range in.Body.RetryPolicy {
		d, err := time.ParseDuration(r.After)
		if err != nil && r.Times > 0 {
			return nil, huma.NewError(http.StatusUnprocessableEntity, "retry_policy."+o+".after is a duration such as 10m",
				&huma.ErrorDetail{Location: "body.retry_policy." + o + ".after", Message: "not a duration", Value: r.After})
		}
		ci.RetryPolicy[telephony.Outcome(o)] = campaigns.RetryRule{After: campaigns.Duration(d), Times: r.Times}
	}
	c, err := s.campaigns.CreateCampaign(ctx, principal(ctx), ci)
	return reply(s, ctx, campaignBody, c, err)
}

func (s *Server) listCampaigns(ctx context.Context, in *PageInput) (*campaignsOutput, error) {
	out := &campaignsOutput{}
	list := func(limit int, after *uuid.UUID) ([]campaigns.Campaign, error) {
		return s.campaigns.ListCampaigns(ctx, principal(ctx), limit, after)
	}
	if err := listPage(s, ctx, *in, list, func(c *campaigns.Campaign) uuid.UUID { return c.ID }, campaignBody, &out.Body.Items, &out.Body.NextCursor); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) getCampaign(ctx context.Context, in *campaignPath) (*output[CampaignBody], error) {
	c, err := s.campaigns.GetCampaign(ctx, principal(ctx), in.CampaignID)
	return reply(s, ctx, campaignBody, c, err)
}

func (s *Server) startCampaign(ctx context.Context, in *campaignPath) (*output[CampaignBody], error) {
	c, err := s.campaigns.StartCampaign(ctx, principal(ctx), in.CampaignID)
	return reply(s, ctx, campaignBody, c, err)
}

func (s *Server) pauseCampaign(ctx context.Context, in *campaignPath) (*output[CampaignBody], error) {
	c, err := s.campaigns.PauseCampaign(ctx, principal(ctx), in.CampaignID)
	return reply(s, ctx, campaignBody, c, err)
}

func (s *Server) resumeCampaign(ctx context.Context, in *campaignPath) (*output[CampaignBody], error) {
	c, err := s.campaigns.ResumeCampaign(ctx, principal(ctx), in.CampaignID)
	return reply(s, ctx, campaignBody, c, err)
}

func (s *Server) cancelCampaign(ctx context.Context, in *campaignPath) (*output[CampaignBody], error) {
	c, err := s.campaigns.CancelCampaign(ctx, principal(ctx), in.CampaignID)
	return reply(s, ctx, campaignBody, c, err)
}

func (s *Server) campaignCounts(ctx context.Context, in *campaignPath) (*output[CountsBody], error) {
	c, err := s.campaigns.CampaignCounts(ctx, principal(ctx), in.CampaignID)
	return reply(s, ctx, countsBody, c, err)
}

func countsBody(c *campaigns.Counts) CountsBody {
	return CountsBody{Contacts: c.Contacts, ByState: c.ByState, Outcomes: c.Outcomes, Refused: c.Refused,
		Segments: c.Segments, NotDialled: c.NotDialled}
}
