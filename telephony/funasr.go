package telephony

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gobwas/ws"
)

// FunASRRecognizer hears the callee through a FunASR runtime, the
// open-source, self-hosted Mandarin recogniser (modelscope/FunASR; its
// real-time server is funasr-wss-server-2pass, port 10095 by default),
// speaking the WebSocket protocol of its runtime/docs/websocket_protocol.md:
//
//   - one connection per utterance; the first message is JSON text:
//     {"mode":"2pass","chunk_size":[5,10,5],"chunk_interval":10,
//     "audio_fs":16000,"wav_name":…,"wav_format":"pcm","is_speaking":true,
//     "hotwords":"{\"王先生\":20}","itn":true};
//   - then the audio as binary messages: 16-bit little-endian mono PCM.
//     Telephone audio is 8 kHz; it is resampled to 16 kHz on the way out
//     (upsampler2x), because the runtime's 2pass models are 16 kHz ones
//     and its streaming path is reported to go wrong at other rates
//     (FunASR issue #2493), though the protocol lets audio_fs say 8000;
//   - {"is_speaking":false} ends the utterance;
//   - the server answers JSON text: "2pass-online" partials (each a piece
//     to append), "2pass-offline" corrections at each end of sentence its
//     VAD finds (our provider endpoint), and, after is_speaking false, a
//     last message with "is_final":true (text "" and no mode when nothing
//     was left). "timestamp" is a JSON array of [start,end] milliseconds,
//     sent as a string, when the model gives them.
//
// The runtime checks no credentials; APIKey, when set, goes as
// "Authorization: Bearer …" on the WebSocket handshake, for the proxy an
// operator puts in front of it. What is sent ends up in FunASR's own
// hotword list, so hotwords are cut to its documented advice: at most 10
// characters each.
//
// Build it with NewFunASRRecognizer from a URL; the zero timeouts are
// sensible.
type FunASRRecognizer struct {
	// URL of the runtime's WebSocket: ws://host:10095 or wss://host:10095.
	URL string
	// APIKey, when set, is sent as a bearer token on the handshake.
	APIKey string
	// Mode is "2pass" (default: streaming partials, then the offline
	// model's correction at each sentence end), "online" (streaming only)
	// or "offline" (one answer after the end).
	Mode string
	// ChunkSize is the streaming model's latency setting (zero: 5,10,5,
	// 600 ms chunks with 300 ms look-back and look-ahead).
	ChunkSize [3]int
	// ChunkInterval (0: 10), sent as the reference clients send it.
	ChunkInterval int
	// NoITN turns inverse text normalisation off ("三点" stays words).
	NoITN bool
	// HotwordWeight is each hotword's weight, 1-100 (0: 20).
	HotwordWeight int
	// Dial makes the TCP connection (nil: net.Dialer). Tenants' servers
	// are dialled through the same guard as their webhooks.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSConfig for wss:// (nil: the system's roots).
	TLSConfig *tls.Config
	// DialTimeout bounds connecting and the handshake (0: 5 s);
	// FinalTimeout how long the final may take after the end of the
	// utterance (0: 5 s); WriteTimeout one write of audio (0: 2 s).
	DialTimeout, FinalTimeout, WriteTimeout time.Duration
}

// funasrMaxHotwords and funasrMaxHotwordRunes follow FunASR's advice for
// hotwords (runtime docs: "建议热词长度不超过10，个数不超过1k").
const (
	funasrMaxHotwords     = 200
	funasrMaxHotwordRunes = 10
)

// NewFunASRRecognizer reads a FunASR URL: ws:// or wss:// (a "funasr+"
// prefix, as the --asr flag takes it, is dropped), with optional query
// settings mode=2pass|online|offline, chunk_size=5,10,5 and itn=false,
// which are taken off the URL.
func NewFunASRRecognizer(raw, apiKey string) (*FunASRRecognizer, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("FunASR URL %q: %v", raw, err)
	}
	u.Scheme = strings.TrimPrefix(strings.ToLower(u.Scheme), "funasr+")
	if (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, fmt.Errorf("FunASR URL %q: want ws://host:10095 or wss://host:10095", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("FunASR URL %q: must not carry credentials; set the API key instead", raw)
	}
	r := &FunASRRecognizer{APIKey: apiKey}
	q := u.Query()
	switch m := q.Get("mode"); m {
	case "", "2pass", "online", "offline":
		r.Mode = m
	default:
		return nil, fmt.Errorf("FunASR URL %q: mode %q: want 2pass, online or offline", raw, m)
	}
	if cs := q.Get("chunk_size"); cs != "" {
		parts := strings.Split(cs, ",")
		ok := len(parts) == 3
		for i := 0; ok && i < 3; i++ {
			r.ChunkSize[i], err = strconv.Atoi(strings.TrimSpace(parts[i]))
			ok = err == nil && r.ChunkSize[i] >= 0
		}
		if !ok || r.ChunkSize[1] == 0 {
			return nil, fmt.Errorf("FunASR URL %q: chunk_size %q: want three numbers such as 5,10,5, the middle one not 0", raw, cs)
		}
	}
	if v := q.Get("itn"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("FunASR URL %q: itn %q: want true or false", raw, v)
		}
		r.NoITN = !on
	}
	for _, k := range []string{"mode", "chunk_size", "itn"} {
		q.Del(k)
	}
	u.RawQuery = q.Encode()
	r.URL = u.String()
	return r, nil
}

