package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// CallUsage is what a closed call used.
type CallUsage struct {
	// CallID identifies the call; recording it again changes nothing.
	CallID uuid.UUID
	// CampaignID is the campaign the call belongs to, if any.
	CampaignID *uuid.UUID
	// ConnectedSeconds is how long the callee was on the line; 0 when
	// nobody answered.
	ConnectedSeconds int
	// EndedAt is when the call ended; it dates the usage.
	EndedAt time.Time
	// ModelTokens is what the tenant's language model used on the call.
	ModelTokens int
}

// BillableSeconds rounds connected seconds up to whole started minutes:
// 1 s and 60 s bill 60, 61 s bills 120.
func BillableSeconds(connected int) int {
	if connected <= 0 {
		return 0
	}
	return (connected + 59) / 60 * 60
}

// Usage kinds in the ledger.
const (
	KindMinutes = "call_minutes"
	KindAttempt = "call_attempt"
	// KindModelTokens counts a call's language model tokens. No plan
	// prices them yet: the rows are kept (not_billed) and totalled per
	// period, for the tenant's and the operator's view.
	KindModelTokens = "model_tokens"
	// KindSMS counts the follow-up messages a provider took (its count of
	// billable messages). No plan prices them yet: the rows are kept
	// (not_billed) and totalled per period.
	KindSMS = "sms"
	// KindAgentSeconds counts the time an agent at the desk spent on a
	// call, one row per call. No plan prices it yet: the rows are kept
	// (not_billed) and totalled per period.
	KindAgentSeconds = "agent_seconds"
)

// Notice kinds.
const (
	NoticeUsage80       = "usage_80"
	NoticeUsage100      = "usage_100"
	NoticePaymentFailed = "payment_failed"
)

// RecordCall writes a closed call's usage to the ledger, in tx: the
// transaction that closes the call, scoped to tenantID
// (tenants.DB.InTenant or tenants.SetTenant). A connected call gives a
// minutes row (every started minute counted); a plan with an attempt fee
// adds an attempt row for every call, answered or not. Recording the same
// CallID again changes nothing. When the new usage crosses 80 % or 100 %
// of the tenant's monthly budget it raises usage.threshold_reached through
// events (the caller's webhook emitter; nil: see webhooks.Emitter), once
// per month and threshold.
func RecordCall(ctx context.Context, tx pgx.Tx, events *webhooks.Emitter, tenantID uuid.UUID, u CallUsage) error {
	if u.CallID == uuid.Nil {
		return errors.New("billing: RecordCall without a call id")
	}
	if u.ConnectedSeconds < 0 {
		return fmt.Errorf("billing: call %s has negative connected seconds (%d)", u.CallID, u.ConnectedSeconds)
	}
	if u.EndedAt.IsZero() {
		u.EndedAt = time.Now()
	}
	var r planRow
	err := tx.QueryRow(ctx, `SELECT `+planColumns+` FROM tenants t JOIN plans p ON p.id = t.plan WHERE t.id = $1`, tenantID).Scan(r.dest()...)
	if err != nil {
		return tenants.NotFound(err, "tenant not found")
	}
	plan := r.plan()
	billable := BillableSeconds(u.ConnectedSeconds)
	minutes := int64(billable / 60)

	var added struct{ calls, minutes, attempts, amount, trial, tokens int64 }
	insert := func(kind string, quantity, amount int64, meter string) error {
		status := "pending"
		if meter == "" {
			status = "not_billed"
		}
		var id uuid.UUID
		err := tx.QueryRow(ctx, `INSERT INTO usage_ledger (id, tenant_id, kind, call_id, campaign_id, plan, quantity,
				connected_seconds, billable_seconds, amount_cents, occurred_at, stripe_status)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (tenant_id, call_id, kind) DO NOTHING RETURNING id`,
			uuid.New(), tenantID, kind, u.CallID, u.CampaignID, plan.Name, quantity,
			u.ConnectedSeconds, billable, amount, u.EndedAt, status).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // recorded before
		}
		if err != nil {
			return err
		}
		added.amount += amount
		switch kind {
		case KindMinutes:
			added.calls++
			added.minutes += quantity
			if plan.IncludedMinutes > 0 {
				added.trial += quantity
			}
		case KindModelTokens:
			added.tokens += quantity
		default:
			added.attempts++
		}
		return nil
	}
	if minutes > 0 {
		if err := insert(KindMinutes, minutes, minutes*plan.PerMinuteCents, plan.MinutesMeter); err != nil {
			return err
		}
	}
	if plan.PerAttemptCents > 0 {
		if err := insert(KindAttempt, 1, plan.PerAttemptCents, plan.AttemptsMeter); err != nil {
			return err
		}
	}
	if u.ModelTokens > 0 {
		if err := insert(KindModelTokens, int64(u.ModelTokens), 0, ""); err != nil {
			return err
		}
	}
	if added.calls+added.attempts+added.tokens == 0 {
		return nil
	}
	period := periodStart(u.EndedAt)
	var total int64
	err = tx.QueryRow(ctx, `INSERT INTO usage_periods AS p (tenant_id, period_start, calls, minutes, attempts, amount_cents, trial_minutes, model_tokens)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (tenant_id, period_start) DO UPDATE SET calls = p.calls + $3, minutes = p.minutes + $4,
			attempts = p.attempts + $5, amount_cents = p.amount_cents + $6, trial_minutes = p.trial_minutes + $7,
			model_tokens = p.model_tokens + $8
		RETURNING amount_cents`,
		tenantID, period, added.calls, added.minutes, added.attempts, added.amount, added.trial, added.tokens).Scan(&total)
	if err != nil {
		return err
	}
	if added.amount > 0 {
		return checkThresholds(ctx, tx, events, tenantID, plan, period, total-added.amount, total)
	}
	return nil
}

