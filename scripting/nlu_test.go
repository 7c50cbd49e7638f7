package scripting

import (
	"slices"
	"testing"
	"time"
)

func TestBuiltinIntentsAreUnderstoodInChineseAndEnglish(t *testing.T) {
	cases := []struct {
		lang, text, intent string
	}{
		{"zh", "是的", "affirm"},
		{"zh", "好的没问题", "affirm"},
		{"zh", "可以,发货吧", "affirm"},
		{"en", "yes, that's right", "affirm"},
		{"en", "sure", "affirm"},
		{"zh", "不是", "deny"},
		{"zh", "不需要", "deny"},
		{"zh", "不用了谢谢", "deny"},
		{"en", "no thanks", "deny"},
		{"en", "not interested", "deny"},
		{"zh", "晚点再说吧", "later"},
		{"zh", "明天吧", "later"},
		{"zh", "明天下午三点再打给我", "later"},
		{"en", "call me later", "later"},
		{"en", "tomorrow at 3pm", "later"},
		{"zh", "我正在开会", "busy"},
		{"zh", "现在不方便接听", "busy"},
		{"zh", "在开车呢", "busy"},
		{"en", "I'm driving", "busy"},
		{"en", "sorry, I'm in a meeting", "busy"},
		{"zh", "转人工", "human"},
		{"zh", "我要人工客服", "human"},
		{"en", "let me talk to a person", "human"},
		{"en", "can I speak to a real person", "human"},
		{"zh", "别再打了", "stop"},
		{"zh", "不要再打电话了", "stop"},
		{"en", "stop calling me", "stop"},
		{"en", "please don't call me again", "stop"},
		{"zh", "你打错了", "wrong_number"},
		{"zh", "没这个人", "wrong_number"},
		{"en", "wrong number", "wrong_number"},
		{"en", "you've got the wrong person", "wrong_number"},
		{"zh", "我要投诉你们", "complaint"},
		{"zh", "你们服务太差了", "complaint"},
		{"en", "I want to complain", "complaint"},
		{"en", "terrible service, I want a refund", "complaint"},
	}
	for _, tc := range cases {
		t.Run(tc.lang+" "+tc.text+" is "+tc.intent, func(t *testing.T) {
			u := Classify(tc.lang, tc.text, nil)
			if u.Intent != tc.intent {
				t.Errorf("%q → %s (%.2f, runner-up %s %.2f), want %s", tc.text, u.Intent, u.Confidence, u.RunnerUp, u.RunnerUpConfidence, tc.intent)
			}
			if u.Confidence < NoMatchThreshold || u.Confidence > 1 {
				t.Errorf("confidence %.3f out of range", u.Confidence)
			}
		})
	}
}

func TestNegationIsNeverAffirm(t *testing.T) {
	for _, text := range []string{"不是", "不需要", "不是的", "不要", "不行", "不可以", "没兴趣", "not interested", "no", "I don't want it", "that's not right", "好的,不过我不需要"} {
		t.Run(text+" is not affirm", func(t *testing.T) {
			u := Classify("zh", text, nil)
			if u.Intent == "affirm" {
				t.Errorf("%q was understood as affirm", text)
			}
		})
	}
	for _, text := range []string{"没问题", "没错", "不错,可以"} {
		t.Run(text+" stays affirm", func(t *testing.T) {
			if u := Classify("zh", text, nil); u.Intent != "affirm" {
				t.Errorf("%q → %s, want affirm", text, u.Intent)
			}
		})
	}
}

func TestGibberishIsNoMatchWithARunnerUp(t *testing.T) {
	for _, text := range []string{"", "嗯哼哈嘿", "the weather on mars", "量子力学"} {
		u := Classify("zh", text, nil)
		if u.Intent != "no_match" {
			t.Errorf("%q → %s (%.2f), want no_match", text, u.Intent, u.Confidence)
		}
	}
}

