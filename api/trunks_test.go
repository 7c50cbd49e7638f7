package api_test

import (
	"strings"
	"testing"
)

func TestATrunkIsAddedWithItsPasswordNeverShown(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	r := h.do(nil, "POST", "/v1/trunks", map[string]any{"name": "电信", "host": "sip.carrier.example", "port": 5060,
		"username": "acct", "password": "digest-secret", "caller_ids": []string{"+862150001234", "+862150001235"}}, bearer(a.Key)...)
	if r.Status != 201 || r.Body["has_password"] != true || strings.Contains(r.Raw, "digest-secret") {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	list := h.do(nil, "GET", "/v1/trunks", nil, bearer(a.Key)...)
	if list.Status != 200 || strings.Contains(list.Raw, "digest-secret") || !strings.Contains(list.Raw, "+862150001235") {
		t.Fatalf("list: %d %s", list.Status, list.Raw)
	}
	if r := h.do(nil, "POST", "/v1/trunks", map[string]any{"name": "x", "host": "h", "transport": "sctp"}, bearer(a.Key)...); r.Status != 422 || !strings.Contains(r.Raw, "body.transport") {
		t.Fatalf("a bad transport: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "POST", "/v1/trunks", map[string]any{"name": "x", "host": "h", "caller_ids": []string{"not a number"}}, bearer(a.Key)...); r.Status != 422 {
		t.Fatalf("a bad caller ID: %d %s", r.Status, r.Raw)
	}
	// Without a pinger in this process the check says where checks run.
	if r := h.do(nil, "POST", "/v1/trunks/"+list.Body["items"].([]any)[0].(map[string]any)["id"].(string)+"/check", nil, bearer(a.Key)...); r.Status != 503 {
		t.Fatalf("check without a SIP user agent: %d %s", r.Status, r.Raw)
	}

	// Transfer targets name where a script's transfer goes.
	id := list.Body["items"].([]any)[0].(map[string]any)["id"].(string)
	if r := h.do(nil, "PATCH", "/v1/trunks/"+id, map[string]any{"transfer_targets": map[string]string{"agent": "+862150009999", "billing": "sip:billing@pbx.example"}}, bearer(a.Key)...); r.Status != 200 ||
		r.Body["transfer_targets"].(map[string]any)["agent"] != "+862150009999" || r.Body["transfer_targets"].(map[string]any)["billing"] != "sip:billing@pbx.example" {
		t.Fatalf("set transfer targets: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "PATCH", "/v1/trunks/"+id, map[string]any{"transfer_targets": map[string]string{"agent": "the front desk"}}, bearer(a.Key)...); r.Status != 422 || !strings.Contains(r.Raw, "transfer target") {
		t.Fatalf("a transfer target that is no number: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/trunks/"+id, nil, bearer(a.Key)...); r.Body["transfer_targets"].(map[string]any)["agent"] != "+862150009999" {
		t.Fatalf("the refused change was kept: %s", r.Raw)
	}
}
