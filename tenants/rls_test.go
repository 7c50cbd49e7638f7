package tenants_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
)

// tenantTables lists every table with a tenant_id column, and tenants.
func tenantTables(t *testing.T, conn *pgx.Conn) []string {
	rows, err := conn.Query(context.Background(), `SELECT table_name FROM information_schema.columns
		WHERE table_schema = 'public' AND column_name = 'tenant_id' AND table_name NOT LIKE 'river%'
		UNION SELECT 'tenants' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestEveryTenantTableHasRowLevelSecurity(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, table := range tenantTables(t, conn) {
		var enabled bool
		var policies int
		// Count the policies that key on the per-transaction tenant setting.
		err := conn.QueryRow(ctx, `SELECT c.relrowsecurity, (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid
				AND pg_get_expr(p.polqual, p.polrelid) LIKE '%current_setting(''app.tenant_id''%'
				AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%current_setting(''app.tenant_id''%')
			FROM pg_class c WHERE c.relname = $1 AND c.relnamespace = 'public'::regnamespace`, table).Scan(&enabled, &policies)
		if err != nil {
			t.Fatal(err)
		}
		if !enabled || policies == 0 {
			t.Errorf("table %s: row-level security enabled=%v with %d policies", table, enabled, policies)
		}
	}
}

func TestTheApplicationRoleSeesNoRowsWithoutATenant(t *testing.T) {
	ctx := context.Background()
	db, url := dbtest.Open(ctx, t)
	svc := tenants.NewService(db)
	for _, email := range []string{"a@example.com", "b@example.com"} {
		su, err := svc.Signup(ctx, tenants.SignupRequest{TenantName: "T", Email: email, Password: "password-123"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Login(ctx, email, "password-123"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Pool().Exec(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
		err = db.InTenant(ctx, su.Tenant.ID, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (tenant_id, key, request_hash) VALUES ($1, 'k', '\x00')`, su.Tenant.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	var user string
	var super, bypass bool
	if err := db.Pool().QueryRow(ctx, `SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&user, &super, &bypass); err != nil {
		t.Fatal(err)
	}
	if user != tenants.AppRole || super || bypass {
		t.Fatalf("the pool runs as %s (superuser %v, bypassrls %v), want %s without either", user, super, bypass, tenants.AppRole)
	}

	owner, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	for _, table := range tenantTables(t, owner) {
		var all, visible int
		if err := owner.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&all); err != nil {
			t.Fatal(err)
		}
		if all == 0 {
			// TestEveryTenantTableHasRowLevelSecurity covers its policy.
			t.Logf("table %s: no rows seeded here", table)
		}
		// A raw query, outside any tenant transaction, and again on a
		// connection that earlier ran a tenant transaction (the setting is
		// then '' rather than unset).
		if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&visible); err != nil {
			t.Fatalf("table %s: %v", table, err)
		}
		if visible != 0 {
			t.Errorf("table %s: the application role sees %d of %d rows without a tenant", table, visible, all)
		}
	}
}

func TestATenantTransactionSeesOnlyItsOwnRows(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.Open(ctx, t)
	svc := tenants.NewService(db)
	a, err := svc.Signup(ctx, tenants.SignupRequest{TenantName: "A", Email: "a@example.com", Password: "password-123"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Signup(ctx, tenants.SignupRequest{TenantName: "B", Email: "b@example.com", Password: "password-123"})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTenant(ctx, a.Tenant.ID, func(tx pgx.Tx) error {
		var users, tenantsSeen int
		tx.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&users)
		tx.QueryRow(ctx, `SELECT count(*) FROM tenants`).Scan(&tenantsSeen)
		if users != 1 || tenantsSeen != 1 {
			t.Errorf("tenant A sees %d users and %d tenants, want 1 and 1", users, tenantsSeen)
		}
		// Writing B's rows from A's transaction is refused by the policy.
		tag, err := tx.Exec(ctx, `UPDATE users SET name = 'hijacked' WHERE id = $1`, b.Owner.ID)
		if err != nil || tag.RowsAffected() != 0 {
			t.Errorf("tenant A updated %d of B's users (%v)", tag.RowsAffected(), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTenant(ctx, a.Tenant.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, role) VALUES (gen_random_uuid(), $1, 'x', 'oc_planted', '\x00', 'owner')`, b.Tenant.ID)
		return err
	})
	if err == nil {
		t.Fatal("tenant A inserted a key into tenant B")
	}
}
