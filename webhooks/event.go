package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// Event types. Every event carries id, type, created_at, tenant_id and data.
const (
	CallAnswered         = "call.answered"
	CallCompleted        = "call.completed"
	CallTransferred      = "call.transferred"
	CallReviewRequired   = "call.review_required"
	CampaignStarted      = "campaign.started"
	CampaignCompleted    = "campaign.completed"
	ImportCompleted      = "import.completed"
	ContactDoNotCall     = "contact.do_not_call"
	UsageThreshold       = "usage.threshold_reached"
	BillingPaymentFailed = "billing.payment_failed"
	MessageSent          = "message.sent"
	MessageDelivered     = "message.delivered"
	MessageFailed        = "message.failed"
	AgentCallOffered     = "agent.call_offered"
	AgentCallAnswered    = "agent.call_answered"
	// Test is the ping sent by POST /v1/webhooks/endpoints/{id}/test.
	Test = "webhook.test"
)

// EventTypes lists the types an endpoint may subscribe to, with what each
// means to a receiver.
var EventTypes = map[string]string{
	CallAnswered:         "A callee answered; the dialog has started. data holds call_id, campaign_id, contact_id, attempt and answered_at. Sent once per answered call: as the callee picks up, or, when the database could not record the answer then, with the call's close, alongside its call.completed.",
	CallCompleted:        "A call ended; data holds its outcome, duration, billable seconds, final state and tags, and what it captured: vars (the script's c.vars), slots (dates, amounts… the call heard), last_intent and callback_at (when the callee asked to be called back).",
	CallTransferred:      "A call's script is handing the callee to a person, sent as the transfer starts so the person's screen can show the call: data holds call_id, campaign_id, contact_id, attempt, target (the transfer target's name), transfer_started_at, state and last_intent (why it transferred), transcript (the turns so far: seq, state, said, heard, intent, sentiment) and what the call captured so far (vars, slots). When the database was away at that moment, it is sent at the call's end instead, with call.completed's data.",
	CallReviewRequired:   "A call heard or said a sensitive word and waits for human review; data.sensitive_hits lists the words by turn. Review it with POST /v1/calls/{call_id}/review.",
	CampaignStarted:      "A campaign began dialling.",
	CampaignCompleted:    "A campaign has no contact left to dial.",
	ImportCompleted:      "A contact import finished; data holds the counts and the error report's link.",
	ContactDoNotCall:     "A number was put on the do-not-call list (by a callee's request or by the tenant).",
	UsageThreshold:       "Usage reached a share of the tenant's budget (e.g. 80 % or 100 %).",
	BillingPaymentFailed: "A payment failed; dialling stops after the grace period.",
	MessageSent:          "A follow-up message was handed to the tenant's SMS provider. data holds message_id, campaign_id, contact_id, call_id, channel, template, state, provider and provider_id.",
	MessageDelivered:     "A follow-up message reached the handset, as the carrier reported (receipt_code).",
	MessageFailed:        "A follow-up message was not delivered: refused by compliance (reason dnc, no_consent…), by the provider, or reported undelivered by the carrier; data.reason says which.",
	AgentCallOffered:     "A call a script handed to a queue rings an agent's desk. data holds offer_id, call_id, campaign_id, queue, agent_id, offered_at and the screen the agent sees: contact (name, masked phone), transcript, vars, slots, transfer_state and last_intent.",
	AgentCallAnswered:    "An agent took a call at the desk; the callee and the agent are talking. data holds offer_id, call_id, campaign_id, queue, agent_id and answered_at.",
	Test:                 "A test ping, sent on request.",
}

