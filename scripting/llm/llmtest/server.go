// Package llmtest is a test double of an OpenAI-compatible chat
// completions endpoint (POST {base}/chat/completions), for tests, the demo
// and benchmarks where no model can be reached. It speaks the protocol as
// the providers publish it: bearer authentication, the chat.completion
// object, server-sent events of chat.completion.chunk ending in
// `data: [DONE]` with a usage chunk when stream_options.include_usage is
// set, tool calls streamed as deltas, JSON error bodies. What it answers is
// scripted per test (Respond); its default is a naive keyword matcher, not
// a language model, and no figure measured against it is a model's.
package llmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Request is what the double received, decoded.
type Request struct {
	Auth     string
	Model    string
	Stream   bool
	Usage    bool // stream_options.include_usage
	Messages []Message
	// Enum is the allowed values of the response format's or the tool's
	// `intent` property.
	Enum []string
	// Schema is set when the request asked for a JSON schema answer;
	// Tools names the tools offered.
	Schema bool
	Tools  []string
	Raw    map[string]any
}

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// User returns the last user message's content.
func (r Request) User() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// System returns the system message's content.
func (r Request) System() string {
	for _, m := range r.Messages {
		if m.Role == "system" {
			return m.Content
		}
	}
	return ""
}

// Response is what the double answers to one request.
type Response struct {
	// Content is the message's text (for a schema request, the JSON).
	Content string
	// Tool, when set, is a tool call with these JSON arguments.
	Tool, ToolArgs string
	Refusal        string
	// Delay holds the answer back (the first chunk, when streaming).
	Delay time.Duration
	// ChunkDelay spaces streamed chunks.
	ChunkDelay time.Duration
	// Status, when set, is an HTTP error with an OpenAI-style error body.
	Status int
	// Body, when set, is sent as is instead of a well-formed answer.
	Body string
	// PromptTokens and CompletionTokens are reported as usage (default:
	// a rough count of the request and the answer).
	PromptTokens, CompletionTokens int
}

// Server is the double. Respond decides each answer; nil uses Default.
type Server struct {
	*httptest.Server
	APIKey string

	mu       sync.Mutex
	respond  func(Request) Response
	requests []Request
}

// New starts a double that accepts apiKey ("" accepts any).
func New(apiKey string) *Server {
	s := &Server{APIKey: apiKey}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// BaseURL is the API base a client is configured with.
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// Respond sets how the double answers.
func (s *Server) Respond(f func(Request) Response) {
	s.mu.Lock()
	s.respond = f
	s.mu.Unlock()
}

// Requests returns what the double received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		apiError(w, http.StatusNotFound, "invalid_request_error", "unknown endpoint "+r.Method+" "+r.URL.Path)
		return
	}
	if s.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+s.APIKey {
		apiError(w, http.StatusUnauthorized, "invalid_api_key", "Incorrect API key provided.")
		return
	}
	var raw map[string]any
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&raw); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_request_error", "the body is not JSON: "+err.Error())
		return
	}
	req := decode(raw)
	req.Auth = r.Header.Get("Authorization")
	if req.Model == "" || len(req.Messages) == 0 {
		apiError(w, http.StatusBadRequest, "invalid_request_error", "model and messages are required")
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	respond := s.respond
	s.mu.Unlock()
	if respond == nil {
		respond = Default
	}
	resp := respond(req)
	if resp.Delay > 0 {
		select {
		case <-time.After(resp.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if resp.Status != 0 {
		apiError(w, resp.Status, "server_error", "the model is overloaded")
		return
	}
	if resp.Body != "" {
		if req.Stream {
			w.Header().Set("Content-Type", "text/event-stream")
		} else {
			w.Header().Set("Content-Type", "application/json")
		}
		_, _ = w.Write([]byte(resp.Body))
		return
	}
	if resp.PromptTokens == 0 {
		for _, m := range req.Messages {
			resp.PromptTokens += utf8.RuneCountInString(m.Content)/2 + 4
		}
	}
	if resp.CompletionTokens == 0 {
		resp.CompletionTokens = utf8.RuneCountInString(resp.Content)/2 + utf8.RuneCountInString(resp.ToolArgs)/2 + 1
	}
	if req.Stream {
		s.stream(w, r, req, resp)
		return
	}
	msg := map[string]any{"role": "assistant", "content": resp.Content}
	finish := "stop"
	if resp.Refusal != "" {
		msg["content"], msg["refusal"] = nil, resp.Refusal
	}
	if resp.Tool != "" {
		msg["content"] = nil
		msg["tool_calls"] = []any{map[string]any{"id": "call_1", "type": "function", "function": map[string]any{"name": resp.Tool, "arguments": resp.ToolArgs}}}
		finish = "tool_calls"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-double", "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}},
		"usage":   usage(resp),
	})
}

