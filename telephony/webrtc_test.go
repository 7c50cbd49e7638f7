package telephony_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

// loopbackLegs: the server side of these tests announces loopback
// candidates only, as the browser does.
var loopbackLegs = telephony.WebRTCConfig{LoopbackOnly: true, ConnectTimeout: 5 * time.Second}

// toneShare is the share of a frame's energy at freq (Goertzel): about 1
// for a pure tone at freq, near 0 for silence or another tone.
func toneShare(frame []int16, freq float64) float64 {
	w := 2 * math.Pi * freq / telephony.SampleRate
	coeff := 2 * math.Cos(w)
	var s1, s2, energy float64
	for _, x := range frame {
		v := float64(x)
		s1, s2 = v+coeff*s1-s2, s1
		energy += v * v
	}
	if energy == 0 {
		return 0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	return power / (float64(len(frame)) / 2 * energy)
}

// isTone reports whether a 20 ms frame is a clear tone at freq.
func isTone(frame []int16, freq float64) bool {
	return telephony.FrameLevelDB(frame) > -35 && toneShare(frame, freq) > 0.6
}

// toneFrames counts the 20 ms frames of pcm that are a clear tone at freq.
func toneFrames(pcm []int16, freq float64) int {
	n := 0
	for off := 0; off+160 <= len(pcm); off += 160 {
		if isTone(pcm[off:off+160], freq) {
			n++
		}
	}
	return n
}

// toneCounter counts tone frames at freq in audio handed to it packet by
// packet, and closes reached once it has counted want.
type toneCounter struct {
	freq    float64
	want    int64
	n       atomic.Int64
	once    sync.Once
	reached chan struct{}
	mu      sync.Mutex
	pending []int16
}

func newToneCounter(freq float64, want int64) *toneCounter {
	return &toneCounter{freq: freq, want: want, reached: make(chan struct{})}
}

func (c *toneCounter) add(pcm []int16) {
	c.mu.Lock()
	c.pending = append(c.pending, pcm...)
	for len(c.pending) >= 160 {
		if isTone(c.pending[:160], c.freq) && c.n.Add(1) >= c.want {
			c.once.Do(func() { close(c.reached) })
		}
		c.pending = c.pending[160:]
	}
	c.mu.Unlock()
}

// browser is a pion peer connection standing in for an agent's browser:
// one sendrecv audio track, loopback candidates only.
type browser struct {
	pc     *webrtc.PeerConnection
	track  *webrtc.TrackLocalStaticSample
	heard  *toneCounter
	states chan webrtc.PeerConnectionState
	conn   chan struct{}
	stop   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

// newBrowser offers audio in the codecs given (MIME types) and counts the
// frames of heardFreq it receives.
func newBrowser(t *testing.T, heardFreq float64, codecs ...string) (*browser, string) {
	t.Helper()
	m := &webrtc.MediaEngine{}
	for _, c := range codecs {
		p := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: c, ClockRate: 8000}}
		switch c {
		case webrtc.MimeTypeOpus:
			p.RTPCodecCapability = webrtc.RTPCodecCapability{MimeType: c, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}
			p.PayloadType = 111
		case webrtc.MimeTypePCMU:
			p.PayloadType = 0
		case webrtc.MimeTypePCMA:
			p.PayloadType = 8
		}
		if err := m.RegisterCodec(p, webrtc.RTPCodecTypeAudio); err != nil {
			t.Fatal(err)
		}
	}
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{pc: pc, heard: newToneCounter(heardFreq, 25), states: make(chan webrtc.PeerConnectionState, 16),
		conn: make(chan struct{}), stop: make(chan struct{})}
	t.Cleanup(b.close)
	var connOnce sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			connOnce.Do(func() { close(b.conn) })
		}
		select {
		case b.states <- s:
		default:
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			buf := make([]byte, 1500)
			var pkt rtp.Packet
			for {
				n, _, err := tr.Read(buf)
				if err != nil {
					return
				}
				if pkt.Unmarshal(buf[:n]) != nil || pkt.PayloadType != 0 {
					continue
				}
				b.heard.add(telephony.PCMU.Decode(nil, pkt.Payload))
			}
		}()
	})
	mic := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}
	if !slices.Contains(codecs, webrtc.MimeTypePCMU) {
		mic = webrtc.RTPCodecCapability{MimeType: codecs[0], ClockRate: 48000, Channels: 2}
	}
	b.track, err = webrtc.NewTrackLocalStaticSample(mic, "mic", "browser")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(b.track); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return b, pc.LocalDescription().SDP
}

