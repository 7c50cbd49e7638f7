package calleesim

import (
	"context"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/outcall/outcall/telephony"
)

// conversation plays one persona on an answered call.
type conversation struct {
	s      *Simulator
	p      Persona
	dlg    *sipgo.DialogServerSession
	media  *telephony.MediaSession
	callID string
	ctx    context.Context

	robotTalking bool
	robotStarts  int
	// speaking is set while we say a line the robot was not talking at
	// the start of.
	speaking bool
	mark     int
	heard    time.Duration
	// spokeAt is when our last line's speech ended (its last loud
	// packet), until the robot's reply starts.
	spokeAt time.Time
}

// run returns who hung up: "caller" or "callee".
func (c *conversation) run() string {
	ctx, cancel := context.WithCancel(c.dlg.Context())
	defer cancel()
	stop := context.AfterFunc(c.s.ctx, cancel)
	defer stop()
	c.ctx = ctx
	defer func() {
		heard := c.heard
		c.s.update(c.callID, func(r *CallRecord) { r.Heard = heard })
	}()

	if c.p.Greeting != "" && !c.say(c.p.Greeting) {
		return "caller"
	}
	switch c.p.Kind {
	case KindVoicemail:
		c.media.Play(ctx, telephony.Tone(1000, telephony.SampleRate/2, 8000))
		return c.hold()
	case KindScreener, KindAnnouncement:
		return c.hold()
	}
	for _, line := range c.p.Lines {
		if line.BargeInMS > 0 {
			if !c.waitRobotStart(10 * time.Second) {
				return "caller"
			}
			if !c.sleep(time.Duration(line.BargeInMS) * time.Millisecond) {
				return "caller"
			}
		} else if !c.waitRobotDone(15 * time.Second) {
			return "caller"
		}
		if !c.sleep(time.Duration(line.PauseMS) * time.Millisecond) {
			return "caller"
		}
		switch {
		case line.Hangup:
			return "callee"
		case line.DTMF != "":
			if c.media.SendDTMF(line.DTMF) == nil {
				for c.media.DTMFPending() {
					if !c.sleep(20 * time.Millisecond) {
						return "caller"
					}
				}
			}
			c.markSpoke()
		case line.Say != "":
			if !c.say(line.Say) {
				return "caller"
			}
		}
	}
	return c.hold()
}

// hold waits for the caller to hang up, then gives up.
func (c *conversation) hold() string {
	if c.watch(c.p.hold(), nil) {
		return "callee"
	}
	return "caller"
}

func (c *conversation) observe(ev telephony.MediaEvent) {
	switch ev.Kind {
	case telephony.EventSpeechStart:
		c.robotTalking = true
		c.robotStarts++
		if c.speaking {
			c.s.update(c.callID, func(r *CallRecord) { r.TalkedOver++ })
		}
		// The VAD starts speech on its third loud frame: the reply's first
		// loud packet came two frames before.
		if start := ev.At.Add(-2 * telephony.FrameDuration); !c.spokeAt.IsZero() && start.After(c.spokeAt) {
			gap := start.Sub(c.spokeAt)
			c.spokeAt = time.Time{}
			c.s.update(c.callID, func(r *CallRecord) { r.Replies = append(r.Replies, gap) })
		}
	case telephony.EventSpeechEnd:
		c.robotTalking = false
		c.heard += ev.Talk
	case telephony.EventDTMF:
		c.s.update(c.callID, func(r *CallRecord) { r.DTMF += string(ev.Digit) })
	}
}

// markSpoke notes the robot's prompt count when we finish speaking; the
// prompt in progress then still counts as one we answer to.
func (c *conversation) markSpoke() {
	c.mark = c.robotStarts
	if c.robotTalking {
		c.mark--
	}
}

// waitRobotStart waits for a robot prompt begun after our last line (or
// one still going when we finished), so a barge-in can talk over it.
func (c *conversation) waitRobotStart(limit time.Duration) bool {
	// Only a prompt's start sets robotTalking, so this turns true on the
	// first prompt to start.
	return c.watch(limit, func() bool { return c.robotTalking && c.robotStarts > c.mark })
}

// waitRobotDone waits for a robot prompt begun after our last line (or
// still going when we finished) to end.
func (c *conversation) waitRobotDone(limit time.Duration) bool {
	return c.watch(limit, func() bool { return c.robotStarts > c.mark && !c.robotTalking })
}

func (c *conversation) sleep(d time.Duration) bool {
	if d <= 0 {
		return c.ctx.Err() == nil
	}
	return c.watch(d, nil)
}

// watch follows the robot's media events until done (nil: never) holds or
// limit passes, and reports true then; false means the call ended first.
// done is asked before the first wait and after each event.
func (c *conversation) watch(limit time.Duration, done func() bool) bool {
	t := time.NewTimer(limit)
	defer t.Stop()
	for done == nil || !done() {
		select {
		case <-c.ctx.Done():
			return false
		case <-t.C:
			return true
		case ev := <-c.media.Events():
			c.observe(ev)
		}
	}
	return true
}

// say sends the line's text over the simulation channel and its audio
// over RTP, watching the robot meanwhile.
func (c *conversation) say(text string) bool {
	go c.sendSimulationText(text)
	pcm, err := c.s.tts.Synthesize(c.ctx, text, c.p.Voice, telephony.EmotionNeutral)
	if err != nil {
		c.s.log.Warn("callee-sim: speech synthesis failed", "err", err)
		pcm = telephony.Tone(300, telephony.SampleRate, 8000)
	}
	done := make(chan struct{})
	if !c.robotTalking {
		// Where this line's speech will end: the reply is timed from
		// there (the robot may start before the synthesis's trailing
		// quiet has played).
		c.spokeAt = time.Now().Add(time.Duration(len(pcm))*time.Second/telephony.SampleRate - trailingQuiet(pcm))
	}
	c.speaking = !c.robotTalking
	defer func() { c.speaking = false }()
	go func() {
		c.media.Play(c.ctx, pcm)
		close(done)
	}()
	for {
		select {
		case <-done:
			c.markSpoke()
			return c.ctx.Err() == nil
		case ev := <-c.media.Events():
			c.observe(ev)
		}
	}
}

func (c *conversation) sendSimulationText(text string) {
	req := inDialogRequest(c.dlg, sip.INFO)
	req.AppendHeader(sip.NewHeader("Content-Type", telephony.SimulationContentType))
	req.SetBody([]byte(text))
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	res, err := c.dlg.Do(ctx, req)
	if err != nil {
		return
	}
	c.s.update(c.callID, func(r *CallRecord) { r.TextAnswers = append(r.TextAnswers, res.StatusCode) })
}

// trailingQuiet is how long pcm ends in quiet (below the VAD's threshold),
// the pause after the last word that synthesis leaves.
func trailingQuiet(pcm []int16) time.Duration {
	const frame = telephony.SampleRate / 50
	threshold := telephony.DefaultVADConfig().ThresholdDB
	n := 0
	for end := len(pcm); end >= frame; end -= frame {
		if telephony.FrameLevelDB(pcm[end-frame:end]) >= threshold {
			break
		}
		n++
	}
	return time.Duration(n) * telephony.FrameDuration
}
