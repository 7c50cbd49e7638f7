package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
)

// A campaign's pacer is one River job at a time (unique while it runs). If
// the worker running it dies, River's rescuer hands the job back only once
// it has run longer than its slice and a minute (its Timeout), and the
// campaign dials nothing meanwhile. A pacer renews its campaign's paced_at
// every PaceHeartbeat; the lease reaper hands back a running pacer whose
// campaign went unpaced for pacerStaleAfter and stayed so on its second
// look, as the rescuer would (the job is retried at once, its attempt
// noted in its errors). The job is handed back only if it is still the
// same run (its attempted_at unchanged). A pacer that was only slow, not
// dead, would have had to miss its heartbeat for that long; if it comes
// back, two pacers run the campaign for a while, and River may record the
// slow one's end over the new run's state. Neither dials a contact twice:
// each contact is queued once, under its row lock, and the dial checks it.

// PaceHeartbeat is how often a running pacer renews its campaign's paced_at.
const PaceHeartbeat = 2 * time.Second

// pacerStaleAfter is how long a campaign may go unpaced before its running
// pacer counts as lost: the lease timing's StaleAfter, but never less than
// five heartbeats, so a short lease timing cannot take live pacers away.
func pacerStaleAfter(t LeaseTiming) time.Duration { return max(t.StaleAfter, 5*PaceHeartbeat) }

// stalePacer is a running pacer job whose campaign went unpaced.
type stalePacer struct {
	job       int64
	attempt   int
	attempted time.Time
	args      campaigns.PaceArgs
}

// stalePacers lists the running pacer jobs, started more than staleAfter
// ago, whose campaigns no pacer has worked on for staleAfter.
func stalePacers(ctx context.Context, svc *campaigns.Service, staleAfter time.Duration) ([]stalePacer, error) {
	// River's tables carry no row-level security: the running pacers are
	// read across tenants from their arguments.
	rows, err := svc.DB().Pool().Query(ctx, `SELECT id, attempt, attempted_at, (args->>'tenant_id')::uuid, (args->>'campaign_id')::uuid FROM river_job
		WHERE state = 'running' AND kind = $1 AND attempted_at < now() - $2::interval`,
		campaigns.PaceArgs{}.Kind(), staleAfter)
	if err != nil {
		return nil, err
	}
	running, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (stalePacer, error) {
		var p stalePacer
		err := row.Scan(&p.job, &p.attempt, &p.attempted, &p.args.TenantID, &p.args.CampaignID)
		return p, err
	})
	if err != nil {
		return nil, err
	}
	var out []stalePacer
	for _, p := range running {
		stale, err := svc.StalePacer(ctx, p.args.TenantID, p.args.CampaignID, staleAfter)
		if err != nil {
			return nil, err
		}
		if stale {
			out = append(out, p)
		}
	}
	return out, nil
}

// rescuePacers hands back the pacers that are still the same run and still
// stale, and reports how many it did.
func rescuePacers(ctx context.Context, svc *campaigns.Service, pacers []stalePacer, staleAfter time.Duration, log *slog.Logger) (int, error) {
	n := 0
	for _, p := range pacers {
		stale, err := svc.StalePacer(ctx, p.args.TenantID, p.args.CampaignID, staleAfter)
		if err != nil {
			return n, err
		}
		if !stale {
			continue
		}
		back, err := handBackLost(ctx, svc, p.job, p.attempt, p.attempted, "the pacer's worker stopped pacing its campaign (lost): handed back by the lease reaper", nil)
		if err != nil {
			return n, err
		}
		if back {
			n++
			log.WarnContext(ctx, "handed back a campaign pacer whose worker stopped pacing",
				slog.String("tenant", p.args.TenantID.String()), slog.String("campaign", p.args.CampaignID.String()), slog.Int64("job", p.job))
		}
	}
	return n, nil
}

// beat renews the campaign's paced_at when PaceHeartbeat has passed since
// last; a failure is left to the next round.
func (w *PaceWorker) beat(ctx context.Context, tenantID, campaignID uuid.UUID, last *time.Time) {
	if time.Since(*last) < PaceHeartbeat {
		return
	}
	if err := w.Campaigns.MarkPaced(ctx, tenantID, campaignID); err == nil {
		*last = time.Now()
	}
}