func (b *browser) answer(t *testing.T, sdp string) {
	t.Helper()
	if err := b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		t.Fatal(err)
	}
}

// speak sends frame(i) as the i-th 20 ms of the microphone's audio
// (PCMU), paced in real time, until close.
func (b *browser) speak(frame func(i int) []int16) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		tick := time.NewTicker(telephony.FrameDuration)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-b.stop:
				return
			case <-tick.C:
			}
			b.track.WriteSample(media.Sample{Data: telephony.PCMU.Encode(nil, frame(i)), Duration: telephony.FrameDuration})
		}
	}()
}

func (b *browser) close() {
	b.once.Do(func() {
		close(b.stop)
		b.pc.Close()
		b.wg.Wait()
	})
}

// waitState waits for the browser's connection to reach one of want.
func (b *browser) waitState(t *testing.T, limit time.Duration, want ...webrtc.PeerConnectionState) webrtc.PeerConnectionState {
	t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case s := <-b.states:
			for _, w := range want {
				if s == w {
					return s
				}
			}
		case <-deadline:
			t.Fatalf("the browser's connection did not become %v within %v (now %v)", want, limit, b.pc.ConnectionState())
		}
	}
}

func wait(t *testing.T, ch <-chan struct{}, limit time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(limit):
		t.Fatalf("%s: not within %v", what, limit)
	}
}

var (
	tone1k  = telephony.Tone(1000, 160, 8000) // a whole number of periods: frames join without a click
	tone400 = telephony.Tone(400, 160, 8000)
	silence = make([]int16, 160)
)

// A browser's offer is answered with PCMU over loopback ICE; what the leg
// hears reaches the browser and what the browser says reaches the
// leg's speaker.
func TestWebRTCLegCarriesAudioBothWays(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	b, offer := newBrowser(t, 400, webrtc.MimeTypeOpus, webrtc.MimeTypePCMU) // as browsers do: opus first
	leg, answer, err := telephony.NewWebRTCLeg(ctx, loopbackLegs, offer)
	if err != nil {
		t.Fatal(err)
	}
	defer leg.Close()
	if !strings.Contains(answer, "PCMU/8000") || strings.Contains(answer, "opus") || !strings.Contains(answer, "a=candidate:") ||
		!strings.Contains(answer, "127.0.0.1") {
		t.Fatalf("answer should negotiate PCMU only and hold loopback candidates:\n%s", answer)
	}
	spoke := newToneCounter(1000, 10)
	leg.SetSpeaker(spoke.add)
	b.answer(t, answer)
	wait(t, leg.Connected(), 5*time.Second, "the leg connecting")
	wait(t, b.conn, 5*time.Second, "the browser connecting")
	b.speak(func(int) []int16 { return tone1k })
	// The media clock hears the callee: 400 Hz, a frame every 20 ms.
	stopHear := make(chan struct{})
	defer close(stopHear)
	go func() {
		tick := time.NewTicker(telephony.FrameDuration)
		defer tick.Stop()
		for {
			select {
			case <-stopHear:
				return
			case <-tick.C:
				leg.Hear(tone400)
			}
		}
	}()
	wait(t, b.heard.reached, 5*time.Second, "the browser hearing the callee's 400 Hz")
	wait(t, spoke.reached, 5*time.Second, "the speaker getting the browser's 1 kHz")
	in, out := leg.Stats()
	if in < 10 || out < 10 {
		t.Fatalf("stats: %d packets in, %d out", in, out)
	}
	select {
	case <-leg.Done():
		t.Fatalf("leg ended: %s", leg.Reason())
	default:
	}
}

func TestWebRTCLegRefusesOffersWithoutPCMU(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, offer := newBrowser(t, 400, webrtc.MimeTypeOpus)
	leg, answer, err := telephony.NewWebRTCLeg(ctx, loopbackLegs, offer)
	if !errors.Is(err, telephony.ErrNoPCMU) || !errors.Is(err, telephony.ErrBadOffer) || !strings.Contains(err.Error(), "the browser offered no PCMU audio") {
		t.Fatalf("opus-only offer: leg %v, answer %q, err %v; want ErrNoPCMU", leg, answer, err)
	}
	for _, bad := range []string{"", "hello", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"} {
		leg, _, err := telephony.NewWebRTCLeg(ctx, loopbackLegs, bad)
		if !errors.Is(err, telephony.ErrBadOffer) {
			t.Errorf("offer %q: leg %v, err %v; want ErrBadOffer", bad, leg, err)
		}
		if err != nil {
			t.Logf("offer %q: %v", bad, err)
		}
	}
}

