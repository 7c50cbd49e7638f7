package scripting

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/sobek"
)

// Contact is the callee as the script sees it: the contact's fields and
// attributes, flattened into one JSON-like map (strings, numbers, booleans,
// nested maps and lists). Scripts receive a deep-frozen copy as c.contact.
type Contact map[string]any

// MaxContactBytes caps the contact a script sees, as JSON.
const MaxContactBytes = 64 << 10

// DefaultSensitiveWords are flagged for review unless the tenant's
// compliance settings say otherwise.
var DefaultSensitiveWords = []string{"转账", "密码", "验证码"}

// SessionOptions are the per-call settings of a session.
type SessionOptions struct {
	// Segment is the contact's segment, shown to the script as c.segment.
	Segment string `json:"segment,omitempty"`
	// SensitiveWords flag the call for review when heard or said. Nil means
	// DefaultSensitiveWords; an empty, non-nil list turns the check off.
	SensitiveWords []string `json:"sensitiveWords"`
	// NoBusyCallback turns off the built-in end on `busy` (outcome
	// busy_callback with a callback).
	NoBusyCallback bool `json:"noBusyCallback,omitempty"`
	// NoStopDNC turns off the built-in end on `stop` (outcome do_not_call).
	NoStopDNC bool `json:"noStopDNC,omitempty"`
	// NoAngryTransfer turns off the transfer after two angry turns in a row.
	NoAngryTransfer bool `json:"noAngryTransfer,omitempty"`
	// BusyCallbackIn is the callback delay after `busy`; default "2h".
	BusyCallbackIn string `json:"busyCallbackIn,omitempty"`
	// Now is the clock for relative dates and for Date in scripts; default
	// time.Now. Not carried across the script-host boundary.
	Now func() time.Time `json:"-"`
	// TimeZone is the callee's (an IANA name): "明天下午三点" is three in
	// the afternoon there. Default: Now's own location.
	TimeZone string `json:"timeZone,omitempty"`
	// AskModel lets states with `llm` ask the tenant's model when the
	// built-in understanding is unsure (see Ask): the caller has one.
	AskModel bool `json:"askModel,omitempty"`
	// HTTP lets states with `http` make their requests (see Request): the
	// caller has the tenant's endpoints. Without it every request fails.
	HTTP bool `json:"http,omitempty"`
}

// Step is what the dialog engine did in one turn: what was heard and
// understood, where the dialog went and what it says next. The step of
// turn 0 is the greeting. (A call record's turns are campaigns.Turn.)
type Step struct {
	Turn       int        `json:"turn"`
	State      string     `json:"state"`
	Say        string     `json:"say"`
	Emotion    string     `json:"emotion,omitempty"`
	Heard      string     `json:"heard"`
	Intent     string     `json:"intent,omitempty"`
	Confidence float64    `json:"confidence"`
	RunnerUp   string     `json:"runnerUp,omitempty"`
	Slots      Slots      `json:"slots,omitempty"`
	Sentiment  *Sentiment `json:"sentiment,omitempty"`
	// Via says why the dialog went where it did: "start", "on.affirm",
	// "default", "fallback", "builtin.busy", "builtin.stop",
	// "builtin.angry", "builtin.human" or "error".
	Via    string       `json:"via"`
	Review []ReviewFlag `json:"review,omitempty"`
	Log    []string     `json:"log,omitempty"`
	Error  *ScriptError `json:"error,omitempty"`
	// Done is set on the turn that ends the call; Session.Result then
	// holds the outcome.
	Done bool `json:"done,omitempty"`
	// Ask is set when the turn waits for the model: ask it, then hand
	// its answer to Resolve, which returns the finished step.
	Ask *Ask `json:"ask,omitempty"`
	// Model says when and why the model was used in this turn, and what
	// became of its answer.
	Model *ModelUse `json:"model,omitempty"`
	// Listen is how the answer to this turn's words is waited for (the
	// state's listen); zero fields take the call's defaults.
	Listen *Listen `json:"listen,omitempty" doc:"How the answer to this turn's words is waited for (the state's listen)."`
	// NoBargeIn is set when the turn's words must play to the end,
	// whatever the callee says meanwhile: its state says `bargeIn: false`.
	NoBargeIn bool `json:"noBargeIn,omitempty" doc:"The turn's words play to the end whatever the callee says meanwhile (its state says bargeIn: false)."`
	// FollowUp is set on the turn that entered a state with a followUp:
	// the SMS template the call sends once it ends, however it ends.
	FollowUp string `json:"followUp,omitempty" doc:"The SMS template this turn's state asked the call to send once it ends."`
	// Request is set when the step waits for a request to the tenant's
	// endpoint (a state's http): make it, then hand its Response to
	// Respond, which returns the finished step.
	Request *Request `json:"request,omitempty" doc:"The request to the tenant's endpoint the step waits for (a state's http)."`
	// Requests are the requests the turn made and what became of them.
	Requests []RequestUse `json:"requests,omitempty" doc:"The requests to the tenant's endpoints the turn made, and what became of them."`
	// Spoken is the beginning of Say that the callee already heard: a
	// model's reply spoken as it was written (Answer.Spoken). The caller
	// speaks only the rest.
	Spoken string `json:"spoken,omitempty" doc:"The beginning of the turn's words already spoken as the language model wrote them."`
}

