package api

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/calls"
)

// ScriptEndpointBody is one of the tenant's services scripts call.
type ScriptEndpointBody struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name" example:"crm" doc:"What scripts call it by: a state's http: { endpoint: \"crm\", path: \"/accounts/${c.contact.account}/balance\" }."`
	URL         string    `json:"url" example:"https://crm.example.com/outcall" doc:"The base URL a script's path is appended to."`
	Description string    `json:"description" example:"Balances and promises to pay"`
	CreatedAt   time.Time `json:"created_at"`
}

func scriptEndpointBody(e *calls.Endpoint) ScriptEndpointBody {
	return ScriptEndpointBody{ID: e.ID, Name: e.Name, URL: e.URL, Description: e.Description, CreatedAt: e.CreatedAt}
}

type scriptEndpointPath struct {
	EndpointID uuid.UUID `path:"script_endpoint_id" doc:"The script endpoint's id."`
}

type scriptEndpointInput struct {
	Body struct {
		Name        string `json:"name" minLength:"1" maxLength:"40" pattern:"^[a-z][a-z0-9_]*$" example:"crm"`
		URL         string `json:"url" format:"uri" maxLength:"2000" example:"https://crm.example.com/outcall"`
		Description string `json:"description,omitempty" maxLength:"500" example:"Balances and promises to pay"`
	}
}

type scriptEndpointWithSecret struct {
	Body struct {
		ScriptEndpointBody
		Secret string `json:"secret" example:"epsec_3f…" doc:"The secret requests are signed with (Outcall-Signature over the method, path, a newline and the body). Shown only now; rotate it to get a new one."`
	}
}

type scriptEndpointsOutput struct {
	Body struct {
		Items []ScriptEndpointBody `json:"items"`
	}
}

// registerScriptEndpoints adds the endpoints scripts call.
func (s *Server) registerScriptEndpoints() {
	s.register("Script endpoints", []int{http.StatusUnauthorized, http.StatusForbidden}, []operation{
		{id: "list-script-endpoints", route: "GET /v1/script-endpoints", summary: "The services scripts call", security: requires("scripts:read"),
			desc: "Every endpoint the tenant registered for its scripts' http states, by name.", handler: handle(s.listScriptEndpoints)},
		{id: "create-script-endpoint", route: "POST /v1/script-endpoints", status: http.StatusCreated, summary: "Register a service scripts may call", security: requires("settings:manage"),
			errs: []int{http.StatusConflict, http.StatusUnprocessableEntity},
			desc: "Scripts reach nothing but the endpoints registered here, by name. The URL must be https and public (no loopback, private or metadata address, " +
				"checked now and at every connection); redirects are not followed. Every request carries Outcall-Signature (t=…,v1=…: HMAC-SHA256 with the secret " +
				"returned now, over the timestamp, a dot, then the method, a space, the path with its query, a newline and the body) and Outcall-Endpoint (the name). Needs the admin role.",
			handler: handle(s.createScriptEndpoint)},
		{id: "rotate-script-endpoint-secret", route: "POST /v1/script-endpoints/{script_endpoint_id}/rotate-secret", summary: "Give a script endpoint a new signing secret", security: requires("settings:manage"),
			errs: []int{http.StatusNotFound}, desc: "The old secret stops signing at once. Needs the admin role.", handler: handle(s.rotateScriptEndpoint)},
		{id: "delete-script-endpoint", route: "DELETE /v1/script-endpoints/{script_endpoint_id}", status: http.StatusNoContent, summary: "Remove a script endpoint", security: requires("settings:manage"),
			errs: []int{http.StatusNotFound}, desc: "Scripts that name it get a failed request (their http.failed state, when they have one). Needs the admin role.", handler: handle(s.deleteScriptEndpoint)},
	})
}

func (s *Server) listScriptEndpoints(ctx context.Context, _ *struct{}) (*scriptEndpointsOutput, error) {
	list, err := s.cfg.Endpoints.List(ctx, principal(ctx))
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &scriptEndpointsOutput{}
	out.Body.Items = make([]ScriptEndpointBody, len(list))
	for i := range list {
		out.Body.Items[i] = scriptEndpointBody(&list[i])
	}
	return out, nil
}

func (s *Server) createScriptEndpoint(ctx context.Context, in *scriptEndpointInput) (*scriptEndpointWithSecret, error) {
	e, secret, err := s.cfg.Endpoints.Create(ctx, principal(ctx), calls.EndpointInput{Name: in.Body.Name, URL: in.Body.URL, Description: in.Body.Description})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &scriptEndpointWithSecret{}
	out.Body.ScriptEndpointBody, out.Body.Secret = scriptEndpointBody(e), secret
	return out, nil
}

func (s *Server) rotateScriptEndpoint(ctx context.Context, in *scriptEndpointPath) (*scriptEndpointWithSecret, error) {
	e, secret, err := s.cfg.Endpoints.RotateSecret(ctx, principal(ctx), in.EndpointID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &scriptEndpointWithSecret{}
	out.Body.ScriptEndpointBody, out.Body.Secret = scriptEndpointBody(e), secret
	return out, nil
}

func (s *Server) deleteScriptEndpoint(ctx context.Context, in *scriptEndpointPath) (*struct{}, error) {
	return nil, s.problem(ctx, s.cfg.Endpoints.Delete(ctx, principal(ctx), in.EndpointID))
}
