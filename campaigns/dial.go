package campaigns

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// ErrNoFreeLine means every line the tenant may use is busy; nothing was
// recorded and the dial should be tried again shortly.
var ErrNoFreeLine = errors.New("no free line")

// Dial is the outcome of BeginDial: a refusal (recorded), nothing to do, or
// a call to place with Request.
type Dial struct {
	// Place is set when the call must be placed now; the line is held and the
	// attempt recorded, and CloseCall must follow.
	Place   bool
	Request Placement
	// Refusal is set when the dial was refused and recorded.
	Refusal *Refusal
}

// Call is one attempt of a campaign to reach a contact: a refusal, or a
// dialled call with its outcome.
type Call struct {
	ID              uuid.UUID
	TenantID        uuid.UUID
	CampaignID      uuid.UUID
	ContactID       uuid.UUID
	Attempt         int
	Phone           string
	State           string // refused, dialling, in_call, ended
	Outcome         telephony.Outcome
	Reason          string
	NextAt          *time.Time
	CreatedAt       time.Time
	AnsweredAt      *time.Time
	EndedAt         *time.Time
	RingMS          *int
	BillableSeconds int
	ScriptVersion   string
	Segment         string
	FinalState      string
	Tags            []string
	RecordingRef    string
	Turns           []Turn
	// SensitiveHits are the sensitive words the call heard or said.
	SensitiveHits []SensitiveHit
	// Review is a person's verdict on a call tagged review_required; nil
	// for calls that need none.
	Review *Review
	// What the call captured (Ending's Vars, Slots, LastIntent) and the
	// callback time the callee named.
	Vars       json.RawMessage
	Slots      map[string]any
	LastIntent string
	CallbackAt *time.Time
	// ModelTokens is what the tenant's language model used on the call.
	ModelTokens int
	// CallerID is the number the call went out with ("" before it did).
	CallerID string
	// TransferStartedAt is when the script began handing the callee to a
	// person (MarkTransferring); nil when it did not, or when that could
	// not be recorded.
	TransferStartedAt *time.Time
}

// SensitiveHit is one sensitive word heard from the callee or said by the
// script, in a turn of the dialog.
type SensitiveHit struct {
	Word  string `json:"word"`
	Turn  int    `json:"turn"`
	Where string `json:"where"` // heard or said
}

// Review statuses a person gives a call that heard or said a sensitive
// word (a call waiting for review is "pending").
const (
	ReviewApproved = "approved"
	ReviewFlagged  = "flagged"
)

// TagReviewRequired marks a call a person must review.
const TagReviewRequired = "review_required"

// Review is where a flagged call stands: pending until a reviewer (a user,
// or an API key) approves or flags it, with a note.
type Review struct {
	Status     string
	UserID     *uuid.UUID
	KeyID      *uuid.UUID
	Note       string
	ReviewedAt *time.Time
}

// Turn is one exchange of a dialog: what the script said, what the callee
// answered and how it was understood.
type Turn struct {
	Seq       int
	State     string
	Said      string
	Heard     string
	Intent    string
	Sentiment *float32
	// SentimentLabel is angry, negative, neutral or positive ("" if unknown).
	SentimentLabel string
	// Confidence is how sure the NLU was of Intent (nil if not measured).
	Confidence *float32
	// Sensitive lists the sensitive words heard or said in the turn.
	Sensitive []string
	// Emotion is the voice the turn was spoken in ("" for neutral).
	Emotion string
	// Model is what the tenant's language model did in the turn, as JSON
	// (scripting.ModelUse); nil when it was not asked.
	Model json.RawMessage
	// Requests are the requests the turn made to the tenant's endpoints
	// (a state's http), as JSON ([]scripting.RequestUse); nil when none.
	Requests  json.RawMessage
	StartedAt time.Time
	EndedAt   time.Time
}

// beginDial checks and records one dial in a transaction of its own (see
// BeginDial), as a group of one.
func (s *Service) beginDial(ctx context.Context, a DialArgs) (*Dial, error) {
	it := &dialItem{a: a}
	err := pgx.BeginFunc(ctx, s.db.Pool(), func(tx pgx.Tx) error {
		return s.beginDials(ctx, tx, a.TenantID, []*dialItem{it})
	})
	if err != nil {
		return nil, err
	}
	return it.d, it.err
}

// ReasonJobRerun is the reason on a call closed by the next run of the
// dial job that began it: the earlier run ended (its worker died) with the
// call still open, before the lease reaper closed it.
const ReasonJobRerun = "interrupted: the dial job carrying the call stopped (its next run found the call open)"

