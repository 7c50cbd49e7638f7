// Package dbtest gives each test its own freshly migrated PostgreSQL
// database on a real server (see package scratch for where the server
// comes from), and the tenants most tests start from.
//
// New is the database alone; Open adds the service's pool on it; SignUp
// signs a tenant up in a pool's database; Tenant does all three for the
// common case, a test of one tenant:
//
//	shop := dbtest.Tenant(ctx, t)
//	svc := campaigns.New(campaigns.Options{DB: shop.DB})
//	c, err := svc.CreateCampaign(ctx, shop.Owner, in)
package dbtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/migrations/scratch"
	"github.com/outcall/outcall/tenants"
)

// New creates a migrated database for t, drops it when t ends, and returns
// its superuser URL. The service's own pool (tenants.Open) switches to the
// application role by itself.
func New(t testing.TB) string {
	t.Helper()
	url, drop, err := scratch.Create(context.Background())
	if err != nil {
		t.Fatalf("test database: %v", err)
	}
	t.Cleanup(drop)
	return url
}

// Open creates a migrated database for t (New) and opens the service's
// pool on it (tenants.Open), closed when t ends. It returns the pool and
// the database's superuser URL, for a test that starts a process or a
// service of its own on it.
func Open(ctx context.Context, t testing.TB) (*tenants.DB, string) {
	t.Helper()
	url := New(t)
	db, err := tenants.Open(ctx, url)
	if err != nil {
		t.Fatalf("open the test database: %v", err)
	}
	t.Cleanup(db.Close)
	return db, url
}

// Password is the password of every owner SignUp signs up.
const Password = "a long password"

// SignUp signs up a tenant called name in db, as a person does (its
// owner's address is one of its own, so a database holds as many tenants
// as a test signs up, of any names), and returns what signing up returned
// and the owner's principal.
func SignUp(ctx context.Context, t testing.TB, db *tenants.DB, name string) (*tenants.Signup, tenants.Principal) {
	t.Helper()
	email := fmt.Sprintf("owner@%s-%s.example", strings.ToLower(strings.Join(strings.Fields(name), "-")), uuid.NewString()[:8])
	su, err := tenants.NewService(db).Signup(ctx, tenants.SignupRequest{TenantName: name, Email: email, Password: Password})
	if err != nil {
		t.Fatalf("sign up %s: %v", name, err)
	}
	return su, tenants.Principal{TenantID: su.Tenant.ID, Role: tenants.RoleOwner}
}

// SignedUp is a tenant signed up in a test database of its own.
type SignedUp struct {
	// URL is the database's superuser URL.
	URL string
	// DB is the service's pool on it, closed when the test ends.
	DB *tenants.DB
	// Tenants is the tenants service on DB.
	Tenants *tenants.Service
	// Signup is what signing up returned: the tenant, its owner, its first
	// API key.
	Signup *tenants.Signup
	// Owner is the principal of the tenant's owner.
	Owner tenants.Principal
}

// Tenant creates a migrated database for t and signs up a tenant called
// Shop in it (Open, then SignUp).
func Tenant(ctx context.Context, t testing.TB) *SignedUp {
	t.Helper()
	db, url := Open(ctx, t)
	su, owner := SignUp(ctx, t, db, "Shop")
	return &SignedUp{URL: url, DB: db, Tenants: tenants.NewService(db), Signup: su, Owner: owner}
}

// EventCounts counts the tenant's webhook events by type, of the types
// that start with prefix ("" for all).
func EventCounts(ctx context.Context, t testing.TB, db *tenants.DB, tenantID uuid.UUID, prefix string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	err := db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT type, count(*) FROM webhook_events WHERE starts_with(type, $1) GROUP BY type`, prefix)
		if err != nil {
			return err
		}
		var typ string
		var n int
		_, err = pgx.ForEachRow(rows, []any{&typ, &n}, func() error { counts[typ] = n; return nil })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

// ShiftedClock is the moment `make test-clocks` started PostgreSQL's clock
// at (OUTCALL_TEST_DB_CLOCK), or "" on the real clock. A test that reads no
// time of either clock may skip itself there, saying so.
func ShiftedClock() string { return os.Getenv("OUTCALL_TEST_DB_CLOCK") }
