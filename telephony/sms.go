package telephony

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SMS providers a tenant can choose for follow-up messages (SMSTwilio, for
// numbers abroad, is in smstwilio.go). Chinese carriers accept only
// messages sent under an approved signature (签名) with an approved
// template (模板): a message names both, and its template's variables,
// never free text. Twilio has no templates: a message's Template is the
// tenant's own text with {variable} placeholders, and its SignName the
// sender (a number or a Messaging Service SID).
const (
	SMSOff     = "off"
	SMSAliyun  = "aliyun"  // Alibaba Cloud SMS (dysmsapi, 2017-05-25)
	SMSTencent = "tencent" // Tencent Cloud SMS (sms, 2021-01-11)
)

// SMSMessage is one text message to send.
type SMSMessage struct {
	// To is the recipient's E.164 number (+8613800000000).
	To string
	// SignName is the approved signature the message is sent under (for
	// Tencent, the signature's content; its SMS app is TencentSMS.SdkAppID).
	SignName string
	// Template is the provider's id of the approved template.
	Template string
	// Params are the template's variables by name. Tencent's templates
	// number their variables ({1}, {2}…): ParamOrder gives the names in
	// that order.
	Params     map[string]string
	ParamOrder []string
	// OutID is the sender's own id for the message (outcall's message
	// id), kept by the provider and returned in its receipts.
	OutID string
}

// SMSSent is a provider's acceptance of a message.
type SMSSent struct {
	// ProviderID is the provider's id for the message (Alibaba's BizId,
	// Tencent's SerialNo), by which its receipt is found.
	ProviderID string
	// Fee is how many billable messages it was (a long text is several),
	// as the provider counts it; Alibaba's answer does not say, so its
	// client reports 1.
	Fee int
}

// SMS delivery states a receipt reports.
const (
	SMSPending   = "pending"   // the carrier has not reported yet
	SMSDelivered = "delivered" // the handset got it
	SMSFailed    = "failed"    // the carrier gave up
)

// SMSReceipt is what a provider knows of a sent message's delivery.
type SMSReceipt struct {
	Status string // SMSPending, SMSDelivered or SMSFailed
	// Code is the carrier's own code ("DELIVRD", "MK:0001"…), when any.
	Code string
	// At is when the carrier reported, zero while pending.
	At time.Time
}

// SMSProvider sends text messages and reports their delivery.
type SMSProvider interface {
	// Send hands the message to the provider. An *SMSError says why the
	// provider refused it.
	Send(ctx context.Context, m SMSMessage) (SMSSent, error)
	// Receipt looks up the delivery of a message sent to number at about
	// sentAt, by its ProviderID. A message the provider does not know
	// yet is pending.
	Receipt(ctx context.Context, number string, sentAt time.Time, providerID string) (SMSReceipt, error)
}

// SMSError is a provider's refusal of a request, with its own code
// ("isv.TEMPLATE_MISSING_PARAMETERS", "FailedOperation.SignatureIncorrectOrUnapproved").
type SMSError struct {
	Provider string
	Code     string
	Message  string
	// Retry is true when the same request may succeed later (throttled,
	// the provider's own fault); false when it never will (a template
	// not approved, a number the carrier refuses, a wrong key).
	Retry bool
}

func (e *SMSError) Error() string {
	return fmt.Sprintf("%s SMS: %s: %s", e.Provider, e.Code, e.Message)
}

// SMSRetryable reports whether err (from Send or Receipt) may go away on
// its own: a provider's refusal that says so, or anything that is not a
// refusal (the network, a timeout).
func SMSRetryable(err error) bool {
	var e *SMSError
	if errors.As(err, &e) {
		return e.Retry
	}
	return err != nil
}
