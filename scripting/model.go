package scripting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/grafana/sobek"
	"golang.org/x/text/width"
)

// A language model in the loop. A state that declares `llm` lets the
// tenant's model (an OpenAI-compatible chat endpoint, configured per
// tenant) help when the built-in understanding is unsure of what the
// callee said:
//
//	states: {
//	  reminder: {
//	    say: "…请问您什么时候方便还款呢?",
//	    on: { promise: "promised", paid: "already_paid", dispute: "agent" },
//	    llm: { classify: true, reply: "回答关于账单金额和还款方式的问题,然后请客户给出还款日期", budget: "1500ms" },
//	  },
//	}
//
// classify: the model picks one of the state's own intents (the keys of
// `on`), answering in a JSON schema that lists only those. reply: the
// model either picks one of them (its only tool) or phrases an answer
// inside the state's purpose, which is spoken and the dialog stays in the
// state (as a fallback turn does, counting against the fallback's
// retries). The script's top-level `llm: { system, maxChars }` sets the
// model's instructions and the longest reply.
//
// The model never moves the dialog anywhere the state's `on` does not
// lead: an intent outside the state's is ignored, and a reply is spoken
// only when it passes the guardrails (sensitive words, the length cap,
// no digits the script did not say, no URLs). On a timeout (the state's
// budget), a refusal, output that is not the schema, or a reply that
// fails the guardrails, the turn goes on as if there were no model: the
// built-in understanding's intent, or the fallback's fixed `say`.
//
// A [Session] asks only when [SessionOptions.AskModel] is set: [Session.Turn]
// then returns a step with [Step.Ask] and the dialog waits; the caller
// asks the model and hands its [Answer] to [Session.Resolve], which
// finishes the turn. A turn the built-in behaviour decides (stop, busy,
// an angry caller, asking for a person) never asks.

// LLMThreshold is the confidence below which a state with `llm` asks the
// model (no_match always does).
const LLMThreshold = 0.6

// Budgets of a model's answer in one turn.
const (
	DefaultModelBudget = 1500 * time.Millisecond
	MaxModelBudget     = 5 * time.Second
)

// DefaultModelMaxChars caps a model's reply, in characters, unless the
// script's `llm.maxChars` says otherwise (at most MaxModelChars).
const (
	DefaultModelMaxChars = 120
	MaxModelChars        = 400
)

// modelHistory is how many past turns the model sees.
const modelHistory = 6

type stateModel struct {
	Classify bool
	Reply    string // the state's purpose; "" when the model may not reply
	Budget   time.Duration
}

type scriptModel struct {
	System   string
	MaxChars int
}

// Ask is what a turn asks of the model.
type Ask struct {
	// Kind is "classify" or "reply".
	Kind  string `json:"kind"`
	Lang  string `json:"lang"`
	State string `json:"state"`
	// Text is what the callee said (secrets redacted).
	Text string `json:"text"`
	// Intents are the state's own intents, the only answers allowed, with
	// a description or the script's examples for each.
	Intents []AskIntent `json:"intents"`
	// System is the script's instructions for the model; Purpose the
	// state's (reply only).
	System  string `json:"system,omitempty"`
	Purpose string `json:"purpose,omitempty"`
	// Said is what the state said to the callee, the question being
	// answered.
	Said string `json:"said,omitempty"`
	// Contact is the contact as the model may see it: long digit runs
	// masked, secrets redacted.
	Contact map[string]any `json:"contact,omitempty"`
	// Data is what the call's requests to the tenant's endpoints answered
	// (c.http, by name), masked as Contact is: the model may use it, and
	// numbers in it count as said.
	Data map[string]any `json:"data,omitempty"`
	// History is the call so far, oldest first.
	History  []AskTurn `json:"history,omitempty"`
	Budget   Millis    `json:"budget"`
	MaxChars int       `json:"maxChars"`
	// Speak is set when a reply that passes the guardrails would be
	// spoken in this turn: the caller may then speak it as the model
	// writes it, a sentence at a time, each checked with GuardReply
	// before it is spoken (see Answer.Spoken).
	Speak *AskSpeak `json:"speak,omitempty"`
}

