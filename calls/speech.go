package calls

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/telephony"
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

// speechFor returns the TTS and ASR the tenant chose; nil ones mean the
// dialer's own.
func (d *Service) speechFor(ctx context.Context, tenantID uuid.UUID) (telephony.TTS, telephony.Recognizer, error) {
	if d.Speech == nil {
		return nil, nil, nil
	}
	sp, err := d.Speech.ForCall(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
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
	client := d.SpeechClient
	if client == nil {
		client = http.DefaultClient
	}
	e := speechEntry{updated: sp.UpdatedAt}
	switch sp.TTS {
	case telephony.SpeechEspeak:
		e.tts = ts.espeak
	case telephony.SpeechHTTP:
		e.tts = telephony.NewCachedTTS(telephony.HTTPTTS{BaseURL: sp.TTSURL, APIKey: sp.TTSKey, Model: sp.TTSModel, Voice: sp.TTSVoice, Client: client}, 500)
	}
	switch sp.ASR {
	case telephony.SpeechDTMF:
		e.asr = telephony.DTMFOnly{}
	case telephony.SpeechPocketsphinx:
		e.asr = ts.sphinx
	case telephony.SpeechHTTP:
		e.asr = &telephony.HTTPRecognizer{BaseURL: sp.ASRURL, APIKey: sp.ASRKey, Model: sp.ASRModel, Client: client}
	}
	ts.byID[tenantID] = e
	return e.tts, e.asr, nil
}
