package billing

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// TenantLimits is what one tenant may do now: its plan's limits.
type TenantLimits struct {
	Plan Plan
	// ConcurrentLines caps the tenant's calls in progress; the pacer
	// dials at most ConcurrentLines minus the calls in progress.
	ConcurrentLines int
	// DailyCalls caps the dials started per day (ReserveDial counts them).
	DailyCalls int
	// ScriptCPUPerTurn is the dialog script's CPU budget per turn.
	ScriptCPUPerTurn time.Duration
}

// Limits returns tenantID's limits, read afresh from its plan in tx (a
// transaction of that tenant), so a plan change takes effect at the next
// check.
func Limits(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (TenantLimits, error) {
	var plan string
	err := tx.QueryRow(ctx, `SELECT plan FROM tenants WHERE id = $1`, tenantID).Scan(&plan)
	if errors.Is(err, pgx.ErrNoRows) {
		return TenantLimits{}, tenants.Errorf(tenants.ENotFound, "tenant not found")
	}
	if err != nil {
		return TenantLimits{}, err
	}
	p := PlanFor(plan)
	return TenantLimits{Plan: p, ConcurrentLines: p.ConcurrentLines, DailyCalls: p.DailyCalls, ScriptCPUPerTurn: p.ScriptCPUPerTurn}, nil
}

// Why a dial is refused.
const (
	ReasonSuspended      = "suspended"           // the tenant is suspended
	ReasonPaymentOverdue = "payment_overdue"     // a payment failed and the grace period is over
	ReasonTrialUsedUp    = "trial_used_up"       // the trial's included minutes are used
	ReasonHardBudget     = "hard_budget_reached" // this month's usage reached the hard budget
	ReasonDailyCap       = "daily_cap_reached"   // the plan's daily call cap is reached
)

// Refusal is a dial billing does not allow. It unwraps to a
// *tenants.Error with code forbidden, so the API shows it as 403.
type Refusal struct {
	Reason string
	Err    *tenants.Error
}

func (r *Refusal) Error() string { return r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

func refuse(reason, format string, args ...any) error {
	return &Refusal{Reason: reason, Err: tenants.Errorf(tenants.EForbidden, format, args...)}
}

// RefusalReason returns the Reason of err's *Refusal, or "" when err is
// not a refusal.
func RefusalReason(err error) string {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Reason
	}
	return ""
}

// CanDial reports whether tenantID may start a new call at now: nil, or a
// *Refusal saying why not (suspended, payment overdue after the grace
// period, trial minutes used up, hard budget reached). It reads in tx, a
// transaction of that tenant, and changes nothing; calls in progress are
// not its business. now is the caller's clock, the one its dial check and
// the usage it records read, never the database's.
func CanDial(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, now time.Time) error {
	var (
		plan                string
		suspended, overdue  bool
		hardBudget          *int64
		spent, trialMinutes int64
	)
	err := tx.QueryRow(ctx, `SELECT t.plan, t.suspended_at IS NOT NULL,
			COALESCE(a.payment_grace_until <= $2, false), a.hard_budget_cents,
			COALESCE(p.amount_cents, 0),
			COALESCE((SELECT sum(trial_minutes) FROM usage_periods WHERE tenant_id = t.id), 0)::bigint
		FROM tenants t
		LEFT JOIN billing_accounts a ON a.tenant_id = t.id
		LEFT JOIN usage_periods p ON p.tenant_id = t.id AND p.period_start = $3
		WHERE t.id = $1`, tenantID, now, periodStart(now)).
		Scan(&plan, &suspended, &overdue, &hardBudget, &spent, &trialMinutes)
	if errors.Is(err, pgx.ErrNoRows) {
		return tenants.Errorf(tenants.ENotFound, "tenant not found")
	}
	if err != nil {
		return err
	}
	p := PlanFor(plan)
	switch {
	case suspended:
		return refuse(ReasonSuspended, "dialling is suspended for this tenant; contact support")
	case overdue:
		return refuse(ReasonPaymentOverdue, "dialling is paused because a payment failed; update the payment method in the billing portal")
	case p.IncludedMinutes > 0 && trialMinutes >= p.IncludedMinutes:
		return refuse(ReasonTrialUsedUp, "the %s plan's %d minutes are used up; subscribe to a plan to keep dialling", p.Title, p.IncludedMinutes)
	case hardBudget != nil && spent >= *hardBudget:
		return refuse(ReasonHardBudget, "this month's usage (%s) reached the hard budget (%s); raise the budget to keep dialling",
			money(spent, p.Currency), money(*hardBudget, p.Currency))
	}
	return nil
}

// ReserveDial is CanDial plus the plan's daily call cap: it counts one dial
// against the day that holds now (in the tenant's time zone) and refuses
// when the cap is reached. Call it in the transaction that records the
// attempt, so a rolled-back attempt gives its place back.
func ReserveDial(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, now time.Time) error {
	if err := CanDial(ctx, tx, tenantID, now); err != nil {
		return err
	}
	lim, err := Limits(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	var dials int
	err = tx.QueryRow(ctx, `INSERT INTO dial_counts AS d (tenant_id, day, dials)
		SELECT id, ($3::timestamptz AT TIME ZONE time_zone)::date, 1 FROM tenants WHERE id = $1
		ON CONFLICT (tenant_id, day) DO UPDATE SET dials = d.dials + 1 WHERE d.dials < $2
		RETURNING dials`, tenantID, lim.DailyCalls, now).Scan(&dials)
	if errors.Is(err, pgx.ErrNoRows) {
		return refuse(ReasonDailyCap, "the %s plan allows %d calls a day and today's are used; dialling resumes tomorrow", lim.Plan.Title, lim.DailyCalls)
	}
	return err
}

// CallAllowance is how long a call the tenant places now may last once it
// is answered: 0 when its plan sets no limit of its own, else (a plan with
// included minutes, the trial) the call's share of the minutes left — the
// minutes left over the plan's lines, whole, at least one, less two
// seconds so a call that runs its full share is not billed a minute more
// (every started minute is billed). Calls the lines carry at once thus
// cannot run past the minutes left by more than one minute per line, where
// a check only at dial time would let each run for as long as it liked.
// It reads in tx, a transaction of that tenant.
func CallAllowance(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (time.Duration, error) {
	var plan string
	var used int64
	err := tx.QueryRow(ctx, `SELECT t.plan, COALESCE((SELECT sum(trial_minutes) FROM usage_periods WHERE tenant_id = t.id), 0)::bigint
		FROM tenants t WHERE t.id = $1`, tenantID).Scan(&plan, &used)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, tenants.Errorf(tenants.ENotFound, "tenant not found")
	}
	if err != nil {
		return 0, err
	}
	p := PlanFor(plan)
	if p.IncludedMinutes <= 0 {
		return 0, nil
	}
	share := max((p.IncludedMinutes-used)/int64(max(p.ConcurrentLines, 1)), 1)
	return time.Duration(share)*time.Minute - 2*time.Second, nil
}
