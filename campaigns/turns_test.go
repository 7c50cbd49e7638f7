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

// PostgreSQL takes no NUL character in text or JSON; a script or a
// recogniser that produced one does not make its call's close impossible.
func TestACloseWithNULCharactersIsRecordedWithoutThem(t *testing.T) {
	w := newWorld(t)
	w.openRules(w.p)
	c, _ := w.campaignOf(w.p, "13800000001")
	due := w.queue(w.p, c)
	d, err := w.svc.BeginDial(w.ctx, due[0])
	if err != nil || !d.Place {
		t.Fatalf("dial: %+v %v", d, err)
	}
	at := time.Now()
	_, err = w.svc.CloseCall(w.ctx, w.p.TenantID, d.Request.CallID, campaigns.Ending{
		Outcome: telephony.OutcomeAnswered, AnsweredAt: at, EndedAt: at.Add(time.Second), FinalState: "do\x00ne",
		Vars:  json.RawMessage(`{"note":"a\u0000b","path":"c:\\u0000x"}`),
		Slots: map[string]any{"date": "2026\x00-12-05"},
		Turns: []campaigns.Turn{{Seq: 1, State: "greeting", Said: "您好\x00", Heard: "喂\x00", StartedAt: at, EndedAt: at}},
	})
	if err != nil {
		t.Fatalf("a close with NUL characters: %v", err)
	}
	call, err := w.svc.GetCall(w.ctx, w.p, d.Request.CallID)
	if err != nil {
		t.Fatal(err)
	}
	var vars map[string]string
	json.Unmarshal(call.Vars, &vars)
	if call.FinalState != "done" || call.Turns[0].Said != "您好" || call.Turns[0].Heard != "喂" || vars["note"] != "ab" || vars["path"] != `c:\u0000x` || call.Slots["date"] != "2026-12-05" {
		t.Fatalf("recorded: state %q, turn %+v, vars %v, slots %v", call.FinalState, call.Turns[0], vars, call.Slots)
	}
}
