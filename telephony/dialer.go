package telephony

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/outcall/outcall/phone"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Dialer places outbound calls. Start places one and returns once it is
// answered by a person (when answering-machine detection runs, once it
// has judged so): the LiveCall to talk to, whose End says how the call
// went. A call that nobody answered, that failed, or that a machine or a
// carrier's announcement answered has ended by then: Start returns no
// LiveCall, and the CallResult says how it went (Outcome, SIPCode,
// Reason). Start's error is set only when no call could be attempted (an
// invalid request, a closed dialer). SIPDialer.Dial does the same for a
// CallHandler.
type Dialer interface {
	Start(ctx context.Context, req DialRequest) (LiveCall, CallResult, error)
}

// LiveCall is an answered call that Start hands over: talk to the callee
// through its Call methods, then End it. Nothing of the call waits on its
// holder meanwhile: media, the callee hanging up, the maximum duration
// all run on their own.
type LiveCall interface {
	Call
	// Context is done once the call is over (whoever ended it), or once
	// the context Start was given is: what the conversation waits on
	// should wait on it.
	Context() context.Context
	// End hangs up (unless the callee did) and returns how the call went.
	// err is what the conversation came to: a *RecognitionError makes the
	// call failed; another error, but ErrCallEnded and context.Canceled,
	// is the reason it ended (CallResult.HandlerErr keeps it).
	End(err error) CallResult
}

// CallHandler talks to the callee once the call is answered (and, when
// detection ran, judged a person), for SIPDialer.Dial. When it returns the
// call is hung up if it is still up.
type CallHandler interface {
	HandleCall(ctx context.Context, call Call) error
}

// CallHandlerFunc adapts a function to CallHandler.
type CallHandlerFunc func(ctx context.Context, call Call) error

// HandleCall calls f.
func (f CallHandlerFunc) HandleCall(ctx context.Context, call Call) error { return f(ctx, call) }

// Call is an answered call as a handler sees it. Its methods return
// ErrCallEnded once the callee hung up or the media died.
type Call interface {
	// ID is the SIP Call-ID.
	ID() string
	// Say speaks text in the call's voice with an emotion. The callee
	// speaking (or pressing a key) interrupts it when barge-in is on.
	Say(ctx context.Context, text string, emotion Emotion) (SayResult, error)
	// SayWhole speaks text to its end whatever the callee does: a
	// disclosure the callee must hear cannot be barged over.
	SayWhole(ctx context.Context, text string, emotion Emotion) (SayResult, error)
	// SayParts speaks sentences as they come from parts, until parts is
	// closed: each plays once it is synthesised, while the next is still
	// being written (a language model's reply as it streams). Barge-in is
	// as for Say; once the callee interrupts, no more is taken from parts.
	// The transcript keeps the sentences that began to play.
	SayParts(ctx context.Context, parts <-chan string, emotion Emotion) (SayResult, error)
	// Listen waits for the callee's next utterance or DTMF and returns
	// what was heard. expect lists phrases the script is waiting for (a
	// grammar for offline recognisers, hints for the others).
	Listen(ctx context.Context, expect ...string) (Utterance, error)
	// ListenFor is Listen with the turn's own end-of-turn silence and
	// no-input timeout (a script state's listen).
	ListenFor(ctx context.Context, opts ListenOptions) (Utterance, error)
	// SendDTMF sends digits to the callee (RFC 4733).
	SendDTMF(ctx context.Context, digits string) error
	// Transfer hands the callee to target (a number or SIP URI) by REFER
	// and ends our leg; the call's outcome becomes transferred. When the
	// peer refuses REFER and target is a number, the dialer calls target
	// and bridges the two calls until either hangs up.
	Transfer(ctx context.Context, target string) error
	// Join connects the callee to leg (an agent's browser): prompts
	// stop, the callee hears the leg and the leg hears the callee, and
	// the recording keeps both voices (the leg's on the outbound
	// channel). The call's outcome becomes transferred, to label, and the
	// transcript notes "[connected to <label>]". Join returns when the
	// leg ends, after hanging up the callee (nil), or when the call ends
	// first (ErrCallEnded); when ctx ends first it parts the two and
	// returns ctx's error with the call still up (its outcome stays
	// transferred). A leg that has already ended is refused (ErrLegEnded)
	// and the call stays up. Join never closes leg: its owner does (the
	// same leg may be joined to another call). label names the agent for
	// the transcript and the transfer target (e.g.
	// "queue:collections/agent@example.com"); nothing in it is masked.
	Join(ctx context.Context, leg AudioLeg, label string) error
	// Hangup ends the call (BYE).
	Hangup(ctx context.Context) error
	// Transcript returns the transcript so far.
	Transcript() []TranscriptLine
	// Done is closed once the call is over (whoever ended it).
	Done() <-chan struct{}
}

