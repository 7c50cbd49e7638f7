package calls

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// Endpoints are the HTTPS services a tenant lets its dialog scripts call
// mid-call (a state's `http`: a live balance, an order's status, a promise
// to pay posted back). A script names an endpoint; its URL and signing
// secret stay here, with the tenant. Requests go out like webhooks: never
// to loopback, private or metadata addresses (checked when the endpoint is
// registered and again at connect time), no redirects followed, and each
// one signed, so the tenant's service knows it is outcall calling.
//
// The signature is the webhooks' Outcall-Signature header (t=…,v1=…, an
// HMAC-SHA256 with the endpoint's secret) over the request's method, path
// and body: "GET /accounts/42/balance\n" followed by the body (empty for
// GET); webhooks.Verify checks it over the same bytes.
type Endpoints struct {
	DB *tenants.DB
	// Client makes the requests: webhooks.NewHTTPClient(AllowPrivate).
	Client *http.Client
	// AllowPrivate lets endpoints use plain http and loopback or private
	// addresses (local development and tests only).
	AllowPrivate bool
	// Now is the signing clock (nil: time.Now).
	Now func() time.Time
}

// Endpoint is one of a tenant's registered endpoints.
type Endpoint struct {
	ID          uuid.UUID
	Name        string
	URL         string
	Description string
	CreatedAt   time.Time
}

// EndpointInput registers an endpoint.
type EndpointInput struct {
	Name        string
	URL         string
	Description string
}

// RequestHeader names the header that carries the endpoint's name, so one
// service can serve several endpoints.
const RequestHeader = "Outcall-Endpoint"

const endpointCols = `id, name, url, description, created_at`

func scanScriptEndpoint(row pgx.Row) (*Endpoint, error) {
	e := &Endpoint{}
	if err := row.Scan(&e.ID, &e.Name, &e.URL, &e.Description, &e.CreatedAt); err != nil {
		return nil, tenants.NotFound(err, "script endpoint not found")
	}
	return e, nil
}

func (e *Endpoints) checkInput(ctx context.Context, in EndpointInput) error {
	if !scripting.ValidEndpointName(in.Name) {
		return tenants.Errorf(tenants.EInvalid, "name %q: an endpoint's name is what scripts call it by: lower-case letters, digits and _, starting with a letter, at most 40", in.Name)
	}
	u, err := url.Parse(in.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(e.AllowPrivate && u.Scheme == "http")) {
		return tenants.Errorf(tenants.EInvalid, "url %q: an endpoint must be an https URL", in.URL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return tenants.Errorf(tenants.EInvalid, "url %q: an endpoint is a base URL without query or fragment (a script's path and query are appended to it)", in.URL)
	}
	if err := webhooks.CheckURL(ctx, in.URL, e.AllowPrivate); err != nil {
		return tenants.Errorf(tenants.EInvalid, "url: %v", err)
	}
	if len(in.Description) > 500 {
		return tenants.Errorf(tenants.EInvalid, "description: at most 500 characters")
	}
	return nil
}

func newEndpointSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "epsec_" + hex.EncodeToString(b)
}

