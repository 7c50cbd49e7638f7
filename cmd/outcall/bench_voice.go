package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
	"github.com/spf13/cobra"
)

// The "voice" benchmark group measures voice-to-voice latency: how long
// after a callee stops talking the robot's reply starts. Real SIP calls
// on loopback to an in-process callee-sim (ramped at 100 setups a second)
// run a four-state Mandarin
// dialog through the dialog engine (in process, not through a script
// host's pipe), with answering-machine detection on as campaigns have it.
// The providers are simulated with stated latencies, as the figures
// would be on a real line with a recogniser that endpoints by itself and
// a voice that answers in a set time:
//
//   - the recogniser (telephony.SimulationStreamingRecognizer) gives its
//     final voiceFinalAfter after the callee's last loud packet;
//   - the synthesiser's first audio comes voiceFirstAudio after the
//     request (cached espeak-ng audio, delayed).
//
// The callee simulator times each reply from its line's last loud packet
// to the robot's first loud packet (calleesim.CallRecord.Replies). It
// prints, at one call at a time and at voiceConcurrent calls at once:
//
//   - voice_to_voice_p50_ms_atN, voice_to_voice_p95_ms_atN;
//   - voice_added_p95_ms_atN: the p95 less the simulated providers' share
//     (voiceFinalAfter + voiceFirstAudio): outcall's own;
//   - voice_first_prompt_p50_ms_atN: from the end of the callee's "喂?"
//     to the first prompt, answering-machine detection included.
//
// Then it times the tenant's model's replies, streamed and whole (see
// benchVoiceLLM; BENCH_VOICE_ONLY=llm runs only these). It stops by
// itself in about five minutes on two cores (most of it the 500 calls,
// each a short conversation of four prompts).
func init() {
	benchGroups["voice"] = benchVoice
}

const (
	voiceFinalAfter = 150 * time.Millisecond
	voiceFirstAudio = 120 * time.Millisecond
	voiceConcurrent = 500
	voiceNumber     = "8800"
)

const voiceScript = `export default {
  start: "confirm",
  states: {
    confirm: { say: "您好,请问是王先生吗?", on: { affirm: "order", deny: "bye" }, default: "order" },
    order: { say: "您的订单明天送达,方便收货吗?", default: "time" },
    time: { say: "好的,几点方便?", default: "thanks" },
    thanks: { say: "好的,已为您记录,再见。", end: "done" },
    bye: { say: "打扰了,再见。", end: "declined" },
  },
};`

func voicePersona() calleesim.Persona {
	return calleesim.Persona{Name: "voice", Numbers: []string{voiceNumber}, Kind: calleesim.KindHuman, Voice: "cmn", Greeting: "喂?", HoldMS: 5000,
		Lines: []calleesim.Line{{Say: "是的", PauseMS: 200}, {Say: "方便", PauseMS: 200}, {Say: "下午三点", PauseMS: 200}}}
}

// delayedTTS is a simulated voice: its first audio comes delay after the
// request.
type delayedTTS struct {
	telephony.TTS
	delay time.Duration
}

