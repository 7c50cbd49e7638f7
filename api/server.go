package api

import (
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/reports"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/scripting/llm"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/web"
	"github.com/outcall/outcall/webhooks"
)

// Config is what the API needs.
type Config struct {
	Tenants *tenants.Service
	Logger  *slog.Logger
	// Version is reported in the OpenAPI document.
	Version string
	// InsecureCookies drops the Secure flag from cookies, for plain-HTTP
	// deployments other than localhost (browsers treat localhost as secure).
	InsecureCookies bool
	// RateLimits bound request rates; zero means DefaultRateLimits.
	RateLimits RateLimits
	// Webhooks manages webhook endpoints; nil builds one that refuses
	// internal addresses.
	Webhooks *webhooks.Service
	// Billing meters usage and talks to Stripe; nil builds one without
	// Stripe (usage shown, billing off).
	Billing *billing.Service
	// Contacts holds lists, contacts, imports, the do-not-call list, consent
	// and each number's audit trail; nil builds one on Tenants' database.
	Contacts *contacts.Service
	// Campaigns holds compliance and campaigns; nil builds one on Tenants'
	// database.
	Campaigns *campaigns.Service
	// Reports reads the reports and keeps the report settings; nil builds
	// one on Tenants' database.
	Reports *reports.Service
	// Scripts stores scripts and checks and simulates them in script hosts;
	// nil stores them but cannot check or simulate.
	Scripts *scripting.Store
	// Recordings holds call recordings; nil: none are served.
	Recordings telephony.RecordingStore
	// Trunks holds tenants' SIP trunks; nil turns the trunk operations off
	// (no secret key to encrypt their passwords).
	Trunks *telephony.TrunkStore
	// TrunkPinger checks a trunk on request (the SIP dialer, in processes
	// that place calls).
	TrunkPinger telephony.Pinger
	// Models are tenants' language models, for the script simulator (nil:
	// simulations run without one).
	Models *llm.Tenants
	// Desk is the agent desk (queues, agents' desks, the live view); nil
	// builds one on Tenants' database whose waiters look every second.
	Desk *calls.Desk
	// Endpoints are the tenants' endpoints scripts call (a state's http);
	// nil builds one on Tenants' database, as guarded as Webhooks.
	Endpoints *calls.Endpoints
	// Metrics is the registry /metrics serves, so the service's other
	// parts (calls, script hosts) show there too; the API adds its request
	// metrics and the Go and process collectors. nil: one of its own.
	Metrics *prometheus.Registry
}

// Server is the HTTP interface.
type Server struct {
	cfg      Config
	log      *slog.Logger
	tenants  *tenants.Service
	mux      *http.ServeMux
	api      huma.API
	metrics  *metrics
	limiters limiters
	handler  http.Handler

	contacts  *contacts.Service
	campaigns *campaigns.Service
	reports   *reports.Service
	// scripts is Config.Scripts, or a store that saves scripts but cannot
	// check or simulate them.
	scripts *scripting.Store
}

// schemaNames are the published schema names of Go types renamed since the
// OpenAPI document named them: the simulator returns the dialog engine's
// steps (scripting.Step) as "Turn", and clients generated from the
// document know them by that name.
var schemaNames = map[reflect.Type]string{reflect.TypeFor[scripting.Step](): "Turn"}

// schemaName names a schema after its Go type, as huma does, except for the
// types in schemaNames.
func schemaName(t reflect.Type, hint string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if name, ok := schemaNames[t]; ok {
		return name
	}
	return huma.DefaultSchemaNamer(t, hint)
}

