package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/campaigns/hooks"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/reports"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// newInserter returns the one insert-only River client through which the
// services of a process queue their jobs (pacing, dials, imports, webhook
// deliveries) inside their own transactions; the workers' client runs them.
func newInserter(db *tenants.DB) (*river.Client[pgx.Tx], error) {
	c, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{})
	if err != nil {
		return nil, fmt.Errorf("job inserter: %w", err)
	}
	return c, nil
}

// newContacts builds the one contacts service of a process, for the API and
// the import workers alike. Its clock is the campaigns service's (the
// wall clock), so a number's audit trail reads one clock.
func newContacts(db *tenants.DB, jobs contacts.JobInserter) *contacts.Service {
	return contacts.New(contacts.Options{DB: db, Jobs: jobs})
}

// newCampaigns builds the one campaigns service of a process, for the API
// and the workers alike, with everything that hangs on a campaign:
//   - a campaign starts only with a published script version of its own
//     tenant whose calls could hear the callees in its language (heard), once
//     the tenant may start campaigns at all (gate), and its segmentation
//     rules run in the script hosts;
//   - every dial passes the account's gate (suspended, unpaid, over budget,
//     the plan's daily cap) in the transaction that records it, and the
//     plan caps the tenant's lines;
//   - a closed call triggers, in the transaction that closes it, its
//     webhook events and its usage ledger row (hooks.Add); the
//     service, its hooks and the contacts service queue every job and
//     webhook delivery through jobs, the process's inserter.
func newCampaigns(db *tenants.DB, jobs campaigns.JobInserter, scripts *scripting.Store, gate func(context.Context, uuid.UUID) error,
	heard func(ctx context.Context, tenantID uuid.UUID, version string) error) *campaigns.Service {
	return campaigns.New(hooks.Add(campaigns.Options{
		DB:        db,
		Jobs:      jobs,
		StartGate: gate,
		ScriptPublished: func(ctx context.Context, tenantID uuid.UUID, version string) error {
			id, err := uuid.Parse(version)
			if err == nil {
				_, err = scripts.PublishedSource(ctx, tenantID, id)
			}
			if err != nil {
				return tenants.FieldError("body.script_version", "script version %q is not a published version of this tenant's scripts", version)
			}
			if heard != nil {
				return heard(ctx, tenantID, version)
			}
			return nil
		},
		Segment: calls.SegmentWith(scripts),
	}, true))
}

// newDesk builds the one agent desk of a process, for the API (agents'
// desks, queues) and the workers (the calls scripts hand to a queue) alike:
// its hub listens for the desk's changes until stop is called, its
// webhook events (agent.call_offered, agent.call_answered) queue through
// jobs, and agents' browsers reach this process's calls as t says.
func newDesk(ctx context.Context, db *tenants.DB, jobs webhooks.JobInserter, t *telephonySettings, log *slog.Logger) (*calls.Desk, func(), error) {
	rtc, err := t.webrtc()
	if err != nil {
		return nil, nil, err
	}
	hub := calls.NewDeskHub(db.Pool(), log.With("component", "desk"))
	hctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(hctx) }()
	desk := &calls.Desk{DB: db, Events: webhooks.NewEmitter(jobs), Hub: hub, WebRTC: rtc, Logger: log.With("component", "desk")}
	return desk, func() { stop(); <-done }, nil
}

// newSpool builds the one spool of a worker process, in dir: the ends of
// calls that the database could not take wait there, and are recorded
// through camp, the process's campaigns service (with its close hooks:
// usage rows, webhook events), once it can. Its gauge goes to metrics.
func newSpool(dir string, camp *campaigns.Service, log *slog.Logger, metrics prometheus.Registerer) (*jobs.Spool, error) {
	return jobs.NewSpool(jobs.SpoolOptions{Dir: dir, Campaigns: camp, Logger: log.With("component", "spool"), Metrics: metrics})
}

// newWebhooks builds the one webhook endpoints service of a process, for
// the API: a test event and a redelivery queue their jobs through jobs,
// the process's inserter. allowPrivate lets endpoints point at loopback
// and private addresses (dev).
func newWebhooks(db *tenants.DB, jobs webhooks.JobInserter, allowPrivate bool) *webhooks.Service {
	return &webhooks.Service{DB: db, AllowPrivate: allowPrivate, Jobs: jobs}
}

// newBilling builds the one billing service of a process from its Stripe
// settings (cfg, see billingSettings.service), for the API and the
// workers alike; the webhook events it raises (billing.payment_failed)
// queue their deliveries through jobs, the process's inserter. The usage
// threshold events of closed calls go through the campaigns service's
// close hooks (newCampaigns).
func newBilling(cfg billing.Config, jobs webhooks.JobInserter) *billing.Service {
	cfg.Jobs = jobs
	return billing.New(cfg)
}

// newReports builds the one reports service of a process, for the API. The
// rollups it reads are fed by the campaigns service: every close and every
// refused dial queues its calls for them (reports.QueueRollUp) in the
// transaction that records them.
func newReports(db *tenants.DB) *reports.Service {
	return reports.New(reports.Options{DB: db})
}

// startGate lets a tenant start campaigns on the platform's lines only once
// an address of theirs is verified (when this outcall sends mail at all:
// tenants.Service.EmailVerified); a tenant with its own trunk pays its own
// carrier and needs none.
func startGate(svc *tenants.Service, trunks *telephony.TrunkStore) func(context.Context, uuid.UUID) error {
	return func(ctx context.Context, tenantID uuid.UUID) error {
		ok, err := svc.EmailVerified(ctx, tenantID)
		if err != nil || ok {
			return err
		}
		if trunks != nil {
			_, own, err := trunks.ForTenant(ctx, tenantID)
			if err != nil || own {
				return err
			}
		}
		return tenants.Errorf(tenants.EForbidden, "verify your email address first: open the link outcall mailed to you "+
			"(POST /v1/me/verify-email sends a new one); campaigns on the platform's lines need a verified address, or add a trunk of your own")
	}
}
