package calls_test

import (
	"context"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/campaigns/hooks"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/agentsim"
	"github.com/outcall/outcall/telephony/calleesim"
	"github.com/outcall/outcall/tenants"
)

// deskScript hands a callee who asks for a person to the support queue.
const deskScript = `export default {
  start: "greeting",
  lang: "zh-CN",
  states: {
    greeting: {
      say: "您好${contact.name},这里是账单提醒。",
      on: { affirm: "bye", deny: "bye", human: "agent" },
    },
    agent: { say: "好的。", transfer: "queue:support" },
    bye: { say: "好的,再见。", end: "done" },
  },
};
`

// deskRig is a campaign whose calls reach the callee simulator over SIP and
// whose script hands callees to the desk's support queue.
type deskRig struct {
	db    *tenants.DB
	owner tenants.Principal
	svc   *campaigns.Service
	cs    *contacts.Service
	desk  *calls.Desk
	sim   *calleesim.Simulator
	store *scripting.Store
	ver   *scripting.StoredVersion
	// proxy, when the rig was made with one, stands between the worker
	// (its campaigns, its desk) and PostgreSQL; the test's own reads and
	// the agents' desk reach PostgreSQL directly.
	proxy *dbtest.Proxy
}

func newDeskRig(t *testing.T, personas []calleesim.Persona) *deskRig {
	t.Helper()
	return newDeskRigWith(t, personas, false)
}

// newDeskRigWith makes the rig; with throughProxy, the worker reaches
// PostgreSQL through a proxy the test can cut.
func newDeskRigWith(t *testing.T, personas []calleesim.Persona, throughProxy bool) *deskRig {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed (apt-get install espeak-ng): prompts cannot be spoken")
	}
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	r := &deskRig{db: shop.DB, owner: shop.Owner}
	r.svc = campaigns.New(hooks.Add(campaigns.Options{DB: r.db}, false))
	r.cs = contacts.New(contacts.Options{DB: r.db})
	settings := campaigns.DefaultCompliance()
	settings.QuietHours = []string{}
	if _, err := r.svc.SetCompliance(ctx, r.owner, settings); err != nil {
		t.Fatal(err)
	}
	hosts, err := scripting.NewHostPool(scripting.HostConfig{Command: hostCommand, Env: hostEnv, Hosts: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hosts.Close)
	r.store = &scripting.Store{DB: r.db, Runner: hosts}
	r.ver = publishScript(t, ctx, r.store, r.owner, "账单提醒", deskScript)

	tts := telephony.NewCachedTTS(telephony.EspeakTTS{}, 100)
	if r.sim, err = calleesim.Start(ctx, calleesim.Config{TTS: tts, Personas: personas}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.sim.Close() })
	sip, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: tts, ASR: telephony.SimulationRecognizer{}, Recordings: telephony.LocalRecordingStore{Dir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sip.Close() })

	hubCtx, stopHub := context.WithCancel(ctx)
	hub := calls.NewDeskHub(r.db.Pool(), nil)
	hubDone := make(chan struct{})
	go func() { defer close(hubDone); hub.Run(hubCtx) }()
	t.Cleanup(func() { stopHub(); <-hubDone })
	select {
	case <-hub.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the desk's hub did not start listening")
	}
	r.desk = &calls.Desk{DB: r.db, Hub: hub, WebRTC: telephony.WebRTCConfig{LoopbackOnly: true}}
	workerSvc, workerDesk := r.svc, r.desk
	if throughProxy {
		var proxied string
		r.proxy, proxied = dbtest.NewProxy(t, shop.URL)
		away, err := tenants.Open(ctx, proxied)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(away.Close)
		workerSvc = campaigns.New(hooks.Add(campaigns.Options{DB: away}, false))
		workerDesk = &calls.Desk{DB: away, Hub: hub, WebRTC: telephony.WebRTCConfig{LoopbackOnly: true}}
	}

	quiet := slog.New(slog.DiscardHandler)
	client, err := jobs.New(jobs.Config{Tenants: shop.Tenants, Logger: quiet, Work: true, Contacts: r.cs, Campaigns: workerSvc, DialWorkers: 2,
		Placer: calls.New(calls.Options{SIP: sip, Scripts: r.store, Hosts: hosts, Trunk: r.sim.Trunk(), RingTimeout: 5 * time.Second, Logger: quiet, Desk: workerDesk})})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		client.Stop(ctx)
	})
	return r
}

