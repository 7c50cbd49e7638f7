package telephony

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// AudioLeg is a party an answered call is joined to that is not a SIP
// call: an agent's browser over WebRTC. See Call.Join.
type AudioLeg interface {
	// Hear takes what the callee says: 8 kHz 16-bit PCM, normally in
	// 160-sample (20 ms) frames. It must not block (it runs on the media
	// clock) nor keep pcm after it returns.
	Hear(pcm []int16)
	// SetSpeaker sets where the leg's own voice goes (the callee's ear),
	// 8 kHz PCM; speak must not block nor keep pcm. nil stops it.
	SetSpeaker(speak func(pcm []int16))
	// Done is closed when the leg has ended (hung up, closed, connection
	// failed).
	Done() <-chan struct{}
}

// WebRTCConfig configures the WebRTC legs a server answers.
type WebRTCConfig struct {
	// PublicIPs, when set, are announced in the host candidates instead
	// of the host's own addresses (NAT 1:1: a server behind a cloud's NAT
	// whose public address forwards to it).
	PublicIPs []string
	// PortMin and PortMax bound the UDP ports ICE uses (0: any). Open
	// this range to the browsers in the firewall.
	PortMin, PortMax uint16
	// Loopback also announces loopback candidates (127.0.0.1, ::1), which
	// are left out by default: a browser on the same host (development,
	// end-to-end tests) can then connect even when the host has no other
	// interface.
	Loopback bool
	// LoopbackOnly announces loopback candidates only, no other
	// interface, and queries no mDNS names (tests).
	LoopbackOnly bool
	// ICEServers are STUN URLs ("stun:stun.example.com:3478") to learn
	// the server's public address from (optional).
	ICEServers []string
	// ConnectTimeout is how long a leg may take to connect (ICE and DTLS)
	// after its answer before it counts as failed (0: 10 s).
	ConnectTimeout time.Duration
	// FailTimeout is how long a connected leg may go without hearing from
	// the browser before it counts as failed and ends (0: 10 s).
	FailTimeout time.Duration
}

// ErrBadOffer is wrapped by NewWebRTCLeg's errors about the browser's
// offer (a client's mistake, not the server's).
var ErrBadOffer = errors.New("bad WebRTC offer")

// ErrNoPCMU is returned by NewWebRTCLeg for an offer without G.711 µ-law
// audio, the only codec a leg speaks (telephone audio is 8 kHz: there is
// nothing to gain from another).
var ErrNoPCMU = fmt.Errorf("%w: the browser offered no PCMU audio", ErrBadOffer)

// hearQueue bounds the frames waiting for the leg's writer: what the
// callee says beyond it (the writer stalled) is dropped, never waited for.
const hearQueue = 16

// WebRTCLeg is an answered WebRTC peer connection carrying one PCMU audio
// track each way: an agent's browser. It implements AudioLeg.
type WebRTCLeg struct {
	pc    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticSample

	// Hear's framing: it fills buf up to a frame, encodes it and hands it
	// to the writer through out (by value: no allocation).
	hearMu sync.Mutex
	buf    [frameSamples]int16
	bufN   int
	out    chan [frameSamples]byte

	speaker atomic.Pointer[func([]int16)]

	connected     chan struct{}
	connectedOnce sync.Once
	done          chan struct{}
	doneOnce      sync.Once
	why           atomic.Value // string
	closeOnce     sync.Once
	closeErr      error
	tookTrack     atomic.Bool
	wg            sync.WaitGroup

	packetsIn  atomic.Int64
	packetsOut atomic.Int64
	dropped    atomic.Int64
}

var _ AudioLeg = (*WebRTCLeg)(nil)

