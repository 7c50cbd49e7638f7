package telephony

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// RecognizeRequest is one utterance to transcribe.
type RecognizeRequest struct {
	// Audio is the callee's speech, 8 kHz mono.
	Audio []int16
	// Phrases the script expects (intents' examples): grammar for
	// recognisers that take one, hints for the others.
	Phrases []string
	// Hotwords are names and terms to favour (the contact's name): hints,
	// never a grammar.
	Hotwords []string
	// Language such as "en" or "zh-CN" ("" lets the recogniser decide);
	// each recogniser sends it in the form its service takes.
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
// language, prompt; JSON answer {"text": ...}), as OpenAI's Whisper API
// and the servers that copy it take it. The language goes as its ISO
// 639-1 code ("zh", not "zh-CN", which such services refuse); the
// script's phrases and the hotwords go as the prompt.
type HTTPRecognizer struct {
	BaseURL string
	APIKey  string
	Model   string
	Client  *http.Client
	// Timeout bounds one request (0: 20 s).
	Timeout time.Duration
}

// maxPrompt bounds the prompt sent with an utterance: Whisper reads only
// its last 224 tokens, and a long one slows every request.
const maxPrompt = 800

// promptOf joins the hints, names first, into a prompt of at most
// maxPrompt bytes.
func promptOf(hotwords, phrases []string) string {
	var b strings.Builder
	for _, p := range mergePhrases(0, 0, hotwords, phrases) {
		if b.Len()+len(p)+2 > maxPrompt {
			break
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p)
	}
	return b.String()
}

// Recognize sends the audio and returns the service's text.
func (h HTTPRecognizer) Recognize(ctx context.Context, req RecognizeRequest) (Transcript, error) {
	fail := func(kind error, format string, a ...any) (Transcript, error) {
		return Transcript{}, recognitionError("http", kind, format, a...)
	}
	samples := make([]int, len(req.Audio))
	for i, s := range req.Audio {
		samples[i] = int(s)
	}
	wavBytes, err := EncodeWAV(samples, 1)
	if err != nil {
		return fail(ErrASRRefused, "encode the utterance: %v", err)
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
	if lang := BaseLanguage(req.Language); lang != "" {
		mw.WriteField("language", lang)
	}
	if prompt := promptOf(req.Hotwords, req.Phrases); prompt != "" {
		mw.WriteField("prompt", prompt)
	}
	mw.WriteField("response_format", "json")
	mw.Close()
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	// A connection the service closed while idle (a restart, a proxy's
	// keep-alive limit) fails a POST that reuses it; transcribing has no
	// effect to repeat, so the request goes once more on a new one.
	var res *http.Response
	for attempt := 1; ; attempt++ {
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(h.BaseURL, "/")+"/v1/audio/transcriptions", bytes.NewReader(body.Bytes()))
		if err != nil {
			return fail(ErrASRFailed, "%v", err)
		}
		hr.Header.Set("Content-Type", mw.FormDataContentType())
		if h.APIKey != "" {
			hr.Header.Set("Authorization", "Bearer "+h.APIKey)
		}
		res, err = client.Do(hr)
		if err == nil {
			break
		}
		if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			return fail(ErrASRTimeout, "no answer within %s", timeout)
		}
		if attempt == 2 || ctx.Err() != nil {
			return fail(ErrASRUnavailable, "%v", err)
		}
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		if ctx.Err() != nil {
			return fail(ErrASRTimeout, "the answer did not arrive within %s", timeout)
		}
		return fail(ErrASRUnavailable, "the answer broke off: %v", err)
	}
	if res.StatusCode != http.StatusOK {
		detail := strings.TrimSpace(string(data[:min(len(data), 200)]))
		switch {
		case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
			return fail(ErrASRAuth, "%s: %s", res.Status, detail)
		case res.StatusCode == http.StatusRequestTimeout || res.StatusCode == http.StatusGatewayTimeout:
			return fail(ErrASRTimeout, "%s: %s", res.Status, detail)
		case res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests:
			return fail(ErrASRUnavailable, "%s: %s", res.Status, detail)
		default:
			return fail(ErrASRRefused, "%s: %s", res.Status, detail)
		}
	}
	var out struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return fail(ErrASRFailed, "answer is not JSON with a text field: %v", err)
	}
	return Transcript{Text: strings.TrimSpace(out.Text)}, nil
}

// PocketsphinxRecognizer runs Debian's pocketsphinx_continuous offline in
// JSGF grammar mode, the grammar being the script's English phrases.
// Free-form recognition on phone audio is poor, and keyword spotting
// (-kws) missed espeak's "yes please" at every threshold tried; a grammar
// of the phrases a script expects recognises them well. Phrases with words
// missing from the dictionary are dropped. A call that passes no phrases
// gets DefaultEnglishAnswers, the answers the built-in intents know. Its
// model is English: it hears no other language (Hears).
type PocketsphinxRecognizer struct {
	// Binary (empty: "pocketsphinx_continuous").
	Binary string
	// ModelDir holds en-us/ and cmudict-en-us.dict (empty: Debian's path).
	ModelDir string

	mu   sync.Mutex
	dict map[string]bool
}

