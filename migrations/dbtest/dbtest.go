// Package dbtest gives each test its own freshly migrated PostgreSQL
// database on a real server (see package scratch for where the server
// comes from).
package dbtest

import (
	"context"
	"testing"

	"github.com/outcall/outcall/migrations/scratch"
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
