package campaigns

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/reports"
)

// PaceRound is what one pacing round did.
type PaceRound struct {
	// Status is the campaign's status after the round.
	Status Status
	// Queued is how many dials the round queued (in batch jobs of up to
	// DialBatchSize).
	Queued int
	// CallsPerSecond is the pace in force.
	CallsPerSecond float64
	// NextDue is when the earliest waiting contact may be dialled (zero: none waits).
	NextDue time.Time
	// Ahead is how many dials the round could queue beyond the free lines,
	// for lines expected to free before the jobs reach a worker (see
	// CallMeasure.Ahead); Measure is what that was judged from.
	Ahead   int
	Measure CallMeasure
}

// Finished reports whether the campaign needs no pacer any more.
func (r PaceRound) Finished() bool {
	return r.Status != StatusRunning && r.Status != StatusPaused && r.Status != StatusScheduled
}

// Pace runs one pacing round of a campaign in one transaction: a scheduled
// campaign whose start has come starts running; a running one gets dial jobs
// for due contacts, at most budget and never more than its tenant's free
// lines (lines minus calls in progress minus dials already queued),
// longest due first or, with the campaign's best_time on, best local hour
// first; a running campaign with no contact left to dial is completed.
func (s *Service) Pace(ctx context.Context, tenantID, campaignID uuid.UUID, budget int) (PaceRound, error) {
	var r PaceRound
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		r = PaceRound{}
		var (
			override, settings []byte
			startsAt           *time.Time
			plan               string
		)
		var bestTime bool
		err := tx.QueryRow(ctx, `SELECT cp.status, cp.compliance, cp.starts_at, coalesce(cs.settings, '{}'), t.plan, cp.best_time
			FROM campaigns cp JOIN tenants t ON t.id = cp.tenant_id
			LEFT JOIN compliance_settings cs ON cs.tenant_id = cp.tenant_id
			WHERE cp.tenant_id = $1 AND cp.id = $2`, tenantID, campaignID).Scan(&r.Status, &override, &startsAt, &settings, &plan, &bestTime)
		if err == pgx.ErrNoRows {
			r.Status = StatusCancelled
			return nil
		}
		if err != nil {
			return err
		}
		if r.Status == StatusScheduled && (startsAt == nil || !startsAt.After(s.now())) {
			if err := s.setStatus(ctx, tx, &Campaign{ID: campaignID}, StatusRunning); err != nil {
				return err
			}
			r.Status = StatusRunning
		}
		if r.Status != StatusRunning {
			return nil
		}
		eff := effectiveCompliance(settings, override)
		// The tenant's pace holds across its campaigns: its compliance
		// settings', within its plan's.
		base, err := ParseTenantCompliance(settings)
		if err != nil {
			base = DefaultCompliance()
		}
		tenantCPS := base.CallsPerSecond
		if s.opts.PlanCallsPerSecond != nil {
			if p := s.opts.PlanCallsPerSecond(plan); p > 0 {
				tenantCPS = min(tenantCPS, p)
			}
		}
		r.CallsPerSecond = min(eff.CallsPerSecond, tenantCPS)
		lines := eff.MaxConcurrentLines
		if s.opts.PlanLines != nil {
			if n := s.opts.PlanLines(plan); n > 0 {
				lines = min(lines, n)
			}
		}
		var free, queued, have int
		err = tx.QueryRow(ctx, `SELECT
				(SELECT count(*) FROM lines WHERE tenant_id = $1 AND slot < $3 AND call_id IS NULL),
				(SELECT count(*) FROM lines WHERE tenant_id = $1 AND slot < $3),
				(SELECT count(*) FROM campaign_contacts WHERE tenant_id = $1 AND campaign_id = $2 AND state = 'queued')`,
			tenantID, campaignID, lines).Scan(&free, &have, &queued)
		if err != nil {
			return err
		}
		if have < lines {
			if _, err := tx.Exec(ctx, `INSERT INTO lines (tenant_id, slot) SELECT $1, g FROM generate_series(0, $2 - 1) g ON CONFLICT DO NOTHING`,
				tenantID, lines); err != nil {
				return err
			}
			free += lines - have
		}
		ahead, err := s.paceAhead(ctx, tx, tenantID, lines-free, free-queued, budget, &r)
		if err != nil {
			return err
		}
		n := min(budget, free-queued+ahead)
		var bucket *paceBucket
		if n > 0 {
			// A pace is real time toward the carrier: the bucket refills by
			// the wall clock, not the service's (which tests may hold still).
			if bucket, err = takePace(ctx, tx, tenantID, tenantCPS, time.Now()); err != nil {
				return err
			}
			n = min(n, bucket.available())
		}
		if n > 0 {
			due := dueByTime
			if bestTime {
				due = dueByBestTime
				if err := reports.Fold(ctx, tx, tenantID); err != nil {
					return err
				}
			}
			// The pick is materialized: as a subquery it could run again
			// for each row updated and pick other contacts each time. The
			// picked rows, locked, go to the update by their row ids, so
			// it reads only them whatever the planner thinks of the
			// campaign (a campaign just started has no statistics: by key,
			// the update read all its contacts). A contact another
			// transaction changed between this statement's start and its
			// lock is locked in its newer version, which the update does
			// not see: it is not queued this round and stays pending for
			// the next (RETURNING lists only the queued).
			rows, err := tx.Query(ctx, `WITH `+due+` UPDATE campaign_contacts cc SET state = 'queued'
				WHERE cc.ctid = ANY (ARRAY(SELECT row FROM due))
				RETURNING cc.contact_id, cc.attempt`, campaignID, n, s.now(), tenantID)
			if err != nil {
				return err
			}
			dials, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (BatchDial, error) {
				var d BatchDial
				err := row.Scan(&d.ContactID, &d.Attempt)
				d.Attempt++
				return d, err
			})
			if err != nil {
				return err
			}
			if len(dials) > 0 {
				if _, err := s.jobs.InsertManyFastTx(ctx, tx, dialBatches(tenantID, campaignID, dials)); err != nil {
					return err
				}
			}
			r.Queued = len(dials)
			if err := bucket.spend(ctx, tx, r.Queued); err != nil {
				return err
			}
		}
		if r.Queued > 0 {
			return nil
		}
		var active bool
		var due *time.Time
		err = tx.QueryRow(ctx, `SELECT
				EXISTS (SELECT 1 FROM campaign_contacts WHERE campaign_id = $1 AND state IN ('pending', 'queued', 'dialling', 'in_call')),
				(SELECT min(next_at) FROM campaign_contacts WHERE campaign_id = $1 AND state = 'pending')`, campaignID).Scan(&active, &due)
		if err != nil {
			return err
		}
		if due != nil {
			r.NextDue = *due
		}
		if !active {
			r.Status = StatusCompleted
			return s.setStatus(ctx, tx, &Campaign{ID: campaignID}, StatusCompleted)
		}
		return nil
	})
	return r, err
}

