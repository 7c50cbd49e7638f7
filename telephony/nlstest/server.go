// Package nlstest is a test double of Alibaba Cloud Intelligent Speech
// Interaction (NLS) for outcall's tests: CreateToken (a POP RPC call,
// signature checked) and real-time recognition (namespace
// SpeechTranscriber) over WebSocket, speaking the protocol as its
// document and SDKs describe it: StartTranscription answered by
// TranscriptionStarted, binary PCM, SentenceBegin,
// TranscriptionResultChanged partials, SentenceEnd at the double's own
// endpoint or at StopTranscription, TranscriptionCompleted, and TaskFailed
// with the service's status codes. It is a double: nothing it does is a
// measure of the service.
package nlstest

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/outcall/outcall/telephony/alismstest"
	"github.com/outcall/outcall/telephony/asrtest"
)

// Status codes the double answers with (the service's).
const (
	StatusOK           = 20000000
	StatusTokenInvalid = 40000001
	StatusParamInvalid = 40000003
	StatusIdleTimeout  = 40000004
	// StatusAudioInvalid is the double's stand-in for audio the service
	// cannot take (its code for a bad WAV header).
	StatusAudioInvalid = 40000009
)

// Session is what one connection brought.
type Session struct {
	Token   string
	Start   map[string]any // StartTranscription's payload
	AppKey  string
	Audio   []byte
	Rate    int
	Stopped bool
	// Violations are the client's breaches of the protocol.
	Violations []string
	synthesis  bool // the connection was a speech synthesis one
}

// AudioDuration is how long the audio received lasts.
func (s Session) AudioDuration() time.Duration {
	if s.Rate <= 0 {
		return 0
	}
	return time.Duration(len(s.Audio)/2) * time.Second / time.Duration(s.Rate)
}

// Synthesis is one StartSynthesis the double answered.
type Synthesis struct {
	Token, AppKey string
	Payload       map[string]any
	// Held is set when the double held the rest of the audio after its
	// first frame (HoldSynthesis) and was released before its 10 s wait
	// ran out.
	Held bool
}

// Server is the double on loopback: URL is its gateway (ws://…/ws/v1),
// TokenURL its CreateToken endpoint.
type Server struct {
	URL, TokenURL string
	// AccessKeyID and AccessKeySecret are the account CreateToken accepts.
	AccessKeyID, AccessKeySecret string

	srv      *httptest.Server
	mu       sync.Mutex
	partials []string
	final    string
	endpoint time.Duration
	every    time.Duration
	token    string // "" accepts any
	fault    asrtest.Fault
	issued   map[string]bool
	sessions []*Session
	synths   []Synthesis
	hold     <-chan struct{}
	conns    map[net.Conn]bool
}

// HoldSynthesis makes the next syntheses send their first frame of audio
// and then wait, up to 10 s, until release is closed before they send the
// rest: as a service making a long sentence does, and so a test can see
// what its client does with audio that has begun to arrive. nil: no wait.
func (s *Server) HoldSynthesis(release <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = release
}

// Syntheses returns the speech synthesis requests, oldest first.
func (s *Server) Syntheses() []Synthesis {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Synthesis(nil), s.synths...)
}

// NewServer starts a double whose account is accessKeyID/secret.
func NewServer(accessKeyID, secret string) *Server {
	s := &Server{AccessKeyID: accessKeyID, AccessKeySecret: secret, conns: map[net.Conn]bool{}, issued: map[string]bool{},
		every: 300 * time.Millisecond, final: "是的。"}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/ws/v1"
	s.TokenURL = s.srv.URL + "/"
	return s
}

// Close stops the double.
func (s *Server) Close() {
	s.CloseConnections()
	s.srv.Close()
}

// Answer sets what the next sessions hear (asrtest.Double).
func (s *Server) Answer(partials []string, final string, endpointAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partials, s.final, s.endpoint = partials, final, endpointAfter
}

// RequireKey makes the gateway refuse any other token ("" accepts all,
// and tokens CreateToken made).
func (s *Server) RequireKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = key
}

// RevokeTokens makes the gateway refuse every token CreateToken has made
// so far, as the service does an expired or revoked one.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.issued)
}

