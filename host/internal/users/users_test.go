package users

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/input"
	"github.com/globalautomation/gahost/host/internal/store"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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
	dir   string
	st    *store.Store
	clock *clock
	svc   *Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{ctx: context.Background(), dir: t.TempDir(), clock: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	var err error
	if f.st, err = store.Open(f.ctx, store.Path(f.dir), store.Options{Now: f.clock.now}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	if f.svc, err = New(Config{Store: f.st, Now: f.clock.now}); err != nil {
		t.Fatal(err)
	}
	return f
}

func ptr[T any](v T) *T { return &v }

func TestNewNeedsAStore(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("a service without a store was built")
	}
}

func TestBootstrap(t *testing.T) {
	f := newFixture(t)
	tokenFile := filepath.Join(f.dir, "admin.token")
	created, err := f.svc.Bootstrap(f.ctx, tokenFile)
	if err != nil || !created {
		t.Fatalf("Bootstrap = %v, %v", created, err)
	}
	raw, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(tokenFile); st.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v", st.Mode())
	}
	// Written atomically: no temporary file is left beside it.
	if entries, _ := os.ReadDir(f.dir); len(entries) != 2 { // the database and the token
		t.Fatalf("data dir holds %d entries", len(entries))
	}
	u, err := f.svc.Authenticate(f.ctx, strings.TrimSpace(string(raw)))
	if err != nil || u.Username != AdminUsername || !u.IsAdmin() {
		t.Fatalf("admin token: %+v %v", u, err)
	}
	again, err := f.svc.Bootstrap(f.ctx, tokenFile)
	if err != nil || again {
		t.Fatalf("second Bootstrap = %v, %v", again, err)
	}
	if raw2, _ := os.ReadFile(tokenFile); !bytes.Equal(raw, raw2) {
		t.Fatal("second Bootstrap rewrote the token file")
	}
}

func TestBootstrapFailsWhenTheTokenCannotBeWritten(t *testing.T) {
	f := newFixture(t)
	blocker := filepath.Join(f.dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// A directory that cannot exist: its parent is a file.
	if _, err := f.svc.Bootstrap(f.ctx, filepath.Join(blocker, "admin.token")); err == nil {
		t.Fatal("Bootstrap succeeded without a token file")
	}
	if has, _ := f.st.HasUsers(f.ctx); has {
		t.Fatal("an admin was committed without its token on disk")
	}
}

func TestCreate(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		in   NewUser
		code string
	}{
		{NewUser{Username: ""}, input.CodeMissingField},
		{NewUser{Username: "-dash"}, CodeInvalidUsername},
		{NewUser{Username: strings.Repeat("a", 65)}, CodeInvalidUsername},
		{NewUser{Username: "sp ace"}, CodeInvalidUsername},
		{NewUser{Username: "ok", Role: "root"}, CodeInvalidRole},
		{NewUser{Username: "ok", Password: ptr("short")}, CodeInvalidPassword},
		{NewUser{Username: "ok", Password: ptr(strings.Repeat("xy", 513))}, CodeInvalidPassword},
		{NewUser{Username: "ok", Password: ptr("elevenchars")}, CodeInvalidPassword},
		{NewUser{Username: "ok", Password: ptr("ééééééééééé")}, CodeInvalidPassword},
		{NewUser{Username: "ok", Password: ptr("twelve-chars\x07")}, CodeInvalidPassword},
		{NewUser{Username: "ok", Password: ptr("tab\tin-the-middle")}, CodeInvalidPassword},
		{NewUser{Username: "ok", Password: ptr(strings.Repeat("a", 20))}, CodeInvalidPassword},
		{NewUser{Username: "ok", Password: ptr(strings.Repeat("ж", 12))}, CodeInvalidPassword},
		{NewUser{Username: "ok", Password: ptr("valid-prefix\xff\xfe")}, CodeInvalidPassword},
	}
	for _, tt := range tests {
		_, _, err := f.svc.Create(f.ctx, tt.in)
		var ie *input.Error
		if !errors.As(err, &ie) || ie.Code != tt.code {
			t.Errorf("Create(%+v) = %v, want %s", tt.in, err, tt.code)
		}
	}
	u, token, err := f.svc.Create(f.ctx, NewUser{Username: "Alice.B_c-1", Password: ptr("ééééééééééé8")})
	if err != nil || u.Role != store.RoleUser || u.PasswordHash == "" {
		t.Fatalf("Create = %+v, %v", u, err)
	}
	if got, err := f.svc.Authenticate(f.ctx, token); err != nil || got.ID != u.ID {
		t.Fatalf("the API token does not authenticate: %v", err)
	}
	if _, _, err := f.svc.Create(f.ctx, NewUser{Username: "alice.b_C-1", Role: store.RoleAdmin}); !errors.Is(err, ErrUsernameTaken) {
		t.Fatalf("duplicate username: %v", err)
	}
}

