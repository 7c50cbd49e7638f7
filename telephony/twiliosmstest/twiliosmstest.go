// Package twiliosmstest is a test double of Twilio Programmable Messaging:
// an httptest server that follows the published REST API of version
// 2010-04-01 for the two requests a sender needs, creating a Message (a
// POST of a form to /2010-04-01/Accounts/{AccountSid}/Messages.json) and
// fetching one (a GET of …/Messages/{Sid}.json). It checks each request as
// Twilio does (HTTP Basic auth with the Account SID and Auth Token, the
// account in the path being the one authenticated, To in E.164, a sender
// the account owns, a Body) and answers in Twilio's JSON, a refusal as
// {"code", "message", "more_info", "status"} with the HTTP status Twilio
// gives it. Nothing is sent to any phone: every sid, segment count, date
// and carrier report it gives is its own, never a figure of Twilio's.
//
//	srv := twiliosmstest.NewServer("AC…", "token")
//	defer srv.Close()
//	srv.Approve("+14155550100", "{name},您的还款链接:{link}", []string{"name", "link"})
//	sms := &telephony.TwilioSMS{Endpoint: srv.URL, AccountSID: "AC…", AuthToken: "token"}
//
// It implements smstest.Double. Twilio has no templates: Approve registers
// a sender the account owns and a template's text as outcall keeps it,
// only so that Sent can tell which template and variables a Body was
// rendered from. The double refuses no Body for its template.
//
// It is narrower than Twilio in a few ways: it answers JSON only (the
// paths end in .json), it neither lists, updates nor deletes messages
// (405, code 20004), it takes Messaging Service SIDs and senders without
// modelling a service's sender pool (a message sent through a service
// keeps a null from; a request naming both a From and a
// MessagingServiceSid, which Twilio takes when the From is in the
// service's pool, is taken when both are registered), and it neither
// schedules, shortens links nor applies Smart Encoding.
package twiliosmstest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/smstest"
)

// APIVersion is the API version the double serves.
const APIVersion = "2010-04-01"

// DateLayout is the layout of a Message resource's dates (RFC 2822, GMT).
const DateLayout = time.RFC1123Z

// MaxBody is the longest Body Twilio takes, in characters.
const MaxBody = 1600

// Request is a request the double answered.
type Request struct {
	Method string
	// Path is the URL's path as received.
	Path string
	// ContentType is the request's Content-Type header.
	ContentType string
	// Form is the form received in a POST's body.
	Form url.Values
	// Status is the HTTP status the double answered, and Code Twilio's
	// error code in it (0 when none).
	Status int
	Code   int
}

// Server is the double, listening on loopback.
type Server struct {
	// URL is http://127.0.0.1:port, the client's Endpoint.
	URL string

	srv                   *httptest.Server
	accountSID, authToken string

	mu        sync.Mutex
	senders   map[string]bool
	templates []template
	outcomes  map[string]outcome
	throttle  int
	messages  []*message
	requests  []Request
}

// outcome is what the carrier reports for a number's messages.
type outcome struct {
	status, code string
}

// message is a Message resource the double created.
type message struct {
	sid, to, from, service, body string
	status                       string
	segments                     int
	created, sent, updated       time.Time
	errorCode                    int
	final                        bool
}

