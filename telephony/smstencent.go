package telephony

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outcall/outcall/phone"
)

// TencentSMS sends text messages through Tencent Cloud SMS (腾讯云短信),
// speaking its API 3.0 (service "sms", version 2021-01-11):
//
//   - every call is a POST of a JSON body to the endpoint's root, its
//     action in the X-TC-Action header, with X-TC-Version, X-TC-Timestamp
//     (Unix seconds) and X-TC-Region beside it;
//   - every call is signed with TC3-HMAC-SHA256 over the method, the path,
//     the query, the content-type and host headers and the body's SHA-256,
//     with a key derived from the SecretKey, the UTC date and the service;
//   - SendSms takes the numbers (E.164), the SdkAppId, the approved
//     signature's content and template id, and the template's variables
//     by position ({1}, {2}…), and answers each number with its own code
//     ("Ok" when accepted) and the message's SerialNo;
//   - PullSmsSendStatusByPhoneNumber lists one number's carrier reports
//     between two times, each naming the SerialNo it is for.
//
// A refused request answers HTTP 200 with a Response.Error; both it and a
// number's own refusal become an *SMSError. Neither the SecretKey nor a
// full phone number ever appears in an error.
type TencentSMS struct {
	// Endpoint is the API's URL (default https://sms.tencentcloudapi.com/).
	Endpoint string
	// SecretID and SecretKey are the Cloud API key pair (云 API 密钥).
	SecretID, SecretKey string
	// Region is the region the calls name (default ap-guangzhou).
	Region string
	// SdkAppID is the SMS application's SmsSdkAppId (1400…).
	SdkAppID string
	// Client sends the requests (default: one with a 10 s timeout).
	Client *http.Client
	// Now is the clock requests are stamped and signed with (default
	// time.Now).
	Now func() time.Time
}

// Tencent Cloud SMS API 3.0, as TencentSMS speaks it.
const (
	tencentSMSEndpoint    = "https://sms.tencentcloudapi.com/"
	tencentSMSRegion      = "ap-guangzhou"
	tencentSMSService     = "sms"
	tencentSMSVersion     = "2021-01-11"
	tencentSMSContentType = "application/json; charset=utf-8"
	tencentSMSAlgorithm   = "TC3-HMAC-SHA256"
	// tencentReportLead is how long before the send the receipt window
	// opens, for a clock that differs from Tencent's.
	tencentReportLead = 5 * time.Minute
	// tencentReportMaxAge is how far back the service lets a pull reach.
	tencentReportMaxAge = 7 * 24 * time.Hour
)

var tencentSMSClient = &http.Client{Timeout: 10 * time.Second}

// tencentChinaTime is the zone Tencent writes wall-clock times in (UTC+8).
var tencentChinaTime = time.FixedZone("CST", 8*60*60)

var _ SMSProvider = (*TencentSMS)(nil)

// Send sends m to one number with SendSms. The template's variables go in
// m.ParamOrder's order, or in the order of their names when ParamOrder is
// empty; a variable ParamOrder names but Params lacks is refused before
// anything is sent, with the service's own code for a missing parameter.
func (t *TencentSMS) Send(ctx context.Context, m SMSMessage) (SMSSent, error) {
	order := m.ParamOrder
	if len(order) == 0 {
		order = slices.Sorted(maps.Keys(m.Params))
	}
	values := make([]string, 0, len(order))
	for _, name := range order {
		v, ok := m.Params[name]
		if !ok {
			return SMSSent{}, &SMSError{Provider: SMSTencent, Code: "MissingParameter",
				Message: fmt.Sprintf("template variable %q has no value (not sent)", name)}
		}
		values = append(values, v)
	}
	req := tencentSendSmsRequest{
		PhoneNumberSet:   []string{m.To},
		SmsSdkAppID:      t.SdkAppID,
		TemplateID:       m.Template,
		SignName:         m.SignName,
		TemplateParamSet: values,
		SessionContext:   m.OutID,
	}
	var resp struct {
		SendStatusSet []struct {
			SerialNo       string
			PhoneNumber    string
			Fee            int
			SessionContext string
			Code           string
			Message        string
			IsoCode        string
		}
	}
	if err := t.call(ctx, "SendSms", req, &resp); err != nil {
		return SMSSent{}, err
	}
	if len(resp.SendStatusSet) == 0 {
		return SMSSent{}, errors.New("tencent SMS: SendSms: the answer has no SendStatusSet")
	}
	s := resp.SendStatusSet[0]
	if !strings.EqualFold(s.Code, "Ok") {
		return SMSSent{}, &SMSError{Provider: SMSTencent, Code: s.Code, Message: phone.MaskIn(s.Message), Retry: tencentRetryable(s.Code)}
	}
	if s.SerialNo == "" {
		return SMSSent{}, errors.New("tencent SMS: SendSms: the number was accepted without a SerialNo")
	}
	return SMSSent{ProviderID: s.SerialNo, Fee: s.Fee}, nil
}

