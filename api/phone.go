package api

import (
	"context"

	"github.com/outcall/outcall/campaigns"
)

// showPhone returns a number for an answer to the caller of ctx: in full
// or masked, by the caller's role (campaigns.ShowPhone).
func showPhone(ctx context.Context, e164 string) string {
	return campaigns.ShowPhone(principal(ctx), e164)
}
