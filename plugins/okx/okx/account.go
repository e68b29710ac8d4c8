package okx

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/holdings"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/rest"
)

// --- credentials ---

// accountConfig is GET /api/v5/account/config.
type accountConfig struct {
	UID     string `json:"uid"`
	MainUID string `json:"mainUid"`
	AcctLv  string `json:"acctLv"`
	PosMode string `json:"posMode"`
	Perm    string `json:"perm"`
	IP      string `json:"ip"`
}

// Account modes (acctLv) and position modes (posMode).
const (
	acctSpot    = "1"
	acctFutures = "2"
	hedgeMode   = "long_short_mode"
)

var acctModes = map[string]string{
	"1": "Spot",
	"2": "Futures (single-currency margin)",
	"3": "Multi-currency margin",
	"4": "Portfolio margin",
}

// config reads the account config and remembers its modes for orders.
func (c *Connector) config(ctx context.Context, acct sdk.Account) (accountConfig, error) {
	cfg, err := c.readConfig(ctx, acct)
	if err == nil {
		c.modes.put(c.http, acct, cfg)
	}
	return cfg, err
}

func (c *Connector) readConfig(ctx context.Context, acct sdk.Account) (accountConfig, error) {
	var a struct {
		Data []accountConfig `json:"data"`
	}
	err := c.http.Do(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: "/api/v5/account/config", Signed: true,
	}, &a)
	if err != nil {
		return accountConfig{}, err
	}
	if len(a.Data) == 0 {
		return accountConfig{}, rest.Malformed("okx", "account config", errors.New("empty data"))
	}
	return a.Data[0], nil
}

// ValidateCredentials reads the account config, the cheapest signed call:
// it proves key, secret and passphrase, and names the key's
// permissions, IP binding, account mode and position mode.
func (c *Connector) ValidateCredentials(ctx context.Context, acct sdk.Account) (sdk.Permissions, error) {
	cfg, err := c.config(ctx, acct)
	switch code := rest.ExchangeCode(err); {
	case code == codeEnvironment && acct.Testnet:
		return sdk.Permissions{}, &sdk.Error{Kind: sdk.KindAuthentication, ExchangeCode: code,
			Message: "okx: this is a live-trading API key but the account is marked as testnet (demo trading); unmark it, or create a key under Demo Trading"}
	case code == codeEnvironment:
		return sdk.Permissions{}, &sdk.Error{Kind: sdk.KindAuthentication, ExchangeCode: code,
			Message: "okx: this is a demo-trading API key; mark the account as testnet to use it"}
	case code == codeUnknownKey && acct.Testnet:
		return sdk.Permissions{}, &sdk.Error{Kind: sdk.KindAuthentication, ExchangeCode: code,
			Message: "okx: the demo-trading environment does not know this API key; demo keys are created under Trade → Demo Trading → Personal Center"}
	case err != nil:
		return sdk.Permissions{}, err
	}
	perms := strings.Split(cfg.Perm, ",")
	for i := range perms {
		perms[i] = strings.TrimSpace(perms[i])
	}
	trade := slices.Contains(perms, "trade")
	p := sdk.Permissions{
		// Every OKX key can read (read_only is always granted), and the
		// call above has just read.
		CanRead:         true,
		CanTradeSpot:    trade,
		CanTradeFutures: trade && cfg.AcctLv != acctSpot,
		CanWithdraw:     slices.Contains(perms, "withdraw"),
		IPRestricted:    strings.TrimSpace(cfg.IP) != "",
	}
	if acct.Testnet {
		p.Notes = append(p.Notes, "demo trading: orders use simulated funds")
	}
	if mode, ok := acctModes[cfg.AcctLv]; ok {
		p.Notes = append(p.Notes, "account mode: "+mode)
	}
	if cfg.AcctLv == acctSpot {
		p.Notes = append(p.Notes, "perpetual swaps cannot be traded in Spot mode; switch the account mode in OKX's trading settings to trade them")
	} else {
		p.Notes = append(p.Notes, holdings.PositionModeNote(cfg.PosMode == hedgeMode))
	}
	p.Notes = append(p.Notes, "OKX keeps spot and futures in one trading account: the same USDT shows as a spot balance and as futures margin")
	if !trade {
		p.Notes = append(p.Notes, "the key is read-only: orders will be rejected until the Trade permission is added")
	}
	if !p.IPRestricted {
		p.Notes = append(p.Notes, sdk.NoteAnyIP)
	}
	if p.CanWithdraw {
		p.Notes = append(p.Notes, sdk.NoteWithdraw)
	}
	if cfg.MainUID != "" && cfg.UID != cfg.MainUID {
		p.Notes = append(p.Notes, "this is a sub-account key: balances and positions are the sub-account's")
	}
	return p, nil
}

