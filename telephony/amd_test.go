package telephony_test

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
	"github.com/outcall/outcall/telephony/funasrtest"
)

// Speech is never a beep: every greeting of the detection personas,
// spoken by espeak-ng in its voice, over the line.
func TestSpokenGreetingsAreNotBeeps(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed (apt-get install espeak-ng)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, p := range calleesim.AMDPersonas(1, 0) {
		if p.Greeting == "" {
			continue
		}
		pcm, err := telephony.EspeakTTS{}.Synthesize(ctx, p.Greeting, p.Voice, telephony.EmotionNeutral)
		if err != nil {
			t.Fatal(err)
		}
		if hz, ok := telephony.HearsBeep(telephony.OverTheLine(pcm)); ok {
			t.Errorf("%s %q: speech taken for a beep at %d Hz", p.Name, p.Greeting, hz)
		}
		// The simulated recogniser reveals words no faster than espeak-ng
		// says them, so that it knows no more than a real one would: its
		// reveal time is at least half the time from the first loud frame
		// to the last (espeak-ng's pauses after commas included).
		need := telephony.SimRevealTime(p.Greeting)
		if first, last := loudSpan(pcm); len([]rune(p.Greeting)) >= 12 && need < (last-first)/2 {
			t.Errorf("%s: said over %s but revealed over only %s: the simulation would hear words before they are said", p.Name, last-first, need)
		}
	}
}

// loudSpan is when speech starts and ends in pcm (10 ms windows above RMS 300).
func loudSpan(pcm []int16) (first, last time.Duration) {
	const win = telephony.SampleRate / 100
	first = -1
	for i := 0; i+win <= len(pcm); i += win {
		var e float64
		for _, s := range pcm[i : i+win] {
			e += float64(s) * float64(s)
		}
		if e/win > 300*300 {
			at := time.Duration(i) * time.Second / telephony.SampleRate
			if first < 0 {
				first = at
			}
			last = at + 10*time.Millisecond
		}
	}
	return max(first, 0), last
}

// The greetings that name nothing a machine says: only their beep tells.
var beepOnly = map[string]bool{"喂,我是阿强。": true, "Hey, it's Jess! You know what to do.": true, "Mike here.": true}

func TestGreetingsGiveTheirMachinesAwayAndPeoplesDoNot(t *testing.T) {
	for _, p := range calleesim.AMDPersonas(1, 0) {
		cue, phrase := telephony.MachinePhrase(p.Greeting)
		switch {
		case !p.Kind.IsMachine() && cue != "":
			t.Errorf("a person's %q is taken for a %s by %q", p.Greeting, cue, phrase)
		case p.Kind.IsMachine() && !beepOnly[p.Greeting] && cue == "":
			t.Errorf("the %s's %q names no machine", p.Kind, p.Greeting)
		}
	}
	for text, want := range map[string]string{
		"您拨打的号码是空号,请查证后再拨。":                                          telephony.CueCarrier,
		"对不起,您拨打":                                                    telephony.CueCarrier, // a partial: its first words tell
		"We're sorry, the number you have dialed is not in service.": telephony.CueCarrier,
		"您好,请在提示音后留言":                                                telephony.CueMailbox,
		"Hi, you’ve reached Tom, leave a message":                    telephony.CueMailbox,
		"你好,我是小艺,机主的通话助手":                                            telephony.CueAssistant,
		"Please state your name and the reason for your call.":       telephony.CueAssistant,
		"喂,你好,哪位?":                                                   "",
		"Hello, this is David, who's calling?":                       "",
		"I was leaving, a message came in":                           "",
	} {
		if cue, phrase := telephony.MachinePhrase(text); cue != want {
			t.Errorf("%q: cue %q (%q), want %q", text, cue, phrase, want)
		}
	}
	for text, want := range map[string]telephony.Outcome{
		"您拨打的号码是空号":                                    telephony.OutcomeInvalidNumber,
		"the number you have dialed is not in service": telephony.OutcomeInvalidNumber,
		"您拨打的电话正在通话中":                                  telephony.OutcomeBusy,
		"您拨打的用户不在服务区":                                  telephony.OutcomeUnreachable,
		"您拨打的":                                         telephony.OutcomeNoAnswer,
	} {
		if got, _, _ := telephony.CarrierOutcome(text); got != want {
			t.Errorf("announcement %q: %s, want %s", text, got, want)
		}
	}
	if p := telephony.PersonPhrase("喂,我在开车,你是哪里?"); p == "" {
		t.Error("a person asking who calls was not recognised")
	}
}

