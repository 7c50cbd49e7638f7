package api_test

// The hostile-tenant suite. Tenant A, at every role, walks every operation
// of the served OpenAPI document five ways: against tenant B's real
// resources, below the role or scope the operation needs, with bad
// credentials, with malformed and oversized bodies, and with malformed
// path and query parameters. Every answer is
// checked for what must hold everywhere: no 5xx, every error a
// problem+json, nothing of tenant B beyond what the request itself sent.
//
// The list of operations comes from the running API, so a new operation
// is walked without anyone adding it here; what the suite must be told
// about it (its minimum role, a valid body, a fixture for a new kind of
// path parameter) it asks for by failing until it is told.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/api"
	"github.com/outcall/outcall/billing"
	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// minimumRoles is the role each authenticated operation needs, as its
// service enforces it (tenants.Principal.Require) and, where the
// description says so ("Needs the admin role"), as the document promises;
// the suite checks the two agree. An authenticated operation missing here
// fails TestHostileTenant until it is added.
var minimumRoles = byRole(map[tenants.Role][]string{
	// Anyone of the tenant.
	tenants.RoleViewer: {
		"list-notices", "list-webhook-event-types", "list-users", "get-user", "get-billing", "get-usage",
		"search-calls", "get-call", "get-call-recording",
		"list-campaigns", "get-campaign", "list-campaign-calls", "campaign-counts", "get-compliance",
		"list-contacts", "get-contact", "list-dnc", "get-import", "get-import-errors", "list-lists", "get-list", "list-list-contacts",
		"report-ab", "export-report-ab", "export-calls", "report-funnel", "export-report-funnel", "report-outcomes", "export-report-outcomes",
		"report-sentiment", "export-report-sentiment", "report-time", "export-report-time", "report-topics", "export-report-topics",
		"export-turns", "get-report-settings",
		"list-scripts", "check-script", "get-script", "list-script-versions", "get-script-version", "simulate-script-version", "preview-segments",
		"get-speech", "list-trunks", "get-trunk", "list-webhook-endpoints", "get-webhook-endpoint", "list-webhook-deliveries",
		"get-sms-settings", "list-messages", "get-message", "report-follow-ups", "export-report-follow-ups",
		"list-queues", "get-queue", "list-caller-ids", "report-list-hygiene", "export-report-list-hygiene",
		"list-script-endpoints",
	},
	// Everyone may take calls at the agent desk, agents included: signed in
	// people only (API keys are refused whatever their role).
	tenants.RoleAgent: {
		"get-me", "logout", "resend-email-verification",
		"get-desk", "set-desk-status", "wait-desk-offer", "answer-desk-offer", "decline-desk-offer", "hangup-desk-offer",
	},
	// Operators run campaigns and keep the contacts.
	tenants.RoleOperator: {
		"review-call", "create-campaign", "start-campaign", "pause-campaign", "resume-campaign", "cancel-campaign",
		"record-consent", "withdraw-consent", "upsert-contact", "delete-contact", "add-dnc", "import-dnc",
		"create-list", "delete-list", "create-import", "create-script", "create-script-version",
		"get-desk-live", "listen-desk-call",
	},
	// Admins hold the keys, the people, the settings and the audit trail.
	tenants.RoleAdmin: {
		"list-api-keys", "create-api-key", "revoke-api-key", "audit-number", "set-compliance", "remove-dnc",
		"rebuild-reports", "set-report-settings", "publish-script-version", "set-speech", "set-sms-settings",
		"create-trunk", "update-trunk", "delete-trunk", "check-trunk", "add-user", "change-user-role", "remove-user",
		"create-webhook-endpoint", "update-webhook-endpoint", "delete-webhook-endpoint", "rotate-webhook-secret",
		"test-webhook-endpoint", "redeliver-webhook", "create-queue", "update-queue", "delete-queue",
		"rest-caller-id", "wake-caller-id", "create-script-endpoint", "rotate-script-endpoint-secret", "delete-script-endpoint",
	},
	// The owner pays.
	tenants.RoleOwner: {"set-budget", "create-checkout-session", "create-portal-session"},
})

// byRole turns lists of operations by role into each operation's role.
func byRole(lists map[tenants.Role][]string) map[string]tenants.Role {
	out := map[string]tenants.Role{}
	for role, ids := range lists {
		for _, id := range ids {
			if _, dup := out[id]; dup {
				panic("minimumRoles lists " + id + " twice")
			}
			out[id] = role
		}
	}
	return out
}

// unlimitedBodies are operations known to take a body without a size
// limit, each with why it is listed. huma sets its default limit (1 MiB)
// only for inputs with a Body field; an input that takes a RawBody alone
// gets none unless the operation sets MaxBodyBytes. The suite fails when
// an operation without a limit is not listed here, or one listed gains a
// limit (then delete its line).
var unlimitedBodies = map[string]string{}

// notRefs are body fields named like references (…_id, …_ids) that name
// no resource of a tenant.
var notRefs = map[string]string{
	"caller_ids":    "a trunk's caller IDs are phone numbers",
	"access_key_id": "an SMS provider's access key id is the provider's, not a resource of outcall",
	"app_id":        "an SMS provider's application id is the provider's, not a resource of outcall",
}

// needsRole reads the role an operation's description promises.
var needsRole = regexp.MustCompile(`Needs the (owner|admin|operator|viewer) role`)

// pathParam finds the parameters in an operation's path.
var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// hostileOp is what the suite reads of one operation of the served document.
type hostileOp struct {
	ID, Method, Path, Description string
	// Authenticated is true when the operation has a security requirement;
	// Scope is the API-key scope it names ("" for none).
	Authenticated bool
	Scope         string
	PathParams    []string
	// QueryRefs are query parameters that name something of the tenant
	// (…_id, phone): filters a foreign value must not reach through.
	QueryRefs []string
	// Query are all its query parameters.
	Query []string
	// Headers are required header parameters, each sent with a placeholder
	// so a request fails for the reason the suite is testing.
	Headers []string
	Body    *hostileBody
}

// hostileBody is an operation's request body.
type hostileBody struct {
	ContentType string
	Required    bool
	Schema      map[string]any // resolved: no $ref at the top
	// MaxBytes is huma's limit for the operation (Operation.MaxBodyBytes),
	// which the document does not carry; 0: none.
	MaxBytes int64
	// RefFields are the paths of the body's fields that name a resource
	// (…_id, …_ids), nested objects included.
	RefFields [][]string
}

// csvFile is a request body sent as text/csv.
type csvFile string

// caller is one of tenant A's principals.
type caller struct {
	name string
	role tenants.Role
	key  string // an API key, or "" for a portal session
	// email and password log a session in, again after a walk logs it out.
	email, password string
	session         []string
}

// hostileTenant is one tenant with one of each resource an operation can
// name.
type hostileTenant struct {
	tenant
	tag string
	// numbers is the start of the tenant's national numbers (see
	// seedHostileTenant).
	numbers string
	// params are path parameter values naming this tenant's resources.
	params map[string]string
	// refs are values for body fields and query parameters that name this
	// tenant's resources (list_id, script_id, campaign_id, phone).
	refs map[string]string
	// secrets are what no other tenant may ever see: each shown string with
	// the string whose presence in a request excuses it (a number sent is
	// echoed, masked for viewers).
	secrets                                    []secret
	viewerKey, operatorKey                     string
	viewerEmail, viewerPassword, invitedUserID string
}

type secret struct{ shown, origin string }

// hostileRun sends the suite's requests and keeps count.
type hostileRun struct {
	h       *harness
	secrets []secret // tenant B's
	// stored are B's values that A has put into its own resources (a
	// reference a write accepted): A's answers may show them from then on.
	stored   map[string]bool
	requests int
	byStatus map[int]int
	byPhase  map[string]int
	// exercised records which operations each phase reached.
	exercised map[string]map[string]bool
}

// hostileRequest is one request of the walk.
type hostileRequest struct {
	phase, op    string
	method, path string
	body         []byte
	contentType  string
	chunked      bool
	headers      []string
}

const (
	phaseCross     = "cross-tenant"
	phaseRole      = "lower role"
	phaseCreds     = "bad credentials"
	phaseMalformed = "malformed bodies"
	phaseParams    = "malformed parameters"
)

