package telephony

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/google/uuid"
)

// NLSRecognizer hears the callee through Alibaba Cloud Intelligent Speech
// Interaction (智能语音交互, NLS): its real-time recognition service
// (namespace SpeechTranscriber) over WebSocket, as its protocol document
// and its SDKs (alibabacloud-nls-go-sdk, -python-sdk) speak it:
//
//   - one connection per utterance to wss://nls-gateway-cn-shanghai.aliyuncs.com/ws/v1
//     (or the region's gateway), the token in the X-NLS-Token header;
//   - a JSON text command {"header":{"message_id","task_id","namespace":
//     "SpeechTranscriber","name":"StartTranscription","appkey"},
//     "payload":{"format":"pcm","sample_rate":8000,
//     "enable_intermediate_result":true,"enable_punctuation_prediction":true,
//     "enable_inverse_text_normalization":true,"max_sentence_silence":…}},
//     both ids 32 hex digits, answered by TranscriptionStarted;
//   - then the audio as binary frames: 16-bit little-endian mono PCM at
//     8 kHz (the telephone models; SampleRate 16000 resamples);
//   - events: SentenceBegin, TranscriptionResultChanged (payload.result,
//     the sentence so far: our partials), SentenceEnd (payload.result,
//     begin_time, time in ms, confidence: the service's endpoint);
//   - StopTranscription ends the utterance, answered by the last
//     SentenceEnd and TranscriptionCompleted;
//   - TaskFailed (header.status, status_text) at any point: 40000001 a
//     token refused or expired, 40000002/3/9 a message, parameter or
//     audio refused, 40000004 idle too long, 40000005 too many requests,
//     40020105 an appkey that does not exist, 5xxxxxxx the service's own.
//
// Hotwords cannot be sent with a request: NLS keeps them as a vocabulary
// on the service (VocabularyID names it). A token comes from Tokens
// (CreateToken with the account's AccessKey) or is fixed (Token).
type NLSRecognizer struct {
	// URL of the gateway: wss://nls-gateway-cn-shanghai.aliyuncs.com/ws/v1.
	URL string
	// AppKey is the project's appkey from the NLS console.
	AppKey string
	// Token, when set, is used as it is; else Tokens makes them.
	Token  string
	Tokens *NLSTokens
	// VocabularyID names a hotword list kept on the service ("": none).
	VocabularyID string
	// SampleRate is what the project's model takes: 8000 (default, the
	// telephone models) or 16000.
	SampleRate int
	// MaxSentenceSilence is the service's endpoint: the quiet that ends a
	// sentence, 200 ms to 2 s (0: 500 ms).
	MaxSentenceSilence time.Duration
	// Dial makes the TCP connection (nil: net.Dialer).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSConfig for wss:// (nil: the system's roots).
	TLSConfig *tls.Config
	// DialTimeout bounds connecting and TranscriptionStarted (0: 5 s);
	// FinalTimeout the final after StopTranscription (0: 5 s);
	// WriteTimeout one write of audio (0: 2 s).
	DialTimeout, FinalTimeout, WriteTimeout time.Duration
}

// NLSGateway is the Shanghai region's public gateway.
const NLSGateway = "wss://nls-gateway-cn-shanghai.aliyuncs.com/ws/v1"

