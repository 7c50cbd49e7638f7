package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSpeechProvidersAreChosenPerTenantWithKeysNeverShown(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	b := h.signup("B", "b@example.com")

	if r := h.do(nil, "GET", "/v1/speech", nil, bearer(a.Key)...); r.Status != 200 || r.Body["tts"] != "default" || r.Body["asr"] != "default" {
		t.Fatalf("a new tenant's speech settings: %d %s", r.Status, r.Raw)
	}
	r := h.do(nil, "PUT", "/v1/speech", map[string]any{"tts": "http", "tts_url": "https://tts.example.com", "tts_voice": "alloy", "tts_api_key": "sk-tts-secret",
		"asr": "http", "asr_url": "https://asr.example.com", "asr_model": "whisper-1", "asr_api_key": "sk-asr-secret"}, bearer(a.Key)...)
	if r.Status != 200 || r.Body["tts"] != "http" || r.Body["tts_has_key"] != true || r.Body["asr_has_key"] != true || r.Body["asr_model"] != "whisper-1" ||
		strings.Contains(r.Raw, "sk-tts-secret") || strings.Contains(r.Raw, "sk-asr-secret") {
		t.Fatalf("set: %d %s", r.Status, r.Raw)
	}
	// Omitting a key keeps it; an empty one removes it.
	r = h.do(nil, "PUT", "/v1/speech", map[string]any{"tts": "http", "tts_url": "https://tts.example.com", "asr": "pocketsphinx", "asr_api_key": ""}, bearer(a.Key)...)
	if r.Status != 200 || r.Body["tts_has_key"] != true || r.Body["asr_has_key"] != false || r.Body["asr"] != "pocketsphinx" {
		t.Fatalf("keep and remove keys: %d %s", r.Status, r.Raw)
	}
	// Another tenant keeps its own (default) settings.
	if r := h.do(nil, "GET", "/v1/speech", nil, bearer(b.Key)...); r.Body["tts"] != "default" {
		t.Fatalf("tenant B sees %s", r.Raw)
	}

	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"tts": "http"}, "body.tts_url"},
		{map[string]any{"asr": "http", "asr_url": "ftp://asr.example.com"}, "body.asr_url"},
		{map[string]any{"asr": "http", "asr_url": "https://user:pw@asr.example.com"}, "body.asr_url"},
		{map[string]any{"tts": "festival"}, "body.tts"},
	} {
		r := h.do(nil, "PUT", "/v1/speech", bad.body, bearer(a.Key)...)
		if r.Status != 422 || !strings.Contains(r.Raw, bad.field) {
			t.Fatalf("%v: %d %s, want 422 naming %s", bad.body, r.Status, r.Raw, bad.field)
		}
	}
	if r := h.do(nil, "GET", "/v1/speech", nil, bearer(a.Key)...); r.Body["asr"] != "pocketsphinx" {
		t.Fatalf("a refused change was kept: %s", r.Raw)
	}
}

