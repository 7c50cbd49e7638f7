package jobs

import (
	"context"
	"log/slog"
	"maps"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// Config is what the workers need.
type Config struct {
	Tenants *tenants.Service
	Logger  *slog.Logger
	// Work runs workers in this process; without it the client only inserts.
	Work bool
	// MaxWorkers caps the jobs this process runs at once.
	MaxWorkers int
	// Contacts runs contact imports; nil makes one on Tenants' database.
	Contacts *contacts.Service
	// Campaigns runs campaigns, built with everything that hangs on a
	// call (hooks.Add); nil makes a bare one on Tenants'
	// database, for processes that place no calls.
	Campaigns *campaigns.Service
	// Placer places campaign calls; without one, dial jobs wait.
	Placer campaigns.Placer
	// Prompts makes published versions' prompts in their tenants' voices;
	// without one they are made on first use.
	Prompts PromptRenderer
	// DialWorkers caps the calls this process carries at once (default 500).
	DialWorkers int
	// Webhooks configures webhook delivery; its DB is filled in.
	Webhooks webhooks.DeliverWorker
	// Billing, when set, records every closed call's usage, caps lines by
	// plan, and (with Stripe on) reports usage every minute.
	Billing *billing.Service
	// Recordings, when set, has recordings past each tenant's retention
	// deleted every hour.
	Recordings telephony.RecordingStore
	// Trunks and Pinger, when both are set, have every tenant's trunks
	// checked with SIP OPTIONS every five minutes.
	Trunks *telephony.TrunkStore
	Pinger telephony.Pinger
	// CallerIDs, when set, has the caller-ID health check run every ten
	// minutes.
	CallerIDs *telephony.CallerIDs
	// Drain, when set, is how this process stops: once it begins, no dial
	// starts here and pacers yield (see Shutdown). Nil: never drains.
	Drain *Drain
	// Leases tunes how the line leases of calls are renewed and those of
	// dead workers reaped; zero fields take the defaults (LeaseTiming).
	Leases LeaseTiming
	// Spool, when set, keeps on disk the closes of calls the database
	// could not take, and renews their line leases until they are
	// replayed (see Spool). The caller runs its replayer (Spool.Replay
	// before starting the client, Spool.Run while it works); nil: a dial
	// job retries its close in memory for five minutes.
	Spool *Spool
	// SMS gives tenants' SMS providers for follow-up messages; nil: every
	// follow-up fails, saying no provider is set up.
	SMS campaigns.SMSProviders
}

// RescueStuckJobsAfter is how long a job may stay running before River's
// rescuer retries it as stuck: a job whose worker died, or whose end its
// worker could not record while PostgreSQL was away. River cancels a job
// without a Timeout of its own after a minute (its JobTimeout), and the
// rescuer waits out each kind's own Timeout too (a dial's two hours, a
// pacer's slice and a minute), so 75 s leaves a job 15 s to have its end
// recorded. River's default is an hour, which would hold a dead worker's
// webhook deliveries and campaign pacers (unique while running) that long.
const RescueStuckJobsAfter = 75 * time.Second

// RescueWithin bounds how long a stuck job waits before it is available
// again, not counting its kind's own Timeout and retry delay: River's
// rescuer looks every 30 s, and its scheduler moves retried jobs to the
// queue within a few seconds more.
const RescueWithin = RescueStuckJobsAfter + 30*time.Second + 5*time.Second

// Client is River's client over outcall's pool.
type Client = river.Client[pgx.Tx]

// New returns a River client with every outcall worker registered.
func New(cfg Config) (*Client, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = 100
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &PurgeExpiredWorker{Tenants: cfg.Tenants, Logger: cfg.Logger})
	addContactWork(workers, &cfg)
	river.AddWorker(workers, &RenderPromptsWorker{Prompts: cfg.Prompts, Logger: cfg.Logger})
	campaignQueues, campaignPeriodic := addCampaignWork(workers, &cfg)
	addMessageWork(workers, &cfg)
	billingPeriodic := addBillingWork(workers, &cfg)
	deliver := cfg.Webhooks
	deliver.DB, deliver.Logger = cfg.Tenants.DB(), cfg.Logger
	if deliver.Client == nil {
		deliver.Client = webhooks.NewHTTPClient(false)
	}
	river.AddWorker(workers, &deliver)
	var trunkCheck *CheckTrunksWorker
	if cfg.Trunks != nil && cfg.Pinger != nil {
		trunkCheck = &CheckTrunksWorker{Trunks: cfg.Trunks, Pinger: cfg.Pinger}
		river.AddWorker(workers, trunkCheck)
	}
	if cfg.CallerIDs != nil {
		river.AddWorker(workers, &CheckCallerIDsWorker{CallerIDs: cfg.CallerIDs, Logger: cfg.Logger})
	}
	if cfg.Recordings != nil {
		river.AddWorker(workers, &PurgeRecordingsWorker{DB: cfg.Tenants.DB(), Recordings: cfg.Recordings, Logger: cfg.Logger})
	}

	// River reports its routine at info level every few seconds; outcall's
	// log keeps River's warnings and errors.
	riverLog := slog.New(levelAtLeast{cfg.Logger.Handler(), slog.LevelWarn}).With("component", "jobs")
	rc := &river.Config{Logger: riverLog, Workers: workers, RescueStuckJobsAfter: RescueStuckJobsAfter, ID: clientID(time.Now())}
	if cfg.Work {
		rc.Queues = map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: cfg.MaxWorkers},
			webhooks.Queue:     {MaxWorkers: max(cfg.MaxWorkers/4, 5)},
		}
		rc.PeriodicJobs = []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
				return PurgeExpiredArgs{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true}),
		}
		if trunkCheck != nil {
			rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(5*time.Minute), func() (river.JobArgs, *river.InsertOpts) {
				return CheckTrunksArgs{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true}))
		}
		if cfg.CallerIDs != nil {
			rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(10*time.Minute), func() (river.JobArgs, *river.InsertOpts) {
				return CheckCallerIDsArgs{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true}))
		}
		if cfg.Recordings != nil {
			rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
				return PurgeRecordingsArgs{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true}))
		}
		maps.Copy(rc.Queues, campaignQueues)
		rc.PeriodicJobs = append(rc.PeriodicJobs, campaignPeriodic...)
		rc.PeriodicJobs = append(rc.PeriodicJobs, billingPeriodic...)
	}
	return river.NewClient(riverpgxv5.New(cfg.Tenants.DB().Pool()), rc)
}

