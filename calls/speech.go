package calls

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/scripting/llm"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// tenantSpeech remembers the providers built for each tenant's speech
// settings, so a tenant's prompt cache lives across its calls; a change of
// settings builds new ones.
type tenantSpeech struct {
	mu      sync.Mutex
	byID    map[uuid.UUID]speechEntry
	espeak  telephony.TTS
	sphinx  telephony.Recognizer
	initOne sync.Once
}

type speechEntry struct {
	updated time.Time
	tts     telephony.TTS
	asr     telephony.Recognizer
}

// tenantSettings reads the tenant's speech and model settings once for a
// call: its providers and its model are built from the same row.
func (d *Service) tenantSettings(ctx context.Context, tenantID uuid.UUID) (telephony.SpeechProviders, error) {
	if d.Speech == nil {
		return telephony.SpeechProviders{SpeechSettings: telephony.SpeechSettings{TTS: telephony.SpeechDefault, ASR: telephony.SpeechDefault, LLM: telephony.ModelDefault}}, nil
	}
	return d.Speech.ForCall(ctx, tenantID)
}

// speechFor returns the TTS and ASR the tenant chose in sp; nil ones mean
// the dialer's own.
func (d *Service) speechFor(tenantID uuid.UUID, sp telephony.SpeechProviders) (telephony.TTS, telephony.Recognizer, error) {
	if sp.TTS == telephony.SpeechDefault && sp.ASR == telephony.SpeechDefault {
		return nil, nil, nil
	}
	ts := &d.speech
	ts.initOne.Do(func() {
		ts.byID = map[uuid.UUID]speechEntry{}
		ts.espeak = d.Espeak
		if ts.espeak == nil {
			ts.espeak = telephony.NewCachedTTS(telephony.EspeakTTS{}, 1000)
		}
		ts.sphinx = d.Pocketsphinx
		if ts.sphinx == nil {
			ts.sphinx = &telephony.PocketsphinxRecognizer{}
		}
	})
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if e, ok := ts.byID[tenantID]; ok && e.updated.Equal(sp.UpdatedAt) {
		return e.tts, e.asr, nil
	}
	client := d.speechClient()
	e := speechEntry{updated: sp.UpdatedAt}
	switch sp.TTS {
	case telephony.SpeechEspeak:
		e.tts = ts.espeak
	case telephony.SpeechHTTP, telephony.SpeechNLS:
		provider, err := d.synthesizer(sp)
		if err != nil {
			return nil, nil, err
		}
		e.tts = telephony.NewCachedTTS(d.keptTTS(tenantID, sp, provider), 500)
	}
	switch sp.ASR {
	case telephony.SpeechDTMF:
		e.asr = telephony.DTMFOnly{}
	case telephony.SpeechPocketsphinx:
		e.asr = ts.sphinx
	case telephony.SpeechHTTP:
		e.asr = &telephony.HTTPRecognizer{BaseURL: sp.ASRURL, APIKey: sp.ASRKey, Model: sp.ASRModel, Client: client}
	case telephony.SpeechFunASR:
		r, err := telephony.NewFunASRRecognizer(sp.ASRURL, sp.ASRKey)
		if err != nil {
			return nil, nil, err
		}
		// The tenant's runtime is dialled as its HTTP services are: through
		// the client's guard against internal addresses.
		r.Dial = dialerOf(client)
		e.asr = r
	case telephony.SpeechNLS:
		r, err := telephony.NewNLSRecognizer(sp.ASRURL, sp.ASRModel, sp.ASRKey)
		if err != nil {
			return nil, nil, err
		}
		r.Dial = dialerOf(client)
		if r.Tokens != nil {
			r.Tokens.Client = client
		}
		e.asr = r
	}
	ts.byID[tenantID] = e
	return e.tts, e.asr, nil
}

