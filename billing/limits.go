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
	// CallsPerSecond is the plan's pace of new dials (0: none of its
	// own; see Plan.CallsPerSecond).
	CallsPerSecond float64
	// DailyCalls caps the dials started per day (ReserveDial counts them).
	DailyCalls int
	// ScriptCPUPerTurn is the dialog script's CPU budget per turn.
	ScriptCPUPerTurn time.Duration
	// Destinations are the regions the tenant may dial (none: any).
	Destinations []string
}

func limitsOf(p Plan) TenantLimits {
	return TenantLimits{Plan: p, ConcurrentLines: p.ConcurrentLines, CallsPerSecond: p.CallsPerSecond, DailyCalls: p.DailyCalls,
		ScriptCPUPerTurn: p.ScriptCPUPerTurn, Destinations: p.Destinations}
}

// Limits returns tenantID's limits, read afresh from its plan's row in tx
// (a transaction of that tenant), so a plan change, or a change of the
// plan itself, takes effect at the next check.
func Limits(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (TenantLimits, error) {
	var r planRow
	err := tx.QueryRow(ctx, `SELECT `+planColumns+` FROM tenants t JOIN plans p ON p.id = t.plan WHERE t.id = $1`, tenantID).Scan(r.dest()...)
	if err != nil {
		return TenantLimits{}, tenants.NotFound(err, "tenant not found")
	}
	return limitsOf(r.plan()), nil
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
	_, err := dialCheck(ctx, tx, tenantID, now)
	return err
}

// dialCheck is CanDial, returning the tenant's plan as it read it, in the
// same statement.
func dialCheck(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, now time.Time) (Plan, error) {
	var (
		r                   planRow
		suspended, overdue  bool
		hardBudget          *int64
		spent, trialMinutes int64
	)
	err := tx.QueryRow(ctx, `SELECT `+planColumns+`, t.suspended_at IS NOT NULL,
			COALESCE(a.payment_grace_until <= $2, false), a.hard_budget_cents,
			COALESCE(u.amount_cents, 0),
			COALESCE((SELECT sum(trial_minutes) FROM usage_periods WHERE tenant_id = t.id), 0)::bigint
		FROM tenants t
		JOIN plans p ON p.id = t.plan
		LEFT JOIN billing_accounts a ON a.tenant_id = t.id
		LEFT JOIN usage_periods u ON u.tenant_id = t.id AND u.period_start = $3
		WHERE t.id = $1`, tenantID, now, periodStart(now)).
		Scan(append(r.dest(), &suspended, &overdue, &hardBudget, &spent, &trialMinutes)...)
	if err != nil {
		return Plan{}, tenants.NotFound(err, "tenant not found")
	}
	p := r.plan()
	switch {
	case suspended:
		return p, refuse(ReasonSuspended, "dialling is suspended for this tenant; contact support")
	case overdue:
		return p, refuse(ReasonPaymentOverdue, "dialling is paused because a payment failed; update the payment method in the billing portal")
	case p.IncludedMinutes > 0 && trialMinutes >= p.IncludedMinutes:
		return p, refuse(ReasonTrialUsedUp, "the %s plan's %d minutes are used up; subscribe to a plan to keep dialling", p.Title, p.IncludedMinutes)
	case hardBudget != nil && spent >= *hardBudget:
		return p, refuse(ReasonHardBudget, "this month's usage (%s) reached the hard budget (%s); raise the budget to keep dialling",
			money(spent, p.Currency), money(*hardBudget, p.Currency))
	}
	return p, nil
}

// ReserveDial is CanDial plus the plan's daily call cap: it counts one dial
// against the day that holds now (in the tenant's time zone) and refuses
// when the cap is reached. Call it in the transaction that records the
// attempt, so a rolled-back attempt gives its place back.
func ReserveDial(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, now time.Time) error {
	p, err := dialCheck(ctx, tx, tenantID, now)
	if err != nil {
		return err
	}
	var dials int
	err = tx.QueryRow(ctx, `INSERT INTO dial_counts AS d (tenant_id, day, dials)
		SELECT id, ($3::timestamptz AT TIME ZONE time_zone)::date, 1 FROM tenants WHERE id = $1
		ON CONFLICT (tenant_id, day) DO UPDATE SET dials = d.dials + 1 WHERE d.dials < $2
		RETURNING dials`, tenantID, p.DailyCalls, now).Scan(&dials)
	if errors.Is(err, pgx.ErrNoRows) {
		return refuse(ReasonDailyCap, "the %s plan allows %d calls a day and today's are used; dialling resumes tomorrow", p.Title, p.DailyCalls)
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
	_, d, err := CallLimits(ctx, tx, tenantID)
	return d, err
}

// CallLimits is Limits and CallAllowance in one query, for placing a call.
func CallLimits(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (TenantLimits, time.Duration, error) {
	var r planRow
	var used int64
	err := tx.QueryRow(ctx, `SELECT `+planColumns+`, COALESCE((SELECT sum(trial_minutes) FROM usage_periods WHERE tenant_id = t.id), 0)::bigint
		FROM tenants t JOIN plans p ON p.id = t.plan WHERE t.id = $1`, tenantID).Scan(append(r.dest(), &used)...)
	if err != nil {
		return TenantLimits{}, 0, tenants.NotFound(err, "tenant not found")
	}
	p := r.plan()
	lim := limitsOf(p)
	if p.IncludedMinutes <= 0 {
		return lim, 0, nil
	}
	share := max((p.IncludedMinutes-used)/int64(max(p.ConcurrentLines, 1)), 1)
	return lim, time.Duration(share)*time.Minute - 2*time.Second, nil
}
