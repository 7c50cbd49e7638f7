package campaigns_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/alismstest"
	"github.com/outcall/outcall/telephony/twiliosmstest"
)

// smsWorld is a world whose tenant sends SMS through a test double of
// Alibaba Cloud SMS.
func (w *world) smsWorld() (*alismstest.Server, *telephony.SMSStore) {
	w.t.Helper()
	srv := alismstest.NewServer("LTAI-test", "secret-test")
	w.t.Cleanup(srv.Close)
	// The provider and the service share the world's clock.
	srv.SetClock(w.clock)
	srv.Approve("外呼科技", "SMS_1001", []string{"name"})
	srv.Approve("外呼科技", "SMS_1002", []string{"name", "link"})
	trunks, err := telephony.NewTrunkStore(w.db, "a-secret-key-for-the-follow-up-tests")
	if err != nil {
		w.t.Fatal(err)
	}
	store := &telephony.SMSStore{Trunks: trunks, Now: w.clock}
	secret := "secret-test"
	if _, err := store.Set(w.ctx, w.p, telephony.SMSInput{Provider: telephony.SMSAliyun, Endpoint: srv.URL, AccessKeyID: "LTAI-test", Secret: &secret,
		SignName: "外呼科技", Templates: map[string]telephony.SMSTemplate{
			"reminder":     {ID: "SMS_1001", Params: []string{"name"}},
			"payment_link": {ID: "SMS_1002", Params: []string{"name", "link"}},
		}}); err != nil {
		w.t.Fatal(err)
	}
	return srv, store
}

// messagesOf returns the campaign's messages by phone, then template.
func (w *world) messagesOf(c *campaigns.Campaign) map[string]campaigns.Message {
	w.t.Helper()
	list, err := w.svc.ListMessages(w.ctx, w.p, campaigns.MessageFilter{CampaignID: &c.ID}, 200, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]campaigns.Message{}
	for _, m := range list {
		out[m.Phone+" "+m.Template] = m
	}
	return out
}