// SayResult says how a prompt went out.
type SayResult struct {
	Played  time.Duration
	BargeIn bool // the callee interrupted it
	// Backchannels counts the callee's "嗯", "对", "uh-huh" that the
	// prompt went on through.
	Backchannels int
	// Sentences is how many of the prompt's sentences began to play (all
	// of them unless the callee interrupted or the call ended).
	Sentences int
}

// Utterance is what the callee said (or keyed) in one turn.
type Utterance struct {
	Text       string
	DTMF       string
	Confidence float64
	// NoInput is set when the callee said nothing before the timeout.
	NoInput bool
	// Talk is the utterance's length; SilenceBefore the pause before it.
	Talk          time.Duration
	SilenceBefore time.Duration
	// Simulated is set when the text came from the simulation channel.
	Simulated bool
	// EndedBy says what ended a spoken turn: EndedByRecognizer (a
	// streaming recogniser's own endpoint), EndedBySilence (our VAD) or
	// EndedByLimit; "" for keys and no input.
	EndedBy string
}

// ListenOptions are one turn's listening.
type ListenOptions struct {
	// Expect lists phrases the script is waiting for.
	Expect []string
	// EndSilence is the quiet that ends the callee's turn (0: the
	// dialer's VAD EndSilence).
	EndSilence time.Duration
	// Timeout is how long to wait for the callee to start (0: the
	// call's ListenTimeout).
	Timeout time.Duration
	// EarlyIntent ends the turn when a streaming recogniser's partial is
	// exactly one of the expected phrases, has held steady, and the callee
	// has paused (EndedByPartial), before the end-of-turn silence: for
	// short answers (是的, 不是). Off, a pause inside a longer answer ("yes
	// please, that would be lovely") cannot cut it.
	EarlyIntent bool
}

// ErrCallEnded is returned by Call methods after the call is over.
var ErrCallEnded = errors.New("call ended")

// ErrLegEnded is returned by Join for an audio leg that ended before it
// could be joined.
var ErrLegEnded = errors.New("the audio leg has already ended")

// ErrTransferRefused is returned by Transfer when the peer refuses REFER
// or the transfer target does not answer.
var ErrTransferRefused = errors.New("transfer refused")

// DialRequest is one call attempt.
type DialRequest struct {
	Trunk Trunk
	// To is the callee's number (E.164 or as the trunk wants it).
	To string
	// CallerID overrides the pick from the trunk's pool.
	CallerID string
	// RingTimeout: CANCEL and outcome no_answer after this long (0: 30 s).
	RingTimeout time.Duration
	// Voice for prompts ("en", "zh"/"cmn"; "" chooses by text).
	Voice string
	// Language for the recogniser, a tag such as "en" or "zh-CN" (each
	// recogniser sends it as its service takes it; "" lets it decide).
	Language string
	// Phrases the script expects callees to say in any turn (its intents'
	// examples): a grammar for recognisers that take one, hints or
	// hotwords for the others. Listen's expect adds a turn's own.
	Phrases []string
	// Hotwords are names and terms the callee may say that a recogniser
	// should favour (the contact's name): hints, never a grammar.
	Hotwords []string
	// DetectMachine runs answering-machine detection from the answer.
	DetectMachine bool
	// VoicemailMessage, when set and a machine answered, is spoken after
	// the greeting ends (message drop).
	VoicemailMessage string
	// NoBargeIn keeps prompts playing while the callee talks.
	NoBargeIn bool
	// ListenTimeout is the no-input timeout of Listen (0: 6 s).
	ListenTimeout time.Duration
	// MaxDuration caps the answered call (0: 30 minutes).
	MaxDuration time.Duration
	// RecordingKey stores the recording under this key in the dialer's
	// RecordingStore ("" with a store: "<Call-ID>.wav").
	RecordingKey string
	// NoRecording turns recording off for this call.
	NoRecording bool
	// Headers are extra SIP headers on the INVITE (e.g. X-Campaign).
	Headers map[string]string
	// TTS and ASR, when set, replace the dialer's speech providers for
	// this call (the tenant's own choice). A SimulationRecognizer here
	// hears the simulation channel only on a dialer in simulation mode
	// (DialerConfig.Simulation).
	TTS TTS
	ASR Recognizer
}

