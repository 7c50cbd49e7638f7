package telephony

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// errEarlyAnnouncement ends the ringing of a call whose early media is a
// carrier's announcement that says what became of it.
type errEarlyAnnouncement struct {
	outcome Outcome
	phrase  string
	said    string
}

func (e *errEarlyAnnouncement) Error() string {
	return fmt.Sprintf("carrier announcement in early media (%s): %q, CANCEL sent", e.outcome, e.phrase)
}

// earlyWatch reads a ringing call's early media, where carriers play
// their announcements before any answer (您拨打的号码是空号, 已停机, 已关机,
// "not in service"), through the call's streaming recogniser.
type earlyWatch struct {
	once   sync.Once
	stop   chan struct{}
	done   chan struct{}
	cancel context.CancelFunc // ends the recogniser's session, or its connecting
}

// watchEarlyMedia starts reading early media once it flows; cancel ends
// the ringing with an *errEarlyAnnouncement when the words say what
// became of the attempt. It does nothing without a recogniser that
// streams what is said (keys, a grammar, a batch service, the simulation
// channel). stop ends it; the capture and events it used are cleared by
// the answer.
func (c *sipCall) watchEarlyMedia(cancel context.CancelCauseFunc) *earlyWatch {
	w := &earlyWatch{stop: make(chan struct{}), done: make(chan struct{})}
	asr := c.recognizer()
	if asr == nil || !transcribes(asr) || isSimulation(asr) || !streams(asr) {
		close(w.done)
		return w
	}
	c.media.StartCapture()
	ectx, cancelSession := context.WithCancel(c.ctx)
	w.cancel = cancelSession
	l := c.newListener(ectx, nil)
	l.opts.Name = c.res.CallID + "-early"
	words := &recognisedGreeting{l: l, opened: make(chan struct{})}
	// The recogniser is reached from here, off the SIP responses' path: a
	// slow connection must not hold up the answer that may follow.
	go func() {
		defer close(w.done)
		defer c.media.TakeCapture()
		err := l.open()
		words.openErr = err
		close(words.opened)
		if err != nil {
			c.d.log.Debug("recogniser unavailable for early media", "call_id", c.res.CallID, "err", err)
			return
		}
		defer words.close()
		poll := time.NewTicker(100 * time.Millisecond)
		defer poll.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-c.ctx.Done():
				return
			case <-poll.C:
			}
			text := words.Heard(0)
			if outcome, phrase, specific := CarrierOutcome(text); specific {
				cancel(&errEarlyAnnouncement{outcome: outcome, phrase: phrase, said: maskDigits(text)})
				return
			}
		}
	}()
	return w
}

// end stops the watch and waits for it.
func (w *earlyWatch) end() {
	if w == nil {
		return
	}
	w.once.Do(func() {
		close(w.stop)
		if w.cancel != nil {
			w.cancel()
		}
	})
	<-w.done
}
