package billing

import (
	"encoding/json"
	"maps"
	"slices"
	"sync/atomic"
	"time"
)

// Plan is what a tenant pays for and what it may do. Plans are rows of the
// plans table: platform operators create and change them (CreatePlan,
// UpdatePlan; `outcall admin plans`), and a tenant's plan is the row its
// tenants.plan names.
type Plan struct {
	// Name is the plan's key, stored in tenants.plan.
	Name  string `json:"name"`
	Title string `json:"title"`
	// ConcurrentLines caps the calls a tenant has in progress at once.
	ConcurrentLines int `json:"concurrent_lines"`
	// CallsPerSecond is the pace of new dials the plan allows (0: no
	// figure of its own). It is stored and shown; the pacer does not read
	// it yet and paces by the tenant's compliance settings.
	CallsPerSecond float64 `json:"calls_per_second"`
	// DailyCalls caps the dials a tenant starts per day, in its time zone.
	DailyCalls int `json:"daily_calls"`
	// ScriptCPUPerTurn is how long a dialog script may run per turn, at
	// most scripting.MaxBudget.
	ScriptCPUPerTurn time.Duration `json:"-"`
	// IncludedMinutes is how many connected minutes the plan allows in all
	// (the trial's allowance); 0 means no such limit.
	IncludedMinutes int64 `json:"included_minutes"`
	// Destinations are the regions (ISO 3166 codes such as "CN") whose
	// numbers the plan's tenants may dial; none means any.
	Destinations []string `json:"destinations"`
	// PerMinuteCents is the list price of one started minute of a
	// connected call, and PerAttemptCents that of one dial attempt.
	PerMinuteCents  int64 `json:"per_minute_cents"`
	PerAttemptCents int64 `json:"per_attempt_cents"`
	// MonthlyCents is the committed monthly fee.
	MonthlyCents int64 `json:"monthly_cents"`
	// Currency of the prices, as Stripe spells it ("usd", "cny").
	Currency string `json:"currency"`
	// StripePrices are the Stripe prices a subscription to the plan holds;
	// none means the plan is not sold through Stripe.
	StripePrices []StripePrice `json:"stripe_prices,omitempty"`
	// MinutesMeter and AttemptsMeter are the event names of the Stripe
	// Billing Meters the ledger reports to; "" means not metered.
	MinutesMeter  string `json:"minutes_meter,omitempty"`
	AttemptsMeter string `json:"attempts_meter,omitempty"`
	// Public plans are listed to every tenant; the others only to the
	// tenants on them.
	Public bool `json:"public"`
	// Version counts the plan's changes: 1 when created, one more with
	// each update (0 for the built-in plans as compiled in).
	Version int64 `json:"version"`
	// UpdatedAt is when the plan last changed.
	UpdatedAt time.Time `json:"updated_at"`
}

// StripePrice is one price of a plan in Stripe: its id, or its lookup key,
// or both. A subscription item whose price has either belongs to the plan.
type StripePrice struct {
	ID        string `json:"id,omitempty"`
	LookupKey string `json:"lookup_key,omitempty"`
	// Metered prices bill a Billing Meter's usage; the others bill a
	// quantity of one per period.
	Metered bool `json:"metered"`
}

// MarshalJSON writes the plan with its script budget in milliseconds
// (script_cpu_per_turn_ms), as operators give it.
func (p Plan) MarshalJSON() ([]byte, error) {
	type plain Plan
	return json.Marshal(struct {
		plain
		ScriptCPUPerTurnMS int64 `json:"script_cpu_per_turn_ms"`
	}{plain(p), p.ScriptCPUPerTurn.Milliseconds()})
}

// Sold reports whether the plan is sold through Stripe.
func (p Plan) Sold() bool { return len(p.StripePrices) > 0 }

// Allows reports whether the plan lets its tenants dial a number of region
// (an ISO 3166 code; "" for a number of no region).
func (p Plan) Allows(region string) bool {
	return len(p.Destinations) == 0 || slices.Contains(p.Destinations, region)
}

// Names of the built-in plans.
const (
	Trial = "trial"
	PayG  = "payg"
	Pro   = "pro"
)

// Meter event names, as configured on the Stripe Billing Meters.
const (
	MinutesMeterEvent  = "outcall_call_minutes"
	AttemptsMeterEvent = "outcall_call_attempts"
)

// BuiltinPlans are the plans every outcall database starts with (migration
// 021 seeds them, with these values), cheapest first. Operators change them
// and add others; the database, not this list, says what a plan is.
var BuiltinPlans = []Plan{
	{
		Name: Trial, Title: "Trial",
		ConcurrentLines: 2, DailyCalls: 200, ScriptCPUPerTurn: 50 * time.Millisecond,
		IncludedMinutes: 60, Currency: "usd", Public: true,
	},
	{
		Name: PayG, Title: "Pay as you go",
		ConcurrentLines: 20, DailyCalls: 5_000, ScriptCPUPerTurn: 100 * time.Millisecond,
		PerMinuteCents: 6, PerAttemptCents: 1, Currency: "usd", Public: true,
		StripePrices: []StripePrice{{LookupKey: "outcall_payg_minutes", Metered: true}, {LookupKey: "outcall_payg_attempts", Metered: true}},
		MinutesMeter: MinutesMeterEvent, AttemptsMeter: AttemptsMeterEvent,
	},
	{
		Name: Pro, Title: "Pro",
		ConcurrentLines: 200, DailyCalls: 100_000, ScriptCPUPerTurn: 200 * time.Millisecond,
		PerMinuteCents: 4, MonthlyCents: 49_900, Currency: "usd", Public: true,
		StripePrices: []StripePrice{{LookupKey: "outcall_pro_monthly"}, {LookupKey: "outcall_pro_minutes", Metered: true}},
		MinutesMeter: MinutesMeterEvent,
	},
}

// seen holds every plan as this process last read it from the database,
// by name, starting with the built-in plans. Every check that reads a
// tenant's plan in its transaction (Limits, CanDial, ReserveDial,
// CallAllowance, RecordCall) reads the row afresh and keeps it here, so
// the answers of PlanFor and PlanLines, which have no transaction to read
// in, are at most one such check old.
var seen atomic.Pointer[map[string]Plan]

func init() {
	m := make(map[string]Plan, len(BuiltinPlans))
	for _, p := range BuiltinPlans {
		m[p.Name] = p
	}
	seen.Store(&m)
}

// remember keeps p as the newest known version of its plan, unless a newer
// one is known already.
func remember(p Plan) {
	for {
		cur := seen.Load()
		if old, ok := (*cur)[p.Name]; ok && p.Version <= old.Version {
			return
		}
		next := maps.Clone(*cur)
		next[p.Name] = p
		if seen.CompareAndSwap(cur, &next) {
			return
		}
	}
}

// PlanLines is the concurrent lines of the plan called name (PlanFor): the
// pacer's and the dial check's cap on a tenant's lines.
func PlanLines(name string) int { return PlanFor(name).ConcurrentLines }

// PlanFor returns the plan called name as this process last read it (see
// seen: the built-in plans until a check read them). A name it has not read
// yet gets the trial's limits, the safe side, until the tenant's next check
// reads its plan.
func PlanFor(name string) Plan {
	m := *seen.Load()
	if p, ok := m[name]; ok {
		return p
	}
	p := m[Trial]
	p.Name = name
	return p
}

// PlanCallsPerSecond is the pace of new dials the plan called name allows
// (PlanFor), 0 when it sets none of its own: the pacer's tenant-wide cap.
func PlanCallsPerSecond(name string) float64 { return PlanFor(name).CallsPerSecond }
