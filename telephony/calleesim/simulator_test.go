package calleesim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

func TestParsePersonasRejectsUnknownOutcomes(t *testing.T) {
	_, err := calleesim.ParsePersonas([]byte(`{"personas":[{"name":"x","unanswered":{"maybe":1}}]}`))
	if err == nil || !strings.Contains(err.Error(), "maybe") {
		t.Fatalf("got %v", err)
	}
	ps, err := calleesim.ParsePersonas([]byte(`{"personas":[{"name":"wang","kind":"human","voice":"cmn","greeting":"喂?","lines":[{"say":"是的","pause_ms":300},{"dtmf":"1"},{"hangup":true}]}]}`))
	if err != nil || len(ps) != 1 || len(ps[0].Lines) != 3 || ps[0].Lines[1].DTMF != "1" {
		t.Fatalf("parsed %+v, %v", ps, err)
	}
}

// The simulator starts on a free loopback port, answers OPTIONS and a
// call, and stops cleanly with the call in progress.
func TestSimulatorStartsAnswersAndStopsCleanly(t *testing.T) {
	sim, err := calleesim.Start(context.Background(), calleesim.Config{
		Personas: []calleesim.Persona{{Name: "quiet", Kind: calleesim.KindHuman, HoldMS: 60000}},
		TTS:      telephony.ToneTTS{},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := telephony.NewSIPDialer(telephony.DialerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if h, err := d.Ping(context.Background(), sim.Trunk()); err != nil || !h.Up {
		t.Fatalf("OPTIONS: %+v %v", h, err)
	}
	answered := make(chan struct{})
	done := make(chan telephony.CallResult)
	go func() {
		res, _ := d.Dial(context.Background(), telephony.DialRequest{Trunk: sim.Trunk(), To: "123"},
			telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
				close(answered)
				<-ctx.Done()
				return nil
			}))
		done <- res
	}()
	select {
	case <-answered:
	case <-time.After(5 * time.Second):
		t.Fatal("call not answered")
	}
	if sim.Active() != 1 {
		t.Fatalf("simulator has %d calls, want 1", sim.Active())
	}
	start := time.Now()
	sim.Close()
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Close took %v", took)
	}
	res := <-done
	if res.Outcome != telephony.OutcomeAnswered || res.HangupBy != "callee" {
		t.Fatalf("after Close: %s by %q (%s), want answered and hung up by the callee", res.Outcome, res.HangupBy, res.Reason)
	}
}

func TestSamplePersonaFileLoads(t *testing.T) {
	ps, err := calleesim.LoadPersonas("testdata/personas.json")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[calleesim.Kind]int{}
	for _, p := range ps {
		kinds[p.Kind]++
	}
	if kinds[calleesim.KindHuman] == 0 || kinds[calleesim.KindVoicemail] == 0 || kinds[calleesim.KindScreener] == 0 {
		t.Fatalf("sample file lacks a kind: %v", kinds)
	}
}