// TestHostileTenant is the hostile-tenant suite; see the top of this file.
func TestHostileTenant(t *testing.T) {
	h, recordings := newHostileHarness(t)
	a := h.seedHostileTenant(recordings, "Tenant Alpha", "owner@alpha.example", "Alpha", "139111100")
	b := h.seedHostileTenant(recordings, "Tenant Bravo", "owner@bravo.example", "Bravo", "138222200")
	ops := readHostileOps(t, h)
	bodies := a.validBodies()

	// What the suite must know of each operation, asked for up front.
	for _, op := range ops {
		if op.Authenticated {
			role, ok := minimumRoles[op.ID]
			if !ok {
				t.Fatalf("%s %s: add its minimum role to minimumRoles in this file", op.Method, op.Path)
			}
			if m := needsRole.FindStringSubmatch(op.Description); m != nil && tenants.Role(m[1]) != role {
				t.Errorf("%s: its description says it needs the %s role, minimumRoles says %s", op.ID, m[1], role)
			}
		}
		for _, p := range op.PathParams {
			if a.params[p] == "" || b.params[p] == "" {
				t.Fatalf("%s: no fixture for path parameter %q; add one to seedHostileTenant", op.ID, p)
			}
		}
		for _, q := range op.QueryRefs {
			if b.refs[q] == "" {
				t.Fatalf("%s: no fixture for query parameter %q; add one to seedHostileTenant's refs", op.ID, q)
			}
		}
		if op.Body == nil {
			continue
		}
		if _, ok := bodies[op.ID]; !ok {
			t.Fatalf("%s: add a valid request body to validBodies in this file", op.ID)
		}
		for _, field := range op.Body.RefFields {
			if b.refs[refName(field)] == "" {
				t.Fatalf("%s: no fixture for body field %s; add one to seedHostileTenant's refs", op.ID, strings.Join(field, "."))
			}
			if _, ok := lookup(bodies[op.ID], field); !ok {
				t.Fatalf("%s: its valid body lacks %s, so a reference to tenant B through it is never tried; add it", op.ID, strings.Join(field, "."))
			}
		}
		_, listed := unlimitedBodies[op.ID]
		if op.Body.MaxBytes <= 0 && !listed {
			t.Errorf("%s takes a body without a size limit: set MaxBodyBytes on the operation", op.ID)
		}
		if op.Body.MaxBytes > 0 && listed {
			t.Errorf("%s now has a body limit: remove it from unlimitedBodies", op.ID)
		}
	}
	for id := range minimumRoles {
		if !slices.ContainsFunc(ops, func(op hostileOp) bool { return op.ID == id && op.Authenticated }) {
			t.Errorf("minimumRoles names %s, which is no authenticated operation of the document", id)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	w := &hostileRun{h: h, secrets: b.secrets, stored: map[string]bool{}, byStatus: map[int]int{}, byPhase: map[string]int{}, exercised: map[string]map[string]bool{}}
	owner := &caller{name: "owner session", role: tenants.RoleOwner, email: a.Email, password: a.Password}
	admin := &caller{name: "admin key", role: tenants.RoleAdmin, key: a.Key}
	operator := &caller{name: "operator key", role: tenants.RoleOperator, key: a.operatorKey}
	viewer := &caller{name: "viewer key", role: tenants.RoleViewer, key: a.viewerKey}
	viewerSession := &caller{name: "viewer session", role: tenants.RoleViewer, email: a.viewerEmail, password: a.viewerPassword}
	callers := []*caller{owner, admin, operator, viewer, viewerSession}

	t.Run(phaseCross, func(t *testing.T) {
		for _, op := range ops {
			if op.Authenticated {
				t.Run(op.ID, func(t *testing.T) { w.crossTenant(t, op, a, b, bodies[op.ID], callers) })
			}
		}
	})
	t.Run(phaseRole, func(t *testing.T) {
		scoped := map[string]*caller{}
		for _, scope := range []string{"account:read", "contacts:read"} {
			r := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "only " + scope, "role": "admin", "scopes": []string{scope}}, bearer(a.Key)...)
			if r.Status != http.StatusCreated {
				t.Fatalf("a key with the scope %s: %d %s", scope, r.Status, r.Raw)
			}
			scoped[scope] = &caller{name: "admin key with only " + scope, role: tenants.RoleAdmin, key: r.str("secret")}
		}
		for _, op := range ops {
			if op.Authenticated {
				t.Run(op.ID, func(t *testing.T) { w.lowerRole(t, op, a, bodies[op.ID], callers, scoped) })
			}
		}
	})
	t.Run(phaseMalformed, func(t *testing.T) {
		for _, op := range ops {
			if op.Body != nil {
				t.Run(op.ID, func(t *testing.T) { w.malformed(t, op, a, bodies[op.ID], owner) })
			}
		}
	})
	t.Run(phaseParams, func(t *testing.T) {
		for _, op := range ops {
			if len(op.PathParams) > 0 || len(op.Query) > 0 {
				t.Run(op.ID, func(t *testing.T) { w.malformedParams(t, op, a, bodies[op.ID], owner) })
			}
		}
	})
	t.Run(phaseCreds, func(t *testing.T) {
		bad := w.badCredentials(t, a)
		for _, op := range ops {
			t.Run(op.ID, func(t *testing.T) {
				path := fillPath(op.Path, a.params)
				body, ct := payload(bodies[op.ID])
				if !op.Authenticated {
					// A public operation answers whatever credential comes with it.
					for _, headers := range [][]string{nil, bearer("oc_garbage")} {
						r := w.send(t, hostileRequest{phase: phaseCreds, op: op.ID, method: op.Method, path: path, body: body, contentType: ct, headers: headers})
						if r.Status == http.StatusUnauthorized {
							t.Errorf("the public %s answered 401: %s", op.ID, r.Raw)
						}
					}
					return
				}
				for _, c := range bad {
					r := w.send(t, hostileRequest{phase: phaseCreds, op: op.ID, method: op.Method, path: path, body: body, contentType: ct, headers: c.headers})
					if r.Status != http.StatusUnauthorized {
						t.Errorf("%s with %s: %d, want 401: %s", op.ID, c.name, r.Status, short(r.Raw))
					}
				}
			})
		}
	})

	// Tenant B's things are as B left them, whatever A tried.
	t.Run("tenant B is untouched", func(t *testing.T) { b.untouched(t, h) })

	// Every operation was reached by every phase that applies to it.
	for _, op := range ops {
		need := []string{phaseCreds}
		if op.Authenticated {
			need = append(need, phaseCross, phaseRole)
		}
		if op.Body != nil {
			need = append(need, phaseMalformed)
		}
		if len(op.PathParams) > 0 || len(op.Query) > 0 {
			need = append(need, phaseParams)
		}
		for _, phase := range need {
			if !w.exercised[phase][op.ID] {
				t.Errorf("%s was not exercised by the %s phase", op.ID, phase)
			}
		}
	}
	statuses := make([]int, 0, len(w.byStatus))
	for s := range w.byStatus {
		statuses = append(statuses, s)
	}
	sort.Ints(statuses)
	var counts []string
	for _, s := range statuses {
		counts = append(counts, fmt.Sprintf("%d×%d", s, w.byStatus[s]))
	}
	t.Logf("hostile-tenant suite: %d operations walked, %d requests (%s: %d, %s: %d, %s: %d, %s: %d, %s: %d); by status: %s",
		len(ops), w.requests, phaseCross, w.byPhase[phaseCross], phaseRole, w.byPhase[phaseRole], phaseMalformed, w.byPhase[phaseMalformed],
		phaseParams, w.byPhase[phaseParams], phaseCreds, w.byPhase[phaseCreds], strings.Join(counts, " "))
}

