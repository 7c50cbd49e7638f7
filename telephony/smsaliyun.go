package telephony

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/phone"
)

// AliyunSMS sends text messages through Alibaba Cloud SMS (Dysmsapi, API
// version 2017-05-25), speaking its RPC protocol with signature version
// 1.0:
//
//   - every request carries the common parameters AccessKeyId, Action,
//     Format=JSON, RegionId, SignatureMethod=HMAC-SHA1, SignatureNonce (a
//     fresh UUID), SignatureVersion=1.0, Timestamp (UTC,
//     2006-01-02T15:04:05Z) and Version=2017-05-25, and the action's own;
//   - the parameters, sorted by name, each name and value percent-encoded
//     as RFC 3986 says (AliyunPercentEncode), are joined as k=v&k=v; the
//     string to sign is "POST&%2F&" and that, percent-encoded once more;
//     Signature is base64 of its HMAC-SHA1 under AccessKeySecret + "&";
//   - the request is a POST of all of them, Signature included, as an
//     application/x-www-form-urlencoded body.
//
// SendSms sends a message under its approved signature and template;
// QuerySendDetails finds its receipt. Mainland China numbers go as their
// 11 digits, others as country code and number without the '+'. The
// service answers JSON with a Code: "OK", or why it refused, which Send
// and Receipt return as an *SMSError. A number not in E.164 is refused
// before anything is sent, with the service's code for it,
// isv.MOBILE_NUMBER_ILLEGAL. Neither the secret nor a full number ever
// appears in an error.
//
// The zero value of every field but the credentials is sensible.
type AliyunSMS struct {
	// Endpoint is the service's URL (default https://dysmsapi.aliyuncs.com/).
	Endpoint string
	// AccessKeyID and AccessKeySecret are the RAM user's key pair.
	AccessKeyID, AccessKeySecret string
	// RegionID is the RegionId sent (default cn-hangzhou).
	RegionID string
	// Client makes the requests (default a client with a 10 s timeout).
	Client *http.Client
	// Now is the clock the Timestamp is read from (default time.Now).
	Now func() time.Time
}

// Defaults of AliyunSMS.
const (
	AliyunSMSEndpoint = "https://dysmsapi.aliyuncs.com/"
	AliyunSMSRegion   = "cn-hangzhou"
	aliyunSMSVersion  = "2017-05-25"
	// aliyunTimestamp is the layout of the Timestamp parameter.
	aliyunTimestamp = "2006-01-02T15:04:05Z"
	// aliyunDetailTime is the layout of a receipt's SendDate and
	// ReceiveDate, in China Standard Time.
	aliyunDetailTime = "2006-01-02 15:04:05"
)

// chinaTime is China Standard Time, the zone the service keeps its days
// and receipt times in. A fixed zone needs no time zone database.
var chinaTime = time.FixedZone("CST", 8*3600)

var aliyunDefaultClient = &http.Client{Timeout: 10 * time.Second}

