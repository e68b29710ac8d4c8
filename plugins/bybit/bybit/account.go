package bybit

import (
	"context"
	"fmt"
	"slices"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/holdings"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/shopspring/decimal"
)

const (
	pathQueryAPI      = "/v5/user/query-api"
	pathAccountInfo   = "/v5/account/info"
	pathWalletBalance = "/v5/account/wallet-balance"
)

// accountTypeUnified is the only account type the current docs list:
// classic SPOT/CONTRACT accounts are gone and must not be asked for.
const accountTypeUnified = "UNIFIED"

// --- credentials ---

// apiKeyInfo is the part of GET /v5/user/query-api the check reads. The
// answer also echoes the key itself, which is never copied anywhere.
type apiKeyInfo struct {
	ReadOnly    int                 `json:"readOnly"`
	Permissions map[string][]string `json:"permissions"`
	IPs         []string            `json:"ips"`
	DeadlineDay int                 `json:"deadlineDay"`
	UTA         int                 `json:"uta"`
}

// ValidateCredentials reads the key's own description, which any key may
// call, and the account's settings: what the key may trade, whether
// it is bound to an IP, and the margin mode. Bad keys fail with the
// actionable messages of errors.go (unknown on this environment, wrong
// secret, IP not bound, expired).
func (c *Connector) ValidateCredentials(ctx context.Context, acct sdk.Account) (sdk.Permissions, error) {
	env, err := get[apiKeyInfo](ctx, c, acct, pathQueryAPI, nil)
	if err != nil {
		return sdk.Permissions{}, err
	}
	k := env.Result
	writable := k.ReadOnly == 0
	p := sdk.Permissions{
		CanRead:         true, // every key that answers here can read its account
		CanTradeSpot:    writable && slices.Contains(k.Permissions["Spot"], "SpotTrade"),
		CanTradeFutures: writable && slices.Contains(k.Permissions["ContractTrade"], "Order"),
		CanWithdraw:     slices.Contains(k.Permissions["Wallet"], "Withdraw"),
		IPRestricted:    ipBound(k.IPs),
	}
	switch {
	case !writable:
		p.Notes = append(p.Notes, "the key is read-only: orders will be rejected; give it Read-Write access in Bybit's API management to trade")
	default:
		if !p.CanTradeSpot {
			p.Notes = append(p.Notes, "spot trading (Spot: SpotTrade) is not enabled on this key: spot orders will be rejected")
		}
		if !p.CanTradeFutures {
			p.Notes = append(p.Notes, "contract trading (Contract: Orders) is not enabled on this key: perpetual orders will be rejected")
		}
	}
	if !p.IPRestricted {
		note := "the key is not bound to an IP address: Bybit expires such keys after 90 days"
		if k.DeadlineDay >= 0 {
			note += fmt.Sprintf(" (%d days left)", k.DeadlineDay)
		}
		p.Notes = append(p.Notes, note+"; binding it to this server's address is safer and keeps it from expiring")
	}
	if p.CanWithdraw {
		p.Notes = append(p.Notes, sdk.NoteWithdraw)
	}
	if k.UTA == 0 {
		p.Notes = append(p.Notes, "the key's account is not a Unified Trading Account: gahost reads the unified wallet, so balances may be empty")
	}
	info, err := c.accountInfo(ctx, acct)
	switch {
	case sdk.KindOf(err) == sdk.KindPermission:
		p.Notes = append(p.Notes, "the account settings cannot be read with this key: "+err.Error())
	case err != nil:
		return p, err
	default:
		p.Notes = append(p.Notes, info.notes()...)
	}
	return p, nil
}

// ipBound reports whether the key is bound to addresses; "*" means any.
func ipBound(ips []string) bool {
	return len(ips) > 0 && !slices.Contains(ips, "*")
}

// accountInfo is GET /v5/account/info.
type accountInfo struct {
	MarginMode          string `json:"marginMode"`
	UnifiedMarginStatus int    `json:"unifiedMarginStatus"`
}

const (
	marginIsolated  = "ISOLATED_MARGIN"
	marginRegular   = "REGULAR_MARGIN"
	marginPortfolio = "PORTFOLIO_MARGIN"
)

func (c *Connector) accountInfo(ctx context.Context, acct sdk.Account) (accountInfo, error) {
	env, err := get[accountInfo](ctx, c, acct, pathAccountInfo, nil)
	return env.Result, err
}

// marginMode maps the account-wide margin mode onto a position's:
// portfolio margin is a cross mode.
func (a accountInfo) marginMode() sdk.MarginMode {
	if a.MarginMode == marginIsolated {
		return sdk.MarginIsolate
	}
	return sdk.MarginCross
}

