package campaigns_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/campaigns/hooks"
	"github.com/outcall/outcall/telephony"
)

// What a call captured stays with its record and reaches the contact and
// the webhooks: the script's vars, the slots heard, the last intent; the
// callee's named callback time schedules the next attempt; call.answered
// goes out when the callee picks up.
func TestWhatACallCapturedIsKeptAndItsNamedCallbackTimeIsHonoured(t *testing.T) {
	w := newWorld(t)
	w.configure(func(o *campaigns.Options) { *o = hooks.Add(*o, false) })
	c, people := w.campaignOf(w.p, "13812341234", "13812345678")
	dials := w.queue(w.p, c)
	if len(dials) != 2 {
		t.Fatalf("queued %d dials, want 2", len(dials))
	}
	now := w.clock()
	named := now.Add(26 * time.Hour)
	for i, a := range dials {
		d, err := w.svc.BeginDial(w.ctx, a)
		if err != nil || !d.Place {
			t.Fatalf("dial %d: %+v %v", i, d, err)
		}
		if err := w.svc.MarkAnswered(w.ctx, w.p.TenantID, d.Request.CallID, now); err != nil {
			t.Fatal(err)
		}
		end := campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: now, EndedAt: now.Add(40 * time.Second), CallbackIn: 2 * time.Hour,
			Vars: json.RawMessage(`{"promiseDate":"2026-12-02","asked":2}`), Slots: map[string]any{"date": "2026-12-02", "amount": 3560.5},
			LastIntent: "promise", ContactFields: map[string]json.RawMessage{"promise_date": json.RawMessage(`"2026-12-02"`)}}
		if i == 0 {
			end.CallbackAt = named
		} else {
			end.CallbackAt = now.Add(campaigns.MaxCallbackAhead + time.Hour) // too far: callbackIn instead
		}
		closed, err := w.svc.CloseCall(w.ctx, w.p.TenantID, d.Request.CallID, end)
		if err != nil {
			t.Fatal(err)
		}
		var vars map[string]any
		if err := json.Unmarshal(closed.Vars, &vars); err != nil || vars["promiseDate"] != "2026-12-02" || vars["asked"] != 2.0 {
			t.Errorf("call %d vars %s", i, closed.Vars)
		}
		if closed.Slots["date"] != "2026-12-02" || closed.Slots["amount"] != 3560.5 || closed.LastIntent != "promise" {
			t.Errorf("call %d slots %v, last intent %q", i, closed.Slots, closed.LastIntent)
		}
		if closed.CallbackAt == nil || !closed.CallbackAt.Equal(end.CallbackAt) {
			t.Errorf("call %d callback_at %v, want %v", i, closed.CallbackAt, end.CallbackAt)
		}
		wantNext := named
		if i == 1 {
			wantNext = now.Add(2 * time.Hour)
		}
		if closed.NextAt == nil || !closed.NextAt.Equal(wantNext) {
			t.Errorf("call %d next attempt at %v, want %v", i, closed.NextAt, wantNext)
		}
		// Read back as the API does.
		got, err := w.svc.GetCall(w.ctx, w.p, closed.ID)
		if err != nil || got.LastIntent != "promise" || string(got.Vars) == "" || got.Slots["date"] != "2026-12-02" {
			t.Errorf("call %d read back: %+v %v", i, got, err)
		}
	}
	for _, person := range people {
		ct, err := w.contacts.GetContact(w.ctx, w.p, person.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ct.Attributes["promise_date"] != "2026-12-02" {
			t.Errorf("contact attributes %v, want promise_date written back", ct.Attributes)
		}
	}
	events := map[string]int{}
	var completedWithVars int
	if err := w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(w.ctx, `SELECT type, data FROM webhook_events WHERE type IN ('call.answered', 'call.completed')`)
		if err != nil {
			return err
		}
		var typ string
		var data map[string]any
		_, err = pgx.ForEachRow(rows, []any{&typ, &data}, func() error {
			events[typ]++
			if vars, ok := data["vars"].(map[string]any); typ == "call.completed" && ok && vars["promiseDate"] == "2026-12-02" && data["last_intent"] == "promise" && data["callback_at"] != nil {
				completedWithVars++
			}
			if typ == "call.answered" && data["call_id"] == nil {
				t.Errorf("call.answered without its call: %v", data)
			}
			return nil
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if events["call.answered"] != 2 || events["call.completed"] != 2 || completedWithVars != 2 {
		t.Errorf("events %v, %d call.completed with what the call captured; want 2 answered and 2 completed with it", events, completedWithVars)
	}
}

// The conversation does not wait for the answered mark, so a talked call
// can close before its mark lands (the database was away, or the call was
// short): the close sends its call.answered, in the transaction that sends
// its call.completed, and a mark that comes after the close changes
// nothing. A call the mark did reach is not announced twice, and a
// voicemail, which nobody talked to, not at all.
func TestACallTalkedWhoseAnsweredMarkNeverLandedIsAnnouncedAtItsClose(t *testing.T) {
	w := newWorld(t)
	w.configure(func(o *campaigns.Options) { *o = hooks.Add(*o, false) })
	c, _ := w.campaignOf(w.p, "13812341234", "13812345678", "13812349999")
	dials := w.queue(w.p, c)
	if len(dials) != 3 {
		t.Fatalf("queued %d dials, want 3", len(dials))
	}
	now := w.clock()
	callIDs := make([]string, len(dials))
	for i, a := range dials {
		d, err := w.svc.BeginDial(w.ctx, a)
		if err != nil || !d.Place {
			t.Fatalf("dial %d: %+v %v", i, d, err)
		}
		callIDs[i] = d.Request.CallID.String()
		end := campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: now, EndedAt: now.Add(20 * time.Second), Talked: true}
		switch i {
		case 0: // marked as the callee picked up
			if err := d.Request.Answered(now); err != nil {
				t.Fatal(err)
			}
		case 2: // a machine answered: no conversation, no mark
			end.Outcome, end.Talked = telephony.OutcomeVoicemail, false
		}
		if _, err := w.svc.CloseCall(w.ctx, w.p.TenantID, d.Request.CallID, end); err != nil {
			t.Fatal(err)
		}
		if i == 1 { // the mark that never landed comes after the close
			if err := d.Request.Answered(now); err != nil {
				t.Fatal(err)
			}
		}
	}
	answered := map[string]int{}
	sent := map[string]map[string]time.Time{} // call → event type → sent at
	if err := w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(w.ctx, `SELECT type, data->>'call_id', created_at FROM webhook_events WHERE type IN ('call.answered', 'call.completed')`)
		if err != nil {
			return err
		}
		var typ, call string
		var at time.Time
		_, err = pgx.ForEachRow(rows, []any{&typ, &call, &at}, func() error {
			if typ == "call.answered" {
				answered[call]++
			}
			if sent[call] == nil {
				sent[call] = map[string]time.Time{}
			}
			sent[call][typ] = at
			return nil
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if answered[callIDs[0]] != 1 || answered[callIDs[1]] != 1 || answered[callIDs[2]] != 0 || len(sent) != 3 {
		t.Errorf("call.answered per call %v of calls %v: want once for the marked call, once for the unmarked one, none for the voicemail", answered, callIDs)
	}
	if at := sent[callIDs[1]]; at["call.answered"].IsZero() || !at["call.answered"].Equal(at["call.completed"]) {
		t.Errorf("the unmarked call's events were sent at %v: want its call.answered with its call.completed", at)
	}
}

// A campaign's counts show a contact whose call was answered as in a
// call, and one still ringing as being dialled; once closed, as done.
func TestACampaignCountsItsContactsInACallByTheirCalls(t *testing.T) {
	w := newWorld(t)
	c, _ := w.campaignOf(w.p, "13812341234", "13812345678")
	dials := w.queue(w.p, c)
	if len(dials) != 2 {
		t.Fatalf("queued %d dials, want 2", len(dials))
	}
	now := w.clock()
	var placed []*campaigns.Dial
	for i, a := range dials {
		d, err := w.svc.BeginDial(w.ctx, a)
		if err != nil || !d.Place {
			t.Fatalf("dial %d: %+v %v", i, d, err)
		}
		placed = append(placed, d)
	}
	if err := placed[0].Request.Answered(now); err != nil {
		t.Fatal(err)
	}
	counts := func() map[string]int {
		t.Helper()
		got, err := w.svc.CampaignCounts(w.ctx, w.p, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.ByState
	}
	if got := counts(); got["in_call"] != 1 || got["dialling"] != 1 || got["done"] != 0 {
		t.Fatalf("by state %v: want 1 in a call and 1 being dialled", got)
	}
	for _, d := range placed {
		if _, err := w.svc.CloseCall(w.ctx, w.p.TenantID, d.Request.CallID, campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: now, EndedAt: now.Add(time.Minute), Talked: true}); err != nil {
			t.Fatal(err)
		}
	}
	if got := counts(); got["in_call"] != 0 || got["dialling"] != 0 || got["done"] != 2 {
		t.Fatalf("by state %v after the close: want both done", got)
	}
}