// checkThresholds raises a notice and a usage.threshold_reached event for
// each share of the budget that the period's total just passed.
func checkThresholds(ctx context.Context, tx pgx.Tx, events *webhooks.Emitter, tenantID uuid.UUID, plan Plan, period time.Time, before, after int64) error {
	var budget *int64
	err := tx.QueryRow(ctx, `SELECT budget_cents FROM billing_accounts WHERE tenant_id = $1`, tenantID).Scan(&budget)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && budget == nil) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, th := range []struct {
		percent int64
		kind    string
	}{{80, NoticeUsage80}, {100, NoticeUsage100}} {
		mark := *budget * th.percent / 100
		if before >= mark || after < mark {
			continue
		}
		msg := fmt.Sprintf("Usage this month reached %d %% of the budget: %s of %s.", th.percent, money(after, plan.Currency), money(*budget, plan.Currency))
		raised, err := notify(ctx, tx, tenantID, th.kind, period, msg)
		if err != nil || !raised {
			return err
		}
		_, err = events.Emit(ctx, tx, tenantID, webhooks.UsageThreshold, map[string]any{
			"percent": th.percent, "period_start": period.Format(time.DateOnly),
			"amount_cents": after, "budget_cents": *budget, "currency": plan.Currency,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// notify records a notice for the tenant once per kind and period; it
// reports whether this call recorded it.
func notify(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, kind string, period time.Time, message string) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO billing_notices (id, tenant_id, kind, period_start, message) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, kind, period_start) DO NOTHING`, uuid.New(), tenantID, kind, period, message)
	return tag.RowsAffected() == 1, err
}

// PeriodStart is the first day of the billing period (a calendar month in
// UTC) that holds t: usage is totalled per such period.
func PeriodStart(t time.Time) time.Time { return periodStart(t) }

// periodStart is the first day of t's calendar month in UTC: usage is
// totalled per such month.
func periodStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// money formats cents of currency for people: "12.34 USD".
func money(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, cents/100, cents%100, strings.ToUpper(currency))
}

// MessageUsage is what one sent follow-up message used.
type MessageUsage struct {
	MessageID  uuid.UUID
	CampaignID *uuid.UUID
	// Messages is the provider's count of billable messages (at least 1).
	Messages int
	SentAt   time.Time
}

// RecordMessage writes a sent message's usage to the ledger, in tx: the
// transaction that records the provider's acceptance, scoped to tenantID.
// Recording the same message again changes nothing.
func RecordMessage(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, u MessageUsage) error {
	if u.MessageID == uuid.Nil {
		return errors.New("billing: RecordMessage without a message id")
	}
	u.Messages = max(u.Messages, 1)
	if u.SentAt.IsZero() {
		u.SentAt = time.Now()
	}
	tag, err := tx.Exec(ctx, `INSERT INTO usage_ledger (id, tenant_id, kind, message_id, campaign_id, plan, quantity, occurred_at, stripe_status)
		SELECT $1, $2, $3, $4, $5, t.plan, $6, $7, 'not_billed' FROM tenants t WHERE t.id = $2
		ON CONFLICT (tenant_id, message_id, kind) WHERE message_id IS NOT NULL DO NOTHING`,
		uuid.New(), tenantID, KindSMS, u.MessageID, u.CampaignID, u.Messages, u.SentAt)
	if err != nil || tag.RowsAffected() == 0 {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO usage_periods AS p (tenant_id, period_start, sms_messages) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id, period_start) DO UPDATE SET sms_messages = p.sms_messages + $3`,
		tenantID, periodStart(u.SentAt), u.Messages)
	return err
}

// RecordAgentTime meters seconds an agent spent on callID (their desk's
// connection to its end), in the transaction that ends the agent's part of
// the call, scoped to tenantID. Recording the same call again changes
// nothing.
func RecordAgentTime(ctx context.Context, tx pgx.Tx, tenantID, callID uuid.UUID, campaignID *uuid.UUID, seconds int64, at time.Time) error {
	if callID == uuid.Nil {
		return errors.New("billing: RecordAgentTime without a call id")
	}
	seconds = max(seconds, 0)
	tag, err := tx.Exec(ctx, `INSERT INTO usage_ledger (id, tenant_id, kind, call_id, campaign_id, plan, quantity, occurred_at, stripe_status)
		SELECT $1, $2, $3, $4, $5, t.plan, $6, $7, 'not_billed' FROM tenants t WHERE t.id = $2
		ON CONFLICT (tenant_id, call_id, kind) DO NOTHING`,
		uuid.New(), tenantID, KindAgentSeconds, callID, campaignID, seconds, at)
	if err != nil || tag.RowsAffected() == 0 {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO usage_periods AS p (tenant_id, period_start, agent_seconds) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id, period_start) DO UPDATE SET agent_seconds = p.agent_seconds + $3`,
		tenantID, periodStart(at), seconds)
	return err
}
