package main

import (
	"context"
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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/migrations"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/tenants/admin"
	"github.com/outcall/outcall/tenants/localpg"
	"github.com/outcall/outcall/webhooks"
)

// A chaos run is a campaign dialled by two worker processes (`outcall
// worker`) against callee-sim, on a PostgreSQL cluster of its own, while
// the faults of a bad day happen: one worker is killed (SIGKILL) and
// replaced, the other is stopped as a deploy stops it (SIGTERM) and
// replaced, and PostgreSQL itself is stopped for a while and started again.
// When the campaign is done it checks what outcall promises under those
// faults against what callee-sim, standing for the carrier, saw.
// `make test` runs a small one (TestACampaignSurvivesAKilledWorkerADeployAndADatabaseOutage);
// `outcall bench chaos` a larger one.

func init() {
	benchGroups["chaos"] = benchChaos
}

// chaosConfig sizes a chaos run.
type chaosConfig struct {
	// Contacts the campaign dials and Lines it may hold at once.
	Contacts, Lines int
	// Outage is how long PostgreSQL is stopped.
	Outage time.Duration
	// Limit bounds the whole run.
	Limit time.Duration
	// Worker makes the command of one `outcall worker` process with args.
	Worker func(args ...string) *exec.Cmd
	// HostCommand and HostEnv start script hosts in this process (nil: this
	// binary's script-host).
	HostCommand, HostEnv []string
	// Logf tells how the run goes.
	Logf func(format string, a ...any)
}

// chaosReport is what a chaos run found.
type chaosReport struct {
	// Calls is the number of calls the carrier (callee-sim) received.
	Calls int
	// Lost counts calls without a true record: a call the carrier saw
	// with no record of its own, a record left open, a record whose
	// outcome contradicts the carrier or that says nothing of why it was
	// cut, and a callee's "stop" that did not reach the do-not-call list.
	Lost int
	// DoubleDials counts one attempt reaching the carrier more than once.
	DoubleDials int
	// CapViolations counts dials beyond a number's daily cap and dials
	// after the number went on the do-not-call list.
	CapViolations int
	// LedgerDiffSeconds is how far the usage ledger's seconds are from the
	// calls' own, connected and billed, in absolute value.
	LedgerDiffSeconds int
	// WebhooksMissing counts webhook events the receiver never got, and
	// ended calls with no call.completed event.
	WebhooksMissing int
	// LinesLeased counts lines still leased once the campaign was done.
	LinesLeased int
	// Interrupted counts records of calls cut by a fault, and CapRefusals
	// the contacts the daily cap held back (both informational).
	Interrupted, CapRefusals int
	// Undialled counts the campaign's contacts with no attempt at all, and
	// LedgerDoubled the calls with more than one usage row.
	Undialled, LedgerDoubled int
	// Problems says what each count above is made of, a line each.
	Problems []string
	// Took is how long the run took.
	Took time.Duration
}

// ok reports whether every invariant held.
func (r *chaosReport) ok() bool {
	return r.Lost == 0 && r.DoubleDials == 0 && r.CapViolations == 0 && r.LedgerDiffSeconds == 0 && r.WebhooksMissing == 0 &&
		r.LinesLeased == 0 && r.Undialled == 0 && r.LedgerDoubled == 0
}

func (r *chaosReport) problem(format string, a ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, a...))
}

// The chaos run's rules: one dial a day per number, while the retry policy
// would dial a busy number and a call cut by a fault again a minute later,
// so the cap refuses those retries (and would show any dial a fault
// doubled).
const (
	chaosDailyCap    = 1
	chaosDrain       = 20 * time.Second
	chaosCallerID    = "+862150000000"
	chaosSecretKey   = "chaos-run-secret-key-0123456789"
	chaosStopPersona = "says-stop"
)

const chaosScript = `export default {
  start: "greeting",
  lang: "zh-CN",
  states: {
    greeting: {
      say: "您好,这里是商城,想跟您确认明天送货。",
      on: { affirm: "confirm", deny: "bye" },
    },
    confirm: { say: "好的,已确认。", end: "confirmed" },
    bye: { say: "好的,再见。", end: "declined" },
  },
};
`