func (r DialRequest) validate() error {
	if err := r.Trunk.Validate(); err != nil {
		return err
	}
	if !validNumber(r.To) {
		return fmt.Errorf("callee number %q is not a phone number", phone.Mask(r.To))
	}
	if r.CallerID != "" && !validNumber(r.CallerID) {
		return fmt.Errorf("caller ID %q is not a phone number", phone.Mask(r.CallerID))
	}
	return nil
}

// DialerConfig configures a SIPDialer. The zero value works on loopback
// with no speech (Say fails) and no recordings.
type DialerConfig struct {
	// ListenIP is the local address for SIP and RTP (default 127.0.0.1).
	ListenIP string
	// ListenPort is the local SIP UDP port (0: any free port).
	ListenPort int
	// TLSConfig for trunks with transport tls.
	TLSConfig *tls.Config
	// NoBridge makes Transfer fail when the peer refuses REFER instead of
	// calling the target and bridging the two calls.
	NoBridge bool
	// Clock paces RTP; nil starts one owned by the dialer.
	Clock *MediaClock
	// TTS speaks prompts (wrap it in CachedTTS).
	TTS TTS
	// ASR transcribes utterances (nil: DTMF only).
	ASR Recognizer
	// Recordings stores two-channel call recordings (nil: none).
	Recordings RecordingStore
	// RTPTimeout hangs up when the peer sends no media this long (0: 10 s).
	RTPTimeout time.Duration
	// SymmetricRTP latches on to where the carrier's RTP comes from even
	// when its SDP names a public address (carriers behind NAT that
	// advertise an address they do not send from). RTP is taken in only
	// from the address the peer's SDP gives; when that address is private
	// or unroutable, or this is set, the first packet from the SDP's host
	// or the trunk's signalling address, within RTPLatchWindow, fixes the
	// peer's address instead (see MediaSession.SetPeer).
	SymmetricRTP bool
	// RTPLatchWindow is how long after the answer (or early media) the
	// call may latch on to a source (0: 5 s).
	RTPLatchWindow time.Duration
	// Simulation accepts the callee simulator's text channel: what it
	// says, sent as SIP INFO with SimulationContentType, is taken as what
	// the callee said by calls whose recogniser is SimulationRecognizer.
	// It is on when ASR is a SimulationRecognizer (outcall dev, tests,
	// benchmarks). Off, such INFO is answered 415 and its text dropped: a
	// peer on a real trunk must not be able to put words in the callee's
	// mouth.
	Simulation bool
	// VAD tunes end-of-speech detection (zero: DefaultVADConfig).
	VAD VADConfig
	// AMD tunes machine detection (zero: DefaultAMDConfig).
	AMD AMDConfig
	// UserAgent header (default "outcall").
	UserAgent string
	Logger    *slog.Logger
}

// SIPDialer is the Dialer on sipgo: one SIP user agent with a UDP socket
// for in-dialog requests, shared by all calls.
type SIPDialer struct {
	cfg       DialerConfig
	ua        *sipgo.UserAgent
	srv       *sipgo.Server
	udpClient *sipgo.Client
	strClient *sipgo.Client
	udpConn   net.PacketConn
	tcpLn     net.Listener
	contact   sip.ContactHeader
	localIP   net.IP
	clock     *MediaClock
	ownClock  bool
	log       *slog.Logger

	calls  sync.Map // Call-ID -> *sipCall
	active atomic.Int64
	closed atomic.Bool
	ctx    context.Context
	cancel context.CancelFunc
}

