package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/outcall/outcall/api"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/tenants/admin"
)

// adminHarness is the admin API on a harness's database, as `outcall serve
// --admin-addr` serves it beside the tenants' API, and a token for it.
type adminHarness struct {
	*harness
	// adm sends requests to the admin API's listener.
	adm   *harness
	token string
}

func newAdminHarness(t *testing.T) *adminHarness {
	t.Helper()
	h := newHarness(t)
	svc := admin.New(admin.Options{DB: h.svc.DB()})
	srv := httptest.NewServer(api.NewAdmin(api.AdminConfig{Admin: svc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler())
	t.Cleanup(srv.Close)
	tok, err := svc.CreateToken(context.Background(), admin.CLI("test"), "test suite")
	if err != nil {
		t.Fatal(err)
	}
	return &adminHarness{harness: h, adm: &harness{t: t, srv: srv}, token: tok.Secret}
}

// admin sends a request to the admin API with the operator's token.
func (a *adminHarness) admin(method, path string, body any) response {
	a.t.Helper()
	return a.adminAs(a.token, method, path, body)
}

func (a *adminHarness) adminAs(token, method, path string, body any) response {
	a.t.Helper()
	if token == "" {
		return a.adm.do(nil, method, path, body)
	}
	return a.adm.do(nil, method, path, body, bearer(token)...)
}

func operations(doc *huma.OpenAPI) map[string]*huma.Operation {
	ops := map[string]*huma.Operation{}
	for path, item := range doc.Paths {
		for method, op := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
			if op != nil {
				ops[method+" "+path] = op
			}
		}
	}
	return ops
}

// The tenants' document (api/openapi.yaml, the typed client, the portal)
// never shows an operator's operation, and the admin API's document shows
// only those, each behind an admin token.
func TestTheTenantsOpenAPIDocumentHoldsNoAdminOperation(t *testing.T) {
	tenantOps := operations(api.New(api.Config{}).OpenAPI())
	adminDoc := api.NewAdmin(api.AdminConfig{}).OpenAPI()
	adminOps := operations(adminDoc)
	if len(adminOps) == 0 {
		t.Fatal("the admin API has no operations")
	}
	ids := map[string]bool{}
	for where, op := range tenantOps {
		ids[op.OperationID] = true
		if strings.HasPrefix(strings.Fields(where)[1], "/admin") {
			t.Errorf("the tenants' document has %s", where)
		}
		for _, req := range op.Security {
			if _, ok := req["adminToken"]; ok {
				t.Errorf("the tenants' document has %s behind an admin token", where)
			}
		}
	}
	for where, op := range adminOps {
		if !strings.HasPrefix(strings.Fields(where)[1], "/admin/v1/") {
			t.Errorf("admin operation %s is outside /admin/v1/", where)
		}
		if ids[op.OperationID] {
			t.Errorf("admin operation %s shares its id %q with a tenants' operation", where, op.OperationID)
		}
		if len(op.Security) != 1 || op.Security[0]["adminToken"] == nil {
			t.Errorf("admin operation %s is not behind an admin token: %v", where, op.Security)
		}
		if _, ok := op.Responses["401"]; !ok {
			t.Errorf("admin operation %s does not document 401", where)
		}
		if op.RequestBody != nil {
			if _, ok := op.Responses["422"]; !ok {
				t.Errorf("admin operation %s takes a body but does not document 422", where)
			}
		}
	}
	committed, err := readCommittedDoc()
	if err != nil {
		t.Fatal(err)
	}
	for _, word := range []string{"/admin/", "adminToken", "create-plan", "suspend-tenant"} {
		if strings.Contains(committed, word) {
			t.Errorf("api/openapi.yaml mentions %q", word)
		}
	}
}

func readCommittedDoc() (string, error) {
	b, err := os.ReadFile("openapi.yaml")
	return string(b), err
}

// The admin document says what the domain enforces: a plan's script budget
// is at most the sandbox's.
func TestTheAdminDocumentCapsTheScriptBudgetAtTheSandboxs(t *testing.T) {
	doc := api.NewAdmin(api.AdminConfig{}).OpenAPI()
	fields := doc.Components.Schemas.Map()["CreatePlanInputBody"]
	if fields == nil {
		t.Fatalf("no CreatePlanInputBody schema among %v", keys(doc.Components.Schemas.Map()))
	}
	budget := fields.Properties["script_cpu_per_turn_ms"]
	if budget == nil || budget.Maximum == nil || *budget.Maximum != float64(scripting.MaxBudget.Milliseconds()) {
		t.Fatalf("script_cpu_per_turn_ms is documented as %+v, want a maximum of %d", budget, scripting.MaxBudget.Milliseconds())
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Each API takes its own credentials only: an admin token opens nothing of
// the tenants' API (which does not serve the admin paths either), and a
// tenant's key or session opens nothing of the admin API.
func TestAdminTokensAndTenantKeysOpenOnlyTheirOwnAPI(t *testing.T) {
	a := newAdminHarness(t)
	ten := a.signup("Shop", "owner@shop.example")
	if r := a.do(nil, "GET", "/v1/me", nil, bearer(a.token)...); r.Status != http.StatusUnauthorized {
		t.Fatalf("an admin token on the tenants' API: %d %s", r.Status, r.Raw)
	}
	for _, path := range []string{"/admin/v1/plans", "/admin/v1/tenants"} {
		r := a.do(nil, "GET", path, nil, bearer(a.token)...)
		if strings.Contains(r.Raw, `"items"`) || strings.Contains(r.Raw, "trial") {
			t.Errorf("the tenants' listener answers %s: %d %.200s", path, r.Status, r.Raw)
		}
	}
	for name, token := range map[string]string{"no credential": "", "a tenant's key": ten.Key, "a made-up admin token": "oca_12345678_" + strings.Repeat("x", 32)} {
		r := a.adminAs(token, "GET", "/admin/v1/plans", nil)
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Header.Get("Content-Type"), "problem+json") {
			t.Errorf("%s on the admin API: %d %s", name, r.Status, r.Raw)
		}
	}
}

// An operator makes a plan and puts a tenant on it, suspends and resumes
// it, and sees its usage and the audit trail, through the admin API; the
// tenant sees the plan and the suspension through its own.
func TestAnOperatorRunsPlansAndTenantsThroughTheAdminAPI(t *testing.T) {
	a := newAdminHarness(t)
	ten := a.signup("Big Shop", "owner@big.example")
	owner := bearer(ten.Key)

	r := a.admin("POST", "/admin/v1/plans", map[string]any{"name": "cn-1000", "title": "CN 1000 lines", "concurrent_lines": 1000,
		"daily_calls": 100000, "calls_per_second": 50, "script_cpu_per_turn_ms": 300, "destinations": []string{"cn"}, "currency": "cny",
		"per_minute_cents": 8, "stripe_prices": []map[string]any{{"id": "price_cn_1000", "metered": true}}})
	if r.Status != http.StatusCreated || r.Body["concurrent_lines"] != 1000.0 || r.str("currency") != "cny" || r.Body["public"] != false {
		t.Fatalf("create a plan: %d %s", r.Status, r.Raw)
	}
	if d, _ := r.Body["destinations"].([]any); len(d) != 1 || d[0] != "CN" {
		t.Fatalf("destinations %v, want [CN]", r.Body["destinations"])
	}
	for _, c := range []struct {
		name     string
		body     map[string]any
		status   int
		location string
	}{
		{"a budget over the sandbox's", map[string]any{"name": "x", "script_cpu_per_turn_ms": 1001}, 422, "body.script_cpu_per_turn_ms"},
		{"an unknown region", map[string]any{"name": "x", "destinations": []string{"CN", "ZZ"}}, 422, "body.destinations[1]"},
		{"a currency without cents", map[string]any{"name": "x", "currency": "jpy"}, 422, "body.currency"},
		{"an upper-case name", map[string]any{"name": "Gold"}, 422, "body.name"},
		{"an unknown field", map[string]any{"name": "x", "lines": 5}, 422, "body.lines"},
		{"a price another plan holds", map[string]any{"name": "x", "stripe_prices": []map[string]any{{"id": "price_cn_1000"}}}, 409, "body.stripe_prices[0]"},
		{"a name taken", map[string]any{"name": "pro"}, 409, "body.name"},
	} {
		r := a.admin("POST", "/admin/v1/plans", c.body)
		if r.Status != c.status || !strings.Contains(r.Header.Get("Content-Type"), "problem+json") || !strings.Contains(r.Raw, `"location":"`+c.location+`"`) {
			t.Errorf("%s: %d %s, want %d naming %s", c.name, r.Status, r.Raw, c.status, c.location)
		}
	}
	if r := a.admin("PATCH", "/admin/v1/plans/cn-1000", map[string]any{"concurrent_lines": 800}); r.Status != 200 || r.Body["concurrent_lines"] != 800.0 ||
		r.Body["daily_calls"] != 100000.0 || r.Body["version"] != 2.0 {
		t.Fatalf("change the plan: %d %s", r.Status, r.Raw)
	}
	if r := a.admin("PATCH", "/admin/v1/plans/no-such-plan", map[string]any{"concurrent_lines": 8}); r.Status != 404 {
		t.Fatalf("change a plan that does not exist: %d %s", r.Status, r.Raw)
	}
	if r := a.admin("GET", "/admin/v1/plans", nil); r.Status != 200 || strings.Count(r.Raw, `"name":`) != 4 {
		t.Fatalf("list plans: %d %s", r.Status, r.Raw)
	}

	if r := a.admin("PUT", "/admin/v1/tenants/"+ten.ID+"/plan", map[string]any{"plan": "platinum"}); r.Status != 422 || !strings.Contains(r.Raw, `"location":"body.plan"`) {
		t.Fatalf("assign a plan that does not exist: %d %s", r.Status, r.Raw)
	}
	if r := a.admin("PUT", "/admin/v1/tenants/"+ten.ID+"/plan", map[string]any{"plan": "cn-1000"}); r.Status != 200 || r.str("plan") != "cn-1000" {
		t.Fatalf("assign the plan: %d %s", r.Status, r.Raw)
	}
	b := a.do(nil, "GET", "/v1/billing", nil, owner...)
	if b.str("plan", "name") != "cn-1000" || b.Body["plan"].(map[string]any)["concurrent_lines"] != 800.0 || !strings.Contains(b.Raw, `"destinations":["CN"]`) {
		t.Fatalf("the tenant's billing after the assignment: %s", b.Raw)
	}
	if r := a.admin("POST", "/admin/v1/tenants/"+ten.ID+"/suspend", map[string]any{"reason": "invoice unpaid"}); r.Status != 200 || r.Body["suspended"] != true {
		t.Fatalf("suspend: %d %s", r.Status, r.Raw)
	}
	if b := a.do(nil, "GET", "/v1/billing", nil, owner...); b.Body["can_dial"] != false || b.str("dial_refusal") != "suspended" {
		t.Fatalf("the suspended tenant's billing: %s", b.Raw)
	}
	if r := a.admin("POST", "/admin/v1/tenants/"+ten.ID+"/resume", nil); r.Status != 200 || r.Body["suspended"] != false {
		t.Fatalf("resume: %d %s", r.Status, r.Raw)
	}
	if b := a.do(nil, "GET", "/v1/billing", nil, owner...); b.Body["can_dial"] != true {
		t.Fatalf("the resumed tenant's billing: %s", b.Raw)
	}
	if r := a.admin("POST", "/admin/v1/tenants/00000000-0000-0000-0000-000000000001/suspend", map[string]any{}); r.Status != 404 {
		t.Fatalf("suspend a tenant that does not exist: %d %s", r.Status, r.Raw)
	}
	if r := a.admin("GET", "/admin/v1/tenants/not-a-uuid", nil); r.Status != 422 || !strings.Contains(r.Raw, "path.tenant_id") {
		t.Fatalf("a tenant id that is no UUID: %d %s", r.Status, r.Raw)
	}

	list := a.admin("GET", "/admin/v1/tenants?limit=10", nil)
	if list.Status != 200 || !strings.Contains(list.Raw, ten.ID) || !strings.Contains(list.Raw, `"usage":{"period_start"`) {
		t.Fatalf("list tenants: %d %s", list.Status, list.Raw)
	}
	if r := a.admin("GET", "/admin/v1/tenants?cursor=nonsense", nil); r.Status != 422 || !strings.Contains(r.Raw, "query.cursor") {
		t.Fatalf("a bad cursor: %d %s", r.Status, r.Raw)
	}
	audit := a.admin("GET", "/admin/v1/audit?tenant_id="+ten.ID, nil)
	items, _ := audit.Body["items"].([]any)
	var got []string
	for _, it := range items {
		e := it.(map[string]any)
		got = append(got, e["action"].(string))
		if !strings.HasPrefix(e["actor"].(string), "token oca_") || !strings.HasSuffix(e["actor"].(string), "(test suite)") {
			t.Errorf("entry %v by %q, want the token", e["action"], e["actor"])
		}
	}
	if !slices.Equal(got, []string{"tenant.resume", "tenant.suspend", "tenant.plan"}) {
		t.Fatalf("the tenant's audit trail: %v (%s)", got, audit.Raw)
	}
	if r := a.admin("GET", "/admin/v1/audit?tenant_id=nope", nil); r.Status != 422 || !strings.Contains(r.Raw, "query.tenant_id") {
		t.Fatalf("a tenant filter that is no id: %d %s", r.Status, r.Raw)
	}
}

// An operator lists the quarantined scripts and releases one through the
// admin API; a key that is not quarantined is a 404 problem, and a
// tenant's key neither lists nor releases them.
func TestAnOperatorReleasesAQuarantinedScriptThroughTheAdminAPI(t *testing.T) {
	a := newAdminHarness(t)
	ten := a.signup("Shop", "owner@shop.example")
	if _, err := a.svc.DB().Pool().Exec(context.Background(), `INSERT INTO script_quarantine (key, why) VALUES ('0a1b2c', 'reached its memory limit')`); err != nil {
		t.Fatal(err)
	}
	if r := a.admin("GET", "/admin/v1/scripts/quarantined", nil); r.Status != 200 || !strings.Contains(r.Raw, `"key":"0a1b2c"`) || !strings.Contains(r.Raw, "memory limit") {
		t.Fatalf("list: %d %s", r.Status, r.Raw)
	}
	if r := a.adminAs(ten.Key, "GET", "/admin/v1/scripts/quarantined", nil); r.Status != 401 || strings.Contains(r.Raw, "0a1b2c") {
		t.Fatalf("a tenant's key lists: %d %s", r.Status, r.Raw)
	}
	if r := a.adminAs(ten.Key, "DELETE", "/admin/v1/scripts/quarantined/0a1b2c", nil); r.Status != 401 {
		t.Fatalf("a tenant's key releases: %d %s", r.Status, r.Raw)
	}
	if r := a.admin("DELETE", "/admin/v1/scripts/quarantined/0a1b2c", nil); r.Status != 204 {
		t.Fatalf("release: %d %s", r.Status, r.Raw)
	}
	if r := a.admin("GET", "/admin/v1/scripts/quarantined", nil); r.Status != 200 || strings.Contains(r.Raw, "0a1b2c") {
		t.Fatalf("listed after the release: %d %s", r.Status, r.Raw)
	}
	if r := a.admin("DELETE", "/admin/v1/scripts/quarantined/0a1b2c", nil); r.Status != 404 || !strings.Contains(r.Header.Get("Content-Type"), "problem+json") {
		t.Fatalf("release again: %d %s", r.Status, r.Raw)
	}
	if r := a.admin("GET", "/admin/v1/audit", nil); !strings.Contains(r.Raw, `"action":"script.release"`) {
		t.Fatalf("the audit trail: %s", r.Raw)
	}
}