// Fault makes trouble on every session until FaultNone.
func (s *Server) Fault(f asrtest.Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// CloseConnections drops every open connection.
func (s *Server) CloseConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// Sessions returns what each recognition connection brought, oldest
// first (speech synthesis is in Syntheses).
func (s *Server) Sessions() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Session
	for _, x := range s.sessions {
		if !x.synthesis {
			out = append(out, *x)
		}
	}
	return out
}

// Received lists the sessions for the conformance suite. NLS takes no
// hotwords or language with a request (a vocabulary and the project's
// model hold them on the service).
func (s *Server) Received() []asrtest.Received {
	var out []asrtest.Received
	for _, x := range s.Sessions() {
		out = append(out, asrtest.Received{Audio: x.AudioDuration(), Ended: x.Stopped})
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ws/v1" {
		s.gateway(w, r)
		return
	}
	s.createToken(w, r)
}

// createToken answers CreateToken as the POP gateway does.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	refuse := func(status int, code, msg string) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"RequestId": "double", "HostId": "nls-meta.cn-shanghai.aliyuncs.com", "Code": code, "Message": msg})
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	form, err := url.ParseQuery(string(body))
	if r.Method != http.MethodPost || err != nil {
		refuse(http.StatusBadRequest, "InvalidParameter", "want a form-encoded POST")
		return
	}
	p := map[string]string{}
	for k, v := range form {
		p[k] = v[0]
	}
	for _, k := range []string{"Action", "Version", "Format", "RegionId", "AccessKeyId", "Timestamp", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Signature"} {
		if p[k] == "" {
			refuse(http.StatusBadRequest, "MissingParameter", "missing "+k)
			return
		}
	}
	if p["Action"] != "CreateToken" || p["Version"] != "2019-02-28" {
		refuse(http.StatusBadRequest, "InvalidAction", "unknown action "+p["Action"]+" of version "+p["Version"])
		return
	}
	if p["AccessKeyId"] != s.AccessKeyID {
		refuse(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
		return
	}
	sig := p["Signature"]
	delete(p, "Signature")
	if alismstest.Sign(http.MethodPost, p, s.AccessKeySecret) != sig {
		refuse(http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
		return
	}
	token := id32()
	s.mu.Lock()
	s.issued[token] = true
	s.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]any{"NlsRequestId": "double", "RequestId": "double",
		"Token": map[string]any{"Id": token, "ExpireTime": time.Now().Add(24 * time.Hour).Unix(), "UserId": "double"}})
}

func (s *Server) gateway(w http.ResponseWriter, r *http.Request) {
	token := r.Header.Get("X-NLS-Token")
	if token == "" {
		token = r.URL.Query().Get("token")
	}
	conn, brw, _, err := ws.HTTPUpgrader{}.Upgrade(r, w)
	if err != nil {
		return
	}
	s.mu.Lock()
	sess := &Session{Token: token}
	s.sessions = append(s.sessions, sess)
	s.conns[conn] = true
	c := &connection{s: s, sess: sess, conn: conn, rw: struct {
		io.Reader
		io.Writer
	}{brw.Reader, conn}, partials: s.partials, final: s.final, endpoint: s.endpoint, every: s.every, fault: s.fault,
		tokenOK: (s.token == "" || token == s.token || s.issued[token]) && token != ""}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		conn.Close()
	}()
	c.run()
}

