package telephony_test

import (
	"context"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
)

// The simulated streaming recogniser endpoints by itself: its final comes
// once FinalAfter of quiet follows speech, with the simulator's text, and
// End's final follows it before the results close.
func TestTheSimulatedStreamingRecognizerEndpointsAfterItsQuiet(t *testing.T) {
	r := telephony.SimulationStreamingRecognizer{FinalAfter: 100 * time.Millisecond}
	sess, err := r.Open(context.Background(), telephony.StreamOptions{SimulationText: func() string { return "是的" }})
	if err != nil {
		t.Fatal(err)
	}
	quiet := make([]int16, telephony.SampleRate/50)
	speech := telephony.Tone(300, telephony.SampleRate/2, 8000)
	sess.Write(quiet)
	sess.Write(speech)
	sess.Write(quiet) // 20 ms of quiet: not yet
	select {
	case h := <-sess.Results():
		t.Fatalf("a final after 20 ms of quiet: %+v", h)
	default:
	}
	for range 4 {
		sess.Write(quiet)
	}
	h := <-sess.Results()
	if !h.Final || h.Text != "是的" || h.End != 520*time.Millisecond {
		t.Fatalf("endpoint %+v, want the final 是的 ending at 520 ms", h)
	}
	sess.End()
	if h, ok := <-sess.Results(); !ok || !h.Final || h.Text != "是的" {
		t.Fatalf("End's final %+v %v", h, ok)
	}
	if _, ok := <-sess.Results(); ok {
		t.Fatal("the results stay open after End")
	}
}
