package campaigns_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// A premium-rate number in a list (here a Chinese 168 information line)
// is never dialled: it is dropped with its reason.
func TestAPremiumRateNumberIsNeverDialled(t *testing.T) {
	w := newWorld(t)
	c, _ := w.campaignOf(w.p, "13812341234", "+8616812345")
	var placed []string
	refused := map[string]int{}
	for _, a := range w.queue(w.p, c) {
		d, err := w.svc.BeginDial(w.ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if d.Place {
			placed = append(placed, d.Request.Phone)
			w.svc.CloseCall(w.ctx, w.p.TenantID, d.Request.CallID, campaigns.Ending{Outcome: telephony.OutcomeAnswered})
		}
		if d.Refusal != nil {
			refused[d.Refusal.Reason]++
			if !d.Refusal.RetryAt.IsZero() {
				t.Errorf("a blocked number must be dropped, got a retry at %v", d.Refusal.RetryAt)
			}
		}
	}
	if len(placed) != 1 || placed[0] != "+8613812341234" || refused[campaigns.ReasonBlocked] != 1 {
		t.Fatalf("placed %v, refused %v; want the mobile placed and the premium-rate number refused", placed, refused)
	}
}

func TestANumberAddedToTheDNCListMidCampaignIsNeverDialled(t *testing.T) {
	w := newWorld(t)
	c, _ := w.campaignOf(w.p, "13812341234", "13812345678")
	dials := w.queue(w.p, c)
	if len(dials) != 2 {
		t.Fatalf("queued %d dials, want 2", len(dials))
	}
	if _, err := w.contacts.AddDNC(w.ctx, w.p, []string{"138 1234 5678"}, "complaint"); err != nil {
		t.Fatal(err)
	}
	placed, refused := 0, map[string]int{}
	for _, a := range dials {
		d, err := w.svc.BeginDial(w.ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if d.Place {
			placed++
			if d.Request.Phone != "+8613812341234" {
				t.Fatalf("dialled %s", phone.Mask(d.Request.Phone))
			}
			w.svc.CloseCall(w.ctx, w.p.TenantID, d.Request.CallID, campaigns.Ending{Outcome: telephony.OutcomeAnswered})
		}
		if d.Refusal != nil {
			refused[d.Refusal.Reason]++
			if !d.Refusal.RetryAt.IsZero() {
				t.Fatalf("a DNC refusal must drop the contact, got a retry at %v", d.Refusal.RetryAt)
			}
		}
	}
	if placed != 1 || refused["dnc"] != 1 {
		t.Fatalf("placed %d, refused %v; want 1 placed and 1 refused for dnc", placed, refused)
	}
	counts, err := w.svc.CampaignCounts(w.ctx, w.p, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if counts.ByState["dropped"] != 1 || counts.ByState["done"] != 1 || counts.Refused["dnc"] != 1 || counts.Outcomes["answered"] != 1 {
		t.Fatalf("counts %+v", counts)
	}
	trail, err := w.contacts.Audit(w.ctx, w.p, "+8613812345678")
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{}
	for _, e := range trail.Events {
		kinds = append(kinds, e.Kind)
	}
	if len(kinds) != 2 || kinds[0] != "dnc_added" || kinds[1] != "refusal" {
		t.Fatalf("audit trail kinds %v, want [dnc_added refusal]", kinds)
	}
}

func TestTwoWorkersRacingOnOneNumberCannotBothPassTheDailyCap(t *testing.T) {
	w := newWorld(t)
	// No retry interval, so only the daily cap stands between the two.
	settings := campaigns.DefaultCompliance()
	settings.MinRetryInterval = 0
	if _, err := w.svc.SetCompliance(w.ctx, w.p, settings); err != nil {
		t.Fatal(err)
	}
	// Two campaigns dial the same number, which has had two calls today.
	c1, _ := w.campaignOf(w.p, "13812341234")
	c2, _ := w.campaignOf(w.p, "13812341234")
	d1, d2 := w.queue(w.p, c1), w.queue(w.p, c2)
	err := w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(w.ctx, `INSERT INTO dial_numbers (tenant_id, phone, last_dial_at, day, day_count) VALUES ($1, '+8613812341234', $2, '2026-11-24', 2)`,
			w.p.TenantID, tuesdayNoon.Add(-2*time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 5; round++ {
		var wg sync.WaitGroup
		results := make([]*campaigns.Dial, 2)
		for i, a := range []campaigns.DialArgs{d1[0], d2[0]} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := w.svc.BeginDial(w.ctx, a)
				if err != nil {
					t.Error(err)
				}
				results[i] = d
			}()
		}
		wg.Wait()
		placed, capped := 0, 0
		for _, d := range results {
			if d != nil && d.Place {
				placed++
			}
			if d != nil && d.Refusal != nil && d.Refusal.Reason == campaigns.ReasonDailyCap {
				capped++
			}
		}
		if placed != 1 || capped != 1 {
			t.Fatalf("round %d: placed %d, refused for the cap %d; want exactly one of each", round, placed, capped)
		}
		// Reset for the next round: both contacts queued again, two calls today.
		w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
			tx.Exec(w.ctx, `DELETE FROM calls`)
			tx.Exec(w.ctx, `UPDATE lines SET call_id = NULL`)
			tx.Exec(w.ctx, `UPDATE campaign_contacts SET state = 'queued', attempt = 0`)
			_, err := tx.Exec(w.ctx, `UPDATE dial_numbers SET day_count = 2, last_dial_at = $1`, tuesdayNoon.Add(-2*time.Hour))
			return err
		})
	}
}

func TestTheThirdCallOfTheDayGoesThroughAndTheFourthWaitsForTomorrow(t *testing.T) {
	w := newWorld(t)
	c, _ := w.campaignOf(w.p, "13812341234")
	var results []string
	for i := 0; i < 4; i++ {
		dials := w.queue(w.p, c)
		if len(dials) != 1 {
			t.Fatalf("call %d: queued %d dials", i+1, len(dials))
		}
		d, err := w.svc.BeginDial(w.ctx, dials[0])
		if err != nil {
			t.Fatal(err)
		}
		if d.Place {
			results = append(results, "placed")
			// Busy, retried at once for this test; the clock moves past the retry interval.
			w.svc.CloseCall(w.ctx, w.p.TenantID, d.Request.CallID, campaigns.Ending{Outcome: telephony.OutcomeBusy})
		} else {
			results = append(results, d.Refusal.Reason)
			if want := time.Date(2026, 11, 25, 9, 0, 0, 0, tuesdayNoon.Location()); !d.Refusal.RetryAt.Equal(want) {
				t.Fatalf("the fourth call is rescheduled for %v, want %v", d.Refusal.RetryAt, want)
			}
		}
		w.setNow(w.now.Load().Add(31 * time.Minute))
		w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
			_, err := tx.Exec(w.ctx, `UPDATE campaign_contacts SET next_at = $1`, *w.now.Load())
			return err
		})
	}
	if got := results; len(got) != 4 || got[2] != "placed" || got[3] != campaigns.ReasonDailyCap {
		t.Fatalf("results %v, want placed ×3 then daily_cap", got)
	}
}