// Unspoken is what the caller still has to say of the step's words: Say
// less the beginning already spoken (Spoken), trimmed.
func (s *Step) Unspoken() string {
	return strings.TrimSpace(strings.TrimPrefix(s.Say, s.Spoken))
}

// ReviewFlag records a sensitive word heard from the callee or said by the
// script; a flagged call goes to a person for review.
type ReviewFlag struct {
	Word  string `json:"word"`
	Turn  int    `json:"turn"`
	Where string `json:"where"` // "heard" or "said"
}

// Result is how a call ended.
type Result struct {
	Outcome string `json:"outcome"`
	// State is the state the call ended in.
	State string   `json:"state"`
	Turns int      `json:"turns"`
	Tags  []string `json:"tags,omitempty"`
	// CallbackIn is the delay before calling back ("2h"); CallbackAt is
	// the time the callee named, when they named one.
	CallbackIn string `json:"callbackIn,omitempty"`
	CallbackAt string `json:"callbackAt,omitempty"`
	// Transfer is the agent (queue, number) to hand the call to.
	Transfer string `json:"transfer,omitempty"`
	// DoNotCall means the number must go on the tenant's do-not-call list.
	DoNotCall bool            `json:"doNotCall,omitempty"`
	Review    []ReviewFlag    `json:"review,omitempty"`
	Vars      json.RawMessage `json:"vars,omitempty"`
	// Slots are what the call heard and understood, every slot of every
	// turn (a later one of the same name wins): the date and amount a
	// callee named, say.
	Slots Slots `json:"slots,omitempty"`
	// LastIntent is the intent of the last thing the callee said that had
	// one.
	LastIntent string `json:"lastIntent,omitempty"`
	// Contact holds the c.vars the script's saveToContact names, to be
	// written to the contact's attributes.
	Contact map[string]json.RawMessage `json:"contact,omitempty"`
	Error   *ScriptError               `json:"error,omitempty"`
}

// ErrSessionDone is returned by Turn after the call has ended.
var ErrSessionDone = errors.New("the dialog has already ended")

// Session is one call's dialog. Each call gets its own fresh runtime (on
// the first turn that runs tenant code), so nothing a script does to
// built-ins reaches another call; it lives until the call ends. c.vars is
// checked and recorded as JSON after every turn. A Session is not safe for
// concurrent use: a call has one turn at a time.
type Session struct {
	script   *Script
	opts     SessionOptions
	contact  string // JSON
	contactM map[string]any
	vars     string // JSON
	state    string
	retries  int
	// captured and lastIntent gather what the call heard, for its Result.
	captured   Slots
	lastIntent string
	turn       int
	angry      int
	started    bool
	result     *Result
	// pending is the turn that waits for the model; history and
	// lastSaid are the call so far, for the model.
	pending  *pendingTurn
	history  []AskTurn
	lastSaid string
	// stateSay is what the current state said on entry, repeated when
	// the callee says nothing.
	stateSay string
	review   []ReviewFlag
	tags     []string
	// fetched holds the answers of the call's requests by name (c.http),
	// as JSON; requests counts them.
	fetched  map[string]json.RawMessage
	requests int

	// The call's runtime, created on the first turn that runs tenant
	// code and kept until the call ends (or a turn fails).
	sb    *sandbox
	vals  *sobek.Object // the default export
	jsc   *sobek.Object // the context object c
	armed bool          // the budget timer runs for this turn
	drop  bool          // the runtime must not be used again
}

