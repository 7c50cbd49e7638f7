package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/outcall/outcall/scripting/llm/llmtest"
)

const orderScript = `export default {
  start: "greeting",
  lang: "zh-CN",
  states: {
    greeting: {
      say: "您好${contact.name},想跟您确认一下订单。",
      on: { affirm: "confirm", deny: "bye" },
    },
    confirm: { say: "好的,已为您确认。", end: "confirmed", tags: ["converted"] },
    bye: { say: "好的,打扰了。", end: "declined" },
  },
};
`

func TestAScriptIsSavedPublishedAndSimulated(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	created := h.do(nil, "POST", "/v1/scripts", map[string]any{"name": "订单确认", "source": orderScript}, bearer(a.Key)...)
	if created.Status != 201 || created.Body["version"] == nil {
		t.Fatalf("create: %d %s", created.Status, created.Raw)
	}
	id := created.str("id")
	v := h.do(nil, "GET", "/v1/scripts/"+id+"/versions/1", nil, bearer(a.Key)...)
	if v.Status != 200 || !strings.Contains(v.Raw, `"start":"greeting"`) || !strings.Contains(v.Raw, `"confirm"`) {
		t.Fatalf("version with graph: %d %s", v.Status, v.Raw)
	}
	if r := h.do(nil, "POST", "/v1/scripts/"+id+"/versions/1/publish", nil, bearer(a.Key)...); r.Status != 200 || r.str("published_at") == "" {
		t.Fatalf("publish: %d %s", r.Status, r.Raw)
	}
	sim := h.do(nil, "POST", "/v1/scripts/"+id+"/versions/1/simulate", map[string]any{"contact": map[string]any{"name": "王先生"}, "utterances": []string{"是的"}}, bearer(a.Key)...)
	if sim.Status != 200 {
		t.Fatalf("simulate: %d %s", sim.Status, sim.Raw)
	}
	for _, want := range []string{"您好王先生", `"affirm"`, `"confirmed"`} {
		if !strings.Contains(sim.Raw, want) {
			t.Fatalf("transcript lacks %s: %s", want, sim.Raw)
		}
	}
	// A second version gets the next number; the first stays as it was.
	v2 := h.do(nil, "POST", "/v1/scripts/"+id+"/versions", map[string]any{"source": strings.Replace(orderScript, "打扰了", "再见", 1)}, bearer(a.Key)...)
	if v2.Status != 201 || v2.Body["number"] != float64(2) {
		t.Fatalf("second version: %d %s", v2.Status, v2.Raw)
	}
	if r := h.do(nil, "GET", "/v1/scripts/"+id+"/versions/1", nil, bearer(a.Key)...); !strings.Contains(r.Raw, "打扰了") {
		t.Fatalf("version 1 changed")
	}
}

func TestABadScriptIsRefusedWithLineAndColumnAndNothingIsSaved(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	cases := map[string]string{
		"a syntax error":   "export default {\n  start: \"a\",\n  states: { a: { say: \"hi\" end: \"x\" } },\n};\n",
		"an unknown state": "export default {\n  start: \"a\",\n  states: {\n    a: { say: \"hi\", on: { affirm: \"nowhere\" } },\n  },\n};\n",
		"no start":         "export default { states: { a: { say: \"hi\", end: \"x\" } } };\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			r := h.do(nil, "POST", "/v1/scripts", map[string]any{"name": name, "source": src}, bearer(a.Key)...)
			if r.Status != 422 || !strings.Contains(r.Raw, `"location":"body.source"`) || !strings.Contains(r.Raw, `"line":`) {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
		})
	}
	if r := h.do(nil, "GET", "/v1/scripts", nil, bearer(a.Key)...); r.Status != 200 || len(r.Body["items"].([]any)) != 0 {
		t.Fatalf("refused scripts were saved: %s", r.Raw)
	}
	check := h.do(nil, "POST", "/v1/scripts/check", map[string]any{"source": cases["an unknown state"]}, bearer(a.Key)...)
	if check.Status != 200 || check.Body["ok"] != false || !strings.Contains(check.Raw, `"line":4`) {
		t.Fatalf("check: %d %s", check.Status, check.Raw)
	}
}

