package calls

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// storedTTS keeps what a tenant's speech provider makes in prompt_audio,
// shared by every worker: a sentence the provider has made once (when its
// script version was published, or on first use) is spoken from there,
// without asking the provider again (cloud voices bill by the character,
// and each asks for a round trip). The database away or a row unreadable,
// the provider is asked, as without it.
type storedTTS struct {
	inner    telephony.TTS
	db       *tenants.DB
	tenantID uuid.UUID
	// ident names the provider and its voice: part of each prompt's key,
	// so a change of voice makes new audio.
	ident string
	// wait keeps a new prompt before returning it (rendering).
	wait bool
}

// promptKey is a prompt's key in prompt_audio.
func promptKey(ident, voice string, emotion telephony.Emotion, text string) string {
	h := sha256.Sum256([]byte(ident + "\x00" + voice + "\x00" + string(emotion) + "\x00" + text))
	return hex.EncodeToString(h[:])
}

func (s *storedTTS) Synthesize(ctx context.Context, text, voice string, emotion telephony.Emotion) ([]int16, error) {
	key := promptKey(s.ident, voice, emotion, text)
	if pcm := s.stored(ctx, key); pcm != nil {
		return pcm, nil
	}
	pcm, err := s.inner.Synthesize(ctx, text, voice, emotion)
	if err != nil || len(pcm) == 0 {
		return pcm, err
	}
	return pcm, s.keep(ctx, key, pcm)
}

// SynthesizeTo speaks a stored prompt whole, and streams one the
// provider makes from a provider that streams, keeping it once whole.
func (s *storedTTS) SynthesizeTo(ctx context.Context, text, voice string, emotion telephony.Emotion, write func([]int16)) error {
	st, ok := s.inner.(telephony.StreamingTTS)
	if !ok {
		pcm, err := s.Synthesize(ctx, text, voice, emotion)
		if err == nil {
			write(pcm)
		}
		return err
	}
	key := promptKey(s.ident, voice, emotion, text)
	if pcm := s.stored(ctx, key); pcm != nil {
		write(pcm)
		return nil
	}
	var all []int16
	err := st.SynthesizeTo(ctx, text, voice, emotion, func(p []int16) {
		all = append(all, p...)
		write(p)
	})
	if err != nil || len(all) == 0 {
		return err
	}
	return s.keep(ctx, key, all)
}

// stored is a prompt's kept audio, nil when there is none (or it cannot
// be read: the provider is asked then).
func (s *storedTTS) stored(ctx context.Context, key string) []int16 {
	var raw []byte
	err := s.db.InTenant(ctx, s.tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT pcm FROM prompt_audio WHERE tenant_id = $1 AND key = $2`, s.tenantID, key).Scan(&raw)
	})
	if err != nil || len(raw) < 2 || len(raw)%2 != 0 {
		return nil
	}
	pcm := make([]int16, len(raw)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return pcm
}

// keep stores a prompt's audio for every worker, without holding up the
// call that asked (a renderer waits: it is there to keep them).
func (s *storedTTS) keep(ctx context.Context, key string, pcm []int16) error {
	raw := make([]byte, 0, 2*len(pcm))
	for _, v := range pcm {
		raw = binary.LittleEndian.AppendUint16(raw, uint16(v))
	}
	insert := func(ctx context.Context) error {
		return s.db.InTenant(ctx, s.tenantID, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO prompt_audio (tenant_id, key, pcm) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, s.tenantID, key, raw)
			return err
		})
	}
	if s.wait {
		return insert(ctx)
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		insert(ctx)
	}()
	return nil
}

// promptIdent names a tenant's synthesis provider and voice for prompt
// keys; "" for voices not worth keeping (espeak-ng runs here).
func promptIdent(sp telephony.SpeechProviders) string {
	switch sp.TTS {
	case telephony.SpeechHTTP, telephony.SpeechNLS:
		return strings.Join([]string{sp.TTS, sp.TTSURL, sp.TTSModel, sp.TTSVoice}, "\x00")
	}
	return ""
}

// RenderPrompts makes the fixed sentences of a published script version
// in the tenant's voice and keeps them for every worker: each sentence of
// every state's say with no ${…} in it (a template's fixed sentences
// too), in the state's emotion and, for states with none, also in the
// calm voice an upset callee gets. It returns how many it made or found:
// none for a tenant whose voice runs here (espeak-ng), as nothing is worth
// keeping.
func (d *Service) RenderPrompts(ctx context.Context, tenantID, versionID uuid.UUID) (int, error) {
	version, err := d.Scripts.PublishedSource(ctx, tenantID, versionID)
	if err != nil {
		return 0, err
	}
	settings, err := d.tenantSettings(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	if promptIdent(settings) == "" {
		return 0, nil
	}
	provider, err := d.synthesizer(settings)
	if err != nil {
		return 0, err
	}
	if d.Speech == nil || d.Speech.Trunks == nil || d.Speech.Trunks.DB == nil {
		return 0, errors.New("no database to keep the prompts in")
	}
	tts := &storedTTS{inner: provider, db: d.Speech.Trunks.DB, tenantID: tenantID, ident: promptIdent(settings), wait: true}
	if version.Graph == nil {
		return 0, nil
	}
	n := 0
	for _, st := range version.Graph.States {
		emotions := []telephony.Emotion{telephony.EmotionNeutral}
		if st.Emotion != "" {
			emotions = []telephony.Emotion{telephony.Emotion(st.Emotion)}
		} else if !version.Graph.FixedVoice {
			emotions = append(emotions, telephony.EmotionApologetic)
		}
		for _, sentence := range telephony.Sentences(st.Say) {
			if strings.TrimSpace(sentence) == "" || strings.Contains(sentence, "${") {
				continue
			}
			for _, e := range emotions {
				if _, err := tts.Synthesize(ctx, sentence, "", e); err != nil {
					return n, err
				}
				n++
			}
		}
	}
	return n, nil
}
