package contacts_test

import (
	"context"
	"testing"
	"time"

	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/tenants"
)

// world is a test database with one tenant (its owner is p) and a contacts
// service whose clock stands at noon on a Tuesday in Shanghai.
type world struct {
	t   *testing.T
	ctx context.Context
	db  *tenants.DB
	svc *contacts.Service
	p   tenants.Principal
}

var tuesdayNoon = time.Date(2026, 11, 24, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	shop := dbtest.Tenant(ctx, t)
	return &world{t: t, ctx: ctx, db: shop.DB, svc: contacts.New(contacts.Options{DB: shop.DB, Now: func() time.Time { return tuesdayNoon }}), p: shop.Owner}
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
