package contacts

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// JobInserter inserts River jobs inside a caller's transaction: one (an
// import) or many at once (webhook deliveries); a *river.Client[pgx.Tx] is
// one.
type JobInserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	webhooks.JobInserter
}

// Options is what a Service is built from, once, by New. Only DB is
// required.
type Options struct {
	DB *tenants.DB
	// Jobs inserts an import's job in the transaction that stores the
	// upload, and the deliveries of the service's webhook events in the
	// transactions that raise them; nil means an insert-only River client
	// on DB.
	Jobs JobInserter
	// Now is the clock that times consent and do-not-call changes, events
	// of a number's audit trail; nil means time.Now. A process gives its
	// contacts and campaigns services the same clock, so the trail reads
	// one.
	Now func() time.Time
	// MaxImportBytes caps an uploaded CSV file (0: DefaultMaxImportBytes).
	MaxImportBytes int64
}

// Service holds the contact operations: lists, contacts, imports, the
// do-not-call list, consent evidence and each number's audit trail.
type Service struct {
	db   *tenants.DB
	jobs JobInserter
	// events raises the service's webhook events through jobs.
	events *webhooks.Emitter
	opts   Options
}

// New returns the service that o describes.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxImportBytes == 0 {
		o.MaxImportBytes = DefaultMaxImportBytes
	}
	s := &Service{db: o.DB, jobs: JobsOr(o.Jobs, o.DB), opts: o}
	s.events = webhooks.NewEmitter(s.jobs)
	return s
}

// JobsOr returns given, or, when it is nil, an insert-only River client on
// db's pool (it inserts in its callers' transactions): what a service
// queues through when it is built without the process's client, as tests
// and tools build them. The campaigns service uses it too.
func JobsOr[J comparable](given J, db *tenants.DB) J {
	var none J
	if given != none || db == nil {
		return given
	}
	c, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{})
	if err != nil {
		return given
	}
	if j, ok := any(c).(J); ok {
		return j
	}
	return given
}

func (s *Service) now() time.Time { return s.opts.Now() }

// tenantInfo is what contacts need to know of a tenant: the region that
// numbers without a country code are read in, and the time zone of a
// number that tells none.
type tenantInfo struct {
	Region   string
	TimeZone string
}

func loadTenant(ctx context.Context, tx pgx.Tx, id uuid.UUID) (tenantInfo, error) {
	var t tenantInfo
	err := tx.QueryRow(ctx, `SELECT default_region, time_zone FROM tenants WHERE id = $1`, id).Scan(&t.Region, &t.TimeZone)
	return t, err
}

// normaliseNumber returns number in E.164, read in the tenant's default
// region when it carries no country code; a number that is not one is an
// EInvalid error about field.
func normaliseNumber(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, number, field string) (string, error) {
	t, err := loadTenant(ctx, tx, tenantID)
	if err != nil {
		return "", err
	}
	e164, err := phone.Normalise(number, t.Region)
	if err != nil {
		return "", tenants.FieldError(field, "%s", err.Error())
	}
	return e164, nil
}
