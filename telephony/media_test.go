package telephony

import (
	"bytes"
	"context"
	"math"
	"net"
	"strings"
	"testing"
	"time"
)

func TestG711RoundTripStaysWithinOneQuantisationStep(t *testing.T) {
	for _, c := range []Codec{PCMU, PCMA} {
		for s := -32768; s <= 32767; s += 7 {
			in := int16(s)
			var out int16
			if c == PCMU {
				out = DecodeULaw(EncodeULaw(in))
			} else {
				out = DecodeALaw(EncodeALaw(in))
			}
			// G.711 keeps about 4 % relative error, plus a small floor.
			tol := math.Max(40, math.Abs(float64(in))*0.07)
			if math.Abs(float64(out)-float64(in)) > tol {
				t.Fatalf("%s: %d decoded as %d", c.Name, in, out)
			}
		}
	}
}

func TestG711KnownCodewords(t *testing.T) {
	if got := EncodeULaw(0); got != 0xFF {
		t.Errorf("µ-law of silence = %#x, want 0xff", got)
	}
	if got := EncodeALaw(0); got != 0xD5 {
		t.Errorf("A-law of silence = %#x, want 0xd5", got)
	}
}

func TestDTMFEventMarshalsAndParses(t *testing.T) {
	for _, d := range []byte("0123456789*#ABCD") {
		ev := DTMFEvent{Digit: d, End: true, Volume: 10, Duration: 800}
		got, err := ParseDTMFEvent(ev.Marshal())
		if err != nil || got != ev {
			t.Fatalf("%c: got %+v, %v", d, got, err)
		}
	}
	if _, err := ParseDTMFEvent([]byte{99, 0, 0, 0}); err == nil {
		t.Error("event code 99 accepted")
	}
}

func TestDTMFSenderPlansToneEndRepeatsAndPause(t *testing.T) {
	var s dtmfSender
	s.queue = []byte("5")
	var evs []DTMFEvent
	ts := uint32(1000)
	for i := 0; i < 12; i++ {
		ev, evTS, marker, ok := s.next(ts)
		ts += 160
		if !ok {
			continue
		}
		if evTS != 1000 {
			t.Fatalf("event timestamp %d, want 1000 (fixed for the event)", evTS)
		}
		if marker != (len(evs) == 0) {
			t.Fatalf("marker on packet %d = %v", len(evs), marker)
		}
		evs = append(evs, ev)
	}
	if len(evs) != dtmfTonePackets+dtmfEndRepeats {
		t.Fatalf("%d packets, want %d", len(evs), dtmfTonePackets+dtmfEndRepeats)
	}
	var r dtmfReceiver
	digits := ""
	for _, ev := range evs {
		if d, ok := r.packet(1000, ev); ok {
			digits += string(d)
		}
	}
	if digits != "5" {
		t.Fatalf("receiver got %q from one event with repeated end packets, want \"5\"", digits)
	}
}

func speech(ms int) []int16 { return Tone(300, ms*8, 8000) }

func silence(ms int) []int16 { return make([]int16, ms*8) }

func TestVADReportsStartEndAndDurations(t *testing.T) {
	v := NewVAD(DefaultVADConfig())
	audio := append(append(append(silence(500), speech(1200)...), silence(200)...), speech(400)...)
	audio = append(audio, silence(1000)...)
	var events []VADEvent
	for off := 0; off+frameSamples <= len(audio); off += frameSamples {
		if ev := v.Process(audio[off : off+frameSamples]); ev != VADNone {
			events = append(events, ev)
		}
	}
	if len(events) != 2 || events[0] != VADSpeechStart || events[1] != VADSpeechEnd {
		t.Fatalf("events %v, want one start and one end (a 200 ms pause is not an end)", events)
	}
	if got := v.LastTalk(); got < 1700*time.Millisecond || got > 1900*time.Millisecond {
		t.Errorf("talk %v, want about 1.8 s", got)
	}
	if got := v.LastSilence(); got < 440*time.Millisecond || got > 520*time.Millisecond {
		t.Errorf("silence before %v, want about 500 ms", got)
	}
}

// A turn's own end-of-turn silence: a card number read in pieces, with
// 800 ms pauses, is one utterance with 1.2 s, two with the default 600 ms.
func TestATurnsEndSilenceDecidesWhenItsUtteranceEnds(t *testing.T) {
	audio := append(append(append(silence(300), speech(900)...), silence(800)...), speech(900)...)
	audio = append(audio, silence(1500)...)
	count := func(v *VAD) (ends int) {
		for off := 0; off+frameSamples <= len(audio); off += frameSamples {
			if v.Process(audio[off:off+frameSamples]) == VADSpeechEnd {
				ends++
			}
		}
		return ends
	}
	if n := count(NewVAD(DefaultVADConfig())); n != 2 {
		t.Errorf("default end silence: %d utterances, want 2", n)
	}
	v := NewVAD(DefaultVADConfig())
	v.SetEndSilence(1200 * time.Millisecond)
	if n := count(v); n != 1 {
		t.Errorf("1.2 s end silence: %d utterances, want 1", n)
	}
	if v.LastTalk() < 2500*time.Millisecond {
		t.Errorf("the pieces' talk %s, want the whole 2.6 s", v.LastTalk())
	}
	v.SetEndSilence(0) // back to the configured 600 ms
	if n := count(v); n != 2 {
		t.Errorf("end silence restored: %d utterances, want 2", n)
	}
}

