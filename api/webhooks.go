package api

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/outcall/outcall/webhooks"
)

// EndpointBody describes a webhook endpoint.
type EndpointBody struct {
	ID                      uuid.UUID  `json:"id"`
	URL                     string     `json:"url" example:"https://crm.example.com/outcall/events"`
	Description             string     `json:"description" example:"CRM sync"`
	EventTypes              []string   `json:"event_types" example:"[\"call.completed\"]" doc:"The event types delivered; empty means all."`
	Enabled                 bool       `json:"enabled"`
	ConsecutiveFailures     int        `json:"consecutive_failures"`
	DisabledReason          *string    `json:"disabled_reason,omitempty" doc:"Why outcall disabled the endpoint, when it did."`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty" doc:"Until then deliveries are also signed with the previous secret."`
	CreatedAt               time.Time  `json:"created_at"`
}

func endpointBody(e *webhooks.Endpoint) EndpointBody {
	types := e.EventTypes
	if types == nil {
		types = []string{}
	}
	return EndpointBody{ID: e.ID, URL: e.URL, Description: e.Description, EventTypes: types, Enabled: e.Enabled,
		ConsecutiveFailures: e.ConsecutiveFailures, DisabledReason: e.DisabledReason, PreviousSecretExpiresAt: e.PreviousSecretExpiresAt, CreatedAt: e.CreatedAt}
}

type endpointPath struct {
	EndpointID uuid.UUID `path:"endpoint_id" doc:"The webhook endpoint's id."`
}

type endpointInput struct {
	Body struct {
		URL         string   `json:"url" format:"uri" maxLength:"2000" example:"https://crm.example.com/outcall/events"`
		Description string   `json:"description,omitempty" maxLength:"500" example:"CRM sync"`
		EventTypes  []string `json:"event_types,omitempty" maxItems:"20" example:"[\"call.completed\",\"contact.do_not_call\"]" doc:"Event types to deliver; leave out for all."`
		Enabled     *bool    `json:"enabled,omitempty" doc:"Default true."`
	}
}

type endpointPatchInput struct {
	EndpointID uuid.UUID `path:"endpoint_id" doc:"The webhook endpoint's id."`
	Body       struct {
		URL         *string  `json:"url,omitempty" format:"uri" maxLength:"2000"`
		Description *string  `json:"description,omitempty" maxLength:"500"`
		EventTypes  []string `json:"event_types,omitempty" maxItems:"20"`
		Enabled     *bool    `json:"enabled,omitempty" doc:"Enabling clears the failure count."`
	}
}

type endpointWithSecret struct {
	Body struct {
		EndpointBody
		Secret string `json:"secret" example:"whsec_3f…" doc:"The signing secret. Shown only now; rotate it to get a new one."`
	}
}

// withSecret shows an endpoint with its new signing secret, the one time the
// secret is shown.
func withSecret(e *webhooks.Endpoint, secret string) *endpointWithSecret {
	out := &endpointWithSecret{}
	out.Body.EndpointBody = endpointBody(e)
	out.Body.Secret = secret
	return out
}

type listEndpointsInput struct {
	PageInput
	Enabled BoolFilter `query:"enabled" enum:"true,false," doc:"Only enabled (true) or only disabled (false) endpoints."`
}

type listEndpointsOutput struct {
	Body struct {
		Items      []EndpointBody `json:"items"`
		NextCursor string         `json:"next_cursor"`
	}
}

type rotateInput struct {
	EndpointID uuid.UUID `path:"endpoint_id" doc:"The webhook endpoint's id."`
	Body       struct {
		OverlapSeconds int `json:"overlap_seconds,omitempty" minimum:"0" maximum:"604800" default:"86400" doc:"How long the old secret keeps signing too."`
	}
}

// DeliveryBody is one delivery attempt.
type DeliveryBody struct {
	ID              uuid.UUID `json:"id"`
	EventID         uuid.UUID `json:"event_id" doc:"Receivers de-duplicate by this id."`
	EventType       string    `json:"event_type" example:"call.completed"`
	Attempt         int       `json:"attempt"`
	StatusCode      *int      `json:"status_code,omitempty" doc:"The receiver's HTTP status, when it answered."`
	Error           *string   `json:"error,omitempty"`
	LatencyMS       int       `json:"latency_ms"`
	ResponseExcerpt string    `json:"response_excerpt" doc:"The first KiB of the receiver's answer; for viewers, whatever may be a phone number in it is masked."`
	CreatedAt       time.Time `json:"created_at"`
}

type deliveriesInput struct {
	EndpointID uuid.UUID `path:"endpoint_id" doc:"The webhook endpoint's id."`
	PageInput
}

type deliveriesOutput struct {
	Body struct {
		Items      []DeliveryBody `json:"items"`
		NextCursor string         `json:"next_cursor"`
	}
}

type deliveryPath struct {
	DeliveryID uuid.UUID `path:"delivery_id" doc:"A delivery attempt's id."`
}

type acceptedOutput struct {
	Body struct {
		Status  string     `json:"status" example:"queued"`
		EventID *uuid.UUID `json:"event_id,omitempty"`
	}
}