// LiveLeaseWithin is how recently a call's line lease must have been
// renewed for the call to count as carried by a live process (a worker, or
// the spool holding its close); the lease reaper's default StaleAfter is
// the same (jobs.LeaseTiming).
const LiveLeaseWithin = 20 * time.Second

// closeInterrupted ends an attempt that an earlier run of its dial job left
// dialling or in call (the worker died): no second dial, the line is freed,
// and the contact is retried like a failed call. A call whose line lease
// was renewed within LiveLeaseWithin is left to the process that renews it
// (a batch handed back while its call's close waited in a spool, a job
// whose end River could not record): that process closes it, or the lease
// reaper does once the lease goes stale.
func (s *Service) closeInterrupted(ctx context.Context, tx pgx.Tx, a DialArgs, now time.Time) error {
	var callID uuid.UUID
	var live bool
	err := tx.QueryRow(ctx, `SELECT c.id, EXISTS (SELECT 1 FROM lines l WHERE l.tenant_id = c.tenant_id AND l.call_id = c.id AND l.leased_at > now() - $4::interval)
		FROM calls c WHERE c.campaign_id = $1 AND c.contact_id = $2 AND c.attempt = $3 AND c.state IN ('dialling', 'in_call')`,
		a.CampaignID, a.ContactID, a.Attempt, LiveLeaseWithin).Scan(&callID, &live)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil || live {
		return err
	}
	_, err = s.closeCallTx(ctx, tx, a.TenantID, callID, Ending{Outcome: telephony.OutcomeInterrupted, Reason: ReasonJobRerun, EndedAt: now})
	return err
}

// closeCallTx closes one call inside tx, as a group of one (closeCalls).
func (s *Service) closeCallTx(ctx context.Context, tx pgx.Tx, tenantID, callID uuid.UUID, res Ending) (*Call, error) {
	it := &closeItem{callID: callID, res: res}
	if err := s.closeCalls(ctx, tx, tenantID, []*closeItem{it}); err != nil {
		return nil, err
	}
	return it.c, it.err
}

func orNoTags(t []string) []string {
	if t == nil {
		return []string{}
	}
	return t
}

func orNoHits(h []SensitiveHit) []SensitiveHit {
	if h == nil {
		return []SensitiveHit{}
	}
	return h
}

const callColumns = `id, tenant_id, campaign_id, contact_id, attempt, phone, state, coalesce(outcome, ''), coalesce(reason, ''), next_at,
	created_at, answered_at, ended_at, ring_ms, billable_seconds, script_version, segment, final_state, tags, recording_ref,
	sensitive_hits, coalesce(review_status, ''), reviewer_user_id, reviewer_key_id, review_note, reviewed_at,
	vars, slots, last_intent, callback_at, model_tokens, caller_id, transfer_started_at`

// scanDest is where a row of callColumns goes; call settle after the scan.
func (c *Call) scanDest() []any {
	c.Review = &Review{}
	return []any{&c.ID, &c.TenantID, &c.CampaignID, &c.ContactID, &c.Attempt, &c.Phone, &c.State, &c.Outcome, &c.Reason, &c.NextAt,
		&c.CreatedAt, &c.AnsweredAt, &c.EndedAt, &c.RingMS, &c.BillableSeconds, &c.ScriptVersion, &c.Segment, &c.FinalState, &c.Tags, &c.RecordingRef,
		&c.SensitiveHits, &c.Review.Status, &c.Review.UserID, &c.Review.KeyID, &c.Review.Note, &c.Review.ReviewedAt,
		&c.Vars, &c.Slots, &c.LastIntent, &c.CallbackAt, &c.ModelTokens, &c.CallerID, &c.TransferStartedAt}
}

// settle finishes a scanned call: no review unless one is asked for.
func (c *Call) settle() *Call {
	if c.Review != nil && c.Review.Status == "" {
		c.Review = nil
	}
	return c
}

// rowToCall reads one row of callColumns, for pgx.CollectRows.
func rowToCall(row pgx.CollectableRow) (Call, error) {
	var c Call
	err := row.Scan(c.scanDest()...)
	return *c.settle(), err
}

// queryCalls runs sql, a query of callColumns, in tx and returns its calls.
func queryCalls(ctx context.Context, tx pgx.Tx, sql string, args ...any) ([]Call, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, rowToCall)
}

