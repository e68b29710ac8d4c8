package e2e

// End-to-end tests of the store, the master key and access control through
// the real daemon: a crash in the middle of writes, wrong and badly kept
// keys, a second daemon on one data dir, key rotation with the real
// command, isolation between users, the operations routes, and a watch over
// every byte the daemon prints for secrets.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/hosttest"
)

// account is the part of the account JSON these tests look at.
type account struct {
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	Exchange          string    `json:"exchange"`
	IsActive          bool      `json:"is_active"`
	IsMain            bool      `json:"is_main"`
	APIKeyHint        string    `json:"api_key_hint"`
	CreatedAt         time.Time `json:"created_at"`
	CredentialsStatus string    `json:"credentials_status"`
}

// apiError is the error body of every route.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// leakWatch collects the secrets a test handles, every daemon and command
// output of the test and the database files; when the test ends (after its
// daemons have stopped) it fails the test if any of them holds any of the
// secrets in plaintext.
type leakWatch struct {
	t       *testing.T
	mu      sync.Mutex
	secrets map[string]string // value -> what it is
	daemons []*hosttest.Daemon
	outputs []string
	files   []string
}

func newLeakWatch(t *testing.T) *leakWatch {
	w := &leakWatch{t: t, secrets: map[string]string{}}
	// Registered before any daemon starts, so it runs after their
	// cleanups have stopped them and their logs are complete.
	t.Cleanup(w.check)
	return w
}

func (w *leakWatch) secret(what string, values ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, v := range values {
		if len(v) < 8 {
			w.t.Fatalf("leakWatch: secret %s is too short to search for", what)
		}
		w.secrets[v] = what
	}
}

// key registers a master key in every text form it could leak in.
func (w *leakWatch) key(what string, raw []byte) {
	w.secret(what, string(raw), hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw),
		base64.RawStdEncoding.EncodeToString(raw), base64.URLEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw))
}

func (w *leakWatch) daemon(d *hosttest.Daemon) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.daemons = append(w.daemons, d)
}

// file adds a file that must never hold a secret (the database). It is
// read when the test ends, before its temporary directory goes.
func (w *leakWatch) file(path string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if slices.Contains(w.files, path) {
		return
	}
	w.files = append(w.files, path)
	w.t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, d := range w.daemons {
			d.Stop()
		}
		b, err := os.ReadFile(path)
		if err != nil {
			w.t.Errorf("leakWatch: %v", err)
			return
		}
		for v, secret := range w.secrets {
			if bytes.Contains(b, []byte(v)) {
				w.t.Errorf("%s holds the %s in plaintext", path, secret)
			}
		}
	})
}

func (w *leakWatch) output(what, out string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.outputs = append(w.outputs, what+"\x00"+out)
}

// answer fails the test at once if an API answer holds a secret.
func (w *leakWatch) answer(route string, body []byte) {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for v, what := range w.secrets {
		if bytes.Contains(body, []byte(v)) {
			w.t.Errorf("the answer of %s holds the %s", route, what)
		}
	}
}

func (w *leakWatch) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	var texts []string
	for i, d := range w.daemons {
		d.Stop()
		texts = append(texts, fmt.Sprintf("log of daemon %d\x00%s", i, d.Log()))
	}
	texts = append(texts, w.outputs...)
	for _, t := range texts {
		what, text, _ := strings.Cut(t, "\x00")
		for v, secret := range w.secrets {
			if strings.Contains(text, v) {
				w.t.Errorf("the %s holds the %s", what, secret)
			}
		}
	}
}

