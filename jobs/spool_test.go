package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/campaigns/hooks"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// The callee of the spool tests, as the tenant typed the number.
const spoolCallee = "13812345678"

// stopEnding is a call the callee answered at answered and ended by
// saying stop, with everything a call brings back.
func stopEnding(answered time.Time) campaigns.Ending {
	sentiment := float32(-0.75)
	return campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: answered, EndedAt: answered.Add(42 * time.Second),
		RingTime: 3 * time.Second, Silence: 1500 * time.Millisecond, FinalState: "opted_out", LastIntent: "stop", OptOut: true,
		ModelTokens: 120, Tags: []string{"outcome:stop"}, Vars: json.RawMessage(`{"order": "A-1", "items": [1, 2]}`),
		Slots: map[string]any{"when": "never", "count": json.Number("9007199254740993")},
		Turns: []campaigns.Turn{
			{Seq: 1, State: "greeting", Said: "您好,这里是商城客服", Heard: "你是谁", Intent: "ask", StartedAt: answered, EndedAt: answered.Add(5 * time.Second)},
			{Seq: 2, State: "pitch", Said: "想和您确认订单", Heard: "别再打了", Intent: "stop", Sentiment: &sentiment, SentimentLabel: "angry",
				Model: json.RawMessage(`{"tokens": 120}`), StartedAt: answered.Add(5 * time.Second), EndedAt: answered.Add(40 * time.Second)},
		}}
}

// syncBuffer is a log that goroutines write to at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// outagePlacer answers each call and, as the callee says stop and hangs
// up, has the database go away.
type outagePlacer struct {
	outage func()

	mu    sync.Mutex
	calls []campaigns.Placement
}

func (o *outagePlacer) Place(ctx context.Context, req campaigns.Placement) (campaigns.Ending, error) {
	answered := time.Now().Add(-42 * time.Second)
	req.Answered(answered)
	o.mu.Lock()
	o.calls = append(o.calls, req)
	o.mu.Unlock()
	o.outage()
	return stopEnding(answered), nil
}

func (o *outagePlacer) placed() []campaigns.Placement {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]campaigns.Placement(nil), o.calls...)
}

// waitUntil waits, within limit, for ok.
func waitUntil(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", limit, what)
		}
	}
}

