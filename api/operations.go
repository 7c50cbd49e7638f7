package api

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// authErrors are the errors every authenticated operation may answer: 401
// without valid credentials, 403 when the key's scopes or the user's role do
// not allow the operation.
var authErrors = []int{http.StatusUnauthorized, http.StatusForbidden}

// operation is one row of a resource's table of operations: what sets it
// apart from the resource's other operations, which share its tag and some
// of its errors.
type operation struct {
	id      string
	route   string // the method and the path, as in "GET /v1/users/{user_id}"
	summary string
	desc    string
	// security says who may call it: requires(scope), authenticated, or nil
	// for anyone.
	security []map[string][]string
	// status is the success status when it is not 200.
	status int
	// errs are the errors it answers besides those of its resource.
	errs []int
	// more holds the fields only a few operations set (a body limit and the
	// middleware that enforces it, documented responses, no body
	// validation); register fills in the rest.
	more    huma.Operation
	handler func(huma.API, huma.Operation)
}

// handle lets a handler method stand in an operation table whatever its
// input and output types.
func handle[I, O any](h func(context.Context, *I) (*O, error)) func(huma.API, huma.Operation) {
	return func(api huma.API, op huma.Operation) { huma.Register(api, op, h) }
}

// register adds a resource's operations in the order of the table. Each is
// tagged tag and answers errs besides its own errors.
func (s *Server) register(tag string, errs []int, ops []operation) {
	for _, o := range ops {
		op := o.more
		op.Method, op.Path, _ = strings.Cut(o.route, " ")
		op.OperationID, op.Summary, op.Description = o.id, o.summary, o.desc
		op.Tags, op.Security, op.DefaultStatus = []string{tag}, o.security, o.status
		op.Errors = append(slices.Clip(errs), o.errs...)
		o.handler(s.api, op)
	}
}
