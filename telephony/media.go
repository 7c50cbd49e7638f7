package telephony

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// MediaEventKind says what happened on the inbound stream.
type MediaEventKind int

const (
	EventSpeechStart MediaEventKind = iota + 1 // the callee started talking
	EventSpeechEnd                             // the callee stopped (VAD end of speech)
	EventDTMF                                  // a DTMF digit arrived (RFC 4733)
)

// MediaEvent is one inbound happening, stamped on the media timeline.
type MediaEvent struct {
	Kind    MediaEventKind
	Digit   byte
	Talk    time.Duration // for SpeechEnd: length of the utterance
	Silence time.Duration // for SpeechStart: quiet before it
	At      time.Time
}

// MediaConfig configures a session.
type MediaConfig struct {
	// LocalIP to bind the RTP socket to.
	LocalIP net.IP
	// RTPTimeout ends the session when no valid RTP arrives for this long
	// (0: 10 s). The clock starts when media starts.
	RTPTimeout time.Duration
	// VAD tunes end-of-speech detection.
	VAD VADConfig
	// Record keeps a two-channel recording (robot left, callee right).
	Record bool
	// MaxRecord caps the recording length (0: 30 minutes).
	MaxRecord time.Duration
	// SymmetricRTP latches on to the address the peer's RTP comes from
	// even when its SDP names a public one (for carriers behind NAT that
	// advertise an address they do not send from). Without it the session
	// latches only when the SDP's address is private or unroutable. See
	// SetPeer.
	SymmetricRTP bool
	// LatchWindow is how long after the peer's SDP arrives (SetPeer) the
	// session may latch on to a source (0: 5 s). Once it has latched, or
	// the window has passed, nothing changes where RTP is taken from.
	LatchWindow time.Duration
}

// defaultLatchWindow is MediaConfig.LatchWindow's default: a peer behind
// NAT sends from the answer on, so its first packets come well within it.
const defaultLatchWindow = 5 * time.Second

// maxForeignPerTick bounds the extra reads one tick makes to get past
// packets from strangers (see drain).
const maxForeignPerTick = 32

// rtpPeer is the peer's media address from its SDP and what may be
// latched on to; SetPeer replaces it whole, so the receiver reads it with
// one atomic load and no lock.
type rtpPeer struct {
	sdp *net.UDPAddr // where RTP goes until latched
	key rtpAddr      // sdp, comparable
	// latch: take the first valid packet from one of hosts (the SDP's
	// host, the peer's signalling address) before until as the peer's
	// address, and only that address afterwards.
	latch  bool
	hosts  [3]rtpHost
	nhosts int
	until  int64 // unix nanos
	// latchKey is written by the receiver (under the tick lock) before it
	// publishes latched; only the receiver and SetPeer (after loading
	// latched) read it.
	latchKey rtpAddr
	latched  atomic.Pointer[net.UDPAddr]
}

func (p *rtpPeer) addHost(ip net.IP) {
	if ip == nil || p.nhosts == len(p.hosts) {
		return
	}
	h := hostOf(ip)
	if !p.latchHost(h) {
		p.hosts[p.nhosts] = h
		p.nhosts++
	}
}

func (p *rtpPeer) latchHost(h rtpHost) bool {
	for i := 0; i < p.nhosts; i++ {
		if p.hosts[i] == h {
			return true
		}
	}
	return false
}

// sendTo is where RTP goes: the address latched on to, else the SDP's.
func (p *rtpPeer) sendTo() *net.UDPAddr {
	if a := p.latched.Load(); a != nil {
		return a
	}
	return p.sdp
}

// bogons are address ranges no packet on the Internet comes from beyond
// those net.IP classifies (private, loopback, link-local): carrier-grade
// NAT (RFC 6598), "this network", IETF protocol assignments,
// documentation and benchmarking ranges, the reserved 240/4.
var bogons = func() []*net.IPNet {
	var nets []*net.IPNet
	for _, c := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "2001:db8::/32"} {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			panic(err)
		}
		nets = append(nets, n)
	}
	return nets
}()

