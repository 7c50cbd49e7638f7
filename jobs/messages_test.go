package jobs_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/campaigns/hooks"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/alismstest"
)

// The workers text the contacts a campaign never reached: each unanswered
// contact's follow-up is recorded with its call's close, sent through the
// tenant's provider by its job, and its carrier receipt recorded by the
// next, with a webhook event at each step.
func TestTheWorkersSendAFollowUpToEveryContactNeverReached(t *testing.T) {
	placer := &campaigns.TestPlacer{Decide: func(p campaigns.Placement) campaigns.Ending {
		if strings.HasSuffix(p.Phone, "0") {
			return campaigns.Ending{Outcome: telephony.OutcomeAnswered}
		}
		return campaigns.Ending{Outcome: telephony.OutcomeNoAnswer}
	}}
	r := newIdleCampaignRig(t, false, placer, func(rules *campaigns.Compliance) { rules.MaxConcurrentLines = 5 })
	// Billed, so each message's usage goes to the ledger.
	r.svc = campaigns.New(hooks.Add(campaigns.Options{DB: r.db, ReceiptFirstLook: 100 * time.Millisecond}, true))

	srv := alismstest.NewServer("LTAI-jobs", "jobs-secret")
	t.Cleanup(srv.Close)
	srv.Approve("外呼科技", "SMS_2001", []string{"name"})
	trunks, err := telephony.NewTrunkStore(r.db, "a-secret-key-for-the-message-jobs")
	if err != nil {
		t.Fatal(err)
	}
	sms := &telephony.SMSStore{Trunks: trunks}
	secret := "jobs-secret"
	if _, err := sms.Set(r.ctx, r.p, telephony.SMSInput{Provider: telephony.SMSAliyun, Endpoint: srv.URL, AccessKeyID: "LTAI-jobs", Secret: &secret,
		SignName: "外呼科技", Templates: map[string]telephony.SMSTemplate{"missed_you": {ID: "SMS_2001", Params: []string{"name"}}}}); err != nil {
		t.Fatal(err)
	}
	r.start(jobs.Config{DialWorkers: 5, SMS: sms})

	cs := contacts.New(contacts.Options{DB: r.db})
	list, err := cs.CreateList(r.ctx, r.p, "customers", "")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 4 {
		ph := fmt.Sprintf("+861380000000%d", i)
		if _, err := cs.UpsertContact(r.ctx, r.p, contacts.ContactInput{Phone: ph, Name: fmt.Sprintf("客户%d", i), ListIDs: []uuid.UUID{list.ID}}); err != nil {
			t.Fatal(err)
		}
		if i != 0 {
			want = append(want, ph+" SMS_2001 "+fmt.Sprintf("客户%d", i))
		}
	}
	c, err := r.svc.CreateCampaign(r.ctx, r.p, campaigns.CampaignInput{Name: "reminders", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1", RetryPolicy: noRetries,
		FollowUps: []campaigns.FollowUp{{Channel: campaigns.ChannelSMS, Template: "missed_you", When: campaigns.FollowUpUnanswered}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.StartCampaign(r.ctx, r.p, c.ID); err != nil {
		t.Fatal(err)
	}
	r.waitFor("every follow-up delivered", time.Minute, func() bool {
		got, err := r.svc.ListMessages(r.ctx, r.p, campaigns.MessageFilter{CampaignID: &c.ID, State: campaigns.MessageDelivered}, 10, nil)
		return err == nil && len(got) == 3
	})
	var got []string
	for _, s := range srv.Sent() {
		got = append(got, s.To+" "+s.Template+" "+s.Params["name"])
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("the provider got %q, want %q", got, want)
	}
	events := dbtest.EventCounts(r.ctx, t, r.db, r.p.TenantID, "message.")
	if events["message.sent"] != 3 || events["message.delivered"] != 3 || events["message.failed"] != 0 {
		t.Fatalf("message events %v, want 3 sent and 3 delivered", events)
	}
	// Each message is metered once, apart from the calls.
	usage, err := billing.New(billing.Config{DB: r.db}).Usage(r.ctx, r.p, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if usage.Totals.SMSMessages != 3 || usage.Totals.Calls != 1 {
		t.Fatalf("usage %+v, want 3 messages and the 1 connected call", usage.Totals)
	}
}
