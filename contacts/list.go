package contacts

import (
	"context"
	"errors"
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
	var l *List
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) (err error) {
		l, err = scanList(tx.QueryRow(ctx, `SELECT `+listColumns+` FROM contact_lists WHERE tenant_id = $1 AND id = $2`, p.TenantID, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return tenants.Errorf(tenants.ENotFound, "no such list")
		}
		return err
	})
	return l, err
}

// ListLists returns the tenant's lists, oldest first.
func (s *Service) ListLists(ctx context.Context, p tenants.Principal, limit int, after *uuid.UUID) ([]List, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	var out []List
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+listColumns+` FROM contact_lists WHERE tenant_id = $1 AND `+
			tenants.PageAfter("contact_lists")+` ORDER BY created_at, id LIMIT $3`, p.TenantID, after, limit)
		if err != nil {
			return err
		}
		out, err = tenants.CollectAll(rows, scanList)
		return err
	})
	return out, err
}

// DeleteList deletes a list; its contacts stay.
func (s *Service) DeleteList(ctx context.Context, p tenants.Principal, id uuid.UUID) error {
	if err := p.Require(tenants.RoleOperator); err != nil {
		return err
	}
	return s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM contact_lists WHERE tenant_id = $1 AND id = $2`, p.TenantID, id)
		if err == nil && tag.RowsAffected() == 0 {
			return tenants.Errorf(tenants.ENotFound, "no such list")
		}
		return err
	})
}