// synthesizer is the speech synthesis service a tenant's settings name
// (http or nls), reached through the speech client's guard.
func (d *Service) synthesizer(sp telephony.SpeechProviders) (telephony.TTS, error) {
	client := d.speechClient()
	switch sp.TTS {
	case telephony.SpeechHTTP:
		return telephony.HTTPTTS{BaseURL: sp.TTSURL, APIKey: sp.TTSKey, Model: sp.TTSModel, Voice: sp.TTSVoice, Client: client}, nil
	case telephony.SpeechNLS:
		t, err := telephony.NewNLSTTS(sp.TTSURL, sp.TTSModel, sp.TTSKey, sp.TTSVoice)
		if err != nil {
			return nil, err
		}
		t.Dial = dialerOf(client)
		if t.Tokens != nil {
			t.Tokens.Client = client
		}
		return t, nil
	}
	return nil, fmt.Errorf("no synthesis service for tts %q", sp.TTS)
}

// speechClient is the client tenants' speech services are reached with.
func (d *Service) speechClient() *http.Client {
	if d.SpeechClient == nil {
		return http.DefaultClient
	}
	return d.SpeechClient
}

// keptTTS wraps a tenant's provider in the prompt store every worker
// shares (prompt_audio), where there is a database to keep them in.
func (d *Service) keptTTS(tenantID uuid.UUID, sp telephony.SpeechProviders, inner telephony.TTS) telephony.TTS {
	if d.Speech == nil || d.Speech.Trunks == nil || d.Speech.Trunks.DB == nil {
		return inner
	}
	return &storedTTS{inner: inner, db: d.Speech.Trunks.DB, tenantID: tenantID, ident: promptIdent(sp)}
}

// dialerOf returns the dial function of client's transport, so a
// WebSocket goes through the same guard as its requests (nil when it has
// none of its own: net.Dialer's).
func dialerOf(client *http.Client) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if tr, ok := client.Transport.(*http.Transport); ok && tr.DialContext != nil {
		return tr.DialContext
	}
	return nil
}

// speechDialer is the part of the SIP dialer the hearing check asks: its
// own recogniser, and whether it takes the callee simulator's text
// channel (telephony.SIPDialer has both).
type speechDialer interface {
	ASR() telephony.Recognizer
	Simulation() bool
}

// cannotHear says why a call of a script in lang must not be dialled:
// its recogniser (asr, or the dialer's own when the tenant is on the
// default) cannot hear that language, is not installed, or is the
// simulation channel on a real trunk. "" when the call can go. A person
// who answers a call that cannot hear them gets a robot that never
// understands; the attempt is better refused with the reason.
func (d *Service) cannotHear(asr telephony.Recognizer, lang string, ownTrunk bool) string {
	sd, ok := d.SIP.(speechDialer)
	if asr == nil && ok {
		asr = sd.ASR()
	}
	// Without a dialer that says, a call on the platform's trunk is taken
	// to be the simulator's only when its recogniser is the simulation one.
	simulated := !ownTrunk && (!ok || sd.Simulation())
	if err := telephony.CheckHearing(asr, lang, simulated); err != nil {
		return "not dialled: " + err.Error()
	}
	if r, ok := asr.(interface{ Ready() error }); ok {
		if err := r.Ready(); err != nil {
			return "not dialled: " + err.Error()
		}
	}
	return ""
}

// callHotwords are the words a call's recogniser should favour all call
// long: the contact's name.
func callHotwords(contactName string) []string {
	if name := strings.TrimSpace(contactName); name != "" {
		return []string{name}
	}
	return nil
}

// scriptPhrases are what a script's callees are expected to say, for the
// recogniser (a grammar for pocketsphinx, hotwords for FunASR, a prompt
// for Whisper-shaped services): the examples of the script's own intents,
// which its version keeps (scripting.Graph.Phrases). A version saved
// before versions kept them has none; its calls get the contact's name
// as a hotword and pocketsphinx its built-in English answers
// (telephony.DefaultEnglishAnswers).
func scriptPhrases(v *scripting.StoredVersion) []string {
	if v == nil || v.Graph == nil {
		return nil
	}
	return v.Graph.Phrases
}

