package tenants

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Session is a logged-in portal user. Token goes in an HttpOnly cookie;
// CSRFToken must come back in the X-CSRF-Token header of every write.
type Session struct {
	ID        uuid.UUID
	User      User
	Token     string
	CSRFToken string
	ExpiresAt time.Time
}

// Login checks an email and password and opens a session. A wrong email and
// a wrong password fail alike, in about the same time.
func (s *Service) Login(ctx context.Context, email, password string) (*Session, error) {
	var userID, tenantID uuid.UUID
	var hash *string
	err := s.db.Pool().QueryRow(ctx, `SELECT user_id, tenant_id, password_hash FROM auth_user_by_email($1)`, email).Scan(&userID, &tenantID, &hash)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && hash == nil) {
		checkPassword(password, dummyHash)
		return nil, errBadCredential
	}
	if err != nil {
		return nil, err
	}
	if !checkPassword(password, *hash) {
		return nil, errBadCredential
	}
	sess := &Session{
		ID:        uuid.New(),
		Token:     "ocs_" + randomToken(32),
		CSRFToken: randomToken(20),
		ExpiresAt: time.Now().Add(s.SessionTTL).UTC().Truncate(time.Second),
	}
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO sessions (id, tenant_id, user_id, token_hash, csrf_token, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			sess.ID, tenantID, userID, sha(sess.Token), sess.CSRFToken, sess.ExpiresAt); err != nil {
			return err
		}
		u, err := scanUser(tx.QueryRow(ctx, `UPDATE users SET last_login_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING `+userColumns, tenantID, userID))
		if err != nil {
			return err
		}
		sess.User = *u
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// AuthenticateSession checks a session cookie's token and returns the
// user's principal, with the user's current role.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (Principal, error) {
	if len(token) < 10 {
		return Principal{}, errBadCredential
	}
	var sessID, tenantID, userID uuid.UUID
	var csrf string
	var expires time.Time
	err := s.db.Pool().QueryRow(ctx, `SELECT session_id, tenant_id, user_id, csrf_token, expires_at FROM auth_session_by_token($1)`, sha(token)).
		Scan(&sessID, &tenantID, &userID, &csrf, &expires)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && expires.Before(time.Now())) {
		return Principal{}, errBadCredential
	}
	if err != nil {
		return Principal{}, err
	}
	var role Role
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT role FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, userID).Scan(&role)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, errBadCredential
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{TenantID: tenantID, Role: role, UserID: &userID, SessionID: &sessID, CSRFToken: csrf}, nil
}

// Logout ends the principal's session.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	if p.SessionID == nil {
		return Errorf(EInvalid, "logout ends a portal session; API keys are revoked instead")
	}
	return s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE tenant_id = $1 AND id = $2`, p.TenantID, *p.SessionID)
		return err
	})
}

// PurgeExpired deletes every tenant's expired sessions and remembered
// idempotent answers older than 24 hours, and says how many of each.
func (s *Service) PurgeExpired(ctx context.Context) (sessions, idempotencyKeys int64, err error) {
	// Sessions expire by the service's clock (it wrote expires_at and
	// checks it); idempotency keys by the database's (it wrote created_at).
	err = s.db.Pool().QueryRow(ctx, `SELECT purge_expired_sessions($1), purge_idempotency_keys()`, time.Now()).Scan(&sessions, &idempotencyKeys)
	return sessions, idempotencyKeys, err
}
