package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/google/uuid"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/tenants/admin"
)

// The admin API is the platform operators' (package admin): plans, which
// plan each tenant is on, suspension, and every tenant's usage. It is a
// second huma API on a listener of its own (`outcall serve --admin-addr`,
// off by default) rather than a path prefix of the tenants' API, so that:
//   - an operator decides where it can be reached (loopback, a private
//     network) apart from the public API, and a proxy or firewall rule for
//     the public port cannot expose it by mistake;
//   - its operations are in a document of their own (GET /openapi.json on
//     that listener), never in the tenants' OpenAPI document, client or
//     portal;
//   - none of the tenants' middleware (sessions, API keys, per-tenant rate
//     limits, idempotency keyed by tenant) applies to it, nor its
//     platform-admin tokens to the tenants' API.

// AdminConfig is what the admin API needs.
type AdminConfig struct {
	// Admin is the operators' service; nil serves only the document (to
	// generate it).
	Admin  *admin.Service
	Logger *slog.Logger
	// Version is reported in the OpenAPI document.
	Version string
}

// AdminServer is the admin API's HTTP interface.
type AdminServer struct {
	cfg     AdminConfig
	log     *slog.Logger
	api     huma.API
	handler http.Handler
}

const schemeAdmin = "adminToken"

// adminOnly is the security requirement of every admin operation.
var adminOnly = []map[string][]string{{schemeAdmin: {}}}

// NewAdmin builds the admin API and registers its operations.
func NewAdmin(cfg AdminConfig) *AdminServer {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Version == "" {
		cfg.Version = "1.0.0"
	}
	s := &AdminServer{cfg: cfg, log: cfg.Logger}
	mux := http.NewServeMux()
	hc := huma.DefaultConfig("outcall admin API", cfg.Version)
	hc.Info.Description = "For the operators of an outcall deployment, not its tenants: plans and their limits, which plan each tenant is on, " +
		"suspension, and every tenant's usage. Served on its own listener (`outcall serve --admin-addr`). " +
		"Authenticate with `Authorization: Bearer <admin token>`; tokens are made with `outcall admin token create` on a machine with the database. " +
		"Every change is recorded in the audit trail (GET /admin/v1/audit)."
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		schemeAdmin: {Type: "http", Scheme: "bearer", Description: "A platform-admin token, `oca_…`, made by `outcall admin token create`."},
	}
	hc.Tags = []*huma.Tag{
		{Name: "Plans", Description: "What tenants may do and what it costs."},
		{Name: "Tenants", Description: "Every tenant: its plan, suspension and usage."},
		{Name: "Scripts", Description: "Tenant scripts the script hosts refuse because one brought a host down."},
		{Name: "Audit", Description: "What operators changed."},
	}
	s.api = humago.New(mux, hc)
	s.api.UseMiddleware(s.authenticate)
	s.registerPlans()
	s.registerTenants()
	s.registerScripts()
	s.handler = s.recoverer(mux)
	return s
}

// Handler serves the admin API.
func (s *AdminServer) Handler() http.Handler { return s.handler }

// OpenAPI returns the admin API's own document.
func (s *AdminServer) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

// register adds operations, as Server.register does, each answering 401
// besides its own errors.
func (s *AdminServer) register(tag string, ops []operation) {
	for _, o := range ops {
		op := o.more
		op.Method, op.Path, _ = strings.Cut(o.route, " ")
		op.OperationID, op.Summary, op.Description = o.id, o.summary, o.desc
		op.Tags, op.Security, op.DefaultStatus = []string{tag}, adminOnly, o.status
		op.Errors = append([]int{http.StatusUnauthorized}, o.errs...)
		o.handler(s.api, op)
	}
}