// NewSession starts a call's dialog for a contact. Call Start for the
// greeting, then Turn with each thing the callee says.
func (s *Script) NewSession(contact Contact, opts SessionOptions) (*Session, error) {
	if s.dialog == nil {
		return nil, errors.New("not a dialog script")
	}
	if contact == nil {
		contact = Contact{}
	}
	b, err := json.Marshal(contact)
	if err != nil {
		return nil, fmt.Errorf("contact is not JSON: %w", err)
	}
	if len(b) > MaxContactBytes {
		return nil, fmt.Errorf("contact is %d bytes as JSON; the limit is %d", len(b), MaxContactBytes)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if opts.SensitiveWords == nil {
		opts.SensitiveWords = DefaultSensitiveWords
	}
	if opts.BusyCallbackIn == "" {
		opts.BusyCallbackIn = "2h"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TimeZone != "" {
		loc, err := time.LoadLocation(opts.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("time zone %q: %w", opts.TimeZone, err)
		}
		now := opts.Now
		opts.Now = func() time.Time { return now().In(loc) }
	}
	return &Session{script: s, opts: opts, contact: string(b), contactM: m, vars: "{}", captured: Slots{}}, nil
}

// Done reports whether the call has ended.
func (s *Session) Done() bool { return s.result != nil }

// Result returns the outcome once the call has ended, else nil.
func (s *Session) Result() *Result { return s.result }

// State returns the current state's name.
func (s *Session) State() string { return s.state }

// Vars returns c.vars as JSON.
func (s *Session) Vars() string { return s.vars }

// Start enters the start state and returns turn 0: what to say first.
func (s *Session) Start() (*Step, error) {
	if s.started {
		return nil, errors.New("the dialog has already started")
	}
	s.started = true
	t := &Step{Via: "start"}
	s.run(t, func() error { return s.enter(s.script.dialog.Start, t) })
	s.settle(t)
	return t, nil
}

// pendingTurn is a step that waits: for the model (ask) or for a
// request to the tenant's endpoint (fetch).
type pendingTurn struct {
	step  *Step
	u     Understanding
	ask   *Ask
	fetch *Request
}

// settle finishes a step that no longer waits: the voice for an upset
// callee, and the turn kept for the model's history.
func (s *Session) settle(t *Step) {
	if s.pending != nil {
		return
	}
	s.adaptVoice(t)
	s.remember(t)
}

// Turn takes what the callee said, understands it, moves the dialog and
// returns the turn's step. Script errors do not come back as an
// error: they end the call on the script's fallback outcome and are in
// Step.Error and Result.Error.
func (s *Session) Turn(text string) (*Step, error) {
	if !s.started {
		return nil, errors.New("call Start before Turn")
	}
	if s.result != nil {
		return nil, ErrSessionDone
	}
	if s.pending != nil {
		return nil, ErrPending
	}
	d := s.script.dialog
	s.turn++
	text = truncate(text, s.script.limits.MaxInput*3)
	if r := []rune(text); len(r) > s.script.limits.MaxInput {
		text = string(r[:s.script.limits.MaxInput])
	}
	if cur := d.States[s.state]; strings.TrimSpace(text) == "" && cur != nil && cur.Default == nil {
		// The callee said nothing: ask again. (A state with a default
		// takes silence as its free answer.)
		t := &Step{Turn: s.turn}
		s.run(t, func() error { return s.noInput(t, cur) })
		s.settle(t)
		return t, nil
	}
	u := s.script.nlu.Understand(d.Lang, text, s.opts.Now())
	t := &Step{Turn: s.turn, Heard: text, Intent: u.Intent, Confidence: u.Confidence, RunnerUp: u.RunnerUp, Slots: u.Slots, Sentiment: &u.Sentiment}
	maps.Copy(s.captured, u.Slots)
	if u.Intent != "" {
		s.lastIntent = u.Intent
	}
	s.flag(text, "heard", t)
	if u.Sentiment.Label == "angry" {
		s.angry++
	} else {
		s.angry = 0
	}
	cur := d.States[s.state]
	if !s.builtin(cur, u) {
		if ask := s.askFor(cur, u, t); ask != nil {
			t.Ask = ask
			s.pending = &pendingTurn{step: t, u: u, ask: ask}
			return t, nil
		}
	}
	s.run(t, func() error { return s.decide(t, u, cur, "") })
	s.settle(t)
	return t, nil
}

// adaptVoice picks the voice for a reply to an upset callee: a state with
// no emotion of its own answers an angry or negative callee in the calm,
// slower, softer apologetic voice, unless the script says adaptVoice:
// false. Step.Emotion says what was used.
func (s *Session) adaptVoice(t *Step) {
	if t.Emotion != "" || t.Say == "" || t.Sentiment == nil || s.script.dialog.FixedVoice {
		return
	}
	if l := t.Sentiment.Label; l == "angry" || l == "negative" {
		t.Emotion = "apologetic"
	}
}

// builtin reports whether the built-in behaviour decides this turn (see
// decide), so no model is asked.
func (s *Session) builtin(cur *state, u Understanding) bool {
	d := s.script.dialog
	return (u.Intent == "stop" && !s.opts.NoStopDNC) ||
		(u.Intent == "busy" && !s.opts.NoBusyCallback && cur.On["busy"] == nil) ||
		(s.angry >= 2 && !s.opts.NoAngryTransfer && d.TransferState != "") ||
		(u.Intent == "human" && cur.On["human"] == nil && d.TransferState != "")
}

// decide moves the dialog on what the turn understood: the built-in
// behaviour first, then the state's `on`, its default, the fallback. via,
// when set, names who chose the intent (the model).
func (s *Session) decide(t *Step, u Understanding, cur *state, via string) error {
	d := s.script.dialog
	switch {
	case u.Intent == "stop" && !s.opts.NoStopDNC:
		t.Via, t.State, t.Say = "builtin.stop", s.state, phrase(d.Lang, "stop")
		s.finish(&Result{Outcome: "do_not_call", DoNotCall: true})
		return nil
	case u.Intent == "busy" && !s.opts.NoBusyCallback && cur.On["busy"] == nil:
		t.Via, t.State, t.Say = "builtin.busy", s.state, phrase(d.Lang, "busy")
		r := &Result{Outcome: "busy_callback", CallbackIn: s.opts.BusyCallbackIn}
		if at, ok := u.Slots["datetime"].(string); ok {
			r.CallbackAt = at
		}
		s.finish(r)
		return nil
	case s.angry >= 2 && !s.opts.NoAngryTransfer && d.TransferState != "":
		t.Via = "builtin.angry"
		return s.enter(d.TransferState, t)
	case u.Intent == "human" && cur.On["human"] == nil && d.TransferState != "":
		t.Via = "builtin.human"
		return s.enter(d.TransferState, t)
	}
	tgt, path := cur.On[u.Intent], "on."+u.Intent
	if tgt == nil {
		// default catches every other intent, and no_match too, so a
		// state can take free text (a comment, a name).
		tgt, path = cur.Default, "default"
	}
	next := ""
	if tgt != nil {
		t.Via = path
		if via != "" {
			t.Via = via
		}
		if tgt.Func {
			v, err := s.call(s.stateFn(cur.Name, tgt, path), t, u)
			if err != nil {
				return err
			}
			if isSet(v) {
				next = v.String()
				if d.States[next] == nil {
					return &ScriptError{Kind: "contract", Message: fmt.Sprintf("state %s: %s returned unknown state %q", cur.Name, path, next), Line: s.line(tgt.At), Column: s.col(tgt.At)}
				}
			}
		} else {
			next = tgt.State
		}
	}
	if next == "" {
		return s.fallback(t, u)
	}
	return s.enter(next, t)
}

// run executes one turn's work with the turn's budget and turns a script
// error into the end of the call.
func (s *Session) run(t *Step, work func() error) {
	defer func() {
		if s.sb != nil {
			if s.armed {
				s.armed = false
				if !s.sb.disarm() {
					// The budget fired as the turn ended: an interrupt may be
					// pending, so this runtime is not used again.
					s.drop = true
				}
				if (s.result == nil || s.result.Error == nil) && s.jsc != nil {
					if err := s.saveVars(); err != nil {
						s.fail(t, err)
					}
				}
			}
			t.Log, s.sb.log = s.sb.log, nil
		}
		if s.drop || s.result != nil {
			s.sb, s.vals, s.jsc, s.drop = nil, nil, nil, false
		}
		t.Done = s.result != nil
		if s.result != nil {
			s.result.Turns = s.turn
			s.result.Vars = json.RawMessage(s.vars)
			s.result.LastIntent = s.lastIntent
			if len(s.captured) > 0 {
				s.result.Slots = maps.Clone(s.captured)
			}
			s.result.Contact = s.saved()
		}
	}()
	if err := protect(work); err != nil {
		s.drop = true
		s.fail(t, err)
	}
}

// protect runs f and turns a panic (a bug in the engine, not in the
// script) into an error that ends only this call.
func protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &ScriptError{Kind: "internal", Message: fmt.Sprintf("the dialog engine failed: %v", r)}
		}
	}()
	return f()
}

