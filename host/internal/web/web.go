// Package web is the dashboard the daemon serves at /: static pages,
// scripts and styles embedded in the binary, which sign in and read and
// change everything through the JSON API on the same origin. It owns the
// page paths, the embedded files and the security headers that keep a page
// from loading anything from another origin.
//
// It holds no data and no rule: a page is the same file for every user, and
// every user's data comes from an API call made with that user's token, so
// nothing one user sees can be served to another from here. The vendored
// chart library (static/vendor) is committed with its version and licence,
// so building the daemon needs no Node.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// CSP is the Content-Security-Policy of every page: scripts, styles, images
// and API calls from this origin only, no inline script or style, no
// plugin, no frame, forms posting only here. A page that tried to reach a
// CDN, a font host or any other origin is stopped by the browser.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// pages maps each page path to its file under static/.
var pages = map[string]string{
	"/":          "index.html",
	"/login":     "login.html",
	"/password":  "password.html",
	"/accounts":  "accounts.html",
	"/webhooks":  "webhooks.html",
	"/exchanges": "exchanges.html",
	"/admin":     "admin.html",
}

// assetsPrefix is where the scripts, styles and vendored files are served.
const assetsPrefix = "/assets/"

// file is one embedded file ready to serve.
type file struct {
	body  []byte
	ctype string
	etag  string
}

// Handler serves the dashboard's pages and assets and hands every other
// request to api, so the daemon keeps one origin for both.
func Handler(api http.Handler) http.Handler {
	files := load()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var f file
		var ok bool
		if name, isPage := pages[r.URL.Path]; isPage {
			f, ok = files[name]
		} else if rest, isAsset := strings.CutPrefix(r.URL.Path, assetsPrefix); isAsset && !strings.HasSuffix(rest, ".html") {
			f, ok = files[rest]
		}
		if !ok {
			api.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		// The files are the same for everyone; revalidating by ETag keeps
		// a new binary's files from being hidden behind old ones.
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Type", f.ctype)
		h.Set("ETag", f.etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
	})
}

// load reads every embedded file once, keyed by its path under static/.
func load() map[string]file {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embed directive guarantees the directory
	}
	out := map[string]file{}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) {
		case ".js":
			// The system's MIME table may lack it or name it otherwise;
			// nosniff needs a JavaScript type to run a script.
			ctype = "text/javascript; charset=utf-8"
		case ".css":
			ctype = "text/css; charset=utf-8"
		case ".html":
			ctype = "text/html; charset=utf-8"
		case ".svg":
			ctype = "image/svg+xml"
		case "":
			ctype = "text/plain; charset=utf-8"
		}
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		out[p] = file{body: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		panic(err) // reading an embedded FS cannot fail
	}
	return out
}
