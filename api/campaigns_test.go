package api_test

import (
	"strings"
	"testing"
)

func TestACampaignIsControlledThroughItsLifecycle(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	empty := h.do(nil, "POST", "/v1/lists", map[string]any{"name": "empty"}, bearer(a.Key)...)
	list := h.do(nil, "POST", "/v1/lists", map[string]any{"name": "customers"}, bearer(a.Key)...)
	h.do(nil, "POST", "/v1/contacts", map[string]any{"phone": "13812341234", "list_ids": []string{list.str("id")}}, bearer(a.Key)...)

	noContacts := h.do(nil, "POST", "/v1/campaigns", map[string]any{"name": "nobody", "list_ids": []string{empty.str("id")}, "script_version": "v1"}, bearer(a.Key)...)
	if r := h.do(nil, "POST", "/v1/campaigns/"+noContacts.str("id")+"/start", nil, bearer(a.Key)...); r.Status != 422 || !strings.Contains(r.Raw, "no contacts") {
		t.Fatalf("start without contacts: %d %s", r.Status, r.Raw)
	}
	noScript := h.do(nil, "POST", "/v1/campaigns", map[string]any{"name": "mute", "list_ids": []string{list.str("id")}}, bearer(a.Key)...)
	if r := h.do(nil, "POST", "/v1/campaigns/"+noScript.str("id")+"/start", nil, bearer(a.Key)...); r.Status != 422 || !strings.Contains(r.Raw, "script version") {
		t.Fatalf("start without a script: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/campaigns/"+noContacts.str("id"), nil, bearer(a.Key)...); r.str("status") != "draft" {
		t.Fatalf("a refused start left %s", r.Raw)
	}
	loose := h.do(nil, "POST", "/v1/campaigns", map[string]any{"name": "loud", "list_ids": []string{list.str("id")}, "script_version": "v1",
		"compliance": map[string]any{"max_daily_calls": 5}}, bearer(a.Key)...)
	if loose.Status != 422 || !strings.Contains(loose.Raw, "body.compliance.max_daily_calls") {
		t.Fatalf("a campaign loosening the daily cap: %d %s", loose.Status, loose.Raw)
	}

	c := h.do(nil, "POST", "/v1/campaigns", map[string]any{"name": "reminders", "list_ids": []string{list.str("id")}, "script_version": "v1",
		"compliance": map[string]any{"max_daily_calls": 1, "quiet_hours": []string{"20:00", "10:00"}}}, bearer(a.Key)...)
	id := c.str("id")
	steps := []struct{ action, status string }{{"start", "running"}, {"pause", "paused"}, {"resume", "running"}, {"pause", "paused"}, {"cancel", "cancelled"}}
	for _, s := range steps {
		if r := h.do(nil, "POST", "/v1/campaigns/"+id+"/"+s.action, nil, bearer(a.Key)...); r.Status != 200 || r.str("status") != s.status {
			t.Fatalf("%s: %d %s", s.action, r.Status, r.Raw)
		}
	}
	if r := h.do(nil, "POST", "/v1/campaigns/"+id+"/resume", nil, bearer(a.Key)...); r.Status != 409 {
		t.Fatalf("resuming a cancelled campaign: %d %s", r.Status, r.Raw)
	}
	counts := h.do(nil, "GET", "/v1/campaigns/"+id+"/counts", nil, bearer(a.Key)...)
	if counts.Body["contacts"] != 1.0 {
		t.Fatalf("counts: %s", counts.Raw)
	}
}

func TestComplianceSettingsAreValidatedAndKept(t *testing.T) {
	h := newHarness(t)
	a := h.signup("Shop", "ops@shop.example")
	def := h.do(nil, "GET", "/v1/compliance", nil, bearer(a.Key)...)
	if def.Body["max_daily_calls"] != 3.0 || def.str("min_retry_interval") != "30m0s" {
		t.Fatalf("defaults: %s", def.Raw)
	}
	bad := h.do(nil, "PUT", "/v1/compliance", map[string]any{"max_daily_calls": 3, "quiet_hours": []string{"25:00", "09:00"}, "weekdays": []string{"mon"},
		"max_concurrent_lines": 10, "calls_per_second": 5, "recording_retention_days": 30}, bearer(a.Key)...)
	if bad.Status != 422 || !strings.Contains(bad.Raw, "quiet_hours") {
		t.Fatalf("bad quiet hours: %d %s", bad.Status, bad.Raw)
	}
	good := h.do(nil, "PUT", "/v1/compliance", map[string]any{"max_daily_calls": 2, "quiet_hours": []string{"20:00", "09:00"}, "weekdays": []string{"mon", "tue"},
		"holidays": []string{"2026-10-01"}, "min_retry_interval": "1h", "max_concurrent_lines": 10, "calls_per_second": 5, "recording_retention_days": 30,
		"consented_only": true}, bearer(a.Key)...)
	if good.Status != 200 {
		t.Fatalf("settings: %d %s", good.Status, good.Raw)
	}
	if got := h.do(nil, "GET", "/v1/compliance", nil, bearer(a.Key)...); got.Body["max_daily_calls"] != 2.0 || got.Body["consented_only"] != true || got.str("min_retry_interval") != "1h0m0s" {
		t.Fatalf("kept: %s", got.Raw)
	}
}
