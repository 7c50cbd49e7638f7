package telephony_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-audio/wav"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

func prob(f float64) *float64 { return &f }

// testPersonas answer by number so each test picks its callee.
var testPersonas = []calleesim.Persona{
	{Name: "busy", Numbers: []string{"1001"}, AnswerProbability: prob(0), Unanswered: map[string]float64{"busy": 1}},
	{Name: "rings-forever", Numbers: []string{"1002"}, AnswerProbability: prob(0), Unanswered: map[string]float64{"no_answer": 1}},
	{Name: "unknown-number", Numbers: []string{"1003"}, AnswerProbability: prob(0), Unanswered: map[string]float64{"invalid": 1}},
	{Name: "declines", Numbers: []string{"1004"}, AnswerProbability: prob(0), Unanswered: map[string]float64{"reject": 1}},
	{Name: "g729-only", Numbers: []string{"1005"}, RingMS: 50, Codecs: []string{"G729"}},
	{Name: "silent-line", Numbers: []string{"1006"}, RingMS: 50, NoRTP: true, HoldMS: 5000},
	{Name: "garbage-line", Numbers: []string{"1007"}, RingMS: 50, GarbageRTP: true, HoldMS: 5000},
	{Name: "talker", Numbers: []string{"2001"}, Kind: calleesim.KindHuman, Voice: "en", RingMS: 300, EarlyMedia: true, Greeting: "hello?",
		Lines: []calleesim.Line{{Say: "yes please", PauseMS: 200}, {DTMF: "7", PauseMS: 100}}},
	{Name: "hangs-up", Numbers: []string{"2002"}, Kind: calleesim.KindHuman, Voice: "en", RingMS: 100, Greeting: "hello",
		Lines: []calleesim.Line{{Hangup: true, PauseMS: 100}}},
	{Name: "interrupts", Numbers: []string{"2003"}, Kind: calleesim.KindHuman, Voice: "en", RingMS: 100,
		Lines: []calleesim.Line{{Say: "stop calling me", BargeInMS: 700}}},
	{Name: "transfer-me", Numbers: []string{"2004"}, Kind: calleesim.KindHuman, Voice: "en", RingMS: 100,
		Lines: []calleesim.Line{{Say: "an agent please", PauseMS: 100}}},
	{Name: "no-refer", Numbers: []string{"2005"}, Kind: calleesim.KindHuman, Voice: "en", RingMS: 100, RefuseTransfer: true,
		Lines: []calleesim.Line{{Say: "an agent please", PauseMS: 100}, {Say: "I have a question about my bill", PauseMS: 200}}},
	{Name: "agent", Numbers: []string{"+8610800801"}, Kind: calleesim.KindHuman, Voice: "en", RingMS: 200,
		Greeting: "Hello, this is Anna from customer care.", Lines: []calleesim.Line{{Say: "Sure, I can help with that.", PauseMS: 200}}, HoldMS: 1500},
	{Name: "mailbox", Numbers: []string{"3001"}, Kind: calleesim.KindVoicemail, Voice: "en", RingMS: 100,
		Greeting: "Hi, you have reached the office of Tom Baker. Please leave a message after the tone."},
}

func needEspeak(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed (apt-get install espeak-ng)")
	}
}

var (
	sharedTTS    = telephony.NewCachedTTS(telephony.EspeakTTS{}, 0)
	simOnce      sync.Once
	sharedSim    *calleesim.Simulator
	sharedSimErr error
)

func startSim(t *testing.T) *calleesim.Simulator {
	t.Helper()
	needEspeak(t)
	simOnce.Do(func() {
		sharedSim, sharedSimErr = calleesim.Start(context.Background(), calleesim.Config{Personas: testPersonas, TTS: sharedTTS, KeepAudio: true})
	})
	if sharedSimErr != nil {
		t.Fatal(sharedSimErr)
	}
	return sharedSim
}