// NewServer starts a double that knows one account and its Auth Token.
func NewServer(accountSID, authToken string) *Server {
	s := &Server{accountSID: accountSID, authToken: authToken, senders: map[string]bool{}, outcomes: map[string]outcome{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the double.
func (s *Server) Close() { s.srv.Close() }

// Approve registers sign as a sender the account owns (a number in E.164,
// an alphanumeric sender ID, or a Messaging Service SID, MG…) and text
// as the text of a template outcall sends, its variables written {name};
// vars is not needed, the text names them. Either may be "".
func (s *Server) Approve(sign, text string, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sign != "" {
		s.senders[sign] = true
	}
	if text != "" && !slices.ContainsFunc(s.templates, func(t template) bool { return t.text == text }) {
		s.templates = append(s.templates, compileTemplate(text))
	}
}

// Report sets what the carrier reports for number's messages that have
// not reached a final status yet: telephony.SMSDelivered (the default:
// delivered), telephony.SMSFailed (undelivered, with code as error_code
// when it is a number, else 30008, Twilio's unknown error) or
// telephony.SMSPending (sent, no report yet). A delivered or undelivered
// message stays so.
func (s *Server) Report(number, status, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcomes[number] = outcome{status: status, code: code}
}

// Throttle has the next n messages refused with HTTP 429, code 20429,
// Twilio's answer to too many requests.
func (s *Server) Throttle(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = n
}

// Sent lists the messages the double accepted, in order, as it
// understood them: SignName is the From or the MessagingServiceSid;
// Template and Params are those of the registered template whose
// rendering the Body is (Template "" when none is); OutID is always "",
// as Twilio carries none.
func (s *Server) Sent() []smstest.Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]smstest.Sent, 0, len(s.messages))
	for _, m := range s.messages {
		sign := m.from
		if m.service != "" {
			sign = m.service
		}
		c := smstest.Sent{To: m.to, SignName: sign, ProviderID: m.sid}
		best := -1
		for _, t := range s.templates {
			if params, ok := t.match(m.body); ok && t.literal > best {
				c.Template, c.Params, best = t.text, params, t.literal
			}
		}
		out = append(out, c)
	}
	return out
}

// Bodies lists the Body of each message the double accepted, in order.
func (s *Server) Bodies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.messages))
	for _, m := range s.messages {
		out = append(out, m.body)
	}
	return out
}

// Requests lists the requests the double answered, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.requests)
	for i := range out {
		out[i].Form = maps.Clone(out[i].Form)
	}
	return out
}

// template is a registered template's text, as a matcher of the Bodies
// rendered from it.
type template struct {
	text  string
	re    *regexp.Regexp
	names []string
	// literal is how much of the text is not a variable: the more, the
	// closer a match.
	literal int
}

// placeholder is a variable in a template's text, as outcall writes it.
var placeholder = regexp.MustCompile(`\{([\p{L}\p{N}_.-]{1,64})\}`)

// compileTemplate turns text into a regular expression in which each
// variable is a non-greedy group and the rest is matched as it is.
func compileTemplate(text string) template {
	t := template{text: text}
	var b strings.Builder
	b.WriteString(`(?s)^`)
	last := 0
	for _, m := range placeholder.FindAllStringSubmatchIndex(text, -1) {
		b.WriteString(regexp.QuoteMeta(text[last:m[0]]))
		t.literal += m[0] - last
		b.WriteString(`(.*?)`)
		t.names = append(t.names, text[m[2]:m[3]])
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(text[last:]))
	t.literal += len(text) - last
	b.WriteString(`$`)
	t.re = regexp.MustCompile(b.String())
	return t
}

// match recovers the variables body was rendered with; a variable written
// twice must have the same value both times.
func (t template) match(body string) (map[string]string, bool) {
	sm := t.re.FindStringSubmatch(body)
	if sm == nil {
		return nil, false
	}
	params := make(map[string]string, len(t.names))
	for i, name := range t.names {
		if v, ok := params[name]; ok && v != sm[i+1] {
			return nil, false
		}
		params[name] = sm[i+1]
	}
	return params, true
}

// refusal is Twilio's error answer.
type refusal struct {
	status  int
	code    int
	message string
}

