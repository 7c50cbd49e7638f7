// Package funasrtest is a test double of the FunASR runtime's real-time
// server (funasr-wss-server-2pass): it speaks the WebSocket protocol of
// FunASR's runtime/docs/websocket_protocol.md frame for frame, as the C++
// server in runtime/websocket/bin/websocket-server-2pass.cpp does, but
// recognises nothing. It answers each connection with a Script: the
// streaming model's partials as the speech it receives adds up, the
// offline model's correction at its own end of sentence or when the
// client sends is_speaking false, and faults on demand (a refused key, a
// dropped connection, a final that comes too late, the runtime's error
// for audio it cannot take). What it says it heard is the script's, never
// a figure of FunASR's own.
//
//	srv := funasrtest.NewServer(funasrtest.Script{Partials: []string{"是", "是的"}, Final: "是的。"})
//	defer srv.Close()
//	asr, _ := telephony.NewFunASRRecognizer(srv.URL, "")
//
// Every connection is kept as a Session: the first message, its hotwords,
// the audio, when it came, and any breach of the protocol by the client.
package funasrtest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// Script is what the double hears in every utterance.
type Script struct {
	// Partials are the streaming model's growing hypotheses, one per
	// PartialEvery of speech. Each is sent as the piece it adds to the one
	// before ("是" then "的"), in a "2pass-online" result, as the runtime
	// sends them.
	Partials []string
	// Final is the offline model's text for the utterance ("2pass-offline").
	Final string
	// EndpointAfter, when set, plays the server's VAD finding the end of
	// the sentence after this much speech: the "2pass-offline" result goes
	// then, without waiting for is_speaking false.
	EndpointAfter time.Duration
	// PartialEvery is the speech per partial (0: the chunk the client
	// asked for, chunk_size[1] × 60 ms: 600 ms for 5,10,5).
	PartialEvery time.Duration
	// Timestamps adds the [start,end] millisecond spans a timestamp model
	// gives, one per character of Final, spread over the speech.
	Timestamps bool
}

// Fault is trouble the double makes: on every connection from Fault on,
// or on the next one only with FaultNext.
type Fault int

const (
	FaultNone Fault = iota
	// FaultDropMidUtterance closes the TCP connection, with no close
	// frame, once DropAfter of speech has arrived.
	FaultDropMidUtterance
	// FaultSlowFinal answers is_speaking false only after SlowBy.
	FaultSlowFinal
	// FaultRefuseAudio answers the end with the runtime's error for audio
	// it cannot take, which it sends as the text of a final result.
	FaultRefuseAudio
)

// RefusedAudioText is what the runtime sends, as a final result's text,
// when the stream is not PCM (websocket-server-2pass.cpp).
const RefusedAudioText = "ERROR. Real-time transcription service ONLY SUPPORT PCM stream."

// Config is a connection's first message as the runtime reads it.
type Config struct {
	Mode          string `json:"mode"`
	ChunkSize     []int  `json:"chunk_size"`
	ChunkInterval int    `json:"chunk_interval"`
	AudioFS       int    `json:"audio_fs"`
	WavName       string `json:"wav_name"`
	WavFormat     string `json:"wav_format"`
	IsSpeaking    *bool  `json:"is_speaking"`
	Hotwords      string `json:"hotwords"`
	ITN           *bool  `json:"itn"`
}

// Session is what one connection brought.
type Session struct {
	Authorization string
	// First is the first message as sent; Config the same read.
	First  string
	Config Config
	// Hotwords are the "hotwords" JSON object's words and weights (the
	// runtime's FST hotwords); NNHotwords the string when it is not one.
	Hotwords   map[string]int
	NNHotwords string
	// Audio is the PCM received, 16-bit little endian at Config.AudioFS.
	Audio          []byte
	BinaryMessages int
	// Speech is how much of the audio was loud enough to count as speech.
	Speech time.Duration
	// Times of the first and last audio message, and of is_speaking false.
	FirstAudio, LastAudio, EndAt time.Time
	Ended                        bool
	// Sent are the results the double answered, as JSON, and when.
	Sent   []string
	SentAt []time.Time
	// Violations are the client's breaches of the protocol: audio before
	// the first message, a first message that is not JSON or has no valid
	// chunk_size, an odd number of PCM bytes, unmasked frames.
	Violations []string
	// Dropped is set when the double dropped the connection (a fault).
	Dropped bool
}

