package api_test

import (
	"strings"
	"testing"
)

func TestANumbersAuditTrailExportsAsJSONAndCSV(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	h.do(nil, "POST", "/v1/consents", map[string]any{"phone": "13812341234", "source": "signup form", "scope": "reminders"}, bearer(a.Key)...)
	h.do(nil, "POST", "/v1/dnc", map[string]any{"phones": []string{"138-1234-1234"}, "reason": "complaint"}, bearer(a.Key)...)
	if r := h.do(nil, "DELETE", "/v1/dnc/13812341234?reason=mistake", nil, bearer(a.Key)...); r.Status != 204 {
		t.Fatalf("remove from DNC: %d %s", r.Status, r.Raw)
	}
	js := h.do(nil, "GET", "/v1/audit/%2B8613812341234", nil, bearer(a.Key)...)
	events, _ := js.Body["events"].([]any)
	if js.Status != 200 || len(events) != 3 {
		t.Fatalf("audit JSON: %d %s", js.Status, js.Raw)
	}
	csv := h.do(nil, "GET", "/v1/audit/13812341234?format=csv", nil, bearer(a.Key)...)
	lines := strings.Split(strings.TrimSpace(csv.Raw), "\n")
	if csv.Status != 200 || len(lines) != 4 || !strings.HasPrefix(lines[0], "at,phone,kind") || !strings.Contains(csv.Raw, ",dnc_removed,") {
		t.Fatalf("audit CSV: %d\n%s", csv.Status, csv.Raw)
	}
	if r := h.do(nil, "GET", "/v1/audit/13900000000", nil, bearer(a.Key)...); r.Status != 404 {
		t.Fatalf("a number never seen: %d", r.Status)
	}
}
