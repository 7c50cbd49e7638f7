package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
)

func TestHandler(t *testing.T) {
	files := fstest.MapFS{
		"index.html":          {Data: []byte("<!doctype html><div id=root></div>")},
		"assets/app-1a2b.js":  {Data: []byte("console.log(1)")},
		"favicon.svg":         {Data: []byte("<svg/>")},
		".keep":               {Data: nil},
		"assets/nested/x.css": {Data: []byte("a{}")},
	}
	h := newHandler(files)
	cases := []struct {
		name, method, path, accept string
		status                     int
		body, cache                string
	}{
		{"the root serves the app", "GET", "/", "text/html", 200, "<!doctype html>", "no-cache"},
		{"a client route serves the app", "GET", "/webhooks/123", "text/html,application/xhtml+xml", 200, "<!doctype html>", "no-cache"},
		{"a hashed asset is cached for a year", "GET", "/assets/app-1a2b.js", "*/*", 200, "console.log(1)", "public, max-age=31536000, immutable"},
		{"another file is cached briefly", "GET", "/favicon.svg", "*/*", 200, "<svg/>", "public, max-age=3600"},
		{"a missing asset is a 404, not the app", "GET", "/assets/gone-9z.js", "*/*", 404, "", ""},
		{"a client route asked for by a program is a 404", "GET", "/nowhere", "application/json", 404, "", ""},
		{"dot files stay hidden", "GET", "/.keep", "text/html", 404, "", ""},
		{"writes are refused", "POST", "/", "text/html", 405, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, c.path, nil)
			r.Header.Set("Accept", c.accept)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d (body %q)", w.Code, c.status, w.Body.String())
			}
			if c.body != "" && w.Body.String()[:min(len(c.body), w.Body.Len())] != c.body {
				t.Errorf("body %q, want it to start with %q", w.Body.String(), c.body)
			}
			if got := w.Header().Get("Cache-Control"); got != c.cache {
				t.Errorf("Cache-Control %q, want %q", got, c.cache)
			}
		})
	}
}

func TestHandlerBeforeTheBuild(t *testing.T) {
	h := newHandler(fstest.MapFS{".keep": {}})
	r := httptest.NewRequest("GET", "/", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503 with a page saying how to build the portal", w.Code)
	}
}
