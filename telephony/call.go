package telephony

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/outcall/outcall/phone"
)

// sipCall is an answered call on a SIPDialer.
type sipCall struct {
	d        *SIPDialer
	req      DialRequest
	media    *MediaSession
	sess     *sipgo.DialogClientSession
	res      *CallResult
	answered time.Time
	answer   MediaOffer // the callee's SDP
	record   bool
	// release lets go of what the call holds (Start's resources), once.
	release func()
	endOnce sync.Once
	result  CallResult

	ctx    context.Context
	cancel context.CancelCauseFunc

	// simText carries the simulation channel's text; nil when the call
	// does not take it (see DialerConfig.Simulation).
	simText    chan string
	simRefused atomic.Int64
	notify     chan int

	mu          sync.Mutex
	turns       int // Listens so far, to name each utterance to the recogniser
	transcript  []TranscriptLine
	pending     []MediaEvent // heard while a prompt played
	hangupBy    string
	endReason   string
	transferred string
	// bridgeCallID is the agent leg's Call-ID when a refused REFER was
	// replaced by a bridge.
	bridgeCallID string
	byeOnce      sync.Once
}

// end marks the call over (first caller wins) and wakes everything
// waiting on it.
func (c *sipCall) end(by, reason string) {
	c.mu.Lock()
	if c.hangupBy == "" {
		c.hangupBy, c.endReason = by, reason
	}
	c.mu.Unlock()
	c.cancel(ErrCallEnded)
}

// bye hangs up our side unless the callee already did.
func (c *sipCall) bye() {
	c.byeOnce.Do(func() {
		if c.sess.LoadState() == sip.DialogStateEnded {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.sess.Bye(ctx); err != nil {
			c.d.log.Debug("BYE not confirmed", "call_id", c.res.CallID, "err", err)
		}
	})
}

// watch ends the call when parent (Start's context) ends, when the dialer
// closes, at the call's maximum duration, or when its media dies; what it
// sets up is let go with the rest of the call.
func (c *sipCall) watch(parent context.Context) {
	stopParent := context.AfterFunc(parent, func() { c.end("us", "dial context cancelled") })
	stopDialer := context.AfterFunc(c.d.ctx, func() { c.end("us", "dialer closing") })
	maxTimer := time.AfterFunc(c.req.MaxDuration, func() { c.end("us", "maximum call duration reached") })
	release := c.release
	c.release = func() {
		maxTimer.Stop()
		stopDialer()
		stopParent()
		release()
	}
	go func() {
		select {
		case <-c.media.Dead():
			c.end("us", c.media.DeadReason())
		case <-c.ctx.Done():
		}
	}()
}

// screen runs answering-machine detection when the request asks for it.
// A machine (or a carrier's announcement) ends the call: screen returns
// its outcome and true. A person's call goes on.
func (c *sipCall) screen() (Outcome, bool) {
	if !c.req.DetectMachine {
		return "", false
	}
	// The capture gives the detector the beep, and the recogniser the
	// greeting's words.
	c.media.StartCapture()
	words := c.greetingWords()
	r := DetectMachine(c.ctx, c.media, c.d.cfg.AMD, words)
	if r.Verdict == AMDMachine && r.Cue == CueCarrier && c.ctx.Err() == nil {
		if outcome, why, ok := c.carrierAnnouncement(&r, words); ok {
			if words != nil {
				words.close()
			}
			c.media.TakeCapture()
			c.res.AMD = &r
			c.end("us", why)
			c.bye()
			return outcome, true
		}
		// The carrier's mailbox: a machine like any other.
	}
	if words != nil {
		words.close()
	}
	c.media.TakeCapture()
	c.res.AMD = &r
	if r.Verdict != AMDMachine {
		// A person still telling their whole story when the verdict
		// came is let finish before the first words.
		c.waitCalleeDone(calleeDoneLimit)
	}
	// The greeting was the detector's; the dialog starts after it.
	c.takeSimulationText(0)
	if r.Verdict == AMDMachine && c.ctx.Err() == nil {
		if c.req.VoicemailMessage != "" {
			c.waitGreetingEnd(15 * time.Second)
			c.Say(c.ctx, c.req.VoicemailMessage, EmotionNeutral)
		}
		c.end("us", "answering machine: "+r.Reason)
		c.bye()
		return OutcomeVoicemail, true
	}
	return "", false
}

func (c *sipCall) Context() context.Context { return c.ctx }

func (c *sipCall) End(err error) CallResult {
	c.endOnce.Do(func() { c.result = c.wrapUp(c.conclude(err)) })
	return c.result
}

// conclude ends the call once its conversation came to err, and says
// what it came to.
func (c *sipCall) conclude(err error) (Outcome, string) {
	c.res.HandlerErr = err
	var rerr *RecognitionError
	if errors.As(err, &rerr) && c.ctx.Err() == nil {
		// The call could not hear the callee: it failed, though it was
		// answered (CallResult.Answered says when).
		c.end("us", "speech recognition failed: "+rerr.Error())
		c.bye()
		c.res.HangupBy = c.hangupByValue()
		return OutcomeFailed, c.reason()
	}
	if err != nil && !errors.Is(err, ErrCallEnded) && !errors.Is(err, context.Canceled) {
		c.end("us", "handler error: "+err.Error())
	}
	c.end("us", "conversation finished")
	c.bye()
	c.res.HangupBy = c.hangupByValue()
	c.mu.Lock()
	target := c.transferred
	c.mu.Unlock()
	if target != "" {
		c.res.TransferTarget = target
		c.mu.Lock()
		c.res.BridgeCallID = c.bridgeCallID
		c.mu.Unlock()
		return OutcomeTransferred, c.reason()
	}
	return OutcomeAnswered, c.reason()
}

func (c *sipCall) reason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endReason
}

