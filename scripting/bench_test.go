package scripting

import "testing"

func BenchmarkTurn(b *testing.B) {
	src := `export default {
  start: "greeting",
  intents: { price: ["多少钱", "价格", "how much"] },
  states: {
    greeting: { say: c => ` + "`您好${c.contact.name}`" + `, on: { affirm: "greeting", price: c => { c.vars.n = (c.vars.n||0)+1; return "price"; } } },
    price: { say: "这单是${c.contact.amount}元", on: { affirm: "greeting", price: "price" } },
  },
};`
	s, ds := Compile("p.js", src)
	if s == nil {
		b.Fatal(ds)
	}
	sess, _ := s.NewSession(Contact{"name": "王", "amount": 1}, SessionOptions{})
	sess.Start()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sess.Turn([]string{"多少钱", "是的"}[i%2])
	}
}

func BenchmarkClassify(b *testing.B) {
	u := []string{"是的", "不需要", "明天下午三点再打吧", "我在开会", "这个多少钱", "转人工", "stop calling me", "not interested", "你们这帮骗子", "好的没问题"}
	for i := 0; i < b.N; i++ {
		Classify("zh", u[i%len(u)], nil)
	}
}

func BenchmarkNewSandbox(b *testing.B) {
	for i := 0; i < b.N; i++ {
		newSandbox(Limits{}.withDefaults(), nil)
	}
}

func BenchmarkSegment(b *testing.B) {
	sg, ds := CompileSegmenter("s.js", `export function segment(c) {
  if (c.vip) return "vip";
  if (c.orders >= 5 && c.city === "杭州") return "loyal_local";
  if (c.orders >= 5) return "loyal";
  if (c.lastOrderDays > 180) return "dormant";
  return null;
}`)
	if sg == nil {
		b.Fatal(ds)
	}
	c := Contact{"name": "客户1", "phone": "+8613800000001", "vip": false, "orders": 6.0, "city": "上海", "lastOrderDays": 20.0}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sg.Segment(c); err != nil {
			b.Fatal(err)
		}
	}
}
