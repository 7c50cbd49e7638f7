// Package tenants is the ground every other outcall package stands on: the
// companies that use outcall (tenants), their people (users with roles),
// the credentials that act for them (API keys and portal sessions), the one
// error type the API turns into problem+json, and the one way to touch a
// tenant's rows — a transaction that carries the tenant:
//
//	db, err := tenants.Open(ctx, databaseURL)
//	err = db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
//		_, err := tx.Exec(ctx, `UPDATE campaigns SET … WHERE tenant_id = $1 AND id = $2`, tenantID, id)
//		return err
//	})
//
// InTenant sets app.tenant_id for that transaction only, and PostgreSQL's
// row-level security shows it that tenant's rows and nothing else. The
// pool runs as the application role, which owns no table and cannot bypass
// the policies, so forgetting the tenant shows nothing rather than
// everything. Queries still say `tenant_id = $1`: defence in depth, and
// better plans.
//
// QueryOne, QueryAll and DB.DeleteByID are that transaction for the common
// one-statement cases (read one row, read a page, delete one row by id),
// and NotFound turns a query that found no row into the ENotFound error
// the API answers with 404:
//
//	t, err := tenants.QueryOne(ctx, db, tenantID, scanTrunk, `SELECT … FROM trunks WHERE tenant_id = $1 AND id = $2`, tenantID, id)
//	err = db.DeleteByID(ctx, tenantID, "trunks", id, "trunk not found")
//
// Roles rank owner > admin > operator > viewer. Viewers read; operators
// also run campaigns; admins also manage people, keys and settings; owners
// also manage owners and billing.
//
// The database itself, where outcall runs it (`outcall dev`, the tests), is
// a cluster of the machine's PostgreSQL run by tenants/localpg.
package tenants
