package api

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/tenants"
)

// TenantBody describes a tenant.
type TenantBody struct {
	ID            uuid.UUID `json:"id"`
	Name          string    `json:"name" example:"某某商城"`
	Plan          string    `json:"plan" example:"trial"`
	DefaultRegion string    `json:"default_region" example:"CN" doc:"Region used to read national phone numbers."`
	TimeZone      string    `json:"time_zone" example:"Asia/Shanghai"`
	DefaultLang   string    `json:"default_lang" example:"zh-CN"`
	Suspended     bool      `json:"suspended"`
	CreatedAt     time.Time `json:"created_at"`
}

func tenantBody(t *tenants.Tenant) TenantBody {
	return TenantBody{ID: t.ID, Name: t.Name, Plan: t.Plan, DefaultRegion: t.DefaultRegion, TimeZone: t.TimeZone,
		DefaultLang: t.DefaultLang, Suspended: t.Suspended, CreatedAt: t.CreatedAt}
}

type signupInput struct {
	Body struct {
		TenantName string `json:"tenant_name" minLength:"1" maxLength:"200" example:"某某商城" doc:"Your company's name."`
		Email      string `json:"email" format:"email" maxLength:"254" example:"ops@example.com" doc:"The owner's login."`
		Password   string `json:"password" minLength:"10" maxLength:"200" example:"correct horse battery" doc:"At least 10 characters."`
		Name       string `json:"name,omitempty" maxLength:"200" example:"王经理" doc:"The owner's name."`
	}
}

type signupOutput struct {
	Body struct {
		TenantID uuid.UUID  `json:"tenant_id"`
		UserID   uuid.UUID  `json:"user_id"`
		APIKey   NewKeyBody `json:"api_key" doc:"A first API key (admin role). Its secret is shown this once."`
	}
}

type loginInput struct {
	Body struct {
		Email    string `json:"email" maxLength:"254" example:"ops@example.com"`
		Password string `json:"password" maxLength:"200" example:"correct horse battery"`
	}
}

type loginOutput struct {
	SetCookie []http.Cookie `header:"Set-Cookie"`
	Body      struct {
		User      UserBody  `json:"user"`
		CSRFToken string    `json:"csrf_token" doc:"Send it as the X-CSRF-Token header on every write made with the session cookie."`
		ExpiresAt time.Time `json:"expires_at"`
	}
}

type logoutOutput struct {
	SetCookie []http.Cookie `header:"Set-Cookie"`
}

type meOutput struct {
	Body struct {
		Tenant TenantBody `json:"tenant"`
		Role   string     `json:"role" enum:"owner,admin,operator,viewer,agent"`
		Via    string     `json:"via" enum:"api_key,session" doc:"How the caller authenticated."`
		User   *UserBody  `json:"user,omitempty" doc:"The logged-in user, for a session."`
		KeyID  *uuid.UUID `json:"api_key_id,omitempty" doc:"The key, for an API key."`
	}
}

type verifyEmailInput struct {
	Body struct {
		Token string `json:"token" minLength:"1" maxLength:"200" doc:"The token of the link mailed to the person (verify-email?token=…)."`
	}
}

type acceptInput struct {
	Body struct {
		Token    string `json:"token" minLength:"1" maxLength:"200" doc:"The invitation token given when the user was added."`
		Password string `json:"password" minLength:"10" maxLength:"200"`
	}
}