func (c *sipCall) hangupByValue() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hangupBy
}

// waitGreetingEnd waits for the machine's greeting to finish (its speech
// ends and a beep or silence follows).
func (c *sipCall) waitGreetingEnd(limit time.Duration) {
	t := time.NewTimer(limit)
	defer t.Stop()
	for {
		if !c.media.Speaking() {
			// Half a second of quiet after the greeting: the beep has gone.
			time.Sleep(500 * time.Millisecond)
			if !c.media.Speaking() {
				return
			}
		}
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			return
		case <-c.media.Events():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// calleeDoneLimit bounds the wait for a person to finish their greeting
// after the verdict.
const calleeDoneLimit = 10 * time.Second

// waitCalleeDone waits, up to limit, until the callee has stopped talking
// (their speech has ended, by the end-of-speech silence).
func (c *sipCall) waitCalleeDone(limit time.Duration) {
	if !c.media.Speaking() {
		return
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for c.media.Speaking() {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			return
		case <-c.media.Events(): // the greeting's, as the detector's were
		case <-poll.C:
		}
	}
}

// carrierAnnouncement reads a carrier's announcement to the end when its
// first words did not say what it is about, and returns what it means
// for the attempt (an unknown number is invalid_number, a line in use
// busy, a phone switched off unreachable) with the call's reason. ok is
// false when the whole greeting was the carrier's mailbox (您拨打的用户
// 暂时无法接听,请在提示音后留言): r then says so.
func (c *sipCall) carrierAnnouncement(r *AMDResult, words amdWords) (outcome Outcome, why string, ok bool) {
	outcome, phrase, specific := CarrierOutcome(r.Said)
	if !specific && words != nil {
		c.waitGreetingEnd(8 * time.Second)
		// The announcement is over: everything it said was heard.
		if text, ok := words.Settle(time.Hour); ok && strings.TrimSpace(text) != "" {
			r.Said = maskDigits(text)
			if cue, phrase := MachinePhrase(r.Said); cue != CueCarrier {
				r.Cue, r.Reason = cue, fmt.Sprintf("the greeting says %q", phrase)
				return "", "", false
			}
			outcome, phrase, _ = CarrierOutcome(r.Said)
		}
	}
	if phrase == "" {
		phrase = r.Said
	}
	return outcome, fmt.Sprintf("carrier announcement (%s): %q", outcome, phrase), true
}

func (c *sipCall) ID() string { return c.res.CallID }

func (c *sipCall) Done() <-chan struct{} { return c.ctx.Done() }

func (c *sipCall) since() time.Duration { return time.Since(c.answered) }

func (c *sipCall) addLine(l TranscriptLine) {
	c.mu.Lock()
	c.transcript = append(c.transcript, l)
	c.mu.Unlock()
}

func (c *sipCall) Transcript() []TranscriptLine {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]TranscriptLine(nil), c.transcript...)
}

// joined returns a context done when either ctx or the call is.
func (c *sipCall) joined(ctx context.Context) (context.Context, context.CancelFunc) {
	jctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.ctx, cancel)
	return jctx, func() { stop(); cancel() }
}

func (c *sipCall) Say(ctx context.Context, text string, emotion Emotion) (SayResult, error) {
	return c.say(ctx, sentencesOf(text), text, emotion, !c.req.NoBargeIn)
}

func (c *sipCall) SayWhole(ctx context.Context, text string, emotion Emotion) (SayResult, error) {
	return c.say(ctx, sentencesOf(text), text, emotion, false)
}

func (c *sipCall) SayParts(ctx context.Context, parts <-chan string, emotion Emotion) (SayResult, error) {
	return c.say(ctx, parts, "", emotion, !c.req.NoBargeIn)
}

// sentencesOf is a prompt's sentences, all come.
func sentencesOf(text string) <-chan string {
	parts := Sentences(text)
	ch := make(chan string, len(parts))
	for _, p := range parts {
		ch <- p
	}
	close(ch)
	return ch
}

