// Package telephony places and carries outbound phone calls: a SIP user agent
// client built on sipgo, RTP media with G.711 and RFC 4733 DTMF, prompts from
// text-to-speech, listening with an energy VAD and a speech recogniser,
// answering-machine detection, two-channel recordings, and transfer to a
// human by SIP REFER.
//
// A call needs a [Trunk] (where and how to send calls) and a [Dialer]
// (usually a [*SIPDialer]). [Dialer.Start] places it and hands back the
// answered call to talk to, and the caller ends it:
//
//	live, res, err := d.Start(ctx, telephony.DialRequest{Trunk: trunk, To: "+8613800138000"})
//	if live != nil {
//		res = live.End(talk(live.Context(), live)) // talk says and listens through live
//	}
//
// [SIPDialer.Dial] does the same for a [CallHandler]:
//
//	d, err := telephony.NewSIPDialer(telephony.DialerConfig{TTS: tts, ASR: asr})
//	if err != nil { ... }
//	defer d.Close()
//	res, err := d.Dial(ctx, telephony.DialRequest{
//		Trunk:       trunk,
//		To:          "+8613800138000",
//		RingTimeout: 30 * time.Second,
//	}, telephony.CallHandlerFunc(func(ctx context.Context, c telephony.Call) error {
//		if _, err := c.Say(ctx, "您好", telephony.EmotionHappy); err != nil {
//			return err
//		}
//		u, err := c.Listen(ctx)
//		...
//	}))
//	// res.Outcome is one of answered, busy, no_answer, invalid_number,
//	// rejected, failed, voicemail, transferred, with res.SIPCode and res.Reason.
//
// Media runs on a shared [MediaClock]: one goroutine per CPU sends a 20 ms
// frame for every live call on each tick, which keeps the send interval
// steady with a thousand calls on two cores and lets the clock measure the
// send-interval jitter it promises.
//
// RTP is taken in only from the address the peer's SDP gives (or, for a
// peer behind NAT, the one its first packets latched on to; see
// [MediaSession.SetPeer]): packets from anyone else are dropped and
// counted in [MediaStats].ForeignPacketsIn, so nobody who merely reaches a
// call's port can speak into it, its recogniser or its recording.
//
// Listening streams: a [StreamingRecognizer] ([*FunASRRecognizer]) gets
// the callee's audio while they speak, 60 ms at a time, and its final ends
// the turn when it comes before the VAD's silence; batch recognisers
// ([HTTPRecognizer], [*PocketsphinxRecognizer], [SimulationRecognizer])
// hear the whole utterance through [Stream]'s adapter. A recogniser that
// fails ends the call as failed with a [*RecognitionError] as its reason.
// The providers are tested against the doubles in telephony/funasrtest
// and telephony/whispertest with the conformance suite in
// telephony/asrtest.
//
// The callee simulator (package telephony/calleesim) is a SIP user agent
// server that answers like a crowd of people; tests, the demo and the
// benchmarks dial it on loopback.
package telephony
