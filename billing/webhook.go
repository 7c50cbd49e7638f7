package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/webhook"

	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// ErrSignature is returned for a webhook whose Stripe-Signature does not
// verify (wrong secret, altered body, or older than five minutes).
var ErrSignature = errors.New("billing: the Stripe-Signature header does not match the payload")

// WebhookResult says what HandleWebhook did with an event.
type WebhookResult struct {
	EventID string
	Type    string
	// Outcome is "applied", "replay" (seen before), "stale" (older than
	// what was applied), "ignored" (a type or customer outcall does not
	// follow).
	Outcome string
}

// HandleWebhook verifies a Stripe webhook (the raw body and its
// Stripe-Signature header) and applies it: invoice.paid clears a failed
// payment; invoice.payment_failed starts the grace period after which new
// dials stop, records a notice and raises billing.payment_failed;
// customer.subscription.created/updated/deleted set the tenant's plan, so
// its limits change at the next check. Each event applies once (by event
// id), and an event older than one already applied to the same state is
// ignored, so replays and out-of-order deliveries are harmless.
func (s *Service) HandleWebhook(ctx context.Context, payload []byte, signature string) (WebhookResult, error) {
	if s.cfg.WebhookSecret == "" {
		return WebhookResult{}, tenants.Errorf(tenants.EConflict, "billing is off: no Stripe webhook secret is configured (OUTCALL_STRIPE_WEBHOOK_SECRET)")
	}
	// outcall reads only fields that are stable across Stripe API
	// versions, so an endpoint on a newer version than stripe-go's is fine.
	ev, err := webhook.ConstructEventWithOptions(payload, signature, s.cfg.WebhookSecret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		return WebhookResult{}, fmt.Errorf("%w (%v)", ErrSignature, err)
	}
	res := WebhookResult{EventID: ev.ID, Type: string(ev.Type), Outcome: "ignored"}
	created := time.Unix(ev.Created, 0).UTC()

	var apply func(tx pgx.Tx, tenantID uuid.UUID) (bool, error)
	var customer string
	switch ev.Type {
	case "invoice.paid", "invoice.payment_failed":
		var inv stripe.Invoice
		if err := json.Unmarshal(ev.Data.Raw, &inv); err != nil {
			return res, fmt.Errorf("billing: decode %s %s: %w", ev.Type, ev.ID, err)
		}
		if inv.Customer != nil {
			customer = inv.Customer.ID
		}
		if ev.Type == "invoice.paid" {
			apply = func(tx pgx.Tx, tenantID uuid.UUID) (bool, error) { return s.invoicePaid(ctx, tx, tenantID, created) }
		} else {
			apply = func(tx pgx.Tx, tenantID uuid.UUID) (bool, error) {
				return s.paymentFailed(ctx, tx, tenantID, created, &inv)
			}
		}
	case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted":
		var sub stripe.Subscription
		if err := json.Unmarshal(ev.Data.Raw, &sub); err != nil {
			return res, fmt.Errorf("billing: decode %s %s: %w", ev.Type, ev.ID, err)
		}
		if sub.Customer != nil {
			customer = sub.Customer.ID
		}
		deleted := ev.Type == "customer.subscription.deleted"
		apply = func(tx pgx.Tx, tenantID uuid.UUID) (bool, error) {
			return s.subscriptionChanged(ctx, tx, tenantID, created, &sub, deleted)
		}
	default:
		return res, nil
	}

	var tenantID *uuid.UUID
	if customer != "" {
		if err := s.db.Pool().QueryRow(ctx, `SELECT billing_tenant_by_customer($1)`, customer).Scan(&tenantID); err != nil {
			return res, err
		}
	}
	if tenantID == nil {
		s.log.WarnContext(ctx, "Stripe event for a customer outcall does not know; ignored",
			slog.String("event", ev.ID), slog.String("type", string(ev.Type)), slog.String("customer", customer))
		return res, nil
	}
	err = s.db.InTenant(ctx, *tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO stripe_events (event_id, tenant_id, type, created) VALUES ($1, $2, $3, $4)
			ON CONFLICT (event_id) DO NOTHING`, ev.ID, *tenantID, string(ev.Type), created)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			res.Outcome = "replay"
			return nil
		}
		applied, err := apply(tx, *tenantID)
		if err != nil {
			return err
		}
		res.Outcome = "stale"
		if applied {
			res.Outcome = "applied"
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	s.log.InfoContext(ctx, "Stripe event", slog.String("event", ev.ID), slog.String("type", string(ev.Type)),
		slog.String("tenant", tenantID.String()), slog.String("outcome", res.Outcome))
	return res, nil
}

// invoicePaid clears a failed payment, unless a newer payment event was
// applied already.
func (s *Service) invoicePaid(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, created time.Time) (bool, error) {
	tag, err := tx.Exec(ctx, `UPDATE billing_accounts SET payment_failed_at = NULL, payment_grace_until = NULL,
			payment_event_at = $2, updated_at = now()
		WHERE tenant_id = $1 AND (payment_event_at IS NULL OR payment_event_at <= $2)`, tenantID, created)
	return tag.RowsAffected() == 1, err
}

// paymentFailed starts the grace period (a second failure keeps the first
// one's), records a notice and raises billing.payment_failed.
func (s *Service) paymentFailed(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, created time.Time, inv *stripe.Invoice) (bool, error) {
	var graceUntil time.Time
	err := tx.QueryRow(ctx, `UPDATE billing_accounts SET payment_failed_at = COALESCE(payment_failed_at, $2),
			payment_grace_until = COALESCE(payment_grace_until, $2 + $3 * interval '1 second'),
			payment_event_at = $2, updated_at = now()
		WHERE tenant_id = $1 AND (payment_event_at IS NULL OR payment_event_at <= $2)
		RETURNING payment_grace_until`, tenantID, created, s.cfg.GracePeriod.Seconds()).Scan(&graceUntil)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	msg := fmt.Sprintf("A payment of %s failed. Dialling stops on %s UTC unless the payment method is updated in the billing portal.",
		money(inv.AmountDue, string(inv.Currency)), graceUntil.UTC().Format("2006-01-02 15:04"))
	raised, err := notify(ctx, tx, tenantID, NoticePaymentFailed, created.Truncate(24*time.Hour), msg)
	if err != nil || !raised {
		return true, err
	}
	_, err = s.events.Emit(ctx, tx, tenantID, webhooks.BillingPaymentFailed, map[string]any{
		"invoice_id": inv.ID, "amount_due": inv.AmountDue, "currency": inv.Currency,
		"attempt_count": inv.AttemptCount, "dialling_stops_at": graceUntil,
	})
	return true, err
}

// subscriptionChanged records the subscription and sets the tenant's plan
// from its prices (or its plan metadata). A subscription that ended puts
// the tenant back on the trial plan.
func (s *Service) subscriptionChanged(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, created time.Time, sub *stripe.Subscription, deleted bool) (bool, error) {
	status := string(sub.Status)
	if deleted {
		status = string(stripe.SubscriptionStatusCanceled)
	}
	plan := ""
	switch {
	case liveSubscription(status):
		var err error
		if plan, err = subscriptionPlan(ctx, tx, sub); err != nil {
			return false, err
		}
	case status == string(stripe.SubscriptionStatusCanceled), status == string(stripe.SubscriptionStatusUnpaid),
		status == string(stripe.SubscriptionStatusIncompleteExpired):
		plan = Trial
	}
	// An ended subscription that is not the tenant's current one (it
	// subscribed anew since) changes nothing.
	tag, err := tx.Exec(ctx, `UPDATE billing_accounts SET stripe_subscription_id = $2, subscription_status = $3,
			subscription_event_at = $4, updated_at = now()
		WHERE tenant_id = $1 AND (subscription_event_at IS NULL OR subscription_event_at <= $4)
			AND ($5 = false OR stripe_subscription_id IS NULL OR stripe_subscription_id = $2)`,
		tenantID, sub.ID, status, created, plan == Trial)
	if err != nil || tag.RowsAffected() == 0 {
		return false, err
	}
	if plan == "" {
		return true, nil // incomplete: wait for the payment to settle
	}
	_, err = tx.Exec(ctx, `UPDATE tenants SET plan = $2 WHERE id = $1`, tenantID, plan)
	return true, err
}

// subscriptionPlan finds the plan of a subscription by its prices, each
// by its id or else its lookup key (plans.stripe_prices), else by the plan
// named in its metadata (set at Checkout) when that plan is sold through
// Stripe; "" when none.
func subscriptionPlan(ctx context.Context, tx pgx.Tx, sub *stripe.Subscription) (string, error) {
	if sub.Items != nil {
		for _, it := range sub.Items.Data {
			if it.Price == nil {
				continue
			}
			p, ok, err := planByPrice(ctx, tx, it.Price.ID, it.Price.LookupKey)
			if err != nil || ok {
				return p.Name, err
			}
		}
	}
	name := sub.Metadata["plan"]
	if name == "" {
		return "", nil
	}
	p, err := GetPlan(ctx, tx, name)
	if tenants.ErrorCode(err) == tenants.ENotFound || (err == nil && !p.Sold()) {
		return "", nil
	}
	return p.Name, err
}