// NewSIPDialer starts the user agent.
func NewSIPDialer(cfg DialerConfig) (*SIPDialer, error) {
	if cfg.ListenIP == "" {
		cfg.ListenIP = "127.0.0.1"
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "outcall"
	}
	if cfg.AMD == (AMDConfig{}) {
		cfg.AMD = DefaultAMDConfig()
	}
	if cfg.VAD == (VADConfig{}) {
		cfg.VAD = DefaultVADConfig()
	}
	if isSimulation(cfg.ASR) {
		cfg.Simulation = true
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ip := net.ParseIP(cfg.ListenIP)
	if ip == nil {
		return nil, fmt.Errorf("listen IP %q is not an IP address", cfg.ListenIP)
	}
	uaOpts := []sipgo.UserAgentOption{sipgo.WithUserAgent(cfg.UserAgent), sipgo.WithUserAgentHostname(cfg.ListenIP),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(log),
			// 2xx retransmissions after the dialog ended are expected
			// under load; they need no log line each.
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {}))}
	if cfg.TLSConfig != nil {
		uaOpts = append(uaOpts, sipgo.WithUserAgenTLSConfig(cfg.TLSConfig))
	}
	ua, err := sipgo.NewUA(uaOpts...)
	if err != nil {
		return nil, err
	}
	// TCP on the same port as UDP, so in-dialog requests of TCP trunks
	// (BYE, NOTIFY) reach the Contact we advertise.
	addr := net.JoinHostPort(cfg.ListenIP, strconv.Itoa(cfg.ListenPort))
	conn, tcpLn, tcpErr := ListenUDPAndTCP(addr)
	if tcpErr != nil {
		if conn, err = net.ListenPacket("udp", addr); err != nil {
			ua.Close()
			return nil, fmt.Errorf("listen for SIP: %w", err)
		}
		log.Warn("no TCP listener for SIP; TCP trunks cannot send in-dialog requests", "addr", conn.LocalAddr().String(), "err", tcpErr)
	}
	unlisten := func() {
		ua.Close()
		conn.Close()
		if tcpLn != nil {
			tcpLn.Close()
		}
	}
	laddr := conn.LocalAddr().(*net.UDPAddr)
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		unlisten()
		return nil, err
	}
	udpClient, err := sipgo.NewClient(ua, sipgo.WithClientHostname(cfg.ListenIP), sipgo.WithClientConnectionAddr(laddr.String()), sipgo.WithClientLogger(log))
	if err != nil {
		unlisten()
		return nil, err
	}
	strClient, err := sipgo.NewClient(ua, sipgo.WithClientHostname(cfg.ListenIP), sipgo.WithClientLogger(log))
	if err != nil {
		unlisten()
		return nil, err
	}
	d := &SIPDialer{
		cfg: cfg, ua: ua, srv: srv, udpClient: udpClient, strClient: strClient, udpConn: conn, tcpLn: tcpLn,
		contact: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "outcall", Host: cfg.ListenIP, Port: laddr.Port}},
		localIP: ip, clock: cfg.Clock, log: log,
	}
	if d.clock == nil {
		d.clock = NewMediaClock(0)
		d.ownClock = true
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	srv.OnBye(d.onBye)
	srv.OnInfo(d.onInfo)
	srv.OnNotify(d.onNotify)
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 603, "Outbound Only", nil))
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {})
	if err := serveUDP(ua, srv, conn); err != nil {
		d.Close()
		return nil, err
	}
	if tcpLn != nil {
		go srv.ServeTCP(tcpLn)
	}
	return d, nil
}

// Addr is the dialer's SIP address (host:port, UDP).
func (d *SIPDialer) Addr() string { return d.udpConn.LocalAddr().String() }

// Close hangs up every call and stops the user agent.
func (d *SIPDialer) Close() error {
	if !d.closed.CompareAndSwap(false, true) {
		return nil
	}
	d.cancel()
	for i := 0; i < 100 && d.active.Load() > 0; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	d.srv.Close()
	d.ua.Close()
	d.udpConn.Close()
	if d.tcpLn != nil {
		d.tcpLn.Close()
	}
	if d.ownClock {
		d.clock.Close()
	}
	return nil
}

func (d *SIPDialer) lookup(req *sip.Request) *sipCall {
	cid := req.CallID()
	if cid == nil {
		return nil
	}
	if v, ok := d.calls.Load(cid.Value()); ok {
		return v.(*sipCall)
	}
	return nil
}

func (d *SIPDialer) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := d.lookup(req)
	if c == nil || c.sess == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	if err := c.sess.ReadBye(req, tx); err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return
	}
	c.end("callee", "callee hung up")
}