// Receipt looks for the report of the message whose SerialNo is
// providerID among the number's reports from shortly before sentAt until
// now, with PullSmsSendStatusByPhoneNumber. The service reaches back seven
// days at most; a message it has no report of is pending.
func (t *TencentSMS) Receipt(ctx context.Context, number string, sentAt time.Time, providerID string) (SMSReceipt, error) {
	now := t.now()
	begin := sentAt.Add(-tencentReportLead)
	if oldest := now.Add(-tencentReportMaxAge).Add(time.Minute); sentAt.IsZero() || begin.Before(oldest) {
		begin = oldest
	}
	end := now
	if end.Before(begin) {
		end = begin
	}
	req := tencentPullStatusRequest{
		BeginTime:   begin.Unix(),
		EndTime:     end.Unix(),
		Offset:      0,
		Limit:       100,
		PhoneNumber: number,
		SmsSdkAppID: t.SdkAppID,
	}
	var resp struct {
		PullSmsSendStatusSet []struct {
			UserReceiveTime  tencentTime
			CountryCode      string
			SubscriberNumber string
			PhoneNumber      string
			SerialNo         string
			ReportStatus     string
			Description      string
			SessionContext   string
		}
	}
	if err := t.call(ctx, "PullSmsSendStatusByPhoneNumber", req, &resp); err != nil {
		return SMSReceipt{}, err
	}
	for _, r := range resp.PullSmsSendStatusSet {
		if r.SerialNo != providerID {
			continue
		}
		at := r.UserReceiveTime.Time
		if at.IsZero() {
			at = now
		}
		switch strings.ToUpper(r.ReportStatus) {
		case "SUCCESS":
			return SMSReceipt{Status: SMSDelivered, Code: r.Description, At: at}, nil
		case "FAIL":
			return SMSReceipt{Status: SMSFailed, Code: r.Description, At: at}, nil
		}
	}
	return SMSReceipt{Status: SMSPending}, nil
}

// tencentSendSmsRequest is SendSms's body.
type tencentSendSmsRequest struct {
	PhoneNumberSet   []string `json:"PhoneNumberSet"`
	SmsSdkAppID      string   `json:"SmsSdkAppId"`
	TemplateID       string   `json:"TemplateId"`
	SignName         string   `json:"SignName"`
	TemplateParamSet []string `json:"TemplateParamSet"`
	SessionContext   string   `json:"SessionContext,omitempty"`
}

// tencentPullStatusRequest is PullSmsSendStatusByPhoneNumber's body.
type tencentPullStatusRequest struct {
	BeginTime   int64  `json:"BeginTime"`
	EndTime     int64  `json:"EndTime"`
	Offset      int    `json:"Offset"`
	Limit       int    `json:"Limit"`
	PhoneNumber string `json:"PhoneNumber"`
	SmsSdkAppID string `json:"SmsSdkAppId"`
}

// tencentTime is a time in a report: Unix seconds, as API 3.0 documents
// it, or a "2006-01-02 15:04:05" wall-clock time in China, as Tencent's
// status callbacks write it.
type tencentTime struct{ time.Time }

func (t *tencentTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > 0 {
			t.Time = time.Unix(n, 0)
		}
		return nil
	}
	at, err := time.ParseInLocation(time.DateTime, s, tencentChinaTime)
	if err != nil {
		return fmt.Errorf("UserReceiveTime %q: neither Unix seconds nor %s", s, time.DateTime)
	}
	t.Time = at
	return nil
}

