package webhooks

import (
	"testing"

	"github.com/globalautomation/gahost/sdk"
)

// instrumentsOf are instrument lists as the five connectors name their
// instruments (their native names, as their instrument calls report them).
func instrumentsOf(exchange string, m sdk.Market) []sdk.Instrument {
	type pair struct{ base, quote string }
	pairs := []pair{{"BTC", "USDT"}, {"ETH", "USDT"}, {"1000PEPE", "USDT"}, {"ETH", "BTC"}}
	var out []sdk.Instrument
	for _, p := range pairs {
		in := sdk.Instrument{Market: m, Base: p.base, Quote: p.quote, Status: sdk.InstrumentTrading,
			LotStep: dec("0.001"), TickSize: dec("0.1")}
		in.Symbol = p.base + "/" + p.quote
		if m == sdk.MarketFutures {
			if p.quote != "USDT" {
				continue // linear perpetuals only
			}
			in.Settle = p.quote
			in.Symbol += ":" + p.quote
		}
		var native string
		switch exchange {
		case "binance", "bybit", "bitget":
			native = p.base + p.quote
		case "okx":
			native = p.base + "-" + p.quote
			if m == sdk.MarketFutures {
				native += "-SWAP"
			}
		case "bingx":
			native = p.base + "-" + p.quote
		}
		in.NativeSymbols = []string{native}
		out = append(out, in)
	}
	return out
}

func TestResolveTicker(t *testing.T) {
	type want struct{ symbol, method, native string }
	exchanges := []string{"binance", "bybit", "okx", "bitget", "bingx"}
	// Tickers every exchange must resolve the same way, whatever its own
	// names: TradingView's three forms, the usual separators and the
	// unified symbol.
	common := []struct {
		market sdk.Market
		ticker string
		symbol string
		method string
	}{
		{sdk.MarketFutures, "BTCUSDT.P", "BTC/USDT:USDT", MatchTradingView},
		{sdk.MarketFutures, "BINANCE:BTCUSDT.P", "BTC/USDT:USDT", MatchTradingView},
		{sdk.MarketFutures, "OKX:ETHUSDT.P", "ETH/USDT:USDT", MatchTradingView},
		{sdk.MarketFutures, "BYBIT:1000PEPEUSDT.P", "1000PEPE/USDT:USDT", MatchTradingView},
		{sdk.MarketFutures, "BTC/USDT:USDT", "BTC/USDT:USDT", MatchUnified},
		{sdk.MarketFutures, "BTC_USDT", "BTC/USDT:USDT", ""},
		{sdk.MarketSpot, "BINANCE:BTCUSDT", "BTC/USDT", MatchTradingView},
		{sdk.MarketSpot, "ETHBTC", "ETH/BTC", ""},
		{sdk.MarketSpot, "BTC_USDT", "BTC/USDT", ""},
		{sdk.MarketSpot, "BTC-USDT", "BTC/USDT", ""},
		{sdk.MarketSpot, "BTCUSDT", "BTC/USDT", ""},
		{sdk.MarketSpot, "BTC/USDT", "BTC/USDT", MatchUnified},
	}
	for _, ex := range exchanges {
		for _, c := range common {
			t.Run(ex+"/"+string(c.market)+"/"+c.ticker, func(t *testing.T) {
				list := instrumentsOf(ex, c.market)
				in, res, rej := ResolveTicker(c.market, c.ticker, list)
				if rej != nil {
					t.Fatalf("refused: %s %s", rej.Code, rej.Message)
				}
				if in.Symbol != c.symbol || res.Symbol != c.symbol || res.Ticker != c.ticker || res.Native != in.NativeSymbols[0] {
					t.Fatalf("got %s %+v, want %s", in.Symbol, res, c.symbol)
				}
				if c.method != "" && res.Method != c.method {
					t.Errorf("method %s, want %s", res.Method, c.method)
				}
				if c.method == "" && res.Method != MatchNative && res.Method != MatchBaseQuote {
					t.Errorf("method %s, want native or base_quote", res.Method)
				}
			})
		}
	}

	// Each exchange's own names match natively, exactly.
	natives := []struct {
		exchange string
		market   sdk.Market
		ticker   string
		want
	}{
		{"binance", sdk.MarketFutures, "BTCUSDT", want{"BTC/USDT:USDT", MatchNative, "BTCUSDT"}},
		{"binance", sdk.MarketSpot, "ETHBTC", want{"ETH/BTC", MatchNative, "ETHBTC"}},
		{"bybit", sdk.MarketFutures, "1000PEPEUSDT", want{"1000PEPE/USDT:USDT", MatchNative, "1000PEPEUSDT"}},
		{"bitget", sdk.MarketSpot, "BTCUSDT", want{"BTC/USDT", MatchNative, "BTCUSDT"}},
		{"okx", sdk.MarketFutures, "BTC-USDT-SWAP", want{"BTC/USDT:USDT", MatchNative, "BTC-USDT-SWAP"}},
		{"okx", sdk.MarketSpot, "BTC-USDT", want{"BTC/USDT", MatchNative, "BTC-USDT"}},
		{"okx", sdk.MarketFutures, "BTCUSDT", want{"BTC/USDT:USDT", MatchBaseQuote, "BTC-USDT-SWAP"}},
		{"okx", sdk.MarketFutures, "BTC-USDT", want{"BTC/USDT:USDT", MatchBaseQuote, "BTC-USDT-SWAP"}},
		{"okx", sdk.MarketFutures, "OKX:BTC-USDT-SWAP", want{"BTC/USDT:USDT", MatchTradingView, "BTC-USDT-SWAP"}},
		{"bingx", sdk.MarketFutures, "BTC-USDT", want{"BTC/USDT:USDT", MatchNative, "BTC-USDT"}},
		{"bingx", sdk.MarketSpot, "ETH-BTC", want{"ETH/BTC", MatchNative, "ETH-BTC"}},
		{"bingx", sdk.MarketSpot, "ETHBTC", want{"ETH/BTC", MatchBaseQuote, "ETH-BTC"}},
		{"binance", sdk.MarketFutures, "BTC-USDT-SWAP", want{"BTC/USDT:USDT", MatchBaseQuote, "BTCUSDT"}},
	}
	for _, c := range natives {
		t.Run("native/"+c.exchange+"/"+c.ticker, func(t *testing.T) {
			_, res, rej := ResolveTicker(c.market, c.ticker, instrumentsOf(c.exchange, c.market))
			if rej != nil {
				t.Fatalf("refused: %s %s", rej.Code, rej.Message)
			}
			if (want{res.Symbol, res.Method, res.Native}) != c.want {
				t.Fatalf("got %+v, want %+v", res, c.want)
			}
		})
	}

	refusals := []struct {
		market sdk.Market
		ticker string
		code   string
	}{
		{sdk.MarketFutures, "DOGEUSDT.P", CodeSymbolUnknown},
		{sdk.MarketFutures, "ETHBTC", CodeSymbolUnknown}, // spot only
		{sdk.MarketSpot, "XRP/USDT", CodeSymbolUnknown},
		{sdk.MarketFutures, "BTC/USDC:USDC", CodeSymbolUnknown},
		{sdk.MarketSpot, "BTC", CodeSymbolUnknown},
	}
	for _, ex := range exchanges {
		for _, c := range refusals {
			t.Run("refused/"+ex+"/"+c.ticker, func(t *testing.T) {
				_, res, rej := ResolveTicker(c.market, c.ticker, instrumentsOf(ex, c.market))
				if rej == nil || rej.Code != c.code || rej.Invalid || rej.Message == "" {
					t.Fatalf("got %+v %+v, want %s", res, rej, c.code)
				}
				if res.Ticker != c.ticker || res.Symbol != "" {
					t.Errorf("resolution %+v", res)
				}
			})
		}
	}
}

