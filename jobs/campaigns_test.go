package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/campaigns/hooks"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// campaignRig is a database, a tenant whose rules allow calls at any hour,
// and running workers with a TestPlacer.
type campaignRig struct {
	t       *testing.T
	ctx     context.Context
	db      *tenants.DB
	tenants *tenants.Service
	svc     *campaigns.Service
	p       tenants.Principal
	placer  *campaigns.TestPlacer
	client  *jobs.Client
}

// newCampaignRig is a rig whose tenant's rules allow lines calls at once
// and cps a second, with as many dial workers as lines.
func newCampaignRig(t *testing.T, lines int, cps float64, placer *campaigns.TestPlacer) *campaignRig {
	t.Helper()
	r := newIdleCampaignRig(t, false, placer, func(rules *campaigns.Compliance) {
		rules.MaxConcurrentLines, rules.CallsPerSecond = lines, cps
	})
	r.start(jobs.Config{DialWorkers: lines})
	return r
}

// newIdleCampaignRig is a rig without workers yet (see start): its
// campaigns service is wired as the service's is, as a billed deployment
// with billed, and its tenant's rules are the default ones at any hour,
// changed by rules.
func newIdleCampaignRig(t *testing.T, billed bool, placer *campaigns.TestPlacer, rules func(*campaigns.Compliance)) *campaignRig {
	t.Helper()
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	r := &campaignRig{t: t, ctx: ctx, db: shop.DB, tenants: shop.Tenants, p: shop.Owner, placer: placer,
		svc: campaigns.New(hooks.Add(campaigns.Options{DB: shop.DB}, billed))}
	settings := campaigns.DefaultCompliance()
	settings.QuietHours = []string{}
	rules(&settings)
	if _, err := r.svc.SetCompliance(ctx, r.p, settings); err != nil {
		t.Fatal(err)
	}
	return r
}

// start runs the rig's workers, as cfg says, on the rig's tenants,
// campaigns service and placer, until the test ends.
func (r *campaignRig) start(cfg jobs.Config) {
	r.t.Helper()
	cfg.Tenants, cfg.Campaigns, cfg.Placer, cfg.Work = r.tenants, r.svc, r.placer, true
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var err error
	r.client, err = jobs.New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.client.Start(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.client.Stop(ctx)
	})
}