// madePart is one sentence of a prompt and its audio, being made.
type madePart struct {
	text  string
	audio *AudioStream
}

// promptParts are the sentences of a prompt that the synthesiser has
// taken so far, and whether they are all there is.
type promptParts struct {
	mu    sync.Mutex
	texts []string
	all   bool
}

func (p *promptParts) add(text string) {
	p.mu.Lock()
	p.texts = append(p.texts, text)
	p.mu.Unlock()
}

func (p *promptParts) end() {
	p.mu.Lock()
	p.all = true
	p.mu.Unlock()
}

// lastAsks reports whether part i is the prompt's last and asks a
// question.
func (p *promptParts) lastAsks(i int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.all && i == len(p.texts)-1 && asksQuestion(p.texts[i])
}

// text is the prompt's first n sentences.
func (p *promptParts) text(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return JoinSentences(p.texts[:min(n, len(p.texts))])
}

// say speaks the sentences that come from parts, each synthesised in turn
// and played as its audio arrives: the first words play while the rest is
// made (and, for SayParts, while the rest is still being written). text,
// when set, is the prompt's whole text for the transcript; otherwise the
// sentences taken are.
func (c *sipCall) say(ctx context.Context, parts <-chan string, text string, emotion Emotion, bargeIn bool) (SayResult, error) {
	if c.ctx.Err() != nil {
		return SayResult{}, ErrCallEnded
	}
	tts := c.req.TTS
	if tts == nil {
		tts = c.d.cfg.TTS
	}
	if tts == nil {
		return SayResult{}, errors.New("no TTS provider configured")
	}
	sctx, stopSynth := context.WithCancel(ctx)
	defer stopSynth()
	taken := &promptParts{}
	made := make(chan madePart, 8)
	go func() {
		defer close(made)
		for {
			var part string
			var ok bool
			select {
			case part, ok = <-parts:
			case <-sctx.Done():
			case <-c.ctx.Done():
			}
			if !ok {
				taken.end()
				return
			}
			m := madePart{part, NewAudioStream()}
			taken.add(part)
			select {
			case made <- m:
			case <-sctx.Done():
				return
			}
			StreamTo(sctx, tts, part, c.req.Voice, emotion, m.audio)
			if m.audio.Err() != nil {
				return // the prompt stops at the sentence that could not be made
			}
		}
	}()
	var first madePart
	var ok bool
	select {
	case first, ok = <-made:
	case <-ctx.Done():
		return SayResult{}, ctx.Err()
	case <-c.ctx.Done():
		return SayResult{}, ErrCallEnded
	}
	if !ok {
		return SayResult{}, nil // nothing to say
	}
	select {
	case <-first.audio.Ready():
	case <-ctx.Done():
		return SayResult{}, ctx.Err()
	case <-c.ctx.Done():
		return SayResult{}, ErrCallEnded
	}
	if err := first.audio.Err(); err != nil && len(first.audio.read()) == 0 {
		return SayResult{}, err
	}
	turnAt := c.since()
	jctx, done := c.joined(ctx)
	defer done()

	watchDone := make(chan struct{})
	watcherExit := make(chan struct{})
	var playing atomic.Int32 // the part of the prompt playing
	backchannels := 0
	go func() {
		defer close(watcherExit)
		// With a recogniser, speech during the prompt is judged before it
		// stops it: a backchannel ("嗯", "对", "uh-huh") lets it go on,
		// unless it answers the question the prompt is asking.
		judge := bargeIn && c.recognizer() != nil && transcribes(c.recognizer())
		// While speech is judged, a timer looks again when it may have
		// grown too long for a backchannel; no timer runs otherwise.
		var long *time.Timer
		var tooLong <-chan time.Time
		look := func(after time.Duration) {
			if long == nil {
				long = time.NewTimer(after)
			} else {
				long.Reset(after)
			}
			tooLong = long.C
		}
		defer func() {
			if long != nil {
				long.Stop()
			}
		}()
		judging, from := false, 0 // speech under way, from pending[from]
		for {
			select {
			case <-watchDone:
				return
			case ev := <-c.media.Events():
				c.mu.Lock()
				c.pending = append(c.pending, ev)
				n := len(c.pending)
				c.mu.Unlock()
				if ev.Kind == EventSpeechStart {
					c.media.StartCapture()
				}
				switch {
				case !bargeIn:
				case ev.Kind == EventDTMF || (ev.Kind == EventSpeechStart && !judge):
					c.media.StopPlayback()
				case ev.Kind == EventSpeechStart:
					judging, from = true, n-1
					look(backchannelMax - c.media.currentTalk())
				case ev.Kind == EventSpeechEnd && judging:
					judging, tooLong = false, nil
					if words, ok := c.backchannel(taken.lastAsks(int(playing.Load()))); ok {
						c.mu.Lock()
						c.pending = c.pending[:min(from, len(c.pending))]
						c.mu.Unlock()
						c.media.TakeCapture()
						backchannels++
						c.addLine(TranscriptLine{Speaker: "callee", Text: words, At: c.since(), Backchannel: true})
						continue
					}
					c.media.StopPlayback()
				}
			case <-tooLong:
				tooLong = nil
				if !judging {
					continue
				}
				if talk := c.media.currentTalk(); talk < backchannelMax {
					look(max(backchannelMax-talk, 20*time.Millisecond)) // paused meanwhile
					continue
				}
				// Too long for a backchannel: the callee is taking the turn.
				judging = false
				c.media.StopPlayback()
			}
		}
	}()
	var (
		played      time.Duration
		interrupted bool
		err         error
	)
	cur, began := first, 0
	for i := 0; ; i++ {
		playing.Store(int32(i))
		began = i + 1
		var pr PlayResult
		pr, err = c.media.PlayStream(jctx, cur.audio)
		played += pr.Played
		interrupted = pr.Interrupted
		if err == nil && !interrupted {
			err = cur.audio.Err() // the sentence's audio stopped short
		}
		if err != nil || interrupted {
			break
		}
		var more bool
		select {
		case cur, more = <-made:
		case <-jctx.Done():
			err = jctx.Err()
		}
		if err != nil || !more {
			break
		}
		select {
		case <-cur.audio.Ready():
		case <-jctx.Done():
			err = jctx.Err()
		}
		if err != nil {
			break
		}
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	close(watchDone)
	<-watcherExit
	if text == "" {
		text = taken.text(began)
	}
	c.addLine(TranscriptLine{Speaker: "robot", Text: text, Emotion: string(emotion), At: turnAt, BargeIn: interrupted && err == nil})
	c.sortTranscript()
	if c.ctx.Err() != nil {
		return SayResult{Played: played, Sentences: began}, ErrCallEnded
	}
	if err != nil {
		return SayResult{Played: played, Sentences: began}, err
	}
	return SayResult{Played: played, BargeIn: interrupted, Backchannels: backchannels, Sentences: began}, nil
}

// backchannelMax is the longest a backchannel lasts: speech going on
// longer during a prompt takes the turn.
const backchannelMax = 700 * time.Millisecond

// backchannels are what callees say to show they are listening. Said
// alone during a prompt, they let it go on.
var backchannels = map[string]bool{
	"嗯": true, "嗯嗯": true, "嗯哼": true, "唔": true, "啊": true, "哦": true, "噢": true, "喔": true, "对": true, "对对": true,
	"对对对": true, "好": true, "好好": true, "好的": true, "是": true, "是是": true, "是的": true, "行": true, "了解": true, "明白": true,
	"uh-huh": true, "uh huh": true, "uhhuh": true, "mhm": true, "mm-hmm": true, "mm hmm": true, "mm": true, "hmm": true, "yeah": true,
	"yep": true, "ok": true, "okay": true, "right": true, "sure": true, "i see": true, "got it": true, "yes": true,
}

// IsBackchannel reports whether text is only a backchannel ("嗯", "对对",
// "uh-huh"), said to show one is listening.
func IsBackchannel(text string) bool {
	t := strings.ToLower(strings.TrimSpace(strings.TrimFunc(text, func(r rune) bool {
		return unicode.IsPunct(r) || unicode.IsSpace(r)
	})))
	t = strings.Join(strings.FieldsFunc(t, func(r rune) bool { return unicode.IsSpace(r) || (unicode.IsPunct(r) && r != '-') }), " ")
	return backchannels[t]
}

// asksQuestion reports whether a sentence asks something (？, ?, or a
// Chinese question particle at its end), so that a short "好" or "对"
// while it plays is an answer, not a backchannel.
func asksQuestion(sentence string) bool {
	t := strings.TrimRightFunc(sentence, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("”’」』）)\"'", r)
	})
	if strings.HasSuffix(t, "?") || strings.HasSuffix(t, "？") {
		return true
	}
	t = strings.TrimRight(t, "。.!！…")
	return strings.HasSuffix(t, "吗") || strings.HasSuffix(t, "呢") || strings.HasSuffix(t, "么")
}

