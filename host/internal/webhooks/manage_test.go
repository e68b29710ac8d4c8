package webhooks

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/accounts"
	"github.com/globalautomation/gahost/host/internal/input"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCreateMintsCredentials(t *testing.T) {
	e := newEnv(t)
	h := e.webhook(NewWebhook{Market: "futures", AllowedSymbols: []string{"BTC/USDT:USDT", "BTC/USDT:USDT"}, MaxNotional: limitOf("100.5")})

	if !LooksLikeToken(h.token) || !strings.HasPrefix(h.secret, SecretPrefix) || len(h.secret) != len(SecretPrefix)+credentialRandomLen {
		t.Fatalf("token/secret shape: %d %d", len(h.token), len(h.secret))
	}
	c := Credentials{Token: h.token, Secret: h.secret}
	if fmt.Sprint(c) != "webhooks.Credentials{redacted}" || fmt.Sprintf("%#v", c) != "webhooks.Credentials{redacted}" {
		t.Fatal("credentials print themselves")
	}
	n := len(SecretPrefix)
	if want := SecretPrefix + h.secret[n:n+4] + "…" + h.secret[len(h.secret)-4:]; h.SecretHint != want {
		t.Fatalf("secret hint %q, want %q", h.SecretHint, want)
	}
	if want := TokenPrefix + h.token[n:n+4] + "…" + h.token[len(h.token)-4:]; h.TokenHint != want {
		t.Fatalf("token hint %q, want %q", h.TokenHint, want)
	}
	got, err := e.st.WebhookByTokenHash(e.ctx, secrets.HashToken(h.token))
	if err != nil || got.ID != h.ID || got.MaxNotional.String() != "100.5" || fmt.Sprint(got.AllowedSymbols) != "[BTC/USDT:USDT]" {
		t.Fatalf("stored: %+v %v", got, err)
	}
	pt, err := e.key.Open(h.ID, store.FieldWebhookSecret, got.Secret)
	if err != nil || string(pt) != h.secret {
		t.Fatalf("the sealed secret does not open to what was shown: %v", err)
	}
	// The sealed secret is bound to its webhook: under another id it does not open.
	if _, err := e.key.Open(e.acct.ID, store.FieldWebhookSecret, got.Secret); err == nil {
		t.Fatal("secret opened under another id")
	}
	for _, bad := range []string{"", "nope", h.secret, h.token + "x", strings.TrimPrefix(h.token, TokenPrefix)} {
		if LooksLikeToken(bad) {
			t.Fatalf("%q looks like a token", bad)
		}
	}
}

func TestCreateChecks(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		in   NewWebhook
		code string
		msg  string
	}{
		{"no name", NewWebhook{Name: " ", AccountID: e.acct.ID, Market: "spot"}, input.CodeMissingField, "name is required"},
		{"no account", NewWebhook{Name: "n", Market: "spot"}, CodeMissingField, "exchange_account_id is required"},
		{"no market", NewWebhook{Name: "n", AccountID: e.acct.ID}, CodeMissingField, "market is required: spot or futures"},
		{"bad market", NewWebhook{Name: "n", AccountID: e.acct.ID, Market: "margin\n"}, CodeInvalidField, `market must be spot or futures, not "margin "`},
		{"symbol of the other market", NewWebhook{Name: "n", AccountID: e.acct.ID, Market: "spot", AllowedSymbols: []string{"BTC/USDT:USDT"}}, CodeInvalidField, `allowed_symbols: "BTC/USDT:USDT"`},
		{"too many symbols", NewWebhook{Name: "n", AccountID: e.acct.ID, Market: "spot", AllowedSymbols: make([]string, MaxAllowedSymbols+1)}, CodeInvalidField, "allowed_symbols holds at most 200 symbols"},
		{"bad limit", NewWebhook{Name: "n", AccountID: e.acct.ID, Market: "spot", MaxNotional: limitOf("1e3")}, CodeInvalidField, "max_notional must be a positive decimal"},
	}
	for _, tt := range tests {
		_, _, err := e.svc.Create(e.ctx, e.user.ID, tt.in)
		var ie *input.Error
		if !errors.As(err, &ie) || ie.Code != tt.code || !strings.HasPrefix(ie.Message, tt.msg) {
			t.Errorf("%s: %v, want %s %q", tt.name, err, tt.code, tt.msg)
		}
	}
	if _, _, err := e.svc.Create(e.ctx, e.user.ID, NewWebhook{Name: "n", AccountID: "01NOSUCHACCOUNT", Market: "spot"}); !errors.Is(err, ErrAccountNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
	if list, _ := e.svc.List(e.ctx, e.user.ID); len(list) != 0 {
		t.Fatalf("refused webhooks were stored: %d", len(list))
	}
}