// crossTenant calls op as each of A's callers with B's resources wherever
// the request can name one: in the path, in a body field, in a query
// filter. Each such request is sent twice, once with B's values and once
// with random ones (ids no tenant has, a number no tenant holds): the two
// answers must be the same, so A learns nothing, not even that B's
// resource exists.
func (w *hostileRun) crossTenant(t *testing.T, op hostileOp, a, b hostileTenant, body any, callers []*caller) {
	need := minimumRoles[op.ID]
	random := map[string]string{}
	for k, v := range b.params {
		random[k] = uuid.NewString()
		if strings.HasPrefix(v, "+") {
			random[k] = "+8613700000099"
		} else if _, err := uuid.Parse(v); err != nil {
			random[k] = v // a version number: the script in the path is what is foreign
		}
	}
	randomRefs := map[string]string{}
	for k, v := range b.refs {
		randomRefs[k] = uuid.NewString()
		if strings.HasPrefix(v, "+") {
			randomRefs[k] = "+8613700000098"
		}
	}
	// pair sends a request naming B's values and its twin naming random
	// ones, and checks the twins answer alike.
	pair := func(c *caller, path, randomPath string, data, randomData []byte, ct string, foreign, randomValues []string) response {
		t.Helper()
		rb := w.send(t, hostileRequest{phase: phaseCross, op: op.ID, method: op.Method, path: path, body: data, contentType: ct, headers: w.headers(t, c)})
		w.afterLogout(op, c, rb)
		rr := w.send(t, hostileRequest{phase: phaseCross, op: op.ID, method: op.Method, path: randomPath, body: randomData, contentType: ct, headers: w.headers(t, c)})
		w.afterLogout(op, c, rr)
		// Errors and reads must read alike (a report filtered by B's
		// campaign counts nothing, as one filtered by no campaign does); a
		// write taken (a reference kept) answers with ids and times of its
		// own, so only its status is compared.
		compare := rb.Status >= 300 || op.Method == http.MethodGet
		if rb.Status != rr.Status || (compare && normalise(rb.Raw, foreign) != normalise(rr.Raw, randomValues)) {
			t.Errorf("%s as A's %s tells B's resource from a random one:\n  B's:    %d %s\n  random: %d %s", op.ID, c.name, rb.Status, short(rb.Raw), rr.Status, short(rr.Raw))
		}
		return rb
	}
	for _, c := range callers {
		data, ct := payload(body)
		if len(op.PathParams) > 0 {
			var foreign, randomValues []string
			for _, p := range op.PathParams {
				foreign, randomValues = append(foreign, b.params[p]), append(randomValues, random[p])
			}
			r := pair(c, fillPath(op.Path, b.params), fillPath(op.Path, random), data, data, ct, foreign, randomValues)
			switch {
			case r.Status == http.StatusNotFound:
			case r.Status == http.StatusForbidden && !c.role.AtLeast(need):
				// Refused for the caller's role before anything is looked up.
			case r.Status == http.StatusForbidden && c.key != "" && op.Scope == "desk:use":
				// The desk refuses keys before anything is looked up.
			case strings.Contains(op.Path, "{phone}") && op.Method == http.MethodGet && r.Status < 300:
				// A number is no tenant's resource: any tenant may hold the
				// same one. A's view of it must be A's own (nothing of B's
				// trail shows: checked in send, and the twin answered alike).
			default:
				t.Errorf("%s %s as A's %s with B's resources: %d, want 404: %s", op.Method, op.Path, c.name, r.Status, short(r.Raw))
			}
		} else {
			// Nothing in the path: A's own answer, with nothing of B's in it
			// (checked in send).
			r := w.send(t, hostileRequest{phase: phaseCross, op: op.ID, method: op.Method, path: op.Path, body: data, contentType: ct, headers: w.headers(t, c)})
			w.afterLogout(op, c, r)
		}
		own := fillPath(op.Path, a.params)
		if op.Body != nil {
			for _, field := range op.Body.RefFields {
				name := refName(field)
				foreign, _ := payload(with(body, field, b.refs[name]))
				randomBody, _ := payload(with(body, field, randomRefs[name]))
				// A reference may be refused at once or kept and checked where
				// it is used (a campaign's segmentation rules are, at start:
				// TestCampaignsNamingBadSegmentationRulesAreRefusedAndStayDrafts);
				// either way B's id and a random one are answered alike.
				pair(c, own, own, foreign, randomBody, ct, []string{b.refs[name]}, []string{randomRefs[name]})
			}
		}
		for _, q := range op.QueryRefs {
			sep := "?"
			if strings.Contains(own, "?") {
				sep = "&"
			}
			pair(c, own+sep+q+"="+url.QueryEscape(b.refs[q]), own+sep+q+"="+url.QueryEscape(randomRefs[q]), data, data, ct,
				[]string{b.refs[q]}, []string{randomRefs[q]})
		}
	}
}

// lowerRole calls op on A's own resources with a valid body as each of A's
// callers whose role is below the operation's, expecting 403; as a key
// without the operation's scope, expecting 403 naming the scope; and, for a
// read, at exactly its role, expecting an answer.
func (w *hostileRun) lowerRole(t *testing.T, op hostileOp, a hostileTenant, body any, callers []*caller, scoped map[string]*caller) {
	need := minimumRoles[op.ID]
	path := fillPath(op.Path, a.params)
	data, ct := payload(body)
	for _, c := range callers {
		if c.role.AtLeast(need) {
			continue
		}
		r := w.send(t, hostileRequest{phase: phaseRole, op: op.ID, method: op.Method, path: path, body: data, contentType: ct, headers: w.headers(t, c)})
		if r.Status != http.StatusForbidden {
			t.Errorf("%s as A's %s (the operation needs %s): %d, want 403: %s", op.ID, c.name, need, r.Status, short(r.Raw))
		}
	}
	if op.Scope != "" {
		c := scoped["account:read"]
		if op.Scope == "account:read" {
			c = scoped["contacts:read"]
		}
		r := w.send(t, hostileRequest{phase: phaseRole, op: op.ID, method: op.Method, path: path, body: data, contentType: ct, headers: w.headers(t, c)})
		if r.Status != http.StatusForbidden || !strings.Contains(r.str("detail"), op.Scope) {
			t.Errorf("%s as an %s (it needs %s): %d, want 403 naming the scope: %s", op.ID, c.name, op.Scope, r.Status, short(r.Raw))
		}
	}
	if op.Method == http.MethodGet {
		// The table is no stricter than the service: at its role a read answers.
		var at *caller
		for _, c := range callers {
			if c.role == need && c.key != "" {
				at = c
			}
		}
		if need == tenants.RoleOwner {
			at = callers[0]
		}
		if need == tenants.RoleAgent {
			// The desk is for people signed in: the weakest session reads it.
			for _, c := range callers {
				if c.key == "" && (at == nil || at.key != "" || !c.role.AtLeast(at.role)) {
					at = c
				}
			}
		}
		r := w.send(t, hostileRequest{phase: phaseRole, op: op.ID, method: op.Method, path: path, headers: w.headers(t, at)})
		if r.Status >= 300 {
			t.Errorf("%s as A's %s, the role it needs: %d, want an answer: %s", op.ID, at.name, r.Status, short(r.Raw))
		}
	}
	w.mark(phaseRole, op.ID) // an operation open to viewers may have nothing lower to try
}

