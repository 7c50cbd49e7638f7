package api

import (
	"context"
	"net/http"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// SpeechBody is a tenant's choice of speech providers; API keys are never
// shown.
type SpeechBody struct {
	TTS       string    `json:"tts" enum:"default,espeak,http,nls" doc:"Who speaks the prompts: default (the service's choice), espeak (espeak-ng, offline), http (a service with the POST /v1/audio/speech shape) or nls (Alibaba Cloud Intelligent Speech Interaction's speech synthesis: tts_url its gateway or empty for Shanghai, tts_model the project's appkey, tts_voice its voice such as zhitian_emo, the key AccessKeyId:AccessKeySecret)."`
	TTSURL    string    `json:"tts_url" example:"https://speech.example.com" doc:"Base URL of the speech synthesis service (tts http)."`
	TTSModel  string    `json:"tts_model"`
	TTSVoice  string    `json:"tts_voice" doc:"The service's voice name; empty picks by language."`
	TTSHasKey bool      `json:"tts_has_key" doc:"Whether an API key for the synthesis service is stored (encrypted; never shown)."`
	ASR       string    `json:"asr" enum:"default,dtmf,pocketsphinx,http,funasr,nls" doc:"Who hears the callee: default (the service's choice), dtmf (keys only), pocketsphinx (offline, English only: a grammar of the script's phrases or common answers), http (a service with the POST /v1/audio/transcriptions shape, sent the language as ISO 639-1), funasr (a FunASR runtime you run, Mandarin, streaming over WebSocket: asr_url is its ws:// or wss:// address) or nls (Alibaba Cloud Intelligent Speech Interaction's real-time recognition: asr_url its gateway, asr_model the project's appkey, the key AccessKeyId:AccessKeySecret)."`
	ASRURL    string    `json:"asr_url" example:"https://speech.example.com" doc:"Base URL of the recognition service (asr http), the WebSocket of the FunASR runtime (asr funasr: ws://host:10095 or wss://…, optionally ?mode=2pass|online|offline), or the NLS gateway (asr nls: empty for wss://nls-gateway-cn-shanghai.aliyuncs.com/ws/v1, or your region's; optionally ?vocabulary_id=… for a hotword list kept on the service, ?sample_rate=16000 for a 16 kHz model)."`
	ASRModel  string    `json:"asr_model" example:"whisper-1" doc:"The model (asr http), or the project's appkey (asr nls)."`
	ASRHasKey bool      `json:"asr_has_key"`
	LLM       string    `json:"llm" enum:"default,off,openai" doc:"The language model scripts' llm states ask when the built-in understanding is unsure: default (the platform's, when its operator set one), off, or openai (the tenant's own: any OpenAI-compatible chat completions API: vLLM or Ollama serving Qwen or DeepSeek, Alibaba Cloud DashScope's compatible mode, DeepSeek, OpenAI)."`
	LLMURL    string    `json:"llm_url" example:"https://dashscope.aliyuncs.com/compatible-mode/v1" doc:"The API's base URL, up to its version; requests go to {llm_url}/chat/completions."`
	LLMModel  string    `json:"llm_model" example:"qwen-plus"`
	LLMHasKey bool      `json:"llm_has_key"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

func speechBody(s *telephony.SpeechSettings) SpeechBody {
	return SpeechBody{TTS: s.TTS, TTSURL: s.TTSURL, TTSModel: s.TTSModel, TTSVoice: s.TTSVoice, TTSHasKey: s.TTSHasKey,
		ASR: s.ASR, ASRURL: s.ASRURL, ASRModel: s.ASRModel, ASRHasKey: s.ASRHasKey,
		LLM: s.LLM, LLMURL: s.LLMURL, LLMModel: s.LLMModel, LLMHasKey: s.LLMHasKey, UpdatedAt: s.UpdatedAt}
}

type speechFields struct {
	TTS      string  `json:"tts,omitempty" enum:"default,espeak,http,nls" doc:"Omitted: default."`
	TTSURL   string  `json:"tts_url,omitempty" maxLength:"500"`
	TTSModel string  `json:"tts_model,omitempty" maxLength:"100"`
	TTSVoice string  `json:"tts_voice,omitempty" maxLength:"100"`
	TTSKey   *string `json:"tts_api_key,omitempty" maxLength:"500" doc:"Stored encrypted; omitted keeps the stored key, empty removes it."`
	ASR      string  `json:"asr,omitempty" enum:"default,dtmf,pocketsphinx,http,funasr,nls" doc:"Omitted: default."`
	ASRURL   string  `json:"asr_url,omitempty" maxLength:"500"`
	ASRModel string  `json:"asr_model,omitempty" maxLength:"100"`
	ASRKey   *string `json:"asr_api_key,omitempty" maxLength:"500" doc:"Stored encrypted; omitted keeps the stored key, empty removes it. For funasr it goes as a bearer token on the WebSocket handshake, for the proxy in front of the runtime (FunASR itself checks none); for nls it is the AccessKey as AccessKeyId:AccessKeySecret, with which outcall asks for NLS tokens (CreateToken) and renews them."`
	LLM      string  `json:"llm,omitempty" enum:"default,off,openai" doc:"Omitted: default (the platform's model, if any)."`
	LLMURL   string  `json:"llm_url,omitempty" maxLength:"500"`
	LLMModel string  `json:"llm_model,omitempty" maxLength:"100"`
	LLMKey   *string `json:"llm_api_key,omitempty" maxLength:"500" doc:"Stored encrypted; omitted keeps the stored key, empty removes it. Sent as a bearer token."`
}

type setSpeechInput struct{ Body speechFields }

// registerSpeech adds the tenant's choice of speech providers.
func (s *Server) registerSpeech() {
	manage := requires("settings:manage")
	s.register("Speech", []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusServiceUnavailable}, []operation{
		{id: "get-speech", route: "GET /v1/speech", summary: "Get the speech providers", security: manage,
			desc: "Which speech synthesis speaks the tenant's prompts, which recogniser hears its callees and which language model, if any, scripts' llm states ask.", handler: handle(s.getSpeech)},
		{id: "set-speech", route: "PUT /v1/speech", summary: "Choose the speech providers", security: manage, errs: []int{http.StatusUnprocessableEntity},
			desc: "Replaces the tenant's speech settings; the next calls use them. API keys are stored encrypted and never returned. Needs the admin role.", handler: handle(s.setSpeech)},
	})
}

func (s *Server) getSpeech(ctx context.Context, _ *struct{}) (*output[SpeechBody], error) {
	st, err := s.speechStore()
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	got, err := st.Get(ctx, principal(ctx))
	return reply(s, ctx, speechBody, got, err)
}

func (s *Server) setSpeech(ctx context.Context, in *setSpeechInput) (*output[SpeechBody], error) {
	st, err := s.speechStore()
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	b := in.Body
	got, err := st.Set(ctx, principal(ctx), telephony.SpeechInput{TTS: b.TTS, TTSURL: b.TTSURL, TTSModel: b.TTSModel, TTSVoice: b.TTSVoice, TTSKey: b.TTSKey,
		ASR: b.ASR, ASRURL: b.ASRURL, ASRModel: b.ASRModel, ASRKey: b.ASRKey,
		LLM: b.LLM, LLMURL: b.LLMURL, LLMModel: b.LLMModel, LLMKey: b.LLMKey})
	return reply(s, ctx, speechBody, got, err)
}

// speechStore returns the speech settings' store, or the 503 that says why
// they are off.
func (s *Server) speechStore() (*telephony.SpeechStore, error) {
	if s.cfg.Trunks == nil {
		return nil, tenants.Errorf(tenants.EUnavailable, "speech settings are off: the service has no secret key to encrypt API keys (set OUTCALL_SECRET_KEY)")
	}
	return &telephony.SpeechStore{Trunks: s.cfg.Trunks}, nil
}