// Contacts whose calls all went unanswered get the campaign's SMS
// follow-ups, and only within compliance: nothing to a number on the
// do-not-call list, nothing in the recipient's quiet hours (it waits for
// their end), at most the daily cap per number (the rest waits for the
// next day), and a message that may have reached the provider is never
// sent again.
func TestUnansweredContactsGetTheirFollowUpsWithinCompliance(t *testing.T) {
	w := newWorld(t)
	srv, sms := w.smsWorld()
	list := must[*contacts.List](t)(w.contacts.CreateList(w.ctx, w.p, "list", ""))
	phones := []string{"+8613800000001", "+8613800000002", "+8613800000003", "+8613800000004"}
	for i, ph := range phones {
		attrs := map[string]any{"link": "https://pay.example/" + string(rune('a'+i))}
		must[*contacts.Contact](t)(w.contacts.UpsertContact(w.ctx, w.p, contacts.ContactInput{Phone: ph, Name: "客户" + string(rune('A'+i)),
			Attributes: attrs, ListIDs: []uuid.UUID{list.ID}}))
	}
	c := must[*campaigns.Campaign](t)(w.svc.CreateCampaign(w.ctx, w.p, campaigns.CampaignInput{Name: "催缴", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1",
		RetryPolicy: campaigns.RetryPolicy{telephony.OutcomeNoAnswer: {After: campaigns.Duration(time.Hour), Times: 1}},
		FollowUps: []campaigns.FollowUp{
			{Channel: campaigns.ChannelSMS, Template: "reminder", When: campaigns.FollowUpUnanswered},
			{Channel: campaigns.ChannelSMS, Template: "payment_link", When: campaigns.FollowUpUnanswered},
		}}))
	c = must[*campaigns.Campaign](t)(w.svc.StartCampaign(w.ctx, w.p, c.ID))

	// The second number answers; the others never do, on either attempt.
	ending := func(r campaigns.Placement) campaigns.Ending {
		now := w.clock()
		if r.Phone == phones[1] {
			return campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: now, EndedAt: now.Add(30 * time.Second)}
		}
		return campaigns.Ending{Outcome: telephony.OutcomeNoAnswer, EndedAt: now.Add(40 * time.Second)}
	}
	w.dialAll(w.p, c, ending)
	if got := w.messagesOf(c); len(got) != 0 {
		t.Fatalf("after the first attempts, with one retry left: messages %v, want none yet", got)
	}
	w.setNow(tuesdayNoon.Add(90 * time.Minute))
	w.dialAll(w.p, c, ending)

	msgs := w.messagesOf(c)
	if len(msgs) != 6 {
		t.Fatalf("%d messages, want two for each of the three numbers that never answered: %v", len(msgs), msgs)
	}
	for k := range msgs {
		if strings.HasPrefix(k, phones[1]) {
			t.Fatalf("the number that answered got a follow-up: %s", k)
		}
	}

	// The third number opts out before its messages go.
	if _, err := w.contacts.AddDNC(w.ctx, w.p, []string{phones[2]}, "asked not to be texted"); err != nil {
		t.Fatal(err)
	}
	send := func(key string) time.Time {
		t.Helper()
		at, err := w.svc.SendMessage(w.ctx, w.p.TenantID, msgs[key].ID, sms)
		if err != nil {
			t.Fatalf("send %s: %v", key, err)
		}
		return at
	}
	state := func(key string) campaigns.Message {
		t.Helper()
		m, err := w.svc.GetMessage(w.ctx, w.p, msgs[key].ID)
		if err != nil {
			t.Fatal(err)
		}
		return *m
	}
	nextMorning := time.Date(2026, 11, 25, 9, 0, 0, 0, tuesdayNoon.Location())

	// Tuesday 13:30 in Shanghai: the first number's reminder goes; its
	// payment link would be its second message today, over the cap of 1.
	if at := send(phones[0] + " reminder"); !at.IsZero() {
		t.Fatalf("the reminder waits until %v, want it sent", at)
	}
	if m := state(phones[0] + " reminder"); m.State != campaigns.MessageSent || m.ProviderID == "" || m.Provider != telephony.SMSAliyun {
		t.Fatalf("the reminder: %+v, want sent with the provider's id", m)
	}
	if at := send(phones[0] + " payment_link"); !at.Equal(nextMorning) {
		t.Fatalf("the second message of the day waits until %v, want the next day's first allowed moment %v", at, nextMorning)
	}
	if m := state(phones[0] + " payment_link"); m.State != campaigns.MessageQueued || m.Reason != campaigns.ReasonDailyCap {
		t.Fatalf("the capped message: %+v, want queued for daily_cap", m)
	}
	// The number on the do-not-call list gets nothing, for good.
	for _, tmpl := range []string{"reminder", "payment_link"} {
		if at := send(phones[2] + " " + tmpl); !at.IsZero() {
			t.Fatalf("the opted-out number's %s waits until %v, want it refused", tmpl, at)
		}
		if m := state(phones[2] + " " + tmpl); m.State != campaigns.MessageRefused || m.Reason != campaigns.ReasonDNC {
			t.Fatalf("the opted-out number's %s: %+v, want refused for dnc", tmpl, m)
		}
	}
	// 22:00: quiet hours; the fourth number's reminder waits for 09:00.
	w.setNow(time.Date(2026, 11, 24, 22, 0, 0, 0, tuesdayNoon.Location()))
	if at := send(phones[3] + " reminder"); !at.Equal(nextMorning) {
		t.Fatalf("a message in quiet hours waits until %v, want %v", at, nextMorning)
	}
	if m := state(phones[3] + " reminder"); m.State != campaigns.MessageQueued || m.Reason != campaigns.ReasonQuietHours {
		t.Fatalf("the message in quiet hours: %+v", m)
	}
	// Sent too early by a job that woke before its time, it still waits.
	w.setNow(nextMorning.Add(-time.Minute))
	if at := send(phones[3] + " reminder"); !at.Equal(nextMorning) {
		t.Fatalf("a minute before its time the message waits until %v, want %v", at, nextMorning)
	}

	// Wednesday 09:30: the waiting messages go, one per number.
	w.setNow(nextMorning.Add(30 * time.Minute))
	for _, key := range []string{phones[0] + " payment_link", phones[3] + " reminder"} {
		if at := send(key); !at.IsZero() {
			t.Fatalf("%s waits until %v on the next morning, want it sent", key, at)
		}
	}
	// The fourth number's payment link: its worker died while the provider
	// was being asked. It is not sent again.
	if err := w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(w.ctx, `UPDATE messages SET state = 'sending', sent_at = $2 WHERE id = $1`, msgs[phones[3]+" payment_link"].ID, w.clock())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	send(phones[3] + " payment_link")
	if m := state(phones[3] + " payment_link"); m.State != campaigns.MessageFailed || !strings.Contains(m.Reason, "not sent again") {
		t.Fatalf("a message found sending: %+v, want failed, not sent again", m)
	}

	// The provider got exactly the three messages compliance let through,
	// with the contact's own values in the template's variables.
	var got []string
	for _, s := range srv.Sent() {
		got = append(got, s.To+" "+s.Template+" "+s.Params["name"]+" "+s.Params["link"])
	}
	want := []string{"+8613800000001 SMS_1001 客户A ", "+8613800000001 SMS_1002 客户A https://pay.example/a", "+8613800000004 SMS_1001 客户D "}
	if !slices.Equal(got, want) {
		t.Fatalf("the provider got\n%q\nwant\n%q", got, want)
	}
	// Each sent message was sent outside the recipient's quiet hours.
	for key, m := range w.messagesOf(c) {
		if m.SentAt != nil && m.ProviderID != "" {
			if h := m.SentAt.In(tuesdayNoon.Location()).Hour(); h < 9 || h >= 21 {
				t.Errorf("%s was sent at %v, in the recipient's quiet hours", key, m.SentAt)
			}
		}
	}

	// The carrier's receipts: delivered, and a failure with its code.
	srv.Report(phones[3], telephony.SMSFailed, "MK:0001")
	for key, want := range map[string]string{phones[0] + " reminder": campaigns.MessageDelivered, phones[3] + " reminder": campaigns.MessageFailed} {
		if at, err := w.svc.CheckReceipt(w.ctx, w.p.TenantID, msgs[key].ID, sms); err != nil || !at.IsZero() {
			t.Fatalf("receipt of %s: %v %v", key, at, err)
		}
		if m := state(key); m.State != want || m.ReceiptCode == "" || m.DoneAt == nil {
			t.Fatalf("%s after its receipt: %+v, want %s with the carrier's code", key, m, want)
		}
	}

	// Every change was told to the tenant's webhooks, once.
	events := dbtest.EventCounts(w.ctx, t, w.db, w.p.TenantID, "message.")
	// The number's audit trail tells each message, after the opt-out that
	// refused them.
	trail, err := w.contacts.Audit(w.ctx, w.p, phones[2])
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range trail.Events {
		kinds = append(kinds, e.Kind+":"+e.Outcome)
	}
	if want := []string{"attempt:no_answer", "attempt:no_answer", "dnc_added:", "message:refused", "message:refused"}; !slices.Equal(kinds, want) {
		t.Fatalf("the opted-out number's trail %q, want %q", kinds, want)
	}
	// sent: 3; delivered: 1; failed: two refusals, the one not sent
	// again and the carrier's failure.
	if events["message.sent"] != 3 || events["message.delivered"] != 1 || events["message.failed"] != 4 {
		t.Fatalf("message events %v, want 3 sent, 1 delivered, 4 failed", events)
	}
}

