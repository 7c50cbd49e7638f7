package tenants

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Tenant is a company using outcall.
type Tenant struct {
	ID            uuid.UUID
	Name          string
	Plan          string
	DefaultRegion string
	TimeZone      string
	DefaultLang   string
	Suspended     bool
	CreatedAt     time.Time
}

// Service holds the tenant, user and credential operations.
type Service struct {
	db *DB
	// SessionTTL is how long a portal session lasts.
	SessionTTL time.Duration
	// InviteTTL is how long an invitation can be accepted.
	InviteTTL time.Duration
	// Mailer, when set, sends each new owner a link to verify their email
	// address, and a tenant needs a verified address before its first
	// campaign on the platform's lines (EmailVerified). Nil: no mail is
	// sent and nothing waits for it.
	Mailer Mailer
	// PublicURL is where people open the portal (https://outcall.example),
	// for the links in mail.
	PublicURL string
	// VerifyTTL is how long a verification link works.
	VerifyTTL time.Duration
}

// NewService returns the operations on db.
func NewService(db *DB) *Service {
	return &Service{db: db, SessionTTL: 7 * 24 * time.Hour, InviteTTL: 7 * 24 * time.Hour, VerifyTTL: 3 * 24 * time.Hour}
}

// DB returns the database the service uses.
func (s *Service) DB() *DB { return s.db }

// SignupRequest is what a new tenant gives.
type SignupRequest struct {
	TenantName string
	Email      string
	Password   string
	Name       string
}

// Signup is what a new tenant gets: its owner and a first API key, whose
// secret is shown this once.
type Signup struct {
	Tenant Tenant
	Owner  User
	Key    NewAPIKey
	// VerificationErr says why the verification mail could not be sent
	// (the signup stands; the owner can ask for it again).
	VerificationErr error
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

func validateEmail(field, email string) (string, error) {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email, "@") {
		return "", FieldError(field, "%q is not an email address", email)
	}
	return email, nil
}

func validatePassword(field, pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return FieldError(field, "the password must be at least %d characters long", MinPasswordLength)
	}
	return nil
}

// Signup creates a tenant, its owner and a first API key in one
// transaction: all of it exists afterwards, or none of it.
func (s *Service) Signup(ctx context.Context, req SignupRequest) (*Signup, error) {
	name := strings.TrimSpace(req.TenantName)
	if name == "" {
		return nil, FieldError("body.tenant_name", "the tenant name is empty")
	}
	email, err := validateEmail("body.email", req.Email)
	if err != nil {
		return nil, err
	}
	if err := validatePassword("body.password", req.Password); err != nil {
		return nil, err
	}
	hash, err := hashPassword(req.Password)
	if err != nil {
		return nil, err
	}
	out := &Signup{Tenant: Tenant{ID: uuid.New(), Name: name}}
	var verify string
	out.Owner = User{ID: uuid.New(), TenantID: out.Tenant.ID, Email: email, Name: strings.TrimSpace(req.Name), Role: RoleOwner}
	err = s.db.InTenant(ctx, out.Tenant.ID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO tenants (id, name) VALUES ($1, $2)
			RETURNING plan, default_region, time_zone, default_lang, created_at`, out.Tenant.ID, name).
			Scan(&out.Tenant.Plan, &out.Tenant.DefaultRegion, &out.Tenant.TimeZone, &out.Tenant.DefaultLang, &out.Tenant.CreatedAt)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO users (id, tenant_id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at`,
			out.Owner.ID, out.Tenant.ID, email, out.Owner.Name, out.Owner.Role, hash).Scan(&out.Owner.CreatedAt)
		if isUniqueViolation(err, "users_email_key") {
			return &Error{Code: EConflict, Field: "body.email", Message: "a user with this email address exists already"}
		}
		if err != nil {
			return err
		}
		key, err := createAPIKey(ctx, tx, out.Tenant.ID, &out.Owner.ID, "default", RoleAdmin, []string{AllScopes})
		if err != nil {
			return err
		}
		out.Key = *key
		if s.Mailer != nil {
			verify, err = s.newVerification(ctx, tx, out.Tenant.ID, out.Owner.ID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if verify != "" {
		// The tenant exists whether or not the mail goes: the owner can ask
		// for it again (POST /v1/me/verify-email).
		out.VerificationErr = s.sendVerification(ctx, out.Owner, verify)
	}
	return out, nil
}

// Tenant returns the tenant id.
func (s *Service) Tenant(ctx context.Context, id uuid.UUID) (*Tenant, error) {
	t := &Tenant{}
	err := s.db.InTenant(ctx, id, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT id, name, plan, default_region, time_zone, default_lang, suspended_at IS NOT NULL, created_at
			FROM tenants WHERE id = $1`, id).
			Scan(&t.ID, &t.Name, &t.Plan, &t.DefaultRegion, &t.TimeZone, &t.DefaultLang, &t.Suspended, &t.CreatedAt)
	})
	if err != nil {
		return nil, NotFound(err, "tenant not found")
	}
	return t, nil
}