// backchannel recognises the short utterance the callee just said during
// a prompt and reports whether it was a backchannel (and its words). An
// answer to the prompt's question (answering), words that are not a
// backchannel, or words that cannot be had (the recogniser failed) take
// the turn. The simulator's text of an utterance that takes the turn is
// put back for Listen.
func (c *sipCall) backchannel(answering bool) (string, bool) {
	if answering {
		return "", false
	}
	audio, _ := c.media.captureFrom(0, nil)
	ctx, cancel := context.WithTimeout(c.ctx, time.Second)
	defer cancel()
	l := c.newListener(ctx, nil)
	defer l.close()
	h, err := l.finish(audio)
	if err != nil {
		return "", false
	}
	if IsBackchannel(h.Text) {
		return strings.TrimSpace(h.Text), true
	}
	if l.simulated() && h.Text != "" {
		select {
		case c.simText <- h.Text:
		default:
		}
	}
	return "", false
}

// recognizer is the call's recogniser: its own, else the dialer's.
func (c *sipCall) recognizer() Recognizer {
	if c.req.ASR != nil {
		return c.req.ASR
	}
	return c.d.cfg.ASR
}

// sortTranscript keeps the transcript in time order (a backchannel is
// heard while the robot's line is still being said).
func (c *sipCall) sortTranscript() {
	c.mu.Lock()
	defer c.mu.Unlock()
	slices.SortStableFunc(c.transcript, func(a, b TranscriptLine) int { return cmp.Compare(a.At, b.At) })
}

