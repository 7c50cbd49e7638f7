package telephony

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// NLSTTS speaks through Alibaba Cloud Intelligent Speech Interaction's
// speech synthesis (namespace SpeechSynthesizer) over WebSocket, as its
// protocol document and SDKs describe it: one connection per prompt (a
// sentence, as prompts are made), the token in X-NLS-Token, a JSON
// StartSynthesis {"text","voice","format":"pcm","sample_rate":8000,
// "volume":0-100,"speech_rate":-500..500,"pitch_rate":-500..500}, the
// audio back as binary frames of 16-bit PCM, then SynthesisCompleted (or
// TaskFailed). The emotion reaches the voice as rate, pitch and volume;
// a multi-emotion voice (a name ending in _emo: zhitian_emo, zhimiao_emo,
// zhimi_emo, zhiyan_emo, zhibei_emo) also gets it as SSML, <speak><emotion
// category="…" intensity="…">…</emotion></speak>.
type NLSTTS struct {
	// URL, AppKey, Token and Tokens are as NLSRecognizer's.
	URL    string
	AppKey string
	Token  string
	Tokens *NLSTokens
	// Voice is the service's voice (empty: xiaoyun).
	Voice     string
	Dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	TLSConfig *tls.Config
	// Timeout bounds one prompt's synthesis (0: 10 s).
	Timeout time.Duration
}

// NewNLSTTS reads the gateway URL, appkey and AccessKey as
// NewNLSRecognizer does.
func NewNLSTTS(raw, appKey, accessKey, voice string) (*NLSTTS, error) {
	r, err := NewNLSRecognizer(raw, appKey, accessKey)
	if err != nil {
		return nil, err
	}
	return &NLSTTS{URL: r.URL, AppKey: r.AppKey, Token: r.Token, Tokens: r.Tokens, Voice: strings.TrimSpace(voice)}, nil
}

// nlsRate turns a speed factor into NLS's -500..500 scale (500: twice as
// fast, -500: half as fast).
func nlsRate(f float64) int {
	if f <= 0 || f == 1 {
		return 0
	}
	var v float64
	if f > 1 {
		v = (1 - 1/f) / 0.001
	} else {
		v = (1 - 1/f) / 0.002
	}
	return int(max(-500, min(500, v)))
}

// nlsEmotion is the SSML category and intensity of an emotion on a
// multi-emotion voice ("" for the voice's own neutral).
func nlsEmotion(e Emotion) (string, float64) {
	switch e {
	case EmotionHappy:
		return "happy", 1
	case EmotionApologetic:
		return "sad", 0.6 // a soft, sorry tone
	case EmotionUrgent:
		return "surprise", 0.6
	}
	return "", 0
}

// Synthesize makes one prompt, whole.
func (t *NLSTTS) Synthesize(ctx context.Context, text, voice string, emotion Emotion) ([]int16, error) {
	return collect(ctx, t, text, voice, emotion)
}

// SynthesizeTo makes one prompt and hands over each binary frame's audio
// as it arrives.
func (t *NLSTTS) SynthesizeTo(ctx context.Context, text, voice string, emotion Emotion, write func([]int16)) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	timeout := orDefault(t.Timeout, 10*time.Second)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	token := t.Token
	if token == "" && t.Tokens != nil {
		var err error
		if token, err = t.Tokens.Get(ctx); err != nil {
			return fmt.Errorf("nls tts: %w", err)
		}
	}
	name := t.Voice
	if name == "" {
		name = "xiaoyun"
	}
	p := EmotionProsody(emotion)
	body := text
	if strings.HasSuffix(name, "_emo") {
		if cat, intensity := nlsEmotion(emotion); cat != "" {
			body = fmt.Sprintf(`<speak><emotion category="%s" intensity="%.1f">%s</emotion></speak>`, cat, intensity, html.EscapeString(text))
		}
	}
	var status int
	d := ws.Dialer{NetDial: t.Dial, TLSConfig: t.TLSConfig, Header: ws.HandshakeHeaderHTTP(http.Header{"X-NLS-Token": []string{token}}),
		OnStatusError: func(code int, _ []byte, _ io.Reader) { status = code }}
	conn, br, _, err := d.Dial(ctx, t.URL)
	if err != nil {
		if status != 0 {
			return fmt.Errorf("nls tts: the gateway answered HTTP %d", status)
		}
		return fmt.Errorf("nls tts: connect to %s: %w", t.URL, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var rd io.Reader = conn
	if br != nil {
		rd = br
	}
	rw := struct {
		io.Reader
		io.Writer
	}{rd, conn}
	task := nlsID()
	start, _ := json.Marshal(map[string]any{
		"header": nlsHeader{MessageID: nlsID(), TaskID: task, Namespace: "SpeechSynthesizer", Name: "StartSynthesis", AppKey: t.AppKey},
		"payload": map[string]any{"text": body, "voice": name, "format": "pcm", "sample_rate": 8000,
			"volume": int(max(0, min(100, 50*p.Volume))), "speech_rate": nlsRate(p.Speed), "pitch_rate": nlsRate(p.Pitch)},
	})
	conn.SetWriteDeadline(time.Now().Add(timeout))
	if err := wsutil.WriteClientText(conn, start); err != nil {
		return fmt.Errorf("nls tts: %w", err)
	}
	var pcm []int16
	var odd []byte // a sample split between two frames
	for {
		msg, op, err := wsutil.ReadServerData(rw)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("nls tts: no whole prompt within %s", timeout)
			}
			return fmt.Errorf("nls tts: the connection dropped: %w", err)
		}
		switch op {
		case ws.OpBinary:
			if len(odd) > 0 {
				msg = append(odd, msg...)
				odd = nil
			}
			pcm = pcm[:0]
			for i := 0; i+1 < len(msg); i += 2 {
				pcm = append(pcm, int16(binary.LittleEndian.Uint16(msg[i:])))
			}
			if len(msg)%2 == 1 {
				odd = []byte{msg[len(msg)-1]}
			}
			write(pcm)
		case ws.OpText:
			var m nlsMessage
			if err := json.Unmarshal(msg, &m); err != nil {
				return fmt.Errorf("nls tts: the service sent something that is not its JSON event: %.80q", msg)
			}
			switch m.Header.Name {
			case "SynthesisCompleted":
				return nil
			case "TaskFailed":
				if m.Header.Status == 40000001 && t.Tokens != nil {
					t.Tokens.forget(token)
				}
				return fmt.Errorf("nls tts: %w", nlsError(m.Header))
			}
		}
	}
}
