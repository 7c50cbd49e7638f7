package scripting

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const behaviourScript = `export default {
  start: "pitch",
  fallback: { say: "您能再说一遍吗?", retries: 2, end: "no_understanding" },
  states: {
    pitch: { say: "您好,想跟您介绍一下我们的新品。", on: { affirm: "pitch", deny: "bye" } },
    bye: { say: "再见", end: "declined" },
    agent: { say: "正在为您转接人工。", transfer: "queue-1" },
  },
};`

func TestBuiltInBehaviours(t *testing.T) {
	cases := []struct {
		name     string
		opts     SessionOptions
		says     []string
		outcome  string
		via      string
		dnc      bool
		transfer string
	}{
		{"busy ends politely with a callback", SessionOptions{}, []string{"我在开会"}, "busy_callback", "builtin.busy", false, ""},
		{"stop ends with do-not-call", SessionOptions{}, []string{"别再打了"}, "do_not_call", "builtin.stop", true, ""},
		{"stop in English ends with do-not-call", SessionOptions{}, []string{"stop calling me"}, "do_not_call", "builtin.stop", true, ""},
		{"two angry turns in a row transfer to a person", SessionOptions{}, []string{"滚,烦死了", "你们这帮骗子"}, "transferred", "builtin.angry", false, "queue-1"},
		{"asking for a person transfers", SessionOptions{}, []string{"转人工"}, "transferred", "builtin.human", false, "queue-1"},
		{"busy can be turned off", SessionOptions{NoBusyCallback: true}, []string{"我在开会", "听不懂", "什么意思"}, "no_understanding", "fallback", false, ""},
		{"stop can be turned off", SessionOptions{NoStopDNC: true}, []string{"别再打了", "听不懂", "什么意思"}, "no_understanding", "fallback", false, ""},
		{"the angry transfer can be turned off", SessionOptions{NoAngryTransfer: true}, []string{"滚,烦死了", "你们这帮骗子", "不需要"}, "declined", "on.deny", false, ""},
		{"fallback retries and then ends", SessionOptions{}, []string{"嗯哼哈嘿", "量子力学", "今天天气"}, "no_understanding", "fallback", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ds := Compile("b.js", behaviourScript)
			if s == nil {
				t.Fatal(ds)
			}
			sess, _ := s.NewSession(nil, tc.opts)
			sess.Start()
			var last *Step
			for _, say := range tc.says {
				turn, err := sess.Turn(say)
				if err != nil {
					t.Fatalf("turn %q: %v", say, err)
				}
				last = turn
			}
			r := sess.Result()
			if r == nil {
				t.Fatalf("the call did not end; last turn %+v", last)
			}
			if r.Outcome != tc.outcome || last.Via != tc.via || r.DoNotCall != tc.dnc || r.Transfer != tc.transfer {
				t.Errorf("outcome %s via %s dnc %v transfer %q; want %s via %s dnc %v transfer %q", r.Outcome, last.Via, r.DoNotCall, r.Transfer, tc.outcome, tc.via, tc.dnc, tc.transfer)
			}
			if tc.outcome == "busy_callback" && r.CallbackIn != "2h" {
				t.Errorf("busy should schedule a callback, got %q", r.CallbackIn)
			}
		})
	}
}

func TestSensitiveWordsHeardOrSaidFlagTheCall(t *testing.T) {
	src := `export default { start: "a", states: {
  a: { say: "您好", on: { affirm: "b", deny: "b" } },
  b: { say: "请勿向任何人透露密码", end: "x" },
} };`
	s, _ := Compile("s.js", src)
	sess, _ := s.NewSession(nil, SessionOptions{})
	sess.Start()
	turn, _ := sess.Turn("是的,要我把验证码告诉你吗")
	r := sess.Result()
	if len(turn.Review) != 2 || len(r.Review) != 2 {
		t.Fatalf("want two flags, got %+v", turn.Review)
	}
	if r.Review[0] != (ReviewFlag{Word: "验证码", Turn: 1, Where: "heard"}) || r.Review[1] != (ReviewFlag{Word: "密码", Turn: 1, Where: "said"}) {
		t.Errorf("flags %+v", r.Review)
	}
	custom, _ := s.NewSession(nil, SessionOptions{SensitiveWords: []string{}})
	custom.Start()
	if turn, _ := custom.Turn("验证码"); len(turn.Review) != 0 {
		t.Error("an empty word list should turn the check off")
	}
}

