package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/outcall/outcall/billing"
)

// PlanBody describes a plan and what it allows.
type PlanBody struct {
	Name               string   `json:"name" example:"payg" doc:"The plan's key: trial, payg, pro, or one the platform's operators made."`
	Title              string   `json:"title" example:"Pay as you go"`
	ConcurrentLines    int      `json:"concurrent_lines" doc:"Calls in progress at once."`
	CallsPerSecond     float64  `json:"calls_per_second" doc:"The pace of new dials the plan allows across all the tenant's campaigns, 0 for none of its own; the compliance settings' calls_per_second may only pace slower."`
	DailyCalls         int      `json:"daily_calls" doc:"Dials started per day, in the tenant's time zone."`
	ScriptCPUPerTurnMS int64    `json:"script_cpu_per_turn_ms" doc:"How long a dialog script may run per turn."`
	IncludedMinutes    int64    `json:"included_minutes" doc:"Connected minutes the plan allows in all (the trial's); 0 means no such limit."`
	Destinations       []string `json:"destinations" example:"[\"CN\"]" doc:"ISO 3166 regions whose numbers may be dialled; empty means any. A dial elsewhere is refused (destination_not_in_plan), and so is a script's transfer to a number elsewhere."`
	PerMinuteCents     int64    `json:"per_minute_cents" doc:"Price of a started minute of a connected call."`
	PerAttemptCents    int64    `json:"per_attempt_cents" doc:"Price of a dial attempt."`
	MonthlyCents       int64    `json:"monthly_cents" doc:"Committed monthly fee."`
	Currency           string   `json:"currency" example:"usd"`
}

func planBody(p billing.Plan) PlanBody {
	return PlanBody{Name: p.Name, Title: p.Title, ConcurrentLines: p.ConcurrentLines, CallsPerSecond: p.CallsPerSecond, DailyCalls: p.DailyCalls,
		ScriptCPUPerTurnMS: p.ScriptCPUPerTurn.Milliseconds(), IncludedMinutes: p.IncludedMinutes, Destinations: append([]string{}, p.Destinations...),
		PerMinuteCents: p.PerMinuteCents, PerAttemptCents: p.PerAttemptCents, MonthlyCents: p.MonthlyCents, Currency: p.Currency}
}

// BillingNoticeBody is something billing told the tenant.
type BillingNoticeBody struct {
	ID          uuid.UUID `json:"id"`
	Kind        string    `json:"kind" enum:"usage_80,usage_100,payment_failed"`
	PeriodStart string    `json:"period_start" format:"date"`
	Message     string    `json:"message"`
	CreatedAt   time.Time `json:"created_at"`
}

// BillingBody is a tenant's billing state.
type BillingBody struct {
	Enabled            bool                `json:"enabled" doc:"Whether this outcall charges through Stripe. When false, usage is still recorded and shown, and checkout and the portal answer 409."`
	Plan               PlanBody            `json:"plan"`
	Plans              []PlanBody          `json:"plans" doc:"The plans on offer (and the tenant's own), cheapest first."`
	CanDial            bool                `json:"can_dial" doc:"Whether new dials are allowed now; calls in progress always finish."`
	DialRefusal        string              `json:"dial_refusal,omitempty" enum:"suspended,payment_overdue,trial_used_up,hard_budget_reached" doc:"Why new dials are refused."`
	DialRefusalMessage string              `json:"dial_refusal_message,omitempty"`
	Subscribed         bool                `json:"subscribed" doc:"Whether the tenant has a Stripe customer."`
	SubscriptionStatus string              `json:"subscription_status,omitempty" example:"active"`
	BudgetCents        *int64              `json:"budget_cents" doc:"Monthly budget: 80 % and 100 % of it raise usage.threshold_reached."`
	HardBudgetCents    *int64              `json:"hard_budget_cents" doc:"Monthly usage at which new dials stop."`
	PaymentFailedAt    *time.Time          `json:"payment_failed_at,omitempty"`
	DiallingStopsAt    *time.Time          `json:"dialling_stops_at,omitempty" doc:"End of the grace period after a failed payment."`
	Notices            []BillingNoticeBody `json:"notices" doc:"The newest notices, newest first."`
}