func (s *Session) fail(t *Step, err error) {
	e := scriptError(err, s.script.src)
	t.Error = e
	t.Via = "error"
	t.State = s.state
	t.Say = phrase(s.script.dialog.Lang, "failure")
	s.result = nil
	s.finish(&Result{Outcome: s.script.dialog.Fallback.End, Error: e})
}

func (s *Session) finish(r *Result) {
	r.State = s.state
	r.Tags = s.tags
	r.Review = s.review
	s.result = r
}

func (s *Session) fallback(t *Step, u Understanding) error {
	d := s.script.dialog
	t.Via, t.State = "fallback", s.state
	if st := d.States[s.state]; st != nil {
		t.NoBargeIn, t.Listen = st.NoBargeIn, st.listen()
	}
	s.retries++
	if s.retries > d.Fallback.Retries {
		t.Say = phrase(d.Lang, "giveup")
		s.finish(&Result{Outcome: d.Fallback.End})
		return nil
	}
	if d.Fallback.SayFunc {
		v, err := s.call(func() (sobek.Value, error) {
			return s.get("fallback", "say")
		}, t, u)
		if err != nil {
			return err
		}
		t.Say = valueString(v)
	} else {
		t.Say = s.render(d.Fallback.Say, t, u)
	}
	s.flag(t.Say, "said", t)
	return nil
}

