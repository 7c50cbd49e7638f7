package scripting

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The script host protocol: each message is a 4-byte big-endian length and
// a JSON object. The parent sends hostRequests; the host answers each but
// close with a hostResponse carrying the same id, in any order.

const maxFrame = 16 << 20

type hostRequest struct {
	ID      uint64          `json:"id"`
	Op      string          `json:"op"` // ping | compile | open | start | turn | resolve | respond | close (not answered) | segment
	Session uint64          `json:"session,omitempty"`
	Name    string          `json:"name,omitempty"`
	Source  string          `json:"source,omitempty"`
	Lang    string          `json:"lang,omitempty"`
	Limits  *Limits         `json:"limits,omitempty"`
	Contact json.RawMessage `json:"contact,omitempty"`
	Options *SessionOptions `json:"options,omitempty"`
	Text    string          `json:"text,omitempty"`
	// Answer is the model's answer to a turn's Ask (resolve).
	Answer *Answer `json:"answer,omitempty"`
	// Response is what became of a step's Request (respond).
	Response *Response `json:"response,omitempty"`
	// Contacts is the batch for a segment request.
	Contacts []Contact `json:"contacts,omitempty"`
	// script names the tenant code the request runs (scriptKey), for the
	// supervisor's own bookkeeping; it is not sent.
	script string
}

type hostResponse struct {
	ID          uint64          `json:"id"`
	Error       string          `json:"error,omitempty"`
	Diagnostics []Diagnostic    `json:"diagnostics,omitempty"`
	Graph       *Graph          `json:"graph,omitempty"`
	Fallback    string          `json:"fallback,omitempty"`
	Lang        string          `json:"lang,omitempty"`
	Turn        *Step           `json:"turn,omitempty"`
	Result      *Result         `json:"result,omitempty"`
	Segments    []SegmentResult `json:"segments,omitempty"`
	// Nanos is how long the host spent on the request, so the cost of the
	// boundary itself can be told apart.
	Nanos int64 `json:"nanos,omitempty"`
}

// writeFrame writes v as one frame with a single Write, so a frame costs
// one system call when w is unbuffered and is never split between two
// writers.
func writeFrame(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	frame := make([]byte, 4, 4+len(b))
	binary.BigEndian.PutUint32(frame, uint32(len(b)))
	_, err = w.Write(append(frame, b...))
	return err
}

// frameReader reads frames from a stream. A read that fails with a
// deadline keeps what arrived so far, so reading can go on after it (a
// reader may stop to check its context or its own deadline); any other
// error sticks.
type frameReader struct {
	buf  []byte
	r, w int
	err  error
}

// next returns the next frame's body; it is valid until the next call.
func (f *frameReader) next(src io.Reader) ([]byte, error) {
	if f.err != nil {
		return nil, f.err
	}
	for {
		need := 4
		if f.w-f.r >= 4 {
			n := binary.BigEndian.Uint32(f.buf[f.r:])
			if n > maxFrame {
				f.err = fmt.Errorf("frame of %d bytes exceeds the %d byte limit", n, maxFrame)
				return nil, f.err
			}
			need += int(n)
			if f.w-f.r >= need {
				body := f.buf[f.r+4 : f.r+need]
				f.r += need
				return body, nil
			}
		}
		if f.r == f.w {
			f.r, f.w = 0, 0
		}
		if len(f.buf)-f.r < need {
			if f.r > 0 {
				f.w = copy(f.buf, f.buf[f.r:f.w])
				f.r = 0
			}
			if len(f.buf) < need {
				f.buf = append(f.buf[:f.w], make([]byte, max(need, 64<<10)-f.w)...)
			}
		}
		m, err := src.Read(f.buf[f.w:])
		f.w += m
		if err != nil && m == 0 {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return nil, err
			}
			if errors.Is(err, io.EOF) && f.w > f.r {
				err = io.ErrUnexpectedEOF
			}
			f.err = err
			return nil, err
		}
	}
}

// HostOptions configure a script host process.
type HostOptions struct {
	// MemoryLimit is how much memory, in bytes, tenant code may make the
	// host use on top of what the Go runtime reserved at start. The host
	// applies it to itself as RLIMIT_AS; a script that allocates past it
	// kills only this host. 0 means no OS limit.
	MemoryLimit int64
}

// MemoryLimitEnv is the environment variable a supervisor uses to hand the
// memory limit (bytes) to a script host it starts.
const MemoryLimitEnv = "OUTCALL_SCRIPT_HOST_MEMORY"

// HostOptionsFromEnv reads HostOptions from the environment.
func HostOptionsFromEnv() HostOptions {
	n, _ := strconv.ParseInt(os.Getenv(MemoryLimitEnv), 10, 64)
	return HostOptions{MemoryLimit: n}
}

// ServeHost runs a script host: it reads requests from r and writes
// responses to w until r ends. It is what `outcall script-host` runs in a
// child process. Sessions run concurrently; each session's turns run in
// order.
func ServeHost(r io.Reader, w io.Writer, opts HostOptions) error {
	if opts.MemoryLimit > 0 {
		if err := limitMemory(opts.MemoryLimit); err != nil {
			return err
		}
	}
	h := &hostServer{sessions: map[uint64]*hostSession{}, w: w, r: r, done: make(chan error, 1)}
	go h.serve()
	return <-h.done
}

