package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
)

// TestTenantBCannotReachTenantA walks every registered operation with
// tenant B's owner session against tenant A's resources. Operations that
// name a resource must answer 404 or 403; lists and other operations must
// not show anything of A's. A new operation with a path parameter this test
// does not know fails the test until its fixture is added here.
func TestTenantBCannotReachTenantA(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Tenant A", "owner@a.example")
	b := h.signup("Tenant B", "owner@b.example")

	// Tenant A's resources, one of each kind a path can name.
	aKey := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "A's CRM", "role": "viewer"}, bearer(a.Key)...)
	aUser := h.do(nil, "POST", "/v1/users", map[string]any{"email": "agent@a.example", "role": "operator", "password": "agent-password"}, bearer(a.Key)...)
	if aKey.Status != 201 || aUser.Status != 201 {
		t.Fatalf("fixtures: %s %s", aKey.Raw, aUser.Raw)
	}
	aEndpoint := h.do(nil, "POST", "/v1/webhooks/endpoints", map[string]any{"url": "http://127.0.0.1:9/a-hook"}, bearer(a.Key)...)
	if aEndpoint.Status != 201 {
		t.Fatalf("fixture endpoint: %s", aEndpoint.Raw)
	}
	aDelivery := h.seedDelivery(a.ID, aEndpoint.str("id"))
	aCampaignUsage := h.seedUsage(a.ID)
	fixtures := map[string]string{
		"key_id":      aKey.str("id"),
		"user_id":     aUser.str("user", "id"),
		"endpoint_id": aEndpoint.str("id"),
		"delivery_id": aDelivery,
	}
	// Request bodies that pass validation, so the handler itself must refuse.
	bodies := map[string]any{
		"change-user-role":        map[string]any{"role": "viewer"},
		"update-webhook-endpoint": map[string]any{"url": "http://127.0.0.1:9/b-hijack"},
		"rotate-webhook-secret":   map[string]any{"overlap_seconds": 60},
	}
	// What must never appear in an answer to B.
	secretsOfA := []string{a.ID, a.OwnerID, a.Key, a.Email, aKey.str("id"), aKey.str("secret"), aKey.str("prefix"), fixtures["user_id"], "agent@a.example",
		aEndpoint.str("id"), aEndpoint.str("secret"), "a-hook", aDelivery, aCampaignUsage}

	// B acts as its owner through a fresh portal session per operation (the
	// walk includes logout), so a refusal is isolation, not a weak role.
	asB := func() []string {
		login := h.do(nil, "POST", "/v1/login", map[string]any{"email": b.Email, "password": b.Password})
		for _, c := range (&http.Response{Header: login.Header}).Cookies() {
			if c.Name == "outcall_session" {
				return []string{"Cookie", "outcall_session=" + c.Value, "X-CSRF-Token", login.str("csrf_token")}
			}
		}
		t.Fatalf("tenant B cannot log in: %s", login.Raw)
		return nil
	}

	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string                `json:"operationId"`
			Security    []map[string][]string `json:"security"`
			RequestBody *json.RawMessage      `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(h.do(nil, "GET", "/openapi.json", nil).Raw), &doc); err != nil {
		t.Fatal(err)
	}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	walked := 0
	for _, path := range paths {
		for method, op := range doc.Paths[path] {
			method = strings.ToUpper(method)
			if len(op.Security) == 0 {
				continue // public: signup, login, probes
			}
			walked++
			t.Run(op.OperationID, func(t *testing.T) {
				target, named := path, false
				for strings.Contains(target, "{") {
					i, j := strings.Index(target, "{"), strings.Index(target, "}")
					param := target[i+1 : j]
					id, ok := fixtures[param]
					if !ok {
						t.Fatalf("%s %s: no fixture of tenant A for path parameter %q; add one to this test", method, path, param)
					}
					target, named = target[:i]+id+target[j+1:], true
				}
				var body any
				if op.RequestBody != nil {
					body = bodies[op.OperationID]
					if body == nil && named {
						t.Fatalf("%s: add a valid request body to this test so the handler, not validation, must refuse", op.OperationID)
					}
					if body == nil {
						body = map[string]any{}
					}
				}
				r := h.do(nil, method, target, body, asB()...)
				if named && r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
					t.Fatalf("%s %s as tenant B: %d, want 404 or 403: %s", method, target, r.Status, r.Raw)
				}
				for _, s := range secretsOfA {
					if s != "" && strings.Contains(r.Raw, s) {
						t.Fatalf("%s %s as tenant B shows %q of tenant A: %s", method, target, s, r.Raw)
					}
				}
			})
		}
	}
	// Tenant B's own notices and event types are B's; nothing of A leaked
	// through them (checked above). The walk covered:
	if walked < 8 {
		t.Fatalf("walked only %d authenticated operations", walked)
	}

	// A's things are untouched.
	if r := h.do(nil, "GET", "/v1/me", nil, bearer(aKey.str("secret"))...); r.Status != 200 {
		t.Fatalf("A's key stopped working after B's attempts: %d", r.Status)
	}
	if r := h.do(nil, "GET", "/v1/users/"+fixtures["user_id"], nil, bearer(a.Key)...); r.Status != 200 || r.str("role") != "operator" {
		t.Fatalf("A's user changed after B's attempts: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/webhooks/endpoints/"+fixtures["endpoint_id"], nil, bearer(a.Key)...); r.Status != 200 || !strings.Contains(r.str("url"), "a-hook") || r.Body["previous_secret_expires_at"] != nil {
		t.Fatalf("A's endpoint changed after B's attempts: %d %s", r.Status, r.Raw)
	}
}

// seedDelivery writes a delivery log row for a tenant's endpoint directly,
// as the delivery worker would.
func (h *harness) seedDelivery(tenantID, endpointID string) string {
	h.t.Helper()
	conn, err := pgx.Connect(context.Background(), h.url)
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var id string
	err = conn.QueryRow(context.Background(), `WITH ev AS (
			INSERT INTO webhook_events (id, tenant_id, type, data) VALUES (gen_random_uuid(), $1, 'webhook.test', '{}') RETURNING id)
		INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, attempt, status_code, latency_ms)
		SELECT gen_random_uuid(), $1, $2, ev.id, 1, 500, 3 FROM ev RETURNING id`, tenantID, endpointID).Scan(&id)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// seedUsage records a billed call of a campaign of the tenant, as closing a
// call does, and returns the campaign's id.
func (h *harness) seedUsage(tenantID string) string {
	h.t.Helper()
	id, campaign := uuid.MustParse(tenantID), uuid.New()
	err := h.svc.DB().InTenant(context.Background(), id, func(tx pgx.Tx) error {
		return billing.RecordCall(context.Background(), tx, id, billing.CallUsage{CallID: uuid.New(), CampaignID: &campaign, ConnectedSeconds: 42})
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return campaign.String()
}
