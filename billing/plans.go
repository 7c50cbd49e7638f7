package billing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nyaruka/phonenumbers"

	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/tenants"
)

// Querier runs queries: a pgx.Tx, a *pgxpool.Pool or a *pgx.Conn. The plans
// table belongs to no tenant, so it is read in any transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// planColumns are a plan's columns, of the plans table aliased p.
const planColumns = `p.id, p.title, p.concurrent_lines, p.calls_per_second, p.daily_calls, p.script_cpu_ms, p.included_minutes,
	p.destinations, p.per_minute_cents, p.per_attempt_cents, p.monthly_cents, p.currency, p.stripe_prices, p.minutes_meter,
	p.attempts_meter, p.public, p.version, p.updated_at`

// cheapestFirst orders plans as tenants and operators see them listed.
const cheapestFirst = `ORDER BY p.monthly_cents, p.per_minute_cents, p.concurrent_lines, p.id`

// planRow is where a row of planColumns is scanned.
type planRow struct {
	Plan
	cpuMS int64
}

// dest returns the scan destinations of planColumns, in their order.
func (r *planRow) dest() []any {
	return []any{&r.Name, &r.Title, &r.ConcurrentLines, &r.CallsPerSecond, &r.DailyCalls, &r.cpuMS, &r.IncludedMinutes,
		&r.Destinations, &r.PerMinuteCents, &r.PerAttemptCents, &r.MonthlyCents, &r.Currency, &r.StripePrices, &r.MinutesMeter,
		&r.AttemptsMeter, &r.Public, &r.Version, &r.UpdatedAt}
}

// plan finishes a scanned row, and keeps it as the newest known version of
// its plan (see seen). The script budget never exceeds the sandbox's,
// whatever the row says.
func (r *planRow) plan() Plan {
	r.ScriptCPUPerTurn = min(time.Duration(r.cpuMS)*time.Millisecond, scripting.MaxBudget)
	if r.Destinations == nil {
		r.Destinations = []string{}
	}
	remember(r.Plan)
	return r.Plan
}

func collectPlans(rows pgx.Rows) ([]Plan, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Plan, error) {
		var r planRow
		if err := row.Scan(r.dest()...); err != nil {
			return Plan{}, err
		}
		return r.plan(), nil
	})
}

// ListPlans returns every plan, cheapest first.
func ListPlans(ctx context.Context, q Querier) ([]Plan, error) {
	rows, err := q.Query(ctx, `SELECT `+planColumns+` FROM plans p `+cheapestFirst)
	if err != nil {
		return nil, err
	}
	return collectPlans(rows)
}

// GetPlan returns the plan called name, or a not-found error.
func GetPlan(ctx context.Context, q Querier, name string) (Plan, error) {
	var r planRow
	err := q.QueryRow(ctx, `SELECT `+planColumns+` FROM plans p WHERE p.id = $1`, name).Scan(r.dest()...)
	if err != nil {
		return Plan{}, tenants.NotFound(err, "no plan is called %q", name)
	}
	return r.plan(), nil
}

// tenantPlans returns the plans a tenant is shown: the public ones and its
// own, cheapest first. tx is that tenant's transaction.
func tenantPlans(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) ([]Plan, error) {
	rows, err := tx.Query(ctx, `SELECT `+planColumns+` FROM plans p
		WHERE p.public OR p.id = (SELECT plan FROM tenants WHERE id = $1) `+cheapestFirst, tenantID)
	if err != nil {
		return nil, err
	}
	return collectPlans(rows)
}

// planByPrice returns the plan that holds a Stripe price, found by its id
// or else by its lookup key (either may be "").
func planByPrice(ctx context.Context, q Querier, id, lookupKey string) (Plan, bool, error) {
	if id == "" && lookupKey == "" {
		return Plan{}, false, nil
	}
	var r planRow
	err := q.QueryRow(ctx, `SELECT `+planColumns+` FROM plans p, jsonb_array_elements(p.stripe_prices) sp
		WHERE ($1 <> '' AND sp->>'id' = $1) OR ($2 <> '' AND sp->>'lookup_key' = $2)
		ORDER BY (sp->>'id' = $1) IS TRUE DESC LIMIT 1`, id, lookupKey).Scan(r.dest()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return Plan{}, false, nil
	}
	if err != nil {
		return Plan{}, false, err
	}
	return r.plan(), true, nil
}

