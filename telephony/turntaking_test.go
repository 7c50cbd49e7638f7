package telephony_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
	"github.com/outcall/outcall/telephony/funasrtest"
)

// A callee who says "嗯" while the robot talks lets it finish; one who
// says "不要" stops it, and so does one who answers the prompt's question
// with a short "好的" before it ends. Real SIP to the callee simulator,
// with its simulated recogniser.
func TestBackchannelsDoNotStopAPromptButAnswersAndObjectionsDo(t *testing.T) {
	t.Parallel()
	needEspeak(t)
	sim, err := calleesim.Start(context.Background(), calleesim.Config{TTS: sharedTTS, Personas: []calleesim.Persona{
		{Name: "nodder", Numbers: []string{"7101"}, Kind: calleesim.KindHuman, Voice: "cmn", Greeting: "喂?", HoldMS: 5000,
			Lines: []calleesim.Line{{Say: "嗯", BargeInMS: 1500}, {Say: "我想问一下账单", PauseMS: 300}}},
		{Name: "objector", Numbers: []string{"7102"}, Kind: calleesim.KindHuman, Voice: "cmn", Greeting: "喂?", HoldMS: 5000,
			Lines: []calleesim.Line{{Say: "不要", BargeInMS: 1500}}},
		{Name: "answerer", Numbers: []string{"7103"}, Kind: calleesim.KindHuman, Voice: "cmn", Greeting: "喂?", HoldMS: 5000,
			Lines: []calleesim.Line{{Say: "好的", BargeInMS: 1500}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	d := newDialer(t, telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}})
	cases := []struct {
		to, prompt string
		bargeIn    bool
		heard      string
	}{
		{"7101", "您好,这里是幸福银行信用卡中心,您本月的账单已经出了,最后还款日是十五号,请您按时还款。", false, "我想问一下账单"},
		{"7102", "您好,这里是幸福银行信用卡中心,我们最近有一个分期优惠活动,可以给您介绍一下。", true, "不要"},
		{"7103", "您好,请问您现在方便聊两分钟吗?", true, "好的"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var said telephony.SayResult
			var heard telephony.Utterance
			res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: c.to, RingTimeout: 5 * time.Second, Voice: "cmn", ListenTimeout: 8 * time.Second},
				telephony.CallHandlerFunc(func(ctx context.Context, call telephony.Call) error {
					if _, err := call.Listen(ctx); err != nil { // the greeting
						return err
					}
					var err error
					if said, err = call.Say(ctx, c.prompt, telephony.EmotionNeutral); err != nil {
						return err
					}
					heard, err = call.Listen(ctx)
					return err
				}))
			if err != nil || res.HandlerErr != nil {
				t.Errorf("%s: %v %v", c.to, err, res.HandlerErr)
				return
			}
			if said.BargeIn != c.bargeIn || heard.Text != c.heard {
				t.Errorf("%s: barge-in %v (played %s, %d backchannels), heard %q; want barge-in %v, heard %q", c.to, said.BargeIn, said.Played, said.Backchannels, heard.Text, c.bargeIn, c.heard)
			}
			if !c.bargeIn {
				if said.Backchannels != 1 {
					t.Errorf("%s: %d backchannels, want 1", c.to, said.Backchannels)
				}
				var lines []string
				for _, l := range res.Transcript {
					if l.Backchannel {
						lines = append(lines, l.Text)
					}
				}
				if strings.Join(lines, ",") != "嗯" {
					t.Errorf("%s: backchannels in the transcript %q, want 嗯", c.to, lines)
				}
			}
			t.Logf("%s: played %s, barge-in %v, backchannels %d, heard %q", c.to, said.Played.Round(10*time.Millisecond), said.BargeIn, said.Backchannels, heard.Text)
		}()
	}
	wg.Wait()
}

func TestWhatIsABackchannel(t *testing.T) {
	for text, want := range map[string]bool{"嗯": true, "嗯嗯。": true, "对对对": true, "Uh-huh.": true, "mm hmm": true, "OK": true,
		"不要": false, "好的,不过我想问一下": false, "no": false, "": false, "stop calling": false} {
		if got := telephony.IsBackchannel(text); got != want {
			t.Errorf("IsBackchannel(%q) = %v, want %v", text, got, want)
		}
	}
}

// A turn's own no-input wait: a callee who says nothing is given up on
// after the turn's timeout, not the call's.
func TestATurnsTimeoutEndsItsWaitForNoInput(t *testing.T) {
	t.Parallel()
	needEspeak(t)
	sim, err := calleesim.Start(context.Background(), calleesim.Config{TTS: sharedTTS, Personas: []calleesim.Persona{
		{Name: "silent", Numbers: []string{"7201"}, Kind: calleesim.KindHuman, Voice: "cmn", Greeting: "喂?", HoldMS: 20000}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	d := newDialer(t, telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	var u telephony.Utterance
	var waited time.Duration
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "7201", RingTimeout: 5 * time.Second, ListenTimeout: 20 * time.Second},
		telephony.CallHandlerFunc(func(ctx context.Context, call telephony.Call) error {
			if _, err := call.Listen(ctx); err != nil { // the greeting
				return err
			}
			start := time.Now()
			var err error
			u, err = call.ListenFor(ctx, telephony.ListenOptions{Timeout: 2 * time.Second})
			waited = time.Since(start)
			return err
		}))
	if err != nil || res.HandlerErr != nil {
		t.Fatal(err, res.HandlerErr)
	}
	if !u.NoInput || waited < 2*time.Second || waited > 10*time.Second {
		t.Fatalf("no input %v after %s: want it after the turn's 2 s, not the call's 20 s", u.NoInput, waited)
	}
}

// Early intent: a callee who says one of the turn's phrases and pauses is
// heard from the streaming recogniser's steady partial, before our
// silence or its final would end the turn; words that are not a phrase
// wait for them.
func TestASteadyPartialThatIsAnExpectedPhraseEndsTheTurnEarly(t *testing.T) {
	t.Parallel()
	needEspeak(t)
	sim, err := calleesim.Start(context.Background(), calleesim.Config{TTS: sharedTTS, Personas: []calleesim.Persona{
		{Name: "yes", Numbers: []string{"7301"}, Kind: calleesim.KindHuman, Voice: "cmn", HoldMS: 8000,
			Lines: []calleesim.Line{{Say: "是的", PauseMS: 200}}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	listen := func(partial string) telephony.Utterance {
		srv := funasrtest.NewServer(funasrtest.Script{Partials: []string{partial}, Final: partial + "。", PartialEvery: 200 * time.Millisecond})
		defer srv.Close()
		asr, _ := telephony.NewFunASRRecognizer(srv.URL, "")
		d := newDialer(t, telephony.DialerConfig{ASR: asr})
		var u telephony.Utterance
		res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "7301", RingTimeout: 5 * time.Second, Voice: "cmn"},
			telephony.CallHandlerFunc(func(ctx context.Context, call telephony.Call) error {
				if _, err := call.Say(ctx, "您好,请问是王先生吗?", telephony.EmotionNeutral); err != nil {
					return err
				}
				var err error
				u, err = call.ListenFor(ctx, telephony.ListenOptions{Expect: []string{"是的", "不是"}, EarlyIntent: true})
				return err
			}))
		if err != nil || res.HandlerErr != nil {
			t.Fatal(err, res.HandlerErr)
		}
		return u
	}
	if u := listen("是的"); u.EndedBy != telephony.EndedByPartial || u.Text != "是的" {
		t.Errorf("an expected phrase: heard %q, ended by %q; want 是的 from the steady partial", u.Text, u.EndedBy)
	}
	if u := listen("是的吧"); u.EndedBy == telephony.EndedByPartial {
		t.Errorf("words that are not a phrase ended the turn early: %+v", u)
	}
}
