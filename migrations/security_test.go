package migrations_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/migrations"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
)

// connect opens a connection to url for the length of the test.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func exec(t *testing.T, conn *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// throwawayRole creates a role (cluster-wide, so with a name of its own)
// with the given attributes, and drops it, and what it owns in the
// database conn is on, when the test ends.
func throwawayRole(t *testing.T, conn *pgx.Conn, attrs string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	name := "test_role_" + hex.EncodeToString(b)
	exec(t, conn, `CREATE ROLE `+name+` `+attrs)
	t.Cleanup(func() {
		ctx := context.Background()
		conn.Exec(ctx, `RESET ROLE`)
		conn.Exec(ctx, `REASSIGN OWNED BY `+name+` TO CURRENT_USER`)
		conn.Exec(ctx, `DROP OWNED BY `+name)
		if _, err := conn.Exec(ctx, `DROP ROLE `+name); err != nil {
			t.Logf("drop role %s: %v", name, err)
		}
	})
	return name
}

func TestEveryTableWithRowLevelSecurityForcesIt(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, dbtest.New(t))
	rows, err := conn.Query(ctx, `SELECT c.relname::text, c.relforcerowsecurity FROM pg_class c
		WHERE c.relnamespace = 'public'::regnamespace AND c.relrowsecurity ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	forced := map[string]bool{}
	var name string
	var force bool
	if _, err := pgx.ForEachRow(rows, []any{&name, &force}, func() error { forced[name] = force; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"tenants", "users", "sessions", "contacts", "calls", "usage_ledger", "trunks"} {
		if _, ok := forced[table]; !ok {
			t.Errorf("table %s has no row-level security", table)
		}
	}
	for table, force := range forced {
		if !force {
			t.Errorf("table %s enables row-level security without forcing it: its owner reads every tenant's rows (ALTER TABLE %s FORCE ROW LEVEL SECURITY)", table, table)
		}
	}
}

// The tables' owner is only the superuser in tests; a role that is none,
// given a table, is held by its policy like everyone else.
func TestATableOwnerThatIsNoSuperuserSeesOnlyItsTenantsRows(t *testing.T) {
	ctx := context.Background()
	url := dbtest.New(t)
	conn := connect(t, url)
	owner := throwawayRole(t, conn, `NOLOGIN NOSUPERUSER NOBYPASSRLS`)
	tenant := uuid.New()
	exec(t, conn, `INSERT INTO tenants (id, name) VALUES ($1, 'T')`, tenant)
	exec(t, conn, `INSERT INTO contacts (id, tenant_id, phone, time_zone) VALUES ($1, $2, '+8613800000001', 'Asia/Shanghai')`, uuid.New(), tenant)
	exec(t, conn, `ALTER TABLE contacts OWNER TO `+owner)

	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL ROLE `+owner); err != nil {
		t.Fatal(err)
	}
	var seen int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM contacts`).Scan(&seen); err != nil {
		t.Fatal(err)
	}
	if seen != 0 {
		t.Errorf("the owner of contacts sees %d rows without a tenant, want 0", seen)
	}
	if err := tenants.SetTenant(ctx, tx, tenant); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM contacts`).Scan(&seen); err != nil {
		t.Fatal(err)
	}
	if seen != 1 {
		t.Errorf("the owner of contacts sees %d rows of its tenant, want 1", seen)
	}
}

