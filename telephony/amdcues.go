package telephony

import (
	"math"
	"strings"
	"unicode"
)

// What gave a machine away (AMDResult.Cue).
const (
	// CueMailbox: a voicemail greeting (留言, after the tone).
	CueMailbox = "mailbox"
	// CueCarrier: the carrier's announcement (空号, 已关机, not in service).
	CueCarrier = "carrier"
	// CueAssistant: a call-screening or AI call assistant (通话助理).
	CueAssistant = "assistant"
	// CueBeep: the tone a mailbox plays before it records.
	CueBeep = "beep"
)

// machinePhrases are words only machines answer a call with, by kind.
// Chinese phrases match the greeting with spaces and punctuation taken
// out, English ones its lower-cased words.
var machinePhrases = []struct{ cue, phrase string }{
	// Carriers' announcements (China Mobile, Unicom, Telecom; and abroad).
	{CueCarrier, "是空号"}, {CueCarrier, "已停机"}, {CueCarrier, "已关机"}, {CueCarrier, "暂时无法接通"},
	{CueCarrier, "无法接通"}, {CueCarrier, "不在服务区"}, {CueCarrier, "正在通话中"}, {CueCarrier, "稍后再拨"},
	{CueCarrier, "请查证后再拨"}, {CueCarrier, "号码有误"}, {CueCarrier, "已暂停服务"}, {CueCarrier, "呼叫受限"}, {CueCarrier, "无人接听"},
	{CueCarrier, "not in service"}, {CueCarrier, "no longer in service"}, {CueCarrier, "has been disconnected"},
	{CueCarrier, "not a working number"}, {CueCarrier, "cannot be reached"}, {CueCarrier, "cannot be completed"},
	{CueCarrier, "is switched off"}, {CueCarrier, "please try again later"}, {CueCarrier, "please check the number"},
	// Mailboxes.
	{CueMailbox, "留言"}, {CueMailbox, "提示音"}, {CueMailbox, "嘀声"}, {CueMailbox, "哔声"}, {CueMailbox, "语音信箱"},
	{CueMailbox, "无法接听"}, {CueMailbox, "不方便接听"}, {CueMailbox, "不能接听"}, {CueMailbox, "录音"},
	{CueMailbox, "leave a message"}, {CueMailbox, "leave your message"}, {CueMailbox, "leave me a message"},
	{CueMailbox, "leave us a message"}, {CueMailbox, "a brief message"}, {CueMailbox, "voice messaging"}, {CueMailbox, "leave your name"}, {CueMailbox, "after the tone"}, {CueMailbox, "after the beep"}, {CueMailbox, "at the tone"},
	{CueMailbox, "record your message"}, {CueMailbox, "voicemail"}, {CueMailbox, "voice mail"}, {CueMailbox, "mailbox"},
	{CueMailbox, "is not available"}, {CueMailbox, "is unavailable"}, {CueMailbox, "not available to take"},
	{CueMailbox, "can't take your call"}, {CueMailbox, "cannot take your call"}, {CueMailbox, "can't come to the phone"},
	{CueMailbox, "can't answer"}, {CueMailbox, "cannot answer"}, {CueMailbox, "unable to answer"}, {CueMailbox, "unable to take"},
	{CueMailbox, "you have reached"}, {CueMailbox, "you've reached"}, {CueMailbox, "i'll get back to you"},
	{CueMailbox, "i will get back to you"}, {CueMailbox, "call you back as soon as"},
	// Call-screening and AI call assistants (phone makers' 通话助理).
	{CueAssistant, "智能助理"}, {CueAssistant, "通话助理"}, {CueAssistant, "通话助手"}, {CueAssistant, "智能助手"},
	{CueAssistant, "来电助手"}, {CueAssistant, "ai助理"}, {CueAssistant, "ai助手"}, {CueAssistant, "机主"},
	{CueAssistant, "代接"}, {CueAssistant, "请说出您的来意"}, {CueAssistant, "说明来意"}, {CueAssistant, "说出来意"},
	{CueAssistant, "screening service"}, {CueAssistant, "call screening"}, {CueAssistant, "being screened"},
	{CueAssistant, "say your name"}, {CueAssistant, "state your name"}, {CueAssistant, "your name and why"},
	{CueAssistant, "reason for your call"}, {CueAssistant, "reason for calling"}, {CueAssistant, "ai assistant"}, {CueAssistant, "call assistant"},
	{CueAssistant, "virtual assistant"}, {CueAssistant, "automated assistant"}, {CueAssistant, "google assistant"},
	// How a carrier's announcement starts, also how its mailbox does
	// (您拨打的用户暂时无法接听,请在提示音后留言): last, so that a whole
	// greeting says which it is.
	{CueCarrier, "您拨打"}, {CueCarrier, "你拨打"}, {CueCarrier, "您所拨"}, {CueCarrier, "您呼叫的"},
	{CueCarrier, "the number you have dialed"}, {CueCarrier, "the number you dialed"}, {CueCarrier, "the number you have called"},
}

