package campaigns

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Dialer places one call and returns when it has ended. Telephony
// implements it with SIP; TestDialer stands in for it in tests and
// benchmarks. Dial must honour ctx (cancelled: hang up), call
// req.Answered when the callee picks up, and report a failure to reach the
// trunk as Result{Outcome: OutcomeFailed} rather than an error where it can.
type Dialer interface {
	Dial(ctx context.Context, req DialRequest) (Result, error)
}

// DialRequest is one call to place.
type DialRequest struct {
	CallID     uuid.UUID
	TenantID   uuid.UUID
	CampaignID uuid.UUID
	ContactID  uuid.UUID
	Attempt    int
	// Phone is the callee's E.164 number; log it only through MaskPhone.
	Phone       string
	TimeZone    string
	ContactName string
	Attributes  map[string]any
	// ScriptVersion is the dialog script version to run when answered.
	ScriptVersion  string
	Segment        string
	SensitiveWords []string
	// Answered, when set, is called once the callee picks up.
	Answered func(at time.Time)
}

// Result is how a placed call went.
type Result struct {
	Outcome Outcome
	// Reason explains the outcome for people ("486 Busy Here", "ring timeout").
	Reason string
	// RingTime is how long it rang before it was answered or given up.
	RingTime   time.Duration
	AnsweredAt time.Time // zero unless answered
	EndedAt    time.Time
	// FinalState is the dialog state the script ended in.
	FinalState   string
	Tags         []string
	Turns        []Turn
	RecordingRef string
	// CallbackIn asks to call again after this long (a script's callbackIn).
	CallbackIn time.Duration
	// OptOut puts the number on the do-not-call list (the callee said stop).
	OptOut bool
	// SensitiveHits are the sensitive words heard or said; a call with any
	// is tagged review_required and waits for a person's review.
	SensitiveHits []SensitiveHit
	// Silence is how long the callee was quiet before speaking, over all
	// turns (from voice activity detection).
	Silence time.Duration
}

// TestDialer is an in-process Dialer for tests and benchmarks: it places
// no real call. Each call rings for Ring, and, when answered, talks for
// Talk; Decide picks the outcome (nil: every call is answered).
type TestDialer struct {
	Ring, Talk time.Duration
	// Decide returns the result of a call; its Outcome is required, and
	// timings it leaves zero are filled in.
	Decide func(req DialRequest) Result

	calls  atomic.Int64
	mu     sync.Mutex
	active map[uuid.UUID]int // concurrent calls per tenant
	peak   map[uuid.UUID]int
}

// Dial pretends to place req.
func (d *TestDialer) Dial(ctx context.Context, req DialRequest) (Result, error) {
	d.calls.Add(1)
	d.mu.Lock()
	if d.active == nil {
		d.active, d.peak = map[uuid.UUID]int{}, map[uuid.UUID]int{}
	}
	d.active[req.TenantID]++
	d.peak[req.TenantID] = max(d.peak[req.TenantID], d.active[req.TenantID])
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.active[req.TenantID]--
		d.mu.Unlock()
	}()

	res := Result{Outcome: OutcomeAnswered}
	if d.Decide != nil {
		res = d.Decide(req)
	}
	start := time.Now()
	if err := sleep(ctx, d.Ring); err != nil {
		return Result{Outcome: OutcomeFailed, EndedAt: time.Now()}, nil
	}
	res.RingTime = time.Since(start)
	if res.Outcome == OutcomeAnswered {
		if res.AnsweredAt.IsZero() {
			res.AnsweredAt = time.Now()
		}
		if req.Answered != nil {
			req.Answered(res.AnsweredAt)
		}
		sleep(ctx, d.Talk)
	}
	if res.EndedAt.IsZero() {
		res.EndedAt = time.Now()
	}
	return res, nil
}

// Calls returns how many calls were placed.
func (d *TestDialer) Calls() int64 { return d.calls.Load() }

// PeakLines returns the most calls a tenant had in progress at once.
func (d *TestDialer) PeakLines(tenantID uuid.UUID) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.peak[tenantID]
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
