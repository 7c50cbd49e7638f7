package scripting

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
	"github.com/grafana/sobek"
)

// Limits bound what tenant code may use in one turn. The zero value means
// the defaults below; the script host applies an OS memory limit on top.
type Limits struct {
	// Budget is the CPU time one turn (or one segmentation call) may use
	// before the script is interrupted. Default 50 ms, at most MaxBudget.
	Budget time.Duration
	// Batch is the wall time one batch of segmentation calls may take in
	// all; the contacts left when it is spent are not segmented, each with
	// an error that says so. Default 2 s, well inside a script host's
	// request timeout, so slow rules never get a host killed.
	Batch time.Duration
	// MaxCallStack bounds recursion depth. Default 256 frames.
	MaxCallStack int
	// MaxString is the longest string the bounded built-ins (repeat,
	// padStart, padEnd, join) will produce, in characters. Default 1 Mi.
	MaxString int
	// MaxArray is the largest length Array(n), new Array(n) and fill accept.
	// Default 100,000.
	MaxArray int
	// MaxVars is the largest size of c.vars as JSON, in bytes. Default 16 KiB.
	MaxVars int
	// MaxLog is how many console.log lines one turn keeps, each cut to
	// 500 characters. Default 20.
	MaxLog int
	// MaxInput is the longest utterance accepted, in characters; longer
	// ones are cut. Default 2,000.
	MaxInput int
}

func (l Limits) withDefaults() Limits {
	if l.Budget <= 0 {
		l.Budget = 50 * time.Millisecond
	}
	l.Budget = min(l.Budget, MaxBudget)
	if l.Batch <= 0 {
		l.Batch = 2 * time.Second
	}
	if l.MaxCallStack <= 0 {
		l.MaxCallStack = 256
	}
	if l.MaxString <= 0 {
		l.MaxString = 1 << 20
	}
	if l.MaxArray <= 0 {
		l.MaxArray = 100_000
	}
	if l.MaxVars <= 0 {
		l.MaxVars = 16 << 10
	}
	if l.MaxLog <= 0 {
		l.MaxLog = 20
	}
	if l.MaxInput <= 0 {
		l.MaxInput = 2000
	}
	return l
}

// MaxBudget is the largest CPU budget a turn may have, and how long one
// regular expression may try to match before it gives up. A match runs
// inside the JavaScript engine's native code, where the budget's interrupt
// is only seen once the match returns; a pattern that backtracks
// catastrophically would otherwise hold its host for as long as it likes.
// Because every budget is at most MaxBudget, a match that gives up has
// always spent its turn's budget too, and the turn ends with a budget
// error at the line that ran it, never with a silent "no match".
const MaxBudget = time.Second

func init() {
	// sobek hands patterns that RE2 cannot run (lookaround, backreferences)
	// to regexp2, which takes its match timeout from this default when the
	// pattern is compiled.
	regexp2.DefaultMatchTimeout = MaxBudget
}

// ErrBudget is the value a runaway script is interrupted with.
var ErrBudget = errors.New("script used more than its CPU budget")

// ScriptError is an error raised by tenant code at run time: an exception,
// a budget overrun, a stack overflow or a broken contract. Line and Column
// point into the script when they are known.
type ScriptError struct {
	// Kind is exception, budget, stack, contract (the script broke the
	// dialog contract, e.g. returned an unknown state or oversized vars),
	// host (the script host died) or internal.
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

func (e *ScriptError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Message)
	}
	return e.Message
}

// boundedPrelude replaces the built-ins that can allocate without limit
// from a tiny input. It runs first in every runtime, before tenant code,
// and closes over the originals so tenant code cannot reach them.
const boundedPrelude = `(function (MAXS, MAXA) {
  "use strict";
  var sp = String.prototype, ap = Array.prototype, R = RangeError;
  var oRepeat = sp.repeat, oPadStart = sp.padStart, oPadEnd = sp.padEnd;
  var join = ap.join, fill = ap.fill, A = Array, reflect = Reflect;
  function def(o, k, f) { Object.defineProperty(o, k, { value: f, writable: true, configurable: true, enumerable: false }); }
  function len(n) { n = Math.floor(Number(n)); return n > 0 ? n : 0; }
  def(sp, "repeat", function repeat(n) {
    var s = String(this);
    if (s.length * len(n) > MAXS) throw new R("repeat: the result would be longer than " + MAXS + " characters");
    return reflect.apply(oRepeat, s, [n]);
  });
  def(sp, "padStart", function padStart(n, f) {
    if (len(n) > MAXS) throw new R("padStart: the result would be longer than " + MAXS + " characters");
    return reflect.apply(oPadStart, String(this), [n, f]);
  });
  def(sp, "padEnd", function padEnd(n, f) {
    if (len(n) > MAXS) throw new R("padEnd: the result would be longer than " + MAXS + " characters");
    return reflect.apply(oPadEnd, String(this), [n, f]);
  });
  def(ap, "join", function join_(sep) {
    var n = len(this.length), s = sep === undefined ? 1 : String(sep).length;
    if (n > MAXA || n * s > MAXS) throw new R("join: the result would be longer than " + MAXS + " characters");
    return reflect.apply(join, this, [sep]);
  });
  def(ap, "fill", function fill_() {
    if (len(this.length) > MAXA) throw new R("fill: arrays are limited to " + MAXA + " elements");
    return reflect.apply(fill, this, arguments);
  });
  function check(args) {
    if (args.length === 1 && typeof args[0] === "number" && args[0] > MAXA) throw new R("Array: arrays are limited to " + MAXA + " elements");
  }
  var BoundedArray = new Proxy(A, {
    apply: function (t, self, args) { check(args); return reflect.apply(t, self, args); },
    construct: function (t, args, nt) { check(args); return reflect.construct(t, args, nt === BoundedArray ? t : nt); }
  });
  def(ap, "constructor", BoundedArray);
  def(globalThis, "Array", BoundedArray);
  var from = A.from;
  def(A, "from", function from_(src) {
    if (src != null && len(src.length) > MAXA) throw new R("Array.from: arrays are limited to " + MAXA + " elements");
    return reflect.apply(from, this, arguments);
  });
  ["ArrayBuffer", "SharedArrayBuffer", "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array",
   "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
   "WeakRef", "FinalizationRegistry", "eval"].forEach(function (k) { delete globalThis[k]; });
  var freeze = Object.freeze, isFrozen = Object.isFrozen, keys = Object.keys;
  function deepFreeze(o) {
    if (o === null || typeof o !== "object" || isFrozen(o)) return o;
    freeze(o);
    keys(o).forEach(function (k) { deepFreeze(o[k]); });
    return o;
  }
  return { parse: JSON.parse, stringify: JSON.stringify, freeze: deepFreeze };
})`

