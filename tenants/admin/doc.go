// Package admin is the platform operators' side of outcall: the people who
// run an outcall deployment for many tenants, as distinct from any role a
// tenant gives its own people. An operator creates and changes plans (what
// a tenant may do: lines, calls per second, daily calls, minutes, script
// CPU budget, the countries it may dial; what it costs, in which currency;
// the Stripe prices that sell it), puts a tenant on a plan, suspends and
// resumes a tenant, and sees every tenant's usage this period. Every change
// is recorded in the audit trail (table admin_audit) in the transaction
// that makes it: who, when, what, and the plan or tenant it was about.
//
// Operators act through `outcall admin …` on a machine with the database,
// or through the admin API (api.NewAdmin), which listens apart from the
// tenants' API (`outcall serve --admin-addr`) and takes platform-admin
// tokens, made only from the command line:
//
//	svc := admin.New(admin.Options{DB: db})
//	tok, err := svc.CreateToken(ctx, admin.CLI("alice"), "ops laptop") // tok.Secret is shown once
//	op, err := svc.Authenticate(ctx, tok.Secret)                         // what the admin API does per request
//	p, err := svc.CreatePlan(ctx, op, "enterprise", billing.PlanChange{ConcurrentLines: &lines})
//	t, err := svc.AssignPlan(ctx, op, tenantID, "enterprise")
//
// Plans themselves, and how their limits are enforced, are package
// billing's; a tenant's suspension is package tenants'.
package admin