// Event is what a receiver gets, as the JSON body of the POST.
type Event struct {
	ID        uuid.UUID       `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	TenantID  uuid.UUID       `json:"tenant_id"`
	Data      json.RawMessage `json:"data"`
}

// DefaultMaxAttempts spreads retries over about three days (see NextRetry).
const DefaultMaxAttempts = 16

// JobInserter queues River jobs inside a caller's transaction, many at
// once; a *river.Client[pgx.Tx] is one.
type JobInserter interface {
	InsertManyTx(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Emitter records events and queues their deliveries in the caller's
// transaction, through the job inserter it was made with: a process makes
// its services' emitters on the one inserter through which they queue all
// their jobs. A nil Emitter queues through an insert-only River client
// made for the call.
type Emitter struct {
	jobs JobInserter
}

// NewEmitter returns an Emitter that queues deliveries through jobs; with
// jobs nil, through an insert-only River client of its own.
func NewEmitter(jobs JobInserter) *Emitter {
	if jobs == nil {
		if c, err := river.NewClient(riverpgxv5.New(nil), &river.Config{}); err == nil {
			jobs = c
		}
	}
	return &Emitter{jobs: jobs}
}

// inserter returns e's job inserter, or an insert-only River client: it
// needs no pool, because it inserts with the caller's transaction.
func (e *Emitter) inserter() (JobInserter, error) {
	if e != nil && e.jobs != nil {
		return e.jobs, nil
	}
	c, err := river.NewClient(riverpgxv5.New(nil), &river.Config{})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Emit records an event of typ for tenantID in tx and queues its delivery to
// every enabled endpoint subscribed to typ. tx must be a tenant transaction
// of tenantID (tenants.DB.InTenant): the event exists if and only if the
// change it describes commits.
func (e *Emitter) Emit(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, typ string, data any) (uuid.UUID, error) {
	if _, ok := EventTypes[typ]; !ok {
		return uuid.Nil, fmt.Errorf("webhooks: unknown event type %q", typ)
	}
	return e.emit(ctx, tx, tenantID, typ, data, nil)
}

// Emission is one event for EmitMany to record.
type Emission struct {
	Type string
	Data any
}

// EmitMany records events for tenantID in tx, as Emit records one, with
// one statement for all of them; it returns their ids in order.
func (e *Emitter) EmitMany(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, events []Emission) ([]uuid.UUID, error) {
	for _, ev := range events {
		if _, ok := EventTypes[ev.Type]; !ok {
			return nil, fmt.Errorf("webhooks: unknown event type %q", ev.Type)
		}
	}
	return e.emitMany(ctx, tx, tenantID, events, nil)
}

func (e *Emitter) emit(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, typ string, data any, onlyEndpoint *uuid.UUID) (uuid.UUID, error) {
	ids, err := e.emitMany(ctx, tx, tenantID, []Emission{{Type: typ, Data: data}}, onlyEndpoint)
	if err != nil {
		return uuid.Nil, err
	}
	return ids[0], nil
}

func (e *Emitter) emitMany(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, events []Emission, onlyEndpoint *uuid.UUID) ([]uuid.UUID, error) {
	if len(events) == 0 {
		return nil, nil
	}
	ids, types, raws := make([]uuid.UUID, len(events)), make([]string, len(events)), make([]string, len(events))
	for i, ev := range events {
		raw, err := json.Marshal(ev.Data)
		if err != nil {
			return nil, fmt.Errorf("webhooks: encode %s data: %w", ev.Type, err)
		}
		// Time-ordered ids: the events' index grows at its end, and one
		// transaction's events sort in the order they were emitted.
		ids[i], types[i], raws[i] = uuid.Must(uuid.NewV7()), ev.Type, string(raw)
	}
	// One statement records the events and reads their endpoints: a
	// data-modifying WITH runs whether or not the query reads it.
	rows, err := tx.Query(ctx, `WITH event AS (
			INSERT INTO webhook_events (id, tenant_id, type, data)
			SELECT u.id, $1, u.type, u.data::jsonb FROM unnest($3::uuid[], $4::text[], $5::text[]) AS u(id, type, data)
		)
		SELECT id, event_types FROM webhook_endpoints WHERE tenant_id = $1 AND enabled AND ($2::uuid IS NULL OR id = $2)`,
		tenantID, onlyEndpoint, ids, types, raws)
	if err != nil {
		return nil, err
	}
	var jobs []river.InsertManyParams
	var endpoint uuid.UUID
	var subscribed []string
	_, err = pgx.ForEachRow(rows, []any{&endpoint, &subscribed}, func() error {
		for i, ev := range events {
			if onlyEndpoint != nil || len(subscribed) == 0 || slices.Contains(subscribed, ev.Type) {
				jobs = append(jobs, river.InsertManyParams{Args: DeliverArgs{TenantID: tenantID, EndpointID: endpoint, EventID: ids[i]}})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(jobs) == 0 {
		return ids, nil
	}
	if err := e.queue(ctx, tx, jobs); err != nil {
		return nil, fmt.Errorf("webhooks: queue deliveries: %w", err)
	}
	return ids, nil
}

// queue inserts delivery jobs in tx.
func (e *Emitter) queue(ctx context.Context, tx pgx.Tx, jobs []river.InsertManyParams) error {
	inserter, err := e.inserter()
	if err != nil {
		return err
	}
	_, err = inserter.InsertManyTx(ctx, tx, jobs)
	return err
}

// DeliverArgs is one event's delivery to one endpoint.
type DeliverArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	EndpointID uuid.UUID `json:"endpoint_id"`
	EventID    uuid.UUID `json:"event_id"`
}

// Kind names the job in River's table.
func (DeliverArgs) Kind() string { return "webhook_deliver" }

// Queue is the River queue deliveries run in, apart from dialling, so slow
// receivers never hold up calls.
const Queue = "webhooks"

// InsertOpts puts deliveries in their queue with their retry budget.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: DefaultMaxAttempts}
}
