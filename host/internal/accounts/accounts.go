// Package accounts holds the rules of users' exchange accounts: what a name,
// a key, a secret and a passphrase may be; what the serving plugin demands
// (a passphrase, testnet support); checking keys with the exchange before
// they are kept (by default) and again on request, keeping the exchange's
// verdict and the permissions it reported; one key once per user (compared
// by a keyed fingerprint, never in the clear); the per-user quota; sealing
// keys under the master key; the main-account rule (a user with accounts
// has exactly one main, active whenever any account is; it moves to the
// oldest active account when the main one is deactivated or deleted, and
// cannot be unset without making another main); and what a change of keys
// means for syncing (a new key revision, and an auth_failed account due
// again).
//
// This package knows nothing of HTTP (the api package maps its errors to
// answers), never logs or returns a key in the clear beyond the one call it
// was given for, and touches the database only through package store, whose
// EditAccounts runs these rules inside one transaction.
package accounts

import (
	"context"
	"crypto/hmac"
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
	// CodeCredentialsUnreadable: the stored keys do not open with the
	// master key, so they cannot be checked.
	CodeCredentialsUnreadable = "credentials_unreadable"
	// CodeDuplicateKey: the user already has an account with this API key.
	CodeDuplicateKey = "duplicate_api_key"
	// CodeQuotaExceeded: the user has as many accounts as allowed.
	CodeQuotaExceeded = "quota_exceeded"
	// CodeMainRequired: the main flag cannot be dropped; another account
	// must be made main instead.
	CodeMainRequired = "main_account_required"
	// CodeMainInactive: an inactive account cannot be made main while the
	// user has an active one.
	CodeMainInactive = "main_account_inactive"
)

// Codes of warnings about an account's key; part of the REST API.
const (
	WarnWithdrawEnabled       = "withdraw_enabled"
	WarnTradingMissing        = "trading_missing"
	WarnSpotTradingMissing    = "spot_trading_missing"
	WarnFuturesTradingMissing = "futures_trading_missing"
)

// ConflictError: the request clashes with what the user already has (a
// duplicate key, a full quota, the main-account rule). Its Code is part of
// the REST API.
type ConflictError struct {
	Code    string
	Message string
}

func (e *ConflictError) Error() string { return e.Message }

// DefaultMaxAccounts is the per-user quota when Config leaves it out.
const DefaultMaxAccounts = 50

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
	Store     store.Backend
	Keys      *secrets.Key
	Exchanges Exchanges
	Logger    hclog.Logger
	// ValidateTimeout bounds a credentials check; default 10s.
	ValidateTimeout time.Duration
	// MaxAccounts is how many accounts one user may have; default
	// DefaultMaxAccounts.
	MaxAccounts int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service applies the rules of exchange accounts. It is safe for
// concurrent use and starts nothing.
type Service struct {
	st              store.Backend
	keys            *secrets.Key
	exchanges       Exchanges
	log             hclog.Logger
	validateTimeout time.Duration
	maxAccounts     int
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
	if cfg.MaxAccounts <= 0 {
		cfg.MaxAccounts = DefaultMaxAccounts
	}
	return &Service{st: cfg.Store, keys: cfg.Keys, exchanges: cfg.Exchanges, log: cfg.Logger,
		validateTimeout: cfg.ValidateTimeout, maxAccounts: cfg.MaxAccounts, now: cfg.Now}, nil
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
	// SkipValidation stores the keys without asking the exchange first;
	// by default they are checked, and refused keys are not kept.
	SkipValidation bool
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
	// A full quota is refused before the exchange is asked; it is checked
	// again in the write, which decides.
	mine, err := s.st.ListAccounts(ctx, userID)
	if err != nil {
		return store.Account{}, err
	}
	if len(mine) >= s.maxAccounts {
		return store.Account{}, s.admissible(mine, "", nil)
	}
	now := s.now().UTC()
	var check *store.CredentialCheck
	if !in.SkipValidation {
		// Checked before the duplicate test: keys the exchange refuses are
		// reported as such even when the API key is one already stored (a
		// wrong secret pasted with it).
		perms, err := s.check(ctx, client, sdk.Account{APIKey: creds.APIKey, SecretKey: creds.SecretKey,
			Passphrase: creds.Passphrase, Testnet: in.Testnet})
		if err != nil {
			return store.Account{}, err
		}
		check = &store.CredentialCheck{At: now, Outcome: store.CheckOK, KeysRev: 1, Permissions: perms}
	}
	fp := s.keys.Fingerprint(store.FingerprintAPIKey, apiKey)
	id := store.NewID()
	sealed, err := s.keys.SealCredentials(id, creds)
	if err != nil {
		return store.Account{}, err
	}
	a := store.Account{
		ID: id, UserID: userID, Name: in.Name, Exchange: in.Exchange, Testnet: in.Testnet,
		IsActive: true, APIKeyHint: Hint(apiKey), Secrets: sealed, KeyFingerprint: fp, LastCheck: check,
		KeysRev: 1, CreatedAt: now, UpdatedAt: now, Sync: store.SyncState{Status: store.SyncPending},
	}
	err = s.st.EditAccounts(ctx, userID, func(mine []store.Account) (store.AccountChange, error) {
		if err := s.admissible(mine, "", fp); err != nil {
			return store.AccountChange{}, err
		}
		prefer := ""
		if in.IsMain {
			prefer = a.ID
		}
		after := append(slices.Clone(mine), a)
		ch := store.AccountChange{Put: withMain(after, prefer, now)}
		if i := slices.IndexFunc(ch.Put, func(x store.Account) bool { return x.ID == a.ID }); i >= 0 {
			a = ch.Put[i]
		} else {
			ch.Put = append(ch.Put, a)
		}
		ch.Put = append(ch.Put, s.backfill(mine)...)
		return ch, nil
	})
	if err != nil {
		return store.Account{}, err
	}
	s.log.Info("exchange account created", "account_id", a.ID, "exchange", a.Exchange, "user_id", a.UserID,
		"validated", check != nil)
	return a, nil
}

