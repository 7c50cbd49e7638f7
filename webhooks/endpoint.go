package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/outcall/outcall/tenants"
)

// Endpoint is a URL a tenant receives events at.
type Endpoint struct {
	ID                  uuid.UUID
	URL                 string
	Description         string
	EventTypes          []string
	Enabled             bool
	ConsecutiveFailures int
	DisabledReason      *string
	CreatedAt           time.Time
	// PreviousSecretExpiresAt is when a rotated-out secret stops signing.
	PreviousSecretExpiresAt *time.Time
}

// Service manages endpoints and their deliveries.
type Service struct {
	DB *tenants.DB
	// AllowPrivate lets endpoints point at loopback and private addresses
	// (local development and tests).
	AllowPrivate bool
	// Jobs queues the deliveries of a test event (Ping) and of a
	// redelivery in the transaction that asks for them: the process's job
	// inserter; nil, an insert-only River client made for the call.
	Jobs JobInserter
}

const endpointColumns = `id, url, description, event_types, enabled, consecutive_failures, disabled_reason, created_at,
	CASE WHEN previous_secret_expires_at > now() THEN previous_secret_expires_at END`

func scanEndpoint(row pgx.Row) (*Endpoint, error) {
	e := &Endpoint{}
	if err := row.Scan(&e.ID, &e.URL, &e.Description, &e.EventTypes, &e.Enabled, &e.ConsecutiveFailures, &e.DisabledReason, &e.CreatedAt, &e.PreviousSecretExpiresAt); err != nil {
		return nil, tenants.NotFound(err, "webhook endpoint not found")
	}
	return e, nil
}

func newSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}

// EndpointInput is what a tenant sets on an endpoint.
type EndpointInput struct {
	URL         *string
	Description *string
	EventTypes  []string
	Enabled     *bool
}

func (s *Service) validate(ctx context.Context, in EndpointInput) error {
	if in.URL != nil {
		if err := CheckURL(ctx, *in.URL, s.AllowPrivate); err != nil {
			return tenants.FieldError("body.url", "%v", err)
		}
	}
	for i, t := range in.EventTypes {
		if _, ok := EventTypes[t]; !ok || t == Test {
			return &tenants.Error{Code: tenants.EInvalid, Field: fmt.Sprintf("body.event_types[%d]", i), Message: "unknown event type " + t}
		}
	}
	return nil
}

// Create registers an endpoint and returns it with its signing secret.
func (s *Service) Create(ctx context.Context, p tenants.Principal, in EndpointInput) (*Endpoint, string, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, "", err
	}
	if in.URL == nil {
		return nil, "", tenants.FieldError("body.url", "the endpoint needs a URL")
	}
	if err := s.validate(ctx, in); err != nil {
		return nil, "", err
	}
	secret := newSecret()
	desc := ""
	if in.Description != nil {
		desc = *in.Description
	}
	enabled := in.Enabled == nil || *in.Enabled
	types := in.EventTypes
	if types == nil {
		types = []string{}
	}
	e, err := tenants.QueryOne(ctx, s.DB, p.TenantID, scanEndpoint, `INSERT INTO webhook_endpoints (id, tenant_id, url, description, event_types, enabled, secret)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+endpointColumns, uuid.New(), p.TenantID, *in.URL, desc, types, enabled, secret)
	if err != nil {
		return nil, "", err
	}
	return e, secret, nil
}

// List returns the tenant's endpoints, oldest first; enabled, when set,
// keeps only the enabled (true) or disabled (false) ones.
func (s *Service) List(ctx context.Context, p tenants.Principal, limit int, after *uuid.UUID, enabled *bool) ([]Endpoint, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	return tenants.QueryAll(ctx, s.DB, p.TenantID, scanEndpoint, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE tenant_id = $1 AND `+tenants.PageAfter("webhook_endpoints")+`
		  AND ($4::boolean IS NULL OR enabled = $4)
		ORDER BY created_at, id LIMIT $3`, p.TenantID, after, limit, enabled)
}

