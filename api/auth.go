package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/outcall/outcall/tenants"
)

const (
	schemeKey     = "apiKey"
	schemeSession = "session"
	sessionCookie = "outcall_session"
	csrfCookie    = "outcall_csrf"
	csrfHeader    = "X-CSRF-Token"
)

// authenticated is the security requirement of an operation that needs a
// credential (an API key or a portal session) and no particular scope.
var authenticated = requires("")

// requires is the security requirement of an operation that an API key may
// call only with scope (see tenants.Scopes); portal sessions are bounded by
// the user's role.
func requires(scope string) []map[string][]string {
	keyScopes := []string{}
	if scope != "" {
		keyScopes = []string{scope}
	}
	return []map[string][]string{{schemeKey: keyScopes}, {schemeSession: {}}}
}

// requiredScope returns the scope an operation's security requirement names.
func requiredScope(op *huma.Operation) string {
	for _, req := range op.Security {
		if scopes := req[schemeKey]; len(scopes) > 0 {
			return scopes[0]
		}
	}
	return ""
}

// authenticate enforces what an operation's security requirement documents.
// A bearer key wins over a cookie. A cookie-authenticated write must echo
// the session's CSRF token in the X-CSRF-Token header.
func (s *Server) authenticate(ctx huma.Context, next func(huma.Context)) {
	if len(ctx.Operation().Security) == 0 {
		next(ctx)
		return
	}
	var (
		p   tenants.Principal
		err error
	)
	if h := ctx.Header("Authorization"); h != "" {
		scheme, key, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || key == "" {
			huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "the Authorization header must be `Bearer <API key>`")
			return
		}
		p, err = s.tenants.AuthenticateKey(ctx.Context(), strings.TrimSpace(key))
	} else if c, cerr := huma.ReadCookie(ctx, sessionCookie); cerr == nil && c.Value != "" {
		p, err = s.tenants.AuthenticateSession(ctx.Context(), c.Value)
		if err == nil && !safeMethod(ctx.Method()) && ctx.Header(csrfHeader) != p.CSRFToken {
			huma.WriteErr(s.api, ctx, http.StatusForbidden, "a write with the session cookie needs the X-CSRF-Token header returned by POST /v1/login")
			return
		}
	} else {
		huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "authentication required: send `Authorization: Bearer <API key>` or log in")
		return
	}
	if err != nil {
		if tenants.ErrorCode(err) == tenants.EUnauthorized {
			huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "invalid credentials")
		} else {
			huma.WriteErr(s.api, ctx, http.StatusInternalServerError, "internal error")
			s.log.ErrorContext(ctx.Context(), "authentication failed", "error", err)
		}
		return
	}
	if scope := requiredScope(ctx.Operation()); !p.HasScope(scope) {
		huma.WriteErr(s.api, ctx, http.StatusForbidden, fmt.Sprintf("this API key lacks the scope %q this operation needs", scope))
		return
	}
	next(huma.WithContext(ctx, tenants.WithPrincipal(ctx.Context(), p)))
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// principal returns the caller of an authenticated operation.
func principal(ctx context.Context) tenants.Principal {
	p, _ := tenants.PrincipalFrom(ctx)
	return p
}
