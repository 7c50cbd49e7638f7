package scripting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/outcall/outcall/migrations/dbtest"
)

func TestHostRunsTheSameConversationAsInProcess(t *testing.T) {
	src, err := os.ReadFile("examples/order_confirmation.js")
	if err != nil {
		t.Fatal(err)
	}
	contact := Contact{"name": "王先生", "item": "蓝牙耳机", "amount": 199, "vip": false, "city": "杭州"}
	says := []string{"多少钱", "是的"}

	s, ds := Compile("order_confirmation.js", string(src))
	if s == nil {
		t.Fatal(ds)
	}
	local, _ := s.NewSession(contact, SessionOptions{})
	var want []string
	t0, _ := local.Start()
	want = append(want, t0.Say)
	for _, say := range says {
		tr, _ := local.Turn(say)
		want = append(want, tr.State+"|"+tr.Say)
	}
	want[0] = "greeting|" + want[0]

	p := testPool(t, HostConfig{Hosts: 1})
	ctx := context.Background()
	remote, ds, err := p.Open(ctx, Caller{}, "order_confirmation.js", string(src), contact, SessionOptions{})
	if err != nil {
		t.Fatal(err, ds)
	}
	defer remote.Close()
	var got []string
	r0, err := remote.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, r0.State+"|"+r0.Say)
	for _, say := range says {
		tr, err := remote.Turn(ctx, say)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tr.State+"|"+tr.Say)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("remote turns\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if remote.Result() == nil || remote.Result().Outcome != "confirmed" {
		t.Errorf("remote outcome %+v, want confirmed", remote.Result())
	}
}

const memoryBomb = `export default {
  start: "a",
  fallback: { end: "script_failed" },
  states: {
    a: { say: "hi", on: { affirm: "boom" } },
    boom: { say: c => { const keep = []; let s = "x".repeat(1 << 20); for (let i = 0; ; i++) { s = s + s + i; keep.push(s); } }, end: "never" },
  },
};`

const healthy = `export default {
  fallback: { end: "healthy_fallback" },
  start: "a",
  states: {
    a: { say: c => "hello " + c.contact.name, on: { affirm: "a", deny: "b" } },
    b: { say: "bye", end: "done" },
  },
};`

