package contacts

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/tenants"
)

// Contact is one phone number of a tenant with what is known about it.
type Contact struct {
	ID         uuid.UUID
	Phone      string // E.164
	Name       string
	Attributes map[string]any
	TimeZone   string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ContactInput is what a caller gives to add or update a contact.
type ContactInput struct {
	Phone      string
	Name       string
	Attributes map[string]any
	// TimeZone is an IANA zone; empty picks the number's, else the tenant's.
	TimeZone string
	// ListIDs are lists to add the contact to.
	ListIDs []uuid.UUID
	// Consent, when given, records consent evidence for the number.
	Consent *ConsentInput
}

func validateZone(field, tz string) error {
	if tz == "" {
		return nil
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
		return tenants.FieldError(field, "%q is not an IANA time zone such as Asia/Shanghai", tz)
	}
	return nil
}

// UpsertContact adds a contact, or merges into the tenant's contact with the
// same number: attributes are merged (given keys win), a given name or time
// zone replaces the old one.
func (s *Service) UpsertContact(ctx context.Context, p tenants.Principal, in ContactInput) (*Contact, error) {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return nil, err
	}
	if err := validateZone("body.time_zone", in.TimeZone); err != nil {
		return nil, err
	}
	if in.Consent != nil {
		if strings.TrimSpace(in.Consent.Source) == "" {
			return nil, tenants.FieldError("body.consent.source", "say where the consent came from (a form, a recording, a contract …)")
		}
	}
	var c *Contact
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		t, err := loadTenant(ctx, tx, p.TenantID)
		if err != nil {
			return err
		}
		e164, err := phone.Normalise(in.Phone, t.Region)
		if err != nil {
			return tenants.FieldError("body.phone", "%s", err.Error())
		}
		attrs, _ := json.Marshal(orEmpty(in.Attributes))
		tz := phone.ContactZone(in.TimeZone, e164, t.TimeZone)
		c = &Contact{}
		err = tx.QueryRow(ctx, `INSERT INTO contacts (id, tenant_id, phone, name, attributes, time_zone)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (tenant_id, phone) DO UPDATE SET
				name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE contacts.name END,
				attributes = contacts.attributes || EXCLUDED.attributes,
				time_zone = CASE WHEN $7 THEN EXCLUDED.time_zone ELSE contacts.time_zone END,
				updated_at = now()
			RETURNING `+contactColumns, uuid.Must(uuid.NewV7()), p.TenantID, e164, strings.TrimSpace(in.Name), attrs, tz, in.TimeZone != "").
			Scan(c.scanDest()...)
		if err != nil {
			return err
		}
		for i, l := range in.ListIDs {
			tag, err := tx.Exec(ctx, `INSERT INTO list_contacts (tenant_id, list_id, contact_id)
				SELECT $1, id, $3 FROM contact_lists WHERE tenant_id = $1 AND id = $2 ON CONFLICT DO NOTHING`, p.TenantID, l, c.ID)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				if exists, _ := ListExists(ctx, tx, p.TenantID, l); !exists {
					return tenants.FieldError(fmt.Sprintf("body.list_ids[%d]", i), "no such list")
				}
			}
		}
		if in.Consent != nil {
			_, err := recordConsent(ctx, tx, p.TenantID, e164, *in.Consent, s.now())
			return err
		}
		return nil
	})
	return c, err
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

const contactColumns = `id, phone, name, attributes, time_zone, created_at, updated_at`

func (c *Contact) scanDest() []any {
	return []any{&c.ID, &c.Phone, &c.Name, &c.Attributes, &c.TimeZone, &c.CreatedAt, &c.UpdatedAt}
}

// GetContact returns one contact.
func (s *Service) GetContact(ctx context.Context, p tenants.Principal, id uuid.UUID) (*Contact, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	c := &Contact{}
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts WHERE tenant_id = $1 AND id = $2`, p.TenantID, id).Scan(c.scanDest()...)
		return tenants.NotFound(err, "no such contact")
	})
	return c, err
}

// DeleteContact deletes a contact. Its call records stay, with their turns,
// usage and recordings (a call keeps the number it dialled and the id of
// the contact it was made to), and so do DNC entries and consent evidence,
// for the audit trail.
func (s *Service) DeleteContact(ctx context.Context, p tenants.Principal, id uuid.UUID) error {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return err
	}
	return s.db.DeleteByID(ctx, p.TenantID, "contacts", id, "no such contact")
}

// ListContacts returns the tenant's contacts, or one list's when listID is
// set, oldest first.
func (s *Service) ListContacts(ctx context.Context, p tenants.Principal, listID *uuid.UUID, limit int, after *uuid.UUID) ([]Contact, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	var out []Contact
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		if listID != nil {
			exists, err := ListExists(ctx, tx, p.TenantID, *listID)
			if err != nil {
				return err
			}
			if !exists {
				return tenants.Errorf(tenants.ENotFound, "no such list")
			}
		}
		rows, err := tx.Query(ctx, `SELECT `+contactColumns+` FROM contacts WHERE tenant_id = $1 AND `+tenants.PageAfter("contacts")+`
			AND ($4::uuid IS NULL OR id IN (SELECT contact_id FROM list_contacts WHERE list_id = $4))
			ORDER BY created_at, id LIMIT $3`, p.TenantID, after, limit, listID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Contact, error) {
			var c Contact
			err := row.Scan(c.scanDest()...)
			return c, err
		})
		return err
	})
	return out, err
}
