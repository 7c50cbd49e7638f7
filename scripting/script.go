package scripting

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/grafana/sobek"
	"github.com/grafana/sobek/ast"
)

// Script is a compiled, validated dialog script. It is immutable and safe
// to share: every call gets its own Session, and every turn its own fresh
// runtime running the one compiled program.
type Script struct {
	// Name is the file name used in diagnostics and error positions.
	Name string
	// Version is a hash of the source: two scripts with the same source
	// share one compiled program.
	Version string

	src     *source
	program *sobek.Program
	limits  Limits
	dialog  *dialog
	nlu     *Classifier
}

// Option adjusts how a script is compiled.
type Option func(*config)

type config struct {
	limits Limits
	lang   string
}

// WithLimits sets the sandbox limits for every turn of the script.
func WithLimits(l Limits) Option { return func(c *config) { c.limits = l } }

// WithLang sets the language used when the script does not declare one
// (the tenant's default). Without it the default is "zh-CN".
func WithLang(lang string) Option { return func(c *config) { c.lang = lang } }

type dialog struct {
	Start    string
	StartAt  int
	Lang     string
	Intents  map[string][]string
	Fallback fallback
	States   map[string]*state
	Order    []string
	// TransferState is the first state that hands the call to a person;
	// built-in behaviours (an angry caller, "转人工") go there.
	TransferState string
	// SaveToContact names the c.vars a call writes back to its contact's
	// attributes when it ends, for later scripts and segmentation rules.
	SaveToContact []string
	// Model is the script's `llm`: the model's instructions and reply cap.
	Model *scriptModel
	// FixedVoice is the script's `adaptVoice: false`: states without an
	// emotion of their own keep the neutral voice whatever the callee's
	// mood.
	FixedVoice bool
}

type fallback struct {
	Say     string
	SayFunc bool
	Retries int
	End     string
}

type state struct {
	Name    string
	At      int // byte offset of the state's key
	Say     string
	SayFunc bool
	SayAt   int
	// SayTexts are the string literals inside a say function, checked
	// for sensitive words when publishing.
	SayTexts   []string
	Emotion    string
	End        string
	Tags       []string
	CallbackIn string
	Transfer   string
	// FollowUp is the name of the tenant's SMS template the call sends
	// once it ends, when it passed through this state.
	FollowUp string
	On       map[string]*target
	OnOrder  []string
	Default  *target
	// Model is the state's `llm`: when and how it asks the model.
	Model *stateModel
	// NoBargeIn is `bargeIn: false`: the state's words play to the end
	// whatever the callee says meanwhile (a disclosure the law requires).
	NoBargeIn bool
	// Listen is the state's `listen`: how its answer is waited for.
	Listen Listen
	// Request is the state's `http`: what it asks the tenant's endpoint
	// on entry, before it speaks.
	Request *stateRequest
}

// Listen is how a state waits for the callee's answer (`listen: {
// endSilence: "1200ms", timeout: "10s" }`); zero fields take the call's
// defaults.
type Listen struct {
	// EndSilence is the quiet that ends the callee's turn: longer for an
	// answer given in pieces (a card number, an address), shorter for a
	// yes or no. 200 ms to 3 s.
	EndSilence time.Duration `json:"endSilence,omitempty" doc:"The quiet that ends the callee's turn, in nanoseconds (200 ms to 3 s); 0: the call's default."`
	// Timeout is how long the callee may stay silent before the state
	// asks again. 2 s to 30 s.
	Timeout time.Duration `json:"timeout,omitempty" doc:"How long the callee may stay silent before the state asks again, in nanoseconds (2 s to 30 s); 0: the call's default."`
	// Early ends the turn on a streaming recogniser's steady partial that
	// is exactly one of the script's phrases, at the callee's pause, before
	// the end-of-turn silence: for states asking for a short answer.
	Early bool `json:"early,omitempty" doc:"End the turn on a steady partial that is exactly one of the script's phrases, at the callee's pause (states asking for a short answer)."`
}

