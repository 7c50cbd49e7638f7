package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/outcall/outcall/campaigns"
)

// ComplianceBody is a tenant's compliance settings, or a campaign's
// tightening of them (where zero or absent fields follow the tenant).
type ComplianceBody struct {
	MaxDailyCalls          int      `json:"max_daily_calls,omitempty" minimum:"0" maximum:"100" example:"3" doc:"Calls per number per calendar day in the callee's time zone, all campaigns together."`
	QuietHours             []string `json:"quiet_hours,omitempty" maxItems:"2" example:"[\"21:00\",\"09:00\"]" doc:"[start, end] in the callee's local time; [] for none."`
	Weekdays               []string `json:"weekdays,omitempty" maxItems:"7" example:"[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"]"`
	Holidays               []string `json:"holidays,omitempty" maxItems:"400" example:"[\"2026-10-01\"]" doc:"Dates without calls, in the callee's calendar."`
	MinRetryInterval       string   `json:"min_retry_interval,omitempty" maxLength:"20" example:"30m" doc:"Least time between two dials of one number."`
	MaxConcurrentLines     int      `json:"max_concurrent_lines,omitempty" minimum:"0" example:"50" doc:"Calls in progress at once (also capped by the plan)."`
	CallsPerSecond         float64  `json:"calls_per_second,omitempty" minimum:"0" example:"10" doc:"New dials per second toward the trunk, across all the tenant's campaigns at once (a campaign may set a slower pace of its own); within the plan's calls_per_second when it sets one."`
	SensitiveWords         []string `json:"sensitive_words,omitempty" maxItems:"500" example:"[\"转账\",\"密码\",\"验证码\"]"`
	RecordingRetentionDays int      `json:"recording_retention_days,omitempty" minimum:"0" example:"180"`
	ConsentedOnly          bool     `json:"consented_only,omitempty" doc:"Dial only numbers with consent on record; others are refused with reason no_consent."`
	MaxDailyMessages       int      `json:"max_daily_messages,omitempty" minimum:"0" maximum:"20" example:"1" doc:"Follow-up messages (SMS) per number per calendar day in the recipient's time zone, all campaigns together; default 1."`
	AIDisclosure           string   `json:"ai_disclosure,omitempty" maxLength:"600" example:"default" doc:"Said at the start of every answered call, before the script's greeting, and never cut off by the callee: default (the built-in words in the script's language, such as 您好,本次通话由人工智能语音助手为您服务。), off (none), or your own words (at most 200 characters). A campaign can neither turn off nor reword its tenant's disclosure; it may add one where the tenant says none. Recordings are labelled as AI-generated in their metadata either way."`
}

func complianceBody(c campaigns.Compliance) ComplianceBody {
	b := ComplianceBody{MaxDailyCalls: c.MaxDailyCalls, QuietHours: c.QuietHours, Weekdays: c.Weekdays, Holidays: c.Holidays,
		MaxConcurrentLines: c.MaxConcurrentLines, CallsPerSecond: c.CallsPerSecond, SensitiveWords: c.SensitiveWords,
		RecordingRetentionDays: c.RecordingRetentionDays, ConsentedOnly: c.ConsentedOnly, AIDisclosure: c.AIDisclosure, MaxDailyMessages: c.MaxDailyMessages}
	if c.MinRetryInterval != 0 {
		b.MinRetryInterval = time.Duration(c.MinRetryInterval).String()
	}
	return b
}

func (b ComplianceBody) domain(field string) (campaigns.Compliance, error) {
	c := campaigns.Compliance{MaxDailyCalls: b.MaxDailyCalls, QuietHours: b.QuietHours, Weekdays: b.Weekdays, Holidays: b.Holidays,
		MaxConcurrentLines: b.MaxConcurrentLines, CallsPerSecond: b.CallsPerSecond, SensitiveWords: b.SensitiveWords,
		RecordingRetentionDays: b.RecordingRetentionDays, ConsentedOnly: b.ConsentedOnly, AIDisclosure: b.AIDisclosure, MaxDailyMessages: b.MaxDailyMessages}
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

type complianceInput struct{ Body ComplianceBody }

// registerCompliance adds the tenant's compliance settings, which every
// dial is checked against.
func (s *Server) registerCompliance() {
	s.register("Campaigns", authErrors, []operation{
		{id: "get-compliance", route: "GET /v1/compliance", summary: "Get the compliance settings", security: requires("campaigns:read"),
			desc: "The rules every dial is checked against (defaults where the tenant set nothing).", handler: handle(s.getCompliance)},
		{id: "set-compliance", route: "PUT /v1/compliance", summary: "Replace the compliance settings", security: requires("settings:manage"), errs: []int{http.StatusUnprocessableEntity},
			desc: "Applies to the next dial of every campaign. Needs the admin role.", handler: handle(s.setCompliance)},
	})
}

func (s *Server) getCompliance(ctx context.Context, _ *struct{}) (*output[ComplianceBody], error) {
	c, err := s.campaigns.Compliance(ctx, principal(ctx))
	return reply(s, ctx, complianceBody, c, err)
}

func (s *Server) setCompliance(ctx context.Context, in *complianceInput) (*output[ComplianceBody], error) {
	c, err := in.Body.domain("body")
	if err != nil {
		return nil, err
	}
	c, err = s.campaigns.SetCompliance(ctx, principal(ctx), c)
	return reply(s, ctx, complianceBody, c, err)
}