// Over SIP, with the callee simulator's voices and its simulated
// recogniser: people who answer with a whole sentence are people, and
// carriers, mailboxes (one that only beeps) and AI assistants are
// machines, each known by what gave it away.
func TestMachinesAreKnownByWhatTheySayAndPeopleAreNotHungUpOn(t *testing.T) {
	t.Parallel()
	needEspeak(t)
	personas := calleesim.AMDPersonas(5000, 2500)
	sim, err := calleesim.Start(context.Background(), calleesim.Config{Personas: personas, TTS: sharedTTS})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	d := newDialer(t, telephony.DialerConfig{ASR: telephony.SimulationRecognizer{}})
	number := func(greeting string) string {
		for _, p := range personas {
			if p.Greeting == greeting {
				return p.Numbers[0]
			}
		}
		t.Fatalf("no persona says %q", greeting)
		return ""
	}
	cases := []struct {
		greeting string
		verdict  telephony.AMDVerdict
		cue      string
		outcome  telephony.Outcome
	}{
		{"喂?", telephony.AMDHuman, "", telephony.OutcomeAnswered},
		{"喂,我现在在外面开车,你是哪里啊,有什么事吗?", telephony.AMDHuman, "", telephony.OutcomeAnswered},
		{"Hello, this is David Miller speaking, who's calling please?", telephony.AMDHuman, "", telephony.OutcomeAnswered},
		// A carrier's announcement says what became of the attempt.
		{"您拨打的号码是空号,请查证后再拨。", telephony.AMDMachine, telephony.CueCarrier, telephony.OutcomeInvalidNumber},
		{"您好,您拨打的电话已关机。", telephony.AMDMachine, telephony.CueCarrier, telephony.OutcomeUnreachable},
		{"您拨打的用户正在通话中,请稍后再拨。", telephony.AMDMachine, telephony.CueCarrier, telephony.OutcomeBusy},
		{"你好,我是小艺,机主的通话助手,请说出您的来意。", telephony.AMDMachine, telephony.CueAssistant, telephony.OutcomeVoicemail},
		{"Hi, you have reached Tom Baker. I can't take your call right now, please leave a message after the tone.", telephony.AMDMachine, telephony.CueMailbox, telephony.OutcomeVoicemail},
		{"Hey, it's Jess! You know what to do.", telephony.AMDMachine, telephony.CueBeep, telephony.OutcomeVoicemail},
		// The carrier's own mailbox starts like its announcements.
		{"您好,您拨打的用户暂时无法接听,请在提示音后留言,留言完毕请挂机。", telephony.AMDMachine, telephony.CueMailbox, telephony.OutcomeVoicemail},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	results := make([]telephony.CallResult, len(cases))
	errs := make([]error, len(cases))
	played := make([]time.Duration, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: number(c.greeting), RingTimeout: 5 * time.Second, DetectMachine: true},
				telephony.CallHandlerFunc(func(ctx context.Context, call telephony.Call) error {
					said, err := call.Say(ctx, "您好,这里是账单提醒。", telephony.EmotionNeutral)
					played[i] = said.Played
					return err
				}))
		}()
	}
	wg.Wait()
	for i, c := range cases {
		res := results[i]
		if errs[i] != nil || res.AMD == nil {
			t.Errorf("%q: %v, outcome %s %q", c.greeting, errs[i], res.Outcome, res.Reason)
			continue
		}
		if res.AMD.Verdict != c.verdict || res.AMD.Cue != c.cue {
			t.Errorf("%q: %s by %q (%s), want %s by %q", c.greeting, res.AMD.Verdict, res.AMD.Cue, res.AMD.Reason, c.verdict, c.cue)
		}
		if res.Outcome != c.outcome {
			t.Errorf("%q: outcome %s (%s), want %s", c.greeting, res.Outcome, res.Reason, c.outcome)
		}
		// A person who answers with a whole sentence is let finish it:
		// the first words do not talk over them.
		if c.verdict == telephony.AMDHuman {
			if rec, err := sim.WaitRecord(ctx, res.CallID); err != nil || rec.TalkedOver != 0 || played[i] < time.Second {
				t.Errorf("%q: the robot's first words began while the callee was still talking (%d times; played %v; %v)", c.greeting, rec.TalkedOver, played[i], err)
			}
		}
		t.Logf("%q: %s after %s (%s; heard %q)", c.greeting, res.AMD.Verdict, res.AMD.Decided.Round(10*time.Millisecond), res.AMD.Reason, res.AMD.Said)
	}
}

