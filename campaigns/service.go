package campaigns

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// JobInserter inserts River jobs inside a caller's transaction, one or many
// at once (pacing, dials, webhook deliveries); a *river.Client[pgx.Tx] is
// one.
type JobInserter interface {
	contacts.JobInserter
	InsertManyFastTx(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) (int, error)
}

// CloseHook runs inside the transaction that closes calls (see
// Service.CloseCall), with the calls it closed: billing adds their usage
// rows here, webhooks their events, so they exist if and only if the call
// records do. A transaction may close several calls of one tenant.
type CloseHook func(ctx context.Context, tx pgx.Tx, calls []*Call) error

// Options is what a Service is built from, once, by New. Only DB is
// required.
type Options struct {
	DB *tenants.DB
	// Jobs inserts the service's River jobs (pacing, dials, the deliveries
	// of its webhook events) inside its transactions; nil means an
	// insert-only River client on DB.
	Jobs JobInserter
	// OnClose runs in every call-closing transaction, in order: what a
	// closed call triggers (see package campaigns/hooks).
	OnClose []CloseHook
	// OnAnswer runs in the transaction that marks calls answered, in
	// order (see package campaigns/hooks: the call.answered event).
	OnAnswer []AnswerHook
	// OnTransfer runs in the transaction that marks a call's transfer
	// started, in order (see package campaigns/hooks: the call.transferred event).
	OnTransfer []TransferHook
	// OnMessageSent runs in the transaction that records a provider's
	// acceptance of a follow-up message, in order (see package campaigns/hooks: its
	// usage row).
	OnMessageSent []MessageHook
	// PlanLines caps a tenant's concurrent lines by its plan; nil or 0 means
	// the compliance settings alone decide.
	PlanLines func(plan string) int
	// PlanCallsPerSecond caps a tenant's pace of new dials, across all its
	// campaigns, by its plan; nil or 0 means the compliance settings alone
	// decide.
	PlanCallsPerSecond func(plan string) float64
	// Now is the clock every decision and every audit-trail event reads;
	// nil means time.Now.
	Now func() time.Time
	// ReceiptFirstLook is how long after a message is sent its carrier's
	// receipt is first asked for (0: 20 s).
	ReceiptFirstLook time.Duration
	// PaceInterval is the time between two pacing rounds of a campaign
	// (0: 100 ms).
	PaceInterval time.Duration
	// PaceLookahead is how far ahead a pacing round queues dials for lines
	// about to free (see CallMeasure.Ahead); 0 means twice PaceInterval,
	// negative turns it off.
	PaceLookahead time.Duration
	// ScriptPublished, when set, is asked at start whether each script
	// version a campaign names is published; an error is shown to the caller
	// (a *tenants.Error says what to fix) and the campaign stays a draft.
	ScriptPublished func(ctx context.Context, tenantID uuid.UUID, version string) error
	// StartGate, when set, is asked before a campaign starts whether the
	// tenant may start one at all (a *tenants.Error says what to do first,
	// e.g. verify an email address); the campaign stays a draft otherwise.
	StartGate func(ctx context.Context, tenantID uuid.UUID) error
	// Segment runs a campaign's segmentation rules over its contacts at
	// start, in the script sandbox; nil refuses to start campaigns that
	// name segmentation rules.
	Segment SegmentFunc
	// DialGate, when set, is asked inside the transaction that records an
	// attempt, after the compliance rules pass: a Refusal is stored like
	// theirs (the plan's daily cap, a suspended or over-budget account), and
	// the gate's own writes commit or roll back with the attempt.
	DialGate func(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, now time.Time) (*Refusal, error)
}

// Service holds the compliance and campaign operations and the dial path.
type Service struct {
	db   *tenants.DB
	jobs JobInserter
	// events raises the service's webhook events through jobs.
	events *webhooks.Emitter
	opts   Options

	// groups batch dials, closes and answered marks by tenant; made on
	// first use (see Service.group).
	groupsOnce sync.Once
	groups     *groups
	// followUps caches campaigns' follow-ups (they never change) by id.
	followUps sync.Map
}

// New returns the service that o describes.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ReceiptFirstLook == 0 {
		o.ReceiptFirstLook = 20 * time.Second
	}
	if o.PaceInterval == 0 {
		o.PaceInterval = 100 * time.Millisecond
	}
	s := &Service{db: o.DB, jobs: contacts.JobsOr(o.Jobs, o.DB), opts: o}
	s.events = webhooks.NewEmitter(s.jobs)
	return s
}

// PaceInterval is the time between two pacing rounds of a campaign.
func (s *Service) PaceInterval() time.Duration { return s.opts.PaceInterval }

// DB returns the database the service uses.
func (s *Service) DB() *tenants.DB { return s.db }

func (s *Service) now() time.Time { return s.opts.Now() }

// tenantBatch starts a batch with the statement that scopes its
// transaction to tenantID, saving the round trip tenants.DB.InTenant spends
// on it; hot paths (the dial check, closing a call) use it.
func tenantBatch(tenantID uuid.UUID) *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(`SELECT set_config('app.tenant_id', $1, true)`, tenantID.String())
	return b
}
