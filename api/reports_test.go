package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestReportsAnswerJSONAndCSVWithAByteOrderMark(t *testing.T) {
	h := newHarness(t)
	a := h.signup("某某商城", "owner@shop.example")
	f := h.seedCampaign(a) // one answered call of 20 s with one turn

	out := h.do(nil, "GET", "/v1/reports/outcomes?campaign_id="+f.CampaignID, nil, bearer(a.Key)...)
	if out.Status != 200 || out.Body["attempts"] != 1.0 || out.Body["connected"] != 1.0 || out.Body["connect_rate"] != 1.0 ||
		out.Body["avg_talk_seconds"] != 20.0 || out.Body["turns_per_call"] != 1.0 {
		t.Fatalf("outcomes: %d %s", out.Status, out.Raw)
	}
	tm := h.do(nil, "GET", "/v1/reports/time", nil, bearer(a.Key)...)
	if hours, _ := tm.Body["by_hour"].([]any); tm.Status != 200 || len(hours) != 24 {
		t.Fatalf("time: %d %s", tm.Status, tm.Raw)
	}
	// The one call sits in one cell of the weekday × hour grid.
	grid, _ := tm.Body["grid"].([]any)
	filled := 0
	for i, c := range grid {
		cell, _ := c.(map[string]any)
		if cell["weekday"] != float64(i/24) || cell["hour"] != float64(i%24) {
			t.Fatalf("grid cell %d: %v", i, cell)
		}
		if cell["dialled"] != 0.0 {
			filled++
			if cell["dialled"] != 1.0 || cell["connected"] != 1.0 || cell["answer_rate"] != 1.0 {
				t.Fatalf("the call's cell: %v", cell)
			}
		}
	}
	if len(grid) != 168 || filled != 1 {
		t.Fatalf("grid: %d cells, %d with calls; want 168 and 1", len(grid), filled)
	}
	for _, path := range []string{"/v1/reports/funnel", "/v1/reports/topics", "/v1/reports/sentiment", "/v1/reports/ab"} {
		if r := h.do(nil, "GET", path, nil, bearer(a.Key)...); r.Status != 200 {
			t.Fatalf("%s: %d %s", path, r.Status, r.Raw)
		}
	}

	turns := h.do(nil, "GET", "/v1/reports/turns.csv?campaign_id="+f.CampaignID, nil, bearer(a.Key)...)
	if turns.Status != 200 || !strings.HasPrefix(turns.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(turns.Raw, "\ufeffcall_id,seq,state,said,heard") || !strings.Contains(turns.Raw, ",您好,是的,") {
		t.Fatalf("turns CSV: %d %q", turns.Status, turns.Raw)
	}
	for _, path := range []string{"/v1/reports/outcomes.csv", "/v1/reports/funnel.csv", "/v1/reports/topics.csv", "/v1/reports/sentiment.csv",
		"/v1/reports/time.csv", "/v1/reports/ab.csv", "/v1/reports/calls.csv"} {
		if r := h.do(nil, "GET", path, nil, bearer(a.Key)...); r.Status != 200 || !strings.HasPrefix(r.Raw, "\ufeff") {
			t.Fatalf("%s: %d %q", path, r.Status, r.Raw)
		}
	}

	bad := h.do(nil, "GET", "/v1/reports/outcomes?campaign_id=nope", nil, bearer(a.Key)...)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Raw, "query.campaign_id") {
		t.Fatalf("a malformed campaign id: %d %s", bad.Status, bad.Raw)
	}
	if r := h.do(nil, "GET", "/v1/reports/outcomes?campaign_id="+uuid.NewString(), nil, bearer(a.Key)...); r.Status != http.StatusNotFound {
		t.Fatalf("an unknown campaign: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/reports/outcomes?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z", nil, bearer(a.Key)...); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, "query.to") {
		t.Fatalf("a backwards range: %d %s", r.Status, r.Raw)
	}

	bt := h.do(nil, "POST", "/v1/campaigns", map[string]any{"name": "best hours", "list_ids": []string{f.ListID}, "script_version": "v1", "best_time": true}, bearer(a.Key)...)
	if got := h.do(nil, "GET", "/v1/campaigns/"+bt.str("id"), nil, bearer(a.Key)...); bt.Status != 201 || got.Body["best_time"] != true {
		t.Fatalf("best_time: %d %s / %s", bt.Status, bt.Raw, got.Raw)
	}

	set := h.do(nil, "PUT", "/v1/reports/settings", map[string]any{"conversion_outcomes": []string{"confirmed", "paid"}, "conversion_tags": []string{}}, bearer(a.Key)...)
	got := h.do(nil, "GET", "/v1/reports/settings", nil, bearer(a.Key)...)
	if set.Status != 200 || got.Status != 200 || !strings.Contains(got.Raw, `"conversion_outcomes":["confirmed","paid"]`) {
		t.Fatalf("settings: %d %s / %s", set.Status, set.Raw, got.Raw)
	}
	if r := h.do(nil, "PUT", "/v1/reports/settings", map[string]any{"conversion_outcomes": []string{}, "conversion_tags": []string{}}, bearer(a.Key)...); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("no conversions at all: %d %s", r.Status, r.Raw)
	}
}

// POST /v1/reports/rebuild recounts the tenant's calls by its settings now,
// answers the same when repeated, and needs settings:manage and an admin.
func TestRebuildingTheReportsCountsTheCallsByTheSettingsNow(t *testing.T) {
	h := newHarness(t)
	a := h.signup("某某商城", "owner@shop.example")
	h.seedCampaign(a) // one answered call, no conversion tags
	if r := h.do(nil, "GET", "/v1/reports/outcomes", nil, bearer(a.Key)...); r.Status != 200 || r.Body["conversions"] != 0.0 {
		t.Fatalf("outcomes before: %d %s", r.Status, r.Raw)
	}
	for run := 1; run <= 2; run++ {
		r := h.do(nil, "POST", "/v1/reports/rebuild", nil, bearer(a.Key)...)
		if r.Status != 200 || r.Body["calls"] != 1.0 {
			t.Fatalf("rebuild %d: %d %s", run, r.Status, r.Raw)
		}
		if o := h.do(nil, "GET", "/v1/reports/outcomes", nil, bearer(a.Key)...); o.Body["attempts"] != 1.0 || o.Body["connected"] != 1.0 {
			t.Fatalf("outcomes after rebuild %d: %s", run, o.Raw)
		}
	}
	reader := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "reports", "role": "admin", "scopes": []string{"calls:read"}}, bearer(a.Key)...)
	if r := h.do(nil, "POST", "/v1/reports/rebuild", nil, bearer(reader.str("secret"))...); r.Status != http.StatusForbidden || !strings.Contains(r.Raw, "settings:manage") {
		t.Fatalf("a key without settings:manage: %d %s", r.Status, r.Raw)
	}
	operator := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "ops", "role": "operator"}, bearer(a.Key)...)
	if r := h.do(nil, "POST", "/v1/reports/rebuild", nil, bearer(operator.str("secret"))...); r.Status != http.StatusForbidden {
		t.Fatalf("an operator's key: %d %s", r.Status, r.Raw)
	}
}