// AskSpeak is how a model's reply to an Ask would be spoken.
type AskSpeak struct {
	Emotion string `json:"emotion,omitempty"`
}

// AskIntent is one intent the model may choose.
type AskIntent struct {
	Name     string   `json:"name"`
	About    string   `json:"about,omitempty"`
	Examples []string `json:"examples,omitempty"`
}

// AskTurn is one past turn, as the model sees it.
type AskTurn struct {
	Said  string `json:"said,omitempty"`
	Heard string `json:"heard,omitempty"`
}

// Answer is what the model said to an Ask: an intent, a reply, or why
// there is neither.
type Answer struct {
	Intent string `json:"intent,omitempty"`
	Reply  string `json:"reply,omitempty"`
	// Failure says why the model gave nothing usable: "timeout",
	// "refused", "bad output: …", "unavailable: …".
	Failure string        `json:"failure,omitempty"`
	Latency time.Duration `json:"latency"`
	Tokens  int           `json:"tokens,omitempty"`
	Model   string        `json:"model,omitempty"`
	// Spoken is set when the caller spoke Reply as the model wrote it
	// (the ask's Speak): Reply is then what the callee heard, each of its
	// sentences having passed GuardReply, and is never spoken again. An
	// Intent beside it is the model's choice after those words.
	Spoken bool `json:"spoken,omitempty"`
	// FirstWords is how long the callee waited for the first spoken
	// sentence (Spoken only).
	FirstWords time.Duration `json:"firstWords,omitempty"`
	// Cut says why the rest of a spoken reply was not spoken: a sentence
	// that failed the guardrails, the callee taking the turn, the model's
	// failure after its first words.
	Cut string `json:"cut,omitempty"`
}

// StreamingModel is a Model that hands over a reply's words as it writes
// them, so that they can be spoken before the reply is finished.
type StreamingModel interface {
	Model
	// AnswerStream is Answer, calling text with each new piece of a
	// reply's spoken words as it arrives (never a classification, a
	// tool's arguments or a reasoning model's thinking). text returns
	// false to stop the model. Once the reply has begun, the ask's budget
	// no longer bounds it: it has MaxModelBudget more to finish.
	AnswerStream(ctx context.Context, ask *Ask, text func(string) bool) Answer
}

// ModelUse records on a step when and why the model was used and what
// became of its answer.
type ModelUse struct {
	Kind string `json:"kind"`
	// Why the model was asked: the built-in understanding's best guess.
	Why       string  `json:"why"`
	Intent    string  `json:"intent,omitempty"`
	Reply     bool    `json:"reply,omitempty"`
	Used      bool    `json:"used"`
	Rejected  string  `json:"rejected,omitempty"`
	Failure   string  `json:"failure,omitempty"`
	LatencyMS float64 `json:"latencyMs"`
	Tokens    int     `json:"tokens,omitempty"`
	Model     string  `json:"model,omitempty"`
	// Streamed is set when the reply was spoken as the model wrote it;
	// FirstWordsMS is then how long the callee waited for its first
	// sentence, and Cut why the rest was not spoken.
	Streamed     bool    `json:"streamed,omitempty"`
	FirstWordsMS float64 `json:"firstWordsMs,omitempty"`
	Cut          string  `json:"cut,omitempty"`
}

// Model answers a turn's Ask. Answer never fails: a model that cannot
// answer says why in Answer.Failure, and the turn goes on without it.
type Model interface {
	Answer(ctx context.Context, ask *Ask) Answer
}

// ErrPending is returned by Turn while a turn waits for Resolve.
var ErrPending = errors.New("a turn waits for the model's answer or a request's: call Resolve or Respond")

