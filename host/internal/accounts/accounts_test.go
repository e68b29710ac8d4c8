package accounts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/input"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeExchange scripts the credentials check by the API key's prefix; its
// messages quote the keys on purpose, to prove they are removed.
type fakeExchange struct{ info sdk.Info }

func (f *fakeExchange) Info(context.Context) (sdk.Info, error) { return f.info, nil }
func (f *fakeExchange) ValidateCredentials(ctx context.Context, a sdk.Account) (sdk.Permissions, error) {
	switch k := a.APIKey; {
	case strings.HasPrefix(k, "bad"):
		return sdk.Permissions{}, &sdk.Error{Kind: sdk.KindAuthentication, Message: "Invalid API-key " + k + " secret " + a.SecretKey}
	case strings.HasPrefix(k, "limited"):
		return sdk.Permissions{}, sdk.RateLimited(30*time.Second, "too many requests")
	case strings.HasPrefix(k, "slow"):
		<-ctx.Done()
		return sdk.Permissions{}, ctx.Err()
	case strings.HasPrefix(k, "crash"):
		return sdk.Permissions{}, errors.New("rpc error: plugin exited with key " + k)
	case strings.HasPrefix(k, "readonly"):
		return sdk.Permissions{CanRead: true, Notes: []string{"key " + k + " is read-only"}}, nil
	case strings.HasPrefix(k, "withdraw"):
		return sdk.Permissions{CanRead: true, CanTradeSpot: true, CanWithdraw: true}, nil
	case strings.HasPrefix(k, "spotonly"):
		return sdk.Permissions{CanRead: true, CanTradeSpot: true}, nil
	}
	return sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true}, nil
}
func (f *fakeExchange) SpotBalances(context.Context, sdk.Account) ([]sdk.Balance, error) {
	return nil, nil
}
func (f *fakeExchange) FuturesAccount(context.Context, sdk.Account) (sdk.FuturesAccount, error) {
	return sdk.FuturesAccount{}, nil
}
func (f *fakeExchange) Positions(context.Context, sdk.Account) ([]sdk.Position, error) {
	return nil, nil
}
func (f *fakeExchange) PlaceOrder(context.Context, sdk.Account, sdk.OrderRequest) (sdk.Order, error) {
	return sdk.Order{}, nil
}
func (f *fakeExchange) CancelOrder(context.Context, sdk.Account, sdk.CancelRequest) (sdk.Order, error) {
	return sdk.Order{}, nil
}

type catalog map[string]*fakeExchange

