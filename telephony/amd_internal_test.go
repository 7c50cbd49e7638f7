package telephony

import (
	"math/rand/v2"
	"testing"
	"time"
	"unicode"
)

// overTheLine is pcm as it arrives over a G.711 μ-law line.
func overTheLine(pcm []int16) []int16 {
	out := make([]int16, len(pcm))
	for i, s := range pcm {
		out[i] = DecodeULaw(EncodeULaw(s))
	}
	return out
}

// hearsBeep feeds pcm to a detector in 20 ms packets, as the media does.
func hearsBeep(pcm []int16) (int, bool) {
	var b beepDetector
	for len(pcm) > 0 {
		n := min(len(pcm), frameSamples)
		if hz, ok := b.feed(pcm[:n]); ok {
			return hz, true
		}
		pcm = pcm[n:]
	}
	return 0, false
}

func TestAMailboxBeepIsHeardAndNoiseOrRingbackIsNot(t *testing.T) {
	for _, hz := range []float64{600, 1000, 1400, 2000} {
		got, ok := hearsBeep(overTheLine(Tone(hz, SampleRate/2, 8000)))
		if !ok || got < int(hz)-60 || got > int(hz)+60 {
			t.Errorf("a %v Hz beep of 0.5 s: heard %v at %d Hz", hz, ok, got)
		}
	}
	// Too short to be a mailbox's beep (a click, a DTMF-length blip).
	if _, ok := hearsBeep(overTheLine(Tone(1000, SampleRate/10, 8000))); ok {
		t.Error("a 100 ms blip was taken for a beep")
	}
	// Quiet line noise and loud noise.
	r := rand.New(rand.NewPCG(1, 2))
	noise := make([]int16, SampleRate)
	for i := range noise {
		noise[i] = int16(r.IntN(12000) - 6000)
	}
	if _, ok := hearsBeep(overTheLine(noise)); ok {
		t.Error("white noise was taken for a beep")
	}
	// China's 450 Hz ringback, should a carrier play it after answering.
	if _, ok := hearsBeep(overTheLine(Tone(450, SampleRate, 8000))); ok {
		t.Error("450 Hz ringback was taken for a beep")
	}
}

// HearsBeep is hearsBeep for the external tests.
var HearsBeep = hearsBeep

// SimRevealTime is how long the simulated recogniser takes to reveal text.
func SimRevealTime(text string) time.Duration {
	var need time.Duration
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			need += simCharTime
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			need += simLetterTime
		}
	}
	return need
}

// OverTheLine is overTheLine for the external tests.
var OverTheLine = overTheLine

func TestNumbersAnAnnouncementReadsOutAreMasked(t *testing.T) {
	for in, want := range map[string]string{
		"您拨打的13812345678是空号":                        "您拨打的***********是空号",
		"the number 555 123 4567 is not in service": "the number *** *** **** is not in service",
		"请在3秒后留言":                                   "请在3秒后留言",
	} {
		if got := maskDigits(in); got != want {
			t.Errorf("maskDigits(%q) = %q, want %q", in, got, want)
		}
	}
}

// Only a recogniser that writes down whatever is said reads a greeting
// or tells a backchannel: one that knows a grammar, or keys only, leaves
// the detector to the greeting's length.
func TestOnlyATranscribingRecogniserReadsAGreeting(t *testing.T) {
	for r, want := range map[Recognizer]bool{DTMFOnly{}: false, &PocketsphinxRecognizer{}: false, SimulationRecognizer{}: true,
		&HTTPRecognizer{}: true, &FunASRRecognizer{}: true, &NLSRecognizer{}: true} {
		if got := transcribes(r); got != want {
			t.Errorf("transcribes(%T) = %v, want %v", r, got, want)
		}
	}
	empty := simGreetingStub("")
	if _, ok := settle(empty, time.Second); ok {
		t.Error("a greeting whose words came back empty was taken as read")
	}
}

type simGreetingStub string

func (s simGreetingStub) Heard(time.Duration) string          { return string(s) }
func (s simGreetingStub) Settle(time.Duration) (string, bool) { return string(s), true }
