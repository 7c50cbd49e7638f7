package calls_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/outcall/outcall/api"
	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/campaigns/hooks"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

const confirmScript = `export default {
  start: "greeting",
  lang: "zh-CN",
  states: {
    greeting: {
      say: "您好${contact.name},想跟您确认订单。",
      on: { affirm: "confirm", deny: "bye", human: "agent" },
    },
    confirm: { say: "好的,已确认。", end: "confirmed", tags: ["converted"], followUp: "order_confirmed" },
    agent: { say: "正在为您转接人工客服。", transfer: "agent" },
    bye: { say: "好的,再见。", end: "declined" },
  },
};
`

func prob(p float64) *float64 { return &p }

// requestsTo passes dials to a real dialer and keeps what was asked of it.
type requestsTo struct {
	telephony.Dialer
	mu   sync.Mutex
	reqs []telephony.DialRequest
	// onStart, when set, is called as each call is placed.
	onStart func()
}

func (d *requestsTo) Start(ctx context.Context, req telephony.DialRequest) (telephony.LiveCall, telephony.CallResult, error) {
	d.mu.Lock()
	d.reqs = append(d.reqs, req)
	d.mu.Unlock()
	if d.onStart != nil {
		d.onStart()
	}
	return d.Dialer.Start(ctx, req)
}

func (d *requestsTo) all() []telephony.DialRequest {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.reqs)
}

