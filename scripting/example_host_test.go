package scripting_test

import (
	"context"
	"fmt"

	"github.com/outcall/outcall/scripting"
)

// A HostPool runs calls in supervised script-host processes with an OS
// memory limit; a RemoteSession works like a Session. (The service starts
// hosts with `outcall script-host`; this example starts the test binary,
// whose TestMain serves as a host when asked: see TestHostCommand.)
func ExampleHostPool() {
	command, env := scripting.TestHostCommand()
	pool, err := scripting.NewHostPool(scripting.HostConfig{
		Command:     command,
		Env:         env,
		Hosts:       1,
		MemoryLimit: 256 << 20,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()
	ctx := context.Background()
	call, _, err := pool.Open(ctx, scripting.Caller{}, "hello.js", `export default {
  start: "a",
  states: { a: { say: c => "hello " + c.contact.name, on: { affirm: "b" } }, b: { say: "bye", end: "done" } },
};`, scripting.Contact{"name": "Ann"}, scripting.SessionOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer call.Close()
	first, _ := call.Start(ctx)
	turn, _ := call.Turn(ctx, "yes")
	fmt.Println(first.Say, "/", turn.Say, "/", call.Result().Outcome)
	// Output:
	// hello Ann / bye / done
}
