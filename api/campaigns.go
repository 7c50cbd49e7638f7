package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/outcall/outcall/campaigns"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// ComplianceBody is a tenant's compliance settings, or a campaign's
// tightening of them (where zero or absent fields follow the tenant).
type ComplianceBody struct {
	MaxDailyCalls          int      `json:"max_daily_calls,omitempty" minimum:"0" maximum:"100" example:"3" doc:"Calls per number per calendar day in the callee's time zone, all campaigns together."`
	QuietHours             []string `json:"quiet_hours,omitempty" maxItems:"2" example:"[\"21:00\",\"09:00\"]" doc:"[start, end] in the callee's local time; [] for none."`
	Weekdays               []string `json:"weekdays,omitempty" maxItems:"7" example:"[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"]"`
	Holidays               []string `json:"holidays,omitempty" maxItems:"400" example:"[\"2026-10-01\"]" doc:"Dates without calls, in the callee's calendar."`
	MinRetryInterval       string   `json:"min_retry_interval,omitempty" maxLength:"20" example:"30m" doc:"Least time between two dials of one number."`
	MaxConcurrentLines     int      `json:"max_concurrent_lines,omitempty" minimum:"0" example:"50" doc:"Calls in progress at once (also capped by the plan)."`
	CallsPerSecond         float64  `json:"calls_per_second,omitempty" minimum:"0" example:"10" doc:"New dials per second toward the trunk."`
	SensitiveWords         []string `json:"sensitive_words,omitempty" maxItems:"500" example:"[\"转账\",\"密码\",\"验证码\"]"`
	RecordingRetentionDays int      `json:"recording_retention_days,omitempty" minimum:"0" example:"180"`
	ConsentedOnly          bool     `json:"consented_only,omitempty" doc:"Dial only numbers with consent on record; others are refused with reason no_consent."`
}

func complianceBody(c campaigns.Compliance) ComplianceBody {
	b := ComplianceBody{MaxDailyCalls: c.MaxDailyCalls, QuietHours: c.QuietHours, Weekdays: c.Weekdays, Holidays: c.Holidays,
		MaxConcurrentLines: c.MaxConcurrentLines, CallsPerSecond: c.CallsPerSecond, SensitiveWords: c.SensitiveWords,
		RecordingRetentionDays: c.RecordingRetentionDays, ConsentedOnly: c.ConsentedOnly}
	if c.MinRetryInterval != 0 {
		b.MinRetryInterval = time.Duration(c.MinRetryInterval).String()
	}
	return b
}

func (b ComplianceBody) domain(field string) (campaigns.Compliance, error) {
	c := campaigns.Compliance{MaxDailyCalls: b.MaxDailyCalls, QuietHours: b.QuietHours, Weekdays: b.Weekdays, Holidays: b.Holidays,
		MaxConcurrentLines: b.MaxConcurrentLines, CallsPerSecond: b.CallsPerSecond, SensitiveWords: b.SensitiveWords,
		RecordingRetentionDays: b.RecordingRetentionDays, ConsentedOnly: b.ConsentedOnly}
	if b.MinRetryInterval != "" {
		d, err := time.ParseDuration(b.MinRetryInterval)
		if err != nil || d < 0 {
			return c, huma.NewError(http.StatusUnprocessableEntity, "min_retry_interval is a duration such as 30m",
				&huma.ErrorDetail{Location: field + ".min_retry_interval", Message: "not a duration", Value: b.MinRetryInterval})
		}
		c.MinRetryInterval = campaigns.Duration(d)
	}
	return c, nil
}

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
	RetryPolicy     map[string]RetryBody `json:"retry_policy" doc:"busy, no_answer, failed, voicemail → retry rule."`
	StartsAt        *time.Time           `json:"starts_at,omitempty"`
	EndsAt          *time.Time           `json:"ends_at,omitempty"`
	CreatedAt       time.Time            `json:"created_at"`
	StartedAt       *time.Time           `json:"started_at,omitempty"`
	FinishedAt      *time.Time           `json:"finished_at,omitempty"`
	Segmentation    *SegmentationBody    `json:"segmentation,omitempty" doc:"The segmentation rules that sort the contacts into segments at start."`
	SegmentErrors   int                  `json:"segment_errors" doc:"Contacts whose segmentation rule failed at start; they are not dialled (counted as not_dialled.segment_error)."`
	// SegmentErrorSample shows the first failures.
	SegmentErrorSample []SegmentErrorBody `json:"segment_error_sample" doc:"The first (up to 20) contacts whose rule failed, with the error and where in the rules."`
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
		StartsAt: c.StartsAt, EndsAt: c.EndsAt, CreatedAt: c.CreatedAt, StartedAt: c.StartedAt, FinishedAt: c.FinishedAt}
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

