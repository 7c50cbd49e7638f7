package billing_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/tenants"
)

func ptr[T any](v T) *T { return &v }

// createPlan adds a plan in its own transaction, failing the test on error.
func (e *env) createPlan(name string, c billing.PlanChange) billing.Plan {
	e.t.Helper()
	p, err := e.tryCreatePlan(name, c)
	if err != nil {
		e.t.Fatalf("create plan %s: %v", name, err)
	}
	return p
}

func (e *env) tryCreatePlan(name string, c billing.PlanChange) (p billing.Plan, err error) {
	err = pgx.BeginFunc(context.Background(), e.db.Pool(), func(tx pgx.Tx) (err error) {
		p, err = billing.CreatePlan(context.Background(), tx, name, c, time.Now())
		return err
	})
	return p, err
}

func (e *env) updatePlan(name string, c billing.PlanChange) (after billing.Plan, err error) {
	err = pgx.BeginFunc(context.Background(), e.db.Pool(), func(tx pgx.Tx) (err error) {
		_, after, err = billing.UpdatePlan(context.Background(), tx, name, c, time.Now())
		return err
	})
	return after, err
}

func (e *env) limits(tenantID uuid.UUID) billing.TenantLimits {
	e.t.Helper()
	var lim billing.TenantLimits
	e.inTenant(tenantID, func(tx pgx.Tx) (err error) {
		lim, err = billing.Limits(context.Background(), tx, tenantID)
		return err
	})
	return lim
}

// The plans that lived in code are the plans table's first rows, so every
// tenants.plan written before keeps its limits and prices.
func TestTheBuiltInPlansAreTheRowsEveryDatabaseStartsWith(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plans, err := billing.ListPlans(context.Background(), e.db.Pool())
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != len(billing.BuiltinPlans) {
		t.Fatalf("%d plans in a new database, want the %d built-in ones", len(plans), len(billing.BuiltinPlans))
	}
	for i, want := range billing.BuiltinPlans {
		got := plans[i]
		if got.Version != 1 || got.UpdatedAt.IsZero() {
			t.Errorf("%s: version %d, updated at %v; want version 1 and a time", got.Name, got.Version, got.UpdatedAt)
		}
		got.Version, got.UpdatedAt = 0, time.Time{}
		if want.Destinations == nil {
			want.Destinations = []string{}
		}
		if want.StripePrices == nil {
			want.StripePrices = []billing.StripePrice{}
		}
		if got.Name != want.Name || got.Title != want.Title || got.ConcurrentLines != want.ConcurrentLines || got.DailyCalls != want.DailyCalls ||
			got.ScriptCPUPerTurn != want.ScriptCPUPerTurn || got.IncludedMinutes != want.IncludedMinutes || got.PerMinuteCents != want.PerMinuteCents ||
			got.PerAttemptCents != want.PerAttemptCents || got.MonthlyCents != want.MonthlyCents || got.Currency != want.Currency ||
			!slices.Equal(got.StripePrices, want.StripePrices) || got.MinutesMeter != want.MinutesMeter || got.AttemptsMeter != want.AttemptsMeter ||
			got.Public != want.Public || got.CallsPerSecond != want.CallsPerSecond || !slices.Equal(got.Destinations, want.Destinations) {
			t.Errorf("plan %d in the database:\n%+v\nwant (billing.BuiltinPlans):\n%+v", i, got, want)
		}
	}
}