// builtinAbout describes the built-in intents to a model.
var builtinAbout = map[string]string{
	"affirm":       "agrees, says yes, confirms",
	"deny":         "declines, says no",
	"later":        "asks to be called back or to talk later",
	"busy":         "is busy right now",
	"human":        "asks for a person",
	"stop":         "asks never to be called again",
	"wrong_number": "says this is the wrong person or number",
	"complaint":    "complains or disputes",
}

func (s *Script) loadModel(sb *sandbox, v sobek.Value, at int, bad func(int, string, string, ...any)) *scriptModel {
	o, ok := v.(*sobek.Object)
	if !ok {
		bad(at, "", "llm must be an object { system, maxChars }")
		return nil
	}
	m := &scriptModel{MaxChars: DefaultModelMaxChars}
	if x := o.Get("system"); isSet(x) {
		m.System = x.String()
		if utf8.RuneCountInString(m.System) > 4000 {
			bad(at, "", "llm.system is %d characters; at most 4000", utf8.RuneCountInString(m.System))
		}
	}
	if x := o.Get("maxChars"); isSet(x) {
		n := int(x.ToInteger())
		if n < 10 || n > MaxModelChars {
			bad(at, "", "llm.maxChars must be between 10 and %d, not %d", MaxModelChars, n)
		} else {
			m.MaxChars = n
		}
	}
	_ = sb
	return m
}

func loadStateModel(v sobek.Value, at int, name string, bad func(int, string, string, ...any)) *stateModel {
	m := &stateModel{Budget: DefaultModelBudget}
	if _, isObj := v.(*sobek.Object); !isObj {
		switch v.String() {
		case "classify":
			m.Classify = true
			return m
		}
		bad(at, name, "state %s: llm must be \"classify\" or an object { classify, reply, budget }", name)
		return nil
	}
	o := v.(*sobek.Object)
	if x := o.Get("classify"); isSet(x) {
		m.Classify = x.ToBoolean()
	}
	if x := o.Get("reply"); isSet(x) {
		if _, isObj := x.(*sobek.Object); isObj {
			bad(at, name, "state %s: llm.reply must be the state's purpose, a string", name)
		} else {
			m.Reply = strings.TrimSpace(x.String())
			if utf8.RuneCountInString(m.Reply) > 1000 {
				bad(at, name, "state %s: llm.reply is longer than 1000 characters", name)
			}
		}
	}
	if x := o.Get("budget"); isSet(x) {
		d, err := time.ParseDuration(x.String())
		switch {
		case err != nil:
			bad(at, name, "state %s: llm.budget %q is not a duration such as \"1500ms\"", name, x.String())
		case d < 100*time.Millisecond || d > MaxModelBudget:
			bad(at, name, "state %s: llm.budget must be between 100ms and %v, not %v", name, MaxModelBudget, d)
		default:
			m.Budget = d
		}
	}
	if !m.Classify && m.Reply == "" {
		bad(at, name, "state %s: llm needs classify: true or a reply purpose", name)
		return nil
	}
	return m
}

