package telephony

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AMDVerdict is the answering-machine detector's call.
type AMDVerdict string

const (
	AMDHuman   AMDVerdict = "human"
	AMDMachine AMDVerdict = "machine"
	// AMDUnknown: nothing conclusive in time; treated as a person so that a
	// human is never hung up on.
	AMDUnknown AMDVerdict = "unknown"
)

// AMDConfig tunes answering-machine detection. People answer with a word
// or two ("喂?", "hello?") and wait, or with a sentence that asks who is
// calling and then wait; mailboxes, carriers' announcements and
// call-screening assistants say what they are ("请在提示音后留言", "您拨打的
// 电话已关机", "leave a message after the tone") and beep.
type AMDConfig struct {
	// MaxGreeting: an utterance longer than this is a machine, unless the
	// call can read the greeting's words, which then decide.
	MaxGreeting time.Duration
	// AfterGreetingSilence: this much quiet after a greeting means a
	// person waiting for us.
	AfterGreetingSilence time.Duration
	// MaxWords: more separate utterances than this is a machine reading
	// (only when the greeting's words cannot be read).
	MaxWords int
	// InitialSilence: no speech at all for this long gives up (unknown).
	InitialSilence time.Duration
	// Total caps the analysis.
	Total time.Duration
}

// DefaultAMDConfig returns the tuned defaults.
func DefaultAMDConfig() AMDConfig {
	return AMDConfig{
		MaxGreeting:          1800 * time.Millisecond,
		AfterGreetingSilence: 800 * time.Millisecond,
		MaxWords:             3,
		InitialSilence:       3500 * time.Millisecond,
		Total:                5 * time.Second,
	}
}

// AMDResult is the verdict with what it was based on.
type AMDResult struct {
	Verdict AMDVerdict
	Reason  string
	// Decided is the time from answer to the verdict.
	Decided time.Duration
	// Greeting is the length of speech heard, Words the utterances.
	Greeting time.Duration
	Words    int
	// Said is what the recogniser heard of the greeting ("" when the call
	// could not read it).
	Said string `json:",omitempty"`
	// Cue is the machine's kind when its words or its beep gave it away:
	// CueMailbox, CueCarrier, CueAssistant or CueBeep.
	Cue string `json:",omitempty"`
}

// ExtendedAnalysis is how much longer the detector listens, past
// AMDConfig.Total, to a callee still talking whose words it can read and
// which have named neither a machine nor a person yet.
const ExtendedAnalysis = 3 * time.Second

// GreetingWords lets the detector read what the greeting says, as the
// call's recogniser hears it.
type GreetingWords interface {
	// Heard returns what has been recognised so far while the callee
	// speaks (a streaming recogniser's partials), given talk, how much
	// speech the detector has heard; "" when nothing yet.
	Heard(talk time.Duration) string
	// Settle returns the words of all speech heard so far (talk of it),
	// asking a recogniser that hears only whole utterances now; ok is
	// false when they cannot be had (the recogniser failed or refuses).
	Settle(talk time.Duration) (text string, ok bool)
}

