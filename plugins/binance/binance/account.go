package binance

import (
	"context"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/holdings"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/rest"
)

// --- credentials ---

// apiRestrictions is GET /sapi/v1/account/apiRestrictions.
type apiRestrictions struct {
	IPRestrict                 bool `json:"ipRestrict"`
	EnableReading              bool `json:"enableReading"`
	EnableWithdrawals          bool `json:"enableWithdrawals"`
	EnableFutures              bool `json:"enableFutures"`
	EnableSpotAndMarginTrading bool `json:"enableSpotAndMarginTrading"`
}

// accountConfig is GET /fapi/v1/accountConfig.
type accountConfig struct {
	CanTrade          bool `json:"canTrade"`
	DualSidePosition  bool `json:"dualSidePosition"`
	MultiAssetsMargin bool `json:"multiAssetsMargin"`
}

// ValidateCredentials reads the key's restrictions, so that a rejected key
// (-2015, which Binance uses for three causes) turns into the one cause
// that applies: futures not enabled, IP not whitelisted, or a missing
// permission. /sapi does not exist in the test environment, where
// the spot account's canTrade is the best there is.
func (c *Connector) ValidateCredentials(ctx context.Context, acct sdk.Account) (sdk.Permissions, error) {
	if acct.Testnet {
		return c.validateTestnet(ctx, acct)
	}
	var r apiRestrictions
	err := c.http.Do(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointSpot, Path: "/sapi/v1/account/apiRestrictions", Signed: true,
	}, &r)
	// The restrictions endpoint needs no permission beyond a valid key, so
	// only two causes remain.
	if err := keyRejected(err, "binance: the API key was rejected: either it does not exist on mainnet (is it a testnet key?) "+
		"or this server's IP address is not on the key's IP whitelist"); err != nil {
		return sdk.Permissions{}, err
	}
	p := sdk.Permissions{
		CanRead:         r.EnableReading,
		CanTradeSpot:    r.EnableSpotAndMarginTrading,
		CanTradeFutures: r.EnableFutures,
		CanWithdraw:     r.EnableWithdrawals,
		IPRestricted:    r.IPRestrict,
	}
	if !r.EnableReading {
		return p, sdk.Errorf(sdk.KindPermission,
			"binance: the API key lacks the \"Enable Reading\" permission, which every sync needs; enable it in API Management")
	}
	if !r.EnableSpotAndMarginTrading {
		p.Notes = append(p.Notes, "spot trading is not enabled on this key (\"Enable Spot & Margin Trading\"): spot orders will be rejected")
	}
	if !r.EnableFutures {
		p.Notes = append(p.Notes, "futures is not enabled on this key (\"Enable Futures\"): the futures wallet, positions and futures orders will be rejected")
	} else if err := c.checkFutures(ctx, acct, &p); err != nil {
		return p, err
	}
	if !r.IPRestrict {
		p.Notes = append(p.Notes, sdk.NoteAnyIP)
	}
	if r.EnableWithdrawals {
		p.Notes = append(p.Notes, sdk.NoteWithdraw)
	}
	return p, nil
}

// keyRejected is err of a credentials check, with the rejected-key answer
// (-2015, which has three causes) worded as message, which names the
// causes that remain for the call that got it.
func keyRejected(err error, message string) error {
	if exchangeCode(err) == codeRejectedKey {
		return &sdk.Error{Kind: sdk.KindAuthentication, ExchangeCode: "-2015", Message: message}
	}
	return err
}

// checkFutures confirms the futures side and notes the position mode.
func (c *Connector) checkFutures(ctx context.Context, acct sdk.Account, p *sdk.Permissions) error {
	var cfg accountConfig
	err := c.http.Do(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointFutures, Path: "/fapi/v1/accountConfig", Signed: true,
	}, &cfg)
	switch {
	case exchangeCode(err) == codeRejectedKey:
		p.CanTradeFutures = false
		if acct.Testnet {
			p.Notes = append(p.Notes, "the futures test environment rejects this key: futures may not be enabled on it, or it is a key of another test environment")
		} else {
			p.Notes = append(p.Notes, "futures calls are rejected although futures is enabled on the key: the futures account may not be opened yet")
		}
		return nil
	case err != nil:
		return err
	}
	if !cfg.CanTrade {
		p.CanTradeFutures = false
		p.Notes = append(p.Notes, "futures trading is disabled on this account")
	}
	p.Notes = append(p.Notes, holdings.PositionModeNote(cfg.DualSidePosition))
	return nil
}

