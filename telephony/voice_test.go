package telephony_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
)

func rms(pcm []int16) float64 {
	var sum float64
	for _, s := range pcm {
		sum += float64(s) * float64(s)
	}
	return math.Sqrt(sum / float64(max(len(pcm), 1)))
}

// The calm voice an upset callee gets is softer as well as slower and
// lower: espeak-ng speaks it at 80 % amplitude.
func TestTheCalmVoiceIsSofter(t *testing.T) {
	needEspeak(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	text := "抱歉给您带来不便,我们马上为您处理。"
	neutral, err := telephony.EspeakTTS{}.Synthesize(ctx, text, "cmn", telephony.EmotionNeutral)
	if err != nil {
		t.Fatal(err)
	}
	calm, err := telephony.EspeakTTS{}.Synthesize(ctx, text, "cmn", telephony.EmotionApologetic)
	if err != nil {
		t.Fatal(err)
	}
	ratio := rms(calm) / rms(neutral)
	t.Logf("calm level %.2f of neutral", ratio)
	if ratio > 0.9 || ratio < 0.6 {
		t.Errorf("the calm voice's level is %.2f of the neutral one's, want about 0.8", ratio)
	}
	if len(calm) <= len(neutral) {
		t.Errorf("the calm voice took %d samples, the neutral %d: want it slower", len(calm), len(neutral))
	}
}