// DetectMachine listens to the callee from the answer on and decides
// whether a person or a machine picked up. It consumes the session's
// speech events; events before the call was answered (early media) must
// have been drained by the caller. words, when not nil, reads the
// greeting's words: a machine is then known by what it says or by its
// beep, never by length alone, and a person may answer with a whole
// sentence. With words nil, length and the number of utterances decide.
// The beep is heard when the session's capture is on.
func DetectMachine(ctx context.Context, m *MediaSession, cfg AMDConfig, words GreetingWords) AMDResult {
	start := time.Now()
	var said string
	res := func(v AMDVerdict, cue, why string, greeting time.Duration, n int) AMDResult {
		return AMDResult{Verdict: v, Reason: why, Decided: time.Since(start), Greeting: greeting, Words: n, Said: said, Cue: cue}
	}
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	total := time.NewTimer(cfg.Total)
	defer total.Stop()
	n := 0
	var greeting time.Duration
	var lastEnd time.Time
	long := false     // an utterance longer than MaxGreeting was heard
	extended := false // the analysis was extended to read a long greeting
	var beep beepDetector
	var audio []int16
	capOff := 0
	// byWords decides from what the greeting says: a machine's phrase
	// decides at once, and so does a person's question to the caller (who
	// is it, what is it about: machines say what they are first); a
	// person's other words only once they have stopped.
	byWords := func(text string, stopped bool) (AMDVerdict, string, string) {
		said = maskDigits(text)
		if cue, phrase := MachinePhrase(text); cue != "" {
			return AMDMachine, cue, fmt.Sprintf("the greeting says %q", phrase)
		}
		if phrase := PersonQuestion(text); phrase != "" {
			return AMDHuman, "", fmt.Sprintf("a person asks %q", phrase)
		}
		if stopped {
			if phrase := PersonPhrase(text); phrase != "" {
				return AMDHuman, "", fmt.Sprintf("a person's greeting (%q)", phrase)
			}
		}
		return "", "", ""
	}
	for {
		select {
		case <-ctx.Done():
			return res(AMDUnknown, "", "call ended during detection", greeting, n)
		case <-m.Dead():
			return res(AMDUnknown, "", "media ended during detection", greeting, n)
		case <-total.C:
			if n == 0 {
				return res(AMDUnknown, "", "no greeting within analysis time", greeting, n)
			}
			current := m.currentTalk()
			talk := greeting + current
			if words != nil {
				text, ok := settle(words, talk)
				if ok {
					if v, cue, why := byWords(text, true); v != "" {
						return res(v, cue, why, talk, n)
					}
					if current > 0 && !extended {
						// Still talking, and nothing said names a machine
						// or a person yet: read on a little.
						extended = true
						total.Reset(ExtendedAnalysis)
						continue
					}
					// A person may tell their whole story; a machine that
					// names nothing is let through rather than a person
					// hung up on.
					return res(AMDUnknown, "", "a long greeting that names no machine", talk, n)
				}
			}
			return res(AMDMachine, "", "still talking at the end of analysis", talk, n)
		case ev := <-m.Events():
			switch ev.Kind {
			case EventSpeechStart:
				n++
				lastEnd = time.Time{}
				if words == nil && n > cfg.MaxWords {
					return res(AMDMachine, "", fmt.Sprintf("%d separate utterances in the greeting", n), greeting, n)
				}
			case EventSpeechEnd:
				greeting += ev.Talk
				lastEnd = ev.At.Add(-m.cfg.VAD.EndSilence)
				if ev.Talk > cfg.MaxGreeting {
					if words == nil {
						return res(AMDMachine, "", fmt.Sprintf("greeting of %s", ev.Talk.Round(10*time.Millisecond)), greeting, n)
					}
					text, ok := settle(words, greeting)
					if !ok {
						return res(AMDMachine, "", fmt.Sprintf("greeting of %s (its words could not be read)", ev.Talk.Round(10*time.Millisecond)), greeting, n)
					}
					long = true
					if v, cue, why := byWords(text, true); v != "" {
						return res(v, cue, why, greeting, n)
					}
				}
			case EventDTMF:
				return res(AMDHuman, "", "DTMF pressed", greeting, n)
			}
		case now := <-poll.C:
			audio, capOff = m.captureFrom(capOff, audio[:0])
			if hz, ok := beep.feed(audio); ok {
				return res(AMDMachine, CueBeep, fmt.Sprintf("a beep at %d Hz", hz), greeting, n)
			}
			talk := m.currentTalk()
			if words == nil && talk > cfg.MaxGreeting {
				return res(AMDMachine, "", fmt.Sprintf("greeting longer than %s", cfg.MaxGreeting), greeting+talk, n)
			}
			if words != nil && n > 0 {
				if text := words.Heard(greeting + talk); text != "" {
					if v, cue, why := byWords(text, false); v != "" {
						return res(v, cue, why, greeting+talk, n)
					}
				}
			}
			if n > 0 && !lastEnd.IsZero() && now.Sub(lastEnd) >= cfg.AfterGreetingSilence {
				if long {
					// A long greeting that named nothing: its last words
					// may yet, else a person is waiting for us.
					if text, ok := settle(words, greeting); ok {
						if v, cue, why := byWords(text, true); v == AMDMachine {
							return res(v, cue, why, greeting, n)
						}
					}
					return res(AMDHuman, "", fmt.Sprintf("a greeting of %s that names no machine, then silence", greeting.Round(10*time.Millisecond)), greeting, n)
				}
				return res(AMDHuman, "", fmt.Sprintf("short greeting (%s) then silence", greeting.Round(10*time.Millisecond)), greeting, n)
			}
			if n == 0 && now.Sub(start) >= cfg.InitialSilence {
				return res(AMDUnknown, "", fmt.Sprintf("silence for %s after answer", cfg.InitialSilence), greeting, n)
			}
		}
	}
}

// settle asks words for the greeting so far; words that heard nothing in
// speech (a recogniser that only knows a grammar, or keys) cannot be read:
// the greeting is then judged as without a recogniser.
func settle(words GreetingWords, talk time.Duration) (string, bool) {
	text, ok := words.Settle(talk)
	return text, ok && strings.TrimSpace(text) != ""
}