func TestUpdateRotatesAndChecks(t *testing.T) {
	e := newEnv(t)
	h := e.webhook(NewWebhook{Market: "futures", AllowedSymbols: []string{"BTC/USDT:USDT"}, MaxNotional: limitOf("10")})
	other, err := e.accts.Create(e.ctx, e.user.ID, accounts.NewAccount{Name: "other", Exchange: "fakex",
		APIKey: "OTHERKEY-0123456789", SecretKey: "OTHERSECRET-0123456789"})
	if err != nil {
		t.Fatal(err)
	}

	w, c, err := e.svc.Update(e.ctx, e.user.ID, h.ID, Patch{RotateToken: true, RotateSecret: true, AccountID: &other.ID,
		MaxNotional: json.RawMessage("null")})
	if err != nil {
		t.Fatal(err)
	}
	e.note(c.Token, c.Secret)
	if c.Token == "" || c.Secret == "" || c.Token == h.token || c.Secret == h.secret {
		t.Fatal("rotation did not hand out new credentials")
	}
	if w.AccountID != other.ID || w.MaxNotional != nil || w.SecretHint == h.SecretHint || w.TokenHint == h.TokenHint {
		t.Fatalf("patch not applied: %+v", w)
	}
	alert := map[string]any{"action": "close", "symbol": "BTC/USDT:USDT"}
	if _, err := e.send(h, alert); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("old token still works: %v", err)
	}
	if _, err := e.send(hook{Webhook: w, token: c.Token, secret: h.secret}, alert); !errors.Is(err, ErrBadSecret) {
		t.Fatalf("old secret still works: %v", err)
	}
	if pt, err := e.key.Open(w.ID, store.FieldWebhookSecret, w.Secret); err != nil || string(pt) != c.Secret {
		t.Fatal("new secret does not open")
	}

	// Without rotation nothing is handed out.
	name := "renamed"
	if _, c2, err := e.svc.Update(e.ctx, e.user.ID, h.ID, Patch{Name: &name}); err != nil || c2 != (Credentials{}) {
		t.Fatalf("rename: %v", err)
	}

	// The market and the symbols are judged as the change leaves them, and
	// a refused change leaves everything as it was, the token too.
	spot := "spot"
	var ie *input.Error
	_, c3, err := e.svc.Update(e.ctx, e.user.ID, h.ID, Patch{Market: &spot, RotateToken: true})
	if !errors.As(err, &ie) || ie.Code != CodeInvalidField || !strings.HasSuffix(ie.Message, "; change allowed_symbols with the market") || c3.Token != "" {
		t.Fatalf("market without its symbols: %v", err)
	}
	if got, _ := e.svc.Get(e.ctx, e.user.ID, h.ID); got.Market != "futures" || got.Name != "renamed" || got.TokenHint != w.TokenHint {
		t.Fatalf("a refused change was written: %+v", got)
	}
	if _, _, err := e.svc.Update(e.ctx, e.user.ID, h.ID, Patch{Market: &spot, AllowedSymbols: &[]string{"ETH/USDT"}}); err != nil {
		t.Fatalf("market with its symbols: %v", err)
	}

	// A missing account is told before a market that does not fit.
	futures, nobody := "futures", "01NOSUCHACCOUNT"
	if _, _, err := e.svc.Update(e.ctx, e.user.ID, h.ID, Patch{Market: &futures, AccountID: &nobody}); !errors.Is(err, ErrAccountNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
	for _, tt := range []struct {
		p    Patch
		code string
	}{
		{Patch{AccountID: new(string)}, CodeMissingField},
		{Patch{MaxNotional: json.RawMessage(`12`)}, CodeInvalidField},
		{Patch{MaxNotional: json.RawMessage(`"-1"`)}, CodeInvalidField},
		{Patch{Name: new(string)}, input.CodeMissingField},
	} {
		if _, _, err := e.svc.Update(e.ctx, e.user.ID, h.ID, tt.p); !errors.As(err, &ie) || ie.Code != tt.code {
			t.Errorf("%+v: %v, want %s", tt.p, err, tt.code)
		}
	}
	if _, _, err := e.svc.Update(e.ctx, "someone-else", h.ID, Patch{Name: &name}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another user's webhook: %v", err)
	}
}

