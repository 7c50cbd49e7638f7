package telephony_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/smstest"
	"github.com/outcall/outcall/telephony/twiliosmstest"
)

const (
	twilioTestSID   = "ACa1b2c3d4e5f60718293a4b5c6d7e8f90"
	twilioTestToken = "twilio-sms-test-auth-token-5f4dcc3b"
	// twilioTestSender is a number the test account owns; twilioStranger
	// is one it does not.
	twilioTestSender = "+14155550100"
	twilioStranger   = "+14155550199"
	twilioTestMG     = "MG0123456789abcdef0123456789abcdef"
	// twilioTestText is the text outcall keeps for the suite's template.
	twilioTestText = "{name},您的还款链接:{link}"
)

// twilioDouble starts Twilio's double for one test, closed when it ends.
func twilioDouble(t *testing.T) *twiliosmstest.Server {
	srv := twiliosmstest.NewServer(twilioTestSID, twilioTestToken)
	t.Cleanup(srv.Close)
	return srv
}

func twilioClient(srv *twiliosmstest.Server) *telephony.TwilioSMS {
	return &telephony.TwilioSMS{Endpoint: srv.URL, AccountSID: twilioTestSID, AuthToken: twilioTestToken}
}

// The conformance suite speaks of approved templates by id ("SMS_100") and
// of signatures ("外呼测试"), which Twilio does not have. For a Twilio
// tenant outcall looks both up in its own settings: a template id names a
// text outcall keeps, a signature names the tenant's sender. The suite
// therefore runs TwilioSMS behind twilioSuiteAdapter, which does that
// lookup, with the double behind twilioSuiteDouble, which registers what
// the lookup gives and tells the suite what it received in the suite's
// terms. What this makes of the suite's cases:
//
//   - "a template that is not approved": Twilio has no such refusal. The
//     adapter refuses an unknown template id itself, as outcall's settings
//     lookup does, with UnknownTemplate: the case checks outcall's own
//     check, not TwilioSMS or the double.
//   - "a signature that is not approved": a sign the tenant has not set up
//     becomes a number the account does not own, which Twilio refuses
//     (21659): the case checks TwilioSMS and the double.
//   - the OutID the suite expects back: Twilio carries none, so outcall
//     keeps it beside the sid in its own store; twilioSuiteDouble reports
//     the OutID the adapter kept for the sid. That part of the first case
//     checks the test's bookkeeping only.
//   - the carrier code "MK:0001": Twilio's error_code is a number, so the
//     double is told 30003 for it and the adapter reads 30003 back as
//     MK:0001; the case checks that the code the double reported is the
//     code the receipt gives.
//
// Everything else (the rendered Body, the sender, the recovered
// variables, the sid, the fee, throttling, a wrong Auth Token, a missing
// variable, a number abroad, an unknown sid) runs unchanged against the
// client and the double.
func TestTwilioSMSPassesTheSMSConformanceSuite(t *testing.T) {
	smstest.Run(t, func(t *testing.T) (smstest.Double, string, string, smstest.Provider) {
		book := &twilioSuiteBook{outIDs: map[string]string{}}
		srv := twilioDouble(t)
		return &twilioSuiteDouble{Server: srv, book: book}, twilioTestSID, twilioTestToken, func(id, secret string) telephony.SMSProvider {
			return &twilioSuiteAdapter{sms: &telephony.TwilioSMS{Endpoint: srv.URL, AccountSID: id, AuthToken: secret}, book: book}
		}
	})
}

// The suite's template ids and signatures, as a Twilio tenant's settings
// would give them, and the suite's carrier codes as Twilio's error codes.
var (
	twilioSuiteTemplates = map[string]string{"SMS_100": twilioTestText}
	twilioSuiteSenders   = map[string]string{"外呼测试": twilioTestSender}
	twilioSuiteCodes     = map[string]string{"MK:0001": "30003"}
)

// twilioSuiteBook is what outcall's store keeps of a message Twilio
// accepted: its OutID by its sid.
type twilioSuiteBook struct {
	mu     sync.Mutex
	outIDs map[string]string
}