// With a streaming recogniser (FunASR here, its test double), the
// detector reads the partials while the greeting is still being spoken:
// the carrier's announcement is known from its first words, and a person
// who answers with a long sentence is a person.
func TestAStreamingRecognisersPartialsDecideTheVerdict(t *testing.T) {
	t.Parallel()
	needEspeak(t)
	sim, err := calleesim.Start(context.Background(), calleesim.Config{TTS: sharedTTS, Personas: []calleesim.Persona{
		{Name: "switched-off", Numbers: []string{"7001"}, Kind: calleesim.KindAnnouncement, Voice: "cmn", HoldMS: 3000,
			Greeting: "您好,您拨打的电话已关机,请稍后再拨。"},
		{Name: "driving", Numbers: []string{"7002"}, Kind: calleesim.KindHuman, Voice: "cmn", HoldMS: 3000,
			Greeting: "喂,我现在在外面开车,你是哪里啊,有什么事吗?"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	srv := funasrtest.NewServer(funasrtest.Script{Partials: []string{"您好", "您好您拨打的", "您好您拨打的电话已关机"},
		Final: "您好,您拨打的电话已关机,请稍后再拨。", PartialEvery: 400 * time.Millisecond})
	defer srv.Close()
	asr, _ := telephony.NewFunASRRecognizer(srv.URL, "")
	d := newDialer(t, telephony.DialerConfig{ASR: asr})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	dial := func(to string) telephony.CallResult {
		res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: to, RingTimeout: 5 * time.Second, DetectMachine: true},
			telephony.CallHandlerFunc(func(context.Context, telephony.Call) error { return nil }))
		if err != nil || res.AMD == nil {
			t.Fatalf("dial %s: %v, outcome %s %q", to, err, res.Outcome, res.Reason)
		}
		return res
	}
	res := dial("7001")
	if res.AMD.Verdict != telephony.AMDMachine || res.AMD.Cue != telephony.CueCarrier || !strings.Contains(res.AMD.Said, "您拨打的") {
		t.Fatalf("announcement: %+v", res.AMD)
	}
	if res.AMD.Greeting > 2500*time.Millisecond {
		t.Errorf("announcement decided after %s of its speech: want it from the partials, before its end", res.AMD.Greeting)
	}
	if res.Outcome != telephony.OutcomeUnreachable || !strings.Contains(res.Reason, "已关机") {
		t.Errorf("a phone switched off: outcome %s (%s), want unreachable read from the announcement", res.Outcome, res.Reason)
	}
	if s := srv.Sessions(); len(s) != 1 || s[0].Speech == 0 {
		t.Errorf("FunASR sessions %+v: want one session fed the greeting", s)
	}

	srv.SetScript(funasrtest.Script{Partials: []string{"喂", "喂我现在在外面开车", "喂我现在在外面开车你是哪里啊"},
		Final: "喂,我现在在外面开车,你是哪里啊,有什么事吗?", PartialEvery: 400 * time.Millisecond})
	res = dial("7002")
	if res.AMD.Verdict != telephony.AMDHuman || res.Outcome == telephony.OutcomeVoicemail {
		t.Fatalf("a person answering with a sentence: %s %+v", res.Outcome, res.AMD)
	}
	t.Logf("person: %s after %s (%s)", res.AMD.Verdict, res.AMD.Decided.Round(10*time.Millisecond), res.AMD.Reason)
}

// A carrier's announcement in early media, before any answer (您拨打的号码
// 是空号), is read through the streaming recogniser while the call still
// rings: the attempt ends at once as what it says, with CANCEL, instead of
// ringing out as no_answer and being dialled again. Ringback tone in
// early media is left alone.
func TestAnAnnouncementInEarlyMediaEndsTheAttemptAsWhatItSays(t *testing.T) {
	t.Parallel()
	needEspeak(t)
	sim, err := calleesim.Start(context.Background(), calleesim.Config{TTS: sharedTTS, Personas: []calleesim.Persona{
		{Name: "empty-number", Numbers: []string{"7101"}, Kind: calleesim.KindAnnouncement, Voice: "cmn", RingMS: 8000,
			EarlyAnnouncement: "您拨打的号码是空号,请查证后再拨。"},
		{Name: "rings", Numbers: []string{"7102"}, Kind: calleesim.KindHuman, Voice: "cmn", RingMS: 1500, EarlyMedia: true, HoldMS: 1000},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	srv := funasrtest.NewServer(funasrtest.Script{Partials: []string{"您拨打的", "您拨打的号码是空号"}, Final: "您拨打的号码是空号,请查证后再拨。",
		PartialEvery: 300 * time.Millisecond})
	defer srv.Close()
	asr, _ := telephony.NewFunASRRecognizer(srv.URL, "")
	d := newDialer(t, telephony.DialerConfig{ASR: asr})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "7101", RingTimeout: 20 * time.Second, DetectMachine: true},
		telephony.CallHandlerFunc(func(context.Context, telephony.Call) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != telephony.OutcomeInvalidNumber || !res.Answered.IsZero() || !strings.Contains(res.Reason, "early media") ||
		!strings.Contains(res.EarlyAnnouncement, "空号") {
		t.Fatalf("an empty number announced in early media: outcome %s (%q), announcement %q", res.Outcome, res.Reason, res.EarlyAnnouncement)
	}
	if res.RingTime >= 8*time.Second {
		t.Errorf("the attempt rang %s: want it ended by the announcement, not by the network giving up at 8 s", res.RingTime)
	}
	rec, err := sim.WaitRecord(ctx, res.CallID)
	if err != nil || !rec.Cancelled {
		t.Fatalf("the callee simulator's record %+v (%v): want the INVITE cancelled", rec, err)
	}
	// Ringback in early media, in which a recogniser hears no words: the
	// call is answered as usual.
	quiet := funasrtest.NewServer(funasrtest.Script{})
	defer quiet.Close()
	hearsNothing, _ := telephony.NewFunASRRecognizer(quiet.URL, "")
	d = newDialer(t, telephony.DialerConfig{ASR: hearsNothing})
	res, err = d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "7102", RingTimeout: 20 * time.Second, DetectMachine: true},
		telephony.CallHandlerFunc(func(context.Context, telephony.Call) error { return nil }))
	if err != nil || res.Outcome != telephony.OutcomeAnswered || !res.EarlyMedia {
		t.Fatalf("a call with ringback in early media: %v, outcome %s (%q), early media %v", err, res.Outcome, res.Reason, res.EarlyMedia)
	}
}

// A recogniser that does not answer while a call rings holds nothing up:
// the early media's reading gives up when the callee answers (its
// handshake would have taken 5 s to fail).
func TestARecogniserThatHangsDuringRingingDoesNotDelayTheAnswer(t *testing.T) {
	t.Parallel()
	needEspeak(t)
	silent := silentServer(t)
	sim, err := calleesim.Start(context.Background(), calleesim.Config{TTS: sharedTTS, Personas: []calleesim.Persona{
		{Name: "rings", Numbers: []string{"7103"}, Kind: calleesim.KindHuman, Voice: "cmn", RingMS: 300, EarlyMedia: true, Greeting: "喂?", HoldMS: 1000},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	asr, _ := telephony.NewFunASRRecognizer(silent, "")
	d := newDialer(t, telephony.DialerConfig{ASR: asr})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "7103", RingTimeout: 10 * time.Second, DetectMachine: true},
		telephony.CallHandlerFunc(func(context.Context, telephony.Call) error { return nil }))
	if err != nil || !res.EarlyMedia || res.Answered.IsZero() {
		t.Fatalf("%v, outcome %s (%q), early media %v", err, res.Outcome, res.Reason, res.EarlyMedia)
	}
	// The ring time runs to the answer, the early media's reading given up.
	if res.RingTime > 3*time.Second {
		t.Fatalf("rang %v for a callee who answered after 0.3 s: the early media's recogniser held the answer up", res.RingTime)
	}
}

// A person's question to the caller decides while they are still talking;
// no greeting of a machine among the simulator's asks one before it has
// named what it is, at any point of its words.
func TestAPersonsQuestionDecidesAndNoMachineAsksOneFirst(t *testing.T) {
	for text, want := range map[string]string{
		"喂,我现在在外面开车,你是哪里":      "你是哪",
		"喂,你好,哪位":              "哪位",
		"Hello, who's calling": "who's calling",
		"喂,你好":                 "",
		"你好,我是张伟":              "",
		"Hi, this is Tom":      "",
	} {
		if got := telephony.PersonQuestion(text); got != want {
			t.Errorf("%q: %q, want %q", text, got, want)
		}
	}
	for _, p := range calleesim.AMDPersonas(1, 0) {
		if !p.Kind.IsMachine() {
			continue
		}
		r := []rune(p.Greeting)
		for i := 1; i <= len(r); i++ {
			partial := string(r[:i])
			if q := telephony.PersonQuestion(partial); q != "" {
				if cue, _ := telephony.MachinePhrase(partial); cue == "" {
					t.Errorf("the %s's %q asks %q before it names a machine", p.Kind, partial, q)
				}
				break
			}
		}
	}
}

// A recogniser that never answers does not hold up answering-machine
// detection: the call goes on by the greeting's length and silence, and
// the person who said "喂?" hears the robot as soon as without one.
func TestARecogniserThatHangsDoesNotDelayTheVerdict(t *testing.T) {
	t.Parallel()
	needEspeak(t)
	silent := silentServer(t)
	sim, err := calleesim.Start(context.Background(), calleesim.Config{TTS: sharedTTS, Personas: []calleesim.Persona{
		{Name: "short", Numbers: []string{"7104"}, Kind: calleesim.KindHuman, Voice: "cmn", Greeting: "喂?", HoldMS: 3000},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	asr, _ := telephony.NewFunASRRecognizer(silent, "")
	d := newDialer(t, telephony.DialerConfig{ASR: asr})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var talking time.Time
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "7104", RingTimeout: 5 * time.Second, DetectMachine: true},
		telephony.CallHandlerFunc(func(context.Context, telephony.Call) error { talking = time.Now(); return nil }))
	if err != nil || res.AMD == nil || talking.IsZero() {
		t.Fatalf("%v, outcome %s (%q)", err, res.Outcome, res.Reason)
	}
	if wait := talking.Sub(res.Answered); res.AMD.Verdict != telephony.AMDHuman || wait > 2500*time.Millisecond {
		t.Fatalf("with a recogniser that never answers: %s (%s), the dialog starting %s after the answer; want a person within 2.5 s",
			res.AMD.Verdict, res.AMD.Reason, wait)
	}
}

// silentServer is a recogniser's address that accepts connections and never
// says a word, for as long as the test runs.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return "ws://" + ln.Addr().String()
}
