package contacts

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// ConsentInput is evidence that a number's owner agreed to be called.
type ConsentInput struct {
	Source  string
	Scope   string
	GivenAt time.Time
}

// Consent is recorded consent evidence.
type Consent struct {
	ID          uuid.UUID
	Phone       string
	Source      string
	Scope       string
	GivenAt     time.Time
	RecordedAt  time.Time
	WithdrawnAt *time.Time
}

func recordConsent(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, phone string, in ConsentInput, now time.Time) (*Consent, error) {
	if in.GivenAt.IsZero() {
		in.GivenAt = now
	}
	c := &Consent{ID: uuid.Must(uuid.NewV7()), Phone: phone, Source: in.Source, Scope: in.Scope, GivenAt: in.GivenAt}
	err := tx.QueryRow(ctx, `INSERT INTO consents (id, tenant_id, phone, source, scope, given_at, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING recorded_at`,
		c.ID, tenantID, phone, in.Source, in.Scope, in.GivenAt, now).Scan(&c.RecordedAt)
	return c, err
}

// RecordConsent stores consent evidence for a number.
func (s *Service) RecordConsent(ctx context.Context, p tenants.Principal, number string, in ConsentInput) (*Consent, error) {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Source) == "" {
		return nil, tenants.FieldError("body.source", "say where the consent came from (a form, a recording, a contract …)")
	}
	var c *Consent
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		e164, err := normaliseNumber(ctx, tx, p.TenantID, number, "body.phone")
		if err != nil {
			return err
		}
		c, err = recordConsent(ctx, tx, p.TenantID, e164, in, s.now())
		return err
	})
	return c, err
}

// WithdrawConsent marks every consent of a number withdrawn.
func (s *Service) WithdrawConsent(ctx context.Context, p tenants.Principal, number string) (int64, error) {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return 0, err
	}
	var n int64
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		e164, err := normaliseNumber(ctx, tx, p.TenantID, number, "path.phone")
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE consents SET withdrawn_at = $3, withdrawn_seq = nextval('audit_seq') WHERE tenant_id = $1 AND phone = $2 AND withdrawn_at IS NULL`,
			p.TenantID, e164, s.now())
		n = tag.RowsAffected()
		return err
	})
	return n, err
}