// agent adds a user with the agent role and returns their principal, as
// their portal session carries it.
func (r *deskRig) agent(t *testing.T, email string) tenants.Principal {
	t.Helper()
	return r.user(t, email, tenants.RoleAgent)
}

func (r *deskRig) user(t *testing.T, email string, role tenants.Role) tenants.Principal {
	t.Helper()
	added, err := tenants.NewService(r.db).AddUser(context.Background(), r.owner, tenants.AddUserRequest{Email: email, Role: role, Password: "user-password-1"})
	if err != nil {
		t.Fatal(err)
	}
	id := added.User.ID
	return tenants.Principal{TenantID: r.owner.TenantID, Role: role, UserID: &id}
}

// call starts a campaign that calls csv's contacts.
func (r *deskRig) call(t *testing.T, csv string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	list, err := r.cs.CreateList(ctx, r.owner, "customers", "")
	if err != nil {
		t.Fatal(err)
	}
	im, err := r.cs.CreateImport(ctx, r.owner, list.ID, []byte(csv), contacts.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the import is done", time.Minute, func() bool {
		got, err := r.cs.GetImport(ctx, r.owner, im.ID)
		return err == nil && got.Status == "done"
	})
	c, err := r.svc.CreateCampaign(ctx, r.owner, campaigns.CampaignInput{Name: "账单", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: r.ver.ID.String(),
		RetryPolicy: campaigns.RetryPolicy{telephony.OutcomeBusy: {}, telephony.OutcomeNoAnswer: {}, telephony.OutcomeFailed: {}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.StartCampaign(ctx, r.owner, c.ID); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func (r *deskRig) one(t *testing.T, query string, args ...any) (out []any) {
	t.Helper()
	err := r.db.InTenant(context.Background(), r.owner.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(context.Background(), query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		if !rows.Next() {
			return pgx.ErrNoRows
		}
		out, err = rows.Values()
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// A callee who asks for a person is handed to the support queue: the
// agent's desk rings with the call so far on screen, the agent answers in
// the browser (WebRTC), hears the callee and is heard, and hangs up; the
// call is recorded as transferred to them, their time is metered, and the
// webhooks tell each step.
func TestAnAgentTakesATransferredCallInTheBrowser(t *testing.T) {
	t.Parallel()
	r := newDeskRig(t, []calleesim.Persona{{Name: "wants-a-person", Numbers: []string{"+8613800000003"}, Voice: "cmn", Greeting: "喂?",
		Lines: []calleesim.Line{{Say: "转人工"}, {Say: "你好,我想问一下账单"}, {Say: "好的,明白了"}, {Say: "谢谢"}}, HoldMS: 30000}})
	ctx := context.Background()
	agent := r.agent(t, "agent@shop.example")
	supervisor := r.user(t, "supervisor@shop.example", tenants.RoleOperator)
	// An agent who is not in the queue is never rung.
	bystander := r.agent(t, "bystander@shop.example")
	if _, err := r.desk.SetStatus(ctx, bystander, calls.AgentAvailable); err != nil {
		t.Fatal(err)
	}
	q, err := r.desk.CreateQueue(ctx, r.owner, calls.QueueInput{Name: ptr("support"), AgentIDs: &[]uuid.UUID{*agent.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if q.TimeoutSeconds != 60 || q.RingSeconds != 20 || len(q.AgentIDs) != 1 {
		t.Fatalf("the queue: %+v", q)
	}
	if d, err := r.desk.SetStatus(ctx, agent, calls.AgentAvailable); err != nil || d.Status != calls.AgentAvailable || len(d.Queues) != 1 {
		t.Fatalf("going available: %+v %v", d, err)
	}
	campaign := r.call(t, "phone,name\n13800000003,赵先生\n")

	offer, err := r.desk.WaitOffer(ctx, agent, 60*time.Second)
	if err != nil || offer == nil {
		t.Fatalf("the desk did not ring: %v", err)
	}
	if offer.State != calls.OfferRinging || offer.Queue != "support" || offer.Screen.Contact.Name != "赵先生" || offer.Screen.CampaignName != "账单" ||
		offer.Screen.TransferState != "agent" || offer.Screen.Target != "queue:support" {
		t.Fatalf("the screen pop: %+v", offer)
	}
	heard := ""
	for _, turn := range offer.Screen.Transcript {
		heard += turn.Heard
	}
	if !strings.Contains(heard, "转人工") {
		t.Fatalf("the screen's transcript does not show what the callee asked: %+v", offer.Screen.Transcript)
	}
	if d, err := r.desk.Me(ctx, agent); err != nil || d.Status != calls.AgentRinging || d.Offer == nil || d.Offer.ID != offer.ID {
		t.Fatalf("the agent's desk while ringing: %+v %v", d, err)
	}
	if d, _ := r.desk.Me(ctx, bystander); d.Status != calls.AgentAvailable || d.Offer != nil {
		t.Fatalf("a desk outside the queue rang: %+v", d)
	}

	browser, sdp, err := agentsim.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer browser.Close()
	answer, err := r.desk.Answer(ctx, agent, offer.ID, sdp)
	if err != nil {
		t.Fatalf("answering: %v", err)
	}
	if err := browser.Answer(answer); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := browser.WaitConnected(cctx); err != nil {
		t.Fatalf("the browser did not connect: %v", err)
	}
	browser.Speak(440)
	// The agent hears the callee (who answers the agent's phrases).
	waitUntil(t, "the agent hears the callee", 20*time.Second, func() bool {
		_, loud := browser.Heard()
		return loud >= 25 // half a second of speech
	})
	if d, err := r.desk.Me(ctx, agent); err != nil || d.Status != calls.AgentBusy || d.Offer == nil || d.Offer.State != calls.OfferConnected {
		t.Fatalf("the agent's desk on the call: %+v %v", d, err)
	}
	// A supervisor sees the call live and listens in: they hear the
	// callee and the agent (whose tone is loud on its own). An agent may
	// not listen in.
	live, err := r.desk.Live(ctx, supervisor)
	if err != nil || len(live.Calls) != 1 || live.Calls[0].State != calls.OfferConnected || live.Calls[0].OfferID != offer.ID {
		t.Fatalf("the live view: %+v %v", live, err)
	}
	listener, lsdp, err := agentsim.NewListener(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	if _, err := r.desk.Listen(ctx, agent, offer.ID, lsdp); tenants.ErrorCode(err) != tenants.EForbidden {
		t.Fatalf("an agent listening in: %v, want forbidden", err)
	}
	lanswer, err := r.desk.Listen(ctx, supervisor, offer.ID, lsdp)
	if err != nil {
		t.Fatalf("listening in: %v", err)
	}
	if err := listener.Answer(lanswer); err != nil {
		t.Fatal(err)
	}
	if err := listener.WaitConnected(cctx); err != nil {
		t.Fatalf("the supervisor's browser did not connect: %v", err)
	}
	waitUntil(t, "the supervisor hears the call", 20*time.Second, func() bool {
		_, loud := listener.Heard()
		return loud >= 25
	})
	if err := r.desk.Hangup(ctx, agent, offer.ID); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the campaign completes", 30*time.Second, func() bool {
		got, err := r.svc.GetCampaign(ctx, r.owner, campaign)
		return err == nil && got.Status == campaigns.StatusCompleted
	})
	row := r.one(t, `SELECT outcome, reason, (SELECT state FROM agent_offers o WHERE o.call_id = c.id), (SELECT reason FROM agent_offers o WHERE o.call_id = c.id)
		FROM calls c WHERE campaign_id = $1`, campaign)
	if row[0] != "transferred" || !strings.Contains(row[1].(string), "agent@shop.example") || row[2] != calls.OfferEnded || row[3] != "the agent hung up" {
		t.Fatalf("the call after the agent hung up: %v", row)
	}
	// The agent's time is metered as its own kind, and they are free again.
	usage := r.one(t, `SELECT count(*), COALESCE(sum(quantity), 0)::bigint FROM usage_ledger WHERE kind = 'agent_seconds'`)
	if usage[0] != int64(1) || usage[1].(int64) < 1 {
		t.Fatalf("agent time in the ledger: %v", usage)
	}
	if d, err := r.desk.Me(ctx, agent); err != nil || d.Status != calls.AgentAvailable || d.Offer != nil {
		t.Fatalf("the agent's desk after the call: %+v %v", d, err)
	}
	events := dbtest.EventCounts(ctx, t, r.db, r.owner.TenantID, "")
	if events["agent.call_offered"] != 1 || events["agent.call_answered"] != 1 || events["call.transferred"] != 1 {
		t.Fatalf("webhook events: %v", events)
	}
}

// Nobody takes the call: the agent who let the desk ring out is set
// offline, and when the queue's wait is over the robot says the overflow
// message, hangs up, and the callee is called back.
func TestACallNobodyAnswersOverflowsWithACallback(t *testing.T) {
	t.Parallel()
	if at := dbtest.ShiftedClock(); at != "" {
		t.Skipf("PostgreSQL's clock at %s: this test compares no times of either clock (TestAnAgentTakesATransferredCallInTheBrowser covers the desk there)", at)
	}
	r := newDeskRig(t, []calleesim.Persona{{Name: "wants-a-person", Numbers: []string{"+8613800000003"}, Voice: "cmn", Greeting: "喂?",
		Lines: []calleesim.Line{{Say: "转人工"}}, HoldMS: 30000}})
	ctx := context.Background()
	away := r.agent(t, "away@shop.example")
	if _, err := r.desk.CreateQueue(ctx, r.owner, calls.QueueInput{Name: ptr("support"), TimeoutSeconds: ptr(8), RingSeconds: ptr(5),
		OverflowMessage: ptr("现在没有坐席，稍后回电。"), AgentIDs: &[]uuid.UUID{*away.UserID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.desk.SetStatus(ctx, away, calls.AgentAvailable); err != nil {
		t.Fatal(err)
	}
	campaign := r.call(t, "phone,name\n13800000003,赵先生\n")
	offer, err := r.desk.WaitOffer(ctx, away, 60*time.Second)
	if err != nil || offer == nil {
		t.Fatalf("the desk did not ring: %v", err)
	}
	// The agent is not at their desk: it rings out and they go offline.
	waitUntil(t, "the unanswered desk goes offline", 15*time.Second, func() bool {
		d, err := r.desk.Me(ctx, away)
		return err == nil && d.Status == calls.AgentOffline
	})
	if _, err := r.desk.Answer(ctx, away, offer.ID, "v=0\r\n"); err == nil {
		t.Fatal("an offer that rang out could still be answered")
	}
	waitUntil(t, "the call ends", 30*time.Second, func() bool {
		row := r.one(t, `SELECT count(*) FROM calls WHERE campaign_id = $1 AND state = 'ended'`, campaign)
		return row[0] == int64(1)
	})
	row := r.one(t, `SELECT c.reason, c.next_at IS NOT NULL, o.state, o.reason FROM calls c JOIN agent_offers o ON o.call_id = c.id WHERE c.campaign_id = $1`, campaign)
	if row[0] != "no agent was free: the callee is called back" || row[1] != true || row[2] != calls.OfferOverflowed || !strings.Contains(row[3].(string), "no agent of queue support answered within 8s") {
		t.Fatalf("the overflowed call: %v", row)
	}
	events := dbtest.EventCounts(ctx, t, r.db, r.owner.TenantID, "agent.")
	if events["agent.call_offered"] != 1 || events["agent.call_answered"] != 0 {
		t.Fatalf("webhook events: %v", events)
	}
}

func ptr[T any](v T) *T { return &v }

// With no agent free, a queue with an overflow number hands the call
// there through the trunk (REFER) once its wait is over; the number is
// checked as every transfer target is.
func TestACallNobodyTakesGoesToTheQueuesOverflowNumber(t *testing.T) {
	t.Parallel()
	if at := dbtest.ShiftedClock(); at != "" {
		t.Skipf("PostgreSQL's clock at %s: this test compares no times of either clock (TestAnAgentTakesATransferredCallInTheBrowser covers the desk there)", at)
	}
	r := newDeskRig(t, []calleesim.Persona{{Name: "wants-a-person", Numbers: []string{"+8613800000003"}, Voice: "cmn", Greeting: "喂?",
		Lines: []calleesim.Line{{Say: "转人工"}}, HoldMS: 30000}})
	ctx := context.Background()
	if _, err := r.desk.CreateQueue(ctx, r.owner, calls.QueueInput{Name: ptr("support"), TimeoutSeconds: ptr(5), OverflowNumber: ptr("+862150007777")}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.desk.CreateQueue(ctx, r.owner, calls.QueueInput{Name: ptr("premium"), OverflowNumber: ptr("+449098790000")}); err == nil ||
		!strings.Contains(err.Error(), "premium") {
		t.Fatalf("a premium-rate overflow number: %v, want it refused", err)
	}
	campaign := r.call(t, "phone,name\n13800000003,赵先生\n")
	waitUntil(t, "the call ends", 60*time.Second, func() bool {
		row := r.one(t, `SELECT count(*) FROM calls WHERE campaign_id = $1 AND state = 'ended'`, campaign)
		return row[0] == int64(1)
	})
	row := r.one(t, `SELECT c.outcome, o.state FROM calls c JOIN agent_offers o ON o.call_id = c.id WHERE c.campaign_id = $1`, campaign)
	if row[0] != "transferred" || row[1] != calls.OfferOverflowed {
		t.Fatalf("the overflowed call: %v, want transferred and overflowed", row)
	}
	var referTo string
	for _, rec := range r.sim.Records() {
		if rec.ReferTo != "" {
			referTo = rec.ReferTo
		}
	}
	if !strings.HasPrefix(referTo, "sip:+862150007777@") {
		t.Fatalf("REFER to %q, want the queue's overflow number", referTo)
	}
}

// The database goes away twice while the worker holds a call for the
// desk: while the callee is on hold (nobody free), and while the agent
// talks to them. The callee stays on hold, the agent who comes free is
// rung once the database is back, the talk goes on, and the call is
// recorded once, transferred to the agent, with one agent_seconds row.
func TestTheDeskHoldsACallThroughADatabaseOutage(t *testing.T) {
	t.Parallel()
	r := newDeskRigWith(t, []calleesim.Persona{{Name: "wants-a-person", Numbers: []string{"+8613800000005"}, Voice: "cmn", Greeting: "喂?",
		Lines: []calleesim.Line{{Say: "转人工"}, {Say: "你好,我想问一下账单"}, {Say: "好的,明白了"}, {Say: "还有一个问题"}, {Say: "谢谢"}}, HoldMS: 40000}}, true)
	ctx := context.Background()
	agent := r.agent(t, "agent@shop.example")
	if _, err := r.desk.CreateQueue(ctx, r.owner, calls.QueueInput{Name: ptr("support"), AgentIDs: &[]uuid.UUID{*agent.UserID}}); err != nil {
		t.Fatal(err)
	}
	campaign := r.call(t, "phone,name\n13800000005,钱女士\n")
	waitUntil(t, "the callee waits on hold", 60*time.Second, func() bool {
		return r.one(t, `SELECT count(*) FROM agent_offers WHERE state = 'waiting'`)[0] == int64(1)
	})
	r.proxy.CutOff()
	time.Sleep(4 * time.Second) // the worker tries to ring a desk each second, and fails
	r.proxy.Restore()

	if _, err := r.desk.SetStatus(ctx, agent, calls.AgentAvailable); err != nil {
		t.Fatal(err)
	}
	offer, err := r.desk.WaitOffer(ctx, agent, 30*time.Second)
	if err != nil || offer == nil {
		t.Fatalf("the desk did not ring after the outage: %v", err)
	}
	browser, sdp, err := agentsim.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer browser.Close()
	answer, err := r.desk.Answer(ctx, agent, offer.ID, sdp)
	if err != nil {
		t.Fatalf("answering: %v", err)
	}
	if err := browser.Answer(answer); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := browser.WaitConnected(cctx); err != nil {
		t.Fatalf("the browser did not connect: %v", err)
	}
	browser.Speak(440)
	waitUntil(t, "the agent hears the callee", 20*time.Second, func() bool {
		_, loud := browser.Heard()
		return loud >= 25
	})

	// Away again while they talk: the talk goes on.
	r.proxy.CutOff()
	_, before := browser.Heard()
	time.Sleep(3 * time.Second)
	r.proxy.Restore()
	if _, after := browser.Heard(); after-before < 25 {
		t.Fatalf("the agent heard %d loud frames while the database was away: the talk did not go on", after-before)
	}
	if err := r.desk.Hangup(ctx, agent, offer.ID); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the campaign completes", 60*time.Second, func() bool {
		got, err := r.svc.GetCampaign(ctx, r.owner, campaign)
		return err == nil && got.Status == campaigns.StatusCompleted
	})
	row := r.one(t, `SELECT count(*), min(outcome), min(reason), (SELECT count(*) FROM agent_offers), (SELECT min(state) FROM agent_offers)
		FROM calls WHERE campaign_id = $1`, campaign)
	if row[0] != int64(1) || row[1] != "transferred" || !strings.Contains(row[2].(string), "agent@shop.example") || row[3] != int64(1) || row[4] != calls.OfferEnded {
		t.Fatalf("calls and offers after the outages: %v", row)
	}
	usage := r.one(t, `SELECT count(*), COALESCE(sum(quantity), 0)::bigint FROM usage_ledger WHERE kind = 'agent_seconds'`)
	if usage[0] != int64(1) || usage[1].(int64) < 3 {
		t.Fatalf("agent time in the ledger: %v, want one row of the talk, outage included", usage)
	}
	if d, err := r.desk.Me(ctx, agent); err != nil || d.Status != calls.AgentAvailable || d.Offer != nil {
		t.Fatalf("the agent's desk after the call: %+v %v", d, err)
	}
}