type target struct {
	State string // fixed target, or "" for a function
	Func  bool
	// Maybe lists the state names a function mentions, for the graph.
	Maybe []string
	At    int
}

// followUpTemplate is what an SMS template's name looks like (the
// tenant's SMS settings name them alike).
var followUpTemplate = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// maxSaveToContact bounds the vars a script writes back to a contact.
const maxSaveToContact = 20

// attributeName is what a contact attribute written by a script may be
// called.
var attributeName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

var (
	cacheMu sync.Mutex
	cache   = map[string]*Script{}
)

const cacheMax = 512

// Version returns the version key of a source text: the first 16 bytes of
// its SHA-256, in hex.
func Version(source string) string {
	h := sha256.Sum256([]byte(source))
	return hex.EncodeToString(h[:16])
}

// Compile parses, compiles and validates a dialog script. It returns the
// script and the findings; the script is nil when any finding is an error.
// Compiled scripts are cached by source and options, so compiling the same
// version again is a map lookup.
func Compile(name, src string, opts ...Option) (*Script, []Diagnostic) {
	return compile(name, src, true, opts)
}

func compile(name, src string, isDialog bool, opts []Option) (*Script, []Diagnostic) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	cfg.limits = cfg.limits.withDefaults()
	if cfg.lang == "" {
		cfg.lang = "zh-CN"
	}
	version := Version(src)
	key := fmt.Sprintf("%s|%s|%v|%s|%+v", version, name, isDialog, cfg.lang, cfg.limits)
	cacheMu.Lock()
	if s, ok := cache[key]; ok {
		cacheMu.Unlock()
		return s, s.warnings()
	}
	cacheMu.Unlock()

	s := &Script{Name: name, Version: version, src: newSource(name, src), limits: cfg.limits}
	if ds := s.src.parse(); HasErrors(ds) {
		return nil, ds
	}
	prg, ds := s.src.compile()
	if prg == nil {
		return nil, ds
	}
	s.program = prg
	if isDialog {
		d, ds := s.load(cfg.lang)
		if HasErrors(ds) {
			return nil, ds
		}
		s.dialog = d
		s.nlu = classifierFor(d.Lang, d.Intents)
	}
	cacheMu.Lock()
	if len(cache) >= cacheMax {
		for k := range cache {
			delete(cache, k)
			break
		}
	}
	cache[key] = s
	cacheMu.Unlock()
	return s, s.warnings()
}

func (s *Script) warnings() []Diagnostic {
	if s.dialog == nil {
		return nil
	}
	return s.validate(true)
}

// exports runs the program in a fresh sandbox and returns its exports.
func (s *Script) exports(sb *sandbox) (*sobek.Object, error) {
	v, err := sb.vm.RunProgram(s.program)
	if err != nil {
		return nil, err
	}
	o, ok := v.(*sobek.Object)
	if !ok {
		return nil, &ScriptError{Kind: "contract", Message: "the script has no exports"}
	}
	return o, nil
}

