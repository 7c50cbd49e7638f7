package telephony_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/asrtest"
	"github.com/outcall/outcall/telephony/nlstest"
)

func TestAlibabaNLSPassesTheRecognizerConformanceSuite(t *testing.T) {
	srv := nlstest.NewServer("LTAI-double", "double-secret")
	defer srv.Close()
	asrtest.Run(t, asrtest.Provider{
		Name: "nls", Double: srv, Streams: true, NoHotwords: true,
		New: func(key string, timeout time.Duration) telephony.StreamingRecognizer {
			if key == "" {
				key = "any-token"
			}
			r, err := telephony.NewNLSRecognizer(srv.URL, "appkey-1", key)
			if err != nil {
				t.Fatal(err)
			}
			r.FinalTimeout, r.DialTimeout = timeout, timeout
			return r
		},
	})
	for _, s := range srv.Sessions() {
		if len(s.Violations) > 0 {
			t.Errorf("the NLS client broke the protocol: %q", s.Violations)
		}
	}
}

// With an AccessKey, tokens come from CreateToken (signed as Alibaba
// Cloud's RPC APIs are) and are used until they near their expiry; a
// wrong secret is refused as bad credentials, not as an outage; the
// transcription starts with the project's appkey, telephone-rate PCM and
// the service's own endpoint.
func TestAlibabaNLSGetsItsTokenWithTheAccessKey(t *testing.T) {
	srv := nlstest.NewServer("LTAI-double", "double-secret")
	defer srv.Close()
	srv.RequireKey("nothing-but-issued-tokens")
	srv.Answer([]string{"是"}, "是的。", 0)
	r, err := telephony.NewNLSRecognizer(srv.URL+"?token_url="+srv.TokenURL+"&vocabulary_id=vocab-7", "appkey-1", "LTAI-double:double-secret")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for range 2 {
		got, err := r.Recognize(ctx, telephony.RecognizeRequest{Audio: asrtest.Speech(700 * time.Millisecond)})
		if err != nil || got.Text != "是的。" {
			t.Fatalf("recognised %+v %v", got, err)
		}
	}
	sessions := srv.Sessions()
	if len(sessions) != 2 || sessions[0].Token == "" || sessions[0].Token != sessions[1].Token {
		t.Fatalf("tokens %+v: want one CreateToken token used by both sessions", sessions)
	}
	s := sessions[0]
	if s.AppKey != "appkey-1" || s.Rate != 8000 || s.Start["vocabulary_id"] != "vocab-7" || s.Start["enable_intermediate_result"] != true ||
		s.Start["max_sentence_silence"] != float64(500) {
		t.Errorf("the StartTranscription: appkey %q, rate %d, payload %v", s.AppKey, s.Rate, s.Start)
	}

	wrong, _ := telephony.NewNLSRecognizer(srv.URL+"?token_url="+srv.TokenURL, "appkey-1", "LTAI-double:not-the-secret")
	_, err = wrong.Recognize(ctx, telephony.RecognizeRequest{Audio: asrtest.Speech(300 * time.Millisecond)})
	if !errors.Is(err, telephony.ErrASRAuth) || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("a wrong secret: %v, want ErrASRAuth naming SignatureDoesNotMatch", err)
	}
	for _, bad := range []struct{ url, appkey, key, want string }{
		{"https://example.com/ws/v1", "a", "t", "want wss://"},
		{srv.URL, "", "t", "appkey"},
		{srv.URL + "?sample_rate=44100", "a", "t", "sample_rate"},
		{srv.URL, "a", "", "AccessKey"},
	} {
		if _, err := telephony.NewNLSRecognizer(bad.url, bad.appkey, bad.key); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("NewNLSRecognizer(%q, %q, %q): %v, want an error naming %s", bad.url, bad.appkey, bad.key, err, bad.want)
		}
	}
}

