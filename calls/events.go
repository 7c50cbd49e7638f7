package calls

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/webhooks"
)

// EmitEvents returns the close hook that raises, through emitter, the
// webhook events of closed calls inside the transaction that closes them,
// so an event exists exactly when the call record does: call.completed for
// every dialled call, call.transferred and call.review_required when they
// apply. The events of one tenant are recorded together.
func EmitEvents(emitter *webhooks.Emitter) campaigns.CloseHook {
	return func(ctx context.Context, tx pgx.Tx, calls []*campaigns.Call) error {
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
			if _, err := emitter.EmitMany(ctx, tx, t, events[t]); err != nil {
				return err
			}
		}
		return nil
	}
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
	// What the call captured, as the API shows it.
	vars := json.RawMessage(`{}`)
	if len(c.Vars) > 0 {
		vars = c.Vars
	}
	data["vars"] = vars
	data["slots"] = c.Slots
	if c.Slots == nil {
		data["slots"] = map[string]any{}
	}
	if c.LastIntent != "" {
		data["last_intent"] = c.LastIntent
	}
	if c.CallbackAt != nil {
		data["callback_at"] = c.CallbackAt
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

// EmitAnswered returns the campaigns.AnswerHook that sends call.answered,
// through emitter, as a callee picks up, so an agent's screen or a CRM can
// show the call while it is under way.
func EmitAnswered(emitter *webhooks.Emitter) campaigns.AnswerHook {
	return func(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, answered []campaigns.Answered) error {
		events := make([]webhooks.Emission, 0, len(answered))
		for _, a := range answered {
			events = append(events, webhooks.Emission{Type: webhooks.CallAnswered, Data: map[string]any{
				"call_id": a.CallID, "campaign_id": a.CampaignID, "contact_id": a.ContactID, "attempt": a.Attempt, "answered_at": a.AnsweredAt,
			}})
		}
		_, err := emitter.EmitMany(ctx, tx, tenantID, events)
		return err
	}
}
