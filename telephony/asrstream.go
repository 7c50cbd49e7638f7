package telephony

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// StreamingRecognizer hears the callee while they speak. Listen opens one
// session per utterance and feeds it the callee's audio as it arrives, so
// a provider that streams has most of the utterance decoded by the time
// the callee stops, and may end the turn itself (its endpoint) before our
// VAD's silence does.
//
// Every recogniser works through this interface: Stream adapts the batch
// ones (HTTP, pocketsphinx, simulation), which hear the whole utterance at
// its end.
type StreamingRecognizer interface {
	// Open starts a session for one utterance. It fails with a
	// *RecognitionError when the provider cannot be reached or refuses us.
	// ctx bounds the whole session.
	Open(ctx context.Context, opts StreamOptions) (RecognizerSession, error)
}

// StreamOptions are what a session needs to know about the utterance.
type StreamOptions struct {
	// Language such as "zh-CN" or "en" ("" lets the recogniser decide).
	Language string
	// Phrases the script expects (its intents' examples): a grammar for
	// recognisers that take one, hints or hotwords for the others.
	Phrases []string
	// Hotwords are names and terms to favour (the contact's name); never
	// a grammar.
	Hotwords []string
	// Name identifies the utterance to the provider (FunASR's wav_name),
	// for its logs; "" is "outcall".
	Name string
	// SimulationText, when set, returns what the callee simulator said it
	// spoke; the simulation recogniser reads it at the end of the
	// utterance. Only calls in simulation mode set it.
	SimulationText func() string
}

// RecognizerSession is one utterance being recognised. Write, End and
// Close are called from one goroutine at a time; Results is read from
// another.
type RecognizerSession interface {
	// Write sends the callee's audio: 8 kHz mono samples, normally whole
	// 20 ms frames. It does not keep pcm after it returns. It may block
	// while the provider's connection is slow, never longer than the
	// session's write timeout; after a failure it returns the failure.
	Write(pcm []int16) error
	// Results delivers hypotheses as the provider makes them: partials
	// (Final false) while audio comes, a Final at each endpoint the
	// provider finds on its own, and after End the final of the whole
	// utterance. It is closed when the session is over: after End's final,
	// after Close, or on a failure (Err says which).
	Results() <-chan Hypothesis
	// End says the utterance is over (our endpoint: the VAD's silence);
	// the provider's final follows on Results. A batch recogniser does its
	// work here, so End may take as long as it does.
	End() error
	// Err is why Results closed without a final: a *RecognitionError, or
	// nil after a final or Close.
	Err() error
	// Close ends the session at once and frees what it holds. It is safe
	// to call more than once.
	Close() error
}

// Hypothesis is what a recogniser thinks the callee said so far in a
// session.
type Hypothesis struct {
	// Text is everything heard in the session so far, not just the latest
	// words.
	Text string
	// Final marks the end of an utterance: the provider's own endpoint, or
	// its answer to End. Text no longer changes.
	Final bool
	// Confidence is 0-1, 0 when the provider gives none.
	Confidence float64
	// Start and End locate the words in the session's audio, from its
	// first sample, as the provider's timestamps say (both 0 when it gives
	// none).
	Start, End time.Duration
	// Audio is how much audio the session had sent when this arrived.
	Audio time.Duration
}

// The kinds of recognition failure; a *RecognitionError wraps one, so
// errors.Is tells them apart.
var (
	// ErrASRAuth: the provider refused our credentials (the API key).
	ErrASRAuth = errors.New("the recogniser refused the credentials")
	// ErrASRUnavailable: the provider could not be reached, or the
	// connection dropped.
	ErrASRUnavailable = errors.New("the recogniser is unavailable")
	// ErrASRTimeout: the provider took longer than we wait.
	ErrASRTimeout = errors.New("the recogniser did not answer in time")
	// ErrASRRefused: the provider refused the audio or the request.
	ErrASRRefused = errors.New("the recogniser refused the audio")
	// ErrASRFailed: any other failure of the recogniser.
	ErrASRFailed = errors.New("the recogniser failed")
)

