package billing_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/webhook"

	"github.com/outcall/outcall/billing"
)

// stripeEvent builds a Stripe event of typ around object, created at
// created, and signs it with secret as Stripe does.
func stripeEvent(t *testing.T, secret, id, typ string, created time.Time, object map[string]any) (payload []byte, header string) {
	t.Helper()
	payload, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "created": created.Unix(), "api_version": stripe.APIVersion,
		"livemode": false, "data": map[string]any{"object": object},
	})
	if err != nil {
		t.Fatal(err)
	}
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
	return signed.Payload, signed.Header
}

func subscription(id, customer, status, priceLookupKey string) map[string]any {
	return map[string]any{
		"id": id, "object": "subscription", "customer": customer, "status": status,
		"items": map[string]any{"object": "list", "data": []any{
			map[string]any{"id": "si_1", "object": "subscription_item", "price": map[string]any{"id": "price_1", "object": "price", "lookup_key": priceLookupKey}},
		}},
	}
}

func invoice(id, customer string) map[string]any {
	return map[string]any{"id": id, "object": "invoice", "customer": customer, "amount_due": 4990, "currency": "usd", "attempt_count": 1}
}

func (e *env) plan(tenantID uuid.UUID) string {
	var p string
	if err := e.admin.QueryRow(context.Background(), `SELECT plan FROM tenants WHERE id = $1`, tenantID).Scan(&p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func TestAWebhookWithAForgedSignatureIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.service("")
	ten := e.tenant("Shop", billing.Trial)
	e.customer(ten, "cus_shop")
	payload, header := stripeEvent(t, "whsec_someone_else", "evt_1", "customer.subscription.updated", time.Now(), subscription("sub_1", "cus_shop", "active", "outcall_pro_minutes"))
	if _, err := svc.HandleWebhook(context.Background(), payload, header); !errors.Is(err, billing.ErrSignature) {
		t.Fatalf("wrong secret: %v", err)
	}
	payload, header = stripeEvent(t, testWebhookSecret, "evt_1", "customer.subscription.updated", time.Now(), subscription("sub_1", "cus_shop", "active", "outcall_pro_minutes"))
	tampered := []byte(string(payload[:len(payload)-1]) + " }")
	if _, err := svc.HandleWebhook(context.Background(), tampered, header); !errors.Is(err, billing.ErrSignature) {
		t.Fatalf("altered body: %v", err)
	}
	if e.plan(ten) != billing.Trial {
		t.Fatal("a refused webhook changed the plan")
	}
	if _, err := svc.HandleWebhook(context.Background(), payload, header); err != nil {
		t.Fatalf("the genuine webhook: %v", err)
	}
	if e.plan(ten) != billing.Pro {
		t.Fatalf("plan %q after a genuine subscription update", e.plan(ten))
	}
}

func TestASubscriptionChangeSetsThePlanAndItsLimitsForTheNextCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.service("")
	ten := e.tenant("Shop", billing.Trial)
	e.customer(ten, "cus_shop")
	send := func(id, typ string, created time.Time, obj map[string]any) billing.WebhookResult {
		t.Helper()
		p, h := stripeEvent(t, testWebhookSecret, id, typ, created, obj)
		res, err := svc.HandleWebhook(context.Background(), p, h)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	t0 := time.Now().Add(-time.Hour)
	send("evt_1", "customer.subscription.created", t0, subscription("sub_1", "cus_shop", "active", "outcall_payg_minutes"))
	if e.plan(ten) != billing.PayG {
		t.Fatalf("plan %q after subscribing to payg", e.plan(ten))
	}
	send("evt_2", "customer.subscription.updated", t0.Add(2*time.Minute), subscription("sub_1", "cus_shop", "active", "outcall_pro_minutes"))
	if e.plan(ten) != billing.Pro {
		t.Fatalf("plan %q after upgrading", e.plan(ten))
	}
	e.inTenant(ten, func(tx pgx.Tx) error {
		lim, err := billing.Limits(context.Background(), tx, ten)
		if err == nil && (lim.ConcurrentLines != 200 || lim.Plan.Name != billing.Pro) {
			t.Fatalf("limits after upgrading: %+v", lim)
		}
		return err
	})
	// An older update delivered late changes nothing.
	if r := send("evt_3", "customer.subscription.updated", t0.Add(time.Minute), subscription("sub_1", "cus_shop", "active", "outcall_payg_minutes")); r.Outcome != "stale" {
		t.Fatalf("late event outcome %q", r.Outcome)
	}
	if e.plan(ten) != billing.Pro {
		t.Fatalf("a late event set the plan to %q", e.plan(ten))
	}
	// A replay changes nothing either.
	if r := send("evt_1", "customer.subscription.created", t0, subscription("sub_1", "cus_shop", "active", "outcall_payg_minutes")); r.Outcome != "replay" {
		t.Fatalf("replay outcome %q", r.Outcome)
	}
	if e.plan(ten) != billing.Pro {
		t.Fatalf("a replay set the plan to %q", e.plan(ten))
	}
	// The end of an old subscription does not touch the current one.
	send("evt_4", "customer.subscription.deleted", t0.Add(3*time.Minute), subscription("sub_old", "cus_shop", "canceled", "outcall_payg_minutes"))
	if e.plan(ten) != billing.Pro {
		t.Fatalf("an old subscription's end set the plan to %q", e.plan(ten))
	}
	send("evt_5", "customer.subscription.deleted", t0.Add(4*time.Minute), subscription("sub_1", "cus_shop", "canceled", "outcall_pro_minutes"))
	if e.plan(ten) != billing.Trial {
		t.Fatalf("plan %q after the subscription ended", e.plan(ten))
	}
}

func TestAFailedPaymentStopsDiallingAfterTheGracePeriodAndAPaidInvoiceResumesIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.service("")
	ten := e.tenant("Shop", billing.PayG)
	e.customer(ten, "cus_shop")
	send := func(id, typ string, created time.Time) {
		t.Helper()
		p, h := stripeEvent(t, testWebhookSecret, id, typ, created, invoice("in_1", "cus_shop"))
		if _, err := svc.HandleWebhook(context.Background(), p, h); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	send("evt_fail", "invoice.payment_failed", now.Add(-time.Hour))
	if err := e.canDial(ten); err != nil {
		t.Fatalf("within the grace period: %v", err)
	}
	if n := e.count(`SELECT count(*) FROM billing_notices WHERE tenant_id = $1 AND kind = 'payment_failed'`, ten); n != 1 {
		t.Fatalf("%d payment notices", n)
	}
	if n := e.count(`SELECT count(*) FROM webhook_events WHERE tenant_id = $1 AND type = 'billing.payment_failed'`, ten); n != 1 {
		t.Fatalf("%d billing.payment_failed events", n)
	}
	// The grace period ends.
	e.exec(`UPDATE billing_accounts SET payment_grace_until = $2 WHERE tenant_id = $1`, ten, time.Now().Add(-time.Second))
	err := e.canDial(ten)
	if billing.RefusalReason(err) != billing.ReasonPaymentOverdue {
		t.Fatalf("after the grace period: %v", err)
	}
	// The replayed failure notifies no one again.
	send("evt_fail", "invoice.payment_failed", now.Add(-time.Hour))
	if n := e.count(`SELECT count(*) FROM webhook_events WHERE tenant_id = $1 AND type = 'billing.payment_failed'`, ten); n != 1 {
		t.Fatalf("%d billing.payment_failed events after a replay", n)
	}
	// The customer pays.
	send("evt_paid", "invoice.paid", now)
	if err := e.canDial(ten); err != nil {
		t.Fatalf("after the invoice was paid: %v", err)
	}
	// The failure delivered once more, late, does not suspend again.
	send("evt_fail_late", "invoice.payment_failed", now.Add(-time.Hour))
	if err := e.canDial(ten); err != nil {
		t.Fatalf("a late failure suspended a paying tenant: %v", err)
	}
}

func TestEventsForUnknownCustomersAndTypesAreAcknowledgedAndIgnored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.service("")
	for i, typ := range []string{"invoice.paid", "charge.succeeded"} {
		p, h := stripeEvent(t, testWebhookSecret, fmt.Sprint("evt_", i), typ, time.Now(), invoice("in_1", "cus_nobody"))
		res, err := svc.HandleWebhook(context.Background(), p, h)
		if err != nil || res.Outcome != "ignored" {
			t.Fatalf("%s: %+v %v", typ, res, err)
		}
	}
}

func TestWithoutAWebhookSecretWebhooksAnswerThatBillingIsOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := billing.New(billing.Config{DB: e.db, Logger: quiet})
	_, err := svc.HandleWebhook(context.Background(), []byte(`{}`), "t=1,v1=00")
	if err == nil || errors.Is(err, billing.ErrSignature) {
		t.Fatalf("%v", err)
	}
}
