// Package calleesim is the callee simulator: a SIP user agent server on
// loopback that answers outcall's calls like a crowd of people, from
// personas (answer probability, ring time, busy and no-answer shares,
// voicemail boxes, what each person says turn by turn as espeak-ng audio or
// DTMF, pauses, barge-ins and hang-ups; an answer rate that can depend on
// the callee's local hour, in the persona's time zone or the dialled
// number's, by the simulator's own clock, Config.Now). Alongside its audio
// it sends the text of each line over the simulation channel (SIP INFO
// with telephony.SimulationContentType), which
// telephony.SimulationRecognizer reads in simulation mode.
//
//	sim, err := calleesim.Start(ctx, calleesim.Config{Personas: calleesim.DefaultPersonas()})
//	defer sim.Close()
//	trunk := sim.Trunk() // dial any number through it
package calleesim

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/outcall/outcall/telephony"
)

// Config configures a simulator.
type Config struct {
	// ListenAddr is the UDP address (default 127.0.0.1:0, a free port).
	ListenAddr string
	Personas   []Persona
	// TTS makes the personas' audio (default: espeak-ng with a cache).
	TTS telephony.TTS
	// Clock paces the simulator's RTP (nil: its own).
	Clock *telephony.MediaClock
	// Username and Password, when set, make every INVITE answer a digest
	// challenge first (a trunk with authentication).
	Username, Password string
	// KeepAudio keeps each call's two-channel recording in its CallRecord
	// (left: the simulator, right: what it heard).
	KeepAudio bool
	// RequireRegistration refuses INVITEs (403) from an account (Username,
	// else the From user) with no current registration, as carriers that want trunks to
	// REGISTER do; REGISTER is answered (after the digest challenge, when
	// Username is set) granting at most RegisterExpires (default 3600 s).
	RequireRegistration bool
	RegisterExpires     time.Duration
	// Unavailable answers every INVITE 503 Service Unavailable, as a
	// carrier that is down or over its capacity does (and records it as
	// "unavailable").
	Unavailable bool
	// TCP also answers over TCP on the same port (dial with a trunk whose
	// Transport is "tcp").
	TCP bool
	// TLS, when set, also answers SIP over TLS on its own port (TLSAddr)
	// with this configuration (its certificate).
	TLS *tls.Config
	// Seed makes persona choices repeatable (0: random).
	Seed uint64
	// Now is the simulator's clock, which says the callees' local time for
	// their answer_by_hour (nil: the wall clock). Benchmarks give it the
	// simulated clock their pacer runs on, so hours pass without waiting
	// for them.
	Now    func() time.Time
	Logger *slog.Logger
}

// CallRecord is what the simulator saw of one call.
type CallRecord struct {
	CallID  string
	Persona string
	Kind    Kind
	// Number is the dialled number (the Request-URI's user).
	Number string
	// Ref is the caller's own id of the call, from its X-Outcall-Call
	// header (outcall sends its call record's id), or empty.
	Ref string
	// LocalTime is the callee's local time when the INVITE arrived, by the
	// simulator's clock (Config.Now) in the persona's time zone.
	LocalTime time.Time
	// Result is answered, busy, no_answer, reject, invalid, unauthorized,
	// cancelled, no_codec, unavailable (Config.Unavailable) or unregistered
	// (Config.RequireRegistration).
	Result string
	// Cancelled is set when the caller sent CANCEL while it rang.
	Cancelled bool
	// DTMF the caller sent.
	DTMF string
	// ReferTo is the transfer target asked for by REFER.
	ReferTo string
	// ReferRefused is set when the persona declined the REFER (603).
	ReferRefused bool
	// HangupBy is "caller" or "callee".
	HangupBy string
	// Audio is the recording when Config.KeepAudio is set.
	Audio []byte
	// Heard is the caller's audio duration the simulator's VAD detected.
	Heard time.Duration
	// Replies are the caller's voice-to-voice times: from the end of each
	// line's speech (its last loud packet) to the first loud packet of
	// the caller's next prompt, for lines the caller did not talk over.
	Replies []time.Duration
	// TalkedOver counts the caller's prompts that began while the callee
	// was saying a line it had begun first: a caller that does not wait
	// for the callee to finish.
	TalkedOver int
	// TextAnswers are the caller's status codes for the simulation
	// channel's INFO requests, in the order they came (200 from a caller
	// in simulation mode, 415 from one that refuses the text).
	TextAnswers []int
	// CallerRTP is the caller's RTP address from its SDP offer.
	CallerRTP string
	Done      bool
}

