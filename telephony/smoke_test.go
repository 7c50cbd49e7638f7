package telephony_test

import (
	"context"
	"testing"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	sim, err := calleesim.Start(ctx, calleesim.Config{Personas: []calleesim.Persona{{Name: "h", Kind: calleesim.KindHuman, Voice: "en", RingMS: 200, Greeting: "hello?",
		Lines: []calleesim.Line{{Say: "yes please", PauseMS: 200}}}}, KeepAudio: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	store := telephony.LocalRecordingStore{Dir: t.TempDir()}
	d, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: telephony.NewCachedTTS(telephony.EspeakTTS{}, 0), ASR: telephony.SimulationRecognizer{}, Recordings: store})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	res, err := d.Dial(ctx, telephony.DialRequest{Trunk: sim.Trunk(), To: "+15550001111", RingTimeout: 5 * time.Second, DetectMachine: true},
		telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
			r, err := c.Say(ctx, "Hello, do you want the offer?", telephony.EmotionHappy)
			t.Logf("say %+v %v", r, err)
			u, err := c.Listen(ctx)
			t.Logf("listen %+v %v", u, err)
			return err
		}))
	t.Logf("%+v %v", res, err)
	if res.AMD != nil {
		t.Logf("amd %+v", *res.AMD)
	}
	rec, err := sim.WaitRecord(ctx, res.CallID)
	t.Logf("sim %+v %v", rec.Result, rec.Heard)
}