// count runs a counting query in the tenant's transaction.
func count(t *testing.T, db *tenants.DB, tenantID uuid.UUID, sql string, args ...any) int {
	t.Helper()
	var n int
	ctx := context.Background()
	if err := db.InTenant(ctx, tenantID, func(tx pgx.Tx) error { return tx.QueryRow(ctx, sql, args...).Scan(&n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

// spooled lists the closes waiting in dir, and the files kept aside.
func spooled(t *testing.T, dir string) (waiting, aside []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch {
		case strings.HasSuffix(e.Name(), ".bad"):
			aside = append(aside, e.Name())
		case strings.HasSuffix(e.Name(), ".json"):
			waiting = append(waiting, e.Name())
		}
	}
	return waiting, aside
}

// gauge reads the gauge name from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}

// A call whose end the database cannot take (it went away as the callee
// said stop) is spooled: the dial job completes, the call stays open with
// its line leased, and nothing but the masked number is logged. The worker
// renews the lease while the close waits, so the lease reaper, once the
// database is back, leaves the call alone. The replayer records the call
// once, with its turns, its usage row and the callee on the do-not-call
// list, and empties the spool.
func TestACallEndTheDatabaseCannotTakeIsSpooledAndRecordedOnceItIsBack(t *testing.T) {
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	proxy, proxied := dbtest.NewProxy(t, shop.URL)
	away, err := tenants.Open(ctx, proxied)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(away.Close)
	// The workers' campaigns service reaches the database through the
	// proxy, billed as the service is; River and the test's checks reach
	// it directly.
	svc := campaigns.New(hooks.Add(campaigns.Options{DB: away}, true))
	rules := campaigns.DefaultCompliance()
	rules.QuietHours = []string{}
	if _, err := svc.SetCompliance(ctx, shop.Owner, rules); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	reg := prometheus.NewRegistry()
	dir := filepath.Join(t.TempDir(), "spool")
	spool, err := jobs.NewSpool(jobs.SpoolOptions{Dir: dir, Campaigns: svc, Logger: log, RetryFor: 300 * time.Millisecond,
		MaxWait: 200 * time.Millisecond, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	placer := &outagePlacer{outage: proxy.CutOff}
	// Leases go stale after a second here, and the reaper looks twice a
	// second.
	timing := jobs.LeaseTiming{Renew: 100 * time.Millisecond, StaleAfter: time.Second, ReapEvery: 500 * time.Millisecond, Confirm: 500 * time.Millisecond}
	startWorking(t, ctx, jobs.Config{Tenants: shop.Tenants, Logger: log, Work: true, Campaigns: svc, Placer: placer, DialWorkers: 2,
		Spool: spool, Leases: timing})
	c := startCampaign(t, ctx, shop, svc, spoolCallee)

	waitUntil(t, "the call's end to be spooled", 15*time.Second, func() bool { return spool.Len() == 1 })
	placed := placer.placed()
	if len(placed) != 1 {
		t.Fatalf("%d calls placed, want 1", len(placed))
	}
	call := placed[0]
	tid := shop.Owner.TenantID
	if waiting, _ := spooled(t, dir); len(waiting) != 1 || waiting[0] != call.CallID.String()+".json" {
		t.Fatalf("the spool holds %v, want the call's close", waiting)
	}
	waitUntil(t, "River to complete the dial job", 10*time.Second, func() bool {
		return count(t, shop.DB, tid, `SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'completed'`, campaigns.DialBatchArgs{}.Kind()) == 1
	})
	if n := count(t, shop.DB, tid, `SELECT count(*) FROM calls WHERE id = $1 AND state = 'in_call'`, call.CallID); n != 1 {
		t.Fatal("the spooled call is no longer open before its close is replayed")
	}
	if n := count(t, shop.DB, tid, `SELECT count(*) FROM lines WHERE call_id = $1`, call.CallID); n != 1 {
		t.Fatal("the spooled call's line is not leased")
	}
	if g := gauge(t, reg, "outcall_spooled_closes"); g != 1 {
		t.Fatalf("outcall_spooled_closes is %v, want 1", g)
	}
	if out := logs.String(); !strings.Contains(out, "kept in the spool") || !strings.Contains(out, phone.Mask(call.Phone)) {
		t.Fatalf("no log line says the call's end was spooled, with the masked number:\n%s", out)
	}

	// The database stays away until the call's lease has gone stale, and
	// comes back. The lease reaper runs, and the call stays open, its
	// lease renewed by this worker while its close waits in the spool.
	waitUntil(t, "the spooled call's lease to go stale", 10*time.Second, func() bool {
		return count(t, shop.DB, tid, `SELECT count(*) FROM lines WHERE call_id = $1 AND leased_at < now() - $2::interval`, call.CallID, timing.StaleAfter) == 1
	})
	var back time.Time
	if err := shop.DB.Pool().QueryRow(ctx, `SELECT now()`).Scan(&back); err != nil {
		t.Fatal(err)
	}
	proxy.Restore()
	waitUntil(t, "the lease reaper to run twice with the database back", 10*time.Second, func() bool {
		return count(t, shop.DB, tid, `SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'completed' AND attempted_at > $2`,
			jobs.ReapLeasesArgs{}.Kind(), back) >= 2
	})
	if n := count(t, shop.DB, tid, `SELECT count(*) FROM lines WHERE call_id = $1 AND leased_at > $2`, call.CallID, back); n != 1 {
		t.Fatal("the spooled call's lease was not renewed once the database was back")
	}
	if n := count(t, shop.DB, tid, `SELECT count(*) FROM calls WHERE id = $1 AND state = 'in_call'`, call.CallID); n != 1 {
		t.Fatal("the lease reaper closed the spooled call")
	}

	// The replayer records it.
	runCtx, stopRun := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		spool.Run(runCtx)
	}()
	t.Cleanup(func() {
		stopRun()
		<-ran
	})
	waitUntil(t, "the spooled close to be replayed", 15*time.Second, func() bool {
		waiting, _ := spooled(t, dir)
		return spool.Len() == 0 && len(waiting) == 0
	})
	got, err := campaigns.New(campaigns.Options{DB: shop.DB}).GetCall(ctx, shop.Owner, call.CallID)
	if err != nil {
		t.Fatal(err)
	}
	want := stopEnding(time.Time{})
	if got.State != "ended" || got.Outcome != want.Outcome || got.FinalState != want.FinalState || got.BillableSeconds != 42 ||
		got.LastIntent != "stop" || len(got.Turns) != 2 || got.Turns[1].Heard != "别再打了" {
		t.Fatalf("the replayed call: %+v", got)
	}
	checks := []struct {
		what string
		sql  string
		args []any
		want int
	}{
		{"turns", `SELECT count(*) FROM call_turns WHERE call_id = $1`, []any{call.CallID}, 2},
		{"usage rows", `SELECT count(*) FROM usage_ledger WHERE call_id = $1 AND kind = 'call_minutes'`, []any{call.CallID}, 1},
		{"do-not-call entries", `SELECT count(*) FROM dnc_numbers WHERE phone = $1 AND source = 'callee_stop'`, []any{call.Phone}, 1},
		{"opted-out calls", `SELECT count(*) FROM calls WHERE id = $1 AND opted_out`, []any{call.CallID}, 1},
		{"leased lines", `SELECT count(*) FROM lines WHERE call_id = $1`, []any{call.CallID}, 0},
		{"contacts still to call", `SELECT count(*) FROM campaign_contacts WHERE campaign_id = $1 AND state <> 'done'`, []any{c.ID}, 0},
	}
	for _, ch := range checks {
		if n := count(t, shop.DB, tid, ch.sql, ch.args...); n != ch.want {
			t.Errorf("%d %s, want %d", n, ch.what, ch.want)
		}
	}
	if g := gauge(t, reg, "outcall_spooled_closes"); g != 0 {
		t.Errorf("outcall_spooled_closes is %v after the replay", g)
	}
	out := logs.String()
	if !strings.Contains(out, "recorded a spooled call close") {
		t.Errorf("no log line says the spooled close was recorded:\n%s", out)
	}
	if strings.Contains(out, strings.TrimPrefix(call.Phone, "+86")) {
		t.Errorf("the callee's full number is in the log:\n%s", out)
	}
}

// spoolRig is a tenant with a billed campaigns service, a spool on it, and
// calls placed as BeginDial leaves them, without workers.
type spoolRig struct {
	t     *testing.T
	ctx   context.Context
	db    *tenants.DB
	svc   *campaigns.Service
	p     tenants.Principal
	logs  *syncBuffer
	dir   string
	spool *jobs.Spool
}

func newSpoolRig(t *testing.T) *spoolRig {
	t.Helper()
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	r := &spoolRig{t: t, ctx: ctx, db: shop.DB, p: shop.Owner, logs: &syncBuffer{}, dir: filepath.Join(t.TempDir(), "spool"),
		svc: campaigns.New(hooks.Add(campaigns.Options{DB: shop.DB}, true))}
	rules := campaigns.DefaultCompliance()
	rules.QuietHours = []string{}
	if _, err := r.svc.SetCompliance(ctx, r.p, rules); err != nil {
		t.Fatal(err)
	}
	var err error
	r.spool, err = jobs.NewSpool(jobs.SpoolOptions{Dir: r.dir, Campaigns: r.svc, Logger: slog.New(slog.NewTextHandler(r.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// placed records a dial of number, as a dial job does before it places
// the call, and returns the call to place.
func (r *spoolRig) placed(number string) campaigns.Placement {
	r.t.Helper()
	cs := contacts.New(contacts.Options{DB: r.db})
	list, err := cs.CreateList(r.ctx, r.p, "list "+number, "")
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := cs.UpsertContact(r.ctx, r.p, contacts.ContactInput{Phone: number, ListIDs: []uuid.UUID{list.ID}}); err != nil {
		r.t.Fatal(err)
	}
	c, err := r.svc.CreateCampaign(r.ctx, r.p, campaigns.CampaignInput{Name: number, ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1", RetryPolicy: noRetries})
	if err == nil {
		c, err = r.svc.StartCampaign(r.ctx, r.p, c.ID)
	}
	if err == nil {
		_, err = r.svc.Pace(r.ctx, r.p.TenantID, c.ID, 1)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	a := campaigns.DialArgs{TenantID: r.p.TenantID, CampaignID: c.ID}
	if err := r.db.InTenant(r.ctx, r.p.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(r.ctx, `SELECT contact_id, attempt + 1 FROM campaign_contacts WHERE campaign_id = $1 AND state = 'queued'`, c.ID).Scan(&a.ContactID, &a.Attempt)
	}); err != nil {
		r.t.Fatal(err)
	}
	d, err := r.svc.BeginDial(r.ctx, a)
	if err != nil || !d.Place {
		r.t.Fatalf("dial: %+v %v", d, err)
	}
	return d.Request
}

func (r *spoolRig) count(sql string, args ...any) int {
	r.t.Helper()
	return count(r.t, r.db, r.p.TenantID, sql, args...)
}

func (r *spoolRig) replay() int {
	r.t.Helper()
	left, err := r.spool.Replay(r.ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	return left
}

// A spool file cut short, one that is not a close, one of a format to come
// and the remains of a write that never finished are each reported and
// kept aside (*.bad); the replay records the good close beside them and
// leaves the files kept aside alone.
func TestASpoolFileThatCannotBeReadIsKeptAsideAndTheOthersReplayed(t *testing.T) {
	r := newSpoolRig(t)
	call := r.placed(spoolCallee)
	if err := r.spool.Put(call.TenantID, call.CallID, call.Phone, stopEnding(time.Now().Add(-time.Minute)), nil); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(r.dir, call.CallID.String()+".json"))
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		uuid.NewString() + ".json": good[:len(good)/2],
		uuid.NewString() + ".json": []byte("not a close at all"),
		uuid.NewString() + ".json": bytes.Replace(good, []byte(`"version":1`), []byte(`"version":2`), 1),
		// A close of another call than its name says.
		uuid.NewString() + ".json": good,
	}
	for name, data := range bad {
		if err := os.WriteFile(filepath.Join(r.dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	unfinished := filepath.Join(r.dir, "."+uuid.NewString()+".json-123.tmp")
	if err := os.WriteFile(unfinished, good[:10], 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(unfinished, old, old); err != nil {
		t.Fatal(err)
	}
	// A temporary file being written now is left alone.
	writing := filepath.Join(r.dir, "."+uuid.NewString()+".json-456.tmp")
	if err := os.WriteFile(writing, good[:10], 0o600); err != nil {
		t.Fatal(err)
	}

	if left := r.replay(); left != 0 {
		t.Fatalf("%d closes left after the replay", left)
	}
	waiting, aside := spooled(t, r.dir)
	if len(waiting) != 0 || len(aside) != len(bad)+1 {
		t.Fatalf("after the replay the spool holds %v and kept aside %v", waiting, aside)
	}
	for name := range bad {
		if _, err := os.Stat(filepath.Join(r.dir, name+".bad")); err != nil {
			t.Errorf("%s was not kept aside: %v", name, err)
		}
	}
	if _, err := os.Stat(writing); err != nil {
		t.Errorf("a temporary file being written was touched: %v", err)
	}
	if n := r.count(`SELECT count(*) FROM calls WHERE id = $1 AND state = 'ended' AND opted_out`, call.CallID); n != 1 {
		t.Fatal("the good close beside the bad files was not recorded")
	}
	if n := strings.Count(r.logs.String(), "kept aside for an operator"); n != len(bad)+1 {
		t.Fatalf("%d files reported kept aside, want %d:\n%s", n, len(bad)+1, r.logs.String())
	}
	if r.spool.Len() != 0 {
		t.Fatalf("%d closes counted as waiting", r.spool.Len())
	}
	// Files kept aside stay as they are.
	if left := r.replay(); left != 0 {
		t.Fatal(left)
	}
	if _, again := spooled(t, r.dir); len(again) != len(aside) {
		t.Fatalf("a second replay changed the files kept aside: %v", again)
	}
}

// A close replayed twice (a process that stopped between recording it and
// deleting its file, two processes sharing a spool) records one set of
// turns, one usage row, one round of webhook events and one do-not-call
// entry; the second replay deletes the file and changes nothing.
func TestReplayingASpooledCloseTwiceRecordsItOnce(t *testing.T) {
	r := newSpoolRig(t)
	call := r.placed(spoolCallee)
	if err := r.spool.Put(call.TenantID, call.CallID, call.Phone, stopEnding(time.Now().Add(-time.Minute)), nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(r.dir, call.CallID.String()+".json")
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	counts := func() map[string]int {
		return map[string]int{
			"turns":          r.count(`SELECT count(*) FROM call_turns WHERE call_id = $1`, call.CallID),
			"usage rows":     r.count(`SELECT count(*) FROM usage_ledger WHERE call_id = $1`, call.CallID),
			"minute rows":    r.count(`SELECT count(*) FROM usage_ledger WHERE call_id = $1 AND kind = 'call_minutes'`, call.CallID),
			"webhook events": r.count(`SELECT count(*) FROM webhook_events WHERE data->>'call_id' = $1`, call.CallID.String()),
			"dnc events":     r.count(`SELECT count(*) FROM dnc_events WHERE phone = $1`, call.Phone),
			"ended calls":    r.count(`SELECT count(*) FROM calls WHERE id = $1 AND state = 'ended'`, call.CallID),
		}
	}
	if left := r.replay(); left != 0 {
		t.Fatalf("%d closes left after the first replay", left)
	}
	first := counts()
	if first["turns"] != 2 || first["minute rows"] != 1 || first["webhook events"] == 0 || first["dnc events"] != 1 || first["ended calls"] != 1 {
		t.Fatalf("after the first replay: %v", first)
	}
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	if left := r.replay(); left != 0 {
		t.Fatalf("%d closes left after the second replay", left)
	}
	if second := counts(); fmt.Sprint(second) != fmt.Sprint(first) {
		t.Fatalf("the second replay changed the record: %v, then %v", first, second)
	}
	if waiting, aside := spooled(t, r.dir); len(waiting)+len(aside) != 0 {
		t.Fatalf("the spool still holds %v %v", waiting, aside)
	}
	if strings.Contains(r.logs.String(), "came after") {
		t.Fatalf("the second replay of the spool's own close was taken for another's:\n%s", r.logs.String())
	}
}

// A spooled close that comes after its call was closed otherwise (the
// lease reaper's, while this worker was down) leaves that record as it is,
// says so, and still puts a callee who said stop on the do-not-call list.
func TestASpooledCloseThatComesTooLateStillListsACalleeWhoSaidStop(t *testing.T) {
	r := newSpoolRig(t)
	call := r.placed(spoolCallee)
	reaped := campaigns.Ending{Outcome: telephony.OutcomeInterrupted, Reason: campaigns.ReasonWorkerLost, EndedAt: time.Now()}
	if _, err := r.svc.CloseCall(r.ctx, call.TenantID, call.CallID, reaped); err != nil {
		t.Fatal(err)
	}
	if err := r.spool.Put(call.TenantID, call.CallID, call.Phone, stopEnding(time.Now().Add(-time.Minute)), nil); err != nil {
		t.Fatal(err)
	}
	if left := r.replay(); left != 0 {
		t.Fatalf("%d closes left", left)
	}
	got, err := r.svc.GetCall(r.ctx, r.p, call.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != telephony.OutcomeInterrupted || got.Reason != campaigns.ReasonWorkerLost || len(got.Turns) != 0 {
		t.Fatalf("the reaped call was changed: %+v", got)
	}
	if n := r.count(`SELECT count(*) FROM dnc_numbers WHERE phone = $1 AND source = 'callee_stop'`, call.Phone); n != 1 {
		t.Fatal("the callee who said stop is not on the do-not-call list")
	}
	if !strings.Contains(r.logs.String(), "came after its call was closed otherwise") {
		t.Fatalf("the late close was not reported:\n%s", r.logs.String())
	}
	if waiting, _ := spooled(t, r.dir); len(waiting) != 0 {
		t.Fatalf("the spool still holds %v", waiting)
	}
}

// A worker that is stopping does not wait out the retries: the end of a
// call the database cannot take is spooled at the first failure, and the
// call is recorded once the database is back.
func TestAStoppingWorkerSpoolsACallEndAtOnce(t *testing.T) {
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	proxy, proxied := dbtest.NewProxy(t, shop.URL)
	away, err := tenants.Open(ctx, proxied)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(away.Close)
	svc := campaigns.New(campaigns.Options{DB: away})
	rules := campaigns.DefaultCompliance()
	rules.QuietHours = []string{}
	if _, err := svc.SetCompliance(ctx, shop.Owner, rules); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	dir := filepath.Join(t.TempDir(), "spool")
	// Retries that would outlast the test: only the drain spools.
	spool, err := jobs.NewSpool(jobs.SpoolOptions{Dir: dir, Campaigns: svc, Logger: log, RetryFor: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	drain := &jobs.Drain{}
	placer := &outagePlacer{outage: func() {
		proxy.CutOff()
		drain.Begin()
	}}
	startWorking(t, ctx, jobs.Config{Tenants: shop.Tenants, Logger: log, Work: true, Campaigns: svc, Placer: placer, DialWorkers: 2,
		Spool: spool, Drain: drain})
	startCampaign(t, ctx, shop, svc, spoolCallee)
	waitUntil(t, "the call's end to be spooled", 15*time.Second, func() bool { return spool.Len() == 1 })
	call := placer.placed()[0]
	proxy.Restore()
	// Passes of the replayer, as Run makes them, until one leaves nothing.
	waitUntil(t, "a replay to record the close", 10*time.Second, func() bool {
		left, err := spool.Replay(ctx)
		return err == nil && left == 0
	})
	if n := count(t, shop.DB, shop.Owner.TenantID, `SELECT count(*) FROM calls WHERE id = $1 AND state = 'ended' AND opted_out`, call.CallID); n != 1 {
		t.Fatal("the spooled call was not recorded")
	}
	if n := count(t, shop.DB, shop.Owner.TenantID, `SELECT count(*) FROM call_turns WHERE call_id = $1`, call.CallID); n != 2 {
		t.Fatalf("%d turns recorded, want 2", n)
	}
}

// startWorking starts a jobs client that works, and stops it when the test
// ends.
func startWorking(t *testing.T, ctx context.Context, cfg jobs.Config) {
	t.Helper()
	client, err := jobs.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		client.StopAndCancel(ctx)
	})
}

// startCampaign starts a campaign of shop's, without retries, calling a
// new list of the numbers.
func startCampaign(t *testing.T, ctx context.Context, shop *dbtest.SignedUp, svc *campaigns.Service, numbers ...string) *campaigns.Campaign {
	t.Helper()
	cs := contacts.New(contacts.Options{DB: shop.DB})
	list, err := cs.CreateList(ctx, shop.Owner, "customers", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range numbers {
		if _, err := cs.UpsertContact(ctx, shop.Owner, contacts.ContactInput{Phone: n, ListIDs: []uuid.UUID{list.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := svc.CreateCampaign(ctx, shop.Owner, campaigns.CampaignInput{Name: "reminders", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1", RetryPolicy: noRetries})
	if err == nil {
		c, err = svc.StartCampaign(ctx, shop.Owner, c.ID)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}
