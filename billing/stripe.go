package billing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stripe/stripe-go/v79"

	"github.com/outcall/outcall/tenants"
)

// customer returns the tenant's Stripe customer id, creating the customer
// on first use. The create carries an idempotency key derived from the
// tenant, so a retry after a lost answer finds the same customer.
func (s *Service) customer(ctx context.Context, tenantID uuid.UUID) (string, error) {
	var name string
	var id *string
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT t.name, a.stripe_customer_id FROM tenants t
			LEFT JOIN billing_accounts a ON a.tenant_id = t.id WHERE t.id = $1`, tenantID).Scan(&name, &id)
	})
	if err != nil {
		return "", err
	}
	if id != nil {
		return *id, nil
	}
	params := &stripe.CustomerParams{Name: stripe.String(name), Metadata: map[string]string{"tenant_id": tenantID.String()}}
	params.SetIdempotencyKey("outcall-customer-" + tenantID.String())
	params.Context = ctx
	c, err := s.sc.Customers.New(params)
	if err != nil {
		return "", stripeFailure("create the Stripe customer", err)
	}
	var stored string
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO billing_accounts (tenant_id, stripe_customer_id) VALUES ($1, $2)
			ON CONFLICT (tenant_id) DO UPDATE SET stripe_customer_id = COALESCE(billing_accounts.stripe_customer_id, $2), updated_at = now()
			RETURNING stripe_customer_id`, tenantID, c.ID).Scan(&stored)
	})
	return stored, err
}

// priceIDs returns the Stripe price ids of plan's prices: the id the plan
// names, else the one Config.PriceIDs gives for its lookup key, else the
// one Stripe finds by its lookup key.
func (s *Service) priceIDs(ctx context.Context, plan Plan) ([]string, error) {
	ids := make([]string, len(plan.StripePrices))
	var missing []*string
	for i, p := range plan.StripePrices {
		if id := cmp.Or(p.ID, s.cfg.PriceIDs[p.LookupKey]); id != "" {
			ids[i] = id
		} else {
			missing = append(missing, stripe.String(p.LookupKey))
		}
	}
	if len(missing) == 0 {
		return ids, nil
	}
	params := &stripe.PriceListParams{LookupKeys: missing, Active: stripe.Bool(true)}
	params.Context = ctx
	found := map[string]string{}
	it := s.sc.Prices.List(params)
	for it.Next() {
		found[it.Price().LookupKey] = it.Price().ID
	}
	if err := it.Err(); err != nil {
		return nil, stripeFailure("look up the plan's prices", err)
	}
	for i, p := range plan.StripePrices {
		if ids[i] == "" {
			if ids[i] = found[p.LookupKey]; ids[i] == "" {
				return nil, fmt.Errorf("billing: Stripe has no active price with lookup key %q (plan %s): create it in Stripe", p.LookupKey, plan.Name)
			}
		}
	}
	return ids, nil
}

