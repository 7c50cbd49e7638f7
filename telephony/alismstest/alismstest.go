// Package alismstest is a test double of Alibaba Cloud SMS's endpoint
// (Dysmsapi, API version 2017-05-25, dysmsapi.aliyuncs.com). It follows
// the service's published RPC protocol: it takes a GET query or a POST
// form, checks the common parameters, the key, the clock and the nonce,
// recomputes the signature (version 1.0, HMAC-SHA1) from what it received
// and refuses a mismatch as the service does, and answers SendSms and
// QuerySendDetails in the service's JSON shapes. It sends nothing: what it
// approves, throttles and reports is set by the test, and every figure it
// reports (BizIds, RequestIds, dates, receipts) is its own, never one of
// Alibaba's.
//
//	srv := alismstest.NewServer("id", "secret")
//	defer srv.Close()
//	srv.Approve("外呼测试", "SMS_100", []string{"name"})
//	sms := &telephony.AliyunSMS{Endpoint: srv.URL, AccessKeyID: "id", AccessKeySecret: "secret"}
//
// It answers in JSON only: a request whose Format is not JSON is refused,
// where the service would answer XML. It takes numbers as digits only (an
// 11-digit mainland number, or country code and number), and refuses the
// '+' and "00" forms the service also reads, so that a client's stray
// prefix shows. The nonces it has seen are kept for its whole life, where
// the service keeps them for 15 minutes.
package alismstest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/smstest"
)

// Version is the API version the double serves.
const Version = "2017-05-25"

// MaxSkew is how far a request's Timestamp may be from the double's
// clock.
const MaxSkew = 15 * time.Minute

// Layouts of the Timestamp parameter, of SendDate in QuerySendDetails'
// request, and of the dates in its answer (China Standard Time).
const (
	TimestampLayout = "2006-01-02T15:04:05Z"
	DayLayout       = "20060102"
	DetailLayout    = "2006-01-02 15:04:05"
)

// China is China Standard Time, the zone of the service's days.
var China = time.FixedZone("CST", 8*3600)

// Request is a request the double answered.
type Request struct {
	Method string
	Action string
	// Params are the parameters received, first values, Signature
	// included.
	Params map[string]string
	// Status and Code are the double's answer.
	Status int
	Code   string
}

// record is an accepted message to one number.
type record struct {
	sent   smstest.Sent
	digits string // the number as it was sent
	bizID  string
	at     time.Time
}

// outcome is what the carrier reports for a number.
type outcome struct {
	status, code string
	at           time.Time
}

// Server is the double, listening on loopback.
type Server struct {
	// URL is http://127.0.0.1:port/.
	URL string

	srv        *httptest.Server
	mu         sync.Mutex
	id, secret string
	signs      map[string]bool
	templates  map[string][]string
	reports    map[string]outcome
	throttle   int
	nonces     map[string]bool
	records    []record
	requests   []Request
	bizPrefix  uint64
	bizSeq     uint64
	now        func() time.Time
}

