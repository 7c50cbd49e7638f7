package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
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
		Role   string     `json:"role" enum:"owner,admin,operator,viewer"`
		Via    string     `json:"via" enum:"api_key,session" doc:"How the caller authenticated."`
		User   *UserBody  `json:"user,omitempty" doc:"The logged-in user, for a session."`
		KeyID  *uuid.UUID `json:"api_key_id,omitempty" doc:"The key, for an API key."`
	}
}

type acceptInput struct {
	Body struct {
		Token    string `json:"token" minLength:"1" maxLength:"200" doc:"The invitation token given when the user was added."`
		Password string `json:"password" minLength:"10" maxLength:"200"`
	}
}

type userOutput struct {
	Body UserBody
}

// registerTenants adds sign-up, logging in and out, the caller's own view
// of its tenant, and accepting an invitation: what a person does before or
// around using the rest of the API.
func (s *Server) registerTenants() {
	huma.Register(s.api, huma.Operation{
		OperationID: "signup", Method: http.MethodPost, Path: "/v1/signup", DefaultStatus: http.StatusCreated,
		Summary: "Sign up a tenant", Tags: []string{"Tenants"},
		Description: "Creates a tenant, its owner (who can log in to the portal) and a first API key.",
		Errors:      []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, s.signup)

	huma.Register(s.api, huma.Operation{
		OperationID: "login", Method: http.MethodPost, Path: "/v1/login",
		Summary: "Log in", Tags: []string{"Tenants"},
		Description: "Checks an email and password and sets the session cookie (HttpOnly). The response's csrf_token must accompany every write made with that cookie.",
		Errors:      []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, s.login)

	huma.Register(s.api, huma.Operation{
		OperationID: "logout", Method: http.MethodPost, Path: "/v1/logout", DefaultStatus: http.StatusNoContent,
		Summary: "Log out", Tags: []string{"Tenants"}, Security: authenticated,
		Description: "Ends the portal session and clears its cookies.",
		Errors:      []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity},
	}, s.logout)

	huma.Register(s.api, huma.Operation{
		OperationID: "get-me", Method: http.MethodGet, Path: "/v1/me",
		Summary: "Who am I", Tags: []string{"Tenants"}, Security: authenticated,
		Description: "The caller's tenant, role and, for a portal session, user.",
		Errors:      []int{http.StatusUnauthorized},
	}, s.getMe)

	huma.Register(s.api, huma.Operation{
		OperationID: "accept-invitation", Method: http.MethodPost, Path: "/v1/invitations/accept",
		Summary: "Accept an invitation", Tags: []string{"Users"},
		Description: "Sets the password of an invited user, who can then log in.",
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, s.acceptInvitation)
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

func (s *Server) acceptInvitation(ctx context.Context, in *acceptInput) (*userOutput, error) {
	u, err := s.tenants.AcceptInvitation(ctx, in.Body.Token, in.Body.Password)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &userOutput{Body: userBody(u)}, nil
}
