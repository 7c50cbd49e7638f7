package api_test

import (
	"strings"
	"testing"
)

func TestATenantSetsUpItsSMSProviderWithTheSecretNeverShown(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	b := h.signup("B", "b@example.com")

	if r := h.do(nil, "GET", "/v1/sms/settings", nil, bearer(a.Key)...); r.Status != 200 || r.Body["provider"] != "off" {
		t.Fatalf("a new tenant's SMS settings: %d %s", r.Status, r.Raw)
	}
	settings := map[string]any{"provider": "tencent", "access_key_id": "AKID-a", "secret": "tencent-secret-key", "app_id": "1400000001",
		"sign_name": "外呼科技", "templates": map[string]any{"payment_link": map[string]any{"id": "1110", "params": []string{"name", "link"}}}}
	r := h.do(nil, "PUT", "/v1/sms/settings", settings, bearer(a.Key)...)
	if r.Status != 200 || r.Body["provider"] != "tencent" || r.Body["has_secret"] != true || r.Body["app_id"] != "1400000001" ||
		!strings.Contains(r.Raw, `"params":["name","link"]`) || strings.Contains(r.Raw, "tencent-secret-key") {
		t.Fatalf("set: %d %s", r.Status, r.Raw)
	}
	// Omitting the secret keeps it.
	delete(settings, "secret")
	settings["sign_name"] = "外呼"
	if r := h.do(nil, "PUT", "/v1/sms/settings", settings, bearer(a.Key)...); r.Status != 200 || r.Body["has_secret"] != true || r.Body["sign_name"] != "外呼" {
		t.Fatalf("keep the secret: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/sms/settings", nil, bearer(b.Key)...); r.Body["provider"] != "off" {
		t.Fatalf("tenant B sees %s", r.Raw)
	}

	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"provider": "aliyun", "sign_name": "x", "templates": map[string]any{"t": map[string]any{"id": "SMS_1"}}}, "body.access_key_id"},
		{map[string]any{"provider": "tencent", "access_key_id": "k", "sign_name": "x", "templates": map[string]any{"t": map[string]any{"id": "1"}}}, "body.app_id"},
		{map[string]any{"provider": "aliyun", "access_key_id": "k", "templates": map[string]any{"t": map[string]any{"id": "SMS_1"}}}, "body.sign_name"},
		{map[string]any{"provider": "aliyun", "access_key_id": "k", "sign_name": "x", "templates": map[string]any{"Payment Link": map[string]any{"id": "SMS_1"}}}, "body.templates"},
		{map[string]any{"provider": "aliyun", "access_key_id": "k", "sign_name": "x", "templates": map[string]any{"t": map[string]any{"id": ""}}}, "body.templates.t.id"},
		{map[string]any{"provider": "aliyun", "access_key_id": "k", "sign_name": "x", "endpoint": "ftp://sms.example.com", "templates": map[string]any{"t": map[string]any{"id": "SMS_1"}}}, "body.endpoint"},
	} {
		r := h.do(nil, "PUT", "/v1/sms/settings", bad.body, bearer(a.Key)...)
		if r.Status != 422 || !strings.Contains(r.Raw, bad.field) {
			t.Fatalf("%v: %d %s, want 422 naming %s", bad.body, r.Status, r.Raw, bad.field)
		}
	}
	if r := h.do(nil, "GET", "/v1/sms/settings", nil, bearer(a.Key)...); r.Body["provider"] != "tencent" {
		t.Fatalf("a refused change was kept: %s", r.Raw)
	}
}

// Twilio takes the template's own text, with its placeholders among the
// template's params; the providers with approved templates take an id.
func TestTwilioTemplatesAreTextsWithTheirPlaceholdersDeclared(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	text := "{name}, your payment link: {link}"
	ok := map[string]any{"provider": "twilio", "access_key_id": "AC0123456789abcdef0123456789abcdef", "secret": "twilio-token", "sign_name": "+14155550100",
		"templates": map[string]any{"payment_link": map[string]any{"id": text, "params": []string{"name", "link"}}}}
	if r := h.do(nil, "PUT", "/v1/sms/settings", ok, bearer(a.Key)...); r.Status != 200 || r.Body["provider"] != "twilio" || strings.Contains(r.Raw, "twilio-token") {
		t.Fatalf("set: %d %s", r.Status, r.Raw)
	}
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"provider": "twilio", "access_key_id": "AC1", "sign_name": "+14155550100",
			"templates": map[string]any{"t": map[string]any{"id": text, "params": []string{"name"}}}}, "body.templates.t.params"},
		{map[string]any{"provider": "twilio", "access_key_id": "AC1", "templates": map[string]any{"t": map[string]any{"id": "hi"}}}, "body.sign_name"},
		{map[string]any{"provider": "aliyun", "access_key_id": "k", "sign_name": "x",
			"templates": map[string]any{"t": map[string]any{"id": strings.Repeat("尊敬的客户", 30)}}}, "body.templates.t.id"},
	} {
		r := h.do(nil, "PUT", "/v1/sms/settings", bad.body, bearer(a.Key)...)
		if r.Status != 422 || !strings.Contains(r.Raw, bad.field) {
			t.Fatalf("%v: %d %s, want 422 naming %s", bad.body, r.Status, r.Raw, bad.field)
		}
	}
}