// authenticate admits a request with a valid platform-admin token and
// logs who did what; tenants' API keys and sessions mean nothing here.
func (s *AdminServer) authenticate(ctx huma.Context, next func(huma.Context)) {
	start := time.Now()
	scheme, token, _ := strings.Cut(ctx.Header("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "authentication required: send `Authorization: Bearer <admin token>` (outcall admin token create)")
		return
	}
	if s.cfg.Admin == nil {
		huma.WriteErr(s.api, ctx, http.StatusServiceUnavailable, "this admin API has no database")
		return
	}
	op, err := s.cfg.Admin.Authenticate(ctx.Context(), strings.TrimSpace(token))
	if err != nil {
		if tenants.ErrorCode(err) == tenants.EUnauthorized {
			huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "invalid admin token")
		} else {
			s.log.ErrorContext(ctx.Context(), "admin authentication failed", "error", err)
			huma.WriteErr(s.api, ctx, http.StatusInternalServerError, "internal error")
		}
		return
	}
	next(huma.WithContext(ctx, admin.WithOperator(ctx.Context(), op)))
	s.log.InfoContext(ctx.Context(), "admin request", slog.String("op", ctx.Operation().OperationID), slog.Int("status", ctx.Status()),
		slog.String("operator", op.Name), slog.Duration("elapsed", time.Since(start)))
}

// recoverer turns a panic in a handler into a logged 500.
func (s *AdminServer) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil && v != http.ErrAbortHandler {
				s.log.ErrorContext(r.Context(), "admin handler panicked", slog.Any("panic", v), slog.String("path", r.URL.Path))
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte(`{"title":"Internal Server Error","status":500,"detail":"internal error"}`))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// problem turns a domain error into problem+json, as Server.problem does.
func (s *AdminServer) problem(ctx context.Context, err error) error {
	var se huma.StatusError
	if errors.As(err, &se) {
		return se
	}
	var e *tenants.Error
	if errors.As(err, &e) {
		return errorProblem(e)
	}
	if errors.Is(err, context.Canceled) {
		return huma.NewError(499, "request cancelled")
	}
	s.log.ErrorContext(ctx, "admin request failed", slog.Any("error", err))
	return huma.NewError(http.StatusInternalServerError, "internal error")
}

// adminReply answers with v shown by body, or the problem err describes.
func adminReply[T, B any](s *AdminServer, ctx context.Context, body func(T) B, v T, err error) (*output[B], error) {
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &output[B]{Body: body(v)}, nil
}

func operator(ctx context.Context) admin.Operator {
	op, _ := admin.OperatorFrom(ctx)
	return op
}

// StripePriceBody is one Stripe price of a plan.
type StripePriceBody struct {
	ID        string `json:"id,omitempty" maxLength:"255" example:"price_1PcnQk2eZvKYlo2C" doc:"The price's id; a subscription item with this price belongs to the plan."`
	LookupKey string `json:"lookup_key,omitempty" maxLength:"200" example:"outcall_pro_minutes" doc:"The price's lookup key, for prices found by key."`
	Metered   bool   `json:"metered" required:"false" doc:"Whether the price bills a Billing Meter's usage (else a quantity of one per period)."`
}

// AdminPlanBody is a plan with everything an operator sets: what its
// tenants see of it, and how it is sold.
type AdminPlanBody struct {
	PlanBody
	StripePrices  []StripePriceBody `json:"stripe_prices" doc:"The Stripe prices a subscription to the plan holds; empty: not sold through Stripe."`
	MinutesMeter  string            `json:"minutes_meter" doc:"Event name of the Stripe Billing Meter for minutes; empty: not metered."`
	AttemptsMeter string            `json:"attempts_meter" doc:"Event name of the Stripe Billing Meter for attempts; empty: not metered."`
	Public        bool              `json:"public" doc:"Listed to every tenant; otherwise only to the tenants on it."`
	Version       int64             `json:"version" doc:"1 when created, one more with each change."`
	UpdatedAt     time.Time         `json:"updated_at"`
}

func adminPlanBody(p billing.Plan) AdminPlanBody {
	prices := make([]StripePriceBody, 0, len(p.StripePrices))
	for _, sp := range p.StripePrices {
		prices = append(prices, StripePriceBody(sp))
	}
	return AdminPlanBody{PlanBody: planBody(p), StripePrices: prices, MinutesMeter: p.MinutesMeter, AttemptsMeter: p.AttemptsMeter,
		Public: p.Public, Version: p.Version, UpdatedAt: p.UpdatedAt}
}