// --- balances ---

// balanceDetail is one currency of GET /api/v5/account/balance. Fields
// that do not apply to the account mode come as "".
type balanceDetail struct {
	Ccy       string `json:"ccy"`
	Eq        string `json:"eq"`
	CashBal   string `json:"cashBal"`
	AvailBal  string `json:"availBal"`
	AvailEq   string `json:"availEq"`
	FrozenBal string `json:"frozenBal"`
	Upl       string `json:"upl"`
}

func (c *Connector) balances(ctx context.Context, acct sdk.Account, q rest.Params) ([]balanceDetail, error) {
	var a struct {
		Data []struct {
			Details []balanceDetail `json:"details"`
		} `json:"data"`
	}
	err := c.http.Do(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: "/api/v5/account/balance", Query: q, Signed: true,
	}, &a)
	if err != nil {
		return nil, err
	}
	var out []balanceDetail
	for _, d := range a.Data {
		out = append(out, d.Details...)
	}
	return out, nil
}

// SpotBalances lists the trading account's currencies: available and
// frozen (by open orders and margin) balance, whose sum is the currency's
// equity. OKX lists only non-zero currencies; zeros are filtered again so
// that an answer that does list one cannot bring it back.
func (c *Connector) SpotBalances(ctx context.Context, acct sdk.Account) ([]sdk.Balance, error) {
	details, err := c.balances(ctx, acct, nil)
	if err != nil {
		return nil, err
	}
	return holdings.Balances("okx", "balance", details, func(d balanceDetail) (sdk.Balance, error) {
		var f num.Fields
		return sdk.Balance{
			Asset:  d.Ccy,
			Free:   f.Parse("availBal", first(d.AvailBal, d.AvailEq)),
			Locked: f.ParseOrZero("frozenBal", d.FrozenBal),
		}, f.Err()
	})
}

// FuturesAccount reports the USDT row of the trading account, which is
// the margin of USDT-margined swaps: equity is the margin
// balance, equity less unrealized PnL the wallet balance (isolated margin
// included, unlike cashBal), and available equity — or, in modes without
// it, the available balance — what new positions can use. No USDT row is
// an empty wallet.
func (c *Connector) FuturesAccount(ctx context.Context, acct sdk.Account) (sdk.FuturesAccount, error) {
	details, err := c.balances(ctx, acct, rest.Params{}.Add("ccy", "USDT"))
	if err != nil {
		return sdk.FuturesAccount{}, err
	}
	isUSDT := func(d balanceDetail) bool { return d.Ccy == "USDT" }
	return holdings.Futures("okx", "USDT balance", "USDT", details, isUSDT, func(d balanceDetail) (sdk.FuturesAccount, error) {
		var f num.Fields
		eq := f.Parse("eq", d.Eq)
		upl := f.ParseOrZero("upl", d.Upl)
		return sdk.FuturesAccount{
			MarginBalance: eq, UnrealizedPnL: upl, WalletBalance: eq.Sub(upl),
			AvailableBalance: f.Parse("availEq", first(d.AvailEq, d.AvailBal)),
		}, f.Err()
	})
}

// first returns the first non-empty value.
func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
