package telephony_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
	"github.com/outcall/outcall/telephony/funasrtest"
)

var (
	streamSimOnce sync.Once
	streamSim     *calleesim.Simulator
	streamSimErr  error
)

// startStreamSim is a callee simulator whose persona answers the robot's
// question with one long sentence (about three seconds of espeak).
func startStreamSim(t *testing.T) *calleesim.Simulator {
	t.Helper()
	needEspeak(t)
	streamSimOnce.Do(func() {
		streamSim, streamSimErr = calleesim.Start(context.Background(), calleesim.Config{TTS: sharedTTS, Personas: []calleesim.Persona{{
			Name: "long-answer", Numbers: []string{"4001"}, Kind: calleesim.KindHuman, Voice: "en", RingMS: 50, HoldMS: 5000,
			Lines: []calleesim.Line{{Say: "yes please, that would be lovely, thank you very much indeed", PauseMS: 200}},
		}}})
	})
	if streamSimErr != nil {
		t.Fatal(streamSimErr)
	}
	return streamSim
}

// askOnce dials the persona, asks, listens once and says goodbye.
func askOnce(t *testing.T, asr telephony.Recognizer) (telephony.CallResult, telephony.Utterance) {
	t.Helper()
	sim := startStreamSim(t)
	d := newDialer(t, telephony.DialerConfig{ASR: asr})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	var u telephony.Utterance
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "4001", RingTimeout: 5 * time.Second, ListenTimeout: 10 * time.Second,
		Language: "en", Hotwords: []string{"Li Wang"}, Phrases: []string{"yes please"}},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			if _, err := c.Say(ctx, "Hello, may we deliver tomorrow?", telephony.EmotionNeutral); err != nil {
				return err
			}
			var err error
			if u, err = c.Listen(ctx, "no thanks"); err != nil {
				return err
			}
			_, err = c.Say(ctx, "Thank you, goodbye.", telephony.EmotionNeutral)
			return err
		}))
	if err != nil {
		t.Fatal(err)
	}
	return res, u
}

// A streaming recogniser hears the callee while they speak: the audio
// reaches it in pieces over the length of the sentence and its partials
// come back before the end of speech, not one upload after it.
func TestListenStreamsTheCalleeToFunASRWhileTheySpeak(t *testing.T) {
	srv := funasrtest.NewServer(funasrtest.Script{Partials: []string{"yes", "yes please"}, Final: "yes please, that would be lovely"})
	defer srv.Close()
	asr, _ := telephony.NewFunASRRecognizer(srv.URL, "")
	res, u := askOnce(t, asr)
	if res.Outcome != telephony.OutcomeAnswered || u.Text != "yes please, that would be lovely" || u.EndedBy != telephony.EndedBySilence {
		t.Fatalf("outcome %s (%s), heard %+v", res.Outcome, res.Reason, u)
	}
	sessions := srv.Sessions()
	if len(sessions) != 1 {
		t.Fatalf("%d FunASR sessions for one turn", len(sessions))
	}
	s := sessions[0]
	t.Logf("the double got %s of speech in %d messages over %s; first answer %s before the end",
		s.Speech, s.BinaryMessages, s.LastAudio.Sub(s.FirstAudio), s.EndAt.Sub(s.SentAt[0]))
	if s.Speech < time.Second || s.BinaryMessages < 20 || s.LastAudio.Sub(s.FirstAudio) < time.Second || !s.Ended {
		t.Errorf("the runtime got %s of speech in %d messages over %s (ended %v): want the sentence streamed as it was spoken",
			s.Speech, s.BinaryMessages, s.LastAudio.Sub(s.FirstAudio), s.Ended)
	}
	if len(s.SentAt) == 0 || !s.SentAt[0].Before(s.EndAt) || !strings.Contains(s.Sent[0], "2pass-online") {
		t.Errorf("answers %q: want the first partial before the end of speech", s.Sent)
	}
	for _, w := range []string{"Li Wang", "yes please", "no thanks"} {
		if _, ok := s.Hotwords[w]; !ok {
			t.Errorf("hotwords %v lack %q (the call's and the turn's)", s.Hotwords, w)
		}
	}
	if i := slices.IndexFunc(res.Transcript, func(l telephony.TranscriptLine) bool { return l.Speaker == "callee" }); i < 0 || res.Transcript[i].Text != u.Text {
		t.Errorf("transcript %+v", res.Transcript)
	}
}