// Simulator is a running callee simulator.
type Simulator struct {
	cfg     Config
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	client  *sipgo.Client
	dialogs *sipgo.DialogServerCache
	// tlsDialogs holds the dialogs that came over TLS: their Contact
	// names the TLS port, so in-dialog requests come back over TLS.
	tlsDialogs *sipgo.DialogServerCache
	conn       net.PacketConn
	tcpLn      net.Listener
	tlsLn      net.Listener
	clock      *telephony.MediaClock
	owns       bool
	tts        telephony.TTS
	log        *slog.Logger

	rngMu sync.Mutex
	rng   *rand.Rand

	mu      sync.Mutex
	records map[string]*CallRecord
	// bindings are the registrations: user → when it lapses; registers
	// counts the REGISTERs answered 200.
	bindings  map[string]time.Time
	registers int
	changed   chan struct{}

	active atomic.Int64
	// admit orders the calls' admission against Close: a call is let in
	// (wg.Add) only while the simulator is open, never while Close waits.
	admit  sync.Mutex
	closed bool
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
	nonce  string
}

// Start listens and answers until Close or ctx ends.
func Start(ctx context.Context, cfg Config) (*Simulator, error) {
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if len(cfg.Personas) == 0 {
		cfg.Personas = DefaultPersonas()
	}
	for _, p := range cfg.Personas {
		if err := p.Validate(); err != nil {
			return nil, err
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var conn net.PacketConn
	var tcpLn net.Listener
	var err error
	if cfg.TCP {
		conn, tcpLn, err = telephony.ListenUDPAndTCP(cfg.ListenAddr)
	} else {
		conn, err = net.ListenPacket("udp", cfg.ListenAddr)
	}
	if err != nil {
		return nil, fmt.Errorf("callee-sim listen: %w", err)
	}
	laddr := conn.LocalAddr().(*net.UDPAddr)
	host := laddr.IP.String()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("outcall-callee-sim"), sipgo.WithUserAgentHostname(host),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})))
	if err != nil {
		conn.Close()
		if tcpLn != nil {
			tcpLn.Close()
		}
		return nil, err
	}
	srv, _ := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	client, _ := sipgo.NewClient(ua, sipgo.WithClientHostname(host), sipgo.WithClientConnectionAddr(laddr.String()), sipgo.WithClientLogger(log))
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "callee", Host: host, Port: laddr.Port}}
	s := &Simulator{
		cfg: cfg, ua: ua, srv: srv, client: client, conn: conn, tcpLn: tcpLn, log: log,
		dialogs: sipgo.NewDialogServerCache(client, contact),
		records: map[string]*CallRecord{}, changed: make(chan struct{}),
		nonce: strconv.FormatInt(time.Now().UnixNano(), 16),
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s.clock = cfg.Clock
	if s.clock == nil {
		s.clock = telephony.NewMediaClock(0)
		s.owns = true
	}
	s.tts = cfg.TTS
	if s.tts == nil {
		s.tts = telephony.NewCachedTTS(telephony.EspeakTTS{}, 256)
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	srv.OnInvite(s.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { s.dialogsFor(req).ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := s.dialogsFor(req).ReadBye(req, tx); err != nil {
			tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		}
	})
	srv.OnRefer(s.onRefer)
	srv.OnRegister(s.onRegister)
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	srv.OnInfo(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	if err := telephony.ServeUDPReady(ua, srv, conn); err != nil {
		s.Close()
		return nil, err
	}
	if tcpLn != nil {
		go srv.ServeTCP(tcpLn)
	}
	if cfg.TLS != nil {
		tl, err := tls.Listen("tcp", net.JoinHostPort(laddr.IP.String(), "0"), cfg.TLS)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("callee-sim listen tls: %w", err)
		}
		s.tlsLn = tl
		s.tlsDialogs = sipgo.NewDialogServerCache(client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "callee", Host: host,
			Port: tl.Addr().(*net.TCPAddr).Port, UriParams: sip.HeaderParams{{K: "transport", V: "tls"}}}})
		go srv.ServeTLS(tl)
	}
	return s, nil
}

