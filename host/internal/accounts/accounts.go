// Package accounts holds the rules of users' exchange accounts: what a name,
// a key, a secret and a passphrase may be; what the serving plugin demands
// (a passphrase, testnet support); checking keys with the exchange before
// they are kept; sealing them under the master key; the main-account rule
// (a user's first account is main, at most one is, and deleting the main
// one hands the flag to the oldest left); and what a change of keys means
// for syncing (a new key revision, and an auth_failed account due again).
//
// This package knows nothing of HTTP (the api package maps its errors to
// answers), never logs or returns a key in the clear beyond the one call it
// was given for, and touches the database only through package store, whose
// EditAccounts runs these rules inside one transaction.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/globalautomation/gahost/host/internal/input"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/hashicorp/go-hclog"
)

// Codes of the errors of this package; part of the REST API.
const (
	CodeEmptyKey          = "empty_key"
	CodeInvalidKey        = "invalid_key"
	CodeUnknownExchange   = "unknown_exchange"
	CodePassphraseNeeded  = "passphrase_required"
	CodeTestnetNotOffered = "testnet_unsupported"
	CodeNoCapabilities    = "no_capabilities"
)

// ErrNotFound: no such account for this user.
var ErrNotFound = store.ErrNotFound

// MaxSecretLen bounds an API key, a secret and a passphrase, in bytes.
const MaxSecretLen = 1024

// Exchanges is what the service needs of the plugin catalog.
type Exchanges interface {
	// Exchange returns the client and info of the plugin that serves name;
	// ok is false if no plugin serves it.
	Exchange(name string) (client sdk.Exchange, info sdk.Info, ok bool)
}

// Config is what a Service is built from.
type Config struct {
	Store     *store.Store
	Keys      *secrets.Key
	Exchanges Exchanges
	Logger    hclog.Logger
	// ValidateTimeout bounds a credentials check; default 10s.
	ValidateTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service applies the rules of exchange accounts. It is safe for
// concurrent use and starts nothing.
type Service struct {
	st              *store.Store
	keys            *secrets.Key
	exchanges       Exchanges
	log             hclog.Logger
	validateTimeout time.Duration
	now             func() time.Time
}

// New builds a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Keys == nil || cfg.Exchanges == nil {
		return nil, errors.New("accounts: Store, Keys and Exchanges are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.ValidateTimeout <= 0 {
		cfg.ValidateTimeout = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{st: cfg.Store, keys: cfg.Keys, exchanges: cfg.Exchanges, log: cfg.Logger,
		validateTimeout: cfg.ValidateTimeout, now: cfg.Now}, nil
}

// ValidateTimeout is the deadline of a credentials check.
func (s *Service) ValidateTimeout() time.Duration { return s.validateTimeout }

// CheckError: the exchange turned the keys down, or could not check them.
// It carries nothing of the keys.
type CheckError struct {
	Kind sdk.Kind
	// Message is the exchange's own reason with every trace of the keys
	// removed, or a generic message when the plugin gave no typed answer.
	Message string
	// RetryAfter is the exchange's wait for a rate-limited check.
	RetryAfter time.Duration
	// TimedOut: the check ran out of its deadline (ValidateTimeout) while
	// the caller was still waiting.
	TimedOut bool
}

func (e *CheckError) Error() string { return "credentials check failed: " + e.Message }

// Hint returns what may be shown of an API key: its first and last 4
// characters. A key shorter than 12 characters shows a quarter at each end,
// so a hint never reveals a whole key.
func Hint(key string) string {
	r := []rune(key)
	n := 4
	if len(r) < 12 {
		n = len(r) / 4
	}
	return string(r[:n]) + "…" + string(r[len(r)-n:])
}

// CredentialsReadable reports whether a's sealed keys open with the master
// key; nothing of them leaves this call.
func (s *Service) CredentialsReadable(a store.Account) bool {
	_, err := s.keys.OpenCredentials(a.ID, a.Secrets)
	return err == nil
}

// cleanKey trims a pasted key and checks it. Messages name the field, never
// echo it.
func cleanKey(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "", &input.Error{Code: CodeEmptyKey, Message: field + " must not be empty"}
	case len(v) > MaxSecretLen:
		return "", input.Errorf(CodeInvalidKey, "%s is longer than %d bytes", field, MaxSecretLen)
	case !utf8.ValidString(v) || strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return "", &input.Error{Code: CodeInvalidKey, Message: field + " must not contain spaces or control characters"}
	}
	return v, nil
}