func TestTenantIntentsAreLearnedFromExamples(t *testing.T) {
	extra := map[string][]string{"price": {"多少钱", "价格", "how much"}, "address": {"收货地址", "送到哪里"}}
	cases := []struct{ text, intent string }{
		{"这个多少钱啊", "price"},
		{"价格是多少", "price"},
		{"how much is it", "price"},
		{"你们送到哪里", "address"},
		{"是的", "affirm"},
	}
	for _, tc := range cases {
		if u := Classify("zh", tc.text, extra); u.Intent != tc.intent {
			t.Errorf("%q → %s, want %s", tc.text, u.Intent, tc.intent)
		}
	}
}

// Beside a script's own intents a built-in intent must be as sure as the
// model's AcceptTenant; a request to stop calling never needs more than
// Accept, however high the other is set.
func TestBesideATenantsIntentsABuiltinIntentNeedsAcceptTenantExceptStop(t *testing.T) {
	extra := map[string][]string{
		"leave_it":       {"放门口就行", "放快递柜", "放驿站吧", "放门卫那", "放丰巢"},
		"change_address": {"改个地址", "送到公司去", "地址写错了", "换个地址送", "送到我单位"},
		"reschedule":     {"改天送", "换个时间送", "明天再送吧", "周末送", "晚上再送过来"},
	}
	base := *defaultIntentModel()
	base.AcceptTenant = base.Accept
	strict := base
	strict.AcceptTenant = 0.95
	const later = "要得嘛,那你晚点六点过后再过来,那时候我到屋了"
	const stop = "把我从你们的名单里去掉"
	if got := newClassifier(&base, extra).Understand("zh", later, nluEvalNow).Intent; got != "later" {
		t.Fatalf("%q at the model's own acceptance → %s, want later (the case needs a built-in intent short of 0.95)", later, got)
	}
	if got := newClassifier(&strict, extra).Understand("zh", later, nluEvalNow).Intent; got != "reschedule" {
		t.Errorf("%q with AcceptTenant 0.95 → %s, want the script's reschedule", later, got)
	}
	if got := newClassifier(&strict, nil).Understand("zh", later, nluEvalNow).Intent; got != "later" {
		t.Errorf("%q without intents of the script's own → %s, want later: AcceptTenant is for states with them", later, got)
	}
	h := hear(stop)
	p := base.predict(h, ParseSlots(stop, nluEvalNow))
	if i := slices.Index(base.Classes, "stop"); p[i] >= strict.AcceptTenant || p[i] < base.Accept {
		t.Fatalf("%q: the model gives stop %.2f; the case needs one between Accept and 0.95", stop, p[i])
	}
	if got := newClassifier(&strict, extra).Understand("zh", stop, nluEvalNow).Intent; got != "stop" {
		t.Errorf("%q with AcceptTenant 0.95 → %s, want stop", stop, got)
	}
}

func TestTheArbiterHearsAScriptsIntentSaidAfterANo(t *testing.T) {
	telecom := map[string][]string{
		"upgrade_plan":   {"i want a bigger plan", "can i get more data", "upgrade me", "what plans do you have", "i need unlimited"},
		"bill_question":  {"why is my bill so high", "what's this charge", "i don't understand my bill", "my bill is wrong", "explain the charges"},
		"cancel_service": {"cancel my service", "i want to cancel", "i'm switching carriers", "end my contract", "close my account"},
	}
	fixed := *defaultIntentModel()
	if fixed.Arbiter == nil {
		t.Fatal("the shipped model has no arbiter: retrain with go test ./scripting/ -run TestTrainIntentModel -nlu.train")
	}
	fixed.Arbiter = nil
	for _, text := range []string{
		"nah, i'm done with you guys, close the account",
		"no, we're moving to another carrier, shut it off",
	} {
		if got := newClassifier(&fixed, telecom).Understand("en", text, nluEvalNow).Intent; got != "deny" {
			t.Fatalf("%q with fixed thresholds → %s; the case needs one they take for deny", text, got)
		}
		if got := newClassifier(defaultIntentModel(), telecom).Understand("en", text, nluEvalNow).Intent; got != "cancel_service" {
			t.Errorf("%q → %s, want the script's cancel_service: the no only leads into it", text, got)
		}
	}
	// Built-in answers stay what they are beside the script's intents.
	for text, want := range map[string]string{"yes": "affirm", "no thanks": "deny", "stop calling me": "stop", "i'm driving": "busy"} {
		if got := newClassifier(defaultIntentModel(), telecom).Understand("en", text, nluEvalNow).Intent; got != want {
			t.Errorf("%q beside the script's intents → %s, want %s", text, got, want)
		}
	}
}