// unroutable reports whether an SDP address cannot be where the peer's
// packets come from as seen from local: a private, carrier-grade NAT,
// link-local, multicast, unspecified or otherwise unrouted address, or
// loopback when we are not on loopback ourselves. Such a peer is behind
// NAT (or names an interface we do not reach it by); the session latches.
func unroutable(ip, local net.IP) bool {
	if ip.IsLoopback() {
		return !local.IsLoopback()
	}
	if ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() || ip.IsMulticast() {
		return true
	}
	for _, n := range bogons {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// MediaSession is the RTP leg of one call: one UDP socket, a sender paced
// by a MediaClock, a receiver goroutine that decodes G.711, detects speech
// and DTMF, and an optional recorder.
type MediaSession struct {
	clock *MediaClock
	shard *clockShard
	slot  int
	out   *udpSender
	cfg   MediaConfig

	peer    atomic.Pointer[rtpPeer]
	codec   atomic.Pointer[Codec]
	dtmfPT  atomic.Uint32
	started atomic.Bool

	// Outbound, guarded by outMu.
	outMu    sync.Mutex
	seq      uint16
	ts       uint32
	ssrc     uint32
	play     *playback
	dtmf     dtmfSender
	lastSend time.Time
	pktBuf   []byte
	payload  []byte
	frame    []int16
	rxPkt    rtp.Packet
	rxPCM    []int16

	// Inbound, guarded by inMu.
	inMu     sync.Mutex
	vad      *VAD
	dtmfRx   dtmfReceiver
	recvQ    []int16
	capture  []int16
	capOn    bool
	firstRTP time.Time
	// capTap, when set, is signalled each time the capture has grown by
	// capEvery samples, so a streaming recogniser's feeder wakes a few
	// times a second instead of once a packet.
	capTap    chan struct{}
	capEvery  int
	capMarked int

	events     chan MediaEvent
	lastRecv   atomic.Int64 // unix nanos of the last valid RTP packet
	startedAt  atomic.Int64
	packetsIn  atomic.Int64
	packetsOut atomic.Int64
	badIn      atomic.Int64
	foreignIn  atomic.Int64
	sendErrs   atomic.Int64

	rec       *stereoRecorder
	dead      chan struct{}
	deadOnce  sync.Once
	deadWhy   atomic.Value // string
	closed    atomic.Bool
	tickMu    sync.Mutex
	ticks     uint64
	inBacklog []int16
	lockMiss  atomic.Int64
	starved   atomic.Int64 // frames of silence while a prompt's audio was awaited

	// relay, when set, receives what this session hears (a bridge to
	// another call); feed is what a bridged peer sent us to play.
	relay atomic.Pointer[MediaSession]
	// tap, when set, also receives what this session hears: an AudioLeg
	// joined to the call (see tapTo).
	tap    atomic.Pointer[audioTap]
	feedMu sync.Mutex
	feed   []int16
}

// ErrMediaClosed is returned by operations on a closed session.
var ErrMediaClosed = errors.New("media session closed")

// NewMediaSession opens an RTP socket on an ephemeral port. Nothing is
// sent until Start.
func NewMediaSession(clock *MediaClock, cfg MediaConfig) (*MediaSession, error) {
	if cfg.LocalIP == nil {
		cfg.LocalIP = net.IPv4(127, 0, 0, 1)
	}
	if cfg.RTPTimeout == 0 {
		cfg.RTPTimeout = 10 * time.Second
	}
	if cfg.VAD == (VADConfig{}) {
		cfg.VAD = DefaultVADConfig()
	}
	if cfg.MaxRecord == 0 {
		cfg.MaxRecord = 30 * time.Minute
	}
	if cfg.LatchWindow <= 0 {
		cfg.LatchWindow = defaultLatchWindow
	}
	out, err := listenUDP(cfg.LocalIP)
	if err != nil {
		return nil, err
	}
	s := &MediaSession{
		clock:   clock,
		out:     out,
		cfg:     cfg,
		ssrc:    rand.Uint32(),
		seq:     uint16(rand.Uint32()),
		ts:      rand.Uint32(),
		vad:     NewVAD(cfg.VAD),
		events:  make(chan MediaEvent, 256),
		dead:    make(chan struct{}),
		pktBuf:  make([]byte, 1500),
		payload: make([]byte, 0, frameSamples),
		frame:   make([]int16, frameSamples),
	}
	pcmu := PCMU
	s.codec.Store(&pcmu)
	s.dtmfPT.Store(uint32(DTMFPayloadType))
	if cfg.Record {
		s.rec = newStereoRecorder(cfg.MaxRecord)
	}
	// The clock reads the socket on every tick from now on (early media
	// arrives before the answer); it sends only once Start is called.
	clock.add(s)
	return s, nil
}

// LocalAddr is the RTP address to put in SDP.
func (s *MediaSession) LocalAddr() *net.UDPAddr {
	a := *s.out.local
	return &a
}

// SetRemote sets the peer's RTP address from its SDP: SetPeer with no
// signalling address.
func (s *MediaSession) SetRemote(addr *net.UDPAddr) { s.SetPeer(addr) }

// SetPeer sets the peer's RTP address from its SDP (c= and m= lines).
// RTP goes there, and RTP is taken in only from there: packets from any
// other address are dropped and counted (MediaStats.ForeignPacketsIn), so
// nobody who merely reaches our port can put audio into the call. Until
// the first SetPeer nothing is read: what arrives waits in the socket.
//
// Symmetric RTP, for peers behind NAT: when the SDP's address is private
// or unroutable, or MediaConfig.SymmetricRTP is set, the first valid
// packet that comes, within MediaConfig.LatchWindow, from the SDP's host
// or one of the peer's signalling addresses (any port) fixes the peer's
// address: RTP goes there from then on, and only RTP from there is taken
// in.
//
// Setting the same address again (the answer after early media) keeps a
// latch already made and opens the window anew if none was.
func (s *MediaSession) SetPeer(addr *net.UDPAddr, signalling ...net.IP) {
	if addr == nil {
		s.peer.Store(nil)
		return
	}
	p := &rtpPeer{sdp: addr, key: rtpAddrOf(addr), until: time.Now().Add(s.cfg.LatchWindow).UnixNano()}
	p.latch = s.cfg.SymmetricRTP || unroutable(addr.IP, s.cfg.LocalIP)
	p.addHost(addr.IP)
	for _, ip := range signalling {
		p.addHost(ip)
	}
	if old := s.peer.Load(); old != nil && old.key == p.key {
		if a := old.latched.Load(); a != nil {
			p.latchKey = old.latchKey
			p.latched.Store(a)
		}
	}
	s.peer.Store(p)
}

// SetCodec sets the negotiated codec and telephone-event payload type
// (0 to send no DTMF events).
func (s *MediaSession) SetCodec(c Codec, dtmfPT uint8) {
	s.codec.Store(&c)
	s.dtmfPT.Store(uint32(dtmfPT))
}

// Codec returns the codec in use.
func (s *MediaSession) Codec() Codec { return *s.codec.Load() }

// Start attaches the session to the clock: from now on a frame (prompt
// audio or silence) goes out every 20 ms and the RTP timeout runs.
func (s *MediaSession) Start() {
	if s.closed.Load() || !s.started.CompareAndSwap(false, true) {
		return
	}
	now := time.Now().UnixNano()
	s.startedAt.Store(now)
	s.lastRecv.Store(now)
}

// Events delivers speech and DTMF events of the callee.
func (s *MediaSession) Events() <-chan MediaEvent { return s.events }

// Dead is closed when the session ends (Close, or RTP timeout).
func (s *MediaSession) Dead() <-chan struct{} { return s.dead }

// DeadReason says why the session ended.
func (s *MediaSession) DeadReason() string {
	if v, ok := s.deadWhy.Load().(string); ok {
		return v
	}
	return ""
}

func (s *MediaSession) die(why string) {
	s.deadOnce.Do(func() {
		s.deadWhy.Store(why)
		close(s.dead)
	})
}

// Stats of the stream.
type MediaStats struct {
	PacketsIn, PacketsOut, BadPacketsIn int64
	// ForeignPacketsIn counts packets dropped unread because they came
	// from an address other than the peer's (its SDP's, or the one
	// latched on to): audio injected by a stranger, or a peer behind a
	// NAT that could not be latched on to.
	ForeignPacketsIn int64
	// SendErrors counts packets the kernel refused (full buffer, ICMP
	// port unreachable from a vanished peer).
	SendErrors int64
	// LatchedTo is the address the peer's RTP was latched on to
	// (symmetric RTP); empty when the session did not latch.
	LatchedTo string
}

// Stats returns packet counters.
func (s *MediaSession) Stats() MediaStats {
	st := MediaStats{PacketsIn: s.packetsIn.Load(), PacketsOut: s.packetsOut.Load(), BadPacketsIn: s.badIn.Load(),
		ForeignPacketsIn: s.foreignIn.Load(), SendErrors: s.sendErrs.Load()}
	if p := s.peer.Load(); p != nil {
		if a := p.latched.Load(); a != nil {
			st.LatchedTo = a.String()
		}
	}
	return st
}

// Close stops sending and receiving. It is safe to call more than once.
func (s *MediaSession) Close() {
	if !s.closed.CompareAndSwap(false, true) {
		return
	}
	s.clock.remove(s)
	s.die("closed")
	s.tickMu.Lock() // wait for a tick in progress
	s.out.close()
	s.tickMu.Unlock()
	s.outMu.Lock()
	if s.play != nil {
		s.play.finish(false)
		s.play = nil
	}
	s.outMu.Unlock()
}

// playback is one prompt in flight.
type playback struct {
	audio       *AudioStream
	pos         int
	done        chan struct{}
	interrupted bool
	once        sync.Once
}

func (p *playback) finish(interrupted bool) {
	p.once.Do(func() {
		p.interrupted = interrupted
		close(p.done)
	})
}

// PlayResult tells how much of a prompt went out.
type PlayResult struct {
	Played      time.Duration
	Interrupted bool // stopped early (barge-in or StopPlayback)
}

// Play sends 8 kHz audio and waits until it has all gone out, it is
// stopped, or ctx ends (which stops it). A new Play replaces one in flight.
func (s *MediaSession) Play(ctx context.Context, pcm []int16) (PlayResult, error) {
	return s.PlayStream(ctx, WholeAudio(pcm))
}

// PlayStream is Play for audio still arriving: it plays what has come,
// sends silence while the rest is awaited, and returns once the stream
// has ended and all of it has gone out (or as Play does).
func (s *MediaSession) PlayStream(ctx context.Context, audio *AudioStream) (PlayResult, error) {
	if s.closed.Load() {
		return PlayResult{}, ErrMediaClosed
	}
	p := &playback{audio: audio, done: make(chan struct{})}
	s.outMu.Lock()
	if s.play != nil {
		s.play.finish(true)
	}
	s.play = p
	s.outMu.Unlock()
	select {
	case <-p.done:
	case <-ctx.Done():
		s.stop(p)
		return s.result(p), ctx.Err()
	case <-s.dead:
		s.stop(p)
		return s.result(p), ErrMediaClosed
	}
	return s.result(p), nil
}

func (s *MediaSession) result(p *playback) PlayResult {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	return PlayResult{Played: time.Duration(p.pos) * time.Second / SampleRate, Interrupted: p.interrupted}
}

func (s *MediaSession) stop(p *playback) {
	s.outMu.Lock()
	if s.play == p {
		s.play = nil
	}
	s.outMu.Unlock()
	p.finish(true)
}

// StopPlayback ends the prompt in flight (barge-in).
func (s *MediaSession) StopPlayback() {
	s.outMu.Lock()
	p := s.play
	s.play = nil
	s.outMu.Unlock()
	if p != nil {
		p.finish(true)
	}
}

// StarvedFrames counts the frames sent as silence within a prompt while
// its audio was still being made (a synthesiser slower than the voice).
func (s *MediaSession) StarvedFrames() int64 { return s.starved.Load() }

// Playing reports whether a prompt is going out.
func (s *MediaSession) Playing() bool {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	return s.play != nil
}

// SendDTMF queues digits as RFC 4733 events; they go out in place of
// audio, 100 ms each with 60 ms between.
func (s *MediaSession) SendDTMF(digits string) error {
	if !ValidDTMF(digits) {
		return errors.New("DTMF digits must be 0-9, *, #, A-D")
	}
	if s.dtmfPT.Load() == 0 {
		return errors.New("peer did not accept telephone-event: DTMF cannot be sent")
	}
	s.outMu.Lock()
	s.dtmf.queue = append(s.dtmf.queue, digits...)
	s.outMu.Unlock()
	return nil
}

// DTMFPending reports whether queued digits are still going out.
func (s *MediaSession) DTMFPending() bool {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	return s.dtmf.active()
}

// StartCapture begins collecting the callee's audio (for a recogniser);
// TakeCapture returns it.
func (s *MediaSession) StartCapture() {
	s.inMu.Lock()
	s.capture = nil
	s.capOn = true
	s.capTap, s.capMarked = nil, 0
	s.inMu.Unlock()
}

// TakeCapture returns the audio collected since StartCapture and stops.
func (s *MediaSession) TakeCapture() []int16 {
	s.inMu.Lock()
	out := s.capture
	s.capture = nil
	s.capOn = false
	s.capTap = nil
	s.inMu.Unlock()
	return out
}

// tapCapture signals ch (without blocking) each time the capture has
// grown by every samples, until TakeCapture or tapCapture(nil, 0). It is
// how Listen feeds a streaming recogniser without a goroutine wake-up per
// packet.
func (s *MediaSession) tapCapture(ch chan struct{}, every int) {
	s.inMu.Lock()
	s.capTap, s.capEvery, s.capMarked = ch, max(every, 1), len(s.capture)
	s.inMu.Unlock()
}

// captureFrom appends the capture from sample off on to dst and returns
// it with the capture's length, the next call's off.
func (s *MediaSession) captureFrom(off int, dst []int16) ([]int16, int) {
	s.inMu.Lock()
	defer s.inMu.Unlock()
	if off < len(s.capture) {
		dst = append(dst, s.capture[off:]...)
	}
	return dst, len(s.capture)
}

// tick runs on the clock every 20 ms: read what arrived, then (once
// started) one packet out, recording and the RTP timeout. Reading here
// with non-blocking calls instead of a goroutine per socket saves a
// goroutine wake-up per packet: at a thousand calls that is most of the
// CPU the media needs.
func (s *MediaSession) tick(jh *jitterHistogram, buf []byte) {
	s.tickMu.Lock()
	defer s.tickMu.Unlock()
	if s.closed.Load() {
		return
	}
	if s.peer.Load() != nil {
		// Until the peer's SDP says who it is, what arrives waits in the
		// socket: then the peer's early packets are taken in and the
		// rest dropped.
		s.drain(buf)
	}
	if !s.started.Load() {
		return
	}
	var remote *net.UDPAddr
	if p := s.peer.Load(); p != nil {
		remote = p.sendTo()
	}
	codec := s.codec.Load()

	// Hold the playback lock only to pick this frame: Play and friends on
	// other threads must never keep the clock waiting.
	// The clock never waits for a lock another thread holds (that thread
	// may be descheduled on a busy machine while holding it): when the
	// playback state is busy this tick sends a silent frame and counts it.
	frame := s.frame
	clear(frame)
	var (
		ev             DTMFEvent
		evTS           uint32
		marker, isDTMF bool
	)
	if s.outMu.TryLock() {
		ev, evTS, marker, isDTMF = s.dtmf.next(s.ts)
		if !isDTMF && s.play != nil {
			p := s.play
			n, done := p.audio.frame(p.pos, frame)
			p.pos += n
			if done {
				s.play = nil
				p.finish(false)
			} else if n == 0 {
				s.starved.Add(1) // the audio is late: silence meanwhile
			}
		} else if !isDTMF {
			s.takeFeed(frame)
		}
		s.outMu.Unlock()
	} else {
		s.lockMiss.Add(1)
	}

	pkt := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: s.seq, Timestamp: s.ts, SSRC: s.ssrc}}
	if isDTMF {
		pkt.PayloadType = uint8(s.dtmfPT.Load())
		pkt.Timestamp = evTS
		pkt.Marker = marker
		pkt.Payload = ev.Marshal()
	} else {
		pkt.PayloadType = codec.PayloadType
		s.payload = codec.Encode(s.payload[:0], frame)
		pkt.Payload = s.payload
	}
	s.seq++
	s.ts += frameSamples
	var n int
	var err error
	if remote != nil {
		n, err = pkt.MarshalTo(s.pktBuf)
	}
	now := time.Now()
	if last := s.lastRecv.Load(); now.UnixNano()-last > int64(s.cfg.RTPTimeout) {
		s.die("rtp timeout: no media from the peer for " + s.cfg.RTPTimeout.String())
	}
	if !s.lastSend.IsZero() {
		jh.observe(now.Sub(s.lastSend) - FrameDuration)
	}
	s.lastSend = now
	if remote != nil && err == nil {
		if werr := s.out.send(s.pktBuf[:n], remote); werr == nil {
			s.packetsOut.Add(1)
		} else {
			s.sendErrs.Add(1)
		}
	}

	if s.rec != nil {
		if s.inMu.TryLock() {
			k := min(frameSamples, len(s.recvQ))
			right := s.recvQ[:k]
			s.rec.frame(frame, right)
			s.recvQ = s.recvQ[:copy(s.recvQ, s.recvQ[k:])]
			s.inMu.Unlock()
		} else {
			s.rec.frame(frame, nil)
		}
	}
}

