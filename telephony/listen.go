package telephony

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
)

// What ends a turn (Utterance.EndedBy).
const (
	// EndedByRecognizer: the streaming recogniser's own endpoint (its
	// final) came before our silence did.
	EndedByRecognizer = "recognizer"
	// EndedBySilence: our VAD heard the callee stop (end-of-turn silence).
	EndedBySilence = "silence"
	// EndedByLimit: the callee talked past the longest utterance.
	EndedByLimit = "limit"
	// EndedByPartial: the callee paused on words the turn expects (one of
	// its phrases, exactly) and a streaming recogniser's partial has held
	// them steady: the turn ends before the silence or the final would.
	EndedByPartial = "partial"
)

// Early intent: a partial that is exactly one of the turn's phrases, held
// this long, with the callee this long quiet, ends the turn.
const (
	partialSteady = 250 * time.Millisecond
	partialPause  = 300 * time.Millisecond
)

// expected reports whether text is, all of it, one of phrases (case,
// spaces and punctuation aside).
func expected(text string, phrases []string) bool {
	t, _ := textForms(text)
	if t == "" {
		return false
	}
	for _, p := range phrases {
		if c, _ := textForms(p); c == t {
			return true
		}
	}
	return false
}

// tapEvery is how much audio a streaming recogniser gets at a time: 60 ms,
// what FunASR's reference client sends per message, so its feeder wakes
// about 17 times a second rather than 50.
const tapEvery = 3 * frameSamples

// listener is one Listen's recognition: for a streaming recogniser a
// session open from the start of the turn, fed the callee's audio by a
// pump goroutine as the media captures it; for a batch one, nothing until
// the utterance ends.
type listener struct {
	c    *sipCall
	ctx  context.Context
	rec  Recognizer
	name string
	opts StreamOptions

	live     bool
	sess     RecognizerSession
	results  <-chan Hypothesis
	tick     chan struct{}
	stop     chan struct{}
	pumpDone chan struct{}
	off      int     // capture samples the session has been given
	buf      []int16 // the pump's, reused
	retried  bool
}

func (c *sipCall) newListener(ctx context.Context, expect []string) *listener {
	asr := c.recognizer()
	c.mu.Lock()
	c.turns++
	turn := c.turns
	c.mu.Unlock()
	l := &listener{c: c, ctx: ctx, rec: asr, name: providerName(asr)}
	l.opts = StreamOptions{Language: c.req.Language, Hotwords: c.req.Hotwords, Phrases: mergePhrases(0, 0, expect, c.req.Phrases),
		Name: c.res.CallID + "-" + strconv.Itoa(turn)}
	// Only a call that listens to the simulation channel (the dialer in
	// simulation mode, this recogniser reading it) passes its text on.
	if c.simText != nil && isSimulation(asr) {
		l.opts.SimulationText = func() string { return c.takeSimulationText(300 * time.Millisecond) }
	}
	l.live = asr != nil && streams(asr)
	return l
}

// simulated reports whether what is heard comes from the simulation
// channel.
func (l *listener) simulated() bool { return l.opts.SimulationText != nil }

// open starts the streaming session and its pump (live recognisers only).
func (l *listener) open() error {
	if !l.live {
		return nil
	}
	sess, err := Stream(l.rec).Open(l.ctx, l.opts)
	if err != nil {
		return err
	}
	l.sess, l.results = sess, sess.Results()
	l.tick = make(chan struct{}, 1)
	l.buf = make([]int16, 0, 4*tapEvery)
	l.startPump()
	return nil
}

func (l *listener) startPump() {
	l.stop, l.pumpDone = make(chan struct{}), make(chan struct{})
	l.c.media.tapCapture(l.tick, tapEvery)
	go l.pump(l.sess, l.stop, l.pumpDone)
	// What was captured before (barge-in during a prompt) goes at once.
	select {
	case l.tick <- struct{}{}:
	default:
	}
}

// pump feeds the session what the media captured since the last time.
// A failed write ends it: the session's Results then close with the
// failure, which Listen handles.
func (l *listener) pump(sess RecognizerSession, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-l.tick:
		case <-stop:
			return
		}
		l.buf, l.off = l.c.media.captureFrom(l.off, l.buf[:0])
		if len(l.buf) > 0 && sess.Write(l.buf) != nil {
			return
		}
	}
}

func (l *listener) stopPump() {
	if l.stop == nil {
		return
	}
	close(l.stop)
	<-l.pumpDone
	l.stop = nil
}