// Plans are data: an operator's new plan, its limits and their change
// reach its tenants' next check, and the line cap the pacer reads.
func TestAnOperatorsPlanAndItsChangesReachItsTenantsNextCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	name := "enterprise-" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	p := e.createPlan(name, billing.PlanChange{Title: ptr("Enterprise 1000"), ConcurrentLines: ptr(1000), DailyCalls: ptr(100_000),
		CallsPerSecond: ptr(50.0), ScriptCPUPerTurnMS: ptr(int64(300)), Destinations: ptr([]string{"hk", "CN", "CN"}),
		Currency: ptr("CNY"), PerMinuteCents: ptr(int64(12))})
	if p.Version != 1 || !slices.Equal(p.Destinations, []string{"CN", "HK"}) || p.Currency != "cny" || p.Public {
		t.Fatalf("created %+v; want version 1, destinations [CN HK], currency cny, not public", p)
	}
	ten := e.tenant("Big Shop", billing.Trial)
	e.inTenant(ten, func(tx pgx.Tx) error {
		prev, err := billing.AssignPlan(context.Background(), tx, ten, name)
		if err == nil && prev != billing.Trial {
			t.Errorf("the previous plan is %q, want trial", prev)
		}
		return err
	})
	lim := e.limits(ten)
	if lim.ConcurrentLines != 1000 || lim.DailyCalls != 100_000 || lim.CallsPerSecond != 50 || lim.ScriptCPUPerTurn != 300*time.Millisecond ||
		!slices.Equal(lim.Destinations, []string{"CN", "HK"}) {
		t.Fatalf("limits on the new plan: %+v", lim)
	}
	if _, err := e.updatePlan(name, billing.PlanChange{ConcurrentLines: ptr(500), Destinations: ptr([]string{})}); err != nil {
		t.Fatal(err)
	}
	lim = e.limits(ten)
	if lim.ConcurrentLines != 500 || len(lim.Destinations) != 0 || lim.Plan.Version != 2 || lim.DailyCalls != 100_000 {
		t.Fatalf("limits after the update: %+v; want 500 lines, any destination, version 2, the daily cap kept", lim)
	}
	// The pacer's cap (no transaction of its own) is the plan the last
	// check read.
	if n := billing.PlanLines(name); n != 500 {
		t.Fatalf("PlanLines(%s) = %d after the check read 500", name, n)
	}
}

// A check never reads a plan older than one it has read: the process's
// copy follows the plan's version, not the order in which reads finish.
func TestPlanForKeepsTheNewestVersionItRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	name := "versioned-" + uuid.NewString()[:8]
	e.createPlan(name, billing.PlanChange{ConcurrentLines: ptr(10)})
	old, err := billing.GetPlan(context.Background(), e.db.Pool(), name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.updatePlan(name, billing.PlanChange{ConcurrentLines: ptr(30)}); err != nil {
		t.Fatal(err)
	}
	if got := billing.PlanFor(name).ConcurrentLines; got != 30 {
		t.Fatalf("after the update PlanFor says %d lines, want 30", got)
	}
	if old.ConcurrentLines != 10 {
		t.Fatalf("the first read saw %d lines", old.ConcurrentLines)
	}
	// A read of the old row finishing late (simulated: the plan set back
	// in the database without a new version) does not win.
	e.exec(`UPDATE plans SET concurrent_lines = 10, version = 1 WHERE id = $1`, name)
	if _, err := billing.GetPlan(context.Background(), e.db.Pool(), name); err != nil {
		t.Fatal(err)
	}
	if got := billing.PlanFor(name).ConcurrentLines; got != 30 {
		t.Fatalf("an older version replaced the newer one: %d lines", got)
	}
	if got := billing.PlanFor("no-such-plan-" + name); got.ConcurrentLines != 2 || got.DailyCalls != 200 {
		t.Fatalf("an unknown plan gets %+v, want the trial's limits", got)
	}
}

func TestABadPlanIsRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name   string
		plan   string
		change billing.PlanChange
		field  string
	}{
		{"an upper-case name", "Gold", billing.PlanChange{}, "body.name"},
		{"a name with a space", "gold plan", billing.PlanChange{}, "body.name"},
		{"an empty title", "gold", billing.PlanChange{Title: ptr("  ")}, "body.title"},
		{"no lines", "gold", billing.PlanChange{ConcurrentLines: ptr(0)}, "body.concurrent_lines"},
		{"more lines than the cap", "gold", billing.PlanChange{ConcurrentLines: ptr(billing.MaxPlanLines + 1)}, "body.concurrent_lines"},
		{"negative calls per second", "gold", billing.PlanChange{CallsPerSecond: ptr(-1.0)}, "body.calls_per_second"},
		{"no daily calls", "gold", billing.PlanChange{DailyCalls: ptr(0)}, "body.daily_calls"},
		{"a script budget over the sandbox's", "gold", billing.PlanChange{ScriptCPUPerTurnMS: ptr(scripting.MaxBudget.Milliseconds() + 1)}, "body.script_cpu_per_turn_ms"},
		{"no script budget", "gold", billing.PlanChange{ScriptCPUPerTurnMS: ptr(int64(0))}, "body.script_cpu_per_turn_ms"},
		{"negative included minutes", "gold", billing.PlanChange{IncludedMinutes: ptr(int64(-1))}, "body.included_minutes"},
		{"an unknown region", "gold", billing.PlanChange{Destinations: ptr([]string{"CN", "XX"})}, "body.destinations[1]"},
		{"a country name for a region", "gold", billing.PlanChange{Destinations: ptr([]string{"China"})}, "body.destinations[0]"},
		{"a negative price", "gold", billing.PlanChange{PerMinuteCents: ptr(int64(-5))}, "body.per_minute_cents"},
		{"a currency that is no code", "gold", billing.PlanChange{Currency: ptr("yuan")}, "body.currency"},
		{"a currency without cents", "gold", billing.PlanChange{Currency: ptr("jpy")}, "body.currency"},
		{"a Stripe price with neither id nor key", "gold", billing.PlanChange{StripePrices: ptr([]billing.StripePrice{{Metered: true}})}, "body.stripe_prices[0]"},
		{"a Stripe price id that is none", "gold", billing.PlanChange{StripePrices: ptr([]billing.StripePrice{{ID: "prod_123"}})}, "body.stripe_prices[0].id"},
		{"a price named twice", "gold", billing.PlanChange{StripePrices: ptr([]billing.StripePrice{{ID: "price_1"}, {ID: "price_1"}})}, "body.stripe_prices[1]"},
		{"a meter name with spaces", "gold", billing.PlanChange{MinutesMeter: ptr("call minutes")}, "body.minutes_meter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.tryCreatePlan(c.plan, c.change)
			var te *tenants.Error
			if !errors.As(err, &te) || te.Code != tenants.EInvalid || te.Field != c.field {
				t.Fatalf("got %v, want an invalid-input error at %s", err, c.field)
			}
		})
	}
	if n := e.count(`SELECT count(*) FROM plans WHERE id IN ('gold', 'Gold', 'gold plan')`); n != 0 {
		t.Fatalf("%d refused plans were stored", n)
	}
	// An update is checked the same way, and changes nothing when refused.
	if _, err := e.updatePlan(billing.Pro, billing.PlanChange{ConcurrentLines: ptr(0)}); tenants.ErrorCode(err) != tenants.EInvalid {
		t.Fatalf("an update to no lines: %v", err)
	}
	if _, err := e.updatePlan("no-such-plan", billing.PlanChange{}); tenants.ErrorCode(err) != tenants.ENotFound {
		t.Fatalf("an update of a plan that does not exist: %v", err)
	}
	if _, err := e.tryCreatePlan(billing.Pro, billing.PlanChange{}); tenants.ErrorCode(err) != tenants.EConflict {
		t.Fatalf("a second plan called pro: %v", err)
	}
}

// The webhook finds a subscription's plan by its prices, so a price must
// belong to one plan.
func TestAStripePriceBelongsToOnePlan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.tryCreatePlan("pro-copy", billing.PlanChange{StripePrices: ptr([]billing.StripePrice{{LookupKey: "outcall_pro_minutes", Metered: true}})})
	var te *tenants.Error
	if !errors.As(err, &te) || te.Code != tenants.EConflict || te.Field != "body.stripe_prices[0]" || !strings.Contains(te.Message, "pro") {
		t.Fatalf("a second plan with pro's price: %v", err)
	}
	e.createPlan("cn-gold", billing.PlanChange{StripePrices: ptr([]billing.StripePrice{{ID: "price_cn_gold"}})})
	if _, err := e.updatePlan(billing.PayG, billing.PlanChange{StripePrices: ptr([]billing.StripePrice{{ID: "price_cn_gold"}})}); tenants.ErrorCode(err) != tenants.EConflict {
		t.Fatalf("giving cn-gold's price to payg: %v", err)
	}
	// A plan keeps its own prices through an update.
	if _, err := e.updatePlan("cn-gold", billing.PlanChange{Title: ptr("CN Gold")}); err != nil {
		t.Fatalf("an update that keeps the plan's own price: %v", err)
	}
}

