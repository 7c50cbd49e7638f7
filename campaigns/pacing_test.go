package campaigns_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/telephony"
)

func TestAheadQueuesForTheLinesExpectedToFreeWithinTheLookahead(t *testing.T) {
	m := campaigns.CallMeasure{Calls: 100, AnswerRate: 0.4, Ring: 300 * time.Millisecond, Talk: 500 * time.Millisecond}
	if m.Hold() != 500*time.Millisecond {
		t.Fatalf("hold %v, want 300 ms ring + 0.4 × 500 ms talk", m.Hold())
	}
	cases := []struct {
		name      string
		m         campaigns.CallMeasure
		busy      int
		lookahead time.Duration
		want      int
	}{
		{"a fifth of the hold time frees a fifth of the busy lines", m, 10, 100 * time.Millisecond, 2},
		{"never more than the busy lines", m, 10, 10 * time.Second, 10},
		{"nothing when no line is busy", m, 0, time.Second, 0},
		{"nothing before enough calls are measured", campaigns.CallMeasure{Calls: 5, Ring: time.Millisecond}, 10, time.Second, 0},
		{"long calls free nothing within the lookahead", campaigns.CallMeasure{Calls: 100, AnswerRate: 0.9, Ring: 5 * time.Second, Talk: time.Minute}, 50, 200 * time.Millisecond, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.m.Ahead(c.busy, c.lookahead); got != c.want {
				t.Fatalf("Ahead(%d, %v) = %d, want %d", c.busy, c.lookahead, got, c.want)
			}
		})
	}
}

