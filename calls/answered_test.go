package calls_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

// The callee hears the greeting while the database is away: the answered
// mark is written beside the conversation, not before it. Here the mark
// hangs until the call is over, and the call still runs its script to the
// end and says it was talked, so that its close announces the answer the
// mark could not.
func TestTheConversationDoesNotWaitForTheAnsweredMark(t *testing.T) {
	t.Parallel()
	skipUnlessCallsCanRun(t, "this test is about the order of a call's steps and compares no times of either clock")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st := newSpeechTenant(t, ctx)
	// The tenant's own speech services (test doubles) speak and hear it.
	srv := httptest.NewServer(&speechServices{heard: "是的"})
	defer srv.Close()
	key := "sk-speech"
	if _, err := st.speech.Set(ctx, st.p, telephony.SpeechInput{TTS: "http", TTSURL: srv.URL, TTSVoice: "nova", TTSKey: &key,
		ASR: "http", ASRURL: srv.URL, ASRKey: &key}); err != nil {
		t.Fatal(err)
	}
	placer := st.placerFor(t, ctx, calleesim.Persona{Name: "agrees", Voice: "cmn", Lines: []calleesim.Line{{Say: "是的"}}, HoldMS: 3000})

	asked := make(chan time.Time, 2)
	over := make(chan struct{})
	p := st.placement()
	p.Answered = func(at time.Time) error {
		asked <- at
		select { // the database is away until the call is over
		case <-over:
		case <-ctx.Done():
		}
		return errors.New("the database is away")
	}
	res, err := placer.Place(ctx, p)
	close(over)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeAnswered || res.FinalState != "confirm" || len(res.Turns) < 2 {
		t.Fatalf("outcome %s in state %q after %d turns (%s): want the script run to its end while the mark hung", res.Outcome, res.FinalState, len(res.Turns), res.Reason)
	}
	if !res.Talked {
		t.Fatal("the call does not say it was talked: its close could not announce the answer")
	}
	// The mark runs in a goroutine of its own: wait for it rather than
	// assume it ran before the call ended.
	var at time.Time
	select {
	case at = <-asked:
	case <-ctx.Done():
		t.Fatal("the answered mark was never asked for")
	}
	if at.Before(res.AnsweredAt) || at.After(res.EndedAt) {
		t.Fatalf("marked answered at %v, for a call answered at %v and ended at %v", at, res.AnsweredAt, res.EndedAt)
	}
	if n := len(asked); n != 0 {
		t.Fatalf("the answered mark was asked for %d times, want once", n+1)
	}
}