func (r *FunASRRecognizer) mode() string {
	if r.Mode == "" {
		return "2pass"
	}
	return r.Mode
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// funasrConfig is the first message of a connection.
type funasrConfig struct {
	Mode                 string `json:"mode"`
	ChunkSize            []int  `json:"chunk_size"`
	ChunkInterval        int    `json:"chunk_interval"`
	EncoderChunkLookBack int    `json:"encoder_chunk_look_back"`
	DecoderChunkLookBack int    `json:"decoder_chunk_look_back"`
	AudioFS              int    `json:"audio_fs"`
	WavName              string `json:"wav_name"`
	WavFormat            string `json:"wav_format"`
	IsSpeaking           bool   `json:"is_speaking"`
	Hotwords             string `json:"hotwords"`
	ITN                  bool   `json:"itn"`
}

// funasrResult is a message from the server.
type funasrResult struct {
	Mode      string          `json:"mode"`
	Text      string          `json:"text"`
	IsFinal   bool            `json:"is_final"`
	WavName   string          `json:"wav_name"`
	Timestamp json.RawMessage `json:"timestamp"`
}

// Open connects to the runtime and sends the first message.
func (r *FunASRRecognizer) Open(ctx context.Context, opts StreamOptions) (RecognizerSession, error) {
	dialTimeout := orDefault(r.DialTimeout, 5*time.Second)
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	var status int
	var statusBody []byte
	d := ws.Dialer{
		NetDial:   r.Dial,
		TLSConfig: r.TLSConfig,
		Protocols: []string{"binary"}, // as the reference Python client offers
		OnStatusError: func(code int, reason []byte, resp io.Reader) {
			status, statusBody = code, reason
			// The body says more, when its length is known (reading to the
			// end of a kept-alive connection would wait for the timeout).
			if r, err := http.ReadResponse(bufio.NewReader(resp), nil); err == nil {
				if r.ContentLength > 0 {
					body, _ := io.ReadAll(io.LimitReader(r.Body, min(r.ContentLength, 512)))
					statusBody = append(append(statusBody, ": "...), body...)
				}
				r.Body.Close()
			}
		},
	}
	if r.APIKey != "" {
		d.Header = ws.HandshakeHeaderHTTP(http.Header{"Authorization": []string{"Bearer " + r.APIKey}})
	}
	conn, br, _, err := d.Dial(dctx, r.URL)
	if err != nil {
		switch {
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return nil, recognitionError("funasr", ErrASRAuth, "the handshake was answered %d %s", status, firstLine(statusBody))
		case status != 0:
			return nil, recognitionError("funasr", ErrASRUnavailable, "the handshake was answered %d %s", status, firstLine(statusBody))
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case dctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded):
			return nil, recognitionError("funasr", ErrASRTimeout, "no WebSocket handshake with %s within %s", r.URL, dialTimeout)
		}
		return nil, recognitionError("funasr", ErrASRUnavailable, "connect to %s: %v", r.URL, err)
	}
	if br == nil {
		br = bufio.NewReaderSize(conn, 4096)
	}
	s := &funasrSession{r: r, br: br, streamSession: newStreamSession("funasr", conn, r.WriteTimeout, 16000), wbuf: make([]byte, maxFrameHeader, maxFrameHeader+4096)}
	cfg := funasrConfig{Mode: r.mode(), ChunkSize: []int{5, 10, 5}, ChunkInterval: 10, EncoderChunkLookBack: 4, AudioFS: 16000,
		WavName: opts.Name, WavFormat: "pcm", IsSpeaking: true, ITN: !r.NoITN}
	if r.ChunkSize[1] != 0 {
		cfg.ChunkSize = r.ChunkSize[:]
	}
	if r.ChunkInterval > 0 {
		cfg.ChunkInterval = r.ChunkInterval
	}
	if cfg.WavName == "" {
		cfg.WavName = "outcall"
	}
	if words := mergePhrases(funasrMaxHotwords, funasrMaxHotwordRunes, opts.Hotwords, opts.Phrases); len(words) > 0 {
		weight := r.HotwordWeight
		if weight <= 0 || weight > 100 {
			weight = 20
		}
		hw := make(map[string]int, len(words))
		for _, w := range words {
			hw[w] = weight
		}
		b, _ := json.Marshal(hw)
		cfg.Hotwords = string(b)
	}
	first, _ := json.Marshal(cfg)
	if err := s.send(ws.OpText, first); err != nil {
		conn.Close()
		return nil, err
	}
	s.stopCtx = context.AfterFunc(ctx, func() { s.Close() })
	go s.read()
	return s, nil
}

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(line)
}

