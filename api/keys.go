package api

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/tenants"
)

// KeyBody describes an API key without its secret.
type KeyBody struct {
	ID         uuid.UUID  `json:"id"`
	Name       string     `json:"name" example:"CRM sync"`
	Prefix     string     `json:"prefix" example:"oc_1a2b3c4d" doc:"The visible start of the key."`
	Role       string     `json:"role" enum:"owner,admin,operator,viewer,agent"`
	Scopes     []string   `json:"scopes" example:"[\"contacts:write\",\"campaigns:control\"]" doc:"What the key may do; [\"*\"] for everything its role allows."`
	CreatedBy  *uuid.UUID `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// NewKeyBody is a key just created, with its secret.
type NewKeyBody struct {
	KeyBody
	Secret string `json:"secret" example:"oc_1a2b3c4d_k2m4…" doc:"The key. It is shown only now; outcall keeps only its hash."`
}

func keyBody(k *tenants.APIKey) KeyBody {
	return KeyBody{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Role: string(k.Role), Scopes: k.Scopes, CreatedBy: k.CreatedBy,
		CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

func newKeyBody(k *tenants.NewAPIKey) NewKeyBody {
	return NewKeyBody{KeyBody: keyBody(&k.APIKey), Secret: k.Secret}
}

type keyPath struct {
	KeyID uuid.UUID `path:"key_id" doc:"The API key's id."`
}

type listKeysInput struct {
	PageInput
	Revoked BoolFilter `query:"revoked" enum:"true,false," doc:"Only revoked (true) or only active (false) keys."`
}

type listKeysOutput struct {
	Body struct {
		Items      []KeyBody `json:"items"`
		NextCursor string    `json:"next_cursor" doc:"Pass as cursor for the next page; empty on the last page."`
	}
}

type createKeyInput struct {
	Body struct {
		Name   string   `json:"name" minLength:"1" maxLength:"100" example:"CRM sync"`
		Role   string   `json:"role,omitempty" enum:"owner,admin,operator,viewer" default:"operator" doc:"What the key may do; no stronger than your own role."`
		Scopes []string `json:"scopes,omitempty" maxItems:"20" example:"[\"contacts:write\",\"campaigns:control\"]" doc:"Limit the key to these scopes: account:read, account:manage, contacts:read, contacts:write, scripts:read, scripts:write, campaigns:read, campaigns:control, calls:read, calls:review, webhooks:manage, billing:read, billing:manage, settings:manage. Empty: every scope."`
	}
}

// registerKeys adds the operations on the tenant's API keys.
func (s *Server) registerKeys() {
	manage := requires("account:manage")
	s.register("API keys", authErrors, []operation{
		{id: "list-api-keys", route: "GET /v1/api-keys", summary: "List API keys", security: manage, errs: []int{http.StatusUnprocessableEntity},
			desc: "The tenant's keys, revoked ones included, oldest first. Needs the admin role.", handler: handle(s.listAPIKeys)},
		{id: "create-api-key", route: "POST /v1/api-keys", status: http.StatusCreated, summary: "Create an API key", security: manage, errs: []int{http.StatusUnprocessableEntity},
			desc: "Makes a key and shows its secret once. Needs the admin role; the key's role cannot exceed yours.", handler: handle(s.createAPIKey)},
		{id: "revoke-api-key", route: "DELETE /v1/api-keys/{key_id}", summary: "Revoke an API key", security: manage, errs: []int{http.StatusNotFound},
			desc: "The key stops working at once. Revoking a revoked key changes nothing. Needs the admin role.", handler: handle(s.revokeAPIKey)},
	})
}

func (s *Server) listAPIKeys(ctx context.Context, in *listKeysInput) (*listKeysOutput, error) {
	out := &listKeysOutput{}
	keys := func(limit int, after *uuid.UUID) ([]tenants.APIKey, error) {
		return s.tenants.ListAPIKeys(ctx, principal(ctx), limit, after, in.Revoked.value())
	}
	if err := listPage(s, ctx, in.PageInput, keys, func(k *tenants.APIKey) uuid.UUID { return k.ID }, keyBody, &out.Body.Items, &out.Body.NextCursor); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) createAPIKey(ctx context.Context, in *createKeyInput) (*output[NewKeyBody], error) {
	k, err := s.tenants.CreateAPIKey(ctx, principal(ctx), in.Body.Name, tenants.Role(in.Body.Role), in.Body.Scopes)
	return reply(s, ctx, newKeyBody, k, err)
}

func (s *Server) revokeAPIKey(ctx context.Context, in *keyPath) (*output[KeyBody], error) {
	k, err := s.tenants.RevokeAPIKey(ctx, principal(ctx), in.KeyID)
	return reply(s, ctx, keyBody, k, err)
}