// GetCall returns one call record with its turns.
func (s *Service) GetCall(ctx context.Context, p tenants.Principal, id uuid.UUID) (*Call, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	c := &Call{}
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT `+callColumns+` FROM calls WHERE tenant_id = $1 AND id = $2`, p.TenantID, id).Scan(c.scanDest()...)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("call")
		}
		c.settle()
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT seq, state, said, heard, intent, sentiment, started_at, ended_at, sentiment_label, confidence, sensitive, model, emotion, requests FROM call_turns
			WHERE tenant_id = $1 AND call_id = $2 ORDER BY seq`, p.TenantID, id)
		if err != nil {
			return err
		}
		c.Turns, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Turn, error) {
			var t Turn
			err := row.Scan(&t.Seq, &t.State, &t.Said, &t.Heard, &t.Intent, &t.Sentiment, &t.StartedAt, &t.EndedAt, &t.SentimentLabel, &t.Confidence, &t.Sensitive, &t.Model, &t.Emotion, &t.Requests)
			return t, err
		})
		return err
	})
	return c, err
}

// ListCalls returns a campaign's call records (without turns), oldest first.
func (s *Service) ListCalls(ctx context.Context, p tenants.Principal, campaignID uuid.UUID, limit int, after *uuid.UUID) ([]Call, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	var out []Call
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) (err error) {
		if _, err := getCampaign(ctx, tx, p.TenantID, campaignID, false); err != nil {
			return err
		}
		out, err = queryCalls(ctx, tx, `SELECT `+callColumns+` FROM calls WHERE tenant_id = $1
			AND `+tenants.PageAfter("calls")+`
			AND campaign_id = $4 ORDER BY created_at, id LIMIT $3`, p.TenantID, after, limit, campaignID)
		return err
	})
	return out, err
}

// nextStep decides what becomes of a contact after its call: done, called
// back when the callee asked for it, or tried again by the campaign's retry
// policy (its counts are the contact's tries so far). A callee who said stop
// goes on the tenant's do-not-call list. It returns the contact's new state,
// when it is next due (nil: not again) and its tries as JSON.
func (s *Service) nextStep(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, phone string, res Ending, triesRaw, policyRaw []byte, now time.Time) (string, *time.Time, []byte, error) {
	tries := map[telephony.Outcome]int{}
	json.Unmarshal(triesRaw, &tries)
	policy := DefaultRetryPolicy()
	json.Unmarshal(policyRaw, &policy)
	state, next := "done", (*time.Time)(nil)
	switch {
	case res.OptOut:
		if _, err := contacts.AddDNCTx(ctx, tx, s.events, tenantID, phone, contacts.DNCSourceCalleeStop, "the callee asked not to be called", now); err != nil {
			return "", nil, nil, err
		}
	case res.Outcome == telephony.OutcomeAnswered && (res.CallbackIn > 0 || !res.CallbackAt.IsZero()):
		// The time the callee named, when it is ahead and not too far;
		// the dial check at that moment still applies quiet hours, caps
		// and the do-not-call list.
		at := now.Add(res.CallbackIn)
		if res.CallbackAt.After(now) && res.CallbackAt.Before(now.Add(MaxCallbackAhead)) {
			at = res.CallbackAt
		}
		state, next = "pending", &at
	default:
		o := res.Outcome
		if o == telephony.OutcomeInterrupted {
			o = telephony.OutcomeFailed
		}
		if rule, ok := policy[o]; ok && tries[o] < rule.Times {
			tries[o]++
			at := now.Add(time.Duration(rule.After))
			state, next = "pending", &at
		}
	}
	tj, _ := json.Marshal(tries)
	return state, next, tj, nil
}

// dialContactFrom is what a dial check reads of a contact (its campaign,
// tenant, compliance settings, do-not-call and consent), from the columns
// to the tenant condition; the caller adds which contact and the lock.
const dialContactFrom = `cc.state, cc.attempt, cc.phone, cc.time_zone, cc.segment,
		cp.status, cp.compliance, cp.starts_at, cp.ends_at, cp.script_version, cp.segment_versions, cp.ab_split,
		t.suspended_at IS NOT NULL, t.plan, coalesce(cs.settings, '{}'),
		EXISTS (SELECT 1 FROM dnc_numbers d WHERE d.tenant_id = $1 AND d.phone = cc.phone),
		EXISTS (SELECT 1 FROM consents k WHERE k.tenant_id = $1 AND k.phone = cc.phone AND k.withdrawn_at IS NULL),
		ct.name, ct.attributes
	FROM campaign_contacts cc
	JOIN campaigns cp ON cp.id = cc.campaign_id
	JOIN tenants t ON t.id = cc.tenant_id
	JOIN contacts ct ON ct.id = cc.contact_id
	LEFT JOIN compliance_settings cs ON cs.tenant_id = cc.tenant_id
	WHERE cc.tenant_id = $1`