// noInput asks again when the callee said nothing: "are you still there?"
// and the state's words once more, counting towards the fallback's
// retries, after which the call ends as the fallback's end does.
func (s *Session) noInput(t *Step, cur *state) error {
	d := s.script.dialog
	t.Via, t.State, t.NoBargeIn, t.Listen, t.Emotion = "noinput", s.state, cur.NoBargeIn, cur.listen(), cur.Emotion
	s.retries++
	if s.retries > d.Fallback.Retries {
		t.Say = phrase(d.Lang, "giveup")
		s.finish(&Result{Outcome: d.Fallback.End})
		return nil
	}
	sep := ""
	if d.Lang == "en" {
		sep = " "
	}
	t.Say = strings.TrimSpace(phrase(d.Lang, "noinput") + sep + s.stateSay)
	return nil
}

// enter moves the dialog into a state and says its text.
func (s *Session) enter(name string, t *Step) error {
	d := s.script.dialog
	st := d.States[name]
	s.state, s.retries = name, 0
	t.State, t.Emotion, t.FollowUp, t.NoBargeIn, t.Listen = name, st.Emotion, st.FollowUp, st.NoBargeIn, st.listen()
	for _, tag := range st.Tags {
		if !contains(s.tags, tag) {
			s.tags = append(s.tags, tag)
		}
	}
	if st.Request != nil {
		// The state asks the tenant's endpoint first; its words follow
		// the answer (Respond), or come now when no request can be made.
		_, err := s.fetch(st, t)
		return err
	}
	return s.speak(st, t)
}

