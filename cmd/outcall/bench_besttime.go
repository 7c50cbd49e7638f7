package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
)

// benchBestTime measures what best-time ordering gains, deterministically,
// through the real pacer, compliance check and call close with callees
// simulated in process (the SIP callee simulator cannot vary its answer
// rate by hour): a callee answers when a hash of the number and attempt
// falls under the answer rate of the callee's local hour (bestTimePersona).
//
// Contacts live in six time zones. A first campaign teaches the tenant's
// history (two days, 25 dials an hour). Then two campaigns of 1,200 fresh
// contacts each run through the same 24 hours with 25 dials an hour, so
// only half their contacts can be dialled: one in due order, one with
// best_time. The figures are both answer rates and the lift of the second
// over the first, the 95th percentile of a call's close, and what the first
// report after the history pays to fold its 1,200 calls into the rollups.
func benchBestTime(ctx context.Context, report func(string, float64, string)) error {
	url, drop, err := dbtest.Create(ctx)
	if err != nil {
		return err
	}
	defer drop()
	db, err := tenants.Open(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	su, err := tenants.NewService(db).Signup(ctx, tenants.SignupRequest{TenantName: "Best time", Email: "best@example.com", Password: "bench-password"})
	if err != nil {
		return err
	}
	p := tenants.Principal{TenantID: su.Tenant.ID, Role: tenants.RoleOwner}
	svc := campaigns.NewService(db)
	var clock time.Time
	svc.Now = func() time.Time { return clock }
	rules := campaigns.DefaultCompliance()
	rules.QuietHours, rules.MinRetryInterval, rules.MaxDailyCalls = []string{}, 0, 100
	rules.MaxConcurrentLines, rules.CallsPerSecond = 1000, 1000
	if _, err := svc.SetCompliance(ctx, p, rules); err != nil {
		return err
	}

	zones := []string{"Asia/Shanghai", "Asia/Dubai", "Europe/London", "America/New_York", "America/Los_Angeles", "Pacific/Auckland"}
	locations := map[string]*time.Location{}
	for _, z := range zones {
		if locations[z], err = time.LoadLocation(z); err != nil {
			return err
		}
	}
	next := 0
	var closes []time.Duration
	newCampaign := func(name string, contacts int, bestTime bool) (*campaigns.Campaign, error) {
		list, err := svc.CreateList(ctx, p, name, "")
		if err != nil {
			return nil, err
		}
		for i := range contacts {
			next++
			_, err := svc.UpsertContact(ctx, p, campaigns.ContactInput{Phone: fmt.Sprintf("+86139%08d", next), TimeZone: zones[i%len(zones)], ListIDs: []uuid.UUID{list.ID}})
			if err != nil {
				return nil, err
			}
		}
		once := campaigns.RetryRule{After: campaigns.Duration(time.Hour)}
		c, err := svc.CreateCampaign(ctx, p, campaigns.CampaignInput{Name: name, ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1", BestTime: bestTime,
			RetryPolicy: campaigns.RetryPolicy{campaigns.OutcomeBusy: once, campaigns.OutcomeNoAnswer: once, campaigns.OutcomeFailed: once}})
		if err != nil {
			return nil, err
		}
		return svc.StartCampaign(ctx, p, c.ID)
	}
	// run dials c hour by hour from start, perHour dials an hour, and
	// returns how many were dialled and answered.
	run := func(c *campaigns.Campaign, start time.Time, hours, perHour int) (dialled, answered int, err error) {
		for h := range hours {
			clock = start.Add(time.Duration(h) * time.Hour)
			if _, err := svc.Pace(ctx, p.TenantID, c.ID, perHour); err != nil {
				return 0, 0, err
			}
			var due []campaigns.DialArgs
			err := db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
				rows, err := tx.Query(ctx, `SELECT contact_id, attempt + 1 FROM campaign_contacts WHERE campaign_id = $1 AND state = 'queued'`, c.ID)
				if err != nil {
					return err
				}
				due, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (campaigns.DialArgs, error) {
					a := campaigns.DialArgs{TenantID: p.TenantID, CampaignID: c.ID}
					return a, row.Scan(&a.ContactID, &a.Attempt)
				})
				return err
			})
			if err != nil {
				return 0, 0, err
			}
			for _, a := range due {
				d, err := svc.BeginDial(ctx, a)
				if err != nil {
					return 0, 0, err
				}
				if !d.Place {
					continue
				}
				res := campaigns.Result{Outcome: campaigns.OutcomeNoAnswer, EndedAt: clock.Add(30 * time.Second)}
				if bestTimeAnswers(d.Request, clock.In(locations[d.Request.TimeZone]).Hour()) {
					res = campaigns.Result{Outcome: campaigns.OutcomeAnswered, AnsweredAt: clock.Add(5 * time.Second), EndedAt: clock.Add(time.Minute)}
					answered++
				}
				dialled++
				t0 := time.Now()
				if _, err := svc.CloseCall(ctx, p.TenantID, d.Request.CallID, res); err != nil {
					return 0, 0, err
				}
				closes = append(closes, time.Since(t0))
			}
		}
		return dialled, answered, nil
	}

	monday := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	learn, err := newCampaign("history", 1200, false)
	if err != nil {
		return err
	}
	if _, _, err := run(learn, monday, 48, 25); err != nil {
		return err
	}
	// The first report after them folds the 1,200 closed calls into the rollups.
	t0 := time.Now()
	if _, err := svc.Outcomes(ctx, p, campaigns.ReportFilter{}); err != nil {
		return err
	}
	report("report_fold_1200_calls_ms", ms(time.Since(t0)), "ms")
	plain, err := newCampaign("due order", 1200, false)
	if err != nil {
		return err
	}
	best, err := newCampaign("best time", 1200, true)
	if err != nil {
		return err
	}
	wednesday := monday.AddDate(0, 0, 2)
	pd, pa, err := run(plain, wednesday, 24, 25)
	if err != nil {
		return err
	}
	bd, ba, err := run(best, wednesday, 24, 25)
	if err != nil {
		return err
	}
	plainRate, bestRate := float64(pa)/float64(pd), float64(ba)/float64(bd)
	fmt.Fprintf(os.Stderr, "best time: due order %d of %d answered, best time %d of %d\n", pa, pd, ba, bd)
	report("best_time_off_answer_pct", plainRate*100, "%")
	report("best_time_on_answer_pct", bestRate*100, "%")
	report("best_time_lift_pct", (bestRate/plainRate-1)*100, "%")
	// A close queues the call for the rollups; the fold above is the rest.
	report("close_call_p95_ms", ms(p95(closes)), "ms")
	return nil
}

// bestTimePersona is the callees' answer rate by their local hour: best in
// the evening, fair at lunch, poor at night.
func bestTimePersona(hour int) float64 {
	switch {
	case hour >= 19 && hour <= 21:
		return 0.65
	case hour >= 12 && hour <= 13:
		return 0.45
	case hour >= 9 && hour <= 18:
		return 0.30
	case hour >= 6 && hour <= 8, hour >= 22:
		return 0.15
	default:
		return 0.05
	}
}

// bestTimeAnswers decides, deterministically, whether the callee of r
// answers at the local hour (by its number, so runs repeat exactly).
func bestTimeAnswers(r campaigns.DialRequest, hour int) bool {
	h := fnv.New32a()
	fmt.Fprint(h, r.Phone, "/", r.Attempt)
	return float64(h.Sum32())/(1<<32) < bestTimePersona(hour)
}