// admissible refuses an account (self is its id when it exists) whose API
// key fingerprint fp another account of mine already has, or, for a new
// account, one over the quota.
func (s *Service) admissible(mine []store.Account, self string, fp []byte) error {
	if self == "" && len(mine) >= s.maxAccounts {
		return &ConflictError{Code: CodeQuotaExceeded,
			Message: fmt.Sprintf("a user may have at most %d exchange accounts", s.maxAccounts)}
	}
	for _, x := range mine {
		if x.ID != self && hmac.Equal(s.fingerprint(x), fp) {
			return &ConflictError{Code: CodeDuplicateKey,
				Message: fmt.Sprintf("this API key is already stored as account %q (%s)", x.Name, x.ID)}
		}
	}
	return nil
}

// fingerprint returns a's API key fingerprint, working it out from the
// sealed key for an account stored before fingerprints existed (nil when
// those keys do not open).
func (s *Service) fingerprint(a store.Account) []byte {
	if len(a.KeyFingerprint) > 0 {
		return a.KeyFingerprint
	}
	c, err := s.keys.OpenCredentials(a.ID, a.Secrets)
	if err != nil {
		return nil
	}
	return s.keys.Fingerprint(store.FingerprintAPIKey, c.APIKey)
}

// backfill returns the accounts of mine stored without a fingerprint, with
// one, so the next comparison need not open their keys.
func (s *Service) backfill(mine []store.Account) []store.Account {
	var out []store.Account
	for _, a := range mine {
		if len(a.KeyFingerprint) == 0 {
			if fp := s.fingerprint(a); fp != nil {
				a.KeyFingerprint = fp
				out = append(out, a)
			}
		}
	}
	return out
}

// withMain applies the main-account rule to list, a user's accounts as an
// edit leaves them (oldest first), and returns those whose flag changes,
// flag set. The main is prefer when set; else the current main while it is
// active or no account is; else the oldest active account; else (none
// active, none main) the oldest account. So a user with accounts has
// exactly one main, and it is active whenever any account is.
func withMain(list []store.Account, prefer string, now time.Time) []store.Account {
	if len(list) == 0 {
		return nil
	}
	anyActive := slices.ContainsFunc(list, func(a store.Account) bool { return a.IsActive })
	main := prefer
	if main == "" {
		if i := slices.IndexFunc(list, func(a store.Account) bool { return a.IsMain }); i >= 0 &&
			(list[i].IsActive || !anyActive) {
			main = list[i].ID
		}
	}
	if main == "" {
		main = list[0].ID
		if i := slices.IndexFunc(list, func(a store.Account) bool { return a.IsActive }); i >= 0 {
			main = list[i].ID
		}
	}
	var out []store.Account
	for _, a := range list {
		if want := a.ID == main; a.IsMain != want {
			a.IsMain, a.UpdatedAt = want, now
			out = append(out, a)
		}
	}
	return out
}

// check asks the plugin to check the keys within ValidateTimeout and
// returns what it reports they may do.
func (s *Service) check(ctx context.Context, client sdk.Exchange, acct sdk.Account) (*store.Permissions, error) {
	callCtx, cancel := context.WithTimeout(ctx, s.validateTimeout)
	defer cancel()
	p, err := client.ValidateCredentials(callCtx, acct)
	creds := []string{acct.APIKey, acct.SecretKey, acct.Passphrase}
	if err == nil {
		perms := &store.Permissions{Read: p.CanRead, SpotTrade: p.CanTradeSpot, FuturesTrade: p.CanTradeFutures,
			Withdraw: p.CanWithdraw, IPRestricted: p.IPRestricted}
		// Notes are the plugin's words; they are kept and shown, so they
		// lose any trace of the keys first.
		for _, n := range p.Notes {
			perms.Notes = append(perms.Notes, redact.Clip(redact.String(n, creds...), 300))
		}
		return perms, nil
	}
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
	return nil, ce
}