// paceBucket is a tenant's dial_pace row, refilled to now and locked for
// the round's transaction.
type paceBucket struct {
	tenantID uuid.UUID
	tokens   float64
	now      time.Time
}

// takePace locks the tenant's bucket of dial starts and refills it at cps
// (up to one second's worth, and at least one dial) since it was last
// used.
func takePace(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, cps float64, now time.Time) (*paceBucket, error) {
	limit := max(cps, 1)
	var tokens float64
	var at time.Time
	err := tx.QueryRow(ctx, `INSERT INTO dial_pace AS d (tenant_id, tokens, refilled_at) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id) DO UPDATE SET tokens = d.tokens
		RETURNING tokens, refilled_at`, tenantID, limit, now).Scan(&tokens, &at)
	if err != nil {
		return nil, err
	}
	if elapsed := now.Sub(at).Seconds(); elapsed > 0 {
		tokens += cps * elapsed
	}
	return &paceBucket{tenantID: tenantID, tokens: min(tokens, limit), now: now}, nil
}

// available is how many dials the bucket allows now.
func (b *paceBucket) available() int { return max(int(b.tokens), 0) }

// spend takes n dials from the bucket and stores it.
func (b *paceBucket) spend(ctx context.Context, tx pgx.Tx, n int) error {
	// refilled_at never moves back: a process whose clock is behind
	// another's must not let the same interval refill twice.
	_, err := tx.Exec(ctx, `UPDATE dial_pace SET tokens = $2, refilled_at = greatest(refilled_at, $3) WHERE tenant_id = $1`, b.tenantID, b.tokens-float64(n), b.now)
	return err
}

