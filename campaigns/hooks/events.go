package hooks

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
	// call.transferred went out as the transfer started (EmitTransferring);
	// a transfer the database missed then is told at the close.
	if c.Outcome == telephony.OutcomeTransferred && c.TransferStartedAt == nil {
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

// EmitTransferring returns the campaigns.TransferHook that sends
// call.transferred, through emitter, as the script hands the callee to a
// person: the agent's screen or the CRM gets the transcript so far, what
// the call captured and why it transferred before the person picks up.
func EmitTransferring(emitter *webhooks.Emitter) campaigns.TransferHook {
	return func(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, t campaigns.Transferring) error {
		transcript := make([]map[string]any, 0, len(t.Turns))
		for _, turn := range t.Turns {
			line := map[string]any{"seq": turn.Seq, "state": turn.State, "said": turn.Said, "heard": turn.Heard}
			if turn.Intent != "" {
				line["intent"] = turn.Intent
			}
			if turn.SentimentLabel != "" {
				line["sentiment"] = turn.SentimentLabel
			}
			transcript = append(transcript, line)
		}
		vars := json.RawMessage(`{}`)
		if len(t.Vars) > 0 {
			vars = t.Vars
		}
		data := map[string]any{
			"call_id": t.CallID, "campaign_id": t.CampaignID, "contact_id": t.ContactID, "attempt": t.Attempt,
			"target": t.Target, "transfer_started_at": t.StartedAt, "state": t.State, "last_intent": t.LastIntent,
			"transcript": transcript, "vars": vars, "slots": t.Slots,
		}
		_, err := emitter.EmitMany(ctx, tx, tenantID, []webhooks.Emission{{Type: webhooks.CallTransferred, Data: data}})
		return err
	}
}