func TestDeleteForgetsTheRate(t *testing.T) {
	e := newEnv(t)
	h := e.webhook(NewWebhook{Market: "spot"})
	if _, ok := e.svc.limits.allow(h.ID, e.clock.now()); !ok {
		t.Fatal("first alert refused")
	}
	if err := e.svc.Delete(e.ctx, e.user.ID, h.ID); err != nil {
		t.Fatal(err)
	}
	e.svc.limits.mu.Lock()
	_, kept := e.svc.limits.per[h.ID]
	e.svc.limits.mu.Unlock()
	if kept {
		t.Fatal("a deleted webhook keeps its rate state")
	}
	if _, err := e.send(h, map[string]any{"action": "close", "symbol": "BTC/USDT"}); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("deleted webhook's token: %v", err)
	}
	if err := e.svc.Delete(e.ctx, e.user.ID, h.ID); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
}

func TestDeliveryLimit(t *testing.T) {
	for s, want := range map[string]int{"": DefaultPageLimit, "1": 1, "500": 500, "1000": 1000} {
		if got, err := DeliveryLimit(s); err != nil || got != want {
			t.Errorf("DeliveryLimit(%q) = %d, %v", s, got, err)
		}
	}
	for _, s := range []string{"0", "1001", "-1", "x", "1.5"} {
		var ie *input.Error
		if _, err := DeliveryLimit(s); !errors.As(err, &ie) || ie.Code != CodeInvalidField || ie.Message != "limit must be 1 to 1000" {
			t.Errorf("DeliveryLimit(%q) = %v", s, err)
		}
	}
}

func TestDeliveriesAreSettled(t *testing.T) {
	e := newEnv(t)
	h := e.webhook(NewWebhook{Market: "spot"})
	if _, _, err := e.st.RecordDelivery(e.ctx, store.Delivery{WebhookID: h.ID, ReceivedAt: e.clock.now(), Status: store.DeliveryPending}); err != nil {
		t.Fatal(err)
	}
	e.clock.add(PendingGrace + time.Second)
	list, err := e.svc.Deliveries(e.ctx, e.user.ID, h.ID, 0)
	if err != nil || len(list) != 1 || list[0].Status != store.DeliveryFailed || list[0].ErrorCode != CodeUnknownOutcome {
		t.Fatalf("deliveries: %+v %v", list, err)
	}
}

// Minting hands the store only a hash and a sealed secret: no token or
// secret, in any form, reaches the database file.
func TestDatabaseHoldsNoWebhookCredential(t *testing.T) {
	e := newEnv(t)
	var plain []string
	for range 3 {
		h := e.webhook(NewWebhook{Market: "spot"})
		plain = append(plain, h.token, h.secret)
	}
	h := e.webhook(NewWebhook{Market: "spot"})
	_, c, err := e.svc.Update(e.ctx, e.user.ID, h.ID, Patch{RotateSecret: true, RotateToken: true})
	if err != nil {
		t.Fatal(err)
	}
	plain = append(plain, c.Token, c.Secret)
	e.st.Close()
	raw, err := os.ReadFile(e.st.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plain {
		// The random part, whole or in its first half: neither may appear,
		// as text or as base64 of the text.
		for _, part := range []string{p, p[6:], p[6:28]} {
			for _, form := range []string{part, base64.StdEncoding.EncodeToString([]byte(part))} {
				if bytes.Contains(raw, []byte(form)) {
					t.Fatalf("database file contains a webhook credential (%d bytes)", len(part))
				}
			}
		}
	}
}