// limitMemory caps the address space at what the process has reserved now
// plus limit. The Go runtime reserves address space it never touches, so
// a bare RLIMIT_AS of a few hundred megabytes would stop it at start.
func limitMemory(limit int64) error {
	base := int64(0)
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmSize:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				base = kb << 10
			}
		}
	}
	lim := uint64(base + limit + limit/4 + 64<<20) // headroom for threads and arenas
	// Live sessions are most of the heap and change slowly: collect less
	// often, but always before the hard limit.
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(limit)
	return syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: lim, Max: lim})
}

type hostServer struct {
	mu       sync.Mutex
	sessions map[uint64]*hostSession
	r        io.Reader
	frames   frameReader // used by the reading goroutine only
	wmu      sync.Mutex
	w        io.Writer
	done     chan error
}

type hostSession struct {
	mu sync.Mutex
	s  *Session
}

func (h *hostServer) reply(resp *hostResponse) {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	_ = writeFrame(h.w, resp)
}

// stallAfter is how long a request may run on the reading goroutine
// before another goroutine takes over reading, so one slow script does
// not hold up the host's other calls.
const stallAfter = 500 * time.Microsecond

// serve reads requests and runs each turn right here, so an answer never
// waits for a hand-off between goroutines or threads. When a turn runs
// longer than stallAfter, a timer starts a new goroutine that takes over
// reading (leader/follower), and this one ends once it has answered.
// Requests that are slow by nature hand reading over at once.
func (h *hostServer) serve() {
	var takeover *time.Timer
	for {
		req := new(hostRequest)
		b, err := h.frames.next(h.r)
		if err == nil {
			err = json.Unmarshal(b, req)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			h.done <- err
			return
		}
		switch req.Op {
		case "close":
			// Closing is not answered: the caller does not wait for it.
			h.handle(req)
			continue
		case "start", "compile", "segment":
			// Slow by nature (a start makes the call's runtime): another
			// goroutine reads meanwhile.
			go h.serve()
			h.reply(h.handle(req))
			return
		}
		if takeover == nil {
			takeover = time.AfterFunc(stallAfter, h.serve)
		} else {
			takeover.Reset(stallAfter)
		}
		h.reply(h.handle(req))
		if !takeover.Stop() {
			// The timer fired: another goroutine reads now.
			return
		}
	}
}

func (h *hostServer) handle(req *hostRequest) (resp *hostResponse) {
	resp = &hostResponse{ID: req.ID}
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			resp = &hostResponse{ID: req.ID, Error: fmt.Sprintf("script host: %v", r)}
		}
		resp.Nanos = time.Since(start).Nanoseconds()
	}()
	opts := []Option{}
	if req.Lang != "" {
		opts = append(opts, WithLang(req.Lang))
	}
	if req.Limits != nil {
		opts = append(opts, WithLimits(*req.Limits))
	}
	switch req.Op {
	case "ping":
		// Nothing to do: the answer itself says the host serves.
	case "compile":
		s, ds := Compile(req.Name, req.Source, opts...)
		resp.Diagnostics = ds
		if s != nil {
			g := s.Graph()
			resp.Graph = &g
		}
	case "open":
		s, ds := Compile(req.Name, req.Source, opts...)
		if s == nil {
			resp.Diagnostics = ds
			resp.Error = "the script does not compile"
			return
		}
		var contact Contact
		if len(req.Contact) > 0 {
			if err := json.Unmarshal(req.Contact, &contact); err != nil {
				resp.Error = "contact: " + err.Error()
				return
			}
		}
		var so SessionOptions
		if req.Options != nil {
			so = *req.Options
		}
		sess, err := s.NewSession(contact, so)
		if err != nil {
			resp.Error = err.Error()
			return
		}
		h.mu.Lock()
		h.sessions[req.Session] = &hostSession{s: sess}
		h.mu.Unlock()
		resp.Fallback, resp.Lang = s.dialog.Fallback.End, s.dialog.Lang
	case "start", "turn", "resolve", "respond":
		h.mu.Lock()
		hs := h.sessions[req.Session]
		h.mu.Unlock()
		if hs == nil {
			resp.Error = "unknown session"
			return
		}
		hs.mu.Lock()
		defer hs.mu.Unlock()
		var t *Step
		var err error
		switch {
		case req.Op == "start":
			t, err = hs.s.Start()
		case req.Op == "resolve" && req.Answer != nil:
			t, err = hs.s.Resolve(*req.Answer)
		case req.Op == "resolve":
			err = errors.New("resolve needs the model's answer")
		case req.Op == "respond" && req.Response != nil:
			t, err = hs.s.Respond(*req.Response)
		case req.Op == "respond":
			err = errors.New("respond needs the request's response")
		default:
			t, err = hs.s.Turn(req.Text)
		}
		if err != nil {
			resp.Error = err.Error()
			return
		}
		resp.Turn, resp.Result = t, hs.s.Result()
	case "close":
		h.mu.Lock()
		delete(h.sessions, req.Session)
		h.mu.Unlock()
	case "segment":
		sg, ds := CompileSegmenter(req.Name, req.Source, opts...)
		if sg == nil {
			resp.Diagnostics = ds
			resp.Error = "the segmentation script does not compile"
			return
		}
		resp.Segments = sg.SegmentAll(req.Contacts)
	default:
		resp.Error = "unknown op " + strconv.Quote(req.Op)
	}
	return resp
}
