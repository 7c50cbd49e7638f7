package telephony_test

import (
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

// A /v1/audio/speech service that streams its WAV (sizes unknown, audio
// sent as made) is played from its first bytes: the first audio reaches
// the caller while the service still holds the rest.
func TestAnHTTPVoiceIsReadAsItStreams(t *testing.T) {
	release := make(chan struct{})
	var held atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		head := []byte("RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00")
		head = binary.LittleEndian.AppendUint32(head, 24000)
		head = binary.LittleEndian.AppendUint32(head, 48000)
		head = append(head, 2, 0, 16, 0)
		head = append(head, "data\xff\xff\xff\xff"...)
		w.Header().Set("Content-Type", "audio/wav")
		w.Write(head)
		tone := telephony.Tone(440, 12000, 24000) // 0.5 s at 24 kHz
		piece := make([]byte, 0, 2*len(tone))
		for _, v := range tone {
			piece = binary.LittleEndian.AppendUint16(piece, uint16(v))
		}
		w.Write(piece)
		w.(http.Flusher).Flush()
		select {
		case <-release:
			held.Store(true)
		case <-time.After(10 * time.Second):
		}
		w.Write(piece)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tts := telephony.HTTPTTS{BaseURL: srv.URL}
	total, pieces := 0, 0
	err := tts.SynthesizeTo(ctx, "您好", "alloy", telephony.EmotionNeutral, func(pcm []int16) {
		if pieces == 0 {
			close(release)
		}
		pieces++
		total += len(pcm)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !held.Load() {
		t.Fatal("the first audio reached the caller only once the service had sent all of it")
	}
	if total != 8000 {
		t.Fatalf("%d samples, want 8000 (1 s at 8 kHz)", total)
	}
	// Synthesize still returns the whole prompt (release is closed: the
	// double holds nothing back now).
	pcm, err := tts.Synthesize(ctx, "您好", "alloy", telephony.EmotionApologetic)
	if err != nil || len(pcm) != 8000 {
		t.Fatalf("whole: %d samples, %v", len(pcm), err)
	}
}

// streamingTTS hands over each prompt as a first piece of tone, then,
// after a pause (a provider still making the sentence), the rest.
type streamingTTS struct {
	first, rest int // samples
	pause       time.Duration
	mu          sync.Mutex
	made        int
}

func (s *streamingTTS) Synthesize(ctx context.Context, text, voice string, emotion telephony.Emotion) ([]int16, error) {
	var all []int16
	err := s.SynthesizeTo(ctx, text, voice, emotion, func(p []int16) { all = append(all, p...) })
	return all, err
}

func (s *streamingTTS) SynthesizeTo(ctx context.Context, text, voice string, emotion telephony.Emotion, write func([]int16)) error {
	s.mu.Lock()
	s.made++
	s.mu.Unlock()
	write(telephony.Tone(400, s.first, 8000))
	select {
	case <-time.After(s.pause):
	case <-ctx.Done():
		return ctx.Err()
	}
	write(telephony.Tone(400, s.rest, 8000))
	return nil
}

// The cache streams a prompt the first time, as it comes, and speaks it
// whole from memory after; callers asking at the same time make it once.
func TestCachedVoicesStreamWhatTheyDoNotHaveYet(t *testing.T) {
	inner := &streamingTTS{first: 800, rest: 1600, pause: 200 * time.Millisecond}
	c := telephony.NewCachedTTS(inner, 10)
	ctx := context.Background()
	var pieces [][]int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []int
			if err := c.SynthesizeTo(ctx, "您好", "cmn", telephony.EmotionNeutral, func(p []int16) { mine = append(mine, len(p)) }); err != nil {
				t.Error(err)
			}
			mu.Lock()
			pieces = append(pieces, mine)
			mu.Unlock()
		}()
	}
	wg.Wait()
	streamed := 0
	for _, p := range pieces {
		sum := 0
		for _, n := range p {
			sum += n
		}
		if sum != 2400 {
			t.Fatalf("a caller got %d samples (%v), want 2400", sum, p)
		}
		if len(p) == 2 {
			streamed++
		}
	}
	if inner.made != 1 || streamed != 1 {
		t.Fatalf("made %d times, streamed to %d callers (%v): want one making, streamed to the caller who asked first", inner.made, streamed, pieces)
	}
	var again []int
	c.SynthesizeTo(ctx, "您好", "cmn", telephony.EmotionNeutral, func(p []int16) { again = append(again, len(p)) })
	if hits, misses := c.Stats(); len(again) != 1 || again[0] != 2400 || misses != 1 || hits < 1 {
		t.Fatalf("from the cache: pieces %v, hits %d misses %d", again, hits, misses)
	}
}

// A sentence plays as its audio arrives: the callee hears its first
// words, then silence while the provider is still making the rest, then
// the rest. Made whole before playing, it would be one unbroken sound
// that started after the whole sentence was made.
func TestASentencePlaysAsItsAudioArrives(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sim, err := calleesim.Start(ctx, calleesim.Config{TTS: telephony.ToneTTS{}, Personas: []calleesim.Persona{{
		Name: "listens", Numbers: []string{"4102"}, Kind: calleesim.KindHuman, RingMS: 50, HoldMS: 20000,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	tts := &streamingTTS{first: 3200, rest: 4800, pause: 1500 * time.Millisecond} // 0.4 s, then 0.6 s
	store := telephony.LocalRecordingStore{Dir: t.TempDir()}
	d, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: tts, Recordings: store})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var said telephony.SayResult
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "4102", RingTimeout: 5 * time.Second, NoBargeIn: true},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			var err error
			if said, err = c.Say(ctx, "您好王先生,这里是账单提醒。", telephony.EmotionNeutral); err != nil {
				return err
			}
			return c.Hangup(ctx)
		}))
	if err != nil {
		t.Fatal(err)
	}
	if said.Played < 960*time.Millisecond || said.Played > 1040*time.Millisecond {
		t.Fatalf("played %v of the sentence, want its 1 s of audio", said.Played)
	}
	f, err := store.Open(ctx, res.RecordingKey)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var data []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		data = append(data, buf[:n]...)
		if err != nil {
			break
		}
	}
	w, err := telephony.DecodeWAV(data)
	if err != nil {
		t.Fatal(err)
	}
	// The robot's side, in 20 ms frames: sound, silence, sound.
	var runs []int // lengths of alternating loud and quiet runs, from the first loud frame
	robot := w.Channel(0)
	for off := 0; off+160 <= len(robot); off += 160 {
		loud := telephony.FrameLevelDB(robot[off:off+160]) > -40
		switch {
		case len(runs) == 0 && !loud:
		case len(runs)%2 == 1 == loud:
			runs[len(runs)-1]++
		default:
			runs = append(runs, 1)
		}
	}
	if len(runs) < 3 || runs[0] > 25 || runs[1] < 25 {
		t.Fatalf("the robot's side in frames of loud, quiet, loud…: %v; want about 20 loud (the first 0.4 s), 25 or more quiet (the provider still making the rest), then the rest", runs)
	}
}