// Rejected reports whether a failed check is the exchange's verdict on the
// keys (turned down, or lacking a permission), rather than a check that
// could not be made.
func (e *CheckError) Rejected() bool {
	return e.Kind == sdk.KindAuthentication || e.Kind == sdk.KindPermission
}

// Validate checks an account's stored keys with the exchange again and
// keeps the verdict: accepted keys release an auth_failed account (pending,
// due now); rejected ones park it as auth_failed. Either way the account is
// returned with its LastCheck. A check that could not be made returns
// *CheckError and changes nothing. When the keys changed while the check
// ran, the verdict is about old keys and is dropped.
func (s *Service) Validate(ctx context.Context, userID, id string) (store.Account, error) {
	a, err := s.st.UserAccount(ctx, userID, id)
	if err != nil {
		return store.Account{}, err
	}
	client, _, err := s.exchange(a.Exchange)
	if err != nil {
		return store.Account{}, err
	}
	creds, err := s.keys.OpenCredentials(a.ID, a.Secrets)
	if err != nil {
		return store.Account{}, &input.Error{Code: CodeCredentialsUnreadable,
			Message: "the stored keys do not open with the daemon's master key; enter them again"}
	}
	perms, err := s.check(ctx, client, sdk.Account{APIKey: creds.APIKey, SecretKey: creds.SecretKey,
		Passphrase: creds.Passphrase, Testnet: a.Testnet})
	now := s.now().UTC()
	check := store.CredentialCheck{At: now, KeysRev: a.KeysRev, Outcome: store.CheckOK, Permissions: perms}
	var ce *CheckError
	switch {
	case errors.As(err, &ce) && ce.Rejected():
		check = store.CredentialCheck{At: now, KeysRev: a.KeysRev, Outcome: store.CheckRejected, Message: ce.Message}
	case err != nil:
		return store.Account{}, err
	}
	err = s.st.EditAccounts(ctx, userID, func(mine []store.Account) (store.AccountChange, error) {
		i := slices.IndexFunc(mine, func(x store.Account) bool { return x.ID == id })
		if i < 0 {
			return store.AccountChange{}, ErrNotFound
		}
		a = mine[i]
		if a.KeysRev != check.KeysRev {
			return store.AccountChange{}, nil
		}
		a.LastCheck = &check
		switch {
		case check.Outcome == store.CheckOK && a.Sync.Status == store.SyncAuthFailed:
			a.Sync.Status, a.Sync.NextSyncAt, a.Sync.LastError = store.SyncPending, time.Time{}, ""
		case check.Outcome == store.CheckRejected:
			a.Sync.Status, a.Sync.LastError = store.SyncAuthFailed, check.Message
		}
		a.UpdatedAt = now
		return store.AccountChange{Put: []store.Account{a}}, nil
	})
	if err != nil {
		return store.Account{}, err
	}
	s.log.Info("exchange account keys checked", "account_id", a.ID, "user_id", userID, "outcome", check.Outcome)
	return a, nil
}

// Warning is something about an account's key its owner should know.
type Warning struct {
	Code    string
	Message string
}

// Warnings are the warnings about a's key from its last check: withdrawal
// allowed (a leaked key could move funds out), or trading missing,
// overall or for the market of one of the account's webhooks (markets).
func Warnings(a store.Account, markets []string) []Warning {
	c := a.LastCheck
	if c == nil || c.Outcome != store.CheckOK || c.Permissions == nil {
		return nil
	}
	p := c.Permissions
	var out []Warning
	if p.Withdraw {
		out = append(out, Warning{WarnWithdrawEnabled,
			"the key may withdraw funds; gahost never withdraws, so a key without that permission is safer"})
	}
	if !p.SpotTrade && !p.FuturesTrade {
		out = append(out, Warning{WarnTradingMissing, "the key may not trade: webhooks on this account cannot place orders"})
		return out
	}
	if slices.Contains(markets, string(sdk.MarketSpot)) && !p.SpotTrade {
		out = append(out, Warning{WarnSpotTradingMissing, "a spot webhook is bound to this account, but the key may not trade spot"})
	}
	if slices.Contains(markets, string(sdk.MarketFutures)) && !p.FuturesTrade {
		out = append(out, Warning{WarnFuturesTradingMissing,
			"a futures webhook is bound to this account, but the key may not trade futures"})
	}
	return out
}