// aliyunReply is the JSON every action answers with; each action fills
// its own fields.
type aliyunReply struct {
	RequestID string `json:"RequestId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	// SendSms.
	BizID string `json:"BizId"`
	// QuerySendDetails.
	TotalCount        int64 `json:"TotalCount"`
	SmsSendDetailDTOs struct {
		SmsSendDetailDTO []aliyunSendDetail `json:"SmsSendDetailDTO"`
	} `json:"SmsSendDetailDTOs"`
}

// aliyunSendDetail is one message's record in QuerySendDetails' answer.
type aliyunSendDetail struct {
	PhoneNum string `json:"PhoneNum"`
	// SendStatus is 1 while the receipt is awaited, 2 when the carrier
	// failed the message, 3 when it was delivered.
	SendStatus   int64  `json:"SendStatus"`
	ErrCode      string `json:"ErrCode"`
	TemplateCode string `json:"TemplateCode"`
	SendDate     string `json:"SendDate"`
	ReceiveDate  string `json:"ReceiveDate"`
	OutID        string `json:"OutId"`
}

// Send sends m with SendSms. The service does not say how many billable
// messages a text was, so Fee is 1.
func (a *AliyunSMS) Send(ctx context.Context, m SMSMessage) (SMSSent, error) {
	number, err := aliyunNumber(m.To)
	if err != nil {
		return SMSSent{}, err
	}
	params := url.Values{}
	params.Set("PhoneNumbers", number)
	params.Set("SignName", m.SignName)
	params.Set("TemplateCode", m.Template)
	if len(m.Params) > 0 {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		// Values such as links keep their '&', '<' and '>' as they are.
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m.Params); err != nil {
			return SMSSent{}, fmt.Errorf("aliyun SMS: encoding the template's variables: %w", err)
		}
		params.Set("TemplateParam", strings.TrimSuffix(buf.String(), "\n"))
	}
	if m.OutID != "" {
		params.Set("OutId", m.OutID)
	}
	reply, err := a.call(ctx, "SendSms", params)
	if err != nil {
		return SMSSent{}, err
	}
	if reply.BizID == "" {
		// Sending again could send the message twice: this is not retried.
		return SMSSent{}, &SMSError{Provider: SMSAliyun, Code: "NoBizId",
			Message: "the service accepted the message but gave no BizId (RequestId " + reply.RequestID + ")"}
	}
	return SMSSent{ProviderID: reply.BizID, Fee: 1}, nil
}

// Receipt looks the message up with QuerySendDetails, on the service's
// day (China Standard Time) of sentAt. When sentAt is within ten minutes
// of midnight there, and the message is not found, the other day is
// looked at too.
func (a *AliyunSMS) Receipt(ctx context.Context, number string, sentAt time.Time, providerID string) (SMSReceipt, error) {
	if providerID == "" {
		return SMSReceipt{}, &SMSError{Provider: SMSAliyun, Code: "MissingBizId", Message: "no BizId to look the message up by"}
	}
	digits, err := aliyunNumber(number)
	if err != nil {
		return SMSReceipt{}, err
	}
	local := sentAt.In(chinaTime)
	days := []time.Time{local}
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, chinaTime)
	const margin = 10 * time.Minute
	switch {
	case local.Sub(midnight) < margin:
		days = append(days, local.AddDate(0, 0, -1))
	case midnight.AddDate(0, 0, 1).Sub(local) <= margin:
		days = append(days, local.AddDate(0, 0, 1))
	}
	for _, day := range days {
		params := url.Values{}
		params.Set("PhoneNumber", digits)
		params.Set("SendDate", day.Format("20060102"))
		params.Set("PageSize", "10")
		params.Set("CurrentPage", "1")
		params.Set("BizId", providerID)
		reply, err := a.call(ctx, "QuerySendDetails", params)
		if err != nil {
			return SMSReceipt{}, err
		}
		// The records are those of the number and the BizId: one per
		// message, as one number is sent to at a time.
		if details := reply.SmsSendDetailDTOs.SmsSendDetailDTO; len(details) > 0 {
			return aliyunReceipt(details[0]), nil
		}
	}
	return SMSReceipt{Status: SMSPending}, nil
}

// aliyunReceipt reads a message's record.
func aliyunReceipt(d aliyunSendDetail) SMSReceipt {
	switch d.SendStatus {
	case 3, 2:
		r := SMSReceipt{Status: SMSDelivered, Code: d.ErrCode}
		if d.SendStatus == 2 {
			r.Status = SMSFailed
		}
		at, err := time.ParseInLocation(aliyunDetailTime, d.ReceiveDate, chinaTime)
		if err != nil {
			// A record without a receipt time is dated when it was sent.
			at, _ = time.ParseInLocation(aliyunDetailTime, d.SendDate, chinaTime)
		}
		r.At = at
		return r
	default:
		return SMSReceipt{Status: SMSPending}
	}
}

// call signs and makes one request of action, and reads its answer. A
// Code other than "OK" is returned as an *SMSError; a request that never
// got an answer as the transport's error.
func (a *AliyunSMS) call(ctx context.Context, action string, params url.Values) (aliyunReply, error) {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	region := a.RegionID
	if region == "" {
		region = AliyunSMSRegion
	}
	params.Set("AccessKeyId", a.AccessKeyID)
	params.Set("Action", action)
	params.Set("Format", "JSON")
	params.Set("RegionId", region)
	params.Set("SignatureMethod", "HMAC-SHA1")
	params.Set("SignatureNonce", uuid.NewString())
	params.Set("SignatureVersion", "1.0")
	params.Set("Timestamp", now().UTC().Format(aliyunTimestamp))
	params.Set("Version", aliyunSMSVersion)
	body := aliyunCanonical(params) + "&Signature=" + AliyunPercentEncode(AliyunSignature(http.MethodPost, params, a.AccessKeySecret))

	endpoint := a.Endpoint
	if endpoint == "" {
		endpoint = AliyunSMSEndpoint
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(body))
	if err != nil {
		return aliyunReply{}, fmt.Errorf("aliyun SMS %s: %w", action, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	client := a.Client
	if client == nil {
		client = aliyunDefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return aliyunReply{}, fmt.Errorf("aliyun SMS %s: %w", action, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return aliyunReply{}, fmt.Errorf("aliyun SMS %s: reading the answer (HTTP %d): %w", action, resp.StatusCode, err)
	}
	var reply aliyunReply
	if err := json.Unmarshal(raw, &reply); err != nil || reply.Code == "" {
		// Not the service's answer: a gateway's error page, most likely.
		return aliyunReply{}, &SMSError{Provider: SMSAliyun, Code: "HTTP " + strconv.Itoa(resp.StatusCode),
			Message: "an answer that is not the service's JSON", Retry: resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests}
	}
	if reply.Code != "OK" {
		return aliyunReply{}, &SMSError{Provider: SMSAliyun, Code: reply.Code, Message: aliyunMessage(reply),
			Retry: resp.StatusCode >= 500 || aliyunRetryable(reply.Code)}
	}
	return reply, nil
}

// aliyunMessage is the service's explanation of a refusal, fit for a
// log: the string to sign that SignatureDoesNotMatch echoes (which holds
// the number and the template's variables) is cut off, and whatever may
// be a phone number is masked.
func aliyunMessage(r aliyunReply) string {
	msg := r.Message
	if i := strings.Index(msg, "server string to sign is:"); i >= 0 {
		msg = strings.TrimSpace(msg[:i]) + " (the server's string to sign is left out)"
	}
	msg = phone.MaskIn(msg)
	if r.RequestID != "" {
		msg += " (RequestId " + r.RequestID + ")"
	}
	return msg
}

// aliyunRetryable says whether a refusal with code may go away on its
// own: the service's throttling and its own faults. A per-number daily
// or monthly cap, a refused signature, template, number or variable, a
// wrong key, signature or clock never does soon.
func aliyunRetryable(code string) bool {
	if strings.HasPrefix(code, "Throttling") || strings.HasPrefix(code, "ServiceUnavailable") ||
		strings.HasPrefix(code, "InternalError") {
		return true
	}
	switch code {
	case "isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "isp.GATEWAY_ERROR", "ServiceTimeout", "UnknownError":
		return true
	}
	return false
}

// aliyunNumber writes an E.164 number as the service takes it: a
// mainland China number (+86 and 11 digits) as its 11 digits, any other
// as its country code and number, without the '+'.
func aliyunNumber(e164 string) (string, error) {
	digits, ok := strings.CutPrefix(e164, "+")
	if !ok || len(digits) < 7 || len(digits) > 15 || digits[0] == '0' || strings.Trim(digits, "0123456789") != "" {
		return "", &SMSError{Provider: SMSAliyun, Code: "isv.MOBILE_NUMBER_ILLEGAL",
			Message: fmt.Sprintf("%q is not a number in E.164", phone.Mask(e164))}
	}
	if national, ok := strings.CutPrefix(digits, "86"); ok && len(national) == 11 {
		return national, nil
	}
	return digits, nil
}

// AliyunPercentEncode encodes s as Alibaba Cloud's RPC signature wants:
// its UTF-8 bytes, the RFC 3986 unreserved characters (A-Z a-z 0-9 - _
// . ~) as they are and every other byte as %XX in upper case, so that a
// space is %20, '*' is %2A and '~' stays.
func AliyunPercentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// aliyunCanonical is the canonicalised query: the parameters (the first
// value of each, Signature left out) sorted by name, names and values
// percent-encoded, joined as k=v&k=v.
func aliyunCanonical(params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(AliyunPercentEncode(k))
		b.WriteByte('=')
		b.WriteString(AliyunPercentEncode(params.Get(k)))
	}
	return b.String()
}

// AliyunSignature signs a request of Alibaba Cloud's RPC style with
// signature version 1.0: base64 of the HMAC-SHA1, under secret + "&", of
// method + "&%2F&" + the percent-encoded canonicalised query of params
// (Signature, if present, left out).
func AliyunSignature(method string, params url.Values, secret string) string {
	toSign := method + "&" + AliyunPercentEncode("/") + "&" + AliyunPercentEncode(aliyunCanonical(params))
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