// PlanFields are the fields an operator sets on a plan; on a change, those
// left out keep their value.
type PlanFields struct {
	Title              *string            `json:"title,omitempty" required:"false" minLength:"1" maxLength:"100" doc:"Default on create: the name."`
	ConcurrentLines    *int               `json:"concurrent_lines,omitempty" required:"false" minimum:"1" maximum:"100000" doc:"Calls in progress at once. Default on create: 2."`
	CallsPerSecond     *float64           `json:"calls_per_second,omitempty" required:"false" minimum:"0" maximum:"10000" doc:"The pace of new dials the plan allows across all of a tenant's campaigns; 0 (the default): none of its own. A tenant's compliance settings may only pace slower."`
	DailyCalls         *int               `json:"daily_calls,omitempty" required:"false" minimum:"1" maximum:"100000000" doc:"Dials started per day. Default on create: 200."`
	ScriptCPUPerTurnMS *int64             `json:"script_cpu_per_turn_ms,omitempty" required:"false" minimum:"1" maximum:"1000" doc:"The dialog script's CPU budget per turn, at most the sandbox's 1000 ms. Default on create: 50."`
	IncludedMinutes    *int64             `json:"included_minutes,omitempty" required:"false" minimum:"0" doc:"Connected minutes allowed in all; 0 (the default): no such limit."`
	Destinations       *[]string          `json:"destinations,omitempty" required:"false" maxItems:"300" example:"[\"CN\"]" doc:"ISO 3166 regions the tenants may dial; [] (the default): any."`
	PerMinuteCents     *int64             `json:"per_minute_cents,omitempty" required:"false" minimum:"0"`
	PerAttemptCents    *int64             `json:"per_attempt_cents,omitempty" required:"false" minimum:"0"`
	MonthlyCents       *int64             `json:"monthly_cents,omitempty" required:"false" minimum:"0"`
	Currency           *string            `json:"currency,omitempty" required:"false" example:"cny" doc:"ISO 4217, as Stripe spells it (usd, cny, eur, …). Default on create: usd."`
	StripePrices       *[]StripePriceBody `json:"stripe_prices,omitempty" required:"false" maxItems:"20"`
	MinutesMeter       *string            `json:"minutes_meter,omitempty" required:"false" maxLength:"100"`
	AttemptsMeter      *string            `json:"attempts_meter,omitempty" required:"false" maxLength:"100"`
	Public             *bool              `json:"public,omitempty" required:"false" doc:"Listed to every tenant. Default on create: false."`
}

func (f PlanFields) change() billing.PlanChange {
	c := billing.PlanChange{Title: f.Title, ConcurrentLines: f.ConcurrentLines, CallsPerSecond: f.CallsPerSecond, DailyCalls: f.DailyCalls,
		ScriptCPUPerTurnMS: f.ScriptCPUPerTurnMS, IncludedMinutes: f.IncludedMinutes, Destinations: f.Destinations, PerMinuteCents: f.PerMinuteCents,
		PerAttemptCents: f.PerAttemptCents, MonthlyCents: f.MonthlyCents, Currency: f.Currency, MinutesMeter: f.MinutesMeter,
		AttemptsMeter: f.AttemptsMeter, Public: f.Public}
	if f.StripePrices != nil {
		prices := make([]billing.StripePrice, 0, len(*f.StripePrices))
		for _, sp := range *f.StripePrices {
			prices = append(prices, billing.StripePrice(sp))
		}
		c.StripePrices = &prices
	}
	return c
}

type planPath struct {
	Plan string `path:"plan" maxLength:"40" doc:"The plan's name."`
}

type listPlansOutput struct {
	Body struct {
		Items []AdminPlanBody `json:"items" doc:"Every plan, cheapest first."`
	}
}

type createPlanInput struct {
	Body struct {
		Name string `json:"name" minLength:"1" maxLength:"40" pattern:"^[a-z0-9][a-z0-9_-]*$" example:"enterprise" doc:"The plan's key, stored with each tenant on it; it never changes."`
		PlanFields
	}
}

type updatePlanInput struct {
	Plan string `path:"plan" maxLength:"40" doc:"The plan's name."`
	Body PlanFields
}

