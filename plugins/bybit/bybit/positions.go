package bybit

import (
	"context"
	"errors"
	"net/url"
	"strconv"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/holdings"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/settings"
	"github.com/shopspring/decimal"
)

const pathPositionList = "/v5/position/list"

// Pagination of GET /v5/position/list: up to 200 rows a page;
// maxPositionPages only stops an answer whose cursor never runs out.
const (
	positionPageSize = "200"
	maxPositionPages = 50
)

type positionPage struct {
	NextPageCursor string        `json:"nextPageCursor"`
	List           []positionRow `json:"list"`
}

// positionRow is one row of GET /v5/position/list.
type positionRow struct {
	Symbol        string `json:"symbol"`
	PositionIdx   int    `json:"positionIdx"` // 0 one-way, 1 hedge long, 2 hedge short
	Side          string `json:"side"`        // Buy, Sell, "" when flat
	Size          string `json:"size"`
	AvgPrice      string `json:"avgPrice"`
	MarkPrice     string `json:"markPrice"`
	UnrealisedPnl string `json:"unrealisedPnl"`
	Leverage      string `json:"leverage"` // "" in portfolio margin
	LiqPrice      string `json:"liqPrice"` // "" when beyond the price limits
}

// Positions lists open USDT perpetual positions. With settleCoin Bybit
// returns only rows of positive size; a zero row is left out here too, so
// that an answer with one cannot bring it back. The margin mode is the
// account's, read only when something is open, and again only when the
// open positions change or the last read is settings.TTL old: it changes
// only by hand, and a change shows within five minutes.
func (c *Connector) Positions(ctx context.Context, acct sdk.Account) ([]sdk.Position, error) {
	rows, err := c.positionRows(ctx, acct, rest.Params{}.Add("settleCoin", settleUSDT))
	if err != nil {
		return nil, err
	}
	live, err := holdings.Open("bybit", rows, func(r positionRow) (string, string) { return r.Symbol, r.Size })
	if err != nil {
		return nil, err
	}
	if len(live) == 0 {
		return []sdk.Position{}, nil
	}
	openRows := make([][]string, 0, len(live))
	for _, o := range live {
		openRows = append(openRows, []string{o.Row.Symbol, strconv.Itoa(o.Row.PositionIdx), o.Row.Side, o.Row.Size})
	}
	mode, err := c.modes.Read(acct.APIKey, settings.Positions(openRows...), func() (sdk.MarginMode, error) {
		info, err := c.accountInfo(ctx, acct)
		return info.marginMode(), err
	})
	if err != nil {
		return nil, err
	}
	return holdings.Positions(live, func(o holdings.Sized[positionRow]) (sdk.Position, bool, error) {
		p, err := toPosition(o.Row, o.Size.Abs(), mode)
		return p, true, err
	})
}

// positionRows reads every page of linear positions matching filter
// (settleCoin or symbol). Bybit returns the cursor percent-encoded and
// decodes the one it receives, so it is unescaped here and escaped again
// with the rest of the query, which is signed exactly as sent.
func (c *Connector) positionRows(ctx context.Context, acct sdk.Account, filter rest.Params) ([]positionRow, error) {
	var rows []positionRow
	cursor := ""
	seen := map[string]bool{}
	for range maxPositionPages {
		q := append(rest.Params{}.Add("category", categoryLinear), filter...).Add("limit", positionPageSize)
		if cursor != "" {
			q = q.Add("cursor", cursor)
		}
		env, err := get[positionPage](ctx, c, acct, pathPositionList, q.Sorted())
		if err != nil {
			return nil, err
		}
		rows = append(rows, env.Result.List...)
		next := env.Result.NextPageCursor
		if next == "" {
			return rows, nil
		}
		if seen[next] {
			return nil, rest.Malformed("bybit", "position list", errors.New("the page cursor repeats"))
		}
		seen[next] = true
		if cursor, err = url.QueryUnescape(next); err != nil {
			return nil, rest.Malformed("bybit", "position list cursor", err)
		}
	}
	return nil, rest.Malformed("bybit", "position list", errors.New("more pages than the connector reads"))
}

func toPosition(r positionRow, size decimal.Decimal, marginMode sdk.MarginMode) (sdk.Position, error) {
	var f num.Fields
	p := sdk.Position{
		Symbol:           unifiedLinear(r.Symbol),
		Size:             size,
		EntryPrice:       f.ParseOrZero("avgPrice", r.AvgPrice),
		MarkPrice:        f.ParseOrZero("markPrice", r.MarkPrice),
		UnrealizedPnL:    f.ParseOrZero("unrealisedPnl", r.UnrealisedPnl),
		Leverage:         f.ParseOrZero("leverage", r.Leverage),
		LiquidationPrice: f.ParseOrZero("liqPrice", r.LiqPrice),
		MarginMode:       marginMode,
	}
	if err := f.Err(); err != nil {
		return sdk.Position{}, rest.Malformed("bybit", "position "+redact.Clip(r.Symbol, rest.MaxText), err)
	}
	switch {
	case r.PositionIdx == 1, r.PositionIdx == 0 && r.Side == "Buy":
		p.Side = sdk.SideLong
	case r.PositionIdx == 2, r.PositionIdx == 0 && r.Side == "Sell":
		p.Side = sdk.SideShort
	default:
		return sdk.Position{}, rest.Malformed("bybit", "position "+redact.Clip(r.Symbol, rest.MaxText), errors.New("no side"))
	}
	return p, nil
}