// ringOut leaves an unanswered call ringing until the caller cancels it
// or ring passes (or the simulator closes), when it answers 480; it
// returns the call's result.
func (s *Simulator) ringOut(dlg *sipgo.DialogServerSession, callID string, ring time.Duration) string {
	select {
	case <-dlg.Context().Done():
		s.update(callID, func(r *CallRecord) { r.Cancelled = true })
		return "cancelled"
	case <-time.After(ring):
	case <-s.ctx.Done():
	}
	dlg.Respond(480, "Temporarily Unavailable", nil)
	return "no_answer"
}

func (s *Simulator) dialogsFor(req *sip.Request) *sipgo.DialogServerCache {
	if s.tlsDialogs != nil && strings.EqualFold(req.Transport(), "tls") {
		return s.tlsDialogs
	}
	return s.dialogs
}

// inDialogRequest addresses a request to the caller's Contact. Over TLS
// it goes back on the connection the INVITE came in on (connection reuse,
// RFC 5923): callers over TLS seldom accept connections of their own.
func inDialogRequest(dlg *sipgo.DialogServerSession, method sip.RequestMethod) *sip.Request {
	inv := dlg.InviteRequest
	req := sip.NewRequest(method, inv.Contact().Address)
	req.SetTransport(inv.Transport())
	if strings.EqualFold(inv.Transport(), "tls") {
		req.SetDestination(inv.Source())
	}
	return req
}

// TLSTrunk returns a trunk that reaches the simulator over TLS (Config.TLS
// must be set).
func (s *Simulator) TLSTrunk() telephony.Trunk {
	t := s.Trunk()
	if s.tlsLn != nil {
		t.Transport, t.Port = "tls", s.tlsLn.Addr().(*net.TCPAddr).Port
	}
	return t
}

// Addr is the simulator's SIP address, host:port over UDP.
func (s *Simulator) Addr() string { return s.conn.LocalAddr().String() }

// Trunk returns a trunk that sends calls to the simulator.
func (s *Simulator) Trunk() telephony.Trunk {
	a := s.conn.LocalAddr().(*net.UDPAddr)
	return telephony.Trunk{ID: "callee-sim", Host: a.IP.String(), Port: a.Port, Transport: "udp",
		Username: s.cfg.Username, Password: s.cfg.Password, CallerIDs: []string{"+10000000001", "+10000000002"}}
}

// Active is the number of calls in progress.
func (s *Simulator) Active() int { return int(s.active.Load()) }

// Close hangs up and stops.
func (s *Simulator) Close() error {
	s.admit.Lock()
	s.closed = true
	s.admit.Unlock()
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	s.srv.Close()
	s.ua.Close()
	s.conn.Close()
	if s.tlsLn != nil {
		s.tlsLn.Close()
	}
	if s.tcpLn != nil {
		s.tcpLn.Close()
	}
	if s.owns {
		s.clock.Close()
	}
	return nil
}