func TestATenantChoosesItsOwnFunASRRuntime(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	r := h.do(nil, "PUT", "/v1/speech", map[string]any{"asr": "funasr", "asr_url": "wss://asr.example.com:10095?mode=2pass", "asr_api_key": "sk-proxy"}, bearer(a.Key)...)
	if r.Status != 200 || r.Body["asr"] != "funasr" || r.Body["asr_url"] != "wss://asr.example.com:10095?mode=2pass" || r.Body["asr_has_key"] != true ||
		strings.Contains(r.Raw, "sk-proxy") {
		t.Fatalf("set: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "GET", "/v1/speech", nil, bearer(a.Key)...); r.Body["asr"] != "funasr" {
		t.Fatalf("read back: %s", r.Raw)
	}
	for _, bad := range []map[string]any{
		{"asr": "funasr"},
		{"asr": "funasr", "asr_url": "https://asr.example.com"},
		{"asr": "funasr", "asr_url": "ws://asr.example.com?mode=fast"},
		{"asr": "http", "asr_url": "ws://asr.example.com:10095"},
	} {
		if r := h.do(nil, "PUT", "/v1/speech", bad, bearer(a.Key)...); r.Status != 422 || !strings.Contains(r.Raw, "body.asr_url") {
			t.Errorf("%v: %d %s, want 422 naming body.asr_url", bad, r.Status, r.Raw)
		}
	}
}

func TestATenantChoosesAlibabaNLS(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	r := h.do(nil, "PUT", "/v1/speech", map[string]any{"asr": "nls", "asr_model": "appkey-1", "asr_api_key": "LTAI5t-id:the-secret"}, bearer(a.Key)...)
	if r.Status != 200 || r.Body["asr"] != "nls" || r.Body["asr_model"] != "appkey-1" || r.Body["asr_has_key"] != true || strings.Contains(r.Raw, "the-secret") {
		t.Fatalf("set: %d %s", r.Status, r.Raw)
	}
	r = h.do(nil, "PUT", "/v1/speech", map[string]any{"tts": "nls", "tts_model": "appkey-1", "tts_voice": "zhitian_emo", "tts_api_key": "LTAI5t-id:the-secret"}, bearer(a.Key)...)
	if r.Status != 200 || r.Body["tts"] != "nls" || r.Body["tts_voice"] != "zhitian_emo" || r.Body["tts_has_key"] != true || strings.Contains(r.Raw, "the-secret") {
		t.Fatalf("set the voice: %d %s", r.Status, r.Raw)
	}
	for bad, field := range map[string]string{
		`{"tts":"nls","tts_api_key":"LTAI5t-id:s"}`:                                               "body.tts_model",
		`{"tts":"nls","tts_model":"k","tts_api_key":"no-secret"}`:                                 "body.tts_api_key",
		`{"asr":"nls","asr_api_key":"LTAI5t-id:s"}`:                                               "body.asr_model",
		`{"asr":"nls","asr_model":"k","asr_url":"https://nls.example.com/ws/v1"}`:                 "body.asr_url",
		`{"asr":"nls","asr_model":"k","asr_url":"wss://nls.example.com/ws/v1?sample_rate=44100"}`: "body.asr_url",
		`{"asr":"nls","asr_model":"k","asr_api_key":"only-an-id"}`:                                "body.asr_api_key",
	} {
		var body map[string]any
		json.Unmarshal([]byte(bad), &body)
		if r := h.do(nil, "PUT", "/v1/speech", body, bearer(a.Key)...); r.Status != 422 || !strings.Contains(r.Raw, field) {
			t.Errorf("%s: %d %s, want 422 naming %s", bad, r.Status, r.Raw, field)
		}
	}
}

func TestATenantChoosesItsLanguageModel(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	if r := h.do(nil, "GET", "/v1/speech", nil, bearer(a.Key)...); r.Body["llm"] != "default" {
		t.Fatalf("a new tenant's model: %s, want the platform's (default)", r.Raw)
	}
	r := h.do(nil, "PUT", "/v1/speech", map[string]any{"llm": "openai", "llm_url": "https://dashscope.aliyuncs.com/compatible-mode/v1",
		"llm_model": "qwen-plus", "llm_api_key": "sk-llm-secret"}, bearer(a.Key)...)
	if r.Status != 200 || r.Body["llm"] != "openai" || r.Body["llm_model"] != "qwen-plus" || r.Body["llm_has_key"] != true ||
		r.Body["asr"] != "default" || strings.Contains(r.Raw, "sk-llm-secret") {
		t.Fatalf("set: %d %s", r.Status, r.Raw)
	}
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"llm": "openai", "llm_model": "qwen-plus"}, "body.llm_url"},
		{map[string]any{"llm": "openai", "llm_url": "https://llm.example.com/v1"}, "body.llm_model"},
		{map[string]any{"llm": "openai", "llm_url": "file:///etc/passwd", "llm_model": "x"}, "body.llm_url"},
		{map[string]any{"llm": "gpt"}, "body.llm"},
	} {
		if r := h.do(nil, "PUT", "/v1/speech", bad.body, bearer(a.Key)...); r.Status != 422 || !strings.Contains(r.Raw, bad.field) {
			t.Errorf("%v: %d %s, want 422 naming %s", bad.body, r.Status, r.Raw, bad.field)
		}
	}
	// Leaving the model out goes back to the platform's; its key stays
	// stored. Off is a choice of its own.
	if r := h.do(nil, "PUT", "/v1/speech", map[string]any{}, bearer(a.Key)...); r.Body["llm"] != "default" || r.Body["llm_has_key"] != true {
		t.Fatalf("default: %s", r.Raw)
	}
	if r := h.do(nil, "PUT", "/v1/speech", map[string]any{"llm": "off"}, bearer(a.Key)...); r.Status != 200 || r.Body["llm"] != "off" {
		t.Fatalf("off: %d %s", r.Status, r.Raw)
	}
}