// chaosPersonas are the callees, by the contact's index: most agree, one
// in eight says stop, others are a mailbox, decline or hang up, and one
// is always busy (its retry a minute later is refused by the daily cap).
func chaosPersonas(numbers []string) []calleesim.Persona {
	agrees := calleesim.Persona{Name: "agrees", Kind: calleesim.KindHuman, Voice: "cmn", RingMS: 300, Greeting: "喂?", Lines: []calleesim.Line{{Say: "是的", PauseMS: 200}}, HoldMS: 4000}
	kinds := []calleesim.Persona{
		agrees,
		{Name: chaosStopPersona, Kind: calleesim.KindHuman, Voice: "cmn", RingMS: 300, Greeting: "喂?", Lines: []calleesim.Line{{Say: "不要再给我打电话了", PauseMS: 200}}, HoldMS: 4000},
		{Name: "agrees-slowly", Kind: calleesim.KindHuman, Voice: "cmn", RingMS: 800, Greeting: "喂,你好", Lines: []calleesim.Line{{Say: "好的", PauseMS: 1500}}, HoldMS: 4000},
		{Name: "busy", AnswerProbability: prob(0), Unanswered: map[string]float64{"busy": 1}},
		agrees,
		{Name: "mailbox", Kind: calleesim.KindVoicemail, Voice: "cmn", RingMS: 500, Greeting: "您好,您拨打的用户暂时无法接听,请在提示音后留言。", HoldMS: 4000},
		{Name: "declines", Kind: calleesim.KindHuman, Voice: "cmn", RingMS: 300, Greeting: "喂?", Lines: []calleesim.Line{{Say: "不需要", PauseMS: 200}}, HoldMS: 4000},
		{Name: "hangs-up", Kind: calleesim.KindHuman, Voice: "cmn", RingMS: 300, Greeting: "喂?", Lines: []calleesim.Line{{Hangup: true, PauseMS: 300}}},
	}
	out := make([]calleesim.Persona, len(kinds)+1)
	for i, k := range kinds {
		k.Name = fmt.Sprintf("%s-%d", k.Name, i)
		out[i] = k
	}
	out[len(kinds)] = agrees
	for i, n := range numbers {
		k := i % len(kinds)
		if kinds[k].Name == "busy" && i >= len(kinds) {
			k = len(kinds) // only the first busy one
		}
		out[k].Numbers = append(out[k].Numbers, n)
	}
	return slices.DeleteFunc(out, func(p calleesim.Persona) bool { return len(p.Numbers) == 0 })
}

func prob(p float64) *float64 { return &p }

// chaosWorker is one `outcall worker` process.
type chaosWorker struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan error
}

func (w *chaosWorker) exited() bool {
	select {
	case err := <-w.done:
		w.done <- err
		return true
	default:
		return false
	}
}

// wait waits up to limit for the worker to exit.
func (w *chaosWorker) wait(limit time.Duration) error {
	select {
	case err := <-w.done:
		w.done <- err
		return err
	case <-time.After(limit):
		return fmt.Errorf("worker %s did not exit within %v", w.name, limit)
	}
}

// callsActive is the number of calls the worker carries now, from its
// metrics (outcall_calls_active), whose address its log says.
func (w *chaosWorker) callsActive() (int, error) {
	b, err := os.ReadFile(w.log.Name())
	if err != nil {
		return 0, err
	}
	m := regexp.MustCompile(`msg="metrics listening" addr=(\S+)`).FindSubmatch(b)
	if m == nil {
		return 0, errors.New("its metrics are not listening yet")
	}
	res, err := metricsClient.Get("http://" + string(m[1]) + "/metrics")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	v := regexp.MustCompile(`(?m)^outcall_calls_active (\S+)$`).FindSubmatch(body)
	if v == nil {
		return 0, errors.New("its metrics show no outcall_calls_active")
	}
	n, err := strconv.ParseFloat(string(v[1]), 64)
	return int(n), err
}

// metricsClient reads workers' metrics; a worker that does not answer in
// time is asked again at the next poll.
var metricsClient = &http.Client{Timeout: 2 * time.Second}

// started reports whether w's workers have started (its log says so).
func started(w *chaosWorker) func() (bool, error) {
	return func() (bool, error) {
		b, err := os.ReadFile(w.log.Name())
		return strings.Contains(string(b), `msg="workers started"`), err
	}
}

// carrying waits until w carries at least n calls.
func carrying(w *chaosWorker, n int) func() (bool, error) {
	return func() (bool, error) {
		got, err := w.callsActive()
		return got >= n, err
	}
}

