package telephony_test

import (
	"context"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

// captureASR is a recogniser that keeps what it was given and answers
// with fixed text.
type captureASR struct {
	text string
	mu   sync.Mutex
	reqs []telephony.RecognizeRequest
}

func (r *captureASR) Recognize(ctx context.Context, req telephony.RecognizeRequest) (telephony.Transcript, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return telephony.Transcript{Text: r.text, Confidence: 0.9}, nil
}

func (r *captureASR) requests() []telephony.RecognizeRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

// callerRTP is our RTP address on a call as the simulator saw it in the
// INVITE's SDP.
func callerRTP(t *testing.T, sim *calleesim.Simulator, callID string) *net.UDPAddr {
	for _, r := range sim.Records() {
		if r.CallID == callID && r.CallerRTP != "" {
			a, err := net.ResolveUDPAddr("udp", r.CallerRTP)
			if err != nil {
				t.Error(err)
			}
			return a
		}
	}
	t.Errorf("callee-sim has no record of call %s", callID)
	return nil
}

// injectedSample is what the injected payload decodes to: µ-law 0x80 is
// full scale, so every injected frame is 160 samples of it, a run no
// voice makes.
var injectedSample = telephony.DecodeULaw(0x80)

// longestRun is the longest run of v in pcm.
func longestRun(pcm []int16, v int16) int {
	best, run := 0, 0
	for _, s := range pcm {
		if s == v {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// inject sends valid PCMU RTP full of injectedSample from c to addr every
// 20 ms until stop is closed, and reports how many packets it sent.
func inject(c *net.UDPConn, addr *net.UDPAddr, stop <-chan struct{}, sent *atomic.Int64) {
	payload := make([]byte, 160)
	for i := range payload {
		payload[i] = 0x80
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for seq := uint16(0); ; seq++ {
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 0xbad}, Payload: payload}).Marshal()
		if _, err := c.WriteToUDP(b, addr); err == nil {
			sent.Add(1)
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// A stranger who can reach a call's RTP port sends loud audio into it
// from another port of the callee's host and from another host, all the
// while the callee talks. None of it reaches the recogniser or the
// recording, every packet is counted as dropped, and the callee's own
// audio still comes through.
func TestInjectedRTPReachesNeitherRecogniserNorRecording(t *testing.T) {
	sim := startSim(t)
	store := telephony.LocalRecordingStore{Dir: t.TempDir()}
	asr := &captureASR{text: "an agent please"}
	d := newDialer(t, telephony.DialerConfig{ASR: asr, Recordings: store})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var injectors []*net.UDPConn
	for _, ip := range []string{"127.0.0.1", "127.0.0.2"} {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
		if err != nil {
			t.Fatalf("open an injecting socket on %s: %v", ip, err)
		}
		defer c.Close()
		injectors = append(injectors, c)
	}
	var sent atomic.Int64
	var u telephony.Utterance
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "2004", RingTimeout: 5 * time.Second},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			target := callerRTP(t, sim, c.ID())
			if target == nil {
				return nil
			}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for _, inj := range injectors {
				wg.Add(1)
				go func() { defer wg.Done(); inject(inj, target, stop, &sent) }()
			}
			_, err := c.Say(ctx, "How can I help?", telephony.EmotionNeutral)
			if err == nil {
				u, err = c.Listen(ctx, "an agent please")
			}
			close(stop)
			wg.Wait()
			// Give the media a moment to read what is still queued, so
			// every injected packet is counted.
			select {
			case <-time.After(300 * time.Millisecond):
			case <-ctx.Done():
			}
			return err
		}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeAnswered || res.HandlerErr != nil {
		t.Fatalf("outcome %s %q handler %v", res.Outcome, res.Reason, res.HandlerErr)
	}
	if sent.Load() < 20 {
		t.Fatalf("only %d packets injected: the test did not run long enough to say anything", sent.Load())
	}
	if res.Media.ForeignPacketsIn != sent.Load() {
		t.Errorf("%d packets dropped as foreign, want all %d injected", res.Media.ForeignPacketsIn, sent.Load())
	}
	if res.Media.LatchedTo != "" {
		t.Errorf("latched on to %s; a loopback peer's SDP address is taken as it is", res.Media.LatchedTo)
	}

	// The recogniser heard the callee, and nothing injected.
	reqs := asr.requests()
	if len(reqs) != 1 {
		t.Fatalf("recogniser called %d times, want once", len(reqs))
	}
	if n := longestRun(reqs[0].Audio, injectedSample); n >= 40 {
		t.Errorf("the recogniser's audio holds %d injected samples in a row", n)
	}
	if s := activeSeconds(reqs[0].Audio); s < 0.3 {
		t.Errorf("the recogniser got %.2fs of speech; the callee's audio did not come through", s)
	}
	if u.Text != "an agent please" || u.Talk == 0 || u.Simulated {
		t.Errorf("utterance %+v", u)
	}

	// The recording holds the callee's voice on the right and ours on
	// the left, and nothing injected on either.
	f, err := store.Open(ctx, res.RecordingKey)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	w, err := telephony.DecodeWAV(data)
	if err != nil {
		t.Fatal(err)
	}
	for ch, name := range []string{"robot (left)", "callee (right)"} {
		if n := longestRun(w.Channel(ch), injectedSample); n >= 40 {
			t.Errorf("recording's %s channel holds %d injected samples in a row", name, n)
		}
	}
	if s := activeSeconds(w.Channel(1)); s < 0.5 {
		t.Errorf("recording's callee channel has %.2fs of speech", s)
	}
}

// waitTextAnswers waits until the simulator has the caller's answers to
// its simulation-text INFO requests on a call.
func waitTextAnswers(t *testing.T, sim *calleesim.Simulator, callID string) []int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, r := range sim.Records() {
			if r.CallID == callID && len(r.TextAnswers) > 0 {
				return r.TextAnswers
			}
		}
	}
	t.Fatalf("callee-sim got no answer to its simulation text on call %s", callID)
	return nil
}

// The callee simulator says "an agent please" as audio and, over SIP
// INFO, as text. The text is taken as what the callee said only by a
// dialer in simulation mode and a call whose recogniser reads it; any
// other call answers the INFO 415 and its recogniser never sees the text.
func TestSimulationTextIsTakenOnlyInSimulationMode(t *testing.T) {
	sim := startSim(t)
	const said = "an agent please"
	for _, c := range []struct {
		name     string
		cfg      telephony.DialerConfig
		callASR  telephony.Recognizer
		wantText string
		wantCode int
	}{
		{name: "dialer with the simulation recogniser takes the text",
			cfg: telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}}, wantText: said, wantCode: 200},
		{name: "dialer set to simulation takes the text for a call with the simulation recogniser",
			cfg: telephony.DialerConfig{Simulation: true}, callASR: telephony.SimulationRecognizer{}, wantText: said, wantCode: 200},
		{name: "dialer with a real recogniser refuses the text",
			cfg: telephony.DialerConfig{ASR: &captureASR{text: "from the audio"}}, wantText: "from the audio", wantCode: 415},
		{name: "a call's simulation recogniser does not open the channel on a dialer not in simulation",
			cfg: telephony.DialerConfig{ASR: &captureASR{text: "from the audio"}}, callASR: telephony.SimulationRecognizer{}, wantText: "", wantCode: 415},
		{name: "a call with a real recogniser refuses the text on a dialer in simulation",
			cfg: telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}}, callASR: &captureASR{text: "from the audio"}, wantText: "from the audio", wantCode: 415},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := newDialer(t, c.cfg)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var u telephony.Utterance
			res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "2004", RingTimeout: 5 * time.Second, ASR: c.callASR},
				telephony.CallHandlerFunc(func(ctx context.Context, call telephony.Call) error {
					if _, err := call.Say(ctx, "How can I help?", telephony.EmotionNeutral); err != nil {
						return err
					}
					var err error
					u, err = call.Listen(ctx, said)
					return err
				}))
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != telephony.OutcomeAnswered || res.HandlerErr != nil {
				t.Fatalf("outcome %s %q handler %v", res.Outcome, res.Reason, res.HandlerErr)
			}
			if u.Text != c.wantText || u.Simulated != (c.wantCode == 200) || u.Talk == 0 {
				t.Errorf("heard %+v, want text %q (simulated %v) after speech", u, c.wantText, c.wantCode == 200)
			}
			for _, r := range []telephony.Recognizer{c.cfg.ASR, c.callASR} {
				if ca, ok := r.(*captureASR); ok {
					for _, req := range ca.requests() {
						if req.SimulationText != "" {
							t.Errorf("recogniser was handed simulation text %q", req.SimulationText)
						}
					}
				}
			}
			for _, code := range waitTextAnswers(t, sim, res.CallID) {
				if code != c.wantCode {
					t.Errorf("simulation INFO answered %d, want %d", code, c.wantCode)
				}
			}
		})
	}
}
