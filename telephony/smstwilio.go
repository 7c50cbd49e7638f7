package telephony

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/outcall/outcall/phone"
)

// SMSTwilio is Twilio Programmable Messaging (API 2010-04-01), the
// provider for numbers abroad.
const SMSTwilio = "twilio"

// TwilioSMS sends text messages through Twilio Programmable Messaging,
// speaking its REST API of version 2010-04-01:
//
//   - every request is authenticated with HTTP Basic auth, the account's
//     SID (AC…) as the user and its Auth Token as the password;
//   - a message is sent with a POST to
//     /2010-04-01/Accounts/{AccountSid}/Messages.json of an
//     application/x-www-form-urlencoded form: To (E.164), Body (the text
//     itself) and the sender, From (a number the account owns, or an
//     alphanumeric sender ID) or MessagingServiceSid (MG…); Twilio answers
//     201 with the Message resource in JSON, its sid (SM…) and, as a
//     string, the segments it is billed as (num_segments);
//   - a message's delivery is read with a GET of
//     /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json, whose status
//     and error_code the carrier's report sets;
//   - a refusal is an HTTP error with JSON {"code": 21211, "message": …,
//     "more_info": …, "status": 400}, which becomes an *SMSError with the
//     code as a string.
//
// Twilio has no approved templates: outcall keeps a template's text
// itself. For Twilio, SMSMessage.Template is that text with its variables
// written {name} ("{name},您的还款链接:{link}"), which Send fills in from
// Params (ParamOrder is not needed); SMSMessage.SignName is the sender, a
// Messaging Service SID (MG and 32 hex digits) sent as
// MessagingServiceSid, anything else (an E.164 number, an alphanumeric
// sender ID) sent as From. Twilio keeps no reference of the sender's own
// with a message, so SMSMessage.OutID is not sent: outcall finds a
// message's receipt by its ProviderID (the sid) alone.
//
// Neither the Auth Token nor a full phone number ever appears in an error.
// The zero value of every field but the credentials is sensible.
type TwilioSMS struct {
	// Endpoint is the API's base URL (default https://api.twilio.com).
	Endpoint string
	// AccountSID (AC…) and AuthToken are the account's credentials.
	AccountSID, AuthToken string
	// Client makes the requests (default a client with a 10 s timeout).
	Client *http.Client
	// Now is the clock a receipt without Twilio's date is dated by
	// (default time.Now).
	Now func() time.Time
}

// Twilio's REST API, as TwilioSMS speaks it.
const (
	TwilioSMSEndpoint = "https://api.twilio.com"
	twilioAPIVersion  = "2010-04-01"
	// twilioDate is the layout of the Message resource's dates (RFC 2822,
	// in GMT).
	twilioDate = time.RFC1123Z
)

var twilioDefaultClient = &http.Client{Timeout: 10 * time.Second}

var _ SMSProvider = (*TwilioSMS)(nil)

// twilioPlaceholder is a variable in a Twilio template's text: a name of
// letters, digits, '_', '.' or '-' in braces. Other braces are text.
var twilioPlaceholder = regexp.MustCompile(`\{([\p{L}\p{N}_.-]{1,64})\}`)

// twilioServiceSID is a Messaging Service's SID.
var twilioServiceSID = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)

// renderTwilioTemplate fills text's {name} variables in from params, in
// one pass (a value that itself looks like a variable stays as it is). A
// variable without a value in params is an *SMSError with the code
// MissingParameter.
func renderTwilioTemplate(text string, params map[string]string) (string, error) {
	var missing []string
	out := twilioPlaceholder.ReplaceAllStringFunc(text, func(p string) string {
		name := p[1 : len(p)-1]
		v, ok := params[name]
		if !ok {
			missing = append(missing, name)
			return p
		}
		return v
	})
	if len(missing) > 0 {
		return "", &SMSError{Provider: SMSTwilio, Code: "MissingParameter",
			Message: fmt.Sprintf("template variable %q has no value (not sent)", missing[0])}
	}
	return out, nil
}

// twilioMessage is the Message resource, as far as outcall reads it.
type twilioMessage struct {
	SID         string      `json:"sid"`
	Status      string      `json:"status"`
	NumSegments twilioCount `json:"num_segments"`
	ErrorCode   twilioCount `json:"error_code"`
	DateUpdated string      `json:"date_updated"`
	DateSent    string      `json:"date_sent"`
}

// twilioCount is a number Twilio writes as a string ("2"), an integer or
// null; 0 when null or empty.
type twilioCount int64

func (c *twilioCount) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		*c = 0
		return nil
	}
	if uq, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(uq)
	}
	if s == "" {
		*c = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*c = twilioCount(n)
	return nil
}