// drain reads what arrived since the last tick. Packets come at the
// clock's own pace, so one read per tick normally suffices (a second read
// would mostly find nothing, and system calls are the media's main cost);
// every tenth tick it empties the queue, which absorbs bursts and clock
// skew between the peers. Packets from strangers do not count against
// the limit, up to maxForeignPerTick more reads: a flood of them must not
// keep the peer's packets waiting in the queue until the kernel drops
// them.
func (s *MediaSession) drain(buf []byte) {
	s.ticks++
	limit := 1
	if s.ticks%10 == 0 {
		limit = 16
	}
	for i, extra := 0, 0; i < limit; i++ {
		n, from := s.out.recv(buf)
		if n <= 0 {
			return
		}
		if !s.handlePacket(buf[:n], from) && extra < maxForeignPerTick {
			extra++
			i--
		}
	}
}

// handlePacket takes in one datagram; it returns false when the datagram
// came from a stranger and was dropped unread. It runs on the clock for
// every packet of every call: it must neither allocate nor wait for a
// lock.
func (s *MediaSession) handlePacket(data []byte, from rtpAddr) bool {
	p := s.peer.Load()
	latch := false
	switch {
	case p == nil:
		// No SDP (drain is not called then).
		s.foreignIn.Add(1)
		return false
	case p.latched.Load() != nil:
		if from != p.latchKey {
			s.foreignIn.Add(1)
			return false
		}
	case from == p.key:
		latch = p.latch
	case p.latch && p.latchHost(from.ip) && time.Now().UnixNano() < p.until:
		latch = true
	default:
		s.foreignIn.Add(1)
		return false
	}
	pkt := &s.rxPkt
	if err := pkt.Unmarshal(data); err != nil || pkt.Version != 2 {
		s.badIn.Add(1)
		return true
	}
	pt := pkt.PayloadType
	var codec Codec
	switch pt {
	case PCMU.PayloadType:
		codec = PCMU
	case PCMA.PayloadType:
		codec = PCMA
	default:
		if uint32(pt) == s.dtmfPT.Load() && pt != 0 {
			if latch {
				s.latch(p, from)
			}
			s.lastRecv.Store(time.Now().UnixNano())
			s.packetsIn.Add(1)
			s.onDTMF(pkt.Timestamp, pkt.Payload)
			return true
		}
		s.badIn.Add(1)
		return true
	}
	if len(pkt.Payload) == 0 || len(pkt.Payload) > 480 {
		s.badIn.Add(1)
		return true
	}
	if latch {
		s.latch(p, from)
	}
	s.lastRecv.Store(time.Now().UnixNano())
	s.packetsIn.Add(1)
	s.rxPCM = codec.Decode(s.rxPCM[:0], pkt.Payload)
	s.onAudio(s.rxPCM)
	return true
}

