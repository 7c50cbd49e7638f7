package telephony

import (
	"encoding/binary"
	"errors"
	"strings"
)

// RFC 4733 telephone events: DTMF digits carried in RTP with their own
// payload type (101 here, negotiated as telephone-event/8000).

// DTMFPayloadType is the dynamic payload type offered for telephone-event.
const DTMFPayloadType uint8 = 101

const dtmfDigits = "0123456789*#ABCD"

// DTMFEvent is the payload of one RFC 4733 packet.
type DTMFEvent struct {
	Digit    byte   // '0'-'9', '*', '#', 'A'-'D'
	End      bool   // the E bit: the last packets of an event set it
	Volume   uint8  // attenuation in dBm0, 0-63
	Duration uint16 // in timestamp units (1/8000 s) since the event began
}

var errDTMFPayload = errors.New("telephone-event payload: want 4 bytes with an event code 0-15")

// Marshal returns the 4-byte payload.
func (e DTMFEvent) Marshal() []byte {
	code := strings.IndexByte(dtmfDigits, e.Digit)
	if code < 0 {
		code = 0
	}
	b := make([]byte, 4)
	b[0] = byte(code)
	b[1] = e.Volume & 0x3F
	if e.End {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], e.Duration)
	return b
}

// ParseDTMFEvent reads a telephone-event payload.
func ParseDTMFEvent(p []byte) (DTMFEvent, error) {
	if len(p) < 4 || p[0] > 15 {
		return DTMFEvent{}, errDTMFPayload
	}
	return DTMFEvent{
		Digit:    dtmfDigits[p[0]],
		End:      p[1]&0x80 != 0,
		Volume:   p[1] & 0x3F,
		Duration: binary.BigEndian.Uint16(p[2:]),
	}, nil
}

// ValidDTMF reports whether every character of digits can be sent as DTMF.
func ValidDTMF(digits string) bool {
	for i := 0; i < len(digits); i++ {
		if strings.IndexByte(dtmfDigits, digits[i]) < 0 {
			return false
		}
	}
	return digits != ""
}

// dtmfReceiver turns a stream of event packets into digits, once per event
// (events are identified by their RTP timestamp; the end packet is sent
// three times).
type dtmfReceiver struct {
	lastTS   uint32
	lastDone bool
	started  bool
}

// packet returns the digit when this packet completes a new event.
func (r *dtmfReceiver) packet(ts uint32, ev DTMFEvent) (byte, bool) {
	if r.started && ts == r.lastTS {
		if ev.End && !r.lastDone {
			r.lastDone = true
			return ev.Digit, true
		}
		return 0, false
	}
	r.started = true
	r.lastTS = ts
	r.lastDone = ev.End
	if ev.End {
		return ev.Digit, true
	}
	return 0, false
}

// dtmfSender plans the packets of queued digits: 100 ms of tone (five
// 20 ms packets with growing duration), the end packet sent three times,
// then 60 ms of pause before the next digit.
type dtmfSender struct {
	queue   []byte
	digit   byte
	step    int // packets sent for the current digit
	startTS uint32
	pause   int
}

const (
	dtmfTonePackets = 5
	dtmfEndRepeats  = 3
	dtmfPauseFrames = 3
)

func (d *dtmfSender) active() bool { return d.digit != 0 || len(d.queue) > 0 || d.pause > 0 }

// next returns the event for this 20 ms tick; ok is false when audio
// should be sent instead (no digit or a pause between digits).
func (d *dtmfSender) next(ts uint32) (ev DTMFEvent, eventTS uint32, marker, ok bool) {
	if d.digit == 0 {
		if d.pause > 0 {
			d.pause--
			return DTMFEvent{}, 0, false, false
		}
		if len(d.queue) == 0 {
			return DTMFEvent{}, 0, false, false
		}
		d.digit, d.queue = d.queue[0], d.queue[1:]
		d.step = 0
		d.startTS = ts
	}
	d.step++
	ev = DTMFEvent{Digit: d.digit, Volume: 10}
	if d.step <= dtmfTonePackets {
		ev.Duration = uint16(d.step * frameSamples)
	} else {
		ev.Duration = uint16(dtmfTonePackets * frameSamples)
		ev.End = true
	}
	marker = d.step == 1
	eventTS = d.startTS
	if d.step >= dtmfTonePackets+dtmfEndRepeats {
		d.digit = 0
		d.pause = dtmfPauseFrames
	}
	return ev, eventTS, marker, true
}