type header struct {
	MessageID  string `json:"message_id"`
	TaskID     string `json:"task_id"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	AppKey     string `json:"appkey,omitempty"`
	Status     int    `json:"status,omitempty"`
	StatusText string `json:"status_text,omitempty"`
}

// connection is one client, served as the gateway serves it.
type connection struct {
	s        *Server
	sess     *Session
	conn     net.Conn
	rw       io.ReadWriter
	partials []string
	final    string
	endpoint time.Duration
	every    time.Duration
	fault    asrtest.Fault
	tokenOK  bool

	task      string
	started   bool
	sent      int // partials sent
	sentenced bool
}

func (c *connection) note(f func(*Session)) {
	c.s.mu.Lock()
	f(c.sess)
	c.s.mu.Unlock()
}

func (c *connection) event(name string, status int, text string, payload any) bool {
	ns := "SpeechTranscriber"
	if name == "TaskFailed" {
		ns = "Default" // as the service sends it
	}
	m := map[string]any{"header": header{MessageID: id32(), TaskID: c.task, Namespace: ns, Name: name, Status: status, StatusText: text}}
	if payload != nil {
		m["payload"] = payload
	}
	b, _ := json.Marshal(m)
	return wsutil.WriteServerText(c.conn, b) == nil
}

func (c *connection) fail(status int, text string) {
	c.event("TaskFailed", status, text, nil)
}

func id32() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func isID(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func (c *connection) run() {
	for {
		c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		data, op, err := wsutil.ReadClientData(c.rw)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				c.fail(StatusIdleTimeout, "Gateway:IDLE_TIMEOUT:Websocket session is idle for too long time!")
			}
			return
		}
		switch op {
		case ws.OpText:
			if !c.command(data) {
				return
			}
		case ws.OpBinary:
			if !c.audio(data) {
				return
			}
		}
	}
}

func (c *connection) command(data []byte) bool {
	var m struct {
		Header  header         `json:"header"`
		Payload map[string]any `json:"payload"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		c.fail(40000002, "Gateway:MESSAGE_INVALID:Failed to parse the message!")
		return false
	}
	h := m.Header
	if h.Namespace == "SpeechSynthesizer" && h.Name == "StartSynthesis" && isID(h.MessageID) && isID(h.TaskID) {
		c.task = h.TaskID
		c.note(func(s *Session) { s.synthesis = true })
		return c.synthesize(h, m.Payload)
	}
	if h.Namespace != "SpeechTranscriber" || !isID(h.MessageID) || !isID(h.TaskID) || (c.task != "" && h.TaskID != c.task) {
		c.note(func(s *Session) { s.Violations = append(s.Violations, fmt.Sprintf("header %+v", h)) })
		c.fail(40000002, "Gateway:MESSAGE_INVALID:Invalid header!")
		return false
	}
	switch h.Name {
	case "StartTranscription":
		c.task = h.TaskID
		if !c.tokenOK {
			c.fail(StatusTokenInvalid, fmt.Sprintf("Gateway:ACCESS_DENIED:The token '%s' is invalid!", c.sess.Token))
			return false
		}
		rate, _ := m.Payload["sample_rate"].(float64)
		if m.Payload["format"] != "pcm" || (rate != 8000 && rate != 16000) || h.AppKey == "" {
			c.fail(StatusParamInvalid, "Gateway:PARAMETER_INVALID:format, sample_rate or appkey!")
			return false
		}
		c.note(func(s *Session) { s.Start, s.AppKey, s.Rate = m.Payload, h.AppKey, int(rate) })
		c.started = true
		return c.event("TranscriptionStarted", StatusOK, "Gateway:SUCCESS:Success.", nil)
	case "StopTranscription":
		if !c.started {
			c.fail(40000002, "Gateway:MESSAGE_INVALID:StopTranscription before StartTranscription!")
			return false
		}
		c.note(func(s *Session) { s.Stopped = true })
		if c.fault == asrtest.FaultSlowFinal {
			time.Sleep(3 * time.Second)
		}
		if c.fault == asrtest.FaultRefuseAudio {
			c.fail(StatusAudioInvalid, "Gateway:AUDIO_INVALID:The audio cannot be decoded!")
			return false
		}
		if !c.sentenced {
			ms := c.audioMS()
			c.event("SentenceEnd", StatusOK, "Gateway:SUCCESS:Success.", map[string]any{"index": 1, "time": ms, "begin_time": 0,
				"result": c.final, "confidence": 0.9, "words": []any{}})
		}
		c.event("TranscriptionCompleted", StatusOK, "Gateway:SUCCESS:Success.", nil)
		return false
	}
	c.fail(40000002, "Gateway:MESSAGE_INVALID:Unknown directive "+h.Name+"!")
	return false
}

func (c *connection) audioMS() int64 {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.sess.AudioDuration().Milliseconds()
}

