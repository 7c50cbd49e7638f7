package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

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
	Emotion   string    `json:"emotion,omitempty" enum:"neutral,happy,urgent,apologetic" doc:"The voice the turn was spoken in: the state's emotion, or apologetic (calmer, slower, softer) for a state without one answering an angry or negative callee."`
	// Model is set on turns that asked the tenant's language model.
	Model *scripting.ModelUse `json:"model,omitempty" doc:"What the tenant's language model did in this turn: why it was asked (the built-in understanding's guess), what it chose or replied, and whether that was used or why it was rejected (a guardrail) or failed (timeout, refusal, bad output)."`
	// Requests are the turn's requests to the tenant's endpoints.
	Requests []scripting.RequestUse `json:"requests,omitempty" doc:"The requests the turn's state made to the tenant's script endpoints (its http): endpoint, method, path (long digit runs masked, query left out), status, latency, and why it failed."`
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
	// What the call captured.
	Vars        map[string]any `json:"vars" doc:"The script's c.vars when the call ended (secrets a callee read out are redacted)." example:"{\"promiseDate\":\"2026-12-02\"}"`
	Slots       map[string]any `json:"slots" doc:"Every slot the call heard (a later one of the same name wins): date, time, datetime, number, amount." example:"{\"date\":\"2026-12-02\"}"`
	LastIntent  string         `json:"last_intent,omitempty" doc:"The intent of the last thing the callee said that had one." example:"promise"`
	CallbackAt  *time.Time     `json:"callback_at,omitempty" doc:"The time the callee asked to be called back, in their time zone; the contact's next attempt is scheduled then, within quiet hours, caps and the do-not-call list."`
	ModelTokens int            `json:"model_tokens,omitempty" doc:"Tokens the tenant's language model used on the call (metered)."`
	CallerID    string         `json:"caller_id,omitempty" example:"+862150001234" doc:"The number the call went out with, from its trunk's caller IDs (the tenant's own number)."`
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
	b.LastIntent, b.CallbackAt, b.Slots, b.Vars, b.ModelTokens = c.LastIntent, c.CallbackAt, c.Slots, map[string]any{}, c.ModelTokens
	b.CallerID = c.CallerID
	if len(c.Vars) > 0 {
		_ = json.Unmarshal(c.Vars, &b.Vars)
	}
	if b.Slots == nil {
		b.Slots = map[string]any{}
	}
	b.SensitiveHits = make([]SensitiveHitBody, 0, len(c.SensitiveHits))
	for _, h := range c.SensitiveHits {
		b.SensitiveHits = append(b.SensitiveHits, SensitiveHitBody{Word: h.Word, Turn: h.Turn, Where: h.Where})
	}
	if r := c.Review; r != nil {
		b.Review = &ReviewBody{Status: r.Status, ReviewerUserID: r.UserID, ReviewerKeyID: r.KeyID, Note: r.Note, ReviewedAt: r.ReviewedAt}
	}
	for _, t := range c.Turns {
		tb := TurnBody{Seq: t.Seq, State: t.State, Said: t.Said, Heard: t.Heard, Intent: t.Intent, Sentiment: t.Sentiment,
			StartedAt: t.StartedAt, EndedAt: t.EndedAt, Emotion: t.Emotion}
		if len(t.Model) > 0 {
			var m scripting.ModelUse
			if json.Unmarshal(t.Model, &m) == nil {
				tb.Model = &m
			}
		}
		if len(t.Requests) > 0 {
			_ = json.Unmarshal(t.Requests, &tb.Requests)
		}
		b.Turns = append(b.Turns, tb)
	}
	return b
}

type callPath struct {
	CallID uuid.UUID `path:"call_id" doc:"The call's id."`
}

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
	Outcome    string    `query:"outcome" enum:"answered,busy,no_answer,failed,interrupted,invalid_number,unreachable,rejected,voicemail,transferred" doc:"Only calls that ended so." example:"answered"`
	State      string    `query:"state" enum:"refused,dialling,in_call,ended" doc:"Only attempts in this state." example:"ended"`
	Phone      string    `query:"phone" maxLength:"20" doc:"A full number in E.164 (+8613812341234), matched exactly; or, for operators and stronger, who see numbers in full, its last 3 to 15 digits (1234), matched at the end. Viewers see numbers masked and may give only a full number: trying endings would reveal the masked digits, so a viewer's ending is a 403." example:"+8613812341234"`
	Tag        string    `query:"tag" maxLength:"100" doc:"Only calls with this tag." example:"review_required"`
	Review     string    `query:"review" enum:"pending,approved,flagged" doc:"Only calls whose review stands so: pending is the review queue." example:"pending"`
	From       time.Time `query:"from" doc:"Only attempts made at or after this time (RFC 3339)." example:"2026-11-01T00:00:00+08:00"`
	To         time.Time `query:"to" doc:"Only attempts made before this time (RFC 3339)." example:"2026-12-01T00:00:00+08:00"`
}

