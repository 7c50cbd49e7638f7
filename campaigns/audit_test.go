package campaigns_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/outcall/outcall/contacts"
)

// The audit trail is ordered by cause and effect and timed by the service's
// one clock, however far that clock stands from the database's: a trail
// that mixed the two once put a refusal before the do-not-call entry it
// cited.
func TestTheAuditTrailKeepsCausalOrderWhateverTheServiceClockSays(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	for _, clock := range []time.Time{
		time.Date(2019, 6, 3, 10, 0, 0, 0, cst),  // years behind the database
		time.Date(2031, 3, 4, 10, 0, 0, 0, cst),  // years ahead of it
		time.Now().In(cst).Truncate(time.Second), // beside it
	} {
		t.Run(clock.Format("2006-01-02"), func(t *testing.T) {
			w := newWorld(t)
			// A weekday morning in the callee's time, so only the list refuses.
			for clock.Weekday() == time.Saturday || clock.Weekday() == time.Sunday || clock.Hour() < 9 || clock.Hour() >= 20 {
				clock = time.Date(clock.Year(), clock.Month(), clock.Day()+1, 10, 0, 0, 0, cst)
			}
			w.setNow(clock)
			const phone = "+8613812345678"
			if _, err := w.contacts.RecordConsent(w.ctx, w.p, phone, contacts.ConsentInput{Source: "web form", GivenAt: clock.Add(-48 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.contacts.WithdrawConsent(w.ctx, w.p, phone); err != nil {
				t.Fatal(err)
			}
			if _, err := w.contacts.AddDNC(w.ctx, w.p, []string{phone}, "complaint"); err != nil {
				t.Fatal(err)
			}
			c, _ := w.campaignOf(w.p, phone)
			for _, a := range w.queue(w.p, c) {
				d, err := w.svc.BeginDial(w.ctx, a)
				if err != nil {
					t.Fatal(err)
				}
				if d.Place || d.Refusal == nil || d.Refusal.Reason != "dnc" {
					t.Fatalf("dial of a listed number: place %v, refusal %+v; want a dnc refusal", d.Place, d.Refusal)
				}
			}
			if err := w.contacts.RemoveDNC(w.ctx, w.p, phone, "asked to be called again"); err != nil {
				t.Fatal(err)
			}
			trail, err := w.contacts.Audit(w.ctx, w.p, phone)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, e := range trail.Events {
				kinds = append(kinds, e.Kind)
				if !e.At.Equal(clock) {
					t.Errorf("%s at %v, want the service clock's %v", e.Kind, e.At, clock)
				}
			}
			want := []string{"consent", "consent_withdrawn", "dnc_added", "refusal", "dnc_removed"}
			if !slices.Equal(kinds, want) {
				t.Fatalf("audit trail %v, want %v", kinds, want)
			}
			if d := trail.Events[0].Detail; d != fmt.Sprintf("consent given %s; scope: ", clock.Add(-48*time.Hour).UTC().Format(time.RFC3339)) {
				t.Errorf("consent detail %q", d)
			}
		})
	}
}