// New builds the API and registers every operation.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Version == "" {
		cfg.Version = "1.0.0"
	}
	if cfg.RateLimits == (RateLimits{}) {
		cfg.RateLimits = DefaultRateLimits
	}
	var db *tenants.DB
	if cfg.Tenants != nil {
		db = cfg.Tenants.DB()
	}
	if cfg.Webhooks == nil {
		cfg.Webhooks = &webhooks.Service{DB: db}
	}
	if cfg.Billing == nil {
		cfg.Billing = billing.New(billing.Config{DB: db, Logger: cfg.Logger})
	}
	if cfg.Endpoints == nil {
		cfg.Endpoints = &calls.Endpoints{DB: db, AllowPrivate: cfg.Webhooks.AllowPrivate}
	}
	s := &Server{cfg: cfg, log: cfg.Logger, tenants: cfg.Tenants, mux: http.NewServeMux(), contacts: cfg.Contacts, campaigns: cfg.Campaigns, scripts: cfg.Scripts}
	if s.contacts == nil && cfg.Tenants != nil {
		s.contacts = contacts.New(contacts.Options{DB: cfg.Tenants.DB()})
	}
	if s.campaigns == nil && cfg.Tenants != nil {
		s.campaigns = campaigns.New(campaigns.Options{DB: cfg.Tenants.DB()})
	}
	s.reports = cfg.Reports
	if s.reports == nil && cfg.Tenants != nil {
		s.reports = reports.New(reports.Options{DB: cfg.Tenants.DB()})
	}
	if s.scripts == nil {
		s.scripts = &scripting.Store{DB: s.tenantsDB()}
	}

	hc := huma.DefaultConfig("outcall API", cfg.Version)
	hc.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaName)
	hc.Info.Description = "Run AI outbound calling campaigns: contacts, dialog scripts, campaigns, calls, usage. " +
		"Authenticate with `Authorization: Bearer <API key>` (create keys in the portal or with POST /v1/api-keys), " +
		"or with the portal's session cookie plus an `X-CSRF-Token` header on writes. " +
		"Phone numbers are shown in full to owners, admins and operators, and masked (138****1234) to viewers, " +
		"whether a person in the portal or an API key with the viewer role; filters by number work for everyone."
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		schemeKey:     {Type: "http", Scheme: "bearer", Description: "An API key, `oc_…`, shown once when created."},
		schemeSession: {Type: "apiKey", In: "cookie", Name: sessionCookie, Description: "The portal's session cookie, set by POST /v1/login. Writes also need the X-CSRF-Token header."},
	}
	hc.Tags = []*huma.Tag{
		{Name: "Tenants", Description: "Sign up, log in, and who you are."},
		{Name: "API keys", Description: "Credentials for integrations."},
		{Name: "Users", Description: "The people of a tenant and their roles."},
		{Name: "Webhooks", Description: "Signed event deliveries to your systems."},
		{Name: "Billing", Description: "Plans, limits, usage, budgets and subscriptions."},
		{Name: "Contacts", Description: "Contact lists, contacts and CSV imports."},
		{Name: "Do-not-call", Description: "The do-not-call list, consent evidence and each number's audit trail."},
		{Name: "Campaigns", Description: "Compliance settings, campaigns and their control."},
		{Name: "Calls", Description: "Call records and their dialog turns."},
		{Name: "Agent desk", Description: "Queues of people who take the calls scripts hand over, each agent's desk in the browser (WebRTC), and the supervisors' live view."},
		{Name: "Scripts", Description: "Dialog scripts and segmentation rules in JavaScript: versions, checks, publishing and a simulator."},
		{Name: "Script endpoints", Description: "Your HTTPS services that dialog scripts call mid-call (a state's http): a live balance, an order's status, a promise to pay posted back."},
		{Name: "Trunks", Description: "SIP trunks and caller-ID pools."},
		{Name: "System", Description: "Health and readiness."},
	}
	hc.OnAddOperation = append(hc.OnAddOperation, func(_ *huma.OpenAPI, op *huma.Operation) { idempotent(op) })
	s.api = humago.New(s.mux, hc)
	s.metrics = newMetrics(cfg.Metrics)
	s.api.UseMiddleware(s.observe, s.authenticate, s.rateLimit, s.idempotency)

	s.registerSystem()
	s.registerTenants()
	s.registerKeys()
	s.registerUsers()
	s.registerWebhooks()
	s.registerNotices()
	s.describeWebhookEvents()
	s.registerBilling()
	s.registerLists()
	s.registerContacts()
	s.registerImports()
	s.registerDNC()
	s.registerConsents()
	s.registerAudit()
	s.registerCompliance()
	s.registerCampaigns()
	s.registerCalls()
	s.registerScripts()
	s.registerScriptEndpoints()
	s.registerSegments()
	s.registerRecordings()
	s.registerReports()
	s.registerTrunks()
	s.registerCallerIDs()
	s.registerSpeech()
	s.registerMessages()
	s.registerDesk()

	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	// The portal: everything the API does not claim.
	s.mux.Handle("GET /", web.Handler())
	s.handler = s.recoverer(s.mux)
	return s
}

// Handler serves the whole API.
func (s *Server) Handler() http.Handler { return s.handler }

// OpenAPI returns the document describing every operation.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

// recoverer turns a panic in a handler into a logged 500.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil && v != http.ErrAbortHandler {
				s.log.ErrorContext(r.Context(), "handler panicked", slog.Any("panic", v), slog.String("path", r.URL.Path))
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte(`{"title":"Internal Server Error","status":500,"detail":"internal error"}`))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &metrics{registry: reg}
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outcall_http_requests_total", Help: "API requests by operation and status.",
	}, []string{"operation", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "outcall_http_request_duration_seconds", Help: "API request latency by operation.",
		Buckets: prometheus.DefBuckets,
	}, []string{"operation"})
	m.registry.MustRegister(m.requests, m.duration)
	return m
}

// observe logs and measures every operation. It logs the operation, status
// and time, never bodies, keys or phone numbers.
func (s *Server) observe(ctx huma.Context, next func(huma.Context)) {
	start := time.Now()
	next(ctx)
	op := ctx.Operation().OperationID
	status := ctx.Status()
	elapsed := time.Since(start)
	s.metrics.requests.WithLabelValues(op, strconv.Itoa(status)).Inc()
	s.metrics.duration.WithLabelValues(op).Observe(elapsed.Seconds())
	attrs := []any{slog.String("op", op), slog.Int("status", status), slog.Duration("elapsed", elapsed)}
	if p, ok := tenants.PrincipalFrom(ctx.Context()); ok {
		attrs = append(attrs, slog.String("tenant", p.TenantID.String()))
	}
	level := slog.LevelInfo
	if op == "healthz" || op == "readyz" {
		level = slog.LevelDebug
	}
	s.log.Log(ctx.Context(), level, "request", attrs...)
}

// tenantsDB returns the database, or nil when the API runs without one (to
// generate the OpenAPI document).
func (s *Server) tenantsDB() *tenants.DB {
	if s.tenants == nil {
		return nil
	}
	return s.tenants.DB()
}

func reflectType[T any]() reflect.Type { return reflect.TypeFor[T]() }