// checkPassphrase validates a passphrase, which is kept as typed.
func checkPassphrase(v string) error {
	if len(v) > MaxSecretLen || !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return input.Errorf(CodeInvalidKey, "passphrase must be at most %d bytes without control characters", MaxSecretLen)
	}
	return nil
}

// exchange looks up the plugin serving name.
func (s *Service) exchange(name string) (sdk.Exchange, sdk.Info, error) {
	client, info, ok := s.exchanges.Exchange(name)
	if !ok {
		return nil, sdk.Info{}, input.Errorf(CodeUnknownExchange, "no plugin serves exchange %q", redact.Clip(name, 40))
	}
	return client, info, nil
}

// NewAccount is an account to create.
type NewAccount struct {
	Name       string
	Exchange   string
	APIKey     string
	SecretKey  string
	Passphrase string
	Testnet    bool
	IsMain     bool
	// Validate asks the exchange to check the keys before they are kept.
	Validate bool
}

// Create checks in and adds it as an account of userID. It returns
// *input.Error for a bad field or a plugin that cannot take it, and
// *CheckError when Validate is set and the exchange refused the keys.
func (s *Service) Create(ctx context.Context, userID string, in NewAccount) (store.Account, error) {
	if err := input.Name(in.Name); err != nil {
		return store.Account{}, err
	}
	if in.Exchange == "" {
		return store.Account{}, &input.Error{Code: input.CodeMissingField, Message: "exchange is required"}
	}
	apiKey, err := cleanKey("api_key", in.APIKey)
	if err != nil {
		return store.Account{}, err
	}
	secretKey, err := cleanKey("secret_key", in.SecretKey)
	if err != nil {
		return store.Account{}, err
	}
	if err := checkPassphrase(in.Passphrase); err != nil {
		return store.Account{}, err
	}
	client, info, err := s.exchange(in.Exchange)
	if err != nil {
		return store.Account{}, err
	}
	if len(info.Capabilities) == 0 {
		// A freshly scaffolded connector loads and answers Info, but an
		// account on it could never sync or trade.
		return store.Account{}, input.Errorf(CodeNoCapabilities,
			"the %s plugin declares no capability yet; accounts cannot be added to it", in.Exchange)
	}
	if info.RequiresPassphrase && in.Passphrase == "" {
		return store.Account{}, input.Errorf(CodePassphraseNeeded, "%s requires a passphrase", in.Exchange)
	}
	if in.Testnet && !info.SupportsTestnet {
		return store.Account{}, input.Errorf(CodeTestnetNotOffered, "%s offers no testnet", in.Exchange)
	}
	creds := secrets.Credentials{APIKey: apiKey, SecretKey: secretKey, Passphrase: in.Passphrase}
	if in.Validate {
		if err := s.check(ctx, client, sdk.Account{APIKey: creds.APIKey, SecretKey: creds.SecretKey,
			Passphrase: creds.Passphrase, Testnet: in.Testnet}); err != nil {
			return store.Account{}, err
		}
	}
	id := store.NewID()
	sealed, err := s.keys.SealCredentials(id, creds)
	if err != nil {
		return store.Account{}, err
	}
	now := s.now().UTC()
	a := store.Account{
		ID: id, UserID: userID, Name: in.Name, Exchange: in.Exchange, Testnet: in.Testnet,
		IsActive: true, IsMain: in.IsMain, APIKeyHint: Hint(apiKey), Secrets: sealed,
		KeysRev: 1, CreatedAt: now, UpdatedAt: now, Sync: store.SyncState{Status: store.SyncPending},
	}
	err = s.st.EditAccounts(ctx, userID, func(mine []store.Account) (store.AccountChange, error) {
		var ch store.AccountChange
		// A user's first account is main; a new main takes the flag from
		// the others.
		a.IsMain = in.IsMain || len(mine) == 0
		if a.IsMain {
			ch.Put = clearMain(mine, now)
		}
		ch.Put = append(ch.Put, a)
		return ch, nil
	})
	if err != nil {
		return store.Account{}, err
	}
	s.log.Info("exchange account created", "account_id", a.ID, "exchange", a.Exchange, "user_id", a.UserID)
	return a, nil
}