// NewServer starts a double that knows one key pair.
func NewServer(accessKeyID, secret string) *Server {
	var b [8]byte
	rand.Read(b[:])
	s := &Server{
		id: accessKeyID, secret: secret,
		signs: map[string]bool{}, templates: map[string][]string{},
		reports: map[string]outcome{}, nonces: map[string]bool{},
		bizPrefix: 100000000 + binary.BigEndian.Uint64(b[:])%900000000,
		now:       time.Now,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/"
	return s
}

// Close stops the double.
func (s *Server) Close() { s.srv.Close() }

// SetClock replaces the double's clock (time.Now), by which Timestamps
// are judged and messages dated.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// Approve registers a signature and a template with its variables, as
// the console's approval does; either may be "" to register only the
// other.
func (s *Server) Approve(sign, template string, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sign != "" {
		s.signs[sign] = true
	}
	if template != "" {
		s.templates[template] = slices.Clone(vars)
	}
}

// Report sets what the carrier reports for the messages to number (in
// E.164): telephony.SMSDelivered (the default, with ErrCode
// "DELIVERED"), telephony.SMSFailed with the carrier's code, or
// telephony.SMSPending (no receipt yet). It is read when the receipt is
// asked for, so it applies to messages sent before too; the receipt is
// dated now, or when the message was sent if that is later.
func (s *Server) Report(number, status, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == telephony.SMSDelivered && code == "" {
		code = "DELIVERED"
	}
	s.reports[number] = outcome{status: status, code: code, at: s.now()}
}

// Throttle has the next n SendSms requests refused with
// isv.BUSINESS_LIMIT_CONTROL, the service's flow control.
func (s *Server) Throttle(n int) {
	s.mu.Lock()
	s.throttle = n
	s.mu.Unlock()
}

// Sent lists the messages accepted, one per number, oldest first.
func (s *Server) Sent() []smstest.Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]smstest.Sent, len(s.records))
	for i, r := range s.records {
		out[i] = r.sent
		out[i].Params = maps.Clone(r.sent.Params)
	}
	return out
}

// Requests lists the requests answered, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = r
		out[i].Params = maps.Clone(r.Params)
	}
	return out
}

