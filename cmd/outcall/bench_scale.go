package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/migrations"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/tenants/admin"
	"github.com/outcall/outcall/tenants/localpg"
)

// The "scale" benchmark group runs outcall as it is deployed: one API
// process and two worker processes (`outcall serve --workers=false`,
// `outcall worker`) against one PostgreSQL, callee-sim over SIP on
// loopback as the carrier, and three tenants of different sizes whose
// campaigns start together through the API: a large one (40 lines), a
// medium one (12) and a small one (4). Once the calls flow it watches for
// a while and prints:
//
//   - scale_calls_per_day: the calls the carrier got over the window, as a
//     day's worth (×86,400/window): the time is compressed by the short
//     calls (a greeting, one answer, goodbye), not by a clock
//   - scale_line_overbook: calls above a tenant's lines at any moment seen
//     (sampled every 100 ms from the calls in progress): must be 0
//   - scale_fairness_pct: the small tenant's busy share of its lines while
//     the large one runs (target ≥ 90 %)
//   - scale_double_dials: attempts that reached the carrier more than once
//     (by the call id each INVITE carries): must be 0
//   - scale_large_peak_calls: the most calls in progress the large tenant
//     had at once
//   - scale_reply_p50_ms, scale_reply_p95_ms: how long callees waited for
//     the robot's reply after their answer (callee-sim's voice-to-voice
//     time, the simulated recogniser's included)
//   - scale_answered_pct: the ended calls that were answered and talked
//     (every callee answers: anything else is a failure)
//   - scale_understood_pct: the answered calls whose callee's 可以 was
//     heard as yes (a conversation, not only a connection)
//
// It stops by itself within about five minutes. BENCH_SCALE_SECONDS sets
// the window (default 120), BENCH_SCALE_LINES the large tenant's lines
// (default 40; on a machine with the cores for it, 1000).
func init() {
	benchGroups["scale"] = benchScale
}

// scaleTenant is one tenant of the scale run.
type scaleTenant struct {
	name            string
	lines, contacts int
	prefix          string // its numbers: prefix + 8 digits

	p        tenants.Principal
	key      string
	version  string
	list     uuid.UUID
	campaign string
}

const scaleScript = `export default {
  start: "greeting",
  lang: "zh-CN",
  states: {
    greeting: { say: "您好,明天送货可以吗?", on: { affirm: "confirm", deny: "bye" }, default: "confirm" },
    confirm: { say: "好的,再见。", end: "confirmed" },
    bye: { say: "好的,再见。", end: "declined" },
  },
};
`