// WaitRecord waits until the simulator has finished with a call.
func (s *Simulator) WaitRecord(ctx context.Context, callID string) (CallRecord, error) {
	for {
		s.mu.Lock()
		r, ok := s.records[callID]
		var out CallRecord
		if ok {
			out = *r
		}
		ch := s.changed
		s.mu.Unlock()
		if ok && out.Done {
			return out, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return out, fmt.Errorf("callee-sim: call %s not finished: %w", callID, ctx.Err())
		}
	}
}

// Records returns every call seen so far.
func (s *Simulator) Records() []CallRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CallRecord, 0, len(s.records))
	for _, r := range s.records {
		out = append(out, *r)
	}
	return out
}

func (s *Simulator) update(callID string, f func(r *CallRecord)) {
	s.mu.Lock()
	r, ok := s.records[callID]
	if !ok {
		r = &CallRecord{CallID: callID}
		s.records[callID] = r
	}
	f(r)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

func (s *Simulator) float() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64()
}

func (s *Simulator) pick(number string) Persona {
	for _, p := range s.cfg.Personas {
		for _, n := range p.Numbers {
			if n == number {
				return p
			}
		}
	}
	total := 0.0
	for _, p := range s.cfg.Personas {
		total += max(p.Weight, 0)
	}
	if total == 0 {
		return s.cfg.Personas[0]
	}
	x := s.float() * total
	for _, p := range s.cfg.Personas {
		x -= max(p.Weight, 0)
		if x < 0 {
			return p
		}
	}
	return s.cfg.Personas[len(s.cfg.Personas)-1]
}

func (s *Simulator) unanswered(p Persona) string {
	total := 0.0
	for _, w := range p.Unanswered {
		total += w
	}
	if total == 0 {
		return "no_answer"
	}
	x := s.float() * total
	for _, k := range []string{"busy", "no_answer", "reject", "invalid"} {
		x -= p.Unanswered[k]
		if x < 0 {
			return k
		}
	}
	return "no_answer"
}

// Registered reports whether user has a current registration, and how
// many REGISTERs were accepted in all.
func (s *Simulator) Registered(user string) (bool, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Before(s.bindings[user]), s.registers
}

// onRegister answers REGISTER as a carrier's registrar: the digest
// challenge first (when Username is set), then 200 with the expiry it
// grants (Expires: 0 removes the binding).
func (s *Simulator) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	if !s.authorized(req, tx) {
		return
	}
	asked := 3600 * time.Second
	if h := req.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n >= 0 {
			asked = time.Duration(n) * time.Second
		}
	}
	granted := min(asked, cmp.Or(s.cfg.RegisterExpires, 3600*time.Second))
	user := req.From().Address.User
	s.mu.Lock()
	if s.bindings == nil {
		s.bindings = map[string]time.Time{}
	}
	if granted == 0 {
		delete(s.bindings, user)
	} else {
		s.bindings[user] = time.Now().Add(granted)
	}
	s.registers++
	s.mu.Unlock()
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if c := req.Contact(); c != nil {
		res.AppendHeader(sip.NewHeader("Contact", c.Value()+";expires="+strconv.Itoa(int(granted/time.Second))))
	}
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(granted/time.Second))))
	tx.Respond(res)
}

func (s *Simulator) authorized(req *sip.Request, tx sip.ServerTransaction) bool {
	if s.cfg.Password == "" {
		return true
	}
	chal := &digest.Challenge{Realm: "callee-sim", Nonce: s.nonce, Algorithm: "MD5"}
	if h := req.GetHeader("Authorization"); h != nil {
		if creds, err := digest.ParseCredentials(h.Value()); err == nil && creds.Username == s.cfg.Username {
			want, err := digest.Digest(chal, digest.Options{Method: req.Method.String(), URI: creds.URI, Username: s.cfg.Username, Password: s.cfg.Password})
			if err == nil && want.Response == creds.Response {
				return true
			}
		}
	}
	res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
	res.AppendHeader(sip.NewHeader("WWW-Authenticate", chal.String()))
	tx.Respond(res)
	return false
}

