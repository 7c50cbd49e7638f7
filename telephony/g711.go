package telephony

// G.711 (ITU-T) companding: 16-bit linear PCM to and from 8-bit µ-law (PCMU,
// RTP payload type 0) and A-law (PCMA, payload type 8). Decoding uses tables
// built once; encoding is the classic segment search, a few nanoseconds a
// sample.

var (
	ulawDecodeTable [256]int16
	alawDecodeTable [256]int16
)

func init() {
	for i := 0; i < 256; i++ {
		ulawDecodeTable[i] = ulawDecode(byte(i))
		alawDecodeTable[i] = alawDecode(byte(i))
	}
}

const (
	ulawBias = 0x84
	ulawClip = 32635
)

// EncodeULaw turns one linear sample into µ-law.
func EncodeULaw(s int16) byte {
	sample := int(s)
	sign := 0
	if sample < 0 {
		sample = -sample
		sign = 0x80
	}
	if sample > ulawClip {
		sample = ulawClip
	}
	sample += ulawBias
	exponent := 7
	for mask := 0x4000; sample&mask == 0 && exponent > 0; mask >>= 1 {
		exponent--
	}
	mantissa := (sample >> (exponent + 3)) & 0x0F
	return ^byte(sign | exponent<<4 | mantissa)
}

func ulawDecode(u byte) int16 {
	u = ^u
	sign := u & 0x80
	exponent := int(u>>4) & 0x07
	mantissa := int(u & 0x0F)
	sample := ((mantissa << 3) + ulawBias) << exponent
	sample -= ulawBias
	if sign != 0 {
		return int16(-sample)
	}
	return int16(sample)
}

// DecodeULaw turns one µ-law byte into a linear sample.
func DecodeULaw(u byte) int16 { return ulawDecodeTable[u] }

// EncodeALaw turns one linear sample into A-law.
func EncodeALaw(s int16) byte {
	sample := int(s)
	sign := 0x80
	if sample < 0 {
		sample = -sample - 1
		sign = 0
	}
	if sample > 32767 {
		sample = 32767
	}
	var out int
	if sample >= 256 {
		exponent := 7
		for mask := 0x4000; sample&mask == 0 && exponent > 1; mask >>= 1 {
			exponent--
		}
		mantissa := (sample >> (exponent + 3)) & 0x0F
		out = exponent<<4 | mantissa
	} else {
		out = sample >> 4
	}
	return byte((out | sign) ^ 0x55)
}

func alawDecode(a byte) int16 {
	a ^= 0x55
	sign := a & 0x80
	exponent := int(a>>4) & 0x07
	mantissa := int(a & 0x0F)
	var sample int
	if exponent == 0 {
		sample = (mantissa << 4) + 8
	} else {
		sample = ((mantissa << 4) + 0x108) << (exponent - 1)
	}
	if sign == 0 {
		return int16(-sample)
	}
	return int16(sample)
}

// DecodeALaw turns one A-law byte into a linear sample.
func DecodeALaw(a byte) int16 { return alawDecodeTable[a] }

// Codec is a G.711 variant as negotiated in SDP.
type Codec struct {
	Name        string // "PCMU" or "PCMA"
	PayloadType uint8  // 0 or 8
}

var (
	// PCMU is G.711 µ-law, the North American and Japanese variant.
	PCMU = Codec{Name: "PCMU", PayloadType: 0}
	// PCMA is G.711 A-law, used in China, Europe and most of the world.
	PCMA = Codec{Name: "PCMA", PayloadType: 8}
)

// Encode appends the G.711 encoding of pcm to dst.
func (c Codec) Encode(dst []byte, pcm []int16) []byte {
	if c.PayloadType == PCMA.PayloadType {
		for _, s := range pcm {
			dst = append(dst, EncodeALaw(s))
		}
		return dst
	}
	for _, s := range pcm {
		dst = append(dst, EncodeULaw(s))
	}
	return dst
}

// Decode appends the linear samples of a G.711 payload to dst.
func (c Codec) Decode(dst []int16, payload []byte) []int16 {
	table := &ulawDecodeTable
	if c.PayloadType == PCMA.PayloadType {
		table = &alawDecodeTable
	}
	for _, b := range payload {
		dst = append(dst, table[b])
	}
	return dst
}