type eventTypesOutput struct {
	Body struct {
		Items []struct {
			Type        string `json:"type"`
			Description string `json:"description"`
		} `json:"items"`
	}
}

// registerWebhooks adds the operations on webhook endpoints and their
// deliveries. The webhooks themselves are described by
// describeWebhookEvents.
func (s *Server) registerWebhooks() {
	scope := requires("webhooks:manage")
	s.register("Webhooks", authErrors, []operation{
		{id: "list-webhook-event-types", route: "GET /v1/webhooks/event-types", summary: "List webhook event types", security: authenticated, handler: handle(s.listWebhookEventTypes)},
		{id: "create-webhook-endpoint", route: "POST /v1/webhooks/endpoints", status: http.StatusCreated, summary: "Register a webhook endpoint", security: scope, errs: []int{http.StatusUnprocessableEntity},
			desc: "Registers a URL to receive events and returns its signing secret, shown once. URLs that resolve to loopback, private, link-local or metadata addresses are refused.", handler: handle(s.createWebhookEndpoint)},
		{id: "list-webhook-endpoints", route: "GET /v1/webhooks/endpoints", summary: "List webhook endpoints", security: scope, errs: []int{http.StatusUnprocessableEntity}, handler: handle(s.listWebhookEndpoints)},
		{id: "get-webhook-endpoint", route: "GET /v1/webhooks/endpoints/{endpoint_id}", summary: "Get a webhook endpoint", security: scope, errs: []int{http.StatusNotFound}, handler: handle(s.getWebhookEndpoint)},
		{id: "update-webhook-endpoint", route: "PATCH /v1/webhooks/endpoints/{endpoint_id}", summary: "Change a webhook endpoint", security: scope, errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
			desc: "Changes the URL, description, event types or enabled flag. Enabling a disabled endpoint clears its failure count.", handler: handle(s.updateWebhookEndpoint)},
		{id: "delete-webhook-endpoint", route: "DELETE /v1/webhooks/endpoints/{endpoint_id}", status: http.StatusNoContent, summary: "Delete a webhook endpoint", security: scope, errs: []int{http.StatusNotFound}, handler: handle(s.deleteWebhookEndpoint)},
		{id: "rotate-webhook-secret", route: "POST /v1/webhooks/endpoints/{endpoint_id}/rotate-secret", summary: "Rotate a webhook endpoint's secret", security: scope, errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
			desc: "Returns a new secret. For the overlap (default 24 h) deliveries carry two v1 signatures, one per secret, so the receiver can switch without missing any.", handler: handle(s.rotateWebhookSecret)},
		{id: "test-webhook-endpoint", route: "POST /v1/webhooks/endpoints/{endpoint_id}/test", status: http.StatusAccepted, summary: "Send a test event", security: scope, errs: []int{http.StatusNotFound, http.StatusConflict},
			desc: "Queues a `webhook.test` event to this endpoint only; its delivery shows in the delivery log.", handler: handle(s.testWebhookEndpoint)},
		{id: "list-webhook-deliveries", route: "GET /v1/webhooks/endpoints/{endpoint_id}/deliveries", summary: "List an endpoint's delivery log", security: scope, errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
			desc: "Every attempt, newest first: the receiver's status, latency and the start of its answer.", handler: handle(s.listWebhookDeliveries)},
		{id: "redeliver-webhook", route: "POST /v1/webhooks/deliveries/{delivery_id}/redeliver", status: http.StatusAccepted, summary: "Deliver an event again", security: scope, errs: []int{http.StatusNotFound, http.StatusConflict},
			desc: "Queues the delivery's event to its endpoint once more (with a fresh retry budget).", handler: handle(s.redeliverWebhook)},
	})
}

// describeWebhookEvents documents every event in the OpenAPI document's
// webhooks section: what a receiver gets, how it is signed.
func (s *Server) describeWebhookEvents() {
	doc := s.api.OpenAPI()
	schema := huma.SchemaFromType(doc.Components.Schemas, reflectType[webhooks.Event]())
	if doc.Webhooks == nil {
		doc.Webhooks = map[string]*huma.PathItem{}
	}
	for typ, desc := range webhooks.EventTypes {
		doc.Webhooks[typ] = &huma.PathItem{Post: &huma.Operation{
			OperationID: "webhook-" + typ,
			Summary:     typ,
			Description: desc + " Signed in the `Outcall-Signature` header: `t=<unix>,v1=<hex HMAC-SHA256(secret, t + \".\" + body)>`; " +
				"reject signatures older than 5 minutes and de-duplicate by `id`.",
			Tags: []string{"Webhooks"},
			Parameters: []*huma.Param{
				{Name: webhooks.SignatureHeader, In: "header", Required: true, Schema: &huma.Schema{Type: "string"}},
				{Name: "Outcall-Event-Id", In: "header", Schema: &huma.Schema{Type: "string", Format: "uuid"}},
				{Name: "Outcall-Event-Type", In: "header", Schema: &huma.Schema{Type: "string"}},
			},
			RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}},
			Responses:   map[string]*huma.Response{"2XX": {Description: "Any 2xx acknowledges the delivery; anything else is retried with backoff for up to 3 days."}},
		}}
	}
}

