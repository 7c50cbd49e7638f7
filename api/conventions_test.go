package api_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/outcall/outcall/api"
)

func TestAKeyMayOnlyDoWhatItsScopesAllow(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	limited := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "reader", "role": "admin", "scopes": []string{"account:read"}}, bearer(a.Key)...)
	if limited.Status != 201 {
		t.Fatalf("create a scoped key: %d %s", limited.Status, limited.Raw)
	}
	key := limited.str("secret")
	if r := h.do(nil, "GET", "/v1/users", nil, bearer(key)...); r.Status != 200 {
		t.Fatalf("listing users with account:read: %d", r.Status)
	}
	r := h.do(nil, "POST", "/v1/users", map[string]any{"email": "x@example.com", "role": "viewer"}, bearer(key)...)
	if r.Status != 403 || !strings.Contains(r.Raw, "account:manage") {
		t.Fatalf("adding a user without account:manage: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/me", nil, bearer(key)...); r.Status != 200 {
		t.Fatalf("me needs no scope: %d", r.Status)
	}
	if r := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "x", "scopes": []string{"no:such"}}, bearer(a.Key)...); r.Status != 422 || !strings.Contains(r.Raw, "body.scopes[0]") {
		t.Fatalf("an unknown scope: %d %s", r.Status, r.Raw)
	}
	// The OpenAPI document says which scope each operation needs.
	doc := h.do(nil, "GET", "/openapi.json", nil)
	if !strings.Contains(doc.Raw, `"apiKey":["account:manage"]`) {
		t.Fatalf("the document does not declare scopes in security requirements")
	}
}

func TestIdempotencyKeyReplaysTheFirstAnswer(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	body := map[string]any{"name": "CRM", "role": "viewer"}
	hdr := append(bearer(a.Key), "Idempotency-Key", "create-crm-key-1")
	first := h.do(nil, "POST", "/v1/api-keys", body, hdr...)
	second := h.do(nil, "POST", "/v1/api-keys", body, hdr...)
	if first.Status != 201 || second.Status != 201 {
		t.Fatalf("statuses %d, %d: %s", first.Status, second.Status, second.Raw)
	}
	if first.str("id") != second.str("id") || first.Raw != second.Raw {
		t.Fatalf("the retry made something new: %s vs %s", first.str("id"), second.str("id"))
	}
	if second.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the replay is not marked")
	}
	list := h.do(nil, "GET", "/v1/api-keys", nil, bearer(a.Key)...)
	if n := strings.Count(list.Raw, `"name":"CRM"`); n != 1 {
		t.Fatalf("%d CRM keys exist, want 1", n)
	}
	other := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "Other"}, hdr...)
	if other.Status != 409 {
		t.Fatalf("the same key with another body: %d, want 409", other.Status)
	}
	// Keys are per tenant: B may use the same key for its own request.
	b := h.signup("B", "b@example.com")
	if r := h.do(nil, "POST", "/v1/api-keys", body, append(bearer(b.Key), "Idempotency-Key", "create-crm-key-1")...); r.Status != 201 || r.str("id") == first.str("id") {
		t.Fatalf("tenant B with the same key: %d %s", r.Status, r.Raw)
	}
	// A failed request is remembered as failed, with its problem.
	bad := append(bearer(a.Key), "Idempotency-Key", "bad-1")
	r1 := h.do(nil, "POST", "/v1/users", map[string]any{"email": "a@example.com", "role": "viewer"}, bad...)
	r2 := h.do(nil, "POST", "/v1/users", map[string]any{"email": "a@example.com", "role": "viewer"}, bad...)
	if r1.Status != 409 || r2.Status != 409 || r1.Raw != r2.Raw {
		t.Fatalf("a remembered failure: %d %d", r1.Status, r2.Status)
	}
}

