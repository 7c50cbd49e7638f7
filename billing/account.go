package billing

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// Account is a tenant's billing state as the tenant sees it.
type Account struct {
	// Enabled reports whether this outcall charges through Stripe.
	Enabled bool
	Limits  TenantLimits
	// Plans are the plans the tenant is shown, cheapest first: the public
	// ones and its own.
	Plans []Plan
	// DialRefusal says why new dials are refused now ("" when allowed),
	// with DialRefusalMessage for people.
	DialRefusal        string
	DialRefusalMessage string
	// Subscribed reports whether the tenant has a Stripe customer.
	Subscribed         bool
	SubscriptionStatus string
	BudgetCents        *int64
	HardBudgetCents    *int64
	PaymentFailedAt    *time.Time
	PaymentGraceUntil  *time.Time
	// Notices are the newest things billing told the tenant.
	Notices []Notice
}

// Notice is one thing billing told the tenant.
type Notice struct {
	ID          uuid.UUID
	Kind        string
	PeriodStart time.Time
	Message     string
	CreatedAt   time.Time
}

// Account returns the caller's tenant's billing state.
func (s *Service) Account(ctx context.Context, p tenants.Principal) (*Account, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	a := &Account{Enabled: s.Enabled()}
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		var err error
		if a.Limits, err = Limits(ctx, tx, p.TenantID); err != nil {
			return err
		}
		if a.Plans, err = tenantPlans(ctx, tx, p.TenantID); err != nil {
			return err
		}
		if err := CanDial(ctx, tx, p.TenantID, time.Now()); err != nil {
			if a.DialRefusal = RefusalReason(err); a.DialRefusal == "" {
				return err
			}
			a.DialRefusalMessage = err.Error()
		}
		var customer, status *string
		err = tx.QueryRow(ctx, `SELECT stripe_customer_id, subscription_status, budget_cents, hard_budget_cents, payment_failed_at, payment_grace_until
			FROM billing_accounts WHERE tenant_id = $1`, p.TenantID).
			Scan(&customer, &status, &a.BudgetCents, &a.HardBudgetCents, &a.PaymentFailedAt, &a.PaymentGraceUntil)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		a.Subscribed = customer != nil
		if status != nil {
			a.SubscriptionStatus = *status
		}
		rows, err := tx.Query(ctx, `SELECT id, kind, period_start, message, created_at FROM billing_notices
			WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT 20`, p.TenantID)
		if err != nil {
			return err
		}
		a.Notices, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notice, error) {
			var n Notice
			return n, r.Scan(&n.ID, &n.Kind, &n.PeriodStart, &n.Message, &n.CreatedAt)
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// SetBudget sets the monthly budget whose 80 % and 100 % raise
// usage.threshold_reached, and the hard budget at which new dials stop; nil
// removes one. Only owners manage billing.
func (s *Service) SetBudget(ctx context.Context, p tenants.Principal, budgetCents, hardBudgetCents *int64) error {
	if err := p.Require(tenants.RoleOwner); err != nil {
		return err
	}
	if budgetCents != nil && *budgetCents <= 0 {
		return tenants.FieldError("body.budget_cents", "the budget must be positive, or null for none")
	}
	if hardBudgetCents != nil && *hardBudgetCents <= 0 {
		return tenants.FieldError("body.hard_budget_cents", "the hard budget must be positive, or null for none")
	}
	return s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO billing_accounts (tenant_id, budget_cents, hard_budget_cents) VALUES ($1, $2, $3)
			ON CONFLICT (tenant_id) DO UPDATE SET budget_cents = $2, hard_budget_cents = $3, updated_at = now()`,
			p.TenantID, budgetCents, hardBudgetCents)
		return err
	})
}

// UsageTotals adds up ledger rows.
type UsageTotals struct {
	// Calls is the number of connected calls.
	Calls int64
	// Minutes is their billable minutes (every started minute).
	Minutes int64
	// Attempts is the number of dial attempts charged.
	Attempts int64
	// AmountCents is the usage's estimated charge at list prices.
	AmountCents int64
	// ModelTokens is what the tenant's language model used.
	ModelTokens int64
	// SMSMessages is the follow-up messages providers took, as they count
	// them.
	SMSMessages int64
	// AgentSeconds is the time agents at the desk spent on calls.
	AgentSeconds int64
}

// CampaignUsage is one campaign's share of a period.
type CampaignUsage struct {
	CampaignID *uuid.UUID
	UsageTotals
}

// DayUsage is one day's (UTC) share of a period.
type DayUsage struct {
	Day time.Time
	UsageTotals
}

// UsageReport is a tenant's usage in one calendar month (UTC).
type UsageReport struct {
	PeriodStart time.Time
	PeriodEnd   time.Time
	Plan        Plan
	Totals      UsageTotals
	// EstimatedCents is the usage's charge plus the plan's monthly fee.
	EstimatedCents int64
	ByCampaign     []CampaignUsage
	ByDay          []DayUsage
	// Reported counts the ledger rows by their Stripe state: pending,
	// reported, not_billed, failed.
	Reported map[string]int64
}

// Usage returns the caller's tenant's usage in the month that holds at
// (the current month when at is zero).
func (s *Service) Usage(ctx context.Context, p tenants.Principal, at time.Time) (*UsageReport, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	if at.IsZero() {
		at = time.Now()
	}
	r := &UsageReport{PeriodStart: periodStart(at), Reported: map[string]int64{}}
	r.PeriodEnd = r.PeriodStart.AddDate(0, 1, 0)
	sums := `count(*) FILTER (WHERE kind = 'call_minutes'), COALESCE(sum(quantity) FILTER (WHERE kind = 'call_minutes'), 0),
		COALESCE(sum(quantity) FILTER (WHERE kind = 'call_attempt'), 0), COALESCE(sum(amount_cents), 0),
		COALESCE(sum(quantity) FILTER (WHERE kind = 'model_tokens'), 0), COALESCE(sum(quantity) FILTER (WHERE kind = 'sms'), 0),
		COALESCE(sum(quantity) FILTER (WHERE kind = 'agent_seconds'), 0)`
	where := `WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3`
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		lim, err := Limits(ctx, tx, p.TenantID)
		if err != nil {
			return err
		}
		r.Plan = lim.Plan
		t := &r.Totals
		if err := tx.QueryRow(ctx, `SELECT `+sums+` FROM usage_ledger `+where, p.TenantID, r.PeriodStart, r.PeriodEnd).
			Scan(&t.Calls, &t.Minutes, &t.Attempts, &t.AmountCents, &t.ModelTokens, &t.SMSMessages, &t.AgentSeconds); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT campaign_id, `+sums+` FROM usage_ledger `+where+` GROUP BY campaign_id ORDER BY campaign_id NULLS LAST`,
			p.TenantID, r.PeriodStart, r.PeriodEnd)
		if err != nil {
			return err
		}
		if r.ByCampaign, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (CampaignUsage, error) {
			var c CampaignUsage
			return c, row.Scan(&c.CampaignID, &c.Calls, &c.Minutes, &c.Attempts, &c.AmountCents, &c.ModelTokens, &c.SMSMessages, &c.AgentSeconds)
		}); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, `+sums+` FROM usage_ledger `+where+` GROUP BY day ORDER BY day`,
			p.TenantID, r.PeriodStart, r.PeriodEnd)
		if err != nil {
			return err
		}
		if r.ByDay, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (DayUsage, error) {
			var d DayUsage
			return d, row.Scan(&d.Day, &d.Calls, &d.Minutes, &d.Attempts, &d.AmountCents, &d.ModelTokens, &d.SMSMessages, &d.AgentSeconds)
		}); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT stripe_status, count(*) FROM usage_ledger `+where+` GROUP BY stripe_status`,
			p.TenantID, r.PeriodStart, r.PeriodEnd)
		if err != nil {
			return err
		}
		var status string
		var n int64
		_, err = pgx.ForEachRow(rows, []any{&status, &n}, func() error { r.Reported[status] = n; return nil })
		return err
	})
	if err != nil {
		return nil, err
	}
	r.EstimatedCents = r.Totals.AmountCents + r.Plan.MonthlyCents
	return r, nil
}
