package calls_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/migrations/dbtest"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
	"github.com/outcall/outcall/tenants"
	"github.com/outcall/outcall/webhooks"
)

// tenantService is a local HTTPS server standing in for a tenant's own
// system (a CRM), which records what it was sent.
type tenantService struct {
	*httptest.Server
	mu   sync.Mutex
	got  []seenRequest
	slow chan struct{}
}

type seenRequest struct {
	Method, URI, Signature, Endpoint, ContentType string
	Body                                          []byte
}

func newTenantService(t *testing.T) *tenantService {
	ts := &tenantService{slow: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/crm/accounts/{account}/balance", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"account":"`+r.PathValue("account")+`","amount":1280.5}`)
	})
	mux.HandleFunc("POST /crm/promises", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"P-77"}`)
	})
	mux.HandleFunc("/crm/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-ts.slow:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/crm/huge", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"pad":"`+strings.Repeat("x", 1<<20)+`"}`)
	})
	mux.HandleFunc("/crm/redirect", func(w http.ResponseWriter, r *http.Request) {
		// A hostile service sends the request on to the cloud's metadata
		// address: outcall does not follow.
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	})
	mux.HandleFunc("/crm/text", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "已还清") })
	mux.HandleFunc("/crm/binary", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte{0xff, 0xfe, 0x00, 0x81}) })
	mux.HandleFunc("/crm/down", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"maintenance"}`, http.StatusServiceUnavailable)
	})
	ts.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts.mu.Lock()
		ts.got = append(ts.got, seenRequest{Method: r.Method, URI: r.RequestURI, Signature: r.Header.Get(webhooks.SignatureHeader),
			Endpoint: r.Header.Get(calls.RequestHeader), ContentType: r.Header.Get("Content-Type"), Body: body})
		ts.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { close(ts.slow); ts.Close() })
	return ts
}

func (ts *tenantService) requests() []seenRequest {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]seenRequest(nil), ts.got...)
}

// client is outcall's guarded client, trusting the test server's
// certificate.
func (ts *tenantService) client(allowPrivate bool) *http.Client {
	c := webhooks.NewHTTPClient(allowPrivate)
	c.Transport.(*http.Transport).TLSClientConfig = ts.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	return c
}

// A script's request reaches the tenant's registered HTTPS endpoint with
// the script's path and body, signed with the endpoint's secret (which the
// tenant's service verifies with webhooks.Verify), and its JSON answer
// comes back; a slow, failing or hostile service costs the call no more
// than the request's timeout and gives a failure that says what happened.
func TestScriptRequestsReachTheTenantsEndpointSignedAndGuarded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	shop := dbtest.Tenant(ctx, t)
	svc := newTenantService(t)
	eps := &calls.Endpoints{DB: shop.DB, Client: svc.client(true), AllowPrivate: true}
	ep, secret, err := eps.Create(ctx, shop.Owner, calls.EndpointInput{Name: "crm", URL: svc.URL + "/crm", Description: "balances"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "epsec_") || ep.Name != "crm" {
		t.Fatalf("created %+v with secret %q", ep, secret)
	}
	fetch := eps.For(shop.Owner.TenantID)

	res := fetch.Fetch(ctx, &scripting.Request{Endpoint: "crm", Method: "GET", Path: "/accounts/6222%2F1/balance?x=1", Timeout: scripting.Millis(2 * time.Second)})
	if res.Failure != "" || res.Status != 200 || string(res.Data) != `{"account":"6222/1","amount":1280.5}` {
		t.Fatalf("balance: %+v (%s)", res, res.Data)
	}
	got := svc.requests()[0]
	if got.URI != "/crm/accounts/6222%2F1/balance?x=1" || got.Endpoint != "crm" || len(got.Body) != 0 {
		t.Fatalf("the service saw %+v", got)
	}
	if err := webhooks.Verify(calls.SignedPayload("GET", got.URI, got.Body), got.Signature, secret, webhooks.DefaultTolerance); err != nil {
		t.Fatalf("signature %q does not verify: %v", got.Signature, err)
	}
	if err := webhooks.Verify(calls.SignedPayload("GET", "/crm/accounts/other/balance", nil), got.Signature, secret, webhooks.DefaultTolerance); err == nil {
		t.Fatal("the signature verifies for another path")
	}

	body := json.RawMessage(`{"account":"6222","amount":1280.5}`)
	res = fetch.Fetch(ctx, &scripting.Request{Endpoint: "crm", Method: "POST", Path: "/promises", Body: body, Timeout: scripting.Millis(2 * time.Second)})
	if res.Failure != "" || res.Status != 201 || string(res.Data) != `{"id":"P-77"}` {
		t.Fatalf("promise: %+v", res)
	}
	got = svc.requests()[1]
	if got.Method != "POST" || string(got.Body) != string(body) || got.ContentType != "application/json" ||
		webhooks.Verify(calls.SignedPayload("POST", "/crm/promises", got.Body), got.Signature, secret, webhooks.DefaultTolerance) != nil {
		t.Fatalf("the promise arrived as %+v", got)
	}

	for _, tc := range []struct {
		path, failure string
		data          string
	}{
		{"/down", "status 503", `{"error":"maintenance"}`},
		{"/huge", "the answer is larger than 64 KiB", ""},
		{"/redirect", "status 302", "-"}, // its body is the redirect's HTML
		{"/text", "", `"已还清"`},
		{"/binary", "the answer is neither JSON nor text", ""},
	} {
		res := fetch.Fetch(ctx, &scripting.Request{Endpoint: "crm", Method: "GET", Path: tc.path, Timeout: scripting.Millis(2 * time.Second)})
		if res.Failure != tc.failure || (tc.data != "-" && strings.TrimSpace(string(res.Data)) != tc.data) {
			t.Fatalf("%s: %+v (%s)", tc.path, res, res.Data)
		}
	}

	// A slow service: the request gives up at its timeout.
	start := time.Now()
	res = fetch.Fetch(ctx, &scripting.Request{Endpoint: "crm", Method: "GET", Path: "/slow", Timeout: scripting.Millis(300 * time.Millisecond)})
	if res.Failure != "timed out" || time.Since(start) > 3*time.Second || res.Latency.Duration() < 300*time.Millisecond {
		t.Fatalf("slow: %+v after %s", res, time.Since(start))
	}

	// A path that climbs out of the endpoint never leaves.
	res = fetch.Fetch(ctx, &scripting.Request{Endpoint: "crm", Method: "GET", Path: "//evil.example/x", Timeout: scripting.Millis(time.Second)})
	if res.Failure == "" || res.Status != 0 {
		t.Fatalf("a path to another host: %+v", res)
	}
	// Nor one that climbs out of it, however the request was made.
	res = fetch.Fetch(ctx, &scripting.Request{Endpoint: "crm", Method: "GET", Path: "/../admin", Timeout: scripting.Millis(time.Second)})
	if !strings.Contains(res.Failure, "leaves the endpoint") || res.Status != 0 {
		t.Fatalf("a path climbing out of the endpoint: %+v", res)
	}
	// An endpoint the tenant did not register is not reached.
	res = fetch.Fetch(ctx, &scripting.Request{Endpoint: "billing", Method: "GET", Path: "/", Timeout: scripting.Millis(time.Second)})
	if !strings.Contains(res.Failure, `no endpoint named "billing"`) {
		t.Fatalf("unknown endpoint: %+v", res)
	}
	n := len(svc.requests())

	// Another tenant's scripts cannot use this tenant's endpoint, or see it.
	_, other := dbtest.SignUp(ctx, t, shop.DB, "Other")
	res = eps.For(other.TenantID).Fetch(ctx, &scripting.Request{Endpoint: "crm", Method: "GET", Path: "/accounts/1/balance", Timeout: scripting.Millis(time.Second)})
	if !strings.Contains(res.Failure, `no endpoint named "crm"`) || len(svc.requests()) != n {
		t.Fatalf("another tenant's request: %+v", res)
	}
	if list, err := eps.List(ctx, other); err != nil || len(list) != 0 {
		t.Fatalf("another tenant lists %+v (%v)", list, err)
	}
	if err := eps.Delete(ctx, other, ep.ID); !isCode(err, tenants.ENotFound) {
		t.Fatalf("another tenant deleting the endpoint: %v", err)
	}

	// In production the guard refuses internal addresses: when registered,
	// and at connect time for a name that resolves there later.
	guarded := &calls.Endpoints{DB: shop.DB, Client: svc.client(false)}
	if _, _, err := guarded.Create(ctx, shop.Owner, calls.EndpointInput{Name: "internal", URL: svc.URL}); !isCode(err, tenants.EInvalid) ||
		!strings.Contains(err.Error(), "loopback, private") {
		t.Fatalf("registering a loopback endpoint: %v", err)
	}
	if _, _, err := guarded.Create(ctx, shop.Owner, calls.EndpointInput{Name: "plain", URL: "http://crm.example.com"}); !isCode(err, tenants.EInvalid) ||
		!strings.Contains(err.Error(), "must be an https URL") {
		t.Fatalf("registering a plain-http endpoint: %v", err)
	}
	res = guarded.For(shop.Owner.TenantID).Fetch(ctx, &scripting.Request{Endpoint: "crm", Method: "GET", Path: "/accounts/1/balance", Timeout: scripting.Millis(time.Second)})
	if !strings.HasPrefix(res.Failure, "refused:") || len(svc.requests()) != n {
		t.Fatalf("a request to a loopback address in production: %+v", res)
	}

	// A rotated secret signs from now on; the old one no longer does.
	_, secret2, err := eps.RotateSecret(ctx, shop.Owner, ep.ID)
	if err != nil || secret2 == secret {
		t.Fatalf("rotate: %v", err)
	}
	fetch.Fetch(ctx, &scripting.Request{Endpoint: "crm", Method: "GET", Path: "/text", Timeout: scripting.Millis(time.Second)})
	last := svc.requests()[len(svc.requests())-1]
	if webhooks.Verify(calls.SignedPayload("GET", last.URI, nil), last.Signature, secret2, webhooks.DefaultTolerance) != nil ||
		webhooks.Verify(calls.SignedPayload("GET", last.URI, nil), last.Signature, secret, webhooks.DefaultTolerance) == nil {
		t.Fatal("the rotated secret does not sign alone")
	}
	if _, _, err := eps.Create(ctx, shop.Owner, calls.EndpointInput{Name: "crm", URL: svc.URL + "/v2"}); !isCode(err, tenants.EConflict) {
		t.Fatalf("a second endpoint named crm: %v", err)
	}
	if err := eps.Delete(ctx, shop.Owner, ep.ID); err != nil {
		t.Fatal(err)
	}
	res = fetch.Fetch(ctx, &scripting.Request{Endpoint: "crm", Method: "GET", Path: "/text", Timeout: scripting.Millis(time.Second)})
	if !strings.Contains(res.Failure, "no endpoint named") {
		t.Fatalf("after delete: %+v", res)
	}
}

func isCode(err error, code string) bool {
	var te *tenants.Error
	return errors.As(err, &te) && te.Code == code
}

const promiseScript = `export default {
  start: "balance",
  lang: "zh-CN",
  states: {
    balance: {
      http: { endpoint: "crm", path: "/accounts/${c.contact.name}/balance", as: "bal", timeout: "2s", failed: "sorry" },
      say: c => "您好,您的待还金额是" + c.http.bal.data.amount + "元,今天能还吗?",
      on: { affirm: "promise", deny: "sorry" },
    },
    promise: {
      http: { endpoint: "crm", method: "POST", path: "/promises", body: c => ({ amount: c.http.bal.data.amount }) },
      say: "好的,已记录,编号\${c.http.crm.data.id},再见。",
      end: "promised",
    },
    sorry: { say: "抱歉,稍后再联系您。", end: "callback", callbackIn: "2h" },
  },
};`

// A call over SIP whose script looks up the callee's balance in the
// tenant's system before it greets them and posts the promise to pay they
// make: the callee hears the amount, the promise reaches the service, and
// the call's turns record each request with its status.
func TestACallsScriptReadsAndWritesTheTenantsSystem(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed (apt-get install espeak-ng): the callee simulator cannot speak")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	st := newSpeechTenant(t, ctx)
	version := publishScript(t, ctx, st.store, st.p, "还款", promiseScript)
	svc := newTenantService(t)
	eps := &calls.Endpoints{DB: st.store.DB, Client: svc.client(true), AllowPrivate: true}
	if _, _, err := eps.Create(ctx, st.p, calls.EndpointInput{Name: "crm", URL: svc.URL + "/crm"}); err != nil {
		t.Fatal(err)
	}
	sim, sip := simulatedCallee(t, ctx, calleesim.Persona{Name: "promises", Voice: "cmn", Lines: []calleesim.Line{{Say: "是的"}}, HoldMS: 12000}, telephony.SimulationRecognizer{})
	placer := calls.New(calls.Options{SIP: sip, Scripts: st.store, Hosts: st.hosts, Trunk: sim.Trunk(), Speech: st.speech, Endpoints: eps,
		RingTimeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	req := st.placement()
	req.ScriptVersion = version.ID.String()
	res, err := placer.Place(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeAnswered || res.FinalState != "promise" || len(res.Turns) != 2 {
		t.Fatalf("outcome %s in state %q after %d turns (%s)", res.Outcome, res.FinalState, len(res.Turns), res.Reason)
	}
	if !strings.Contains(res.Turns[0].Said, "您的待还金额是1280.5元") || !strings.Contains(res.Turns[1].Said, "编号P-77") {
		t.Fatalf("said %q, then %q", res.Turns[0].Said, res.Turns[1].Said)
	}
	var first, second []scripting.RequestUse
	if json.Unmarshal(res.Turns[0].Requests, &first) != nil || len(first) != 1 || first[0].Status != 200 || first[0].Method != "GET" || first[0].Endpoint != "crm" {
		t.Fatalf("the greeting's requests: %s", res.Turns[0].Requests)
	}
	if json.Unmarshal(res.Turns[1].Requests, &second) != nil || len(second) != 1 || second[0].Status != 201 || second[0].Method != "POST" || second[0].Path != "/promises" {
		t.Fatalf("the promise's requests: %s", res.Turns[1].Requests)
	}
	seen := svc.requests()
	if len(seen) != 2 || seen[0].URI != "/crm/accounts/%E7%8E%8B%E5%85%88%E7%94%9F/balance" || string(seen[1].Body) != `{"amount":1280.5}` {
		t.Fatalf("the service saw %+v", seen)
	}
}