func newDialer(t *testing.T, cfg telephony.DialerConfig) *telephony.SIPDialer {
	t.Helper()
	if cfg.TTS == nil {
		cfg.TTS = sharedTTS
	}
	d, err := telephony.NewSIPDialer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestDialMapsFinalResponsesToOutcomes(t *testing.T) {
	sim := startSim(t)
	d := newDialer(t, telephony.DialerConfig{RTPTimeout: 1500 * time.Millisecond})
	cases := []struct {
		name   string
		to     string
		want   telephony.Outcome
		code   int
		reason string
		simSaw string
	}{
		{"busy callee gives busy", "1001", telephony.OutcomeBusy, 486, "486", "busy"},
		{"unknown number gives invalid_number", "1003", telephony.OutcomeInvalidNumber, 404, "404", "invalid"},
		{"declined call gives rejected", "1004", telephony.OutcomeRejected, 603, "603", "reject"},
		{"answer with only G.729 fails with no common codec and hangs up", "1005", telephony.OutcomeFailed, 200, "no common codec", "answered"},
		{"callee that never sends RTP is hung up on RTP timeout", "1006", telephony.OutcomeAnswered, 200, "rtp timeout", "answered"},
		{"callee that sends garbage is hung up on RTP timeout", "1007", telephony.OutcomeAnswered, 200, "rtp timeout", "answered"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: tc.to, RingTimeout: 5 * time.Second},
				telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
					<-ctx.Done() // wait for the peer or the timeout to end the call
					return nil
				}))
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tc.want || res.SIPCode != tc.code || !strings.Contains(res.Reason, tc.reason) {
				t.Fatalf("outcome %s %d %q, want %s %d containing %q", res.Outcome, res.SIPCode, res.Reason, tc.want, tc.code, tc.reason)
			}
			rec, err := sim.WaitRecord(ctx, res.CallID)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Result != tc.simSaw {
				t.Fatalf("callee-sim saw %q, want %q", rec.Result, tc.simSaw)
			}
			if tc.code == 200 && rec.HangupBy != "caller" {
				t.Fatalf("callee-sim says %q hung up, want the caller (our BYE)", rec.HangupBy)
			}
			if tc.to == "1007" && res.Media.BadPacketsIn == 0 {
				t.Fatal("garbage packets were not counted as bad")
			}
		})
	}
}