// SimulationContentType marks SIP INFO bodies of the simulation channel:
// the callee simulator's text of what it is saying.
const SimulationContentType = "application/x-outcall-simulation"

// isSimulation reports whether r is the simulation channel's recogniser.
// ASR is the dialer's own recogniser: what calls use when their request
// names none (nil: keys only).
func (d *SIPDialer) ASR() Recognizer { return d.cfg.ASR }

// Simulation reports whether the dialer takes the callee simulator's text
// channel (DialerConfig.Simulation): its calls' SimulationRecognizer then
// hears what the simulator says it spoke, and nothing else.
func (d *SIPDialer) Simulation() bool { return d.cfg.Simulation }

func isSimulation(r Recognizer) bool {
	switch r.(type) {
	case SimulationRecognizer, *SimulationRecognizer, SimulationStreamingRecognizer, *SimulationStreamingRecognizer:
		return true
	}
	return false
}

// onInfo answers INFO. The simulation channel's text is taken only by a
// call that listens to it (simText is nil otherwise); elsewhere that body
// is refused with 415 and dropped. Other INFO (DTMF relay and the like)
// is answered 200 and ignored, as before: DTMF comes as RFC 4733 events.
func (d *SIPDialer) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := d.lookup(req)
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	ct := req.ContentType()
	if ct == nil || !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct.Value())), SimulationContentType) {
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		return
	}
	if c.simText == nil {
		c.simRefused.Add(1)
		res := sip.NewResponseFromRequest(req, 415, "Unsupported Media Type", nil)
		res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
		tx.Respond(res)
		return
	}
	tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	select {
	case c.simText <- string(req.Body()):
	default:
	}
}

func (d *SIPDialer) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	c := d.lookup(req)
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	// Body is a sipfrag: "SIP/2.0 200 OK".
	fields := strings.Fields(string(req.Body()))
	if len(fields) >= 2 {
		if code, err := strconv.Atoi(fields[1]); err == nil {
			select {
			case c.notify <- code:
			default:
			}
		}
	}
}

func newCallID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

var errRingTimeout = errors.New("ring timeout")

// Dial places the call; see Dialer.
func (d *SIPDialer) Dial(ctx context.Context, req DialRequest, h CallHandler) (CallResult, error) {
	c, res, err := d.Start(ctx, req)
	if c == nil || err != nil {
		return res, err
	}
	return c.End(handle(c, h)), nil
}

// handle runs h on an answered call, a panic in it being its error.
func handle(c LiveCall, h CallHandler) (err error) {
	if h == nil {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("call handler panicked: %v", p)
		}
	}()
	return h.HandleCall(c.Context(), c)
}

