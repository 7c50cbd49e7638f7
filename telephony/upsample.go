package telephony

import "math"

// upTaps is half the length of the interpolation filter: 32 taps, a delay
// of 16 input samples (2 ms at 8 kHz).
const upTaps = 16

// upCoef are the odd phase of a Blackman-windowed sinc half-band filter:
// the sample between x[n] and x[n+1] is Σ upCoef[k]·(x[n-k] + x[n+1+k]).
var upCoef = func() [upTaps]float64 {
	var c [upTaps]float64
	var sum float64
	for k := range c {
		t := float64(k) + 0.5
		sinc := math.Sin(math.Pi*t) / (math.Pi * t)
		w := 0.42 + 0.5*math.Cos(math.Pi*t/upTaps) + 0.08*math.Cos(2*math.Pi*t/upTaps)
		c[k] = sinc * w
		sum += 2 * c[k]
	}
	for k := range c {
		c[k] /= sum
	}
	return c
}()

// upsampler2x doubles the sample rate of a stream (8 kHz telephone audio
// to the 16 kHz most recognisers' models take) with a windowed-sinc
// interpolator, keeping its state between calls so chunk edges leave no
// mark. Linear interpolation (Resample) would mirror the voice's energy
// above 4 kHz, where phone audio has none and a 16 kHz model listens. It
// allocates only when a chunk is longer than any before.
type upsampler2x struct {
	hist [2 * upTaps]int16
	ext  []int16
	// primed is false until the first sample; the output then lags the
	// input by upTaps samples, which flush releases.
	primed bool
}

// process appends the upsampled pcm to dst as 16-bit little-endian bytes
// (two output samples per input sample) and returns it.
func (u *upsampler2x) process(dst []byte, pcm []int16) []byte {
	if len(pcm) == 0 {
		return dst
	}
	u.primed = true
	u.ext = append(append(u.ext[:0], u.hist[:]...), pcm...)
	ext := u.ext
	for i := range pcm {
		j := 2*upTaps + i // x[n] in ext; the pair out is for x[n-upTaps]
		d := j - upTaps
		var acc float64
		for k := 0; k < upTaps; k++ {
			acc += upCoef[k] * (float64(ext[d-k]) + float64(ext[d+1+k]))
		}
		dst = appendPCM16(dst, ext[d])
		dst = appendPCM16(dst, clamp16(acc))
	}
	copy(u.hist[:], ext[len(ext)-2*upTaps:])
	return dst
}

// flush appends the samples still held back (upTaps of input, padded
// with silence) and resets the stream.
func (u *upsampler2x) flush(dst []byte) []byte {
	if !u.primed {
		return dst
	}
	var pad [upTaps]int16
	dst = u.process(dst, pad[:])
	*u = upsampler2x{ext: u.ext[:0]}
	return dst
}

func appendPCM16(b []byte, s int16) []byte { return append(b, byte(s), byte(uint16(s)>>8)) }

func clamp16(v float64) int16 {
	v = math.Round(v)
	switch {
	case v > math.MaxInt16:
		return math.MaxInt16
	case v < math.MinInt16:
		return math.MinInt16
	}
	return int16(v)
}