// PlanChange is what an operator sets on a plan. On an update a nil field
// keeps the plan's value; on a create it takes NewPlanDefaults'.
type PlanChange struct {
	Title              *string        `json:"title,omitempty"`
	ConcurrentLines    *int           `json:"concurrent_lines,omitempty"`
	CallsPerSecond     *float64       `json:"calls_per_second,omitempty"`
	DailyCalls         *int           `json:"daily_calls,omitempty"`
	ScriptCPUPerTurnMS *int64         `json:"script_cpu_per_turn_ms,omitempty"`
	IncludedMinutes    *int64         `json:"included_minutes,omitempty"`
	Destinations       *[]string      `json:"destinations,omitempty"`
	PerMinuteCents     *int64         `json:"per_minute_cents,omitempty"`
	PerAttemptCents    *int64         `json:"per_attempt_cents,omitempty"`
	MonthlyCents       *int64         `json:"monthly_cents,omitempty"`
	Currency           *string        `json:"currency,omitempty"`
	StripePrices       *[]StripePrice `json:"stripe_prices,omitempty"`
	MinutesMeter       *string        `json:"minutes_meter,omitempty"`
	AttemptsMeter      *string        `json:"attempts_meter,omitempty"`
	Public             *bool          `json:"public,omitempty"`
}

// NewPlanDefaults is what a new plan allows where its PlanChange is
// silent: the trial's lines, daily calls and script budget, no minutes
// limit, no prices, any destination, in US dollars, listed to no one but
// its tenants.
var NewPlanDefaults = Plan{ConcurrentLines: 2, DailyCalls: 200, ScriptCPUPerTurn: 50 * time.Millisecond, Currency: "usd",
	Destinations: []string{}, StripePrices: []StripePrice{}}

// apply returns p with c's fields set.
func (c PlanChange) apply(p Plan) Plan {
	if c.Title != nil {
		p.Title = *c.Title
	}
	if c.ConcurrentLines != nil {
		p.ConcurrentLines = *c.ConcurrentLines
	}
	if c.CallsPerSecond != nil {
		p.CallsPerSecond = *c.CallsPerSecond
	}
	if c.DailyCalls != nil {
		p.DailyCalls = *c.DailyCalls
	}
	if c.ScriptCPUPerTurnMS != nil {
		p.ScriptCPUPerTurn = time.Duration(*c.ScriptCPUPerTurnMS) * time.Millisecond
	}
	if c.IncludedMinutes != nil {
		p.IncludedMinutes = *c.IncludedMinutes
	}
	if c.Destinations != nil {
		p.Destinations = slices.Clone(*c.Destinations)
	}
	if c.PerMinuteCents != nil {
		p.PerMinuteCents = *c.PerMinuteCents
	}
	if c.PerAttemptCents != nil {
		p.PerAttemptCents = *c.PerAttemptCents
	}
	if c.MonthlyCents != nil {
		p.MonthlyCents = *c.MonthlyCents
	}
	if c.Currency != nil {
		p.Currency = *c.Currency
	}
	if c.StripePrices != nil {
		p.StripePrices = slices.Clone(*c.StripePrices)
	}
	if c.MinutesMeter != nil {
		p.MinutesMeter = *c.MinutesMeter
	}
	if c.AttemptsMeter != nil {
		p.AttemptsMeter = *c.AttemptsMeter
	}
	if c.Public != nil {
		p.Public = *c.Public
	}
	return p
}

// Limits on what a plan may say.
const (
	MaxPlanLines          = 100_000
	MaxPlanDailyCalls     = 100_000_000
	MaxPlanCallsPerSecond = 10_000
	maxStripePrices       = 20
)