// A remembered answer can carry a secret (a new API key's) or numbers in
// full, so it is replayed only to the caller that made it: another key or
// user of the same tenant sending the same Idempotency-Key and body makes a
// request of its own, answered for its own role.
func TestIdempotencyKeyReplaysOnlyToTheCallerThatSentIt(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	newKey := func(name, role string) string {
		r := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": name, "role": role}, bearer(a.Key)...)
		if r.Status != 201 {
			t.Fatalf("make the %s key: %d %s", role, r.Status, r.Raw)
		}
		return r.str("secret")
	}
	viewer, admin := newKey("viewer", "viewer"), newKey("second admin", "admin")
	body := map[string]any{"name": "CRM", "role": "operator"}
	first := h.do(nil, "POST", "/v1/api-keys", body, append(bearer(a.Key), "Idempotency-Key", "shared-key")...)
	if first.Status != 201 || first.str("secret") == "" {
		t.Fatalf("the first request: %d %s", first.Status, first.Raw)
	}
	if r := h.do(nil, "POST", "/v1/api-keys", body, append(bearer(a.Key), "Idempotency-Key", "shared-key")...); r.Header.Get("Idempotent-Replayed") != "true" || r.Raw != first.Raw {
		t.Fatalf("the same caller's retry is not replayed: %d %s", r.Status, r.Raw)
	}

	// A viewer may not make keys: it gets its own 403, not the owner's secret.
	r := h.do(nil, "POST", "/v1/api-keys", body, append(bearer(viewer), "Idempotency-Key", "shared-key")...)
	if r.Status != 403 || r.Header.Get("Idempotent-Replayed") != "" || strings.Contains(r.Raw, first.str("secret")) || strings.Contains(r.Raw, first.str("id")) {
		t.Fatalf("a viewer with the owner's Idempotency-Key: %d replayed=%q %s", r.Status, r.Header.Get("Idempotent-Replayed"), r.Raw)
	}
	// Another admin key, and the owner in the portal, make keys of their own.
	ids := map[string]bool{first.str("id"): true}
	for who, hdr := range map[string][]string{"another admin key": bearer(admin), "the owner's portal session": h.ownerSession(a)} {
		r := h.do(nil, "POST", "/v1/api-keys", body, append(hdr, "Idempotency-Key", "shared-key")...)
		if r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "" || ids[r.str("id")] || r.str("secret") == first.str("secret") {
			t.Fatalf("%s with the same Idempotency-Key: %d replayed=%q %s", who, r.Status, r.Header.Get("Idempotent-Replayed"), r.Raw)
		}
		ids[r.str("id")] = true
		// and its own retry replays its own answer.
		again := h.do(nil, "POST", "/v1/api-keys", body, append(hdr, "Idempotency-Key", "shared-key")...)
		if again.Header.Get("Idempotent-Replayed") != "true" || again.Raw != r.Raw {
			t.Fatalf("%s's retry: %d %s", who, again.Status, again.Raw)
		}
	}
	// The key belongs to one operation too: the same caller may use it on another.
	if r := h.do(nil, "POST", "/v1/users", map[string]any{"email": "v@example.com", "role": "viewer", "password": "viewer-password"},
		append(bearer(a.Key), "Idempotency-Key", "shared-key")...); r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the same key on another operation: %d %s", r.Status, r.Raw)
	}
	list := h.do(nil, "GET", "/v1/api-keys", nil, bearer(a.Key)...)
	if n := strings.Count(list.Raw, `"name":"CRM"`); n != 3 {
		t.Fatalf("%d CRM keys exist, want 3 (the owner's key, the other admin key, the portal session): %s", n, list.Raw)
	}
}

func TestRateLimitsAnswer429WithRetryAfter(t *testing.T) {
	h := newHarnessWith(t, api.RateLimits{PerKey: 0.5, KeyBurst: 3, PerTenant: 100, TenantBurst: 100, PerAddress: 100, AddressBurst: 100})
	a := h.signup("A", "a@example.com")
	second := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "second"}, bearer(a.Key)...).str("secret")
	var last response
	for i := 0; i < 2; i++ {
		last = h.do(nil, "GET", "/v1/me", nil, bearer(a.Key)...)
		if last.Status != 200 {
			t.Fatalf("request %d within the burst: %d", i+2, last.Status)
		}
	}
	if last.Header.Get("RateLimit-Limit") != "3" || last.Header.Get("RateLimit-Remaining") != "0" {
		t.Fatalf("headers: limit %q remaining %q", last.Header.Get("RateLimit-Limit"), last.Header.Get("RateLimit-Remaining"))
	}
	r := h.do(nil, "GET", "/v1/me", nil, bearer(a.Key)...)
	if r.Status != 429 || !strings.Contains(r.Header.Get("Content-Type"), "problem+json") {
		t.Fatalf("request over the burst: %d, want 429 problem+json", r.Status)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	if r := h.do(nil, "GET", "/v1/me", nil, bearer(second)...); r.Status != 200 {
		t.Fatalf("another key of the same tenant shares the first key's bucket: %d", r.Status)
	}
}

func TestListsFilter(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	old := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "old"}, bearer(a.Key)...)
	h.do(nil, "DELETE", "/v1/api-keys/"+old.str("id"), nil, bearer(a.Key)...)
	h.do(nil, "POST", "/v1/users", map[string]any{"email": "v@example.com", "role": "viewer", "password": "viewer-password"}, bearer(a.Key)...)
	count := func(path string) int {
		r := h.do(nil, "GET", path, nil, bearer(a.Key)...)
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", path, r.Status, r.Raw)
		}
		return len(r.Body["items"].([]any))
	}
	cases := map[string]int{
		"/v1/api-keys":                        2,
		"/v1/api-keys?revoked=true":           1,
		"/v1/api-keys?revoked=false":          1,
		"/v1/users":                           2,
		"/v1/users?role=viewer":               1,
		"/v1/users?role=admin":                0,
		"/v1/webhooks/endpoints":              0,
		"/v1/webhooks/endpoints?enabled=true": 0,
	}
	for path, want := range cases {
		if got := count(path); got != want {
			t.Errorf("%s: %d items, want %d", path, got, want)
		}
	}
	if r := h.do(nil, "GET", "/v1/users?role=king", nil, bearer(a.Key)...); r.Status != 422 || !strings.Contains(r.Raw, "query.role") {
		t.Fatalf("an unknown role filter: %d %s", r.Status, r.Raw)
	}
}
