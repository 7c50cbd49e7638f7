package scripting

import "testing"

// The kinds of everyday speech the issue found missed, said in words of
// neither the evaluation set nor builtinExamples.
func TestEverydaySpeechIsUnderstood(t *testing.T) {
	reminder := map[string][]string{
		"paid":    {"已经还了", "还过了", "昨天就还了"},
		"promise": {"我会还的", "明天就还", "发工资就还"},
	}
	cases := []struct {
		name, lang, text string
		extra            map[string][]string
		intent           string
	}{
		{"a regional two-word yes", "zh", "中嘞中嘞", nil, "affirm"},
		{"a Sichuan yes", "zh", "要得嘛,你发过来", nil, "affirm"},
		{"a homophone yes", "zh", "事的事的,我是", nil, "affirm"},
		{"a double negation", "zh", "我又没说不要,发吧", nil, "affirm"},
		{"a tenant intent in other words", "zh", "钱我上礼拜就打过去了", reminder, "paid"},
		{"a tenant intent with a date", "zh", "月底之前一定还上", reminder, "promise"},
		{"a wrong number said with 不是", "zh", "不是,你们搞错了吧,我不姓刘", nil, "wrong_number"},
		{"a person asked for without 人工", "zh", "叫你们经理过来跟我说", nil, "human"},
		{"a repeated stop with a homophone", "zh", "跟你说了别在打了", nil, "stop"},
		{"an English don't ever call", "en", "don't you ever call this number again", nil, "stop"},
		{"an English wrong person", "en", "nope, there's no jessica at this number", nil, "wrong_number"},
		{"an English request for a person", "en", "can I just talk to somebody real", nil, "human"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if u := Classify(tc.lang, tc.text, tc.extra); u.Intent != tc.intent {
				t.Errorf("%q → %s (%.2f, runner-up %s %.2f), want %s", tc.text, u.Intent, u.Confidence, u.RunnerUp, u.RunnerUpConfidence, tc.intent)
			}
		})
	}
}

func TestPoliteQuestionsAboutMoneySoundNeutral(t *testing.T) {
	for _, text := range []string{"请问一下,我这期要还多少钱啊?", "麻烦您帮我看一下金额", "不好意思,这个费用是怎么算的", "sorry, could you tell me the balance?"} {
		if s := AnalyzeSentiment(text); s.Label != "neutral" {
			t.Errorf("%q sounds %s (%.2f), want neutral", text, s.Label, s.Score)
		}
	}
}