func TestTheContextCarriesEverythingTheContractLists(t *testing.T) {
	src := `export default { start: "a", states: {
  a: { say: "hi", on: { later: c => { c.vars.seen = [c.text, c.intent, c.confidence > 0.5, c.slots.time, c.sentiment.label, c.turn, c.segment, c.contact.name]; return "b"; } } },
  b: { say: c => JSON.stringify(c.vars.seen), end: "x" },
} };`
	s, ds := Compile("ctx.js", src)
	if s == nil {
		t.Fatal(ds)
	}
	sess, _ := s.NewSession(Contact{"name": "李女士"}, SessionOptions{Segment: "vip"})
	sess.Start()
	turn, _ := sess.Turn("明天下午三点再打吧")
	want := `["明天下午三点再打吧","later",true,"15:00","neutral",1,"vip","李女士"]`
	if turn.Say != want {
		t.Errorf("context %s, want %s", turn.Say, want)
	}
}

// A time the callee names is a time where the callee is: "明天下午三点"
// said in Shanghai is 15:00 there, whatever the host's clock zone.
func TestANamedCallbackTimeIsTheCalleesLocalTime(t *testing.T) {
	s, ds := Compile("cb.js", `export default {
  start: "a",
  states: { a: { say: "您好", on: { later: "cb" } }, cb: { say: "好的", end: "callback", callbackIn: "2h" } },
};`)
	if s == nil {
		t.Fatal(ds)
	}
	// 20:30 UTC on a Monday is already Tuesday 04:30 in Shanghai.
	utc := time.Date(2026, 11, 23, 20, 30, 0, 0, time.UTC)
	for zone, want := range map[string]string{
		"Asia/Shanghai":       "2026-11-25T15:00:00+08:00",
		"America/Los_Angeles": "2026-11-24T15:00:00-08:00",
		"":                    "2026-11-24T15:00:00Z",
	} {
		sess, err := s.NewSession(nil, SessionOptions{Now: func() time.Time { return utc }, TimeZone: zone})
		if err != nil {
			t.Fatal(err)
		}
		sess.Start()
		if _, err := sess.Turn("明天下午三点再打吧"); err != nil {
			t.Fatal(err)
		}
		if r := sess.Result(); r == nil || r.CallbackAt != want {
			t.Errorf("zone %q: callback at %+v, want %s", zone, r, want)
		}
	}
	if _, err := s.NewSession(nil, SessionOptions{TimeZone: "Mars/Olympus"}); err == nil {
		t.Error("an unknown time zone was accepted")
	}
}

// saveToContact names vars; anything else is refused with its line.
func TestSaveToContactMustNameVars(t *testing.T) {
	for src, want := range map[string]string{
		`export default { start: "a", saveToContact: "promiseDate", states: { a: { say: "x", end: "y" } } };`:    "must be a list",
		`export default { start: "a", saveToContact: ["promise date"], states: { a: { say: "x", end: "y" } } };`: "not a name",
		`export default { start: "a", saveToContact: ["promiseDate"], states: { a: { say: "x", end: "y" } } };`:  "",
	} {
		_, ds := Compile("save.js", src)
		switch {
		case want == "" && HasErrors(ds):
			t.Errorf("%s: %v", src, ds)
		case want != "" && (!HasErrors(ds) || !strings.Contains(ds[0].Message, want) || ds[0].Line != 1):
			t.Errorf("%s: %v, want an error at line 1 saying %q", src, ds, want)
		}
	}
}

