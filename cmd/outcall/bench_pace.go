package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/campaigns/hooks"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/telephony"
)

// The "pace" group measures how busy pacing keeps a tenant's lines when
// most calls go unanswered (three in ten answer; 40 ms of ringing, 200 ms
// of talk, through the test placer): the share of line time spent in calls,
// with the pacer queueing only for free lines (fixed) and also ahead of
// the lines the measured calls say will free soon (adaptive).
func init() {
	benchGroups["pace"] = func(cmd *cobra.Command, report func(string, float64, string)) error {
		for _, mode := range []struct {
			name      string
			lookahead time.Duration
		}{{"fixed", -1}, {"adaptive", 0}} {
			util, rate, err := benchPace(cmd.Context(), mode.lookahead)
			if err != nil {
				return err
			}
			report("pace_line_utilisation_"+mode.name, 100*util, "%")
			report("pace_dials_"+mode.name, rate, "dials/s")
		}
		return nil
	}
}

func benchPace(ctx context.Context, lookahead time.Duration) (util, rate float64, err error) {
	const contacts, lines = 1500, 20
	env, cleanup, err := openBench(ctx, "Bench", "bench@example.com")
	if err != nil {
		return 0, 0, err
	}
	defer cleanup()
	db, p := env.DB, env.P
	// As a worker runs them: a closed call emits its webhook events.
	svc := campaigns.New(hooks.Add(campaigns.Options{DB: db, PaceLookahead: lookahead}, false))
	rules := campaigns.DefaultCompliance()
	rules.QuietHours, rules.MinRetryInterval = []string{}, 0
	rules.MaxConcurrentLines, rules.CallsPerSecond = lines, 10000
	if _, err := svc.SetCompliance(ctx, p, rules); err != nil {
		return 0, 0, err
	}
	list, err := benchContacts(ctx, db, p, contacts, 0)
	if err != nil {
		return 0, 0, err
	}
	placer := &campaigns.TestPlacer{Ring: 40 * time.Millisecond, Talk: 200 * time.Millisecond, Decide: func(req campaigns.Placement) campaigns.Ending {
		if req.ContactID[15]%10 < 3 {
			return campaigns.Ending{Outcome: telephony.OutcomeAnswered}
		}
		return campaigns.Ending{Outcome: telephony.OutcomeNoAnswer}
	}}
	jc, err := jobs.New(jobs.Config{Tenants: env.Tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Work: true,
		Campaigns: svc, Placer: placer, DialWorkers: lines})
	if err != nil {
		return 0, 0, err
	}
	if err := jc.Start(ctx); err != nil {
		return 0, 0, err
	}
	defer jc.Stop(context.WithoutCancel(ctx))
	c, err := svc.CreateCampaign(ctx, p, campaigns.CampaignInput{Name: "bench", ListIDs: []uuid.UUID{list}, ScriptVersion: "v1",
		RetryPolicy: campaigns.RetryPolicy{telephony.OutcomeBusy: {}, telephony.OutcomeNoAnswer: {}, telephony.OutcomeFailed: {}}})
	if err != nil {
		return 0, 0, err
	}
	if _, err := svc.StartCampaign(ctx, p, c.ID); err != nil {
		return 0, 0, err
	}
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		got, err := svc.GetCampaign(ctx, p, c.ID)
		if err != nil {
			return 0, 0, err
		}
		if got.Status == campaigns.StatusCompleted {
			break
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("the campaign did not complete in 3 minutes")
		}
	}
	// From the first dial to the last hang-up, how much of the lines' time
	// was spent in calls.
	var held, span float64
	err = db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT sum(extract(epoch FROM ended_at - created_at)), extract(epoch FROM max(ended_at) - min(created_at))
			FROM calls WHERE campaign_id = $1`, c.ID).Scan(&held, &span)
	})
	if err != nil || span <= 0 {
		return 0, 0, fmt.Errorf("measure the calls: %v", err)
	}
	return held / (lines * span), contacts / span, nil
}