// With every line busy, a round queues the dials for the lines the
// measured calls say will free soon; those dials still cannot take a line
// until one is free, and the queue runs no further ahead.
func TestPacingQueuesAheadOfBusyLinesFromTheMeasuredAnswerRateAndRingTime(t *testing.T) {
	w := newWorld(t)
	rules := unpaced(campaigns.DefaultCompliance())
	rules.MaxConcurrentLines = 4
	rules.MaxDailyCalls = 10
	if _, err := w.svc.SetCompliance(w.ctx, w.p, rules); err != nil {
		t.Fatal(err)
	}
	w.configure(func(o *campaigns.Options) { o.PaceInterval = 500 * time.Millisecond }) // a lookahead of a second
	phones := make([]string, 40)
	for i := range phones {
		phones[i] = fmt.Sprintf("1380000%04d", i)
	}
	c, _ := w.campaignOf(w.p, phones...)

	// Twenty calls, two in five answered: 300 ms of ringing, 500 ms of talk.
	closed := 0
	for closed < 20 {
		round, err := w.svc.Pace(w.ctx, w.p.TenantID, c.ID, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if round.Ahead != 0 {
			t.Fatalf("round with %d calls measured queued %d ahead", closed, round.Ahead)
		}
		for _, a := range w.queue(w.p, c) {
			d, err := w.svc.BeginDial(w.ctx, a)
			if err != nil || !d.Place {
				t.Fatalf("dial: %+v %v", d, err)
			}
			at := time.Now()
			res := campaigns.Ending{Outcome: telephony.OutcomeNoAnswer, RingTime: 300 * time.Millisecond, EndedAt: at}
			if closed%5 < 2 {
				res = campaigns.Ending{Outcome: telephony.OutcomeAnswered, RingTime: 300 * time.Millisecond, AnsweredAt: at, EndedAt: at.Add(500 * time.Millisecond)}
			}
			if _, err := w.svc.CloseCall(w.ctx, w.p.TenantID, d.Request.CallID, res); err != nil {
				t.Fatal(err)
			}
			closed++
		}
	}

	// All four lines busy.
	for _, a := range w.queue(w.p, c) {
		if d, err := w.svc.BeginDial(w.ctx, a); err != nil || !d.Place {
			t.Fatalf("dial: %+v %v", d, err)
		}
	}
	round, err := w.svc.Pace(w.ctx, w.p.TenantID, c.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if round.Measure.Calls != 20 || round.Measure.AnswerRate != 0.4 || round.Measure.Hold() != 500*time.Millisecond {
		t.Fatalf("measure: %+v (hold %v)", round.Measure, round.Measure.Hold())
	}
	// 4 busy lines × 1 s lookahead ÷ 0.5 s hold = 8, at most the 4 busy lines.
	if round.Ahead != 4 || round.Queued != 4 {
		t.Fatalf("with every line busy the round queued %d (ahead %d), want 4", round.Queued, round.Ahead)
	}
	if again, _ := w.svc.Pace(w.ctx, w.p.TenantID, c.ID, 1000); again.Queued != 0 {
		t.Fatalf("the next round queued %d more", again.Queued)
	}
	// A shorter lookahead queues fewer: 4 × 0.25 s ÷ 0.5 s = 2 (the
	// four queued already count against it).
	w.configure(func(o *campaigns.Options) {
		o.PaceInterval, o.PaceLookahead = 500*time.Millisecond, 250*time.Millisecond
	})
	if r, _ := w.svc.Pace(w.ctx, w.p.TenantID, c.ID, 1000); r.Ahead != 2 || r.Queued != 0 {
		t.Fatalf("a quarter-second lookahead: ahead %d, queued %d", r.Ahead, r.Queued)
	}

	// The queued dials wait for a line: the cap holds.
	ahead := w.queue(w.p, c)
	if _, err := w.svc.BeginDial(w.ctx, ahead[0]); !errors.Is(err, campaigns.ErrNoFreeLine) {
		t.Fatalf("a dial queued ahead took a line while all were busy: %v", err)
	}
}

func TestAPacingRoundNeverQueuesMoreThanItsBudget(t *testing.T) {
	w := newWorld(t)
	phones := make([]string, 30)
	for i := range phones {
		phones[i] = fmt.Sprintf("1380000%04d", i)
	}
	c, _ := w.campaignOf(w.p, phones...)
	for _, budget := range []int{3, 5, 7} {
		before := len(w.queued(c))
		round, err := w.svc.Pace(w.ctx, w.p.TenantID, c.ID, budget)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(w.queued(c)) - before; round.Queued != budget || got != budget {
			t.Fatalf("a round with a budget of %d queued %d contacts (reported %d)", budget, got, round.Queued)
		}
	}
}

// A tenant's calls per second hold across all its campaigns at once, and
// within its plan's: pacing rounds of two campaigns share one bucket of
// dial starts, refilled at the tenant's pace.
func TestATenantsPaceHoldsAcrossItsCampaignsAndWithinItsPlan(t *testing.T) {
	w := newWorld(t)
	rules := unpaced(campaigns.DefaultCompliance())
	rules.QuietHours, rules.MinRetryInterval, rules.MaxDailyCalls, rules.MaxConcurrentLines = []string{}, 0, 100, 100
	rules.CallsPerSecond = 4
	if _, err := w.svc.SetCompliance(w.ctx, w.p, rules); err != nil {
		t.Fatal(err)
	}
	phones := func(from int) []string {
		out := make([]string, 20)
		for i := range out {
			out[i] = fmt.Sprintf("1380000%04d", from+i)
		}
		return out
	}
	a, _ := w.campaignOf(w.p, phones(0)...)
	b, _ := w.campaignOf(w.p, phones(100)...)
	pace := func(c *campaigns.Campaign) int {
		r, err := w.svc.Pace(w.ctx, w.p.TenantID, c.ID, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if r.CallsPerSecond != 4 {
			t.Fatalf("the round's pace is %g, want the tenant's 4", r.CallsPerSecond)
		}
		return r.Queued
	}
	start := time.Now()
	first, second := pace(a), pace(b)
	if took := time.Since(start); first+second > 4+int(4*took.Seconds())+1 {
		t.Fatalf("two campaigns queued %d and %d dials within %v at 4 a second", first, second, took)
	}
	if first < 1 {
		t.Fatalf("the first round queued nothing")
	}
	// The bucket refills at the tenant's pace.
	waitFor := time.Now().Add(10 * time.Second)
	total := first + second
	for total < 12 && time.Now().Before(waitFor) {
		total += pace(a) + pace(b)
		time.Sleep(50 * time.Millisecond)
	}
	if rate := float64(total-4) / time.Since(start).Seconds(); total < 12 || rate > 4.5 {
		t.Fatalf("queued %d dials in %v (%.1f a second past the first second's 4), want about 4 a second", total, time.Since(start), rate)
	}

	// A plan's pace caps the tenant's settings.
	w.configure(func(o *campaigns.Options) { o.PlanCallsPerSecond = func(string) float64 { return 1 } })
	r, err := w.svc.Pace(w.ctx, w.p.TenantID, a.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if r.CallsPerSecond != 1 || r.Queued > 1 {
		t.Fatalf("with a plan of 1 a second: pace %g, queued %d", r.CallsPerSecond, r.Queued)
	}
}