// An upset callee is answered in the calm voice, unless the state chose
// its own or the script keeps one voice.
func TestAnUpsetCalleeIsAnsweredInACalmVoice(t *testing.T) {
	src := `export default {
  start: "pitch",
  fallback: { say: "您能再说一遍吗?", retries: 3, end: "no_understanding" },
  states: {
    pitch: { say: "您好,想跟您介绍一下我们的新品。", on: { affirm: "pitch", complaint: "sorry", deny: "bye" } },
    sorry: { say: "非常抱歉给您带来不便。", emotion: "happy", on: { affirm: "bye" } },
    bye: { say: "再见", end: "declined" },
  },
};`
	run := func(src, say string) *Step {
		t.Helper()
		s, ds := Compile("x.js", src)
		if s == nil {
			t.Fatal(ds)
		}
		sess, _ := s.NewSession(nil, SessionOptions{NoAngryTransfer: true})
		sess.Start()
		step, err := sess.Turn(say)
		if err != nil {
			t.Fatal(err)
		}
		return step
	}
	if step := run(src, "你们烦不烦啊天天打电话"); step.Sentiment.Label != "angry" || step.Emotion != "apologetic" {
		t.Fatalf("an angry callee: mood %s, voice %q", step.Sentiment.Label, step.Emotion)
	}
	if step := run(src, "这服务太差劲了"); step.State != "sorry" || step.Emotion != "happy" {
		t.Fatalf("a state's own emotion: state %s, voice %q", step.State, step.Emotion)
	}
	if step := run(src, "好的没问题"); step.Emotion != "" {
		t.Fatalf("a content callee: voice %q", step.Emotion)
	}
	fixed := strings.Replace(src, `start: "pitch",`, `start: "pitch", adaptVoice: false,`, 1)
	if step := run(fixed, "你们烦不烦啊天天打电话"); step.Emotion != "" {
		t.Fatalf("adaptVoice: false: voice %q", step.Emotion)
	}
}

// A state's followUp marks the turn that entered it with the SMS template
// the call sends once it ends, however it ends after that; a template
// given as an object is the same.
func TestAStateWithAFollowUpMarksItsTurn(t *testing.T) {
	s, ds := Compile("f.js", `export default {
  start: "a",
  states: {
    a: { say: "您好", on: { affirm: "link", deny: "bye" } },
    link: { say: "我把还款链接发到您手机上", followUp: "payment_link", on: { affirm: "bye" } },
    bye: { say: "再见", end: "done", followUp: { channel: "sms", template: "thanks" } },
  },
};`)
	if s == nil {
		t.Fatal(ds)
	}
	sess, _ := s.NewSession(nil, SessionOptions{})
	start, _ := sess.Start()
	one, _ := sess.Turn("是的")
	two, _ := sess.Turn("好的")
	if start.FollowUp != "" || one.FollowUp != "payment_link" || two.FollowUp != "thanks" || !two.Done {
		t.Errorf("follow-ups by turn: %q %q %q (done %v), want \"\", payment_link, thanks", start.FollowUp, one.FollowUp, two.FollowUp, two.Done)
	}
}

