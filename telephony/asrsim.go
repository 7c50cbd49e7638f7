package telephony

import (
	"context"
	"strings"
	"time"
)

// SimulationStreamingRecognizer is a test double of a streaming
// recogniser with its own endpointing, for benchmarks: it hears the
// callee simulator's text channel as SimulationRecognizer does, and
// gives its final FinalAfter after the end of speech (that much quiet
// audio after loud audio), as a provider that endpoints by itself does.
// Figures measured with it are outcall's and the stated latency, never a
// provider's own.
type SimulationStreamingRecognizer struct {
	// FinalAfter is the quiet after speech that ends an utterance, the
	// simulated provider's endpoint (0: 150 ms).
	FinalAfter time.Duration
}

// Recognize returns req.SimulationText (a batch request, for whole
// utterances).
func (SimulationStreamingRecognizer) Recognize(ctx context.Context, req RecognizeRequest) (Transcript, error) {
	return Transcript{Text: req.SimulationText, Confidence: 1}, nil
}

// Hears whatever the simulator sends, in any language.
func (SimulationStreamingRecognizer) Hears(string) error { return nil }

// Open starts a session that endpoints by itself.
func (r SimulationStreamingRecognizer) Open(ctx context.Context, opts StreamOptions) (RecognizerSession, error) {
	after := r.FinalAfter
	if after <= 0 {
		after = 150 * time.Millisecond
	}
	// The channel has room for the endpoint's final and End's.
	return &simStreamSession{opts: opts, quietFor: int(after / FrameDuration), sessionOut: sessionOut{out: make(chan Hypothesis, 2)}}, nil
}

type simStreamSession struct {
	opts     StreamOptions
	quietFor int // quiet frames after speech that end the utterance

	sessionOut
	frame      []int16
	loud       int // loud frames in a row (speech starts at 3, as our VAD)
	speech     bool
	quiet      int // quiet frames since the last loud one
	frames     int
	endpointed bool // the endpoint's final went
	text       string
}

func (s *simStreamSession) Write(pcm []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(pcm) > 0 && !s.done {
		n := min(frameSamples-len(s.frame), len(pcm))
		s.frame = append(s.frame, pcm[:n]...)
		pcm = pcm[n:]
		if len(s.frame) < frameSamples {
			break
		}
		s.frames++
		if FrameLevelDB(s.frame) >= DefaultVADConfig().ThresholdDB {
			s.loud++
			s.quiet = 0
			if s.loud >= 3 {
				s.speech = true
			}
		} else {
			s.loud = 0
			s.quiet++
			if s.speech && !s.endpointed && s.quiet >= s.quietFor {
				// The provider's endpoint: its final, while the session
				// stays open for End.
				s.endpointed = true
				s.text = s.takeText()
				s.out <- s.hypothesis()
			}
		}
		s.frame = s.frame[:0]
	}
	return nil
}

func (s *simStreamSession) takeText() string {
	if s.opts.SimulationText == nil {
		return ""
	}
	return strings.TrimSpace(s.opts.SimulationText())
}

func (s *simStreamSession) hypothesis() Hypothesis {
	audio := time.Duration(s.frames) * FrameDuration
	return Hypothesis{Text: s.text, Final: true, Confidence: 1, Audio: audio, End: audio - time.Duration(s.quiet)*FrameDuration}
}

func (s *simStreamSession) End() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	if !s.endpointed {
		s.text = s.takeText()
	}
	s.done = true
	s.out <- s.hypothesis()
	close(s.out)
	return nil
}

func (s *simStreamSession) Err() error { return nil }