// malformed sends op bodies that are broken in each way a client can break
// one, as A's owner on A's own resources.
func (w *hostileRun) malformed(t *testing.T, op hostileOp, a hostileTenant, body any, owner *caller) {
	path := fillPath(op.Path, a.params)
	var headers []string
	if op.Authenticated {
		headers = w.headers(t, owner)
	}
	for _, name := range op.Headers {
		headers = append(headers, name, "hostile")
	}
	limit := op.Body.MaxBytes
	if limit <= 0 {
		limit = 1 << 20 // huma's default, for an operation that lacks any (unlimitedBodies)
	}
	type variant struct {
		name        string
		data        []byte
		contentType string
		chunked     bool
		extra       []string
		want        []int    // acceptable statuses
		names       []string // body fields the problem must name
	}
	var vs []variant
	if op.Body.ContentType == "text/csv" {
		vs = []variant{
			{name: "a binary file", data: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff"), want: []int{400, 422}},
			{name: "a JSON array instead of a file", data: []byte(`[{"phone":"13911110009"}]`), want: []int{400, 422}},
			{name: "a file without a phone column", data: []byte("name,city\nAlpha,上海\n"), want: []int{400, 422}},
			{name: "an empty file", data: []byte{}, want: []int{400, 422}},
		}
		for i := range vs {
			vs[i].contentType = "text/csv"
		}
	} else {
		base, _ := payload(body)
		props, _ := op.Body.Schema["properties"].(map[string]any)
		wrong := map[string]any{}
		var wrongNames []string
		for name, p := range props {
			if ps, _ := p.(map[string]any); ps != nil && ps["readOnly"] != true {
				if v := wrongValue(ps); v != nil {
					wrong[name] = v
					wrongNames = append(wrongNames, "body."+name)
				}
			}
		}
		sort.Strings(wrongNames)
		// A body huma validates (a closed object schema) is refused with 422
		// naming each field at fault; one it does not (a raw body) is
		// refused for what its handler finds.
		wrongWant, wrongFields, unknownWant, unknownFields := []int{400, 422}, []string(nil), []int{400, 422}, []string(nil)
		if op.Body.Schema["additionalProperties"] == false {
			wrongWant, wrongFields, unknownWant, unknownFields = []int{422}, wrongNames, []int{422}, []string{"body.hostile_field"}
		}
		wrongBody, _ := json.Marshal(wrong)
		if len(wrong) == 0 {
			wrongBody = []byte(`42`) // no fields to get wrong: the body itself is of the wrong type
		}
		var unknown []byte
		if m, ok := body.(map[string]any); ok {
			extra := map[string]any{"hostile_field": true}
			for k, v := range m {
				extra[k] = v
			}
			unknown, _ = json.Marshal(extra)
		} else {
			unknown = []byte(`{"hostile_field":true}`)
		}
		nulBody, _ := json.Marshal(withNUL(body))
		over := oversized(limit)
		vs = []variant{
			{name: "a NUL character in every text field", data: nulBody, want: []int{200, 201, 202, 204, 400, 404, 409, 422}},
			{name: "invalid JSON", data: []byte(`{"name": "unterminated`), want: []int{400, 422}},
			{name: "a JSON array instead of an object", data: append(append([]byte("["), base...), ']'), want: []int{400, 422}},
			{name: "fields of the wrong types", data: wrongBody, want: wrongWant, names: wrongFields},
			{name: "an unknown field", data: unknown, want: unknownWant, names: unknownFields},
			{name: "a form instead of JSON", data: []byte("name=x&phone=13911110009"), contentType: "application/x-www-form-urlencoded", want: []int{400, 415, 422}},
			{name: "a body one byte over the limit", data: over, want: []int{413}},
			{name: "a body one byte over the limit, chunked", data: over, chunked: true, want: []int{413}},
		}
		if op.Authenticated && op.Method == http.MethodPost {
			vs = append(vs, variant{name: "a body one byte over the limit with an Idempotency-Key", data: over, extra: []string{"Idempotency-Key", "hostile-" + op.ID}, want: []int{413}})
		}
		if _, unlimited := unlimitedBodies[op.ID]; unlimited {
			// No limit: the oversized bodies are refused for what they say.
			for i := range vs {
				if slices.Equal(vs[i].want, []int{413}) {
					vs[i].want = []int{400, 413, 422}
				}
			}
		}
		for i := range vs {
			if vs[i].contentType == "" {
				vs[i].contentType = "application/json"
			}
		}
	}
	if op.Body.Required {
		vs = append(vs, variant{name: "no body", want: []int{400, 422}})
	}
	for _, v := range vs {
		r := w.send(t, hostileRequest{phase: phaseMalformed, op: op.ID, method: op.Method, path: path, body: v.data, contentType: v.contentType,
			chunked: v.chunked, headers: append(slices.Clone(headers), v.extra...)})
		if !slices.Contains(v.want, r.Status) {
			t.Errorf("%s with %s: %d, want one of %v: %s", op.ID, v.name, r.Status, v.want, short(r.Raw))
			continue
		}
		if says := problemText(r); r.Status >= 400 && says == "" {
			t.Errorf("%s with %s: the problem does not say what was wrong: %s", op.ID, v.name, short(r.Raw))
		}
		for _, name := range v.names {
			if !strings.Contains(r.Raw, `"location":"`+name+`"`) {
				t.Errorf("%s with %s: the problem does not name %s: %s", op.ID, v.name, name, short(r.Raw))
			}
		}
	}
	// Bodies the client never finishes, written by hand: the framing is
	// what is broken.
	raw := hostileRequest{phase: phaseMalformed, op: op.ID, method: op.Method, path: path, contentType: op.Body.ContentType, headers: headers}
	for _, v := range []struct{ name, framing, body string }{
		{"a chunked body with a broken chunk size", "Transfer-Encoding: chunked", "zz\r\n{}\r\n0\r\n\r\n"},
		{"a chunked body cut short", "Transfer-Encoding: chunked", "40\r\n{\"name\": \"cut"},
		{"a body shorter than its Content-Length", "Content-Length: 100", `{"name": "cut`},
	} {
		if r := w.sendRaw(t, raw, v.framing, v.body); r.Status != http.StatusBadRequest || problemText(r) == "" {
			t.Errorf("%s with %s: %d, want 400 saying why: %s", op.ID, v.name, r.Status, short(r.Raw))
		}
	}
	if op.Body.ContentType == "text/csv" {
		// Over the limit, declared: refused from the Content-Length alone,
		// before a byte of a file that large is read.
		r := w.sendRaw(t, raw, fmt.Sprintf("Content-Length: %d", op.Body.MaxBytes+1), "phone\n13911110009\n")
		if r.Status != http.StatusRequestEntityTooLarge || problemText(r) == "" {
			t.Errorf("%s with a file declared one byte over the limit: %d, want 413 saying why: %s", op.ID, r.Status, short(r.Raw))
		}
	}
	// An empty body where one is optional may be taken as "nothing to
	// change"; whatever it answers, it answers within the rules (send).
	if !op.Body.Required {
		w.send(t, hostileRequest{phase: phaseMalformed, op: op.ID, method: op.Method, path: path, headers: headers})
	}
}

// garbage are values no path or query parameter means: not an id, far too
// long, negative, a NUL byte, a way out of the path.
var garbage = []string{"not-an-id", strings.Repeat("9", 300), "-1", "\x00", "../../etc/passwd"}

// malformedParams sends op, as A's owner with a valid body, with each path
// and query parameter in turn set to each garbage value: a path parameter
// must be refused (400, 404 or 422); a query parameter may be taken as a
// filter that matches nothing, but never answers 5xx (send).
func (w *hostileRun) malformedParams(t *testing.T, op hostileOp, a hostileTenant, body any, owner *caller) {
	data, ct := payload(body)
	var headers []string
	if op.Authenticated {
		headers = w.headers(t, owner)
	}
	for _, name := range op.Headers {
		headers = append(headers, name, "hostile")
	}
	for _, p := range op.PathParams {
		for _, g := range garbage {
			values := maps.Clone(a.params)
			values[p] = g
			r := w.send(t, hostileRequest{phase: phaseParams, op: op.ID, method: op.Method, path: fillPath(op.Path, values), body: data, contentType: ct, headers: headers})
			if r.Status != http.StatusBadRequest && r.Status != http.StatusNotFound && r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s with %s=%q: %d, want 400, 404 or 422: %s", op.ID, p, g, r.Status, short(r.Raw))
			}
		}
	}
	own := fillPath(op.Path, a.params)
	for _, q := range op.Query {
		for _, g := range garbage {
			w.send(t, hostileRequest{phase: phaseParams, op: op.ID, method: op.Method, path: own + "?" + q + "=" + url.QueryEscape(g), body: data, contentType: ct, headers: headers})
		}
	}
}

// credential is one bad credential.
type credential struct {
	name    string
	headers []string
}