// Create registers an endpoint and returns it with its signing secret,
// which is shown only now.
func (e *Endpoints) Create(ctx context.Context, p tenants.Principal, in EndpointInput) (*Endpoint, string, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, "", err
	}
	in.Name, in.URL = strings.TrimSpace(in.Name), strings.TrimSpace(in.URL)
	if err := e.checkInput(ctx, in); err != nil {
		return nil, "", err
	}
	secret := newEndpointSecret()
	ep, err := tenants.QueryOne(ctx, e.DB, p.TenantID, scanScriptEndpoint, `INSERT INTO script_endpoints (tenant_id, id, name, url, description, secret)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+endpointCols, p.TenantID, uuid.New(), in.Name, in.URL, in.Description, secret)
	if isUniqueViolation(err) {
		return nil, "", tenants.Errorf(tenants.EConflict, "an endpoint named %q exists: delete it first, or choose another name", in.Name)
	}
	if err != nil {
		return nil, "", err
	}
	return ep, secret, nil
}

// List returns the tenant's endpoints by name.
func (e *Endpoints) List(ctx context.Context, p tenants.Principal) ([]Endpoint, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	return tenants.QueryAll(ctx, e.DB, p.TenantID, scanScriptEndpoint, `SELECT `+endpointCols+` FROM script_endpoints WHERE tenant_id = $1 ORDER BY name`, p.TenantID)
}

// Delete removes an endpoint: scripts that name it get a failed request.
func (e *Endpoints) Delete(ctx context.Context, p tenants.Principal, id uuid.UUID) error {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return err
	}
	return e.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		ct, err := tx.Exec(ctx, `DELETE FROM script_endpoints WHERE tenant_id = $1 AND id = $2`, p.TenantID, id)
		if err == nil && ct.RowsAffected() == 0 {
			return tenants.Errorf(tenants.ENotFound, "script endpoint not found")
		}
		return err
	})
}

// RotateSecret gives an endpoint a new signing secret, returned only now;
// the old one stops signing at once.
func (e *Endpoints) RotateSecret(ctx context.Context, p tenants.Principal, id uuid.UUID) (*Endpoint, string, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, "", err
	}
	secret := newEndpointSecret()
	ep, err := tenants.QueryOne(ctx, e.DB, p.TenantID, scanScriptEndpoint, `UPDATE script_endpoints SET secret = $3
		WHERE tenant_id = $1 AND id = $2 RETURNING `+endpointCols, p.TenantID, id, secret)
	if err != nil {
		return nil, "", err
	}
	return ep, secret, nil
}

// For returns what makes one tenant's scripts' requests; nil when e is.
func (e *Endpoints) For(tenantID uuid.UUID) scripting.Fetcher {
	if e == nil {
		return nil
	}
	return tenantEndpoints{e: e, tenantID: tenantID}
}

type tenantEndpoints struct {
	e        *Endpoints
	tenantID uuid.UUID
}

// Fetch makes one request of a script to the tenant's endpoint it names.
func (f tenantEndpoints) Fetch(ctx context.Context, r *scripting.Request) scripting.Response {
	start := time.Now()
	res := f.e.fetch(ctx, f.tenantID, r)
	res.Latency = scripting.Millis(time.Since(start))
	return res
}

func (e *Endpoints) fetch(ctx context.Context, tenantID uuid.UUID, r *scripting.Request) scripting.Response {
	timeout := min(max(r.Timeout.Duration(), 100*time.Millisecond), scripting.MaxRequestTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var base, secret string
	err := e.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT url, secret FROM script_endpoints WHERE tenant_id = $1 AND name = $2`, tenantID, r.Endpoint).Scan(&base, &secret)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return scripting.Response{Failure: fmt.Sprintf("no endpoint named %q: register it under Integrations", r.Endpoint)}
	}
	if err != nil {
		return scripting.Response{Failure: "the endpoint could not be read: " + failureText(ctx, err)}
	}
	target, err := joinEndpoint(base, r.Path)
	if err != nil {
		return scripting.Response{Failure: err.Error()}
	}
	var body []byte
	if r.Method != http.MethodGet && len(r.Body) > 0 {
		body = r.Body
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, target.String(), bytes.NewReader(body))
	if err != nil {
		return scripting.Response{Failure: err.Error()}
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	req.Header.Set("User-Agent", "outcall-script/1")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(RequestHeader, r.Endpoint)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(webhooks.SignatureHeader, webhooks.Sign(SignedPayload(r.Method, target.RequestURI(), body), now(), secret))
	client := e.Client
	if client == nil {
		client = webhooks.NewHTTPClient(e.AllowPrivate)
	}
	resp, err := client.Do(req)
	if err != nil {
		return scripting.Response{Failure: failureText(ctx, err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, scripting.MaxResponseBytes+1))
	out := scripting.Response{Status: resp.StatusCode}
	switch {
	case err != nil:
		out.Failure = "the answer broke off: " + failureText(ctx, err)
	case len(data) > scripting.MaxResponseBytes:
		out.Failure = fmt.Sprintf("the answer is larger than %d KiB", scripting.MaxResponseBytes>>10)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		out.Failure = fmt.Sprintf("status %d", resp.StatusCode)
	}
	switch {
	case len(bytes.TrimSpace(data)) == 0 || len(data) > scripting.MaxResponseBytes:
	case json.Valid(data):
		out.Data = json.RawMessage(data)
	case utf8.Valid(data):
		out.Data, _ = json.Marshal(string(data))
	case out.Failure == "":
		out.Failure = "the answer is neither JSON nor text"
	}
	return out
}

// SignedPayload is what an endpoint request's signature covers: the
// method, the path with its query, a newline, and the body.
func SignedPayload(method, requestURI string, body []byte) []byte {
	return append([]byte(method+" "+requestURI+"\n"), body...)
}

// joinEndpoint appends a script's path (and query) to an endpoint's base
// URL; the result must stay under the base.
func joinEndpoint(base, path string) (*url.URL, error) {
	b, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("the endpoint's URL does not parse: %v", err)
	}
	p, err := url.Parse(path)
	if err != nil || p.Scheme != "" || p.Host != "" || p.User != nil || (p.Path != "" && !strings.HasPrefix(p.Path, "/")) {
		return nil, fmt.Errorf("path %q is not a path", path)
	}
	// The engine refuses such paths already; a script host is not trusted
	// to have.
	for _, seg := range strings.Split(p.Path, "/") {
		if seg == ".." || seg == "." {
			return nil, fmt.Errorf("path %q leaves the endpoint", path)
		}
	}
	u := *b
	u.Path = strings.TrimSuffix(b.Path, "/") + p.Path
	u.RawPath = ""
	if p.RawPath != "" {
		u.RawPath = strings.TrimSuffix(b.EscapedPath(), "/") + p.RawPath
	}
	u.RawQuery = p.RawQuery
	if u.Host != b.Host || !strings.HasPrefix(u.Path, strings.TrimSuffix(b.Path, "/")) {
		return nil, fmt.Errorf("path %q leaves the endpoint", path)
	}
	return &u, nil
}

// failureText says why a request failed in words for the call's record,
// without the URL (which may carry an account number).
func failureText(ctx context.Context, err error) string {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, webhooks.ErrForbiddenAddress):
		return "refused: " + webhooks.ErrForbiddenAddress.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
