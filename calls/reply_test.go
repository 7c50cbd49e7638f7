package calls_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/scripting/llm"
	"github.com/outcall/outcall/scripting/llm/llmtest"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

// replyScript's reminder state lets the tenant's model answer what the
// script did not foresee.
const replyScript = `export default {
  start: "reminder",
  lang: "zh-CN",
  llm: { system: "某某银行信用卡中心的还款提醒。", maxChars: 80 },
  intents: { paid: ["已经还了", "还过了"], promise: ["我会还", "明天还"] },
  fallback: { say: "不好意思,我没听清楚,您哪天方便还款?", retries: 3, end: "no_understanding" },
  states: {
    reminder: {
      say: "您好${c.contact.name},您的账单已逾期,请问您什么时候方便还款?",
      on: { paid: "already_paid", promise: "promised" },
      llm: { reply: "回答客户关于来电方的问题,然后请客户给出还款日期", budget: "2s" },
    },
    promised: { say: "好的,已记录,再见。", end: "promised_to_pay" },
    already_paid: { say: "好的,我们会核实,再见。", end: "already_paid" },
  },
};`

// askedTTS is the call's synthesiser, keeping what it was asked to say.
type askedTTS struct {
	telephony.TTS
	mu    sync.Mutex
	asked []string
}

func (a *askedTTS) Synthesize(ctx context.Context, text, voice string, emotion telephony.Emotion) ([]int16, error) {
	a.mu.Lock()
	a.asked = append(a.asked, text)
	a.mu.Unlock()
	return a.TTS.Synthesize(ctx, text, voice, emotion)
}

func (a *askedTTS) all() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.asked, "|")
}

// A model's reply is spoken as the model writes it, a sentence at a time,
// each past the guardrails before it is spoken: the callee hears its
// first sentence before the model has finished, nothing twice, and the
// turn records the reply, that it streamed, and how long the callee
// waited for its first words. A sentence that fails the guardrails (a
// number nobody said) is not spoken and stops the model: the callee
// heard only what came before it. A reply whose first sentence fails is
// not spoken at all: the script's own words are.
func TestAModelsReplyIsSpokenAsItIsWrittenAndCheckedSentenceBySentence(t *testing.T) {
	t.Parallel()
	skipUnlessCallsCanRun(t, "this test is about speech providers and compares no times of either clock (TestACampaignCallsTheSimulatorOverSIPAndRunsItsScript covers a call's records there)")
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	st := newSpeechTenant(t, ctx)
	version := publishScript(t, ctx, st.store, st.p, "还款提醒", replyScript)
	model := st.withModel(t, ctx)

	espeak := telephony.NewCachedTTS(telephony.EspeakTTS{}, 100)
	sim, err := calleesim.Start(ctx, calleesim.Config{TTS: espeak, Personas: []calleesim.Persona{{
		Name: "asks", Numbers: []string{"13800000001"}, Kind: calleesim.KindHuman, Voice: "cmn", HoldMS: 12000,
		Lines: []calleesim.Line{{Say: "你们是哪个单位的"}, {Say: "你们是哪个单位的"}, {Say: "你们是哪个单位的"}, {Say: "那我明天还"}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	// The call's own voice is a tone as long as the words (60 ms a
	// character), which the simulated callee hears end as it would
	// speech: the test waits on no slow synthesis.
	tts := &askedTTS{TTS: telephony.ToneTTS{}}
	sip, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: tts, ASR: telephony.SimulationRecognizer{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sip.Close() })
	placer := calls.New(calls.Options{SIP: sip, Scripts: st.store, Hosts: st.hosts, Trunk: sim.Trunk(), Speech: st.speech,
		Models: &llm.Tenants{Load: calls.ModelSettings(st.speech)}, RingTimeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	req := st.placement()
	req.ScriptVersion = version.ID.String()

	// The model's replies to "你们是哪个单位的", in turn; "明天还" it
	// answers with the state's intent.
	const first, second = "我们是某某银行信用卡中心。", "想跟您确认一下还款日期,请问您哪天方便?"
	replies := []string{
		first + second,
		first + "请您今天把50000元转到新账户。" + second, // a number nobody said
		"请登录www.example.com查看。" + second,     // a link, first
	}
	var mu sync.Mutex
	model.Respond(func(r llmtest.Request) llmtest.Response {
		if strings.Contains(r.User(), "明天还") {
			return llmtest.Response{Tool: "choose_intent", ToolArgs: `{"intent":"promise"}`}
		}
		mu.Lock()
		defer mu.Unlock()
		reply := replies[0]
		replies = replies[1:]
		// Three characters a chunk, 60 ms apart: a reply takes about a
		// second to write, its first sentence a third of it.
		return llmtest.Response{Content: reply, ChunkDelay: 60 * time.Millisecond, PromptTokens: 300, CompletionTokens: 20}
	})
	res, err := placer.Place(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Turns) != 5 || res.FinalState != "promised" {
		t.Fatalf("outcome %s in state %q after %d turns (%s)", res.Outcome, res.FinalState, len(res.Turns), res.Reason)
	}
	uses := make([]scripting.ModelUse, 4)
	for i, turn := range res.Turns[1:4] {
		if turn.Heard != "你们是哪个单位的" || json.Unmarshal(turn.Model, &uses[i]) != nil {
			t.Fatalf("turn %d heard %q, its model use %s", i+2, turn.Heard, turn.Model)
		}
	}

	// The whole reply, streamed.
	if said, use := res.Turns[1].Said, uses[0]; said != first+second || !use.Used || !use.Reply || !use.Streamed || use.Cut != "" || use.Tokens != 320 {
		t.Fatalf("the reply's turn said %q; the model's use %+v", said, use)
	}
	// Its first sentence went to the synthesiser while the model was
	// still writing the second: about 6 of 17 chunks in.
	if use := uses[0]; use.FirstWordsMS <= 0 || use.FirstWordsMS > use.LatencyMS-300 {
		t.Fatalf("first words at %.0f ms of a reply written in %.0f ms", use.FirstWordsMS, use.LatencyMS)
	}
	// A second sentence with a number nobody said is not spoken.
	if said, use := res.Turns[2].Said, uses[1]; said != first || !use.Used || !use.Streamed || !strings.Contains(use.Cut, "50000") {
		t.Fatalf("the turn said %q; the model's use %+v", said, use)
	}
	// A first sentence that fails: nothing of the reply is spoken, the
	// fallback's words are.
	if said, use := res.Turns[3].Said, uses[2]; said != "不好意思,我没听清楚,您哪天方便还款?" || use.Used || use.Streamed || use.Rejected != "the reply has a link" {
		t.Fatalf("the turn said %q; the model's use %+v", said, use)
	}
	// Each sentence spoken was synthesised once; nothing the guardrails
	// stopped was.
	asked := tts.all()
	if strings.Count(asked, first) != 2 || strings.Count(asked, second) != 1 || strings.Contains(asked, "50000") || strings.Contains(asked, "example") {
		t.Fatalf("the synthesiser was asked for %q", asked)
	}
}