var (
	planName  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	currency  = regexp.MustCompile(`^[a-z]{3}$`)
	meterName = regexp.MustCompile(`^[A-Za-z0-9_.:-]{0,100}$`)
	// zeroDecimal are the currencies Stripe counts in whole units, which
	// prices in hundredths cannot express.
	zeroDecimal = []string{"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)

// ValidPlanName reports why name cannot name a plan ("" when it can).
func ValidPlanName(name string) string {
	if !planName.MatchString(name) {
		return fmt.Sprintf("%q is not a plan name: 1 to 40 lower-case letters, digits, '-' or '_', starting with a letter or digit", name)
	}
	return ""
}

// normalise tidies what an operator typed (spaces, case, duplicate
// regions) and checks every field; errors name the field under body.
func (p *Plan) normalise() error {
	p.Title = strings.TrimSpace(p.Title)
	if n := utf8.RuneCountInString(p.Title); n < 1 || n > 100 {
		return tenants.FieldError("body.title", "the title must be 1 to 100 characters")
	}
	if p.ConcurrentLines < 1 || p.ConcurrentLines > MaxPlanLines {
		return tenants.FieldError("body.concurrent_lines", "must be between 1 and %d", MaxPlanLines)
	}
	if p.CallsPerSecond < 0 || p.CallsPerSecond > MaxPlanCallsPerSecond || math.IsNaN(p.CallsPerSecond) {
		return tenants.FieldError("body.calls_per_second", "must be between 0 (no cap of the plan's own) and %d", MaxPlanCallsPerSecond)
	}
	if p.DailyCalls < 1 || p.DailyCalls > MaxPlanDailyCalls {
		return tenants.FieldError("body.daily_calls", "must be between 1 and %d", MaxPlanDailyCalls)
	}
	if p.ScriptCPUPerTurn < time.Millisecond || p.ScriptCPUPerTurn > scripting.MaxBudget || p.ScriptCPUPerTurn%time.Millisecond != 0 {
		return tenants.FieldError("body.script_cpu_per_turn_ms", "must be a whole number of milliseconds between 1 and %d (the script sandbox's largest budget)",
			scripting.MaxBudget.Milliseconds())
	}
	if p.IncludedMinutes < 0 {
		return tenants.FieldError("body.included_minutes", "must be 0 (no limit) or more")
	}
	regions := phonenumbers.GetSupportedRegions()
	dest := make([]string, 0, len(p.Destinations))
	for i, r := range p.Destinations {
		r = strings.ToUpper(strings.TrimSpace(r))
		if !regions[r] {
			return tenants.FieldError(fmt.Sprintf("body.destinations[%d]", i), "%q is not a region whose numbers can be dialled: give ISO 3166 codes such as CN, HK, US", p.Destinations[i])
		}
		if !slices.Contains(dest, r) {
			dest = append(dest, r)
		}
	}
	slices.Sort(dest)
	p.Destinations = dest
	for field, v := range map[string]int64{"per_minute_cents": p.PerMinuteCents, "per_attempt_cents": p.PerAttemptCents, "monthly_cents": p.MonthlyCents} {
		if v < 0 {
			return tenants.FieldError("body."+field, "a price cannot be negative")
		}
	}
	p.Currency = strings.ToLower(strings.TrimSpace(p.Currency))
	if !currency.MatchString(p.Currency) {
		return tenants.FieldError("body.currency", "%q is not an ISO 4217 currency code such as usd or cny", p.Currency)
	}
	if slices.Contains(zeroDecimal, p.Currency) {
		return tenants.FieldError("body.currency", "%s has no minor unit, and plans price in hundredths (cents, fen): use another currency", p.Currency)
	}
	p.StripePrices = slices.Clone(p.StripePrices) // tidied below; the caller's stays as given
	if p.StripePrices == nil {
		p.StripePrices = []StripePrice{}
	}
	if len(p.StripePrices) > maxStripePrices {
		return tenants.FieldError("body.stripe_prices", "at most %d prices", maxStripePrices)
	}
	for i, sp := range p.StripePrices {
		field := fmt.Sprintf("body.stripe_prices[%d]", i)
		sp.ID, sp.LookupKey = strings.TrimSpace(sp.ID), strings.TrimSpace(sp.LookupKey)
		if sp.ID == "" && sp.LookupKey == "" {
			return tenants.FieldError(field, "a Stripe price needs its id (price_…) or its lookup key")
		}
		if sp.ID != "" && (!strings.HasPrefix(sp.ID, "price_") || len(sp.ID) > 255) {
			return tenants.FieldError(field+".id", "%q is not a Stripe price id (price_…)", sp.ID)
		}
		if len(sp.LookupKey) > 200 {
			return tenants.FieldError(field+".lookup_key", "a lookup key has at most 200 characters")
		}
		for _, other := range p.StripePrices[:i] {
			if (sp.ID != "" && other.ID == sp.ID) || (sp.LookupKey != "" && other.LookupKey == sp.LookupKey) {
				return tenants.FieldError(field, "the plan names this price twice")
			}
		}
		p.StripePrices[i] = sp
	}
	if !meterName.MatchString(p.MinutesMeter) {
		return tenants.FieldError("body.minutes_meter", "%q is not a Stripe meter event name", p.MinutesMeter)
	}
	if !meterName.MatchString(p.AttemptsMeter) {
		return tenants.FieldError("body.attempts_meter", "%q is not a Stripe meter event name", p.AttemptsMeter)
	}
	return nil
}

// checkPricesFree fails when another plan holds one of p's Stripe prices:
// the webhook must find one plan for a price. tx holds the plans table
// locked against other writers.
func checkPricesFree(ctx context.Context, tx pgx.Tx, p Plan) error {
	for i, sp := range p.StripePrices {
		var other string
		err := tx.QueryRow(ctx, `SELECT p.id FROM plans p, jsonb_array_elements(p.stripe_prices) sp
			WHERE p.id <> $1 AND (($2 <> '' AND sp->>'id' = $2) OR ($3 <> '' AND sp->>'lookup_key' = $3)) LIMIT 1`,
			p.Name, sp.ID, sp.LookupKey).Scan(&other)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		return &tenants.Error{Code: tenants.EConflict, Field: fmt.Sprintf("body.stripe_prices[%d]", i),
			Message: fmt.Sprintf("plan %q holds this Stripe price already; a price belongs to one plan", other)}
	}
	return nil
}

// lockPlans takes the plans table against other writers (readers go on),
// so two operators cannot give one Stripe price to two plans.
func lockPlans(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `LOCK TABLE plans IN SHARE ROW EXCLUSIVE MODE`)
	return err
}

// CreatePlan adds the plan name with what c sets over NewPlanDefaults, in
// tx, at now.
func CreatePlan(ctx context.Context, tx pgx.Tx, name string, c PlanChange, now time.Time) (Plan, error) {
	if why := ValidPlanName(name); why != "" {
		return Plan{}, tenants.FieldError("body.name", "%s", why)
	}
	p := c.apply(NewPlanDefaults)
	p.Name = name
	if c.Title == nil {
		p.Title = name
	}
	if err := p.normalise(); err != nil {
		return Plan{}, err
	}
	if err := lockPlans(ctx, tx); err != nil {
		return Plan{}, err
	}
	if err := checkPricesFree(ctx, tx, p); err != nil {
		return Plan{}, err
	}
	var r planRow
	err := tx.QueryRow(ctx, `INSERT INTO plans AS p (id, title, concurrent_lines, calls_per_second, daily_calls, script_cpu_ms, included_minutes,
			destinations, per_minute_cents, per_attempt_cents, monthly_cents, currency, stripe_prices, minutes_meter, attempts_meter,
			public, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)
		RETURNING `+planColumns,
		p.Name, p.Title, p.ConcurrentLines, p.CallsPerSecond, p.DailyCalls, p.ScriptCPUPerTurn.Milliseconds(), p.IncludedMinutes,
		p.Destinations, p.PerMinuteCents, p.PerAttemptCents, p.MonthlyCents, p.Currency, p.StripePrices, p.MinutesMeter, p.AttemptsMeter,
		p.Public, now).Scan(r.dest()...)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return Plan{}, &tenants.Error{Code: tenants.EConflict, Field: "body.name", Message: fmt.Sprintf("a plan called %q exists already", name)}
	}
	if err != nil {
		return Plan{}, err
	}
	return r.plan(), nil
}

