package telephony_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/smstest"
	"github.com/outcall/outcall/telephony/tencentsmstest"
)

const (
	tencentTestID     = "AKIDtencentsmstest0001"
	tencentTestSecret = "tencent-sms-test-secret-key"
	tencentTestApp    = "1400000001"
)

// tencentDouble starts Tencent's double for one test, closed when it ends.
func tencentDouble(t *testing.T) *tencentsmstest.Server {
	srv := tencentsmstest.NewServer(tencentTestID, tencentTestSecret, tencentTestApp)
	t.Cleanup(srv.Close)
	return srv
}

func TestTencentSMSPassesTheSMSConformanceSuite(t *testing.T) {
	smstest.Run(t, func(t *testing.T) (smstest.Double, string, string, smstest.Provider) {
		srv := tencentDouble(t)
		return srv, tencentTestID, tencentTestSecret, func(id, secret string) telephony.SMSProvider {
			return &telephony.TencentSMS{Endpoint: srv.URL, SecretID: id, SecretKey: secret, SdkAppID: tencentTestApp}
		}
	})
}

// roundTripFunc answers requests without a network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func answer(body string) *http.Response {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body))}
}

func TestTencentSMSSignsARequestWithTC3HMACSHA256(t *testing.T) {
	const (
		id  = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
		key = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
		ts  = 1551113065 // 2019-02-25 16:44:25 UTC, already the 26th in China
		// The signature the formulas give for this request, pinned so that
		// a change on either side shows.
		pinned = "ff22e181483f514c97d08e7ca0f604ae8f06cb58c4a464f2280d9f8a32eb2969"
	)
	var got *http.Request
	var gotBody []byte
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		return answer(`{"Response":{"SendStatusSet":[{"SerialNo":"2640:1","PhoneNumber":"+8613800000001","Fee":1,` +
			`"SessionContext":"m-1","Code":"Ok","Message":"send success","IsoCode":"CN"}],"RequestId":"r-1"}}`), nil
	})}
	p := &telephony.TencentSMS{SecretID: id, SecretKey: key, SdkAppID: "1400006666", Client: client,
		Now: func() time.Time { return time.Unix(ts, 0).In(time.FixedZone("CST", 8*3600)) }}
	sent, err := p.Send(context.Background(), telephony.SMSMessage{To: "+8613800000001", SignName: "外呼测试", Template: "1110",
		Params: map[string]string{"code": "1234", "name": "王先生"}, ParamOrder: []string{"name", "code"}, OutID: "m-1"})
	if err != nil {
		t.Fatal(err)
	}
	if sent != (telephony.SMSSent{ProviderID: "2640:1", Fee: 1}) {
		t.Fatalf("sent %+v", sent)
	}

	body := `{"PhoneNumberSet":["+8613800000001"],"SmsSdkAppId":"1400006666","TemplateId":"1110","SignName":"外呼测试",` +
		`"TemplateParamSet":["王先生","1234"],"SessionContext":"m-1"}`
	if string(gotBody) != body {
		t.Fatalf("body\n%s\nwant\n%s", gotBody, body)
	}
	if got.Method != http.MethodPost || got.URL.String() != "https://sms.tencentcloudapi.com/" || got.Host != "sms.tencentcloudapi.com" {
		t.Fatalf("%s %s (Host %s), want POST https://sms.tencentcloudapi.com/", got.Method, got.URL, got.Host)
	}
	for h, want := range map[string]string{
		"Content-Type":   "application/json; charset=utf-8",
		"X-TC-Action":    "SendSms",
		"X-TC-Version":   "2021-01-11",
		"X-TC-Timestamp": "1551113065",
		"X-TC-Region":    "ap-guangzhou",
	} {
		if v := got.Header.Get(h); v != want {
			t.Errorf("%s: %q, want %q", h, v, want)
		}
	}

	// The signature, step by step.
	sha := func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	canonicalRequest := "POST\n" + "/\n" + "\n" +
		"content-type:application/json; charset=utf-8\n" + "host:sms.tencentcloudapi.com\n" + "\n" +
		"content-type;host\n" + sha(body)
	date := "2019-02-25" // the UTC date, not China's
	stringToSign := "TC3-HMAC-SHA256\n" + "1551113065\n" + date + "/sms/tc3_request\n" + sha(canonicalRequest)
	secretDate := mac([]byte("TC3"+key), date)
	secretService := mac(secretDate, "sms")
	secretSigning := mac(secretService, "tc3_request")
	signature := hex.EncodeToString(mac(secretSigning, stringToSign))
	if signature != pinned {
		t.Fatalf("the formulas give %s, pinned %s", signature, pinned)
	}
	want := "TC3-HMAC-SHA256 Credential=" + id + "/2019-02-25/sms/tc3_request, SignedHeaders=content-type;host, Signature=" + signature
	if a := got.Header.Get("Authorization"); a != want {
		t.Fatalf("Authorization\n%s\nwant\n%s", a, want)
	}
}