// askFor returns what the turn asks the model, or nil when it does not
// ask: no model, a state without llm, or an understanding that is sure
// enough.
func (s *Session) askFor(cur *state, u Understanding, t *Step) *Ask {
	if !s.opts.AskModel || cur == nil || cur.Model == nil || len(cur.OnOrder) == 0 {
		return nil
	}
	if u.Intent != "no_match" && u.Intent != "" && u.Confidence >= LLMThreshold {
		return nil
	}
	d := s.script.dialog
	ask := &Ask{Kind: "classify", Lang: d.Lang, State: cur.Name, Text: redactedText(t.Heard), Said: s.lastSaid,
		Budget: Millis(cur.Model.Budget), MaxChars: DefaultModelMaxChars}
	if cur.Model.Reply != "" {
		ask.Kind, ask.Purpose = "reply", cur.Model.Reply
		if s.retries+1 <= d.Fallback.Retries {
			// A reply would be spoken (see modelReply), in the voice
			// adaptVoice would give it.
			v := &Step{Say: "…", Sentiment: t.Sentiment}
			s.adaptVoice(v)
			ask.Speak = &AskSpeak{Emotion: v.Emotion}
		}
	}
	if d.Model != nil {
		ask.System, ask.MaxChars = d.Model.System, d.Model.MaxChars
	}
	for _, name := range cur.OnOrder {
		in := AskIntent{Name: name, About: builtinAbout[name]}
		if ex := d.Intents[name]; len(ex) > 0 {
			in.Examples = ex[:min(len(ex), 8)]
		}
		ask.Intents = append(ask.Intents, in)
	}
	ask.Contact = modelContact(s.contactM)
	ask.Data = s.modelData()
	ask.History = slices.Clone(s.history)
	return ask
}

