package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// runOutcall runs the CLI in process with fresh flag values.
func runOutcall(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var reset func(c *cobra.Command)
	reset = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				_ = sv.Replace(nil)
			} else {
				_ = f.Value.Set(f.DefValue)
			}
			f.Changed = false
		})
		for _, sub := range c.Commands() {
			reset(sub)
		}
	}
	reset(rootCmd)
	if sens := findFlag("script", "check", "sensitive"); sens != nil {
		_ = sens.Value.(pflag.SliceValue).Replace([]string{"转账", "密码", "验证码"})
	}
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&out)
	rootCmd.SetArgs(args)
	err := rootCmd.Execute()
	return out.String(), err
}

func findFlag(path ...string) *pflag.Flag {
	c := rootCmd
	for _, p := range path[:len(path)-1] {
		for _, sub := range c.Commands() {
			if sub.Name() == p {
				c = sub
			}
		}
	}
	return c.Flags().Lookup(path[len(path)-1])
}

func exitCode(err error) int {
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestScriptCheckPrintsTheGraphOfAGoodScript(t *testing.T) {
	out, err := runOutcall(t, "script", "check", "../../scripting/examples/order_confirmation.js")
	if err != nil {
		t.Fatal(err, out)
	}
	var g struct {
		Start  string
		States []struct{ Name string }
		Edges  []struct{ From, To string }
	}
	if err := json.Unmarshal([]byte(out), &g); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if g.Start != "greeting" || len(g.States) != 10 || len(g.Edges) == 0 {
		t.Errorf("graph %+v", g)
	}
}

func TestScriptCheckPrintsFileLineColumnAndExits1(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.js")
	os.WriteFile(file, []byte("export default {\n  start: \"a\",\n  states: { a: { say: \"请提供验证码\", on: { affirm: \"nowhere\" } } },\n};\n"), 0o644)
	out, err := runOutcall(t, "script", "check", file)
	if exitCode(err) != 1 {
		t.Fatalf("exit %d, want 1", exitCode(err))
	}
	want := file + `:3:47: state a: on.affirm refers to unknown state "nowhere"`
	if !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}

func TestScriptCheckRefusesSensitiveWordsInSayTexts(t *testing.T) {
	file := filepath.Join(t.TempDir(), "risky.js")
	os.WriteFile(file, []byte("export default {\n  start: \"a\",\n  states: { a: { say: \"请提供验证码\", end: \"x\" } },\n};\n"), 0o644)
	out, err := runOutcall(t, "script", "check", file)
	if exitCode(err) != 1 || !strings.Contains(out, file+`:3:23: state a says the sensitive word "验证码"`) {
		t.Errorf("exit %d, output:\n%s", exitCode(err), out)
	}
}

func TestScriptTestPrintsOneJSONLinePerTurnAndTheOutcome(t *testing.T) {
	out, err := runOutcall(t, "script", "test", "../../scripting/examples/order_confirmation.js",
		"--contact", `{"name":"王先生","item":"耳机","amount":199}`, "--say", "是的")
	if err != nil {
		t.Fatal(err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("want greeting, one turn and the outcome, got:\n%s", out)
	}
	var turn struct {
		State, Say, Heard, Intent string
		Confidence                float64
		Sentiment                 struct{ Label string }
	}
	json.Unmarshal([]byte(lines[1]), &turn)
	if turn.State != "confirm" || turn.Heard != "是的" || turn.Intent != "affirm" || turn.Confidence < 0.5 || turn.Sentiment.Label == "" {
		t.Errorf("turn %+v", turn)
	}
	if !strings.HasPrefix(lines[2], `{"outcome":"confirmed"`) {
		t.Errorf("last line %s", lines[2])
	}
}

func TestNLUPrintsIntentConfidenceAndSentiment(t *testing.T) {
	out, err := runOutcall(t, "nlu", "--lang", "en", "stop calling me")
	if err != nil {
		t.Fatal(err)
	}
	var u struct {
		Intent     string
		Confidence float64
		Sentiment  struct{ Label string }
	}
	if json.Unmarshal([]byte(out), &u); u.Intent != "stop" || u.Confidence < 0.5 || u.Sentiment.Label == "" {
		t.Errorf("nlu %s", out)
	}
}

func TestSegmentCountsSegmentsAndListsFailedRows(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.js")
	os.WriteFile(rules, []byte(`export function segment(c) {
  if (c.orders < 0) throw new Error("negative orders");
  if (c.vip) return "vip";
  return c.orders >= 5 ? "loyal" : null;
}`), 0o644)
	csv := filepath.Join(dir, "contacts.csv")
	os.WriteFile(csv, []byte("phone,name,vip,orders\n+8613800000001,a,true,1\n13800000002,b,false,7\n13800000003,c,false,2\n13800000004,d,false,-1\n"), 0o644)
	out, err := runOutcall(t, "segment", rules, csv)
	if err != nil {
		t.Fatal(err, out)
	}
	for _, want := range []string{"4 contacts segmented", "vip                  1", "loyal                1", "(none)               1", "1 rows failed:", csv + ":5: 2:27: Error: negative orders"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
