package campaigns_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
)

// leaseOf returns the line leased to a call: whether one is, and when it
// was last renewed.
func (w *world) leaseOf(callID uuid.UUID) (held bool, renewed time.Time) {
	w.t.Helper()
	err := w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(w.ctx, `SELECT leased_at FROM lines WHERE call_id = $1`, callID).Scan(&renewed)
		if err == pgx.ErrNoRows {
			return nil
		}
		held = err == nil
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return held, renewed
}

// age sets the last renewal of a call's lease to ago before the database's
// now: the worker that carries it was last heard of then.
func (w *world) age(callID uuid.UUID, ago time.Duration) {
	w.t.Helper()
	err := w.db.InTenant(w.ctx, w.p.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(w.ctx, `UPDATE lines SET leased_at = now() - $2::interval WHERE call_id = $1`, callID, ago)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// A worker killed mid-call leaves its attempt recorded and its line leased,
// and renews nothing. The reaper sees that lease stale and closes the call
// as interrupted at its last renewal, freeing the line and retrying the
// contact; the call of a live worker, whose lease was renewed, keeps its
// line. A lease that looked stale but was renewed before the second look
// (its worker lost the database for a while) is left alone too.
func TestTheReaperClosesOnlyCallsWhoseLeasesStayedStale(t *testing.T) {
	const staleAfter = 20 * time.Second
	w := newWorld(t)
	w.openRules(w.p)
	c, _ := w.campaignOf(w.p, "13812340001", "13812340002", "13812340003")
	due := w.queue(w.p, c)
	if len(due) != 3 {
		t.Fatalf("%d dials queued, want 3", len(due))
	}
	var calls []uuid.UUID
	for _, a := range due {
		d, err := w.svc.BeginDial(w.ctx, a)
		if err != nil || !d.Place {
			t.Fatalf("%+v %v", d, err)
		}
		calls = append(calls, d.Request.CallID)
	}
	dead, live, cutOff := calls[0], calls[1], calls[2]
	// The dead worker was last heard of a minute ago; the live one renews
	// its lease; the cut-off one was last heard of a minute ago too, as
	// its worker could not reach the database.
	w.age(dead, time.Minute)
	w.age(cutOff, time.Minute)
	if err := w.svc.RenewLeases(w.ctx, map[uuid.UUID][]uuid.UUID{w.p.TenantID: {live}}); err != nil {
		t.Fatal(err)
	}
	_, deadRenewed := w.leaseOf(dead)

	stale, err := w.svc.StaleLeases(w.ctx, []uuid.UUID{w.p.TenantID}, staleAfter)
	if err != nil {
		t.Fatal(err)
	}
	got := map[uuid.UUID]bool{}
	for _, id := range stale[w.p.TenantID] {
		got[id] = true
	}
	if len(got) != 2 || !got[dead] || !got[cutOff] {
		t.Fatalf("stale leases %v; want the dead and the cut-off worker's calls", stale)
	}
	// Between the two looks the cut-off worker is back and renews.
	if err := w.svc.RenewLeases(w.ctx, map[uuid.UUID][]uuid.UUID{w.p.TenantID: {cutOff}}); err != nil {
		t.Fatal(err)
	}
	reaped, err := w.svc.ReapLeases(w.ctx, w.p.TenantID, stale[w.p.TenantID], staleAfter)
	if err != nil {
		t.Fatal(err)
	}
	if len(reaped) != 1 || reaped[0].ID != dead {
		t.Fatalf("reaped %d calls, want only the dead worker's", len(reaped))
	}

	call, err := w.svc.GetCall(w.ctx, w.p, dead)
	if err != nil {
		t.Fatal(err)
	}
	if call.State != "ended" || call.Outcome != telephony.OutcomeInterrupted || call.Reason != campaigns.ReasonWorkerLost {
		t.Fatalf("the dead worker's call: %s %s %q", call.State, call.Outcome, call.Reason)
	}
	if call.EndedAt == nil || !call.EndedAt.Equal(deadRenewed) {
		t.Fatalf("the dead worker's call ended at %v; want its last renewal %v", call.EndedAt, deadRenewed)
	}
	if call.NextAt == nil {
		t.Fatal("the dead worker's contact is not retried")
	}
	if held, _ := w.leaseOf(dead); held {
		t.Fatal("the dead worker's line is still leased")
	}
	for _, id := range []uuid.UUID{live, cutOff} {
		if held, _ := w.leaseOf(id); !held {
			t.Fatal("a live worker's line was freed")
		}
		if c, err := w.svc.GetCall(w.ctx, w.p, id); err != nil || c.State != "dialling" {
			t.Fatalf("a live worker's call: %+v %v", c, err)
		}
	}
	// A second reaper that saw the same leases closes nothing again.
	if again, err := w.svc.ReapLeases(w.ctx, w.p.TenantID, stale[w.p.TenantID], staleAfter); err != nil || len(again) != 0 {
		t.Fatalf("a second reap: %d calls, %v", len(again), err)
	}
	// The live worker's own close still records its real outcome.
	end, err := w.svc.CloseCall(w.ctx, w.p.TenantID, live, campaigns.Ending{Outcome: telephony.OutcomeAnswered})
	if err != nil || end.Outcome != telephony.OutcomeAnswered {
		t.Fatalf("the live call's close: %+v %v", end, err)
	}
}

// Renewal and staleness are per tenant: another tenant's reaper pass and
// renewals neither see nor touch this tenant's leases.
func TestLeasesAreRenewedAndReadPerTenant(t *testing.T) {
	w := newWorld(t)
	w.openRules(w.p)
	other := w.signup("Other")
	w.openRules(other)
	c, _ := w.campaignOf(w.p, "13812340001")
	d, err := w.svc.BeginDial(w.ctx, w.queue(w.p, c)[0])
	if err != nil || !d.Place {
		t.Fatalf("%+v %v", d, err)
	}
	w.age(d.Request.CallID, time.Minute)
	// A renewal filed under the other tenant renews nothing of this one's.
	if err := w.svc.RenewLeases(w.ctx, map[uuid.UUID][]uuid.UUID{other.TenantID: {d.Request.CallID}}); err != nil {
		t.Fatal(err)
	}
	stale, err := w.svc.StaleLeases(w.ctx, []uuid.UUID{other.TenantID}, 20*time.Second)
	if err != nil || len(stale) != 0 {
		t.Fatalf("the other tenant's stale leases: %v %v", stale, err)
	}
	if reaped, err := w.svc.ReapLeases(w.ctx, other.TenantID, []uuid.UUID{d.Request.CallID}, 20*time.Second); err != nil || len(reaped) != 0 {
		t.Fatalf("reaped under the other tenant: %d %v", len(reaped), err)
	}
	stale, err = w.svc.StaleLeases(w.ctx, []uuid.UUID{w.p.TenantID, other.TenantID}, 20*time.Second)
	if err != nil || len(stale) != 1 || len(stale[w.p.TenantID]) != 1 {
		t.Fatalf("stale leases %v %v; want this tenant's one", stale, err)
	}
}