func TestAHostThatRunsOutOfMemoryEndsOnlyItsOwnCalls(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's address space reservations collide with RLIMIT_AS")
	}
	// With the largest budget, the allocation loop reaches the OS memory
	// limit long before the budget: the string doubles each time, so a few
	// steps (about 0.2 s of CPU here) pass the limit. Growing it 1 MiB at a
	// time took 0.97 s, most of it collections over the soft limit, and a
	// slower machine spent the budget first.
	p := testPool(t, HostConfig{Hosts: 1, MemoryLimit: 64 << 20, Limits: Limits{Budget: MaxBudget}, Timeout: 30 * time.Second})
	ctx := context.Background()

	bystander := startCall(t, p, "healthy.js", healthy, Contact{"name": "A"})
	bomb := startCall(t, p, "bomb.js", memoryBomb, nil)
	turn, err := bomb.Turn(ctx, "是的")
	if err != nil {
		t.Fatal(err)
	}
	if turn.Error == nil || turn.Error.Kind != "host" || !strings.Contains(turn.Error.Message, "reached its memory limit of 64 MiB") {
		t.Fatalf("the bomb's turn should end with a host out-of-memory error, got %+v", turn.Error)
	}
	if !turn.Done || bomb.Result().Outcome != "script_failed" {
		t.Errorf("the bomb's call should end on its fallback, got %+v", bomb.Result())
	}

	// The call that shared the host ends too, on its own fallback.
	turn, err = bystander.Turn(ctx, "是的")
	if err != nil {
		t.Fatal(err)
	}
	if turn.Error == nil || bystander.Result().Outcome != "healthy_fallback" {
		t.Errorf("the bystander should end on its fallback, got %+v / %+v", turn.Error, bystander.Result())
	}

	// The bomb was the only script running when the host died: it is not
	// run again, and whoever opens it hears why; the bystander's script is
	// not to blame.
	var q *QuarantinedError
	if _, _, err := p.Open(ctx, Caller{}, "bomb.js", memoryBomb, nil, SessionOptions{}); !errors.As(err, &q) || !strings.Contains(q.Why, "memory limit") {
		t.Errorf("opening the bomb again: %v, want a quarantine that names the memory limit", err)
	}
	if _, _, err := p.Check(ctx, "bomb.js", memoryBomb); !errors.As(err, &q) {
		t.Errorf("checking the bomb again: %v, want a quarantine", err)
	}
	if _, ok := p.Quarantined(healthy); ok {
		t.Error("the bystander's script was quarantined")
	}

	// The pool replaced the host: new calls work.
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, _, err := p.Open(ctx, Caller{}, "healthy.js", healthy, Contact{"name": "B"}, SessionOptions{})
		if err == nil {
			t0, err := s.Start(ctx)
			if err == nil && t0.Error == nil {
				if t0.Say != "hello B" {
					t.Errorf("new call said %q", t0.Say)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pool did not replace the dead host: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestHostChecksAndSegmentsWithoutRunningTenantCodeInProcess(t *testing.T) {
	p := testPool(t, HostConfig{Hosts: 1})
	ctx := context.Background()
	g, ds, err := p.Check(ctx, "healthy.js", healthy)
	if err != nil || g == nil || g.Start != "a" {
		t.Fatalf("check: %v %v %+v", err, ds, g)
	}
	_, ds, _ = p.Check(ctx, "bad.js", `export default { start: "nowhere", states: { a: { end: "x" } } };`)
	if !HasErrors(ds) || !strings.Contains(ds[0].Message, "unknown state") {
		t.Errorf("check of a bad script: %v", ds)
	}
	res, _, err := p.Segment(ctx, "seg.js", `export function segment(c) { return c.vip ? "vip" : null; }`, []Contact{{"vip": true}, {"vip": false}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	if string(b) != `[{"segment":"vip"},{}]` {
		t.Errorf("segments %s", b)
	}
}

// A turn that runs long holds up only its own call: the host reads and
// answers the other calls' turns meanwhile.
func TestASlowTurnDoesNotHoldUpTheHostsOtherCalls(t *testing.T) {
	const slow = `export default {
  start: "a",
  states: {
    a: { say: "hi", on: { affirm: "spin" } },
    spin: { say: c => { let n = 0; for (let i = 0; i < 1e7; i++) n += i; return "done " + n; }, end: "spun" },
  },
};`
	p := testPool(t, HostConfig{Hosts: 1, Limits: Limits{Budget: 10 * time.Second}, Timeout: 30 * time.Second})
	ctx := context.Background()
	spinner, _, err := p.Open(ctx, Caller{}, "slow.js", slow, nil, SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := p.Open(ctx, Caller{}, "healthy.js", healthy, Contact{"name": "A"}, SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spinner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Start(ctx); err != nil {
		t.Fatal(err)
	}
	spun := make(chan time.Time, 1)
	go func() {
		if _, err := spinner.Turn(ctx, "是的"); err != nil {
			t.Error(err)
		}
		spun <- time.Now()
	}()
	time.Sleep(50 * time.Millisecond) // the spinner's turn is running
	for i := 0; i < 5; i++ {
		tr, err := other.Turn(ctx, "是的")
		if err != nil || tr.Error != nil || tr.Say != "hello A" {
			t.Fatalf("turn during a slow turn: %v %+v", err, tr)
		}
	}
	answered := time.Now()
	if done := <-spun; !answered.Before(done) {
		t.Errorf("the other call's turns were answered only after the slow turn ended")
	}
}

func TestAHostThatCannotServeIsReportedWhenThePoolStarts(t *testing.T) {
	cases := []struct {
		name    string
		command []string
		want    []string
	}{
		{"exits at start", []string{"/bin/sh", "-c", "echo 'fatal error: no model file' >&2; exit 3"}, []string{"exit status 3", "no model file"}},
		{"never answers", []string{"/bin/sh", "-c", "exec sleep 30"}, []string{"killed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := NewHostPool(HostConfig{Command: c.command, Hosts: 1, Timeout: 500 * time.Millisecond})
			if err == nil {
				p.Close()
				t.Fatal("NewHostPool started a host that cannot serve")
			}
			msg := err.Error()
			for _, w := range append([]string{"did not answer its first request"}, c.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
		})
	}
}

func TestPingReachesEveryHost(t *testing.T) {
	p := testPool(t, HostConfig{Hosts: 2})
	ctx := context.Background()
	for key := uint64(0); key < 4; key++ {
		if err := p.Ping(ctx, key); err != nil {
			t.Errorf("ping %d: %v", key, err)
		}
	}
	p.Close()
	if err := p.Ping(ctx, 0); !errors.Is(err, ErrPoolClosed) {
		t.Errorf("ping after Close: %v, want ErrPoolClosed", err)
	}
}

func TestThePoolCountsRequestsAndHostDeaths(t *testing.T) {
	reg := prometheus.NewRegistry()
	p := testPool(t, HostConfig{Hosts: 1, Metrics: reg})
	ctx := context.Background()
	s := startCall(t, p, "healthy.js", healthy, Contact{"name": "A"})
	if _, err := s.Turn(ctx, "是的"); err != nil {
		t.Fatal(err)
	}
	// count returns how many requests of op the pool measured, or with
	// op "" how many hosts died.
	count := func(op string) uint64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				switch {
				case op == "" && mf.GetName() == "outcall_script_host_deaths_total":
					return uint64(m.GetCounter().GetValue())
				case mf.GetName() == "outcall_script_request_seconds" && labelled(m, "op", op) && labelled(m, "pool", "calls"):
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
		return 0
	}
	for op, want := range map[string]uint64{"ping": 1, "open": 1, "start": 1, "turn": 1} {
		if got := count(op); got != want {
			t.Errorf("%s requests counted %d, want %d", op, got, want)
		}
	}

	p.mu.Lock()
	h := p.hosts[0]
	p.mu.Unlock()
	_ = h.cmd.Process.Kill()
	// The death is counted, and the replacement answers its first request.
	deadline := time.Now().Add(10 * time.Second)
	for (count("") < 1 || count("ping") < 2) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := count(""); got != 1 {
		t.Errorf("host deaths %v, want 1", got)
	}
	if got := count("ping"); got != 2 {
		t.Errorf("ping requests %d after the replacement, want 2", got)
	}
}

// startCall opens a call of the script in the pool and starts it.
func startCall(t *testing.T, p *HostPool, name, source string, contact Contact) *RemoteSession {
	t.Helper()
	ctx := context.Background()
	s, ds, err := p.Open(ctx, Caller{}, name, source, contact, SessionOptions{})
	if err != nil {
		t.Fatal(err, ds)
	}
	if _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func labelled(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue() == value
		}
	}
	return false
}

// Rules that backtrack catastrophically on every contact cost each
// contact its CPU budget, and the batch its time limit: the host answers
// with an error for every contact and lives.
func TestSlowSegmentationRulesEndTheBatchNotTheHost(t *testing.T) {
	reg := prometheus.NewRegistry()
	p := testPool(t, HostConfig{Hosts: 1, Metrics: reg, Limits: Limits{Batch: 600 * time.Millisecond}, Timeout: 3 * time.Second})
	const rules = `export function segment(c) {
  return /^(?=a)(a+)+b$/.test("a".repeat(40)) ? "never" : null;
}`
	contacts := make([]Contact, 30)
	for i := range contacts {
		contacts[i] = Contact{"name": fmt.Sprint(i)}
	}
	res, _, err := p.Segment(context.Background(), "slow.js", rules, contacts)
	if err != nil {
		t.Fatalf("segment: %v", err)
	}
	if len(res) != len(contacts) {
		t.Fatalf("%d results for %d contacts", len(res), len(contacts))
	}
	if !strings.Contains(res[0].Error, "CPU budget") || res[0].Line != 2 {
		t.Errorf("the first contact: %+v, want a CPU budget error at line 2", res[0])
	}
	if last := res[len(res)-1]; !strings.Contains(last.Error, "not segmented") {
		t.Errorf("the last contact: %+v, want not segmented for the batch's time", last)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "outcall_script_host_deaths_total" && mf.GetMetric()[0].GetCounter().GetValue() != 0 {
			t.Errorf("the host died: %v", mf)
		}
	}
}

// A host gets only the environment it needs: none of the service's
// configuration or secrets.
func TestHostsDoNotInheritTheServicesSecrets(t *testing.T) {
	t.Setenv("OUTCALL_SECRET_KEY", "do-not-leak")
	t.Setenv("DATABASE_URL", "postgres://user:hunter2@db/outcall")
	t.Setenv("STRIPE_KEY", "sk_test_do_not_leak")
	p := testPool(t, HostConfig{Hosts: 1, Env: []string{"OUTCALL_POOL_TEST=1"}})
	p.mu.Lock()
	pid := p.hosts[0].cmd.Process.Pid
	p.mu.Unlock()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Skipf("cannot read the host's environment here: %v", err)
	}
	env := strings.Split(string(b), "\x00")
	for _, kv := range env {
		if strings.Contains(kv, "do-not-leak") || strings.Contains(kv, "hunter2") || strings.Contains(kv, "sk_test") {
			t.Errorf("the host inherited %q", kv)
		}
	}
	if !slices.Contains(env, "OUTCALL_POOL_TEST=1") || !slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "PATH=") }) {
		t.Errorf("the host lacks the pool's own variables or PATH: %q", env)
	}
}

// One tenant's calls stay on a shard of the hosts, and different tenants'
// shards differ, so a host's death touches few tenants.
func TestATenantsCallsStayOnItsShardOfHosts(t *testing.T) {
	p := testPool(t, HostConfig{Hosts: 4, Shard: 2})
	ctx := context.Background()
	shards := map[string]map[int]bool{}
	for _, tenant := range []string{"tenant-a", "tenant-b", "tenant-c", "tenant-d", "tenant-e"} {
		shards[tenant] = map[int]bool{}
		for range 8 {
			s, _, err := p.Open(ctx, Caller{Tenant: tenant}, "healthy.js", healthy, Contact{"name": "A"}, SessionOptions{})
			if err != nil {
				t.Fatal(err)
			}
			shards[tenant][s.host.slot] = true
			s.Close()
		}
		if len(shards[tenant]) != 2 {
			t.Errorf("%s's calls ran on hosts %v, want a shard of 2", tenant, shards[tenant])
		}
	}
	distinct := map[string]bool{}
	for _, sh := range shards {
		distinct[fmt.Sprint(sh)] = true
	}
	if len(distinct) < 2 {
		t.Errorf("every tenant got the same shard: %v", shards)
	}
}

// A plan's CPU budget reaches the host: a turn that takes longer than the
// pool's budget but less than the plan's finishes. The pool's budget is a
// millisecond and the loop costs tens of them here, so a machine many
// times faster still overruns it.
func TestAPlansBudgetAppliesToItsCalls(t *testing.T) {
	p := testPool(t, HostConfig{Hosts: 1, Limits: Limits{Budget: time.Millisecond}})
	ctx := context.Background()
	const busy = `export default {
  start: "a",
  states: { a: { say: c => { let x = 0; for (let i = 0; i < 5e5; i++) { x += i % 7; } return "done " + x; }, end: "ok" } },
};`
	for _, tc := range []struct {
		budget time.Duration
		fails  bool
	}{{0, true}, {MaxBudget, false}} {
		s, _, err := p.Open(ctx, Caller{Tenant: "t", Budget: tc.budget}, "busy.js", busy, nil, SessionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		step, err := s.Start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if failed := step.Error != nil && step.Error.Kind == "budget"; failed != tc.fails {
			t.Errorf("budget %v: turn error %+v, want failure %v", tc.budget, step.Error, tc.fails)
		}
		s.Close()
	}
}

// A host runs in a process group of its own, so a signal to the service's
// group (a terminal's Ctrl-C, a service manager's stop) leaves the calls a
// stopping worker drains with their scripts.
func TestHostsRunInAProcessGroupOfTheirOwn(t *testing.T) {
	p := testPool(t, HostConfig{Hosts: 1})
	p.mu.Lock()
	pid := p.hosts[0].cmd.Process.Pid
	p.mu.Unlock()
	pgid, err := syscall.Getpgid(pid)
	if err != nil {
		t.Fatal(err)
	}
	if pgid == syscall.Getpgrp() || pgid != pid {
		t.Errorf("the host's process group is %d (ours %d, its pid %d), want one of its own", pgid, syscall.Getpgrp(), pid)
	}
}

// A script quarantined in one pool stays refused by a pool started after
// it (a restarted service, the other pool), through the platform's
// quarantine table; other scripts run.
func TestAQuarantineOutlivesThePool(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.Open(ctx, t)
	store := QuarantineTable{DB: db}
	if err := store.Add(ctx, scriptKey(memoryBomb), "earlier: reached its memory limit"); err != nil {
		t.Fatal(err)
	}
	p := testPool(t, HostConfig{Hosts: 1, Quarantine: store})
	var q *QuarantinedError
	if _, _, err := p.Open(ctx, Caller{}, "bomb.js", memoryBomb, nil, SessionOptions{}); !errors.As(err, &q) || q.Why != "earlier: reached its memory limit" {
		t.Fatalf("a script quarantined before the pool started: %v", err)
	}
	if s, _, err := p.Open(ctx, Caller{}, "healthy.js", healthy, Contact{"name": "A"}, SessionOptions{}); err != nil {
		t.Fatalf("another script: %v", err)
	} else {
		s.Close()
	}

	if raceEnabled {
		t.Skip("the race detector's address space reservations collide with RLIMIT_AS")
	}
	// A pool that quarantines a script keeps it in the table.
	const bomb2 = memoryBomb + "\n// another version"
	a := testPool(t, HostConfig{Hosts: 1, MemoryLimit: 64 << 20, Limits: Limits{Budget: MaxBudget}, Timeout: 30 * time.Second, Quarantine: store})
	call := startCall(t, a, "bomb.js", bomb2, nil)
	turn, err := call.Turn(ctx, "是的")
	if err != nil {
		t.Fatal(err)
	}
	if turn.Error == nil || turn.Error.Kind != "host" {
		t.Fatalf("the bomb's turn should bring its host down, got %+v", turn.Error)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		all, err := store.All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if why, ok := all[scriptKey(bomb2)]; ok {
			if !strings.Contains(why, "memory limit") {
				t.Fatalf("kept as quarantined for %q", why)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the pool's quarantine did not reach the table")
		}
		time.Sleep(50 * time.Millisecond)
	}
	b := testPool(t, HostConfig{Hosts: 1, Quarantine: store})
	if _, _, err := b.Open(ctx, Caller{}, "bomb.js", bomb2, nil, SessionOptions{}); !errors.As(err, &q) {
		t.Fatalf("a new pool opened the script another pool quarantined: %v", err)
	}
}

// A pool takes up the scripts another process quarantined while it runs,
// and lets go of one a platform operator released from the table, each
// within its sync interval; the author's error names the key to release.
func TestAPoolFollowsTheQuarantineTable(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.Open(ctx, t)
	store := QuarantineTable{DB: db}
	p := testPool(t, HostConfig{Hosts: 1, Quarantine: store, QuarantineSync: 100 * time.Millisecond})
	open := func() error {
		s, _, err := p.Open(ctx, Caller{}, "healthy.js", healthy, Contact{"name": "A"}, SessionOptions{})
		if err == nil {
			s.Close()
		}
		return err
	}
	if err := open(); err != nil {
		t.Fatal(err)
	}
	// Quarantined by another process.
	key := scriptKey(healthy)
	if err := store.Add(ctx, key, "elsewhere: reached its memory limit"); err != nil {
		t.Fatal(err)
	}
	var q *QuarantinedError
	waitFor(t, "the pool refuses the script another process quarantined", 5*time.Second, func() bool { return errors.As(open(), &q) })
	if q.Key != key || !strings.Contains(q.Error(), key) {
		t.Fatalf("the author's error %q names the key %q, want %q", q.Error(), q.Key, key)
	}
	// Released by an operator.
	if _, err := db.Pool().Exec(ctx, `DELETE FROM script_quarantine WHERE key = $1`, key); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the pool runs the released script", 5*time.Second, func() bool { return open() == nil })
}

func waitFor(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", limit, what)
		}
	}
}