// abbreviation reports whether the word before a full stop is one that
// takes a stop without ending the sentence (Mr. Smith).
func abbreviation(before []rune) bool {
	w := string(before)
	if i := strings.LastIndexAny(w, " \t"); i >= 0 {
		w = w[i+1:]
	}
	switch w {
	case "Mr", "Mrs", "Ms", "Dr", "St", "No", "vs", "etc", "e.g", "i.e":
		return true
	}
	return false
}

// minSentence is the fewest characters a sentence of its own has: a
// shorter piece ("好的。") stays with the next.
const minSentence = 6

// Sentences cuts a prompt after each sentence's end (。！？；… and . ! ?
// ; followed by a space or the end), so that its first sentence can play
// while the rest is synthesised. A piece shorter than a few characters
// joins the next one; a prompt of one sentence comes back whole.
func Sentences(text string) []string {
	var out []string
	rs := []rune(text)
	start, last := 0, 0 // where the piece under way and the last piece begin
	for _, cut := range sentenceCuts(rs) {
		out = append(out, strings.TrimSpace(string(rs[start:cut])))
		last, start = start, cut
	}
	if rest := strings.TrimSpace(string(rs[start:])); rest != "" {
		if len(out) > 0 && len([]rune(rest)) < minSentence {
			out[len(out)-1] = strings.TrimSpace(string(rs[last:]))
		} else {
			out = append(out, rest)
		}
	}
	if len(out) == 0 {
		return []string{text}
	}
	return out
}

// sentenceCuts returns where each sentence of rs that Sentences would cut
// ends (just past its last rune, closing quotes included).
func sentenceCuts(rs []rune) []int {
	var cuts []int
	start := 0
	for i := 0; i < len(rs); i++ {
		end := false
		switch rs[i] {
		case '。', '！', '？', '；', '…':
			end = true
		case '.':
			end = (i+1 == len(rs) || rs[i+1] == ' ') && !abbreviation(rs[start:i])
		case '!', '?', ';':
			end = i+1 == len(rs) || rs[i+1] == ' '
		}
		if !end {
			continue
		}
		// Closing quotes and brackets stay with their sentence.
		for i+1 < len(rs) && strings.ContainsRune("”’」』）)\"'", rs[i+1]) {
			i++
		}
		if piece := strings.TrimSpace(string(rs[start : i+1])); len([]rune(piece)) >= minSentence {
			cuts = append(cuts, i+1)
			start = i + 1
		}
	}
	return cuts
}

// SentenceSplitter cuts text that arrives in pieces (a language model's
// streamed reply) into the sentences Sentences would cut it into, each as
// soon as it is known to be complete, so that it can be spoken while the
// rest is still being written.
type SentenceSplitter struct{ rs []rune }

// Add takes the next piece of text and returns the sentences it
// completed. A sentence's end at the very end of what has come is held
// back: a closing quote, or more of the number (3.5), may follow.
func (s *SentenceSplitter) Add(text string) []string {
	s.rs = append(s.rs, []rune(text)...)
	cuts := sentenceCuts(s.rs)
	if n := len(cuts); n > 0 && cuts[n-1] == len(s.rs) {
		cuts = cuts[:n-1]
	}
	var out []string
	start := 0
	for _, cut := range cuts {
		out = append(out, strings.TrimSpace(string(s.rs[start:cut])))
		start = cut
	}
	s.rs = slices.Clone(s.rs[start:])
	return out
}

// Flush returns the sentences of what is left once the text has all come
// (none when only spaces are).
func (s *SentenceSplitter) Flush() []string {
	rest := string(s.rs)
	s.rs = nil
	if strings.TrimSpace(rest) == "" {
		return nil
	}
	return Sentences(rest)
}

// JoinSentences puts sentences back together as one text: a space after
// a sentence that ends in Latin punctuation (English), none after
// Chinese.
func JoinSentences(parts []string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			if r, _ := utf8.DecodeLastRuneInString(parts[i-1]); r < utf8.RuneSelf {
				b.WriteByte(' ')
			}
		}
		b.WriteString(p)
	}
	return b.String()
}

const (
	interDigitTimeout = 1500 * time.Millisecond
	maxUtterance      = 20 * time.Second
)

