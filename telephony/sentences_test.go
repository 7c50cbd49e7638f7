package telephony_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

// A long prompt is cut after its sentences, so its first plays while the
// rest is synthesised; short pieces stay with their neighbours and a
// sentence is never cut inside.
func TestPromptsAreCutAtSentenceEnds(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"您好王先生,想跟您确认订单。", []string{"您好王先生,想跟您确认订单。"}},
		{"您好,本次通话由人工智能语音助手为您服务。您好王先生,想跟您确认订单。", []string{"您好,本次通话由人工智能语音助手为您服务。", "您好王先生,想跟您确认订单。"}},
		{"好的。已为您确认订单,稍后短信通知您。再见!", []string{"好的。已为您确认订单,稍后短信通知您。再见!"}},
		{"好的。已为您确认订单,稍后短信通知您。感谢您的耐心等待!", []string{"好的。已为您确认订单,稍后短信通知您。", "感谢您的耐心等待!"}},
		{"Hello Mr. Smith, this is Acme. Your order ships today! Bye.", []string{"Hello Mr. Smith, this is Acme.", "Your order ships today! Bye."}},
		{"Your balance is 12.50 dollars. Pay today", []string{"Your balance is 12.50 dollars.", "Pay today"}},
		{"他说“好的。”然后挂了电话。", []string{"他说“好的。”", "然后挂了电话。"}},
		{"", []string{""}},
	} {
		if got := telephony.Sentences(c.text); !slices.Equal(got, c.want) {
			t.Errorf("Sentences(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

// slowTTS is a synthesiser that takes delay for every piece of text, as a
// remote voice does, and keeps what it was asked for.
type slowTTS struct {
	delay time.Duration
	mu    sync.Mutex
	asked []string
}

func (s *slowTTS) Synthesize(ctx context.Context, text, voice string, emotion telephony.Emotion) ([]int16, error) {
	s.mu.Lock()
	s.asked = append(s.asked, text)
	s.mu.Unlock()
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return telephony.ToneTTS{}.Synthesize(ctx, text, voice, emotion)
}

// A prompt of several sentences starts to play once its first sentence is
// made: the callee waits for one synthesis, not for all of them.
func TestALongPromptPlaysItsFirstSentenceWhileTheRestIsMade(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sim, err := calleesim.Start(ctx, calleesim.Config{TTS: telephony.ToneTTS{}, Personas: []calleesim.Persona{{
		Name: "listens", Numbers: []string{"4101"}, Kind: calleesim.KindHuman, RingMS: 50, HoldMS: 20000,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	tts := &slowTTS{delay: 700 * time.Millisecond}
	d, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: tts})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const prompt = "您好王先生,这里是账单提醒。您本期的账单将于明天到期。请您按时还款,谢谢您。"
	var (
		said    telephony.SayResult
		elapsed time.Duration
	)
	_, err = d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "4101", RingTimeout: 5 * time.Second, NoBargeIn: true},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			start := time.Now()
			var err error
			said, err = c.Say(ctx, prompt, telephony.EmotionNeutral)
			elapsed = time.Since(start)
			if err != nil {
				return err
			}
			return c.Hangup(ctx)
		}))
	if err != nil {
		t.Fatal(err)
	}
	if want := telephony.Sentences(prompt); len(want) != 3 || !slices.Equal(tts.asked, want) {
		t.Fatalf("the synthesiser was asked for %q, want the prompt's three sentences in order", tts.asked)
	}
	// Made one after another before playing, the prompt would take three
	// syntheses and its audio; made while it plays, one and its audio.
	if said.Played < 2*time.Second || elapsed > said.Played+tts.delay*18/10 {
		t.Fatalf("the prompt played %v and took %v with %v per synthesis: want its audio plus about one synthesis", said.Played, elapsed, tts.delay)
	}
}

// Text that arrives a few characters at a time (a model's streamed reply)
// is cut into sentences as soon as each is known to be complete: an end
// at the very end of what has come waits for the next character (a
// closing quote, the rest of 3.5).
func TestASplitterCutsSentencesAsTheTextArrives(t *testing.T) {
	for _, c := range []struct {
		pieces []string
		want   [][]string // what each Add returns, then Flush
	}{
		{[]string{"您好王先生,", "想跟您确认订单。", "请问", "您在家吗?"}, [][]string{nil, nil, {"您好王先生,想跟您确认订单。"}, nil, {"请问您在家吗?"}}},
		{[]string{"Your balance is 12.", "50 dollars.", " Pay today."}, [][]string{nil, nil, {"Your balance is 12.50 dollars."}, {"Pay today."}}},
		{[]string{"他说“好的。", "”然后挂了电话。"}, [][]string{nil, {"他说“好的。”"}, {"然后挂了电话。"}}},
		{[]string{"好的。已为您", "确认订单。再见!"}, [][]string{nil, {"好的。已为您确认订单。"}, {"再见!"}}},
		{[]string{"   "}, [][]string{nil, nil}},
	} {
		var s telephony.SentenceSplitter
		var got [][]string
		for _, p := range c.pieces {
			got = append(got, s.Add(p))
		}
		got = append(got, s.Flush())
		if len(got) != len(c.want) {
			t.Fatalf("%q: %q", c.pieces, got)
		}
		for i := range got {
			if !slices.Equal(got[i], c.want[i]) {
				t.Errorf("%q: step %d gave %q, want %q", c.pieces, i, got[i], c.want[i])
			}
		}
	}
	if got := telephony.JoinSentences([]string{"Hi there.", "Pay today.", "好的。", "再见!"}); got != "Hi there. Pay today. 好的。再见!" {
		t.Errorf("JoinSentences = %q", got)
	}
}

// SayParts speaks sentences as they come: the first plays while the next
// is still being written, and the transcript keeps them all.
func TestSentencesThatComeWhileThePromptPlaysAreSpokenInTurn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sim, err := calleesim.Start(ctx, calleesim.Config{TTS: telephony.ToneTTS{}, Personas: []calleesim.Persona{{
		Name: "listens", Numbers: []string{"4102"}, Kind: calleesim.KindHuman, RingMS: 50, HoldMS: 20000,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	tts := &slowTTS{}
	d, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: tts})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const firstSentence = "您好王先生,这里是某某银行信用卡中心的账单还款提醒。"
	var (
		said       telephony.SayResult
		transcript []telephony.TranscriptLine
		none       telephony.SayResult
		// madeFirst: the first sentence went to the synthesiser before
		// the second existed.
		madeFirst bool
	)
	_, err = d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "4102", RingTimeout: 5 * time.Second, NoBargeIn: true},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			parts := make(chan string, 2)
			written := make(chan struct{})
			go func() {
				defer close(written)
				parts <- firstSentence
				// The next sentence is still being written until the
				// first is being made (or, if it never is, 10 s).
				for deadline := time.Now().Add(10 * time.Second); !madeFirst && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
					tts.mu.Lock()
					madeFirst = len(tts.asked) == 1
					tts.mu.Unlock()
				}
				parts <- "请您按时还款。"
				close(parts)
			}()
			var err error
			said, err = c.SayParts(ctx, parts, telephony.EmotionNeutral)
			<-written
			if err != nil {
				return err
			}
			empty := make(chan string)
			close(empty)
			if none, err = c.SayParts(ctx, empty, telephony.EmotionNeutral); err != nil {
				return err
			}
			transcript = c.Transcript()
			return c.Hangup(ctx)
		}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tts.asked, []string{firstSentence, "请您按时还款。"}) || said.Sentences != 2 || none.Sentences != 0 || none.Played != 0 {
		t.Fatalf("synthesised %q; said %+v; an empty prompt %+v", tts.asked, said, none)
	}
	var robot []string
	for _, l := range transcript {
		if l.Speaker == "robot" {
			robot = append(robot, l.Text)
		}
	}
	if !slices.Equal(robot, []string{firstSentence + "请您按时还款。"}) {
		t.Fatalf("the transcript's robot lines: %q", robot)
	}
	if !madeFirst {
		t.Fatal("the first sentence was not synthesised until the prompt's last had come")
	}
	// Both played whole.
	audio := func(text string) time.Duration {
		pcm, _ := telephony.ToneTTS{}.Synthesize(ctx, text, "", telephony.EmotionNeutral)
		return time.Duration(len(pcm)) * time.Second / telephony.SampleRate
	}
	first, second := audio(firstSentence), audio("请您按时还款。")
	if said.Played != first+second {
		t.Fatalf("played %v, want %v and %v", said.Played, first, second)
	}
}