func TestTencentSMSSortsVariablesByNameWithoutAnOrder(t *testing.T) {
	srv := tencentDouble(t)
	srv.Approve("外呼测试", "1110", []string{"a", "b"})
	p := &telephony.TencentSMS{Endpoint: srv.URL, SecretID: tencentTestID, SecretKey: tencentTestSecret, SdkAppID: tencentTestApp}
	m := telephony.SMSMessage{To: "+8613800000001", SignName: "外呼测试", Template: "1110", Params: map[string]string{"b": "二", "a": "一"}}
	if _, err := p.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if s := srv.Sent(); len(s) != 1 || !maps.Equal(s[0].Params, m.Params) {
		t.Fatalf("the double got %+v, want {1}=一 {2}=二", s)
	}

	// A variable the order names but the message lacks is not sent.
	m.ParamOrder = []string{"a", "b", "c"}
	_, err := p.Send(context.Background(), m)
	var e *telephony.SMSError
	if !errors.As(err, &e) || e.Retry || len(srv.Sent()) != 1 {
		t.Fatalf("send without c: %v, want a refusal not to retry, nothing sent", err)
	}
}

func TestTencentSMSTransportFailureIsRetryableAndNoRefusal(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	p := &telephony.TencentSMS{Endpoint: dead.URL, SecretID: tencentTestID, SecretKey: tencentTestSecret, SdkAppID: tencentTestApp}
	ctx := context.Background()
	_, err := p.Send(ctx, telephony.SMSMessage{To: "+8613800000001", SignName: "外呼测试", Template: "1110"})
	var e *telephony.SMSError
	if err == nil || errors.As(err, &e) || !telephony.SMSRetryable(err) {
		t.Fatalf("send to a closed port: %v, want an error that is no refusal and may be retried", err)
	}
	_, rerr := p.Receipt(ctx, "+8613800000001", time.Now(), "2640:1")
	if rerr == nil || errors.As(rerr, &e) || !telephony.SMSRetryable(rerr) {
		t.Fatalf("receipt from a closed port: %v, want an error that is no refusal and may be retried", rerr)
	}
	for _, err := range []error{err, rerr} {
		if s := err.Error(); strings.Contains(s, tencentTestSecret) || strings.Contains(s, "13800000001") {
			t.Fatalf("the error shows the secret or the number: %s", s)
		}
	}
}