// billingBody shows an account's billing state with no plans or notices
// listed; get-billing lists both, set-budget answers without them.
func billingBody(a *billing.Account) BillingBody {
	return BillingBody{Enabled: a.Enabled, Plan: planBody(a.Limits.Plan), CanDial: a.DialRefusal == "",
		DialRefusal: a.DialRefusal, DialRefusalMessage: a.DialRefusalMessage, Subscribed: a.Subscribed, SubscriptionStatus: a.SubscriptionStatus,
		BudgetCents: a.BudgetCents, HardBudgetCents: a.HardBudgetCents, PaymentFailedAt: a.PaymentFailedAt, DiallingStopsAt: a.PaymentGraceUntil,
		Plans: []PlanBody{}, Notices: []BillingNoticeBody{}}
}

// UsageTotalsBody adds up usage.
type UsageTotalsBody struct {
	Calls        int64 `json:"calls" doc:"Connected calls."`
	Minutes      int64 `json:"minutes" doc:"Billable minutes: every started minute of a connected call."`
	Attempts     int64 `json:"attempts" doc:"Dial attempts charged."`
	AmountCents  int64 `json:"amount_cents" doc:"Estimated charge at list prices."`
	ModelTokens  int64 `json:"model_tokens" doc:"Tokens the tenant's language model used on calls (prompt and completion)."`
	SMSMessages  int64 `json:"sms_messages" doc:"Follow-up messages the tenant's SMS provider took, as the provider counts them (a long text is several); billed by the provider, not priced by the plan."`
	AgentSeconds int64 `json:"agent_seconds" doc:"Seconds agents at the desk spent on calls the robot handed them; not priced by the plan."`
}

func totalsBody(t billing.UsageTotals) UsageTotalsBody {
	return UsageTotalsBody{Calls: t.Calls, Minutes: t.Minutes, Attempts: t.Attempts, AmountCents: t.AmountCents, ModelTokens: t.ModelTokens, SMSMessages: t.SMSMessages, AgentSeconds: t.AgentSeconds}
}

// CampaignUsageBody is one campaign's usage.
type CampaignUsageBody struct {
	CampaignID *uuid.UUID `json:"campaign_id" doc:"null for calls outside campaigns."`
	UsageTotalsBody
}

// DayUsageBody is one day's usage (UTC).
type DayUsageBody struct {
	Day string `json:"day" format:"date"`
	UsageTotalsBody
}

// UsageBody is a month's usage.
type UsageBody struct {
	PeriodStart    string              `json:"period_start" format:"date" doc:"First day of the month (UTC)."`
	PeriodEnd      string              `json:"period_end" format:"date" doc:"First day of the next month."`
	Plan           string              `json:"plan"`
	Currency       string              `json:"currency"`
	Totals         UsageTotalsBody     `json:"totals"`
	EstimatedCents int64               `json:"estimated_cents" doc:"Usage plus the plan's monthly fee."`
	ByCampaign     []CampaignUsageBody `json:"by_campaign"`
	ByDay          []DayUsageBody      `json:"by_day"`
	Reported       map[string]int64    `json:"stripe_rows" doc:"Ledger rows by Stripe state: pending, reported, not_billed, failed."`
}

type usageInput struct {
	Month string `query:"month" pattern:"^[0-9]{4}-[0-9]{2}$" example:"2026-11" doc:"The month (UTC); empty for the current one."`
}

type budgetInput struct {
	Body struct {
		BudgetCents     *int64 `json:"budget_cents" required:"false" minimum:"1" doc:"Monthly budget for threshold notices; null for none."`
		HardBudgetCents *int64 `json:"hard_budget_cents" required:"false" minimum:"1" doc:"Monthly usage at which new dials stop; null for none."`
	}
}

