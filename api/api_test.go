package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/outcall/outcall/api"
	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/scripting/llm"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// harness is a running API on its own database.
type harness struct {
	t   *testing.T
	srv *httptest.Server
	api *api.Server
	svc *tenants.Service
	url string // superuser URL of the harness's database
}

// generous keeps rate limits out of the way of tests about other things.
var generous = api.RateLimits{PerKey: 1e4, KeyBurst: 1e4, PerTenant: 1e4, TenantBurst: 1e4, PerAddress: 1e4, AddressBurst: 1e4}

func newHarness(t *testing.T) *harness {
	return newHarnessWith(t, generous)
}

func newHarnessWith(t *testing.T, limits api.RateLimits) *harness {
	t.Helper()
	db, url := dbtest.Open(context.Background(), t)
	svc := tenants.NewService(db)
	scripts := &scripting.Store{DB: db, Runner: testHosts(t)}
	camp := campaigns.New(campaigns.Options{DB: db, Segment: calls.SegmentWith(scripts)})
	trunks := mustTrunkStore(t, db)
	a := api.New(api.Config{Tenants: svc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RateLimits: limits,
		Webhooks:  &webhooks.Service{DB: db, AllowPrivate: true},
		Scripts:   scripts,
		Campaigns: camp,
		Trunks:    trunks,
		// Tenants' models, reached on loopback (the test double).
		Models: &llm.Tenants{Load: calls.ModelSettings(&telephony.SpeechStore{Trunks: trunks})}})
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv, api: a, svc: svc, url: url}
}

// response is a decoded answer.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func (r response) str(path ...string) string {
	var v any = r.Body
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

// do sends a request; body may be a string (sent as is) or a value
// (encoded as JSON). headers are name, value pairs.
func (h *harness) do(client *http.Client, method, path string, body any, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if client == nil {
		client = h.srv.Client()
	}
	res, err := client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	json.Unmarshal(raw, &out.Body)
	return out
}

func bearer(key string) []string { return []string{"Authorization", "Bearer " + key} }

// tenant is a signed-up tenant with its owner's key.
type tenant struct {
	ID, OwnerID, Key, Email, Password string
}

func (h *harness) signup(name, email string) tenant {
	h.t.Helper()
	r := h.do(nil, "POST", "/v1/signup", map[string]any{"tenant_name": name, "email": email, "password": "password-123"})
	if r.Status != http.StatusCreated {
		h.t.Fatalf("signup %s: %d %s", email, r.Status, r.Raw)
	}
	return tenant{ID: r.str("tenant_id"), OwnerID: r.str("user_id"), Key: r.str("api_key", "secret"), Email: email, Password: "password-123"}
}

func TestSignupGivesAKeyThatAnswersMe(t *testing.T) {
	h := newHarness(t)
	a := h.signup("某某商城", "owner@shop.example")
	if !strings.HasPrefix(a.Key, "oc_") {
		t.Fatalf("key %q does not start with oc_", a.Key)
	}
	r := h.do(nil, "GET", "/v1/me", nil, bearer(a.Key)...)
	if r.Status != 200 || r.str("tenant", "id") != a.ID || r.str("tenant", "name") != "某某商城" || r.str("via") != "api_key" {
		t.Fatalf("me: %d %s", r.Status, r.Raw)
	}
}