func TestRingTimeoutSendsCancelAndGivesNoAnswer(t *testing.T) {
	sim := startSim(t)
	d := newDialer(t, telephony.DialerConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "1002", RingTimeout: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeNoAnswer || !strings.Contains(res.Reason, "CANCEL sent") {
		t.Fatalf("outcome %s %q", res.Outcome, res.Reason)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("ring timeout of 1s took %v", took)
	}
	rec, err := sim.WaitRecord(ctx, res.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Cancelled {
		t.Fatalf("callee-sim did not receive CANCEL: %+v", rec)
	}
	if res.SIPCode != 487 {
		t.Errorf("final response %d, want 487 Request Terminated after CANCEL", res.SIPCode)
	}
}

func TestWrongTrunkPasswordFailsWithAuthReason(t *testing.T) {
	needEspeak(t)
	sim, err := calleesim.Start(context.Background(), calleesim.Config{Personas: testPersonas, TTS: sharedTTS, Username: "acme", Password: "right"})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	d := newDialer(t, telephony.DialerConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	trunk := sim.Trunk()
	trunk.Password = "wrong"
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: trunk, To: "1001", RingTimeout: 3 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeFailed || res.SIPCode != 401 || !strings.Contains(res.Reason, "credentials") {
		t.Fatalf("wrong password: %s %d %q", res.Outcome, res.SIPCode, res.Reason)
	}
	// The right password passes the challenge and reaches the callee.
	res, err = d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "1001", RingTimeout: 3 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeBusy {
		t.Fatalf("right password: %s %d %q, want busy from the callee", res.Outcome, res.SIPCode, res.Reason)
	}
}

func TestConversationWithAudioBothWaysDTMFAndRecording(t *testing.T) {
	sim := startSim(t)
	store := telephony.LocalRecordingStore{Dir: t.TempDir()}
	d := newDialer(t, telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}, Recordings: store})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	var heard []telephony.Utterance
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "2001", RingTimeout: 5 * time.Second, DetectMachine: true},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			if _, err := c.Say(ctx, "Hello, this is your delivery service. Shall we come tomorrow?", telephony.EmotionHappy); err != nil {
				return err
			}
			u, err := c.Listen(ctx, "yes please", "no")
			if err != nil {
				return err
			}
			heard = append(heard, u)
			if _, err := c.Say(ctx, "Press seven to confirm.", telephony.EmotionNeutral); err != nil {
				return err
			}
			u, err = c.Listen(ctx)
			if err != nil {
				return err
			}
			heard = append(heard, u)
			if err := c.SendDTMF(ctx, "123"); err != nil {
				return err
			}
			_, err = c.Say(ctx, "Thank you, goodbye.", telephony.EmotionNeutral)
			return err
		}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeAnswered || res.HandlerErr != nil {
		t.Fatalf("outcome %s %q handler %v", res.Outcome, res.Reason, res.HandlerErr)
	}
	if res.AMD == nil || res.AMD.Verdict != telephony.AMDHuman {
		t.Fatalf("AMD %+v, want human", res.AMD)
	}
	if !res.EarlyMedia {
		t.Error("183 with SDP was not noted as early media")
	}
	if len(heard) != 2 || heard[0].Text != "yes please" || !heard[0].Simulated || heard[0].Talk == 0 || heard[1].DTMF != "7" {
		t.Fatalf("heard %+v", heard)
	}
	rec, err := sim.WaitRecord(ctx, res.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.DTMF != "123" {
		t.Errorf("callee got DTMF %q, want 123", rec.DTMF)
	}
	if rec.Heard < 2*time.Second {
		t.Errorf("callee heard only %v of our prompts", rec.Heard)
	}
	if res.RecordingKey == "" {
		t.Fatal("no recording stored")
	}
	f, err := store.Open(ctx, res.RecordingKey)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := make([]byte, 0, 1<<20)
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		data = append(data, buf[:n]...)
		if err != nil {
			break
		}
	}
	w, err := telephony.DecodeWAV(data)
	if err != nil {
		t.Fatal(err)
	}
	if w.Channels != 2 {
		t.Fatalf("recording has %d channels", w.Channels)
	}
	robot, callee := activeSeconds(w.Channel(0)), activeSeconds(w.Channel(1))
	if robot < 2 || callee < 0.5 {
		t.Fatalf("recording: robot (left) speaks %.1fs, callee (right) %.1fs; both should be there", robot, callee)
	}
	// The recording says in its metadata that it holds AI-generated speech.
	dec := wav.NewDecoder(bytes.NewReader(data))
	dec.ReadMetadata()
	if dec.Err() != nil || dec.Metadata == nil {
		t.Fatalf("the recording has no metadata (%v)", dec.Err())
	}
	var label struct{ AIGC map[string]string }
	if err := json.Unmarshal([]byte(dec.Metadata.Comments), &label); err != nil || label.AIGC["Label"] != "1" ||
		label.AIGC["ContentProducer"] != "outcall" || label.AIGC["ProduceID"] == "" || !strings.Contains(dec.Metadata.Keywords, "AIGC") {
		t.Fatalf("the recording's AI-generated content label: comments %q keywords %q (%v)", dec.Metadata.Comments, dec.Metadata.Keywords, err)
	}
}

// activeSeconds counts 20 ms frames louder than -40 dBFS.
func activeSeconds(pcm []int16) float64 {
	n := 0
	for off := 0; off+160 <= len(pcm); off += 160 {
		if telephony.FrameLevelDB(pcm[off:off+160]) > -40 {
			n++
		}
	}
	return float64(n) * 0.02
}