// TestACampaignCallsTheSimulatorOverSIPAndRunsItsScript runs the whole life
// of a call: a campaign on River, a real SIP call with audio to the callee
// simulator, the tenant's published script in a script host, and the call
// record with its turns, final state, tags and recording.
func TestACampaignCallsTheSimulatorOverSIPAndRunsItsScript(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed (apt-get install espeak-ng): prompts cannot be spoken")
	}
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	db, ts, su, p := shop.DB, shop.Tenants, shop.Signup, shop.Owner
	// As the service wires it: a closed call emits its webhook events.
	// Probes beside the hooks see the path of each dial from the dial
	// job: its check, its answered mark, its close.
	path := &dialPath{}
	opts := hooks.Add(campaigns.Options{DB: db}, false)
	opts.DialGate = func(context.Context, pgx.Tx, uuid.UUID, time.Time) (*campaigns.Refusal, error) {
		path.record("check")
		return nil, nil
	}
	opts.OnAnswer = append(opts.OnAnswer, func(context.Context, pgx.Tx, uuid.UUID, []campaigns.Answered) error {
		path.record("answered")
		return nil
	})
	opts.OnClose = append(opts.OnClose, func(context.Context, pgx.Tx, []*campaigns.Call) error {
		path.record("close")
		return nil
	})
	svc := campaigns.New(opts)
	cs := contacts.New(contacts.Options{DB: db})
	settings := campaigns.DefaultCompliance()
	settings.QuietHours = []string{}
	if _, err := svc.SetCompliance(ctx, p, settings); err != nil {
		t.Fatal(err)
	}

	// One metrics registry, as the service has, served by the API below.
	metrics := prometheus.NewRegistry()
	callMetrics, err := calls.NewMetrics(metrics)
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := scripting.NewHostPool(scripting.HostConfig{Command: hostCommand, Env: hostEnv, Hosts: 1, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hosts.Close)
	store := &scripting.Store{DB: db, Runner: hosts}
	version := publishScript(t, ctx, store, p, "订单确认", confirmScript)

	tts := telephony.NewCachedTTS(telephony.EspeakTTS{}, 100)
	sim, err := calleesim.Start(ctx, calleesim.Config{TTS: tts, Personas: []calleesim.Persona{
		{Name: "agrees", Numbers: []string{"+8613800000001"}, Voice: "cmn", Greeting: "喂?", Lines: []calleesim.Line{{Say: "是的,验证码是1234"}}, HoldMS: 3000},
		{Name: "busy", Numbers: []string{"+8613800000002"}, AnswerProbability: prob(0), Unanswered: map[string]float64{"busy": 1}},
		{Name: "wants-a-person", Numbers: []string{"+8613800000003"}, Voice: "cmn", Greeting: "喂?", Lines: []calleesim.Line{{Say: "转人工"}}, HoldMS: 5000},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	recordings := t.TempDir()
	sip, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: tts, ASR: telephony.SimulationRecognizer{}, Recordings: telephony.LocalRecordingStore{Dir: recordings}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sip.Close() })

	quiet := slog.New(slog.DiscardHandler)
	dialled := &requestsTo{Dialer: sip, onStart: func() { path.record("place") }}
	// The script transfers to "agent"; the trunk says which number that is.
	trunk := sim.Trunk()
	trunk.TransferTargets = map[string]string{"agent": "+862150009999"}
	client, err := jobs.New(jobs.Config{Tenants: ts, Logger: quiet, Work: true, Contacts: cs, Campaigns: svc, DialWorkers: 4,
		Placer: calls.New(calls.Options{SIP: dialled, Scripts: store, Hosts: hosts, Trunk: trunk, RingTimeout: 5 * time.Second, Logger: quiet, Metrics: callMetrics})})
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

	list, err := cs.CreateList(ctx, p, "customers", "")
	if err != nil {
		t.Fatal(err)
	}
	im, err := cs.CreateImport(ctx, p, list.ID, []byte("phone,name\n13800000001,王先生\n13800000002,李女士\n13800000003,赵先生\n"), contacts.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the import is done", time.Minute, func() bool {
		got, err := cs.GetImport(ctx, p, im.ID)
		return err == nil && got.Status == "done"
	})
	c, err := svc.CreateCampaign(ctx, p, campaigns.CampaignInput{Name: "确认", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: version.ID.String(),
		RetryPolicy: campaigns.RetryPolicy{telephony.OutcomeBusy: {}, telephony.OutcomeNoAnswer: {}, telephony.OutcomeFailed: {}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.StartCampaign(ctx, p, c.ID); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the campaign completes", 90*time.Second, func() bool {
		got, err := svc.GetCampaign(ctx, p, c.ID)
		return err == nil && got.Status == campaigns.StatusCompleted
	})

	type row struct {
		id, phone, outcome, finalState, recording, review string
		tags                                              []string
		hits                                              []campaigns.SensitiveHit
		billable, turns                                   int
	}
	var rows []row
	err = db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		rs, err := tx.Query(ctx, `SELECT id::text, phone, outcome, final_state, recording_ref, coalesce(review_status, ''), tags, sensitive_hits, billable_seconds,
				(SELECT count(*) FROM call_turns t WHERE t.call_id = c.id)
			FROM calls c WHERE tenant_id = $1 AND campaign_id = $2 ORDER BY phone`, p.TenantID, c.ID)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.id, &r.phone, &r.outcome, &r.finalState, &r.recording, &r.review, &r.tags, &r.hits, &r.billable, &r.turns); err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return rs.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if jobErrs, err := db.Pool().Query(ctx, `SELECT kind, errors::text FROM river_job WHERE errors IS NOT NULL`); err == nil {
		for jobErrs.Next() {
			var kind, errs string
			jobErrs.Scan(&kind, &errs)
			t.Logf("job %s failed: %s", kind, errs)
		}
		jobErrs.Close()
	}
	if len(rows) != 3 {
		t.Fatalf("%d call records, want 3: %+v", len(rows), rows)
	}
	// The answered mark runs beside the conversation, in a goroutine the
	// call starts, so its path begins in calls.
	path.check(t, map[string]string{"check": "jobs", "place": "jobs", "answered": "calls", "close": "jobs"})
	agreed, busy, transferred := rows[0], rows[1], rows[2]
	if transferred.outcome != "transferred" || transferred.finalState != "agent" {
		t.Fatalf("the call that asked for a person: %+v", transferred)
	}
	var referTo string
	for _, r := range sim.Records() {
		if r.ReferTo != "" {
			referTo = r.ReferTo
		}
	}
	if !strings.HasPrefix(referTo, "sip:+862150009999@") {
		t.Fatalf("REFER to %q, want the trunk's agent number", referTo)
	}
	if agreed.outcome != "answered" || agreed.finalState != "confirm" || !slices.Contains(agreed.tags, "converted") || agreed.turns < 2 || agreed.billable < 1 {
		t.Fatalf("the answered call: %+v", agreed)
	}
	// The callee read out a verification code: the call waits for review,
	// and says which word it heard in which turn (the first or, when the
	// callee's "喂?" was heard as a turn of its own, the second).
	if agreed.review != "pending" || !slices.Contains(agreed.tags, "review_required") || len(agreed.hits) != 1 ||
		agreed.hits[0].Word != "验证码" || agreed.hits[0].Where != "heard" || agreed.hits[0].Turn < 1 || agreed.hits[0].Turn > 2 {
		t.Fatalf("the answered call's review: %q %v %+v", agreed.review, agreed.tags, agreed.hits)
	}
	// The code itself is kept nowhere: not in the turns (the portal, the
	// API, the exports and the reports read them); the turn says that
	// something was redacted, and the call, and its webhook event, are
	// tagged.
	var heard []string
	var secretEvents int
	if err := db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		rs, err := tx.Query(ctx, `SELECT heard FROM call_turns WHERE call_id = $1::uuid ORDER BY seq`, agreed.id)
		if err != nil {
			return err
		}
		if heard, err = pgx.CollectRows(rs, pgx.RowTo[string]); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM webhook_events WHERE type = 'call.completed' AND data->'tags' ? $1`, calls.TagSecretRedacted).Scan(&secretEvents)
	}); err != nil {
		t.Fatal(err)
	}
	if joined := strings.Join(heard, "|"); strings.Contains(joined, "1234") || !strings.Contains(joined, "验证码是"+scripting.Redacted) {
		t.Fatalf("the turns heard %q, want the code redacted", joined)
	}
	if !slices.Contains(agreed.tags, calls.TagSecretRedacted) || slices.Contains(busy.tags, calls.TagSecretRedacted) {
		t.Fatalf("tags %v / %v: only the call that heard a code is tagged %s", agreed.tags, busy.tags, calls.TagSecretRedacted)
	}
	if secretEvents != 1 {
		t.Fatalf("%d call.completed events tagged %s, want the one call's", secretEvents, calls.TagSecretRedacted)
	}
	if busy.review != "" || len(busy.hits) != 0 {
		t.Fatalf("the busy call needs no review: %q %+v", busy.review, busy.hits)
	}
	// Each call keeps the caller ID it went out with, from the trunk's
	// pool, and the number's audit trail says it.
	got, err := svc.GetCall(ctx, p, uuid.MustParse(agreed.id))
	if err != nil || !slices.Contains(trunk.CallerIDs, got.CallerID) {
		t.Fatalf("the answered call's caller ID %q (%v), want one of %v", got.CallerID, err, trunk.CallerIDs)
	}
	trail, err := cs.Audit(ctx, p, agreed.phone)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(trail.Events, func(e contacts.AuditEvent) bool { return e.Kind == "attempt" }); i < 0 || trail.Events[i].CallerID != got.CallerID {
		t.Fatalf("the audit trail's attempt: %+v", trail.Events)
	}
	// The tenant is on the trial: each call may last its share of the
	// trial's minutes, and the SIP dialer was told so.
	share := billing.PlanFor(billing.Trial).IncludedMinutes / int64(billing.PlanFor(billing.Trial).ConcurrentLines)
	if n := len(dialled.all()); n < 3 {
		t.Fatalf("the dialer saw %d dials, want the campaign's 3 at least", n)
	}
	for _, r := range dialled.all() {
		if r.MaxDuration != time.Duration(share)*time.Minute-2*time.Second {
			t.Fatalf("a trial call was dialled with MaxDuration %v, want its share of the trial, %d minutes less 2 s", r.MaxDuration, share)
		}
	}
	if agreed.recording == "" {
		t.Fatalf("the answered call has no recording")
	}
	if _, err := os.Stat(recordings + "/" + agreed.recording); err != nil {
		t.Fatalf("recording %s: %v", agreed.recording, err)
	}
	if busy.outcome != "busy" || busy.turns != 0 {
		t.Fatalf("the busy call: %+v", busy)
	}

	// The webhook events were written with the changes they describe.
	events := dbtest.EventCounts(ctx, t, db, p.TenantID, "")
	want := map[string]int{"import.completed": 1, "campaign.started": 1, "call.completed": 3, "call.transferred": 1, "call.review_required": 1, "campaign.completed": 1}
	for typ, n := range want {
		if events[typ] != n {
			t.Fatalf("webhook events %v, want %v", events, want)
		}
	}

	// The confirmed call's script asked for its follow-up text; the
	// others did not.
	var followUps []string
	if err := db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		rs, err := tx.Query(ctx, `SELECT phone || ' ' || template FROM messages ORDER BY phone`)
		if err != nil {
			return err
		}
		followUps, err = pgx.CollectRows(rs, pgx.RowTo[string])
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(followUps, []string{agreed.phone + " order_confirmed"}) {
		t.Fatalf("follow-up messages %q, want the confirmed call's order_confirmed", followUps)
	}

	// call.transferred went out as the transfer started, before the call
	// ended, with the transcript so far: the callee's "转人工" and the turn
	// that answered it.
	var transfer struct {
		Target     string `json:"target"`
		State      string `json:"state"`
		Transcript []struct {
			Said, Heard, State string
		} `json:"transcript"`
	}
	var raw []byte
	var sentBeforeEnd bool
	if err := db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		// Both events' times are the database's clock (which the clock
		// runs of the tests move), so they compare.
		return tx.QueryRow(ctx, `SELECT e.data, e.created_at < d.created_at AND c.transfer_started_at IS NOT NULL
			FROM webhook_events e JOIN calls c ON c.id = (e.data->>'call_id')::uuid
			JOIN webhook_events d ON d.type = 'call.completed' AND d.data->>'call_id' = e.data->>'call_id'
			WHERE e.type = 'call.transferred'`).Scan(&raw, &sentBeforeEnd)
	}); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &transfer); err != nil {
		t.Fatal(err)
	}
	var heardAll []string
	for _, turn := range transfer.Transcript {
		heardAll = append(heardAll, turn.Heard)
	}
	if !sentBeforeEnd || transfer.Target != "agent" || transfer.State != "agent" || len(transfer.Transcript) < 2 ||
		!strings.Contains(strings.Join(heardAll, "|"), "转人工") || transfer.Transcript[len(transfer.Transcript)-1].Said != "正在为您转接人工客服。" {
		t.Fatalf("call.transferred (sent before the end: %v): %s", sentBeforeEnd, raw)
	}

	// The recording is served only to its tenant, through the API.
	recStore := telephony.LocalRecordingStore{Dir: recordings}
	srv := httptest.NewServer(api.New(api.Config{Tenants: ts, Logger: quiet, Contacts: cs, Campaigns: svc, Recordings: recStore, Metrics: metrics}).Handler())
	defer srv.Close()

	// /metrics shows the calls by outcome, none in progress, and the
	// script hosts' turns.
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	exposition, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, line := range []string{`outcall_calls_total{outcome="answered"} 1`, `outcall_calls_total{outcome="busy"} 1`,
		`outcall_calls_total{outcome="transferred"} 1`, "outcall_calls_active 0", `outcall_script_host_deaths_total{pool="calls"} 0`} {
		if !strings.Contains(string(exposition), line+"\n") {
			t.Errorf("/metrics has no line %q", line)
		}
	}
	turns := regexp.MustCompile(`(?m)^outcall_script_request_seconds_count\{op="turn",pool="calls"\} (\d+)$`).FindStringSubmatch(string(exposition))
	if turns == nil || turns[1] == "0" {
		t.Errorf("/metrics counts no script turns: %v", turns)
	}
	other, _ := dbtest.SignUp(ctx, t, db, "Other")
	get := func(key string) (int, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/calls/"+agreed.id+"/recording", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	if st, b := get(su.Key.Secret); st != 200 || len(b) < 1000 || string(b[:4]) != "RIFF" {
		t.Fatalf("the tenant's recording: %d, %d bytes", st, len(b))
	}
	if st, _ := get(other.Key.Secret); st != 404 {
		t.Fatalf("another tenant fetching the recording: %d, want 404", st)
	}

	// Past the tenant's retention, the retention job deletes it.
	settings.RecordingRetentionDays = 1
	if _, err := svc.SetCompliance(ctx, p, settings); err != nil {
		t.Fatal(err)
	}
	db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE calls SET ended_at = ended_at - interval '2 days', answered_at = answered_at - interval '2 days' WHERE id = $1`, agreed.id)
		return err
	})
	purge := &jobs.PurgeRecordingsWorker{DB: db, Recordings: recStore, Logger: quiet}
	if err := purge.Work(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(recordings + "/" + agreed.recording); !os.IsNotExist(err) {
		t.Fatalf("the recording past retention still exists (%v)", err)
	}
	if st, _ := get(su.Key.Secret); st != 404 {
		t.Fatalf("a deleted recording: %d, want 404", st)
	}
}