func TestTencentSMSDoubleRefusesWhatTheServiceRefuses(t *testing.T) {
	cases := []struct {
		name string
		edit func(p *telephony.TencentSMS)
		code string
	}{
		{"a timestamp six minutes old", func(p *telephony.TencentSMS) {
			p.Now = func() time.Time { return time.Now().Add(-6 * time.Minute) }
		}, "AuthFailure.SignatureExpire"},
		{"a timestamp six minutes ahead", func(p *telephony.TencentSMS) {
			p.Now = func() time.Time { return time.Now().Add(6 * time.Minute) }
		}, "AuthFailure.SignatureExpire"},
		{"another SMS application", func(p *telephony.TencentSMS) { p.SdkAppID = "1400999999" }, "InvalidParameterValue.SdkAppIdNotExist"},
		{"an unknown SecretId", func(p *telephony.TencentSMS) { p.SecretID = "AKIDnosuchkey" }, "AuthFailure.SecretIdNotFound"},
		{"a wrong SecretKey", func(p *telephony.TencentSMS) { p.SecretKey = "not-the-key" }, "AuthFailure.SignatureFailure"},
		{"a region without the service", func(p *telephony.TencentSMS) { p.Region = "ap-nowhere" }, "UnsupportedRegion"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := tencentDouble(t)
			srv.Approve("外呼测试", "1110", []string{"name"})
			p := &telephony.TencentSMS{Endpoint: srv.URL, SecretID: tencentTestID, SecretKey: tencentTestSecret, SdkAppID: tencentTestApp}
			c.edit(p)
			_, err := p.Send(context.Background(), telephony.SMSMessage{To: "+8613800000001", SignName: "外呼测试", Template: "1110",
				Params: map[string]string{"name": "王先生"}, ParamOrder: []string{"name"}})
			var e *telephony.SMSError
			if !errors.As(err, &e) || e.Code != c.code || e.Retry {
				t.Fatalf("send: %v, want %s, not to retry", err, c.code)
			}
			if strings.Contains(err.Error(), tencentTestSecret) {
				t.Fatalf("the error shows the secret: %v", err)
			}
			if len(srv.Sent()) != 0 {
				t.Fatalf("the double accepted %+v", srv.Sent())
			}
		})
	}
}

func TestTencentSMSRefusesAMalformedNumberPerNumber(t *testing.T) {
	srv := tencentDouble(t)
	srv.Approve("外呼测试", "1110", nil)
	p := &telephony.TencentSMS{Endpoint: srv.URL, SecretID: tencentTestID, SecretKey: tencentTestSecret, SdkAppID: tencentTestApp}
	_, err := p.Send(context.Background(), telephony.SMSMessage{To: "13800000001", SignName: "外呼测试", Template: "1110"})
	var e *telephony.SMSError
	if !errors.As(err, &e) || e.Code != "InvalidParameterValue.IncorrectPhoneNumber" || e.Retry {
		t.Fatalf("send to a number that is not E.164: %v, want InvalidParameterValue.IncorrectPhoneNumber, not to retry", err)
	}
	if r := srv.Requests(); len(r) != 1 || r[0].Code != "" {
		t.Fatalf("requests %+v, want one answered with a SendStatusSet", r)
	}
}