func (d delayedTTS) Synthesize(ctx context.Context, text, voice string, emotion telephony.Emotion) ([]int16, error) {
	select {
	case <-time.After(d.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return d.TTS.Synthesize(ctx, text, voice, emotion)
}

func benchVoice(cmd *cobra.Command, report func(name string, value float64, unit string)) error {
	ctx, cancel := context.WithTimeout(cmd.Context(), 6*time.Minute)
	defer cancel()
	logf := func(format string, a ...any) { fmt.Fprintf(os.Stderr, "bench voice: "+format+"\n", a...) }
	script, ds := scripting.Compile("voice.js", voiceScript)
	if script == nil {
		return fmt.Errorf("the bench's script: %v", ds)
	}
	// Every prompt and every line of the callee is synthesised before the
	// calls start, so espeak-ng is not in the path.
	cache := telephony.NewCachedTTS(telephony.EspeakTTS{}, 64)
	p, pl := voicePersona(), voiceLLMPersona()
	texts := []string{p.Greeting}
	for _, l := range slices.Concat(p.Lines, pl.Lines) {
		texts = append(texts, l.Say)
	}
	llmScript, _ := scripting.Compile("voice-llm.js", voiceLLMScript)
	for _, st := range slices.Concat(script.Graph().States, llmScript.Graph().States) {
		texts = append(texts, telephony.Sentences(st.Say)...)
	}
	texts = append(texts, telephony.Sentences(voiceLLMReply)...)
	for _, t := range texts {
		if _, err := cache.Synthesize(ctx, t, "cmn", telephony.EmotionNeutral); err != nil {
			return fmt.Errorf("espeak-ng is needed for the voice benchmark: %w", err)
		}
	}
	sim, err := calleesim.Start(ctx, calleesim.Config{Personas: []calleesim.Persona{p, pl}, TTS: cache})
	if err != nil {
		return err
	}
	defer sim.Close()
	d, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: delayedTTS{cache, voiceFirstAudio},
		ASR: telephony.SimulationStreamingRecognizer{FinalAfter: voiceFinalAfter}, RTPTimeout: 10 * time.Second})
	if err != nil {
		return err
	}
	defer d.Close()
	var up, peak atomic.Int64
	handler := telephony.CallHandlerFunc(func(ctx context.Context, call telephony.Call) error {
		n := up.Add(1)
		defer up.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		sess, err := script.NewSession(nil, scripting.SessionOptions{})
		if err != nil {
			return err
		}
		return talkScript(ctx, call, sess, nil)
	})
	var failed atomic.Int64
	run := func(calls int, together bool) (replies, first []time.Duration) {
		before := len(sim.Records())
		var wg sync.WaitGroup
		for i := 0; i < calls && ctx.Err() == nil; i++ {
			wg.Add(1)
			dial := func() {
				defer wg.Done()
				res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: voiceNumber, RingTimeout: 10 * time.Second, Voice: "cmn",
					Language: "zh-CN", DetectMachine: true, ListenTimeout: 6 * time.Second}, handler)
				if err == nil && (res.Outcome != telephony.OutcomeAnswered || res.HandlerErr != nil) {
					err = fmt.Errorf("%s (%s) %v", res.Outcome, res.Reason, res.HandlerErr)
				}
				if err != nil {
					failed.Add(1)
					logf("call failed: %v", err)
				}
			}
			if together {
				go dial()
				time.Sleep(10 * time.Millisecond) // 100 setups a second
			} else {
				dial()
			}
		}
		wg.Wait()
		for _, r := range sim.Records()[before:] {
			if len(r.Replies) > 0 {
				first = append(first, r.Replies[0])
				replies = append(replies, r.Replies[1:]...)
			}
		}
		return replies, first
	}
	pct := func(ds []time.Duration, p int) float64 {
		if len(ds) == 0 {
			return 0
		}
		slices.Sort(ds)
		return float64(ds[min(len(ds)-1, len(ds)*p/100)].Microseconds()) / 1000
	}
	providers := float64((voiceFinalAfter + voiceFirstAudio).Milliseconds())
	counts := []int{1, voiceConcurrent}
	if os.Getenv("BENCH_VOICE_ONLY") == "llm" {
		counts = nil // BENCH_VOICE_ONLY=llm: the model's replies only
	}
	for _, n := range counts {
		var replies, first []time.Duration
		peak.Store(0)
		if n == 1 {
			replies, first = run(8, false)
		} else {
			replies, first = run(n, true)
		}
		if len(replies) == 0 {
			return errors.New("no reply was timed: see the failed calls above")
		}
		report(fmt.Sprintf("voice_to_voice_p50_ms_at%d", n), pct(replies, 50), "ms")
		report(fmt.Sprintf("voice_to_voice_p95_ms_at%d", n), pct(replies, 95), "ms")
		report(fmt.Sprintf("voice_added_p95_ms_at%d", n), pct(replies, 95)-providers, "ms")
		report(fmt.Sprintf("voice_first_prompt_p50_ms_at%d", n), pct(first, 50), "ms")
		report(fmt.Sprintf("voice_concurrent_calls_at%d", n), float64(peak.Load()), "calls")
		logf("%d replies timed over %d calls (at most %d talking at once); simulated providers: final %s after speech, first audio %s after the request",
			len(replies), len(first), peak.Load(), voiceFinalAfter, voiceFirstAudio)
	}
	report("voice_failed_calls", float64(failed.Load()), "calls")
	return benchVoiceLLM(ctx, d, sim, logf, report)
}

// talkScript runs a script's session on a call as the conversation does,
// in short: it says what is left to say of each step, listens and takes
// the callee's turn; a step that asks the model is resolved by resolve
// (nil: none does).
func talkScript(ctx context.Context, call telephony.Call, sess *scripting.Session, resolve func(*scripting.Step) (*scripting.Step, error)) error {
	step, err := sess.Start()
	for err == nil {
		if rest := step.Unspoken(); rest != "" {
			if _, err := call.Say(ctx, rest, telephony.Emotion(step.Emotion)); err != nil {
				return err
			}
		}
		if step.Done || sess.Result() != nil {
			return nil
		}
		u, lerr := call.Listen(ctx)
		if lerr != nil {
			return lerr
		}
		if step, err = sess.Turn(u.Text); err == nil && step.Ask != nil && resolve != nil {
			step, err = resolve(step)
		}
	}
	return err
}
