package calleesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Kind is what picks up the phone, and what answering-machine detection
// should conclude about it.
type Kind string

const (
	KindHuman     Kind = "human"     // a person: short greeting, then talks
	KindVoicemail Kind = "voicemail" // a mailbox: long greeting, beep, records
	KindScreener  Kind = "screener"  // a call-screening assistant: long question
	// KindAnnouncement is the carrier's recorded announcement after an
	// answer (您拨打的电话已关机, not in service), then nothing.
	KindAnnouncement Kind = "announcement"
)

// IsMachine reports whether detection should say machine.
func (k Kind) IsMachine() bool {
	return k == KindVoicemail || k == KindScreener || k == KindAnnouncement
}

// Persona describes one kind of callee. Durations are in milliseconds.
type Persona struct {
	Name string `json:"name"`
	// Numbers this persona answers; a call to another number picks a
	// persona at random by Weight.
	Numbers []string `json:"numbers,omitempty"`
	Weight  float64  `json:"weight,omitempty"`
	Kind    Kind     `json:"kind,omitempty"`

	// AnswerProbability (default 1). A call not answered ends as one of
	// Unanswered's outcomes, picked by weight: busy, no_answer, reject,
	// invalid (default no_answer: rings until CANCEL).
	AnswerProbability *float64 `json:"answer_probability,omitempty"`
	// AnswerByHour is the answer probability by the callee's local hour
	// when the call arrives, keyed by an hour ("20") or a range of hours
	// ("19-21", both ends included; "22-5" wraps past midnight), so a
	// persona can answer in the evening and not at night. Hours it does
	// not name use AnswerProbability.
	AnswerByHour map[string]float64 `json:"answer_by_hour,omitempty"`
	// TimeZone is the callee's IANA time zone ("Asia/Shanghai"), which
	// says what local hour AnswerByHour reads. Empty: the zone of the
	// dialled number, as a real callee lives where the number does (the
	// first zone libphonenumber gives for an E.164 number), else UTC.
	TimeZone   string             `json:"time_zone,omitempty"`
	Unanswered map[string]float64 `json:"unanswered,omitempty"`
	RingMS     int                `json:"ring_ms,omitempty"`
	// EarlyMedia sends 183 with SDP and a ringback tone before answering.
	EarlyMedia bool `json:"early_media,omitempty"`
	// EarlyAnnouncement is a carrier's announcement played in early media
	// instead (183 with SDP, then these words, as Chinese carriers play
	// 您拨打的号码是空号 before any answer); the call is never answered:
	// after RingMS the network gives up with 480.
	EarlyAnnouncement string `json:"early_announcement,omitempty"`

	// Voice for espeak-ng ("en", "cmn").
	Voice string `json:"voice,omitempty"`
	// Greeting is said right after answering ("喂?", a mailbox greeting).
	Greeting string `json:"greeting,omitempty"`
	// Lines are said turn by turn, each after the robot's prompt ends.
	Lines []Line `json:"lines,omitempty"`
	// HoldMS: after the last line wait this long for the robot's BYE
	// before hanging up (default 20000).
	HoldMS int `json:"hold_ms,omitempty"`

	// Codecs the callee accepts (default PCMU, PCMA); names we do not
	// know (G729) make an answer with no common codec.
	Codecs []string `json:"codecs,omitempty"`
	// NoRTP answers and then never sends media.
	NoRTP bool `json:"no_rtp,omitempty"`
	// GarbageRTP sends random bytes instead of RTP.
	GarbageRTP bool `json:"garbage_rtp,omitempty"`
	// RefuseTransfer answers REFER with 603.
	RefuseTransfer bool `json:"refuse_transfer,omitempty"`
}

// Line is one turn of the callee.
type Line struct {
	Say  string `json:"say,omitempty"`
	DTMF string `json:"dtmf,omitempty"`
	// PauseMS of thinking before answering.
	PauseMS int `json:"pause_ms,omitempty"`
	// BargeInMS: speak this long after the robot starts instead of waiting
	// for it to finish.
	BargeInMS int `json:"barge_in_ms,omitempty"`
	// Hangup ends the call at this turn (after the pause).
	Hangup bool `json:"hangup,omitempty"`
}

