package billing

import (
	"slices"
	"time"

	"github.com/outcall/outcall/tenants"
)

// Plan is what a tenant pays for and what it may do.
type Plan struct {
	// Name is the plan's key, stored in tenants.plan.
	Name  string `json:"name"`
	Title string `json:"title"`
	// ConcurrentLines caps the calls a tenant has in progress at once.
	ConcurrentLines int `json:"concurrent_lines"`
	// DailyCalls caps the dials a tenant starts per day, in its time zone.
	DailyCalls int `json:"daily_calls"`
	// ScriptCPUPerTurn is how long a dialog script may run per turn.
	ScriptCPUPerTurn time.Duration `json:"-"`
	// IncludedMinutes is how many connected minutes the plan allows in all
	// (the trial's allowance); 0 means no such limit.
	IncludedMinutes int64 `json:"included_minutes"`
	// PerMinuteCents is the list price of one started minute of a
	// connected call, and PerAttemptCents that of one dial attempt.
	PerMinuteCents  int64 `json:"per_minute_cents"`
	PerAttemptCents int64 `json:"per_attempt_cents"`
	// MonthlyCents is the committed monthly fee.
	MonthlyCents int64 `json:"monthly_cents"`
	// Currency of the prices, as Stripe spells it.
	Currency string `json:"currency"`
	// StripePrices are the lookup keys of the Stripe prices a subscription
	// to the plan holds; none means the plan is not sold through Stripe.
	StripePrices []StripePrice `json:"stripe_prices,omitempty"`
	// MinutesMeter and AttemptsMeter are the event names of the Stripe
	// Billing Meters the ledger reports to; "" means not metered.
	MinutesMeter  string `json:"minutes_meter,omitempty"`
	AttemptsMeter string `json:"attempts_meter,omitempty"`
}

// StripePrice is one price of a plan in Stripe, found by its lookup key.
type StripePrice struct {
	LookupKey string `json:"lookup_key"`
	// Metered prices bill a Billing Meter's usage; the others bill a
	// quantity of one per period.
	Metered bool `json:"metered"`
}

// Plan names.
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

// Plans are every plan outcall sells, cheapest first.
var Plans = []Plan{
	{
		Name: Trial, Title: "Trial",
		ConcurrentLines: 2, DailyCalls: 200, ScriptCPUPerTurn: 50 * time.Millisecond,
		IncludedMinutes: 60, Currency: "usd",
	},
	{
		Name: PayG, Title: "Pay as you go",
		ConcurrentLines: 20, DailyCalls: 5_000, ScriptCPUPerTurn: 100 * time.Millisecond,
		PerMinuteCents: 6, PerAttemptCents: 1, Currency: "usd",
		StripePrices: []StripePrice{{LookupKey: "outcall_payg_minutes", Metered: true}, {LookupKey: "outcall_payg_attempts", Metered: true}},
		MinutesMeter: MinutesMeterEvent, AttemptsMeter: AttemptsMeterEvent,
	},
	{
		Name: Pro, Title: "Pro",
		ConcurrentLines: 200, DailyCalls: 100_000, ScriptCPUPerTurn: 200 * time.Millisecond,
		PerMinuteCents: 4, MonthlyCents: 49_900, Currency: "usd",
		StripePrices: []StripePrice{{LookupKey: "outcall_pro_monthly"}, {LookupKey: "outcall_pro_minutes", Metered: true}},
		MinutesMeter: MinutesMeterEvent,
	},
}

// PlanLines is the concurrent lines of the plan called name (PlanFor).
func PlanLines(name string) int { return PlanFor(name).ConcurrentLines }

// PlanFor returns the plan called name. An unknown name (a plan retired
// since) gets the trial's limits, the safe side.
func PlanFor(name string) Plan {
	for _, p := range Plans {
		if p.Name == name {
			return p
		}
	}
	p := Plans[0]
	p.Name = name
	return p
}

// Sold reports whether name is a plan a tenant can subscribe to.
func Sold(name string) bool {
	i := slices.IndexFunc(Plans, func(p Plan) bool { return p.Name == name })
	return i >= 0 && len(Plans[i].StripePrices) > 0
}

// planByPrice returns the plan one of whose Stripe prices has lookupKey.
func planByPrice(lookupKey string) (Plan, bool) {
	for _, p := range Plans {
		if slices.ContainsFunc(p.StripePrices, func(sp StripePrice) bool { return sp.LookupKey == lookupKey }) {
			return p, true
		}
	}
	return Plan{}, false
}

func validPlan(field, name string) error {
	if !Sold(name) {
		return tenants.FieldError(field, "%q is not a plan you can subscribe to (payg or pro)", name)
	}
	return nil
}
