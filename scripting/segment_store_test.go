package scripting

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

const tierRules = `export function segment(c) {
  if (c.boom) { const keep = []; let s = "x".repeat(1 << 20); for (let i = 0; ; i++) { s = s + s + i; keep.push(s); } }
  if (c.broken) return c.missing.name;
  return c.tier;
}
`

// Rules that bring their script host down for one contact are not run
// again, for any contact, until they are changed: every contact of the
// batch says why, and the host that replaced the dead one serves the
// corrected rules. (Splitting the batch to find the contact would take a
// host down again for each half that holds it.)
func TestRulesThatKillTheirHostAreQuarantinedUntilChanged(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's address space reservations collide with RLIMIT_AS")
	}
	p := testPool(t, HostConfig{Hosts: 1, MemoryLimit: 64 << 20, Limits: Limits{Budget: MaxBudget}, Timeout: 30 * time.Second})
	st := &Store{Runner: p}
	contacts := make([]Contact, 4)
	for i := range contacts {
		contacts[i] = Contact{"tier": fmt.Sprintf("tier%d", i%3)}
	}
	contacts[3]["boom"] = true
	contacts[0]["broken"] = true
	rs, err := st.SegmentContacts(context.Background(), "tiers.js", tierRules, contacts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if !strings.Contains(r.Error, "brought down the sandbox") || !strings.Contains(r.Error, "memory limit") || r.Segment != "" {
			t.Errorf("contact %d: %+v, want the quarantine and its reason", i, r)
		}
	}
	fixed := strings.Replace(tierRules, "if (c.boom)", "if (c.boom && false)", 1)
	var again []SegmentResult
	for deadline := time.Now().Add(10 * time.Second); ; {
		if again, err = st.SegmentContacts(context.Background(), "tiers.js", fixed, contacts); err == nil && again[1].Error == "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // the replacement host may still be starting
	}
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again {
		switch i {
		case 0:
			if r.Line != 3 || !strings.Contains(r.Error, "TypeError") {
				t.Errorf("the contact whose rule threw: %+v", r)
			}
		default:
			if r.Error != "" || r.Segment != fmt.Sprintf("tier%d", i%3) {
				t.Errorf("contact %d: %+v, want tier%d", i, r, i%3)
			}
		}
	}
	// Rules that do not compile are one error with their line, not one per contact.
	if _, err := st.SegmentContacts(context.Background(), "bad.js", "export function segment(c) {\n  return ;;; }}\n", contacts[:3]); err == nil ||
		!strings.Contains(err.Error(), "2:") {
		t.Fatalf("rules that do not compile: %v", err)
	}
}