// campaignOf imports n contacts through a CSV file and starts a campaign
// dialling them.
func (r *campaignRig) campaignOf(n int, retry campaigns.RetryPolicy) *campaigns.Campaign {
	r.t.Helper()
	cs := contacts.New(contacts.Options{DB: r.db})
	list, err := cs.CreateList(r.ctx, r.p, "customers", "")
	if err != nil {
		r.t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("手机号,姓名,tier\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&csv, "1381%07d,客户%d,gold\n", i, i)
	}
	im, err := cs.CreateImport(r.ctx, r.p, list.ID, []byte(csv.String()), contacts.ImportOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	r.waitFor("the import job", time.Minute, func() bool {
		got, err := cs.GetImport(r.ctx, r.p, im.ID)
		if err != nil || got.Status == "failed" {
			r.t.Fatalf("import: %v %+v", err, got)
		}
		return got.Status == "done"
	})
	c, err := r.svc.CreateCampaign(r.ctx, r.p, campaigns.CampaignInput{Name: "reminders", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1", RetryPolicy: retry})
	if err != nil {
		r.t.Fatal(err)
	}
	if c, err = r.svc.StartCampaign(r.ctx, r.p, c.ID); err != nil {
		r.t.Fatal(err)
	}
	return c
}

func (r *campaignRig) waitFor(what string, limit time.Duration, ok func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			r.t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *campaignRig) status(id uuid.UUID) campaigns.Status {
	c, err := r.svc.GetCampaign(r.ctx, r.p, id)
	if err != nil {
		r.t.Fatal(err)
	}
	return c.Status
}

var noRetries = campaigns.RetryPolicy{telephony.OutcomeBusy: {}, telephony.OutcomeNoAnswer: {}, telephony.OutcomeFailed: {}}

func TestACampaignOfTenThousandContactsRunsToCompletionWithEveryContactAccountedFor(t *testing.T) {
	const n, lines = 10000, 200
	outcomes := []telephony.Outcome{telephony.OutcomeAnswered, telephony.OutcomeAnswered, telephony.OutcomeBusy, telephony.OutcomeNoAnswer, telephony.OutcomeFailed}
	placer := &campaigns.TestPlacer{Decide: func(req campaigns.Placement) campaigns.Ending {
		return campaigns.Ending{Outcome: outcomes[int(req.ContactID[15])%len(outcomes)]}
	}}
	r := newCampaignRig(t, lines, 10000, placer)
	c := r.campaignOf(n, noRetries)
	start := time.Now()
	r.waitFor("the campaign to complete", 2*time.Minute, func() bool { return r.status(c.ID) == campaigns.StatusCompleted })
	t.Logf("%d contacts dialled in %v (%.0f dials/s)", n, time.Since(start), float64(n)/time.Since(start).Seconds())

	counts, err := r.svc.CampaignCounts(r.ctx, r.p, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Contacts != n || counts.ByState["done"] != n {
		t.Fatalf("contacts %d, by state %v; want all %d done", counts.Contacts, counts.ByState, n)
	}
	total := 0
	for _, k := range counts.Outcomes {
		total += k
	}
	if total != n || len(counts.Refused) != 0 || placer.Calls() != n {
		t.Fatalf("%d call records (%v), refusals %v, %d calls placed; want exactly one call per contact", total, counts.Outcomes, counts.Refused, placer.Calls())
	}
	if peak := placer.PeakLines(r.p.TenantID); peak > lines {
		t.Fatalf("%d calls at once; the tenant has %d lines", peak, lines)
	}
	var held int
	r.db.InTenant(r.ctx, r.p.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(r.ctx, `SELECT count(*) FROM lines WHERE call_id IS NOT NULL`).Scan(&held)
	})
	if held != 0 {
		t.Fatalf("%d lines still held after the campaign", held)
	}
}

func TestPausingStopsNewDialsWithinASecondAndResumingFinishesTheCampaign(t *testing.T) {
	placer := &campaigns.TestPlacer{Ring: 20 * time.Millisecond, Talk: 30 * time.Millisecond}
	r := newCampaignRig(t, 10, 100, placer)
	c := r.campaignOf(300, noRetries)
	r.waitFor("the first calls", 20*time.Second, func() bool { return placer.Calls() >= 20 })
	if _, err := r.svc.PauseCampaign(r.ctx, r.p, c.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	atOneSecond := placer.Calls()
	time.Sleep(1500 * time.Millisecond)
	if later := placer.Calls(); later != atOneSecond {
		t.Fatalf("%d calls placed between 1 s and 2.5 s after the pause", later-atOneSecond)
	}
	counts, _ := r.svc.CampaignCounts(r.ctx, r.p, c.ID)
	if counts.ByState["dialling"]+counts.ByState["in_call"] != 0 || counts.ByState["pending"] == 0 {
		t.Fatalf("a second after the pause: %v", counts.ByState)
	}
	if _, err := r.svc.ResumeCampaign(r.ctx, r.p, c.ID); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the campaign to complete", time.Minute, func() bool { return r.status(c.ID) == campaigns.StatusCompleted })
	if placer.Calls() != 300 {
		t.Fatalf("%d calls for 300 contacts", placer.Calls())
	}
}

// With most calls unanswered, lines churn fast; the pacer queues ahead of
// the lines about to free, yet no more calls run at once than the tenant
// has lines, and no more start per second than the campaign allows.
func TestWithFewCallsAnsweredThePacerKeepsWithinTheLinesAndTheDialRate(t *testing.T) {
	answered := func(req campaigns.Placement) campaigns.Ending {
		if req.ContactID[15]%10 < 3 { // three in ten answer
			return campaigns.Ending{Outcome: telephony.OutcomeAnswered}
		}
		return campaigns.Ending{Outcome: telephony.OutcomeNoAnswer}
	}
	t.Run("lines", func(t *testing.T) {
		const n, lines = 120, 8
		placer := &campaigns.TestPlacer{Ring: 20 * time.Millisecond, Talk: 80 * time.Millisecond, Decide: answered}
		r := newCampaignRig(t, lines, 10000, placer)
		c := r.campaignOf(n, noRetries)
		r.waitFor("the campaign to complete", time.Minute, func() bool { return r.status(c.ID) == campaigns.StatusCompleted })
		counts, err := r.svc.CampaignCounts(r.ctx, r.p, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if counts.ByState["done"] != n || placer.Calls() != n || len(counts.Refused) != 0 {
			t.Fatalf("by state %v, %d calls, refusals %v; want one call per contact", counts.ByState, placer.Calls(), counts.Refused)
		}
		if peak := placer.PeakLines(r.p.TenantID); peak > lines {
			t.Fatalf("%d calls at once; the tenant has %d lines", peak, lines)
		}
	})
	t.Run("dial rate", func(t *testing.T) {
		const n, cps = 60, 20
		placer := &campaigns.TestPlacer{Ring: 10 * time.Millisecond, Talk: 20 * time.Millisecond, Decide: answered}
		r := newCampaignRig(t, 50, cps, placer)
		c := r.campaignOf(n, noRetries)
		r.waitFor("the campaign to complete", time.Minute, func() bool { return r.status(c.ID) == campaigns.StatusCompleted })
		var starts []time.Time
		r.db.InTenant(r.ctx, r.p.TenantID, func(tx pgx.Tx) error {
			rows, err := tx.Query(r.ctx, `SELECT created_at FROM calls WHERE campaign_id = $1 ORDER BY created_at`, c.ID)
			if err != nil {
				return err
			}
			starts, err = pgx.CollectRows(rows, pgx.RowTo[time.Time])
			return err
		})
		if len(starts) != n {
			t.Fatalf("%d dials, want %d", len(starts), n)
		}
		// The pacer's token bucket allows a burst of one second's dials on
		// top of the rate: never more than twice the rate in any second.
		for i, j := 0, 0; i < len(starts); i++ {
			for starts[i].Sub(starts[j]) >= time.Second {
				j++
			}
			if i-j+1 > 2*cps {
				t.Fatalf("%d dials within one second; the campaign allows %d a second", i-j+1, cps)
			}
		}
	})
}
