package telephony_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/alismstest"
	"github.com/outcall/outcall/telephony/smstest"
)

func TestAliyunSMSPassesTheSMSConformanceSuite(t *testing.T) {
	smstest.Run(t, func(t *testing.T) (smstest.Double, string, string, smstest.Provider) {
		srv := alismstest.NewServer("LTAI5tTestKeyId", "test-secret")
		t.Cleanup(func() {
			// Whatever the double refused, it was never for a request the
			// client made wrongly.
			for _, r := range srv.Requests() {
				if r.Method != http.MethodPost || strings.HasPrefix(r.Code, "Missing") || r.Code == "IncompleteSignature" ||
					strings.HasPrefix(r.Code, "InvalidTimeStamp") || r.Code == "SignatureNonceUsed" || r.Code == "InvalidParameter" {
					t.Errorf("the client's %s %s was answered %d %s", r.Method, r.Action, r.Status, r.Code)
				}
			}
			srv.Close()
		})
		return srv, "LTAI5tTestKeyId", "test-secret", func(id, secret string) telephony.SMSProvider {
			return &telephony.AliyunSMS{Endpoint: srv.URL, AccessKeyID: id, AccessKeySecret: secret}
		}
	})
}

// publishedExample is the SendSms request Alibaba Cloud's documentation of
// the signature works through, with its secret testSecret, its method GET
// and its signature.
var publishedExample = map[string]string{
	"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123", "PhoneNumbers": "15300000001",
	"RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1",
	"SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007",
	"TemplateParam": `{"customer":"test"}`, "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
}

const publishedSignature = "zJDF+Lrzhj/ThnlvIToysFRq6t4="

// percentEncode and sign are the signature's steps written out once more,
// separately from the client's and the double's.
func percentEncode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func sign(method, secret string, params map[string]string) string {
	var keys []string
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		pairs = append(pairs, percentEncode(k)+"="+percentEncode(params[k]))
	}
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	io.WriteString(mac, method+"&"+percentEncode("/")+"&"+percentEncode(strings.Join(pairs, "&")))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestAliyunSignatureOfThePublishedExample(t *testing.T) {
	values := url.Values{}
	for k, v := range publishedExample {
		values.Set(k, v)
	}
	if got := telephony.AliyunSignature(http.MethodGet, values, "testSecret"); got != publishedSignature {
		t.Errorf("the client signs the published example %s, want %s", got, publishedSignature)
	}
	if got := alismstest.Sign(http.MethodGet, publishedExample, "testSecret"); got != publishedSignature {
		t.Errorf("the double signs the published example %s, want %s", got, publishedSignature)
	}
	if got := sign(http.MethodGet, "testSecret", publishedExample); got != publishedSignature {
		t.Errorf("the test's own signer signs the published example %s, want %s", got, publishedSignature)
	}
	// A Signature already among the parameters is left out of the
	// string to sign.
	values.Set("Signature", "anything")
	if got := telephony.AliyunSignature(http.MethodGet, values, "testSecret"); got != publishedSignature {
		t.Errorf("with a Signature among the parameters, the client signs %s, want %s", got, publishedSignature)
	}
}

