package scripting

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HostPool supervises script-host processes and runs sessions in them, so
// tenant code never runs in the service's own process. Each host runs with
// an OS memory limit; a host that dies (a script allocated past the limit,
// say) ends only the calls it was running, each with a clear error and its
// script's fallback outcome, and is replaced. Safe for concurrent use.
type HostPool struct {
	cfg     HostConfig
	metrics *poolMetrics
	mu      sync.Mutex
	hosts   []*host
	next    atomic.Uint64
	ids     atomic.Uint64
	closed  bool
	// stopSync ends the quarantine's sync (closed by Close).
	stopSync chan struct{}
	quarantine
}

// HostConfig configures a HostPool.
type HostConfig struct {
	// Command starts one host; it must end up calling ServeHost on its
	// stdin and stdout. Default: this executable with "script-host".
	Command []string
	// Env is added to the host's environment.
	Env []string
	// Hosts is how many host processes to run. Default 2.
	Hosts int
	// MemoryLimit is each host's memory limit in bytes. Default 512 MiB.
	MemoryLimit int64
	// Lang is the tenant default language for scripts that declare none.
	Lang string
	// Limits are the sandbox limits for every turn.
	Limits Limits
	// Timeout is how long a request may take before the host is judged
	// stuck and killed. Default 5 s (a turn's budget is 50 ms).
	Timeout time.Duration
	// Logf receives host starts, deaths and restarts. Default: discard.
	Logf func(format string, args ...any)
	// Metrics, when set, receives the pool's metrics: each request to a
	// host by operation, with its time through the boundary
	// (outcall_script_request_seconds), host deaths
	// (outcall_script_host_deaths_total) and scripts quarantined for
	// bringing hosts down (outcall_script_quarantined_total), each
	// labelled with the pool's Name.
	Metrics prometheus.Registerer
	// Name tells pools apart in metrics and logs: "calls" for the hosts
	// that run live calls, "api" for checks, simulations and previews.
	// Default "calls".
	Name string
	// Quarantine, when set, keeps the scripts the pool quarantines beyond
	// its life: a new pool (a restarted service, the other pool) refuses
	// them from its start. Nil: the quarantine lasts as long as the pool.
	Quarantine QuarantineStore
	// QuarantineSync is how often the pool reads Quarantine again (default
	// QuarantineSync).
	QuarantineSync time.Duration
	// Shard is how many of the pool's hosts one tenant's calls spread
	// over, so a host that dies ends the calls of few tenants. Default 2.
	Shard int
}

// hostEnv is what a script host inherits from the service's environment:
// enough to run, nothing the service holds (database URLs, keys, tokens).
var hostEnv = []string{"PATH", "HOME", "TMPDIR", "TZ", "LANG", "LC_ALL", "LC_CTYPE", "GOMAXPROCS", "GODEBUG", "GOTRACEBACK", "GOCOVERDIR"}

// hostEnviron is the environment a host starts with: the allowed
// variables of this process's, then the pool's own.
func hostEnviron(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if slices.Contains(hostEnv, k) {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

type poolMetrics struct {
	requests    *prometheus.HistogramVec
	deaths      prometheus.Counter
	quarantined prometheus.Counter
}

func newPoolMetrics(reg prometheus.Registerer, pool string) (*poolMetrics, error) {
	label := prometheus.Labels{"pool": pool}
	m := &poolMetrics{
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "outcall_script_request_seconds", Help: "Requests to script hosts by operation (turn, start, open, compile, segment, ping), from sending to the answer.",
			Buckets:     []float64{50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 50e-3, 250e-3, 1, 5},
			ConstLabels: label,
		}, []string{"op"}),
		deaths: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "outcall_script_host_deaths_total", Help: "Script hosts that died (a script over the memory limit, a stuck host) and were replaced.", ConstLabels: label,
		}),
		quarantined: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "outcall_script_quarantined_total", Help: "Scripts refused from then on because they brought script hosts down.", ConstLabels: label,
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.deaths, m.quarantined} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("script host metrics: %w", err)
			}
		}
	}
	return m, nil
}

// ErrPoolClosed is returned after Close.
var ErrPoolClosed = errors.New("script host pool is closed")

