package jobs_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/telephony"
)

func TestEveryClosedCampaignCallLandsInTheUsageLedgerAndThePlanCapsTheLines(t *testing.T) {
	// The tenant is on the trial: two lines, however many its rules allow.
	talk := []time.Duration{75 * time.Second, 30 * time.Second, 181 * time.Second, 0, 0, 5 * time.Second}
	placer := &campaigns.TestPlacer{Ring: 20 * time.Millisecond, Talk: 20 * time.Millisecond, Decide: func(req campaigns.Placement) campaigns.Ending {
		d := talk[int(req.ContactID[15])%len(talk)]
		if d == 0 {
			return campaigns.Ending{Outcome: telephony.OutcomeNoAnswer}
		}
		return campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: time.Now().Add(-d)}
	}}
	r := newIdleCampaignRig(t, true, placer, func(rules *campaigns.Compliance) {
		rules.MaxConcurrentLines, rules.CallsPerSecond = 10, 1000
	})
	ctx, db := r.ctx, r.db
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	r.start(jobs.Config{Logger: quiet, DialWorkers: 10, Billing: billing.New(billing.Config{DB: db, Logger: quiet})})
	c := r.campaignOf(12, noRetries)
	r.waitFor("the campaign to complete", time.Minute, func() bool { return r.status(c.ID) == campaigns.StatusCompleted })

	if peak := placer.PeakLines(r.p.TenantID); peak > 2 {
		t.Fatalf("%d calls at once on the trial's 2 lines", peak)
	}
	var answered, rows, minutes, billed int
	err := db.InTenant(ctx, r.p.TenantID, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*), COALESCE(sum(ceil(billable_seconds / 60.0)), 0) FROM calls WHERE campaign_id = $1 AND billable_seconds > 0`, c.ID).
			Scan(&answered, &billed); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*), COALESCE(sum(quantity), 0) FROM usage_ledger WHERE campaign_id = $1 AND kind = 'call_minutes'`, c.ID).
			Scan(&rows, &minutes)
	})
	if err != nil {
		t.Fatal(err)
	}
	if answered == 0 || rows != answered || minutes != billed {
		t.Fatalf("%d answered calls (%d started minutes), %d ledger rows (%d minutes)", answered, billed, rows, minutes)
	}
	t.Logf("%d answered calls, %d billable minutes in the ledger", answered, minutes)
}

func TestATrialWithItsMinutesUsedUpHasItsDialsRefusedAndRecorded(t *testing.T) {
	placer := &campaigns.TestPlacer{Decide: func(req campaigns.Placement) campaigns.Ending {
		return campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: time.Now().Add(-time.Minute)}
	}}
	r := newIdleCampaignRig(t, true, placer, func(*campaigns.Compliance) {})
	ctx, db := r.ctx, r.db
	// The trial's 60 minutes are gone before the campaign starts.
	err := db.InTenant(ctx, r.p.TenantID, func(tx pgx.Tx) error {
		return billing.RecordCall(ctx, tx, nil, r.p.TenantID, billing.CallUsage{CallID: uuid.New(), ConnectedSeconds: 61 * 60, EndedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	r.start(jobs.Config{Logger: quiet, DialWorkers: 4, Billing: billing.New(billing.Config{DB: db, Logger: quiet})})
	c := r.campaignOf(3, noRetries)
	var refused int
	r.waitFor("every dial to be refused", 30*time.Second, func() bool {
		db.InTenant(ctx, r.p.TenantID, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM calls WHERE campaign_id = $1 AND state = 'refused' AND reason = 'trial_used_up'`, c.ID).Scan(&refused)
		})
		return refused == 3
	})
	if n := placer.Calls(); n != 0 {
		t.Fatalf("%d calls placed after the trial ran out", n)
	}
}
