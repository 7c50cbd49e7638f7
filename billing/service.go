package billing

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"

	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// Config is what the billing service needs. Only DB is required: without
// StripeKey the service records and shows usage and says billing is off.
type Config struct {
	DB     *tenants.DB
	Logger *slog.Logger
	// StripeKey is the secret API key (sk_…); empty turns Stripe off.
	StripeKey string
	// WebhookSecret verifies Stripe's webhook signatures (whsec_…).
	WebhookSecret string
	// APIBase replaces https://api.stripe.com, for stripe-mock.
	APIBase string
	// HTTPClient calls Stripe; nil uses stripe-go's default.
	HTTPClient *http.Client
	// MaxNetworkRetries is how often stripe-go itself retries a request
	// within one attempt; the ledger retries later in any case.
	MaxNetworkRetries int64
	// GracePeriod is how long dialling continues after a failed payment;
	// zero means DefaultGracePeriod.
	GracePeriod time.Duration
	// PriceIDs maps a plan's price lookup keys to Stripe price ids, for
	// accounts whose prices have no lookup keys; otherwise prices are found
	// by lookup key.
	PriceIDs map[string]string
	// Jobs queues the deliveries of the service's webhook events
	// (billing.payment_failed) in the transactions that raise them: the
	// process's job inserter; nil, an insert-only River client of the
	// service's own.
	Jobs webhooks.JobInserter
}

// DefaultGracePeriod is how long a tenant keeps dialling after a payment
// failed.
const DefaultGracePeriod = 72 * time.Hour

// Service is billing with its configuration: usage reports, budgets,
// Stripe customers and subscriptions, Stripe webhooks.
type Service struct {
	cfg Config
	db  *tenants.DB
	log *slog.Logger
	sc  *client.API
	// events raises the service's webhook events through cfg.Jobs.
	events *webhooks.Emitter

	// afterSend, when set (by tests), runs after Stripe accepted a meter
	// event and before the row is marked; an error aborts the mark as a
	// crash would.
	afterSend func(rowID uuid.UUID) error
}

// New returns the billing service. With a StripeKey it talks to Stripe
// (or to APIBase).
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.GracePeriod <= 0 {
		cfg.GracePeriod = DefaultGracePeriod
	}
	s := &Service{cfg: cfg, db: cfg.DB, log: cfg.Logger, events: webhooks.NewEmitter(cfg.Jobs)}
	if cfg.StripeKey != "" {
		bc := &stripe.BackendConfig{
			HTTPClient:        cfg.HTTPClient,
			MaxNetworkRetries: stripe.Int64(cfg.MaxNetworkRetries),
			LeveledLogger:     stripeLogger{cfg.Logger.With("component", "stripe")},
		}
		if cfg.APIBase != "" {
			bc.URL = stripe.String(cfg.APIBase)
		}
		s.sc = client.New(cfg.StripeKey, stripe.NewBackendsWithConfig(bc))
	}
	return s
}

// Enabled reports whether Stripe billing is configured.
func (s *Service) Enabled() bool { return s.sc != nil }

// DB returns the database the service uses.
func (s *Service) DB() *tenants.DB { return s.db }

// errOff is the answer of Stripe features when no Stripe key is set.
func errOff() error {
	return tenants.Errorf(tenants.EConflict, "billing is off: this outcall runs without a Stripe key (OUTCALL_STRIPE_KEY), so usage is recorded and shown but not charged")
}

// stripeLogger sends stripe-go's messages to slog at debug level: failures
// reach our own log with their context where they are handled.
type stripeLogger struct{ l *slog.Logger }

func (l stripeLogger) Debugf(format string, v ...any) { l.l.Debug(fmt.Sprintf(format, v...)) }
func (l stripeLogger) Infof(format string, v ...any)  { l.l.Debug(fmt.Sprintf(format, v...)) }
func (l stripeLogger) Warnf(format string, v ...any)  { l.l.Debug(fmt.Sprintf(format, v...)) }
func (l stripeLogger) Errorf(format string, v ...any) { l.l.Debug(fmt.Sprintf(format, v...)) }

var _ stripe.LeveledLoggerInterface = stripeLogger{}

// inTenant is db.InTenant with the service's context conventions.
func (s *Service) inTenant(ctx context.Context, tenantID uuid.UUID, fn func(tx pgx.Tx) error) error {
	return s.db.InTenant(ctx, tenantID, fn)
}
