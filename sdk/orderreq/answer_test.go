package orderreq

import (
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/symbol"
	"github.com/shopspring/decimal"
)

// Accepted is the request as sent, status new, with the answer's ids and
// time; the id the order was sent with stands in for a missing client id.
func TestAccepted(t *testing.T) {
	at := time.UnixMilli(1718000000000).UTC()
	req := sdk.OrderRequest{Side: "SELL", Type: "Limit", Quantity: decimal.RequireFromString("0.5"), Price: decimal.RequireFromString("60000"), ClientOrderID: "asked"}
	sym := symbol.Perp("BTC", "USDT", "USDT")
	got := Accepted(sdk.MarketFutures, sym, req, Ack{OrderID: "42", ClientID: "echoed", At: at}, "sent", true)
	want := sdk.Order{
		ID: "42", ClientOrderID: "echoed", Market: sdk.MarketFutures, Symbol: "BTC/USDT:USDT",
		Side: sdk.Sell, Type: sdk.OrderLimit, Status: sdk.StatusNew,
		Quantity: req.Quantity, Price: req.Price, ReduceOnly: true, CreatedAt: at,
	}
	if !sameOrder(got, want) {
		t.Errorf("Accepted = %+v, want %+v", got, want)
	}
	got = Accepted(sdk.MarketFutures, sym, req, Ack{OrderID: "42"}, "sent", false)
	if got.ClientOrderID != "sent" || !got.CreatedAt.IsZero() || got.ReduceOnly {
		t.Errorf("an answer without client id or time: %+v; want the sent id, no time, not reduce-only", got)
	}
}

// Canceled names the order by the answer's ids, else by those sent.
func TestCanceled(t *testing.T) {
	sym := symbol.Spot("BTC", "USDT")
	got := Canceled(sdk.MarketSpot, sym, Target{OrderID: "7", ClientID: "c"}, Target{OrderID: "x", ClientID: "y"})
	want := sdk.Order{ID: "7", ClientOrderID: "c", Market: sdk.MarketSpot, Symbol: "BTC/USDT", Status: sdk.StatusCanceled}
	if !sameOrder(got, want) {
		t.Errorf("Canceled = %+v, want %+v", got, want)
	}
	got = Canceled(sdk.MarketSpot, sym, Target{}, Target{OrderID: "x", ClientID: "y"})
	if got.ID != "x" || got.ClientOrderID != "y" {
		t.Errorf("an answer without ids: %+v; want the sent ones", got)
	}
}

func sameOrder(a, b sdk.Order) bool {
	return a.ID == b.ID && a.ClientOrderID == b.ClientOrderID && a.Market == b.Market && a.Symbol == b.Symbol &&
		a.Side == b.Side && a.Type == b.Type && a.Status == b.Status && a.Quantity.Equal(b.Quantity) &&
		a.Price.Equal(b.Price) && a.ReduceOnly == b.ReduceOnly && a.CreatedAt.Equal(b.CreatedAt) &&
		a.FilledQuantity.Equal(b.FilledQuantity) && a.AveragePrice.Equal(b.AveragePrice)
}