// PurgeExpiredArgs asks to delete every tenant's expired portal sessions
// and idempotent answers older than 24 hours.
type PurgeExpiredArgs struct{}

// Kind names the job in River's table.
func (PurgeExpiredArgs) Kind() string { return "purge_expired" }

// PurgeExpiredWorker deletes what has expired.
type PurgeExpiredWorker struct {
	river.WorkerDefaults[PurgeExpiredArgs]
	Tenants *tenants.Service
	Logger  *slog.Logger
}

// Work deletes the expired rows.
func (w *PurgeExpiredWorker) Work(ctx context.Context, job *river.Job[PurgeExpiredArgs]) error {
	sessions, keys, err := w.Tenants.PurgeExpired(ctx)
	if err != nil {
		return err
	}
	if sessions+keys > 0 {
		w.Logger.InfoContext(ctx, "expired rows purged", slog.Int64("sessions", sessions), slog.Int64("idempotency_keys", keys))
	}
	return nil
}

// levelAtLeast passes records at or above min to the wrapped handler.
type levelAtLeast struct {
	slog.Handler
	min slog.Level
}

func (h levelAtLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelAtLeast) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelAtLeast{h.Handler.WithAttrs(attrs), h.min}
}

func (h levelAtLeast) WithGroup(name string) slog.Handler {
	return levelAtLeast{h.Handler.WithGroup(name), h.min}
}

// beatingClient ends the River client ID of a process whose lease keeper
// beats for the dial batches it runs: River records the ID among a job's
// attempted_by, so the reaper judges by a missing beat only the batches of
// such a process, and leaves those of an earlier version, which never
// beats, to River's rescuer.
const beatingClient = "_beats"

// clientID is River's own form of a client ID (the host and the start time,
// with underscores) marked as beatingClient.
func clientID(started time.Time) string {
	host, _ := os.Hostname()
	if host == "" {
		host = "unknown_host"
	}
	host = strings.ReplaceAll(host, ".", "_")
	if len(host) > 60 {
		host = host[:60]
	}
	return host + "_" + strings.Replace(started.UTC().Format("2006_01_02T15_04_05.000000"), ".", "_", 1) + beatingClient
}