// Listen waits for the callee's next utterance or keys. A streaming
// recogniser hears the utterance as it is spoken, from the start of the
// turn: its final ends the turn when it comes before our VAD's silence.
// A batch one hears it whole once the silence (or the length limit) ends
// it. A recogniser that fails ends the call: Listen returns a
// *RecognitionError and the call's outcome becomes failed.
func (c *sipCall) Listen(ctx context.Context, expect ...string) (Utterance, error) {
	return c.ListenFor(ctx, ListenOptions{Expect: expect})
}

// ListenFor is Listen with the turn's own end-of-turn silence and no-input
// timeout.
func (c *sipCall) ListenFor(ctx context.Context, opts ListenOptions) (Utterance, error) {
	if c.ctx.Err() != nil {
		return Utterance{}, ErrCallEnded
	}
	expect := opts.Expect
	if opts.EndSilence > 0 {
		c.media.setEndSilence(opts.EndSilence)
		defer c.media.setEndSilence(0)
	}
	jctx, done := c.joined(ctx)
	defer done()
	c.mu.Lock()
	speaking := false
	for _, ev := range c.pending {
		if ev.Kind == EventSpeechStart {
			speaking = true
		}
	}
	c.mu.Unlock()
	if !speaking {
		c.media.StartCapture()
	}
	l := c.newListener(jctx, expect)
	defer l.close()
	if err := l.open(); err != nil {
		c.media.TakeCapture()
		return Utterance{}, c.recognitionFailed(jctx, l.name, err)
	}
	var (
		started bool
		u       Utterance
	)
	wait := c.req.ListenTimeout
	if opts.Timeout > 0 {
		wait = opts.Timeout
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	// Early intent, when the turn asks for it: with a streaming recogniser
	// and phrases to expect, a steady partial that is one of them ends the
	// turn at the callee's pause.
	var steady <-chan time.Time
	var partial string
	var partialAt time.Time
	if opts.EarlyIntent && l.live && len(l.opts.Phrases) > 0 {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		steady = t.C
	}
	for {
		ev, hyp, what, err := c.nextInput(jctx, timer.C, l.results, steady)
		if err != nil {
			c.media.TakeCapture()
			return Utterance{}, err
		}
		switch what {
		case inputTimer:
			switch {
			case u.DTMF != "":
				return c.finishDTMF(u), nil
			case started:
				// Talking past the longest utterance: take what we have.
				return c.finishSpeech(jctx, l, u, EndedByLimit)
			default:
				u.NoInput = true
				c.media.TakeCapture()
				return u, nil
			}
		case inputSteady:
			if started && u.DTMF == "" && partial != "" && time.Since(partialAt) >= partialSteady &&
				c.media.currentPause() >= partialPause && expected(partial, l.opts.Phrases) {
				c.media.TakeCapture()
				u.Text, u.EndedBy = partial, EndedByPartial
				return c.heard(u), nil
			}
		case inputHypothesis:
			if !hyp.Final && strings.TrimSpace(hyp.Text) != partial {
				partial, partialAt = strings.TrimSpace(hyp.Text), time.Now()
			}
			if hyp.Final && strings.TrimSpace(hyp.Text) != "" && u.DTMF == "" {
				// The recogniser's endpoint: the turn is over before our
				// silence says so.
				c.media.TakeCapture()
				u.Text, u.Confidence, u.EndedBy = hyp.Text, hyp.Confidence, EndedByRecognizer
				if !started {
					u.SilenceBefore = hyp.Start
				}
				if hyp.End > hyp.Start {
					u.Talk = hyp.End - hyp.Start
				}
				return c.heard(u), nil
			}
		case inputSessionOver:
			if u.DTMF != "" {
				// The callee is keying: the turn needs no recogniser.
				l.close()
				continue
			}
			// The session failed before the utterance ended: one more
			// try on a new connection, replaying what was said so far.
			if err := l.reopen(l.failure()); err != nil {
				c.media.TakeCapture()
				return Utterance{}, c.recognitionFailed(jctx, l.name, err)
			}
		case inputEvent:
			switch ev.Kind {
			case EventSpeechStart:
				if !started && u.DTMF == "" {
					started = true
					u.SilenceBefore = ev.Silence
					timer.Reset(maxUtterance)
				}
			case EventSpeechEnd:
				if started {
					u.Talk = ev.Talk
					return c.finishSpeech(jctx, l, u, EndedBySilence)
				}
			case EventDTMF:
				if ev.Digit == '#' && u.DTMF != "" {
					return c.finishDTMF(u), nil
				}
				u.DTMF += string(ev.Digit)
				started = false
				timer.Reset(interDigitTimeout)
			}
		}
	}
}

// What nextInput returned.
const (
	inputEvent = iota
	inputTimer
	inputHypothesis
	inputSessionOver
	inputSteady // time to look whether a partial has held
)

// nextInput waits for the next thing Listen acts on: a media event (those
// kept while a prompt played first), the timer, or a hypothesis from the
// streaming session (results is nil when there is none).
func (c *sipCall) nextInput(ctx context.Context, timer <-chan time.Time, results <-chan Hypothesis, steady <-chan time.Time) (MediaEvent, Hypothesis, int, error) {
	c.mu.Lock()
	if len(c.pending) > 0 {
		ev := c.pending[0]
		c.pending = c.pending[1:]
		c.mu.Unlock()
		return ev, Hypothesis{}, inputEvent, nil
	}
	c.mu.Unlock()
	select {
	case ev := <-c.media.Events():
		return ev, Hypothesis{}, inputEvent, nil
	case h, ok := <-results:
		if !ok {
			return MediaEvent{}, Hypothesis{}, inputSessionOver, nil
		}
		return MediaEvent{}, h, inputHypothesis, nil
	case <-timer:
		return MediaEvent{}, Hypothesis{}, inputTimer, nil
	case <-steady:
		return MediaEvent{}, Hypothesis{}, inputSteady, nil
	case <-ctx.Done():
		if c.ctx.Err() != nil {
			return MediaEvent{}, Hypothesis{}, 0, ErrCallEnded
		}
		return MediaEvent{}, Hypothesis{}, 0, ctx.Err()
	}
}

func (c *sipCall) finishDTMF(u Utterance) Utterance {
	c.media.TakeCapture()
	c.addLine(TranscriptLine{Speaker: "callee", DTMF: u.DTMF, At: c.since()})
	return u
}

func (c *sipCall) takeSimulationText(wait time.Duration) string {
	var parts []string
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		select {
		case t := <-c.simText:
			parts = append(parts, t)
			continue
		default:
		}
		if len(parts) > 0 {
			return strings.Join(parts, " ")
		}
		select {
		case t := <-c.simText:
			parts = append(parts, t)
		case <-deadline.C:
			return ""
		}
	}
}