// NewHostPool starts the hosts.
func NewHostPool(cfg HostConfig) (*HostPool, error) {
	if len(cfg.Command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		cfg.Command = []string{exe, "script-host"}
	}
	if cfg.Hosts <= 0 {
		cfg.Hosts = 2
	}
	if cfg.MemoryLimit <= 0 {
		cfg.MemoryLimit = 512 << 20
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	cfg.Name = cmp.Or(cfg.Name, "calls")
	if cfg.Shard <= 0 {
		cfg.Shard = 2
	}
	cfg.Shard = min(cfg.Shard, cfg.Hosts)
	m, err := newPoolMetrics(cfg.Metrics, cfg.Name)
	if err != nil {
		return nil, err
	}
	p := &HostPool{cfg: cfg, metrics: m, quarantine: quarantine{strikes: map[string]int{}, why: map[string]string{}, kept: map[string]uint64{}},
		stopSync: make(chan struct{})}
	if err := p.loadQuarantine(); err != nil {
		// The pool still protects itself from now on; what it forgot is
		// said once.
		cfg.Logf("%s script hosts: the quarantined scripts could not be read: %v", cfg.Name, err)
	}
	if cfg.Quarantine != nil {
		go p.syncQuarantine(cmp.Or(cfg.QuarantineSync, QuarantineSync), p.stopSync)
	}
	for i := 0; i < cfg.Hosts; i++ {
		h, err := p.startHost(i)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.hosts = append(p.hosts, h)
	}
	return p, nil
}

// Close stops every host; their sessions end.
func (p *HostPool) Close() {
	p.mu.Lock()
	if !p.closed {
		close(p.stopSync)
	}
	p.closed = true
	hosts := p.hosts
	p.mu.Unlock()
	for _, h := range hosts {
		h.stop()
	}
}

// host is one script-host process. Answers are read by whichever caller
// is waiting for one and finds no other caller reading (leader/follower):
// it reads until its own answer arrives, handing the others' answers to
// them, so a call with no other call in flight reads its answer itself,
// with no hand-off between goroutines.
type host struct {
	pool    *HostPool
	slot    int
	cmd     *exec.Cmd
	stdin   *os.File
	stdout  *os.File
	wmu     sync.Mutex
	lead    chan struct{} // holds a token while a goroutine reads answers
	frames  frameReader   // used by the lead holder only
	readDL  time.Time     // stdout's read deadline; the lead holder's only
	mu      sync.Mutex
	pending map[uint64]chan *hostResponse
	// scripts holds the script (scriptKey) of each request in flight, and
	// stuck the one whose request the host did not answer in time: who
	// was there when the host went down.
	scripts map[uint64]string
	stuck   string
	// accepted is set once the host answered its first request; only an
	// accepted host is replaced when it dies.
	accepted bool
	dead     chan struct{}
	err      error
	stderr   tail
	started  time.Time
}

// tail reads what a host writes to stderr and keeps the line of a Go
// crash that says what happened, for the error message. It looks at every
// line as it arrives: the line can sit anywhere in a long crash dump.
type tail struct {
	mu    sync.Mutex
	line  []byte // the unfinished last line
	why   string
	first string // the first line, when no line says what happened
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.line = append(t.line, b...)
	for {
		i := bytes.IndexByte(t.line, '\n')
		if i < 0 {
			break
		}
		t.note(t.line[:i])
		t.line = t.line[i+1:]
	}
	if len(t.line) > 64<<10 {
		t.note(t.line)
		t.line = t.line[:0]
	}
	if len(t.line) == 0 {
		t.line = nil // let the consumed buffer go
	}
	return len(b), nil
}

func (t *tail) note(line []byte) {
	if t.why != "" {
		return
	}
	l := string(line)
	if t.first == "" {
		t.first = strings.TrimSpace(l[:min(len(l), 200)])
	}
	for _, crash := range []string{"fatal error:", "panic:", "runtime: out of memory", "runtime: failed to create new OS thread", "runtime/cgo:"} {
		if strings.HasPrefix(l, crash) {
			t.why = strings.TrimSpace(l)
			return
		}
	}
}

// outOfMemory reports whether a host's crash line says it ran out of
// memory or of address space (under its limit, a new thread's stack is
// what fails to map as often as the heap).
func outOfMemory(why string) bool {
	for _, s := range []string{"out of memory", "pthread_create failed", "failed to create new OS thread", "cannot allocate memory"} {
		if strings.Contains(why, s) {
			return true
		}
	}
	return false
}

// reason is the line of a Go crash that says what happened, else the
// first line the host wrote, or "".
func (t *tail) reason() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.note(t.line)
	if t.why != "" {
		return t.why
	}
	return t.first
}