// Start places one outbound call (see Dialer).
func (d *SIPDialer) Start(ctx context.Context, req DialRequest) (LiveCall, CallResult, error) {
	res := CallResult{Started: time.Now(), TrunkID: req.Trunk.ID}
	if d.closed.Load() {
		return nil, res, errors.New("dialer is closed")
	}
	if err := req.validate(); err != nil {
		return nil, res, err
	}
	if req.RingTimeout <= 0 {
		req.RingTimeout = 30 * time.Second
	}
	if req.MaxDuration <= 0 {
		req.MaxDuration = 30 * time.Minute
	}
	if req.ListenTimeout <= 0 {
		req.ListenTimeout = 6 * time.Second
	}
	// What the call holds is let go at its end, last taken first: at
	// Start's return when nobody answered, at End otherwise.
	var held []func()
	hold := func(f func()) { held = append(held, f) }
	release := func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i]()
		}
	}
	d.active.Add(1)
	hold(func() { d.active.Add(-1) })

	res.CallID = newCallID()
	res.CallerID = req.Trunk.PickCallerID(req.CallerID)
	finish := func(o Outcome, reason string) (LiveCall, CallResult, error) {
		release()
		return nil, d.ended(&res, req, o, reason), nil
	}

	record := d.cfg.Recordings != nil && !req.NoRecording
	media, err := NewMediaSession(d.clock, MediaConfig{LocalIP: d.localIP, RTPTimeout: d.cfg.RTPTimeout, VAD: d.cfg.VAD, Record: record, MaxRecord: req.MaxDuration,
		SymmetricRTP: d.cfg.SymmetricRTP, LatchWindow: d.cfg.RTPLatchWindow})
	if err != nil {
		return finish(OutcomeFailed, "no RTP port: "+err.Error())
	}
	hold(func() { media.Close() })
	offer, err := BuildSDP(MediaOffer{Addr: media.LocalAddr(), Codecs: []Codec{PCMU, PCMA}, DTMFPT: DTMFPayloadType})
	if err != nil {
		return finish(OutcomeFailed, "build SDP: "+err.Error())
	}

	tr := req.Trunk.transport()
	recipient := sip.Uri{Scheme: "sip", User: req.To, Host: req.Trunk.Host, Port: req.Trunk.port()}
	if tr != "udp" {
		recipient.UriParams = sip.NewParams()
		recipient.UriParams.Add("transport", tr)
	}
	invite := sip.NewRequest(sip.INVITE, recipient)
	invite.SetTransport(strings.ToUpper(tr))
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: res.CallerID, Host: req.Trunk.fromDomain()}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: req.To, Host: req.Trunk.Host}, Params: sip.NewParams()}
	callID := sip.CallIDHeader(res.CallID)
	contact := d.contact
	client := d.udpClient
	if tr != "udp" {
		client = d.strClient
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", tr)
	}
	invite.AppendHeader(from)
	invite.AppendHeader(to)
	invite.AppendHeader(&callID)
	invite.AppendHeader(&contact)
	invite.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	invite.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, REFER"))
	for k, v := range req.Headers {
		invite.AppendHeader(sip.NewHeader(k, v))
	}
	invite.SetBody(offer)

	call := &sipCall{d: d, req: req, media: media, res: &res, notify: make(chan int, 8), record: record}
	asr := req.ASR
	if asr == nil {
		asr = d.cfg.ASR
	}
	if d.cfg.Simulation && isSimulation(asr) {
		call.simText = make(chan string, 16)
	}
	call.ctx, call.cancel = context.WithCancelCause(context.Background())
	hold(func() { call.cancel(nil) })
	d.calls.Store(res.CallID, call)
	hold(func() { d.calls.Delete(res.CallID) })

	dua := &sipgo.DialogUA{Client: client, ContactHDR: contact}
	inviteCtx, inviteCancel := context.WithTimeout(ctx, req.RingTimeout+40*time.Second)
	hold(inviteCancel)
	sess, err := dua.WriteInvite(inviteCtx, invite)
	if err != nil {
		return finish(OutcomeFailed, "send INVITE to trunk "+req.Trunk.HostPort()+": "+err.Error())
	}
	hold(func() { sess.Close() })
	call.sess = sess

	var gotProvisional atomic.Bool
	var early *earlyWatch // reads carriers' announcements in early media
	var earlyOnce sync.Once
	ringCtx, ringCancel := context.WithCancelCause(ctx)
	hold(func() { ringCancel(nil) })
	stopDial := context.AfterFunc(d.ctx, func() { ringCancel(errors.New("dialer closing")) })
	hold(func() { stopDial() })
	ringTimer := time.AfterFunc(req.RingTimeout, func() {
		if gotProvisional.Load() {
			ringCancel(errRingTimeout)
		} else {
			// CANCEL is only allowed after a provisional response; with none
			// there is nothing to cancel, just stop waiting.
			ringCancel(sipgo.WaitAnswerForceCancelErr)
		}
	})
	hold(func() { ringTimer.Stop() })

	err = sess.WaitAnswer(ringCtx, sipgo.AnswerOptions{
		Username: req.Trunk.Username,
		Password: req.Trunk.Password,
		OnResponse: func(r *sip.Response) error {
			if r.IsProvisional() {
				gotProvisional.Store(true)
				if r.StatusCode != 100 && len(r.Body()) > 0 {
					if o, err := ParseSDP(r.Body()); err == nil {
						media.SetPeer(o.Addr, signallingHosts(req.Trunk, r)...)
						res.EarlyMedia = true
						if req.DetectMachine {
							earlyOnce.Do(func() { early = call.watchEarlyMedia(ringCancel) })
						}
					}
				}
			}
			return nil
		},
	})
	ringTimer.Stop()
	earlyOnce.Do(func() {}) // no watch starts after this
	early.end()
	res.RingTime = time.Since(res.Started)
	if err != nil {
		var dr *sipgo.ErrDialogResponse
		if errors.As(err, &dr) {
			res.SIPCode, res.SIPReason = dr.Res.StatusCode, dr.Res.Reason
			return finish(OutcomeForStatus(dr.Res.StatusCode), statusReason(dr.Res.StatusCode, dr.Res.Reason))
		}
		if r := sess.InviteResponse; r != nil && !r.IsProvisional() && !r.IsSuccess() {
			res.SIPCode, res.SIPReason = r.StatusCode, r.Reason
		}
		cause := context.Cause(ringCtx)
		var announced *errEarlyAnnouncement
		switch {
		case errors.As(cause, &announced):
			res.EarlyAnnouncement = announced.said
			return finish(announced.outcome, announced.Error())
		case errors.Is(cause, errRingTimeout):
			return finish(OutcomeNoAnswer, fmt.Sprintf("ring timeout after %s, CANCEL sent", req.RingTimeout))
		case errors.Is(cause, sipgo.WaitAnswerForceCancelErr):
			return finish(OutcomeFailed, fmt.Sprintf("no response from trunk %s within %s", req.Trunk.HostPort(), req.RingTimeout))
		case ctx.Err() != nil:
			return finish(OutcomeFailed, "dial cancelled: "+context.Cause(ctx).Error())
		case cause != nil:
			return finish(OutcomeFailed, "dial cancelled: "+cause.Error())
		}
		if errors.Is(err, sip.ErrTransactionTimeout) {
			return finish(OutcomeFailed, "no response from trunk "+req.Trunk.HostPort()+" (SIP timeout)")
		}
		return finish(OutcomeFailed, "INVITE failed: "+err.Error())
	}
	res.SIPCode, res.SIPReason = sess.InviteResponse.StatusCode, sess.InviteResponse.Reason

	// Answered: check the SDP before confirming with ACK.
	answer, perr := ParseSDP(sess.InviteResponse.Body())
	var codec Codec
	if perr == nil {
		codec, perr = Negotiate([]Codec{PCMU, PCMA}, answer)
	}
	if err := sess.Ack(ctx); err != nil {
		return finish(OutcomeFailed, "send ACK: "+err.Error())
	}
	if perr != nil {
		call.bye()
		return finish(OutcomeFailed, "answer SDP unusable, hung up: "+perr.Error())
	}
	res.Codec = codec.Name
	media.SetCodec(codec, answer.DTMFPT)
	media.SetPeer(answer.Addr, signallingHosts(req.Trunk, sess.InviteResponse)...)
	res.Answered = time.Now()
	media.resetInbound()
	media.Start()
	call.answered = res.Answered
	call.answer = answer
	call.release = release
	d.log.Info("call answered", "call_id", res.CallID, "to", phone.Mask(req.To), "codec", codec.Name)

	call.watch(ctx)
	if outcome, ended := call.screen(); ended {
		return nil, call.wrapUp(outcome, call.reason()), nil
	}
	if call.ctx.Err() != nil {
		// The callee hung up (or the call was ended) while it was being
		// screened: there is nobody to talk to.
		return nil, call.End(nil), nil
	}
	return call, res, nil
}