func (in *searchCallsInput) filter(p tenants.Principal) (campaigns.CallFilter, error) {
	f := campaigns.CallFilter{Outcome: telephony.Outcome(in.Outcome), State: in.State, Phone: in.Phone, Tag: in.Tag, Review: in.Review}
	if in.Phone != "" && !p.SeesNumbers() {
		// A viewer sees 138****1234; the end of a number is matched digit by
		// digit, so trying endings (01234, 11234, …) would recover the masked
		// digits one at a time. A whole number matched exactly tells the
		// viewer nothing it did not type.
		raw := strings.TrimSpace(in.Phone)
		if !strings.HasPrefix(raw, "+") {
			return f, huma.NewError(http.StatusForbidden, "viewers see numbers masked, so they may search by a full number only, "+
				"with + and country code (+8613812341234); searching by the last digits needs the operator role or stronger",
				&huma.ErrorDetail{Location: "query.phone", Message: "a viewer cannot search by the last digits of a number", Value: in.Phone})
		}
		e164, err := phone.Normalise(raw, "")
		if err != nil {
			return f, huma.NewError(http.StatusUnprocessableEntity, "phone is not a full number",
				&huma.ErrorDetail{Location: "query.phone", Message: "give a full number with + and country code", Value: in.Phone})
		}
		f.Phone = e164
	}
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

// registerCalls adds the operations on call records: a campaign's, the
// tenant-wide search, and reviews of calls that hit a sensitive word.
func (s *Server) registerCalls() {
	read := requires("calls:read")
	s.register("Calls", authErrors, []operation{
		{id: "list-campaign-calls", route: "GET /v1/campaigns/{campaign_id}/calls", summary: "List a campaign's call records", security: read, errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
			desc: "One record per attempt, refusals included, oldest first.", handler: handle(s.listCampaignCalls)},
		{id: "search-calls", route: "GET /v1/calls", summary: "Search the tenant's call records", security: read, errs: []int{http.StatusUnprocessableEntity}, handler: handle(s.searchCalls),
			desc: "Every attempt of every campaign, refusals included, newest first, without turns. Filters combine: " +
				"`?tag=review_required&from=2026-11-01T00:00:00Z` lists the calls to review since November. " +
				"Numbers are masked (138****1234) for viewers, as everywhere; a viewer's phone filter takes a full number only, " +
				"matched exactly, since trying the last digits one ending at a time would reveal the masked ones."},
		{id: "review-call", route: "POST /v1/calls/{call_id}/review", summary: "Review a call that hit a sensitive word", security: requires("calls:review"),
			errs: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity}, handler: handle(s.reviewCall),
			desc: "Approves or flags a call tagged review_required (its sensitive_hits say which words, in which turns), with a note; " +
				"the reviewer and the time are recorded, and a later review replaces an earlier one. " +
				"`GET /v1/calls?review=pending` is the queue. A call without sensitive words is a 409. Needs the operator role."},
		{id: "get-call", route: "GET /v1/calls/{call_id}", summary: "Get a call record with its turns", security: read, errs: []int{http.StatusNotFound}, handler: handle(s.getCall)},
	})
}

func (s *Server) listCampaignCalls(ctx context.Context, in *callsInput) (*callsOutput, error) {
	return s.callsPage(ctx, in.PageInput, func(limit int, after *uuid.UUID) ([]campaigns.Call, error) {
		return s.campaigns.ListCalls(ctx, principal(ctx), in.CampaignID, limit, after)
	})
}

func (s *Server) searchCalls(ctx context.Context, in *searchCallsInput) (*callsOutput, error) {
	// The filter is read once the cursor is, so that a bad cursor is the
	// error answered first.
	return s.callsPage(ctx, in.PageInput, func(limit int, after *uuid.UUID) ([]campaigns.Call, error) {
		f, err := in.filter(principal(ctx))
		if err != nil {
			return nil, err
		}
		return s.campaigns.SearchCalls(ctx, principal(ctx), f, limit, after)
	})
}

// callsPage answers one page of the call records calls fetches.
func (s *Server) callsPage(ctx context.Context, in PageInput, calls func(limit int, after *uuid.UUID) ([]campaigns.Call, error)) (*callsOutput, error) {
	out := &callsOutput{}
	if err := listPage(s, ctx, in, calls, func(c *campaigns.Call) uuid.UUID { return c.ID }, forCaller(ctx, callBody), &out.Body.Items, &out.Body.NextCursor); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) reviewCall(ctx context.Context, in *reviewCallInput) (*output[CallBody], error) {
	c, err := s.campaigns.ReviewCall(ctx, principal(ctx), in.CallID, in.Body.Status, in.Body.Note)
	return reply(s, ctx, forCaller(ctx, callBody), c, err)
}

func (s *Server) getCall(ctx context.Context, in *callPath) (*output[CallBody], error) {
	c, err := s.campaigns.GetCall(ctx, principal(ctx), in.CallID)
	return reply(s, ctx, forCaller(ctx, callBody), c, err)
}
