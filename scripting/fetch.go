package scripting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/grafana/sobek"
)

// A state may declare `http`: on entering it, before it says anything, the
// call asks one of the tenant's registered endpoints and the state's words
// and handlers read the answer as c.http[as]:
//
//	balance: {
//	  http: { endpoint: "crm", path: "/accounts/${c.contact.account}/balance",
//	          timeout: "1500ms", as: "balance", failed: "sorry" },
//	  say: c => `您的待还金额是${c.http.balance.data.amount}元。`,
//	  on: { affirm: "confirm" },
//	},
//
// endpoint names an endpoint the tenant registered (its HTTPS base URL and
// signing secret live with the tenant, never in the script); path is
// appended to it (a string with ${c.path} placeholders, each escaped as a
// path segment, or a function of the context); method is GET (default),
// POST, PUT, PATCH or DELETE; body (an object or a function returning one)
// is sent as JSON; timeout is 100 ms to MaxRequestTimeout (default
// DefaultRequestTimeout); as names the answer in c.http (default: the
// endpoint's name). A request that fails — refused, timed out, a status
// outside 2xx, too many in one call — sets c.http[as].ok to false with
// its error, and goes to the state named by failed when there is one.
//
// The engine does not reach the network itself: a session opened with
// SessionOptions.HTTP returns the step with Step.Request set and waits; the
// caller makes the request (calls.Endpoints in the service) and hands the
// Response to Session.Respond, which finishes the step. A session without
// it answers every request as failed. Every request, with its status and
// latency, is in Step.Requests.

// DefaultRequestTimeout is a request's timeout when its state names none;
// MaxRequestTimeout the longest it may name.
const (
	DefaultRequestTimeout = 2 * time.Second
	MaxRequestTimeout     = 5 * time.Second
)

// MaxRequestsPerCall is how many requests one call may make; the ones past
// it fail without being sent.
const MaxRequestsPerCall = 20

// MaxResponseBytes caps the answer a script sees (the caller reads no more).
const MaxResponseBytes = 64 << 10

// Request is a state's `http`, rendered for this call: what the caller is
// to send to the tenant's endpoint.
type Request struct {
	State    string          `json:"state"`
	Endpoint string          `json:"endpoint"`
	Method   string          `json:"method"`
	Path     string          `json:"path"`
	Body     json.RawMessage `json:"body,omitempty"`
	Timeout  Millis          `json:"timeout"`
	As       string          `json:"as"`
}

