package bingx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/holdings"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
)

// --- credentials ---

// Permission codes of GET /openApi/v1/account/apiPermissions.
const (
	permSpotTrade = 1
	permRead      = 2
	permSwapTrade = 3
	permTransfer  = 4
	permWithdraw  = 5
)

type apiPermissions struct {
	Permissions []number `json:"permissions"`
	IPAddresses []string `json:"ipAddresses"`
}

// permissionsAnswer accepts the documented example, which has no
// envelope, as well as the usual {"code":0,"data":{...}}.
type permissionsAnswer struct {
	apiPermissions
	Data *apiPermissions `json:"data"`
}

func (a apiPermissions) has(code int64) bool {
	return slices.ContainsFunc(a.Permissions, func(n number) bool {
		d, err := n.decimal()
		return err == nil && d.IsInteger() && d.IntPart() == code
	})
}

// ValidateCredentials reads the key's permissions and the swap position
// mode. The demo (VST) host serves the swap only, so there the position
// mode read is the whole check and the permissions are inferred.
func (c *Connector) ValidateCredentials(ctx context.Context, acct sdk.Account) (sdk.Permissions, error) {
	if acct.Testnet {
		return c.validateDemo(ctx, acct)
	}
	var ans permissionsAnswer
	err := c.http.Do(ctx, acct, rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: pathAPIPermissions, Signed: true,
	}, &ans)
	if err != nil {
		return sdk.Permissions{}, err
	}
	perms := ans.apiPermissions
	if ans.Data != nil {
		perms = *ans.Data
	}
	p := sdk.Permissions{
		CanRead:         perms.has(permRead),
		CanTradeSpot:    perms.has(permSpotTrade),
		CanTradeFutures: perms.has(permSwapTrade),
		CanWithdraw:     perms.has(permWithdraw),
		IPRestricted:    len(perms.IPAddresses) > 0,
	}
	if !p.CanRead {
		return p, sdk.Errorf(sdk.KindPermission,
			"bingx: the API key lacks the Read permission, which every sync needs; enable it in BingX's API management")
	}
	if !p.CanTradeSpot {
		p.Notes = append(p.Notes, "spot trading is not enabled on this key: spot orders will be rejected")
	}
	if !p.CanTradeFutures {
		p.Notes = append(p.Notes, "perpetual futures trading is not enabled on this key: futures orders will be rejected")
	}
	if err := c.notePositionMode(ctx, acct, &p); err != nil {
		return p, err
	}
	if !p.IPRestricted {
		p.Notes = append(p.Notes, sdk.NoteAnyIP)
	}
	if p.CanWithdraw {
		p.Notes = append(p.Notes, sdk.NoteWithdraw)
	} else if perms.has(permTransfer) {
		p.Notes = append(p.Notes, "the key can transfer funds between accounts; gahost never needs that")
	}
	return p, nil
}

func (c *Connector) validateDemo(ctx context.Context, acct sdk.Account) (sdk.Permissions, error) {
	p := sdk.Permissions{CanRead: true, CanTradeFutures: true}
	p.Notes = append(p.Notes,
		"demo (VST) environment: perpetual swap only, so there is no spot wallet and spot orders are unsupported",
		"BingX publishes no key permissions in the demo; futures trading is assumed")
	if err := c.notePositionMode(ctx, acct, &p); err != nil {
		return sdk.Permissions{}, err
	}
	return p, nil
}

// notePositionMode reads the swap position mode. A key whose
// swap calls are refused keeps working for spot, so that is a note.
func (c *Connector) notePositionMode(ctx context.Context, acct sdk.Account, p *sdk.Permissions) error {
	mode, err := call[struct {
		DualSidePosition any `json:"dualSidePosition"`
	}](ctx, c, acct, rest.Request{Method: "GET", Endpoint: EndpointREST, Path: pathPositionMode, Signed: true})
	if sdk.KindOf(err) == sdk.KindPermission && !acct.Testnet {
		p.CanTradeFutures = false
		p.Notes = append(p.Notes, "the perpetual swap account refuses this key: futures sync and orders will fail")
		return nil
	}
	if err != nil {
		return err
	}
	// The value is the string "true" or "false"; a bool is taken too.
	hedge := mode.DualSidePosition == "true" || mode.DualSidePosition == true
	p.Notes = append(p.Notes, holdings.PositionModeNote(hedge))
	return nil
}

