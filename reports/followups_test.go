package reports_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/reports"
	"github.com/outcall/outcall/telephony"
)

// The follow-ups report counts a campaign's messages by where they stand,
// and the contacts a sent message reached: those who answered a later call
// within a week, and those whose later call converted.
func TestTheFollowUpsReportCountsWhatCameOfTheMessages(t *testing.T) {
	w := newWorld(t)
	w.openRules(w.p)
	list := must[*contacts.List](t)(w.contacts.CreateList(w.ctx, w.p, "list", ""))
	phones := []string{"+8613800000001", "+8613800000002", "+8613800000003", "+8613800000004"}
	for _, ph := range phones {
		must[*contacts.Contact](t)(w.contacts.UpsertContact(w.ctx, w.p, contacts.ContactInput{Phone: ph, ListIDs: []uuid.UUID{list.ID}}))
	}
	noRetry := campaigns.RetryPolicy{telephony.OutcomeNoAnswer: {}, telephony.OutcomeBusy: {}, telephony.OutcomeFailed: {}}
	first := w.start(w.p, campaigns.CampaignInput{Name: "first", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1", RetryPolicy: noRetry,
		FollowUps: []campaigns.FollowUp{{Channel: campaigns.ChannelSMS, Template: "reminder", When: campaigns.FollowUpUnanswered}}})
	w.dialAll(w.p, first, func(r campaigns.Placement) campaigns.Ending {
		now := *w.now.Load()
		if r.Phone == phones[3] {
			return campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: now, EndedAt: now.Add(time.Minute)}
		}
		return campaigns.Ending{Outcome: telephony.OutcomeNoAnswer, EndedAt: now.Add(30 * time.Second)}
	})
	// The three messages: delivered, failed at the carrier, refused.
	sentAt := tuesdayNoon.Add(5 * time.Minute)
	if err := w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
		for _, m := range []struct {
			phone, set string
			args       []any
		}{
			{phones[0], `state = 'delivered', provider_id = 'p1', sent_at = $3`, []any{sentAt}},
			{phones[1], `state = 'failed', provider_id = 'p2', sent_at = $3, reason = 'the carrier reported it undelivered: MK:0001'`, []any{sentAt}},
			{phones[2], `state = 'refused', reason = 'dnc'`, nil},
		} {
			tag, err := tx.Exec(w.ctx, `UPDATE messages SET `+m.set+` WHERE tenant_id = $1 AND phone = $2`, append([]any{w.p.TenantID, m.phone}, m.args...)...)
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 1 {
				t.Fatalf("%d messages to %s, want 1", tag.RowsAffected(), m.phone)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The next day another campaign calls them: the first answers and
	// converts, the second does not answer.
	w.setNow(tuesdayNoon.Add(24 * time.Hour))
	second := w.start(w.p, campaigns.CampaignInput{Name: "second", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1", RetryPolicy: noRetry})
	w.dialAll(w.p, second, func(r campaigns.Placement) campaigns.Ending {
		now := *w.now.Load()
		if r.Phone == phones[0] {
			return campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: now, EndedAt: now.Add(time.Minute), Tags: []string{"converted"}}
		}
		return campaigns.Ending{Outcome: telephony.OutcomeNoAnswer, EndedAt: now.Add(30 * time.Second)}
	})

	r, err := w.svc.FollowUps(w.ctx, w.p, reports.Filter{CampaignID: &first.ID})
	if err != nil {
		t.Fatal(err)
	}
	if r.Messages != 3 || r.Sent != 2 || r.Delivered != 1 || r.Failed != 1 || r.Refused != 1 || r.Waiting != 0 ||
		r.Reached != 1 || r.Converted != 1 || r.DeliveryRate != 0.5 || r.ConversionRate != 0.5 ||
		r.FailedByReason["dnc"] != 1 || len(r.ByTemplate) != 1 || r.ByTemplate[0].Template != "reminder" || r.ByTemplate[0].Converted != 1 {
		t.Fatalf("follow-ups report %+v", r)
	}
	// The second campaign asked for none; another tenant sees none.
	if r, err := w.svc.FollowUps(w.ctx, w.p, reports.Filter{CampaignID: &second.ID}); err != nil || r.Messages != 0 {
		t.Fatalf("the second campaign's report: %+v %v", r, err)
	}
	if r, err := w.svc.FollowUps(w.ctx, w.signup("Other"), reports.Filter{}); err != nil || r.Messages != 0 {
		t.Fatalf("another tenant's report: %+v %v", r, err)
	}
}
