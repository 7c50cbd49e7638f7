package telephony

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// RecognizeRequest is one utterance to transcribe.
type RecognizeRequest struct {
	// Audio is the callee's speech, 8 kHz mono.
	Audio []int16
	// Phrases the script expects (intents' examples): grammar for
	// recognisers that take one, hints for the others.
	Phrases []string
	// Language such as "en" or "zh" ("" lets the recogniser decide).
	Language string
	// SimulationText is what the callee simulator says it spoke, sent
	// over the simulation channel (SIP INFO). Only set in simulation mode.
	SimulationText string
}

// Transcript is what a recogniser heard.
type Transcript struct {
	Text       string
	Confidence float64 // 0-1, 0 when unknown
}

// Recognizer turns an utterance into text. DTMF needs no recogniser: Listen
// returns digits directly.
type Recognizer interface {
	Recognize(ctx context.Context, req RecognizeRequest) (Transcript, error)
}

// SimulationRecognizer returns the text the callee simulator sent over the
// simulation channel, for demos and load tests against callee-sim. It
// never looks at the audio. The dialer passes the text on only in
// simulation mode (DialerConfig.Simulation, on when the dialer's ASR is a
// SimulationRecognizer); elsewhere the text is refused and this hears
// nothing.
type SimulationRecognizer struct{}

// Recognize returns req.SimulationText.
func (SimulationRecognizer) Recognize(ctx context.Context, req RecognizeRequest) (Transcript, error) {
	return Transcript{Text: req.SimulationText, Confidence: 1}, nil
}

// DTMFOnly hears keys only: speech is transcribed as nothing, so the
// script sees no input unless the callee presses a key.
type DTMFOnly struct{}

// Recognize returns an empty transcript.
func (DTMFOnly) Recognize(ctx context.Context, req RecognizeRequest) (Transcript, error) {
	return Transcript{}, nil
}

// HTTPRecognizer posts the utterance as a WAV file to a service with the
// common POST /v1/audio/transcriptions multipart shape (fields file, model,
// language, prompt; JSON answer {"text": ...}).
type HTTPRecognizer struct {
	BaseURL string
	APIKey  string
	Model   string
	Client  *http.Client
}

// Recognize sends the audio and returns the service's text.
func (h HTTPRecognizer) Recognize(ctx context.Context, req RecognizeRequest) (Transcript, error) {
	samples := make([]int, len(req.Audio))
	for i, s := range req.Audio {
		samples[i] = int(s)
	}
	wavBytes, err := EncodeWAV(samples, 1)
	if err != nil {
		return Transcript{}, err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "utterance.wav")
	if err != nil {
		return Transcript{}, err
	}
	fw.Write(wavBytes)
	model := h.Model
	if model == "" {
		model = "whisper-1"
	}
	mw.WriteField("model", model)
	if req.Language != "" {
		mw.WriteField("language", req.Language)
	}
	if len(req.Phrases) > 0 {
		mw.WriteField("prompt", strings.Join(req.Phrases, ", "))
	}
	mw.WriteField("response_format", "json")
	mw.Close()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(h.BaseURL, "/")+"/v1/audio/transcriptions", &body)
	if err != nil {
		return Transcript{}, err
	}
	hr.Header.Set("Content-Type", mw.FormDataContentType())
	if h.APIKey != "" {
		hr.Header.Set("Authorization", "Bearer "+h.APIKey)
	}
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(hr)
	if err != nil {
		return Transcript{}, fmt.Errorf("asr service: %w", err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		return Transcript{}, fmt.Errorf("asr service: %s: %s", res.Status, strings.TrimSpace(string(data[:min(len(data), 200)])))
	}
	var out struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return Transcript{}, fmt.Errorf("asr service: answer is not JSON with a text field: %w", err)
	}
	return Transcript{Text: strings.TrimSpace(out.Text)}, nil
}