// NewWebRTCLeg answers a browser's SDP offer: a peer connection that
// negotiates only PCMU (payload type 0, 8 kHz, which Chrome, Firefox and
// Safari offer) with one audio track each way. ICE gathering completes
// before the answer is returned, so the answer holds the candidates (no
// trickle ICE). ctx bounds the answering only; the leg lives until it
// ends or Close is called. Errors about the offer wrap ErrBadOffer; an
// offer without PCMU audio gives ErrNoPCMU.
func NewWebRTCLeg(ctx context.Context, cfg WebRTCConfig, offerSDP string) (*WebRTCLeg, string, error) {
	if err := checkOffer(offerSDP); err != nil {
		return nil, "", err
	}
	api, err := newWebRTCAPI(cfg)
	if err != nil {
		return nil, "", err
	}
	pcfg := webrtc.Configuration{}
	if len(cfg.ICEServers) > 0 {
		pcfg.ICEServers = []webrtc.ICEServer{{URLs: cfg.ICEServers}}
	}
	pc, err := api.NewPeerConnection(pcfg)
	if err != nil {
		return nil, "", fmt.Errorf("webrtc: %w", err)
	}
	l := &WebRTCLeg{
		pc:        pc,
		out:       make(chan [frameSamples]byte, hearQueue),
		connected: make(chan struct{}),
		done:      make(chan struct{}),
	}
	fail := func(err error) (*WebRTCLeg, string, error) {
		l.finish("answer failed")
		l.Close()
		return nil, "", err
	}
	pc.OnConnectionStateChange(l.onState)
	pc.OnTrack(l.onTrack)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offerSDP}); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	l.track, err = webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: SampleRate}, "audio", "outcall")
	if err != nil {
		return fail(fmt.Errorf("webrtc: %w", err))
	}
	sender, err := pc.AddTrack(l.track)
	if err != nil {
		return fail(fmt.Errorf("webrtc: %w", err))
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return fail(fmt.Errorf("webrtc: %w", err))
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	local := pc.LocalDescription()
	if local == nil {
		return fail(errors.New("webrtc: no local description after gathering"))
	}

	l.wg.Add(2)
	go l.write()
	go func() {
		// Read the RTCP the browser sends about our audio, so the
		// interceptors (sender and receiver reports) see it.
		defer l.wg.Done()
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	timeout := cfg.ConnectTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	t := time.AfterFunc(timeout, func() {
		select {
		case <-l.connected:
		default:
			l.finish("the browser did not connect within " + timeout.String())
		}
	})
	go func() {
		select {
		case <-l.connected:
		case <-l.done:
		}
		t.Stop()
	}()
	return l, local.SDP, nil
}

// newWebRTCAPI builds pion's API for cfg: PCMU only, RTCP reports, the
// candidates cfg asks for.
func newWebRTCAPI(cfg WebRTCConfig) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: SampleRate},
		PayloadType:        webrtc.PayloadType(PCMU.PayloadType),
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("webrtc: %w", err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, fmt.Errorf("webrtc: %w", err)
	}
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	if cfg.PortMin != 0 || cfg.PortMax != 0 {
		hi := cfg.PortMax
		if hi == 0 {
			hi = 65535
		}
		if err := se.SetEphemeralUDPPortRange(cfg.PortMin, hi); err != nil {
			return nil, fmt.Errorf("webrtc: UDP port range %d-%d: %w", cfg.PortMin, hi, err)
		}
	}
	if len(cfg.PublicIPs) > 0 {
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        cfg.PublicIPs,
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteReplace,
		}); err != nil {
			return nil, fmt.Errorf("webrtc: public IPs %v: %w", cfg.PublicIPs, err)
		}
	}
	if cfg.Loopback || cfg.LoopbackOnly {
		se.SetIncludeLoopbackCandidate(true)
	}
	if cfg.LoopbackOnly {
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	}
	fail := cfg.FailTimeout
	if fail <= 0 {
		fail = 10 * time.Second
	}
	se.SetICETimeouts(min(fail/2, 5*time.Second), fail, 2*time.Second)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// checkOffer parses the offer and looks for PCMU in an audio section that
// is not rejected (port 0).
func checkOffer(offer string) error {
	if strings.TrimSpace(offer) == "" {
		return fmt.Errorf("%w: empty SDP", ErrBadOffer)
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return fmt.Errorf("%w: SDP does not parse: %v", ErrBadOffer, err)
	}
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media != "audio" || m.MediaName.Port.Value == 0 {
			continue
		}
		for _, f := range m.MediaName.Formats {
			if f == "0" {
				return nil
			}
		}
		for _, a := range m.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			_, enc, _ := strings.Cut(a.Value, " ")
			if strings.HasPrefix(strings.ToUpper(enc), "PCMU/8000") {
				return nil
			}
		}
	}
	return ErrNoPCMU
}

func (l *WebRTCLeg) onState(s webrtc.PeerConnectionState) {
	switch s {
	case webrtc.PeerConnectionStateConnected:
		l.connectedOnce.Do(func() { close(l.connected) })
	case webrtc.PeerConnectionStateFailed:
		l.finish("the connection to the browser failed")
	case webrtc.PeerConnectionStateClosed:
		l.finish("the browser closed the connection")
	}
}

