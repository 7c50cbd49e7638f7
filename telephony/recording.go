package telephony

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"
)

// RecordingStore keeps call recordings (two-channel WAV) by key. Keys are
// slash-separated paths such as "tenant/2026/11/23/call-id.wav"; access
// control is the caller's job (the API serves a recording only to its
// tenant).
type RecordingStore interface {
	// Put stores a recording, replacing one with the same key.
	Put(ctx context.Context, key string, r io.Reader) error
	// Open returns a recording for reading.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes a recording; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Purge removes recordings stored before the cutoff and reports how
	// many it removed; the retention job calls it.
	Purge(ctx context.Context, before time.Time) (int, error)
}

// LocalRecordingStore keeps recordings as files under a folder.
type LocalRecordingStore struct {
	Dir string
}

// ErrBadRecordingKey is returned for keys that could leave the store's folder.
var ErrBadRecordingKey = errors.New("recording key must be a relative path without '..'")

func (s LocalRecordingStore) path(key string) (string, error) {
	clean := filepath.Clean(filepath.FromSlash(key))
	if key == "" || filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", ErrBadRecordingKey
	}
	return filepath.Join(s.Dir, clean), nil
}

// Put writes the recording through a temporary file and a rename, so a
// reader never sees half a file.
func (s LocalRecordingStore) Put(ctx context.Context, key string, r io.Reader) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return fmt.Errorf("recording store: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".rec-*")
	if err != nil {
		return fmt.Errorf("recording store: %w", err)
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("recording store: %w", err)
	}
	return nil
}

// Open opens a stored recording.
func (s LocalRecordingStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// Delete removes a recording.
func (s LocalRecordingStore) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Purge removes .wav files last written before the cutoff.
func (s LocalRecordingStore) Purge(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := filepath.WalkDir(s.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() || !strings.HasSuffix(p, ".wav") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if info.ModTime().Before(before) {
			if err := os.Remove(p); err == nil {
				n++
			}
		}
		return nil
	})
	return n, err
}

// stereoRecorder collects both directions of a call frame by frame: the
// robot (what we sent) on the left, the callee (what we received) on the
// right, aligned on the media clock.
type stereoRecorder struct {
	mu      sync.Mutex
	samples []int // interleaved L R
	max     int
}

func newStereoRecorder(maxDuration time.Duration) *stereoRecorder {
	return &stereoRecorder{max: int(maxDuration/time.Second) * SampleRate * 2}
}

func (r *stereoRecorder) frame(left, right []int16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.samples)+2*frameSamples > r.max {
		return
	}
	for i := 0; i < frameSamples; i++ {
		var l, rr int16
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			rr = right[i]
		}
		r.samples = append(r.samples, int(l), int(rr))
	}
}

func (r *stereoRecorder) duration() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Duration(len(r.samples)/2) * time.Second / SampleRate
}

// wav encodes what was recorded as 8 kHz 16-bit stereo WAV.
func (r *stereoRecorder) wav() ([]byte, error) { return r.wavWith(nil) }

// wavWith encodes what was recorded with meta in the file's LIST/INFO
// chunk (nil: none).
func (r *stereoRecorder) wavWith(meta *wav.Metadata) ([]byte, error) {
	// Samples are only ever appended, so a snapshot of the slice stays
	// valid while the clock keeps recording; encode outside the lock.
	r.mu.Lock()
	snap := r.samples[:len(r.samples):len(r.samples)]
	r.mu.Unlock()
	return encodeWAVRate(snap, 2, SampleRate, meta)
}

// AIGCLabel is the implicit label of a call recording that holds
// AI-generated speech, in the WAV file's LIST/INFO metadata, as China's
// rules for labelling AI-generated content (in force since 2025-09-01)
// ask of audio: ICMT carries {"AIGC": {"Label": "1", "ContentProducer":
// "outcall", "ProduceID": id}} (1: generated by AI), IKEY the keywords
// "AIGC; AI-generated speech", ISFT the software.
func AIGCLabel(id string) *wav.Metadata {
	label, _ := json.Marshal(map[string]any{"AIGC": map[string]string{"Label": "1", "ContentProducer": "outcall", "ProduceID": id}})
	return &wav.Metadata{Comments: string(label), Keywords: "AIGC; AI-generated speech", Software: "outcall voice robot"}
}