// speak says a state's words, on entering it (after its request, when it
// has one), and ends the call when the state does.
func (s *Session) speak(st *state, t *Step) error {
	name := st.Name
	if st.SayFunc {
		v, err := s.call(func() (sobek.Value, error) { return s.get("states", name, "say") }, t, Understanding{})
		if err != nil {
			return err
		}
		t.Say = valueString(v)
	} else {
		t.Say = s.render(st.Say, t, Understanding{})
	}
	s.flag(t.Say, "said", t)
	s.stateSay = t.Say
	switch {
	case st.End != "":
		r := &Result{Outcome: st.End, CallbackIn: st.CallbackIn, Transfer: st.Transfer}
		if st.CallbackIn != "" {
			if at, ok := t.Slots["datetime"].(string); ok {
				r.CallbackAt = at
			}
		}
		s.finish(r)
	case st.Transfer != "":
		s.finish(&Result{Outcome: "transferred", Transfer: st.Transfer})
	}
	return nil
}

func (s *Session) flag(text, where string, t *Step) {
	if text == "" {
		return
	}
	low := strings.ToLower(text)
	for _, w := range s.opts.SensitiveWords {
		if w != "" && strings.Contains(low, strings.ToLower(w)) {
			f := ReviewFlag{Word: w, Turn: s.turn, Where: where}
			t.Review = append(t.Review, f)
			s.review = append(s.review, f)
		}
	}
}

// sandboxForTurn makes sure the call has its runtime (a fresh sandbox
// running the script's program) and that this turn's budget runs.
func (s *Session) sandboxForTurn() error {
	if s.sb == nil {
		sb, err := newSandbox(s.script.limits, s.opts.Now)
		if err != nil {
			return err
		}
		s.sb = sb
		sb.arm()
		s.armed = true
		exp, err := s.script.exports(sb)
		if err != nil {
			return err
		}
		def, ok := exp.Get("default").(*sobek.Object)
		if !ok {
			return &ScriptError{Kind: "contract", Message: "the default export is gone"}
		}
		s.vals = def
	}
	if !s.armed {
		s.sb.arm()
		s.armed = true
	}
	return nil
}

func (s *Session) get(path ...string) (sobek.Value, error) {
	if err := s.sandboxForTurn(); err != nil {
		return nil, err
	}
	var v sobek.Value = s.vals
	for _, p := range path {
		o, ok := v.(*sobek.Object)
		if !ok {
			return nil, &ScriptError{Kind: "contract", Message: "the script changed its dialog while running: " + strings.Join(path, ".") + " is gone"}
		}
		v = o.Get(p)
	}
	return v, nil
}

func (s *Session) stateFn(state string, t *target, path string) func() (sobek.Value, error) {
	parts := append([]string{"states", state}, strings.Split(path, ".")...)
	if path == "default" {
		if t == s.script.dialog.States[state].Default {
			// `default` may sit on the state or inside `on`.
			return func() (sobek.Value, error) {
				v, err := s.get("states", state, "default")
				if err == nil && !isSet(v) {
					return s.get("states", state, "on", "default")
				}
				return v, err
			}
		}
	}
	return func() (sobek.Value, error) { return s.get(parts...) }
}

// call runs one tenant function with the context c.
func (s *Session) call(getFn func() (sobek.Value, error), t *Step, u Understanding) (sobek.Value, error) {
	fv, err := getFn()
	if err != nil {
		return nil, err
	}
	fn, ok := sobek.AssertFunction(fv)
	if !ok {
		return fv, nil
	}
	c, err := s.context(t, u)
	if err != nil {
		return nil, err
	}
	return fn(sobek.Undefined(), c)
}

func (s *Session) context(t *Step, u Understanding) (*sobek.Object, error) {
	sb := s.sb
	vm := sb.vm
	if s.jsc == nil {
		c := vm.NewObject()
		contact, err := sb.parse(sobek.Undefined(), vm.ToValue(s.contact))
		if err != nil {
			return nil, err
		}
		if _, err := sb.freeze(sobek.Undefined(), contact); err != nil {
			return nil, err
		}
		vars, err := sb.parse(sobek.Undefined(), vm.ToValue(s.vars))
		if err != nil {
			return nil, err
		}
		_ = c.Set("contact", contact)
		_ = c.Set("vars", vars)
		_ = c.Set("segment", s.opts.Segment)
		s.jsc = c
		if len(s.fetched) > 0 {
			if err := s.setHTTP(); err != nil {
				return nil, err
			}
		}
	}
	c := s.jsc
	_ = c.Set("turn", s.turn)
	_ = c.Set("text", t.Heard)
	_ = c.Set("intent", t.Intent)
	_ = c.Set("confidence", t.Confidence)
	slots := vm.NewObject()
	for k, v := range t.Slots {
		if m, ok := v.(map[string]any); ok {
			o := vm.NewObject()
			for mk, mv := range m {
				_ = o.Set(mk, mv)
			}
			_ = slots.Set(k, o)
			continue
		}
		_ = slots.Set(k, v)
	}
	_ = c.Set("slots", slots)
	sent := vm.NewObject()
	if t.Sentiment != nil {
		_ = sent.Set("score", t.Sentiment.Score)
		_ = sent.Set("label", t.Sentiment.Label)
	} else {
		_ = sent.Set("score", 0)
		_ = sent.Set("label", "neutral")
	}
	_ = c.Set("sentiment", sent)
	return c, nil
}

