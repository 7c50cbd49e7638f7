// Package whispertest is a test double of a Whisper-shaped transcription
// service: POST /v1/audio/transcriptions with a multipart form (file,
// model, language, prompt, response_format) answered {"text": …}, the
// shape of OpenAI's audio API and the servers that copy it. It checks
// requests as such a service does — a WAV file, a language given as an
// ISO 639-1 code (a tag such as "zh-CN" is refused with 400, as OpenAI
// refuses it), the bearer key when one is required — and answers the text
// it is told to, never a transcription of its own. Faults on demand: a
// dropped connection, an answer that comes too late, refused audio.
package whispertest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"time"
)

// Fault is trouble the double makes: on every request from Fault on, or
// on the next one only with FaultNext.
type Fault int

const (
	FaultNone Fault = iota
	// FaultDrop closes the connection without an answer.
	FaultDrop
	// FaultSlow answers only after SlowBy.
	FaultSlow
	// FaultRefuseAudio answers 400, the file not being audio it can read.
	FaultRefuseAudio
)

// Request is one transcription request as the double read it.
type Request struct {
	Authorization                           string
	Model, Language, Prompt, ResponseFormat string
	// SampleRate and Samples are the WAV file's (mono 16-bit).
	SampleRate int
	Samples    []int16
}

// Duration is how long the request's audio lasts.
func (r Request) Duration() time.Duration {
	if r.SampleRate == 0 {
		return 0
	}
	return time.Duration(len(r.Samples)) * time.Second / time.Duration(r.SampleRate)
}

// Server is the double, listening on loopback.
type Server struct {
	// URL is the base URL (http://127.0.0.1:port).
	URL string
	// SlowBy is how late FaultSlow answers (0: 2 s).
	SlowBy time.Duration

	srv      *httptest.Server
	mu       sync.Mutex
	text     string
	key      string
	fault    Fault
	once     bool
	requests []Request
}

// NewServer starts a double that hears text in every utterance.
func NewServer(text string) *Server {
	s := &Server{text: text}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the double.
func (s *Server) Close() { s.srv.Close() }

// SetText sets what the next requests hear.
func (s *Server) SetText(text string) {
	s.mu.Lock()
	s.text = text
	s.mu.Unlock()
}

// RequireKey makes requests need "Authorization: Bearer key" ("" stops
// asking), answering 401 otherwise.
func (s *Server) RequireKey(key string) {
	s.mu.Lock()
	s.key = key
	s.mu.Unlock()
}

// Fault makes trouble on every request from now on (FaultNone stops).
func (s *Server) Fault(f Fault) {
	s.mu.Lock()
	s.fault, s.once = f, false
	s.mu.Unlock()
}

// FaultNext makes trouble on the next request only.
func (s *Server) FaultNext(f Fault) {
	s.mu.Lock()
	s.fault, s.once = f, true
	s.mu.Unlock()
}

// CloseConnections drops the idle keep-alive connections, as a restart
// would.
func (s *Server) CloseConnections() { s.srv.CloseClientConnections() }

// Requests returns the requests so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

var iso6391 = regexp.MustCompile(`^[a-z]{2}$`)

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error", "code": code}})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/audio/transcriptions" {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	key, text, fault := s.key, s.text, s.fault
	if s.once {
		s.fault, s.once = FaultNone, false
	}
	s.mu.Unlock()
	req := Request{Authorization: r.Header.Get("Authorization")}
	if key != "" && req.Authorization != "Bearer "+key {
		apiError(w, http.StatusUnauthorized, "invalid_api_key", "Incorrect API key provided.")
		return
	}
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		apiError(w, http.StatusBadRequest, "", "Could not parse multipart form: "+err.Error())
		return
	}
	req.Model, req.Language, req.Prompt, req.ResponseFormat = r.FormValue("model"), r.FormValue("language"), r.FormValue("prompt"), r.FormValue("response_format")
	f, _, err := r.FormFile("file")
	if err != nil {
		apiError(w, http.StatusBadRequest, "", "file is required")
		return
	}
	data, _ := io.ReadAll(f)
	req.SampleRate, req.Samples, err = readWAV(data)
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	switch {
	case err != nil || fault == FaultRefuseAudio:
		apiError(w, http.StatusBadRequest, "", "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']")
		return
	case req.Language != "" && !iso6391.MatchString(req.Language):
		apiError(w, http.StatusBadRequest, "", fmt.Sprintf("Invalid language '%s'. Language parameter must be specified in ISO-639-1 format.", req.Language))
		return
	case req.Model == "":
		apiError(w, http.StatusBadRequest, "", "you must provide a model parameter")
		return
	}
	switch fault {
	case FaultDrop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	case FaultSlow:
		slow := s.SlowBy
		if slow <= 0 {
			slow = 2 * time.Second
		}
		select {
		case <-time.After(slow):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"text": text})
}

// readWAV reads a mono 16-bit PCM WAV file.
func readWAV(b []byte) (int, []int16, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0, nil, fmt.Errorf("not a WAV file")
	}
	rate := 0
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		body := b[off+8 : min(off+8+size, len(b))]
		switch id {
		case "fmt ":
			if len(body) < 16 || binary.LittleEndian.Uint16(body[0:]) != 1 || binary.LittleEndian.Uint16(body[14:]) != 16 {
				return 0, nil, fmt.Errorf("not 16-bit PCM")
			}
			rate = int(binary.LittleEndian.Uint32(body[4:]))
		case "data":
			if rate == 0 {
				return 0, nil, fmt.Errorf("data before fmt")
			}
			out := make([]int16, len(body)/2)
			binary.Read(bytes.NewReader(body[:len(out)*2]), binary.LittleEndian, out)
			return rate, out, nil
		}
		off += 8 + size + size%2
	}
	return 0, nil, fmt.Errorf("no data chunk")
}
