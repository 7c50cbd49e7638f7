package admin

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/tenants"
)

// TenantUsage is a tenant as operators see it: its plan, whether it is
// suspended, and what it used in the current billing period.
type TenantUsage struct {
	ID          uuid.UUID
	Name        string
	Plan        string
	SuspendedAt *time.Time
	CreatedAt   time.Time
	// PeriodStart is the first day of the period the usage is of (a
	// calendar month in UTC).
	PeriodStart time.Time
	// Calls are the connected calls, Minutes their billable minutes,
	// Attempts the dial attempts charged, AmountCents the charge at list
	// prices, in Currency (the plan's).
	Calls, Minutes, Attempts, AmountCents int64
	Currency                              string
}

// MaxPage is the most tenants or audit entries one page holds.
const MaxPage = 500

// Tenants returns a page of every tenant, oldest first, with its usage this
// period; after is the id of the previous page's last tenant.
func (s *Service) Tenants(ctx context.Context, after *uuid.UUID, limit int) ([]TenantUsage, error) {
	period := billing.PeriodStart(s.now())
	rows, err := s.db.Pool().Query(ctx, `SELECT tenant_id, name, plan, suspended_at, created_at, calls, minutes, attempts, amount_cents
		FROM admin_tenants($1, $2, $3)`, after, min(max(limit, 1), MaxPage), period)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TenantUsage, error) {
		t := TenantUsage{PeriodStart: period}
		return t, r.Scan(&t.ID, &t.Name, &t.Plan, &t.SuspendedAt, &t.CreatedAt, &t.Calls, &t.Minutes, &t.Attempts, &t.AmountCents)
	})
	if err != nil {
		return nil, err
	}
	plans, err := billing.ListPlans(ctx, s.db.Pool())
	if err != nil {
		return nil, err
	}
	currency := map[string]string{}
	for _, p := range plans {
		currency[p.Name] = p.Currency
	}
	for i := range list {
		list[i].Currency = currency[list[i].Plan]
	}
	return list, nil
}

// Tenant returns one tenant with its usage this period.
func (s *Service) Tenant(ctx context.Context, id uuid.UUID) (TenantUsage, error) {
	var t TenantUsage
	err := s.db.InTenant(ctx, id, func(tx pgx.Tx) (err error) {
		t, err = s.readTenant(ctx, tx, id)
		return err
	})
	return t, err
}

// readTenant reads the tenant and its usage this period in tx, the
// tenant's transaction.
func (s *Service) readTenant(ctx context.Context, tx pgx.Tx, id uuid.UUID) (TenantUsage, error) {
	t := TenantUsage{PeriodStart: billing.PeriodStart(s.now())}
	err := tx.QueryRow(ctx, `SELECT t.id, t.name, t.plan, t.suspended_at, t.created_at,
			coalesce(u.calls, 0), coalesce(u.minutes, 0), coalesce(u.attempts, 0), coalesce(u.amount_cents, 0), p.currency
		FROM tenants t JOIN plans p ON p.id = t.plan
		LEFT JOIN usage_periods u ON u.tenant_id = t.id AND u.period_start = $2
		WHERE t.id = $1`, id, t.PeriodStart).
		Scan(&t.ID, &t.Name, &t.Plan, &t.SuspendedAt, &t.CreatedAt, &t.Calls, &t.Minutes, &t.Attempts, &t.AmountCents, &t.Currency)
	return t, tenants.NotFound(err, "tenant not found")
}

// AssignPlan puts the tenant on the plan called plan and records the plan
// it was on. Its new limits apply from its next check; calls in progress
// finish. With Stripe on, the tenant's next subscription event sets its
// plan from the subscription again.
func (s *Service) AssignPlan(ctx context.Context, by Operator, id uuid.UUID, plan string) (TenantUsage, error) {
	var t TenantUsage
	now := s.now()
	err := s.db.InTenant(ctx, id, func(tx pgx.Tx) error {
		prev, err := billing.AssignPlan(ctx, tx, id, plan)
		if err != nil {
			return err
		}
		if prev != plan {
			if err := s.record(ctx, tx, by, now, ActionTenantPlan, &plan, &id, map[string]string{"previous_plan": prev, "plan": plan}); err != nil {
				return err
			}
		}
		t, err = s.readTenant(ctx, tx, id)
		return err
	})
	return t, err
}

// Suspend stops the tenant's new dials (calls in progress finish; its
// people still log in and read) and records why. Suspending a suspended
// tenant changes nothing.
func (s *Service) Suspend(ctx context.Context, by Operator, id uuid.UUID, reason string) (TenantUsage, error) {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 500 {
		return TenantUsage{}, tenants.FieldError("body.reason", "the reason has at most 500 characters")
	}
	now := s.now()
	return s.setSuspended(ctx, by, id, now, &now, ActionTenantSuspend, map[string]string{"reason": reason})
}

// Resume lets a suspended tenant dial again. Resuming a tenant that is not
// suspended changes nothing.
func (s *Service) Resume(ctx context.Context, by Operator, id uuid.UUID) (TenantUsage, error) {
	return s.setSuspended(ctx, by, id, s.now(), nil, ActionTenantResume, map[string]string{})
}

// setSuspended suspends the tenant at at (resumes it when nil) and records
// the change, at now, when there was one.
func (s *Service) setSuspended(ctx context.Context, by Operator, id uuid.UUID, now time.Time, at *time.Time, action string, detail map[string]string) (TenantUsage, error) {
	var t TenantUsage
	err := s.db.InTenant(ctx, id, func(tx pgx.Tx) error {
		changed, err := tenants.SetSuspended(ctx, tx, id, at)
		if err != nil {
			return err
		}
		if changed {
			if err := s.record(ctx, tx, by, now, action, nil, &id, detail); err != nil {
				return err
			}
		}
		t, err = s.readTenant(ctx, tx, id)
		return err
	})
	return t, err
}