func TestBadInputIsAProblemNamingTheField(t *testing.T) {
	h := newHarness(t)
	h.signup("Taken", "taken@example.com")
	cases := []struct {
		name     string
		body     any
		status   int
		location string
	}{
		{"malformed JSON", `{"tenant_name": "x",`, 400, ""},
		{"an unknown field", map[string]any{"tenant_name": "x", "email": "x@example.com", "password": "password-123", "plan": "pro"}, 422, "body.plan"},
		{"a wrong type", map[string]any{"tenant_name": 5, "email": "x@example.com", "password": "password-123"}, 422, "body.tenant_name"},
		{"an over-long name", map[string]any{"tenant_name": strings.Repeat("长", 201), "email": "x@example.com", "password": "password-123"}, 422, "body.tenant_name"},
		{"a short password", map[string]any{"tenant_name": "x", "email": "x@example.com", "password": "short"}, 422, "body.password"},
		{"a bad email", map[string]any{"tenant_name": "x", "email": "not-an-email", "password": "password-123"}, 422, "body.email"},
		{"a duplicate email", map[string]any{"tenant_name": "x", "email": "taken@example.com", "password": "password-123"}, 409, "body.email"},
		{"a body over the size limit", `{"tenant_name":"` + strings.Repeat("x", 2<<20) + `"}`, 413, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(nil, "POST", "/v1/signup", c.body)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Raw)
			}
			if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "application/problem+json") {
				t.Fatalf("content type %q, want problem+json", ct)
			}
			if c.location != "" && !strings.Contains(r.Raw, `"location":"`+c.location+`"`) {
				t.Fatalf("problem does not name %s: %s", c.location, r.Raw)
			}
			if strings.Contains(r.Raw, "password-123") {
				t.Fatalf("problem echoes the password: %s", r.Raw)
			}
		})
	}
	// Nothing half-written: only the first tenant exists.
	var n int
	if err := h.svc.DB().Pool().QueryRow(context.Background(), `SELECT count(*) FROM auth_user_by_email('x@example.com')`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("a failed signup left a user behind (%d, %v)", n, err)
	}
}

func TestWrongCredentialsAreRejectedAlike(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	wrongPassword := h.do(nil, "POST", "/v1/login", map[string]any{"email": a.Email, "password": "not-the-password"})
	unknownEmail := h.do(nil, "POST", "/v1/login", map[string]any{"email": "nobody@example.com", "password": a.Password})
	if wrongPassword.Status != 401 || unknownEmail.Status != 401 {
		t.Fatalf("statuses %d and %d, want 401 and 401", wrongPassword.Status, unknownEmail.Status)
	}
	if wrongPassword.str("detail") != unknownEmail.str("detail") {
		t.Fatalf("the answers tell which part was wrong: %q vs %q", wrongPassword.str("detail"), unknownEmail.str("detail"))
	}
	for _, key := range []string{"oc_nothere_xxxxxxxxxxxxxxxx", a.Key + "x", "garbage"} {
		if r := h.do(nil, "GET", "/v1/me", nil, bearer(key)...); r.Status != 401 {
			t.Fatalf("key %q: status %d, want 401", key, r.Status)
		}
	}
	if r := h.do(nil, "GET", "/v1/me", nil); r.Status != 401 {
		t.Fatalf("no credential: status %d, want 401", r.Status)
	}
}

func TestSessionCookieNeedsTheCSRFTokenToWrite(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	login := h.do(browser, "POST", "/v1/login", map[string]any{"email": a.Email, "password": a.Password})
	if login.Status != 200 {
		t.Fatalf("login: %d %s", login.Status, login.Raw)
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: login.Header}).Cookies() {
		if c.Name == "outcall_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || !session.Secure {
		t.Fatalf("session cookie %+v is not HttpOnly and Secure", session)
	}
	// httptest serves plain HTTP, so the jar keeps no Secure cookie; send it by hand.
	cookie := []string{"Cookie", "outcall_session=" + session.Value}
	if r := h.do(nil, "GET", "/v1/me", nil, cookie...); r.Status != 200 || r.str("via") != "session" || r.str("user", "email") != a.Email {
		t.Fatalf("me with the cookie: %d %s", r.Status, r.Raw)
	}
	body := map[string]any{"name": "from the portal", "role": "viewer"}
	if r := h.do(nil, "POST", "/v1/api-keys", body, cookie...); r.Status != 403 {
		t.Fatalf("a cookie write without the CSRF header: %d, want 403", r.Status)
	}
	if r := h.do(nil, "POST", "/v1/api-keys", body, append(cookie, "X-CSRF-Token", "wrong")...); r.Status != 403 {
		t.Fatalf("a cookie write with a wrong CSRF header: %d, want 403", r.Status)
	}
	if r := h.do(nil, "POST", "/v1/api-keys", body, append(cookie, "X-CSRF-Token", login.str("csrf_token"))...); r.Status != 201 {
		t.Fatalf("a cookie write with the CSRF header: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "POST", "/v1/logout", nil, append(cookie, "X-CSRF-Token", login.str("csrf_token"))...); r.Status != 204 {
		t.Fatalf("logout: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/me", nil, cookie...); r.Status != 401 {
		t.Fatalf("me after logout: %d, want 401", r.Status)
	}
}

func TestKeysAreShownOnceListedByPrefixAndRevocable(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	created := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "CRM", "role": "viewer"}, bearer(a.Key)...)
	if created.Status != 201 || created.str("secret") == "" {
		t.Fatalf("create: %d %s", created.Status, created.Raw)
	}
	secret := created.str("secret")
	list := h.do(nil, "GET", "/v1/api-keys", nil, bearer(a.Key)...)
	if list.Status != 200 || strings.Contains(list.Raw, secret) || !strings.Contains(list.Raw, created.str("prefix")) {
		t.Fatalf("list shows the secret or hides the prefix: %s", list.Raw)
	}
	if r := h.do(nil, "GET", "/v1/me", nil, bearer(secret)...); r.Status != 200 || r.str("role") != "viewer" {
		t.Fatalf("new key: %d %s", r.Status, r.Raw)
	}
	list = h.do(nil, "GET", "/v1/api-keys", nil, bearer(a.Key)...)
	if !strings.Contains(list.Raw, `"last_used_at"`) {
		t.Fatalf("list does not show when keys were last used: %s", list.Raw)
	}
	if r := h.do(nil, "DELETE", "/v1/api-keys/"+created.str("id"), nil, bearer(a.Key)...); r.Status != 200 || r.str("revoked_at") == "" {
		t.Fatalf("revoke: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/me", nil, bearer(secret)...); r.Status != 401 {
		t.Fatalf("revoked key: %d, want 401", r.Status)
	}
}