// DefaultEnglishAnswers is the grammar pocketsphinx gets when a call gives
// it no phrases: what callees commonly answer, in words the built-in
// intents (affirm, deny, later, busy, human, stop, wrong_number,
// complaint) understand.
var DefaultEnglishAnswers = []string{
	"yes", "yes please", "yeah", "sure", "okay", "of course", "that's right", "correct", "go ahead", "i agree",
	"no", "no thanks", "no thank you", "not interested", "i'm not interested", "i don't want it",
	"later", "call me later", "call back later", "call me tomorrow", "not now",
	"i'm busy", "i'm in a meeting", "i'm driving",
	"agent", "an agent please", "a real person", "speak to a person", "talk to a human",
	"stop calling", "stop calling me", "don't call me again", "remove me from your list",
	"wrong number", "you have the wrong number",
	"i want to complain", "i have a complaint",
	"hello", "who is this", "what is this about", "sorry", "repeat that please",
}

var nonWord = regexp.MustCompile(`[^a-z' ]+`)

func (p *PocketsphinxRecognizer) modelDir() string {
	if p.ModelDir != "" {
		return p.ModelDir
	}
	return "/usr/share/pocketsphinx/model/en-us"
}

func (p *PocketsphinxRecognizer) bin() string {
	if p.Binary != "" {
		return p.Binary
	}
	return "pocketsphinx_continuous"
}

func (p *PocketsphinxRecognizer) loadDict() (map[string]bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dict != nil {
		return p.dict, nil
	}
	data, err := os.ReadFile(filepath.Join(p.modelDir(), "cmudict-en-us.dict"))
	if err != nil {
		return nil, recognitionError("pocketsphinx", ErrASRUnavailable, "its dictionary: %v (install pocketsphinx-en-us)", err)
	}
	d := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if w, _, ok := strings.Cut(line, " "); ok {
			d[w] = true
		}
	}
	p.dict = d
	return d, nil
}

// Hears returns nil for English (and for no language given): its model is
// en-us.
func (p *PocketsphinxRecognizer) Hears(lang string) error {
	switch BaseLanguage(lang) {
	case "", "en":
		return nil
	}
	return fmt.Errorf("pocketsphinx hears English only (its en-us model), and this script speaks %s: "+
		"choose FunASR or a Whisper-shaped HTTP service in the speech settings (or start outcall with --asr funasr+ws://…)", lang)
}

// Ready returns nil when the program and its English model are
// installed.
func (p *PocketsphinxRecognizer) Ready() error {
	if _, err := exec.LookPath(p.bin()); err != nil {
		return recognitionError("pocketsphinx", ErrASRUnavailable, "%s is not installed (apt-get install pocketsphinx pocketsphinx-en-us)", p.bin())
	}
	_, err := p.loadDict()
	return err
}

// KeyPhrases normalises phrases to what the dictionary knows.
func (p *PocketsphinxRecognizer) KeyPhrases(phrases []string) ([]string, error) {
	dict, err := p.loadDict()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, ph := range phrases {
		words := strings.Fields(nonWord.ReplaceAllString(strings.ToLower(ph), " "))
		ok := len(words) > 0
		for _, w := range words {
			if !dict[w] {
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
// (DefaultEnglishAnswers when it has none) and returns the phrase heard
// ("" when none).
func (p *PocketsphinxRecognizer) Recognize(ctx context.Context, req RecognizeRequest) (Transcript, error) {
	phrases := req.Phrases
	if len(phrases) == 0 {
		phrases = DefaultEnglishAnswers
	}
	keys, err := p.KeyPhrases(phrases)
	if err != nil {
		return Transcript{}, err
	}
	if len(keys) == 0 {
		return Transcript{}, recognitionError("pocketsphinx", ErrASRRefused, "none of the script's %d phrases are English words it knows: it hears English grammars only", len(phrases))
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
	wavBytes, err := encodeWAVRate(samples, 1, 16000, nil)
	if err != nil {
		return Transcript{}, err
	}
	wavPath := filepath.Join(dir, "utt.wav")
	os.WriteFile(wavPath, wavBytes, 0o600)
	cmd := exec.CommandContext(ctx, p.bin(),
		"-hmm", filepath.Join(p.modelDir(), "en-us"),
		"-dict", filepath.Join(p.modelDir(), "cmudict-en-us.dict"),
		"-jsgf", grammarPath, "-infile", wavPath, "-logfn", "/dev/null")
	out, err := cmd.Output()
	if err != nil {
		return Transcript{}, recognitionError("pocketsphinx", ErrASRUnavailable, "%v (install pocketsphinx and pocketsphinx-en-us)", err)
	}
	var heard []string
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			heard = append(heard, line)
		}
	}
	return Transcript{Text: strings.Join(heard, " ")}, nil
}