// latch fixes the peer's address at from (symmetric RTP): once per peer,
// so its one allocation stays off the per-packet path.
func (s *MediaSession) latch(p *rtpPeer, from rtpAddr) {
	p.latchKey = from
	p.latched.Store(from.udpAddr())
}

func (s *MediaSession) emit(ev MediaEvent) {
	select {
	case s.events <- ev:
	default:
		// A consumer that stopped reading must not stall the receiver.
	}
}

func (s *MediaSession) onDTMF(ts uint32, payload []byte) {
	ev, err := ParseDTMFEvent(payload)
	if err != nil {
		s.badIn.Add(1)
		return
	}
	digit, ok := s.dtmfRx.packet(ts, ev) // the receiver state is the clock's own
	if ok {
		s.emit(MediaEvent{Kind: EventDTMF, Digit: digit, At: time.Now()})
	}
}

func (s *MediaSession) onAudio(pcm []int16) {
	if peer := s.relay.Load(); peer != nil {
		peer.feedAudio(pcm)
	}
	if t := s.tap.Load(); t != nil {
		t.hear(pcm)
	}
	if !s.inMu.TryLock() {
		// Busy elsewhere: keep the audio for the next packet rather than
		// make the clock wait (up to a second).
		if len(s.inBacklog) < SampleRate {
			s.inBacklog = append(s.inBacklog, pcm...)
		}
		s.lockMiss.Add(1)
		return
	}
	if len(s.inBacklog) > 0 {
		s.inBacklog = append(s.inBacklog, pcm...)
		pcm = s.inBacklog
		defer func() { s.inBacklog = s.inBacklog[:0] }()
	}
	if s.rec != nil {
		if len(s.recvQ) < SampleRate/2 {
			s.recvQ = append(s.recvQ, pcm...)
		}
	}
	if s.capOn && len(s.capture) < 60*SampleRate {
		s.capture = append(s.capture, pcm...)
		if s.capTap != nil && len(s.capture)-s.capMarked >= s.capEvery {
			s.capMarked = len(s.capture)
			select {
			case s.capTap <- struct{}{}:
			default:
			}
		}
	}
	var evs [3]MediaEvent
	k := 0
	for off := 0; off+frameSamples <= len(pcm); off += frameSamples {
		switch s.vad.Process(pcm[off : off+frameSamples]) {
		case VADSpeechStart:
			evs[k%3] = MediaEvent{Kind: EventSpeechStart, Silence: s.vad.LastSilence(), At: time.Now()}
			k++
		case VADSpeechEnd:
			evs[k%3] = MediaEvent{Kind: EventSpeechEnd, Talk: s.vad.LastTalk(), At: time.Now()}
			k++
		}
	}
	s.inMu.Unlock()
	for i := 0; i < k && i < 3; i++ {
		s.emit(evs[i])
	}
}