// clearMain returns the accounts of list that are main, with the flag
// dropped.
func clearMain(list []store.Account, now time.Time) []store.Account {
	var out []store.Account
	for _, a := range list {
		if a.IsMain {
			a.IsMain, a.UpdatedAt = false, now
			out = append(out, a)
		}
	}
	return out
}

// check asks the plugin to check the keys within ValidateTimeout.
func (s *Service) check(ctx context.Context, client sdk.Exchange, acct sdk.Account) error {
	callCtx, cancel := context.WithTimeout(ctx, s.validateTimeout)
	defer cancel()
	_, err := client.ValidateCredentials(callCtx, acct)
	if err == nil {
		return nil
	}
	creds := []string{acct.APIKey, acct.SecretKey, acct.Passphrase}
	kind := sdk.KindOf(err)
	s.log.Warn("exchange call failed", "call", "validate_credentials", "kind", kind.String(),
		"error", redact.Clip(redact.String(err.Error(), creds...), 300))
	ce := &CheckError{Kind: kind, Message: "the exchange plugin did not answer properly",
		RetryAfter: sdk.RetryAfter(err), TimedOut: callCtx.Err() != nil && ctx.Err() == nil}
	// The exchange's own reason is shown only for a typed answer; an
	// untyped error (transport, plugin crash) stays in the log.
	var se *sdk.Error
	if errors.As(err, &se) {
		ce.Message = redact.Clip(redact.String(se.Error(), creds...), 300)
	}
	return ce
}

// Get returns an account of userID; another user's is ErrNotFound.
func (s *Service) Get(ctx context.Context, userID, id string) (store.Account, error) {
	return s.st.UserAccount(ctx, userID, id)
}

// List returns userID's accounts, oldest first.
func (s *Service) List(ctx context.Context, userID string) ([]store.Account, error) {
	return s.st.ListAccounts(ctx, userID)
}

// Patch changes the fields that are not nil.
type Patch struct {
	Name       *string
	APIKey     *string
	SecretKey  *string
	Passphrase *string // "" removes the passphrase
	Testnet    *bool
	IsActive   *bool
	IsMain     *bool
}