type checkoutInput struct {
	Body struct {
		Plan       string `json:"plan" minLength:"1" maxLength:"40" example:"payg" doc:"A plan of get-billing's plans that is sold through Stripe."`
		SuccessURL string `json:"success_url" format:"uri" maxLength:"2000" example:"https://app.example.com/billing?ok=1"`
		CancelURL  string `json:"cancel_url" format:"uri" maxLength:"2000" example:"https://app.example.com/billing"`
	}
}

type portalInput struct {
	Body struct {
		ReturnURL string `json:"return_url" format:"uri" maxLength:"2000" example:"https://app.example.com/billing"`
	}
}

type redirectOutput struct {
	Body struct {
		URL string `json:"url" doc:"Send the person here (a Stripe-hosted page)."`
	}
}

type stripeWebhookInput struct {
	Signature string `header:"Stripe-Signature" required:"true" doc:"Stripe's signature of the body."`
	RawBody   []byte `contentType:"application/json"`
}

type stripeWebhookOutput struct {
	Body struct {
		Received bool   `json:"received"`
		Outcome  string `json:"outcome" enum:"applied,replay,stale,ignored"`
	}
}

// registerBilling adds plans, usage, budgets, Stripe checkout and the
// webhook Stripe calls.
func (s *Server) registerBilling() {
	read, manage := requires("billing:read"), requires("billing:manage")
	stripeErrs := []int{http.StatusConflict, http.StatusUnprocessableEntity, http.StatusServiceUnavailable}
	s.register("Billing", authErrors, []operation{
		{id: "get-billing", route: "GET /v1/billing", summary: "Plan, limits and billing state", security: read,
			desc: "The tenant's plan and its limits, whether new dials are allowed (and why not), budgets, payment state and recent notices.", handler: handle(s.getBilling)},
		{id: "get-usage", route: "GET /v1/billing/usage", summary: "Usage of a month", security: read, errs: []int{http.StatusUnprocessableEntity}, handler: handle(s.getUsage),
			desc: "Connected calls, billable minutes (every started minute), attempts and the estimated charge of a calendar month (UTC), " +
				"in all, per campaign and per day. Recorded whether or not billing through Stripe is on."},
		{id: "set-budget", route: "PUT /v1/billing/budget", summary: "Set budgets", security: manage, errs: []int{http.StatusUnprocessableEntity}, handler: handle(s.setBudget),
			desc: "Sets the monthly budget (80 % and 100 % of it raise usage.threshold_reached, once a month each) and the hard budget " +
				"(new dials stop when this month's usage reaches it; calls in progress finish). Needs the owner role."},
		{id: "create-checkout-session", route: "POST /v1/billing/checkout", summary: "Subscribe to a plan", security: manage, errs: stripeErrs, handler: handle(s.createCheckoutSession),
			desc: "Opens a Stripe Checkout page that subscribes the tenant to a plan. A tenant with a subscription changes plan in the " +
				"billing portal instead (409). Answers 409 when billing is off. Needs the owner role."},
		{id: "create-portal-session", route: "POST /v1/billing/portal", summary: "Open the billing portal", security: manage, errs: stripeErrs, handler: handle(s.createPortalSession),
			desc: "Opens Stripe's Customer Portal, where the owner changes plan or payment method and sees invoices. " +
				"Answers 409 before the first subscription or when billing is off. Needs the owner role."},
	})
	// Stripe calls the webhook without credentials: its signature is checked instead.
	s.register("Billing", nil, []operation{
		{id: "stripe-webhook", route: "POST /v1/stripe/webhook", summary: "Stripe webhook", errs: []int{http.StatusBadRequest, http.StatusConflict},
			// The signature covers the exact bytes: nothing may parse them
			// first. Stripe's events are a few kilobytes; a public endpoint
			// reads no more than 1 MiB of anyone's body.
			more: huma.Operation{SkipValidateBody: true, MaxBodyBytes: 1 << 20}, handler: handle(s.stripeWebhook),
			desc: "Where Stripe sends invoice.paid, invoice.payment_failed and customer.subscription.* events. " +
				"The Stripe-Signature header must verify with the configured webhook secret (400 otherwise). Events apply once each; " +
				"replays and out-of-order deliveries change nothing."},
	})
}