// randText returns a distinctive random string with a prefix.
func randText(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

func newRawKey(t testing.TB) []byte {
	t.Helper()
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	return raw
}

// fileKeyEnv blanks GAHOST_MASTER_KEY for the daemon, so the key file is
// used whatever the environment running the tests holds.
var fileKeyEnv = []string{"GAHOST_MASTER_KEY="}

// startAlpha installs the alpha test plugin under dir, starts the daemon
// on dir and waits until alpha is served.
func startAlpha(t *testing.T, w *leakWatch, dir string, o hosttest.Options) *hosttest.Daemon {
	t.Helper()
	o.PluginDir = filepath.Join(dir, "plugins")
	if err := os.MkdirAll(o.PluginDir, 0o755); err != nil {
		t.Fatal(err)
	}
	hosttest.InstallPlugin(t, bins.alpha, o.PluginDir, "gahost-plugin-alpha")
	d := hosttest.Start(t, bins.daemon, dir, o)
	w.daemon(d)
	w.secret("admin token", d.Token)
	w.file(filepath.Join(dir, "data", "gahost.db"))
	d.WaitExchange("alpha", 10*time.Second, func(e hosttest.Exchange, ok bool) bool { return ok && e.Status == "ready" })
	return d
}

// startRefused starts the daemon on dir expecting it to refuse: it must
// exit non-zero within a few seconds. It returns the daemon's output.
func startRefused(t *testing.T, w *leakWatch, dir string, o hosttest.Options) string {
	t.Helper()
	o.NoWait = true
	if o.PluginDir == "" {
		o.PluginDir = filepath.Join(dir, "plugins")
	}
	d := hosttest.Start(t, bins.daemon, dir, o)
	w.daemon(d)
	err := waitExit(t, d, 15*time.Second)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("daemon exit = %v, want a non-zero exit\n%s", err, d.Log())
	}
	return d.Log()
}

// waitExit waits for the daemon process to end and returns its exit error.
func waitExit(t *testing.T, d *hosttest.Daemon, within time.Duration) error {
	t.Helper()
	select {
	case <-d.Exited():
		return d.ExitErr()
	case <-time.After(within):
		t.Fatalf("daemon still running after %s\n%s", within, d.Log())
		return nil
	}
}

// stopClean stops the daemon and checks that it exited 0.
func stopClean(t *testing.T, d *hosttest.Daemon) {
	t.Helper()
	d.Stop()
	if err := d.ExitErr(); err != nil {
		t.Fatalf("daemon exit after SIGTERM: %v\n%s", err, d.Log())
	}
}

// createAccount adds an alpha account as the holder of token.
func createAccount(t *testing.T, d *hosttest.Daemon, token, name, apiKey, secret string) account {
	t.Helper()
	var a account
	body := map[string]any{"name": name, "exchange": "alpha", "api_key": apiKey, "secret_key": secret}
	if code := d.DoAs(token, "POST", "/api/v1/exchange-accounts", body, &a); code != http.StatusCreated {
		t.Fatalf("create account %q: status %d", name, code)
	}
	return a
}

func listAccounts(t *testing.T, d *hosttest.Daemon, token string) []account {
	t.Helper()
	var list []account
	// The list is paged (100 by default); one page of the largest size
	// holds every account these tests make.
	if code := d.DoAs(token, "GET", "/api/v1/exchange-accounts?limit=1000", nil, &list); code != http.StatusOK {
		t.Fatalf("list accounts: status %d", code)
	}
	if len(list) == 1000 {
		t.Fatal("list accounts: more than one page; follow X-Next-Cursor")
	}
	return list
}

// fileState is what "unchanged" means for a file of the data dir.
type fileState struct {
	Mode  fs.FileMode
	Size  int64
	MTime time.Time
	Sum   string
}

// snapshotDir records every file under dir.
func snapshotDir(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := e.Info()
		if err != nil {
			return err
		}
		st := fileState{Mode: info.Mode(), MTime: info.ModTime()}
		if !e.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			st.Size, st.Sum = info.Size(), hex.EncodeToString(sum[:])
		}
		out[rel] = st
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameSnapshot(t *testing.T, what string, before, after map[string]fileState) {
	t.Helper()
	for name, b := range before {
		a, ok := after[name]
		switch {
		case !ok:
			t.Errorf("%s: %s disappeared", what, name)
		case a != b:
			t.Errorf("%s: %s changed: %+v -> %+v", what, name, b, a)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("%s: %s appeared", what, name)
		}
	}
}