func benchScale(cmd *cobra.Command, report func(name string, value float64, unit string)) error {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		return fmt.Errorf("espeak-ng is needed to speak the calls' prompts: %w", err)
	}
	seconds, err := benchEnvInt("BENCH_SCALE_SECONDS", 120, 10, 86400, "the measured window in seconds")
	if err != nil {
		return err
	}
	window := time.Duration(seconds) * time.Second
	logf := func(format string, a ...any) { fmt.Fprintf(os.Stderr, "bench scale: "+format+"\n", a...) }
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), window+4*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "outcall-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil { // PostgreSQL runs as its own user under root
		return err
	}

	// PostgreSQL.
	cluster, err := localpg.New(filepath.Join(dir, "pg"), 0)
	if err != nil {
		return err
	}
	if err := cluster.Start(ctx); err != nil {
		return err
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer scancel()
		cluster.Stop(sctx)
	}()
	if err := cluster.CreateDatabase(ctx, "outcall"); err != nil {
		return err
	}
	dbURL := cluster.URL("outcall")
	if err := migrations.Up(ctx, dbURL); err != nil {
		return err
	}
	db, err := tenants.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()

	// The tenants, their scripts, lists and keys.
	large, err := benchEnvInt("BENCH_SCALE_LINES", 40, 1, 100000, "the large tenant's lines")
	if err != nil {
		return err
	}
	ts := []*scaleTenant{
		{name: "large", lines: large, contacts: max(6000, 150*large), prefix: "+86138"},
		{name: "medium", lines: 12, contacts: 2000, prefix: "+86137"},
		{name: "small", lines: 4, contacts: 1000, prefix: "+86136"},
	}
	hosts, err := scripting.NewHostPool(scripting.HostConfig{Hosts: 1})
	if err != nil {
		return err
	}
	defer hosts.Close()
	// A plan of the operator's with room for the large tenant's lines.
	planLines, daily, cpu := max(large, 200), 1000000, int64(200)
	if _, err := admin.New(admin.Options{DB: db}).CreatePlan(ctx, admin.CLI("scale"), "scale", billing.PlanChange{ConcurrentLines: &planLines,
		DailyCalls: &daily, ScriptCPUPerTurnMS: &cpu}); err != nil {
		return err
	}
	for _, t := range ts {
		if err := t.setup(ctx, db, hosts); err != nil {
			return fmt.Errorf("tenant %s: %w", t.name, err)
		}
	}
	logf("3 tenants with %d, %d and %d contacts on %d, %d and %d lines", ts[0].contacts, ts[1].contacts, ts[2].contacts, ts[0].lines, ts[1].lines, ts[2].lines)

	// The carrier: every callee answers, says yes, and waits for goodbye.
	tts := telephony.NewCachedTTS(telephony.EspeakTTS{}, 16)
	sim, err := calleesim.Start(ctx, calleesim.Config{TTS: tts, Personas: []calleesim.Persona{{
		Name: "agrees", Weight: 1, Kind: calleesim.KindHuman, Voice: "cmn", RingMS: 200, Greeting: "喂?",
		Lines: []calleesim.Line{{Say: "可以", PauseMS: 100}}, HoldMS: 8000,
	}}})
	if err != nil {
		return err
	}
	defer sim.Close()
	_, simPort, _ := net.SplitHostPort(sim.Addr())

	// The processes.
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
			p.Wait()
		}
	}()
	start := func(name string, args ...string) (*os.File, error) {
		c := exec.Command(self, args...)
		log, err := os.Create(filepath.Join(dir, name+".log"))
		if err != nil {
			return nil, err
		}
		c.Stdout, c.Stderr = log, log
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := c.Start(); err != nil {
			return nil, err
		}
		procs = append(procs, c)
		return log, nil
	}
	trunk := "udp://127.0.0.1:" + simPort + "?caller_ids=" + url.QueryEscape(chaosCallerID)
	apiLog, err := start("api", "serve", "--workers=false", "--database-url", dbURL, "--addr", "127.0.0.1:0", "--log-level", "info",
		"--secret-key", chaosSecretKey, "--metrics-addr", "", "--sip-trunk", trunk, "--asr", "simulation")
	if err != nil {
		return err
	}
	for i := range 2 {
		if _, err := start(fmt.Sprintf("worker-%d", i+1), "worker", "--database-url", dbURL,
			"--sip-trunk", trunk, "--asr", "simulation",
			"--spool-dir", filepath.Join(dir, fmt.Sprintf("spool-%d", i+1)), "--log-level", "warn", "--metrics-addr", "",
			"--recordings-dir", filepath.Join(dir, "recordings"), "--secret-key", chaosSecretKey); err != nil {
			return err
		}
	}
	base, err := waitListening(ctx, apiLog.Name(), "API listening")
	if err != nil {
		return err
	}
	logf("the API listens at %s; 2 workers started", base)

	// The campaigns start together, through the API.
	for _, t := range ts {
		if err := t.startCampaign(ctx, "http://"+base); err != nil {
			return fmt.Errorf("tenant %s: %w", t.name, err)
		}
	}

	// Watch: warm up until every tenant has calls, then the window.
	conn, err := pgx.Connect(ctx, dbURL) // the cluster's superuser: it sees every tenant
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	active := func() (map[uuid.UUID]int, error) {
		rows, err := conn.Query(ctx, `SELECT tenant_id, count(*) FROM calls WHERE state IN ('dialling', 'in_call') GROUP BY tenant_id`)
		if err != nil {
			return nil, err
		}
		out := map[uuid.UUID]int{}
		var id uuid.UUID
		var n int
		_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[id] = n; return nil })
		return out, err
	}
	warm := time.Now().Add(90 * time.Second)
	for {
		a, err := active()
		if err != nil {
			return err
		}
		if a[ts[0].p.TenantID] > 0 && a[ts[1].p.TenantID] > 0 && a[ts[2].p.TenantID] > 0 {
			break
		}
		if time.Now().After(warm) {
			return fmt.Errorf("calls did not start for every tenant within 90 s (in progress: %v)", a)
		}
		time.Sleep(200 * time.Millisecond)
	}
	logf("calls flow for every tenant; watching for %s", window)
	carrierAt := len(sim.Records())
	from := time.Now()
	overbook, samples, smallBusy, peak := 0, 0, 0.0, 0
	for time.Since(from) < window {
		a, err := active()
		if err != nil {
			return err
		}
		for _, t := range ts {
			overbook = max(overbook, a[t.p.TenantID]-t.lines)
		}
		peak = max(peak, a[ts[0].p.TenantID])
		if a[ts[0].p.TenantID] > 0 {
			samples++
			smallBusy += float64(a[ts[2].p.TenantID]) / float64(ts[2].lines)
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(from)
	recs := sim.Records()
	calls := len(recs) - carrierAt
	byRef := map[string]int{}
	double := 0
	var replies []time.Duration // the robot's answers to 可以, timed by the callee
	for _, r := range recs {
		replies = append(replies, r.Replies...)
		if r.Ref == "" {
			continue
		}
		if byRef[r.Ref]++; byRef[r.Ref] == 2 {
			double++
		}
	}
	// What the ended calls came to: a throughput of failed calls would
	// be no throughput.
	outcomes := map[string]int{}
	rows, err := conn.Query(ctx, `SELECT coalesce(outcome, ''), count(*) FROM calls WHERE state = 'ended' GROUP BY 1`)
	if err != nil {
		return err
	}
	var outcome string
	var n, ended int
	if _, err := pgx.ForEachRow(rows, []any{&outcome, &n}, func() error { outcomes[outcome] = n; ended += n; return nil }); err != nil {
		return err
	}
	// Each callee says 可以 once: an answered call whose first turn heard
	// it as yes was a conversation, not only a connection.
	var understood int
	if err := conn.QueryRow(ctx, `SELECT count(DISTINCT call_id) FROM call_turns WHERE intent = 'affirm'`).Scan(&understood); err != nil {
		return err
	}
	// What the callees' answers were heard as, for a run whose conversations went
	// wrong: nothing at all (the words came too late), or something else.
	heardBy := map[string]int{}
	rows, err = conn.Query(ctx, `SELECT heard || ' → ' || coalesce(nullif(intent, ''), '-'), count(*) FROM call_turns WHERE seq = 2 GROUP BY 1 ORDER BY 2 DESC LIMIT 5`)
	if err != nil {
		return err
	}
	if _, err := pgx.ForEachRow(rows, []any{&outcome, &n}, func() error { heardBy[outcome] = n; return nil }); err != nil {
		return err
	}
	logf("the callees' answers were heard as: %v", heardBy)
	fairness := 0.0
	if samples > 0 {
		fairness = 100 * smallBusy / float64(samples)
	}
	logf("%d calls reached the carrier in %s; %d ended in all, by outcome %v; %d samples", calls, took.Round(time.Second), ended, outcomes, samples)
	report("scale_calls_per_day", float64(calls)*86400/took.Seconds(), "calls/day")
	report("scale_line_overbook", float64(max(overbook, 0)), "calls")
	report("scale_fairness_pct", fairness, "%")
	report("scale_double_dials", float64(double), "calls")
	report("scale_large_peak_calls", float64(peak), "calls")
	if len(replies) > 0 {
		slices.Sort(replies)
		report("scale_reply_p50_ms", float64(replies[len(replies)/2].Milliseconds()), "ms")
		report("scale_reply_p95_ms", float64(replies[len(replies)*95/100].Milliseconds()), "ms")
	}
	if answered := outcomes[string(telephony.OutcomeAnswered)]; ended > 0 {
		report("scale_answered_pct", 100*float64(answered)/float64(ended), "%")
		report("scale_understood_pct", 100*float64(understood)/float64(max(answered, 1)), "%")
	}
	return nil
}

// setup makes the tenant: its plan, rules, script, list of contacts and
// API key.
func (t *scaleTenant) setup(ctx context.Context, db *tenants.DB, hosts *scripting.HostPool) error {
	su, err := tenants.NewService(db).Signup(ctx, tenants.SignupRequest{TenantName: t.name + " shop", Email: "owner@" + t.name + ".example", Password: "scale-password"})
	if err != nil {
		return err
	}
	t.p = tenants.Principal{TenantID: su.Tenant.ID, Role: tenants.RoleOwner}
	if _, err := admin.New(admin.Options{DB: db}).AssignPlan(ctx, admin.CLI("scale"), su.Tenant.ID, "scale"); err != nil {
		return err
	}
	svc := campaigns.New(campaigns.Options{DB: db})
	rules := campaigns.DefaultCompliance()
	rules.QuietHours, rules.MaxDailyCalls = []string{}, 1
	rules.MaxConcurrentLines, rules.CallsPerSecond, rules.AIDisclosure = t.lines, float64(min(t.lines, 100)), campaigns.DisclosureOff
	if _, err := svc.SetCompliance(ctx, t.p, rules); err != nil {
		return err
	}
	store := &scripting.Store{DB: db, Runner: hosts}
	sc, err := store.CreateScript(ctx, t.p, "送货确认", scripting.KindDialog, "")
	if err != nil {
		return err
	}
	v, err := store.CreateVersion(ctx, t.p, sc.ID, scaleScript)
	if err != nil {
		return err
	}
	published, _, err := store.Publish(ctx, t.p, sc.ID, v.Number, nil, true)
	if err != nil {
		return err
	}
	t.version = published.ID.String()
	list, err := contacts.New(contacts.Options{DB: db}).CreateList(ctx, t.p, "customers", "")
	if err != nil {
		return err
	}
	t.list = list.ID
	// The contacts go in at once, as an import's rows do.
	err = db.InTenant(ctx, t.p.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `WITH c AS (
				INSERT INTO contacts (id, tenant_id, phone, time_zone)
				SELECT gen_random_uuid(), $1, $2 || lpad(g::text, 8, '0'), 'Asia/Shanghai' FROM generate_series(1, $3) g
				RETURNING id)
			INSERT INTO list_contacts (tenant_id, list_id, contact_id) SELECT $1, $4, id FROM c`, t.p.TenantID, t.prefix, t.contacts, t.list)
		return err
	})
	if err != nil {
		return err
	}
	key, err := tenants.NewService(db).CreateAPIKey(ctx, t.p, "scale bench", tenants.RoleAdmin, nil)
	if err != nil {
		return err
	}
	t.key = key.Secret
	return nil
}

