package telephony

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/tenants"
)

// Speech provider choices a tenant can make. "default" is whatever the
// service was started with (OUTCALL_ASR, espeak-ng for prompts).
const (
	SpeechDefault      = "default"
	SpeechEspeak       = "espeak"
	SpeechHTTP         = "http"
	SpeechDTMF         = "dtmf"
	SpeechPocketsphinx = "pocketsphinx"
	// SpeechFunASR is a FunASR runtime the tenant runs (ws:// or wss://
	// URL, optional key for the proxy in front of it).
	SpeechFunASR = "funasr"
	// SpeechNLS is Alibaba Cloud Intelligent Speech Interaction's
	// real-time recognition (asr_url its gateway, asr_model the project's
	// appkey, the key AccessKeyId:AccessKeySecret).
	SpeechNLS = "nls"
)

// Language model choices: the platform's (the model the operator set for
// every tenant; none set: no model), none, or the tenant's own
// OpenAI-compatible chat endpoint (vLLM, Ollama, DashScope's compatible
// mode, DeepSeek, OpenAI) that scripts' `llm` states ask.
const (
	ModelDefault = "default"
	ModelOff     = "off"
	ModelOpenAI  = "openai"
)

// SpeechSettings is a tenant's choice of speech providers, as people see
// it: API keys are never shown, only whether one is stored.
type SpeechSettings struct {
	TTS       string // default | espeak | http | nls
	TTSURL    string
	TTSModel  string
	TTSVoice  string
	TTSHasKey bool
	ASR       string // default | dtmf | pocketsphinx | http | funasr | nls
	ASRURL    string
	ASRModel  string
	ASRHasKey bool
	LLM       string // default | off | openai
	LLMURL    string
	LLMModel  string
	LLMHasKey bool
	UpdatedAt time.Time
}

// SpeechInput replaces a tenant's speech settings. A nil key keeps the
// stored one; an empty key removes it.
type SpeechInput struct {
	TTS, TTSURL, TTSModel, TTSVoice string
	TTSKey                          *string
	ASR, ASRURL, ASRModel           string
	ASRKey                          *string
	LLM, LLMURL, LLMModel           string
	LLMKey                          *string
}

// SpeechProviders is what a call needs: the settings with their keys
// opened, for building the providers.
type SpeechProviders struct {
	SpeechSettings
	TTSKey, ASRKey, LLMKey string
}

// SpeechStore keeps tenants' speech settings, keys sealed like trunk
// passwords.
type SpeechStore struct {
	Trunks *TrunkStore
}

func validateSpeech(in SpeechInput) error {
	switch in.TTS {
	case SpeechDefault, SpeechEspeak:
	case SpeechHTTP:
		if err := checkServiceURL(in.TTSURL); err != nil {
			return tenants.FieldError("body.tts_url", "the speech synthesis service: %v", err)
		}
	case SpeechNLS:
		if _, err := NewNLSTTS(in.TTSURL, in.TTSModel, "checked:when-used", in.TTSVoice); err != nil {
			field := "body.tts_url"
			if in.TTSModel == "" {
				field = "body.tts_model"
			}
			return tenants.FieldError(field, "%v", err)
		}
		if in.TTSKey != nil && *in.TTSKey != "" {
			if id, secret, ok := strings.Cut(*in.TTSKey, ":"); !ok || id == "" || secret == "" {
				return tenants.FieldError("body.tts_api_key", "NLS takes the AccessKey as AccessKeyId:AccessKeySecret")
			}
		}
	default:
		return tenants.FieldError("body.tts", "tts %q: want default, espeak, http or nls", in.TTS)
	}
	switch in.ASR {
	case SpeechDefault, SpeechDTMF, SpeechPocketsphinx:
	case SpeechHTTP:
		if err := checkServiceURL(in.ASRURL); err != nil {
			return tenants.FieldError("body.asr_url", "the speech recognition service: %v", err)
		}
	case SpeechNLS:
		if _, err := NewNLSRecognizer(in.ASRURL, in.ASRModel, "checked:when-used"); err != nil {
			field := "body.asr_url"
			if in.ASRModel == "" {
				field = "body.asr_model"
			}
			return tenants.FieldError(field, "%v", err)
		}
		if in.ASRKey != nil && *in.ASRKey != "" {
			if id, secret, ok := strings.Cut(*in.ASRKey, ":"); !ok || id == "" || secret == "" {
				return tenants.FieldError("body.asr_api_key", "NLS takes the AccessKey as AccessKeyId:AccessKeySecret")
			}
		}
	case SpeechFunASR:
		if in.ASRURL == "" {
			return tenants.FieldError("body.asr_url", "FunASR needs the URL of its runtime's WebSocket, such as wss://asr.example.com:10095")
		}
		if _, err := NewFunASRRecognizer(in.ASRURL, ""); err != nil {
			return tenants.FieldError("body.asr_url", "%v", err)
		}
	default:
		return tenants.FieldError("body.asr", "asr %q: want default, dtmf, pocketsphinx, http, funasr or nls", in.ASR)
	}
	switch in.LLM {
	case ModelDefault, ModelOff:
	case ModelOpenAI:
		if err := checkServiceURL(in.LLMURL); err != nil {
			return tenants.FieldError("body.llm_url", "the language model's API: %v", err)
		}
		if in.LLMModel == "" {
			return tenants.FieldError("body.llm_model", "name the model to ask, such as qwen2.5-7b-instruct")
		}
	default:
		return tenants.FieldError("body.llm", "llm %q: want default, off or openai", in.LLM)
	}
	return nil
}