func (p *HostPool) startHost(slot int) (*host, error) {
	cmd := exec.Command(p.cfg.Command[0], p.cfg.Command[1:]...)
	cmd.Env = append(hostEnviron(p.cfg.Env), fmt.Sprintf("%s=%d", MemoryLimitEnv, p.cfg.MemoryLimit))
	// A process group of its own: the Ctrl-C of a terminal, or a service
	// manager signalling the service's whole group, must not end the
	// hosts under calls a stopping worker lets finish. A host ends when
	// its stdin closes (Close, or this process's death).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	h := &host{pool: p, slot: slot, cmd: cmd, lead: make(chan struct{}, 1), pending: map[uint64]chan *hostResponse{}, scripts: map[uint64]string{}, dead: make(chan struct{}), started: time.Now()}
	cmd.Stderr = &h.stderr
	// Pipes of our own rather than StdinPipe and StdoutPipe: Wait must not
	// close stdout before the answers the host wrote are read.
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd.Stdin, cmd.Stdout = inR, outW
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("starting script host %q: %w", p.cfg.Command[0], err)
	}
	h.stdin, h.stdout = inW, outR
	go h.wait()
	// A host that cannot serve (a wrong command, a crash at start) is
	// found here, with its reason, rather than by the first call.
	// The request's own timeout kills a host that does not answer.
	_, err = h.call(context.Background(), &hostRequest{Op: "ping"})
	h.mu.Lock()
	h.accepted = err == nil && h.pending != nil
	if err == nil && !h.accepted {
		err = h.err
	}
	h.mu.Unlock()
	if err != nil {
		_ = h.cmd.Process.Kill()
		<-h.dead
		return nil, fmt.Errorf("script host %q did not answer its first request: %w", p.cfg.Command[0], err)
	}
	p.cfg.Logf("%s script host %d started (pid %d)", p.cfg.Name, slot, cmd.Process.Pid)
	return h, nil
}

// wait waits for the host process to end, reads the answers it wrote
// before it did, and fails the calls still waiting.
func (h *host) wait() {
	waitErr := h.cmd.Wait()
	h.lead <- struct{}{} // for good: nobody reads after this
	_ = h.stdout.SetReadDeadline(time.Time{})
	var readErr error
	for {
		resp, err := h.readAnswer()
		if err != nil {
			readErr = err
			break
		}
		h.deliver(resp)
	}
	h.stdin.Close()
	h.stdout.Close()
	msg := "script host stopped"
	if waitErr != nil {
		msg += ": " + waitErr.Error()
	} else if readErr != nil && !errors.Is(readErr, io.EOF) {
		msg += ": " + readErr.Error()
	}
	if why := h.stderr.reason(); why != "" {
		if outOfMemory(why) {
			why = fmt.Sprintf("it reached its memory limit of %d MiB: %s", h.pool.cfg.MemoryLimit>>20, why)
		}
		msg += " (" + why + ")"
	}
	h.mu.Lock()
	h.err = errors.New(msg)
	h.pending = nil
	accepted := h.accepted
	present := slices.Collect(maps.Values(h.scripts))
	stuck := h.stuck
	h.mu.Unlock()
	if accepted {
		// Before the callers hear of the death, so a request that brought
		// its host down already finds its script quarantined.
		h.pool.blame(present, stuck, msg)
	}
	close(h.dead)
	if accepted {
		// A host that never served is not replaced here: starting it
		// failed, and whoever started it hears why.
		h.pool.replace(h)
	}
}

func (h *host) readAnswer() (*hostResponse, error) {
	b, err := h.frames.next(h.stdout)
	if err != nil {
		return nil, err
	}
	resp := new(hostResponse)
	if err := json.Unmarshal(b, resp); err != nil {
		h.frames.err = err
		return nil, err
	}
	return resp, nil
}

// deliver hands an answer to the call waiting for it.
func (h *host) deliver(resp *hostResponse) {
	h.mu.Lock()
	ch := h.pending[resp.ID]
	delete(h.pending, resp.ID)
	delete(h.scripts, resp.ID)
	h.mu.Unlock()
	if ch != nil {
		ch <- resp
	}
}

// replace starts a new host in a dead host's slot, backing off when hosts
// die right after starting.
func (p *HostPool) replace(dead *host) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return
	}
	p.cfg.Logf("%s script host %d died: %v", p.cfg.Name, dead.slot, dead.err)
	p.metrics.deaths.Inc()
	if since := time.Since(dead.started); since < time.Second {
		time.Sleep(time.Second - since)
	}
	for delay := 100 * time.Millisecond; ; delay = min(delay*2, 5*time.Second) {
		h, err := p.startHost(dead.slot)
		if err == nil {
			p.mu.Lock()
			if p.closed {
				p.mu.Unlock()
				h.stop()
				return
			}
			p.hosts[dead.slot] = h
			p.mu.Unlock()
			return
		}
		p.cfg.Logf("%s script host %d: %v; retrying in %v", p.cfg.Name, dead.slot, err, delay)
		time.Sleep(delay)
	}
}

