// Package tencentsmstest is a test double of Tencent Cloud SMS (腾讯云短信):
// an httptest server that follows the published API 3.0 protocol of the
// service "sms", version 2021-01-11, for the two actions a sender needs,
// SendSms and PullSmsSendStatusByPhoneNumber. It checks each request as
// the service does (POST with a JSON body, the X-TC-* headers, the
// TC3-HMAC-SHA256 signature recomputed from the request received, the
// timestamp within five minutes, the SecretId, the SdkAppId, the approved
// signature and template and the template's variable count) and answers
// with the service's codes, a refused request in Response.Error with HTTP
// 200 as Tencent does. Nothing is sent to any phone: every SerialNo, fee
// and carrier report it gives is its own, never a figure of Tencent's.
//
//	srv := tencentsmstest.NewServer("AKIDexample", "secret", "1400000001")
//	defer srv.Close()
//	srv.Approve("外呼测试", "1110", []string{"name", "link"})
//	sms := &telephony.TencentSMS{Endpoint: srv.URL, SecretID: "AKIDexample", SecretKey: "secret", SdkAppID: "1400000001"}
//
// It implements smstest.Double. It is stricter than the service in one
// way: a number must be E.164 (+8613800000000), where the service also
// takes a mainland number as 86…, 0086… or its eleven digits alone.
package tencentsmstest

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/smstest"
)

// Version is the API version the double speaks.
const Version = "2021-01-11"

// MaxSkew is how far X-TC-Timestamp may be from the double's clock.
const MaxSkew = 5 * time.Minute

// Request is one request the double answered.
type Request struct {
	Action string
	Region string
	// Body is the JSON body as received.
	Body string
	// Code is the Response.Error code the double answered, "" when none.
	Code string
}

// Server is the double, listening on loopback.
type Server struct {
	// URL is http://127.0.0.1:port/, the client's Endpoint.
	URL string

	srv                           *httptest.Server
	secretID, secretKey, sdkAppID string

	mu        sync.Mutex
	signs     map[string]bool
	templates map[string][]string
	outcomes  map[string]outcome
	throttle  int
	messages  []*message
	requests  []Request
}

// outcome is what the carrier reports for a number's messages.
type outcome struct {
	status, code string
}

// message is a number's message the double accepted.
type message struct {
	sent   smstest.Sent
	at     time.Time
	report *report
}

// report is a carrier's report, fixed once the double first gives it.
type report struct {
	status, description string
	at                  time.Time
}

// NewServer starts a double that knows one key pair and one SMS
// application.
func NewServer(secretID, secretKey, sdkAppID string) *Server {
	s := &Server{secretID: secretID, secretKey: secretKey, sdkAppID: sdkAppID,
		signs: map[string]bool{}, templates: map[string][]string{}, outcomes: map[string]outcome{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/"
	return s
}

// Close stops the double.
func (s *Server) Close() { s.srv.Close() }

// Approve approves a signature (its content, as SendSms names it) and a
// template with its variables in the template's order: the first is {1},
// the second {2}, and so on.
func (s *Server) Approve(sign, template string, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signs[sign] = true
	s.templates[template] = slices.Clone(vars)
}

// Report sets what the carrier reports for number's messages that have
// not been reported yet: telephony.SMSDelivered (the default: SUCCESS,
// "DELIVRD"), telephony.SMSFailed (FAIL, with code as its Description) or
// telephony.SMSPending (no report yet). A message's report does not change
// once PullSmsSendStatusByPhoneNumber has given it.
func (s *Server) Report(number, status, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcomes[number] = outcome{status: status, code: code}
}

// Throttle has the next n SendSms requests refused with
// RequestLimitExceeded, the API's answer to too many requests.
func (s *Server) Throttle(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = n
}

// Sent lists the messages the double accepted, in order, their variables
// named as Approve named them.
func (s *Server) Sent() []smstest.Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]smstest.Sent, 0, len(s.messages))
	for _, m := range s.messages {
		c := m.sent
		c.Params = make(map[string]string, len(m.sent.Params))
		for k, v := range m.sent.Params {
			c.Params[k] = v
		}
		out = append(out, c)
	}
	return out
}

// Requests lists the requests the double answered, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// apiError is a refusal as Response.Error.
type apiError struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