// twilioSuiteAdapter is the suite's SMSProvider: outcall's settings lookup
// in front of the TwilioSMS under test.
type twilioSuiteAdapter struct {
	sms  *telephony.TwilioSMS
	book *twilioSuiteBook
}

func (a *twilioSuiteAdapter) Send(ctx context.Context, m telephony.SMSMessage) (telephony.SMSSent, error) {
	text, ok := twilioSuiteTemplates[m.Template]
	if !ok {
		// Outcall's own check: Twilio has no templates to refuse.
		return telephony.SMSSent{}, &telephony.SMSError{Provider: telephony.SMSTwilio, Code: "UnknownTemplate",
			Message: "template " + m.Template + " is not one of the tenant's"}
	}
	sender, ok := twilioSuiteSenders[m.SignName]
	if !ok {
		sender = twilioStranger
	}
	outID := m.OutID
	m.Template, m.SignName = text, sender
	sent, err := a.sms.Send(ctx, m)
	if err == nil {
		a.book.mu.Lock()
		a.book.outIDs[sent.ProviderID] = outID
		a.book.mu.Unlock()
	}
	return sent, err
}

func (a *twilioSuiteAdapter) Receipt(ctx context.Context, number string, sentAt time.Time, providerID string) (telephony.SMSReceipt, error) {
	r, err := a.sms.Receipt(ctx, number, sentAt, providerID)
	for suite, twilio := range twilioSuiteCodes {
		if r.Code == twilio {
			r.Code = suite
		}
	}
	return r, err
}

// twilioSuiteDouble is the double as the suite drives it, in the suite's
// terms.
type twilioSuiteDouble struct {
	*twiliosmstest.Server
	book *twilioSuiteBook
}

func (d *twilioSuiteDouble) Approve(sign, template string, vars []string) {
	sender, ok := twilioSuiteSenders[sign]
	if !ok {
		sender = sign
	}
	d.Server.Approve(sender, twilioSuiteTemplates[template], vars)
}

func (d *twilioSuiteDouble) Report(number, status, code string) {
	if c, ok := twilioSuiteCodes[code]; ok {
		code = c
	}
	d.Server.Report(number, status, code)
}

func (d *twilioSuiteDouble) Sent() []smstest.Sent {
	sent := d.Server.Sent()
	d.book.mu.Lock()
	defer d.book.mu.Unlock()
	for i, s := range sent {
		if s.OutID != "" {
			panic("the double reports an OutID, which Twilio does not carry")
		}
		for id, text := range twilioSuiteTemplates {
			if s.Template == text {
				sent[i].Template = id
			}
		}
		for sign, sender := range twilioSuiteSenders {
			if s.SignName == sender {
				sent[i].SignName = sign
			}
		}
		sent[i].OutID = d.book.outIDs[s.ProviderID]
	}
	return sent
}

// twilioRoundTrip answers requests without a network.
type twilioRoundTrip func(*http.Request) (*http.Response, error)

func (f twilioRoundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func twilioAnswer(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body))}
}

// twilioCreated is Twilio's answer to a message sent from a number.
const twilioCreated = `{"account_sid":"` + twilioTestSID + `","api_version":"2010-04-01","body":"…",` +
	`"date_created":"Thu, 04 Dec 2026 08:12:40 +0000","date_sent":null,"date_updated":"Thu, 04 Dec 2026 08:12:40 +0000",` +
	`"direction":"outbound-api","error_code":null,"error_message":null,"from":"+14155550100","messaging_service_sid":null,` +
	`"num_media":"0","num_segments":"2","price":null,"price_unit":"USD","sid":"SM0123456789abcdef0123456789abcdef",` +
	`"status":"queued","subresource_uris":{"media":"/2010-04-01/Accounts/` + twilioTestSID + `/Messages/SM0123456789abcdef0123456789abcdef/Media.json"},` +
	`"to":"+8613800000001","uri":"/2010-04-01/Accounts/` + twilioTestSID + `/Messages/SM0123456789abcdef0123456789abcdef.json"}`

