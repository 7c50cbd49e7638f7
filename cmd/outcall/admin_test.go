package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/outcall/outcall/migrations/dbtest"
)

// An operator at the command line makes a plan, puts a tenant on it,
// suspends and resumes it, lists tenants and the audit trail, and makes,
// lists and revokes an admin token; a wrong flag value is named.
func TestTheAdminCommandsRunPlansTenantsAndTokens(t *testing.T) {
	ctx := context.Background()
	db, url := dbtest.Open(ctx, t)
	su, _ := dbtest.SignUp(ctx, t, db, "Big Shop")
	ten := su.Tenant.ID.String()
	run := func(args ...string) string {
		t.Helper()
		out, err := runOutcall(t, append(append([]string{"admin"}, args...), "--database-url", url)...)
		if err != nil {
			t.Fatalf("outcall admin %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}

	out := run("plans", "create", "cn-1000", "--title", "CN 1000", "--concurrent-lines", "1000", "--daily-calls", "100000", "--calls-per-second", "50",
		"--script-cpu-ms", "200", "--destinations", "cn,HK", "--currency", "CNY", "--per-minute-cents", "8",
		"--stripe-prices", "metered:price_cn_1000,outcall_cn_monthly")
	var plan struct {
		Name            string   `json:"name"`
		ConcurrentLines int      `json:"concurrent_lines"`
		CPU             int      `json:"script_cpu_per_turn_ms"`
		Destinations    []string `json:"destinations"`
		Currency        string   `json:"currency"`
		StripePrices    []struct {
			ID        string `json:"id"`
			LookupKey string `json:"lookup_key"`
			Metered   bool   `json:"metered"`
		} `json:"stripe_prices"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("plans create printed %q: %v", out, err)
	}
	if plan.ConcurrentLines != 1000 || plan.CPU != 200 || strings.Join(plan.Destinations, ",") != "CN,HK" || plan.Currency != "cny" ||
		len(plan.StripePrices) != 2 || plan.StripePrices[0].ID != "price_cn_1000" || !plan.StripePrices[0].Metered ||
		plan.StripePrices[1].LookupKey != "outcall_cn_monthly" || plan.StripePrices[1].Metered {
		t.Fatalf("the plan made: %s", out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"plans", "update", "cn-1000", "--script-cpu-ms", "5000"}, "--script-cpu-ms: "},
		{[]string{"plans", "update", "cn-1000", "--destinations", "CN,XX"}, "--destinations (item 2): "},
		{[]string{"plans", "update", "cn-1000"}, "nothing to change"},
		{[]string{"plans", "create", "Gold"}, "NAME: "},
		{[]string{"tenants", "plan", ten, "platinum"}, "PLAN: no plan is called"},
		{[]string{"tenants", "suspend", "not-an-id"}, "TENANT: "},
	} {
		out, err := runOutcall(t, append(append([]string{"admin"}, c.args...), "--database-url", url)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("outcall admin %s: %v (%s), want an error with %q", strings.Join(c.args, " "), err, out, c.want)
		}
	}
	if out := run("plans", "update", "cn-1000", "--concurrent-lines", "500"); !strings.Contains(out, `"concurrent_lines": 500`) || !strings.Contains(out, `"version": 2`) {
		t.Fatalf("plans update printed %s", out)
	}
	if out := run("plans", "list"); !strings.Contains(out, "cn-1000") || !strings.Contains(out, "CN,HK") || !strings.Contains(out, "trial") {
		t.Fatalf("plans list printed %s", out)
	}
	if out := run("tenants", "plan", ten, "cn-1000"); !strings.Contains(out, "cn-1000") {
		t.Fatalf("tenants plan printed %s", out)
	}
	if out := run("tenants", "suspend", ten, "--reason", "invoice unpaid"); !strings.Contains(out, "suspended since") {
		t.Fatalf("tenants suspend printed %s", out)
	}
	if out := run("tenants", "list"); !strings.Contains(out, ten) || !strings.Contains(out, "suspended since") || !strings.Contains(out, "0.00 CNY") {
		t.Fatalf("tenants list printed %s", out)
	}
	if out := run("tenants", "resume", ten); !strings.Contains(out, "active") {
		t.Fatalf("tenants resume printed %s", out)
	}
	audit := run("audit", "--tenant", ten)
	for _, want := range []string{"tenant.resume", "tenant.suspend", "tenant.plan", "invoice unpaid", "cli ("} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit lacks %q:\n%s", want, audit)
		}
	}

	// The secret is the first line (standard output); the note about it
	// goes to standard error (here the same buffer).
	created := run("token", "create", "--name", "ops laptop")
	secret, note, _ := strings.Cut(created, "\n")
	if !strings.HasPrefix(secret, "oca_") || !strings.Contains(note, "shown only now") {
		t.Fatalf("token create printed %q, want the token on a line of its own", created)
	}
	prefix := secret[:len("oca_12345678")]
	if out := run("token", "list"); !strings.Contains(out, prefix) || !strings.Contains(out, "ops laptop") || strings.Contains(out, secret) {
		t.Fatalf("token list printed %s", out)
	}

	// The admin API, as serve --admin-addr runs it, takes the token.
	sctx, cancel := context.WithCancel(ctx)
	g, gctx := errgroup.WithContext(sctx)
	addr := make(chan string, 1)
	if err := serveAdmin(gctx, g, slog.New(slog.NewTextHandler(io.Discard, nil)), "127.0.0.1:0", db, func(a string) { addr <- a }); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := g.Wait(); err != nil {
			t.Errorf("the admin API ended with %v", err)
		}
	}()
	base := "http://" + <-addr
	get := func(path, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		c := &http.Client{Timeout: 10 * time.Second}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if status, body := get("/admin/v1/plans", secret); status != 200 || !strings.Contains(body, "cn-1000") {
		t.Fatalf("the admin API with the token: %d %s", status, body)
	}
	if status, body := get("/openapi.json", ""); status != 200 || !strings.Contains(body, "/admin/v1/tenants/{tenant_id}/suspend") {
		t.Fatalf("the admin API's document: %d %.300s", status, body)
	}
	if out := run("token", "revoke", prefix); !strings.Contains(out, "revoked "+prefix) {
		t.Fatalf("token revoke printed %s", out)
	}
	if status, _ := get("/admin/v1/plans", secret); status != 401 {
		t.Fatalf("the admin API with a revoked token: %d", status)
	}
	if out, err := runOutcall(t, "admin", "openapi"); err != nil || !strings.Contains(out, "/admin/v1/plans") || !strings.Contains(out, "adminToken") {
		t.Fatalf("admin openapi: %v %.300s", err, out)
	}
}
