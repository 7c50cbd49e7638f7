// Package api is outcall's HTTP interface: huma v2 operations under /v1,
// the OpenAPI 3.1 document they generate (/openapi.json, /openapi.yaml),
// human documentation at /docs, health and readiness probes, and
// Prometheus metrics at /metrics.
//
// Every operation is a Go function over input and output structs whose tags
// are the contract. Authentication is a bearer API key or the portal's
// session cookie (with a CSRF header for writes); operations declare which
// in their OpenAPI security requirements and the middleware in auth.go
// enforces it. Errors are RFC 9457 problem+json; domain errors
// (tenants.Error) map to 4xx with the field they concern, and internal
// errors are logged and answered with a bare 500.
//
// Each resource (lists, contacts, imports, campaigns, calls, …) has a file
// of its own: its request and response types, a register function listing
// its operations in a table (operations.go), and a handler method on
// *Server for each operation. New calls the register functions. Handlers
// share the paging of lists (page.go), the answer with one thing's body
// (reply.go) and the plumbing of file downloads (files.go).
package api