// logTail is the end of the worker's log.
func (w *chaosWorker) logTail() string {
	b, _ := os.ReadFile(w.log.Name())
	return tail(string(b), 3000)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// chaosRig is everything a chaos run holds.
type chaosRig struct {
	cfg      chaosConfig
	dir      string
	cluster  *localpg.Cluster
	url      string
	db       *tenants.DB
	p        tenants.Principal
	sim      *calleesim.Simulator
	campaign uuid.UUID
	svc      *campaigns.Service
	workers  []*chaosWorker

	mu       sync.Mutex
	received map[string]int // webhook event id → deliveries
}

func (r *chaosRig) logf(format string, a ...any) {
	if r.cfg.Logf != nil {
		r.cfg.Logf(format, a...)
	}
}

// runChaos runs one chaos run and reports what it found; an error means
// the run itself could not be carried out.
func runChaos(ctx context.Context, cfg chaosConfig) (*chaosReport, error) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		return nil, fmt.Errorf("espeak-ng is needed to speak the calls' prompts: %w", err)
	}
	started := time.Now()
	ctx, cancel := context.WithTimeout(ctx, cfg.Limit)
	defer cancel()
	dir, err := os.MkdirTemp("", "outcall-chaos-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	// PostgreSQL runs as its own user under root: let it reach its folder.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	r := &chaosRig{cfg: cfg, dir: dir, received: map[string]int{}}
	defer r.stopAll()
	defer func() {
		if r.sim != nil {
			r.sim.Close()
		}
		if r.db != nil {
			r.db.Close()
		}
	}()
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	if err := r.faults(ctx); err != nil {
		return nil, r.withLogs(fmt.Errorf("%w\n%s", err, r.diagnose()))
	}
	// The check reads the records even when the run's time ran out on the
	// last webhook deliveries (they are then counted as missing).
	checkCtx, cancelCheck := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancelCheck()
	rep, err := r.check(checkCtx)
	if err != nil {
		return nil, r.withLogs(err)
	}
	rep.Took = time.Since(started)
	return rep, nil
}

// withLogs adds the workers' last log lines to err.
func (r *chaosRig) withLogs(err error) error {
	var b strings.Builder
	fmt.Fprint(&b, err)
	for _, w := range r.workers {
		fmt.Fprintf(&b, "\n--- worker %s's log:\n%s", w.name, w.logTail())
	}
	return errors.New(b.String())
}

func (r *chaosRig) setup(ctx context.Context) error {
	cluster, err := localpg.New(filepath.Join(r.dir, "pg"), 0)
	if err != nil {
		return err
	}
	if err := cluster.Start(ctx); err != nil {
		return err
	}
	r.cluster = cluster
	if err := cluster.CreateDatabase(ctx, "outcall"); err != nil {
		return err
	}
	r.url = cluster.URL("outcall")
	if err := migrations.Up(ctx, r.url); err != nil {
		return err
	}
	if r.db, err = tenants.Open(ctx, r.url); err != nil {
		return err
	}
	su, err := tenants.NewService(r.db).Signup(ctx, tenants.SignupRequest{TenantName: "chaos shop", Email: "owner@chaos.example", Password: "chaos-password"})
	if err != nil {
		return err
	}
	r.p = tenants.Principal{TenantID: su.Tenant.ID, Role: tenants.RoleOwner}
	if _, err := admin.New(admin.Options{DB: r.db}).AssignPlan(ctx, admin.CLI("chaos"), su.Tenant.ID, "pro"); err != nil {
		return err
	}
	inserter, err := newInserter(r.db)
	if err != nil {
		return err
	}
	svc := campaigns.New(campaigns.Options{DB: r.db, Jobs: inserter})
	rules := campaigns.DefaultCompliance()
	rules.QuietHours, rules.MaxDailyCalls, rules.MinRetryInterval = []string{}, chaosDailyCap, campaigns.Duration(time.Second)
	rules.MaxConcurrentLines, rules.CallsPerSecond, rules.AIDisclosure = r.cfg.Lines, 4, campaigns.DisclosureOff
	if _, err := svc.SetCompliance(ctx, r.p, rules); err != nil {
		return err
	}

	hosts, err := scripting.NewHostPool(scripting.HostConfig{Command: r.cfg.HostCommand, Env: r.cfg.HostEnv, Hosts: 1})
	if err != nil {
		return err
	}
	defer hosts.Close()
	store := &scripting.Store{DB: r.db, Runner: hosts}
	sc, err := store.CreateScript(ctx, r.p, "送货确认", scripting.KindDialog, "")
	if err != nil {
		return err
	}
	v, err := store.CreateVersion(ctx, r.p, sc.ID, chaosScript)
	if err != nil {
		return err
	}
	published, _, err := store.Publish(ctx, r.p, sc.ID, v.Number, nil, true)
	if err != nil {
		return err
	}

	// The carrier.
	numbers := make([]string, r.cfg.Contacts)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("+86139%08d", 20000000+i)
	}
	tts := telephony.NewCachedTTS(telephony.EspeakTTS{}, 64)
	if r.sim, err = calleesim.Start(context.WithoutCancel(ctx), calleesim.Config{TTS: tts, Personas: chaosPersonas(numbers)}); err != nil {
		return err
	}

	// The tenant's webhook receiver.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.received[req.Header.Get("Outcall-Event-Id")]++
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	hooks := &webhooks.Service{DB: r.db, AllowPrivate: true, Jobs: inserter}
	endpoint := "http://" + ln.Addr().String() + "/hooks"
	if _, _, err := hooks.Create(ctx, r.p, webhooks.EndpointInput{URL: &endpoint}); err != nil {
		return err
	}

	cs := contacts.New(contacts.Options{DB: r.db})
	list, err := cs.CreateList(ctx, r.p, "customers", "")
	if err != nil {
		return err
	}
	for _, n := range numbers {
		if _, err := cs.UpsertContact(ctx, r.p, contacts.ContactInput{Phone: n, ListIDs: []uuid.UUID{list.ID}}); err != nil {
			return err
		}
	}
	retry := campaigns.RetryPolicy{
		telephony.OutcomeBusy:     {After: campaigns.Duration(time.Minute), Times: 1},
		telephony.OutcomeNoAnswer: {},
		telephony.OutcomeFailed:   {After: campaigns.Duration(time.Minute), Times: 1},
	}
	c, err := svc.CreateCampaign(ctx, r.p, campaigns.CampaignInput{Name: "送货确认", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: published.ID.String(), RetryPolicy: retry})
	if err != nil {
		return err
	}
	r.campaign, r.svc = c.ID, svc
	_, err = svc.StartCampaign(ctx, r.p, c.ID)
	return err
}

