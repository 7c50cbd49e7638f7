// Package asrtest is the conformance suite every speech recogniser of
// outcall passes, as a telephony.StreamingRecognizer (batch ones through
// telephony.Stream), against a test double of its provider:
//
//   - partials, then one final, with the hotwords and language sent;
//   - endpointing: ours (End) and, for providers that stream, their own;
//   - a refused key: an ErrASRAuth failure, no text made up;
//   - a slow provider: an ErrASRTimeout failure within the timeout;
//   - a connection dropped mid-utterance: an ErrASRUnavailable failure;
//   - audio the provider refuses: an ErrASRRefused failure, and odd-sized
//     writes taken without complaint;
//   - reconnecting: after the provider dropped every connection, the next
//     utterance is heard on a new one.
//
// A provider's test wires its double to Double and calls Run.
package asrtest

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
)

// Fault is trouble the double makes on every session while it is set.
type Fault int

const (
	FaultNone Fault = iota
	// FaultDropMidUtterance: the connection goes after a little audio.
	FaultDropMidUtterance
	// FaultSlowFinal: the answer comes long after the recogniser's timeout.
	FaultSlowFinal
	// FaultRefuseAudio: the provider refuses the audio.
	FaultRefuseAudio
)

// Double drives a provider's test double.
type Double interface {
	// Answer sets what the next sessions hear: the growing partial
	// hypotheses, the final text, and (for doubles that stream) how much
	// speech their own endpoint waits for (0: ours).
	Answer(partials []string, final string, endpointAfter time.Duration)
	// RequireKey makes the double refuse any other key ("" accepts all).
	RequireKey(key string)
	// Fault makes trouble on every session until Fault(FaultNone).
	Fault(f Fault)
	// CloseConnections drops every open connection.
	CloseConnections()
	// Received lists what each session brought, oldest first.
	Received() []Received
}

// Received is what the double got in one session.
type Received struct {
	Audio    time.Duration
	Hotwords []string
	Language string
	Ended    bool
}

// Provider is a recogniser under test with its double.
type Provider struct {
	Name   string
	Double Double
	// New returns the recogniser talking to the double with key, waiting
	// at most timeout for an answer.
	New func(key string, timeout time.Duration) telephony.StreamingRecognizer
	// Streams: partials while audio comes, and an endpoint of its own.
	Streams bool
	// SendsLanguage: the provider's protocol carries the language (then it
	// must arrive as ISO 639-1).
	SendsLanguage bool
	// NoHotwords: the provider's protocol takes no hotwords with a request
	// (Alibaba NLS keeps them as a vocabulary on the service).
	NoHotwords bool
}

// Speech is the suite's stand-in for a voice: 8 kHz, two tones at about
// -12 dBFS, d long.
func Speech(d time.Duration) []int16 {
	n := int(d.Seconds() * telephony.SampleRate)
	out := make([]int16, n)
	for i := range out {
		t := float64(i) / telephony.SampleRate
		out[i] = int16(4000*math.Sin(2*math.Pi*300*t) + 4000*math.Sin(2*math.Pi*1000*t))
	}
	return out
}

// run is one session's outcome.
type run struct {
	hyps     []telephony.Hypothesis
	openErr  error
	writeErr error
	endErr   error
	err      error // Err after Results closed
	took     time.Duration
}

func (r run) finals() []telephony.Hypothesis {
	var out []telephony.Hypothesis
	for _, h := range r.hyps {
		if h.Final {
			out = append(out, h)
		}
	}
	return out
}

// failure is the first failure the session reported, wherever.
func (r run) failure() error {
	for _, e := range []error{r.openErr, r.writeErr, r.endErr, r.err} {
		if e != nil {
			return e
		}
	}
	return nil
}