func waitUntil(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s until %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dialPath keeps the packages of outcall that each probe point of a dial
// was reached through, outermost first, so that a test can check that the
// dial path never comes back into a package it has left (a callback from
// below, such as a SIP library's handler, or a hook of the campaigns
// service that lives in the package that called it).
type dialPath struct {
	mu   sync.Mutex
	seen map[string][][]string
}

func (p *dialPath) record(point string) {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	var pkgs []string // innermost first
	for {
		f, more := frames.Next()
		if rest, ok := strings.CutPrefix(f.Function, "github.com/outcall/outcall/"); ok {
			// The package's path (a method's receiver and a closure's
			// names follow its last dot); a package and its subpackages
			// (campaigns/batch, campaigns/hooks) are one.
			pkg, _, _ := strings.Cut(rest, ".")
			pkg, _, _ = strings.Cut(pkg, "/")
			if !strings.HasSuffix(pkg, "_test") && (len(pkgs) == 0 || pkgs[len(pkgs)-1] != pkg) {
				pkgs = append(pkgs, pkg)
			}
		}
		if !more {
			break
		}
	}
	slices.Reverse(pkgs)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen == nil {
		p.seen = map[string][][]string{}
	}
	p.seen[point] = append(p.seen[point], pkgs)
}

// check fails t unless every point was reached, from the package its
// goroutine starts in (from, by point), and through no package twice.
func (p *dialPath) check(t *testing.T, from map[string]string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	points := slices.Sorted(maps.Keys(from))
	for _, point := range points {
		paths := p.seen[point]
		if len(paths) == 0 {
			t.Errorf("the dial path never reached %s", point)
		}
		for _, pkgs := range paths {
			if len(pkgs) == 0 || pkgs[0] != from[point] {
				t.Errorf("%s was reached through %v, not from %s", point, pkgs, from[point])
			}
			for i, pkg := range pkgs {
				if slices.Contains(pkgs[:i], pkg) {
					t.Errorf("%s was reached through %s, back into %s after leaving it", point, strings.Join(pkgs, " → "), pkg)
					break
				}
			}
		}
		t.Logf("%s: reached through %s", point, strings.Join(paths[0], " → "))
	}
}