// ended sets how the call ended on res, logs it and returns it.
func (d *SIPDialer) ended(res *CallResult, req DialRequest, o Outcome, reason string) CallResult {
	res.Outcome, res.Reason = o, reason
	res.Ended = time.Now()
	if !res.Answered.IsZero() {
		res.Talk = res.Ended.Sub(res.Answered)
	}
	d.log.Info("call ended", "call_id", res.CallID, "to", phone.Mask(req.To), "outcome", o, "sip_code", res.SIPCode, "reason", reason)
	return *res
}

// wrapUp finishes an answered call that has ended: its recording stored,
// its transcript and media statistics kept, what it held let go.
func (c *sipCall) wrapUp(outcome Outcome, reason string) CallResult {
	d, req, res, media := c.d, c.req, c.res, c.media
	if c.record {
		if wavBytes, _, err := media.AIRecording(res.CallID); err == nil && len(wavBytes) > 0 {
			key := req.RecordingKey
			if key == "" {
				key = res.CallID + ".wav"
			}
			if err := d.cfg.Recordings.Put(context.Background(), key, strings.NewReader(string(wavBytes))); err == nil {
				res.RecordingKey = key
			} else {
				d.log.Warn("recording not stored", "call_id", res.CallID, "err", err)
			}
		}
	}
	res.Transcript = c.Transcript()
	res.Media = media.Stats()
	if n := res.Media.ForeignPacketsIn; n > 0 {
		d.log.Warn("RTP from addresses other than the peer's dropped", "call_id", res.CallID, "packets", n,
			"peer", c.answer.Addr.String(), "latched_to", res.Media.LatchedTo)
	}
	if n := c.simRefused.Load(); n > 0 {
		d.log.Warn("simulation text over SIP INFO refused: this call does not take the simulation channel", "call_id", res.CallID, "requests", n)
	}
	c.release()
	return d.ended(res, req, outcome, reason)
}