func TestTencentSMSReceiptAsksForTheWindowAroundTheSend(t *testing.T) {
	srv := tencentDouble(t)
	srv.Approve("外呼测试", "1110", nil)
	srv.Report("+8613800000001", telephony.SMSPending, "")
	p := &telephony.TencentSMS{Endpoint: srv.URL, SecretID: tencentTestID, SecretKey: tencentTestSecret, SdkAppID: tencentTestApp}
	ctx := context.Background()
	sentAt := time.Now()
	got, err := p.Send(ctx, telephony.SMSMessage{To: "+8613800000001", SignName: "外呼测试", Template: "1110", OutID: "m-9"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Receipt(ctx, "+8613800000001", sentAt, got.ProviderID)
	if err != nil || r.Status != telephony.SMSPending {
		t.Fatalf("receipt before the carrier reports: %+v %v, want pending", r, err)
	}
	reqs := srv.Requests()
	var pull struct {
		BeginTime, EndTime, Offset, Limit int64
		PhoneNumber, SmsSdkAppId          string
	}
	if last := reqs[len(reqs)-1]; last.Action != "PullSmsSendStatusByPhoneNumber" || json.Unmarshal([]byte(last.Body), &pull) != nil {
		t.Fatalf("last request %+v", last)
	}
	if pull.BeginTime != sentAt.Add(-5*time.Minute).Unix() || pull.EndTime < sentAt.Unix() || pull.Offset != 0 || pull.Limit != 100 ||
		pull.PhoneNumber != "+8613800000001" || pull.SmsSdkAppId != tencentTestApp {
		t.Fatalf("pulled %+v, want from five minutes before %d until now, 100 at most", pull, sentAt.Unix())
	}

	srv.Report("+8613800000001", telephony.SMSFailed, "MK:0005")
	r, err = p.Receipt(ctx, "+8613800000001", sentAt, got.ProviderID)
	if err != nil || r.Status != telephony.SMSFailed || r.Code != "MK:0005" || r.At.IsZero() {
		t.Fatalf("receipt once reported: %+v %v, want failed with MK:0005", r, err)
	}
	// A report, once given, stays.
	srv.Report("+8613800000001", telephony.SMSDelivered, "")
	if r2, err := p.Receipt(ctx, "+8613800000001", sentAt, got.ProviderID); err != nil || r2 != r {
		t.Fatalf("receipt again: %+v %v, want %+v", r2, err, r)
	}
}

func TestTencentSMSReadsTheServicesRefusals(t *testing.T) {
	cases := []struct {
		code  string
		retry bool
	}{
		{"RequestLimitExceeded", true},
		{"RequestLimitExceeded.UinLimitExceeded", true},
		{"InternalError.Timeout", true},
		{"InternalError.OtherError", true},
		{"InternalError.RequestTimeException", false},
		{"LimitExceeded.PhoneNumberThirtySecondLimit", false},
		{"LimitExceeded.PhoneNumberDailyLimit", false},
		{"LimitExceeded.AppCountryOrRegionDailyLimit", false},
		{"FailedOperation.InsufficientBalanceInSmsPackage", false},
		{"FailedOperation.SignatureIncorrectOrUnapproved", false},
		{"FailedOperation.TemplateIncorrectOrUnapproved", false},
		{"FailedOperation.TemplateParamSetNotMatchApprovedTemplate", false},
		{"InvalidParameterValue.TemplateParameterFormatError", false},
		{"InvalidParameterValue.IncorrectPhoneNumber", false},
		{"AuthFailure.SignatureFailure", false},
		{"UnauthorizedOperation.SmsSdkAppIdVerifyFail", false},
	}
	for _, c := range cases {
		for _, perNumber := range []bool{false, true} {
			body := `{"Response":{"Error":{"Code":"` + c.code + `","Message":"refused for +8613800000001"},"RequestId":"r-2"}}`
			if perNumber {
				body = `{"Response":{"SendStatusSet":[{"SerialNo":"","PhoneNumber":"+8613800000001","Fee":0,"SessionContext":"",` +
					`"Code":"` + c.code + `","Message":"refused for +8613800000001","IsoCode":"CN"}],"RequestId":"r-2"}}`
			}
			client := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return answer(body), nil })}
			p := &telephony.TencentSMS{SecretID: tencentTestID, SecretKey: tencentTestSecret, SdkAppID: tencentTestApp, Client: client}
			_, err := p.Send(context.Background(), telephony.SMSMessage{To: "+8613800000001", SignName: "外呼测试", Template: "1110"})
			var e *telephony.SMSError
			if !errors.As(err, &e) || e.Provider != telephony.SMSTencent || e.Code != c.code || e.Retry != c.retry {
				t.Errorf("%s (per number %v): %v, want retry %v", c.code, perNumber, err, c.retry)
				continue
			}
			if strings.Contains(err.Error(), "13800000001") {
				t.Errorf("%s: the error shows the number: %v", c.code, err)
			}
		}
	}
}

func TestTencentSMSReadsReportTimes(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want time.Time
	}{
		{`1620734188`, time.Unix(1620734188, 0)},
		{`"2024-05-11 20:03:04"`, time.Date(2024, 5, 11, 12, 3, 4, 0, time.UTC)},
	} {
		body := `{"Response":{"PullSmsSendStatusSet":[{"UserReceiveTime":` + c.raw + `,"CountryCode":"86","SubscriberNumber":"13800000001",` +
			`"PhoneNumber":"+8613800000001","SerialNo":"2640:7","ReportStatus":"SUCCESS","Description":"DELIVRD","SessionContext":"m-1"}],"RequestId":"r-3"}}`
		client := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return answer(body), nil })}
		p := &telephony.TencentSMS{SecretID: tencentTestID, SecretKey: tencentTestSecret, SdkAppID: tencentTestApp, Client: client}
		r, err := p.Receipt(context.Background(), "+8613800000001", time.Now(), "2640:7")
		if err != nil || r.Status != telephony.SMSDelivered || r.Code != "DELIVRD" || !r.At.Equal(c.want) {
			t.Errorf("UserReceiveTime %s: %+v %v, want delivered at %v", c.raw, r, err, c.want)
		}
	}
}