func TestPublishingRefusesSensitivePromptsUnlessAllowed(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	src := "export default {\n  start: \"a\",\n  states: {\n    a: { say: \"请告诉我您的验证码\", end: \"x\" },\n  },\n};\n"
	id := h.do(nil, "POST", "/v1/scripts", map[string]any{"name": "risky", "source": src}, bearer(a.Key)...).str("id")
	r := h.do(nil, "POST", fmt.Sprintf("/v1/scripts/%s/versions/1/publish", id), nil, bearer(a.Key)...)
	if r.Status != 422 || !strings.Contains(r.Raw, "验证码") || !strings.Contains(r.Raw, `"line":4`) {
		t.Fatalf("publish with a sensitive prompt: %d %s", r.Status, r.Raw)
	}
	r = h.do(nil, "POST", fmt.Sprintf("/v1/scripts/%s/versions/1/publish", id), map[string]any{"allow_sensitive": true}, bearer(a.Key)...)
	if r.Status != 200 || r.str("published_at") == "" || !strings.Contains(r.Raw, `"severity":"warning"`) {
		t.Fatalf("publish allowing sensitive prompts: %d %s", r.Status, r.Raw)
	}
}

// A regular expression that backtracks catastrophically (a lookahead sends
// it to the backtracking engine) costs the request its CPU budget and gets
// an answer that says where; the script host it ran in lives on and
// answers the next request.
func TestACatastrophicRegexpGetsAClearAnswerAndKillsNoHost(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	const evil = "const slow = /^(?=a)(a+)+b$/.test(\"a\".repeat(40));\nexport default { start: \"a\", states: { a: { say: \"hi\", end: \"x\" } } };\n"
	check := h.do(nil, "POST", "/v1/scripts/check", map[string]any{"source": evil}, bearer(a.Key)...)
	if check.Status != 200 || check.Body["ok"] != false || !strings.Contains(check.Raw, "CPU budget") || !strings.Contains(check.Raw, `"line":1`) {
		t.Fatalf("check: %d %s", check.Status, check.Raw)
	}
	f := h.segmentFixture(a)
	const slowRules = "export function segment(c) {\n  return /^(?=a)(a+)+b$/.test(\"a\".repeat(40)) ? \"x\" : null;\n}\n"
	preview := h.do(nil, "POST", "/v1/segments/preview", map[string]any{"source": slowRules, "list_id": f.listID}, bearer(a.Key)...)
	if preview.Status != 200 || preview.Body["failed"] != preview.Body["sampled"] || !strings.Contains(preview.Raw, "CPU budget") {
		t.Fatalf("preview: %d %s", preview.Status, preview.Raw)
	}
	if ok := h.do(nil, "POST", "/v1/scripts/check", map[string]any{"source": orderScript}, bearer(a.Key)...); ok.Status != 200 || ok.Body["ok"] != true {
		t.Fatalf("a check after the attack: %d %s", ok.Status, ok.Raw)
	}
}

// The simulator asks the tenant's model as a call would, and the
// transcript says when and why the model was used.
func TestTheSimulatorAsksTheTenantsModel(t *testing.T) {
	h := newHarness(t)
	a := h.signup("A", "a@example.com")
	model := llmtest.New("sk-model")
	defer model.Close()
	model.Respond(func(llmtest.Request) llmtest.Response { return llmtest.Response{Content: `{"intent":"affirm"}`} })
	const src = `export default {
  start: "greeting",
  states: {
    greeting: { say: "想跟您确认一下订单。", on: { affirm: "confirm", deny: "bye" }, llm: "classify" },
    confirm: { say: "好的,已为您确认。", end: "confirmed" },
    bye: { say: "好的,打扰了。", end: "declined" },
  },
};`
	created := h.do(nil, "POST", "/v1/scripts", map[string]any{"name": "确认", "source": src}, bearer(a.Key)...)
	if created.Status != 201 {
		t.Fatalf("create: %d %s", created.Status, created.Raw)
	}
	path := "/v1/scripts/" + created.str("id") + "/versions/1/simulate"
	body := map[string]any{"utterances": []string{"那个事情我上礼拜就弄好了"}}
	// Without a model the unsure answer is not understood.
	if r := h.do(nil, "POST", path, body, bearer(a.Key)...); r.Status != 200 || strings.Contains(r.Raw, `"model"`) || !strings.Contains(r.Raw, `"fallback"`) {
		t.Fatalf("without a model: %d %s", r.Status, r.Raw)
	}
	if r := h.do(nil, "PUT", "/v1/speech", map[string]any{"llm": "openai", "llm_url": model.BaseURL(), "llm_model": "qwen-plus", "llm_api_key": "sk-model"}, bearer(a.Key)...); r.Status != 200 {
		t.Fatalf("set the model: %d %s", r.Status, r.Raw)
	}
	r := h.do(nil, "POST", path, body, bearer(a.Key)...)
	if r.Status != 200 || !strings.Contains(r.Raw, `"via":"llm.classify"`) || !strings.Contains(r.Raw, `"used":true`) || !strings.Contains(r.Raw, `"confirmed"`) {
		t.Fatalf("with the model: %d %s", r.Status, r.Raw)
	}
	if n := len(model.Requests()); n != 1 {
		t.Fatalf("the model was asked %d times", n)
	}
}
