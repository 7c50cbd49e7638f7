package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/outcall/outcall/campaigns"
)

// Line leases of workers that died (see the note in campaigns/leases.go).
// River's own rescuer is not the tool: it re-runs a job only once the job
// has run longer than both Config.RescueStuckJobsAfter and the worker's own
// Timeout (two hours for a dial, the longest call), because it cannot tell
// a dead worker's job from a long one that is still working. A heartbeat
// can: each worker renews the leases of the calls it carries every Renew,
// and a periodic reaper closes the calls whose leases nobody renewed for
// StaleAfter. The reaper looks twice, Confirm apart (longer than Renew), and
// closes only what stayed stale: after a database outage every lease looks
// stale at first, and the live workers renew theirs before the second look.
//
// With the defaults a dead worker's lines are free within
// max(StaleAfter, River's leader failover of about 21 s when the dead
// worker was River's leader) + ReapEvery + Confirm: about 37 s.
//
// The same heartbeat keeps a dead worker's dial batches from holding their
// contacts: a batch job stays running, to River, until its Timeout (two
// hours), and the dials it had not begun when its worker died (waiting for
// a free line or a call place) keep their contacts queued all that while,
// counted against the campaign's lines. The keeper notes a beat on each
// batch job its process runs, every Renew (beatKey in the job's metadata,
// which River merges and never overwrites), and the reaper hands back, as
// River's rescuer would, a running batch whose last beat, or whose start
// when it has none yet, stayed older than StaleAfter on both looks (see
// staleBatches). Running it again is safe: each dial's check refuses an
// attempt already made and closes one cut off.

// LeaseTiming is how line leases are kept and reaped.
type LeaseTiming struct {
	// Renew is how often a worker renews the leases of its calls (5 s).
	Renew time.Duration
	// StaleAfter is how long a lease may go unrenewed before the reaper
	// closes its call (campaigns.LiveLeaseWithin, 20 s: how long a dial
	// job run again also takes an unrenewed lease to mean a lost call).
	StaleAfter time.Duration
	// ReapEvery is how often the reaper runs (10 s).
	ReapEvery time.Duration
	// Confirm is how long the reaper waits between its two looks (Renew + 2 s).
	Confirm time.Duration
}

func (t LeaseTiming) withDefaults() LeaseTiming {
	if t.Renew <= 0 {
		t.Renew = 5 * time.Second
	}
	if t.StaleAfter <= 0 {
		t.StaleAfter = campaigns.LiveLeaseWithin
	}
	if t.ReapEvery <= 0 {
		t.ReapEvery = 10 * time.Second
	}
	if t.Confirm <= 0 {
		t.Confirm = t.Renew + 2*time.Second
	}
	return t
}

// leaseKeeper renews the line leases of the calls this process carries, in
// one transaction per round for all of them, and the beats of the dial
// batch jobs it runs, in one statement, while it has any.
type leaseKeeper struct {
	campaigns *campaigns.Service
	every     time.Duration
	logger    *slog.Logger

	mu      sync.Mutex
	calls   map[uuid.UUID]uuid.UUID // call → tenant
	jobs    map[int64]int           // batch job → its runs here
	running bool
}

// beatKey names a dial batch job's heartbeat in its River metadata.
const beatKey = "outcall:beat"

// hold renews the call's lease until release is called.
func (k *leaseKeeper) hold(tenantID, callID uuid.UUID) (release func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.calls == nil {
		k.calls = map[uuid.UUID]uuid.UUID{}
	}
	k.calls[callID] = tenantID
	k.start()
	return func() {
		k.mu.Lock()
		delete(k.calls, callID)
		k.mu.Unlock()
	}
}

// holdJob beats for the running batch job until release is called, from
// the keeper's next round on (see beatingClient).
func (k *leaseKeeper) holdJob(jobID int64) (release func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.jobs == nil {
		k.jobs = map[int64]int{}
	}
	k.jobs[jobID]++
	k.start()
	return func() {
		k.mu.Lock()
		if k.jobs[jobID]--; k.jobs[jobID] <= 0 {
			delete(k.jobs, jobID)
		}
		k.mu.Unlock()
	}
}

// start starts the renewals if they are not running; k.mu is held.
func (k *leaseKeeper) start() {
	if !k.running {
		k.running = true
		go k.renew()
	}
}

// beat notes that the running batch jobs are alive now.
func beat(ctx context.Context, svc *campaigns.Service, jobIDs []int64) error {
	// River's tables carry no row-level security; River merges a job's
	// metadata when it records the job's end, keeping this key.
	_, err := svc.DB().Pool().Exec(ctx, `UPDATE river_job SET metadata = metadata || jsonb_build_object($2::text, now())
		WHERE id = ANY($1) AND state = 'running'`, jobIDs, beatKey)
	return err
}

