package telephony

import (
	"bytes"
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
)

// Emotion is the tone a script asks a prompt to be spoken in.
type Emotion string

const (
	EmotionNeutral    Emotion = "neutral"
	EmotionHappy      Emotion = "happy"
	EmotionUrgent     Emotion = "urgent"
	EmotionApologetic Emotion = "apologetic"
)

// Prosody is pitch, speed and volume relative to the voice's normal.
type Prosody struct{ Pitch, Speed, Volume float64 }

// EmotionProsody maps an emotion to pitch, speed and volume factors:
// neutral 1.0/1.0/1.0, happy 1.2/1.1/1.0, urgent 1.5/1.3/1.1, apologetic
// (the calm voice an upset callee gets) 0.8/0.9/0.8: lower, slower and
// softer. Unknown emotions speak neutrally.
func EmotionProsody(e Emotion) Prosody {
	switch e {
	case EmotionHappy:
		return Prosody{Pitch: 1.2, Speed: 1.1, Volume: 1}
	case EmotionUrgent:
		return Prosody{Pitch: 1.5, Speed: 1.3, Volume: 1.1}
	case EmotionApologetic:
		return Prosody{Pitch: 0.8, Speed: 0.9, Volume: 0.8}
	}
	return Prosody{Pitch: 1, Speed: 1, Volume: 1}
}

// scaleVolume applies a volume factor to pcm in place, for voices that
// take none of their own, clipping at full scale.
func scaleVolume(pcm []int16, v float64) []int16 {
	if v == 1 || v <= 0 {
		return pcm
	}
	for i, s := range pcm {
		pcm[i] = int16(max(-32768, min(32767, float64(s)*v)))
	}
	return pcm
}

// TTS turns text into 8 kHz 16-bit mono audio ready for G.711.
type TTS interface {
	Synthesize(ctx context.Context, text, voice string, emotion Emotion) ([]int16, error)
}

// EspeakTTS runs Debian's espeak-ng. Voices: "en" (English), "cmn" or
// "zh" (Mandarin); empty picks Mandarin when the text has Han characters.
type EspeakTTS struct {
	// Binary is the program (empty: "espeak-ng").
	Binary string
}

// EspeakVoice returns the espeak-ng voice for a voice name and text.
func EspeakVoice(voice, text string) string {
	switch strings.ToLower(voice) {
	case "zh", "cmn", "zh-cn", "mandarin":
		return "cmn"
	case "":
		for _, r := range text {
			if r >= 0x4E00 && r <= 0x9FFF {
				return "cmn"
			}
		}
		return "en-us"
	case "en":
		return "en-us"
	}
	return voice
}

// Synthesize speaks text at the emotion's pitch (espeak -p, 50 normal),
// speed (-s, 165 words a minute normal) and volume (-a, 100 normal).
func (e EspeakTTS) Synthesize(ctx context.Context, text, voice string, emotion Emotion) ([]int16, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	bin := e.Binary
	if bin == "" {
		bin = "espeak-ng"
	}
	p := EmotionProsody(emotion)
	pitch := min(99, int(50*p.Pitch))
	speed := int(165 * p.Speed)
	amplitude := min(200, int(100*p.Volume))
	cmd := exec.CommandContext(ctx, bin, "-v", EspeakVoice(voice, text), "-p", strconv.Itoa(pitch), "-s", strconv.Itoa(speed), "-a", strconv.Itoa(amplitude), "--stdout", "--", text)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("espeak-ng: %w: %s (install Debian's espeak-ng)", err, strings.TrimSpace(stderr.String()))
	}
	// espeak-ng streams a WAV header with unknown sizes; patch them so the
	// decoder reads every sample.
	fixStreamedWAV(out)
	return WAVTo8kMono(out)
}

