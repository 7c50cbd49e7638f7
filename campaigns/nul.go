package campaigns

import (
	"encoding/json"
	"strings"
)

// dropNUL takes the NUL characters out of what a close records:
// PostgreSQL refuses them in text and jsonb, and a script or a recogniser
// can put one anywhere (a say, c.vars, a slot). A close that kept them
// could never be recorded.
func (e *Ending) dropNUL() {
	clean := func(s string) string { return strings.ReplaceAll(s, "\x00", "") }
	e.Reason, e.FinalState, e.LastIntent = clean(e.Reason), clean(e.FinalState), clean(e.LastIntent)
	e.RecordingRef, e.CallerID = clean(e.RecordingRef), clean(e.CallerID)
	for i, t := range e.Tags {
		e.Tags[i] = clean(t)
	}
	for i := range e.Turns {
		t := &e.Turns[i]
		t.State, t.Said, t.Heard, t.Intent, t.SentimentLabel, t.Emotion = clean(t.State), clean(t.Said), clean(t.Heard), clean(t.Intent), clean(t.SentimentLabel), clean(t.Emotion)
		for j, w := range t.Sensitive {
			t.Sensitive[j] = clean(w)
		}
		t.Model, t.Requests = dropJSONNUL(t.Model), dropJSONNUL(t.Requests)
	}
	for i := range e.SensitiveHits {
		e.SensitiveHits[i].Word = clean(e.SensitiveHits[i].Word)
	}
	e.Vars = dropJSONNUL(e.Vars)
	for k, v := range e.ContactFields {
		e.ContactFields[k] = dropJSONNUL(v)
	}
	if e.Slots != nil {
		e.Slots, _ = dropValueNUL(e.Slots).(map[string]any)
	}
}

// dropJSONNUL removes NUL characters (raw, or escaped as \u0000) from the
// strings of a JSON document.
func dropJSONNUL(doc json.RawMessage) json.RawMessage {
	if len(doc) == 0 {
		return doc
	}
	out := make([]byte, 0, len(doc))
	for i := 0; i < len(doc); i++ {
		switch c := doc[i]; {
		case c == 0:
		case c == '\\' && i+1 < len(doc):
			if doc[i+1] == 'u' && i+5 < len(doc) && string(doc[i+2:i+6]) == "0000" {
				i += 5
				continue
			}
			out = append(out, c, doc[i+1])
			i++
		default:
			out = append(out, c)
		}
	}
	return out
}

func dropValueNUL(v any) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, "\x00", "")
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[strings.ReplaceAll(k, "\x00", "")] = dropValueNUL(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = dropValueNUL(e)
		}
		return out
	}
	return v
}
