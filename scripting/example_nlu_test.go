package scripting_test

import (
	"fmt"

	"github.com/outcall/outcall/scripting"
)

// Classify understands an utterance: intent, confidence, runner-up, slots
// and sentiment. Negation is never affirm.
func ExampleClassify() {
	for _, text := range []string{"是的", "不是", "不需要", "not interested", "我在开车", "stop calling me", "转人工"} {
		u := scripting.Classify("zh", text, nil)
		fmt.Println(text, "→", u.Intent)
	}
	// Output:
	// 是的 → affirm
	// 不是 → deny
	// 不需要 → deny
	// not interested → deny
	// 我在开车 → busy
	// stop calling me → stop
	// 转人工 → human
}

// Tenants add intents with a few example phrases.
func ExampleClassify_tenantIntents() {
	u := scripting.Classify("zh", "这个多少钱啊", map[string][]string{"price": {"多少钱", "价格", "how much"}})
	fmt.Println(u.Intent, u.Confidence >= scripting.NoMatchThreshold)
	// Output:
	// price true
}

// AnalyzeSentiment scores the mood in Chinese or English.
func ExampleAnalyzeSentiment() {
	for _, text := range []string{"太好了,谢谢", "我知道了", "有点失望", "滚!别再骚扰我"} {
		fmt.Println(text, scripting.AnalyzeSentiment(text).Label)
	}
	// Output:
	// 太好了,谢谢 positive
	// 我知道了 neutral
	// 有点失望 negative
	// 滚!别再骚扰我 angry
}
