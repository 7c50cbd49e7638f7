package telephony_test

import (
	"context"
	"fmt"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
)

// A campaign's dial job: one attempt through a tenant's trunk, the dialog
// run by a CallHandler once a person answers. Here the trunk is the callee
// simulator, so the example runs anywhere espeak-ng is installed.
func Example() {
	ctx := context.Background()
	sim, err := calleesim.Start(ctx, calleesim.Config{Personas: []calleesim.Persona{{
		Name: "agrees", Kind: calleesim.KindHuman, Voice: "en", Greeting: "hello?",
		Lines: []calleesim.Line{{Say: "yes please", PauseMS: 200}},
	}}})
	if err != nil {
		panic(err)
	}
	defer sim.Close()

	dialer, err := telephony.NewSIPDialer(telephony.DialerConfig{
		TTS: telephony.NewCachedTTS(telephony.EspeakTTS{}, 0),
		ASR: telephony.SimulationRecognizer{}, // callee-sim sends its words alongside the audio
	})
	if err != nil {
		panic(err)
	}
	defer dialer.Close()

	res, err := dialer.Dial(ctx, telephony.DialRequest{
		Trunk:         sim.Trunk(),
		To:            "+15550100",
		RingTimeout:   20 * time.Second,
		DetectMachine: true,
	}, telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
		if _, err := c.Say(ctx, "Hello, may we deliver tomorrow?", telephony.EmotionHappy); err != nil {
			return err
		}
		u, err := c.Listen(ctx, "yes please", "no")
		if err != nil {
			return err
		}
		if u.Text == "yes please" {
			_, err = c.Say(ctx, "Great, goodbye.", telephony.EmotionHappy)
		}
		return err
	}))
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Outcome, res.SIPCode, res.AMD.Verdict)
	fmt.Println(res.Transcript[1].Speaker, res.Transcript[1].Text)
	// Output:
	// answered 200 human
	// callee yes please
}