func (a accountInfo) notes() []string {
	var out []string
	switch a.MarginMode {
	case marginRegular:
		out = append(out, "margin mode: cross (regular margin)")
	case marginIsolated:
		out = append(out, "margin mode: isolated")
	case marginPortfolio:
		out = append(out, "margin mode: portfolio margin")
	}
	if a.UnifiedMarginStatus == 1 {
		out = append(out, "this is a classic account: gahost reads Bybit's Unified Trading Account; upgrade the account to UTA")
	}
	return out
}

// --- wallet balance ---

type walletBalance struct {
	List []walletAccount `json:"list"`
}

type walletAccount struct {
	AccountType           string       `json:"accountType"`
	TotalAvailableBalance string       `json:"totalAvailableBalance"`
	Coin                  []walletCoin `json:"coin"`
}

type walletCoin struct {
	Coin            string `json:"coin"`
	WalletBalance   string `json:"walletBalance"`
	Locked          string `json:"locked"`
	SpotBorrow      string `json:"spotBorrow"`
	Equity          string `json:"equity"`
	UnrealisedPnl   string `json:"unrealisedPnl"`
	TotalOrderIM    string `json:"totalOrderIM"`
	TotalPositionIM string `json:"totalPositionIM"`
}

// wallet reads the unified wallet, for one coin or (coin "") every
// non-zero one, and returns the UNIFIED entry of the list, if any.
func (c *Connector) wallet(ctx context.Context, acct sdk.Account, coin string) (walletAccount, bool, error) {
	q := rest.Params{}.Add("accountType", accountTypeUnified)
	if coin != "" {
		q = q.Add("coin", coin)
	}
	env, err := get[walletBalance](ctx, c, acct, pathWalletBalance, q)
	if err != nil {
		return walletAccount{}, false, err
	}
	for _, a := range env.Result.List {
		if a.AccountType == accountTypeUnified || a.AccountType == "" {
			return a, true, nil
		}
	}
	return walletAccount{}, false, nil
}

// SpotBalances lists the coins of the unified wallet. Bybit has no spot
// wallet of its own any more; the mapping is the documented: total is the
// wallet balance net of what is borrowed, locked is what open spot orders
// hold, free the rest. Coins at zero are left out; Bybit omits them
// without a coin filter, but its own example shows one.
func (c *Connector) SpotBalances(ctx context.Context, acct sdk.Account) ([]sdk.Balance, error) {
	a, _, err := c.wallet(ctx, acct, "")
	if err != nil {
		return nil, err
	}
	return holdings.Balances("bybit", "wallet balance", a.Coin, func(co walletCoin) (sdk.Balance, error) {
		var f num.Fields
		wallet := f.Parse("walletBalance", co.WalletBalance)
		locked := f.ParseOrZero("locked", co.Locked)
		borrowed := f.ParseOrZero("spotBorrow", co.SpotBorrow)
		return sdk.Balance{Asset: co.Coin, Free: wallet.Sub(borrowed).Sub(locked), Locked: locked}, f.Err()
	})
}

// FuturesAccount reads the USDT row of the unified wallet, which backs the
// USDT perpetuals: wallet balance, unrealised PnL and equity as the
// margin balance, all in USDT. Available is the account-wide cross-margin
// figure (Bybit gives it in USD, which USDT tracks); where that does not
// apply (isolated margin, where Bybit leaves it empty) it is estimated from
// the coin as wallet balance less the margin of positions and orders.
func (c *Connector) FuturesAccount(ctx context.Context, acct sdk.Account) (sdk.FuturesAccount, error) {
	a, ok, err := c.wallet(ctx, acct, settleUSDT)
	if err != nil || !ok {
		return sdk.FuturesAccount{Asset: settleUSDT}, err
	}
	isUSDT := func(co walletCoin) bool { return co.Coin == settleUSDT }
	return holdings.Futures("bybit", "USDT wallet", settleUSDT, a.Coin, isUSDT, func(co walletCoin) (sdk.FuturesAccount, error) {
		var f num.Fields
		var out sdk.FuturesAccount
		out.WalletBalance = f.Parse("walletBalance", co.WalletBalance)
		out.UnrealizedPnL = f.ParseOrZero("unrealisedPnl", co.UnrealisedPnl)
		out.MarginBalance = f.ParseOrZero("equity", co.Equity)
		positionIM := f.ParseOrZero("totalPositionIM", co.TotalPositionIM)
		orderIM := f.ParseOrZero("totalOrderIM", co.TotalOrderIM)
		if a.TotalAvailableBalance != "" {
			out.AvailableBalance = f.Parse("totalAvailableBalance", a.TotalAvailableBalance)
		} else {
			out.AvailableBalance = decimal.Max(out.WalletBalance.Sub(positionIM).Sub(orderIM), decimal.Zero)
		}
		return out, f.Err()
	})
}