// PocketsphinxRecognizer runs Debian's pocketsphinx_continuous offline in
// JSGF grammar mode, the grammar being the script's English phrases.
// Free-form recognition on phone audio is poor, and keyword spotting
// (-kws) missed espeak's "yes please" at every threshold tried; a grammar
// of the phrases a script expects recognises them well. Phrases with words
// missing from the dictionary are dropped.
type PocketsphinxRecognizer struct {
	// Binary (empty: "pocketsphinx_continuous").
	Binary string
	// ModelDir holds en-us/ and cmudict-en-us.dict (empty: Debian's path).
	ModelDir string
	dict     map[string]bool
}

var nonWord = regexp.MustCompile(`[^a-z' ]+`)

func (p *PocketsphinxRecognizer) modelDir() string {
	if p.ModelDir != "" {
		return p.ModelDir
	}
	return "/usr/share/pocketsphinx/model/en-us"
}

func (p *PocketsphinxRecognizer) loadDict() error {
	if p.dict != nil {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(p.modelDir(), "cmudict-en-us.dict"))
	if err != nil {
		return fmt.Errorf("pocketsphinx dictionary: %w (install pocketsphinx-en-us)", err)
	}
	d := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if w, _, ok := strings.Cut(line, " "); ok {
			d[w] = true
		}
	}
	p.dict = d
	return nil
}

// KeyPhrases normalises phrases to what the dictionary knows.
func (p *PocketsphinxRecognizer) KeyPhrases(phrases []string) ([]string, error) {
	if err := p.loadDict(); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, ph := range phrases {
		words := strings.Fields(nonWord.ReplaceAllString(strings.ToLower(ph), " "))
		ok := len(words) > 0
		for _, w := range words {
			if !p.dict[w] {
				ok = false
			}
		}
		k := strings.Join(words, " ")
		if ok && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out, nil
}

// Recognize matches the audio against a grammar of the request's phrases
// and returns the phrase heard ("" when none).
func (p *PocketsphinxRecognizer) Recognize(ctx context.Context, req RecognizeRequest) (Transcript, error) {
	keys, err := p.KeyPhrases(req.Phrases)
	if err != nil {
		return Transcript{}, err
	}
	if len(keys) == 0 {
		return Transcript{}, fmt.Errorf("pocketsphinx: none of the %d phrases are English words it knows", len(req.Phrases))
	}
	dir, err := os.MkdirTemp("", "outcall-asr-")
	if err != nil {
		return Transcript{}, err
	}
	defer os.RemoveAll(dir)
	grammar := "#JSGF V1.0;\ngrammar script;\npublic <phrase> = " + strings.Join(keys, " | ") + ";\n"
	grammarPath := filepath.Join(dir, "script.jsgf")
	os.WriteFile(grammarPath, []byte(grammar), 0o600)
	// Half a second of quiet on each side helps the decoder find the
	// utterance's edges.
	pad := make([]int16, SampleRate/2)
	audio := append(append(append([]int16(nil), pad...), req.Audio...), pad...)
	pcm16k := Resample(audio, SampleRate, 16000)
	samples := make([]int, len(pcm16k))
	for i, s := range pcm16k {
		samples[i] = int(s)
	}
	wavBytes, err := encodeWAVRate(samples, 1, 16000)
	if err != nil {
		return Transcript{}, err
	}
	wavPath := filepath.Join(dir, "utt.wav")
	os.WriteFile(wavPath, wavBytes, 0o600)
	bin := p.Binary
	if bin == "" {
		bin = "pocketsphinx_continuous"
	}
	cmd := exec.CommandContext(ctx, bin,
		"-hmm", filepath.Join(p.modelDir(), "en-us"),
		"-dict", filepath.Join(p.modelDir(), "cmudict-en-us.dict"),
		"-jsgf", grammarPath, "-infile", wavPath, "-logfn", "/dev/null")
	out, err := cmd.Output()
	if err != nil {
		return Transcript{}, fmt.Errorf("pocketsphinx: %w (install pocketsphinx and pocketsphinx-en-us)", err)
	}
	var heard []string
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			heard = append(heard, line)
		}
	}
	return Transcript{Text: strings.Join(heard, " ")}, nil
}