// getRaw sends a GET with token ("" for none) and returns the raw answer.
func getRaw(t *testing.T, d *hosttest.Daemon, token, path string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+d.Addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// --- kill -9 during writes ---

// burstKey is the API key of attempt seq of worker g in round r. Its first
// and last four characters name the attempt, so the stored hint must match
// the account's name.
func burstKey(t testing.TB, r, g, seq int) string {
	return fmt.Sprintf("%d%d%02d%s%d%d%02d", r, g, seq, randText(t, "-burst-"), r, g, seq)
}

func burstName(r, g, seq int) string { return fmt.Sprintf("burst %d/%d/%02d", r, g, seq) }

func burstHint(r, g, seq int) string { return fmt.Sprintf("%d%d%02d…%d%d%02d", r, g, seq, r, g, seq) }

// send is a request that reports a failed connection instead of failing
// the test: the daemon dies under it on purpose.
func send(ctx context.Context, client *http.Client, d *hosttest.Daemon, method, path string, body any) (int, []byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+d.Addr+path, bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+d.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// burstOutcome is what the clients of one or more bursts know.
type burstOutcome struct {
	created  map[string]string // id -> name of each creation answered 201
	attempts int
	cut      int // requests that got no answer: they may or may not have committed
}

// burstAndKill has workers create accounts as fast as they can and kills
// the daemon with SIGKILL once killAfter creations have been answered,
// while the workers are still sending.
func burstAndKill(t *testing.T, w *leakWatch, d *hosttest.Daemon, round int, out *burstOutcome) {
	const (
		workers   = 8
		killAfter = 40
		maxSeq    = 100 // keeps the attempt's number at two digits
	)
	var (
		mu       sync.Mutex
		answered int
		enough   = make(chan struct{})
		once     sync.Once
		wg       sync.WaitGroup
	)
	client := &http.Client{Timeout: 30 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := range maxSeq {
				key := burstKey(t, round, g, seq)
				w.secret("burst API key", key)
				w.secret("burst secret", key+"-secret")
				name := burstName(round, g, seq)
				mu.Lock()
				out.attempts++
				mu.Unlock()
				// Unchecked keys: the burst tests the store, and key checks
				// would spend the exchange's rate budget.
				code, body, err := send(ctx, client, d, "POST", "/api/v1/exchange-accounts", map[string]any{
					"name": name, "exchange": "alpha", "api_key": key, "secret_key": key + "-secret", "validate": false,
				})
				mu.Lock()
				var a account
				switch {
				case err != nil:
					out.cut++
					mu.Unlock()
					return
				case code != http.StatusCreated || json.Unmarshal(body, &a) != nil || a.ID == "" || a.Name != name:
					t.Errorf("%s: answered %d %s", name, code, body)
				default:
					out.created[a.ID] = name
					if answered++; answered >= killAfter {
						once.Do(func() { close(enough) })
					}
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(30 * time.Second):
		t.Errorf("fewer than %d accounts created within 30 s", killAfter)
	}
	d.Signal(syscall.SIGKILL)
	<-d.Exited()
	wg.Wait()
}

// checkAfterCrash checks the accounts a restarted daemon lists against
// what the clients were told.
func checkAfterCrash(t *testing.T, d *hosttest.Daemon, out *burstOutcome) {
	t.Helper()
	list := listAccounts(t, d, d.Token)
	listed := map[string]account{}
	mains := 0
	for _, a := range list {
		if _, dup := listed[a.ID]; dup {
			t.Errorf("account %s listed twice", a.ID)
		}
		listed[a.ID] = a
		var r, g, seq int
		if _, err := fmt.Sscanf(a.Name, "burst %d/%d/%d", &r, &g, &seq); err != nil {
			t.Errorf("listed account %s has name %q, which no attempt used", a.ID, a.Name)
			continue
		}
		if a.APIKeyHint != burstHint(r, g, seq) || a.Exchange != "alpha" || !a.IsActive || a.CreatedAt.IsZero() ||
			a.CredentialsStatus != "ok" {
			t.Errorf("listed account is incomplete or unreadable: %+v (want hint %s)", a, burstHint(r, g, seq))
		}
		if a.IsMain {
			mains++
		}
	}
	if mains != 1 {
		t.Errorf("%d main accounts after the crash, want exactly 1", mains)
	}
	for id, name := range out.created {
		a, ok := listed[id]
		if !ok {
			t.Errorf("account %s (%s) was answered 201 but is gone after the crash", id, name)
			continue
		}
		var got account
		if code := d.Do("GET", "/api/v1/exchange-accounts/"+id, nil, &got); code != http.StatusOK || got != a || got.Name != name {
			t.Errorf("GET %s: status %d, %+v; listed as %+v", id, code, got, a)
		}
	}
	if len(list) > out.attempts {
		t.Errorf("%d accounts listed after %d attempts", len(list), out.attempts)
	}
	t.Logf("%d accounts listed after the restart", len(list))
	if extra := len(list) - len(out.created); extra > out.cut {
		t.Errorf("%d accounts listed that were never answered 201, but only %d requests went unanswered", extra, out.cut)
	}
}

func TestKill9DuringAccountBurstLosesNoAnsweredWrite(t *testing.T) {
	w := newLeakWatch(t)
	dir := t.TempDir()
	// One user makes every account of the bursts: more than the default
	// quota allows.
	d := startAlpha(t, w, dir, hosttest.Options{Env: fileKeyEnv, ConfigBody: "limits {\n  accounts_per_user = 10000\n}\n"})
	out := &burstOutcome{created: map[string]string{}}
	// Each round crashes at another point of the writes in flight.
	for round := range 3 {
		burstAndKill(t, w, d, round, out)
		t.Logf("round %d: %d attempts, %d answered 201, %d unanswered so far", round, out.attempts, len(out.created), out.cut)
		d.Restart()
		checkAfterCrash(t, d, out)
		if t.Failed() {
			return
		}
		d.WaitExchange("alpha", 10*time.Second, func(e hosttest.Exchange, ok bool) bool { return ok && e.Status == "ready" })
	}

	// The store still takes writes.
	after := createAccount(t, d, d.Token, "after the crash", "after-crash-key-0001", "after-crash-secret-0001")
	if after.CredentialsStatus != "ok" || after.IsMain {
		t.Errorf("account created after the crash: %+v", after)
	}
	var patched account
	if code := d.Do("PATCH", "/api/v1/exchange-accounts/"+after.ID, map[string]any{"name": "renamed"}, &patched); code != http.StatusOK ||
		patched.Name != "renamed" {
		t.Errorf("patch after the crash: status %d, %+v", code, patched)
	}
}

// --- master key ---

func TestWrongMasterKeyIsRefusedAndChangesNothing(t *testing.T) {
	w := newLeakWatch(t)
	rawA, rawB := newRawKey(t), newRawKey(t)
	w.key("master key A", rawA)
	w.key("master key B", rawB)
	envA := []string{"GAHOST_MASTER_KEY=" + base64.StdEncoding.EncodeToString(rawA)}
	envB := []string{"GAHOST_MASTER_KEY=" + base64.StdEncoding.EncodeToString(rawB)}
	body := "encryption {\n  key_env = \"GAHOST_MASTER_KEY\"\n}\n"
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")

	d := startAlpha(t, w, dir, hosttest.Options{ConfigBody: body, Env: envA})
	key, secret := randText(t, "wk-key-"), randText(t, "wk-secret-")
	w.secret("API key", key)
	w.secret("secret key", secret)
	kept := createAccount(t, d, d.Token, "kept", key, secret)
	// Plugins are other people's code: the key must not reach them.
	children := hosttest.ChildPIDs(d.PID())
	if len(children) == 0 {
		t.Fatal("no plugin process under the daemon")
	}
	for _, pid := range children {
		for _, f := range []string{"environ", "cmdline"} {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, f))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(base64.StdEncoding.EncodeToString(rawA))) || bytes.Contains(b, []byte("GAHOST_MASTER_KEY")) {
				t.Errorf("the plugin process %d has the master key in its %s", pid, f)
			}
		}
	}
	stopClean(t, d)

	before := snapshotDir(t, dataDir)
	if _, ok := before["gahost.db"]; !ok {
		t.Fatalf("no gahost.db in the data dir: %v", before)
	}
	if _, ok := before["master.key"]; ok {
		t.Error("a key file was written although the key came from the environment")
	}
	for _, f := range []string{"gahost.db", "admin.token"} {
		if m := before[f].Mode.Perm(); m != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", f, m)
		}
	}

	log := startRefused(t, w, dir, hosttest.Options{ConfigBody: body, Env: envB})
	low := strings.ToLower(log)
	if !strings.Contains(low, "master key") || !strings.Contains(low, "cannot open the store") {
		t.Errorf("the refusal does not say the master key is wrong:\n%s", log)
	}
	sameSnapshot(t, "data dir after a start with the wrong key", before, snapshotDir(t, dataDir))

	// Key A still opens everything.
	d = startAlpha(t, w, dir, hosttest.Options{ConfigBody: body, Env: envA})
	var got account
	if code := d.Do("GET", "/api/v1/exchange-accounts/"+kept.ID, nil, &got); code != http.StatusOK || got.CredentialsStatus != "ok" {
		t.Errorf("account after the refused start: status %d, %+v", code, got)
	}
}