// utterance opens a session, writes audio in 20 ms frames, ends it
// (unless end is false: then it waits for the provider's own final) and
// collects what comes until Results closes.
func utterance(t *testing.T, rec telephony.StreamingRecognizer, opts telephony.StreamOptions, audio []int16, end bool) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	sess, err := rec.Open(ctx, opts)
	if err != nil {
		return run{openErr: err, took: time.Since(start)}
	}
	defer sess.Close()
	var r run
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for h := range sess.Results() {
			r.hyps = append(r.hyps, h)
			if !end && h.Final {
				sess.Close()
			}
		}
	}()
	for off := 0; off < len(audio); off += 160 {
		if !end {
			select {
			case <-collected:
				// The provider's final came: the rest goes nowhere.
				off = len(audio)
				continue
			default:
			}
		}
		if err := sess.Write(audio[off:min(off+160, len(audio))]); err != nil {
			r.writeErr = err
			break
		}
		if !end {
			// The provider's own endpoint needs the audio at the pace it
			// is spoken, or near it.
			time.Sleep(2 * time.Millisecond)
		}
	}
	if end && r.writeErr == nil {
		r.endErr = sess.End()
	}
	if !end && r.writeErr == nil {
		select {
		case <-collected:
		case <-time.After(10 * time.Second):
			t.Errorf("no final of the provider's own after %s of speech", time.Duration(len(audio))*time.Second/telephony.SampleRate)
			sess.Close()
		}
	}
	<-collected
	if !end && len(r.finals()) > 0 {
		r.writeErr = nil // writes after the provider's final may fail: the session is over
	}
	r.err = sess.Err()
	r.took = time.Since(start)
	return r
}