// call signs and sends one action and decodes its answer's Response into
// out. A Response.Error is an *SMSError; anything else that goes wrong
// (the network, an answer that is not the API's) is an ordinary error,
// which SMSRetryable takes as passing.
func (t *TencentSMS) call(ctx context.Context, action string, body, out any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		return fmt.Errorf("tencent SMS: %s: %w", action, err)
	}
	payload := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))

	endpoint := t.Endpoint
	if endpoint == "" {
		endpoint = tencentSMSEndpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("tencent SMS: endpoint %q is not a URL", endpoint)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	region := t.Region
	if region == "" {
		region = tencentSMSRegion
	}
	now := t.now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("tencent SMS: %s: %w", action, err)
	}
	req.Host = u.Host
	req.Header.Set("Content-Type", tencentSMSContentType)
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", tencentSMSVersion)
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("X-TC-Region", region)
	req.Header.Set("Authorization", tc3Authorization(t.SecretID, t.SecretKey, u.Host, u.EscapedPath(), u.RawQuery, now, payload))

	client := t.Client
	if client == nil {
		client = tencentSMSClient
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("tencent SMS: %s: %w", action, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("tencent SMS: %s: reading the answer: %w", action, err)
	}
	var envelope struct {
		Response *struct {
			Error *struct {
				Code    string
				Message string
			}
			RequestID string `json:"RequestId"`
		}
	}
	if err := json.Unmarshal(raw, &envelope); err != nil || envelope.Response == nil {
		return fmt.Errorf("tencent SMS: %s: HTTP %d, not an API answer", action, res.StatusCode)
	}
	if e := envelope.Response.Error; e != nil && e.Code != "" {
		msg := phone.MaskIn(e.Message)
		if envelope.Response.RequestID != "" {
			msg += " (RequestId " + envelope.Response.RequestID + ")"
		}
		return &SMSError{Provider: SMSTencent, Code: e.Code, Message: msg, Retry: tencentRetryable(e.Code)}
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("tencent SMS: %s: HTTP %d", action, res.StatusCode)
	}
	var wrapped struct{ Response json.RawMessage }
	if err := json.Unmarshal(raw, &wrapped); err != nil {
		return fmt.Errorf("tencent SMS: %s: %w", action, err)
	}
	if err := json.Unmarshal(wrapped.Response, out); err != nil {
		return fmt.Errorf("tencent SMS: %s: the answer: %w", action, err)
	}
	return nil
}

func (t *TencentSMS) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// tc3Authorization is the Authorization header of a POST signed with
// TC3-HMAC-SHA256, the content-type and host headers signed:
//
//	CanonicalRequest = POST \n path \n query \n content-type:… \n host:… \n \n content-type;host \n hex(SHA256(body))
//	StringToSign     = TC3-HMAC-SHA256 \n timestamp \n date/sms/tc3_request \n hex(SHA256(CanonicalRequest))
//	SigningKey       = HMAC(HMAC(HMAC("TC3"+SecretKey, date), "sms"), "tc3_request")
//	Signature        = hex(HMAC(SigningKey, StringToSign))
//
// where date is the timestamp's UTC day (2006-01-02).
func tc3Authorization(secretID, secretKey, host, path, query string, at time.Time, body []byte) string {
	const signedHeaders = "content-type;host"
	canonical := "POST\n" + path + "\n" + query + "\n" +
		"content-type:" + tencentSMSContentType + "\n" + "host:" + strings.ToLower(host) + "\n" + "\n" +
		signedHeaders + "\n" + tc3SHA256Hex(body)
	date := at.UTC().Format(time.DateOnly)
	scope := date + "/" + tencentSMSService + "/tc3_request"
	toSign := tencentSMSAlgorithm + "\n" + strconv.FormatInt(at.Unix(), 10) + "\n" + scope + "\n" + tc3SHA256Hex([]byte(canonical))
	key := tc3HMAC([]byte("TC3"+secretKey), date)
	key = tc3HMAC(key, tencentSMSService)
	key = tc3HMAC(key, "tc3_request")
	signature := hex.EncodeToString(tc3HMAC(key, toSign))
	return tencentSMSAlgorithm + " Credential=" + secretID + "/" + scope + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature
}

func tc3HMAC(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

func tc3SHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// tencentRetryable reports whether a request Tencent refused with code may
// succeed later unchanged: when it was over the API's request rate
// (RequestLimitExceeded…) or the service's own fault (InternalError…),
// except the internal errors that say the request itself is wrong. Quotas
// (LimitExceeded…: a number's or the application's daily, hourly or
// thirty-second limits), authentication, unapproved signatures and
// templates, malformed numbers and an exhausted SMS package never clear on
// their own soon enough to retry.
func tencentRetryable(code string) bool {
	switch code {
	case "InternalError.RequestTimeException", // the sender's clock is off
		"InternalError.RestApiInterfaceNotExist",
		"InternalError.SigFieldMissing",
		"InternalError.JsonParseFail":
		return false
	}
	return code == "RequestLimitExceeded" || strings.HasPrefix(code, "RequestLimitExceeded.") ||
		code == "InternalError" || strings.HasPrefix(code, "InternalError.")
}
