package campaigns

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/outcall/outcall/telephony"
)

// Placer places one campaign call, talks it, and returns when it has
// ended. calls.Service implements it (a SIP call through telephony.Dialer
// and the campaign's dialog script); TestPlacer stands in for it in tests
// and benchmarks. Place must honour ctx (cancelled: hang up), call
// p.Answered when the callee picks up (and p.Transferring as a transfer
// starts), and report a failure to reach the
// trunk as Ending{Outcome: telephony.OutcomeFailed} rather than an error
// where it can.
type Placer interface {
	Place(ctx context.Context, p Placement) (Ending, error)
}

// Placement is one campaign call to place, as BeginDial built it.
type Placement struct {
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
	// AIDisclosure is the compliance settings' ai_disclosure: what the call
	// says first (DisclosureWords), never cut off.
	AIDisclosure string
	// Answered, set by BeginDial, records that the callee picked up (at):
	// call it once they do. It outlives the caller's context but waits at
	// most answerMarkTimeout; a mark that has not landed by the close is
	// the close's to record (see Ending.Talked).
	Answered func(at time.Time) error
	// Transferring, set by BeginDial, records that the script hands the
	// callee to a person, with the call so far: call it before the
	// transfer starts. It waits at most a moment for the database (the
	// callee waits meanwhile): the close records what it could not.
	Transferring func(t Transferring) error
}

// Ending is how a placed call went, as its Placer tells it; CloseCall
// stores it on the call record.
type Ending struct {
	Outcome telephony.Outcome
	// Reason explains the outcome for people ("486 Busy Here", "ring timeout").
	Reason string
	// RingTime is how long it rang before it was answered or given up.
	RingTime   time.Duration
	AnsweredAt time.Time // zero unless answered
	EndedAt    time.Time
	// Talked says the callee was talked to: the placement's Answered mark
	// was asked for. The conversation does not wait for that mark, so the
	// close runs the answer hooks (call.answered) of a talked call whose
	// mark had not landed, and nothing is sent twice.
	Talked bool
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
	// CallbackAt is the moment the callee asked to be called again ("明天
	// 下午三点"); it wins over CallbackIn when it is ahead and within
	// MaxCallbackAhead.
	CallbackAt time.Time
	// What the call captured: the script's variables (a JSON object), the
	// slots heard, and the last intent the callee expressed.
	Vars       json.RawMessage
	Slots      map[string]any
	LastIntent string
	// ModelTokens is what the tenant's language model used on the call,
	// metered into the usage ledger.
	ModelTokens int
	// CallerID is the number the call went out with.
	CallerID string
	// ContactFields are written into the contact's attributes (a script's
	// saveToContact), for later scripts and segmentation rules.
	ContactFields map[string]json.RawMessage
	// FollowUps are the SMS templates the call's script asked to send
	// once it ended (a state's followUp), sent like a campaign's.
	FollowUps []string
}

// MaxCallbackAhead is how far ahead a named callback time is honoured; a
// later one falls back to the script's callbackIn.
const MaxCallbackAhead = 30 * 24 * time.Hour

// TestPlacer is an in-process Placer for tests and benchmarks: it places
// no real call. Each call rings for Ring, and, when answered, talks for
// Talk; Decide picks the outcome (nil: every call is answered).
type TestPlacer struct {
	Ring, Talk time.Duration
	// Decide returns the ending of a call; its Outcome is required, and
	// timings it leaves zero are filled in.
	Decide func(p Placement) Ending

	calls  atomic.Int64
	mu     sync.Mutex
	active map[uuid.UUID]int // concurrent calls per tenant
	peak   map[uuid.UUID]int
}

// Place pretends to place req.
func (d *TestPlacer) Place(ctx context.Context, req Placement) (Ending, error) {
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

	res := Ending{Outcome: telephony.OutcomeAnswered}
	if d.Decide != nil {
		res = d.Decide(req)
	}
	start := time.Now()
	if err := sleep(ctx, d.Ring); err != nil {
		return Ending{Outcome: telephony.OutcomeFailed, EndedAt: time.Now()}, nil
	}
	res.RingTime = time.Since(start)
	if res.Outcome == telephony.OutcomeAnswered {
		if res.AnsweredAt.IsZero() {
			res.AnsweredAt = time.Now()
		}
		if req.Answered != nil {
			req.Answered(res.AnsweredAt)
		}
		res.Talked = true
		sleep(ctx, d.Talk)
	}
	if res.EndedAt.IsZero() {
		res.EndedAt = time.Now()
	}
	return res, nil
}

// Calls returns how many calls were placed.
func (d *TestPlacer) Calls() int64 { return d.calls.Load() }

// PeakLines returns the most calls a tenant had in progress at once.
func (d *TestPlacer) PeakLines(tenantID uuid.UUID) int {
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
