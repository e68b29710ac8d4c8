package secrets

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustKey(t testing.TB) *Key {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenBinding(t *testing.T) {
	k := mustKey(t)
	other := mustKey(t)
	sealed, err := k.Seal("acct-1", FieldAPIKey, []byte("plain-api-key"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("plain-api-key")) {
		t.Fatal("sealed value contains the plaintext")
	}
	tests := []struct {
		name    string
		key     *Key
		account string
		field   string
		value   []byte
		wantErr error
	}{
		{"same account and field", k, "acct-1", FieldAPIKey, sealed, nil},
		{"another account", k, "acct-2", FieldAPIKey, sealed, ErrCorrupt},
		{"another field", k, "acct-1", FieldSecretKey, sealed, ErrCorrupt},
		{"account and field run together", k, "acct-1api_key", "", sealed, ErrCorrupt},
		{"another key", other, "acct-1", FieldAPIKey, sealed, ErrWrongKey},
		{"truncated", k, "acct-1", FieldAPIKey, sealed[:len(sealed)-1], ErrCorrupt},
		{"too short", k, "acct-1", FieldAPIKey, sealed[:10], ErrCorrupt},
		{"unknown version", k, "acct-1", FieldAPIKey, append([]byte{2}, sealed[1:]...), ErrCorrupt},
		{"key id relabelled", k, "acct-1", FieldAPIKey, relabel(sealed, other.ID()), ErrWrongKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt, err := tt.key.Open(tt.account, tt.field, tt.value)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Open error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && string(pt) != "plain-api-key" {
				t.Fatalf("Open = %q", pt)
			}
			if err != nil && strings.Contains(err.Error(), "plain-api-key") {
				t.Fatal("error message contains the plaintext")
			}
		})
	}
}

func relabel(sealed []byte, id KeyID) []byte {
	out := bytes.Clone(sealed)
	copy(out[1:], id[:])
	return out
}

func TestEveryFlippedByteFailsToOpen(t *testing.T) {
	k := mustKey(t)
	sealed, err := k.Seal("a", FieldSecretKey, []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := k.Open("a", FieldSecretKey, bad); err == nil {
			t.Fatalf("flipping byte %d still opens", i)
		}
	}
}

func TestNonceIsFreshPerSeal(t *testing.T) {
	k := mustKey(t)
	a, _ := k.Seal("a", FieldAPIKey, []byte("same"))
	b, _ := k.Seal("a", FieldAPIKey, []byte("same"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical")
	}
	if id, ok := SealedKeyID(a); !ok || id != k.ID() {
		t.Fatalf("SealedKeyID = %v %v", id, ok)
	}
}

func TestCredentialsRoundTripAndSwap(t *testing.T) {
	k := mustKey(t)
	c1 := Credentials{APIKey: "key-one", SecretKey: "secret-one", Passphrase: "pass-one"}
	c2 := Credentials{APIKey: "key-two", SecretKey: "secret-two"}
	s1, err := k.SealCredentials("acct-1", c1)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := k.SealCredentials("acct-2", c2)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Passphrase != nil {
		t.Fatal("an empty passphrase was sealed")
	}
	if got, err := k.OpenCredentials("acct-1", s1); err != nil || got != c1 {
		t.Fatalf("OpenCredentials = %v, %v", got == c1, err)
	}
	swapped := []struct {
		name string
		s    SealedCredentials
	}{
		{"api key from another account", SealedCredentials{APIKey: s2.APIKey, SecretKey: s1.SecretKey, Passphrase: s1.Passphrase}},
		{"fields swapped", SealedCredentials{APIKey: s1.SecretKey, SecretKey: s1.APIKey, Passphrase: s1.Passphrase}},
		{"passphrase in the secret field", SealedCredentials{APIKey: s1.APIKey, SecretKey: s1.Passphrase}},
	}
	for _, tt := range swapped {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := k.OpenCredentials("acct-1", tt.s); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
	for _, s := range []string{fmt.Sprint(c1), fmt.Sprintf("%v %+v %#v", c1, c1, c1), fmt.Sprintf("%v %#v", k, k)} {
		for _, secret := range []string{"key-one", "secret-one", "pass-one"} {
			if strings.Contains(s, secret) {
				t.Fatalf("formatting leaks %q: %s", secret, s)
			}
		}
	}
}

func TestResealMovesToNewKey(t *testing.T) {
	old, nk := mustKey(t), mustKey(t)
	c := Credentials{APIKey: "k", SecretKey: "s", Passphrase: "p"}
	s, _ := old.SealCredentials("a", c)
	r, err := nk.Reseal(old, "a", s)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := nk.OpenCredentials("a", r); err != nil || got != c {
		t.Fatalf("after reseal: %v", err)
	}
	if _, err := old.OpenCredentials("a", r); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("old key opens the resealed value: %v", err)
	}
}

func TestReadKeyFile(t *testing.T) {
	raw := bytes.Repeat([]byte{7}, KeySize)
	want, _ := NewKey(raw)
	tests := []struct {
		name    string
		content []byte
		mode    os.FileMode
		wantErr string
	}{
		{"raw bytes 0600", raw, 0o600, ""},
		{"raw bytes 0400", raw, 0o400, ""},
		{"base64 text", []byte(base64.StdEncoding.EncodeToString(raw) + "\n"), 0o600, ""},
		{"group readable", raw, 0o640, "chmod 600"},
		{"other readable", raw, 0o604, "chmod 600"},
		{"group writable", raw, 0o620, "chmod 600"},
		{"too short", raw[:16], 0o600, "want 32 raw bytes"},
		{"garbage text", []byte("not a key at all, certainly not base64!!"), 0o600, "want 32 raw bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "master.key")
			if err := os.WriteFile(path, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			k, err := readKeyFile(path)
			if tt.wantErr == "" {
				if err != nil || k.ID() != want.ID() {
					t.Fatalf("readKeyFile = %v, %v", k, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSourceEnv(t *testing.T) {
	raw := bytes.Repeat([]byte{9}, KeySize)
	good := base64.StdEncoding.EncodeToString(raw)
	tests := []struct {
		name    string
		src     Source
		env     map[string]string
		wantEnv string
		wantErr string
	}{
		{"default variable wins over the file", Source{KeyFile: "f"}, map[string]string{DefaultKeyEnv: good}, DefaultKeyEnv, ""},
		{"file when no variable", Source{KeyFile: "f"}, nil, "", ""},
		{"named variable", Source{KeyFile: "f", KeyEnv: "MY_KEY"}, map[string]string{"MY_KEY": good}, "MY_KEY", ""},
		{"named variable missing", Source{KeyFile: "f", KeyEnv: "MY_KEY"}, nil, "", "MY_KEY"},
		{"nothing at all", Source{}, nil, "", DefaultKeyEnv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Getenv = func(k string) string { return tt.env[k] }
			got, err := tt.src.envName()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || got != tt.wantEnv {
				t.Fatalf("envName = %q, %v", got, err)
			}
		})
	}
	for _, bad := range []string{"short", base64.StdEncoding.EncodeToString(raw[:31]), good + "AAAA"} {
		_, err := keyFromEnv("X", bad)
		if err == nil || strings.Contains(err.Error(), bad) {
			t.Fatalf("keyFromEnv(%q) err = %v", bad, err)
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		if _, err := keyFromEnv("X", " "+enc.EncodeToString(raw)+"\n"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriteFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub")
	path := filepath.Join(dir, "admin.token")
	for _, content := range []string{"first", "second"} {
		if err := WriteFile(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("content = %q, %v", got, err)
		}
		st, _ := os.Stat(path)
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("mode = %v", st.Mode())
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("leftover files: %v", entries)
	}
}

func TestTokens(t *testing.T) {
	a, ha, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, hb, _ := NewToken()
	if a == b || !strings.HasPrefix(a, TokenPrefix) || !LooksLikeToken(a) {
		t.Fatalf("tokens %q %q", a, b)
	}
	if HashToken(a) != ha || !ha.Equal(ha[:]) || ha.Equal(hb[:]) {
		t.Fatal("hash mismatch")
	}
	for _, bad := range []string{"", "gah_", "Bearer " + a, a + "x", strings.TrimPrefix(a, TokenPrefix)} {
		if LooksLikeToken(bad) {
			t.Fatalf("LooksLikeToken(%q)", bad)
		}
	}
}

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "correct horse") || !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash %q", h)
	}
	tests := []struct {
		encoded, pw string
		want        bool
	}{
		{h, "correct horse", true},
		{h, "correct horsE", false},
		{h, "", false},
		{"", "correct horse", false},
		{"$argon2id$v=19$m=0,t=0,p=0$AA$AA", "x", false},
		{"$bcrypt$whatever", "x", false},
		{dummyHash, "anything", false},
	}
	if _, err := verify(dummyHash, "x"); err != nil {
		t.Fatalf("the dummy hash does not verify, so unknown users answer faster: %v", err)
	}
	for _, tt := range tests {
		if got := VerifyPassword(tt.encoded, tt.pw); got != tt.want {
			t.Errorf("VerifyPassword(%q, %q) = %v", tt.encoded, tt.pw, got)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	k := mustKey(b)
	pt := []byte(strings.Repeat("k", 64))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Seal("01J0000000000000000000000", FieldSecretKey, pt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	k := mustKey(b)
	sealed, _ := k.Seal("01J0000000000000000000000", FieldSecretKey, []byte(strings.Repeat("k", 64)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Open("01J0000000000000000000000", FieldSecretKey, sealed); err != nil {
			b.Fatal(err)
		}
	}
}

// The policy itself is tested in sdk/redact; this checks that all three
// credentials are handed to it and a short passphrase is kept.
func TestCredentialsRedact(t *testing.T) {
	key := "vmPUabcdefghijklA8lE"
	c := Credentials{APIKey: key, SecretKey: "0123456789abcdef", Passphrase: "xy"}
	if got := c.Redact("k=" + key + " s=0123456789abcdef p=xy hint vmPU…A8lE"); got != "k=[redacted] s=[redacted] p=xy hint vmPU…A8lE" {
		t.Errorf("Credentials.Redact = %q", got)
	}
	c.Passphrase = "pass-phrase-9"
	if got := c.Redact("prefix vmPUabcdefgh and phrase-9 only"); got != "prefix [redacted] and [redacted] only" {
		t.Errorf("Credentials.Redact = %q", got)
	}
}

func TestRetiredKeysOnlyOpen(t *testing.T) {
	old, cur := mustKey(t), mustKey(t)
	sealedOld, err := old.Seal("a", "f", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	withOld := cur.withRetired([]*Key{old, cur})
	if got, err := withOld.Open("a", "f", sealedOld); err != nil || string(got) != "x" {
		t.Fatalf("retired key does not open its value: %v", err)
	}
	if _, err := withOld.Open("b", "f", sealedOld); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("retired key opened a value for another account: %v", err)
	}
	if _, err := cur.Open("a", "f", sealedOld); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("the bare key opened a value of a retired key: %v", err)
	}
	sealedNew, err := withOld.Seal("a", "f", []byte("y"))
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := SealedKeyID(sealedNew); id != cur.ID() {
		t.Fatalf("sealed under %s, want the current key %s", id, cur.ID())
	}
	if ids := withOld.RetiredIDs(); len(ids) != 1 || ids[0] != old.ID() {
		t.Fatalf("RetiredIDs = %v (the current key must not count as retired)", ids)
	}
}

// A fingerprint is stable under one key, differs by value, purpose and
// master key, and is no plain hash of the value.
func TestFingerprint(t *testing.T) {
	k, _ := GenerateKey()
	other, _ := GenerateKey()
	a := k.Fingerprint("p", "value")
	if !bytes.Equal(a, k.Fingerprint("p", "value")) || len(a) != sha256.Size {
		t.Fatal("not stable")
	}
	plain := sha256.Sum256([]byte("value"))
	for name, b := range map[string][]byte{
		"another value":      k.Fingerprint("p", "valuf"),
		"another purpose":    k.Fingerprint("q", "value"),
		"a shifted boundary": k.Fingerprint("pv", "alue"),
		"another master key": other.Fingerprint("p", "value"),
		"a plain hash":       plain[:],
	} {
		if bytes.Equal(a, b) {
			t.Errorf("equal to %s", name)
		}
	}
	// A copy that carries retired keys fingerprints like the key itself.
	if !bytes.Equal(k.withRetired([]*Key{other}).Fingerprint("p", "value"), a) {
		t.Fatal("withRetired changed the fingerprint")
	}
}
