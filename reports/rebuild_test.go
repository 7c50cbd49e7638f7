package reports_test

import (
	"testing"
	"time"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/reports"
	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/tenants"
)

// After the tenant changes what counts as a conversion, a rebuild recounts
// the calls already folded by the new settings; it leaves calls still
// waiting in the inbox to the next fold (counted once), gives the same
// figures when run again, needs the admin role, and touches no other
// tenant's rollups.
func TestRebuildingReportsRecountsConversionsByTheNewSettings(t *testing.T) {
	w := newWorld(t)
	w.openRules(w.p)
	other := w.signup("Other")
	w.openRules(other)
	w.setNow(tuesdayNoon)
	byPhone := map[string]string{"+8613900000001": "outcome:confirmed", "+8613900000002": "outcome:paid", "+8613900000003": "outcome:paid", "+8613900000004": ""}
	closeAll := func(p tenants.Principal, phones ...string) {
		c := w.campaignOf(p, phones...)
		w.dialAll(p, c, func(req campaigns.Placement) campaigns.Ending {
			r := campaigns.Ending{Outcome: telephony.OutcomeAnswered, AnsweredAt: tuesdayNoon, EndedAt: tuesdayNoon.Add(time.Minute)}
			if tag := byPhone[req.Phone]; tag != "" {
				r.Tags = []string{tag}
			}
			return r
		})
	}
	outcomes := func(p tenants.Principal) *reports.OutcomesReport {
		t.Helper()
		return must[*reports.OutcomesReport](t)(w.svc.Outcomes(w.ctx, p, reports.Filter{}))
	}
	closeAll(w.p, "13900000001", "13900000002", "13900000003", "13900000004")
	closeAll(other, "13900000001", "13900000002")
	if got := outcomes(w.p); got.Connected != 4 || got.Conversions != 1 {
		t.Fatalf("by the default settings: %d connected, %d conversions; want 4 and 1", got.Connected, got.Conversions)
	}
	if got := outcomes(other); got.Conversions != 1 {
		t.Fatalf("the other tenant: %d conversions, want 1", got.Conversions)
	}

	if _, err := w.svc.SetSettings(w.ctx, w.p, reports.Settings{ConversionOutcomes: []string{"paid"}}); err != nil {
		t.Fatal(err)
	}
	if got := outcomes(w.p); got.Conversions != 1 {
		t.Fatalf("new settings apply to calls folded from now on: %d conversions before the rebuild, want 1", got.Conversions)
	}
	// One more paid call closes and waits in the inbox: no report read it.
	closeAll(w.p, "13900000003")

	viewer := w.p
	viewer.Role = tenants.RoleOperator
	if _, err := w.svc.Rebuild(w.ctx, viewer); tenants.ErrorCode(err) != tenants.EForbidden {
		t.Fatalf("an operator rebuilt the reports: %v", err)
	}
	for run := 1; run <= 2; run++ {
		n, err := w.svc.Rebuild(w.ctx, w.p)
		if err != nil {
			t.Fatal(err)
		}
		// The first rebuild finds the fifth call in the inbox; the report
		// after it folds that call, so the second counts all five.
		if want := 3 + run; n != want {
			t.Fatalf("rebuild %d counted %d calls, want %d", run, n, want)
		}
		if got := outcomes(w.p); got.Attempts != 5 || got.Connected != 5 || got.Conversions != 3 {
			t.Fatalf("after rebuild %d: %d attempts, %d connected, %d conversions; want 5, 5 and 3 (two paid calls and the one from the inbox)",
				run, got.Attempts, got.Connected, got.Conversions)
		}
	}
	if got := outcomes(other); got.Attempts != 2 || got.Conversions != 1 {
		t.Fatalf("the other tenant after A's rebuild: %d attempts, %d conversions; want 2 and 1", got.Attempts, got.Conversions)
	}
}