// The recogniser's own endpoint ends the turn while the callee is still
// talking: the session is closed after far less speech than the sentence
// has, and no end of speech is sent.
func TestTheRecognizersFinalEndsTheTurnBeforeOurSilence(t *testing.T) {
	srv := funasrtest.NewServer(funasrtest.Script{Partials: []string{"yes"}, Final: "yes please", EndpointAfter: 700 * time.Millisecond})
	defer srv.Close()
	asr, _ := telephony.NewFunASRRecognizer(srv.URL, "")
	res, u := askOnce(t, asr)
	if res.Outcome != telephony.OutcomeAnswered || u.Text != "yes please" || u.EndedBy != telephony.EndedByRecognizer {
		t.Fatalf("outcome %s (%s), heard %+v", res.Outcome, res.Reason, u)
	}
	s := srv.Sessions()[0]
	t.Logf("the session closed after %s of speech", s.Speech)
	if s.Ended || s.Speech > 1500*time.Millisecond {
		t.Errorf("the session got %s of speech and the end (%v): the turn should end at the recogniser's final", s.Speech, s.Ended)
	}
}

// A call whose recogniser fails ends as failed, saying why, though it
// was answered.
func TestACallWhoseRecognitionFailsEndsFailedWithTheReason(t *testing.T) {
	srv := funasrtest.NewServer(funasrtest.Script{Final: "yes"})
	defer srv.Close()
	srv.RequireKey("the-right-key")
	asr, _ := telephony.NewFunASRRecognizer(srv.URL, "a-wrong-key")
	res, _ := askOnce(t, asr)
	if res.Outcome != telephony.OutcomeFailed || res.Answered.IsZero() || !strings.Contains(res.Reason, "speech recognition failed") ||
		!strings.Contains(res.Reason, "credentials") || !errors.Is(res.HandlerErr, telephony.ErrASRAuth) {
		t.Fatalf("outcome %s, answered %v, reason %q, handler error %v", res.Outcome, res.Answered, res.Reason, res.HandlerErr)
	}
}

// A connection that drops mid-utterance is replaced at once, and the new
// one hears the utterance from its start.
func TestListenReplaysTheUtteranceWhenTheConnectionDrops(t *testing.T) {
	srv := funasrtest.NewServer(funasrtest.Script{Final: "yes please, that would be lovely"})
	defer srv.Close()
	srv.DropAfter = 400 * time.Millisecond
	srv.FaultNext(funasrtest.FaultDropMidUtterance)
	asr, _ := telephony.NewFunASRRecognizer(srv.URL, "")
	res, u := askOnce(t, asr)
	if res.Outcome != telephony.OutcomeAnswered || u.Text != "yes please, that would be lovely" {
		t.Fatalf("outcome %s (%s), heard %+v", res.Outcome, res.Reason, u)
	}
	ss := srv.Sessions()
	if len(ss) != 2 || !ss[0].Dropped || !ss[1].Ended {
		t.Fatalf("%d sessions (first dropped: %v): want the dropped one and its replacement", len(ss), len(ss) > 0 && ss[0].Dropped)
	}
	t.Logf("speech: dropped connection %s, its replacement %s", ss[0].Speech, ss[1].Speech)
	if ss[1].Speech < ss[0].Speech+500*time.Millisecond {
		t.Errorf("the new connection got %s of speech, the dropped one %s: want the utterance from its start", ss[1].Speech, ss[0].Speech)
	}
}