func (h *host) stop() {
	_ = h.stdin.Close()
	select {
	case <-h.dead:
	case <-time.After(2 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.dead
	}
}

// hostDied is the error of a request whose host went away.
type hostDied struct{ err error }

func (e hostDied) Error() string { return e.err.Error() }

// send writes a request that gets no answer.
func (h *host) send(req *hostRequest) {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	_ = writeFrame(h.stdin, req)
}

// errHostTimeout is a call's own deadline passing while it read answers.
var errHostTimeout = errors.New("script host timeout")

func (h *host) call(ctx context.Context, req *hostRequest) (*hostResponse, error) {
	start := time.Now()
	defer func() { h.pool.metrics.requests.WithLabelValues(req.Op).Observe(time.Since(start).Seconds()) }()
	req.ID = h.pool.ids.Add(1)
	ch := make(chan *hostResponse, 1)
	h.mu.Lock()
	if h.pending == nil {
		err := h.err
		h.mu.Unlock()
		return nil, hostDied{err}
	}
	h.pending[req.ID] = ch
	if req.script != "" {
		h.scripts[req.ID] = req.script
	}
	h.mu.Unlock()
	h.wmu.Lock()
	err := writeFrame(h.stdin, req)
	h.wmu.Unlock()
	if err != nil {
		_ = h.cmd.Process.Kill()
		<-h.dead
		return nil, hostDied{h.err}
	}
	deadline := time.Now().Add(h.pool.cfg.Timeout)
	timer := time.NewTimer(h.pool.cfg.Timeout)
	defer timer.Stop()
	for {
		select {
		case resp := <-ch:
			return resp, nil
		case <-h.dead:
			return nil, hostDied{h.err}
		case h.lead <- struct{}{}:
			resp, err := h.readFor(ctx, req.ID, ch, deadline)
			<-h.lead
			switch {
			case err == nil:
				return resp, nil
			case errors.Is(err, errHostTimeout):
				return nil, h.timedOut(req)
			case ctx.Err() != nil:
				h.forget(req.ID)
				return nil, ctx.Err()
			default:
				// The host closed its end or wrote garbage: it is done for.
				_ = h.cmd.Process.Kill()
				<-h.dead
				return nil, hostDied{h.err}
			}
		case <-timer.C:
			return nil, h.timedOut(req)
		case <-ctx.Done():
			h.forget(req.ID)
			return nil, ctx.Err()
		}
	}
}

func (h *host) timedOut(req *hostRequest) error {
	h.pool.cfg.Logf("%s script host %d did not answer %s within %v; killing it", h.pool.cfg.Name, h.slot, req.Op, h.pool.cfg.Timeout)
	h.mu.Lock()
	h.stuck = req.script
	h.mu.Unlock()
	_ = h.cmd.Process.Kill()
	<-h.dead
	return hostDied{h.err}
}

func (h *host) forget(id uint64) {
	h.mu.Lock()
	if h.pending != nil {
		delete(h.pending, id)
		delete(h.scripts, id)
	}
	h.mu.Unlock()
}

// readFor reads answers, as the lead holder, until the one with the
// given id arrives, the deadline passes or ctx ends.
func (h *host) readFor(ctx context.Context, id uint64, ch chan *hostResponse, deadline time.Time) (*hostResponse, error) {
	select {
	case resp := <-ch: // a reader before us delivered it
		return resp, nil
	default:
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { _ = h.stdout.SetReadDeadline(time.Now()) })
		defer stop()
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		now := time.Now()
		if !now.Before(deadline) {
			return nil, errHostTimeout
		}
		// Moving the deadline costs the runtime a timer update, so it
		// moves only when it passed or would wake this call too late.
		if !now.Before(h.readDL) || h.readDL.After(deadline) {
			h.readDL = deadline
			_ = h.stdout.SetReadDeadline(deadline)
		}
		resp, err := h.readAnswer()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			h.readDL = time.Time{} // moved by a context, or passed
			continue
		}
		if err != nil {
			return nil, err
		}
		if resp.ID == id {
			h.forget(id)
			return resp, nil
		}
		h.deliver(resp)
	}
}

