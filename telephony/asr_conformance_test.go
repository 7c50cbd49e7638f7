package telephony_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/asrtest"
	"github.com/outcall/outcall/telephony/funasrtest"
	"github.com/outcall/outcall/telephony/whispertest"
)

// funasrDouble drives the FunASR runtime's double for the suite.
type funasrDouble struct{ s *funasrtest.Server }

func (d funasrDouble) Answer(partials []string, final string, endpointAfter time.Duration) {
	d.s.SetScript(funasrtest.Script{Partials: partials, Final: final, EndpointAfter: endpointAfter})
}
func (d funasrDouble) RequireKey(key string) { d.s.RequireKey(key) }
func (d funasrDouble) Fault(f asrtest.Fault) {
	d.s.Fault(map[asrtest.Fault]funasrtest.Fault{asrtest.FaultNone: funasrtest.FaultNone, asrtest.FaultDropMidUtterance: funasrtest.FaultDropMidUtterance,
		asrtest.FaultSlowFinal: funasrtest.FaultSlowFinal, asrtest.FaultRefuseAudio: funasrtest.FaultRefuseAudio}[f])
}
func (d funasrDouble) CloseConnections() { d.s.CloseConnections() }
func (d funasrDouble) Received() []asrtest.Received {
	var out []asrtest.Received
	for _, s := range d.s.Sessions() {
		var words []string
		for w := range s.Hotwords {
			words = append(words, w)
		}
		slices.Sort(words)
		out = append(out, asrtest.Received{Audio: s.AudioDuration(), Hotwords: words, Ended: s.Ended})
	}
	return out
}

// whisperDouble drives the Whisper-shaped service's double for the suite.
type whisperDouble struct{ s *whispertest.Server }

func (d whisperDouble) Answer(_ []string, final string, _ time.Duration) { d.s.SetText(final) }
func (d whisperDouble) RequireKey(key string)                            { d.s.RequireKey(key) }
func (d whisperDouble) Fault(f asrtest.Fault) {
	d.s.Fault(map[asrtest.Fault]whispertest.Fault{asrtest.FaultNone: whispertest.FaultNone, asrtest.FaultDropMidUtterance: whispertest.FaultDrop,
		asrtest.FaultSlowFinal: whispertest.FaultSlow, asrtest.FaultRefuseAudio: whispertest.FaultRefuseAudio}[f])
}
func (d whisperDouble) CloseConnections() { d.s.CloseConnections() }
func (d whisperDouble) Received() []asrtest.Received {
	var out []asrtest.Received
	for _, r := range d.s.Requests() {
		var words []string
		if r.Prompt != "" {
			words = strings.Split(r.Prompt, ", ")
		}
		out = append(out, asrtest.Received{Audio: r.Duration(), Hotwords: words, Language: r.Language, Ended: true})
	}
	return out
}

func TestFunASRPassesTheRecognizerConformanceSuite(t *testing.T) {
	srv := funasrtest.NewServer(funasrtest.Script{})
	defer srv.Close()
	asrtest.Run(t, asrtest.Provider{
		Name: "funasr", Double: funasrDouble{srv}, Streams: true,
		New: func(key string, timeout time.Duration) telephony.StreamingRecognizer {
			r, err := telephony.NewFunASRRecognizer(srv.URL, key)
			if err != nil {
				t.Fatal(err)
			}
			r.FinalTimeout, r.DialTimeout = timeout, timeout
			return r
		},
	})
	for _, s := range srv.Sessions() {
		if len(s.Violations) > 0 {
			t.Errorf("the FunASR client broke the protocol: %q", s.Violations)
		}
	}
}

func TestHTTPRecognizerThroughTheAdapterPassesTheConformanceSuite(t *testing.T) {
	srv := whispertest.NewServer("")
	defer srv.Close()
	asrtest.Run(t, asrtest.Provider{
		Name: "http", Double: whisperDouble{srv}, SendsLanguage: true,
		New: func(key string, timeout time.Duration) telephony.StreamingRecognizer {
			return telephony.Stream(&telephony.HTTPRecognizer{BaseURL: srv.URL, APIKey: key, Timeout: timeout})
		},
	})
}
