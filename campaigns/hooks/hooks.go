// Package hooks is what the records of a campaign call trigger, in the
// transactions that write them, so that what they write exists exactly
// when the record does: a closed call's webhook events (EmitEvents) and
// usage ledger row (RecordUsage, package billing), the call.answered and
// call.transferred events as the call is marked answered or transferring,
// a follow-up message's usage, and the dial gate of a billed deployment.
// Add hangs them on the campaigns service's options; the service calls
// them, and they reach nothing of the call's conversation (package calls).
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

// Add returns o with what hangs on the life of every campaign
// call: what a closed call triggers, in the transaction that closes it
// (its webhook events, and with billed its usage ledger row), and, with
// billed, the plan's line cap and the account's dial gate. The events'
// deliveries are queued through o.Jobs, the campaigns service's job
// inserter (nil: see webhooks.Emitter). The service wiring and the tests
// that run campaigns build their campaigns.Service from it, so they run
// the same hooks in the same order.
func Add(o campaigns.Options, billed bool) campaigns.Options {
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