// --- spot balances ---

// spotBalance is a row of GET /openApi/spot/v1/account/balance.
type spotBalance struct {
	Asset  string `json:"asset"`
	Free   number `json:"free"`
	Locked number `json:"locked"`
}

// SpotBalances lists the spot wallet without zero balances, which BingX
// lists. The demo has no spot wallet: an empty list, no call.
func (c *Connector) SpotBalances(ctx context.Context, acct sdk.Account) ([]sdk.Balance, error) {
	if acct.Testnet {
		if err := needKeys(acct); err != nil {
			return nil, err
		}
		return []sdk.Balance{}, nil
	}
	a, err := call[struct {
		Balances []spotBalance `json:"balances"`
	}](ctx, c, acct, rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: pathSpotBalance, Signed: true,
	})
	if err != nil {
		return nil, err
	}
	return holdings.Balances("bingx", "spot balance", a.Balances, func(b spotBalance) (sdk.Balance, error) {
		var f fields
		return sdk.Balance{Asset: b.Asset, Free: f.dec("free", b.Free), Locked: f.dec("locked", b.Locked)}, f.err
	})
}

// --- swap wallet ---

type swapAsset struct {
	Asset            string `json:"asset"`
	Balance          number `json:"balance"`
	Equity           number `json:"equity"`
	UnrealizedProfit number `json:"unrealizedProfit"`
	AvailableMargin  number `json:"availableMargin"`
}

// FuturesAccount reports the USDT row of the USDT-M swap wallet (v3, one
// row per margin asset). The older v2 shape, {"balance":{...}}, and a
// bare object are read too. In the demo the row may be named VST;
// it stands for USDT there. No row means an empty wallet.
func (c *Connector) FuturesAccount(ctx context.Context, acct sdk.Account) (sdk.FuturesAccount, error) {
	raw, err := call[json.RawMessage](ctx, c, acct, rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: pathSwapBalance, Signed: true,
	})
	if err != nil {
		return sdk.FuturesAccount{}, err
	}
	rows, err := swapAssets(raw)
	if err != nil {
		return sdk.FuturesAccount{}, rest.Malformed("bingx", "swap balance", err)
	}
	out := sdk.FuturesAccount{Asset: "USDT"}
	row := slices.IndexFunc(rows, func(a swapAsset) bool { return a.Asset == "USDT" })
	if row < 0 && acct.Testnet {
		row = slices.IndexFunc(rows, func(a swapAsset) bool { return a.Asset == "VST" })
	}
	if row < 0 {
		return out, nil
	}
	a := rows[row]
	var f fields
	out.WalletBalance = f.dec("balance", a.Balance)
	out.UnrealizedPnL = f.dec("unrealizedProfit", a.UnrealizedProfit)
	out.MarginBalance = f.dec("equity", a.Equity)
	out.AvailableBalance = f.dec("availableMargin", a.AvailableMargin)
	if err := f.err; err != nil {
		return sdk.FuturesAccount{}, rest.Malformed("bingx", "swap "+redact.Clip(a.Asset, rest.MaxText)+" balance", err)
	}
	return out, nil
}

// swapAssets reads data of the balance answer in any of its shapes.
func swapAssets(raw json.RawMessage) ([]swapAsset, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return nil, nil
	case raw[0] == '[':
		var rows []swapAsset
		err := json.Unmarshal(raw, &rows)
		return rows, err
	case raw[0] == '{':
		var v2 struct {
			Balance *swapAsset `json:"balance"`
		}
		if err := json.Unmarshal(raw, &v2); err == nil && v2.Balance != nil {
			return []swapAsset{*v2.Balance}, nil
		}
		var one swapAsset
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, err
		}
		return []swapAsset{one}, nil
	}
	return nil, errors.New("data is neither a list nor an object")
}