// NewNLSRecognizer reads an NLS gateway URL (wss://…/ws/v1; an "nls+"
// prefix, as --asr takes it, is dropped) with the appkey as its appkey=
// query parameter or given, and optional settings vocabulary_id=,
// sample_rate=8000|16000 and token_url= (CreateToken's endpoint, for a
// region or a test double), taken off the URL. accessKey is
// "AccessKeyId:AccessKeySecret" (tokens are then made and renewed) or a
// token.
func NewNLSRecognizer(raw, appKey, accessKey string) (*NLSRecognizer, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		raw = NLSGateway
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("NLS URL %q: %v", raw, err)
	}
	u.Scheme = strings.TrimPrefix(strings.ToLower(u.Scheme), "nls+")
	if (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, fmt.Errorf("NLS URL %q: want wss://nls-gateway-cn-shanghai.aliyuncs.com/ws/v1 or your region's gateway", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("NLS URL %q: must not carry credentials; set the AccessKey instead", raw)
	}
	q := u.Query()
	r := &NLSRecognizer{AppKey: strings.TrimSpace(appKey), VocabularyID: q.Get("vocabulary_id"), SampleRate: 8000}
	if r.AppKey == "" {
		r.AppKey = q.Get("appkey")
	}
	if r.AppKey == "" {
		return nil, errors.New("NLS needs the project's appkey (from the NLS console)")
	}
	if sr := q.Get("sample_rate"); sr != "" {
		if r.SampleRate, err = strconv.Atoi(sr); err != nil || (r.SampleRate != 8000 && r.SampleRate != 16000) {
			return nil, fmt.Errorf("NLS URL %q: sample_rate %q: want 8000 or 16000, as the project's model", raw, sr)
		}
	}
	tokenURL := q.Get("token_url")
	for _, k := range []string{"appkey", "vocabulary_id", "sample_rate", "token_url"} {
		q.Del(k)
	}
	u.RawQuery = q.Encode()
	r.URL = u.String()
	if id, secret, ok := strings.Cut(accessKey, ":"); ok && id != "" && secret != "" {
		r.Tokens = &NLSTokens{AccessKeyID: id, AccessKeySecret: secret, Endpoint: tokenURL}
		if r.Tokens.Endpoint == "" {
			r.Tokens.Endpoint = nlsMetaEndpoint(u.Host)
		}
	} else {
		r.Token = strings.TrimSpace(accessKey)
	}
	if r.Token == "" && r.Tokens == nil {
		return nil, errors.New("NLS needs an AccessKey as AccessKeyId:AccessKeySecret (or a token)")
	}
	return r, nil
}

var nlsGatewayHost = regexp.MustCompile(`^nls-gateway[-.]([a-z0-9-]+?)(-internal)?\.aliyuncs\.com$`)

// nlsMetaEndpoint is CreateToken's endpoint for a gateway's region.
func nlsMetaEndpoint(host string) string {
	if m := nlsGatewayHost.FindStringSubmatch(strings.ToLower(host)); m != nil {
		return "https://nls-meta." + m[1] + ".aliyuncs.com/"
	}
	return "https://nls-meta.cn-shanghai.aliyuncs.com/"
}

// NLSTokens makes NLS tokens with an AccessKey (CreateToken, a POP RPC
// call signed as every Alibaba Cloud RPC API is: see AliyunSignature) and
// keeps each until a minute before it expires.
type NLSTokens struct {
	AccessKeyID, AccessKeySecret string
	// Endpoint is CreateToken's: https://nls-meta.cn-shanghai.aliyuncs.com/.
	Endpoint string
	Client   *http.Client

	mu      sync.Mutex
	token   string
	expires time.Time
}