// badCredentials makes the credentials a request must be refused with:
// none, malformed ones, keys that never were, a revoked key, and sessions
// logged out, expired, and of a removed user.
func (w *hostileRun) badCredentials(t *testing.T, a hostileTenant) []credential {
	h := w.h
	revoked := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "to revoke", "role": "admin"}, bearer(a.Key)...)
	if r := h.do(nil, "DELETE", "/v1/api-keys/"+revoked.str("id"), nil, bearer(a.Key)...); revoked.Status != 201 || r.Status != 200 {
		t.Fatalf("revoke a key: %d %d %s", revoked.Status, r.Status, r.Raw)
	}
	loggedOut := login(t, h, a.Email, a.Password)
	if r := h.do(nil, "POST", "/v1/logout", nil, loggedOut...); r.Status != 204 {
		t.Fatalf("log out: %d %s", r.Status, r.Raw)
	}
	expired := login(t, h, a.Email, a.Password)
	conn, err := pgx.Connect(context.Background(), h.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// Expired by the service's clock, the one it checks expiry with (the
	// database's may differ: make test-clocks moves it).
	tag, err := conn.Exec(context.Background(), `UPDATE sessions SET expires_at = $2 WHERE csrf_token = $1`, expired[3], time.Now().Add(-time.Minute))
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("expire a session: %v (%d rows)", err, tag.RowsAffected())
	}
	gone := h.do(nil, "POST", "/v1/users", map[string]any{"email": "leaver@alpha.example", "role": "admin", "password": "leaver-password-1"}, bearer(a.Key)...)
	removed := login(t, h, "leaver@alpha.example", "leaver-password-1")
	if r := h.do(nil, "DELETE", "/v1/users/"+gone.str("user", "id"), nil, bearer(a.Key)...); gone.Status != 201 || r.Status != 204 {
		t.Fatalf("remove a user: %d %d %s", gone.Status, r.Status, r.Raw)
	}
	changed := []byte(a.viewerKey)
	changed[len(changed)-1] ^= 1
	return []credential{
		{"no credentials", nil},
		{"a Basic Authorization header", []string{"Authorization", "Basic dXNlcjpwYXNzd29yZA=="}},
		{"an empty bearer", []string{"Authorization", "Bearer"}},
		{"a key that never was", bearer("oc_" + strings.Repeat("x", 40))},
		{"a key with one character changed", bearer(string(changed))},
		{"a revoked key", bearer(revoked.str("secret"))},
		{"a made-up session cookie", []string{"Cookie", "outcall_session=" + uuid.NewString(), "X-CSRF-Token", "made-up"}},
		{"a logged-out session", loggedOut},
		{"an expired session", expired},
		{"the session of a removed user", removed},
	}
}

// send makes one request and checks what holds for every answer: never a
// 5xx; every error a problem+json with its status and a detail or title;
// nothing of tenant B, in the body or a header, beyond what the request
// itself sent.
func (w *hostileRun) send(t *testing.T, rq hostileRequest) response {
	t.Helper()
	var rd io.Reader
	if rq.body != nil {
		rd = bytes.NewReader(rq.body)
		if rq.chunked {
			rd = struct{ io.Reader }{rd} // no length: sent chunked
		}
	}
	req, err := http.NewRequest(rq.method, w.h.srv.URL+rq.path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rq.body != nil && rq.contentType != "" {
		req.Header.Set("Content-Type", rq.contentType)
	}
	for i := 0; i+1 < len(rq.headers); i += 2 {
		req.Header.Set(rq.headers[i], rq.headers[i+1])
	}
	res, err := w.h.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	json.Unmarshal(raw, &out.Body)
	w.check(t, rq, out)
	return out
}

// sendRaw writes a request by hand, with framing (its Content-Length or
// Transfer-Encoding header) and body as given, half-closes the connection
// (the client has sent all it will) and reads the answer.
func (w *hostileRun) sendRaw(t *testing.T, rq hostileRequest, framing, body string) response {
	t.Helper()
	conn, err := net.Dial("tcp", w.h.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: hostile.example\r\nContent-Type: %s\r\n%s\r\n", rq.method, rq.path, rq.contentType, framing)
	for i := 0; i+1 < len(rq.headers); i += 2 {
		fmt.Fprintf(&head, "%s: %s\r\n", rq.headers[i], rq.headers[i+1])
	}
	head.WriteString("\r\n" + body)
	if _, err := io.WriteString(conn, head.String()); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s with %q: %v", rq.method, rq.path, framing, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	json.Unmarshal(raw, &out.Body)
	rq.body = []byte(body)
	w.check(t, rq, out)
	return out
}

func (w *hostileRun) check(t *testing.T, rq hostileRequest, r response) {
	t.Helper()
	w.requests++
	w.byStatus[r.Status]++
	w.byPhase[rq.phase]++
	w.mark(rq.phase, rq.op)
	what := rq.phase + ": " + rq.method + " " + rq.path
	if r.Status >= 500 {
		t.Errorf("%s answered %d: %s", what, r.Status, short(r.Raw))
	}
	if r.Status >= 400 {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("%s answered %d as %q, not application/problem+json: %s", what, r.Status, ct, short(r.Raw))
		} else if status, _ := r.Body["status"].(float64); int(status) != r.Status || (r.str("detail") == "" && r.str("title") == "") {
			t.Errorf("%s answered %d with a problem lacking its status or a detail: %s", what, r.Status, short(r.Raw))
		}
	}
	sent := rq.path + "\n" + string(rq.body)
	var seen strings.Builder
	seen.WriteString(r.Raw)
	for name, values := range r.Header {
		fmt.Fprintf(&seen, "\n%s: %s", name, strings.Join(values, ", "))
	}
	for _, s := range w.secrets {
		if !strings.Contains(sent, s.origin) && !w.stored[s.origin] && strings.Contains(seen.String(), s.shown) {
			t.Errorf("%s shows %q of tenant B: %s", what, s.shown, short(r.Raw))
		}
	}
	if rq.method != http.MethodGet && r.Status < 300 {
		for _, s := range w.secrets {
			if strings.Contains(sent, s.origin) {
				w.stored[s.origin] = true
			}
		}
	}
}

// mark records that phase reached op.
func (w *hostileRun) mark(phase, op string) {
	if w.exercised[phase] == nil {
		w.exercised[phase] = map[string]bool{}
	}
	w.exercised[phase][op] = true
}

// headers returns c's credentials, logging a session in when it has none.
func (w *hostileRun) headers(t *testing.T, c *caller) []string {
	t.Helper()
	if c.key != "" {
		return bearer(c.key)
	}
	if c.session == nil {
		c.session = login(t, w.h, c.email, c.password)
	}
	return c.session
}

// afterLogout forgets a session the walk has just logged out.
func (w *hostileRun) afterLogout(op hostileOp, c *caller, r response) {
	if op.ID == "logout" && c.key == "" && r.Status < 300 {
		c.session = nil
	}
}

// login returns the headers of a new portal session: its cookie and its
// CSRF token (at index 3).
func login(t *testing.T, h *harness, email, password string) []string {
	t.Helper()
	r := h.do(nil, "POST", "/v1/login", map[string]any{"email": email, "password": password})
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "outcall_session" {
			return []string{"Cookie", "outcall_session=" + c.Value, "X-CSRF-Token", r.str("csrf_token")}
		}
	}
	t.Fatalf("%s cannot log in: %d %s", email, r.Status, r.Raw)
	return nil
}

// upPinger answers every trunk check, as the SIP dialer does for a trunk
// that is up.
type upPinger struct{}

func (upPinger) Ping(context.Context, telephony.Trunk) (telephony.TrunkHealth, error) {
	return telephony.TrunkHealth{Up: true, SIPCode: 200, Reason: "OK", RTT: time.Millisecond}, nil
}

// newHostileHarness is newHarness with the API's optional parts switched
// on (recordings, a trunk pinger, Stripe's webhook secret), so that every operation reaches its
// handler's end rather than a 503 for a part the test left out.
func newHostileHarness(t *testing.T) (*harness, telephony.LocalRecordingStore) {
	t.Helper()
	db, dbURL := dbtest.Open(context.Background(), t)
	svc := tenants.NewService(db)
	scripts := &scripting.Store{DB: db, Runner: testHosts(t)}
	recordings := telephony.LocalRecordingStore{Dir: t.TempDir()}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := api.New(api.Config{Tenants: svc, Logger: quiet, RateLimits: generous,
		Billing:     billing.New(billing.Config{DB: db, Logger: quiet, WebhookSecret: "whsec_hostile_suite"}),
		Webhooks:    &webhooks.Service{DB: db, AllowPrivate: true},
		Scripts:     scripts,
		Campaigns:   campaigns.New(campaigns.Options{DB: db, Segment: calls.SegmentWith(scripts)}),
		Trunks:      mustTrunkStore(t, db),
		TrunkPinger: upPinger{},
		Recordings:  recordings})
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv, api: a, svc: svc, url: dbURL}, recordings
}