// Response is what became of a Request. Failure is set when it did not
// succeed (no answer, refused, a status outside 2xx: then Status is set
// too); Data is the answer's body as JSON (a body that is not JSON comes
// as a JSON string).
type Response struct {
	Status  int             `json:"status,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
	Failure string          `json:"failure,omitempty"`
	Latency Millis          `json:"latency"`
}

// Fetcher makes a script's requests: the service's is calls.Endpoints, a
// tenant's registered endpoints only.
type Fetcher interface {
	Fetch(ctx context.Context, r *Request) Response
}

// RequestUse is one request a turn made, as the call's record keeps it: no
// body either way, only where it went and what became of it.
type RequestUse struct {
	Endpoint  string  `json:"endpoint"`
	Method    string  `json:"method"`
	Path      string  `json:"path"`
	Status    int     `json:"status,omitempty"`
	LatencyMS float64 `json:"latencyMs"`
	Failure   string  `json:"failure,omitempty"`
	// Failed is the state the failure sent the call to ("" when none).
	Failed string `json:"failed,omitempty"`
}

// ErrNoFetcher is the failure of every request of a session opened
// without SessionOptions.HTTP.
const noFetcher = "requests are not made here (no endpoint caller)"

// stateRequest is a state's `http` as compiled.
type stateRequest struct {
	Endpoint string
	Method   string
	Path     string // template, when not PathFunc
	PathFunc bool
	Body     bool // the state has a body (object or function)
	Timeout  time.Duration
	As       string
	Failed   string
	At       int
	FailedAt int
}

var endpointName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ValidEndpointName reports whether name can name a script endpoint (and
// an answer in c.http): lower-case letters, digits and _, starting with a
// letter, at most 40.
func ValidEndpointName(name string) bool { return endpointName.MatchString(name) }

// loadRequest compiles a state's `http`.
func loadRequest(v sobek.Value, at int, name string, bad func(int, string, string, ...any)) *stateRequest {
	o, ok := v.(*sobek.Object)
	if !ok {
		bad(at, name, "state %s: http must be an object { endpoint, path, method, body, timeout, as, failed }", name)
		return nil
	}
	r := &stateRequest{Method: "GET", Timeout: DefaultRequestTimeout, At: at, FailedAt: at}
	for _, k := range o.Keys() {
		switch k {
		case "endpoint", "path", "method", "body", "timeout", "as", "failed":
		default:
			bad(at, name, "state %s: http has an unknown field %q (known: endpoint, path, method, body, timeout, as, failed)", name, k)
		}
	}
	if e := o.Get("endpoint"); isSet(e) {
		r.Endpoint = e.String()
	}
	if !endpointName.MatchString(r.Endpoint) {
		bad(at, name, "state %s: http.endpoint names one of the tenant's registered endpoints (lower-case letters, digits and _), not %q", name, r.Endpoint)
	}
	if p := o.Get("path"); isSet(p) {
		if _, isFn := sobek.AssertFunction(p); isFn {
			r.PathFunc = true
		} else {
			r.Path = p.String()
			if err := checkTemplate(r.Path); err != nil {
				bad(at, name, "state %s: http.path: %v", name, err)
			} else if !strings.HasPrefix(r.Path, "/") && r.Path != "" {
				bad(at, name, "state %s: http.path must start with /, not %q", name, r.Path)
			}
		}
	}
	if m := o.Get("method"); isSet(m) {
		r.Method = strings.ToUpper(m.String())
		switch r.Method {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		default:
			bad(at, name, "state %s: http.method must be GET, POST, PUT, PATCH or DELETE, not %q", name, m.String())
		}
	}
	if b := o.Get("body"); isSet(b) {
		r.Body = true
		if r.Method == "GET" {
			bad(at, name, "state %s: a GET request has no body: give http a method (POST, PUT, PATCH)", name)
		}
	}
	if t := o.Get("timeout"); isSet(t) {
		d, err := time.ParseDuration(t.String())
		switch {
		case err != nil:
			bad(at, name, "state %s: http.timeout %q is not a duration (\"1500ms\", \"2s\")", name, t.String())
		case d < 100*time.Millisecond || d > MaxRequestTimeout:
			bad(at, name, "state %s: http.timeout must be from 100ms to %s, not %s", name, MaxRequestTimeout, d)
		default:
			r.Timeout = d
		}
	}
	r.As = r.Endpoint
	if a := o.Get("as"); isSet(a) {
		r.As = a.String()
		if !endpointName.MatchString(r.As) {
			bad(at, name, "state %s: http.as names the answer in c.http (lower-case letters, digits and _), not %q", name, r.As)
		}
	}
	if f := o.Get("failed"); isSet(f) {
		if _, isObj := f.(*sobek.Object); isObj {
			bad(at, name, "state %s: http.failed must be a state name", name)
		} else {
			r.Failed = f.String()
		}
	}
	return r
}

// request renders the state's `http` for this call.
func (s *Session) request(st *state, t *Step) (*Request, error) {
	sr := st.Request
	r := &Request{State: st.Name, Endpoint: sr.Endpoint, Method: sr.Method, Timeout: Millis(sr.Timeout), As: sr.As}
	if sr.PathFunc {
		v, err := s.call(func() (sobek.Value, error) { return s.get("states", st.Name, "http", "path") }, t, Understanding{})
		if err != nil {
			return nil, err
		}
		r.Path = valueString(v)
	} else {
		// Each placeholder's value is one path segment.
		r.Path = s.renderWith(sr.Path, t, Understanding{}, url.PathEscape)
	}
	if sr.Body {
		v, err := s.call(func() (sobek.Value, error) { return s.get("states", st.Name, "http", "body") }, t, Understanding{})
		if err != nil {
			return nil, err
		}
		j, err := s.sb.json(v)
		if err != nil {
			return nil, &ScriptError{Kind: "contract", Message: fmt.Sprintf("state %s: http.body must be JSON: %v", st.Name, err), Line: s.line(sr.At), Column: s.col(sr.At)}
		}
		if len(j) > MaxResponseBytes {
			return nil, &ScriptError{Kind: "contract", Message: fmt.Sprintf("state %s: http.body is %d bytes as JSON; the limit is %d", st.Name, len(j), MaxResponseBytes), Line: s.line(sr.At), Column: s.col(sr.At)}
		}
		r.Body = json.RawMessage(j)
	}
	if err := checkPath(r.Path); err != nil {
		return nil, &ScriptError{Kind: "contract", Message: fmt.Sprintf("state %s: http.path %v", st.Name, err), Line: s.line(sr.At), Column: s.col(sr.At)}
	}
	return r, nil
}

// checkPath accepts a path (and query) to append to an endpoint's base
// URL: it must start with "/" and must not climb out of the base.
func checkPath(p string) error {
	if p == "" {
		return nil
	}
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return fmt.Errorf("%q must start with a single /", p)
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return fmt.Errorf("%q is not a path", p)
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == ".." || seg == "." {
			return fmt.Errorf("%q must not contain . or .. segments", p)
		}
	}
	if strings.ContainsAny(p, "\\\r\n\t #") {
		return fmt.Errorf("%q contains a character a path cannot", p)
	}
	return nil
}

// fetch starts the state's request on entering it: it reports true when
// the step now waits for Respond. A session that cannot make requests, or
// a call past MaxRequestsPerCall, gets its failure at once.
func (s *Session) fetch(st *state, t *Step) (bool, error) {
	r, err := s.request(st, t)
	if err != nil {
		return false, err
	}
	switch {
	case !s.opts.HTTP:
		return false, s.answer(st, t, r, Response{Failure: noFetcher})
	case s.requests >= MaxRequestsPerCall:
		return false, s.answer(st, t, r, Response{Failure: fmt.Sprintf("the call has made its %d requests", MaxRequestsPerCall)})
	}
	s.requests++
	t.Request = r
	s.pending = &pendingTurn{step: t, fetch: r}
	return true, nil
}

// Respond finishes a step that waits for a request (Step.Request) with
// what became of it, and returns the step.
func (s *Session) Respond(res Response) (*Step, error) {
	p := s.pending
	if p == nil || p.fetch == nil {
		return nil, errors.New("no turn waits for a request's answer")
	}
	s.pending = nil
	t := p.step
	t.Request = nil
	st := s.script.dialog.States[p.fetch.State]
	s.run(t, func() error { return s.answer(st, t, p.fetch, res) })
	s.settle(t)
	return t, nil
}

// answer keeps a request's answer in c.http and goes on with the state:
// its words, or the state its failure names.
func (s *Session) answer(st *state, t *Step, r *Request, res Response) error {
	use := RequestUse{Endpoint: r.Endpoint, Method: r.Method, Path: redactedPath(r.Path), Status: res.Status,
		LatencyMS: float64(res.Latency.Duration().Microseconds()) / 1000, Failure: res.Failure}
	if res.Failure == "" && (res.Status < 200 || res.Status > 299) {
		use.Failure = fmt.Sprintf("status %d", res.Status)
	}
	ok := use.Failure == ""
	data := res.Data
	if len(data) == 0 || !json.Valid(data) || len(data) > MaxResponseBytes {
		data = json.RawMessage("null")
	}
	v := map[string]any{"ok": ok, "status": res.Status, "data": data}
	if !ok {
		v["error"] = use.Failure
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if s.fetched == nil {
		s.fetched = map[string]json.RawMessage{}
	}
	s.fetched[r.As] = b
	if s.jsc != nil {
		if err := s.setHTTP(); err != nil {
			return err
		}
	}
	failed := !ok && st.Request.Failed != "" && st.Request.Failed != st.Name
	if failed {
		use.Failed = st.Request.Failed
	}
	t.Requests = append(t.Requests, use)
	if failed {
		t.Via = "http.failed"
		return s.enter(st.Request.Failed, t)
	}
	return s.speak(st, t)
}

// setHTTP gives the context c.http, the answers so far.
func (s *Session) setHTTP() error {
	vm := s.sb.vm
	o := vm.NewObject()
	for k, b := range s.fetched {
		v, err := s.sb.parse(sobek.Undefined(), vm.ToValue(string(b)))
		if err != nil {
			return err
		}
		_ = o.Set(k, v)
	}
	return s.jsc.Set("http", o)
}

// redactedPath keeps a request's path for the record with long digit runs
// (account, card and phone numbers) masked and the query left out.
func redactedPath(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i] + "?…"
	}
	kept, _ := RedactSecrets(p)
	return maskDigits(kept).(string)
}

// modelData is what the call's requests answered, as a model may see it
// (long digit runs masked, secrets redacted, as the contact is).
func (s *Session) modelData() map[string]any {
	if len(s.fetched) == 0 {
		return nil
	}
	out := make(map[string]any, len(s.fetched))
	for k, b := range s.fetched {
		var v any
		if json.Unmarshal(b, &v) == nil {
			v, _ = RedactValue(maskDigits(v))
			out[k] = v
		}
	}
	return out
}