// twilioRefusal is the JSON of Twilio's error answers.
type twilioRefusal struct {
	Code     int64  `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// Send renders m's template and sends it with a POST to Messages.json. A
// template variable without a value, an empty text or no sender is
// refused before anything is sent, as MissingParameter. Fee is the
// segments Twilio counted, or 1 when it has not counted them yet (a
// message sent through a Messaging Service is answered with 0 segments,
// its sender not yet chosen).
func (t *TwilioSMS) Send(ctx context.Context, m SMSMessage) (SMSSent, error) {
	body, err := renderTwilioTemplate(m.Template, m.Params)
	if err != nil {
		return SMSSent{}, err
	}
	if strings.TrimSpace(body) == "" {
		return SMSSent{}, &SMSError{Provider: SMSTwilio, Code: "MissingParameter", Message: "the message has no text (not sent)"}
	}
	if m.SignName == "" {
		return SMSSent{}, &SMSError{Provider: SMSTwilio, Code: "MissingParameter", Message: "the message has no sender (not sent)"}
	}
	form := url.Values{}
	form.Set("To", m.To)
	form.Set("Body", body)
	if twilioServiceSID.MatchString(m.SignName) {
		form.Set("MessagingServiceSid", m.SignName)
	} else {
		form.Set("From", m.SignName)
	}
	status, raw, err := t.do(ctx, http.MethodPost, "/Messages.json", form)
	if err != nil {
		return SMSSent{}, err
	}
	if status != http.StatusCreated && status != http.StatusOK {
		return SMSSent{}, twilioError(status, raw)
	}
	var msg twilioMessage
	if err := json.Unmarshal(raw, &msg); err != nil || msg.SID == "" {
		// Sending again could send the message twice: this is not retried.
		return SMSSent{}, &SMSError{Provider: SMSTwilio, Code: "NoSid",
			Message: fmt.Sprintf("Twilio answered HTTP %d without a message sid", status)}
	}
	fee := int(msg.NumSegments)
	if fee < 1 {
		fee = 1
	}
	return SMSSent{ProviderID: msg.SID, Fee: fee}, nil
}

// Receipt reads the message whose sid is providerID with a GET of
// Messages/{Sid}.json; number and sentAt are not needed. delivered and
// read are delivered; undelivered, failed and canceled are failed, with
// Twilio's error_code (30003…) as the code, or the status when there is
// none; every other status (queued, accepted, scheduled, sending, sent) is
// pending, and so is a message Twilio does not know (404, code 20404).
func (t *TwilioSMS) Receipt(ctx context.Context, number string, sentAt time.Time, providerID string) (SMSReceipt, error) {
	if providerID == "" {
		return SMSReceipt{}, &SMSError{Provider: SMSTwilio, Code: "MissingSid", Message: "no message sid to look the message up by"}
	}
	status, raw, err := t.do(ctx, http.MethodGet, "/Messages/"+url.PathEscape(providerID)+".json", nil)
	if err != nil {
		return SMSReceipt{}, err
	}
	if status == http.StatusNotFound {
		var r twilioRefusal
		if json.Unmarshal(raw, &r) == nil && r.Code == 20404 {
			return SMSReceipt{Status: SMSPending}, nil
		}
	}
	if status != http.StatusOK {
		return SMSReceipt{}, twilioError(status, raw)
	}
	var msg twilioMessage
	if err := json.Unmarshal(raw, &msg); err != nil || msg.Status == "" {
		return SMSReceipt{}, fmt.Errorf("twilio SMS: reading message %s: HTTP %d, not a Message resource", providerID, status)
	}
	at, err := time.Parse(twilioDate, msg.DateUpdated)
	if err != nil {
		if at, err = time.Parse(time.RFC1123, msg.DateUpdated); err != nil {
			at = t.now()
		}
	}
	switch msg.Status {
	case "delivered", "read":
		return SMSReceipt{Status: SMSDelivered, Code: msg.Status, At: at}, nil
	case "undelivered", "failed", "canceled":
		code := msg.Status
		if msg.ErrorCode != 0 {
			code = strconv.FormatInt(int64(msg.ErrorCode), 10)
		}
		return SMSReceipt{Status: SMSFailed, Code: code, At: at}, nil
	default:
		return SMSReceipt{Status: SMSPending}, nil
	}
}

// do makes one authenticated request of the account's resource path (a
// form when form is not nil) and returns Twilio's answer. Only a request
// that got no answer is an error here, wrapped, and never an *SMSError.
func (t *TwilioSMS) do(ctx context.Context, method, resource string, form url.Values) (int, []byte, error) {
	endpoint := strings.TrimRight(t.Endpoint, "/")
	if endpoint == "" {
		endpoint = TwilioSMSEndpoint
	}
	u := endpoint + "/" + twilioAPIVersion + "/Accounts/" + url.PathEscape(t.AccountSID) + resource
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, nil, fmt.Errorf("twilio SMS: %s %s: %w", method, resource, err)
	}
	req.SetBasicAuth(t.AccountSID, t.AuthToken)
	req.Header.Set("Accept", "application/json")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	client := t.Client
	if client == nil {
		client = twilioDefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("twilio SMS: %s %s: %w", method, resource, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("twilio SMS: %s %s: reading the answer (HTTP %d): %w", method, resource, resp.StatusCode, err)
	}
	return resp.StatusCode, raw, nil
}

// twilioError reads a refusal. An answer that is not Twilio's error JSON
// (a proxy's error page) is refused under "HTTP nnn".
func twilioError(status int, raw []byte) error {
	var r twilioRefusal
	if err := json.Unmarshal(raw, &r); err != nil || r.Code == 0 {
		return &SMSError{Provider: SMSTwilio, Code: "HTTP " + strconv.Itoa(status),
			Message: "an answer that is not Twilio's error JSON", Retry: twilioRetryable(status, 0)}
	}
	msg := phone.MaskIn(r.Message)
	if r.MoreInfo != "" {
		msg += " (" + r.MoreInfo + ")"
	}
	return &SMSError{Provider: SMSTwilio, Code: strconv.FormatInt(r.Code, 10), Message: msg, Retry: twilioRetryable(status, r.Code)}
}

// twilioRetryable says whether a refusal may go away on its own: too
// many requests (HTTP 429, code 20429), a full queue (30001) and
// Twilio's own faults (5xx). Every other refusal is for good: a wrong
// Account SID or Auth Token (20003), a To that is no valid number
// (21211) or no mobile (21614), a From the account does not own (21606,
// 21659), a recipient who answered STOP (21610), a country not enabled
// for the account (21408), no Body (21602) and every other 4xx.
func twilioRetryable(status int, code int64) bool {
	return status == http.StatusTooManyRequests || code == 20429 || code == 30001 || status >= 500
}

func (t *TwilioSMS) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}