func TestTwilioSMSSendsTheMessagesForm(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	client := &http.Client{Transport: twilioRoundTrip(func(r *http.Request) (*http.Response, error) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		return twilioAnswer(http.StatusCreated, twilioCreated), nil
	})}
	p := &telephony.TwilioSMS{AccountSID: twilioTestSID, AuthToken: twilioTestToken, Client: client}
	sent, err := p.Send(context.Background(), telephony.SMSMessage{To: "+8613800000001", SignName: twilioTestSender,
		Template: twilioTestText, Params: map[string]string{"name": "王先生", "link": "https://pay.example/a?b=1&c=2", "unused": "x"},
		ParamOrder: []string{"name", "link"}, OutID: "m-1"})
	if err != nil {
		t.Fatal(err)
	}
	if sent != (telephony.SMSSent{ProviderID: "SM0123456789abcdef0123456789abcdef", Fee: 2}) {
		t.Fatalf("sent %+v, want the sid and num_segments 2", sent)
	}
	if want := "https://api.twilio.com/2010-04-01/Accounts/" + twilioTestSID + "/Messages.json"; got.Method != http.MethodPost || got.URL.String() != want {
		t.Fatalf("%s %s, want POST %s", got.Method, got.URL, want)
	}
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(twilioTestSID+":"+twilioTestToken))
	if a := got.Header.Get("Authorization"); a != wantAuth {
		t.Fatalf("Authorization %q, want %q", a, wantAuth)
	}
	if ct := got.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Fatalf("Content-Type %q", ct)
	}
	form, err := url.ParseQuery(string(gotBody))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"To": {"+8613800000001"}, "From": {twilioTestSender}, "Body": {"王先生,您的还款链接:https://pay.example/a?b=1&c=2"}}
	if !maps.EqualFunc(form, want, func(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }) {
		t.Fatalf("form %v, want exactly %v (no OutID, which Twilio does not carry)", form, want)
	}
	// The Body is the text's UTF-8, percent-encoded as a form is.
	if !strings.Contains(string(gotBody), "Body=%E7%8E%8B%E5%85%88%E7%94%9F%2C") || !strings.Contains(string(gotBody), "To=%2B8613800000001") {
		t.Fatalf("body %s, want 王先生 as UTF-8 and the + of To encoded", gotBody)
	}

	// A Messaging Service is the sender as MessagingServiceSid, and its
	// answer, which counts no segments yet, is one billable message.
	client.Transport = twilioRoundTrip(func(r *http.Request) (*http.Response, error) {
		gotBody, _ = io.ReadAll(r.Body)
		body := strings.NewReplacer(`"status":"queued"`, `"status":"accepted"`, `"num_segments":"2"`, `"num_segments":"0"`,
			`"from":"+14155550100"`, `"from":null`).Replace(twilioCreated)
		return twilioAnswer(http.StatusCreated, body), nil
	})
	sent, err = p.Send(context.Background(), telephony.SMSMessage{To: "+447700900123", SignName: twilioTestMG, Template: "Hello"})
	if err != nil || sent.Fee != 1 {
		t.Fatalf("send through a service: %+v %v, want a fee of 1", sent, err)
	}
	form, _ = url.ParseQuery(string(gotBody))
	if form.Get("MessagingServiceSid") != twilioTestMG || form.Has("From") || form.Get("Body") != "Hello" {
		t.Fatalf("form %v, want MessagingServiceSid and no From", form)
	}
}

