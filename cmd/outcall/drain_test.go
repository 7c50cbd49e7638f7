package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/jobs"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// drainPlacer stands in for telephony in a worker: the first call is a
// long conversation that lasts until release is closed (or the worker
// hangs up on it); every other call is a short answered one.
type drainPlacer struct {
	release chan struct{}

	mu     sync.Mutex
	starts []time.Time
	long   uuid.UUID
	short  int // short calls that ended
	first  chan struct{}
}

func (p *drainPlacer) Place(ctx context.Context, req campaigns.Placement) (campaigns.Ending, error) {
	p.mu.Lock()
	p.starts = append(p.starts, time.Now())
	isLong := len(p.starts) == 1
	if isLong {
		p.long = req.CallID
	}
	p.mu.Unlock()
	answered := time.Now()
	if req.Answered != nil {
		req.Answered(answered)
	}
	greeting := campaigns.Turn{Seq: 1, State: "greeting", Said: "您好", Heard: "是的", Intent: "affirm", StartedAt: answered, EndedAt: answered.Add(time.Millisecond)}
	if !isLong {
		time.Sleep(30 * time.Millisecond)
		p.mu.Lock()
		p.short++
		p.mu.Unlock()
		return campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: answered, EndedAt: time.Now(), FinalState: "confirmed", Turns: []campaigns.Turn{greeting}}, nil
	}
	close(p.first)
	select {
	case <-p.release:
		// The conversation ends as the script says.
		confirm := campaigns.Turn{Seq: 2, State: "confirm", Said: "好的,订单已确认", StartedAt: time.Now(), EndedAt: time.Now()}
		return campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: answered, EndedAt: time.Now(), FinalState: "confirmed",
			Tags: []string{"outcome:confirmed"}, Turns: []campaigns.Turn{greeting, confirm}}, nil
	case <-ctx.Done():
		// Hung up by the worker mid-dialog: what the call had so far.
		return campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: answered, EndedAt: time.Now(), FinalState: "greeting",
			Turns: []campaigns.Turn{greeting}}, nil
	}
}

// placedAfter counts the calls placed after t.
func (p *drainPlacer) placedAfter(t time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.starts {
		if s.After(t) {
			n++
		}
	}
	return n
}

func (p *drainPlacer) shortCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.short
}

// drainRig is a worker process (runService with --workers only) whose calls
// drainPlacer places, dialling a running campaign of 60 contacts on a
// tenant with two lines: one holds the long call, the other turns over
// short calls, ten a second, until the worker stops.
type drainRig struct {
	t      *testing.T
	ctx    context.Context
	db     *tenants.DB
	svc    *campaigns.Service
	p      tenants.Principal
	placer *drainPlacer
	stop   context.CancelFunc
	done   chan error
	exited bool
}

func newDrainRig(t *testing.T, drainTimeout time.Duration) *drainRig {
	t.Helper()
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	url, db := shop.URL, shop.DB
	r := &drainRig{t: t, ctx: ctx, db: db, svc: campaigns.New(campaigns.Options{DB: db}), p: shop.Owner,
		placer: &drainPlacer{release: make(chan struct{}), first: make(chan struct{})}, done: make(chan error, 1)}
	rules := campaigns.DefaultCompliance()
	rules.QuietHours, rules.MaxConcurrentLines, rules.CallsPerSecond = []string{}, 2, 10
	if _, err := r.svc.SetCompliance(ctx, r.p, rules); err != nil {
		t.Fatal(err)
	}
	cs := contacts.New(contacts.Options{DB: db})
	list, err := cs.CreateList(ctx, r.p, "customers", "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		if _, err := cs.UpsertContact(ctx, r.p, contacts.ContactInput{Phone: fmt.Sprintf("1381234%04d", i), ListIDs: []uuid.UUID{list.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	noRetries := campaigns.RetryPolicy{telephony.OutcomeBusy: {}, telephony.OutcomeNoAnswer: {}, telephony.OutcomeFailed: {}}
	c, err := r.svc.CreateCampaign(ctx, r.p, campaigns.CampaignInput{Name: "reminders", ListIDs: []uuid.UUID{list.ID}, ScriptVersion: "v1", RetryPolicy: noRetries})
	if err == nil {
		_, err = r.svc.StartCampaign(ctx, r.p, c.ID)
	}
	if err != nil {
		t.Fatal(err)
	}

	s := &settings{DatabaseURL: url, Workers: true, LogLevel: "error", MaxWorkers: 10, DrainTimeout: drainTimeout,
		scriptHost: hostCommand, scriptHostEnv: hostEnv, placer: r.placer}
	var runCtx context.Context
	runCtx, r.stop = context.WithCancel(ctx)
	go func() { r.done <- runService(runCtx, s, nil) }()
	t.Cleanup(func() {
		if r.exited {
			return
		}
		r.stop()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
		}
	})
	// Wait for the long call and a steady flow of short ones beside it.
	select {
	case <-r.placer.first:
	case err := <-r.done:
		t.Fatalf("the worker stopped early: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no call within 30s")
	}
	for deadline := time.Now().Add(30 * time.Second); r.placer.shortCalls() < 3; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the short calls did not flow within 30s")
		}
	}
	return r
}

// signal stops the worker as SIGTERM does (main cancels runService's
// context) and returns when it did.
func (r *drainRig) signal() time.Time {
	at := time.Now()
	r.stop()
	return at
}