// personPhrases are what people say when they pick up and wait for the
// caller: who is it, what is it about, go ahead.
var personPhrases = []string{
	"哪位", "谁啊", "谁呀", "是谁", "什么事", "啥事", "有事吗", "有事儿", "找谁", "找我", "怎么了", "你是", "您是",
	"哪里", "说吧", "请讲", "你说", "您说", "听得到", "听不清", "喂",
	"who is this", "who's this", "who is calling", "who's calling", "who is it", "what's this about",
	"what is this about", "what's it about", "what is it about", "what's up", "speaking", "can i help",
	"how can i help", "go ahead", "can you hear me",
}

// personQuestions are the questions a person who picked up asks the caller
// (who is it, what is it about): no mailbox, announcement or assistant
// asks one before it has said what it is, so they decide while the callee
// is still talking, without waiting for the end of the sentence.
var personQuestions = []string{
	"哪位", "谁啊", "谁呀", "是谁", "找谁", "你是哪", "您是哪", "哪里啊", "哪个单位", "什么事", "啥事", "有事吗", "听得到吗",
	"who is this", "who's this", "who is calling", "who's calling", "who is it", "what's this about",
	"what is this about", "what's it about", "what is it about", "can you hear me",
}

// PersonQuestion returns the question that marks a greeting as a person's
// while they are still talking (see personQuestions); "" when none.
func PersonQuestion(text string) string { return firstPhrase(text, personQuestions) }

// textForms returns text in the two forms phrases are matched in (a
// greeting's cues, a turn's expected phrases):
// lower case without spaces or punctuation (Chinese), and lower-case
// words separated by single spaces with apostrophes kept (English).
func textForms(text string) (compact, words string) {
	var c, w strings.Builder
	space := true
	for _, r := range strings.ToLower(text) {
		switch {
		case r == '’' || r == '\'':
			w.WriteRune('\'')
			space = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			c.WriteRune(r)
			w.WriteRune(r)
			space = false
		default:
			if !space {
				w.WriteByte(' ')
				space = true
			}
		}
	}
	return c.String(), " " + strings.TrimSpace(w.String()) + " "
}

func phraseIn(compact, words, phrase string) bool {
	if phrase[0] < 0x80 {
		return strings.Contains(words, " "+phrase)
	}
	return strings.Contains(compact, phrase)
}

// MachinePhrase returns the kind of machine a greeting's words give away
// and the phrase that did ("" when none).
func MachinePhrase(text string) (cue, phrase string) {
	if strings.TrimSpace(text) == "" {
		return "", ""
	}
	compact, words := textForms(text)
	for _, p := range machinePhrases {
		if phraseIn(compact, words, p.phrase) {
			return p.cue, p.phrase
		}
	}
	return "", ""
}

// PersonPhrase returns the phrase that marks a greeting as a person's
// (asking who is calling, saying go ahead); "" when none.
func PersonPhrase(text string) string { return firstPhrase(text, personPhrases) }

// firstPhrase returns the first of phrases that text says ("" when none).
func firstPhrase(text string, phrases []string) string {
	compact, words := textForms(text)
	for _, p := range phrases {
		if phraseIn(compact, words, p) {
			return p
		}
	}
	return ""
}

// beepDetector hears the tone a mailbox plays before it records: a single
// steady frequency between 500 Hz and 3 kHz (above ringback tones), loud, for at least
// beepFrames frames in a row. Speech, even a sung vowel, spreads its
// energy over harmonics and moves in pitch.
type beepDetector struct {
	frame []int16 // the frame being filled
	run   int     // tone frames in a row
	hz    float64 // their frequency
}

const (
	beepFrames    = 8   // 160 ms
	beepMinRMS    = 300 // quieter is line noise
	beepMinPurity = 0.6 // share of the frame's energy at one frequency
)