// Speaking reports whether the callee is talking right now.
func (s *MediaSession) Speaking() bool {
	s.inMu.Lock()
	defer s.inMu.Unlock()
	return s.vad.Speaking()
}

// Recording returns the two-channel WAV recorded so far (nil when not
// recording).
func (s *MediaSession) Recording() ([]byte, time.Duration, error) {
	if s.rec == nil {
		return nil, 0, nil
	}
	b, err := s.rec.wav()
	return b, s.rec.duration(), err
}

// AIRecording returns the recording as Recording does, labelled in its
// metadata as holding AI-generated speech (see AIGCLabel): the dialer's
// recordings, whose outbound channel is the robot's voice. id names the
// call.
func (s *MediaSession) AIRecording(id string) ([]byte, time.Duration, error) {
	if s.rec == nil {
		return nil, 0, nil
	}
	b, err := s.rec.wavWith(AIGCLabel(id))
	return b, s.rec.duration(), err
}

// resetInbound forgets what arrived before the answer (early media,
// ringback): pending events, queued audio and the VAD state, so detection
// and recording are timed from the answer.
func (s *MediaSession) resetInbound() {
	s.inMu.Lock()
	s.recvQ = s.recvQ[:0]
	s.capture = nil
	s.vad = NewVAD(s.cfg.VAD)
	s.inMu.Unlock()
	for {
		select {
		case <-s.events:
		default:
			return
		}
	}
}