// signallingHosts are the peer's signalling addresses that RTP may be
// latched on to from: where the response carrying the SDP came from, and
// the trunk's host when it is an IP address.
func signallingHosts(t Trunk, r *sip.Response) []net.IP {
	var ips []net.IP
	if host, _, err := net.SplitHostPort(r.Source()); err == nil {
		if ip := net.ParseIP(host); ip != nil {
			ips = append(ips, ip)
		}
	}
	if ip := net.ParseIP(t.Host); ip != nil {
		ips = append(ips, ip)
	}
	return ips
}

// TrunkHealth is the answer to an OPTIONS ping.
type TrunkHealth struct {
	Up      bool
	SIPCode int
	Reason  string
	RTT     time.Duration
}

// Ping sends OPTIONS to the trunk: any response (even 4xx) means the
// trunk is reachable; a timeout means it is down.
func (d *SIPDialer) Ping(ctx context.Context, t Trunk) (TrunkHealth, error) {
	if err := t.Validate(); err != nil {
		return TrunkHealth{}, err
	}
	tr := t.transport()
	uri := sip.Uri{Scheme: "sip", Host: t.Host, Port: t.port()}
	req := sip.NewRequest(sip.OPTIONS, uri)
	req.SetTransport(strings.ToUpper(tr))
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "outcall", Host: t.fromDomain()}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	client := d.udpClient
	if tr != "udp" {
		client = d.strClient
	}
	start := time.Now()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	r, err := client.Do(ctx, req)
	h := TrunkHealth{RTT: time.Since(start)}
	if err != nil {
		h.Reason = "no answer to OPTIONS: " + err.Error()
		return h, nil
	}
	h.Up, h.SIPCode, h.Reason = true, r.StatusCode, r.Reason
	return h, nil
}

// listenPacket opens a UDP socket; tests replace it to hand out a port
// they have taken for TCP.
var listenPacket = net.ListenPacket

// ListenUDPAndTCP opens a UDP socket and a TCP listener on the same port.
// With port 0 the pair is chosen together: the free UDP port the system
// picks may be taken for TCP by another process, so such a port is given up
// for the next one.
func ListenUDPAndTCP(addr string) (net.PacketConn, net.Listener, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, err
	}
	ephemeral := port == "" || port == "0"
	for attempt := 0; ; attempt++ {
		conn, err := listenPacket("udp", addr)
		if err != nil {
			return nil, nil, err
		}
		tl, err := net.Listen("tcp", conn.LocalAddr().String())
		if err == nil {
			return conn, tl, nil
		}
		conn.Close()
		if !ephemeral || attempt == 20 {
			return nil, nil, err
		}
	}
}

// serveUDP starts serving SIP on conn and returns once the transport layer
// knows the socket, so requests sent right away leave from it (otherwise
// the client would try to bind the same port again).
func serveUDP(ua *sipgo.UserAgent, srv *sipgo.Server, conn net.PacketConn) error {
	go srv.ServeUDP(conn)
	addr := conn.LocalAddr().String()
	for i := 0; i < 500; i++ {
		if c, _ := ua.TransportLayer().GetConnection("udp", addr); c != nil {
			return nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	return fmt.Errorf("SIP listener on %s did not start", addr)
}

// ServeUDPReady is serveUDP for other packages of the module (the callee
// simulator).
func ServeUDPReady(ua *sipgo.UserAgent, srv *sipgo.Server, conn net.PacketConn) error {
	return serveUDP(ua, srv, conn)
}
