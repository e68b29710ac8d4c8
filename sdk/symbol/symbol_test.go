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