// registerTenants adds sign-up, logging in and out, the caller's own view
// of its tenant, and accepting an invitation: what a person does before or
// around using the rest of the API.
func (s *Server) registerTenants() {
	s.register("Tenants", nil, []operation{
		{id: "signup", route: "POST /v1/signup", status: http.StatusCreated, summary: "Sign up a tenant", errs: []int{http.StatusConflict, http.StatusUnprocessableEntity},
			desc: "Creates a tenant, its owner (who can log in to the portal) and a first API key.", handler: handle(s.signup)},
		{id: "login", route: "POST /v1/login", summary: "Log in", errs: []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
			desc: "Checks an email and password and sets the session cookie (HttpOnly). The response's csrf_token must accompany every write made with that cookie.", handler: handle(s.login)},
		{id: "logout", route: "POST /v1/logout", status: http.StatusNoContent, summary: "Log out", security: authenticated,
			errs: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity},
			desc: "Ends the portal session and clears its cookies.", handler: handle(s.logout)},
		{id: "get-me", route: "GET /v1/me", summary: "Who am I", security: authenticated, errs: []int{http.StatusUnauthorized},
			desc: "The caller's tenant, role and, for a portal session, user.", handler: handle(s.getMe)},
	})
	s.register("Users", nil, []operation{
		{id: "accept-invitation", route: "POST /v1/invitations/accept", summary: "Accept an invitation", errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
			desc: "Sets the password of an invited user, who can then log in.", handler: handle(s.acceptInvitation)},
		{id: "verify-email", route: "POST /v1/verify-email", summary: "Verify an email address", errs: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
			desc: "Marks the address whose verification link carried the token as verified. When this outcall sends mail, a tenant needs a verified " +
				"address before its first campaign on the platform's lines (a tenant with its own trunk does not).", handler: handle(s.verifyEmail)},
		{id: "resend-email-verification", route: "POST /v1/me/verify-email", status: http.StatusAccepted, summary: "Mail a new verification link", security: authenticated,
			errs: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity},
			desc: "Mails the signed-in person a new verification link; the previous one stops working. For portal sessions only.", handler: handle(s.resendVerification)},
	})
}

func (s *Server) verifyEmail(ctx context.Context, in *verifyEmailInput) (*output[UserBody], error) {
	u, err := s.tenants.VerifyEmail(ctx, in.Body.Token)
	return reply(s, ctx, userBody, u, err)
}

func (s *Server) resendVerification(ctx context.Context, _ *struct{}) (*struct{}, error) {
	return nil, s.problem(ctx, s.tenants.ResendVerification(ctx, principal(ctx)))
}

func (s *Server) signup(ctx context.Context, in *signupInput) (*signupOutput, error) {
	su, err := s.tenants.Signup(ctx, tenants.SignupRequest{TenantName: in.Body.TenantName, Email: in.Body.Email, Password: in.Body.Password, Name: in.Body.Name})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &signupOutput{}
	out.Body.TenantID = su.Tenant.ID
	out.Body.UserID = su.Owner.ID
	out.Body.APIKey = newKeyBody(&su.Key)
	return out, nil
}

func (s *Server) login(ctx context.Context, in *loginInput) (*loginOutput, error) {
	sess, err := s.tenants.Login(ctx, in.Body.Email, in.Body.Password)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &loginOutput{}
	out.SetCookie = []http.Cookie{
		{Name: sessionCookie, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt, HttpOnly: true, Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteLaxMode},
		{Name: csrfCookie, Value: sess.CSRFToken, Path: "/", Expires: sess.ExpiresAt, Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteStrictMode},
	}
	out.Body.User = userBody(&sess.User)
	out.Body.CSRFToken = sess.CSRFToken
	out.Body.ExpiresAt = sess.ExpiresAt
	return out, nil
}

func (s *Server) logout(ctx context.Context, _ *struct{}) (*logoutOutput, error) {
	if err := s.tenants.Logout(ctx, principal(ctx)); err != nil {
		return nil, s.problem(ctx, err)
	}
	return &logoutOutput{SetCookie: []http.Cookie{
		{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteLaxMode},
		{Name: csrfCookie, Value: "", Path: "/", MaxAge: -1, Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteStrictMode},
	}}, nil
}

func (s *Server) getMe(ctx context.Context, _ *struct{}) (*meOutput, error) {
	p := principal(ctx)
	t, err := s.tenants.Tenant(ctx, p.TenantID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &meOutput{}
	out.Body.Tenant = tenantBody(t)
	out.Body.Role = string(p.Role)
	if p.UserID != nil {
		u, err := s.tenants.GetUser(ctx, p, *p.UserID)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		ub := userBody(u)
		out.Body.User = &ub
		out.Body.Via = "session"
	} else {
		out.Body.Via = "api_key"
		out.Body.KeyID = p.KeyID
	}
	return out, nil
}

func (s *Server) acceptInvitation(ctx context.Context, in *acceptInput) (*output[UserBody], error) {
	u, err := s.tenants.AcceptInvitation(ctx, in.Body.Token, in.Body.Password)
	return reply(s, ctx, userBody, u, err)
}