// load evaluates the script once, reads the dialog it declares and checks it.
func (s *Script) load(defaultLang string) (*dialog, []Diagnostic) {
	sb, err := newSandbox(s.limits, nil)
	if err != nil {
		return nil, []Diagnostic{{Severity: "error", Line: 1, Column: 1, Message: err.Error()}}
	}
	sb.arm()
	defer sb.disarm()
	exp, err := s.exports(sb)
	if err != nil {
		e := scriptError(err, s.src)
		return nil, []Diagnostic{{Severity: "error", Line: max(e.Line, 1), Column: max(e.Column, 1), Message: "running the script failed: " + e.Message}}
	}
	at := max(s.src.exportAt, 0)
	def, ok := exp.Get("default").(*sobek.Object)
	if !ok {
		return nil, []Diagnostic{s.src.diag("error", at, "", "a dialog script must `export default { start, states }`")}
	}
	pos := s.src.positions()
	d := &dialog{States: map[string]*state{}, Lang: defaultLang, Intents: map[string][]string{}}
	var ds []Diagnostic
	bad := func(off int, st, f string, a ...any) { ds = append(ds, s.src.diag("error", off, st, f, a...)) }
	warn := func(off int, st, f string, a ...any) { ds = append(ds, s.src.diag("warning", off, st, f, a...)) }
	posOr := func(k string) int {
		if p, ok := pos.positionIndex[k]; ok {
			return p
		}
		return at
	}

	if v := def.Get("start"); isSet(v) {
		d.Start = v.String()
	}
	d.StartAt = posOr("start")
	if v := def.Get("lang"); isSet(v) {
		d.Lang = v.String()
		if d.Lang != "zh-CN" && d.Lang != "en" {
			bad(posOr("lang"), "", "lang must be \"zh-CN\" or \"en\", not %q", d.Lang)
		}
	}
	if v := def.Get("intents"); isSet(v) {
		io, ok := v.(*sobek.Object)
		if !ok {
			bad(posOr("intents"), "", "intents must be an object of intent name → example phrases")
		} else {
			for _, k := range io.Keys() {
				arr, err := stringList(sb.vm, io.Get(k))
				if err != nil {
					bad(posOr("intents."+k), "", "intents.%s must be a list of example phrases", k)
					continue
				}
				d.Intents[k] = arr
			}
		}
	}
	if v := def.Get("saveToContact"); isSet(v) {
		names, err := stringList(sb.vm, v)
		switch {
		case err != nil:
			bad(posOr("saveToContact"), "", "saveToContact must be a list of c.vars names, such as [\"promiseDate\"]")
		case len(names) > maxSaveToContact:
			bad(posOr("saveToContact"), "", "saveToContact names %d vars; at most %d may be written back to a contact", len(names), maxSaveToContact)
		default:
			for _, n := range names {
				if !attributeName.MatchString(n) {
					bad(posOr("saveToContact"), "", "saveToContact: %q is not a name a contact attribute can have (letters, digits and _, at most 64)", n)
				}
			}
			d.SaveToContact = names
		}
	}
	if v := def.Get("llm"); isSet(v) {
		d.Model = s.loadModel(sb, v, posOr("llm"), bad)
	}
	if v := def.Get("adaptVoice"); isSet(v) {
		d.FixedVoice = !v.ToBoolean()
	}
	d.Fallback = fallback{Retries: 2, End: "no_understanding"}
	if v := def.Get("fallback"); isSet(v) {
		fo, ok := v.(*sobek.Object)
		if !ok {
			bad(posOr("fallback"), "", "fallback must be an object { say, retries, end }")
		} else {
			if say := fo.Get("say"); isSet(say) {
				if _, isFn := sobek.AssertFunction(say); isFn {
					d.Fallback.SayFunc = true
				} else {
					d.Fallback.Say = say.String()
				}
			}
			if r := fo.Get("retries"); isSet(r) {
				d.Fallback.Retries = int(r.ToInteger())
			}
			if e := fo.Get("end"); isSet(e) {
				d.Fallback.End = e.String()
			}
		}
	}
	if d.Fallback.Say == "" && !d.Fallback.SayFunc {
		d.Fallback.Say = phrase(d.Lang, "pardon")
	}
	so, ok := def.Get("states").(*sobek.Object)
	if !ok {
		bad(posOr("states"), "", "a dialog script needs `states`, an object of state name → state")
		return d, ds
	}
	known := map[string]bool{"say": true, "emotion": true, "on": true, "default": true, "end": true, "tags": true, "callbackIn": true, "transfer": true, "llm": true, "followUp": true, "bargeIn": true, "listen": true, "http": true}
	for _, name := range so.Keys() {
		key := "states." + name
		st := &state{Name: name, At: posOr(key), On: map[string]*target{}}
		d.States[name] = st
		d.Order = append(d.Order, name)
		o, ok := so.Get(name).(*sobek.Object)
		if !ok {
			bad(st.At, name, "state %s must be an object", name)
			continue
		}
		for _, k := range o.Keys() {
			if !known[k] {
				warn(posOr(key+"."+k), name, "state %s: unknown field %q (known: say, emotion, on, default, end, tags, callbackIn, transfer, followUp, llm, bargeIn, listen, http)", name, k)
			}
		}
		if v := o.Get("say"); isSet(v) {
			st.SayAt = posOr(key + ".say")
			if _, isFn := sobek.AssertFunction(v); isFn {
				st.SayFunc = true
				st.SayTexts = pos.mentions[key+".say"]
			} else if _, isObj := v.(*sobek.Object); isObj {
				bad(st.SayAt, name, "state %s: say must be a string or a function of the context", name)
			} else {
				st.Say = v.String()
				if err := checkTemplate(st.Say); err != nil {
					bad(st.SayAt, name, "state %s: %v", name, err)
				}
			}
		}
		if v := o.Get("emotion"); isSet(v) {
			st.Emotion = v.String()
			switch st.Emotion {
			case "neutral", "happy", "urgent", "apologetic":
			default:
				bad(posOr(key+".emotion"), name, "state %s: emotion must be neutral, happy, urgent or apologetic, not %q", name, st.Emotion)
			}
		}
		if v := o.Get("listen"); isSet(v) {
			st.Listen = loadListen(v, name, posOr(key+".listen"), bad)
		}
		if v := o.Get("bargeIn"); isSet(v) {
			if b, ok := v.Export().(bool); ok {
				st.NoBargeIn = !b
			} else {
				bad(posOr(key+".bargeIn"), name, "state %s: bargeIn must be true or false", name)
			}
		}
		if v := o.Get("end"); isSet(v) {
			st.End = v.String()
		}
		if v := o.Get("transfer"); isSet(v) {
			st.Transfer = v.String()
			if d.TransferState == "" {
				d.TransferState = name
			}
		}
		if v := o.Get("followUp"); isSet(v) {
			st.FollowUp = v.String()
			channel := "sms"
			if obj, isObj := v.(*sobek.Object); isObj {
				st.FollowUp = ""
				if ch := obj.Get("channel"); isSet(ch) {
					channel = ch.String()
				}
				if t := obj.Get("template"); isSet(t) {
					st.FollowUp = t.String()
				}
			}
			if channel != "sms" {
				bad(posOr(key+".followUp"), name, "state %s: followUp's channel must be sms, not %q", name, channel)
			} else if !followUpTemplate.MatchString(st.FollowUp) {
				bad(posOr(key+".followUp"), name, "state %s: followUp names one of the tenant's SMS templates (lower-case letters, digits and _), as \"payment_link\" or {channel: \"sms\", template: \"payment_link\"}", name)
			}
		}
		if v := o.Get("tags"); isSet(v) {
			tags, err := stringList(sb.vm, v)
			if err != nil {
				bad(posOr(key+".tags"), name, "state %s: tags must be a list of strings", name)
			}
			st.Tags = tags
		}
		if v := o.Get("callbackIn"); isSet(v) {
			st.CallbackIn = v.String()
			if _, err := ParseCallbackIn(st.CallbackIn); err != nil {
				bad(posOr(key+".callbackIn"), name, "state %s: %v", name, err)
			}
		}
		readTarget := func(v sobek.Value, k string) *target {
			t := &target{At: posOr(k)}
			if fn, isFn := sobek.AssertFunction(v); isFn {
				_ = fn
				t.Func = true
				t.Maybe = pos.mentions[k]
				return t
			}
			if _, isObj := v.(*sobek.Object); isObj {
				bad(t.At, name, "state %s: %s must be a state name or a function returning one", name, k[len(key)+1:])
				return nil
			}
			t.State = v.String()
			return t
		}
		if v := o.Get("on"); isSet(v) {
			on, ok := v.(*sobek.Object)
			if !ok {
				bad(posOr(key+".on"), name, "state %s: on must be an object of intent → state", name)
			} else {
				for _, intent := range on.Keys() {
					t := readTarget(on.Get(intent), key+".on."+intent)
					if t == nil {
						continue
					}
					if intent == "default" {
						st.Default = t
						continue
					}
					st.On[intent] = t
					st.OnOrder = append(st.OnOrder, intent)
				}
			}
		}
		if v := o.Get("default"); isSet(v) {
			st.Default = readTarget(v, key+".default")
		}
		if v := o.Get("http"); isSet(v) {
			st.Request = loadRequest(v, posOr(key+".http"), name, bad)
			if st.Request != nil && st.Request.Failed != "" {
				st.Request.FailedAt = posOr(key + ".http.failed")
			}
		}
		if v := o.Get("llm"); isSet(v) {
			st.Model = loadStateModel(v, posOr(key+".llm"), name, bad)
			if st.Model != nil && len(st.On) == 0 {
				bad(posOr(key+".llm"), name, "state %s: llm needs intents to choose from in `on`", name)
			}
		}
	}
	ds = append(ds, (&Script{src: s.src, dialog: d}).validate(false)...)
	return d, ds
}