func TestKeyFileReadableByOthersIsRefused(t *testing.T) {
	w := newLeakWatch(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "data", "master.key")
	d := startAlpha(t, w, dir, hosttest.Options{Env: fileKeyEnv})
	createAccount(t, d, d.Token, "main", randText(t, "kf-key-"), randText(t, "kf-secret-"))
	stopClean(t, d)
	raw, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	w.key("master key", raw)
	if st, _ := os.Stat(keyFile); st.Mode().Perm() != 0o600 {
		t.Fatalf("generated key file has mode %04o, want 0600", st.Mode().Perm())
	}

	for _, mode := range []fs.FileMode{0o644, 0o640, 0o604, 0o660} {
		t.Run(fmt.Sprintf("%04o", mode), func(t *testing.T) {
			if err := os.Chmod(keyFile, mode); err != nil {
				t.Fatal(err)
			}
			defer os.Chmod(keyFile, 0o600)
			before := snapshotDir(t, filepath.Join(dir, "data"))
			log := startRefused(t, w, dir, hosttest.Options{Env: fileKeyEnv})
			if !strings.Contains(log, keyFile) || !strings.Contains(log, fmt.Sprintf("mode %04o", mode)) {
				t.Errorf("the refusal does not name the key file and its mode:\n%s", log)
			}
			sameSnapshot(t, "data dir after the refused start", before, snapshotDir(t, filepath.Join(dir, "data")))
		})
	}

	// Back at 0600 the daemon starts.
	startAlpha(t, w, dir, hosttest.Options{Env: fileKeyEnv})
}

