package scripting

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBadScriptsAreReportedWithLineAndColumn(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want string // "LINE:COL: fragment"
	}{
		{"a syntax error points at the bad token",
			"export default {\n  start: \"a\",\n  states: { a: { say: \"hi\" end: \"x\" } },\n};\n",
			"3:28: syntax error: Unexpected identifier"},
		{"a missing start is an error",
			"export default {\n  states: { a: { say: \"hi\", end: \"x\" } },\n};\n",
			"1:1: missing `start`"},
		{"start naming an unknown state is an error at the name",
			"export default {\n  start: \"greting\",\n  states: { greeting: { say: \"hi\", end: \"x\" } },\n};\n",
			"2:10: start refers to unknown state \"greting\" (did you mean \"greeting\"?)"},
		{"an on target naming an unknown state is an error at the target",
			"export default {\n  start: \"a\",\n  states: {\n    a: { say: \"hi\", on: { affirm: \"b\", deny: \"nowhere\" } },\n    b: { end: \"x\" },\n  },\n};\n",
			"4:46: state a: on.deny refers to unknown state \"nowhere\""},
		{"a default naming an unknown state is an error",
			"export default {\n  start: \"a\",\n  states: {\n    a: { say: \"hi\", default: \"gone\" },\n  },\n};\n",
			"4:30: state a: default refers to unknown state \"gone\""},
		{"a non-end state with no way out is an error at the state",
			"export default {\n  start: \"a\",\n  states: {\n    a: { say: \"hi\", on: { affirm: \"b\" } },\n    b: { say: \"stuck\" },\n  },\n};\n",
			"5:5: state b has no way out"},
		{"an unreachable state is a warning",
			"export default {\n  start: \"a\",\n  states: {\n    a: { say: \"hi\", end: \"x\" },\n    orphan: { say: \"?\", end: \"y\" },\n  },\n};\n",
			"5:5: warning: state orphan is unreachable from a"},
		{"an unknown emotion is an error",
			"export default {\n  start: \"a\",\n  states: { a: { say: \"hi\", emotion: \"sad\", end: \"x\" } },\n};\n",
			"3:38: state a: emotion must be"},
		{"a followUp that names no template is an error at the state's followUp",
			"export default {\n  start: \"a\",\n  states: { a: { say: \"hi\", end: \"x\", followUp: \"Payment Link\" } },\n};\n",
			"3:49: state a: followUp names one of the tenant's SMS templates"},
		{"a followUp on another channel is an error",
			"export default {\n  start: \"a\",\n  states: { a: { say: \"hi\", end: \"x\", followUp: { channel: \"wechat\", template: \"t\" } } },\n};\n",
			"3:49: state a: followUp's channel must be sms"},
		{"a bad callbackIn is an error",
			"export default {\n  start: \"a\",\n  states: { a: { say: \"hi\", end: \"x\", callbackIn: \"soon\" } },\n};\n",
			"3:51: state a: callbackIn \"soon\""},
		{"an expression in a string template is an error",
			"export default {\n  start: \"a\",\n  states: { a: { say: \"hi ${c.contact.vip ? 1 : 2}\", end: \"x\" } },\n};\n",
			"3:23: state a: template ${c.contact.vip ? 1 : 2}"},
		{"an import is refused",
			"import x from \"fs\";\nexport default { start: \"a\", states: { a: { end: \"x\" } } };\n",
			"1:1: import is not allowed"},
		{"a script without a default export is refused",
			"export const x = 1;\n",
			"1:1: a dialog script must `export default { start, states }`"},
		{"a throwing top level is reported where it throws",
			"const y = null;\nexport default { start: y.z, states: {} };\n",
			"2:27: running the script failed: TypeError"},
		{"an intent nobody produces is a warning",
			"export default {\n  start: \"a\",\n  states: { a: { say: \"hi\", on: { afirm: \"a\" }, end: \"x\" } },\n};\n",
			"3:42: warning: state a: intent \"afirm\" is neither built in nor declared"},
		{"a column counts characters, not bytes",
			"export default {\n  start: \"a\",\n  states: { a: { say: \"您好\", on: { affirm: \"zz\" } } },\n};\n",
			"3:43: state a: on.affirm refers to unknown state \"zz\"\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := Compile("t.js", tc.src)
			var lines []string
			for _, d := range ds {
				lines = append(lines, d.String()+"\n")
			}
			for _, l := range lines {
				if strings.HasPrefix(l, tc.want) {
					return
				}
			}
			t.Errorf("want a finding starting %q, got:\n%s", tc.want, strings.Join(lines, ""))
		})
	}
}

func TestAScriptWithWarningsStillCompiles(t *testing.T) {
	s, ds := Compile("w.js", "export default { start: \"a\", states: { a: { end: \"x\" }, b: { end: \"y\" } } };")
	if s == nil || HasErrors(ds) || len(ds) != 1 {
		t.Fatalf("want a script and one warning, got %v %v", s, ds)
	}
}

func TestTheGraphListsStatesAndEdgesIncludingDynamicOnes(t *testing.T) {
	src := `export default {
  start: "greeting",
  states: {
    greeting: { say: "hi", on: { affirm: "confirm", price: c => (c.contact.vip ? "vip_price" : "price") }, default: "confirm" },
    price: { say: "100", end: "quoted" },
    vip_price: { say: "90", end: "quoted" },
    confirm: { say: "ok", end: "confirmed", tags: ["converted"] },
  },
  intents: { price: ["多少钱"] },
};`
	s, ds := Compile("g.js", src)
	if s == nil {
		t.Fatal(ds)
	}
	var edges []string
	for _, e := range s.Graph().Edges {
		edges = append(edges, e.From+">"+e.To+":"+e.Intent+map[bool]string{true: "*", false: ""}[e.Dynamic])
	}
	want := "greeting>confirm:affirm greeting>vip_price:price* greeting>price:price* greeting>confirm:default"
	if strings.Join(edges, " ") != want {
		t.Errorf("edges %v, want %s", edges, want)
	}
	b, _ := json.Marshal(s.Graph())
	if !strings.Contains(string(b), `"name":"confirm","line":7,"say":"ok","end":"confirmed","tags":["converted"]`) {
		t.Errorf("graph JSON lacks the confirm state: %s", b)
	}
	if len(ds) != 0 {
		t.Errorf("dynamic targets should make every state reachable, got %v", ds)
	}
}

func TestCompilingTheSameVersionTwiceReusesTheProgram(t *testing.T) {
	src := `export default { start: "a", states: { a: { say: "hi", end: "x" } } };`
	a, _ := Compile("c.js", src)
	b, _ := Compile("c.js", src)
	if a != b || a.Version != Version(src) {
		t.Error("the second compile did not come from the cache")
	}
}

func TestPublishingFlagsSensitiveWordsInSayTexts(t *testing.T) {
	src := "export default {\n  start: \"a\",\n  states: {\n    a: { say: \"请告诉我验证码\", on: { affirm: \"b\" } },\n    b: { say: c => \"请转账到\" + c.contact.account, end: \"x\" },\n    c: { say: \"hello\", end: \"y\" },\n  },\n};\n"
	s, _ := Compile("p.js", src)
	ds := s.SensitiveSays(DefaultSensitiveWords, false)
	var got []string
	for _, d := range ds {
		got = append(got, d.String())
	}
	want := []string{`4:15: state a says the sensitive word "验证码"`, `5:15: state b says the sensitive word "转账"`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
	if ds := s.SensitiveSays(DefaultSensitiveWords, true); ds[0].Severity != "warning" {
		t.Error("an allowing tenant should get warnings")
	}
}