// A state with bargeIn: false marks its turns, the fallback's re-prompt
// in it too, so its words play to the end; other states may be barged in.
func TestAStateThatMustBeHeardWholeMarksItsTurns(t *testing.T) {
	s, ds := Compile("d.js", `export default {
  start: "disclose",
  states: {
    disclose: { say: "本通话将被录音,您的信息仅用于核实身份。请问您是本人吗?", bargeIn: false, on: { affirm: "ask" } },
    ask: { say: "请问您方便吗?", on: { affirm: "bye" } },
    bye: { say: "再见", end: "done" },
  },
};`)
	if s == nil {
		t.Fatal(ds)
	}
	sess, _ := s.NewSession(nil, SessionOptions{})
	start, _ := sess.Start()
	again, _ := sess.Turn("量子力学")
	next, _ := sess.Turn("是的")
	if !start.NoBargeIn || !again.NoBargeIn || again.Via != "fallback" || next.NoBargeIn || next.State != "ask" {
		t.Errorf("no barge-in by turn: start %v, fallback %v (%s), ask %v (%s)", start.NoBargeIn, again.NoBargeIn, again.Via, next.NoBargeIn, next.State)
	}
	g := s.Graph()
	if i := slices.IndexFunc(g.States, func(st GraphState) bool { return st.Name == "disclose" }); i < 0 || !g.States[i].NoBargeIn {
		t.Error("the graph does not show that disclose plays whole")
	}
	_, ds = Compile("e.js", `export default {
  start: "a",
  states: {
    a: { say: "您好", bargeIn: "no", end: "done" },
  },
};`)
	if !HasErrors(ds) || !strings.Contains(ds[0].Message, "bargeIn must be true or false") || ds[0].Line != 4 {
		t.Errorf("bargeIn \"no\": %+v, want an error on line 4", ds)
	}
}

// A state's listen goes with its turns; a callee who says nothing is
// asked again with the state's words, then the call ends as the fallback
// says; a state with a default takes silence as its free answer.
func TestAStatesListeningAndNoInputReprompts(t *testing.T) {
	s, ds := Compile("l.js", `export default {
  start: "card",
  fallback: { retries: 1, end: "no_understanding" },
  states: {
    card: { say: "请说出您的卡号后四位。", listen: { endSilence: "1200ms", timeout: "10s", early: true }, on: { affirm: "comment" } },
    comment: { say: "还有什么建议吗?", default: "bye" },
    bye: { say: "再见", end: "done" },
  },
};`)
	if s == nil {
		t.Fatal(ds)
	}
	sess, _ := s.NewSession(nil, SessionOptions{})
	start, _ := sess.Start()
	if start.Listen == nil || start.Listen.EndSilence != 1200*time.Millisecond || start.Listen.Timeout != 10*time.Second || !start.Listen.Early {
		t.Fatalf("the card state's listen on its turn: %+v", start.Listen)
	}
	again, _ := sess.Turn("")
	if again.Via != "noinput" || again.Say != "喂,您还在听吗?请说出您的卡号后四位。" || again.Listen == nil || again.Done {
		t.Fatalf("no input: %+v", again)
	}
	next, _ := sess.Turn("对")
	if next.State != "comment" || next.Listen != nil {
		t.Fatalf("after an answer: %+v", next)
	}
	// Silence is the comment state's free answer.
	if last, _ := sess.Turn(""); last.State != "bye" || !last.Done || last.Via != "default" {
		t.Fatalf("silence in a state with a default: %+v", last)
	}

	// Silence past the retries ends the call as the fallback says.
	sess, _ = s.NewSession(nil, SessionOptions{})
	sess.Start()
	sess.Turn("")
	if end, _ := sess.Turn(" "); !end.Done || sess.Result().Outcome != "no_understanding" {
		t.Fatalf("silence twice: %+v, result %+v", end, sess.Result())
	}

	for src, want := range map[string]string{
		`listen: { endSilence: "50ms" }`: "listen.endSilence \"50ms\" must be a duration from 200ms to 3s",
		`listen: { timeout: "a while" }`: "listen.timeout \"a while\" must be a duration from 2s to 30s",
		`listen: { wait: "2s" }`:         "listen has no field \"wait\"",
		`listen: "long"`:                 "listen must be an object",
		`listen: { early: "yes" }`:       "listen.early must be true or false",
	} {
		_, ds := Compile("bad.js", "export default {\n  start: \"a\",\n  states: {\n    a: { say: \"您好\", "+src+", end: \"done\" },\n  },\n};")
		if !HasErrors(ds) || !strings.Contains(ds[0].Message, want) || ds[0].Line != 4 {
			t.Errorf("%s: %+v, want %q on line 4", src, ds, want)
		}
	}
}
