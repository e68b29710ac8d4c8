package e2e

// The backup and restore procedure of docs/operations.md, run against the
// real daemon: take a backup through the API, put it into a new data dir
// with the key files, start the daemon there and find the same accounts
// with secrets that open; and the same with a backup taken before a key
// rotation, which opens only while the retired key is kept.

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/host/internal/hosttest"
)

// takeBackup downloads GET /api/v1/admin/backup and checks it is whole.
func takeBackup(t *testing.T, d *hosttest.Daemon) []byte {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+d.Addr+"/api/v1/admin/backup", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+d.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("backup: status %d: %s", resp.StatusCode, b)
	}
	if want, _ := strconv.Atoi(resp.Header.Get("Content-Length")); want == 0 || want != len(b) {
		t.Fatalf("backup: %d bytes, Content-Length %q", len(b), resp.Header.Get("Content-Length"))
	}
	return b
}

// restoreInto lays out a new data dir as the restore procedure says: the
// backup becomes data/gahost.db, and the key file, the retired keys (if
// asked) and admin.token are copied, all mode 0600 in a 0700 directory.
func restoreInto(t *testing.T, backup []byte, fromData, dir string, retired bool) {
	t.Helper()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "gahost.db"), backup, 0o600); err != nil {
		t.Fatal(err)
	}
	files := []string{"master.key", "admin.token"}
	if retired {
		entries, err := os.ReadDir(filepath.Join(fromData, "master.key.retired"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(filepath.Join(data, "master.key.retired"), 0o700); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			files = append(files, filepath.Join("master.key.retired", e.Name()))
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(fromData, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

type restoredSet struct {
	accounts []string // ids in creation order
	hookURL  string
	hookKey  string // the webhook's secret
}

// seed creates two accounts (one with a passphrase) and a dry-run webhook.
func seed(t *testing.T, w *leakWatch, d *hosttest.Daemon) restoredSet {
	t.Helper()
	var set restoredSet
	for i := range 2 {
		key, secret, pass := randText(t, "bk-key-"), randText(t, "bk-secret-"), randText(t, "bk-pass-")
		w.secret("API key", key)
		w.secret("secret key", secret)
		w.secret("passphrase", pass)
		body := map[string]any{"name": fmt.Sprintf("backup %d", i), "exchange": "alpha", "api_key": key, "secret_key": secret}
		if i == 0 {
			body["passphrase"] = pass
		}
		var a account
		if code := d.Do("POST", "/api/v1/exchange-accounts", body, &a); code != http.StatusCreated {
			t.Fatalf("create account: %d", code)
		}
		set.accounts = append(set.accounts, a.ID)
	}
	var hook struct {
		URL    string `json:"url"`
		Secret string `json:"secret"`
	}
	body := map[string]any{"name": "bk", "exchange_account_id": set.accounts[0], "market": "spot", "dry_run": true}
	if code := d.Do("POST", "/api/v1/webhooks", body, &hook); code != http.StatusCreated || hook.Secret == "" || hook.URL == "" {
		t.Fatalf("create webhook: %d %+v", code, hook.URL)
	}
	w.secret("webhook secret", hook.Secret)
	set.hookURL, set.hookKey = hook.URL, hook.Secret
	return set
}

// checkRestored proves the restored daemon has the same accounts and that
// every sealed secret opens: each account's credentials are readable and
// sync through the plugin, and the webhook accepts its secret (and only
// its secret).
func checkRestored(t *testing.T, d *hosttest.Daemon, want restoredSet) {
	t.Helper()
	var got []string
	for _, a := range listAccounts(t, d, d.Token) {
		got = append(got, a.ID)
		if a.CredentialsStatus != "ok" {
			t.Errorf("restored account %s: credentials %s", a.ID, a.CredentialsStatus)
		}
	}
	if !slices.Equal(got, want.accounts) {
		t.Fatalf("restored accounts %v, want %v", got, want.accounts)
	}
	for _, id := range want.accounts {
		var a struct {
			Sync struct {
				Status string `json:"status"`
			} `json:"sync"`
		}
		if code := d.Do("POST", "/api/v1/exchange-accounts/"+id+"/sync", nil, &a); code != http.StatusOK || a.Sync.Status != "ok" {
			t.Errorf("sync of restored account %s: status %d, sync %q", id, code, a.Sync.Status)
		}
	}
	alert := func(secret string) int {
		body := map[string]any{"secret": secret, "action": "buy", "symbol": "BTC/USDT", "type": "market", "quantity": "0.001", "alert_id": randText(t, "a-")}
		return d.DoAs("", "POST", want.hookURL, body, nil)
	}
	if code := alert(want.hookKey + "x"); code != http.StatusUnauthorized {
		t.Errorf("alert with a wrong secret: %d, want 401", code)
	}
	if code := alert(want.hookKey); code == http.StatusUnauthorized || code >= 500 {
		t.Errorf("alert with the restored webhook's secret: %d", code)
	}
}

func TestBackupRestoresIntoANewDataDir(t *testing.T) {
	w := newLeakWatch(t)
	dirA := t.TempDir()
	d := startAlpha(t, w, dirA, hosttest.Options{Env: fileKeyEnv})
	set := seed(t, w, d)
	backup := takeBackup(t, d)
	// Writes after the backup are not in it.
	createAccount(t, d, d.Token, "after backup", randText(t, "bk-key-"), randText(t, "bk-secret-"))
	stopClean(t, d)

	dirB := t.TempDir()
	restoreInto(t, backup, filepath.Join(dirA, "data"), dirB, false)
	w.file(filepath.Join(dirB, "data", "gahost.db"))
	restored := startAlpha(t, w, dirB, hosttest.Options{Env: fileKeyEnv})
	checkRestored(t, restored, set)
}

func TestBackupFromBeforeAKeyRotationRestores(t *testing.T) {
	w := newLeakWatch(t)
	dirA := t.TempDir()
	dataA := filepath.Join(dirA, "data")
	d := startAlpha(t, w, dirA, hosttest.Options{Env: fileKeyEnv})
	set := seed(t, w, d)
	backup := takeBackup(t, d)
	oldKey, err := os.ReadFile(filepath.Join(dataA, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	w.key("old master key", oldKey)
	stopClean(t, d)

	out, err := gahost(t, fileKeyEnv, "keys", "rotate", "-config", d.Config)
	w.output("output of keys rotate", out)
	if err != nil {
		t.Fatalf("keys rotate: %v\n%s", err, out)
	}
	newKey, err := os.ReadFile(filepath.Join(dataA, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	w.key("new master key", newKey)

	// Without the retired keys the old backup cannot be opened: the trap.
	dirB := t.TempDir()
	restoreInto(t, backup, dataA, dirB, false)
	log := startRefused(t, w, dirB, hosttest.Options{Env: fileKeyEnv})
	if !strings.Contains(log, "cannot open the store") {
		t.Errorf("restore without the retired keys: no wrong-key message:\n%s", log)
	}

	// With them, as the procedure says, it opens under the current key.
	dirC := t.TempDir()
	restoreInto(t, backup, dataA, dirC, true)
	w.file(filepath.Join(dirC, "data", "gahost.db"))
	restored := startAlpha(t, w, dirC, hosttest.Options{Env: fileKeyEnv})
	checkRestored(t, restored, set)
	stopClean(t, restored)

	// keys list shows the values still under the retired key; a rotation
	// moves them, after which the retired key can be dropped.
	cfgC := filepath.Join(dirC, "config.hcl")
	out, err = gahost(t, fileKeyEnv, "keys", "list", "-config", cfgC)
	w.output("output of keys list", out)
	if err != nil || !strings.Contains(out, "retired") {
		t.Fatalf("keys list: %v\n%s", err, out)
	}
	var retiredID string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[1] == "retired" {
			retiredID = f[0]
			if f[2] == "0" {
				t.Errorf("restored values not counted under the retired key: %q", line)
			}
		}
	}
	out, err = gahost(t, fileKeyEnv, "keys", "drop", "-config", cfgC, retiredID)
	w.output("output of keys drop", out)
	if err == nil || !strings.Contains(out, "still holds values") {
		t.Fatalf("drop of a key in use: %v\n%s", err, out)
	}
	out, err = gahost(t, fileKeyEnv, "keys", "rotate", "-config", cfgC)
	w.output("output of keys rotate", out)
	if err != nil {
		t.Fatalf("rotate the restored store: %v\n%s", err, out)
	}
	rotated, _ := os.ReadFile(filepath.Join(dirC, "data", "master.key"))
	w.key("master key after the second rotation", rotated)
	out, err = gahost(t, fileKeyEnv, "keys", "drop", "-config", cfgC, retiredID)
	w.output("output of keys drop", out)
	if err != nil {
		t.Fatalf("drop after the rotation: %v\n%s", err, out)
	}
	restored.Restart()
	checkRestored(t, restored, set)
}