// RecognitionError is a recogniser's failure: the call cannot hear the
// callee. A call whose recognition fails ends as failed with this as its
// reason.
type RecognitionError struct {
	// Provider names the recogniser: "funasr", "http", "pocketsphinx", …
	Provider string
	// Kind is one of ErrASRAuth, ErrASRUnavailable, ErrASRTimeout,
	// ErrASRRefused and ErrASRFailed.
	Kind error
	// Detail says what happened, for people ("401 Unauthorized",
	// "connection dropped after 1.2s of audio").
	Detail string
}

func (e *RecognitionError) Error() string {
	if e.Detail == "" {
		return e.Provider + ": " + e.Kind.Error()
	}
	return e.Provider + ": " + e.Kind.Error() + ": " + e.Detail
}

// Unwrap returns the kind.
func (e *RecognitionError) Unwrap() error { return e.Kind }

func recognitionError(provider string, kind error, format string, a ...any) *RecognitionError {
	return &RecognitionError{Provider: provider, Kind: kind, Detail: fmt.Sprintf(format, a...)}
}

// asRecognitionError returns err as a *RecognitionError, wrapping errors
// of recognisers that do not make their own.
func asRecognitionError(provider string, err error) *RecognitionError {
	var re *RecognitionError
	if errors.As(err, &re) {
		return re
	}
	kind := ErrASRFailed
	if errors.Is(err, context.DeadlineExceeded) {
		kind = ErrASRTimeout
	}
	return &RecognitionError{Provider: provider, Kind: kind, Detail: err.Error()}
}

// Stream returns r's streaming side: r itself when it streams, else an
// adapter that gathers the utterance's audio and recognises it at End
// (no partials, no endpoint of its own).
func Stream(r Recognizer) StreamingRecognizer {
	if s, ok := r.(StreamingRecognizer); ok {
		return s
	}
	return batchStream{r}
}

// streams reports whether r hears while the callee speaks (Listen then
// feeds it audio as it arrives).
func streams(r Recognizer) bool {
	_, ok := r.(StreamingRecognizer)
	return ok
}

type batchStream struct{ r Recognizer }

func (b batchStream) Open(ctx context.Context, o StreamOptions) (RecognizerSession, error) {
	return &batchSession{ctx: ctx, r: b.r, opts: o, sessionOut: sessionOut{out: make(chan Hypothesis, 1)}}, nil
}

// batchSession gathers audio and runs the batch recogniser at End.
type batchSession struct {
	ctx   context.Context
	r     Recognizer
	opts  StreamOptions
	audio []int16
	sessionOut
	err error
}

func (s *batchSession) Write(pcm []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return s.failure()
	}
	s.audio = append(s.audio, pcm...)
	return nil
}

// takeUtterance hands the session a whole utterance it may keep (Listen's
// capture), saving a copy.
func (s *batchSession) takeUtterance(pcm []int16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.audio) == 0 {
		s.audio = pcm
	} else {
		s.audio = append(s.audio, pcm...)
	}
}

func (s *batchSession) failure() error {
	if s.err != nil {
		return s.err
	}
	return errSessionOver
}

var errSessionOver = errors.New("recognition session is over")

func (s *batchSession) End() error {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return s.failure()
	}
	s.done = true
	audio := s.audio
	s.mu.Unlock()
	req := RecognizeRequest{Audio: audio, Phrases: s.opts.Phrases, Hotwords: s.opts.Hotwords, Language: s.opts.Language}
	if s.opts.SimulationText != nil {
		req.SimulationText = s.opts.SimulationText()
	}
	tr, err := s.r.Recognize(s.ctx, req)
	if err != nil {
		s.mu.Lock()
		s.err = asRecognitionError(providerName(s.r), err)
		s.mu.Unlock()
		close(s.out)
		return nil
	}
	d := time.Duration(len(audio)) * time.Second / SampleRate
	s.out <- Hypothesis{Text: tr.Text, Final: true, Confidence: tr.Confidence, Audio: d}
	close(s.out)
	return nil
}