// Close ends the leg (Done) and the browser sees its connection close; a
// browser that closes ends the leg.
func TestWebRTCLegCloseEndsBothSides(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	connect := func() (*browser, *telephony.WebRTCLeg) {
		b, offer := newBrowser(t, 400, webrtc.MimeTypePCMU)
		leg, answer, err := telephony.NewWebRTCLeg(ctx, loopbackLegs, offer)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { leg.Close() })
		b.answer(t, answer)
		wait(t, leg.Connected(), 5*time.Second, "the leg connecting")
		wait(t, b.conn, 5*time.Second, "the browser connecting")
		return b, leg
	}

	b, leg := connect()
	if err := leg.Close(); err != nil {
		t.Fatal(err)
	}
	wait(t, leg.Done(), time.Second, "Done after Close")
	if leg.Reason() != "closed" {
		t.Fatalf("reason %q", leg.Reason())
	}
	b.waitState(t, 5*time.Second, webrtc.PeerConnectionStateClosed)
	if err := leg.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	leg.Hear(tone400) // after the end: dropped, no panic

	b, leg = connect()
	b.close()
	wait(t, leg.Done(), 5*time.Second, "Done after the browser closed")
	t.Logf("the browser closed: %s", leg.Reason())
}

// A leg that never connects ends after ConnectTimeout.
func TestWebRTCLegThatNeverConnectsEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, offer := newBrowser(t, 400, webrtc.MimeTypePCMU) // never given the answer
	cfg := loopbackLegs
	cfg.ConnectTimeout = 300 * time.Millisecond
	leg, _, err := telephony.NewWebRTCLeg(ctx, cfg, offer)
	if err != nil {
		t.Fatal(err)
	}
	defer leg.Close()
	wait(t, leg.Done(), 5*time.Second, "Done after the connect timeout")
	if !strings.Contains(leg.Reason(), "did not connect") {
		t.Fatalf("reason %q", leg.Reason())
	}
}

