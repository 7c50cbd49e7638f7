package telephony

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// streamSession is what FunASR's and NLS's sessions share: one utterance
// on one WebSocket connection, whose reader is the only sender on out and
// closes it when it returns.
type streamSession struct {
	provider     string // "funasr", "nls": names its errors
	conn         net.Conn
	writeTimeout time.Duration
	rate         int // samples a second of the audio sent
	stopCtx      func() bool

	wmu  sync.Mutex   // one frame at a time
	sent atomic.Int64 // bytes of 16-bit audio sent

	out        chan Hypothesis
	quit       chan struct{} // closed by Close
	readerDone chan struct{}

	streamState
}

func newStreamSession(provider string, conn net.Conn, writeTimeout time.Duration, rate int) streamSession {
	return streamSession{provider: provider, conn: conn, writeTimeout: orDefault(writeTimeout, 2*time.Second), rate: rate,
		out: make(chan Hypothesis, 32), quit: make(chan struct{}), readerDone: make(chan struct{})}
}

func (s *streamSession) Results() <-chan Hypothesis { return s.out }

// fail ends the session with err unless it is already over, and drops
// the connection so the reader stops.
func (s *streamSession) fail(err *RecognitionError) {
	s.failed(err)
	s.conn.Close()
}

// audio is how much audio has been sent.
func (s *streamSession) audio() time.Duration {
	return time.Duration(s.sent.Load()/2) * time.Second / time.Duration(s.rate)
}

func (s *streamSession) deliver(h Hypothesis) {
	select {
	case s.out <- h:
	case <-s.quit:
	}
}

// writeFailed ends the session on a write's error and returns why.
func (s *streamSession) writeFailed(err error) error {
	kind, detail := ErrASRUnavailable, fmt.Sprintf("the connection dropped after %s of audio: %v", s.audio().Round(time.Millisecond), err)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		kind, detail = ErrASRTimeout, fmt.Sprintf("sending audio took longer than %s: the connection is too slow", s.writeTimeout)
	}
	re := recognitionError(s.provider, kind, "%s", detail)
	s.fail(re)
	if e := s.Err(); e != nil {
		return e
	}
	return re
}

// awaitFinal marks our end of the utterance sent: without the final
// within timeout (0: 5 s), the session fails.
func (s *streamSession) awaitFinal(timeout time.Duration) {
	wait := orDefault(timeout, 5*time.Second)
	s.endSent(wait, func() {
		s.fail(recognitionError(s.provider, ErrASRTimeout, "no final within %s of the end of speech (%s of audio sent)", wait, s.audio().Round(time.Millisecond)))
	})
}

// shut closes the session once: polite, when set, says goodbye on a
// connection that ends cleanly; then the connection goes and the reader
// is waited for.
func (s *streamSession) shut(polite func()) error {
	open, clean := s.markClosed()
	if !open {
		return nil
	}
	close(s.quit)
	if s.stopCtx != nil {
		s.stopCtx()
	}
	if clean && polite != nil {
		polite()
	}
	s.conn.Close()
	<-s.readerDone
	return nil
}

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