// saved picks the vars the script's saveToContact names out of c.vars.
func (s *Session) saved() map[string]json.RawMessage {
	names := s.script.dialog.SaveToContact
	if len(names) == 0 {
		return nil
	}
	var vars map[string]json.RawMessage
	if json.Unmarshal([]byte(s.vars), &vars) != nil {
		return nil
	}
	out := map[string]json.RawMessage{}
	for _, n := range names {
		if v, ok := vars[n]; ok {
			out[n] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (s *Session) saveVars() error {
	v := s.jsc.Get("vars")
	j, err := s.sb.json(v)
	if err != nil {
		return &ScriptError{Kind: "contract", Message: "c.vars must stay JSON: " + err.Error()}
	}
	if j == "" || j == "null" {
		j = "{}"
	}
	if len(j) > s.script.limits.MaxVars {
		return &ScriptError{Kind: "contract", Message: fmt.Sprintf("c.vars is %d bytes as JSON; the limit is %d", len(j), s.script.limits.MaxVars)}
	}
	s.vars = j
	return nil
}

// render fills ${c.path} placeholders from the context, in Go.
func (s *Session) render(text string, t *Step, u Understanding) string {
	return s.renderWith(text, t, u, nil)
}

// renderWith fills placeholders as render does, passing each value through
// esc when it is set.
func (s *Session) renderWith(text string, t *Step, u Understanding, esc func(string) string) string {
	if !strings.Contains(text, "${") {
		return text
	}
	var vars map[string]any
	return templatePart.ReplaceAllStringFunc(text, func(m string) string {
		path := strings.TrimSpace(m[2 : len(m)-1])
		path = strings.TrimPrefix(path, "c.")
		parts := strings.FieldsFunc(path, func(r rune) bool { return r == '.' || r == '[' || r == ']' })
		if len(parts) == 0 {
			return ""
		}
		var v any
		switch parts[0] {
		case "contact":
			v = s.contactM
		case "vars":
			if vars == nil {
				_ = json.Unmarshal([]byte(s.vars), &vars)
			}
			v = vars
		case "text":
			v = t.Heard
		case "intent":
			v = t.Intent
		case "confidence":
			v = t.Confidence
		case "turn":
			v = s.turn
		case "segment":
			v = s.opts.Segment
		case "slots":
			v = map[string]any(t.Slots)
		case "sentiment":
			if t.Sentiment != nil {
				v = map[string]any{"score": t.Sentiment.Score, "label": t.Sentiment.Label}
			}
		case "http":
			m := map[string]any{}
			for k, b := range s.fetched {
				var x any
				_ = json.Unmarshal(b, &x)
				m[k] = x
			}
			v = m
		}
		for _, p := range parts[1:] {
			switch x := v.(type) {
			case map[string]any:
				v = x[p]
			case []any:
				i, err := strconv.Atoi(p)
				if err != nil || i < 0 || i >= len(x) {
					v = nil
				} else {
					v = x[i]
				}
			default:
				v = nil
			}
		}
		if esc != nil {
			return esc(plain(v))
		}
		return plain(v)
	})
}

func plain(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func valueString(v sobek.Value) string {
	if !isSet(v) {
		return ""
	}
	return v.String()
}

func (s *Session) line(off int) int { l, _ := s.script.src.pos(off); return l }
func (s *Session) col(off int) int  { _, c := s.script.src.pos(off); return c }