func (c catalog) Exchange(name string) (sdk.Exchange, sdk.Info, bool) {
	f, ok := c[name]
	if !ok {
		return nil, sdk.Info{}, false
	}
	return f, f.info, true
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	ctx   context.Context
	st    *store.Store
	key   *secrets.Key
	clock *clock
	svc   *Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{ctx: context.Background(), clock: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	var err error
	if f.st, err = store.Open(f.ctx, store.Path(t.TempDir()), store.Options{Now: f.clock.now}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	if f.key, err = secrets.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	cat := catalog{
		"fakex":  {info: sdk.Info{Name: "fakex", SupportsTestnet: true, Capabilities: []string{sdk.CapSpotBalances}}},
		"fakepp": {info: sdk.Info{Name: "fakepp", RequiresPassphrase: true, Capabilities: []string{sdk.CapSpotBalances}}},
		"nocaps": {info: sdk.Info{Name: "nocaps"}},
	}
	if f.svc, err = New(Config{Store: f.st, Keys: f.key, Exchanges: cat, Now: f.clock.now,
		ValidateTimeout: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) user(t *testing.T, name string) store.User {
	t.Helper()
	_, hash, _ := secrets.NewToken()
	u, err := f.st.CreateUser(f.ctx, store.NewUser{Username: name, Role: store.RoleUser, Token: hash})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) account(t *testing.T, userID, name string, isMain bool) store.Account {
	t.Helper()
	a, err := f.svc.Create(f.ctx, userID, NewAccount{Name: name, Exchange: "fakex", IsMain: isMain,
		APIKey: "apikey-" + name + "-0123456789", SecretKey: "secret-" + name, Passphrase: "pass-" + name})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.add(time.Millisecond)
	return a
}

func (f *fixture) mains(t *testing.T, userID string) []string {
	t.Helper()
	list, err := f.svc.List(f.ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range list {
		if a.IsMain {
			out = append(out, a.Name)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// conflict returns nil when err is a *ConflictError with code.
func conflict(err error, code string) error {
	var ce *ConflictError
	if errors.As(err, &ce) && ce.Code == code {
		return nil
	}
	return fmt.Errorf("got %v, want a conflict %s", err, code)
}

func TestNewNeedsItsParts(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("a service without a store was built")
	}
}

func TestMainAccountRules(t *testing.T) {
	f := newFixture(t)
	u, v := f.user(t, "u"), f.user(t, "v")
	first := f.account(t, u.ID, "first", false)
	if !first.IsMain {
		t.Fatal("the first account is not main")
	}
	second := f.account(t, u.ID, "second", false)
	f.account(t, v.ID, "v-first", false)
	third := f.account(t, u.ID, "third", true)
	fourth := f.account(t, u.ID, "fourth", false)
	steps := []struct {
		name  string
		do    func() error
		mains []string
	}{
		{"created main takes the flag", func() error { return nil }, []string{"third"}},
		{"patch makes second main", func() error {
			_, err := f.svc.Update(f.ctx, u.ID, second.ID, Patch{IsMain: ptr(true)})
			return err
		}, []string{"second"}},
		{"deleting main promotes the oldest", func() error { return f.svc.Delete(f.ctx, u.ID, second.ID) }, []string{"first"}},
		{"deleting a non-main keeps main", func() error { return f.svc.Delete(f.ctx, u.ID, third.ID) }, []string{"first"}},
		{"unsetting main is refused", func() error {
			_, err := f.svc.Update(f.ctx, u.ID, first.ID, Patch{IsMain: ptr(false)})
			return conflict(err, CodeMainRequired)
		}, []string{"first"}},
		{"unsetting a non-main changes nothing", func() error {
			_, err := f.svc.Update(f.ctx, u.ID, fourth.ID, Patch{IsMain: ptr(false)})
			return err
		}, []string{"first"}},
		{"deactivating main moves it to the oldest active", func() error {
			_, err := f.svc.Update(f.ctx, u.ID, first.ID, Patch{IsActive: ptr(false)})
			return err
		}, []string{"fourth"}},
		{"an inactive account cannot be main beside an active one", func() error {
			_, err := f.svc.Update(f.ctx, u.ID, first.ID, Patch{IsMain: ptr(true)})
			return conflict(err, CodeMainInactive)
		}, []string{"fourth"}},
		{"activating and making main at once", func() error {
			_, err := f.svc.Update(f.ctx, u.ID, first.ID, Patch{IsActive: ptr(true), IsMain: ptr(true)})
			return err
		}, []string{"first"}},
		{"deactivating every account keeps one main", func() error {
			for _, id := range []string{first.ID, fourth.ID} {
				if _, err := f.svc.Update(f.ctx, u.ID, id, Patch{IsActive: ptr(false)}); err != nil {
					return err
				}
			}
			return nil
		}, []string{"fourth"}},
		{"an account active again takes main from an inactive one", func() error {
			_, err := f.svc.Update(f.ctx, u.ID, first.ID, Patch{IsActive: ptr(true)})
			return err
		}, []string{"first"}},
		{"deleting the main with only inactive ones left keeps one main", func() error {
			return f.svc.Delete(f.ctx, u.ID, first.ID)
		}, []string{"fourth"}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := f.mains(t, u.ID); fmt.Sprint(got) != fmt.Sprint(s.mains) {
			t.Fatalf("%s: mains = %v, want %v", s.name, got, s.mains)
		}
		if got := f.mains(t, v.ID); len(got) != 1 || got[0] != "v-first" {
			t.Fatalf("%s: another user's main changed: %v", s.name, got)
		}
	}
}

// Of many accounts made main at once, exactly one ends up main: the rule
// runs inside the store's transaction.
func TestMainAccountUnderConcurrency(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	var ids []string
	for i := range 6 {
		ids = append(ids, f.account(t, u.ID, fmt.Sprint("a", i), false).ID)
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			if _, err := f.svc.Update(f.ctx, u.ID, id, Patch{IsMain: ptr(true)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := f.mains(t, u.ID); len(got) != 1 {
		t.Fatalf("mains = %v", got)
	}
}

func TestOwnership(t *testing.T) {
	f := newFixture(t)
	u, v := f.user(t, "u"), f.user(t, "v")
	a := f.account(t, u.ID, "a", false)
	if _, err := f.svc.Get(f.ctx, v.ID, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read: %v", err)
	}
	if _, err := f.svc.Update(f.ctx, v.ID, a.ID, Patch{Name: ptr("x")}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update: %v", err)
	}
	if err := f.svc.Delete(f.ctx, v.ID, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete: %v", err)
	}
	if _, err := f.svc.Create(f.ctx, "nobody", NewAccount{Name: "n", Exchange: "fakex", APIKey: "k", SecretKey: "s"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("account for a missing user: %v", err)
	}
}

func TestCreateChecks(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	good := NewAccount{Name: "n", Exchange: "fakex", APIKey: "AK0123456789", SecretKey: "SK0123456789"}
	with := func(change func(*NewAccount)) NewAccount { in := good; change(&in); return in }
	tests := []struct {
		name string
		in   NewAccount
		code string
	}{
		{"no name", with(func(a *NewAccount) { a.Name = " " }), input.CodeMissingField},
		{"long name", with(func(a *NewAccount) { a.Name = strings.Repeat("n", 101) }), input.CodeInvalidName},
		{"no exchange", with(func(a *NewAccount) { a.Exchange = "" }), input.CodeMissingField},
		{"empty key", with(func(a *NewAccount) { a.APIKey = "  " }), CodeEmptyKey},
		{"key with a space", with(func(a *NewAccount) { a.APIKey = "AK 01" }), CodeInvalidKey},
		{"long secret", with(func(a *NewAccount) { a.SecretKey = strings.Repeat("s", MaxSecretLen+1) }), CodeInvalidKey},
		{"passphrase with control", with(func(a *NewAccount) { a.Passphrase = "p\x01" }), CodeInvalidKey},
		{"unknown exchange", with(func(a *NewAccount) { a.Exchange = "nope" }), CodeUnknownExchange},
		{"passphrase needed", with(func(a *NewAccount) { a.Exchange = "fakepp" }), CodePassphraseNeeded},
		{"no testnet", with(func(a *NewAccount) { a.Exchange, a.Passphrase, a.Testnet = "fakepp", "p", true }), CodeTestnetNotOffered},
		{"plugin without capabilities", with(func(a *NewAccount) { a.Exchange = "nocaps" }), CodeNoCapabilities},
	}
	for _, tt := range tests {
		_, err := f.svc.Create(f.ctx, u.ID, tt.in)
		var ie *input.Error
		if !errors.As(err, &ie) || ie.Code != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
		if err != nil && (strings.Contains(err.Error(), tt.in.APIKey) && tt.in.APIKey != "") {
			t.Errorf("%s: the message echoes the key", tt.name)
		}
	}
	// Pasted keys are trimmed; the passphrase is kept as typed.
	a, err := f.svc.Create(f.ctx, u.ID, with(func(a *NewAccount) { a.APIKey, a.Passphrase = " AK0123456789\n", " p " }))
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.key.OpenCredentials(a.ID, a.Secrets)
	if err != nil || c.APIKey != "AK0123456789" || c.Passphrase != " p " || a.APIKeyHint != "AK01…6789" {
		t.Fatalf("stored %q %q hint %q: %v", c.APIKey, c.Passphrase, a.APIKeyHint, err)
	}
	if !f.svc.CredentialsReadable(a) || a.KeysRev != 1 || a.Sync.Status != store.SyncPending || !a.IsActive {
		t.Fatalf("new account: %+v", a)
	}
}

func TestCreateValidatesWithTheExchange(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	tests := []struct {
		key      string
		kind     sdk.Kind
		message  string
		timedOut bool
		retry    time.Duration
	}{
		{"bad-AK0123456789", sdk.KindAuthentication, "Invalid API-key [redacted] secret [redacted]", false, 0},
		{"limited-AK0123456789", sdk.KindRateLimited, "too many requests", false, 30 * time.Second},
		{"slow-AK0123456789", sdk.KindUnknown, "the exchange plugin did not answer properly", true, 0},
		{"crash-AK0123456789", sdk.KindUnknown, "the exchange plugin did not answer properly", false, 0},
	}
	for _, tt := range tests {
		_, err := f.svc.Create(f.ctx, u.ID, NewAccount{Name: "n", Exchange: "fakex", APIKey: tt.key, SecretKey: "SK0123456789"})
		var ce *CheckError
		if !errors.As(err, &ce) || ce.Kind != tt.kind || ce.TimedOut != tt.timedOut || ce.RetryAfter != tt.retry {
			t.Fatalf("%s: %#v", tt.key, err)
		}
		if !strings.Contains(ce.Message, tt.message) || strings.Contains(ce.Message, tt.key) || strings.Contains(ce.Message, "SK0123456789") {
			t.Fatalf("%s: message %q", tt.key, ce.Message)
		}
	}
	if list, _ := f.svc.List(f.ctx, u.ID); len(list) != 0 {
		t.Fatalf("refused keys were kept: %d accounts", len(list))
	}
	if _, err := f.svc.Create(f.ctx, u.ID, NewAccount{Name: "n", Exchange: "fakex", APIKey: "AK0123456789", SecretKey: "SK0123456789"}); err != nil {
		t.Fatalf("good keys: %v", err)
	}
}

func TestUpdateChecks(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	a := f.account(t, u.ID, "a", false)
	tests := []struct {
		name string
		p    Patch
		code string
	}{
		{"blank name", Patch{Name: ptr("")}, input.CodeMissingField},
		{"empty key", Patch{APIKey: ptr(" ")}, CodeEmptyKey},
		{"bad secret", Patch{SecretKey: ptr("a b")}, CodeInvalidKey},
		{"bad passphrase", Patch{Passphrase: ptr("\x00")}, CodeInvalidKey},
	}
	for _, tt := range tests {
		var ie *input.Error
		if _, err := f.svc.Update(f.ctx, u.ID, a.ID, tt.p); !errors.As(err, &ie) || ie.Code != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
	pp, err := f.svc.Create(f.ctx, u.ID, NewAccount{Name: "pp", Exchange: "fakepp", APIKey: "AK0123456789", SecretKey: "SK0123456789", Passphrase: "p"})
	if err != nil {
		t.Fatal(err)
	}
	var ie *input.Error
	if _, err := f.svc.Update(f.ctx, u.ID, pp.ID, Patch{Passphrase: ptr("")}); !errors.As(err, &ie) || ie.Code != CodePassphraseNeeded {
		t.Fatalf("dropping a needed passphrase: %v", err)
	}
	if _, err := f.svc.Update(f.ctx, u.ID, pp.ID, Patch{Testnet: ptr(true)}); !errors.As(err, &ie) || ie.Code != CodeTestnetNotOffered {
		t.Fatalf("testnet on an exchange without one: %v", err)
	}
	// An empty patch changes nothing, not even the time.
	f.clock.add(time.Hour)
	got, err := f.svc.Update(f.ctx, u.ID, a.ID, Patch{})
	if err != nil || !got.UpdatedAt.Equal(a.UpdatedAt) {
		t.Fatalf("empty patch: %+v %v", got, err)
	}
}

func TestChangingKeysReleasesAuthFailed(t *testing.T) {
	tests := []struct {
		name       string
		patch      Patch
		wantStatus string
	}{
		{"new api key", Patch{APIKey: ptr("new-api-key-123456")}, store.SyncPending},
		{"new secret", Patch{SecretKey: ptr("new-secret")}, store.SyncPending},
		{"new passphrase", Patch{Passphrase: ptr("new-pass")}, store.SyncPending},
		{"testnet flip", Patch{Testnet: ptr(true)}, store.SyncPending},
		{"rename only", Patch{Name: ptr("renamed")}, store.SyncAuthFailed},
		{"deactivate only", Patch{IsActive: ptr(false)}, store.SyncAuthFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.account(t, f.user(t, "u").ID, "a", false)
			if err := f.st.PutSyncResult(f.ctx, a.ID, store.SyncResult{State: store.SyncState{Status: store.SyncAuthFailed,
				LastError: "bad key", NextSyncAt: f.clock.now().Add(time.Hour)}}); err != nil {
				t.Fatal(err)
			}
			got, err := f.svc.Update(f.ctx, a.UserID, a.ID, tt.patch)
			if err != nil {
				t.Fatal(err)
			}
			if got.Sync.Status != tt.wantStatus {
				t.Fatalf("status = %s, want %s", got.Sync.Status, tt.wantStatus)
			}
			if keysChanged := tt.wantStatus == store.SyncPending; keysChanged != (got.KeysRev != a.KeysRev) {
				t.Fatalf("KeysRev %d -> %d", a.KeysRev, got.KeysRev)
			}
			if keysChanged := tt.wantStatus == store.SyncPending; keysChanged && !got.Sync.NextSyncAt.IsZero() {
				t.Fatalf("released account is not due now: %v", got.Sync.NextSyncAt)
			}
			c, err := f.key.OpenCredentials(got.ID, got.Secrets)
			if err != nil {
				t.Fatal(err)
			}
			if tt.patch.APIKey != nil && (c.APIKey != *tt.patch.APIKey || got.APIKeyHint != "new-…3456") {
				t.Fatalf("api key not replaced: hint %q", got.APIKeyHint)
			}
			if tt.patch.SecretKey != nil && c.SecretKey != *tt.patch.SecretKey {
				t.Fatal("secret not replaced")
			}
			// A stale auth_failed verdict about the old keys does not park
			// the account again.
			err = f.st.PutSyncResult(f.ctx, a.ID, store.SyncResult{State: store.SyncState{Status: store.SyncAuthFailed, KeysRev: a.KeysRev}})
			if keysChanged := tt.wantStatus == store.SyncPending; keysChanged != errors.Is(err, store.ErrStale) || (!keysChanged && err != nil) {
				t.Fatalf("a verdict about keys rev %d after the patch: %v", a.KeysRev, err)
			}
			again, _ := f.st.Account(f.ctx, a.ID)
			if again.Sync.Status != tt.wantStatus {
				t.Fatalf("after a stale verdict: %s", again.Sync.Status)
			}
		})
	}
}

func TestHint(t *testing.T) {
	tests := map[string]string{
		"vmPUabcdefghijklA8lE": "vmPU…A8lE",
		"123456789012":         "1234…9012",
		"12345678":             "12…78",
		"abc":                  "…",
		"ключ-ключ-ключ":       "ключ…ключ",
	}
	for in, want := range tests {
		if got := Hint(in); got != want {
			t.Errorf("Hint(%q) = %q, want %q", in, got, want)
		}
	}
}

// The same API key twice for one user is refused, on create and on a
// change of keys; another user may hold it; the fingerprint is keyed, not a
// plain hash of the key.
func TestOneKeyOncePerUser(t *testing.T) {
	f := newFixture(t)
	u, v := f.user(t, "u"), f.user(t, "v")
	in := NewAccount{Name: "a", Exchange: "fakex", APIKey: "AK-dup-0123456789", SecretKey: "SK0123456789"}
	a, err := f.svc.Create(f.ctx, u.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.KeyFingerprint) == 0 || strings.Contains(string(a.KeyFingerprint), in.APIKey) {
		t.Fatalf("fingerprint %x", a.KeyFingerprint)
	}
	plain := sha256.Sum256([]byte(in.APIKey))
	if bytes.Equal(a.KeyFingerprint, plain[:]) {
		t.Fatal("the fingerprint is a plain hash of the key")
	}
	other, _ := secrets.GenerateKey()
	if bytes.Equal(other.Fingerprint(store.FingerprintAPIKey, in.APIKey), a.KeyFingerprint) {
		t.Fatal("the fingerprint does not depend on the master key")
	}
	again := in
	again.Name, again.APIKey = "b", " "+in.APIKey+"\n" // trimmed to the same key
	_, err = f.svc.Create(f.ctx, u.ID, again)
	if err := conflict(err, CodeDuplicateKey); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Create(f.ctx, v.ID, in); err != nil {
		t.Fatalf("another user with the same key: %v", err)
	}
	b := f.account(t, u.ID, "b", false)
	_, err = f.svc.Update(f.ctx, u.ID, b.ID, Patch{APIKey: ptr(in.APIKey)})
	if err := conflict(err, CodeDuplicateKey); err != nil {
		t.Fatal(err)
	}
	// Keeping its own key is no duplicate.
	if _, err := f.svc.Update(f.ctx, u.ID, a.ID, Patch{APIKey: ptr(in.APIKey)}); err != nil {
		t.Fatalf("same key again on the same account: %v", err)
	}

	// An account stored before fingerprints existed is compared by its
	// sealed key, and gets a fingerprint on the next write.
	legacy := f.account(t, u.ID, "legacy", false)
	err = f.st.EditAccounts(f.ctx, u.ID, func(mine []store.Account) (store.AccountChange, error) {
		for _, x := range mine {
			if x.ID == legacy.ID {
				x.KeyFingerprint = nil
				return store.AccountChange{Put: []store.Account{x}}, nil
			}
		}
		return store.AccountChange{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Create(f.ctx, u.ID, NewAccount{Name: "x", Exchange: "fakex", APIKey: "apikey-legacy-0123456789", SecretKey: "s"})
	if err := conflict(err, CodeDuplicateKey); err != nil {
		t.Fatal(err)
	}
	f.account(t, u.ID, "fresh", false)
	if got, _ := f.st.Account(f.ctx, legacy.ID); len(got.KeyFingerprint) == 0 {
		t.Fatal("the legacy account got no fingerprint")
	}
}

func TestAccountQuota(t *testing.T) {
	f := newFixture(t)
	svc, err := New(Config{Store: f.st, Keys: f.key, Exchanges: catalog{"fakex": {info: sdk.Info{Name: "fakex",
		Capabilities: []string{sdk.CapSpotBalances}}}}, MaxAccounts: 2, Now: f.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	u, v := f.user(t, "u"), f.user(t, "v")
	for i := range 2 {
		if _, err := svc.Create(f.ctx, u.ID, NewAccount{Name: "a", Exchange: "fakex", APIKey: fmt.Sprint("AK-quota-", i, "-0123456789"), SecretKey: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = svc.Create(f.ctx, u.ID, NewAccount{Name: "a", Exchange: "fakex", APIKey: "AK-quota-x-0123456789", SecretKey: "s"})
	if err := conflict(err, CodeQuotaExceeded); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(f.ctx, v.ID, NewAccount{Name: "a", Exchange: "fakex", APIKey: "AK-quota-x-0123456789", SecretKey: "s"}); err != nil {
		t.Fatalf("another user is not held by u's quota: %v", err)
	}
}

// Keys are checked by default and the permissions kept; skipping the check
// keeps keys the exchange would refuse.
func TestCreateKeepsTheCheck(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	a, err := f.svc.Create(f.ctx, u.ID, NewAccount{Name: "w", Exchange: "fakex", APIKey: "withdraw-0123456789", SecretKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	c := a.LastCheck
	if c == nil || c.Outcome != store.CheckOK || c.KeysRev != 1 || !c.At.Equal(f.clock.now()) ||
		!reflect.DeepEqual(*c.Permissions, store.Permissions{Read: true, SpotTrade: true, Withdraw: true}) {
		t.Fatalf("check %+v", c)
	}
	stored, _ := f.st.Account(f.ctx, a.ID)
	if stored.LastCheck == nil || !stored.LastCheck.Permissions.Withdraw {
		t.Fatalf("stored check %+v", stored.LastCheck)
	}
	if w := Warnings(a, nil); len(w) != 1 || w[0].Code != WarnWithdrawEnabled {
		t.Fatalf("warnings %+v", w)
	}
	if w := Warnings(a, []string{"futures"}); len(w) != 2 || w[1].Code != WarnFuturesTradingMissing {
		t.Fatalf("warnings with a futures webhook %+v", w)
	}
	ro, err := f.svc.Create(f.ctx, u.ID, NewAccount{Name: "r", Exchange: "fakex", APIKey: "readonly-0123456789", SecretKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if n := ro.LastCheck.Permissions.Notes; len(n) != 1 || strings.Contains(n[0], "readonly-0123456789") {
		t.Fatalf("notes %q", n)
	}
	if w := Warnings(ro, []string{"spot"}); len(w) != 1 || w[0].Code != WarnTradingMissing {
		t.Fatalf("read-only warnings %+v", w)
	}
	skipped, err := f.svc.Create(f.ctx, u.ID, NewAccount{Name: "b", Exchange: "fakex", APIKey: "bad-0123456789", SecretKey: "s",
		SkipValidation: true})
	if err != nil || skipped.LastCheck != nil {
		t.Fatalf("unchecked: %+v %v", skipped.LastCheck, err)
	}
}

// Validate checks stored keys again and keeps the verdict: accepted keys
// release an auth_failed account, refused ones park it, and a check that
// could not be made changes nothing.
func TestValidateAgain(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "u")
	a, err := f.svc.Create(f.ctx, u.ID, NewAccount{Name: "b", Exchange: "fakex", APIKey: "bad-0123456789", SecretKey: "s3cr3t-value",
		SkipValidation: true})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.add(time.Minute)
	got, err := f.svc.Validate(f.ctx, u.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sync.Status != store.SyncAuthFailed || got.LastCheck.Outcome != store.CheckRejected ||
		strings.Contains(got.LastCheck.Message, "bad-0123456789") || strings.Contains(got.LastCheck.Message, "s3cr3t-value") ||
		!strings.Contains(got.LastCheck.Message, "Invalid API-key") {
		t.Fatalf("rejected: %+v %+v", got.Sync, got.LastCheck)
	}
	if got, err = f.svc.Update(f.ctx, u.ID, a.ID, Patch{APIKey: ptr("limited-0123456789")}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.PutSyncResult(f.ctx, a.ID, store.SyncResult{State: store.SyncState{Status: store.SyncAuthFailed,
		KeysRev: got.KeysRev, NextSyncAt: f.clock.now().Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	var ce *CheckError
	if _, err := f.svc.Validate(f.ctx, u.ID, a.ID); !errors.As(err, &ce) || ce.Kind != sdk.KindRateLimited {
		t.Fatalf("rate-limited check: %v", err)
	}
	if again, _ := f.st.Account(f.ctx, a.ID); again.Sync.Status != store.SyncAuthFailed || again.LastCheck.Outcome != store.CheckRejected {
		t.Fatalf("a check that could not be made changed the account: %+v", again)
	}
	if _, err := f.svc.Update(f.ctx, u.ID, a.ID, Patch{APIKey: ptr("good-0123456789")}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.PutSyncResult(f.ctx, a.ID, store.SyncResult{State: store.SyncState{Status: store.SyncAuthFailed,
		KeysRev: got.KeysRev + 1, NextSyncAt: f.clock.now().Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	got, err = f.svc.Validate(f.ctx, u.ID, a.ID)
	if err != nil || got.Sync.Status != store.SyncPending || !got.Sync.NextSyncAt.IsZero() || got.LastCheck.Outcome != store.CheckOK ||
		got.LastCheck.KeysRev != got.KeysRev || !got.LastCheck.Permissions.FuturesTrade {
		t.Fatalf("accepted: %+v %+v %v", got.Sync, got.LastCheck, err)
	}
	if _, err := f.svc.Validate(f.ctx, f.user(t, "v").ID, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another user's account: %v", err)
	}
}
