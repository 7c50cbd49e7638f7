package jobs

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/webhooks"
)

// EmitCallEvents raises the webhook events of a closed call inside the
// transaction that closes it, so an event exists exactly when the call
// record does: call.completed for every dialled call, call.transferred and
// call.review_required when they apply.
func EmitCallEvents(ctx context.Context, tx pgx.Tx, c *campaigns.Call) error {
	if c.State != "ended" {
		return nil
	}
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
	if _, err := webhooks.Emit(ctx, tx, c.TenantID, webhooks.CallCompleted, data); err != nil {
		return err
	}
	if c.Outcome == campaigns.OutcomeTransferred {
		if _, err := webhooks.Emit(ctx, tx, c.TenantID, webhooks.CallTransferred, data); err != nil {
			return err
		}
	}
	if slices.Contains(c.Tags, campaigns.TagReviewRequired) {
		if _, err := webhooks.Emit(ctx, tx, c.TenantID, webhooks.CallReviewRequired, data); err != nil {
			return err
		}
	}
	return nil
}