// Recognize hears a whole utterance at once: it streams the audio and
// waits for the final.
func (r *FunASRRecognizer) Recognize(ctx context.Context, req RecognizeRequest) (Transcript, error) {
	return recognizeWhole(ctx, r, req)
}

// maxFrameHeader is the longest WebSocket frame header a client writes:
// 2 bytes, 8 of extended length, 4 of mask.
const maxFrameHeader = 14

// funasrSession is one utterance on one connection. Write and End send
// from the listening goroutine; read runs on its own and is the only
// sender on out, which it closes when it returns.
type funasrSession struct {
	r  *FunASRRecognizer
	br *bufio.Reader

	wbuf []byte // header room, then the payload
	up   upsampler2x

	streamSession

	committed, pending string
}

func (s *funasrSession) Write(pcm []int16) error {
	if err := s.over(); err != nil {
		return err
	}
	if len(pcm) == 0 {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	buf := s.up.process(s.wbuf[:maxFrameHeader], pcm)
	s.wbuf = buf[:maxFrameHeader]
	return s.writeFrame(ws.OpBinary, buf)
}

// End sends what the resampler still holds and is_speaking false, and
// waits at most FinalTimeout for the final.
func (s *funasrSession) End() error {
	if err := s.over(); err != nil {
		return err
	}
	s.wmu.Lock()
	buf := s.up.flush(s.wbuf[:maxFrameHeader])
	s.wbuf = buf[:maxFrameHeader]
	var err error
	if len(buf) > maxFrameHeader {
		err = s.writeFrame(ws.OpBinary, buf)
	}
	s.wmu.Unlock()
	if err != nil {
		return err
	}
	s.awaitFinal(s.r.FinalTimeout)
	return s.send(ws.OpText, []byte(`{"is_speaking":false}`))
}

func (s *funasrSession) Close() error {
	// A polite close; the server also copes with the connection simply
	// going.
	return s.shut(func() { s.sendControl(ws.OpClose, ws.NewCloseFrameBody(ws.StatusNormalClosure, "")) })
}

// send writes one text or binary frame carrying payload.
func (s *funasrSession) send(op ws.OpCode, payload []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	buf := append(s.wbuf[:maxFrameHeader], payload...)
	s.wbuf = buf[:maxFrameHeader]
	return s.writeFrame(op, buf)
}

// writeFrame masks and writes buf's payload (what follows its first
// maxFrameHeader bytes, the room for the header) as one frame, with one
// system call and no allocation. The caller holds wmu.
func (s *funasrSession) writeFrame(op ws.OpCode, buf []byte) error {
	payload := buf[maxFrameHeader:]
	n := len(payload)
	mask := ws.NewMask()
	ws.Cipher(payload, mask, 0)
	var hdr [maxFrameHeader]byte
	hdr[0] = 0x80 | byte(op) // FIN
	h := 2
	switch {
	case n < 126:
		hdr[1] = byte(n)
	case n <= 0xffff:
		hdr[1] = 126
		binary.BigEndian.PutUint16(hdr[2:], uint16(n))
		h = 4
	default:
		hdr[1] = 127
		binary.BigEndian.PutUint64(hdr[2:], uint64(n))
		h = 10
	}
	hdr[1] |= 0x80 // masked, as a client's frames must be
	copy(hdr[h:], mask[:])
	h += 4
	start := maxFrameHeader - h
	copy(buf[start:maxFrameHeader], hdr[:h])
	s.conn.SetWriteDeadline(time.Now().Add(s.writeTimeout))
	if _, err := s.conn.Write(buf[start:]); err != nil {
		return s.writeFailed(err)
	}
	if op == ws.OpBinary {
		s.sent.Add(int64(n))
	}
	return nil
}

// sendControl writes a control frame (pong, close), best effort.
func (s *funasrSession) sendControl(op ws.OpCode, payload []byte) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	f := ws.MaskFrame(ws.NewFrame(op, true, payload))
	s.conn.SetWriteDeadline(time.Now().Add(time.Second))
	ws.WriteFrame(s.conn, f)
}

