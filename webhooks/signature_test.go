package webhooks

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignatureVerification(t *testing.T) {
	body := []byte(`{"id":"e1","type":"call.completed"}`)
	now := time.Unix(1_800_000_000, 0)
	header := Sign(body, now, "whsec_new", "whsec_old")
	if strings.Count(header, "v1=") != 2 || !strings.HasPrefix(header, "t=1800000000,") {
		t.Fatalf("header %q: want t= and two v1 entries", header)
	}
	cases := []struct {
		name   string
		body   []byte
		header string
		secret string
		at     time.Time
		want   error
	}{
		{"the new secret verifies", body, header, "whsec_new", now, nil},
		{"the rotated-out secret verifies during the overlap", body, header, "whsec_old", now, nil},
		{"a tampered body fails", []byte(`{"id":"e1","type":"call.answered"}`), header, "whsec_new", now, ErrBadSignature},
		{"a wrong secret fails", body, header, "whsec_other", now, ErrBadSignature},
		{"a replay after the tolerance fails", body, header, "whsec_new", now.Add(5*time.Minute + time.Second), ErrTooOld},
		{"a signature from the future fails", body, header, "whsec_new", now.Add(-6 * time.Minute), ErrTooOld},
		{"a tampered timestamp fails", body, strings.Replace(header, "t=1800000000", "t=1800000060", 1), "whsec_new", now, ErrBadSignature},
		{"a missing header fails", body, "", "whsec_new", now, ErrNoSignature},
		{"garbage fails", body, "t=abc,v1=zz", "whsec_new", now, ErrNoSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := verifyAt(c.body, c.header, c.secret, 0, c.at)
			if !errors.Is(err, c.want) && !(c.want == nil && err == nil) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}