// A follow-up names a channel, a template and when; anything else is
// refused with the field that is wrong.
func TestAFollowUpThatCannotBeSentIsRefusedAtCreation(t *testing.T) {
	w := newWorld(t)
	list := must[*contacts.List](t)(w.contacts.CreateList(w.ctx, w.p, "list", ""))
	for _, c := range []struct {
		f     campaigns.FollowUp
		field string
	}{
		{campaigns.FollowUp{Channel: "wechat", Template: "x", When: campaigns.FollowUpUnanswered}, "body.follow_ups[0].channel"},
		{campaigns.FollowUp{Channel: campaigns.ChannelSMS, When: campaigns.FollowUpUnanswered}, "body.follow_ups[0].template"},
		{campaigns.FollowUp{Channel: campaigns.ChannelSMS, Template: "x", When: "sometimes"}, "body.follow_ups[0].when"},
	} {
		_, err := w.svc.CreateCampaign(w.ctx, w.p, campaigns.CampaignInput{Name: "c", ListIDs: []uuid.UUID{list.ID}, FollowUps: []campaigns.FollowUp{c.f}})
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("follow-up %+v: %v, want an error at %s", c.f, err, c.field)
		}
	}
}

// A call whose script asked for a follow-up (a state's followUp) gets it,
// though its campaign has none of its own, filled from what the call
// captured; asked twice, it is sent once.
func TestAScriptsFollowUpIsQueuedWithItsCall(t *testing.T) {
	w := newWorld(t)
	w.openRules(w.p)
	c, _ := w.campaignOf(w.p, "+8613800000009")
	w.dialAll(w.p, c, func(r campaigns.Placement) campaigns.Ending {
		now := w.clock()
		return campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: now, EndedAt: now.Add(time.Minute),
			Vars: []byte(`{"link": "https://pay.example/z"}`), FollowUps: []string{"payment_link", "payment_link"}}
	})
	msgs := w.messagesOf(c)
	m, ok := msgs["+8613800000009 payment_link"]
	if len(msgs) != 1 || !ok || m.State != campaigns.MessageQueued {
		t.Fatalf("messages %v, want the script's payment_link, queued", msgs)
	}
	var link string
	if err := w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(w.ctx, `SELECT params->>'link' FROM messages WHERE id = $1`, m.ID).Scan(&link)
	}); err != nil || link != "https://pay.example/z" {
		t.Fatalf("the message's link variable %q (%v), want the call's captured link", link, err)
	}
}