func (p Persona) answerProbability() float64 {
	if p.AnswerProbability == nil {
		return 1
	}
	return *p.AnswerProbability
}

// AnswerProbabilityAt is the chance the persona answers a call that
// reaches it at local, the callee's local time: AnswerByHour's value
// for local's hour, else AnswerProbability (default 1).
func (p Persona) AnswerProbabilityAt(local time.Time) float64 {
	h := local.Hour()
	for k, v := range p.AnswerByHour {
		from, to, err := parseHours(k)
		if err == nil && inHours(h, from, to) {
			return v
		}
	}
	return p.answerProbability()
}

// Location is the callee's time zone for a call to number: TimeZone,
// else the number's zone, else UTC.
func (p Persona) Location(number string) *time.Location {
	if p.TimeZone != "" {
		if loc, err := time.LoadLocation(p.TimeZone); err == nil {
			return loc
		}
	}
	return NumberLocation(number)
}

// NumberLocation is the time zone of a dialled number (E.164, with or
// without its "+"), the first libphonenumber knows for it; UTC when the
// number is not a valid one or says nothing.
func NumberLocation(number string) *time.Location {
	n := strings.TrimSpace(number)
	if n == "" {
		return time.UTC
	}
	if !strings.HasPrefix(n, "+") {
		n = "+" + n
	}
	num, err := phonenumbers.Parse(n, "")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return time.UTC
	}
	zones, err := phonenumbers.GetTimezonesForNumber(num)
	if err != nil || len(zones) == 0 || zones[0] == phonenumbers.UNKNOWN_TIMEZONE {
		return time.UTC
	}
	loc, err := time.LoadLocation(zones[0])
	if err != nil {
		return time.UTC
	}
	return loc
}

// parseHours reads an AnswerByHour key: "H" or "H-H", hours 0–23.
func parseHours(k string) (from, to int, err error) {
	a, b, isRange := strings.Cut(strings.TrimSpace(k), "-")
	if from, err = strconv.Atoi(strings.TrimSpace(a)); err != nil || from < 0 || from > 23 {
		return 0, 0, fmt.Errorf("answer_by_hour key %q: want an hour 0-23 or a range like 19-21", k)
	}
	to = from
	if isRange {
		if to, err = strconv.Atoi(strings.TrimSpace(b)); err != nil || to < 0 || to > 23 {
			return 0, 0, fmt.Errorf("answer_by_hour key %q: want an hour 0-23 or a range like 19-21", k)
		}
	}
	return from, to, nil
}

func inHours(h, from, to int) bool {
	if from <= to {
		return h >= from && h <= to
	}
	return h >= from || h <= to // wraps past midnight
}

// Validate reports what is wrong with a persona, naming the field.
func (p Persona) Validate() error {
	if p.Name == "" {
		return errors.New("a persona has no name")
	}
	for k := range p.Unanswered {
		switch k {
		case "busy", "no_answer", "reject", "invalid":
		default:
			return fmt.Errorf("persona %s: unanswered outcome %q: want busy, no_answer, reject or invalid", p.Name, k)
		}
	}
	if p.AnswerProbability != nil && (*p.AnswerProbability < 0 || *p.AnswerProbability > 1) {
		return fmt.Errorf("persona %s: answer_probability %v: want 0 to 1", p.Name, *p.AnswerProbability)
	}
	var seen [24]string
	for k, v := range p.AnswerByHour {
		from, to, err := parseHours(k)
		if err != nil {
			return fmt.Errorf("persona %s: %w", p.Name, err)
		}
		if v < 0 || v > 1 {
			return fmt.Errorf("persona %s: answer_by_hour %q is %v: want 0 to 1", p.Name, k, v)
		}
		for h := range 24 {
			if inHours(h, from, to) {
				if seen[h] != "" {
					return fmt.Errorf("persona %s: answer_by_hour names hour %d twice (%q and %q)", p.Name, h, seen[h], k)
				}
				seen[h] = k
			}
		}
	}
	if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil {
			return fmt.Errorf("persona %s: time_zone %q is not an IANA time zone (like Asia/Shanghai)", p.Name, p.TimeZone)
		}
	}
	return nil
}

