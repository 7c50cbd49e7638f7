package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/outcall/outcall/campaigns"
)

// PaceQueue holds the campaign pacers, one job per active campaign.
const PaceQueue = campaigns.PaceQueue

// PaceWorker paces one campaign. A run paces for Slice (rounds every
// Campaigns.PaceInterval, spending a calls-per-second token budget) and then
// snoozes, which re-enqueues it without using up an attempt; it ends when
// the campaign completes or is cancelled. While the campaign is paused or
// scheduled it keeps looking, so a resume takes effect within a second.
//
// Once this process drains (Drain), a pacer queues no more dials from here:
// it yields its campaign at once (JobSnooze(0) hands it to another worker
// process, or to this one's successor, without using up an attempt).
type PaceWorker struct {
	river.WorkerDefaults[campaigns.PaceArgs]
	Campaigns *campaigns.Service
	Logger    *slog.Logger
	// Slice is how long one run paces before it yields its worker slot.
	Slice time.Duration
	// Drain, when set, makes the pacer yield once it begins.
	Drain *Drain
}

// Timeout leaves room for a whole slice.
func (w *PaceWorker) Timeout(*river.Job[campaigns.PaceArgs]) time.Duration {
	return w.slice() + time.Minute
}

func (w *PaceWorker) slice() time.Duration {
	if w.Slice <= 0 {
		return 10 * time.Second
	}
	return w.Slice
}

// Work runs pacing rounds for one slice.
func (w *PaceWorker) Work(ctx context.Context, job *river.Job[campaigns.PaceArgs]) error {
	interval := w.Campaigns.PaceInterval()
	deadline := time.Now().Add(w.slice())
	tokens, cps, last := 1.0, 1.0, time.Now()
	var beat time.Time
	for time.Now().Before(deadline) {
		w.beat(ctx, job.Args.TenantID, job.Args.CampaignID, &beat)
		if w.Drain.Began() {
			return river.JobSnooze(0)
		}
		now := time.Now()
		tokens = min(tokens+cps*now.Sub(last).Seconds(), max(cps, 1))
		last = now
		r, err := w.Campaigns.Pace(ctx, job.Args.TenantID, job.Args.CampaignID, int(tokens))
		if err != nil && databaseAway(err) && ctx.Err() == nil && time.Now().Add(time.Second).Before(deadline) {
			// The database is away for now: look again in a second, so
			// the campaign goes on as soon as it is back.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-w.Drain.Draining():
				return river.JobSnooze(0)
			case <-time.After(time.Second):
			}
			continue
		}
		if err != nil {
			return err
		}
		if r.Finished() {
			w.Logger.InfoContext(ctx, "campaign pacer finished", slog.String("campaign", job.Args.CampaignID.String()), slog.String("status", string(r.Status)))
			return nil
		}
		wait := interval
		switch {
		case r.Status != campaigns.StatusRunning:
			wait = 500 * time.Millisecond
		case r.Queued > 0:
			cps = r.CallsPerSecond
			tokens -= float64(r.Queued)
		case !r.NextDue.IsZero() && time.Until(r.NextDue) > 5*time.Second:
			// Nothing due for a while: give the slot back until then (but look
			// again within half a minute, to notice the campaign completing).
			return river.JobSnooze(min(time.Until(r.NextDue), 30*time.Second))
		default:
			cps = max(r.CallsPerSecond, cps)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.Drain.Draining():
			return river.JobSnooze(0)
		case <-time.After(wait):
		}
	}
	return river.JobSnooze(0)
}

// EnsurePacersArgs asks to give every active campaign a pacer, in case one
// was lost (its job discarded after repeated database errors, say).
type EnsurePacersArgs struct{}

// Kind names the job in River's table.
func (EnsurePacersArgs) Kind() string { return "campaign_ensure_pacers" }

// EnsurePacersWorker inserts a pacer for every active campaign; the pacer's
// uniqueness makes this a no-op for campaigns that have one.
type EnsurePacersWorker struct {
	river.WorkerDefaults[EnsurePacersArgs]
	Campaigns *campaigns.Service
}

// Work inserts the missing pacers.
func (w *EnsurePacersWorker) Work(ctx context.Context, job *river.Job[EnsurePacersArgs]) error {
	active, err := w.Campaigns.ActiveCampaigns(ctx)
	if err != nil || len(active) == 0 {
		return err
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return err
	}
	params := make([]river.InsertManyParams, len(active))
	for i, a := range active {
		params[i] = river.InsertManyParams{Args: a}
	}
	_, err = client.InsertMany(ctx, params)
	return err
}