func TestCalleeHangupEndsCallAsHungUpByCallee(t *testing.T) {
	sim := startSim(t)
	d := newDialer(t, telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var listenErr error
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "2002", RingTimeout: 5 * time.Second, DetectMachine: true},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			sr, serr := c.Say(ctx, "Hello there, we have an offer for you.", telephony.EmotionHappy)
			t.Logf("say %+v %v", sr, serr)
			var lu telephony.Utterance
			lu, listenErr = c.Listen(ctx)
			t.Logf("listen %+v", lu)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeAnswered || res.HangupBy != "callee" {
		t.Fatalf("outcome %s hangup by %q (%s)", res.Outcome, res.HangupBy, res.Reason)
	}
	if listenErr != telephony.ErrCallEnded {
		t.Fatalf("Listen after the callee's BYE: %v, want ErrCallEnded", listenErr)
	}
}

func TestCalleeSpeechBargesIntoPrompt(t *testing.T) {
	sim := startSim(t)
	d := newDialer(t, telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var say telephony.SayResult
	var u telephony.Utterance
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "2003", RingTimeout: 5 * time.Second},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			var err error
			say, err = c.Say(ctx, "Good afternoon, I am calling about a wonderful limited time offer on our premium broadband plans for your household.", telephony.EmotionHappy)
			if err != nil {
				return err
			}
			u, err = c.Listen(ctx)
			return err
		}))
	if err != nil || res.HandlerErr != nil {
		t.Fatal(err, res.HandlerErr)
	}
	if !say.BargeIn || say.Played > 3*time.Second {
		t.Fatalf("prompt not interrupted: %+v", say)
	}
	if u.Text != "stop calling me" {
		t.Fatalf("utterance after barge-in %+v", u)
	}
}

// A callee who talks over a prompt still being written (SayParts) stops
// it: the sentences after the one playing are not taken, and the
// transcript keeps only what began to play.
func TestCalleeSpeechStopsAPromptStillBeingWritten(t *testing.T) {
	sim := startSim(t)
	d := newDialer(t, telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const first = "Good afternoon, I am calling about a wonderful limited time offer on our premium broadband plans for your household."
	var (
		say        telephony.SayResult
		u          telephony.Utterance
		transcript []telephony.TranscriptLine
		left       int
	)
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "2003", RingTimeout: 5 * time.Second},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			parts := make(chan string, 3)
			parts <- first
			written := make(chan struct{})
			go func() {
				// The rest comes while the first sentence plays, after the
				// callee has begun to talk over it (700 ms in).
				time.Sleep(2 * time.Second)
				parts <- "It includes a free router and installation."
				parts <- "Would you like to hear more?"
				close(parts)
				close(written)
			}()
			var err error
			if say, err = c.SayParts(ctx, parts, telephony.EmotionHappy); err != nil {
				return err
			}
			u, err = c.Listen(ctx)
			<-written
			left = len(parts)
			transcript = c.Transcript()
			return err
		}))
	if err != nil || res.HandlerErr != nil {
		t.Fatal(err, res.HandlerErr)
	}
	if !say.BargeIn || say.Sentences != 1 || say.Played > 3*time.Second {
		t.Fatalf("prompt not interrupted in its first sentence: %+v", say)
	}
	if left != 2 || u.Text != "stop calling me" {
		t.Fatalf("%d sentences left untaken; heard %+v", left, u)
	}
	for _, l := range transcript {
		if l.Speaker == "robot" && (l.Text != first || !l.BargeIn) {
			t.Fatalf("the transcript's robot line: %+v", l)
		}
	}
}

// A disclosure the callee must hear is spoken to its end though the
// callee talks over it (the same callee as above barges into a prompt);
// what they said is still heard after it.
func TestAWholePromptIsNotBargedOver(t *testing.T) {
	sim := startSim(t)
	d := newDialer(t, telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var say telephony.SayResult
	var u telephony.Utterance
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "2003", RingTimeout: 5 * time.Second},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			var err error
			say, err = c.SayWhole(ctx, "Good afternoon, this call is made by an AI voice assistant on behalf of your broadband provider, about your household plan.", telephony.EmotionNeutral)
			if err != nil {
				return err
			}
			u, err = c.Listen(ctx)
			return err
		}))
	if err != nil || res.HandlerErr != nil {
		t.Fatal(err, res.HandlerErr)
	}
	if say.BargeIn || say.Played < 4*time.Second {
		t.Fatalf("the whole prompt was cut off: %+v", say)
	}
	if u.Text != "stop calling me" {
		t.Fatalf("what the callee said over the prompt: %+v", u)
	}
}