// UpdatePlan changes what c sets of the plan name, in tx, at now, and
// returns the plan before and after. Tenants on the plan get its new
// limits at their next check; calls in progress finish as they are.
func UpdatePlan(ctx context.Context, tx pgx.Tx, name string, c PlanChange, now time.Time) (before, after Plan, err error) {
	if err := lockPlans(ctx, tx); err != nil {
		return Plan{}, Plan{}, err
	}
	if before, err = GetPlan(ctx, tx, name); err != nil {
		return Plan{}, Plan{}, err
	}
	p := c.apply(before)
	if err := p.normalise(); err != nil {
		return Plan{}, Plan{}, err
	}
	if err := checkPricesFree(ctx, tx, p); err != nil {
		return Plan{}, Plan{}, err
	}
	var r planRow
	err = tx.QueryRow(ctx, `UPDATE plans p SET title = $2, concurrent_lines = $3, calls_per_second = $4, daily_calls = $5, script_cpu_ms = $6,
			included_minutes = $7, destinations = $8, per_minute_cents = $9, per_attempt_cents = $10, monthly_cents = $11, currency = $12,
			stripe_prices = $13, minutes_meter = $14, attempts_meter = $15, public = $16, version = p.version + 1, updated_at = $17
		WHERE p.id = $1 RETURNING `+planColumns,
		p.Name, p.Title, p.ConcurrentLines, p.CallsPerSecond, p.DailyCalls, p.ScriptCPUPerTurn.Milliseconds(), p.IncludedMinutes,
		p.Destinations, p.PerMinuteCents, p.PerAttemptCents, p.MonthlyCents, p.Currency, p.StripePrices, p.MinutesMeter, p.AttemptsMeter,
		p.Public, now).Scan(r.dest()...)
	if err != nil {
		return Plan{}, Plan{}, err
	}
	return before, r.plan(), nil
}

// AssignPlan puts the tenant on the plan called name and returns the plan
// it was on. tx is the tenant's transaction. Its new limits apply from its
// next check; calls in progress finish. With Stripe on, the tenant's next
// subscription event sets its plan from the subscription again.
func AssignPlan(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, name string) (previous string, err error) {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM plans WHERE id = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		return "", tenants.FieldError("body.plan", "no plan is called %q", name)
	}
	err = tx.QueryRow(ctx, `UPDATE tenants t SET plan = $2 FROM (SELECT plan FROM tenants WHERE id = $1 FOR UPDATE) old
		WHERE t.id = $1 RETURNING old.plan`, tenantID, name).Scan(&previous)
	return previous, tenants.NotFound(err, "tenant not found")
}