// WebhookMarkets returns, by account id, the markets of userID's webhooks.
func (s *Service) WebhookMarkets(ctx context.Context, userID string) (map[string][]string, error) {
	hooks, err := s.st.ListWebhooks(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, w := range hooks {
		if !slices.Contains(out[w.AccountID], w.Market) {
			out[w.AccountID] = append(out[w.AccountID], w.Market)
		}
	}
	return out, nil
}

// Get returns an account of userID; another user's is ErrNotFound.
func (s *Service) Get(ctx context.Context, userID, id string) (store.Account, error) {
	return s.st.UserAccount(ctx, userID, id)
}

// List returns userID's accounts, oldest first.
func (s *Service) List(ctx context.Context, userID string) ([]store.Account, error) {
	return s.st.ListAccounts(ctx, userID)
}

// Page returns up to limit of userID's accounts after the cursor after
// ("" for the first), oldest first, and the next page's cursor ("" after
// the last).
func (s *Service) Page(ctx context.Context, userID, after string, limit int) ([]store.Account, string, error) {
	return s.st.ListAccountsPage(ctx, userID, after, limit)
}

// Main returns the account the user's dashboard shows when none is named:
// the main account. ok is false when the user has no account. For data
// written before the main rule held, with no account flagged, it is the
// account the rule would pick.
func (s *Service) Main(ctx context.Context, userID string) (a store.Account, ok bool, err error) {
	list, err := s.st.ListAccounts(ctx, userID)
	if err != nil || len(list) == 0 {
		return store.Account{}, false, err
	}
	if i := slices.IndexFunc(list, func(a store.Account) bool { return a.IsMain }); i >= 0 {
		return list[i], true, nil
	}
	ch := withMain(list, "", time.Time{})
	return ch[0], true, nil
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
// accounts; unsetting it is refused (*ConflictError), as is making an
// inactive account main while another is active. Deactivating the main
// account moves the flag to the oldest active one. A new API key that
// another account of the user has is refused (*ConflictError). It returns
// ErrNotFound and *input.Error; an empty patch returns the account
// unchanged.
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
	var fp []byte
	if p.APIKey != nil {
		fp = s.keys.Fingerprint(store.FingerprintAPIKey, *p.APIKey)
	}
	now := s.now().UTC()
	err = s.st.EditAccounts(ctx, userID, func(mine []store.Account) (store.AccountChange, error) {
		i := slices.IndexFunc(mine, func(x store.Account) bool { return x.ID == id })
		if i < 0 {
			return store.AccountChange{}, ErrNotFound
		}
		if fp != nil {
			if err := s.admissible(mine, id, fp); err != nil {
				return store.AccountChange{}, err
			}
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
			a.KeyFingerprint = fp
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
		prefer := ""
		if p.IsMain != nil {
			switch {
			case !*p.IsMain && a.IsMain:
				return store.AccountChange{}, &ConflictError{Code: CodeMainRequired, Message: "a user with accounts " +
					"always has a main one: make another account main (is_main true) instead of unsetting this one"}
			case *p.IsMain && !a.IsActive && slices.ContainsFunc(mine, func(x store.Account) bool { return x.ID != id && x.IsActive }):
				return store.AccountChange{}, &ConflictError{Code: CodeMainInactive,
					Message: "an inactive account cannot be main while another account is active; activate it too"}
			case *p.IsMain:
				prefer = id
			}
		}
		a.UpdatedAt = now
		after := slices.Clone(mine)
		after[i] = a
		ch := store.AccountChange{Put: withMain(after, prefer, now)}
		if j := slices.IndexFunc(ch.Put, func(x store.Account) bool { return x.ID == id }); j >= 0 {
			a = ch.Put[j]
		} else {
			ch.Put = append(ch.Put, a)
		}
		return ch, nil
	})
	if err != nil {
		return store.Account{}, err
	}
	return a, nil
}

// Delete removes an account of userID with its snapshot, history and
// webhooks. When it was main, the user's oldest active account becomes
// main (the oldest account when none is active). An account already gone
// is ErrNotFound.
func (s *Service) Delete(ctx context.Context, userID, id string) error {
	now := s.now().UTC()
	err := s.st.EditAccounts(ctx, userID, func(mine []store.Account) (store.AccountChange, error) {
		i := slices.IndexFunc(mine, func(x store.Account) bool { return x.ID == id })
		if i < 0 {
			return store.AccountChange{}, ErrNotFound
		}
		rest := slices.Delete(slices.Clone(mine), i, i+1)
		// The main account's heir is the oldest active one.
		return store.AccountChange{Delete: []string{id}, Put: withMain(rest, "", now)}, nil
	})
	if err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	s.log.Info("exchange account deleted", "account_id", id, "user_id", userID)
	return nil
}
