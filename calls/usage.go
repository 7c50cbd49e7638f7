package calls

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/campaigns"
)

// RecordUsage is the close hook that writes closed calls'
// usage to the billing ledger, in the transaction that closes them.
func RecordUsage(ctx context.Context, tx pgx.Tx, calls []*campaigns.Call) error {
	for _, c := range calls {
		if err := recordCallUsage(ctx, tx, c); err != nil {
			return err
		}
	}
	return nil
}

func recordCallUsage(ctx context.Context, tx pgx.Tx, c *campaigns.Call) error {
	u := billing.CallUsage{CallID: c.ID, ConnectedSeconds: c.BillableSeconds, EndedAt: time.Now()}
	if c.CampaignID != uuid.Nil {
		id := c.CampaignID
		u.CampaignID = &id
	}
	if c.EndedAt != nil {
		u.EndedAt = *c.EndedAt
	}
	return billing.RecordCall(ctx, tx, c.TenantID, u)
}