// An answered SIP call joined to a browser: the callee's audio reaches
// the browser, the browser's reaches the callee (who answers only after
// hearing it) and the recording's outbound channel, and the browser
// hanging up ends the call as transferred to the agent.
func TestJoinConnectsACallToABrowser(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The callee speaks 400 Hz tones (ToneTTS), and only once it has
	// heard the agent speak and stop: its voice reaching the browser
	// proves audio went both ways.
	sim, err := calleesim.Start(ctx, calleesim.Config{TTS: telephony.ToneTTS{}, Personas: []calleesim.Persona{{
		Name: "joined", Numbers: []string{"4001"}, Kind: calleesim.KindHuman, RingMS: 50,
		Lines: []calleesim.Line{{Say: "yes I have a question", PauseMS: 100}}, HoldMS: 20000,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	store := telephony.LocalRecordingStore{Dir: t.TempDir()}
	d, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: telephony.ToneTTS{}, Recordings: store})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	const label = "queue:collections/agent@example.com"
	var (
		joinErr error
		b       *browser
		leg     *telephony.WebRTCLeg
	)
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "4001", RingTimeout: 5 * time.Second},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			var (
				offer, answer string
				err           error
			)
			b, offer = newBrowser(t, 400, webrtc.MimeTypePCMU)
			leg, answer, err = telephony.NewWebRTCLeg(ctx, loopbackLegs, offer)
			if err != nil {
				return err
			}
			b.answer(t, answer)
			select {
			case <-leg.Connected():
			case <-time.After(5 * time.Second):
				return errors.New("the leg did not connect")
			}
			// The agent says 600 ms of 1 kHz every 1.6 s, so the callee's
			// VAD hears speech end whenever the join began.
			b.speak(func(i int) []int16 {
				if i%80 < 30 {
					return tone1k
				}
				return silence
			})
			go func() {
				// The agent hangs up once the callee's line has reached
				// the browser (or gives up).
				select {
				case <-b.heard.reached:
				case <-time.After(10 * time.Second):
				}
				b.close()
			}()
			joinErr = c.Join(ctx, leg, label)
			return joinErr
		}))
	if err != nil {
		t.Fatal(err)
	}
	if leg != nil {
		defer leg.Close()
	}
	if res.HandlerErr != nil || joinErr != nil {
		t.Fatalf("handler %v, join %v", res.HandlerErr, joinErr)
	}
	select {
	case <-b.heard.reached:
	default:
		t.Fatalf("the browser heard %d frames of the callee's 400 Hz", b.heard.n.Load())
	}
	if res.Outcome != telephony.OutcomeTransferred || res.TransferTarget != label || res.HangupBy != "us" ||
		res.Reason != "agent "+label+" hung up" {
		t.Fatalf("outcome %s target %q hangup by %q reason %q", res.Outcome, res.TransferTarget, res.HangupBy, res.Reason)
	}
	var connected bool
	for _, l := range res.Transcript {
		connected = connected || l.Text == "[connected to "+label+"]"
	}
	if !connected {
		t.Fatalf("transcript has no connected line: %+v", res.Transcript)
	}
	rec, err := sim.WaitRecord(ctx, res.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.HangupBy != "caller" || rec.Heard < 300*time.Millisecond {
		t.Fatalf("callee: hung up by %q, heard %v of the agent", rec.HangupBy, rec.Heard)
	}

	f, err := store.Open(ctx, res.RecordingKey)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	w, err := telephony.DecodeWAV(data)
	if err != nil {
		t.Fatal(err)
	}
	out, in := w.Channel(0), w.Channel(1)
	if n := toneFrames(out, 1000); n < 20 {
		t.Fatalf("the recording's outbound channel holds %d frames of the agent's 1 kHz", n)
	}
	if n := toneFrames(in, 400); n < 15 {
		t.Fatalf("the recording's inbound channel holds %d frames of the callee's 400 Hz", n)
	}
	if n := toneFrames(in, 1000); n > 0 {
		t.Fatalf("the agent's voice leaked into the callee's channel (%d frames)", n)
	}
}

// When the callee hangs up, Join returns ErrCallEnded: the call is still
// transferred to the agent, hung up by the callee, and the leg is left
// up for its owner (it may take the next call).
func TestJoinEndsWhenTheCalleeHangsUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The callee hangs up once it has heard the agent speak and stop.
	sim, err := calleesim.Start(ctx, calleesim.Config{TTS: telephony.ToneTTS{}, Personas: []calleesim.Persona{{
		Name: "leaves", Numbers: []string{"4002"}, Kind: calleesim.KindHuman, RingMS: 50,
		Lines: []calleesim.Line{{Hangup: true, PauseMS: 100}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	d, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: telephony.ToneTTS{}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const label = "agent@example.com"
	var (
		joinErr, ended error
		leg            *telephony.WebRTCLeg
	)
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "4002", RingTimeout: 5 * time.Second},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			b, offer := newBrowser(t, 400, webrtc.MimeTypePCMU)
			var (
				answer string
				err    error
			)
			leg, answer, err = telephony.NewWebRTCLeg(ctx, loopbackLegs, offer)
			if err != nil {
				return err
			}
			b.answer(t, answer)
			select {
			case <-leg.Connected():
			case <-time.After(5 * time.Second):
				return errors.New("the leg did not connect")
			}
			b.speak(func(i int) []int16 {
				if i%80 < 30 {
					return tone1k
				}
				return silence
			})
			joinErr = c.Join(ctx, leg, label)
			_, ended = c.Say(ctx, "still there?", telephony.EmotionNeutral)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer leg.Close()
	if !errors.Is(joinErr, telephony.ErrCallEnded) || !errors.Is(ended, telephony.ErrCallEnded) {
		t.Fatalf("Join returned %v (Say after it %v), want ErrCallEnded", joinErr, ended)
	}
	if res.Outcome != telephony.OutcomeTransferred || res.TransferTarget != label || res.HangupBy != "callee" ||
		res.Reason != "joined call to "+label+" ended by the callee" {
		t.Fatalf("outcome %s target %q hangup by %q reason %q", res.Outcome, res.TransferTarget, res.HangupBy, res.Reason)
	}
	select {
	case <-leg.Done():
		t.Fatalf("the leg ended with the call: %s", leg.Reason())
	default:
	}
}
