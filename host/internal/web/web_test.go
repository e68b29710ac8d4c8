package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// apiStub stands for the API: it answers every request it gets with 418,
// so a test sees which requests the dashboard handed on.
var apiStub = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusTeapot)
})

func get(t *testing.T, h http.Handler, method, path string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestPagesCarryTheSecurityHeaders(t *testing.T) {
	h := Handler(apiStub)
	paths := []string{"/assets/app.js", "/assets/app.css", "/assets/icon.svg", "/assets/vendor/uplot/uPlot.iife.min.js"}
	for p := range pages {
		paths = append(paths, p)
	}
	for _, p := range paths {
		res := get(t, h, http.MethodGet, p)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", p, res.StatusCode)
			continue
		}
		for k, want := range map[string]string{
			"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
			"Referrer-Policy": "no-referrer", "Cache-Control": "no-cache",
		} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("GET %s: %s = %q, want %q", p, k, got, want)
			}
		}
		ct := res.Header.Get("Content-Type")
		switch {
		case strings.HasSuffix(p, ".js") && ct != "text/javascript; charset=utf-8",
			strings.HasSuffix(p, ".css") && ct != "text/css; charset=utf-8",
			pages[p] != "" && ct != "text/html; charset=utf-8":
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
	}
}

// The policy allows this origin only, and no inline code.
func TestCSPAllowsNoOtherOrigin(t *testing.T) {
	directives := map[string]string{}
	for _, d := range strings.Split(CSP, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	if directives["default-src"] != "'none'" {
		t.Errorf("default-src %q, want 'none'", directives["default-src"])
	}
	for name, value := range directives {
		for _, src := range strings.Fields(value) {
			if src != "'self'" && src != "'none'" {
				t.Errorf("%s allows %s", name, src)
			}
		}
	}
	for _, name := range []string{"script-src", "style-src", "connect-src", "img-src", "frame-ancestors", "base-uri", "form-action"} {
		if _, ok := directives[name]; !ok {
			t.Errorf("the policy has no %s", name)
		}
	}
}

// Nothing in the embedded files refers to another origin or holds inline
// code the policy would block.
func TestFilesStayOnThisOrigin(t *testing.T) {
	external := regexp.MustCompile(`(?i)(src|href|action)\s*=\s*["']?\s*(https?:|//)|url\(\s*["']?(https?:|//)|@import|fetch\(\s*["'](https?:|//)`)
	markup := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function`)
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle\s*=|\son[a-z]+\s*=`)
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "/vendor/") {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		if m := external.Find(b); m != nil {
			t.Errorf("%s refers to another origin: %s", p, m)
		}
		if strings.HasSuffix(p, ".html") {
			if m := inline.Find(b); m != nil {
				t.Errorf("%s has inline code or style: %s", p, m)
			}
		}
		if strings.HasSuffix(p, ".js") && markup.Match(b) {
			t.Errorf("%s parses markup (%s); build nodes with el()", p, markup.Find(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every script, style and icon a page names is served.
func TestPageReferencesResolve(t *testing.T) {
	h := Handler(apiStub)
	ref := regexp.MustCompile(`(?:src|href)="(/[^"]*)"`)
	for p, name := range pages {
		b, err := fs.ReadFile(static, "static/"+name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ref.FindAllSubmatch(b, -1) {
			target := string(m[1])
			if _, isPage := pages[target]; isPage || strings.HasPrefix(target, "/#") {
				continue
			}
			if res := get(t, h, http.MethodGet, target); res.StatusCode != http.StatusOK {
				t.Errorf("%s names %s, which answers %d", p, target, res.StatusCode)
			}
		}
	}
}

// Everything that is not a page or an asset goes to the API, unchanged.
func TestOtherPathsGoToTheAPI(t *testing.T) {
	h := Handler(apiStub)
	for _, p := range []string{"/api/v1/me", "/healthz", "/readyz", "/metrics", "/hooks/gahwh_x", "/nope",
		"/assets/", "/assets/nope.js", "/assets/index.html", "/index.html", "/accounts/", "/static/app.js"} {
		if res := get(t, h, http.MethodGet, p); res.StatusCode != http.StatusTeapot {
			t.Errorf("GET %s answered %d here, want it handed to the API", p, res.StatusCode)
		}
	}
	if res := get(t, h, http.MethodPost, "/api/v1/auth/login"); res.StatusCode != http.StatusTeapot {
		t.Errorf("POST /api/v1/auth/login answered %d here", res.StatusCode)
	}
	if res := get(t, h, http.MethodPost, "/"); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST / answered %d, want 405", res.StatusCode)
	}
	if res := get(t, h, http.MethodHead, "/"); res.StatusCode != http.StatusOK {
		t.Errorf("HEAD / answered %d", res.StatusCode)
	}
}

func TestETagRevalidates(t *testing.T) {
	h := Handler(apiStub)
	res := get(t, h, http.MethodGet, "/assets/app.js")
	tag := res.Header.Get("ETag")
	if tag == "" {
		t.Fatal("no ETag")
	}
	if res := get(t, h, http.MethodGet, "/assets/app.js", "If-None-Match", tag); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag: %d, want 304", res.StatusCode)
	}
	if res := get(t, h, http.MethodGet, "/assets/app.js", "If-None-Match", `"other"`); res.StatusCode != http.StatusOK {
		t.Errorf("If-None-Match with another ETag: %d, want 200", res.StatusCode)
	}
}

// Every page is the same bytes whoever asks: nothing user-specific is
// rendered on the server or cached between sessions.
func TestPagesAreTheSameForEveryone(t *testing.T) {
	h := Handler(apiStub)
	for p := range pages {
		a, _ := io.ReadAll(get(t, h, http.MethodGet, p, "Authorization", "Bearer gah_alice").Body)
		b, _ := io.ReadAll(get(t, h, http.MethodGet, p, "Authorization", "Bearer gah_bob").Body)
		if string(a) != string(b) || len(a) == 0 {
			t.Errorf("GET %s differs between users", p)
		}
	}
}

// The vendored files are the ones named in package-lock.json: their
// checksums are pinned here, and a change must come with a new version
// (see scripts/web-vendor.sh).
func TestVendoredFilesArePinned(t *testing.T) {
	want := map[string]string{
		"static/vendor/uplot/uPlot.iife.min.js": uplotJS,
		"static/vendor/uplot/uPlot.min.css":     uplotCSS,
	}
	for p, sum := range want {
		b, err := fs.ReadFile(static, p)
		if err != nil {
			t.Fatal(err)
		}
		got := sha256.Sum256(b)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s has sha256 %x, want %s", p, got, sum)
		}
	}
	for _, p := range []string{"static/vendor/uplot/LICENSE", "static/vendor/uplot/VERSION"} {
		if _, err := fs.Stat(static, p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// The sha256 of the vendored uPlot 1.6.32 files, as npm ci of
// package-lock.json unpacks them.
const (
	uplotJS  = "19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f"
	uplotCSS = "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04"
)