// Run runs the suite.
func Run(t *testing.T, p Provider) {
	hotwords := []string{"王先生"}
	opts := telephony.StreamOptions{Language: "zh-CN", Hotwords: hotwords, Phrases: []string{"是的", "不需要"}}
	d := p.Double
	reset := func() {
		d.RequireKey("")
		d.Fault(FaultNone)
		d.Answer([]string{"是", "是的"}, "是的，没问题。", 0)
	}

	t.Run("partials then one final, with the hotwords and language sent", func(t *testing.T) {
		reset()
		before := len(d.Received())
		r := utterance(t, p.New("", 5*time.Second), opts, Speech(1500*time.Millisecond), true)
		if err := r.failure(); err != nil {
			t.Fatalf("the session failed: %v", err)
		}
		finals := r.finals()
		if len(finals) != 1 || finals[0].Text != "是的，没问题。" || r.hyps[len(r.hyps)-1] != finals[0] {
			t.Fatalf("hypotheses %+v: want partials and then exactly one final, 是的，没问题。", r.hyps)
		}
		var partials []string
		for _, h := range r.hyps[:len(r.hyps)-1] {
			partials = append(partials, h.Text)
			if h.Confidence < 0 || h.Confidence > 1 || h.End < h.Start {
				t.Errorf("partial %+v: confidence outside 0-1 or a span ending before it starts", h)
			}
		}
		if p.Streams && !slices.Equal(partials, []string{"是", "是的"}) {
			t.Errorf("partials %q, want 是 then 是的 as the provider made them", partials)
		}
		if !p.Streams && len(partials) != 0 {
			t.Errorf("a batch recogniser made partials %q", partials)
		}
		got := d.Received()
		if len(got) != before+1 {
			t.Fatalf("the double saw %d sessions, want 1", len(got)-before)
		}
		rc := got[len(got)-1]
		if rc.Audio < 1450*time.Millisecond || rc.Audio > 1600*time.Millisecond || !rc.Ended {
			t.Errorf("the double got %s of audio (ended: %v), want the 1.5 s sent and the end", rc.Audio, rc.Ended)
		}
		if !p.NoHotwords && (!slices.Contains(rc.Hotwords, "王先生") || !slices.Contains(rc.Hotwords, "是的")) {
			t.Errorf("the double got hotwords %q, want the contact's name and the script's phrases", rc.Hotwords)
		}
		if p.SendsLanguage && rc.Language != "zh" {
			t.Errorf("the double got language %q, want zh (ISO 639-1)", rc.Language)
		}
	})

	t.Run("endpointing: ours ends the utterance at once", func(t *testing.T) {
		reset()
		r := utterance(t, p.New("", 5*time.Second), opts, Speech(300*time.Millisecond), true)
		if err := r.failure(); err != nil || len(r.finals()) != 1 {
			t.Fatalf("a short utterance ended by us: %v, hypotheses %+v", err, r.hyps)
		}
		if r.took > 3*time.Second {
			t.Errorf("the final took %s after a 300 ms utterance", r.took)
		}
	})

	if p.Streams {
		t.Run("endpointing: the provider's own final comes before ours", func(t *testing.T) {
			reset()
			d.Answer([]string{"好"}, "好的。", 700*time.Millisecond)
			r := utterance(t, p.New("", 5*time.Second), opts, Speech(3*time.Second), false)
			if err := r.failure(); err != nil {
				t.Fatal(err)
			}
			finals := r.finals()
			if len(finals) == 0 || finals[0].Text != "好的。" {
				t.Fatalf("hypotheses %+v: want the provider's final 好的。 without End", r.hyps)
			}
			if rc := d.Received(); rc[len(rc)-1].Ended {
				t.Error("the session sent the end although the provider's endpoint came first")
			}
		})
	}

	t.Run("a refused key fails with ErrASRAuth and no text", func(t *testing.T) {
		reset()
		d.RequireKey("the-right-key")
		r := utterance(t, p.New("a-wrong-key", 5*time.Second), opts, Speech(500*time.Millisecond), true)
		if err := r.failure(); !errors.Is(err, telephony.ErrASRAuth) {
			t.Fatalf("with a wrong key: %v, want ErrASRAuth", err)
		}
		if len(r.finals()) != 0 {
			t.Errorf("a final %+v with a refused key", r.finals())
		}
		var re *telephony.RecognitionError
		if err := r.failure(); !errors.As(err, &re) || re.Provider == "" {
			t.Errorf("%v is not a *RecognitionError naming its provider", err)
		}
		ok := utterance(t, p.New("the-right-key", 5*time.Second), opts, Speech(500*time.Millisecond), true)
		if err := ok.failure(); err != nil || len(ok.finals()) != 1 {
			t.Errorf("with the right key: %v, %+v", err, ok.hyps)
		}
	})

	t.Run("a slow provider fails with ErrASRTimeout within the timeout", func(t *testing.T) {
		reset()
		d.Fault(FaultSlowFinal)
		r := utterance(t, p.New("", 300*time.Millisecond), opts, Speech(500*time.Millisecond), true)
		if err := r.failure(); !errors.Is(err, telephony.ErrASRTimeout) {
			t.Fatalf("a slow final: %v, want ErrASRTimeout", err)
		}
		if len(r.finals()) != 0 {
			t.Errorf("a final %+v from a provider that never answered in time", r.finals())
		}
		if r.took > 1500*time.Millisecond {
			t.Errorf("giving up took %s with a 300 ms timeout", r.took)
		}
	})

	t.Run("connections dropped mid-utterance fail with ErrASRUnavailable", func(t *testing.T) {
		reset()
		d.Fault(FaultDropMidUtterance)
		r := utterance(t, p.New("", 5*time.Second), opts, Speech(1500*time.Millisecond), true)
		if err := r.failure(); !errors.Is(err, telephony.ErrASRUnavailable) {
			t.Fatalf("a dropped connection: %v, want ErrASRUnavailable", err)
		}
		if len(r.finals()) != 0 {
			t.Errorf("a final %+v after the connection dropped", r.finals())
		}
	})

	t.Run("audio the provider refuses fails with ErrASRRefused; odd sizes are fine", func(t *testing.T) {
		reset()
		d.Fault(FaultRefuseAudio)
		r := utterance(t, p.New("", 5*time.Second), opts, Speech(500*time.Millisecond), true)
		if err := r.failure(); !errors.Is(err, telephony.ErrASRRefused) {
			t.Fatalf("refused audio: %v, want ErrASRRefused", err)
		}
		for _, h := range r.hyps {
			if strings.Contains(h.Text, "ERROR") || h.Final {
				t.Errorf("refused audio made hypothesis %+v", h)
			}
		}
		// Writes of no audio and of part of a frame are not errors.
		reset()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sess, err := p.New("", 5*time.Second).Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		speech := Speech(time.Second)
		for _, w := range [][]int16{nil, speech[:37], speech[37:8000]} {
			if err := sess.Write(w); err != nil {
				t.Fatalf("a write of %d samples: %v", len(w), err)
			}
		}
		if err := sess.End(); err != nil {
			t.Fatal(err)
		}
		var final string
		for h := range sess.Results() {
			if h.Final {
				final = h.Text
			}
		}
		if err := sess.Err(); err != nil || final == "" {
			t.Errorf("after odd-sized writes: %v, final %q", err, final)
		}
	})

	t.Run("after the provider dropped every connection the next utterance is heard", func(t *testing.T) {
		reset()
		rec := p.New("", 5*time.Second)
		if r := utterance(t, rec, opts, Speech(500*time.Millisecond), true); r.failure() != nil || len(r.finals()) != 1 {
			t.Fatalf("first utterance: %v %+v", r.failure(), r.hyps)
		}
		d.CloseConnections()
		d.Answer(nil, "明天再说。", 0)
		r := utterance(t, rec, opts, Speech(500*time.Millisecond), true)
		if err := r.failure(); err != nil || len(r.finals()) != 1 || r.finals()[0].Text != "明天再说。" {
			t.Fatalf("the utterance after the drop: %v %+v", err, r.hyps)
		}
	})
}
