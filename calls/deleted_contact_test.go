package calls_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/campaigns/hooks"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// placedCall is one contact's call, placed and not yet closed, on a
// campaigns service wired as a billed deployment is (a closed call records
// its usage).
type placedCall struct {
	db      *tenants.DB
	p       tenants.Principal
	svc     *campaigns.Service
	cs      *contacts.Service
	contact *contacts.Contact
	callID  uuid.UUID
}

const deletedNumber = "+8613800000001"

func placeACall(t *testing.T) *placedCall {
	t.Helper()
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	db, p := shop.DB, shop.Owner
	// As the service wires a billed deployment: a closed call records its usage.
	svc := campaigns.New(hooks.Add(campaigns.Options{DB: db}, true))
	cs := contacts.New(contacts.Options{DB: db})
	rules := campaigns.DefaultCompliance()
	rules.QuietHours = []string{}
	if _, err := svc.SetCompliance(ctx, p, rules); err != nil {
		t.Fatal(err)
	}
	list, err := cs.CreateList(ctx, p, "customers", "")
	if err != nil {
		t.Fatal(err)
	}
	person, err := cs.UpsertContact(ctx, p, contacts.ContactInput{Phone: deletedNumber, Name: "王芳", ListIDs: []uuid.UUID{list.ID}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.CreateCampaign(ctx, p, campaigns.CampaignInput{Name: "orders", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.StartCampaign(ctx, p, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Pace(ctx, p.TenantID, c.ID, 10); err != nil {
		t.Fatal(err)
	}
	a := campaigns.DialArgs{TenantID: p.TenantID, CampaignID: c.ID, ContactID: person.ID}
	err = db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT attempt + 1 FROM campaign_contacts WHERE campaign_id = $1 AND contact_id = $2 AND state = 'queued'`,
			c.ID, person.ID).Scan(&a.Attempt)
	})
	if err != nil {
		t.Fatalf("the contact's dial was not queued: %v", err)
	}
	d, err := svc.BeginDial(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Place {
		t.Fatalf("the dial was not placed (refusal %+v)", d.Refusal)
	}
	return &placedCall{db: db, p: p, svc: svc, cs: cs, contact: person, callID: d.Request.CallID}
}

// A call is the evidence of what was dialled, said, billed and recorded:
// deleting its contact leaves the call record, its turns and its usage.
func TestDeletingAContactKeepsItsCallsAndTheirUsage(t *testing.T) {
	ctx := context.Background()
	pc := placeACall(t)
	p, svc, cs, person, number := pc.p, pc.svc, pc.cs, pc.contact, deletedNumber
	answered := time.Now().Add(-2 * time.Minute).Truncate(time.Second)
	ended := answered.Add(95 * time.Second)
	turn := campaigns.Turn{Seq: 1, State: "greeting", Said: "您好,想跟您确认订单。", Heard: "是的", Intent: "affirm", StartedAt: answered, EndedAt: ended}
	if _, err := svc.CloseCall(ctx, p.TenantID, pc.callID, campaigns.Ending{Outcome: telephony.OutcomeAnswered,
		AnsweredAt: answered, EndedAt: ended, FinalState: "confirm", Tags: []string{"converted"}, Turns: []campaigns.Turn{turn},
		RecordingRef: "recordings/" + pc.callID.String() + ".wav"}); err != nil {
		t.Fatal(err)
	}

	if err := cs.DeleteContact(ctx, p, person.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.GetContact(ctx, p, person.ID); err == nil {
		t.Fatal("the contact is still there")
	}

	call, err := svc.GetCall(ctx, p, pc.callID)
	if err != nil {
		t.Fatalf("the call record went with its contact: %v", err)
	}
	if call.Phone != number || call.ContactID != person.ID || call.State != "ended" || call.Outcome != telephony.OutcomeAnswered ||
		call.BillableSeconds != 95 || call.RecordingRef == "" || len(call.Turns) != 1 {
		t.Errorf("after its contact was deleted the call reads phone %s, contact %s, state %s, outcome %s, %d billable seconds, recording %q, %d turns; want %s, %s, ended, answered, 95, the recording and 1 turn",
			call.Phone, call.ContactID, call.State, call.Outcome, call.BillableSeconds, call.RecordingRef, len(call.Turns), number, person.ID)
	}
	found, err := svc.SearchCalls(ctx, p, campaigns.CallFilter{Phone: number}, 10, nil)
	if err != nil || len(found) != 1 {
		t.Errorf("a search by the number finds %d calls (%v), want 1", len(found), err)
	}
	usage, err := billing.New(billing.Config{DB: pc.db}).Usage(ctx, p, ended)
	if err != nil {
		t.Fatal(err)
	}
	if usage.Totals.Calls != 1 || usage.Totals.Minutes != 2 {
		t.Errorf("the tenant's usage shows %d calls and %d minutes after the contact was deleted, want 1 call of 2 minutes", usage.Totals.Calls, usage.Totals.Minutes)
	}
}

// A contact deleted while its call is in progress: the call still closes,
// with its billable time.
func TestACallWhoseContactIsDeletedMidCallStillCloses(t *testing.T) {
	ctx := context.Background()
	pc := placeACall(t)
	if err := pc.cs.DeleteContact(ctx, pc.p, pc.contact.ID); err != nil {
		t.Fatal(err)
	}
	answered := time.Now().Add(-time.Minute).Truncate(time.Second)
	call, err := pc.svc.CloseCall(ctx, pc.p.TenantID, pc.callID, campaigns.Ending{Outcome: telephony.OutcomeAnswered,
		AnsweredAt: answered, EndedAt: answered.Add(30 * time.Second)})
	if err != nil {
		t.Fatalf("close the call of a deleted contact: %v", err)
	}
	if call.State != "ended" || call.BillableSeconds != 30 {
		t.Errorf("the call closed as %s with %d billable seconds, want ended with 30", call.State, call.BillableSeconds)
	}
}
