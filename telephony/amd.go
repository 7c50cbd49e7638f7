package telephony

import (
	"context"
	"fmt"
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

// AMDConfig tunes answering-machine detection. The defaults follow the
// shape of real greetings: people answer with one or two short words
// ("喂?", "hello?") and wait; machines and call-screening assistants speak
// a long sentence at once.
type AMDConfig struct {
	// MaxGreeting: an utterance longer than this is a machine.
	MaxGreeting time.Duration
	// AfterGreetingSilence: this much quiet after a short greeting means a
	// person waiting for us.
	AfterGreetingSilence time.Duration
	// MaxWords: more separate utterances than this is a machine reading.
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
}

// DetectMachine listens to the callee from the answer on and decides
// whether a person or a machine picked up. It consumes the session's
// speech events; events before the call was answered (early media) must
// have been drained by the caller.
func DetectMachine(ctx context.Context, m *MediaSession, cfg AMDConfig) AMDResult {
	start := time.Now()
	res := func(v AMDVerdict, why string, greeting time.Duration, words int) AMDResult {
		return AMDResult{Verdict: v, Reason: why, Decided: time.Since(start), Greeting: greeting, Words: words}
	}
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	total := time.NewTimer(cfg.Total)
	defer total.Stop()
	words := 0
	var greeting time.Duration
	var lastEnd time.Time
	for {
		select {
		case <-ctx.Done():
			return res(AMDUnknown, "call ended during detection", greeting, words)
		case <-m.Dead():
			return res(AMDUnknown, "media ended during detection", greeting, words)
		case <-total.C:
			if words == 0 {
				return res(AMDUnknown, "no greeting within analysis time", greeting, words)
			}
			return res(AMDMachine, "still talking at the end of analysis", greeting, words)
		case ev := <-m.Events():
			switch ev.Kind {
			case EventSpeechStart:
				words++
				lastEnd = time.Time{}
				if words > cfg.MaxWords {
					return res(AMDMachine, fmt.Sprintf("%d separate utterances in the greeting", words), greeting, words)
				}
			case EventSpeechEnd:
				greeting += ev.Talk
				lastEnd = ev.At.Add(-m.cfg.VAD.EndSilence)
				if ev.Talk > cfg.MaxGreeting {
					return res(AMDMachine, fmt.Sprintf("greeting of %s", ev.Talk.Round(10*time.Millisecond)), greeting, words)
				}
			case EventDTMF:
				return res(AMDHuman, "DTMF pressed", greeting, words)
			}
		case now := <-poll.C:
			m.inMu.Lock()
			talk := m.vad.CurrentTalk()
			m.inMu.Unlock()
			if talk > cfg.MaxGreeting {
				return res(AMDMachine, fmt.Sprintf("greeting longer than %s", cfg.MaxGreeting), greeting+talk, words)
			}
			if words > 0 && !lastEnd.IsZero() && now.Sub(lastEnd) >= cfg.AfterGreetingSilence {
				return res(AMDHuman, fmt.Sprintf("short greeting (%s) then silence", greeting.Round(10*time.Millisecond)), greeting, words)
			}
			if words == 0 && now.Sub(start) >= cfg.InitialSilence {
				return res(AMDUnknown, fmt.Sprintf("silence for %s after answer", cfg.InitialSilence), greeting, words)
			}
		}
	}
}