// read takes the server's messages until the final, a failure or Close.
func (s *funasrSession) read() {
	defer close(s.readerDone)
	defer close(s.out)
	defer s.stopTimer()
	var msg, payload []byte
	for {
		h, err := ws.ReadHeader(s.br)
		if err == nil && h.Length > 1<<20 {
			err = fmt.Errorf("a %d-byte message", h.Length)
		}
		if err == nil {
			if cap(payload) < int(h.Length) {
				payload = make([]byte, h.Length)
			}
			payload = payload[:h.Length]
			_, err = io.ReadFull(s.br, payload)
		}
		if err != nil {
			s.fail(recognitionError("funasr", ErrASRUnavailable, "the connection dropped after %s of audio: %v", s.audio().Round(time.Millisecond), err))
			return
		}
		if h.Masked {
			ws.Cipher(payload, h.Mask, 0)
		}
		switch h.OpCode {
		case ws.OpPing:
			s.sendControl(ws.OpPong, payload)
			continue
		case ws.OpPong:
			continue
		case ws.OpClose:
			code, reason := ws.ParseCloseFrameData(payload)
			s.fail(recognitionError("funasr", ErrASRUnavailable, "the server closed the connection (%d %s) after %s of audio", code, reason, s.audio().Round(time.Millisecond)))
			return
		case ws.OpText, ws.OpContinuation:
			msg = append(msg, payload...)
		default: // binary: not part of the protocol
			continue
		}
		if !h.Fin {
			continue
		}
		done := s.handle(msg)
		msg = msg[:0]
		if done {
			return
		}
	}
}

// handle takes one result message; it returns true when the session is
// over.
func (s *funasrSession) handle(msg []byte) bool {
	var m funasrResult
	if err := json.Unmarshal(msg, &m); err != nil {
		s.fail(recognitionError("funasr", ErrASRFailed, "the server sent something that is not its JSON result: %.80q", msg))
		return true
	}
	if strings.HasPrefix(m.Text, "ERROR.") && m.IsFinal {
		// The runtime reports trouble with the audio as the text of a
		// final result ("ERROR. Real-time transcription service ONLY
		// SUPPORT PCM stream."): it must never pass for what was said.
		s.fail(recognitionError("funasr", ErrASRRefused, "%s", m.Text))
		return true
	}
	offline := false
	switch m.Mode {
	case "2pass-online", "online":
		s.pending += m.Text
	case "2pass-offline", "offline":
		// The offline model's text for a whole sentence replaces the
		// streaming pieces of it.
		s.committed += m.Text
		s.pending = ""
		offline = true
	default:
		s.pending += m.Text
	}
	h := Hypothesis{Text: strings.TrimSpace(s.committed + s.pending), Audio: s.audio()}
	h.Start, h.End = funasrSpan(m.Timestamp)
	ended := s.isEnded()
	switch {
	case ended && (m.IsFinal || offline):
		// The answer to is_speaking false: is_final from the C++ runtime;
		// the Python one sends the offline text with is_final false.
		h.Final = true
		s.markFinished()
		s.deliver(h)
		s.sendControl(ws.OpClose, ws.NewCloseFrameBody(ws.StatusNormalClosure, ""))
		s.conn.Close()
		return true
	case offline && strings.TrimSpace(m.Text) != "":
		// The server's VAD found the end of a sentence: its endpoint.
		h.Final = true
		s.deliver(h)
	case m.Text != "":
		s.deliver(h)
	}
	return false
}

// funasrSpan reads a "timestamp" field: [[start,end],…] in milliseconds,
// as a JSON array or (the runtime's way) a string holding one.
func funasrSpan(raw json.RawMessage) (start, end time.Duration) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, 0
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, 0
		}
		raw = json.RawMessage(s)
	}
	var spans [][]float64
	if json.Unmarshal(raw, &spans) != nil || len(spans) == 0 {
		return 0, 0
	}
	first, last := spans[0], spans[len(spans)-1]
	if len(first) < 2 || len(last) < 2 {
		return 0, 0
	}
	return time.Duration(first[0] * float64(time.Millisecond)), time.Duration(last[1] * float64(time.Millisecond))
}
