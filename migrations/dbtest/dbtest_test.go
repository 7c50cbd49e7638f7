package dbtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
)

func TestNewGivesAMigratedDatabaseOfItsOwn(t *testing.T) {
	a, b := dbtest.New(t), dbtest.New(t)
	if a == b {
		t.Fatalf("two calls returned the same database %s", a)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('tenants', 'river_job')`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 2 {
		t.Fatalf("found %d of the tables tenants and river_job, want both", tables)
	}
}

// Tenant signs up a tenant whose owner acts in it, on a pool of the
// service; SignUp adds more in the same database, under any names, each
// with an owner who logs in with Password.
func TestTenantSignsUpATenantAndSignUpAddsMore(t *testing.T) {
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	if shop.Owner.TenantID != shop.Signup.Tenant.ID || shop.Owner.Role != tenants.RoleOwner || shop.Signup.Tenant.Name != "Shop" {
		t.Fatalf("owner %+v of tenant %+v", shop.Owner, shop.Signup.Tenant)
	}
	again, other := dbtest.SignUp(ctx, t, shop.DB, "Shop")
	if other.TenantID == shop.Owner.TenantID {
		t.Fatal("a second tenant of the same name is the first one")
	}
	for _, su := range []*tenants.Signup{shop.Signup, again} {
		if _, err := shop.Tenants.Login(ctx, su.Owner.Email, dbtest.Password); err != nil {
			t.Errorf("%s logs in: %v", su.Owner.Email, err)
		}
	}
	conn, err := pgx.Connect(ctx, shop.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM tenants`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d tenants in the database at URL (%v), want both", n, err)
	}
}
