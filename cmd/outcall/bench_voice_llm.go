package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/scripting/llm"
	"github.com/outcall/outcall/scripting/llm/llmtest"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

// The voice group's model replies: how long a callee waits for the answer
// the tenant's model phrases to a question the script did not foresee,
// spoken as the model writes it (calls.SpeakReply, a sentence at a time)
// and, for comparison, spoken once the model has written it whole. The
// model is the OpenAI-compatible test double standing for a model with
// stated speed: its first token voiceModelFirst after the request, then
// three characters every voiceModelChunk (about 50 characters a second);
// the recogniser and the voice are simulated as in the rest of the group.
// The figures are outcall's pipeline with those stated latencies, not any
// real model's.
//
//   - voice_llm_reply_streamed_p50_ms, voice_llm_reply_whole_p50_ms: from
//     the callee's last loud packet to the reply's first audio;
//   - voice_llm_reply_saved_p50_ms: the difference.
const (
	voiceModelFirst = 200 * time.Millisecond
	voiceModelChunk = 60 * time.Millisecond
	voiceLLMNumber  = "8801"
	voiceLLMCalls   = 4
	voiceLLMReply   = "我们是某某银行信用卡中心。想跟您确认一下本月的还款安排,请问您现在方便吗?"
)

const voiceLLMScript = `export default {
  start: "confirm",
  llm: { maxChars: 80 },
  fallback: { say: "不好意思,请再说一遍。", retries: 2, end: "no_understanding" },
  states: {
    confirm: {
      say: "您好,请问是王先生吗?",
      on: { affirm: "bye" },
      llm: { reply: "回答客户关于来电方的问题,然后确认客户身份", budget: "3s" },
    },
    bye: { say: "好的,再见。", end: "done" },
  },
};`

func voiceLLMPersona() calleesim.Persona {
	return calleesim.Persona{Name: "voice-llm", Numbers: []string{voiceLLMNumber}, Kind: calleesim.KindHuman, Voice: "cmn", Greeting: "喂?", HoldMS: 5000,
		Lines: []calleesim.Line{{Say: "你们是哪里", PauseMS: 200}, {Say: "是的", PauseMS: 200}}}
}

// benchVoiceLLM times the model's reply turns, streamed and whole, over
// the voice group's dialer and callee simulator.
func benchVoiceLLM(ctx context.Context, d *telephony.SIPDialer, sim *calleesim.Simulator, logf func(string, ...any), report func(string, float64, string)) error {
	script, ds := scripting.Compile("voice-llm.js", voiceLLMScript)
	if script == nil {
		return fmt.Errorf("the bench's model script: %v", ds)
	}
	double := llmtest.New("")
	defer double.Close()
	double.Respond(func(llmtest.Request) llmtest.Response {
		return llmtest.Response{Content: voiceLLMReply, Delay: voiceModelFirst, ChunkDelay: voiceModelChunk}
	})
	model := llm.New(llm.Config{BaseURL: double.BaseURL(), Model: "bench"})
	var (
		mu       sync.Mutex
		failed   int
		callIDs  = map[bool][]string{} // by streamed
		speaking = func(stream bool) telephony.CallHandler {
			return telephony.CallHandlerFunc(func(ctx context.Context, call telephony.Call) error {
				sess, err := script.NewSession(nil, scripting.SessionOptions{AskModel: true})
				if err != nil {
					return err
				}
				return talkScript(ctx, call, sess, func(step *scripting.Step) (*scripting.Step, error) {
					var a scripting.Answer
					if stream && step.Ask.Speak != nil {
						a = calls.SpeakReply(ctx, call, model, step.Ask, nil)
					} else {
						a = model.Answer(ctx, step.Ask)
					}
					step, err := sess.Resolve(a)
					if err == nil && (step.Model == nil || !step.Model.Used || step.Model.Streamed != stream) {
						err = fmt.Errorf("the model's reply was not used as asked (streamed: %v): %+v", stream, step.Model)
					}
					return step, err
				})
			})
		}
	)
	dial := func(stream bool) {
		res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: voiceLLMNumber, RingTimeout: 10 * time.Second, Voice: "cmn",
			Language: "zh-CN", DetectMachine: true, ListenTimeout: 6 * time.Second}, speaking(stream))
		if err == nil && (res.Outcome != telephony.OutcomeAnswered || res.HandlerErr != nil) {
			err = fmt.Errorf("%s (%s) %v", res.Outcome, res.Reason, res.HandlerErr)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed++
			logf("model reply call failed: %v", err)
			return
		}
		callIDs[stream] = append(callIDs[stream], res.CallID)
	}
	// A streamed call and a whole one side by side, voiceLLMCalls times.
	for range voiceLLMCalls {
		var wg sync.WaitGroup
		wg.Go(func() { dial(true) })
		wg.Go(func() { dial(false) })
		wg.Wait()
	}
	records := map[string]calleesim.CallRecord{}
	for _, r := range sim.Records() {
		records[r.CallID] = r
	}
	timed := func(stream bool) []time.Duration {
		var replies []time.Duration
		for _, id := range callIDs[stream] {
			if r := records[id]; len(r.Replies) > 1 {
				replies = append(replies, r.Replies[1]) // the model's reply to "你们是哪里"
			}
		}
		return replies
	}
	median := func(ds []time.Duration) float64 {
		if len(ds) == 0 {
			return 0
		}
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds()) / 1000
	}
	streamed, whole := timed(true), timed(false)
	if len(streamed) == 0 || len(whole) == 0 {
		return fmt.Errorf("no model reply was timed (%d calls failed)", failed)
	}
	report("voice_llm_reply_streamed_p50_ms", median(streamed), "ms")
	report("voice_llm_reply_whole_p50_ms", median(whole), "ms")
	report("voice_llm_reply_saved_p50_ms", median(whole)-median(streamed), "ms")
	report("voice_llm_failed_calls", float64(failed), "calls")
	logf("model replies: %d streamed, %d whole; simulated model: first token %s after the request, 3 characters every %s", len(streamed), len(whole), voiceModelFirst, voiceModelChunk)
	return nil
}