func fixStreamedWAV(b []byte) {
	if len(b) < 44 || string(b[0:4]) != "RIFF" {
		return
	}
	put := func(off int, v uint32) {
		b[off], b[off+1], b[off+2], b[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	put(4, uint32(len(b)-8))
	// Find the data chunk.
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		size := uint32(b[off+4]) | uint32(b[off+5])<<8 | uint32(b[off+6])<<16 | uint32(b[off+7])<<24
		if id == "data" {
			put(off+4, uint32(len(b)-off-8))
			return
		}
		off += 8 + int(size)
	}
}

// HTTPTTS calls a speech service with the common POST /v1/audio/speech
// shape ({"model","input","voice","speed","response_format":"wav"}). The
// shape has no volume: the emotion's volume is applied to the audio.
type HTTPTTS struct {
	// BaseURL such as "https://api.example.com" (the path is appended).
	BaseURL string
	APIKey  string
	Model   string
	// Voice, when set, is the service's voice for every prompt instead of
	// the call's language voice.
	Voice  string
	Client *http.Client
}

// Synthesize fetches a prompt's WAV audio whole, at 8 kHz.
func (h HTTPTTS) Synthesize(ctx context.Context, text, voice string, emotion Emotion) ([]int16, error) {
	return collect(ctx, h, text, voice, emotion)
}

// SynthesizeTo reads the WAV reply as the service streams it (services of
// this shape send audio as they make it, in a WAV whose header gives no
// sizes) and writes its audio at 8 kHz as it arrives.
func (h HTTPTTS) SynthesizeTo(ctx context.Context, text, voice string, emotion Emotion, write func([]int16)) error {
	if h.Voice != "" {
		voice = h.Voice
	}
	body, _ := json.Marshal(map[string]any{
		"model": h.Model, "input": text, "voice": voice,
		"speed": EmotionProsody(emotion).Speed, "response_format": "wav",
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(h.BaseURL, "/")+"/v1/audio/speech", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if h.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+h.APIKey)
	}
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("tts service: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return fmt.Errorf("tts service: %s: %s", res.Status, strings.TrimSpace(string(data[:min(len(data), 200)])))
	}
	volume := EmotionProsody(emotion).Volume
	scaled := func(pcm []int16) { write(scaleVolume(pcm, volume)) }
	var w wavStream
	buf := make([]byte, 8192)
	var total int64
	for {
		n, rerr := res.Body.Read(buf)
		if total += int64(n); total > 64<<20 {
			return errors.New("tts service: the reply is over 64 MiB")
		}
		if n > 0 {
			if err := w.feed(buf[:n], scaled); err != nil {
				return fmt.Errorf("tts service: the reply is not audio we can play: %w", err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("tts service: %w", rerr)
		}
	}
	if err := w.end(scaled); err != nil {
		return fmt.Errorf("tts service: the reply is not audio we can play: %w", err)
	}
	return nil
}

// CachedTTS keeps synthesised prompts by text, voice and emotion (scripts
// say the same sentences to thousands of callees). Concurrent requests for
// the same prompt synthesise it once.
type CachedTTS struct {
	TTS TTS
	// MaxEntries bounds the cache (0: 1024); the least recently used goes.
	MaxEntries int

	mu      sync.Mutex
	entries map[string]*list.Element
	order   list.List
	flight  map[string]*ttsFlight
	hits    int64
	misses  int64
}

type ttsEntry struct {
	key string
	pcm []int16
}

type ttsFlight struct {
	done chan struct{}
	pcm  []int16
	err  error
}

// NewCachedTTS wraps a provider with a cache.
func NewCachedTTS(t TTS, maxEntries int) *CachedTTS {
	return &CachedTTS{TTS: t, MaxEntries: maxEntries}
}

// Synthesize returns the cached audio or makes it. The returned slice is
// shared: do not modify it.
func (c *CachedTTS) Synthesize(ctx context.Context, text, voice string, emotion Emotion) ([]int16, error) {
	key := ttsKey(text, voice, emotion)
	pcm, f, own := c.begin(key)
	if f == nil {
		return pcm, nil
	}
	if !own {
		return f.wait(ctx)
	}
	// Made for every caller waiting on it: one leaving does not stop it.
	pcm, err := c.TTS.Synthesize(context.WithoutCancel(ctx), text, voice, emotion)
	c.end(key, f, pcm, err)
	return pcm, err
}

// SynthesizeTo is Synthesize for a caller that plays audio as it comes:
// a prompt not yet cached streams from a provider that streams, and is
// cached once whole.
func (c *CachedTTS) SynthesizeTo(ctx context.Context, text, voice string, emotion Emotion, write func([]int16)) error {
	st, ok := c.TTS.(StreamingTTS)
	if !ok {
		pcm, err := c.Synthesize(ctx, text, voice, emotion)
		if err == nil {
			write(pcm)
		}
		return err
	}
	key := ttsKey(text, voice, emotion)
	pcm, f, own := c.begin(key)
	if f != nil && !own {
		pcm, err := f.wait(ctx)
		if err == nil {
			write(pcm)
		}
		return err
	}
	if f == nil {
		write(pcm)
		return nil
	}
	var all []int16
	err := st.SynthesizeTo(context.WithoutCancel(ctx), text, voice, emotion, func(p []int16) {
		all = append(all, p...)
		write(p)
	})
	c.end(key, f, all, err)
	return err
}

func ttsKey(text, voice string, emotion Emotion) string {
	return voice + "\x00" + string(emotion) + "\x00" + text
}

// begin looks key up: its audio when cached (f nil), else the flight
// making it, which this caller makes when own.
func (c *CachedTTS) begin(key string) (pcm []int16, f *ttsFlight, own bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*list.Element{}
		c.flight = map[string]*ttsFlight{}
	}
	if el, ok := c.entries[key]; ok {
		c.order.MoveToFront(el)
		c.hits++
		return el.Value.(*ttsEntry).pcm, nil, false
	}
	if f, ok := c.flight[key]; ok {
		return nil, f, false
	}
	f = &ttsFlight{done: make(chan struct{})}
	c.flight[key] = f
	c.misses++
	return nil, f, true
}

// end lands a flight: its audio is cached unless it failed.
func (c *CachedTTS) end(key string, f *ttsFlight, pcm []int16, err error) {
	f.pcm, f.err = pcm, err
	c.mu.Lock()
	delete(c.flight, key)
	if err == nil {
		c.entries[key] = c.order.PushFront(&ttsEntry{key: key, pcm: pcm})
		limit := c.MaxEntries
		if limit <= 0 {
			limit = 1024
		}
		for c.order.Len() > limit {
			old := c.order.Back()
			c.order.Remove(old)
			delete(c.entries, old.Value.(*ttsEntry).key)
		}
	}
	c.mu.Unlock()
	close(f.done)
}

func (f *ttsFlight) wait(ctx context.Context) ([]int16, error) {
	select {
	case <-f.done:
		return f.pcm, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Stats returns cache hits and misses.
func (c *CachedTTS) Stats() (hits, misses int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}

// ToneTTS is a stand-in synthesiser for load tests that must not spend CPU
// on speech: it returns a 400 Hz tone as long as the text would take to
// say. Its name says what it is; it is never a default.
type ToneTTS struct{}

// Synthesize returns about 60 ms of tone per character (at least 300 ms).
func (ToneTTS) Synthesize(ctx context.Context, text, voice string, emotion Emotion) ([]int16, error) {
	if text == "" {
		return nil, errors.New("tone tts: empty text")
	}
	n := max(len([]rune(text))*480, 2400)
	return Tone(400, n, 8000), nil
}

// Tone returns n samples of a sine wave at freq Hz with the given peak.
func Tone(freq float64, n int, peak float64) []int16 {
	out := make([]int16, n)
	// Integer phase stepping keeps this cheap and exact enough.
	for i := range out {
		out[i] = int16(peak * sinApprox(2*3.141592653589793*freq*float64(i)/SampleRate))
	}
	return out
}

func sinApprox(x float64) float64 {
	// Reduce to [-pi, pi] and use a 7th-order Taylor series; accurate to
	// well under a G.711 step.
	const twoPi = 2 * 3.141592653589793
	x -= twoPi * float64(int(x/twoPi))
	if x > 3.141592653589793 {
		x -= twoPi
	}
	x2 := x * x
	return x * (1 - x2/6*(1-x2/20*(1-x2/42)))
}