func TestLoginAndTokens(t *testing.T) {
	f := newFixture(t)
	const pw = "correct-horse-battery"
	u, apiToken, err := f.svc.Create(f.ctx, NewUser{Username: "alice", Password: ptr(pw)})
	if err != nil {
		t.Fatal(err)
	}
	var ie *input.Error
	if _, err := f.svc.Login(f.ctx, Login{Username: "alice"}); !errors.As(err, &ie) || ie.Code != input.CodeMissingField {
		t.Fatalf("blank password: %v", err)
	}
	for _, bad := range []Login{{Username: "alice", Password: "wrong-password"}, {Username: "nobody", Password: pw}} {
		bad.Client = "10.0.0.1"
		if _, err := f.svc.Login(f.ctx, bad); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("Login(%s) = %v", bad.Username, err)
		}
	}
	tok, err := f.svc.Login(f.ctx, Login{Username: "ALICE", Password: pw, Client: "10.0.0.2"})
	if err != nil || !tok.ExpiresAt.Equal(f.clock.now().Add(24*time.Hour)) {
		t.Fatalf("Login = %+v, %v", tok, err)
	}
	check := func(token string, want bool) {
		t.Helper()
		got, err := f.svc.Authenticate(f.ctx, token)
		if want && (err != nil || got.ID != u.ID) {
			t.Fatalf("Authenticate: %v", err)
		}
		if !want && !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("Authenticate of a bad token: %v", err)
		}
	}
	check(tok.Token, true)
	check(apiToken, true)
	check("", false)
	check("gah_short", false)
	check(strings.Replace(apiToken, "gah_", "xyz_", 1), false)
	// A login token lives LoginTTL; an API token forever.
	f.clock.add(24*time.Hour - time.Second)
	check(tok.Token, true)
	f.clock.add(time.Second)
	check(tok.Token, false)
	check(apiToken, true)
}