func codecByName(name string) (telephony.Codec, bool) {
	switch strings.ToUpper(name) {
	case "PCMU":
		return telephony.PCMU, true
	case "PCMA":
		return telephony.PCMA, true
	}
	return telephony.Codec{}, false
}

func (s *Simulator) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	s.admit.Lock()
	if s.closed || s.ctx.Err() != nil {
		s.admit.Unlock()
		tx.Respond(sip.NewResponseFromRequest(req, 503, "Shutting Down", nil))
		return
	}
	s.wg.Add(1)
	s.admit.Unlock()
	defer s.wg.Done()
	callID := req.CallID().Value()
	if s.cfg.Unavailable {
		s.update(callID, func(r *CallRecord) { r.Number, r.Result, r.Done = req.To().Address.User, "unavailable", true })
		tx.Respond(sip.NewResponseFromRequest(req, 503, "Service Unavailable", nil))
		return
	}
	if !s.authorized(req, tx) {
		s.update(callID, func(r *CallRecord) { r.Result = "unauthorized"; r.Done = true })
		return
	}
	if s.cfg.RequireRegistration {
		// The account the INVITE authenticated as, else its From user.
		account := cmp.Or(s.cfg.Username, req.From().Address.User)
		if ok, _ := s.Registered(account); !ok {
			s.update(callID, func(r *CallRecord) { r.Number, r.Result, r.Done = req.To().Address.User, "unregistered", true })
			tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden (not registered)", nil))
			return
		}
	}
	s.active.Add(1)
	defer s.active.Add(-1)
	number := req.To().Address.User
	p := s.pick(number)
	local := s.cfg.Now().In(p.Location(number))
	finish := func(result string) {
		s.update(callID, func(r *CallRecord) {
			if r.Result == "" {
				r.Result = result
			}
			r.Done = true
		})
	}
	ref := ""
	if h := req.GetHeader("X-Outcall-Call"); h != nil {
		ref = h.Value()
	}
	s.update(callID, func(r *CallRecord) {
		r.Persona, r.Kind, r.Number, r.Ref, r.LocalTime = p.Name, p.Kind, number, ref, local
	})

	dlg, err := s.dialogsFor(req).ReadInvite(req, tx)
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
		finish("bad_request")
		return
	}
	defer dlg.Close()
	dlg.Respond(100, "Trying", nil)

	if s.float() >= p.AnswerProbabilityAt(local) {
		switch kind := s.unanswered(p); kind {
		case "busy":
			dlg.Respond(486, "Busy Here", nil)
			finish("busy")
		case "reject":
			dlg.Respond(603, "Decline", nil)
			finish("reject")
		case "invalid":
			dlg.Respond(404, "Not Found", nil)
			finish("invalid")
		default:
			dlg.Respond(180, "Ringing", nil)
			finish(s.ringOut(dlg, callID, 3*time.Minute))
		}
		return
	}

	offer, err := telephony.ParseSDP(req.Body())
	if err != nil {
		dlg.Respond(400, "Bad SDP", nil)
		finish("bad_sdp")
		return
	}
	var ours []telephony.Codec
	unknownOnly := len(p.Codecs) > 0
	for _, n := range p.Codecs {
		if c, ok := codecByName(n); ok {
			ours = append(ours, c)
			unknownOnly = false
		}
	}
	if len(p.Codecs) == 0 {
		ours = []telephony.Codec{telephony.PCMU, telephony.PCMA}
	}
	// Prefer the caller's order among what we accept.
	var codec telephony.Codec
	var codecErr error = telephony.ErrNoCommonCodec
	for _, c := range offer.Codecs {
		for _, o := range ours {
			if c == o && codecErr != nil {
				codec, codecErr = c, nil
			}
		}
	}
	if codecErr != nil && !unknownOnly {
		dlg.Respond(488, "Not Acceptable Here", nil)
		finish("no_codec")
		return
	}

	media, err := telephony.NewMediaSession(s.clock, telephony.MediaConfig{LocalIP: net.ParseIP(s.Trunk().Host), RTPTimeout: time.Hour, Record: s.cfg.KeepAudio})
	if err != nil {
		dlg.Respond(500, "No Media Port", nil)
		finish("failed")
		return
	}
	defer media.Close()
	// The caller's RTP is taken only from its SDP's address (or, were it
	// behind NAT, latched on to from there or its signalling address).
	var callerHost []net.IP
	if h, _, err := net.SplitHostPort(req.Source()); err == nil {
		if ip := net.ParseIP(h); ip != nil {
			callerHost = append(callerHost, ip)
		}
	}
	media.SetPeer(offer.Addr, callerHost...)
	if codecErr == nil {
		media.SetCodec(codec, offer.DTMFPT)
	}
	s.update(callID, func(r *CallRecord) { r.CallerRTP = offer.Addr.String() })
	rtpAddr := media.LocalAddr()
	var garbage *net.UDPConn
	if p.GarbageRTP {
		// The garbage comes from the address the answer names, so the
		// caller reads it (and finds it is not RTP) rather than drop it
		// as a stranger's.
		if garbage, err = net.ListenUDP("udp", &net.UDPAddr{IP: rtpAddr.IP}); err != nil {
			dlg.Respond(500, "No Media Port", nil)
			finish("failed")
			return
		}
		defer garbage.Close()
		rtpAddr = garbage.LocalAddr().(*net.UDPAddr)
	}
	var answer []byte
	if unknownOnly {
		answer = g729OnlySDP(rtpAddr)
	} else {
		answer, _ = telephony.BuildSDP(telephony.MediaOffer{Addr: rtpAddr, Codecs: []telephony.Codec{codec}, DTMFPT: offer.DTMFPT})
	}

	ring := p.ring()
	if p.EarlyAnnouncement != "" {
		res := sip.NewSDPResponseFromRequest(dlg.InviteRequest, answer)
		res.StatusCode, res.Reason = 183, "Session Progress"
		dlg.WriteResponse(res)
		media.Start()
		pcm, err := s.tts.Synthesize(dlg.Context(), p.EarlyAnnouncement, p.Voice, telephony.EmotionNeutral)
		if err != nil {
			s.log.Warn("callee-sim: speech synthesis failed", "err", err)
		}
		go media.Play(dlg.Context(), pcm)
		finish(s.ringOut(dlg, callID, ring))
		return
	}
	if p.EarlyMedia {
		res := sip.NewSDPResponseFromRequest(dlg.InviteRequest, answer)
		res.StatusCode, res.Reason = 183, "Session Progress"
		dlg.WriteResponse(res)
		media.Start()
		go media.Play(dlg.Context(), ringback(ring))
	} else {
		dlg.Respond(180, "Ringing", nil)
	}
	select {
	case <-dlg.Context().Done():
		s.update(callID, func(r *CallRecord) { r.Cancelled = true })
		finish("cancelled")
		return
	case <-time.After(ring):
	case <-s.ctx.Done():
		dlg.Respond(480, "Temporarily Unavailable", nil)
		finish("no_answer")
		return
	}
	media.StopPlayback()
	if err := dlg.RespondSDP(answer); err != nil {
		// The caller's BYE may overtake its ACK, and may still be on its
		// way when the answer gives up waiting: give it a moment.
		select {
		case <-dlg.Context().Done():
		case <-time.After(time.Second):
		}
		if dlg.LoadState() == sip.DialogStateEnded {
			// The caller's BYE overtook its ACK: answered, then hung up.
			s.update(callID, func(r *CallRecord) { r.Result = "answered" })
			s.closeCall(callID, dlg, media, "caller")
			return
		}
		finish("no_ack")
		return
	}
	s.update(callID, func(r *CallRecord) { r.Result = "answered" })
	if unknownOnly {
		// We claimed only a codec the caller lacks: the caller should hang up.
		s.waitEnd(dlg, 10*time.Second)
		s.closeCall(callID, dlg, media, "caller")
		return
	}
	switch {
	case p.NoRTP:
	case p.GarbageRTP:
		go sendGarbage(dlg.Context(), garbage, offer.Addr)
	default:
		media.Start()
	}
	conv := &conversation{s: s, p: p, dlg: dlg, media: media, callID: callID}
	by := conv.run()
	s.closeCall(callID, dlg, media, by)
}