// close ends whatever is still open.
func (l *listener) close() {
	l.stopPump()
	if l.sess != nil {
		l.sess.Close()
		l.sess, l.results = nil, nil
	}
}

// recoverable reports whether a failed session is worth one more try: its
// connection dropped. A refusal would be refused again, and a provider too
// slow once would keep the callee waiting twice as long.
func recoverable(err error) bool {
	return errors.Is(err, ErrASRUnavailable)
}

// failure is why the session's Results closed before a final.
func (l *listener) failure() error {
	if err := l.sess.Err(); err != nil {
		return err
	}
	return recognitionError(l.name, ErrASRUnavailable, "the session ended without a final")
}

// reopen replaces a streaming session whose connection dropped
// mid-utterance with a new one, replaying the utterance from its start
// (the capture holds it), once per turn. Batch recognisers retry their own
// requests (HTTPRecognizer does).
func (l *listener) reopen(cause error) error {
	if l.retried || !l.live || !recoverable(cause) {
		return cause
	}
	l.retried = true
	l.stopPump()
	l.sess.Close()
	l.sess, l.results = nil, nil
	sess, err := Stream(l.rec).Open(l.ctx, l.opts)
	if err != nil {
		return recognitionError(l.name, ErrASRUnavailable, "%v; reconnecting failed: %v", cause, err)
	}
	l.sess, l.results, l.off = sess, sess.Results(), 0
	l.startPump()
	return nil
}

// finish ends the utterance on our side (silence or the length limit) and
// waits for the recogniser's final. audio is the whole utterance as
// captured.
func (l *listener) finish(audio []int16) (Hypothesis, error) {
	if l.rec == nil {
		return Hypothesis{Final: true}, nil
	}
	if l.sess == nil {
		// A batch recogniser (or a streaming one whose session was let
		// go) hears the whole utterance now.
		sess, err := Stream(l.rec).Open(l.ctx, l.opts)
		if err != nil {
			return Hypothesis{}, err
		}
		l.sess, l.results = sess, sess.Results()
		if b, ok := sess.(*batchSession); ok {
			b.takeUtterance(audio) // no copy of the utterance
		} else if err := sess.Write(audio); err != nil {
			return Hypothesis{}, err
		}
		return l.endAndWait(audio, false)
	}
	l.stopPump()
	if l.off < len(audio) {
		if err := l.sess.Write(audio[l.off:]); err != nil {
			if err := l.reopen(err); err != nil {
				return Hypothesis{}, err
			}
			return l.endAndWait(audio, true)
		}
	}
	return l.endAndWait(audio, false)
}

// endAndWait sends End and returns the final; after a failure it tries
// once more on a new session with the whole utterance (replay).
func (l *listener) endAndWait(audio []int16, replay bool) (Hypothesis, error) {
	if replay {
		l.stopPump()
		if err := l.sess.Write(audio); err != nil {
			return Hypothesis{}, err
		}
	}
	if err := l.sess.End(); err != nil {
		if replay {
			return Hypothesis{}, err
		}
		if err := l.reopen(err); err != nil {
			return Hypothesis{}, err
		}
		return l.endAndWait(audio, true)
	}
	var final Hypothesis
	got := false
	for {
		select {
		case h, ok := <-l.results:
			if !ok {
				if got {
					return final, nil
				}
				err := l.failure()
				if replay {
					return Hypothesis{}, err
				}
				if err := l.reopen(err); err != nil {
					return Hypothesis{}, err
				}
				return l.endAndWait(audio, true)
			}
			if h.Final {
				final, got = h, true
			}
		case <-l.ctx.Done():
			return Hypothesis{}, l.ctx.Err()
		}
	}
}

// recognitionFailed turns a recogniser's failure into what Listen
// returns: ErrCallEnded when the call ended meanwhile, the caller's
// context error when it gave up, else a *RecognitionError, which ends the
// call as failed.
func (c *sipCall) recognitionFailed(ctx context.Context, provider string, err error) error {
	if c.ctx.Err() != nil {
		return ErrCallEnded
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return ctx.Err()
	}
	return asRecognitionError(provider, err)
}

// heard records what the callee said.
func (c *sipCall) heard(u Utterance) Utterance {
	u.Text = strings.TrimSpace(u.Text)
	c.addLine(TranscriptLine{Speaker: "callee", Text: u.Text, At: c.since()})
	return u
}
