package main

import (
	"context"

	"github.com/outcall/outcall/migrations/scratch"
	"github.com/outcall/outcall/tenants"
)

// benchEnv is what a benchmark group runs against: a migrated scratch
// database on a local PostgreSQL started the way the tests start it,
// outcall's pool on it, and one tenant signed up there.
type benchEnv struct {
	// URL is the scratch database's superuser URL, for work that runs
	// outside row-level security (seeding, pgbench).
	URL     string
	DB      *tenants.DB
	Tenants *tenants.Service
	// Signup is the tenant with its owner and first API key.
	Signup *tenants.Signup
	// P is the tenant's owner.
	P tenants.Principal
}

// openBench creates a scratch database, opens the pool on it and signs up
// the tenant tenantName with the owner email. The cleanup it returns closes
// the pool and drops the database; on an error nothing is left to clean up.
func openBench(ctx context.Context, tenantName, email string) (*benchEnv, func(), error) {
	url, drop, err := scratch.Create(ctx)
	if err != nil {
		return nil, nil, err
	}
	db, err := tenants.Open(ctx, url)
	if err != nil {
		drop()
		return nil, nil, err
	}
	cleanup := func() {
		db.Close()
		drop()
	}
	ts := tenants.NewService(db)
	su, err := ts.Signup(ctx, tenants.SignupRequest{TenantName: tenantName, Email: email, Password: "bench-password"})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return &benchEnv{URL: url, DB: db, Tenants: ts, Signup: su, P: tenants.Principal{TenantID: su.Tenant.ID, Role: tenants.RoleOwner}}, cleanup, nil
}
