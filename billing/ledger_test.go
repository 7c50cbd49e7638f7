package billing_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/tenants"
)

func TestEveryStartedMinuteIsBilled(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ connected, billable int }{{0, 0}, {1, 60}, {59, 60}, {60, 60}, {61, 120}, {75, 120}, {3600, 3600}} {
		if got := billing.BillableSeconds(c.connected); got != c.billable {
			t.Errorf("BillableSeconds(%d) = %d, want %d", c.connected, got, c.billable)
		}
	}
}

func TestRecordingACallTwiceRecordsItOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ten := e.tenant("Shop", billing.PayG)
	call := uuid.New()
	for range 3 {
		e.inTenant(ten, func(tx pgx.Tx) error {
			return billing.RecordCall(context.Background(), tx, nil, ten, billing.CallUsage{CallID: call, ConnectedSeconds: 75, EndedAt: time.Now()})
		})
	}
	if n := e.count(`SELECT count(*) FROM usage_ledger WHERE call_id = $1`, call); n != 2 {
		t.Fatalf("%d ledger rows for one payg call, want 2 (minutes and attempt)", n)
	}
	if n := e.count(`SELECT quantity FROM usage_ledger WHERE call_id = $1 AND kind = 'call_minutes'`, call); n != 2 {
		t.Fatalf("75 s billed as %d minutes, want 2", n)
	}
	if n := e.count(`SELECT minutes FROM usage_periods WHERE tenant_id = $1`, ten); n != 2 {
		t.Fatalf("period total %d minutes after recording one call thrice, want 2", n)
	}
}

func TestUsageRolledBackWithTheCallIsNotRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ten := e.tenant("Shop", billing.PayG)
	err := e.db.InTenant(context.Background(), ten, func(tx pgx.Tx) error {
		if err := billing.RecordCall(context.Background(), tx, nil, ten, billing.CallUsage{CallID: uuid.New(), ConnectedSeconds: 30}); err != nil {
			return err
		}
		return tenants.Errorf(tenants.EConflict, "closing the call failed")
	})
	if err == nil {
		t.Fatal("the transaction should have failed")
	}
	if n := e.count(`SELECT count(*) FROM usage_ledger`); n != 0 {
		t.Fatalf("%d ledger rows survived the rollback", n)
	}
}

func TestTrialUsageIsRecordedButNeverSentToStripe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ten := e.tenant("Trial Co", billing.Trial)
	e.record(ten, nil, 61)
	e.record(ten, nil, 0) // unanswered: trial charges no attempts
	if n := e.count(`SELECT count(*) FROM usage_ledger WHERE tenant_id = $1 AND stripe_status = 'not_billed'`, ten); n != 1 {
		t.Fatalf("%d not-billed rows, want 1", n)
	}
}

func TestUsageIsTotalledPerPeriodCampaignAndDay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ten := e.tenant("Shop", billing.PayG)
	other := e.tenant("Other", billing.PayG)
	c1, c2 := uuid.New(), uuid.New()
	e.record(ten, &c1, 61) // 2 min
	e.record(ten, &c1, 30) // 1 min
	e.record(ten, &c2, 0)  // attempt only
	e.record(other, &c1, 600)
	svc := e.service("")
	r, err := svc.Usage(context.Background(), tenants.Principal{TenantID: ten, Role: tenants.RoleViewer}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := billing.UsageTotals{Calls: 2, Minutes: 3, Attempts: 3, AmountCents: 3*6 + 3*1}
	if r.Totals != want {
		t.Fatalf("totals %+v, want %+v", r.Totals, want)
	}
	if len(r.ByCampaign) != 2 || r.ByCampaign[0].Minutes+r.ByCampaign[1].Minutes != 3 {
		t.Fatalf("per campaign %+v", r.ByCampaign)
	}
	if len(r.ByDay) != 1 || r.ByDay[0].UsageTotals != want {
		t.Fatalf("per day %+v", r.ByDay)
	}
	if r.EstimatedCents != want.AmountCents {
		t.Fatalf("estimated %d, want %d", r.EstimatedCents, want.AmountCents)
	}
	if r.Reported["pending"] != 5 {
		t.Fatalf("stripe states %v, want 5 pending", r.Reported)
	}
}

func TestCrossingEightyAndOneHundredPercentOfTheBudgetNotifiesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ten := e.tenant("Shop", billing.PayG)
	svc := e.service("")
	owner := tenants.Principal{TenantID: ten, Role: tenants.RoleOwner}
	budget := int64(100) // 1.00 USD
	if err := svc.SetBudget(context.Background(), owner, &budget, nil); err != nil {
		t.Fatal(err)
	}
	// 12 minutes + 1 attempt = 73 cents: below 80 %.
	e.record(ten, nil, 12*60)
	if n := e.count(`SELECT count(*) FROM billing_notices WHERE tenant_id = $1`, ten); n != 0 {
		t.Fatalf("%d notices below 80 %%", n)
	}
	e.record(ten, nil, 60) // 80 cents
	e.record(ten, nil, 60) // 87 cents
	if n := e.count(`SELECT count(*) FROM billing_notices WHERE tenant_id = $1 AND kind = 'usage_80'`, ten); n != 1 {
		t.Fatalf("%d 80 %% notices, want 1", n)
	}
	e.record(ten, nil, 3*60) // 106 cents
	e.record(ten, nil, 60)
	if n := e.count(`SELECT count(*) FROM billing_notices WHERE tenant_id = $1`, ten); n != 2 {
		t.Fatalf("%d notices after passing 100 %%, want 2", n)
	}
	if n := e.count(`SELECT count(*) FROM webhook_events WHERE tenant_id = $1 AND type = 'usage.threshold_reached'`, ten); n != 2 {
		t.Fatalf("%d usage.threshold_reached events, want 2", n)
	}
}

