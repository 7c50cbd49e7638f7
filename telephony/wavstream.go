package telephony

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// resampler converts mono audio between rates a piece at a time, as
// Resample does whole: the same box filter before decimating and the same
// linear interpolation, carried across pieces.
type resampler struct {
	from, to int
	w        int     // box filter width (1: none)
	ring     []int16 // the last w input samples, for the box filter
	acc      int
	in       int64   // input samples seen
	src      []int16 // filtered samples from index base on
	base     int64
	out      int64 // output samples made
}

func newResampler(from, to int) *resampler {
	r := &resampler{from: from, to: to, w: 1}
	if from > to {
		r.w = max(1, (from+to-1)/to)
	}
	r.ring = make([]int16, r.w)
	return r
}

// push takes the next input samples and appends the output they complete
// to dst.
func (r *resampler) push(in []int16, dst []int16) []int16 {
	if r.from == r.to {
		r.in += int64(len(in))
		return append(dst, in...)
	}
	for _, v := range in {
		slot := int(r.in % int64(r.w))
		if r.in >= int64(r.w) {
			r.acc -= int(r.ring[slot])
		}
		r.ring[slot] = v
		r.acc += int(v)
		r.in++
		r.src = append(r.src, int16(r.acc/int(min(r.in, int64(r.w)))))
	}
	return r.emit(dst, false)
}

// flush appends the output the last input owes (Resample's length).
func (r *resampler) flush(dst []int16) []int16 {
	if r.from == r.to {
		return dst
	}
	return r.emit(dst, true)
}

func (r *resampler) emit(dst []int16, end bool) []int16 {
	total := r.in * int64(r.to) / int64(r.from) // Resample's output length so far
	have := r.base + int64(len(r.src))
	for r.out < total {
		num := r.out * int64(r.from)
		j := num / int64(r.to)
		if j+1 >= have && !end {
			break // the next sample is still to come
		}
		frac := float64(num%int64(r.to)) / float64(r.to)
		a := float64(r.src[j-r.base])
		b := a
		if j+1 < have {
			b = float64(r.src[j+1-r.base])
		}
		dst = append(dst, int16(a+(b-a)*frac))
		r.out++
	}
	// Keep only what the next output needs.
	next := r.out * int64(r.from) / int64(r.to)
	if drop := next - r.base; drop > 0 {
		drop = min(drop, int64(len(r.src)))
		r.src = append(r.src[:0], r.src[drop:]...)
		r.base += drop
	}
	return dst
}

// wavStream reads a WAV file as it arrives (a speech service streaming
// its reply, whose header gives no sizes) and hands over its first
// channel at 8 kHz piece by piece. Only 16-bit PCM is read.
type wavStream struct {
	head      []byte // bytes before the audio, until the data chunk starts
	inData    bool
	channels  int
	rs        *resampler
	carry     []byte // part of a sample frame
	pcm, out  []int16
	gotFormat bool
}

var errNotWAV = errors.New("not a valid WAV file")

// feed takes the next bytes and writes the audio they complete.
func (w *wavStream) feed(p []byte, write func([]int16)) error {
	if !w.inData {
		w.head = append(w.head, p...)
		rest, err := w.header()
		if err != nil || !w.inData {
			return err
		}
		p = rest
	}
	if len(w.carry) > 0 {
		p = append(w.carry, p...)
		w.carry = nil
	}
	frame := 2 * w.channels
	whole := len(p) / frame * frame
	if whole < len(p) {
		w.carry = append([]byte(nil), p[whole:]...)
	}
	w.pcm = w.pcm[:0]
	for i := 0; i < whole; i += frame {
		w.pcm = append(w.pcm, int16(binary.LittleEndian.Uint16(p[i:])))
	}
	w.out = w.rs.push(w.pcm, w.out[:0])
	if len(w.out) > 0 {
		write(w.out)
	}
	return nil
}

// end writes what is left once the reply is over.
func (w *wavStream) end(write func([]int16)) error {
	if !w.inData {
		if len(w.head) == 0 {
			return errors.New("an empty reply")
		}
		return errNotWAV
	}
	w.out = w.rs.flush(w.out[:0])
	if len(w.out) > 0 {
		write(w.out)
	}
	return nil
}

// header parses the chunks before the audio as far as they have come;
// rest is what follows the data chunk's header once it has.
func (w *wavStream) header() (rest []byte, err error) {
	b := w.head
	if len(b) < 12 {
		if !isPrefix(b[:min(len(b), 4)], "RIFF") {
			return nil, errNotWAV
		}
		return nil, nil
	}
	if string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errNotWAV
	}
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		size := int(binary.LittleEndian.Uint32(b[off+4:]))
		body := off + 8
		switch id {
		case "data":
			if !w.gotFormat {
				return nil, errors.New("decode WAV: the audio comes before its format")
			}
			w.inData = true
			return b[body:], nil
		case "fmt ":
			if body+16 > len(b) {
				return nil, nil
			}
			format := binary.LittleEndian.Uint16(b[body:])
			w.channels = int(binary.LittleEndian.Uint16(b[body+2:]))
			rate := int(binary.LittleEndian.Uint32(b[body+4:]))
			bits := int(binary.LittleEndian.Uint16(b[body+14:]))
			if format != 1 && format != 0xFFFE {
				return nil, fmt.Errorf("decode WAV: format %d, want PCM", format)
			}
			if bits != 16 {
				return nil, fmt.Errorf("decode WAV: %d-bit samples, want 16-bit PCM", bits)
			}
			if w.channels < 1 || rate <= 0 {
				return nil, fmt.Errorf("decode WAV: %d channels at %d Hz", w.channels, rate)
			}
			w.rs = newResampler(rate, SampleRate)
			w.gotFormat = true
		}
		if size > 1<<20 {
			return nil, fmt.Errorf("decode WAV: a %q chunk of %d bytes before the audio", id, size)
		}
		off = body + size + size%2
		if off > len(b) {
			return nil, nil
		}
	}
	return nil, nil
}

func isPrefix(b []byte, s string) bool {
	return len(b) <= len(s) && string(b) == s[:len(b)]
}
