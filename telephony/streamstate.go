package telephony

import (
	"context"
	"sync"
	"time"
)

// streamState is how far a WebSocket recogniser's session has come: the
// end of the utterance sent, its final received, the session closed, or
// failed; and the timer that waits for the final. FunASR's and NLS's
// sessions share it.
type streamState struct {
	mu         sync.Mutex
	ended      bool // our end of the utterance was sent
	finished   bool // the final arrived
	closed     bool
	err        error
	finalTimer *time.Timer
}

// Err is why the session failed (nil while it has not).
func (s *streamState) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// over returns why the session takes no more audio, nil while it does.
func (s *streamState) over() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.err != nil:
		return s.err
	case s.closed || s.finished:
		return errSessionOver
	}
	return nil
}

// failed records err unless the session is already over.
func (s *streamState) failed(err *RecognitionError) {
	s.mu.Lock()
	if s.err == nil && !s.closed && !s.finished {
		s.err = err
	}
	s.mu.Unlock()
}

// endSent marks our end sent and gives the final wait before onTimeout.
func (s *streamState) endSent(wait time.Duration, onTimeout func()) {
	s.mu.Lock()
	s.ended = true
	s.finalTimer = time.AfterFunc(wait, onTimeout)
	s.mu.Unlock()
}

func (s *streamState) isEnded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

func (s *streamState) markFinished() {
	s.mu.Lock()
	s.finished = true
	s.mu.Unlock()
}

// markClosed marks the session closed and stops the final's timer; it
// reports whether it was open, and whether it ends cleanly (no failure,
// no final).
func (s *streamState) markClosed() (wasOpen, clean bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, false
	}
	s.closed = true
	if s.finalTimer != nil {
		s.finalTimer.Stop()
	}
	return true, s.err == nil && !s.finished
}

func (s *streamState) stopTimer() {
	s.mu.Lock()
	if s.finalTimer != nil {
		s.finalTimer.Stop()
	}
	s.mu.Unlock()
}

// recognizeWhole hears a whole utterance through a streaming recogniser:
// it sends the audio, ends it and waits for the final.
func recognizeWhole(ctx context.Context, r StreamingRecognizer, req RecognizeRequest) (Transcript, error) {
	sess, err := r.Open(ctx, StreamOptions{Language: req.Language, Phrases: req.Phrases, Hotwords: req.Hotwords})
	if err != nil {
		return Transcript{}, err
	}
	defer sess.Close()
	for off := 0; off < len(req.Audio); off += 10 * frameSamples {
		if err := sess.Write(req.Audio[off:min(off+10*frameSamples, len(req.Audio))]); err != nil {
			return Transcript{}, err
		}
	}
	if err := sess.End(); err != nil {
		return Transcript{}, err
	}
	var final Hypothesis
	for h := range sess.Results() {
		if h.Final {
			final = h
		}
	}
	if err := sess.Err(); err != nil {
		return Transcript{}, err
	}
	return Transcript{Text: final.Text, Confidence: final.Confidence}, nil
}