func (p Persona) ring() time.Duration { return time.Duration(p.RingMS) * time.Millisecond }

func (p Persona) hold() time.Duration {
	if p.HoldMS <= 0 {
		return 20 * time.Second
	}
	return time.Duration(p.HoldMS) * time.Millisecond
}

// PersonaFile is the JSON document `outcall callee-sim --personas` reads.
type PersonaFile struct {
	Personas []Persona `json:"personas"`
}

// LoadPersonas reads a persona file (JSON).
func LoadPersonas(path string) ([]Persona, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParsePersonas(data)
}

// ParsePersonas reads persona JSON.
func ParsePersonas(data []byte) ([]Persona, error) {
	var f PersonaFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("persona file: %w", err)
	}
	if len(f.Personas) == 0 {
		return nil, errors.New("persona file has no personas")
	}
	for i, p := range f.Personas {
		if p.Name == "" {
			return nil, fmt.Errorf("persona %d has no name", i+1)
		}
		if err := p.Validate(); err != nil {
			return nil, err
		}
	}
	return f.Personas, nil
}

func prob(f float64) *float64 { return &f }

// DeskDemoNumber is the number of the default persona who asks for a
// person and talks to them.
const DeskDemoNumber = "+8613800138000"

// DefaultPersonas is a small crowd for the demo: people answering in
// Mandarin and English, some busy or not answering, voicemail boxes of
// several lengths and a call-screening assistant.
func DefaultPersonas() []Persona {
	return []Persona{
		{Name: "wang-agrees", Kind: KindHuman, Weight: 4, Voice: "cmn", RingMS: 1500, Greeting: "喂?",
			Lines: []Line{{Say: "是的", PauseMS: 300}, {Say: "好的,谢谢", PauseMS: 400}}},
		{Name: "li-later", Kind: KindHuman, Weight: 2, Voice: "cmn", RingMS: 2500, Greeting: "喂,你好",
			Lines: []Line{{Say: "我正在开会,晚点再说", BargeInMS: 800}}},
		{Name: "amy-presses-keys", Kind: KindHuman, Weight: 1, Voice: "en", RingMS: 1000, Greeting: "hello?",
			Lines: []Line{{DTMF: "1", PauseMS: 200}, {Say: "yes please", PauseMS: 300}}},
		{Name: "bob-hangs-up", Kind: KindHuman, Weight: 1, Voice: "en", RingMS: 2000, Greeting: "hello",
			Lines: []Line{{Hangup: true, PauseMS: 500}}},
		{Name: "busy-line", Weight: 1, AnswerProbability: prob(0), Unanswered: map[string]float64{"busy": 1}},
		{Name: "never-answers", Weight: 1, AnswerProbability: prob(0), Unanswered: map[string]float64{"no_answer": 1}},
		{Name: "mailbox-short", Kind: KindVoicemail, Weight: 1, Voice: "en", RingMS: 3000,
			Greeting: "Hi, this is Tom. Leave a message after the tone."},
		{Name: "mailbox-long", Kind: KindVoicemail, Weight: 1, Voice: "cmn", RingMS: 4000,
			Greeting: "您好,您拨打的用户暂时无法接听,请在提示音后留言,留言完毕请挂机。"},
		{Name: "screening-assistant", Kind: KindScreener, Weight: 1, Voice: "en", RingMS: 2000,
			Greeting: "Hi, the person you are calling is using a screening service. Please say your name and why you are calling."},
		// Only at its own number: a callee who asks for a person and talks
		// to them (the agent desk's demo and end-to-end test).
		{Name: "zhao-wants-a-person", Kind: KindHuman, Numbers: []string{DeskDemoNumber}, Voice: "cmn", RingMS: 1000, Greeting: "喂?",
			Lines: []Line{{Say: "我要转人工", PauseMS: 300}, {Say: "你好,我想问一下我的账单", PauseMS: 300}, {Say: "好的,明白了", PauseMS: 300},
				{Say: "还有一个问题", PauseMS: 300}, {Say: "谢谢,再见", PauseMS: 300}}, HoldMS: 60000},
	}
}