func (s *AdminServer) registerPlans() {
	bad := []int{http.StatusUnprocessableEntity}
	s.register("Plans", []operation{
		{id: "list-plans", route: "GET /admin/v1/plans", summary: "List plans", handler: handle(s.listPlans),
			desc: "Every plan, cheapest first, public or not."},
		{id: "create-plan", route: "POST /admin/v1/plans", summary: "Create a plan", status: http.StatusCreated,
			errs: append(bad, http.StatusConflict), handler: handle(s.createPlan),
			desc: "Adds a plan. Fields left out take the defaults each one names. A Stripe price may belong to one plan only (409)."},
		{id: "get-plan", route: "GET /admin/v1/plans/{plan}", summary: "Get a plan", errs: []int{http.StatusNotFound}, handler: handle(s.getPlan)},
		{id: "update-plan", route: "PATCH /admin/v1/plans/{plan}", summary: "Change a plan", errs: append(bad, http.StatusNotFound, http.StatusConflict),
			handler: handle(s.updatePlan),
			desc:    "Changes the fields given. Tenants on the plan get its new limits at their next dial check; calls in progress finish as they are."},
	})
}

func (s *AdminServer) listPlans(ctx context.Context, _ *struct{}) (*listPlansOutput, error) {
	plans, err := s.cfg.Admin.Plans(ctx)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &listPlansOutput{}
	out.Body.Items = bodies(plans, func(p *billing.Plan) AdminPlanBody { return adminPlanBody(*p) })
	return out, nil
}

func (s *AdminServer) createPlan(ctx context.Context, in *createPlanInput) (*output[AdminPlanBody], error) {
	p, err := s.cfg.Admin.CreatePlan(ctx, operator(ctx), in.Body.Name, in.Body.PlanFields.change())
	return adminReply(s, ctx, adminPlanBody, p, err)
}

func (s *AdminServer) getPlan(ctx context.Context, in *planPath) (*output[AdminPlanBody], error) {
	p, err := s.cfg.Admin.Plan(ctx, in.Plan)
	return adminReply(s, ctx, adminPlanBody, p, err)
}

func (s *AdminServer) updatePlan(ctx context.Context, in *updatePlanInput) (*output[AdminPlanBody], error) {
	p, err := s.cfg.Admin.UpdatePlan(ctx, operator(ctx), in.Plan, in.Body.change())
	return adminReply(s, ctx, adminPlanBody, p, err)
}

// TenantUsageBody is what a tenant used in the current period.
type TenantUsageBody struct {
	PeriodStart string `json:"period_start" format:"date" doc:"First day of the period (a calendar month, UTC)."`
	Calls       int64  `json:"calls" doc:"Connected calls."`
	Minutes     int64  `json:"minutes" doc:"Billable minutes: every started minute of a connected call."`
	Attempts    int64  `json:"attempts" doc:"Dial attempts charged."`
	AmountCents int64  `json:"amount_cents" doc:"Estimated charge at list prices."`
	Currency    string `json:"currency" doc:"The currency of the tenant's plan."`
}

