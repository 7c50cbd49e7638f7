package scratch

import (
	"testing"
	"time"
)

// Each awkward moment is the next one to come, so a faked database clock is
// never behind the tests' own.
func TestTheAwkwardMomentsAreTheNextOnesToCome(t *testing.T) {
	sh, la := zone("Asia/Shanghai"), zone("America/Los_Angeles")
	cases := []struct {
		moment string
		now    time.Time
		want   time.Time
	}{
		{"sunday-night-shanghai", time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC), time.Date(2026, 12, 6, 23, 59, 0, 0, sh)},
		{"sunday-night-shanghai", time.Date(2026, 12, 6, 23, 59, 30, 0, sh), time.Date(2026, 12, 13, 23, 59, 0, 0, sh)},
		{"month-end-shanghai", time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 23, 59, 30, 0, sh)},
		{"month-end-shanghai", time.Date(2026, 12, 31, 23, 59, 45, 0, sh), time.Date(2027, 1, 31, 23, 59, 30, 0, sh)},
		{"month-end-shanghai", time.Date(2027, 2, 3, 0, 0, 0, 0, sh), time.Date(2027, 2, 28, 23, 59, 30, 0, sh)},
		{"la-spring-forward", time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC), time.Date(2027, 3, 14, 1, 59, 0, 0, la)},
		{"la-spring-forward", time.Date(2027, 3, 14, 3, 0, 0, 0, la), time.Date(2028, 3, 12, 1, 59, 0, 0, la)},
	}
	for _, c := range cases {
		if got := Moments[c.moment](c.now); !got.Equal(c.want) {
			t.Errorf("%s after %v: %v, want %v", c.moment, c.now, got, c.want)
		}
	}
	// The night itself: a minute later the clocks jump an hour.
	m := Moments["la-spring-forward"](time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC))
	if _, off := m.Zone(); off != -8*3600 {
		t.Errorf("the moment is at offset %d, want standard time", off)
	}
	if _, off := m.Add(2 * time.Minute).Zone(); off != -7*3600 {
		t.Errorf("two minutes later the offset is %d, want summer time", off)
	}
}