func TestTransferByReferGivesTransferred(t *testing.T) {
	sim := startSim(t)
	d := newDialer(t, telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "2004", RingTimeout: 5 * time.Second},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			if _, err := c.Say(ctx, "How can I help?", telephony.EmotionNeutral); err != nil {
				return err
			}
			if _, err := c.Listen(ctx); err != nil {
				return err
			}
			return c.Transfer(ctx, "+8610800800")
		}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeTransferred || res.TransferTarget != "+8610800800" || res.HandlerErr != nil {
		t.Fatalf("outcome %s target %q handler %v reason %q", res.Outcome, res.TransferTarget, res.HandlerErr, res.Reason)
	}
	rec, err := sim.WaitRecord(ctx, res.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rec.ReferTo, "sip:+8610800800@") {
		t.Fatalf("callee got REFER to %q", rec.ReferTo)
	}
}

func TestRefusedReferIsReplacedByABridgeThatCarriesBothVoices(t *testing.T) {
	sim := startSim(t)
	d := newDialer(t, telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "2005", RingTimeout: 5 * time.Second},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			if _, err := c.Say(ctx, "How can I help?", telephony.EmotionNeutral); err != nil {
				return err
			}
			if _, err := c.Listen(ctx); err != nil {
				return err
			}
			return c.Transfer(ctx, "+8610800801")
		}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeTransferred || res.TransferTarget != "+8610800801" || res.HandlerErr != nil || res.BridgeCallID == "" {
		t.Fatalf("outcome %s target %q bridge %q handler %v reason %q", res.Outcome, res.TransferTarget, res.BridgeCallID, res.HandlerErr, res.Reason)
	}
	if !strings.Contains(res.Reason, "bridged call") || !strings.Contains(res.Reason, "ended by agent") {
		t.Fatalf("reason %q, want the bridge ended by the agent", res.Reason)
	}
	callee, err := sim.WaitRecord(ctx, res.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(callee.ReferTo, "sip:+8610800801@") || !callee.ReferRefused {
		t.Fatalf("callee got REFER to %q (refused %v) before the bridge", callee.ReferTo, callee.ReferRefused)
	}
	agent, err := sim.WaitRecord(ctx, res.BridgeCallID)
	if err != nil {
		t.Fatal(err)
	}
	if agent.Persona != "agent" || agent.Result != "answered" || agent.HangupBy != "callee" {
		t.Fatalf("agent leg %+v", agent)
	}
	// The callee speaks its second line only after hearing the agent's
	// greeting through the bridge, and the agent hears only what the
	// bridge relays from the callee: speech heard by the agent proves
	// audio went both ways.
	if agent.Heard < 500*time.Millisecond {
		t.Fatalf("the agent heard %v of the callee through the bridge", agent.Heard)
	}
	var sawBridge bool
	for _, line := range res.Transcript {
		if strings.HasPrefix(line.Text, "[bridged to ") {
			sawBridge = true
		}
	}
	if !sawBridge {
		t.Fatalf("transcript has no bridge line: %+v", res.Transcript)
	}
}

func TestVoicemailIsDetectedAndMessageDropped(t *testing.T) {
	sim := startSim(t)
	d := newDialer(t, telephony.DialerConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	handlerRan := false
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "3001", RingTimeout: 5 * time.Second, DetectMachine: true,
		VoicemailMessage: "Please call us back about your order."},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error { handlerRan = true; return nil }))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeVoicemail || res.AMD == nil || res.AMD.Verdict != telephony.AMDMachine {
		t.Fatalf("outcome %s AMD %+v", res.Outcome, res.AMD)
	}
	if handlerRan {
		t.Fatal("the dialog ran on a voicemail box")
	}
	if len(res.Transcript) == 0 || res.Transcript[0].Text != "Please call us back about your order." {
		t.Fatalf("message not dropped: transcript %+v", res.Transcript)
	}
}