func refuse(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

var (
	e164      = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	credScope = regexp.MustCompile(`^([^/]+)/([0-9]{4}-[0-9]{2}-[0-9]{2})/([^/]+)/([^/]+)$`)
	regions   = map[string]bool{"ap-guangzhou": true, "ap-beijing": true, "ap-nanjing": true, "ap-singapore": true}
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action := r.Header.Get("X-TC-Action")
	answer, refusal := s.handle(r, action, body)
	resp := map[string]any{}
	if refusal != nil {
		resp["Error"] = refusal
	} else {
		for k, v := range answer {
			resp[k] = v
		}
	}
	resp["RequestId"] = uuid.NewString()
	rec := Request{Action: action, Region: r.Header.Get("X-TC-Region"), Body: string(body)}
	if refusal != nil {
		rec.Code = refusal.Code
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	// The service answers refusals with HTTP 200 too.
	_ = json.NewEncoder(w).Encode(map[string]any{"Response": resp})
}

// handle checks the request as the API's gateway does, then runs the
// action.
func (s *Server) handle(r *http.Request, action string, body []byte) (map[string]any, *apiError) {
	if r.Method != http.MethodPost {
		return nil, refuse("UnsupportedProtocol", "the double takes only POST requests with a JSON body, not %s", r.Method)
	}
	if r.URL.Path != "/" {
		return nil, refuse("InvalidParameter", "path %q: API 3.0 requests go to /", r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return nil, refuse("InvalidParameter", "Content-Type %q: a POST body is application/json", ct)
	}
	for _, h := range []string{"X-TC-Action", "X-TC-Version", "X-TC-Timestamp", "X-TC-Region"} {
		if r.Header.Get(h) == "" {
			return nil, refuse("MissingParameter", "the request is missing the %s header", h)
		}
	}
	if e := s.authenticate(r, body); e != nil {
		return nil, e
	}
	if v := r.Header.Get("X-TC-Version"); v != Version {
		return nil, refuse("NoSuchVersion", "version %q of sms does not exist; the double speaks %s", v, Version)
	}
	if region := r.Header.Get("X-TC-Region"); !regions[region] {
		return nil, refuse("UnsupportedRegion", "sms is not offered in region %q", region)
	}
	switch action {
	case "SendSms":
		var req struct {
			PhoneNumberSet   []string
			SmsSdkAppID      *string `json:"SmsSdkAppId"`
			TemplateID       *string `json:"TemplateId"`
			SignName         string
			TemplateParamSet []string
			ExtendCode       string
			SessionContext   string
			SenderID         string `json:"SenderId"`
		}
		if e := decode(body, &req); e != nil {
			return nil, e
		}
		if req.SmsSdkAppID == nil {
			return nil, refuse("MissingParameter", "the request is missing the SmsSdkAppId parameter")
		}
		if req.TemplateID == nil {
			return nil, refuse("MissingParameter", "the request is missing the TemplateId parameter")
		}
		return s.sendSms(*req.SmsSdkAppID, *req.TemplateID, req.SignName, req.PhoneNumberSet, req.TemplateParamSet, req.SessionContext)
	case "PullSmsSendStatusByPhoneNumber":
		var req struct {
			BeginTime   *int64
			EndTime     *int64
			Offset      *int64
			Limit       *int64
			PhoneNumber *string
			SmsSdkAppID *string `json:"SmsSdkAppId"`
		}
		if e := decode(body, &req); e != nil {
			return nil, e
		}
		for _, p := range []struct {
			name    string
			missing bool
		}{{"BeginTime", req.BeginTime == nil}, {"Offset", req.Offset == nil}, {"Limit", req.Limit == nil},
			{"PhoneNumber", req.PhoneNumber == nil}, {"SmsSdkAppId", req.SmsSdkAppID == nil}} {
			if p.missing {
				return nil, refuse("MissingParameter", "the request is missing the %s parameter", p.name)
			}
		}
		end := time.Now().Unix()
		if req.EndTime != nil {
			end = *req.EndTime
		}
		return s.pullStatus(*req.SmsSdkAppID, *req.PhoneNumber, *req.BeginTime, end, *req.Offset, *req.Limit)
	case "":
		return nil, refuse("MissingParameter", "the request is missing the X-TC-Action header")
	default:
		return nil, refuse("InvalidAction", "action %q does not exist in the double of sms", action)
	}
}

// authenticate checks the Authorization header as the service does: the
// algorithm, the credential's SecretId, date, service and terminator, the
// signed headers (content-type and host at least), the timestamp's age,
// and the signature recomputed from the request as received.
func (s *Server) authenticate(r *http.Request, body []byte) *apiError {
	auth := r.Header.Get("Authorization")
	algorithm, rest, ok := strings.Cut(auth, " ")
	if auth == "" || !ok || algorithm != "TC3-HMAC-SHA256" {
		return refuse("AuthFailure.InvalidAuthorization", "the Authorization header is not TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…")
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return refuse("AuthFailure.InvalidAuthorization", "the Authorization header has a part %q that is not key=value", part)
		}
		fields[k] = v
	}
	cred, signedHeaders, signature := fields["Credential"], fields["SignedHeaders"], fields["Signature"]
	scope := credScope.FindStringSubmatch(cred)
	if scope == nil || signedHeaders == "" || signature == "" {
		return refuse("AuthFailure.InvalidAuthorization", "the Authorization header lacks a Credential of SecretId/date/service/tc3_request, SignedHeaders or Signature")
	}
	id, date, service, terminator := scope[1], scope[2], scope[3], scope[4]
	if service != "sms" || terminator != "tc3_request" {
		return refuse("AuthFailure.InvalidAuthorization", "the credential scope names service %q and %q; want sms and tc3_request", service, terminator)
	}
	headers := strings.Split(signedHeaders, ";")
	if !slices.Contains(headers, "content-type") || !slices.Contains(headers, "host") {
		return refuse("AuthFailure.InvalidAuthorization", "SignedHeaders %q must include content-type and host", signedHeaders)
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return refuse("InvalidParameter", "X-TC-Timestamp %q is not Unix seconds", r.Header.Get("X-TC-Timestamp"))
	}
	stamp := time.Unix(ts, 0)
	if skew := time.Since(stamp); skew > MaxSkew || skew < -MaxSkew {
		return refuse("AuthFailure.SignatureExpire", "the signature has expired: X-TC-Timestamp %d is more than five minutes from the server's time %d", ts, time.Now().Unix())
	}
	if id != s.secretID {
		return refuse("AuthFailure.SecretIdNotFound", "the SecretId is not found; check that it is right and enabled")
	}
	if want := stamp.UTC().Format(time.DateOnly); date != want {
		return refuse("AuthFailure.SignatureFailure", "the credential's date %s is not X-TC-Timestamp's UTC date %s", date, want)
	}

	var canonicalHeaders strings.Builder
	for _, h := range headers {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		canonicalHeaders.WriteString(h + ":" + strings.ToLower(strings.TrimSpace(v)) + "\n")
	}
	bodyHash := sha256.Sum256(body)
	canonical := r.Method + "\n" + r.URL.EscapedPath() + "\n" + r.URL.RawQuery + "\n" +
		canonicalHeaders.String() + "\n" + signedHeaders + "\n" + hex.EncodeToString(bodyHash[:])
	canonicalHash := sha256.Sum256([]byte(canonical))
	toSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + date + "/sms/tc3_request\n" + hex.EncodeToString(canonicalHash[:])
	key := mac([]byte("TC3"+s.secretKey), date)
	key = mac(key, "sms")
	key = mac(key, "tc3_request")
	want := hex.EncodeToString(mac(key, toSign))
	if !hmac.Equal([]byte(want), []byte(signature)) {
		return refuse("AuthFailure.SignatureFailure", "the provided credentials could not be validated; check that the signature is computed as TC3-HMAC-SHA256 describes")
	}
	return nil
}

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// decode reads a JSON body strictly: a parameter the action does not
// have is UnknownParameter, a value of the wrong type InvalidParameter.
func decode(body []byte, v any) *apiError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if strings.Contains(err.Error(), "unknown field") {
			return refuse("UnknownParameter", "the request has a parameter the action does not take: %v", err)
		}
		return refuse("InvalidParameter", "the body is not the action's JSON: %v", err)
	}
	return nil
}

