package tenants

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// APIKey is a credential for integrations. Its secret is stored only as a
// hash; the prefix stays visible so people can tell keys apart.
type APIKey struct {
	ID         uuid.UUID
	Name       string
	Prefix     string
	Role       Role
	Scopes     []string
	CreatedBy  *uuid.UUID
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// NewAPIKey is a key just made, with its secret, shown this once.
type NewAPIKey struct {
	APIKey
	Secret string
}

// Keys look like "oc_1a2b3c4d_<32 random characters>": the prefix
// "oc_1a2b3c4d" finds the row, the whole key is checked against its hash.
const keyPrefixLen = len("oc_") + 8

const apiKeyColumns = `id, name, prefix, role, scopes, created_by, created_at, last_used_at, revoked_at`

func scanAPIKey(row pgx.Row) (*APIKey, error) {
	k := &APIKey{}
	if err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.Role, &k.Scopes, &k.CreatedBy, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt); err != nil {
		return nil, NotFound(err, "API key not found")
	}
	return k, nil
}

func createAPIKey(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, createdBy *uuid.UUID, name string, role Role, scopes []string) (*NewAPIKey, error) {
	prefix := "oc_" + randomToken(5)[:8]
	secret := prefix + "_" + randomToken(20)
	k, err := scanAPIKey(tx.QueryRow(ctx, `INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, role, created_by, scopes)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+apiKeyColumns,
		uuid.New(), tenantID, name, prefix, sha(secret), role, createdBy, scopes))
	if err != nil {
		return nil, err
	}
	return &NewAPIKey{APIKey: *k, Secret: secret}, nil
}

// CreateAPIKey makes a key for the principal's tenant with a role no
// stronger than the principal's own, limited to scopes (all when empty; a
// key cannot get scopes its creator lacks).
func (s *Service) CreateAPIKey(ctx context.Context, p Principal, name string, role Role, scopes []string) (*NewAPIKey, error) {
	if err := p.Require(RoleAdmin); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, FieldError("body.name", "the key needs a name")
	}
	if role == "" {
		role = RoleOperator
	}
	if !role.Valid() {
		return nil, FieldError("body.role", "unknown role %q (want owner, admin, operator or viewer)", role)
	}
	if !p.Role.AtLeast(role) {
		return nil, &Error{Code: EForbidden, Field: "body.role", Message: "a key cannot be stronger than the role that creates it"}
	}
	scopes, err := normaliseScopes(scopes)
	if err != nil {
		return nil, err
	}
	if p.Scopes != nil {
		if len(scopes) == 1 && scopes[0] == AllScopes && !p.HasScope(AllScopes) {
			scopes = slices.Clone(p.Scopes)
		}
		for _, sc := range scopes {
			if !p.HasScope(sc) {
				return nil, &Error{Code: EForbidden, Field: "body.scopes", Message: fmt.Sprintf("a key cannot get the scope %q its creator lacks", sc)}
			}
		}
	}
	var key *NewAPIKey
	err = s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) (err error) {
		key, err = createAPIKey(ctx, tx, p.TenantID, p.UserID, name, role, scopes)
		return err
	})
	return key, err
}

// ListAPIKeys returns the tenant's keys, oldest first: all of them, or
// when revoked is set only the revoked (true) or active (false) ones.
func (s *Service) ListAPIKeys(ctx context.Context, p Principal, limit int, after *uuid.UUID, revoked *bool) ([]APIKey, error) {
	if err := p.Require(RoleAdmin); err != nil {
		return nil, err
	}
	return QueryAll(ctx, s.db, p.TenantID, scanAPIKey, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE tenant_id = $1 AND `+PageAfter("api_keys")+`
		  AND ($4::boolean IS NULL OR (revoked_at IS NOT NULL) = $4)
		ORDER BY created_at, id LIMIT $3`, p.TenantID, after, limit, revoked)
}

// RevokeAPIKey stops a key from working. Revoking twice is harmless.
func (s *Service) RevokeAPIKey(ctx context.Context, p Principal, id uuid.UUID) (*APIKey, error) {
	if err := p.Require(RoleAdmin); err != nil {
		return nil, err
	}
	return QueryOne(ctx, s.db, p.TenantID, scanAPIKey, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
		WHERE tenant_id = $1 AND id = $2 RETURNING `+apiKeyColumns, p.TenantID, id)
}

var errBadCredential = Errorf(EUnauthorized, "invalid credentials")

// AuthenticateKey checks an API key and returns who it acts as. Every
// failure is the same EUnauthorized error.
func (s *Service) AuthenticateKey(ctx context.Context, secret string) (Principal, error) {
	if len(secret) < keyPrefixLen+2 || !strings.HasPrefix(secret, "oc_") {
		return Principal{}, errBadCredential
	}
	var (
		keyID, tenantID uuid.UUID
		hash            []byte
		role            Role
		revoked         bool
		scopes          []string
	)
	err := s.db.Pool().QueryRow(ctx, `SELECT key_id, tenant_id, secret_hash, role, revoked, scopes FROM auth_api_key_by_prefix($1)`, secret[:keyPrefixLen]).
		Scan(&keyID, &tenantID, &hash, &role, &revoked, &scopes)
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, errBadCredential
	}
	if err != nil {
		return Principal{}, err
	}
	if !equalHash(hash, sha(secret)) || revoked {
		return Principal{}, errBadCredential
	}
	s.touchKey(ctx, tenantID, keyID)
	return Principal{TenantID: tenantID, Role: role, KeyID: &keyID, Scopes: scopes}, nil
}

// touchKey records when a key was last used, at most once a minute per key
// so a busy integration does not write on every request.
func (s *Service) touchKey(ctx context.Context, tenantID, keyID uuid.UUID) {
	_ = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE api_keys SET last_used_at = now()
			WHERE tenant_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, tenantID, keyID)
		return err
	})
}