var (
	preludeOnce sync.Once
	preludeProg *sobek.Program
)

func prelude() *sobek.Program {
	preludeOnce.Do(func() {
		preludeProg = sobek.MustCompile("prelude.js", boundedPrelude, true)
	})
	return preludeProg
}

// sandbox is one fresh JavaScript runtime with the bounded built-ins, a
// captured console and nothing else: no require, timers, files, network or
// Go values. A sandbox serves one turn and is then dropped, so nothing a
// script does to built-in prototypes outlives the turn.
type sandbox struct {
	vm *sobek.Runtime
	// parse, stringify and freeze are the original JSON.parse,
	// JSON.stringify and a deep Object.freeze, taken before tenant code runs.
	parse, stringify, freeze sobek.Callable
	limits                   Limits
	log                      []string
	budget                   *budget
}

func newSandbox(limits Limits, now func() time.Time) (*sandbox, error) {
	vm := sobek.New()
	sb := &sandbox{vm: vm, limits: limits}
	vm.SetMaxCallStackSize(limits.MaxCallStack)
	if now != nil {
		vm.SetTimeSource(now)
	}
	fn, err := vm.RunProgram(prelude())
	if err != nil {
		return nil, err
	}
	call, _ := sobek.AssertFunction(fn)
	helpers, err := call(sobek.Undefined(), vm.ToValue(limits.MaxString), vm.ToValue(limits.MaxArray))
	if err != nil {
		return nil, err
	}
	h := helpers.ToObject(vm)
	sb.parse, _ = sobek.AssertFunction(h.Get("parse"))
	sb.stringify, _ = sobek.AssertFunction(h.Get("stringify"))
	sb.freeze, _ = sobek.AssertFunction(h.Get("freeze"))
	console := vm.NewObject()
	logf := func(call sobek.FunctionCall) sobek.Value {
		if len(sb.log) >= limits.MaxLog {
			return sobek.Undefined()
		}
		var b strings.Builder
		for i, a := range call.Arguments {
			if i > 0 {
				b.WriteByte(' ')
			}
			s := a.String()
			if o, ok := a.(*sobek.Object); ok && o.ClassName() != "Function" && o.ClassName() != "Error" {
				if j, err := sb.json(a); err == nil {
					s = j
				}
			}
			b.WriteString(s)
			if b.Len() > 500 {
				break
			}
		}
		sb.log = append(sb.log, truncate(b.String(), 500))
		return sobek.Undefined()
	}
	for _, k := range []string{"log", "info", "warn", "error", "debug"} {
		_ = console.Set(k, logf)
	}
	_ = vm.Set("console", console)
	return sb, nil
}

// arm starts the turn's CPU budget; disarm stops it.
func (sb *sandbox) arm() {
	if sb.budget == nil {
		sb.budget = newBudget(sb.vm, sb.limits.Budget)
	}
	sb.budget.arm()
}

// disarm stops the budget. It reports false when the budget already
// fired, in which case an interrupt may be pending and the runtime must
// not be reused.
func (sb *sandbox) disarm() bool {
	if sb.budget != nil {
		return sb.budget.disarm()
	}
	return true
}

// json serialises a value with the original JSON.stringify.
func (sb *sandbox) json(v sobek.Value) (string, error) {
	out, err := sb.stringify(sobek.Undefined(), v)
	if err != nil {
		return "", err
	}
	if sobek.IsUndefined(out) {
		return "", nil
	}
	return out.String(), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// scriptError turns whatever sobek returned into a *ScriptError with a
// position in the tenant's file when there is one.
func scriptError(err error, src *source) *ScriptError {
	if err == nil {
		return nil
	}
	var se *ScriptError
	if errors.As(err, &se) {
		return se
	}
	var ie *sobek.InterruptedError
	if errors.As(err, &ie) {
		e := &ScriptError{Kind: "budget", Message: ErrBudget.Error()}
		if v, ok := ie.Value().(error); !ok || !errors.Is(v, ErrBudget) {
			e.Message = fmt.Sprint("script interrupted: ", ie.Value())
		}
		src.locate(e, ie.Stack())
		return e
	}
	var so *sobek.StackOverflowError
	if errors.As(err, &so) {
		e := &ScriptError{Kind: "stack", Message: "call stack too deep (endless recursion?)"}
		src.locate(e, so.Stack())
		return e
	}
	var ex *sobek.Exception
	if errors.As(err, &ex) {
		msg := ex.Value().String()
		e := &ScriptError{Kind: "exception", Message: msg}
		src.locate(e, ex.Stack())
		return e
	}
	return &ScriptError{Kind: "exception", Message: err.Error()}
}