func (s *Server) getBilling(ctx context.Context, _ *struct{}) (*output[BillingBody], error) {
	a, err := s.cfg.Billing.Account(ctx, principal(ctx))
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &output[BillingBody]{Body: billingBody(a)}
	for _, p := range a.Plans {
		out.Body.Plans = append(out.Body.Plans, planBody(p))
	}
	for _, n := range a.Notices {
		out.Body.Notices = append(out.Body.Notices, BillingNoticeBody{ID: n.ID, Kind: n.Kind, PeriodStart: n.PeriodStart.Format(time.DateOnly), Message: n.Message, CreatedAt: n.CreatedAt})
	}
	return out, nil
}

func (s *Server) getUsage(ctx context.Context, in *usageInput) (*output[UsageBody], error) {
	var at time.Time
	if in.Month != "" {
		var err error
		if at, err = time.Parse("2006-01", in.Month); err != nil {
			return nil, huma.NewError(http.StatusUnprocessableEntity, "month must look like 2026-11",
				&huma.ErrorDetail{Location: "query.month", Message: "not a month", Value: in.Month})
		}
	}
	r, err := s.cfg.Billing.Usage(ctx, principal(ctx), at)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	body := UsageBody{PeriodStart: r.PeriodStart.Format(time.DateOnly), PeriodEnd: r.PeriodEnd.Format(time.DateOnly),
		Plan: r.Plan.Name, Currency: r.Plan.Currency, Totals: totalsBody(r.Totals), EstimatedCents: r.EstimatedCents,
		ByCampaign: []CampaignUsageBody{}, ByDay: []DayUsageBody{}, Reported: r.Reported}
	for _, c := range r.ByCampaign {
		body.ByCampaign = append(body.ByCampaign, CampaignUsageBody{CampaignID: c.CampaignID, UsageTotalsBody: totalsBody(c.UsageTotals)})
	}
	for _, d := range r.ByDay {
		body.ByDay = append(body.ByDay, DayUsageBody{Day: d.Day.Format(time.DateOnly), UsageTotalsBody: totalsBody(d.UsageTotals)})
	}
	return &output[UsageBody]{Body: body}, nil
}

func (s *Server) setBudget(ctx context.Context, in *budgetInput) (*output[BillingBody], error) {
	if err := s.cfg.Billing.SetBudget(ctx, principal(ctx), in.Body.BudgetCents, in.Body.HardBudgetCents); err != nil {
		return nil, s.problem(ctx, err)
	}
	a, err := s.cfg.Billing.Account(ctx, principal(ctx))
	return reply(s, ctx, billingBody, a, err)
}

func (s *Server) createCheckoutSession(ctx context.Context, in *checkoutInput) (*redirectOutput, error) {
	url, err := s.cfg.Billing.Checkout(ctx, principal(ctx), in.Body.Plan, in.Body.SuccessURL, in.Body.CancelURL)
	return s.redirectTo(ctx, url, err)
}

func (s *Server) createPortalSession(ctx context.Context, in *portalInput) (*redirectOutput, error) {
	url, err := s.cfg.Billing.Portal(ctx, principal(ctx), in.Body.ReturnURL)
	return s.redirectTo(ctx, url, err)
}

// redirectTo answers with the Stripe page to send the person to, or with
// the problem err describes.
func (s *Server) redirectTo(ctx context.Context, url string, err error) (*redirectOutput, error) {
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &redirectOutput{}
	out.Body.URL = url
	return out, nil
}

func (s *Server) stripeWebhook(ctx context.Context, in *stripeWebhookInput) (*stripeWebhookOutput, error) {
	res, err := s.cfg.Billing.HandleWebhook(ctx, in.RawBody, in.Signature)
	if errors.Is(err, billing.ErrSignature) {
		return nil, huma.NewError(http.StatusBadRequest, "the Stripe-Signature header does not verify")
	}
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &stripeWebhookOutput{}
	out.Body.Received, out.Body.Outcome = true, res.Outcome
	return out, nil
}