// startCampaign creates the tenant's campaign and starts it through the
// API process.
func (t *scaleTenant) startCampaign(ctx context.Context, base string) error {
	call := func(method, path string, body any, want int) (map[string]any, error) {
		b, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+t.key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			return nil, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
		}
		var out map[string]any
		json.Unmarshal(raw, &out)
		return out, nil
	}
	c, err := call(http.MethodPost, "/v1/campaigns", map[string]any{"name": "送货确认", "list_ids": []string{t.list.String()}, "script_version": t.version}, http.StatusCreated)
	if err != nil {
		return err
	}
	id, _ := c["id"].(string)
	if id == "" {
		return errors.New("the API gave the campaign no id")
	}
	t.campaign = id
	_, err = call(http.MethodPost, "/v1/campaigns/"+id+"/start", map[string]any{}, http.StatusOK)
	return err
}

// waitListening reads a process's log until it says where it listens.
func waitListening(ctx context.Context, log, what string) (string, error) {
	re := regexp.MustCompile(`msg="` + regexp.QuoteMeta(what) + `" addr=(\S+)`)
	for {
		b, err := os.ReadFile(log)
		if err != nil {
			return "", err
		}
		if m := re.FindSubmatch(b); m != nil {
			return string(m[1]), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for %q in %s: %w\n%s", what, filepath.Base(log), ctx.Err(), tail(string(b), 2000))
		case <-time.After(100 * time.Millisecond):
		}
	}
}