// feed takes the callee's audio as it arrives and reports a beep and its
// frequency once heard.
func (b *beepDetector) feed(pcm []int16) (int, bool) {
	for len(pcm) > 0 {
		n := min(frameSamples-len(b.frame), len(pcm))
		b.frame = append(b.frame, pcm[:n]...)
		pcm = pcm[n:]
		if len(b.frame) < frameSamples {
			break
		}
		hz, tone := toneFrame(b.frame)
		b.frame = b.frame[:0]
		if tone && b.run > 0 && math.Abs(hz-b.hz) <= 60 {
			b.run++
		} else if tone {
			b.run, b.hz = 1, hz
		} else {
			b.run = 0
		}
		if b.run >= beepFrames {
			return int(math.Round(b.hz/10) * 10), true
		}
	}
	return 0, false
}

// toneFrame reports whether one 20 ms frame is a pure tone, and its
// frequency: zero crossings estimate it, and the Goertzel power around
// the estimate must hold most of the frame's energy.
func toneFrame(f []int16) (float64, bool) {
	var energy float64
	crossings := 0
	for i, s := range f {
		x := float64(s)
		energy += x * x
		if i > 0 && (f[i-1] < 0) != (s < 0) {
			crossings++
		}
	}
	n := float64(len(f))
	if energy/n < beepMinRMS*beepMinRMS {
		return 0, false
	}
	est := float64(crossings) * SampleRate / (2 * n)
	if est < 500 || est > 3000 {
		return 0, false
	}
	best, bestHz := 0.0, est
	for _, hz := range []float64{est - 30, est - 15, est, est + 15, est + 30} {
		if p := goertzel(f, hz); p > best {
			best, bestHz = p, hz
		}
	}
	// A pure tone of amplitude A has power (A·n/2)² at its frequency and
	// energy A²·n/2: their ratio, scaled, is 1.
	purity := best / (n * energy / 2)
	return bestHz, purity >= beepMinPurity
}

// goertzel is the power of f at hz.
func goertzel(f []int16, hz float64) float64 {
	w := 2 * math.Pi * hz / SampleRate
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range f {
		s0 := float64(x) + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - coeff*s1*s2
}

// carrierOutcomes say what a carrier's announcement means for the
// attempt, most specific first: a number that does not exist or is cut
// off is invalid (not worth another try), a line in use is busy, a phone
// switched off or out of reach is unreachable (for now), and one nobody
// picked up did not answer.
var carrierOutcomes = []struct {
	outcome Outcome
	phrase  string
}{
	{OutcomeInvalidNumber, "是空号"}, {OutcomeInvalidNumber, "已停机"}, {OutcomeInvalidNumber, "号码有误"},
	{OutcomeInvalidNumber, "已暂停服务"}, {OutcomeInvalidNumber, "请查证后再拨"}, {OutcomeInvalidNumber, "not in service"},
	{OutcomeInvalidNumber, "no longer in service"}, {OutcomeInvalidNumber, "has been disconnected"},
	{OutcomeInvalidNumber, "not a working number"}, {OutcomeInvalidNumber, "please check the number"},
	{OutcomeInvalidNumber, "cannot be completed as dialed"},
	{OutcomeBusy, "正在通话中"}, {OutcomeBusy, "用户忙"}, {OutcomeBusy, "正忙"}, {OutcomeBusy, "is busy"},
	{OutcomeUnreachable, "已关机"}, {OutcomeUnreachable, "不在服务区"}, {OutcomeUnreachable, "无法接通"}, {OutcomeNoAnswer, "无人接听"},
	{OutcomeUnreachable, "呼叫受限"}, {OutcomeUnreachable, "is switched off"}, {OutcomeUnreachable, "cannot be reached"},
	{OutcomeNoAnswer, "is not available"},
}

// CarrierOutcome is what a carrier's announcement means for the attempt,
// and the phrase that says so; an announcement that says nothing more
// specific is no_answer, and specific is then false.
func CarrierOutcome(text string) (outcome Outcome, phrase string, specific bool) {
	compact, words := textForms(text)
	for _, o := range carrierOutcomes {
		if phraseIn(compact, words, o.phrase) {
			return o.outcome, o.phrase, true
		}
	}
	return OutcomeNoAnswer, "", false
}

// maskDigits hides runs of five or more digits (a number an announcement
// reads out) in what a greeting said.
func maskDigits(text string) string {
	rs := []rune(text)
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && (unicode.IsDigit(rs[j]) || (j > i && rs[j] == ' ' && j+1 < len(rs) && unicode.IsDigit(rs[j+1]))) {
			j++
		}
		if digits := j - i; digits >= 5 {
			for k := i; k < j; k++ {
				if rs[k] != ' ' {
					rs[k] = '*'
				}
			}
		}
		i = max(j, i+1)
	}
	return string(rs)
}