// AudioDuration is how long the audio received lasts.
func (s Session) AudioDuration() time.Duration {
	fs := s.Config.AudioFS
	if fs <= 0 {
		fs = 16000
	}
	return time.Duration(len(s.Audio)/2) * time.Second / time.Duration(fs)
}

// Server is the double, listening on loopback.
type Server struct {
	// URL is ws://127.0.0.1:port.
	URL string
	// DropAfter is how much speech FaultDropMidUtterance lets through
	// (0: 300 ms); SlowBy how late FaultSlowFinal answers (0: 2 s).
	DropAfter, SlowBy time.Duration

	srv      *httptest.Server
	mu       sync.Mutex
	script   Script
	key      string
	fault    Fault
	once     bool
	sessions []*Session
	conns    map[net.Conn]bool
}

// NewServer starts a double answering with script.
func NewServer(script Script) *Server {
	s := &Server{script: script, conns: map[net.Conn]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = "ws" + strings.TrimPrefix(s.srv.URL, "http")
	return s
}

// Close stops the double and drops its connections.
func (s *Server) Close() {
	s.CloseConnections()
	s.srv.Close()
}

// SetScript replaces what the next connections hear.
func (s *Server) SetScript(script Script) {
	s.mu.Lock()
	s.script = script
	s.mu.Unlock()
}

// RequireKey makes the handshake need "Authorization: Bearer key" (as
// the proxy in front of a runtime would; "" stops asking), answering 401
// otherwise.
func (s *Server) RequireKey(key string) {
	s.mu.Lock()
	s.key = key
	s.mu.Unlock()
}

// Fault makes trouble on every connection from now on (FaultNone stops).
func (s *Server) Fault(f Fault) {
	s.mu.Lock()
	s.fault, s.once = f, false
	s.mu.Unlock()
}

// FaultNext makes trouble on the next connection only.
func (s *Server) FaultNext(f Fault) {
	s.mu.Lock()
	s.fault, s.once = f, true
	s.mu.Unlock()
}

// CloseConnections drops every open connection, as a restart would.
func (s *Server) CloseConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// Sessions returns copies of the connections so far, oldest first.
func (s *Server) Sessions() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Session, len(s.sessions))
	for i, ss := range s.sessions {
		out[i] = *ss
		out[i].Audio = append([]byte(nil), ss.Audio...)
		out[i].Sent = append([]string(nil), ss.Sent...)
		out[i].SentAt = append([]time.Time(nil), ss.SentAt...)
		out[i].Violations = append([]string(nil), ss.Violations...)
	}
	return out
}

type rw struct {
	io.Reader
	io.Writer
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	key, script, fault := s.key, s.script, s.fault
	if s.once {
		s.fault, s.once = FaultNone, false
	}
	s.mu.Unlock()
	auth := r.Header.Get("Authorization")
	if key != "" && auth != "Bearer "+key {
		http.Error(w, "401 Authorization Required", http.StatusUnauthorized)
		return
	}
	conn, brw, _, err := ws.HTTPUpgrader{Protocol: func(p string) bool { return p == "binary" }}.Upgrade(r, w)
	if err != nil {
		return
	}
	sess := &Session{Authorization: auth}
	s.mu.Lock()
	s.sessions = append(s.sessions, sess)
	s.conns[conn] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		conn.Close()
	}()
	c := &connection{s: s, sess: sess, script: script, fault: fault, conn: conn, rw: rw{brw.Reader, conn}}
	c.run()
}

// connection is one client, served as the runtime serves it.
type connection struct {
	s      *Server
	sess   *Session
	script Script
	fault  Fault
	conn   net.Conn
	rw     io.ReadWriter

	configured   bool
	partialsSent int
	sentText     string // partial text sent so far
	finalSent    bool
	loudBlocks   int
	counted      int // audio bytes countLoud has looked at
}

