package bitget

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/holdings"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/rest"
)

// Paths of the account reads.
const (
	pathAccountInfo     = "/api/v2/spot/account/info"
	pathSpotAssets      = "/api/v2/spot/account/assets"
	pathFuturesAccounts = "/api/v2/mix/account/accounts"
	pathFuturesAccount  = "/api/v2/mix/account/account"
)

// --- credentials ---

// accountInfo is GET /api/v2/spot/account/info.
type accountInfo struct {
	UserID      numText  `json:"userId"`
	IPs         ipList   `json:"ips"`
	Authorities []string `json:"authorities"`
}

// ipList is the key's IP whitelist: documented as one string, read as a
// list too in case it comes as one.
type ipList string

func (l *ipList) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*l = ipList(strings.TrimSpace(s))
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*l = ipList(strings.Join(list, ","))
	return nil
}

// Permission codes in authorities: per area a read ("…r") and a
// read-write ("…w") code; the docs' example shows the simplified
// "readonly" and "trade" instead, so those count too. Read-write implies
// read. Reading spot needs no code here: account/info itself needs it.
var (
	spotTradeCodes    = []string{"trade", "stow"}
	futuresReadCodes  = []string{"readonly", "trade", "coor", "cpor", "coow", "cpow"}
	futuresTradeCodes = []string{"trade", "coow"}
	withdrawCodes     = []string{"withdraw", "wwow"}
)

func hasAny(have []string, want []string) bool {
	return slices.ContainsFunc(have, func(h string) bool {
		return slices.Contains(want, strings.ToLower(strings.TrimSpace(h)))
	})
}

// classicValidate reads a Classic key's permissions and whitelist from the
// spot account info, and, when the key may read futures, the futures
// position mode. A key without spot permission cannot read that info; it
// is then proven on the futures account instead.
func (c *Connector) classicValidate(ctx context.Context, acct sdk.Account) (sdk.Permissions, error) {
	var info accountInfo
	_, err := c.call(ctx, acct, rest.Request{Method: "GET", Endpoint: EndpointREST, Path: pathAccountInfo, Signed: true}, &info)
	if rest.ExchangeCode(err) == "40014" {
		return c.validateFuturesOnly(ctx, acct)
	}
	if err != nil {
		return sdk.Permissions{}, err
	}
	a := info.Authorities
	p := sdk.Permissions{
		CanRead:         true, // the call above needs it
		CanTradeSpot:    hasAny(a, spotTradeCodes),
		CanTradeFutures: hasAny(a, futuresTradeCodes),
		CanWithdraw:     hasAny(a, withdrawCodes),
		IPRestricted:    info.IPs != "",
	}
	if !p.CanTradeSpot {
		p.Notes = append(p.Notes, "spot trading is not enabled on this key: spot orders will be rejected")
	}
	if hasAny(a, futuresReadCodes) {
		if err := c.noteFutures(ctx, acct, &p); err != nil {
			return p, err
		}
	} else {
		p.CanTradeFutures = false
		p.Notes = append(p.Notes, "futures is not enabled on this key: the futures wallet, positions and futures orders will be rejected")
	}
	keyNotes(&p, acct)
	return p, nil
}

// keyNotes adds the notes about the key itself, whatever the account's
// mode: its IP binding, its withdrawal right, demo trading.
func keyNotes(p *sdk.Permissions, acct sdk.Account) {
	if !p.IPRestricted {
		p.Notes = append(p.Notes, sdk.NoteAnyIP)
	}
	if p.CanWithdraw {
		p.Notes = append(p.Notes, sdk.NoteWithdraw)
	}
	if acct.Testnet {
		p.Notes = append(p.Notes, "Demo Trading key: calls carry the paptrading header; most demo endpoints do not serve sub-accounts")
	}
}

// validateFuturesOnly proves a key that may not read spot on the futures
// account. Bitget tells permissions only through the spot info, so whether
// the key may trade futures stays unknown.
func (c *Connector) validateFuturesOnly(ctx context.Context, acct sdk.Account) (sdk.Permissions, error) {
	_, err := c.futuresRows(ctx, acct)
	switch {
	case rest.ExchangeCode(err) == "40014":
		return sdk.Permissions{}, &sdk.Error{Kind: sdk.KindPermission, ExchangeCode: "40014",
			Message: "bitget: the API key may read neither the spot nor the futures account: give it read permission in Bitget's API management"}
	case err != nil:
		return sdk.Permissions{}, err
	}
	p := sdk.Permissions{CanRead: true}
	p.Notes = append(p.Notes,
		"the key has no spot permission: spot balances and spot orders will be rejected",
		"Bitget reports a key's permissions only to keys with spot permission, so whether this key may trade futures is not known")
	if err := c.noteFutures(ctx, acct, &p); err != nil {
		return p, err
	}
	return p, nil
}

// noteFutures notes the futures position mode, read from the one-symbol
// account endpoint. A refusal there is a note about futures, not a failed
// check.
func (c *Connector) noteFutures(ctx context.Context, acct sdk.Account, p *sdk.Permissions) error {
	s, err := c.futuresSettings(ctx, acct, "BTCUSDT")
	switch k := sdk.KindOf(err); {
	case k == sdk.KindPermission:
		p.CanTradeFutures = false
		p.Notes = append(p.Notes, "futures calls are rejected for this key: "+strings.TrimPrefix(err.Error(), "bitget: "))
		return nil
	case err != nil:
		return err
	}
	p.Notes = append(p.Notes, holdings.PositionModeNote(s.hedge()))
	return nil
}

