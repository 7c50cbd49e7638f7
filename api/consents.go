package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/outcall/outcall/contacts"
)

// ConsentBody is consent evidence.
type ConsentBody struct {
	ID          uuid.UUID  `json:"id"`
	Phone       string     `json:"phone" example:"+8613812341234" doc:"Masked (138****1234) unless the caller may see numbers in full: operators and stronger may, viewers (people and API keys with the viewer role) may not."`
	Source      string     `json:"source" example:"web form 2026-11 signup, checkbox 3"`
	Scope       string     `json:"scope" example:"order reminders"`
	GivenAt     time.Time  `json:"given_at"`
	RecordedAt  time.Time  `json:"recorded_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at,omitempty"`
}

type consentInput struct {
	Source  string     `json:"source" minLength:"1" maxLength:"500" doc:"Where the consent came from: a form, a recording, a contract."`
	Scope   string     `json:"scope,omitempty" maxLength:"500" doc:"What the callee agreed to."`
	GivenAt *time.Time `json:"given_at,omitempty" doc:"When it was given; default now."`
}

func (c *consentInput) domain() *contacts.ConsentInput {
	if c == nil {
		return nil
	}
	in := &contacts.ConsentInput{Source: c.Source, Scope: c.Scope}
	if c.GivenAt != nil {
		in.GivenAt = *c.GivenAt
	}
	return in
}

type phonePath struct {
	Phone string `path:"phone" maxLength:"40" example:"+8613812341234" doc:"A phone number, E.164 or national."`
}

type consentCreateInput struct {
	Body struct {
		Phone   string     `json:"phone" minLength:"1" maxLength:"40" example:"13812341234"`
		Source  string     `json:"source" minLength:"1" maxLength:"500" doc:"Where the consent came from: a form, a recording, a contract."`
		Scope   string     `json:"scope,omitempty" maxLength:"500" doc:"What the callee agreed to."`
		GivenAt *time.Time `json:"given_at,omitempty" doc:"When it was given; default now."`
	}
}

type withdrawOutput struct {
	Body struct {
		Withdrawn int64 `json:"withdrawn" doc:"Consent records marked withdrawn."`
	}
}

// registerConsents adds recording and withdrawing consent evidence.
func (s *Server) registerConsents() {
	write := requires("contacts:write")
	s.register("Do-not-call", authErrors, []operation{
		{id: "record-consent", route: "POST /v1/consents", status: http.StatusCreated, summary: "Record consent evidence", security: write, errs: []int{http.StatusUnprocessableEntity},
			desc: "Where a tenant or campaign dials consented numbers only, a number without consent is refused with reason no_consent.", handler: handle(s.recordConsent)},
		{id: "withdraw-consent", route: "DELETE /v1/consents/{phone}", summary: "Withdraw a number's consent", security: write, errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity}, handler: handle(s.withdrawConsent)},
	})
}

func consentBody(ctx context.Context, c *contacts.Consent) ConsentBody {
	return ConsentBody{ID: c.ID, Phone: showPhone(ctx, c.Phone), Source: c.Source, Scope: c.Scope, GivenAt: c.GivenAt,
		RecordedAt: c.RecordedAt, WithdrawnAt: c.WithdrawnAt}
}

func (s *Server) recordConsent(ctx context.Context, in *consentCreateInput) (*output[ConsentBody], error) {
	ci := consentInput{Source: in.Body.Source, Scope: in.Body.Scope, GivenAt: in.Body.GivenAt}
	c, err := s.contacts.RecordConsent(ctx, principal(ctx), in.Body.Phone, *ci.domain())
	return reply(s, ctx, forCaller(ctx, consentBody), c, err)
}

func (s *Server) withdrawConsent(ctx context.Context, in *phonePath) (*withdrawOutput, error) {
	n, err := s.contacts.WithdrawConsent(ctx, principal(ctx), in.Phone)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	if n == 0 {
		return nil, huma.NewError(http.StatusNotFound, "no consent on record for this number")
	}
	out := &withdrawOutput{}
	out.Body.Withdrawn = n
	return out, nil
}