func refuse(status, code int, format string, args ...any) *refusal {
	return &refusal{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	status, answer, refused := s.handle(r)
	rec := Request{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Form: maps.Clone(r.PostForm), Status: status}
	var body any = answer
	if refused != nil {
		rec.Status, rec.Code = refused.status, refused.code
		e := map[string]any{"code": refused.code, "message": refused.message,
			"more_info": "https://www.twilio.com/docs/errors/" + strconv.Itoa(refused.code), "status": refused.status}
		if refused.code == 20003 && refused.status == http.StatusUnauthorized {
			e["detail"] = "Your AccountSid or AuthToken was incorrect."
			w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		}
		status, body = refused.status, e
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body)
}

// handle authenticates the request, routes it and answers it.
func (s *Server) handle(r *http.Request) (int, map[string]any, *refusal) {
	user, pass, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(s.accountSID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.authToken)) != 1 {
		return 0, nil, refuse(http.StatusUnauthorized, 20003, "Authenticate")
	}
	notFound := refuse(http.StatusNotFound, 20404, "The requested resource %s was not found", r.URL.Path)
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+APIVersion+"/Accounts/")
	if !ok {
		return 0, nil, notFound
	}
	account, resource, _ := strings.Cut(rest, "/")
	if strings.TrimSuffix(account, ".json") != s.accountSID {
		return 0, nil, refuse(http.StatusForbidden, 20003, "Authenticate")
	}
	switch {
	case resource == "Messages.json":
		if r.Method != http.MethodPost {
			return 0, nil, refuse(http.StatusMethodNotAllowed, 20004, "Method not allowed: the double does not list messages")
		}
		return s.create(r)
	case strings.HasPrefix(resource, "Messages/") && strings.HasSuffix(resource, ".json") && !strings.Contains(resource[len("Messages/"):], "/"):
		if r.Method != http.MethodGet {
			return 0, nil, refuse(http.StatusMethodNotAllowed, 20004, "Method not allowed: the double neither updates nor deletes messages")
		}
		sid := strings.TrimSuffix(strings.TrimPrefix(resource, "Messages/"), ".json")
		return s.fetch(sid, notFound)
	}
	return 0, nil, notFound
}

// create is a POST to Messages.json: a message sent.
func (s *Server) create(r *http.Request) (int, map[string]any, *refusal) {
	// Form fields travel in the body; a body of another type has none.
	if err := r.ParseForm(); err != nil {
		return 0, nil, refuse(http.StatusBadRequest, 21604, "A 'To' phone number is required.")
	}
	form := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.throttle > 0 {
		s.throttle--
		return 0, nil, refuse(http.StatusTooManyRequests, 20429, "Too Many Requests")
	}
	to, from, service, body := form.Get("To"), form.Get("From"), form.Get("MessagingServiceSid"), form.Get("Body")
	switch {
	case to == "":
		return 0, nil, refuse(http.StatusBadRequest, 21604, "A 'To' phone number is required.")
	case !e164.MatchString(to):
		return 0, nil, refuse(http.StatusBadRequest, 21211, "The 'To' number %s is not a valid phone number.", to)
	case from == "" && service == "":
		return 0, nil, refuse(http.StatusBadRequest, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message")
	case service != "" && !s.senders[service]:
		return 0, nil, refuse(http.StatusBadRequest, 21705, "Invalid Messaging Service SID")
	case from != "" && !s.senders[from]:
		return 0, nil, refuse(http.StatusBadRequest, 21659, "'From' %s is not a Twilio phone number or Short Code country mismatch", from)
	case body == "":
		return 0, nil, refuse(http.StatusBadRequest, 21602, "Message body is required.")
	case utf8.RuneCountInString(body) > MaxBody:
		return 0, nil, refuse(http.StatusBadRequest, 21617, "The concatenated message body exceeds the %d character limit.", MaxBody)
	}
	now := time.Now().UTC().Truncate(time.Second)
	m := &message{sid: sid(), to: to, from: from, service: service, body: body, created: now, updated: now}
	if service != "" {
		// A service chooses its sender later: until then the message is
		// accepted and its segments are not counted.
		m.status = "accepted"
	} else {
		m.status = "queued"
		m.segments = Segments(body)
	}
	s.messages = append(s.messages, m)
	return http.StatusCreated, s.resource(m), nil
}

// fetch is a GET of a message: the carrier's report, once there is one.
func (s *Server) fetch(sid string, notFound *refusal) (int, map[string]any, *refusal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.messages, func(m *message) bool { return m.sid == sid })
	if i < 0 {
		return 0, nil, notFound
	}
	m := s.messages[i]
	if !m.final {
		now := time.Now().UTC().Truncate(time.Second)
		o, ok := s.outcomes[m.to]
		if !ok {
			o = outcome{status: telephony.SMSDelivered}
		}
		if m.sent.IsZero() {
			m.sent, m.segments = now, Segments(m.body)
		}
		switch o.status {
		case telephony.SMSDelivered:
			m.status, m.final = "delivered", true
		case telephony.SMSFailed:
			m.status, m.final, m.errorCode = "undelivered", true, 30008
			if n, err := strconv.Atoi(o.code); err == nil && n > 0 {
				m.errorCode = n
			}
		default:
			m.status = "sent"
		}
		m.updated = now
	}
	return http.StatusOK, s.resource(m), nil
}

