package api

import "context"

// showPhone returns a number for an answer to the caller of ctx: in full
// or masked, by the caller's role (tenants.Principal.ShowPhone).
func showPhone(ctx context.Context, e164 string) string {
	return principal(ctx).ShowPhone(e164)
}
