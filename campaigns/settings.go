package campaigns

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// Compliance returns the tenant's compliance settings (defaults where it
// has set nothing).
func (s *Service) Compliance(ctx context.Context, p tenants.Principal) (Compliance, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return Compliance{}, err
	}
	var c Compliance
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) (err error) {
		c, err = tenantCompliance(ctx, tx, p)
		return err
	})
	return c, err
}

func tenantCompliance(ctx context.Context, tx pgx.Tx, p tenants.Principal) (Compliance, error) {
	var raw []byte
	err := tx.QueryRow(ctx, `SELECT settings FROM compliance_settings WHERE tenant_id = $1`, p.TenantID).Scan(&raw)
	if err != nil && err != pgx.ErrNoRows {
		return Compliance{}, err
	}
	return ParseTenantCompliance(raw)
}

// SetCompliance replaces the tenant's compliance settings. Campaigns that
// tightened the old settings beyond the new ones keep their tighter values;
// a campaign override is checked again when the campaign changes.
func (s *Service) SetCompliance(ctx context.Context, p tenants.Principal, c Compliance) (Compliance, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return c, err
	}
	if strings.TrimSpace(c.AIDisclosure) == "" {
		c.AIDisclosure = DisclosureDefault
	}
	if c.MaxDailyMessages == 0 {
		c.MaxDailyMessages = DefaultCompliance().MaxDailyMessages
	}
	if err := c.Validate("body", false); err != nil {
		return c, err
	}
	if c.Holidays == nil {
		c.Holidays = []string{}
	}
	if c.SensitiveWords == nil {
		c.SensitiveWords = []string{}
	}
	raw, _ := json.Marshal(c)
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO compliance_settings (tenant_id, settings) VALUES ($1, $2)
			ON CONFLICT (tenant_id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now()`, p.TenantID, raw)
		return err
	})
	return c, err
}