// --- spot balances ---

type spotAsset struct {
	Coin      string  `json:"coin"`
	Available numText `json:"available"`
	Frozen    numText `json:"frozen"`
	Locked    numText `json:"locked"`
}

// classicSpotBalances lists the spot wallet without zero balances. Bitget lists
// only holdings by default (assetType hold_only); zeros are filtered again
// so that an answer that lists them cannot bring them back. Free is
// available; locked is frozen (open orders) plus locked (e.g. fiat
// merchant deposits), so free + locked is the documented total.
func (c *Connector) classicSpotBalances(ctx context.Context, acct sdk.Account) ([]sdk.Balance, error) {
	var rows []spotAsset
	_, err := c.call(ctx, acct, rest.Request{Method: "GET", Endpoint: EndpointREST, Path: pathSpotAssets, Signed: true}, &rows)
	if err != nil {
		return nil, err
	}
	return holdings.Balances("bitget", "spot balance", rows, func(r spotAsset) (sdk.Balance, error) {
		var f num.Fields
		return sdk.Balance{
			// The docs show a lower-case coin in one example.
			Asset:  strings.ToUpper(r.Coin),
			Free:   f.Parse("available", string(r.Available)),
			Locked: f.ParseOrZero("frozen", string(r.Frozen)).Add(f.ParseOrZero("locked", string(r.Locked))),
		}, f.Err()
	})
}

// --- futures wallet ---

type futuresRow struct {
	MarginCoin           string  `json:"marginCoin"`
	Available            numText `json:"available"`
	CrossedMaxAvailable  numText `json:"crossedMaxAvailable"`
	AccountEquity        numText `json:"accountEquity"`
	UnrealizedPL         numText `json:"unrealizedPL"`
	CrossedUnrealizedPL  numText `json:"crossedUnrealizedPL"`
	IsolatedUnrealizedPL numText `json:"isolatedUnrealizedPL"`
}

func (c *Connector) futuresRows(ctx context.Context, acct sdk.Account) ([]futuresRow, error) {
	var rows []futuresRow
	_, err := c.call(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: pathFuturesAccounts,
		Query: rest.Params{}.Add("productType", productType), Signed: true,
	}, &rows)
	return rows, err
}

// classicFuturesAccount reports the USDT row of the USDT-FUTURES account. Bitget
// has no wallet-balance field: margin balance is accountEquity,
// which includes unrealised PnL at mark price, and the wallet is equity
// less that PnL. Unrealised PnL is unrealizedPL, or, when Bitget sends it
// empty, the sum of its cross and isolated parts. Available is what may
// open new positions: crossedMaxAvailable, which stays meaningful in
// multi-asset mode where available can go negative, else available. An
// account without a USDT row has an empty USDT wallet.
func (c *Connector) classicFuturesAccount(ctx context.Context, acct sdk.Account) (sdk.FuturesAccount, error) {
	rows, err := c.futuresRows(ctx, acct)
	if err != nil {
		return sdk.FuturesAccount{}, err
	}
	isUSDT := func(r futuresRow) bool { return strings.EqualFold(r.MarginCoin, marginCoin) }
	return holdings.Futures("bitget", "futures USDT account", marginCoin, rows, isUSDT, func(r futuresRow) (sdk.FuturesAccount, error) {
		var f num.Fields
		var out sdk.FuturesAccount
		out.MarginBalance = f.Parse("accountEquity", string(r.AccountEquity))
		out.UnrealizedPnL = f.ParseOrZero("unrealizedPL", string(r.UnrealizedPL))
		if r.UnrealizedPL == "" {
			out.UnrealizedPnL = f.ParseOrZero("crossedUnrealizedPL", string(r.CrossedUnrealizedPL)).
				Add(f.ParseOrZero("isolatedUnrealizedPL", string(r.IsolatedUnrealizedPL)))
		}
		out.AvailableBalance = f.ParseOrZero("crossedMaxAvailable", string(r.CrossedMaxAvailable))
		if r.CrossedMaxAvailable == "" {
			out.AvailableBalance = f.Parse("available", string(r.Available))
		}
		out.WalletBalance = out.MarginBalance.Sub(out.UnrealizedPnL)
		return out, f.Err()
	})
}

// --- one symbol's futures settings (single-coin variant) ---

// futuresSettings is what GET mix/account/account tells about a symbol
// that an order needs: the margin mode to send and the position mode.
type futuresSettings struct {
	MarginMode string `json:"marginMode"` // crossed or isolated
	PosMode    string `json:"posMode"`    // one_way_mode or hedge_mode
}

func (s futuresSettings) hedge() bool { return s.PosMode == "hedge_mode" }

func (c *Connector) futuresSettings(ctx context.Context, acct sdk.Account, raw string) (futuresSettings, error) {
	var s futuresSettings
	_, err := c.call(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: pathFuturesAccount,
		Query:  rest.Params{}.Add("symbol", raw).Add("productType", productType).Add("marginCoin", marginCoin).Sorted(),
		Signed: true,
	}, &s)
	return s, err
}