// pickLive is pick, waiting (up to the request timeout) while the
// picked host is dead and not yet replaced.
func (p *HostPool) pickLive(ctx context.Context, key uint64) (*host, error) {
	deadline := time.Now().Add(p.cfg.Timeout)
	for {
		h, err := p.pick(key)
		if err != nil {
			return nil, err
		}
		h.mu.Lock()
		alive := h.pending != nil
		h.mu.Unlock()
		if alive || time.Now().After(deadline) {
			return h, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (p *HostPool) pick(key uint64) (*host, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrPoolClosed
	}
	return p.hosts[key%uint64(len(p.hosts))], nil
}

// Ping sends an empty request to one of the hosts (chosen by key, as
// sessions are) and waits for its answer: what the process boundary
// alone costs a call.
func (p *HostPool) Ping(ctx context.Context, key uint64) error {
	h, err := p.pickLive(ctx, key)
	if err != nil {
		return err
	}
	resp, err := h.call(ctx, &hostRequest{Op: "ping"})
	if err == nil && resp.Error != "" {
		err = errors.New(resp.Error)
	}
	return err
}

// liveFor picks the next live host for a one-off request of the script
// key, unless the script is quarantined.
func (p *HostPool) liveFor(ctx context.Context, key string) (*host, error) {
	if err := p.refuse(key); err != nil {
		return nil, err
	}
	return p.pickLive(ctx, p.next.Add(1))
}

// Check compiles a script in a host and returns its graph and findings,
// so saving a script never runs tenant code in the caller's process.
func (p *HostPool) Check(ctx context.Context, name, source string) (*Graph, []Diagnostic, error) {
	key := scriptKey(source)
	h, err := p.liveFor(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	resp, err := h.call(ctx, &hostRequest{Op: "compile", Name: name, Source: source, Lang: p.cfg.Lang, Limits: p.limits(), script: key})
	if err != nil {
		return nil, nil, p.explain(key, err)
	}
	if resp.Error != "" {
		return nil, resp.Diagnostics, errors.New(resp.Error)
	}
	return resp.Graph, resp.Diagnostics, nil
}

// Segment segments a batch of contacts in a host. A host that died
// before the request (an earlier batch brought it down) is waited for
// until its replacement runs, so an error means this batch failed.
func (p *HostPool) Segment(ctx context.Context, name, source string, contacts []Contact) ([]SegmentResult, []Diagnostic, error) {
	key := scriptKey(source)
	h, err := p.liveFor(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	resp, err := h.call(ctx, &hostRequest{Op: "segment", Name: name, Source: source, Lang: p.cfg.Lang, Limits: p.limits(), Contacts: contacts, script: key})
	if err != nil {
		return nil, nil, p.explain(key, err)
	}
	if resp.Error != "" {
		return nil, resp.Diagnostics, errors.New(resp.Error)
	}
	return resp.Segments, resp.Diagnostics, nil
}

func (p *HostPool) limits() *Limits {
	if p.cfg.Limits == (Limits{}) {
		return nil
	}
	return &p.cfg.Limits
}

// Caller says whose call a session serves.
type Caller struct {
	// Tenant keeps the tenant's calls on a shard of the pool's hosts
	// (HostConfig.Shard of them, chosen by the tenant), so a host that
	// dies ends the calls of the few tenants that share it. "" spreads
	// the session over every host.
	Tenant string
	// Budget is the CPU time per turn of the tenant's plan; 0 leaves the
	// pool's.
	Budget time.Duration
}

// shardPick picks a host for a session of caller: round-robin within the
// tenant's shard.
func (p *HostPool) shardPick(ctx context.Context, caller Caller) (*host, error) {
	n := uint64(len(p.hosts)) // fixed at start
	if caller.Tenant == "" || uint64(p.cfg.Shard) >= n {
		return p.pickLive(ctx, p.next.Add(1))
	}
	sum := sha256.Sum256([]byte(caller.Tenant))
	first := binary.BigEndian.Uint64(sum[:8]) % n
	// The shard is Shard hosts in a row from the tenant's first one: two
	// tenants share a host only when their rows overlap.
	return p.pickLive(ctx, first+p.next.Add(1)%uint64(p.cfg.Shard))
}

// RemoteSession is a Session running in a script host. Its methods mirror
// Session's, with a context.
type RemoteSession struct {
	host      *host
	pool      *HostPool
	key       string
	id        uint64
	fallback  string
	lang      string
	turn      int
	started   bool
	result    *Result
	hostNanos int64
}

// Open compiles the script in a host (cached there by version) and opens
// a session for the contact. Diagnostics are returned when the script
// does not compile.
func (p *HostPool) Open(ctx context.Context, caller Caller, name, source string, contact Contact, opts SessionOptions) (*RemoteSession, []Diagnostic, error) {
	key := scriptKey(source)
	if err := p.refuse(key); err != nil {
		return nil, nil, err
	}
	id := p.ids.Add(1)
	h, err := p.shardPick(ctx, caller)
	if err != nil {
		return nil, nil, err
	}
	cj, err := json.Marshal(contact)
	if err != nil {
		return nil, nil, err
	}
	limits := p.limits()
	if caller.Budget > 0 {
		l := p.cfg.Limits
		l.Budget = caller.Budget
		limits = &l
	}
	resp, err := h.call(ctx, &hostRequest{Op: "open", Session: id, Name: name, Source: source, Lang: p.cfg.Lang, Limits: limits, Contact: cj, Options: &opts, script: key})
	if err != nil {
		return nil, nil, p.explain(key, err)
	}
	if resp.Error != "" {
		return nil, resp.Diagnostics, errors.New(resp.Error)
	}
	return &RemoteSession{host: h, pool: p, key: key, id: id, fallback: resp.Fallback, lang: resp.Lang}, nil, nil
}

// Start returns turn 0, the greeting.
func (r *RemoteSession) Start(ctx context.Context) (*Step, error) {
	if r.started {
		return nil, errors.New("the dialog has already started")
	}
	r.started = true
	return r.do(ctx, &hostRequest{Op: "start", Session: r.id})
}

// Turn sends what the callee said and returns the turn's step. When the
// host dies the turn ends the call with the script's fallback outcome and
// an error of kind "host".
func (r *RemoteSession) Turn(ctx context.Context, text string) (*Step, error) {
	if !r.started {
		return nil, errors.New("call Start before Turn")
	}
	if r.result != nil {
		return nil, ErrSessionDone
	}
	r.turn++
	return r.do(ctx, &hostRequest{Op: "turn", Session: r.id, Text: text})
}

// Resolve finishes a turn that waits for the model (Step.Ask) with the
// model's answer, and returns the turn's step.
func (r *RemoteSession) Resolve(ctx context.Context, a Answer) (*Step, error) {
	if r.result != nil {
		return nil, ErrSessionDone
	}
	return r.do(ctx, &hostRequest{Op: "resolve", Session: r.id, Answer: &a})
}

// Respond finishes a step that waits for a request to the tenant's
// endpoint (Step.Request) with what became of it, and returns the step.
func (r *RemoteSession) Respond(ctx context.Context, res Response) (*Step, error) {
	if r.result != nil {
		return nil, ErrSessionDone
	}
	return r.do(ctx, &hostRequest{Op: "respond", Session: r.id, Response: &res})
}

func (r *RemoteSession) do(ctx context.Context, req *hostRequest) (*Step, error) {
	req.script = r.key
	resp, err := r.host.call(ctx, req)
	var died hostDied
	if errors.As(err, &died) {
		e := &ScriptError{Kind: "host", Message: died.Error() + "; the call ends on the script's fallback"}
		if q := r.pool.refuse(r.key); q != nil {
			e.Message = q.Error() + "; the call ends on the script's fallback"
		}
		r.result = &Result{Outcome: r.fallback, Turns: r.turn, Error: e}
		return &Step{Turn: r.turn, Heard: req.Text, Via: "error", Say: phrase(r.lang, "failure"), Error: e, Done: true}, nil
	}
	if err != nil {
		return nil, err
	}
	if resp.Error != "" {
		return nil, errors.New(resp.Error)
	}
	r.result = resp.Result
	r.hostNanos = resp.Nanos
	return resp.Turn, nil
}

// HostTime is how long the host spent on the last Start or Turn; the rest
// of the call's time is the process boundary.
func (r *RemoteSession) HostTime() time.Duration { return time.Duration(r.hostNanos) }

// Result returns the outcome once the call has ended, else nil.
func (r *RemoteSession) Result() *Result { return r.result }

// Done reports whether the call has ended.
func (r *RemoteSession) Done() bool { return r.result != nil }

// Close frees the session in its host. It does not wait for the host:
// nothing is answered to a close.
func (r *RemoteSession) Close() {
	r.host.send(&hostRequest{Op: "close", Session: r.id})
}
