package orderreq

import (
	"errors"
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/symbol"
	"github.com/shopspring/decimal"
)

func TestPrepare(t *testing.T) {
	rules := Rules{Exchange: "test", Futures: "perpetual"}
	resolve := func(m sdk.Market, u string) (sdk.Market, symbol.Symbol, error) {
		return symbol.ResolveLinear("test", m, u, sdk.KindUnsupported, "quote-settled only")
	}
	check := func(m sdk.Market, req sdk.OrderRequest) (Checked, error) { return rules.Check(m, req) }
	req := sdk.OrderRequest{Market: sdk.MarketFutures, Symbol: "BTC/USDT", Side: "BUY", Type: "market", Quantity: decimal.RequireFromString("0.01")}

	mkt, sym, c, err := Prepare(req, resolve, check)
	if err != nil || mkt != sdk.MarketFutures || sym.String() != "BTC/USDT:USDT" || c.Side != sdk.Buy || c.Type != sdk.OrderMarket {
		t.Fatalf("Prepare = %s %s %+v %v", mkt, sym, c, err)
	}

	bad := req
	bad.Symbol = "BTC/USD:BTC"
	if _, _, _, err := Prepare(bad, resolve, check); sdk.KindOf(err) != sdk.KindUnsupported {
		t.Errorf("an unresolvable symbol: %v, want the resolver's refusal", err)
	}
	bad = req
	bad.Side = "hold"
	if _, _, _, err := Prepare(bad, resolve, check); sdk.KindOf(err) != sdk.KindInvalidRequest {
		t.Errorf("a refused request: %v, want the check's refusal", err)
	}
	calls := 0
	refuse := func(sdk.Market, sdk.OrderRequest) (Checked, error) { calls++; return Checked{}, errors.New("no") }
	bad.Symbol = "not a symbol"
	if _, _, _, err := Prepare(bad, resolve, refuse); err == nil || calls != 0 {
		t.Errorf("check ran (%d) on a symbol that does not resolve: %v", calls, err)
	}
}
