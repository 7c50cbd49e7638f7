package scripting_test

import (
	"fmt"

	"github.com/outcall/outcall/scripting"
)

// A dialog script declares states; each turn understands the callee and
// moves to the state its intent names.
func Example_dialog() {
	script, diags := scripting.Compile("order.js", `export default {
  start: "greeting",
  states: {
    greeting: {
      say: c => "您好" + c.contact.name + ",您的订单现在发货可以吗?",
      on: { affirm: "confirm", deny: "cancel" },
    },
    confirm: { say: "好的,今天就为您发货。", end: "confirmed", tags: ["converted"] },
    cancel:  { say: "好的,已为您取消。", end: "cancelled" },
  },
};`)
	if script == nil {
		fmt.Println(diags)
		return
	}
	call, _ := script.NewSession(scripting.Contact{"name": "王先生"}, scripting.SessionOptions{})
	first, _ := call.Start()
	fmt.Println(first.Say)

	turn, _ := call.Turn("是的,发吧")
	fmt.Println(turn.Intent, turn.State, turn.Say)
	fmt.Println(call.Result().Outcome, call.Result().Tags)
	// Output:
	// 您好王先生,您的订单现在发货可以吗?
	// affirm confirm 好的,今天就为您发货。
	// confirmed [converted]
}
