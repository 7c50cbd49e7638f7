package campaigns_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
)

func TestADialOutsideThePlansCountriesIsDroppedWithItsOwnReason(t *testing.T) {
	noon := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	cn := []string{"CN"}
	cases := []struct {
		name   string
		f      campaigns.DialFacts
		reason string
	}{
		{"a number of a country the plan lists", campaigns.DialFacts{Destinations: cn, Region: "CN"}, ""},
		{"a number of another country", campaigns.DialFacts{Destinations: cn, Region: "HK"}, campaigns.ReasonNotInPlan},
		{"a number of no country", campaigns.DialFacts{Destinations: cn, Region: ""}, campaigns.ReasonNotInPlan},
		{"any number when the plan lists none", campaigns.DialFacts{Region: "GB"}, ""},
		{"a premium-rate number keeps its own reason", campaigns.DialFacts{Destinations: cn, Region: "HK", Blocked: "it is a premium-rate number"}, campaigns.ReasonBlocked},
		{"a number outside the plan is refused before the do-not-call list is asked", campaigns.DialFacts{Destinations: cn, Region: "US", DNC: true}, campaigns.ReasonNotInPlan},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.f.Now = noon
			r := campaigns.CheckDial(campaigns.DefaultCompliance(), c.f)
			switch {
			case c.reason == "" && r != nil:
				t.Fatalf("refused %+v", r)
			case c.reason != "" && (r == nil || r.Reason != c.reason || !r.RetryAt.IsZero()):
				t.Fatalf("got %+v, want %s and dropped", r, c.reason)
			}
		})
	}
}

// A tenant whose plan lists its countries dials only numbers of those: the
// others are dropped as destination_not_in_plan, and a change of the plan
// holds from the next dial check.
func TestATenantDialsOnlyTheCountriesItsPlanLists(t *testing.T) {
	w := newWorld(t)
	w.openRules(w.p)
	setDestinations := func(regions ...string) {
		t.Helper()
		if _, err := w.db.Pool().Exec(w.ctx, `UPDATE plans SET destinations = $1, version = version + 1 WHERE id = $2`, append([]string{}, regions...), billing.Trial); err != nil {
			t.Fatal(err)
		}
	}
	setDestinations("CN")
	c, _ := w.campaignOf(w.p, "13812341234", "+85291234567", "+447400123456")
	placed, refused := dialRound(t, w, c)
	if len(placed) != 1 || placed[0] != "+8613812341234" || refused[campaigns.ReasonNotInPlan] != 2 {
		t.Fatalf("placed %v, refused %v; want the Chinese number placed and the other two refused as %s", placed, refused, campaigns.ReasonNotInPlan)
	}
	var reasons []string
	if err := w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(w.ctx, `SELECT last_reason FROM campaign_contacts WHERE campaign_id = $1 AND state = 'dropped' ORDER BY phone`, c.ID)
		if err != nil {
			return err
		}
		reasons, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(reasons) != 2 || reasons[0] != campaigns.ReasonNotInPlan || reasons[1] != campaigns.ReasonNotInPlan {
		t.Fatalf("dropped contacts' reasons %v", reasons)
	}

	setDestinations() // any country
	c2, _ := w.campaignOf(w.p, "+447400123456")
	if placed, refused := dialRound(t, w, c2); len(placed) != 1 || len(refused) != 0 {
		t.Fatalf("with no countries listed: placed %v, refused %v", placed, refused)
	}
}

// dialRound runs one pacing round of c and checks every dial it queued,
// closing the placed calls as answered.
func dialRound(t *testing.T, w *world, c *campaigns.Campaign) (placed []string, refused map[string]int) {
	t.Helper()
	refused = map[string]int{}
	for _, a := range w.queue(w.p, c) {
		d, err := w.svc.BeginDial(w.ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if d.Place {
			placed = append(placed, d.Request.Phone)
			if _, err := w.svc.CloseCall(w.ctx, w.p.TenantID, d.Request.CallID, campaigns.Ending{Outcome: telephony.OutcomeAnswered}); err != nil {
				t.Fatal(err)
			}
		}
		if d.Refusal != nil {
			refused[d.Refusal.Reason]++
		}
	}
	return placed, refused
}