// sendSms is SendSms after the gateway's checks.
func (s *Server) sendSms(appID, templateID, sign string, numbers, params []string, session string) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.throttle > 0 {
		s.throttle--
		return nil, refuse("RequestLimitExceeded", "the request rate is over the action's limit; reduce the frequency of calls")
	}
	if appID != s.sdkAppID {
		return nil, refuse("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist")
	}
	if len(numbers) == 0 {
		return nil, refuse("MissingParameter.EmptyPhoneNumberSet", "PhoneNumberSet is empty")
	}
	if len(numbers) > 200 {
		return nil, refuse("LimitExceeded.PhoneNumberCountLimit", "PhoneNumberSet has %d numbers; at most 200", len(numbers))
	}
	if !s.signs[sign] {
		return nil, refuse("FailedOperation.SignatureIncorrectOrUnapproved", "the signature is not approved or is malformed")
	}
	vars, ok := s.templates[templateID]
	if !ok {
		return nil, refuse("FailedOperation.TemplateIncorrectOrUnapproved", "template %s is not approved or does not match", templateID)
	}
	if len(params) != len(vars) {
		return nil, refuse("FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
			"TemplateParamSet has %d values; template %s has %d variables", len(params), templateID, len(vars))
	}
	mainland, abroad := false, false
	for _, n := range numbers {
		if e164.MatchString(n) {
			if strings.HasPrefix(n, "+86") {
				mainland = true
			} else {
				abroad = true
			}
		}
	}
	if mainland && abroad {
		return nil, refuse("UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
			"PhoneNumberSet has both mainland and international numbers")
	}

	named := make(map[string]string, len(vars))
	for i, v := range vars {
		named[v] = params[i]
	}
	now := time.Now()
	statuses := make([]map[string]any, 0, len(numbers))
	for _, n := range numbers {
		if !e164.MatchString(n) {
			statuses = append(statuses, map[string]any{"SerialNo": "", "PhoneNumber": n, "Fee": 0, "SessionContext": session,
				"Code": "InvalidParameterValue.IncorrectPhoneNumber", "Message": "incorrect phone number", "IsoCode": "DEF"})
			continue
		}
		serial := serialNo()
		s.messages = append(s.messages, &message{at: now, sent: smstest.Sent{
			To: n, SignName: sign, Template: templateID, Params: named, OutID: session, ProviderID: serial}})
		statuses = append(statuses, map[string]any{"SerialNo": serial, "PhoneNumber": n, "Fee": 1, "SessionContext": session,
			"Code": "Ok", "Message": "send success", "IsoCode": isoCode(n)})
	}
	return map[string]any{"SendStatusSet": statuses}, nil
}