func usage(r Response) map[string]int {
	return map[string]int{"prompt_tokens": r.PromptTokens, "completion_tokens": r.CompletionTokens, "total_tokens": r.PromptTokens + r.CompletionTokens}
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, req Request, resp Response) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	flusher, _ := w.(http.Flusher)
	send := func(v any) bool {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		if resp.ChunkDelay > 0 {
			select {
			case <-time.After(resp.ChunkDelay):
			case <-r.Context().Done():
				return false
			}
		}
		return true
	}
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"id": "chatcmpl-double", "object": "chat.completion.chunk", "created": time.Now().Unix(), "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	if !send(chunk(map[string]any{"role": "assistant", "content": ""}, nil)) {
		return
	}
	finish := "stop"
	switch {
	case resp.Refusal != "":
		for _, part := range pieces(resp.Refusal, 4) {
			if !send(chunk(map[string]any{"refusal": part}, nil)) {
				return
			}
		}
	case resp.Tool != "":
		finish = "tool_calls"
		if !send(chunk(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": "call_1", "type": "function", "function": map[string]any{"name": resp.Tool, "arguments": ""}}}}, nil)) {
			return
		}
		for _, part := range pieces(resp.ToolArgs, 6) {
			if !send(chunk(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"arguments": part}}}}, nil)) {
				return
			}
		}
	default:
		for _, part := range pieces(resp.Content, 3) {
			if !send(chunk(map[string]any{"content": part}, nil)) {
				return
			}
		}
	}
	if !send(chunk(map[string]any{}, finish)) {
		return
	}
	if req.Usage {
		if !send(map[string]any{"id": "chatcmpl-double", "object": "chat.completion.chunk", "created": time.Now().Unix(), "model": req.Model,
			"choices": []any{}, "usage": usage(resp)}) {
			return
		}
	}
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
}

// pieces cuts s into chunks of n runes, as a model streams tokens.
func pieces(s string, n int) []string {
	var out []string
	r := []rune(s)
	for len(r) > 0 {
		k := min(n, len(r))
		out = append(out, string(r[:k]))
		r = r[k:]
	}
	return out
}

func apiError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": typ}})
}

func decode(raw map[string]any) Request {
	req := Request{Raw: raw}
	req.Model, _ = raw["model"].(string)
	req.Stream, _ = raw["stream"].(bool)
	if so, ok := raw["stream_options"].(map[string]any); ok {
		req.Usage, _ = so["include_usage"].(bool)
	}
	if ms, ok := raw["messages"].([]any); ok {
		for _, m := range ms {
			mm, _ := m.(map[string]any)
			role, _ := mm["role"].(string)
			content, _ := mm["content"].(string)
			req.Messages = append(req.Messages, Message{Role: role, Content: content})
		}
	}
	if rf, ok := raw["response_format"].(map[string]any); ok && rf["type"] == "json_schema" {
		req.Schema = true
		js, _ := rf["json_schema"].(map[string]any)
		req.Enum = enumOf(js["schema"])
	}
	if ts, ok := raw["tools"].([]any); ok {
		for _, t := range ts {
			tm, _ := t.(map[string]any)
			fn, _ := tm["function"].(map[string]any)
			name, _ := fn["name"].(string)
			req.Tools = append(req.Tools, name)
			if req.Enum == nil {
				req.Enum = enumOf(fn["parameters"])
			}
		}
	}
	return req
}

func enumOf(schema any) []string {
	s, _ := schema.(map[string]any)
	props, _ := s["properties"].(map[string]any)
	intent, _ := props["intent"].(map[string]any)
	list, _ := intent["enum"].([]any)
	var out []string
	for _, v := range list {
		if x, ok := v.(string); ok {
			out = append(out, x)
		}
	}
	return out
}

// Default answers as a naive keyword matcher would: for a schema request,
// the first allowed intent whose name or example phrase (from the user
// message's intents) appears in what the callee said, else "none"; for a
// streamed request with a tool, the same intent as a tool call, else a
// short fixed reply in the call's language.
func Default(req Request) Response {
	var data struct {
		Said    string `json:"callee_said"`
		Intents []struct {
			Name     string   `json:"name"`
			Examples []string `json:"examples"`
		} `json:"intents"`
	}
	text := req.User()
	if json.Unmarshal([]byte(text), &data) == nil && data.Said != "" {
		text = data.Said
	} else if len(req.Tools) > 0 {
		// A reply request: the intents are in the instructions.
		sys := req.System()
		if i := strings.Index(sys, "The intents: "); i >= 0 {
			rest := sys[i+len("The intents: "):]
			if j := strings.Index(rest, "\n"); j >= 0 {
				rest = rest[:j]
			}
			_ = json.Unmarshal([]byte(rest), &data.Intents)
		}
	}
	pick := ""
	for _, in := range data.Intents {
		for _, ex := range append([]string{in.Name}, in.Examples...) {
			if ex != "" && strings.Contains(strings.ToLower(text), strings.ToLower(ex)) {
				pick = in.Name
				break
			}
		}
		if pick != "" {
			break
		}
	}
	if req.Schema {
		if pick == "" {
			pick = "none"
		}
		return Response{Content: fmt.Sprintf(`{"intent":%q}`, pick)}
	}
	if pick != "" && len(req.Tools) > 0 {
		return Response{Tool: req.Tools[0], ToolArgs: fmt.Sprintf(`{"intent":%q}`, pick)}
	}
	if strings.Contains(req.System(), "Speak English") {
		return Response{Content: "I understand. Could you tell me which day suits you?"}
	}
	return Response{Content: "明白您的意思,请问您哪天方便处理呢?"}
}
