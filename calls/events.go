package calls

import (
	"context"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/webhooks"
)

// EmitEvents is the close hook that raises the webhook events of closed calls inside the
// transaction that closes them, so an event exists exactly when the call
// record does: call.completed for every dialled call, call.transferred and
// call.review_required when they apply. The events of one tenant are
// recorded together.
func EmitEvents(ctx context.Context, tx pgx.Tx, calls []*campaigns.Call) error {
	var tenants []uuid.UUID
	events := map[uuid.UUID][]webhooks.Emission{}
	for _, c := range calls {
		if c.State != "ended" {
			continue
		}
		if _, ok := events[c.TenantID]; !ok {
			tenants = append(tenants, c.TenantID)
		}
		events[c.TenantID] = append(events[c.TenantID], callEvents(c)...)
	}
	for _, t := range tenants {
		if _, err := webhooks.EmitMany(ctx, tx, t, events[t]); err != nil {
			return err
		}
	}
	return nil
}

// callEvents are the events of one ended call.
func callEvents(c *campaigns.Call) []webhooks.Emission {
	data := map[string]any{
		"call_id":          c.ID,
		"campaign_id":      c.CampaignID,
		"contact_id":       c.ContactID,
		"attempt":          c.Attempt,
		"outcome":          c.Outcome,
		"reason":           c.Reason,
		"answered_at":      c.AnsweredAt,
		"ended_at":         c.EndedAt,
		"billable_seconds": c.BillableSeconds,
		"script_version":   c.ScriptVersion,
		"segment":          c.Segment,
		"final_state":      c.FinalState,
		"tags":             c.Tags,
		"has_recording":    c.RecordingRef != "",
	}
	if len(c.SensitiveHits) > 0 {
		data["sensitive_hits"] = c.SensitiveHits
	}
	out := []webhooks.Emission{{Type: webhooks.CallCompleted, Data: data}}
	if c.Outcome == telephony.OutcomeTransferred {
		out = append(out, webhooks.Emission{Type: webhooks.CallTransferred, Data: data})
	}
	if slices.Contains(c.Tags, campaigns.TagReviewRequired) {
		out = append(out, webhooks.Emission{Type: webhooks.CallReviewRequired, Data: data})
	}
	return out
}