func TestAssigningAPlanNeedsThePlanAndTheTenant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ten := e.tenant("Shop", billing.Trial)
	ctx := context.Background()
	err := e.db.InTenant(ctx, ten, func(tx pgx.Tx) error {
		_, err := billing.AssignPlan(ctx, tx, ten, "platinum")
		return err
	})
	var te *tenants.Error
	if !errors.As(err, &te) || te.Field != "body.plan" {
		t.Fatalf("assigning a plan that does not exist: %v", err)
	}
	ghost := uuid.New()
	err = e.db.InTenant(ctx, ghost, func(tx pgx.Tx) error {
		_, err := billing.AssignPlan(ctx, tx, ghost, billing.Pro)
		return err
	})
	if tenants.ErrorCode(err) != tenants.ENotFound {
		t.Fatalf("assigning a plan to a tenant that does not exist: %v", err)
	}
	if e.plan(ten) != billing.Trial {
		t.Fatalf("the tenant's plan changed to %q", e.plan(ten))
	}
	// The database refuses a plan name that is no plan, whoever writes it.
	if _, err := e.admin.Exec(ctx, `UPDATE tenants SET plan = 'platinum' WHERE id = $1`, ten); err == nil {
		t.Fatal("tenants.plan accepted a name that is no plan")
	}
}

// A tenant is shown the public plans and its own, and may subscribe only
// to a plan it is shown; a private plan sold by its Stripe price id needs
// no lookup key.
func TestAPrivatePlanIsShownAndSoldOnlyToItsTenants(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.service(stripeMock(t))
	ctx := context.Background()
	e.createPlan("acme-contract", billing.PlanChange{ConcurrentLines: ptr(800), Currency: ptr("cny"), MonthlyCents: ptr(int64(1_000_000)),
		StripePrices: ptr([]billing.StripePrice{{ID: "price_acme_monthly"}})})
	acme, other := e.tenant("Acme", billing.Trial), e.tenant("Other", billing.Trial)
	e.exec(`UPDATE tenants SET plan = 'acme-contract' WHERE id = $1`, acme)

	shown := func(ten uuid.UUID) []string {
		a, err := svc.Account(ctx, tenants.Principal{TenantID: ten, Role: tenants.RoleOwner})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range a.Plans {
			names = append(names, p.Name)
		}
		return names
	}
	if got := shown(other); !slices.Equal(got, []string{billing.Trial, billing.PayG, billing.Pro}) {
		t.Fatalf("another tenant is shown %v, want the public plans only", got)
	}
	if got := shown(acme); !slices.Contains(got, "acme-contract") {
		t.Fatalf("acme is shown %v, without its own plan", got)
	}
	_, err := svc.Checkout(ctx, tenants.Principal{TenantID: other, Role: tenants.RoleOwner}, "acme-contract", "https://app.example/ok", "https://app.example/no")
	var te *tenants.Error
	if !errors.As(err, &te) || te.Field != "body.plan" || !strings.Contains(te.Message, "payg, pro") {
		t.Fatalf("another tenant subscribing to acme's plan: %v", err)
	}
	if _, err := svc.Checkout(ctx, tenants.Principal{TenantID: acme, Role: tenants.RoleOwner}, "acme-contract", "https://app.example/ok", "https://app.example/no"); err != nil {
		t.Fatalf("acme subscribing to its own plan: %v", err)
	}
}

// Stripe maps prices to plans through the plans table: a subscription to
// an operator's plan, found by its price id, puts the tenant on it.
func TestAWebhookFindsAnOperatorsPlanByItsPriceID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.service("")
	e.createPlan("cn-enterprise", billing.PlanChange{ConcurrentLines: ptr(1000), DailyCalls: ptr(100_000), Currency: ptr("cny"),
		StripePrices: ptr([]billing.StripePrice{{ID: "price_cn_enterprise", Metered: true}})})
	ten := e.tenant("Shop", billing.Trial)
	e.customer(ten, "cus_shop")
	sub := subscription("sub_1", "cus_shop", "active", "")
	sub["items"].(map[string]any)["data"].([]any)[0].(map[string]any)["price"].(map[string]any)["id"] = "price_cn_enterprise"
	payload, header := stripeEvent(t, testWebhookSecret, "evt_1", "customer.subscription.created", time.Now(), sub)
	if res, err := svc.HandleWebhook(context.Background(), payload, header); err != nil || res.Outcome != "applied" {
		t.Fatalf("webhook: %+v %v", res, err)
	}
	if got := e.plan(ten); got != "cn-enterprise" {
		t.Fatalf("plan %q after subscribing by price id, want cn-enterprise", got)
	}
	if lim := e.limits(ten); lim.ConcurrentLines != 1000 || lim.Plan.Currency != "cny" {
		t.Fatalf("limits %+v", lim)
	}
}