// onTrack reads the browser's audio (the first audio track it sends),
// decodes it and hands it to the speaker.
func (l *WebRTCLeg) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	if tr.Kind() != webrtc.RTPCodecTypeAudio || !l.tookTrack.CompareAndSwap(false, true) {
		return
	}
	select {
	case <-l.done:
		return
	default:
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		var (
			buf = make([]byte, 1500)
			pkt rtp.Packet
			pcm = make([]int16, 0, 480)
		)
		for {
			n, _, err := tr.Read(buf)
			if err != nil {
				l.finish("the browser's audio ended")
				return
			}
			if err := pkt.Unmarshal(buf[:n]); err != nil || pkt.PayloadType != PCMU.PayloadType || len(pkt.Payload) == 0 {
				continue
			}
			l.packetsIn.Add(1)
			pcm = PCMU.Decode(pcm[:0], pkt.Payload)
			if f := l.speaker.Load(); f != nil {
				(*f)(pcm)
			}
		}
	}()
}

// write sends the frames Hear encoded, off the media clock.
func (l *WebRTCLeg) write() {
	defer l.wg.Done()
	data := make([]byte, frameSamples)
	for {
		select {
		case <-l.done:
			return
		case f := <-l.out:
			copy(data, f[:])
			if err := l.track.WriteSample(media.Sample{Data: data, Duration: FrameDuration}); err == nil {
				select {
				case <-l.connected:
					l.packetsOut.Add(1)
				default: // not bound yet: nothing went out
				}
			}
		}
	}
}

// Hear takes what the callee says (8 kHz PCM, any length): each 20 ms of
// it goes to the browser as one PCMU packet. It never blocks: when the
// browser's writer lags, frames are dropped.
func (l *WebRTCLeg) Hear(pcm []int16) {
	select {
	case <-l.done:
		return
	default:
	}
	l.hearMu.Lock()
	for len(pcm) > 0 {
		n := copy(l.buf[l.bufN:], pcm)
		l.bufN += n
		pcm = pcm[n:]
		if l.bufN < frameSamples {
			break
		}
		l.bufN = 0
		var f [frameSamples]byte
		for i, s := range l.buf {
			f[i] = EncodeULaw(s)
		}
		select {
		case l.out <- f:
		default:
			l.dropped.Add(1)
		}
	}
	l.hearMu.Unlock()
}

// SetSpeaker sets where the browser's audio goes (decoded to 8 kHz PCM,
// one call per packet, from the leg's reader goroutine); nil drops it.
func (l *WebRTCLeg) SetSpeaker(speak func(pcm []int16)) {
	if speak == nil {
		l.speaker.Store(nil)
		return
	}
	l.speaker.Store(&speak)
}

// Done is closed when the leg has ended: Close, the browser closed the
// connection or its audio, the connection failed or never came up.
func (l *WebRTCLeg) Done() <-chan struct{} { return l.done }

// Connected is closed once ICE and DTLS are up: audio flows from then on.
// It stays open forever when the leg ends before connecting (see Done).
func (l *WebRTCLeg) Connected() <-chan struct{} { return l.connected }

// Reason says why the leg ended ("" while it is up).
func (l *WebRTCLeg) Reason() string {
	s, _ := l.why.Load().(string)
	return s
}

// Stats returns the RTP packets taken from the browser and sent to it.
func (l *WebRTCLeg) Stats() (packetsIn, packetsOut int64) {
	return l.packetsIn.Load(), l.packetsOut.Load()
}

// Close ends the leg and its peer connection (the browser sees it
// closed) and waits for the leg's goroutines. It is safe to call more
// than once and from any goroutine but the speaker's (SetSpeaker).
func (l *WebRTCLeg) Close() error {
	l.finish("closed")
	l.closeOnce.Do(func() {
		l.closeErr = l.pc.Close()
	})
	l.wg.Wait()
	return l.closeErr
}

// finish ends the leg (the first reason wins) and closes the peer
// connection in the background: finish runs in pion's callbacks, where
// closing would wait for them.
func (l *WebRTCLeg) finish(why string) {
	l.doneOnce.Do(func() {
		l.why.Store(why)
		close(l.done)
		go l.closeOnce.Do(func() { l.closeErr = l.pc.Close() })
	})
}
