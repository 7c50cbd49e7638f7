// Package agentsim simulates an agent's browser at the desk: a WebRTC peer
// (pion) that offers PCMU audio as a browser's RTCPeerConnection does,
// without trickle ICE, speaks a tone into the call and counts what it
// hears. Tests and the agents benchmark use it where a real browser would
// sit; the portal's end-to-end test uses Chromium itself.
package agentsim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/outcall/outcall/telephony"
)

// frame is 20 ms at 8 kHz.
const frame = 160

// Browser is one simulated agent browser.
type Browser struct {
	pc    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticSample

	connected chan struct{}
	closed    chan struct{}
	conOnce   sync.Once
	closeOnce sync.Once

	// heard counts 20 ms frames received, loud those with speech-like
	// energy (RMS above loudRMS).
	heard, loud atomic.Int64
	wg          sync.WaitGroup
}

// loudRMS is the level above which a frame counts as sound, not silence.
const loudRMS = 300

// New makes a browser and its SDP offer: PCMU audio, sendrecv, ICE
// gathering complete, loopback candidates only (the desk runs on the same
// host in tests and benchmarks).
func New(ctx context.Context) (*Browser, string, error) { return newBrowser(ctx, false) }

// NewListener makes a browser that only receives, as a supervisor's
// listening in: its offer is receive-only audio.
func NewListener(ctx context.Context) (*Browser, string, error) { return newBrowser(ctx, true) }

func newBrowser(ctx context.Context, receiveOnly bool) (*Browser, string, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: telephony.SampleRate},
		PayloadType:        0,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, "", err
	}
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", err
	}
	b := &Browser{pc: pc, connected: make(chan struct{}), closed: make(chan struct{})}
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			b.conOnce.Do(func() { close(b.connected) })
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed, webrtc.PeerConnectionStateDisconnected:
			b.closeOnce.Do(func() { close(b.closed) })
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			var sum float64
			for _, u := range pkt.Payload {
				v := float64(telephony.DecodeULaw(u))
				sum += v * v
			}
			b.heard.Add(1)
			if len(pkt.Payload) > 0 && math.Sqrt(sum/float64(len(pkt.Payload))) > loudRMS {
				b.loud.Add(1)
			}
		}
	})
	if receiveOnly {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			pc.Close()
			return nil, "", err
		}
	} else {
		b.track, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: telephony.SampleRate}, "mic", "agentsim")
		if err != nil {
			pc.Close()
			return nil, "", err
		}
		if _, err := pc.AddTrack(b.track); err != nil {
			pc.Close()
			return nil, "", err
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		pc.Close()
		return nil, "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		pc.Close()
		return nil, "", err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		pc.Close()
		return nil, "", ctx.Err()
	}
	return b, pc.LocalDescription().SDP, nil
}

// Answer takes the desk's SDP answer.
func (b *Browser) Answer(sdp string) error {
	if err := b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		return fmt.Errorf("agentsim: the desk's answer: %w", err)
	}
	return nil
}

// WaitConnected waits until the connection is up (ICE and DTLS).
func (b *Browser) WaitConnected(ctx context.Context) error {
	select {
	case <-b.connected:
		return nil
	case <-b.closed:
		return errors.New("agentsim: the connection closed before it was up")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Speak sends a tone of freq Hz into the call (nothing from a listener), 20 ms at a time, in
// phrases of a second a second apart (as a person speaks, so the callee
// hears where each ends), until the browser closes.
func (b *Browser) Speak(freq float64) {
	if b.track == nil {
		return
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		buf := make([]byte, frame)
		n := 0
		for {
			select {
			case <-b.closed:
				return
			case <-t.C:
			}
			talking := (n/telephony.SampleRate)%2 == 0
			for i := range buf {
				v := 0.0
				if talking {
					v = 8000 * math.Sin(2*math.Pi*freq*float64(n+i)/telephony.SampleRate)
				}
				buf[i] = telephony.EncodeULaw(int16(v))
			}
			n += frame
			if err := b.track.WriteSample(media.Sample{Data: buf, Duration: 20 * time.Millisecond}); err != nil {
				return
			}
		}
	}()
}

// Heard reports the 20 ms frames received so far and how many were loud
// (speech or a tone, not silence).
func (b *Browser) Heard() (frames, loud int64) { return b.heard.Load(), b.loud.Load() }

// Closed is closed once the connection is over.
func (b *Browser) Closed() <-chan struct{} { return b.closed }

// Close hangs up.
func (b *Browser) Close() {
	b.closeOnce.Do(func() { close(b.closed) })
	_ = b.pc.Close()
	b.wg.Wait()
}