func TestTwilioSMSDoubleReceivesWhatTheClientSends(t *testing.T) {
	srv := twilioDouble(t)
	srv.Approve(twilioTestSender, twilioTestText, nil)
	srv.Approve(twilioTestMG, "", nil)
	p := twilioClient(srv)
	ctx := context.Background()
	params := map[string]string{"name": "{link}", "link": "https://pay.example/?q={name}"}
	sent, err := p.Send(ctx, telephony.SMSMessage{To: "+8613800000001", SignName: twilioTestSender, Template: twilioTestText, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Send(ctx, telephony.SMSMessage{To: "+8613800000002", SignName: twilioTestMG, Template: "Your code is {code}.",
		Params: map[string]string{"code": "1234"}}); err != nil {
		t.Fatal(err)
	}
	// A value is put in as it is, never read for variables itself.
	if b := srv.Bodies(); len(b) != 2 || b[0] != "{link},您的还款链接:https://pay.example/?q={name}" || b[1] != "Your code is 1234." {
		t.Fatalf("bodies %q", b)
	}
	s := srv.Sent()
	if len(s) != 2 || s[0].Template != twilioTestText || !maps.Equal(s[0].Params, params) || s[0].SignName != twilioTestSender ||
		s[0].ProviderID != sent.ProviderID || s[0].OutID != "" || !strings.HasPrefix(sent.ProviderID, "SM") || len(sent.ProviderID) != 34 {
		t.Fatalf("the double got %+v, sent %+v", s, sent)
	}
	if s[1].SignName != twilioTestMG || s[1].Template != "" {
		t.Fatalf("the double got %+v, want the service as the sender and no registered template", s[1])
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Path != "/2010-04-01/Accounts/"+twilioTestSID+"/Messages.json" || reqs[0].Status != http.StatusCreated ||
		!strings.HasPrefix(reqs[0].ContentType, "application/x-www-form-urlencoded") || len(reqs[0].Form) != 3 {
		t.Fatalf("requests %+v", reqs)
	}
}

func TestTwilioSMSDoubleCountsSegmentsAsTwilio(t *testing.T) {
	for _, c := range []struct {
		name string
		body string
		want int
	}{
		{"160 GSM-7 characters", strings.Repeat("a", 160), 1},
		{"161 GSM-7 characters", strings.Repeat("a", 161), 2},
		{"306 GSM-7 characters", strings.Repeat("a", 306), 2},
		{"307 GSM-7 characters", strings.Repeat("a", 307), 3},
		{"80 euro signs, two septets each", strings.Repeat("€", 80), 1},
		{"81 euro signs", strings.Repeat("€", 81), 2},
		{"an escape kept with its character", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), 3},
		{"GSM-7 letters beyond ASCII", strings.Repeat("é", 160), 1},
		{"70 Chinese characters", strings.Repeat("中", 70), 1},
		{"71 Chinese characters", strings.Repeat("中", 71), 2},
		{"134 Chinese characters", strings.Repeat("中", 134), 2},
		{"135 Chinese characters", strings.Repeat("中", 135), 3},
		{"one character outside GSM-7 makes it all UCS-2", strings.Repeat("a", 159) + "中", 3},
		{"35 emoji, two UTF-16 units each", strings.Repeat("😀", 35), 1},
		{"36 emoji", strings.Repeat("😀", 36), 2},
		{"the suite's message", "王先生,您的还款链接:https://pay.example/a?b=1&c=2", 1},
	} {
		if got := twiliosmstest.Segments(c.body); got != c.want {
			t.Errorf("%s: %d segments, want %d", c.name, got, c.want)
		}
	}

	srv := twilioDouble(t)
	srv.Approve(twilioTestSender, "", nil)
	p := twilioClient(srv)
	for text, want := range map[string]int{strings.Repeat("a", 161): 2, strings.Repeat("中", 71): 2, "Hi {name}": 1} {
		sent, err := p.Send(context.Background(), telephony.SMSMessage{To: "+14155550123", SignName: twilioTestSender, Template: text,
			Params: map[string]string{"name": "Ann"}})
		if err != nil || sent.Fee != want {
			t.Errorf("%.20q…: %+v %v, want a fee of %d", text, sent, err, want)
		}
	}
}

func TestTwilioSMSReadsTwilioRefusals(t *testing.T) {
	refusal := func(code, status int, message string) string {
		b, _ := json.Marshal(map[string]any{"code": code, "message": message,
			"more_info": "https://www.twilio.com/docs/errors/" + itoa(code), "status": status})
		return string(b)
	}
	cases := []struct {
		status int
		body   string
		code   string
		retry  bool
	}{
		{429, refusal(20429, 429, "Too Many Requests"), "20429", true},
		{400, refusal(30001, 400, "Queue overflow"), "30001", true},
		{500, refusal(20500, 500, "Internal Server Error"), "20500", true},
		{503, `<html>Service Unavailable</html>`, "HTTP 503", true},
		{401, refusal(20003, 401, "Authenticate"), "20003", false},
		{403, refusal(20003, 403, "Authenticate"), "20003", false},
		{400, refusal(21211, 400, "The 'To' number +8613800000001 is not a valid phone number."), "21211", false},
		{400, refusal(21606, 400, "The From phone number +14155550199 is not a valid, SMS-capable inbound phone number or short code for your account."), "21606", false},
		{400, refusal(21659, 400, "'From' +14155550199 is not a Twilio phone number or Short Code country mismatch"), "21659", false},
		{400, refusal(21610, 400, "Attempt to send to unsubscribed recipient +8613800000001"), "21610", false},
		{400, refusal(21408, 400, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: +8613800000001."), "21408", false},
		{400, refusal(21614, 400, "'To' number +8613800000001 is not a valid mobile number"), "21614", false},
		{400, refusal(21602, 400, "Message body is required."), "21602", false},
		{400, refusal(21617, 400, "The concatenated message body exceeds the 1600 character limit."), "21617", false},
		{404, `<html>Not Found</html>`, "HTTP 404", false},
	}
	for _, c := range cases {
		client := &http.Client{Transport: twilioRoundTrip(func(*http.Request) (*http.Response, error) {
			return twilioAnswer(c.status, c.body), nil
		})}
		p := &telephony.TwilioSMS{AccountSID: twilioTestSID, AuthToken: twilioTestToken, Client: client}
		_, err := p.Send(context.Background(), telephony.SMSMessage{To: "+8613800000001", SignName: "+14155550199", Template: "Hello"})
		var e *telephony.SMSError
		if !errors.As(err, &e) || e.Provider != telephony.SMSTwilio || e.Code != c.code || e.Retry != c.retry || telephony.SMSRetryable(err) != c.retry {
			t.Errorf("HTTP %d %s: %v, want code %s, retry %v", c.status, c.code, err, c.code, c.retry)
			continue
		}
		if s := err.Error(); strings.Contains(s, "13800000001") || strings.Contains(s, "4155550199") || strings.Contains(s, twilioTestToken) {
			t.Errorf("%s: the error shows a number or the token: %s", c.code, s)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestTwilioSMSTransportFailureIsRetryableAndNoRefusal(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	p := &telephony.TwilioSMS{Endpoint: dead.URL, AccountSID: twilioTestSID, AuthToken: twilioTestToken}
	ctx := context.Background()
	_, err := p.Send(ctx, telephony.SMSMessage{To: "+8613800000001", SignName: twilioTestSender, Template: "Hello"})
	var e *telephony.SMSError
	if err == nil || errors.As(err, &e) || !telephony.SMSRetryable(err) {
		t.Fatalf("send to a closed port: %v, want an error that is no refusal and may be retried", err)
	}
	_, rerr := p.Receipt(ctx, "+8613800000001", time.Now(), "SM0123456789abcdef0123456789abcdef")
	if rerr == nil || errors.As(rerr, &e) || !telephony.SMSRetryable(rerr) {
		t.Fatalf("receipt from a closed port: %v, want an error that is no refusal and may be retried", rerr)
	}
	for _, err := range []error{err, rerr} {
		if s := err.Error(); strings.Contains(s, twilioTestToken) || strings.Contains(s, "13800000001") {
			t.Fatalf("the error shows the token or the number: %s", s)
		}
	}
}

func TestTwilioSMSRefusesAnIncompleteMessageBeforeSending(t *testing.T) {
	client := &http.Client{Transport: twilioRoundTrip(func(r *http.Request) (*http.Response, error) {
		t.Errorf("a request was made: %s %s", r.Method, r.URL)
		return twilioAnswer(http.StatusCreated, twilioCreated), nil
	})}
	p := &telephony.TwilioSMS{AccountSID: twilioTestSID, AuthToken: twilioTestToken, Client: client}
	for _, c := range []struct {
		name string
		m    telephony.SMSMessage
	}{
		{"a variable without a value", telephony.SMSMessage{Template: twilioTestText, Params: map[string]string{"name": "王先生"}}},
		{"no variables at all", telephony.SMSMessage{Template: twilioTestText}},
		{"no text", telephony.SMSMessage{Template: ""}},
		{"a text that is empty once rendered", telephony.SMSMessage{Template: " {name} ", Params: map[string]string{"name": ""}}},
		{"no sender", telephony.SMSMessage{Template: "Hello", SignName: "-"}},
	} {
		m := c.m
		m.To = "+8613800000001"
		if m.SignName == "" {
			m.SignName = twilioTestSender
		} else if m.SignName == "-" {
			m.SignName = ""
		}
		_, err := p.Send(context.Background(), m)
		var e *telephony.SMSError
		if !errors.As(err, &e) || e.Provider != telephony.SMSTwilio || e.Code != "MissingParameter" || e.Retry {
			t.Errorf("%s: %v, want MissingParameter, not to retry", c.name, err)
		}
	}
}

func TestTwilioSMSReceiptFollowsTheMessagesStatus(t *testing.T) {
	const sid = "SM0123456789abcdef0123456789abcdef"
	updated := time.Date(2026, 12, 4, 8, 12, 45, 0, time.UTC)
	message := func(status, code string) string {
		return `{"sid":"` + sid + `","status":"` + status + `","error_code":` + code + `,"error_message":null,` +
			`"date_created":"Thu, 04 Dec 2026 08:12:40 +0000","date_updated":"Thu, 04 Dec 2026 08:12:45 +0000","num_segments":"1"}`
	}
	cases := []struct {
		answer     int
		body       string
		status     string
		code       string
		hasWhen    bool
		notRefusal bool
	}{
		{200, message("queued", "null"), telephony.SMSPending, "", false, true},
		{200, message("accepted", "null"), telephony.SMSPending, "", false, true},
		{200, message("scheduled", "null"), telephony.SMSPending, "", false, true},
		{200, message("sending", "null"), telephony.SMSPending, "", false, true},
		{200, message("sent", "null"), telephony.SMSPending, "", false, true},
		{200, message("delivered", "null"), telephony.SMSDelivered, "delivered", true, true},
		{200, message("read", "null"), telephony.SMSDelivered, "read", true, true},
		{200, message("undelivered", "30003"), telephony.SMSFailed, "30003", true, true},
		{200, message("failed", "30008"), telephony.SMSFailed, "30008", true, true},
		{200, message("failed", "null"), telephony.SMSFailed, "failed", true, true},
		{200, message("canceled", "null"), telephony.SMSFailed, "canceled", true, true},
		{404, `{"code":20404,"message":"The requested resource /2010-04-01/Accounts/` + twilioTestSID + `/Messages/` + sid + `.json was not found",` +
			`"more_info":"https://www.twilio.com/docs/errors/20404","status":404}`, telephony.SMSPending, "", false, true},
	}
	for _, c := range cases {
		var got *http.Request
		client := &http.Client{Transport: twilioRoundTrip(func(r *http.Request) (*http.Response, error) {
			got = r
			return twilioAnswer(c.answer, c.body), nil
		})}
		p := &telephony.TwilioSMS{AccountSID: twilioTestSID, AuthToken: twilioTestToken, Client: client}
		r, err := p.Receipt(context.Background(), "+8613800000001", updated, sid)
		if err != nil || r.Status != c.status || r.Code != c.code || r.At.IsZero() == c.hasWhen || (c.hasWhen && !r.At.Equal(updated)) {
			t.Errorf("%s: %+v %v, want %s %q", c.body, r, err, c.status, c.code)
		}
		if want := "https://api.twilio.com/2010-04-01/Accounts/" + twilioTestSID + "/Messages/" + sid + ".json"; got.Method != http.MethodGet || got.URL.String() != want {
			t.Errorf("%s %s, want GET %s", got.Method, got.URL, want)
		}
		if u, pw, ok := got.BasicAuth(); !ok || u != twilioTestSID || pw != twilioTestToken {
			t.Errorf("basic auth %q %v", u, ok)
		}
	}

	// A 404 that is not Twilio's is a refusal, not a message still on its
	// way; and a receipt needs a sid.
	client := &http.Client{Transport: twilioRoundTrip(func(*http.Request) (*http.Response, error) {
		return twilioAnswer(404, "<html>no such page</html>"), nil
	})}
	p := &telephony.TwilioSMS{AccountSID: twilioTestSID, AuthToken: twilioTestToken, Client: client}
	var e *telephony.SMSError
	if _, err := p.Receipt(context.Background(), "+8613800000001", updated, sid); !errors.As(err, &e) || e.Code != "HTTP 404" || e.Retry {
		t.Errorf("a 404 page: %v, want HTTP 404, not to retry", err)
	}
	if _, err := p.Receipt(context.Background(), "+8613800000001", updated, ""); !errors.As(err, &e) || e.Code != "MissingSid" {
		t.Errorf("no sid: %v, want MissingSid", err)
	}
}

func TestTwilioSMSDoubleReportsWhatTheCarrierSaid(t *testing.T) {
	srv := twilioDouble(t)
	srv.Approve(twilioTestSender, "", nil)
	p := twilioClient(srv)
	ctx := context.Background()
	send := func(to string) string {
		t.Helper()
		sent, err := p.Send(ctx, telephony.SMSMessage{To: to, SignName: twilioTestSender, Template: "Hello"})
		if err != nil {
			t.Fatal(err)
		}
		return sent.ProviderID
	}
	receipt := func(to, sid string) telephony.SMSReceipt {
		t.Helper()
		r, err := p.Receipt(ctx, to, time.Now(), sid)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	srv.Report("+8613800000001", telephony.SMSPending, "")
	sid := send("+8613800000001")
	if r := receipt("+8613800000001", sid); r.Status != telephony.SMSPending {
		t.Fatalf("before the carrier reports: %+v, want pending", r)
	}
	srv.Report("+8613800000001", telephony.SMSFailed, "30005")
	r := receipt("+8613800000001", sid)
	if r.Status != telephony.SMSFailed || r.Code != "30005" || r.At.IsZero() {
		t.Fatalf("once failed: %+v, want failed with 30005", r)
	}
	// A final status stays.
	srv.Report("+8613800000001", telephony.SMSDelivered, "")
	if r2 := receipt("+8613800000001", sid); r2 != r {
		t.Fatalf("again: %+v, want %+v", r2, r)
	}
	// A carrier code that is not Twilio's number is its unknown error.
	srv.Report("+8613800000002", telephony.SMSFailed, "MK:0001")
	if r := receipt("+8613800000002", send("+8613800000002")); r.Status != telephony.SMSFailed || r.Code != "30008" {
		t.Fatalf("failed with MK:0001: %+v, want 30008", r)
	}
	if r := receipt("+8613800000003", send("+8613800000003")); r.Status != telephony.SMSDelivered || r.Code != "delivered" || r.At.IsZero() {
		t.Fatalf("by default: %+v, want delivered", r)
	}
	if r := receipt("+8613800000003", "SMffffffffffffffffffffffffffffffff"); r.Status != telephony.SMSPending {
		t.Fatalf("an unknown sid: %+v, want pending", r)
	}
}

// twilioPost sends a form to the double as any HTTP client would.
func twilioPost(t *testing.T, srv *twiliosmstest.Server, account, token string, form url.Values) (int, int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/2010-04-01/Accounts/"+account+"/Messages.json", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(twilioTestSID, token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode == http.StatusCreated {
		var m struct{ SID, Status string }
		if err := json.Unmarshal(raw, &m); err != nil || !strings.HasPrefix(m.SID, "SM") || m.Status != "queued" {
			t.Fatalf("created %s", raw)
		}
		return res.StatusCode, 0, res.Header
	}
	var refusal struct {
		Code     int    `json:"code"`
		Status   int    `json:"status"`
		MoreInfo string `json:"more_info"`
	}
	if err := json.Unmarshal(raw, &refusal); err != nil || refusal.Code == 0 || refusal.Status != res.StatusCode ||
		refusal.MoreInfo != "https://www.twilio.com/docs/errors/"+itoa(refusal.Code) {
		t.Fatalf("refusal %s under HTTP %d", raw, res.StatusCode)
	}
	return res.StatusCode, refusal.Code, res.Header
}

func TestTwilioSMSDoubleRefusesWhatTwilioRefuses(t *testing.T) {
	good := url.Values{"To": {"+8613800000001"}, "From": {twilioTestSender}, "Body": {"Hello"}}
	edit := func(f func(v url.Values)) url.Values {
		v := maps.Clone(good)
		f(v)
		return v
	}
	cases := []struct {
		name    string
		account string
		token   string
		form    url.Values
		status  int
		code    int
	}{
		{"a wrong Auth Token", twilioTestSID, "not-the-token", good, 401, 20003},
		{"another account's path", "ACffffffffffffffffffffffffffffffff", twilioTestToken, good, 403, 20003},
		{"no To", twilioTestSID, twilioTestToken, edit(func(v url.Values) { v.Del("To") }), 400, 21604},
		{"a To not in E.164", twilioTestSID, twilioTestToken, edit(func(v url.Values) { v.Set("To", "13800000001") }), 400, 21211},
		{"no sender", twilioTestSID, twilioTestToken, edit(func(v url.Values) { v.Del("From") }), 400, 21603},
		{"a From the account does not own", twilioTestSID, twilioTestToken, edit(func(v url.Values) { v.Set("From", twilioStranger) }), 400, 21659},
		{"an unknown Messaging Service", twilioTestSID, twilioTestToken, edit(func(v url.Values) { v.Del("From"); v.Set("MessagingServiceSid", twilioTestMG) }), 400, 21705},
		{"no Body", twilioTestSID, twilioTestToken, edit(func(v url.Values) { v.Set("Body", "") }), 400, 21602},
		{"a Body over 1600 characters", twilioTestSID, twilioTestToken, edit(func(v url.Values) { v.Set("Body", strings.Repeat("中", 1601)) }), 400, 21617},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := twilioDouble(t)
			srv.Approve(twilioTestSender, "", nil)
			status, code, header := twilioPost(t, srv, c.account, c.token, c.form)
			if status != c.status || code != c.code {
				t.Fatalf("HTTP %d code %d, want HTTP %d code %d", status, code, c.status, c.code)
			}
			if status == 401 && header.Get("WWW-Authenticate") == "" {
				t.Fatal("a 401 without WWW-Authenticate")
			}
			if len(srv.Sent()) != 0 {
				t.Fatalf("the double accepted %+v", srv.Sent())
			}
		})
	}

	srv := twilioDouble(t)
	srv.Approve(twilioTestSender, "", nil)
	srv.Throttle(1)
	if status, code, _ := twilioPost(t, srv, twilioTestSID, twilioTestToken, good); status != 429 || code != 20429 {
		t.Fatalf("throttled: HTTP %d code %d, want 429 20429", status, code)
	}
	if status, code, _ := twilioPost(t, srv, twilioTestSID, twilioTestToken, good); status != 201 || code != 0 {
		t.Fatalf("after the throttle: HTTP %d code %d, want 201", status, code)
	}
}

func TestTwilioSMSErrorsShowNeitherTheTokenNorANumber(t *testing.T) {
	srv := twilioDouble(t)
	srv.Approve(twilioTestSender, "", nil)
	ctx := context.Background()
	p := twilioClient(srv)
	for _, c := range []struct {
		name string
		p    *telephony.TwilioSMS
		m    telephony.SMSMessage
		code string
	}{
		{"a wrong token", &telephony.TwilioSMS{Endpoint: srv.URL, AccountSID: twilioTestSID, AuthToken: "wrong-" + twilioTestToken},
			telephony.SMSMessage{To: "+8613800000001", SignName: twilioTestSender, Template: "Hello"}, "20003"},
		{"a number not in E.164", p, telephony.SMSMessage{To: "8613800000001", SignName: twilioTestSender, Template: "Hello"}, "21211"},
		{"a sender the account does not own", p, telephony.SMSMessage{To: "+8613800000001", SignName: twilioStranger, Template: "Hello"}, "21659"},
	} {
		_, err := c.p.Send(ctx, c.m)
		var e *telephony.SMSError
		if !errors.As(err, &e) || e.Code != c.code || e.Retry {
			t.Errorf("%s: %v, want %s, not to retry", c.name, err, c.code)
			continue
		}
		if s := err.Error(); strings.Contains(s, twilioTestToken) || strings.Contains(s, "13800000001") || strings.Contains(s, "4155550199") {
			t.Errorf("%s: the error shows the token or a number: %s", c.name, s)
		}
	}
}
