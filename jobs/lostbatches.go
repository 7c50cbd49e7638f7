package jobs

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
)

// lostBatch is a running dial batch job whose beat went stale.
type lostBatch struct {
	job       int64
	attempt   int
	attempted time.Time
	args      campaigns.DialArgs // its tenant and campaign
	dials     int
}

// staleBatches lists the running dial batch jobs, taken more than
// staleAfter ago by a process that beats (beatingClient), whose last beat,
// if any, is older than staleAfter. A live process beats within Renew of
// taking a batch. A batch taken by a version without beats is left to
// River's rescuer.
func staleBatches(ctx context.Context, svc *campaigns.Service, staleAfter time.Duration) ([]lostBatch, error) {
	// River's tables carry no row-level security: the running batches are
	// read across tenants from their arguments.
	rows, err := svc.DB().Pool().Query(ctx, `SELECT id, attempt, attempted_at, (args->>'tenant_id')::uuid, (args->>'campaign_id')::uuid,
			coalesce(jsonb_array_length(args->'dials'), 0)
		FROM river_job WHERE state = 'running' AND kind = $1 AND attempted_at < now() - $2::interval
			AND right(attempted_by[array_upper(attempted_by, 1)], length($4)) = $4
			AND coalesce((metadata->>$3)::timestamptz, attempted_at) < now() - $2::interval`,
		campaigns.DialBatchArgs{}.Kind(), staleAfter, beatKey, beatingClient)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (lostBatch, error) {
		var b lostBatch
		err := row.Scan(&b.job, &b.attempt, &b.attempted, &b.args.TenantID, &b.args.CampaignID, &b.dials)
		return b, err
	})
}

// rescueBatches hands back the batches that are still the same run and
// whose beats are still stale, and reports how many it did.
func rescueBatches(ctx context.Context, svc *campaigns.Service, batches []lostBatch, staleAfter time.Duration, log *slog.Logger) (int, error) {
	n := 0
	for _, b := range batches {
		back, err := handBackLost(ctx, svc, b.job, b.attempt, b.attempted,
			"the dial batch's worker stopped beating for it (lost): handed back by the lease reaper", &staleAfter)
		if err != nil {
			return n, err
		}
		if back {
			n++
			log.WarnContext(ctx, "handed back a dial batch whose worker stopped beating for it",
				slog.String("tenant", b.args.TenantID.String()), slog.String("campaign", b.args.CampaignID.String()),
				slog.Int64("job", b.job), slog.Int("dials", b.dials))
		}
	}
	return n, nil
}

// handBackLost makes a running job available again at once, as River's
// rescuer would, noting why among its errors (River counts the attempt
// when a worker takes it), if it is still the run that was judged lost: its
// attempted_at unchanged and, with beatStaleAfter, its last beat (or its
// start, without one) still older than that.
func handBackLost(ctx context.Context, svc *campaigns.Service, job int64, attempt int, attempted time.Time, why string, beatStaleAfter *time.Duration) (bool, error) {
	note, err := json.Marshal(map[string]any{"at": time.Now().UTC(), "attempt": attempt, "error": why, "trace": ""})
	if err != nil {
		return false, err
	}
	tag, err := svc.DB().Pool().Exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now(), errors = array_append(errors, $3::jsonb)
		WHERE id = $1 AND state = 'running' AND attempted_at = $2
			AND ($4::interval IS NULL OR coalesce((metadata->>$5)::timestamptz, attempted_at) < now() - $4::interval)`,
		job, attempted, string(note), beatStaleAfter, beatKey)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}
