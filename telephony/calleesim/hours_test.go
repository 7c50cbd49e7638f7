package calleesim_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

func TestAnswerByHourReadsTheCalleesLocalHour(t *testing.T) {
	ps, err := calleesim.ParsePersonas([]byte(`{"personas":[{"name":"evenings","answer_probability":0.3,
		"answer_by_hour":{"19-21":0.65,"12":0.45,"22-5":0.05}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p := ps[0]
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	for _, c := range []struct {
		hour int
		want float64
	}{{19, 0.65}, {21, 0.65}, {12, 0.45}, {13, 0.3}, {22, 0.05}, {23, 0.05}, {0, 0.05}, {5, 0.05}, {6, 0.3}, {18, 0.3}} {
		if got := p.AnswerProbabilityAt(time.Date(2026, 11, 4, c.hour, 30, 0, 0, shanghai)); got != c.want {
			t.Errorf("at %02d:30: %v, want %v", c.hour, got, c.want)
		}
	}
	var always calleesim.Persona
	if got := always.AnswerProbabilityAt(time.Now()); got != 1 {
		t.Errorf("a persona without probabilities answers with %v, want 1", got)
	}
}

func TestPersonaFilesWithBadHoursOrZonesAreRefused(t *testing.T) {
	for _, c := range []struct{ persona, want string }{
		{`"answer_by_hour":{"24":0.5}`, "hour 0-23"},
		{`"answer_by_hour":{"evening":0.5}`, "hour 0-23"},
		{`"answer_by_hour":{"19-21":1.5}`, "0 to 1"},
		{`"answer_by_hour":{"19-21":0.5,"21-22":0.1}`, "hour 21 twice"},
		{`"time_zone":"Mars/Olympus"`, "IANA"},
		{`"answer_probability":-1`, "0 to 1"},
	} {
		_, err := calleesim.ParsePersonas([]byte(`{"personas":[{"name":"x",` + c.persona + `}]}`))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error saying %q", c.persona, err, c.want)
		}
	}
	if _, err := calleesim.Start(context.Background(), calleesim.Config{Personas: []calleesim.Persona{
		{Name: "x", AnswerByHour: map[string]float64{"25": 1}}}}); err == nil {
		t.Error("Start took a persona with hour 25")
	}
}

func TestTheCalleesTimeZoneIsThePersonasElseTheNumbers(t *testing.T) {
	for number, want := range map[string]string{
		"+8613900001234": "Asia/Shanghai",
		"12125550123":    "America/New_York",
		"+64210001234":   "Pacific/Auckland",
		"100":            "UTC",
	} {
		if got := (calleesim.Persona{}).Location(number).String(); got != want {
			t.Errorf("%s: %s, want %s", number, got, want)
		}
	}
	if got := (calleesim.Persona{TimeZone: "Europe/Berlin"}).Location("+8613900001234").String(); got != "Europe/Berlin" {
		t.Errorf("the persona's own zone: %s, want Europe/Berlin", got)
	}
}

// Over SIP: by the simulator's clock, a callee in Shanghai answers in
// its evening and is busy at its night; the same moment is the evening
// of another number's zone only when the persona has no zone of its own.
func TestTheSimulatorAnswersByTheCalleesLocalHourOnItsClock(t *testing.T) {
	// The simulator reads the clock on its own goroutines.
	var now atomic.Pointer[time.Time]
	setNow := func(t time.Time) { now.Store(&t) }
	sim, err := calleesim.Start(context.Background(), calleesim.Config{
		Personas: []calleesim.Persona{
			{Name: "evenings", Kind: calleesim.KindHuman, HoldMS: 1,
				AnswerByHour: map[string]float64{"19-21": 1, "22-18": 0}, Unanswered: map[string]float64{"busy": 1}},
			{Name: "berlin-evenings", Numbers: []string{"+8613900000009"}, TimeZone: "Europe/Berlin", Kind: calleesim.KindHuman, HoldMS: 1,
				AnswerByHour: map[string]float64{"19-21": 1, "22-18": 0}, Unanswered: map[string]float64{"busy": 1}},
		},
		TTS: telephony.ToneTTS{},
		Now: func() time.Time { return *now.Load() },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	d, err := telephony.NewSIPDialer(telephony.DialerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	hangUp := telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error { return c.Hangup(ctx) })
	dial := func(to string) telephony.CallResult {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: to, RingTimeout: 5 * time.Second}, hangUp)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// 12:00 UTC is 20:00 in Shanghai and 13:00 in Berlin.
	setNow(time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC))
	if res := dial("+8613900000001"); res.Outcome != telephony.OutcomeAnswered {
		t.Errorf("20:00 in Shanghai: %s, want answered", res.Outcome)
	}
	if res := dial("+8613900000009"); res.Outcome != telephony.OutcomeBusy {
		t.Errorf("13:00 in Berlin: %s, want busy", res.Outcome)
	}
	// 19:00 UTC is 03:00 in Shanghai and 20:00 in Berlin.
	setNow(time.Date(2026, 11, 4, 19, 0, 0, 0, time.UTC))
	if res := dial("+8613900000001"); res.Outcome != telephony.OutcomeBusy {
		t.Errorf("03:00 in Shanghai: %s, want busy", res.Outcome)
	}
	if res := dial("+8613900000009"); res.Outcome != telephony.OutcomeAnswered {
		t.Errorf("20:00 in Berlin: %s, want answered", res.Outcome)
	}
	hours := map[string][]int{}
	for _, r := range sim.Records() {
		hours[r.Number] = append(hours[r.Number], r.LocalTime.Hour())
	}
	if h := hours["+8613900000001"]; len(h) != 2 || h[0]+h[1] != 23 {
		t.Errorf("Shanghai calls recorded at local hours %v, want 20 and 3", h)
	}
}
