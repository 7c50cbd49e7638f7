package telephony

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The media clock takes only whole frames from a stream still arriving
// (a gap is silence, not a clipped word), the rest once it has ended, and
// learns that it has ended with its last frame.
func TestAnAudioStreamGivesTheClockWholeFramesUntilItEnds(t *testing.T) {
	a := NewAudioStream()
	select {
	case <-a.Ready():
		t.Fatal("an empty stream is ready")
	default:
	}
	frame := make([]int16, 160)
	if n, done := a.frame(0, frame); n != 0 || done {
		t.Fatalf("an empty open stream gave %d samples (done %v)", n, done)
	}
	a.Write(make([]int16, 250))
	<-a.Ready()
	if n, done := a.frame(0, frame); n != 160 || done {
		t.Fatalf("first frame: %d samples, done %v", n, done)
	}
	if n, done := a.frame(160, frame); n != 0 || done {
		t.Fatalf("a part frame of an open stream: %d samples, done %v; want none yet", n, done)
	}
	a.Write(make([]int16, 100))
	if n, done := a.frame(160, frame); n != 160 || done {
		t.Fatalf("second frame: %d samples, done %v", n, done)
	}
	a.Close(nil)
	if n, done := a.frame(320, frame); n != 30 || !done {
		t.Fatalf("the end: %d samples, done %v; want the last 30 and done", n, done)
	}
	a.Write(make([]int16, 10)) // after the end: dropped
	if pcm, err := a.Wait(context.Background()); len(pcm) != 350 || err != nil {
		t.Fatalf("whole: %d samples, %v", len(pcm), err)
	}
	broken := NewAudioStream()
	broken.Write(make([]int16, 10))
	why := errors.New("the connection dropped")
	broken.Close(why)
	broken.Close(nil)
	if _, err := broken.Wait(context.Background()); !errors.Is(err, why) {
		t.Fatalf("a stream that stopped short says %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := NewAudioStream().Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting on an open stream past its context: %v", err)
	}
}