func TestLoginBackoff(t *testing.T) {
	f := newFixture(t)
	const pw = "correct-horse-battery"
	if _, _, err := f.svc.Create(f.ctx, NewUser{Username: "alice", Password: ptr(pw)}); err != nil {
		t.Fatal(err)
	}
	for i := range freeLoginFailures {
		if _, err := f.svc.Login(f.ctx, Login{Username: "alice", Password: "wrong-password", Client: "a"}); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	var wait *TooManyAttemptsError
	if _, err := f.svc.Login(f.ctx, Login{Username: "Alice", Password: pw, Client: "a"}); !errors.As(err, &wait) || wait.RetryAfter != time.Second {
		t.Fatalf("right password during the backoff: %v", err)
	}
	if _, err := f.svc.Login(f.ctx, Login{Username: "alice", Password: pw, Client: "b"}); err != nil {
		t.Fatalf("another client: %v", err)
	}
	f.clock.add(time.Second)
	if _, err := f.svc.Login(f.ctx, Login{Username: "alice", Password: pw, Client: "a"}); err != nil {
		t.Fatalf("after the backoff: %v", err)
	}
}

func TestLoginLeavesWhenTheCallerDoes(t *testing.T) {
	f := newFixture(t)
	for range cap(f.svc.hashing) {
		f.svc.hashing <- struct{}{}
	}
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	if _, err := f.svc.Login(ctx, Login{Username: "a", Password: "b"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Login with every hashing slot taken and the caller gone: %v", err)
	}
}

func TestLoginBackoffGrows(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	l := newLoginLimiter(c.now)
	var waits []time.Duration
	for range 8 {
		l.fail("k")
		waits = append(waits, l.wait("k"))
	}
	want := []time.Duration{0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	for range 30 {
		l.fail("k")
	}
	if w := l.wait("k"); w != maxLoginBackoff {
		t.Fatalf("capped wait %v", w)
	}
	l.succeed("k")
	if l.wait("k") != 0 {
		t.Fatal("success did not reset")
	}
}

// An enabled admin always remains: demoting, disabling or deleting the
// last one is refused; with another admin it works.
func TestLastAdminRemains(t *testing.T) {
	f := newFixture(t)
	admin, _, err := f.svc.Create(f.ctx, NewUser{Username: "root", Role: store.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	plain, _, _ := f.svc.Create(f.ctx, NewUser{Username: "plain"})
	var ce *ConflictError
	for name, try := range map[string]func() error{
		"demote":  func() error { _, err := f.svc.Update(f.ctx, admin.ID, Patch{Role: ptr(store.RoleUser)}); return err },
		"disable": func() error { _, err := f.svc.Update(f.ctx, admin.ID, Patch{Disabled: ptr(true)}); return err },
		"delete":  func() error { _, err := f.svc.Delete(f.ctx, admin.ID); return err },
	} {
		if err := try(); !errors.As(err, &ce) || ce.Code != CodeLastAdmin {
			t.Errorf("%s the last admin: %v", name, err)
		}
	}
	if _, err := f.svc.Update(f.ctx, plain.ID, Patch{Disabled: ptr(true)}); err != nil {
		t.Fatalf("disable a plain user: %v", err)
	}
	if _, err := f.svc.Update(f.ctx, plain.ID, Patch{Role: ptr(store.RoleAdmin), Disabled: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Update(f.ctx, admin.ID, Patch{Role: ptr(store.RoleUser)}); err != nil {
		t.Fatalf("demote with another admin: %v", err)
	}
	if _, err := f.svc.Update(f.ctx, admin.ID, Patch{Role: ptr("root")}); err == nil {
		t.Fatal("unknown role accepted")
	}
}

// A new password revokes the other login tokens, not the API tokens nor
// the one kept; an invited user sets its first without a current one.
func TestChangePassword(t *testing.T) {
	f := newFixture(t)
	u, apiToken, err := f.svc.Create(f.ctx, NewUser{Username: "invited"})
	if err != nil {
		t.Fatal(err)
	}
	const pw, pw2 = "first-password-1", "second-password-2"
	if err := f.svc.ChangePassword(f.ctx, u.ID, "", nil, "short"); err == nil {
		t.Fatal("a short password accepted")
	}
	if err := f.svc.ChangePassword(f.ctx, u.ID, "", nil, pw); err != nil {
		t.Fatalf("invited user's first password: %v", err)
	}
	a, err := f.svc.Login(f.ctx, Login{Username: "invited", Password: pw, Client: "x"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := f.svc.Login(f.ctx, Login{Username: "invited", Password: pw, Client: "x"})
	_, bTok, err := f.svc.Session(f.ctx, b.Token)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ChangePassword(f.ctx, u.ID, bTok.ID, nil, pw2); err == nil {
		t.Fatal("changed without the current password")
	}
	if err := f.svc.ChangePassword(f.ctx, u.ID, bTok.ID, ptr("wrong-password-x"), pw2); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("wrong current password: %v", err)
	}
	if err := f.svc.ChangePassword(f.ctx, u.ID, bTok.ID, ptr(pw), pw2); err != nil {
		t.Fatal(err)
	}
	for tok, want := range map[string]bool{a.Token: false, b.Token: true, apiToken: true} {
		if _, err := f.svc.Authenticate(f.ctx, tok); (err == nil) != want {
			t.Errorf("token after the change: %v, want valid %v", err, want)
		}
	}
	if _, err := f.svc.Login(f.ctx, Login{Username: "invited", Password: pw2, Client: "y"}); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	if err := f.svc.RevokeToken(f.ctx, u.ID, bTok.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RevokeToken(f.ctx, u.ID, bTok.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke twice: %v", err)
	}
	if _, err := f.svc.Update(f.ctx, u.ID, Patch{Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(f.ctx, apiToken); !errors.Is(err, ErrUserDisabled) {
		t.Fatalf("a disabled user's token: %v", err)
	}
	if _, err := f.svc.Login(f.ctx, Login{Username: "invited", Password: pw2, Client: "y"}); !errors.Is(err, ErrUserDisabled) {
		t.Fatalf("a disabled user's login: %v", err)
	}
}

func TestMintAdminToken(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.Bootstrap(f.ctx, filepath.Join(t.TempDir(), "admin.token")); err != nil {
		t.Fatal(err)
	}
	tok, err := f.svc.MintAdminToken(f.ctx, AdminUsername)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := f.svc.Authenticate(f.ctx, tok); err != nil || !u.IsAdmin() {
		t.Fatalf("minted token: %+v %v", u, err)
	}
	f.svc.Create(f.ctx, NewUser{Username: "plain"})
	if _, err := f.svc.MintAdminToken(f.ctx, "plain"); err == nil {
		t.Fatal("minted an admin token for a plain user")
	}
	if _, err := f.svc.MintAdminToken(f.ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing user: %v", err)
	}
}