// validate checks references and reachability. With warningsOnly it
// returns only the warnings (used for cached scripts).
func (s *Script) validate(warningsOnly bool) []Diagnostic {
	d := s.dialog
	var ds []Diagnostic
	add := func(sev string, off int, st, f string, a ...any) {
		if warningsOnly && sev == "error" {
			return
		}
		ds = append(ds, s.src.diag(sev, off, st, f, a...))
	}
	if d.Start == "" {
		add("error", max(d.StartAt, 0), "", "missing `start`: name the state the call begins in")
	} else if d.States[d.Start] == nil {
		add("error", d.StartAt, "", "start refers to unknown state %q%s", d.Start, suggest(d.Start, d.Order))
	}
	intents := map[string]bool{"no_match": true}
	for _, in := range BuiltinIntents {
		intents[in] = true
	}
	for in := range d.Intents {
		intents[in] = true
	}
	for _, name := range d.Order {
		st := d.States[name]
		for _, in := range st.OnOrder {
			t := st.On[in]
			if !t.Func && d.States[t.State] == nil {
				add("error", t.At, name, "state %s: on.%s refers to unknown state %q%s", name, in, t.State, suggest(t.State, d.Order))
			}
			if !intents[in] {
				add("warning", t.At, name, "state %s: intent %q is neither built in nor declared in intents, so it never matches", name, in)
			}
		}
		if r := st.Request; r != nil && r.Failed != "" {
			switch {
			case d.States[r.Failed] == nil:
				add("error", r.FailedAt, name, "state %s: http.failed refers to unknown state %q%s", name, r.Failed, suggest(r.Failed, d.Order))
			case r.Failed == name:
				add("error", r.FailedAt, name, "state %s: http.failed must name another state (a failed request would be asked again and again)", name)
			}
		}
		if t := st.Default; t != nil && !t.Func && d.States[t.State] == nil {
			add("error", t.At, name, "state %s: default refers to unknown state %q%s", name, t.State, suggest(t.State, d.Order))
		}
		if st.End == "" && st.Transfer == "" && len(st.On) == 0 && st.Default == nil {
			add("error", st.At, name, "state %s has no way out: give it on, default, end or transfer", name)
		}
	}
	if d.States[d.Start] != nil {
		seen := map[string]bool{}
		var walk func(string)
		walk = func(n string) {
			if seen[n] || d.States[n] == nil {
				return
			}
			seen[n] = true
			for _, e := range s.edgesFrom(n) {
				walk(e.To)
			}
		}
		walk(d.Start)
		for _, name := range d.Order {
			if !seen[name] && d.States[name].Transfer == "" {
				add("warning", d.States[name].At, name, "state %s is unreachable from %s", name, d.Start)
			}
		}
	}
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Line != ds[j].Line {
			return ds[i].Line < ds[j].Line
		}
		return ds[i].Column < ds[j].Column
	})
	return ds
}