// renew runs while the process carries calls or runs batches: every
// k.every it renews their leases and beats; it ends when there are none.
func (k *leaseKeeper) renew() {
	t := time.NewTicker(k.every)
	defer t.Stop()
	for range t.C {
		k.mu.Lock()
		if len(k.calls) == 0 && len(k.jobs) == 0 {
			k.running = false
			k.mu.Unlock()
			return
		}
		byTenant := map[uuid.UUID][]uuid.UUID{}
		for call, tenant := range k.calls {
			byTenant[tenant] = append(byTenant[tenant], call)
		}
		jobIDs := make([]int64, 0, len(k.jobs))
		for id := range k.jobs {
			jobIDs = append(jobIDs, id)
		}
		k.mu.Unlock()
		// A renewal that cannot finish within a round is given up; the next
		// round tries again (the reaper looks twice before it closes).
		ctx, cancel := context.WithTimeout(context.Background(), k.every)
		if len(byTenant) > 0 {
			if err := k.campaigns.RenewLeases(ctx, byTenant); err != nil {
				k.logger.Warn("cannot renew the line leases of this worker's calls", slog.Int("tenants", len(byTenant)), slog.Any("error", err))
			}
		}
		if len(jobIDs) > 0 {
			if err := beat(ctx, k.campaigns, jobIDs); err != nil {
				k.logger.Warn("cannot renew the heartbeats of this worker's dial batches", slog.Int("batches", len(jobIDs)), slog.Any("error", err))
			}
		}
		cancel()
	}
}

// ReapLeasesArgs asks to close the calls of workers that stopped renewing
// their line leases, and free their lines.
type ReapLeasesArgs struct{}

// Kind names the job in River's table.
func (ReapLeasesArgs) Kind() string { return "campaign_reap_leases" }

// InsertOpts: a reaper that fails is not retried (the next one comes
// within ReapEvery), and reapers are not unique, so one whose own worker
// died cannot hold the next back until River rescues it. Two that overlap
// take turns on each call's lock and close it once.
func (ReapLeasesArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1}
}

// ReapLeasesWorker closes the calls whose line leases stayed stale, and
// hands back the campaign pacers that stopped pacing (see stalePacers) and
// the dial batches whose beats stopped (see staleBatches).
type ReapLeasesWorker struct {
	river.WorkerDefaults[ReapLeasesArgs]
	Campaigns *campaigns.Service
	Timing    LeaseTiming
	Drain     *Drain
	Logger    *slog.Logger
}

// Work looks for stale leases among the tenants that may hold any, waits
// Confirm, and closes the calls whose leases are still stale.
func (w *ReapLeasesWorker) Work(ctx context.Context, job *river.Job[ReapLeasesArgs]) error {
	t := w.Timing.withDefaults()
	tenants, err := leaseTenants(ctx, w.Campaigns)
	if err != nil {
		return err
	}
	stale, err := w.Campaigns.StaleLeases(ctx, tenants, t.StaleAfter)
	if err != nil {
		return err
	}
	// A pacer the reaper cannot judge is left to River's rescuer; the
	// leases are reaped all the same.
	pacers, err := stalePacers(ctx, w.Campaigns, pacerStaleAfter(t))
	if err != nil {
		w.Logger.ErrorContext(ctx, "cannot look for lost campaign pacers", slog.Any("error", err))
	}
	batches, err := staleBatches(ctx, w.Campaigns, t.StaleAfter)
	if err != nil {
		w.Logger.ErrorContext(ctx, "cannot look for lost dial batches", slog.Any("error", err))
	}
	if len(stale) == 0 && len(pacers) == 0 && len(batches) == 0 {
		return nil
	}
	select {
	case <-time.After(t.Confirm):
	case <-ctx.Done():
		return ctx.Err()
	case <-w.Drain.Draining():
		return nil // another worker's reaper looks again
	}
	if _, err := rescuePacers(ctx, w.Campaigns, pacers, pacerStaleAfter(t), w.Logger); err != nil {
		w.Logger.ErrorContext(ctx, "cannot hand back lost campaign pacers", slog.Any("error", err))
	}
	for tenantID, calls := range stale {
		reaped, err := w.Campaigns.ReapLeases(ctx, tenantID, calls, t.StaleAfter)
		if err != nil {
			return err
		}
		for _, c := range reaped {
			w.Logger.WarnContext(ctx, "closed a call whose worker stopped renewing its line (interrupted)",
				slog.String("tenant", tenantID.String()), slog.String("call", c.ID.String()), slog.String("campaign", c.CampaignID.String()))
		}
	}
	// The lost batches go back once the calls they had begun are closed
	// above, as their worker's loss (a batch's next run would otherwise
	// close such a call itself, with the vaguer ReasonJobRerun).
	if _, err := rescueBatches(ctx, w.Campaigns, batches, t.StaleAfter, w.Logger); err != nil {
		return fmt.Errorf("hand back lost dial batches: %w", err)
	}
	return nil
}

// leaseTenants lists the tenants that may hold leased lines: those with a
// dial job running (a dead worker's stays running until River rescues it)
// and those with an active campaign (the only ones that need lines).
func leaseTenants(ctx context.Context, svc *campaigns.Service) ([]uuid.UUID, error) {
	// River's tables carry no row-level security: the running dial jobs
	// are read across tenants from their arguments.
	rows, err := svc.DB().Pool().Query(ctx, `SELECT DISTINCT (args->>'tenant_id')::uuid FROM river_job
		WHERE state = 'running' AND queue = $1 AND kind = ANY($2)`, DialQueue, []string{campaigns.DialArgs{}.Kind(), campaigns.DialBatchArgs{}.Kind()})
	if err != nil {
		return nil, err
	}
	seen := map[uuid.UUID]bool{}
	var out []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		seen[id] = true
		out = append(out, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	active, err := svc.ActiveCampaigns(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range active {
		if !seen[a.TenantID] {
			seen[a.TenantID] = true
			out = append(out, a.TenantID)
		}
	}
	return out, nil
}
