package tenants

import (
	"context"

	"github.com/google/uuid"

	"github.com/outcall/outcall/phone"
)

// Principal is who is acting: a user through a portal session, or an API key.
type Principal struct {
	TenantID uuid.UUID
	Role     Role
	// UserID is set for a session (and for keys, the user who made the key
	// is not the actor: UserID stays nil).
	UserID *uuid.UUID
	// KeyID is set when an API key acts.
	KeyID *uuid.UUID
	// Scopes bound what an API key may do (see Scopes); nil for sessions.
	Scopes []string
	// SessionID and CSRFToken are set for a portal session.
	SessionID *uuid.UUID
	CSRFToken string
}

// Require fails with EForbidden unless the principal's role is at least min.
func (p Principal) Require(min Role) error {
	if p.TenantID == uuid.Nil {
		return Errorf(EUnauthorized, "authentication required")
	}
	if !p.Role.AtLeast(min) {
		return Errorf(EForbidden, "this needs the %s role or stronger; yours is %s", min, p.Role)
	}
	return nil
}

// SeesNumbers reports whether the principal may see phone numbers in full:
// operators and stronger may (they run campaigns and handle callees);
// viewers, whether people or API keys with the viewer role, see them masked.
func (p Principal) SeesNumbers() bool { return p.Role.AtLeast(RoleOperator) }

// ShowPhone returns e164 as p may see it: in full for operators and
// stronger, masked (phone.Mask) for viewers. Every API answer and export that
// carries a number passes it through here.
func (p Principal) ShowPhone(e164 string) string {
	if p.SeesNumbers() {
		return e164
	}
	return phone.Mask(e164)
}

// ShowPhonesIn returns free text as p may see it: as it is for operators
// and stronger, with every possible number masked (phone.MaskIn) for
// viewers.
func (p Principal) ShowPhonesIn(text string) string {
	if p.SeesNumbers() {
		return text
	}
	return phone.MaskIn(text)
}

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
