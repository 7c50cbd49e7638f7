package scripting

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
	remote, ds, err := p.Open(ctx, "order_confirmation.js", string(src), contact, SessionOptions{})
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
    boom: { say: c => { const keep = []; for (;;) keep.push("x".repeat(1 << 20) + keep.length); }, end: "never" },
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
	// The budget is long enough that only the OS memory limit can stop
	// the allocation loop.
	p := testPool(t, HostConfig{Hosts: 1, MemoryLimit: 64 << 20, Limits: Limits{Budget: 20 * time.Second}, Timeout: 30 * time.Second})
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

	// The pool replaced the host: new calls work.
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, _, err := p.Open(ctx, "healthy.js", healthy, Contact{"name": "B"}, SessionOptions{})
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
	spinner, _, err := p.Open(ctx, "slow.js", slow, nil, SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := p.Open(ctx, "healthy.js", healthy, Contact{"name": "A"}, SessionOptions{})
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
				case mf.GetName() == "outcall_script_request_seconds" && len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == op:
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
	s, ds, err := p.Open(ctx, name, source, contact, SessionOptions{})
	if err != nil {
		t.Fatal(err, ds)
	}
	if _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}