func TestSecondDaemonOnOneDataDirFailsFast(t *testing.T) {
	w := newLeakWatch(t)
	dir := t.TempDir()
	d := startAlpha(t, w, dir, hosttest.Options{Env: fileKeyEnv})
	tokenFile := filepath.Join(dir, "data", "admin.token")
	tokenBefore, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	log := startRefused(t, w, dir, hosttest.Options{Env: fileKeyEnv})
	t.Logf("second daemon refused after %s", time.Since(start).Round(time.Millisecond))
	if low := strings.ToLower(log); !strings.Contains(low, "locked") || !strings.Contains(low, "another gahost") {
		t.Errorf("the second daemon does not say the data dir is in use:\n%s", log)
	}

	// The first one is untouched.
	if code := d.Do("GET", "/api/v1/me", nil, nil); code != http.StatusOK {
		t.Errorf("first daemon: GET /me status %d", code)
	}
	if b, _ := os.ReadFile(tokenFile); !bytes.Equal(b, tokenBefore) {
		t.Error("the second daemon rewrote admin.token")
	}
	createAccount(t, d, d.Token, "still writable", randText(t, "sd-key-"), randText(t, "sd-secret-"))
}

// gahost runs a command of the daemon binary and returns its output.
func gahost(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bins.daemon, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestKeysRotateThroughTheBinary(t *testing.T) {
	w := newLeakWatch(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "data", "master.key")
	d := startAlpha(t, w, dir, hosttest.Options{Env: fileKeyEnv})
	var ids []string
	for i := range 3 {
		key, secret, pass := randText(t, "rot-key-"), randText(t, "rot-secret-"), randText(t, "rot-pass-")
		w.secret("API key", key)
		w.secret("secret key", secret)
		w.secret("passphrase", pass)
		var a account
		body := map[string]any{"name": fmt.Sprintf("rot %d", i), "exchange": "alpha", "api_key": key, "secret_key": secret}
		if i == 0 {
			body["passphrase"] = pass
		}
		if code := d.Do("POST", "/api/v1/exchange-accounts", body, &a); code != http.StatusCreated {
			t.Fatalf("create: %d", code)
		}
		ids = append(ids, a.ID)
	}
	oldKey, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	w.key("old master key", oldKey)

	// While the daemon runs, the store lock turns the rotation away.
	out, err := gahost(t, fileKeyEnv, "keys", "rotate", "-config", d.Config)
	w.output("output of keys rotate while the daemon runs", out)
	if err == nil || !strings.Contains(strings.ToLower(out), "locked") {
		t.Errorf("keys rotate with the daemon running: err %v, output:\n%s", err, out)
	}
	if b, _ := os.ReadFile(keyFile); !bytes.Equal(b, oldKey) {
		t.Fatal("the refused rotation changed the key file")
	}
	stopClean(t, d)

	out, err = gahost(t, fileKeyEnv, "keys", "rotate", "-config", d.Config)
	w.output("output of keys rotate", out)
	if err != nil || !strings.Contains(out, "rotated: 3 accounts and 0 webhooks re-encrypted") {
		t.Fatalf("keys rotate: err %v, output:\n%s", err, out)
	}
	newKey, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	w.key("new master key", newKey)
	if bytes.Equal(newKey, oldKey) {
		t.Fatal("the key file still holds the old key")
	}
	if st, _ := os.Stat(keyFile); st.Mode().Perm() != 0o600 {
		t.Errorf("rotated key file has mode %04o", st.Mode().Perm())
	}
	if _, err := os.Stat(keyFile + ".new"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("master.key.new left behind: %v", err)
	}

	// The daemon starts with the new key and every account opens.
	d.Restart()
	list := listAccounts(t, d, d.Token)
	var got []string
	for _, a := range list {
		got = append(got, a.ID)
		if a.CredentialsStatus != "ok" {
			t.Errorf("account %s after rotation: credentials %s", a.ID, a.CredentialsStatus)
		}
	}
	if !slices.Equal(got, ids) {
		t.Errorf("accounts after rotation %v, want %v", got, ids)
	}
	newAcct := createAccount(t, d, d.Token, "after rotation", randText(t, "rot-key-"), randText(t, "rot-secret-"))
	stopClean(t, d)

	// The old key no longer opens the store.
	if err := os.WriteFile(keyFile, oldKey, 0o600); err != nil {
		t.Fatal(err)
	}
	log := startRefused(t, w, dir, hosttest.Options{Env: fileKeyEnv})
	if !strings.Contains(strings.ToLower(log), "cannot open the store") {
		t.Errorf("start with the old key: no wrong-key message:\n%s", log)
	}

	// With the new key back, all is there.
	if err := os.WriteFile(keyFile, newKey, 0o600); err != nil {
		t.Fatal(err)
	}
	d = startAlpha(t, w, dir, hosttest.Options{Env: fileKeyEnv})
	list = listAccounts(t, d, d.Token)
	if len(list) != 4 || list[3].ID != newAcct.ID {
		t.Fatalf("accounts after restoring the new key: %+v", list)
	}
	for _, a := range list {
		if a.CredentialsStatus != "ok" {
			t.Errorf("account %s: credentials %s", a.ID, a.CredentialsStatus)
		}
	}
}

// --- what the daemon prints ---

func TestLogsHoldNoSecrets(t *testing.T) {
	w := newLeakWatch(t)
	dir := t.TempDir()
	d := startAlpha(t, w, dir, hosttest.Options{Env: fileKeyEnv})

	// do sends a request, checks its status and that its answer holds no
	// secret, and decodes it into out.
	do := func(token, method, path string, body any, want int, out any) {
		t.Helper()
		var raw json.RawMessage
		if code := d.DoAs(token, method, path, body, &raw); code != want {
			t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, raw)
		}
		w.answer(method+" "+path, raw)
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				t.Fatal(err)
			}
		}
	}

	password, wrongPassword := randText(t, "pw-"), randText(t, "wrong-pw-")
	w.secret("password", password)
	w.secret("wrong password", wrongPassword)
	var carol struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	if code := d.Do("POST", "/api/v1/users", map[string]any{"username": "carol", "password": password, "role": "user"}, &carol); code != http.StatusCreated {
		t.Fatalf("create carol: %d", code)
	}
	w.secret("user token", carol.Token)
	var dave struct {
		Token string `json:"token"`
	}
	if code := d.Do("POST", "/api/v1/users", map[string]any{"username": "dave", "role": "admin"}, &dave); code != http.StatusCreated {
		t.Fatalf("create dave: %d", code)
	}
	w.secret("user token", dave.Token)

	do("", "POST", "/api/v1/auth/login", map[string]any{"username": "carol", "password": wrongPassword}, http.StatusUnauthorized, nil)
	var login struct {
		Token string `json:"token"`
	}
	do("", "POST", "/api/v1/auth/login", map[string]any{"username": "carol", "password": password}, http.StatusOK, &login)
	w.secret("login token", login.Token)
	do(login.Token, "GET", "/api/v1/me", nil, http.StatusOK, nil)

	key1, secret1, pass1 := randText(t, "log-key-"), randText(t, "log-secret-"), randText(t, "log-pass-")
	key2, secret2, pass2 := randText(t, "log-key2-"), randText(t, "log-secret2-"), randText(t, "log-pass2-")
	rejectedKey, rejectedSecret := randText(t, "error:authentication:"), randText(t, "rej-secret-")
	spacedKey, spacedSecret := randText(t, "space key-"), randText(t, "space-secret-")
	for what, v := range map[string][]string{
		"API key": {key1, key2, rejectedKey, spacedKey, strings.TrimPrefix(spacedKey, "space ")},
		"secret":  {secret1, secret2, rejectedSecret, spacedSecret},
		"pass":    {pass1, pass2},
	} {
		w.secret(what, v...)
	}

	var a account
	do(login.Token, "POST", "/api/v1/exchange-accounts", map[string]any{
		"name": "logged", "exchange": "alpha", "api_key": key1, "secret_key": secret1, "passphrase": pass1, "validate": true,
	}, http.StatusCreated, &a)
	do(login.Token, "PATCH", "/api/v1/exchange-accounts/"+a.ID, map[string]any{
		"api_key": key2, "secret_key": secret2, "passphrase": pass2,
	}, http.StatusOK, nil)
	// The plugin turns these keys down; its error goes into the log.
	var rejected apiError
	do(carol.Token, "POST", "/api/v1/exchange-accounts", map[string]any{
		"name": "rejected", "exchange": "alpha", "api_key": rejectedKey, "secret_key": rejectedSecret, "validate": true,
	}, http.StatusUnprocessableEntity, &rejected)
	if rejected.Error.Code != "credentials_rejected" {
		t.Errorf("rejected keys: %+v", rejected)
	}
	do(carol.Token, "POST", "/api/v1/exchange-accounts", map[string]any{
		"name": "spaced", "exchange": "alpha", "api_key": spacedKey, "secret_key": spacedSecret,
	}, http.StatusBadRequest, nil)
	do(dave.Token, "GET", "/api/v1/exchange-accounts", nil, http.StatusOK, nil)
	do(login.Token, "GET", "/api/v1/exchange-accounts/"+a.ID, nil, http.StatusOK, nil)
	// A backup is the database: sealed secrets and token hashes only.
	code, backup := getRaw(t, d, d.Token, "/api/v1/admin/backup")
	if code != http.StatusOK || len(backup) == 0 {
		t.Fatalf("backup: status %d, %d bytes", code, len(backup))
	}
	w.answer("GET /api/v1/admin/backup", backup)
	stopClean(t, d)

	// The check must be able to fail: it looks at a real debug log.
	log := d.Log()
	for _, want := range []string{"[DEBUG]", "exchange account created", "login failed", "exchange call failed"} {
		if !strings.Contains(log, want) {
			t.Errorf("the daemon log has no %q; is it the debug log of these requests?", want)
		}
	}
}

