package scripting

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const balanceScript = `export default {
  start: "balance",
  lang: "zh-CN",
  states: {
    balance: {
      http: { endpoint: "crm", path: "/accounts/${c.contact.account}/balance?from=${c.contact.name}", timeout: "1500ms", as: "bal", failed: "sorry" },
      say: c => "您的待还金额是" + c.http.bal.data.amount + "元,今天能还吗?",
      on: { affirm: "promise", deny: "sorry" },
    },
    promise: {
      http: { endpoint: "crm", method: "POST", path: "/promises", body: c => ({ account: c.contact.account, amount: c.http.bal.data.amount }) },
      say: "好的,已为您记录,编号\${c.http.crm.data.id}。",
      end: "promised",
    },
    sorry: { say: "抱歉,暂时查不到您的账单,稍后再联系您。", end: "callback", callbackIn: "2h" },
  },
};`

// A state's http asks the tenant's endpoint before it speaks: the step
// waits with the rendered request (placeholders escaped as path segments),
// the answer is c.http[as] for its words and for the next states', a
// POST carries the script's JSON body, and every request is in the
// step's record with its status and latency, the account number masked.
func TestAStateAsksTheTenantsEndpointBeforeItSpeaks(t *testing.T) {
	s, ds := Compile("balance.js", balanceScript)
	if s == nil {
		t.Fatal(ds)
	}
	sess, err := s.NewSession(Contact{"account": "6222021234567890", "name": "王 先生/"}, SessionOptions{HTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	step, err := sess.Start()
	if err != nil {
		t.Fatal(err)
	}
	r := step.Request
	if r == nil || step.Say != "" {
		t.Fatalf("the greeting did not wait for its request: %+v", step)
	}
	if r.Endpoint != "crm" || r.Method != "GET" || r.As != "bal" || r.Timeout.Duration() != 1500*time.Millisecond ||
		r.Path != "/accounts/6222021234567890/balance?from=%E7%8E%8B%20%E5%85%88%E7%94%9F%2F" {
		t.Fatalf("the request: %+v", r)
	}
	if _, err := sess.Turn("是的"); err != ErrPending {
		t.Fatalf("a turn while a request is out: %v, want ErrPending", err)
	}
	if _, err := sess.Resolve(Answer{Intent: "affirm"}); err == nil {
		t.Fatal("Resolve took the answer of a request")
	}
	step, err = sess.Respond(Response{Status: 200, Data: json.RawMessage(`{"amount": 1280.5}`), Latency: Millis(42 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if step.Request != nil || step.Say != "您的待还金额是1280.5元,今天能还吗?" || step.State != "balance" {
		t.Fatalf("after the answer: %+v", step)
	}
	if len(step.Requests) != 1 || step.Requests[0].Status != 200 || step.Requests[0].LatencyMS != 42 || step.Requests[0].Failure != "" ||
		step.Requests[0].Path != "/accounts/************7890/balance?…" {
		t.Fatalf("the step's requests: %+v", step.Requests)
	}

	step, err = sess.Turn("是的")
	if err != nil {
		t.Fatal(err)
	}
	if r := step.Request; r == nil || r.Method != "POST" || r.Path != "/promises" || r.As != "crm" ||
		string(r.Body) != `{"account":"6222021234567890","amount":1280.5}` || r.Timeout.Duration() != DefaultRequestTimeout {
		t.Fatalf("the promise's request: %+v", step.Request)
	}
	step, err = sess.Respond(Response{Status: 201, Data: json.RawMessage(`{"id":"P-77"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !step.Done || step.Say != "好的,已为您记录,编号P-77。" || step.Intent != "affirm" {
		t.Fatalf("the promise's step: %+v", step)
	}
	if res := sess.Result(); res == nil || res.Outcome != "promised" {
		t.Fatalf("result %+v", sess.Result())
	}
	if _, err := sess.Respond(Response{Status: 200}); err == nil {
		t.Fatal("Respond with no request out")
	}
}

// A request that fails (a status outside 2xx, a timeout, no endpoint
// caller, too many requests) goes to the state its http.failed names, and
// the record says why; a state without failed speaks with c.http[as].ok
// false.
func TestAFailedRequestGoesWhereTheStateSays(t *testing.T) {
	s, ds := Compile("balance.js", balanceScript)
	if s == nil {
		t.Fatal(ds)
	}
	for _, tc := range []struct {
		name string
		res  Response
		want string
	}{
		{"status", Response{Status: 503, Data: json.RawMessage(`{"error":"down"}`)}, "status 503"},
		{"timeout", Response{Failure: "timed out", Latency: Millis(1500 * time.Millisecond)}, "timed out"},
		{"2xx that failed to read", Response{Status: 200, Failure: "the answer is larger than 64 KiB"}, "the answer is larger than 64 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sess, _ := s.NewSession(Contact{"account": "1"}, SessionOptions{HTTP: true})
			if _, err := sess.Start(); err != nil {
				t.Fatal(err)
			}
			step, err := sess.Respond(tc.res)
			if err != nil {
				t.Fatal(err)
			}
			if step.State != "sorry" || step.Via != "http.failed" || !step.Done || len(step.Requests) != 1 ||
				step.Requests[0].Failure != tc.want || step.Requests[0].Failed != "sorry" {
				t.Fatalf("step %+v, requests %+v", step, step.Requests)
			}
			if r := sess.Result(); r.Outcome != "callback" {
				t.Fatalf("result %+v", r)
			}
		})
	}

	// Without an endpoint caller (the command-line simulator), the request
	// fails at once: no step waits.
	sess, _ := s.NewSession(Contact{"account": "1"}, SessionOptions{})
	step, err := sess.Start()
	if err != nil {
		t.Fatal(err)
	}
	if step.Request != nil || step.State != "sorry" || len(step.Requests) != 1 || step.Requests[0].Failure != noFetcher {
		t.Fatalf("without a fetcher: %+v %+v", step, step.Requests)
	}

	// A state without failed reads ok: false and the error.
	s2, ds := Compile("soft.js", `export default {
  start: "look",
  states: {
    look: {
      http: { endpoint: "orders", path: c => "/orders/" + c.contact.order },
      say: c => c.http.orders.ok ? "您的订单已发货。" : "暂时查不到(" + c.http.orders.error + "),稍后联系您。",
      end: "done",
    },
  },
};`)
	if s2 == nil {
		t.Fatal(ds)
	}
	sess, _ = s2.NewSession(Contact{"order": "A1"}, SessionOptions{HTTP: true})
	step, _ = sess.Start()
	if step.Request == nil || step.Request.Path != "/orders/A1" || step.Request.As != "orders" {
		t.Fatalf("request %+v", step.Request)
	}
	step, _ = sess.Respond(Response{Status: 404})
	if step.Say != "暂时查不到(status 404),稍后联系您。" || step.Via != "start" {
		t.Fatalf("step %+v", step)
	}
}

// A call makes at most MaxRequestsPerCall requests: one that loops
// through an http state gets failures, not an endless stream of requests.
func TestACallsRequestsAreCapped(t *testing.T) {
	s, ds := Compile("loop.js", `export default {
  start: "ask",
  states: {
    ask: { http: { endpoint: "crm", path: "/ping" }, say: c => c.http.crm.ok ? "好" : "不行", on: { affirm: "ask", deny: "bye" }, default: "ask" },
    bye: { say: "再见", end: "done" },
  },
};`)
	if s == nil {
		t.Fatal(ds)
	}
	sess, _ := s.NewSession(nil, SessionOptions{HTTP: true})
	step, _ := sess.Start()
	sent := 0
	for i := 0; i < MaxRequestsPerCall+5; i++ {
		if step.Request != nil {
			sent++
			if step, _ = sess.Respond(Response{Status: 200, Data: json.RawMessage(`{}`)}); step.Say != "好" {
				t.Fatalf("turn %d said %q", i, step.Say)
			}
		}
		step, _ = sess.Turn("好的")
	}
	if sent != MaxRequestsPerCall || step.Request != nil || step.Say != "不行" || !strings.Contains(step.Requests[0].Failure, "made its 20 requests") {
		t.Fatalf("%d requests sent; last step %+v %+v", sent, step, step.Requests)
	}
}

// Mistakes in a state's http are found when the script is saved, at
// their line; a path a function builds that climbs out of the endpoint
// ends the call at that state's line.
func TestHTTPMistakesAreFoundWithTheirLine(t *testing.T) {
	for _, tc := range []struct {
		http string
		want string
	}{
		{`{ endpoint: "CRM!", path: "/a" }`, "http.endpoint names one of the tenant's registered endpoints"},
		{`{ endpoint: "crm", path: "a" }`, "http.path must start with /"},
		{`{ endpoint: "crm", body: {a: 1} }`, "a GET request has no body"},
		{`{ endpoint: "crm", method: "TRACE" }`, "http.method must be GET, POST, PUT, PATCH or DELETE"},
		{`{ endpoint: "crm", timeout: "10s" }`, "http.timeout must be from 100ms to 5s"},
		{`{ endpoint: "crm", failed: "nowhere" }`, `http.failed refers to unknown state "nowhere"`},
		{`{ endpoint: "crm", failed: "a" }`, "http.failed must name another state"},
		{`{ endpoint: "crm", url: "https://evil.example" }`, `http has an unknown field "url"`},
	} {
		src := "export default {\n  start: \"a\",\n  states: {\n    a: {\n      http: " + tc.http + ",\n      say: \"hi\", end: \"x\" },\n  },\n};"
		s, ds := Compile("bad.js", src)
		if s != nil {
			t.Fatalf("%s compiled", tc.http)
		}
		found := false
		for _, d := range ds {
			if strings.Contains(d.Message, tc.want) && d.Line == 5 {
				found = true
			}
		}
		if !found {
			t.Fatalf("%s: diagnostics %+v, want %q on line 5", tc.http, ds, tc.want)
		}
	}

	s, ds := Compile("climb.js", `export default {
  start: "a",
  states: {
    a: { http: { endpoint: "crm", path: c => "/../admin" }, say: "hi", end: "x" },
  },
};`)
	if s == nil {
		t.Fatal(ds)
	}
	sess, _ := s.NewSession(nil, SessionOptions{HTTP: true})
	step, _ := sess.Start()
	if step.Request != nil || step.Error == nil || !strings.Contains(step.Error.Message, "must not contain . or .. segments") || step.Error.Line != 4 {
		t.Fatalf("step %+v error %+v", step, step.Error)
	}
}

// The graph shows where a failed request goes.
func TestTheGraphShowsAFailedRequestsEdge(t *testing.T) {
	s, ds := Compile("balance.js", balanceScript)
	if s == nil {
		t.Fatal(ds)
	}
	found := false
	for _, e := range s.Graph().Edges {
		if e.From == "balance" && e.To == "sorry" && e.Intent == "http.failed" {
			found = true
		}
	}
	if !found {
		t.Fatalf("edges %+v", s.Graph().Edges)
	}
}

type cannedFetcher struct{ asked []Request }

func (f *cannedFetcher) Fetch(_ context.Context, r *Request) Response {
	f.asked = append(f.asked, *r)
	return Response{Status: 200, Data: json.RawMessage(`{"amount": 99}`), Latency: Millis(5 * time.Millisecond)}
}

// In a script host, as calls run: the step waits across the process
// boundary and the request's answer finishes it there.
func TestAScriptHostWaitsForARequest(t *testing.T) {
	p := testPool(t, HostConfig{Hosts: 1})
	f := &cannedFetcher{}
	tr, ds, err := p.Simulate(context.Background(), "balance.js", balanceScript, Contact{"account": "42"}, []string{"不行"}, SessionOptions{}, nil, f)
	if err != nil {
		t.Fatal(err, ds)
	}
	if len(f.asked) != 1 || f.asked[0].Path != "/accounts/42/balance?from=" {
		t.Fatalf("asked %+v", f.asked)
	}
	if len(tr.Turns) != 2 || tr.Turns[0].Say != "您的待还金额是99元,今天能还吗?" || tr.Turns[1].State != "sorry" || tr.Result == nil || tr.Result.Outcome != "callback" {
		t.Fatalf("transcript %+v", tr.Turns)
	}
}

// A state's model sees what the call's requests answered (masked as the
// contact is), and may say the numbers in it — the balance the tenant's
// system gave — but no other.
func TestTheModelSeesWhatTheRequestsAnswered(t *testing.T) {
	s, ds := Compile("ask.js", `export default {
  start: "balance",
  lang: "zh-CN",
  llm: { system: "还款提醒" },
  states: {
    balance: {
      http: { endpoint: "crm", path: "/balance", as: "bal" },
      say: "您好,想跟您确认一下本期账单。",
      on: { affirm: "done" },
      llm: { reply: "回答关于账单金额的问题" },
    },
    done: { say: "好的,再见。", end: "done" },
  },
};`)
	if s == nil {
		t.Fatal(ds)
	}
	sess, _ := s.NewSession(nil, SessionOptions{HTTP: true, AskModel: true})
	if _, err := sess.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Respond(Response{Status: 200, Data: json.RawMessage(`{"amount": 1280.5, "card": "6222021234567890"}`)}); err != nil {
		t.Fatal(err)
	}
	step, err := sess.Turn("我这个月到底要还多少钱来着")
	if err != nil || step.Ask == nil {
		t.Fatalf("no ask: %+v %v", step, err)
	}
	data, _ := json.Marshal(step.Ask.Data)
	if string(data) != `{"bal":{"data":{"amount":1280.5,"card":"************7890"},"ok":true,"status":200}}` {
		t.Fatalf("the model is shown %s", data)
	}
	step, err = sess.Resolve(Answer{Reply: "您本期需要还款1280.5元。"})
	if err != nil || step.Model == nil || !step.Model.Used || step.Say != "您本期需要还款1280.5元。" {
		t.Fatalf("a reply with the system's amount: %+v %+v %v", step, step.Model, err)
	}
	step, _ = sess.Turn("那最低还多少")
	if step.Ask == nil {
		t.Fatal("no ask")
	}
	step, _ = sess.Resolve(Answer{Reply: "最低还款300元。"})
	if step.Model.Used || !strings.Contains(step.Model.Rejected, "a number (300) nobody said") {
		t.Fatalf("a reply with a number nobody gave: %+v", step.Model)
	}
}
