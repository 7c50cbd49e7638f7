package campaigns_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/contacts"
	"github.com/outcall/outcall/telephony"
)

func TestAWorkerThatDiesMidCallDoesNotCauseASecondDial(t *testing.T) {
	w := newWorld(t)
	c, _ := w.campaignOf(w.p, "13812341234")
	a := w.queue(w.p, c)[0]
	first, err := w.svc.BeginDial(w.ctx, a)
	if err != nil || !first.Place {
		t.Fatalf("first run: %+v %v", first, err)
	}
	// While the call's line lease is fresh, a process carries the call: a
	// run of the job again (its end not recorded) leaves the call to it.
	again, err := w.svc.BeginDial(w.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if again.Place {
		t.Fatal("the same attempt was dialled twice")
	}
	if call, err := w.svc.GetCall(w.ctx, w.p, first.Request.CallID); err != nil || call.State == "ended" {
		t.Fatalf("the call whose lease is fresh was closed by the job's next run: %+v %v", call, err)
	}
	// The worker dies here, and its lease goes stale; River runs the job
	// again with the same arguments.
	if err := w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(w.ctx, `UPDATE lines SET leased_at = leased_at - $1::interval WHERE call_id = $2`, campaigns.LiveLeaseWithin+time.Second, first.Request.CallID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	again, err = w.svc.BeginDial(w.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if again.Place {
		t.Fatal("the same attempt was dialled twice")
	}
	call, err := w.svc.GetCall(w.ctx, w.p, first.Request.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if call.State != "ended" || call.Outcome != telephony.OutcomeInterrupted || call.Reason != campaigns.ReasonJobRerun || call.NextAt == nil {
		t.Fatalf("the interrupted attempt: %+v", call)
	}
	var held int
	w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(w.ctx, `SELECT count(*) FROM lines WHERE call_id IS NOT NULL`).Scan(&held)
	})
	if held != 0 {
		t.Fatalf("%d lines still held", held)
	}
	// A late close from the dead worker's dialer changes nothing.
	late, err := w.svc.CloseCall(w.ctx, w.p.TenantID, first.Request.CallID, campaigns.Ending{Outcome: telephony.OutcomeAnswered})
	if err != nil || late.Outcome != telephony.OutcomeInterrupted {
		t.Fatalf("late close: %+v %v", late, err)
	}
}

func TestClosingACallSchedulesItsFollowUp(t *testing.T) {
	cases := []struct {
		name   string
		result campaigns.Ending
		state  string
		after  time.Duration // from the clock, when the contact is due again
		dnc    bool
	}{
		{"busy is retried after ten minutes", campaigns.Ending{Outcome: telephony.OutcomeBusy}, "pending", 10 * time.Minute, false},
		{"no answer is retried after two hours", campaigns.Ending{Outcome: telephony.OutcomeNoAnswer}, "pending", 2 * time.Hour, false},
		{"failed is retried after five minutes", campaigns.Ending{Outcome: telephony.OutcomeFailed}, "pending", 5 * time.Minute, false},
		{"an answered call is done", campaigns.Ending{Outcome: telephony.OutcomeAnswered}, "done", 0, false},
		{"a script's callbackIn calls again", campaigns.Ending{Outcome: telephony.OutcomeAnswered, CallbackIn: 2 * time.Hour}, "pending", 2 * time.Hour, false},
		{"a callee who says stop goes on the do-not-call list", campaigns.Ending{Outcome: telephony.OutcomeAnswered, OptOut: true}, "done", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			c, people := w.campaignOf(w.p, "13812341234")
			d, err := w.svc.BeginDial(w.ctx, w.queue(w.p, c)[0])
			if err != nil || !d.Place {
				t.Fatalf("%+v %v", d, err)
			}
			var billed *campaigns.Call
			w.configure(func(o *campaigns.Options) {
				o.OnClose = []campaigns.CloseHook{func(_ context.Context, _ pgx.Tx, calls []*campaigns.Call) error { billed = calls[0]; return nil }}
			})
			tc.result.AnsweredAt = tuesdayNoon
			tc.result.EndedAt = tuesdayNoon.Add(61 * time.Second)
			if tc.result.Outcome != telephony.OutcomeAnswered {
				tc.result.AnsweredAt = time.Time{}
			}
			call, err := w.svc.CloseCall(w.ctx, w.p.TenantID, d.Request.CallID, tc.result)
			if err != nil {
				t.Fatal(err)
			}
			if billed == nil || billed.ID != call.ID {
				t.Fatal("the close hook did not see the call")
			}
			if tc.result.Outcome == telephony.OutcomeAnswered && call.BillableSeconds != 61 {
				t.Fatalf("billable seconds %d, want 61", call.BillableSeconds)
			}
			var state string
			var next time.Time
			w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
				return tx.QueryRow(w.ctx, `SELECT state, next_at FROM campaign_contacts WHERE contact_id = $1`, people[0].ID).Scan(&state, &next)
			})
			if state != tc.state || (tc.after > 0 && !next.Equal(tuesdayNoon.Add(tc.after))) {
				t.Fatalf("contact %s due %v; want %s due %v", state, next, tc.state, tuesdayNoon.Add(tc.after))
			}
			dnc, _ := w.contacts.ListDNC(w.ctx, w.p, 10, "")
			if (len(dnc) == 1) != tc.dnc || (tc.dnc && dnc[0].Source != contacts.DNCSourceCalleeStop) {
				t.Fatalf("do-not-call list %+v", dnc)
			}
		})
	}
}