func TestACampaignWhoseScriptIsNotPublishedStaysADraft(t *testing.T) {
	w := newWorld(t)
	w.configure(func(o *campaigns.Options) {
		o.ScriptPublished = func(_ context.Context, _ uuid.UUID, version string) error {
			if version == "v1" {
				return campaigns.FieldError("body.script_version", "script version %s is not published: publish it first", version)
			}
			return nil
		}
	})
	list := must[*contacts.List](t)(w.contacts.CreateList(w.ctx, w.p, "list", ""))
	must[*contacts.Contact](t)(w.contacts.UpsertContact(w.ctx, w.p, contacts.ContactInput{Phone: "13812341234", ListIDs: []uuid.UUID{list.ID}}))
	c := must[*campaigns.Campaign](t)(w.svc.CreateCampaign(w.ctx, w.p, campaigns.CampaignInput{Name: "c", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1"}))
	if _, err := w.svc.StartCampaign(w.ctx, w.p, c.ID); err == nil || tenants.ErrorCode(err) != tenants.EInvalid {
		t.Fatalf("start with an unpublished script: %v", err)
	}
	if got := must[*campaigns.Campaign](t)(w.svc.GetCampaign(w.ctx, w.p, c.ID)); got.Status != campaigns.StatusDraft {
		t.Fatalf("status %s", got.Status)
	}
	counts := must[*campaigns.Counts](t)(w.svc.CampaignCounts(w.ctx, w.p, c.ID))
	if counts.Contacts != 0 {
		t.Fatalf("a refused start left %d campaign contacts", counts.Contacts)
	}
}