func (s *batchSession) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// sessionOut is a recogniser session's results and the lock over its
// state: done says the results are closed, or are being closed by End.
type sessionOut struct {
	mu   sync.Mutex
	done bool
	out  chan Hypothesis
}

func (s *sessionOut) Results() <-chan Hypothesis { return s.out }

// Close ends the session without a final: its results are closed unless
// they are already.
func (s *sessionOut) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.done = true
		close(s.out)
	}
	return nil
}

// providerName names a recogniser in errors and reasons.
func providerName(r Recognizer) string {
	switch r.(type) {
	case *HTTPRecognizer, HTTPRecognizer:
		return "http"
	case *PocketsphinxRecognizer:
		return "pocketsphinx"
	case *FunASRRecognizer:
		return "funasr"
	case SimulationRecognizer, *SimulationRecognizer, SimulationStreamingRecognizer, *SimulationStreamingRecognizer:
		return "simulation"
	case DTMFOnly, *DTMFOnly:
		return "dtmf"
	}
	return "recogniser"
}

// BaseLanguage returns the ISO 639-1 code of a language tag, as
// Whisper-shaped services take it: "zh-CN" → "zh", "en-US" → "en",
// "cmn" → "zh". "" stays "".
func BaseLanguage(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	switch tag {
	case "cmn", "zho", "chi":
		return "zh"
	case "eng":
		return "en"
	}
	return tag
}

// Hearer is implemented by recognisers that hear only some languages.
type Hearer interface {
	// Hears returns nil when the recogniser can hear speech in lang (a
	// tag such as "zh-CN"), else an error saying why not and what to
	// choose instead.
	Hears(lang string) error
}

// CanHear returns nil when r can hear speech in lang: recognisers that
// do not say otherwise are taken to hear every language.
func CanHear(r Recognizer, lang string) error {
	if h, ok := r.(Hearer); ok {
		return h.Hears(lang)
	}
	return nil
}

// Hears: SimulationRecognizer hears whatever the simulator sends over
// its text channel, in any language, and nothing else (see
// DialerConfig.Simulation for why a real trunk's peer cannot use it).
func (SimulationRecognizer) Hears(string) error { return nil }

// Hears: DTMFOnly hears keys in any language and speech in none, by the
// tenant's choice.
func (DTMFOnly) Hears(string) error { return nil }

// mergePhrases returns the distinct non-empty phrases of the lists, in
// order, at most max (0: no limit) and each at most maxRunes long (0: no
// limit).
func mergePhrases(max, maxRunes int, lists ...[]string) []string {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	if n == 0 {
		return nil
	}
	var out []string
	seen := make(map[string]bool, n)
	for _, l := range lists {
		for _, p := range l {
			p = strings.TrimSpace(p)
			if p == "" || seen[p] || (maxRunes > 0 && utf8.RuneCountInString(p) > maxRunes) {
				continue
			}
			seen[p] = true
			out = append(out, p)
			if max > 0 && len(out) == max {
				return out
			}
		}
	}
	return out
}

// CheckHearing says whether calls whose recogniser is r can hear callees
// of a script in lang: nil when they can, else an error that says why not
// and what to choose. simulated is set when the calls go to the callee
// simulator with its text channel taken (DialerConfig.Simulation). A nil
// recogniser hears keys only, by the operator's choice, and passes.
func CheckHearing(r Recognizer, lang string, simulated bool) error {
	switch {
	case r == nil:
		return nil
	case isSimulation(r):
		if !simulated {
			return errors.New("the simulation recogniser hears only the callee simulator's text channel: on a real trunk it would hear nobody; " +
				"choose FunASR, a Whisper-shaped HTTP service or, for English scripts, pocketsphinx (speech settings, or --asr)")
		}
		return nil
	}
	return CanHear(r, lang)
}