// startWorker starts an `outcall worker` process; spool names its spool
// folder (a replacement takes over its predecessor's, as one on the same
// machine would).
func (r *chaosRig) startWorker(name, spool string) (*chaosWorker, error) {
	_, port, _ := net.SplitHostPort(r.sim.Addr())
	cmd := r.cfg.Worker("worker", "--database-url", r.url, "--sip-trunk", "udp://127.0.0.1:"+port+"?caller_ids="+url.QueryEscape(chaosCallerID),
		"--asr", "simulation", "--spool-dir", filepath.Join(r.dir, "spool-"+spool), "--drain-timeout", chaosDrain.String(),
		"--max-workers", "20", "--log-level", "info", "--metrics-addr", "127.0.0.1:0", "--recordings-dir", filepath.Join(r.dir, "recordings"),
		"--webhooks-allow-private", "--secret-key", chaosSecretKey)
	log, err := os.Create(filepath.Join(r.dir, "worker-"+name+".log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group: a kill reaches its script hosts too, as the
	// loss of a machine would.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &chaosWorker{name: name, cmd: cmd, log: log, done: make(chan error, 1)}
	go func() { w.done <- cmd.Wait() }()
	r.workers = append(r.workers, w)
	r.logf("worker %s started (pid %d)", name, cmd.Process.Pid)
	return w, nil
}

// stopAll ends every worker still running and PostgreSQL.
func (r *chaosRig) stopAll() {
	for _, w := range r.workers {
		if !w.exited() {
			syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
			w.wait(10 * time.Second)
		}
		w.log.Close()
	}
	if r.cluster != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r.cluster.Stop(ctx)
	}
}

// count runs a count in the tenant.
func (r *chaosRig) count(ctx context.Context, sql string, args ...any) (int, error) {
	var n int
	err := r.db.InTenant(ctx, r.p.TenantID, func(tx pgx.Tx) error { return tx.QueryRow(ctx, sql, args...).Scan(&n) })
	return n, err
}

// waitFor polls ok until it says true, the run's time is up or a worker
// that should run has died.
func (r *chaosRig) waitFor(ctx context.Context, what string, ok func() (bool, error), running ...*chaosWorker) error {
	for {
		done, err := ok()
		if err == nil && done {
			return nil
		}
		for _, w := range running {
			if w.exited() {
				return fmt.Errorf("waiting until %s: worker %s exited: %v", what, w.name, w.wait(time.Second))
			}
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("waiting until %s: %w (last error: %v)", what, ctx.Err(), err)
			}
			return fmt.Errorf("waiting until %s: %w", what, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// faults runs the campaign through its bad day and returns once it is done.
func (r *chaosRig) faults(ctx context.Context) error {
	a, err := r.startWorker("a", "a")
	if err != nil {
		return err
	}
	b, err := r.startWorker("b", "b")
	if err != nil {
		return err
	}
	ended := func(n int) func() (bool, error) {
		return func() (bool, error) {
			got, err := r.count(ctx, `SELECT count(*) FROM calls WHERE state = 'ended'`)
			return got >= n, err
		}
	}

	// 1. A worker is killed mid-call, and its machine comes back.
	if err := r.waitFor(ctx, "worker a carries calls", carrying(a, 2), a, b); err != nil {
		return err
	}
	if err := syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		return err
	}
	a.wait(10 * time.Second)
	r.logf("worker a killed with %d calls at the carrier", r.sim.Active())
	a2, err := r.startWorker("a2", "a")
	if err != nil {
		return err
	}

	// 2. The other is stopped for a deploy, and its new version starts.
	if err := r.waitFor(ctx, "worker b carries calls", carrying(b, 1), a2, b); err != nil {
		return err
	}
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	termAt := time.Now()
	if err := b.wait(chaosDrain + jobs.CancelGrace + 5*time.Second); err != nil {
		return err
	}
	r.logf("worker b drained and exited %v after SIGTERM", time.Since(termAt).Round(100*time.Millisecond))
	if code := b.cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("worker b exited with %d after SIGTERM", code)
	}
	b2, err := r.startWorker("b2", "b")
	if err != nil {
		return err
	}
	// The deploy is done when the new version works.
	if err := r.waitFor(ctx, "worker b2 has started", started(b2), a2, b2); err != nil {
		return err
	}

	// 3. PostgreSQL goes away while calls talk.
	done, err := r.count(ctx, `SELECT count(*) FROM calls WHERE state = 'ended'`)
	if err != nil {
		return err
	}
	if err := r.waitFor(ctx, "calls flow after the deploy", ended(done+1), a2, b2); err != nil {
		return err
	}
	if err := r.waitFor(ctx, "calls are at the carrier after the deploy", func() (bool, error) { return r.sim.Active() >= 2, nil }, a2, b2); err != nil {
		return err
	}
	if err := r.cluster.Stop(ctx); err != nil {
		return err
	}
	r.logf("PostgreSQL stopped with %d calls at the carrier", r.sim.Active())
	select {
	case <-time.After(r.cfg.Outage):
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := r.cluster.Start(ctx); err != nil {
		return err
	}
	r.logf("PostgreSQL started again after %v", r.cfg.Outage)

	// The campaign finishes on the survivors: nothing is left to dial
	// today (the busy numbers wait for tomorrow, refused by the cap). A
	// number the cap refused waits until the callee's next day begins,
	// which is within the hour when the run is close to midnight in
	// Shanghai (16:00 UTC): it is not left for today however close that is.
	none := func(sql string) func() (bool, error) {
		return func() (bool, error) {
			n, err := r.count(ctx, sql, r.campaign)
			return n == 0, err
		}
	}
	const inFlight = `SELECT (SELECT count(*) FROM campaign_contacts WHERE campaign_id = $1 AND state IN ('queued', 'dialling', 'in_call'))
		+ (SELECT count(*) FROM calls WHERE state IN ('dialling', 'in_call'))`
	const dueToday = ` + (SELECT count(*) FROM campaign_contacts WHERE campaign_id = $1 AND state = 'pending'
		AND next_at < now() + interval '1 hour' AND last_reason IS DISTINCT FROM 'daily_cap')`
	if err := r.waitFor(ctx, "the campaign has nothing left to dial today", none(inFlight+dueToday), a2, b2); err != nil {
		return err
	}
	// The campaign is paused so that the callee's next day, if it begins
	// now, starts no call while the records are read. A dial queued
	// meanwhile goes back to its contact unmade, and a call begun meanwhile
	// ends as calls do: the paused campaign then has nothing in flight,
	// whatever its contacts wait for.
	if _, err := r.svc.PauseCampaign(ctx, r.p, r.campaign); err != nil {
		return fmt.Errorf("pause the campaign once it is done for today: %w", err)
	}
	if err := r.waitFor(ctx, "the paused campaign has no dial or call in flight", none(inFlight), a2, b2); err != nil {
		return err
	}
	r.logf("the campaign is done for today")
	// Every webhook event reaches the receiver. A delivery that was running
	// on the killed worker, or whose end its worker could not record while
	// PostgreSQL was away, stays running until River's rescuer retries it,
	// after the delivery's first retry delay: the wait allows for that
	// beyond the run's own limit.
	hooksCtx, cancelHooks := context.WithTimeout(context.WithoutCancel(ctx), jobs.RescueWithin+webhooks.DefaultRetryBase*6/5+10*time.Second)
	defer cancelHooks()
	waited := time.Now()
	if err := r.waitFor(hooksCtx, "every webhook event is delivered", func() (bool, error) {
		missing, err := r.undelivered(hooksCtx)
		return len(missing) == 0, err
	}, a2, b2); err != nil {
		r.logf("%v", err)
	} else if w := time.Since(waited); w > 5*time.Second {
		r.logf("the last webhook events were delivered %v after the campaign was done", w.Round(time.Second))
	}
	return nil
}

// undelivered lists the tenant's webhook events the receiver has not got.
func (r *chaosRig) undelivered(ctx context.Context) ([]string, error) {
	var ids []string
	err := r.db.InTenant(ctx, r.p.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id::text FROM webhook_events ORDER BY created_at`)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.DeleteFunc(ids, func(id string) bool { return r.received[id] > 0 }), nil
}

// deliveryJob says where an event's delivery job stands in River's table.
func (r *chaosRig) deliveryJob(ctx context.Context, eventID string) string {
	var state string
	var attempt int
	var attempted *time.Time
	var errs []string
	err := r.db.Pool().QueryRow(ctx, `SELECT state::text, attempt, attempted_at, coalesce((SELECT array_agg(e->>'error') FROM unnest(errors) e), '{}')
		FROM river_job WHERE kind = $1 AND args->>'event_id' = $2 ORDER BY id DESC LIMIT 1`,
		webhooks.DeliverArgs{}.Kind(), eventID).Scan(&state, &attempt, &attempted, &errs)
	if err != nil {
		return fmt.Sprintf("its delivery job: %v", err)
	}
	at := "never"
	if attempted != nil {
		at = attempted.Format(time.TimeOnly)
	}
	return fmt.Sprintf("its delivery job is %s, attempt %d, last attempted at %s, errors %q", state, attempt, at, errs)
}

// diagnose says where the campaign stands: its contacts not done, its calls
// not ended, and the jobs not completed.
func (r *chaosRig) diagnose() string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var b strings.Builder
	dump := func(title, sql string, args ...any) {
		rows, err := r.db.Pool().Query(ctx, sql, args...)
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", title, err)
			return
		}
		defer rows.Close()
		fmt.Fprintf(&b, "%s:\n", title)
		for rows.Next() {
			vals, _ := rows.Values()
			fmt.Fprintf(&b, "  %v\n", vals)
		}
	}
	r.db.InTenant(ctx, r.p.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT 'contact', right(phone, 4), state, attempt, to_char(next_at, 'HH24:MI:SS'), coalesce(last_outcome, ''), coalesce(last_reason, '')
			FROM campaign_contacts WHERE campaign_id = $1 AND state <> 'done'
			UNION ALL SELECT 'call', right(phone, 4), state, attempt, to_char(created_at, 'HH24:MI:SS'), coalesce(outcome, ''), coalesce(reason, '') FROM calls WHERE state NOT IN ('ended', 'refused')`, r.campaign)
		if err != nil {
			fmt.Fprintf(&b, "contacts: %v\n", err)
			return nil
		}
		defer rows.Close()
		for rows.Next() {
			vals, _ := rows.Values()
			fmt.Fprintf(&b, "  %v\n", vals)
		}
		return nil
	})
	dump("jobs not completed", `SELECT kind, state, attempt, to_char(scheduled_at, 'HH24:MI:SS'), left(coalesce(errors::text, ''), 300) FROM river_job WHERE state <> 'completed' ORDER BY id`)
	fmt.Fprintf(&b, "now %s", time.Now().Format("15:04:05"))
	return b.String()
}

// chaosCall is a call record as the check reads it.
type chaosCall struct {
	ID       string
	Phone    string
	State    string
	Outcome  string
	Reason   string
	Billable int
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// check reads the records once the campaign is done and holds them against
// what the carrier saw.
func (r *chaosRig) check(ctx context.Context) (*chaosReport, error) {
	rep := &chaosReport{}
	var (
		rows                          []chaosCall
		dnc                           = map[string]time.Time{}
		ledgerConnected, ledgerBilled int
		doubled                       []string
		noEvent                       []string
	)
	err := r.db.InTenant(ctx, r.p.TenantID, func(tx pgx.Tx) error {
		q, err := tx.Query(ctx, `SELECT id::text, phone, state, coalesce(outcome, ''), coalesce(reason, ''), billable_seconds FROM calls WHERE state <> 'refused'`)
		if err != nil {
			return err
		}
		if rows, err = pgx.CollectRows(q, pgx.RowToStructByPos[chaosCall]); err != nil {
			return err
		}
		q, err = tx.Query(ctx, `SELECT phone, added_at FROM dnc_numbers`)
		if err != nil {
			return err
		}
		var phone string
		var at time.Time
		if _, err := pgx.ForEachRow(q, []any{&phone, &at}, func() error {
			dnc[digits(phone)] = at
			return nil
		}); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(sum(connected_seconds), 0), coalesce(sum(billable_seconds), 0) FROM usage_ledger WHERE kind = $1`,
			billing.KindMinutes).Scan(&ledgerConnected, &ledgerBilled); err != nil {
			return err
		}
		q, err = tx.Query(ctx, `SELECT call_id::text FROM usage_ledger WHERE kind = 'call_minutes' GROUP BY call_id HAVING count(*) > 1`)
		if err != nil {
			return err
		}
		if doubled, err = pgx.CollectRows(q, pgx.RowTo[string]); err != nil {
			return err
		}
		q, err = tx.Query(ctx, `SELECT c.id::text FROM calls c WHERE c.state = 'ended' AND NOT EXISTS
			(SELECT 1 FROM webhook_events e WHERE e.type = $1 AND e.data->>'call_id' = c.id::text)`, webhooks.CallCompleted)
		if err != nil {
			return err
		}
		noEvent, err = pgx.CollectRows(q, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM campaign_contacts WHERE campaign_id = $1 AND last_reason = 'daily_cap'`, r.campaign).Scan(&rep.CapRefusals); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM campaign_contacts cc WHERE cc.campaign_id = $1 AND NOT EXISTS
				(SELECT 1 FROM calls c WHERE c.campaign_id = cc.campaign_id AND c.contact_id = cc.contact_id AND c.state <> 'refused')`, r.campaign).Scan(&rep.Undialled); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM lines WHERE call_id IS NOT NULL`).Scan(&rep.LinesLeased)
	})
	if err != nil {
		return nil, err
	}
	if rep.LinesLeased > 0 {
		rep.problem("%d lines still leased after the campaign completed", rep.LinesLeased)
	}
	byID := map[string]chaosCall{}
	var connected, billed int
	for _, c := range rows {
		connected += c.Billable
		billed += int(billing.BillableSeconds(c.Billable))
		byID[c.ID] = c
		if c.State != "ended" {
			rep.Lost++
			rep.problem("call %s is still %s", c.ID, c.State)
		}
		if c.Outcome == string(telephony.OutcomeInterrupted) {
			rep.Interrupted++
			if c.Reason == "" {
				rep.Lost++
				rep.problem("call %s is interrupted with no reason", c.ID)
			}
		}
	}

	records := r.sim.Records()
	rep.Calls = len(records)
	seen := map[string]int{}
	// The cap is per number and callee's day: a run that spans the
	// callee's midnight may dial a number again after it.
	type numberDay struct{ number, day string }
	perNumber := map[numberDay]int{}
	for _, rec := range records {
		number := digits(rec.Number)
		perNumber[numberDay{number, rec.LocalTime.Format(time.DateOnly)}]++
		if at, ok := dnc[number]; ok && rec.LocalTime.After(at) {
			rep.CapViolations++
			rep.problem("%s was dialled at %s, after it went on the do-not-call list at %s", phoneTail(number), rec.LocalTime.Format(time.StampMilli), at.Format(time.StampMilli))
		}
		if rec.Ref == "" {
			rep.Lost++
			rep.problem("the carrier got a call to %s with no call id", phoneTail(number))
			continue
		}
		if seen[rec.Ref]++; seen[rec.Ref] == 2 {
			rep.DoubleDials++
			rep.problem("call %s reached the carrier more than once", rec.Ref)
		}
		c, ok := byID[rec.Ref]
		switch {
		case !ok:
			rep.Lost++
			rep.problem("call %s to %s reached the carrier (%s) and has no record", rec.Ref, phoneTail(number), rec.Result)
			continue
		case digits(c.Phone) != number:
			rep.Lost++
			rep.problem("call %s is recorded for %s, the carrier saw %s", c.ID, phoneTail(c.Phone), phoneTail(number))
		case rec.Result == "busy" && c.Outcome != string(telephony.OutcomeBusy),
			rec.Result == "answered" && slices.Contains([]string{"busy", "no_answer", "invalid_number", "unreachable", "rejected", "failed"}, c.Outcome):
			rep.Lost++
			rep.problem("call %s is recorded as %s; the carrier saw it %s", c.ID, c.Outcome, rec.Result)
		}
		// A callee who said stop, to a worker that heard it and recorded
		// the call, is on the do-not-call list.
		heard := len(rec.TextAnswers) >= 2 && !slices.ContainsFunc(rec.TextAnswers, func(code int) bool { return code != 200 })
		if strings.HasPrefix(rec.Persona, chaosStopPersona) && heard && c.Outcome != string(telephony.OutcomeInterrupted) {
			if _, listed := dnc[number]; !listed {
				rep.Lost++
				rep.problem("the callee of call %s said stop, and %s is not on the do-not-call list", c.ID, phoneTail(number))
			}
		}
	}
	for k, n := range perNumber {
		if n > chaosDailyCap {
			rep.CapViolations += n - chaosDailyCap
			rep.problem("%s was dialled %d times on %s, its local day, over its daily cap of %d", phoneTail(k.number), n, k.day, chaosDailyCap)
		}
	}
	// The ledger holds each call's connected seconds and bills them
	// rounded up to whole minutes.
	rep.LedgerDiffSeconds = abs(ledgerConnected-connected) + abs(ledgerBilled-billed)
	if ledgerConnected != connected || ledgerBilled != billed {
		rep.problem("the usage ledger holds %d connected seconds billed as %d; the calls %d, billed as %d", ledgerConnected, ledgerBilled, connected, billed)
	}
	rep.LedgerDoubled = len(doubled)
	for _, id := range doubled {
		rep.problem("call %s has more than one usage ledger row", id)
	}
	missing, err := r.undelivered(ctx)
	if err != nil {
		return nil, err
	}
	rep.WebhooksMissing = len(missing) + len(noEvent)
	for _, id := range missing {
		rep.problem("webhook event %s was never delivered (%s)", id, r.deliveryJob(ctx, id))
	}
	for _, id := range noEvent {
		rep.problem("call %s ended with no %s event", id, webhooks.CallCompleted)
	}
	return rep, nil
}

