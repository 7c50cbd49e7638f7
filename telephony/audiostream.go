package telephony

import (
	"context"
	"sync"
	"sync/atomic"
)

// StreamingTTS is a synthesiser that hands over a prompt's audio as the
// provider makes it, so that a call plays the first words of a sentence
// while the rest is still being made.
type StreamingTTS interface {
	TTS
	// SynthesizeTo calls write with each piece of 8 kHz audio as it
	// arrives, in order, and returns once the whole prompt has come (nil)
	// or it cannot (the error; what was written stays written). write
	// must not keep the slice.
	SynthesizeTo(ctx context.Context, text, voice string, emotion Emotion, write func([]int16)) error
}

// AudioStream is a prompt's audio that may still be arriving: a
// synthesiser writes to it as it makes the audio and closes it at the
// end; a MediaSession plays it as it fills. Its audio is published with
// atomics, so the media clock never waits on a writer.
type AudioStream struct {
	mu      sync.Mutex // writers
	pcm     []int16
	samples atomic.Pointer[[]int16]
	closed  atomic.Bool
	err     error
	ready   chan struct{} // closed at the first audio or the end
	done    chan struct{} // closed at the end
	once    sync.Once
}

// NewAudioStream returns an empty stream, open for writing.
func NewAudioStream() *AudioStream {
	return &AudioStream{ready: make(chan struct{}), done: make(chan struct{})}
}

// WholeAudio returns a closed stream holding pcm (not copied).
func WholeAudio(pcm []int16) *AudioStream {
	a := NewAudioStream()
	a.pcm = pcm
	a.samples.Store(&pcm)
	a.Close(nil)
	return a
}

// Write appends audio (copied).
func (a *AudioStream) Write(pcm []int16) {
	if len(pcm) == 0 {
		return
	}
	a.mu.Lock()
	if !a.closed.Load() {
		// Appending only ever writes past what readers were given.
		a.pcm = append(a.pcm, pcm...)
		s := a.pcm
		a.samples.Store(&s)
	}
	a.mu.Unlock()
	a.once.Do(func() { close(a.ready) })
}

// Close ends the stream; err says why it ended short (nil: all came).
// Only the first Close counts.
func (a *AudioStream) Close(err error) {
	a.mu.Lock()
	if !a.closed.Load() {
		a.err = err
		a.closed.Store(true)
		close(a.done)
	}
	a.mu.Unlock()
	a.once.Do(func() { close(a.ready) })
}

// Ready is closed once the stream has its first audio, or has ended.
func (a *AudioStream) Ready() <-chan struct{} { return a.ready }

// Err is why the stream ended short, once it has ended.
func (a *AudioStream) Err() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// Done is closed once the stream has ended.
func (a *AudioStream) Done() <-chan struct{} { return a.done }

// Wait blocks until the stream has ended or ctx is done, and returns all
// its audio.
func (a *AudioStream) Wait(ctx context.Context) ([]int16, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-a.done:
	}
	return a.read(), a.Err()
}

// read returns the audio so far.
func (a *AudioStream) read() []int16 {
	if p := a.samples.Load(); p != nil {
		return *p
	}
	return nil
}

// frame copies the audio at [pos, pos+len(dst)) to dst for the media
// clock, without blocking: n is how much was copied, and done reports
// that the stream has ended and nothing is left after this frame. While
// the stream is open, only whole frames are given (a gap in arriving
// audio is played as silence, not as a clipped word).
func (a *AudioStream) frame(pos int, dst []int16) (n int, done bool) {
	closed := a.closed.Load() // before the samples: a closed stream's samples are final
	pcm := a.read()
	if !closed && pos+len(dst) > len(pcm) {
		return 0, false
	}
	if pos < len(pcm) {
		n = copy(dst, pcm[pos:])
	}
	return n, closed && pos+n >= len(pcm)
}

// StreamTo makes text's audio into a: as it arrives from a StreamingTTS,
// whole from any other. It closes a when done.
func StreamTo(ctx context.Context, tts TTS, text, voice string, emotion Emotion, a *AudioStream) {
	if st, ok := tts.(StreamingTTS); ok {
		a.Close(st.SynthesizeTo(ctx, text, voice, emotion, a.Write))
		return
	}
	pcm, err := tts.Synthesize(ctx, text, voice, emotion)
	if err == nil {
		a.Write(pcm)
	}
	a.Close(err)
}

// collect runs a streaming synthesis to its end and returns all of it.
func collect(ctx context.Context, st StreamingTTS, text, voice string, emotion Emotion) ([]int16, error) {
	var pcm []int16
	if err := st.SynthesizeTo(ctx, text, voice, emotion, func(p []int16) { pcm = append(pcm, p...) }); err != nil {
		return nil, err
	}
	return pcm, nil
}