// Get returns a token that is good for at least a minute.
func (t *NLSTokens) Get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && time.Until(t.expires) > time.Minute {
		return t.token, nil
	}
	params := url.Values{}
	params.Set("AccessKeyId", t.AccessKeyID)
	params.Set("Action", "CreateToken")
	params.Set("Format", "JSON")
	params.Set("RegionId", "cn-shanghai")
	params.Set("SignatureMethod", "HMAC-SHA1")
	params.Set("SignatureNonce", uuid.NewString())
	params.Set("SignatureVersion", "1.0")
	params.Set("Timestamp", time.Now().UTC().Format(aliyunTimestamp))
	params.Set("Version", "2019-02-28")
	body := aliyunCanonical(params) + "&Signature=" + AliyunPercentEncode(AliyunSignature(http.MethodPost, params, t.AccessKeySecret))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.Endpoint, strings.NewReader(body))
	if err != nil {
		return "", recognitionError("nls", ErrASRFailed, "CreateToken: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	client := t.Client
	if client == nil {
		client = aliyunDefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", recognitionError("nls", ErrASRUnavailable, "CreateToken: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var reply struct {
		Token struct {
			ID         string `json:"Id"`
			ExpireTime int64  `json:"ExpireTime"`
		} `json:"Token"`
		Code    string `json:"Code"`
		Message string `json:"Message"`
		ErrMsg  string `json:"ErrMsg"`
	}
	if err := json.Unmarshal(raw, &reply); err != nil {
		return "", recognitionError("nls", ErrASRUnavailable, "CreateToken answered HTTP %d with no JSON", resp.StatusCode)
	}
	if reply.Token.ID == "" {
		kind := ErrASRFailed
		switch {
		case resp.StatusCode == http.StatusNotFound || strings.HasPrefix(reply.Code, "InvalidAccessKeyId") ||
			reply.Code == "SignatureDoesNotMatch" || resp.StatusCode == http.StatusForbidden:
			kind = ErrASRAuth
		case resp.StatusCode >= 500 || strings.HasPrefix(reply.Code, "Throttling"):
			kind = ErrASRUnavailable
		}
		msg := reply.Message
		if msg == "" {
			msg = reply.ErrMsg
		}
		return "", recognitionError("nls", kind, "CreateToken refused (HTTP %d %s): %s", resp.StatusCode, reply.Code, firstLine([]byte(msg)))
	}
	t.token, t.expires = reply.Token.ID, time.Unix(reply.Token.ExpireTime, 0)
	return t.token, nil
}

// forget drops token if it is the one kept.
func (t *NLSTokens) forget(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token == token {
		t.token = ""
	}
}

func (r *NLSRecognizer) token(ctx context.Context) (string, error) {
	if r.Token != "" || r.Tokens == nil {
		return r.Token, nil
	}
	return r.Tokens.Get(ctx)
}

// nlsID is a fresh 32-hex-digit id, as message_id and task_id are.
func nlsID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type nlsHeader struct {
	MessageID  string `json:"message_id"`
	TaskID     string `json:"task_id"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	AppKey     string `json:"appkey,omitempty"`
	Status     int    `json:"status,omitempty"`
	StatusText string `json:"status_text,omitempty"`
	// StatusMessage is how some services spell status_text.
	StatusMessage string `json:"status_message,omitempty"`
}

type nlsMessage struct {
	Header  nlsHeader       `json:"header"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

type nlsResult struct {
	Index      int     `json:"index"`
	Time       int64   `json:"time"`
	BeginTime  int64   `json:"begin_time"`
	Result     string  `json:"result"`
	Confidence float64 `json:"confidence"`
}

// nlsError turns a TaskFailed (or a refused start) into our kinds.
func nlsError(h nlsHeader) *RecognitionError {
	text := h.StatusText
	if text == "" {
		text = h.StatusMessage
	}
	kind := ErrASRFailed
	switch {
	case h.Status == 40000001 || h.Status == 40020105 || h.Status == 40000010:
		kind = ErrASRAuth
	case h.Status == 40000002 || h.Status == 40000003 || h.Status == 40000009:
		kind = ErrASRRefused
	case h.Status == 40000004:
		kind = ErrASRTimeout
	case h.Status == 40000005 || h.Status >= 50000000:
		kind = ErrASRUnavailable
	}
	return recognitionError("nls", kind, "%d %s", h.Status, text)
}

// Open connects, starts the transcription and waits until it has started.
func (r *NLSRecognizer) Open(ctx context.Context, opts StreamOptions) (RecognizerSession, error) {
	token, err := r.token(ctx)
	if err != nil {
		return nil, err
	}
	dialTimeout := orDefault(r.DialTimeout, 5*time.Second)
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	var status int
	d := ws.Dialer{NetDial: r.Dial, TLSConfig: r.TLSConfig,
		Header:        ws.HandshakeHeaderHTTP(http.Header{"X-NLS-Token": []string{token}}),
		OnStatusError: func(code int, _ []byte, _ io.Reader) { status = code }}
	conn, br, _, err := d.Dial(dctx, r.URL)
	if err != nil {
		switch {
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return nil, recognitionError("nls", ErrASRAuth, "the gateway refused the token (HTTP %d)", status)
		case status != 0:
			return nil, recognitionError("nls", ErrASRUnavailable, "the gateway answered HTTP %d", status)
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case dctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded):
			return nil, recognitionError("nls", ErrASRTimeout, "no WebSocket handshake with %s within %s", r.URL, dialTimeout)
		}
		return nil, recognitionError("nls", ErrASRUnavailable, "connect to %s: %v", r.URL, err)
	}
	var rd io.Reader = conn
	if br != nil {
		rd = br // what came with the handshake's answer, then the connection
	}
	s := &nlsSession{r: r, rw: struct {
		io.Reader
		io.Writer
	}{rd, conn}, task: nlsID(), started: make(chan error, 1), streamSession: newStreamSession("nls", conn, r.WriteTimeout, r.sampleRate())}
	silence := r.MaxSentenceSilence
	if silence <= 0 {
		silence = 500 * time.Millisecond
	}
	payload := map[string]any{"format": "pcm", "sample_rate": r.sampleRate(), "enable_intermediate_result": true,
		"enable_punctuation_prediction": true, "enable_inverse_text_normalization": true,
		"max_sentence_silence": min(max(silence.Milliseconds(), 200), 2000)}
	if r.VocabularyID != "" {
		payload["vocabulary_id"] = r.VocabularyID
	}
	if err := s.command("StartTranscription", payload); err != nil {
		conn.Close()
		return nil, err
	}
	go s.read()
	select {
	case err := <-s.started:
		if err != nil {
			s.Close()
			if errors.Is(err, ErrASRAuth) && r.Tokens != nil {
				// Revoked or expired before its time: the next session
				// asks for a new one.
				r.Tokens.forget(token)
			}
			return nil, err
		}
	case <-dctx.Done():
		s.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, recognitionError("nls", ErrASRTimeout, "the transcription did not start within %s", dialTimeout)
	}
	s.stopCtx = context.AfterFunc(ctx, func() { s.Close() })
	return s, nil
}

func (r *NLSRecognizer) sampleRate() int {
	if r.SampleRate == 16000 {
		return 16000
	}
	return 8000
}

// Recognize hears a whole utterance at once.
func (r *NLSRecognizer) Recognize(ctx context.Context, req RecognizeRequest) (Transcript, error) {
	return recognizeWhole(ctx, r, req)
}

// Hears: an NLS project hears the language of the model chosen for it in
// the console, which outcall cannot ask; it is taken to hear them all.
func (r *NLSRecognizer) Hears(string) error { return nil }

// nlsSession is one utterance on one connection. read runs on its own
// and is the only sender on out, which it closes when it returns.
type nlsSession struct {
	r       *NLSRecognizer
	rw      io.ReadWriter
	task    string
	started chan error

	up  upsampler2x
	pcm []byte

	streamSession

	committed  string
	confidence float64
	begin, end time.Duration
}

func (s *nlsSession) command(name string, payload any) error {
	m := map[string]any{"header": nlsHeader{MessageID: nlsID(), TaskID: s.task, Namespace: "SpeechTranscriber", Name: name, AppKey: s.r.AppKey}}
	if payload != nil {
		m["payload"] = payload
	}
	b, _ := json.Marshal(m)
	return s.write(ws.OpText, b)
}

func (s *nlsSession) write(op ws.OpCode, b []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.conn.SetWriteDeadline(time.Now().Add(s.writeTimeout))
	if err := wsutil.WriteClientMessage(s.conn, op, b); err != nil {
		return s.writeFailed(err)
	}
	if op == ws.OpBinary {
		s.sent.Add(int64(len(b)))
	}
	return nil
}

func (s *nlsSession) Write(pcm []int16) error {
	if err := s.over(); err != nil {
		return err
	}
	if len(pcm) == 0 {
		return nil
	}
	s.wmu.Lock()
	var b []byte
	if s.r.sampleRate() == 16000 {
		b = s.up.process(s.pcm[:0], pcm)
	} else {
		b = s.pcm[:0]
		for _, v := range pcm {
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
	}
	s.pcm = b
	s.wmu.Unlock()
	return s.write(ws.OpBinary, b)
}

// End sends StopTranscription and waits at most FinalTimeout for the end.
func (s *nlsSession) End() error {
	if err := s.over(); err != nil {
		return err
	}
	if s.r.sampleRate() == 16000 {
		s.wmu.Lock()
		b := s.up.flush(s.pcm[:0])
		s.pcm = b
		s.wmu.Unlock()
		if len(b) > 0 {
			if err := s.write(ws.OpBinary, b); err != nil {
				return err
			}
		}
	}
	s.awaitFinal(s.r.FinalTimeout)
	return s.command("StopTranscription", nil)
}

func (s *nlsSession) Close() error { return s.shut(nil) }

// read takes the service's events until the end, a failure or Close.
func (s *nlsSession) read() {
	defer close(s.readerDone)
	defer close(s.out)
	defer func() {
		s.stopTimer()
		select {
		case s.started <- s.Err():
		default:
		}
	}()
	for {
		msg, op, err := wsutil.ReadServerData(s.rw)
		if err != nil {
			var closed wsutil.ClosedError
			if errors.As(err, &closed) {
				s.fail(recognitionError("nls", ErrASRUnavailable, "the service closed the connection (%d %s) after %s of audio", closed.Code, closed.Reason, s.audio().Round(time.Millisecond)))
			} else {
				s.fail(recognitionError("nls", ErrASRUnavailable, "the connection dropped after %s of audio: %v", s.audio().Round(time.Millisecond), err))
			}
			return
		}
		if op != ws.OpText {
			continue
		}
		if s.handle(msg) {
			return
		}
	}
}

// handle takes one event; it returns true when the session is over.
func (s *nlsSession) handle(msg []byte) bool {
	var m nlsMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		s.fail(recognitionError("nls", ErrASRFailed, "the service sent something that is not its JSON event: %.80q", msg))
		return true
	}
	var p nlsResult
	if len(m.Payload) > 0 {
		json.Unmarshal(m.Payload, &p)
	}
	ended := s.isEnded()
	switch m.Header.Name {
	case "TranscriptionStarted":
		select {
		case s.started <- nil:
		default:
		}
	case "TaskFailed":
		s.fail(nlsError(m.Header))
		return true
	case "TranscriptionResultChanged":
		s.deliver(Hypothesis{Text: strings.TrimSpace(s.committed + p.Result), Confidence: p.Confidence, Audio: s.audio(),
			Start: time.Duration(p.BeginTime) * time.Millisecond, End: time.Duration(p.Time) * time.Millisecond})
	case "SentenceEnd":
		if s.committed == "" {
			s.begin = time.Duration(p.BeginTime) * time.Millisecond
		}
		s.committed += p.Result
		s.confidence, s.end = p.Confidence, time.Duration(p.Time)*time.Millisecond
		if !ended && strings.TrimSpace(p.Result) != "" {
			// The service found the end of a sentence: its endpoint.
			s.deliver(Hypothesis{Text: strings.TrimSpace(s.committed), Final: true, Confidence: p.Confidence, Audio: s.audio(), Start: s.begin, End: s.end})
		}
	case "TranscriptionCompleted":
		s.markFinished()
		s.deliver(Hypothesis{Text: strings.TrimSpace(s.committed), Final: true, Confidence: s.confidence, Audio: s.audio(), Start: s.begin, End: s.end})
		s.conn.Close()
		return true
	}
	return false
}
