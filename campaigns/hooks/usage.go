package hooks

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/webhooks"
)

// RecordUsage returns the close hook that writes closed calls' usage to
// the billing ledger, in the transaction that closes them; a budget
// threshold the usage passes raises its webhook event through events.
func RecordUsage(events *webhooks.Emitter) campaigns.CloseHook {
	return func(ctx context.Context, tx pgx.Tx, calls []*campaigns.Call) error {
		for _, c := range calls {
			if err := recordCallUsage(ctx, tx, events, c); err != nil {
				return err
			}
		}
		return nil
	}
}

func recordCallUsage(ctx context.Context, tx pgx.Tx, events *webhooks.Emitter, c *campaigns.Call) error {
	u := billing.CallUsage{CallID: c.ID, ConnectedSeconds: c.BillableSeconds, EndedAt: time.Now(), ModelTokens: c.ModelTokens}
	if c.CampaignID != uuid.Nil {
		id := c.CampaignID
		u.CampaignID = &id
	}
	if c.EndedAt != nil {
		u.EndedAt = *c.EndedAt
	}
	return billing.RecordCall(ctx, tx, events, c.TenantID, u)
}

// RecordMessageUsage is the campaigns.MessageHook that writes a sent
// follow-up message's usage to the billing ledger, in the transaction
// that records the provider's acceptance.
func RecordMessageUsage(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, m *campaigns.Message) error {
	u := billing.MessageUsage{MessageID: m.ID, CampaignID: m.CampaignID, Messages: m.Fee, SentAt: time.Now()}
	if m.SentAt != nil {
		u.SentAt = *m.SentAt
	}
	return billing.RecordMessage(ctx, tx, tenantID, u)
}
