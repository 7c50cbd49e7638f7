// Package smstest is the conformance suite every SMS provider's client
// passes against its provider's test double: the same messages, the same
// refusals and the same receipts, whatever the protocol underneath. A
// double implements Double; the suite never reads a figure of a real
// provider's own.
package smstest

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
)

// Sent is a message a double accepted, as it understood the request.
type Sent struct {
	To         string // E.164
	SignName   string
	Template   string
	Params     map[string]string
	OutID      string
	ProviderID string
}

// Double is a provider's test double as the suite drives it.
type Double interface {
	// Approve registers a signature and a template with its variables
	// (in the template's order), as the provider's console approval does.
	Approve(sign, template string, vars []string)
	// Report sets what the carrier reports for a number's messages:
	// telephony.SMSDelivered (the default) or telephony.SMSFailed, with
	// the carrier's code.
	Report(number, status, code string)
	// Throttle has the next n sends refused as over the provider's rate.
	Throttle(n int)
	// Sent lists the messages the double accepted, in order.
	Sent() []Sent
}

// Provider makes the client under test, talking to the double with the
// given credentials.
type Provider func(id, secret string) telephony.SMSProvider

// Run runs the suite. start returns a fresh double, the credentials it
// accepts, and how to make a client of it.
func Run(t *testing.T, start func(t *testing.T) (d Double, id, secret string, client Provider)) {
	ctx := context.Background()
	msg := func() telephony.SMSMessage {
		return telephony.SMSMessage{To: "+8613800000001", SignName: "外呼测试", Template: "SMS_100", OutID: "m-1",
			Params: map[string]string{"name": "王先生", "link": "https://pay.example/a?b=1&c=2"}, ParamOrder: []string{"name", "link"}}
	}

	t.Run("an approved message is sent and its receipt says delivered", func(t *testing.T) {
		d, id, secret, client := start(t)
		d.Approve("外呼测试", "SMS_100", []string{"name", "link"})
		p := client(id, secret)
		sentAt := time.Now()
		got, err := p.Send(ctx, msg())
		if err != nil {
			t.Fatal(err)
		}
		if got.ProviderID == "" || got.Fee < 1 {
			t.Fatalf("sent %+v, want the provider's id and a fee of at least 1", got)
		}
		s := d.Sent()
		if len(s) != 1 {
			t.Fatalf("the double accepted %d messages, want 1", len(s))
		}
		m := msg()
		if s[0].To != m.To || s[0].SignName != m.SignName || s[0].Template != m.Template || s[0].OutID != m.OutID ||
			!maps.Equal(s[0].Params, m.Params) || s[0].ProviderID != got.ProviderID {
			t.Fatalf("the double got %+v, want %+v as %s", s[0], m, got.ProviderID)
		}
		r, err := p.Receipt(ctx, m.To, sentAt, got.ProviderID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != telephony.SMSDelivered || r.At.IsZero() {
			t.Fatalf("receipt %+v, want delivered, with when", r)
		}
	})

	t.Run("a number outside the mainland is sent in full", func(t *testing.T) {
		d, id, secret, client := start(t)
		d.Approve("外呼测试", "SMS_100", []string{"name", "link"})
		m := msg()
		m.To = "+85291234567"
		if _, err := client(id, secret).Send(ctx, m); err != nil {
			t.Fatal(err)
		}
		if s := d.Sent(); len(s) != 1 || s[0].To != m.To {
			t.Fatalf("the double got %+v, want one message to %s", s, m.To)
		}
	})

	t.Run("a carrier's failure is reported with its code", func(t *testing.T) {
		d, id, secret, client := start(t)
		d.Approve("外呼测试", "SMS_100", []string{"name", "link"})
		d.Report("+8613800000001", telephony.SMSFailed, "MK:0001")
		p := client(id, secret)
		sentAt := time.Now()
		got, err := p.Send(ctx, msg())
		if err != nil {
			t.Fatal(err)
		}
		r, err := p.Receipt(ctx, "+8613800000001", sentAt, got.ProviderID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != telephony.SMSFailed || r.Code != "MK:0001" {
			t.Fatalf("receipt %+v, want failed with MK:0001", r)
		}
		// A message the provider does not know of is still pending.
		r, err = p.Receipt(ctx, "+8613800000001", sentAt, "no-such-message")
		if err != nil || r.Status != telephony.SMSPending {
			t.Fatalf("receipt of an unknown message: %+v %v, want pending", r, err)
		}
	})

	refusals := []struct {
		name  string
		setup func(d Double)
		edit  func(m *telephony.SMSMessage)
		retry bool
	}{
		{"a template that is not approved is refused for good", func(d Double) { d.Approve("外呼测试", "SMS_100", []string{"name", "link"}) },
			func(m *telephony.SMSMessage) { m.Template = "SMS_999" }, false},
		{"a signature that is not approved is refused for good", func(d Double) { d.Approve("外呼测试", "SMS_100", []string{"name", "link"}) },
			func(m *telephony.SMSMessage) { m.SignName = "别家" }, false},
		{"a template variable left out is refused for good", func(d Double) { d.Approve("外呼测试", "SMS_100", []string{"name", "link"}) },
			func(m *telephony.SMSMessage) { delete(m.Params, "link"); m.ParamOrder = []string{"name"} }, false},
		{"a throttled send may be tried again", func(d Double) { d.Approve("外呼测试", "SMS_100", []string{"name", "link"}); d.Throttle(1) },
			func(m *telephony.SMSMessage) {}, true},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			d, id, secret, client := start(t)
			c.setup(d)
			m := msg()
			c.edit(&m)
			_, err := client(id, secret).Send(ctx, m)
			var e *telephony.SMSError
			if !errors.As(err, &e) || e.Code == "" || e.Retry != c.retry || telephony.SMSRetryable(err) != c.retry {
				t.Fatalf("send: %v, want the provider's refusal with its code, retry %v", err, c.retry)
			}
			if len(d.Sent()) != 0 {
				t.Fatalf("the double accepted %+v", d.Sent())
			}
		})
	}

	t.Run("a wrong secret is refused for good", func(t *testing.T) {
		d, id, _, client := start(t)
		d.Approve("外呼测试", "SMS_100", []string{"name", "link"})
		_, err := client(id, "not-the-secret").Send(ctx, msg())
		var e *telephony.SMSError
		if !errors.As(err, &e) || e.Retry {
			t.Fatalf("send with a wrong secret: %v, want a refusal not to retry", err)
		}
		if len(d.Sent()) != 0 {
			t.Fatalf("the double accepted %+v", d.Sent())
		}
	})
}