// note changes the session under the server's lock.
func (c *connection) note(f func(*Session)) {
	c.s.mu.Lock()
	f(c.sess)
	c.s.mu.Unlock()
}

func (c *connection) violation(format string, a ...any) {
	c.note(func(s *Session) { s.Violations = append(s.Violations, fmt.Sprintf(format, a...)) })
}

func (c *connection) send(m map[string]any) bool {
	b, _ := json.Marshal(m)
	c.note(func(s *Session) { s.Sent, s.SentAt = append(s.Sent, string(b)), append(s.SentAt, time.Now()) })
	return wsutil.WriteServerText(c.conn, b) == nil
}

func (c *connection) run() {
	for {
		data, op, err := wsutil.ReadClientData(c.rw)
		if err != nil {
			if strings.Contains(err.Error(), "mask") {
				c.violation("a frame not masked: %v", err)
			}
			return
		}
		switch op {
		case ws.OpText:
			if !c.text(data) {
				return
			}
		case ws.OpBinary:
			if !c.binary(data) {
				return
			}
		}
	}
}

func (c *connection) text(data []byte) bool {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		// The runtime marks the connection over and ignores the rest.
		c.violation("a text message that is not JSON: %.60q", data)
		return false
	}
	if !c.configured {
		c.configured = true
		var cfg Config
		json.Unmarshal(data, &cfg)
		if cfg.AudioFS == 0 {
			cfg.AudioFS = 16000 // the runtime's default
		}
		if cfg.Mode == "" {
			cfg.Mode = "2pass"
		}
		hot, nn := map[string]int(nil), ""
		if cfg.Hotwords != "" {
			if err := json.Unmarshal([]byte(cfg.Hotwords), &hot); err != nil {
				hot, nn = nil, cfg.Hotwords // the runtime then takes it as nn hotwords
			}
		}
		if len(cfg.ChunkSize) != 3 || cfg.ChunkSize[1] == 0 {
			c.violation("chunk_size %v: the runtime wants three numbers, the middle one not 0 (\"Wrong chunk_size!\")", cfg.ChunkSize)
		}
		if cfg.WavFormat != "" && !strings.EqualFold(cfg.WavFormat, "pcm") {
			c.violation("wav_format %q: the real-time server takes PCM only", cfg.WavFormat)
			c.fault = FaultRefuseAudio
		}
		c.note(func(s *Session) { s.First, s.Config, s.Hotwords, s.NNHotwords = string(data), cfg, hot, nn })
	}
	var flags struct {
		IsSpeaking *bool `json:"is_speaking"`
	}
	json.Unmarshal(data, &flags)
	if flags.IsSpeaking != nil && !*flags.IsSpeaking {
		return c.end()
	}
	return true
}