func TestASuspendedTenantCannotDialButAnActiveOneCan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ten := e.tenant("Shop", billing.PayG)
	if err := e.canDial(ten); err != nil {
		t.Fatalf("an active tenant is refused: %v", err)
	}
	e.exec(`UPDATE tenants SET suspended_at = now() WHERE id = $1`, ten)
	err := e.canDial(ten)
	if billing.RefusalReason(err) != billing.ReasonSuspended || tenants.ErrorCode(err) != tenants.EForbidden {
		t.Fatalf("suspended tenant: %v (reason %q)", err, billing.RefusalReason(err))
	}
	// A call that was in progress still closes and is billed.
	e.record(ten, nil, 90)
	if n := e.count(`SELECT count(*) FROM usage_ledger WHERE tenant_id = $1 AND kind = 'call_minutes'`, ten); n != 1 {
		t.Fatalf("the in-progress call of a suspended tenant was not recorded")
	}
}

func TestTheTrialStopsWhenItsMinutesAreUsed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ten := e.tenant("Trial Co", billing.Trial)
	e.record(ten, nil, 59*60)
	if err := e.canDial(ten); err != nil {
		t.Fatalf("59 of 60 trial minutes used: %v", err)
	}
	e.record(ten, nil, 30)
	if r := billing.RefusalReason(e.canDial(ten)); r != billing.ReasonTrialUsedUp {
		t.Fatalf("reason %q after 60 trial minutes, want %q", r, billing.ReasonTrialUsedUp)
	}
	// Subscribing lifts it.
	e.exec(`UPDATE tenants SET plan = 'payg' WHERE id = $1`, ten)
	if err := e.canDial(ten); err != nil {
		t.Fatalf("after subscribing: %v", err)
	}
}

// A trial call may last its share of the minutes left, so calls already
// under way cannot spend minutes the trial no longer has; a paid plan sets
// no limit of its own.
func TestATrialCallMayLastItsShareOfTheMinutesLeft(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ten := e.tenant("Trial Co", billing.Trial)
	allowance := func() time.Duration {
		var d time.Duration
		e.inTenant(ten, func(tx pgx.Tx) (err error) {
			d, err = billing.CallAllowance(context.Background(), tx, ten)
			return err
		})
		return d
	}
	lines := int64(billing.PlanFor(billing.Trial).ConcurrentLines)
	included := billing.PlanFor(billing.Trial).IncludedMinutes
	if got, want := allowance(), time.Duration(included/lines)*time.Minute-2*time.Second; got != want {
		t.Fatalf("a new trial's call may last %v, want %v (its share of %d minutes over %d lines)", got, want, included, lines)
	}
	e.record(ten, nil, int(included-5)*60) // 5 minutes left
	if got, want := allowance(), time.Duration(5/lines)*time.Minute-2*time.Second; got != want {
		t.Fatalf("with 5 minutes left a call may last %v, want %v", got, want)
	}
	e.record(ten, nil, 4*60+30) // under a minute left: still a minute, the dial check stops the next
	if got := allowance(); got != time.Minute-2*time.Second {
		t.Fatalf("with under a minute left a call may last %v, want a minute less 2 s", got)
	}
	e.exec(`UPDATE tenants SET plan = 'payg' WHERE id = $1`, ten)
	if got := allowance(); got != 0 {
		t.Fatalf("a paid plan's call allowance %v, want 0 (no limit of its own)", got)
	}
}

func TestTheHardBudgetStopsNewDials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ten := e.tenant("Shop", billing.Pro)
	hard := int64(40) // 10 pro minutes
	if err := e.service("").SetBudget(context.Background(), tenants.Principal{TenantID: ten, Role: tenants.RoleOwner}, nil, &hard); err != nil {
		t.Fatal(err)
	}
	e.record(ten, nil, 9*60)
	if err := e.canDial(ten); err != nil {
		t.Fatalf("below the hard budget: %v", err)
	}
	e.record(ten, nil, 60)
	err := e.canDial(ten)
	if billing.RefusalReason(err) != billing.ReasonHardBudget {
		t.Fatalf("at the hard budget: %v", err)
	}
	t.Logf("refusal: %v", err)
}

