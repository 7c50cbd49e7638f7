// Package web serves the tenant portal: a single-page app built from this
// folder with Vite (`make web`) and embedded into the outcall binary, so the
// product stays one file.
//
// Handler serves the build output. Hashed assets under /assets/ are cached
// for a year; every other path a browser navigates to gets index.html, so
// the app's own router handles /keys, /webhooks/… and the rest. dist is not in
// git: `make web` builds it, and the make targets that need no portal
// (lint, bench, openapi) create it empty, holding only a .keep marker; then
// Handler answers with a page that says how to build it.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Handler serves the portal.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded at build time; this cannot fail
	}
	return newHandler(sub)
}

func newHandler(files fs.FS) http.Handler {
	index, _ := fs.ReadFile(files, "index.html")
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name != "" && name != "index.html" && !strings.HasPrefix(name, ".") {
			if st, err := fs.Stat(files, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					// Vite puts a content hash in every asset's name.
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				} else {
					w.Header().Set("Cache-Control", "public, max-age=3600")
				}
				fileServer.ServeHTTP(w, r)
				return
			}
		}
		// A client route: the app decides what to show. Only for browsers
		// asking for a page; a missing script or image stays a 404.
		if name != "" && (path.Ext(name) != "" || !acceptsHTML(r)) {
			http.NotFound(w, r)
			return
		}
		if index == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(notBuilt))
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "same-origin")
		http.ServeContent(w, r, "index.html", startTime, strings.NewReader(string(index)))
	})
}

// startTime stands in for index.html's modification time: it changes with
// every start, which is when a new build can appear.
var startTime = time.Now()

func acceptsHTML(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return a == "" || strings.Contains(a, "text/html")
}

const notBuilt = `<!doctype html><meta charset="utf-8"><title>outcall</title>
<p>The portal is not built into this binary. Run <code>make web</code> (or <code>make build</code>) and start outcall again.
The API is served at <a href="/docs">/docs</a>.</p>`