func (c *connection) binary(data []byte) bool {
	now := time.Now()
	if !c.configured {
		// The runtime decodes nothing until the first message has set the
		// connection up.
		c.violation("%d bytes of audio before the first message", len(data))
		return true
	}
	if len(data)%2 != 0 {
		c.violation("a %d-byte audio message: 16-bit PCM comes in whole samples", len(data))
	}
	var cfg Config
	c.note(func(s *Session) {
		if s.FirstAudio.IsZero() {
			s.FirstAudio = now
		}
		s.LastAudio = now
		s.Audio = append(s.Audio, data...)
		s.BinaryMessages++
		cfg = s.Config
	})
	audio := c.sessAudio()
	block := max(cfg.AudioFS/100*2, 2)
	whole := len(audio) / block * block
	c.loudBlocks += countLoud(audio[c.counted:whole], cfg.AudioFS)
	c.counted = whole
	speech := time.Duration(c.loudBlocks) * 10 * time.Millisecond
	c.note(func(s *Session) { s.Speech = speech })
	if c.fault == FaultDropMidUtterance {
		dropAfter := c.s.DropAfter
		if dropAfter <= 0 {
			dropAfter = 300 * time.Millisecond
		}
		if speech >= dropAfter {
			c.note(func(s *Session) { s.Dropped = true })
			c.conn.Close()
			return false
		}
	}
	if c.finalSent || cfg.Mode == "offline" {
		return true
	}
	every := c.script.PartialEvery
	if every <= 0 {
		every = 600 * time.Millisecond
		if len(cfg.ChunkSize) == 3 && cfg.ChunkSize[1] > 0 {
			every = time.Duration(cfg.ChunkSize[1]) * 60 * time.Millisecond
		}
	}
	for c.partialsSent < len(c.script.Partials) && speech >= time.Duration(c.partialsSent+1)*every {
		p := c.script.Partials[c.partialsSent]
		piece := p
		if strings.HasPrefix(p, c.sentText) {
			piece = p[len(c.sentText):]
		}
		c.partialsSent++
		c.sentText = p
		if piece != "" && !c.send(map[string]any{"mode": "2pass-online", "text": piece, "wav_name": cfg.WavName, "is_final": false}) {
			return false
		}
	}
	if c.script.EndpointAfter > 0 && speech >= c.script.EndpointAfter && cfg.Mode != "online" {
		c.finalSent = true
		return c.send(c.offline(cfg, false))
	}
	return true
}

func (c *connection) sessAudio() []byte {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.sess.Audio
}

// offline is the offline model's result for the utterance.
func (c *connection) offline(cfg Config, final bool) map[string]any {
	m := map[string]any{"mode": "2pass-offline", "text": c.script.Final, "wav_name": cfg.WavName, "is_final": final}
	if c.script.Timestamps {
		n := utf8.RuneCountInString(c.script.Final)
		speech := time.Duration(c.loudBlocks) * 10 * time.Millisecond
		if n > 0 {
			step := int(speech.Milliseconds()) / n
			spans := make([][2]int, n)
			for i := range spans {
				spans[i] = [2]int{i * step, (i + 1) * step}
			}
			b, _ := json.Marshal(spans)
			m["timestamp"] = string(b) // a string holding the array, as the runtime sends it
		}
	}
	return m
}

// end answers is_speaking false with the final result.
func (c *connection) end() bool {
	c.note(func(s *Session) { s.Ended, s.EndAt = true, time.Now() })
	var cfg Config
	c.note(func(s *Session) { cfg = s.Config })
	switch c.fault {
	case FaultRefuseAudio:
		return c.send(map[string]any{"text": RefusedAudioText, "wav_name": cfg.WavName, "is_final": true})
	case FaultSlowFinal:
		slow := c.s.SlowBy
		if slow <= 0 {
			slow = 2 * time.Second
		}
		time.Sleep(slow)
	}
	switch {
	case c.finalSent:
		// Nothing left: the runtime's result then has no mode and no text.
		return c.send(map[string]any{"text": "", "wav_name": cfg.WavName, "is_final": true})
	case cfg.Mode == "online":
		rest := c.script.Final
		if strings.HasPrefix(rest, c.sentText) {
			rest = rest[len(c.sentText):]
		}
		c.finalSent = true
		return c.send(map[string]any{"mode": "2pass-online", "text": rest, "wav_name": cfg.WavName, "is_final": true})
	}
	c.finalSent = true
	return c.send(c.offline(cfg, true))
}

// countLoud counts the 10 ms blocks of 16-bit PCM louder than -45 dBFS:
// the double's stand-in for the runtime's VAD.
func countLoud(pcm []byte, fs int) int {
	if fs <= 0 {
		fs = 16000
	}
	block := fs / 100 * 2
	n := 0
	for off := 0; off+block <= len(pcm); off += block {
		var sum float64
		for i := off; i+1 < off+block; i += 2 {
			v := float64(int16(binary.LittleEndian.Uint16(pcm[i:])))
			sum += v * v
		}
		rms := math.Sqrt(sum / float64(block/2))
		if rms > 0 && 20*math.Log10(rms/32768) > -45 {
			n++
		}
	}
	return n
}
