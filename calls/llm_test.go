package calls_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/scripting"
	"github.com/outcall/outcall/scripting/llm"
	"github.com/outcall/outcall/scripting/llm/llmtest"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

// reminderScript's reminder state asks the tenant's model when the
// built-in understanding is unsure of the answer.
const reminderScript = `export default {
  start: "reminder",
  lang: "zh-CN",
  llm: { system: "某某银行信用卡中心的还款提醒。" },
  intents: { paid: ["已经还了", "还过了"], promise: ["我会还", "明天还"] },
  fallback: { say: "不好意思,我没听清楚,您哪天方便还款?", retries: 1, end: "no_understanding" },
  states: {
    reminder: {
      say: "您好${c.contact.name},您的账单已逾期,请问您什么时候方便还款?",
      on: { paid: "already_paid", promise: "promised" },
      llm: { classify: true, budget: "1s" },
    },
    promised: { say: "好的,已记录,再见。", end: "promised_to_pay" },
    already_paid: { say: "好的,我们会核实,再见。", end: "already_paid" },
  },
};`

// A call over SIP whose callee answers in words the built-in
// understanding is unsure of: the tenant's model (an OpenAI-compatible
// API, here its test double) picks the state's intent and the dialog goes
// there; the turn records why and how the model was used, and the tokens
// are counted for the usage ledger. When the model is too slow, the call
// goes on without it, on the script's fixed words.
func TestATenantsModelDecidesWhatTheBuiltInNLUIsUnsureOf(t *testing.T) {
	t.Parallel()
	skipUnlessCallsCanRun(t, "this test is about speech providers and compares no times of either clock (TestACampaignCallsTheSimulatorOverSIPAndRunsItsScript covers a call's records there)")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	st := newSpeechTenant(t, ctx)
	version := publishScript(t, ctx, st.store, st.p, "还款提醒", reminderScript)
	model := st.withModel(t, ctx)
	model.Respond(func(r llmtest.Request) llmtest.Response {
		return llmtest.Response{Content: `{"intent":"promise"}`, PromptTokens: 180, CompletionTokens: 6}
	})
	if got, err := st.speech.Get(ctx, st.p); err != nil || got.LLM != "openai" || got.LLMModel != "qwen-plus" || !got.LLMHasKey {
		t.Fatalf("the settings read back as %+v (%v)", got, err)
	}

	sim, sip := simulatedCallee(t, ctx, calleesim.Persona{Name: "roundabout", Voice: "cmn", Lines: []calleesim.Line{{Say: "那个事情我上礼拜就弄好了"}}, HoldMS: 12000}, telephony.SimulationRecognizer{})
	dialled := &requestsTo{Dialer: sip}
	placer := calls.New(calls.Options{SIP: dialled, Scripts: st.store, Hosts: st.hosts, Trunk: sim.Trunk(), Speech: st.speech,
		Models: &llm.Tenants{Load: calls.ModelSettings(st.speech)}, RingTimeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	req := st.placement()
	req.ScriptVersion = version.ID.String()

	res, err := placer.Place(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeAnswered || res.FinalState != "promised" || len(res.Turns) < 2 {
		t.Fatalf("outcome %s in state %q after %d turns (%s)", res.Outcome, res.FinalState, len(res.Turns), res.Reason)
	}
	// The callee heard first that an AI was calling (the default
	// disclosure), then the greeting: both are the first turn's words.
	if said := res.Turns[0].Said; !strings.HasPrefix(said, "您好,本次通话由人工智能语音助手为您服务。 您好王先生") {
		t.Fatalf("the first turn said %q", said)
	}
	// The recogniser is told what the script expects callees to say: its
	// intents' examples.
	if got := dialled.all(); len(got) != 1 || !slices.Contains(got[0].Phrases, "已经还了") || !slices.Contains(got[0].Phrases, "明天还") {
		t.Fatalf("the call's recogniser phrases: %+v", got)
	}
	var use scripting.ModelUse
	if err := json.Unmarshal(res.Turns[1].Model, &use); err != nil || !use.Used || use.Intent != "promise" || use.Kind != "classify" || use.Model != "qwen-plus" {
		t.Fatalf("the turn's model use: %s (%v)", res.Turns[1].Model, err)
	}
	if res.ModelTokens != 186 {
		t.Fatalf("model tokens = %d, want 186", res.ModelTokens)
	}
	reqs := model.Requests()
	if len(reqs) != 1 || reqs[0].Auth != "Bearer sk-model" || !strings.Contains(reqs[0].User(), "那个事情我上礼拜就弄好了") ||
		strings.Join(reqs[0].Enum, ",") != "paid,promise,none" {
		t.Fatalf("the model was asked %+v", reqs)
	}

	// A model slower than the state's budget: the call does not wait for
	// it, and goes on as if there were none, on the built-in
	// understanding's own guess (paid, below the model's threshold).
	model.Respond(func(llmtest.Request) llmtest.Response { return llmtest.Response{Delay: 5 * time.Second} })
	res, err = placer.Place(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Turns) < 2 {
		t.Fatalf("%d turns (%s)", len(res.Turns), res.Reason)
	}
	if err := json.Unmarshal(res.Turns[1].Model, &use); err != nil || use.Used || use.Failure != "timeout" || use.LatencyMS > 3000 {
		t.Fatalf("with a slow model the turn's model use: %s (%v)", res.Turns[1].Model, err)
	}
	if res.FinalState != "already_paid" || res.Turns[1].Intent != "paid" || res.ModelTokens != 0 {
		t.Fatalf("with a slow model: final state %q, turn 1 %+v, %d tokens", res.FinalState, res.Turns[1], res.ModelTokens)
	}
}

// withModel gives the tenant a language model: the OpenAI-compatible test
// double it returns, as model qwen-plus with key sk-model.
func (st speechTenant) withModel(t *testing.T, ctx context.Context) *llmtest.Server {
	t.Helper()
	model := llmtest.New("sk-model")
	t.Cleanup(model.Close)
	key := "sk-model"
	if _, err := st.speech.Set(ctx, st.p, telephony.SpeechInput{LLM: telephony.ModelOpenAI, LLMURL: model.BaseURL(), LLMModel: "qwen-plus", LLMKey: &key}); err != nil {
		t.Fatal(err)
	}
	return model
}