// finishSpeech ends the utterance on our side and takes the recogniser's
// final.
func (c *sipCall) finishSpeech(ctx context.Context, l *listener, u Utterance, endedBy string) (Utterance, error) {
	audio := c.media.TakeCapture()
	h, err := l.finish(audio)
	if err != nil {
		return u, c.recognitionFailed(ctx, l.name, err)
	}
	u.Text, u.Confidence, u.Simulated, u.EndedBy = h.Text, h.Confidence, l.simulated(), endedBy
	return c.heard(u), nil
}

func (c *sipCall) SendDTMF(ctx context.Context, digits string) error {
	if c.ctx.Err() != nil {
		return ErrCallEnded
	}
	if err := c.media.SendDTMF(digits); err != nil {
		return err
	}
	c.addLine(TranscriptLine{Speaker: "robot", DTMF: digits, At: c.since()})
	jctx, done := c.joined(ctx)
	defer done()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for c.media.DTMFPending() {
		select {
		case <-jctx.Done():
			if c.ctx.Err() != nil {
				return ErrCallEnded
			}
			return jctx.Err()
		case <-t.C:
		}
	}
	return nil
}

func (c *sipCall) Hangup(ctx context.Context) error {
	c.end("us", "hung up by the dialog")
	c.bye()
	return nil
}

// Transfer asks the callee's side to transfer the call by REFER. When the
// peer refuses (many trunks do not implement REFER) and target is a
// number, it bridges instead: it calls target through the same trunk and
// relays audio both ways until either side hangs up.
func (c *sipCall) Transfer(ctx context.Context, target string) error {
	err := c.refer(ctx, target)
	if err == nil || !errors.Is(err, ErrTransferRefused) || c.d.cfg.NoBridge || !validNumber(target) || c.ctx.Err() != nil {
		return err
	}
	c.addLine(TranscriptLine{Speaker: "robot", Text: "[REFER refused (" + err.Error() + "); bridging to " + phone.Mask(target) + "]", At: c.since()})
	return c.bridge(ctx, target)
}

// bridge calls target and relays audio between it and this call. It
// returns when the bridged conversation is over, after ending this call;
// ErrTransferRefused (wrapped) when target does not answer.
func (c *sipCall) bridge(ctx context.Context, target string) error {
	jctx, done := c.joined(ctx)
	defer done()
	req := DialRequest{
		Trunk:       c.req.Trunk,
		To:          target,
		RingTimeout: 30 * time.Second,
		MaxDuration: c.req.MaxDuration,
		NoRecording: true, // this call's recording already holds both sides
		Headers:     map[string]string{"X-Outcall-Bridged-Call": c.res.CallID},
	}
	res, err := c.d.Dial(jctx, req, CallHandlerFunc(func(bctx context.Context, b Call) error {
		agent := b.(*sipCall)
		c.media.StopPlayback()
		c.media.RelayTo(agent.media)
		agent.media.RelayTo(c.media)
		defer func() {
			c.media.RelayTo(nil)
			agent.media.RelayTo(nil)
		}()
		c.mu.Lock()
		c.transferred = target
		c.bridgeCallID = agent.res.CallID
		c.mu.Unlock()
		c.addLine(TranscriptLine{Speaker: "robot", Text: "[bridged to " + phone.Mask(target) + "]", At: c.since()})
		select {
		case <-bctx.Done():
		case <-c.ctx.Done():
		}
		return nil
	}))
	if err != nil {
		return fmt.Errorf("%w: bridge to %s: %v", ErrTransferRefused, phone.Mask(target), err)
	}
	c.mu.Lock()
	bridged := c.bridgeCallID != ""
	c.mu.Unlock()
	if !bridged {
		return fmt.Errorf("%w: bridge to %s: %s (%s)", ErrTransferRefused, phone.Mask(target), res.Outcome, res.Reason)
	}
	by := "us"
	if res.HangupBy == "callee" {
		by = "agent"
	}
	c.end("us", "bridged call to "+phone.Mask(target)+" ended by "+by)
	c.bye()
	return nil
}

