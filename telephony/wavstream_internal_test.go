package telephony

import (
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
)

// speechLike is a test signal with energy across the band.
func speechLike(n, rate int) []int16 {
	out := make([]int16, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range out {
		t := float64(i) / float64(rate)
		out[i] = int16(6000*sinApprox(2*3.141592653589793*220*t) + 3000*sinApprox(2*3.141592653589793*1870*t) + float64(r.IntN(2000)-1000))
	}
	return out
}

// Resampled piece by piece, in pieces of any size, audio comes out as
// Resample makes it whole: the same length and the same samples (to one
// step of rounding).
func TestTheStreamingResamplerMatchesResample(t *testing.T) {
	for _, rate := range []int{8000, 11025, 16000, 22050, 24000, 44100, 48000} {
		in := speechLike(rate*3/2+37, rate)
		want := Resample(in, rate, SampleRate)
		r := newResampler(rate, SampleRate)
		var got []int16
		rng := rand.New(rand.NewPCG(uint64(rate), 9))
		for rest := in; len(rest) > 0; {
			k := min(len(rest), 1+rng.IntN(700))
			got = r.push(rest[:k], got)
			rest = rest[k:]
		}
		got = r.flush(got)
		if len(got) != len(want) {
			t.Fatalf("%d Hz: %d samples, Resample makes %d", rate, len(got), len(want))
		}
		for i := range got {
			if d := int(got[i]) - int(want[i]); d > 1 || d < -1 {
				t.Fatalf("%d Hz: sample %d is %d, Resample makes %d", rate, i, got[i], want[i])
			}
		}
	}
}

// streamedWAV is a WAV as speech services stream it: sizes unknown
// (0xFFFFFFFF), a LIST chunk before the data, two channels.
func streamedWAV(left []int16, rate int) []byte {
	b := []byte("RIFF\xff\xff\xff\xffWAVE")
	b = append(b, "fmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint32(b, uint32(rate))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate*4))
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "LIST\x05\x00\x00\x00INFOx\x00"...) // odd size, padded
	b = append(b, "data\xff\xff\xff\xff"...)
	for _, v := range left {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
		b = binary.LittleEndian.AppendUint16(b, uint16(-v))
	}
	return b
}

// A streamed WAV is read as its bytes arrive, cut anywhere (inside the
// header, inside a sample), and gives its first channel at 8 kHz.
func TestAWAVIsReadAsItArrives(t *testing.T) {
	left := speechLike(24000, 24000)
	data := streamedWAV(left, 24000)
	want := Resample(left, 24000, SampleRate)
	for _, cut := range []int{1, 3, 7, 50, 4096} {
		var w wavStream
		var got []int16
		pieces := 0
		write := func(p []int16) { got = append(got, p...); pieces++ }
		for rest := data; len(rest) > 0; {
			k := min(len(rest), cut)
			if err := w.feed(rest[:k], write); err != nil {
				t.Fatalf("cut every %d bytes: %v", cut, err)
			}
			rest = rest[k:]
		}
		if err := w.end(write); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || pieces < 2 {
			t.Fatalf("cut every %d bytes: %d samples in %d pieces, want %d", cut, len(got), pieces, len(want))
		}
		for i := range got {
			if d := int(got[i]) - int(want[i]); d > 1 || d < -1 {
				t.Fatalf("cut every %d bytes: sample %d is %d, want %d", cut, i, got[i], want[i])
			}
		}
	}
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"JSON error":  {[]byte(`{"error":"quota"}`), "not a valid WAV"},
		"8-bit":       {[]byte("RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x40\x1f\x00\x00\x01\x00\x08\x00data"), "8-bit"},
		"cut short":   {[]byte("RIFF\x00\x00"), "not a valid WAV"},
		"data first":  {[]byte("RIFF\xff\xff\xff\xffWAVEdata\x00\x00\x00\x00"), "before its format"},
		"empty reply": {nil, "empty"},
	} {
		var w wavStream
		err := w.feed(c.data, func([]int16) {})
		if err == nil {
			err = w.end(func([]int16) {})
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
}
