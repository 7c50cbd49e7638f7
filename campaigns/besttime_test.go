package campaigns_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/telephony"
)

func TestBestTimeDialsTheContactsWhoseLocalHourAnswersBestFirst(t *testing.T) {
	w := newWorld(t)
	w.openRules(w.p)
	cst := tuesdayNoon.Location()
	// History: at 20:00 everyone answered, at 09:00 nobody did.
	history := func(hour int, outcome telephony.Outcome, phones ...string) {
		at := time.Date(2026, 11, 24, hour, 0, 0, 0, cst)
		w.setNow(at)
		c, _ := w.campaignOf(w.p, phones...)
		w.dialAll(w.p, c, func(campaigns.Placement) campaigns.Ending {
			r := campaigns.Ending{Outcome: outcome, EndedAt: at.Add(time.Minute)}
			if outcome == telephony.OutcomeAnswered {
				r.AnsweredAt = at
			}
			return r
		})
	}
	history(20, telephony.OutcomeAnswered, "13900000001", "13900000002", "13900000003", "13900000004", "13900000005")
	history(9, telephony.OutcomeNoAnswer, "13900000011", "13900000012", "13900000013", "13900000014", "13900000015")

	// Wednesday 09:00 in Shanghai is Tuesday 20:00 in New York.
	wednesday9 := time.Date(2026, 11, 25, 9, 0, 0, 0, cst)
	w.setNow(wednesday9)
	list := must[*contacts.List](t)(w.contacts.CreateList(w.ctx, w.p, "two", ""))
	shanghai := must[*contacts.Contact](t)(w.contacts.UpsertContact(w.ctx, w.p, contacts.ContactInput{Phone: "13900000021", TimeZone: "Asia/Shanghai", ListIDs: []uuid.UUID{list.ID}}))
	newYork := must[*contacts.Contact](t)(w.contacts.UpsertContact(w.ctx, w.p, contacts.ContactInput{Phone: "+12125550123", TimeZone: "America/New_York", ListIDs: []uuid.UUID{list.ID}}))
	first := func(bestTime bool) uuid.UUID {
		c := must[*campaigns.Campaign](t)(w.svc.CreateCampaign(w.ctx, w.p, campaigns.CampaignInput{Name: "c", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1", BestTime: bestTime}))
		if c.BestTime != bestTime {
			t.Fatalf("best_time %v not kept", bestTime)
		}
		c = must[*campaigns.Campaign](t)(w.svc.StartCampaign(w.ctx, w.p, c.ID))
		// The Shanghai contact has waited longer.
		err := w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
			_, err := tx.Exec(w.ctx, `UPDATE campaign_contacts SET next_at = next_at - interval '1 hour' WHERE campaign_id = $1 AND contact_id = $2`, c.ID, shanghai.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Pace(w.ctx, w.p.TenantID, c.ID, 1); err != nil {
			t.Fatal(err)
		}
		var queued uuid.UUID
		w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
			return tx.QueryRow(w.ctx, `SELECT contact_id FROM campaign_contacts WHERE campaign_id = $1 AND state = 'queued'`, c.ID).Scan(&queued)
		})
		return queued
	}
	if got := first(false); got != shanghai.ID {
		t.Fatalf("without best time the longest waiting contact goes first; got %v", got)
	}
	if got := first(true); got != newYork.ID {
		t.Fatalf("with best time the contact at 20:00 local goes first; got %v", got)
	}
}
