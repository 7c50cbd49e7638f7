package scripting

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

const tierRules = `export function segment(c) {
  if (c.boom) { const keep = []; for (;;) keep.push("x".repeat(1 << 20) + keep.length); }
  if (c.broken) return c.missing.name;
  return c.tier;
}
`

// A contact whose rule brings its script host down fails alone: the batch
// is split and sent again until only that contact is left, and every
// other contact keeps its segment.
func TestAContactWhoseRuleKillsItsHostFailsAloneAndTheOthersKeepTheirSegments(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's address space reservations collide with RLIMIT_AS")
	}
	p := testPool(t, HostConfig{Hosts: 1, MemoryLimit: 64 << 20, Limits: Limits{Budget: 20 * time.Second}, Timeout: 30 * time.Second})
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
		switch i {
		case 3:
			if !strings.Contains(r.Error, "stopped the script host") || r.Segment != "" {
				t.Errorf("the contact that ran the host out of memory: %+v", r)
			}
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
