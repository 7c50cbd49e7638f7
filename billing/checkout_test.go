package billing_test

import (
	"context"
	"strings"
	"testing"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/tenants"
)

func TestAnOwnerOpensCheckoutAndThePortal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.service(stripeMock(t))
	ten := e.tenant("Shop", billing.Trial)
	owner := tenants.Principal{TenantID: ten, Role: tenants.RoleOwner}
	ctx := context.Background()

	if _, err := svc.Portal(ctx, owner, "https://app.example/billing"); tenants.ErrorCode(err) != tenants.EConflict {
		t.Fatalf("portal before subscribing: %v", err)
	}
	url, err := svc.Checkout(ctx, owner, billing.Pro, "https://app.example/ok", "https://app.example/cancel")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("checkout URL %q", url)
	}
	if n := e.count(`SELECT count(*) FROM billing_accounts WHERE tenant_id = $1 AND stripe_customer_id LIKE 'cus_%'`, ten); n != 1 {
		t.Fatal("no Stripe customer recorded for the tenant")
	}
	// The second checkout reuses the customer.
	if _, err := svc.Checkout(ctx, owner, billing.PayG, "https://app.example/ok", "https://app.example/cancel"); err != nil {
		t.Fatal(err)
	}
	portal, err := svc.Portal(ctx, owner, "https://app.example/billing")
	if err != nil || !strings.HasPrefix(portal, "https://") {
		t.Fatalf("portal: %q %v", portal, err)
	}
	// A live subscription changes plan in the portal, not in a second checkout.
	e.exec(`UPDATE billing_accounts SET subscription_status = 'active' WHERE tenant_id = $1`, ten)
	if _, err := svc.Checkout(ctx, owner, billing.PayG, "https://app.example/ok", "https://app.example/cancel"); tenants.ErrorCode(err) != tenants.EConflict {
		t.Fatalf("checkout with a live subscription: %v", err)
	}
}

func TestCheckoutRefusesWhatItCannotSell(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.service(stripeMock(t))
	ten := e.tenant("Shop", billing.Trial)
	ctx := context.Background()
	owner := tenants.Principal{TenantID: ten, Role: tenants.RoleOwner}
	for _, c := range []struct {
		who         tenants.Principal
		plan, okURL string
		code        string
	}{
		{tenants.Principal{TenantID: ten, Role: tenants.RoleAdmin}, billing.Pro, "https://app.example/ok", tenants.EForbidden},
		{owner, billing.Trial, "https://app.example/ok", tenants.EInvalid},
		{owner, "platinum", "https://app.example/ok", tenants.EInvalid},
		{owner, billing.Pro, "javascript:alert(1)", tenants.EInvalid},
	} {
		if _, err := svc.Checkout(ctx, c.who, c.plan, c.okURL, "https://app.example/cancel"); tenants.ErrorCode(err) != c.code {
			t.Errorf("%s/%s/%s: %v, want %s", c.who.Role, c.plan, c.okURL, err, c.code)
		}
	}
}

func TestWithoutAStripeKeyCheckoutAndPortalSayBillingIsOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.service("")
	ten := e.tenant("Shop", billing.Trial)
	owner := tenants.Principal{TenantID: ten, Role: tenants.RoleOwner}
	_, err := svc.Checkout(context.Background(), owner, billing.Pro, "https://app.example/ok", "https://app.example/cancel")
	if tenants.ErrorCode(err) != tenants.EConflict || !strings.Contains(err.Error(), "billing is off") {
		t.Fatalf("checkout: %v", err)
	}
	_, err = svc.Portal(context.Background(), owner, "https://app.example/billing")
	if !strings.Contains(err.Error(), "billing is off") {
		t.Fatalf("portal: %v", err)
	}
	a, err := svc.Account(context.Background(), owner)
	if err != nil || a.Enabled || a.Limits.ConcurrentLines != 2 {
		t.Fatalf("account: %+v %v", a, err)
	}
}
