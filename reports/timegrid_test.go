package reports_test

import (
	"bytes"
	"encoding/csv"
	"math"
	"testing"
	"time"

	"github.com/outcall/outcall/campaigns"
	"github.com/outcall/outcall/phone"
	"github.com/outcall/outcall/reports"
	"github.com/outcall/outcall/telephony"
)

// The time report's grid counts each weekday and hour in the callee's own
// time zone: one moment lands in different cells for callees in Shanghai
// and New York, refusals are not dialled, and every other cell is empty.
func TestTimeReportGridCountsEachWeekdayHourExactly(t *testing.T) {
	w := newWorld(t)
	w.openRules(w.p)
	if _, err := w.contacts.AddDNC(w.ctx, w.p, []string{"13900000007"}, "asked before"); err != nil {
		t.Fatal(err)
	}
	at := func(when time.Time, results map[string]telephony.Outcome, converted ...string) {
		w.setNow(when)
		phones := make([]string, 0, len(results))
		for ph := range results {
			phones = append(phones, ph)
		}
		c := w.campaignOf(w.p, phones...)
		conv := map[string]bool{}
		for _, ph := range converted {
			conv[ph] = true
		}
		w.dialAll(w.p, c, func(req campaigns.Placement) campaigns.Ending {
			for ph, o := range results {
				if n, _ := phone.Normalise(ph, "CN"); n == req.Phone {
					r := campaigns.Ending{Outcome: o, EndedAt: when.Add(time.Minute)}
					if o == telephony.OutcomeAnswered {
						r.AnsweredAt = when.Add(5 * time.Second)
					}
					if conv[ph] {
						r.Tags = []string{"converted"}
					}
					return r
				}
			}
			t.Fatalf("unexpected call to %s", req.Phone)
			return campaigns.Ending{}
		})
	}
	cst := tuesdayNoon.Location()
	// Tuesday 20:00 in Shanghai is Tuesday 07:00 in New York.
	at(time.Date(2026, 11, 24, 20, 0, 0, 0, cst), map[string]telephony.Outcome{
		"13900000001":  telephony.OutcomeAnswered,
		"13900000002":  telephony.OutcomeAnswered,
		"13900000003":  telephony.OutcomeBusy,
		"13900000007":  telephony.OutcomeAnswered, // on the do-not-call list: refused, never dialled
		"+12125550101": telephony.OutcomeAnswered,
	}, "13900000001", "+12125550101")
	// Saturday 09:30 in Shanghai.
	at(time.Date(2026, 11, 28, 9, 30, 0, 0, cst), map[string]telephony.Outcome{
		"13900000004": telephony.OutcomeNoAnswer,
		"13900000005": telephony.OutcomeAnswered,
	})

	got := must[*reports.TimeReport](t)(w.svc.Time(w.ctx, w.p, reports.Filter{}))
	if o := got.Overall; o.Dialled != 6 || o.Connected != 4 || o.Conversions != 2 {
		t.Fatalf("overall %+v, want 6 dialled, 4 connected, 2 conversions", o)
	}
	overall := 4.0 / 6
	want := map[[2]int]reports.TimeCell{
		{2, 20}: {Weekday: 2, Hour: 20, Dialled: 3, Connected: 2, Conversions: 1, AnswerRate: 2.0 / 3, ConversionRate: 0.5, AnswerLift: (2.0/3)/overall - 1},
		{2, 7}:  {Weekday: 2, Hour: 7, Dialled: 1, Connected: 1, Conversions: 1, AnswerRate: 1, ConversionRate: 1, AnswerLift: 1/overall - 1},
		{6, 9}:  {Weekday: 6, Hour: 9, Dialled: 2, Connected: 1, AnswerRate: 0.5, AnswerLift: 0.5/overall - 1},
	}
	if len(got.Grid) != 168 {
		t.Fatalf("%d cells, want 168", len(got.Grid))
	}
	round := func(c reports.TimeCell) reports.TimeCell {
		c.AnswerLift = math.Round(c.AnswerLift*1e9) / 1e9
		return c
	}
	for i, c := range got.Grid {
		w, ok := want[[2]int{i / 24, i % 24}]
		if !ok {
			w = reports.TimeCell{Weekday: i / 24, Hour: i % 24}
		}
		if round(c) != round(w) {
			t.Errorf("cell %d: %+v, want %+v", i, c, w)
		}
	}

	var b bytes.Buffer
	if err := got.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+1+24+7+168 {
		t.Fatalf("%d CSV rows, want a header, overall, 24 hours, 7 weekdays and 168 cells", len(rows))
	}
	cells := map[string][]string{}
	for _, r := range rows {
		if r[0] == "weekday_hour" {
			cells[r[1]] = r[2:5]
		}
	}
	for slot, counts := range map[string]string{"tue 20": "3 2 1", "tue 7": "1 1 1", "sat 9": "2 1 0", "sun 0": "0 0 0", "wed 20": "0 0 0"} {
		c := cells[slot]
		if len(c) != 3 || c[0]+" "+c[1]+" "+c[2] != counts {
			t.Errorf("CSV cell %s: %v, want %s", slot, c, counts)
		}
	}
}