func TestTheArbiterNeverTakesAStopTheModelIsUnsureOf(t *testing.T) {
	set, err := LoadNLUEval(nluEvalDir, "dev")
	if err != nil {
		t.Fatal(err)
	}
	// Short or stray words the model reads as a stop it is not sure of.
	texts := []string{"i've never even heard of that company", "remove", "please don't", "why do you keep calling", "别烦我", "怎么又打来了"}
	cases := 0
	for _, s := range set.Suites {
		c := newClassifier(defaultIntentModel(), s.Extra(0))
		for _, text := range texts {
			cd := c.candidates(hear(text), ParseSlots(text, nluEvalNow))
			if cd.builtin[0].intent != "stop" || cd.builtin[0].score >= NoMatchThreshold || c.model.Arbiter.choose(cd.features()) != choiceBuiltin {
				continue
			}
			cases++
			if got := c.Understand(s.Lang, text, nluEvalNow).Intent; got == "stop" {
				t.Errorf("%s: %q → stop: an opt-out the model is not sure of may not be taken", s.Name, text)
			}
		}
	}
	if cases == 0 {
		t.Fatal("no utterance has a stop below the threshold that the arbiter alone would take; the test needs one")
	}
}

func TestAPaymentDoneIsNotAPromiseForADay(t *testing.T) {
	collections := map[string][]string{
		"paid":           {"i already paid", "i paid it yesterday", "payment was sent", "it's been paid", "i made the payment"},
		"promise_to_pay": {"i'll pay on friday", "i can pay next week", "i'll pay it tomorrow", "i'll make a payment when i get paid", "i will pay by the end of the month"},
	}
	reminder := map[string][]string{
		"paid":    {"已经还了", "还过了", "昨天就还了", "钱已经转过去了", "已经交了"},
		"promise": {"我会还的", "明天就还", "发工资就还", "下周一还", "过几天还上"},
	}
	cases := []struct {
		lang, text, intent string
		extra              map[string][]string
	}{
		// Words like a promise's ("on monday"), said of the past.
		{"en", "my wife paid it on monday", "paid", collections},
		{"zh", "上周五还的", "paid", reminder},
		{"zh", "刚还完", "paid", reminder},
		// And the future, with a payday in it, stays a promise.
		{"en", "i get paid friday, i'll pay then", "promise_to_pay", collections},
		{"zh", "这两天抽空还一下", "promise", reminder},
	}
	for _, tc := range cases {
		if u := Classify(tc.lang, tc.text, tc.extra); u.Intent != tc.intent {
			t.Errorf("%q → %s (runner-up %s), want %s", tc.text, u.Intent, u.RunnerUp, tc.intent)
		}
	}
}