// dueByTime picks the contacts due longest ago ($1 campaign, $2 how
// many, $3 now; $4 the tenant, unused), locked, by their row ids.
const dueByTime = `due AS MATERIALIZED (SELECT ctid AS row FROM campaign_contacts WHERE campaign_id = $1 AND state = 'pending' AND next_at <= $3
	AND $4::uuid IS NOT NULL ORDER BY next_at, contact_id LIMIT $2 FOR UPDATE SKIP LOCKED)`

// BestTimePrior is how many dials of evidence the prior of a local hour's
// answer rate is worth: an hour with few dials of its own is predicted
// near the tenant's overall rate (0.5 without any history), one with
// many dials by its own rate. This is the mean of a Beta posterior whose
// prior has the overall rate as its mean.
const BestTimePrior = 20

// BestTimeHistory is how far back the answer rates are read.
const BestTimeHistory = 90 * 24 * time.Hour

// dueByBestTime picks the due contacts whose local hour now has the best
// predicted answer rate (the tenant's history in the report rollups, see
// BestTimePrior), then those due longest ago.
var dueByBestTime = `h AS (
		SELECT local_hour, sum(dialled)::float8 AS dialled, sum(connected)::float8 AS connected FROM report_calls
		WHERE tenant_id = $4 AND bucket >= $3::timestamptz - interval '` + fmt.Sprint(int(BestTimeHistory.Hours())) + ` hours' GROUP BY local_hour
	), prior AS (
		SELECT coalesce(sum(connected) / nullif(sum(dialled), 0), 0.5) AS rate FROM h
	), rate AS (
		SELECT g AS hour, (coalesce(h.connected, 0) + ` + fmt.Sprint(BestTimePrior) + ` * prior.rate) / (coalesce(h.dialled, 0) + ` + fmt.Sprint(BestTimePrior) + `) AS rate
		FROM generate_series(0, 23) g CROSS JOIN prior LEFT JOIN h ON h.local_hour = g
	), due AS MATERIALIZED (
		SELECT cc.ctid AS row FROM campaign_contacts cc
		JOIN rate ON rate.hour = extract(hour FROM $3::timestamptz AT TIME ZONE cc.time_zone)
		WHERE cc.campaign_id = $1 AND cc.state = 'pending' AND cc.next_at <= $3
		ORDER BY rate.rate DESC, cc.next_at, cc.contact_id LIMIT $2 FOR UPDATE OF cc SKIP LOCKED
	)`

// ActiveCampaigns lists every tenant's scheduled, running and paused
// campaigns, so a periodic job can make sure each has its pacer.
func (s *Service) ActiveCampaigns(ctx context.Context) ([]PaceArgs, error) {
	rows, err := s.db.Pool().Query(ctx, `SELECT tenant_id, campaign_id FROM active_campaigns()`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (PaceArgs, error) {
		var a PaceArgs
		err := row.Scan(&a.TenantID, &a.CampaignID)
		return a, err
	})
}

// MarkPaced notes that a pacer is working on the campaign now (its
// heartbeat; see StalePacer).
func (s *Service) MarkPaced(ctx context.Context, tenantID, campaignID uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE campaigns SET paced_at = now() WHERE tenant_id = $1 AND id = $2`, tenantID, campaignID)
		return err
	})
}

// StalePacer reports whether no pacer has worked on the campaign for
// staleAfter, by the database's clock. A campaign that is gone is not
// stale (its pacer finishes by itself), nor one never paced with a
// heartbeat (a pacer of a version before it, during a rolling deploy: River's
// rescuer stays its safety net).
func (s *Service) StalePacer(ctx context.Context, tenantID, campaignID uuid.UUID, staleAfter time.Duration) (bool, error) {
	var stale bool
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT coalesce(paced_at < now() - $3::interval, false) FROM campaigns WHERE tenant_id = $1 AND id = $2`,
			tenantID, campaignID, staleAfter).Scan(&stale)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return stale, err
}
