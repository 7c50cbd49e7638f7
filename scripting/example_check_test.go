package scripting_test

import (
	"encoding/json"
	"fmt"

	"github.com/outcall/outcall/scripting"
)

// Compile reports what is wrong with a script, with line and column, before
// anyone is called.
func ExampleCompile_diagnostics() {
	_, diags := scripting.Compile("bad.js", `export default {
  start: "greeting",
  states: {
    greeting: { say: "hi", on: { affirm: "confrim" } },
    confirm: { say: "ok", end: "confirmed" },
    limbo: { say: "..." },
  },
};`)
	for _, d := range diags {
		fmt.Println(d)
	}
	// Output:
	// 4:42: state greeting: on.affirm refers to unknown state "confrim" (did you mean "confirm"?)
	// 5:5: warning: state confirm is unreachable from greeting
	// 6:5: state limbo has no way out: give it on, default, end or transfer
	// 6:5: warning: state limbo is unreachable from greeting
}

// Graph draws the dialog as states and edges; function targets become
// dynamic edges to the states they mention.
func ExampleScript_Graph() {
	script, _ := scripting.Compile("graph.js", `export default {
  start: "ask",
  intents: { price: ["多少钱"] },
  states: {
    ask: { say: "要下单吗?", on: { affirm: "done", price: c => (c.contact.vip ? "vip" : "list") } },
    vip: { say: "会员价九折。", end: "quoted" },
    list: { say: "原价。", end: "quoted" },
    done: { say: "好的。", end: "ordered" },
  },
};`)
	for _, e := range script.Graph().Edges {
		b, _ := json.Marshal(e)
		fmt.Println(string(b))
	}
	// Output:
	// {"from":"ask","to":"done","intent":"affirm"}
	// {"from":"ask","to":"vip","intent":"price","dynamic":true}
	// {"from":"ask","to":"list","intent":"price","dynamic":true}
}

// Before a version is published, fixed say texts are checked against the
// tenant's sensitive words.
func ExampleScript_SensitiveSays() {
	script, _ := scripting.Compile("risky.js", `export default {
  start: "a",
  states: {
    a: { say: "为了核实身份,请告诉我短信验证码。", end: "x" },
  },
};`)
	for _, d := range script.SensitiveSays(scripting.DefaultSensitiveWords, false) {
		fmt.Println(d)
	}
	// Output:
	// 4:15: state a says the sensitive word "验证码"
}
