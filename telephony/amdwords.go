package telephony

import (
	"strings"
	"time"
	"unicode"
)

// greetingWords gives answering-machine detection the greeting's words
// from the call's recogniser: nil when the call has none.
func (c *sipCall) greetingWords() amdWords {
	asr := c.recognizer()
	switch {
	case asr == nil:
		return nil
	case !transcribes(asr):
		// A grammar or keys only: a greeting's words cannot be read.
		return nil
	case isSimulation(asr):
		if c.simText == nil {
			return nil
		}
		return &simGreeting{c: c}
	}
	l := c.newListener(c.ctx, nil)
	l.opts.Name = c.res.CallID + "-greeting"
	w := &recognisedGreeting{l: l, opened: make(chan struct{})}
	if !l.live {
		close(w.opened)
		return w
	}
	// The session opens beside the detection, which starts at once: a
	// recogniser slow to answer, or that never does, holds nothing up
	// (the greeting is then judged as without one). The capture keeps the
	// greeting for it meanwhile.
	go func() {
		defer close(w.opened)
		if err := l.open(); err != nil {
			// The dialog's first Listen will report the failure.
			c.d.log.Debug("recogniser unavailable for machine detection", "call_id", c.res.CallID, "err", err)
			w.openErr = err
		}
	}()
	return w
}

// greetingOpenWait is how long a detector that must settle a greeting's
// words waits for the recogniser's session to open.
const greetingOpenWait = 500 * time.Millisecond

// amdWords is a GreetingWords the call closes after detection.
type amdWords interface {
	GreetingWords
	close()
}

// recognisedGreeting reads the greeting through the call's recogniser: a
// streaming one's partials as they come; a batch one's words only when
// the detector settles (one request for the greeting so far).
type recognisedGreeting struct {
	l *listener
	// opened is closed once the session has opened, or failed to
	// (openErr); until then nothing has been heard.
	opened  chan struct{}
	openErr error
	latest  string
	done    bool // the session is over (final, failure)
	failed  bool
	// settled caches a batch recognition per length of audio.
	settled    string
	settledLen int
}

// ready reports whether the session is open, waiting up to wait for it.
func (w *recognisedGreeting) ready(wait time.Duration) bool {
	select {
	case <-w.opened:
	default:
		if wait <= 0 {
			return false
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-w.opened:
		case <-t.C:
			return false
		}
	}
	return w.openErr == nil
}

func (w *recognisedGreeting) Heard(time.Duration) string {
	if !w.l.live || !w.ready(0) {
		return ""
	}
	w.drain(0)
	return w.latest
}

// drain takes the session's hypotheses, waiting up to wait for a final
// (0: only those already there).
func (w *recognisedGreeting) drain(wait time.Duration) {
	var deadline <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		deadline = t.C
	}
	for !w.done {
		var h Hypothesis
		var ok bool
		select {
		case h, ok = <-w.l.results:
		default:
			if deadline == nil {
				return
			}
			select {
			case h, ok = <-w.l.results:
			case <-deadline:
				return
			case <-w.l.ctx.Done():
				return
			}
		}
		if !ok {
			w.done = true
			w.failed = w.l.sess.Err() != nil
			return
		}
		if strings.TrimSpace(h.Text) != "" {
			w.latest = h.Text
		}
		if h.Final {
			return
		}
	}
}

func (w *recognisedGreeting) Settle(time.Duration) (string, bool) {
	if w.l.live {
		if !w.ready(greetingOpenWait) {
			return "", false // no session: the greeting cannot be read
		}
		// The provider has heard the audio as it came; give it a moment
		// to finish the words just spoken.
		w.drain(300 * time.Millisecond)
		return w.latest, !w.failed || w.latest != ""
	}
	audio, _ := w.l.c.media.captureFrom(0, nil)
	if len(audio) == w.settledLen && w.settledLen > 0 {
		return w.settled, true
	}
	sess, err := Stream(w.l.rec).Open(w.l.ctx, w.l.opts)
	if err != nil {
		return "", false
	}
	defer sess.Close()
	if b, ok := sess.(*batchSession); ok {
		b.takeUtterance(audio)
	} else if err := sess.Write(audio); err != nil {
		return "", false
	}
	if err := sess.End(); err != nil {
		return "", false
	}
	for h := range sess.Results() {
		if h.Final {
			w.settled, w.settledLen = h.Text, len(audio)
			return h.Text, true
		}
	}
	return "", false
}

// close ends the session, once it has opened: a session still opening
// is closed when it does, without holding up the call.
func (w *recognisedGreeting) close() {
	select {
	case <-w.opened:
		w.l.close()
	default:
		go func() {
			<-w.opened
			w.l.close()
		}()
	}
}

// simGreeting reads the greeting from the callee simulator's text
// channel, which sends a line's whole text as it starts to speak it. To
// be no better informed than a streaming recogniser, it reveals the words
// only as fast as the simulator's voice says them: simCharTime of speech
// per Chinese character and simLetterTime per letter (espeak-ng takes
// 300-430 ms and 60-130 ms), counted in the detector's talk, which leaves
// out the pauses, and simSpeechLag behind it.
type simGreeting struct {
	c    *sipCall
	text []rune
}

const (
	simSpeechLag  = 400 * time.Millisecond
	simCharTime   = 300 * time.Millisecond
	simLetterTime = 80 * time.Millisecond
)

func (w *simGreeting) take() {
	if t := w.c.takeSimulationText(0); t != "" {
		if len(w.text) > 0 {
			w.text = append(w.text, ' ')
		}
		w.text = append(w.text, []rune(t)...)
	}
}

// spoken is the part of the text that talk of speech can have said.
func (w *simGreeting) spoken(talk time.Duration) string {
	w.take()
	var t time.Duration
	for i, r := range w.text {
		switch {
		case unicode.Is(unicode.Han, r):
			t += simCharTime
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			t += simLetterTime
		}
		if t > talk {
			return string(w.text[:i])
		}
	}
	return string(w.text)
}

func (w *simGreeting) Heard(talk time.Duration) string { return w.spoken(talk - simSpeechLag) }

func (w *simGreeting) Settle(talk time.Duration) (string, bool) { return w.spoken(talk), true }

func (w *simGreeting) close() {}

// transcribes reports whether r writes down whatever is said (not only a
// grammar's phrases, not keys only): only such a recogniser can read a
// greeting, or tell a backchannel.
func transcribes(r Recognizer) bool {
	switch r.(type) {
	case DTMFOnly, *DTMFOnly, *PocketsphinxRecognizer:
		return false
	}
	return true
}