func checkServiceURL(raw string) error {
	if raw == "" {
		return errors.New("needs a URL (the base of /v1/audio/…)")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("must be an http(s) URL such as https://speech.example.com")
	}
	if u.User != nil {
		return errors.New("must not carry credentials; set the API key instead")
	}
	return nil
}

// Get returns the tenant's settings (defaults when it never set any).
func (s *SpeechStore) Get(ctx context.Context, p tenants.Principal) (*SpeechSettings, error) {
	if err := p.Require(tenants.RoleViewer); err != nil {
		return nil, err
	}
	sp, err := s.load(ctx, p.TenantID, false)
	if err != nil {
		return nil, err
	}
	return &sp.SpeechSettings, nil
}

// Set replaces the tenant's settings. Needs the admin role.
func (s *SpeechStore) Set(ctx context.Context, p tenants.Principal, in SpeechInput) (*SpeechSettings, error) {
	if err := p.Require(tenants.RoleAdmin); err != nil {
		return nil, err
	}
	if in.TTS == "" {
		in.TTS = SpeechDefault
	}
	if in.ASR == "" {
		in.ASR = SpeechDefault
	}
	if in.LLM == "" {
		in.LLM = ModelDefault
	}
	if err := validateSpeech(in); err != nil {
		return nil, err
	}
	seal := func(k *string) []byte {
		if k == nil {
			return nil
		}
		return s.Trunks.seal(*k, p.TenantID)
	}
	err := s.Trunks.DB.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO speech_settings (tenant_id, tts, tts_url, tts_model, tts_voice, tts_key_enc, asr, asr_url, asr_model, asr_key_enc,
				llm, llm_url, llm_model, llm_key_enc)
			VALUES ($1, $2, $3, $4, $5, $7, $8, $9, $10, $12, $13, $14, $15, $17)
			ON CONFLICT (tenant_id) DO UPDATE SET tts = $2, tts_url = $3, tts_model = $4, tts_voice = $5,
				tts_key_enc = CASE WHEN $6 THEN $7 ELSE speech_settings.tts_key_enc END,
				asr = $8, asr_url = $9, asr_model = $10,
				asr_key_enc = CASE WHEN $11 THEN $12 ELSE speech_settings.asr_key_enc END,
				llm = $13, llm_url = $14, llm_model = $15,
				llm_key_enc = CASE WHEN $16 THEN $17 ELSE speech_settings.llm_key_enc END,
				updated_at = now()`,
			p.TenantID, in.TTS, in.TTSURL, in.TTSModel, in.TTSVoice, in.TTSKey != nil, seal(in.TTSKey),
			in.ASR, in.ASRURL, in.ASRModel, in.ASRKey != nil, seal(in.ASRKey),
			in.LLM, in.LLMURL, in.LLMModel, in.LLMKey != nil, seal(in.LLMKey))
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p)
}

// ForCall returns the tenant's settings with the keys opened.
func (s *SpeechStore) ForCall(ctx context.Context, tenantID uuid.UUID) (SpeechProviders, error) {
	return s.load(ctx, tenantID, true)
}

func (s *SpeechStore) load(ctx context.Context, tenantID uuid.UUID, open bool) (SpeechProviders, error) {
	sp := SpeechProviders{SpeechSettings: SpeechSettings{TTS: SpeechDefault, ASR: SpeechDefault, LLM: ModelDefault}}
	var ttsKey, asrKey, llmKey []byte
	err := s.Trunks.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT tts, tts_url, tts_model, tts_voice, tts_key_enc, asr, asr_url, asr_model, asr_key_enc,
				llm, llm_url, llm_model, llm_key_enc, updated_at
			FROM speech_settings WHERE tenant_id = $1`, tenantID).
			Scan(&sp.TTS, &sp.TTSURL, &sp.TTSModel, &sp.TTSVoice, &ttsKey, &sp.ASR, &sp.ASRURL, &sp.ASRModel, &asrKey,
				&sp.LLM, &sp.LLMURL, &sp.LLMModel, &llmKey, &sp.UpdatedAt)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return sp, nil
	}
	if err != nil {
		return sp, err
	}
	sp.TTSHasKey, sp.ASRHasKey, sp.LLMHasKey = len(ttsKey) > 0, len(asrKey) > 0, len(llmKey) > 0
	if open {
		if sp.TTSKey, err = s.Trunks.open(ttsKey, tenantID); err != nil {
			return sp, err
		}
		if sp.ASRKey, err = s.Trunks.open(asrKey, tenantID); err != nil {
			return sp, err
		}
		if sp.LLMKey, err = s.Trunks.open(llmKey, tenantID); err != nil {
			return sp, err
		}
	}
	return sp, nil
}