func TestOptionsPingReportsTrunkHealth(t *testing.T) {
	sim := startSim(t)
	d := newDialer(t, telephony.DialerConfig{})
	h, err := d.Ping(context.Background(), sim.Trunk())
	if err != nil || !h.Up || h.SIPCode != 200 {
		t.Fatalf("ping callee-sim: %+v %v", h, err)
	}
	dead := telephony.Trunk{Host: "127.0.0.1", Port: 9}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	h, err = d.Ping(ctx, dead)
	if err != nil || h.Up {
		t.Fatalf("ping of a closed port: %+v %v", h, err)
	}
}

func TestDialOverTCPCarriesTheWholeDialog(t *testing.T) {
	needEspeak(t)
	sim, err := calleesim.Start(context.Background(), calleesim.Config{Personas: testPersonas, TTS: sharedTTS, TCP: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	d := newDialer(t, telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	trunk := sim.Trunk()
	trunk.Transport = "tcp"
	// The callee hangs up after our prompt: its BYE must come back over TCP.
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: trunk, To: "2002", RingTimeout: 5 * time.Second, DetectMachine: true},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			c.Say(ctx, "Hello over TCP.", telephony.EmotionNeutral)
			c.Listen(ctx)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeAnswered || res.HangupBy != "callee" {
		t.Fatalf("over TCP: %s by %q (%s)", res.Outcome, res.HangupBy, res.Reason)
	}
	res, err = d.Dial(ctx, telephony.DialRequest{Trunk: trunk, To: "1001", RingTimeout: 5 * time.Second}, nil)
	if err != nil || res.Outcome != telephony.OutcomeBusy {
		t.Fatalf("busy over TCP: %s %v", res.Outcome, err)
	}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "callee-sim"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

func TestDialOverTLSCarriesTheWholeDialogAndRefusesAnUntrustedCertificate(t *testing.T) {
	needEspeak(t)
	cert, pool := selfSigned(t)
	sim, err := calleesim.Start(context.Background(), calleesim.Config{Personas: testPersonas, TTS: sharedTTS,
		TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	trunk := sim.TLSTrunk()
	if trunk.Transport != "tls" {
		t.Fatalf("trunk %+v", trunk)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	d := newDialer(t, telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}, TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
	// The callee hangs up after our prompt: its BYE must come back over TLS.
	// Detection takes the callee's greeting, as in the TCP test.
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: trunk, To: "2002", RingTimeout: 5 * time.Second, DetectMachine: true},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			c.Say(ctx, "Hello over TLS.", telephony.EmotionNeutral)
			c.Listen(ctx)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeAnswered || res.HangupBy != "callee" {
		t.Fatalf("over TLS: %s by %q (%s)", res.Outcome, res.HangupBy, res.Reason)
	}
	res, err = d.Dial(ctx, telephony.DialRequest{Trunk: trunk, To: "1001", RingTimeout: 5 * time.Second}, nil)
	if err != nil || res.Outcome != telephony.OutcomeBusy {
		t.Fatalf("busy over TLS: %s %v", res.Outcome, err)
	}

	// A dialer that does not trust the carrier's certificate places no call.
	strict := newDialer(t, telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}, TLSConfig: &tls.Config{RootCAs: x509.NewCertPool(), MinVersion: tls.VersionTLS12}})
	res, err = strict.Dial(ctx, telephony.DialRequest{Trunk: trunk, To: "2002", RingTimeout: 5 * time.Second}, nil)
	if err != nil || res.Outcome != telephony.OutcomeFailed || !strings.Contains(res.Reason, "certificate") {
		t.Fatalf("untrusted certificate: outcome %s (%s) %v, want failed saying why", res.Outcome, res.Reason, err)
	}
}