// TurnBody is one exchange of a dialog.
type TurnBody struct {
	Seq       int       `json:"seq"`
	State     string    `json:"state"`
	Said      string    `json:"said"`
	Heard     string    `json:"heard"`
	Intent    string    `json:"intent"`
	Sentiment *float32  `json:"sentiment,omitempty"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
}

// CallBody is one attempt: a refusal, or a call with its outcome.
type CallBody struct {
	ID              uuid.UUID  `json:"id"`
	CampaignID      uuid.UUID  `json:"campaign_id"`
	ContactID       uuid.UUID  `json:"contact_id"`
	Attempt         int        `json:"attempt"`
	Phone           string     `json:"phone" example:"+8613812341234" doc:"Masked (138****1234) unless the caller may see numbers in full: operators and stronger may, viewers (people and API keys with the viewer role) may not."`
	State           string     `json:"state" enum:"refused,dialling,in_call,ended"`
	Outcome         string     `json:"outcome,omitempty"`
	Reason          string     `json:"reason,omitempty" doc:"Why it was refused, or how it ended."`
	NextAt          *time.Time `json:"next_at,omitempty" doc:"When the contact is tried again, if it is."`
	CreatedAt       time.Time  `json:"created_at"`
	AnsweredAt      *time.Time `json:"answered_at,omitempty"`
	EndedAt         *time.Time `json:"ended_at,omitempty"`
	RingMS          *int       `json:"ring_ms,omitempty"`
	BillableSeconds int        `json:"billable_seconds"`
	ScriptVersion   string     `json:"script_version"`
	Segment         string     `json:"segment"`
	FinalState      string     `json:"final_state"`
	Tags            []string   `json:"tags"`
	RecordingRef    string     `json:"recording_ref,omitempty"`
	Turns           []TurnBody `json:"turns,omitempty"`
	// SensitiveHits and Review are set on calls that heard or said a
	// sensitive word.
	SensitiveHits []SensitiveHitBody `json:"sensitive_hits" doc:"The sensitive words the call heard or said, by turn."`
	Review        *ReviewBody        `json:"review,omitempty" doc:"Where the review of a call tagged review_required stands."`
}

// SensitiveHitBody is one sensitive word in a turn of a call.
type SensitiveHitBody struct {
	Word  string `json:"word" example:"验证码"`
	Turn  int    `json:"turn" example:"2" doc:"The turn of the dialog (0 is the greeting)."`
	Where string `json:"where" enum:"heard,said" doc:"Heard from the callee, or said by the script."`
}

// ReviewBody is a person's verdict on a flagged call.
type ReviewBody struct {
	Status         string     `json:"status" enum:"pending,approved,flagged" doc:"pending until a reviewer approves (nothing wrong) or flags (a problem to act on) the call."`
	ReviewerUserID *uuid.UUID `json:"reviewer_user_id,omitempty" doc:"The user who reviewed it in the portal."`
	ReviewerKeyID  *uuid.UUID `json:"reviewer_key_id,omitempty" doc:"The API key that reviewed it."`
	Note           string     `json:"note,omitempty"`
	ReviewedAt     *time.Time `json:"reviewed_at,omitempty"`
}

func callBody(ctx context.Context, c *campaigns.Call) CallBody {
	b := CallBody{ID: c.ID, CampaignID: c.CampaignID, ContactID: c.ContactID, Attempt: c.Attempt, Phone: showPhone(ctx, c.Phone), State: c.State,
		Outcome: string(c.Outcome), Reason: c.Reason, NextAt: c.NextAt, CreatedAt: c.CreatedAt, AnsweredAt: c.AnsweredAt, EndedAt: c.EndedAt,
		RingMS: c.RingMS, BillableSeconds: c.BillableSeconds, ScriptVersion: c.ScriptVersion, Segment: c.Segment, FinalState: c.FinalState,
		Tags: c.Tags, RecordingRef: c.RecordingRef}
	if b.Tags == nil {
		b.Tags = []string{}
	}
	b.SensitiveHits = make([]SensitiveHitBody, 0, len(c.SensitiveHits))
	for _, h := range c.SensitiveHits {
		b.SensitiveHits = append(b.SensitiveHits, SensitiveHitBody{Word: h.Word, Turn: h.Turn, Where: h.Where})
	}
	if r := c.Review; r != nil {
		b.Review = &ReviewBody{Status: r.Status, ReviewerUserID: r.UserID, ReviewerKeyID: r.KeyID, Note: r.Note, ReviewedAt: r.ReviewedAt}
	}
	for _, t := range c.Turns {
		b.Turns = append(b.Turns, TurnBody{Seq: t.Seq, State: t.State, Said: t.Said, Heard: t.Heard, Intent: t.Intent, Sentiment: t.Sentiment,
			StartedAt: t.StartedAt, EndedAt: t.EndedAt})
	}
	return b
}

type campaignPath struct {
	CampaignID uuid.UUID `path:"campaign_id" doc:"The campaign's id."`
}

type callPath struct {
	CallID uuid.UUID `path:"call_id" doc:"The call's id."`
}

type complianceOutput struct{ Body ComplianceBody }

type complianceInput struct{ Body ComplianceBody }

type campaignOutput struct{ Body CampaignBody }

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
		RetryPolicy     map[string]RetryBody `json:"retry_policy,omitempty" doc:"Default: busy 10m × 3, no_answer 2h × 2, failed 5m × 1."`
		StartsAt        *time.Time           `json:"starts_at,omitempty" doc:"Started before this, the campaign waits as scheduled."`
		EndsAt          *time.Time           `json:"ends_at,omitempty" doc:"No dials from this moment on."`
		Segmentation    *SegmentationBody    `json:"segmentation,omitempty" doc:"Sort the contacts into segments at start with these segmentation rules (segment_versions then picks each segment's script), and dial only the filter's segments."`
	}
}

type countsOutput struct{ Body CountsBody }

type callsInput struct {
	PageInput
	CampaignID uuid.UUID `path:"campaign_id" doc:"The campaign's id."`
}

type callsOutput struct {
	Body struct {
		Items      []CallBody `json:"items"`
		NextCursor string     `json:"next_cursor"`
	}
}

type callOutput struct{ Body CallBody }

type reviewCallInput struct {
	CallID uuid.UUID `path:"call_id" doc:"The call's id."`
	Body   struct {
		Status string `json:"status" enum:"approved,flagged" doc:"approved: nothing wrong; flagged: a problem to act on." example:"flagged"`
		Note   string `json:"note,omitempty" maxLength:"2000" doc:"What the reviewer found." example:"客户被要求提供验证码,已转合规处理"`
	}
}

// searchCallsInput is the query of the tenant-wide call search.
type searchCallsInput struct {
	PageInput
	CampaignID string    `query:"campaign_id" format:"uuid" doc:"Only this campaign's calls." example:"0190f3c2-7a51-7d2e-9b1a-5f0e3c2d1a00"`
	Outcome    string    `query:"outcome" enum:"answered,busy,no_answer,failed,interrupted,invalid_number,rejected,voicemail,transferred" doc:"Only calls that ended so." example:"answered"`
	State      string    `query:"state" enum:"refused,dialling,in_call,ended" doc:"Only attempts in this state." example:"ended"`
	Phone      string    `query:"phone" maxLength:"20" doc:"A full number in E.164 (+8613812341234), matched exactly, or its last 3 to 15 digits (1234), matched at the end." example:"1234"`
	Tag        string    `query:"tag" maxLength:"100" doc:"Only calls with this tag." example:"review_required"`
	Review     string    `query:"review" enum:"pending,approved,flagged" doc:"Only calls whose review stands so: pending is the review queue." example:"pending"`
	From       time.Time `query:"from" doc:"Only attempts made at or after this time (RFC 3339)." example:"2026-11-01T00:00:00+08:00"`
	To         time.Time `query:"to" doc:"Only attempts made before this time (RFC 3339)." example:"2026-12-01T00:00:00+08:00"`
}

func (in *searchCallsInput) filter() (campaigns.CallFilter, error) {
	f := campaigns.CallFilter{Outcome: campaigns.Outcome(in.Outcome), State: in.State, Phone: in.Phone, Tag: in.Tag, Review: in.Review}
	if in.CampaignID != "" {
		id, err := uuid.Parse(in.CampaignID)
		if err != nil {
			return f, huma.NewError(http.StatusUnprocessableEntity, "campaign_id is a campaign's id",
				&huma.ErrorDetail{Location: "query.campaign_id", Message: "not a uuid", Value: in.CampaignID})
		}
		f.CampaignID = &id
	}
	if !in.From.IsZero() {
		f.From = &in.From
	}
	if !in.To.IsZero() {
		f.To = &in.To
	}
	return f, nil
}

func (s *Server) registerCampaigns() {
	errs := []int{http.StatusUnauthorized, http.StatusForbidden}
	tags := []string{"Campaigns"}
	huma.Register(s.api, huma.Operation{
		OperationID: "get-compliance", Method: http.MethodGet, Path: "/v1/compliance",
		Summary: "Get the compliance settings", Tags: tags, Security: requires("campaigns:read"),
		Description: "The rules every dial is checked against (defaults where the tenant set nothing).",
		Errors:      errs,
	}, func(ctx context.Context, _ *struct{}) (*complianceOutput, error) {
		c, err := s.campaigns.Compliance(ctx, principal(ctx))
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return &complianceOutput{Body: complianceBody(c)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "set-compliance", Method: http.MethodPut, Path: "/v1/compliance",
		Summary: "Replace the compliance settings", Tags: tags, Security: requires("settings:manage"),
		Description: "Applies to the next dial of every campaign. Needs the admin role.",
		Errors:      append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *complianceInput) (*complianceOutput, error) {
		c, err := in.Body.domain("body")
		if err != nil {
			return nil, err
		}
		if c, err = s.campaigns.SetCompliance(ctx, principal(ctx), c); err != nil {
			return nil, s.problem(ctx, err)
		}
		return &complianceOutput{Body: complianceBody(c)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "create-campaign", Method: http.MethodPost, Path: "/v1/campaigns", DefaultStatus: http.StatusCreated,
		Summary: "Create a campaign", Tags: tags, Security: requires("campaigns:control"),
		Description: "A draft: start it when its lists and script are ready. Needs the operator role.",
		Errors:      append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *createCampaignInput) (*campaignOutput, error) {
		ci := campaigns.CampaignInput{Name: in.Body.Name, ListIDs: in.Body.ListIDs, ScriptVersion: in.Body.ScriptVersion,
			SegmentVersions: in.Body.SegmentVersions, BestTime: in.Body.BestTime, StartsAt: in.Body.StartsAt, EndsAt: in.Body.EndsAt, RetryPolicy: campaigns.RetryPolicy{}}
		if sg := in.Body.Segmentation; sg != nil {
			ci.Segmentation = &campaigns.Segmentation{ScriptID: sg.ScriptID, Version: sg.Version, Filter: sg.Filter}
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
			ci.RetryPolicy[campaigns.Outcome(o)] = campaigns.RetryRule{After: campaigns.Duration(d), Times: r.Times}
		}
		c, err := s.campaigns.CreateCampaign(ctx, principal(ctx), ci)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return &campaignOutput{Body: campaignBody(c)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "list-campaigns", Method: http.MethodGet, Path: "/v1/campaigns",
		Summary: "List campaigns", Tags: tags, Security: requires("campaigns:read"),
		Errors: append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *PageInput) (*campaignsOutput, error) {
		after, err := in.after()
		if err != nil {
			return nil, err
		}
		cs, err := s.campaigns.ListCampaigns(ctx, principal(ctx), in.limit(), after)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		out := &campaignsOutput{}
		out.Body.Items = make([]CampaignBody, 0, len(cs))
		for i := range cs {
			out.Body.Items = append(out.Body.Items, campaignBody(&cs[i]))
		}
		if len(cs) > 0 {
			out.Body.NextCursor = nextCursor(len(cs), in.limit(), cs[len(cs)-1].ID)
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-campaign", Method: http.MethodGet, Path: "/v1/campaigns/{campaign_id}",
		Summary: "Get a campaign", Tags: tags, Security: requires("campaigns:read"),
		Errors: append(errs, http.StatusNotFound),
	}, func(ctx context.Context, in *campaignPath) (*campaignOutput, error) {
		c, err := s.campaigns.GetCampaign(ctx, principal(ctx), in.CampaignID)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return &campaignOutput{Body: campaignBody(c)}, nil
	})
	control := []struct {
		id, summary, desc string
		fn                func(context.Context, campaignPath) (*campaigns.Campaign, error)
	}{
		{"start-campaign", "Start a campaign", "Takes the contacts of its lists and starts dialling (or waits as scheduled until starts_at). " +
			"A campaign without contacts or without a script version is refused with 422 and stays a draft. " +
			"With segmentation rules, every contact is put in its segment first (in the sandbox); contacts outside the segment filter, " +
			"or whose rule failed, are enrolled as dropped (see counts.not_dialled and segment_error_sample); a start that would dial nobody is refused.",
			func(ctx context.Context, in campaignPath) (*campaigns.Campaign, error) {
				return s.campaigns.StartCampaign(ctx, principal(ctx), in.CampaignID)
			}},
		{"pause-campaign", "Pause a campaign", "No new dials within a second; calls in progress finish.",
			func(ctx context.Context, in campaignPath) (*campaigns.Campaign, error) {
				return s.campaigns.PauseCampaign(ctx, principal(ctx), in.CampaignID)
			}},
		{"resume-campaign", "Resume a paused campaign", "Dialling continues where it stopped.",
			func(ctx context.Context, in campaignPath) (*campaigns.Campaign, error) {
				return s.campaigns.ResumeCampaign(ctx, principal(ctx), in.CampaignID)
			}},
		{"cancel-campaign", "Cancel a campaign", "Ends it for good: nothing more is dialled.",
			func(ctx context.Context, in campaignPath) (*campaigns.Campaign, error) {
				return s.campaigns.CancelCampaign(ctx, principal(ctx), in.CampaignID)
			}},
	}
	for _, op := range control {
		verb := op.id[:len(op.id)-len("-campaign")]
		huma.Register(s.api, huma.Operation{
			OperationID: op.id, Method: http.MethodPost, Path: "/v1/campaigns/{campaign_id}/" + verb,
			Summary: op.summary, Tags: tags, Security: requires("campaigns:control"),
			Description: op.desc + " Needs the operator role.",
			Errors:      append(errs, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity),
		}, func(ctx context.Context, in *campaignPath) (*campaignOutput, error) {
			c, err := op.fn(ctx, *in)
			if err != nil {
				return nil, s.problem(ctx, err)
			}
			return &campaignOutput{Body: campaignBody(c)}, nil
		})
	}
	huma.Register(s.api, huma.Operation{
		OperationID: "campaign-counts", Method: http.MethodGet, Path: "/v1/campaigns/{campaign_id}/counts",
		Summary: "A campaign's live counts", Tags: tags, Security: requires("campaigns:read"),
		Description: "Contacts by state (pending, queued, dialling, in call, done, dropped), attempts by outcome, refusals by reason.",
		Errors:      append(errs, http.StatusNotFound),
	}, func(ctx context.Context, in *campaignPath) (*countsOutput, error) {
		c, err := s.campaigns.CampaignCounts(ctx, principal(ctx), in.CampaignID)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return &countsOutput{Body: CountsBody{Contacts: c.Contacts, ByState: c.ByState, Outcomes: c.Outcomes, Refused: c.Refused,
			Segments: c.Segments, NotDialled: c.NotDialled}}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "list-campaign-calls", Method: http.MethodGet, Path: "/v1/campaigns/{campaign_id}/calls",
		Summary: "List a campaign's call records", Tags: []string{"Calls"}, Security: requires("calls:read"),
		Description: "One record per attempt, refusals included, oldest first.",
		Errors:      append(errs, http.StatusNotFound, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *callsInput) (*callsOutput, error) {
		after, err := in.after()
		if err != nil {
			return nil, err
		}
		cs, err := s.campaigns.ListCalls(ctx, principal(ctx), in.CampaignID, in.limit(), after)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		out := &callsOutput{}
		out.Body.Items = make([]CallBody, 0, len(cs))
		for i := range cs {
			out.Body.Items = append(out.Body.Items, callBody(ctx, &cs[i]))
		}
		if len(cs) > 0 {
			out.Body.NextCursor = nextCursor(len(cs), in.limit(), cs[len(cs)-1].ID)
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "search-calls", Method: http.MethodGet, Path: "/v1/calls",
		Summary: "Search the tenant's call records", Tags: []string{"Calls"}, Security: requires("calls:read"),
		Description: "Every attempt of every campaign, refusals included, newest first, without turns. Filters combine: " +
			"`?tag=review_required&from=2026-11-01T00:00:00Z` lists the calls to review since November. " +
			"Numbers are masked (138****1234) for viewers, as everywhere; the phone filter still finds their calls.",
		Errors: append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *searchCallsInput) (*callsOutput, error) {
		after, err := in.after()
		if err != nil {
			return nil, err
		}
		f, err := in.filter()
		if err != nil {
			return nil, err
		}
		cs, err := s.campaigns.SearchCalls(ctx, principal(ctx), f, in.limit(), after)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		out := &callsOutput{}
		out.Body.Items, out.Body.NextCursor = page(cs, in.limit(), func(c *campaigns.Call) uuid.UUID { return c.ID },
			func(c *campaigns.Call) CallBody { return callBody(ctx, c) })
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "review-call", Method: http.MethodPost, Path: "/v1/calls/{call_id}/review",
		Summary: "Review a call that hit a sensitive word", Tags: []string{"Calls"}, Security: requires("calls:review"),
		Description: "Approves or flags a call tagged review_required (its sensitive_hits say which words, in which turns), with a note; " +
			"the reviewer and the time are recorded, and a later review replaces an earlier one. " +
			"`GET /v1/calls?review=pending` is the queue. A call without sensitive words is a 409. Needs the operator role.",
		Errors: append(errs, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *reviewCallInput) (*callOutput, error) {
		c, err := s.campaigns.ReviewCall(ctx, principal(ctx), in.CallID, in.Body.Status, in.Body.Note)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return &callOutput{Body: callBody(ctx, c)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-call", Method: http.MethodGet, Path: "/v1/calls/{call_id}",
		Summary: "Get a call record with its turns", Tags: []string{"Calls"}, Security: requires("calls:read"),
		Errors: append(errs, http.StatusNotFound),
	}, func(ctx context.Context, in *callPath) (*callOutput, error) {
		c, err := s.campaigns.GetCall(ctx, principal(ctx), in.CallID)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return &callOutput{Body: callBody(ctx, c)}, nil
	})
}
