package calls_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outcall/outcall/calls"
	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
	"github.com/outcall/outcall/telephony/funasrtest"
)

// A tenant with two carriers: the one tried first answers 503, as a
// carrier that is down does, and the call goes out over the second
// without being lost; its reason says which trunk failed and why. A
// callee's own refusal (486 busy) is not a trunk failure: the call is not
// dialled again over the next trunk.
func TestACallFailsOverToTheNextTrunkWhenItsCarrierIsDown(t *testing.T) {
	t.Parallel()
	skipUnlessCallsCanRun(t, "this test is about trunks and compares no times of either clock")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	st := newSpeechTenant(t, ctx)
	runtime := funasrtest.NewServer(funasrtest.Script{Partials: []string{"是"}, Final: "是的。"})
	defer runtime.Close()
	if _, err := st.speech.Set(ctx, st.p, telephony.SpeechInput{ASR: "funasr", ASRURL: runtime.URL}); err != nil {
		t.Fatal(err)
	}
	tts := telephony.NewCachedTTS(telephony.EspeakTTS{}, 100)
	down, err := calleesim.Start(ctx, calleesim.Config{TTS: tts, Unavailable: true})
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	up, err := calleesim.Start(ctx, calleesim.Config{TTS: tts, Personas: []calleesim.Persona{
		{Name: "agrees", Numbers: []string{"+8613800000001"}, Voice: "cmn", Lines: []calleesim.Line{{Say: "是的,没问题", PauseMS: 200}}, HoldMS: 3000},
		{Name: "busy", Numbers: []string{"+8613800000002"}, AnswerProbability: new(float64), Unanswered: map[string]float64{"busy": 1}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	addTrunk := func(name string, sim *calleesim.Simulator, priority int) {
		host, port := sim.Trunk().Host, sim.Trunk().Port
		if _, err := st.trunks.Create(ctx, st.p, telephony.TrunkInput{Name: &name, Host: &host, Port: &port, Priority: &priority,
			CallerIDs: []string{"+862150001234"}}); err != nil {
			t.Fatal(err)
		}
	}
	addTrunk("电信", down, 0)
	addTrunk("联通", up, 1)
	sip, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: tts, ASR: telephony.DTMFOnly{}})
	if err != nil {
		t.Fatal(err)
	}
	defer sip.Close()
	placer := calls.New(calls.Options{SIP: sip, Scripts: st.store, Hosts: st.hosts, Trunks: st.trunks, Speech: st.speech,
		RingTimeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)})

	res, err := placer.Place(ctx, st.placement())
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeAnswered || !strings.Contains(res.Reason, `over trunk "联通" after trunk "电信"`) || !strings.Contains(res.Reason, "503") {
		t.Fatalf("outcome %s: %q; want answered over the second trunk, saying the first answered 503", res.Outcome, res.Reason)
	}
	if n := len(down.Records()); n != 1 {
		t.Fatalf("the carrier that is down got %d INVITEs, want 1", n)
	}

	busy := st.placement()
	busy.Phone = "+8613800000002"
	res, err = placer.Place(ctx, busy)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeBusy {
		t.Fatalf("a busy callee: %s (%q)", res.Outcome, res.Reason)
	}
	tried := 0
	for _, r := range up.Records() {
		if r.Number == "+8613800000002" {
			tried++
		}
	}
	if tried != 1 || len(down.Records()) != 2 {
		t.Fatalf("a busy callee was dialled %d times over the working trunk (want 1), the down one got %d INVITEs in all (want 2)", tried, len(down.Records()))
	}
}

// A trunk at its carrier's cap on calls in progress is passed over: of
// two calls at once on a tenant whose first trunk takes one call, one
// goes over each trunk, and both are answered.
func TestATrunkAtItsCapPassesTheCallToTheNext(t *testing.T) {
	t.Parallel()
	skipUnlessCallsCanRun(t, "this test is about trunks and compares no times of either clock")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	st := newSpeechTenant(t, ctx)
	runtime := funasrtest.NewServer(funasrtest.Script{Partials: []string{"是"}, Final: "是的。"})
	defer runtime.Close()
	if _, err := st.speech.Set(ctx, st.p, telephony.SpeechInput{ASR: "funasr", ASRURL: runtime.URL}); err != nil {
		t.Fatal(err)
	}
	tts := telephony.NewCachedTTS(telephony.EspeakTTS{}, 100)
	persona := calleesim.Persona{Name: "agrees", Voice: "cmn", Lines: []calleesim.Line{{Say: "是的,没问题", PauseMS: 200}}, HoldMS: 3000}
	sims := map[string]*calleesim.Simulator{}
	for i, name := range []string{"一号", "二号"} {
		sim, err := calleesim.Start(ctx, calleesim.Config{TTS: tts, Personas: []calleesim.Persona{persona}})
		if err != nil {
			t.Fatal(err)
		}
		defer sim.Close()
		sims[name] = sim
		host, port, priority, one := sim.Trunk().Host, sim.Trunk().Port, i, 1
		if _, err := st.trunks.Create(ctx, st.p, telephony.TrunkInput{Name: &name, Host: &host, Port: &port, Priority: &priority, MaxCalls: &one}); err != nil {
			t.Fatal(err)
		}
	}
	sip, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: tts, ASR: telephony.DTMFOnly{}})
	if err != nil {
		t.Fatal(err)
	}
	defer sip.Close()
	placer := calls.New(calls.Options{SIP: sip, Scripts: st.store, Hosts: st.hosts, Trunks: st.trunks, Speech: st.speech,
		RingTimeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	results := make([]campaigns.Ending, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = placer.Place(ctx, st.placement())
		}()
	}
	wg.Wait()
	for i, res := range results {
		if errs[i] != nil || res.Outcome != telephony.OutcomeAnswered {
			t.Fatalf("call %d: %v, outcome %s (%q)", i+1, errs[i], res.Outcome, res.Reason)
		}
	}
	for name, sim := range sims {
		if n := len(sim.Records()); n != 1 {
			t.Errorf("trunk %s carried %d calls, want 1: each takes one call at a time", name, n)
		}
	}
	// Both calls gave their places back: a third call goes over the
	// first trunk again.
	res, err := placer.Place(ctx, st.placement())
	if err != nil || res.Outcome != telephony.OutcomeAnswered || len(sims["一号"].Records()) != 2 {
		t.Fatalf("a call after both ended: %v, outcome %s (%q); the first trunk carried %d", err, res.Outcome, res.Reason, len(sims["一号"].Records()))
	}
}
