package scripting

import (
	"strings"
	"testing"
	"time"
)

// escapeScript wraps a greeting `say` function body into a dialog.
func escapeScript(body string) string {
	return `export default {
  start: "greeting",
  fallback: { end: "script_failed" },
  states: {
    greeting: {
      say: c => { ` + body + ` },
      on: { affirm: "done" },
    },
    done: { say: c => String(Array.prototype.map === undefined) + "|" + typeof globalThis.pwned, end: "ok" },
  },
};`
}

func TestSandboxEndsTheCallOnRunawayScripts(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		kind    string
		message string
	}{
		{"an infinite loop is interrupted by the CPU budget", `for (;;) {}`, "budget", "CPU budget"},
		{"deep recursion overflows the call stack limit", `const f = n => f(n + 1) + 1; return f(0);`, "stack", "call stack"},
		{"a huge repeat is refused before it allocates", `return 'x'.repeat(2 ** 40);`, "exception", "repeat"},
		{"a huge padStart is refused", `return ''.padStart(2 ** 40, 'x');`, "exception", "padStart"},
		{"a huge padEnd is refused", `return ''.padEnd(2 ** 31, 'x');`, "exception", "padEnd"},
		{"a huge Array(n) is refused", `return String(Array(2 ** 31).length);`, "exception", "Array"},
		{"a huge new Array(n) is refused", `return String(new Array(2 ** 31).length);`, "exception", "Array"},
		{"a huge constructor(n) via an instance is refused", `return String([].constructor(2 ** 31).length);`, "exception", "Array"},
		{"filling a huge sparse array is refused", `const a = []; a.length = 2 ** 31; a.fill(1); return "";`, "exception", "fill"},
		{"joining a huge sparse array is refused", `const a = []; a.length = 2 ** 31; return a.join('x');`, "exception", "join"},
		{"Array.from a huge length is refused", `return String(Array.from({length: 2 ** 31}).length);`, "exception", "Array.from"},
		{"a regular expression that backtracks catastrophically is stopped by the budget", `return String(/^(?=a)(a+)+b$/.test("a".repeat(40)));`, "budget", "CPU budget"},
		{"a catastrophic regular expression in a loop is stopped by the budget", `let n = 0; for (const s of ["a".repeat(30), "a".repeat(35), "a".repeat(40)]) { if (/(?<=a)(a|aa)+$b/.exec(s)) n++; } return String(n);`, "budget", "CPU budget"},
		{"allocation in a loop is stopped by the budget", `const a = []; for (;;) { a.push('x'.repeat(1000) + a.length); }`, "budget", "CPU budget"},
		{"typed arrays are not available", `return String(new Uint8Array(2 ** 30).length);`, "exception", "Uint8Array"},
		{"require is not available", `return require('fs');`, "exception", "require"},
		{"timers are not available", `setTimeout(() => {}, 1); return "";`, "exception", "setTimeout"},
		{"eval is not available", `return eval('1');`, "exception", "eval"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ds := Compile("escape.js", escapeScript(tc.body))
			if s == nil {
				t.Fatalf("compile: %v", ds)
			}
			sess, err := s.NewSession(Contact{"name": "x"}, SessionOptions{})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			turn, err := sess.Start()
			if err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("the turn took %v", took)
			}
			if turn.Error == nil {
				t.Fatalf("expected a script error, got turn %+v", turn)
			}
			if turn.Error.Kind != tc.kind || !strings.Contains(turn.Error.Message, tc.message) {
				t.Errorf("error = %s %q, want %s containing %q", turn.Error.Kind, turn.Error.Message, tc.kind, tc.message)
			}
			if !turn.Done || sess.Result() == nil || sess.Result().Outcome != "script_failed" {
				t.Errorf("the call should end on the fallback outcome, got %+v", sess.Result())
			}
			if sess.Result().Error == nil {
				t.Error("the result should carry the error")
			}
		})
	}
}

func TestScriptErrorsPointAtTheTenantsLine(t *testing.T) {
	src := "export default {\n  start: \"a\",\n  states: {\n    a: { say: c => c.contact.missing.field, end: \"x\" },\n  },\n};\n"
	s, ds := Compile("line.js", src)
	if s == nil {
		t.Fatal(ds)
	}
	sess, _ := s.NewSession(nil, SessionOptions{})
	turn, _ := sess.Start()
	if turn.Error == nil || turn.Error.Line != 4 {
		t.Fatalf("want an error on line 4, got %+v", turn.Error)
	}
	if !strings.Contains(turn.Error.Message, "TypeError") {
		t.Errorf("message %q should name the TypeError", turn.Error.Message)
	}
}

