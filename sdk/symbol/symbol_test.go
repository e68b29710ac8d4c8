package symbol

import (
	"testing"

	"github.com/globalautomation/gahost/sdk"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Symbol
		wantErr bool
	}{
		{in: "BTC/USDT", want: Spot("BTC", "USDT")},
		{in: "btc/usdt", want: Spot("BTC", "USDT")},
		{in: "BTC/USDT:USDT", want: Perp("BTC", "USDT", "USDT")},
		{in: "1000PEPE/USDT:USDT", want: Perp("1000PEPE", "USDT", "USDT")},
		{in: "BTCUSDT", wantErr: true},
		{in: "BTC/", wantErr: true},
		{in: "/USDT", wantErr: true},
		{in: "BTC/USDT:", wantErr: true},
		{in: "BTC-USDT", wantErr: true},
		{in: "BTC/US DT", wantErr: true},
		{in: "BTC/USDT/ETH", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.wantErr {
				if sdk.KindOf(err) != sdk.KindInvalidRequest {
					t.Fatalf("Parse(%q) = %+v, %v; want invalid_request", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, s := range []string{"BTC/USDT", "ETH/BTC", "BTC/USDT:USDT", "SOL/USDC:USDC"} {
		p, err := Parse(s)
		if err != nil || p.String() != s {
			t.Errorf("round trip %q -> %q, %v", s, p.String(), err)
		}
	}
}

func TestJoinAndSplit(t *testing.T) {
	s := Perp("BTC", "USDT", "USDT")
	if got := s.Join(""); got != "BTCUSDT" {
		t.Errorf("Join = %q", got)
	}
	if got := s.Join("-"); got != "BTC-USDT" {
		t.Errorf("Join(-) = %q", got)
	}
	if got := s.SpotOf().String(); got != "BTC/USDT" {
		t.Errorf("SpotOf = %q", got)
	}
	tests := []struct {
		raw, base, quote string
		ok               bool
	}{
		{"BTCUSDT", "BTC", "USDT", true},
		{"ETHFDUSD", "ETH", "FDUSD", true},
		{"ETHBTC", "ETH", "BTC", true},
		{"USDT", "", "", false},
		{"XYZABC", "", "", false},
	}
	for _, tt := range tests {
		b, q, ok := SplitQuote(tt.raw, "FDUSD", "USDT", "USDC", "BTC")
		if b != tt.base || q != tt.quote || ok != tt.ok {
			t.Errorf("SplitQuote(%q) = %q %q %v", tt.raw, b, q, ok)
		}
	}
}

func TestResolve(t *testing.T) {
	long := make([]byte, 400)
	for i := range long {
		long[i] = 'x'
	}
	tests := []struct {
		name       string
		market     sdk.Market
		unified    string
		want       Symbol
		wantMarket sdk.Market
		wantErr    bool
	}{
		{name: "spot by symbol", unified: "BTC/USDT", want: Spot("BTC", "USDT"), wantMarket: sdk.MarketSpot},
		{name: "perp by symbol", unified: "BTC/USDT:USDT", want: Perp("BTC", "USDT", "USDT"), wantMarket: sdk.MarketFutures},
		{name: "spot named", market: sdk.MarketSpot, unified: "eth/usdc", want: Spot("ETH", "USDC"), wantMarket: sdk.MarketSpot},
		{name: "futures with spot form", market: sdk.MarketFutures, unified: "BTC/USDT", want: Perp("BTC", "USDT", "USDT"), wantMarket: sdk.MarketFutures},
		{name: "futures keeps settle", market: sdk.MarketFutures, unified: "BTC/USD:BTC", want: Perp("BTC", "USD", "BTC"), wantMarket: sdk.MarketFutures},
		{name: "spot refuses perp", market: sdk.MarketSpot, unified: "BTC/USDT:USDT", wantErr: true},
		{name: "unknown market", market: "margin", unified: "BTC/USDT", wantErr: true},
		{name: "huge market", market: sdk.Market(long), unified: "BTC/USDT", wantErr: true},
		{name: "bad symbol", market: sdk.MarketFutures, unified: "BTCUSDT", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve("ex", tt.market, tt.unified)
			if tt.wantErr {
				if sdk.KindOf(err) != sdk.KindInvalidRequest || len(err.Error()) > 400 {
					t.Fatalf("Resolve = %+v, %v; want a short invalid_request", got, err)
				}
				return
			}
			if err != nil || got != tt.want || got.Market() != tt.wantMarket {
				t.Fatalf("Resolve = %+v (%s), %v; want %+v (%s)", got, got.Market(), err, tt.want, tt.wantMarket)
			}
		})
	}
}
