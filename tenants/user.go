package tenants

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// User is a person who logs in to the portal.
type User struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	Email       string
	Name        string
	Role        Role
	Invited     bool // the invitation is not accepted yet
	CreatedAt   time.Time
	LastLoginAt *time.Time
	// EmailVerified is set once the person opened the link mailed to them.
	EmailVerified bool
}

const userColumns = `id, tenant_id, email::text, name, role, password_hash IS NULL, created_at, last_login_at, email_verified_at IS NOT NULL`

func scanUser(row pgx.Row) (*User, error) {
	u := &User{}
	if err := row.Scan(&u.ID, &u.TenantID, &u.Email, &u.Name, &u.Role, &u.Invited, &u.CreatedAt, &u.LastLoginAt, &u.EmailVerified); err != nil {
		return nil, NotFound(err, "user not found")
	}
	return u, nil
}

// AddUserRequest adds a person to a tenant. With a Password the user can
// log in at once; without one the result carries an invitation token to
// hand to the person, who sets a password with AcceptInvitation.
type AddUserRequest struct {
	Email    string
	Name     string
	Role     Role
	Password string
}

// AddedUser is the new user and, for an invitation, its token (shown once).
type AddedUser struct {
	User        User
	InviteToken string
}

// AddUser adds a user to the acting principal's tenant. Admins add anyone
// but owners; owners add anyone.
func (s *Service) AddUser(ctx context.Context, p Principal, req AddUserRequest) (*AddedUser, error) {
	if err := p.Require(RoleAdmin); err != nil {
		return nil, err
	}
	email, err := validateEmail("body.email", req.Email)
	if err != nil {
		return nil, err
	}
	if !req.Role.Valid() {
		return nil, FieldError("body.role", "unknown role %q (want owner, admin, operator or viewer)", req.Role)
	}
	if req.Role == RoleOwner && p.Role != RoleOwner {
		return nil, Errorf(EForbidden, "only an owner can add another owner")
	}
	var hash *string
	var inviteHash []byte
	var inviteExpires *time.Time
	out := &AddedUser{}
	if req.Password != "" {
		if err := validatePassword("body.password", req.Password); err != nil {
			return nil, err
		}
		h, err := hashPassword(req.Password)
		if err != nil {
			return nil, err
		}
		hash = &h
	} else {
		out.InviteToken = "inv_" + randomToken(20)
		inviteHash = sha(out.InviteToken)
		exp := time.Now().Add(s.InviteTTL)
		inviteExpires = &exp
	}
	err = s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		u, err := scanUser(tx.QueryRow(ctx, `INSERT INTO users (id, tenant_id, email, name, role, password_hash, invite_hash, invite_expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+userColumns,
			uuid.New(), p.TenantID, email, strings.TrimSpace(req.Name), req.Role, hash, inviteHash, inviteExpires))
		if isUniqueViolation(err, "users_email_key") {
			return &Error{Code: EConflict, Field: "body.email", Message: "a user with this email address exists already"}
		}
		if err != nil {
			return err
		}
		out.User = *u
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AcceptInvitation sets the password of an invited user, who can then log in.
func (s *Service) AcceptInvitation(ctx context.Context, token, password string) (*User, error) {
	if err := validatePassword("body.password", password); err != nil {
		return nil, err
	}
	var userID, tenantID uuid.UUID
	var expires *time.Time
	err := s.db.Pool().QueryRow(ctx, `SELECT user_id, tenant_id, expires_at FROM auth_invitation_by_token($1)`, sha(token)).Scan(&userID, &tenantID, &expires)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && expires != nil && expires.Before(time.Now())) {
		return nil, &Error{Code: ENotFound, Field: "body.token", Message: "this invitation does not exist or has expired"}
	}
	if err != nil {
		return nil, err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return nil, err
	}
	var u *User
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET password_hash = $3, invite_hash = NULL, invite_expires_at = NULL
			WHERE tenant_id = $1 AND id = $2 RETURNING `+userColumns, tenantID, userID, hash))
		return err
	})
	return u, err
}

// ListUsersRequest pages through a tenant's users, oldest first.
type ListUsersRequest struct {
	Limit int
	// After is the id of the last user of the previous page.
	After *uuid.UUID
	// Role, when set, lists only users with that role.
	Role Role
}

// ListUsers returns up to Limit users after the given one.
func (s *Service) ListUsers(ctx context.Context, p Principal, req ListUsersRequest) ([]User, error) {
	if err := p.Require(RoleViewer); err != nil {
		return nil, err
	}
	return QueryAll(ctx, s.db, p.TenantID, scanUser, `SELECT `+userColumns+` FROM users
		WHERE tenant_id = $1 AND `+PageAfter("users")+`
		  AND ($4 = '' OR role = $4)
		ORDER BY created_at, id LIMIT $3`, p.TenantID, req.After, req.Limit, string(req.Role))
}

// GetUser returns one user of the principal's tenant.
func (s *Service) GetUser(ctx context.Context, p Principal, id uuid.UUID) (*User, error) {
	min := RoleViewer
	if p.UserID != nil && *p.UserID == id {
		min = RoleAgent // anyone reads themself, agents included
	}
	if err := p.Require(min); err != nil {
		return nil, err
	}
	return QueryOne(ctx, s.db, p.TenantID, scanUser, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2`, p.TenantID, id)
}

// ChangeRole gives a user another role. Only owners make or unmake owners,
// and the last owner stays an owner.
func (s *Service) ChangeRole(ctx context.Context, p Principal, id uuid.UUID, role Role) (*User, error) {
	if err := p.Require(RoleAdmin); err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, FieldError("body.role", "unknown role %q (want owner, admin, operator or viewer)", role)
	}
	var u *User
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		cur, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, p.TenantID, id))
		if err != nil {
			return err
		}
		if (cur.Role == RoleOwner || role == RoleOwner) && p.Role != RoleOwner {
			return Errorf(EForbidden, "only an owner can make or unmake owners")
		}
		if cur.Role == RoleOwner && role != RoleOwner {
			if err := s.keepAnOwner(ctx, tx, p.TenantID, id); err != nil {
				return err
			}
		}
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET role = $3 WHERE tenant_id = $1 AND id = $2 RETURNING `+userColumns, p.TenantID, id, role))
		return err
	})
	return u, err
}

// RemoveUser deletes a user and its sessions.
func (s *Service) RemoveUser(ctx context.Context, p Principal, id uuid.UUID) error {
	if err := p.Require(RoleAdmin); err != nil {
		return err
	}
	return s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		cur, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, p.TenantID, id))
		if err != nil {
			return err
		}
		if cur.Role == RoleOwner {
			if p.Role != RoleOwner {
				return Errorf(EForbidden, "only an owner can remove an owner")
			}
			if err := s.keepAnOwner(ctx, tx, p.TenantID, id); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `DELETE FROM users WHERE tenant_id = $1 AND id = $2`, p.TenantID, id)
		return err
	})
}

func (s *Service) keepAnOwner(ctx context.Context, tx pgx.Tx, tenantID, leaving uuid.UUID) error {
	var others int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE tenant_id = $1 AND role = 'owner' AND id <> $2 AND password_hash IS NOT NULL`, tenantID, leaving).Scan(&others); err != nil {
		return err
	}
	if others == 0 {
		return Errorf(EConflict, "a tenant needs at least one owner: make someone else an owner first")
	}
	return nil
}