// Hearing decides, when a campaign starts, whether its calls could hear
// their callees: the recogniser the tenant chose (or the platform's, for
// a tenant on the default) must hear the script's language, and the
// simulation recogniser serves only calls to the callee simulator. A
// campaign that could not is refused with the reason, rather than
// started to fail call by call. Check has the shape of
// campaigns.Options.ScriptPublished.
type Hearing struct {
	Scripts *scripting.Store
	// Speech holds tenants' choices (nil: every tenant is on Platform).
	Speech *telephony.SpeechStore
	// Trunks holds tenants' own trunks (nil: none has one).
	Trunks *telephony.TrunkStore
	// Platform is the recogniser of tenants on the default (--asr); nil
	// hears keys only.
	Platform telephony.Recognizer
	// Simulated is set when the platform's trunk is the callee simulator
	// with its text channel taken (--callee-sim with --asr simulation).
	Simulated bool
}

// Check returns a *tenants.Error (a conflict) when the tenant's calls of
// the script version could not hear the callees, nil otherwise. A version
// that is not a published one of the tenant is not its to judge (the
// published check says so) and passes.
func (h Hearing) Check(ctx context.Context, tenantID uuid.UUID, version string) error {
	id, err := uuid.Parse(version)
	if err != nil || h.Scripts == nil {
		return nil
	}
	v, err := h.Scripts.PublishedSource(ctx, tenantID, id)
	if err != nil || v.Graph == nil {
		return nil
	}
	asr, choice := h.Platform, "the service's default recogniser"
	if h.Speech != nil {
		sp, err := h.Speech.ForCall(ctx, tenantID)
		if err != nil {
			return fmt.Errorf("the tenant's speech settings: %w", err)
		}
		if r := recognizerKind(sp.ASR); r != nil {
			asr, choice = r, "the recogniser chosen in the speech settings ("+sp.ASR+")"
		}
	}
	own := false
	if h.Trunks != nil {
		if _, own, err = h.Trunks.ForTenant(ctx, tenantID); err != nil {
			return fmt.Errorf("the tenant's trunk: %w", err)
		}
	}
	if err := telephony.CheckHearing(asr, v.Graph.Lang, !own && h.Simulated); err != nil {
		return tenants.Errorf(tenants.EConflict, "this campaign's calls could not hear the callees with %s: %v", choice, err)
	}
	return nil
}

// recognizerKind is a recogniser of the kind a speech setting names, for
// judging what it hears (nil for the default).
func recognizerKind(asr string) telephony.Recognizer {
	switch asr {
	case telephony.SpeechDTMF:
		return telephony.DTMFOnly{}
	case telephony.SpeechPocketsphinx:
		return &telephony.PocketsphinxRecognizer{}
	case telephony.SpeechHTTP:
		return &telephony.HTTPRecognizer{}
	case telephony.SpeechFunASR:
		return &telephony.FunASRRecognizer{}
	case telephony.SpeechNLS:
		return &telephony.NLSRecognizer{}
	}
	return nil
}

// ModelSettings reads a tenant's language model from its speech
// settings, for llm.Tenants.
func ModelSettings(store *telephony.SpeechStore) func(ctx context.Context, tenantID uuid.UUID) (llm.Settings, error) {
	return func(ctx context.Context, tenantID uuid.UUID) (llm.Settings, error) {
		sp, err := store.ForCall(ctx, tenantID)
		return modelOf(sp), err
	}
}

// modelOf is the language model speech settings name.
func modelOf(sp telephony.SpeechProviders) llm.Settings {
	if sp.LLM == telephony.ModelDefault {
		return llm.Settings{Platform: true}
	}
	if sp.LLM != telephony.ModelOpenAI {
		return llm.Settings{}
	}
	return llm.Settings{On: true, Config: llm.Config{BaseURL: sp.LLMURL, APIKey: sp.LLMKey, Model: sp.LLMModel}, Updated: sp.UpdatedAt}
}