func (c *connection) audio(data []byte) bool {
	if !c.started {
		c.fail(40000002, "Gateway:MESSAGE_INVALID:Audio before StartTranscription!")
		return false
	}
	c.note(func(s *Session) { s.Audio = append(s.Audio, data...) })
	d := time.Duration(c.audioMS()) * time.Millisecond
	if c.fault == asrtest.FaultDropMidUtterance && d >= 300*time.Millisecond {
		c.conn.Close() // no close frame, as a connection that breaks
		return false
	}
	if c.sentenced {
		return true
	}
	if c.sent == 0 && len(c.partials) > 0 {
		c.event("SentenceBegin", StatusOK, "Gateway:SUCCESS:Success.", map[string]any{"index": 1, "time": 0})
	}
	for c.sent < len(c.partials) && d >= time.Duration(c.sent+1)*c.every {
		c.event("TranscriptionResultChanged", StatusOK, "Gateway:SUCCESS:Success.", map[string]any{"index": 1, "time": d.Milliseconds(),
			"result": c.partials[c.sent], "words": []any{}})
		c.sent++
	}
	if c.endpoint > 0 && d >= c.endpoint {
		c.sentenced = true
		c.event("SentenceEnd", StatusOK, "Gateway:SUCCESS:Success.", map[string]any{"index": 1, "time": d.Milliseconds(), "begin_time": 0,
			"result": c.final, "confidence": 0.9, "words": []any{}})
	}
	return true
}

var ssmlTag = regexp.MustCompile(`<[^>]*>`)

// synthesize answers StartSynthesis: a tone of 100 ms a character of the
// text (SSML tags left out) at the rate asked, in binary frames, then
// SynthesisCompleted; a token or a payload it refuses gets TaskFailed.
func (c *connection) synthesize(h header, p map[string]any) bool {
	if !c.tokenOK {
		c.fail(StatusTokenInvalid, fmt.Sprintf("Gateway:ACCESS_DENIED:The token '%s' is invalid!", c.sess.Token))
		return false
	}
	text, _ := p["text"].(string)
	voice, _ := p["voice"].(string)
	rate, _ := p["sample_rate"].(float64)
	num := func(k string, lo, hi float64) bool {
		v, ok := p[k]
		if !ok {
			return true
		}
		f, isNum := v.(float64)
		return isNum && f >= lo && f <= hi && f == float64(int(f))
	}
	plain := text
	if strings.HasPrefix(strings.TrimSpace(text), "<speak>") {
		if err := xml.Unmarshal([]byte(text), new(struct{})); err != nil {
			c.fail(StatusParamInvalid, "Gateway:PARAMETER_INVALID:SSML is invalid!")
			return false
		}
		plain = ssmlTag.ReplaceAllString(text, "")
	}
	if strings.TrimSpace(plain) == "" || voice == "" || p["format"] != "pcm" || (rate != 8000 && rate != 16000) || h.AppKey == "" ||
		!num("volume", 0, 100) || !num("speech_rate", -500, 500) || !num("pitch_rate", -500, 500) {
		c.fail(StatusParamInvalid, "Gateway:PARAMETER_INVALID:text, voice, format, sample_rate, volume, speech_rate or pitch_rate!")
		return false
	}
	c.s.mu.Lock()
	c.s.synths = append(c.s.synths, Synthesis{Token: c.sess.Token, AppKey: h.AppKey, Payload: p})
	index := len(c.s.synths) - 1
	hold := c.s.hold
	c.sess.synthesis = true
	c.s.mu.Unlock()
	n := int(rate) / 10 * len([]rune(html.UnescapeString(plain)))
	pcm := make([]byte, 0, 2*n)
	for i := range n {
		v := int16(8000 * math.Sin(2*math.Pi*500*float64(i)/rate))
		pcm = binary.LittleEndian.AppendUint16(pcm, uint16(v))
	}
	for first := true; len(pcm) > 0; first = false {
		k := min(len(pcm), 3200)
		if wsutil.WriteServerBinary(c.conn, pcm[:k]) != nil {
			return false
		}
		pcm = pcm[k:]
		if first && hold != nil && len(pcm) > 0 {
			select {
			case <-hold:
				c.s.mu.Lock()
				c.s.synths[index].Held = true
				c.s.mu.Unlock()
			case <-time.After(10 * time.Second):
			}
		}
	}
	m := map[string]any{"header": header{MessageID: id32(), TaskID: c.task, Namespace: "SpeechSynthesizer", Name: "SynthesisCompleted",
		Status: StatusOK, StatusText: "Gateway:SUCCESS:Success."}}
	b, _ := json.Marshal(m)
	wsutil.WriteServerText(c.conn, b)
	return false
}