// wait waits up to limit for the worker to exit and returns when it did.
func (r *drainRig) wait(limit time.Duration) time.Time {
	r.t.Helper()
	select {
	case err := <-r.done:
		r.exited = true
		if err != nil {
			r.t.Fatalf("the worker ended with %v", err)
		}
		return time.Now()
	case <-time.After(limit):
		r.t.Fatalf("the worker did not exit within %v of the signal", limit)
	}
	return time.Time{}
}

// check asserts that every call placed was recorded and closed, that no
// line is left leased and no dial job is left running, and returns the
// long call's record and its River job's state.
func (r *drainRig) check() (*campaigns.Call, string) {
	r.t.Helper()
	var recorded, open, held int
	var jobState string
	err := r.db.InTenant(r.ctx, r.p.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(r.ctx, `SELECT (SELECT count(*) FROM calls WHERE state <> 'refused'), (SELECT count(*) FROM calls WHERE state IN ('dialling', 'in_call')),
				(SELECT count(*) FROM lines WHERE call_id IS NOT NULL),
				(SELECT j.state FROM river_job j JOIN calls c ON c.id = $1 AND j.kind = 'campaign_dial_batch'
					AND j.args->'dials' @> jsonb_build_array(jsonb_build_object('contact_id', c.contact_id)) ORDER BY j.id LIMIT 1)`,
			r.placer.long).Scan(&recorded, &open, &held, &jobState)
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.placer.mu.Lock()
	placed := len(r.placer.starts)
	r.placer.mu.Unlock()
	if recorded != placed || open != 0 || held != 0 {
		r.t.Fatalf("%d calls placed, %d recorded, %d still open, %d lines held; want every call recorded and closed", placed, recorded, open, held)
	}
	var running int
	if err := r.db.Pool().QueryRow(r.ctx, `SELECT count(*) FROM river_job WHERE kind IN ('campaign_dial', 'campaign_dial_batch') AND state = 'running'`).Scan(&running); err != nil {
		r.t.Fatal(err)
	}
	if running != 0 {
		r.t.Fatalf("%d dial jobs left running", running)
	}
	call, err := r.svc.GetCall(r.ctx, r.p, r.placer.long)
	if err != nil {
		r.t.Fatal(err)
	}
	return call, jobState
}

// On SIGTERM a worker starts no new call, lets the call in progress finish
// and records it with its real outcome, completes its job in River, and
// exits as soon as it has, well within the drain deadline.
func TestOnSIGTERMAWorkerFinishesItsCallsAndStartsNoNewOne(t *testing.T) {
	const drainTimeout = 20 * time.Second
	r := newDrainRig(t, drainTimeout)
	signalled := r.signal()
	// Without the drain the free line would have taken about ten more
	// calls a second; a dial already admitted when the signal came has
	// a few milliseconds to start its call.
	time.Sleep(1500 * time.Millisecond)
	if n := r.placer.placedAfter(signalled.Add(300 * time.Millisecond)); n != 0 {
		t.Fatalf("%d calls started after the signal", n)
	}
	close(r.placer.release)
	exited := r.wait(drainTimeout)
	t.Logf("exited %v after the signal", exited.Sub(signalled).Round(10*time.Millisecond))
	if took := exited.Sub(signalled); took > 5*time.Second {
		t.Fatalf("the worker took %v to exit after its last call ended", took)
	}
	if n := r.placer.placedAfter(signalled.Add(300 * time.Millisecond)); n != 0 {
		t.Fatalf("%d calls started after the signal", n)
	}
	call, jobState := r.check()
	if call.State != "ended" || call.Outcome != telephony.OutcomeAnswered || call.Reason != "" || call.FinalState != "confirmed" ||
		len(call.Turns) != 2 || call.BillableSeconds < 2 {
		t.Fatalf("the call in progress at the signal was recorded as %s %s %q, final state %q, %d turns, %d s billable; want its real end",
			call.State, call.Outcome, call.Reason, call.FinalState, len(call.Turns), call.BillableSeconds)
	}
	if jobState != "completed" {
		t.Fatalf("its dial job is %s, want completed", jobState)
	}
}

// A call that outlasts the drain deadline is hung up then, and recorded as
// interrupted by the shutdown with what it had (its answer, its turns),
// and the worker exits right after.
func TestACallOutlastingTheDrainDeadlineIsRecordedAsInterruptedByTheShutdown(t *testing.T) {
	const drainTimeout = 2 * time.Second
	r := newDrainRig(t, drainTimeout)
	signalled := r.signal()
	exited := r.wait(drainTimeout + jobs.CancelGrace)
	took := exited.Sub(signalled)
	t.Logf("exited %v after the signal", took.Round(10*time.Millisecond))
	if took < drainTimeout || took > drainTimeout+5*time.Second {
		t.Fatalf("the worker exited %v after the signal; want just after the %v deadline", took, drainTimeout)
	}
	if n := r.placer.placedAfter(signalled.Add(300 * time.Millisecond)); n != 0 {
		t.Fatalf("%d calls started after the signal", n)
	}
	call, jobState := r.check()
	if call.State != "ended" || call.Outcome != telephony.OutcomeInterrupted || call.Reason != jobs.ReasonShutdown ||
		call.AnsweredAt == nil || len(call.Turns) != 1 || call.BillableSeconds < 2 {
		t.Fatalf("the call cut by the deadline was recorded as %s %s %q, answered %v, %d turns, %d s billable",
			call.State, call.Outcome, call.Reason, call.AnsweredAt, len(call.Turns), call.BillableSeconds)
	}
	if jobState != "completed" {
		t.Fatalf("its dial job is %s, want completed", jobState)
	}
}
