package calls

import (
	"context"
	"sync"
	"time"

	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/telephony"
)

// SpeakReply asks a streaming model for a turn's reply and speaks it as it
// is written: each sentence, once complete and past the guardrails
// (scripting.GuardReply, the same checks the dialog engine makes of a
// whole reply), goes to the synthesiser while the model writes the next,
// so the callee waits for the model's first sentence instead of its whole
// reply. A sentence that fails the guardrails stops the model and nothing
// after it is spoken; the callee speaking stops it too.
//
// Nothing is spoken when the model chooses an intent, fails, or its first
// sentence fails the guardrails: the answer then goes to the dialog engine
// as Answer would have returned it, and the turn goes on as without
// streaming (the script's fixed words). Once something has been spoken,
// the answer is that (Answer.Spoken), with why the rest was cut.
func SpeakReply(ctx context.Context, call telephony.Call, m scripting.StreamingModel, ask *scripting.Ask, sensitive []string) scripting.Answer {
	start := time.Now()
	var (
		split    telephony.SentenceSplitter
		sent     []string // the sentences handed to the call
		rejected string   // a sentence that failed the guardrails
		cut      string
		first    time.Duration
		parts    chan string
		said     = make(chan telephony.SayResult, 1)
		mu       sync.Mutex
		over     bool // the call stopped taking sentences
	)
	stopped := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return over
	}
	hand := func(sentences []string) bool {
		for _, s := range sentences {
			if stopped() {
				cut = "the callee took the turn"
				return false
			}
			if why := scripting.GuardReply(s, ask, sensitive); why != "" {
				if len(sent) == 0 {
					rejected = s
				}
				cut = why
				return false
			}
			if parts == nil {
				first = time.Since(start)
				// The reply is at most a few hundred characters: its
				// sentences all fit, and the model never waits on the call.
				parts = make(chan string, scripting.MaxModelChars)
				go func() {
					r, _ := call.SayParts(ctx, parts, telephony.Emotion(ask.Speak.Emotion))
					mu.Lock()
					over = true
					mu.Unlock()
					said <- r
				}()
			}
			parts <- s
			sent = append(sent, s)
		}
		return true
	}
	a := m.AnswerStream(ctx, ask, func(text string) bool { return hand(split.Add(text)) })
	if a.Failure == "" && a.Intent == "" && cut == "" {
		hand(split.Flush())
	}
	if parts == nil {
		if rejected != "" {
			// The engine rejects it again, and says why in the turn.
			a.Reply, a.Failure = rejected, ""
		}
		return a
	}
	close(parts)
	r := <-said
	if r.Sentences < len(sent) {
		sent = sent[:r.Sentences]
		if cut == "" {
			cut = "the callee took the turn"
		}
	}
	if cut == "" && a.Failure != "" {
		cut = a.Failure // the model failed after its first words (a timeout, the length cap)
	}
	if len(sent) == 0 {
		// The callee spoke before a word of it played: as if the model
		// had not answered.
		return scripting.Answer{Failure: "the callee spoke before the reply played", Latency: a.Latency, Tokens: a.Tokens, Model: a.Model}
	}
	return scripting.Answer{Reply: telephony.JoinSentences(sent), Spoken: true, FirstWords: first, Cut: cut, Intent: a.Intent,
		Latency: a.Latency, Tokens: a.Tokens, Model: a.Model}
}
