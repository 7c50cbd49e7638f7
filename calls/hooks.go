package calls

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/webhooks"
)

// CampaignHooks returns o with what hangs on the life of every campaign
// call: what a closed call triggers, in the transaction that closes it
// (its webhook events, and with billed its usage ledger row), and, with
// billed, the plan's line cap and the account's dial gate. The events'
// deliveries are queued through o.Jobs, the campaigns service's job
// inserter (nil: see webhooks.Emitter). The service wiring and the tests
// that run campaigns build their campaigns.Service from it, so they run
// the same hooks in the same order.
func CampaignHooks(o campaigns.Options, billed bool) campaigns.Options {
	events := webhooks.NewEmitter(o.Jobs)
	o.OnClose = append(o.OnClose, EmitEvents(events))
	o.OnAnswer = append(o.OnAnswer, EmitAnswered(events))
	o.OnTransfer = append(o.OnTransfer, EmitTransferring(events))
	if billed {
		o.OnClose = append(o.OnClose, RecordUsage(events))
		o.OnMessageSent = append(o.OnMessageSent, RecordMessageUsage)
		o.PlanLines = billing.PlanLines
		o.PlanCallsPerSecond = billing.PlanCallsPerSecond
		o.DialGate = DialGate
	}
	return o
}

// DialGate is the campaigns.Options.DialGate of a billed deployment: it refuses a dial the account may not make — suspended,
// payment overdue, trial minutes used up, hard budget reached, or the plan's
// daily cap — and counts it against the plan's daily cap otherwise. A
// refusal is retried in an hour, or at the tenant's next day for the cap.
func DialGate(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, now time.Time) (*campaigns.Refusal, error) {
	err := billing.ReserveDial(ctx, tx, tenantID, now)
	reason := billing.RefusalReason(err)
	if reason == "" {
		return nil, err
	}
	return &campaigns.Refusal{Reason: reason, RetryAt: now.Add(time.Hour)}, nil
}