// Checkout opens a Stripe Checkout session that subscribes the caller's
// tenant to planName and returns the page to send the person to. A tenant
// with a live subscription changes plan in the Customer Portal instead.
func (s *Service) Checkout(ctx context.Context, p tenants.Principal, planName, successURL, cancelURL string) (string, error) {
	if err := p.Require(tenants.RoleOwner); err != nil {
		return "", err
	}
	if !s.Enabled() {
		return "", errOff()
	}
	plan, err := s.soldPlan(ctx, p.TenantID, "body.plan", planName)
	if err != nil {
		return "", err
	}
	if err := validURL("body.success_url", successURL); err != nil {
		return "", err
	}
	if err := validURL("body.cancel_url", cancelURL); err != nil {
		return "", err
	}
	var status *string
	err = s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT subscription_status FROM billing_accounts WHERE tenant_id = $1`, p.TenantID).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return "", err
	}
	if status != nil && liveSubscription(*status) {
		return "", tenants.Errorf(tenants.EConflict, "this tenant has a subscription already; change plan in the billing portal (POST /v1/billing/portal)")
	}
	customer, err := s.customer(ctx, p.TenantID)
	if err != nil {
		return "", err
	}
	prices, err := s.priceIDs(ctx, plan)
	if err != nil {
		return "", err
	}
	params := &stripe.CheckoutSessionParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModeSubscription)),
		Customer:          stripe.String(customer),
		ClientReferenceID: stripe.String(p.TenantID.String()),
		SuccessURL:        stripe.String(successURL),
		CancelURL:         stripe.String(cancelURL),
		SubscriptionData: &stripe.CheckoutSessionSubscriptionDataParams{
			Metadata: map[string]string{"tenant_id": p.TenantID.String(), "plan": plan.Name},
		},
	}
	for i, sp := range plan.StripePrices {
		item := &stripe.CheckoutSessionLineItemParams{Price: stripe.String(prices[i])}
		if !sp.Metered {
			item.Quantity = stripe.Int64(1)
		}
		params.LineItems = append(params.LineItems, item)
	}
	params.Context = ctx
	sess, err := s.sc.CheckoutSessions.New(params)
	if err != nil {
		return "", stripeFailure("open a Checkout session", err)
	}
	return sess.URL, nil
}

// Portal opens a Stripe Customer Portal session for the caller's tenant,
// where its owner changes plan, payment method and sees invoices.
func (s *Service) Portal(ctx context.Context, p tenants.Principal, returnURL string) (string, error) {
	if err := p.Require(tenants.RoleOwner); err != nil {
		return "", err
	}
	if !s.Enabled() {
		return "", errOff()
	}
	if err := validURL("body.return_url", returnURL); err != nil {
		return "", err
	}
	var customer *string
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT stripe_customer_id FROM billing_accounts WHERE tenant_id = $1`, p.TenantID).Scan(&customer)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return "", err
	}
	if customer == nil {
		return "", tenants.Errorf(tenants.EConflict, "this tenant has no billing account yet; subscribe first (POST /v1/billing/checkout)")
	}
	params := &stripe.BillingPortalSessionParams{Customer: customer, ReturnURL: stripe.String(returnURL)}
	params.Context = ctx
	sess, err := s.sc.BillingPortalSessions.New(params)
	if err != nil {
		return "", stripeFailure("open a billing portal session", err)
	}
	return sess.URL, nil
}

// soldPlan returns the plan called name if the tenant can subscribe to it
// through Stripe (a plan it is shown that has Stripe prices), or a field
// error naming the plans it can.
func (s *Service) soldPlan(ctx context.Context, tenantID uuid.UUID, field, name string) (Plan, error) {
	var plans []Plan
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		plans, err = tenantPlans(ctx, tx, tenantID)
		return err
	})
	if err != nil {
		return Plan{}, err
	}
	var sold []string
	for _, p := range plans {
		if p.Sold() {
			if p.Name == name {
				return p, nil
			}
			sold = append(sold, p.Name)
		}
	}
	return Plan{}, tenants.FieldError(field, "%q is not a plan you can subscribe to (%s)", name, strings.Join(sold, ", "))
}

// liveSubscription reports whether a subscription in status still bills.
func liveSubscription(status string) bool {
	switch stripe.SubscriptionStatus(status) {
	case stripe.SubscriptionStatusActive, stripe.SubscriptionStatusTrialing, stripe.SubscriptionStatusPastDue:
		return true
	}
	return false
}

func validURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return tenants.FieldError(field, "%q is not an http(s) URL", raw)
	}
	return nil
}

// stripeFailure turns a Stripe error into one for the caller: Stripe's
// own message for a request it refused, "try again" for an outage.
func stripeFailure(what string, err error) error {
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode >= 400 && se.HTTPStatusCode < 500 && se.HTTPStatusCode != 429 {
		return fmt.Errorf("billing: %s: Stripe refused: %s (%s)", what, se.Msg, se.Code)
	}
	return &wrapped{tenants.Errorf(tenants.EUnavailable, "Stripe did not answer; try again in a minute"), fmt.Errorf("billing: %s: %w", what, err)}
}

// wrapped is a user-facing error that keeps the internal cause for logs.
type wrapped struct {
	user  *tenants.Error
	cause error
}

func (w *wrapped) Error() string { return w.cause.Error() }
func (w *wrapped) Unwrap() []error {
	return []error{w.user, w.cause}
}