// AdminTenantBody is a tenant as operators see it.
type AdminTenantBody struct {
	ID          uuid.UUID       `json:"id"`
	Name        string          `json:"name"`
	Plan        string          `json:"plan"`
	Suspended   bool            `json:"suspended" doc:"Whether new dials are refused (calls in progress finish)."`
	SuspendedAt *time.Time      `json:"suspended_at,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	Usage       TenantUsageBody `json:"usage"`
}

func adminTenantBody(t admin.TenantUsage) AdminTenantBody {
	return AdminTenantBody{ID: t.ID, Name: t.Name, Plan: t.Plan, Suspended: t.SuspendedAt != nil, SuspendedAt: t.SuspendedAt, CreatedAt: t.CreatedAt,
		Usage: TenantUsageBody{PeriodStart: t.PeriodStart.Format(time.DateOnly), Calls: t.Calls, Minutes: t.Minutes, Attempts: t.Attempts,
			AmountCents: t.AmountCents, Currency: t.Currency}}
}

type tenantPath struct {
	TenantID uuid.UUID `path:"tenant_id" doc:"The tenant's id."`
}

type listTenantsOutput struct {
	Body struct {
		Items      []AdminTenantBody `json:"items"`
		NextCursor string            `json:"next_cursor" doc:"Pass as cursor for the next page; empty on the last page."`
	}
}

type assignPlanInput struct {
	TenantID uuid.UUID `path:"tenant_id" doc:"The tenant's id."`
	Body     struct {
		Plan string `json:"plan" minLength:"1" maxLength:"40" example:"enterprise"`
	}
}

type suspendInput struct {
	TenantID uuid.UUID `path:"tenant_id" doc:"The tenant's id."`
	Body     struct {
		Reason string `json:"reason,omitempty" required:"false" maxLength:"500" example:"invoice 2026-11 unpaid" doc:"Why, for the audit trail."`
	}
}

// AuditEntryBody is one change an operator made.
type AuditEntryBody struct {
	ID       uuid.UUID      `json:"id"`
	At       time.Time      `json:"at"`
	Actor    string         `json:"actor" example:"token oca_1a2b3c4d (ops laptop)" doc:"Who: a token (its prefix and name) or the command line (its system user)."`
	Action   string         `json:"action" enum:"plan.create,plan.update,tenant.plan,tenant.suspend,tenant.resume,token.create,token.revoke"`
	Plan     *string        `json:"plan,omitempty"`
	TenantID *uuid.UUID     `json:"tenant_id,omitempty"`
	Detail   map[string]any `json:"detail" doc:"What changed: a plan before and after, a tenant's previous plan, a suspension's reason."`
}

type listAuditInput struct {
	PageInput
	TenantID string `query:"tenant_id" format:"uuid" doc:"Only the entries about this tenant."`
}

type listAuditOutput struct {
	Body struct {
		Items      []AuditEntryBody `json:"items" doc:"Newest first."`
		NextCursor string           `json:"next_cursor" doc:"Pass as cursor for the next page; empty on the last page."`
	}
}

func (s *AdminServer) registerTenants() {
	notFound := []int{http.StatusNotFound}
	s.register("Tenants", []operation{
		{id: "list-tenants", route: "GET /admin/v1/tenants", summary: "List tenants with their usage", handler: handle(s.listTenants),
			errs: []int{http.StatusUnprocessableEntity},
			desc: "Every tenant, oldest first, with its plan, whether it is suspended, and what it used this period (calls, minutes, attempts, charge)."},
		{id: "get-tenant", route: "GET /admin/v1/tenants/{tenant_id}", summary: "Get a tenant with its usage", errs: notFound, handler: handle(s.getTenant)},
		{id: "assign-plan", route: "PUT /admin/v1/tenants/{tenant_id}/plan", summary: "Put a tenant on a plan",
			errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity}, handler: handle(s.assignPlan),
			desc: "The tenant's new limits apply from its next dial check; calls in progress finish. With Stripe on, the tenant's next " +
				"subscription event sets its plan from the subscription again."},
		{id: "suspend-tenant", route: "POST /admin/v1/tenants/{tenant_id}/suspend", summary: "Suspend a tenant",
			errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity}, handler: handle(s.suspendTenant),
			desc: "Refuses the tenant's new dials (reason suspended; calls in progress finish). Its people still log in and read. Suspending a suspended tenant changes nothing."},
		{id: "resume-tenant", route: "POST /admin/v1/tenants/{tenant_id}/resume", summary: "Resume a tenant", errs: notFound, handler: handle(s.resumeTenant),
			desc: "Lets a suspended tenant dial again."},
	})
	s.register("Audit", []operation{
		{id: "list-audit", route: "GET /admin/v1/audit", summary: "List what operators changed", errs: []int{http.StatusUnprocessableEntity}, handler: handle(s.listAudit),
			desc: "Every change made through this API or `outcall admin`, newest first: who, when, what, and the plan or tenant it was about."},
	})
}

func (s *AdminServer) listTenants(ctx context.Context, in *PageInput) (*listTenantsOutput, error) {
	after, err := in.after()
	if err != nil {
		return nil, err
	}
	list, err := s.cfg.Admin.Tenants(ctx, after, in.limit())
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &listTenantsOutput{}
	out.Body.Items, out.Body.NextCursor = page(list, in.limit(), func(t *admin.TenantUsage) uuid.UUID { return t.ID },
		func(t *admin.TenantUsage) AdminTenantBody { return adminTenantBody(*t) })
	return out, nil
}

func (s *AdminServer) getTenant(ctx context.Context, in *tenantPath) (*output[AdminTenantBody], error) {
	t, err := s.cfg.Admin.Tenant(ctx, in.TenantID)
	return adminReply(s, ctx, adminTenantBody, t, err)
}

func (s *AdminServer) assignPlan(ctx context.Context, in *assignPlanInput) (*output[AdminTenantBody], error) {
	t, err := s.cfg.Admin.AssignPlan(ctx, operator(ctx), in.TenantID, in.Body.Plan)
	return adminReply(s, ctx, adminTenantBody, t, err)
}

func (s *AdminServer) suspendTenant(ctx context.Context, in *suspendInput) (*output[AdminTenantBody], error) {
	t, err := s.cfg.Admin.Suspend(ctx, operator(ctx), in.TenantID, in.Body.Reason)
	return adminReply(s, ctx, adminTenantBody, t, err)
}

func (s *AdminServer) resumeTenant(ctx context.Context, in *tenantPath) (*output[AdminTenantBody], error) {
	t, err := s.cfg.Admin.Resume(ctx, operator(ctx), in.TenantID)
	return adminReply(s, ctx, adminTenantBody, t, err)
}

func (s *AdminServer) listAudit(ctx context.Context, in *listAuditInput) (*listAuditOutput, error) {
	after, err := in.after()
	if err != nil {
		return nil, err
	}
	var tenantID *uuid.UUID
	if in.TenantID != "" {
		id, err := uuid.Parse(in.TenantID)
		if err != nil {
			return nil, huma.NewError(http.StatusUnprocessableEntity, "tenant_id is not a tenant id",
				&huma.ErrorDetail{Location: "query.tenant_id", Message: fmt.Sprintf("%q is not a UUID", in.TenantID), Value: in.TenantID})
		}
		tenantID = &id
	}
	list, err := s.cfg.Admin.Audit(ctx, tenantID, after, in.limit())
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &listAuditOutput{}
	out.Body.Items, out.Body.NextCursor = page(list, in.limit(), func(e *admin.AuditEntry) uuid.UUID { return e.ID },
		func(e *admin.AuditEntry) AuditEntryBody {
			b := AuditEntryBody{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Plan: e.Plan, TenantID: e.TenantID, Detail: map[string]any{}}
			json.Unmarshal(e.Detail, &b.Detail) // written by admin.Service.record, always an object
			return b
		})
	return out, nil
}

// QuarantinedScriptBody is a script the script hosts refuse.
type QuarantinedScriptBody struct {
	Key string    `json:"key" doc:"A hash of the script's source (nothing of the tenant's is kept); its author's error names it."`
	Why string    `json:"why" doc:"The script host's death it was blamed for."`
	At  time.Time `json:"quarantined_at"`
}

type listQuarantinedOutput struct {
	Body struct {
		Items []QuarantinedScriptBody `json:"items" doc:"Newest first."`
	}
}

type quarantineKeyPath struct {
	Key string `path:"key" maxLength:"64" doc:"The quarantine key."`
}

func (s *AdminServer) registerScripts() {
	s.register("Scripts", []operation{
		{id: "list-quarantined-scripts", route: "GET /admin/v1/scripts/quarantined", summary: "List quarantined scripts", handler: handle(s.listQuarantined),
			desc: "Scripts that brought a script host down (past its memory limit, or stuck past its timeout) and that every process refuses to run: " +
				"their authors get a 422 that names the key. A changed script gets a fresh start by itself."},
		{id: "release-quarantined-script", route: "DELETE /admin/v1/scripts/quarantined/{key}", status: http.StatusNoContent, summary: "Release a quarantined script",
			errs: []int{http.StatusNotFound}, handler: handle(s.releaseQuarantined),
			desc: "Every process runs the script again within 15 s (a host that died of something else, a script shown to be safe). " +
				"If it brings a host down again it is quarantined again. Recorded in the audit trail with why it had been quarantined."},
	})
}

func (s *AdminServer) listQuarantined(ctx context.Context, _ *struct{}) (*listQuarantinedOutput, error) {
	list, err := s.cfg.Admin.QuarantinedScripts(ctx)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &listQuarantinedOutput{}
	out.Body.Items = make([]QuarantinedScriptBody, 0, len(list))
	for _, q := range list {
		out.Body.Items = append(out.Body.Items, QuarantinedScriptBody{Key: q.Key, Why: q.Why, At: q.At})
	}
	return out, nil
}

func (s *AdminServer) releaseQuarantined(ctx context.Context, in *quarantineKeyPath) (*struct{}, error) {
	if err := s.cfg.Admin.ReleaseScript(ctx, operator(ctx), in.Key); err != nil {
		return nil, s.problem(ctx, err)
	}
	return nil, nil
}