func (c *Connector) validateTestnet(ctx context.Context, acct sdk.Account) (sdk.Permissions, error) {
	var a spotAccount
	err := c.http.Do(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointSpot, Path: "/api/v3/account",
		Query: rest.Params{}.Add("omitZeroBalances", "true"), Signed: true,
	}, &a)
	if err := keyRejected(err, "binance: the test environment rejected the API key: it does not exist there (is it a mainnet key?), "+
		"this server's IP address is not on its whitelist, or it cannot read the spot account"); err != nil {
		return sdk.Permissions{}, err
	}
	p := sdk.Permissions{CanRead: true, CanTradeSpot: a.CanTrade, CanTradeFutures: true}
	p.Notes = append(p.Notes, "test environment: Binance publishes no key restrictions there, permissions are inferred from the account")
	if !a.CanTrade {
		p.Notes = append(p.Notes, "spot trading is disabled for this key or account")
	}
	if err := c.checkFutures(ctx, acct, &p); err != nil {
		return p, err
	}
	return p, nil
}

// --- spot balances ---

type spotAccount struct {
	CanTrade bool          `json:"canTrade"`
	Balances []spotBalance `json:"balances"`
}

type spotBalance struct {
	Asset  string `json:"asset"`
	Free   string `json:"free"`
	Locked string `json:"locked"`
}

// SpotBalances lists the spot wallet without zero balances. Binance leaves
// zeros out when asked (omitZeroBalances); they are filtered again here so
// that an answer without the flag honoured cannot bring them back.
func (c *Connector) SpotBalances(ctx context.Context, acct sdk.Account) ([]sdk.Balance, error) {
	var a spotAccount
	err := c.http.Do(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointSpot, Path: "/api/v3/account",
		Query: rest.Params{}.Add("omitZeroBalances", "true"), Signed: true,
	}, &a)
	if err != nil {
		return nil, err
	}
	return holdings.Balances("binance", "spot balance", a.Balances, func(b spotBalance) (sdk.Balance, error) {
		var f num.Fields
		return sdk.Balance{Asset: b.Asset, Free: f.Parse("free", b.Free), Locked: f.Parse("locked", b.Locked)}, f.Err()
	})
}

// --- futures wallet ---

type futuresAccount struct {
	Assets []futuresAsset `json:"assets"`
}

type futuresAsset struct {
	Asset            string `json:"asset"`
	WalletBalance    string `json:"walletBalance"`
	UnrealizedProfit string `json:"unrealizedProfit"`
	MarginBalance    string `json:"marginBalance"`
	AvailableBalance string `json:"availableBalance"`
}

// FuturesAccount reports the USDT asset of the USDⓈ-M wallet. The per-asset
// row is used rather than the account totals, which are USD-valued sums
// over every asset in Multi-Assets mode. An account without a USDT
// row has an empty USDT wallet.
func (c *Connector) FuturesAccount(ctx context.Context, acct sdk.Account) (sdk.FuturesAccount, error) {
	var a futuresAccount
	err := c.http.Do(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointFutures, Path: "/fapi/v3/account", Signed: true,
	}, &a)
	if err != nil {
		return sdk.FuturesAccount{}, err
	}
	isUSDT := func(as futuresAsset) bool { return as.Asset == "USDT" }
	return holdings.Futures("binance", "futures USDT asset", "USDT", a.Assets, isUSDT, func(as futuresAsset) (sdk.FuturesAccount, error) {
		var f num.Fields
		return sdk.FuturesAccount{
			WalletBalance:    f.Parse("walletBalance", as.WalletBalance),
			UnrealizedPnL:    f.Parse("unrealizedProfit", as.UnrealizedProfit),
			MarginBalance:    f.Parse("marginBalance", as.MarginBalance),
			AvailableBalance: f.Parse("availableBalance", as.AvailableBalance),
		}, f.Err()
	})
}