// Sign signs params as a client of the service does (signature version
// 1.0), for tests that make their own requests: base64 of the
// HMAC-SHA1, under secret + "&", of method&%2F& and the percent-encoded
// canonicalised query.
func Sign(method string, params map[string]string, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(StringToSign(method, params)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// StringToSign is what Sign signs: method, "/" and the canonicalised
// query (params but Signature, sorted by name, names and values
// percent-encoded, joined as k=v&k=v), each percent-encoded, joined by
// '&'.
func StringToSign(method string, params map[string]string) string {
	keys := slices.Sorted(maps.Keys(params))
	pairs := make([]string, 0, len(keys))
	for _, k := range keys {
		if k != "Signature" {
			pairs = append(pairs, encode(k)+"="+encode(params[k]))
		}
	}
	return method + "&" + encode("/") + "&" + encode(strings.Join(pairs, "&"))
}

// encode percent-encodes s per RFC 3986: unreserved characters as they
// are, every other UTF-8 byte as %XX in upper case.
func encode(s string) string {
	// url.QueryEscape writes a space as '+' and leaves '*' alone, which
	// the service's signature does not.
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// reply is an answer: its HTTP status and JSON body.
type reply struct {
	status int
	body   map[string]any
}

func refuse(status int, code, msg string) reply {
	return reply{status, map[string]any{"Code": code, "Message": msg}}
}

// business is a refusal by the SMS service itself, which comes with
// HTTP 200.
func business(code, msg string) reply { return refuse(http.StatusOK, code, msg) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	var values url.Values
	switch r.Method {
	case http.MethodGet:
		values = r.URL.Query()
	case http.MethodPost:
		// A POST's parameters may be in its form body, its query, or both.
		if err := r.ParseForm(); err != nil {
			s.answer(w, r, nil, refuse(http.StatusBadRequest, "InvalidParameter", "The request body could not be read as a form."))
			return
		}
		values = r.Form
	default:
		s.answer(w, r, nil, refuse(http.StatusMethodNotAllowed, "UnsupportedHTTPMethod", "Specified http method "+r.Method+" is not supported."))
		return
	}
	params := map[string]string{}
	for k, v := range values {
		params[k] = v[0]
	}
	s.answer(w, r, params, s.handle(r.Method, params))
}

// answer writes rep, with a RequestId of the double's, and keeps the
// request.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, params map[string]string, rep reply) {
	rep.body["RequestId"] = strings.ToUpper(uuid.NewString())
	if rep.status != http.StatusOK {
		rep.body["HostId"] = "dysmsapi.aliyuncs.com"
	}
	s.mu.Lock()
	code, _ := rep.body["Code"].(string)
	s.requests = append(s.requests, Request{Method: r.Method, Action: params["Action"], Params: params, Status: rep.status, Code: code})
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(rep.status)
	json.NewEncoder(w).Encode(rep.body)
}

// common are the parameters every request carries, in the order the
// double looks for them.
var common = []string{"Action", "Version", "AccessKeyId", "Signature", "SignatureMethod", "SignatureNonce",
	"SignatureVersion", "Timestamp", "Format", "RegionId"}

// handle checks a request as the service's gateway does, then serves its
// action.
func (s *Server) handle(method string, p map[string]string) reply {
	for _, k := range common {
		if p[k] == "" {
			return refuse(http.StatusBadRequest, "Missing"+k, k+" is mandatory for this action.")
		}
	}
	if p["Version"] != Version {
		return refuse(http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid.")
	}
	if p["Action"] != "SendSms" && p["Action"] != "QuerySendDetails" {
		return refuse(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	}
	if p["Format"] != "JSON" {
		return refuse(http.StatusBadRequest, "InvalidParameter", "The double answers only Format JSON.")
	}
	if p["SignatureMethod"] != "HMAC-SHA1" || p["SignatureVersion"] != "1.0" {
		return refuse(http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if p["AccessKeyId"] != s.id {
		return refuse(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	ts, err := time.Parse(TimestampLayout, p["Timestamp"])
	if err != nil {
		return refuse(http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	now := s.now()
	if d := now.Sub(ts); d > MaxSkew || d < -MaxSkew {
		return refuse(http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	toSign := StringToSign(method, p)
	want := Sign(method, p, s.secret)
	if !hmac.Equal([]byte(p["Signature"]), []byte(want)) {
		return refuse(http.StatusBadRequest, "SignatureDoesNotMatch",
			"Specified signature is not matched with our calculation. server string to sign is:"+toSign)
	}
	if s.nonces[p["SignatureNonce"]] {
		return refuse(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	s.nonces[p["SignatureNonce"]] = true

	switch p["Action"] {
	case "SendSms":
		return s.sendSms(p, now)
	default:
		return s.querySendDetails(p)
	}
}

// sendSms serves SendSms; s.mu is held.
func (s *Server) sendSms(p map[string]string, now time.Time) reply {
	for _, k := range []string{"PhoneNumbers", "SignName", "TemplateCode"} {
		if p[k] == "" {
			return refuse(http.StatusBadRequest, "Missing"+k, k+" is mandatory for this action.")
		}
	}
	if s.throttle > 0 {
		s.throttle--
		return business("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")
	}
	numbers := strings.Split(p["PhoneNumbers"], ",")
	for _, n := range numbers {
		if _, ok := e164(n); !ok {
			return business("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
		}
	}
	if !s.signs[p["SignName"]] {
		return business("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
	}
	vars, ok := s.templates[p["TemplateCode"]]
	if !ok {
		return business("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
	}
	params := map[string]string{}
	if raw, ok := p["TemplateParam"]; ok {
		var decoded map[string]any
		if err := json.Unmarshal([]byte(raw), &decoded); err != nil || decoded == nil {
			return business("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
		}
		for k, v := range decoded {
			str, ok := v.(string)
			if !ok {
				return business("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
			}
			params[k] = str
		}
	}
	for _, v := range vars {
		if _, ok := params[v]; !ok {
			return business("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
		}
	}
	s.bizSeq++
	bizID := fmt.Sprintf("%09d%09d^0", s.bizPrefix, s.bizSeq)
	for _, n := range numbers {
		to, _ := e164(n)
		s.records = append(s.records, record{
			sent: smstest.Sent{To: to, SignName: p["SignName"], Template: p["TemplateCode"], Params: maps.Clone(params),
				OutID: p["OutId"], ProviderID: bizID},
			digits: n, bizID: bizID, at: now,
		})
	}
	return reply{http.StatusOK, map[string]any{"Code": "OK", "Message": "OK", "BizId": bizID}}
}

// detail is one record in QuerySendDetails' answer.
type detail struct {
	PhoneNum     string `json:"PhoneNum"`
	SendStatus   int    `json:"SendStatus"`
	ErrCode      string `json:"ErrCode"`
	TemplateCode string `json:"TemplateCode"`
	Content      string `json:"Content"`
	SendDate     string `json:"SendDate"`
	ReceiveDate  string `json:"ReceiveDate"`
	OutID        string `json:"OutId"`
}

// querySendDetails serves QuerySendDetails; s.mu is held.
func (s *Server) querySendDetails(p map[string]string) reply {
	for _, k := range []string{"PhoneNumber", "SendDate", "PageSize", "CurrentPage"} {
		if p[k] == "" {
			return refuse(http.StatusBadRequest, "Missing"+k, k+" is mandatory for this action.")
		}
	}
	if _, ok := e164(p["PhoneNumber"]); !ok {
		return business("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
	}
	if _, err := time.ParseInLocation(DayLayout, p["SendDate"], China); err != nil {
		return business("isv.INVALID_PARAMETERS", "参数异常")
	}
	size, err1 := strconv.Atoi(p["PageSize"])
	page, err2 := strconv.Atoi(p["CurrentPage"])
	if err1 != nil || err2 != nil || size < 1 || size > 50 || page < 1 {
		return business("isv.INVALID_PARAMETERS", "参数异常")
	}
	var found []detail
	for _, r := range s.records {
		if r.digits != p["PhoneNumber"] || r.at.In(China).Format(DayLayout) != p["SendDate"] ||
			p["BizId"] != "" && r.bizID != p["BizId"] {
			continue
		}
		d := detail{PhoneNum: r.digits, TemplateCode: r.sent.Template, Content: content(r, s.templates[r.sent.Template]),
			SendDate: r.at.In(China).Format(DetailLayout), OutID: r.sent.OutID}
		o, ok := s.reports[r.sent.To]
		if !ok {
			o = outcome{status: telephony.SMSDelivered, code: "DELIVERED"}
		}
		at := o.at
		if at.Before(r.at) {
			at = r.at
		}
		switch o.status {
		case telephony.SMSFailed:
			d.SendStatus, d.ErrCode, d.ReceiveDate = 2, o.code, at.In(China).Format(DetailLayout)
		case telephony.SMSPending:
			d.SendStatus = 1
		default:
			d.SendStatus, d.ErrCode, d.ReceiveDate = 3, o.code, at.In(China).Format(DetailLayout)
		}
		found = append(found, d)
	}
	total := len(found)
	from := min((page-1)*size, total)
	to := min(from+size, total)
	return reply{http.StatusOK, map[string]any{"Code": "OK", "Message": "OK", "TotalCount": total,
		"SmsSendDetailDTOs": map[string]any{"SmsSendDetailDTO": append([]detail{}, found[from:to]...)}}}
}

// content is the text the double says it sent: the signature in 【】 and
// the template's values in its order, as it knows no template's words.
func content(r record, vars []string) string {
	parts := []string{"【" + r.sent.SignName + "】"}
	for _, v := range vars {
		parts = append(parts, r.sent.Params[v])
	}
	return strings.Join(parts, " ")
}

// e164 reads a number as the service takes it, digits only: 11 digits
// starting with 1 are a mainland China number (+86…); otherwise 7 to 15
// digits not starting with 0 are a country code and number.
func e164(n string) (string, bool) {
	if n == "" || strings.Trim(n, "0123456789") != "" {
		return "", false
	}
	if len(n) == 11 && n[0] == '1' {
		return "+86" + n, true
	}
	if len(n) < 7 || len(n) > 15 || n[0] == '0' {
		return "", false
	}
	return "+" + n, true
}