// errorMessages are the descriptions of the delivery errors the double
// names.
var errorMessages = map[int]string{
	30001: "Queue overflow",
	30002: "Account suspended",
	30003: "Unreachable destination handset",
	30004: "Message blocked",
	30005: "Unknown destination handset",
	30006: "Landline or unreachable carrier",
	30007: "Message filtered",
	30008: "Unknown error",
}

// resource is m as Twilio's JSON writes a Message.
func (s *Server) resource(m *message) map[string]any {
	uri := "/" + APIVersion + "/Accounts/" + s.accountSID + "/Messages/" + m.sid
	orNull := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	var sent, code, codeMessage any
	if !m.sent.IsZero() {
		sent = m.sent.Format(DateLayout)
	}
	if m.errorCode != 0 {
		code = m.errorCode
		codeMessage = orNull(errorMessages[m.errorCode])
	}
	return map[string]any{
		"account_sid":           s.accountSID,
		"api_version":           APIVersion,
		"body":                  m.body,
		"date_created":          m.created.Format(DateLayout),
		"date_sent":             sent,
		"date_updated":          m.updated.Format(DateLayout),
		"direction":             "outbound-api",
		"error_code":            code,
		"error_message":         codeMessage,
		"from":                  orNull(m.from),
		"messaging_service_sid": orNull(m.service),
		"num_media":             "0",
		"num_segments":          strconv.Itoa(m.segments),
		"price":                 nil,
		"price_unit":            "USD",
		"sid":                   m.sid,
		"status":                m.status,
		"subresource_uris":      map[string]any{"media": uri + "/Media.json"},
		"to":                    m.to,
		"uri":                   uri + ".json",
	}
}

// sid makes a Message SID: SM and 32 hex digits.
func sid() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return "SM" + hex.EncodeToString(b[:])
}

// gsmBasic and gsmExtension are the GSM 03.38 default alphabet and its
// extension table, whose characters take two septets (an escape and
// themselves).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "\f^{}\\[~]|€"
)

// Segments counts the SMS segments body is sent as, as Twilio bills
// them. Text entirely in the GSM-7 alphabet is one segment up to 160
// septets, else segments of 153 (the rest carries the concatenation
// header); anything else is UCS-2, one segment up to 70 UTF-16 units,
// else segments of 67. A character is never split between two segments
// (an extension character's escape stays with it, a surrogate pair
// together).
func Segments(body string) int {
	if body == "" {
		return 0
	}
	gsm := true
	for _, c := range body {
		if !strings.ContainsRune(gsmBasic, c) && !strings.ContainsRune(gsmExtension, c) {
			gsm = false
			break
		}
	}
	single, multi := 70, 67
	if gsm {
		single, multi = 160, 153
	}
	weight := func(c rune) int {
		switch {
		case gsm && strings.ContainsRune(gsmExtension, c):
			return 2
		case !gsm && c > 0xFFFF:
			return 2
		}
		return 1
	}
	total := 0
	for _, c := range body {
		total += weight(c)
	}
	if total <= single {
		return 1
	}
	segments, used := 1, 0
	for _, c := range body {
		w := weight(c)
		if used+w > multi {
			segments, used = segments+1, 0
		}
		used += w
	}
	return segments
}