func TestRolesLimitWhatCanBeDone(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	viewer := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "read only", "role": "viewer"}, bearer(a.Key)...).str("secret")
	admin := a.Key // the signup key is an admin key

	if r := h.do(nil, "POST", "/v1/users", map[string]any{"email": "v@example.com", "role": "viewer"}, bearer(viewer)...); r.Status != 403 {
		t.Fatalf("a viewer adding a user: %d, want 403", r.Status)
	}
	if r := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "x"}, bearer(viewer)...); r.Status != 403 {
		t.Fatalf("a viewer creating a key: %d, want 403", r.Status)
	}
	if r := h.do(nil, "GET", "/v1/users", nil, bearer(viewer)...); r.Status != 200 {
		t.Fatalf("a viewer listing users: %d, want 200", r.Status)
	}
	if r := h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "x", "role": "owner"}, bearer(admin)...); r.Status != 403 {
		t.Fatalf("an admin creating an owner key: %d, want 403", r.Status)
	}
	if r := h.do(nil, "POST", "/v1/users", map[string]any{"email": "o2@example.com", "role": "owner"}, bearer(admin)...); r.Status != 403 {
		t.Fatalf("an admin adding an owner: %d, want 403", r.Status)
	}
	if r := h.do(nil, "PATCH", "/v1/users/"+a.OwnerID, map[string]any{"role": "viewer"}, bearer(admin)...); r.Status != 403 {
		t.Fatalf("an admin demoting the owner: %d, want 403: %s", r.Status, r.Raw)
	}

	// The owner, through a session, may not demote the last owner either.
	login := h.do(nil, "POST", "/v1/login", map[string]any{"email": a.Email, "password": a.Password})
	var cookie string
	for _, c := range (&http.Response{Header: login.Header}).Cookies() {
		if c.Name == "outcall_session" {
			cookie = c.Value
		}
	}
	owner := []string{"Cookie", "outcall_session=" + cookie, "X-CSRF-Token", login.str("csrf_token")}
	if r := h.do(nil, "PATCH", "/v1/users/"+a.OwnerID, map[string]any{"role": "admin"}, owner...); r.Status != 409 {
		t.Fatalf("demoting the last owner: %d, want 409: %s", r.Status, r.Raw)
	}
}