// NLS speaks prompts: PCM at the telephone rate, the emotion as rate,
// pitch and volume, and on a multi-emotion voice as SSML; a revoked token
// fails one prompt and the next gets a new token.
func TestAlibabaNLSSpeaksWithTheCallsEmotion(t *testing.T) {
	srv := nlstest.NewServer("LTAI-double", "double-secret")
	defer srv.Close()
	srv.RequireKey("only-tokens-it-made")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tts, err := telephony.NewNLSTTS(srv.URL+"?token_url="+srv.TokenURL, "appkey-1", "LTAI-double:double-secret", "")
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := tts.Synthesize(ctx, "您好,请问是王先生吗?", "cmn", telephony.EmotionNeutral)
	if err != nil || len(pcm) != 11*800 {
		t.Fatalf("synthesised %d samples, %v: want 1.1 s at 8 kHz", len(pcm), err)
	}
	emo, _ := telephony.NewNLSTTS(srv.URL+"?token_url="+srv.TokenURL, "appkey-1", "LTAI-double:double-secret", "zhitian_emo")
	if _, err := emo.Synthesize(ctx, "抱歉<打扰>您了", "cmn", telephony.EmotionApologetic); err != nil {
		t.Fatal(err)
	}
	got := srv.Syntheses()
	if len(got) != 2 {
		t.Fatalf("%d syntheses", len(got))
	}
	plain, calm := got[0].Payload, got[1].Payload
	if plain["voice"] != "xiaoyun" || plain["text"] != "您好,请问是王先生吗?" || plain["volume"] != float64(50) || plain["speech_rate"] != float64(0) ||
		plain["format"] != "pcm" || plain["sample_rate"] != float64(8000) || got[0].AppKey != "appkey-1" {
		t.Errorf("a neutral prompt: %v", plain)
	}
	if calm["voice"] != "zhitian_emo" || calm["text"] != `<speak><emotion category="sad" intensity="0.6">抱歉&lt;打扰&gt;您了</emotion></speak>` ||
		calm["volume"] != float64(40) || calm["speech_rate"] != float64(-55) || calm["pitch_rate"] != float64(-125) {
		t.Errorf("the calm voice for an upset callee: %v", calm)
	}

	srv.RevokeTokens()
	if _, err := tts.Synthesize(ctx, "再见", "cmn", telephony.EmotionNeutral); err == nil || !strings.Contains(err.Error(), "40000001") {
		t.Fatalf("with a revoked token: %v", err)
	}
	if _, err := tts.Synthesize(ctx, "再见", "cmn", telephony.EmotionNeutral); err != nil {
		t.Fatalf("the prompt after, with a new token: %v", err)
	}
}

// A sentence's audio is handed over frame by frame as NLS sends it: the
// first frame reaches the caller while the service is still making the
// rest, and all of it arrives, with a sample split across frames intact.
func TestAlibabaNLSHandsOverAudioAsItArrives(t *testing.T) {
	srv := nlstest.NewServer("LTAI-double", "double-secret")
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tts, err := telephony.NewNLSTTS(srv.URL+"?token_url="+srv.TokenURL, "appkey-1", "LTAI-double:double-secret", "")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	srv.HoldSynthesis(release)
	var pieces []int
	total := 0
	err = tts.SynthesizeTo(ctx, "您本期的账单将于明天到期,请您按时还款。", "cmn", telephony.EmotionNeutral, func(pcm []int16) {
		if len(pieces) == 0 {
			close(release) // the rest is still held at the service
		}
		pieces = append(pieces, len(pcm))
		total += len(pcm)
	})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Syntheses()
	if len(got) != 1 || !got[0].Held {
		t.Fatalf("the first audio reached the caller only once the service had sent the whole sentence (%+v)", got)
	}
	if want := 20 * 800; total != want || len(pieces) < 2 {
		t.Fatalf("%d samples in %d pieces, want %d (2 s) in several", total, len(pieces), want)
	}
}
