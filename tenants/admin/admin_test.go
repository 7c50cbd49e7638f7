package admin_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/tenants/admin"
)

type rig struct {
	t   *testing.T
	ctx context.Context
	db  *tenants.DB
	svc *admin.Service
	now time.Time
}

// newRig is a migrated database with the admin service on it, whose clock
// stands still at one moment, the moment its usage is recorded at.
func newRig(t *testing.T) *rig {
	t.Helper()
	ctx := context.Background()
	db, _ := dbtest.Open(ctx, t)
	now := time.Now().Truncate(time.Microsecond) // as PostgreSQL keeps it
	return &rig{t: t, ctx: ctx, db: db, now: now,
		svc: admin.New(admin.Options{DB: db, Now: func() time.Time { return now }})}
}

func (r *rig) signup(name string) uuid.UUID {
	r.t.Helper()
	_, owner := dbtest.SignUp(r.ctx, r.t, r.db, name)
	return owner.TenantID
}

func (r *rig) audit(tenantID *uuid.UUID) []admin.AuditEntry {
	r.t.Helper()
	entries, err := r.svc.Audit(r.ctx, tenantID, nil, 100)
	if err != nil {
		r.t.Fatal(err)
	}
	return entries
}

func actions(entries []admin.AuditEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return out
}

var cli = admin.CLI("alice")

func TestATokenActsForItsOperatorUntilRevoked(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	tok, err := r.svc.CreateToken(r.ctx, cli, "ops laptop")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Secret, tok.Prefix+"_") || !strings.HasPrefix(tok.Prefix, "oca_") {
		t.Fatalf("token %q with prefix %q", tok.Secret, tok.Prefix)
	}
	op, err := r.svc.Authenticate(r.ctx, tok.Secret)
	if err != nil || op.TokenID == nil || *op.TokenID != tok.ID || op.Name != "token "+tok.Prefix+" (ops laptop)" {
		t.Fatalf("authenticate: %+v %v", op, err)
	}
	su, _ := dbtest.SignUp(r.ctx, t, r.db, "Shop")
	for name, secret := range map[string]string{
		"a wrong secret":      tok.Prefix + "_" + strings.Repeat("a", 32),
		"the prefix alone":    tok.Prefix,
		"a tenant's API key":  su.Key.Secret,
		"an empty credential": "",
	} {
		if _, err := r.svc.Authenticate(r.ctx, secret); tenants.ErrorCode(err) != tenants.EUnauthorized {
			t.Errorf("%s: %v, want unauthorized", name, err)
		}
	}
	if err := r.svc.RevokeToken(r.ctx, cli, tok.Prefix); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Authenticate(r.ctx, tok.Secret); tenants.ErrorCode(err) != tenants.EUnauthorized {
		t.Fatalf("a revoked token: %v, want unauthorized", err)
	}
	if err := r.svc.RevokeToken(r.ctx, cli, "oca_nothere"); tenants.ErrorCode(err) != tenants.ENotFound {
		t.Fatalf("revoking a token that does not exist: %v", err)
	}
	if got := actions(r.audit(nil)); !slices.Equal(got, []string{admin.ActionTokenRevoke, admin.ActionTokenCreate}) {
		t.Fatalf("audit %v, want the revocation and the creation, newest first", got)
	}
	var stored int
	if err := r.db.Pool().QueryRow(r.ctx, `SELECT count(*) FROM admin_tokens WHERE secret_hash::text LIKE '%' || $1 || '%'`, tok.Secret).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("the secret is stored as it is (%d, %v)", stored, err)
	}
}