func TestEverySecurityDefinerFunctionIsPinnedAndClosed(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, dbtest.New(t))
	rows, err := conn.Query(ctx, `SELECT p.oid::regprocedure::text, pg_get_userbyid(p.proowner)::text,
			coalesce((SELECT substr(c, length('search_path=') + 1) FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%'), ''),
			EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'),
			has_function_privilege($1, p.oid, 'EXECUTE')
		FROM pg_proc p WHERE p.prosecdef AND p.pronamespace = 'public'::regnamespace ORDER BY 1`, migrations.AppRole)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	var fn, owner, path string
	var public, app bool
	_, err = pgx.ForEachRow(rows, []any{&fn, &owner, &path, &public, &app}, func() error {
		seen = append(seen, fn[:strings.Index(fn, "(")])
		if owner != migrations.DefinerRole {
			t.Errorf("%s is owned by %s, want %s (the tables' owner is held by row-level security)", fn, owner, migrations.DefinerRole)
		}
		schemas := strings.Split(path, ",")
		for i := range schemas {
			schemas[i] = strings.TrimSpace(schemas[i])
		}
		if len(schemas) < 2 || schemas[len(schemas)-1] != "pg_temp" || slices.ContainsFunc(schemas[:len(schemas)-1], func(s string) bool {
			return s != "public" && s != "pg_catalog"
		}) {
			t.Errorf("%s runs with search_path %q, want public, pg_temp (pg_temp last, or a caller's temporary table comes first)", fn, path)
		}
		if public {
			t.Errorf("%s may be executed by PUBLIC (REVOKE EXECUTE ON FUNCTION … FROM PUBLIC)", fn)
		}
		if !app {
			t.Errorf("%s may not be executed by %s", fn, migrations.AppRole)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"auth_user_by_email", "auth_api_key_by_prefix", "auth_session_by_token", "auth_invitation_by_token",
		"purge_expired_sessions", "purge_idempotency_keys", "active_campaigns", "list_contacts_forget_lists", "list_contacts_forget_contacts",
		"billing_tenants_with_pending_usage", "billing_tenant_by_customer", "recordings_past_retention", "enabled_trunks", "admin_tenants"} {
		if !slices.Contains(seen, want) {
			t.Errorf("no SECURITY DEFINER function %s (found %v)", want, seen)
		}
	}
}

// With pg_temp unlisted, PostgreSQL searches it first: a caller's temporary
// table would stand in for the real one inside a definer function.
func TestATemporaryTableDoesNotStandInForWhatADefinerFunctionReads(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, dbtest.New(t))
	exec(t, conn, `SET ROLE `+migrations.AppRole)
	exec(t, conn, `CREATE TEMP TABLE users (id uuid, tenant_id uuid, email citext, password_hash text)`)
	exec(t, conn, `INSERT INTO pg_temp.users VALUES (gen_random_uuid(), gen_random_uuid(), 'planted@example.com', 'planted')`)
	var found int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM auth_user_by_email('planted@example.com')`).Scan(&found); err != nil {
		t.Fatal(err)
	}
	if found != 0 {
		t.Errorf("auth_user_by_email found %d users in the caller's temporary table", found)
	}
}

func TestFunctionsTheMigratingRoleCreatesStartClosedToPublic(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, dbtest.New(t))
	exec(t, conn, `CREATE FUNCTION a_new_function() RETURNS int LANGUAGE sql AS 'SELECT 1'`)
	var public bool
	if err := conn.QueryRow(ctx, `SELECT has_function_privilege('public', 'a_new_function()', 'EXECUTE')`).Scan(&public); err != nil {
		t.Fatal(err)
	}
	if public {
		t.Error("PUBLIC may execute a function the migrating role just created (ALTER DEFAULT PRIVILEGES … REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC)")
	}
}

func TestTheDefinerRoleBypassesRowLevelSecurityAndHoldsLittleElse(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, dbtest.New(t))
	var super, bypass, login, create bool
	err := conn.QueryRow(ctx, `SELECT rolsuper, rolbypassrls, rolcanlogin, has_schema_privilege(rolname, 'public', 'CREATE')
		FROM pg_roles WHERE rolname = $1`, migrations.DefinerRole).Scan(&super, &bypass, &login, &create)
	if err != nil {
		t.Fatal(err)
	}
	if super || !bypass || login || create {
		t.Errorf("%s: superuser %v, bypassrls %v, login %v, create in public %v; want only bypassrls", migrations.DefinerRole, super, bypass, login, create)
	}
	rows, err := conn.Query(ctx, `SELECT c.relname::text || ' ' || p FROM pg_class c, unnest(ARRAY['INSERT', 'UPDATE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND has_table_privilege($1, c.oid, p) ORDER BY 1`, migrations.DefinerRole)
	if err != nil {
		t.Fatal(err)
	}
	more, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(more) > 0 {
		t.Errorf("%s may do more than its functions do: %v", migrations.DefinerRole, more)
	}
}

func TestCheckAppRoleRefusesARoleThatBypassesRowLevelSecurity(t *testing.T) {
	ctx := context.Background()
	db, url := dbtest.Open(ctx, t)
	if err := migrations.CheckAppRole(ctx, db.Pool()); err != nil {
		t.Errorf("the service's pool: %v", err)
	}

	conn := connect(t, url)
	if err := migrations.CheckAppRole(ctx, conn); !errors.Is(err, migrations.ErrBypassesRLS) || !strings.Contains(err.Error(), "superuser") {
		t.Errorf("a superuser: %v, want ErrBypassesRLS saying superuser", err)
	}
	plain := throwawayRole(t, conn, `NOLOGIN NOSUPERUSER NOBYPASSRLS`)
	bypass := throwawayRole(t, conn, `NOLOGIN NOSUPERUSER BYPASSRLS`)
	member := throwawayRole(t, conn, `NOLOGIN NOSUPERUSER NOBYPASSRLS IN ROLE `+bypass)
	owner := throwawayRole(t, conn, `NOLOGIN NOSUPERUSER NOBYPASSRLS`)
	exec(t, conn, `ALTER TABLE trunks OWNER TO `+owner)
	ownerMember := throwawayRole(t, conn, `NOLOGIN NOSUPERUSER NOBYPASSRLS IN ROLE `+owner)
	for _, c := range []struct {
		role, why string
	}{
		{plain, ""},
		{bypass, "BYPASSRLS"},
		{member, "member of " + bypass},
		{owner, "trunks"},
		{ownerMember, "trunks"},
	} {
		exec(t, conn, `SET ROLE `+c.role)
		err := migrations.CheckAppRole(ctx, conn)
		exec(t, conn, `RESET ROLE`)
		switch {
		case c.why == "" && err != nil:
			t.Errorf("a role that owns nothing and bypasses nothing: %v", err)
		case c.why != "" && (!errors.Is(err, migrations.ErrBypassesRLS) || !strings.Contains(err.Error(), c.why)):
			t.Errorf("role %s: %v, want ErrBypassesRLS naming %q", c.role, err, c.why)
		}
	}
}

// withUser returns raw with its user replaced (trust authentication, as
// the local test cluster has).
func withUser(t *testing.T, raw, user, db string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(user)
	u.Path = "/" + db
	return u.String()
}

// emptyDatabase creates a database owned by owner, dropped when the test
// ends, and returns owner's URL of it.
func emptyDatabase(t *testing.T, conn *pgx.Conn, su, owner string) string {
	t.Helper()
	name := "test_empty_" + strings.TrimPrefix(owner, "test_role_")
	exec(t, conn, `CREATE DATABASE `+name+` OWNER `+owner)
	t.Cleanup(func() { conn.Exec(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`) })
	url := withUser(t, su, owner, name)
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Skipf("cannot log in as a role of the test's own (the test server does not trust local logins?): %v", err)
	}
	c.Close(context.Background())
	return url
}

// A migrating role that is no superuser, as on a managed server: the
// schema is built, the tables it owns hold it to their policies, and the
// functions that read across tenants still find what they look for.
func TestAMigratingRoleThatIsNoSuperuserGetsAWorkingSchema(t *testing.T) {
	ctx := context.Background()
	su := dbtest.New(t)
	conn := connect(t, su)
	migrator := throwawayRole(t, conn, `LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE `+migrations.DefinerRole+`, `+migrations.AppRole)
	url := emptyDatabase(t, conn, su, migrator)
	if err := migrations.Up(ctx, url); err != nil {
		t.Fatalf("migrate as %s: %v", migrator, err)
	}

	db, err := tenants.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := tenants.NewService(db)
	su1, err := svc.Signup(ctx, tenants.SignupRequest{TenantName: "Shop", Email: "owner@shop.example", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	// Login finds the user by email before the tenant is known.
	if _, err := svc.Login(ctx, "owner@shop.example", "a long password"); err != nil {
		t.Fatalf("log in: %v", err)
	}
	var purged int64
	if err := db.Pool().QueryRow(ctx, `SELECT purge_idempotency_keys()`).Scan(&purged); err != nil {
		t.Fatalf("purge_idempotency_keys: %v", err)
	}

	owner := connect(t, url)
	var users int
	if err := owner.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if users != 0 {
		t.Errorf("the tables' owner sees %d users without a tenant, want 0", users)
	}
	tx, err := owner.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := tenants.SetTenant(ctx, tx, su1.Tenant.ID); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if users != 1 {
		t.Errorf("the tables' owner sees %d users of its tenant, want 1", users)
	}
}

// A migrating role that may not hand functions to the definer role is told
// what to run.
func TestMigrateSaysWhatToRunWhenItCannotUseTheDefinerRole(t *testing.T) {
	ctx := context.Background()
	su := dbtest.New(t)
	conn := connect(t, su)
	migrator := throwawayRole(t, conn, `LOGIN NOSUPERUSER NOBYPASSRLS`)
	url := emptyDatabase(t, conn, su, migrator)
	err := migrations.Up(ctx, url)
	if err == nil || !strings.Contains(err.Error(), "GRANT "+migrations.DefinerRole+" TO "+pgx.Identifier{migrator}.Sanitize()) {
		t.Errorf("migrate as a role outside %s: %v, want an error saying to grant it", migrations.DefinerRole, err)
	}
}