// A tenant texting abroad through Twilio sends its own template text, the
// contact's values in its placeholders, from its own number.
func TestAFollowUpGoesThroughTwilioAsTheTenantsOwnText(t *testing.T) {
	w := newWorld(t)
	w.openRules(w.p)
	srv := twiliosmstest.NewServer("AC0123456789abcdef0123456789abcdef", "twilio-token")
	t.Cleanup(srv.Close)
	text := "Hi {name}, we missed you: {link}"
	srv.Approve("+14155550100", text, []string{"name", "link"})
	trunks, err := telephony.NewTrunkStore(w.db, "a-secret-key-for-the-twilio-test")
	if err != nil {
		t.Fatal(err)
	}
	sms := &telephony.SMSStore{Trunks: trunks}
	token := "twilio-token"
	if _, err := sms.Set(w.ctx, w.p, telephony.SMSInput{Provider: telephony.SMSTwilio, Endpoint: srv.URL, AccessKeyID: "AC0123456789abcdef0123456789abcdef",
		Secret: &token, SignName: "+14155550100", Templates: map[string]telephony.SMSTemplate{"missed": {ID: text, Params: []string{"name", "link"}}}}); err != nil {
		t.Fatal(err)
	}
	list := must[*contacts.List](t)(w.contacts.CreateList(w.ctx, w.p, "list", ""))
	must[*contacts.Contact](t)(w.contacts.UpsertContact(w.ctx, w.p, contacts.ContactInput{Phone: "+14155550123", Name: "Ann",
		Attributes: map[string]any{"link": "https://pay.example/ann"}, TimeZone: "Asia/Shanghai", ListIDs: []uuid.UUID{list.ID}}))
	c := must[*campaigns.Campaign](t)(w.svc.CreateCampaign(w.ctx, w.p, campaigns.CampaignInput{Name: "abroad", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1",
		RetryPolicy: campaigns.RetryPolicy{telephony.OutcomeNoAnswer: {}},
		FollowUps:   []campaigns.FollowUp{{Channel: campaigns.ChannelSMS, Template: "missed", When: campaigns.FollowUpUnanswered}}}))
	c = must[*campaigns.Campaign](t)(w.svc.StartCampaign(w.ctx, w.p, c.ID))
	w.dialAll(w.p, c, func(r campaigns.Placement) campaigns.Ending {
		return campaigns.Ending{Outcome: telephony.OutcomeNoAnswer, EndedAt: w.clock().Add(30 * time.Second)}
	})
	m, ok := w.messagesOf(c)["+14155550123 missed"]
	if !ok {
		t.Fatalf("no follow-up queued: %v", w.messagesOf(c))
	}
	if at, err := w.svc.SendMessage(w.ctx, w.p.TenantID, m.ID, sms); err != nil || !at.IsZero() {
		t.Fatalf("send: %v %v", at, err)
	}
	got, err := w.svc.GetMessage(w.ctx, w.p, m.ID)
	if err != nil || got.State != campaigns.MessageSent || got.Provider != telephony.SMSTwilio || !strings.HasPrefix(got.ProviderID, "SM") {
		t.Fatalf("the message: %+v %v, want sent through Twilio", got, err)
	}
	if bodies := srv.Bodies(); !slices.Equal(bodies, []string{"Hi Ann, we missed you: https://pay.example/ann"}) {
		t.Fatalf("Twilio got %q", bodies)
	}
}