func suggest(name string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if dd := editDistance(name, n); dd < bestD && dd < len([]rune(name)) {
			best, bestD = n, dd
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := 1
			if ra[i-1] == rb[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func isSet(v sobek.Value) bool { return v != nil && !sobek.IsUndefined(v) && !sobek.IsNull(v) }

func stringList(vm *sobek.Runtime, v sobek.Value) ([]string, error) {
	o, ok := v.(*sobek.Object)
	if !ok || o.ClassName() != "Array" {
		return nil, fmt.Errorf("not a list")
	}
	n := int(o.Get("length").ToInteger())
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, o.Get(fmt.Sprint(i)).String())
	}
	return out, nil
}

// listen is the state's listen for its turns (nil: the defaults).
func (st *state) listen() *Listen {
	if st.Listen == (Listen{}) {
		return nil
	}
	l := st.Listen
	return &l
}

// loadListen reads a state's `listen`, reporting what is wrong at at.
func loadListen(v sobek.Value, state string, at int, bad func(at int, state, format string, a ...any)) Listen {
	var l Listen
	o, ok := v.(*sobek.Object)
	if !ok || o.ClassName() != "Object" {
		bad(at, state, "state %s: listen must be an object such as { endSilence: \"1200ms\", timeout: \"10s\" }", state)
		return l
	}
	for _, f := range []struct {
		name     string
		dst      *time.Duration
		min, max time.Duration
	}{{"endSilence", &l.EndSilence, 200 * time.Millisecond, 3 * time.Second}, {"timeout", &l.Timeout, 2 * time.Second, 30 * time.Second}} {
		fv := o.Get(f.name)
		if !isSet(fv) {
			continue
		}
		d, err := time.ParseDuration(fv.String())
		if err != nil || d < f.min || d > f.max {
			bad(at, state, "state %s: listen.%s %q must be a duration from %s to %s, such as \"%s\"", state, f.name, fv.String(), f.min, f.max, f.min*2)
			continue
		}
		*f.dst = d
	}
	if v := o.Get("early"); isSet(v) {
		if b, ok := v.Export().(bool); ok {
			l.Early = b
		} else {
			bad(at, state, "state %s: listen.early must be true or false", state)
		}
	}
	for _, k := range o.Keys() {
		if k != "endSilence" && k != "timeout" && k != "early" {
			bad(at, state, "state %s: listen has no field %q (known: endSilence, timeout, early)", state, k)
		}
	}
	return l
}

// ParseCallbackIn reads a callback delay such as "30m", "2h" or "1d".
func ParseCallbackIn(s string) (time.Duration, error) {
	if strings.HasSuffix(s, "d") {
		d, err := time.ParseDuration(strings.TrimSuffix(s, "d") + "h")
		return d * 24, err
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("callbackIn %q is not a delay like \"30m\", \"2h\" or \"1d\"", s)
	}
	return d, nil
}

var templatePart = regexp.MustCompile(`\$\{([^}]*)\}`)
var templatePath = regexp.MustCompile(`^\s*(c\.)?[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*|\[\d+\])*\s*$`)

func checkTemplate(s string) error {
	for _, m := range templatePart.FindAllStringSubmatch(s, -1) {
		if !templatePath.MatchString(m[1]) {
			return fmt.Errorf("template ${%s} may only name a value such as ${c.contact.name}; use a function for expressions", m[1])
		}
	}
	return nil
}

// positionIndex maps dotted keys of the default export (states.greeting.on.affirm)
// to byte offsets of their values, and function-valued keys to the state
// names they mention.
type positionIndex map[string]int

type positions struct {
	positionIndex
	mentions map[string][]string
}

func (s *source) positions() positions {
	p := positions{positionIndex: positionIndex{}, mentions: map[string][]string{}}
	obj, ok := s.defaultExpr.(*ast.ObjectLiteral)
	if !ok {
		return p
	}
	// Top-level function declarations, by name, with their source range.
	helpers := map[string][2]int{}
	for _, st := range s.ast.Body {
		if fd, ok := st.(*ast.FunctionDeclaration); ok && fd.Function != nil && fd.Function.Name != nil {
			from, to := int(fd.Function.Idx0())-1, int(fd.Function.Idx1())-1
			if from >= 0 && to <= len(s.code) && from < to {
				helpers[string(fd.Function.Name.Name)] = [2]int{from, to}
			}
		}
	}
	var walk func(prefix string, o *ast.ObjectLiteral, depth int)
	walk = func(prefix string, o *ast.ObjectLiteral, depth int) {
		for _, prop := range o.Value {
			var key string
			var val ast.Expression
			var keyAt int
			switch pr := prop.(type) {
			case *ast.PropertyKeyed:
				switch k := pr.Key.(type) {
				case *ast.StringLiteral:
					key, keyAt = string(k.Value), int(k.Idx)-1
				case *ast.Identifier:
					key, keyAt = string(k.Name), int(k.Idx)-1
				case *ast.NumberLiteral:
					key, keyAt = k.Literal, int(k.Idx)-1
				default:
					continue
				}
				val = pr.Value
			case *ast.PropertyShort:
				key, keyAt, val = string(pr.Name.Name), int(pr.Name.Idx)-1, pr.Initializer
			default:
				continue
			}
			full := prefix + key
			valAt := keyAt
			if val != nil {
				valAt = int(val.Idx0()) - 1
			}
			// A state is located by its name; every other key by its value.
			if strings.HasPrefix(prefix, "states.") && strings.Count(prefix, ".") == 1 {
				p.positionIndex[full] = keyAt
			} else {
				p.positionIndex[full] = valAt
			}
			switch v := val.(type) {
			case *ast.ObjectLiteral:
				if depth < 4 {
					walk(full+".", v, depth+1)
				}
			case *ast.ArrowFunctionLiteral, *ast.FunctionLiteral:
				from, to := int(val.Idx0())-1, int(val.Idx1())-1
				if from >= 0 && to <= len(s.code) && from < to {
					body := s.code[from:to]
					// A helper function the target calls counts too.
					for name, rng := range helpers {
						if strings.Contains(body, name+"(") {
							body += "\n" + s.code[rng[0]:rng[1]]
						}
					}
					for _, m := range quoted.FindAllStringSubmatch(body, -1) {
						p.mentions[full] = append(p.mentions[full], m[1]+m[2]+m[3])
					}
				}
			case *ast.ArrayLiteral:
				for i, e := range v.Value {
					if e != nil {
						p.positionIndex[fmt.Sprintf("%s.%d", full, i)] = int(e.Idx0()) - 1
					}
				}
			}
		}
	}
	walk("", obj, 0)
	return p
}

var quoted = regexp.MustCompile(`"([^"\\\n]*)"|'([^'\\\n]*)'|` + "`([^`$\\\\]*)`")

// Graph is the dialog as states and edges, for the portal and `script check`.
type Graph struct {
	Start    string       `json:"start"`
	Lang     string       `json:"lang"`
	Intents  []string     `json:"intents"`
	Fallback GraphOutcome `json:"fallback"`
	States   []GraphState `json:"states"`
	Edges    []GraphEdge  `json:"edges"`
	// SaveToContact names the c.vars each call writes back to its contact.
	SaveToContact []string `json:"saveToContact,omitempty"`
	// Phrases are what the script's callees are expected to say: its own
	// intents' example phrases, for the recogniser (FunASR's hotwords,
	// pocketsphinx's grammar, a Whisper-shaped service's prompt). At most
	// MaxGraphPhrases, each at most MaxPhraseRunes long.
	Phrases []string `json:"phrases,omitempty"`
	// FixedVoice is the script's adaptVoice: false (no calm voice for
	// upset callees).
	FixedVoice bool `json:"fixedVoice,omitempty"`
}

// The phrases a published version keeps for its calls' recognisers.
const (
	MaxGraphPhrases = 200
	MaxPhraseRunes  = 20
)

// GraphOutcome describes how the call ends when the callee is not understood.
type GraphOutcome struct {
	Retries int    `json:"retries"`
	End     string `json:"end"`
}

// GraphState is one state of the dialog.
type GraphState struct {
	Name    string `json:"name"`
	Line    int    `json:"line"`
	Say     string `json:"say,omitempty"` // fixed text; "" when say is a function
	SayFunc bool   `json:"sayFunction,omitempty"`
	// SayTexts are the string literals inside a say function, so the
	// publishing check can look for sensitive words in them too.
	SayTexts   []string `json:"sayTexts,omitempty"`
	Emotion    string   `json:"emotion,omitempty"`
	End        string   `json:"end,omitempty"`
	Transfer   string   `json:"transfer,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	CallbackIn string   `json:"callbackIn,omitempty"`
	// NoBargeIn: the state's words play to the end (`bargeIn: false`).
	NoBargeIn bool `json:"noBargeIn,omitempty"`
	// Listen is how the state waits for the answer.
	Listen *Listen `json:"listen,omitempty"`
}

// GraphEdge is one way from a state to another. Dynamic edges come from a
// function and are the states it may return.
type GraphEdge struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Intent  string `json:"intent"`
	Dynamic bool   `json:"dynamic,omitempty"`
}

// Graph returns the dialog's states and edges.
func (s *Script) Graph() Graph {
	d := s.dialog
	g := Graph{Start: d.Start, Lang: d.Lang, Fallback: GraphOutcome{Retries: d.Fallback.Retries, End: d.Fallback.End}, States: []GraphState{}, Edges: []GraphEdge{},
		SaveToContact: d.SaveToContact, FixedVoice: d.FixedVoice}
	g.Intents = append(g.Intents, BuiltinIntents...)
	for in := range d.Intents {
		if !contains(BuiltinIntents, in) {
			g.Intents = append(g.Intents, in)
		}
	}
	sort.Strings(g.Intents[len(BuiltinIntents):])
	seen := map[string]bool{}
	for _, in := range g.Intents[len(BuiltinIntents):] {
		for _, p := range d.Intents[in] {
			p = strings.TrimSpace(p)
			if p == "" || seen[p] || utf8.RuneCountInString(p) > MaxPhraseRunes || len(g.Phrases) == MaxGraphPhrases {
				continue
			}
			seen[p] = true
			g.Phrases = append(g.Phrases, p)
		}
	}
	for _, n := range d.Order {
		st := d.States[n]
		line, _ := s.src.pos(st.At)
		g.States = append(g.States, GraphState{Name: n, Line: line, Say: st.Say, SayFunc: st.SayFunc, SayTexts: st.SayTexts, Emotion: st.Emotion, End: st.End, Transfer: st.Transfer, Tags: st.Tags, CallbackIn: st.CallbackIn, NoBargeIn: st.NoBargeIn, Listen: st.listen()})
		g.Edges = append(g.Edges, s.edgesFrom(n)...)
	}
	return g
}

func (s *Script) edgesFrom(n string) []GraphEdge {
	d := s.dialog
	st := d.States[n]
	var out []GraphEdge
	add := func(intent string, t *target) {
		if t == nil {
			return
		}
		if !t.Func {
			out = append(out, GraphEdge{From: n, To: t.State, Intent: intent})
			return
		}
		seen := map[string]bool{}
		for _, m := range t.Maybe {
			if d.States[m] != nil && !seen[m] {
				seen[m] = true
				out = append(out, GraphEdge{From: n, To: m, Intent: intent, Dynamic: true})
			}
		}
	}
	for _, in := range st.OnOrder {
		add(in, st.On[in])
	}
	add("default", st.Default)
	if r := st.Request; r != nil && r.Failed != "" {
		add("http.failed", &target{State: r.Failed})
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
