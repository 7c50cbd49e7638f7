package telephony_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/asrtest"
	"github.com/outcall/outcall/telephony/funasrtest"
	"github.com/outcall/outcall/telephony/whispertest"
)

// utter streams pcm to a FunASR session in 20 ms frames, ends it and
// returns every hypothesis.
func utter(t *testing.T, r *telephony.FunASRRecognizer, opts telephony.StreamOptions, pcm []int16) ([]telephony.Hypothesis, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := r.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	var hyps []telephony.Hypothesis
	done := make(chan struct{})
	go func() {
		defer close(done)
		for h := range sess.Results() {
			hyps = append(hyps, h)
		}
	}()
	for off := 0; off < len(pcm); off += 160 {
		if err := sess.Write(pcm[off:min(off+160, len(pcm))]); err != nil {
			return nil, err
		}
	}
	if err := sess.End(); err != nil {
		return nil, err
	}
	<-done
	return hyps, sess.Err()
}

func TestFunASRSpeaksTheRuntimesProtocol(t *testing.T) {
	srv := funasrtest.NewServer(funasrtest.Script{Partials: []string{"是"}, Final: "是的。", Timestamps: true})
	defer srv.Close()
	r, err := telephony.NewFunASRRecognizer("funasr+"+srv.URL, "sk-funasr")
	if err != nil {
		t.Fatal(err)
	}
	hyps, err := utter(t, r, telephony.StreamOptions{Name: "call-1", Hotwords: []string{"王先生"},
		Phrases: []string{"是的", "好的没问题", "这一句话远远超过了十个字的热词建议"}}, asrtest.Speech(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	s := srv.Sessions()[0]
	var first map[string]any
	if err := json.Unmarshal([]byte(s.First), &first); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"mode": "2pass", "chunk_interval": 10.0, "audio_fs": 16000.0, "wav_name": "call-1",
		"wav_format": "pcm", "is_speaking": true, "itn": true} {
		if first[k] != want {
			t.Errorf("first message %s = %v, want %v (%s)", k, first[k], want, s.First)
		}
	}
	if cs, _ := json.Marshal(first["chunk_size"]); string(cs) != "[5,10,5]" {
		t.Errorf("chunk_size %s, want [5,10,5]", cs)
	}
	if _, ok := first["hotwords"].(string); !ok {
		t.Errorf("hotwords %#v: the runtime takes a string holding a JSON object", first["hotwords"])
	}
	if want := map[string]int{"王先生": 20, "是的": 20, "好的没问题": 20}; !mapsEqual(s.Hotwords, want) {
		t.Errorf("hotwords %v, want %v (longer than FunASR's advised 10 characters dropped)", s.Hotwords, want)
	}
	if s.Authorization != "Bearer sk-funasr" {
		t.Errorf("the handshake carried %q", s.Authorization)
	}
	if len(s.Violations) > 0 {
		t.Errorf("protocol breaches: %q", s.Violations)
	}
	// 1 s at 8 kHz goes out as 1 s at 16 kHz (plus the 2 ms the
	// resampler holds back, sent before the end), in pieces, then the end.
	if d := s.AudioDuration(); d < time.Second || d > time.Second+5*time.Millisecond || s.BinaryMessages < 40 || !s.Ended {
		t.Errorf("the runtime got %s of audio in %d messages, ended %v", d, s.BinaryMessages, s.Ended)
	}
	if last := s.Sent[len(s.Sent)-1]; !strings.Contains(last, `"is_final":true`) || !strings.Contains(last, `"mode":"2pass-offline"`) {
		t.Errorf("the runtime's last answer %s", last)
	}
	final := hyps[len(hyps)-1]
	if !final.Final || final.Text != "是的。" || final.End <= final.Start || final.End > time.Second {
		t.Errorf("final %+v: want 是的。 with the timestamp model's span", final)
	}
	if hyps[0].Final || hyps[0].Text != "是" {
		t.Errorf("first hypothesis %+v, want the partial 是", hyps[0])
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// goertzel is the power of pcm at freq.
func goertzel(pcm []int16, rate, freq float64) float64 {
	w := 2 * math.Pi * freq / rate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range pcm {
		s0 := float64(x) + c*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

func TestFunASRGetsTelephoneAudioAt16kHzWithoutMirrorImages(t *testing.T) {
	srv := funasrtest.NewServer(funasrtest.Script{Final: "嗯"})
	defer srv.Close()
	r, _ := telephony.NewFunASRRecognizer(srv.URL, "")
	tone := make([]int16, telephony.SampleRate)
	for i := range tone {
		tone[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/telephony.SampleRate))
	}
	if _, err := utter(t, r, telephony.StreamOptions{}, tone); err != nil {
		t.Fatal(err)
	}
	audio := srv.Sessions()[0].Audio
	pcm := make([]int16, len(audio)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(audio[2*i:]))
	}
	steady := pcm[2000:14000] // away from the edges
	// The 1 kHz tone's mirror image at 7 kHz, where a 16 kHz model hears
	// and phone audio has nothing: 90 dB down here; linear interpolation
	// (Resample) leaves it under 30 dB down.
	if db := 10 * math.Log10(goertzel(steady, 16000, 1000)/goertzel(steady, 16000, 7000)); db < 60 {
		t.Errorf("the 1 kHz tone is only %.0f dB above its 7 kHz image at 16 kHz", db)
	}
	lin := telephony.Resample(tone, telephony.SampleRate, 16000)[2000:14000]
	if db := 10 * math.Log10(goertzel(lin, 16000, 1000)/goertzel(lin, 16000, 7000)); db > 40 {
		t.Errorf("linear interpolation reached %.0f dB: the comparison no longer shows why FunASR's audio is not resampled that way", db)
	}
	var peak int16
	for _, v := range steady {
		peak = max(peak, v)
	}
	if peak < 7800 || peak > 8200 {
		t.Errorf("peak %d after resampling, want the tone's 8000", peak)
	}
}

func TestFunASRURLSettings(t *testing.T) {
	r, err := telephony.NewFunASRRecognizer("funasr+wss://asr.example.com:10095/ws?mode=online&chunk_size=8,8,4&itn=false&x=1", "")
	if err != nil {
		t.Fatal(err)
	}
	if r.URL != "wss://asr.example.com:10095/ws?x=1" || r.Mode != "online" || r.ChunkSize != [3]int{8, 8, 4} || !r.NoITN {
		t.Errorf("read %+v", r)
	}
	for _, bad := range []string{"http://asr.example.com", "ws://user:pw@asr.example.com", "ws://asr.example.com?mode=fast",
		"ws://asr.example.com?chunk_size=5,0,5", "ws://asr.example.com?itn=maybe", "ws:///nohost"} {
		if _, err := telephony.NewFunASRRecognizer(bad, ""); err == nil {
			t.Errorf("%s was taken", bad)
		}
	}
}

func TestFunASRFailuresSayWhatWentWrong(t *testing.T) {
	srv := funasrtest.NewServer(funasrtest.Script{Final: "好"})
	defer srv.Close()
	srv.RequireKey("right")
	r, _ := telephony.NewFunASRRecognizer(srv.URL, "wrong")
	_, err := utter(t, r, telephony.StreamOptions{}, asrtest.Speech(200*time.Millisecond))
	var re *telephony.RecognitionError
	if !errors.As(err, &re) || !errors.Is(err, telephony.ErrASRAuth) || !strings.Contains(err.Error(), "401") || re.Provider != "funasr" {
		t.Errorf("a refused key: %v", err)
	}
	// Nothing listening: unavailable, quickly.
	srv.Close()
	r.DialTimeout = time.Second
	start := time.Now()
	_, err = utter(t, r, telephony.StreamOptions{}, asrtest.Speech(200*time.Millisecond))
	if !errors.Is(err, telephony.ErrASRUnavailable) || time.Since(start) > 2*time.Second {
		t.Errorf("no server: %v after %s", err, time.Since(start))
	}
}

func TestHTTPRecognizerSendsISO639LanguageCodes(t *testing.T) {
	for tag, want := range map[string]string{"zh-CN": "zh", "zh": "zh", "cmn": "zh", "en-US": "en", "en_GB": "en", "": "", "yue-HK": "yue"} {
		if got := telephony.BaseLanguage(tag); got != want {
			t.Errorf("BaseLanguage(%q) = %q, want %q", tag, got, want)
		}
	}
	srv := whispertest.NewServer("是的")
	defer srv.Close()
	h := telephony.HTTPRecognizer{BaseURL: srv.URL}
	tr, err := h.Recognize(context.Background(), telephony.RecognizeRequest{Audio: asrtest.Speech(500 * time.Millisecond), Language: "zh-CN",
		Hotwords: []string{"王先生"}, Phrases: []string{"是的", "不要"}})
	if err != nil || tr.Text != "是的" {
		t.Fatalf("a zh-CN script's utterance: %q %v (the service refuses zh-CN: it takes ISO 639-1)", tr.Text, err)
	}
	req := srv.Requests()[0]
	if req.Language != "zh" || req.Prompt != "王先生, 是的, 不要" || req.SampleRate != telephony.SampleRate || req.Duration() != 500*time.Millisecond {
		t.Errorf("the service got %+v", req)
	}
}

func TestPocketsphinxHearsEnglishOnly(t *testing.T) {
	p := &telephony.PocketsphinxRecognizer{}
	for _, lang := range []string{"en", "en-US", ""} {
		if err := telephony.CanHear(p, lang); err != nil {
			t.Errorf("%q: %v", lang, err)
		}
	}
	if err := telephony.CanHear(p, "zh-CN"); err == nil || !strings.Contains(err.Error(), "FunASR") {
		t.Errorf("a Mandarin script: %v, want a refusal that says what to choose", err)
	}
	for _, r := range []telephony.Recognizer{&telephony.FunASRRecognizer{}, &telephony.HTTPRecognizer{}, telephony.SimulationRecognizer{}} {
		if err := telephony.CanHear(r, "zh-CN"); err != nil {
			t.Errorf("%T: %v", r, err)
		}
	}
}

// Without phrases from the call, pocketsphinx's grammar is the common
// English answers, so it hears "yes please" rather than failing.
func TestPocketsphinxHearsCommonAnswersWhenGivenNoPhrases(t *testing.T) {
	needEspeak(t)
	p := &telephony.PocketsphinxRecognizer{}
	if err := p.Ready(); err != nil {
		t.Skip(err)
	}
	keys, err := p.KeyPhrases(telephony.DefaultEnglishAnswers)
	if err != nil || len(keys) < len(telephony.DefaultEnglishAnswers)-2 {
		t.Fatalf("the dictionary knows %d of the %d default answers: %v", len(keys), len(telephony.DefaultEnglishAnswers), err)
	}
	ctx := context.Background()
	pcm, err := sharedTTS.Synthesize(ctx, "yes please", "en", telephony.EmotionNeutral)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := p.Recognize(ctx, telephony.RecognizeRequest{Audio: pcm, Language: "en", Hotwords: []string{"Li Wang"}})
	if err != nil || !slices.Contains([]string{"yes please", "yes"}, tr.Text) {
		t.Errorf("heard %q (%v), want yes please", tr.Text, err)
	}
}

// Feeding a FunASR session is on the path of every streaming call's
// audio: once warm, a 60 ms write allocates nothing.
func TestFunASRWritesAllocateNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	srv := funasrtest.NewServer(funasrtest.Script{Final: "好"})
	defer srv.Close()
	r, _ := telephony.NewFunASRRecognizer(srv.URL, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := r.Open(ctx, telephony.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	go func() {
		for range sess.Results() {
		}
	}()
	chunk := asrtest.Speech(60 * time.Millisecond)
	sess.Write(chunk)
	// AllocsPerRun counts the whole process's allocations: the reader, or
	// what an earlier test left running, may allocate meanwhile. A write
	// that allocates does so in every round; the fewest of three is the
	// writes' own.
	fewest := math.Inf(1)
	for range 3 {
		fewest = min(fewest, testing.AllocsPerRun(200, func() {
			if err := sess.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}))
	}
	if fewest > 0 {
		t.Errorf("a 60 ms write allocates %.1f times", fewest)
	}
}
