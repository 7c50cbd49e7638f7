package scripting

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/grafana/sobek"
)

// Segmenter runs a segmentation script: a module exporting
// `segment(contact)` that returns a segment name, or null for none.
//
//	export function segment(contact) {
//	  if (contact.vip) return "vip";
//	  return contact.orders > 3 ? "loyal" : null;
//	}
//
// A Segmenter keeps a small pool of runtimes with the script loaded, so a
// contact costs one function call. A runtime is shared only by contacts of
// the same script (one tenant's rules), and one that hit an error is
// thrown away. Each call receives its own copy of the contact. Safe for
// concurrent use.
type Segmenter struct {
	script *Script
	pool   sync.Pool
}

type segRuntime struct {
	sb *sandbox
	fn sobek.Callable
}

// SegmentResult is one contact's segment ("" for none) or the reason it
// failed.
type SegmentResult struct {
	Segment string `json:"segment,omitempty"`
	Error   string `json:"error,omitempty"`
	// Line and Column say where in the rules the error happened, when the
	// script itself failed (0: not known).
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

// CompileSegmenter compiles a segmentation script; the Segmenter is nil
// when a diagnostic is an error.
func CompileSegmenter(name, src string, opts ...Option) (*Segmenter, []Diagnostic) {
	s, ds := compile(name, src, false, opts)
	if s == nil {
		return nil, ds
	}
	sg := &Segmenter{script: s}
	rt, err := sg.newRuntime()
	if err != nil {
		e := scriptError(err, s.src)
		return nil, append(ds, Diagnostic{Severity: "error", Line: max(e.Line, 1), Column: max(e.Column, 1), Message: e.Message})
	}
	sg.pool.Put(rt)
	return sg, ds
}

func (sg *Segmenter) newRuntime() (*segRuntime, error) {
	sb, err := newSandbox(sg.script.limits, nil)
	if err != nil {
		return nil, err
	}
	sb.arm()
	defer sb.disarm()
	exp, err := sg.script.exports(sb)
	if err != nil {
		return nil, err
	}
	v := exp.Get("segment")
	if !isSet(v) {
		if d, ok := exp.Get("default").(*sobek.Object); ok {
			v = d
			if _, isFn := sobek.AssertFunction(v); !isFn {
				v = d.Get("segment")
			}
		}
	}
	fn, ok := sobek.AssertFunction(v)
	if !ok {
		return nil, &ScriptError{Kind: "contract", Message: "a segmentation script must export function segment(contact)", Line: 1, Column: 1}
	}
	return &segRuntime{sb: sb, fn: fn}, nil
}

// Segment returns the contact's segment, "" when the script returns null.
func (sg *Segmenter) Segment(contact Contact) (string, error) {
	rt, _ := sg.pool.Get().(*segRuntime)
	if rt == nil {
		var err error
		if rt, err = sg.newRuntime(); err != nil {
			return "", scriptError(err, sg.script.src)
		}
	}
	seg, clean, err := rt.segment(contact)
	if clean {
		sg.pool.Put(rt)
	}
	// Otherwise the runtime was interrupted, overflowed or threw half-way
	// through something: drop it.
	if err != nil {
		return "", scriptError(err, sg.script.src)
	}
	return seg, nil
}

// SegmentAll segments a batch of contacts. Once the batch has taken the
// script's Limits.Batch, the contacts left are not run: each gets an error
// that says so, and the rules' author learns that they are too slow
// rather than a host being killed for it.
func (sg *Segmenter) SegmentAll(contacts []Contact) []SegmentResult {
	out := make([]SegmentResult, len(contacts))
	deadline := time.Now().Add(sg.script.limits.Batch)
	for i, c := range contacts {
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("not segmented: the rules took more than %v for the %d contacts before this one; make them faster", sg.script.limits.Batch, i)
			for j := i; j < len(out); j++ {
				out[j] = SegmentResult{Error: msg}
			}
			break
		}
		seg, err := sg.Segment(c)
		out[i] = SegmentResult{Segment: seg}
		if err != nil {
			out[i].Error = err.Error()
			var se *ScriptError
			if errors.As(err, &se) {
				out[i].Line, out[i].Column = se.Line, se.Column
			}
		}
	}
	return out
}

// segment runs the rule for one contact; clean reports whether the
// runtime may serve the next contact.
func (rt *segRuntime) segment(contact Contact) (seg string, clean bool, err error) {
	obj, err := rt.sb.toObject(contact, 0)
	if err != nil {
		return "", true, &ScriptError{Kind: "contract", Message: err.Error()}
	}
	rt.sb.arm()
	v, err := rt.fn(sobek.Undefined(), obj)
	if !rt.sb.disarm() || err != nil {
		return "", false, err
	}
	if !isSet(v) {
		return "", true, nil
	}
	if s, ok := v.Export().(string); ok {
		return s, true, nil
	}
	return "", true, &ScriptError{Kind: "contract", Message: fmt.Sprintf("segment returned %s; return a segment name or null", v.String())}
}

// toObject copies a JSON-like Go map into a fresh JavaScript object. Each
// call gets its own copy, so a rule that changes it changes nothing else.
func (sb *sandbox) toObject(m map[string]any, depth int) (*sobek.Object, error) {
	vm := sb.vm
	o := vm.NewObject()
	for k, v := range m {
		jv, err := sb.toValue(v, depth+1)
		if err != nil {
			return nil, err
		}
		if err := o.Set(k, jv); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (sb *sandbox) toValue(v any, depth int) (sobek.Value, error) {
	if depth > 16 {
		return nil, errors.New("contact is nested too deeply")
	}
	switch x := v.(type) {
	case nil:
		return sobek.Null(), nil
	case string, bool, float64, int, int64:
		return sb.vm.ToValue(x), nil
	case map[string]any:
		return sb.toObject(x, depth)
	case Contact:
		return sb.toObject(x, depth)
	case []any:
		arr := make([]any, len(x))
		for i, e := range x {
			jv, err := sb.toValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			arr[i] = jv
		}
		return sb.vm.NewArray(arr...), nil
	default:
		return sb.vm.ToValue(fmt.Sprint(x)), nil
	}
}