func TestInvitedUserSetsAPasswordAndLogsIn(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	inv := h.do(nil, "POST", "/v1/users", map[string]any{"email": "agent@example.com", "role": "operator", "name": "李娜"}, bearer(a.Key)...)
	if inv.Status != 201 || inv.str("invite_token") == "" || inv.Body["user"].(map[string]any)["invited"] != true {
		t.Fatalf("invite: %d %s", inv.Status, inv.Raw)
	}
	if r := h.do(nil, "POST", "/v1/login", map[string]any{"email": "agent@example.com", "password": "whatever-123"}); r.Status != 401 {
		t.Fatalf("an invited user logged in before accepting: %d", r.Status)
	}
	if r := h.do(nil, "POST", "/v1/invitations/accept", map[string]any{"token": "inv_wrong", "password": "agent-password"}); r.Status != 404 {
		t.Fatalf("accept with a wrong token: %d, want 404", r.Status)
	}
	if r := h.do(nil, "POST", "/v1/invitations/accept", map[string]any{"token": inv.str("invite_token"), "password": "agent-password"}); r.Status != 200 {
		t.Fatalf("accept: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "POST", "/v1/login", map[string]any{"email": "agent@example.com", "password": "agent-password"}); r.Status != 200 || r.str("user", "role") != "operator" {
		t.Fatalf("login after accepting: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "POST", "/v1/invitations/accept", map[string]any{"token": inv.str("invite_token"), "password": "another-password"}); r.Status != 404 {
		t.Fatalf("an invitation accepted twice: %d, want 404", r.Status)
	}
}

func TestPagesAreStableAndCompleteWhileRowsAreAdded(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	for i := 0; i < 5; i++ {
		h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "k"}, bearer(a.Key)...)
	}
	seen := map[string]int{}
	cursor := ""
	for pages := 0; pages < 20; pages++ {
		r := h.do(nil, "GET", "/v1/api-keys?limit=2&cursor="+cursor, nil, bearer(a.Key)...)
		if r.Status != 200 {
			t.Fatalf("page: %d %s", r.Status, r.Raw)
		}
		for _, it := range r.Body["items"].([]any) {
			seen[it.(map[string]any)["id"].(string)]++
		}
		if pages == 0 {
			// Rows added mid-walk land after the cursor: nothing shifts.
			for i := 0; i < 3; i++ {
				h.do(nil, "POST", "/v1/api-keys", map[string]any{"name": "added"}, bearer(a.Key)...)
			}
		}
		if cursor = r.str("next_cursor"); cursor == "" {
			break
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("key %s listed %d times", id, n)
		}
	}
	if len(seen) != 9 {
		t.Fatalf("paged through %d keys, want the 6 first ones and the 3 added", len(seen))
	}
	if r := h.do(nil, "GET", "/v1/api-keys?cursor=bogus", nil, bearer(a.Key)...); r.Status != 422 || !strings.Contains(r.Raw, "query.cursor") {
		t.Fatalf("a bogus cursor: %d %s", r.Status, r.Raw)
	}
}

func TestProbesAndDocs(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/healthz", "/readyz", "/openapi.json", "/docs", "/metrics"} {
		if r := h.do(nil, "GET", path, nil); r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
	}
	doc := h.do(nil, "GET", "/openapi.json", nil)
	for _, op := range []string{"signup", "login", "logout", "get-me", "list-api-keys", "create-api-key", "revoke-api-key", "list-users", "add-user", "get-user", "change-user-role", "remove-user", "accept-invitation", "readyz"} {
		if !strings.Contains(doc.Raw, `"operationId":"`+op+`"`) {
			t.Fatalf("the OpenAPI document lacks %s", op)
		}
	}
	if m := h.do(nil, "GET", "/metrics", nil); !strings.Contains(m.Raw, "outcall_http_requests_total") {
		t.Fatalf("metrics lack outcall_http_requests_total")
	}
}

func mustTrunkStore(t *testing.T, db *tenants.DB) *telephony.TrunkStore {
	st, err := telephony.NewTrunkStore(db, "the api tests' secret key")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// apiOperation is what the walking tests read of an operation in the
// served OpenAPI document.
type apiOperation struct {
	OperationID string                `json:"operationId"`
	Security    []map[string][]string `json:"security"`
	RequestBody *json.RawMessage      `json:"requestBody"`
}

// operations reads the served OpenAPI document: each path's operations by
// method, and the paths in order.
func (h *harness) operations(t *testing.T) (map[string]map[string]apiOperation, []string) {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]apiOperation `json:"paths"`
	}
	if err := json.Unmarshal([]byte(h.do(nil, "GET", "/openapi.json", nil).Raw), &doc); err != nil {
		t.Fatal(err)
	}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return doc.Paths, paths
}