func TestOnlyOwnersSetBudgets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ten := e.tenant("Shop", billing.PayG)
	b := int64(100)
	err := e.service("").SetBudget(context.Background(), tenants.Principal{TenantID: ten, Role: tenants.RoleAdmin}, &b, nil)
	if tenants.ErrorCode(err) != tenants.EForbidden {
		t.Fatalf("an admin set the budget: %v", err)
	}
}

func TestTheDailyCapRefusesTheDialAfterTheLast(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ten := e.tenant("Trial Co", billing.Trial)
	limit := billing.PlanFor(billing.Trial).DailyCalls
	// Today is the day of the clock the dial reads, not the database's;
	// one moment for the whole test, so it cannot straddle midnight.
	now := time.Now()
	e.exec(`INSERT INTO dial_counts (tenant_id, day, dials) VALUES ($1, ($3::timestamptz AT TIME ZONE 'Asia/Shanghai')::date, $2)`, ten, limit-1, now)
	reserve := func() error {
		var out error
		e.inTenant(ten, func(tx pgx.Tx) error {
			out = billing.ReserveDial(context.Background(), tx, ten, now)
			return nil
		})
		return out
	}
	if err := reserve(); err != nil {
		t.Fatalf("the last dial of the day: %v", err)
	}
	if r := billing.RefusalReason(reserve()); r != billing.ReasonDailyCap {
		t.Fatalf("a dial past the cap: reason %q", r)
	}
}

func TestAPlanChangeTakesEffectOnTheNextCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ten := e.tenant("Shop", billing.Trial)
	lines := func() int {
		var n int
		e.inTenant(ten, func(tx pgx.Tx) error {
			lim, err := billing.Limits(context.Background(), tx, ten)
			n = lim.ConcurrentLines
			return err
		})
		return n
	}
	if n := lines(); n != 2 {
		t.Fatalf("trial lines %d", n)
	}
	e.exec(`UPDATE tenants SET plan = 'pro' WHERE id = $1`, ten)
	if n := lines(); n != 200 {
		t.Fatalf("pro lines %d", n)
	}
}

// A call's language model tokens are metered: one row per call, never
// sent to Stripe (no plan prices them), totalled in the period and in the
// usage report with the calls and minutes.
func TestModelTokensAreMeteredOncePerCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ten := e.tenant("Shop", billing.PayG)
	call := uuid.New()
	for range 2 {
		e.inTenant(ten, func(tx pgx.Tx) error {
			return billing.RecordCall(context.Background(), tx, nil, ten, billing.CallUsage{CallID: call, ConnectedSeconds: 40, EndedAt: time.Now(), ModelTokens: 1234})
		})
	}
	if n := e.count(`SELECT quantity FROM usage_ledger WHERE call_id = $1 AND kind = 'model_tokens' AND stripe_status = 'not_billed' AND amount_cents = 0`, call); n != 1234 {
		t.Fatalf("model tokens row holds %d, want 1234, unbilled", n)
	}
	if n := e.count(`SELECT model_tokens FROM usage_periods WHERE tenant_id = $1`, ten); n != 1234 {
		t.Fatalf("period total %d tokens after recording one call twice, want 1234", n)
	}
	r, err := e.service("").Usage(context.Background(), tenants.Principal{TenantID: ten, Role: tenants.RoleViewer}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Totals.ModelTokens != 1234 || r.Totals.Calls != 1 || r.Totals.Minutes != 1 || len(r.ByDay) != 1 || r.ByDay[0].ModelTokens != 1234 {
		t.Fatalf("usage report totals %+v, by day %+v", r.Totals, r.ByDay)
	}
}

// A sent follow-up message is metered once, as the provider counted it,
// never sent to Stripe (no plan prices messages), and beside the calls in
// the period and the usage report.
func TestFollowUpMessagesAreMeteredOncePerMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ten := e.tenant("Shop", billing.PayG)
	long, short := uuid.New(), uuid.New()
	for range 2 {
		e.inTenant(ten, func(tx pgx.Tx) error {
			if err := billing.RecordMessage(context.Background(), tx, ten, billing.MessageUsage{MessageID: long, Messages: 2}); err != nil {
				return err
			}
			return billing.RecordMessage(context.Background(), tx, ten, billing.MessageUsage{MessageID: short})
		})
	}
	if n := e.count(`SELECT count(*) FROM usage_ledger WHERE kind = 'sms' AND stripe_status = 'not_billed' AND amount_cents = 0 AND call_id IS NULL`); n != 2 {
		t.Fatalf("%d unbilled sms rows after recording two messages twice, want 2", n)
	}
	if n := e.count(`SELECT sms_messages FROM usage_periods WHERE tenant_id = $1`, ten); n != 3 {
		t.Fatalf("period total %d messages, want 3 (a long one counted twice)", n)
	}
	r, err := e.service("").Usage(context.Background(), tenants.Principal{TenantID: ten, Role: tenants.RoleViewer}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Totals.SMSMessages != 3 || r.Totals.Calls != 0 || r.Totals.AmountCents != 0 {
		t.Fatalf("usage report totals %+v, want 3 messages and nothing charged", r.Totals)
	}
}