// Get returns one endpoint.
func (s *Service) Get(ctx context.Context, p tenants.Principal, id uuid.UUID) (*Endpoint, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	return tenants.QueryOne(ctx, s.DB, p.TenantID, scanEndpoint, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`, p.TenantID, id)
}

// Update changes the given fields. Enabling an endpoint clears its failure
// count and the reason it was disabled.
func (s *Service) Update(ctx context.Context, p tenants.Principal, id uuid.UUID, in EndpointInput) (*Endpoint, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, err
	}
	if err := s.validate(ctx, in); err != nil {
		return nil, err
	}
	return tenants.QueryOne(ctx, s.DB, p.TenantID, scanEndpoint, `UPDATE webhook_endpoints SET
			url = coalesce($3, url), description = coalesce($4, description), event_types = coalesce($5, event_types),
			enabled = coalesce($6, enabled),
			consecutive_failures = CASE WHEN $6 THEN 0 ELSE consecutive_failures END,
			disabled_reason = CASE WHEN $6 THEN NULL ELSE disabled_reason END
		WHERE tenant_id = $1 AND id = $2 RETURNING `+endpointColumns,
		p.TenantID, id, in.URL, in.Description, in.EventTypes, in.Enabled)
}

// Delete removes an endpoint, its deliveries and pending deliveries.
func (s *Service) Delete(ctx context.Context, p tenants.Principal, id uuid.UUID) error {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return err
	}
	return s.DB.DeleteByID(ctx, p.TenantID, "webhook_endpoints", id, "webhook endpoint not found")
}

// RotateSecret gives the endpoint a new secret and keeps signing with the
// old one too for overlap, so the receiver can switch without a gap.
func (s *Service) RotateSecret(ctx context.Context, p tenants.Principal, id uuid.UUID, overlap time.Duration) (*Endpoint, string, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, "", err
	}
	if overlap < 0 || overlap > 7*24*time.Hour {
		return nil, "", tenants.FieldError("body.overlap_seconds", "the overlap must be between 0 and 7 days")
	}
	secret := newSecret()
	e, err := tenants.QueryOne(ctx, s.DB, p.TenantID, scanEndpoint, `UPDATE webhook_endpoints SET previous_secret = secret, secret = $3,
			previous_secret_expires_at = now() + $4 * interval '1 second'
		WHERE tenant_id = $1 AND id = $2 RETURNING `+endpointColumns, p.TenantID, id, secret, overlap.Seconds())
	if err != nil {
		return nil, "", err
	}
	return e, secret, nil
}

// Ping sends a test event to one endpoint (even a disabled one is refused:
// enable it first).
func (s *Service) Ping(ctx context.Context, p tenants.Principal, id uuid.UUID) (uuid.UUID, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return uuid.Nil, err
	}
	var eventID uuid.UUID
	err := s.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		e, err := scanEndpoint(tx.QueryRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`, p.TenantID, id))
		if err != nil {
			return err
		}
		if !e.Enabled {
			return tenants.Errorf(tenants.EConflict, "the endpoint is disabled; enable it to send a test")
		}
		eventID, err = NewEmitter(s.Jobs).emit(ctx, tx, p.TenantID, Test, map[string]any{"endpoint_id": id, "message": "This is a test event from outcall."}, &id)
		return err
	})
	return eventID, err
}

// Delivery is one attempt to deliver an event.
type Delivery struct {
	ID              uuid.UUID
	EndpointID      uuid.UUID
	EventID         uuid.UUID
	EventType       string
	Attempt         int
	StatusCode      *int
	Error           *string
	LatencyMS       int
	ResponseExcerpt string
	CreatedAt       time.Time
}

// Deliveries returns an endpoint's delivery log, newest first.
func (s *Service) Deliveries(ctx context.Context, p tenants.Principal, endpointID uuid.UUID, limit int, before *uuid.UUID) ([]Delivery, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	var out []Delivery
	err := s.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		if _, err := scanEndpoint(tx.QueryRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`, p.TenantID, endpointID)); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT d.id, d.endpoint_id, d.event_id, e.type, d.attempt, d.status_code, d.error, d.latency_ms, d.response_excerpt, d.created_at
			FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
			WHERE d.tenant_id = $1 AND d.endpoint_id = $2
			  AND ($3::uuid IS NULL OR (d.created_at, d.id) < (SELECT created_at, id FROM webhook_deliveries WHERE tenant_id = $1 AND id = $3))
			ORDER BY d.created_at DESC, d.id DESC LIMIT $4`, p.TenantID, endpointID, before, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Delivery, error) {
			var d Delivery
			err := row.Scan(&d.ID, &d.EndpointID, &d.EventID, &d.EventType, &d.Attempt, &d.StatusCode, &d.Error, &d.LatencyMS, &d.ResponseExcerpt, &d.CreatedAt)
			return d, err
		})
		return err
	})
	return out, err
}

// Redeliver queues the delivery's event to its endpoint again.
func (s *Service) Redeliver(ctx context.Context, p tenants.Principal, deliveryID uuid.UUID) error {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return err
	}
	return s.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		var endpointID, eventID uuid.UUID
		var enabled bool
		err := tx.QueryRow(ctx, `SELECT d.endpoint_id, d.event_id, w.enabled FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
			WHERE d.tenant_id = $1 AND d.id = $2`, p.TenantID, deliveryID).Scan(&endpointID, &eventID, &enabled)
		if err != nil {
			return tenants.NotFound(err, "delivery not found")
		}
		if !enabled {
			return tenants.Errorf(tenants.EConflict, "the endpoint is disabled; enable it to redeliver")
		}
		return NewEmitter(s.Jobs).queue(ctx, tx, []river.InsertManyParams{{Args: DeliverArgs{TenantID: p.TenantID, EndpointID: endpointID, EventID: eventID}}})
	})
}

// Notice is a message to the tenant about something that needs attention.
type Notice struct {
	ID        uuid.UUID
	Kind      string
	Message   string
	CreatedAt time.Time
}

// Notices returns the tenant's notices, newest first.
func (s *Service) Notices(ctx context.Context, p tenants.Principal, limit int) ([]Notice, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	var out []Notice
	err := s.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, kind, message, created_at FROM notices WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, p.TenantID, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Notice])
		return err
	})
	return out, err
}

var _ river.JobArgs = DeliverArgs{}