// maxFeed bounds the audio a bridge keeps queued: beyond it the oldest
// goes, so clock drift between the two legs never builds up delay.
const maxFeed = SampleRate / 5

// RelayTo bridges what this session hears into peer's outbound audio
// (nil stops it). Bridge both directions for a conversation; a prompt or
// DTMF on peer takes precedence over the relayed audio.
func (s *MediaSession) RelayTo(peer *MediaSession) {
	s.relay.Store(peer)
	if peer == nil {
		return
	}
	peer.feedMu.Lock()
	peer.feed = peer.feed[:0]
	peer.feedMu.Unlock()
}

// audioTap is where tapTo sends what the session hears.
type audioTap struct{ hear func(pcm []int16) }

// tapTo sends what this session hears to hear as well, on the media clock
// as each packet is taken in (nil stops it): hear must neither block nor
// keep pcm. It clears what was queued to play from a relay, so the peer
// feeding the session from now on (feedAudio) starts afresh.
func (s *MediaSession) tapTo(hear func(pcm []int16)) {
	if hear == nil {
		s.tap.Store(nil)
		return
	}
	s.tap.Store(&audioTap{hear: hear})
	s.feedMu.Lock()
	s.feed = s.feed[:0]
	s.feedMu.Unlock()
}

func (s *MediaSession) feedAudio(pcm []int16) {
	if s.closed.Load() {
		return
	}
	s.feedMu.Lock()
	s.feed = append(s.feed, pcm...)
	if over := len(s.feed) - maxFeed; over > 0 {
		s.feed = s.feed[:copy(s.feed, s.feed[over:])]
	}
	s.feedMu.Unlock()
}

// takeFeed fills frame from relayed audio, if any is queued and the
// queue is free this instant (the clock never waits).
func (s *MediaSession) takeFeed(frame []int16) {
	if !s.feedMu.TryLock() {
		return
	}
	if len(s.feed) > 0 {
		n := copy(frame, s.feed)
		s.feed = s.feed[:copy(s.feed, s.feed[n:])]
	}
	s.feedMu.Unlock()
}

// currentPause is how long the utterance under way has been quiet since
// its last loud frame.
func (s *MediaSession) currentPause() time.Duration {
	s.inMu.Lock()
	defer s.inMu.Unlock()
	return s.vad.Pause()
}

// currentTalk is the length of the utterance under way (0 in silence).
func (s *MediaSession) currentTalk() time.Duration {
	s.inMu.Lock()
	defer s.inMu.Unlock()
	return s.vad.CurrentTalk()
}

// setEndSilence changes the quiet that ends the callee's utterances (0:
// the session's configured one).
func (s *MediaSession) setEndSilence(d time.Duration) {
	s.inMu.Lock()
	defer s.inMu.Unlock()
	s.vad.SetEndSilence(d)
}
