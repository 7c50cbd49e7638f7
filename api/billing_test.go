package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stripe/stripe-go/v79/webhook"

	"github.com/outcall/outcall/api"
	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
)

// newBillingHarness is a harness whose billing verifies Stripe webhooks
// with secret and has no Stripe key (billing off for checkout).
func newBillingHarness(t *testing.T, secret string) *harness {
	t.Helper()
	db, url := dbtest.Open(context.Background(), t)
	svc := tenants.NewService(db)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := api.New(api.Config{Tenants: svc, Logger: quiet, RateLimits: generous,
		Billing: billing.New(billing.Config{DB: db, Logger: quiet, WebhookSecret: secret})})
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv, api: a, svc: svc, url: url}
}

func (h *harness) ownerSession(tn tenant) []string {
	h.t.Helper()
	login := h.do(nil, "POST", "/v1/login", map[string]any{"email": tn.Email, "password": tn.Password})
	for _, c := range (&http.Response{Header: login.Header}).Cookies() {
		if c.Name == "outcall_session" {
			return []string{"Cookie", "outcall_session=" + c.Value, "X-CSRF-Token", login.str("csrf_token")}
		}
	}
	h.t.Fatalf("cannot log in: %s", login.Raw)
	return nil
}

func TestATrialTenantSeesItsUsageAndThatBillingIsOff(t *testing.T) {
	h := newBillingHarness(t, "")
	a := h.signup("某某商城", "owner@shop.example")
	tenantID := uuid.MustParse(a.ID)
	campaign := uuid.New()
	for _, secs := range []int{75, 20} {
		err := h.svc.DB().InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
			return billing.RecordCall(context.Background(), tx, nil, tenantID, billing.CallUsage{CallID: uuid.New(), CampaignID: &campaign, ConnectedSeconds: secs, EndedAt: time.Now()})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	r := h.do(nil, "GET", "/v1/billing/usage", nil, bearer(a.Key)...)
	if r.Status != 200 || !strings.Contains(r.Raw, `"minutes":3`) || !strings.Contains(r.Raw, campaign.String()) || r.str("plan") != "trial" {
		t.Fatalf("usage: %d %s", r.Status, r.Raw)
	}
	r = h.do(nil, "GET", "/v1/billing", nil, bearer(a.Key)...)
	if r.Status != 200 || r.Body["enabled"] != false || r.Body["can_dial"] != true || r.str("plan", "name") != "trial" {
		t.Fatalf("billing: %d %s", r.Status, r.Raw)
	}
	owner := h.ownerSession(a)
	r = h.do(nil, "POST", "/v1/billing/checkout", map[string]any{"plan": "pro", "success_url": "https://app.example/ok", "cancel_url": "https://app.example/no"}, owner...)
	if r.Status != http.StatusConflict || !strings.Contains(r.Raw, "billing is off") {
		t.Fatalf("checkout with billing off: %d %s", r.Status, r.Raw)
	}
	r = h.do(nil, "PUT", "/v1/billing/budget", map[string]any{"budget_cents": 5000, "hard_budget_cents": 10000}, owner...)
	if r.Status != 200 || r.Body["hard_budget_cents"] != float64(10000) {
		t.Fatalf("budget: %d %s", r.Status, r.Raw)
	}
	// The signup key is an admin's: budgets are the owner's.
	if r := h.do(nil, "PUT", "/v1/billing/budget", map[string]any{"budget_cents": 1}, bearer(a.Key)...); r.Status != http.StatusForbidden {
		t.Fatalf("budget with an admin key: %d %s", r.Status, r.Raw)
	}
}

func TestASignedStripeWebhookChangesThePlanAndAForgedOneIsRefused(t *testing.T) {
	const secret = "whsec_api_test"
	h := newBillingHarness(t, secret)
	a := h.signup("某某商城", "owner@shop.example")
	conn, err := pgx.Connect(context.Background(), h.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `INSERT INTO billing_accounts (tenant_id, stripe_customer_id) VALUES ($1, 'cus_shop')`, a.ID); err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"id":"evt_1","object":"event","type":"customer.subscription.updated","created":` +
		strconv.FormatInt(time.Now().Unix(), 10) + `,"data":{"object":{"id":"sub_1","object":"subscription","customer":"cus_shop","status":"active",` +
		`"items":{"object":"list","data":[{"id":"si_1","object":"subscription_item","price":{"id":"price_1","object":"price","lookup_key":"outcall_pro_minutes"}}]}}}}`)
	post := func(secret string) response {
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret})
		return h.do(nil, "POST", "/v1/stripe/webhook", string(payload), "Stripe-Signature", signed.Header, "Content-Type", "application/json")
	}
	if r := post("whsec_forged"); r.Status != http.StatusBadRequest {
		t.Fatalf("forged: %d %s", r.Status, r.Raw)
	}
	if r := post(secret); r.Status != 200 || r.str("outcome") != "applied" {
		t.Fatalf("signed: %d %s", r.Status, r.Raw)
	}
	if r := post(secret); r.Status != 200 || r.str("outcome") != "replay" {
		t.Fatalf("replayed: %d %s", r.Status, r.Raw)
	}
	r := h.do(nil, "GET", "/v1/billing", nil, bearer(a.Key)...)
	if r.str("plan", "name") != "pro" || r.Body["plan"].(map[string]any)["concurrent_lines"] != float64(200) {
		t.Fatalf("after the webhook: %s", r.Raw)
	}
}