func TestPrototypeTamperingDoesNotLeakIntoOtherCalls(t *testing.T) {
	tamper := `export default {
  start: "a",
  states: {
    a: { say: c => {
      Array.prototype.map = function () { return ["pwned"]; };
      String.prototype.toUpperCase = function () { return "PWNED"; };
      Object.prototype.pwned = true;
      globalThis.pwned = "yes";
      JSON.stringify = () => "{}";
      return "tampered";
    }, on: { affirm: "b" } },
    b: { say: c => [1, 2].map(x => x * 2).join(",") + " " + "ok".toUpperCase() + " " + String({}.pwned) + " " + typeof pwned, end: "done" },
  },
};`
	clean := `export default {
  start: "a",
  states: {
    a: { say: c => [1, 2].map(x => x * 2).join(",") + " " + "ok".toUpperCase() + " " + String({}.pwned) + " " + typeof pwned, end: "done" },
  },
};`
	bad, _ := Compile("tamper.js", tamper)
	good, _ := Compile("clean.js", clean)
	s1, _ := bad.NewSession(nil, SessionOptions{})
	if turn, _ := s1.Start(); turn.Say != "tampered" {
		t.Fatalf("tampering turn said %q", turn.Say)
	}
	s2, _ := good.NewSession(nil, SessionOptions{})
	if turn, _ := s2.Start(); turn.Say != "2,4 OK undefined undefined" {
		t.Errorf("another call saw tampered built-ins: %q", turn.Say)
	}
	// A call keeps its own runtime between turns, so its own tampering is
	// its own business; a second call of the same script starts pristine.
	s3, _ := bad.NewSession(nil, SessionOptions{})
	s3.Start()
	s2b, _ := good.NewSession(nil, SessionOptions{})
	if turn, _ := s2b.Start(); turn.Say != "2,4 OK undefined undefined" {
		t.Errorf("a later call saw tampered built-ins: %q", turn.Say)
	}
}

func TestConsoleLogIsCapturedAndBounded(t *testing.T) {
	src := `export default { start: "a", states: { a: { say: c => { for (let i = 0; i < 100; i++) console.log("line", i, {k: "x".repeat(2000)}); return "hi"; }, end: "x" } } };`
	s, ds := Compile("log.js", src)
	if s == nil {
		t.Fatal(ds)
	}
	sess, _ := s.NewSession(nil, SessionOptions{})
	turn, _ := sess.Start()
	if len(turn.Log) != 20 {
		t.Fatalf("kept %d log lines, want 20", len(turn.Log))
	}
	if !strings.HasPrefix(turn.Log[0], "line 0 {") || len(turn.Log[0]) > 520 {
		t.Errorf("first line %q is not the bounded log line", turn.Log[0][:40])
	}
}

func TestVarsAreKeptAsJSONAndCapped(t *testing.T) {
	src := `export default { start: "a", states: {
  a: { say: c => { c.vars.n = (c.vars.n || 0) + 1; return "n=" + c.vars.n; }, on: { affirm: "a", deny: "big" } },
  big: { say: c => { c.vars.blob = "x".repeat(100000); return "big"; }, on: { affirm: "a" } },
} };`
	s, ds := Compile("vars.js", src)
	if s == nil {
		t.Fatal(ds)
	}
	sess, _ := s.NewSession(nil, SessionOptions{})
	sess.Start()
	turn, _ := sess.Turn("是的")
	if turn.Say != "n=2" || sess.Vars() != `{"n":2}` {
		t.Fatalf("vars were not kept between turns: say %q vars %s", turn.Say, sess.Vars())
	}
	turn, _ = sess.Turn("不是")
	if turn.Error == nil || !strings.Contains(turn.Error.Message, "c.vars is") {
		t.Fatalf("oversized vars should end the call, got %+v", turn.Error)
	}
}

func TestContactIsAFrozenCopy(t *testing.T) {
	src := `export default { start: "a", states: { a: { say: c => { c.contact.name = "changed"; return c.contact.name; }, end: "x" } } };`
	s, _ := Compile("frozen.js", src)
	contact := Contact{"name": "王先生"}
	sess, _ := s.NewSession(contact, SessionOptions{})
	turn, _ := sess.Start()
	if turn.Error == nil || !strings.Contains(turn.Error.Message, "TypeError") {
		t.Fatalf("assigning to a frozen contact in strict mode should throw, got %+v", turn)
	}
	if contact["name"] != "王先生" {
		t.Error("the Go contact was changed")
	}
}