func TestAliyunPercentEncoding(t *testing.T) {
	for in, want := range map[string]string{
		"a b*c~d/é":   "a%20b%2Ac~d%2F%C3%A9",
		"A-Z_a.z~09":  "A-Z_a.z~09",
		"+&=?:%":      "%2B%26%3D%3F%3A%25",
		`{"k":"王"}`:   "%7B%22k%22%3A%22%E7%8E%8B%22%7D",
		"2017-07-12T": "2017-07-12T",
	} {
		if got := telephony.AliyunPercentEncode(in); got != want {
			t.Errorf("AliyunPercentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

// capture is a stand-in for the endpoint that keeps the last request it
// got and answers every request with status and body.
type capture struct {
	mu      sync.Mutex
	method  string
	ctype   string
	query   string
	form    url.Values
	status  int
	body    string
	answers int
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(raw))
	c.mu.Lock()
	c.method, c.ctype, c.query, c.form = r.Method, r.Header.Get("Content-Type"), r.URL.RawQuery, form
	c.answers++
	status, body := c.status, c.body
	c.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// last returns the last request and how many came.
func (c *capture) last() (method, ctype, query string, form url.Values, answers int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.method, c.ctype, c.query, c.form, c.answers
}

func TestAliyunSMSSendsASignedForm(t *testing.T) {
	c := &capture{body: `{"RequestId":"R-1","Code":"OK","Message":"OK","BizId":"900000000000000001^0"}`}
	srv := httptest.NewServer(c)
	defer srv.Close()
	at := time.Date(2024, 5, 1, 8, 30, 15, 0, time.FixedZone("", -7*3600))
	sms := &telephony.AliyunSMS{Endpoint: srv.URL + "/", AccessKeyID: "LTAIexample", AccessKeySecret: "s3cret*~ /",
		Now: func() time.Time { return at }}
	got, err := sms.Send(context.Background(), telephony.SMSMessage{To: "+8613800000001", SignName: "外呼测试", Template: "SMS_100",
		Params: map[string]string{"name": "王 先生*", "link": "https://pay.example/a?b=1&c=2"}, OutID: "m-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got.ProviderID != "900000000000000001^0" || got.Fee != 1 {
		t.Errorf("sent %+v, want the BizId and a fee of 1", got)
	}
	method, ctype, query, form, _ := c.last()
	if method != http.MethodPost || ctype != "application/x-www-form-urlencoded" || query != "" {
		t.Errorf("the request was %s %q with query %q, want a POST of a form", method, ctype, query)
	}
	params := map[string]string{}
	for k, v := range form {
		if len(v) != 1 {
			t.Errorf("%s was sent %d times", k, len(v))
		}
		params[k] = v[0]
	}
	want := map[string]string{
		"AccessKeyId": "LTAIexample", "Action": "SendSms", "Format": "JSON", "RegionId": "cn-hangzhou",
		"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "Timestamp": "2024-05-01T15:30:15Z", "Version": "2017-05-25",
		"PhoneNumbers": "13800000001", "SignName": "外呼测试", "TemplateCode": "SMS_100", "OutId": "m-1",
		"TemplateParam": `{"link":"https://pay.example/a?b=1&c=2","name":"王 先生*"}`,
	}
	for k, v := range want {
		if params[k] != v {
			t.Errorf("%s = %q, want %q", k, params[k], v)
		}
	}
	if len(params["SignatureNonce"]) != 36 {
		t.Errorf("SignatureNonce %q, want a UUID", params["SignatureNonce"])
	}
	if len(params) != len(want)+2 {
		t.Errorf("sent %d parameters, want %d", len(params), len(want)+2)
	}
	if s := sign(http.MethodPost, "s3cret*~ /", params); params["Signature"] != s {
		t.Errorf("Signature %q, want %q", params["Signature"], s)
	}

	// Each request has a nonce of its own; a number outside the mainland
	// goes with its country code, and a message without variables with
	// no TemplateParam.
	nonce := params["SignatureNonce"]
	if _, err := sms.Send(context.Background(), telephony.SMSMessage{To: "+85291234567", SignName: "外呼测试", Template: "SMS_200"}); err != nil {
		t.Fatal(err)
	}
	_, _, _, form, _ = c.last()
	if n := form.Get("SignatureNonce"); n == nonce || n == "" {
		t.Errorf("the second request's nonce %q, want a new one", n)
	}
	if form.Get("PhoneNumbers") != "85291234567" || form.Has("TemplateParam") || form.Has("OutId") {
		t.Errorf("the second request's form %v, want 85291234567 and neither TemplateParam nor OutId", form)
	}
}

func TestAliyunSMSTransportFailureIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	endpoint := srv.URL + "/"
	srv.Close()
	sms := &telephony.AliyunSMS{Endpoint: endpoint, AccessKeyID: "id", AccessKeySecret: "the-secret"}
	_, err := sms.Send(context.Background(), telephony.SMSMessage{To: "+8613800000001", SignName: "外呼测试", Template: "SMS_100"})
	var e *telephony.SMSError
	if err == nil || errors.As(err, &e) || !telephony.SMSRetryable(err) {
		t.Fatalf("send to a closed endpoint: %v, want a retryable error that is no refusal", err)
	}
	if strings.Contains(err.Error(), "13800000001") || strings.Contains(err.Error(), "the-secret") {
		t.Errorf("the error %q shows the number or the secret", err)
	}
	_, err = sms.Receipt(context.Background(), "+8613800000001", time.Now(), "1^0")
	if err == nil || errors.As(err, &e) || !telephony.SMSRetryable(err) {
		t.Fatalf("receipt from a closed endpoint: %v, want a retryable error that is no refusal", err)
	}
}

func TestAliyunSMSRefusalsAreClassified(t *testing.T) {
	cases := []struct {
		status int
		body   string
		code   string
		retry  bool
	}{
		{200, `{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发分钟级流控Permits:1"}`, "isv.BUSINESS_LIMIT_CONTROL", true},
		{200, `{"Code":"isp.SYSTEM_ERROR","Message":"系统错误"}`, "isp.SYSTEM_ERROR", true},
		{400, `{"Code":"Throttling.User","Message":"Request was denied due to user flow control."}`, "Throttling.User", true},
		{503, `{"Code":"ServiceUnavailable","Message":"The request has failed due to a temporary failure of the server."}`, "ServiceUnavailable", true},
		{500, `{"Code":"InternalError","Message":"The request processing has failed due to some unknown error."}`, "InternalError", true},
		{502, `<html>Bad Gateway</html>`, "HTTP 502", true},
		{200, `{"Code":"isv.DAY_LIMIT_CONTROL","Message":"触发日发送限额"}`, "isv.DAY_LIMIT_CONTROL", false},
		{200, `{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"非法手机号 13800000001"}`, "isv.MOBILE_NUMBER_ILLEGAL", false},
		{200, `{"Code":"isv.INVALID_JSON_PARAM","Message":"JSON参数不合法，只接受字符串值"}`, "isv.INVALID_JSON_PARAM", false},
		{404, `{"Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found."}`, "InvalidAccessKeyId.NotFound", false},
		{400, `{"Code":"InvalidTimeStamp.Expired","Message":"Specified time stamp or date value is expired."}`, "InvalidTimeStamp.Expired", false},
		{400, `{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&PhoneNumbers%3D13800000001"}`,
			"SignatureDoesNotMatch", false},
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			srv := httptest.NewServer(&capture{status: c.status, body: c.body})
			defer srv.Close()
			sms := &telephony.AliyunSMS{Endpoint: srv.URL + "/", AccessKeyID: "id", AccessKeySecret: "the-secret"}
			_, err := sms.Send(context.Background(), telephony.SMSMessage{To: "+8613800000001", SignName: "外呼测试", Template: "SMS_100"})
			var e *telephony.SMSError
			if !errors.As(err, &e) || e.Provider != telephony.SMSAliyun || e.Code != c.code || e.Retry != c.retry {
				t.Fatalf("HTTP %d %s: %#v, want the refusal %s, retry %v", c.status, c.body, err, c.code, c.retry)
			}
			if strings.Contains(err.Error(), "13800000001") || strings.Contains(err.Error(), "the-secret") {
				t.Errorf("the error %q shows the number or the secret", err)
			}
		})
	}
}

func TestAliyunSMSNumberNotInE164IsRefusedForGood(t *testing.T) {
	c := &capture{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	sms := &telephony.AliyunSMS{Endpoint: srv.URL + "/", AccessKeyID: "id", AccessKeySecret: "secret"}
	_, err := sms.Send(context.Background(), telephony.SMSMessage{To: "13800000001", SignName: "外呼测试", Template: "SMS_100"})
	var e *telephony.SMSError
	if !errors.As(err, &e) || e.Retry || strings.Contains(err.Error(), "13800000001") {
		t.Fatalf("send to a number without its country code: %v, want a masked refusal not to retry", err)
	}
	if _, _, _, _, answers := c.last(); answers != 0 {
		t.Errorf("the request went out")
	}
}

func TestAliyunSMSClockOffIsRefusedForGood(t *testing.T) {
	srv := alismstest.NewServer("id", "secret")
	defer srv.Close()
	srv.Approve("外呼测试", "SMS_100", nil)
	sms := &telephony.AliyunSMS{Endpoint: srv.URL, AccessKeyID: "id", AccessKeySecret: "secret",
		Now: func() time.Time { return time.Now().Add(-20 * time.Minute) }}
	_, err := sms.Send(context.Background(), telephony.SMSMessage{To: "+8613800000001", SignName: "外呼测试", Template: "SMS_100"})
	var e *telephony.SMSError
	if !errors.As(err, &e) || e.Code != "InvalidTimeStamp.Expired" || e.Retry {
		t.Fatalf("send with a clock 20 minutes slow: %v, want InvalidTimeStamp.Expired, not to retry", err)
	}
}

func TestAliyunSMSReceiptFollowsTheCarrier(t *testing.T) {
	srv := alismstest.NewServer("id", "secret")
	defer srv.Close()
	srv.Approve("外呼测试", "SMS_100", []string{"code"})
	srv.Report("+8613800000001", telephony.SMSPending, "")
	sms := &telephony.AliyunSMS{Endpoint: srv.URL, AccessKeyID: "id", AccessKeySecret: "secret"}
	ctx := context.Background()
	sentAt := time.Now()
	got, err := sms.Send(ctx, telephony.SMSMessage{To: "+8613800000001", SignName: "外呼测试", Template: "SMS_100",
		Params: map[string]string{"code": "1234"}, OutID: "m-9"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := sms.Receipt(ctx, "+8613800000001", sentAt, got.ProviderID)
	if err != nil || r.Status != telephony.SMSPending || !r.At.IsZero() {
		t.Fatalf("receipt while the carrier is silent: %+v %v, want pending", r, err)
	}
	srv.Report("+8613800000001", telephony.SMSDelivered, "")
	r, err = sms.Receipt(ctx, "+8613800000001", sentAt, got.ProviderID)
	if err != nil || r.Status != telephony.SMSDelivered || r.Code != "DELIVERED" || r.At.Before(sentAt.Add(-time.Second)) ||
		r.At.After(time.Now().Add(time.Second)) {
		t.Fatalf("receipt once delivered: %+v %v, want delivered, DELIVERED, now", r, err)
	}
	// The message is found on the service's own day only.
	r, err = sms.Receipt(ctx, "+8613800000001", sentAt.AddDate(0, 0, -3), got.ProviderID)
	if err != nil || r.Status != telephony.SMSPending {
		t.Fatalf("receipt looked up three days early: %+v %v, want pending", r, err)
	}
	var queries []alismstest.Request
	for _, q := range srv.Requests() {
		if q.Action == "QuerySendDetails" {
			queries = append(queries, q)
		}
	}
	day := sentAt.In(time.FixedZone("CST", 8*3600)).Format("20060102")
	if q := queries[0].Params; q["PhoneNumber"] != "13800000001" || q["SendDate"] != day || q["BizId"] != got.ProviderID ||
		q["PageSize"] == "" || q["CurrentPage"] != "1" {
		t.Errorf("QuerySendDetails was asked %v, want 13800000001 on %s by its BizId", q, day)
	}
}

func TestAliyunSMSReceiptNearMidnightLooksAtBothDays(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	clock := time.Date(2024, 5, 1, 23, 57, 0, 0, cst)
	srv := alismstest.NewServer("id", "secret")
	defer srv.Close()
	srv.SetClock(func() time.Time { return clock })
	srv.Approve("外呼测试", "SMS_100", nil)
	sms := &telephony.AliyunSMS{Endpoint: srv.URL, AccessKeyID: "id", AccessKeySecret: "secret", Now: func() time.Time { return clock }}
	ctx := context.Background()
	got, err := sms.Send(ctx, telephony.SMSMessage{To: "+85291234567", SignName: "外呼测试", Template: "SMS_100"})
	if err != nil {
		t.Fatal(err)
	}
	// The sender noted the time a little after the service dated it, past
	// midnight in China.
	r, err := sms.Receipt(ctx, "+85291234567", clock.Add(5*time.Minute), got.ProviderID)
	if err != nil || r.Status != telephony.SMSDelivered {
		t.Fatalf("receipt noted past midnight: %+v %v, want delivered", r, err)
	}
	if !r.At.Equal(clock) {
		t.Errorf("delivered at %v, want %v", r.At, clock)
	}
}

// rawRequest sends params, signed with secret, to the double as a POST
// form or a GET query, and returns the HTTP status and the Code.
func rawRequest(t *testing.T, srv *alismstest.Server, method string, params map[string]string, secret string) (int, string) {
	t.Helper()
	values := url.Values{}
	for k, v := range params {
		values.Set(k, v)
	}
	values.Set("Signature", sign(method, secret, params))
	var resp *http.Response
	var err error
	if method == http.MethodGet {
		resp, err = http.Get(srv.URL + "?" + values.Encode())
	} else {
		resp, err = http.PostForm(srv.URL, values)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Code, Message, RequestId string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.RequestId == "" {
		t.Errorf("the answer %d %s has no RequestId", resp.StatusCode, body.Code)
	}
	return resp.StatusCode, body.Code
}

func TestAliSMSDoubleChecksRequestsAsTheServiceDoes(t *testing.T) {
	srv := alismstest.NewServer("LTAIraw", "raw-secret")
	defer srv.Close()
	srv.Approve("外呼测试", "SMS_100", []string{"name"})
	nonce := 0
	request := func(edit func(p map[string]string)) map[string]string {
		nonce++
		p := map[string]string{
			"AccessKeyId": "LTAIraw", "Action": "SendSms", "Format": "JSON", "RegionId": "cn-hangzhou",
			"SignatureMethod": "HMAC-SHA1", "SignatureNonce": fmt.Sprintf("nonce-%d", nonce), "SignatureVersion": "1.0",
			"Timestamp": time.Now().UTC().Format("2006-01-02T15:04:05Z"), "Version": "2017-05-25",
			"PhoneNumbers": "13800000001", "SignName": "外呼测试", "TemplateCode": "SMS_100", "TemplateParam": `{"name":"王先生"}`,
		}
		if edit != nil {
			edit(p)
		}
		return p
	}
	check := func(what string, status int, code string, wantStatus int, wantCode string) {
		t.Helper()
		if status != wantStatus || code != wantCode {
			t.Errorf("%s: answered %d %s, want %d %s", what, status, code, wantStatus, wantCode)
		}
	}

	fresh := request(nil)
	status, code := rawRequest(t, srv, http.MethodPost, fresh, "raw-secret")
	check("a signed POST", status, code, 200, "OK")
	status, code = rawRequest(t, srv, http.MethodPost, fresh, "raw-secret")
	check("the same request again", status, code, 400, "SignatureNonceUsed")
	status, code = rawRequest(t, srv, http.MethodGet, request(nil), "raw-secret")
	check("a signed GET", status, code, 200, "OK")

	stale := request(func(p map[string]string) {
		p["Timestamp"] = time.Now().Add(-16 * time.Minute).UTC().Format("2006-01-02T15:04:05Z")
	})
	status, code = rawRequest(t, srv, http.MethodPost, stale, "raw-secret")
	check("a Timestamp 16 minutes old", status, code, 400, "InvalidTimeStamp.Expired")
	ahead := request(func(p map[string]string) {
		p["Timestamp"] = time.Now().Add(16 * time.Minute).UTC().Format("2006-01-02T15:04:05Z")
	})
	status, code = rawRequest(t, srv, http.MethodPost, ahead, "raw-secret")
	check("a Timestamp 16 minutes ahead", status, code, 400, "InvalidTimeStamp.Expired")
	status, code = rawRequest(t, srv, http.MethodPost, request(func(p map[string]string) { p["Timestamp"] = "2024-05-01 08:00:00" }), "raw-secret")
	check("a Timestamp in another layout", status, code, 400, "InvalidTimeStamp.Format")

	status, code = rawRequest(t, srv, http.MethodPost, request(nil), "other-secret")
	check("a request signed with another secret", status, code, 400, "SignatureDoesNotMatch")
	status, code = rawRequest(t, srv, http.MethodGet, request(nil), "other-secret")
	check("a GET signed with another secret", status, code, 400, "SignatureDoesNotMatch")
	status, code = rawRequest(t, srv, http.MethodPost, request(func(p map[string]string) { p["AccessKeyId"] = "LTAIother" }), "raw-secret")
	check("an unknown key", status, code, 404, "InvalidAccessKeyId.NotFound")
	status, code = rawRequest(t, srv, http.MethodPost, request(func(p map[string]string) { delete(p, "SignatureNonce") }), "raw-secret")
	check("no SignatureNonce", status, code, 400, "MissingSignatureNonce")
	status, code = rawRequest(t, srv, http.MethodPost, request(func(p map[string]string) { p["Version"] = "2016-09-27" }), "raw-secret")
	check("another Version", status, code, 400, "InvalidVersion")
	status, code = rawRequest(t, srv, http.MethodPost, request(func(p map[string]string) { p["SignatureMethod"] = "HMAC-SHA256" }), "raw-secret")
	check("another SignatureMethod", status, code, 400, "IncompleteSignature")

	// The SMS service's own refusals come with HTTP 200.
	for _, c := range []struct {
		what string
		edit func(p map[string]string)
		code string
	}{
		{"a number with its '+'", func(p map[string]string) { p["PhoneNumbers"] = "+8613800000001" }, "isv.MOBILE_NUMBER_ILLEGAL"},
		{"a number too short", func(p map[string]string) { p["PhoneNumbers"] = "12345" }, "isv.MOBILE_NUMBER_ILLEGAL"},
		{"an unapproved signature", func(p map[string]string) { p["SignName"] = "别家" }, "isv.SMS_SIGNATURE_ILLEGAL"},
		{"an unapproved template", func(p map[string]string) { p["TemplateCode"] = "SMS_999" }, "isv.SMS_TEMPLATE_ILLEGAL"},
		{"a variable that is a number", func(p map[string]string) { p["TemplateParam"] = `{"name":1}` }, "isv.INVALID_JSON_PARAM"},
		{"variables that are no JSON", func(p map[string]string) { p["TemplateParam"] = `name=王先生` }, "isv.INVALID_JSON_PARAM"},
		{"a variable left out", func(p map[string]string) { p["TemplateParam"] = `{"other":"x"}` }, "isv.TEMPLATE_MISSING_PARAMETERS"},
		{"no variables at all", func(p map[string]string) { delete(p, "TemplateParam") }, "isv.TEMPLATE_MISSING_PARAMETERS"},
	} {
		status, code = rawRequest(t, srv, http.MethodPost, request(c.edit), "raw-secret")
		check(c.what, status, code, 200, c.code)
	}
	if n := len(srv.Sent()); n != 2 {
		t.Errorf("the double accepted %d messages, want 2", n)
	}
}
