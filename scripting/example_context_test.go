package scripting_test

import (
	"fmt"
	"time"

	"github.com/outcall/outcall/scripting"
)

// Functions receive the context c: the frozen contact, the call's vars
// (kept between turns), what was said and understood, slots and sentiment.
func Example_context() {
	script, _ := scripting.Compile("booking.js", `export default {
  start: "ask",
  states: {
    ask: {
      say: "${c.contact.name}您好,您哪天方便来试驾?",
      on: { later: c => { c.vars.when = c.slots.datetime; return "booked"; } },
    },
    booked: { say: c => "已为您预约" + c.slots.date + " " + c.slots.time + "。", end: "booked" },
  },
};`)
	monday := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	call, _ := script.NewSession(scripting.Contact{"name": "刘女士"}, scripting.SessionOptions{Now: func() time.Time { return monday }})
	first, _ := call.Start()
	fmt.Println(first.Say)
	turn, _ := call.Turn("明天下午三点吧")
	fmt.Println(turn.Say)
	fmt.Println(call.Vars())
	// Output:
	// 刘女士您好,您哪天方便来试驾?
	// 已为您预约2026-11-24 15:00。
	// {"when":"2026-11-24T15:00:00Z"}
}

// String say texts take ${c.path} placeholders; the fallback asks again and
// then ends the call with its outcome.
func Example_fallback() {
	script, _ := scripting.Compile("fallback.js", `export default {
  start: "ask",
  fallback: { say: "抱歉,您能再说一遍吗?", retries: 1, end: "no_understanding" },
  states: {
    ask: { say: "您对这次服务满意吗?", on: { affirm: "thanks" } },
    thanks: { say: "谢谢!", end: "satisfied" },
  },
};`)
	call, _ := script.NewSession(nil, scripting.SessionOptions{})
	call.Start()
	for _, heard := range []string{"量子力学", "今天星期几"} {
		turn, _ := call.Turn(heard)
		fmt.Println(turn.Via, turn.Say)
	}
	fmt.Println(call.Result().Outcome)
	// Output:
	// fallback 抱歉,您能再说一遍吗?
	// fallback 抱歉打扰您了,再见。
	// no_understanding
}