// --- access control ---

func TestUsersAreIsolated(t *testing.T) {
	w := newLeakWatch(t)
	dir := t.TempDir()
	d := startAlpha(t, w, dir, hosttest.Options{Env: fileKeyEnv})
	mine := createAccount(t, d, d.Token, "admin's", randText(t, "iso-key-"), randText(t, "iso-secret-"))

	var bob struct {
		ID, Username, Role, Token string
	}
	if code := d.Do("POST", "/api/v1/users", map[string]any{"username": "bob", "role": "user"}, &bob); code != http.StatusCreated ||
		bob.Role != "user" || bob.Token == "" {
		t.Fatalf("create bob: status %d, %+v", code, bob)
	}
	w.secret("bob's token", bob.Token)
	bobs := createAccount(t, d, bob.Token, "bob's", randText(t, "iso-key-"), randText(t, "iso-secret-"))

	acct := "/api/v1/exchange-accounts/" + mine.ID
	tests := []struct {
		name   string
		token  string
		method string
		path   string
		body   any
		want   int
		code   string
	}{
		{"bob reads admin's account", bob.Token, "GET", acct, nil, 404, "not_found"},
		{"bob renames admin's account", bob.Token, "PATCH", acct, map[string]any{"name": "taken"}, 404, "not_found"},
		{"bob deletes admin's account", bob.Token, "DELETE", acct, nil, 404, "not_found"},
		{"admin reads bob's account", d.Token, "GET", "/api/v1/exchange-accounts/" + bobs.ID, nil, 404, "not_found"},
		{"bob creates a user", bob.Token, "POST", "/api/v1/users", map[string]any{"username": "eve", "role": "admin"}, 403, "forbidden"},
		{"bob reloads plugins", bob.Token, "POST", "/api/v1/plugins/reload", nil, 403, "forbidden"},
		{"bob downloads a backup", bob.Token, "GET", "/api/v1/admin/backup", nil, 403, "forbidden"},
		{"no token: me", "", "GET", "/api/v1/me", nil, 401, "unauthorized"},
		{"no token: accounts", "", "GET", "/api/v1/exchange-accounts", nil, 401, "unauthorized"},
		{"no token: account", "", "GET", acct, nil, 401, "unauthorized"},
		{"no token: create user", "", "POST", "/api/v1/users", map[string]any{"username": "eve", "role": "admin"}, 401, "unauthorized"},
		{"no token: reload", "", "POST", "/api/v1/plugins/reload", nil, 401, "unauthorized"},
		{"no token: backup", "", "GET", "/api/v1/admin/backup", nil, 401, "unauthorized"},
		{"made-up token", "gah_" + strings.Repeat("x", 40), "GET", "/api/v1/me", nil, 401, "unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e apiError
			if code := d.DoAs(tt.token, tt.method, tt.path, tt.body, &e); code != tt.want || e.Error.Code != tt.code {
				t.Errorf("status %d %+v, want %d %s", code, e, tt.want, tt.code)
			}
		})
	}

	// Bob sees only his own account, and admin's is as it was.
	if list := listAccounts(t, d, bob.Token); len(list) != 1 || list[0].ID != bobs.ID {
		t.Errorf("bob's list: %+v", list)
	}
	var got account
	if code := d.Do("GET", acct, nil, &got); code != http.StatusOK || got.Name != "admin's" {
		t.Errorf("admin's account after bob's attempts: status %d, %+v", code, got)
	}
	if code := d.Do("POST", "/api/v1/users", map[string]any{"username": "eve", "role": "user"}, nil); code != http.StatusCreated {
		t.Errorf("bob's refused request created eve, or admin cannot: status %d", code)
	}
}

// --- operations ---

func TestReadyzAndMetrics(t *testing.T) {
	w := newLeakWatch(t)
	d := startAlpha(t, w, t.TempDir(), hosttest.Options{Env: fileKeyEnv})
	get := func(path string) (int, string) {
		t.Helper()
		code, b := getRaw(t, d, "", path)
		return code, string(b)
	}
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d %s", code, body)
	}
	if code, body := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d %s", code, body)
	}
	code, metrics := get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`gahost_plugin_state{exchange="alpha",state="ready"} 1`,
		`gahost_http_requests_total{class="2xx",code="200",method="GET",route="/readyz"}`,
		// Routes under /api/v1 are counted too, by their pattern.
		`gahost_http_requests_total{class="2xx",code="200",method="GET",route="/api/v1/exchanges"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", metrics)
	}
}
