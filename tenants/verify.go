package tenants

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// An owner proves their email address by opening a link outcall mails
// them; until someone of the tenant has, the tenant may not run campaigns
// on the platform's own lines (a tenant with its own trunk pays its own
// carrier). Only the token's SHA-256 is stored, as for invitations.

// newVerification stores a fresh verification token for the user, in tx,
// and returns it.
func (s *Service) newVerification(ctx context.Context, tx pgx.Tx, tenantID, userID uuid.UUID) (string, error) {
	token := "ver_" + randomToken(20)
	_, err := tx.Exec(ctx, `UPDATE users SET verify_hash = $3, verify_expires_at = $4 WHERE tenant_id = $1 AND id = $2`,
		tenantID, userID, sha(token), time.Now().Add(s.VerifyTTL))
	return token, err
}

// sendVerification mails u the link that verifies their address.
func (s *Service) sendVerification(ctx context.Context, u User, token string) error {
	link := strings.TrimRight(s.PublicURL, "/") + "/verify-email?token=" + token
	return s.Mailer.Send(ctx, Mail{To: u.Email, Subject: "请验证您的邮箱 / Verify your email address for outcall",
		Body: "您好,\n\n请打开下面的链接验证您的邮箱,验证后即可开始外呼活动:\n" + link + "\n\n" +
			"Hello,\n\nOpen this link to verify your email address; campaigns can start once it is verified:\n" + link + "\n\n" +
			fmt.Sprintf("The link works for %v. If you did not sign up for outcall, ignore this message.\n", s.VerifyTTL.Round(time.Hour))})
}

// ResendVerification mails the signed-in user a new verification link
// (the old one stops working). It is an error without a mailer, for a
// key, or when the address is verified already.
func (s *Service) ResendVerification(ctx context.Context, p Principal) error {
	if s.Mailer == nil {
		return Errorf(EInvalid, "this outcall sends no mail (no SMTP server is configured), so addresses need no verification")
	}
	if p.UserID == nil {
		return Errorf(EForbidden, "only a person signed in to the portal can verify their address, not an API key")
	}
	var u *User
	var token string
	err := s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		var verified bool
		if err := tx.QueryRow(ctx, `SELECT email_verified_at IS NOT NULL FROM users WHERE tenant_id = $1 AND id = $2`, p.TenantID, *p.UserID).Scan(&verified); err != nil {
			return err
		}
		if verified {
			return Errorf(EConflict, "this address is verified already")
		}
		var err error
		if u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2`, p.TenantID, *p.UserID)); err != nil {
			return err
		}
		token, err = s.newVerification(ctx, tx, p.TenantID, u.ID)
		return err
	})
	if err != nil {
		return NotFound(err, "user not found")
	}
	return s.sendVerification(ctx, *u, token)
}

// VerifyEmail marks the address whose link carried token as verified.
func (s *Service) VerifyEmail(ctx context.Context, token string) (*User, error) {
	var userID, tenantID uuid.UUID
	var expires *time.Time
	err := s.db.Pool().QueryRow(ctx, `SELECT user_id, tenant_id, expires_at FROM auth_email_verification_by_token($1)`, sha(token)).Scan(&userID, &tenantID, &expires)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && expires != nil && expires.Before(time.Now())) {
		return nil, &Error{Code: ENotFound, Field: "body.token", Message: "this verification link does not exist or has expired: ask for a new one in the portal"}
	}
	if err != nil {
		return nil, err
	}
	var u *User
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET email_verified_at = $3, verify_hash = NULL, verify_expires_at = NULL
			WHERE tenant_id = $1 AND id = $2 RETURNING `+userColumns, tenantID, userID, time.Now()))
		return err
	})
	return u, err
}

// EmailVerified reports whether someone of the tenant has verified their
// address; without a mailer every tenant counts as verified.
func (s *Service) EmailVerified(ctx context.Context, tenantID uuid.UUID) (bool, error) {
	if s.Mailer == nil {
		return true, nil
	}
	var ok bool
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND email_verified_at IS NOT NULL)`, tenantID).Scan(&ok)
	})
	return ok, err
}