// Two instruments that read the same once separators go are not guessed
// between.
func TestResolveTickerAmbiguous(t *testing.T) {
	list := []sdk.Instrument{
		{Symbol: "AB/CUSDT", Base: "AB", Quote: "CUSDT", NativeSymbols: []string{"AB_CUSDT"}},
		{Symbol: "ABC/USDT", Base: "ABC", Quote: "USDT", NativeSymbols: []string{"ABC_USDT"}},
	}
	if _, _, rej := ResolveTicker(sdk.MarketSpot, "ABCUSDT", list); rej == nil || rej.Code != CodeSymbolAmbiguous {
		t.Fatalf("got %+v", rej)
	}
	// The exact native name still decides.
	if in, res, rej := ResolveTicker(sdk.MarketSpot, "ABC_USDT", list); rej != nil || in.Symbol != "ABC/USDT" || res.Method != MatchNative {
		t.Fatalf("got %+v %+v", res, rej)
	}
}

// Without an instrument list only a unified symbol goes, as sent.
func TestUnresolvedTicker(t *testing.T) {
	res, rej := unresolvedTicker("BTC/USDT:USDT", nil)
	if rej != nil || res.Symbol != "BTC/USDT:USDT" || res.Method != MatchUnchecked {
		t.Fatalf("unified: %+v %+v", res, rej)
	}
	for _, tk := range []string{"BTCUSDT", "BINANCE:BTCUSDT.P", "BINANCE:BTC/USDT:USDT"} {
		if res, rej := unresolvedTicker(tk, nil); rej == nil || rej.Code != CodeInstrumentsUnavailable || res.Symbol != "" {
			t.Errorf("%s: %+v %+v", tk, res, rej)
		}
	}
}