// Every change an operator makes is in the audit trail, with who made it
// and what it was about; a refused change and a change that changes
// nothing leave no entry.
func TestOperatorsChangesAreAuditedAndTakeEffect(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ten := r.signup("Big Shop")
	lines := 800
	if _, err := r.svc.CreatePlan(r.ctx, cli, "gold", billing.PlanChange{ConcurrentLines: &lines, Currency: ptr("cny")}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.CreatePlan(r.ctx, cli, "gold", billing.PlanChange{}); tenants.ErrorCode(err) != tenants.EConflict {
		t.Fatalf("a second gold plan: %v", err)
	}
	more := 900
	if p, err := r.svc.UpdatePlan(r.ctx, cli, "gold", billing.PlanChange{ConcurrentLines: &more}); err != nil || p.ConcurrentLines != 900 || p.Currency != "cny" {
		t.Fatalf("update: %+v %v", p, err)
	}
	got, err := r.svc.AssignPlan(r.ctx, cli, ten, "gold")
	if err != nil || got.Plan != "gold" || got.Currency != "cny" {
		t.Fatalf("assign: %+v %v", got, err)
	}
	if _, err := r.svc.AssignPlan(r.ctx, cli, ten, "gold"); err != nil {
		t.Fatalf("assigning the same plan again: %v", err)
	}
	canDial := func() string {
		var reason string
		if err := r.db.InTenant(r.ctx, ten, func(tx pgx.Tx) error {
			reason = billing.RefusalReason(billing.CanDial(r.ctx, tx, ten, r.now))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return reason
	}
	if got, err := r.svc.Suspend(r.ctx, cli, ten, "unpaid invoice 2026-11"); err != nil || got.SuspendedAt == nil || !got.SuspendedAt.Equal(r.now) {
		t.Fatalf("suspend: %+v %v", got, err)
	}
	if _, err := r.svc.Suspend(r.ctx, cli, ten, "again"); err != nil {
		t.Fatalf("suspending a suspended tenant: %v", err)
	}
	if reason := canDial(); reason != billing.ReasonSuspended {
		t.Fatalf("a suspended tenant's dial: reason %q", reason)
	}
	if got, err := r.svc.Resume(r.ctx, cli, ten); err != nil || got.SuspendedAt != nil {
		t.Fatalf("resume: %+v %v", got, err)
	}
	if reason := canDial(); reason != "" {
		t.Fatalf("a resumed tenant's dial: refused %q", reason)
	}
	if _, err := r.svc.Suspend(r.ctx, cli, uuid.New(), ""); tenants.ErrorCode(err) != tenants.ENotFound {
		t.Fatalf("suspending a tenant that does not exist: %v", err)
	}

	all := r.audit(nil)
	if got := actions(all); !slices.Equal(got, []string{admin.ActionTenantResume, admin.ActionTenantSuspend, admin.ActionTenantPlan, admin.ActionPlanUpdate, admin.ActionPlanCreate}) {
		t.Fatalf("audit %v", got)
	}
	for _, e := range all {
		if e.Actor != "cli (alice)" || !e.At.Equal(r.now) {
			t.Errorf("%s by %q at %v, want cli (alice) at the service's clock", e.Action, e.Actor, e.At)
		}
	}
	var detail map[string]any
	json.Unmarshal(all[2].Detail, &detail)
	if all[2].TenantID == nil || *all[2].TenantID != ten || *all[2].Plan != "gold" || detail["previous_plan"] != billing.Trial {
		t.Fatalf("the plan change's entry: %+v %s", all[2], all[2].Detail)
	}
	json.Unmarshal(all[1].Detail, &detail)
	if detail["reason"] != "unpaid invoice 2026-11" {
		t.Fatalf("the suspension's entry: %s", all[1].Detail)
	}
	json.Unmarshal(all[3].Detail, &detail)
	before, _ := detail["before"].(map[string]any)
	after, _ := detail["after"].(map[string]any)
	if before["concurrent_lines"] != 800.0 || after["concurrent_lines"] != 900.0 || after["script_cpu_per_turn_ms"] != 50.0 {
		t.Fatalf("the plan update's entry: %s", all[3].Detail)
	}
	if got := r.audit(&ten); len(got) != 3 {
		t.Fatalf("the tenant's own entries: %v, want the plan change, the suspension and the resumption", actions(got))
	}
	page, err := r.svc.Audit(r.ctx, nil, &all[1].ID, 100)
	if err != nil || !slices.Equal(actions(page), actions(all[2:])) {
		t.Fatalf("the page after the second entry: %v %v", actions(page), err)
	}
}

// Operators see every tenant, whatever row-level security shows a tenant,
// page by page, with what each used this period.
func TestOperatorsSeeEveryTenantWithItsUsageThisPeriod(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a, b, c := r.signup("A Shop"), r.signup("B Shop"), r.signup("C Shop")
	if err := r.db.InTenant(r.ctx, b, func(tx pgx.Tx) error {
		if _, err := billing.AssignPlan(r.ctx, tx, b, billing.PayG); err != nil {
			return err
		}
		for _, seconds := range []int{75, 30} {
			if err := billing.RecordCall(r.ctx, tx, nil, b, billing.CallUsage{CallID: uuid.New(), ConnectedSeconds: seconds, EndedAt: r.now}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	first, err := r.svc.Tenants(r.ctx, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 {
		t.Fatalf("the first page holds %d tenants, want 2", len(first))
	}
	rest, err := r.svc.Tenants(r.ctx, &first[1].ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	all := append(first, rest...)
	var ids []uuid.UUID
	for _, u := range all {
		ids = append(ids, u.ID)
	}
	if !slices.Equal(ids, []uuid.UUID{a, b, c}) {
		t.Fatalf("tenants %v, want %v in the order they signed up", ids, []uuid.UUID{a, b, c})
	}
	got := all[1]
	// 75 s and 30 s: 2 + 1 started minutes at 6 cents, and 2 attempts at 1.
	if got.Plan != billing.PayG || got.Calls != 2 || got.Minutes != 3 || got.Attempts != 2 || got.AmountCents != 20 || got.Currency != "usd" ||
		!got.PeriodStart.Equal(billing.PeriodStart(r.now)) {
		t.Fatalf("B's usage: %+v", got)
	}
	if all[0].Calls != 0 || all[0].Plan != billing.Trial {
		t.Fatalf("A's usage: %+v", all[0])
	}
	one, err := r.svc.Tenant(r.ctx, b)
	if err != nil || one != got {
		t.Fatalf("one tenant: %+v %v, want %+v", one, err, got)
	}
}

func ptr[T any](v T) *T { return &v }

// An operator lists the quarantined scripts and releases one: it leaves the
// table, the audit trail says who released it and why it had been
// quarantined, and a key that is not quarantined is a clear not-found.
func TestAnOperatorReleasesAQuarantinedScript(t *testing.T) {
	r := newRig(t)
	if _, err := r.db.Pool().Exec(r.ctx, `INSERT INTO script_quarantine (key, why) VALUES ('k1', 'reached its memory limit'), ('k2', 'timed out')`); err != nil {
		t.Fatal(err)
	}
	listed, err := r.svc.QuarantinedScripts(r.ctx)
	if err != nil || len(listed) != 2 {
		t.Fatalf("listed %+v, %v; want both", listed, err)
	}
	if err := r.svc.ReleaseScript(r.ctx, admin.CLI("alice"), "k1"); err != nil {
		t.Fatal(err)
	}
	listed, err = r.svc.QuarantinedScripts(r.ctx)
	if err != nil || len(listed) != 1 || listed[0].Key != "k2" || listed[0].Why != "timed out" {
		t.Fatalf("after the release: %+v, %v; want k2 alone", listed, err)
	}
	entries := r.audit(nil)
	if len(entries) != 1 || entries[0].Action != admin.ActionScriptRelease || entries[0].Actor != "cli (alice)" ||
		!strings.Contains(string(entries[0].Detail), "reached its memory limit") {
		t.Fatalf("audit trail: %+v", entries)
	}
	err = r.svc.ReleaseScript(r.ctx, admin.CLI("alice"), "k1")
	if tenants.ErrorCode(err) != tenants.ENotFound || !strings.Contains(err.Error(), `"k1"`) {
		t.Fatalf("releasing it again: %v; want not found naming the key", err)
	}
}
