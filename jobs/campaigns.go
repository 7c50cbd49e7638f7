package jobs

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/outcall/outcall/campaigns"
)

// addCampaignWork registers the campaign workers and returns the queues and
// periodic jobs they need.
func addCampaignWork(workers *river.Workers, cfg *Config) (map[string]river.QueueConfig, []*river.PeriodicJob) {
	if cfg.Campaigns == nil {
		cfg.Campaigns = campaigns.New(campaigns.Options{DB: cfg.Tenants.DB()})
	}
	if cfg.DialWorkers <= 0 {
		cfg.DialWorkers = 500
	}
	leases := cfg.Leases.withDefaults()
	river.AddWorker(workers, &PaceWorker{Campaigns: cfg.Campaigns, Logger: cfg.Logger, Drain: cfg.Drain})
	keeper := &leaseKeeper{campaigns: cfg.Campaigns, every: leases.Renew, logger: cfg.Logger}
	cfg.Spool.setLeases(keeper.hold)
	dial := &DialWorker{Campaigns: cfg.Campaigns, Placer: cfg.Placer, Logger: cfg.Logger, Drain: cfg.Drain,
		Spool: cfg.Spool, leases: keeper, places: make(chan struct{}, cfg.DialWorkers)}
	river.AddWorker(workers, dial)
	river.AddWorker(workers, &DialBatchWorker{Dial: dial})
	river.AddWorker(workers, &EnsurePacersWorker{Campaigns: cfg.Campaigns})
	river.AddWorker(workers, &ReapLeasesWorker{Campaigns: cfg.Campaigns, Timing: leases, Drain: cfg.Drain, Logger: cfg.Logger})
	queues := map[string]river.QueueConfig{
		PaceQueue: {MaxWorkers: 200},
		// Dials are picked up within tens of milliseconds of being queued:
		// the pacer fills free lines, and a line idle for River's default
		// one-second poll is a line wasted.
		// Its workers are batches of calls (or single calls, queued by an
		// earlier version): the calls themselves are bounded by the dial
		// worker's places, DialWorkers of them.
		DialQueue: {MaxWorkers: cfg.DialWorkers, FetchCooldown: 10 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond},
	}
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(30*time.Second), func() (river.JobArgs, *river.InsertOpts) {
			return EnsurePacersArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}),
		// A dead worker's lines are freed within a minute (see LeaseTiming).
		river.NewPeriodicJob(river.PeriodicInterval(leases.ReapEvery), func() (river.JobArgs, *river.InsertOpts) {
			return ReapLeasesArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}),
	}
	return queues, periodic
}