// Join connects the callee to leg until either ends (see Call.Join): the
// leg hears what the call's media takes in (tapped on the media clock),
// and what the leg says is fed to the call's outbound audio as a bridged
// call's would be, so the recording's outbound channel carries it.
func (c *sipCall) Join(ctx context.Context, leg AudioLeg, label string) error {
	if c.ctx.Err() != nil {
		return ErrCallEnded
	}
	if leg == nil {
		return errors.New("join: no audio leg")
	}
	select {
	case <-leg.Done():
		return ErrLegEnded
	default:
	}
	jctx, done := c.joined(ctx)
	defer done()
	c.media.StopPlayback()
	c.media.tapTo(leg.Hear)
	leg.SetSpeaker(c.media.feedAudio)
	defer func() {
		c.media.tapTo(nil)
		leg.SetSpeaker(nil)
	}()
	c.mu.Lock()
	c.transferred = label
	c.mu.Unlock()
	c.addLine(TranscriptLine{Speaker: "robot", Text: "[connected to " + label + "]", At: c.since()})
	select {
	case <-leg.Done():
		c.end("us", "agent "+label+" hung up")
		c.bye()
		return nil
	case <-jctx.Done():
	}
	if c.ctx.Err() != nil {
		c.mu.Lock()
		if c.hangupBy == "callee" {
			c.endReason = "joined call to " + label + " ended by the callee"
		}
		c.mu.Unlock()
		return ErrCallEnded
	}
	return jctx.Err()
}

func (c *sipCall) refer(ctx context.Context, target string) error {
	if c.ctx.Err() != nil {
		return ErrCallEnded
	}
	referTo := target
	if !strings.HasPrefix(target, "sip:") && !strings.HasPrefix(target, "sips:") {
		referTo = "sip:" + target + "@" + c.req.Trunk.Host
	}
	recipient := c.sess.InviteRequest.Recipient
	if ct := c.sess.InviteResponse.Contact(); ct != nil {
		recipient = ct.Address
	}
	refer := sip.NewRequest(sip.REFER, *recipient.Clone())
	refer.AppendHeader(sip.NewHeader("Refer-To", "<"+referTo+">"))
	refer.AppendHeader(sip.NewHeader("Referred-By", "<"+c.d.contact.Address.String()+">"))
	jctx, done := c.joined(ctx)
	defer done()
	rctx, cancel := context.WithTimeout(jctx, 10*time.Second)
	defer cancel()
	res, err := c.sess.Do(rctx, refer)
	if err != nil {
		return fmt.Errorf("%w: REFER got no answer: %v", ErrTransferRefused, err)
	}
	if res.StatusCode != 202 && res.StatusCode != 200 {
		return fmt.Errorf("%w: REFER answered %d %s", ErrTransferRefused, res.StatusCode, res.Reason)
	}
	wait := time.NewTimer(30 * time.Second)
	defer wait.Stop()
	for {
		select {
		case code := <-c.notify:
			if code < 200 {
				continue
			}
			if code >= 300 {
				return fmt.Errorf("%w: transfer target answered %d", ErrTransferRefused, code)
			}
			c.mu.Lock()
			c.transferred = target
			c.mu.Unlock()
			c.addLine(TranscriptLine{Speaker: "robot", Text: "[transferred to " + phone.Mask(target) + "]", At: c.since()})
			c.end("us", "transferred to "+phone.Mask(target))
			c.bye()
			return nil
		case <-wait.C:
			return fmt.Errorf("%w: no NOTIFY with the transfer's result within 30s", ErrTransferRefused)
		case <-jctx.Done():
			if c.ctx.Err() != nil {
				// The peer may BYE right after a successful transfer.
				select {
				case code := <-c.notify:
					if code >= 200 && code < 300 {
						c.mu.Lock()
						c.transferred = target
						c.mu.Unlock()
						return nil
					}
				default:
				}
				return ErrCallEnded
			}
			return jctx.Err()
		}
	}
}
