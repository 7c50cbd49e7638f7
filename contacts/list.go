package contacts

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// List is a named set of contacts a campaign can dial.
type List struct {
	ID          uuid.UUID
	Name        string
	Description string
	Contacts    int
	CreatedAt   time.Time
}

// CreateList makes an empty list.
func (s *Service) CreateList(ctx context.Context, p tenants.Principal, name, description string) (*List, error) {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return nil, tenants.FieldError("body.name", "give the list a name of 1 to 200 characters")
	}
	l := &List{ID: uuid.Must(uuid.NewV7()), Name: name, Description: description}
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO contact_lists (id, tenant_id, name, description) VALUES ($1, $2, $3, $4) RETURNING created_at`,
			l.ID, p.TenantID, l.Name, l.Description).Scan(&l.CreatedAt)
	})
	return l, err
}

const listColumns = `id, name, description, (SELECT count(*) FROM list_contacts lc WHERE lc.list_id = contact_lists.id), created_at`

func scanList(row pgx.Row) (*List, error) {
	var l List
	err := row.Scan(&l.ID, &l.Name, &l.Description, &l.Contacts, &l.CreatedAt)
	return &l, err
}

// ListExists reports whether the tenant has the list id (in tx, a
// transaction of that tenant).
func ListExists(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID) (bool, error) {
	var exists bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM contact_lists WHERE tenant_id = $1 AND id = $2)`, tenantID, id).Scan(&exists)
	return exists, err
}

// GetList returns one list with its size.
func (s *Service) GetList(ctx context.Context, p tenants.Principal, id uuid.UUID) (*List, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	l, err := tenants.QueryOne(ctx, s.db, p.TenantID, scanList, `SELECT `+listColumns+` FROM contact_lists WHERE tenant_id = $1 AND id = $2`, p.TenantID, id)
	return l, tenants.NotFound(err, "no such list")
}

// ListLists returns the tenant's lists, oldest first.
func (s *Service) ListLists(ctx context.Context, p tenants.Principal, limit int, after *uuid.UUID) ([]List, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	return tenants.QueryAll(ctx, s.db, p.TenantID, scanList, `SELECT `+listColumns+` FROM contact_lists WHERE tenant_id = $1 AND `+
		tenants.PageAfter("contact_lists")+` ORDER BY created_at, id LIMIT $3`, p.TenantID, after, limit)
}

// DeleteList deletes a list; its contacts stay.
func (s *Service) DeleteList(ctx context.Context, p tenants.Principal, id uuid.UUID) error {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return err
	}
	return s.db.DeleteByID(ctx, p.TenantID, "contact_lists", id, "no such list")
}
