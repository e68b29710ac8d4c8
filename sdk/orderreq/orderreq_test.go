package orderreq

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/globalautomation/gahost/sdk"
)

func TestCheck(t *testing.T) {
	d := decimal.RequireFromString
	r := Rules{Exchange: "ex", Futures: "swap"}
	tests := []struct {
		name   string
		market sdk.Market
		req    sdk.OrderRequest
		want   Checked
		bad    string // a part of the refusal; "" when accepted
	}{
		{"spot limit", sdk.MarketSpot, sdk.OrderRequest{Side: "BUY", Type: "Limit", Quantity: d("1"), Price: d("2")},
			Checked{Side: sdk.Buy, Type: sdk.OrderLimit}, ""},
		{"spot market by value", sdk.MarketSpot, sdk.OrderRequest{Side: "buy", Type: "market", QuoteQuantity: d("10")},
			Checked{Side: sdk.Buy, Type: sdk.OrderMarket, ByQuote: true}, ""},
		{"futures hedge close", sdk.MarketFutures, sdk.OrderRequest{Side: "sell", Type: "market", Quantity: d("1"), PositionSide: "LONG", ReduceOnly: true},
			Checked{Side: sdk.Sell, Type: sdk.OrderMarket, PositionSide: sdk.SideLong}, ""},
		{"bad side", sdk.MarketSpot, sdk.OrderRequest{Side: "hold", Type: "market", Quantity: d("1")}, Checked{}, "side"},
		{"bad type", sdk.MarketSpot, sdk.OrderRequest{Side: "buy", Type: "stop", Quantity: d("1")}, Checked{}, "type"},
		{"negative", sdk.MarketSpot, sdk.OrderRequest{Side: "buy", Type: "limit", Quantity: d("1"), Price: d("-1")}, Checked{}, "negative"},
		{"limit without price", sdk.MarketSpot, sdk.OrderRequest{Side: "buy", Type: "limit", Quantity: d("1")}, Checked{}, "limit"},
		{"limit by value", sdk.MarketSpot, sdk.OrderRequest{Side: "buy", Type: "limit", Quantity: d("1"), Price: d("1"), QuoteQuantity: d("1")}, Checked{}, "limit"},
		{"market with price", sdk.MarketSpot, sdk.OrderRequest{Side: "buy", Type: "market", Quantity: d("1"), Price: d("1")}, Checked{}, "no price"},
		{"market sized twice", sdk.MarketSpot, sdk.OrderRequest{Side: "buy", Type: "market", Quantity: d("1"), QuoteQuantity: d("1")}, Checked{}, "either"},
		{"market unsized", sdk.MarketSpot, sdk.OrderRequest{Side: "buy", Type: "market"}, Checked{}, "either"},
		{"futures by value", sdk.MarketFutures, sdk.OrderRequest{Side: "buy", Type: "market", QuoteQuantity: d("1")}, Checked{}, "swap orders take a base"},
		{"bad position side", sdk.MarketFutures, sdk.OrderRequest{Side: "buy", Type: "market", Quantity: d("1"), PositionSide: "both"}, Checked{}, "position side"},
		{"spot reduce-only", sdk.MarketSpot, sdk.OrderRequest{Side: "sell", Type: "market", Quantity: d("1"), ReduceOnly: true}, Checked{}, "swap orders only"},
		{"spot position side", sdk.MarketSpot, sdk.OrderRequest{Side: "sell", Type: "market", Quantity: d("1"), PositionSide: "long"}, Checked{}, "swap orders only"},
		{"huge side", sdk.MarketSpot, sdk.OrderRequest{Side: sdk.Side(strings.Repeat("x", 1000)), Type: "market", Quantity: d("1")}, Checked{}, "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Check(tt.market, tt.req)
			if tt.bad != "" {
				if sdk.KindOf(err) != sdk.KindInvalidRequest || !strings.HasPrefix(err.Error(), "ex: ") ||
					!strings.Contains(err.Error(), tt.bad) || len(err.Error()) > 400 {
					t.Fatalf("Check = %+v, %v; want an invalid_request about %q", got, err, tt.bad)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Check = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestCloses(t *testing.T) {
	tests := []struct {
		side sdk.Side
		pos  sdk.PositionSide
		want bool
	}{
		{sdk.Sell, sdk.SideLong, true},
		{sdk.Buy, sdk.SideShort, true},
		{sdk.Buy, sdk.SideLong, false},
		{sdk.Sell, sdk.SideShort, false},
		{sdk.Sell, "", false},
	}
	for _, tt := range tests {
		if got := Closes(tt.side, tt.pos); got != tt.want {
			t.Errorf("Closes(%s, %s) = %v, want %v", tt.side, tt.pos, got, tt.want)
		}
	}
}