// Resolve finishes the turn that waits for the model with its answer and
// returns the turn's step, as Turn would have.
func (s *Session) Resolve(a Answer) (*Step, error) {
	p := s.pending
	if p == nil || p.ask == nil {
		return nil, errors.New("no turn waits for the model's answer")
	}
	s.pending = nil
	t, u, cur := p.step, p.u, s.script.dialog.States[s.state]
	use := &ModelUse{Kind: p.ask.Kind, Why: whyAsked(u), LatencyMS: ms(a.Latency), Tokens: a.Tokens, Model: a.Model, Failure: a.Failure}
	spoken := a.Spoken && a.Reply != "" && a.Failure == "" && p.ask.Speak != nil
	if spoken {
		use.Streamed, use.FirstWordsMS, use.Cut = true, ms(a.FirstWords), a.Cut
	}
	t.Model, t.Ask = use, nil
	s.run(t, func() error {
		switch {
		case a.Failure != "":
		case a.Intent != "":
			use.Intent = a.Intent
			if cur.On[a.Intent] == nil {
				use.Rejected = fmt.Sprintf("%q is not one of state %s's intents", a.Intent, cur.Name)
				break
			}
			use.Used = true
			u.Intent = a.Intent
			t.Intent, t.RunnerUp = a.Intent, ""
			s.lastIntent = a.Intent
			return s.decide(t, u, cur, "llm."+p.ask.Kind)
		case spoken:
			// Already heard, each sentence checked as it was spoken: it
			// stands, whatever a check of the whole would say.
			use.Reply, use.Used = true, true
			if why := GuardReply(a.Reply, p.ask, s.opts.SensitiveWords); why != "" {
				use.Rejected = why
			}
			return s.modelReply(t, u, a.Reply)
		case a.Reply != "" && p.ask.Kind == "reply":
			use.Reply = true
			if why := GuardReply(a.Reply, p.ask, s.opts.SensitiveWords); why != "" {
				use.Rejected = why
				break
			}
			use.Used = true
			return s.modelReply(t, u, a.Reply)
		default:
			use.Failure = "bad output: neither an intent nor a reply"
		}
		return s.decide(t, u, cur, "")
	})
	if spoken {
		// The callee heard the model's words: the turn says them first,
		// and the caller speaks only what follows them.
		if t.Say != a.Reply {
			t.Say = strings.TrimSpace(a.Reply + " " + t.Say)
		}
		t.Spoken = a.Reply
	}
	s.settle(t)
	return t, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// modelReply speaks the model's reply and stays in the state, as a
// fallback turn does: it counts against the fallback's retries.
func (s *Session) modelReply(t *Step, u Understanding, reply string) error {
	d := s.script.dialog
	s.retries++
	if s.retries > d.Fallback.Retries {
		return s.fallback(t, u)
	}
	t.Via, t.State, t.Say = "llm.reply", s.state, reply
	s.flag(t.Say, "said", t)
	return nil
}

func whyAsked(u Understanding) string {
	if u.Intent == "" || u.Intent == "no_match" {
		return "no_match"
	}
	return fmt.Sprintf("%s at %.2f, below %.2f", u.Intent, u.Confidence, LLMThreshold)
}

var (
	urlish      = regexp.MustCompile(`(?i)(https?://|www\.|\b[a-z0-9-]+\.(com|cn|net|org|io)\b)`)
	replyNumber = regexp.MustCompile(`[0-9０-９]{3,}`)
	longDigit   = regexp.MustCompile(`[0-9]{7,}`)
)

// GuardReply says why a model's reply (or a sentence of it) to ask must
// not be spoken, or "" when it may: a sensitive word (of sensitive, the
// session's SensitiveWords), over the length cap, a link, a number (three
// or more digits) that neither the script's greeting, the contact, the
// tenant's systems nor the callee said, or a secret.
func GuardReply(reply string, ask *Ask, sensitive []string) string {
	if n := utf8.RuneCountInString(reply); n > ask.MaxChars {
		return fmt.Sprintf("the reply is %d characters; the cap is %d", n, ask.MaxChars)
	}
	low := strings.ToLower(reply)
	for _, w := range sensitive {
		if w != "" && strings.Contains(low, strings.ToLower(w)) {
			return fmt.Sprintf("the reply has the sensitive word %q", w)
		}
	}
	if urlish.MatchString(reply) {
		return "the reply has a link"
	}
	if _, n := RedactSecrets(reply); n > 0 {
		return "the reply has what looks like a secret"
	}
	// Numbers are compared whole, with what the model was shown (the
	// masked contact, not the stored one).
	contact, _ := json.Marshal(ask.Contact)
	data, _ := json.Marshal(ask.Data)
	known := map[string]bool{}
	for _, text := range append([]string{ask.Said, ask.Text, string(contact), string(data)}, historyTexts(ask.History)...) {
		for _, n := range numbersIn(text) {
			known[n.value] = true
		}
	}
	for _, n := range numbersIn(reply) {
		if !known[n.value] {
			return fmt.Sprintf("the reply has a number (%s) nobody said", n.said)
		}
	}
	return ""
}

var (
	thousands = regexp.MustCompile(`([0-9])[,，]([0-9]{3})`)
	// cnDigitRun is a number read digit by digit (一三八, 幺五零);
	// placeRun one with place words, in Chinese or Arabic digits (五千三百,
	// 两万, 8千8百, 1.5万, 3亿).
	cnDigitRun = regexp.MustCompile(`[零〇一二三四五六七八九幺两]{3,}`)
	placeRun   = regexp.MustCompile(`[0-9.零〇一二两三四五六七八九十百千万亿]*[十百千万亿][0-9.零〇一二两三四五六七八九十百千万亿]*`)
)

// aNumber is a number as said and as digits.
type aNumber struct{ said, value string }

// numbersIn finds the numbers of three digits or more in text, written
// with digits (full-width too, thousands separated or not) or in Chinese
// numerals (read digit by digit, 一三八一二三四…, or with place words,
// 五千三百), each with its value in digits, so that a model cannot slip a
// number past the guard by spelling it.
func numbersIn(text string) []aNumber {
	folded := thousands.ReplaceAllString(width.Fold.String(text), "$1$2")
	var out []aNumber
	for _, n := range replyNumber.FindAllString(folded, -1) {
		out = append(out, aNumber{n, n})
	}
	for _, run := range cnDigitRun.FindAllString(folded, -1) {
		digits := strings.Map(func(r rune) rune {
			switch r {
			case '幺':
				return '1'
			case '两':
				return '2'
			case '〇':
				return '0'
			}
			return rune('0' + strings.IndexRune("零一二三四五六七八九", r)/len("一"))
		}, run)
		out = append(out, aNumber{run, digits})
	}
	for _, run := range placeRun.FindAllString(folded, -1) {
		if v, ok := placeValue(run); ok && v >= 100 {
			out = append(out, aNumber{run, strconv.FormatFloat(v, 'f', -1, 64)})
		}
	}
	return out
}

// placeValue reads a number written with place words, its digits Chinese
// or Arabic: 一百零五 105, 两万 20000, 8千8百 8800, 1.5万 15000, 1亿2千万
// 120000000. A run with no digit before its first place word but 十 (十五)
// is not a number (万一, 千万).
func placeValue(s string) (float64, bool) {
	var total, section, cur, scale float64
	digits := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			d := float64(r - '0')
			if scale > 0 {
				cur += d * scale
				scale /= 10
			} else {
				cur = cur*10 + d
			}
			digits = true
		case r == '.':
			scale = 0.1
		case strings.ContainsRune("零〇一二两三四五六七八九", r):
			cur, scale = float64(strings.IndexRune("零一二三四五六七八九", r)/len("一")), 0
			switch r {
			case '〇':
				cur = 0
			case '两':
				cur = 2
			}
			digits = true
		case r == '十':
			if !digits && cur == 0 {
				cur = 1
			}
			section += cur * 10
			cur, scale, digits = 0, 0, true
		case r == '百' || r == '千':
			if !digits {
				return 0, false
			}
			unit := 100.0
			if r == '千' {
				unit = 1000
			}
			section += cur * unit
			cur, scale = 0, 0
		case r == '万':
			if !digits {
				return 0, false
			}
			total += (section + cur) * 1e4
			section, cur, scale = 0, 0, 0
		case r == '亿':
			if !digits {
				return 0, false
			}
			total = (total + section + cur) * 1e8
			section, cur, scale = 0, 0, 0
		default:
			return 0, false
		}
	}
	return total + section + cur, digits
}