// readHostileOps reads every operation of the served OpenAPI document, and
// from huma's own description of the API what the document does not say:
// each operation's body limit. The two must list the same operations.
func readHostileOps(t *testing.T, h *harness) []hostileOp {
	t.Helper()
	type docOp struct {
		OperationID string                `json:"operationId"`
		Description string                `json:"description"`
		Security    []map[string][]string `json:"security"`
		Parameters  []struct {
			Name     string `json:"name"`
			In       string `json:"in"`
			Required bool   `json:"required"`
		} `json:"parameters"`
		RequestBody *struct {
			Required bool `json:"required"`
			Content  map[string]struct {
				Schema map[string]any `json:"schema"`
			} `json:"content"`
		} `json:"requestBody"`
	}
	var doc struct {
		Paths      map[string]map[string]docOp `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	served := h.do(nil, "GET", "/openapi.json", nil)
	if err := json.Unmarshal([]byte(served.Raw), &doc); err != nil || len(doc.Paths) == 0 {
		t.Fatalf("the served OpenAPI document: %d %v", served.Status, err)
	}
	resolve := func(s map[string]any) map[string]any {
		for i := 0; i < 10; i++ {
			ref, ok := s["$ref"].(string)
			if !ok {
				return s
			}
			s = doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
		}
		return s
	}
	limits := map[string]int64{}
	for _, item := range h.api.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Patch, item.Head, item.Options, item.Trace} {
			if op != nil {
				limits[op.OperationID] = op.MaxBodyBytes
			}
		}
	}
	var ops []hostileOp
	for path, methods := range doc.Paths {
		for method, o := range methods {
			if _, ok := limits[o.OperationID]; !ok {
				t.Fatalf("the served document has %s, which huma does not describe", o.OperationID)
			}
			op := hostileOp{ID: o.OperationID, Method: strings.ToUpper(method), Path: path, Description: o.Description, Authenticated: len(o.Security) > 0}
			for _, req := range o.Security {
				if scopes := req["apiKey"]; len(scopes) > 0 {
					op.Scope = scopes[0]
				}
			}
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				op.PathParams = append(op.PathParams, m[1])
			}
			for _, p := range o.Parameters {
				if p.In == "query" {
					op.Query = append(op.Query, p.Name)
				}
				switch {
				case p.In == "query" && (strings.HasSuffix(p.Name, "_id") || p.Name == "phone"):
					op.QueryRefs = append(op.QueryRefs, p.Name)
				case p.In == "header" && p.Required:
					op.Headers = append(op.Headers, p.Name)
				}
			}
			if rb := o.RequestBody; rb != nil {
				if len(rb.Content) != 1 {
					t.Fatalf("%s takes %d content types; teach the suite to send each", op.ID, len(rb.Content))
				}
				for ct, mt := range rb.Content {
					schema := resolve(mt.Schema)
					op.Body = &hostileBody{ContentType: ct, Required: rb.Required, Schema: schema, MaxBytes: limits[op.ID],
						RefFields: refFields(resolve, schema, nil, 0)}
				}
			}
			ops = append(ops, op)
		}
	}
	if len(ops) != len(limits) {
		t.Fatalf("the served document has %d operations, huma describes %d", len(ops), len(limits))
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Path+" "+ops[i].Method < ops[j].Path+" "+ops[j].Method })
	return ops
}

// refFields returns the paths of the fields of an object schema, nested
// objects included, that name a resource: …_id and …_ids.
func refFields(resolve func(map[string]any) map[string]any, s map[string]any, at []string, depth int) [][]string {
	s = resolve(s)
	props, _ := s["properties"].(map[string]any)
	if depth > 5 || props == nil {
		return nil
	}
	names := make([]string, 0, len(props))
	for name := range props {
		names = append(names, name)
	}
	sort.Strings(names)
	var out [][]string
	for _, name := range names {
		where := append(slices.Clone(at), name)
		if _, not := notRefs[name]; !not && (strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "_ids")) {
			out = append(out, where)
			continue
		}
		if p, ok := props[name].(map[string]any); ok {
			out = append(out, refFields(resolve, p, where, depth+1)...)
		}
	}
	return out
}

// refName is the resource a body field names: list_ids names lists, as
// list_id does.
func refName(field []string) string {
	return strings.TrimSuffix(field[len(field)-1], "s")
}

// lookup finds a field in a JSON-like body.
func lookup(body any, field []string) (any, bool) {
	v := body
	for _, name := range field {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[name]; !ok {
			return nil, false
		}
	}
	return v, true
}

// with returns a copy of body with the field set to id (in a list, for a
// field naming several).
func with(body any, field []string, id string) any {
	var out map[string]any
	raw, _ := json.Marshal(body)
	json.Unmarshal(raw, &out)
	m := out
	for _, name := range field[:len(field)-1] {
		m = m[name].(map[string]any)
	}
	last := field[len(field)-1]
	if strings.HasSuffix(last, "_ids") {
		m[last] = []string{id}
	} else {
		m[last] = id
	}
	return out
}

// wrongValue returns a value of another type than the schema's, or nil
// for a schema of no particular type.
func wrongValue(s map[string]any) any {
	var types []string
	switch ty := s["type"].(type) {
	case string:
		types = []string{ty}
	case []any:
		for _, x := range ty {
			if x, ok := x.(string); ok && x != "null" {
				types = append(types, x)
			}
		}
	}
	if len(types) == 0 {
		if _, ok := s["$ref"]; ok {
			return 42 // a named schema: an object
		}
		return nil
	}
	switch types[0] {
	case "string":
		return 12345
	case "integer", "number":
		return "not a number"
	case "boolean":
		return "not a boolean"
	case "array":
		return "not a list"
	case "object":
		return 42
	}
	return nil
}

// withNUL returns a copy of a JSON-like value with a NUL character (which
// PostgreSQL's text and jsonb cannot hold) at the end of every string in
// it, nested ones included.
func withNUL(v any) any {
	switch x := v.(type) {
	case string:
		return x + "\x00"
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s + "\x00"
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withNUL(e)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = withNUL(e)
		}
		return out
	}
	return v
}

// payload encodes a body: a csvFile as text/csv, anything else as JSON.
func payload(body any) ([]byte, string) {
	switch b := body.(type) {
	case nil:
		return nil, ""
	case csvFile:
		return []byte(b), "text/csv"
	default:
		raw, _ := json.Marshal(b)
		return raw, "application/json"
	}
}

// oversized is a JSON object one byte longer than limit.
func oversized(limit int64) []byte {
	const open, close = `{"padding":"`, `"}`
	return []byte(open + strings.Repeat("x", int(limit)+1-len(open)-len(close)) + close)
}

// fillPath puts values into a path's parameters.
func fillPath(path string, values map[string]string) string {
	return pathParam.ReplaceAllStringFunc(path, func(m string) string {
		return url.PathEscape(values[m[1:len(m)-1]])
	})
}

// normalise replaces the values a request named (and their masked forms,
// for numbers) with one placeholder, so two answers to requests naming
// different values can be compared.
func normalise(raw string, values []string) string {
	for _, v := range values {
		if strings.HasPrefix(v, "+") {
			raw = strings.ReplaceAll(raw, phone.Mask(v), "{value}")
		}
		raw = strings.ReplaceAll(raw, url.QueryEscape(v), "{value}")
		raw = strings.ReplaceAll(raw, v, "{value}")
	}
	return raw
}

// problemText is what a problem says was wrong: its detail and each
// error's message.
func problemText(r response) string {
	says := r.str("detail")
	errs, _ := r.Body["errors"].([]any)
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok {
			if msg, _ := m["message"].(string); msg != "" {
				says += "; " + msg
			}
		}
	}
	return strings.TrimSpace(says)
}

func short(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// seedHostileTenant signs a tenant up and gives it one of each resource an
// operation can name, each named after tag, with national numbers
// numbers+"01" (a contact with consent, called once, with a recording and
// a sensitive word waiting for review), numbers+"02" (imported) and
// numbers+"03" (on the do-not-call list, with consent evidence).
func (h *harness) seedHostileTenant(recordings telephony.LocalRecordingStore, name, email, tag, numbers string) hostileTenant {
	t := h.t
	t.Helper()
	ctx := context.Background()
	lower := strings.ToLower(tag)
	f := hostileTenant{tenant: h.signup(name, email), tag: tag, numbers: numbers}
	k := bearer(f.Key)
	must := func(r response, status int, what string) response {
		t.Helper()
		if r.Status != status {
			t.Fatalf("%s's %s: %d %s", tag, what, r.Status, r.Raw)
		}
		return r
	}
	viewerKey := must(h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": tag + " viewer key", "role": "viewer"}, k...), 201, "viewer key")
	operatorKey := must(h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": tag + " operator key", "role": "operator"}, k...), 201, "operator key")
	f.viewerKey, f.operatorKey = viewerKey.str("secret"), operatorKey.str("secret")
	agent := must(h.do(nil, "POST", "/v1/users", map[string]any{"email": "agent@" + lower + ".example", "name": tag + " Agent", "role": "operator", "password": "agent-password-1"}, k...), 201, "user")
	f.viewerEmail, f.viewerPassword = "viewer@"+lower+".example", "viewer-password-1"
	viewerUser := must(h.do(nil, "POST", "/v1/users", map[string]any{"email": f.viewerEmail, "role": "viewer", "password": f.viewerPassword}, k...), 201, "viewer user")
	invited := must(h.do(nil, "POST", "/v1/users", map[string]any{"email": "invitee@" + lower + ".example", "role": "viewer"}, k...), 201, "invitation")
	f.invitedUserID = invited.str("user", "id")
	endpoint := must(h.do(nil, "POST", "/v1/webhooks/endpoints", map[string]any{"url": "http://127.0.0.1:9/" + lower + "-hook"}, k...), 201, "webhook endpoint")
	delivery := h.seedDelivery(f.ID, endpoint.str("id"), tag+" receiver answer")
	list := must(h.do(nil, "POST", "/v1/lists", map[string]any{"name": tag + " customers"}, k...), 201, "list")
	n1, n2, n3 := numbers+"01", numbers+"02", numbers+"03"
	contact := must(h.do(nil, "POST", "/v1/contacts", map[string]any{"phone": n1, "name": tag + " customer", "list_ids": []string{list.str("id")},
		"consent": map[string]any{"source": "signup form"}}, k...), 200, "contact")
	im := must(h.do(nil, "POST", "/v1/lists/"+list.str("id")+"/imports", "phone,name\n"+n2+","+tag+" imported\nnot-a-number,"+tag+" bad row\n", k...), 202, "import")
	h.runImport(f.tenant, im.str("id"))
	must(h.do(nil, "POST", "/v1/dnc", map[string]any{"phones": []string{n3}, "reason": tag + " dnc reason"}, k...), 200, "do-not-call number")
	must(h.do(nil, "POST", "/v1/consents", map[string]any{"phone": n3, "source": tag + " consent source"}, k...), 201, "consent")
	script := must(h.do(nil, "POST", "/v1/scripts", map[string]any{"name": tag + " script", "source": orderScript}, k...), 201, "script")
	must(h.do(nil, "POST", "/v1/scripts/"+script.str("id")+"/versions/1/publish", map[string]any{"allow_sensitive": true}, k...), 200, "published script")
	rules := must(h.do(nil, "POST", "/v1/scripts", map[string]any{"name": tag + " rules", "kind": "segment", "source": cityRules}, k...), 201, "segmentation rules")
	must(h.do(nil, "POST", "/v1/scripts/"+rules.str("id")+"/versions/1/publish", nil, k...), 200, "published rules")
	callerID := "+8621500" + numbers[len(numbers)-4:]
	trunk := must(h.do(nil, "POST", "/v1/trunks", map[string]any{"name": tag + " carrier", "host": "sip." + lower + ".example",
		"password": tag + "-trunk-password", "caller_ids": []string{callerID}}, k...), 201, "trunk")
	camp := must(h.do(nil, "POST", "/v1/campaigns", map[string]any{"name": tag + " campaign", "list_ids": []string{list.str("id")}, "script_version": "v1",
		"follow_ups": []map[string]any{{"channel": "sms", "template": "thanks", "when": "answered"}}}, k...), 201, "campaign")
	must(h.do(nil, "POST", "/v1/campaigns/"+camp.str("id")+"/start", nil, k...), 200, "started campaign")

	// One call, answered, recorded, with a sensitive word waiting for review.
	noon := tomorrowNoon()
	svc := campaigns.New(campaigns.Options{DB: h.svc.DB(), Now: func() time.Time { return noon }})
	tenantID, campaignID := uuid.MustParse(f.ID), uuid.MustParse(camp.str("id"))
	if _, err := svc.Pace(ctx, tenantID, campaignID, 10); err != nil {
		t.Fatal(err)
	}
	d, err := svc.BeginDial(ctx, campaigns.DialArgs{TenantID: tenantID, CampaignID: campaignID, ContactID: uuid.MustParse(contact.str("id")), Attempt: 1})
	if err != nil || !d.Place {
		t.Fatalf("%s's call: %v %+v", tag, err, d)
	}
	ref := lower + "/" + d.Request.CallID.String() + ".wav"
	if err := recordings.Put(ctx, ref, strings.NewReader("RIFF "+tag+" recording bytes")); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CloseCall(ctx, tenantID, d.Request.CallID, campaigns.Ending{Outcome: telephony.OutcomeAnswered,
		AnsweredAt: noon, EndedAt: noon.Add(20 * time.Second), RecordingRef: ref,
		Turns:         []campaigns.Turn{{Said: tag + " said hello", Heard: tag + " heard 验证码", StartedAt: noon, EndedAt: noon}},
		SensitiveHits: []campaigns.SensitiveHit{{Word: "验证码", Turn: 1, Where: "heard"}}}); err != nil {
		t.Fatal(err)
	}
	usage := h.seedUsage(f.ID)
	// The answered call queued the campaign's follow-up message.
	var messageID string
	if err := h.svc.DB().InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT id::text FROM messages WHERE call_id = $1`, d.Request.CallID).Scan(&messageID)
	}); err != nil {
		t.Fatalf("%s's follow-up message: %v", tag, err)
	}

	// A queue of the agent desk, and a call a script handed to it that
	// rings the agent's desk.
	queue := must(h.do(nil, "POST", "/v1/queues", map[string]any{"name": lower + "-desk", "agent_ids": []string{agent.str("user", "id")}}, k...), 201, "queue")
	offerID := uuid.NewString()
	if err := h.svc.DB().InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO agent_offers (id, tenant_id, call_id, queue_id, queue, user_id, state, offered_at, screen)
			VALUES ($1, $2, $3, $4, $5, $6, 'ringing', now(), '{"contact": {"name": "x"}}')`, offerID, tenantID, d.Request.CallID, queue.str("id"), lower+"-desk", agent.str("user", "id"))
		return err
	}); err != nil {
		t.Fatalf("%s's desk offer: %v", tag, err)
	}

	scriptEndpoint := must(h.do(nil, "POST", "/v1/script-endpoints", map[string]any{"name": lower + "_crm", "url": "http://127.0.0.1:9/" + lower + "-crm"}, k...), 201, "script endpoint")
	f.params = map[string]string{
		"queue_id": queue.str("id"), "offer_id": offerID, "script_endpoint_id": scriptEndpoint.str("id"),
		"key_id": viewerKey.str("id"), "user_id": agent.str("user", "id"),
		"endpoint_id": endpoint.str("id"), "delivery_id": delivery,
		"list_id": list.str("id"), "contact_id": contact.str("id"), "import_id": im.str("id"), "phone": "+86" + n3,
		"campaign_id": camp.str("id"), "call_id": d.Request.CallID.String(), "message_id": messageID,
		"script_id": script.str("id"), "version": "1", "trunk_id": trunk.str("id"),
	}
	f.refs = map[string]string{"agent_id": agent.str("user", "id"), "list_id": list.str("id"), "script_id": rules.str("id"), "campaign_id": camp.str("id"), "phone": "+86" + n1}
	for _, s := range []string{f.ID, f.OwnerID, f.Key, f.Email,
		viewerKey.str("id"), viewerKey.str("secret"), viewerKey.str("prefix"), operatorKey.str("id"), operatorKey.str("secret"), operatorKey.str("prefix"),
		agent.str("user", "id"), "agent@" + lower + ".example", tag + " Agent", viewerUser.str("user", "id"), f.viewerEmail,
		f.invitedUserID, invited.str("invite_token"), "invitee@" + lower + ".example",
		endpoint.str("id"), endpoint.str("secret"), lower + "-hook", delivery, tag + " receiver answer",
		list.str("id"), tag + " customers", contact.str("id"), tag + " customer", im.str("id"), tag + " imported", tag + " bad row",
		tag + " dnc reason", tag + " consent source",
		script.str("id"), tag + " script", rules.str("id"), tag + " rules",
		trunk.str("id"), tag + " carrier", "sip." + lower + ".example", tag + "-trunk-password", callerID,
		queue.str("id"), offerID, scriptEndpoint.str("id"), scriptEndpoint.str("secret"), lower + "-crm",
		camp.str("id"), tag + " campaign", d.Request.CallID.String(), tag + " recording bytes", tag + " said hello", tag + " heard", usage} {
		f.secrets = append(f.secrets, secret{shown: s, origin: s})
	}
	for _, n := range []string{n1, n2, n3} {
		f.secrets = append(f.secrets, secret{shown: n, origin: n}, secret{shown: phone.Mask("+86" + n), origin: n})
	}
	return f
}

// validBodies are request bodies that pass validation, naming f's own
// resources, so that only what a phase changes (the caller, the path, one
// field) can make the request fail.
func (f hostileTenant) validBodies() map[string]any {
	n1, n2, n3 := "+86"+f.numbers+"01", "+86"+f.numbers+"02", "+86"+f.numbers+"03"
	list, rules := f.params["list_id"], f.refs["script_id"]
	return map[string]any{
		"signup":            map[string]any{"tenant_name": "Hostile Signup", "email": "signup@hostile.example", "password": "password-123"},
		"login":             map[string]any{"email": f.Email, "password": f.Password},
		"accept-invitation": map[string]any{"token": "inv_hostile", "password": "hostile-password"},
		"verify-email":      map[string]any{"token": "hostile-verification-token"},
		"stripe-webhook":    map[string]any{"id": "evt_hostile", "type": "invoice.paid"},

		"create-api-key":          map[string]any{"name": "hostile suite key", "role": "viewer"},
		"add-user":                map[string]any{"email": "added@" + strings.ToLower(f.tag) + ".example", "role": "viewer", "password": "added-password-1"},
		"change-user-role":        map[string]any{"role": "viewer"},
		"create-webhook-endpoint": map[string]any{"url": "http://127.0.0.1:9/hostile-hook"},
		"update-webhook-endpoint": map[string]any{"description": "hostile suite"},
		"rotate-webhook-secret":   map[string]any{"overlap_seconds": 60},
		"set-budget":              map[string]any{"budget_cents": 100000, "hard_budget_cents": 200000},
		"create-checkout-session": map[string]any{"plan": "pro", "success_url": "https://hostile.example/paid", "cancel_url": "https://hostile.example/cancelled"},
		"create-portal-session":   map[string]any{"return_url": "https://hostile.example/billing"},
		"create-list":             map[string]any{"name": "hostile suite list"},
		"upsert-contact":          map[string]any{"phone": n1, "name": f.tag + " customer", "list_ids": []string{list}, "attributes": map[string]any{"city": "上海"}},
		"create-import":           csvFile("phone,name\n" + n2 + ",hostile suite\n"),
		"add-dnc":                 map[string]any{"phones": []string{n3}},
		"import-dnc":              csvFile("phone\n" + n3 + "\n"),
		"record-consent":          map[string]any{"phone": n3, "source": "hostile suite form"},
		"set-compliance":          map[string]any{"max_daily_calls": 3},
		"create-campaign": map[string]any{"name": "hostile suite campaign", "list_ids": []string{list}, "script_version": "v1",
			"segmentation": map[string]any{"script_id": rules, "version": 1}},
		"review-call":             map[string]any{"status": "approved", "note": "hostile suite"},
		"create-script":           map[string]any{"name": "hostile suite script", "source": orderScript},
		"check-script":            map[string]any{"source": orderScript},
		"create-script-version":   map[string]any{"source": orderScript},
		"publish-script-version":  map[string]any{"allow_sensitive": true},
		"simulate-script-version": map[string]any{"utterances": []string{"是的"}},
		"preview-segments":        map[string]any{"script_id": rules, "version": 1, "list_id": list},
		"set-report-settings":     map[string]any{"conversion_outcomes": []string{"confirmed"}, "conversion_tags": []string{"converted"}},
		"set-speech":              map[string]any{"tts": "default", "asr": "default"},
		"create-queue":            map[string]any{"name": "hostile-queue", "agent_ids": []string{f.refs["agent_id"]}},
		"update-queue":            map[string]any{"ring_seconds": 15, "agent_ids": []string{f.refs["agent_id"]}},
		"set-desk-status":         map[string]any{"status": "offline"},
		"answer-desk-offer":       map[string]any{"sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"},
		"listen-desk-call":        map[string]any{"sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"},
		"set-sms-settings":        map[string]any{"provider": "aliyun", "access_key_id": "LTAI-hostile", "secret": "s", "sign_name": "外呼", "templates": map[string]any{"thanks": map[string]any{"id": "SMS_1", "params": []string{"name"}}}},
		"create-trunk":            map[string]any{"name": "hostile suite carrier", "host": "sip.hostile.example", "password": "hostile-password"},
		"update-trunk":            map[string]any{"host": "sip." + strings.ToLower(f.tag) + "-changed.example"},
		"rest-caller-id":          map[string]any{"number": n1, "hours": 24, "reason": "hostile suite"},
		"wake-caller-id":          map[string]any{"number": n1},
		"create-script-endpoint":  map[string]any{"name": "hostile_" + strings.ToLower(f.tag), "url": "http://127.0.0.1:9/hostile-crm"},
	}
}

// untouched checks that f's resources are as seeding left them.
func (f hostileTenant) untouched(t *testing.T, h *harness) {
	k := bearer(f.Key)
	if r := h.do(nil, "GET", "/v1/me", nil, bearer(f.viewerKey)...); r.Status != 200 {
		t.Errorf("%s's viewer key stopped working: %d %s", f.tag, r.Status, r.Raw)
	}
	checks := []struct {
		path  string
		field []string
		want  string
	}{
		{"/v1/users/" + f.params["user_id"], []string{"role"}, "operator"},
		{"/v1/users/" + f.invitedUserID, []string{"role"}, "viewer"},
		{"/v1/webhooks/endpoints/" + f.params["endpoint_id"], []string{"url"}, "http://127.0.0.1:9/" + strings.ToLower(f.tag) + "-hook"},
		{"/v1/lists/" + f.params["list_id"], []string{"name"}, f.tag + " customers"},
		{"/v1/contacts/" + f.params["contact_id"], []string{"name"}, f.tag + " customer"},
		{"/v1/imports/" + f.params["import_id"], []string{"status"}, "done"},
		{"/v1/campaigns/" + f.params["campaign_id"], []string{"status"}, "running"},
		{"/v1/calls/" + f.params["call_id"], []string{"review", "status"}, "pending"},
		{"/v1/scripts/" + f.params["script_id"], []string{"name"}, f.tag + " script"},
		{"/v1/trunks/" + f.params["trunk_id"], []string{"host"}, "sip." + strings.ToLower(f.tag) + ".example"},
	}
	for _, c := range checks {
		if r := h.do(nil, "GET", c.path, nil, k...); r.Status != 200 || r.str(c.field...) != c.want {
			t.Errorf("%s: %d, want %s %q: %s", c.path, r.Status, strings.Join(c.field, "."), c.want, short(r.Raw))
		}
	}
	if r := h.do(nil, "GET", "/v1/scripts/"+f.params["script_id"]+"/versions", nil, k...); r.Status != 200 || len(r.Body["items"].([]any)) != 1 {
		t.Errorf("%s's script gained versions: %d %s", f.tag, r.Status, short(r.Raw))
	}
	if r := h.do(nil, "GET", "/v1/dnc", nil, k...); r.Status != 200 || !strings.Contains(r.Raw, f.params["phone"]) {
		t.Errorf("%s's do-not-call number is gone: %d %s", f.tag, r.Status, short(r.Raw))
	}
	if r := h.do(nil, "GET", "/v1/webhooks/endpoints/"+f.params["endpoint_id"]+"/deliveries", nil, k...); r.Status != 200 || len(ids(r)) != 1 {
		t.Errorf("%s's delivery log changed: %d %s", f.tag, r.Status, short(r.Raw))
	}
	if r := h.do(nil, "GET", "/v1/calls/"+f.params["call_id"]+"/recording", nil, k...); r.Status != 200 || !strings.Contains(r.Raw, f.tag+" recording bytes") {
		t.Errorf("%s's recording is gone: %d", f.tag, r.Status)
	}
}