func TestSDPOfferParsesBackWithCodecsAndTelephoneEvent(t *testing.T) {
	addr := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	body, err := BuildSDP(MediaOffer{Addr: addr, Codecs: []Codec{PCMU, PCMA}, DTMFPT: 101})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"m=audio 40000 RTP/AVP 0 8 101", "a=rtpmap:101 telephone-event/8000", "c=IN IP4 127.0.0.1"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("offer lacks %q:\n%s", want, body)
		}
	}
	o, err := ParseSDP(body)
	if err != nil {
		t.Fatal(err)
	}
	if o.Addr.String() != addr.String() || len(o.Codecs) != 2 || o.DTMFPT != 101 {
		t.Fatalf("parsed %+v", o)
	}
	g729 := "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
	o, err = ParseSDP([]byte(g729))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Negotiate([]Codec{PCMU, PCMA}, o); err != ErrNoCommonCodec {
		t.Fatalf("G.729-only answer negotiated: %v", err)
	}
	if _, err := ParseSDP([]byte("garbage")); err == nil {
		t.Fatal("garbage SDP parsed")
	}
}

func TestOutcomeForStatus(t *testing.T) {
	cases := map[int]Outcome{486: OutcomeBusy, 600: OutcomeBusy, 480: OutcomeNoAnswer, 404: OutcomeInvalidNumber,
		484: OutcomeInvalidNumber, 603: OutcomeRejected, 403: OutcomeRejected, 401: OutcomeFailed, 488: OutcomeFailed, 503: OutcomeFailed}
	for code, want := range cases {
		if got := OutcomeForStatus(code); got != want {
			t.Errorf("%d: %s, want %s", code, got, want)
		}
	}
}

// Two media sessions on loopback: audio, DTMF and recording both ways.
func TestMediaSessionsExchangeAudioDTMFAndRecord(t *testing.T) {
	clock := NewMediaClock(1)
	defer clock.Close()
	a, err := NewMediaSession(clock, MediaConfig{Record: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := NewMediaSession(clock, MediaConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.SetRemote(b.LocalAddr())
	b.SetRemote(a.LocalAddr())
	a.SetCodec(PCMA, 101)
	b.SetCodec(PCMA, 101)
	a.Start()
	b.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	go b.Play(ctx, speech(600))
	if _, err := a.Play(ctx, speech(300)); err != nil {
		t.Fatal(err)
	}
	sawStart, sawEnd := false, false
	for !sawEnd {
		select {
		case ev := <-a.Events():
			sawStart = sawStart || ev.Kind == EventSpeechStart
			sawEnd = ev.Kind == EventSpeechEnd
		case <-ctx.Done():
			t.Fatal("no speech events from the peer")
		}
	}
	if !sawStart {
		t.Fatal("speech end without start")
	}
	if err := b.SendDTMF("42#"); err != nil {
		t.Fatal(err)
	}
	got := ""
	for len(got) < 3 {
		select {
		case ev := <-a.Events():
			if ev.Kind == EventDTMF {
				got += string(ev.Digit)
			}
		case <-ctx.Done():
			t.Fatalf("DTMF got %q", got)
		}
	}
	if got != "42#" {
		t.Fatalf("DTMF %q, want 42#", got)
	}
	wavBytes, dur, err := a.Recording()
	if err != nil || dur < time.Second {
		t.Fatalf("recording %v %v", dur, err)
	}
	w, err := DecodeWAV(wavBytes)
	if err != nil {
		t.Fatal(err)
	}
	if w.Channels != 2 || w.SampleRate != 8000 {
		t.Fatalf("recording is %d ch at %d Hz", w.Channels, w.SampleRate)
	}
	left, right := FrameLevelDB(w.Channel(0)), FrameLevelDB(w.Channel(1))
	if left < -40 || right < -40 {
		t.Fatalf("levels left %.1f dB right %.1f dB: both sides should be audible", left, right)
	}
	// A loose bound: this checks pacing works, not how quiet the machine is
	// (the calls benchmark measures jitter under load).
	if st := clock.SendJitter(); st.Samples < 50 || st.P50 > 5*time.Millisecond {
		t.Fatalf("send jitter %+v", st)
	}
	if !bytes.HasPrefix(wavBytes, []byte("RIFF")) {
		t.Fatal("not a RIFF file")
	}
}

func TestRTPTimeoutEndsSessionWhenPeerIsSilent(t *testing.T) {
	clock := NewMediaClock(1)
	defer clock.Close()
	a, err := NewMediaSession(clock, MediaConfig{RTPTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.SetRemote(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9})
	a.Start()
	select {
	case <-a.Dead():
		if !strings.Contains(a.DeadReason(), "rtp timeout") {
			t.Fatalf("reason %q", a.DeadReason())
		}
	case <-time.After(2 * time.Second):
		t.Fatal("session still alive with no RTP from the peer")
	}
}

func TestLocalRecordingStoreRejectsEscapingKeysAndPurges(t *testing.T) {
	s := LocalRecordingStore{Dir: t.TempDir()}
	ctx := context.Background()
	if err := s.Put(ctx, "../x.wav", strings.NewReader("x")); err != ErrBadRecordingKey {
		t.Fatalf("escaping key: %v", err)
	}
	if err := s.Put(ctx, "t1/a.wav", strings.NewReader("RIFF")); err != nil {
		t.Fatal(err)
	}
	n, err := s.Purge(ctx, time.Now().Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v", n, err)
	}
}