// Update checks p and applies it to an account of userID. New keys are
// sealed; changing them (or testnet, which changes what they refer to)
// counts a new key revision and turns an auth_failed account back to
// pending, due now. Setting IsMain takes the flag from the user's other
// accounts. It returns ErrNotFound and *input.Error; an empty patch returns
// the account unchanged.
func (s *Service) Update(ctx context.Context, userID, id string, p Patch) (store.Account, error) {
	if p.Name != nil {
		if err := input.Name(*p.Name); err != nil {
			return store.Account{}, err
		}
	}
	for _, f := range []struct {
		name string
		v    **string
	}{{"api_key", &p.APIKey}, {"secret_key", &p.SecretKey}} {
		if *f.v == nil {
			continue
		}
		v, err := cleanKey(f.name, **f.v)
		if err != nil {
			return store.Account{}, err
		}
		*f.v = &v
	}
	if p.Passphrase != nil {
		if err := checkPassphrase(*p.Passphrase); err != nil {
			return store.Account{}, err
		}
	}
	a, err := s.st.UserAccount(ctx, userID, id)
	if err != nil {
		return store.Account{}, err
	}
	// The plugin's rules matter only for the fields it constrains, so a
	// rename still works while the plugin is away.
	wantTestnet := p.Testnet != nil && *p.Testnet
	dropPassphrase := p.Passphrase != nil && *p.Passphrase == ""
	if wantTestnet || dropPassphrase {
		_, info, err := s.exchange(a.Exchange)
		if err != nil {
			return store.Account{}, err
		}
		if wantTestnet && !info.SupportsTestnet {
			return store.Account{}, input.Errorf(CodeTestnetNotOffered, "%s offers no testnet", a.Exchange)
		}
		if dropPassphrase && info.RequiresPassphrase {
			return store.Account{}, input.Errorf(CodePassphraseNeeded, "%s requires a passphrase", a.Exchange)
		}
	}
	if p == (Patch{}) {
		return a, nil
	}
	sealed := map[string][]byte{}
	for field, v := range map[string]*string{
		secrets.FieldAPIKey: p.APIKey, secrets.FieldSecretKey: p.SecretKey, secrets.FieldPassphrase: p.Passphrase,
	} {
		if v == nil {
			continue
		}
		b, err := s.keys.SealField(id, field, *v)
		if err != nil {
			return store.Account{}, err
		}
		sealed[field] = b
	}
	now := s.now().UTC()
	err = s.st.EditAccounts(ctx, userID, func(mine []store.Account) (store.AccountChange, error) {
		i := slices.IndexFunc(mine, func(x store.Account) bool { return x.ID == id })
		if i < 0 {
			return store.AccountChange{}, ErrNotFound
		}
		a = mine[i]
		keysChanged := len(sealed) > 0
		if p.Name != nil {
			a.Name = *p.Name
		}
		if p.Testnet != nil && *p.Testnet != a.Testnet {
			a.Testnet = *p.Testnet
			keysChanged = true
		}
		if p.IsActive != nil {
			a.IsActive = *p.IsActive
		}
		if p.APIKey != nil {
			a.Secrets.APIKey = sealed[secrets.FieldAPIKey]
			a.APIKeyHint = Hint(*p.APIKey)
		}
		if p.SecretKey != nil {
			a.Secrets.SecretKey = sealed[secrets.FieldSecretKey]
		}
		if p.Passphrase != nil {
			a.Secrets.Passphrase = sealed[secrets.FieldPassphrase]
		}
		if keysChanged {
			a.KeysRev++
			// A verdict about the old keys says nothing about the new.
			if a.Sync.Status == store.SyncAuthFailed {
				a.Sync.Status = store.SyncPending
				a.Sync.NextSyncAt = time.Time{}
			}
		}
		var ch store.AccountChange
		if p.IsMain != nil {
			if *p.IsMain && !a.IsMain {
				ch.Put = clearMain(mine, now)
			}
			a.IsMain = *p.IsMain
		}
		a.UpdatedAt = now
		ch.Put = append(ch.Put, a)
		return ch, nil
	})
	if err != nil {
		return store.Account{}, err
	}
	return a, nil
}

// Delete removes an account of userID with its snapshot, history and
// webhooks. When it was main, the user's oldest remaining account becomes
// main. An account already gone is ErrNotFound.
func (s *Service) Delete(ctx context.Context, userID, id string) error {
	now := s.now().UTC()
	err := s.st.EditAccounts(ctx, userID, func(mine []store.Account) (store.AccountChange, error) {
		i := slices.IndexFunc(mine, func(x store.Account) bool { return x.ID == id })
		if i < 0 {
			return store.AccountChange{}, ErrNotFound
		}
		ch := store.AccountChange{Delete: []string{id}}
		wasMain := mine[i].IsMain
		rest := slices.Delete(slices.Clone(mine), i, i+1)
		if wasMain && len(rest) > 0 {
			heir := rest[0]
			heir.IsMain, heir.UpdatedAt = true, now
			ch.Put = []store.Account{heir}
		}
		return ch, nil
	})
	if err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	s.log.Info("exchange account deleted", "account_id", id, "user_id", userID)
	return nil
}