// modelContact is the contact as a model may see it: digit runs of seven
// or more (phones, cards, ids) masked but for their last four, secrets
// redacted.
func modelContact(c map[string]any) map[string]any {
	if len(c) == 0 {
		return nil
	}
	v, _ := RedactValue(maskDigits(c))
	m, _ := v.(map[string]any)
	return m
}

func maskDigits(v any) any {
	switch x := v.(type) {
	case string:
		return longDigit.ReplaceAllStringFunc(x, func(d string) string {
			return strings.Repeat("*", len(d)-4) + d[len(d)-4:]
		})
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = maskDigits(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = maskDigits(e)
		}
		return out
	case float64:
		if x >= 1e6 || x <= -1e6 {
			return maskDigits(plain(x))
		}
	}
	return v
}

func historyTexts(h []AskTurn) []string {
	out := make([]string, 0, 2*len(h))
	for _, t := range h {
		out = append(out, t.Said, t.Heard)
	}
	return out
}

func redactedText(s string) string {
	out, _ := RedactSecrets(s)
	return out
}

// remember keeps the turn for the model's history.
func (s *Session) remember(t *Step) {
	if t.Ask != nil || t.Request != nil {
		return
	}
	if t.Turn > 0 {
		s.history = append(s.history, AskTurn{Said: s.lastSaid, Heard: redactedText(t.Heard)})
		if len(s.history) > modelHistory {
			s.history = s.history[len(s.history)-modelHistory:]
		}
	}
	s.lastSaid = redactedText(t.Say)
}

// Millis is a duration that travels in JSON as whole milliseconds.
type Millis time.Duration

func (d Millis) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprint(time.Duration(d).Milliseconds())), nil
}

func (d *Millis) UnmarshalJSON(b []byte) error {
	var ms int64
	if _, err := fmt.Sscan(string(b), &ms); err != nil {
		return fmt.Errorf("budget: %w", err)
	}
	*d = Millis(time.Duration(ms) * time.Millisecond)
	return nil
}

// Duration is the budget as a time.Duration.
func (d Millis) Duration() time.Duration { return time.Duration(d) }