// EncodeWAV encodes interleaved 16-bit samples at 8 kHz as a WAV file.
func EncodeWAV(samples []int, channels int) ([]byte, error) {
	return encodeWAVRate(samples, channels, SampleRate, nil)
}

func encodeWAVRate(samples []int, channels, rate int, meta *wav.Metadata) ([]byte, error) {
	var ws memWriteSeeker
	enc := wav.NewEncoder(&ws, rate, 16, channels, 1)
	enc.Metadata = meta
	buf := &audio.IntBuffer{Format: &audio.Format{NumChannels: channels, SampleRate: rate}, Data: samples, SourceBitDepth: 16}
	if err := enc.Write(buf); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return ws.buf, nil
}

// WAVAudio is decoded WAV content.
type WAVAudio struct {
	SampleRate int
	Channels   int
	Samples    []int // interleaved
}

// Channel returns one channel as 16-bit samples.
func (w WAVAudio) Channel(ch int) []int16 {
	if w.Channels < 1 || ch >= w.Channels {
		return nil
	}
	out := make([]int16, 0, len(w.Samples)/w.Channels)
	for i := ch; i < len(w.Samples); i += w.Channels {
		out = append(out, int16(w.Samples[i]))
	}
	return out
}

// DecodeWAV reads a 16-bit PCM WAV file.
func DecodeWAV(data []byte) (WAVAudio, error) {
	dec := wav.NewDecoder(bytes.NewReader(data))
	if !dec.IsValidFile() {
		return WAVAudio{}, errors.New("not a valid WAV file")
	}
	buf, err := dec.FullPCMBuffer()
	if err != nil {
		return WAVAudio{}, fmt.Errorf("decode WAV: %w", err)
	}
	if dec.BitDepth != 16 {
		return WAVAudio{}, fmt.Errorf("decode WAV: %d-bit samples, want 16-bit PCM", dec.BitDepth)
	}
	return WAVAudio{SampleRate: int(dec.SampleRate), Channels: int(dec.NumChans), Samples: buf.Data}, nil
}

// WAVTo8kMono decodes a WAV file and returns its first channel at 8 kHz.
func WAVTo8kMono(data []byte) ([]int16, error) {
	w, err := DecodeWAV(data)
	if err != nil {
		return nil, err
	}
	return Resample(w.Channel(0), w.SampleRate, SampleRate), nil
}

// Resample converts mono audio between sample rates with a short low-pass
// (box filter over the decimation ratio) and linear interpolation: plenty
// for speech heading into 8 kHz G.711.
func Resample(in []int16, from, to int) []int16 {
	if from == to || from <= 0 || len(in) == 0 {
		return append([]int16(nil), in...)
	}
	src := in
	if from > to {
		w := (from + to - 1) / to
		if w > 1 {
			src = make([]int16, len(in))
			var acc int
			for i := range in {
				acc += int(in[i])
				if i >= w {
					acc -= int(in[i-w])
				}
				n := w
				if i+1 < w {
					n = i + 1
				}
				src[i] = int16(acc / n)
			}
		}
	}
	n := int(int64(len(src)) * int64(to) / int64(from))
	out := make([]int16, n)
	step := float64(from) / float64(to)
	for i := range out {
		pos := float64(i) * step
		j := int(pos)
		frac := pos - float64(j)
		a := float64(src[j])
		b := a
		if j+1 < len(src) {
			b = float64(src[j+1])
		}
		out[i] = int16(a + (b-a)*frac)
	}
	return out
}

// memWriteSeeker is an in-memory io.WriteSeeker for the WAV encoder, which
// seeks back to patch sizes in the header.
type memWriteSeeker struct {
	buf []byte
	pos int
}

func (m *memWriteSeeker) Write(p []byte) (int, error) {
	end := m.pos + len(p)
	if end > len(m.buf) {
		if end > cap(m.buf) {
			nb := make([]byte, end, 2*end)
			copy(nb, m.buf)
			m.buf = nb
		} else {
			m.buf = m.buf[:end]
		}
	}
	copy(m.buf[m.pos:], p)
	m.pos = end
	return len(p), nil
}

func (m *memWriteSeeker) Seek(offset int64, whence int) (int64, error) {
	var base int
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = m.pos
	case io.SeekEnd:
		base = len(m.buf)
	}
	p := base + int(offset)
	if p < 0 {
		return 0, errors.New("seek before start")
	}
	m.pos = p
	return int64(p), nil
}