func TestSlotsFindDatesTimesNumbersAndAmounts(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) // a Monday
	cases := []struct {
		text string
		want map[string]any
	}{
		{"明天下午三点", map[string]any{"date": "2026-11-24", "time": "15:00", "datetime": "2026-11-24T15:00:00Z"}},
		{"后天上午十点半", map[string]any{"date": "2026-11-25", "time": "10:30"}},
		{"下周三", map[string]any{"date": "2026-12-02"}},
		{"12月5号", map[string]any{"date": "2026-12-05"}},
		{"晚上8点", map[string]any{"time": "20:00", "datetime": "2026-11-23T20:00:00Z"}},
		{"tomorrow at 3pm", map[string]any{"date": "2026-11-24", "time": "15:00"}},
		{"on friday", map[string]any{"date": "2026-11-27"}},
		{"next friday", map[string]any{"date": "2026-12-04"}},
		{"at 9:45", map[string]any{"time": "09:45"}},
		{"我要买3件", map[string]any{"number": 3.0}},
		{"一共两千五百元", map[string]any{"amount": map[string]any{"value": 2500.0, "currency": "CNY"}}},
		{"I can pay $120.50", map[string]any{"amount": map[string]any{"value": 120.5, "currency": "USD"}}},
		{"5万块", map[string]any{"amount": map[string]any{"value": 50000.0, "currency": "CNY"}}},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			got := ParseSlots(tc.text, now)
			for k, v := range tc.want {
				if m, ok := v.(map[string]any); ok {
					g, _ := got[k].(map[string]any)
					if g == nil || g["value"] != m["value"] || g["currency"] != m["currency"] {
						t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
					}
					continue
				}
				if got[k] != v {
					t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}

func TestSentimentScoresAndLabelsBothLanguages(t *testing.T) {
	cases := []struct{ text, label string }{
		{"太好了,非常感谢", "positive"},
		{"great, thanks a lot", "positive"},
		{"好的", "positive"},
		{"我知道了", "neutral"},
		{"ok", "neutral"},
		{"有点失望", "negative"},
		{"不满意", "negative"},
		{"that's disappointing", "negative"},
		{"not good", "negative"},
		{"滚!别再骚扰我了", "angry"},
		{"你们这帮骗子", "angry"},
		{"stop harassing me you idiots!", "angry"},
	}
	for _, tc := range cases {
		t.Run(tc.text+" sounds "+tc.label, func(t *testing.T) {
			s := AnalyzeSentiment(tc.text)
			if s.Label != tc.label {
				t.Errorf("%q → %s (%.2f), want %s", tc.text, s.Label, s.Score, tc.label)
			}
			if s.Score < -1 || s.Score > 1 {
				t.Errorf("score %.3f outside [-1, 1]", s.Score)
			}
		})
	}
}

// A complaint told as a story, or a request to stop calling, names no mood
// word, and the words alone sound neutral; understood as a complaint or a
// stop, it is negative.
func TestAComplaintOrAStopSoundsNegativeWithoutAMoodWord(t *testing.T) {
	for _, tc := range []struct{ text, intent string }{
		{"the crown you fitted in march has already cracked and that cost me twelve hundred dollars", "complaint"},
		{"车子刚在你们店保养完,第二天发动机故障灯就亮了,搞的啥子名堂嘛", "complaint"},
		{"我已经第三次跟你们说了,不要再拨这个号码", "stop"},
	} {
		if plain := AnalyzeSentiment(tc.text); plain.Label != "neutral" {
			t.Fatalf("%q: the words alone sound %s; the case needs one that sounds neutral", tc.text, plain.Label)
		}
		u := Classify("", tc.text, nil)
		if u.Intent != tc.intent {
			t.Fatalf("%q → %s, want %s", tc.text, u.Intent, tc.intent)
		}
		if u.Sentiment.Label != "negative" || u.Sentiment.Score >= -0.2 {
			t.Errorf("%q (%s) sounds %s (%.3f), want negative", tc.text, u.Intent, u.Sentiment.Label, u.Sentiment.Score)
		}
	}
}

func TestEnglishWordsAreComparedByTheirStems(t *testing.T) {
	for _, pair := range [][2]string{{"charges", "charged"}, {"appointments", "appointment"}, {"cancelled", "cancel"}, {"delivered", "delivering"}} {
		if a, b := stem(pair[0]), stem(pair[1]); a != b {
			t.Errorf("%q stems to %q and %q to %q", pair[0], a, pair[1], b)
		}
	}
	// Stopwords and contractions keep their form: "it's" is not "it".
	for _, w := range []string{"it's", "don't", "was", "the"} {
		if got := stem(w); got != w {
			t.Errorf("%q stems to %q", w, got)
		}
	}
	// A tenant intent taught with one form hears another.
	extra := map[string][]string{"cancel_service": {"cancel my service", "end my contract"}, "reschedule": {"move my appointment"}}
	for text, want := range map[string]string{"i want my services cancelled": "cancel_service", "can we move the appointments": "reschedule"} {
		if u := Classify("en", text, extra); u.Intent != want {
			t.Errorf("%q → %s, want %s", text, u.Intent, want)
		}
	}
}