func (s *Server) listWebhookEventTypes(ctx context.Context, _ *struct{}) (*eventTypesOutput, error) {
	out := &eventTypesOutput{}
	for t, d := range webhooks.EventTypes {
		out.Body.Items = append(out.Body.Items, struct {
			Type        string `json:"type"`
			Description string `json:"description"`
		}{t, d})
	}
	sort.Slice(out.Body.Items, func(i, j int) bool { return out.Body.Items[i].Type < out.Body.Items[j].Type })
	return out, nil
}

func (s *Server) createWebhookEndpoint(ctx context.Context, in *endpointInput) (*endpointWithSecret, error) {
	e, secret, err := s.cfg.Webhooks.Create(ctx, principal(ctx), webhooks.EndpointInput{URL: &in.Body.URL, Description: &in.Body.Description, EventTypes: in.Body.EventTypes, Enabled: in.Body.Enabled})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return withSecret(e, secret), nil
}

func (s *Server) listWebhookEndpoints(ctx context.Context, in *listEndpointsInput) (*listEndpointsOutput, error) {
	out := &listEndpointsOutput{}
	endpoints := func(limit int, after *uuid.UUID) ([]webhooks.Endpoint, error) {
		return s.cfg.Webhooks.List(ctx, principal(ctx), limit, after, in.Enabled.value())
	}
	if err := listPage(s, ctx, in.PageInput, endpoints, func(e *webhooks.Endpoint) uuid.UUID { return e.ID }, endpointBody, &out.Body.Items, &out.Body.NextCursor); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) getWebhookEndpoint(ctx context.Context, in *endpointPath) (*output[EndpointBody], error) {
	e, err := s.cfg.Webhooks.Get(ctx, principal(ctx), in.EndpointID)
	return reply(s, ctx, endpointBody, e, err)
}

func (s *Server) updateWebhookEndpoint(ctx context.Context, in *endpointPatchInput) (*output[EndpointBody], error) {
	e, err := s.cfg.Webhooks.Update(ctx, principal(ctx), in.EndpointID, webhooks.EndpointInput{URL: in.Body.URL, Description: in.Body.Description, EventTypes: in.Body.EventTypes, Enabled: in.Body.Enabled})
	return reply(s, ctx, endpointBody, e, err)
}

func (s *Server) deleteWebhookEndpoint(ctx context.Context, in *endpointPath) (*struct{}, error) {
	return nil, s.problem(ctx, s.cfg.Webhooks.Delete(ctx, principal(ctx), in.EndpointID))
}

func (s *Server) rotateWebhookSecret(ctx context.Context, in *rotateInput) (*endpointWithSecret, error) {
	overlap := 24 * time.Hour
	if in.Body.OverlapSeconds > 0 {
		overlap = time.Duration(in.Body.OverlapSeconds) * time.Second
	}
	e, secret, err := s.cfg.Webhooks.RotateSecret(ctx, principal(ctx), in.EndpointID, overlap)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return withSecret(e, secret), nil
}

func (s *Server) testWebhookEndpoint(ctx context.Context, in *endpointPath) (*acceptedOutput, error) {
	id, err := s.cfg.Webhooks.Ping(ctx, principal(ctx), in.EndpointID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &acceptedOutput{}
	out.Body.Status, out.Body.EventID = "queued", &id
	return out, nil
}

func (s *Server) listWebhookDeliveries(ctx context.Context, in *deliveriesInput) (*deliveriesOutput, error) {
	out := &deliveriesOutput{}
	p := principal(ctx)
	deliveries := func(limit int, before *uuid.UUID) ([]webhooks.Delivery, error) {
		return s.cfg.Webhooks.Deliveries(ctx, p, in.EndpointID, limit, before)
	}
	// A receiver's answer may echo a callee's number: viewers see it
	// masked, as everywhere else.
	body := func(d *webhooks.Delivery) DeliveryBody {
		deliveryErr := d.Error
		if deliveryErr != nil {
			e := p.ShowPhonesIn(*deliveryErr)
			deliveryErr = &e
		}
		return DeliveryBody{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Attempt: d.Attempt,
			StatusCode: d.StatusCode, Error: deliveryErr, LatencyMS: d.LatencyMS,
			ResponseExcerpt: p.ShowPhonesIn(d.ResponseExcerpt), CreatedAt: d.CreatedAt}
	}
	if err := listPage(s, ctx, in.PageInput, deliveries, func(d *webhooks.Delivery) uuid.UUID { return d.ID }, body, &out.Body.Items, &out.Body.NextCursor); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) redeliverWebhook(ctx context.Context, in *deliveryPath) (*acceptedOutput, error) {
	if err := s.cfg.Webhooks.Redeliver(ctx, principal(ctx), in.DeliveryID); err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &acceptedOutput{}
	out.Body.Status = "queued"
	return out, nil
}