// pullStatus is PullSmsSendStatusByPhoneNumber after the gateway's
// checks: the number's reports of messages sent from begin to end.
func (s *Server) pullStatus(appID, number string, begin, end, offset, limit int64) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if appID != s.sdkAppID {
		return nil, refuse("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist")
	}
	if !e164.MatchString(number) {
		return nil, refuse("InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number")
	}
	now := time.Now()
	if begin < now.Add(-7*24*time.Hour).Unix() {
		return nil, refuse("InvalidParameterValue.BeginTimeVerifyFail", "BeginTime reaches back more than seven days")
	}
	if end < begin {
		return nil, refuse("InvalidParameterValue.EndTimeVerifyFail", "EndTime is before BeginTime")
	}
	if offset != 0 {
		return nil, refuse("InvalidParameterValue.OffsetVerifyFail", "Offset must be 0")
	}
	if limit < 1 || limit > 100 {
		return nil, refuse("InvalidParameterValue.LimitVerifyFail", "Limit must be from 1 to 100")
	}
	set := []map[string]any{}
	for _, m := range s.messages {
		if m.sent.To != number || m.at.Unix() < begin || m.at.Unix() > end {
			continue
		}
		if m.report == nil {
			o, ok := s.outcomes[number]
			if !ok {
				o = outcome{status: telephony.SMSDelivered}
			}
			switch o.status {
			case telephony.SMSDelivered:
				if o.code == "" {
					o.code = "DELIVRD"
				}
				m.report = &report{status: "SUCCESS", description: o.code, at: now}
			case telephony.SMSFailed:
				if o.code == "" {
					o.code = "UNDELIV"
				}
				m.report = &report{status: "FAIL", description: o.code, at: now}
			}
		}
		if m.report == nil {
			continue
		}
		country, subscriber := splitNumber(number)
		set = append(set, map[string]any{
			"UserReceiveTime": m.report.at.Unix(), "CountryCode": country, "SubscriberNumber": subscriber,
			"PhoneNumber": number, "SerialNo": m.sent.ProviderID, "ReportStatus": m.report.status,
			"Description": m.report.description, "SessionContext": m.sent.OutID,
		})
		if int64(len(set)) == limit {
			break
		}
	}
	return map[string]any{"PullSmsSendStatusSet": set}, nil
}

// serialNo makes a SerialNo of the service's shape: a shard, a colon and
// a long decimal number.
func serialNo() string {
	n, err := rand.Int(rand.Reader, new(big.Int).Exp(big.NewInt(10), big.NewInt(22), nil))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("2640:538884%022d", n)
}

// callingCodes are the country codes the double knows, longest first
// where one is the prefix of another.
var callingCodes = []struct{ code, iso string }{
	{"852", "HK"}, {"853", "MO"}, {"886", "TW"}, {"86", "CN"}, {"81", "JP"}, {"82", "KR"},
	{"65", "SG"}, {"60", "MY"}, {"66", "TH"}, {"44", "GB"}, {"1", "US"},
}

func isoCode(e164 string) string {
	for _, c := range callingCodes {
		if strings.HasPrefix(e164[1:], c.code) {
			return c.iso
		}
	}
	return "DEF"
}

// splitNumber splits an E.164 number into its country code and the
// subscriber's number, as reports give them.
func splitNumber(e164 string) (country, subscriber string) {
	for _, c := range callingCodes {
		if strings.HasPrefix(e164[1:], c.code) {
			return c.code, e164[1+len(c.code):]
		}
	}
	return "", e164[1:]
}
