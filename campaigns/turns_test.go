package campaigns_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
)

// A closed call keeps each turn's voice and what the tenant's model did
// in it, and the call its model tokens and caller ID.
func TestACallKeepsItsTurnsVoiceAndModelUse(t *testing.T) {
	w := newWorld(t)
	w.openRules(w.p)
	c, _ := w.campaignOf(w.p, "13800000001")
	due := w.queue(w.p, c)
	if len(due) != 1 {
		t.Fatalf("%d dials queued", len(due))
	}
	d, err := w.svc.BeginDial(w.ctx, due[0])
	if err != nil || !d.Place {
		t.Fatalf("dial: %+v %v", d, err)
	}
	at := time.Now()
	use := json.RawMessage(`{"kind":"classify","why":"no_match","intent":"affirm","used":true,"latencyMs":180,"tokens":42}`)
	_, err = w.svc.CloseCall(w.ctx, w.p.TenantID, d.Request.CallID, campaigns.Ending{
		Outcome: telephony.OutcomeAnswered, AnsweredAt: at, EndedAt: at.Add(20 * time.Second), ModelTokens: 42, CallerID: "+862150001234",
		Turns: []campaigns.Turn{
			{Seq: 1, State: "greeting", Said: "您好", StartedAt: at, EndedAt: at},
			{Seq: 2, State: "sorry", Said: "非常抱歉", Heard: "烦不烦", Emotion: "apologetic", Model: use, StartedAt: at, EndedAt: at},
		}})
	if err != nil {
		t.Fatal(err)
	}
	call, err := w.svc.GetCall(w.ctx, w.p, d.Request.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if call.ModelTokens != 42 || call.CallerID != "+862150001234" || len(call.Turns) != 2 {
		t.Fatalf("call: %d tokens, caller ID %q, %d turns", call.ModelTokens, call.CallerID, len(call.Turns))
	}
	if call.Turns[0].Emotion != "" || call.Turns[0].Model != nil || call.Turns[1].Emotion != "apologetic" {
		t.Fatalf("turns: %+v", call.Turns)
	}
	var got map[string]any
	if err := json.Unmarshal(call.Turns[1].Model, &got); err != nil || got["intent"] != "affirm" || got["used"] != true {
		t.Fatalf("the turn's model use: %s (%v)", call.Turns[1].Model, err)
	}
}