func (s *Simulator) closeCall(callID string, dlg *sipgo.DialogServerSession, media *telephony.MediaSession, by string) {
	if s.ctx.Err() != nil && dlg.LoadState() != sip.DialogStateEnded {
		// The simulator is stopping: hang up rather than leave the caller
		// with a dead line.
		by = "callee"
	}
	if by == "callee" && dlg.LoadState() != sip.DialogStateEnded {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		dlg.WriteBye(ctx, inDialogRequest(dlg, sip.BYE))
		cancel()
	}
	var audio []byte
	if s.cfg.KeepAudio {
		audio, _, _ = media.Recording()
	}
	s.update(callID, func(r *CallRecord) {
		r.HangupBy = by
		r.Audio = audio
		r.Done = true
	})
}

func (s *Simulator) waitEnd(dlg *sipgo.DialogServerSession, d time.Duration) bool {
	select {
	case <-dlg.Context().Done():
		return true
	case <-time.After(d):
		return false
	case <-s.ctx.Done():
		return false
	}
}

func (s *Simulator) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	dlg, err := s.dialogsFor(req).MatchDialogRequest(req)
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	callID := req.CallID().Value()
	p := s.pick(dlg.InviteRequest.To().Address.User)
	target := ""
	if h := req.GetHeader("Refer-To"); h != nil {
		target = strings.Trim(h.Value(), "<>")
	}
	s.update(callID, func(r *CallRecord) { r.ReferTo, r.ReferRefused = target, p.RefuseTransfer })
	if p.RefuseTransfer {
		tx.Respond(sip.NewResponseFromRequest(req, 603, "Decline", nil))
		return
	}
	tx.Respond(sip.NewResponseFromRequest(req, 202, "Accepted", nil))
	go func() {
		// Report the transfer's progress as an implicit subscription:
		// trying, then the agent answered.
		for _, frag := range []string{"SIP/2.0 100 Trying", "SIP/2.0 200 OK"} {
			n := inDialogRequest(dlg, sip.NOTIFY)
			n.AppendHeader(sip.NewHeader("Event", "refer"))
			state := "active;expires=60"
			if strings.Contains(frag, "200") {
				state = "terminated;reason=noresource"
			}
			n.AppendHeader(sip.NewHeader("Subscription-State", state))
			n.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
			n.SetBody([]byte(frag))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := dlg.Do(ctx, n)
			cancel()
			if err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
}

func g729OnlySDP(addr *net.UDPAddr) []byte {
	ip := addr.IP.String()
	return []byte("v=0\r\no=callee 1 1 IN IP4 " + ip + "\r\ns=callee-sim\r\nc=IN IP4 " + ip +
		"\r\nt=0 0\r\nm=audio " + strconv.Itoa(addr.Port) + " RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\na=sendrecv\r\n")
}

func ringback(d time.Duration) []int16 {
	n := int(d / time.Second * telephony.SampleRate)
	n += int(d%time.Second) * telephony.SampleRate / int(time.Second)
	tone := telephony.Tone(425, n, 6000)
	// 1 s on, 4 s off (Chinese ringback cadence).
	for i := range tone {
		if (i/telephony.SampleRate)%5 != 0 {
			tone[i] = 0
		}
	}
	return tone
}

func sendGarbage(ctx context.Context, conn *net.UDPConn, to *net.UDPAddr) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	buf := make([]byte, 172)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for i := range buf {
				buf[i] = byte(rand.Uint32())
			}
			buf[0] = 0x3f // version 0: never valid RTP
			conn.WriteToUDP(buf, to)
		}
	}
}
