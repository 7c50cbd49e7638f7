package billing_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/tenants"
)

// The whole path of issue 7: a trial tenant calls and sees its usage,
// subscribes, its paid usage reaches Stripe exactly once, and a failed
// payment pauses and a paid invoice resumes its dialling, all through
// signed webhooks.
func TestATrialTenantSubscribesAndItsUsageReachesStripeOnceAndPaymentsPauseAndResumeDialling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	svc := e.service(rec.proxy(t, stripeMock(t)))
	ctx := context.Background()
	ten := e.tenant("某某商城", billing.Trial)
	owner := tenants.Principal{TenantID: ten, Role: tenants.RoleOwner}

	// On the trial: usage recorded and shown, nothing for Stripe.
	e.record(ten, nil, 90)
	u, err := svc.Usage(ctx, owner, time.Time{})
	if err != nil || u.Totals.Minutes != 2 || u.Reported["not_billed"] != 1 {
		t.Fatalf("trial usage: %+v %v", u, err)
	}

	// Subscribes: Checkout makes the customer, Stripe confirms by webhook.
	if _, err := svc.Checkout(ctx, owner, billing.PayG, "https://app.example/ok", "https://app.example/no"); err != nil {
		t.Fatal(err)
	}
	var customer string
	if err := e.admin.QueryRow(ctx, `SELECT stripe_customer_id FROM billing_accounts WHERE tenant_id = $1`, ten).Scan(&customer); err != nil {
		t.Fatal(err)
	}
	webhookOK := func(id, typ string, created time.Time, obj map[string]any) {
		t.Helper()
		p, h := stripeEvent(t, testWebhookSecret, id, typ, created, obj)
		if _, err := svc.HandleWebhook(ctx, p, h); err != nil {
			t.Fatal(err)
		}
	}
	webhookOK("evt_sub", "customer.subscription.created", time.Now().Add(-time.Minute), subscription("sub_1", customer, "active", "outcall_payg_minutes"))
	if e.plan(ten) != billing.PayG {
		t.Fatalf("plan %q after subscribing", e.plan(ten))
	}

	// Paid usage reaches Stripe once, trial usage never.
	campaign := uuid.New()
	e.record(ten, &campaign, 75)
	e.record(ten, &campaign, 0)
	for range 2 {
		if _, err := svc.ReportUsage(ctx); err != nil {
			t.Fatal(err)
		}
	}
	sent, accepted := rec.counts()
	if len(sent) != 3 {
		t.Fatalf("%d meter events, want 3 (the 75 s call's minutes and attempt, the unanswered call's attempt)", len(sent))
	}
	for id, n := range sent {
		if n != 1 || accepted[id] != 1 {
			t.Fatalf("identifier %s sent %d times", id, n)
		}
	}

	// A payment fails: dialling goes on through the grace period, then stops.
	webhookOK("evt_fail", "invoice.payment_failed", time.Now(), invoice("in_1", customer))
	if err := e.canDial(ten); err != nil {
		t.Fatalf("within the grace period: %v", err)
	}
	e.exec(`UPDATE billing_accounts SET payment_grace_until = $2 WHERE tenant_id = $1`, ten, time.Now().Add(-time.Minute))
	if r := billing.RefusalReason(e.canDial(ten)); r != billing.ReasonPaymentOverdue {
		t.Fatalf("after the grace period: %q", r)
	}
	// The invoice is paid: dialling resumes.
	webhookOK("evt_paid", "invoice.paid", time.Now().Add(time.Second), invoice("in_1", customer))
	if err := e.canDial(ten); err != nil {
		t.Fatalf("after paying: %v", err)
	}
}