func abs(n int) int { return max(n, -n) }

// phoneTail is the last four digits of a number, for messages.
func phoneTail(n string) string {
	d := digits(n)
	if len(d) > 4 {
		return "…" + d[len(d)-4:]
	}
	return d
}

// benchChaos runs a chaos run of 120 contacts on 12 lines, with PostgreSQL
// away for 30 s, and prints its invariants' figures.
func benchChaos(cmd *cobra.Command, report func(name string, value float64, unit string)) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	rep, err := runChaos(cmd.Context(), chaosConfig{Contacts: 120, Lines: 12, Outage: 30 * time.Second, Limit: 8 * time.Minute,
		Worker: func(args ...string) *exec.Cmd { return exec.Command(self, args...) },
		Logf:   func(format string, a ...any) { fmt.Fprintf(os.Stderr, "bench chaos: "+format+"\n", a...) }})
	if err != nil {
		return err
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(os.Stderr, "bench chaos:", p)
	}
	report("chaos_calls", float64(rep.Calls), "calls")
	report("chaos_lost", float64(rep.Lost), "calls")
	report("chaos_double_dials", float64(rep.DoubleDials), "calls")
	report("chaos_cap_violations", float64(rep.CapViolations), "dials")
	report("chaos_ledger_diff_s", float64(rep.LedgerDiffSeconds), "s")
	report("chaos_webhooks_missing", float64(rep.WebhooksMissing), "events")
	report("chaos_lines_leased", float64(rep.LinesLeased), "lines")
	report("chaos_undialled", float64(rep.Undialled), "contacts")
	report("chaos_ledger_doubled", float64(rep.LedgerDoubled), "calls")
	report("chaos_interrupted", float64(rep.Interrupted), "calls")
	report("chaos_cap_refusals", float64(rep.CapRefusals), "contacts")
	report("chaos_run", rep.Took.Seconds(), "s")
	return nil
}
